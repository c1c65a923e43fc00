import Foundation
import XCTest
@testable import CkptMPI

/// What `ckpt-mpi run` refuses to start, and the one line it says about it.
final class ProgramCheckTests: XCTestCase {
    private func failure(_ name: String, searchPath: String = "/usr/bin:/bin",
                         file: StaticString = #filePath, line: UInt = #line) -> CLIFailure? {
        do {
            _ = try ProgramCheck(searchPath: searchPath).check(name)
            XCTFail("\(name) was accepted", file: file, line: line)
            return nil
        } catch {
            guard let failure = error as? CLIFailure else {
                XCTFail("unexpected error \(error)", file: file, line: line)
                return nil
            }
            XCTAssertFalse(failure.message.contains("\n"), "not one line: \(failure.message)", file: file, line: line)
            return failure
        }
    }

    func testDynamicProgramFromPathIsAccepted() throws {
        let program = try ProgramCheck(searchPath: "/nonexistent:/usr/bin:/bin").check("ls")
        XCTAssertEqual(program.path, "/usr/bin/ls")
        XCTAssertEqual(program.interpreter, "/lib64/ld-linux-x86-64.so.2")
        XCTAssertTrue(program.neededLibraries.contains("libc.so.6"))
    }

    func testNameWithSlashIsNotSearched() throws {
        let directory = try TemporaryDirectory()
        XCTAssertEqual(failure("./ls", searchPath: "/usr/bin"),
                       CLIFailure("./ls: no such file", exitStatus: 127))
        let copy = directory.path + "/copy-of-ls"
        try FileManager.default.copyItem(atPath: "/bin/ls", toPath: copy)
        XCTAssertEqual(try ProgramCheck(searchPath: "").check(copy).path, copy)
    }

    func testMissingProgramIsExit127() {
        XCTAssertEqual(failure("ckpt-no-such-program"),
                       CLIFailure("ckpt-no-such-program: command not found in PATH", exitStatus: 127))
    }

    func testEmptyPathEntryMeansCurrentDirectory() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: "/bin/ls", toPath: directory.path + "/here")
        let saved = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(saved) }
        XCTAssertEqual(try ProgramCheck(searchPath: "/nonexistent:").check("here").path, "./here")
    }

    func testPathSearchSkipsUnexecutableAndReportsIfNothingElse() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        try first.file("tool", "not executable", mode: 0o644)
        try FileManager.default.copyItem(atPath: "/bin/ls", toPath: second.path + "/tool")
        XCTAssertEqual(try ProgramCheck(searchPath: "\(first.path):\(second.path)").check("tool").path,
                       second.path + "/tool")
        // execvp reports EACCES when a name was found but none of the hits could be executed.
        XCTAssertEqual(failure("tool", searchPath: first.path),
                       CLIFailure("tool is not executable (found in PATH without execute permission)",
                                  exitStatus: 126))
    }

    func testDirectoryAndNonExecutableAreExit126() throws {
        let directory = try TemporaryDirectory()
        XCTAssertEqual(failure(directory.path), CLIFailure("\(directory.path) is a directory", exitStatus: 126))
        let plain = try directory.file("data", "x", mode: 0o644)
        XCTAssertEqual(failure(plain), CLIFailure("\(plain) is not executable (no execute permission)", exitStatus: 126))
        XCTAssertEqual(failure("/dev/null")?.message, "/dev/null is not a regular file")
    }

    func testScriptIsNotAnELFExecutable() throws {
        let directory = try TemporaryDirectory()
        let script = try directory.script("job.sh", "mpirun ./app")
        XCTAssertEqual(failure(script), CLIFailure(
            "\(script) is not an ELF executable (it is a script: run the program it starts under ckpt-mpi instead)",
            exitStatus: 126))
        let text = try directory.file("text", "hello", mode: 0o755)
        XCTAssertEqual(failure(text), CLIFailure("\(text) is not an ELF executable", exitStatus: 126))
    }

    func testObjectFileIsNotAnELFExecutable() throws {
        let directory = try TemporaryDirectory()
        let object = try compileC(trivialCProgram, with: "cc", flags: ["-c"], in: directory, name: "main.o")
        chmod(object, 0o755)
        XCTAssertEqual(failure(object)?.message, "\(object) is not an ELF executable (it is an object file)")
    }

    func testForeignMachineIsRefusedByName() throws {
        let directory = try TemporaryDirectory()
        var header = [UInt8](repeating: 0, count: 64)
        header[0...6] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]
        header[16] = 2
        header[18] = 183  // AArch64
        let path = directory.path + "/arm-app"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(header), attributes: [.posixPermissions: 0o755]))
        XCTAssertEqual(failure(path), CLIFailure(
            "\(path) is a 64-bit little-endian AArch64 ELF file; ckpt-mpi runs x86-64 ELF64 programs only",
            exitStatus: 126))
    }

    func testStaticProgramIsUnsupported() throws {
        let directory = try TemporaryDirectory()
        // A static PIE is ET_DYN like a shared library; it must still be called static.
        for (name, flag) in [("static", "-static"), ("static-pie", "-static-pie")] {
            let program = try compileC(trivialCProgram, with: "cc", flags: [flag], in: directory, name: name)
            let refused = failure(program)
            XCTAssertEqual(refused?.exitStatus, 126)
            XCTAssertTrue(refused?.message.hasPrefix("\(program) is statically linked, which is unsupported") ?? false,
                          refused?.message ?? "")
        }
    }

    func testSharedLibraryIsNotAProgram() throws {
        let directory = try TemporaryDirectory()
        let library = try compileC("int f(void) { return 1; }\n", with: "cc", flags: ["-shared", "-fPIC"],
                                   in: directory, name: "libf.so")
        chmod(library, 0o755)
        XCTAssertEqual(failure(library)?.message, "\(library) is a shared library, not a program")
    }

    func testOpenMPIBinaryIsAcceptedForTheOpenMPIFace() throws {
        let directory = try TemporaryDirectory()
        let program = try compileC(trivialMPIProgram, with: "mpicc.openmpi", in: directory, name: "ompi-app")
        let checked = try ProgramCheck(searchPath: "").check(program)
        XCTAssertTrue(checked.neededLibraries.contains("libmpi.so.40"))
    }

    func testMPICHBinaryIsAccepted() throws {
        let directory = try TemporaryDirectory()
        let program = try compileC(trivialMPIProgram, with: "mpicc.mpich", in: directory, name: "mpich-app")
        let checked = try ProgramCheck(searchPath: "").check(program)
        XCTAssertTrue(checked.neededLibraries.contains("libmpich.so.12"))
    }

    func testUnreadableProgramIsRefused() throws {
        guard getuid() != 0 else { throw XCTSkip("root reads any file, so an unreadable program cannot be made") }
        let directory = try TemporaryDirectory()
        let copy = directory.path + "/secret"
        try FileManager.default.copyItem(atPath: "/bin/ls", toPath: copy)
        chmod(copy, 0o111)
        XCTAssertTrue(failure(copy)?.message.hasPrefix("cannot read \(copy): open(") ?? false)
    }

    func testFaceABIFollowsTheMPISoname() throws {
        XCTAssertEqual(ProgramCheck.faceABI(neededLibraries: ["libmpi.so.40", "libc.so.6"]), "openmpi")
        XCTAssertEqual(ProgramCheck.faceABI(neededLibraries: ["libmpich.so.12", "libc.so.6"]), "mpich")
        XCTAssertEqual(ProgramCheck.faceABI(neededLibraries: ["libmpi.so.12"]), "mpich")
        XCTAssertEqual(ProgramCheck.faceABI(neededLibraries: ["libmpi_mpifh.so.40", "libgfortran.so.5"]), "openmpi",
                       "mpifort.openmpi: a `use mpi` program needs only libmpi_mpifh.so.40")
        XCTAssertNil(ProgramCheck.faceABI(neededLibraries: ["libc.so.6"]), "no MPI of its own: unknown, not none")
        let directory = try TemporaryDirectory()
        let ompi = try compileC(trivialMPIProgram, with: "mpicc.openmpi", in: directory, name: "ompi")
        XCTAssertEqual(try ProgramCheck(searchPath: "").check(ompi).faceABI, "openmpi")
        XCTAssertEqual(ProgramCheck.neededLibraries(ofFile: ompi).flatMap(ProgramCheck.faceABI), "openmpi")
        XCTAssertNil(ProgramCheck.neededLibraries(ofFile: directory.path + "/missing"))
    }

    func testCxxBindingsUseIsTheirImportsBeyondTheVtablesOrTheirObjects() {
        let every = ProgramCheck.cxxImportsOfEveryProgram.map { ELFSymbol(name: $0, type: ELFSymbol.typeFunction, isDefined: false) }
        let inline = ELFSymbol(name: "_ZN3MPI4Info4FreeEv", type: ELFSymbol.typeFunction, isDefined: true)
        XCTAssertNil(ProgramCheck.cxxBindingsUse(every + [inline]), "a C-API program: vtable imports, weak inline copies")
        let world = ELFSymbol(name: "_ZN3MPI10COMM_WORLDE", type: ELFSymbol.typeObject, isDefined: true)
        XCTAssertEqual(ProgramCheck.cxxBindingsUse(every + [world]), "_ZN3MPI10COMM_WORLDE", "a copy-relocated MPI:: object")
        let initialize = ELFSymbol(name: "_ZN3MPI20InitializeInterceptsEv", type: ELFSymbol.typeFunction, isDefined: false)
        XCTAssertEqual(ProgramCheck.cxxBindingsUse([inline, initialize]), "_ZN3MPI20InitializeInterceptsEv")
    }
}
