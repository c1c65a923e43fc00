/// What the face keeps about one MPI object beyond its real handle: things MPI lets
/// the application attach to it that must survive a change of lower half.
struct ObjectMetadata {
    var name: [UInt8] = []
    /// Virtual errhandler (communicators); nil means inherited default (ERRORS_ARE_FATAL).
    var errhandler: Int32?
    /// Attribute values by keyval, in insertion order (copy/delete callbacks run in that order).
    var attributes: [(keyval: Int32, value: UInt)] = []
}

/// Key of an object in the metadata map.
struct ObjectKey: Hashable {
    let kind: UInt32
    let handle: Int32
}
