import Foundation

/// Whether one generation can be restarted, checked before anything is launched and
/// without reading region data (the lower half checks that as it reads): its manifest
/// parses and is of this generation, it is consistent with the files, every image header
/// and metadata checksum is intact, and every image is of the job of the directory.
struct GenerationCheck {
    let entry: GenerationEntry
    /// The manifest when it could be read.
    let manifest: Manifest?
    /// Why the generation cannot be restarted, with file names relative to it; nil: it can.
    let problem: String?

    /// `jobID` is the directory's job (from job.json), nil when unknown: then only the
    /// generation's own manifest and images must agree.
    init(_ entry: GenerationEntry, jobID: String?) {
        self.entry = entry
        guard entry.hasManifest else {
            (manifest, problem) = (nil, "no manifest (being written, or interrupted)")
            return
        }
        let manifest: Manifest
        do {
            manifest = try Manifest.read(from: entry.path)
        } catch {
            (self.manifest, problem) = (nil, Self.relative("\(error)", to: entry.path))
            return
        }
        self.manifest = manifest
        if manifest.generation != entry.number {
            problem = "its manifest is of generation \(manifest.generation): a mixed generation"
        } else if let jobID, let other = manifest.jobId, other != jobID {
            problem = "\(CheckpointDirectory.manifestName) is of another job (\(other)), not of job \(jobID) of \(CheckpointDirectory.jobName)"
        } else {
            problem = manifest.inconsistency(in: entry.path, imagesMustBeIntact: true).map { Self.relative($0, to: entry.path) }
                ?? GenerationChain.problem(of: entry, ranks: manifest.ranks, jobID: jobID)
        }
    }

    /// Whether it can be restarted from.
    var verifies: Bool { problem == nil }

    /// `text` with the generation's directory left out of the file names it mentions.
    private static func relative(_ text: String, to directory: String) -> String {
        text.replacingOccurrences(of: directory + "/", with: "")
    }
}
