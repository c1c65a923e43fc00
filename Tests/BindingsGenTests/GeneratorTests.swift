import XCTest
import Foundation
@testable import BindingsGen

/// The committed generated files must be exactly what the generator makes from the spec.
final class GeneratorTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func testCommittedGeneratedFilesAreCurrent() throws {
        let gen = try Generator(root: Self.root)
        for (path, text) in gen.files() {
            let committed = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
            XCTAssertEqual(committed, text, "\(path) is stale: run `swift run ckpt-mpi-gen`")
        }
    }

    func testBlockingPointToPointWaitsThroughTheCallTable() throws {
        let plan = try Generator(root: Self.root).plan
        let send = try XCTUnwrap(plan.spec.procedures.first { $0.name == "MPI_Send" })
        XCTAssertEqual(plan.tableSignature(send),
                       "int (*Send)(const void *buf, int count, uint64_t datatype, int dest, int tag, uint64_t comm, uint64_t *pending)")
        let face = FaceEmitter(plan: plan).emit()
        XCTAssertTrue(face.contains("return face_wait_one(&v_pending, CKPT_MPI_STATUS_IGNORE);"))
    }

    /// MPI-4 calls are emulated in the face: bound, but never a call-table entry (Open MPI 4.1 lacks them).
    func testMPI4CallsAreEmulatedInTheFace() throws {
        let plan = try Generator(root: Self.root).plan
        let pcoll = plan.spec.procedures.filter { Annotations.persistentCollective($0, in: plan.spec) != nil }.map(\.name)
        XCTAssertEqual(pcoll.count, 22, "17 persistent collectives and 5 neighbourhood ones")
        let custom = Set(plan.customFace.map(\.name)), table = Set(plan.tableEntries.map(\.name))
        for name in pcoll + ["MPI_Isendrecv", "MPI_Isendrecv_replace", "MPI_Info_get_string"] {
            XCTAssertTrue(custom.contains(name), "\(name) is not bound")
            XCTAssertFalse(table.contains(name), "\(name) must not need the lower half")
        }
        XCTAssertFalse(pcoll.contains("MPI_Psend_init"), "partitioned communication is not a collective")
    }

    /// Comm_idup goes through its own call-table entries (the new communicator appears when the
    /// request completes); generalized requests exist only in the face.
    func testIdupAndGeneralizedRequestsAreBound() throws {
        let plan = try Generator(root: Self.root).plan
        let custom = Set(plan.customFace.map(\.name)), table = Set(plan.tableEntries.map(\.name))
        for name in ["MPI_Comm_idup", "MPI_Comm_idup_with_info", "MPI_Grequest_start", "MPI_Grequest_complete"] {
            XCTAssertTrue(custom.contains(name), "\(name) is not bound")
            XCTAssertFalse(table.contains(name), "\(name) has no generated call-table entry")
        }
        let extra = Set(Annotations.extraEntries.map(\.name))
        XCTAssertTrue(extra.isSuperset(of: ["Comm_idup_start", "Comm_idup_result"]))
        XCTAssertFalse(plan.unsupported.contains { $0.name.hasPrefix("MPI_Grequest_") })
    }

    func testCoverageIncludesEveryGroupOfTheFoundationIssue() throws {
        let plan = try Generator(root: Self.root).plan
        let bound = Set(plan.faceGenerated.map(\.name) + plan.customFace.map(\.name))
        for name in ["MPI_Bsend", "MPI_Issend", "MPI_Improbe", "MPI_Imrecv", "MPI_Startall", "MPI_Testsome",
                     "MPI_Request_get_status", "MPI_Ialltoallv", "MPI_Reduce_scatter_block", "MPI_Exscan",
                     "MPI_Comm_split_type", "MPI_Intercomm_merge", "MPI_Group_range_excl", "MPI_Cart_sub",
                     "MPI_Dist_graph_create_adjacent", "MPI_Ineighbor_alltoallv", "MPI_Type_create_darray",
                     "MPI_Type_get_contents", "MPI_Pack_size", "MPI_Op_commutative", "MPI_Info_get_nthkey",
                     "MPI_Comm_create_keyval", "MPI_Alltoallw", "MPI_Sendrecv_replace"] {
            XCTAssertTrue(bound.contains(name), "\(name) is not bound")
        }
        for name in ["MPI_Win_create", "MPI_Win_allocate", "MPI_Put", "MPI_Rget_accumulate", "MPI_Compare_and_swap",
                     "MPI_Win_flush_local_all", "MPI_Win_lock_all", "MPI_Win_get_attr", "MPI_Win_allocate_shared",
                     "MPI_Win_shared_query"] {
            XCTAssertTrue(bound.contains(name), "\(name) is not bound")
        }
        XCTAssertFalse(plan.unsupported.contains { $0.name == "MPI_Win_allocate_shared" }, "shared windows are the face's")
        // MPICH's MPI_MODE_* bits are not Open MPI's: the shims convert bit by bit.
        let convert = ShimEmitter(plan: plan).converters()
        XCTAssertTrue(convert.contains("    if (v & CKPT_MPI_MODE_NOSUCCEED) r |= MPI_MODE_NOSUCCEED;"))
        XCTAssertTrue(ShimEmitter(plan: plan).shims().contains("MPI_Win_lock(ckin_LOCK_TYPE(lock_type), ckin_rank(rank), ckin_ASSERT(assert)"))
    }

    /// Deprecated names forward to their successor in both faces, take no call-table entry, and
    /// the removed ones come after the Forum's procedures (CKPT_FN_* numbers in images stay put).
    func testDeprecatedNamesForwardToTheirSuccessors() throws {
        let gen = try Generator(root: Self.root)
        let plan = gen.plan
        XCTAssertEqual(Set(plan.aliases.map(\.name)), Set(Annotations.aliases.keys))
        XCTAssertFalse(plan.tableEntries.contains { Annotations.aliases[$0.name] != nil })
        let names = plan.spec.procedures.map(\.name)
        let firstRemoved = try XCTUnwrap(names.firstIndex(of: "MPI_Address"))
        XCTAssertFalse(names[..<firstRemoved].contains("MPI_Type_extent"))
        XCTAssertTrue(names[firstRemoved...].allSatisfy { Annotations.aliases[$0] != nil })
        let face = FaceEmitter(plan: plan).emit()
        XCTAssertTrue(face.contains("    return PMPI_Comm_create_keyval((MPI_Comm_copy_attr_function *)copy_fn,"))
        XCTAssertTrue(face.contains("if (rc == 0) *displacement = lb_ + extent_;"))
        let ompi = OpenMPIFaceEmitter(plan: plan, ompi: gen.openMPI).emit()
        XCTAssertTrue(ompi.contains("    return PMPI_Comm_get_attr(comm, keyval, attribute_val, flag);"))
        XCTAssertFalse(ompi.contains("of_stub_MPI_Type_struct"))
        XCTAssertTrue(plan.exportStubs.contains("MPI_Send_c") && plan.exportStubs.contains("MPIX_Comm_agree"))
    }

    /// The Open MPI face converts windows, files, generalized requests and MPI_T instead of
    /// stubbing them, with Open MPI's flag bits, file pointers and MPI_T return codes.
    func testOpenMPIFaceConvertsWindowsFilesAndTools() throws {
        let gen = try Generator(root: Self.root)
        let emitter = OpenMPIFaceEmitter(plan: gen.plan, ompi: gen.openMPI)
        let ompi = emitter.emit() + emitter.emitConversions()
        for name in ["MPI_Win_fence", "MPI_File_open", "MPI_Grequest_start", "MPI_Win_create_errhandler",
                     "MPI_File_create_errhandler", "MPI_Win_create_keyval", "MPI_T_cvar_get_num", "MPI_Win_c2f"] {
            XCTAssertFalse(ompi.contains("of_stub_\(name)("), name)
        }
        XCTAssertTrue(ompi.contains("    if (v & 1) r |= 1024;"))  // MPI_MODE_NOCHECK, Open MPI's → MPICH's
        XCTAssertTrue(ompi.contains("m_Win_lock(of_enum_in_LOCK_TYPE(lock_type), of_rank_in(rank), of_enum_in_ASSERT(assert), OF_H(win))"))
        XCTAssertTrue(ompi.contains("*fh = of_out(9, (int32_t)(uint32_t)(uintptr_t)(h_fh));"))
        XCTAssertTrue(ompi.contains("int rc = m_T_cvar_get_num(num_cvar);\n    return __builtin_expect(rc == 0, 1) ? 0 : of_t_err_out(rc);"))
    }

    func testPredefinedHandleLowBytesAreUniquePerKind() throws {
        let spec = try Generator(root: Self.root).plan.spec
        var seen: [String: String] = [:]
        for (name, c) in spec.constants where HandleType.all.contains(where: { $0.cType == c.type }) {
            let v = UInt32(truncatingIfNeeded: c.value)
            guard v >> 30 == 1 else { continue }
            let key = "\((v >> 26) & 0xf)/\(v & 0xff)"
            XCTAssertNil(seen[key], "\(name) and \(seen[key] ?? "") share a predefined slot")
            seen[key] = name
        }
    }
}
