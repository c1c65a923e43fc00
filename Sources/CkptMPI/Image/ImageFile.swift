import Foundation
import HalfABI

/// Reader of a rank's checkpoint image: the header and the tables of
/// `Sources/HalfABI/include/ckpt_image.h` (docs/image-format.md), read through
/// that header's own structs so the layout has one source.
struct ImageFile {
    static let magic = UInt64(CKPT_IMG_MAGIC)
    static let version = UInt32(CKPT_IMG_VERSION)
    /// The oldest format this reader reads (format 1: no regions stored by reference).
    static let oldestVersion = UInt32(CKPT_IMG_VERSION_MIN)
    /// The newest format read: format 2 plus the `features` bits of `knownFeatures`.
    static let newestVersion = UInt32(CKPT_IMG_VERSION_FEATURES)
    static let knownFeatures = UInt64(CKPT_IMG_FEATURES_KNOWN)
    static let headerSize = Int(CKPT_IMG_HEADER_SIZE)
    static let hashSeed = UInt64(CKPT_IMG_HASH_SEED)
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
        /// The job the image belongs to (`JobIdentity`); empty in images written before job ids.
        var jobId: String
        /// The MPI ABI the program was linked against ("mpich", "openmpi", "none"); empty in images written before the field.
        var programAbi: String
        var metadataChecksum: String
        /// "zstd:LEVEL" for an image of zstd frames (`CKPT_IMG_FEAT_ZSTD`), else "none".
        var compression: String = "none"
        /// Bytes of page data in the file: `dataBytes` uncompressed, the frames' when compressed.
        var storedBytes: UInt64 = 0
        /// Incremental images: the generation this one is a delta of, and that image's metadata checksum.
        var parentGeneration: UInt64? = nil
        var parentMetadataChecksum: String? = nil
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
        /// Offset of `start` in the file (file mappings: "file-private" by reference, "shared-file").
        var fileOffset: UInt64?
        /// Incremental images: pages not stored here are the parent image's.
        var delta: Bool = false
        // not encoded: for --verify
        var startAddress: UInt64 = 0
        var firstExtent: UInt64 = 0

        enum CodingKeys: String, CodingKey {
            case start, end, bytes, prot, kind, path, storedBytes, runs, checksum, checksumOk, fileOffset, delta
        }
    }

    /// A file that "file-private" regions map by reference (format 2), as it was at the checkpoint.
    struct MappedFile: Codable, Equatable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtimeNs: Int64
        var hash: String
        /// --verify: whether the file at `path` still has this size and hash.
        var unchanged: Bool?
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
    var mappedFiles: [MappedFile] = []
    /// (address, length, file offset) of every stored run of pages.
    var extents: [(UInt64, UInt64, UInt64)] = []
    /// The frame table of a compressed image, empty otherwise.
    var frames: [ImageData.Frame] = []

    /// The uncompressed data, by the extents' file offsets.
    func data() throws -> ImageData { try ImageData(path: path, frames: frames) }

    /// Reads and checks the metadata; throws a one-line `CLIFailure` for
    /// anything that is not an intact image of this format version.
    init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIFailure("\(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        let first = [UInt8]((try? handle.read(upToCount: Self.headerSize)) ?? Data())
        guard first.count >= 16, Self.u64(first, 0) == Self.magic else {
            throw CLIFailure("\(path): not a ckpt-mpi checkpoint image")
        }
        let version = Self.u32(first, 8)
        guard (Self.oldestVersion...Self.newestVersion).contains(version) else {
            throw CLIFailure("\(path): image format version \(version); this ckpt-mpi reads versions \(Self.oldestVersion) to \(Self.newestVersion)")
        }
        guard first.count == Self.headerSize else {
            throw CLIFailure("\(path): truncated image (\(fileSize) bytes, the header alone is \(Self.headerSize))")
        }
        let fixed = Self.load(ckpt_img_header.self, first, 0)
        let dataOff = fixed.data_off, total = fixed.file_size
        guard fixed.header_size == UInt32(Self.headerSize), dataOff >= UInt64(Self.headerSize), dataOff % 4096 == 0,
              dataOff <= total, dataOff < 1 << 32 else {
            throw CLIFailure("\(path): image header is damaged (impossible layout)")
        }
        guard fileSize >= total else {
            throw CLIFailure("\(path): truncated image (\(fileSize) of \(total) bytes)")
        }
        guard version >= Self.newestVersion || fixed.features == 0 else {
            throw CLIFailure("\(path): image header is damaged (features in a format \(version) image)")
        }
        let unknown = fixed.features & ~Self.knownFeatures
        guard unknown == 0 else {
            throw CLIFailure("\(path): image uses features 0x\(String(unknown, radix: 16)) this ckpt-mpi does not read")
        }
        try handle.seek(toOffset: 0)
        var meta = [UInt8]((try? handle.read(upToCount: Int(dataOff))) ?? Data())
        guard meta.count == Int(dataOff) else { throw CLIFailure("\(path): truncated image") }
        let checksumAt = MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.meta_checksum)!
        let want = Self.u64(meta, checksumAt)
        for i in checksumAt..<checksumAt + 8 { meta[i] = 0 }
        let got = meta.withUnsafeBytes { Self.hash(Self.hashSeed, $0) }
        guard got == want else { throw CLIFailure("\(path): image header is damaged (checksum mismatch)") }

        let h = Self.load(ckpt_img_header.self, meta, 0)
        let stringsOff = Int(truncatingIfNeeded: h.strings_off), stringsSize = Int(truncatingIfNeeded: h.strings_size)
        func string(at o: UInt64) -> String {
            guard o < UInt64(stringsSize) else { return "" }
            let start = stringsOff + Int(o)
            let bytes = meta[start..<stringsOff + stringsSize].prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        let created = Double(h.created_unix_ns) / 1e9
        header = Header(
            formatVersion: version, fileSize: total, rank: h.rank, nranks: h.nranks, generation: h.generation,
            created: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: created)), pid: h.pid,
            flavour: Self.text(h.flavour), host: Self.text(h.host), faceAbi: Self.text(h.face_abi),
            memBytes: h.mem_bytes, dataBytes: h.data_size, dataOffset: dataOff, tidOffset: h.tid_offset,
            suspendSignal: h.suspend_signal, pauseMs: Double(h.pause_ns) / 1e6, cwd: Self.text(h.cwd),
            vdso: Self.hex(h.vdso_start) + "-" + Self.hex(h.vdso_end), jobId: Self.text(h.job_id),
            programAbi: Self.text(h.program_abi), metadataChecksum: Self.hex(want))
        if h.features & UInt64(CKPT_IMG_FEAT_PARENT) != 0 {
            guard h.parent_generation > 0, h.parent_generation < h.generation else {
                throw CLIFailure("\(path): image header is damaged (parent generation \(h.parent_generation) of generation \(h.generation))")
            }
            header.parentGeneration = h.parent_generation
            header.parentMetadataChecksum = Self.hex(h.parent_meta_checksum)
        }
        // A crafted header can have a valid checksum: bound every number before it becomes an Int.
        guard h.strings_off < 1 << 32, h.strings_size < 1 << 32, h.threads_off < 1 << 32, h.fds_off < 1 << 32,
              h.sigs_off < 1 << 32, h.regions_off < 1 << 32, h.extents_off < 1 << 32, h.nextents < 1 << 32,
              h.files_off < 1 << 32, version >= 2 || h.nfiles == 0 else {
            throw CLIFailure("\(path): image header is damaged (tables out of bounds)")
        }
        let nthreads = Int(h.nthreads), nfds = Int(h.nfds), nregions = Int(h.nregions), nextents = Int(h.nextents)
        let threadsOff = Int(h.threads_off), fdsOff = Int(h.fds_off), sigsOff = Int(h.sigs_off)
        let regionsOff = Int(h.regions_off), extentsOff = Int(h.extents_off)
        let nfiles = Int(h.nfiles), filesOff = Int(h.files_off)
        func fits<T>(_ off: Int, _ n: Int, _ type: T.Type) -> Bool {
            off >= 0 && n >= 0 && n <= meta.count && off + n * MemoryLayout<T>.stride <= meta.count
        }
        guard fits(threadsOff, nthreads, ckpt_img_thread.self), fits(fdsOff, nfds, ckpt_img_fd.self),
              fits(sigsOff, 64, ckpt_img_sigaction.self), fits(regionsOff, nregions, ckpt_img_region.self),
              fits(extentsOff, nextents, ckpt_img_extent.self), fits(stringsOff, stringsSize, UInt8.self),
              fits(filesOff, nfiles, ckpt_img_file.self) else {
            throw CLIFailure("\(path): image header is damaged (tables out of bounds)")
        }
        for i in 0..<nthreads {
            let t = Self.load(ckpt_img_thread.self, meta, threadsOff + i * MemoryLayout<ckpt_img_thread>.stride)
            let interrupted = withUnsafeBytes(of: t.gregs) { $0.load(fromByteOffset: Self.gregRIP * 8, as: UInt64.self) }
            threads.append(Thread(
                tid: t.tid, main: t.flags & UInt64(CKPT_THR_MAIN) != 0, engine: t.flags & UInt64(CKPT_THR_ENGINE) != 0,
                fsBase: Self.hex(t.ctx.fs_base), rip: Self.hex(t.ctx.rip), rsp: Self.hex(t.ctx.rsp),
                interruptedRip: Self.hex(interrupted), signalMask: Self.hex(t.app_sigmask)))
        }
        let fdKinds = [CKPT_FD_REGULAR: "regular", CKPT_FD_DIR: "directory", CKPT_FD_UNSUPPORTED: "unsupported"]
        for i in 0..<nfds {
            let d = Self.load(ckpt_img_fd.self, meta, fdsOff + i * MemoryLayout<ckpt_img_fd>.stride)
            fds.append(FileDescriptor(
                fd: d.fd, kind: fdKinds[d.kind] ?? "?", path: string(at: d.path_off), flags: Self.hex(UInt64(d.flags)),
                offset: d.offset, size: d.size))
        }
        for sig in 1...64 {
            let a = Self.load(ckpt_img_sigaction.self, meta, sigsOff + (sig - 1) * MemoryLayout<ckpt_img_sigaction>.stride)
            if a.handler == 0 { continue }
            signals.append(SignalAction(
                signal: sig, handler: a.handler == 1 ? "SIG_IGN" : Self.hex(a.handler),
                flags: Self.hex(a.flags), mask: Self.hex(a.mask)))
        }
        let kinds = [CKPT_REG_ANON: "private", CKPT_REG_SHARED_ANON: "shared-anonymous",
                     CKPT_REG_FILE_SHARED: "shared-file", CKPT_REG_NONE: "reserved", CKPT_REG_FILE_PRIVATE: "file-private"]
        var filePaths = Set<UInt64>()
        for i in 0..<nfiles {
            let f = Self.load(ckpt_img_file.self, meta, filesOff + i * MemoryLayout<ckpt_img_file>.stride)
            filePaths.insert(f.path_off)
            mappedFiles.append(MappedFile(path: string(at: f.path_off), device: f.dev, inode: f.ino, size: f.size,
                                          mtimeNs: f.mtime_ns, hash: Self.hex(f.hash), unchanged: nil))
        }
        for i in 0..<nregions {
            let g = Self.load(ckpt_img_region.self, meta, regionsOff + i * MemoryLayout<ckpt_img_region>.stride)
            let p = (g.prot & 1 != 0 ? "r" : "-") + (g.prot & 2 != 0 ? "w" : "-") + (g.prot & 4 != 0 ? "x" : "-")
            let name = string(at: g.path_off)
            if g.kind == CKPT_REG_FILE_PRIVATE, !filePaths.contains(g.path_off) {
                throw CLIFailure("\(path): image header is damaged (region \(i) maps no file of the table)")
            }
            let mapsFile = g.kind == CKPT_REG_FILE_PRIVATE || g.kind == CKPT_REG_FILE_SHARED
            regions.append(Region(
                start: Self.hex(g.start), end: Self.hex(g.end), bytes: g.end &- g.start, prot: p,
                kind: kinds[g.kind] ?? "?", path: name.isEmpty ? nil : name,
                storedBytes: g.data_bytes, runs: g.nextents, checksum: Self.hex(g.checksum), checksumOk: nil,
                fileOffset: mapsFile ? g.file_offset : nil, delta: g.flags & UInt32(CKPT_REGF_PARENT) != 0,
                startAddress: g.start, firstExtent: g.first_extent))
        }
        for i in 0..<nextents {
            let x = Self.load(ckpt_img_extent.self, meta, extentsOff + i * MemoryLayout<ckpt_img_extent>.stride)
            extents.append((x.addr, x.len, x.file_off))
        }
        header.storedBytes = h.data_size
        if h.features & UInt64(CKPT_IMG_FEAT_ZSTD) != 0 {
            try readFrames(h, meta)
        }
    }

    /// The frame table, checked as the restore checks it (restore_zstd.c).
    private mutating func readFrames(_ h: ckpt_img_header, _ meta: [UInt8]) throws {
        let stride = MemoryLayout<ckpt_img_frame>.stride
        guard h.frames_off >= UInt64(Self.headerSize), h.frames_off < 1 << 32, h.nframes < 1 << 32,
              Int(h.frames_off) + Int(h.nframes) * stride <= meta.count, h.stored_size <= h.file_size,
              h.file_size - h.stored_size == h.data_off else {
            throw CLIFailure("\(path): image header is damaged (frame table out of bounds)")
        }
        var u = h.data_off, pos = h.data_off
        for i in 0..<Int(h.nframes) {
            let f = Self.load(ckpt_img_frame.self, meta, Int(h.frames_off) + i * stride)
            let padded = (f.csize + 4095) / 4096 * 4096
            guard f.uoff == u, f.ulen > 0, f.ulen <= UInt64(CKPT_IMG_FRAME_MAX), f.ulen % 4096 == 0, f.csize > 0,
                  f.csize <= f.ulen, f.file_off == pos, padded <= h.file_size - f.file_off else {
                throw CLIFailure("\(path): image header is damaged (frame \(i))")
            }
            frames.append(ImageData.Frame(uoff: f.uoff, ulen: f.ulen, fileOff: f.file_off, csize: f.csize))
            u += f.ulen
            pos += padded
        }
        guard u == h.data_off + h.data_size, pos == h.file_size else {
            throw CLIFailure("\(path): image header is damaged (the frames do not cover the data)")
        }
        header.compression = "zstd:\(h.zstd_level)"
        header.storedBytes = h.stored_size
    }

    /// Reads every stored page and checks each region's checksum.
    mutating func verify() throws {
        let data = try data()
        for i in regions.indices where regions[i].runs > 0 {
            var h = Self.hashSeed, undecodable = false
            guard regions[i].firstExtent <= UInt64(extents.count) else {
                regions[i].checksumOk = false
                continue
            }
            let first = Int(regions[i].firstExtent)
            for k in first..<first + Int(regions[i].runs) where k < extents.count {
                let (_, len, off) = extents[k]
                var done: UInt64 = 0
                while done < len {
                    let n = Int(min(len - done, UInt64(Self.hashChunk)))
                    guard let d = try? data.read(at: off + done, count: n) else {
                        if frames.isEmpty { throw CLIFailure("\(path): truncated image") }
                        undecodable = true // a frame that does not decompress: the region is damaged
                        break
                    }
                    h = d.withUnsafeBytes { Self.hash(h, $0) }
                    done += UInt64(n)
                }
            }
            regions[i].checksumOk = !undecodable && String(h, radix: 16) == String(regions[i].checksum.dropFirst(2))
        }
    }

    /// Checks every file mapped by reference against the file now at its path (--verify).
    mutating func verifyMappedFiles() {
        for i in mappedFiles.indices {
            mappedFiles[i].unchanged = Self.change(of: mappedFiles[i]) == nil
        }
    }

    /// Why the file now at `f.path` is not the one the image maps (one phrase), or nil when it has
    /// the size and hash of the checkpoint (`ckpt_img_file_hash`); "missing" when it cannot be read.
    static func change(of f: MappedFile) -> String? {
        var st = stat()
        guard stat(f.path, &st) == 0, let handle = FileHandle(forReadingAtPath: f.path) else {
            return "missing: \(String(cString: strerror(errno)))"
        }
        defer { try? handle.close() }
        if Int64(st.st_size) != f.size { return "\(st.st_size) bytes, was \(f.size)" }
        var h = UInt64(CKPT_IMG_FILE_HASH_SEED), done: Int64 = 0
        while done < f.size {
            let n = Int(min(f.size - done, Int64(hashChunk)))
            guard var d = try? handle.read(upToCount: n), d.count == n else { return "unreadable" }
            let padded = (n + 4095) / 4096 * 4096
            if padded > n { d.append(Data(count: padded - n)) }
            h = d.withUnsafeBytes { hash(h, $0) }
            done += Int64(n)
        }
        guard hex(h) != f.hash else { return nil }
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        if UInt64(st.st_ino) != f.inode || UInt64(st.st_dev) != f.device { return "another file with other contents" }
        return mtime != f.mtimeNs ? "its contents and mtime differ" : "its contents differ, same mtime"
    }

    // MARK: the C structs of ckpt_image.h, little-endian fields and the image hash (ckpt_img_hash)

    /// Index of the interrupted instruction pointer in ckpt_img_thread.gregs (ucontext's REG_RIP).
    static let gregRIP = 16

    /// The C struct at byte `offset` of `bytes` (the caller checked the bounds).
    static func load<T>(_ type: T.Type, _ bytes: [UInt8], _ offset: Int) -> T {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }

    /// A fixed-size C char array (imported as a tuple) up to its first NUL.
    static func text<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }


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
