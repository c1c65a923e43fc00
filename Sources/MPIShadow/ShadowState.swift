import ShadowSlots

/// A C attribute copy callback (MPI_Comm_copy_attr_function / MPI_Type_copy_attr_function).
typealias CopyAttrFn = @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                                      UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> Int32
/// A C attribute delete callback.
typealias DeleteAttrFn = @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32

/// A real handle of one kind (reverse lookups).
struct RealKey: Hashable {
    let kind: UInt32
    let real: UInt64
}

/// A keyval made by MPI_Comm_create_keyval / MPI_Type_create_keyval.
struct Keyval {
    let objectKind: UInt32
    var copy: CopyAttrFn?
    var delete: DeleteAttrFn?
    let extraState: UnsafeMutableRawPointer?
    /// Freed by the application: no new attributes, but existing ones keep their callbacks (MPI-3.1 §6.7.2).
    var freed = false
}

/// The shadow state of one rank: every virtual handle, what each object carries, and
/// the constructor log. One owner, reached only through the C entry points in CAPI.swift.
final class ShadowState {
    var tables: [HandleTable] = (0..<UInt32(CKPT_SLOT_KINDS)).map { HandleTable(kind: $0) }
    var log = ConstructorLog()
    var metadata: [ObjectKey: ObjectMetadata] = [:]
    var keyvals: [Int32: Keyval] = [:]
    /// Reverse map of predefined real handles to their MPICH-ABI constants.
    var predefinedByReal: [RealKey: Int32] = [:]

    /// Splits a virtual handle into kind and slot if it is one of ours.
    static func slot(of handle: Int32, kind: UInt32) -> UInt32? {
        let u = UInt32(bitPattern: handle)
        guard u >> 30 == 2, (u >> 26) & 0xf == kind else { return nil }
        return u & CKPT_SLOT_MASK
    }

    /// A virtual handle for a real one the lower half just returned.
    func virtualFor(kind: UInt32, real: UInt64) -> Int32 {
        if let p = predefinedByReal[RealKey(kind: kind, real: real)],
           predefinedReal(kind: kind, handle: p) == real {
            return p
        }
        return tables[Int(kind)].allocate(real)
    }

    /// The real handle of a predefined constant.
    func predefinedReal(kind: UInt32, handle: Int32) -> UInt64 {
        let u = UInt32(bitPattern: handle)
        if u >> 30 == 2 { return tables[Int(kind)].realHandle(slot: u & CKPT_SLOT_MASK) }
        return ckpt_predef_base()[Int(kind) * 256 + Int(u & 0xff)]
    }

    /// Records the real handle of a predefined constant (pair datatypes live in reserved slots).
    func setPredefined(kind: UInt32, handle: Int32, real: UInt64) {
        let u = UInt32(bitPattern: handle)
        if u >> 30 == 2 {
            tables[Int(kind)].set(slot: u & CKPT_SLOT_MASK, real: real)
        } else {
            ckpt_predef_base()[Int(kind) * 256 + Int(u & 0xff)] = real
        }
        if real != 0 { predefinedByReal[RealKey(kind: kind, real: real)] = handle }
    }

    /// Forgets a user handle and everything attached to it.
    func release(kind: UInt32, handle: Int32) {
        guard let s = Self.slot(of: handle, kind: kind), s >= UInt32(CKPT_FIRST_USER_SLOT) else { return }
        tables[Int(kind)].release(slot: s)
        // Requests carry no metadata; skipping the hash keeps Wait cheap.
        if kind != 11 && !metadata.isEmpty { metadata[ObjectKey(kind: kind, handle: handle)] = nil }
    }

    /// The handle of a live object whose real handle is `real` (callbacks from the lower half).
    func lookup(kind: UInt32, real: UInt64) -> Int32? {
        if let p = predefinedByReal[RealKey(kind: kind, real: real)],
           predefinedReal(kind: kind, handle: p) == real {
            return p
        }
        return tables[Int(kind)].slot(ofReal: real).map { tables[Int(kind)].handle(slot: $0) }
    }

    // MARK: attributes

    /// Copies attributes for MPI_Comm_dup / MPI_Type_dup through the keyvals' copy callbacks.
    func copyAttributes(kind: UInt32, from parent: Int32, to child: Int32) -> Int32 {
        guard let attrs = metadata[ObjectKey(kind: kind, handle: parent)]?.attributes else { return 0 }
        for (kv, value) in attrs {
            guard let k = keyvals[kv], let copy = k.copy else { continue }
            var out: UInt = 0
            var flag: Int32 = 0
            let rc = withUnsafeMutablePointer(to: &out) { outPtr in
                copy(parent, kv, k.extraState, UnsafeMutableRawPointer(bitPattern: value), UnsafeMutableRawPointer(outPtr), &flag)
            }
            if rc != 0 { return rc }
            if flag != 0 { metadata[ObjectKey(kind: kind, handle: child), default: ObjectMetadata()].attributes.append((kv, out)) }
        }
        return 0
    }

    /// Runs delete callbacks of every attribute of an object about to be freed.
    func deleteAttributes(kind: UInt32, handle: Int32) -> Int32 {
        let key = ObjectKey(kind: kind, handle: handle)
        guard let attrs = metadata[key]?.attributes else { return 0 }
        for (kv, value) in attrs.reversed() {
            if let k = keyvals[kv], let del = k.delete {
                let rc = del(handle, kv, UnsafeMutableRawPointer(bitPattern: value), k.extraState)
                if rc != 0 { return rc }
            }
        }
        metadata[key]?.attributes = []
        return 0
    }

    /// Sets an attribute, deleting the previous value first as MPI requires.
    func setAttribute(kind: UInt32, handle: Int32, keyval: Int32, value: UInt) -> Int32 {
        let key = ObjectKey(kind: kind, handle: handle)
        if let rc = deleteOne(key: key, keyval: keyval), rc != 0 { return rc }
        metadata[key, default: ObjectMetadata()].attributes.append((keyval, value))
        return 0
    }

    /// Deletes one attribute, running its delete callback; nil if it was not set.
    func deleteOne(key: ObjectKey, keyval: Int32) -> Int32? {
        guard let i = metadata[key]?.attributes.firstIndex(where: { $0.keyval == keyval }) else { return nil }
        let value = metadata[key]!.attributes[i].value
        if let k = keyvals[keyval], let del = k.delete {
            let rc = del(key.handle, keyval, UnsafeMutableRawPointer(bitPattern: value), k.extraState)
            if rc != 0 { return rc }
        }
        metadata[key]!.attributes.remove(at: i)
        return 0
    }
}
