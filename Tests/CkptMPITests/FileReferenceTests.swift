import Foundation
import HalfABI
import XCTest
@testable import CkptMPI

/// Image format 2: private file mappings stored by reference (docs/image-format.md).
final class FileReferenceTests: XCTestCase {
    func testFormatOneStillReadsAndOtherFormatsAreRefused() throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.path + "/rank-0000.img"
        FileManager.default.createFile(atPath: path, contents: fakeImage(rank: 0, nranks: 1, generation: 1, jobID: "",
                                                                         bytes: 4096, adjust: { $0.version = 1 }))
        XCTAssertEqual(try ImageFile(path: path).header.formatVersion, 1)
        XCTAssertEqual(try ImageFile(path: path).mappedFiles.count, 0)
        FileManager.default.createFile(atPath: path, contents: fakeImage(rank: 0, nranks: 1, generation: 1, jobID: "",
                                                                         bytes: 4096, adjust: { $0.version = 4 }))
        XCTAssertThrowsError(try ImageFile(path: path)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "\(path): image format version 4; this ckpt-mpi reads versions 1 to 3")
        }
        // Format 3: a feature bit this build does not know is refused; format 2 has no features.
        let unknownBit = UInt64(1) << 63
        FileManager.default.createFile(atPath: path, contents: fakeImage(
            rank: 0, nranks: 1, generation: 1, jobID: "", bytes: 4096,
            adjust: { $0.version = 3; $0.features = unknownBit }))
        XCTAssertThrowsError(try ImageFile(path: path)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "\(path): image uses features 0x8000000000000000 this ckpt-mpi does not read")
        }
        FileManager.default.createFile(atPath: path, contents: fakeImage(
            rank: 0, nranks: 1, generation: 1, jobID: "", bytes: 4096,
            adjust: { $0.version = 2; $0.features = unknownBit }))
        XCTAssertThrowsError(try ImageFile(path: path)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "\(path): image header is damaged (features in a format 2 image)")
        }
        // Format 1 had no file table: one that names files is damaged, not read half-way.
        FileManager.default.createFile(atPath: path, contents: fakeImage(
            rank: 0, nranks: 1, generation: 1, jobID: "", bytes: 4096,
            adjust: { $0.version = 1; $0.nfiles = 1; $0.files_off = 1600 }))
        XCTAssertThrowsError(try ImageFile(path: path)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "\(path): image header is damaged (tables out of bounds)")
        }
    }

    func testARegionByReferenceNeedsItsFileInTheTable() throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.path + "/rank-0000.img"
        let regionAt = 1600
        let image = fakeImage(rank: 0, nranks: 1, generation: 1, jobID: "", bytes: 4096,
                              adjust: { $0.nregions = 1; $0.regions_off = UInt64(regionAt) },
                              adjustMetadata: { meta in
                                  var g = ckpt_img_region()
                                  g.start = 0x10000
                                  g.end = 0x20000
                                  g.prot = 1
                                  g.kind = CKPT_REG_FILE_PRIVATE
                                  meta.withUnsafeMutableBytes { $0.storeBytes(of: g, toByteOffset: regionAt, as: ckpt_img_region.self) }
                              })
        FileManager.default.createFile(atPath: path, contents: image)
        XCTAssertThrowsError(try ImageFile(path: path)) {
            XCTAssertEqual(($0 as? CLIFailure)?.message, "\(path): image header is damaged (region 0 maps no file of the table)")
        }
    }

    func testAMappedFileIsCheckedBySizeAndTheHashTheWriterComputes() throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.path + "/libx.so"
        var bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        // The C writer's hash, over the file as a mapping reads it (the last page zero-padded).
        let padded = bytes + [UInt8](repeating: 0, count: 12_288 - bytes.count)
        let hash = padded.withUnsafeBytes { ckpt_img_file_hash($0.baseAddress, UInt64(bytes.count)) }
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        let file = ImageFile.MappedFile(path: path, device: UInt64(st.st_dev), inode: UInt64(st.st_ino),
                                        size: Int64(bytes.count), mtimeNs: 0, hash: ImageFile.hex(hash), unchanged: nil)
        XCTAssertNil(ImageFile.change(of: file))
        bytes[5000] ^= 1
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        // createFile replaces the file (another inode): what the message says
        XCTAssertEqual(ImageFile.change(of: file), "another file with other contents")
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 5000)
        try handle.write(contentsOf: [bytes[5000] ^ 1])  // back to the checkpoint's byte, in place
        try handle.seek(toOffset: 7000)
        try handle.write(contentsOf: [bytes[7000] ^ 1])
        try handle.close()
        XCTAssertEqual(stat(path, &st), 0)
        var sameInode = file
        sameInode.inode = UInt64(st.st_ino)
        XCTAssertNotNil(ImageFile.change(of: sameInode).flatMap { $0.hasPrefix("its contents") ? $0 : nil }, "an in-place write")
        FileManager.default.createFile(atPath: path, contents: Data(bytes.prefix(4096)))
        XCTAssertEqual(ImageFile.change(of: file), "4096 bytes, was 10000")
        try FileManager.default.removeItem(atPath: path)
        XCTAssertEqual(ImageFile.change(of: file), "missing: No such file or directory")
    }
}
