/* Chains run by several ranks (include/smile_comm.h): rank 0 collects the
 * counters and final step settings of the chains the other ranks ran. */
#include "core/comm.h"

#include <stdlib.h>

/* The counters of a chain that reports use. */
typedef struct {
    int64_t step, n_grad, n_emitted, n_resets, n_nonfinite, n_eps_up, n_eps_down;
    double eps, L;
} chain_counts;

smile_status smile_comm_gather_chains(smile_comm *c, smile_chain *chains, int K, char *msg,
                                      size_t msg_len) {
    if (smile_comm_size(c) < 2) return SMILE_OK;
    SMILE_CHECK(!chains || K < 1, SMILE_EINVAL, msg, msg_len, "NULL argument");
    int k0, kn;
    smile_comm_members(K, smile_comm_size(c), smile_comm_rank(c), &k0, &kn);
    chain_counts *cc = calloc((size_t)K, sizeof *cc);
    SMILE_CHECK(!cc, SMILE_ENOMEM, msg, msg_len, "out of memory");
    for (int k = k0; k < k0 + kn; k++) {
        const smile_chain *ch = &chains[k];
        cc[k] = (chain_counts){ch->step,     ch->n_grad,      ch->n_emitted,
                               ch->n_resets, ch->n_nonfinite, ch->n_eps_up,
                               ch->n_eps_down, ch->eps,       ch->L};
    }
    smile_status st = smile_comm_gather_members(c, cc, sizeof *cc, K, 0, msg, msg_len);
    for (int k = 0; st == SMILE_OK && smile_comm_rank(c) == 0 && k < K; k++) {
        if (k >= k0 && k < k0 + kn) continue;
        smile_chain *ch = &chains[k];
        ch->step = cc[k].step;
        ch->n_grad = cc[k].n_grad;
        ch->n_emitted = cc[k].n_emitted;
        ch->n_resets = cc[k].n_resets;
        ch->n_nonfinite = cc[k].n_nonfinite;
        ch->n_eps_up = cc[k].n_eps_up;
        ch->n_eps_down = cc[k].n_eps_down;
        ch->eps = cc[k].eps;
        ch->L = cc[k].L;
    }
    free(cc);
    return st;
}
