/// An MPI handle type the face virtualises.
public struct HandleType: Sendable, Equatable {
    /// C type name in the MPICH ABI, e.g. `MPI_Comm`.
    public let cType: String
    /// Shadow-table kind (MPICH's object-kind bits), e.g. `CKPT_KIND_COMM`.
    public let kind: String
    /// The implementation's null constant, e.g. `MPI_COMM_NULL`.
    public let nullName: String

    /// Every virtualised handle type.
    public static let all: [HandleType] = [
        HandleType(cType: "MPI_Comm", kind: "CKPT_KIND_COMM", nullName: "MPI_COMM_NULL"),
        HandleType(cType: "MPI_Group", kind: "CKPT_KIND_GROUP", nullName: "MPI_GROUP_NULL"),
        HandleType(cType: "MPI_Datatype", kind: "CKPT_KIND_DATATYPE", nullName: "MPI_DATATYPE_NULL"),
        HandleType(cType: "MPI_Errhandler", kind: "CKPT_KIND_ERRHANDLER", nullName: "MPI_ERRHANDLER_NULL"),
        HandleType(cType: "MPI_Op", kind: "CKPT_KIND_OP", nullName: "MPI_OP_NULL"),
        HandleType(cType: "MPI_Info", kind: "CKPT_KIND_INFO", nullName: "MPI_INFO_NULL"),
        HandleType(cType: "MPI_Request", kind: "CKPT_KIND_REQUEST", nullName: "MPI_REQUEST_NULL"),
        HandleType(cType: "MPI_Message", kind: "CKPT_KIND_REQUEST", nullName: "MPI_MESSAGE_NULL"),
        HandleType(cType: "MPI_Win", kind: "CKPT_KIND_WIN", nullName: "MPI_WIN_NULL"),
        // A pointer in both MPIs' ABIs; the face keeps its virtual int handle in the pointer's bits.
        HandleType(cType: "MPI_File", kind: "CKPT_KIND_FILE", nullName: "MPI_FILE_NULL"),
    ]

    /// Kinds whose objects are rebuilt by replay on restart, so their constructors are recorded.
    /// Files are not: face_file.c keeps what reopening one needs (open, view, pointers).
    public var recorded: Bool { cType != "MPI_Request" && cType != "MPI_Message" && cType != "MPI_File" }
}

/// A C type split into qualifiers, base name and pointer depth.
public struct CType: Sendable {
    public let isConst: Bool
    public let base: String
    public let pointers: Int
    /// `int (*)[3]`: Group_range_incl/excl.
    public let rowsOf3: Bool

    /// Parses the spec's C type strings ("const MPI_Datatype *", "MPI_Comm*", "int (*)[3]").
    public init(_ text: String) {
        var t = text
        rowsOf3 = t.contains("(*)[3]")
        t = t.replacingOccurrences(of: "(*)[3]", with: "")
        isConst = t.hasPrefix("const ")
        if isConst { t.removeFirst(6) }
        pointers = t.filter { $0 == "*" }.count
        base = t.replacingOccurrences(of: "*", with: "").trimmingCharacters(in: .whitespaces)
    }

    /// The handle type this names (at any pointer depth), if any.
    public var handle: HandleType? { HandleType.all.first { $0.cType == base } }
}

/// What the generator does with one parameter.
public enum ParamRole: Sendable {
    case handleIn(HandleType)
    case handleOut(HandleType)
    case handleInOut(HandleType)
    /// A handle passed by pointer that the call reads but does not replace (MPI_Cancel).
    case handleInPtr(HandleType)
    case handleArrayIn(HandleType, length: String)
    case handleArrayOut(HandleType, length: String)
    case handleArrayInOut(HandleType, length: String)
    case statusOut
    /// MPI_STATUSES_IGNORE or an array filled by the (hand-written) lower half.
    case statusArrayOut
    case buffer
    case rankIn
    case rankOut
    /// Ranks in an array (MPI_PROC_NULL differs between implementations).
    case rankArrayIn(length: String)
    case rankArrayOut(length: String)
    case enumIn(String)
    case enumOut(String)
    case enumArrayIn(String, length: String)
    case weights
    case plain
    case unsupported(String)
}

import Foundation

/// Classifies parameters and derives C signatures for both sides of the call table.
public struct Classifier: Sendable {
    let enumKinds: [String: [String]]

    /// Builds a classifier whose COMBINER kind lists every combiner in the ABI constants.
    public init(spec: Spec) {
        var kinds = Annotations.enumKinds
        // The *_INTEGER combiners of MPI-1 Fortran were removed in MPI-3; Open MPI 4 lacks them.
        let removed: Set<String> = ["MPI_COMBINER_HINDEXED_INTEGER", "MPI_COMBINER_HVECTOR_INTEGER",
                                    "MPI_COMBINER_STRUCT_INTEGER"]
        kinds["COMBINER"] = spec.constants.map(\.name).filter { $0.hasPrefix("MPI_COMBINER_") && !removed.contains($0) }
        enumKinds = kinds
    }

    /// The MPICH constant names that an enum kind converts.
    public func constants(ofEnum kind: String) -> [String] { enumKinds[kind] ?? [] }

    static let unsupportedKinds: Set<String> = [
        "FUNCTION", "POLYFUNCTION", "ATTRIBUTE_VAL", "ATTRIBUTE_VAL_10", "EXTRA_STATE", "EXTRA_STATE2",
        "SESSION", "KEYVAL", "STRING_ARRAY", "STRING_2DARRAY", "ARGUMENT_LIST",
        "ARGUMENT_COUNT", "VARARGS", "F90_STATUS", "F08_STATUS",
    ]

    /// The role of `p` in procedure `proc`.
    public func role(_ p: SpecParam, in proc: SpecProcedure) -> ParamRole {
        let c = CType(p.ctype)
        if Self.unsupportedKinds.contains(p.kind) || p.kind.hasPrefix("PVAR") || p.kind.hasPrefix("CVAR")
            || p.kind.hasPrefix("EVENT") || c.base.hasSuffix("_function") {
            return .unsupported(p.kind)
        }
        if let h = c.handle {
            if p.array {
                guard let len = p.length, len != "*", proc.params.contains(where: { $0.name == len }) else {
                    return .unsupported("\(c.base) array of unknown length")
                }
                switch p.dir {
                case "out": return .handleArrayOut(h, length: len)
                case "inout": return .handleArrayInOut(h, length: len)
                default: return .handleArrayIn(h, length: len)
                }
            }
            if c.pointers == 0 { return .handleIn(h) }
            switch p.dir {
            case "out": return .handleOut(h)
            case "inout": return .handleInOut(h)
            default: return .handleInPtr(h)
            }
        }
        if c.base == "MPI_Status" {
            if p.array && p.dir == "out" { return .statusArrayOut }
            return p.array || p.dir == "in" || p.dir == "inout" ? .unsupported("status in") : .statusOut
        }
        if p.kind == "BUFFER" && c.pointers == 1 && c.base == "void" { return .buffer }
        if (p.kind == "RANK" || p.kind == "RANK_NNI") && !p.array && c.pointers == 0 { return .rankIn }
        if (p.kind == "RANK" || p.kind == "RANK_NNI") && !p.array && c.pointers == 1 && p.dir == "out" {
            return .rankOut
        }
        if p.kind == "RANK" && p.array, let len = p.length, proc.params.contains(where: { $0.name == len }) {
            return p.dir == "out" ? .rankArrayOut(length: len) : .rankArrayIn(length: len)
        }
        if p.kind == "WEIGHT" && p.dir == "in" { return .weights }
        if enumKinds[p.kind] != nil {
            if p.array {
                guard let len = p.length, proc.params.contains(where: { $0.name == len }) else {
                    return .unsupported("enum array of unknown length")
                }
                return .enumArrayIn(p.kind, length: len)
            }
            return c.pointers == 0 ? .enumIn(p.kind) : .enumOut(p.kind)
        }
        return .plain
    }

    /// True when every parameter of `proc` has a mechanical translation.
    public func isMechanical(_ proc: SpecProcedure) -> Bool {
        proc.params.allSatisfy { if case .unsupported = role($0, in: proc) { return false } else { return true } }
    }

    /// A parameter declaration in the MPICH ABI (face side).
    public static func faceDecl(_ p: SpecParam) -> String {
        let c = CType(p.ctype)
        if c.rowsOf3 { return "\(c.isConst ? "const " : "")\(c.base) \(p.name)[][3]" }
        return "\(p.ctype) \(p.name)".replacingOccurrences(of: "* ", with: " *")
    }

    /// A parameter declaration in the neutral call-table ABI: handles are the lower
    /// half's real handles as 64-bit words, statuses use the MPICH layout.
    public static func neutralDecl(_ p: SpecParam) -> String {
        let c = CType(p.ctype)
        var base = c.base
        if c.handle != nil { base = "uint64_t" }
        switch base {
        case "MPI_Aint": base = "ckpt_aint_t"
        case "MPI_Offset": base = "ckpt_offset_t"
        case "MPI_Count": base = "ckpt_count_t"
        case "MPI_Fint": base = "int"
        case "MPI_Status": base = "struct ckpt_status"
        default: break
        }
        let stars = String(repeating: "*", count: c.pointers)
        if c.rowsOf3 { return "\(c.isConst ? "const " : "")\(base) (*\(p.name))[3]" }
        return "\(c.isConst ? "const " : "")\(base) \(stars)\(p.name)"
    }
}
