import Foundation

/// One parameter of an MPI procedure as the MPI Forum's API describes it.
public struct SpecParam: Codable, Sendable {
    public let name: String
    public let ctype: String
    public let kind: String
    public let dir: String
    public let length: String?
    public let array: Bool
}

/// One MPI procedure: its ISO C prototype plus semantic kinds (spec/mpi-api.json).
public struct SpecProcedure: Codable, Sendable {
    public let name: String
    public let ret: String
    public let params: [SpecParam]
    /// Declared by MPICH 4.0's headers, i.e. part of the face's ABI.
    public let mpich: Bool?

    /// The name without its `MPI_` prefix, used for call-table members.
    public var short: String { String(name.dropFirst(4)) }
}

/// A constant of the MPICH ABI (spec/mpich-abi.json).
public struct ABIConstant: Codable, Sendable {
    public let type: String
    public let value: Int64
}

/// Everything the generator reads.
public struct Spec: Sendable {
    public let procedures: [SpecProcedure]
    public let constants: [(name: String, value: ABIConstant)]
    /// Function names (MPI_/MPIX_, without the PMPI_ twin) MPICH's libmpi.so.12 defines (spec/mpich-exports.txt).
    public let mpichExportedFunctions: [String]

    /// Loads the committed spec files from `specDir`.
    public init(specDir: URL) throws {
        let api = try Data(contentsOf: specDir.appendingPathComponent("mpi-api.json"))
        // Procedures removed in MPI-3 are not in the Forum's API; they come last so that the
        // CKPT_FN_* numbers of the others (kept in checkpoint images) do not move.
        let removed = try Data(contentsOf: specDir.appendingPathComponent("mpi-removed.json"))
        procedures = try JSONDecoder().decode([SpecProcedure].self, from: api)
            + JSONDecoder().decode([SpecProcedure].self, from: removed)
        let abi = try Data(contentsOf: specDir.appendingPathComponent("mpich-abi.json"))
        let dict = try JSONDecoder().decode([String: ABIConstant].self, from: abi)
        constants = dict.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let exports = try String(contentsOf: specDir.appendingPathComponent("mpich-exports.txt"), encoding: .utf8)
        var fns = Set<String>()
        for line in exports.split(separator: "\n") where line.hasPrefix("function ") {
            let name = line.dropFirst("function ".count)
            fns.insert(String(name.hasPrefix("PMPI") ? name.dropFirst() : name))
        }
        mpichExportedFunctions = fns.sorted()
    }

    /// The constant named `name`, which must exist.
    public func constant(_ name: String) -> ABIConstant? {
        constants.first { $0.name == name }?.value
    }
}
