import Foundation
import XCTest
@testable import CkptMPI

/// Finding launchers in PATH, our binaries beside ckpt-mpi, and choosing the MPI.
final class InstallationTests: XCTestCase {
    private var bin: TemporaryDirectory!
    private var libexec: TemporaryDirectory!

    override func setUpWithError() throws {
        bin = try TemporaryDirectory()
        libexec = try TemporaryDirectory()
    }

    // XCTest keeps test case instances alive until the run ends; drop the directories now.
    override func tearDown() {
        bin = nil
        libexec = nil
        super.tearDown()
    }

    private var installation: Installation {
        Installation(libexecDirectory: libexec.path, searchPath: "/nonexistent:" + bin.path)
    }

    private func install(_ flavours: [MPIFlavour], launchers: Bool = true, lowerHalves: Bool = true) throws {
        for flavour in flavours {
            if launchers { try bin.script(flavour.launcherName, "exit 0") }
            if lowerHalves { try libexec.script(flavour.lowerHalfName, "exit 0") }
        }
    }

    func testOpenMPIIsPreferredWhenBothAreUsable() throws {
        try install([.openmpi, .mpich])
        XCTAssertEqual(try installation.selectMPI(requested: nil),
                       UsableMPI(flavour: .openmpi, launcher: bin.path + "/mpirun.openmpi",
                                 lowerHalf: libexec.path + "/ckpt-lower-openmpi"))
        XCTAssertEqual(try installation.selectMPI(requested: .mpich).flavour, .mpich)
    }

    func testMPICHIsChosenWhenOpenMPILacksItsLowerHalf() throws {
        try install([.mpich])
        try install([.openmpi], lowerHalves: false)
        XCTAssertEqual(try installation.selectMPI(requested: nil).flavour, .mpich)
    }

    func testMPICHIsChosenWhenOpenMPIIsNotInstalled() throws {
        try install([.mpich])
        try install([.openmpi], launchers: false)
        XCTAssertEqual(try installation.selectMPI(requested: nil).flavour, .mpich)
    }

    func testRequestedButMissingLauncher() throws {
        try install([.openmpi])
        XCTAssertThrowsError(try installation.selectMPI(requested: .mpich)) { error in
            XCTAssertEqual(error as? CLIFailure, CLIFailure(
                "MPI 'mpich' is not installed (mpiexec.mpich not found); install mpich and libmpich-dev"))
        }
        try FileManager.default.removeItem(atPath: bin.path + "/mpirun.openmpi")
        XCTAssertThrowsError(try installation.selectMPI(requested: .openmpi)) { error in
            XCTAssertEqual((error as? CLIFailure)?.message,
                           "MPI 'openmpi' is not installed (mpirun.openmpi not found); install openmpi-bin and libopenmpi-dev")
        }
    }

    func testRequestedButLowerHalfNotBuilt() throws {
        try install([.mpich], lowerHalves: false)
        XCTAssertThrowsError(try installation.selectMPI(requested: .mpich)) { error in
            XCTAssertEqual((error as? CLIFailure)?.message,
                           "MPI 'mpich' is installed but its lower half ckpt-lower-mpich was not built; install mpich and libmpich-dev and rebuild ckpt-mpi")
        }
    }

    func testNothingUsableNamesBothProblemsAndTheWayOut() throws {
        XCTAssertThrowsError(try installation.selectMPI(requested: nil)) { error in
            let message = (error as? CLIFailure)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("no usable MPI: MPI 'openmpi' is not installed"), message)
            XCTAssertTrue(message.contains("MPI 'mpich' is not installed"), message)
            XCTAssertTrue(message.hasSuffix("or run a single process with --no-mpi"), message)
        }
    }

    func testNonExecutableFilesDoNotCount() throws {
        try bin.file("mpiexec.mpich", "", mode: 0o644)
        try libexec.file("ckpt-lower-mpich", "", mode: 0o644)
        let found = installation.availability(of: .mpich)
        XCTAssertNil(found.launcher)
        XCTAssertNil(found.lowerHalf)
    }

    func testLibexecComesFromEnvironmentOrFromTheRunningExecutable() throws {
        let overridden = try Installation.current(environment: ["CKPT_MPI_LIBEXEC": "/opt/x", "PATH": "/p"])
        XCTAssertEqual(overridden.libexecDirectory, "/opt/x")
        XCTAssertEqual(overridden.searchPath, "/p")
        XCTAssertEqual(overridden.faceLibrary, "/opt/x/libmpi.so")
        let own = try Installation.current(environment: [:])
        // The test runner is our "executable" here: its directory is the build directory.
        let runner = try XCTUnwrap(realpath("/proc/self/exe", nil))
        defer { free(runner) }
        XCTAssertEqual(own.libexecDirectory + "/" + (String(cString: runner) as NSString).lastPathComponent,
                       String(cString: runner))
        XCTAssertEqual(own.searchPath, "/bin:/usr/bin")
    }
}
