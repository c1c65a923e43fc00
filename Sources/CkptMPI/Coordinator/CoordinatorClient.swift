import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `checkpoint` and `status` side of the socket: one request, one answer.
struct CoordinatorClient {
    let directory: CheckpointDirectory

    /// Connects, turning the usual failures into one line a user can act on.
    private func connect() throws -> LineConnection {
        do {
            return try LineConnection(connectingTo: directory.socketPath)
        } catch let error as SystemCallError where [ENOENT, ECONNREFUSED].contains(error.errno) {
            let hint = !directory.exists ? " (the directory does not exist)"
                : hasStaleSocket ? " (its \(CheckpointDirectory.socketName) is stale, left by a coordinator that died)" : ""
            throw CLIFailure("no ckpt-mpi job is running with checkpoint directory \(directory.path)\(hint); "
                             + "start one with 'ckpt-mpi run --ckpt-dir \(directory.path) ...' or name it with --ckpt-dir or $\(CheckpointDirectory.environmentVariable)")
        }
    }

    /// Requests a checkpoint and waits for its outcome (no timeout: the coordinator has its own
    /// per-rank timeout and always answers, or closes the connection when the job ends).
    func checkpoint(kill: Bool) throws -> CheckpointReport {
        let connection = try connect()
        try connection.send(ProtocolLine("REQUEST", [("kill", kill ? "1" : "0")]))
        guard let text = try connection.readLine() else {
            throw CLIFailure("the coordinator closed the connection before answering (the job ended?)")
        }
        guard let line = ProtocolLine.parse(text) else { throw CLIFailure("unexpected answer from the coordinator: \(text)") }
        if line.verb == "ERROR" { throw CLIFailure(line.text) }
        guard line.verb == "OK", let generation = line.integer("gen"), let ranks = line.integer("ranks"),
              let bytes = line.integer("bytes"), let seconds = line["seconds"].flatMap(Double.init) else {
            throw CLIFailure("unexpected answer from the coordinator: \(text)")
        }
        return CheckpointReport(generation: generation, ranks: ranks, bytes: bytes, seconds: seconds,
                                quiesceMs: line["quiesce_ms"].flatMap(Double.init), error: nil)
    }

    /// The running coordinator's status; nil when none is running (the directory alone must do).
    func status() throws -> CoordinatorStatus? {
        let connection: LineConnection
        do {
            connection = try LineConnection(connectingTo: directory.socketPath)
        } catch let error as SystemCallError where [ENOENT, ECONNREFUSED].contains(error.errno) {
            return nil
        }
        try connection.send(ProtocolLine("STATUS"))
        guard let text = try connection.readLine(timeout: 30) else {
            throw CLIFailure("the coordinator closed the connection before answering")
        }
        do {
            return try CheckpointJSON.decoder.decode(CoordinatorStatus.self, from: Data(text.utf8))
        } catch {
            throw CLIFailure("unexpected status from the coordinator: \(text.prefix(200))")
        }
    }

    /// What the directory alone says when no coordinator is running.
    func offlineStatus() throws -> CoordinatorStatus {
        do {
            try directory.checkExists()
        } catch let failure as CLIFailure where failure.message == "no checkpoint directory \(directory.path)" {
            throw CLIFailure(failure.message + "; name one with --ckpt-dir or $\(CheckpointDirectory.environmentVariable)")
        }
        let job = try? JobDescription.read(from: directory)
        var notes: [String] = []
        if hasStaleSocket {
            notes.append("\(CheckpointDirectory.socketName) is stale: its coordinator died; the next run or restart replaces it")
        }
        let survivors = JobProcesses(directory: directory).survivors()
        if !survivors.isEmpty {
            notes.append("processes of the job are alive without a coordinator: pid "
                         + survivors.prefix(8).map(\.description).joined(separator: ", "))
        }
        return CoordinatorStatus(state: "not running", directory: directory.path, job: job,
                                 ranksExpected: job?.np ?? 0, ranksConnected: [], inProgress: nil, lastCheckpoint: nil,
                                 generations: try GenerationSummary.all(in: directory),
                                 note: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }

    /// Whether a socket file is there that nobody listens on: its coordinator died
    /// without removing it (asked only after connecting failed).
    private var hasStaleSocket: Bool {
        var info = stat()
        return lstat(directory.socketPath, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
    }
}
