// swift-tools-version:6.0
// ckpt-mpi: transparent checkpoint/restart for MPI jobs (split-process design, see ../shared/DESIGN.md).
import PackageDescription
import Foundation

/// An MPI implementation a lower half can be built against; skipped (with a note) when its headers are absent.
struct MPIFlavour {
    let name: String
    let target: String
    let header: String
    let includeDir: String
    let libDir: String
    /// Linked by file name: our own face is libmpi.so in the same build directory.
    let library: String
}

let flavours = [
    MPIFlavour(name: "openmpi", target: "LowerOpenMPI",
               header: "/usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h",
               includeDir: "/usr/lib/x86_64-linux-gnu/openmpi/include",
               libDir: "/usr/lib/x86_64-linux-gnu/openmpi/lib", library: ":libmpi.so.40"),
    MPIFlavour(name: "mpich", target: "LowerMPICH",
               header: "/usr/include/x86_64-linux-gnu/mpich/mpi.h",
               includeDir: "/usr/include/x86_64-linux-gnu/mpich",
               libDir: "/usr/lib/x86_64-linux-gnu", library: ":libmpich.so.12"),
]
let installed = flavours.filter { FileManager.default.fileExists(atPath: $0.header) }
for f in flavours where !installed.contains(where: { $0.name == f.name }) {
    FileHandle.standardError.write(Data("note: \(f.header) not found; ckpt-lower-\(f.name) is not built\n".utf8))
}

/// Linker version scripts: what each upper-half library exports into the application (Sources/UpperHalf/Exports).
func exportsOnly(_ map: String) -> LinkerSetting {
    .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/UpperHalf/Exports/\(map)"])
}

// The halves are built with frame pointers and without stack protector surprises across the FS switch;
// like every C target, with -Werror=missing-prototypes: a function shared between files is declared in a header.
let lowerC: [CSetting] = [.unsafeFlags(["-O2", "-fno-omit-frame-pointer", "-Wall", "-Werror=missing-prototypes"])]

/// Debian's libzstd (libzstd-dev), linked statically into the engine and the lower halves: the engine is
/// preloaded into every application, and libzstd.so there would join the application's namespace (an
/// application with its own libzstd, of another version, would get ours or we its). The archive is PIC;
/// engine.map keeps its symbols local, --exclude-libs does for the lower halves.
let zstdStatic: LinkerSetting = .unsafeFlags(["-Xlinker", "--exclude-libs=libzstd.a", "/usr/lib/x86_64-linux-gnu/libzstd.a"])

var targets: [Target] = [
    .target(name: "HalfABI", path: "Sources/HalfABI"),
    .target(name: "LowerCore", dependencies: ["HalfABI"], path: "Sources/LowerHalf/Core", cSettings: lowerC,
            linkerSettings: [zstdStatic]),
    .executableTarget(name: "LowerNoMPI", dependencies: ["LowerCore"], path: "Sources/LowerHalf/NoMPI",
                      cSettings: lowerC),
    .target(name: "ShadowSlots", path: "Sources/UpperHalf/ShadowSlots",
            cSettings: [.unsafeFlags(["-O2", "-Wall", "-Werror=missing-prototypes"])]),
    // The cut's rank rules and communicator ids (docs/consistent-cut.md): pure C, run by the face and
    // driven by the Swift simulations; local to libmpi.so (face.map exports none of it).
    .target(name: "CutRules", path: "Sources/CutRules",
            cSettings: [.unsafeFlags(["-O2", "-fvisibility=hidden", "-fno-stack-protector", "-Wall", "-Werror=missing-prototypes"])]),
    .target(name: "MPIShadow", dependencies: ["ShadowSlots", "CutRules"], path: "Sources/MPIShadow",
            swiftSettings: [.unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked", "-Xfrontend", "-disable-implicit-concurrency-module-import", "-Xfrontend", "-disable-implicit-string-processing-module-import"])]),
    .target(name: "Face", dependencies: ["HalfABI", "ShadowSlots", "CutRules", "MPIShadow"], path: "Sources/UpperHalf/Face",
            // -Werror=missing-prototypes: every shared function is declared in a header of the face (or the generated
            // face_mpi.generated.h), so each definition is checked against its one declaration.
            cSettings: [.unsafeFlags(["-O2", "-fno-omit-frame-pointer", "-fvisibility=hidden", "-fno-stack-protector", "-Wall",
                                      "-Werror=missing-prototypes"])],
            // -Bsymbolic-functions: the face's own calls (PMPI_Barrier inside a hand-written entry) must
            // stay inside it when libmpi.so.40, earlier in the global scope, defines the same names.
            linkerSettings: [.unsafeFlags(["-Xlinker", "-soname=libmpi.so.12", "-Xlinker", "-Bsymbolic-functions"]),
                             exportsOnly("face.map")]),
    // The Open MPI face (docs/openmpi-face.md): generated conversions in front of libmpi.so.12.
    .target(name: "OpenMPIFace", path: "Sources/UpperHalf/OpenMPIFace",
            cSettings: [.unsafeFlags(["-O2", "-fno-omit-frame-pointer", "-fvisibility=hidden", "-fno-stack-protector", "-Wall",
                                      "-Wno-unused-function"])],
            linkerSettings: [.unsafeFlags(["-Xlinker", "-soname=libmpi.so.40"]), .linkedLibrary("dl"),
                             exportsOnly("ompi_face.map")]),
    // Open MPI's libmpi_cxx.so.40 as a stub (docs/openmpi-face.md, "C++"): every symbol, none working.
    .target(name: "OpenMPICxx", path: "Sources/UpperHalf/OpenMPICxx",
            cSettings: [.unsafeFlags(["-O2", "-fvisibility=hidden", "-Wall", "-Werror=missing-prototypes"])],
            linkerSettings: [.unsafeFlags(["-Xlinker", "-soname=libmpi_cxx.so.40"]), .linkedLibrary("dl"),
                             exportsOnly("ompi_cxx.map")]),
    // Open MPI's libmpi_mpifh.so.40 (docs/openmpi-face.md, "Fortran"): generated mpif.h entries in front of
    // the Open MPI face, whose PMPI_ procedures they call (found in the application's global scope).
    .target(name: "OpenMPIFortran", path: "Sources/UpperHalf/OpenMPIFortran",
            cSettings: [.unsafeFlags(["-O2", "-fvisibility=hidden", "-fno-stack-protector", "-Wall",
                                      "-Werror=missing-prototypes"])],
            linkerSettings: [.unsafeFlags(["-Xlinker", "-soname=libmpi_mpifh.so.40"]), .linkedLibrary("dl"),
                             exportsOnly("ompi_mpifh.map")]),
    .target(name: "BindingsGen", path: "Sources/BindingsGen"),
    .executableTarget(name: "ckpt-mpi-gen", dependencies: ["BindingsGen"], path: "Sources/BindingsGenTool"),
    // fork + prctl + execve for the launcher, which Swift cannot do between fork and exec.
    .target(name: "CkptSpawn", path: "Sources/CkptSpawn", cSettings: [.unsafeFlags(["-O2", "-Wall", "-Werror=missing-prototypes"])]),
    // SHA-256/HMAC for the coordinator's TCP handshake: one C source for the coordinator and the engine.
    .target(name: "CkptHMAC", path: "Sources/CkptHMAC",
            cSettings: [.unsafeFlags(["-O2", "-fno-stack-protector", "-Wall", "-Werror=missing-prototypes"])]),
    // libzstd for inspect --verify of compressed images (the CLI is no upper half: the shared library is fine).
    .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
    .executableTarget(name: "CkptMPI",
                      dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser"), "MPIShadow",
                                     "CkptSpawn", "HalfABI", "CkptHMAC", "CZstd"],
                      path: "Sources/CkptMPI"),
    // Optimized even in debug builds: the cut's model-checking tests explore millions of
    // states, ten minutes unoptimized (most of `swift test`'s time in CI).
    .testTarget(name: "MPIShadowTests", dependencies: ["MPIShadow"], swiftSettings: [.unsafeFlags(["-O"])]),
    .testTarget(name: "CkptMPITests", dependencies: ["CkptMPI", "HalfABI", "CkptHMAC"]),
    .testTarget(name: "BindingsGenTests", dependencies: ["BindingsGen"]),
]
var products: [Product] = [
    .executable(name: "ckpt-mpi", targets: ["CkptMPI"]),
    .executable(name: "ckpt-lower-nompi", targets: ["LowerNoMPI"]),
    .executable(name: "ckpt-mpi-gen", targets: ["ckpt-mpi-gen"]),
    .library(name: "mpi", type: .dynamic, targets: ["Face"]),
    .library(name: "mpi-ompi", type: .dynamic, targets: ["OpenMPIFace"]),
    .library(name: "mpi_cxx-ompi", type: .dynamic, targets: ["OpenMPICxx"]),
    .library(name: "mpi_mpifh-ompi", type: .dynamic, targets: ["OpenMPIFortran"]),
]
// >>> checkpoint engine (Sources/UpperHalf/Engine, docs/image-format.md): libckpt-engine.so,
// preloaded into the upper half by `ckpt-lower-<mpi> --engine PATH`. Keep these lines.
targets.append(.target(name: "Engine", dependencies: ["HalfABI", "CkptHMAC"], path: "Sources/UpperHalf/Engine",
                       cSettings: [.unsafeFlags(["-O2", "-fno-omit-frame-pointer", "-fno-stack-protector", "-Wall", "-Werror=missing-prototypes"])],
                       linkerSettings: [exportsOnly("engine.map"), zstdStatic]))
products.append(.library(name: "ckpt-engine", type: .dynamic, targets: ["Engine"]))
// <<< checkpoint engine
for f in installed {
    targets.append(.executableTarget(
        name: f.target, dependencies: ["LowerCore"], path: "Sources/LowerHalf/\(f.target.dropFirst(5))",
        cSettings: lowerC + [.unsafeFlags(["-I\(f.includeDir)"])],
        linkerSettings: [.unsafeFlags(["-L\(f.libDir)", "-Xlinker", "-rpath=\(f.libDir)", "-l\(f.library)"])]))
    products.append(.executable(name: "ckpt-lower-\(f.name)", targets: [f.target]))
}

let package = Package(
    name: "ckpt-mpi",
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: targets
)
