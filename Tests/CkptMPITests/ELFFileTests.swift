import Foundation
import XCTest
@testable import CkptMPI

/// The ELF reader against real files of every kind `ckpt-mpi run` meets.
final class ELFFileTests: XCTestCase {
    func testDynamicSystemBinaryHasInterpreterAndLibc() throws {
        let elf = try ELFFile(reading: ReadOnlyFile(path: "/bin/ls"))
        XCTAssertTrue(elf.identity.isX86_64ELF64)
        XCTAssertEqual(elf.interpreter, "/lib64/ld-linux-x86-64.so.2")
        XCTAssertTrue(elf.isDynamic)
        XCTAssertTrue(elf.neededLibraries.contains("libc.so.6"), "\(elf.neededLibraries)")
        XCTAssertNotEqual(elf.entry, 0)
        XCTAssertTrue(elf.programHeaders.contains { $0.type == ELFProgramHeader.typeLoad })
    }

    func testNeededLibrariesMatchReadelf() throws {
        guard let readelf = which("readelf") else { throw XCTSkip("readelf is not installed") }
        let listing = try runTool(readelf, ["-d", "/bin/ls"]).output
        // readelf prints: 0x...01 (NEEDED)  Shared library: [libc.so.6]
        let expected = listing.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            line.split(separator: "[").last?.split(separator: "]").first.map(String.init)
        }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(try ELFFile(reading: ReadOnlyFile(path: "/bin/ls")).neededLibraries, expected)
    }

    func testSharedLibraryHasSoname() throws {
        let directory = try TemporaryDirectory()
        let library = try compileC("int answer(void) { return 42; }\n", with: "cc",
                                   flags: ["-shared", "-fPIC", "-Wl,-soname,libanswer.so.3"], in: directory,
                                   name: "libanswer.so")
        let elf = try ELFFile(reading: ReadOnlyFile(path: library))
        XCTAssertEqual(elf.identity.type, ELFIdentity.typeShared)
        XCTAssertEqual(elf.soname, "libanswer.so.3")
        XCTAssertNil(elf.interpreter)
        XCTAssertFalse(elf.isPIE)
    }

    func testRunPathIsRead() throws {
        let directory = try TemporaryDirectory()
        let program = try compileC(trivialCProgram, with: "cc", flags: ["-Wl,-rpath,/opt/ckpt/lib",
                                   "-Wl,--enable-new-dtags"], in: directory, name: "rpath")
        XCTAssertEqual(try ELFFile(reading: ReadOnlyFile(path: program)).runPath, "/opt/ckpt/lib")
    }

    func testStaticBinaryHasNoInterpreter() throws {
        let directory = try TemporaryDirectory()
        let program = try compileC(trivialCProgram, with: "cc", flags: ["-static"], in: directory, name: "static")
        let elf = try ELFFile(reading: ReadOnlyFile(path: program))
        XCTAssertTrue(elf.identity.isX86_64ELF64)
        XCTAssertNil(elf.interpreter)
        XCTAssertTrue(elf.neededLibraries.isEmpty)
    }

    func testOpenMPIBinaryNeedsLibmpi40() throws {
        let directory = try TemporaryDirectory()
        let program = try compileC(trivialMPIProgram, with: "mpicc.openmpi", in: directory, name: "ompi")
        XCTAssertTrue(try ELFFile(reading: ReadOnlyFile(path: program)).neededLibraries.contains("libmpi.so.40"))
    }

    func testMPICHBinaryNeedsLibmpich12() throws {
        let directory = try TemporaryDirectory()
        let program = try compileC(trivialMPIProgram, with: "mpicc.mpich", in: directory, name: "mpich")
        XCTAssertTrue(try ELFFile(reading: ReadOnlyFile(path: program)).neededLibraries.contains("libmpich.so.12"))
    }

    func testShellScriptIsNotELF() throws {
        let directory = try TemporaryDirectory()
        let script = try directory.script("job.sh", "echo hi")
        XCTAssertNil(try ELFIdentity.read(from: ReadOnlyFile(path: script)))
        XCTAssertThrowsError(try ELFFile(reading: ReadOnlyFile(path: script))) {
            XCTAssertEqual($0 as? ELFError, .notELF)
        }
    }

    func testEmptyDataIsNotELF() throws {
        XCTAssertNil(try ELFIdentity.read(from: [UInt8]()))
    }

    func testThirtyTwoBitIdentityIsReportedNotParsed() throws {
        // An i386 ELF header: class 1, little-endian, ET_EXEC, EM_386.
        var header = [UInt8](repeating: 0, count: 52)
        header[0...6] = [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]
        header[16] = 2
        header[18] = 3
        let identity = try XCTUnwrap(try ELFIdentity.read(from: header))
        XCTAssertFalse(identity.isX86_64ELF64)
        XCTAssertEqual(identity.machineName, "i386")
        XCTAssertThrowsError(try ELFFile(reading: header)) { error in
            XCTAssertEqual(error as? ELFError, .unsupportedFormat(identity))
            XCTAssertEqual("\(error)", "32-bit little-endian i386 ELF file")
        }
    }

    func testBigEndianMachineIsDecodedInItsByteOrder() throws {
        var header = [UInt8](repeating: 0, count: 64)
        header[0...6] = [0x7f, 0x45, 0x4c, 0x46, 2, 2, 1]
        header[17] = 2      // ET_EXEC, big-endian
        header[19] = 22     // EM_S390
        let identity = try XCTUnwrap(try ELFIdentity.read(from: header))
        XCTAssertEqual(identity.type, ELFIdentity.typeExecutable)
        XCTAssertEqual(identity.machineName, "s390")
        XCTAssertFalse(identity.isLittleEndian)
    }

    func testTruncatedBinaryFailsWithoutTrapping() throws {
        let whole = try ReadOnlyFile(path: "/bin/ls").read(at: 0, count: 1 << 20)
        for length in [10, 40, 64, 100, 300] {
            XCTAssertThrowsError(try ELFFile(reading: Array(whole.prefix(length))), "length \(length)") { error in
                guard case .truncated = error as? ELFError else { return XCTFail("\(length): \(error)") }
            }
        }
    }

    func testReaderFromMemoryMatchesReaderFromFile() throws {
        let file = try ReadOnlyFile(path: "/bin/ls")
        var size = stat()
        stat("/bin/ls", &size)
        let bytes = try file.read(at: 0, count: Int(size.st_size))
        let fromMemory = try ELFFile(reading: bytes)
        let fromFile = try ELFFile(reading: file)
        XCTAssertEqual(fromMemory.neededLibraries, fromFile.neededLibraries)
        XCTAssertEqual(fromMemory.programHeaders, fromFile.programHeaders)
    }

    func testOpeningMissingFileReportsCallAndErrno() {
        XCTAssertThrowsError(try ReadOnlyFile(path: "/nonexistent/ckpt")) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("open", "/nonexistent/ckpt", errno: ENOENT))
            XCTAssertEqual("\(error)", "open(/nonexistent/ckpt): No such file or directory")
        }
    }

    func testDynamicSymbolsAreReadFromTheHashTable() throws {
        let file = try ReadOnlyFile(path: "/bin/ls")
        let symbols = try ELFFile(reading: file).dynamicSymbols(from: file)
        XCTAssertTrue(symbols.contains { $0.name == "malloc" && !$0.isDefined && $0.type == ELFSymbol.typeFunction })
        XCTAssertGreaterThan(symbols.count, 50)
        let libc = try ReadOnlyFile(path: "/lib/x86_64-linux-gnu/libc.so.6")
        let exported = try ELFFile(reading: libc).dynamicSymbols(from: libc)
        XCTAssertTrue(exported.contains { $0.name == "printf" && $0.isDefined })
        XCTAssertTrue(exported.contains { $0.name == "environ" && $0.isDefined && $0.type == ELFSymbol.typeObject })
    }
}

