/// One entry of an ELF file's dynamic symbol table.
struct ELFSymbol: Equatable {
    let name: String
    /// STT_* (1 object, 2 function).
    let type: UInt8
    /// Defined in this file (st_shndx != SHN_UNDEF): for an executable's object symbols,
    /// the copy relocations of a library's data.
    let isDefined: Bool

    static let typeObject: UInt8 = 1
    static let typeFunction: UInt8 = 2
}

extension ELFFile {
    static let dtSymtab: UInt64 = 6
    static let dtSyment: UInt64 = 11
    static let dtHash: UInt64 = 4
    static let dtGNUHash: UInt64 = 0x6fff_fef5
    private static let maximumSymbols: UInt64 = 1 << 20

    /// The dynamic symbol table, as the loader sees it (program headers only, like the rest of
    /// ELFFile); empty for a static file. Its length comes from DT_HASH or DT_GNU_HASH.
    func dynamicSymbols(from source: ByteSource) throws -> [ELFSymbol] {
        guard let symtab = dynamicTags[Self.dtSymtab], let strtab = dynamicTags[Self.dtStrtab] else { return [] }
        let entrySize = dynamicTags[Self.dtSyment] ?? 24
        guard entrySize >= 24 else { throw ELFError.malformed("DT_SYMENT \(entrySize)") }
        let count = min(try symbolCount(from: source), Self.maximumSymbols)
        guard count > 0 else { return [] }
        let (symOffset, symAvailable) = try Self.fileRange(ofAddress: symtab, named: "DT_SYMTAB", in: programHeaders)
        let table = LittleEndianBytes(try source.read(at: symOffset, count: Int(min(count * entrySize, symAvailable))),
                                      what: "dynamic symbol table")
        let (strOffset, strAvailable) = try Self.fileRange(ofAddress: strtab, named: "DT_STRTAB", in: programHeaders)
        let strings = try source.read(at: strOffset, count: Int(min(dynamicTags[Self.dtStrsz] ?? strAvailable, strAvailable)))
        var symbols: [ELFSymbol] = []
        for index in 0..<Int(count) where (index + 1) * Int(entrySize) <= table.count {
            let base = index * Int(entrySize)
            let nameOffset = Int(try table.u32(base))
            guard nameOffset < strings.count else { continue }
            let info = UInt8(truncatingIfNeeded: try table.u16(base + 4))
            let section = try table.u16(base + 6)
            let tail = strings[nameOffset...]
            let name = String(decoding: tail[..<(tail.firstIndex(of: 0) ?? tail.endIndex)], as: UTF8.self)
            symbols.append(ELFSymbol(name: name, type: info & 0xf, isDefined: section != 0))
        }
        return symbols
    }

    /// DT_HASH's nchain, else one past the highest symbol DT_GNU_HASH's chains reach.
    private func symbolCount(from source: ByteSource) throws -> UInt64 {
        if let hash = dynamicTags[Self.dtHash] {
            let (offset, _) = try Self.fileRange(ofAddress: hash, named: "DT_HASH", in: programHeaders)
            return UInt64(try LittleEndianBytes(try source.read(at: offset, count: 8), what: "DT_HASH").u32(4))
        }
        guard let gnu = dynamicTags[Self.dtGNUHash] else { return 0 }
        let (offset, available) = try Self.fileRange(ofAddress: gnu, named: "DT_GNU_HASH", in: programHeaders)
        let header = LittleEndianBytes(try source.read(at: offset, count: 16), what: "DT_GNU_HASH")
        let buckets = UInt64(try header.u32(0)), symbolBase = UInt64(try header.u32(4))
        let bloomWords = UInt64(try header.u32(8))
        let bucketsAt = 16 + bloomWords * 8
        guard buckets > 0, buckets < Self.maximumSymbols, bucketsAt + buckets * 4 <= available else { return 0 }
        let table = LittleEndianBytes(try source.read(at: offset + bucketsAt, count: Int(buckets * 4)), what: "DT_GNU_HASH buckets")
        var last: UInt64 = 0
        for bucket in 0..<Int(buckets) { last = max(last, UInt64(try table.u32(bucket * 4))) }
        guard last >= symbolBase else { return symbolBase }
        // Walk the last bucket's chain to its end (the entry with bit 0 set).
        let chainAt = bucketsAt + buckets * 4
        var index = last
        while index - symbolBase < Self.maximumSymbols {
            let at = chainAt + (index - symbolBase) * 4
            guard at + 4 <= available else { break }
            let value = try LittleEndianBytes(try source.read(at: offset + at, count: 4), what: "DT_GNU_HASH chain").u32(0)
            if value & 1 == 1 { break }
            index += 1
        }
        return index + 1
    }
}
