import Foundation

/// The Open MPI 4.1 ABI as spec/openmpi-abi.json records it (only what the face needs).
public struct OpenMPIABI: Sendable {
    /// Constant values by MPI name (ints and pointer sentinels).
    public let constants: [String: Int64]
    /// Predefined handles: MPI name → (handle type, exported symbol, symbol size).
    public let predefined: [(name: String, type: String, symbol: String, size: Int)]
    /// Callback symbols (MPI_COMM_NULL_COPY_FN → OMPI_C_MPI_COMM_NULL_COPY_FN).
    public let callbacks: [String]
    /// Every procedure libmpi.so.40 exports.
    public let procedures: Set<String>

    /// libmpi_cxx.so.40's exported functions and objects (name → size), for its stub.
    public let cxxProcedures: [String]
    public let cxxObjects: [String: Int]

    /// Loads `<specDir>/openmpi-abi.json`.
    public init(specDir: URL) throws {
        let data = try Data(contentsOf: specDir.appendingPathComponent("openmpi-abi.json"))
        guard let top = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let consts = top["constants"] as? [String: [String: Any]],
              let predef = top["predefined"] as? [String: [String: Any]],
              let cbs = top["callbacks"] as? [String: String],
              let libs = top["libraries"] as? [String: [String: Any]],
              let procs = libs["libmpi.so.40"]?["procedures"] as? [String] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        constants = consts.compactMapValues { ($0["value"] as? NSNumber)?.int64Value }
        predefined = predef.sorted { $0.key < $1.key }.compactMap { name, v in
            guard let t = v["type"] as? String, let s = v["symbol"] as? String, let z = v["size"] as? Int else { return nil }
            return (name, t, s, z)
        }
        callbacks = Array(Set(cbs.values)).sorted()
        procedures = Set(procs)
        cxxProcedures = ((libs["libmpi_cxx.so.40"]?["procedures"] as? [String]) ?? []).sorted()
        cxxObjects = (libs["libmpi_cxx.so.40"]?["objects"] as? [String: Int]) ?? [:]
    }
}

/// Emits libmpi.so.40: Open MPI's ABI outside, the MPICH face's PMPI_ procedures inside.
///
/// Every entry converts Open MPI handles (addresses whose first int holds the MPICH-face
/// handle), statuses, sentinels and constants, calls the MPICH face through a pointer
/// resolved in libmpi.so.12 (never through the global scope, where the names are ours),
/// and converts back: one internal representation, two faces (docs/openmpi-face.md).
struct OpenMPIFaceEmitter {
    let plan: Plan
    let ompi: OpenMPIABI

    private func mpich(_ name: String) -> Int64? { plan.spec.constant(name)?.value }
    private func open(_ name: String) -> Int64 { ompi.constants[name] ?? 0 }
    private func kindIndex(_ cType: String) -> Int { HandleType.all.firstIndex { $0.cType == cType }! }

    /// User reduction functions at once (each MPI_Op_create takes one trampoline of the pool).
    static let opTrampolines = 64

    /// Array lengths the spec leaves implicit: the record's (Annotations.recordLengths) and
    /// the per-peer datatype arrays of the w-collectives.
    private func implicitLength(_ p: SpecProcedure, _ n: String) -> String? {
        if let l = Annotations.recordLengths["\(p.name).\(n)"] { return l }
        if p.name == "MPI_Graph_map" && n == "edges" { return Annotations.recordLengths["MPI_Graph_create.edges"] }
        if ["MPI_Neighbor_alltoallw", "MPI_Ineighbor_alltoallw"].contains(p.name) && (n == "sendtypes" || n == "recvtypes") {
            // Sends go to the destinations (out-degree), receives come from the sources.
            let m = { (name: String) in self.mpich(name) ?? 0 }
            return "of_neighbors(OF_H(comm), \(n == "sendtypes" ? 1 : 0), \(m("MPI_GRAPH")), \(m("MPI_CART")), \(m("MPI_DIST_GRAPH")))"
        }
        if ["MPI_Alltoallw", "MPI_Ialltoallw"].contains(p.name) && (n == "sendtypes" || n == "recvtypes") {
            return "of_comm_peers(OF_H(comm))"
        }
        return nil
    }

    /// Statements after a successful call, where Open MPI's answer differs from the MPICH face's.
    private var postHooks: [String: [String]] {
        [
            // The binary was compiled against Open MPI's mpi.h and checks its MPI_VERSION.
            "MPI_Get_version": ["*version = \(open("MPI_VERSION"));", "*subversion = \(open("MPI_SUBVERSION"));"],
            // MPI_HOST and MPI_IO hold ranks, whose sentinels (MPI_PROC_NULL...) differ.
            "MPI_Comm_get_attr": ["if (*flag && (comm_keyval == \(open("MPI_HOST")) || comm_keyval == \(open("MPI_IO"))))",
                                  "    of_attr_rank_out(comm_keyval == \(open("MPI_HOST")) ? 0 : 1, attribute_val);"],
            // MPI_WIN_UNIFIED is 2 in MPICH, 0 in Open MPI: the model points at storage of ours.
            "MPI_Win_get_attr": ["if (*flag && win_keyval == \(open("MPI_WIN_MODEL")))",
                                 "    of_win_model_out(attribute_val);"],
        ]
    }

    /// ompi_convert.generated.c: Open MPI's predefined objects and the constant maps, a leaf
    /// below the runtime's trampolines and the entries that both use it.
    func emitConversions() -> String {
        var w = CWriter()
        w.line(generatedBanner("Open MPI face (libmpi.so.40): its predefined objects and the constants' maps.")
               .replacingOccurrences(of: "spec/mpich-abi.json and", with: "spec/mpich-abi.json, spec/openmpi-abi.json and"))
        w.line("#include \"ompi_face.h\"\n")
        predefined(&w)
        constants(&w)
        toolsConstants(&w)
        return w.text
    }

    /// include/ompi_convert.generated.h: the prototypes of every map `emitConversions` defines
    /// (read off its definitions, so the two cannot differ).
    func emitConversionsHeader() -> String {
        var w = CWriter()
        w.line(generatedBanner("Open MPI face (libmpi.so.40): prototypes of ompi_convert.generated.c's maps.")
               .replacingOccurrences(of: "spec/mpich-abi.json and", with: "spec/mpich-abi.json, spec/openmpi-abi.json and"))
        w.line("#ifndef OMPI_CONVERT_GENERATED_H\n#define OMPI_CONVERT_GENERATED_H\n#include <stdint.h>\n")
        for line in emitConversions().split(separator: "\n")
        where (line.hasPrefix("int of_") || line.hasPrefix("void *of_")) && line.hasSuffix(")") {
            w.line("\(line);")
        }
        w.line("\n#endif")
        return w.text
    }

    /// ompi_face.generated.c: the entry points, trampolines and stubs.
    func emit() -> String {
        var w = CWriter()
        w.line(generatedBanner("Open MPI face (libmpi.so.40): convert at the boundary, call the MPICH face.")
               .replacingOccurrences(of: "spec/mpich-abi.json and", with: "spec/mpich-abi.json, spec/openmpi-abi.json and"))
        w.line("#include \"ompi_face.h\"\n")
        opTrampolines(&w)
        callbackTrampolines(&w)
        windowsAndFiles(&w)
        var supported: [SpecProcedure] = []
        var done = Set<String>()
        for p in plan.spec.procedures where p.mpich == true && ompi.procedures.contains(p.name)
            && Annotations.aliases[p.name] == nil {
            if let body = entry(p) { w.line(body); supported.append(p); done.insert(p.name) }
        }
        w.line("/* Deprecated MPI-1/2 names: this face's entry of the successor converts and forwards. */")
        let alias = AliasEmitter(plan: plan)
        for p in plan.aliases where ompi.procedures.contains(p.name) && done.contains(alias.successor(p).name) {
            let params = p.params.map { decl($0, open: true) }.joined(separator: ", ")
            w.line("OF_EXPORT int PMPI_\(p.short)(\(params))\n\(alias.body(p, decl: { decl($0, open: true) }, aint: "intptr_t"))")
            w.line("OF_EXPORT int MPI_\(p.short)(\(params)) __attribute__((weak, alias(\"PMPI_\(p.short)\")));\n")
            done.insert(p.name)
        }
        for name in fortranHandleEntries(&w) { done.insert(name) }
        w.line("/* Exported by Open MPI but not converted yet: fail naming the call. */")
        // f2c/c2f: ompi_f2c.generated.c (OpenMPIFortranEmitter).
        for name in ompi.procedures.sorted() where !done.contains(name) && !OpenMPIFortranEmitter.cFaceNames.contains(name)
            && (name.hasPrefix("MPI_") || name.hasPrefix("MPIX_")) {
            let short = name.hasPrefix("MPIX_") ? String(name.dropFirst(5)) : String(name.dropFirst(4))
            let prefix = name.hasPrefix("MPIX_") ? "MPIX_" : "MPI_"
            w.line("static int of_stub_\(prefix)\(short)(void) { return of_unsupported(\"\(name)\"); }")
            w.line("OF_EXPORT int P\(prefix)\(short)(void) __attribute__((alias(\"of_stub_\(prefix)\(short)\")));")
            w.line("OF_EXPORT int \(prefix)\(short)(void) __attribute__((weak, alias(\"of_stub_\(prefix)\(short)\")));")
        }
        w.line("\n/* Open MPI's predefined attribute callbacks (MPI_COMM_NULL_COPY_FN...), called by the trampolines. */")
        for cb in ompi.callbacks {
            if cb.contains("NULL_COPY") {
                w.line("OF_EXPORT int \(cb)(void *o, int k, void *e, void *in, void *out, int *flag) { (void)o; (void)k; (void)e; (void)in; (void)out; *flag = 0; return 0; }")
            } else if cb.contains("DUP_FN") {
                w.line("OF_EXPORT int \(cb)(void *o, int k, void *e, void *in, void *out, int *flag) { (void)o; (void)k; (void)e; *(void **)out = in; *flag = 1; return 0; }")
            } else if cb.contains("NULL_DELETE") {
                w.line("OF_EXPORT int \(cb)(void *o, int k, void *a, void *e) { (void)o; (void)k; (void)a; (void)e; return 0; }")
            } else {
                w.line("OF_EXPORT int \(cb)(void) { return of_unsupported(\"\(cb)\"); }")
            }
        }
        w.line("\n/* Before the application's constructors: the runtime binds to the MPICH face (which binds")
        w.line(" * to the lower half), then every MPICH-face procedure the entries call is resolved once in")
        w.line(" * libmpi.so.12. The entries' constructor, not the runtime's: the runtime stays below them. */")
        w.line("__attribute__((constructor)) static void of_resolve_all(void)\n{\n    of_bind();")
        for p in supported { w.line("    m_\(p.short) = of_sym(\"PMPI_\(p.short)\");") }
        w.line("}")
        return w.text
    }

    // MARK: predefined objects and constants

    private func predefined(_ w: inout CWriter) {
        w.line("/* Open MPI's predefined objects, with its symbol sizes (binaries copy-relocate them).")
        w.line(" * The first int of each holds the MPICH face's handle of the same MPI name. */")
        var seen = Set<String>()
        // Keyed by kind too: MPICH's MPI_MESSAGE_NULL and MPI_REQUEST_NULL are the same int.
        var reverse: [(Int, Int64, String)] = []
        var reverseSeen = Set<String>()
        for first in ompi.predefined where !seen.contains(first.symbol) {
            seen.insert(first.symbol)
            // Several names share one object (MPI_LONG_LONG and MPI_LONG_LONG_INT are
            // ompi_mpi_long_long_int): the one MPICH's ABI knows gives the handle, else
            // the first (which alone made MPI_LONG_LONG_INT the null datatype).
            let p = ompi.predefined.first { $0.symbol == first.symbol && mpich($0.name) != nil } ?? first
            let h = HandleType.all.first { $0.cType == p.type }
            let value = mpich(p.name) ?? h.flatMap { mpich($0.nullName) } ?? 0
            w.line("OF_EXPORT union { int32_t h; char bytes[\(p.size)]; } \(p.symbol) = { (int32_t)\(value) };")
            if mpich(p.name) != nil, let h, let kind = HandleType.all.firstIndex(of: h),
               !reverseSeen.contains("\(kind):\(value)") {
                reverseSeen.insert("\(kind):\(value)"); reverse.append((kind, value, p.symbol))
            }
        }
        w.line("const int32_t of_mpich_comm_world = (int32_t)\(mpich("MPI_COMM_WORLD") ?? 0);")
        w.line("\n/* An MPICH-face predefined handle of a kind → the Open MPI object of that name. */")
        w.line("void *of_predefined_out(int kind, int32_t h)\n{\n    switch ((uint64_t)(uint32_t)kind << 32 | (uint32_t)h) {")
        for (k, v, s) in reverse {
            w.line("    case (uint64_t)\(k) << 32 | (uint32_t)\(v): return &\(s);")
        }
        w.line("    default: return 0;\n    }\n}\n")
    }

    /// A C function mapping `from` values to `to` values for the named constants.
    private func mapping(_ name: String, _ names: [String], openToMPICH: Bool, _ w: inout CWriter,
                         otherwise: String = "v") {
        w.line("int \(name)(int v)\n{\n    switch (v) {")
        var seen = Set<Int64>()
        for n in names {
            guard let o = ompi.constants[n], let m = mpich(n) else { continue }
            let (from, to) = openToMPICH ? (o, m) : (m, o)
            if from == to || seen.contains(from) { continue }
            seen.insert(from)
            w.line("    case \(from): return \(to);")
        }
        w.line("    default: return \(otherwise);\n    }\n}")
    }

    /// A C function mapping a set of `from` bits to the same flags' `to` bits (MPI_MODE_*).
    private func flagMapping(_ name: String, _ names: [String], openToMPICH: Bool, _ w: inout CWriter) {
        w.line("int \(name)(int v)\n{\n    int r = 0;")
        for n in names {
            guard let o = ompi.constants[n], let m = mpich(n) else { continue }
            let (from, to) = openToMPICH ? (o, m) : (m, o)
            w.line("    if (v & \(from)) r |= \(to);")
        }
        w.line("    return r;\n}")
    }

    private func constants(_ w: inout CWriter) {
        let ranks = ["MPI_ANY_SOURCE", "MPI_PROC_NULL", "MPI_ROOT"]
        mapping("of_rank_in", ranks, openToMPICH: true, &w)
        mapping("of_rank_out", ranks, openToMPICH: false, &w)
        let errs = plan.spec.constants.map(\.name).filter { $0.hasPrefix("MPI_ERR_") && $0 != "MPI_ERR_LASTCODE" }
        mapping("of_err_in", errs, openToMPICH: true, &w)
        mapping("of_err_out", errs, openToMPICH: false, &w)
        let keyvals = ["MPI_TAG_UB", "MPI_HOST", "MPI_IO", "MPI_WTIME_IS_GLOBAL", "MPI_APPNUM", "MPI_UNIVERSE_SIZE",
                       "MPI_LASTUSEDCODE", "MPI_KEYVAL_INVALID",
                       "MPI_WIN_BASE", "MPI_WIN_SIZE", "MPI_WIN_DISP_UNIT", "MPI_WIN_CREATE_FLAVOR", "MPI_WIN_MODEL"]
        mapping("of_keyval_in", keyvals, openToMPICH: true, &w)
        mapping("of_keyval_out", keyvals, openToMPICH: false, &w)
        for kind in plan.classifier.enumKindNames {
            let names = plan.classifier.constants(ofEnum: kind)
            if Annotations.flagKinds.contains(kind) {
                flagMapping("of_enum_in_\(kind)", names, openToMPICH: true, &w)
                flagMapping("of_enum_out_\(kind)", names, openToMPICH: false, &w)
                continue
            }
            mapping("of_enum_in_\(kind)", names, openToMPICH: true, &w)
            mapping("of_enum_out_\(kind)", names, openToMPICH: false, &w)
        }
        w.line("")
    }

    /// MPICH's user function gets an int datatype, Open MPI's a pointer to its handle: each
    /// trampoline converts and calls the user function in its slot. They sit at fixed
    /// addresses in this library, so the MPICH face's record replays them after a restart.
    private func opTrampolines(_ w: inout CWriter) {
        TrampolinePool(symbol: "of_op", getter: "of_op_trampoline", exported: true, fnReturns: "void",
                       fnParams: "void *, void *, int *, void **", params: "void *in, void *inout, int *len, int32_t *dt",
                       body: "void *odt = of_out(\(kindIndex("MPI_Datatype")), *dt); fn(in, inout, len, &odt);",
                       count: Self.opTrampolines).emit(&w)
    }

    /// Procedures that make keyvals, with the handle kind their callbacks receive.
    private static let keyvalMakers: [String: String] = [
        "MPI_Comm_create_keyval": "MPI_Comm", "MPI_Type_create_keyval": "MPI_Datatype", "MPI_Keyval_create": "MPI_Comm",
        "MPI_Win_create_keyval": "MPI_Win",
    ]
    /// Errhandler functions at once (each MPI_Comm_create_errhandler takes one trampoline).
    static let errhandlerTrampolines = 16

    /// The MPICH-face argument for a callback parameter, and statements that make it.
    private func callbackArg(_ p: SpecProcedure, _ prm: SpecParam) -> ([String], String)? {
        let n = prm.name
        if p.name == "MPI_Op_create" && n == "user_fn" {
            return (["void *t_user_fn = of_op_trampoline(user_fn);",
                     "if (!t_user_fn) return of_unsupported(\"MPI_Op_create beyond \(Self.opTrampolines) user operations\");"],
                    "t_user_fn")
        }
        if p.name == "MPI_Comm_create_errhandler" && prm.kind == "FUNCTION" {
            return (["void *t_\(n) = of_errhandler_trampoline(\(n));",
                     "if (!t_\(n)) return of_unsupported(\"MPI_Comm_create_errhandler beyond \(Self.errhandlerTrampolines) handlers\");"],
                    "t_\(n)")
        }
        if let kind = Self.errhandlerMakers[p.name], prm.kind == "FUNCTION" {
            let tag = Self.errhandlerTag(kind)
            return (["void *t_\(n) = of_\(tag)_trampoline(\(n));",
                     "if (!t_\(n)) return of_unsupported(\"\(p.name) beyond \(Self.errhandlerTrampolines) handlers\");"],
                    "t_\(n)")
        }
        if let bundle = Self.callbackBundles[p.name] {
            if let t = bundle.trampolines[n] { return ([], "(void *)\(t)") }
            if prm.kind.hasPrefix("EXTRA_STATE") {
                let fns = p.params.filter { $0.kind == "FUNCTION" }.map(\.name)
                return ([], "\(bundle.maker)(\((fns + [n]).joined(separator: ", ")))")
            }
        }
        guard let t = Self.keyvalMakers[p.name] else { return nil }
        let kind = kindIndex(t)
        let fns = p.params.filter { $0.kind == "FUNCTION" }.map(\.name)
        guard fns.count == 2 else { return nil }
        // The user's functions and extra state travel in the extra state the MPICH face keeps.
        if n == fns[0] { return ([], "(void *)of_copy_tramp_\(kind)") }
        if n == fns[1] { return ([], "(void *)of_delete_tramp_\(kind)") }
        if prm.kind.hasPrefix("EXTRA_STATE") { return ([], "of_keyval_fns_new(\(fns[0]), \(fns[1]), \(n))") }
        return nil
    }

    /// Trampolines between the MPICH face's callbacks (int handles) and the application's.
    private func callbackTrampolines(_ w: inout CWriter) {
        for kind in Set(Self.keyvalMakers.values).sorted().map(kindIndex) {
            w.line("static int of_copy_tramp_\(kind)(int32_t o, int k, void *e, void *in, void *out, int *flag) { return of_copy_with(\(kind), o, k, e, in, out, flag); }")
            w.line("static int of_delete_tramp_\(kind)(int32_t o, int k, void *a, void *e) { return of_delete_with(\(kind), o, k, a, e); }")
        }
        errhandlerPool(kind: "MPI_Comm", &w)
    }

    /// Errhandler makers other than MPI_Comm_create_errhandler (handled above), by handle kind.
    private static let errhandlerMakers: [String: String] = [
        "MPI_Win_create_errhandler": "MPI_Win", "MPI_File_create_errhandler": "MPI_File",
    ]
    /// The C name part of a kind's errhandler pool (the communicators' keeps its first name).
    private static func errhandlerTag(_ cType: String) -> String {
        cType == "MPI_Comm" ? "errhandler" : "\(cType.dropFirst(4).lowercased())_errhandler"
    }

    /// One pool of errhandler trampolines for a handle kind: the MPICH face passes a pointer
    /// to its handle, Open MPI's function expects a pointer to an Open MPI handle.
    private func errhandlerPool(kind cType: String, _ w: inout CWriter) {
        let kind = kindIndex(cType)
        let p = cType == "MPI_Comm" ? "of_eh" : "of_\(cType.dropFirst(4).lowercased())_eh"
        let hType = cType == "MPI_File" ? "void *" : "int32_t "
        TrampolinePool(symbol: p, getter: "of_\(Self.errhandlerTag(cType))_trampoline", exported: cType == "MPI_Comm",
                       fnReturns: "void", fnParams: "void **, int *, ...", params: "\(hType)*h, int *e, ...",
                       body: "void *oh = \(outExpr(cType, kind, "*h")); int c = of_err_out(*e); fn(&oh, &c);",
                       count: Self.errhandlerTrampolines).emit(&w)
    }

    // MARK: windows, files, generalized requests

    /// An MPICH-face handle of kind `cType` as this face's handle (MPI_File is a pointer there,
    /// its virtual int in the low bits, as face_files.h's face_file_h makes it).
    private func inExpr(_ cType: String, _ x: String) -> String {
        cType == "MPI_File" ? "of_fh_in(\(x))" : "OF_H(\(x))"
    }
    private func outExpr(_ cType: String, _ kind: Int, _ h: String) -> String {
        cType == "MPI_File" ? "of_out(\(kind), (int32_t)(uint32_t)(uintptr_t)(\(h)))" : "of_out(\(kind), \(h))"
    }

    /// Callbacks that travel, with the application's extra state, in a heap struct passed to the
    /// MPICH face as extra state; fixed trampolines unpack it (no pool needed).
    private static let callbackBundles: [String: (maker: String, trampolines: [String: String])] = [
        "MPI_Grequest_start": ("of_greq_new", ["query_fn": "of_greq_query_tramp", "free_fn": "of_greq_free_tramp",
                                                "cancel_fn": "of_greq_cancel_tramp"]),
    ]

    private func windowsAndFiles(_ w: inout CWriter) {
        w.line("/* Files: the MPICH face's MPI_File is a pointer holding its virtual int (face_file_h). */")
        w.line("static inline void *of_fh_in(const void *fh) { return (void *)(uintptr_t)(uint32_t)OF_H(fh); }")
        for cType in ["MPI_Win", "MPI_File"] { errhandlerPool(kind: cType, &w) }
        let unified = open("MPI_WIN_UNIFIED"), separate = open("MPI_WIN_SEPARATE")
        w.line("/* MPI_WIN_MODEL's value: Open MPI's constants, in storage that outlives the call. */")
        w.line("static void of_win_model_out(void *attribute_val)\n{")
        w.line("    static const int models[2] = {\(unified), \(separate)};")
        w.line("    int m = **(int **)attribute_val;")
        w.line("    if (m == \(mpich("MPI_WIN_UNIFIED") ?? 0)) *(const int **)attribute_val = &models[0];")
        w.line("    else if (m == \(mpich("MPI_WIN_SEPARATE") ?? 0)) *(const int **)attribute_val = &models[1];\n}\n")
        // The query callback fills a status: the application's function sees Open MPI's layout.
        w.line("""
        /* Generalized requests: the application's callbacks and extra state, kept as the MPICH
         * face's extra state (upper-half heap: a pending one survives a restart). */
        struct of_greq {
            int (*query)(void *, struct of_status *);
            int (*free_fn)(void *);
            int (*cancel)(void *, int);
            void *extra;
        };
        static void *of_greq_new(void *query, void *free_fn, void *cancel, void *extra)
        {
            struct of_greq *g = of_alloc(sizeof *g);
            g->query = (int (*)(void *, struct of_status *))query;
            g->free_fn = (int (*)(void *))free_fn;
            g->cancel = (int (*)(void *, int))cancel;
            g->extra = extra;
            return g;
        }
        static int of_greq_query_tramp(void *e, struct mp_status *m)
        {
            struct of_greq *g = e;
            if (!g->query) return 0;
            struct of_status o;
            of_status_out(&o, m);
            int rc = g->query(g->extra, &o);
            of_status_in(m, &o);
            return rc ? of_err_in(rc) : 0;
        }
        /* Called last (face_greq.c releases the request after it): the bundle goes too. */
        static int of_greq_free_tramp(void *e)
        {
            struct of_greq *g = e;
            int rc = g->free_fn ? g->free_fn(g->extra) : 0;
            free(g);
            return rc ? of_err_in(rc) : 0;
        }
        static int of_greq_cancel_tramp(void *e, int complete)
        {
            struct of_greq *g = e;
            int rc = g->cancel ? g->cancel(g->extra, complete) : 0;
            return rc ? of_err_in(rc) : 0;
        }

        """)
    }

    // MARK: the tools interface

    /// MPI_T's enum-valued parameters (by spec kind) and the constants' common prefix.
    private static let toolsEnums: [String: String] = [
        "TOOL_VAR_VERBOSITY": "MPI_T_VERBOSITY_", "BIND_TYPE": "MPI_T_BIND_", "VARIABLE_SCOPE": "MPI_T_SCOPE_",
        "PVAR_CLASS": "MPI_T_PVAR_CLASS_",
    ]

    /// Conversions of MPI_T's constants, which all differ (MPICH's MPI_T_SCOPE_CONSTANT is 60438,
    /// Open MPI's 0) and its return codes (MPICH's MPI_T_ERR_INVALID_INDEX is 62, Open MPI's 57),
    /// in a function of their own that only MPI_T entries use.
    private func toolsConstants(_ w: inout CWriter) {
        let names = plan.spec.constants.map(\.name)
        // An MPI_T call may also fail with an MPI error class (MPICH's classes and MPI_T codes do not overlap).
        mapping("of_t_err_out", names.filter { $0.hasPrefix("MPI_T_ERR_") }, openToMPICH: false, &w, otherwise: "of_err_out(v)")
        for (kind, prefix) in Self.toolsEnums.sorted(by: { $0.key < $1.key }) {
            let set = names.filter { $0.hasPrefix(prefix) }
            mapping("of_t_in_\(kind)", set, openToMPICH: true, &w)
            mapping("of_t_out_\(kind)", set, openToMPICH: false, &w)
        }
        w.line("")
    }

    /// MPI_Win_c2f/f2c and MPI_File_c2f/f2c: the null is Open MPI's Fortran 0, every other
    /// object an index of the runtime's f2c table (of_f_index), from 1. Returns the names
    /// emitted. (Other kinds' f2c/c2f belong to the Fortran work, not this section.)
    private func fortranHandleEntries(_ w: inout CWriter) -> [String] {
        var names: [String] = []
        w.line("/* Fortran handles of windows and files: Open MPI's Fortran MPI_WIN_NULL / MPI_FILE_NULL is 0, every")
        w.line(" * other object a non-negative index of the runtime's table, as in Open MPI. */")
        for cType in ["MPI_Win", "MPI_File"] {
            let short = String(cType.dropFirst(4)), kind = kindIndex(cType)
            guard ompi.procedures.contains("\(cType)_c2f"), ompi.procedures.contains("\(cType)_f2c") else { continue }
            let null = mpich(HandleType.all[kind].nullName) ?? 0
            w.line("OF_EXPORT int PMPI_\(short)_c2f(void *h) { return !h || OF_H(h) == (int32_t)\(null) ? 0 : of_f_index(\(kind), h, 1); }")
            w.line("OF_EXPORT int MPI_\(short)_c2f(void *h) __attribute__((weak, alias(\"PMPI_\(short)_c2f\")));")
            w.line("OF_EXPORT void *PMPI_\(short)_f2c(int f) { void *o = of_f_object(\(kind), f, 1); return o ? o : of_out(\(kind), (int32_t)\(null)); }")
            w.line("OF_EXPORT void *MPI_\(short)_f2c(int f) __attribute__((weak, alias(\"PMPI_\(short)_f2c\")));\n")
            names += ["\(cType)_c2f", "\(cType)_f2c"]
        }
        return names
    }

    // MARK: entries

    private static let plainTypes: [String: String] = [
        "MPI_Aint": "intptr_t", "MPI_Offset": "long long", "MPI_Count": "long long", "MPI_Fint": "int",
    ]
    private static let unsupportedKinds: Set<String> = [
        "FUNCTION", "POLYFUNCTION", "SESSION", "STRING_ARRAY", "STRING_2DARRAY", "VARARGS",
        "F90_STATUS", "F08_STATUS", "EXTRA_STATE", "EXTRA_STATE2",
    ]

    /// Declaration of `p` on one side: Open MPI (handles are pointers) or MPICH (handles are ints).
    private func decl(_ p: SpecParam, open: Bool) -> String {
        let c = CType(p.ctype)
        var base = c.base
        if c.handle != nil { base = open || c.base == "MPI_File" ? "void *" : "int32_t" }
        if base == "MPI_Status" { base = open ? "struct of_status" : "struct mp_status" }
        if let t = Self.plainTypes[base] { base = t }
        // MPI_T's handles are pointers in both ABIs, opaque to this face (NULL is the null of each).
        if base.hasPrefix("MPI_T_") { base = "void *" }
        // Callbacks cross as plain code addresses; the trampolines know their real types.
        if base.hasSuffix("_function") { return "void *\(p.name)" }
        let stars = String(repeating: "*", count: c.pointers)
        if c.rowsOf3 { return "\(c.isConst ? "const " : "")\(base) \(p.name)[][3]" }
        return "\(c.isConst ? "const " : "")\(base) \(stars)\(p.name)"
    }

    private func retType(_ r: String) -> String? {
        switch r {
        case "int": return "int"
        case "double": return "double"
        case "MPI_Aint": return "intptr_t"
        default: return nil
        }
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    private func entry(_ p: SpecProcedure) -> String? {
        guard let ret = retType(p.ret) else { return nil }
        let tools = p.name.hasPrefix("MPI_T_")
        var pre: [String] = [], args: [String] = [], post: [String] = [], cleanup: [String] = [], failPost: [String] = []
        let firstArrayLength = p.params.first { CType($0.ctype).handle != nil && $0.array }?.length
        func scalarInt(_ n: String?) -> Bool {
            guard let n, let q = p.params.first(where: { $0.name == n }) else { return false }
            return CType(q.ctype).pointers == 0 && q.ctype == "int"
        }
        for prm in p.params {
            let n = prm.name
            let c = CType(prm.ctype)
            if let (lines, arg) = callbackArg(p, prm) {
                pre += lines; args.append(arg)
                continue
            }
            // MPI_T's indices, counts and handles pass as they are (toolsEnums are converted).
            let toolsPlain = tools && !prm.kind.hasPrefix("EVENT") && !c.base.hasPrefix("MPI_T_event")
                && (prm.kind.hasPrefix("PVAR") || prm.kind.hasPrefix("CVAR") || prm.kind.hasPrefix("TOOL")
                    || c.base.hasPrefix("MPI_T_"))
            if Self.unsupportedKinds.contains(prm.kind) || c.base.hasSuffix("_function") || c.base == "MPI_Session"
                || (!toolsPlain && (prm.kind.hasPrefix("PVAR") || prm.kind.hasPrefix("CVAR") || prm.kind.hasPrefix("EVENT")
                    || prm.kind.hasPrefix("TOOL") || c.base.hasPrefix("MPI_T_")))
                || c.base == "MPI_F08_status" {
                return nil
            }
            if let h = c.handle {
                let kind = HandleType.all.firstIndex(of: h)!
                if prm.array {
                    if h.cType == "MPI_File" { return nil }
                    let len: String
                    if scalarInt(prm.length), let l = prm.length { len = l } else if let l = implicitLength(p, n) {
                        len = l
                    } else { return nil }
                    pre.append("int32_t s_\(n)[OF_STACK]; int k_\(n) = \(len) > 0 ? \(len) : 0;")
                    pre.append("int32_t *a_\(n) = k_\(n) <= OF_STACK ? s_\(n) : of_alloc(k_\(n) * sizeof(int32_t));")
                    if prm.dir != "out" { pre.append("for (int i = 0; i < k_\(n); i++) a_\(n)[i] = OF_H(\(n)[i]);") }
                    if prm.dir != "in" { post.append("for (int i = 0; i < k_\(n); i++) \(n)[i] = of_out(\(kind), a_\(n)[i]);") }
                    args.append("a_\(n)")
                    cleanup.append("if (a_\(n) != s_\(n)) free(a_\(n));")
                } else if c.pointers == 0 {
                    args.append(inExpr(h.cType, n))
                } else {
                    let local = h.cType == "MPI_File" ? "void *" : "int32_t "
                    pre.append("\(local)h_\(n) = \(prm.dir == "out" ? "0" : inExpr(h.cType, "*\(n)"));")
                    args.append("&h_\(n)")
                    if prm.dir != "in" { post.append("*\(n) = \(outExpr(h.cType, kind, "h_\(n)"));") }
                    // A failed call that still set its output (a dup whose copy callback failed gives
                    // MPI_COMM_NULL) says so on this face too; 0 is no MPICH handle.
                    if prm.dir == "out" { failPost.append("if (h_\(n)) *\(n) = \(outExpr(h.cType, kind, "h_\(n)"));") }
                }
                continue
            }
            if c.base == "MPI_Status" {
                if prm.array {
                    guard prm.dir == "out", let len = firstArrayLength, scalarInt(len) else { return nil }
                    pre.append("struct mp_status ss_\(n)[OF_STACK]; int ks_\(n) = \(len) > 0 ? \(len) : 0;")
                    pre.append("struct mp_status *st_\(n) = !\(n) ? MP_STATUSES_IGNORE : ks_\(n) <= OF_STACK ? ss_\(n) : of_alloc(ks_\(n) * sizeof(struct mp_status));")
                    pre.append("if (\(n)) for (int i = 0; i < ks_\(n); i++) of_status_in(&st_\(n)[i], &\(n)[i]);")
                    post.append("if (\(n)) for (int i = 0; i < ks_\(n); i++) of_status_out(&\(n)[i], &st_\(n)[i]);")
                    cleanup.append("if (\(n) && st_\(n) != ss_\(n)) free(st_\(n));")
                    args.append("st_\(n)")
                } else {
                    pre.append("struct mp_status st_\(n); if (\(n)) of_status_in(&st_\(n), \(n));")
                    args.append("\(n) ? &st_\(n) : MP_STATUS_IGNORE")
                    if prm.dir != "in" { post.append("if (\(n)) of_status_out(\(n), &st_\(n));") }
                }
                continue
            }
            let isInt = c.base == "int"
            var conv: (String, String)?
            if (prm.kind == "RANK" || prm.kind == "RANK_NNI") && isInt && !c.rowsOf3 { conv = ("of_rank_in", "of_rank_out") }
            if prm.kind == "KEYVAL" && isInt { conv = ("of_keyval_in", "of_keyval_out") }
            if (prm.kind == "ERROR_CODE" || prm.kind == "ERROR_CLASS") && isInt && p.name != "MPI_Abort" {
                conv = ("of_err_in", "of_err_out")
            }
            if plan.classifier.constants(ofEnum: prm.kind).count > 0 && isInt {
                conv = ("of_enum_in_\(prm.kind)", "of_enum_out_\(prm.kind)")
            }
            if tools && Self.toolsEnums[prm.kind] != nil && isInt {
                conv = ("of_t_in_\(prm.kind)", "of_t_out_\(prm.kind)")
            }
            if let (cin, cout) = conv {
                if c.pointers == 0 && !prm.array {
                    args.append("\(cin)(\(n))")
                } else if prm.array {
                    let lenExpr: String
                    if let len = prm.length, p.params.contains(where: { $0.name == len }) {
                        lenExpr = scalarInt(len) ? len : "*\(len)"
                    } else if let l = implicitLength(p, n) {
                        lenExpr = l
                    } else { return nil }
                    pre.append("int sv_\(n)[OF_STACK]; int kv_\(n) = \(lenExpr) > 0 ? \(lenExpr) : 0;")
                    pre.append("int *v_\(n) = kv_\(n) <= OF_STACK ? sv_\(n) : of_alloc(kv_\(n) * sizeof(int));")
                    if prm.dir != "out" { pre.append("for (int i = 0; i < kv_\(n); i++) v_\(n)[i] = \(cin)(\(n)[i]);") }
                    if prm.dir != "in" {
                        // The length may be an output itself (Graph_neighbors_count): recount after the call.
                        post.append("kv_\(n) = \(lenExpr) > 0 && \(lenExpr) < kv_\(n) ? \(lenExpr) : kv_\(n);")
                        post.append("for (int i = 0; i < kv_\(n); i++) \(n)[i] = \(cout)(v_\(n)[i]);")
                    }
                    cleanup.append("if (v_\(n) != sv_\(n)) free(v_\(n));")
                    args.append("v_\(n)")
                } else {
                    pre.append("int v_\(n) = \(prm.dir == "out" ? "0" : "\(cin)(*\(n))");")
                    args.append("&v_\(n)")
                    if prm.dir != "in" { post.append("*\(n) = \(cout)(v_\(n));") }
                }
                continue
            }
            if prm.kind == "WEIGHT" {
                args.append("of_weights(\(n))")
                continue
            }
            if prm.kind == "BUFFER" && c.base == "void" && c.pointers == 1 {
                args.append("OF_BUF(\(n))")
                continue
            }
            args.append(n)
        }
        let openParams = p.params.map { decl($0, open: true) }
        let mpichParams = p.params.map { decl($0, open: false) }
        let op = openParams.isEmpty ? "void" : openParams.joined(separator: ", ")
        let mp = mpichParams.isEmpty ? "void" : mpichParams.joined(separator: ", ")
        var s = "static \(ret) (*m_\(p.short))(\(mp));\n"
        s += "OF_EXPORT \(ret) PMPI_\(p.short)(\(op))\n{\n"
        if ret != "int" {
            s += "    return m_\(p.short)(\(args.joined(separator: ", ")));\n}\n"
        } else {
            for l in pre { s += "    \(l)\n" }
            s += "    int rc = m_\(p.short)(\(args.joined(separator: ", ")));\n"
            post += postHooks[p.name] ?? []
            if !post.isEmpty {
                s += "    if (rc == 0) {\n"
                for l in post { s += "        \(l)\n" }
                if failPost.isEmpty {
                    s += "    }\n"
                } else {
                    s += "    } else {\n"
                    for l in failPost { s += "        \(l)\n" }
                    s += "    }\n"
                }
            }
            for l in cleanup { s += "    \(l)\n" }
            s += "    return __builtin_expect(rc == 0, 1) ? 0 : \(tools ? "of_t_err_out" : "of_err_out")(rc);\n}\n"
        }
        s += "OF_EXPORT \(ret) MPI_\(p.short)(\(op)) __attribute__((weak, alias(\"PMPI_\(p.short)\")));\n"
        return s
    }
}

/// Emits the libmpi_cxx.so.40 stub: every symbol Open MPI's C++ bindings library exports, with
/// its size for objects (programs copy-relocate them), none of them working. `mpicxx.openmpi`
/// links this library into every C++ program, which then imports a few of its symbols for the
/// vtables of mpicxx.h's inline classes even when it calls only the C API; such programs run.
/// One that uses the bindings is refused before it starts (ProgramCheck.cxxBindingsUse); if a
/// library of it calls one anyway, the call fails naming itself.
struct OpenMPICxxStubEmitter {
    let ompi: OpenMPIABI

    func emit() -> String {
        var w = CWriter()
        w.line(generatedBanner("libmpi_cxx.so.40 stub: Open MPI's C++ bindings, present but unsupported.")
               .replacingOccurrences(of: "spec/mpi-api.json, spec/mpich-abi.json and", with: "spec/openmpi-abi.json and"))
        w.line("#include \"ompi_cxx.h\"\n")
        w.line("/* Objects (MPI::COMM_WORLD, vtables, typeinfo), zero: nothing constructs them. */")
        for (name, size) in ompi.cxxObjects.sorted(by: { $0.key < $1.key }) {
            w.line("OFX_EXPORT char \(name)[\(max(size, 1))] __attribute__((aligned(16)));")
        }
        w.line("\n/* Functions: each names itself (demangled) and ends the job. */")
        for (index, name) in ompi.cxxProcedures.enumerated() {
            w.line("static void ofx_\(index)(void) { ofx_unsupported(\"\(name)\"); }")
            w.line("OFX_EXPORT void \(name)(void) __attribute__((alias(\"ofx_\(index)\")));")
        }
        return w.text
    }
}
