/// What an ELF file says about itself in its first 20 bytes: enough to tell
/// whether it is an ELF file at all, and for which machine and word size.
///
/// Kept apart from `ELFFile` because a program for the wrong machine must be
/// reported by name, not rejected as unparsable.
struct ELFIdentity: Equatable {
    /// ELFCLASS64 rather than ELFCLASS32.
    let is64Bit: Bool
    /// ELFDATA2LSB rather than ELFDATA2MSB.
    let isLittleEndian: Bool
    /// e_type: ET_REL, ET_EXEC, ET_DYN, ET_CORE ...
    let type: UInt16
    /// e_machine: EM_X86_64 is 62.
    let machine: UInt16

    static let typeRelocatable: UInt16 = 1
    static let typeExecutable: UInt16 = 2
    static let typeShared: UInt16 = 3
    static let typeCore: UInt16 = 4
    static let machineX86_64: UInt16 = 62

    /// Reads the identification; nil when the data does not start with the ELF magic.
    static func read(from source: ByteSource) throws -> ELFIdentity? {
        let bytes = try source.read(at: 0, count: 20)
        guard bytes.count >= 4, bytes[0..<4].elementsEqual([0x7f, 0x45, 0x4c, 0x46]) else { return nil }
        guard bytes.count >= 20 else { throw ELFError.truncated("ELF header") }
        let is64Bit: Bool
        switch bytes[4] {
        case 1: is64Bit = false
        case 2: is64Bit = true
        default: throw ELFError.malformed("unknown ELF class \(bytes[4])")
        }
        let little: Bool
        switch bytes[5] {
        case 1: little = true
        case 2: little = false
        default: throw ELFError.malformed("unknown ELF data encoding \(bytes[5])")
        }
        // e_type and e_machine sit at the same offsets in both classes.
        func half(_ at: Int) -> UInt16 {
            little ? UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
                   : UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
        }
        return ELFIdentity(is64Bit: is64Bit, isLittleEndian: little, type: half(16), machine: half(18))
    }

    /// True for the only kind of file ckpt-mpi can run today.
    var isX86_64ELF64: Bool { is64Bit && isLittleEndian && machine == Self.machineX86_64 }

    /// A human name for the machine, for error messages.
    var machineName: String {
        switch machine {
        case 3: return "i386"
        case 8: return "MIPS"
        case 20: return "PowerPC"
        case 21: return "PowerPC64"
        case 22: return "s390"
        case 40: return "ARM"
        case 62: return "x86-64"
        case 183: return "AArch64"
        case 243: return "RISC-V"
        case 258: return "LoongArch"
        default: return "machine \(machine)"
        }
    }
}

/// Why an ELF file could not be read.
enum ELFError: Error, Equatable, CustomStringConvertible {
    /// The data does not start with the ELF magic.
    case notELF
    /// The reader only understands 64-bit little-endian files.
    case unsupportedFormat(ELFIdentity)
    /// A structure the headers point at lies (partly) beyond the end of the file.
    case truncated(String)
    /// A header holds a value no linker produces.
    case malformed(String)

    var description: String {
        switch self {
        case .notELF: return "not an ELF file"
        case .unsupportedFormat(let id):
            return "\(id.is64Bit ? "64" : "32")-bit \(id.isLittleEndian ? "little" : "big")-endian \(id.machineName) ELF file"
        case .truncated(let what): return "truncated \(what)"
        case .malformed(let what): return what
        }
    }
}

/// One entry of the program header table.
struct ELFProgramHeader: Equatable {
    let type: UInt32
    let flags: UInt32
    let offset: UInt64
    let virtualAddress: UInt64
    let fileSize: UInt64
    let memorySize: UInt64

    static let typeLoad: UInt32 = 1
    static let typeDynamic: UInt32 = 2
    static let typeInterpreter: UInt32 = 3
}

/// The loader-relevant facts of a 64-bit little-endian ELF file: its program
/// headers, ELF interpreter and dynamic section (needed libraries, soname, runpath).
///
/// Reads only what the dynamic loader reads — program headers, not section
/// headers — because stripped binaries and those produced by odd linkers may
/// have no usable section table, yet the loader runs them, and so must we.
struct ELFFile {
    /// The identification the file starts with.
    let identity: ELFIdentity
    /// e_entry.
    let entry: UInt64
    /// The program header table.
    let programHeaders: [ELFProgramHeader]
    /// The PT_INTERP path (e.g. /lib64/ld-linux-x86-64.so.2); nil for static executables.
    let interpreter: String?
    /// DT_NEEDED entries in order.
    let neededLibraries: [String]
    /// DT_SONAME, for shared libraries.
    let soname: String?
    /// DT_RUNPATH, or DT_RPATH when there is no DT_RUNPATH.
    let runPath: String?
    /// DT_FLAGS_1 (DF_1_PIE is 0x08000000).
    let flags1: UInt64

    /// Whether the file has a dynamic section at all.
    let isDynamic: Bool
    /// The dynamic section's tags other than DT_NEEDED, the last value of each (ELFSymbols.swift reads DT_SYMTAB).
    let dynamicTags: [UInt64: UInt64]

    static let dtNull: UInt64 = 0
    static let dtNeeded: UInt64 = 1
    static let dtStrtab: UInt64 = 5
    static let dtStrsz: UInt64 = 10
    static let dtSoname: UInt64 = 14
    static let dtRpath: UInt64 = 15
    static let dtRunpath: UInt64 = 29
    static let dtFlags1: UInt64 = 0x6fff_fffb
    static let df1PIE: UInt64 = 0x0800_0000

    // Limits against hostile or corrupt headers: far above anything a linker emits.
    private static let maximumProgramHeaders = 1 << 16
    private static let maximumInterpreterLength = 4096
    private static let maximumDynamicSize: UInt64 = 1 << 20
    private static let maximumStringTableSize: UInt64 = 64 << 20

    /// Reads the headers and dynamic section of `source`.
    init(reading source: ByteSource) throws {
        guard let identity = try ELFIdentity.read(from: source) else { throw ELFError.notELF }
        guard identity.is64Bit, identity.isLittleEndian else { throw ELFError.unsupportedFormat(identity) }
        self.identity = identity

        let header = LittleEndianBytes(try source.read(at: 0, count: 64), what: "ELF header")
        entry = try header.u64(24)
        let phoff = try header.u64(32)
        let shoff = try header.u64(40)
        let phentsize = Int(try header.u16(54))
        var phnum = Int(try header.u16(56))
        if phnum == 0xffff {
            // PN_XNUM: the real count lives in sh_info of section header 0.
            let section0 = LittleEndianBytes(try source.read(at: shoff, count: 64), what: "section header 0")
            phnum = Int(try section0.u32(44))
        }
        guard phnum == 0 || phentsize >= 56 else { throw ELFError.malformed("program header size \(phentsize)") }
        guard phnum <= Self.maximumProgramHeaders else { throw ELFError.malformed("\(phnum) program headers") }

        let table = LittleEndianBytes(try source.read(at: phoff, count: phnum * phentsize),
                                      what: "program header table")
        var headers: [ELFProgramHeader] = []
        headers.reserveCapacity(phnum)
        for index in 0..<phnum {
            let base = index * phentsize
            headers.append(ELFProgramHeader(
                type: try table.u32(base), flags: try table.u32(base + 4), offset: try table.u64(base + 8),
                virtualAddress: try table.u64(base + 16), fileSize: try table.u64(base + 32),
                memorySize: try table.u64(base + 40)))
        }
        programHeaders = headers

        if let interp = headers.first(where: { $0.type == ELFProgramHeader.typeInterpreter }) {
            let length = Int(min(interp.fileSize, UInt64(Self.maximumInterpreterLength)))
            let bytes = try source.read(at: interp.offset, count: length)
            guard bytes.count == length else { throw ELFError.truncated("PT_INTERP") }
            interpreter = String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        } else {
            interpreter = nil
        }

        guard let dynamic = headers.first(where: { $0.type == ELFProgramHeader.typeDynamic }) else {
            isDynamic = false
            dynamicTags = [:]
            neededLibraries = []
            soname = nil
            runPath = nil
            flags1 = 0
            return
        }
        isDynamic = true
        let dynamicSize = min(dynamic.fileSize, Self.maximumDynamicSize)
        let entries = LittleEndianBytes(try source.read(at: dynamic.offset, count: Int(dynamicSize)),
                                        what: "PT_DYNAMIC")
        var neededOffsets: [UInt64] = []
        var stringTableAddress: UInt64?
        var stringTableSize: UInt64?
        var sonameOffset: UInt64?
        var rpathOffset: UInt64?
        var runpathOffset: UInt64?
        var flags1: UInt64 = 0
        var tags: [UInt64: UInt64] = [:]
        var at = 0
        while at + 16 <= entries.count {
            let tag = try entries.u64(at)
            let value = try entries.u64(at + 8)
            at += 16
            if tag != Self.dtNeeded && tag != Self.dtNull { tags[tag] = value }
            switch tag {
            case Self.dtNull: at = entries.count
            case Self.dtNeeded: neededOffsets.append(value)
            case Self.dtStrtab: stringTableAddress = value
            case Self.dtStrsz: stringTableSize = value
            case Self.dtSoname: sonameOffset = value
            case Self.dtRpath: rpathOffset = value
            case Self.dtRunpath: runpathOffset = value
            case Self.dtFlags1: flags1 = value
            default: break
            }
        }
        self.flags1 = flags1
        dynamicTags = tags

        let wantsStrings = !neededOffsets.isEmpty || sonameOffset != nil || rpathOffset != nil || runpathOffset != nil
        guard wantsStrings else {
            neededLibraries = []
            soname = nil
            runPath = nil
            return
        }
        guard let stringTableAddress else { throw ELFError.malformed("dynamic section has no DT_STRTAB") }
        let (fileOffset, available) = try Self.fileRange(ofAddress: stringTableAddress, named: "DT_STRTAB", in: headers)
        let size = min(stringTableSize ?? available, available, Self.maximumStringTableSize)
        let strings = try source.read(at: fileOffset, count: Int(size))

        func string(at offset: UInt64) throws -> String {
            guard offset < UInt64(strings.count) else {
                throw ELFError.malformed("dynamic string offset \(offset) beyond DT_STRSZ \(strings.count)")
            }
            let tail = strings[Int(offset)...]
            guard let end = tail.firstIndex(of: 0) else { throw ELFError.truncated("dynamic string table") }
            return String(decoding: tail[..<end], as: UTF8.self)
        }
        neededLibraries = try neededOffsets.map(string(at:))
        soname = try sonameOffset.map(string(at:))
        runPath = try (runpathOffset ?? rpathOffset).map(string(at:))
    }

    /// Where the bytes at virtual address `address` are in the file, and how many follow in
    /// the same PT_LOAD: dynamic-section addresses are what the loader sees, memory, not the file.
    static func fileRange(ofAddress address: UInt64, named name: String,
                          in headers: [ELFProgramHeader]) throws -> (offset: UInt64, available: UInt64) {
        guard let load = headers.first(where: {
            $0.type == ELFProgramHeader.typeLoad && $0.virtualAddress <= address
                && address - $0.virtualAddress < $0.fileSize
        }) else {
            throw ELFError.malformed("\(name) 0x\(String(address, radix: 16)) is outside every PT_LOAD")
        }
        let (offset, overflow) = load.offset.addingReportingOverflow(address - load.virtualAddress)
        guard !overflow else { throw ELFError.malformed("PT_LOAD offset overflows") }
        return (offset, load.fileSize - (address - load.virtualAddress))
    }

    /// True for an ET_DYN object built as a position-independent executable.
    var isPIE: Bool { flags1 & Self.df1PIE != 0 }
}

/// Little-endian integer reads from a byte array, failing with a named truncation
/// rather than trapping when headers point past the data.
struct LittleEndianBytes {
    let bytes: [UInt8]
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var count: Int { bytes.count }

    func u16(_ at: Int) throws -> UInt16 { UInt16(truncatingIfNeeded: try value(at, width: 2)) }
    func u32(_ at: Int) throws -> UInt32 { UInt32(truncatingIfNeeded: try value(at, width: 4)) }
    func u64(_ at: Int) throws -> UInt64 { try value(at, width: 8) }

    private func value(_ at: Int, width: Int) throws -> UInt64 {
        guard at >= 0, at + width <= bytes.count else { throw ELFError.truncated(what) }
        var result: UInt64 = 0
        for index in (0..<width).reversed() {
            result = result << 8 | UInt64(bytes[at + index])
        }
        return result
    }
}
