import XCTest
@testable import MPIShadow

extension CollectiveCutTests {
    func testStallFallbackRaisesOnlyCommunicatorsCappedAtTheirTarget() {
        // Rank 0 is inside C1 #2 waiting for rank 1, which waits (unreported: it says
        // running) for rank 2, which is capped on world: the fixed point sees no chain
        // to rank 2, only the fallback frees it.
        var co = CutCoordinator(nranks: 3, generation: 4)
        let c1 = Self.c1
        func rep(_ r: Int, _ seq: Int, world: Int, c1 started: Int?, _ a: RankActivity) -> RankReport {
            var comms: [CommID: CommCount] = [.world: .init(started: world, members: [0, 1, 2])]
            if let started { comms[c1] = .init(started: started, members: [0, 1]) }
            return RankReport(rank: r, generation: 4, sequence: seq, comms: comms, activity: a)
        }
        XCTAssertEqual(co.receive(rep(2, 1, world: 1, c1: nil, .capped(.world))), .wait)
        XCTAssertEqual(co.raiseCappedAtTarget(), [:], "nothing is raised before every rank has reported")
        XCTAssertEqual(co.receive(rep(0, 1, world: 1, c1: 2, .inCollective(c1, 2))), .wait)
        XCTAssertEqual(co.receive(rep(1, 1, world: 1, c1: 1, .running)), .raise([.world: 1, c1: 2]))
        XCTAssertEqual(co.raiseCount, 0)
        XCTAssertEqual(co.raiseCappedAtTarget(), [.world: 2])
        XCTAssertEqual(co.target(.world), 2)
        XCTAssertEqual(co.raiseCount, 1)
        XCTAssertEqual(co.raiseCappedAtTarget(), [:], "rank 2's cap is stale now: it was raised")
        XCTAssertEqual(co.receive(rep(2, 2, world: 2, c1: nil, .running)), .wait)
        XCTAssertEqual(co.receive(rep(1, 2, world: 2, c1: 2, .running)), .wait)
        XCTAssertEqual(co.receive(rep(0, 2, world: 2, c1: 2, .running)), .cutReached([.world: 2, c1: 2]))
        XCTAssertEqual(co.raiseCappedAtTarget(), [:], "nothing is raised after the cut")
    }
}
