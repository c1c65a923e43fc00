/* test: MPI-4 info objects before MPI_Init: create, set, delete, dup, free and every query,
 * then the same objects used after MPI_Init (Info_get, Comm_dup_with_info) and freed */
/* ranks: 1 2 */
#include "mt.h"

static char early[8][MT_LINE];
static int nearly;
#define NOTE(...) snprintf(early[nearly++], MT_LINE, __VA_ARGS__)

int main(int argc, char **argv) {
    MPI_Info info, copy, gone;
    char v[64], k[MPI_MAX_INFO_KEY + 1];
    int flag = -1, n = -1, len = -1;
    if (MPI_Info_create(&info) != MPI_SUCCESS) return 2;
    if (MPI_Info_set(info, "alpha", "one") || MPI_Info_set(info, "beta", "two")
        || MPI_Info_set(info, "gamma", "three") || MPI_Info_set(info, "beta", "TWO")) return 3;
    if (MPI_Info_delete(info, "gamma")) return 4;
    MPI_Info_get_nkeys(info, &n);
    NOTE("nkeys %d", n);
    for (int i = 0; i < n; i++) {
        MPI_Info_get_nthkey(info, i, k);
        MPI_Info_get(info, k, sizeof v - 1, v, &flag);
        NOTE("key %d %.40s=%.40s flag=%d", i, k, v, flag);
    }
    MPI_Info_get_valuelen(info, "alpha", &len, &flag);
    NOTE("valuelen alpha %d flag=%d", len, flag);
    MPI_Info_get(info, "gamma", sizeof v - 1, v, &flag);
    NOTE("gamma flag=%d", flag);
    int buflen = 3;
#if MPI_VERSION >= 4
    MPI_Info_get_string(info, "beta", &buflen, v, &flag);
#else
    /* Open MPI 4.1's mpi.h lacks it: the same answer from the MPI-3 calls */
    MPI_Info_get_valuelen(info, "beta", &len, &flag);
    MPI_Info_get(info, "beta", buflen - 1, v, &flag);
    buflen = len + 1;
#endif
    NOTE("get_string beta %s buflen=%d flag=%d", v, buflen, flag);
    MPI_Info_dup(info, &copy);
    MPI_Info_set(copy, "delta", "four");
    MPI_Info_create(&gone);
    MPI_Info_set(gone, "x", "y");
    MPI_Info_free(&gone);
    NOTE("freed null=%d", gone == MPI_INFO_NULL);

    MPI_Init(&argc, &argv);
    mt_setup();
    for (int i = 0; i < nearly; i++) mt_printf("before %s", early[i]);
    MPI_Info_get(info, "beta", sizeof v - 1, v, &flag);
    mt_printf("after beta=%s flag=%d", v, flag);
    MPI_Info_get_nkeys(copy, &n);
    MPI_Info_get(copy, "delta", sizeof v - 1, v, &flag);
    mt_printf("after copy nkeys %d delta=%s flag=%d", n, v, flag);
    MPI_Info_set(info, "epsilon", "five");
    MPI_Info_get(info, "epsilon", sizeof v - 1, v, &flag);
    mt_printf("after set epsilon=%s flag=%d", v, flag);
    MPI_Comm dup;
    CHECK_MPI(MPI_Comm_dup_with_info(MPI_COMM_WORLD, info, &dup));
    int sum = 0, one = 1;
    CHECK_MPI(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, dup));
    CHECK(sum == mt_size);
    mt_printf("dup_with_info allreduce %d", sum);
    CHECK_MPI(MPI_Comm_free(&dup));
    CHECK_MPI(MPI_Info_free(&info));
    CHECK_MPI(MPI_Info_free(&copy));
    CHECK(info == MPI_INFO_NULL && copy == MPI_INFO_NULL);
    return mt_finish("env_info_before_init");
}
