import Foundation
import XCTest
@testable import CkptMPI

/// The coordinator's TCP listener for jobs on several hosts, and its HMAC challenge-response.
final class TCPCoordinatorTests: XCTestCase {
    func testHMACMatchesRFC4231() {
        // RFC 4231 test case 2: key "Jefe".
        let secret = JobSecret(bytes: Array("Jefe".utf8))
        XCTAssertEqual(JobSecret.encode(secret.mac(Array("what do ya want for nothing?".utf8))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Case 6: a key longer than the block is hashed first.
        let long = JobSecret(bytes: [UInt8](repeating: 0xaa, count: 131))
        XCTAssertEqual(JobSecret.encode(long.mac(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))),
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func testSecretIsFreshAndRoundTripsThroughHex() throws {
        let a = JobSecret.make(), b = JobSecret.make()
        XCTAssertEqual(a.bytes.count, 32)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a.hex.count, 64)
        XCTAssertEqual(JobSecret(hex: a.hex), a)
        XCTAssertNil(JobSecret(hex: "abc"))
        XCTAssertNil(JobSecret(hex: String(repeating: "g", count: 64)))
        let nonce = JobSecret.randomBytes(32)
        XCTAssertTrue(a.verifies(a.mac(nonce), for: nonce))
        XCTAssertFalse(b.verifies(a.mac(nonce), for: nonce))
        XCTAssertFalse(a.verifies(Array(a.mac(nonce).dropLast()), for: nonce))
    }

    func testAddressLiterals() {
        XCTAssertEqual(IPAddress("10.0.0.1")?.description, "10.0.0.1")
        XCTAssertEqual(IPAddress("[fd00:0::1]")?.description, "[fd00::1]")
        XCTAssertNil(IPAddress("node1"))
        XCTAssertTrue(IPAddress("127.0.0.2")!.isLoopback)
        XCTAssertTrue(IPAddress("0.0.0.0")!.isUnspecified)
        XCTAssertEqual(try TCPSocket.routeSource(toward: IPAddress("127.0.0.1")!).text, "127.0.0.1")
    }

    private final class Notes: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    private func coordinator(notes: Notes, secret: JobSecret) throws -> (Coordinator, TemporaryDirectory) {
        let temporary = try TemporaryDirectory()
        let directory = CheckpointDirectory(temporary.path + "/ck")
        try directory.create()
        let job = JobDescription(np: 1, mpi: "none", program: "/bin/app", arguments: [], cwd: "/",
                                 startTime: CheckpointJSON.timestamp(), coordinatorPid: Int(getpid()), jobId: nil)
        var configuration = CoordinatorConfiguration(directory: directory, job: job, transport: "default")
        configuration.reportsOnStderr = false
        configuration.noteObserver = { notes.add($0) }
        configuration.tcp = TCPListening(address: IPAddress("127.0.0.1")!, secret: secret)
        let coordinator = Coordinator(configuration: configuration)
        try coordinator.open()
        coordinator.start()
        return (coordinator, temporary)
    }

    private func connect(_ endpoint: String) throws -> LineConnection {
        let port = UInt16(endpoint.split(separator: ":").last!)!
        return LineConnection(fd: try TCPSocket.connect(IPAddress("127.0.0.1")!, port: port))
    }

    func testOnlyAConnectionThatKnowsTheSecretIsServed() throws {
        let secret = JobSecret.make()
        let notes = Notes()
        let (coordinator, temporary) = try coordinator(notes: notes, secret: secret)
        defer { coordinator.stop() }
        let endpoint = try XCTUnwrap(coordinator.tcpEndpoint)
        XCTAssertTrue(endpoint.hasPrefix("tcp:127.0.0.1:"), endpoint)
        XCTAssertFalse(endpoint.hasSuffix(":0"))

        // Knows the secret: answers the challenge, then speaks the protocol as over the Unix socket.
        let engine = try connect(endpoint)
        let challenge = try XCTUnwrap(ProtocolLine.parse(try XCTUnwrap(try engine.readLine(timeout: 5))))
        XCTAssertEqual(challenge.verb, "CHALLENGE")
        let nonce = try XCTUnwrap(challenge["nonce"].flatMap(JobSecret.decode))
        XCTAssertEqual(nonce.count, 32)
        try engine.send(ProtocolLine("AUTH", [("mac", JobSecret.encode(secret.mac(nonce)))]))
        try engine.send(EngineHello(rank: 0, nranks: 1, pid: 42, host: "h1", flavour: "none").line)
        let client = CoordinatorClient(directory: CheckpointDirectory(temporary.path + "/ck"))
        try waitFor { (try client.status()?.ranksConnected.count ?? 0) == 1 }

        // Another challenge, another nonce: an answer seen on the wire cannot be replayed.
        let replay = try connect(endpoint)
        let second = try XCTUnwrap(ProtocolLine.parse(try XCTUnwrap(try replay.readLine(timeout: 5))))
        XCTAssertNotEqual(second["nonce"], challenge["nonce"])
        try replay.send(ProtocolLine("AUTH", [("mac", JobSecret.encode(secret.mac(nonce)))]))
        XCTAssertEqual(try replay.readLine(timeout: 5), "ERROR authentication failed")
        XCTAssertNil(try replay.readLine(timeout: 5), "closed")

        // Without the secret: HELLO first, or a STATUS, is refused and closed.
        for attempt in ["HELLO rank=0 nranks=1 pid=1 host=x flavour=none", "STATUS"] {
            let stranger = try connect(endpoint)
            _ = try stranger.readLine(timeout: 5)
            try UnixSocket.send(stranger.fd, attempt + "\n")
            XCTAssertEqual(try stranger.readLine(timeout: 5), "ERROR authentication failed")
            XCTAssertNil(try stranger.readLine(timeout: 5))
        }
        try waitFor { notes.all.count >= 3 }
        XCTAssertEqual(notes.all.count, 3, "\(notes.all)")
        XCTAssertTrue(notes.all[0].hasPrefix("refused a connection to the coordinator from 127.0.0.1:"), notes.all[0])
        XCTAssertTrue(notes.all[0].hasSuffix("wrong HMAC (it does not know this job's secret)"), notes.all[0])
        XCTAssertTrue(notes.all[1].hasSuffix("it sent 'HELLO' instead of AUTH"), notes.all[1])
        XCTAssertEqual(try client.status()?.ranksConnected.map(\.host), ["h1"], "the authenticated engine is still served")
    }

    func testAFloodOfUnauthenticatedConnectionsIsCappedWithOneLine() throws {
        let secret = JobSecret.make()
        let notes = Notes()
        let (coordinator, temporary) = try coordinator(notes: notes, secret: secret)
        defer { coordinator.stop() }
        let endpoint = try XCTUnwrap(coordinator.tcpEndpoint)
        var waiting: [LineConnection] = []
        for _ in 0..<Coordinator.maximumUnauthenticated {
            let connection = try connect(endpoint)
            XCTAssertEqual(try connection.readLine(timeout: 5)?.hasPrefix("CHALLENGE "), true)
            waiting.append(connection)
        }
        for _ in 0..<3 {
            XCTAssertNil(try connect(endpoint).readLine(timeout: 5), "closed without a challenge")
        }
        try waitFor { notes.all.count == 1 }
        XCTAssertTrue(notes.all[0].hasSuffix("64 connections are already waiting to authenticate (further ones are closed without a line until some end)"), notes.all[0])
        // The Unix socket, and so the job's own clients, are not affected.
        XCTAssertNotNil(try CoordinatorClient(directory: CheckpointDirectory(temporary.path + "/ck")).status())
        waiting.removeAll()
        try waitFor { notes.all.count == 1 + Coordinator.maximumUnauthenticated }
        let again = try connect(endpoint)
        XCTAssertEqual(try again.readLine(timeout: 5)?.hasPrefix("CHALLENGE "), true, "served again once they left")
    }

    func testTheLaunchGetsTheEndpointAndTheSecretButNoLogShowsIt() {
        let secret = JobSecret.make()
        var request = LaunchRequest(mode: .mpi(UsableMPI(flavour: .openmpi, launcher: "/usr/bin/mpirun.openmpi",
                                                         lowerHalf: "/opt/l")),
                                    ranks: 2, launcherArguments: [], faceDirectory: "/f", program: "/a",
                                    programArguments: [], debugLevel: nil)
        request.coordinatorSocket = "/d/coordinator.sock"
        request.coordinatorTCP = TCPListening(address: IPAddress("10.9.0.1")!, secret: secret)
        let plan = Launcher(onlineCores: 4, userID: 1000).plan(request)
        XCTAssertEqual(plan.environment.first { $0.name == "CKPT_MPI_COORD" }?.value, "tcp:10.9.0.1:0")
        XCTAssertEqual(plan.environment.first { $0.name == "CKPT_MPI_SECRET" }?.value, secret.hex)
        XCTAssertTrue(zip(plan.arguments, plan.arguments.dropFirst()).contains { $0 == ("-x", "CKPT_MPI_SECRET") })
        XCTAssertFalse(plan.commandLine.contains(secret.hex))
        XCTAssertFalse(plan.script.contains(secret.hex))
        let started = plan.setting("CKPT_MPI_COORD", to: "tcp:10.9.0.1:4711")
        XCTAssertEqual(started.environment.first { $0.name == "CKPT_MPI_COORD" }?.value, "tcp:10.9.0.1:4711")
        XCTAssertEqual(started.arguments, plan.arguments)
    }
}
