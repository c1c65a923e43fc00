#!/usr/bin/env python3
"""The C parts form a DAG (issue 14): for each target's objects, who uses whose
definitions (nm), and any cycle among them is printed and fails the check.

Calls to the exported MPI procedures (MPI_*, PMPI_*) are left out: hand-written
code that calls PMPI_Barrier calls the face's public interface, the layer every
file serves, not a file below or above it. Run after `swift build -c release`.
Usage: layering.py [BUILD_DIR] (default .build/release); -v prints every edge."""
import collections
import glob
import os
import subprocess
import sys

TARGETS = ["Face", "Engine", "LowerCore", "OpenMPIFace", "OpenMPIFortran", "OpenMPICxx", "ShadowSlots", "CutRules"]
# Known cycles, each with its reason; a cycle not listed fails.
KNOWN = {}


def symbols(obj, *flags):
    out = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()]


def graph(build, target):
    objs = sorted(glob.glob(os.path.join(build, target + ".build", "**", "*.o"), recursive=True))
    base = os.path.join(build, target + ".build")
    defined, undefined = {}, {}
    for o in objs:
        name = os.path.relpath(o, base)
        for p in symbols(o, "--defined-only"):
            if len(p) == 3 and p[1].isupper():
                defined.setdefault(p[2], name)
        undefined[name] = [p[-1] for p in symbols(o, "-u")]
    edges = collections.defaultdict(dict)
    for name, uses in undefined.items():
        for u in uses:
            d = defined.get(u)
            if d and d != name and not u.startswith(("MPI_", "PMPI_")):
                edges[name].setdefault(d, []).append(u)
    return list(undefined), edges


def cycles(nodes, edges):
    """Strongly connected components of more than one object (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    build = args[0] if args else ".build/release"
    failed = 0
    for target in TARGETS:
        nodes, edges = graph(build, target)
        if not nodes:
            print(f"FAIL {target}: no objects under {build}/{target}.build (build first)")
            failed += 1
            continue
        if verbose:
            for a in sorted(edges):
                for b in sorted(edges[a]):
                    print(f"  {target}: {a} -> {b} ({', '.join(sorted(set(edges[a][b]))[:3])})")
        found = cycles(nodes, edges)
        for comp in found:
            known = KNOWN.get(target)
            if known and comp == known[0]:
                print(f"NOTE {target}: known cycle {sorted(comp)}: {known[1]}")
                continue
            failed += 1
            print(f"FAIL {target}: cycle among {sorted(comp)}")
            for a in sorted(comp):
                for b in sorted(edges[a]):
                    if b in comp:
                        print(f"     {a} -> {b} ({', '.join(sorted(set(edges[a][b]))[:4])})")
        unknown = [c for c in found if not (KNOWN.get(target) and c == KNOWN[target][0])]
        if not unknown:
            print(f"PASS {target}: {len(nodes)} objects, no cycle" + (" beyond the known one" if found else ""))
    print(f"{len(TARGETS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
