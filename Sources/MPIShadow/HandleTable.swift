import ShadowSlots

/// The virtual handles of one object kind. The table and its allocator are C
/// (Sources/UpperHalf/ShadowSlots/slots.c), shared with the face so that making and
/// completing a request never enters Swift; this is their Swift view. Callers hold
/// `ckpt_shadow_lock`.
struct HandleTable {
    let kind: UInt32

    init(kind: UInt32) { self.kind = kind }

    /// Live user handles; the face never asks, tests and replay do.
    var live: Int { Int(ckpt_slots_live(kind)) }

    /// The MPICH-style direct handle for `slot`.
    func handle(slot: UInt32) -> Int32 { ckpt_slots_handle(kind, slot) }

    /// A fresh virtual handle mapped to `realHandle`.
    func allocate(_ realHandle: UInt64) -> Int32 { ckpt_slots_alloc(kind, realHandle) }

    /// Sets the real handle behind `slot` (used for reserved slots and replay).
    func set(slot: UInt32, real r: UInt64) { ckpt_slots_set(kind, slot, r) }

    /// The real handle of `slot`, or 0.
    func realHandle(slot: UInt32) -> UInt64 { ckpt_slots_real(kind, slot) }

    /// Returns `slot` to the free list; its real handle reads as null from now on.
    func release(slot: UInt32) { ckpt_slots_release(kind, slot) }

    /// The slot holding `r`, searching the slots ever used (cold path: callbacks).
    func slot(ofReal r: UInt64) -> UInt32? {
        let s = ckpt_slots_find(kind, r)
        return s < 0 ? nil : UInt32(s)
    }
}
