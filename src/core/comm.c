/* Communicator helpers over an implementation's primitives (src/core/comm.h).
 * Only data are copied, in member order, and every reduction is over
 * integers, so nothing the helpers return depends on the number of ranks. */
#include "core/comm.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int smile_comm_rank(const smile_comm *c) { return c ? c->rank : 0; }
int smile_comm_size(const smile_comm *c) { return c ? c->size : 1; }
uint64_t smile_comm_bytes_sent(const smile_comm *c) { return c ? c->bytes_sent : 0; }

void smile_comm_members(int K, int R, int r, int *first, int *count) {
    if (R < 1) R = 1;
    if (K < 0) K = 0;
    const int base = K / R, rem = K % R;
    *count = r < 0 || r >= R ? 0 : base + (r < rem);
    *first = r < 0 ? 0 : r >= R ? K : r * base + (r < rem ? r : rem);
}

static int multi(const smile_comm *c) { return c && c->size > 1; }

static smile_status failed(const char *what, char *msg, size_t msg_len) {
    smile_set_msg(msg, msg_len, "communication failed (%s)", what);
    return SMILE_EIO;
}

smile_status smile_comm_send(smile_comm *c, int dest, const void *buf, size_t len, char *msg,
                             size_t msg_len) {
    if (!multi(c)) return SMILE_OK;
    if (c->ops->send(c->impl, dest, buf, len)) return failed("send", msg, msg_len);
    c->bytes_sent += len;
    return SMILE_OK;
}

smile_status smile_comm_recv(smile_comm *c, int src, void *buf, size_t len, char *msg,
                             size_t msg_len) {
    if (!multi(c)) return SMILE_OK;
    return c->ops->recv(c->impl, src, buf, len) ? failed("receive", msg, msg_len) : SMILE_OK;
}

smile_status smile_comm_bcast(smile_comm *c, void *buf, size_t len, int root, char *msg,
                              size_t msg_len) {
    if (!multi(c)) return SMILE_OK;
    if (c->ops->bcast(c->impl, buf, len, root)) return failed("broadcast", msg, msg_len);
    /* counted as if sent by the root to every other rank */
    if (c->rank == root) c->bytes_sent += len * (uint64_t)(c->size - 1);
    return SMILE_OK;
}

smile_status smile_comm_allreduce_max(smile_comm *c, int64_t *v, int n, char *msg,
                                      size_t msg_len) {
    if (!multi(c)) return SMILE_OK;
    if (c->ops->allreduce_max(c->impl, v, n)) return failed("reduction", msg, msg_len);
    c->bytes_sent += (uint64_t)n * sizeof(int64_t);
    return SMILE_OK;
}

smile_status smile_comm_barrier(smile_comm *c, char *msg, size_t msg_len) {
    if (!multi(c)) return SMILE_OK;
    return c->ops->barrier(c->impl) ? failed("barrier", msg, msg_len) : SMILE_OK;
}

smile_status smile_comm_gather_members(smile_comm *c, void *buf, size_t each, int K, int all,
                                       char *msg, size_t msg_len) {
    if (!multi(c) || K < 1 || each == 0) return SMILE_OK;
    unsigned char *b = buf;
    int first, count;
    if (c->rank == 0) {
        for (int r = 1; r < c->size; r++) {
            smile_comm_members(K, c->size, r, &first, &count);
            if (count > 0)
                SMILE_TRY(smile_comm_recv(c, r, b + (size_t)first * each, (size_t)count * each,
                                          msg, msg_len));
        }
    } else {
        smile_comm_members(K, c->size, c->rank, &first, &count);
        if (count > 0)
            SMILE_TRY(smile_comm_send(c, 0, b + (size_t)first * each, (size_t)count * each, msg,
                                      msg_len));
    }
    if (all) SMILE_TRY(smile_comm_bcast(c, buf, (size_t)K * each, 0, msg, msg_len));
    return SMILE_OK;
}

smile_status smile_comm_agree(smile_comm *c, smile_status st, char *msg, size_t msg_len) {
    if (!multi(c)) return st;
    /* the lowest failing rank: max of (size − rank) over the failing ranks */
    int64_t v = st != SMILE_OK ? (int64_t)(c->size - c->rank) : 0;
    char m2[128];
    if (smile_comm_allreduce_max(c, &v, 1, m2, sizeof m2) != SMILE_OK) {
        smile_set_msg(msg, msg_len, "%s", m2);
        return SMILE_EIO;
    }
    if (v == 0) return SMILE_OK;
    const int root = c->size - (int)v;
    struct {
        int32_t status;
        char text[1000];
    } pkt;
    memset(&pkt, 0, sizeof pkt);
    if (c->rank == root) {
        pkt.status = st;
        if (msg) snprintf(pkt.text, sizeof pkt.text, "%s", msg);
    }
    if (smile_comm_bcast(c, &pkt, sizeof pkt, root, m2, sizeof m2) != SMILE_OK) {
        smile_set_msg(msg, msg_len, "%s", m2);
        return SMILE_EIO;
    }
    pkt.text[sizeof pkt.text - 1] = '\0';
    if (c->rank != root) {
        if (pkt.status == SMILE_EINTERRUPTED)
            smile_set_msg(msg, msg_len, "%s", pkt.text);
        else
            smile_set_msg(msg, msg_len, "rank %d: %s", root, pkt.text);
    } else if (root != 0 && pkt.status != SMILE_EINTERRUPTED) {
        char own[1000];
        snprintf(own, sizeof own, "%s", pkt.text);
        smile_set_msg(msg, msg_len, "rank %d: %s", root, own);
    }
    return (smile_status)pkt.status;
}
