/* Answers the standard fixes but the lower MPIs give differently (Open MPI 4.1
 * splits 72 nodes 12 x 6, maps every rank into a smaller topology, ...): the
 * face computes them itself so a program sees the same answers on both. */
#include <string.h>

#include "face_runtime.h"

/* Best balanced split of m into f factors, non-increasing: smallest spread
 * (largest minus smallest), then the larger smallest factors (MPICH's choice). */
static void dims_search(int m, int f, int maxf, int *cur, int depth, int *best, int *have)
{
    if (depth == f - 1) {
        if (m > maxf)
            return;
        cur[depth] = m;
        int spread = cur[0] - cur[f - 1];
        if (*have) {
            int bs = best[0] - best[f - 1];
            if (spread > bs)
                return;
            if (spread == bs) {
                int i = f - 1;
                while (i >= 0 && cur[i] == best[i])
                    i--;
                if (i < 0 || cur[i] < best[i])
                    return;
            }
        }
        for (int i = 0; i < f; i++)
            best[i] = cur[i];
        *have = 1;
        return;
    }
    for (int d = maxf < m ? maxf : m; d >= 1; d--) {
        if (m % d)
            continue;
        /* the remaining f - depth - 1 factors are <= d: d^(f-depth) >= m needed */
        long long p = 1;
        for (int i = depth; i < f && p < m; i++)
            p *= d;
        if (p < m)
            break;
        cur[depth] = d;
        dims_search(m / d, f, d, cur, depth + 1, best, have);
    }
}

/* MPICH's balanced split: the smallest spread, ties to the larger smallest factors. */
CKPT_EXPORT int PMPI_Dims_create(int nnodes, int ndims, int dims[])
{
    CKPT_ENTER();
    if (ndims < 0 || nnodes <= 0 || (ndims > 0 && !dims))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, ndims < 0 ? CKPT_MPI_ERR_DIMS : CKPT_MPI_ERR_ARG,
                               "MPI_Dims_create");
    long long fixed = 1;
    int nfree = 0;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] < 0)
            return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_DIMS, "MPI_Dims_create");
        if (dims[i] == 0)
            nfree++;
        else
            fixed *= dims[i];
    }
    if (fixed > nnodes || nnodes % fixed || (nfree == 0 && fixed != nnodes))
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_DIMS, "MPI_Dims_create");
    if (nfree == 0)
        return 0;
    int s1[CKPT_STACK_ARRAY], s2[CKPT_STACK_ARRAY];
    int *cur = nfree <= CKPT_STACK_ARRAY ? s1 : malloc(sizeof(int) * (size_t)nfree);
    int *best = nfree <= CKPT_STACK_ARRAY ? s2 : malloc(sizeof(int) * (size_t)nfree);
    if (!cur || !best) {
        if (cur != s1) free(cur);
        if (best != s2) free(best);
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_NO_MEM, "MPI_Dims_create");
    }
    int m = (int)(nnodes / fixed), have = 0;
    dims_search(m, nfree, m, cur, 0, best, &have);
    for (int i = 0, j = 0; i < ndims; i++)
        if (dims[i] == 0)
            dims[i] = best[j++];
    if (cur != s1) free(cur);
    if (best != s2) free(best);
    return 0;
}
CKPT_EXPORT int MPI_Dims_create(int, int, int[]) __attribute__((alias("PMPI_Dims_create")));

/* The identity map both MPIs' defaults amount to, with MPI_UNDEFINED for the ranks
 * beyond the topology (MPI-3.1 §7.5.8). */
static int map_rank(MPI_Comm comm, long long nodes, int *newrank, const char *fn)
{
    int size = 0, rank = 0, rc = PMPI_Comm_size(comm, &size);
    if (rc)
        return rc;
    if (nodes > size)
        return ckpt_face_error(comm, CKPT_MPI_ERR_DIMS, fn);
    if ((rc = PMPI_Comm_rank(comm, &rank)) != 0)
        return rc;
    *newrank = rank < nodes ? rank : CKPT_MPI_UNDEFINED;
    return 0;
}

CKPT_EXPORT int PMPI_Cart_map(MPI_Comm comm, int ndims, const int dims[], const int periods[], int *newrank)
{
    CKPT_ENTER();
    (void)periods;
    if (ndims < 0 || (ndims > 0 && !dims))
        return ckpt_face_error(comm, CKPT_MPI_ERR_DIMS, "MPI_Cart_map");
    long long nodes = 1;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] <= 0)
            return ckpt_face_error(comm, CKPT_MPI_ERR_DIMS, "MPI_Cart_map");
        nodes *= dims[i];
        if (nodes > (1LL << 40))
            return ckpt_face_error(comm, CKPT_MPI_ERR_DIMS, "MPI_Cart_map");
    }
    return map_rank(comm, nodes, newrank, "MPI_Cart_map");
}
CKPT_EXPORT int MPI_Cart_map(MPI_Comm, int, const int[], const int[], int *) __attribute__((alias("PMPI_Cart_map")));

CKPT_EXPORT int PMPI_Graph_map(MPI_Comm comm, int nnodes, const int index[], const int edges[], int *newrank)
{
    CKPT_ENTER();
    (void)index;
    (void)edges;
    if (nnodes < 0)
        return ckpt_face_error(comm, CKPT_MPI_ERR_ARG, "MPI_Graph_map");
    return map_rank(comm, nnodes, newrank, "MPI_Graph_map");
}
CKPT_EXPORT int MPI_Graph_map(MPI_Comm, int, const int[], const int[], int *) __attribute__((alias("PMPI_Graph_map")));

/* MPI-4.0 §7.4.2: MPI_COMM_TYPE_HW_GUIDED without the mpi_hw_resource_type hint
 * gives MPI_COMM_NULL; "mpi_shared_memory" is MPI_COMM_TYPE_SHARED. The call stays
 * collective: the lower half sees MPI_UNDEFINED. */
int face_split_type_hint(int split_type, MPI_Info info)
{
    if (split_type != CKPT_MPI_COMM_TYPE_HW_GUIDED)
        return split_type;
    char value[64];
    int flag = 0;
    if (info == CKPT_MPI_INFO_NULL || PMPI_Info_get(info, "mpi_hw_resource_type", (int)sizeof value - 1, value, &flag) ||
        !flag)
        return CKPT_MPI_UNDEFINED;
    return strcmp(value, "mpi_shared_memory") == 0 ? CKPT_MPI_COMM_TYPE_SHARED : split_type;
}
