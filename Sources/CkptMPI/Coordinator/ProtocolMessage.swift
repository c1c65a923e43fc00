/// One `\n`-terminated line of the coordinator protocol (docs/checkpoint-protocol.md):
/// a verb followed by `key=value` fields separated by single spaces.
///
/// The fields `dir` and `error` are always last and take the rest of the line,
/// because a path or an errno text may contain spaces; no value may contain a newline.
struct ProtocolLine: Equatable {
    /// Fields whose value runs to the end of the line.
    static let restOfLineFields: Set<String> = ["dir", "error"]
    /// Longest line either side accepts; a longer one means a confused or hostile peer.
    /// CUTREPORT lines list every communicator of a rank, hence the generous bound.
    static let maximumLength = 1 << 20

    let verb: String
    /// The `key=value` fields, in order.
    let fields: [(key: String, value: String)]
    /// For `ERROR <text>`: everything after the verb.
    let text: String

    init(_ verb: String, _ fields: [(String, String)] = [], text: String = "") {
        self.verb = verb
        self.fields = fields.map { (key: $0.0, value: $0.1) }
        self.text = text
    }

    static func == (a: ProtocolLine, b: ProtocolLine) -> Bool {
        a.verb == b.verb && a.text == b.text && a.fields.map(\.key) == b.fields.map(\.key)
            && a.fields.map(\.value) == b.fields.map(\.value)
    }

    /// Parses one line (without its newline); nil when it has no verb or a field lacks `=`.
    static func parse<S: StringProtocol>(_ raw: S) -> ProtocolLine? {
        var line = Substring(raw)
        if line.last == "\r" { line = line.dropLast() }
        let verbEnd = line.firstIndex(of: " ") ?? line.endIndex
        let verb = String(line[..<verbEnd])
        guard !verb.isEmpty, !verb.contains("=") else { return nil }
        var rest = verbEnd < line.endIndex ? line[line.index(after: verbEnd)...] : ""
        if verb == "ERROR" { return ProtocolLine(verb, text: String(rest)) }
        var fields: [(String, String)] = []
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = String(rest[..<equals])
            guard !key.isEmpty, !key.contains(" ") else { return nil }
            let valueStart = rest.index(after: equals)
            if restOfLineFields.contains(key) {
                fields.append((key, String(rest[valueStart...])))
                break
            }
            let valueEnd = rest[valueStart...].firstIndex(of: " ") ?? rest.endIndex
            fields.append((key, String(rest[valueStart..<valueEnd])))
            rest = valueEnd < rest.endIndex ? rest[rest.index(after: valueEnd)...] : ""
        }
        return ProtocolLine(verb, fields)
    }

    /// The value of `key`, if present.
    subscript(key: String) -> String? { fields.first { $0.key == key }?.value }

    /// The value of `key` as a non-negative integer.
    func integer(_ key: String) -> Int? { self[key].flatMap(Int.init).flatMap { $0 >= 0 ? $0 : nil } }

    /// The line as sent, with its newline.
    var encoded: String {
        if verb == "ERROR" { return "ERROR " + text.replacingNewlines() + "\n" }
        let body = fields.map { " \($0.key)=\($0.value.replacingNewlines())" }.joined()
        return verb + body + "\n"
    }
}

extension String {
    /// The text made safe for one protocol line.
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}

/// What an engine tells the coordinator about its rank when it connects.
struct EngineHello: Equatable, Codable {
    let rank: Int
    let nranks: Int
    let pid: Int
    let host: String
    let flavour: String

    init(rank: Int, nranks: Int, pid: Int, host: String, flavour: String) {
        self.rank = rank
        self.nranks = nranks
        self.pid = pid
        self.host = host
        self.flavour = flavour
    }

    /// From a `HELLO` line; nil when a required field is missing or malformed.
    init?(_ line: ProtocolLine) {
        guard line.verb == "HELLO", let rank = line.integer("rank"), let nranks = line.integer("nranks"),
              nranks > 0, rank < nranks, let pid = line.integer("pid") else { return nil }
        self.init(rank: rank, nranks: nranks, pid: pid, host: line["host"] ?? "?", flavour: line["flavour"] ?? "none")
    }

    var line: ProtocolLine {
        ProtocolLine("HELLO", [("rank", "\(rank)"), ("nranks", "\(nranks)"), ("pid", "\(pid)"), ("host", host),
                               ("flavour", flavour)])
    }
}

/// An engine's answer to `CHECKPOINT`.
enum EngineReply: Equatable {
    /// The image is durable: its size, how long the application was paused and the write took.
    case written(generation: Int, bytes: Int, pauseMilliseconds: Int, writeMilliseconds: Int)
    /// With `--local-dir`: the image is durable in the shared generation directory too.
    case copied(generation: Int, copyMilliseconds: Int)
    /// The rank could not write its image; the job keeps running.
    case failed(generation: Int, error: String)

    init?(_ line: ProtocolLine) {
        switch line.verb {
        case "WRITTEN":
            guard let generation = line.integer("gen"), let bytes = line.integer("bytes") else { return nil }
            self = .written(generation: generation, bytes: bytes, pauseMilliseconds: line.integer("pause_ms") ?? 0,
                            writeMilliseconds: line.integer("write_ms") ?? 0)
        case "COPIED":
            guard let generation = line.integer("gen") else { return nil }
            self = .copied(generation: generation, copyMilliseconds: line.integer("copy_ms") ?? 0)
        case "FAILED":
            guard let generation = line.integer("gen") else { return nil }
            self = .failed(generation: generation, error: line["error"] ?? "no reason given")
        default:
            return nil
        }
    }

    var line: ProtocolLine {
        switch self {
        case let .written(generation, bytes, pause, write):
            return ProtocolLine("WRITTEN", [("gen", "\(generation)"), ("bytes", "\(bytes)"), ("pause_ms", "\(pause)"),
                                            ("write_ms", "\(write)")])
        case let .copied(generation, copy):
            return ProtocolLine("COPIED", [("gen", "\(generation)"), ("copy_ms", "\(copy)")])
        case let .failed(generation, error):
            return ProtocolLine("FAILED", [("gen", "\(generation)"), ("error", error)])
        }
    }
}
