/* test: MPI_T tool interface invariants that hold for any implementation: init/finalize nest, counts are >= 0 and every index below a count is valid, the count itself and an unknown name are refused, pvar sessions, NOT_INITIALIZED after the last finalize */
/* ranks: 1 2 */
#include "mt.h"

int main(int argc, char **argv) {
    int provided = -1, n = -1, rc;
    CHECK(MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) == MPI_SUCCESS);
    CHECK(provided >= MPI_THREAD_SINGLE && provided <= MPI_THREAD_MULTIPLE);
    MPI_Init(&argc, &argv);
    mt_setup();
    CHECK(MPI_T_init_thread(MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS);
    CHECK(MPI_T_cvar_get_num(&n) == MPI_SUCCESS && n >= 0);
    for (int i = 0; i < n; i++) {
        char name[256], desc[1024]; int nl = sizeof name, dl = sizeof desc, verb, bind, scope;
        MPI_Datatype dt; MPI_T_enum en;
        CHECK(MPI_T_cvar_get_info(i, name, &nl, &verb, &dt, &en, desc, &dl, &bind, &scope) == MPI_SUCCESS);
    }
    char name[256], desc[1024]; int nl = sizeof name, dl = sizeof desc, verb, bind, scope, idx;
    MPI_Datatype dt; MPI_T_enum en;
    rc = MPI_T_cvar_get_info(n, name, &nl, &verb, &dt, &en, desc, &dl, &bind, &scope);
    CHECK(rc == MPI_T_ERR_INVALID_INDEX);
    CHECK(MPI_T_cvar_get_index("ckpt_mpi_no_such_variable", &idx) == MPI_T_ERR_INVALID_NAME);
    CHECK(MPI_T_pvar_get_num(&n) == MPI_SUCCESS && n >= 0);
    CHECK(MPI_T_category_get_num(&n) == MPI_SUCCESS && n >= 0);
    int stamp = -1;
    CHECK(MPI_T_category_changed(&stamp) == MPI_SUCCESS);
    MPI_T_pvar_session s1, s2;
    CHECK(MPI_T_pvar_session_create(&s1) == MPI_SUCCESS && MPI_T_pvar_session_create(&s2) == MPI_SUCCESS);
    CHECK(s1 != s2);
    CHECK(MPI_T_pvar_session_free(&s1) == MPI_SUCCESS && s1 == MPI_T_PVAR_SESSION_NULL);
    CHECK(MPI_T_pvar_session_free(&s2) == MPI_SUCCESS);
    CHECK(MPI_T_finalize() == MPI_SUCCESS);
    CHECK(MPI_T_cvar_get_num(&n) == MPI_SUCCESS); /* one init is still open */
    CHECK(MPI_T_finalize() == MPI_SUCCESS);
    CHECK(MPI_T_cvar_get_num(&n) == MPI_T_ERR_NOT_INITIALIZED);
    CHECK(MPI_T_finalize() == MPI_T_ERR_NOT_INITIALIZED);
    mt_printf("tools interface invariants hold\n");
    return mt_finish("tools_interface");
}
