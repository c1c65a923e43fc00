#!/usr/bin/env bash
# Installs what is missing, builds ckpt-mpi, and shows its point: an unmodified
# MPICH-ABI program started on Open MPI is checkpointed, killed, restarted on
# MPICH, and finishes with the same answer as an uninterrupted native run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== building (swift build -c release)"
swift build -c release 2>&1 | tail -1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
CKPT=.build/release/ckpt-mpi
rm -rf demo && mkdir -p demo
mpicc.mpich -O2 examples/steps.c -o demo/steps
echo "== native MPICH, uninterrupted"
mpiexec.mpich -n 2 demo/steps 60 | tail -1
echo "== ckpt-mpi on Open MPI, checkpointed and killed after 1.5 s"
$CKPT run -np 2 --mpi openmpi --ckpt-dir demo/ck -- demo/steps 60 >demo/before.out &
job=$!
sleep 1.5
$CKPT checkpoint --ckpt-dir demo/ck --kill
wait $job || true
tail -1 demo/before.out
$CKPT list demo/ck
echo "== restarted from the checkpoint on MPICH"
$CKPT restart demo/ck --mpi mpich | tail -1
