import Foundation
import XCTest
@testable import CkptMPI

/// The directory of face links the lower half hands to the upper half's loader.
final class FaceDirectoryTests: XCTestCase {
    private func readLink(_ path: String) -> String? { FaceDirectory.currentTarget(of: path) }

    func testCreatedBesideTheFaceWithRelativeLinks() throws {
        let libexec = try TemporaryDirectory()
        let face = try libexec.file("libmpi.so", "face")
        let installation = Installation(libexecDirectory: libexec.path, searchPath: "")
        let directory = try FaceDirectory.prepare(for: installation, temporaryDirectory: "/nonexistent", userID: getuid())
        XCTAssertEqual(directory, libexec.path + "/face")
        for name in ["libmpi.so.12", "libmpich.so.12"] {
            XCTAssertEqual(readLink(directory + "/" + name), "../libmpi.so")
            XCTAssertEqual(try String(contentsOfFile: directory + "/" + name, encoding: .utf8), "face")
        }
        // Open MPI binaries ask for libmpi.so.40: the Open MPI face built beside the MPICH face.
        XCTAssertEqual(readLink(directory + "/libmpi.so.40"), "../libmpi-ompi.so")
        XCTAssertEqual(readLink(directory + "/libmpi_cxx.so.40"), "../libmpi_cxx-ompi.so")
        XCTAssertEqual(readLink(directory + "/libmpi_mpifh.so.40"), "../libmpi_mpifh-ompi.so")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
                       ["libmpi.so.12", "libmpi.so.40", "libmpi_cxx.so.40", "libmpi_mpifh.so.40", "libmpich.so.12"], "no temporary names left behind")
        // The links stay valid when the whole build directory moves.
        let moved = libexec.path + "-moved"
        try FileManager.default.moveItem(atPath: libexec.path, toPath: moved)
        defer { try? FileManager.default.moveItem(atPath: moved, toPath: libexec.path) }
        XCTAssertEqual(try String(contentsOfFile: moved + "/face/libmpi.so.12", encoding: .utf8), "face")
        _ = face
    }

    func testSecondPrepareKeepsAndStaleLinksAreReplaced() throws {
        let libexec = try TemporaryDirectory()
        try libexec.file("libmpi.so", "face")
        let installation = Installation(libexecDirectory: libexec.path, searchPath: "")
        let directory = try FaceDirectory.prepare(for: installation, temporaryDirectory: "/tmp", userID: getuid())
        var before = stat()
        lstat(directory + "/libmpi.so.12", &before)
        // A link left by some other build must be replaced.
        unlink(directory + "/libmpich.so.12")
        symlink("/elsewhere/libmpi.so", directory + "/libmpich.so.12")
        XCTAssertEqual(try FaceDirectory.prepare(for: installation, temporaryDirectory: "/tmp", userID: getuid()),
                       directory)
        var after = stat()
        lstat(directory + "/libmpi.so.12", &after)
        XCTAssertEqual(before.st_ino, after.st_ino, "a correct link is left alone")
        XCTAssertEqual(readLink(directory + "/libmpich.so.12"), "../libmpi.so")
    }

    func testConcurrentCreatorsAllSucceed() throws {
        let libexec = try TemporaryDirectory()
        try libexec.file("libmpi.so", "face")
        let installation = Installation(libexecDirectory: libexec.path, searchPath: "")
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            do {
                _ = try FaceDirectory.prepare(for: installation, temporaryDirectory: "/tmp", userID: getuid())
            } catch {
                failures.increment()
            }
        }
        XCTAssertEqual(failures.value, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: libexec.path + "/face").sorted(),
                       ["libmpi.so.12", "libmpi.so.40", "libmpi_cxx.so.40", "libmpi_mpifh.so.40", "libmpich.so.12"])
    }

    func testMissingFaceLibraryIsReported() throws {
        let libexec = try TemporaryDirectory()
        let installation = Installation(libexecDirectory: libexec.path, searchPath: "")
        XCTAssertThrowsError(try FaceDirectory.prepare(for: installation, temporaryDirectory: "/tmp", userID: getuid())) {
            XCTAssertEqual(($0 as? CLIFailure)?.message,
                           "the MPI face library \(libexec.path)/libmpi.so is missing; build the whole package (swift build), not only ckpt-mpi")
        }
    }

    func testPrivateFallbackUsesAbsoluteLinksInAPerUserDirectory() throws {
        let libexec = try TemporaryDirectory()
        let face = try libexec.file("libmpi.so", "face")
        let tmp = try TemporaryDirectory()
        let directory = try FaceDirectory.preparePrivate(forFaceLibrary: face, temporaryDirectory: tmp.path,
                                                         userID: getuid())
        XCTAssertTrue(directory.hasPrefix(tmp.path + "/ckpt-mpi-\(getuid())/face-"), directory)
        var info = stat()
        stat(tmp.path + "/ckpt-mpi-\(getuid())", &info)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)
        let real = try XCTUnwrap(realpath(face, nil))
        defer { free(real) }
        XCTAssertEqual(readLink(directory + "/libmpich.so.12"), String(cString: real))
        XCTAssertEqual(readLink(directory + "/libmpi.so.40"),
                       (String(cString: real) as NSString).deletingLastPathComponent + "/libmpi-ompi.so")
        // Another build gets its own directory.
        let other = try TemporaryDirectory()
        let otherFace = try other.file("libmpi.so", "other")
        XCTAssertNotEqual(try FaceDirectory.preparePrivate(forFaceLibrary: otherFace, temporaryDirectory: tmp.path,
                                                           userID: getuid()), directory)
    }

    func testPrivateDirectoryOwnedBySomeoneElseIsRefused() throws {
        let tmp = try TemporaryDirectory()
        mkdir(tmp.path + "/ckpt-mpi-4242", 0o700)
        XCTAssertThrowsError(try FaceDirectory.privateDirectory(in: tmp.path, userID: 4242 &+ (getuid() == 4242 ? 1 : 0)))
        mkdir(tmp.path + "/ckpt-mpi-\(getuid())", 0o777)
        chmod(tmp.path + "/ckpt-mpi-\(getuid())", 0o777)
        XCTAssertThrowsError(try FaceDirectory.privateDirectory(in: tmp.path, userID: getuid())) {
            XCTAssertTrue(($0 as? CLIFailure)?.message.contains("is not a private directory") ?? false)
        }
    }

    func testUnwritableLibexecFallsBackToTheTemporaryDirectory() throws {
        guard getuid() != 0 else { throw XCTSkip("root can write a read-only directory; covered by the private-directory test") }
        let libexec = try TemporaryDirectory()
        try libexec.file("libmpi.so", "face")
        chmod(libexec.path, 0o555)
        defer { chmod(libexec.path, 0o755) }
        let tmp = try TemporaryDirectory()
        let installation = Installation(libexecDirectory: libexec.path, searchPath: "")
        let directory = try FaceDirectory.prepare(for: installation, temporaryDirectory: tmp.path, userID: getuid())
        XCTAssertTrue(directory.hasPrefix(tmp.path + "/ckpt-mpi-"), directory)
    }
}

/// A counter safe to bump from concurrentPerform's threads.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
