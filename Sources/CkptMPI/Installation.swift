#if canImport(Glibc)
import Glibc
#endif

/// Where ckpt-mpi's own pieces and the system's MPI launchers are.
///
/// The lower halves and the face library are built next to the ckpt-mpi
/// executable (e.g. `.build/release/`), so they are found relative to it, not
/// through PATH: a `ckpt-lower-mpich` from another build must never be mixed
/// with this build's face. Everything is injectable so tests need no install.
struct Installation {
    /// The directory holding ckpt-mpi, the lower halves and `libmpi.so`.
    let libexecDirectory: String
    /// The PATH used to find the MPI launchers.
    let searchPath: String

    /// The environment variable that overrides the libexec directory (tests, relocated installs).
    static let libexecVariable = "CKPT_MPI_LIBEXEC"
    /// The face library the build produces (soname libmpi.so.12).
    static let faceLibraryName = "libmpi.so"
    /// The lower half used without any MPI launcher.
    static let noMPILowerHalfName = "ckpt-lower-nompi"

    init(libexecDirectory: String, searchPath: String) {
        self.libexecDirectory = libexecDirectory
        self.searchPath = searchPath
    }

    /// The installation of the running executable, honouring `CKPT_MPI_LIBEXEC`.
    static func current(environment: [String: String]) throws -> Installation {
        let libexec: String
        if let override = environment[libexecVariable], !override.isEmpty {
            libexec = override
        } else {
            libexec = try directoryOfRunningExecutable()
        }
        return Installation(libexecDirectory: libexec, searchPath: environment["PATH"] ?? "/bin:/usr/bin")
    }

    /// The real directory of this executable: /proc/self/exe already has symlinks resolved,
    /// so a `ckpt-mpi` symlinked into ~/bin still finds its siblings in the build directory.
    static func directoryOfRunningExecutable() throws -> String {
        guard let resolved = realpath("/proc/self/exe", nil) else { throw SystemCallError("realpath", "/proc/self/exe") }
        defer { free(resolved) }
        let path = String(cString: resolved)
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The path of a sibling of ckpt-mpi.
    func sibling(_ name: String) -> String {
        libexecDirectory.hasSuffix("/") ? libexecDirectory + name : libexecDirectory + "/" + name
    }

    /// The face library, `libmpi.so`, in the libexec directory.
    var faceLibrary: String { sibling(Self.faceLibraryName) }

    /// A lower half by name, if it is there and executable.
    func lowerHalf(named name: String) -> String? {
        let path = sibling(name)
        return Self.isExecutableFile(path) ? path : nil
    }

    /// The first executable `name` in PATH.
    func findInPath(_ name: String) -> String? {
        for entry in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let directory = entry.isEmpty ? "." : String(entry)
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if Self.isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// What is present of one MPI flavour.
    func availability(of flavour: MPIFlavour) -> MPIAvailability {
        MPIAvailability(flavour: flavour, launcher: findInPath(flavour.launcherName),
                        lowerHalf: lowerHalf(named: flavour.lowerHalfName))
    }

    /// The flavour to use: the requested one if usable, else the first usable in preference order.
    func selectMPI(requested: MPIFlavour?) throws -> UsableMPI {
        if let requested {
            return try availability(of: requested).usable()
        }
        let all = MPIFlavour.preferenceOrder.map(availability(of:))
        if let usable = all.lazy.compactMap({ try? $0.usable() }).first { return usable }
        let reasons = all.compactMap(\.problem).joined(separator: "; ")
        throw CLIFailure("no usable MPI: \(reasons); or run a single process with --no-mpi")
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
    }
}

/// What was found of one MPI flavour: its launcher in PATH and our lower half beside ckpt-mpi.
struct MPIAvailability: Equatable {
    let flavour: MPIFlavour
    /// The launcher's path, if found in PATH.
    let launcher: String?
    /// Our lower half's path, if it was built.
    let lowerHalf: String?

    /// Why this flavour cannot be used, or nil if it can.
    var problem: String? {
        if launcher == nil {
            return "MPI '\(flavour.rawValue)' is not installed (\(flavour.launcherName) not found); install \(flavour.packages)"
        }
        if lowerHalf == nil {
            // The lower half is only built when the MPI's headers were present at build time.
            return "MPI '\(flavour.rawValue)' is installed but its lower half \(flavour.lowerHalfName) was not built; install \(flavour.packages) and rebuild ckpt-mpi"
        }
        return nil
    }

    /// The usable pair, or the failure explaining what is missing.
    func usable() throws -> UsableMPI {
        if let problem { throw CLIFailure(problem) }
        return UsableMPI(flavour: flavour, launcher: launcher!, lowerHalf: lowerHalf!)
    }
}

/// An MPI flavour with both its launcher and our lower half present.
struct UsableMPI: Equatable {
    let flavour: MPIFlavour
    /// The launcher's path.
    let launcher: String
    /// Our lower half's path.
    let lowerHalf: String
}
