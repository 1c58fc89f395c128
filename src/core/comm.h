/* Communicator internals (src/core/comm.c): the operations an implementation
 * provides, and the collective helpers the library uses. The one-process
 * default is the NULL communicator: every helper then works on the caller's
 * own data and sends nothing. Implementations: src/mpi (MPI). */
#ifndef SMILE_CORE_COMM_H
#define SMILE_CORE_COMM_H

#include "core/core.h"
#include "smile_comm.h"

/* Point-to-point and collective primitives; 0 on success. Called from one
 * thread per process only. */
typedef struct {
    int (*send)(void *impl, int dest, const void *buf, size_t len);
    int (*recv)(void *impl, int src, void *buf, size_t len);
    int (*bcast)(void *impl, void *buf, size_t len, int root);
    int (*allreduce_max)(void *impl, int64_t *v, int n); /* element-wise, in place */
    int (*barrier)(void *impl);
} smile_comm_ops;

struct smile_comm {
    int rank, size;
    const smile_comm_ops *ops;
    void *impl;
    uint64_t bytes_sent;
};

/* The wrappers below count bytes and turn a failed primitive into SMILE_EIO
 * with a message. With c == NULL (or one rank) they are no-ops, except that
 * gather copies the caller's block to recv. */
smile_status smile_comm_send(smile_comm *c, int dest, const void *buf, size_t len, char *msg,
                             size_t msg_len);
smile_status smile_comm_recv(smile_comm *c, int src, void *buf, size_t len, char *msg,
                             size_t msg_len);
smile_status smile_comm_bcast(smile_comm *c, void *buf, size_t len, int root, char *msg,
                              size_t msg_len);
smile_status smile_comm_allreduce_max(smile_comm *c, int64_t *v, int n, char *msg,
                                      size_t msg_len);
smile_status smile_comm_barrier(smile_comm *c, char *msg, size_t msg_len);
/* Per-member blocks of `each` bytes, members in contiguous blocks per rank
 * (smile_comm_members of K): every rank passes the whole array buf[K × each]
 * with its own members' blocks filled; afterwards rank 0's buf (all == 0) or
 * every rank's buf (all == 1) holds every member's block. The result does not
 * depend on R: blocks are only copied. */
smile_status smile_comm_gather_members(smile_comm *c, void *buf, size_t each, int K, int all,
                                       char *msg, size_t msg_len);
/* Agreement at a phase boundary: every rank passes its own status and
 * message; all ranks return the status of the lowest failing rank, with its
 * message, so that every rank stops with the same single message (OK when no
 * rank failed). A failing communicator gives SMILE_EIO. */
smile_status smile_comm_agree(smile_comm *c, smile_status st, char *msg, size_t msg_len);

#endif
