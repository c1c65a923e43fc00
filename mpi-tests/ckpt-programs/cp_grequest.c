/* Desc: generalized requests pending across steps. Every step starts one (its extra state
 *       holds the step's value); a worker thread completes it after a nap (when
 *       MPI_THREAD_MULTIPLE is provided, else the main thread does, two steps later). The
 *       main thread exchanges a ring message per step and completes each generalized
 *       request with the ring receive of a later step: Waitall on both in one array, a
 *       Test polling loop, or a Waitany loop, by step. The query callback reports a count
 *       and tag from the extra state; free callbacks are counted.
 * Survives: generalized requests pending at the checkpoint (upper half only), completed
 *           after the restart by the application's thread; their callbacks and extra
 *           state; a thread blocked in nanosleep between MPI calls
 * Ranks: 2 3 4
 * Runtime: 5 s
 * Faces: mpich openmpi
 */
#include "cplib.h"
#include <pthread.h>
#define STEPS 24

struct job { int step, value, frees; MPI_Request req; int done; };
static struct job jobs[STEPS];
static int threaded;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started = 0;

static int query_fn(void *extra, MPI_Status *st)
{
    struct job *j = extra;
    MPI_Status_set_elements(st, MPI_BYTE, j->value % 97);
    MPI_Status_set_cancelled(st, 0);
    st->MPI_SOURCE = rank;
    st->MPI_TAG = j->step;
    return MPI_SUCCESS;
}
static int free_fn(void *extra) { ((struct job *)extra)->frees++; return MPI_SUCCESS; }
static int cancel_fn(void *extra, int complete) { (void)extra; (void)complete; return MPI_SUCCESS; }

/* Completes the requests in order, each about 100-200 ms after it started. */
static void *worker(void *arg) {
    (void)arg;
    for (int s = 0; s < STEPS; s++) {
        pthread_mutex_lock(&mu);
        while (started <= s) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        nap(100 + 40 * ((rank + s) % 3));
        jobs[s].value = (int)(h64((uint64_t)(rank * 100 + s)) % 100000);
        MPICHK(MPI_Grequest_complete(jobs[s].req));
    }
    return NULL;
}

int main(int argc, char **argv) {
    int provided = cp_init_thread(&argc, &argv, MPI_THREAD_MULTIPLE);
    threaded = provided >= MPI_THREAD_MULTIPLE;
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t v[3] = {0, 0, 0};
    pthread_t th;
    if (threaded) CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
    for (int s = 0; s < STEPS; s++) {
        jobs[s].step = s;
        MPICHK(MPI_Grequest_start(query_fn, free_fn, cancel_fn, &jobs[s], &jobs[s].req));
        pthread_mutex_lock(&mu);
        started = s + 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
        if (!threaded && s >= 2) {
            jobs[s - 2].value = (int)(h64((uint64_t)(rank * 100 + s - 2)) % 100000);
            MPICHK(MPI_Grequest_complete(jobs[s - 2].req));
        }
        int64_t tok = (int64_t)h64((uint64_t)(rank * 1000 + s)) >> 8, got = -1;
        MPI_Request rq[2];
        MPICHK(MPI_Irecv(&got, 1, MPI_INT64_T, left, s, MPI_COMM_WORLD, &rq[0]));
        MPICHK(MPI_Isend(&tok, 1, MPI_INT64_T, right, s, MPI_COMM_WORLD, &rq[1]));
        nap(30 + 30 * ((rank + s) % 3));
        MPICHK(MPI_Wait(&rq[1], MPI_STATUS_IGNORE));
        /* the generalized request of two steps ago, with this step's receive */
        int w = s - 2;
        MPI_Status st[2];
        if (w < 0) {
            MPICHK(MPI_Wait(&rq[0], MPI_STATUS_IGNORE));
        } else {
            MPI_Request pair[2] = {rq[0], jobs[w].req};
            int g = -1;
            if (s % 3 == 0) {
                MPICHK(MPI_Waitall(2, pair, st));
                g = 1;
            } else if (s % 3 == 1) {
                int flag = 0;
                MPICHK(MPI_Wait(&pair[0], MPI_STATUS_IGNORE));
                while (!flag) {
                    MPICHK(MPI_Test(&pair[1], &flag, &st[1]));
                    if (!flag) nap(3);
                }
                g = 1;
            } else {
                for (int k = 0; k < 2; k++) {
                    int idx = -1;
                    MPI_Status one;
                    MPICHK(MPI_Waitany(2, pair, &idx, &one));
                    CHECK(idx == 0 || idx == 1);
                    if (idx == 1) st[1] = one;
                }
                g = 1;
            }
            CHECK(pair[0] == MPI_REQUEST_NULL && pair[1] == MPI_REQUEST_NULL);
            int n = -1;
            MPI_Get_count(&st[g], MPI_BYTE, &n);
            CHECK(st[g].MPI_TAG == w && st[g].MPI_SOURCE == rank && n == jobs[w].value % 97);
            CHECK(jobs[w].frees == 1);
            v[1] = fold(v[1], (uint64_t)n);
        }
        CHECK(got == (int64_t)h64((uint64_t)(left * 1000 + s)) >> 8);
        v[0] = fold(v[0], (uint64_t)got);
    }
    /* the last two */
    if (!threaded)
        for (int s = STEPS - 2; s < STEPS; s++) {
            jobs[s].value = (int)(h64((uint64_t)(rank * 100 + s)) % 100000);
            MPICHK(MPI_Grequest_complete(jobs[s].req));
        }
    for (int s = STEPS - 2; s < STEPS; s++) {
        MPI_Status st;
        int n = -1;
        MPICHK(MPI_Wait(&jobs[s].req, &st));
        MPI_Get_count(&st, MPI_BYTE, &n);
        CHECK(n == jobs[s].value % 97 && st.MPI_TAG == s);
        v[1] = fold(v[1], (uint64_t)n);
    }
    if (threaded) pthread_join(th, NULL);
    int frees = 0;
    for (int s = 0; s < STEPS; s++) frees += jobs[s].frees;
    v[2] = (uint64_t)frees;
    return cp_finish("cp_grequest", v, 3);
}
