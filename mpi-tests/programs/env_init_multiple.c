/* test: Init_thread(MULTIPLE): report provided>=requested; if MULTIPLE is granted, two threads communicate concurrently on separate comms */
/* ranks: 1 2 4 */
#include "mt.h"
#include <pthread.h>

typedef struct { MPI_Comm comm; int id; long sum; } targ_t;

static void *worker(void *p) {
    targ_t *a = p;
    int r, n; MPI_Comm_rank(a->comm, &r); MPI_Comm_size(a->comm, &n);
    for (int it = 0; it < 200; it++) {
        int v = r * 1000 + it + a->id * 7, g = -1;
        MPI_Sendrecv(&v, 1, MPI_INT, (r + 1) % n, it, &g, 1, MPI_INT, (r + n - 1) % n, it, a->comm, MPI_STATUS_IGNORE);
        if (g != ((r + n - 1) % n) * 1000 + it + a->id * 7) { a->sum = -1; return NULL; }
        a->sum += g;
    }
    return NULL;
}

int main(int argc, char **argv) {
    int provided = -1;
    CHECK_MPI(MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided));
    mt_setup();
    int q; MPI_Query_thread(&q);
    CHECK(q == provided);
    int ok = provided >= MPI_THREAD_MULTIPLE;
    if (mt_rank == 0) printf("provided>=MULTIPLE %d\n", ok);
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (all) {
        targ_t t[2];
        pthread_t th[2];
        for (int i = 0; i < 2; i++) { MPI_Comm_dup(MPI_COMM_WORLD, &t[i].comm); t[i].id = i; t[i].sum = 0; }
        for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, worker, &t[i]);
        for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
        int ism; MPI_Is_thread_main(&ism); CHECK(ism == 1);
        CHECK(t[0].sum >= 0 && t[1].sum >= 0);
        mt_printf("thread sums %ld %ld\n", t[0].sum, t[1].sum);
        for (int i = 0; i < 2; i++) MPI_Comm_free(&t[i].comm);
    }
    return mt_finish("env_init_multiple");
}
