import ArgumentParser
import Foundation

/// `ckpt-mpi status`: shows the job of a checkpoint directory and its checkpoint state.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a ckpt-mpi job and its checkpoint state.",
        discussion: """
            Asks the coordinator of the job using the checkpoint directory; when no job is running, \
            reports what the directory holds (state 'not running'); a coordinator that does not answer within 5 s \
            (stopped or hung) gives state 'not answering' and what the directory holds. It notes a socket left by a coordinator \
            that died or processes of the job still alive without one.
            """)

    @Option(name: .customLong("ckpt-dir"),
            help: ArgumentHelp("Checkpoint directory of the job (default: $CKPT_MPI_DIR, else ./ckpt).", valueName: "dir"))
    var checkpointDirectory: String?

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    func run() throws {
        let directory = CheckpointDirectory.resolve(checkpointDirectory, environment: ProcessInfo.processInfo.environment)
        let client = CoordinatorClient(directory: directory)
        let status = try client.status() ?? client.offlineStatus()
        print(json ? CheckpointJSON.string(status, pretty: true) : Self.describe(status), terminator: json ? "" : "\n")
    }

    /// The status for humans, a few lines.
    static func describe(_ status: CoordinatorStatus) -> String {
        var lines = ["directory: \(status.directory)"]
        if let job = status.job {
            lines.append("job: \(ShellQuoting.join([job.program] + job.arguments)) (\(job.np) rank\(job.np == 1 ? "" : "s"), \(job.mpi)), started \(job.startTime)"
                         + (job.restoredFrom.map { " from gen \($0)" } ?? ""))
        }
        var state = "state: \(status.state)"
        if status.state != "not running" && status.state != "not answering" {
            state += ", \(status.ranksConnected.count) of \(status.ranksExpected) ranks connected"
        }
        if let generation = status.inProgress { state += ", writing gen \(generation)" }
        if let note = status.note { state += " (\(note))" }
        lines.append(state)
        if let last = status.lastCheckpoint {
            lines.append("last: " + (last.error == nil ? last.summary : last.line.text))
        }
        lines += status.generations.isEmpty ? ["no checkpoints yet"] : status.generations.map(\.line)
        return lines.joined(separator: "\n")
    }
}
