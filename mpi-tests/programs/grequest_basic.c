/* test: generalized requests (Grequest_start/complete) alone and mixed with Isend/Irecv in one array:
 * Wait, Test, Waitall, Waitany, Waitsome, Testall, Testany, Testsome, Request_get_status, Cancel,
 * Request_free; the query callback's status (Status_set_elements_x, Status_set_cancelled, source, tag) */
/* ranks: 1 2 4 */
#include "mt.h"

struct gr { int id, queries, frees, cancels, cancel_complete; };

static int query_fn(void *extra, MPI_Status *st)
{
    struct gr *g = extra;
    g->queries++;
    MPI_Status_set_elements_x(st, MPI_INT, (MPI_Count)(g->id + 1));
    MPI_Status_set_cancelled(st, g->cancels > 0);
    st->MPI_SOURCE = g->id;
    st->MPI_TAG = 100 + g->id;
    return MPI_SUCCESS;
}

static int free_fn(void *extra) { ((struct gr *)extra)->frees++; return MPI_SUCCESS; }

static int cancel_fn(void *extra, int complete)
{
    struct gr *g = extra;
    g->cancels++;
    g->cancel_complete = complete;
    return MPI_SUCCESS;
}

static long check_status(const MPI_Status *st, const struct gr *g)
{
    int n = -1, c = -1;
    MPI_Get_count(st, MPI_INT, &n);
    MPI_Test_cancelled(st, &c);
    CHECK(n == g->id + 1 && st->MPI_SOURCE == g->id && st->MPI_TAG == 100 + g->id && c == (g->cancels > 0));
    return n;
}

#define NG 8

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int n = mt_size, r = mt_rank;
    struct gr g[NG];
    MPI_Request q[NG];
    for (int i = 0; i < NG; i++) {
        g[i] = (struct gr){i, 0, 0, 0, 0};
        CHECK_MPI(MPI_Grequest_start(query_fn, free_fn, cancel_fn, &g[i], &q[i]));
    }
    long sum = 0;
    MPI_Status st;
    int flag = 1, idx = -1;
    /* Test and Request_get_status: not yet, then yes (get_status keeps it) */
    CHECK_MPI(MPI_Test(&q[0], &flag, &st));
    CHECK(!flag && q[0] != MPI_REQUEST_NULL);
    MPI_Request_get_status(q[0], &flag, &st);
    CHECK(!flag);
    MPI_Grequest_complete(q[0]);
    MPI_Request_get_status(q[0], &flag, &st);
    CHECK(flag && q[0] != MPI_REQUEST_NULL && g[0].queries == 1 && g[0].frees == 0);
    sum += check_status(&st, &g[0]);
    CHECK_MPI(MPI_Test(&q[0], &flag, &st));
    CHECK(flag && q[0] == MPI_REQUEST_NULL && g[0].frees == 1);
    sum += check_status(&st, &g[0]);
    /* Wait on a complete one; Cancel before completion is seen by query */
    MPI_Cancel(&q[1]);
    CHECK(g[1].cancels == 1 && g[1].cancel_complete == 0);
    MPI_Grequest_complete(q[1]);
    CHECK_MPI(MPI_Wait(&q[1], &st));
    sum += check_status(&st, &g[1]);
    /* mixed with point-to-point: Testall says no while a greq is open, Waitall after it completes */
    int sv = r, rv = -1;
    MPI_Request mix[4];
    MPI_Irecv(&rv, 1, MPI_INT, (r + n - 1) % n, 3, MPI_COMM_WORLD, &mix[0]);
    mix[1] = q[2];
    MPI_Isend(&sv, 1, MPI_INT, (r + 1) % n, 3, MPI_COMM_WORLD, &mix[2]);
    mix[3] = MPI_REQUEST_NULL;
    MPI_Status sts[4];
    CHECK_MPI(MPI_Testall(4, mix, &flag, sts));
    CHECK(!flag && mix[1] != MPI_REQUEST_NULL);
    MPI_Grequest_complete(q[2]);
    CHECK_MPI(MPI_Waitall(4, mix, sts));
    CHECK(rv == (r + n - 1) % n && mix[1] == MPI_REQUEST_NULL && g[2].frees == 1);
    sum += check_status(&sts[1], &g[2]);
    /* Testany / Waitany: only the completed greq comes back */
    MPI_Request any[3] = {q[3], q[4], MPI_REQUEST_NULL};
    CHECK_MPI(MPI_Testany(3, any, &idx, &flag, &st));
    CHECK(!flag);
    MPI_Grequest_complete(q[4]);
    CHECK_MPI(MPI_Waitany(3, any, &idx, &st));
    CHECK(idx == 1 && any[1] == MPI_REQUEST_NULL);
    sum += check_status(&st, &g[4]);
    MPI_Grequest_complete(q[3]);
    CHECK_MPI(MPI_Testany(3, any, &idx, &flag, &st));
    CHECK(flag && idx == 0);
    sum += check_status(&st, &g[3]);
    CHECK_MPI(MPI_Testany(3, any, &idx, &flag, &st));
    CHECK(flag && idx == MPI_UNDEFINED);
    /* Testsome / Waitsome with a receive (which may complete at any time) */
    MPI_Request some[3];
    int out = -1, ind[3], got = 0, recvd = 0;
    rv = -1;
    MPI_Irecv(&rv, 1, MPI_INT, (r + n - 1) % n, 4, MPI_COMM_WORLD, &some[0]);
    some[1] = q[5];
    some[2] = q[6];
    MPI_Send(&sv, 1, MPI_INT, (r + 1) % n, 4, MPI_COMM_WORLD);
    CHECK_MPI(MPI_Testsome(3, some, &out, ind, sts));
    CHECK(out == 0 || (out == 1 && ind[0] == 0));
    recvd += out;
    MPI_Grequest_complete(q[6]);
    while (some[2] != MPI_REQUEST_NULL) {
        CHECK_MPI(MPI_Waitsome(3, some, &out, ind, sts));
        for (int k = 0; k < out; k++) {
            CHECK(ind[k] != 1);
            if (ind[k] == 2) sum += check_status(&sts[k], &g[6]);
            else recvd++;
        }
    }
    MPI_Grequest_complete(q[5]);
    while (got < 1) {
        CHECK_MPI(MPI_Waitsome(3, some, &out, ind, sts));
        CHECK(out != MPI_UNDEFINED);
        for (int k = 0; k < out; k++) {
            if (ind[k] == 1) { sum += check_status(&sts[k], &g[5]); got++; }
            else recvd++;
        }
    }
    if (!recvd) MPI_Wait(&some[0], MPI_STATUS_IGNORE);
    CHECK(rv == (r + n - 1) % n);
    /* Request_free before completion (free_fn runs by Grequest_complete at the latest) */
    MPI_Request keep = q[7];
    MPI_Request_free(&q[7]);
    CHECK(q[7] == MPI_REQUEST_NULL);
    MPI_Grequest_complete(keep);
    CHECK(g[7].frees == 1);
    int queries = 0, frees = 0;
    for (int i = 0; i < NG; i++) {
        if (i != 7) queries += g[i].queries;
        frees += g[i].frees;
    }
    mt_printf("sum %ld queries %d frees %d cancel %d/%d\n", sum, queries, frees, g[1].cancels, g[1].cancel_complete);
    return mt_finish("grequest_basic");
}
