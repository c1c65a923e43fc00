internal import CutRules

/// The rank side of the collective cut (DESIGN §4.1) for simulations and tests: the C
/// rules the face runs (Sources/CutRules, `cut_rules.h`) over storage Swift can copy
/// and hash. It holds no rule of its own: every decision is a call into C.
///
/// As in the face, a communicator's count and target live in its entry (`Comm`), and
/// the gate holds the generation, the report sequence and the targets learnt for ids
/// the rank has not made yet. Where the face must call the rules is listed in
/// docs/consistent-cut.md.
public struct RankGate: Hashable, Sendable {
    /// One communicator as the rules see it (`struct cut_comm`).
    public struct Comm: Hashable, Sendable {
        public var id: CommID
        /// Collectives this rank has started on it.
        public var started: Int
        /// While a checkpoint is pending: it may start up to this many.
        public var target: Int

        public init(id: CommID, started: Int = 0, target: Int = 0) {
            self.id = id
            self.started = started
            self.target = target
        }

        var c: cut_comm {
            cut_comm(id: id.raw, started: Int64(started), target: Int64(target))
        }

        /// Runs a rule on this entry and takes back what it changed.
        mutating func update(_ rule: (UnsafeMutablePointer<cut_comm>) -> Void) {
            var v = c
            rule(&v)
            started = Int(v.started)
            target = Int(v.target)
        }
    }

    /// Laid out as `struct cut_target`, so the rules work on this storage in place.
    private struct Learnt: Hashable, Sendable {
        var id: UInt64
        var target: Int64
    }

    private var generation: UInt64 = 0
    private var sequence: Int64 = 0
    private var pending = false
    private var learnt: [Learnt] = []
    private var lastComms: [CommID: CommCount]?
    private var lastActivity: RankActivity?

    public init() {}

    public var isPending: Bool { pending }

    /// Runs the rules on this gate's state (`struct cut_rank`) and takes back what they changed.
    private mutating func withRules<R>(_ body: (UnsafeMutablePointer<cut_rank>) -> R) -> R {
        var known = learnt
        learnt = []
        known.append(Learnt(id: 0, target: 0)) // one spare entry: a rule learns at most one id per call
        var g = cut_rank(generation: generation, sequence: sequence, pending: pending ? 1 : 0,
                         nknown: UInt32(known.count - 1), known_cap: UInt32(known.count), reserved: 0, known: nil)
        let r = known.withUnsafeMutableBufferPointer { buf in
            buf.withMemoryRebound(to: cut_target.self) { t -> R in
                g.known = t.baseAddress
                return body(&g)
            }
        }
        known.removeLast(known.count - Int(g.nknown))
        learnt = known
        generation = g.generation
        sequence = g.sequence
        pending = g.pending != 0
        return r
    }

    private func reading<R>(_ body: (UnsafePointer<cut_rank>) -> R) -> R {
        learnt.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: cut_target.self) { t -> R in
                var g = cut_rank(generation: generation, sequence: sequence, pending: pending ? 1 : 0,
                                 nknown: UInt32(t.count), known_cap: UInt32(t.count), reserved: 0,
                                 known: UnsafeMutablePointer(mutating: t.baseAddress))
                return body(&g)
            }
        }
    }

    /// `cut_may_start`: may this rank start its next collective on `comm`?
    public func mayStart(_ comm: Comm) -> Bool {
        var c = comm.c
        return reading { cut_may_start($0, &c) != 0 }
    }

    /// The target of a communicator made now (`cut_initial_target`).
    public func initialTarget(_ id: CommID) -> Int {
        Int(reading { cut_initial_target($0, id.raw) })
    }

    /// The checkpoint request (`cut_begin`, then `cut_freeze` on each of `comms`, the
    /// communicators this rank holds). Returns the first report.
    public mutating func freeze(rank: Int, generation: Int, comms: inout [Comm], members: [CommID: CommCount],
                                activity: RankActivity) -> RankReport {
        withRules { cut_begin($0, UInt64(truncatingIfNeeded: generation)) }
        for i in comms.indices { comms[i].update { cut_freeze($0) } }
        lastComms = nil
        lastActivity = nil
        return report(rank: rank, comms: members, activity: activity)!
    }

    /// Targets from the coordinator (`CutDecision.raise`): `cut_accepts`, then for each
    /// `cut_raise` on every entry of `comms` and `cut_learn`.
    public mutating func apply(generation: Int, targets: [CommID: Int], comms: inout [Comm]) {
        guard withRules({ cut_accepts($0, UInt64(truncatingIfNeeded: generation)) != 0 }) else { return }
        for (id, t) in targets.sorted(by: { $0.key < $1.key }) {
            for i in comms.indices { comms[i].update { cut_raise($0, id.raw, Int64(t)) } }
            withRules { cut_learn($0, id.raw, Int64(t)) }
        }
    }

    /// The report to send if counts or activity changed since the last one (`cut_next_report`), else nil.
    public mutating func report(rank: Int, comms: [CommID: CommCount], activity: RankActivity) -> RankReport? {
        let changed = lastComms != comms || lastActivity != activity
        let seq = withRules { cut_next_report($0, changed ? 1 : 0) }
        guard seq != 0 else { return nil }
        lastComms = comms
        lastActivity = activity
        return RankReport(rank: rank, generation: Int(generation), sequence: Int(seq), comms: comms,
                          activity: activity)
    }

    /// What a rank reports (`cut_activity_of`) given what it is doing.
    public static func activity(finished: Bool, cappedOn: CommID?, inCollective: (CommID, Int)?,
                                blockedOn: [Int]?) -> RankActivity {
        switch cut_activity_of(finished ? 1 : 0, cappedOn != nil ? 1 : 0, inCollective != nil ? 1 : 0,
                               blockedOn != nil ? 1 : 0) {
        case CUT_FINISHED: return .finished
        case CUT_CAPPED: return .capped(cappedOn!)
        case CUT_IN_COLLECTIVE: return .inCollective(inCollective!.0, inCollective!.1)
        case CUT_BLOCKED_P2P: return .blockedP2P(blockedOn!)
        default: return .running
        }
    }

    /// After the checkpoint is written (or abandoned): collectives run freely again (`cut_release`).
    public mutating func release() {
        withRules { cut_release($0) }
        lastComms = nil
        lastActivity = nil
    }
}
