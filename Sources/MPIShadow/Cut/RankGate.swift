/// The rank side of the collective cut (DESIGN §4.1): which collectives a rank may
/// start while a checkpoint is pending, and its reports to the coordinator.
///
/// The face keeps its own per-communicator started counters on the hot path and
/// consults the gate only while `isPending` (one flag test per collective otherwise).
/// Where the face must call it is listed in docs/consistent-cut.md.
public struct RankGate: Hashable, Sendable {
    /// The generation being cut, nil when no checkpoint is pending.
    public private(set) var generation: Int?
    /// The targets this rank knows; a communicator not listed has target 0.
    public private(set) var targets: [CommID: Int] = [:]
    private var sequence = 0
    private var lastComms: [CommID: CommCount]?
    private var lastActivity: RankActivity?

    public init() {}

    public var isPending: Bool { generation != nil }

    public func target(_ comm: CommID) -> Int { targets[comm] ?? 0 }

    /// The rule: may this rank start its next collective on `comm`, having started
    /// `started` on it so far? Always while no checkpoint is pending; otherwise only if
    /// that collective (number `started + 1`) is within the target. When it may not,
    /// the rank reports `.capped(comm)` and waits for a raise (or for the cut and then
    /// resume) before asking again.
    public func mayStart(_ comm: CommID, started: Int) -> Bool {
        guard isPending else { return true }
        return started + 1 <= target(comm)
    }

    /// On the checkpoint request, atomically with respect to starting collectives (the
    /// face holds the lock it takes around a collective's start): cap every
    /// communicator at what this rank has already started, so it can never get ahead
    /// of the targets the coordinator will compute from these same counts. Returns
    /// the first report.
    public mutating func freeze(rank: Int, generation: Int, comms: [CommID: CommCount],
                                activity: RankActivity) -> RankReport {
        self.generation = generation
        targets = [:]
        for (c, cc) in comms { targets[c] = cc.started }
        sequence = 0
        lastComms = nil
        lastActivity = nil
        return report(rank: rank, comms: comms, activity: activity)!
    }

    /// Takes targets from the coordinator (`CutDecision.raise`); they only ever grow.
    public mutating func apply(generation: Int, targets new: [CommID: Int]) {
        guard generation == self.generation else { return }
        for (c, t) in new where t > target(c) { targets[c] = t }
    }

    /// The report to send if counts or activity changed since the last one, else nil.
    public mutating func report(rank: Int, comms: [CommID: CommCount], activity: RankActivity) -> RankReport? {
        guard let g = generation else { return nil }
        if lastComms == comms && lastActivity == activity { return nil }
        lastComms = comms
        lastActivity = activity
        sequence += 1
        return RankReport(rank: rank, generation: g, sequence: sequence, comms: comms, activity: activity)
    }

    /// After the checkpoint is written (or abandoned): collectives run freely again.
    public mutating func release() {
        generation = nil
        targets = [:]
        lastComms = nil
        lastActivity = nil
    }
}
