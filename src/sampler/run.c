/* Several chains of one sampler in parallel OpenMP threads. Each chain has
 * its own state, batch stream and RNG streams derived from (seed, chain), so
 * the results do not depend on the number of threads or the schedule. */
#include "core/core.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

smile_run_params smile_run_params_default(void) {
    smile_run_params rp;
    memset(&rp, 0, sizeof rp);
    rp.n_chains = 1;
    rp.thin = 1;
    rp.stream = SMILE_STREAM_EPOCH;
    rp.batch_size = 1;
    rp.scale = SMILE_SCALE_N_OVER_B;
    rp.seed = 1;
    return rp;
}

static smile_status run_one(smile_chain *c, const smile_target *t, const smile_run_params *rp,
                            smile_step_callback cb, void *user, int k, char *msg, size_t len) {
    smile_batch_stream s;
    smile_stream_kind kind = c->p.kind == SMILE_SAMPLER_MCLMC ? SMILE_STREAM_FULL : rp->stream;
    SMILE_TRY(smile_batch_stream_init(&s, kind, rp->n_data, rp->batch_size, rp->scale, rp->seed,
                                      k, msg, len));
    smile_status st = SMILE_OK;
    smile_batch b;
    smile_step_info info;
    int stop = 0;
    if (rp->warmup > 0) {
        st = smile_chain_begin_warmup(c, t, rp->warmup, msg, len);
        for (int64_t i = 0; st == SMILE_OK && !stop && i < rp->warmup; i++) {
            smile_batch_stream_next(&s, &b);
            st = smile_chain_step(c, t, &b, &info);
            if (st == SMILE_OK && cb) stop = cb(user, k, c, &info);
        }
    }
    if (st == SMILE_OK && !stop) {
        if (rp->warmup > 0 && c->p.reference_phase_boundary) smile_batch_stream_new_epoch(&s);
        st = smile_chain_begin_sampling(c, t, rp->samples, rp->thin, msg, len);
        for (int64_t i = 0; st == SMILE_OK && !stop && i < rp->samples; i++) {
            smile_batch_stream_next(&s, &b);
            st = smile_chain_step(c, t, &b, &info);
            if (st == SMILE_OK && cb) stop = cb(user, k, c, &info);
        }
    }
    if (st != SMILE_OK && msg && !msg[0]) smile_set_msg(msg, len, "chain %d: %s", k, smile_status_str(st));
    smile_batch_stream_free(&s);
    if (st == SMILE_OK && stop) st = SMILE_EINTERRUPTED;
    return st;
}

smile_status smile_run_chains(smile_chain *chains, const smile_target *targets,
                              const smile_run_params *rp, smile_step_callback cb, void *user,
                              char *msg, size_t msg_len) {
    SMILE_CHECK(!chains || !targets || !rp, SMILE_EINVAL, msg, msg_len, "NULL argument");
    SMILE_CHECK(rp->n_chains < 1, SMILE_EINVAL, msg, msg_len, "need at least one chain");
    SMILE_CHECK(rp->warmup < 0 || rp->samples < 0, SMILE_EINVAL, msg, msg_len,
                "step counts must be >= 0");
    SMILE_CHECK(rp->thin < 1, SMILE_EINVAL, msg, msg_len, "thinning must be >= 1");
    const int K = rp->n_chains;
    smile_status first = SMILE_OK;
    int first_k = K;
    char local[256] = "";
#pragma omp parallel for schedule(dynamic, 1) num_threads(rp->threads > 0 ? rp->threads : omp_get_max_threads())
    for (int k = 0; k < K; k++) {
        char m[256] = "";
        smile_status st = run_one(&chains[k], &targets[k], rp, cb, user, k, m, sizeof m);
        if (st != SMILE_OK) {
#pragma omp critical(smile_run_err)
            if (k < first_k) { /* report the lowest failing chain: deterministic */
                first_k = k;
                first = st;
                memcpy(local, m, sizeof local);
            }
        }
    }
    if (first != SMILE_OK) smile_set_msg(msg, msg_len, "%s", local);
    return first;
}
