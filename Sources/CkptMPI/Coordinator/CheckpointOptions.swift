import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The checkpoint policy options `run` and `restart` share.
struct CheckpointOptions: ParsableArguments {
    // .unconditional so `--keep -3` reaches validate() instead of "Missing value".
    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the newest K complete checkpoints.", valueName: "K"))
    var keep: Int = CoordinatorConfiguration.defaultKeep

    @Option(name: .customLong("checkpoint-signal"),
            help: ArgumentHelp("Checkpoint when ckpt-mpi receives SIGNAL (USR1, USR2 or TERM), e.g. a batch system's pre-timeout warning or pre-emption; TERM is then not forwarded to the job.",
                               valueName: "signal"))
    var checkpointSignal: CheckpointSignal?

    @Flag(name: .customLong("kill-after-checkpoint"),
          help: "Stop the job with every checkpoint: no rank runs the application after its image; once the checkpoint is durable ckpt-mpi exits 75 (resume with restart).")
    var killAfterCheckpoint = false

    @Option(name: .customLong("checkpoint-timeout"), parsing: .unconditional,
            help: ArgumentHelp("Fail a checkpoint when a rank has not written its image (with --local-dir: and copied it) within DURATION (default: 10m).",
                               valueName: "duration"),
            transform: CheckpointInterval.init(parsing:))
    var rankTimeout: CheckpointInterval?

    @Option(name: .customLong("local-dir"),
            help: ArgumentHelp("Node-local directory (local disk or tmpfs) for a first copy of each image: ranks write there and resume at once, the images are copied to the checkpoint directory in the background, and a generation is complete only once every copy and its manifest are durable there. A restart uses a local copy that verifies, else the shared one.",
                               valueName: "dir"))
    var localDirectory: String?

    @Option(name: .customLong("compress"),
            help: ArgumentHelp("Compress every rank's image with zstd (level 3, or LEVEL from 1 to 19), in several threads per rank; none to stop. Off by default; a restarted job keeps the setting it had unless restart --compress changes it. `inspect` shows the ratio.",
                               valueName: "zstd[:level]|none"),
            transform: ImageCompression.init(parsing:))
    var compress: ImageCompression?
    @Flag(help: "Incremental images: each checkpoint stores only the pages written since the previous one (a delta of its parent generation), with a full image every --full-every generations. A restarted job keeps the setting. Not implied by --interval: every first write to a page after a checkpoint then costs a fault (~5 µs), which only pays off when a small part of the memory changes between checkpoints (benchmarks/README.md).")
    var incremental = false

    @Option(name: .customLong("full-every"), parsing: .unconditional,
            help: ArgumentHelp("With --incremental: a full image every N generations, so a restart reads at most N images per rank (default: \(CoordinatorConfiguration.defaultFullEvery)).",
                               valueName: "N"))
    var fullEvery: Int?

    /// `--incremental`'s chain length, nil when off.
    var incrementalFullEvery: Int? {
        incremental || fullEvery != nil ? (fullEvery ?? CoordinatorConfiguration.defaultFullEvery) : nil
    }

    /// `--local-dir` made absolute (ranks start in other directories, maybe on other hosts).
    var absoluteLocalDirectory: String? {
        guard let localDirectory else { return nil }
        if localDirectory.hasPrefix("/") { return localDirectory }
        return FileManager.default.currentDirectoryPath + "/" + localDirectory
    }

    /// Whether any option asks for checkpointing (then a directory is used even without --ckpt-dir).
    var requestsCheckpointing: Bool {
        keep != CoordinatorConfiguration.defaultKeep || checkpointSignal != nil || killAfterCheckpoint || rankTimeout != nil
            || localDirectory != nil || compress != nil || incremental || fullEvery != nil
    }

    func validate() throws {
        if keep < 1 { throw ValidationError("--keep must be at least 1, not \(keep)") }
        if let fullEvery, fullEvery < 1 { throw ValidationError("--full-every must be at least 1, not \(fullEvery)") }
        if let localDirectory, localDirectory.isEmpty || localDirectory.contains(" ") || localDirectory.contains("\n") {
            throw ValidationError("--local-dir must be a directory path without spaces, not '\(localDirectory)'")
        }
    }

    /// The coordinator's configuration for a job; `debug` logs its decisions.
    func configuration(directory: CheckpointDirectory, job: JobDescription, transport: String,
                       interval: CheckpointInterval?, debug: Bool) -> CoordinatorConfiguration {
        var configuration = CoordinatorConfiguration(directory: directory, job: job, transport: transport)
        configuration.keep = keep
        configuration.rankTimeout = Double(rankTimeout?.seconds ?? Int(CoordinatorConfiguration.defaultRankTimeout))
        configuration.interval = interval.map { Double($0.seconds) }
        configuration.killAfterCheckpoint = killAfterCheckpoint
        configuration.logsDecisions = debug
        configuration.localDirectory = absoluteLocalDirectory
        configuration.fullEvery = job.fullEvery
        return configuration
    }
}

/// A signal that may trigger a checkpoint: the user signals, and TERM, which batch systems
/// send to a job they pre-empt or requeue; taken for the checkpoint, TERM is no longer
/// forwarded to the job (INT and HUP still are).
enum CheckpointSignal: String, ExpressibleByArgument, CaseIterable {
    case usr1 = "USR1"
    case usr2 = "USR2"
    case term = "TERM"

    /// Accepts USR1, SIGUSR1, usr1, TERM and the numbers 10, 12 and 15.
    init?(argument: String) {
        var name = argument.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        switch name {
        case "USR1", "\(SIGUSR1)": self = .usr1
        case "USR2", "\(SIGUSR2)": self = .usr2
        case "TERM", "\(SIGTERM)": self = .term
        default: return nil
        }
    }

    var number: Int32 {
        switch self {
        case .usr1: return SIGUSR1
        case .usr2: return SIGUSR2
        case .term: return SIGTERM
        }
    }
}
