import MPIShadow
import HalfABI
import Foundation
import XCTest
@testable import CkptMPI

/// A stand-in for the C engine of one rank: connects, says HELLO, and answers the way it
/// is told to, writing a fake image the way the engine does (tmp, rename). Without `mpi`
/// it says flavour none and writes on CHECKPOINT; with it, it plays its cut script,
/// answers CUT with its SENT row and EXPECT with DRAINED, and writes on WRITE.
final class FakeEngine: @unchecked Sendable {
    /// How the write is answered.
    enum Behaviour {
        case write(bytes: Int)
        case fail(String)
        case silent
        case disconnect
        /// Writes a file of a size other than the one reported.
        case lie(bytes: Int, reported: Int)
    }

    /// What an MPI rank says during the cut of every generation.
    struct MPI {
        var steps: [Step]
        /// Messages sent to each world rank, for SENT.
        var sent: [Int]
    }

    /// Lines sent once `trigger` holds, in script order.
    struct Step {
        var trigger: Trigger
        var say: [Say]
    }

    enum Trigger {
        case checkpoint
        /// Once this rank's target for the communicator is at least the count.
        case target(CommID, Int)
    }

    enum Say {
        /// A CUTREPORT with the next sequence number.
        case report([CommID: CommCount], RankActivity)
        case failed(String)
        /// Sent as it is.
        case raw(String)
    }

    let rank: Int
    let nranks: Int
    private let mpi: MPI?
    private let connection: LineConnection
    private let lock = NSLock()
    private var behaviour: Behaviour
    private var thread: Thread?
    private var received: [String] = []
    /// Every line the coordinator sent.
    var requests: [String] { lock.withLock { received } }

    // Serve-thread state of the current generation.
    private var generation = 0
    private var directory = ""
    private var local: String?
    private var copyDelay = 0.0
    private var copyFailure: String?

    /// With `local=` (--local-dir): wait `delay` s after WRITTEN, then copy and say COPIED, or FAILED with `failure`.
    func setCopy(delay: Double, failure: String? = nil) { lock.withLock { (copyDelay, copyFailure) = (delay, failure) } }
    private var sequence = 0
    private var targets: [CommID: Int] = [:]
    private var nextStep = 0

    /// The job id its images carry, as the engine's CKPT_MPI_JOB_ID.
    let jobID: String

    init(socket: String, rank: Int, nranks: Int, behaviour: Behaviour = .write(bytes: 4096), mpi: MPI? = nil,
         jobID: String = "") throws {
        self.rank = rank
        self.jobID = jobID
        self.nranks = nranks
        self.behaviour = behaviour
        self.mpi = mpi
        connection = try LineConnection(connectingTo: socket)
        try connection.send(EngineHello(rank: rank, nranks: nranks, pid: 1000 + rank, host: "node\(rank)",
                                        flavour: mpi == nil ? "none" : "openmpi").line)
        let thread = Thread { [self] in serve() }
        thread.start()
        self.thread = thread
    }

    func set(_ behaviour: Behaviour) { lock.withLock { self.behaviour = behaviour } }

    /// Closes the connection (the thread ends at end of stream).
    func close() { shutdown(connection.fd, Int32(SHUT_RDWR)) }

    private func serve() {
        while let text = try? connection.readLine(), let line = ProtocolLine.parse(text) {
            lock.withLock { received.append(text) }
            switch line.verb {
            case "CHECKPOINT":
                guard let generation = line.integer("gen"), let directory = line["dir"] else { continue }
                (self.generation, self.directory, sequence, targets, nextStep) = (generation, directory, 0, [:], 0)
                local = line["local"]
                if mpi == nil, !answerWrite() { return }
                play()
            case "TARGETS":
                guard case .targets(_, let raised)? = try? CutMessage(line, nranks: nranks) else { continue }
                targets.merge(raised, uniquingKeysWith: max)
                play()
            case "CUT":
                try? connection.send(CutMessage.sent(generation: generation, to: mpi?.sent ?? []).line)
            case "EXPECT":
                try? connection.send(CutMessage.drained(generation: generation).line)
            case "WRITE":
                if !answerWrite() { return }
            default:
                break
            }
        }
    }

    /// Says the script's next steps whose trigger holds.
    private func play() {
        guard let steps = mpi?.steps else { return }
        while nextStep < steps.count {
            if case let .target(c, n) = steps[nextStep].trigger, targets[c] ?? 0 < n { return }
            for say in steps[nextStep].say {
                switch say {
                case let .report(comms, activity):
                    sequence += 1
                    try? connection.send(CutMessage.report(RankReport(
                        rank: rank, generation: generation, sequence: sequence, comms: comms, activity: activity)).line)
                case .failed(let error):
                    try? connection.send(EngineReply.failed(generation: generation, error: error).line)
                case .raw(let text):
                    try? UnixSocket.send(connection.fd, text)
                }
            }
            nextStep += 1
        }
    }

    /// Answers the current generation now, for a rank that was `.silent` when asked.
    func answerLateWrite() { _ = answerWrite() }

    /// Writes (or not) as `behaviour` says; false when the connection is closed.
    private func answerWrite() -> Bool {
        let name = "/" + CheckpointDirectory.imageName(rank: rank)
        let image = directory + name
        switch lock.withLock({ behaviour }) {
        case .write(let bytes) where local != nil:
            // As the engine's thread does: the application resumes at WRITTEN, the copy follows.
            let local = local!
            try? FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
            writeImage(local + name, bytes: bytes)
            try? connection.send(EngineReply.written(generation: generation, bytes: bytes, pauseMilliseconds: 5,
                                                     writeMilliseconds: 7).line)
            let (delay, failure) = lock.withLock { (copyDelay, copyFailure) }
            Thread.sleep(forTimeInterval: delay)
            if let failure {
                try? connection.send(EngineReply.failed(generation: generation, error: failure).line)
            } else if (try? FileManager.default.copyItem(atPath: local + name, toPath: image + ".tmp")) != nil,
                      rename(image + ".tmp", image) == 0 {
                try? connection.send(EngineReply.copied(generation: generation, copyMilliseconds: Int(delay * 1000)).line)
            }
        case .write(let bytes):
            writeImage(image, bytes: bytes)
            try? connection.send(EngineReply.written(generation: generation, bytes: bytes, pauseMilliseconds: 5,
                                                     writeMilliseconds: 7).line)
        case let .lie(bytes, reported):
            writeImage(image, bytes: bytes)
            try? connection.send(EngineReply.written(generation: generation, bytes: reported, pauseMilliseconds: 5,
                                                     writeMilliseconds: 7).line)
        case .fail(let error):
            try? connection.send(EngineReply.failed(generation: generation, error: error).line)
        case .silent:
            break
        case .disconnect:
            close()
            return false
        }
        return true
    }

    private func writeImage(_ path: String, bytes: Int) {
        let contents = bytes >= ImageFile.headerSize
            ? fakeImage(rank: rank, nranks: nranks, generation: generation, jobID: jobID, bytes: bytes)
            : Data(repeating: UInt8(rank), count: bytes)
        FileManager.default.createFile(atPath: path + ".tmp", contents: contents)
        rename(path + ".tmp", path)
    }
}

/// A coordinator on a fresh directory, and engines for it.
final class CoordinatorFixture {
    let temporary: TemporaryDirectory
    let directory: CheckpointDirectory
    let coordinator: Coordinator
    var engines: [FakeEngine] = []

    /// The job's id (job.json, manifests); engines get `engineJobID`, the same by default.
    let jobID: String?
    let engineJobID: String

    init(ranks: Int, keep: Int = 2, timeout: Double = 5, interval: Double? = nil, jobID: String? = nil,
         engineJobID: String? = nil, localDirectory: String? = nil,
         prepare: (CheckpointDirectory) throws -> Void = { _ in },
         noteObserver: (@Sendable (String) -> Void)? = nil) throws {
        self.jobID = jobID
        self.engineJobID = engineJobID ?? jobID ?? ""
        temporary = try TemporaryDirectory()
        directory = CheckpointDirectory(temporary.path + "/ck")
        try directory.create()
        try prepare(directory)
        let job = JobDescription(np: ranks, mpi: "mpich", program: "/bin/app", arguments: ["a b"], cwd: "/",
                                 startTime: CheckpointJSON.timestamp(), coordinatorPid: Int(getpid()), jobId: jobID)
        var configuration = CoordinatorConfiguration(directory: directory, job: job, transport: "default")
        configuration.keep = keep
        configuration.rankTimeout = timeout
        configuration.interval = interval
        configuration.reportsOnStderr = false
        configuration.noteObserver = noteObserver
        if let localDirectory { configuration.localDirectory = temporary.path + "/" + localDirectory }
        coordinator = Coordinator(configuration: configuration)
        try coordinator.open()
        coordinator.start()
    }

    /// Connects `count` engines (ranks 0..<count of `nranks`) and waits until the coordinator has them all;
    /// `mpi[r]` makes rank r an MPI rank with that script.
    func connectEngines(_ count: Int, of nranks: Int, behaviour: FakeEngine.Behaviour = .write(bytes: 4096),
                        mpi: [FakeEngine.MPI?] = []) throws {
        for rank in 0..<count {
            engines.append(try FakeEngine(socket: directory.socketPath, rank: rank, nranks: nranks, behaviour: behaviour,
                                          mpi: rank < mpi.count ? mpi[rank] : nil, jobID: engineJobID))
        }
        try waitFor { (try self.client.status()?.ranksConnected.count ?? 0) == count }
    }

    var client: CoordinatorClient { CoordinatorClient(directory: directory) }

    deinit {
        for engine in engines { engine.close() }
        coordinator.stop()
    }
}

/// Polls `condition` for up to `seconds`.
func waitFor(_ seconds: Double = 5, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(10_000)
    }
    XCTFail("condition not met within \(seconds) s")
}

/// Writes a complete generation by hand (images and manifest), as a coordinator would have.
/// Images of at least one page are real image files (header only: no regions, zero data)
/// of `jobID`; smaller ones are stand-ins that are no image at all.
@discardableResult
func makeGeneration(_ number: Int, in directory: CheckpointDirectory, ranks: Int = 2, flavour: String = "openmpi",
                    manifest: Bool = true, manifestGeneration: Int? = nil, bytes: Int = 4096,
                    jobID: String? = nil, imageJobID: String? = nil, programABI: String = "",
                    parent: Int? = nil) throws -> String {
    let path = directory.generationPath(number)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    var images: [RankImage] = []
    for rank in 0..<ranks {
        let name = CheckpointDirectory.imageName(rank: rank)
        let contents = bytes >= ImageFile.headerSize
            ? fakeImage(rank: rank, nranks: ranks, generation: number, jobID: imageJobID ?? jobID ?? "", bytes: bytes,
                        adjust: { h in withUnsafeMutableBytes(of: &h.program_abi) { $0.copyBytes(from: Array(programABI.utf8)) } })
            : Data(count: bytes)
        FileManager.default.createFile(atPath: path + "/" + name, contents: contents)
        images.append(RankImage(rank: rank, image: name, bytes: bytes, host: "h", pid: 1, pauseMs: 1, writeMs: 1))
    }
    if manifest {
        try Manifest(generation: manifestGeneration ?? number, time: "2025-01-01T00:00:00Z", ranks: ranks,
                     flavour: flavour, transport: "btl=tcp,self", pauseMs: 1, writeMs: 1, seconds: 0.5,
                     images: images, jobId: jobID, parent: parent).write(into: path)
    }
    return path
}

/// A valid image of `bytes` bytes (at least one page) with no regions, built through the
/// C header's struct as the engine builds it.
func fakeImage(rank: Int, nranks: Int, generation: Int, jobID: String, bytes: Int,
               adjust: (inout ckpt_img_header) -> Void = { _ in },
               adjustMetadata: (inout [UInt8]) -> Void = { _ in }) -> Data {
    var header = ckpt_img_header()
    header.magic = CKPT_IMG_MAGIC
    header.version = CKPT_IMG_VERSION
    header.header_size = CKPT_IMG_HEADER_SIZE
    header.file_size = UInt64(bytes)
    header.rank = Int32(rank)
    header.nranks = Int32(nranks)
    header.generation = UInt64(generation)
    header.sigs_off = 2048
    header.strings_off = 2047
    header.strings_size = 1
    header.data_off = UInt64(CKPT_IMG_HEADER_SIZE)
    header.data_size = UInt64(bytes) - UInt64(CKPT_IMG_HEADER_SIZE)
    withUnsafeMutableBytes(of: &header.flavour) { $0.copyBytes(from: Array("openmpi".utf8)) }
    withUnsafeMutableBytes(of: &header.job_id) { $0.copyBytes(from: Array(jobID.utf8.prefix($0.count - 1))) }
    adjust(&header)
    var meta = [UInt8](repeating: 0, count: Int(CKPT_IMG_HEADER_SIZE))
    meta.withUnsafeMutableBytes { $0.storeBytes(of: header, as: ckpt_img_header.self) }
    adjustMetadata(&meta)
    let checksum = meta.withUnsafeBytes { ImageFile.hash(ImageFile.hashSeed, $0) }
    withUnsafeBytes(of: checksum) { value in
        let at = MemoryLayout<ckpt_img_header>.offset(of: \ckpt_img_header.meta_checksum)!
        meta.replaceSubrange(at..<at + 8, with: value)
    }
    return Data(meta) + Data(count: bytes - Int(CKPT_IMG_HEADER_SIZE))
}
