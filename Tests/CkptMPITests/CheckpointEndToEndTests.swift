import Foundation
import XCTest
@testable import CkptMPI

/// The built `ckpt-mpi` with checkpoint options, against fake lower halves and a fake engine file.
final class CheckpointEndToEndTests: XCTestCase {
    private var binary: String!
    private var bin: TemporaryDirectory!
    private var libexec: TemporaryDirectory!

    override func setUpWithError() throws {
        let runner = try XCTUnwrap(realpath("/proc/self/exe", nil))
        defer { free(runner) }
        let candidate = (String(cString: runner) as NSString).deletingLastPathComponent + "/ckpt-mpi"
        guard access(candidate, X_OK) == 0 else { throw XCTSkip("\(candidate) was not built alongside the tests") }
        binary = candidate
        bin = try TemporaryDirectory()
        libexec = try TemporaryDirectory()
        try libexec.file("libmpi.so", "face")
        try libexec.file("libckpt-engine.so", "engine")
        for name in ["ckpt-lower-openmpi", "ckpt-lower-mpich", "ckpt-lower-nompi"] {
            try libexec.script(name, #"echo "\#(name) $* coord=$CKPT_MPI_COORD""#)
        }
        try bin.script("mpiexec.mpich", #"shift 2; exec "$@""#)
    }

    override func tearDown() {
        bin = nil
        libexec = nil
        super.tearDown()
    }

    private func ckptMPI(_ arguments: [String]) throws -> ToolResult {
        var environment = ProcessInfo.processInfo.environment
        environment["CKPT_MPI_LIBEXEC"] = libexec.path
        environment["PATH"] = bin.path + ":/usr/bin:/bin"
        environment["TMPDIR"] = libexec.path
        environment["CKPT_MPI_DEBUG"] = nil
        return try runTool(binary, arguments, environment: environment)
    }

    func testRunWithCheckpointDirectoryPassesEngineAndSocketAndWritesJob() throws {
        let checkpoints = try TemporaryDirectory()
        let directory = CheckpointDirectory(checkpoints.path + "/ck")
        let dry = try ckptMPI(["run", "--mpi", "mpich", "-np", "2", "--ckpt-dir", directory.path, "--dry-run", "--", "ls"])
        XCTAssertEqual(dry.status, 0, dry.error)
        XCTAssertEqual(dry.error, "")
        XCTAssertTrue(dry.output.contains("export CKPT_MPI_COORD=\(directory.socketPath)\n"), dry.output)
        XCTAssertTrue(dry.output.contains("--engine \(libexec.path)/libckpt-engine.so -- /usr/bin/ls"), dry.output)
        XCTAssertFalse(directory.exists, "a dry run creates nothing")

        let result = try ckptMPI(["run", "--mpi", "mpich", "-np", "2", "--ckpt-dir", directory.path, "--", "ls"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output, "ckpt-lower-mpich --face-dir \(libexec.path)/face --engine \(libexec.path)/libckpt-engine.so "
                       + "-- /usr/bin/ls coord=\(directory.socketPath)\n")
        let job = try JobDescription.read(from: directory)
        XCTAssertEqual(job.np, 2)
        XCTAssertEqual(job.mpi, "mpich")
        XCTAssertEqual(job.program, "/usr/bin/ls")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.socketPath), "socket removed when the job ends")

        let list = try ckptMPI(["list", directory.path])
        XCTAssertEqual(list.output, "no checkpoints in \(directory.path)\n")
        let status = try ckptMPI(["status", "--ckpt-dir", directory.path, "--json"])
        XCTAssertEqual(status.status, 0, status.error)
        XCTAssertTrue(status.output.contains(#""state" : "not running""#), status.output)
    }

    func testRestartDryRunAndRefusal() throws {
        let checkpoints = try TemporaryDirectory()
        let directory = CheckpointDirectory(checkpoints.path)
        try makeGeneration(1, in: directory, ranks: 2, flavour: "mpich")
        let dry = try ckptMPI(["restart", directory.path, "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.error)
        XCTAssertEqual(dry.error, "ckpt-mpi: note: restarting gen-000001 (2 ranks, written on mpich, transport btl=tcp,self) "
                       + "on mpich, transport default\n")
        XCTAssertTrue(dry.output.hasSuffix("--face-dir \(libexec.path)/face --restore \(directory.generationPath(1))\n"), dry.output)
        let refused = try ckptMPI(["restart", directory.path, "-np", "4"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.error, "ckpt-mpi: gen-000001 in \(directory.path) holds 2 ranks; it cannot be restarted with -np 4\n")
    }
}
