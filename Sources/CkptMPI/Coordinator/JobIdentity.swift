/// The identity of one job: made by `run`, kept by `restart` (a restarted job is the same
/// job), written into job.json, every manifest and every image header, so an image of
/// another run of the same program is refused before it can hang the restarted job.
enum JobIdentity {
    /// How the launch plan hands the id to the engine of every rank.
    static let environmentVariable = "CKPT_MPI_JOB_ID"

    /// A new id: 128 random bits as 32 lower-case hex digits (the image header holds 39 bytes).
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ -> String in
            let digits = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    /// Whether `id` looks like one `make` returns (a longer or odd one would not fit the header).
    static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
