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
        XCTAssertFalse(restart.request.lazyRestore)
        let lazy = Launcher(onlineCores: 64, userID: 1000).plan(try prepare(["--lazy"]).request)
        XCTAssertTrue(lazy.environment.contains(EnvironmentSetting("CKPT_MPI_RESTORE_LAZY", "1")))
        XCTAssertEqual(try prepare([]).job.mpi, "openmpi", "defaults to the MPI the checkpoint came from")
    }

    func testAProgramRebuiltForTheOtherFaceIsRefused() throws {
        let build = try TemporaryDirectory()
        let app = try compileC(trivialMPIProgram, with: "mpicc.openmpi", in: build, name: "app")
        try JobDescription(np: 2, mpi: "mpich", program: "./app", arguments: [], cwd: build.path, startTime: "t",
                           coordinatorPid: 1).write(to: directory)
        try makeGeneration(1, in: directory, ranks: 2, programABI: "mpich")
        XCTAssertEqual(failure([]), "gen-000001 in \(directory.path) was checkpointed from ./app built for the MPICH ABI "
                       + "(libmpi.so.12), but ./app is now built for the Open MPI ABI (libmpi.so.40): a restart resumes "
                       + "the old build, not this one; rebuild it with mpicc.mpich to restart, or start the new build "
                       + "with 'ckpt-mpi run'")
        try makeGeneration(2, in: directory, ranks: 2, programABI: "openmpi")
        XCTAssertEqual(try prepare([]).generation, 2, "the same face")
        try makeGeneration(3, in: directory, ranks: 2)
        XCTAssertEqual(try prepare([]).generation, 3, "not recorded (an older image): accepted")
        try FileManager.default.removeItem(atPath: app)
        try makeGeneration(4, in: directory, ranks: 2, programABI: "mpich")
        XCTAssertEqual(try prepare([]).generation, 4, "the program is gone: nothing to compare")
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
        XCTAssertEqual(failure(["--gen", "3"]),
                       "gen-000003 in \(directory.path) cannot be restarted: its manifest is of generation 1: a mixed generation")
        try makeGeneration(4, in: directory, ranks: 2)
        truncate(directory.generationPath(4) + "/rank-0001.img", 1)
        XCTAssertEqual(failure(["--gen", "4"]), "gen-000004 in \(directory.path) cannot be restarted: "
                       + "rank-0001.img has 1 bytes, the manifest says 4096", "--gen N: no fallback")
        XCTAssertEqual(try prepare(["--gen", "1", "-np", "2"]).generation, 1)
        XCTAssertEqual(try prepare([]).generation, 1, "without --gen: the newest that verifies")
    }

    func testFallsBackPastDamagedAndForeignGenerationsWithOneNoteEach() throws {
        let job = "0123456789abcdef0123456789abcdef", other = "fedcba9876543210fedcba9876543210"
        try JobDescription(np: 2, mpi: "openmpi", program: "/bin/app", arguments: [], cwd: "/w", startTime: "t",
                           coordinatorPid: 1, jobId: job).write(to: directory)
        try makeGeneration(1, in: directory, ranks: 2, jobID: job)
        try makeGeneration(2, in: directory, ranks: 2, jobID: job)
        try makeGeneration(3, in: directory, ranks: 2, jobID: job, imageJobID: other)  // an image of another run
        try makeGeneration(4, in: directory, ranks: 2, jobID: job)
        try flipByte(directory.generationPath(4) + "/rank-0001.img", at: 100)           // header damaged
        try makeGeneration(5, in: directory, ranks: 2, manifest: false)                 // being written: no note
        let restart = try prepare([])
        XCTAssertEqual(restart.generation, 2)
        XCTAssertEqual(restart.skipped, [
            "skipping gen-000004: rank-0001.img: image header is damaged (checksum mismatch); restarting gen-000002",
            "skipping gen-000003: rank-0000.img is an image of another job (\(other)), not of job \(job) of this "
                + "manifest: images of different runs are mixed; restarting gen-000002",
        ])
        XCTAssertEqual(restart.job.jobId, job, "a restarted job is the same job")
        XCTAssertTrue(Launcher(onlineCores: 64, userID: 1000).plan(restart.request).environment
                        .contains(EnvironmentSetting("CKPT_MPI_JOB_ID", job)))
        XCTAssertEqual(failure(["--gen", "4"]), "gen-000004 in \(directory.path) cannot be restarted: "
                       + "rank-0001.img: image header is damaged (checksum mismatch)")
        let list = try GenerationSummary.all(in: directory)
        XCTAssertEqual(list.map(\.state), ["complete", "complete", "damaged", "damaged", "incomplete"])
        XCTAssertEqual(list.map(\.jobId), [job, job, job, job, nil])
        XCTAssertTrue(list[2].problem?.contains("another job") ?? false, list[2].problem ?? "")
    }

    func testAGenerationOfAnotherJobIsRefusedByItsManifestToo() throws {
        let job = "0123456789abcdef0123456789abcdef", other = "fedcba9876543210fedcba9876543210"
        try JobDescription(np: 2, mpi: "openmpi", program: "/bin/app", arguments: [], cwd: "/w", startTime: "t",
                           coordinatorPid: 1, jobId: job).write(to: directory)
        try makeGeneration(1, in: directory, ranks: 2, jobID: other)
        XCTAssertEqual(failure([]), "gen-000001 in \(directory.path) cannot be restarted: MANIFEST.json is of another "
                       + "job (\(other)), not of job \(job) of job.json (it is the only complete generation; "
                       + "see 'ckpt-mpi list \(directory.path)', and --gen N restarts another)")
    }

    func testInvalidManifestsGetOneLineNamingTheFileAndTheProblem() throws {
        let path = try makeGeneration(1, in: directory, ranks: 2)
        let manifest = path + "/MANIFEST.json"
        func write(_ text: String) throws { try text.write(toFile: manifest, atomically: false, encoding: .utf8) }
        let only = " (it is the only complete generation; see 'ckpt-mpi list \(directory.path)', and --gen N restarts another)"
        let good = try String(contentsOfFile: manifest, encoding: .utf8)
        try write("{ not json")
        let broken = try XCTUnwrap(failure([]))
        XCTAssertTrue(broken.hasPrefix("gen-000001 in \(directory.path) cannot be restarted: MANIFEST.json is damaged: "
                                       + "not valid JSON"), broken)
        XCTAssertTrue(broken.hasSuffix(only), broken)
        XCTAssertFalse(broken.contains("\n"))
        try write(good.replacingOccurrences(of: #""flavour" : "openmpi""#, with: #""flavour" : "lam""#))
        XCTAssertEqual(failure([]), "gen-000001 in \(directory.path) cannot be restarted: MANIFEST.json is damaged: "
                       + "flavour 'lam' is not one of openmpi, mpich, none" + only)
        try write(good.replacingOccurrences(of: #""ranks" : 2,"#, with: ""))
        XCTAssertEqual(failure(["--gen", "1"]), "gen-000001 in \(directory.path) cannot be restarted: MANIFEST.json is damaged: "
                       + "'ranks' is missing")
        try write(good.replacingOccurrences(of: #""ranks" : 2"#, with: #""ranks" : "two""#))
        XCTAssertEqual(failure(["--gen", "1"]), "gen-000001 in \(directory.path) cannot be restarted: MANIFEST.json is damaged: "
                       + "'ranks' is not an integer")
        try write(good.replacingOccurrences(of: #""bytes" : 4096"#, with: #""bytes" : null"#))
        XCTAssertEqual(failure(["--gen", "1"]), "gen-000001 in \(directory.path) cannot be restarted: MANIFEST.json is damaged: "
                       + "'images[0].bytes' is null")
    }

    func testNoGenerationVerifiesNamesEachInOneLine() throws {
        try makeGeneration(1, in: directory, ranks: 1, bytes: 10)
        try makeGeneration(2, in: directory, ranks: 1, manifestGeneration: 7)
        XCTAssertEqual(failure([]), "no generation in \(directory.path) can be restarted: gen-000002: its manifest is of "
                       + "generation 7: a mixed generation; gen-000001: rank-0000.img: not a ckpt-mpi checkpoint image "
                       + "(see 'ckpt-mpi list \(directory.path)')")
    }

    func testTheCheckpointDirectoryMustBePrivate() throws {
        try makeGeneration(1, in: directory, ranks: 2)
        chmod(directory.path, 0o777)
        XCTAssertEqual(failure([]), "checkpoint directory \(directory.path) can be written by its group and other users "
                       + "(mode 0777); make it private with 'chmod 700 \(directory.path)'")
        chmod(directory.path, 0o720)
        XCTAssertEqual(failure([]), "checkpoint directory \(directory.path) can be written by its group "
                       + "(mode 0720); make it private with 'chmod 700 \(directory.path)'")
        chmod(directory.path, 0o755)
        XCTAssertEqual(try prepare([]).generation, 1, "readable by others is the user's choice; writable is not")
        XCTAssertThrowsError(try directory.checkPrivate(userID: getuid() + 1)) {
            XCTAssertTrue(($0 as? CLIFailure)?.message.contains("not to you") ?? false, "\($0)")
        }
        let fresh = CheckpointDirectory(checkpoints.path + "/new")
        try fresh.create()
        var info = stat()
        XCTAssertEqual(stat(fresh.path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        chmod(fresh.path, 0o1777)
        XCTAssertThrowsError(try fresh.create(), "an existing directory others can write is refused")
    }

    private func flipByte(_ path: String, at offset: UInt64) throws {
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let byte = try XCTUnwrap(handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: [byte ^ 0xff])
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

    func testRestartOnSeveralHostsListensOnTCPWithAFreshSecret() throws {
        try makeGeneration(2, in: directory, ranks: 4)
        let restart = try prepare(["--host", "h1:2,h2:2", "--coordinator-address", "127.0.0.1"])
        let tcp = try XCTUnwrap(restart.request.coordinatorTCP)
        XCTAssertEqual(tcp.address.text, "127.0.0.1")
        XCTAssertNotEqual(tcp.secret, try XCTUnwrap(try prepare(["--coordinator-address", "127.0.0.1"]).request.coordinatorTCP).secret)
        let plan = Launcher(onlineCores: 64, userID: 1000).plan(restart.request)
        let host = try XCTUnwrap(plan.arguments.firstIndex(of: "--host"))
        XCTAssertEqual(plan.arguments[host + 1], "h1:2,h2:2")
        XCTAssertTrue(zip(plan.arguments, plan.arguments.dropFirst()).contains { $0 == ("-x", "CKPT_MPI_SECRET") })
        XCTAssertEqual(plan.environment.first { $0.name == "CKPT_MPI_COORD" }?.value, "tcp:127.0.0.1:0")
        XCTAssertNil(try prepare([]).request.coordinatorTCP, "a single-host restart keeps the Unix socket")
    }

    func testResumeRestartsTheNewestGenerationThatVerifiesWithTheRunsOptions() throws {
        let run = try RunCommand.parse(["-np", "4", "--mpi", "mpich", "--ckpt-dir", checkpoints.path, "--resume",
                                        "--mpirun-arg", "-v", "--host", "h1:2,h2:2", "--kill-after-checkpoint",
                                        "--checkpoint-signal", "TERM", "--", "./app"])
        XCTAssertNil(try run.resumption(of: directory), "nothing to resume: start afresh")
        try makeGeneration(3, in: directory, ranks: 4, manifest: false)
        XCTAssertNil(try run.resumption(of: directory), "only an incomplete generation")
        try makeGeneration(2, in: directory, ranks: 4, bytes: 100)
        XCTAssertNil(try run.resumption(of: directory), "a damaged one does not verify")
        try makeGeneration(4, in: directory, ranks: 4)
        let restart = try XCTUnwrap(try run.resumption(of: directory))
        XCTAssertEqual(restart.checkpointDirectory, checkpoints.path)
        XCTAssertNil(restart.generation, "the newest that verifies, as a plain restart")
        XCTAssertEqual(restart.mpi, .mpich)
        XCTAssertEqual(restart.ranks, 4)
        XCTAssertEqual(restart.mpirunArguments, ["-v"])
        XCTAssertEqual(try restart.placement.hosts()?.launcherText, "h1:2,h2:2")
        XCTAssertTrue(restart.checkpointing.killAfterCheckpoint)
        XCTAssertEqual(restart.checkpointing.checkpointSignal, .term)
        XCTAssertEqual(try prepare(["--mpi", "mpich"]).generation, 4)
        XCTAssertNil(try run.resumption(of: CheckpointDirectory(checkpoints.path + "/missing")))
    }

    func testCheckpointOptionsParse() throws {
        let run = try RunCommand.parse(["--ckpt-dir", "d", "--keep", "3", "--checkpoint-signal", "SIGUSR1",
                                        "--kill-after-checkpoint", "--checkpoint-timeout", "30s", "--", "./app"])
        XCTAssertEqual(run.checkpointing.keep, 3)
        XCTAssertEqual(run.checkpointing.checkpointSignal, .usr1)
        XCTAssertTrue(run.checkpointing.killAfterCheckpoint)
        XCTAssertEqual(run.checkpointing.rankTimeout?.seconds, 30)
        XCTAssertThrowsError(try RunCommand.parse(["--keep", "0", "--", "./app"]))
        XCTAssertEqual(try RunCommand.parse(["--checkpoint-signal", "TERM", "--", "./app"]).checkpointing.checkpointSignal,
                       .term, "a batch system's pre-emption")
        XCTAssertEqual(CheckpointSignal(argument: "sigterm")?.number, SIGTERM)
        XCTAssertEqual(CheckpointSignal(argument: "15"), .term)
        XCTAssertThrowsError(try RunCommand.parse(["--checkpoint-signal", "INT", "--", "./app"]))
        XCTAssertEqual(CheckpointDirectory.resolve(nil, environment: ["CKPT_MPI_DIR": "/x/y"]).path, "/x/y")
        XCTAssertEqual(CheckpointDirectory.resolve(nil, environment: [:]).path,
                       FileManager.default.currentDirectoryPath + "/ckpt")
        XCTAssertEqual(Transport.describe(flavour: "openmpi", environment: ["OMPI_MCA_btl": "vader,self"],
                                          launcherArguments: ["--mca", "pml", "ob1"]), "pml=ob1 btl=vader,self")
        XCTAssertEqual(Transport.describe(flavour: "mpich", environment: [:]), "default")
    }
}
