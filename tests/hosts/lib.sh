# tests/hosts/lib.sh - hosts made of namespaces on this machine (DESIGN §4b), shared by
# tests/hosts/run.sh and benchmarks/run-durable.sh --hosts 2, so that the benchmark's hosts are
# the very ones the tests check. Source it after setting:
#   P     prefix of this run's namespace names (unique to the run)
#   NET   first three octets of a private /24 that exists only inside the namespaces
#   WORK  a directory of this run (agent.sh and on.sh are written there)
#   HOSTS_LOCAL_BASE  where each host's node-local directory local-HOST is made (default $WORK)
# Host i is namespace ${P}hi with address and hostname $NET.(i+1); the caller appends the pids
# it starts to the array `started` so that hosts_down kills them.
HOSTS_LOCAL_BASE="${HOSTS_LOCAL_BASE:-$WORK}"
started=()

# hosts_up N: a bridge in a namespace of its own and N hosts with a veth each to it; then
# $WORK/agent.sh (in place of ssh) and $WORK/on.sh. Nothing is added to the root namespace.
hosts_up() {
    local n=$1 i ns
    ip netns add "${P}br" && ip -n "${P}br" link add br0 type bridge && ip -n "${P}br" link set br0 up &&
        ip -n "${P}br" link set lo up || { echo "cannot make the bridge namespace" >&2; return 1; }
    for i in $(seq 0 $((n - 1))); do
        ns="${P}h$i"
        # The veth is made in the bridge's namespace with its peer born in the host's: never in ours.
        ip netns add "$ns" && ip -n "${P}br" link add "v$i" type veth peer name eth0 netns "$ns" &&
            ip -n "${P}br" link set "v$i" master br0 && ip -n "${P}br" link set "v$i" up &&
            ip -n "$ns" link set lo up && ip -n "$ns" addr add "$NET.$((i + 1))/24" dev eth0 &&
            ip -n "$ns" link set eth0 up || { echo "cannot make host $i" >&2; return 1; }
    done
    # Each host's name is its address: it resolves without touching /etc/hosts, and the MPIs see
    # different hosts (no shared memory between them).
    cat >"$WORK/agent.sh" <<AGENT
#!/bin/bash
# In place of ssh for mpirun (plm_rsh_agent) and Hydra (-launcher-exec): [options] HOST COMMAND...
while [ \$# -gt 0 ] && [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1; shift
case \$host in
$(for i in $(seq 0 $((n - 1))); do echo "    $NET.$((i + 1))) ns=${P}h$i ;;"; done)
    *) echo "agent: no host \$host" >&2; exit 255 ;;
esac
printf '%s\n' "\$host \$*" >>"$WORK/agent.log"
# An empty environment, as ssh gives: what the ranks need must come through the launcher.
# Each host's node-local directory: $WORK/local is its own $HOSTS_LOCAL_BASE/local-HOST there (--local-dir).
exec ip netns exec \$ns env -i PATH="\$PATH" HOME="\$HOME" unshare --uts --mount sh -c \
    "hostname \$host; mkdir -p $WORK/local $HOSTS_LOCAL_BASE/local-\$host && mount --bind $HOSTS_LOCAL_BASE/local-\$host $WORK/local; \$*"
AGENT
    cat >"$WORK/on.sh" <<ON
#!/bin/bash
i=\$1; shift
exec ip netns exec ${P}h\$i unshare --uts sh -c 'hostname "\$0"; exec "\$@"' "$NET.\$((i + 1))" "\$@"
ON
    chmod +x "$WORK/agent.sh" "$WORK/on.sh"
}

# on HOST-INDEX COMMAND...: runs COMMAND on that host.
on() { "$WORK/on.sh" "$@"; }

OMPI_AGENT=(--mpirun-arg=--mca --mpirun-arg=plm_rsh_agent --mpirun-arg="$WORK/agent.sh"
            --mpirun-arg=--mca --mpirun-arg=btl --mpirun-arg=tcp,self --mpirun-arg=--mca --mpirun-arg=pml --mpirun-arg=ob1)
HYDRA_AGENT=(--mpirun-arg=-launcher --mpirun-arg=ssh --mpirun-arg=-launcher-exec --mpirun-arg="$WORK/agent.sh")
# agent_for MPI: the ckpt-mpi run options that make MPI's launcher start remote ranks through the agent.
agent_for() { if [ "$1" = openmpi ]; then echo "${OMPI_AGENT[@]}"; else echo "${HYDRA_AGENT[@]}"; fi; }

# hosts_down [DIR...]: kills what was started, the ranks and launcher daemons of jobs whose
# directory is under a DIR (default $WORK), everything left in the namespaces; deletes them.
hosts_down() {
    local pid d ns
    for pid in "${started[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for d in "${@:-$WORK}"; do
        for pid in $(grep -l "CKPT_MPI_JOB_DIR=$d" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
            kill -9 "$pid" 2>/dev/null
        done
    done
    for pid in $(for ns in $(ip netns list | awk '{print $1}' | grep "^$P"); do ip netns pids "$ns"; done); do
        kill -9 "$pid" 2>/dev/null
    done
    sleep 0.2
    for ns in $(ip netns list | awk '{print $1}' | grep "^$P"); do ip netns del "$ns"; done
}
