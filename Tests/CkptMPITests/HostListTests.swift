import Foundation
import XCTest
import ArgumentParser
@testable import CkptMPI

/// `--host`/`--hostfile`: one syntax for both MPIs, in each launcher's own spelling, and
/// the address the coordinator listens on for them.
final class HostListTests: XCTestCase {
    private let openMPI = UsableMPI(flavour: .openmpi, launcher: "/usr/bin/mpirun.openmpi",
                                    lowerHalf: "/opt/ckpt/ckpt-lower-openmpi")
    private let mpich = UsableMPI(flavour: .mpich, launcher: "/usr/bin/mpiexec.mpich",
                                  lowerHalf: "/opt/ckpt/ckpt-lower-mpich")

    private func plan(_ mpi: UsableMPI, hosts: HostList, extra: [String] = []) -> LaunchPlan {
        var request = LaunchRequest(mode: .mpi(mpi), ranks: 4, launcherArguments: extra, faceDirectory: "/f",
                                    program: "./app", programArguments: [], debugLevel: nil)
        request.hosts = hosts
        return Launcher(onlineCores: 8, userID: 1000).plan(request)
    }

    func testHostListSyntax() throws {
        let list = try HostList(parsing: "n1:2,n2:2,10.0.0.3,[fd00::4]:3,fd00::5")
        XCTAssertEqual(list.entries, [.init(name: "n1", slots: 2), .init(name: "n2", slots: 2),
                                      .init(name: "10.0.0.3", slots: nil), .init(name: "[fd00::4]", slots: 3),
                                      .init(name: "fd00::5", slots: nil)])
        XCTAssertEqual(list.launcherText, "n1:2,n2:2,10.0.0.3,[fd00::4]:3,fd00::5")
        XCTAssertNil(list.slots)
        XCTAssertEqual(try HostList(parsing: "a:3,b:1").slots, 4)
        XCTAssertEqual(try HostList(parsing: "a,b,a,a:2").launcherText, "a:4,b", "a repeated host counts its slots")
        XCTAssertEqual(try HostList(hostfile: "n1\nn1\nn2\nn1\n", path: "PBS_NODEFILE").launcherText, "n1:3,n2")
        for bad in ["a:0", "a:x", "a,,b", "", "a:-1", "a b:2"] {
            XCTAssertThrowsError(try HostList(parsing: bad), bad) { error in
                XCTAssertEqual((error as? CLIFailure)?.exitStatus, ExitStatus.usage)
                XCTAssertTrue("\(error)".hasPrefix("--host \(bad): "), "\(error)")
            }
        }
    }

    func testHostfileTakesBothMPIsSpellings() throws {
        let text = """
            # the job's nodes
            n1 slots=2 max_slots=4
            n2:2   # Hydra's form

            n3
            """
        let list = try HostList(hostfile: text, path: "hosts")
        XCTAssertEqual(list.launcherText, "n1:2,n2:2,n3")
        XCTAssertThrowsError(try HostList(hostfile: "n1\nn2 cores=3\n", path: "hosts")) { error in
            XCTAssertEqual("\(error)", "hosts line 2: cannot read 'cores=3' (write HOST, HOST:N or HOST slots=N)")
        }
        XCTAssertThrowsError(try HostList(hostfile: "# nothing\n\n", path: "hosts")) { error in
            XCTAssertEqual("\(error)", "hosts names no host")
        }
        XCTAssertThrowsError(try HostList.read(hostfile: "/nonexistent/hosts")) { error in
            XCTAssertEqual("\(error)", "open(/nonexistent/hosts): No such file or directory")
        }
    }

    func testEachLauncherGetsItsOwnSpelling() {
        let hosts = HostList(entries: [.init(name: "n1", slots: 2), .init(name: "n2", slots: 2)])
        let ompi = plan(openMPI, hosts: hosts, extra: ["--mca", "btl", "tcp,self"])
        XCTAssertEqual(Array(ompi.arguments.suffix(10).prefix(5)), ["--host", "n1:2,n2:2", "--mca", "btl", "tcp,self"])
        let hydra = plan(mpich, hosts: hosts)
        XCTAssertEqual(Array(hydra.arguments.prefix(5)), ["/usr/bin/mpiexec.mpich", "-n", "4", "-hosts", "n1:2,n2:2"])
    }

    func testTheCoordinatorListensWhereTheFirstOtherHostReachesUs() throws {
        let options = try HostOptions.parse(["--host", "localhost:1,me,10.1.0.3:2,10.1.0.4:2"])
        var asked: [String] = []
        let address = try options.coordinatorListenAddress(hosts: try options.hosts(), localNames: ["me"]) {
            asked.append($0.text)
            return IPAddress("10.1.0.1")!
        }
        XCTAssertEqual(address?.text, "10.1.0.1")
        XCTAssertEqual(asked, ["10.1.0.3"], "the first host that is not this one")
        // Only this host: a single-host job keeps the Unix socket.
        let local = try HostOptions.parse(["--host", "localhost:2,127.0.0.1:2,me"])
        XCTAssertNil(try local.coordinatorListenAddress(hosts: try local.hosts(), localNames: ["me"]) { _ in
            XCTFail("no route is needed")
            return IPAddress("127.0.0.1")!
        })
        // Given: no route is asked.
        let given = try HostOptions.parse(["--host", "10.1.0.3", "--coordinator-address", "10.1.0.9"])
        XCTAssertEqual(try given.coordinatorListenAddress(hosts: try given.hosts(), localNames: []) { _ in
            XCTFail("no route is needed")
            return IPAddress("127.0.0.1")!
        }?.text, "10.1.0.9")
        XCTAssertNil(try HostOptions.parse([]).coordinatorListenAddress(hosts: nil, allocation: nil))
    }

    func testAMultiNodeSlurmAllocationPutsTheCoordinatorOnTCP() throws {
        let env = ["SLURM_JOB_NUM_NODES": "2", "SLURM_JOB_NODELIST": "n[1-2]"]
        let allocation = HostOptions.batchAllocation(environment: env) { $0 == "n[1-2]" ? ["10.1.0.3", "10.1.0.4"] : nil }
        XCTAssertEqual(allocation?.launcherText, "10.1.0.3,10.1.0.4")
        var asked: [String] = []
        let address = try HostOptions.parse([]).coordinatorListenAddress(hosts: nil, localNames: ["10.1.0.3"],
                                                                         allocation: allocation) {
            asked.append($0.text)
            return IPAddress("10.1.0.1")!
        }
        XCTAssertEqual(address?.text, "10.1.0.1")
        XCTAssertEqual(asked, ["10.1.0.4"], "the route toward the other node")
        // One node, or no allocation: the Unix socket stays.
        XCTAssertNil(HostOptions.batchAllocation(environment: ["SLURM_JOB_NUM_NODES": "1", "SLURM_JOB_NODELIST": "n1"]) { _ in ["n1"] })
        XCTAssertNil(HostOptions.batchAllocation(environment: [:]) { _ in ["n1", "n2"] })
    }

    func testHostOptionErrors() throws {
        XCTAssertThrowsError(try HostOptions.parse(["--coordinator-address", "node1"])) { error in
            XCTAssertEqual(HostOptions.message(for: error),
                           "--coordinator-address must be an IPv4 or IPv6 address, not 'node1'")
        }
        XCTAssertThrowsError(try HostOptions.parse(["--coordinator-address", "0.0.0.0"])) { error in
            XCTAssertTrue(HostOptions.message(for: error).contains("every interface"))
        }
        XCTAssertThrowsError(try HostOptions.parse(["--host", "a", "--hostfile", "f"]))
        XCTAssertThrowsError(try RunCommand.parse(["--no-mpi", "--host", "a", "--", "./app"]))
        let options = try HostOptions.parse(["--host", "a:2"])
        XCTAssertThrowsError(try options.checkNotAlsoIn(["--bind-to", "core", "-hosts", "b"])) { error in
            XCTAssertEqual((error as? CLIFailure)?.exitStatus, ExitStatus.usage)
            XCTAssertTrue("\(error)".contains("-hosts"))
        }
        XCTAssertNoThrow(try HostOptions.parse([]).checkNotAlsoIn(["-hosts", "b"]), "alone, launcher options pass through")
    }

    func testRunAndRestartTakeTheSameHostOptions() throws {
        let run = try RunCommand.parse(["-np", "4", "--host", "n1:2,n2:2", "--ckpt-dir", "ck", "--", "./app"])
        XCTAssertEqual(try run.placement.hosts()?.launcherText, "n1:2,n2:2")
        let restart = try RestartCommand.parse(["ck", "--hostfile", "/etc/hostname", "--coordinator-address", "10.0.0.1"])
        XCTAssertEqual(restart.placement.hostfile, "/etc/hostname")
        XCTAssertEqual(restart.placement.coordinatorAddress, "10.0.0.1")
    }
}
