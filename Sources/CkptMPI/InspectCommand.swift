import ArgumentParser

/// `ckpt-mpi inspect`: decodes one checkpoint image for humans or scripts.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a checkpoint image: ranks, memory regions, MPI objects, files.")

    @Argument(help: ArgumentHelp("The image file of one rank.", valueName: "image"))
    var image: String

    @Flag(help: "Print the whole image description as JSON.")
    var json = false

    func run() throws {
        throw CLIFailure.notImplemented("inspect")
    }
}
