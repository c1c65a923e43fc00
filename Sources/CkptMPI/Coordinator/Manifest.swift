import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `gen-NNNNNN/MANIFEST.json`: written last, its presence makes a generation valid.
struct Manifest: Codable, Equatable {
    /// Bumped when a reader could misunderstand a newer manifest.
    static let currentFormat = 1

    var format: Int = Manifest.currentFormat
    let generation: Int
    /// When the checkpoint committed (ISO 8601 UTC).
    let time: String
    /// Number of ranks, equal to `images.count`.
    let ranks: Int
    /// The MPI the job ran on: openmpi, mpich, or none (--no-mpi).
    let flavour: String
    /// The transport it ran over, as far as the environment tells (see `Transport`).
    let transport: String
    /// The longest application pause of any rank.
    let pauseMs: Int
    /// The longest image write of any rank.
    let writeMs: Int
    /// From CHECKPOINT until every MPI rank had drained; absent without MPI and in older manifests.
    var quiesceMs: Double? = nil
    /// From CHECKPOINT sent to manifest durable.
    let seconds: Double
    let images: [RankImage]
    /// The job that wrote it (`JobIdentity`); every image header carries the same. Absent in
    /// manifests written before job ids.
    var jobId: String? = nil
    /// The generation its incremental images are deltas of (`--incremental`); nil: full images.
    var parent: Int? = nil

    /// The MPIs a manifest may name: restart picks its lower half by this.
    static let flavours = ["openmpi", "mpich", "none"]

    /// Total bytes of all images.
    var bytes: Int { images.reduce(0) { $0 + $1.bytes } }

    /// Why the generation in `directory` cannot be restored from, nil if it is consistent:
    /// every rank 0..<ranks has exactly one image, and each file exists with its recorded size
    /// and says in its header that it is this generation's image of that rank and of this
    /// manifest's job (so images of two generations or two jobs mixed in one directory are
    /// refused before anything starts). With `imagesMustBeIntact` a file that is no intact
    /// image header is a problem too (restart, list); without, it is left to the lower half,
    /// which rejects it as it reads (the coordinator's commit, whose tests use stand-ins).
    func inconsistency(in directory: String, imagesMustBeIntact: Bool = false) -> String? {
        guard format <= Self.currentFormat else { return "manifest format \(format) is newer than this ckpt-mpi understands" }
        guard images.count == ranks, Set(images.map(\.rank)) == Set(0..<ranks) else {
            return "manifest of generation \(generation) lists ranks \(images.map(\.rank).sorted()) for \(ranks) ranks"
        }
        for image in images {
            guard image.image == CheckpointDirectory.imageName(rank: image.rank) else {
                return "manifest names \(image.image) for rank \(image.rank)"
            }
            let file = directory + "/" + image.image
            var info = stat()
            guard stat(file, &info) == 0 else { return "\(file): \(String(cString: strerror(errno)))" }
            guard Int(info.st_size) == image.bytes else {
                return "\(file) has \(info.st_size) bytes, the manifest says \(image.bytes)"
            }
            let header: ImageFile.Header
            do {
                header = try ImageFile(path: file).header
            } catch {
                if imagesMustBeIntact { return "\(error)" }
                continue
            }
            if header.generation != UInt64(generation) || header.rank != Int32(image.rank) {
                return "\(file) is the image of rank \(header.rank) of generation \(header.generation), "
                    + "not of rank \(image.rank) of generation \(generation): images of different checkpoints are mixed"
            }
            if let jobId, header.jobId != jobId {
                return "\(file) is an image of "
                    + (header.jobId.isEmpty ? "an unknown job" : "another job (\(header.jobId))")
                    + ", not of job \(jobId) of this manifest: images of different runs are mixed"
            }
        }
        return nil
    }

    /// Writes the manifest into `generationDirectory` durably (tmp, fsync, rename, fsync dir).
    func write(into generationDirectory: String) throws {
        try DurableFile.write(try CheckpointJSON.encode(self, pretty: true),
                              to: generationDirectory + "/" + CheckpointDirectory.manifestName)
    }

    /// Reads and checks the fields a restart acts on, with a one-line error naming the file.
    static func read(from generationDirectory: String) throws -> Manifest {
        let path = generationDirectory + "/" + CheckpointDirectory.manifestName
        let manifest = try CheckpointJSON.read(Manifest.self, from: path)
        guard flavours.contains(manifest.flavour) else {
            throw CLIFailure("\(path) is damaged: flavour '\(manifest.flavour)' is not one of \(flavours.joined(separator: ", "))")
        }
        guard manifest.generation >= 1, manifest.ranks >= 1 else {
            throw CLIFailure("\(path) is damaged: generation \(manifest.generation) with \(manifest.ranks) ranks")
        }
        if let jobId = manifest.jobId, !JobIdentity.isWellFormed(jobId) {
            throw CLIFailure("\(path) is damaged: job_id '\(jobId.prefix(40))' is not 32 hex digits")
        }
        return manifest
    }
}

/// One rank's image in a manifest.
struct RankImage: Codable, Equatable {
    let rank: Int
    /// File name inside the generation directory, `rank-RRRR.img`.
    let image: String
    let bytes: Int
    let host: String
    let pid: Int
    let pauseMs: Int
    let writeMs: Int
}
