import ArgumentParser

/// `ckpt-mpi list`: lists the checkpoints stored in a directory.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the checkpoints in a checkpoint directory.")

    @Argument(help: ArgumentHelp("The checkpoint directory.", valueName: "dir"))
    var checkpointDirectory: String

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    func run() throws {
        throw CLIFailure.notImplemented("list")
    }
}
