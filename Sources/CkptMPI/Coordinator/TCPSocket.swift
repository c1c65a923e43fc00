#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address literal with its socket address (port 0).
struct IPAddress: Equatable, CustomStringConvertible {
    /// AF_INET or AF_INET6.
    let family: Int32
    /// The address in its canonical text form (inet_ntop).
    let text: String

    /// Parses a literal such as `10.0.0.1` or `fd00::1` (brackets allowed); nil for names and garbage.
    init?(_ literal: String) {
        var text = literal
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            family = AF_INET6
        } else {
            return nil
        }
        guard let canonical = Self.canonical(family, text) else { return nil }
        self.text = canonical
    }

    private static func canonical(_ family: Int32, _ text: String) -> String? {
        var raw = [UInt8](repeating: 0, count: 16)
        guard inet_pton(family, text, &raw) == 1 else { return nil }
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, raw, &out, socklen_t(out.count)) != nil else { return nil }
        return String(nulTerminated: out)
    }

    /// As a CKPT_MPI_COORD endpoint wants it: IPv6 in brackets.
    var description: String { family == AF_INET6 ? "[\(text)]" : text }

    /// Whether this is a loopback address (127/8, ::1).
    var isLoopback: Bool { family == AF_INET ? text.hasPrefix("127.") : text == "::1" }

    /// The socket address for `port`.
    func socketAddress(port: UInt16) -> (sockaddr_storage, socklen_t) {
        var storage = sockaddr_storage()
        let length: Int
        withUnsafeMutableBytes(of: &storage) { raw in
            if family == AF_INET {
                var a = sockaddr_in()
                a.sin_family = sa_family_t(AF_INET)
                a.sin_port = port.bigEndian
                _ = inet_pton(AF_INET, text, &a.sin_addr)
                withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
            } else {
                var a = sockaddr_in6()
                a.sin6_family = sa_family_t(AF_INET6)
                a.sin6_port = port.bigEndian
                _ = inet_pton(AF_INET6, text, &a.sin6_addr)
                withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
            }
        }
        length = family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
        return (storage, socklen_t(length))
    }

    /// The address and port of a socket address the kernel filled in (getsockname, accept).
    static func decode(_ storage: sockaddr_storage) -> (IPAddress, UInt16)? {
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw -> (IPAddress, UInt16)? in
            var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            switch Int32(storage.ss_family) {
            case AF_INET:
                var a = raw.load(as: sockaddr_in.self)
                guard inet_ntop(AF_INET, &a.sin_addr, &out, socklen_t(out.count)) != nil,
                      let address = IPAddress(String(nulTerminated: out)) else { return nil }
                return (address, UInt16(bigEndian: a.sin_port))
            case AF_INET6:
                var a = raw.load(as: sockaddr_in6.self)
                guard inet_ntop(AF_INET6, &a.sin6_addr, &out, socklen_t(out.count)) != nil,
                      let address = IPAddress(String(nulTerminated: out)) else { return nil }
                return (address, UInt16(bigEndian: a.sin6_port))
            default:
                return nil
            }
        }
    }
}

/// TCP for ranks on other hosts (DESIGN §4b): bound to one address, never to all interfaces.
enum TCPSocket {
    /// The address of `host`: the literal itself, else the first the resolver gives.
    static func resolve(_ host: String) throws -> IPAddress {
        if let literal = IPAddress(host) { return literal }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        guard rc == 0, let first = result else {
            throw CLIFailure("cannot resolve host \(host): getaddrinfo: \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(result) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: current.pointee.ai_addr, count: Int(current.pointee.ai_addrlen)))
            }
            if let (address, _) = IPAddress.decode(storage) { return address }
            entry = current.pointee.ai_next
        }
        throw CLIFailure("cannot resolve host \(host): no IPv4 or IPv6 address")
    }

    /// The local address the kernel's route to `remote` leaves from: the address `remote`
    /// reaches this host on. A UDP connect() only chooses the route; it sends nothing.
    static func routeSource(toward remote: IPAddress) throws -> IPAddress {
        let fd = socket(remote.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket") }
        defer { close(fd) }
        var (address, length) = remote.socketAddress(port: 9)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        guard connected == 0 else { throw SystemCallError("connect", "UDP, to find the route to \(remote.text)") }
        var local = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) }
        }
        guard named == 0, let (source, _) = IPAddress.decode(local) else { throw SystemCallError("getsockname") }
        return source
    }

    /// Listens on `address` at a port the kernel picks; returns the socket and the port.
    static func listen(on address: IPAddress) throws -> (Int32, UInt16) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket") }
        var (storage, length) = address.socketAddress(port: 0)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = SystemCallError("bind", "\(address):0")
            close(fd)
            throw error
        }
        guard Glibc.listen(fd, 128) == 0 else {
            let error = SystemCallError("listen", "\(address)")
            close(fd)
            throw error
        }
        var local = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) }
        }
        guard named == 0, let (_, port) = IPAddress.decode(local) else {
            let error = SystemCallError("getsockname")
            close(fd)
            throw error
        }
        return (fd, port)
    }

    /// `ADDR:PORT` of the other end of `fd`, for log lines; "?" when unknown.
    static func peerName(_ fd: Int32) -> String {
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard rc == 0, let (address, port) = IPAddress.decode(peer) else { return "?" }
        return "\(address):\(port)"
    }

    /// Connects to `address:port` (the tests' fake engines and clients).
    static func connect(_ address: IPAddress, port: UInt16) throws -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket") }
        var (storage, length) = address.socketAddress(port: port)
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        guard rc == 0 else {
            let error = SystemCallError("connect", "\(address):\(port)")
            close(fd)
            throw error
        }
        return fd
    }
}
