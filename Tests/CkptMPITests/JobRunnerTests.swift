import CkptSpawn
import Foundation
import XCTest
@testable import CkptMPI

/// How the job is started: its own process group, failures named, and a death tied to ours.
final class JobRunnerTests: XCTestCase {
    private func plan(_ arguments: [String]) -> LaunchPlan {
        LaunchPlan(executable: arguments[0], arguments: arguments, environment: [], supervised: true,
                   oversubscribed: false)
    }

    func testTheJobLeadsItsOwnProcessGroupAndItsExitStatusIsReturned() throws {
        let script = #"[ "$(ps -o pgid= -p $$ | tr -d ' ')" = "$$" ] && exit 7; exit 1"#
        let status = try JobRunner(plan: plan(["/bin/sh", "-c", script]),
                                   baseEnvironment: ["PATH": "/usr/bin:/bin"]).run()
        XCTAssertEqual(status, 7)
    }

    func testAFailedExecIsReportedWithTheCallAndErrno() {
        XCTAssertThrowsError(try JobRunner(plan: plan(["/nonexistent/launcher"]), baseEnvironment: [:]).run()) {
            XCTAssertEqual("\($0)", "execve(/nonexistent/launcher): No such file or directory")
        }
    }

    func testTheChildIsKilledWhenTheThreadThatSpawnedItEnds() throws {
        let spawned = LockedBox<pid_t>(0)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let argv = CStringArray(["/bin/sleep", "30"])
            let envp = CStringArray([])
            var error: Int32 = 0
            var failed: UnsafePointer<CChar>?
            spawned.value = ckpt_spawn("/bin/sleep", argv.pointers, envp.pointers, nil,
                                       CKPT_SPAWN_NEW_GROUP | CKPT_SPAWN_DIE_WITH_PARENT, &error, &failed)
            done.signal()
        }
        thread.start()
        done.wait()
        let pid = spawned.value
        XCTAssertGreaterThan(pid, 0)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(5)
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard Date() < deadline else {
                kill(pid, SIGKILL)
                return XCTFail("the child outlived the thread that spawned it")
            }
            usleep(10_000)
        }
        XCTAssertEqual(WaitStatus(raw: status).terminatingSignal, SIGKILL)
    }
}
