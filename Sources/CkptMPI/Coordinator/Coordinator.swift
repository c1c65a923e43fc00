import CkptHMAC
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The checkpoint coordinator of one job (docs/checkpoint-protocol.md).
///
/// One thread runs a poll loop over the listening socket, every engine and client
/// connection and a wake-up pipe; all protocol state lives on that thread, so it
/// needs no locks. Other threads (the job supervisor's signal loop, tests) only
/// queue requests and wake it. A checkpoint is a small state machine: CHECKPOINT
/// to every rank; for MPI ranks the cut, drain counts and drain (`Quiescence`) and
/// WRITE; then WRITTEN from all of them (commit: manifest, prune) or the first
/// FAILED, disconnect, timeout or malformed line (abandon: ABORT to the ranks, the
/// generation directory goes).
final class Coordinator: @unchecked Sendable {
    let configuration: CoordinatorConfiguration
    /// Called on the coordinator thread once a checkpoint that asked for it is durable,
    /// with its generation; the job supervisor terminates the job there.
    var onStopJob: (@Sendable (Int) -> Void)?

    private let lock = NSLock()
    private var queued: [Bool] = []  // kill flags of requests from other threads
    private var stopRequested = false
    private var listener: Int32 = -1
    /// The TCP listener for ranks on other hosts (`configuration.tcp`), -1 for none.
    private var tcpListener: Int32 = -1
    /// `tcp:ADDR:PORT` for CKPT_MPI_COORD once `open` listens on TCP; nil for a single-host job.
    private(set) var tcpEndpoint: String?
    private var directoryLock: CoordinatorLock?
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    // Loop-thread state.
    private var peers: [Int32: Peer] = [:]
    private var engines: [Int: Int32] = [:]
    private var checkpoint: CheckpointInProgress?
    private var lastUsedGeneration = 0
    private var nextPeriodicCheckpoint: Date?
    private var lastReport: CheckpointReport?
    /// A flood of unauthenticated connections was noted; quiet until one is accepted again.
    private var floodNoted = false
    /// Requests (waiter, kill) to start once the checkpoint in progress is over.
    private var followUps: [(Int32?, Bool)] = []

    init(configuration: CoordinatorConfiguration) {
        self.configuration = configuration
    }

    deinit { closeDescriptors() }

    /// Creates the directory, takes its lock (refused while another coordinator holds it, or
    /// while processes of an earlier job on it are still alive after a few seconds), clears
    /// what a dead coordinator left (its socket, a generation it was writing), takes the
    /// socket and writes `job.json`; ranks may connect from now on. `lock`: the directory's
    /// lock, when the caller took it earlier.
    func open(holding lock: CoordinatorLock? = nil) throws {
        let directory = configuration.directory
        guard !directory.path.contains("\n") else { throw CLIFailure("the checkpoint directory name must not contain a newline") }
        try directory.create()
        directoryLock = try lock ?? CoordinatorLock.acquire(in: directory)
        do {
            // A coordinator killed with its job leaves ranks that take a moment to die; a
            // second job beside them would share their files and directory.
            try JobProcesses(directory: directory).waitUntilGone(timeout: configuration.survivorTimeout)
            try clearLeftovers()
            listener = try UnixSocket.listen(directory.socketPath)
            if let tcp = configuration.tcp {
                let (fd, port) = try TCPSocket.listen(on: tcp.address)
                tcpListener = fd
                Self.makeNonBlockingAndCloseOnExec(fd)
                tcpEndpoint = tcp.endpoint(port: port)
                debug("listening on \(tcpEndpoint!) for ranks on other hosts")
            }
            var pipeFDs: [Int32] = [0, 0]
            // pipe2 and accept4 are not visible from Swift's Glibc; fcntl does the same.
            guard pipe(&pipeFDs) == 0 else { throw SystemCallError("pipe") }
            (wakeRead, wakeWrite) = (pipeFDs[0], pipeFDs[1])
            for fd in [wakeRead, wakeWrite, listener] { Self.makeNonBlockingAndCloseOnExec(fd) }
            var job = configuration.job
            job.checkpointTimeout = configuration.rankTimeout
            try job.write(to: directory)
        } catch {
            closeDescriptors()
            throw error
        }
    }

    /// With the lock held nobody else writes in D: a socket there belongs to a dead
    /// coordinator, and so does every generation without a manifest (it died while
    /// writing it). Their numbers stay used, so generation numbers never go back.
    private func clearLeftovers() throws {
        let directory = configuration.directory
        var info = stat()
        if lstat(directory.socketPath, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK {
            guard unlink(directory.socketPath) == 0 || errno == ENOENT else {
                throw SystemCallError("unlink", directory.socketPath)
            }
            debug("replaced the stale \(CheckpointDirectory.socketName) of a coordinator that died")
        }
        let incomplete = try directory.generations().filter { !$0.hasManifest }
        var removed: [String] = []
        for entry in incomplete {
            lastUsedGeneration = max(lastUsedGeneration, entry.number)
            do {
                try CheckpointDirectory.removeGeneration(at: entry.path)
                removed.append(CheckpointDirectory.generationName(entry.number))
            } catch {
                note("could not remove the incomplete \(CheckpointDirectory.generationName(entry.number)): \(error)")
            }
        }
        guard !removed.isEmpty else { return }
        try DurableFile.syncDirectory(directory.path)
        note("removed \(removed.joined(separator: ", ")) in \(directory.path): left incomplete by a coordinator that died during a checkpoint")
    }

    /// Starts the loop thread. Call after the caller has blocked the signals it waits
    /// for: the thread inherits the mask, and must not take SIGCHLD from the supervisor.
    func start() {
        running = true
        if let interval = configuration.interval { nextPeriodicCheckpoint = Date().addingTimeInterval(interval) }
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "ckpt-mpi coordinator"
        thread.start()
    }

    /// Stops the loop (abandoning a checkpoint in progress), closes every connection and removes the socket.
    func stop() {
        lock.withLock { stopRequested = true }
        wake()
        if running {
            finished.wait()
            running = false
        }
        closeDescriptors()
    }

    /// Asks for a checkpoint from any thread (signal, timer); the result goes to stderr.
    func requestCheckpoint(kill: Bool = false) {
        lock.withLock { queued.append(kill) }
        wake()
    }

    /// The job is spawned while the coordinator runs; none of its descriptors may leak into it.
    private static func makeNonBlockingAndCloseOnExec(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    private func wake() {
        guard wakeWrite >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // EAGAIN: a wake-up is already pending, which is enough
    }

    private func closeDescriptors() {
        if listener >= 0 {
            close(listener)
            unlink(configuration.directory.socketPath)
            listener = -1
        }
        if tcpListener >= 0 {
            close(tcpListener)
            tcpListener = -1
        }
        for fd in [wakeRead, wakeWrite] where fd >= 0 { close(fd) }
        (wakeRead, wakeWrite) = (-1, -1)
        // Last: once the lock is free, the next coordinator may take D.
        directoryLock?.release()
        directoryLock = nil
    }

    // MARK: - The loop

    private func loop() {
        while true {
            let (stop, requests) = lock.withLock { () -> (Bool, [Bool]) in
                defer { queued.removeAll() }
                return (stopRequested, queued)
            }
            if stop { break }
            for kill in requests { beginCheckpoint(waiter: nil, kill: kill) }

            // A negative fd (no TCP listener) is ignored by poll.
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: tcpListener, events: Int16(POLLIN), revents: 0)]
            fds += peers.keys.sorted().map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), pollTimeout())
            if ready < 0 && errno != EINTR {
                note("coordinator: \(SystemCallError("poll")); checkpointing stops")
                break
            }
            if fds[1].revents != 0 {
                var sink = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &sink, sink.count) > 0 {}
            }
            if fds[0].revents & Int16(POLLIN) != 0 { acceptPeers(on: listener) }
            if fds[2].revents & Int16(POLLIN) != 0 { acceptPeers(on: tcpListener) }
            for entry in fds.dropFirst(3) where entry.revents != 0 { service(entry.fd) }
            checkTimers()
        }
        if let checkpoint { abandon(checkpoint, because: "the job ended during the checkpoint") }
        for fd in peers.keys { close(fd) }
        peers.removeAll()
        engines.removeAll()
    }

    /// Milliseconds until the next deadline (rank timeout, stalled cut or periodic checkpoint), -1 for none.
    private func pollTimeout() -> Int32 {
        let deadlines = [checkpoint?.deadline, checkpoint?.quiescence?.stallDeadline,
                         checkpoint == nil ? nextPeriodicCheckpoint : nil,
                         peers.values.compactMap(\.challenge).map(\.deadline).min()].compactMap { $0 }
        guard let first = deadlines.min() else { return -1 }
        return Int32(max(0, min(first.timeIntervalSinceNow * 1000 + 1, 3_600_000)))
    }

    private func checkTimers() {
        let now = Date()
        for peer in peers.values.sorted(by: { $0.fd < $1.fd }) {
            if let challenge = peer.challenge, now >= challenge.deadline {
                refuseConnection(peer, because: "it did not authenticate within \(Int(Self.authenticationTimeout)) s")
            }
        }
        if let checkpoint, let action = checkpoint.quiescence?.checkStall(at: now) { perform(action, for: checkpoint) }
        if let checkpoint, now >= checkpoint.deadline {
            let late = checkpoint.awaited.map { "rank \($0)" }.joined(separator: ", ")
            abandon(checkpoint, because: (late.isEmpty ? "the collective cut was not reached" : "\(late) did not answer")
                        + " within \(String(format: "%g", configuration.rankTimeout)) s")
        }
        if checkpoint == nil, let due = nextPeriodicCheckpoint, now >= due {
            nextPeriodicCheckpoint = nil
            beginCheckpoint(waiter: nil, kill: false)
            if checkpoint == nil { schedulePeriodic() }  // it failed at once (ranks missing)
        }
    }

    private func schedulePeriodic() {
        if let interval = configuration.interval { nextPeriodicCheckpoint = Date().addingTimeInterval(interval) }
    }

    /// Seconds a TCP connection has to answer the challenge.
    static let authenticationTimeout: Double = 10
    /// Longest line accepted before authentication: AUTH is short, and nobody unknown may make us buffer much.
    static let maximumUnauthenticatedLine = 512
    /// TCP connections that may wait for their AUTH at once; beyond, new ones are closed at once,
    /// so a flood from the network cannot take every descriptor the ranks need.
    static let maximumUnauthenticated = 64

    private func acceptPeers(on socket: Int32) {
        while true {
            let fd = accept(socket, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: all accepted; other errors (EMFILE) are retried on the next wake-up
            }
            Self.makeNonBlockingAndCloseOnExec(fd)
            if socket == tcpListener, peers.values.filter({ $0.challenge != nil }).count >= Self.maximumUnauthenticated {
                if !floodNoted {
                    note("refused a connection to the coordinator from \(TCPSocket.peerName(fd)): "
                         + "\(Self.maximumUnauthenticated) connections are already waiting to authenticate "
                         + "(further ones are closed without a line until some end)")
                    floodNoted = true
                }
                close(fd)
                continue
            }
            if socket == tcpListener {
                floodNoted = false
                // The cut sends several small lines to a rank in a row; Nagle would hold each back for an ACK.
                var one: Int32 = 1
                _ = setsockopt(fd, Int32(IPPROTO_TCP), Int32(TCP_NODELAY), &one, socklen_t(MemoryLayout<Int32>.size))
            }
            let peer = Peer(fd: fd)
            peers[fd] = peer
            if socket == tcpListener, let tcp = configuration.tcp {
                // The Unix socket's 0600 mode is its access control; over TCP anyone on the
                // network can connect, so every connection first proves it knows the secret.
                let nonce = JobSecret.randomBytes(Int(CKPT_NONCE_SIZE))
                peer.role = .challenged(Challenge(nonce: nonce, secret: tcp.secret, from: TCPSocket.peerName(fd),
                                                  deadline: Date().addingTimeInterval(Self.authenticationTimeout)))
                reply(fd, ProtocolLine("CHALLENGE", [("nonce", JobSecret.encode(nonce))]))
            }
        }
    }

    /// The answer to CHALLENGE: `AUTH mac=<HMAC-SHA256(secret, nonce) in hex>`; anything else refuses the connection.
    private func authenticate(_ line: ProtocolLine?, text: String, from peer: Peer, challenge: Challenge) {
        guard let line, line.verb == "AUTH" else {
            let verb = line?.verb ?? String(text.prefix(20))
            return refuseConnection(peer, because: "it sent '\(verb.prefix(20))' instead of AUTH")
        }
        guard let mac = line["mac"].flatMap(JobSecret.decode), challenge.secret.verifies(mac, for: challenge.nonce) else {
            return refuseConnection(peer, because: "wrong HMAC (it does not know this job's secret)")
        }
        peer.role = .undecided
    }

    /// Closes a TCP connection that failed the handshake, with one line on the run's stderr.
    private func refuseConnection(_ peer: Peer, because reason: String) {
        guard let challenge = peer.challenge else { return }
        note("refused a connection to the coordinator from \(challenge.from): \(reason)")
        reply(peer.fd, ProtocolLine("ERROR", text: "authentication failed"))
        drop(peer, reason: reason)
    }

    /// Reads what `fd` has sent and handles every complete line; drops it at end of stream.
    private func service(_ fd: Int32) {
        guard let peer = peers[fd] else { return }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n > 0 {
                peer.buffer += chunk[..<n]
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { break }
            // End of stream or a reset connection: handle what arrived, then forget the peer.
            let error = n == 0 ? "disconnected" : SystemCallError("read").description
            handleLines(of: peer)
            if peers[fd] === peer, peer.challenge != nil {
                return refuseConnection(peer, because: n == 0 ? "it closed the connection before authenticating"
                                                      : "the connection ended (\(error)) before it authenticated")
            }
            drop(peer, reason: error)
            return
        }
        handleLines(of: peer)
        if peers[fd] === peer, peer.challenge != nil, peer.buffer.count > Self.maximumUnauthenticatedLine {
            return refuseConnection(peer, because: "it sent more than \(Self.maximumUnauthenticatedLine) bytes without authenticating")
        }
        if peer.buffer.count > ProtocolLine.maximumLength {
            drop(peer, reason: "sent a line longer than \(ProtocolLine.maximumLength >> 20) MiB")
        }
    }

    private func handleLines(of peer: Peer) {
        while let newline = peer.buffer.firstIndex(of: 0x0a), peers[peer.fd] === peer {
            let text = String(decoding: peer.buffer[..<newline], as: UTF8.self)
            peer.buffer.removeSubrange(...newline)
            handle(ProtocolLine.parse(text), text: text, from: peer)
        }
    }

    private func handle(_ line: ProtocolLine?, text: String, from peer: Peer) {
        if let challenge = peer.challenge { return authenticate(line, text: text, from: peer, challenge: challenge) }
        guard let line else {
            reply(peer.fd, ProtocolLine("ERROR", text: "cannot parse '\(text.prefix(80))'"))
            return
        }
        switch (line.verb, peer.role) {
        case ("HELLO", .undecided):
            register(EngineHello(line), peer: peer)
        case ("WRITTEN", .engine(let hello)), ("COPIED", .engine(let hello)), ("FAILED", .engine(let hello)):
            guard let answer = EngineReply(line) else {
                note("rank \(hello.rank) sent a malformed '\(text.prefix(80))'")
                return
            }
            received(answer, from: hello)
        case (let verb, .engine(let hello)) where CutMessage.engineVerbs.contains(verb):
            guard let checkpoint, checkpoint.quiescence != nil else { return }
            perform(checkpoint.quiescence!.receive(line, from: hello.rank, at: Date()), for: checkpoint)
        case ("REQUEST", .undecided), ("REQUEST", .client):
            peer.role = .client
            beginCheckpoint(waiter: peer.fd, kill: line["kill"] == "1")
        case ("STATUS", .undecided), ("STATUS", .client):
            peer.role = .client
            send(peer.fd, CheckpointJSON.string(status()) + "\n")
        default:
            reply(peer.fd, ProtocolLine("ERROR", text: "unexpected '\(line.verb)'"))
        }
    }

    private func register(_ hello: EngineHello?, peer: Peer) {
        guard let hello else {
            reply(peer.fd, ProtocolLine("ERROR", text: "malformed HELLO"))
            drop(peer, reason: "malformed HELLO")
            return
        }
        let problem: String?
        if hello.nranks != configuration.ranks || hello.rank >= configuration.ranks {
            problem = "rank \(hello.rank) of \(hello.nranks) does not belong to this job of \(configuration.ranks) ranks"
        } else if let other = engines[hello.rank], peers[other] != nil {
            problem = "rank \(hello.rank) is already connected"
        } else {
            problem = nil
        }
        if let problem {
            note("refused an engine (pid \(hello.pid) on \(hello.host)): \(problem)")
            reply(peer.fd, ProtocolLine("ERROR", text: problem))
            drop(peer, reason: problem)
            return
        }
        peer.role = .engine(hello)
        engines[hello.rank] = peer.fd
    }

    private func drop(_ peer: Peer, reason: String) {
        guard peers.removeValue(forKey: peer.fd) != nil else { return }
        close(peer.fd)
        switch peer.role {
        case .engine(let hello):
            if engines[hello.rank] == peer.fd { engines[hello.rank] = nil }
            if let checkpoint, checkpoint.pending.contains(hello.rank) {
                abandon(checkpoint, because: "rank \(hello.rank) (pid \(hello.pid) on \(hello.host)) \(reason) during the checkpoint")
            }
        case .client:
            checkpoint?.waiters.removeAll { $0 == peer.fd }
            followUps = followUps.map { $0.0 == peer.fd ? (nil, $0.1) : $0 }
        case .undecided, .challenged:
            break
        }
    }

    /// Sends one protocol line to a peer.
    private func reply(_ fd: Int32, _ line: ProtocolLine) { send(fd, line.encoded) }

    /// Sends text to a peer; a peer that cannot take it is dropped.
    private func send(_ fd: Int32, _ text: String) {
        do {
            try UnixSocket.send(fd, text)
        } catch {
            if let peer = peers[fd] { drop(peer, reason: "\(error)") }
        }
    }

    // MARK: - Checkpoints

    private func beginCheckpoint(waiter: Int32?, kill: Bool) {
        if let checkpoint {
            // One at a time; a second request gets the result of the one in progress,
            // unless it asks to stop the job and that one does not: its ranks will run
            // on after their images, so the stop needs a checkpoint of its own next.
            if kill && !checkpoint.stops {
                followUps.append((waiter, kill))
            } else if let waiter {
                checkpoint.waiters.append(waiter)
            }
            return
        }
        let directory = configuration.directory
        let number: Int
        do {
            number = try directory.nextGenerationNumber(atLeastAbove: lastUsedGeneration)
        } catch {
            return refuse(waiter, generation: lastUsedGeneration + 1, "\(error)")
        }
        guard engines.count == configuration.ranks else {
            return refuse(waiter, generation: number,
                          "only \(engines.count) of \(configuration.ranks) ranks are connected to the coordinator"
                            + (engines.isEmpty ? " (is the checkpoint engine loaded?)" : ""))
        }
        // A cut needs a report from every rank, so MPI and MPI-less engines cannot be mixed.
        let withoutMPI = engines.filter { peers[$0.value]?.hello?.flavour == "none" }.keys.sorted()
        guard withoutMPI.isEmpty || withoutMPI.count == engines.count else {
            return refuse(waiter, generation: number, "ranks \(CutWire.text(withoutMPI)) run without MPI "
                            + "(flavour none) and the others with it; no consistent cut is possible")
        }
        let created: Int
        do {
            created = try directory.createGeneration(atLeastAbove: lastUsedGeneration)
        } catch {
            return refuse(waiter, generation: number, "\(error)")
        }
        lastUsedGeneration = created
        let path = directory.generationPath(created)
        let started = CheckpointInProgress(generation: created, path: path,
                                           deadline: Date().addingTimeInterval(configuration.rankTimeout),
                                           pending: Set(engines.keys),
                                           stops: kill || configuration.killAfterCheckpoint)
        if let waiter { started.waiters.append(waiter) }
        checkpoint = started
        do {
            try DurableFile.syncDirectory(directory.path)
        } catch {
            return abandon(started, because: "\(error)")
        }
        if withoutMPI.isEmpty {
            started.quiescence = Quiescence(generation: created, nranks: configuration.ranks, started: Date())
        }
        // stop=1: a rank that has written its image waits for STOP or ABORT instead of
        // resuming, so nothing of the application runs after the image of a stopped job.
        // local=: the rank writes there, resumes, and copies into dir in the background (COPIED).
        let local = configuration.localDirectory.map {
            [("local", "\($0)/\(configuration.job.jobId ?? "job")/\(CheckpointDirectory.generationName(created))")]
        } ?? []
        let request = ProtocolLine("CHECKPOINT", [("gen", "\(created)")] + (started.stops ? [("stop", "1")] : [])
                                                 + incrementalOffer() + local + [("dir", path)])
        for (rank, fd) in engines.sorted(by: { $0.key < $1.key }) {
            do {
                try UnixSocket.send(fd, request.encoded)
            } catch {
                return abandon(started, because: "rank \(rank): \(error)")
            }
        }
    }

    /// `--incremental`: track written pages, and the newest complete generation as the parent
    /// the images may be deltas of, unless its chain is --full-every long already.
    private func incrementalOffer() -> [(String, String)] {
        guard let fullEvery = configuration.fullEvery else { return [] }
        let directory = configuration.directory
        guard let newest = try? directory.newestValidGeneration(),
              directory.chainDepth(of: newest.number) + 1 < fullEvery else { return [("incremental", "1")] }
        return [("incremental", "1"), ("parent", "\(newest.number)")]
    }

    /// Answers a request that could not even start a generation. The run's stderr always
    /// gets the line too: it is the job's record, and the client may not be a human watching.
    private func refuse(_ waiter: Int32?, generation: Int, _ error: String) {
        let report = CheckpointReport(generation: generation, ranks: configuration.ranks, bytes: 0, seconds: 0, error: error)
        lastReport = report
        note(report.line.text)
        if let waiter { reply(waiter, report.line) }
    }

    private func received(_ answer: EngineReply, from hello: EngineHello) {
        guard let checkpoint else { return }
        switch answer {
        case let .written(generation, bytes, pause, write):
            guard generation == checkpoint.generation else { return }
            if let phase = checkpoint.quiescence?.phase, phase != .quiescent {
                return abandon(checkpoint, because: "rank \(hello.rank) sent WRITTEN out of turn (\(phase.doing))")
            }
            guard checkpoint.pending.contains(hello.rank), checkpoint.written[hello.rank] == nil else { return }
            checkpoint.written[hello.rank] = RankImage(
                rank: hello.rank, image: CheckpointDirectory.imageName(rank: hello.rank), bytes: bytes,
                host: hello.host, pid: hello.pid, pauseMs: pause, writeMs: write)
            // With --local-dir the image is only on the rank's node yet: COPIED completes it.
            if configuration.localDirectory == nil { completed(hello.rank, of: checkpoint) }
        case let .copied(generation, _):
            guard generation == checkpoint.generation, configuration.localDirectory != nil,
                  checkpoint.written[hello.rank] != nil else { return }
            completed(hello.rank, of: checkpoint)
        case let .failed(generation, error):
            guard generation == checkpoint.generation else { return }
            abandon(checkpoint, because: "rank \(hello.rank): \(error)")
        }
    }

    private func completed(_ rank: Int, of checkpoint: CheckpointInProgress) {
        guard checkpoint.pending.remove(rank) != nil else { return }
        if checkpoint.pending.isEmpty { commit(checkpoint) }
    }

    /// Carries out what the quiescence asked for; a send that fails abandons the generation (see `drop`).
    private func perform(_ action: Quiescence.Action, for checkpoint: CheckpointInProgress) {
        switch action {
        case .wait:
            break
        case .fail(let error):
            abandon(checkpoint, because: error)
        case let .send(lines, decision):
            debug("gen \(checkpoint.generation): \(decision)")
            for (rank, line) in lines.enumerated() where self.checkpoint === checkpoint {
                guard let fd = engines[rank] else { return abandon(checkpoint, because: "rank \(rank) is not connected") }
                reply(fd, line)
            }
        }
    }

    /// All ranks wrote: check the images, make the manifest durable, prune, answer, maybe stop the job.
    private func commit(_ checkpoint: CheckpointInProgress) {
        let images = checkpoint.written.values.sorted { $0.rank < $1.rank }
        let seconds = Date().timeIntervalSince(checkpoint.started)
        let quiesceMs = checkpoint.quiescence?.quiesceMilliseconds.map { ($0 * 1000).rounded() / 1000 }
        var manifest = Manifest(
            generation: checkpoint.generation, time: CheckpointJSON.timestamp(), ranks: configuration.ranks,
            flavour: configuration.job.mpi, transport: configuration.transport,
            pauseMs: images.map(\.pauseMs).max() ?? 0, writeMs: images.map(\.writeMs).max() ?? 0,
            quiesceMs: quiesceMs, seconds: (seconds * 1000).rounded() / 1000, images: images,
            jobId: configuration.job.jobId)
        if let problem = manifest.inconsistency(in: checkpoint.path) {
            return abandon(checkpoint, because: problem)
        }
        manifest.parent = CheckpointDirectory.parentOfImages(in: checkpoint.path, ranks: configuration.ranks)
        do {
            // The engines renamed their images into place; make those renames durable first.
            try DurableFile.syncDirectory(checkpoint.path)
            try manifest.write(into: checkpoint.path)
        } catch {
            return abandon(checkpoint, because: "writing the manifest: \(error)")
        }
        self.checkpoint = nil
        do {
            try configuration.directory.prune(keep: configuration.keep, committed: checkpoint.generation)
        } catch {
            note("checkpoint gen \(checkpoint.generation) is complete, but removing old generations failed: \(error)")
        }
        let report = CheckpointReport(generation: checkpoint.generation, ranks: images.count, bytes: manifest.bytes,
                                      seconds: seconds, quiesceMs: quiesceMs, error: nil)
        if checkpoint.stops {
            // Before STOP: a rank may exit at once, and the supervisor that reaps the job must
            // already know it was stopped as asked (exit 75), not that it ended by itself (0).
            onStopJob?(checkpoint.generation)
            let stop = ProtocolLine("STOP", [("gen", "\(checkpoint.generation)")])
            for fd in engines.sorted(by: { $0.key < $1.key }).map(\.value) { reply(fd, stop) }
        }
        finish(checkpoint, with: report)
    }

    /// Gives up a generation: the ranks are told to resume without writing, its directory
    /// goes entirely; earlier generations are untouched.
    private func abandon(_ checkpoint: CheckpointInProgress, because error: String) {
        guard self.checkpoint === checkpoint else { return }
        self.checkpoint = nil
        debug("gen \(checkpoint.generation): abort: \(error)")
        let abort = CutMessage.abort(generation: checkpoint.generation).line
        for fd in engines.sorted(by: { $0.key < $1.key }).map(\.value) { reply(fd, abort) }
        do {
            try CheckpointDirectory.removeGeneration(at: checkpoint.path)
        } catch {
            note("could not remove the failed generation \(checkpoint.path): \(error)")
        }
        let report = CheckpointReport(generation: checkpoint.generation, ranks: configuration.ranks, bytes: 0,
                                      seconds: Date().timeIntervalSince(checkpoint.started), error: error)
        finish(checkpoint, with: report)
    }

    private func finish(_ checkpoint: CheckpointInProgress, with report: CheckpointReport) {
        lastReport = report
        for waiter in checkpoint.waiters { reply(waiter, report.line) }
        note(report.error == nil ? report.summary : report.line.text)
        schedulePeriodic()
        if checkpoint.stops && report.error == nil {
            // The job is stopping: requests that waited for a checkpoint of their own get this one.
            for (waiter, _) in followUps { if let waiter { reply(waiter, report.line) } }
            followUps.removeAll()
        }
        let next = followUps
        followUps.removeAll()
        for (waiter, kill) in next { beginCheckpoint(waiter: waiter, kill: kill) }
    }

    private func status() -> CoordinatorStatus {
        CoordinatorStatus(
            state: checkpoint == nil ? "idle" : "checkpointing", directory: configuration.directory.path,
            job: configuration.job, ranksExpected: configuration.ranks,
            ranksConnected: engines.keys.sorted().compactMap { peers[engines[$0]!]?.hello },
            inProgress: checkpoint?.generation, lastCheckpoint: lastReport,
            generations: (try? GenerationSummary.all(in: configuration.directory)) ?? [])
    }

    private func note(_ message: String) {
        if configuration.reportsOnStderr { Log.note(message) }
        configuration.noteObserver?(message)
    }

    /// The coordinator's decisions, with `--verbose` or CKPT_MPI_DEBUG=1.
    private func debug(_ message: String) {
        if configuration.logsDecisions { Log.info("coordinator: " + message) }
    }
}

/// One connection to the coordinator, before and after it said who it is.
private final class Peer {
    enum Role {
        /// A TCP connection that has not answered its challenge yet.
        case challenged(Challenge)
        case undecided
        case engine(EngineHello)
        case client
    }

    let fd: Int32
    var role = Role.undecided
    var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    var hello: EngineHello? {
        if case .engine(let hello) = role { return hello }
        return nil
    }

    var challenge: Challenge? {
        if case .challenged(let challenge) = role { return challenge }
        return nil
    }
}

/// What a TCP connection must answer before it may say anything else.
private struct Challenge {
    let nonce: [UInt8]
    let secret: JobSecret
    /// `ADDR:PORT` of the other end, for the refusal's log line.
    let from: String
    let deadline: Date
}

/// The generation being written.
private final class CheckpointInProgress {
    let generation: Int
    let path: String
    let started = Date()
    let deadline: Date
    /// Ranks that have not written their image yet.
    var pending: Set<Int>
    /// The cut, drain counts and drain of MPI ranks; nil for ranks without MPI, which write at once.
    var quiescence: Quiescence?
    var written: [Int: RankImage] = [:]
    /// Client connections waiting for the outcome.
    var waiters: [Int32] = []
    /// Whether the job stops once the checkpoint is durable (the ranks were told `stop=1`).
    let stops: Bool

    init(generation: Int, path: String, deadline: Date, pending: Set<Int>, stops: Bool) {
        self.generation = generation
        self.path = path
        self.deadline = deadline
        self.pending = pending
        self.stops = stops
    }

    /// The ranks the current step still waits for.
    var awaited: [Int] {
        if let quiescence, quiescence.phase != .quiescent { return quiescence.awaited }
        return pending.sorted()
    }
}
