import XCTest
final class MPIShadowTestsPlaceholder: XCTestCase { func testNothing() { XCTAssertTrue(true) } }
