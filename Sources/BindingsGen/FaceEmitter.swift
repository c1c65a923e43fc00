/// Emits the face: the MPICH-ABI entry points of libmpi.so.12 (upper half).
struct FaceEmitter {
    let plan: Plan

    func emit() -> String {
        var w = CWriter()
        w.line(generatedBanner("Face entry points (MPICH ABI): translate handles, cross once, translate back."))
        w.line("#include \"face_replay.h\"")
        w.line("#include \"face_files.h\"\n")

        predefined(&w)
        for p in plan.faceGenerated { entry(p, &w) }
        w.line("/* Deprecated MPI-1/2 names: the successor's entry does the work (Annotations.aliases). */")
        let alias = AliasEmitter(plan: plan)
        for p in plan.aliases {
            w.line("CKPT_EXPORT \(prototype(p, prefix: "PMPI_"))\n\(alias.body(p, decl: Classifier.faceDecl, aint: "MPI_Aint"))")
            w.line("CKPT_EXPORT \(prototype(p, prefix: "MPI_")) __attribute__((weak, alias(\"PMPI_\(p.short)\")));\n")
        }
        w.line("/* Exported by MPICH's libmpi.so.12 but not in the spec (spec/mpich-exports.txt): a binary")
        w.line(" * calling one gets the one-line error, not an undefined symbol from the dynamic linker. */")
        for name in plan.exportStubs {
            w.line("CKPT_EXPORT int P\(name)(void) { return ckpt_unsupported(\"\(name)\"); }")
            w.line("CKPT_EXPORT int \(name)(void) __attribute__((weak, alias(\"P\(name)\")));")
        }
        w.line("/* Entry points not supported yet: fail naming the call (never crash). */")
        for p in plan.unsupported { stub(p, &w, weakBehindCustom: false) }
        w.line("/* Hand-written in this directory; these weak stubs only keep the ABI complete. */")
        for p in plan.customFace { stub(p, &w, weakBehindCustom: true) }
        return w.text
    }

    private func predefined(_ w: inout CWriter) {
        w.line("/* Every predefined handle of the MPICH ABI; the face asks the lower half for each one's real handle. */")
        let predefined = plan.spec.constants.filter { name, c in
            guard HandleType.all.contains(where: { $0.cType == c.type }) else { return false }
            let v = UInt32(truncatingIfNeeded: c.value)
            let isPair = c.type == "MPI_Datatype" && v >> 30 == 2
            return (v >> 30 == 1 || isPair) && !Annotations.skippedPredefined.contains(name)
        }
        w.line("const int32_t ckpt_predefined_handles[] = {")
        for (name, _) in predefined { w.line("    CKPT_\(name),") }
        w.line("};")
        w.line("/* Their names, which MPI_Type_get_name and MPI_Comm_get_name report. */")
        w.line("const char *const ckpt_predefined_names[] = {")
        for (name, _) in predefined { w.line("    \"\(name)\",") }
        w.line("};\nconst unsigned ckpt_predefined_count = sizeof ckpt_predefined_handles / sizeof ckpt_predefined_handles[0];\n")
    }

    /// The prototypes of every procedure of the face, generated and hand-written alike: each
    /// file of the face includes them, so the compiler checks every definition against the spec.
    func prototypesHeader() -> String {
        var w = CWriter()
        w.line(generatedBanner("Prototypes of every MPI procedure the face exports (MPICH ABI), from the spec."))
        w.line("#ifndef CKPT_FACE_MPI_GENERATED_H\n#define CKPT_FACE_MPI_GENERATED_H\n")
        w.line("#include \"face_abi.h\"\n")
        let all = (plan.faceGenerated + plan.unsupported + plan.customFace + plan.aliases).sorted { $0.name < $1.name }
        for p in all {
            w.line("__attribute__((visibility(\"default\"))) \(prototype(p, prefix: "PMPI_"));")
            w.line("__attribute__((visibility(\"default\"))) \(prototype(p, prefix: "MPI_"));")
        }
        w.line("/* MPICH exports these too; the spec does not describe them (they only fail). */")
        for name in plan.exportStubs {
            w.line("__attribute__((visibility(\"default\"))) int P\(name)(void);")
            w.line("__attribute__((visibility(\"default\"))) int \(name)(void);")
        }
        w.line("\n#endif")
        return w.text
    }

    private func prototype(_ p: SpecProcedure, prefix: String) -> String {
        let params = p.params.map { $0.kind == "VARARGS" ? "..." : Classifier.faceDecl($0) }
        return "\(p.ret) \(prefix)\(p.short)(\(params.isEmpty ? "void" : params.joined(separator: ", ")))"
    }

    /// A stub with the procedure's own signature; its parameters are unused.
    private func stub(_ p: SpecProcedure, _ w: inout CWriter, weakBehindCustom: Bool) {
        let call = "ckpt_unsupported(\"\(p.name)\")"
        let fail = p.ret == "int" ? "{ return \(call); }" : "{ (void)\(call); return (\(p.ret))0; }"
        if weakBehindCustom {
            w.line("static \(prototype(p, prefix: "ckpt_stub_")) \(fail)")
            w.line("CKPT_EXPORT \(prototype(p, prefix: "PMPI_")) __attribute__((weak, alias(\"ckpt_stub_\(p.short)\")));")
            w.line("CKPT_EXPORT \(prototype(p, prefix: "MPI_")) __attribute__((weak, alias(\"ckpt_stub_\(p.short)\")));")
        } else {
            w.line("CKPT_EXPORT \(prototype(p, prefix: "PMPI_")) \(fail)")
            w.line("CKPT_EXPORT \(prototype(p, prefix: "MPI_")) __attribute__((weak, alias(\"PMPI_\(p.short)\")));")
        }
    }

    // swiftlint:disable:next function_body_length
    private func entry(_ p: SpecProcedure, _ w: inout CWriter) {
        let cl = plan.classifier
        let roles = p.params.map { cl.role($0, in: p) }
        var pre: [String] = [], args: [String] = [], post: [String] = [], cleanup: [String] = []
        var beforeCall: [String] = []
        var errComm = "CKPT_MPI_COMM_WORLD"
        var statusArg = "0"
        var parentComm: String?
        var outComm: String?
        var outType: String?
        // I/O errors go to the file's errhandler; those of MPI_File_delete to MPI_FILE_NULL's.
        var fileArg: String?
        for (prm, role) in zip(p.params, roles) {
            let n = prm.name
            switch role {
            case .handleIn(let h) where h.cType == "MPI_File":
                pre.append("uint64_t r_\(n) = ckpt_to_real(\(h.kind), face_file_v(\(n)));")
                args.append("r_\(n)")
                if fileArg == nil { fileArg = n }
            case .handleIn(let h):
                pre.append("uint64_t r_\(n) = ckpt_to_real(\(h.kind), \(n));")
                args.append("r_\(n)")
                if h.cType == "MPI_Comm" {
                    if errComm == "CKPT_MPI_COMM_WORLD" { errComm = n }
                    if parentComm == nil { parentComm = n }
                }
                if h.cType == "MPI_Datatype" && outType == nil && p.short.hasPrefix("Type_dup") { outType = n }
                // Errors of a call on a window go to the window's errhandler (MPI-3.1 §8.3.2).
                if h.cType == "MPI_Win" && errComm == "CKPT_MPI_COMM_WORLD" { errComm = n }
            case .handleInPtr(let h):
                pre.append("uint64_t r_\(n) = ckpt_to_real(\(h.kind), *\(n));")
                args.append("&r_\(n)")
            case .handleInOut(let h):
                pre.append("int32_t v_\(n) = *\(n);")
                pre.append("uint64_t r_\(n) = ckpt_to_real(\(h.kind), v_\(n));")
                args.append("&r_\(n)")
                post.append("ckpt_inout_update(\(h.kind), \(n), r_\(n), CKPT_\(h.nullName));")
                if h.cType == "MPI_Comm" && errComm == "CKPT_MPI_COMM_WORLD" { errComm = "v_\(n)" }
                if h.recorded && p.short.hasSuffix("_free") {
                    beforeCall.append("ckpt_object_freeing(\(h.kind), v_\(n));")
                    if h.cType == "MPI_Comm" { beforeCall.append("face_comm_freeing(v_\(n));") }
                }
            case .handleOut(let h):
                pre.append("uint64_t r_\(n) = 0;")
                args.append("&r_\(n)")
                if h.kind == "CKPT_KIND_REQUEST" {
                    post.append("*\(n) = face_req_new(r_\(n), FACE_REQ_OTHER, \(parentComm ?? "CKPT_MPI_COMM_NULL"));")
                } else {
                    post.append("*\(n) = ckpt_virtual_new(\(h.kind), r_\(n));")
                }
                if h.cType == "MPI_Comm" { outComm = n }
                if h.cType == "MPI_Datatype" && outType != nil {
                    // A copy callback's error fails the dup, and no object is made (MPI-3.1 §6.7.2).
                    post.append("if ((rc = ckpt_object_derived(CKPT_KIND_DATATYPE, \(outType!), *\(n), 1)) != 0) return ckpt_dup_failed(CKPT_KIND_DATATYPE, \(outType!), \(n), r_\(n), rc, \"\(p.name)\");")
                }
            case .handleArrayIn(let h, let len), .handleArrayInOut(let h, let len), .handleArrayOut(let h, let len):
                pre.append("uint64_t s_\(n)[CKPT_STACK_ARRAY];")
                pre.append("int k_\(n) = \(len) > 0 ? \(len) : 0;")
                pre.append("uint64_t *r_\(n) = ckpt_array(s_\(n), k_\(n));")
                pre.append("if (!r_\(n)) return ckpt_face_error(\(errComm), CKPT_MPI_ERR_NO_MEM, \"\(p.name)\");")
                if case .handleArrayOut = role {} else {
                    pre.append("for (int i = 0; i < k_\(n); i++) r_\(n)[i] = ckpt_to_real(\(h.kind), \(n)[i]);")
                }
                args.append("r_\(n)")
                if case .handleArrayOut = role {
                    post.append("for (int i = 0; i < k_\(n); i++) \(n)[i] = ckpt_virtual_new(\(h.kind), r_\(n)[i]);")
                } else if case .handleArrayInOut = role {
                    post.append("for (int i = 0; i < k_\(n); i++) ckpt_inout_update(\(h.kind), &\(n)[i], r_\(n)[i], CKPT_\(h.nullName));")
                }
                cleanup.append("ckpt_array_free(r_\(n), s_\(n));")
            case .statusOut:
                pre.append("struct ckpt_status *r_\(n) = ckpt_status_arg(\(n));")
                args.append("r_\(n)")
                statusArg = "r_\(n)"
            case .statusArrayOut:
                args.append("ckpt_status_arg(\(n))")
            case .weights:
                args.append("ckpt_weights_arg(\(n))")
            case .buffer, .rankIn, .rankOut, .rankArrayIn, .rankArrayOut, .enumIn, .enumOut, .enumArrayIn, .plain:
                let c = CType(prm.ctype)
                if c.pointers == 0 && !prm.array && !c.rowsOf3 {
                    args.append(n)
                } else {
                    args.append(castToNeutral(prm))
                }
            case .unsupported:
                preconditionFailure("unsupported parameter in generated face \(p.name)")
            }
        }
        if let oc = outComm, let pc = parentComm {
            let isDup = p.short.hasPrefix("Comm_dup") ? 1 : 0
            if isDup == 1 {
                post.append("if ((rc = ckpt_object_derived(CKPT_KIND_COMM, \(pc), *\(oc), 1)) != 0) return ckpt_dup_failed(CKPT_KIND_COMM, \(pc), \(oc), r_\(oc), rc, \"\(p.name)\");")
            } else {
                post.append("ckpt_object_derived(CKPT_KIND_COMM, \(pc), *\(oc), 0);")
            }
            post.append("face_comm_created(\(pc), *\(oc));")
        }
        // The consistent cut (DESIGN §4): collectives are counted (and gated) on their
        // communicator, sends on their destination.
        // The gate may hold the thread across a checkpoint and a restart into a new
        // lower half: it comes before any handle is translated.
        var gate: String?
        if Annotations.blockingCollectives.contains(p.name), let pc = parentComm {
            gate = "struct face_comm *ckpt_coll = face_coll_enter(\(pc));"
        } else if Annotations.nonblockingCollectives.contains(p.name), let pc = parentComm {
            gate = "(void)face_coll_begin(\(pc));"
        } else if let g = Annotations.groupCollectives[p.name] {
            gate = "struct face_comm *ckpt_coll = \(g);"
        }
        if Annotations.fileCollectives.contains(p.name), let f = fileArg {
            gate = "struct face_comm *ckpt_coll = face_file_coll_enter(\(f));"
        }
        let isFile = p.name.hasPrefix("MPI_File_")
        if Annotations.sends.contains(p.name) { beforeCall.append("face_count_send(comm, dest);") }
        w.line("CKPT_EXPORT \(prototype(p, prefix: "PMPI_"))\n{")
        w.line("    CKPT_ENTER();")
        if let hook = Annotations.entryHooks[p.name] { w.line("    \(hook)") }
        if let gate { w.line("    \(gate)") }
        for s in pre { w.line("    \(s)") }
        for s in beforeCall { w.line("    \(s)") }
        w.line("    int rc;")
        let callArgs = args.joined(separator: ", ")
        switch Annotations.waitStyle[p.name] {
        case .request:
            // Still in flight when a checkpoint stops the thread: the request becomes
            // the application's (the drain completes it, DESIGN §4.2) and MPI_Wait ends it.
            precondition(statusArg == "0", "\(p.name): a blocking receive is hand-written")
            w.line("    uint64_t pending = 0;")
            w.line("    face_p2p_enter(comm, dest);")
            w.line("    CKPT_CROSS(rc = ckpt_T->\(p.short)(\(callArgs.isEmpty ? "" : callArgs + ", ")&pending));")
            w.line("    face_p2p_leave();")
            w.line("    if (rc == CKPT_PENDING) {")
            w.line("        int32_t v_pending = face_req_new(pending, FACE_REQ_OTHER, comm);")
            w.line("        return face_wait_one(&v_pending, CKPT_MPI_STATUS_IGNORE);")
            w.line("    }")
        case .retry:
            w.line("    CKPT_CROSS(rc = ckpt_T->\(p.short)(\(callArgs)));")
            w.line("    while (rc == CKPT_PENDING) {")
            w.line("        ckpt_safepoint();")
            w.line("        CKPT_CROSS(rc = ckpt_T->\(p.short)(\(callArgs)));")
            w.line("    }")
        case nil:
            w.line("    CKPT_CROSS(rc = ckpt_T->\(p.short)(\(callArgs)));")
        }
        if (Annotations.blockingCollectives.contains(p.name) && parentComm != nil)
            || Annotations.groupCollectives[p.name] != nil
            || (Annotations.fileCollectives.contains(p.name) && fileArg != nil) {
            w.line("    face_coll_leave(ckpt_coll);")
        }
        let recording = RecordEmitter(plan: plan).recordStatements(p)
        let raise = isFile ? "face_file_error(\(fileArg ?? "CKPT_FACE_FILE_NULL"), rc, \"\(p.name)\")"
            : "ckpt_face_error(\(errComm), rc, \"\(p.name)\")"
        if post.isEmpty && recording.isEmpty {
            for s in cleanup { w.line("    \(s)") }
            w.line("    if (__builtin_expect(rc != 0, 0)) return \(raise);")
        } else {
            w.line("    if (__builtin_expect(rc != 0, 0)) {")
            for s in cleanup { w.line("        \(s)") }
            w.line("        return \(raise);")
            w.line("    }")
            for s in post { w.line("    \(s)") }
            for s in recording { w.line("    \(s)") }
            for s in cleanup { w.line("    \(s)") }
        }
        w.line("    return 0;\n}")
        w.line("CKPT_EXPORT \(prototype(p, prefix: "MPI_")) __attribute__((weak, alias(\"PMPI_\(p.short)\")));\n")
    }

    /// Pointer arguments whose MPICH-ABI type differs only nominally from the neutral one.
    private func castToNeutral(_ prm: SpecParam) -> String {
        let neutral = Classifier.neutralDecl(prm)
        let face = Classifier.faceDecl(prm)
        if neutral.replacingOccurrences(of: " ", with: "") == face.replacingOccurrences(of: " ", with: "") {
            return prm.name
        }
        return "(void *)\(prm.name)"
    }
}
