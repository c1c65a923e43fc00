#if canImport(Glibc)
import Glibc
#endif

/// The program the user asked to run, found and judged runnable under ckpt-mpi.
struct CheckedProgram: Equatable {
    /// Where the program is: the name as given when it has a slash, else the PATH hit.
    let path: String
    /// Its ELF interpreter; the lower half loads this to start the program.
    let interpreter: String
    /// Its DT_NEEDED libraries, in order.
    let neededLibraries: [String]

    /// The face that will serve it (`ProgramCheck.faceABI`).
    var faceABI: String? { ProgramCheck.faceABI(neededLibraries: neededLibraries) }
}

/// Finds the program the way execvp(3) would and refuses, with one line the user
/// can act on, anything ckpt-mpi cannot run — before any launcher or rank starts,
/// because a failure inside N ranks of mpirun is N confusing messages.
struct ProgramCheck {
    /// The PATH to search when the name has no slash; glibc's execvp default when unset.
    let searchPath: String

    /// The DT_NEEDED names of the ABIs our faces provide: MPICH's (mpicc.mpich links `libmpich.so.12`,
    /// same ABI) and Open MPI 4's `libmpi.so.40` (the Open MPI face, C API).
    static let faceSonames: Set<String> = ["libmpi.so.12", "libmpich.so.12", openMPISoname]
    /// Open MPI's soname, served by the Open MPI face in front of the MPICH face.
    static let openMPISoname = "libmpi.so.40"
    /// Open MPI's Fortran libraries: our libmpi_mpifh.so.40 (FaceDirectory) and Open MPI's own
    /// `use mpi` / `use mpi_f08` libraries on top of it.
    static let openMPIFortranSonames: Set<String> = ["libmpi_mpifh.so.40", "libmpi_usempif08.so.40",
                                                     "libmpi_usempi_ignore_tkr.so.40"]
    /// Open MPI's C++ bindings library: served by a stub (every symbol, none working), enough for
    /// the programs `mpicxx` links that call only the C API; those that use `MPI::` are refused.
    static let openMPICxxSoname = "libmpi_cxx.so.40"
    /// What the inline classes of Open MPI's mpicxx.h make every C++ program import from
    /// libmpi_cxx (vtable slots and a constructor), whether it uses the C++ bindings or not.
    static let cxxImportsOfEveryProgram: Set<String> = ["_ZN3MPI3Win4FreeEv", "_ZN3MPI4CommC1Ev",
                                                        "_ZN3MPI4CommC2Ev", "_ZN3MPI8Datatype4FreeEv"]

    /// The first symbol by which `symbols` (a program's dynamic symbols) shows it calls Open MPI's
    /// C++ bindings: an import from them beyond `cxxImportsOfEveryProgram`, or one of their
    /// objects (MPI::COMM_WORLD, MPI::INT, ...) copy-relocated into the program; nil when none.
    static func cxxBindingsUse(_ symbols: [ELFSymbol]) -> String? {
        symbols.first { s in
            (s.name.hasPrefix("_ZN3MPI") || s.name.hasPrefix("_ZNK3MPI"))
                && (s.isDefined ? s.type == ELFSymbol.typeObject : !cxxImportsOfEveryProgram.contains(s.name))
        }?.name
    }

    /// Which face a program linked against `neededLibraries` gets, named as the image's
    /// `program_abi`: "openmpi" for libmpi.so.40, "mpich" for libmpi.so.12/libmpich.so.12;
    /// nil when it names no MPI itself (it may still get one through another library).
    static func faceABI(neededLibraries: [String]) -> String? {
        // mpifort.openmpi links `use mpi` programs against libmpi_mpifh.so.40 alone (--as-needed).
        if neededLibraries.contains(where: { $0 == openMPISoname || openMPIFortranSonames.contains($0) }) { return "openmpi" }
        if neededLibraries.contains(where: { faceSonames.contains($0) }) { return "mpich" }
        return nil
    }

    /// A program ABI (`faceABI`, an image's `program_abi`) in words, e.g. "built for the MPICH ABI (libmpi.so.12)".
    static func describeFaceABI(_ abi: String) -> String {
        switch abi {
        case "mpich": return "built for the MPICH ABI (libmpi.so.12)"
        case "openmpi": return "built for the Open MPI ABI (libmpi.so.40)"
        case "none": return "uses no MPI"
        case "": return "ABI unknown"
        default: return "built for the \(abi) ABI"
        }
    }

    /// The DT_NEEDED names of the ELF file at `path`; nil when it cannot be read as one.
    static func neededLibraries(ofFile path: String) -> [String]? {
        guard let file = try? ReadOnlyFile(path: path), let elf = try? ELFFile(reading: file) else { return nil }
        return elf.neededLibraries
    }

    init(environment: [String: String]) {
        searchPath = environment["PATH"] ?? "/bin:/usr/bin"
    }

    init(searchPath: String) {
        self.searchPath = searchPath
    }

    /// Resolves `name` and checks the file; throws `CLIFailure` with exit 127 or 126.
    func check(_ name: String) throws -> CheckedProgram {
        let path = try resolve(name)
        try checkFileKind(path, shownAs: name)
        return try checkELF(path, shownAs: name)
    }

    /// Resolves a command name like execvp: names with a slash are used as given,
    /// others are searched in PATH, an empty entry meaning the current directory.
    func resolve(_ name: String) throws -> String {
        guard !name.isEmpty else { throw CLIFailure("empty program name", exitStatus: ExitStatus.notFound) }
        if name.contains("/") { return name }
        var sawUnexecutable = false
        for entry in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let directory = entry.isEmpty ? "." : String(entry)
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var info = stat()
            guard stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            // execvp keeps looking after EACCES but reports it if nothing better turns up.
            sawUnexecutable = true
        }
        if sawUnexecutable {
            throw CLIFailure("\(name) is not executable (found in PATH without execute permission)",
                             exitStatus: ExitStatus.cannotExecute)
        }
        throw CLIFailure("\(name): command not found in PATH", exitStatus: ExitStatus.notFound)
    }

    private func checkFileKind(_ path: String, shownAs name: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let error = errno
            if error == ENOENT || error == ENOTDIR {
                throw CLIFailure("\(name): no such file", exitStatus: ExitStatus.notFound)
            }
            throw CLIFailure("\(name): \(SystemCallError("stat", errno: error))", exitStatus: ExitStatus.cannotExecute)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw CLIFailure("\(name) is a directory", exitStatus: ExitStatus.cannotExecute)
        default: throw CLIFailure("\(name) is not a regular file", exitStatus: ExitStatus.cannotExecute)
        }
        guard access(path, X_OK) == 0 else {
            throw CLIFailure("\(name) is not executable (no execute permission)", exitStatus: ExitStatus.cannotExecute)
        }
    }

    private func checkELF(_ path: String, shownAs name: String) throws -> CheckedProgram {
        func refuse(_ message: String) -> CLIFailure {
            CLIFailure(message, exitStatus: ExitStatus.cannotExecute)
        }
        let file: ReadOnlyFile
        do {
            file = try ReadOnlyFile(path: path)
        } catch let error as SystemCallError {
            // The lower half maps the program itself instead of calling execve, so it must read it.
            throw refuse("cannot read \(name): \(error); ckpt-mpi loads the program itself and needs read permission")
        }
        let identity: ELFIdentity
        do {
            guard let found = try ELFIdentity.read(from: file) else {
                let start = try file.read(at: 0, count: 2)
                let hint = start == Array("#!".utf8)
                    ? " (it is a script: run the program it starts under ckpt-mpi instead)" : ""
                throw refuse("\(name) is not an ELF executable\(hint)")
            }
            identity = found
        } catch let error as ELFError {
            throw refuse("\(name) is not a valid ELF file (\(error))")
        }
        guard identity.isX86_64ELF64 else {
            throw refuse("\(name) is a \(ELFError.unsupportedFormat(identity)); ckpt-mpi runs x86-64 ELF64 programs only")
        }
        switch identity.type {
        case ELFIdentity.typeExecutable, ELFIdentity.typeShared: break
        case ELFIdentity.typeRelocatable: throw refuse("\(name) is not an ELF executable (it is an object file)")
        case ELFIdentity.typeCore: throw refuse("\(name) is not an ELF executable (it is a core dump)")
        default: throw refuse("\(name) is not an ELF executable (ELF type \(identity.type))")
        }
        let elf: ELFFile
        do {
            elf = try ELFFile(reading: file)
        } catch let error as ELFError {
            throw refuse("\(name) is not a valid ELF file (\(error))")
        }
        guard let interpreter = elf.interpreter else {
            // Static PIEs are ET_DYN too, but the linker marks them DF_1_PIE.
            if identity.type == ELFIdentity.typeShared && !elf.isPIE {
                throw refuse("\(name) is a shared library, not a program")
            }
            // Our MPI face is a shared library substituted at load time; a static binary has its MPI baked in.
            throw refuse("\(name) is statically linked, which is unsupported: ckpt-mpi needs a dynamically linked program so it can supply libmpi.so.12")
        }
        try checkMPIABI(elf.neededLibraries, shownAs: name)
        if elf.neededLibraries.contains(Self.openMPICxxSoname),
           let symbol = Self.cxxBindingsUse((try? elf.dynamicSymbols(from: file)) ?? []) {
            throw refuse("\(name) uses Open MPI's C++ bindings (\(symbol)), which ckpt-mpi does not support: programs that call the C API from C++ run (MPI 3 deprecated the C++ bindings, MPICH 4 has none)")
        }
        return CheckedProgram(path: path, interpreter: interpreter, neededLibraries: elf.neededLibraries)
    }

    private func checkMPIABI(_ needed: [String], shownAs name: String) throws {
        for library in needed where !Self.faceSonames.contains(library) {
            if Self.openMPIFortranSonames.contains(library) { continue }
            if library.hasPrefix("libmpi.so.") || library.hasPrefix("libmpi_abi.so.") {
                throw CLIFailure("\(name) is linked against \(library), an MPI ABI this build does not provide; ckpt-mpi runs MPICH-ABI binaries: rebuild it with mpicc.mpich",
                                 exitStatus: ExitStatus.cannotExecute)
            }
        }
    }
}
