/// Emits the constructor record (face side) and its replay into a fresh lower half
/// (DESIGN §3): every call that makes or changes an MPI object is kept with its
/// arguments as 64-bit words, and replayed in program order on restart.
///
/// Word encoding, parameter by parameter: scalars and virtual handles are one
/// word; arrays are a length word then one word per element; strings are a byte
/// count then the bytes packed eight per word; weights are a flag word (0 array,
/// 1 MPI_UNWEIGHTED, 2 MPI_WEIGHTS_EMPTY) then an array; outputs that are not
/// handles, statuses and buffers are not kept (a zero word stands for them).
struct RecordEmitter {
    let plan: Plan

    /// Procedures whose calls are recorded.
    func isRecorded(_ p: SpecProcedure) -> Bool {
        guard plan.faceGenerated.contains(where: { $0.name == p.name }) else { return false }
        if Annotations.recordedMutators.contains(p.name) { return true }
        return p.params.contains { prm in
            switch plan.classifier.role(prm, in: p) {
            case .handleOut(let h), .handleInOut(let h), .handleArrayOut(let h, _): return h.recorded
            default: return false
            }
        }
    }

    /// The element count of an array parameter, as a C expression over the face's parameters.
    func length(_ prm: SpecParam, in p: SpecProcedure) -> String? {
        if let o = Annotations.recordLengths["\(p.name).\(prm.name)"] { return o }
        guard let l = prm.length, let lp = p.params.first(where: { $0.name == l }) else { return nil }
        return CType(lp.ctype).pointers == 0 ? l : nil
    }

    private func elementKind(_ prm: SpecParam) -> String {
        let c = CType(prm.ctype)
        switch c.base {
        case "MPI_Aint", "MPI_Offset", "MPI_Count": return "aints"
        default: return "ints"
        }
    }

    /// Statements appended to a generated face entry after a successful call.
    func recordStatements(_ p: SpecProcedure) -> [String] {
        guard isRecorded(p) else { return [] }
        var out = ["{", "    struct ckpt_rec rec_;", "    ckpt_rec_begin(&rec_, CKPT_FN_\(p.short));"]
        for prm in p.params {
            let n = prm.name
            let c = CType(prm.ctype)
            var s: String
            switch plan.classifier.role(prm, in: p) {
            case .handleIn: s = "ckpt_rec_word(&rec_, (uint64_t)(int64_t)\(n));"
            case .handleInPtr: s = "ckpt_rec_word(&rec_, (uint64_t)(int64_t)*\(n));"
            case .handleInOut: s = "ckpt_rec_word(&rec_, (uint64_t)(int64_t)v_\(n));"
            case .handleOut: s = "ckpt_rec_word(&rec_, (uint64_t)(int64_t)*\(n));"
            case .handleArrayIn(_, let len), .handleArrayOut(_, let len), .handleArrayInOut(_, let len):
                s = "ckpt_rec_ints(&rec_, \(n), \(len));"
            case .weights:
                s = "ckpt_rec_weights(&rec_, \(n), \(length(prm, in: p) ?? "0"));"
            case .buffer, .statusOut, .statusArrayOut, .rankOut, .enumOut:
                s = "ckpt_rec_word(&rec_, 0);"
            case .rankIn, .enumIn:
                s = "ckpt_rec_word(&rec_, (uint64_t)(int64_t)\(n));"
            case .rankArrayIn, .rankArrayOut, .enumArrayIn, .plain:
                if prm.kind == "STRING" && c.pointers == 1 && prm.dir == "in" {
                    s = "ckpt_rec_string(&rec_, \(n));"
                } else if c.pointers == 0 && !prm.array && !c.rowsOf3 {
                    s = "ckpt_rec_word(&rec_, (uint64_t)(int64_t)\(n));"
                } else if prm.dir == "in", let len = length(prm, in: p) {
                    s = "ckpt_rec_\(elementKind(prm))(&rec_, (const void *)\(n), \(len));"
                } else {
                    s = "ckpt_rec_word(&rec_, 0);"
                }
            case .unsupported:
                s = "ckpt_rec_word(&rec_, 0);"
            }
            out.append("    " + s)
        }
        out += ["    ckpt_rec_end(&rec_);", "}"]
        return out
    }

    /// face_replay.generated.c: decodes each recorded call and performs it on the new lower half.
    func replayFile() -> String {
        var w = CWriter()
        w.line(generatedBanner("Replay of the constructor record into a fresh lower half."))
        w.line("#include \"face_replay.h\"\n")
        w.line("int ckpt_replay_call(uint32_t fn, const uint64_t *words, uint32_t count)\n{")
        w.line("    struct ckpt_dec d = {words, count, 0, {0}, 0};\n    int rc;\n    switch (fn) {")
        for p in plan.faceGenerated where isRecorded(p) { replayCase(p, &w) }
        w.line("    default:\n        return ckpt_replay_custom(fn, words, count);\n    }")
        w.line("    ckpt_dec_free(&d);\n    return d.error ? CKPT_MPI_ERR_INTERN : rc;\n}")
        return w.text
    }

    private func replayCase(_ p: SpecProcedure, _ w: inout CWriter) {
        var pre: [String] = [], args: [String] = [], post: [String] = []
        for prm in p.params {
            let n = prm.name
            let c = CType(prm.ctype)
            switch plan.classifier.role(prm, in: p) {
            case .handleIn(let h):
                pre.append("uint64_t a_\(n) = ckpt_to_real(\(h.kind), (int32_t)ckpt_dec_word(&d));")
                args.append("a_\(n)")
            case .handleInPtr(let h), .handleInOut(let h):
                pre.append("int32_t v_\(n) = (int32_t)ckpt_dec_word(&d);")
                pre.append("uint64_t a_\(n) = ckpt_to_real(\(h.kind), v_\(n));")
                args.append("&a_\(n)")
                if h.recorded { post.append("ckpt_shadow_set_real(\(h.kind), v_\(n), a_\(n));") }
            case .handleOut(let h):
                pre.append("int32_t v_\(n) = (int32_t)ckpt_dec_word(&d);")
                pre.append("uint64_t a_\(n) = 0;")
                args.append("&a_\(n)")
                post.append("ckpt_shadow_set_real(\(h.kind), v_\(n), a_\(n));")
            case .handleArrayIn(let h, _), .handleArrayInOut(let h, _):
                pre.append("uint64_t *a_\(n) = ckpt_dec_handles(&d, \(h.kind), NULL);")
                args.append("a_\(n)")
            case .handleArrayOut(let h, _):
                pre.append("int32_t *v_\(n) = NULL;")
                pre.append("uint64_t *a_\(n) = ckpt_dec_handles(&d, \(h.kind), &v_\(n));")
                args.append("a_\(n)")
                post.append("ckpt_dec_set_outputs(&d, \(h.kind), v_\(n), a_\(n));")
            case .weights:
                pre.append("const int *a_\(n) = ckpt_dec_weights(&d);")
                args.append("a_\(n)")
            case .buffer, .statusOut, .statusArrayOut:
                pre.append("(void)ckpt_dec_word(&d);")
                args.append("NULL")
            case .rankOut, .enumOut:
                // Scratch is allocated before the crossing: calloc on the lower half's TLS breaks.
                pre.append("(void)ckpt_dec_word(&d);")
                pre.append("void *a_\(n) = ckpt_dec_scratch(&d);")
                args.append("a_\(n)")
            case .rankIn, .enumIn:
                pre.append("int a_\(n) = (int)ckpt_dec_word(&d);")
                args.append("a_\(n)")
            case .rankArrayIn, .rankArrayOut, .enumArrayIn, .plain:
                if prm.kind == "STRING" && c.pointers == 1 && prm.dir == "in" {
                    pre.append("const char *a_\(n) = ckpt_dec_string(&d);")
                    args.append("a_\(n)")
                } else if c.pointers == 0 && !prm.array && !c.rowsOf3 {
                    pre.append("\(Classifier.neutralDecl(SpecParam(name: "a_" + n, ctype: prm.ctype, kind: prm.kind, dir: prm.dir, length: nil, array: false))) = (\(Classifier.neutralDecl(SpecParam(name: "", ctype: prm.ctype, kind: prm.kind, dir: prm.dir, length: nil, array: false))))ckpt_dec_word(&d);")
                    args.append("a_\(n)")
                } else if prm.dir == "in", length(prm, in: p) != nil {
                    pre.append("void *a_\(n) = ckpt_dec_\(elementKind(prm))(&d);")
                    args.append("a_\(n)")
                } else {
                    pre.append("(void)ckpt_dec_word(&d);")
                    pre.append("void *a_\(n) = ckpt_dec_scratch(&d);")
                    args.append("a_\(n)")
                }
            case .unsupported:
                pre.append("(void)ckpt_dec_word(&d);")
                args.append("NULL")
            }
        }
        w.line("    case CKPT_FN_\(p.short): {")
        for s in pre { w.line("        \(s)") }
        w.line("        CKPT_CROSS(rc = ckpt_T->\(p.short)(\(args.joined(separator: ", "))));")
        for s in post { w.line("        \(s)") }
        w.line("        break;\n    }")
    }
}
