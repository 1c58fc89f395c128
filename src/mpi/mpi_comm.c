/* The MPI implementation of smile's communicator (include/smile_mpi.h):
 * blocking point-to-point messages on a duplicate of the caller's
 * communicator, in pieces of at most 1 GiB (MPI counts are int). */
#include "core/comm.h"
#include "smile_mpi.h"

#include <stdlib.h>

typedef struct {
    MPI_Comm comm;
    int we_initialised;
} mpi_impl;

#define PIECE ((size_t)1 << 30)
#define TAG 0x534d

static int mpi_send(void *impl, int dest, const void *buf, size_t len) {
    mpi_impl *m = impl;
    const char *b = buf;
    do {
        size_t n = len < PIECE ? len : PIECE;
        if (MPI_Send(b, (int)n, MPI_BYTE, dest, TAG, m->comm) != MPI_SUCCESS) return -1;
        b += n;
        len -= n;
    } while (len > 0);
    return 0;
}

static int mpi_recv(void *impl, int src, void *buf, size_t len) {
    mpi_impl *m = impl;
    char *b = buf;
    do {
        size_t n = len < PIECE ? len : PIECE;
        if (MPI_Recv(b, (int)n, MPI_BYTE, src, TAG, m->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return -1;
        b += n;
        len -= n;
    } while (len > 0);
    return 0;
}

static int mpi_bcast(void *impl, void *buf, size_t len, int root) {
    mpi_impl *m = impl;
    char *b = buf;
    do {
        size_t n = len < PIECE ? len : PIECE;
        if (MPI_Bcast(b, (int)n, MPI_BYTE, root, m->comm) != MPI_SUCCESS) return -1;
        b += n;
        len -= n;
    } while (len > 0);
    return 0;
}

static int mpi_allreduce_max(void *impl, int64_t *v, int n) {
    mpi_impl *m = impl;
    return MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_INT64_T, MPI_MAX, m->comm) != MPI_SUCCESS;
}

static int mpi_barrier(void *impl) {
    mpi_impl *m = impl;
    return MPI_Barrier(m->comm) != MPI_SUCCESS;
}

static const smile_comm_ops mpi_ops = {mpi_send, mpi_recv, mpi_bcast, mpi_allreduce_max,
                                       mpi_barrier};

smile_status smile_mpi_comm_open(MPI_Comm comm, int *argc, char ***argv, smile_comm **out,
                                 char *msg, size_t msg_len) {
    SMILE_CHECK(!out, SMILE_EINVAL, msg, msg_len, "NULL argument");
    *out = NULL;
    int init = 0, we = 0;
    MPI_Initialized(&init);
    if (!init) {
        int provided = 0;
        SMILE_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS,
                    SMILE_EIO, msg, msg_len, "MPI could not be initialised");
        we = 1;
    }
    smile_comm *c = calloc(1, sizeof *c);
    mpi_impl *m = calloc(1, sizeof *m);
    if (!c || !m || MPI_Comm_dup(comm, &m->comm) != MPI_SUCCESS) {
        free(c);
        free(m);
        if (we) MPI_Finalize();
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "MPI communicator could not be duplicated");
    }
    /* errors come back as codes, so that they reach the agreement */
    MPI_Comm_set_errhandler(m->comm, MPI_ERRORS_RETURN);
    m->we_initialised = we;
    MPI_Comm_rank(m->comm, &c->rank);
    MPI_Comm_size(m->comm, &c->size);
    c->ops = &mpi_ops;
    c->impl = m;
    *out = c;
    return SMILE_OK;
}

void smile_mpi_comm_close(smile_comm *c) {
    if (!c) return;
    mpi_impl *m = c->impl;
    int we = m && m->we_initialised;
    if (m) MPI_Comm_free(&m->comm);
    free(m);
    free(c);
    int fin = 0;
    MPI_Finalized(&fin);
    if (we && !fin) MPI_Finalize();
}

void smile_mpi_comm_abort(smile_comm *c, int code) {
    mpi_impl *m = c ? c->impl : NULL;
    MPI_Abort(m ? m->comm : MPI_COMM_WORLD, code);
}
