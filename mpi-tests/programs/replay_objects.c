/* test: objects made before a barrier (comms from split/dup/cart/create, groups, derived datatypes, user ops, info, attributes, names) work after it, also when ckpt-mpi rebuilds them all from its record there */
/* ranks: 1 2 4 */
#include "mt.h"

static void absmax(void *in, void *inout, int *len, MPI_Datatype *t)
{
    int *a = in, *b = inout;
    (void)t;
    for (int i = 0; i < *len; i++) {
        int x = a[i] < 0 ? -a[i] : a[i], y = b[i] < 0 ? -b[i] : b[i];
        b[i] = x > y ? a[i] : b[i];
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    mt_setup();
    MPI_Comm half, dup, cart, even, freed_parent_child;
    MPI_Comm_split(MPI_COMM_WORLD, mt_rank % 2, -mt_rank, &half);
    MPI_Comm_dup(half, &dup);
    MPI_Comm_set_name(dup, "dup-of-half");
    int dims[1] = {0}, periods[1] = {1};
    MPI_Dims_create(mt_size, 1, dims);
    MPI_Cart_create(MPI_COMM_WORLD, 1, dims, periods, 0, &cart);
    MPI_Group world, evens;
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    int ranks[64], n = 0;
    for (int r = 0; r < mt_size; r += 2) ranks[n++] = r;
    MPI_Group_incl(world, n, ranks, &evens);
    MPI_Comm_create(MPI_COMM_WORLD, evens, &even);
    /* A parent freed while its child lives: replay must rebuild it, then free it again. */
    MPI_Comm parent;
    MPI_Comm_dup(MPI_COMM_WORLD, &parent);
    MPI_Comm_split(parent, 0, mt_rank, &freed_parent_child);
    MPI_Comm_free(&parent);
    MPI_Datatype vec, pair, resized;
    MPI_Type_vector(3, 2, 4, MPI_INT, &vec);
    MPI_Type_commit(&vec);
    int bl[2] = {1, 1};
    MPI_Aint disp[2] = {0, 8};
    MPI_Datatype types[2] = {MPI_INT, MPI_DOUBLE};
    MPI_Type_create_struct(2, bl, disp, types, &pair);
    MPI_Type_create_resized(pair, 0, 16, &resized);
    MPI_Type_commit(&resized);
    MPI_Op op;
    MPI_Op_create(absmax, 1, &op);
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "color", "blue");
    int kv;
    MPI_Comm_create_keyval(MPI_COMM_DUP_FN, MPI_COMM_NULL_DELETE_FN, &kv, NULL);
    MPI_Comm_set_attr(dup, kv, (void *)42L);

    MPI_Barrier(MPI_COMM_WORLD);

    int hr, hs, sum = 0, one = 1;
    MPI_Comm_rank(half, &hr);
    MPI_Comm_size(half, &hs);
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, dup);
    int left, right;
    MPI_Cart_shift(cart, 0, 1, &left, &right);
    int buf[12], got[12];
    for (int i = 0; i < 12; i++) buf[i] = mt_rank * 100 + i;
    MPI_Sendrecv(buf, 1, vec, right, 5, got, 1, vec, left, 5, cart, MPI_STATUS_IGNORE);
    int even_size = -1;
    if (even != MPI_COMM_NULL) MPI_Comm_size(even, &even_size);
    int child_size;
    MPI_Comm_size(freed_parent_child, &child_size);
    struct { int i; int pad; double d; } s[2] = {{mt_rank, 0, mt_rank * 0.5}, {0, 0, 0}}, r[2];
    MPI_Sendrecv(s, 1, resized, right, 6, r, 1, resized, left, 6, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    int v = (mt_rank % 2 ? -1 : 1) * (mt_rank + 3), m = 0;
    MPI_Allreduce(&v, &m, 1, MPI_INT, op, MPI_COMM_WORLD);
    char val[32] = "";
    int flag = 0;
    MPI_Info_get(info, "color", sizeof val - 1, val, &flag);
    void *attr;
    int aflag;
    MPI_Comm_get_attr(dup, kv, &attr, &aflag);
    char name[MPI_MAX_OBJECT_NAME];
    int nlen;
    MPI_Comm_get_name(dup, name, &nlen);
    int tsize;
    MPI_Type_size(vec, &tsize);
    mt_printf("half %d/%d sum %d cart %d<-%d->%d vec %d %d %d even %d child %d pair %d %.1f absmax %d info %s attr %ld name %s tsize %d",
              hr, hs, sum, left, mt_rank, right, got[0], got[1], got[4], even_size, child_size, r[0].i, r[0].d, m,
              flag ? val : "-", aflag ? (long)attr : -1L, name, tsize);

    MPI_Info_free(&info);
    MPI_Op_free(&op);
    MPI_Type_free(&vec);
    MPI_Type_free(&pair);
    MPI_Type_free(&resized);
    MPI_Group_free(&evens);
    MPI_Group_free(&world);
    if (even != MPI_COMM_NULL) MPI_Comm_free(&even);
    MPI_Comm_free(&freed_parent_child);
    MPI_Comm_free(&cart);
    MPI_Comm_free(&dup);
    MPI_Comm_free(&half);
    MPI_Comm_free_keyval(&kv);
    return mt_finish("replay_objects");
}
