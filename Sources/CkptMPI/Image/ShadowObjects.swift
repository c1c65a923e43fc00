import Foundation
import HalfABI
import ShadowSlots

/// The live MPI objects of a checkpointed rank, per kind, read from the rank's own saved
/// memory: the shadow slot tables (`ckpt_slots`, Sources/UpperHalf/ShadowSlots) of the face
/// library, found through that library's symbol table and its load address in the image.
/// A slot with a real handle is a live object; slots below CKPT_FIRST_USER_SLOT hold
/// predefined pair datatypes and are not counted.
enum ShadowObjects {
    /// Names of the object kinds of `ckpt_abi.h`, as `inspect --json` prints them.
    static let kindNames: [(UInt32, String)] = [
        (UInt32(CKPT_KIND_COMM), "communicator"), (UInt32(CKPT_KIND_GROUP), "group"),
        (UInt32(CKPT_KIND_DATATYPE), "datatype"), (UInt32(CKPT_KIND_FILE), "file"),
        (UInt32(CKPT_KIND_ERRHANDLER), "errhandler"), (UInt32(CKPT_KIND_OP), "op"),
        (UInt32(CKPT_KIND_INFO), "info"), (UInt32(CKPT_KIND_WIN), "window"),
        (UInt32(CKPT_KIND_KEYVAL), "keyval"), (UInt32(CKPT_KIND_ATTR), "attribute"),
        (UInt32(CKPT_KIND_REQUEST), "request"),
    ]
    /// More slots than any table can have: a damaged pointer must not make us read gigabytes.
    static let maximumCapacity: UInt32 = 1 << 24

    /// Live objects per kind name, or nil when `faceLibrary` is not mapped in the image (another
    /// build of the face, or a program that does not use MPI).
    static func count(in image: ImageFile, faceLibrary: String) throws -> [String: Int]? {
        guard let lib = FileManager.default.contents(atPath: faceLibrary).map([UInt8].init),
              let symbol = symbolValue(lib, named: "ckpt_slots"), let firstVaddr = firstLoadAddress(lib),
              lib.count >= 4096 else { return nil }
        let memory = try ImageMemory(image)
        let firstPage = Array(lib[0..<4096])
        guard let region = image.regions.first(where: { $0.hasContents && memory.read($0.startAddress, 4096) == firstPage })
        else { return nil }
        let base = region.startAddress &- firstVaddr
        let stride = MemoryLayout<ckpt_slot_table>.stride
        guard let tables = memory.read(base &+ symbol, stride * Int(CKPT_SLOT_KINDS)) else { return nil }
        var counts: [String: Int] = [:]
        for (kind, name) in kindNames {
            let t = ImageFile.load(ckpt_slot_table.self, tables, Int(kind) * stride)
            let real = UInt64(UInt(bitPattern: t.real)), capacity = min(t.capacity, maximumCapacity)
            var live = 0
            if real != 0, capacity > UInt32(CKPT_FIRST_USER_SLOT), let slots = memory.read(real, Int(capacity) * 8) {
                for i in Int(CKPT_FIRST_USER_SLOT)..<Int(capacity) where ImageFile.u64(slots, i * 8) != 0 { live += 1 }
            }
            counts[name] = live
        }
        return counts
    }

    /// Whether `library`'s first page is in the image's memory: the Open MPI face (libmpi.so.40)
    /// is mapped only in ranks of a program built with Open MPI's mpicc.
    static func maps(_ image: ImageFile, library: String) throws -> Bool {
        guard let lib = FileManager.default.contents(atPath: library).map([UInt8].init), lib.count >= 4096 else {
            return false
        }
        let memory = try ImageMemory(image)
        let firstPage = Array(lib[0..<4096])
        return image.regions.contains { $0.hasContents && memory.read($0.startAddress, 4096) == firstPage }
    }

    /// st_value of a symbol of the ELF file's .symtab (the face keeps its local symbols).
    static func symbolValue(_ f: [UInt8], named name: String) -> UInt64? {
        guard f.count >= 64 else { return nil }
        let shoff = Int(truncatingIfNeeded: ImageFile.u64(f, 40)), shentsize = Int(u16(f, 58)), shnum = Int(u16(f, 60))
        guard shentsize >= 64, shoff > 0, shoff + shnum * shentsize <= f.count else { return nil }
        let want = Array(name.utf8)
        for s in 0..<shnum {
            let sh = shoff + s * shentsize
            guard ImageFile.u32(f, sh + 4) == 2 else { continue }  // SHT_SYMTAB
            let off = Int(truncatingIfNeeded: ImageFile.u64(f, sh + 24)), size = Int(truncatingIfNeeded: ImageFile.u64(f, sh + 32))
            let link = Int(ImageFile.u32(f, sh + 40))
            guard link < shnum, off + size <= f.count else { return nil }
            let strOff = Int(truncatingIfNeeded: ImageFile.u64(f, shoff + link * shentsize + 24))
            let strSize = Int(truncatingIfNeeded: ImageFile.u64(f, shoff + link * shentsize + 32))
            guard strOff + strSize <= f.count else { return nil }
            for e in stride(from: off, to: off + size - 23, by: 24) {
                let n = Int(ImageFile.u32(f, e))
                guard n + want.count < strSize, f[strOff + n + want.count] == 0,
                      Array(f[strOff + n..<strOff + n + want.count]) == want else { continue }
                return ImageFile.u64(f, e + 8)
            }
        }
        return nil
    }

    /// p_vaddr of the PT_LOAD segment that maps file offset 0 (its first page is the ELF header).
    static func firstLoadAddress(_ f: [UInt8]) -> UInt64? {
        guard f.count >= 64 else { return nil }
        let phoff = Int(truncatingIfNeeded: ImageFile.u64(f, 32)), phentsize = Int(u16(f, 54)), phnum = Int(u16(f, 56))
        guard phentsize >= 56, phoff + phnum * phentsize <= f.count else { return nil }
        for i in 0..<phnum {
            let p = phoff + i * phentsize
            if ImageFile.u32(f, p) == 1, ImageFile.u64(f, p + 8) == 0 { return ImageFile.u64(f, p + 16) & ~4095 }
        }
        return nil
    }

    private static func u16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
}

/// The saved memory of an image, read by address: stored runs from the file, the rest of a
/// region zero (docs/image-format.md, "Pages not covered by an extent are zero"), or, in a
/// region mapped by reference, the mapped file's bytes as they are now.
struct ImageMemory {
    private let image: ImageFile
    private let data: ImageData

    init(_ image: ImageFile) throws {
        self.image = image
        data = try image.data()
    }

    /// `count` bytes at `address`, or nil when they are not all inside one saved region.
    func read(_ address: UInt64, _ count: Int) -> [UInt8]? {
        let end = address &+ UInt64(count)
        guard end >= address,
              let r = image.regions.first(where: { $0.startAddress <= address && end <= $0.startAddress &+ $0.bytes })
        else { return nil }
        var out = [UInt8](repeating: 0, count: count)
        if r.kind == "file-private", let path = r.path, let offset = r.fileOffset,
           let file = FileHandle(forReadingAtPath: path) {
            defer { try? file.close() }
            if (try? file.seek(toOffset: offset + (address - r.startAddress))) != nil,
               let d = try? file.read(upToCount: count) {
                out.replaceSubrange(0..<d.count, with: d)
            }
        }
        let first = Int(r.firstExtent)
        guard first <= image.extents.count else { return nil }
        for (addr, len, off) in image.extents[first..<min(first + Int(r.runs), image.extents.count)] {
            let lo = max(addr, address), hi = min(addr &+ len, end)
            guard lo < hi else { continue }
            guard let d = try? data.read(at: off + (lo - addr), count: Int(hi - lo)) else { return nil }
            out.replaceSubrange(Int(lo - address)..<Int(hi - address), with: d)
        }
        return out
    }
}

extension ImageFile.Region {
    /// Whether the image holds this region's contents: stored pages, or a file mapped by reference.
    var hasContents: Bool { runs > 0 || kind == "file-private" }
}
