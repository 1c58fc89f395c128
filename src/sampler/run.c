/* smile_run_chains: the chain driver (drive.c) with a plain step callback. */
#include "sampler_internal.h"

#include <stdlib.h>
#include <string.h>

smile_run_params smile_run_params_default(void) {
    smile_run_params rp = {.n_chains = 1,
                           .thin = 1,
                           .stream = SMILE_STREAM_EPOCH,
                           .batch_size = 1,
                           .scale = SMILE_SCALE_N_OVER_B,
                           .seed = 1};
    return rp;
}

typedef struct {
    smile_step_callback cb;
    void *user;
} callback_hook;

static smile_status call_back(void *user, int k, const smile_chain *c,
                              const smile_step_info *info, char *msg, size_t msg_len) {
    const callback_hook *h = user;
    SMILE_CHECK(h->cb(h->user, k, c, info) != 0, SMILE_EINTERRUPTED, msg, msg_len,
                "chain %d: stopped by the step callback", k);
    return SMILE_OK;
}

smile_status smile_run_chains(smile_chain *chains, const smile_target *targets,
                              const smile_run_params *rp, smile_step_callback cb, void *user,
                              char *msg, size_t msg_len) {
    SMILE_CHECK(!chains || !targets, SMILE_EINVAL, msg, msg_len, "NULL argument");
    SMILE_TRY(smile_run_params_check(rp, msg, msg_len));
    const int K = rp->n_chains;
    smile_drive_slot *slots = calloc((size_t)K, sizeof *slots);
    SMILE_CHECK(!slots, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_status st = SMILE_OK;
    int n = 0;
    for (; n < K && st == SMILE_OK; n++)
        st = smile_drive_slot_init(&slots[n], rp, chains[n].p.kind, n, msg, msg_len);
    callback_hook ch = {cb, user};
    smile_drive_hooks hooks = {.user = &ch, .on_step = cb ? call_back : NULL};
    if (st == SMILE_OK) st = smile_drive(chains, slots, targets, rp, &hooks, msg, msg_len);
    for (int k = 0; k < n; k++) smile_drive_slot_free(&slots[k]);
    free(slots);
    return st;
}
