#if canImport(Glibc)
import Glibc
#endif

/// Random access to the bytes of something being inspected.
///
/// Readers ask for small pieces at known offsets so that a 2 GB binary with
/// debug info costs a few `pread`s, not a copy into memory.
protocol ByteSource {
    /// Returns up to `count` bytes starting at `offset`; fewer only at the end of the data.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
}

extension Array: ByteSource where Element == UInt8 {
    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard offset < UInt64(self.count), count > 0 else { return [] }
        let start = Int(offset)
        return Array(self[start..<Swift.min(self.count, start + count)])
    }
}

/// A file opened read-only, closed when the value goes away.
final class ReadOnlyFile: ByteSource {
    /// The path the file was opened by, for messages.
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open", path) }
        self.path = path
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        // Offsets come from untrusted headers; beyond off_t there is nothing to read.
        guard count > 0, offset < UInt64(Int64.max) - UInt64(count) else { return [] }
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = result.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("pread", path)
            }
            if n == 0 { break }
            filled += n
        }
        result.removeSubrange(filled...)
        return result
    }
}
