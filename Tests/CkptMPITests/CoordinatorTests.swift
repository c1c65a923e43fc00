import Foundation
import XCTest
@testable import CkptMPI

/// The coordinator with fake engines over real sockets and real files: commit, failure, timeouts.
final class CoordinatorTests: XCTestCase {
    func testCheckpointGivesUpOnACoordinatorThatDoesNotAnswer() throws {
        // A listener that never accepts, as a SIGSTOPped coordinator: first with room in its
        // backlog (connect works, no answer), then with its backlog full (connect would block).
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path)
        try JobDescription(np: 1, mpi: "none", program: "p", arguments: [], cwd: "/", startTime: "t", coordinatorPid: 42,
                           jobId: "0123456789abcdef0123456789abcdef", checkpointTimeout: 5).write(to: directory)
        let listener = try UnixSocket.listen(directory.socketPath)
        defer { close(listener) }
        let client = CoordinatorClient(directory: directory)
        XCTAssertEqual(client.defaultTimeout(), 70, "twice the job's checkpoint timeout plus a minute")
        let want = "checkpoint: the coordinator of job 0123456789abcdef0123456789abcdef in \(directory.path) "
            + "(ckpt-mpi pid 42) did not answer within 0.5 s; it is stopped or hung, and takes the request if it resumes"
        var backlog: [LineConnection] = []
        for _ in 0..<2 {
            let start = Date()
            XCTAssertThrowsError(try client.checkpoint(kill: false, timeout: 0.5)) {
                XCTAssertEqual(($0 as? CLIFailure)?.message, want)
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 3)
            while backlog.count < 300, let fd = try? UnixSocket.connect(directory.socketPath, timeout: 0) {
                backlog.append(LineConnection(fd: fd))
            }
        }
        XCTAssertLessThan(backlog.count, 300, "the backlog filled up")
    }

    func testProtocolLines() throws {
        let hello = try XCTUnwrap(ProtocolLine.parse("HELLO rank=2 nranks=4 pid=77 host=n1 flavour=openmpi"))
        XCTAssertEqual(EngineHello(hello), EngineHello(rank: 2, nranks: 4, pid: 77, host: "n1", flavour: "openmpi"))
        XCTAssertNil(EngineHello(try XCTUnwrap(ProtocolLine.parse("HELLO rank=4 nranks=4 pid=1"))), "rank out of range")
        XCTAssertNil(EngineHello(try XCTUnwrap(ProtocolLine.parse("HELLO rank=-1 nranks=4 pid=1"))))
        let failed = try XCTUnwrap(ProtocolLine.parse("FAILED gen=3 error=open(/a b/rank-0001.img.tmp): No space left on device"))
        XCTAssertEqual(EngineReply(failed), .failed(generation: 3, error: "open(/a b/rank-0001.img.tmp): No space left on device"))
        XCTAssertEqual(EngineReply(try XCTUnwrap(ProtocolLine.parse("WRITTEN gen=3 bytes=1048576 pause_ms=12 write_ms=400\r"))),
                       .written(generation: 3, bytes: 1_048_576, pauseMilliseconds: 12, writeMilliseconds: 400))
        let checkpoint = ProtocolLine("CHECKPOINT", [("gen", "5"), ("dir", "/x y/gen-000005")])
        XCTAssertEqual(checkpoint.encoded, "CHECKPOINT gen=5 dir=/x y/gen-000005\n")
        XCTAssertEqual(ProtocolLine.parse("CHECKPOINT gen=5 dir=/x y/gen-000005")?["dir"], "/x y/gen-000005")
        XCTAssertEqual(ProtocolLine.parse("ERROR only 1 of 2 ranks")?.text, "only 1 of 2 ranks")
        XCTAssertNil(ProtocolLine.parse(""))
        XCTAssertNil(ProtocolLine.parse("WRITTEN gen"))
        XCTAssertNil(EngineReply(try XCTUnwrap(ProtocolLine.parse("WRITTEN gen=x bytes=1"))))
        XCTAssertEqual(ProtocolLine("FAILED", [("gen", "1"), ("error", "a\nb")]).encoded, "FAILED gen=1 error=a b\n")
    }

    func testGenerationNumberingCountsEveryGenerationDirectory() throws {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path)
        XCTAssertEqual(try directory.nextGenerationNumber(), 1)
        try makeGeneration(3, in: directory, manifest: false)
        try makeGeneration(7, in: directory)
        try temporary.file("gen-000009", "a file, not a generation")
        try FileManager.default.createDirectory(atPath: temporary.path + "/gen-x", withIntermediateDirectories: true)
        XCTAssertEqual(try directory.generations().map(\.number), [3, 7])
        XCTAssertEqual(try directory.generations().map(\.hasManifest), [false, true])
        // A file (or symlink) named like a generation would make the next mkdir fail: skip past it too.
        XCTAssertEqual(try directory.nextGenerationNumber(), 10)
        XCTAssertEqual(try directory.nextGenerationNumber(atLeastAbove: 12), 13)
        XCTAssertEqual(CheckpointDirectory.generationName(42), "gen-000042")
        XCTAssertEqual(CheckpointDirectory.generationNumber(fromName: "gen-1234567"), 1_234_567)
        XCTAssertEqual(CheckpointDirectory.imageName(rank: 3), "rank-0003.img")
        XCTAssertEqual(try directory.newestValidGeneration()?.number, 7)
    }

    func testPruneKeepsNewestValidGenerationsAndDropsOlderIncompleteOnes() throws {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path)
        for number in [1, 2, 4, 6] { try makeGeneration(number, in: directory) }
        for number in [3, 5, 8] { try makeGeneration(number, in: directory, manifest: false) }
        try makeGeneration(7, in: directory)
        XCTAssertEqual(try directory.prune(keep: 2, committed: 7), [1, 2, 3, 4, 5])
        XCTAssertEqual(try directory.generations().map(\.number), [6, 7, 8], "newer directories are not ours to judge")
        XCTAssertEqual(try directory.prune(keep: 1, committed: 7), [6])
    }

    func testPruneKeepsEveryGenerationAKeptIncrementalOneNeeds() throws {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path)
        // 1 <- 2 <- 3, 4 (full) <- 5
        try makeGeneration(1, in: directory)
        try makeGeneration(2, in: directory, parent: 1)
        try makeGeneration(3, in: directory, parent: 2)
        try makeGeneration(4, in: directory)
        try makeGeneration(5, in: directory, parent: 4)
        XCTAssertEqual(directory.chainDepth(of: 3), 2)
        XCTAssertEqual(directory.chainDepth(of: 4), 0)
        XCTAssertEqual(try directory.prune(keep: 1, committed: 3), [], "3 needs 2 and 1")
        XCTAssertEqual(try directory.prune(keep: 1, committed: 5), [1, 2, 3], "5 needs only 4")
        XCTAssertEqual(try directory.generations().map(\.number), [4, 5])
        try makeGeneration(6, in: directory, parent: 5)
        XCTAssertEqual(try directory.prune(keep: 2, committed: 6), [], "5 is kept, and it needs 4")
    }

    func testManifestIsWrittenAtomicallyAndAFailedWriteLeavesNoManifest() throws {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path)
        let previous = try makeGeneration(1, in: directory)
        let before = try Data(contentsOf: URL(fileURLWithPath: previous + "/MANIFEST.json"))
        let next = try makeGeneration(2, in: directory, manifest: false)
        // A directory where the temporary file must go makes open() fail, even for root.
        try FileManager.default.createDirectory(atPath: next + "/MANIFEST.json.tmp", withIntermediateDirectories: false)
        let manifest = try Manifest.read(from: previous)
        XCTAssertThrowsError(try Manifest(generation: 2, time: "t", ranks: 2, flavour: "openmpi", transport: "default",
                                          pauseMs: 0, writeMs: 0, seconds: 0, images: manifest.images).write(into: next)) {
            XCTAssertEqual(($0 as? SystemCallError)?.call, "open")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: next + "/MANIFEST.json"))
        XCTAssertEqual(try directory.newestValidGeneration()?.number, 1, "no manifest: generation 2 is not valid")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: previous + "/MANIFEST.json")), before)
        XCTAssertEqual(GenerationSummary(try directory.generations()[1]).state, "incomplete")
    }

    func testManifestConsistency() throws {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path)
        let path = try makeGeneration(1, in: directory, ranks: 2, bytes: 10)
        XCTAssertNil(try Manifest.read(from: path).inconsistency(in: path))
        truncate(path + "/rank-0001.img", 3)
        XCTAssertEqual(try Manifest.read(from: path).inconsistency(in: path),
                       "\(path)/rank-0001.img has 3 bytes, the manifest says 10")
        unlink(path + "/rank-0000.img")
        XCTAssertTrue(try Manifest.read(from: path).inconsistency(in: path)?.contains("No such file") ?? false)
        XCTAssertEqual(GenerationSummary(try directory.generations()[0]).state, "damaged")
    }

    func testFullCheckpointCommitsManifestAndPrunes() throws {
        let fixture = try CoordinatorFixture(ranks: 3, keep: 2) { try makeGeneration(4, in: $0, ranks: 3) }
        try fixture.connectEngines(3, of: 3)
        let job = try JobDescription.read(from: fixture.directory)
        XCTAssertEqual(job.np, 3)
        XCTAssertEqual(job.arguments, ["a b"])

        let report = try fixture.client.checkpoint(kill: false)
        XCTAssertEqual(report.generation, 5, "continues after generations of earlier runs")
        XCTAssertEqual(report.ranks, 3)
        XCTAssertEqual(report.bytes, 3 * 4096)
        let manifest = try Manifest.read(from: fixture.directory.generationPath(5))
        XCTAssertEqual(manifest.generation, 5)
        XCTAssertEqual(manifest.images.map(\.host), ["node0", "node1", "node2"])
        XCTAssertEqual(manifest.images.map(\.pid), [1000, 1001, 1002])
        XCTAssertEqual(manifest.images.map(\.image), ["rank-0000.img", "rank-0001.img", "rank-0002.img"])
        XCTAssertEqual(manifest.flavour, "mpich")
        XCTAssertEqual(manifest.pauseMs, 5)
        XCTAssertNil(manifest.inconsistency(in: fixture.directory.generationPath(5)))
        XCTAssertEqual(fixture.engines[0].requests, ["CHECKPOINT gen=5 dir=\(fixture.directory.generationPath(5))"])

        // Through the command, as a user would.
        var command = try CheckpointCommand.parse(["--ckpt-dir", fixture.directory.path])
        try command.run()
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 7)
        XCTAssertEqual(try fixture.directory.generations().map(\.number), [6, 7], "keep 2")
        XCTAssertEqual(report.summary, "checkpoint gen 5: 3 ranks, 0.0 MiB in \(String(format: "%.2f", report.seconds)) s")
    }

    func testFailedRankAbandonsTheGenerationAndKeepsThePreviousOne() throws {
        let fixture = try CoordinatorFixture(ranks: 2)
        try fixture.connectEngines(2, of: 2)
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 1)
        fixture.engines[1].set(.fail("open(rank-0001.img.tmp): No space left on device"))
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message,
                           "checkpoint gen 2 failed: rank 1: open(rank-0001.img.tmp): No space left on device")
        }
        XCTAssertEqual(try fixture.directory.generations().map(\.number), [1])
        XCTAssertNil(try Manifest.read(from: fixture.directory.generationPath(1)).inconsistency(
            in: fixture.directory.generationPath(1)))
        // The job carries on: the next checkpoint works and does not reuse the failed number.
        fixture.engines[1].set(.write(bytes: 10))
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 3)
    }

    func testWithALocalDirectoryTheGenerationCommitsOnlyAfterEveryCopy() throws {
        let fixture = try CoordinatorFixture(ranks: 2, jobID: "0123456789abcdef0123456789abcdef", localDirectory: "local")
        try fixture.connectEngines(2, of: 2)
        for engine in fixture.engines { engine.setCopy(delay: 0.05) }
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 1)
        let local = fixture.temporary.path + "/local/0123456789abcdef0123456789abcdef/gen-000001"
        XCTAssertEqual(fixture.engines[0].requests,
                       ["CHECKPOINT gen=1 local=\(local) dir=\(fixture.directory.generationPath(1))"])

        fixture.engines[1].setCopy(delay: 1.0)
        let result = LockedBox<Result<CheckpointReport, Error>?>(nil)
        let client = fixture.client
        Thread { result.value = Result { try client.checkpoint(kill: false) } }.start()
        try waitFor { FileManager.default.fileExists(atPath: fixture.directory.generationPath(2) + "/rank-0000.img") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.directory.generationPath(2) + "/MANIFEST.json"),
                       "rank 1 is still copying")
        try waitFor { result.value != nil }
        XCTAssertEqual(try result.value?.get().generation, 2)
        XCTAssertNil(try Manifest.read(from: fixture.directory.generationPath(2)).inconsistency(
            in: fixture.directory.generationPath(2)))

        fixture.engines[0].setCopy(delay: 0, failure: "copy: write(shared image): No space left on device")
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message,
                           "checkpoint gen 3 failed: rank 0: copy: write(shared image): No space left on device")
        }
        XCTAssertEqual(try fixture.directory.generations().map(\.number), [1, 2], "the complete ones stay")
    }

    func testSizeMismatchFailsTheGeneration() throws {
        let fixture = try CoordinatorFixture(ranks: 1)
        try fixture.connectEngines(1, of: 1, behaviour: .lie(bytes: 10, reported: 20))
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertTrue(($0 as? CLIFailure)?.message.contains("has 10 bytes, the manifest says 20") ?? false, "\($0)")
        }
        XCTAssertEqual(try fixture.directory.generations().count, 0)
    }

    func testSilentRankTimesOut() throws {
        let fixture = try CoordinatorFixture(ranks: 2, timeout: 0.5)
        try fixture.connectEngines(2, of: 2)
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 1)
        fixture.engines[0].set(.silent)
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "checkpoint gen 2 failed: rank 0 did not answer within 0.5 s")
        }
        XCTAssertEqual(try fixture.directory.generations().map(\.number), [1])
    }

    func testDisconnectDuringCheckpointFailsIt() throws {
        let fixture = try CoordinatorFixture(ranks: 2)
        try fixture.connectEngines(2, of: 2)
        fixture.engines[1].set(.disconnect)
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message,
                           "checkpoint gen 1 failed: rank 1 (pid 1001 on node1) disconnected during the checkpoint")
        }
        XCTAssertEqual(try fixture.directory.generations().count, 0)
        try waitFor { (try fixture.client.status()?.ranksConnected.count) == 1 }
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "checkpoint gen 2 failed: only 1 of 2 ranks are connected to the coordinator")
        }
    }

    func testEnginesOfAnotherJobOrDuplicateRanksAreRefused() throws {
        let fixture = try CoordinatorFixture(ranks: 2)
        try fixture.connectEngines(1, of: 2)
        let stranger = try LineConnection(connectingTo: fixture.directory.socketPath)
        try stranger.send(EngineHello(rank: 0, nranks: 3, pid: 9, host: "x", flavour: "none").line)
        XCTAssertEqual(try stranger.readLine(timeout: 5), "ERROR rank 0 of 3 does not belong to this job of 2 ranks")
        let duplicate = try LineConnection(connectingTo: fixture.directory.socketPath)
        try duplicate.send(EngineHello(rank: 0, nranks: 2, pid: 9, host: "x", flavour: "none").line)
        XCTAssertEqual(try duplicate.readLine(timeout: 5), "ERROR rank 0 is already connected")
        XCTAssertEqual(try fixture.client.status()?.ranksConnected.map(\.rank), [0])
    }

    func testKillRequestStopsTheJobOnlyAfterTheManifest() throws {
        let fixture = try CoordinatorFixture(ranks: 1)
        let stopped = LockedBox<Int?>(nil)
        let directory = fixture.directory
        let engines = LockedBox<[FakeEngine]>([])
        let stopSeenFirst = LockedBox<Bool?>(nil)
        fixture.coordinator.onStopJob = { generation in
            stopped.value = access(directory.manifestPath(generation), F_OK) == 0 ? generation : -1
            stopSeenFirst.value = engines.value.first?.requests.contains("STOP gen=1")
        }
        try fixture.connectEngines(1, of: 1)
        engines.value = fixture.engines
        XCTAssertEqual(try fixture.client.checkpoint(kill: true).generation, 1)
        try waitFor { stopped.value != nil }
        XCTAssertEqual(stopped.value, 1)
        // The ranks knew before writing that they stop, and got STOP only once the manifest was durable.
        try waitFor { fixture.engines[0].requests.contains("STOP gen=1") }
        // The supervisor learns of the stop before any rank can act on STOP and exit (exit 75, not 0).
        XCTAssertEqual(stopSeenFirst.value, false)
        XCTAssertEqual(fixture.engines[0].requests.filter { $0.hasPrefix("CHECKPOINT") },
                       ["CHECKPOINT gen=1 stop=1 dir=\(directory.generationPath(1))"])
    }

    func testKillRequestedDuringAPlainCheckpointGetsACheckpointOfItsOwn() throws {
        let fixture = try CoordinatorFixture(ranks: 1)
        let stopped = LockedBox<Int?>(nil)
        fixture.coordinator.onStopJob = { stopped.value = $0 }
        try fixture.connectEngines(1, of: 1, behaviour: .silent)
        let plain = fixture.client
        let first = Thread { _ = try? plain.checkpoint(kill: false) }
        first.start()
        try waitFor { fixture.engines[0].requests.count == 1 }
        let killer = LockedBox<Int?>(nil)
        let second = Thread { killer.value = try? plain.checkpoint(kill: true).generation }
        second.start()
        Thread.sleep(forTimeInterval: 0.2)
        fixture.engines[0].set(.write(bytes: 4096))
        fixture.engines[0].answerLateWrite()
        try waitFor { killer.value != nil }
        // Gen 1 ran without stop=1 (its ranks resume after their images), so the kill took gen 2.
        XCTAssertEqual(killer.value, 2)
        XCTAssertEqual(stopped.value, 2)
        XCTAssertEqual(fixture.engines[0].requests.filter { $0.hasPrefix("CHECKPOINT") }.map { $0.contains(" stop=1 ") },
                       [false, true])
    }

    func testPeriodicCheckpoints() throws {
        let fixture = try CoordinatorFixture(ranks: 1, keep: 5, interval: 0.3)
        try fixture.connectEngines(1, of: 1)
        try waitFor(10) { (try fixture.directory.generations().filter(\.hasManifest).count) >= 2 }
    }

    func testStatusJSONAndSecondCoordinatorRefusal() throws {
        let fixture = try CoordinatorFixture(ranks: 2)
        try fixture.connectEngines(2, of: 2)
        _ = try fixture.client.checkpoint(kill: false)
        let status = try XCTUnwrap(fixture.client.status())
        XCTAssertEqual(status.state, "idle")
        XCTAssertEqual(status.ranksExpected, 2)
        XCTAssertEqual(status.lastCheckpoint?.generation, 1)
        XCTAssertEqual(status.generations.map(\.valid), [true])
        let json = CheckpointJSON.string(status)
        XCTAssertTrue(json.contains(#""ranks_expected":2"#), json)
        XCTAssertTrue(json.contains(#""state":"idle""#), json)

        let second = Coordinator(configuration: fixture.coordinator.configuration)
        XCTAssertThrowsError(try second.open()) {
            XCTAssertEqual(($0 as? CLIFailure)?.message,
                           "a job is already running on \(fixture.directory.path) (coordinator pid \(getpid()))")
        }
        XCTAssertNotNil(try fixture.client.status(), "the refused coordinator left the running one's socket alone")
    }

    private func standaloneCoordinator(_ directory: CheckpointDirectory, survivorTimeout: Double = 5) -> Coordinator {
        let job = JobDescription(np: 1, mpi: "none", program: "p", arguments: [], cwd: "/", startTime: "t", coordinatorPid: 1)
        var configuration = CoordinatorConfiguration(directory: directory, job: job, transport: "default")
        configuration.reportsOnStderr = false
        configuration.survivorTimeout = survivorTimeout
        return Coordinator(configuration: configuration)
    }

    func testTheLockIsPrivateNamesItsHolderAndIsFreedOnStop() throws {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path + "/ck")
        let first = standaloneCoordinator(directory)
        try first.open()
        var info = stat()
        XCTAssertEqual(lstat(directory.lockPath, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(CoordinatorLock.holderPid(in: directory), Int(getpid()))
        XCTAssertThrowsError(try CoordinatorLock.acquire(in: directory))
        first.stop()
        let second = standaloneCoordinator(directory)
        XCTAssertNoThrow(try second.open(), "a stopped coordinator gives the directory up")
        second.stop()
    }

    func testALockHolderThatIsDyingIsWaitedForNotALiveOne() throws {
        XCTAssertFalse(CoordinatorLock.isExiting(pid: Int(getpid())), "a live holder refuses at once")
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { free(argv[0]) }
        XCTAssertEqual(posix_spawn(&pid, "/bin/true", nil, nil, &argv, environ), 0)
        var info = siginfo_t()
        // Wait until it has ended, but leave it unreaped: a zombie.
        XCTAssertEqual(waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT), 0)
        XCTAssertTrue(CoordinatorLock.isExiting(pid: Int(pid)), "a zombie is as good as gone")
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        XCTAssertTrue(CoordinatorLock.isExiting(pid: Int(pid)), "so is a pid that no longer exists")
    }

    func testOpeningRemovesGenerationsADeadCoordinatorLeftIncompleteAndNumbersGoOn() throws {
        let fixture = try CoordinatorFixture(ranks: 1) { directory in
            try makeGeneration(1, in: directory, ranks: 1)
            try makeGeneration(2, in: directory, ranks: 1, manifest: false)
        }
        XCTAssertEqual(try fixture.directory.generations().map(\.number), [1], "gen 2 had no manifest")
        try fixture.connectEngines(1, of: 1)
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 3, "the number of the removed one stays used")
    }

    func testProcessesOfAnEarlierJobKeepTheDirectoryUntilTheyEnd() throws {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path + "/ck")
        try directory.create()
        // A rank of a killed job that has not died yet: it carries the job's marker.
        let survivor = Process()
        survivor.executableURL = URL(fileURLWithPath: "/bin/sleep")
        survivor.arguments = ["30"]
        survivor.environment = [Launcher.jobDirectoryVariable: directory.path]
        try survivor.run()
        defer { if survivor.isRunning { survivor.terminate() } }
        try waitFor { JobProcesses(directory: directory).survivors().map(\.pid) == [survivor.processIdentifier] }
        XCTAssertEqual(try CoordinatorClient(directory: directory).offlineStatus().note,
                       "processes of the job are alive without a coordinator: pid \(survivor.processIdentifier) (sleep)")
        let other = CheckpointDirectory(temporary.path + "/other")
        XCTAssertEqual(JobProcesses(directory: other).survivors(), [], "only the marker of this directory counts")

        let refused = standaloneCoordinator(directory, survivorTimeout: 0.3)
        XCTAssertThrowsError(try refused.open()) {
            XCTAssertEqual(($0 as? CLIFailure)?.message,
                           "processes of an earlier job on \(directory.path) are still running after 0.3 s: "
                           + "pid \(survivor.processIdentifier) (sleep); end them first")
        }
        var info = stat()
        XCTAssertNotEqual(lstat(directory.socketPath, &info), 0, "refused before taking the socket")

        let waiting = standaloneCoordinator(directory, survivorTimeout: 10)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { survivor.terminate() }
        XCTAssertNoThrow(try waiting.open(), "a survivor that ends within the timeout is waited for")
        waiting.stop()
    }

    func testStaleSocketIsReplacedAndSocketIsPrivate() throws {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path + "/new")
        try directory.create()
        // A socket nobody listens on, as a crashed ckpt-mpi leaves it.
        let stale = try UnixSocket.listen(directory.socketPath)
        close(stale)
        XCTAssertEqual(try CoordinatorClient(directory: directory).offlineStatus().note,
                       "coordinator.sock is stale: its coordinator died; the next run or restart replaces it")
        XCTAssertThrowsError(try CoordinatorClient(directory: directory).checkpoint(kill: false)) {
            XCTAssertTrue(($0 as? CLIFailure)?.message.contains("(its coordinator.sock is stale, left by a coordinator that died)") ?? false)
        }
        let job = JobDescription(np: 1, mpi: "none", program: "p", arguments: [], cwd: "/", startTime: "t", coordinatorPid: 1)
        var configuration = CoordinatorConfiguration(directory: directory, job: job, transport: "default")
        configuration.reportsOnStderr = false
        let coordinator = Coordinator(configuration: configuration)
        try coordinator.open()
        coordinator.start()
        var info = stat()
        XCTAssertEqual(lstat(directory.socketPath, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(lstat(directory.path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        XCTAssertNotNil(try CoordinatorClient(directory: directory).status())
        coordinator.stop()
        XCTAssertNotEqual(lstat(directory.socketPath, &info), 0, "removed on stop")
        XCTAssertThrowsError(try CoordinatorClient(directory: directory).checkpoint(kill: false)) {
            XCTAssertTrue(($0 as? CLIFailure)?.message.hasPrefix("no ckpt-mpi job is running with checkpoint directory") ?? false)
        }
        XCTAssertEqual(try CoordinatorClient(directory: directory).offlineStatus().state, "not running")
    }
}

/// A value shared between a callback thread and the test.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
