import ArgumentParser

/// `ckpt-mpi list`: lists the checkpoints stored in a directory.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the checkpoints in a checkpoint directory.",
        discussion: """
            One line per generation, oldest first: complete ones (those restart would take: manifest \
            consistent, every image header intact and of this job) with time, ranks, size, MPI and \
            transport; incomplete (no manifest) and damaged ones with the reason they cannot be restarted.
            """)

    @Argument(help: ArgumentHelp("The checkpoint directory.", valueName: "dir"))
    var checkpointDirectory: String

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    func run() throws {
        let directory = CheckpointDirectory(checkpointDirectory)
        try directory.checkExists()
        let generations = try GenerationSummary.all(in: directory)
        if json {
            print(CheckpointJSON.string(generations, pretty: true), terminator: "")
        } else if generations.isEmpty {
            print("no checkpoints in \(directory.path)")
        } else {
            for generation in generations { print(generation.line) }
        }
    }
}
