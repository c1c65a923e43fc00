import ArgumentParser

/// `--compress zstd[:LEVEL]|none`: how ranks compress their images (docs/image-format.md,
/// "Compression"), handed to every rank's engine as CKPT_MPI_COMPRESS.
struct ImageCompression: Equatable {
    /// The zstd level, nil for uncompressed images.
    let level: Int?

    /// The level `zstd` alone means (the engine's CKPT_ZSTD_DEFAULT_LEVEL).
    static let defaultLevel = 3
    /// The highest level accepted (the engine's CKPT_ZSTD_MAX_LEVEL: higher ones need far more memory).
    static let maxLevel = 19
    /// The variable the engine reads at start-up, and after a restore from its mailbox.
    static let environmentVariable = "CKPT_MPI_COMPRESS"

    /// Parses `zstd`, `zstd:LEVEL` (1 to 19) or `none`.
    init(parsing text: String) throws {
        if text == "none" {
            level = nil
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts[0] == "zstd" else {
            throw ValidationError("--compress must be zstd, zstd:LEVEL or none, not '\(text)'")
        }
        guard parts.count == 2 else {
            level = Self.defaultLevel
            return
        }
        guard let n = Int(parts[1]), (1...Self.maxLevel).contains(n) else {
            throw ValidationError("--compress zstd:LEVEL needs a level from 1 to \(Self.maxLevel), not '\(parts[1])'")
        }
        level = n
    }

    /// The value of CKPT_MPI_COMPRESS.
    var environmentValue: String { level.map { "zstd:\($0)" } ?? "none" }
}
