import Foundation

/// Reader of a rank's checkpoint image: the header and the tables of
/// `Sources/HalfABI/include/ckpt_image.h` (docs/image-format.md). Offsets and
/// sizes here must follow that header; the format version guards the rest.
struct ImageFile {
    static let magic: UInt64 = 0x474d_4954_4b43  // "CKTIMG"
    static let version: UInt32 = 1
    static let headerSize = 4096
    static let hashSeed: UInt64 = 0x9e37_79b9_7f4a_7c15
    static let hashChunk = 32 << 20

    struct Header: Codable, Equatable {
        var formatVersion: UInt32
        var fileSize: UInt64
        var rank: Int32
        var nranks: Int32
        var generation: UInt64
        /// ISO 8601, UTC.
        var created: String
        var pid: UInt64
        var flavour: String
        var host: String
        var faceAbi: String
        var memBytes: UInt64
        var dataBytes: UInt64
        var dataOffset: UInt64
        var tidOffset: UInt64
        var suspendSignal: UInt32
        var pauseMs: Double
        var cwd: String
        var vdso: String
        var metadataChecksum: String
    }

    struct Thread: Codable, Equatable {
        var tid: UInt64
        var main: Bool
        var engine: Bool
        var fsBase: String
        var rip: String
        var rsp: String
        var interruptedRip: String
        var signalMask: String
    }

    struct FileDescriptor: Codable, Equatable {
        var fd: Int32
        var kind: String
        var path: String
        var flags: String
        var offset: Int64
        var size: Int64
    }

    struct Region: Codable, Equatable {
        var start: String
        var end: String
        var bytes: UInt64
        var prot: String
        var kind: String
        var path: String?
        var storedBytes: UInt64
        var runs: UInt32
        var checksum: String
        var checksumOk: Bool?
        // not encoded: for --verify
        var startAddress: UInt64 = 0
        var firstExtent: UInt64 = 0

        enum CodingKeys: String, CodingKey {
            case start, end, bytes, prot, kind, path, storedBytes, runs, checksum, checksumOk
        }
    }

    struct SignalAction: Codable, Equatable {
        var signal: Int
        var handler: String
        var flags: String
        var mask: String
    }

    let path: String
    var header: Header
    var threads: [Thread] = []
    var fds: [FileDescriptor] = []
    var signals: [SignalAction] = []
    var regions: [Region] = []
    /// (address, length, file offset) of every stored run of pages.
    var extents: [(UInt64, UInt64, UInt64)] = []

    /// Reads and checks the metadata; throws a one-line `CLIFailure` for
    /// anything that is not an intact image of this format version.
    init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIFailure("\(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        let first = (try? handle.read(upToCount: Self.headerSize)) ?? Data()
        let b = [UInt8](first)
        guard b.count >= 16, Self.u64(b, 0) == Self.magic else {
            throw CLIFailure("\(path): not a ckpt-mpi checkpoint image")
        }
        let version = Self.u32(b, 8)
        guard version == Self.version else {
            throw CLIFailure("\(path): image format version \(version); this ckpt-mpi reads version \(Self.version)")
        }
        guard b.count == Self.headerSize else {
            throw CLIFailure("\(path): truncated image (\(fileSize) bytes, the header alone is \(Self.headerSize))")
        }
        let dataOff = Self.u64(b, 240), total = Self.u64(b, 24)
        guard dataOff >= UInt64(Self.headerSize), dataOff % 4096 == 0, dataOff <= total, dataOff < 1 << 32 else {
            throw CLIFailure("\(path): image header is damaged (impossible layout)")
        }
        guard fileSize >= total else {
            throw CLIFailure("\(path): truncated image (\(fileSize) of \(total) bytes)")
        }
        try handle.seek(toOffset: 0)
        var meta = [UInt8]((try? handle.read(upToCount: Int(dataOff))) ?? Data())
        guard meta.count == Int(dataOff) else { throw CLIFailure("\(path): truncated image") }
        let want = Self.u64(meta, 16)
        for i in 16..<24 { meta[i] = 0 }
        let got = meta.withUnsafeBytes { Self.hash(Self.hashSeed, $0) }
        guard got == want else { throw CLIFailure("\(path): image header is damaged (checksum mismatch)") }

        func str(_ off: Int, _ len: Int) -> String {
            let bytes = meta[off..<off + len].prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        let stringsOff = Int(Self.u64(meta, 224)), stringsSize = Int(Self.u64(meta, 232))
        func string(at o: UInt64) -> String {
            guard o < UInt64(stringsSize) else { return "" }
            let start = stringsOff + Int(o)
            let bytes = meta[start..<stringsOff + stringsSize].prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        let created = Double(Self.u64(meta, 48)) / 1e9
        // header field offsets: see struct ckpt_img_header
        header = Header(
            formatVersion: version, fileSize: total, rank: Int32(bitPattern: Self.u32(meta, 32)),
            nranks: Int32(bitPattern: Self.u32(meta, 36)), generation: Self.u64(meta, 40),
            created: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: created)), pid: Self.u64(meta, 56), flavour: str(64, 16),
            host: str(80, 64), faceAbi: str(144, 16), memBytes: Self.u64(meta, 256), dataBytes: Self.u64(meta, 248),
            dataOffset: dataOff, tidOffset: Self.u64(meta, 272), suspendSignal: Self.u32(meta, 300),
            pauseMs: Double(Self.u64(meta, 440)) / 1e6, cwd: str(448, 1024),
            vdso: Self.hex(Self.u64(meta, 304)) + "-" + Self.hex(Self.u64(meta, 312)),
            metadataChecksum: Self.hex(want))
        let nthreads = Int(Self.u32(meta, 160)), nfds = Int(Self.u32(meta, 164)), nregions = Int(Self.u32(meta, 168))
        let nextents = Int(Self.u64(meta, 176))
        let threadsOff = Int(Self.u64(meta, 184)), fdsOff = Int(Self.u64(meta, 192)), sigsOff = Int(Self.u64(meta, 200))
        let regionsOff = Int(Self.u64(meta, 208)), extentsOff = Int(Self.u64(meta, 216))
        func fits(_ off: Int, _ n: Int, _ size: Int) -> Bool { off >= 0 && n >= 0 && off + n * size <= meta.count }
        guard fits(threadsOff, nthreads, 832), fits(fdsOff, nfds, 56), fits(sigsOff, 64, 32),
              fits(regionsOff, nregions, 72), fits(extentsOff, nextents, 24), fits(stringsOff, stringsSize, 1) else {
            throw CLIFailure("\(path): image header is damaged (tables out of bounds)")
        }
        for i in 0..<nthreads {
            let o = threadsOff + i * 832
            let flags = Self.u64(meta, o + 88)
            threads.append(Thread(
                tid: Self.u64(meta, o + 80), main: flags & 1 != 0, engine: flags & 2 != 0,
                fsBase: Self.hex(Self.u64(meta, o + 64)), rip: Self.hex(Self.u64(meta, o + 56)),
                rsp: Self.hex(Self.u64(meta, o + 48)),
                interruptedRip: Self.hex(Self.u64(meta, o + 128 + 16 * 8)),  // gregs[REG_RIP]
                signalMask: Self.hex(Self.u64(meta, o + 120))))
        }
        let fdKinds = [1: "regular", 2: "directory", 3: "unsupported"]
        for i in 0..<nfds {
            let o = fdsOff + i * 56
            fds.append(FileDescriptor(
                fd: Int32(bitPattern: Self.u32(meta, o)), kind: fdKinds[Int(Self.u32(meta, o + 4))] ?? "?",
                path: string(at: Self.u64(meta, o + 32)), flags: Self.hex(UInt64(Self.u32(meta, o + 8))),
                offset: Int64(bitPattern: Self.u64(meta, o + 16)), size: Int64(bitPattern: Self.u64(meta, o + 24))))
        }
        for sig in 1...64 {
            let o = sigsOff + (sig - 1) * 32
            let handler = Self.u64(meta, o)
            if handler == 0 { continue }
            signals.append(SignalAction(
                signal: sig, handler: handler == 1 ? "SIG_IGN" : Self.hex(handler),
                flags: Self.hex(Self.u64(meta, o + 8)), mask: Self.hex(Self.u64(meta, o + 24))))
        }
        let kinds = [1: "private", 2: "shared-anonymous", 3: "shared-file", 4: "reserved"]
        for i in 0..<nregions {
            let o = regionsOff + i * 72
            let start = Self.u64(meta, o), end = Self.u64(meta, o + 8), prot = Self.u32(meta, o + 16)
            let p = (prot & 1 != 0 ? "r" : "-") + (prot & 2 != 0 ? "w" : "-") + (prot & 4 != 0 ? "x" : "-")
            let name = string(at: Self.u64(meta, o + 48))
            regions.append(Region(
                start: Self.hex(start), end: Self.hex(end), bytes: end &- start, prot: p,
                kind: kinds[Int(Self.u32(meta, o + 20))] ?? "?", path: name.isEmpty ? nil : name,
                storedBytes: Self.u64(meta, o + 56), runs: Self.u32(meta, o + 28),
                checksum: Self.hex(Self.u64(meta, o + 64)), checksumOk: nil,
                startAddress: start, firstExtent: Self.u64(meta, o + 32)))
        }
        for i in 0..<nextents {
            let o = extentsOff + i * 24
            extents.append((Self.u64(meta, o), Self.u64(meta, o + 8), Self.u64(meta, o + 16)))
        }
    }

    /// Reads every stored page and checks each region's checksum.
    mutating func verify() throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIFailure("\(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        for i in regions.indices where regions[i].runs > 0 {
            var h = Self.hashSeed
            let first = Int(regions[i].firstExtent)
            for k in first..<first + Int(regions[i].runs) where k < extents.count {
                let (_, len, off) = extents[k]
                var done: UInt64 = 0
                while done < len {
                    let n = Int(min(len - done, UInt64(Self.hashChunk)))
                    try handle.seek(toOffset: off + done)
                    let d = (try? handle.read(upToCount: n)) ?? Data()
                    guard d.count == n else { throw CLIFailure("\(path): truncated image") }
                    h = d.withUnsafeBytes { Self.hash(h, $0) }
                    done += UInt64(n)
                }
            }
            regions[i].checksumOk = String(h, radix: 16) == String(regions[i].checksum.dropFirst(2))
        }
    }

    // MARK: little-endian fields and the image hash (ckpt_img_hash)

    static func u64(_ b: [UInt8], _ o: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[o + i]) << (8 * UInt64(i)) }
        return v
    }
    static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(b[o + i]) << (8 * UInt32(i)) }
        return v
    }
    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    static func hash(_ seed: UInt64, _ buf: UnsafeRawBufferPointer) -> UInt64 {
        let p1: UInt64 = 0x9E37_79B1_85EB_CA87, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        var a = seed &+ p1, b = seed ^ p2, c = seed, d = seed &- p1
        let n = buf.count / 32
        var o = 0
        for _ in 0..<n {
            let w0 = buf.loadUnaligned(fromByteOffset: o, as: UInt64.self)
            let w1 = buf.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self)
            let w2 = buf.loadUnaligned(fromByteOffset: o + 16, as: UInt64.self)
            let w3 = buf.loadUnaligned(fromByteOffset: o + 24, as: UInt64.self)
            a = rotl(a &+ w0 &* p2, 31) &* p1
            b = rotl(b &+ w1 &* p2, 31) &* p1
            c = rotl(c &+ w2 &* p2, 31) &* p1
            d = rotl(d &+ w3 &* p2, 31) &* p1
            o += 32
        }
        var r = rotl(a, 1) &+ rotl(b, 7) &+ rotl(c, 12) &+ rotl(d, 18) &+ UInt64(buf.count)
        r ^= r >> 33
        r = r &* p2
        r ^= r >> 29
        return r
    }
}
