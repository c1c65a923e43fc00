/// Emits the lower-half shims, compiled once per MPI implementation against its own mpi.h.
struct ShimEmitter {
    let plan: Plan

    /// shims_convert.generated.h: handle, error-class and enum conversions, predefined handles.
    func converters() -> String {
        var w = CWriter()
        w.line(generatedBanner("Conversions between the neutral ABI and the implementation's mpi.h."))
        w.line("#ifndef CKPT_SHIMS_CONVERT_H\n#define CKPT_SHIMS_CONVERT_H\n")
        let ptr = "CKPT_HANDLES_ARE_POINTERS"
        w.line("#if \(ptr)\n#define CK_N(T, x) ((T)(uintptr_t)(x))\n#define CK_R(h) ((uint64_t)(uintptr_t)(h))")
        w.line("#else\n#define CK_N(T, x) ((T)(int)(x))\n#define CK_R(h) ((uint64_t)(uint32_t)(h))\n#endif\n")
        w.line("/* Real handle 0 is every kind's null, whatever the implementation's null constant is. */")
        for h in HandleType.all {
            let t = h.cType
            if t == "MPI_Message" {
                w.line("static inline \(t) ckin_\(t)(uint64_t x) { return x == 0 ? \(h.nullName) : x == CKPT_REAL_MESSAGE_NO_PROC ? MPI_MESSAGE_NO_PROC : CK_N(\(t), x); }")
                w.line("static inline uint64_t ckout_\(t)(\(t) h) { return h == \(h.nullName) ? 0 : h == MPI_MESSAGE_NO_PROC ? CKPT_REAL_MESSAGE_NO_PROC : CK_R(h); }")
            } else if t == "MPI_File" {
                // A pointer in every implementation (MPICH's ADIOI_FileD *, Open MPI's ompi_file_t *).
                w.line("static inline \(t) ckin_\(t)(uint64_t x) { return x == 0 ? \(h.nullName) : (\(t))(uintptr_t)x; }")
                w.line("static inline uint64_t ckout_\(t)(\(t) h) { return h == \(h.nullName) ? 0 : (uint64_t)(uintptr_t)h; }")
            } else {
                w.line("static inline \(t) ckin_\(t)(uint64_t x) { return x == 0 ? \(h.nullName) : CK_N(\(t), x); }")
                w.line("static inline uint64_t ckout_\(t)(\(t) h) { return h == \(h.nullName) ? 0 : CK_R(h); }")
            }
        }
        let classes = plan.spec.constants.map(\.name).filter {
            $0.hasPrefix("MPI_ERR_") && $0 != "MPI_ERR_LASTCODE"
        }
        w.line("\n/* Error classes: the neutral values are MPICH's. */")
        w.line("static int ck_err(int rc)\n{\n    if (rc == MPI_SUCCESS) return 0;\n    int cls = rc;\n    MPI_Error_class(rc, &cls);")
        for c in classes { w.line("#ifdef \(c)\n    if (cls == \(c)) return CKPT_\(c);\n#endif") }
        w.line("    return CKPT_MPI_ERR_OTHER;\n}\n")
        w.line("static int ck_err_in(int cls)\n{\n    if (cls == 0) return MPI_SUCCESS;")
        for c in classes { w.line("#ifdef \(c)\n    if (cls == CKPT_\(c)) return \(c);\n#endif") }
        w.line("    return MPI_ERR_OTHER;\n}\n")
        for kind in plan.classifier.enumKindNames {
            let names = plan.classifier.constants(ofEnum: kind)
            if Annotations.flagKinds.contains(kind) {
                w.line("static inline int ckin_\(kind)(int v)\n{\n    int r = 0;")
                for n in names { w.line("    if (v & CKPT_\(n)) r |= \(n);") }
                w.line("    return r;\n}")
                w.line("static inline int ckout_\(kind)(int v)\n{\n    int r = 0;")
                for n in names { w.line("    if (v & \(n)) r |= CKPT_\(n);") }
                w.line("    return r;\n}")
                continue
            }
            w.line("static inline int ckin_\(kind)(int v)\n{")
            // Often enumerators, not macros, so no #ifdef: every name must exist in both MPIs.
            for n in names { w.line("    if (v == CKPT_\(n)) return \(n);") }
            w.line("    return v;\n}")
            w.line("static inline int ckout_\(kind)(int v)\n{")
            for n in names { w.line("    if (v == \(n)) return CKPT_\(n);") }
            w.line("    return v;\n}")
        }
        w.line("\n/* The real handle of each predefined MPICH-ABI handle (0 when this MPI lacks it). */")
        w.line("static uint64_t s_predefined(int32_t face_handle)\n{\n    switch ((uint32_t)face_handle) {")
        for (name, c) in plan.spec.constants {
            guard let h = HandleType.all.first(where: { $0.cType == c.type }),
                  !Annotations.skippedPredefined.contains(name) else { continue }
            let v = UInt32(truncatingIfNeeded: c.value)
            guard v >> 30 == 1 || (c.type == "MPI_Datatype" && v >> 30 == 2) else { continue }
            w.line("#ifdef \(name)\n    case 0x\(String(v, radix: 16))u: return ckout_\(h.cType)(\(name));\n#endif")
        }
        w.line("    default: return 0;\n    }\n}\n\n#endif")
        return w.text
    }

    /// shims.generated.c: one static shim per mechanical procedure and the call table.
    func shims() -> String {
        var w = CWriter()
        w.line(generatedBanner("Lower-half shims: neutral ABI in, this implementation's MPI call, neutral ABI out."))
        for p in plan.lowerGenerated { shim(p, &w) }
        w.line("const struct ckpt_calltable ckpt_calltable_impl = {")
        w.line("    .version = CKPT_CALLTABLE_VERSION,\n    .entries = CKPT_CALLTABLE_ENTRIES,")
        for p in plan.tableEntries { w.line("    .\(p.short) = s_\(p.short),") }
        for e in Annotations.extraEntries { w.line("    .\(e.name) = s_\(e.name),") }
        w.line("};")
        return w.text
    }

    private func shim(_ p: SpecProcedure, _ w: inout CWriter) {
        let cl = plan.classifier
        var params = p.params.map(Classifier.neutralDecl)
        if params.isEmpty { params = ["void"] }
        var pre: [String] = [], args: [String] = [], post: [String] = [], cleanup: [String] = []
        for prm in p.params {
            let n = prm.name
            let c = CType(prm.ctype)
            switch cl.role(prm, in: p) {
            case .handleIn(let h):
                args.append("ckin_\(h.cType)(\(n))")
            case .handleInPtr(let h), .handleInOut(let h):
                pre.append("\(h.cType) n_\(n) = ckin_\(h.cType)(*\(n));")
                args.append("&n_\(n)")
                post.append("*\(n) = ckout_\(h.cType)(n_\(n));")
            case .handleOut(let h):
                pre.append("\(h.cType) n_\(n) = \(h.nullName);")
                args.append("&n_\(n)")
                post.append("*\(n) = ckout_\(h.cType)(n_\(n));")
            case .handleArrayIn(let h, let len), .handleArrayInOut(let h, let len), .handleArrayOut(let h, let len):
                pre.append("int k_\(n) = \(len) > 0 ? \(len) : 0;")
                pre.append("\(h.cType) s_\(n)[CKPT_STACK_ARRAY];")
                pre.append("\(h.cType) *n_\(n) = k_\(n) <= CKPT_STACK_ARRAY ? s_\(n) : malloc(sizeof(\(h.cType)) * k_\(n));")
                pre.append("if (!n_\(n)) return CKPT_MPI_ERR_NO_MEM;")
                if case .handleArrayOut = cl.role(prm, in: p) {} else {
                    pre.append("for (int i = 0; i < k_\(n); i++) n_\(n)[i] = ckin_\(h.cType)(\(n)[i]);")
                }
                args.append("n_\(n)")
                if case .handleArrayIn = cl.role(prm, in: p) {} else {
                    post.append("for (int i = 0; i < k_\(n); i++) \(n)[i] = ckout_\(h.cType)(n_\(n)[i]);")
                }
                cleanup.append("if (n_\(n) != s_\(n)) free(n_\(n));")
            case .statusOut where p.name.hasPrefix("MPI_File_"):
                // I/O sets only the count (ROMIO leaves the rest as it found it).
                pre.append("MPI_Status n_\(n);")
                pre.append("memset(&n_\(n), 0, sizeof n_\(n));")
                pre.append("n_\(n).MPI_SOURCE = MPI_ANY_SOURCE; n_\(n).MPI_TAG = MPI_ANY_TAG; n_\(n).MPI_ERROR = MPI_SUCCESS;")
                args.append("\(n) ? &n_\(n) : MPI_STATUS_IGNORE")
                post.append("if (\(n)) ck_status_out(&n_\(n), \(n));")
            case .statusOut:
                pre.append("MPI_Status n_\(n);")
                args.append("\(n) ? &n_\(n) : MPI_STATUS_IGNORE")
                post.append("if (\(n)) ck_status_out(&n_\(n), \(n));")
            case .buffer:
                args.append("ckin_buf(\(n))")
            case .rankIn:
                args.append("ckin_rank(\(n))")
            case .rankOut:
                args.append(n)
                post.append("*\(n) = ckout_rank(*\(n));")
            case .rankArrayIn(let len):
                pre.append("int k_\(n) = \(len) > 0 ? \(len) : 0;")
                pre.append("int s_\(n)[CKPT_STACK_ARRAY];")
                pre.append("int *n_\(n) = k_\(n) <= CKPT_STACK_ARRAY ? s_\(n) : malloc(sizeof(int) * k_\(n));")
                pre.append("if (!n_\(n)) return CKPT_MPI_ERR_NO_MEM;")
                pre.append("for (int i = 0; i < k_\(n); i++) n_\(n)[i] = ckin_rank(\(n)[i]);")
                args.append("n_\(n)")
                cleanup.append("if (n_\(n) != s_\(n)) free(n_\(n));")
            case .rankArrayOut(let len):
                args.append(n)
                post.append("for (int i = 0; i < \(len); i++) \(n)[i] = ckout_rank(\(n)[i]);")
            case .enumIn(let k):
                args.append("ckin_\(k)(\(n))")
            case .enumOut(let k):
                args.append(n)
                post.append("*\(n) = ckout_\(k)(*\(n));")
            case .enumArrayIn(let k, let len):
                pre.append("int k_\(n) = \(len) > 0 ? \(len) : 0;")
                pre.append("int s_\(n)[CKPT_STACK_ARRAY];")
                pre.append("int *n_\(n) = k_\(n) <= CKPT_STACK_ARRAY ? s_\(n) : malloc(sizeof(int) * k_\(n));")
                pre.append("if (!n_\(n)) return CKPT_MPI_ERR_NO_MEM;")
                pre.append("for (int i = 0; i < k_\(n); i++) n_\(n)[i] = ckin_\(k)(\(n)[i]);")
                args.append("n_\(n)")
                cleanup.append("if (n_\(n) != s_\(n)) free(n_\(n));")
            case .weights:
                args.append("ckin_weights(\(n))")
            case .plain:
                if c.pointers == 0 && !prm.array && !c.rowsOf3 {
                    args.append(n)
                } else if c.rowsOf3 {
                    args.append("(\(c.isConst ? "const " : "")\(c.base) (*)[3])\(n)")
                } else {
                    args.append("(\(prm.ctype.contains("[") ? c.base + " *" : prm.ctype))\(n)")
                }
            case .statusArrayOut:
                preconditionFailure("status arrays are converted by hand-written shims (\(p.name))")
            case .unsupported(let why):
                preconditionFailure("unsupported parameter \(why) in generated shim \(p.name)")
            }
        }
        w.line("static int s_\(p.short)(\(params.joined(separator: ", ")))\n{")
        for s in pre { w.line("    \(s)") }
        if isBlockingCollective(p) {
            // Oversubscribed ranks must not spin inside the MPI: run the non-blocking
            // form and wait in a loop that yields (MPICH's own polling never does).
            w.line("    int rc;")
            w.line("    if (__builtin_expect(ck_collectives_yield, 0)) {")
            w.line("        MPI_Request ck_r;")
            w.line("        rc = ck_wait_collective(\(nonBlockingName(p))(\((args + ["&ck_r"]).joined(separator: ", "))), &ck_r);")
            w.line("    } else {")
            w.line("        rc = MPI_\(p.short)(\(args.joined(separator: ", ")));")
            w.line("    }")
        } else {
            w.line("    int rc = MPI_\(p.short)(\(args.joined(separator: ", ")));")
        }
        for s in post { w.line("    \(s)") }
        for s in cleanup { w.line("    \(s)") }
        w.line("    return ck_err(rc);\n}\n")
    }
}

extension ShimEmitter {
    /// MPI_Allreduce -> MPI_Iallreduce.
    func nonBlockingName(_ p: SpecProcedure) -> String { "MPI_I" + p.short.prefix(1).lowercased() + p.short.dropFirst() }

    /// A blocking collective whose non-blocking form (MPI-3) has the same parameters plus a request.
    func isBlockingCollective(_ p: SpecProcedure) -> Bool {
        guard let i = plan.spec.procedures.first(where: { $0.name == nonBlockingName(p) }) else { return false }
        return i.params.count == p.params.count + 1 && i.params.last?.kind == "REQUEST"
            && zip(i.params, p.params).allSatisfy { $0.ctype == $1.ctype }
            && !Annotations.mpi4Only.contains(i.name)
    }
}

extension Classifier {
    /// Enum kinds in a stable order.
    var enumKindNames: [String] { enumKinds.keys.sorted() }
}
