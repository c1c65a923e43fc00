#include "cplib.h"
#include <unistd.h>

int rank, size;

void cp_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "rank %d: CHECK failed at %s:%d: %s\n", rank, file, line, what);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

static void world(void)
{
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(size >= 2 && size <= 64);
}

void cp_init(int *argc, char ***argv)
{
    MPI_Init(argc, argv);
    world();
}

int cp_init_thread(int *argc, char ***argv, int required)
{
    int provided = 0;
    MPI_Init_thread(argc, argv, required, &provided);
    world();
    return provided;
}

void nap(int ms) { usleep((useconds_t)ms * 1000); }

uint64_t h64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t fold(uint64_t acc, uint64_t v) { return h64(acc ^ h64(v)); }

uint64_t spin(uint64_t iters, uint64_t x)
{
    x |= 1;
    for (uint64_t i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

void cp_scratch_path(char *buf, size_t cap, const char *name, const char *ext)
{
    static int id;
    if (!id) {
        id = (int)getpid();
        MPICHK(MPI_Bcast(&id, 1, MPI_INT, 0, MPI_COMM_WORLD));
    }
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/%s.%d.%s", dir && *dir ? dir : ".", name, id, ext);
}

int cp_finish(const char *name, const uint64_t *v, int nv)
{
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
    MPI_Finalize();
    return 0;
}
