import MPIShadow
import Foundation
import XCTest
@testable import CkptMPI

/// The coordinator's side of the consistent cut on the wire: the lines, `Quiescence`, and
/// whole checkpoints with fake MPI engines over the real socket.
final class CutProtocolTests: XCTestCase {
    static let c = CommID.derived(parent: .world, creatingCall: 1, lowestWorldRank: 0)
    static let date = Date(timeIntervalSinceReferenceDate: 1000)

    private func parse(_ text: String, nranks: Int = 4) throws -> CutMessage {
        try CutMessage(try XCTUnwrap(ProtocolLine.parse(text)), nranks: nranks)
    }

    func testLinesRoundTrip() throws {
        let c = Self.c
        XCTAssertEqual(CutWire.text([0, 1, 2, 3, 5, 7, 8, 9]), "0-3,5,7-9")
        XCTAssertEqual(CutWire.text([4]), "4")
        XCTAssertEqual(CutWire.text([Int]()), "")
        XCTAssertEqual(CutWire.text(CommID(raw: 0xab)), "00000000000000ab")
        let report = RankReport(rank: 2, generation: 7, sequence: 3,
                                comms: [.world: .init(started: 5, members: [0, 1, 2, 3]),
                                        c: .init(started: 2, members: [0, 2, 3])],
                                activity: .inCollective(c, 3))
        XCTAssertEqual(CutMessage.report(report).line.encoded,
                       "CUTREPORT gen=7 rank=2 seq=3 act=coll:\(CutWire.text(c)):3 "
                       + "comms=0000000000000000:5:0-3;\(CutWire.text(c)):2:0,2-3\n")
        let activities: [RankActivity] = [.running, .capped(c), .inCollective(.world, 1), .blockedP2P([1, 3]),
                                          .blockedP2P([]), .finished]
        var messages = activities.map {
            CutMessage.report(RankReport(rank: 3, generation: 1, sequence: 9, comms: [:], activity: $0))
        }
        let withPseudo = RankReport(rank: 1, generation: 7, sequence: 4,
                                    comms: [c: .init(started: 1, members: [0, 1], pseudo: true)], activity: .running)
        XCTAssertEqual(CutMessage.report(withPseudo).line.encoded,
                       "CUTREPORT gen=7 rank=1 seq=4 act=running comms=\(CutWire.text(c)):1:0-1:g\n")
        messages += [.report(report), .report(withPseudo), .targets(generation: 7, targets: [.world: 6, c: 3]), .cut(generation: 7),
                     .sent(generation: 7, to: [0, 12, 0, 3]), .expect(generation: 7, from: [4, 0, 0, 1]),
                     .drained(generation: 7), .write(generation: 7), .abort(generation: 7)]
        for message in messages {
            let text = message.line.encoded
            XCTAssertEqual(try parse(String(text.dropLast())), message, text)
        }
        XCTAssertEqual(CutMessage.targets(generation: 7, targets: [c: 3, .world: 6]).line.encoded,
                       "TARGETS gen=7 t=0000000000000000:6,\(CutWire.text(c)):3\n")
        XCTAssertEqual(try parse("CUTREPORT gen=1 rank=0 seq=1 act=running comms="),
                       .report(RankReport(rank: 0, generation: 1, sequence: 1, comms: [:], activity: .running)),
                       "MPI not initialised yet")
    }

    func testMalformedLinesNameTheVerbAndTheField() {
        let id = CutWire.text(Self.c)
        let cases: [(String, String)] = [
            ("CUTREPORT gen=1 rank=0 seq=1 act=jumping comms=", "act=jumping: not an activity"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=coll:\(id):0 comms=", "act=coll:\(id):0: not an activity"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=capped:ABCDEF0123456789 comms=", "not an activity"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=capped:123 comms=", "not an activity"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=p2p:3,1 comms=", "act=p2p:3,1: not an activity"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=running", "no comms="),
            ("CUTREPORT gen=1 rank=4 seq=1 act=running comms=", "rank=4: not a rank of 4"),
            ("CUTREPORT gen=1 rank=0 seq=-1 act=running comms=", "seq=-1: not a count"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=running comms=\(id):1:0-2,2", "is not <id>:<started>:<members>"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=running comms=\(id):1:0-4", "is not <id>:<started>:<members>"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=running comms=\(id):1:0-1;\(id):2:0-1", "is not <id>:<started>:<members>"),
            ("CUTREPORT gen=1 rank=0 seq=1 act=running comms=\(id):1", "is not <id>:<started>:<members>"),
            ("SENT gen=1 to=1,2,3", "to=1,2,3: 3 counts for 4 ranks"),
            ("SENT gen=1 to=1,2,x,4", "to=1,2,x,4: not a list of counts"),
            ("SENT gen=x to=1,2,3,4", "gen=x: not a count"),
            ("DRAINED", "no gen="),
            ("TARGETS gen=1 t=\(id)", "is not <id>:<target>"),
            ("HELLO gen=1", "not a message of the cut"),
        ]
        for (text, problem) in cases {
            XCTAssertThrowsError(try parse(text), text) {
                let error = $0 as? MalformedCutLine
                XCTAssertEqual(error?.verb, String(text.prefix { $0 != " " }), text)
                XCTAssertTrue(error?.problem.contains(problem) ?? false, "\(text): \(String(describing: error))")
            }
        }
    }

    /// Three ranks past an immediate cut (nothing to raise), so the counts phase is next.
    private func quiescenceAtCounts() -> Quiescence {
        var q = Quiescence(generation: 5, nranks: 3, started: Self.date)
        for r in 0..<3 {
            let action = q.receive(CutMessage.report(RankReport(
                rank: r, generation: 5, sequence: 1, comms: [.world: .init(started: 2, members: [0, 1, 2])],
                activity: r == 1 ? .blockedP2P([0]) : .running)).line, from: r, at: Self.date)
            XCTAssertEqual(action, r < 2 ? .wait : .send(Array(repeating: CutMessage.cut(generation: 5).line, count: 3),
                                                          decision: "cut reached after 0 raises in 0.0 ms at targets world=2"))
        }
        XCTAssertEqual(q.phase, .counts)
        return q
    }

    func testExpectSendsEachRankItsColumnAndWriteFollowsTheDrain() throws {
        var q = quiescenceAtCounts()
        let rows = [[0, 2, 5], [1, 0, 0], [7, 3, 0]]
        XCTAssertEqual(q.receive(CutMessage.sent(generation: 5, to: rows[0]).line, from: 0, at: Self.date), .wait)
        XCTAssertEqual(q.awaited, [1, 2])
        XCTAssertEqual(q.receive(CutMessage.sent(generation: 9, to: [9, 9, 9]).line, from: 1, at: Self.date), .wait,
                       "another generation")
        XCTAssertEqual(q.receive(CutMessage.sent(generation: 5, to: rows[1]).line, from: 1, at: Self.date), .wait)
        let all = q.receive(CutMessage.sent(generation: 5, to: rows[2]).line, from: 2, at: Self.date.addingTimeInterval(0.002))
        XCTAssertEqual(all, .send([CutMessage.expect(generation: 5, from: [0, 1, 7]).line,
                                   CutMessage.expect(generation: 5, from: [2, 0, 3]).line,
                                   CutMessage.expect(generation: 5, from: [5, 0, 0]).line],
                                  decision: "expected counts: rank 0 from 0,1,7; rank 1 from 2,0,3; rank 2 from 5,0,0"))
        XCTAssertEqual(q.phase, .drain)
        XCTAssertEqual(q.receive(ProtocolLine("CUTREPORT", [("gen", "5"), ("rank", "0"), ("seq", "2"), ("act", "running"),
                                                            ("comms", "")]), from: 0, at: Self.date), .wait,
                       "a report sent before the rank saw CUT")
        for r in 0..<2 {
            XCTAssertEqual(q.receive(CutMessage.drained(generation: 5).line, from: r, at: Self.date), .wait)
        }
        XCTAssertNil(q.quiesceMilliseconds)
        XCTAssertEqual(q.receive(CutMessage.drained(generation: 5).line, from: 2, at: Self.date.addingTimeInterval(0.0125)),
                       .send(Array(repeating: CutMessage.write(generation: 5).line, count: 3),
                             decision: "every rank drained after 12.5 ms; write"))
        XCTAssertEqual(q.phase, .quiescent)
        XCTAssertEqual(try XCTUnwrap(q.quiesceMilliseconds), 12.5, accuracy: 1e-6)
        XCTAssertEqual(q.countsComplete, Self.date.addingTimeInterval(0.002))
        XCTAssertEqual(q.cutReached, Self.date)
    }

    func testWrongCountsAndLinesOutOfTurnFailTheGeneration() {
        var q = quiescenceAtCounts()
        XCTAssertEqual(q.receive(ProtocolLine("SENT", [("gen", "5"), ("to", "1,2")]), from: 1, at: Self.date),
                       .fail("rank 1 sent a malformed SENT (to=1,2: 2 counts for 3 ranks)"))
        q = quiescenceAtCounts()
        XCTAssertEqual(q.receive(CutMessage.drained(generation: 5).line, from: 2, at: Self.date),
                       .fail("rank 2 sent DRAINED out of turn (while the drain counts are gathered)"))
        q = quiescenceAtCounts()
        XCTAssertEqual(q.receive(CutMessage.sent(generation: 5, to: [0, 0, 0]).line, from: 0, at: Self.date), .wait)
        XCTAssertEqual(q.receive(CutMessage.sent(generation: 5, to: [0, 0, 0]).line, from: 0, at: Self.date),
                       .fail("rank 0 sent SENT out of turn (while the drain counts are gathered)"))
        var fresh = Quiescence(generation: 5, nranks: 2, started: Self.date)
        XCTAssertEqual(fresh.receive(CutMessage.report(RankReport(rank: 1, generation: 5, sequence: 1, comms: [:],
                                                                  activity: .running)).line, from: 0, at: Self.date),
                       .fail("rank 0 sent a CUTREPORT for rank 1"))
        fresh = Quiescence(generation: 5, nranks: 2, started: Self.date)
        for (r, members) in [[0, 1], [1]].enumerated() {
            let action = fresh.receive(CutMessage.report(RankReport(
                rank: r, generation: 5, sequence: 1, comms: [Self.c: .init(started: 1, members: members)],
                activity: .running)).line, from: r, at: Self.date)
            XCTAssertEqual(action, r == 0 ? .wait : .fail("the collective cut failed: ranks disagree on the members of \(Self.c)"))
        }
    }

    func testSilenceFallbackRaisesCappedRanksAfterTwoSeconds() {
        // Rank 0 is inside C #2 waiting for rank 1, which waits (it reports running:
        // say it polls MPI_Test) for rank 2, capped on world at its target: only the
        // fallback gets it moving, after 2 s without a report (a running rank might be
        // computing, so not after 200 ms).
        var q = Quiescence(generation: 1, nranks: 3, started: Self.date)
        let c = Self.c
        func report(_ r: Int, world: Int, c started: Int?, _ activity: RankActivity) -> ProtocolLine {
            var comms: [CommID: CommCount] = [.world: .init(started: world, members: [0, 1, 2])]
            if let started { comms[c] = .init(started: started, members: [0, 1]) }
            return CutMessage.report(RankReport(rank: r, generation: 1, sequence: world, comms: comms, activity: activity)).line
        }
        XCTAssertEqual(q.receive(report(0, world: 1, c: 2, .inCollective(c, 2)), from: 0, at: Self.date), .wait)
        XCTAssertEqual(q.receive(report(1, world: 1, c: 1, .running), from: 1, at: Self.date), .wait)
        let later = Self.date.addingTimeInterval(0.05)
        XCTAssertEqual(q.receive(report(2, world: 1, c: nil, .capped(.world)), from: 2, at: later),
                       .send(Array(repeating: CutMessage.targets(generation: 1, targets: [.world: 1, c: 2]).line, count: 3),
                             decision: "raise targets world=1 \(c)=2"))
        XCTAssertEqual(q.stallDeadline, later.addingTimeInterval(2.0))
        XCTAssertEqual(q.checkStall(at: later.addingTimeInterval(1.99)), .wait)
        XCTAssertEqual(q.checkStall(at: later.addingTimeInterval(2.0)),
                       .send(Array(repeating: CutMessage.targets(generation: 1, targets: [.world: 2]).line, count: 3),
                             decision: "no report for 2000.0 ms; raise capped targets world=2"))
        XCTAssertEqual(q.checkStall(at: later.addingTimeInterval(2.3)), .wait, "the next look is 2 s later")
        XCTAssertEqual(q.checkStall(at: later.addingTimeInterval(4.5)), .wait, "rank 2's cap is stale: nothing to raise")
        XCTAssertEqual(q.awaited, [])
        for r in 0..<2 { XCTAssertEqual(q.receive(report(r, world: 2, c: 2, .running), from: r, at: later), .wait) }
        guard case .send(let lines, _) = q.receive(report(2, world: 2, c: nil, .running), from: 2, at: later) else {
            return XCTFail("no cut")
        }
        XCTAssertEqual(lines.first, CutMessage.cut(generation: 1).line)
        XCTAssertEqual(q.cut.raiseCount, 1)
        XCTAssertNil(q.stallDeadline)
    }

    // MARK: - Whole checkpoints over the socket

    /// Two ranks: rank 0 is inside world's 2nd collective; rank 1 must first start C's 4th
    /// (non-blocking) collective, capped by its frozen target, so C is raised once.
    static let raiseOnce: [FakeEngine.MPI?] = {
        let w = { CommCount(started: $0, members: [0, 1]) }
        let c = CutProtocolTests.c
        return [
            FakeEngine.MPI(steps: [.init(trigger: .checkpoint, say: [.report([.world: w(2), c: w(3)], .inCollective(.world, 2))]),
                                   .init(trigger: .target(c, 4), say: [.report([.world: w(2), c: w(4)], .running)])],
                           sent: [0, 3]),
            FakeEngine.MPI(steps: [.init(trigger: .checkpoint, say: [.report([.world: w(1), c: w(3)], .capped(c))]),
                                   .init(trigger: .target(c, 4), say: [.report([.world: w(2), c: w(4)], .inCollective(c, 4)),
                                                                       .report([.world: w(2), c: w(4)], .running)])],
                           sent: [5, 0]),
        ]
    }()

    func testMPICheckpointRunsCutCountsAndDrainBeforeTheWrite() throws {
        let fixture = try CoordinatorFixture(ranks: 2)
        try fixture.connectEngines(2, of: 2, mpi: Self.raiseOnce)
        let report = try fixture.client.checkpoint(kill: false)
        XCTAssertEqual(report.generation, 1)
        XCTAssertEqual(report.bytes, 2 * 4096)
        let quiesce = try XCTUnwrap(report.quiesceMs, "OK carries quiesce_ms")
        XCTAssertGreaterThan(quiesce, 0)
        XCTAssertLessThanOrEqual(quiesce, report.seconds * 1000 + 1, "seconds= has whole milliseconds")
        XCTAssertTrue(report.line.encoded.hasSuffix(String(format: " quiesce_ms=%.3f\n", quiesce)), report.line.encoded)
        XCTAssertTrue(report.summary.hasSuffix(String(format: " (quiesced in %.1f ms)", quiesce)), report.summary)
        let path = fixture.directory.generationPath(1)
        let manifest = try Manifest.read(from: path)
        XCTAssertEqual(try XCTUnwrap(manifest.quiesceMs), quiesce, accuracy: 0.001)
        XCTAssertNil(manifest.inconsistency(in: path))
        let json = try String(contentsOfFile: fixture.directory.manifestPath(1), encoding: .utf8)
        XCTAssertTrue(json.contains(#""quiesce_ms" : "#), json)
        XCTAssertEqual(try GenerationSummary.all(in: fixture.directory).first?.quiesceMs, manifest.quiesceMs)

        let targets = CutMessage.targets(generation: 1, targets: [.world: 2, Self.c: 4]).line.encoded.dropLast()
        XCTAssertEqual(fixture.engines[0].requests, ["CHECKPOINT gen=1 dir=\(path)", String(targets), "CUT gen=1",
                                                     "EXPECT gen=1 from=0,5", "WRITE gen=1"])
        XCTAssertEqual(fixture.engines[1].requests.dropFirst(), [String(targets), "CUT gen=1", "EXPECT gen=1 from=3,0",
                                                                 "WRITE gen=1"])
        // The scripts replay for the next generation.
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 2)
    }

    func testStalledCutIsRaisedByTheFallback() throws {
        let fixture = try CoordinatorFixture(ranks: 3)
        let all = { CommCount(started: $0, members: [0, 1, 2]) }
        let pair = { CommCount(started: $0, members: [0, 1]) }
        let c = Self.c
        try fixture.connectEngines(3, of: 3, mpi: [
            .init(steps: [.init(trigger: .checkpoint, say: [.report([.world: all(1), c: pair(2)], .inCollective(c, 2))]),
                          .init(trigger: .target(.world, 2), say: [.report([.world: all(2), c: pair(2)], .running)])],
                  sent: [0, 0, 0]),
            .init(steps: [.init(trigger: .checkpoint, say: [.report([.world: all(1), c: pair(1)], .running)]),
                          .init(trigger: .target(.world, 2), say: [.report([.world: all(2), c: pair(2)], .running)])],
                  sent: [0, 0, 0]),
            .init(steps: [.init(trigger: .checkpoint, say: [.report([.world: all(1)], .capped(.world))]),
                          .init(trigger: .target(.world, 2), say: [.report([.world: all(2)], .running)])],
                  sent: [0, 0, 0]),
        ])
        XCTAssertEqual(try fixture.client.checkpoint(kill: false).generation, 1)
        XCTAssertEqual(Array(fixture.engines[2].requests.dropFirst().prefix(3)),
                       ["TARGETS gen=1 t=0000000000000000:1,\(CutWire.text(c)):2", "TARGETS gen=1 t=0000000000000000:2",
                        "CUT gen=1"])
    }

    func testFailedRankDuringTheCutAbortsTheOthers() throws {
        let fixture = try CoordinatorFixture(ranks: 2)
        var scripts = Self.raiseOnce
        scripts[1]!.steps[0].say.append(.failed("MPI_Iprobe: Other MPI error"))
        try fixture.connectEngines(2, of: 2, mpi: scripts)
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "checkpoint gen 1 failed: rank 1: MPI_Iprobe: Other MPI error")
        }
        try waitFor { fixture.engines[0].requests.last == "ABORT gen=1" }
        XCTAssertFalse(fixture.engines[0].requests.contains("WRITE gen=1"))
        XCTAssertEqual(try fixture.directory.generations().count, 0)
    }

    func testBadLinesFailTheGenerationNamingRankAndVerb() throws {
        let cases: [(FakeEngine.Say, String)] = [
            (.raw("CUTREPORT gen=1 rank=1 seq=1 act=jumping comms=\n"),
             "rank 1 sent a malformed CUTREPORT (act=jumping: not an activity)"),
            (.raw("WRITTEN gen=1 bytes=4096\n"), "rank 1 sent WRITTEN out of turn (during the collective cut)"),
            (.raw("SENT gen=1 to=0,0\n"), "rank 1 sent SENT out of turn (during the collective cut)"),
        ]
        for (say, error) in cases {
            let fixture = try CoordinatorFixture(ranks: 2)
            var scripts = Self.raiseOnce
            scripts[1]!.steps[0].say = [.raw("CUTREPORT gen=0 rank=1 seq=1 act=late comms=\n"), say]
            try fixture.connectEngines(2, of: 2, mpi: scripts)
            XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
                XCTAssertEqual(($0 as? CLIFailure)?.message, "checkpoint gen 1 failed: \(error)")
            }
            try waitFor { fixture.engines.allSatisfy { $0.requests.last == "ABORT gen=1" } }
        }
    }

    func testCutThatIsNeverReachedTimesOut() throws {
        let fixture = try CoordinatorFixture(ranks: 2, timeout: 0.5)
        let w = { CommCount(started: $0, members: [0, 1]) }
        try fixture.connectEngines(2, of: 2, mpi: [
            .init(steps: [.init(trigger: .checkpoint, say: [.report([.world: w(2)], .inCollective(.world, 2))])], sent: [0, 0]),
            .init(steps: [.init(trigger: .checkpoint, say: [.report([.world: w(1)], .running)])], sent: [0, 0]),
        ])
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "checkpoint gen 1 failed: the collective cut was not reached within 0.5 s")
        }
        try waitFor { fixture.engines.allSatisfy { $0.requests.last == "ABORT gen=1" } }
    }

    func testMixingRanksWithAndWithoutMPIIsRefused() throws {
        let fixture = try CoordinatorFixture(ranks: 2)
        try fixture.connectEngines(2, of: 2, mpi: [Self.raiseOnce[0]])
        XCTAssertThrowsError(try fixture.client.checkpoint(kill: false)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "checkpoint gen 1 failed: ranks 1 run without MPI (flavour none) "
                           + "and the others with it; no consistent cut is possible")
        }
        XCTAssertEqual(fixture.engines[0].requests, [])
    }

    func testRanksWithoutMPIWriteAtOnceAndReportNoQuiesceTime() throws {
        let fixture = try CoordinatorFixture(ranks: 1)
        try fixture.connectEngines(1, of: 1)
        let report = try fixture.client.checkpoint(kill: false)
        XCTAssertNil(report.quiesceMs)
        XCTAssertFalse(report.line.encoded.contains("quiesce_ms"))
        XCTAssertNil(try Manifest.read(from: fixture.directory.generationPath(1)).quiesceMs)
        XCTAssertEqual(fixture.engines[0].requests, ["CHECKPOINT gen=1 dir=\(fixture.directory.generationPath(1))"])
    }
}
