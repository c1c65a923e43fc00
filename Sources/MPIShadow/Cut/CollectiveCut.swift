// The collective part of the consistent cut (DESIGN §4.1), as pure logic: the
// coordinator's state machine and the messages it exchanges with the ranks. No MPI,
// no I/O, no globals; the face and the coordinator transport call into it.
// docs/consistent-cut.md has the protocol, the proof of termination and the model check.

/// What one rank has started on one communicator, and who the communicator's members are.
public struct CommCount: Hashable, Sendable {
    /// Collectives this rank has *started* on the communicator (blocking or not,
    /// communicator-creating calls and Comm_free included).
    public var started: Int
    /// The members as `MPI_COMM_WORLD` ranks, sorted ascending.
    public var members: [Int]
    /// A pseudo-communicator: the ranks a call collective over fewer ranks than its
    /// communicator waits for (Comm_create_group, the leaders of Intercomm_create).
    /// A member holds it only from its first such call on and never frees it.
    public var pseudo: Bool

    public init(started: Int, members: [Int], pseudo: Bool = false) {
        self.started = started
        self.members = members
        self.pseudo = pseudo
    }
}

/// What a rank is doing when it reports.
public enum RankActivity: Hashable, Sendable {
    /// In application code, or in an MPI call that will return by itself.
    case running
    /// Parked before starting collective `started + 1` on the communicator because it
    /// is beyond that communicator's target. Stays so until a raise arrives.
    case capped(CommID)
    /// Blocked until collective number `n` (1-based) on the communicator completes:
    /// inside a blocking collective, or in Wait/Waitall on a non-blocking one.
    case inCollective(CommID, Int)
    /// Blocked in a point-to-point call (Recv, Ssend, Probe, Wait on a p2p request)
    /// until one of these world ranks sends or receives. For ANY_SOURCE: every
    /// member of the communicator.
    case blockedP2P([Int])
    /// Past its last collective (MPI_Finalize started): will start no more.
    case finished
}

/// One rank's report to the coordinator. Sent on the checkpoint request (after
/// freezing, see `RankGate.freeze`) and then whenever its counts or its activity change,
/// until the cut is reached.
public struct RankReport: Hashable, Sendable {
    public var rank: Int
    public var generation: Int
    /// Increases by one with every report of this rank in this generation; the
    /// coordinator keeps only the newest.
    public var sequence: Int
    /// Every communicator (of size > 1) the rank belongs to or has freed since the last cut.
    public var comms: [CommID: CommCount]
    public var activity: RankActivity

    public init(rank: Int, generation: Int, sequence: Int, comms: [CommID: CommCount], activity: RankActivity) {
        self.rank = rank
        self.generation = generation
        self.sequence = sequence
        self.comms = comms
        self.activity = activity
    }
}

/// Why the coordinator gave up: a protocol violation, never a normal outcome.
public enum CutFailure: Hashable, Sendable, Error {
    /// Two ranks reported different member lists for one id (an id collision or a face bug).
    case inconsistentMembers(CommID)
    /// A rank started more collectives than the target allows (a face bug).
    case exceededTarget(rank: Int, comm: CommID, started: Int, target: Int)
    /// A report from a rank outside 0..<nranks.
    case unknownRank(Int)
}

/// What the coordinator wants done after a report.
public enum CutDecision: Hashable, Sendable {
    /// Nothing to send; wait for the next report.
    case wait
    /// Send these targets to the members of each communicator listed (a rank takes the
    /// maximum of what it has and what it gets, so order does not matter).
    case raise([CommID: Int])
    /// The cut: every member of every communicator has started exactly its target and
    /// no rank is inside a collective. Tell every rank; §4.2 (drain) follows.
    case cutReached([CommID: Int])
    case failed(CutFailure)
}

/// The coordinator side of the collective cut for one checkpoint generation.
///
/// Feed it every report (`receive`) and act on the decision. It first gathers one
/// report from every rank and sets each target to the maximum started count among the
/// members; then, on every report, it either declares the cut or raises the targets of
/// communicators on which a rank is capped while some started collective transitively
/// waits for that rank (docs/consistent-cut.md).
public struct CutCoordinator: Hashable, Sendable {
    public enum Phase: Hashable, Sendable { case gathering, converging, cut, failed }

    public let nranks: Int
    public let generation: Int
    public private(set) var phase: Phase = .gathering
    /// The targets; a communicator not listed has target 0 (created after the request).
    public private(set) var targets: [CommID: Int] = [:]
    /// Members of every communicator any rank has reported.
    public private(set) var members: [CommID: [Int]] = [:]
    /// The pseudo-communicators among them.
    public private(set) var pseudo: Set<CommID> = []
    /// The newest report of each rank.
    public private(set) var latest: [RankReport?]
    /// How many times a target was raised (statistics, tests).
    public private(set) var raiseCount = 0

    public init(nranks: Int, generation: Int) {
        precondition(nranks > 0)
        self.nranks = nranks
        self.generation = generation
        self.latest = Array(repeating: nil, count: nranks)
    }

    public func target(_ comm: CommID) -> Int { targets[comm] ?? 0 }

    /// What `rank` has started on `comm` by its newest report (0 if it has not reported the communicator yet).
    public func started(_ rank: Int, _ comm: CommID) -> Int { latest[rank]?.comms[comm]?.started ?? 0 }

    /// Whether `rank`'s newest report lists `comm`.
    func holds(_ rank: Int, _ comm: CommID) -> Bool { latest[rank]?.comms[comm] != nil }

    /// Takes one report and says what to do next. Reports of another generation and
    /// reports older than one already seen are ignored.
    public mutating func receive(_ report: RankReport) -> CutDecision {
        guard phase == .gathering || phase == .converging else { return .wait }
        guard report.rank >= 0, report.rank < nranks else { return fail(.unknownRank(report.rank)) }
        guard report.generation == generation else { return .wait }
        if let old = latest[report.rank], old.sequence >= report.sequence { return .wait }
        latest[report.rank] = report
        for (c, cc) in report.comms {
            if let known = members[c] {
                if known != cc.members { return fail(.inconsistentMembers(c)) }
            } else {
                members[c] = cc.members
            }
            if cc.pseudo { pseudo.insert(c) }
        }
        if phase == .gathering {
            guard latest.allSatisfy({ $0 != nil }) else { return .wait }
            for r in latest {
                for (c, cc) in r!.comms { targets[c] = max(targets[c] ?? 0, cc.started) }
            }
            phase = .converging
            switch evaluate() {
            case .raise: return .raise(targets)
            case .wait: return .raise(targets)
            case let other: return other
            }
        }
        return evaluate()
    }

    /// The fixed-point step on the current reports.
    mutating func evaluate() -> CutDecision {
        // Safety: nobody past its target.
        for r in 0..<nranks {
            for (c, cc) in latest[r]!.comms where cc.started > target(c) {
                return fail(.exceededTarget(rank: r, comm: c, started: cc.started, target: target(c)))
            }
        }
        // The ranks that still must start collectives (behind on some communicator).
        var behind: [Int] = []
        var anyInside = false
        for r in 0..<nranks {
            if case .inCollective = latest[r]!.activity { anyInside = true }
        }
        for (c, ms) in members.sorted(by: { $0.key < $1.key }) {
            let t = target(c)
            // Only ranks that hold the communicator now: one that freed it has started
            // all its collectives there, and one that has not made it yet is behind on
            // the parent (making a communicator is a collective on its parent). A
            // pseudo-communicator has no parent and is never freed: a member that does
            // not hold it yet has its first call still to make, so it is behind, and a
            // report without it is exact only as long as its target is 0.
            for m in ms where m < nranks && (holds(m, c) || pseudo.contains(c)) && started(m, c) < t
                && !behind.contains(m) { behind.append(m) }
        }
        if behind.isEmpty && !anyInside {
            phase = .cut
            return .cutReached(targets)
        }
        // Follow who waits for whom from every behind rank, through ranks that cannot
        // move on their own, to the capped ranks at the end of those chains.
        var raise: [CommID] = []
        var seen = Array(repeating: false, count: nranks)
        var stack = behind.sorted()
        while let q = stack.popLast() {
            if seen[q] { continue }
            seen[q] = true
            switch latest[q]!.activity {
            case .running, .finished:
                break
            case .capped(let c):
                // A stale cap (already raised, the rank has not reported since) is progress.
                if started(q, c) == target(c) && !raise.contains(c) { raise.append(c) }
            case .inCollective(let c, let n):
                for m in members[c] ?? [] where m < nranks && started(m, c) < n { stack.append(m) }
            case .blockedP2P(let peers):
                for p in peers where p >= 0 && p < nranks { stack.append(p) }
            }
        }
        guard !raise.isEmpty else { return .wait }
        var changed: [CommID: Int] = [:]
        for c in raise {
            targets[c] = target(c) + 1
            changed[c] = targets[c]
        }
        raiseCount += raise.count
        return .raise(changed)
    }

    /// Raises by one every communicator on which some rank's newest report is `capped`
    /// at the target, and returns the raised targets; the transport's fallback when no
    /// report arrives for a while (a rank may wait in ways it cannot report). Always
    /// safe: the capped rank's next collective exists (docs/consistent-cut.md, "Targets are bounded").
    public mutating func raiseCappedAtTarget() -> [CommID: Int] {
        guard phase == .converging else { return [:] }
        var changed: [CommID: Int] = [:]
        for r in 0..<nranks {
            if case .capped(let c) = latest[r]!.activity, started(r, c) == target(c) { changed[c] = target(c) + 1 }
        }
        targets.merge(changed) { _, raised in raised }
        raiseCount += changed.count
        return changed
    }

    /// True when, on the current reports, no rank can move and nothing is left to
    /// raise: the application itself would deadlock (or reports are missing). The
    /// transport uses this only for diagnostics after a timeout: with messages in
    /// flight it can be momentarily true.
    public var isStalled: Bool {
        guard phase == .converging else { return false }
        for r in 0..<nranks {
            switch latest[r]!.activity {
            case .running: return false
            case .capped(let c): if started(r, c) < target(c) { return false }
            case .inCollective(let c, let n):
                if (members[c] ?? []).allSatisfy({ started($0, c) >= n }) { return false }
            case .blockedP2P, .finished: break
            }
        }
        return true
    }

    private mutating func fail(_ f: CutFailure) -> CutDecision {
        phase = .failed
        return .failed(f)
    }
}
