import ArgumentParser
import Foundation

/// `ckpt-mpi inspect`: decodes one checkpoint image for humans or scripts.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a checkpoint image: ranks, memory regions, MPI objects, files.",
        discussion: """
            With --verify, also read every stored page and check each region's checksum, that every file \
            mapped by reference still has its size and hash, and, for an image inside a checkpoint \
            directory, that it belongs to the job of that directory's job.json.
            """)

    @Argument(help: ArgumentHelp("The image file of one rank.", valueName: "image"))
    var image: String

    @Flag(help: "Print the whole image description as JSON.")
    var json = false

    @Flag(help: "Also read every stored page, check each region's checksum and each file mapped by reference.")
    var verify = false

    private struct Report: Encodable {
        let image: String
        let header: ImageFile.Header
        let threads: [ImageFile.Thread]
        let files: [ImageFile.FileDescriptor]
        let signals: [ImageFile.SignalAction]
        let regions: [ImageFile.Region]
        /// Files the image maps by reference (format 2).
        let mappedFiles: [ImageFile.MappedFile]
        /// The zstd frames of a compressed image (empty otherwise): data offset, bytes, file offset, stored bytes.
        let frames: [ImageData.Frame]
        /// Live MPI objects per kind; absent when the face library of this ckpt-mpi is not in the image.
        let objects: [String: Int]?
        /// The ABI the program was built for: the header's `program_abi`; for images written before
        /// it, "openmpi" when the Open MPI face is mapped, else the header's `face_abi`.
        let programAbi: String
    }

    func run() throws {
        var file = try ImageFile(path: image)
        if verify {
            try file.verify()
            file.verifyMappedFiles()
        }
        let face = try? Installation.current(environment: ProcessInfo.processInfo.environment).faceLibrary
        let objects = try face.flatMap { try ShadowObjects.count(in: file, faceLibrary: $0) }
        let programAbi = try file.header.programAbi.isEmpty ? Self.programABIOfOlderImage(file) : file.header.programAbi
        if json {
            let report = Report(image: image, header: file.header, threads: file.threads, files: file.fds,
                                signals: file.signals, regions: file.regions, mappedFiles: file.mappedFiles, frames: file.frames, objects: objects,
                                programAbi: programAbi)
            print(String(decoding: try CheckpointJSON.encode(report, pretty: true), as: UTF8.self), terminator: "")
        } else {
            print(describe(file, objects: objects, programAbi: programAbi))
        }
        if verify, let bad = file.regions.first(where: { $0.checksumOk == false }) {
            throw CLIFailure("\(image): region \(bad.start)-\(bad.end) is damaged (checksum mismatch)")
        }
        if verify {
            for var ancestor in try GenerationChain.ancestors(ofImage: file.path, header: file.header) {
                try ancestor.verify()
                if let bad = ancestor.regions.first(where: { $0.checksumOk == false }) {
                    throw CLIFailure("\(image): its parent image \(ancestor.path) is damaged (region \(bad.start)-\(bad.end): checksum mismatch)")
                }
            }
        }
        if verify, let changed = file.mappedFiles.first(where: { $0.unchanged == false }) {
            throw CLIFailure("\(image): \(changed.path) changed since the checkpoint ("
                             + (ImageFile.change(of: changed) ?? "changed") + "); a restart would refuse it")
        }
        // Intact but of another run: restart would refuse it, so --verify must not pass it either.
        if verify, let job = owningJob(), file.header.jobId != job {
            throw CLIFailure("\(image) is an image of "
                             + (file.header.jobId.isEmpty ? "an unknown job" : "another job (\(file.header.jobId))")
                             + ", not of job \(job) of the checkpoint directory it is in")
        }
    }

    /// An image from before `program_abi`: the Open MPI face sits in front of the MPICH face, so
    /// face_abi says "mpich" for both, but the Open MPI face's pages are in the image.
    private static func programABIOfOlderImage(_ file: ImageFile) throws -> String {
        let ompiFace = try? Installation.current(environment: ProcessInfo.processInfo.environment)
            .sibling(FaceDirectory.openMPIFaceFileName)
        return try ompiFace.map { try ShadowObjects.maps(file, library: $0) } == true ? "openmpi" : file.header.faceAbi
    }

    /// The job id in the job.json of the checkpoint directory holding the image (D/gen-NNNNNN/IMAGE), if any.
    private func owningJob() -> String? {
        let generation = ((CheckpointDirectory(image).path as NSString).deletingLastPathComponent as NSString)
        guard CheckpointDirectory.generationNumber(fromName: generation.lastPathComponent) != nil else { return nil }
        let directory = CheckpointDirectory(generation.deletingLastPathComponent)
        return (try? JobDescription.read(from: directory))?.jobId.flatMap { JobIdentity.isWellFormed($0) ? $0 : nil }
    }

    private func mib(_ b: UInt64) -> String { String(format: "%.1f MiB", Double(b) / 1_048_576) }

    private func describe(_ f: ImageFile, objects: [String: Int]?, programAbi: String) -> String {
        let h = f.header
        var out: [String] = []
        out.append("image      \(f.path) (\(mib(h.fileSize)), format \(h.formatVersion), metadata checksum ok)")
        out.append("rank       \(h.rank) of \(h.nranks), generation \(h.generation), flavour \(h.flavour)"
                   + (h.faceAbi.isEmpty ? "" : ", face \(h.faceAbi)")
                   + (programAbi == "openmpi" ? " behind the Open MPI face (libmpi.so.40)" : ""))
        out.append("program    " + ProgramCheck.describeFaceABI(programAbi)
                   + (h.programAbi.isEmpty ? " (written before images recorded it" + (programAbi.isEmpty ? ")" : "; from the faces in the image)") : ""))
        out.append("job        " + (h.jobId.isEmpty ? "unknown (written before job ids)" : h.jobId))
        if let parent = h.parentGeneration {
            let chain = (try? GenerationChain.ancestors(ofImage: f.path, header: h)).map {
                ([h.generation] + $0.map(\.header.generation)).map { CheckpointDirectory.generationName(Int($0)) }
                    .joined(separator: " <- ")
            } ?? "broken (inspect --verify says why)"
            let delta = f.regions.filter(\.delta).count
            out.append("parent     \(CheckpointDirectory.generationName(Int(parent))) (metadata checksum "
                       + "\(h.parentMetadataChecksum ?? "?")): an incremental image, \(delta) regions store only "
                       + "the pages written since; chain \(chain)")
        }
        out.append("taken      \(h.created) on \(h.host), pid \(h.pid), "
                   + String(format: "pause %.1f ms before writing", h.pauseMs))
        out.append("cwd        \(h.cwd)")
        let runs = f.regions.reduce(0) { $0 + Int($1.runs) }
        out.append("memory     \(f.regions.count) regions, \(mib(h.memBytes)) mapped, \(mib(h.dataBytes)) stored "
                   + "in \(runs) runs (zero pages skipped)")
        if h.compression != "none" {
            out.append("compressed \(h.compression): \(mib(h.dataBytes)) in \(mib(h.storedBytes)) (\(f.frames.count) frames), ratio "
                       + String(format: "%.2f", h.storedBytes > 0 ? Double(h.dataBytes) / Double(h.storedBytes) : 0))
        } else {
            out.append("compressed no")
        }
        let byReference = f.regions.filter { $0.kind == "file-private" }
        out.append("mapped     \(f.mappedFiles.count) files by reference, \(byReference.count) regions "
                   + "(\(mib(byReference.reduce(0) { $0 + $1.bytes })), of which \(mib(byReference.reduce(0) { $0 + $1.storedBytes })) "
                   + "stored: the pages that differ from the file)")
        for m in f.mappedFiles {
            let ok = m.unchanged.map { $0 ? " unchanged" : " CHANGED" } ?? ""
            out.append("  \(m.path) \(m.size) bytes, inode \(m.inode), hash \(m.hash)\(ok)")
        }
        out.append("threads    \(f.threads.count)")
        for t in f.threads {
            let role = t.main ? " main" : t.engine ? " engine" : ""
            out.append("  tid \(t.tid)\(role): fs \(t.fsBase), interrupted at \(t.interruptedRip), mask \(t.signalMask)")
        }
        out.append("files      \(f.fds.count) (fds 0-2 come from the new launcher)")
        for d in f.fds {
            out.append("  fd \(d.fd) \(d.kind) \(d.path) flags \(d.flags) offset \(d.offset)")
        }
        if let o = objects {
            let live = ShadowObjects.kindNames.compactMap { k in o[k.1].flatMap { $0 > 0 ? "\(k.1) \($0)" : nil } }
            out.append("objects    " + (live.isEmpty ? "none live" : live.joined(separator: ", ")))
        } else {
            out.append("objects    unknown (the face library of this ckpt-mpi is not mapped in the image)")
        }
        out.append("signals    \(f.signals.count) with a disposition: "
                   + f.signals.map { "\($0.signal)" }.joined(separator: " "))
        out.append("regions")
        for r in f.regions {
            let ok = r.checksumOk.map { $0 ? " ok" : " DAMAGED" } ?? ""
            out.append("  \(r.start)-\(r.end) \(r.prot) \(r.kind) \(mib(r.storedBytes)) stored\(ok)"
                       + (r.path.map { " \($0)" } ?? ""))
        }
        return out.joined(separator: "\n")
    }
}
