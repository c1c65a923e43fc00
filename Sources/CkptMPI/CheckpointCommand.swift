import ArgumentParser
import Foundation

/// `ckpt-mpi checkpoint`: asks a running job's coordinator for a consistent checkpoint.
struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Checkpoint a running job now.",
        discussion: """
            Writes a consistent checkpoint of all ranks of a job started with 'ckpt-mpi run --ckpt-dir DIR', \
            from another shell or a batch system's pre-timeout hook, at any moment: the ranks first reach a \
            consistent cut (every started collective completed, every message in flight drained into the \
            images), then write. Prints one line (with how long reaching the cut took) and exits 0 when the \
            checkpoint is durable; prints the first error and exits 1 when it failed (earlier checkpoints \
            are then untouched).

            A coordinator that does not answer within --timeout (stopped, e.g. by SIGSTOP, or hung) \
            makes the command print one line naming the job and exit 1. The request stays with the \
            coordinator: if it resumes, it still takes the checkpoint (and with --kill stops the job).
            """)

    @Option(name: .customLong("ckpt-dir"),
            help: ArgumentHelp("Checkpoint directory of the job (default: $CKPT_MPI_DIR, else ./ckpt).", valueName: "dir"))
    var checkpointDirectory: String?

    @Flag(help: "Stop the job with this checkpoint: no rank runs the application after its image; the job ends once the checkpoint is durable (ckpt-mpi run exits 75).")
    var kill = false

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    @Option(parsing: .unconditional,
            help: ArgumentHelp("Give up when the coordinator has not answered within DURATION, e.g. 30, 90s, 5m (default: twice the job's --checkpoint-timeout plus a minute, 21m unless set).",
                               valueName: "duration"),
            transform: CheckpointInterval.init(parsing:))
    var timeout: CheckpointInterval?

    func run() throws {
        let directory = CheckpointDirectory.resolve(checkpointDirectory, environment: ProcessInfo.processInfo.environment)
        let client = CoordinatorClient(directory: directory)
        let report = try client.checkpoint(kill: kill, timeout: timeout.map { Double($0.seconds) } ?? client.defaultTimeout())
        print(json ? CheckpointJSON.string(report) : report.summary + (kill ? "; stopping the job" : ""))
    }
}
