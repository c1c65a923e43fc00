#if canImport(Glibc)
import Glibc
#endif
import CkptSpawn

/// Starts the job and stays with it until it ends, the way a shell runs a foreground job.
///
/// The launcher gets its own process group so that a signal sent to ckpt-mpi
/// reaches every process mpirun started (mpirun, its daemons, local ranks)
/// exactly once: through our forwarding, not also through the terminal. When we
/// own the terminal, the job's group becomes its foreground group, because
/// mpirun reads stdin for rank 0 and a background reader would be stopped by
/// SIGTTIN. Signals are taken synchronously with sigwaitinfo, so no handler and
/// no global state is needed.
struct JobRunner {
    /// The signals passed on to the job's process group.
    static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    let plan: LaunchPlan
    /// Our environment, which the job inherits with the plan's additions.
    let baseEnvironment: [String: String]
    /// The checkpoint coordinator's hooks into supervision, nil without checkpointing.
    var supervision: JobSupervision? = nil

    /// Replaces this process with the plan's executable; returns only by throwing.
    func exec() throws -> Never {
        let argv = CStringArray(plan.arguments)
        let envp = CStringArray(plan.environmentBlock(over: baseEnvironment))
        execve(plan.executable, argv.pointers, envp.pointers)
        throw SystemCallError("execve", plan.executable)
    }

    /// Runs the job to its end and returns the status ckpt-mpi should exit with:
    /// the job's exit status, or 128 + the signal that killed it.
    func run() throws -> Int32 {
        var waited = sigset_t()
        sigemptyset(&waited)
        for signal in Self.forwardedSignals + [SIGCHLD] + (supervision?.signals ?? []) { sigaddset(&waited, signal) }
        var blocked = waited
        // Blocked, not waited for: lets us take the terminal back from the background.
        sigaddset(&blocked, SIGTTOU)
        var original = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &original)
        defer { pthread_sigmask(SIG_SETMASK, &original, nil) }

        let child = try spawn(signalMask: original)
        // After blocking: threads the supervision starts inherit the mask, so SIGCHLD stays ours.
        supervision?.jobStarted(group: child)
        let terminal = Terminal.ownedForeground()
        var handedTerminal = terminal?.give(to: child) ?? false
        defer { if handedTerminal { terminal?.takeBack() } }

        var info = siginfo_t()
        while true {
            let signal: Int32
            if let supervision {
                // Woken regularly so the supervision can act on its own deadlines (kill grace).
                supervision.tick()
                var timeout = timespec(tv_sec: 0, tv_nsec: 250_000_000)
                signal = sigtimedwait(&waited, &info, &timeout)
                if signal < 0 && errno == EAGAIN { continue }
            } else {
                signal = sigwaitinfo(&waited, &info)
            }
            if signal < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("sigwaitinfo")
            }
            if let supervision, supervision.signals.contains(signal) {
                supervision.received(signal: signal)
                continue
            }
            guard signal == SIGCHLD else {
                kill(-child, signal)
                continue
            }
            // SIGCHLDs coalesce; collect every state change there is.
            while true {
                var status: Int32 = 0
                let reaped = waitpid(child, &status, WNOHANG | WUNTRACED)
                if reaped < 0 {
                    if errno == EINTR { continue }
                    throw SystemCallError("waitpid")
                }
                if reaped == 0 { break }
                let state = WaitStatus(raw: status)
                if let code = state.exitCode { return code }
                if let signal = state.terminatingSignal { return 128 + signal }
                if let signal = state.stopSignal {
                    handleStop(signal, of: child, terminal: terminal, handedTerminal: &handedTerminal)
                }
            }
        }
    }

    /// Mirrors a stop of the job onto ourselves, so the shell's job control works on
    /// ckpt-mpi as on any command, and resumes the job when we are resumed.
    private func handleStop(_ signal: Int32, of child: pid_t, terminal: Terminal?, handedTerminal: inout Bool) {
        guard let terminal else { return }  // Without a terminal there is no job control to mirror.
        if handedTerminal && (signal == SIGTTIN || signal == SIGTTOU) {
            // It touched the terminal before our tcsetpgrp landed; it owns it now.
            kill(-child, SIGCONT)
            return
        }
        if handedTerminal {
            terminal.takeBack()
            handedTerminal = false
        }
        kill(getpid(), SIGSTOP)
        // Resumed: by `fg` (foreground again, hand the terminal on) or by `bg`.
        if terminal.isForeground {
            handedTerminal = terminal.give(to: child)
        }
        kill(-child, SIGCONT)
    }

    /// Starts the launcher in its own process group with `signalMask`, and with SIGKILL as its
    /// parent-death signal: if ckpt-mpi dies in any way (even by SIGKILL), the launcher goes
    /// with it and takes its ranks along. The signal follows the thread that forks, so this
    /// must run on the thread that supervises the job to its end (the one in `run`).
    private func spawn(signalMask: sigset_t) throws -> pid_t {
        let argv = CStringArray(plan.arguments)
        let envp = CStringArray(plan.environmentBlock(over: baseEnvironment))
        var mask = signalMask
        var error: Int32 = 0
        var failedCall: UnsafePointer<CChar>?
        let pid = ckpt_spawn(plan.executable, argv.pointers, envp.pointers, &mask,
                             CKPT_SPAWN_NEW_GROUP | CKPT_SPAWN_DIE_WITH_PARENT, &error, &failedCall)
        guard pid > 0 else {
            throw SystemCallError(failedCall.map { String(cString: $0) } ?? "fork", plan.executable, errno: error)
        }
        return pid
    }
}

/// What supervision adds to a job besides forwarding signals: the checkpoint coordinator.
protocol JobSupervision: AnyObject {
    /// Signals taken for the supervision (e.g. the checkpoint signal) instead of being forwarded.
    var signals: [Int32] { get }
    /// The job's process group exists; the calling thread has the supervisor's signals blocked.
    func jobStarted(group: pid_t)
    /// One of `signals` arrived.
    func received(signal: Int32)
    /// Called on the supervising thread at least four times a second while the job runs.
    func tick()
}

/// The controlling terminal, when ckpt-mpi runs in its foreground process group.
struct Terminal {
    /// A descriptor on the terminal (one of 0, 1, 2).
    let descriptor: Int32

    /// The terminal if one of the standard descriptors is a tty whose foreground group is ours.
    static func ownedForeground() -> Terminal? {
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where isatty(fd) != 0 {
            let terminal = Terminal(descriptor: fd)
            if terminal.isForeground { return terminal }
        }
        return nil
    }

    /// Whether our process group is the terminal's foreground group.
    var isForeground: Bool { tcgetpgrp(descriptor) == getpgrp() }

    /// Makes `group` the foreground group; false if the terminal refused.
    func give(to group: pid_t) -> Bool {
        tcsetpgrp(descriptor, group) == 0
    }

    /// Makes our group the foreground group again (callers have SIGTTOU blocked).
    func takeBack() {
        _ = tcsetpgrp(descriptor, getpgrp())
    }
}

/// A decoded waitpid status (the W* macros are not visible from Swift).
struct WaitStatus: Equatable {
    let raw: Int32

    /// The exit status if the process exited.
    var exitCode: Int32? { raw & 0x7f == 0 ? (raw >> 8) & 0xff : nil }
    /// The signal that killed the process, if one did.
    var terminatingSignal: Int32? {
        let signal = raw & 0x7f
        return signal != 0 && signal != 0x7f ? signal : nil
    }
    /// The signal that stopped the process, if it is stopped.
    var stopSignal: Int32? { raw & 0xff == 0x7f ? (raw >> 8) & 0xff : nil }
}

/// A NULL-terminated array of C strings that lives as long as the value, for exec and spawn.
final class CStringArray {
    /// The array as execve and posix_spawn take it.
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}
