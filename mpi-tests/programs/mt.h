/* Shared helpers for the ckpt-mpi conformance programs (header only). */
#ifndef MT_H
#define MT_H
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <stdarg.h>
#include <unistd.h>

static int mt_rank = -1, mt_size = 0;

/* Call right after MPI_Init*: caches rank/size, makes stdout line buffered. */
static inline void mt_setup(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    MPI_Comm_rank(MPI_COMM_WORLD, &mt_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mt_size);
}

/* A number the same on every rank and unique to this run (rank 0's pid): names scratch files. */
static inline int mt_job_id(void) {
    int id = (int)getpid();
    MPI_Bcast(&id, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return id;
}

#define CHECK(c) do { if (!(c)) { \
    fprintf(stderr, "rank %d: CHECK failed %s:%d: %s\n", mt_rank, __FILE__, __LINE__, #c); \
    fflush(stderr); MPI_Abort(MPI_COMM_WORLD, 1); exit(1); } } while (0)

#define CHECK_MPI(call) CHECK((call) == MPI_SUCCESS)

/* Collective over MPI_COMM_WORLD: every rank formats one line, rank 0 prints
 * them in rank order prefixed with "rank N ". (Launchers may interleave
 * output of different ranks mid-line, so only rank 0 ever writes stdout.) */
#define MT_LINE 256
static inline void mt_printf(const char *fmt, ...) {
    char line[MT_LINE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *all = mt_rank == 0 ? malloc((size_t)MT_LINE * mt_size) : NULL;
    MPI_Gather(line, MT_LINE, MPI_CHAR, all, MT_LINE, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (mt_rank == 0) {
        for (int i = 0; i < mt_size; i++) {
            char *l = all + (size_t)i * MT_LINE;
            size_t n = strlen(l);
            printf("rank %d %s%s", i, l, (n && l[n - 1] == '\n') ? "" : "\n");
        }
        free(all);
    }
}

/* Rank 0 prints "label value" after summing a per-rank long over the world. */
static inline void mt_report_sum(const char *label, long v) {
    long s = 0;
    MPI_Reduce(&v, &s, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (mt_rank == 0) printf("%s %ld\n", label, s);
}

/* Ends the program: all ranks agree, rank 0 prints the final OK line. */
static inline int mt_finish(const char *name) {
    MPI_Barrier(MPI_COMM_WORLD);
    if (mt_rank == 0) printf("%s OK np=%d\n", name, mt_size);
    MPI_Finalize();
    return 0;
}
#endif
