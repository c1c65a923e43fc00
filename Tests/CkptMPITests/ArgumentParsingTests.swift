import Foundation
import XCTest
import ArgumentParser
@testable import CkptMPI

/// How `ckpt-mpi run` and its siblings read their command lines.
final class ArgumentParsingTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> RunCommand {
        try RunCommand.parse(arguments)
    }

    private func usageError(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try CkptMPICommand.parseAsRoot(arguments)
            XCTFail("\(arguments) parsed", file: file, line: line)
            return nil
        } catch {
            let failure = CkptMPICommand.failure(for: error, arguments: arguments)
            XCTAssertEqual(failure?.exitStatus, ExitStatus.usage, file: file, line: line)
            return failure?.message
        }
    }

    func testDefaults() throws {
        let command = try run(["--", "./app"])
        XCTAssertEqual(command.rankCount, 1)
        XCTAssertNil(command.mpi)
        XCTAssertFalse(command.noMPI)
        XCTAssertFalse(command.verbose)
        XCTAssertFalse(command.dryRun)
        XCTAssertEqual(command.launcherArguments, [])
        XCTAssertEqual(command.programAndArguments, ["./app"])
    }

    func testRankCountSpellings() throws {
        XCTAssertEqual(try run(["-np", "4", "--", "./app"]).rankCount, 4)
        XCTAssertEqual(try run(["-n", "3", "--", "./app"]).rankCount, 3)
        XCTAssertEqual(try run(["--np", "5", "--", "./app"]).rankCount, 5)
        XCTAssertEqual(try run(["-np=6", "--", "./app"]).rankCount, 6)
    }

    func testEverythingAfterTerminatorBelongsToTheProgram() throws {
        let command = try run(["-np", "2", "--", "./app", "--verbose", "-np", "9", "--", "x"])
        XCTAssertEqual(command.rankCount, 2)
        XCTAssertFalse(command.verbose)
        XCTAssertEqual(command.programAndArguments, ["./app", "--verbose", "-np", "9", "--", "x"])
    }

    func testProgramWithoutTerminatorTakesTheRestLikeMpirun() throws {
        let command = try run(["--verbose", "./app", "--verbose", "-x"])
        XCTAssertTrue(command.verbose)
        XCTAssertEqual(command.programAndArguments, ["./app", "--verbose", "-x"])
    }

    func testProgramNamedLikeAnOptionNeedsTheTerminator() throws {
        XCTAssertEqual(try run(["--", "-weird"]).programAndArguments, ["-weird"])
        XCTAssertEqual(usageError(["run", "--frobnicate", "./app"]),
                       "unknown option '--frobnicate' (see 'ckpt-mpi help run')")
    }

    func testRepeatedLauncherArgumentsKeepOrderAndMayLookLikeOptions() throws {
        let command = try run(["--mpirun-arg", "--bind-to", "--mpirun-arg", "core", "--mpirun-arg=-x",
                               "--mpirun-arg", "FOO", "--", "./app"])
        XCTAssertEqual(command.launcherArguments, ["--bind-to", "core", "-x", "FOO"])
        XCTAssertEqual(command.programAndArguments, ["./app"])
    }

    func testFlavourAndCheckpointOptions() throws {
        let directory = try TemporaryDirectory()
        let command = try run(["--mpi", "mpich", "--ckpt-dir", directory.path, "--interval", "10m", "--dry-run",
                               "--", "./app"])
        XCTAssertEqual(command.mpi, .mpich)
        XCTAssertEqual(command.checkpointDirectory, directory.path)
        XCTAssertEqual(command.interval, CheckpointInterval(seconds: 600))
        XCTAssertTrue(command.dryRun)
        // Not existing yet is fine: it will be created when checkpointing exists.
        XCTAssertNoThrow(try run(["--ckpt-dir", directory.path + "/later", "--", "./app"]))
    }

    func testUsageErrorsAreOneLineWithExit2() throws {
        XCTAssertEqual(usageError(["run", "-np", "0", "--", "./app"]),
                       "-np must be at least 1, not 0 (see 'ckpt-mpi help run')")
        XCTAssertEqual(usageError(["run", "--no-mpi", "-np", "2", "--", "./app"]),
                       "--no-mpi runs a single process; it cannot be combined with -np 2 (see 'ckpt-mpi help run')")
        XCTAssertEqual(usageError(["run", "--no-mpi", "--mpi", "mpich", "--", "./app"]),
                       "--no-mpi and --mpi mpich contradict each other (see 'ckpt-mpi help run')")
        XCTAssertEqual(usageError(["run", "-np", "2"]),
                       "missing program: usage is ckpt-mpi run [options] -- PROGRAM [ARGS...] (see 'ckpt-mpi help run')")
        XCTAssertEqual(usageError(["run", "--"]),
                       "missing program: usage is ckpt-mpi run [options] -- PROGRAM [ARGS...] (see 'ckpt-mpi help run')")
        XCTAssertTrue(usageError(["run", "--mpi", "lam", "--", "./app"])?.contains("'lam'") ?? false)
        XCTAssertTrue(usageError(["run", "--interval", "often", "--", "./app"])?.hasPrefix(
            "The value 'often' is invalid for '--interval <duration>'") ?? false)
        XCTAssertEqual(usageError(["frobnicate"]), "Unexpected argument 'frobnicate' (see 'ckpt-mpi --help')")
        let directory = try TemporaryDirectory()
        let file = try directory.file("plain", "x")
        XCTAssertEqual(usageError(["run", "--ckpt-dir", file, "--", "./app"]),
                       "--ckpt-dir \(file) exists and is not a directory (see 'ckpt-mpi help run')")
    }

    func testHelpAndVersionAreLeftToArgumentParser() {
        for arguments in [["--help"], ["--version"], ["run", "--help"], ["help", "run"]] {
            do {
                var command = try CkptMPICommand.parseAsRoot(arguments)
                try command.run()
                XCTFail("\(arguments) did not exit")
            } catch {
                XCTAssertNil(CkptMPICommand.failure(for: error, arguments: arguments), "\(arguments): \(error)")
                XCTAssertEqual(CkptMPICommand.exitCode(for: error), .success, "\(arguments)")
            }
        }
        XCTAssertEqual(CkptMPICommand.configuration.version, "0.1.0")
    }

    func testRootHelpListsTheWholeProduct() {
        let help = CkptMPICommand.helpMessage()
        for name in ["run", "checkpoint", "restart", "status", "list", "inspect"] {
            XCTAssertTrue(help.contains("\n  \(name) "), "\(name) missing from\n\(help)")
        }
    }

    func testInspectOfAMissingImageFailsWithOneLineNamingIt() throws {
        var command = try CkptMPICommand.parseAsRoot(["inspect", "/nonexistent/rank0.img", "--json"])
        XCTAssertThrowsError(try command.run()) { error in
            guard let failure = CkptMPICommand.failure(for: error) else { return XCTFail("not a CLI failure: \(error)") }
            XCTAssertEqual(failure.exitStatus, 1)
            XCTAssertTrue(failure.message.contains("/nonexistent/rank0.img"), failure.message)
            XCTAssertFalse(failure.message.contains("\n"), "one line")
        }
    }

    func testRestartKeepsLauncherOptionsAfterTerminator() throws {
        let command = try RestartCommand.parse(["ck", "-np", "4", "--mpi", "openmpi", "--", "--host", "a,b"])
        XCTAssertEqual(command.checkpointDirectory, "ck")
        XCTAssertEqual(command.ranks, 4)
        XCTAssertEqual(command.mpi, .openmpi)
        XCTAssertEqual(command.launcherArguments, ["--host", "a,b"])
    }

    func testSystemCallErrorsBecomeExit1WithCallAndReason() {
        XCTAssertEqual(CkptMPICommand.failure(for: SystemCallError("mkdir", "/x", errno: EACCES)),
                       CLIFailure("mkdir(/x): Permission denied", exitStatus: 1))
        XCTAssertNil(CkptMPICommand.failure(for: ExitCode(3)))
    }
}
