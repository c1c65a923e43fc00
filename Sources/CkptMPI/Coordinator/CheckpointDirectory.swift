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
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Creates D with mode 0700 if missing: images hold the whole memory of the job.
    func create() throws {
        if mkdir(path, 0o700) == 0 {
            try DurableFile.syncDirectory(containing: path)
            return
        }
        guard errno == EEXIST else { throw SystemCallError("mkdir", path) }
        guard exists else { throw CLIFailure("checkpoint directory \(path) exists and is not a directory") }
    }

    /// Every generation directory present, oldest first, with whether it has a manifest.
    func generations() throws -> [GenerationEntry] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw SystemCallError("opendir", path, errno: ENOENT)
        }
        return names.compactMap { name -> GenerationEntry? in
            guard let number = Self.generationNumber(fromName: name) else { return nil }
            let generation = path + "/" + name
            var info = stat()
            guard lstat(generation, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
            return GenerationEntry(number: number, path: generation,
                                   hasManifest: access(generation + "/" + Self.manifestName, F_OK) == 0)
        }.sorted { $0.number < $1.number }
    }

    /// The number the next checkpoint gets: one more than any generation directory in D,
    /// committed or not, and more than `atLeastAbove` (numbers used earlier by this coordinator).
    func nextGenerationNumber(atLeastAbove used: Int = 0) throws -> Int {
        max(try generations().last?.number ?? 0, used) + 1
    }

    /// The newest generation that has a manifest.
    func newestValidGeneration() throws -> GenerationEntry? {
        try generations().last(where: \.hasManifest)
    }

    /// Applies `--keep`: after `committed` became valid, removes valid generations older
    /// than the newest `keep` ones and every incomplete generation older than `committed`.
    /// Newer directories are left alone. Returns the numbers removed.
    @discardableResult
    func prune(keep: Int, committed: Int) throws -> [Int] {
        let older = try generations().filter { $0.number < committed }
        let validToKeep = Set(older.filter(\.hasManifest).suffix(max(0, keep - 1)).map(\.number))
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
        do {
            try FileManager.default.removeItem(atPath: generation)
        } catch {
            let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code
            throw SystemCallError("remove", generation, errno: Int32(code ?? Int(EIO)))
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
