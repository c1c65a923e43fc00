import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A job run with a coordinator (`run --ckpt-dir`, `restart`): ties the coordinator to the
/// job supervisor, so the checkpoint signal reaches the coordinator and a checkpoint with
/// kill stops the job. The ranks end themselves on the coordinator's STOP (MPI finalised,
/// exit 0, the application never resumed), so the launcher ends as after any job;
/// whatever is still there after a grace period is killed.
final class CoordinatedJob: JobSupervision, @unchecked Sendable {
    /// Seconds the job has to end by itself after STOP before its process group is SIGKILLed.
    static let killGrace: Double = 20

    let coordinator: Coordinator
    let signals: [Int32]
    private let lock = NSLock()
    private var group: pid_t = 0
    private var killAt: Date?
    private var stoppedAfter: Int?

    init(coordinator: Coordinator, checkpointSignal: CheckpointSignal?) {
        self.coordinator = coordinator
        self.signals = checkpointSignal.map { [$0.number] } ?? []
        coordinator.onStopJob = { [weak self] generation in self?.stopJob(after: generation) }
    }

    /// The generation after which the job was stopped on request, if it was.
    var stoppedAfterGeneration: Int? { lock.withLock { stoppedAfter } }

    func jobStarted(group: pid_t) {
        lock.withLock { self.group = group }
        coordinator.start()
    }

    func received(signal: Int32) {
        coordinator.requestCheckpoint()
    }

    func tick() {
        let group: pid_t? = lock.withLock {
            guard let killAt = self.killAt, Date() >= killAt else { return nil }
            self.killAt = nil
            return self.group
        }
        if let group { kill(-group, SIGKILL) }
    }

    /// Called on the coordinator thread once the manifest is durable.
    private func stopJob(after generation: Int) {
        // No signal now: a signalled rank would make the launcher report a failure.
        lock.withLock {
            guard stoppedAfter == nil, group > 0 else { return }
            stoppedAfter = generation
            killAt = Date().addingTimeInterval(Self.killGrace)
        }
    }

    /// Opens the coordinator, runs the job to its end and returns ckpt-mpi's exit status:
    /// the job's own, or 0 with a note when it was stopped after a checkpoint as asked.
    /// `lock` is the directory's lock if the caller took it already; `announcement` goes to
    /// stderr once the directory is ours, so a refusal stays one line.
    func run(_ plan: LaunchPlan, environment: [String: String], lock: CoordinatorLock? = nil,
             announcement: String? = nil) throws -> Int32 {
        try coordinator.open(holding: lock)
        defer { coordinator.stop() }
        // The ranks learn the TCP port only now that the coordinator listens on it.
        let plan = coordinator.tcpEndpoint.map { plan.setting(Launcher.coordinatorVariable, to: $0) } ?? plan
        if let announcement { Log.note(announcement) }
        let status = try JobRunner(plan: plan, baseEnvironment: environment, supervision: self).run()
        if let generation = stoppedAfterGeneration {
            Log.note("job stopped after checkpoint gen \(generation) as asked; resume it with 'ckpt-mpi restart \(ShellQuoting.quote(coordinator.configuration.directory.path))'")
            return ExitStatus.stoppedAfterCheckpoint
        }
        return status
    }
}
