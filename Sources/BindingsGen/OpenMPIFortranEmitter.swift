import Foundation

/// What spec/openmpi-abi.json says of Open MPI's Fortran side: mpif.h's parameters (handle
/// indices of the f2c tables, MPI_STATUS_SIZE...), the sentinel common blocks and every name
/// libmpi_mpifh.so.40 exports.
public struct OpenMPIFortranABI: Sendable {
    /// mpif.h's integer parameters by MPI name.
    public let parameters: [String: Int64]
    /// Sentinels (MPI_BOTTOM...) → their common block symbol and size.
    public let sentinels: [(name: String, symbol: String, size: Int)]
    /// Every function name libmpi_mpifh.so.40 exports.
    public let mpifhProcedures: [String]

    /// Loads `<specDir>/openmpi-abi.json`.
    public init(specDir: URL) throws {
        let data = try Data(contentsOf: specDir.appendingPathComponent("openmpi-abi.json"))
        guard let top = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let f = top["fortran"] as? [String: Any],
              let params = f["parameters"] as? [String: Any],
              let sent = f["sentinels"] as? [String: [String: Any]],
              let libs = top["libraries"] as? [String: [String: Any]],
              let mpifh = libs["libmpi_mpifh.so.40"]?["procedures"] as? [String] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        parameters = params.compactMapValues { ($0 as? NSNumber)?.int64Value }
        sentinels = sent.sorted { $0.key < $1.key }.compactMap { name, v in
            guard let s = v["symbol"] as? String, let z = v["size"] as? Int else { return nil }
            return (name, s, z)
        }
        mpifhProcedures = mpifh.sorted()
    }
}

/// Emits Open MPI's Fortran side: the f2c/c2f tables and sentinel common blocks of the Open MPI
/// C face (libmpi.so.40), and our libmpi_mpifh.so.40, whose every entry (`ompi_send_f`, aliased
/// `mpi_send_`, `MPI_SEND`, `pmpi_send__`...) takes its arguments by reference, converts Fortran
/// handles, sentinels, strings, logicals and indices, and calls the Open MPI C face's PMPI_
/// procedure (docs/openmpi-face.md, "Fortran"). Open MPI's real libmpi_mpifh cannot load against
/// the face (it needs Open MPI's internals); its usempif08 and usempi_ignore_tkr need only the
/// names this one exports.
struct OpenMPIFortranEmitter {
    let plan: Plan
    let ompi: OpenMPIABI
    let fortran: OpenMPIFortranABI

    /// The handle kinds whose f2c/c2f this emitter writes into the Open MPI face (ompi_f2c.generated.c).
    static let kinds = ["MPI_Comm", "MPI_Group", "MPI_Datatype", "MPI_Errhandler", "MPI_Op", "MPI_Info",
                        "MPI_Request", "MPI_Message"]
    /// Every kind a Fortran entry converts: also windows and files, whose f2c/c2f the Open MPI face's
    /// own emitter writes (a Fortran handle is the MPICH face's int for them).
    static let convertedKinds = kinds + ["MPI_Win", "MPI_File"]
    /// C names the f2c file defines in libmpi.so.40 (the Open MPI face emits no stub for them).
    static var cFaceNames: Set<String> {
        var s: Set<String> = ["MPI_Status_f2c", "MPI_Status_c2f"]
        for k in kinds {
            let n = k == "MPI_Datatype" ? "Type" : String(k.dropFirst(4))
            s.insert("MPI_\(n)_f2c"); s.insert("MPI_\(n)_c2f")
        }
        return s
    }
    /// Parameter kinds a Fortran entry does not convert: such procedures fail naming themselves.
    private static let unsupportedKinds: Set<String> = [
        "FUNCTION", "POLYFUNCTION", "SESSION", "STRING_ARRAY", "STRING_2DARRAY", "VARARGS",
        "F08_STATUS", "EXTRA_STATE", "EXTRA_STATE2", "ATTRIBUTE_VAL_10", "ARGUMENT_COUNT", "ARGUMENT_LIST",
    ]
    /// Outputs that are 0-based indices in C and 1-based in Fortran.
    private static let indexOutputs: [String: String] = [
        "MPI_Waitany.index": "", "MPI_Testany.index": "",
        "MPI_Waitsome.array_of_indices": "outcount", "MPI_Testsome.array_of_indices": "outcount",
    ]
    /// Predefined keyvals whose C attribute points at an int (a Fortran attribute is the value).
    private static let predefinedKeyvals = ["MPI_TAG_UB", "MPI_HOST", "MPI_IO", "MPI_WTIME_IS_GLOBAL", "MPI_APPNUM",
                                            "MPI_UNIVERSE_SIZE", "MPI_LASTUSEDCODE"]

    private func mpich(_ name: String) -> Int64? { plan.spec.constant(name)?.value }
    private func cName(_ kind: String) -> String { kind == "MPI_Datatype" ? "Type" : String(kind.dropFirst(4)) }

    // MARK: libmpi.so.40's part: f2c/c2f and the sentinels

    /// ompi_f2c.generated.c of the Open MPI face.
    func emitCFace() -> String {
        var w = CWriter()
        w.line(generatedBanner("Open MPI face: Fortran handles (f2c/c2f) and the sentinel common blocks.")
               .replacingOccurrences(of: "spec/mpich-abi.json and", with: "spec/mpich-abi.json, spec/openmpi-abi.json and"))
        w.line("#include <string.h>\n#include \"ompi_face.h\"\n")
        w.line("/* MPI_BOTTOM, MPI_IN_PLACE, MPI_STATUS_IGNORE... of Fortran: the addresses of these common blocks. */")
        for s in fortran.sentinels {
            w.line("OF_EXPORT char \(s.symbol)[\(max(s.size, 1))] __attribute__((aligned(16)));")
        }
        w.line("")
        w.line("/* A Fortran handle is, as in Open MPI, a non-negative index: a predefined object's is mpif.h's value,")
        w.line(" * any other object's one of the runtime's table after them (of_f_index). A user object's MPICH-face")
        w.line(" * handle is negative ((2 << 30) | kind | slot), a predefined one's not. */")
        var declared = Set<String>()
        for (kindIndex, kind) in Self.kinds.enumerated() {
            let h = HandleType.all.first { $0.cType == kind }!
            let kindNo = HandleType.all.firstIndex(of: h)!
            // index → object; MPICH value → index. The null first, so a name MPICH lacks maps to it.
            var byIndex: [Int64: String] = [:]
            var toIndex: [(Int64, Int64)] = []
            var seenValue = Set<Int64>()
            let names = ompi.predefined.filter { $0.type == kind }.sorted { a, b in
                (a.name == h.nullName ? 0 : 1, a.name) < (b.name == h.nullName ? 0 : 1, b.name)
            }
            for p in names {
                guard let f = fortran.parameters[p.name], f >= 0, f < 4096 else { continue }
                if byIndex[f] == nil { byIndex[f] = p.symbol }
                guard let v = mpich(p.name) ?? (p.name == h.nullName ? mpich(h.nullName) : nil), !seenValue.contains(v)
                else { continue }
                seenValue.insert(v); toIndex.append((v, f))
            }
            guard let nullIndex = fortran.parameters[h.nullName],
                  let nullSym = ompi.predefined.first(where: { $0.name == h.nullName })?.symbol else { continue }
            for s in byIndex.values.sorted() where !declared.contains(s) {
                declared.insert(s); w.line("extern char \(s)[];")
            }
            let size = (byIndex.keys.max() ?? 0) + 1
            let n = cName(kind)
            w.line("static void *const of_f2c_\(kindIndex)[\(size)] = {")
            for (f, s) in byIndex.sorted(by: { $0.key < $1.key }) { w.line("    [\(f)] = \(s),") }
            w.line("};")
            w.line("OF_EXPORT void *PMPI_\(n)_f2c(int f)\n{")
            w.line("    if (f >= \(size)) { void *o = of_f_object(\(kindNo), f, \(size)); return o ? o : (void *)\(nullSym); }")
            w.line("    return f >= 0 && of_f2c_\(kindIndex)[f] ? of_f2c_\(kindIndex)[f] : (void *)\(nullSym);\n}")
            w.line("OF_EXPORT void *MPI_\(n)_f2c(int) __attribute__((weak, alias(\"PMPI_\(n)_f2c\")));")
            w.line("OF_EXPORT int PMPI_\(n)_c2f(void *c)\n{")
            w.line("    if (!c) return \(nullIndex);")
            w.line("    switch (OF_H(c)) {")
            for (v, f) in toIndex { w.line("    case (int32_t)\(v): return \(f);") }
            w.line("    default: return OF_H(c) < 0 ? of_f_index(\(kindNo), c, \(size)) : OF_H(c);\n    }\n}")
            w.line("OF_EXPORT int MPI_\(n)_c2f(void *) __attribute__((weak, alias(\"PMPI_\(n)_c2f\")));\n")
        }
        w.line("/* Fortran names libmpi.so.40 itself exports (MPI_COMM_NULL_COPY_FN... as Fortran externals, the")
        w.line(" * f90 timers): a program naming one needs the symbol to load; calling one fails naming it. */")
        // The predefined attribute callbacks, with their Fortran semantics: a Fortran keyval's
        // trampoline (libmpi_mpifh.so.40) calls them like any Fortran copy or delete function.
        w.line("static void of_f_null_copy(int *o, int *k, intptr_t *e, intptr_t *in, intptr_t *out, int *flag, int *ierr)")
        w.line("{ (void)o; (void)k; (void)e; (void)in; (void)out; *flag = 0; *ierr = 0; }")
        w.line("static void of_f_dup(int *o, int *k, intptr_t *e, intptr_t *in, intptr_t *out, int *flag, int *ierr)")
        w.line("{ (void)o; (void)k; (void)e; *out = *in; *flag = \(Self.fortranTrue); *ierr = 0; }")
        w.line("static void of_f_null_delete(int *o, int *k, intptr_t *a, intptr_t *e, int *ierr)")
        w.line("{ (void)o; (void)k; (void)a; (void)e; *ierr = 0; }")
        for (i, name) in Self.fortranNamesOfLibmpi(ompi.procedures).enumerated() {
            // MPI-1's mpi_null_copy_fn/mpi_dup_fn take INTEGER values (MPI_KEYVAL_CREATE, not converted).
            let mpi1 = name.contains("mpi_null_") || name.contains("mpi_dup_fn") || name.hasPrefix("ompi_null_")
                || name.hasPrefix("ompi_dup_fn")
            let known = [("null_copy_fn", "of_f_null_copy"), ("dup_fn", "of_f_dup"), ("null_delete_fn", "of_f_null_delete")]
            if !mpi1, let impl = known.first(where: { name.contains("_\($0.0)") })?.1,
               ["comm", "type", "win"].contains(where: { name.contains("_\($0)_") }) {
                w.line("OF_EXPORT void \(name)(void) __attribute__((weak, alias(\"\(impl)\")));")
                continue
            }
            w.line("static int of_fstub_\(i)(void) { return of_unsupported(\"\(name) (Fortran)\"); }")
            w.line("OF_EXPORT int \(name)(void) __attribute__((weak, alias(\"of_fstub_\(i)\")));")
        }
        w.line("")
        let size = fortran.parameters["MPI_STATUS_SIZE"] ?? 6
        w.line("/* Open MPI's Fortran status is its C status read as \(size) INTEGERs. */")
        w.line("_Static_assert(sizeof(struct of_status) == \(size) * sizeof(int), \"Open MPI's MPI_STATUS_SIZE\");")
        for (name, from, to) in [("f2c", "const int *", "struct of_status *"), ("c2f", "const struct of_status *", "int *")] {
            w.line("OF_EXPORT int PMPI_Status_\(name)(\(from)in, \(to)out)\n{")
            w.line("    if (!in || !out) return \(ompi.constants["MPI_ERR_ARG"] ?? 13);")
            w.line("    memmove(out, in, sizeof(struct of_status));\n    return 0;\n}")
            w.line("OF_EXPORT int MPI_Status_\(name)(\(from), \(to)) __attribute__((weak, alias(\"PMPI_Status_\(name)\")));")
        }
        return w.text
    }

    /// The Fortran-convention names among libmpi.so.40's exports (`mpi_comm_null_copy_fn_`, `ompi_dup_fn_f`...).
    static func fortranNamesOfLibmpi(_ procedures: Set<String>) -> [String] {
        procedures.filter { ($0.hasPrefix("mpi_") && !$0.hasPrefix("mpi_fortran_")) || ($0.hasPrefix("ompi_") && $0.hasSuffix("_f")) }
            .sorted()
    }

    // MARK: libmpi_mpifh.so.40

    /// The base name by which an exported mpifh symbol belongs to a procedure ("send" for
    /// mpi_send_, PMPI_SEND, ompi_send_f, MPI_Send_f08), nil for other symbols.
    static func baseName(_ symbol: String) -> String? {
        var s = symbol.lowercased()
        if s.hasPrefix("ompi_") && s.hasSuffix("_f") { return String(s.dropFirst(5).dropLast(2)) }
        for p in ["pmpix_", "mpix_", "pmpi_", "mpi_"] where s.hasPrefix(p) { s = String(s.dropFirst(p.count)); break }
        for suffix in ["_f08", "_f", "__", "_"] where s.hasSuffix(suffix) { return String(s.dropLast(suffix.count)) }
        return s
    }

    /// ompi_mpifh.generated.c.
    func emitMpifh() -> String {
        var w = CWriter()
        w.line(generatedBanner("libmpi_mpifh.so.40: Open MPI's mpif.h entry points in front of the Open MPI C face.")
               .replacingOccurrences(of: "spec/mpich-abi.json and", with: "spec/mpich-abi.json, spec/openmpi-abi.json and"))
        w.line("#include \"ompi_mpifh.h\"\n")
        for s in fortran.sentinels {
            w.line("extern char \(s.symbol)[];")
        }
        w.line("#define OFF_BUF(x) ((void *)(x) == (void *)mpi_fortran_bottom_ ? (void *)0 : (void *)(x) == (void *)mpi_fortran_in_place_ ? (void *)1 : (void *)(x))")
        w.line("#define OFF_STATUS(x) ((void *)(x) == (void *)mpi_fortran_status_ignore_ ? (void *)0 : (void *)(x))")
        w.line("#define OFF_STATUSES(x) ((void *)(x) == (void *)mpi_fortran_statuses_ignore_ ? (void *)0 : (void *)(x))")
        w.line("#define OFF_ERRCODES(x) ((void *)(x) == (void *)mpi_fortran_errcodes_ignore_ ? (void *)0 : (void *)(x))")
        w.line("#define OFF_WEIGHTS(x) ((void *)(x) == (void *)mpi_fortran_unweighted_ ? (void *)2 : (void *)(x) == (void *)mpi_fortran_weights_empty_ ? (void *)3 : (void *)(x))\n")
        for kind in Self.convertedKinds {
            let n = cName(kind)
            w.line("void *PMPI_\(n)_f2c(int);\nint PMPI_\(n)_c2f(void *);")
        }
        w.line("")
        opTrampolines(&w)
        var bodies: [String: String] = [:]
        for p in plan.spec.procedures where p.mpich == true && Annotations.aliases[p.name] == nil
            && ompi.procedures.contains(p.name) && !p.name.hasPrefix("MPI_T_") && !Self.cFaceNames.contains(p.name)
            && !p.name.hasSuffix("_f2c") && !p.name.hasSuffix("_c2f") {
            if let b = entry(p) { bodies[p.short.lowercased()] = b; w.line(b) }
        }
        w.line("/* Every other name Open MPI's libmpi_mpifh.so.40 exports: fails naming itself. */")
        var stub = 0
        for sym in fortran.mpifhProcedures {
            let base = Self.baseName(sym)
            if let base, bodies[base] != nil {
                if sym != "ompi_\(base)_f" {
                    w.line("OFF_EXPORT void \(sym)(void) __attribute__((weak, alias(\"ompi_\(base)_f\")));")
                }
                continue
            }
            w.line("static void off_stub_\(stub)(void) { ompi_ckpt_mpi_unsupported(\"\(sym) (Fortran)\"); }")
            w.line("OFF_EXPORT void \(sym)(void) __attribute__((weak, alias(\"off_stub_\(stub)\")));")
            stub += 1
        }
        return w.text
    }

    /// Fortran user operations at once (each MPI_OP_CREATE takes one trampoline of the pool).
    static let opTrampolines = 64
    /// Fortran errhandlers at once, per kind (communicator, window, file).
    static let errhandlerTrampolines = 16
    /// Fortran keyvals at once, per kind (each takes a copy and a delete trampoline).
    static let keyvalTrampolines = 32
    /// The keyval-creating procedures and the kind (C name) of the object their functions get.
    private static let keyvalKinds = ["MPI_Comm_create_keyval": "Comm", "MPI_Type_create_keyval": "Type",
                                      "MPI_Win_create_keyval": "Win"]
    /// The errhandler-creating procedures and the kind (C name) of the handle their function gets.
    private static let errhandlerKinds = ["MPI_Comm_create_errhandler": "Comm", "MPI_Win_create_errhandler": "Win",
                                          "MPI_File_create_errhandler": "File"]

    private func trampolinePool(_ name: String, fnType: String, cParams: String, body: String, n: Int,
                                returns: String = "void", _ w: inout CWriter) {
        // fnType: "void NAME(params)" as the Fortran function's prototype
        let ret = String(fnType.prefix { $0 != " " })
        let fnParams = String(fnType[fnType.index(after: fnType.firstIndex(of: "(")!)..<fnType.lastIndex(of: ")")!])
        TrampolinePool(symbol: "off_\(name)", getter: "off_\(name)_trampoline", fnReturns: ret, fnParams: fnParams,
                       returns: returns, params: cParams, body: body, count: n).emit(&w)
    }

    /// A Fortran user function takes the datatype as a Fortran handle, the C face passes a pointer
    /// to its C handle; a Fortran errhandler takes its object as a Fortran handle too.
    private func opTrampolines(_ w: inout CWriter) {
        trampolinePool("op", fnType: "void off_op_fn(void *, void *, int *, int *)",
                       cParams: "void *in, void *inout, int *len, void **dt",
                       body: "int f = PMPI_Type_c2f(*dt); fn(in, inout, len, &f);", n: Self.opTrampolines, &w)
        for cname in Set(Self.errhandlerKinds.values).sorted() {
            trampolinePool("eh_\(cname)", fnType: "void off_eh_\(cname)_fn(int *, int *)",
                           cParams: "void **h, int *code, ...",
                           body: "int f = PMPI_\(cname)_c2f(*h); fn(&f, code);", n: Self.errhandlerTrampolines, &w)
        }
        // Keyvals: the C face calls copy(object, keyval, extra, in, &out, &flag) and
        // delete(object, keyval, value, extra); the Fortran functions take all by reference,
        // the values as INTEGER(KIND=MPI_ADDRESS_KIND), the flag as a LOGICAL, ierr last.
        for cname in Set(Self.keyvalKinds.values).sorted() {
            trampolinePool("kc_\(cname)",
                           fnType: "void off_kc_\(cname)_fn(int *, int *, intptr_t *, intptr_t *, intptr_t *, int *, int *)",
                           cParams: "void *o, int k, void *e, void *in, void *out, int *flag",
                           body: "int f = PMPI_\(cname)_c2f(o); intptr_t fe = (intptr_t)e, fi = (intptr_t)in, fo = 0; "
                               + "int fl = 0, ierr = 0; fn(&f, &k, &fe, &fi, &fo, &fl, &ierr); *flag = fl != 0; "
                               + "if (fl) *(void **)out = (void *)fo; return ierr;",
                           n: Self.keyvalTrampolines, returns: "int", &w)
            trampolinePool("kd_\(cname)", fnType: "void off_kd_\(cname)_fn(int *, int *, intptr_t *, intptr_t *, int *)",
                           cParams: "void *o, int k, void *a, void *e",
                           body: "int f = PMPI_\(cname)_c2f(o); intptr_t fa = (intptr_t)a, fe = (intptr_t)e; int ierr = 0; "
                               + "fn(&f, &k, &fa, &fe, &ierr); return ierr;",
                           n: Self.keyvalTrampolines, returns: "int", &w)
        }
    }

    private static let plainTypes: [String: String] = [
        "MPI_Aint": "intptr_t", "MPI_Offset": "long long", "MPI_Count": "long long", "MPI_Fint": "int",
    ]

    /// The C face's prototype type of a parameter (handles and statuses as void *).
    private func cDecl(_ p: SpecParam) -> String {
        let c = CType(p.ctype)
        var base = c.base
        if c.handle != nil || base == "MPI_Status" { base = "void" }
        if let t = Self.plainTypes[base] { base = t }
        if c.base.hasSuffix("_function") { return "void *" }
        if c.rowsOf3 { return "int (*)[3]" }
        let stars = String(repeating: "*", count: c.pointers)
        if c.handle != nil && c.pointers == 0 { return "void *" }
        return "\(base) \(stars)"
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    private func entry(_ p: SpecProcedure) -> String? {
        let isInit = p.name == "MPI_Init" || p.name == "MPI_Init_thread"
        var fparams: [String] = [], strings: [String] = [], pre: [String] = [], args: [String] = []
        var post: [String] = [], cleanup: [String] = []
        func lengthExpr(_ n: String?) -> String? {
            guard let n, let q = p.params.first(where: { $0.name == n }), CType(q.ctype).base == "int" else { return nil }
            return "(*\(n))"
        }
        for prm in p.params {
            let n = prm.name
            let c = CType(prm.ctype)
            if isInit && prm.kind.hasPrefix("ARGUMENT_") { args.append("0"); continue }
            if p.name == "MPI_Op_create" && prm.kind == "POLYFUNCTION" {
                fparams.append("off_op_fn \(n)")
                pre.append("void *t_\(n) = off_op_trampoline((void *)\(n));")
                pre.append("if (!t_\(n)) { ompi_ckpt_mpi_unsupported(\"MPI_OP_CREATE (Fortran) beyond \(Self.opTrampolines) user operations\"); return; }")
                args.append("t_\(n)")
                continue
            }
            if let cname = Self.keyvalKinds[p.name], prm.kind == "FUNCTION" || prm.kind == "EXTRA_STATE" {
                if prm.kind == "EXTRA_STATE" {
                    fparams.append("intptr_t *\(n)")
                    args.append("(void *)*\(n)")
                    continue
                }
                let pool = c.base.contains("copy") ? "kc_\(cname)" : "kd_\(cname)"
                fparams.append("off_\(pool)_fn \(n)")
                pre.append("void *t_\(n) = off_\(pool)_trampoline((void *)\(n));")
                pre.append("if (!t_\(n)) { ompi_ckpt_mpi_unsupported(\"\(p.name.uppercased()) (Fortran) beyond \(Self.keyvalTrampolines) keyvals\"); return; }")
                args.append("t_\(n)")
                continue
            }
            if p.name == "MPI_Grequest_start" && (prm.kind == "FUNCTION" || prm.kind == "EXTRA_STATE") {
                // The Fortran functions and the extra state's address travel as the C extra state
                // (ompi_mpifh.c's off_greq_new) to fixed C callbacks named after the parameters.
                if prm.kind == "FUNCTION" {
                    fparams.append("void *\(n)")
                    args.append("(void *)off_greq_\(n)")
                } else {
                    let fns = p.params.filter { $0.kind == "FUNCTION" }.map(\.name).joined(separator: ", ")
                    fparams.append("intptr_t *\(n)")
                    args.append("off_greq_new(\(fns), \(n))")
                }
                continue
            }
            if let cname = Self.errhandlerKinds[p.name], prm.kind == "FUNCTION" {
                let upper = p.name.uppercased()
                fparams.append("off_eh_\(cname)_fn \(n)")
                pre.append("void *t_\(n) = off_eh_\(cname)_trampoline((void *)\(n));")
                pre.append("if (!t_\(n)) { ompi_ckpt_mpi_unsupported(\"\(upper) (Fortran) beyond \(Self.errhandlerTrampolines) errhandlers\"); return; }")
                args.append("t_\(n)")
                continue
            }
            if Self.unsupportedKinds.contains(prm.kind) || c.base.hasSuffix("_function") || c.base.hasPrefix("MPI_T_")
                || c.base == "MPI_Session" || c.base == "MPI_F08_status" {
                return nil
            }
            let plain = Self.plainTypes[c.base] ?? c.base
            if let h = c.handle {
                guard Self.convertedKinds.contains(h.cType) else { return nil }
                let k = cName(h.cType)
                if prm.array {
                    guard let len = lengthExpr(prm.length) else { return nil }
                    fparams.append("int *\(n)")
                    pre.append("int k_\(n) = \(len) > 0 ? \(len) : 0; void *s_\(n)[OFF_STACK];")
                    pre.append("void **a_\(n) = k_\(n) <= OFF_STACK ? s_\(n) : off_alloc(k_\(n) * sizeof(void *));")
                    if prm.dir != "out" { pre.append("for (int i = 0; i < k_\(n); i++) a_\(n)[i] = PMPI_\(k)_f2c(\(n)[i]);") }
                    if prm.dir != "in" { post.append("for (int i = 0; i < k_\(n); i++) \(n)[i] = PMPI_\(k)_c2f(a_\(n)[i]);") }
                    cleanup.append("if (a_\(n) != s_\(n)) free(a_\(n));")
                    args.append("a_\(n)")
                } else if c.pointers == 0 {
                    fparams.append("int *\(n)")
                    args.append("PMPI_\(k)_f2c(*\(n))")
                } else {
                    fparams.append("int *\(n)")
                    pre.append("void *h_\(n) = \(prm.dir == "out" ? "0" : "PMPI_\(k)_f2c(*\(n))");")
                    args.append("&h_\(n)")
                    if prm.dir != "in" { post.append("*\(n) = PMPI_\(k)_c2f(h_\(n));") }
                }
                continue
            }
            if c.base == "MPI_Status" {
                fparams.append("int *\(n)")
                args.append(prm.array ? "OFF_STATUSES(\(n))" : "OFF_STATUS(\(n))")
                continue
            }
            if prm.kind == "STRING" && c.base == "char" {
                fparams.append("char *\(n)")
                strings.append(n)
                if prm.dir == "in" {
                    pre.append("char *c_\(n) = off_string_in(\(n), l_\(n));")
                    cleanup.append("free(c_\(n));")
                } else {
                    pre.append("char *c_\(n) = off_alloc(l_\(n) + \(Self.stringSlack));")
                    pre.append("c_\(n)[0] = 0;")
                    post.append("off_string_out(\(n), l_\(n), c_\(n));")
                    cleanup.append("free(c_\(n));")
                }
                args.append("c_\(n)")
                continue
            }
            if prm.kind == "ATTRIBUTE_VAL" {
                fparams.append("intptr_t *\(n)")
                if prm.dir == "in" {
                    args.append("(void *)*\(n)")
                } else {
                    let keyval = p.params.first { $0.kind == "KEYVAL" }!.name
                    let pre_ = Self.predefinedKeyvals.compactMap { ompi.constants[$0] }
                    pre.append("void *v_\(n) = 0;")
                    args.append("&v_\(n)")
                    let cases = pre_.map { "*\(keyval) == \($0)" }.joined(separator: " || ")
                    if p.name == "MPI_Win_get_attr" {
                        // A window's C attributes: MPI_WIN_BASE the address itself, MPI_WIN_SIZE an MPI_Aint,
                        // the others an int, each behind a pointer; Fortran gets the value.
                        func any(_ names: [String]) -> String {
                            names.compactMap { ompi.constants[$0] }.map { "*\(keyval) == \($0)" }.joined(separator: " || ")
                        }
                        let ints = any(["MPI_WIN_DISP_UNIT", "MPI_WIN_CREATE_FLAVOR", "MPI_WIN_MODEL"])
                        let aints = any(["MPI_WIN_SIZE"])
                        post.append("if (b_flag) *\(n) = (\(ints.isEmpty ? "0" : ints)) ? *(int *)v_\(n) : "
                                    + "(\(aints.isEmpty ? "0" : aints)) ? *(intptr_t *)v_\(n) : (intptr_t)v_\(n);")
                    } else {
                        post.append("if (b_flag) *\(n) = (\(cases.isEmpty ? "0" : cases)) ? *(int *)v_\(n) : (intptr_t)v_\(n);")
                    }
                }
                continue
            }
            if prm.kind == "LOGICAL" && c.base == "int" && !prm.array && c.pointers == 1 && prm.dir == "out" {
                fparams.append("int *\(n)")
                pre.append("int b_\(n) = 0;")
                args.append("&b_\(n)")
                post.append("*\(n) = b_\(n) ? \(Self.fortranTrue) : 0;")
                continue
            }
            if prm.kind == "BUFFER" && c.base == "void" && c.pointers == 1 {
                fparams.append("void *\(n)")
                args.append("OFF_BUF(\(n))")
                continue
            }
            if prm.kind == "WEIGHT" {
                fparams.append("int *\(n)")
                args.append("OFF_WEIGHTS(\(n))")
                continue
            }
            if prm.kind == "ERROR_CODE" && prm.array && prm.dir == "out" {
                fparams.append("int *\(n)")
                args.append("OFF_ERRCODES(\(n))")
                continue
            }
            if let suffix = Self.indexOutputs["\(p.name).\(n)"] {
                fparams.append("int *\(n)")
                args.append(n)
                let undefined = ompi.constants["MPI_UNDEFINED"] ?? -32766
                if suffix.isEmpty {
                    post.append("if (*\(n) != \(undefined)) *\(n) += 1;")
                } else {
                    post.append("if (*\(suffix) != \(undefined)) for (int i = 0; i < *\(suffix); i++) \(n)[i] += 1;")
                }
                continue
            }
            if c.rowsOf3 { fparams.append("int (*\(n))[3]"); args.append(n); continue }
            if c.pointers == 0 {
                // A scalar input: by reference in Fortran.
                guard plain == "int" || plain == "intptr_t" || plain == "long long" || plain == "double" else { return nil }
                fparams.append("\(plain) *\(n)")
                args.append("*\(n)")
                continue
            }
            guard c.pointers == 1, plain == "int" || plain == "intptr_t" || plain == "long long" || plain == "void"
            else { return nil }
            fparams.append("\(plain) *\(n)")
            args.append(n)
        }
        let ret = p.ret == "int" ? "int" : p.ret == "double" ? "double" : p.ret == "MPI_Aint" ? "intptr_t" : nil
        guard let ret else { return nil }
        let cproto = p.params.map(cDecl).joined(separator: ", ")
        var s = "\(ret) PMPI_\(p.short)(\(cproto.isEmpty ? "void" : cproto));\n"
        let lens = strings.map { "size_t l_\($0)" }
        if ret != "int" {
            // Functions in Fortran too (MPI_WTIME, MPI_AINT_ADD): no ierror.
            let all = fparams + lens
            let sig = "OFF_EXPORT \(ret) ompi_\(p.short.lowercased())_f(\(all.isEmpty ? "void" : all.joined(separator: ", ")))"
            s += "\(sig);\n\(sig)\n{\n"
            s += "    return PMPI_\(p.short)(\(args.joined(separator: ", ")));\n}\n"
            return s
        }
        let all = fparams + ["int *ierr"] + lens
        let sig = "OFF_EXPORT void ompi_\(p.short.lowercased())_f(\(all.joined(separator: ", ")))"
        s += "\(sig);\n\(sig)\n{\n"
        for l in pre { s += "    \(l)\n" }
        s += "    int rc = PMPI_\(p.short)(\(args.joined(separator: ", ")));\n"
        if !post.isEmpty {
            s += "    if (rc == 0) {\n"
            for l in post { s += "        \(l)\n" }
            s += "    }\n"
        }
        for l in cleanup { s += "    \(l)\n" }
        s += "    if (ierr) *ierr = rc;\n}\n"
        return s
    }

    /// Room beyond the Fortran length for a C string output (MPI_MAX_INFO_VAL is the largest).
    static let stringSlack = 1025
    /// gfortran's .TRUE. (Open MPI's OMPI_FORTRAN_VALUE_TRUE).
    static let fortranTrue = 1
}
