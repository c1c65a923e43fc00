#!/usr/bin/env python3
"""Record the Open MPI 4.1 ABI (the second face's ABI, issue 11; DESIGN.md §3 "Faces").

An Open MPI binary sees handles as addresses of exported objects
(MPI_COMM_WORLD is &ompi_mpi_comm_world), so a face that replaces libmpi.so.40
must export objects of the same names and sizes (the binary may hold copy
relocations for them), the same constant values, the same MPI_Status layout,
the Fortran handle indices and sentinel common blocks, and the same procedure
names in each of the libraries Open MPI's wrappers link. This script measures
all of that once from the installed Open MPI (its headers through a compiled
probe, its libraries through nm) and writes spec/openmpi-abi.json, which is
committed, so nothing needs Open MPI installed to generate the face.
    python3 spec/extract-openmpi-abi.py           # rewrite the JSON
    python3 spec/extract-openmpi-abi.py --check   # exit 1 if it differs
"""
import json, os, re, subprocess, sys, tempfile

INC = "/usr/lib/x86_64-linux-gnu/openmpi/include"
LIBDIR = "/usr/lib/x86_64-linux-gnu"
LIBRARIES = ["libmpi.so.40", "libmpi_mpifh.so.40", "libmpi_usempif08.so.40",
             "libmpi_usempi_ignore_tkr.so.40", "libmpi_cxx.so.40"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openmpi-abi.json")


def fail(msg):
    sys.exit("extract-openmpi-abi: " + msg)


def header_names(src):
    """Object-like macros and enum members named MPI_*/MPIX_*, with the macro bodies."""
    defines = {}
    for name, body in re.findall(r"^#define\s+(MPIX?_\w+)(?![\w(])[ \t]*(.*)$", src, re.M):
        if "static_cast" not in body:  # the C definition, not the C++ one before it
            defines.setdefault(name, re.sub(r"/\*.*?\*/", "", body).strip())
    enums = set()
    for body in re.findall(r"enum\s+\w*\s*\{([^}]*)\}", src):
        # Preprocessor lines inside the enum (#if !OMPI_OMIT_MPI1_COMPAT_DECLS ... #endif) would
        # otherwise glue themselves to the next member (MPI_COMBINER_HVECTOR was lost that way).
        body = re.sub(r"^\s*#.*$", "", re.sub(r"/\*.*?\*/", "", body, flags=re.S), flags=re.M)
        for item in body.split(","):
            n = item.split("=")[0].strip()
            if re.fullmatch(r"MPIX?_\w+", n):
                enums.add(n)
    return defines, enums


def lines_of_probe(ints, pointers):
    """The probe's source lines (line 1 is the stdint include)."""
    lines = ["#include <stdint.h>", "#include <mpi.h>", "#include <stdio.h>", "#include <stddef.h>", "int main(void) {"]
    for n in ints:
        lines.append(f'    printf("int {n} %lld\\n", (long long)({n}));')
    for n in pointers:
        lines.append(f'    printf("ptr {n} %lld\\n", (long long)(intptr_t)({n}));')
    lines.append('    printf("status size %zu\\n", sizeof(MPI_Status));')
    for f in ["MPI_SOURCE", "MPI_TAG", "MPI_ERROR", "_cancelled", "_ucount"]:
        lines.append(f'    printf("status {f} %zu %zu\\n", offsetof(MPI_Status, {f}), sizeof(((MPI_Status *)0)->{f}));')
    for t in ["MPI_Aint", "MPI_Offset", "MPI_Count", "MPI_Fint"]:
        lines.append(f'    printf("sizeof {t} %zu\\n", sizeof({t}));')
    return lines + ["    return 0;", "}"]


def probe(ints, pointers):
    """Values of integer and pointer constants and the MPI_Status layout, as the compiler sees them."""
    lines = lines_of_probe(ints, pointers)
    with tempfile.TemporaryDirectory() as d:
        c, exe = os.path.join(d, "probe.c"), os.path.join(d, "probe")
        open(c, "w").write("\n".join(lines) + "\n")
        r = subprocess.run(["gcc", "-w", "-I", INC, c, "-o", exe], capture_output=True, text=True)
        if r.returncode != 0:
            return None, r.stderr
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    return out, ""


def symbols(lib):
    """Dynamic symbols defined by a library: procedure names, and objects with their sizes."""
    path = os.path.join(LIBDIR, lib)
    out = subprocess.run(["nm", "-D", "-S", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    procs, objects = set(), {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "TtWi":
            procs.add(f[3])
        elif len(f) == 4 and f[2] in "BDRVu":
            objects[f[3]] = int(f[1], 16)
        elif len(f) == 3 and f[1] in "TW":
            procs.add(f[2])
    return sorted(procs), dict(sorted(objects.items()))


def fortran(inc):
    """Fortran PARAMETERs of mpif.h (handle indices and integer constants) and its sentinel common blocks."""
    params = {}
    for fn in ["mpif-handles.h", "mpif-constants.h", "mpif-io-handles.h", "mpif-io-constants.h", "mpif-config.h"]:
        p = os.path.join(inc, fn)
        if os.path.exists(p):
            for name, val in re.findall(r"parameter\s*\((MPIX?_\w+)\s*=\s*(-?\d+)\s*\)", open(p).read(), re.I):
                params[name.upper()] = int(val)
    commons = {}
    for block, name in re.findall(r"common\s*/(\w+)/\s*(MPI_\w+)", open(os.path.join(inc, "mpif-sentinels.h")).read(), re.I):
        commons[name.upper()] = block.lower() + "_"
    return dict(sorted(params.items())), dict(sorted(commons.items()))


def extract():
    src = open(os.path.join(INC, "mpi.h")).read()
    defines, enums = header_names(src)
    predefined, callbacks, ints, pointers = {}, {}, [], []
    for name, body in defines.items():
        if re.fullmatch(r"OMPI_C_\w+", body):
            callbacks[name] = body  # a predefined callback (MPI_COMM_DUP_FN): the face exports the same procedure
            continue
        m = re.fullmatch(r"OMPI_PREDEFINED_GLOBAL\(\s*(MPI_\w+)\s*,\s*(\w+)\s*\)", body)
        if m:
            predefined[name] = {"type": m.group(1), "symbol": m.group(2)}
        elif re.match(r"\(\s*\(?\s*(void|char|int|MPI_Status|MPI_Fint)\s*\*", body):
            pointers.append(name)
        elif body and re.fullmatch(r"[-+()\w\s|<>x]*", body) and not re.search(r"\b(MPI_[A-Z][a-z]\w*|OMPI_\w+\()", body):
            ints.append(name)
    ints = sorted(set(ints) | enums)
    out, err = probe(ints, pointers)
    while out is None:
        # A name that is not an integer expression: drop each one the compiler names and retry.
        bad = set()
        for ln in re.findall(r"probe\.c:(\d+):\d+: (?:error|note)", err):  # notes: errors inside mpi.h macros
            m = re.search(r'"(?:int|ptr) (MPIX?_\w+) ', lines_of_probe(ints, pointers)[int(ln) - 1])
            if m:
                bad.add(m.group(1))
        if not bad:
            fail("the probe does not compile:\n" + err[:2000])
        ints = [n for n in ints if n not in bad]
        pointers = [n for n in pointers if n not in bad]
        out, err = probe(ints, pointers)
    constants, status, sizes = {}, {"fields": {}}, {}
    for line in out.splitlines():
        f = line.split()
        if f[0] == "int":
            constants[f[1]] = {"type": "int", "value": int(f[2])}
        elif f[0] == "ptr":
            constants[f[1]] = {"type": "pointer", "value": int(f[2])}
        elif f[0] == "status" and f[1] == "size":
            status["size"] = int(f[2])
        elif f[0] == "status":
            status["fields"][f[1]] = {"offset": int(f[2]), "size": int(f[3])}
        elif f[0] == "sizeof":
            sizes[f[1]] = int(f[2])
    libraries = {}
    for lib in LIBRARIES:
        procs, objects = symbols(lib)
        libraries[lib] = {"procedures": procs, "objects": objects}
    libmpi_objects = libraries["libmpi.so.40"]["objects"]
    for name, p in predefined.items():
        if p["symbol"] not in libmpi_objects:
            fail(f"{name}: {p['symbol']} is not an object exported by libmpi.so.40")
        p["size"] = libmpi_objects[p["symbol"]]
    params, commons = fortran(INC)
    for name, block in commons.items():
        sized = [libraries[l]["objects"][block] for l in LIBRARIES if block in libraries[l]["objects"]]
        commons[name] = {"symbol": block, "size": max(sized) if sized else None}
    version = re.search(r"#define OMPI_(?:MAJOR|MINOR|RELEASE)_VERSION", src) and ".".join(
        re.search(rf"#define OMPI_{k}_VERSION\s+(\d+)", src).group(1) for k in ["MAJOR", "MINOR", "RELEASE"])
    return {
        "source": f"Open MPI {version}: {INC}/mpi.h, mpif*.h and {LIBDIR}/lib*.so.40 (written by spec/extract-openmpi-abi.py)",
        "constants": dict(sorted(constants.items())),
        "predefined": dict(sorted(predefined.items())),
        "callbacks": dict(sorted(callbacks.items())),
        "status": status,
        "type_sizes": sizes,
        "fortran": {"parameters": params, "sentinels": commons},
        "libraries": libraries,
    }


def main():
    if not os.path.exists(os.path.join(INC, "mpi.h")):
        fail(f"{INC}/mpi.h not found (apt-get install libopenmpi-dev)")
    text = json.dumps(extract(), indent=1) + "\n"
    if "--check" in sys.argv[1:]:
        if not os.path.exists(OUT) or open(OUT).read() != text:
            fail(f"{OUT} is not what the installed Open MPI says; run spec/extract-openmpi-abi.py")
        print("spec/openmpi-abi.json matches the installed Open MPI")
        return
    open(OUT, "w").write(text)
    d = json.loads(text)
    print(len(d["constants"]), "constants,", len(d["predefined"]), "predefined objects,",
          len(d["fortran"]["parameters"]), "Fortran parameters,",
          sum(len(l["procedures"]) for l in d["libraries"].values()), "procedures")


if __name__ == "__main__":
    main()
