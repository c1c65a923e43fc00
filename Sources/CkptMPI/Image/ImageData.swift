import CZstd
import Foundation

/// The uncompressed data of an image, by the extents' file offsets (docs/image-format.md,
/// "Compression"): read from the file as it is, or, in a compressed image (`CKPT_IMG_FEAT_ZSTD`),
/// decompressed frame by frame (the last frame read is kept: reads come in file order).
final class ImageData {
    /// One `struct ckpt_img_frame`.
    struct Frame: Codable, Equatable {
        let uoff: UInt64, ulen: UInt64, fileOff: UInt64, csize: UInt64
    }

    private let path: String
    private let handle: FileHandle
    private let frames: [Frame]
    private var cached: (index: Int, bytes: [UInt8])?

    init(path: String, frames: [Frame]) throws {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw CLIFailure("\(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        handle = h
        self.frames = frames
    }

    deinit { try? handle.close() }

    /// `count` bytes of the uncompressed data at `offset`; throws when they cannot be read or a
    /// frame does not decompress.
    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard !frames.isEmpty else {
            try handle.seek(toOffset: offset)
            let d = try handle.read(upToCount: count) ?? Data()
            guard d.count == count else { throw CLIFailure("\(path): truncated image") }
            return [UInt8](d)
        }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var at = offset
        while out.count < count {
            guard let k = frames.lastIndex(where: { $0.uoff <= at }), at < frames[k].uoff + frames[k].ulen else {
                throw CLIFailure("\(path): image header is damaged (no frame holds data offset \(at))")
            }
            let bytes = try frame(k)
            let from = Int(at - frames[k].uoff), n = min(bytes.count - from, count - out.count)
            out += bytes[from..<from + n]
            at += UInt64(n)
        }
        return out
    }

    private func frame(_ k: Int) throws -> [UInt8] {
        if let c = cached, c.index == k { return c.bytes }
        let f = frames[k]
        try handle.seek(toOffset: f.fileOff)
        let stored = [UInt8](try handle.read(upToCount: Int(f.csize)) ?? Data())
        guard stored.count == Int(f.csize) else { throw CLIFailure("\(path): truncated image") }
        var bytes = stored
        if f.csize != f.ulen {
            bytes = [UInt8](repeating: 0, count: Int(f.ulen))
            // exactly one zstd frame, as the restore accepts (restore_zstd.c)
            let n = stored.withUnsafeBytes { src in
                bytes.withUnsafeMutableBytes { dst -> Int in
                    guard src.load(as: UInt32.self) == UInt32(ZSTD_MAGICNUMBER),
                          ZSTD_findFrameCompressedSize(src.baseAddress, src.count) == src.count else { return -1 }
                    let r = ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count)
                    return ZSTD_isError(r) != 0 ? -1 : r
                }
            }
            guard n == Int(f.ulen) else {
                throw CLIFailure("\(path): frame at \(f.fileOff) does not decompress")
            }
        }
        cached = (k, bytes)
        return bytes
    }
}
