/* A fit over several ranks (docs/mpi.md): rank r owns a contiguous block of
 * members, trains their DE members and runs their chains; the per-member
 * results that rank 0 writes into the run's shared files (de_members.npy,
 * run.json) are gathered here, member by member, so that the files do not
 * depend on the number of ranks. */
#include "fit/fit_internal.h"

#include <stdlib.h>
#include <string.h>

void fit_ranks_init(smile_fit *f) {
    f->comm = f->rt.comm;
    f->rank = smile_comm_rank(f->comm);
    smile_comm_members(f->cfg.members, smile_comm_size(f->comm), f->rank, &f->k0, &f->kn);
}

smile_status fit_agree(smile_fit *f, smile_status st, char *msg, size_t msg_len) {
    return smile_comm_agree(f->comm, st, msg, msg_len);
}

smile_status fit_gather_de(smile_fit *f, float *theta, char *msg, size_t msg_len) {
    const int K = f->cfg.members;
    SMILE_TRY(smile_comm_gather_members(f->comm, theta, f->d * sizeof(float), K, 0, msg, msg_len));
    SMILE_TRY(smile_comm_gather_members(f->comm, f->de_rep, sizeof *f->de_rep, K, 0, msg,
                                        msg_len));
    f->de_grad_evals = 0;
    for (int k = 0; k < K; k++) f->de_grad_evals += f->de_rep[k].updates;
    return SMILE_OK;
}

smile_status fit_share_text(smile_fit *f, char **json, char *msg, size_t msg_len) {
    if (smile_comm_size(f->comm) < 2 || !json) return SMILE_OK;
    int64_t len = f->rank == 0 && *json ? (int64_t)strlen(*json) : 0;
    SMILE_TRY(smile_comm_bcast(f->comm, &len, sizeof len, 0, msg, msg_len));
    if (f->rank != 0) {
        free(*json);
        *json = calloc((size_t)len + 1, 1);
        SMILE_CHECK(!*json, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    return smile_comm_bcast(f->comm, *json, (size_t)len, 0, msg, msg_len);
}
