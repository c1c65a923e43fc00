/* test: Init_thread/Initialized/Finalized/Query_thread/Is_thread_main/version/wtime/wtick/processor name behave as specified */
/* ranks: 1 2 4 */
#include "mt.h"
#include <unistd.h>

int main(int argc, char **argv) {
    int flag = -1, provided = -1, q = -1, main_t = -1;
    MPI_Initialized(&flag);
    CHECK(flag == 0);
    MPI_Finalized(&flag);
    CHECK(flag == 0);
    int req = MPI_THREAD_FUNNELED;
    CHECK_MPI(MPI_Init_thread(&argc, &argv, req, &provided));
    mt_setup();
    MPI_Initialized(&flag);
    CHECK(flag == 1);
    MPI_Finalized(&flag);
    CHECK(flag == 0);
    /* level ordering is fixed by the standard */
    CHECK(MPI_THREAD_SINGLE < MPI_THREAD_FUNNELED);
    CHECK(MPI_THREAD_FUNNELED < MPI_THREAD_SERIALIZED);
    CHECK(MPI_THREAD_SERIALIZED < MPI_THREAD_MULTIPLE);
    CHECK(provided >= MPI_THREAD_SINGLE && provided <= MPI_THREAD_MULTIPLE);
    CHECK_MPI(MPI_Query_thread(&q));
    CHECK(q == provided);
    CHECK_MPI(MPI_Is_thread_main(&main_t));
    CHECK(main_t == 1);

    char name[MPI_MAX_PROCESSOR_NAME];
    int len = -1;
    CHECK_MPI(MPI_Get_processor_name(name, &len));
    CHECK(len > 0 && len < MPI_MAX_PROCESSOR_NAME && (int)strlen(name) == len);

    int ver = 0, sub = -1;
    CHECK_MPI(MPI_Get_version(&ver, &sub));
    CHECK(ver == MPI_VERSION && sub == MPI_SUBVERSION);
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int liblen = -1;
    int lrc = MPI_Get_library_version(lib, &liblen);

    double t0 = MPI_Wtime(), tick = MPI_Wtick();
    CHECK(tick > 0.0 && tick < 1.0);
    usleep(20000);
    double t1 = MPI_Wtime();
    CHECK(t1 - t0 >= 0.015 && t1 - t0 < 30.0);

    if (mt_rank == 0) {
        printf("thread provided>=requested %d\n", provided >= req);
        printf("is_thread_main %d\n", main_t);
        printf("version>=3 %d\n", ver >= 3);
        printf("library_version success %d nonempty %d\n", lrc == MPI_SUCCESS, liblen > 0);
        printf("wtick positive 1 wtime advances 1\n");
    }
    mt_report_sum("processor-name-ok-ranks", 1);
    int r = mt_rank;
    MPI_Barrier(MPI_COMM_WORLD);
    if (r == 0) printf("env_init_thread OK\n");
    CHECK_MPI(MPI_Finalize());
    MPI_Finalized(&flag);
    if (flag != 1) { fprintf(stderr, "finalized flag wrong\n"); return 1; }
    MPI_Initialized(&flag);
    if (flag != 1) { fprintf(stderr, "initialized flag wrong after finalize\n"); return 1; }
    if (r == 0) printf("finalized-after 1 initialized-after 1\n");
    return 0;
}
