#!/usr/bin/env bash
# Installs what ckpt-mpi needs on Debian 12 (both MPIs, so jobs can move between them).
set -euo pipefail
pkgs=(libopenmpi-dev openmpi-bin libmpich-dev mpich libibverbs-dev spin slurm-wlm munge hpcc lammps lammps-examples libhdf5-mpich-dev hdf5-tools libzstd-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift not found: install Swift 6 (swift.org) and put it on PATH" >&2; exit 1; }
