/* test: Probe/Iprobe with ANY_SOURCE/ANY_TAG report correct status fields, Get_count and Get_elements */
/* ranks: 2 4 */
#include "mt.h"

typedef struct { int i; double d; } pair_t;

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Status st;
    if (mt_rank != 0) {
        /* each non-root sends rank+3 ints with tag 100+rank, then a struct msg */
        int n = mt_rank + 3, buf[16];
        for (int i = 0; i < n; i++) buf[i] = mt_rank * 10 + i;
        MPI_Send(buf, n, MPI_INT, 0, 100 + mt_rank, MPI_COMM_WORLD);
    } else {
        long sum = 0;
        for (int k = 1; k < mt_size; k++) {
            CHECK_MPI(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st));
            int src = st.MPI_SOURCE, cnt = -1;
            CHECK(src >= 1 && src < mt_size && st.MPI_TAG == 100 + src);
            MPI_Get_count(&st, MPI_INT, &cnt);
            CHECK(cnt == src + 3);
            int buf[16];
            MPI_Recv(buf, 16, MPI_INT, src, st.MPI_TAG, MPI_COMM_WORLD, &st);
            for (int i = 0; i < cnt; i++) { CHECK(buf[i] == src * 10 + i); sum += buf[i]; }
        }
        printf("probe-sum %ld\n", sum);
    }
    MPI_Barrier(MPI_COMM_WORLD);

    /* Iprobe for a message that does not exist yet must say flag=0 */
    int flag = 1;
    MPI_Iprobe(MPI_ANY_SOURCE, 999, MPI_COMM_WORLD, &flag, &st);
    CHECK(flag == 0);
    MPI_Barrier(MPI_COMM_WORLD);

    /* derived type: Get_count vs Get_elements on partial messages */
    MPI_Datatype pt;
    int bl[2] = {1, 1};
    MPI_Aint disp[2] = {offsetof(pair_t, i), offsetof(pair_t, d)};
    MPI_Datatype ty[2] = {MPI_INT, MPI_DOUBLE};
    MPI_Type_create_struct(2, bl, disp, ty, &pt);
    MPI_Type_commit(&pt);
    if (mt_rank == 1) {
        pair_t p[3] = {{1, 1.5}, {2, 2.5}, {3, 3.5}};
        MPI_Send(p, 3, pt, 0, 7, MPI_COMM_WORLD);
        /* 2 ints + 1 double = partial 3rd element when received as pt */
        char raw[2 * sizeof(int) + sizeof(double)];
        int pos = 0, i1 = 9, i2 = 8; double d1 = 7.25;
        MPI_Pack(&i1, 1, MPI_INT, raw, sizeof raw, &pos, MPI_COMM_WORLD);
        MPI_Pack(&d1, 1, MPI_DOUBLE, raw, sizeof raw, &pos, MPI_COMM_WORLD);
        MPI_Pack(&i2, 1, MPI_INT, raw, sizeof raw, &pos, MPI_COMM_WORLD);
        MPI_Send(raw, pos, MPI_PACKED, 0, 8, MPI_COMM_WORLD);
    } else if (mt_rank == 0) {
        int fl = 0;
        do { MPI_Iprobe(1, 7, MPI_COMM_WORLD, &fl, &st); } while (!fl);
        CHECK(st.MPI_SOURCE == 1 && st.MPI_TAG == 7);
        pair_t p[3];
        MPI_Recv(p, 3, pt, 1, 7, MPI_COMM_WORLD, &st);
        int c, e;
        MPI_Get_count(&st, pt, &c);
        MPI_Get_elements(&st, pt, &e);
        CHECK(c == 3 && e == 6 && p[2].i == 3 && p[2].d == 3.5);
        printf("struct count %d elements %d\n", c, e);
        pair_t q[2];
        MPI_Recv(q, 2, pt, 1, 8, MPI_COMM_WORLD, &st);
        MPI_Get_count(&st, pt, &c);
        MPI_Get_elements(&st, pt, &e);
        CHECK(c == MPI_UNDEFINED && e == 3 && q[0].i == 9 && q[0].d == 7.25 && q[1].i == 8);
        printf("partial count-undefined %d elements %d\n", c == MPI_UNDEFINED, e);
    }
    MPI_Type_free(&pt);
    return mt_finish("p2p_probe");
}
