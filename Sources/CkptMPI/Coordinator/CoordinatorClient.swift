import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `checkpoint` and `status` side of the socket: one request, one answer.
struct CoordinatorClient {
    let directory: CheckpointDirectory

    /// Connects, turning the usual failures into one line a user can act on; `timeout` in seconds.
    private func connect(timeout: Double? = nil) throws -> LineConnection {
        do {
            return try LineConnection(connectingTo: directory.socketPath, timeout: timeout)
        } catch let error as SystemCallError where [ENOENT, ECONNREFUSED].contains(error.errno) {
            let hint = !directory.exists ? " (the directory does not exist)"
                : hasStaleSocket ? " (its \(CheckpointDirectory.socketName) is stale, left by a coordinator that died)" : ""
            throw CLIFailure("no ckpt-mpi job is running with checkpoint directory \(directory.path)\(hint); "
                             + "start one with 'ckpt-mpi run --ckpt-dir \(directory.path) ...' or name it with --ckpt-dir or $\(CheckpointDirectory.environmentVariable)")
        }
    }

    /// Requests a checkpoint and waits for its outcome. A running coordinator always answers
    /// (it has its own per-rank timeout) or closes the connection when the job ends; `timeout`
    /// (seconds, nil: wait forever) is for one that does not run: stopped (SIGSTOP) or hung.
    /// The request is not withdrawn then: a coordinator that resumes still takes it.
    func checkpoint(kill: Bool, timeout: Double? = nil) throws -> CheckpointReport {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        let text: String?
        do {
            let connection = try connect(timeout: timeout)
            try connection.send(ProtocolLine("REQUEST", [("kill", kill ? "1" : "0")]))
            text = try connection.readLine(timeout: deadline.map { max(0, $0.timeIntervalSinceNow) })
        } catch let error as SystemCallError where error.errno == ETIMEDOUT && timeout != nil {
            throw CLIFailure(unanswered(within: timeout!))
        }
        guard let text else {
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

    /// The default of `checkpoint --timeout`: a request may wait for the checkpoint in progress
    /// and then its own, each bounded by the job's `--checkpoint-timeout` (job.json), plus a minute.
    func defaultTimeout() -> Double {
        let rankTimeout = (try? JobDescription.read(from: directory))?.checkpointTimeout
            ?? CoordinatorConfiguration.defaultRankTimeout
        return 2 * rankTimeout + 60
    }

    /// The line for a coordinator that did not answer in time, naming the job and its coordinator.
    private func unanswered(within timeout: Double) -> String {
        let job = try? JobDescription.read(from: directory)
        let who = (job?.jobId.map { "job \($0)" } ?? "the job") + " in \(directory.path)"
            + (job.map { " (ckpt-mpi pid \($0.coordinatorPid))" } ?? "")
        return "checkpoint: the coordinator of \(who) did not answer within \(String(format: "%g", timeout)) s; "
            + "it is stopped or hung, and takes the request if it resumes"
    }

    /// The running coordinator's status; nil when none is running (the directory alone must do).
    /// A coordinator that does not answer within `timeout` seconds (stopped, hung) gives the
    /// directory's status with a note saying so, instead of a `status` that never returns.
    func status(timeout: Double = 5) throws -> CoordinatorStatus? {
        let text: String?
        do {
            let deadline = Date().addingTimeInterval(timeout)
            let connection = try LineConnection(connectingTo: directory.socketPath, timeout: timeout)
            try connection.send(ProtocolLine("STATUS"))
            text = try connection.readLine(timeout: max(0, deadline.timeIntervalSinceNow))
        } catch let error as SystemCallError where [ENOENT, ECONNREFUSED].contains(error.errno) {
            return nil
        } catch let error as SystemCallError where error.errno == ETIMEDOUT {
            let job = try? JobDescription.read(from: directory)
            let pid = job.map { " (ckpt-mpi pid \($0.coordinatorPid))" } ?? ""
            return CoordinatorStatus(state: "not answering", directory: directory.path, job: job,
                                     ranksExpected: job?.np ?? 0, ranksConnected: [], inProgress: nil, lastCheckpoint: nil,
                                     generations: try GenerationSummary.all(in: directory),
                                     note: "its coordinator\(pid) did not answer within \(String(format: "%g", timeout)) s: stopped or hung")
        }
        guard let text else {
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
