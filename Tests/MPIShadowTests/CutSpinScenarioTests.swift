import XCTest
@testable import MPIShadow

/// The scenarios of the spin model (spec/promela/collective_cut.pml) replayed against the
/// code that runs: the C rank rules (through RankGate) and the Swift coordinator, every
/// interleaving explored by CutSim. Same job as the model: 3 ranks, world {0,1,2}, C1
/// {0,1}, C2 {1,2}; every global order of L blocking collectives projected on the ranks
/// (3^L programs, all correct MPI); the request at any point; reports read late (a
/// latest-wins mailbox by default; CKPT_CUT_SPIN_FIFO=1 for the model's FIFO channels,
/// about as many states for these blocking programs); targets delivered late. Checked as in the model: never past a target, at the cut
/// every count at its target and nobody inside, and no end state but the cut. The state
/// graph is finite and acyclic (counts and report sequences only grow), so "no end
/// state but the cut" is the model's `<> cut` too.
extension CollectiveCutTests {
    /// The model's `init`: a global order of collectives (communicator indices), projected.
    static func spinProgram(_ order: [Int]) -> CutSim.Job {
        var programs: [[SimOp]] = [[], [], []]
        for c in order {
            for m in threeRankComms[c].members { programs[m].append(.coll(c)) }
        }
        return CutSim.Job(comms: threeRankComms, programs: programs)
    }

    /// Every global order of `length` collectives over the model's three communicators.
    static func spinOrders(length: Int) -> [[Int]] {
        (0..<Int(pow(3.0, Double(length)))).map { n in
            var n = n
            return (0..<length).map { _ in defer { n /= 3 }; return n % 3 }
        }
    }

    /// By default every program of 3 collectives and the pitfall (C1 C2 C1 C2), 0.55 M
    /// states (~30 s); CKPT_CUT_SPIN_L=4 runs all 81 programs of the model (3 M states, ~2 min in
    /// a debug build), CKPT_CUT_SPIN_L=5 those of its `-DL=5`.
    func testSpinModelScenariosAgainstTheCRules() {
        let length = ProcessInfo.processInfo.environment["CKPT_CUT_SPIN_L"].flatMap { Int($0) } ?? 3
        let fifo = ProcessInfo.processInfo.environment["CKPT_CUT_SPIN_FIFO"] == "1"
        var states = 0, raised = 0
        var orders = Self.spinOrders(length: length)
        if length < 4 { orders.append([1, 2, 1, 2]) }
        for order in orders {
            let job = Self.spinProgram(order)
            let r = CutSim(job, options: .init(coalesceReports: !fifo)).explore()
            XCTAssertEqual(r.failures, [], "order \(order): \(job.programs)")
            XCTAssertGreaterThan(r.cuts, 0, "order \(order)")
            states += r.states
            if r.maxRaises > 0 { raised += 1 }
        }
        XCTAssertTrue(orders.contains([1, 2, 1, 2]), "the pitfall is among them")
        XCTAssertGreaterThan(raised, 0, "some program needs a raise")
        print("spin scenarios (L=\(length), \(fifo ? "FIFO" : "latest-wins") reports): \(orders.count) programs, \(states) states, \(raised) needed raises")
    }

    /// The model's -DNAIVE: without raises some scenario (the pitfall) deadlocks.
    func testSpinModelScenariosDeadlockWithoutRaises() {
        let job = Self.spinProgram([1, 2, 1, 2])
        let r = CutSim(job, options: .init(dropRaises: true)).explore()
        XCTAssertTrue(r.failures.first?.hasPrefix("deadlock") ?? false, "\(r.failures)")
    }
}
