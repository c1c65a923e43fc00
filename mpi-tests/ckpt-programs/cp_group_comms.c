/* Desc: communicators made by calls that are collective over fewer ranks than
 *       their communicator holds, entered at different times. Every round,
 *       MPI_Comm_create_group on MPI_COMM_WORLD over all ranks but one (all of
 *       them with 2 ranks), and MPI_Intercomm_create between the two halves of the
 *       world (leaders the lowest rank of each half, peer MPI_COMM_WORLD; with 2
 *       or 3 ranks a half may be a single rank); before each, one rank (rotating)
 *       computes a while, so the others sit inside the call when a checkpoint
 *       comes. Each new communicator is used once (Allreduce) and freed.
 * Survives: ranks inside Comm_create_group and Intercomm_create while another rank
 *           computes; groups; intercommunicators
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ROUNDS 5

static uint64_t sink;

/* The late rank computes, then sleeps: it stays out of MPI either way. */
static void late_work(int ms) {
    sink = spin(20000000, sink + (uint64_t)ms);
    nap(ms);
}

static uint64_t contribution(int r, int p, int k) { return h64((uint64_t)(r * 1000 + p * 10 + k)); }

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    int half = size / 2, color = rank < half ? 0 : 1;
    MPI_Comm side;
    MPICHK(MPI_Comm_split(MPI_COMM_WORLD, color, rank, &side));
    MPI_Group world;
    MPICHK(MPI_Comm_group(MPI_COMM_WORLD, &world));
    uint64_t v[3] = {0, 0, (uint64_t)size};
    for (int p = 0; p < ROUNDS; p++) {
        int out = size >= 3 ? p % size : -1, late = (p * 3 + 1) % size;
        if (late == out)
            late = (late + 1) % size;
        int ranks[64], n = 0;
        for (int r = 0; r < size; r++)
            if (r != out)
                ranks[n++] = r;
        MPI_Group g;
        MPICHK(MPI_Group_incl(world, n, ranks, &g));
        if (rank != out) {
            if (rank == late)
                late_work(350);
            else
                nap(20);
            MPI_Comm gc;
            MPICHK(MPI_Comm_create_group(MPI_COMM_WORLD, g, 70 + p, &gc));
            int gs = 0;
            MPICHK(MPI_Comm_size(gc, &gs));
            CHECK(gs == n);
            uint64_t x = contribution(rank, p, 1), sum = 0, want = 0;
            MPICHK(MPI_Allreduce(&x, &sum, 1, MPI_UINT64_T, MPI_SUM, gc));
            for (int i = 0; i < n; i++)
                want += contribution(ranks[i], p, 1);
            CHECK(sum == want);
            v[0] = fold(v[0], sum);
            MPICHK(MPI_Comm_free(&gc));
        } else {
            nap(100);
        }
        MPICHK(MPI_Group_free(&g));

        int late2 = (p * 5 + 2) % size;
        if (rank == late2)
            late_work(300);
        else
            nap(20);
        MPI_Comm ic;
        MPICHK(MPI_Intercomm_create(side, 0, MPI_COMM_WORLD, color == 0 ? half : 0, 50 + p, &ic));
        int rs = 0;
        MPICHK(MPI_Comm_remote_size(ic, &rs));
        CHECK(rs == (color == 0 ? size - half : half));
        uint64_t x = contribution(rank, p, 2), sum = 0, want = 0;
        MPICHK(MPI_Allreduce(&x, &sum, 1, MPI_UINT64_T, MPI_SUM, ic)); /* the remote group's sum */
        for (int r = color == 0 ? half : 0; r < (color == 0 ? size : half); r++)
            want += contribution(r, p, 2);
        CHECK(sum == want);
        v[1] = fold(v[1], sum);
        MPICHK(MPI_Comm_free(&ic));
    }
    MPICHK(MPI_Group_free(&world));
    MPICHK(MPI_Comm_free(&side));
    return cp_finish("cp_group_comms", v, 3);
}
