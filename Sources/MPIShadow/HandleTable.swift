import ShadowSlots

/// The virtual handles of one object kind: a dense array of real handles (published to
/// `ckpt_slots` for the face's inline lookups) plus a free list of slots.
struct HandleTable {
    let kind: UInt32
    private(set) var capacity: UInt32 = 0
    private var real: UnsafeMutablePointer<UInt64>?
    private var free: [UInt32] = []
    private var next: UInt32 = UInt32(CKPT_FIRST_USER_SLOT)
    /// Live user handles; the face never sees this, tests and replay do.
    private(set) var live = 0

    init(kind: UInt32) { self.kind = kind }

    /// The MPICH-style direct handle for `slot`.
    func handle(slot: UInt32) -> Int32 {
        Int32(bitPattern: (2 << 30) | (kind << 26) | slot)
    }

    /// A fresh virtual handle mapped to `realHandle`.
    mutating func allocate(_ realHandle: UInt64) -> Int32 {
        let slot: UInt32
        if let s = free.popLast() { slot = s } else {
            slot = next
            next += 1
            if slot >= capacity { grow(to: slot + 1) }
        }
        real![Int(slot)] = realHandle
        live += 1
        return handle(slot: slot)
    }

    /// Sets the real handle behind `slot` (used for reserved slots and replay).
    mutating func set(slot: UInt32, real r: UInt64) {
        if slot >= capacity { grow(to: slot + 1) }
        real![Int(slot)] = r
    }

    /// The real handle of `slot`, or 0.
    func realHandle(slot: UInt32) -> UInt64 { slot < capacity ? real![Int(slot)] : 0 }

    /// Returns `slot` to the free list; its real handle reads as null from now on.
    mutating func release(slot: UInt32) {
        guard slot >= UInt32(CKPT_FIRST_USER_SLOT), slot < next else { return }
        real![Int(slot)] = 0
        free.append(slot)
        live -= 1
    }

    /// The slot holding `r`, searching live user slots (cold path: callbacks).
    func slot(ofReal r: UInt64) -> UInt32? {
        guard r != 0, capacity > 0 else { return nil }
        for s in 0..<min(next, capacity) where real![Int(s)] == r { return s }
        return nil
    }

    /// Grows geometrically. The old array is kept, not freed: another thread may be
    /// reading it through the published pointer at this moment.
    private mutating func grow(to needed: UInt32) {
        var cap = max(capacity, 64)
        while cap < needed { cap *= 2 }
        let fresh = UnsafeMutablePointer<UInt64>.allocate(capacity: Int(cap))
        fresh.initialize(repeating: 0, count: Int(cap))
        if let old = real { fresh.update(from: old, count: Int(capacity)) }
        real = fresh
        capacity = cap
        let slots = ckpt_slots_base()!
        slots[Int(kind)].real = fresh
        slots[Int(kind)].capacity = cap
    }
}
