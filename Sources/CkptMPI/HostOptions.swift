import ArgumentParser
import Foundation

/// Where a job's ranks run (`run` and `restart`), and so whether the coordinator needs TCP.
struct HostOptions: ParsableArguments {
    @Option(name: .customLong("host"),
            help: ArgumentHelp("Run the ranks on these hosts, N ranks each (N defaults to 1); the same syntax for both MPIs. Repeat to add hosts.",
                               valueName: "H1:N1,H2:N2"))
    var hostLists: [String] = []

    @Option(name: .customLong("hostfile"),
            help: ArgumentHelp("Read the hosts from FILE: one a line, as HOST, HOST:N or HOST slots=N; # starts a comment.",
                               valueName: "file"))
    var hostfile: String?

    @Option(name: .customLong("coordinator-address"),
            help: ArgumentHelp("The IP address of this host that the job's hosts reach it on; the coordinator listens there on TCP (default with --host/--hostfile: the source address of the route to the first other host).",
                               valueName: "addr"))
    var coordinatorAddress: String?

    func validate() throws {
        if !hostLists.isEmpty && hostfile != nil {
            throw ValidationError("give the hosts with --host or with --hostfile, not both")
        }
        if let coordinatorAddress, IPAddress(coordinatorAddress) == nil {
            throw ValidationError("--coordinator-address must be an IPv4 or IPv6 address, not '\(coordinatorAddress)'")
        }
        if let coordinatorAddress, IPAddress(coordinatorAddress)?.isUnspecified == true {
            throw ValidationError("--coordinator-address \(coordinatorAddress) would listen on every interface; name the one the job's hosts use")
        }
    }

    /// Whether any option about hosts was given.
    var given: Bool { !hostLists.isEmpty || hostfile != nil || coordinatorAddress != nil }

    /// The host list to hand to the launcher, nil when none was given.
    func hosts() throws -> HostList? {
        if let hostfile { return try HostList.read(hostfile: hostfile) }
        guard !hostLists.isEmpty else { return nil }
        return HostList(entries: try hostLists.flatMap { try HostList(parsing: $0).entries })
    }

    /// The address the coordinator listens on TCP: `--coordinator-address`, else the route's
    /// source toward the first host that is not this one (of the given hosts, else of the batch
    /// allocation the launcher will use); nil for a single-host job (Unix socket only).
    func coordinatorListenAddress(hosts: HostList?, localNames: Set<String> = HostList.localNames(),
                                  allocation: @autoclosure () -> HostList? = HostOptions.batchAllocation(),
                                  route: (IPAddress) throws -> IPAddress = TCPSocket.routeSource(toward:)) throws -> IPAddress? {
        if let coordinatorAddress { return IPAddress(coordinatorAddress) }
        guard let remote = (hosts ?? allocation())?.firstRemote(localNames: localNames) else { return nil }
        var name = remote.name
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        let address = try TCPSocket.resolve(name)
        do {
            return try route(address)
        } catch {
            throw CLIFailure("cannot find this host's address toward \(remote.name) (\(address.text)) for the coordinator: \(error); give it with --coordinator-address")
        }
    }

    /// The nodes of a multi-node SLURM allocation, which both MPIs' launchers use when no hosts are
    /// given (so ranks on the other nodes need the coordinator on TCP); nil outside one or on one node.
    static func batchAllocation(environment: [String: String] = ProcessInfo.processInfo.environment,
                                expand: (String) -> [String]? = slurmHostnames) -> HostList? {
        guard let nodes = Int(environment["SLURM_JOB_NUM_NODES"] ?? environment["SLURM_NNODES"] ?? ""), nodes > 1,
              let list = environment["SLURM_JOB_NODELIST"] ?? environment["SLURM_NODELIST"],
              let names = expand(list), !names.isEmpty else { return nil }
        return HostList(entries: names.map { HostList.Entry(name: $0, slots: nil) })
    }

    /// `scontrol show hostnames LIST`: SLURM's own expansion of a compressed node list (n[1-4,7]).
    static func slurmHostnames(_ list: String) -> [String]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["scontrol", "show", "hostnames", list]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
    }

    /// Launcher options the user also passed with `--mpirun-arg`/`--`: the hosts must be given once.
    static let launcherHostOptions: Set<String> = ["--host", "-host", "-H", "--hostfile", "-hostfile",
                                                    "--machinefile", "-machinefile", "-hosts", "-f"]

    /// Refuses host options passed to the launcher directly beside ours.
    func checkNotAlsoIn(_ launcherArguments: [String]) throws {
        guard !hostLists.isEmpty || hostfile != nil,
              let clash = launcherArguments.first(where: { Self.launcherHostOptions.contains($0) }) else { return }
        throw CLIFailure("the hosts are given twice: by ckpt-mpi's --host/--hostfile and by the launcher option \(clash); keep one",
                         exitStatus: ExitStatus.usage)
    }
}

extension IPAddress {
    /// 0.0.0.0 or :: (every interface).
    var isUnspecified: Bool { text == "0.0.0.0" || text == "::" }
}
