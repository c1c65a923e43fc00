#!/bin/bash
# A SLURM job that checkpoints before its time runs out and requeues itself
# (docs/batch.md): sbatch slurm-job.sh ./app input.dat
#SBATCH --job-name=app
#SBATCH --nodes=1 --ntasks=32
#SBATCH --time=04:00:00
#SBATCH --signal=B:USR1@120
#SBATCH --requeue
#SBATCH --open-mode=append          # a requeued run appends to the same output

CKPT=${CKPT:-/shared/$USER/ckpt/$SLURM_JOB_NAME}

# mpirun and Hydra find the allocation (nodes, tasks) by themselves.
ckpt-mpi run --resume --ckpt-dir "$CKPT" --checkpoint-signal USR1 --kill-after-checkpoint \
    --mpi "${MPI:-openmpi}" -np "$SLURM_NTASKS" -- "$@" &
pid=$!
trap 'kill -USR1 $pid' USR1
trap 'kill -TERM $pid' TERM          # forwarded: the job ends (no checkpoint) on a plain cancel
while true; do
    wait $pid; rc=$?
    # wait returns early (>128) when a trapped signal arrives; ckpt-mpi is still running then.
    kill -0 $pid 2>/dev/null || break
done
if [ $rc -eq 75 ]; then
    scontrol requeue "$SLURM_JOB_ID"  # stopped after a durable checkpoint: continue later
fi
exit $rc
