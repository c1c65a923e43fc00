internal import CutRules

/// A communicator's identity for the consistent cut (DESIGN §4.1): the same value on
/// every member, independent of the virtual or real handle (which differ per rank and
/// per lower half), and the same before and after a restart.
///
/// Scheme (the face computes it when a communicator-creating call returns):
///
/// - `MPI_COMM_WORLD` is `.world` (0). `MPI_COMM_SELF` and every communicator of
///   size 1 take no part in the cut (its collectives never wait for another rank):
///   the face does not count them.
/// - A communicator made by a collective on a parent (Comm_dup/idup, Comm_split,
///   Comm_split_type, Comm_create, Cart_create, Graph_create, Dist_graph_create*,
///   Cart_sub, Intercomm_merge, ...) is
///   `derived(parent: id(parent), creatingCall: n, lowestWorldRank: m)` where `n` is
///   the parent's started-collective count *including* the creating call (so the
///   first collective on a fresh parent that creates a communicator gives n = 1) and
///   `m` is the lowest `MPI_COMM_WORLD` rank in the new communicator's group (local ∪
///   remote group for an intercommunicator). All members of the new communicator
///   saw the same parent count (collectives on a communicator are called in the same
///   order by all its members) and have the same group, so they compute the same id;
///   the different colours of one Comm_split (or the disjoint groups of one
///   Comm_create) differ in `m`.
/// - A communicator made by a call that is collective over a *group* rather than a
///   parent (Comm_create_group, Intercomm_create) is
///   `group(parent:members:ordinal:)`: `members` is the sorted list of world ranks
///   taking part, `ordinal` counts this rank's earlier calls of that kind with the same
///   parent and the same member list (1 for the first). Such a call is itself a
///   collective over `members`: the face counts it on the pseudo-communicator
///   `group(parent:members:ordinal: 0)` whose members are `members`.
///
/// The mix is `cut_comm_id.h` (Sources/CutRules), the one the face runs. Ids are
/// 64-bit mixes, not the full path: the coordinator checks that all members
/// report the same member list for an id and fails the cut on a mismatch, so a
/// (astronomically unlikely) collision is detected, never silently merged.
public struct CommID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: UInt64

    public init(raw: UInt64) { self.raw = raw }

    /// `MPI_COMM_WORLD`.
    public static let world = CommID(raw: 0)

    /// The communicator created by the `creatingCall`-th collective on `parent`
    /// whose lowest world rank is `lowestWorldRank` (`cut_id_derived`, as the face computes it).
    public static func derived(parent: CommID, creatingCall: Int, lowestWorldRank: Int) -> CommID {
        CommID(raw: cut_id_derived(parent.raw, Int64(creatingCall), Int64(lowestWorldRank)))
    }

    /// The communicator created by a group-collective call (see the type's comment; `cut_id_group`).
    public static func group(parent: CommID, members: [Int], ordinal: Int) -> CommID {
        let ranks = members.map { Int32(truncatingIfNeeded: $0) }
        return CommID(raw: cut_id_group(parent.raw, ranks, Int32(ranks.count), Int64(ordinal)))
    }

    public static func < (a: CommID, b: CommID) -> Bool { a.raw < b.raw }

    public var description: String {
        if raw == 0 { return "world" }
        let hex = "0123456789abcdef"
        var s = "comm:"
        for shift in stride(from: 60, through: 0, by: -4) {
            s.append(hex[hex.index(hex.startIndex, offsetBy: Int((raw >> UInt64(shift)) & 0xf))])
        }
        return s
    }
}
