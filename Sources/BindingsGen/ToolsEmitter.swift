/// Emits the MPI tool information interface (MPI_T_*) as MPI-4 allows an implementation
/// with nothing to show: no control or performance variables, categories, events or
/// sources. The lower halves' variables describe one MPI of one run, which a restart on
/// another MPI would silently change, so none is exposed; a tool sees a consistent,
/// empty interface instead of a call that stops the job. Each procedure's answer follows
/// from its name and parameters (MPI-4.0 §15.3):
/// - before MPI_T_init_thread, or after the last MPI_T_finalize: MPI_T_ERR_NOT_INITIALIZED;
/// - `*_get_num` and MPI_T_category_changed: 0;
/// - lookups by name (`*_get_index`): MPI_T_ERR_INVALID_NAME;
/// - anything naming a variable, category, event or source by index: MPI_T_ERR_INVALID_INDEX;
/// - performance-variable sessions can be made and freed (they hold nothing);
/// - everything naming a handle (enum, cvar/pvar handle, event registration or instance):
///   MPI_T_ERR_INVALID_HANDLE, since none can exist.
struct ToolsEmitter {
    let plan: Plan

    static func isTools(_ p: SpecProcedure) -> Bool { p.name.hasPrefix("MPI_T_") && p.mpich == true }

    func emit() -> String {
        var w = CWriter()
        w.line(generatedBanner("The MPI tool information interface, with no variables (ToolsEmitter.swift)."))
        w.line("#include \"face_runtime.h\"\n")
        w.line("/* MPI_T_init_thread calls not yet matched by MPI_T_finalize; independent of MPI_Init. */")
        w.line("static int tools_initialized;")
        w.line("static uintptr_t tools_sessions;\n")
        for p in plan.spec.procedures where Self.isTools(p) {
            let decl = p.params.map(Classifier.faceDecl).joined(separator: ", ")
            w.line("CKPT_EXPORT int PMPI_\(p.short)(\(decl.isEmpty ? "void" : decl))\n{")
            w.lines(body(p).map { "    " + $0 })
            w.line("}")
            w.line("CKPT_EXPORT int MPI_\(p.short)(\(decl.isEmpty ? "void" : decl)) __attribute__((alias(\"PMPI_\(p.short)\")));\n")
        }
        return w.text
    }

    private func body(_ p: SpecProcedure) -> [String] {
        let params = p.params.map(\.name)
        let unused = params.isEmpty ? [] : ["(void)" + params.joined(separator: "; (void)") + ";"]
        switch p.short {
        case "T_init_thread":
            return ["__atomic_add_fetch(&tools_initialized, 1, __ATOMIC_SEQ_CST);",
                    "*provided = required < CKPT_MPI_THREAD_SINGLE ? CKPT_MPI_THREAD_SINGLE"
                        + " : required > CKPT_MPI_THREAD_MULTIPLE ? CKPT_MPI_THREAD_MULTIPLE : required;",
                    "return 0;"]
        case "T_finalize":
            return ["int n = __atomic_load_n(&tools_initialized, __ATOMIC_SEQ_CST);",
                    "while (n > 0 && !__atomic_compare_exchange_n(&tools_initialized, &n, n - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))",
                    "    ;",
                    "return n > 0 ? 0 : CKPT_MPI_T_ERR_NOT_INITIALIZED;"]
        default: break
        }
        var b = unused
        b.append("if (__atomic_load_n(&tools_initialized, __ATOMIC_SEQ_CST) == 0)")
        b.append("    return CKPT_MPI_T_ERR_NOT_INITIALIZED;")
        if p.short.hasSuffix("_get_num") && params.count == 1 {
            b.append("*\(params[0]) = 0;\nreturn 0;".replacingOccurrences(of: "\n", with: "\n    "))
        } else if p.short == "T_category_changed" {
            b += ["*update_number = 0;", "return 0;"]
        } else if p.short == "T_pvar_session_create" {
            // Opaque and never dereferenced: distinct non-null values tell sessions apart.
            b += ["*pe_session = (MPI_T_pvar_session)__atomic_add_fetch(&tools_sessions, 1, __ATOMIC_SEQ_CST);", "return 0;"]
        } else if p.short == "T_pvar_session_free" {
            b += ["if (*pe_session == NULL)", "    return CKPT_MPI_T_ERR_INVALID_SESSION;", "*pe_session = NULL;", "return 0;"]
        } else if p.short.hasSuffix("_get_index") {
            b.append("return CKPT_MPI_T_ERR_INVALID_NAME;")
        } else if p.params.contains(where: { $0.name.hasSuffix("_index") && $0.ctype == "int" }) {
            b.append("return CKPT_MPI_T_ERR_INVALID_INDEX;")
        } else {
            b.append("return CKPT_MPI_T_ERR_INVALID_HANDLE;")
        }
        return b
    }
}
