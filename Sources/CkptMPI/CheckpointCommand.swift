import ArgumentParser

/// `ckpt-mpi checkpoint`: asks a running job's coordinator for a consistent checkpoint.
struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Checkpoint a running job now.",
        discussion: """
            Writes a consistent checkpoint of all ranks of a job started with 'ckpt-mpi run', \
            from another shell or a batch system's pre-timeout hook.
            """)

    @Option(name: .customLong("ckpt-dir"),
            help: ArgumentHelp("Directory of the job to checkpoint (default: the job's own).", valueName: "dir"))
    var checkpointDirectory: String?

    @Flag(help: "Stop the job once the checkpoint is complete.")
    var kill = false

    func run() throws {
        throw CLIFailure.notImplemented("checkpoint")
    }
}
