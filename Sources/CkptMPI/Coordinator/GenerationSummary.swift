import Foundation

/// One generation as `list` and `status` show it: valid (has a consistent manifest) or not, and why.
struct GenerationSummary: Codable, Equatable {
    let generation: Int
    let path: String
    /// True when the generation can be restarted from.
    let valid: Bool
    /// complete, incomplete (no manifest: being written, or interrupted), or damaged.
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

    /// Reads one generation's manifest and checks it against the files.
    init(_ entry: GenerationEntry) {
        generation = entry.number
        path = entry.path
        var manifest: Manifest?
        var problem: String?
        if entry.hasManifest {
            do {
                manifest = try Manifest.read(from: entry.path)
                problem = manifest!.inconsistency(in: entry.path)
                if problem == nil, manifest!.generation != entry.number {
                    problem = "its manifest is of generation \(manifest!.generation)"
                }
            } catch {
                problem = "\(error)"
            }
        } else {
            problem = "no manifest (being written, or interrupted)"
        }
        self.problem = problem
        valid = entry.hasManifest && problem == nil
        state = !entry.hasManifest ? "incomplete" : (valid ? "complete" : "damaged")
        time = manifest?.time
        ranks = manifest?.ranks
        bytes = manifest?.bytes
        flavour = manifest?.flavour
        transport = manifest?.transport
        seconds = manifest?.seconds
        quiesceMs = manifest?.quiesceMs
    }

    /// Every generation in `directory`, oldest first.
    static func all(in directory: CheckpointDirectory) throws -> [GenerationSummary] {
        try directory.generations().map(GenerationSummary.init)
    }

    /// One line for humans: `gen-000003  complete  2024-...  4 ranks  12.0 MiB  openmpi/default`.
    var line: String {
        let name = CheckpointDirectory.generationName(generation)
        guard valid, let time, let ranks, let bytes, let flavour, let transport else {
            return "\(name)  \(state)  \(problem ?? "")"
        }
        return "\(name)  complete  \(time)  \(ranks) rank\(ranks == 1 ? "" : "s")  "
            + String(format: "%.1f MiB", Double(bytes) / 1_048_576) + "  \(flavour) (\(transport))"
    }
}
