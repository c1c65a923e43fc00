/* Desc: fence-based halo exchange: a 1-D stencil whose halo cells arrive by MPI_Put
 *       into a Win_create window over the application's array, and a per-step
 *       checksum summed by MPI_Accumulate into a Win_allocate window at rank 0 and
 *       at the right neighbour; ranks pause unevenly inside the epochs, so a
 *       checkpoint often finds Puts and Accumulates issued but not yet completed.
 * Survives: open fence epochs with operations in flight, both windows (application
 *           memory and Win_allocate memory at the same address), the fence count
 * Ranks: 2 3 4
 * Runtime: 6 s
 * Faces: mpich openmpi
 * Scenarios: ompi-ompi mpich-mpich ompi-mpich mpich-ompi (Open MPI 4.1 has no window over btl tcp,self)
 */
#include "cplib.h"
#define N 16
#define STEPS 45
#define P 1000003ull

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t u[N + 2], nu[N + 2];
    for (int i = 0; i < N + 2; i++) u[i] = h64((uint64_t)(rank * 100 + i)) % P;
    MPI_Win wu, wa;
    MPICHK(MPI_Win_create(u, sizeof u, sizeof(uint64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &wu));
    uint64_t *acc;
    MPICHK(MPI_Win_allocate(2 * sizeof(uint64_t), sizeof(uint64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &acc, &wa));
    acc[0] = acc[1] = 0;
    MPICHK(MPI_Win_fence(MPI_MODE_NOPRECEDE, wa));
    uint64_t v[3] = {0, 0, 0}, before0 = 0;
    for (int step = 0; step < STEPS; step++) {
        MPICHK(MPI_Win_fence(0, wu));
        MPICHK(MPI_Put(&u[1], 1, MPI_UINT64_T, left, N + 1, 1, MPI_UINT64_T, wu));
        MPICHK(MPI_Put(&u[N], 1, MPI_UINT64_T, right, 0, 1, MPI_UINT64_T, wu));
        nap(5 + 12 * ((rank * 5 + step) % 4));
        MPICHK(MPI_Win_fence(0, wu));
        for (int i = 1; i <= N; i++) nu[i] = (u[i - 1] + 2 * u[i] + u[i + 1] + (uint64_t)step) % P;
        memcpy(&u[1], &nu[1], N * sizeof(uint64_t));
        uint64_t c = h64(u[1] ^ u[N] ^ (uint64_t)step) % P;
        MPICHK(MPI_Accumulate(&c, 1, MPI_UINT64_T, 0, 0, 1, MPI_UINT64_T, MPI_SUM, wa));
        MPICHK(MPI_Accumulate(&c, 1, MPI_UINT64_T, right, 1, 1, MPI_UINT64_T, MPI_SUM, wa));
        nap(5 + 9 * ((rank + step) % 3));
        MPICHK(MPI_Win_fence(0, wa));
        uint64_t total = 0;
        MPICHK(MPI_Allreduce(&c, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD));
        if (rank == 0) {
            CHECK(acc[0] - before0 == total);
            before0 = acc[0];
        }
        v[0] = fold(v[0], u[1] ^ u[N]);
    }
    MPICHK(MPI_Win_fence(MPI_MODE_NOSUCCEED, wa));
    for (int i = 1; i <= N; i++) v[1] = fold(v[1], u[i]);
    v[2] = fold(acc[0], acc[1]);
    MPICHK(MPI_Win_free(&wu));
    MPICHK(MPI_Win_free(&wa));
    return cp_finish("cp_rma_fence", v, 3);
}
