#if canImport(Glibc)
import Glibc
#endif

/// The directory the upper half's dynamic loader is pointed at to find our MPI face.
///
/// The build produces one `libmpi.so` (soname libmpi.so.12), but applications ask
/// for it by two names: `libmpi.so.12` (MPICH ABI via most wrappers) and
/// `libmpich.so.12` (what Debian's `mpicc.mpich` records in DT_NEEDED). The
/// directory holds both names as symlinks to the one face library.
struct FaceDirectory {
    /// The names the upper half's loader will look for.
    static let libraryNames = ["libmpi.so.12", "libmpich.so.12"]
    /// Open MPI's soname, served by the Open MPI face (docs/openmpi-face.md), built beside the MPICH face.
    static let openMPILibraryName = "libmpi.so.40"
    /// The file the build makes for the Open MPI face.
    static let openMPIFaceFileName = "libmpi-ompi.so"

    /// Open MPI's C++ bindings library, served by a stub (docs/openmpi-face.md, "C++").
    static let openMPICxxLibraryName = "libmpi_cxx.so.40"
    /// The file the build makes for that stub.
    static let openMPICxxFileName = "libmpi_cxx-ompi.so"
    /// Open MPI's mpif.h library, served by our generated one (docs/openmpi-face.md, "Fortran"). Its
    /// `use mpi` and `use mpi_f08` libraries are Open MPI's own, found where it installed them: they
    /// need only the names of this one and libmpi.so.40, which the loader then finds here.
    static let openMPIFortranLibraryName = "libmpi_mpifh.so.40"
    /// The file the build makes for it.
    static let openMPIFortranFileName = "libmpi_mpifh-ompi.so"

    /// The Open MPI face beside the MPICH face `target` (same directory, relative or absolute).
    static func openMPIFace(besideFace target: String) -> String { beside(target, openMPIFaceFileName) }

    /// `file` in the directory of `target` (relative or absolute).
    static func beside(_ target: String, _ file: String) -> String {
        guard let slash = target.lastIndex(of: "/") else { return file }
        return String(target[...slash]) + file
    }
    /// The name of the directory inside libexec.
    static let directoryName = "face"

    /// Errors that mean "not ours to write", after which a private directory is used instead.
    static let notWritableErrors: Set<Int32> = [EACCES, EPERM, EROFS]

    /// Returns a face directory for `installation`, creating it if needed: `<libexec>/face`
    /// when libexec is writable, else a per-user directory under `temporaryDirectory`.
    static func prepare(for installation: Installation, temporaryDirectory: String, userID: uid_t) throws -> String {
        let face = installation.faceLibrary
        var info = stat()
        guard stat(face, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw CLIFailure("the MPI face library \(face) is missing; build the whole package (swift build), not only ckpt-mpi")
        }
        let beside = installation.sibling(directoryName)
        do {
            // Relative, so the build directory can be moved or copied without stale links.
            try populate(beside, target: "../" + Installation.faceLibraryName)
            return beside
        } catch let error as SystemCallError where notWritableErrors.contains(error.errno) {
            // A system-wide install: fall through to a private copy of the links.
        }
        return try preparePrivate(forFaceLibrary: face, temporaryDirectory: temporaryDirectory, userID: userID)
    }

    /// The fallback: `<tmp>/ckpt-mpi-<uid>/face-<hash>` with absolute links to `faceLibrary`.
    static func preparePrivate(forFaceLibrary faceLibrary: String, temporaryDirectory: String,
                               userID: uid_t) throws -> String {
        guard let absoluteFace = realpath(faceLibrary, nil) else { throw SystemCallError("realpath", faceLibrary) }
        defer { free(absoluteFace) }
        let target = String(cString: absoluteFace)
        let base = try privateDirectory(in: temporaryDirectory, userID: userID)
        // One directory per face library, so two builds used by the same user never share links.
        let directory = base + "/face-" + String(fnv1a(target), radix: 16)
        try populate(directory, target: target)
        return directory
    }

    /// Makes `directory` hold the face links pointing at `target`, replacing stale ones.
    ///
    /// Safe against concurrent callers (several `ckpt-mpi run` starting at once): each
    /// link is made under a unique temporary name and renamed into place, and rename
    /// replaces atomically, so a reader never sees a missing or half-made link.
    static func populate(_ directory: String, target: String) throws {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw SystemCallError("mkdir", directory) }
        let links = libraryNames.map { ($0, target) } + [(openMPILibraryName, openMPIFace(besideFace: target)),
                                                         (openMPICxxLibraryName, beside(target, openMPICxxFileName)),
                                                         (openMPIFortranLibraryName, beside(target, openMPIFortranFileName))]
        for (name, target) in links {
            let link = directory + "/" + name
            if currentTarget(of: link) == target { continue }
            let temporary = directory + "/.\(name).\(getpid()).\(UInt32.random(in: .min ... .max))"
            guard symlink(target, temporary) == 0 else { throw SystemCallError("symlink", temporary) }
            guard rename(temporary, link) == 0 else {
                let error = SystemCallError("rename", link)
                unlink(temporary)
                throw error
            }
        }
    }

    /// The target of the symlink at `path`, nil if it is not a symlink.
    static func currentTarget(of path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `<tmp>/ckpt-mpi-<uid>`, created 0700 and verified to be ours: in a shared /tmp,
    /// another user could have created it first to plant links to their own library.
    static func privateDirectory(in temporaryDirectory: String, userID: uid_t) throws -> String {
        let tmp = temporaryDirectory.isEmpty ? "/tmp" : temporaryDirectory
        let path = (tmp.hasSuffix("/") ? tmp : tmp + "/") + "ckpt-mpi-\(userID)"
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw SystemCallError("mkdir", path) }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw SystemCallError("lstat", path) }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == userID, info.st_mode & 0o022 == 0 else {
            throw CLIFailure("\(path) is not a private directory of user \(userID); remove it or set TMPDIR elsewhere")
        }
        return path
    }

    /// A stable, dependency-free hash for naming directories (not for security).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}
