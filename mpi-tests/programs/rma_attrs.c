/* test: window names, keyvals and attributes (delete callback at free; the predefined base, size, disp unit, flavor, model), errhandlers (default fatal, ERRORS_RETURN, user handler, call_errhandler), error class of an erroneous Put, info */
/* ranks: 2 */
/* env: OMPI_MCA_btl_vader_single_copy_mechanism=cma */
#include "mt.h"

static int deleted, handled, handled_code;
static int del_fn(MPI_Win w, int kv, void *val, void *extra) {
    (void)w; (void)kv; (void)extra; deleted += *(int *)val; return MPI_SUCCESS;
}
static void eh_fn(MPI_Win *w, int *code, ...) { (void)w; handled++; handled_code = *code; }

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int buf[4];
    MPI_Win win;
    CHECK_MPI(MPI_Win_create(buf, sizeof buf, sizeof(int), MPI_INFO_NULL, MPI_COMM_WORLD, &win));
    char name[MPI_MAX_OBJECT_NAME]; int len = -1;
    CHECK_MPI(MPI_Win_get_name(win, name, &len)); /* empty under MPICH, "MPI_Win ..." natively under Open MPI 4.1 */
    CHECK(len >= 0);
    CHECK_MPI(MPI_Win_set_name(win, "halo window"));
    CHECK_MPI(MPI_Win_get_name(win, name, &len));
    CHECK(len == 11 && !strcmp(name, "halo window"));
    int kv, val = 5, *got, flag = 0;
    CHECK_MPI(MPI_Win_create_keyval(MPI_WIN_NULL_COPY_FN, del_fn, &kv, NULL));
    CHECK_MPI(MPI_Win_get_attr(win, kv, &got, &flag));
    CHECK(!flag);
    CHECK_MPI(MPI_Win_set_attr(win, kv, &val));
    CHECK_MPI(MPI_Win_get_attr(win, kv, &got, &flag));
    CHECK(flag && got == &val);
    int *model;
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_MODEL, &model, &flag));
    CHECK(flag && (*model == MPI_WIN_UNIFIED || *model == MPI_WIN_SEPARATE));
    void *base_attr; MPI_Aint *size_attr; int *unit_attr, *flavor;
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_BASE, &base_attr, &flag));
    CHECK(flag && base_attr == buf);
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_SIZE, &size_attr, &flag));
    CHECK(flag && *size_attr == (MPI_Aint)sizeof buf);
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_DISP_UNIT, &unit_attr, &flag));
    CHECK(flag && *unit_attr == (int)sizeof(int));
    CHECK_MPI(MPI_Win_get_attr(win, MPI_WIN_CREATE_FLAVOR, &flavor, &flag));
    CHECK(flag && *flavor == MPI_WIN_FLAVOR_CREATE);
#ifdef OPEN_MPI
    /* Fortran handles of windows: the MPICH face has no MPI_Win_c2f yet, the Open MPI face has */
    CHECK(MPI_Win_f2c(MPI_Win_c2f(win)) == win && MPI_Win_f2c(MPI_Win_c2f(MPI_WIN_NULL)) == MPI_WIN_NULL);
#endif
    MPI_Errhandler eh;
    CHECK_MPI(MPI_Win_get_errhandler(win, &eh));
    CHECK(eh == MPI_ERRORS_ARE_FATAL);
    CHECK_MPI(MPI_Win_set_errhandler(win, MPI_ERRORS_RETURN));
    CHECK_MPI(MPI_Win_fence(0, win));
    int rc = MPI_Put(buf, 1, MPI_INT, mt_size + 3, 0, 1, MPI_INT, win);
    int cls = -1;
    MPI_Error_class(rc, &cls);
    CHECK(rc != MPI_SUCCESS && cls == MPI_ERR_RANK);
    CHECK_MPI(MPI_Win_fence(0, win));
    MPI_Errhandler mine;
    CHECK_MPI(MPI_Win_create_errhandler(eh_fn, &mine));
    CHECK_MPI(MPI_Win_set_errhandler(win, mine));
    CHECK_MPI(MPI_Win_call_errhandler(win, MPI_ERR_OTHER));
    CHECK(handled == 1 && handled_code == MPI_ERR_OTHER);
    CHECK_MPI(MPI_Win_get_errhandler(win, &eh));
    CHECK(eh == mine);
    MPI_Errhandler_free(&mine);
    MPI_Info info;
    CHECK_MPI(MPI_Win_get_info(win, &info));
    CHECK(info != MPI_INFO_NULL);
    MPI_Info_free(&info);
    CHECK_MPI(MPI_Win_free(&win));
    CHECK(deleted == 5);
    CHECK_MPI(MPI_Win_free_keyval(&kv));
    CHECK(kv == MPI_KEYVAL_INVALID);
    mt_printf("name=%s rank_err=%d handled=%d deleted=%d", name, cls == MPI_ERR_RANK, handled, deleted);
    return mt_finish("rma_attrs");
}
