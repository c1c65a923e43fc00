import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One variable the job's environment gets on top of ours.
struct EnvironmentSetting: Equatable, CustomStringConvertible {
    let name: String
    let value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// The secret never goes to a log or a dry-run script: whoever reads it could talk to the coordinator.
    var description: String {
        name + "=" + (name == JobSecret.environmentVariable ? "<secret>" : ShellQuoting.quote(value))
    }
}

/// What the user asked to start, after every check passed.
struct LaunchRequest: Equatable {
    /// How ranks are started.
    enum Mode: Equatable {
        /// Through the MPI's launcher, one lower half per rank.
        case mpi(UsableMPI)
        /// One process, the MPI-less lower half executed directly.
        case noMPI(lowerHalf: String)
    }

    let mode: Mode
    /// Number of ranks; always 1 without MPI.
    let ranks: Int
    /// Extra launcher options from `--mpirun-arg`, passed through in order.
    let launcherArguments: [String]
    /// The directory with the face links, for `--face-dir`.
    let faceDirectory: String
    /// The checked program.
    let program: String
    /// Its arguments.
    let programArguments: [String]
    /// Value of CKPT_MPI_DEBUG to export, nil for none.
    let debugLevel: String?
    /// The checkpoint engine the lower half preloads into the upper half (`--engine`); nil: none.
    var engine: String? = nil
    /// The coordinator's socket (a path, or `tcp:ADDR:PORT` for a job on several hosts), exported
    /// to every rank as CKPT_MPI_COORD; nil: no coordinator.
    var coordinatorSocket: String? = nil
    /// A coordinator also on TCP (a job on several hosts): CKPT_MPI_COORD becomes `tcp:ADDR:PORT`
    /// (port 0 until the coordinator listens, see `LaunchPlan.setting`) and CKPT_MPI_SECRET its secret.
    var coordinatorTCP: TCPListening? = nil
    /// `--host`/`--hostfile`, in the launcher's own spelling; nil: the launcher's default (this host).
    var hosts: HostList? = nil
    /// The checkpoint directory, exported to every process of the job as CKPT_MPI_JOB_DIR so that
    /// a later coordinator on it can find survivors of this job; nil: no coordinator.
    var jobDirectory: String? = nil
    /// The job's identity, exported to every rank as CKPT_MPI_JOB_ID for its image headers; nil: none.
    var jobID: String? = nil
    /// Restart from this image (without MPI) or generation directory (MPI: each rank opens
    /// its own rank-RRRR.img) instead of starting `program`.
    var restore: String? = nil
    /// `--local-dir` of a restart, exported as CKPT_MPI_LOCAL_DIR: each rank restores from its
    /// node's copy `DIR/JOBID/gen-NNNNNN/rank-RRRR.img` when that one verifies against the shared one.
    var localDirectory: String? = nil
    /// `--compress`, exported as CKPT_MPI_COMPRESS; nil: the engine's default (uncompressed), or
    /// for a restart the setting the job had.
    var compression: ImageCompression? = nil
    /// `restart --lazy`, exported as CKPT_MPI_RESTORE_LAZY=1: each rank resumes before its big
    /// private regions are read and gets their pages on first touch (docs/image-format.md).
    var lazyRestore = false
}

/// The exact process to start: executable, argv and the environment additions.
struct LaunchPlan: Equatable {
    /// The file to execute (an MPI launcher, or the lower half itself without MPI).
    let executable: String
    /// The full argv, argv[0] included.
    let arguments: [String]
    /// Variables added to (or replacing) our environment, in a stable order.
    let environment: [EnvironmentSetting]
    /// False when ckpt-mpi should replace itself with the process rather than supervise it.
    let supervised: Bool
    /// Whether more ranks than online cores were requested.
    let oversubscribed: Bool

    /// The command line with its environment, as one pasteable shell line.
    var commandLine: String {
        (environment.map(\.description) + [ShellQuoting.join(arguments)]).joined(separator: " ")
    }

    /// A small shell script equivalent to the launch, for `--dry-run`.
    var script: String {
        (environment.map { "export \($0)" } + [ShellQuoting.join(arguments)]).joined(separator: "\n")
    }

    /// The plan with `name` set to `value` (the coordinator's TCP port is known only once it listens).
    func setting(_ name: String, to value: String) -> LaunchPlan {
        LaunchPlan(executable: executable, arguments: arguments,
                   environment: environment.map { $0.name == name ? EnvironmentSetting(name, value) : $0 },
                   supervised: supervised, oversubscribed: oversubscribed)
    }

    /// `environment` applied on top of `base`, as execve wants it.
    func environmentBlock(over base: [String: String]) -> [String] {
        var merged = base
        for setting in environment { merged[setting.name] = setting.value }
        return merged.map { $0.key + "=" + $0.value }.sorted()
    }
}

/// Builds the command line that starts the job through the real MPI launcher.
///
/// Pure: the machine facts it depends on (online cores, uid) are inputs, so
/// every branch is testable without MPI, root or a big machine.
struct Launcher {
    /// Online CPUs; more ranks than this means oversubscription.
    let onlineCores: Int
    /// Our uid; Open MPI refuses to run as root unless told twice.
    let userID: uid_t
    /// Names of the `CKPT_MPI_*` variables set where ckpt-mpi runs (the user's knobs:
    /// writer, restore readers, image files, signal...), which the ranks read too.
    var inheritedSettings: [String] = []

    /// The launcher as the machine we run on sees it.
    static func forThisMachine() -> Launcher {
        Launcher(onlineCores: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))), userID: getuid(),
                 inheritedSettings: ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("CKPT_MPI_") }.sorted())
    }

    /// Environment variables that stop the real MPI, living in the lower half, from
    /// hooking memory allocation and installing signal handlers: both would reach
    /// into the upper half's memory and signal ownership, which the design forbids.
    static let quietMPISettings: [EnvironmentSetting] = [
        EnvironmentSetting("UCX_MEM_EVENTS", "no"),
        EnvironmentSetting("UCX_MEM_MALLOC_HOOKS", "no"),
        EnvironmentSetting("OMPI_MCA_memory", "^patcher"),
        EnvironmentSetting("OMPI_MCA_opal_signal", ""),
    ]

    /// The variable naming the coordinator's socket to the engine in each rank.
    static let coordinatorVariable = "CKPT_MPI_COORD"
    /// See `LaunchRequest.localDirectory`.
    static let localDirectoryVariable = "CKPT_MPI_LOCAL_DIR"
    /// See `LaunchRequest.lazyRestore`.
    static let lazyRestoreVariable = "CKPT_MPI_RESTORE_LAZY"
    /// The job marker: every process of a job with a coordinator carries the checkpoint directory in it.
    static let jobDirectoryVariable = "CKPT_MPI_JOB_DIR"
    /// Tells the lower half to die with its parent (PR_SET_PDEATHSIG), set for supervised jobs only.
    static let dieWithParentVariable = "CKPT_MPI_DIE_WITH_PARENT"

    func plan(_ request: LaunchRequest) -> LaunchPlan {
        let oversubscribed = request.ranks > onlineCores
        var environment: [EnvironmentSetting] = []
        if oversubscribed {
            // The lower half's wait loops yield the CPU instead of spinning against other ranks.
            environment.append(EnvironmentSetting("CKPT_MPI_OVERSUBSCRIBED", "1"))
        }
        if let level = request.debugLevel { environment.append(EnvironmentSetting("CKPT_MPI_DEBUG", level)) }
        if let local = request.localDirectory, request.restore != nil {
            environment.append(EnvironmentSetting(Self.localDirectoryVariable, local))
        }
        if request.lazyRestore, request.restore != nil {
            environment.append(EnvironmentSetting(Self.lazyRestoreVariable, "1"))
        }
        if let tcp = request.coordinatorTCP {
            environment.append(EnvironmentSetting(Self.coordinatorVariable, tcp.endpoint(port: 0)))
        } else if let socket = request.coordinatorSocket {
            environment.append(EnvironmentSetting(Self.coordinatorVariable, socket))
        }
        if let directory = request.jobDirectory {
            environment.append(EnvironmentSetting(Self.jobDirectoryVariable, directory))
        }
        // A rank dies with its launcher (mpirun, hydra_pmi_proxy, or ckpt-mpi itself without
        // MPI), which dies with ckpt-mpi: nothing of a supervised job outlives its supervisor.
        // Not when ckpt-mpi execs the lower half: its parent is then the user's shell, which
        // may well end first (nohup, a batch script's background job).
        let supervised: Bool
        switch request.mode {
        case .mpi: supervised = true
        case .noMPI: supervised = request.coordinatorSocket != nil
        }
        if supervised { environment.append(EnvironmentSetting(Self.dieWithParentVariable, "1")) }
        if let compression = request.compression {
            environment.append(EnvironmentSetting(ImageCompression.environmentVariable, compression.environmentValue))
        }
        if let jobID = request.jobID {
            environment.append(EnvironmentSetting(JobIdentity.environmentVariable, jobID))
        }
        if let tcp = request.coordinatorTCP {
            environment.append(EnvironmentSetting(JobSecret.environmentVariable, tcp.secret.hex))
        }
        var lowerHalfArguments = ["--face-dir", request.faceDirectory]
        if let engine = request.engine { lowerHalfArguments += ["--engine", engine] }
        if let restore = request.restore {
            lowerHalfArguments += ["--restore", restore]
        } else {
            lowerHalfArguments += ["--", request.program] + request.programArguments
        }

        switch request.mode {
        case .noMPI(let lowerHalf):
            // With a coordinator ckpt-mpi must stay: the coordinator lives in this process.
            return LaunchPlan(executable: lowerHalf, arguments: [lowerHalf] + lowerHalfArguments,
                              environment: environment, supervised: supervised,
                              oversubscribed: oversubscribed)
        case .mpi(let mpi):
            environment += Self.quietMPISettings
            var arguments = [mpi.launcher, mpi.flavour.rankCountOption, String(request.ranks)]
            switch mpi.flavour {
            case .openmpi:
                if userID == 0 {
                    environment.append(EnvironmentSetting("OMPI_ALLOW_RUN_AS_ROOT", "1"))
                    environment.append(EnvironmentSetting("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"))
                }
                if oversubscribed {
                    environment.append(EnvironmentSetting("OMPI_MCA_mpi_yield_when_idle", "1"))
                    // Open MPI refuses more ranks than slots; a repeated flag is harmless but noisy.
                    if !request.launcherArguments.contains(where: { $0 == "--oversubscribe" || $0 == "-oversubscribe" }) {
                        arguments.append("--oversubscribe")
                    }
                }
                // mpirun forwards OMPI_* by itself but other variables only with -x; without
                // this, ranks on other hosts would run with MPI's hooks and without our knobs.
                for setting in environment where !setting.name.hasPrefix("OMPI_") {
                    arguments += ["-x", setting.name]
                }
                for name in inheritedSettings where !environment.contains(where: { $0.name == name }) {
                    arguments += ["-x", name]
                }
                if let hosts = request.hosts { arguments += ["--host", hosts.launcherText] }
            case .mpich:
                // Hydra forwards the whole environment by default.
                if let hosts = request.hosts { arguments += ["-hosts", hosts.launcherText] }
            }
            arguments += request.launcherArguments
            arguments.append(mpi.lowerHalf)
            arguments += lowerHalfArguments
            return LaunchPlan(executable: mpi.launcher, arguments: arguments, environment: environment,
                              supervised: supervised, oversubscribed: oversubscribed)
        }
    }
}
