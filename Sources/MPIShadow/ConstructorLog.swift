/// One recorded constructor or mutator call, in program order (DESIGN §3): the
/// procedure id of the generated face and its arguments as words (virtual handles,
/// scalars). Replay on restart walks this log against a fresh lower half.
public struct RecordedCall: Equatable, Sendable {
    /// Index of the procedure in spec/mpi-api.json (`enum ckpt_fn_id` in the face).
    public let procedure: UInt32
    /// The arguments, one word each; arrays and buffers are recorded as 0 for now.
    public let words: [UInt64]
}

/// The ordered record of every object-creating call.
struct ConstructorLog {
    private(set) var calls: [RecordedCall] = []

    mutating func append(_ c: RecordedCall) { calls.append(c) }
}
