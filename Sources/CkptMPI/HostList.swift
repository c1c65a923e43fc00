import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hosts of a job and how many ranks each takes, in ckpt-mpi's one syntax for both MPIs.
///
/// `--host H1:N1,H2:N2` (`:N` optional, 1 slot) and `--hostfile F` (one host a line, as
/// `H`, `H:N` or `H slots=N`; `#` starts a comment) become the same list, which the
/// launcher receives in its own spelling (Open MPI `--host`, Hydra `-hosts`).
struct HostList: Equatable {
    /// One host and its slots.
    struct Entry: Equatable {
        let name: String
        /// Ranks it takes; nil leaves it to the launcher (one slot on both MPIs).
        let slots: Int?

        /// `name` or `name:slots`, as both launchers take it.
        var text: String { slots.map { "\(name):\($0)" } ?? name }
    }

    let entries: [Entry]

    /// Parses `H1:N1,H2:N2`; a one-line error naming the bad entry otherwise.
    init(parsing list: String) throws {
        var entries: [Entry] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            entries.append(try Self.entry(String(item), origin: "--host \(list)"))
        }
        self.entries = Self.merged(entries)
    }

    /// Parses the contents of a host file named `path`.
    init(hostfile contents: String, path: String) throws {
        var entries: [Entry] = []
        for (index, raw) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let first = words.first else { continue }
            let origin = "\(path) line \(index + 1)"
            var entry = try Self.entry(first, origin: origin)
            for word in words.dropFirst() {
                // Open MPI's spelling; max_slots only limits oversubscription, which we leave to the launcher.
                if word.hasPrefix("slots="), entry.slots == nil, let n = Int(word.dropFirst(6)), n >= 1 {
                    entry = Entry(name: entry.name, slots: n)
                } else if !word.hasPrefix("max_slots=") {
                    throw CLIFailure("\(origin): cannot read '\(word)' (write HOST, HOST:N or HOST slots=N)",
                                     exitStatus: ExitStatus.usage)
                }
            }
            entries.append(entry)
        }
        guard !entries.isEmpty else { throw CLIFailure("\(path) names no host", exitStatus: ExitStatus.usage) }
        self.entries = Self.merged(entries)
    }

    init(entries: [Entry]) { self.entries = Self.merged(entries) }

    /// A host named several times (as `$PBS_NODEFILE` and SLURM node lists do, once per slot)
    /// becomes one entry whose slots add up, each unnumbered mention counting one: both MPIs
    /// count a repeated host so, and the launcher's command line stays short.
    private static func merged(_ entries: [Entry]) -> [Entry] {
        var order: [String] = [], slots: [String: Int] = [:], counted: Set<String> = []
        for entry in entries {
            if slots[entry.name] == nil {
                order.append(entry.name)
            } else {
                counted.insert(entry.name)
            }
            if entry.slots != nil { counted.insert(entry.name) }
            slots[entry.name, default: 0] += entry.slots ?? 1
        }
        // Named once without a count: left to the launcher, as the user wrote it.
        return order.map { Entry(name: $0, slots: counted.contains($0) ? slots[$0] : nil) }
    }

    /// Reads and parses the host file at `path`.
    static func read(hostfile path: String) throws -> HostList {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure(SystemCallError("open", path, errno: access(path, R_OK) == 0 ? EIO : errno).description)
        }
        return try HostList(hostfile: String(decoding: data, as: UTF8.self), path: path)
    }

    private static func entry(_ item: String, origin: String) throws -> Entry {
        var name = item, slots: Int?
        // The last colon separates the count, so a bracketed IPv6 address keeps its own.
        if let colon = item.lastIndex(of: ":"), !item.hasSuffix("]"), item.filter({ $0 == ":" }).count == 1 || item.hasPrefix("[") {
            name = String(item[..<colon])
            guard let n = Int(item[item.index(after: colon)...]), n >= 1 else {
                throw CLIFailure("\(origin): '\(item)' has no valid slot count after ':' (write HOST:N, N at least 1)",
                                 exitStatus: ExitStatus.usage)
            }
            slots = n
        }
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" || $0 == "=" }) else {
            throw CLIFailure("\(origin): '\(item)' is not a host name", exitStatus: ExitStatus.usage)
        }
        return Entry(name: name, slots: slots)
    }

    /// `H1:N1,H2:N2`, as `--host` of Open MPI and `-hosts` of Hydra take it.
    var launcherText: String { entries.map(\.text).joined(separator: ",") }

    /// The total slot count, when every host names its own.
    var slots: Int? {
        entries.allSatisfy { $0.slots != nil } ? entries.reduce(0) { $0 + $1.slots! } : nil
    }

    /// The first host that is not this one (by name or loopback address): the coordinator
    /// listens on the address that host reaches us on. Nil when every host is this one.
    func firstRemote(localNames: Set<String>) -> Entry? {
        entries.first { entry in
            let name = entry.name.lowercased()
            if localNames.contains(name) || name == "localhost" { return false }
            if let address = IPAddress(name), address.isLoopback { return false }
            return true
        }
    }

    /// This host's names: its hostname, short and full.
    static func localNames() -> Set<String> {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return [] }
        let full = String(nulTerminated: buffer).lowercased()
        return [full, String(full.split(separator: ".").first ?? Substring(full))]
    }
}
