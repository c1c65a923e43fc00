/* Desc: two threads, only the main thread calls MPI (MPI_THREAD_FUNNELED). A
 *       pthread computes chunks into shared memory (compute + pauses, no MPI); the
 *       main thread waits on a condition variable for each chunk, sends it to its
 *       right neighbour, receives the left neighbour's chunk, and every fifth
 *       chunk joins an Allreduce.
 * Survives: a second pthread computing outside MPI, a condition-variable wait,
 *           MPI_THREAD_FUNNELED
 * Ranks: 2 3 4
 * Runtime: 6 s
 */
#include "cplib.h"
#include <pthread.h>
#define NCH 28
#define CHLEN 64

static uint64_t chunks[NCH][CHLEN];
static int ready = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *worker(void *arg) {
    (void)arg;
    for (int c = 0; c < NCH; c++) {
        uint64_t x = (uint64_t)(rank * 1000 + c + 1);
        for (int i = 0; i < CHLEN; i++) {
            x = spin(200000 + (uint64_t)(i % 7) * 1000, x);
            chunks[c][i] = x;
        }
        nap(60 + 20 * ((rank + c) % 4));
        pthread_mutex_lock(&mu);
        ready = c + 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int provided = cp_init_thread(&argc, &argv, MPI_THREAD_FUNNELED);
    CHECK(provided >= MPI_THREAD_FUNNELED);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    uint64_t v[3] = {0, 0, 0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
    for (int c = 0; c < NCH; c++) {
        pthread_mutex_lock(&mu);
        while (ready <= c) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        uint64_t in[CHLEN];
        MPI_Request rq[2];
        MPICHK(MPI_Irecv(in, CHLEN, MPI_UINT64_T, left, c, MPI_COMM_WORLD, &rq[0]));
        MPICHK(MPI_Isend(chunks[c], CHLEN, MPI_UINT64_T, right, c, MPI_COMM_WORLD, &rq[1]));
        MPICHK(MPI_Waitall(2, rq, MPI_STATUSES_IGNORE));
        uint64_t x = (uint64_t)(left * 1000 + c + 1);
        for (int i = 0; i < CHLEN; i++) {
            x = spin(200000 + (uint64_t)(i % 7) * 1000, x);
            CHECK(in[i] == x);
            v[0] = fold(v[0], in[i]);
        }
        v[1] = fold(v[1], chunks[c][CHLEN - 1]);
        if (c % 5 == 4) {
            uint64_t s = chunks[c][0] >> 8, t = 0;
            MPICHK(MPI_Allreduce(&s, &t, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD));
            v[2] = fold(v[2], t);
        }
    }
    CHECK(pthread_join(th, NULL) == 0);
    return cp_finish("cp_thread_funneled", v, 3);
}
