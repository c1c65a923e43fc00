import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Unix stream sockets by path, the coordinator's only transport: no network socket
/// is ever opened, and the socket file's mode (0600) is the access control.
enum UnixSocket {
    /// A `sockaddr_un` for `path`; fails for paths longer than sun_path (108 bytes on Linux).
    static func address(_ path: String) throws -> (sockaddr_un, socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw CLIFailure("socket path \(path) is \(bytes.count) bytes, longer than the \(capacity - 1) a Unix socket allows; use a shorter --ckpt-dir")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let length = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + 1
        return (address, socklen_t(length))
    }

    /// Connects to the socket at `path`; throws SystemCallError (ENOENT, ECONNREFUSED, ...).
    /// With a `timeout` (seconds), ETIMEDOUT once it has passed: a listener that stopped
    /// accepting (a SIGSTOPped coordinator) makes a blocking connect wait forever when its
    /// backlog is full, so the attempt is non-blocking and retried.
    static func connect(_ path: String, timeout: Double? = nil) throws -> Int32 {
        var (address, length) = try address(path)
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            | (timeout == nil ? 0 : Int32(SOCK_NONBLOCK.rawValue))
        let fd = socket(AF_UNIX, flags, 0)
        guard fd >= 0 else { throw SystemCallError("socket") }
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
            }
            if result == 0 { break }
            // A Unix socket with a full backlog says EAGAIN (not EINPROGRESS) and cannot be polled for it.
            if errno == EINTR || (errno == EAGAIN && deadline.map { $0.timeIntervalSinceNow > 0 } == true) {
                usleep(10_000)
                continue
            }
            let error = errno == EAGAIN ? SystemCallError("connect", path, errno: ETIMEDOUT)
                : SystemCallError("connect", path)
            close(fd)
            throw error
        }
        if timeout != nil { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        return fd
    }

    /// Listens on `path` with mode 0600. An existing socket with a live listener means
    /// another coordinator owns the directory: refused. A dead one (ECONNREFUSED) is
    /// stale, left by a crashed ckpt-mpi, and replaced.
    static func listen(_ path: String) throws -> Int32 {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw CLIFailure("\(path) exists and is not a socket; remove it")
            }
            do {
                close(try connect(path))
                throw CLIFailure("another ckpt-mpi coordinator is running on \(path); one job per checkpoint directory")
            } catch let error as SystemCallError where error.errno == ECONNREFUSED {
                guard unlink(path) == 0 || errno == ENOENT else { throw SystemCallError("unlink", path) }
            }
        }
        var (address, length) = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket") }
        // Created 0600 from the start (umask), not chmod'ed after: no window where others may connect.
        let oldMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        umask(oldMask)
        guard bound == 0 else {
            let error = errno == EADDRINUSE
                ? CLIFailure("another ckpt-mpi coordinator is starting on \(path); one job per checkpoint directory")
                : CLIFailure(SystemCallError("bind", path).description)
            close(fd)
            throw error
        }
        guard Glibc.listen(fd, 128) == 0 else {
            let error = SystemCallError("listen", path)
            close(fd)
            unlink(path)
            throw error
        }
        return fd
    }

    /// Sends all of `text`; MSG_NOSIGNAL so a peer that went away gives EPIPE, not a SIGPIPE
    /// that would kill ckpt-mpi and with it the job's supervisor.
    static func send(_ fd: Int32, _ text: String) throws {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    // Only small lines are sent; a full buffer means the peer stopped reading.
                    var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&pollfd, 1, 1000) > 0 { continue }
                }
                throw SystemCallError("send")
            }
            done += n
        }
    }
}

/// A blocking line-oriented client connection with a deadline, for `checkpoint` and
/// `status` (and the fake engines of the tests).
final class LineConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Connects to `path`, giving up after `timeout` seconds (nil: never).
    convenience init(connectingTo path: String, timeout: Double? = nil) throws {
        self.init(fd: try UnixSocket.connect(path, timeout: timeout))
    }

    deinit { close(fd) }

    func send(_ line: ProtocolLine) throws { try UnixSocket.send(fd, line.encoded) }

    /// The next line, without its newline; nil at end of stream. `timeout` in seconds, nil for none.
    func readLine(timeout: Double? = nil) throws -> String? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while true {
            if let newline = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            var waitMs: Int32 = -1
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 { throw SystemCallError("read", "timed out", errno: ETIMEDOUT) }
                waitMs = Int32(min(left * 1000 + 1, Double(Int32.max)))
            }
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollfd, 1, waitMs)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("poll")
            }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw SystemCallError("read")
            }
            if n == 0 { return nil }
            buffer += chunk[..<n]
            if buffer.count > ProtocolLine.maximumLength { throw SystemCallError("read", "line too long", errno: EMSGSIZE) }
        }
    }
}
