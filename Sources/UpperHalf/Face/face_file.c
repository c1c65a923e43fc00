/* MPI-IO entry points with state the face must keep (docs/mpi-io.md): a file is
 * reopened in a new lower half after a restart, on the same or the other MPI,
 * so the face owns what the standard fixes about it (its amode, view, group,
 * errhandler) and answers from that, whatever the lower half's ROMIO or OMPIO
 * would say. The bulk of the I/O calls are generated (face.generated.c). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "face_files.h"

static uint64_t open_seq;
/* MPI_FILE_NULL's errhandler, which a new file starts with (MPI-3.1 §13.7). */
static int32_t default_errhandler = CKPT_MPI_ERRORS_RETURN;

static struct face_file *slot_record(int32_t v)
{
    uint32_t i = (uint32_t)v & CKPT_SLOT_MASK;
    struct face_file **chunk = &face_file_chunks[(i >> FACE_FILE_CHUNK_BITS) % FACE_FILE_CHUNKS];
    if (!__atomic_load_n(chunk, __ATOMIC_ACQUIRE)) {
        struct face_file *fresh = calloc(1u << FACE_FILE_CHUNK_BITS, sizeof *fresh), *none = NULL;
        if (!fresh)
            return NULL;
        if (!__atomic_compare_exchange_n(chunk, &none, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            free(fresh); /* another thread made it first */
    }
    struct face_file *f = face_file_at(i);
    memset(f, 0, sizeof *f);
    uint32_t lim = __atomic_load_n(&face_files_limit, __ATOMIC_RELAXED);
    while (lim <= i && !__atomic_compare_exchange_n(&face_files_limit, &lim, i + 1, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
    return f;
}

int face_file_error(MPI_File fh, int rc, const char *fn)
{
    struct face_file *f = face_file_of(fh);
    int32_t eh = f ? f->errhandler : default_errhandler;
    if (eh == CKPT_MPI_ERRORS_RETURN)
        return rc;
    if ((uint32_t)eh >> 30 == 2) {
        MPI_File_errhandler_function *call =
            (MPI_File_errhandler_function *)(uintptr_t)ckpt_to_real(CKPT_KIND_ERRHANDLER, eh);
        if (call) {
            MPI_File h = fh;
            int code = rc;
            call(&h, &code);
            return rc;
        }
    }
    ckpt_face_fatal(rc, fn);
}

/* ROMIO's file-system prefixes ("ufs:", "nfs:" ...): OMPIO does not know them,
 * and the reopen after a restart may be on it. */
static const char *strip_prefix(const char *name)
{
    const char *c = strchr(name, ':');
    if (!c || c - name < 2 || c - name > 8)
        return name;
    for (const char *p = name; p < c; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
            return name;
    return c + 1;
}

static char *absolute_path(const char *name)
{
    const char *p = strip_prefix(name);
    if (p[0] == '/')
        return strdup(p);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return strdup(p);
    size_t n = strlen(cwd) + strlen(p) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", cwd, p);
    return out;
}

static int is_derived(int32_t type) { return (uint32_t)type >> 30 == 2; }

/* What the face keeps of a view's datatype: the application may free its own
 * handle at once, and a restart must set the view again. */
static int32_t keep_type(int32_t t)
{
    int32_t kept = t;
    if (is_derived(t) && PMPI_Type_dup(t, &kept) != 0)
        kept = t;
    return kept;
}
static void drop_type(int32_t *t)
{
    if (is_derived(*t))
        PMPI_Type_free(t);
    *t = CKPT_MPI_DATATYPE_NULL;
}
static int32_t keep_info(int32_t info)
{
    int32_t kept = CKPT_MPI_INFO_NULL;
    if (info != CKPT_MPI_INFO_NULL && PMPI_Info_dup(info, &kept) != 0)
        kept = CKPT_MPI_INFO_NULL;
    return kept;
}
static void drop_info(int32_t *info)
{
    if (*info != CKPT_MPI_INFO_NULL)
        PMPI_Info_free(info);
    *info = CKPT_MPI_INFO_NULL;
}

CKPT_EXPORT int PMPI_File_open(MPI_Comm comm, const char *filename, int amode, MPI_Info info, MPI_File *fh)
{
    CKPT_ENTER();
    if (!ckpt_to_real(CKPT_KIND_COMM, comm))
        return face_file_error(CKPT_FACE_FILE_NULL, CKPT_MPI_ERR_COMM, "MPI_File_open");
    if (info != CKPT_MPI_INFO_NULL && !ckpt_to_real(CKPT_KIND_INFO, info))
        return face_file_error(CKPT_FACE_FILE_NULL, CKPT_MPI_ERR_INFO, "MPI_File_open");
    /* The file's collectives are counted on a communicator of the face's own:
     * the application may free `comm` while the file stays open. */
    int32_t dup = CKPT_MPI_COMM_NULL;
    int rc = PMPI_Comm_dup(comm, &dup);
    if (rc)
        return face_file_error(CKPT_FACE_FILE_NULL, rc, "MPI_File_open");
    uint64_t real = 0;
    struct face_comm *cc = face_coll_enter(dup);
    CKPT_CROSS(rc = ckpt_T->File_open(ckpt_to_real(CKPT_KIND_COMM, dup), filename, amode,
                                      ckpt_to_real(CKPT_KIND_INFO, info), &real));
    face_coll_leave(cc);
    if (rc) {
        PMPI_Comm_free(&dup);
        return face_file_error(CKPT_FACE_FILE_NULL, rc, "MPI_File_open");
    }
    int32_t v = ckpt_shadow_alloc(CKPT_KIND_FILE, real);
    struct face_file *f = slot_record(v);
    char *path = absolute_path(filename);
    if (!f || !path) {
        free(path);
        CKPT_CROSS(ckpt_T->File_close(&real));
        ckpt_shadow_free_handle(CKPT_KIND_FILE, v);
        PMPI_Comm_free(&dup);
        return face_file_error(CKPT_FACE_FILE_NULL, CKPT_MPI_ERR_NO_MEM, "MPI_File_open");
    }
    f->comm = dup;
    f->info = keep_info(info);
    f->hints = CKPT_MPI_INFO_NULL;
    f->view_info = CKPT_MPI_INFO_NULL;
    f->etype = f->filetype = CKPT_MPI_BYTE;
    strcpy(f->datarep, "native");
    f->errhandler = default_errhandler;
    f->amode = amode;
    f->seq = ++open_seq;
    f->path = path;
    f->open = 1;
    *fh = face_file_h(v);
    return 0;
}
CKPT_EXPORT int MPI_File_open(MPI_Comm, const char *, int, MPI_Info, MPI_File *) __attribute__((alias("PMPI_File_open")));

CKPT_EXPORT int PMPI_File_close(MPI_File *fh)
{
    CKPT_ENTER();
    struct face_file *f = face_file_of(*fh);
    if (!f)
        return face_file_error(CKPT_FACE_FILE_NULL, CKPT_MPI_ERR_FILE, "MPI_File_close");
    int32_t v = face_file_v(*fh);
    uint64_t real = ckpt_to_real(CKPT_KIND_FILE, v);
    int rc;
    struct face_comm *cc = face_coll_enter(f->comm);
    CKPT_CROSS(rc = ckpt_T->File_close(&real));
    face_coll_leave(cc);
    if (rc)
        return face_file_error(*fh, rc, "MPI_File_close");
    f->open = 0;
    ckpt_shadow_free_handle(CKPT_KIND_FILE, v);
    free(f->path);
    f->path = NULL;
    drop_type(&f->etype);
    drop_type(&f->filetype);
    drop_info(&f->info);
    drop_info(&f->hints);
    drop_info(&f->view_info);
    PMPI_Comm_free(&f->comm);
    *fh = CKPT_FACE_FILE_NULL;
    return 0;
}
CKPT_EXPORT int MPI_File_close(MPI_File *) __attribute__((alias("PMPI_File_close")));

CKPT_EXPORT int PMPI_File_set_view(MPI_File fh, MPI_Offset disp, MPI_Datatype etype, MPI_Datatype filetype,
                                   const char *datarep, MPI_Info info)
{
    CKPT_ENTER();
    FACE_FILE_OR_ERROR(f, fh, "MPI_File_set_view");
    int rc;
    struct face_comm *cc = face_coll_enter(f->comm);
    CKPT_CROSS(rc = ckpt_T->File_set_view(ckpt_to_real(CKPT_KIND_FILE, face_file_v(fh)), disp,
                                          ckpt_to_real(CKPT_KIND_DATATYPE, etype),
                                          ckpt_to_real(CKPT_KIND_DATATYPE, filetype), datarep,
                                          ckpt_to_real(CKPT_KIND_INFO, info)));
    face_coll_leave(cc);
    if (rc)
        return face_file_error(fh, rc, "MPI_File_set_view");
    drop_type(&f->etype);
    drop_type(&f->filetype);
    drop_info(&f->view_info);
    f->etype = keep_type(etype);
    f->filetype = keep_type(filetype);
    f->view_info = keep_info(info);
    f->disp = disp;
    snprintf(f->datarep, sizeof f->datarep, "%s", datarep ? datarep : "native");
    f->has_view = 1;
    return 0;
}
CKPT_EXPORT int MPI_File_set_view(MPI_File, MPI_Offset, MPI_Datatype, MPI_Datatype, const char *, MPI_Info)
    __attribute__((alias("PMPI_File_set_view")));

/* Derived types of the view come back as new handles the application frees (MPI-3.1 §13.3). */
CKPT_EXPORT int PMPI_File_get_view(MPI_File fh, MPI_Offset *disp, MPI_Datatype *etype, MPI_Datatype *filetype,
                                   char *datarep)
{
    CKPT_ENTER();
    FACE_FILE_OR_ERROR(f, fh, "MPI_File_get_view");
    *disp = f->disp;
    *etype = f->etype;
    *filetype = f->filetype;
    int rc = 0;
    if (is_derived(f->etype))
        rc = PMPI_Type_dup(f->etype, etype);
    if (!rc && is_derived(f->filetype))
        rc = PMPI_Type_dup(f->filetype, filetype);
    if (rc)
        return face_file_error(fh, rc, "MPI_File_get_view");
    strcpy(datarep, f->datarep);
    return 0;
}
CKPT_EXPORT int MPI_File_get_view(MPI_File, MPI_Offset *, MPI_Datatype *, MPI_Datatype *, char *)
    __attribute__((alias("PMPI_File_get_view")));

CKPT_EXPORT int PMPI_File_set_atomicity(MPI_File fh, int flag)
{
    CKPT_ENTER();
    FACE_FILE_OR_ERROR(f, fh, "MPI_File_set_atomicity");
    int rc;
    struct face_comm *cc = face_coll_enter(f->comm);
    CKPT_CROSS(rc = ckpt_T->File_set_atomicity(ckpt_to_real(CKPT_KIND_FILE, face_file_v(fh)), flag));
    face_coll_leave(cc);
    if (rc)
        return face_file_error(fh, rc, "MPI_File_set_atomicity");
    f->atomic = flag != 0;
    return 0;
}
CKPT_EXPORT int MPI_File_set_atomicity(MPI_File, int) __attribute__((alias("PMPI_File_set_atomicity")));

CKPT_EXPORT int PMPI_File_set_info(MPI_File fh, MPI_Info info)
{
    CKPT_ENTER();
    FACE_FILE_OR_ERROR(f, fh, "MPI_File_set_info");
    int rc;
    struct face_comm *cc = face_coll_enter(f->comm);
    CKPT_CROSS(rc = ckpt_T->File_set_info(ckpt_to_real(CKPT_KIND_FILE, face_file_v(fh)),
                                          ckpt_to_real(CKPT_KIND_INFO, info)));
    face_coll_leave(cc);
    if (rc)
        return face_file_error(fh, rc, "MPI_File_set_info");
    drop_info(&f->hints);
    f->hints = keep_info(info);
    return 0;
}
CKPT_EXPORT int MPI_File_set_info(MPI_File, MPI_Info) __attribute__((alias("PMPI_File_set_info")));

/* OMPIO's MPI_File_preallocate (Open MPI 4.1) has its root alone enter a
 * barrier inside, which pairs with the others' next collective on the file
 * (a hang, or a size the others do not see yet). The face does it the same way
 * on both lower halves: the largest size any rank sees, then a collective
 * MPI_File_set_size when it is smaller; both end with a barrier over the
 * file's communicator, so MPI_File_get_size right after agrees everywhere. */
static int resize(MPI_File fh, MPI_Offset size, int preallocate, const char *fn)
{
    FACE_FILE_OR_ERROR(f, fh, fn);
    if (size < 0)
        return face_file_error(fh, CKPT_MPI_ERR_ARG, fn);
    uint64_t real = ckpt_to_real(CKPT_KIND_FILE, face_file_v(fh));
    uint64_t comm = ckpt_to_real(CKPT_KIND_COMM, f->comm);
    int rc = 0, rc2 = 0;
    struct face_comm *cc = face_coll_enter(f->comm);
    if (preallocate) {
        ckpt_offset_t mine = 0, largest = 0;
        CKPT_CROSS(rc = ckpt_T->File_get_size(real, &mine);
                   rc2 = ckpt_T->Allreduce(&mine, &largest, 1, ckpt_to_real(CKPT_KIND_DATATYPE, CKPT_MPI_LONG_LONG_INT),
                                           ckpt_to_real(CKPT_KIND_OP, CKPT_MPI_MAX), comm));
        if (!rc)
            rc = rc2;
        if (!rc && largest < size)
            CKPT_CROSS(rc = ckpt_T->File_set_size(real, size));
    } else {
        CKPT_CROSS(rc = ckpt_T->File_set_size(real, size));
    }
    CKPT_CROSS(rc2 = ckpt_T->Barrier(comm));
    face_coll_leave(cc);
    if (!rc)
        rc = rc2;
    return rc ? face_file_error(fh, rc, fn) : 0;
}

CKPT_EXPORT int PMPI_File_preallocate(MPI_File fh, MPI_Offset size)
{
    CKPT_ENTER();
    return resize(fh, size, 1, "MPI_File_preallocate");
}
CKPT_EXPORT int MPI_File_preallocate(MPI_File, MPI_Offset) __attribute__((alias("PMPI_File_preallocate")));

CKPT_EXPORT int PMPI_File_set_size(MPI_File fh, MPI_Offset size)
{
    CKPT_ENTER();
    return resize(fh, size, 0, "MPI_File_set_size");
}
CKPT_EXPORT int MPI_File_set_size(MPI_File, MPI_Offset) __attribute__((alias("PMPI_File_set_size")));

/* The hints the lower half uses, copied into an info the face made (and
 * recorded), so the handle outlives a restart like any other info. */
CKPT_EXPORT int PMPI_File_get_info(MPI_File fh, MPI_Info *info_used)
{
    CKPT_ENTER();
    FACE_FILE_OR_ERROR(f, fh, "MPI_File_get_info");
    uint64_t real = 0;
    int rc;
    CKPT_CROSS(rc = ckpt_T->File_get_info(ckpt_to_real(CKPT_KIND_FILE, face_file_v(fh)), &real));
    if (rc)
        return face_file_error(fh, rc, "MPI_File_get_info");
    int32_t out = CKPT_MPI_INFO_NULL;
    rc = PMPI_Info_create(&out);
    int n = 0;
    if (!rc && real)
        CKPT_CROSS(rc = ckpt_T->Info_get_nkeys(real, &n));
    for (int i = 0; !rc && i < n; i++) {
        char key[CKPT_MPI_MAX_INFO_KEY + 1], value[CKPT_MPI_MAX_INFO_VAL + 1];
        int flag = 0;
        CKPT_CROSS(rc = ckpt_T->Info_get_nthkey(real, i, key));
        if (!rc)
            CKPT_CROSS(rc = ckpt_T->Info_get(real, key, CKPT_MPI_MAX_INFO_VAL, value, &flag));
        if (!rc && flag)
            rc = PMPI_Info_set(out, key, value);
    }
    if (real)
        CKPT_CROSS(ckpt_T->Info_free(&real));
    if (rc) {
        if (out != CKPT_MPI_INFO_NULL)
            PMPI_Info_free(&out);
        return face_file_error(fh, rc, "MPI_File_get_info");
    }
    *info_used = out;
    return 0;
}
CKPT_EXPORT int MPI_File_get_info(MPI_File, MPI_Info *) __attribute__((alias("PMPI_File_get_info")));

/* As opened: the reopen after a restart leaves out MPI_MODE_CREATE and MPI_MODE_EXCL. */
CKPT_EXPORT int PMPI_File_get_amode(MPI_File fh, int *amode)
{
    CKPT_ENTER();
    FACE_FILE_OR_ERROR(f, fh, "MPI_File_get_amode");
    *amode = f->amode;
    return 0;
}
CKPT_EXPORT int MPI_File_get_amode(MPI_File, int *) __attribute__((alias("PMPI_File_get_amode")));

CKPT_EXPORT int PMPI_File_get_group(MPI_File fh, MPI_Group *group)
{
    CKPT_ENTER();
    FACE_FILE_OR_ERROR(f, fh, "MPI_File_get_group");
    int rc = PMPI_Comm_group(f->comm, group);
    return rc ? face_file_error(fh, rc, "MPI_File_get_group") : 0;
}
CKPT_EXPORT int MPI_File_get_group(MPI_File, MPI_Group *) __attribute__((alias("PMPI_File_get_group")));

/* Errhandlers run in the upper half; the lower half's files always return errors. */
CKPT_EXPORT int PMPI_File_create_errhandler(MPI_File_errhandler_function *fn, MPI_Errhandler *errhandler)
{
    CKPT_ENTER();
    *errhandler = ckpt_shadow_alloc(CKPT_KIND_ERRHANDLER, (uint64_t)(uintptr_t)fn);
    return 0;
}
CKPT_EXPORT int MPI_File_create_errhandler(MPI_File_errhandler_function *, MPI_Errhandler *)
    __attribute__((alias("PMPI_File_create_errhandler")));

static int valid_errhandler(int32_t eh)
{
    return eh == CKPT_MPI_ERRORS_RETURN || eh == CKPT_MPI_ERRORS_ARE_FATAL || eh == CKPT_MPI_ERRORS_ABORT ||
           ((uint32_t)eh >> 30 == 2 && ckpt_to_real(CKPT_KIND_ERRHANDLER, eh) != 0);
}

CKPT_EXPORT int PMPI_File_set_errhandler(MPI_File file, MPI_Errhandler errhandler)
{
    CKPT_ENTER();
    struct face_file *f = face_file_of(file);
    if (!f && file != CKPT_FACE_FILE_NULL)
        return face_file_error(CKPT_FACE_FILE_NULL, CKPT_MPI_ERR_FILE, "MPI_File_set_errhandler");
    if (!valid_errhandler(errhandler))
        return face_file_error(file, CKPT_MPI_ERR_ARG, "MPI_File_set_errhandler");
    if (f)
        f->errhandler = errhandler;
    else
        default_errhandler = errhandler;
    return 0;
}
CKPT_EXPORT int MPI_File_set_errhandler(MPI_File, MPI_Errhandler) __attribute__((alias("PMPI_File_set_errhandler")));

CKPT_EXPORT int PMPI_File_get_errhandler(MPI_File file, MPI_Errhandler *errhandler)
{
    CKPT_ENTER();
    struct face_file *f = face_file_of(file);
    if (!f && file != CKPT_FACE_FILE_NULL)
        return face_file_error(CKPT_FACE_FILE_NULL, CKPT_MPI_ERR_FILE, "MPI_File_get_errhandler");
    *errhandler = f ? f->errhandler : default_errhandler;
    return 0;
}
CKPT_EXPORT int MPI_File_get_errhandler(MPI_File, MPI_Errhandler *) __attribute__((alias("PMPI_File_get_errhandler")));

CKPT_EXPORT int PMPI_File_call_errhandler(MPI_File fh, int errorcode)
{
    CKPT_ENTER();
    (void)face_file_error(fh, errorcode, "MPI_File_call_errhandler");
    return 0;
}
CKPT_EXPORT int MPI_File_call_errhandler(MPI_File, int) __attribute__((alias("PMPI_File_call_errhandler")));

/* Non-blocking I/O is done when it starts and returns an already-complete
 * request carrying its status (as MPI_Comm_idup does): a checkpoint then never
 * finds I/O in flight, which neither lower half could leave and resume in
 * another MPI, and ROMIO's own non-blocking I/O on local file systems is a
 * blocking call behind a generalized request anyway. The collective forms
 * (MPI-3.1 MPI_File_iread_all ...) are thereby collectives at their start,
 * counted on the file's communicator like the blocking ones. */
static int done_request(MPI_File fh, int rc, struct ckpt_status *st, MPI_Request *request, const char *fn)
{
    if (rc)
        return rc; /* raised already by the blocking call */
    uint64_t real = 0;
    CKPT_CROSS(rc = ckpt_T->Done_request(st, &real));
    if (rc)
        return face_file_error(fh, rc, fn);
    struct face_file *f = face_file_of(fh);
    *request = face_req_new(real, FACE_REQ_OTHER, f ? f->comm : CKPT_MPI_COMM_NULL);
    return 0;
}

#define FILE_NONBLOCKING(NAME, BLOCKING, BUFQ)                                                              \
    CKPT_EXPORT int PMPI_File_##NAME(MPI_File fh, BUFQ void *buf, int count, MPI_Datatype datatype,         \
                                     MPI_Request *request)                                                  \
    {                                                                                                       \
        CKPT_ENTER();                                                                                       \
        struct ckpt_status st;                                                                              \
        memset(&st, 0, sizeof st);                                                                          \
        int rc = PMPI_File_##BLOCKING(fh, buf, count, datatype, (MPI_Status *)&st);                         \
        return done_request(fh, rc, &st, request, "MPI_File_" #NAME);                                       \
    }                                                                                                       \
    CKPT_EXPORT int MPI_File_##NAME(MPI_File, BUFQ void *, int, MPI_Datatype, MPI_Request *)                \
        __attribute__((alias("PMPI_File_" #NAME)));

#define FILE_NONBLOCKING_AT(NAME, BLOCKING, BUFQ)                                                           \
    CKPT_EXPORT int PMPI_File_##NAME(MPI_File fh, MPI_Offset offset, BUFQ void *buf, int count,             \
                                     MPI_Datatype datatype, MPI_Request *request)                           \
    {                                                                                                       \
        CKPT_ENTER();                                                                                       \
        struct ckpt_status st;                                                                              \
        memset(&st, 0, sizeof st);                                                                          \
        int rc = PMPI_File_##BLOCKING(fh, offset, buf, count, datatype, (MPI_Status *)&st);                 \
        return done_request(fh, rc, &st, request, "MPI_File_" #NAME);                                       \
    }                                                                                                       \
    CKPT_EXPORT int MPI_File_##NAME(MPI_File, MPI_Offset, BUFQ void *, int, MPI_Datatype, MPI_Request *)    \
        __attribute__((alias("PMPI_File_" #NAME)));

FILE_NONBLOCKING(iread, read, )
FILE_NONBLOCKING(iwrite, write, const)
FILE_NONBLOCKING(iread_shared, read_shared, )
FILE_NONBLOCKING(iwrite_shared, write_shared, const)
FILE_NONBLOCKING(iread_all, read_all, )
FILE_NONBLOCKING(iwrite_all, write_all, const)
FILE_NONBLOCKING_AT(iread_at, read_at, )
FILE_NONBLOCKING_AT(iwrite_at, write_at, const)
FILE_NONBLOCKING_AT(iread_at_all, read_at_all, )
FILE_NONBLOCKING_AT(iwrite_at_all, write_at_all, const)

/* Split collectives do the whole collective at _begin (MPI-3.1 §13.4.5 allows
 * it) and hand its status back at _end, so a checkpoint never sees one half done. */
static int split_begin(MPI_File fh, int rc, const char *fn)
{
    struct face_file *f = face_file_of(fh);
    if (!f)
        return rc;
    f->split_active = 1;
    f->split_rc = rc;
    (void)fn;
    return rc;
}

static int split_end(MPI_File fh, MPI_Status *status, const char *fn)
{
    FACE_FILE_OR_ERROR(f, fh, fn);
    if (!f->split_active)
        return face_file_error(fh, CKPT_MPI_ERR_OTHER, fn);
    f->split_active = 0;
    if ((uintptr_t)status > 1)
        memcpy(status, &f->split_status, sizeof *status);
    return f->split_rc;
}

static struct ckpt_status *split_status_of(MPI_File fh)
{
    static __thread struct ckpt_status scratch;
    struct face_file *f = face_file_of(fh);
    if (f) {
        memset(&f->split_status, 0, sizeof f->split_status);
        return &f->split_status;
    }
    return &scratch;
}

#define FILE_SPLIT(NAME, BLOCKING, BUFQ)                                                                    \
    CKPT_EXPORT int PMPI_File_##NAME##_begin(MPI_File fh, BUFQ void *buf, int count, MPI_Datatype datatype) \
    {                                                                                                       \
        CKPT_ENTER();                                                                                       \
        struct face_file *f = face_file_of(fh);                                                             \
        if (f && f->split_active)                                                                           \
            return face_file_error(fh, CKPT_MPI_ERR_OTHER, "MPI_File_" #NAME "_begin");                     \
        int rc = PMPI_File_##BLOCKING(fh, buf, count, datatype, (MPI_Status *)split_status_of(fh));         \
        return split_begin(fh, rc, "MPI_File_" #NAME "_begin");                                             \
    }                                                                                                       \
    CKPT_EXPORT int MPI_File_##NAME##_begin(MPI_File, BUFQ void *, int, MPI_Datatype)                       \
        __attribute__((alias("PMPI_File_" #NAME "_begin")));                                                \
    CKPT_EXPORT int PMPI_File_##NAME##_end(MPI_File fh, BUFQ void *buf, MPI_Status *status)                 \
    {                                                                                                       \
        CKPT_ENTER();                                                                                       \
        (void)buf;                                                                                          \
        return split_end(fh, status, "MPI_File_" #NAME "_end");                                             \
    }                                                                                                       \
    CKPT_EXPORT int MPI_File_##NAME##_end(MPI_File, BUFQ void *, MPI_Status *)                              \
        __attribute__((alias("PMPI_File_" #NAME "_end")));

#define FILE_SPLIT_AT(NAME, BLOCKING, BUFQ)                                                                 \
    CKPT_EXPORT int PMPI_File_##NAME##_begin(MPI_File fh, MPI_Offset offset, BUFQ void *buf, int count,     \
                                             MPI_Datatype datatype)                                         \
    {                                                                                                       \
        CKPT_ENTER();                                                                                       \
        struct face_file *f = face_file_of(fh);                                                             \
        if (f && f->split_active)                                                                           \
            return face_file_error(fh, CKPT_MPI_ERR_OTHER, "MPI_File_" #NAME "_begin");                     \
        int rc = PMPI_File_##BLOCKING(fh, offset, buf, count, datatype, (MPI_Status *)split_status_of(fh)); \
        return split_begin(fh, rc, "MPI_File_" #NAME "_begin");                                             \
    }                                                                                                       \
    CKPT_EXPORT int MPI_File_##NAME##_begin(MPI_File, MPI_Offset, BUFQ void *, int, MPI_Datatype)           \
        __attribute__((alias("PMPI_File_" #NAME "_begin")));                                                \
    CKPT_EXPORT int PMPI_File_##NAME##_end(MPI_File fh, BUFQ void *buf, MPI_Status *status)                 \
    {                                                                                                       \
        CKPT_ENTER();                                                                                       \
        (void)buf;                                                                                          \
        return split_end(fh, status, "MPI_File_" #NAME "_end");                                             \
    }                                                                                                       \
    CKPT_EXPORT int MPI_File_##NAME##_end(MPI_File, BUFQ void *, MPI_Status *)                              \
        __attribute__((alias("PMPI_File_" #NAME "_end")));

FILE_SPLIT(read_all, read_all, )
FILE_SPLIT(write_all, write_all, const)
FILE_SPLIT(read_ordered, read_ordered, )
FILE_SPLIT(write_ordered, write_ordered, const)
FILE_SPLIT_AT(read_at_all, read_at_all, )
FILE_SPLIT_AT(write_at_all, write_at_all, const)

/* A file that cannot be opened again ends the restart with one line. */
static void reopen_failed(const struct face_file *f, int rc, const char *what)
{
    char text[CKPT_MPI_MAX_ERROR_STRING];
    ckpt_face_error_text(rc, text, sizeof text);
    char line[4096 + 512];
    snprintf(line, sizeof line, "ckpt-mpi: restart: %s %s, open in the checkpointed job, failed: %s", what,
             f->path ? f->path : "?", text);
    ckpt_face_log(line, "", "");
    ckpt_face_abort(1);
}

/* ckpt-mpi saves no file's contents: a file replaced or cut shorter since the
 * checkpoint is not what the job was writing. One line (from the file's first
 * rank), and the restart goes on with what is there now, as a job that had
 * lived on would. */
static void note_if_changed(const struct face_file *f, uint64_t real_comm)
{
    struct stat sb;
    if (!f->cut_stat || stat(f->path, &sb) != 0)
        return;
    const char *what = NULL;
    char size[160];
    if ((unsigned long long)sb.st_dev != f->cut_dev || (unsigned long long)sb.st_ino != f->cut_ino)
        what = "was replaced by another file since the checkpoint";
    else if ((long long)sb.st_size < f->cut_size) {
        snprintf(size, sizeof size, "is %lld bytes long, %lld at the checkpoint", (long long)sb.st_size, f->cut_size);
        what = size;
    }
    int rank = 0;
    if (!what)
        return;
    CKPT_CROSS((void)ckpt_T->Comm_rank(real_comm, &rank));
    if (rank != 0)
        return;
    char line[4096 + 512];
    snprintf(line, sizeof line, "ckpt-mpi: restart: note: %s, open in the checkpointed job, %s (its contents are "
             "not in the image): the job goes on with the file as it is", f->path, what);
    ckpt_face_log(line, "", "");
}

int face_files_rebind(void)
{
    /* Opens are collective: every rank reopens in the order it opened. */
    uint64_t last = 0;
    for (;;) {
        struct face_file *f = NULL;
        uint32_t slot = 0;
        for (uint32_t i = 0; i < face_files_limit; i++) {
            struct face_file *g = face_file_at(i);
            if (g && g->open && g->seq > last && (!f || g->seq < f->seq)) {
                f = g;
                slot = i;
            }
        }
        if (!f)
            return 0;
        last = f->seq;
        int32_t v = face_file_handle(slot);
        if (access(f->path, F_OK) != 0)
            reopen_failed(f, CKPT_MPI_ERR_NO_SUCH_FILE, "reopening");
        uint64_t real = 0;
        int rc;
        CKPT_CROSS(rc = ckpt_T->File_open(ckpt_to_real(CKPT_KIND_COMM, f->comm), f->path,
                                          f->amode & ~(FACE_MODE_CREATE | FACE_MODE_EXCL),
                                          ckpt_to_real(CKPT_KIND_INFO, f->info), &real));
        if (rc)
            reopen_failed(f, rc, "reopening");
        note_if_changed(f, ckpt_to_real(CKPT_KIND_COMM, f->comm));
        ckpt_shadow_set_real(CKPT_KIND_FILE, v, real);
        if (f->has_view) {
            CKPT_CROSS(rc = ckpt_T->File_set_view(real, f->disp, ckpt_to_real(CKPT_KIND_DATATYPE, f->etype),
                                                  ckpt_to_real(CKPT_KIND_DATATYPE, f->filetype), f->datarep,
                                                  ckpt_to_real(CKPT_KIND_INFO, f->view_info)));
            if (rc)
                reopen_failed(f, rc, "setting the view of");
        }
        if (f->atomic) {
            CKPT_CROSS(rc = ckpt_T->File_set_atomicity(real, 1));
            if (rc)
                reopen_failed(f, rc, "setting the atomicity of");
        }
        if (f->hints != CKPT_MPI_INFO_NULL)
            CKPT_CROSS((void)ckpt_T->File_set_info(real, ckpt_to_real(CKPT_KIND_INFO, f->hints)));
        if (f->amode & FACE_MODE_SEQUENTIAL)
            continue;
        if (f->saved) {
            CKPT_CROSS(rc = ckpt_T->File_seek(real, f->pos, FACE_SEEK_SET));
            if (rc)
                reopen_failed(f, rc, "moving the file pointer of");
        }
        if (f->saved_shared) {
            CKPT_CROSS(rc = ckpt_T->File_seek_shared(real, f->pos_shared, FACE_SEEK_SET));
            if (rc)
                reopen_failed(f, rc, "moving the shared file pointer of");
        }
    }
}

void face_files_test_close(void)
{
    face_files_save_positions();
    for (uint32_t i = 0; i < face_files_limit; i++) {
        struct face_file *f = face_file_at(i);
        /* Closing would delete it; the test leaves the old file open instead. */
        if (!f || !f->open || (f->amode & FACE_MODE_DELETE_ON_CLOSE))
            continue;
        uint64_t real = ckpt_to_real(CKPT_KIND_FILE, face_file_handle(i));
        CKPT_CROSS((void)ckpt_T->File_close(&real));
    }
}
