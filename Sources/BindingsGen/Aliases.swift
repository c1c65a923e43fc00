/// Deprecated and removed MPI-1/2 names (issue 12): each face forwards them to its own entry
/// of the successor, so they convert, record and replay exactly as the successor does, and
/// objects they make survive a restart on either MPI. Kept apart from Annotations.swift so
/// that the list merges cleanly with other additions there.
extension Annotations {
    /// Deprecated procedure → the successor it forwards to, argument by argument. The C
    /// bindings match position for position: MPI-1's hindexed and struct already took
    /// MPI_Aint displacements in C (only Fortran had INTEGER ones), MPI_Copy_function and
    /// MPI_Delete_function are the communicator callbacks' types, so MPI_NULL_COPY_FN (0)
    /// and MPI_DUP_FN (MPIR_Dup_fn, or OMPI_C_MPI_DUP_FN) are valid successor callbacks.
    public static let aliases: [String: String] = [
        "MPI_Attr_get": "MPI_Comm_get_attr", "MPI_Attr_put": "MPI_Comm_set_attr",
        "MPI_Attr_delete": "MPI_Comm_delete_attr", "MPI_Keyval_create": "MPI_Comm_create_keyval",
        "MPI_Keyval_free": "MPI_Comm_free_keyval",
        "MPI_Type_extent": "MPI_Type_get_extent", "MPI_Type_lb": "MPI_Type_get_extent",
        "MPI_Type_ub": "MPI_Type_get_extent",
        "MPI_Type_hvector": "MPI_Type_create_hvector", "MPI_Type_hindexed": "MPI_Type_create_hindexed",
        "MPI_Type_struct": "MPI_Type_create_struct",
        "MPI_Errhandler_create": "MPI_Comm_create_errhandler", "MPI_Errhandler_set": "MPI_Comm_set_errhandler",
        "MPI_Errhandler_get": "MPI_Comm_get_errhandler", "MPI_Address": "MPI_Get_address",
    ]

    /// Aliases of MPI_Type_get_extent that return one value computed from its answer: a C
    /// expression over `lb_` and `extent_` (underscored: MPI_Type_extent's output is `extent`).
    public static let extentParts: [String: String] = [
        "MPI_Type_extent": "extent_", "MPI_Type_lb": "lb_", "MPI_Type_ub": "lb_ + extent_",
    ]
}

/// The body of a deprecated entry in either face: a call of the successor's PMPI_ entry of
/// the same face (so its conversions, error reporting and record apply unchanged).
struct AliasEmitter {
    let plan: Plan

    /// The successor `p` forwards to, which the spec must describe.
    func successor(_ p: SpecProcedure) -> SpecProcedure {
        let name = Annotations.aliases[p.name]!
        guard let s = plan.spec.procedures.first(where: { $0.name == name }) else {
            preconditionFailure("alias \(p.name): successor \(name) is not in the spec")
        }
        return s
    }

    /// `decl` declares a parameter in the face's types; `aint` names its MPI_Aint type.
    func body(_ p: SpecProcedure, decl: (SpecParam) -> String, aint: String) -> String {
        let s = successor(p)
        if let part = Annotations.extentParts[p.name] {
            precondition(p.params.count == 2 && s.params.count == 3, "\(p.name): not an extent part")
            return """
                {
                    \(aint) lb_, extent_;
                    int rc = PMPI_\(s.short)(\(p.params[0].name), &lb_, &extent_);
                    if (rc == 0) *\(p.params[1].name) = \(part);
                    return rc;
                }
                """
        }
        precondition(p.params.count == s.params.count, "\(p.name): \(s.name) takes other parameters")
        let args = zip(p.params, s.params).map { mine, theirs -> String in
            let t = Self.typeOnly(decl(theirs), theirs.name)
            return Self.typeOnly(decl(mine), mine.name) == t ? mine.name : "(\(t))\(mine.name)"
        }
        return "{\n    return PMPI_\(s.short)(\(args.joined(separator: ", ")));\n}"
    }

    /// A declaration without its parameter name ("const int *array" → "const int *").
    static func typeOnly(_ decl: String, _ name: String) -> String {
        var d = decl
        if d.hasSuffix(name) { d.removeLast(name.count) }
        return d.trimmingCharacters(in: .whitespaces)
    }
}
