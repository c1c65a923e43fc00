/// Everything one coordinator needs to know about its job and its policy.
struct CoordinatorConfiguration {
    /// The default of `--keep`.
    static let defaultKeep = 2
    /// `--incremental` without `--full-every`: a full image every 8 generations.
    static let defaultFullEvery = 8
    /// The default of `--checkpoint-timeout`: generous, a rank may be writing many GiB to slow storage.
    static let defaultRankTimeout: Double = 600

    let directory: CheckpointDirectory
    /// Written to `job.json` when the coordinator opens.
    let job: JobDescription
    /// How many engines must be connected before a checkpoint can be taken.
    var ranks: Int { job.np }
    /// Recorded in manifests (see `Transport`).
    let transport: String
    /// Valid generations to keep, at least 1.
    var keep = CoordinatorConfiguration.defaultKeep
    /// Seconds a rank may take to answer CHECKPOINT before the generation fails.
    var rankTimeout = CoordinatorConfiguration.defaultRankTimeout
    /// Seconds between periodic checkpoints (`--interval`), nil for none.
    var interval: Double? = nil
    /// Stop the job after every committed checkpoint (`--kill-after-checkpoint`).
    var killAfterCheckpoint = false
    /// Seconds to wait for processes of an earlier job on the directory to end before refusing to open.
    var survivorTimeout: Double = 5
    /// Whether to report checkpoints and failures on stderr (off in unit tests).
    var reportsOnStderr = true
    /// Also sees every line reported on the run's stderr (tests check what the run's log gets).
    var noteObserver: (@Sendable (String) -> Void)? = nil
    /// Whether to log each decision of the cut on stderr (`--verbose`, CKPT_MPI_DEBUG=1).
    var logsDecisions = false
    /// `--local-dir`: ranks write each image under `DIR/JOBID/gen-NNNNNN/` first and copy it
    /// here in the background; a generation commits only after every rank's COPIED. Nil: direct.
    var localDirectory: String? = nil
    /// `--incremental`: a full image every this many generations, the others deltas of their parent; nil: every image full.
    var fullEvery: Int? = nil
    /// Also listen on TCP, for a job on several hosts; nil: the Unix socket only.
    var tcp: TCPListening? = nil
}

/// Where the coordinator listens on TCP and the secret each connection must prove it knows.
struct TCPListening: Equatable {
    /// The one address the job's hosts reach this host on (never the wildcard).
    let address: IPAddress
    let secret: JobSecret

    /// The value of CKPT_MPI_COORD: `tcp:ADDR:PORT` (IPv6 in brackets).
    func endpoint(port: UInt16) -> String { "tcp:\(address):\(port)" }
}

/// The outcome of one checkpoint attempt, as `status` and the requesting client see it.
struct CheckpointReport: Codable, Equatable {
    let generation: Int
    let ranks: Int
    let bytes: Int
    let seconds: Double
    /// From CHECKPOINT until every MPI rank had drained (see `Quiescence`); nil without MPI.
    var quiesceMs: Double? = nil
    /// Nil on success; else the first error, e.g. `rank 2: open(...): No space left on device`.
    let error: String?

    /// The reply line to a `REQUEST`.
    var line: ProtocolLine {
        if let error { return ProtocolLine("ERROR", text: "checkpoint gen \(generation) failed: \(error)") }
        return ProtocolLine("OK", [("gen", "\(generation)"), ("ranks", "\(ranks)"), ("bytes", "\(bytes)"),
                                   ("seconds", String(format: "%.3f", seconds))]
                                  + (quiesceMs.map { [("quiesce_ms", String(format: "%.3f", $0))] } ?? []))
    }

    /// `checkpoint gen 3: 4 ranks, 1024.0 MiB in 1.52 s (quiesced in 12.3 ms)`.
    var summary: String {
        "checkpoint gen \(generation): \(ranks) rank\(ranks == 1 ? "" : "s"), "
            + String(format: "%.1f MiB in %.2f s", Double(bytes) / 1_048_576, seconds)
            + (quiesceMs.map { String(format: " (quiesced in %.1f ms)", $0) } ?? "")
    }
}

/// The coordinator's answer to `STATUS`.
struct CoordinatorStatus: Codable, Equatable {
    /// idle, checkpointing, or (read from the directory alone) not running or not answering.
    let state: String
    let directory: String
    let job: JobDescription?
    let ranksExpected: Int
    let ranksConnected: [EngineHello]
    /// The generation being written, when checkpointing.
    let inProgress: Int?
    let lastCheckpoint: CheckpointReport?
    let generations: [GenerationSummary]
    /// Why the job is not running as it may seem, e.g. a stale socket; nil when nothing is odd.
    var note: String? = nil
}
