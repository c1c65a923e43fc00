/* test: Sendrecv and Sendrecv_replace shift data around a ring, including self-exchange */
/* ranks: 1 2 4 */
#include "mt.h"
#define N 64

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int right = (mt_rank + 1) % mt_size, left = (mt_rank + mt_size - 1) % mt_size;
    int a[N], b[N];
    MPI_Status st;
    for (int i = 0; i < N; i++) a[i] = mt_rank * N + i;
    /* full rotation with Sendrecv: after size steps we have our data back */
    long chk = 0;
    for (int step = 0; step < mt_size; step++) {
        CHECK_MPI(MPI_Sendrecv(a, N, MPI_INT, right, step, b, N, MPI_INT, left, step, MPI_COMM_WORLD, &st));
        CHECK(st.MPI_SOURCE == left && st.MPI_TAG == step);
        int owner = ((mt_rank - step - 1) % mt_size + mt_size) % mt_size;
        for (int i = 0; i < N; i++) { CHECK(b[i] == owner * N + i); chk += b[i] * (step + 1); }
        memcpy(a, b, sizeof a);
    }
    for (int i = 0; i < N; i++) CHECK(a[i] == mt_rank * N + i);
    /* Sendrecv_replace rotating the other way, two steps */
    for (int step = 0; step < 2; step++) {
        CHECK_MPI(MPI_Sendrecv_replace(a, N, MPI_INT, left, 50, right, 50, MPI_COMM_WORLD, &st));
        int cnt;
        MPI_Get_count(&st, MPI_INT, &cnt);
        CHECK(cnt == N && st.MPI_SOURCE == right);
    }
    int owner = (mt_rank + 2) % mt_size;
    for (int i = 0; i < N; i++) CHECK(a[i] == owner * N + i);
    mt_printf("rotation-checksum %ld replace-owner %d\n", chk, owner);
    /* Sendrecv with different counts/types: send 2 ints, receive as bytes */
    int two[2] = {mt_rank, -mt_rank};
    char bytes[8];
    MPI_Sendrecv(two, 2, MPI_INT, right, 7, bytes, 8, MPI_BYTE, left, 7, MPI_COMM_WORLD, &st);
    int cnt; MPI_Get_count(&st, MPI_BYTE, &cnt);
    int back[2]; memcpy(back, bytes, 8);
    CHECK(cnt == 8 && back[0] == left && back[1] == -left);
    return mt_finish("p2p_sendrecv");
}
