import Foundation

/// `D/job.json`: how the job in a checkpoint directory was started, for humans,
/// `status`, and `restart` (which needs the rank count and flavour before any image is read).
struct JobDescription: Codable, Equatable {
    let np: Int
    /// openmpi, mpich or none.
    let mpi: String
    let program: String
    let arguments: [String]
    let cwd: String
    /// When this run (or restart) started, ISO 8601 UTC.
    let startTime: String
    /// The pid of the ckpt-mpi process that coordinates it.
    let coordinatorPid: Int
    /// The generation this run was restarted from; nil for a fresh run.
    var restoredFrom: Int? = nil
    /// The job's identity (`JobIdentity`), the same for every restart; nil in job.json files
    /// written before job ids.
    var jobId: String? = nil
    /// Seconds a checkpoint may take before the coordinator fails it (`--checkpoint-timeout`);
    /// bounds how long `ckpt-mpi checkpoint` waits by default. Nil in older job.json files.
    var checkpointTimeout: Double? = nil
    /// `--incremental`'s `--full-every` (nil: full images), kept by `restart`. Nil in older job.json files.
    var fullEvery: Int? = nil

    func write(to directory: CheckpointDirectory) throws {
        try DurableFile.write(try CheckpointJSON.encode(self, pretty: true), to: directory.jobPath, mode: 0o600)
    }

    static func read(from directory: CheckpointDirectory) throws -> JobDescription {
        try CheckpointJSON.read(JobDescription.self, from: directory.jobPath)
    }
}

/// How the job's network transport is named in manifests and messages.
///
/// ckpt-mpi does not choose the transport; the user does, through the MPI's own
/// environment variables or launcher options, so that is what is recorded.
enum Transport {
    /// A short description, e.g. `btl=self,vader`, `pml=ucx`, `ofi:tcp`, or `default`.
    static func describe(flavour: String, environment: [String: String], launcherArguments: [String] = []) -> String {
        var parts: [String] = []
        func mca(_ name: String) -> String? {
            // `--mca btl tcp,self` on the command line wins over OMPI_MCA_btl, as in Open MPI.
            for index in launcherArguments.indices.dropLast(2)
            where ["--mca", "-mca"].contains(launcherArguments[index]) && launcherArguments[index + 1] == name {
                return launcherArguments[index + 2]
            }
            return environment["OMPI_MCA_" + name].flatMap { $0.isEmpty ? nil : $0 }
        }
        switch flavour {
        case "openmpi":
            if let pml = mca("pml") { parts.append("pml=" + pml) }
            if let btl = mca("btl") { parts.append("btl=" + btl) }
        case "mpich":
            if let netmod = environment["MPIR_CVAR_CH4_NETMOD"], !netmod.isEmpty { parts.append(netmod) }
            if let provider = environment["FI_PROVIDER"], !provider.isEmpty { parts.append("ofi:" + provider) }
        default:
            break
        }
        if let tls = environment["UCX_TLS"], !tls.isEmpty { parts.append("ucx:" + tls) }
        return parts.isEmpty ? "default" : parts.joined(separator: " ")
    }
}
