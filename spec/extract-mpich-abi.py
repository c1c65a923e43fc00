#!/usr/bin/env python3
"""Record the MPICH ABI constants (the face's ABI, DESIGN.md §3 "Faces").

The MPICH ABI is what MPICH's mpi.h defines: handle constants, special values,
error classes, buffer sizes. This script reads MPICH 4.0's header once and
writes spec/mpich-abi.json, which is committed; the generator turns it into
Sources/HalfABI/include/ckpt_abi.h so nothing needs MPICH installed to build.
    python3 spec/extract-mpich-abi.py
"""
import json, os, re

HDR = "/usr/include/x86_64-linux-gnu/mpich/mpi.h"
src = open(HDR).read()
consts = {}
# typed handle constants: #define MPI_INT ((MPI_Datatype)0x4c000405)
for name, typ, val in re.findall(r"#define\s+(MPIX?_\w+)\s+\(\((MPI_\w+)\)\s*(-?0x[0-9a-fA-F]+|-?\d+)\)", src):
    consts[name] = {"type": typ, "value": int(val, 0)}
# ops are written without the outer parentheses: #define MPI_MAX (MPI_Op)(0x58000001)
for name, typ, val in re.findall(r"#define\s+(MPIX?_\w+)\s+\((MPI_\w+)\)\s*\((-?0x[0-9a-fA-F]+|-?\d+)\)", src):
    consts[name] = {"type": typ, "value": int(val, 0)}
# plain numbers: #define MPI_ANY_SOURCE (-2) / #define MPI_MAX_PROCESSOR_NAME 128
for name, val in re.findall(r"#define\s+(MPIX?_\w+)\s+\(?\s*(-?0x[0-9a-fA-F]+|-?\d+)\s*\)?\s*(?:/\*.*)?$", src, re.M):
    if name not in consts:
        consts[name] = {"type": "int", "value": int(val, 0)}
# enums: MPI_ERR_* and friends are #defines in MPICH; combiners are an enum
for body in re.findall(r"enum\s+\w*\s*\{([^}]*)\}", src):
    nxt = 0
    for item in body.split(","):
        item = re.sub(r"/\*.*?\*/", "", item).strip()
        if not item:
            continue
        if "=" in item:
            n, v = [x.strip() for x in item.split("=", 1)]
            try:
                nxt = int(v, 0)
            except ValueError:
                continue
        else:
            n = item
        if n.startswith("MPI"):
            consts.setdefault(n, {"type": "int", "value": nxt})
        nxt += 1
# pointer-valued specials
for name, val in re.findall(r"#define\s+(MPI_\w+)\s+\((?:void|MPI_Status|int|char|MPI_Fint)\s*\*\*?\)\s*\(?(-?\d+)\)?", src):
    consts[name] = {"type": "pointer", "value": int(val, 0)}
json.dump(dict(sorted(consts.items())), open(os.path.join(os.path.dirname(__file__), "mpich-abi.json"), "w"), indent=1)
print(len(consts), "constants")
