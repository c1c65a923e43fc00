import ShadowSlots

/// The one owner of a rank's shadow state. Every access goes through the C entry
/// points below, serialised by `ckpt_shadow_lock` when the application is multi-threaded.
nonisolated(unsafe) let shadow = ShadowState()

@inline(__always) private func locked<T>(_ body: () -> T) -> T {
    ckpt_shadow_lock()
    defer { ckpt_shadow_unlock() }
    return body()
}

/// Allocates a virtual handle for a real one returned by the lower half (predefined reals map back to their constants).
@_cdecl("ckpt_shadow_virtual_new")
public func ckpt_shadow_virtual_new(_ kind: UInt32, _ real: UInt64) -> Int32 {
    locked { shadow.virtualFor(kind: kind, real: real) }
}

/// Releases a virtual handle whose object the lower half freed.
@_cdecl("ckpt_shadow_release")
public func ckpt_shadow_release(_ kind: UInt32, _ handle: Int32) {
    locked { shadow.release(kind: kind, handle: handle) }
}

/// Records the real handle of a predefined MPICH-ABI constant.
@_cdecl("ckpt_shadow_set_predefined")
public func ckpt_shadow_set_predefined(_ kind: UInt32, _ handle: Int32, _ real: UInt64) {
    locked { shadow.setPredefined(kind: kind, handle: handle, real: real) }
}

/// The virtual handle of a live object with this real handle, or `fallback`.
@_cdecl("ckpt_shadow_lookup")
public func ckpt_shadow_lookup(_ kind: UInt32, _ real: UInt64, _ fallback: Int32) -> Int32 {
    locked { shadow.lookup(kind: kind, real: real) ?? fallback }
}

/// Appends a constructor call to the record (DESIGN §3).
@_cdecl("ckpt_shadow_record")
public func ckpt_shadow_record(_ procedure: UInt32, _ words: UnsafePointer<UInt64>?, _ count: UInt32) {
    let w = words.map { Array(UnsafeBufferPointer(start: $0, count: Int(count))) } ?? []
    locked { shadow.log.append(RecordedCall(procedure: procedure, words: w)) }
}

/// Number of recorded constructor calls.
@_cdecl("ckpt_shadow_record_count")
public func ckpt_shadow_record_count() -> UInt64 {
    locked { UInt64(shadow.log.calls.count) }
}

/// Copies recorded call `index` into `out` (up to `cap` words); returns its word count.
@_cdecl("ckpt_shadow_record_copy")
public func ckpt_shadow_record_copy(_ index: UInt64, _ fn: UnsafeMutablePointer<UInt32>,
                                    _ out: UnsafeMutablePointer<UInt64>, _ cap: UInt32) -> UInt32 {
    locked {
        let c = shadow.log.calls[Int(index)]
        fn.pointee = c.procedure
        for (i, w) in c.words.prefix(Int(cap)).enumerated() { out[i] = w }
        return UInt32(c.words.count)
    }
}

/// The recorded calls, for tests and replay.
public func recordedCalls() -> [RecordedCall] { locked { shadow.log.calls } }

// MARK: names and errhandlers

/// Sets an object's name (MPI_Comm_set_name, MPI_Type_set_name); truncated to `max` bytes.
@_cdecl("ckpt_shadow_set_name")
public func ckpt_shadow_set_name(_ kind: UInt32, _ handle: Int32, _ name: UnsafePointer<CChar>, _ max: Int32) {
    var bytes: [UInt8] = []
    var p = name
    while p.pointee != 0 && bytes.count < Int(max) {
        bytes.append(UInt8(bitPattern: p.pointee))
        p += 1
    }
    locked { shadow.metadata[ObjectKey(kind: kind, handle: handle), default: ObjectMetadata()].name = bytes }
}

/// Copies an object's name into `out` (NUL-terminated); returns its length, or -1 if it has none.
@_cdecl("ckpt_shadow_get_name")
public func ckpt_shadow_get_name(_ kind: UInt32, _ handle: Int32, _ out: UnsafeMutablePointer<CChar>, _ cap: Int32) -> Int32 {
    let name: [UInt8]? = locked { shadow.metadata[ObjectKey(kind: kind, handle: handle)]?.name }
    guard let n = name else { return -1 }
    let len = min(n.count, Int(cap) - 1)
    for i in 0..<len { out[i] = CChar(bitPattern: n[i]) }
    out[len] = 0
    return Int32(len)
}

/// Sets the virtual errhandler of a communicator.
@_cdecl("ckpt_shadow_set_errhandler")
public func ckpt_shadow_set_errhandler(_ comm: Int32, _ errhandler: Int32) {
    locked { shadow.metadata[ObjectKey(kind: 1, handle: comm), default: ObjectMetadata()].errhandler = errhandler }
}

/// The virtual errhandler of a communicator, or `fallback` if none was set.
@_cdecl("ckpt_shadow_get_errhandler")
public func ckpt_shadow_get_errhandler(_ comm: Int32, _ fallback: Int32) -> Int32 {
    locked { shadow.metadata[ObjectKey(kind: 1, handle: comm)]?.errhandler ?? fallback }
}

// MARK: keyvals and attributes

/// Creates a keyval for objects of `objectKind`; returns its virtual handle (kind KEYVAL).
@_cdecl("ckpt_shadow_keyval_create")
public func ckpt_shadow_keyval_create(_ objectKind: UInt32, _ copy: UnsafeRawPointer?, _ delete: UnsafeRawPointer?,
                                      _ extra: UnsafeMutableRawPointer?) -> Int32 {
    let kv = Keyval(objectKind: objectKind,
                    copy: copy.map { unsafeBitCast($0, to: CopyAttrFn.self) },
                    delete: delete.map { unsafeBitCast($0, to: DeleteAttrFn.self) },
                    extraState: extra)
    return locked {
        let h = shadow.tables[9].allocate(1)
        shadow.keyvals[h] = kv
        return h
    }
}

/// Replaces a keyval's copy and delete functions, returning the old ones in `oldCopy`/`oldDelete`
/// (MPICH's Fortran binding: the functions it registered take their arguments by reference,
/// and the face puts C trampolines in their place); -1 for an unknown keyval.
@_cdecl("ckpt_shadow_keyval_swap_fns")
public func ckpt_shadow_keyval_swap_fns(_ keyval: Int32, _ copy: UnsafeRawPointer?, _ delete: UnsafeRawPointer?,
                                        _ oldCopy: UnsafeMutablePointer<UnsafeRawPointer?>,
                                        _ oldDelete: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int32 {
    locked {
        guard let k = shadow.keyvals[keyval] else { return -1 }
        oldCopy.pointee = k.copy.map { unsafeBitCast($0, to: UnsafeRawPointer.self) }
        oldDelete.pointee = k.delete.map { unsafeBitCast($0, to: UnsafeRawPointer.self) }
        shadow.keyvals[keyval]!.copy = copy.map { unsafeBitCast($0, to: CopyAttrFn.self) }
        shadow.keyvals[keyval]!.delete = delete.map { unsafeBitCast($0, to: DeleteAttrFn.self) }
        return 0
    }
}

/// Frees a keyval; returns 0, or -1 if it is not a keyval of `objectKind`. Freeing it again
/// through a copy of the handle (a delete callback's, say) succeeds, as in MPICH.
@_cdecl("ckpt_shadow_keyval_free")
public func ckpt_shadow_keyval_free(_ objectKind: UInt32, _ keyval: Int32) -> Int32 {
    locked {
        guard shadow.keyvals[keyval]?.objectKind == objectKind else { return -1 }
        shadow.keyvals[keyval]!.freed = true
        return 0
    }
}

/// Sets an attribute; returns the delete callback's error, 0, or -1 for an unknown keyval.
@_cdecl("ckpt_shadow_attr_set")
public func ckpt_shadow_attr_set(_ kind: UInt32, _ handle: Int32, _ keyval: Int32, _ value: UInt) -> Int32 {
    ckpt_shadow_lock()
    guard shadow.keyvals[keyval]?.objectKind == kind, shadow.keyvals[keyval]?.freed == false else {
        ckpt_shadow_unlock()
        return -1
    }
    ckpt_shadow_unlock()
    // Callbacks run unlocked: they may call MPI.
    return shadow.setAttribute(kind: kind, handle: handle, keyval: keyval, value: value)
}

/// Reads an attribute; returns 1 and stores the value if it is set, 0 if not, -1 for an unknown keyval.
@_cdecl("ckpt_shadow_attr_get")
public func ckpt_shadow_attr_get(_ kind: UInt32, _ handle: Int32, _ keyval: Int32, _ value: UnsafeMutablePointer<UInt>) -> Int32 {
    locked {
        guard shadow.keyvals[keyval]?.objectKind == kind, shadow.keyvals[keyval]?.freed == false else { return -1 }
        guard let v = shadow.metadata[ObjectKey(kind: kind, handle: handle)]?.attributes
            .first(where: { $0.keyval == keyval })?.value else { return 0 }
        value.pointee = v
        return 1
    }
}

/// Deletes an attribute; returns the delete callback's error, 0, or -1 for an unknown keyval or unset attribute.
@_cdecl("ckpt_shadow_attr_delete")
public func ckpt_shadow_attr_delete(_ kind: UInt32, _ handle: Int32, _ keyval: Int32) -> Int32 {
    guard locked({ shadow.keyvals[keyval]?.objectKind == kind }) else { return -1 }
    return shadow.deleteOne(key: ObjectKey(kind: kind, handle: handle), keyval: keyval) ?? -1
}

/// A new object was made from `parent`: inherit its errhandler, and copy attributes when duplicating.
@_cdecl("ckpt_shadow_derived")
public func ckpt_shadow_derived(_ kind: UInt32, _ parent: Int32, _ child: Int32, _ isDup: Int32) -> Int32 {
    if kind == 1, let eh = locked({ shadow.metadata[ObjectKey(kind: 1, handle: parent)]?.errhandler }) {
        ckpt_shadow_set_errhandler(child, eh)
    }
    return isDup != 0 ? shadow.copyAttributes(kind: kind, from: parent, to: child) : 0
}

/// An object is about to be freed: run its attributes' delete callbacks.
@_cdecl("ckpt_shadow_freeing")
public func ckpt_shadow_freeing(_ kind: UInt32, _ handle: Int32) -> Int32 {
    shadow.deleteAttributes(kind: kind, handle: handle)
}
