/* test: Info create/set/get/get_valuelen/get_nkeys/get_nthkey/delete/dup/free and MPI_INFO_ENV presence */
/* ranks: 1 2 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Info in, dup;
    char v[MPI_MAX_INFO_VAL + 1], k[MPI_MAX_INFO_KEY + 1];
    int flag, nk, len;
    CHECK_MPI(MPI_Info_create(&in));
    MPI_Info_get_nkeys(in, &nk); CHECK(nk == 0);
    MPI_Info_set(in, "alpha", "1");
    MPI_Info_set(in, "beta", "two words");
    MPI_Info_set(in, "gamma", "x");
    MPI_Info_set(in, "alpha", "one");                     /* overwrite, no new key */
    MPI_Info_get_nkeys(in, &nk); CHECK(nk == 3);
    MPI_Info_get(in, "alpha", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strcmp(v, "one") == 0);
    MPI_Info_get_valuelen(in, "beta", &len, &flag);
    CHECK(flag && len == 9);
    MPI_Info_get_valuelen(in, "nosuch", &len, &flag);
    CHECK(!flag);
    MPI_Info_get(in, "nosuch", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(!flag);
    /* (a truncating Info_get with valuelen < value length is not tested:
     *  MPICH 4.0.2 raises an error there, Open MPI truncates) */
    MPI_Info_get(in, "beta", 9, v, &flag);
    CHECK(flag && strcmp(v, "two words") == 0);
    /* nthkey iterates all keys (order: insertion order in practice, check as a set) */
    int seen = 0;
    for (int i = 0; i < nk; i++) {
        MPI_Info_get_nthkey(in, i, k);
        if (!strcmp(k, "alpha")) seen |= 1;
        else if (!strcmp(k, "beta")) seen |= 2;
        else if (!strcmp(k, "gamma")) seen |= 4;
    }
    CHECK(seen == 7);
    CHECK_MPI(MPI_Info_dup(in, &dup));
    MPI_Info_delete(in, "gamma");
    MPI_Info_get_nkeys(in, &nk); CHECK(nk == 2);
    int dnk; MPI_Info_get_nkeys(dup, &dnk); CHECK(dnk == 3);   /* dup is independent */
    MPI_Info_get(dup, "gamma", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(flag && strcmp(v, "x") == 0);
    MPI_Info_set(dup, "delta", "4");
    MPI_Info_get(in, "delta", MPI_MAX_INFO_VAL, v, &flag);
    CHECK(!flag);
    /* long values near the limit */
    char longv[200]; memset(longv, 'z', 199); longv[199] = 0;
    MPI_Info_set(in, "long", longv);
    MPI_Info_get_valuelen(in, "long", &len, &flag);
    CHECK(flag && len == 199);
    MPI_Info_get_nkeys(dup, &dnk);
    CHECK_MPI(MPI_Info_free(&in)); CHECK_MPI(MPI_Info_free(&dup));
    CHECK(in == MPI_INFO_NULL && dup == MPI_INFO_NULL);
    /* MPI_INFO_ENV exists and can be queried (contents are launcher specific) */
    int envk = -1;
    CHECK_MPI(MPI_Info_get_nkeys(MPI_INFO_ENV, &envk));
    CHECK(envk >= 0);
    /* info on a communicator: get_info returns a new object to free */
    MPI_Info ci;
    CHECK_MPI(MPI_Comm_get_info(MPI_COMM_WORLD, &ci));
    CHECK(ci != MPI_INFO_NULL);
    MPI_Info_free(&ci);
    if (mt_rank == 0) printf("info keys-after-delete %d dup-keys %d beta-len 9 long-len %d\n", nk, dnk, len);
    return mt_finish("info_obj");
}
