import ArgumentParser

/// `ckpt-mpi status`: shows jobs running under ckpt-mpi and their checkpoint state.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show running ckpt-mpi jobs and their checkpoint state.")

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    func run() throws {
        throw CLIFailure.notImplemented("status")
    }
}
