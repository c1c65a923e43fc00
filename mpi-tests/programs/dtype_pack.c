/* test: Pack/Unpack/Pack_size round-trip mixed data and MPI_PACKED messages unpack on the receiver */
/* ranks: 1 2 4 */
#include "mt.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    mt_setup();
    int r = mt_rank, n = mt_size;
    int ps1, ps2, ps3;
    MPI_Pack_size(3, MPI_INT, MPI_COMM_WORLD, &ps1);
    MPI_Pack_size(2, MPI_DOUBLE, MPI_COMM_WORLD, &ps2);
    MPI_Pack_size(5, MPI_CHAR, MPI_COMM_WORLD, &ps3);
    CHECK(ps1 >= 12 && ps2 >= 16 && ps3 >= 5);
    int cap = ps1 + ps2 + ps3;
    char *buf = malloc(cap), *rbuf = malloc(cap);
    int iv[3] = {r, r * r, -r}, pos = 0;
    double dv[2] = {r + 0.5, -r - 0.25};
    char cv[5] = "abcd";
    cv[0] += r;
    CHECK_MPI(MPI_Pack(iv, 3, MPI_INT, buf, cap, &pos, MPI_COMM_WORLD));
    CHECK(pos <= ps1);
    MPI_Pack(dv, 2, MPI_DOUBLE, buf, cap, &pos, MPI_COMM_WORLD);
    MPI_Pack(cv, 5, MPI_CHAR, buf, cap, &pos, MPI_COMM_WORLD);
    CHECK(pos <= cap);
    /* local round-trip */
    int i2[3]; double d2[2]; char c2[5]; int up = 0;
    MPI_Unpack(buf, pos, &up, i2, 3, MPI_INT, MPI_COMM_WORLD);
    MPI_Unpack(buf, pos, &up, d2, 2, MPI_DOUBLE, MPI_COMM_WORLD);
    MPI_Unpack(buf, pos, &up, c2, 5, MPI_CHAR, MPI_COMM_WORLD);
    CHECK(up == pos && memcmp(i2, iv, sizeof iv) == 0 && d2[1] == dv[1] && strcmp(c2, cv) == 0);
    /* send packed to the right, receive from the left, unpack */
    int right = (r + 1) % n, left = (r + n - 1) % n;
    MPI_Status st;
    MPI_Sendrecv(buf, pos, MPI_PACKED, right, 0, rbuf, cap, MPI_PACKED, left, 0, MPI_COMM_WORLD, &st);
    int got; MPI_Get_count(&st, MPI_PACKED, &got);
    CHECK(got == pos);
    up = 0;
    MPI_Unpack(rbuf, got, &up, i2, 3, MPI_INT, MPI_COMM_WORLD);
    MPI_Unpack(rbuf, got, &up, d2, 2, MPI_DOUBLE, MPI_COMM_WORLD);
    MPI_Unpack(rbuf, got, &up, c2, 5, MPI_CHAR, MPI_COMM_WORLD);
    CHECK(i2[0] == left && i2[1] == left * left && d2[0] == left + 0.5 && c2[0] == 'a' + left);
    /* pack a vector type, receive as contiguous ints */
    MPI_Datatype vt;
    MPI_Type_vector(4, 1, 3, MPI_INT, &vt); MPI_Type_commit(&vt);
    int src[12], dst[4], vps;
    for (int i = 0; i < 12; i++) src[i] = 10 * r + i;
    MPI_Pack_size(1, vt, MPI_COMM_WORLD, &vps);
    char *vb = malloc(vps); pos = 0;
    MPI_Pack(src, 1, vt, vb, vps, &pos, MPI_COMM_WORLD);
    MPI_Sendrecv(vb, pos, MPI_PACKED, right, 1, dst, 4, MPI_INT, left, 1, MPI_COMM_WORLD, &st);
    for (int i = 0; i < 4; i++) CHECK(dst[i] == 10 * left + 3 * i);
    /* receive contiguous into packed and unpack with the vector type */
    int back[12]; for (int i = 0; i < 12; i++) back[i] = -1;
    up = 0;
    MPI_Unpack(vb, pos, &up, back, 1, vt, MPI_COMM_WORLD);
    for (int i = 0; i < 12; i++) CHECK(back[i] == (i % 3 == 0 ? src[i] : -1));
    /* external32 round-trip */
    MPI_Aint esz, epos = 0, eup = 0;
    MPI_Pack_external_size("external32", 3, MPI_INT, &esz);
    CHECK(esz == 12);
    char ext[12]; int eback[3];
    MPI_Pack_external("external32", iv, 3, MPI_INT, ext, esz, &epos);
    CHECK(epos == 12 && (unsigned char)ext[3] == (unsigned char)(r & 0xff) && ext[0] == 0);
    MPI_Unpack_external("external32", ext, esz, &eup, eback, 3, MPI_INT);
    CHECK(memcmp(eback, iv, sizeof iv) == 0);
    mt_printf("from %d ints %d %d %d dbl %.2f %.2f str %s vec %d %d %d %d\n", left, i2[0], i2[1], i2[2], d2[0], d2[1], c2,
              dst[0], dst[1], dst[2], dst[3]);
    MPI_Type_free(&vt); free(buf); free(rbuf); free(vb);
    return mt_finish("dtype_pack");
}
