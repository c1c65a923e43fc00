import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `ckpt-mpi restart`: resumes a job from its newest complete checkpoint.
struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart a job from its newest complete checkpoint.",
        discussion: """
            Resumes the job saved in DIR on the same or another MPI, transport and host set. \
            Options after -- go to the MPI launcher. The restarted job is the same job (same job id) \
            with a coordinator on the same DIR, and its checkpoints continue the generation numbers. \
            Refused while a job runs on DIR; processes of an earlier job on DIR (ranks of a job whose \
            ckpt-mpi was killed) are waited for up to 5 s. A generation left incomplete by a ckpt-mpi \
            that died during a checkpoint is removed.

            Before anything starts, the generation is verified: its manifest, every image header and \
            metadata checksum, and that every image belongs to this job. Without --gen, restart takes \
            the newest generation that verifies and prints one line for each newer one it skips and why; \
            with --gen N it restarts that one or fails. DIR must be private (not writable by group or \
            others: chmod 700 DIR).

            --host/--hostfile place the ranks on any hosts in any layout (the rank count must match); \
            ranks on other hosts reach the coordinator over TCP with a new secret.

            With --local-dir DIR each rank restores from its node's copy DIR/JOBID/gen-NNNNNN/rank-RRRR.img \
            when that one has the shared image's size, header and metadata and its data matches its \
            checksums, else from the shared checkpoint directory; later checkpoints go through DIR as with run --local-dir.

            With --lazy each rank resumes as soon as its threads and mappings are back; its big private \
            regions (1 MiB of data or more) arrive on first touch and in the background at full read speed. \
            A region's checksum is checked once it is all in: a damaged image then kills the rank with one \
            line. A checkpoint of the rank waits until it has every page.
            """)

    @Argument(help: ArgumentHelp("The checkpoint directory.", valueName: "dir"))
    var checkpointDirectory: String

    @Option(name: .customLong("gen"), parsing: .unconditional,
            help: ArgumentHelp("Restart from generation N (no fallback) instead of the newest one that verifies.", valueName: "N"))
    var generation: Int?

    @Option(help: ArgumentHelp("MPI to restart with: openmpi or mpich (default: the one the checkpoint was written on if usable, else as for run).", valueName: "mpi"))
    var mpi: MPIFlavour?

    // .unconditional: ArgumentParser takes `-1` for an option and would say "Missing value";
    // validate() then names the option and the bad number.
    @Option(name: [.customShort("n"), .customLong("np", withSingleDash: true), .customLong("np")], parsing: .unconditional,
            help: ArgumentHelp("Number of ranks (must match the checkpoint).", valueName: "N"))
    var ranks: Int?

    @Option(name: .customLong("mpirun-arg"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Pass ARG to the MPI launcher; repeat for several.", valueName: "ARG"))
    var mpirunArguments: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Checkpoint every DURATION, e.g. 90, 30s, 10m, 1h.", valueName: "duration"),
            transform: CheckpointInterval.init(parsing:))
    var interval: CheckpointInterval?

    @OptionGroup(title: "Checkpoint options")
    var checkpointing: CheckpointOptions

    @OptionGroup(title: "Hosts")
    var placement: HostOptions

    @Flag(help: ArgumentHelp("Resume each rank before its big private memory regions are read: their pages arrive on first touch while the rest streams in (userfaultfd; a region's checksum is checked once it is in, and a damaged one then kills the rank)."))
    var lazy = false

    @Flag(help: "Print the launch command line on stderr and turn on debug output of the halves.")
    var verbose = false

    @Flag(name: .customLong("dry-run"),
          help: "Check everything and print the launch command and environment instead of running.")
    var dryRun = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("Options for the MPI launcher, after --.",
                                                           valueName: "launcher-option"))
    var launcherArguments: [String] = []

    func validate() throws {
        if let ranks, ranks < 1 { throw ValidationError("-np must be at least 1, not \(ranks)") }
        if let generation, generation < 1 { throw ValidationError("--gen must be at least 1, not \(generation)") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let launcher = Launcher.forThisMachine()
        // A directory in use is refused before its checkpoints are looked at: whatever they
        // hold, a job is running on them.
        let directory = CheckpointDirectory(checkpointDirectory)
        let lock = dryRun || !directory.exists ? nil : try CoordinatorLock.acquire(in: directory)
        let restart = try prepare(environment: environment, installation: Installation.current(environment: environment),
                                  launcher: launcher, temporaryDirectory: environment["TMPDIR"] ?? "/tmp")
        for line in restart.skipped { Log.note(line) }
        let plan = launcher.plan(restart.request)
        if dryRun {
            Log.note(restart.description)
            print(plan.script)
            return
        }
        if verbose { Log.info("launching: \(plan.commandLine)") }
        var configuration = checkpointing.configuration(
            directory: restart.directory, job: restart.job, transport: restart.transport, interval: interval,
            debug: restart.request.debugLevel == "1")
        configuration.tcp = restart.request.coordinatorTCP
        let coordinator = Coordinator(configuration: configuration)
        let status = try CoordinatedJob(coordinator: coordinator, checkpointSignal: checkpointing.checkpointSignal)
            .run(plan, environment: environment, lock: lock, announcement: restart.description)
        if status != 0 { throw ExitCode(status) }
    }

    /// Chooses and checks the generation and builds the launch; separate from `run` for tests.
    func prepare(environment: [String: String], installation: Installation, launcher: Launcher,
                 temporaryDirectory: String) throws -> RestartLaunch {
        let directory = CheckpointDirectory(checkpointDirectory)
        try directory.checkExists()
        try directory.checkPrivate()
        let original = try? JobDescription.read(from: directory)
        let knownJob = original?.jobId.flatMap { JobIdentity.isWellFormed($0) ? $0 : nil }
        let choice = try RestartLaunch.choose(generation, in: directory, jobID: knownJob)
        let entry = choice.entry, manifest = choice.manifest
        let name = "\(CheckpointDirectory.generationName(entry.number)) in \(directory.path)"
        if let ranks, ranks != manifest.ranks {
            throw CLIFailure("\(name) holds \(manifest.ranks) rank\(manifest.ranks == 1 ? "" : "s"); it cannot be restarted with -np \(ranks)",
                             exitStatus: ExitStatus.usage)
        }

        if let original {
            try RestartLaunch.checkProgramABI(of: original, image: entry.path + "/" + CheckpointDirectory.imageName(rank: 0),
                                              generation: name)
        }
        try RestartLaunch.checkMappedFiles(in: entry.path, ranks: manifest.ranks, generation: name)

        let mode: LaunchRequest.Mode
        let restore: String
        if manifest.flavour == "none" {
            if let mpi { throw CLIFailure("\(name) was written by a --no-mpi job; it restarts without MPI, not with --mpi \(mpi.rawValue)") }
            if !(mpirunArguments + launcherArguments).isEmpty || placement.given {
                throw CLIFailure("\(name) was written by a --no-mpi job; launcher and host options cannot apply")
            }
            mode = try .select(noMPI: true, mpi: nil, installation: installation)
            restore = entry.path + "/" + CheckpointDirectory.imageName(rank: 0)
        } else {
            // Default to the MPI the job ran on, so a plain restart changes nothing it need not.
            let original = MPIFlavour(rawValue: manifest.flavour)
            let preferred = mpi ?? original.flatMap { (try? installation.selectMPI(requested: $0)) != nil ? $0 : nil }
            mode = try .select(noMPI: false, mpi: preferred, installation: installation)
            restore = entry.path  // each rank opens rank-RRRR.img by its own rank
        }

        // The same job continues; checkpoints from before job ids get one from now on.
        let jobID = knownJob ?? manifest.jobId ?? JobIdentity.make()
        let job = JobDescription(
            np: manifest.ranks, mpi: mode.flavourName, program: original?.program ?? "?",
            arguments: original?.arguments ?? [], cwd: original?.cwd ?? FileManager.default.currentDirectoryPath,
            startTime: CheckpointJSON.timestamp(), coordinatorPid: Int(getpid()), restoredFrom: entry.number,
            jobId: jobID, fullEvery: checkpointing.incrementalFullEvery ?? original?.fullEvery)
        let allLauncherArguments = mpirunArguments + launcherArguments
        let transport = Transport.describe(flavour: job.mpi, environment: environment,
                                           launcherArguments: allLauncherArguments)
        let faceDirectory = try FaceDirectory.prepare(for: installation, temporaryDirectory: temporaryDirectory,
                                                      userID: launcher.userID)
        let inheritedDebug = environment["CKPT_MPI_DEBUG"].flatMap { $0.isEmpty ? nil : $0 }
        var request = LaunchRequest(
            mode: mode, ranks: manifest.ranks, launcherArguments: allLauncherArguments, faceDirectory: faceDirectory,
            program: job.program, programArguments: job.arguments, debugLevel: inheritedDebug ?? (verbose ? "1" : nil))
        try placement.checkNotAlsoIn(allLauncherArguments)
        request.hosts = try placement.hosts()
        request.coordinatorSocket = directory.socketPath
        // A fresh secret: the one of the job that wrote the images may have been seen by anyone since.
        if let address = try placement.coordinatorListenAddress(hosts: request.hosts) {
            request.coordinatorTCP = TCPListening(address: address, secret: JobSecret.make())
        }
        request.jobDirectory = directory.path
        request.jobID = jobID
        request.restore = restore
        request.localDirectory = checkpointing.absoluteLocalDirectory
        request.compression = checkpointing.compress
        request.lazyRestore = lazy
        let description = "restarting \(CheckpointDirectory.generationName(entry.number)) (\(manifest.ranks) rank\(manifest.ranks == 1 ? "" : "s"), "
            + "written on \(manifest.flavour), transport \(manifest.transport)) on \(job.mpi), transport \(transport)"
        return RestartLaunch(directory: directory, generation: entry.number, manifest: manifest, job: job,
                             transport: transport, request: request, skipped: choice.skipped, description: description)
    }
}

/// A checked restart: which generation, and how to launch it.
struct RestartLaunch {
    let directory: CheckpointDirectory
    let generation: Int
    let manifest: Manifest
    /// The job.json of the restarted job.
    let job: JobDescription
    /// The transport the restarted job will use.
    let transport: String
    let request: LaunchRequest
    /// One line for stderr per newer generation that did not verify, saying why.
    let skipped: [String]
    /// One line for stderr: from which MPI/transport to which.
    let description: String

    /// The generation to restart and the notes about newer ones passed over.
    struct Choice {
        let entry: GenerationEntry
        let manifest: Manifest
        let skipped: [String]
    }

    /// Refuses a restart when the job's program file now needs the other face than the one the
    /// image recorded (`program_abi`): the program was rebuilt against the other MPI since, and a
    /// restart would resume the old build's memory under the new build's name. Unknown on either
    /// side (an image from before the field, a program gone or naming no MPI itself) passes.
    static func checkProgramABI(of job: JobDescription, image: String, generation name: String) throws {
        guard let recorded = try? ImageFile(path: image).header.programAbi, ["mpich", "openmpi"].contains(recorded) else {
            return
        }
        let path = job.program.hasPrefix("/") ? job.program : job.cwd + "/" + job.program
        guard let needed = ProgramCheck.neededLibraries(ofFile: path),
              let now = ProgramCheck.faceABI(neededLibraries: needed), now != recorded else { return }
        let compiler = recorded == "openmpi" ? "mpicc.openmpi" : "mpicc.mpich"
        throw CLIFailure("\(name) was checkpointed from \(job.program) \(ProgramCheck.describeFaceABI(recorded)), but "
                         + "\(job.program) is now \(ProgramCheck.describeFaceABI(now)): a restart resumes the old build, "
                         + "not this one; rebuild it with \(compiler) to restart, or start the new build with 'ckpt-mpi run'",
                         exitStatus: ExitStatus.cannotExecute)
    }

    /// Refuses a restart, before anything starts, when a file the images map by reference
    /// (format 2) is here but changed since the checkpoint: the restored memory would be other
    /// pages under the application's pointers. A file missing here is left to the ranks, which
    /// check every file again on their own hosts (restore.c) and refuse it there.
    static func checkMappedFiles(in generationPath: String, ranks: Int, generation name: String) throws {
        var seen = Set<String>()
        for rank in 0..<ranks {
            guard let image = try? ImageFile(path: generationPath + "/" + CheckpointDirectory.imageName(rank: rank)) else {
                continue  // the lower half reports a damaged or missing image with its own line
            }
            for f in image.mappedFiles where seen.insert(f.path + " " + f.hash).inserted {
                guard FileManager.default.fileExists(atPath: f.path), let change = ImageFile.change(of: f) else { continue }
                throw CLIFailure("\(name) cannot be restarted: \(f.path) changed since the checkpoint (\(change)); "
                                 + "restore the file, or checkpoint with CKPT_MPI_IMAGE_FILES=content")
            }
        }
    }

    /// The generation asked for, which must verify (`GenerationCheck`); else the newest that
    /// verifies, so a damaged or foreign newest generation does not stop a plain restart.
    static func choose(_ requested: Int?, in directory: CheckpointDirectory, jobID: String?) throws -> Choice {
        let entries = try directory.generations()
        let list = "see 'ckpt-mpi list \(directory.path)'"
        if let requested {
            guard let entry = entries.first(where: { $0.number == requested }) else {
                throw CLIFailure("there is no generation \(requested) in \(directory.path) (\(list))")
            }
            guard entry.hasManifest else {
                throw CLIFailure("generation \(requested) in \(directory.path) is incomplete (no manifest); it cannot be restarted")
            }
            let check = GenerationCheck(entry, jobID: jobID)
            guard let manifest = check.manifest, check.problem == nil else {
                throw CLIFailure("\(CheckpointDirectory.generationName(requested)) in \(directory.path) cannot be restarted: "
                                 + (check.problem ?? "no manifest"))
            }
            return Choice(entry: entry, manifest: manifest, skipped: [])
        }
        let candidates = entries.filter(\.hasManifest).reversed()
        guard !candidates.isEmpty else {
            throw CLIFailure("no complete checkpoint in \(directory.path)"
                             + (entries.isEmpty ? "" : " (only incomplete generations, without a manifest)"))
        }
        var failed: [GenerationCheck] = []
        for entry in candidates {
            let check = GenerationCheck(entry, jobID: jobID)
            guard let manifest = check.manifest, check.problem == nil else {
                failed.append(check)
                continue
            }
            let chosen = CheckpointDirectory.generationName(entry.number)
            let skipped = failed.map {
                "skipping \(CheckpointDirectory.generationName($0.entry.number)): \($0.problem ?? "?"); restarting \(chosen)"
            }
            return Choice(entry: entry, manifest: manifest, skipped: skipped)
        }
        if failed.count == 1, let only = failed.first {
            throw CLIFailure("\(CheckpointDirectory.generationName(only.entry.number)) in \(directory.path) cannot be restarted: "
                             + "\(only.problem ?? "?") (it is the only complete generation; \(list), and --gen N restarts another)")
        }
        throw CLIFailure("no generation in \(directory.path) can be restarted: "
                         + failed.map { "\(CheckpointDirectory.generationName($0.entry.number)): \($0.problem ?? "?")" }
                            .joined(separator: "; ") + " (\(list))")
    }
}
