import Foundation

/// One generation as `list` and `status` show it: whether restart would take it
/// (`GenerationCheck`: consistent manifest, intact image headers, images of this job) and why not.
struct GenerationSummary: Codable, Equatable {
    let generation: Int
    let path: String
    /// True when the generation verifies, so restart can use it.
    let valid: Bool
    /// complete, incomplete (no manifest: being written, or interrupted), or damaged
    /// (including images of another job).
    let state: String
    /// Why it is not valid.
    let problem: String?
    let time: String?
    let ranks: Int?
    let bytes: Int?
    let flavour: String?
    let transport: String?
    let seconds: Double?
    let quiesceMs: Double?
    /// The job the manifest names; nil without a manifest, or in one from before job ids.
    let jobId: String?
    /// The generation it is a delta of (`--incremental`), nil for a full one.
    let parent: Int?

    /// Checks one generation as restart would before launching (image headers only, not region data).
    init(_ entry: GenerationEntry, jobID: String? = nil) {
        let check = GenerationCheck(entry, jobID: jobID)
        let manifest = check.manifest
        generation = entry.number
        path = entry.path
        problem = check.problem
        valid = check.verifies
        state = !entry.hasManifest ? "incomplete" : (valid ? "complete" : "damaged")
        time = manifest?.time
        ranks = manifest?.ranks
        bytes = manifest?.bytes
        flavour = manifest?.flavour
        transport = manifest?.transport
        seconds = manifest?.seconds
        quiesceMs = manifest?.quiesceMs
        jobId = manifest?.jobId
        parent = manifest?.parent
    }

    /// Every generation in `directory`, oldest first, checked against the job of its job.json.
    static func all(in directory: CheckpointDirectory) throws -> [GenerationSummary] {
        let jobID = (try? JobDescription.read(from: directory))?.jobId.flatMap { JobIdentity.isWellFormed($0) ? $0 : nil }
        return try directory.generations().map { GenerationSummary($0, jobID: jobID) }
    }

    /// One line for humans: `gen-000003  complete  2024-...  4 ranks  12.0 MiB  openmpi/default`.
    var line: String {
        let name = CheckpointDirectory.generationName(generation)
        guard valid, let time, let ranks, let bytes, let flavour, let transport else {
            return "\(name)  \(state)  \(problem ?? "")"
        }
        return "\(name)  complete  \(time)  \(ranks) rank\(ranks == 1 ? "" : "s")  "
            + String(format: "%.1f MiB", Double(bytes) / 1_048_576) + "  \(flavour) (\(transport))"
            + (parent.map { "  incremental, parent \(CheckpointDirectory.generationName($0))" } ?? "")
    }
}
