import Foundation
import XCTest
@testable import CkptMPI

/// `--interval` values.
final class CheckpointIntervalTests: XCTestCase {
    func testUnitsConvertToSeconds() {
        XCTAssertEqual(CheckpointInterval(argument: "30s")?.seconds, 30)
        XCTAssertEqual(CheckpointInterval(argument: "10m")?.seconds, 600)
        XCTAssertEqual(CheckpointInterval(argument: "1h")?.seconds, 3600)
        XCTAssertEqual(CheckpointInterval(argument: "2d")?.seconds, 172_800)
        XCTAssertEqual(CheckpointInterval(argument: "90")?.seconds, 90)
        XCTAssertEqual(CheckpointInterval(argument: "5min")?.seconds, 300)
        XCTAssertEqual(CheckpointInterval(argument: "15M")?.seconds, 900)
    }

    func testNonsenseIsRejected() {
        for text in ["", "s", "0", "0s", "-5m", "10x", "1.5h", "10 m", "1h30m", "m10", "99999999999999999999d"] {
            XCTAssertNil(CheckpointInterval(argument: text), text)
        }
    }

    func testThrowingParserExplainsTheFormat() {
        XCTAssertThrowsError(try CheckpointInterval(parsing: "soon")) { error in
            XCTAssertTrue("\(error)".contains("30s, 10m, 1h"), "\(error)")
        }
        XCTAssertEqual(try CheckpointInterval(parsing: "10m"), CheckpointInterval(seconds: 600))
    }
}
