#!/usr/bin/env python3
"""Proof harness for consistent multi-rank checkpoints (DESIGN §4,
docs/consistent-cut.md, docs/checkpoint-protocol.md), in the manner of CRIU's
zdtm.py: the programs in mpi-tests/ckpt-programs/ set up state and print only
at their very end; this harness does every checkpoint, kill and restart.

A job checkpointed at random moments, killed and restarted (possibly on the
other MPI, or on TCP instead of shared memory) must print exactly what an
uninterrupted native run prints. After the last restart the harness also
checkpoints the restarted job once more and compares, per rank, what
`ckpt-mpi inspect --json` shows of that image and of the image it restarted
from: open fds, memory regions and live MPI objects per kind.

Usage: mpi-tests/checkpoint_harness.py [SECTION...]  (or run-checkpoint-tests.sh)
  cases      (default) checkpoint/kill/restart cases: the CI subset, or the
             full matrix with CKPT_TEST_FULL=1
  faults     (default) a rank killed during a checkpoint, restart with another
             -np, images of two generations mixed in one generation directory
  baseline   native reference run twice (must be identical), then an
             uninterrupted `ckpt-mpi run` (no checkpoint) under --mpi openmpi
             and --mpi mpich must print the reference
  list       print the cases that `cases` would run, and exit
  all        baseline cases faults

One line per case: PASS|FAIL <program> np=<N> <scenario> <kill> seed=<S>
ckpts=<checkpoints taken> restarts=<R> <seconds>s [reason]. On a failure the
case's log directory is kept (its path and the output diff are printed), with
the command that repeats exactly that case. Exit status: 0 when everything
passed, 1 otherwise.

Case (scenario A->B, kill variant K):
  1. reference: `mpiexec.mpich -n N prog`, run twice (must agree), cached per
     program binary and N with its runtime (the shorter of the two); also
     cached: the runtime of an uninterrupted `ckpt-mpi run` on A and on B (per
     ckpt-mpi build). T = the shorter of native and ckpt-mpi on A.
  2. `ckpt-mpi run -np N --mpi A --ckpt-dir D -- prog` in the background, in
     its own session; once all ranks are connected, at seeded random moments
     inside the run (fractions of T, counted from the launch, none before
     0.3 s) `ckpt-mpi checkpoint` twice, then
       K=ckill:   `ckpt-mpi checkpoint --kill` (ckpt-mpi must exit 75 with its
                  "job stopped after checkpoint" note and no launcher banner),
       K=sigkill: `ckpt-mpi checkpoint`, then SIGKILL of every process of the
                  job (ckpt-mpi, launcher, proxies, ranks);
     the kill falls in the first 3/4 of the run (the first half with ckill on
     Open MPI, whose jobs run on for about a second after the checkpoint);
  3. `ckpt-mpi restart D --mpi B [-- launcher options]`: it must say it
     restarts from the newest generation; in about half of the cases (by seed,
     if enough of the run is left) the restarted job is checkpointed and
     killed once more, at a moment counted from when all its ranks are back,
     and restarted again on B;
  4. the last restart is checkpointed once more as soon as its ranks are back
     (if the job is still running then: else the comparison is skipped), and
     `inspect --json` of that image and of the image it restarted from must
     agree per rank (see compare_images);
  5. the last run's stdout must equal the reference, and the killed runs must
     have printed nothing of it (else the kill came too late: a timing
     failure, which also counts as FAIL; a launcher's banner is not output).
  Scenarios: ompi-ompi, mpich-mpich, ompi-mpich, mpich-ompi, shm-tcp (run on
  Open MPI's default shared memory, restart on Open MPI with
  `-- --mca btl tcp,self`; the restart must note "transport btl=tcp,self").
  The CI subset is one case per program; scenario, N and kill variant rotate
  (offset by the seed) so that each appears at least once.

Faults (seeded too): a rank SIGKILLed during a checkpoint ("stopped": SIGSTOP,
checkpoint request, SIGKILL 0.3 s later; "racy": SIGKILL 0-60 ms after the
request), then restart of the newest complete generation; `restart -np N+1`
of an N-rank checkpoint must be refused; generation 2 with one rank's image
copied from generation 1 must be refused by `restart --gen 2`.

Environment:
  CKPT_MPI                ckpt-mpi binary (default: .build/release/ckpt-mpi,
                          else .build-harness/release/ckpt-mpi)
  CKPT_TEST_SEED          base seed (default: random, printed); with the same
                          seed and filters every case repeats its moments
  CKPT_TEST_FULL=1        every program x N x every scenario x both kill variants
  CKPT_TEST_FILTER        regex on program names (e.g. '^cp_ssend$')
  CKPT_TEST_NP            rank counts to use (default "2 3 4"; a program runs
                          only with the counts of its `Ranks:` header)
  CKPT_TEST_SCENARIOS     scenarios to use (default all five)
  CKPT_TEST_KILLS         kill variants to use (default "ckill sigkill")
  CKPT_TEST_ROUNDS        1 or 2 kill/restart rounds (default: by seed)
  CKPT_TEST_CASE_TIMEOUT  seconds per case (default 120)
  CKPT_TEST_INSPECT=0     skip the inspect comparison after the last restart
                          (=strict: regions and live objects must match too)
  CKPT_TEST_FACE=openmpi  build the programs with mpicc.openmpi (they run through the
                          Open MPI face, libmpi.so.40, docs/openmpi-face.md); the
                          reference is then `mpirun.openmpi --oversubscribe -np N`
  CKPT_TEST_SCRATCH       binaries, reference cache, logs
                          (default mpi-tests/build/ckpt, git-ignored)
  CKPT_TEST_KEEP=1        keep the logs of passing cases too
  CKPT_TEST_KEEP_IMAGES=1 keep checkpoint images in kept logs (default: the
                          *.img files are deleted, manifests are kept)
  CKPT_TEST_TMP           where checkpoint directories live during a case
                          (default $TMPDIR or /tmp: the coordinator's socket
                          path must stay under 108 bytes)
"""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGDIR = os.path.join(HERE, "ckpt-programs")
ENV = os.environ


def _default_ckpt_mpi():
    for c in (ROOT + "/.build/release/ckpt-mpi", ROOT + "/.build-harness/release/ckpt-mpi"):
        if os.access(c, os.X_OK):
            return c
    return ROOT + "/.build/release/ckpt-mpi"


CKPT_MPI = ENV.get("CKPT_MPI") or _default_ckpt_mpi()
SCRATCH = ENV.get("CKPT_TEST_SCRATCH") or HERE + "/build/ckpt"
# Which ABI the programs are built for: MPICH's (mpicc.mpich) or Open MPI's (the second face).
FACE = ENV.get("CKPT_TEST_FACE", "mpich")
if FACE not in ("mpich", "openmpi"):
    sys.exit("CKPT_TEST_FACE must be mpich or openmpi, not %r" % FACE)
MPICC = "mpicc.openmpi" if FACE == "openmpi" else "mpicc.mpich"
NATIVE = ["mpirun.openmpi", "--oversubscribe", "-np"] if FACE == "openmpi" else ["mpiexec.mpich", "-n"]
BIN = SCRATCH + ("/bin-openmpi" if FACE == "openmpi" else "/bin")
REFDIR = SCRATCH + "/ref"
FULL = ENV.get("CKPT_TEST_FULL", "0") == "1"
FILTER = ENV.get("CKPT_TEST_FILTER", "")
NPS = ENV.get("CKPT_TEST_NP", "2 3 4").split()
SCENARIOS = ENV.get("CKPT_TEST_SCENARIOS", "ompi-ompi mpich-mpich ompi-mpich mpich-ompi shm-tcp").split()
KILLS = ENV.get("CKPT_TEST_KILLS", "ckill sigkill").split()
ROUNDS_FORCED = ENV.get("CKPT_TEST_ROUNDS", "")
CASE_TMO = int(ENV.get("CKPT_TEST_CASE_TIMEOUT", "120"))
KEEP = ENV.get("CKPT_TEST_KEEP", "0") == "1"
KEEP_IMAGES = ENV.get("CKPT_TEST_KEEP_IMAGES", "0") == "1"
INSPECT = ENV.get("CKPT_TEST_INSPECT", "1") != "0"
INSPECT_STRICT = ENV.get("CKPT_TEST_INSPECT") == "strict"
CKTMP = ENV.get("CKPT_TEST_TMP") or ENV.get("TMPDIR") or "/tmp"
# The command a repeat line names (the bash wrapper passes its own path).
ARGV0 = ENV.get("CKPT_HARNESS_ARGV0") or sys.argv[0]
if ENV.get("CKPT_TEST_SEED"):
    SEED = int(ENV["CKPT_TEST_SEED"])
else:
    SEED = int.from_bytes(os.urandom(4), "little") % 1000000
CFLAGS = "-O2 -std=gnu99 -Wall -Wno-stringop-overflow -pthread".split()
FLOOR_MS = 300   # no checkpoint before this (and not before all ranks are connected)
ONRUN_MS = 1800  # Open MPI: a job runs on ~1 s after 'checkpoint --kill' returns; keep this much of the run after it
M64 = (1 << 64) - 1

os.environ.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
os.environ["OMPI_MCA_rmaps_base_oversubscribe"] = "1"  # native Open MPI only; ckpt-mpi adds --oversubscribe itself


def now_ms():
    return int(time.time() * 1000)


def secs(a, b):
    return "%.1f" % ((b - a) / 1000)


def stamp():
    return datetime.now().strftime("%H:%M:%S.%f")[:12]


def tdiv(a, b):
    """Integer division truncating toward zero, as bash's $(( a / b ))."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


# ---- seeded random numbers: the same xorshift64 the bash harness had, bit for bit
class Rng:
    def __init__(self, seed):
        self.s = ((seed * 2654435761 + 1013904223) & M64) ^ 0x2545F4914F6CDD1D
        if self.s == 0:
            self.s = 1
        for _ in range(3):
            self.next()

    def next(self):
        x = self.s
        x ^= (x << 13) & M64
        x ^= (x >> 7) & 0x01FFFFFFFFFFFFFF
        x ^= (x << 17) & M64
        self.s = x
        return (x >> 33) & 0x7FFFFFFF

    def rand_in(self, lo, hi):
        v = self.next()
        return lo if hi <= lo else lo + v % (hi - lo + 1)


def _cksum_table():
    t = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else (c << 1)
        t.append(c & 0xFFFFFFFF)
    return t


_CRC = _cksum_table()


def cksum(data):
    """POSIX cksum(1) of bytes."""
    c = 0
    for b in data:
        c = ((c << 8) & 0xFFFFFFFF) ^ _CRC[(c >> 24) ^ b]
    n = len(data)
    while n:
        c = ((c << 8) & 0xFFFFFFFF) ^ _CRC[(c >> 24) ^ (n & 0xFF)]
        n >>= 8
    return (~c) & 0xFFFFFFFF


def case_seed(s):
    return cksum(s.encode()) % 1000000000


# ---- processes ------------------------------------------------------------------
def alive(pid):
    """Running and not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(") ", 1)[1][:1]
    except (OSError, IndexError):
        return False
    return st != "Z"


def job_pids(root, d):
    """Every process of a job: ROOT and its descendants, and every process whose
    environment names D's coordinator socket (ranks and proxies of a job whose
    ckpt-mpi is already gone)."""
    found = set()
    want = ("CKPT_MPI_COORD=%s/coordinator.sock" % d).encode()
    kids = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        p = int(e)
        try:
            with open("/proc/%d/stat" % p) as f:
                ppid = int(f.read().rsplit(") ", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(p)
        except (OSError, IndexError, ValueError):
            continue
        try:
            with open("/proc/%d/environ" % p, "rb") as f:
                if want in f.read().split(b"\0"):
                    found.add(p)
        except OSError:
            pass
    if root:
        q = [root]
        while q:
            p = q.pop()
            found.add(p)
            q.extend(kids.get(p, []))
    found.discard(os.getpid())
    return sorted(p for p in found if alive(p))


def kill_job(root, d):
    """SIGKILL every process of the job; returns how many."""
    n = 0
    for _ in range(50):
        pids = job_pids(root, d)
        if not pids:
            break
        n += len(pids)
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
    return n


class Job:
    """A command started in the background in its own session."""

    def __init__(self, cwd, out, err, argv):
        with open(out, "wb") as o, open(err, "wb") as e:
            self.p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                                      start_new_session=True)
        self.pid = self.p.pid

    def running(self):
        return self.p.poll() is None

    def wait(self, deadline_ms=None):
        """Its exit status, or None at the deadline."""
        while self.p.poll() is None:
            if deadline_ms is not None and now_ms() >= deadline_ms:
                return None
            time.sleep(0.05)
        rc = self.p.returncode
        return 128 - rc if rc < 0 else rc


def sleep_until(ms, t0, job):
    """Sleeps until T0+MS; False if JOB exited before."""
    target = t0 + ms
    while now_ms() < target:
        if not job.running():
            return False
        time.sleep(0.02)
    return job.running()


def run(argv, out, err=None, cwd=None):
    """A foreground command, stdout to OUT and stderr to ERR (None: to OUT too); its exit status."""
    with open(out, "wb") as o:
        if err is None:
            p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=o, stderr=subprocess.STDOUT)
        else:
            with open(err, "wb") as e:
                p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    return 128 - p.returncode if p.returncode < 0 else p.returncode


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def same(a, b):
    try:
        with open(a, "rb") as f, open(b, "rb") as g:
            return f.read() == g.read()
    except OSError:
        return False


def head1(path):
    lines = read(path).splitlines()
    return lines[0] if lines else ""


def log_event(L, msg):
    with open(L + "/events.log", "a") as f:
        f.write("%s %s\n" % (stamp(), msg))


def printed_ref(ref, out):
    """Did OUT print any whole line of the reference (grep -qxF -f REF OUT)?"""
    want = set(read(ref).splitlines())
    return any(l in want for l in read(out).splitlines())


SKIP = re.compile(r"^ckpt-mpi: note:|^[-=]+$|^=   |^ *$|^YOU CAN IGNORE|^Primary job|^a non-zero exit|^Per user-direction")
BAD = re.compile(r"error|fatal|abort|fail|segmentation|signal|unsupported|not supported|refus|cannot|mismatch|invalid|exited on", re.I)


def first_error(*files):
    """The first line that says what went wrong: a line that looks like an error
    in any FILE (stderr first, then stdout, where MPICH's launcher writes), else
    the first line that is not a note or a banner."""
    for f in files:
        for l in read(f).splitlines():
            if not SKIP.search(l) and BAD.search(l):
                return l
    for f in files:
        for l in read(f).splitlines():
            if not SKIP.search(l):
                return l
    return "(no message)"


def wait_connected(d, np, job, deadline):
    """Until all NP ranks of the job on D are connected to its coordinator (a
    restarted rank connects once restored): 0, 1 if JOB exited first, 2 at the deadline."""
    while True:
        if not job.running():
            return 1
        try:
            s = subprocess.run([CKPT_MPI, "status", "--ckpt-dir", d], capture_output=True, text=True,
                               timeout=30).stdout
        except subprocess.TimeoutExpired:
            s = ""
        m = re.search(r"([0-9]+) of [0-9]+ ranks connected", s)
        if m and int(m.group(1)) >= np:
            return 0
        if now_ms() >= deadline:
            return 2
        time.sleep(0.05)


def program_headers(src):
    """The `Key: value` lines of a program's header comment (Desc, Survives, Ranks, Runtime, Faces, Scenarios)."""
    text = read(src)
    m = re.match(r"/\*(.*?)\*/", text, re.S)
    h, key = {}, None
    for line in (m.group(1) if m else "").splitlines():
        line = line.strip().lstrip("*").strip()
        km = re.match(r"([A-Z][a-z]+): (.*)", line)
        if km:
            key = km.group(1)
            h[key] = km.group(2)
        elif key and line:
            h[key] += " " + line
    return h


class Harness:
    def __init__(self, sections):
        self.sections = sections
        self.runid = "%s-%d" % (datetime.now().strftime("%Y%m%d-%H%M%S"), os.getpid())
        self.logroot = "%s/logs/%s" % (SCRATCH, self.runid)
        for d in (BIN, REFDIR, self.logroot):
            os.makedirs(d, exist_ok=True)
        self.passed = self.failed = 0
        self.failed_logs = []
        self.progs = []
        self.ranks = {}
        self.scenarios = {}
        self.ckdirs = []
        self.cur = (None, None)  # the job running now: (Job or None, its checkpoint directory)
        self.cases = []

    # ---- bookkeeping -------------------------------------------------------------
    def new_ckdir(self, L):
        d = tempfile.mkdtemp(prefix="ckt.", dir=CKTMP)
        self.ckdirs.append(d)
        try:
            os.remove(L + "/ck")
        except OSError:
            pass
        os.symlink(d, L + "/ck")
        return d

    def stash_ckdir(self, d, L):
        """Moves D to L/ck."""
        if not os.path.isdir(d):
            return
        for p in (L + "/ck", d + "/coordinator.sock"):
            try:
                os.remove(p)
            except OSError:
                pass
        try:
            shutil.move(d, L + "/ck")
        except OSError:
            shutil.rmtree(d, ignore_errors=True)

    def cleanup(self):
        job, d = self.cur
        if d:
            kill_job(job.pid if job else None, d)
        for d in self.ckdirs:
            shutil.rmtree(d, ignore_errors=True)
        for d in (self.logroot, SCRATCH + "/logs"):
            try:
                os.rmdir(d)
            except OSError:
                pass

    def case_pass(self, line, L):
        print("PASS " + line, flush=True)
        self.passed += 1
        if not KEEP:
            shutil.rmtree(L, ignore_errors=True)

    def case_fail(self, line, L, ref=None, got=None):
        if "harness timing" in line and getattr(self, "allow_timing_retry", False):
            print("RETRY " + line + " (the run is timed again and the case run once more)", flush=True)
            self.timing_retried = True
            return
        print("FAIL " + line)
        self.failed += 1
        self.failed_logs.append(L)
        print("    logs: " + L)
        if ref and got and os.path.isfile(ref) and os.path.isfile(got):
            d = subprocess.run(["diff", "-u", "--label", "reference", "--label", "got", ref, got],
                               capture_output=True, text=True).stdout.splitlines()[:30]
            for l in d:
                print("    " + l)
        if not KEEP_IMAGES:
            for dp, _, fs in os.walk(L):
                for f in fs:
                    if f.endswith(".img"):
                        os.remove(os.path.join(dp, f))
        sys.stdout.flush()

    # ---- build -------------------------------------------------------------------
    def build_programs(self):
        lib = BIN + "/cplib.o"
        libsrc = [PROGDIR + "/lib/cplib.c", PROGDIR + "/lib/cplib.h"]

        def newer(a, b):
            return not os.path.exists(b) or os.path.getmtime(a) > os.path.getmtime(b)

        if any(newer(s, lib) for s in libsrc):
            if subprocess.run([MPICC] + CFLAGS + ["-c", libsrc[0], "-o", lib]).returncode != 0:
                print("FAIL build lib/cplib.c")
                sys.exit(1)
        for src in sorted(os.listdir(PROGDIR)):
            if not src.endswith(".c"):
                continue
            name = src[:-2]
            if FILTER and not re.search(FILTER, name):
                continue
            src = PROGDIR + "/" + src
            exe = BIN + "/" + name
            h = program_headers(src)
            missing = [k for k in ("Desc", "Survives", "Ranks") if k not in h]
            if missing:
                print("FAIL build %s (its header comment lacks %s)" % (name, ", ".join(missing)))
                self.failed += 1
                continue
            # Faces: the ABIs a program can be built for (default both); Open MPI 4.1's mpi.h
            # lacks MPI-4 calls, so a program that needs them is an MPICH-face program only.
            if FACE not in h.get("Faces", "mpich openmpi").split("(")[0].split():
                print("note: %s is not built for the %s face (its header says Faces: %s)" % (name, FACE, h["Faces"]))
                continue
            self.ranks[name] = h["Ranks"].split()
            # Scenarios: the ones a program can run at all (default all five); Open MPI 4.1 has
            # no one-sided component over btl tcp,self, so RMA programs leave shm-tcp out.
            if "Scenarios" in h:
                self.scenarios[name] = h["Scenarios"].split("(")[0].split()
            if newer(src, exe) or newer(lib, exe):
                blog = "%s/%s.build.log" % (self.logroot, name)
                with open(blog, "wb") as e:
                    # Libs: extra compiler and linker flags (cp_hdf5: Debian's libhdf5-mpich-dev).
                    rc = subprocess.run([MPICC] + CFLAGS + ["-I" + PROGDIR + "/lib", src, lib, "-o", exe]
                                        + h.get("Libs", "").split(),
                                        stderr=e, stdout=e).returncode
                if rc != 0:
                    print("FAIL build " + name)
                    for l in read(blog).splitlines()[:20]:
                        print("    " + l)
                    self.failed += 1
                    continue
                os.remove(blog)
            self.progs.append(name)

    # ---- references ----------------------------------------------------------------
    def binhash(self, prog):
        with open(BIN + "/" + prog, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:12]

    def ensure_ref(self, prog, np):
        """(reference output file, native runtime ms, None), or (file, 0, why) when the
        native run fails or is not reproducible."""
        base = "%s/%s.np%s.%s" % (REFDIR, prog, np, self.binhash(prog))
        out = base + ".out"
        if read(out) and read(base + ".ms").strip():
            return out, int(read(base + ".ms")), None
        wd = tempfile.mkdtemp(prefix="ref-wd.", dir=SCRATCH)
        ms = []
        try:
            for i in (1, 2):
                t0 = now_ms()
                rc = run(["timeout", "-k", "5", str(CASE_TMO)] + NATIVE + [str(np), BIN + "/" + prog],
                         "%s.run%d" % (base, i), "%s.err%d" % (base, i), cwd=wd)
                ms.append(now_ms() - t0)
                if rc != 0:
                    first = next((l for l in read("%s.err%d" % (base, i)).splitlines() if l), "")
                    return out, 0, "native run %d of %s np=%s failed (rc=%d): %s" % (i, prog, np, rc, first)
        finally:
            shutil.rmtree(wd, ignore_errors=True)
        if not same(base + ".run1", base + ".run2"):
            return out, 0, "native output of %s np=%s differs between two runs (see %s.run1 %s.run2)" % (
                prog, np, base, base)
        if not read(base + ".run1"):
            return out, 0, "native run of %s np=%s printed nothing" % (prog, np)
        os.replace(base + ".run1", out)
        for s in (".run2", ".err1", ".err2"):
            try:
                os.remove(base + s)
            except OSError:
                pass
        with open(base + ".ms", "w") as f:
            f.write("%d\n" % min(ms))
        return out, min(ms), None

    def speed_file(self, prog, np, mpi):
        try:
            st = os.stat(CKPT_MPI)
            c = "%d.%d" % (st.st_size, int(st.st_mtime))
        except OSError:
            c = ""
        return "%s/%s.np%s.%s.%s.%s.ms" % (REFDIR, prog, np, self.binhash(prog), mpi, c)

    def ensure_speed(self, prog, np, mpi, ref):
        """Runtime of an uninterrupted `ckpt-mpi run` of PROG on MPI, cached per program
        binary and ckpt-mpi build (it can differ a lot from the native one: native
        MPICH busy-polls when oversubscribed). 0 when that run fails (the case will tell)."""
        f = self.speed_file(prog, np, mpi)
        if os.path.exists(f) and os.path.getsize(f):
            return int(read(f))
        wd = tempfile.mkdtemp(prefix="ref-wd.", dir=SCRATCH)
        t0 = now_ms()
        rc = run(["timeout", "-k", "5", str(CASE_TMO), CKPT_MPI, "run", "-np", str(np), "--mpi", mpi, "--",
                  BIN + "/" + prog], wd + "/out", wd + "/err", cwd=wd)
        ms = now_ms() - t0
        if rc != 0 or not same(wd + "/out", ref):
            ms = 0
        else:
            with open(f, "w") as o:
                o.write("%d\n" % ms)
        shutil.rmtree(wd, ignore_errors=True)
        return ms

    # ---- baseline ------------------------------------------------------------------
    def run_baseline(self):
        print("== baseline: native reference twice, then uninterrupted ckpt-mpi run on both MPIs")
        for prog in self.progs:
            for np in self.nps(prog):
                L = "%s/baseline.%s.np%s" % (self.logroot, prog, np)
                os.makedirs(L, exist_ok=True)
                ref, ref_ms, err = self.ensure_ref(prog, np)
                if err:
                    self.case_fail("baseline %s np=%s reference: %s" % (prog, np, err), L)
                    continue
                print("     reference %s np=%s: %ss natively, stable over two runs" % (prog, np, secs(0, ref_ms)))
                ok = True
                for m in ("openmpi", "mpich"):
                    t0 = now_ms()
                    rc = run(["timeout", "-k", "5", str(CASE_TMO), CKPT_MPI, "run", "-np", str(np), "--mpi", m,
                              "--", BIN + "/" + prog], "%s/%s.out" % (L, m), "%s/%s.err" % (L, m), cwd=L)
                    t1 = now_ms()
                    line = "baseline %s np=%s mpi=%s %ss" % (prog, np, m, secs(t0, t1))
                    if rc == 0 and same(ref, "%s/%s.out" % (L, m)):
                        print("PASS " + line)
                        self.passed += 1
                        with open(self.speed_file(prog, np, m), "w") as f:
                            f.write("%d\n" % (t1 - t0))
                    else:
                        ok = False
                        why = "timeout" if rc == 124 else "rc=%d" % rc
                        self.case_fail("%s (%s: %s)" % (line, why, first_error("%s/%s.err" % (L, m), "%s/%s.out" % (L, m))),
                                       L, ref, "%s/%s.out" % (L, m))
                if ok and not KEEP:
                    shutil.rmtree(L, ignore_errors=True)

    # ---- cases ---------------------------------------------------------------------
    def nps(self, prog):
        return [n for n in NPS if n in self.ranks.get(prog, NPS)]

    def scenarios_of(self, prog):
        allowed = self.scenarios.get(prog)
        return [sc for sc in SCENARIOS if allowed is None or sc in allowed]

    def plan_cases(self):
        self.cases = []
        if FULL:
            for prog in self.progs:
                for np in self.nps(prog):
                    for sc in self.scenarios_of(prog):
                        for k in KILLS:
                            self.cases.append((prog, np, sc, k))
            return
        # CI subset: one case per program; scenario, N and kill variant rotate (the
        # rotation's offset comes from the seed), so every scenario, every N and
        # both variants appear as soon as there are at least 5 programs.
        o1, o2, o3 = SEED % len(SCENARIOS), (SEED // 7) % len(NPS), (SEED // 11) % len(KILLS)
        for i, prog in enumerate(self.progs):
            scs = self.scenarios_of(prog)
            if not scs:
                continue
            self.cases.append((prog, NPS[(i + o2) % len(NPS)], scs[(i + o1) % len(scs)],
                               KILLS[(i + o3) % len(KILLS)]))

    def run_cases(self):
        self.plan_cases()
        print("== cases: %d (%s), seed %d" % (len(self.cases), "full matrix" if FULL else
                                            "CI subset; CKPT_TEST_FULL=1 for the full matrix", SEED), flush=True)
        for c in self.cases:
            self.allow_timing_retry, self.timing_retried = True, False
            first = Case(self, *c)
            first.run()
            if self.timing_retried:
                shutil.rmtree(first.L, ignore_errors=True)
                # The moments came from a run timed under other load: time it again, once.
                self.allow_timing_retry = False
                prog, np = c[0], c[1]
                for mpi in ("openmpi", "mpich"):
                    try:
                        os.remove(self.speed_file(prog, np, mpi))
                    except OSError:
                        pass
                Case(self, *c).run()

    # ---- faults --------------------------------------------------------------------
    def rank_pid(self, d, rank):
        """The pid of that rank's process (lower half) of the job on D."""
        pat = re.compile(r"^(OMPI_COMM_WORLD_RANK|PMI_RANK)=%d$" % rank)
        for p in job_pids(None, d):
            try:
                if b"ckpt-lower" not in open("/proc/%d/cmdline" % p, "rb").read():
                    continue
                env = open("/proc/%d/environ" % p, "rb").read().decode(errors="replace").split("\0")
            except OSError:
                continue
            if any(pat.match(e) for e in env):
                return p
        return None

    def fault_kill_rank(self, variant):
        prog = "cp_ring_sendrecv" if "cp_ring_sendrecv" in self.progs else self.progs[0]
        cseed = case_seed("%d/fault-kill-rank/%s" % (SEED, variant))
        rng = Rng(cseed)
        np = int(NPS[rng.rand_in(0, len(NPS) - 1)])
        A = "openmpi" if rng.rand_in(0, 1) == 0 else "mpich"
        victim = rng.rand_in(0, np - 1)
        name = "fault kill-rank-during-checkpoint (%s) %s np=%d %s rank=%d seed=%d" % (variant, prog, np, A, victim, cseed)
        L = "%s/fault.kill-rank.%s" % (self.logroot, variant)
        os.makedirs(L, exist_ok=True)
        D = self.new_ckdir(L)
        tcase = now_ms()
        deadline = tcase + CASE_TMO * 1000
        ref, T, err = self.ensure_ref(prog, np)
        if err:
            self.stash_ckdir(D, L)
            self.case_fail("%s (reference: %s)" % (name, err), L)
            return
        c1 = max(rng.rand_in(tdiv(T * 15, 100), tdiv(T * 30, 100)), FLOOR_MS)
        c2 = rng.rand_in(tdiv(T * 35, 100), tdiv(T * 50, 100))
        c2 = max(c2, c1 + 300)
        delay = rng.rand_in(0, 60)
        with open(L + "/plan.txt", "w") as f:
            f.write("checkpoint at %d ms; at %d ms: %s kill of rank %d (racy delay %d ms)\n" % (c1, c2, variant, victim, delay))
        why, ck2, ck2rc = "", "", ""
        t0 = now_ms()
        job = Job(L, L + "/run.out", L + "/run.err", [CKPT_MPI, "run", "-np", str(np), "--mpi", A, "--ckpt-dir", D,
                                                     "--checkpoint-timeout", "30s", "--", BIN + "/" + prog])
        self.cur = (job, D)
        wait_connected(D, np, job, deadline)
        if not sleep_until(c1, t0, job):
            why = "the job ended before the first checkpoint (harness timing)"
        elif run(["timeout", "-k", "2", "60", CKPT_MPI, "checkpoint", "--ckpt-dir", D], L + "/ckpt1.out") != 0:
            why = "the first checkpoint (before the fault) failed: " + first_error(L + "/ckpt1.out")
        elif not sleep_until(c2, t0, job):
            why = "the job ended before the fault (harness timing)"
        else:
            vp = self.rank_pid(D, victim)
            if not vp:
                why = "cannot find the process of rank %d" % victim
            else:
                if variant == "stopped":
                    os.kill(vp, signal.SIGSTOP)
                with open(L + "/ckpt2.out", "wb") as o:
                    cp = subprocess.Popen(["timeout", "-k", "2", "60", CKPT_MPI, "checkpoint", "--ckpt-dir", D],
                                          stdin=subprocess.DEVNULL, stdout=o, stderr=o)
                time.sleep(0.3 if variant == "stopped" else delay / 1000)
                try:
                    os.kill(vp, signal.SIGKILL)
                except OSError:
                    pass
                log_event(L, "SIGKILLed rank %d (pid %d) during checkpoint 2" % (victim, vp))
                ck2rc = cp.wait()
                ck2 = first_error(L + "/ckpt2.out")
                if job.wait(now_ms() + 30000) is None:
                    log_event(L, "the job did not end within 30 s after the rank died")
        n = kill_job(job.pid, D)
        if n > 0:
            log_event(L, "killed %d leftover processes" % n)
        run([CKPT_MPI, "list", D], L + "/list.txt")
        out = None
        if not why:
            if variant == "stopped" and ck2rc == 0:
                why = "the checkpoint with a stopped and then killed rank succeeded: " + ck2
            elif variant == "stopped" and os.path.exists(D + "/gen-000002/MANIFEST.json"):
                why = "the abandoned generation 2 has a manifest"
            elif not os.path.exists(D + "/gen-000001/MANIFEST.json"):
                why = "generation 1 is gone"
            else:
                rem = max(tdiv(deadline - now_ms(), 1000), 10)
                job = Job(L, L + "/restart.out", L + "/restart.err", [CKPT_MPI, "restart", D, "--checkpoint-timeout", "30s"])
                self.cur = (job, D)
                rc = job.wait(now_ms() + rem * 1000)
                rc = 124 if rc is None else rc
                out = L + "/restart.out"
                if rc != 0:
                    why = "restart of the previous generation failed (rc=%d): %s" % (rc, first_error(L + "/restart.err", out))
                elif not same(ref, out):
                    why = "restart of the previous generation printed something else"
        kill_job(self.cur[0].pid if self.cur[0] else None, D)
        self.cur = (None, None)
        self.stash_ckdir(D, L)
        gens = "".join(l.split()[0] + " " for l in read(L + "/list.txt").splitlines()
                       if len(l.split()) > 1 and l.split()[1] == "complete")
        line = "%s %ss" % (name, secs(tcase, now_ms()))
        if not why:
            self.case_pass("%s (checkpoint 2 rc=%s: %s; complete: %s; restart ok)" % (line, ck2rc, ck2 or "ok", gens), L)
        else:
            self.case_fail("%s (%s)" % (line, why), L, ref, out or os.devnull)

    def make_two_generations(self):
        """A job checkpointed twice (generations 1 and 2, kept) for the refusal tests:
        (directory, np, prog, log dir, why-not)."""
        prog = "cp_persistent" if "cp_persistent" in self.progs else self.progs[0]
        np, A = int(NPS[0]), "mpich"
        L = self.logroot + "/fault.twogens"
        os.makedirs(L, exist_ok=True)
        D = self.new_ckdir(L)
        ref, T, err = self.ensure_ref(prog, np)
        if err:
            return D, np, prog, L, err
        c1 = max(tdiv(T * 25, 100), FLOOR_MS)
        c2 = max(tdiv(T * 45, 100), c1 + 300)
        c = Case(self, prog, str(np), "mpich-mpich", "ckill")
        c.L, c.D, c.deadline = L, D, now_ms() + CASE_TMO * 1000
        t0 = now_ms()
        job = Job(L, L + "/run.out", L + "/run.err", [CKPT_MPI, "run", "-np", str(np), "--mpi", A, "--ckpt-dir", D,
                                                     "--checkpoint-timeout", "30s", "--", BIN + "/" + prog])
        self.cur = (job, D)
        wait_connected(D, np, job, c.deadline)
        c.ref = ref
        c.round_kill(job, t0, "run", [c1, c2])
        kill_job(job.pid, D)
        self.cur = (None, None)
        return D, np, prog, L, c.why

    def fault_wrong_np(self, D, np):
        L = self.logroot + "/fault.wrong-np"
        os.makedirs(L, exist_ok=True)
        np2 = np + 1
        t0 = now_ms()
        rc = run(["timeout", "-k", "2", "30", CKPT_MPI, "restart", D, "-np", str(np2)], L + "/restart.out", L + "/restart.err")
        lines = len(read(L + "/restart.err").splitlines())
        left = len(job_pids(None, D))
        line = "fault restart-with-another-np (%d-rank checkpoint, -np %d) %ss" % (np, np2, secs(t0, now_ms()))
        if rc not in (0, 124) and lines == 1 and not read(L + "/restart.out") and left == 0:
            self.case_pass("%s (rc=%d: %s)" % (line, rc, read(L + "/restart.err").rstrip("\n")), L)
        else:
            kill_job(None, D)
            self.case_fail("%s (rc=%d, %d stderr lines, %d processes started: %s)" % (
                line, rc, lines, left, first_error(L + "/restart.err")), L)

    def fault_mixed_generations(self, FD, np, prog):
        L = self.logroot + "/fault.mixed-gens"
        os.makedirs(L, exist_ok=True)
        D = self.new_ckdir(L)
        shutil.copytree(FD, D, dirs_exist_ok=True, symlinks=True)
        try:
            os.remove(D + "/coordinator.sock")
        except OSError:
            pass
        img = "rank-%04d.img" % (np - 1)
        g1, g2 = D + "/gen-000001/" + img, D + "/gen-000002/" + img
        how = "gen-000002/%s replaced by gen-000001/%s" % (img, img)
        if not os.path.exists(g1) or not os.path.exists(g2):
            listing = " ".join(sorted(os.listdir(D))) + " "
            self.stash_ckdir(D, L)
            self.case_fail("fault mixed-generations (need generations 1 and 2 with %s: %s)" % (img, listing), L)
            return
        if os.path.getsize(g1) != os.path.getsize(g2):
            how += " (sizes differ: the manifest's size check applies)"
        shutil.copyfile(g1, g2)
        t0 = now_ms()
        # --gen 2: without it restart falls back to the newest generation that verifies.
        job = Job(L, L + "/restart.out", L + "/restart.err", [CKPT_MPI, "restart", D, "--gen", "2"])
        self.cur = (job, D)
        rc = job.wait(now_ms() + 60000)
        rc = 124 if rc is None else rc
        kill_job(job.pid, D)
        self.cur = (None, None)
        self.stash_ckdir(D, L)
        errs = [l for l in read(L + "/restart.err").splitlines() if not l.startswith("ckpt-mpi: note:")]
        line = "fault mixed-generations (%s np=%d, %s) %ss" % (prog, np, how, secs(t0, now_ms()))
        if rc not in (0, 124) and len(errs) == 1 and "gen" in errs[0].lower() and not read(L + "/restart.out"):
            self.case_pass("%s (rc=%d: %s)" % (line, rc, errs[0]), L)
        else:
            what = "hung (timeout)" if rc == 124 else "restarted and exited 0" if rc == 0 else "not refused"
            self.case_fail("%s (%s: rc=%d, %d error lines, first: %s)" % (
                line, what, rc, len(errs), first_error(L + "/restart.err", L + "/restart.out")), L)

    def run_faults(self):
        print("== faults, seed %d" % SEED, flush=True)
        self.fault_kill_rank("stopped")
        self.fault_kill_rank("racy")
        D, np, prog, L, why = self.make_two_generations()
        if not why:
            self.fault_wrong_np(D, np)
            self.fault_mixed_generations(D, np, prog)
            self.stash_ckdir(D, L)
            if not KEEP:
                shutil.rmtree(L, ignore_errors=True)
        else:
            self.stash_ckdir(D, L)
            self.case_fail("fault setup: a job checkpointed twice, then killed (%s)" % why, L)

    # ---- main ----------------------------------------------------------------------
    def main(self):
        self.build_programs()
        if "list" in self.sections:
            self.plan_cases()
            for c in self.cases:
                print(" ".join(c))
            return 0
        if not os.access(CKPT_MPI, os.X_OK):
            print("ckpt-mpi not found: %s (build it: swift build -c release, or set CKPT_MPI)" % CKPT_MPI, file=sys.stderr)
            return 2
        print("ckpt-mpi: " + CKPT_MPI)
        print("seed: %d (repeat with CKPT_TEST_SEED=%d)" % (SEED, SEED), flush=True)
        for s in self.sections:
            {"baseline": self.run_baseline, "cases": self.run_cases, "faults": self.run_faults}[s]()
        print("%d passed, %d failed" % (self.passed, self.failed))
        if self.failed_logs:
            print("logs of failed cases are under " + self.logroot)
        return 0 if self.failed == 0 else 1


def scen_run_mpi(sc):
    return "openmpi" if sc.startswith(("ompi-", "shm-")) else "mpich"


def scen_restart_mpi(sc):
    return "openmpi" if sc.endswith(("-ompi", "-tcp")) else "mpich"


SCEN_LABEL = {"ompi-ompi": "openmpi->openmpi", "mpich-mpich": "mpich->mpich", "ompi-mpich": "openmpi->mpich",
              "mpich-ompi": "mpich->openmpi", "shm-tcp": "openmpi-shm->openmpi-tcp"}


class Case:
    """One checkpoint/kill/restart case."""

    def __init__(self, h, prog, np, sc, kill):
        self.h, self.prog, self.np, self.sc, self.kill = h, prog, int(np), sc, kill
        self.ckpts = self.restarts = 0
        self.why = ""
        self.max_ckpt_ms = self.last_done_ms = self.stop_ms = 0
        self.kill_latest_ms = None
        self.ref = None
        self.inspect_note = self.inspect_why = ""
        self.restored_gen = 0

    def ckpt_cmd(self, tag, k, flag):
        rem = min(max(tdiv(self.deadline - now_ms(), 1000), 1), 60)
        return run(["timeout", "-k", "2", str(rem), CKPT_MPI, "checkpoint", "--ckpt-dir", self.D] + flag,
                   "%s/%s.ckpt%d.out" % (self.L, tag, k))

    def round_kill(self, job, t0, tag, moments):
        """Checkpoints at MOMENTS (ms after T0), the last one the kill variant's.
        True when the job was checkpointed and is gone; else sets self.why."""
        L = self.L
        for k, moment in enumerate(moments, 1):
            last = k == len(moments)
            # With ckill on Open MPI the job runs on ~1 s after the checkpoint:
            # bring the kill forward by the longest checkpoint seen so far.
            if last and self.kill_latest_ms is not None and self.kill_latest_ms - self.max_ckpt_ms < moment:
                moment = self.kill_latest_ms - self.max_ckpt_ms
                log_event(L, "%s: kill moment brought forward to %d ms (checkpoints took up to %d ms)" % (
                    tag, moment, self.max_ckpt_ms))
            # Behind the plan (a job in long compute phases under load quiesces in
            # seconds): an intermediate checkpoint gives way, so that the kill still
            # comes inside the run.
            if not last and now_ms() - t0 > moments[k]:
                log_event(L, "%s: checkpoint %d skipped: at %d ms the run is past the next moment (%d ms)" % (
                    tag, k, now_ms() - t0, moments[k]))
                continue
            if not sleep_until(moment, t0, job):
                rc = job.wait()
                if rc != 0:
                    self.why = "%s: exited rc=%d before checkpoint %d at %d ms: %s" % (
                        tag, rc, k, moment, first_error("%s/%s.err" % (L, tag), "%s/%s.out" % (L, tag)))
                else:
                    self.why = ("%s: the job ended before checkpoint %d at %d ms (harness timing: moments must "
                                "fall inside the run)" % (tag, k, moment))
                return False
            flag = ["--kill"] if last and self.kill == "ckill" else []
            tc = now_ms()
            log_event(L, "%s: checkpoint%s at %d ms" % (tag, " --kill" if flag else "", tc - t0))
            rc = self.ckpt_cmd(tag, k, flag)
            log_event(L, "%s: checkpoint %d rc=%d after %d ms: %s" % (
                tag, k, rc, now_ms() - tc, head1("%s/%s.ckpt%d.out" % (L, tag, k))))
            if rc != 0:
                if rc in (124, 137):
                    self.why = "%s: checkpoint %d at %d ms did not answer (client timeout)" % (tag, k, tc - t0)
                else:
                    self.why = "%s: checkpoint %d at %d ms failed after %d ms: %s" % (
                        tag, k, tc - t0, now_ms() - tc, first_error("%s/%s.ckpt%d.out" % (L, tag, k)))
                jrc = job.wait(now_ms() + 3000)  # does the job die of it?
                if jrc is not None:
                    what = "ended (rc=%d" % jrc
                    out = "%s/%s.out" % (L, tag)
                    if printed_ref(self.ref, out):
                        what += ", its output %s the reference" % ("matches" if same(self.ref, out) else "differs from")
                    if jrc != 0:
                        what += ": " + first_error("%s/%s.err" % (L, tag), out)
                    self.why += "; the job %s)" % what
                return False
            self.ckpts += 1
            self.last_done_ms = now_ms() - t0
            self.max_ckpt_ms = max(self.max_ckpt_ms, now_ms() - tc)
        if self.kill == "sigkill":
            if not job.running():
                rc = job.wait()
                if rc != 0:
                    self.why = "%s: exited rc=%d before the SIGKILL: %s" % (
                        tag, rc, first_error("%s/%s.err" % (L, tag), "%s/%s.out" % (L, tag)))
                else:
                    self.why = "%s: the job ended before the SIGKILL (harness timing)" % tag
                return False
            n = kill_job(job.pid, self.D)
            log_event(L, "%s: SIGKILLed %d processes of the job, %d ms after the checkpoint returned" % (
                tag, n, now_ms() - self.last_done_ms - t0))
            job.wait()
        else:
            tret = now_ms()
            rc = job.wait(tret + 20000)
            if rc is None:
                self.why = "%s: the job did not stop within 20 s of 'checkpoint --kill'" % tag
                return False
            self.stop_ms = now_ms() - tret
            log_event(L, "%s: the job ended %d ms after 'checkpoint --kill' returned (rc=%d)" % (tag, self.stop_ms, rc))
            err, out = read("%s/%s.err" % (L, tag)), read("%s/%s.out" % (L, tag))
            if rc != 75:
                self.why = ("%s: ckpt-mpi exited rc=%d after 'checkpoint --kill' (expected 75, stopped after a "
                            "checkpoint): %s" % (tag, rc, first_error("%s/%s.err" % (L, tag))))
                return False
            bad = re.search(r".*(BAD TERMINATION|exiting improperly|exited on signal).*", out + "\n" + err)
            if bad:
                self.why = "%s: the launcher reported a failure after a clean 'checkpoint --kill': %s" % (tag, bad.group(0))
                return False
            if "job stopped after checkpoint" not in err:
                self.why = "%s: ckpt-mpi exited without its 'job stopped after checkpoint' note" % tag
                return False
            n = kill_job(None, self.D)
            if n > 0:
                log_event(L, "%s: %d processes were left after checkpoint --kill (killed)" % (tag, n))
        # The program prints only at its end; a launcher's banner (MPICH prints
        # one when its job is terminated) is not program output.
        if printed_ref(self.ref, "%s/%s.out" % (L, tag)):
            if self.kill == "ckill":
                self.why = ("%s: the killed run printed program output: it ran on for %d ms after 'checkpoint --kill' "
                            "returned (or the kill came in its final phase: harness timing)" % (tag, self.stop_ms))
            else:
                self.why = "%s: the killed run printed program output (the kill came in its final phase: harness timing)" % tag
            return False
        return True

    def run(self):
        h, prog, np, sc, kill = self.h, self.prog, self.np, self.sc, self.kill
        cseed = case_seed("%d/%s/%d/%s/%s" % (SEED, prog, np, sc, kill))
        A, B = scen_run_mpi(sc), scen_restart_mpi(sc)
        ropts = ["--", "--mca", "btl", "tcp,self"] if sc == "shm-tcp" else []
        name = "%s np=%d %s %s seed=%d" % (prog, np, SCEN_LABEL.get(sc, sc), kill, cseed)
        L = self.L = "%s/%s.np%d.%s.%s" % (h.logroot, prog, np, sc, kill)
        os.makedirs(L, exist_ok=True)
        D = self.D = h.new_ckdir(L)
        self.ref, ref_ms, err = h.ensure_ref(prog, np)
        if err:
            h.stash_ckdir(D, L)
            h.case_fail("%s ckpts=0 restarts=0 (reference: %s)" % (name, err), L)
            return
        # T: the shorter of the native runtime and an uninterrupted ckpt-mpi run on
        # A; the restarted job's remaining time is scaled by how fast it runs on B.
        runA = runB = h.ensure_speed(prog, np, A, self.ref)
        T = runA if 0 < runA < ref_ms else ref_ms
        if B != A:
            runB = h.ensure_speed(prog, np, B, self.ref)
        tcase = now_ms()
        self.deadline = tcase + CASE_TMO * 1000
        rng = Rng(cseed)
        rounds = int(ROUNDS_FORCED) if ROUNDS_FORCED else rng.rand_in(1, 2)
        # Moments (ms after the launch), in increasing order, inside the run, as
        # fractions of T in percent. Under Open MPI a job goes on running for about a
        # second after 'checkpoint --kill' returns, so with ckill on Open MPI the kill
        # comes earlier ("early"); else up to 3/4 of the run ("late"). The second run
        # of a case that failed on harness timing is early too: under load each
        # checkpoint of a job in long compute phases takes seconds, and the late
        # moments slipped past the end of the run both times.
        retry = not getattr(h, "allow_timing_retry", True)
        prof = "early" if (kill == "ckill" and A == "openmpi") or retry else "late"
        p1, p2, p3, p4 = {"early.1": (8, 20, 32, 45), "early.2": (6, 14, 20, 28),
                          "late.1": (10, 35, 55, 75)}.get("%s.%d" % (prof, rounds), (8, 22, 36, 50))
        c1 = rng.rand_in(tdiv(T * p1, 100), tdiv(T * p2, 100))
        c2 = rng.rand_in(tdiv(T * p2, 100), tdiv(T * p3, 100))
        ck = rng.rand_in(tdiv(T * p3, 100), tdiv(T * p4, 100))
        self.kill_latest_ms = T - ONRUN_MS if prof == "early" else None
        if prof == "early" and ck > T - ONRUN_MS:
            ck = T - ONRUN_MS
            if c2 > ck - 150:
                c2 = tdiv(c1 + ck, 2)
        c1 = max(c1, FLOOR_MS)
        c2 = max(c2, c1 + 150)
        ck = max(ck, c2 + 150)
        rseed = rng.rand_in(0, 1000)  # moments of round 2 come from this
        plan = open(L + "/plan.txt", "w")
        plan.write("case: %s\n" % name)
        plan.write("reference: %s (native %d ms; uninterrupted ckpt-mpi run on %s: %d ms, on %s: %d ms; T = %d ms)\n" % (
            self.ref, ref_ms, A, runA, B, runB, T))
        plan.write("run on %s, restart on %s %s; rounds=%d; moments profile %s\n" % (A, B, " ".join(ropts), rounds, prof))
        plan.write("round 1 moments (ms after launch): checkpoint %d, checkpoint %d, %s %d\n" % (c1, c2, kill, ck))
        plan.flush()

        # -- round 1: ckpt-mpi run
        t0 = now_ms()
        job = Job(L, L + "/run.out", L + "/run.err", [CKPT_MPI, "run", "-np", str(np), "--mpi", A, "--ckpt-dir", D,
                                                     "--checkpoint-timeout", "30s", "--", BIN + "/" + prog])
        h.cur = (job, D)
        log_event(L, "launched ckpt-mpi run (pid %d)" % job.pid)
        # (a checkpoint needs every rank connected; the moments stay counted from the launch)
        if wait_connected(D, np, job, self.deadline) == 0:
            log_event(L, "all %d ranks connected after %d ms" % (np, now_ms() - t0))
        out = None
        if self.round_kill(job, t0, "run", [c1, c2, ck]):
            r = 1
            while True:
                # -- restart r
                t0 = now_ms()
                job = Job(L, "%s/restart%d.out" % (L, r), "%s/restart%d.err" % (L, r),
                          [CKPT_MPI, "restart", D, "--mpi", B, "--checkpoint-timeout", "30s"] + ropts)
                h.cur = (job, D)
                self.restarts = r
                log_event(L, "launched ckpt-mpi restart %d (pid %d)" % (r, job.pid))
                # what is left of the run after the last checkpoint, in time on B
                rem = T - self.last_done_ms
                if runA > 0 and runB > 0:
                    rem = tdiv(rem * runB, runA)
                if r < rounds:
                    # a checkpoint can take long (the cut waits for started
                    # collectives): count with the longest one seen so far
                    mmax = tdiv(rem * 60, 100) - self.max_ckpt_ms
                    if kill == "ckill" and B == "openmpi":
                        mmax = tdiv(rem * 35, 100) - self.max_ckpt_ms
                        mmax = min(mmax, rem - ONRUN_MS - self.max_ckpt_ms)
                    if mmax < 100:
                        plan.write("round %d skipped: too little of the run is left (about %d ms; checkpoints took up "
                                   "to %d ms)\n" % (r + 1, rem, self.max_ckpt_ms))
                        plan.flush()
                        rounds = r
                if r < rounds:
                    # -- round r+1: checkpoint (and kill) the restarted job, at a
                    # moment counted from when all its ranks are back (connected)
                    m = Rng(cseed + rseed + r).rand_in(100, mmax)
                    plan.write("round %d moment (ms after all restarted ranks connected): %s %d\n" % (r + 1, kill, m))
                    plan.flush()
                    wc = wait_connected(D, np, job, self.deadline)
                    if wc == 2:
                        self.why = "case timeout (%d s): the ranks of restart %d never all connected" % (CASE_TMO, r)
                        break
                    if wc == 1:
                        self.why = "restart %d exited rc=%d before its ranks were all connected: %s" % (
                            r, job.wait(), first_error("%s/restart%d.err" % (L, r), "%s/restart%d.out" % (L, r)))
                        break
                    log_event(L, "restart %d: all %d ranks connected after %d ms" % (r, np, now_ms() - t0))
                    self.kill_latest_ms = None
                    if not self.round_kill(job, now_ms(), "restart%d" % r, [m]):
                        break
                    r += 1
                    continue
                self.restored_gen = self.ckpts
                if INSPECT:
                    self.inspect_after_restart(job, r, t0)
                rc = job.wait(self.deadline)
                if rc is None:
                    self.why = "case timeout (%d s) while restart %d ran" % (CASE_TMO, r)
                    break
                out = "%s/restart%d.out" % (L, r)
                err = read("%s/restart%d.err" % (L, r))
                g = "gen-%06d" % self.restored_gen
                if rc != 0:
                    self.why = "restart %d failed (rc=%d): %s" % (r, rc, first_error("%s/restart%d.err" % (L, r), out))
                elif ("restarting %s " % g) not in err:
                    self.why = "restart %d did not say it restarted from %s, the newest checkpoint" % (r, g)
                elif sc == "shm-tcp" and "transport btl=tcp,self" not in err:
                    self.why = "restart %d did not note the TCP transport (launcher options not passed?)" % r
                elif not same(self.ref, out):
                    self.why = "restart %d output differs from the reference" % r
                elif self.inspect_why:
                    self.why = self.inspect_why
                break
        plan.close()
        n = kill_job(h.cur[0].pid if h.cur[0] else None, D)
        if n > 0:
            log_event(L, "killed %d leftover processes" % n)
        h.cur = (None, None)
        run([CKPT_MPI, "list", D], L + "/list.txt")
        h.stash_ckdir(D, L)
        line = "%s ckpts=%d restarts=%d %ss%s" % (name, self.ckpts, self.restarts, secs(tcase, now_ms()), self.inspect_note)
        if not self.why:
            h.case_pass(line, L)
            return
        h.case_fail("%s (%s)" % (line, self.why), L, self.ref, out or os.devnull)
        if getattr(h, "timing_retried", False) and getattr(h, "allow_timing_retry", False):
            return  # run again by run_cases, timed anew
        print("    repeat: CKPT_TEST_SEED=%d CKPT_TEST_FULL=1 CKPT_TEST_FILTER='^%s$' CKPT_TEST_NP=%d "
              "CKPT_TEST_SCENARIOS=%s CKPT_TEST_KILLS=%s %s cases" % (SEED, prog, np, sc, kill, ARGV0))
        # Is it the checkpoint? The same job without one:
        urc = run(["timeout", "-k", "5", str(CASE_TMO), CKPT_MPI, "run", "-np", str(np), "--mpi", A, "--",
                   BIN + "/" + prog], L + "/uninterrupted.out", L + "/uninterrupted.err", cwd=L)
        if urc == 0 and same(self.ref, L + "/uninterrupted.out"):
            print("    the same job without checkpoints (ckpt-mpi run --mpi %s): output matches the reference" % A)
        else:
            print("    the same job without checkpoints (ckpt-mpi run --mpi %s) FAILS too (rc=%d): %s" % (
                A, urc, first_error(L + "/uninterrupted.err", L + "/uninterrupted.out")))
        sys.stdout.flush()

    # ---- inspect before and after --------------------------------------------------

    def inspect_after_restart(self, job, r, t0):
        """Checkpoints the last restarted job as soon as its ranks are back and compares
        each rank's image with the image it restarted from. A job that ends first
        skips the comparison (noted in the case's line)."""
        L, D = self.L, self.D
        if wait_connected(D, self.np, job, self.deadline) != 0:
            self.inspect_note = " inspect=skipped"
            return
        tag = "restart%d" % r
        tc = now_ms()
        rc = self.ckpt_cmd(tag, 9, [])
        log_event(L, "%s: inspect checkpoint at %d ms rc=%d after %d ms: %s" % (
            tag, tc - t0, rc, now_ms() - tc, head1("%s/%s.ckpt9.out" % (L, tag))))
        if rc != 0:
            if not job.running() or "ended" in read("%s/%s.ckpt9.out" % (L, tag)):
                self.inspect_note = " inspect=skipped"
            else:
                self.inspect_why = "%s: the inspect checkpoint failed: %s" % (tag, first_error("%s/%s.ckpt9.out" % (L, tag)))
            return
        before = "%s/gen-%06d" % (D, self.restored_gen)
        after = "%s/gen-%06d" % (D, self.restored_gen + 1)
        hard, soft = [], []
        for rank in range(self.np):
            a, b = [inspect_json("%s/rank-%04d.img" % (g, rank)) for g in (before, after)]
            if a is None or b is None:
                hard.append("rank %d: inspect --json failed" % rank)
                continue
            h, s = compare_images(a, b)
            hard += ["rank %d: %s" % (rank, d) for d in h]
            soft += ["rank %d: %s" % (rank, d) for d in s]
        if INSPECT_STRICT:
            hard, soft = hard + soft, []
        with open(L + "/inspect.txt", "w") as f:
            f.write("gen %d (restored from) vs gen %d (restarted job, %d ms after its launch)\n" % (
                self.restored_gen, self.restored_gen + 1, tc - t0))
            f.write("\n".join(hard + soft or ["same fds, threads, regions per kind and live objects per kind"]) + "\n")
        self.inspect_note = " inspect=" + ("differs" if hard else "%d-soft-differences" % len(soft) if soft else "ok")
        if hard:
            self.inspect_why = "inspect before/after restart differs: " + hard[0]


def inspect_json(img):
    try:
        p = subprocess.run([CKPT_MPI, "inspect", "--json", img], capture_output=True, text=True, timeout=60)
        return json.loads(p.stdout) if p.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError):
        return None


def compare_images(a, b):
    """What differs between two `inspect --json` reports of one rank, ignoring what
    legitimately changes across a restart: addresses and paths of mappings (the
    restore maps every region back anonymously), real handles, pids, times.
    Returns (hard, soft): fds and threads must be the same; regions per kind and
    protection, and live MPI objects per kind, may change with the few hundred ms
    the program ran between the two checkpoints (fatal with CKPT_TEST_INSPECT=strict)."""
    hard, soft = [], []
    fa = [(f["fd"], f["kind"], f["path"]) for f in a["files"]]
    fb = [(f["fd"], f["kind"], f["path"]) for f in b["files"]]
    if fa != fb:
        hard.append("fds %s before, %s after" % (fa, fb))
    if len(a["threads"]) != len(b["threads"]):
        hard.append("%d threads before, %d after" % (len(a["threads"]), len(b["threads"])))

    def classes(regions):
        c = {}
        for r in regions:
            c[(r["kind"], r["prot"])] = c.get((r["kind"], r["prot"]), 0) + 1
        return c
    ca, cb = classes(a["regions"]), classes(b["regions"])
    for k in sorted(set(ca) | set(cb)):
        if ca.get(k, 0) != cb.get(k, 0):
            soft.append("%s %s regions: %d before, %d after" % (k[0], k[1], ca.get(k, 0), cb.get(k, 0)))
    oa, ob = a.get("objects"), b.get("objects")
    if (oa is None) != (ob is None):
        hard.append("live objects readable in one image only")
    elif oa is not None:
        for kind in sorted(set(oa) | set(ob)):
            if oa.get(kind, 0) != ob.get(kind, 0):
                soft.append("live %s: %d before, %d after" % (kind, oa.get(kind, 0), ob.get(kind, 0)))
    return hard, soft


def main():
    sections = sys.argv[1:] or ["cases", "faults"]
    if sections == ["all"]:
        sections = ["baseline", "cases", "faults"]
    for s in sections:
        if s not in ("baseline", "cases", "faults", "list"):
            print("unknown section '%s' (baseline, cases, faults, list, all)" % s, file=sys.stderr)
            return 2
    h = Harness(sections)

    def interrupted(sig, frame):
        print("interrupted", file=sys.stderr)
        sys.exit(130)

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        return h.main()
    finally:
        h.cleanup()


if __name__ == "__main__":
    sys.exit(main())
