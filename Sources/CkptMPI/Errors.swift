#if canImport(Glibc)
import Glibc
#endif

/// A failure the user sees as one line on stderr, with the exit status the command ends with.
///
/// Every check of `ckpt-mpi` ends in one of these so that scripts can branch on the
/// status (shell conventions: 2 usage, 126 cannot execute, 127 not found) and
/// humans get one readable line instead of a usage dump.
struct CLIFailure: Error, Equatable, CustomStringConvertible {
    /// The message without the `ckpt-mpi: ` prefix.
    let message: String
    /// The process exit status.
    let exitStatus: Int32

    init(_ message: String, exitStatus: Int32 = ExitStatus.failure) {
        self.message = message
        self.exitStatus = exitStatus
    }

    var description: String { message }
}

/// The exit statuses of `ckpt-mpi`, following the shell's conventions for command failures.
enum ExitStatus {
    /// Something went wrong that is neither the user's syntax nor the program itself.
    static let failure: Int32 = 1
    /// The command line is wrong.
    static let usage: Int32 = 2
    /// The job was stopped after a durable checkpoint, as asked, and can be restarted
    /// (sysexits' EX_TEMPFAIL: batch scripts requeue on it).
    static let stoppedAfterCheckpoint: Int32 = 75
    /// The program exists but cannot be run under ckpt-mpi.
    static let cannotExecute: Int32 = 126
    /// The program does not exist.
    static let notFound: Int32 = 127
}

/// A system call that failed, with the call, the object it acted on and errno.
struct SystemCallError: Error, Equatable, CustomStringConvertible {
    /// The name of the failing call, e.g. `symlink`.
    let call: String
    /// The path or other object the call acted on, when there is one.
    let subject: String?
    /// The errno the call left.
    let errno: Int32

    init(_ call: String, _ subject: String? = nil, errno: Int32 = Glibc.errno) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    var description: String {
        let reason = String(cString: strerror(errno))
        if let subject { return "\(call)(\(subject)): \(reason)" }
        return "\(call): \(reason)"
    }
}
