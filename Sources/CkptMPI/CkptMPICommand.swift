import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The `ckpt-mpi` command: its subcommands are the whole product surface.
struct CkptMPICommand: ParsableCommand {
    /// The version `--version` prints.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "ckpt-mpi",
        abstract: "Transparent checkpoint/restart for MPI jobs.",
        discussion: """
            Runs unmodified MPI programs (built with mpicc.mpich, or with Open MPI's mpicc \
            for the C API) under Open MPI or MPICH, and checkpoints all ranks consistently \
            so the job can be restarted later, possibly with the other MPI.

            Environment: CKPT_MPI_DEBUG=1 prints the halves' debug output (as --verbose); \
            CKPT_MPI_DIR names the checkpoint directory for checkpoint, status and list; \
            CKPT_MPI_WRITER=inline writes images with the application stopped (by default a \
            copy-on-write child writes them while it runs on); CKPT_MPI_RESTORE_READERS=N \
            sets a restore's reader threads (0 to 16, default 4); CKPT_MPI_RESTORE_LAZY=1 \
            is restart --lazy; CKPT_MPI_RESTORE_STATS=1 \
            prints each rank's restore read rate and rebind times; CKPT_MPI_IMAGE_FILES=content \
            (when the job starts) stores libraries and other mapped files in the images instead \
            of by reference, for a restart where those files are not the same; \
            CKPT_MPI_COMPRESS_THREADS=N (when the job starts) sets the compressing threads of each \
            rank's writer with --compress (0 to 16, default: as many as CPUs, at most 4).
            """,
        version: version,
        subcommands: [
            RunCommand.self, CheckpointCommand.self, RestartCommand.self,
            StatusCommand.self, ListCommand.self, InspectCommand.self,
        ])

    /// Parses, runs and exits, reporting failures as one `ckpt-mpi: ` line instead of
    /// ArgumentParser's usage dump: the job's own output shares the terminal, and
    /// scripts grep for our prefix.
    static func mainReportingOneLineErrors(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Glibc.exit(0)
        } catch {
            guard let failure = failure(for: error, arguments: arguments ?? Array(CommandLine.arguments.dropFirst()))
            else { exit(withError: error) }
            Log.error(failure.message)
            Glibc.exit(failure.exitStatus)
        }
    }

    /// The one-line failure to report for `error`, or nil when ArgumentParser should
    /// handle it (help, `--version`, and explicit exit codes such as the job's status).
    /// `arguments` (without argv[0]) names the subcommand whose help a usage error points to.
    static func failure(for error: Error, arguments: [String] = []) -> CLIFailure? {
        switch error {
        case let failure as CLIFailure:
            return failure
        case let failure as SystemCallError:
            return CLIFailure(failure.description)
        case is ExitCode, is CleanExit:
            return nil
        default:
            guard exitCode(for: error) != .success else { return nil }
            let message = message(for: error)
            let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
            let subcommands = configuration.subcommands.map { $0._commandName }
            let help = arguments.first(where: subcommands.contains).map { "ckpt-mpi help \($0)" } ?? "ckpt-mpi --help"
            return CLIFailure(firstLine + " (see '\(help)')", exitStatus: ExitStatus.usage)
        }
    }
}

extension CLIFailure {
    /// The failure of a subcommand that is declared but not built yet.
    static func notImplemented(_ name: String) -> CLIFailure {
        CLIFailure("'\(name)' is not implemented yet in this build")
    }
}
