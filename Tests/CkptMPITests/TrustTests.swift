import Foundation
import HalfABI
import XCTest
@testable import CkptMPI

/// Issue 9: a job that is tampered with never hangs or loses a checkpoint. Job identity,
/// the privacy of the checkpoint directory, its removal and numbering, negative option values.
final class TrustTests: XCTestCase {
    private let job = "0123456789abcdef0123456789abcdef"

    func testJobIdentitiesAreRandomWellFormedAndTravelInJobJSON() throws {
        let ids = (0..<64).map { _ in JobIdentity.make() }
        XCTAssertEqual(Set(ids).count, ids.count)
        XCTAssertTrue(ids.allSatisfy(JobIdentity.isWellFormed), "\(ids)")
        XCTAssertFalse(JobIdentity.isWellFormed(job + "0"))
        XCTAssertFalse(JobIdentity.isWellFormed("0123456789ABCDEF0123456789ABCDEF"))
        XCTAssertLessThan(ids[0].utf8.count, Int(CKPT_IMG_JOB_ID_SIZE), "fits the image header with its NUL")

        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path)
        try JobDescription(np: 1, mpi: "none", program: "p", arguments: [], cwd: "/", startTime: "t", coordinatorPid: 1,
                           jobId: job).write(to: directory)
        XCTAssertTrue(try String(contentsOfFile: directory.jobPath, encoding: .utf8).contains(#""job_id" : "\#(job)""#))
        XCTAssertEqual(try JobDescription.read(from: directory).jobId, job)
    }

    func testTheLaunchExportsTheJobIDToEveryRank() {
        var request = LaunchRequest(
            mode: .mpi(UsableMPI(flavour: .openmpi, launcher: "/usr/bin/mpirun.openmpi", lowerHalf: "/l/ckpt-lower-openmpi")),
            ranks: 2, launcherArguments: [], faceDirectory: "/l/face", program: "./app", programArguments: [],
            debugLevel: nil)
        request.jobID = job
        let plan = Launcher(onlineCores: 8, userID: 1000).plan(request)
        XCTAssertTrue(plan.environment.contains(EnvironmentSetting("CKPT_MPI_JOB_ID", job)))
        XCTAssertTrue(plan.arguments.joined(separator: " ").contains("-x CKPT_MPI_JOB_ID"), "ranks on other hosts get it too")
    }

    func testTheHeaderLayoutOnlyGrew() throws {
        // Offsets images of format 1 were written with: the job id must not move any of them.
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.file_size), 24)
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.generation), 40)
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.data_off), 240)
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.cwd), 448)
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.sigpending), 1472)
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.job_id), 1480)
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.program_abi), 1520)
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.files_off), 1536, "format 2's file table")
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.features), 1552, "format 3")
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.parent_generation), 1560, "incremental images")
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.parent_meta_checksum), 1568)
        XCTAssertEqual(MemoryLayout<ckpt_img_file>.size, 48)
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.features), 1552, "format 3's features")
        XCTAssertEqual(MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.frames_off), 1576, "the zstd frame table")
        XCTAssertEqual(MemoryLayout<ckpt_img_frame>.size, 32)
        XCTAssertLessThanOrEqual(MemoryLayout<ckpt_img_header>.size, ImageFile.headerSize)

        let temporary = try TemporaryDirectory()
        let path = temporary.path + "/rank-0003.img"
        FileManager.default.createFile(atPath: path, contents: fakeImage(rank: 3, nranks: 4, generation: 9, jobID: job,
                                                                         bytes: 8192))
        let header = try ImageFile(path: path).header
        XCTAssertEqual([Int(header.rank), Int(header.nranks), Int(header.generation)], [3, 4, 9])
        XCTAssertEqual(header.jobId, job)
        XCTAssertEqual(header.flavour, "openmpi")
        // Older images have zeros there: an unknown job, not a damaged header.
        FileManager.default.createFile(atPath: path, contents: fakeImage(rank: 3, nranks: 4, generation: 9, jobID: "",
                                                                         bytes: 8192))
        XCTAssertEqual(try ImageFile(path: path).header.jobId, "")
    }

    func testACraftedHeaderWithAValidChecksumIsRefusedNotACrash() throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.path + "/rank-0000.img"
        let crafted: [(String, (inout ckpt_img_header) -> Void)] = [
            ("huge extent count", { $0.nextents = UInt64.max }),
            ("huge table offset", { $0.regions_off = UInt64.max - 8 }),
            ("huge strings", { $0.strings_size = 1 << 40 }),
            ("regions past the end", { $0.nregions = 1000; $0.regions_off = 3000 }),
        ]
        for (what, adjust) in crafted {
            FileManager.default.createFile(atPath: path, contents: fakeImage(rank: 0, nranks: 1, generation: 1, jobID: job,
                                                                             bytes: 4096, adjust: adjust))
            XCTAssertThrowsError(try ImageFile(path: path), what) {
                XCTAssertEqual(($0 as? CLIFailure)?.message, "\(path): image header is damaged (tables out of bounds)", what)
            }
        }
    }

    func testTheCoordinatorRecordsTheJobAndRefusesImagesOfAnotherJob() throws {
        let fixture = try CoordinatorFixture(ranks: 2, jobID: job)
        try fixture.connectEngines(2, of: 2)
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 1)
        XCTAssertEqual(try Manifest.read(from: fixture.directory.generationPath(1)).jobId, job)
        XCTAssertEqual(try JobDescription.read(from: fixture.directory).jobId, job)

        let other = "fedcba9876543210fedcba9876543210"
        let foreign = try CoordinatorFixture(ranks: 1, jobID: job, engineJobID: other)
        try foreign.connectEngines(1, of: 1)
        XCTAssertThrowsError(try foreign.client.checkpoint(kill: false)) {
            XCTAssertTrue(($0 as? CLIFailure)?.message.contains("is an image of another job (\(other))") ?? false, "\($0)")
        }
        XCTAssertEqual(try foreign.directory.generations().count, 0, "the failed generation is gone entirely")
    }

    func testARefusedCheckpointIsNotedOnTheRunsStderrAlsoWhenAClientAsked() throws {
        let notes = LockedBox<[String]>([])
        let fixture = try CoordinatorFixture(ranks: 2, noteObserver: { line in notes.value.append(line) })
        try fixture.connectEngines(1, of: 2)
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false))
        try waitFor { !notes.value.isEmpty }
        XCTAssertEqual(notes.value, ["checkpoint gen 1 failed: only 1 of 2 ranks are connected to the coordinator"])
    }

    func testAPlantedGenerationNameCannotMakeTheNextCheckpointFail() throws {
        let fixture = try CoordinatorFixture(ranks: 1) { directory in
            symlink("/nonexistent", directory.generationPath(1))
            symlink(directory.path, directory.generationPath(2))
        }
        try fixture.connectEngines(1, of: 1)
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 3)
        var info = stat()
        XCTAssertEqual(lstat(fixture.directory.generationPath(3), &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFDIR)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
    }

    func testRemovingAGenerationRemovesEverythingAndFollowsNoSymlink() throws {
        let temporary = try TemporaryDirectory()
        let outside = try temporary.file("outside/keep", "precious")
        let directory = CheckpointDirectory(temporary.path + "/ck")
        try directory.create()
        let generation = try makeGeneration(1, in: directory)
        try FileManager.default.createDirectory(atPath: generation + "/sub/deeper", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: generation + "/sub/deeper/rank-0000.img.tmp", contents: Data(count: 9))
        symlink(temporary.path + "/outside", generation + "/link")
        try CheckpointDirectory.removeGeneration(at: generation)
        XCTAssertFalse(FileManager.default.fileExists(atPath: generation), "no empty directory is left behind")
        XCTAssertTrue(FileManager.default.fileExists(atPath: outside))
        XCTAssertNoThrow(try CheckpointDirectory.removeGeneration(at: generation), "already gone is fine")
    }

    func testDirectoryErrorsKeepTheirErrno() throws {
        let temporary = try TemporaryDirectory()
        let file = try temporary.file("plain", "x")
        XCTAssertThrowsError(try CheckpointDirectory(file).generations()) {
            XCTAssertEqual(($0 as? SystemCallError)?.errno, ENOTDIR, "\($0)")
        }
        XCTAssertThrowsError(try CheckpointDirectory(temporary.path + "/missing").checkExists()) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "no checkpoint directory \(temporary.path)/missing")
        }
    }

    func testNegativeOptionValuesAreNamedNotMissing() throws {
        func usage(_ arguments: [String]) -> String? {
            do {
                _ = try CkptMPICommand.parseAsRoot(arguments)
                return nil
            } catch {
                return CkptMPICommand.failure(for: error, arguments: arguments)?.message
            }
        }
        XCTAssertEqual(usage(["run", "-np", "-1", "--", "./app"]), "-np must be at least 1, not -1 (see 'ckpt-mpi help run')")
        XCTAssertEqual(usage(["run", "--keep", "-3", "--", "./app"]), "--keep must be at least 1, not -3 (see 'ckpt-mpi help run')")
        XCTAssertEqual(usage(["run", "--interval", "-5s", "--", "./app"]),
                       "The value '-5s' is invalid for '--interval <duration>': a duration must be positive, not -5s "
                       + "(see 'ckpt-mpi help run')")
        XCTAssertEqual(usage(["restart", "d", "-np", "-2"]), "-np must be at least 1, not -2 (see 'ckpt-mpi help restart')")
        XCTAssertEqual(usage(["restart", "d", "--gen", "-1"]), "--gen must be at least 1, not -1 (see 'ckpt-mpi help restart')")
        XCTAssertEqual(usage(["restart", "d", "--keep", "-1"]), "--keep must be at least 1, not -1 (see 'ckpt-mpi help restart')")
        XCTAssertEqual(try RunCommand.parse(["-np", "3", "--keep", "4", "--", "./app"]).rankCount, 3)
    }
}
