import Foundation
import XCTest

/// A fresh directory under the system temporary directory, removed by the test case's teardown.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let template = NSTemporaryDirectory() + "ckpt-mpi-cli-test.XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw POSIXError(.init(rawValue: errno)!) }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `name` in the directory with `mode`, returning the path.
    @discardableResult
    func file(_ name: String, _ contents: String = "", mode: Int = 0o644) throws -> String {
        let path = self.path + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode_t(mode))
        return path
    }

    /// A shell script at `name` running `body`.
    @discardableResult
    func script(_ name: String, _ body: String) throws -> String {
        try file(name, "#!/bin/sh\n" + body + "\n", mode: 0o755)
    }
}

/// What a finished helper process left behind.
struct ToolResult {
    let status: Int32
    let output: String
    let error: String
}

/// Runs a command to completion with stdin from /dev/null; the status is 128 + signal if it was killed.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
             whileRunning: ((Process) -> Void)? = nil) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    whileRunning?(process)
    // Small outputs only: stdout is drained first, so stderr must fit its pipe buffer.
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    return ToolResult(status: status, output: String(decoding: outputData, as: UTF8.self),
                      error: String(decoding: errorData, as: UTF8.self))
}

/// The path of `name` in the test process's PATH, if there.
func which(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
}

/// A set-up step that should have worked.
struct TestSetupError: Error, CustomStringConvertible {
    let description: String
}

/// Compiles `source` (C) with `compiler` and `flags` into `directory`: skips the test
/// (saying why) only when the compiler is not installed, fails it when compiling fails.
func compileC(_ source: String, with compiler: String, flags: [String] = [], in directory: TemporaryDirectory,
              name: String) throws -> String {
    guard let cc = which(compiler) else { throw XCTSkip("\(compiler) is not installed, so this case cannot be built") }
    let sourcePath = try directory.file(name + ".c", source)
    let output = directory.path + "/" + name
    let result = try runTool(cc, flags + ["-o", output, sourcePath])
    guard result.status == 0 else {
        throw TestSetupError(description: "\(compiler) \(flags) failed: \(result.output)\(result.error)")
    }
    return output
}

let trivialMPIProgram = """
    #include <mpi.h>
    int main(int argc, char **argv) { MPI_Init(&argc, &argv); MPI_Finalize(); return 0; }
    """

let trivialCProgram = "int main(void) { return 0; }\n"
