import XCTest
import ShadowSlots
@testable import MPIShadow

nonisolated(unsafe) private var deletes: [UInt] = []
nonisolated(unsafe) private var copies = 0

private let copyFn: @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                                    UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> Int32 = {
    _, _, _, attrIn, attrOut, flag in
    copies += 1
    let v = UInt(bitPattern: attrIn) + 1000
    attrOut!.assumingMemoryBound(to: UInt.self).pointee = v
    flag!.pointee = 1
    return 0
}
private let deleteFn: @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32 = {
    _, _, value, _ in
    deletes.append(UInt(bitPattern: value))
    return 0
}

/// Keyvals and attributes run the application's callbacks in the upper half.
final class AttributeTests: XCTestCase {
    func testSetGetDeleteRunsDeleteCallbackAndDupRunsCopyCallback() {
        let comm: UInt32 = 1
        deletes = []
        copies = 0
        let kv = ckpt_shadow_keyval_create(comm, unsafeBitCast(copyFn, to: UnsafeRawPointer.self),
                                           unsafeBitCast(deleteFn, to: UnsafeRawPointer.self), nil)
        let c = ckpt_shadow_alloc(comm, 0x100)
        XCTAssertEqual(ckpt_shadow_attr_set(comm, c, kv, 7), 0)
        var v: UInt = 0
        XCTAssertEqual(ckpt_shadow_attr_get(comm, c, kv, &v), 1)
        XCTAssertEqual(v, 7)
        XCTAssertEqual(ckpt_shadow_attr_set(comm, c, kv, 8), 0, "replacing deletes the old value")
        XCTAssertEqual(deletes, [7])

        let d = ckpt_shadow_alloc(comm, 0x101)
        XCTAssertEqual(ckpt_shadow_derived(comm, c, d, 1), 0)
        XCTAssertEqual(copies, 1)
        XCTAssertEqual(ckpt_shadow_attr_get(comm, d, kv, &v), 1)
        XCTAssertEqual(v, 1008)

        XCTAssertEqual(ckpt_shadow_freeing(comm, d), 0)
        XCTAssertEqual(deletes, [7, 1008])
        XCTAssertEqual(ckpt_shadow_attr_delete(comm, c, kv), 0)
        XCTAssertEqual(deletes, [7, 1008, 8])
        XCTAssertEqual(ckpt_shadow_attr_get(comm, c, kv, &v), 0)
        XCTAssertEqual(ckpt_shadow_attr_get(3, c, kv, &v), -1, "a comm keyval is not a datatype keyval")
        XCTAssertEqual(ckpt_shadow_keyval_free(comm, kv), 0)
        XCTAssertEqual(ckpt_shadow_keyval_free(comm, kv), 0, "freed again through a copy of the handle")
        XCTAssertEqual(ckpt_shadow_keyval_free(3, kv), -1, "not a datatype keyval")
        XCTAssertEqual(ckpt_shadow_attr_set(comm, c, kv, 1), -1, "freed keyval")
    }
}
