/// Emits the neutral ABI headers shared by both halves.
struct ABIHeaders {
    let plan: Plan

    /// Sources/HalfABI/include/ckpt_abi.h: every MPICH ABI constant as CKPT_<name>.
    func abiHeader() -> String {
        var w = CWriter()
        w.line(generatedBanner("The MPICH ABI constants, which are also the neutral values of the call table."))
        w.line("#ifndef CKPT_ABI_H\n#define CKPT_ABI_H\n\n#include <stdint.h>\n")
        w.line("/* Object kinds: MPICH's handle kind bits (bits 26-29). */")
        let kinds = [("COMM", 1), ("GROUP", 2), ("DATATYPE", 3), ("FILE", 4), ("ERRHANDLER", 5), ("OP", 6),
                     ("INFO", 7), ("WIN", 8), ("KEYVAL", 9), ("ATTR", 10), ("REQUEST", 11)]
        for (n, v) in kinds { w.line("#define CKPT_KIND_\(n) \(v)") }
        w.line("#define CKPT_KIND_COUNT 16\n")
        for (name, c) in plan.spec.constants {
            switch c.type {
            case "pointer": w.line("#define CKPT_\(name) ((void *)(intptr_t)(\(c.value)))")
            case "int": w.line("#define CKPT_\(name) (\(c.value))")
            default: w.line("#define CKPT_\(name) ((int32_t)0x\(String(UInt32(truncatingIfNeeded: c.value), radix: 16)))")
            }
        }
        w.line("\n/* Procedure ids (index in spec/mpi-api.json), used by the constructor record. */")
        w.line("enum ckpt_fn_id {")
        for (i, p) in plan.spec.procedures.enumerated() { w.line("    CKPT_FN_\(p.short) = \(i),") }
        w.line("};")
        w.line("\n#endif")
        return w.text
    }

    /// Sources/HalfABI/include/ckpt_calltable.h: the struct of lower-half entry points.
    func callTableHeader() -> String {
        var w = CWriter()
        w.line(generatedBanner("The call table: one entry per MPI operation the lower half performs."))
        w.line("#ifndef CKPT_CALLTABLE_H\n#define CKPT_CALLTABLE_H\n\n#include <stdint.h>\n#include \"ckpt_abi.h\"\n")
        w.line("typedef int64_t ckpt_aint_t;\ntypedef int64_t ckpt_count_t;\ntypedef int64_t ckpt_offset_t;\n")
        w.line("/* MPICH's MPI_Status layout; the byte count and cancelled flag are ours (DESIGN §3). */")
        w.line("struct ckpt_status {\n    int count_lo;\n    int count_hi_and_cancelled;\n    int source;\n    int tag;\n    int error;\n};\n")
        w.line("/* Neutral values for special pointer arguments that are symbols in MPICH's ABI. */")
        w.line("#define CKPT_UNWEIGHTED_SENTINEL ((const int *)(intptr_t)2)")
        w.line("#define CKPT_WEIGHTS_EMPTY_SENTINEL ((const int *)(intptr_t)3)")
        w.line("/* The real handle the lower half gives MPI_MESSAGE_NO_PROC. */")
        w.line("#define CKPT_REAL_MESSAGE_NO_PROC ((uint64_t)1)\n")
        w.line("#define CKPT_CALLTABLE_VERSION 0x\(String(plan.tableVersion, radix: 16))u\n")
        w.line("struct ckpt_calltable {\n    uint32_t version;\n    uint32_t entries;")
        for m in plan.tableMembers { w.line("    \(m);") }
        w.line("};\n\n#define CKPT_CALLTABLE_ENTRIES \(plan.tableMembers.count)\n\n#endif")
        return w.text
    }
}
