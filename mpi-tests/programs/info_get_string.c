/* test: MPI-4 MPI_Info_get_string: required length with NUL, truncation, missing keys */
/* ranks: 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "color", "turquoise");
    char buf[64];
    int len = sizeof buf, flag = -1;
    CHECK_MPI(MPI_Info_get_string(info, "color", &len, buf, &flag));
    CHECK(flag == 1 && len == 10 && strcmp(buf, "turquoise") == 0);
    len = 0; flag = -1;
    CHECK_MPI(MPI_Info_get_string(info, "color", &len, buf, &flag));
    CHECK(flag == 1 && len == 10);
    char small[5];
    len = sizeof small;
    CHECK_MPI(MPI_Info_get_string(info, "color", &len, small, &flag));
    CHECK(flag == 1 && len == 10 && strcmp(small, "turq") == 0);
    len = sizeof buf; flag = -1;
    CHECK_MPI(MPI_Info_get_string(info, "shape", &len, buf, &flag));
    CHECK(flag == 0);
    MPI_Info_free(&info);
    mt_printf("info_get_string %s %d\n", small, mt_rank);
    return mt_finish("info_get_string");
}
