import Foundation
import XCTest
@testable import CkptMPI

/// `restart`'s choice of generation and launch, `list`, and the launch additions for checkpointing.
final class RestartTests: XCTestCase {
    private var libexec: TemporaryDirectory!
    private var bin: TemporaryDirectory!
    private var checkpoints: TemporaryDirectory!

    override func setUpWithError() throws {
        libexec = try TemporaryDirectory()
        bin = try TemporaryDirectory()
        checkpoints = try TemporaryDirectory()
        try libexec.file("libmpi.so", "face")
        for name in ["ckpt-lower-openmpi", "ckpt-lower-mpich", "ckpt-lower-nompi"] { try libexec.script(name, "exit 0") }
        for flavour in MPIFlavour.allCases { try bin.script(flavour.launcherName, "exit 0") }
    }

    override func tearDown() {
        libexec = nil
        bin = nil
        checkpoints = nil
        super.tearDown()
    }

    private var directory: CheckpointDirectory { CheckpointDirectory(checkpoints.path) }

    private func prepare(_ arguments: [String]) throws -> RestartLaunch {
        let command = try RestartCommand.parse([checkpoints.path] + arguments)
        return try command.prepare(environment: ["OMPI_MCA_btl": "self,tcp"],
                                   installation: Installation(libexecDirectory: libexec.path, searchPath: bin.path),
                                   launcher: Launcher(onlineCores: 64, userID: 1000), temporaryDirectory: libexec.path)
    }

    private func failure(_ arguments: [String]) -> String? {
        do {
            _ = try prepare(arguments)
            return nil
        } catch {
            return CkptMPICommand.failure(for: error)?.message ?? "\(error)"
        }
    }

    func testPicksNewestCompleteGenerationAndRestoresFromItsDirectory() throws {
        try makeGeneration(2, in: directory, ranks: 4)
        try makeGeneration(3, in: directory, ranks: 4)
        try makeGeneration(4, in: directory, ranks: 4, manifest: false)
        try JobDescription(np: 4, mpi: "openmpi", program: "/bin/app", arguments: ["x"], cwd: "/w", startTime: "t",
                           coordinatorPid: 1).write(to: directory)
        let restart = try prepare(["--mpi", "mpich", "--mpirun-arg", "-hosts", "--mpirun-arg", "a,b"])
        XCTAssertEqual(restart.generation, 3)
        XCTAssertEqual(restart.job.restoredFrom, 3)
        XCTAssertEqual(restart.job.mpi, "mpich")
        XCTAssertEqual(restart.job.program, "/bin/app")
        XCTAssertEqual(restart.description,
                       "restarting gen-000003 (4 ranks, written on openmpi, transport btl=tcp,self) on mpich, transport default")
        let plan = Launcher(onlineCores: 64, userID: 1000).plan(restart.request)
        XCTAssertEqual(plan.arguments, [bin.path + "/mpiexec.mpich", "-n", "4", "-hosts", "a,b",
                                        libexec.path + "/ckpt-lower-mpich", "--face-dir", libexec.path + "/face",
                                        "--restore", directory.generationPath(3)])
        XCTAssertTrue(plan.environment.contains(EnvironmentSetting("CKPT_MPI_COORD", directory.socketPath)))
        XCTAssertTrue(plan.environment.contains(EnvironmentSetting("CKPT_MPI_JOB_DIR", directory.path)))
        XCTAssertEqual(try prepare(["--gen", "2"]).generation, 2)
        XCTAssertEqual(try prepare([]).job.mpi, "openmpi", "defaults to the MPI the checkpoint came from")
    }

    func testRefusals() throws {
        XCTAssertEqual(failure([]), "no complete checkpoint in \(directory.path)")
        try makeGeneration(1, in: directory, ranks: 2)
        try makeGeneration(2, in: directory, ranks: 2, manifest: false)
        XCTAssertEqual(failure(["-np", "3"]),
                       "gen-000001 in \(directory.path) holds 2 ranks; it cannot be restarted with -np 3")
        XCTAssertEqual(failure(["--gen", "2"]),
                       "generation 2 in \(directory.path) is incomplete (no manifest); it cannot be restarted")
        XCTAssertEqual(failure(["--gen", "9"]),
                       "there is no generation 9 in \(directory.path) (see 'ckpt-mpi list \(directory.path)')")
        try makeGeneration(3, in: directory, ranks: 2, manifestGeneration: 1)
        XCTAssertEqual(failure([]), "gen-000003 in \(directory.path) has the manifest of generation 1; refusing a mixed generation")
        try makeGeneration(4, in: directory, ranks: 2)
        truncate(directory.generationPath(4) + "/rank-0001.img", 1)
        XCTAssertTrue(failure([])?.hasPrefix("gen-000004 in \(directory.path) cannot be restarted: ") ?? false)
        XCTAssertEqual(try prepare(["--gen", "1", "-np", "2"]).generation, 1)
    }

    func testNoMPICheckpointRestartsTheImageDirectly() throws {
        try makeGeneration(1, in: directory, ranks: 1, flavour: "none")
        let restart = try prepare([])
        let plan = Launcher(onlineCores: 64, userID: 1000).plan(restart.request)
        XCTAssertEqual(plan.arguments, [libexec.path + "/ckpt-lower-nompi", "--face-dir", libexec.path + "/face",
                                        "--restore", directory.generationPath(1) + "/rank-0000.img"])
        XCTAssertTrue(plan.supervised, "the coordinator lives in ckpt-mpi, so it must not exec")
        XCTAssertEqual(failure(["--mpi", "mpich"]),
                       "gen-000001 in \(directory.path) was written by a --no-mpi job; it restarts without MPI, not with --mpi mpich")
    }

    func testOpenMPILaunchForwardsTheCoordinatorAndPassesTheEngine() {
        var request = LaunchRequest(
            mode: .mpi(UsableMPI(flavour: .openmpi, launcher: "/usr/bin/mpirun.openmpi", lowerHalf: "/l/ckpt-lower-openmpi")),
            ranks: 2, launcherArguments: [], faceDirectory: "/l/face", program: "./app", programArguments: ["1"],
            debugLevel: nil)
        request.engine = "/l/libckpt-engine.so"
        request.coordinatorSocket = "/ck/coordinator.sock"
        request.jobDirectory = "/ck"
        let plan = Launcher(onlineCores: 8, userID: 1000).plan(request)
        XCTAssertEqual(plan.arguments, ["/usr/bin/mpirun.openmpi", "-np", "2", "-x", "CKPT_MPI_COORD",
                                        "-x", "CKPT_MPI_JOB_DIR", "-x", "CKPT_MPI_DIE_WITH_PARENT", "-x", "UCX_MEM_EVENTS", "-x", "UCX_MEM_MALLOC_HOOKS",
                                        "/l/ckpt-lower-openmpi", "--face-dir", "/l/face",
                                        "--engine", "/l/libckpt-engine.so", "--", "./app", "1"])
    }

    func testListShowsValidityAndJSON() throws {
        try makeGeneration(1, in: directory, ranks: 2, bytes: 1_048_576)
        try makeGeneration(2, in: directory, ranks: 2, manifest: false)
        let summaries = try GenerationSummary.all(in: directory)
        XCTAssertEqual(summaries.map(\.state), ["complete", "incomplete"])
        XCTAssertEqual(summaries[0].line,
                       "gen-000001  complete  2025-01-01T00:00:00Z  2 ranks  2.0 MiB  openmpi (btl=tcp,self)")
        XCTAssertEqual(summaries[1].line, "gen-000002  incomplete  no manifest (being written, or interrupted)")
        let decoded = try JSONSerialization.jsonObject(with: CheckpointJSON.encode(summaries, pretty: true)) as? [[String: Any]]
        XCTAssertEqual(decoded?.count, 2)
        XCTAssertEqual(decoded?[0]["valid"] as? Bool, true)
        XCTAssertEqual(decoded?[0]["bytes"] as? Int, 2 * 1_048_576)
        XCTAssertEqual(decoded?[0]["transport"] as? String, "btl=tcp,self")
        XCTAssertEqual(decoded?[1]["valid"] as? Bool, false)
        XCTAssertEqual(decoded?[1]["state"] as? String, "incomplete")
    }

    func testCheckpointOptionsParse() throws {
        let run = try RunCommand.parse(["--ckpt-dir", "d", "--keep", "3", "--checkpoint-signal", "SIGUSR1",
                                        "--kill-after-checkpoint", "--checkpoint-timeout", "30s", "--", "./app"])
        XCTAssertEqual(run.checkpointing.keep, 3)
        XCTAssertEqual(run.checkpointing.checkpointSignal, .usr1)
        XCTAssertTrue(run.checkpointing.killAfterCheckpoint)
        XCTAssertEqual(run.checkpointing.rankTimeout?.seconds, 30)
        XCTAssertThrowsError(try RunCommand.parse(["--keep", "0", "--", "./app"]))
        XCTAssertThrowsError(try RunCommand.parse(["--checkpoint-signal", "TERM", "--", "./app"]))
        XCTAssertEqual(CheckpointDirectory.resolve(nil, environment: ["CKPT_MPI_DIR": "/x/y"]).path, "/x/y")
        XCTAssertEqual(CheckpointDirectory.resolve(nil, environment: [:]).path,
                       FileManager.default.currentDirectoryPath + "/ckpt")
        XCTAssertEqual(Transport.describe(flavour: "openmpi", environment: ["OMPI_MCA_btl": "vader,self"],
                                          launcherArguments: ["--mca", "pml", "ob1"]), "pml=ob1 btl=vader,self")
        XCTAssertEqual(Transport.describe(flavour: "mpich", environment: [:]), "default")
    }
}
