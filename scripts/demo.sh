#!/usr/bin/env bash
# Builds ckpt-mpi and runs one unmodified MPICH-ABI program natively and as a
# split process on each MPI, showing the same answer everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release 2>&1 | tail -1
mkdir -p demo
mpicc.mpich -O2 examples/ring.c -o demo/ring
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "== native MPICH";             mpiexec.mpich -n 4 demo/ring 2000
echo "== ckpt-mpi on Open MPI";     .build/release/ckpt-mpi run -np 4 --mpi openmpi -- demo/ring 2000
echo "== ckpt-mpi on MPICH";        .build/release/ckpt-mpi run -np 4 --mpi mpich -- demo/ring 2000
