import Foundation
import XCTest
@testable import CkptMPI

/// The exact launch command and environment for each MPI and machine situation.
final class LauncherTests: XCTestCase {
    private let openMPI = UsableMPI(flavour: .openmpi, launcher: "/usr/bin/mpirun.openmpi",
                                    lowerHalf: "/opt/ckpt/ckpt-lower-openmpi")
    private let mpich = UsableMPI(flavour: .mpich, launcher: "/usr/bin/mpiexec.mpich",
                                  lowerHalf: "/opt/ckpt/ckpt-lower-mpich")

    private func request(_ mode: LaunchRequest.Mode, ranks: Int, launcherArguments: [String] = [],
                         debug: String? = nil) -> LaunchRequest {
        LaunchRequest(mode: mode, ranks: ranks, launcherArguments: launcherArguments, faceDirectory: "/opt/ckpt/face",
                      program: "./app", programArguments: ["-n", "5", "a b"], debugLevel: debug)
    }

    private func names(_ plan: LaunchPlan) -> [String] { plan.environment.map(\.name) }
    private func value(_ name: String, in plan: LaunchPlan) -> String? {
        plan.environment.first { $0.name == name }?.value
    }

    func testOpenMPIWithinCoresAsUser() {
        let plan = Launcher(onlineCores: 8, userID: 1000).plan(request(.mpi(openMPI), ranks: 4,
                                                                       launcherArguments: ["--bind-to", "core"]))
        XCTAssertEqual(plan.executable, "/usr/bin/mpirun.openmpi")
        XCTAssertEqual(plan.arguments, [
            "/usr/bin/mpirun.openmpi", "-np", "4", "-x", "CKPT_MPI_DIE_WITH_PARENT", "-x", "UCX_MEM_EVENTS",
            "-x", "UCX_MEM_MALLOC_HOOKS", "--bind-to", "core",
            "/opt/ckpt/ckpt-lower-openmpi", "--face-dir", "/opt/ckpt/face", "--", "./app", "-n", "5", "a b",
        ])
        XCTAssertEqual(plan.environment, [EnvironmentSetting("CKPT_MPI_DIE_WITH_PARENT", "1")] + Launcher.quietMPISettings)
        XCTAssertEqual(value("OMPI_MCA_opal_signal", in: plan), "")
        XCTAssertEqual(value("OMPI_MCA_memory", in: plan), "^patcher")
        XCTAssertFalse(plan.oversubscribed)
        XCTAssertTrue(plan.supervised)
    }

    func testOpenMPIOversubscribedAsRoot() {
        let plan = Launcher(onlineCores: 2, userID: 0).plan(request(.mpi(openMPI), ranks: 3, debug: "1"))
        XCTAssertTrue(plan.oversubscribed)
        XCTAssertEqual(Array(plan.arguments.prefix(4)), ["/usr/bin/mpirun.openmpi", "-np", "3", "--oversubscribe"])
        XCTAssertEqual(names(plan), [
            "CKPT_MPI_OVERSUBSCRIBED", "CKPT_MPI_DEBUG", "CKPT_MPI_DIE_WITH_PARENT", "UCX_MEM_EVENTS",
            "UCX_MEM_MALLOC_HOOKS", "OMPI_MCA_memory", "OMPI_MCA_opal_signal", "OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM",
            "OMPI_MCA_mpi_yield_when_idle",
        ])
        XCTAssertEqual(value("OMPI_MCA_mpi_yield_when_idle", in: plan), "1")
        XCTAssertEqual(value("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", in: plan), "1")
        // Our own variables travel to remote ranks; OMPI_* ones mpirun forwards itself.
        for name in ["CKPT_MPI_OVERSUBSCRIBED", "CKPT_MPI_DEBUG", "UCX_MEM_EVENTS"] {
            XCTAssertTrue(zip(plan.arguments, plan.arguments.dropFirst()).contains { $0 == ("-x", name) }, name)
        }
        XCTAssertFalse(plan.arguments.contains("OMPI_MCA_memory"))
    }

    func testOpenMPIForwardsTheUsersKnobsToRemoteRanks() {
        let launcher = Launcher(onlineCores: 8, userID: 1000,
                                inheritedSettings: ["CKPT_MPI_DEBUG", "CKPT_MPI_IMAGE_FILES", "CKPT_MPI_WRITER"])
        let plan = launcher.plan(request(.mpi(openMPI), ranks: 2, debug: "1"))
        let forwarded = zip(plan.arguments, plan.arguments.dropFirst()).filter { $0.0 == "-x" }.map { $0.1 }
        XCTAssertTrue(forwarded.contains("CKPT_MPI_IMAGE_FILES"))
        XCTAssertTrue(forwarded.contains("CKPT_MPI_WRITER"))
        // Set by the plan itself: forwarded once, not twice.
        XCTAssertEqual(forwarded.filter { $0 == "CKPT_MPI_DEBUG" }.count, 1)
    }

    func testLazyRestoreTravelsToEveryRankOfARestartOnly() {
        var lazy = request(.mpi(openMPI), ranks: 2)
        lazy.lazyRestore = true
        XCTAssertNil(value("CKPT_MPI_RESTORE_LAZY", in: Launcher(onlineCores: 8, userID: 1000).plan(lazy)))
        lazy.restore = "/ck/gen-000001"
        let plan = Launcher(onlineCores: 8, userID: 1000).plan(lazy)
        XCTAssertEqual(value("CKPT_MPI_RESTORE_LAZY", in: plan), "1")
        XCTAssertTrue(zip(plan.arguments, plan.arguments.dropFirst()).contains { $0 == ("-x", "CKPT_MPI_RESTORE_LAZY") })
        lazy.lazyRestore = false
        XCTAssertNil(value("CKPT_MPI_RESTORE_LAZY", in: Launcher(onlineCores: 8, userID: 1000).plan(lazy)))
    }

    func testOversubscribeIsNotRepeatedWhenTheUserGaveIt() {
        let plan = Launcher(onlineCores: 1, userID: 1000).plan(request(.mpi(openMPI), ranks: 4,
                                                                       launcherArguments: ["--oversubscribe"]))
        XCTAssertEqual(plan.arguments.filter { $0 == "--oversubscribe" }.count, 1)
    }

    func testRanksEqualToCoresAreNotOversubscribed() {
        let plan = Launcher(onlineCores: 4, userID: 1000).plan(request(.mpi(openMPI), ranks: 4))
        XCTAssertFalse(plan.oversubscribed)
        XCTAssertFalse(plan.arguments.contains("--oversubscribe"))
        XCTAssertNil(value("CKPT_MPI_OVERSUBSCRIBED", in: plan))
    }

    func testMPICH() {
        let plan = Launcher(onlineCores: 2, userID: 0).plan(request(.mpi(mpich), ranks: 4,
                                                                    launcherArguments: ["-hosts", "a,b"]))
        XCTAssertEqual(plan.arguments, [
            "/usr/bin/mpiexec.mpich", "-n", "4", "-hosts", "a,b",
            "/opt/ckpt/ckpt-lower-mpich", "--face-dir", "/opt/ckpt/face", "--", "./app", "-n", "5", "a b",
        ])
        XCTAssertEqual(value("CKPT_MPI_OVERSUBSCRIBED", in: plan), "1")
        // Root and yield knobs are Open MPI's business.
        XCTAssertNil(value("OMPI_ALLOW_RUN_AS_ROOT", in: plan))
        XCTAssertNil(value("OMPI_MCA_mpi_yield_when_idle", in: plan))
        XCTAssertEqual(value("UCX_MEM_MALLOC_HOOKS", in: plan), "no")
    }

    func testNoMPIExecsTheLowerHalfDirectly() {
        let plan = Launcher(onlineCores: 2, userID: 0).plan(
            request(.noMPI(lowerHalf: "/opt/ckpt/ckpt-lower-nompi"), ranks: 1, debug: "1"))
        XCTAssertFalse(plan.supervised)
        XCTAssertEqual(plan.executable, "/opt/ckpt/ckpt-lower-nompi")
        XCTAssertEqual(plan.arguments, ["/opt/ckpt/ckpt-lower-nompi", "--face-dir", "/opt/ckpt/face", "--",
                                        "./app", "-n", "5", "a b"])
        XCTAssertEqual(plan.environment, [EnvironmentSetting("CKPT_MPI_DEBUG", "1")],
                       "exec'd by ckpt-mpi, the lower half's parent is the user's shell: it must not die with it")
    }

    func testNoMPIWithACoordinatorDiesWithCkptMPIAndCarriesTheJobMarker() {
        var noMPI = request(.noMPI(lowerHalf: "/opt/ckpt/ckpt-lower-nompi"), ranks: 1)
        noMPI.coordinatorSocket = "/ck/coordinator.sock"
        noMPI.jobDirectory = "/ck"
        let plan = Launcher(onlineCores: 2, userID: 0).plan(noMPI)
        XCTAssertTrue(plan.supervised)
        XCTAssertEqual(plan.environment, [EnvironmentSetting("CKPT_MPI_COORD", "/ck/coordinator.sock"),
                                          EnvironmentSetting("CKPT_MPI_JOB_DIR", "/ck"),
                                          EnvironmentSetting("CKPT_MPI_DIE_WITH_PARENT", "1")])
    }

    func testCommandLineAndScriptAreShellQuoted() {
        let plan = Launcher(onlineCores: 8, userID: 1000).plan(request(.mpi(mpich), ranks: 2))
        XCTAssertEqual(plan.commandLine,
                       "CKPT_MPI_DIE_WITH_PARENT=1 UCX_MEM_EVENTS=no UCX_MEM_MALLOC_HOOKS=no OMPI_MCA_memory=^patcher "
                       + "OMPI_MCA_opal_signal='' "
                       + "/usr/bin/mpiexec.mpich -n 2 /opt/ckpt/ckpt-lower-mpich --face-dir /opt/ckpt/face -- "
                       + "./app -n 5 'a b'")
        XCTAssertEqual(plan.script.split(separator: "\n").first, "export CKPT_MPI_DIE_WITH_PARENT=1")
    }

    func testEnvironmentBlockOverridesInheritedValues() {
        let plan = Launcher(onlineCores: 8, userID: 1000).plan(request(.mpi(mpich), ranks: 2))
        let block = plan.environmentBlock(over: ["UCX_MEM_EVENTS": "yes", "HOME": "/root"])
        XCTAssertTrue(block.contains("UCX_MEM_EVENTS=no"))
        XCTAssertTrue(block.contains("HOME=/root"))
        XCTAssertTrue(block.contains("OMPI_MCA_opal_signal="))
        XCTAssertFalse(block.contains("UCX_MEM_EVENTS=yes"))
    }

    func testShellQuoting() {
        XCTAssertEqual(ShellQuoting.quote("plain-word_1.2/x"), "plain-word_1.2/x")
        XCTAssertEqual(ShellQuoting.quote(""), "''")
        XCTAssertEqual(ShellQuoting.quote("it's"), #"'it'\''s'"#)
        XCTAssertEqual(ShellQuoting.quote("$HOME"), "'$HOME'")
    }
}
