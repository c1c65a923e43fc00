import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `ckpt-mpi run`: starts an MPI job with each rank split into an upper and a lower half.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an MPI program under ckpt-mpi.",
        discussion: """
            Starts PROGRAM through the real MPI launcher (mpirun.openmpi or mpiexec.mpich). \
            Each rank runs our lower half, which loads PROGRAM with ckpt-mpi's MPI library in \
            place of the real one. PROGRAM must be a dynamically linked x86-64 MPICH-ABI \
            binary (built with mpicc.mpich). Everything after PROGRAM is passed to it. The launcher and \
            every rank end with ckpt-mpi, however it ends (even kill -9). With --ckpt-dir, one job at a \
            time runs on a directory.

            With --host or --hostfile the ranks run on those hosts (one syntax for both MPIs); with a \
            checkpoint directory (which every host must see), ranks on other hosts reach the \
            coordinator over TCP on one address of this host, each connection proving it knows a \
            secret made for this run. With --resume, a directory holding a checkpoint that verifies is \
            restarted instead (as 'ckpt-mpi restart DIR' with these options); for batch jobs that are \
            pre-empted and requeued, see docs/batch.md.

            With --local-dir DIR each rank writes its image to DIR/JOBID/gen-NNNNNN/ on its own node and \
            resumes at once; the image is then copied into the checkpoint directory in the background, and \
            the generation is complete (listed, restartable) only once every copy and its manifest are \
            durable there. A failed copy leaves the previous complete generation the newest one.
            """)

    // .unconditional: ArgumentParser takes `-1` for an option and would say "Missing value";
    // validate() then names the option and the bad number.
    @Option(name: [.customShort("n"), .customLong("np", withSingleDash: true), .customLong("np")], parsing: .unconditional,
            help: ArgumentHelp("Number of ranks to start (default: 1).", valueName: "N"))
    var ranks: Int?

    @Option(help: ArgumentHelp(
        "MPI to launch with: openmpi or mpich (default: openmpi when installed and built, else mpich).",
        valueName: "mpi"))
    var mpi: MPIFlavour?

    @Flag(name: .customLong("no-mpi"),
          help: "Run a single process without any MPI launcher (for non-MPI programs and tests).")
    var noMPI = false

    // .unconditional so values that look like options (--bind-to) reach the launcher.
    @Option(name: .customLong("mpirun-arg"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Pass ARG to the MPI launcher before the program; repeat for several.",
                               valueName: "ARG"))
    var launcherArguments: [String] = []

    @Option(name: .customLong("ckpt-dir"),
            help: ArgumentHelp("Directory for checkpoints; turns checkpointing on (default with other checkpoint options: $CKPT_MPI_DIR, else ./ckpt).",
                               valueName: "dir"))
    var checkpointDirectory: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Checkpoint every DURATION, e.g. 90, 30s, 10m, 1h.",
                                                        valueName: "duration"),
            transform: CheckpointInterval.init(parsing:))
    var interval: CheckpointInterval?

    @OptionGroup(title: "Checkpoint options")
    var checkpointing: CheckpointOptions

    @Flag(help: "Restart from the newest generation in the checkpoint directory that verifies, as 'ckpt-mpi restart DIR' with these options would; start PROGRAM afresh when there is none (for batch jobs that are requeued).")
    var resume = false

    @OptionGroup(title: "Hosts")
    var placement: HostOptions

    @Flag(help: "Print the launch command line on stderr and turn on debug output of the halves.")
    var verbose = false

    @Flag(name: .customLong("dry-run"),
          help: "Check everything and print the launch command and environment instead of running.")
    var dryRun = false

    // captureForPassthrough: everything from PROGRAM on belongs to the program, as with mpirun.
    @Argument(parsing: .captureForPassthrough,
              help: ArgumentHelp("The program to run and its arguments, after --.", valueName: "program"))
    var command: [String] = []

    /// PROGRAM and its arguments, without the `--` that may separate them from our options.
    var programAndArguments: [String] {
        command.first == "--" ? Array(command.dropFirst()) : command
    }

    /// The number of ranks to start.
    var rankCount: Int { ranks ?? 1 }

    func validate() throws {
        if let ranks, ranks < 1 {
            throw ValidationError("-np must be at least 1, not \(ranks)")
        }
        if noMPI {
            if rankCount > 1 {
                throw ValidationError("--no-mpi runs a single process; it cannot be combined with -np \(rankCount)")
            }
            if let mpi { throw ValidationError("--no-mpi and --mpi \(mpi.rawValue) contradict each other") }
            if !launcherArguments.isEmpty { throw ValidationError("--mpirun-arg needs an MPI launcher; drop --no-mpi") }
            if placement.given { throw ValidationError("--host, --hostfile and --coordinator-address need an MPI launcher; drop --no-mpi") }
        }
        if let checkpointDirectory {
            if checkpointDirectory.isEmpty { throw ValidationError("--ckpt-dir must not be empty") }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: checkpointDirectory, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                throw ValidationError("--ckpt-dir \(checkpointDirectory) exists and is not a directory")
            }
        }
        guard let program = programAndArguments.first else {
            throw ValidationError("missing program: usage is ckpt-mpi run [options] -- PROGRAM [ARGS...]")
        }
        // captureForPassthrough also captures --help and mistyped options of ours; don't run them.
        if command.first != "--" && (program == "--help" || program == "-h") {
            throw CleanExit.helpRequest(Self.self)
        }
        if program.hasPrefix("-") && command.first != "--" {
            throw ValidationError("unknown option '\(program)'")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let installation = try Installation.current(environment: environment)
        var directory: CheckpointDirectory?
        if checkpointDirectory != nil || interval != nil || checkpointing.requestsCheckpointing || resume {
            // Without the engine no rank could ever answer; say so instead of pretending.
            if installation.checkpointEngine != nil {
                directory = CheckpointDirectory.resolve(checkpointDirectory, environment: environment)
            } else {
                Log.note("checkpointing is not available yet; running without it")
            }
        }
        if directory == nil, let address = placement.coordinatorAddress {
            Log.note("--coordinator-address \(address) has no effect without checkpointing (--ckpt-dir): there is no coordinator")
        }
        if resume, let directory, let restart = try resumption(of: directory) {
            return try restart.run()
        }
        var request = try makeRequest(environment: environment, installation: installation, launcher: .forThisMachine(),
                                      temporaryDirectory: environment["TMPDIR"] ?? "/tmp", checkpointDirectory: directory)
        let jobID = JobIdentity.make()
        if let directory {
            // Refused before anything starts; the coordinator's create() checks again when it opens.
            if directory.exists { try directory.checkPrivate() }
            request.jobID = jobID
        }
        let plan = Launcher.forThisMachine().plan(request)
        if dryRun {
            print(plan.script)
            return
        }
        if verbose { Log.info("launching: \(plan.commandLine)") }
        if let directory {
            let job = JobDescription(np: rankCount, mpi: request.mode.flavourName, program: request.program,
                                     arguments: request.programArguments,
                                     cwd: FileManager.default.currentDirectoryPath,
                                     startTime: CheckpointJSON.timestamp(), coordinatorPid: Int(getpid()),
                                     jobId: jobID, fullEvery: checkpointing.incrementalFullEvery)
            let transport = Transport.describe(flavour: job.mpi, environment: environment,
                                               launcherArguments: launcherArguments)
            var configuration = checkpointing.configuration(
                directory: directory, job: job, transport: transport, interval: interval,
                debug: request.debugLevel == "1")
            configuration.tcp = request.coordinatorTCP
            let coordinator = Coordinator(configuration: configuration)
            let status = try CoordinatedJob(coordinator: coordinator, checkpointSignal: checkpointing.checkpointSignal)
                .run(plan, environment: environment)
            if status != 0 { throw ExitCode(status) }
            return
        }
        let runner = JobRunner(plan: plan, baseEnvironment: environment)
        guard plan.supervised else { try runner.exec() }
        let status = try runner.run()
        if status != 0 { throw ExitCode(status) }
    }

    /// Runs every check and builds the launch; separate from `run` so tests can inject
    /// the installation, machine and environment.
    func makePlan(environment: [String: String], installation: Installation, launcher: Launcher,
                  temporaryDirectory: String, checkpointDirectory: CheckpointDirectory? = nil) throws -> LaunchPlan {
        launcher.plan(try makeRequest(environment: environment, installation: installation, launcher: launcher,
                                      temporaryDirectory: temporaryDirectory, checkpointDirectory: checkpointDirectory))
    }

    /// The checked launch request; with `checkpointDirectory` the ranks get the engine and the socket.
    func makeRequest(environment: [String: String], installation: Installation, launcher: Launcher,
                     temporaryDirectory: String, checkpointDirectory: CheckpointDirectory?) throws -> LaunchRequest {
        let program = try ProgramCheck(environment: environment).check(programAndArguments[0])
        let mode = try LaunchRequest.Mode.select(noMPI: noMPI, mpi: mpi, installation: installation)
        let faceDirectory = try FaceDirectory.prepare(for: installation, temporaryDirectory: temporaryDirectory,
                                                      userID: launcher.userID)
        let inheritedDebug = environment["CKPT_MPI_DEBUG"].flatMap { $0.isEmpty ? nil : $0 }
        var request = LaunchRequest(
            mode: mode, ranks: rankCount, launcherArguments: launcherArguments, faceDirectory: faceDirectory,
            program: program.path, programArguments: Array(programAndArguments.dropFirst()),
            debugLevel: inheritedDebug ?? (verbose ? "1" : nil))
        try placement.checkNotAlsoIn(launcherArguments)
        request.hosts = try placement.hosts()
        if let checkpointDirectory {
            request.engine = installation.checkpointEngine
            request.coordinatorSocket = checkpointDirectory.socketPath
            request.jobDirectory = checkpointDirectory.path
            request.compression = checkpointing.compress
            if let address = try placement.coordinatorListenAddress(hosts: request.hosts) {
                request.coordinatorTCP = TCPListening(address: address, secret: JobSecret.make())
            }
        }
        return request
    }

    /// With `--resume`: the restart of the newest generation of `directory` that verifies, with
    /// this run's options; nil when there is none (the run then starts afresh, saying why).
    func resumption(of directory: CheckpointDirectory) throws -> RestartCommand? {
        guard directory.exists else { return nil }
        let original = try? JobDescription.read(from: directory)
        let knownJob = original?.jobId.flatMap { JobIdentity.isWellFormed($0) ? $0 : nil }
        let entries = try directory.generations()
        guard entries.contains(where: \.hasManifest) else { return nil }
        do {
            _ = try RestartLaunch.choose(nil, in: directory, jobID: knownJob)
        } catch {
            Log.note("--resume: \(error); starting afresh")
            return nil
        }
        let given = (try? ProgramCheck(environment: ProcessInfo.processInfo.environment).check(programAndArguments[0]).path)
            ?? programAndArguments[0]
        if let original, original.program != given {
            Log.note("--resume: the checkpoint in \(directory.path) is of \(original.program); it resumes that program, not \(programAndArguments[0])")
        }
        var restart = try RestartCommand.parse([directory.path])
        restart.mpi = mpi
        restart.ranks = ranks
        restart.mpirunArguments = launcherArguments
        restart.interval = interval
        restart.checkpointing = checkpointing
        restart.placement = placement
        restart.verbose = verbose
        restart.dryRun = dryRun
        return restart
    }
}

extension LaunchRequest.Mode {
    /// The MPI-less lower half, or the MPI chosen by `--mpi` (or the default one).
    static func select(noMPI: Bool, mpi: MPIFlavour?, installation: Installation) throws -> LaunchRequest.Mode {
        if noMPI {
            guard let lowerHalf = installation.lowerHalf(named: Installation.noMPILowerHalfName) else {
                throw CLIFailure("its lower half \(Installation.noMPILowerHalfName) was not built (looked in \(installation.libexecDirectory))")
            }
            return .noMPI(lowerHalf: lowerHalf)
        }
        return .mpi(try installation.selectMPI(requested: mpi))
    }

    /// The flavour as job.json and manifests name it: openmpi, mpich or none.
    var flavourName: String {
        switch self {
        case .mpi(let mpi): return mpi.flavour.rawValue
        case .noMPI: return "none"
        }
    }
}

extension Installation {
    /// The checkpoint engine's file name in libexec.
    static let checkpointEngineName = "libckpt-engine.so"

    /// The checkpoint engine beside ckpt-mpi, nil when this build has none (checkpointing is then off).
    var checkpointEngine: String? {
        let path = sibling(Self.checkpointEngineName)
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG ? path : nil
    }
}
