/* test: long-running mixed workload: many token laps with ANY_SOURCE receives, periodic collectives, deterministic final counters */
/* ranks: 2 4 */
#include "mt.h"
#define LAPS 2000

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank, right = (r + 1) % n, left = (r + n - 1) % n;
    long tok[2] = {0, 0};            /* [0] = hop counter, [1] = running hash */
    long handled = 0, hashes = 0;
    MPI_Comm ring;
    MPI_Comm_dup(MPI_COMM_WORLD, &ring);
    if (r == 0) MPI_Send(tok, 2, MPI_LONG, right, 0, ring);
    for (int lap = 0; lap < LAPS; lap++) {
        MPI_Status st;
        MPI_Recv(tok, 2, MPI_LONG, MPI_ANY_SOURCE, MPI_ANY_TAG, ring, &st);
        CHECK(st.MPI_SOURCE == left && st.MPI_TAG == lap % 1000);
        tok[0]++;
        tok[1] = (tok[1] * 131 + r + 1) % 1000000007L;
        handled++;
        hashes = (hashes + tok[1]) % 1000000007L;
        /* rank 0 closes lap L and starts lap L+1 */
        int nexttag = (r == 0) ? (lap + 1) % 1000 : lap % 1000;
        if (!(r == 0 && lap == LAPS - 1)) MPI_Send(tok, 2, MPI_LONG, right, nexttag, ring);
        if (lap % 250 == 249) {      /* collective checkpoint-friendly sync point */
            long hops = 0;
            MPI_Allreduce(&handled, &hops, 1, MPI_LONG, MPI_SUM, ring);
            CHECK(hops == (long)(lap + 1) * n);
        }
    }
    /* last holder is rank 0; broadcast the final token */
    MPI_Bcast(tok, 2, MPI_LONG, 0, ring);
    CHECK(tok[0] == (long)LAPS * n);
    if (r == 0) printf("final hops %ld hash %ld\n", tok[0], tok[1]);
    mt_printf("handled %ld hashsum %ld\n", handled, hashes);
    MPI_Comm_free(&ring);
    return mt_finish("app_ring_tokens");
}
