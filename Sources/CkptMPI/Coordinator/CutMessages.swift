import MPIShadow
// The lines of the consistent cut (docs/checkpoint-protocol.md, "The consistent cut on
// the wire"). `RankReport`, `CommID` and `CutCoordinator` are MPIShadow's own source,
// compiled into this executable through the symlinks in CutLogic/ because the
// `ckpt-mpi` target does not depend on MPIShadow (Package.swift).

/// One message of the cut, in either direction, as a typed value.
enum CutMessage: Equatable {
    /// `CUTREPORT`: a rank's counts and activity (engine → coordinator).
    case report(RankReport)
    /// `TARGETS`: raised targets (coordinator → engines).
    case targets(generation: Int, targets: [CommID: Int])
    /// `CUT`: the collective cut is reached; drain counts follow.
    case cut(generation: Int)
    /// `SENT`: how many messages the rank sent to each world rank since MPI_Init.
    case sent(generation: Int, to: [Int])
    /// `EXPECT`: how many messages each world rank sent to this rank.
    case expect(generation: Int, from: [Int])
    /// `DRAINED`: the rank has received everything it was sent.
    case drained(generation: Int)
    /// `WRITE`: every rank has drained; write the image.
    case write(generation: Int)
    /// `ABORT`: the generation is abandoned; resume without writing.
    case abort(generation: Int)

    /// The verbs an engine sends during the cut.
    static let engineVerbs: Set<String> = ["CUTREPORT", "SENT", "DRAINED"]

    var generation: Int {
        switch self {
        case .report(let report): return report.generation
        case .targets(let g, _), .cut(let g), .sent(let g, _), .expect(let g, _), .drained(let g), .write(let g),
             .abort(let g):
            return g
        }
    }

    /// Parses a line of a job of `nranks` ranks; throws for an unknown verb or a malformed field.
    init(_ line: ProtocolLine, nranks: Int) throws(MalformedCutLine) {
        let fields = CutFields(line: line, nranks: nranks)
        let generation = try fields.integer("gen")
        switch line.verb {
        case "CUTREPORT":
            self = .report(RankReport(
                rank: try fields.rank("rank"), generation: generation, sequence: try fields.integer("seq"),
                comms: try fields.comms("comms"), activity: try fields.activity("act")))
        case "TARGETS": self = .targets(generation: generation, targets: try fields.targets("t"))
        case "CUT": self = .cut(generation: generation)
        case "SENT": self = .sent(generation: generation, to: try fields.counts("to"))
        case "EXPECT": self = .expect(generation: generation, from: try fields.counts("from"))
        case "DRAINED": self = .drained(generation: generation)
        case "WRITE": self = .write(generation: generation)
        case "ABORT": self = .abort(generation: generation)
        default: throw MalformedCutLine(verb: line.verb, problem: "not a message of the cut")
        }
    }

    /// The line as sent.
    var line: ProtocolLine {
        let gen = ("gen", "\(generation)")
        switch self {
        case .report(let r):
            let comms = r.comms.sorted { $0.key < $1.key }
                .map { "\(CutWire.text($0.key)):\($0.value.started):\(CutWire.text($0.value.members))\($0.value.pseudo ? ":g" : "")" }
            return ProtocolLine("CUTREPORT", [gen, ("rank", "\(r.rank)"), ("seq", "\(r.sequence)"),
                                              ("act", CutWire.text(r.activity)), ("comms", comms.joined(separator: ";"))])
        case .targets(_, let targets):
            let list = targets.sorted { $0.key < $1.key }.map { "\(CutWire.text($0.key)):\($0.value)" }
            return ProtocolLine("TARGETS", [gen, ("t", list.joined(separator: ","))])
        case .cut: return ProtocolLine("CUT", [gen])
        case .sent(_, let counts): return ProtocolLine("SENT", [gen, ("to", CutWire.text(counts: counts))])
        case .expect(_, let counts): return ProtocolLine("EXPECT", [gen, ("from", CutWire.text(counts: counts))])
        case .drained: return ProtocolLine("DRAINED", [gen])
        case .write: return ProtocolLine("WRITE", [gen])
        case .abort: return ProtocolLine("ABORT", [gen])
        }
    }
}

/// Why a line of the cut could not be understood.
struct MalformedCutLine: Error, Equatable {
    let verb: String
    /// What is wrong, e.g. `act=jumping: unknown activity`.
    let problem: String
}

/// The value syntax of the cut's fields, written the way `CutFields` reads it.
enum CutWire {
    /// A communicator id: 16 lower-case hex digits.
    static func text(_ id: CommID) -> String {
        let digits = String(id.raw, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// World ranks as ascending ranges: `[0, 1, 2, 3, 5, 7, 8, 9]` is `0-3,5,7-9`.
    static func text(_ ranks: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < ranks.count {
            var j = i
            while j + 1 < ranks.count, ranks[j + 1] == ranks[j] + 1 { j += 1 }
            parts.append(i == j ? "\(ranks[i])" : "\(ranks[i])-\(ranks[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Counts, one per world rank: `0,12,3`.
    static func text(counts: [Int]) -> String { counts.map(String.init).joined(separator: ",") }

    /// `running`, `capped:<id>`, `coll:<id>:<n>`, `p2p:<members>` or `finished`.
    static func text(_ activity: RankActivity) -> String {
        switch activity {
        case .running: return "running"
        case .capped(let c): return "capped:\(text(c))"
        case let .inCollective(c, n): return "coll:\(text(c)):\(n)"
        case .blockedP2P(let peers): return "p2p:\(text(peers))"
        case .finished: return "finished"
        }
    }
}

/// Reads the fields of one line, each failure naming the field and its value.
private struct CutFields {
    let line: ProtocolLine
    let nranks: Int

    private func malformed(_ key: String, _ value: String, _ why: String) -> MalformedCutLine {
        MalformedCutLine(verb: line.verb, problem: "\(key)=\(value.prefix(80)): \(why)")
    }

    private func value(_ key: String) throws(MalformedCutLine) -> String {
        guard let value = line[key] else { throw MalformedCutLine(verb: line.verb, problem: "no \(key)=") }
        return value
    }

    private func number<S: StringProtocol>(_ text: S) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    func integer(_ key: String) throws(MalformedCutLine) -> Int {
        let text = try value(key)
        guard let n = number(text) else { throw malformed(key, text, "not a count") }
        return n
    }

    func rank(_ key: String) throws(MalformedCutLine) -> Int {
        let text = try value(key)
        guard let r = number(text), r < nranks else { throw malformed(key, text, "not a rank of \(nranks)") }
        return r
    }

    /// Exactly `nranks` comma-separated counts.
    func counts(_ key: String) throws(MalformedCutLine) -> [Int] {
        let text = try value(key)
        let counts = text.split(separator: ",", omittingEmptySubsequences: false).map(number)
        guard counts.count == nranks else { throw malformed(key, text, "\(counts.count) counts for \(nranks) ranks") }
        guard !counts.contains(nil) else { throw malformed(key, text, "not a list of counts") }
        return counts.map { $0! }
    }

    func targets(_ key: String) throws(MalformedCutLine) -> [CommID: Int] {
        let text = try value(key)
        var targets: [CommID: Int] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let id = id(parts[0]), let target = number(parts[1]), targets[id] == nil else {
                throw malformed(key, text, "'\(entry)' is not <id>:<target>")
            }
            targets[id] = target
        }
        return targets
    }

    func comms(_ key: String) throws(MalformedCutLine) -> [CommID: CommCount] {
        let text = try value(key)
        var comms: [CommID: CommCount] = [:]
        for entry in text.split(separator: ";") {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            // A fourth field "g" marks a pseudo-communicator (CommCount.pseudo).
            guard parts.count == 3 || (parts.count == 4 && parts[3] == "g"), let id = id(parts[0]),
                  let started = number(parts[1]), let members = ranks(parts[2]), comms[id] == nil else {
                throw malformed(key, text, "'\(entry.prefix(80))' is not <id>:<started>:<members>[:g]")
            }
            comms[id] = CommCount(started: started, members: members, pseudo: parts.count == 4)
        }
        return comms
    }

    func activity(_ key: String) throws(MalformedCutLine) -> RankActivity {
        let text = try value(key)
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch (parts[0], parts.count) {
        case ("running", 1): return .running
        case ("finished", 1): return .finished
        case ("capped", 2):
            if let c = id(parts[1]) { return .capped(c) }
        case ("coll", 3):
            if let c = id(parts[1]), let n = number(parts[2]), n > 0 { return .inCollective(c, n) }
        case ("p2p", 2):
            if let peers = ranks(parts[1]) { return .blockedP2P(peers) }
        default:
            break
        }
        throw malformed(key, text, "not an activity")
    }

    /// 16 lower-case hex digits.
    private func id(_ text: Substring) -> CommID? {
        guard text.utf8.count == 16, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        return UInt64(text, radix: 16).map(CommID.init(raw:))
    }

    /// Ascending ranges of ranks below `nranks`, `0-3,5,7-9`; empty for an empty text.
    private func ranks(_ text: Substring) -> [Int]? {
        guard !text.isEmpty else { return [] }
        var ranks: [Int] = []
        for range in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = range.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count <= 2, let low = number(ends[0]), let high = number(ends.last!),
                  (ranks.last ?? -1) < low, low <= high, high < nranks else { return nil }
            ranks += low...high
        }
        return ranks
    }
}
