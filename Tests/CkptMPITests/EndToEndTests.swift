import Foundation
import XCTest
@testable import CkptMPI

/// The built `ckpt-mpi` executable against fake (and, where installed, real) launchers.
///
/// Run as a separate process: the job supervisor blocks and waits for SIGCHLD,
/// which the multi-threaded test runner must not have redirected from it.
final class EndToEndTests: XCTestCase {
    private var binary: String!
    private var bin: TemporaryDirectory!
    private var libexec: TemporaryDirectory!

    override func setUpWithError() throws {
        let runner = try XCTUnwrap(realpath("/proc/self/exe", nil))
        defer { free(runner) }
        let candidate = (String(cString: runner) as NSString).deletingLastPathComponent + "/ckpt-mpi"
        guard access(candidate, X_OK) == 0 else {
            throw XCTSkip("\(candidate) was not built alongside the tests (swift build --product ckpt-mpi first)")
        }
        binary = candidate
        bin = try TemporaryDirectory()
        libexec = try TemporaryDirectory()
        try libexec.file("libmpi.so", "face")
        // Fake lower halves report how they were started.
        for name in ["ckpt-lower-openmpi", "ckpt-lower-mpich", "ckpt-lower-nompi"] {
            try libexec.script(name, #"echo "\#(name) rank=${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-0}} $*"; exit ${LOWER_EXIT:-0}"#)
        }
    }

    // XCTest keeps test case instances alive until the run ends; drop the directories now.
    override func tearDown() {
        bin = nil
        libexec = nil
        super.tearDown()
    }

    private func ckptMPI(_ arguments: [String], path: String? = nil, extra: [String: String] = [:],
                         whileRunning: ((Process) -> Void)? = nil) throws -> ToolResult {
        var environment = ProcessInfo.processInfo.environment
        environment["CKPT_MPI_LIBEXEC"] = libexec.path
        environment["PATH"] = path ?? bin.path + ":/usr/bin:/bin"
        environment["CKPT_MPI_DEBUG"] = nil
        environment["TMPDIR"] = libexec.path
        for (key, value) in extra { environment[key] = value }
        return try runTool(binary, arguments, environment: environment, whileRunning: whileRunning)
    }

    /// A fake launcher that runs `body`.
    private func fakeLauncher(_ flavour: MPIFlavour, _ body: String) throws {
        try bin.script(flavour.launcherName, body)
    }

    func testDryRunPrintsScriptAndNoteWithoutRunning() throws {
        try fakeLauncher(.mpich, "echo SHOULD NOT RUN")
        let result = try ckptMPI(["run", "--mpi", "mpich", "-np", "2", "--interval", "10m", "--dry-run",
                                  "--", "ls", "-l"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.error, "ckpt-mpi: note: checkpointing is not available yet; running without it\n")
        let lines = result.output.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("export UCX_MEM_EVENTS=no"), result.output)
        XCTAssertTrue(lines.contains("export OMPI_MCA_opal_signal=''"), result.output)
        XCTAssertEqual(lines.last, "\(bin.path)/mpiexec.mpich -n 2 \(libexec.path)/ckpt-lower-mpich "
                       + "--face-dir \(libexec.path)/face -- /usr/bin/ls -l")
        XCTAssertFalse(result.output.contains("SHOULD NOT RUN"))
    }

    func testOutputPassesThroughAndExitStatusIsTheJobs() throws {
        try fakeLauncher(.mpich, #"printf 'no newline\tat end'; printf 'to stderr\n' >&2; exit 7"#)
        let result = try ckptMPI(["run", "--mpi", "mpich", "--", "ls"])
        XCTAssertEqual(result.status, 7)
        XCTAssertEqual(result.output, "no newline\tat end")
        XCTAssertEqual(result.error, "to stderr\n", "quiet by default")
    }

    func testJobKilledBySignalGives128PlusSignal() throws {
        try fakeLauncher(.mpich, "kill -KILL $$")
        XCTAssertEqual(try ckptMPI(["run", "--mpi", "mpich", "--", "ls"]).status, 128 + SIGKILL)
    }

    func testTerminationIsForwardedToTheJobsProcessGroup() throws {
        // The launcher and its own child both hear the signal; the launcher reports what it saw.
        try fakeLauncher(.mpich, """
            trap 'echo "launcher got TERM"; exit 42' TERM
            sh -c 'trap "echo child got TERM; exit 0" TERM; while :; do sleep 0.05; done' &
            echo ready
            while :; do sleep 0.05; done
            """)
        let result = try ckptMPI(["run", "--mpi", "mpich", "--", "ls"]) { process in
            Thread.sleep(forTimeInterval: 1.5)
            kill(process.processIdentifier, SIGTERM)
        }
        XCTAssertEqual(result.status, 42, result.output + result.error)
        XCTAssertTrue(result.output.contains("launcher got TERM"), result.output)
        XCTAssertTrue(result.output.contains("child got TERM"), result.output)
    }

    func testVerboseShowsTheCommandAndTurnsOnDebug() throws {
        try fakeLauncher(.mpich, #"echo "debug=$CKPT_MPI_DEBUG hooks=$UCX_MEM_MALLOC_HOOKS signal=[$OMPI_MCA_opal_signal]""#)
        let result = try ckptMPI(["run", "--mpi", "mpich", "--verbose", "--", "ls"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.output, "debug=1 hooks=no signal=[]\n")
        XCTAssertTrue(result.error.hasPrefix("ckpt-mpi: launching: "), result.error)
        XCTAssertTrue(result.error.contains("mpiexec.mpich -n 1 "), result.error)
        let inherited = try ckptMPI(["run", "--mpi", "mpich", "--", "ls"], extra: ["CKPT_MPI_DEBUG": "3"])
        XCTAssertEqual(inherited.output, "debug=3 hooks=no signal=[]\n")
        XCTAssertEqual(inherited.error, "")
    }

    func testNoMPIExecsTheLowerHalf() throws {
        let result = try ckptMPI(["run", "--no-mpi", "--", "ls", "-a"], extra: ["LOWER_EXIT": "5"])
        XCTAssertEqual(result.status, 5)
        XCTAssertEqual(result.output, "ckpt-lower-nompi rank=0 --face-dir \(libexec.path)/face -- /usr/bin/ls -a\n")
    }

    func testChecksFailWithOneLineAndConventionalStatus() throws {
        let scripts = try TemporaryDirectory()
        let script = try scripts.script("job.sh", "true")
        let cases: [([String], Int32, String)] = [
            (["run", "--", "ckpt-no-such"], 127, "ckpt-mpi: ckpt-no-such: command not found in PATH\n"),
            (["run", "--", script], 126, "ckpt-mpi: \(script) is not an ELF executable (it is a script: run the program it starts under ckpt-mpi instead)\n"),
            (["run", "-np", "0", "--", "ls"], 2, "ckpt-mpi: -np must be at least 1, not 0 (see 'ckpt-mpi help run')\n"),
            (["run", "--mpi", "mpich", "--", "/usr/bin/ls"], 1, "ckpt-mpi: MPI 'mpich' is not installed (mpiexec.mpich not found); install mpich and libmpich-dev\n"),
            (["status", "--ckpt-dir", "/nonexistent/ck"], 1, "ckpt-mpi: no checkpoint directory /nonexistent/ck; name one with --ckpt-dir or $CKPT_MPI_DIR\n"),
        ]
        for (arguments, status, message) in cases {
            // Only the (empty) fake bin directory: no real launcher may be found.
            let result = try ckptMPI(arguments, path: bin.path)
            XCTAssertEqual(result.status, status, "\(arguments)")
            XCTAssertEqual(result.error, message, "\(arguments)")
            XCTAssertEqual(result.output, "", "\(arguments)")
        }
    }

    func testVersion() throws {
        XCTAssertEqual(try ckptMPI(["--version"]).output, "0.1.0\n")
    }

    /// Real launchers, fake lower halves: what each rank is started with, oversubscribed on purpose.
    private func runWithRealLauncher(_ flavour: MPIFlavour) throws {
        guard let launcher = which(flavour.launcherName) else {
            throw XCTSkip("\(flavour.launcherName) is not installed")
        }
        let ranks = ProcessInfo.processInfo.activeProcessorCount + 1
        let result = try ckptMPI(["run", "--mpi", flavour.rawValue, "-np", "\(ranks)", "--", "ls", "x y"],
                                 path: (launcher as NSString).deletingLastPathComponent + ":/bin")
        XCTAssertEqual(result.status, 0, result.error)
        let lines = result.output.split(separator: "\n").map(String.init).sorted()
        XCTAssertEqual(lines, (0..<ranks).map {
            "\(flavour.lowerHalfName) rank=\($0) --face-dir \(libexec.path)/face -- /usr/bin/ls x y"
        }.sorted(), result.output + result.error)
    }

    func testRealOpenMPILauncher() throws { try runWithRealLauncher(.openmpi) }
    func testRealMPICHLauncher() throws { try runWithRealLauncher(.mpich) }
}
