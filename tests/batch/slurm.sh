#!/usr/bin/env bash
# SLURM for real (issue 10): munged, slurmctld and slurmd on this machine with a
# one-node configuration of their own in WORK (ports, state, logs, munge key and
# socket), then docs/examples/slurm-job.sh submitted as a 2-rank job with a
# 1-minute limit and --signal=B:USR1@20 --requeue. The program needs longer than
# two runs can give it, so it finishes only after being checkpointed and
# requeued at least twice; its output must equal an uninterrupted native run.
# Requeued jobs wait cred_expire (set to 10 s here) before they may start again.
# SLURM_TEST_MPI=openmpi runs the job on Open MPI (passes too); SLURM_TEST_STEPS sets the length.
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/../lib.sh"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-cache show slurm-wlm >/dev/null 2>&1 || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
chmod 755 "$WORK"   # munged wants its socket's directories searchable by all
daemons=()
before_removing_work() { local p; for p in "${daemons[@]}"; do kill "$p" 2>/dev/null; done; sleep 1
    for p in "${daemons[@]}"; do kill -9 "$p" 2>/dev/null; done; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
H=$(hostname)
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/bin"
dd if=/dev/urandom of="$WORK/munge.key" bs=1024 count=1 2>/dev/null; chmod 600 "$WORK/munge.key"
munged -F --socket="$WORK/munge.sock" --key-file="$WORK/munge.key" --pid-file="$WORK/munged.pid" \
    --log-file="$WORK/munged.log" --seed-file="$WORK/munged.seed" >/dev/null 2>&1 &
daemons+=($!)
: >"$WORK/plugstack.conf"
cat >"$WORK/slurm.conf" <<EOF
ClusterName=ckpt
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge.sock,cred_expire=10
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
PlugStackConfig=$WORK/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$H NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF="$WORK/slurm.conf"
sleep 1
slurmctld -D -f "$SLURM_CONF" >/dev/null 2>&1 & daemons+=($!)
slurmd -D -f "$SLURM_CONF" >/dev/null 2>&1 & daemons+=($!)
for _ in $(seq 30); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %t | grep -q idle && ok "munged, slurmctld and slurmd up, node $H idle" || { ko "SLURM did not come up"; finish; exit; }

mpicc.mpich -O2 "$HERE/paced_sum.c" -o "$WORK/paced" || exit 1
STEPS=${SLURM_TEST_STEPS:-900}   # 90 s at 100 ms a step: more than two runs of at most 40 s
timeout 300 mpirun.mpich -np 2 "$WORK/paced" "$STEPS" 100 >"$WORK/ref.out" 2>/dev/null &
ref=$!
ln -s "$(cd "$(dirname "$CKPT_MPI")" && pwd)/$(basename "$CKPT_MPI")" "$WORK/bin/ckpt-mpi"

# submit MPI: the documented job script, unchanged; waits for its end and checks it.
submit() {
    local mpi=$1 t0=$SECONDS id state restarts
    id=$(PATH="$WORK/bin:$PATH" CKPT="$WORK/ck-$mpi" MPI=$mpi sbatch --parsable -n 2 -t 1 --signal=B:USR1@20 \
        -o "$WORK/$mpi.out" -e "$WORK/$mpi.err" "$HERE/../../docs/examples/slurm-job.sh" "$WORK/paced" "$STEPS" 100)
    local last=""
    for _ in $(seq 420); do
        sleep 1
        state=$(scontrol show job "$id" | grep -oE 'JobState=[A-Z_]+' | cut -d= -f2)
        [ "$state" != "$last" ] && echo "  $((SECONDS - t0)) s: job $id $state" && last=$state
        case $state in COMPLETED|FAILED|TIMEOUT|CANCELLED|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
    done
    restarts=$(scontrol show job "$id" | grep -oE 'Restarts=[0-9]+' | cut -d= -f2)
    wait $ref
    if [ "$state" = COMPLETED ] && [ "${restarts:-0}" -ge 2 ] && cmp -s "$WORK/$mpi.out" "$WORK/ref.out"; then
        ok "$mpi under SLURM: $restarts requeues ($(grep -c '^ckpt-mpi: note: checkpoint gen' "$WORK/$mpi.err") checkpoints), COMPLETED in $((SECONDS - t0)) s, output equals the native run: $(cat "$WORK/ref.out")"
    else
        ko "$mpi under SLURM: state $state, $restarts restarts; $(head -c 300 "$WORK/$mpi.out") / $(grep -v note "$WORK/$mpi.err" | head -3)"
    fi
}
submit "${SLURM_TEST_MPI:-mpich}"
if python3 -c 'import sys; sys.exit(open(sys.argv[2]).read() not in open(sys.argv[1]).read())' \
    "$HERE/../../docs/batch.md" "$HERE/../../docs/examples/slurm-job.sh"; then
    ok "docs/batch.md shows docs/examples/slurm-job.sh verbatim"
else
    ko "docs/batch.md and docs/examples/slurm-job.sh differ"
fi
finish
