/* Desc: MPI-4 calls across a checkpoint. Persistent Allreduce_init, Bcast_init and
 *       Barrier_init are created once and started every iteration (Startall or one
 *       by one, completed by Waitall or a Test loop); a ring exchange uses
 *       Isendrecv (Wait) and Isendrecv_replace (Test loop) with naps while they
 *       are pending. Freed at the end. An info made before MPI_Init is read after.
 * Survives: persistent collectives inactive and started, Isendrecv(_replace)
 *           pending (its hidden send and its receive drained like Isend/Irecv),
 *           an info object made before MPI_Init (remade from the record)
 * Ranks: 2 3 4
 * Faces: mpich (Open MPI 4.1's mpi.h has no MPI-4 calls to build it with)
 * Runtime: 6 s
 */
#include "cplib.h"
#define ITERS 46
#define L 16

int main(int argc, char **argv) {
    MPI_Info early;
    MPICHK(MPI_Info_create(&early));
    MPICHK(MPI_Info_set(early, "cp_mpi4_key", "before-init"));
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t mine, total, root_val, s[L], r[L], rep[L];
    uint64_t v[3] = {0, 0, 0};
    MPI_Request pc[3];
    MPICHK(MPI_Allreduce_init(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD, MPI_INFO_NULL, &pc[0]));
    MPICHK(MPI_Bcast_init(&root_val, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, MPI_INFO_NULL, &pc[1]));
    MPICHK(MPI_Barrier_init(MPI_COMM_WORLD, MPI_INFO_NULL, &pc[2]));
    for (int it = 0; it < ITERS; it++) {
        mine = h64((uint64_t)(rank * 1000 + it));
        root_val = rank == 0 ? h64((uint64_t)it + 77) : 0;
        if (it % 2) {
            MPICHK(MPI_Startall(3, pc));
            nap(10 + 15 * ((rank + it) % 3));
            MPICHK(MPI_Waitall(3, pc, MPI_STATUSES_IGNORE));
        } else {
            for (int i = 0; i < 3; i++) MPICHK(MPI_Start(&pc[i]));
            int flag = 0;
            while (!flag) { MPICHK(MPI_Test(&pc[0], &flag, MPI_STATUS_IGNORE)); nap(1); }
            MPICHK(MPI_Waitall(3, pc, MPI_STATUSES_IGNORE));
        }
        for (int i = 0; i < 3; i++) CHECK(pc[i] != MPI_REQUEST_NULL);
        uint64_t expect = 0;
        for (int q = 0; q < size; q++) expect += h64((uint64_t)(q * 1000 + it));
        CHECK(total == expect && root_val == h64((uint64_t)it + 77));
        v[0] = fold(v[0], total ^ root_val);

        for (int i = 0; i < L; i++) { s[i] = h64((uint64_t)(rank * 10000 + it * L + i)); rep[i] = s[i] + 1; }
        MPI_Request a, b;
        MPICHK(MPI_Isendrecv(s, L, MPI_UINT64_T, right, 5, r, L, MPI_UINT64_T, left, 5, MPI_COMM_WORLD, &a));
        MPICHK(MPI_Isendrecv_replace(rep, L, MPI_UINT64_T, left, 6, right, 6, MPI_COMM_WORLD, &b));
        nap(10 + 20 * ((rank * 3 + it) % 4));
        MPI_Status st;
        MPICHK(MPI_Wait(&a, &st));
        /* (statuses unchecked: MPICH 4.0.2's own Isendrecv, the native reference, leaves them undefined) */
        int flag = 0;
        while (!flag) { MPICHK(MPI_Test(&b, &flag, &st)); if (!flag) nap(1); }
        CHECK(a == MPI_REQUEST_NULL && b == MPI_REQUEST_NULL);
        for (int i = 0; i < L; i++) {
            CHECK(r[i] == h64((uint64_t)(left * 10000 + it * L + i)));
            CHECK(rep[i] == h64((uint64_t)(right * 10000 + it * L + i)) + 1);
            v[1] = fold(v[1], r[i]);
            v[2] = fold(v[2], rep[i]);
        }
    }
    for (int i = 0; i < 3; i++) MPICHK(MPI_Request_free(&pc[i]));
    char val[32];
    int found = 0;
    MPICHK(MPI_Info_get(early, "cp_mpi4_key", sizeof val - 1, val, &found));
    CHECK(found && strcmp(val, "before-init") == 0);
    MPICHK(MPI_Info_free(&early));
    return cp_finish("cp_mpi4", v, 3);
}
