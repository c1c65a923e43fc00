import MPIShadow
import Foundation

/// Brings the MPI ranks of one generation to rest before they write their images
/// (docs/checkpoint-protocol.md, "The consistent cut on the wire"): the collective cut,
/// the drain counts, the drain. Plain state without I/O: the coordinator hands it every
/// cut line and the passing of time, and sends what it asks for.
struct Quiescence {
    enum Phase: Equatable {
        case cut, counts, drain
        /// Every rank has drained and was told to write.
        case quiescent
    }

    /// What the coordinator does next.
    enum Action: Equatable {
        case wait
        /// Send `lines[r]` to rank r, for every rank; `decision` is for the debug log.
        case send(_ lines: [ProtocolLine], decision: String)
        /// Abandon the generation with this error.
        case fail(String)
    }

    /// How long the cut may go without a report, with no rank able to move, before
    /// capped ranks are raised anyway.
    static let stallInterval: TimeInterval = 0.2
    /// The same when some rank says it is running: it may be polling (MPI_Test in a
    /// loop) for a capped rank, which looks like running; or computing, which a raise
    /// only moves the cut past by one collective.
    static let silenceInterval: TimeInterval = 2.0

    let generation: Int
    let nranks: Int
    /// When CHECKPOINT was sent.
    let started: Date
    private(set) var phase = Phase.cut
    private(set) var cut: CutCoordinator
    private var lastReport: Date
    /// Each rank's `SENT` row.
    private var sent: [[Int]?]
    private var drained: [Bool]
    private(set) var cutReached: Date?
    /// When the last `SENT` arrived.
    private(set) var countsComplete: Date?
    /// When the last `DRAINED` arrived.
    private(set) var allDrained: Date?

    init(generation: Int, nranks: Int, started: Date) {
        self.generation = generation
        self.nranks = nranks
        self.started = started
        cut = CutCoordinator(nranks: nranks, generation: generation)
        lastReport = started
        sent = Array(repeating: nil, count: nranks)
        drained = Array(repeating: false, count: nranks)
    }

    /// Ranks whose answer the current phase still needs (in the cut: those that have not reported yet).
    var awaited: [Int] {
        switch phase {
        case .cut: return (0..<nranks).filter { cut.latest[$0] == nil }
        case .counts: return (0..<nranks).filter { sent[$0] == nil }
        case .drain: return (0..<nranks).filter { !drained[$0] }
        case .quiescent: return []
        }
    }

    /// When `checkStall` has something to do; nil once the cut is reached.
    var stallDeadline: Date? {
        guard phase == .cut else { return nil }
        return lastReport.addingTimeInterval(cut.isStalled ? Self.stallInterval : Self.silenceInterval)
    }

    /// From CHECKPOINT until every rank had drained; nil before.
    var quiesceMilliseconds: Double? { allDrained.map { milliseconds(at: $0) } }

    /// Takes one line (CUTREPORT, SENT, DRAINED) from `rank`; lines of other generations are ignored.
    mutating func receive(_ line: ProtocolLine, from rank: Int, at now: Date) -> Action {
        if let other = line.integer("gen"), other != generation { return .wait }
        let message: CutMessage
        do {
            message = try CutMessage(line, nranks: nranks)
        } catch {
            return .fail("rank \(rank) sent a malformed \(line.verb) (\(error.problem))")
        }
        switch (message, phase) {
        case (.report(let report), .cut):
            guard report.rank == rank else { return .fail("rank \(rank) sent a CUTREPORT for rank \(report.rank)") }
            lastReport = now
            return decide(cut.receive(report), at: now)
        case (.report, _):
            return .wait  // sent before the rank saw CUT
        case (.sent(_, let row), .counts) where sent[rank] == nil:
            sent[rank] = row
            guard !sent.contains(nil) else { return .wait }
            countsComplete = now
            phase = .drain
            let columns = (0..<nranks).map { r in sent.map { $0![r] } }
            return .send(columns.map { CutMessage.expect(generation: generation, from: $0).line },
                         decision: "expected counts: " + columns.enumerated()
                            .map { "rank \($0.offset) from \(CutWire.text(counts: $0.element))" }.joined(separator: "; "))
        case (.drained, .drain) where !drained[rank]:
            drained[rank] = true
            guard !drained.contains(false) else { return .wait }
            allDrained = now
            phase = .quiescent
            return .send(toAll(.write(generation: generation)),
                         decision: "every rank drained after \(formatted(milliseconds(at: now))) ms; write")
        default:
            return .fail("rank \(rank) sent \(line.verb) out of turn (\(phase.doing))")
        }
    }

    /// The fallback for waits the ranks cannot report exactly: after `stallInterval`
    /// without a report while no rank can move on its own (CutCoordinator.isStalled),
    /// raise every communicator on which a rank is capped at its target. Never while a
    /// rank is running: a rank that computes between collectives must not push the cut on.
    mutating func checkStall(at now: Date) -> Action {
        guard let due = stallDeadline, now >= due else { return .wait }
        let silent = now.timeIntervalSince(lastReport)
        lastReport = now
        let raised = cut.raiseCappedAtTarget()
        guard !raised.isEmpty else { return .wait }
        return .send(toAll(.targets(generation: generation, targets: raised)),
                     decision: "no report for \(formatted((silent * 1000).rounded())) ms; raise capped targets \(describe(raised))")
    }

    private mutating func decide(_ decision: CutDecision, at now: Date) -> Action {
        switch decision {
        case .wait:
            return .wait
        case .raise(let targets):
            guard !targets.isEmpty else { return .wait }
            return .send(toAll(.targets(generation: generation, targets: targets)), decision: "raise targets \(describe(targets))")
        case .cutReached(let targets):
            cutReached = now
            phase = .counts
            return .send(toAll(.cut(generation: generation)),
                         decision: "cut reached after \(cut.raiseCount) raise\(cut.raiseCount == 1 ? "" : "s") in "
                            + "\(formatted(milliseconds(at: now))) ms at targets \(describe(targets))")
        case .failed(let failure):
            return .fail("the collective cut failed: \(describe(failure))")
        }
    }

    private func toAll(_ message: CutMessage) -> [ProtocolLine] { Array(repeating: message.line, count: nranks) }

    private func milliseconds(at date: Date) -> Double { date.timeIntervalSince(started) * 1000 }

    private func formatted(_ milliseconds: Double) -> String { String(format: "%.1f", milliseconds) }

    private func describe(_ targets: [CommID: Int]) -> String {
        targets.isEmpty ? "(none)" : targets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    private func describe(_ failure: CutFailure) -> String {
        switch failure {
        case .inconsistentMembers(let c):
            return "ranks disagree on the members of \(c)"
        case let .exceededTarget(rank, c, started, target):
            return "rank \(rank) started collective \(started) on \(c) beyond its target \(target)"
        case .unknownRank(let rank):
            return "a report from rank \(rank), outside the job"
        }
    }
}

extension Quiescence.Phase {
    /// What the ranks are doing in this phase, for error messages.
    var doing: String {
        switch self {
        case .cut: return "during the collective cut"
        case .counts: return "while the drain counts are gathered"
        case .drain: return "during the drain"
        case .quiescent: return "while the images are written"
        }
    }
}
