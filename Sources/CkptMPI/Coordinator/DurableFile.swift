import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file updates: after `write` returns, either the old or the new
/// contents are on disk, never a torn mix (DESIGN §5).
enum DurableFile {
    /// Writes `data` to `path` via `path.tmp`: write, fsync, rename over, fsync the directory.
    /// On failure the temporary file is removed and an existing `path` is untouched.
    static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SystemCallError("open", temporary) }
        do {
            try data.withUnsafeBytes { buffer in
                var done = 0
                while done < buffer.count {
                    let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw SystemCallError("write", temporary)
                    }
                    done += n
                }
            }
            guard fsync(fd) == 0 else { throw SystemCallError("fsync", temporary) }
            guard close(fd) == 0 else {
                // Close can report a deferred write error (NFS); the file cannot be trusted.
                let error = SystemCallError("close", temporary)
                unlink(temporary)
                throw error
            }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = SystemCallError("rename", path)
            unlink(temporary)
            throw error
        }
        // The rename lives in the directory; without this a crash may forget it.
        try syncDirectory(containing: path)
    }

    /// fsyncs the directory that holds `path`.
    static func syncDirectory(containing path: String) throws {
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// fsyncs `directory` itself, making entries created or renamed in it durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemCallError("fsync", directory) }
    }
}
