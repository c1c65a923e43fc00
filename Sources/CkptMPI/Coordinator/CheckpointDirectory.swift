import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The layout of a checkpoint directory D (docs/checkpoint-protocol.md):
/// `coordinator.lock`, `coordinator.sock`, `job.json` and one `gen-NNNNNN/` per generation.
struct CheckpointDirectory: Equatable {
    /// The directory, absolute so engines in other working directories can use the paths.
    let path: String

    static let socketName = "coordinator.sock"
    static let jobName = "job.json"
    static let manifestName = "MANIFEST.json"
    static let generationPrefix = "gen-"
    /// Where `checkpoint`, `status` and `restart` look when no directory is given.
    static let environmentVariable = "CKPT_MPI_DIR"
    static let defaultName = "ckpt"

    init(_ path: String) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        self.path = (absolute as NSString).standardizingPath
    }

    /// The directory named by `--ckpt-dir`, else `$CKPT_MPI_DIR`, else `./ckpt`.
    static func resolve(_ option: String?, environment: [String: String]) -> CheckpointDirectory {
        if let option, !option.isEmpty { return CheckpointDirectory(option) }
        if let variable = environment[environmentVariable], !variable.isEmpty { return CheckpointDirectory(variable) }
        return CheckpointDirectory(defaultName)
    }

    var socketPath: String { path + "/" + Self.socketName }
    var lockPath: String { path + "/" + CoordinatorLock.name }
    var jobPath: String { path + "/" + Self.jobName }

    /// `gen-000042`.
    static func generationName(_ number: Int) -> String {
        let digits = String(number)
        return generationPrefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The number in a `gen-NNNNNN` name, nil for anything else (including `gen-` junk).
    static func generationNumber(fromName name: String) -> Int? {
        guard name.hasPrefix(generationPrefix) else { return nil }
        let digits = name.dropFirst(generationPrefix.count)
        guard digits.count >= 6, digits.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        return Int(digits)
    }

    func generationPath(_ number: Int) -> String { path + "/" + Self.generationName(number) }
    func manifestPath(_ number: Int) -> String { generationPath(number) + "/" + Self.manifestName }

    /// The image file name of `rank` inside a generation directory.
    static func imageName(rank: Int) -> String {
        let digits = String(rank)
        return "rank-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + ".img"
    }

    /// Whether D exists as a directory.
    var exists: Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Fails unless D exists as a directory: "no checkpoint directory" when it is missing, the
    /// failing call and errno otherwise (EACCES for a directory inside another user's).
    func checkExists() throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw CLIFailure("no checkpoint directory \(path)") }
            throw SystemCallError("stat", path)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw CLIFailure("checkpoint directory \(path) exists and is not a directory") }
    }

    /// Creates D with mode 0700 if missing: images hold the whole memory of the job. An existing
    /// D must be private already (`checkPrivate`).
    func create() throws {
        if mkdir(path, 0o700) == 0 {
            try DurableFile.syncDirectory(containing: path)
            return
        }
        guard errno == EEXIST else { throw SystemCallError("mkdir", path) }
        guard exists else { throw CLIFailure("checkpoint directory \(path) exists and is not a directory") }
        try checkPrivate()
    }

    /// Refuses a D that someone else could change: whoever can write it can rename or delete
    /// generations, push the numbering forward or plant entries, and another owner can read
    /// every image (the job's whole memory).
    func checkPrivate(userID: uid_t = geteuid()) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemCallError("stat", path) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw CLIFailure("checkpoint directory \(path) exists and is not a directory") }
        if info.st_uid != userID {
            throw CLIFailure("checkpoint directory \(path) belongs to \(Self.userName(info.st_uid)), not to you "
                             + "(\(Self.userName(userID))); use a directory of your own")
        }
        let writers = [(S_IWGRP, "its group"), (S_IWOTH, "other users")].filter { info.st_mode & $0.0 != 0 }.map(\.1)
        if !writers.isEmpty {
            throw CLIFailure("checkpoint directory \(path) can be written by \(writers.joined(separator: " and ")) (mode "
                             + String(format: "%04o", info.st_mode & 0o7777) + "); make it private with 'chmod 700 \(path)'")
        }
    }

    /// `name (uid N)`, or `uid N` when the user has no name.
    private static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return "\(String(cString: name)) (uid \(uid))"
    }

    /// The names in a directory, without `.` and `..`; opendir/readdir errors keep their errno.
    static func names(in directory: String) throws -> [String] {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open", directory) }
        guard let stream = fdopendir(fd) else {
            let error = SystemCallError("fdopendir", directory)
            close(fd)
            throw error
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemCallError("readdir", directory) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Every generation directory present, oldest first, with whether it has a manifest.
    func generations() throws -> [GenerationEntry] {
        try Self.names(in: path).compactMap { name -> GenerationEntry? in
            guard let number = Self.generationNumber(fromName: name) else { return nil }
            let generation = path + "/" + name
            var info = stat()
            guard lstat(generation, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
            return GenerationEntry(number: number, path: generation,
                                   hasManifest: access(generation + "/" + Self.manifestName, F_OK) == 0)
        }.sorted { $0.number < $1.number }
    }

    /// The number the next checkpoint gets: one more than any `gen-NNNNNN` name in D of any
    /// file type (a file or symlink of that name would make its mkdir fail), committed or not,
    /// and more than `atLeastAbove` (numbers used earlier by this coordinator).
    func nextGenerationNumber(atLeastAbove used: Int = 0) throws -> Int {
        max(try Self.names(in: path).compactMap(Self.generationNumber(fromName:)).max() ?? 0, used) + 1
    }

    /// Makes the directory of the next generation (mode 0700, never through a symlink: mkdir
    /// does not follow one) and returns its number; a name taken meanwhile moves it on.
    func createGeneration(atLeastAbove used: Int = 0) throws -> Int {
        var number = try nextGenerationNumber(atLeastAbove: used)
        for _ in 0..<16 {
            let generation = generationPath(number)
            if mkdir(generation, 0o700) == 0 { return number }
            guard errno == EEXIST else { throw SystemCallError("mkdir", generation) }
            number = try nextGenerationNumber(atLeastAbove: number)
        }
        throw CLIFailure("cannot find a free generation number in \(path) (entries keep appearing)")
    }

    /// The newest generation that has a manifest.
    func newestValidGeneration() throws -> GenerationEntry? {
        try generations().last(where: \.hasManifest)
    }

    /// Applies `--keep`: after `committed` became valid, removes valid generations older
    /// than the newest `keep` ones, except those a kept generation's chain needs
    /// (incremental images), and every incomplete generation older than `committed`.
    /// Newer directories are left alone. Returns the numbers removed.
    @discardableResult
    func prune(keep: Int, committed: Int) throws -> [Int] {
        let older = try generations().filter { $0.number < committed }
        let validToKeep = closure(of: Set(older.filter(\.hasManifest).suffix(max(0, keep - 1)).map(\.number) + [committed]))
        var removed: [Int] = []
        for entry in older where !validToKeep.contains(entry.number) {
            try Self.removeGeneration(at: entry.path)
            removed.append(entry.number)
        }
        if !removed.isEmpty { try DurableFile.syncDirectory(path) }
        return removed
    }

    /// Removes a generation directory. The manifest goes first, so a crash halfway
    /// leaves an invalid generation rather than a manifest naming missing images.
    static func removeGeneration(at generation: String) throws {
        let manifest = generation + "/" + manifestName
        if unlink(manifest) != 0 && errno != ENOENT { throw SystemCallError("unlink", manifest) }
        try removeTree(generation)
    }

    /// Removes `path` and everything below it without following symlinks, naming the call
    /// and errno that failed. Entries that vanish meanwhile are fine; a directory that is
    /// refilled meanwhile (an engine renaming its image into place after an abort) is emptied again.
    static func removeTree(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw SystemCallError("lstat", path)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            if unlink(path) != 0 && errno != ENOENT { throw SystemCallError("unlink", path) }
            return
        }
        for attempt in 1...5 {
            let names: [String]
            do {
                names = try Self.names(in: path)
            } catch let error as SystemCallError where error.errno == ENOENT {
                return
            }
            for name in names { try removeTree(path + "/" + name) }
            if rmdir(path) == 0 || errno == ENOENT { return }
            guard errno == ENOTEMPTY || errno == EEXIST, attempt < 5 else { throw SystemCallError("rmdir", path) }
        }
    }
}

/// One `gen-NNNNNN` directory as found on disk.
struct GenerationEntry: Equatable {
    let number: Int
    let path: String
    /// Valid generations are exactly those with a manifest.
    let hasManifest: Bool
}
