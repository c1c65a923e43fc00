import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `D/coordinator.lock`: the one coordinator of D holds an exclusive flock on it for its
/// whole life, and its pid is written inside for the refusal message.
///
/// The kernel drops a flock when its holder dies, however it dies, so a free lock proves
/// that no coordinator runs on D, which a leftover socket file cannot. Whoever holds it
/// may therefore replace a stale socket and clear what a dead coordinator left behind.
/// The file itself stays: unlinking a lock file lets a second process lock a new inode
/// while a third still holds the old one.
final class CoordinatorLock {
    /// The lock file's name in D.
    static let name = "coordinator.lock"

    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { release() }

    /// Takes the lock of `directory` without waiting; refuses in one line when a live
    /// coordinator holds it.
    static func acquire(in directory: CheckpointDirectory) throws -> CoordinatorLock {
        let path = directory.lockPath
        // Close-on-exec: the job must not inherit (and so keep holding) the lock.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemCallError("open", path) }
        // A job killed a moment ago (kill -9, then restart at once) still holds the lock
        // while the kernel tears it down: wait for that, not for a live coordinator.
        let dyingDeadline = Date().addingTimeInterval(5)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let error = errno
            guard error == EWOULDBLOCK else { close(fd); throw SystemCallError("flock", path, errno: error) }
            let pid = holderPid(in: directory)
            if let pid, isExiting(pid: pid), Date() < dyingDeadline {
                usleep(20_000)
                continue
            }
            close(fd)
            let holder = pid.map { "coordinator pid \($0)" } ?? "its coordinator is starting"
            throw CLIFailure("a job is already running on \(directory.path) (\(holder))")
        }
        let lock = CoordinatorLock(fd: fd)
        let text = Array("\(getpid())\n".utf8)
        guard ftruncate(fd, 0) == 0 else { throw SystemCallError("ftruncate", path) }
        guard pwrite(fd, text, text.count, 0) == text.count else { throw SystemCallError("write", path) }
        return lock
    }

    /// The pid the lock file names, nil when it names none (never locked, or being written).
    static func holderPid(in directory: CheckpointDirectory) -> Int? {
        let fd = open(directory.lockPath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return Int(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether `pid` is gone, a zombie, or has a SIGKILL pending: its lock is about to be dropped.
    static func isExiting(pid: Int) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the command name, which is in parentheses and may contain anything.
        if let close = stat.lastIndex(of: ")"), let state = stat[close...].dropFirst(2).first, "ZXx".contains(state) {
            return true
        }
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return true }
        let killBit: UInt64 = 1 << (UInt64(SIGKILL) - 1)
        return status.split(separator: "\n").contains { line in
            guard line.hasPrefix("SigPnd:") || line.hasPrefix("ShdPnd:"),
                  let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) else { return false }
            return mask & killBit != 0
        }
    }

    /// Gives the lock up (also done by the kernel when the process ends).
    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }
}
