/* MPI-4 procedures that Open MPI 4.1 lacks, emulated here on every lower half
 * (one code path, so a checkpoint looks the same whichever MPI runs below):
 * MPI_Isendrecv(_replace) as a face Irecv plus a hidden face Isend, so the drain
 * treats the parts like any other (DESIGN §4.2; completion, in face_p2p.c,
 * finishes the send with its receive); persistent collectives as an
 * upper-half record that MPI_Start turns into the non-blocking collective (no
 * lower-half object while inactive, so a restart has nothing to remake);
 * MPI_Info_get_string from Info_get_valuelen + Info_get (before MPI_Init, the
 * upper half's: face_info_early.c). */
#include <string.h>

#include "face_info_early.h"
#include "face_mpi4.h"

/* ------------------------------------------------------------ Isendrecv */

/* The receive is the request the application holds (its status is the answer);
 * the send rides along as its companion and is finished when the receive is. */
static int isendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag,
                     void *recvbuf, int recvcount, MPI_Datatype recvtype, int source, int recvtag, MPI_Comm comm,
                     MPI_Request *request, void *tmp)
{
    MPI_Request send = CKPT_MPI_REQUEST_NULL, recv = CKPT_MPI_REQUEST_NULL;
    int rc = PMPI_Isend(sendbuf, sendcount, sendtype, dest, sendtag, comm, &send);
    if (rc) {
        free(tmp);
        return rc;
    }
    rc = PMPI_Irecv(recvbuf, recvcount, recvtype, source, recvtag, comm, &recv);
    if (rc) {
        (void)PMPI_Wait(&send, CKPT_MPI_STATUS_IGNORE);
        free(tmp);
        return rc;
    }
    struct face_req *q = face_req_of(recv);
    struct face_req *sq = face_req_of(send);
    if (sq)
        sq->peer = dest; /* uncounted if MPI_Cancel takes it */
    if (q) {
        q->companion = send;
        q->tmp = tmp;
    }
    *request = recv;
    return 0;
}

CKPT_EXPORT int PMPI_Isendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest, int sendtag,
                               void *recvbuf, int recvcount, MPI_Datatype recvtype, int source, int recvtag,
                               MPI_Comm comm, MPI_Request *request)
{
    CKPT_ENTER();
    return isendrecv(sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source, recvtag, comm,
                     request, NULL);
}
CKPT_EXPORT int MPI_Isendrecv(const void *, int, MPI_Datatype, int, int, void *, int, MPI_Datatype, int, int, MPI_Comm,
                              MPI_Request *) __attribute__((alias("PMPI_Isendrecv")));

/* The send goes from a packed copy, so the receive may land in buf at once. */
CKPT_EXPORT int PMPI_Isendrecv_replace(void *buf, int count, MPI_Datatype datatype, int dest, int sendtag, int source,
                                       int recvtag, MPI_Comm comm, MPI_Request *request)
{
    CKPT_ENTER();
    uint64_t rdt = ckpt_to_real(CKPT_KIND_DATATYPE, datatype), rcomm = ckpt_to_real(CKPT_KIND_COMM, comm);
    int size = 0, position = 0, rc;
    CKPT_CROSS(rc = ckpt_T->Pack_size(count, rdt, rcomm, &size));
    if (rc)
        return ckpt_face_error(comm, rc, "MPI_Isendrecv_replace");
    void *tmp = malloc((size_t)(size > 0 ? size : 1));
    if (!tmp)
        return ckpt_face_error(comm, CKPT_MPI_ERR_NO_MEM, "MPI_Isendrecv_replace");
    CKPT_CROSS(rc = ckpt_T->Pack(buf, count, rdt, tmp, size, &position, rcomm));
    if (rc) {
        free(tmp);
        return ckpt_face_error(comm, rc, "MPI_Isendrecv_replace");
    }
    return isendrecv(tmp, position, CKPT_MPI_PACKED, dest, sendtag, buf, count, datatype, source, recvtag, comm,
                     request, tmp);
}
CKPT_EXPORT int MPI_Isendrecv_replace(void *, int, MPI_Datatype, int, int, int, int, MPI_Comm, MPI_Request *)
    __attribute__((alias("PMPI_Isendrecv_replace")));

/* ------------------------------------------------- persistent collectives */

/* Their init calls are generated (face_pcoll.generated.c, face_pcoll_new);
 * MPI_Start and completion (face_p2p.c) drive them. */

/* ------------------------------------------------------- Info_get_string */

CKPT_EXPORT int PMPI_Info_get_string(MPI_Info info, const char *key, int *buflen, char *value, int *flag)
{
    CKPT_ENTER();
    uint64_t rinfo = ckpt_to_real(CKPT_KIND_INFO, info);
    int len = 0, rc;
    int early = !face_life.initialized; /* face_info_early.c answers */
    if (__builtin_expect(early, 0))
        rc = face_info_early_get_valuelen(info, key, &len, flag);
    else
        CKPT_CROSS(rc = ckpt_T->Info_get_valuelen(rinfo, key, &len, flag));
    if (rc)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Info_get_string");
    if (!*flag)
        return 0;
    int room = *buflen;
    *buflen = len + 1; /* MPI-4: the length it needs, its NUL included */
    if (room <= 0)
        return 0;
    char stack[256], *whole = len < (int)sizeof stack ? stack : malloc((size_t)len + 1);
    if (!whole)
        return ckpt_face_error(CKPT_MPI_COMM_WORLD, CKPT_MPI_ERR_NO_MEM, "MPI_Info_get_string");
    if (__builtin_expect(early, 0))
        rc = face_info_early_get(info, key, len, whole, flag);
    else
        CKPT_CROSS(rc = ckpt_T->Info_get(rinfo, key, len, whole, flag));
    if (!rc) {
        whole[len] = 0;
        int n = len < room - 1 ? len : room - 1;
        memcpy(value, whole, (size_t)n);
        value[n] = 0;
    }
    if (whole != stack)
        free(whole);
    return rc ? ckpt_face_error(CKPT_MPI_COMM_WORLD, rc, "MPI_Info_get_string") : 0;
}
CKPT_EXPORT int MPI_Info_get_string(MPI_Info, const char *, int *, char *, int *)
    __attribute__((alias("PMPI_Info_get_string")));
