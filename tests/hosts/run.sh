#!/usr/bin/env bash
# Several hosts on this machine, for real (DESIGN §4b): three hosts made of
# network + UTS namespaces, each with a veth to a bridge in a namespace of its
# own, addresses of a private range that exist only inside them. ckpt-mpi runs
# on host 0; the launcher starts ranks on hosts 1 and 2 through an agent (in
# place of ssh) that enters that host's namespaces with an empty environment,
# as ssh would give. Checks: a 4-rank job on 2 hosts (2+2) is checkpointed,
# stopped and restarted on 1 host, on the other MPI across 2 hosts, and in
# another layout (1+3), each time with the output of an uninterrupted native
# run; the coordinator listens on TCP on host 0's address only; a connection
# without the job's secret is refused and logged; the secret is on no command
# line. Nothing is added to the root namespace, and everything goes at the end.
# Prints PASS/FAIL lines and "N passed, N failed".
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
CKPT_MPI="${CKPT_MPI:-$HERE/../../.build/release/ckpt-mpi}"
CKPT_MPI="$(cd "$(dirname "$CKPT_MPI")" && pwd)/$(basename "$CKPT_MPI")"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v unshare >/dev/null; then
    echo "SKIP tests/hosts/run.sh: needs root, ip (iproute2) and unshare for network namespaces"
    echo "0 passed, 0 failed"
    exit 0
fi

P="ckh$$"                       # namespace names: unique to this run
NET=10.250.0                    # only inside the namespaces
H0=$NET.1 H1=$NET.2 H2=$NET.3
WORK="$(mktemp -d /tmp/ckpt-hosts.XXXXXX)"
chmod 755 "$WORK"
links_before="$(ip -o link show | awk -F': ' '{print $2}' | sort)"
# shellcheck source=tests/hosts/lib.sh
. "$HERE/lib.sh"

cleanup() {
    hosts_down
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- the hosts
hosts_up 3 || { ko "cannot make the hosts"; echo "$pass passed, $fail failed"; exit 1; }

if on 1 bash -c "exec 3<>/dev/tcp/$H0/9" 2>&1 | grep -q "refused"; then
    ok "host 1 reaches host 0 over the bridge ($H1 -> $H0, connection refused by host 0's kernel)"
else
    ko "host 1 does not reach host 0"
fi

mpicc.mpich -O2 "$HERE/../../examples/steps.c" -o "$WORK/steps" || exit 1
CP="$HERE/../../mpi-tests/ckpt-programs"
mpicc.mpich -O2 -I"$CP/lib" "$CP/cp_ring_sendrecv.c" "$CP/lib/cplib.c" -o "$WORK/ring" || exit 1
# The references: uninterrupted native runs on one host, outside the namespaces.
timeout 120 mpiexec.mpich -n 4 "$WORK/steps" 150 >"$WORK/steps.ref" 2>/dev/null
timeout 120 mpiexec.mpich -n 4 "$WORK/ring" >"$WORK/ring.ref" 2>/dev/null
[ -s "$WORK/steps.ref" ] && [ -s "$WORK/ring.ref" ] || { ko "native reference runs failed"; echo "$pass passed, $fail failed"; exit 1; }

port_of() { on 0 ss -ltnp 2>/dev/null | awk '/ckpt-mpi/ && $4 ~ /^'"$H0"':/ {sub(/.*:/, "", $4); print $4}' | head -1; }

# local_dir_case: 4 ranks on hosts 1 and 2 with --local-dir, each host's local directory its own
# (the agent bind-mounts $WORK/local-HOST over $WORK/local); stopped at gen 1, so every copy is made
# before the stop; then restarted with the hosts swapped: no rank finds its copy on its new host and
# each reads the shared image; the output is the native run's.
local_dir_case() {
    local d="$WORK/localdir" opts
    mkdir -p "$d"
    opts=$(agent_for openmpi)
    # shellcheck disable=SC2086
    (cd "$d" && exec timeout 120 "$WORK/on.sh" 0 "$CKPT_MPI" run -np 4 --mpi openmpi --host "$H1:2,$H2:2" $opts \
        --ckpt-dir "$d/ck" --local-dir "$WORK/local" -- "$WORK/ring" >"$d/a.out" 2>"$d/a.err") &
    local job=$!
    started+=("$job")
    for _ in $(seq 50); do
        sleep 0.1
        on 0 "$CKPT_MPI" status --ckpt-dir "$d/ck" 2>/dev/null | grep -q "4 of 4 ranks connected" && break
    done
    sleep 0.5
    on 0 timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >"$d/ck.out" 2>"$d/ck.err" ||
        { ko "local-dir: checkpoint failed: $(head -1 "$d/ck.err")"; wait "$job"; return; }
    wait "$job"
    local jid g
    jid=$(sed -n 's/.*"job_id" *: *"\([^"]*\)".*/\1/p' "$d/ck/job.json" | head -1)
    g="$jid/gen-000001"
    local placed
    placed="$(ls "$WORK/local-$H1/$g" 2>/dev/null | tr '\n' ' ')/ $(ls "$WORK/local-$H2/$g" 2>/dev/null | tr '\n' ' ')"
    if [ "$placed" != "rank-0000.img rank-0001.img / rank-0002.img rank-0003.img " ] || [ ! -f "$d/ck/gen-000001/MANIFEST.json" ]; then
        ko "local-dir: local images on $H1 / $H2: $placed; shared: $(ls "$d/ck/gen-000001" | tr '\n' ' ')"; return
    fi
    # shellcheck disable=SC2086
    (cd "$d" && CKPT_MPI_DEBUG=1 timeout 120 "$WORK/on.sh" 0 "$CKPT_MPI" restart "$d/ck" --mpi openmpi --host "$H2:2,$H1:2" $opts \
        --local-dir "$WORK/local" >"$d/b.out" 2>"$d/b.err")
    local rrc=$? missing used
    missing=$(grep -c "no local copy" "$d/b.err")
    used=$(grep -c "restoring from the local copy" "$d/b.err")
    if [ $rrc -eq 0 ] && [ $((missing + used)) -eq 4 ] && [ "$missing" -ge 2 ] && cat "$d/a.out" "$d/b.out" | cmp -s - "$WORK/ring.ref"; then
        ok "local-dir: each host kept its ranks' images in its own local directory ($placed); restarted with the hosts swapped, $missing ranks found no copy on their new host and read the shared image, $used read their local copy; output equals the native run"
    else
        ko "local-dir: restart exited $rrc, $missing ranks without a local copy: $(grep -v 'note:' "$d/b.err" | grep -m2 -i 'error\|ckpt-mpi')"
    fi
}

# stop_and_restart NAME MPI HOSTS RESTART-MPI RESTART-HOSTS PROGRAM ARGS...: a job on HOSTS is
# checkpointed with --kill from host 0, then restarted on RESTART-HOSTS (empty: host 0 alone,
# over the Unix socket); the output before the stop and after the restart is the native run's.
stop_and_restart() {
    local name=$1 mpi=$2 hosts=$3 rmpi=$4 rhosts=$5 ref=$6; shift 6
    local d="$WORK/$name"
    mkdir -p "$d"
    # shellcheck disable=SC2046
    (cd "$d" && exec timeout 120 "$WORK/on.sh" 0 "$CKPT_MPI" run -np 4 --mpi "$mpi" --host "$hosts" $(agent_for "$mpi") \
        --ckpt-dir "$d/ck" -- "$@" >"$d/a.out" 2>"$d/a.err") &
    local job=$! port=""
    started+=("$job")
    for _ in $(seq 50); do
        sleep 0.1
        port=$(port_of)
        [ -n "$port" ] && on 0 "$CKPT_MPI" status --ckpt-dir "$d/ck" 2>/dev/null | grep -q "4 of 4 ranks connected" && break
    done
    if [ -z "$port" ]; then ko "$name: the coordinator does not listen on $H0"; wait "$job"; return; fi
    if [ "$name" = other-mpi ]; then check_listener "$port"; check_stranger "$port" "$d"; fi
    sleep 0.5
    if ! on 0 timeout 60 "$CKPT_MPI" checkpoint --ckpt-dir "$d/ck" --kill >"$d/ck.out" 2>"$d/ck.err"; then
        ko "$name: checkpoint failed: $(head -1 "$d/ck.err")"; wait "$job"; return
    fi
    wait "$job"
    local rc=$?
    [ $rc -eq 75 ] || { ko "$name: the stopped job exited $rc, not 75: $(grep -v 'note:' "$d/a.err" | head -2)"; return; }
    local hosts_seen
    hosts_seen=$(grep -o '"host" *: *"[^"]*"' "$d/ck/gen-000001/MANIFEST.json" | sed 's/.*"\([^"]*\)"$/\1/' | sort | uniq -c | awk '{printf "%s%s:%s", sep, $2, $1; sep=","}')
    # Each rank's engine says its host's name (the UTS hostname) in HELLO; the manifest keeps it.
    [ "$hosts_seen" = "$hosts" ] || { ko "$name: the ranks ran on $hosts_seen, not $hosts"; return; }
    local rargs=(restart "$d/ck" --mpi "$rmpi")
    # shellcheck disable=SC2207
    [ -n "$rhosts" ] && rargs+=(--host "$rhosts" $(agent_for "$rmpi"))
    local t0=$SECONDS
    (cd "$d" && timeout 120 "$WORK/on.sh" 0 "$CKPT_MPI" "${rargs[@]}" >"$d/b.out" 2>"$d/b.err")
    local rrc=$? rsec=$((SECONDS - t0))
    if [ $rrc -eq 0 ] && cat "$d/a.out" "$d/b.out" | cmp -s - "$WORK/$ref"; then
        ok "$name: $mpi on $hosts_seen (by the manifest), stopped at gen 1 ($(wc -l <"$d/a.out") lines; $(sed 's/^checkpoint gen 1: //; s/; stopping.*//' "$d/ck.out")), restarted on $rmpi on ${rhosts:-host 0 alone} in ${rsec} s: output equals the native run ($(wc -l <"$WORK/$ref") lines)"
    else
        ko "$name: restart on $rmpi ${rhosts:-host 0} exited $rrc; $(grep -v 'note:' "$d/b.err" | head -2)"
        diff <(cat "$d/a.out" "$d/b.out") "$WORK/$ref" | head -5 >&2
    fi
}

# The coordinator is bound to host 0's address on the bridge and nothing else of it listens.
check_listener() {
    local port=$1 lines
    lines=$(on 0 ss -ltnp | awk '/ckpt-mpi/ {print $4}' | tr '\n' ' ')
    if [ "$lines" = "$H0:$port " ]; then
        ok "ss -ltn on host 0: the coordinator listens on $H0:$port only (not 0.0.0.0, not loopback)"
    else
        ko "the coordinator's listeners on host 0: '$lines' (expected only $H0:$port)"
    fi
}

# From host 2, without the secret: a HELLO, and a made-up AUTH, are both refused.
check_stranger() {
    local port=$1 d=$2 answer
    answer=$(on 2 timeout 5 bash -c "exec 3<>/dev/tcp/$H0/$port; read -r c <&3; echo \"\$c\" >&2;
        echo 'HELLO rank=0 nranks=4 pid=1 host=intruder flavour=openmpi' >&3; read -r a <&3; echo \"\$a\"" 2>"$d/stranger.challenge")
    local forged
    forged=$(on 2 timeout 5 bash -c "exec 3<>/dev/tcp/$H0/$port; read -r c <&3;
        echo AUTH mac=$(printf '%064d' 0) >&3; read -r a <&3; echo \"\$a\"")
    sleep 0.2
    local logged
    logged=$(grep -c "refused a connection to the coordinator from $H2:" "$d/a.err")
    if [ "$answer" = "ERROR authentication failed" ] && [ "$forged" = "ERROR authentication failed" ] &&
        grep -q '^CHALLENGE nonce=[0-9a-f]\{64\}$' "$d/stranger.challenge" && [ "$logged" -eq 2 ] &&
        on 0 "$CKPT_MPI" status --ckpt-dir "$d/ck" | grep -q "4 of 4 ranks connected"; then
        ok "a connection from host 2 without the secret is refused (HELLO first, and a wrong HMAC), each in one line on the run's stderr; the 4 ranks stay connected"
    else
        ko "stranger: answers '$answer' / '$forged', $logged log lines: $(grep refused "$d/a.err" | head -2)"
    fi
}

stop_and_restart first openmpi "$H1:2,$H2:2" openmpi "" ring.ref "$WORK/ring"
stop_and_restart other-mpi openmpi "$H1:2,$H2:2" mpich "$H1:2,$H2:2" steps.ref "$WORK/steps" 150
stop_and_restart layout mpich "$H1:2,$H2:2" openmpi "$H1:1,$H2:3" ring.ref "$WORK/ring"
local_dir_case

# The secret reached every rank (they authenticated) through the launchers, on no command line.
secrets=$(grep -ho 'CKPT_MPI_SECRET=[0-9a-f]*' "$WORK"/*/a.err "$WORK"/*/b.err "$WORK/agent.log" 2>/dev/null | wc -l)
if [ -s "$WORK/agent.log" ] && [ "$secrets" -eq 0 ] && ! grep -Eq '[0-9a-f]{64}' "$WORK/agent.log"; then
    ok "the per-job secret is on no launch command line ($(wc -l <"$WORK/agent.log") remote launches) and in no log"
else
    ko "the secret shows up on a command line or in a log ($secrets)"
fi

trap - EXIT
cleanup
links_after="$(ip -o link show | awk -F': ' '{print $2}' | sort)"
if [ "$links_before" = "$links_after" ] && ! ip netns list | grep -q "^$P"; then
    ok "torn down: no namespace of this run left, no interface added to the root namespace"
else
    ko "left behind: $(ip netns list | grep "^$P" | tr '\n' ' ') $(diff <(echo "$links_before") <(echo "$links_after") | grep '^>' | tr '\n' ' ')"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
