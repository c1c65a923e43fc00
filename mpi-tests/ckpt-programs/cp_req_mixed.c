/* Desc: completion calls over mixed request arrays. Every round each rank posts an
 *       Irecv from every other rank and an Isend or Issend to every other rank,
 *       into one array with MPI_REQUEST_NULL holes, pauses unevenly, and completes
 *       the array with Waitall, a Waitany loop, or a Testsome polling loop (in
 *       turn). Completion order varies; results are combined order-independently.
 * Survives: request arrays with MPI_REQUEST_NULL holes in Waitall, Waitany and
 *           Testsome; unmatched Issend
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#define ROUNDS 40
#define L 6

int main(int argc, char **argv) {
    cp_init(&argc, &argv);
    uint64_t v[4] = {0, 0, 0, 0};
    for (int r = 0; r < ROUNDS; r++) {
        int nreq = 2 * size + 1;
        MPI_Request rq[2 * 64 + 1];
        uint64_t in[64][L], out[L];
        int peer[2 * 64 + 1];
        for (int i = 0; i < L; i++) out[i] = h64((uint64_t)(rank * 100000 + r * 10 + i));
        for (int i = 0; i < nreq; i++) { rq[i] = MPI_REQUEST_NULL; peer[i] = -1; }
        /* slot 2q: receive from q, slot 2q+1: send to q, slot 2*size: stays null */
        for (int q = 0; q < size; q++) {
            if (q == rank) continue;
            MPICHK(MPI_Irecv(in[q], L, MPI_UINT64_T, q, r, MPI_COMM_WORLD, &rq[2 * q]));
            peer[2 * q] = q;
        }
        nap(15 + 25 * ((rank * 3 + r) % 4));
        for (int k = 1; k < size; k++) {
            int q = (rank + k) % size;
            if ((q + r) % 2) MPICHK(MPI_Issend(out, L, MPI_UINT64_T, q, r, MPI_COMM_WORLD, &rq[2 * q + 1]));
            else MPICHK(MPI_Isend(out, L, MPI_UINT64_T, q, r, MPI_COMM_WORLD, &rq[2 * q + 1]));
            if (k == 1) nap(10 * (r % 3));
        }
        int done = 0, want = 2 * (size - 1);
        int mode = r % 3;
        if (mode == 0) {
            MPI_Status st[2 * 64 + 1];
            MPICHK(MPI_Waitall(nreq, rq, st));
            for (int i = 0; i < nreq; i++)
                if (peer[i] >= 0) CHECK(st[i].MPI_SOURCE == peer[i] && st[i].MPI_TAG == r);
            done = want;
        } else if (mode == 1) {
            while (done < want) {
                int idx;
                MPI_Status st;
                MPICHK(MPI_Waitany(nreq, rq, &idx, &st));
                CHECK(idx != MPI_UNDEFINED && rq[idx] == MPI_REQUEST_NULL);
                if (peer[idx] >= 0) CHECK(st.MPI_SOURCE == peer[idx]);
                v[3] += (uint64_t)(idx % 2 + 1);
                done++;
            }
            int idx;
            MPICHK(MPI_Waitany(nreq, rq, &idx, MPI_STATUS_IGNORE));
            CHECK(idx == MPI_UNDEFINED);
        } else {
            int polls = 0;
            while (done < want) {
                int outc, idx[2 * 64 + 1];
                MPI_Status st[2 * 64 + 1];
                MPICHK(MPI_Testsome(nreq, rq, &outc, idx, st));
                CHECK(outc != MPI_UNDEFINED);
                for (int j = 0; j < outc; j++) {
                    if (peer[idx[j]] >= 0) CHECK(st[j].MPI_SOURCE == peer[idx[j]]);
                    v[3] += (uint64_t)(idx[j] % 2 + 1);
                }
                done += outc;
                if (done < want) { nap(3); CHECK(++polls < 5000); }
            }
            int outc, idx[1];
            MPICHK(MPI_Testsome(nreq, rq, &outc, idx, MPI_STATUSES_IGNORE));
            CHECK(outc == MPI_UNDEFINED);
        }
        for (int q = 0; q < size; q++) {
            if (q == rank) continue;
            for (int i = 0; i < L; i++) {
                CHECK(in[q][i] == h64((uint64_t)(q * 100000 + r * 10 + i)));
                v[mode] += h64(in[q][i] + (uint64_t)mode);
            }
        }
    }
    return cp_finish("cp_req_mixed", v, 4);
}
