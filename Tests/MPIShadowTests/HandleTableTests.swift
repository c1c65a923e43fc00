import XCTest
import ShadowSlots
@testable import MPIShadow

/// The shadow tables as the face uses them: through the C entry points and the inline lookup.
final class HandleTableTests: XCTestCase {
    let comm: UInt32 = 1, datatype: UInt32 = 3, request: UInt32 = 11

    func testAllocatedHandlesAreMPICHDirectHandlesOfTheirKind() {
        let h = ckpt_shadow_alloc(comm, 0xdead_beef)
        let u = UInt32(bitPattern: h)
        XCTAssertEqual(u >> 30, 2, "direct handle")
        XCTAssertEqual((u >> 26) & 0xf, comm)
        XCTAssertGreaterThanOrEqual(u & CKPT_SLOT_MASK, UInt32(CKPT_FIRST_USER_SLOT))
        XCTAssertEqual(ckpt_to_real(comm, h), 0xdead_beef)
        XCTAssertEqual(ckpt_to_real(datatype, h), 0, "a handle of another kind must not translate")
        ckpt_shadow_release(comm, h)
        XCTAssertEqual(ckpt_to_real(comm, h), 0)
    }

    func testReleasedSlotsAreReusedAndTableGrowsPastItsFirstCapacity() {
        var handles: [Int32] = []
        for i in 1...1000 { handles.append(ckpt_shadow_alloc(request, UInt64(i))) }
        XCTAssertEqual(Set(handles).count, 1000)
        for (i, h) in handles.enumerated() { XCTAssertEqual(ckpt_to_real(request, h), UInt64(i + 1)) }
        let live = ckpt_shadow_live(request)
        ckpt_shadow_release(request, handles[10])
        XCTAssertEqual(ckpt_shadow_live(request), live - 1)
        let again = ckpt_shadow_alloc(request, 77)
        XCTAssertEqual(again, handles[10], "the freed slot is reused first")
        XCTAssertEqual(ckpt_to_real(request, again), 77)
        for h in handles { ckpt_shadow_release(request, h) }
    }

    func testPredefinedHandlesTranslateAndReverseLookupFindsThem() {
        let mpiInt = Int32(bitPattern: 0x4c00_0405)
        ckpt_shadow_set_predefined(datatype, mpiInt, 0x1234)
        XCTAssertEqual(ckpt_to_real(datatype, mpiInt), 0x1234)
        XCTAssertEqual(ckpt_shadow_virtual_new(datatype, 0x1234), mpiInt, "a predefined real maps back to its constant")
        XCTAssertEqual(ckpt_shadow_lookup(datatype, 0x1234, 0), mpiInt)
        let pair = Int32(bitPattern: 0x8c00_0001) // MPI_DOUBLE_INT lives in a reserved direct slot
        ckpt_shadow_set_predefined(datatype, pair, 0x5678)
        XCTAssertEqual(ckpt_to_real(datatype, pair), 0x5678)
        let nullType = Int32(bitPattern: 0x0c00_0000)
        XCTAssertEqual(ckpt_to_real(datatype, nullType), 0)
    }

    func testConstructorCallsAreRecordedInOrder() {
        let before = ckpt_shadow_record_count()
        var w1: [UInt64] = [1, 2, 3]
        var w2: [UInt64] = [9]
        ckpt_shadow_record(40, &w1, 3)
        ckpt_shadow_record(41, &w2, 1)
        XCTAssertEqual(ckpt_shadow_record_count(), before + 2)
        XCTAssertEqual(Array(recordedCalls().suffix(2)),
                       [RecordedCall(procedure: 40, words: [1, 2, 3]), RecordedCall(procedure: 41, words: [9])])
    }

    func testNamesAndErrhandlersStayWithTheirObject() {
        let h = ckpt_shadow_alloc(comm, 0x42)
        ckpt_shadow_set_name(comm, h, "ring", 127)
        var buf = [CChar](repeating: 0, count: 128)
        XCTAssertEqual(ckpt_shadow_get_name(comm, h, &buf, 128), 4)
        XCTAssertEqual(String(cString: buf), "ring")
        XCTAssertEqual(ckpt_shadow_get_errhandler(h, -1), -1)
        ckpt_shadow_set_errhandler(h, 0x5400_0001)
        let child = ckpt_shadow_alloc(comm, 0x43)
        XCTAssertEqual(ckpt_shadow_derived(comm, h, child, 0), 0)
        XCTAssertEqual(ckpt_shadow_get_errhandler(child, -1), 0x5400_0001, "derived communicators inherit the errhandler")
        ckpt_shadow_release(comm, h)
        XCTAssertEqual(ckpt_shadow_get_name(comm, h, &buf, 128), -1, "metadata goes with the handle")
        ckpt_shadow_release(comm, child)
    }
}
