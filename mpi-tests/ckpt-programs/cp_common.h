/* What every cp_*.c shares: rank/size, CHECK, naps, hashing, deterministic work. */
#ifndef CP_COMMON_H
#define CP_COMMON_H
static int rank, size;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "rank %d: CHECK failed at %s:%d: %s\n", \
    rank, __FILE__, __LINE__, #c); fflush(stderr); MPI_Abort(MPI_COMM_WORLD, 1); exit(1); } } while (0)
#define MPICHK(call) CHECK((call) == MPI_SUCCESS)
static void nap(int ms) { usleep((useconds_t)ms * 1000); }
static uint64_t h64(uint64_t x) {           /* splitmix64 finaliser */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
static uint64_t fold(uint64_t acc, uint64_t v) { return h64(acc ^ h64(v)); }  /* order-dependent */
/* Deterministic CPU work (no MPI): about 1.6 ns per iteration here. */
static __attribute__((unused)) uint64_t spin(uint64_t iters, uint64_t x) {
    x |= 1;
    for (uint64_t i = 0; i < iters; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
    return x;
}
/* The only output: rank 0 prints, at the very end, NV values gathered from
 * every rank (so a restarted run prints exactly what an uninterrupted run does). */
static void report(const char *name, const uint64_t *v, int nv) {
    uint64_t *all = rank == 0 ? malloc(sizeof(uint64_t) * (size_t)nv * (size_t)size) : NULL;
    MPICHK(MPI_Gather((void *)v, nv, MPI_UINT64_T, all, nv, MPI_UINT64_T, 0, MPI_COMM_WORLD));
    if (rank == 0) {
        uint64_t total = 0;
        printf("%s np=%d\n", name, size);
        for (int r = 0; r < size; r++) {
            printf("rank %d", r);
            for (int k = 0; k < nv; k++) {
                printf(" %016llx", (unsigned long long)all[(size_t)r * nv + k]);
                total = fold(total, all[(size_t)r * nv + k]);
            }
            printf("\n");
        }
        printf("%s total %016llx\n", name, (unsigned long long)total);
        fflush(stdout);
        free(all);
    }
}
#endif
