#if canImport(Glibc)
import Glibc
#endif

/// Writes the CLI's own messages to stderr, each as one line prefixed with `ckpt-mpi: `.
///
/// Uses write(2) directly rather than stdio so our lines never interleave in
/// half-flushed chunks with the output of the MPI job that shares the terminal.
enum Log {
    /// The prefix every message of ours carries, so users can tell them from the job's output.
    static let prefix = "ckpt-mpi: "

    /// Reports a failure that stops the command.
    static func error(_ message: String) {
        write(prefix + message)
    }

    /// Reports something the user should know that does not stop the command.
    static func note(_ message: String) {
        write(prefix + "note: " + message)
    }

    /// Reports what is being done, for `--verbose`.
    static func info(_ message: String) {
        write(prefix + message)
    }

    private static func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                Glibc.write(STDERR_FILENO, buffer.baseAddress! + done, buffer.count - done)
            }
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return  // stderr is gone; nowhere left to complain to
            }
        }
    }
}
