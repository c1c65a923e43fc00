import XCTest
final class BindingsGenTestsPlaceholder: XCTestCase { func testNothing() { XCTAssertTrue(true) } }
