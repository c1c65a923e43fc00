import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The processes of a job on D found by its marker: every launcher and rank of a job
/// with a coordinator carries `CKPT_MPI_JOB_DIR=D` in its environment (Launcher), and
/// `/proc/PID/environ` shows the environment a process was executed with.
///
/// Only this host's processes are seen. A job on several hosts would need each host
/// asked (a probe started through the launcher) or the ranks holding a lease the
/// coordinator can see; on one host nothing else is needed.
struct JobProcesses {
    /// A process that carries the marker.
    struct Survivor: Equatable, CustomStringConvertible {
        let pid: pid_t
        /// Its command name (`/proc/PID/comm`).
        let name: String

        var description: String { "\(pid) (\(name))" }
    }

    let directory: CheckpointDirectory

    /// Every live process of this host whose environment marks it as part of a job on
    /// `directory`, except ckpt-mpi itself. Processes we may not inspect are skipped.
    func survivors() -> [Survivor] {
        let marker = Array("\0\(Launcher.jobDirectoryVariable)=\(directory.path)\0".utf8)
        let own = getpid()
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { pid_t($0) }.filter { $0 != own }.sorted().compactMap { pid in
            guard let environment = Self.read("/proc/\(pid)/environ"), !environment.isEmpty else { return nil }
            guard ([0] + environment + [0]).contains(marker) else { return nil }
            let comm = Self.read("/proc/\(pid)/comm").map { String(decoding: $0, as: UTF8.self) } ?? "?"
            return Survivor(pid: pid, name: comm.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Waits up to `timeout` seconds for the survivors to end (a killed job's ranks take a
    /// moment to go); refuses in one line if some are still there.
    func waitUntilGone(timeout: Double = 5) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var left = survivors()
        while !left.isEmpty && Date() < deadline {
            usleep(100_000)
            left = survivors()
        }
        guard left.isEmpty else {
            let shown = left.prefix(8).map(\.description).joined(separator: ", ") + (left.count > 8 ? ", ..." : "")
            throw CLIFailure("processes of an earlier job on \(directory.path) are still running after "
                             + "\(String(format: "%g", timeout)) s: pid \(shown); end them first")
        }
    }

    /// A whole /proc file, nil when it cannot be read (gone, or another user's).
    private static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return data }
            data += chunk[..<n]
        }
    }
}
