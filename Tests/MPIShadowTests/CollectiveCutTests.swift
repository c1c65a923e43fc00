import XCTest
@testable import MPIShadow

// MARK: - A tiny deterministic simulator of ranks, the face's gate and the coordinator

/// One step of a scripted rank program. Communicators are indices into `CutSim.Job.comms`.
enum SimOp: Hashable, CustomStringConvertible {
    /// A blocking collective with barrier semantics (returns when every member has started it).
    case coll(Int)
    /// A non-blocking collective: started and the rank moves on.
    case icoll(Int)
    /// Waits for every non-blocking collective this rank has started.
    case waitAll
    /// An eager send to a world rank (never blocks).
    case send(Int)
    /// A blocking receive from a world rank.
    case recv(Int)
    /// A blocking collective on `parent` that creates communicator `made` (nil: this rank
    /// gets MPI_COMM_NULL); the new communicator is known to the rank once the call returns.
    case create(parent: Int, made: Int?)

    var description: String {
        switch self {
        case .coll(let c): return "coll(\(c))"
        case .icoll(let c): return "icoll(\(c))"
        case .waitAll: return "waitAll"
        case .send(let b): return "send(\(b))"
        case .recv(let a): return "recv(\(a))"
        case let .create(p, m): return "create(\(p)->\(m.map(String.init) ?? "null"))"
        }
    }
}

struct CutSim {
    struct Comm: Hashable {
        var id: CommID
        var members: [Int]
        /// Known to its members from the start (else made by a `.create`).
        var initial: Bool
    }

    struct Job {
        var comms: [Comm]
        var programs: [[SimOp]]
        var nranks: Int { programs.count }
    }

    enum Msg: Hashable {
        case freeze
        case targets([CommID: Int])
    }

    struct Rank: Hashable {
        var pc = 0
        /// Inside blocking collective (comm, n) or creating call; -1 when not.
        var insideComm = -1
        var insideN = 0
        /// Count and target per communicator of the job, as the C rules keep them.
        var comms: [RankGate.Comm]
        var known: [Bool]
        /// Outstanding non-blocking collectives as (comm, n) pairs.
        var outstanding: [Int] = []
        var received: [Int]
        var gate = RankGate()
        var inbox: [Msg] = []

        func started(_ c: Int) -> Int { comms[c].started }
    }

    struct State: Hashable {
        var ranks: [Rank]
        var sent: [[Int]]
        var toCoordinator: [[RankReport]]
        var coordinator: CutCoordinator?
        var cut: [CommID: Int]?
    }

    struct Options {
        /// The naive protocol: the ranks never hear of a raise (only the first targets).
        var dropRaises = false
        /// Reports travel through a latest-wins mailbox per rank instead of a FIFO
        /// (the coordinator uses only the newest anyway); fewer interleavings.
        var coalesceReports = false
        /// Give up exploring after this many states (a test failure).
        var stateLimit = 2_000_000
    }

    struct Result {
        var states = 0
        var cuts = 0
        var finishedWithoutRequest = 0
        var maxRaises = 0
        var failures: [String] = []
        /// The distinct final targets per cut (for assertions on minimality).
        var finalTargets: Set<[CommID: Int]> = []
    }

    let job: Job
    let options: Options
    static let generation = 1

    init(_ job: Job, options: Options = Options()) {
        self.job = job
        self.options = options
    }

    func initial() -> State {
        let n = job.nranks
        let ranks = (0..<n).map { r in
            Rank(comms: job.comms.map { RankGate.Comm(id: $0.id) },
                 known: job.comms.map { $0.initial && $0.members.contains(r) },
                 received: Array(repeating: 0, count: n))
        }
        return State(ranks: ranks, sent: Array(repeating: Array(repeating: 0, count: n), count: n),
                     toCoordinator: Array(repeating: [], count: n), coordinator: nil, cut: nil)
    }

    // MARK: rank semantics

    func complete(_ s: State, comm c: Int, n: Int) -> Bool {
        job.comms[c].members.allSatisfy { s.ranks[$0].started(c) >= n }
    }

    func commsReport(_ s: State, _ r: Int) -> [CommID: CommCount] {
        var d: [CommID: CommCount] = [:]
        for (i, c) in job.comms.enumerated() where s.ranks[r].known[i] {
            d[c.id] = CommCount(started: s.ranks[r].started(i), members: c.members)
        }
        return d
    }

    func collectiveComm(_ op: SimOp) -> Int? {
        switch op {
        case .coll(let c), .icoll(let c): return c
        case .create(let p, _): return p
        default: return nil
        }
    }

    /// What the rank is doing, in the face's terms; the C rules pick what it reports.
    func activity(_ s: State, _ r: Int) -> RankActivity {
        let rk = s.ranks[r]
        let prog = job.programs[r]
        var cappedOn: CommID?, inCollective: (CommID, Int)?, blockedOn: [Int]?
        if rk.insideComm >= 0 {
            inCollective = (job.comms[rk.insideComm].id, rk.insideN)
        } else if rk.pc < prog.count {
            let op = prog[rk.pc]
            if let c = collectiveComm(op) {
                if !rk.gate.mayStart(rk.comms[c]) { cappedOn = job.comms[c].id }
            } else if case .waitAll = op {
                var i = 0
                while i < rk.outstanding.count, inCollective == nil {
                    let c = rk.outstanding[i], n = rk.outstanding[i + 1]
                    if !complete(s, comm: c, n: n) { inCollective = (job.comms[c].id, n) }
                    i += 2
                }
            } else if case .recv(let a) = op, s.sent[a][r] <= rk.received[a] {
                blockedOn = [a]
            }
        }
        return RankGate.activity(finished: rk.insideComm < 0 && rk.pc >= prog.count, cappedOn: cappedOn,
                                 inCollective: inCollective, blockedOn: blockedOn)
    }

    /// Sends a report if the rank's counts or activity changed while a checkpoint is pending.
    func maybeReport(_ s: inout State, _ r: Int) {
        guard s.ranks[r].gate.isPending else { return }
        let comms = commsReport(s, r), act = activity(s, r)
        if let rep = s.ranks[r].gate.report(rank: r, comms: comms, activity: act) {
            if options.coalesceReports { s.toCoordinator[r] = [rep] } else { s.toCoordinator[r].append(rep) }
        }
    }

    /// The rank's next program step, if it can take one.
    func step(_ s: State, _ r: Int) -> State? {
        var t = s
        let prog = job.programs[r]
        if s.ranks[r].insideComm >= 0 {
            let c = s.ranks[r].insideComm, n = s.ranks[r].insideN
            guard complete(s, comm: c, n: n) else { return nil }
            if case .create(_, let made?) = prog[s.ranks[r].pc] {
                // As face_comms.c: a communicator made while a checkpoint is pending takes what was learnt.
                t.ranks[r].known[made] = true
                t.ranks[r].comms[made].target = s.ranks[r].gate.initialTarget(job.comms[made].id)
            }
            t.ranks[r].insideComm = -1
            t.ranks[r].pc += 1
            return t
        }
        guard s.ranks[r].pc < prog.count else { return nil }
        let op = prog[s.ranks[r].pc]
        if let c = collectiveComm(op) {
            guard s.ranks[r].gate.mayStart(s.ranks[r].comms[c]) else { return nil }
            t.ranks[r].comms[c].started += 1
            let n = t.ranks[r].started(c)
            if case .icoll = op {
                t.ranks[r].outstanding += [c, n]
                t.ranks[r].pc += 1
            } else {
                t.ranks[r].insideComm = c
                t.ranks[r].insideN = n
            }
            return t
        }
        switch op {
        case .waitAll:
            guard activity(s, r) == .running else { return nil }
            t.ranks[r].outstanding = []
        case .send(let b):
            t.sent[r][b] += 1
        case .recv(let a):
            guard s.sent[a][r] > s.ranks[r].received[a] else { return nil }
            t.ranks[r].received[a] += 1
        default:
            fatalError("unreachable")
        }
        t.ranks[r].pc += 1
        return t
    }

    // MARK: exploration

    /// An event, formatted only for failure traces.
    enum Event {
        case request, step(Int, Int), deliver(Int, Msg), coordinator(Int, Int, RankActivity), coordinatorFailed(CutFailure)
    }

    func describe(_ e: Event) -> String {
        switch e {
        case .request: return "request"
        case let .step(r, pc): return "r\(r) \(job.programs[r][pc])"
        case let .deliver(r, m): return "r\(r) gets \(m)"
        case let .coordinator(r, seq, a): return "coordinator <- r\(r) #\(seq) \(a)"
        case let .coordinatorFailed(f): return "coordinator FAILED \(f)"
        }
    }

    /// Every state reachable in one event.
    func successors(_ s: State) -> [(Event, State)] {
        var out: [(Event, State)] = []
        let n = job.nranks
        if s.coordinator == nil {
            var t = s
            t.coordinator = CutCoordinator(nranks: n, generation: Self.generation)
            for r in 0..<n { t.ranks[r].inbox.append(.freeze) }
            out.append((.request, t))
        }
        for r in 0..<n {
            if var t = step(s, r) {
                maybeReport(&t, r)
                out.append((.step(r, s.ranks[r].pc), t))
            }
            if let m = s.ranks[r].inbox.first {
                var t = s
                t.ranks[r].inbox.removeFirst()
                switch m {
                case .freeze:
                    // Every entry is frozen and raised; those not held yet take their target when made.
                    var comms = t.ranks[r].comms
                    let rep = t.ranks[r].gate.freeze(rank: r, generation: Self.generation, comms: &comms,
                                                     members: commsReport(t, r), activity: activity(t, r))
                    t.ranks[r].comms = comms
                    t.toCoordinator[r].append(rep)
                case .targets(let tg):
                    var comms = t.ranks[r].comms
                    t.ranks[r].gate.apply(generation: Self.generation, targets: tg, comms: &comms)
                    t.ranks[r].comms = comms
                    maybeReport(&t, r)
                }
                out.append((.deliver(r, m), t))
            }
            if let rep = s.toCoordinator[r].first {
                var t = s
                t.toCoordinator[r].removeFirst()
                let d = t.coordinator!.receive(rep)
                switch d {
                case .wait: break
                case .raise(let tg):
                    let isFirst = s.coordinator!.phase == .gathering
                    if isFirst || !options.dropRaises {
                        for q in 0..<n {
                            let mine = tg.filter { t.coordinator!.members[$0.key]?.contains(q) ?? false }
                            if !mine.isEmpty { t.ranks[q].inbox.append(.targets(mine)) }
                        }
                    }
                case .cutReached(let tg):
                    t.cut = tg
                case .failed(let f):
                    t.cut = [:]
                    out.append((.coordinatorFailed(f), t))
                    continue
                }
                out.append((.coordinator(r, rep.sequence, rep.activity), t))
            }
        }
        return out
    }

    /// Invariants of every state.
    func checkInvariants(_ s: State) -> String? {
        guard let co = s.coordinator, co.phase != .gathering else { return nil }
        for r in 0..<job.nranks {
            for (i, c) in job.comms.enumerated() where s.ranks[r].started(i) > co.target(c.id) && co.latest[r] != nil {
                // A rank may only exceed the coordinator's targets if it never froze (impossible once gathered).
                return "rank \(r) started \(s.ranks[r].started(i)) on \(i) beyond target \(co.target(c.id))"
            }
        }
        return nil
    }

    /// What must hold when the coordinator declares the cut.
    func checkCut(_ s: State, _ targets: [CommID: Int]) -> String? {
        for (i, c) in job.comms.enumerated() {
            let t = targets[c.id] ?? 0
            for m in c.members where s.ranks[m].started(i) != t {
                return "cut with rank \(m) at \(s.ranks[m].started(i)) on comm \(i), target \(t)"
            }
        }
        for r in 0..<job.nranks {
            let rk = s.ranks[r]
            if rk.insideComm >= 0 { return "cut with rank \(r) inside a collective on comm \(rk.insideComm)" }
            var i = 0
            while i < rk.outstanding.count {
                if !complete(s, comm: rk.outstanding[i], n: rk.outstanding[i + 1]) {
                    return "cut with an incomplete non-blocking collective at rank \(r)"
                }
                i += 2
            }
            // Every rank is parked at a cap, finished, or running code that needs no collective.
            switch activity(s, r) {
            case .inCollective: return "cut with rank \(r) waiting for a collective"
            default: break
            }
        }
        return nil
    }

    /// Explores every interleaving of the ranks, the request and the messages.
    func explore() -> Result {
        var result = Result()
        var seen: Set<State> = []
        var stack: [(State, Int)] = [(initial(), 0)]
        var traces: [Int: (Int, Event)] = [:]   // for failure traces: parent and event, by state number
        var numbered = 1
        seen.insert(stack[0].0)
        func trace(_ idx: Int) -> String {
            var lines: [String] = []
            var i = idx
            while let (p, e) = traces[i] { lines.append(describe(e)); i = p }
            return lines.reversed().joined(separator: "\n  ")
        }
        while let (s, idx) = stack.popLast() {
            result.states += 1
            if result.states > options.stateLimit {
                result.failures.append("state limit \(options.stateLimit) exceeded")
                return result
            }
            if let msg = checkInvariants(s) {
                result.failures.append(msg + "\n  " + trace(idx))
                return result
            }
            if let cut = s.cut {
                if let msg = checkCut(s, cut) ?? (cut.isEmpty && s.coordinator?.phase == .failed ? "coordinator failed" : nil) {
                    result.failures.append(msg + "\n  " + trace(idx))
                    return result
                }
                result.cuts += 1
                result.maxRaises = max(result.maxRaises, s.coordinator!.raiseCount)
                result.finalTargets.insert(cut)
                continue
            }
            let next = successors(s)
            if next.isEmpty {
                result.failures.append("deadlock: no event enabled and no cut\n  " + trace(idx))
                return result
            }
            for (label, t) in next where seen.insert(t).inserted {
                traces[numbered] = (idx, label)
                stack.append((t, numbered))
                numbered += 1
            }
        }
        return result
    }
}

// MARK: - Random correct programs

/// A small deterministic generator (splitmix64) so every run checks the same programs.
struct SplitMix {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

/// Programs that are correct MPI by construction: a global schedule of collectives and
/// messages, projected on each rank (every communicator sees its collectives in one
/// order, every receive follows its send in the schedule).
func randomJob(seed: UInt64, comms: [CutSim.Comm], nranks: Int, steps: Int) -> CutSim.Job {
    var rng = SplitMix(state: seed)
    var programs = Array(repeating: [SimOp](), count: nranks)
    var pendingWait = Array(repeating: false, count: nranks)
    for _ in 0..<steps {
        switch rng.next(10) {
        case 0..<5:
            let c = rng.next(comms.count)
            for m in comms[c].members { programs[m].append(.coll(c)) }
        case 5..<7:
            let c = rng.next(comms.count)
            for m in comms[c].members {
                programs[m].append(.icoll(c))
                pendingWait[m] = true
            }
        case 7:
            for r in 0..<nranks where pendingWait[r] {
                programs[r].append(.waitAll)
                pendingWait[r] = false
            }
        default:
            let a = rng.next(nranks)
            let b = (a + 1 + rng.next(nranks - 1)) % nranks
            programs[a].append(.send(b))
            programs[b].append(.recv(a))
        }
    }
    for r in 0..<nranks where pendingWait[r] { programs[r].append(.waitAll) }
    return CutSim.Job(comms: comms, programs: programs)
}

// MARK: - Tests

final class CollectiveCutTests: XCTestCase {
    static let c1 = CommID.derived(parent: .world, creatingCall: 1, lowestWorldRank: 0)
    static let c2 = CommID.derived(parent: .world, creatingCall: 2, lowestWorldRank: 1)
    /// 3 ranks: world = {0,1,2}, C1 = {0,1}, C2 = {1,2}.
    static let threeRankComms = [
        CutSim.Comm(id: .world, members: [0, 1, 2], initial: true),
        CutSim.Comm(id: c1, members: [0, 1], initial: true),
        CutSim.Comm(id: c2, members: [1, 2], initial: true),
    ]

    func assertExhaustive(_ job: CutSim.Job, file: StaticString = #filePath, line: UInt = #line) -> CutSim.Result {
        let r = CutSim(job).explore()
        XCTAssertEqual(r.failures, [], "programs \(job.programs)", file: file, line: line)
        XCTAssertGreaterThan(r.cuts, 0, file: file, line: line)
        return r
    }

    // The pitfall of DESIGN §4.1: rank 2 is inside C2's 2nd collective waiting for
    // rank 1, which is capped on C1 (its next call is C1's 2nd collective).
    static let pitfall = CutSim.Job(comms: threeRankComms, programs: [
        [.coll(1), .coll(1), .coll(0)],
        [.coll(1), .coll(2), .coll(1), .coll(2), .coll(0)],
        [.coll(2), .coll(2), .coll(0)],
    ])

    func testPitfallReachesCutFromEveryRequestPointAndInterleaving() {
        let r = assertExhaustive(Self.pitfall)
        XCTAssertGreaterThan(r.maxRaises, 0, "some interleaving needs a raise")
        print("pitfall: \(r.states) states, \(r.cuts) cut states, max raises \(r.maxRaises)")
    }

    func testNaiveProtocolWithoutRaisesDeadlocksOnThePitfall() {
        let r = CutSim(Self.pitfall, options: .init(dropRaises: true)).explore()
        XCTAssertEqual(r.failures.count, 1)
        XCTAssertTrue(r.failures.first?.hasPrefix("deadlock") ?? false, "\(r.failures)")
    }

    func testPitfallRaiseIsExactlyOneCollectiveOnC1() {
        // Drive the coordinator by hand at the pitfall point.
        var co = CutCoordinator(nranks: 3, generation: 7)
        let w = CommCount(started: 0, members: [0, 1, 2])
        func rep(_ r: Int, _ seq: Int, _ c: [CommID: CommCount], _ a: RankActivity) -> RankReport {
            RankReport(rank: r, generation: 7, sequence: seq, comms: c, activity: a)
        }
        let c1 = Self.c1, c2 = Self.c2
        XCTAssertEqual(co.receive(rep(0, 1, [.world: w, c1: .init(started: 1, members: [0, 1])], .running)), .wait)
        XCTAssertEqual(co.receive(rep(1, 1, [.world: w, c1: .init(started: 1, members: [0, 1]),
                                             c2: .init(started: 1, members: [1, 2])], .capped(c1))), .wait)
        let first = co.receive(rep(2, 1, [.world: w, c2: .init(started: 2, members: [1, 2])], .inCollective(c2, 2)))
        // Initial targets (max) with C1 already raised by one: rank 2 waits for rank 1, capped on C1.
        XCTAssertEqual(first, .raise([.world: 0, c1: 2, c2: 2]))
        XCTAssertEqual(co.raiseCount, 1)
        // A repeated (stale) cap report does not raise again.
        XCTAssertEqual(co.receive(rep(1, 1, [:], .capped(c1))), .wait)
        // Rank 1 starts C1 #2 and waits for rank 0; rank 0 is running towards it.
        XCTAssertEqual(co.receive(rep(1, 2, [.world: w, c1: .init(started: 2, members: [0, 1]),
                                             c2: .init(started: 1, members: [1, 2])], .inCollective(c1, 2))), .wait)
        XCTAssertEqual(co.receive(rep(0, 2, [.world: w, c1: .init(started: 2, members: [0, 1])], .capped(.world))), .wait)
        XCTAssertEqual(co.receive(rep(1, 3, [.world: w, c1: .init(started: 2, members: [0, 1]),
                                             c2: .init(started: 2, members: [1, 2])], .running)), .wait)
        // Every count is at its target and nobody is inside a collective: rank 1 is
        // running application code, which is fine (it can start no collective).
        XCTAssertEqual(co.receive(rep(2, 2, [.world: w, c2: .init(started: 2, members: [1, 2])], .capped(.world))),
                       .cutReached([.world: 0, c1: 2, c2: 2]))
        XCTAssertEqual(co.phase, .cut)
    }

    func testMembersThatHaveNotMadeAPseudoCommunicatorAreBehindOnIt() {
        // Ranks 0 and 1 are inside the first Comm_create_group over {0, 1, 2} (its
        // pseudo-communicator P). Rank 2 does not hold P yet: it still has to call it,
        // so it is behind on it although its report does not list it.
        var co = CutCoordinator(nranks: 3, generation: 3)
        let p = CommID.group(parent: .world, members: [0, 1, 2], ordinal: 0)
        let w = CommCount(started: 4, members: [0, 1, 2])
        func rep(_ r: Int, _ seq: Int, _ c: [CommID: CommCount], _ a: RankActivity) -> RankReport {
            RankReport(rank: r, generation: 3, sequence: seq, comms: c, activity: a)
        }
        let inP = CommCount(started: 1, members: [0, 1, 2], pseudo: true)
        XCTAssertEqual(co.receive(rep(0, 1, [.world: w, p: inP], .inCollective(p, 1))), .wait)
        XCTAssertEqual(co.receive(rep(1, 1, [.world: w, p: inP], .inCollective(p, 1))), .wait)
        // Rank 2 starts an Ibcast on the world before P (legal: it does not block) and
        // is capped there at the frozen count: the chain from it leads to the raise.
        XCTAssertEqual(co.receive(rep(2, 1, [.world: w], .capped(.world))), .raise([.world: 5, p: 1]))
        // Ranks 0 and 1 come back from P while rank 2's newest report still predates
        // its call: no cut, rank 2 may be inside P right now.
        let w5 = CommCount(started: 5, members: [0, 1, 2])
        XCTAssertEqual(co.receive(rep(0, 2, [.world: w5, p: inP], .capped(.world))), .wait)
        XCTAssertEqual(co.receive(rep(1, 2, [.world: w5, p: inP], .capped(.world))), .wait)
        XCTAssertEqual(co.phase, .converging)
        XCTAssertEqual(co.receive(rep(2, 2, [.world: w5, p: inP], .capped(.world))), .cutReached([.world: 5, p: 1]))
    }

    func testDependencyThroughPointToPointIsFollowed() {
        // Rank 2 waits in C2 #1 for rank 1; rank 1 waits in Recv for rank 0; rank 0 is
        // capped on C1 before the Isend-side collective it must do first.
        let job = CutSim.Job(comms: Self.threeRankComms, programs: [
            [.icoll(1), .send(1), .waitAll],
            [.recv(0), .coll(2), .coll(1)],
            [.coll(2)],
        ])
        let r = assertExhaustive(job)
        XCTAssertGreaterThan(r.maxRaises, 0)
    }

    func testNonBlockingCollectivesCompleteBeforeTheCut() {
        // Rank 1 starts C2 #1 without waiting and then blocks on C1; rank 2 joins C2 #1
        // late, after a world collective rank 1 has started non-blocking.
        let job = CutSim.Job(comms: Self.threeRankComms, programs: [
            [.coll(1), .coll(0)],
            [.icoll(2), .coll(1), .icoll(0), .waitAll],
            [.icoll(0), .coll(2), .waitAll],
        ])
        let r = CutSim(job, options: .init(coalesceReports: true)).explore()
        XCTAssertEqual(r.failures, [])
        XCTAssertGreaterThan(r.cuts, 0)
    }

    func testCommunicatorsCreatedDuringTheCut() {
        // World creates C1 = {0,1} (rank 2 gets COMM_NULL), then C1 creates nothing and
        // ranks use it; C2 = {1,2} is made by a second creating call on world.
        let job = CutSim.Job(comms: [
            CutSim.Comm(id: .world, members: [0, 1, 2], initial: true),
            CutSim.Comm(id: Self.c1, members: [0, 1], initial: false),
            CutSim.Comm(id: Self.c2, members: [1, 2], initial: false),
        ], programs: [
            [.create(parent: 0, made: 1), .create(parent: 0, made: nil), .coll(1), .coll(1), .coll(0)],
            [.create(parent: 0, made: 1), .create(parent: 0, made: 2), .coll(1), .coll(2), .coll(1), .coll(0)],
            [.create(parent: 0, made: nil), .create(parent: 0, made: 2), .coll(2), .coll(0)],
        ])
        _ = assertExhaustive(job)
    }

    func testFourRanksChainOfCaps() {
        // A chain: rank 3 waits on C3 for rank 2, capped on C2 whose next collective needs
        // rank 1, capped on C1 needing rank 0. C1={0,1}, C2={1,2}, C3={2,3}.
        let c3 = CommID.derived(parent: .world, creatingCall: 3, lowestWorldRank: 2)
        let comms = [
            CutSim.Comm(id: .world, members: [0, 1, 2, 3], initial: true),
            CutSim.Comm(id: Self.c1, members: [0, 1], initial: true),
            CutSim.Comm(id: Self.c2, members: [1, 2], initial: true),
            CutSim.Comm(id: c3, members: [2, 3], initial: true),
        ]
        let job = CutSim.Job(comms: comms, programs: [
            [.coll(1)],
            [.coll(1), .coll(2)],
            [.coll(2), .coll(3)],
            [.coll(3)],
        ])
        let r = assertExhaustive(job)
        XCTAssertGreaterThanOrEqual(r.maxRaises, 2)
        print("four-rank chain: \(r.states) states, \(r.cuts) cut states, max raises \(r.maxRaises)")
    }

    /// A few programs by default (the debug build explores ~15k states/s); set
    /// CKPT_CUT_RANDOM_PROGRAMS=100 for a deeper run (roughly 15 minutes).
    func testRandomCorrectProgramsExhaustively() {
        var total = 0, programs = 0, raised = 0
        let count = UInt64(ProcessInfo.processInfo.environment["CKPT_CUT_RANDOM_PROGRAMS"].flatMap { Int($0) } ?? 3)
        for seed in 1...max(1, count) {
            let job = randomJob(seed: seed, comms: Self.threeRankComms, nranks: 3, steps: 4)
            let r = CutSim(job, options: .init(coalesceReports: true)).explore()
            XCTAssertEqual(r.failures, [], "seed \(seed): \(job.programs)")
            XCTAssertGreaterThan(r.cuts, 0)
            total += r.states
            programs += 1
            if r.maxRaises > 0 { raised += 1 }
        }
        XCTAssertGreaterThan(raised, 0, "some random program needs a raise")
        print("random: \(programs) programs, \(total) states, \(raised) needed raises")
    }

    // MARK: rank side and ids

    func testGateCapsAtFrozenCountsAndTakesOnlyHigherTargets() {
        var g = RankGate()
        var comms = [RankGate.Comm(id: .world, started: 1_000)]
        XCTAssertTrue(g.mayStart(comms[0]))
        comms[0].started = 4
        let members: [CommID: CommCount] = [.world: .init(started: 4, members: [0, 1, 2])]
        let rep = g.freeze(rank: 2, generation: 3, comms: &comms, members: members, activity: .running)
        XCTAssertEqual(rep.sequence, 1)
        XCTAssertFalse(g.mayStart(comms[0]), "the 5th would be beyond the frozen count")
        XCTAssertFalse(g.mayStart(RankGate.Comm(id: Self.c1, target: g.initialTarget(Self.c1))),
                       "a communicator made after the request starts capped at 0")
        g.apply(generation: 3, targets: [.world: 6], comms: &comms)
        g.apply(generation: 3, targets: [.world: 5, Self.c1: 2], comms: &comms)
        g.apply(generation: 2, targets: [.world: 9], comms: &comms)
        XCTAssertEqual(comms[0].target, 6)
        XCTAssertEqual(g.initialTarget(Self.c1), 2, "a target learnt before the communicator is made")
        comms[0].started = 5
        XCTAssertTrue(g.mayStart(comms[0]))
        comms[0].started = 6
        XCTAssertFalse(g.mayStart(comms[0]))
        XCTAssertNil(g.report(rank: 2, comms: members, activity: .running), "unchanged: no report")
        XCTAssertEqual(g.report(rank: 2, comms: [.world: .init(started: 5, members: [0, 1, 2])],
                                activity: .running)?.sequence, 2)
        g.release()
        XCTAssertTrue(g.mayStart(comms[0]))
        XCTAssertEqual(g.initialTarget(Self.c1), 0, "nothing is capped once released")
    }

    func testActivityPrecedenceIsTheFaces() {
        let c = Self.c1
        XCTAssertEqual(RankGate.activity(finished: true, cappedOn: c, inCollective: (c, 1), blockedOn: [0]), .finished)
        XCTAssertEqual(RankGate.activity(finished: false, cappedOn: c, inCollective: (c, 1), blockedOn: [0]), .capped(c))
        XCTAssertEqual(RankGate.activity(finished: false, cappedOn: nil, inCollective: (c, 1), blockedOn: [0]),
                       .inCollective(c, 1))
        XCTAssertEqual(RankGate.activity(finished: false, cappedOn: nil, inCollective: nil, blockedOn: [0]),
                       .blockedP2P([0]))
        XCTAssertEqual(RankGate.activity(finished: false, cappedOn: nil, inCollective: nil, blockedOn: nil), .running)
    }

    func testCoordinatorRejectsViolations() {
        var co = CutCoordinator(nranks: 2, generation: 1)
        _ = co.receive(RankReport(rank: 0, generation: 1, sequence: 1,
                                  comms: [.world: .init(started: 1, members: [0, 1])], activity: .running))
        XCTAssertEqual(co.receive(RankReport(rank: 1, generation: 1, sequence: 1,
                                             comms: [.world: .init(started: 1, members: [0, 2])], activity: .running)),
                       .failed(.inconsistentMembers(.world)))
        var co2 = CutCoordinator(nranks: 2, generation: 1)
        let w = CommCount(started: 1, members: [0, 1])
        _ = co2.receive(RankReport(rank: 0, generation: 1, sequence: 1, comms: [.world: w], activity: .capped(.world)))
        XCTAssertEqual(co2.receive(RankReport(rank: 1, generation: 1, sequence: 1, comms: [.world: w], activity: .finished)),
                       .cutReached([.world: 1]))
        var co3 = CutCoordinator(nranks: 1, generation: 1)
        XCTAssertEqual(co3.receive(RankReport(rank: 0, generation: 1, sequence: 1,
                                              comms: [.world: .init(started: 1, members: [0])],
                                              activity: .inCollective(.world, 1))), .raise([.world: 1]))
        XCTAssertEqual(co3.receive(RankReport(rank: 0, generation: 1, sequence: 2,
                                              comms: [.world: .init(started: 2, members: [0])], activity: .running)),
                       .failed(.exceededTarget(rank: 0, comm: .world, started: 2, target: 1)))
        var co4 = CutCoordinator(nranks: 1, generation: 1)
        XCTAssertEqual(co4.receive(RankReport(rank: 5, generation: 1, sequence: 1, comms: [:], activity: .running)),
                       .failed(.unknownRank(5)))
    }

    func testCommIDsAreStableAndDistinguishColours() {
        let a = CommID.derived(parent: .world, creatingCall: 3, lowestWorldRank: 0)
        XCTAssertEqual(a, CommID.derived(parent: .world, creatingCall: 3, lowestWorldRank: 0))
        XCTAssertNotEqual(a, CommID.derived(parent: .world, creatingCall: 3, lowestWorldRank: 2), "other colour")
        XCTAssertNotEqual(a, CommID.derived(parent: .world, creatingCall: 4, lowestWorldRank: 0), "later call")
        XCTAssertNotEqual(a, CommID.derived(parent: a, creatingCall: 3, lowestWorldRank: 0), "other parent")
        XCTAssertNotEqual(a, .world)
        let g = CommID.group(parent: .world, members: [1, 3], ordinal: 1)
        XCTAssertEqual(g, CommID.group(parent: .world, members: [1, 3], ordinal: 1))
        XCTAssertNotEqual(g, CommID.group(parent: .world, members: [1, 3], ordinal: 2))
        XCTAssertNotEqual(g, CommID.group(parent: .world, members: [1, 2], ordinal: 1))
        XCTAssertEqual(CommID.world.description, "world")
        XCTAssertTrue(a.description.hasPrefix("comm:"))
        // The values of the Swift mix this replaced: ids in old logs and images read the same.
        XCTAssertEqual(a.raw, 0xd906_d8fd_0609_540a)
        XCTAssertEqual(g.raw, 0x568e_f726_fdb4_f0e7)
    }
}
