/* Calls whose shape the generator does not cover: handle arrays sized by the
 * communicator (Alltoallw). */
#include "face_cut.h"

/* How many datatypes each array of an *alltoallw call holds: the group size
 * (remote group for intercommunicators) or the neighbour counts of the topology. */
static int typed_sizes(uint64_t rcomm, int neighbor, int *ns, int *nr)
{
    int rc, inter = 0, topo = CKPT_MPI_UNDEFINED;
    if (!neighbor) {
        CKPT_CROSS(rc = ckpt_T->Comm_test_inter(rcomm, &inter));
        if (!rc)
            CKPT_CROSS(rc = inter ? ckpt_T->Comm_remote_size(rcomm, ns) : ckpt_T->Comm_size(rcomm, ns));
        *nr = *ns;
        return rc;
    }
    CKPT_CROSS(rc = ckpt_T->Topo_test(rcomm, &topo));
    if (rc)
        return rc;
    if (topo == CKPT_MPI_CART) {
        int nd = 0;
        CKPT_CROSS(rc = ckpt_T->Cartdim_get(rcomm, &nd));
        *ns = *nr = 2 * nd;
    } else if (topo == CKPT_MPI_GRAPH) {
        int me = 0;
        CKPT_CROSS(rc = ckpt_T->Comm_rank(rcomm, &me));
        if (!rc)
            CKPT_CROSS(rc = ckpt_T->Graph_neighbors_count(rcomm, me, ns));
        *nr = *ns;
    } else if (topo == CKPT_MPI_DIST_GRAPH) {
        int weighted = 0;
        CKPT_CROSS(rc = ckpt_T->Dist_graph_neighbors_count(rcomm, nr, ns, &weighted));
    } else {
        rc = CKPT_MPI_ERR_TOPOLOGY;
    }
    return rc;
}

/* Both datatype arrays of an alltoallw-like call, translated; the caller frees them. */
struct typed_arrays {
    uint64_t s1[CKPT_STACK_ARRAY], s2[CKPT_STACK_ARRAY];
    uint64_t *send, *recv;
};

static int typed_arrays_in(struct typed_arrays *t, MPI_Comm comm, int neighbor, const void *sendbuf,
                           const MPI_Datatype *sendtypes, const MPI_Datatype *recvtypes)
{
    int ns = 0, nr = 0;
    int rc = typed_sizes(ckpt_to_real(CKPT_KIND_COMM, comm), neighbor, &ns, &nr);
    if (rc)
        return rc;
    t->send = ckpt_array(t->s1, ns);
    t->recv = ckpt_array(t->s2, nr);
    if (!t->send || !t->recv)
        return CKPT_MPI_ERR_NO_MEM;
    for (int i = 0; i < ns; i++)
        t->send[i] = sendbuf == CKPT_MPI_IN_PLACE ? 0 : ckpt_to_real(CKPT_KIND_DATATYPE, sendtypes[i]);
    for (int i = 0; i < nr; i++)
        t->recv[i] = ckpt_to_real(CKPT_KIND_DATATYPE, recvtypes[i]);
    return 0;
}

static void typed_arrays_free(struct typed_arrays *t)
{
    ckpt_array_free(t->send, t->s1);
    ckpt_array_free(t->recv, t->s2);
}

#define ALLTOALLW_PARAMS                                                                                 \
    const void *sendbuf, const int sendcounts[], const int sdispls[], const MPI_Datatype sendtypes[],   \
        void *recvbuf, const int recvcounts[], const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm
#define NEIGHBOR_ALLTOALLW_PARAMS                                                                        \
    const void *sendbuf, const int sendcounts[], const MPI_Aint sdispls[], const MPI_Datatype sendtypes[], \
        void *recvbuf, const int recvcounts[], const MPI_Aint rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm

/* One face entry per variant: blocking or not (request), group- or neighbour-sized arrays. */
#define TYPED_COLLECTIVE(Name, Params, neighbor, blocking, ReqParam, ReqDecl, ReqArg, ReqOut)            \
    CKPT_EXPORT int PMPI_##Name(Params ReqParam)                                                         \
    {                                                                                                    \
        CKPT_ENTER();                                                                                    \
        struct face_comm *coll = blocking ? face_coll_enter(comm) : face_coll_begin(comm);               \
        struct typed_arrays t;                                                                           \
        ReqDecl;                                                                                         \
        int rc = typed_arrays_in(&t, comm, neighbor, sendbuf, sendtypes, recvtypes);                     \
        if (!rc)                                                                                         \
            CKPT_CROSS(rc = ckpt_T->Name((const void *)sendbuf, sendcounts, (const void *)sdispls, t.send, recvbuf, \
                                         recvcounts, (const void *)rdispls, t.recv,                      \
                                         ckpt_to_real(CKPT_KIND_COMM, comm) ReqArg));                    \
        if (blocking)                                                                                    \
            face_coll_leave(coll);                                                                       \
        typed_arrays_free(&t);                                                                           \
        if (rc)                                                                                          \
            return ckpt_face_error(comm, rc, "MPI_" #Name);                                              \
        ReqOut;                                                                                          \
        return 0;                                                                                        \
    }                                                                                                    \
    CKPT_EXPORT int MPI_##Name(Params ReqParam) __attribute__((alias("PMPI_" #Name)));

#define NO_REQ
#define COMMA ,
TYPED_COLLECTIVE(Alltoallw, ALLTOALLW_PARAMS, 0, 1, NO_REQ, (void)0, NO_REQ, (void)0)
TYPED_COLLECTIVE(Neighbor_alltoallw, NEIGHBOR_ALLTOALLW_PARAMS, 1, 1, NO_REQ, (void)0, NO_REQ, (void)0)
TYPED_COLLECTIVE(Ialltoallw, ALLTOALLW_PARAMS, 0, 0, COMMA MPI_Request *request, uint64_t r_req = 0, COMMA &r_req,
                 *request = face_req_new(r_req, FACE_REQ_OTHER, comm))
TYPED_COLLECTIVE(Ineighbor_alltoallw, NEIGHBOR_ALLTOALLW_PARAMS, 1, 0, COMMA MPI_Request *request, uint64_t r_req = 0,
                 COMMA &r_req, *request = face_req_new(r_req, FACE_REQ_OTHER, comm))
