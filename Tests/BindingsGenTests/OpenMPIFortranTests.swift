import XCTest
import Foundation
@testable import BindingsGen

/// Our libmpi_mpifh.so.40 (OpenMPIFortranEmitter): every name Open MPI's exports, each bound to
/// the right entry, and the conversions a Fortran caller depends on.
final class OpenMPIFortranTests: XCTestCase {
    func testEveryMangledFormBelongsToItsProcedure() {
        for name in ["mpi_send_", "mpi_send", "mpi_send__", "MPI_SEND", "pmpi_send_", "PMPI_SEND", "ompi_send_f",
                     "MPI_Send_f", "MPI_Send_f08", "PMPI_Send_f08"] {
            XCTAssertEqual(OpenMPIFortranEmitter.baseName(name), "send", name)
        }
        XCTAssertEqual(OpenMPIFortranEmitter.baseName("mpi_type_create_f90_real_"), "type_create_f90_real")
        XCTAssertEqual(OpenMPIFortranEmitter.baseName("MPIX_ALLREDUCE_INIT"), "allreduce_init")
    }

    func testGeneratedEntriesConvertWhatFortranPasses() throws {
        let gen = try Generator(root: GeneratorTests.root)
        let mpifh = gen.files()["Sources/UpperHalf/OpenMPIFortran/ompi_mpifh.generated.c"]!
        // By reference, ierr last, sentinels and handles converted.
        XCTAssertTrue(mpifh.contains("void ompi_send_f(void *buf, int *count, int *datatype, int *dest, int *tag, int *comm, int *ierr)"))
        XCTAssertTrue(mpifh.contains("PMPI_Send(OFF_BUF(buf), *count, PMPI_Type_f2c(*datatype), *dest, *tag, PMPI_Comm_f2c(*comm))"))
        // Hidden string lengths after ierr; 1-based indices; every exported name defined.
        XCTAssertTrue(mpifh.contains("ompi_comm_set_name_f(int *comm, char *comm_name, int *ierr, size_t l_comm_name)"))
        XCTAssertTrue(mpifh.contains("*index += 1;"))
        for name in gen.openMPIFortran.mpifhProcedures.prefix(200) {
            XCTAssertTrue(mpifh.contains(" \(name)(void)") || mpifh.contains(" \(name)("), name)
        }
        // Windows and files convert through the C face's f2c/c2f, keyval functions through
        // trampolines; spawn (string arrays) is not converted: it fails naming itself.
        XCTAssertTrue(mpifh.contains("*win = PMPI_Win_c2f(h_win);"))
        XCTAssertTrue(mpifh.contains("PMPI_File_f2c(*fh)"))
        XCTAssertTrue(mpifh.contains("off_kc_Comm_trampoline((void *)comm_copy_attr_fn)"))
        XCTAssertTrue(mpifh.contains("\"mpi_comm_spawn_ (Fortran)\""))
        // Generalized requests: the Fortran functions and extra state's address as the C extra state.
        XCTAssertTrue(mpifh.contains("PMPI_Grequest_start((void *)off_greq_query_fn, (void *)off_greq_free_fn, "
                                     + "(void *)off_greq_cancel_fn, off_greq_new(query_fn, free_fn, cancel_fn, extra_state), &h_request)"))
    }

    func testUserObjectsGetNonNegativeFortranIndices() throws {
        let gen = try Generator(root: GeneratorTests.root)
        let f2c = gen.files()["Sources/UpperHalf/OpenMPIFace/ompi_f2c.generated.c"]!
        // Communicators: world 0, self 1, null 2 are Open MPI's; user ones from 3, through the table.
        XCTAssertTrue(f2c.contains("if (f >= 3) { void *o = of_f_object(0, f, 3); return o ? o : (void *)ompi_mpi_comm_null; }"))
        XCTAssertTrue(f2c.contains("default: return OF_H(c) < 0 ? of_f_index(0, c, 3) : OF_H(c);"))
        XCTAssertFalse(f2c.contains("if (f < 0) return of_out("))
        let face = gen.files()["Sources/UpperHalf/OpenMPIFace/ompi_face.generated.c"]!
        XCTAssertTrue(face.contains("? 0 : of_f_index(8, h, 1); }"))
    }
}
