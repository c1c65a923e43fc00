#!/usr/bin/env python3
"""Derive spec/mpi-api.json from the MPI Forum's machine-readable API.

Run by hand when the spec needs refreshing (needs network once):
    pip install pympistandard==0.2.0 && python3 spec/extract-apis.py
The output is committed so that a build never needs the network. For every
C-expressible MPI procedure it keeps the ISO C prototype and, per parameter,
the semantic kind, direction and array length, which is what the binding
generator (Sources/BindingsGen) needs. Procedures that MPICH 4.0's mpi.h does
not declare are marked `mpich: false`: the MPICH-ABI face does not export them.
"""
import json, os, re, sys

import pympistandard as std

MPICH_DIR = "/usr/include/x86_64-linux-gnu/mpich"
MPICH_HEADERS = ("mpi.h", "mpi_proto.h", "mpio.h")

def _length(v):
    """A single length expression; multi-dimensional lengths are left to hand-written code."""
    return v if isinstance(v, str) else None

def main():
    std.use_api_version(1)
    mpich = None
    if os.path.isdir(MPICH_DIR):
        mpich = "".join(open(os.path.join(MPICH_DIR, h)).read() for h in MPICH_HEADERS
                        if os.path.exists(os.path.join(MPICH_DIR, h)))
    raw = json.load(open(os.path.join(os.path.dirname(std.__file__), "data", "apis.json")))
    out = []
    for key in sorted(std.PROCEDURES):
        proc = std.PROCEDURES[key]
        try:
            c = proc.express.iso_c
        except Exception:
            continue
        if c is None or not c.name.startswith("MPI_"):
            continue
        rawparams = {rp["name"]: rp for rp in raw[key]["parameters"]}
        params = []
        for p in c.parameters:
            text = str(p)
            ctype = text[: text.rfind(p.name)].strip()
            array = text.endswith("[]") or text.endswith("][3]")
            if text.endswith("[][3]"):
                ctype += " (*)[3]"
            elif array:
                ctype += " *"
            params.append({
                "name": p.name,
                "ctype": ctype,
                "kind": p.kind.name,
                "dir": str(p.direction).split(".")[-1].lower() if p.direction is not None else "in",
                "length": _length(rawparams.get(p.name, {}).get("length")),
                "array": bool(array),
            })
        entry = {"name": c.name, "ret": c.return_type if hasattr(c, "return_type") else "int",
                 "params": params}
        if mpich is not None:
            entry["mpich"] = re.search(r"\bP?" + re.escape(c.name) + r"\s*\(", mpich) is not None
        out.append(entry)
    json.dump(out, sys.stdout if len(sys.argv) > 1 and sys.argv[1] == "-" else
              open(os.path.join(os.path.dirname(__file__), "mpi-api.json"), "w"), indent=1)

if __name__ == "__main__":
    main()
