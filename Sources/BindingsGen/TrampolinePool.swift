/// A pool of C trampolines at fixed addresses, for callbacks whose C signature (what the layer
/// below calls) differs from the one the application registered: trampoline k calls the function
/// in slot k through `body`, which names it `fn` (of type `SYMBOL_fn`); `getter(f)` hands out
/// f's slot or a free one, NULL when the pool is full. The pools are fixed code and upper-half
/// data, so a record that names a trampoline replays after a restart. Both Open MPI faces use it
/// (user ops, errhandlers, keyval functions).
struct TrampolinePool {
    /// Prefix of the pool's names: SYMBOL_fns, SYMBOL_t<k>, SYMBOL_tramps, SYMBOL_lock, SYMBOL_fn.
    let symbol: String
    /// The function that hands out trampolines (`void *getter(void *f)`).
    let getter: String
    /// The getter is declared in a header and used by other files.
    var exported = false
    /// The stored (application's) function: its return type and parameter list.
    let fnReturns: String
    let fnParams: String
    /// A trampoline: its return type, its parameters (what the layer below passes) and its body.
    var returns = "void"
    let params: String
    let body: String
    let count: Int

    func emit(_ w: inout CWriter) {
        w.line("typedef \(fnReturns) (*\(symbol)_fn)(\(fnParams));")
        w.line("static void *\(symbol)_fns[\(count)];")
        for k in 0..<count {
            w.line("static \(returns) \(symbol)_t\(k)(\(params)) { \(symbol)_fn fn = (\(symbol)_fn)\(symbol)_fns[\(k)]; \(body) }")
        }
        w.line("static void *const \(symbol)_tramps[\(count)] = {")
        w.line((0..<count).map { "(void *)\(symbol)_t\($0)" }.joined(separator: ", ") + "};")
        w.line("static pthread_mutex_t \(symbol)_lock = PTHREAD_MUTEX_INITIALIZER;")
        w.line("\(exported ? "" : "static ")void *\(getter)(void *f)\n{\n    void *t = 0;\n    pthread_mutex_lock(&\(symbol)_lock);")
        w.line("    for (int k = 0; k < \(count) && !t; k++)")
        w.line("        if (!\(symbol)_fns[k] || \(symbol)_fns[k] == f) { \(symbol)_fns[k] = f; t = \(symbol)_tramps[k]; }")
        w.line("    pthread_mutex_unlock(&\(symbol)_lock);\n    return t;\n}\n")
    }
}
