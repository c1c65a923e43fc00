/* Calls whose shape the generator does not cover: two requests pending at once
 * (Sendrecv) and handle arrays sized by the communicator (Alltoallw). */
#include "face_runtime.h"

int PMPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm);

CKPT_EXPORT int PMPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag,
                              void *recvbuf, int recvcount, MPI_Datatype recvtype, int source, int recvtag,
                              MPI_Comm comm, MPI_Status *status)
{
    struct ckpt_status *st = ckpt_status_arg(status);
    uint64_t pending[2] = {0, 0};
    int rc;
    CKPT_CROSS(rc = ckpt_T->Sendrecv(sendbuf, sendcount, ckpt_to_real(CKPT_KIND_DATATYPE, sendtype), dest, sendtag,
                                     recvbuf, recvcount, ckpt_to_real(CKPT_KIND_DATATYPE, recvtype), source, recvtag,
                                     ckpt_to_real(CKPT_KIND_COMM, comm), st, pending));
    while (rc == CKPT_PENDING) {
        struct ckpt_status both[2];
        ckpt_safepoint();
        CKPT_CROSS(rc = ckpt_T->Waitall(2, pending, both));
        if (rc == 0 && st)
            *st = both[1];
    }
    return rc ? ckpt_face_error(comm, rc, "MPI_Sendrecv") : 0;
}
CKPT_EXPORT int MPI_Sendrecv(const void *, int, MPI_Datatype, int, int, void *, int, MPI_Datatype, int, int, MPI_Comm,
                             MPI_Status *) __attribute__((alias("PMPI_Sendrecv")));

CKPT_EXPORT int PMPI_Alltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[],
                               const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                               const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm)
{
    uint64_t rcomm = ckpt_to_real(CKPT_KIND_COMM, comm);
    int n = 0, inter = 0, rc;
    CKPT_CROSS(rc = ckpt_T->Comm_test_inter(rcomm, &inter));
    if (!rc)
        CKPT_CROSS(rc = inter ? ckpt_T->Comm_remote_size(rcomm, &n) : ckpt_T->Comm_size(rcomm, &n));
    if (rc)
        return ckpt_face_error(comm, rc, "MPI_Alltoallw");
    uint64_t s1[CKPT_STACK_ARRAY], s2[CKPT_STACK_ARRAY];
    uint64_t *st = ckpt_array(s1, n), *rt = ckpt_array(s2, n);
    if (!st || !rt)
        return ckpt_face_error(comm, CKPT_MPI_ERR_NO_MEM, "MPI_Alltoallw");
    for (int i = 0; i < n; i++) {
        st[i] = sendbuf == CKPT_MPI_IN_PLACE ? 0 : ckpt_to_real(CKPT_KIND_DATATYPE, sendtypes[i]);
        rt[i] = ckpt_to_real(CKPT_KIND_DATATYPE, recvtypes[i]);
    }
    CKPT_CROSS(rc = ckpt_T->Alltoallw(sendbuf, sendcounts, sdispls, st, recvbuf, recvcounts, rdispls, rt, rcomm));
    ckpt_array_free(st, s1);
    ckpt_array_free(rt, s2);
    return rc ? ckpt_face_error(comm, rc, "MPI_Alltoallw") : 0;
}
CKPT_EXPORT int MPI_Alltoallw(const void *, const int[], const int[], const MPI_Datatype[], void *, const int[],
                              const int[], const MPI_Datatype[], MPI_Comm) __attribute__((alias("PMPI_Alltoallw")));

/* Non-blocking dup as a dup plus a request that is already complete (a send to
 * MPI_PROC_NULL): its result must be a valid handle before the request
 * completes, which the shadow table cannot know in advance otherwise. */
CKPT_EXPORT int PMPI_Comm_idup(MPI_Comm comm, MPI_Comm *newcomm, MPI_Request *request)
{
    int rc = PMPI_Comm_dup(comm, newcomm);
    if (rc)
        return rc;
    uint64_t real = 0, pending = 0;
    CKPT_CROSS(rc = ckpt_T->Isend(NULL, 0, ckpt_to_real(CKPT_KIND_DATATYPE, CKPT_MPI_BYTE), CKPT_MPI_PROC_NULL, 0,
                                  ckpt_to_real(CKPT_KIND_COMM, CKPT_MPI_COMM_SELF), &real));
    (void)pending;
    if (rc)
        return ckpt_face_error(comm, rc, "MPI_Comm_idup");
    *request = ckpt_virtual_new(CKPT_KIND_REQUEST, real);
    return 0;
}
CKPT_EXPORT int MPI_Comm_idup(MPI_Comm, MPI_Comm *, MPI_Request *) __attribute__((alias("PMPI_Comm_idup")));
