import ArgumentParser

/// `ckpt-mpi restart`: resumes a job from its newest complete checkpoint.
struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart a job from its newest complete checkpoint.",
        discussion: """
            Resumes the job saved in DIR on the same or another MPI, transport and host set. \
            Options after -- go to the MPI launcher.
            """)

    @Argument(help: ArgumentHelp("The checkpoint directory.", valueName: "dir"))
    var checkpointDirectory: String

    @Option(help: ArgumentHelp("MPI to restart with: openmpi or mpich (default: as for run).", valueName: "mpi"))
    var mpi: MPIFlavour?

    @Option(name: [.customShort("n"), .customLong("np", withSingleDash: true), .customLong("np")],
            help: ArgumentHelp("Number of ranks (must match the checkpoint).", valueName: "N"))
    var ranks: Int?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("Options for the MPI launcher, after --.",
                                                           valueName: "launcher-option"))
    var launcherArguments: [String] = []

    func run() throws {
        throw CLIFailure.notImplemented("restart")
    }
}
