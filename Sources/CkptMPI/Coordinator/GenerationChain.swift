import Foundation

/// Incremental generations (`--incremental`): each names its parent in its manifest
/// (`Manifest.parent`) and its images name the parent's images (docs/image-format.md,
/// "Incremental images"). A generation is restorable only with its whole chain down
/// to a full one, so pruning keeps every generation a kept one needs.
extension CheckpointDirectory {
    /// The parent that generation `number`'s manifest names, nil for a full generation
    /// (or one without a readable manifest).
    func parent(of number: Int) -> Int? {
        (try? Manifest.read(from: generationPath(number)))?.parent
    }

    /// How many deltas lead from `number` down to its full generation (0: it is full);
    /// a chain longer than `limit` (a loop in crafted manifests) counts as `limit`.
    func chainDepth(of number: Int, limit: Int = 1024) -> Int {
        var depth = 0, current = number
        while depth < limit, let next = parent(of: current), next < current {
            depth += 1
            current = next
        }
        return depth
    }

    /// `generations` and every generation their chains need.
    func closure(of generations: Set<Int>) -> Set<Int> {
        var needed = generations, pending = Array(generations)
        while let number = pending.popLast() {
            if let next = parent(of: number), next < number, needed.insert(next).inserted { pending.append(next) }
        }
        return needed
    }

    /// The parent generation of a generation's images, read from their headers: nil when
    /// every image is full.
    static func parentOfImages(in generation: String, ranks: Int) -> Int? {
        (0..<ranks).compactMap { rank -> Int? in
            guard let header = try? ImageFile(path: generation + "/" + imageName(rank: rank)).header,
                  let parent = header.parentGeneration else { return nil }
            return Int(parent)
        }.max()
    }
}

/// The chain check of `GenerationCheck`: every image that is a delta names an intact parent
/// image (same rank, the parent generation's, with the metadata checksum it recorded) of
/// a generation that itself verifies, down to full images.
enum GenerationChain {
    /// Why the chain below `entry` is broken (naming the parent), nil when it is whole.
    static func problem(of entry: GenerationEntry, ranks: Int, jobID: String?, depth: Int = 0) -> String? {
        let root = (entry.path as NSString).deletingLastPathComponent
        var parents = Set<Int>()
        for rank in 0..<ranks {
            let name = CheckpointDirectory.imageName(rank: rank)
            guard let header = try? ImageFile(path: entry.path + "/" + name).header,
                  let parent = header.parentGeneration else { continue }
            let parentName = CheckpointDirectory.generationName(Int(parent))
            let parentImage = root + "/" + parentName + "/" + name
            guard FileManager.default.fileExists(atPath: parentImage) else {
                return "\(name) is a delta of \(parentName)/\(name), which is missing"
            }
            let parentHeader: ImageFile.Header
            do {
                parentHeader = try ImageFile(path: parentImage).header
            } catch {
                return "\(name) is a delta of \(parentName)/\(name): " + "\(error)".replacingOccurrences(of: root + "/", with: "")
            }
            guard parentHeader.metadataChecksum == header.parentMetadataChecksum, parentHeader.generation == parent,
                  parentHeader.rank == header.rank else {
                return "\(name) is a delta of \(parentName)/\(name), which is another image now (metadata checksum "
                    + "\(parentHeader.metadataChecksum), not \(header.parentMetadataChecksum ?? "?"))"
            }
            parents.insert(Int(parent))
        }
        guard depth < 1024 else { return "its chain of incremental images does not end" }
        for parent in parents.sorted() {
            let parentEntry = GenerationEntry(
                number: parent, path: root + "/" + CheckpointDirectory.generationName(parent),
                hasManifest: FileManager.default.fileExists(
                    atPath: root + "/" + CheckpointDirectory.generationName(parent) + "/" + CheckpointDirectory.manifestName))
            let check = GenerationCheck(parentEntry, jobID: jobID)
            if let problem = check.problem {
                return "its parent \(CheckpointDirectory.generationName(parent)) cannot be restored: \(problem)"
            }
        }
        return nil
    }
}

extension GenerationChain {
    /// The images an incremental image at `path` (D/gen-N/rank-R.img) is assembled from,
    /// parent first, down to its full image; throws one line naming a missing, damaged or
    /// replaced parent.
    static func ancestors(ofImage path: String, header: ImageFile.Header) throws -> [ImageFile] {
        let name = (path as NSString).lastPathComponent
        let root = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        var chain: [ImageFile] = [], child = header
        while let parent = child.parentGeneration, chain.count < 1024 {
            let parentPath = root + "/" + CheckpointDirectory.generationName(Int(parent)) + "/" + name
            guard FileManager.default.fileExists(atPath: parentPath) else {
                throw CLIFailure("\(path): its parent image \(parentPath) is missing")
            }
            let file: ImageFile
            do {
                file = try ImageFile(path: parentPath)
            } catch {
                throw CLIFailure("\(path): its parent image is damaged: \(error)")
            }
            guard file.header.metadataChecksum == child.parentMetadataChecksum, file.header.generation == parent,
                  file.header.rank == child.rank else {
                throw CLIFailure("\(path): its parent image \(parentPath) is another image than the one it was a delta of")
            }
            chain.append(file)
            child = file.header
        }
        return chain
    }
}
