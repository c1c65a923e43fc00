// ckpt-mpi-gen: regenerates the face, the call table and the lower-half shims from spec/.
// Usage: ckpt-mpi-gen [--root DIR] [--check]   (--check: exit 1 if a committed file is stale)
import BindingsGen
import Foundation

var root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
var check = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--root": root = URL(fileURLWithPath: args.popFirst() ?? ".")
    case "--check": check = true
    default:
        FileHandle.standardError.write(Data("ckpt-mpi-gen: unknown argument \(a)\n".utf8))
        exit(2)
    }
}
do {
    let gen = try Generator(root: root)
    var stale: [String] = []
    for (path, text) in gen.files().sorted(by: { $0.key < $1.key }) {
        let url = root.appendingPathComponent(path)
        let old = try? String(contentsOf: url, encoding: .utf8)
        if old == text { continue }
        if check { stale.append(path); continue }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        print("wrote \(path)")
    }
    if !stale.isEmpty {
        FileHandle.standardError.write(Data("ckpt-mpi-gen: stale generated files: \(stale.joined(separator: ", "))\n".utf8))
        exit(1)
    }
} catch {
    FileHandle.standardError.write(Data("ckpt-mpi-gen: \(error)\n".utf8))
    exit(1)
}
