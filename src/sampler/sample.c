/* smile_sample (include/smile_sample.h): chains of one sampler on a target in
 * one call, through smile_run_chains, with the draws and a per-step trace
 * written into the caller's arrays. */
#include "sampler_internal.h"
#include "smile_sample.h"

#include <stdlib.h>
#include <string.h>

smile_sample_params smile_sample_params_default(void) {
    smile_sample_params p = {.n_chains = 1, .warmup = 1000, .samples = 1000, .thin = 1, .seed = 1};
    return p;
}

size_t smile_sample_max_draws(int64_t samples, int thin) {
    if (samples <= 0 || thin < 1) return 0;
    return (size_t)((samples - 1) / thin + 1);
}

typedef struct {
    const smile_sample_params *p;
    smile_sample_output *out;
    size_t dim, n_steps; /* n_steps = warmup + samples per chain */
} sample_ctx;

static int record_step(void *user, int k, const smile_chain *c, const smile_step_info *info) {
    sample_ctx *s = user;
    smile_sample_output *o = s->out;
    if (info->step >= 0 && (size_t)info->step < s->n_steps) {
        size_t i = (size_t)k * s->n_steps + (size_t)info->step;
        if (o->eps) o->eps[i] = info->eps;
        if (o->energy_error) o->energy_error[i] = info->dE;
        if (o->logp) o->logp[i] = info->logp;
        if (o->flags) o->flags[i] = info->flags;
    }
    if ((info->flags & SMILE_INFO_SAMPLE_EMITTED) && o->n_draws) {
        int64_t n = o->n_draws[k];
        if (n < 0 || (size_t)n >= o->max_draws) return 1; /* no room: stop this chain */
        if (o->draws)
            memcpy(o->draws + ((size_t)k * o->max_draws + (size_t)n) * s->dim, c->x,
                   s->dim * sizeof *c->x);
        o->n_draws[k] = n + 1;
    }
    return s->p->stop && *s->p->stop;
}

/* The sampler settings of p: p->params, or the defaults of p->sampler. */
static smile_status sample_sampler(const smile_sample_params *p, smile_sampler_params *sp,
                                   char *msg, size_t msg_len) {
    if (p->params) {
        *sp = *p->params;
    } else {
        const char *name = p->sampler ? p->sampler : "psmile-auto";
        smile_sampler_kind kind;
        SMILE_CHECK(smile_sampler_from_name(name, &kind) != SMILE_OK, SMILE_EINVAL, msg, msg_len,
                    "unknown sampler '%s'", name);
        *sp = smile_sampler_params_default(kind);
    }
    SMILE_CHECK(!(p->step_size >= 0.0) || p->step_size > 1e300, SMILE_EINVAL, msg, msg_len,
                "step size must be a finite number >= 0 (0 = the sampler's default)");
    if (p->step_size > 0.0) sp->step_size = p->step_size;
    return SMILE_OK;
}

static smile_status sample_check(const smile_target *t, const smile_sample_params *p,
                                 const smile_sample_output *out, size_t *n_steps, char *msg,
                                 size_t msg_len) {
    SMILE_CHECK(!t || !p || !out || !t->logdensity_grad, SMILE_EINVAL, msg, msg_len,
                "NULL argument");
    SMILE_CHECK(t->dim < 1, SMILE_EINVAL, msg, msg_len, "target dimension must be >= 1");
    SMILE_CHECK(p->n_chains < 1, SMILE_EINVAL, msg, msg_len, "need at least one chain");
    SMILE_CHECK(p->warmup < 0 || p->samples < 0, SMILE_EINVAL, msg, msg_len,
                "step counts must be >= 0");
    SMILE_CHECK(p->thin < 1, SMILE_EINVAL, msg, msg_len, "thinning must be >= 1");
    SMILE_CHECK(p->warmup > INT64_MAX - p->samples, SMILE_EINVAL, msg, msg_len,
                "too many steps");
    *n_steps = (size_t)(p->warmup + p->samples);
    size_t room, cells;
    SMILE_CHECK(smile_mul_size((size_t)p->n_chains, *n_steps, &cells) != 0 ||
                    smile_mul_size((size_t)p->n_chains, out->max_draws, &room) != 0 ||
                    smile_mul_size(room, t->dim, &room) != 0,
                SMILE_EINVAL, msg, msg_len, "output arrays too large for this machine");
    SMILE_CHECK(out->n_draws && out->max_draws < smile_sample_max_draws(p->samples, p->thin),
                SMILE_EINVAL, msg, msg_len,
                "room for %zu draws per chain, %zu needed (samples %lld, thin %d)",
                out->max_draws, smile_sample_max_draws(p->samples, p->thin),
                (long long)p->samples, p->thin);
    SMILE_CHECK(out->draws && !out->n_draws, SMILE_EINVAL, msg, msg_len,
                "draws need n_draws (the count per chain)");
    return SMILE_OK;
}

smile_status smile_sample(const smile_target *t, const float *x0, const smile_sample_params *p,
                          smile_sample_output *out, char *msg, size_t msg_len) {
    size_t n_steps = 0;
    SMILE_TRY(sample_check(t, p, out, &n_steps, msg, msg_len));
    smile_sampler_params sp;
    SMILE_TRY(sample_sampler(p, &sp, msg, msg_len));
    SMILE_TRY(smile_sampler_params_validate(&sp, t->dim, msg, msg_len));
    const int K = p->n_chains;
    if (out->n_draws)
        for (int k = 0; k < K; k++) out->n_draws[k] = 0;

    smile_run_params rp = smile_run_params_default();
    rp.n_chains = K;
    rp.warmup = p->warmup;
    rp.samples = p->samples;
    rp.thin = p->thin;
    rp.threads = p->threads;
    rp.seed = p->seed;
    rp.scale = SMILE_SCALE_N_OVER_B;
    const int mini = p->n_data > 0 && p->batch_size > 0 && p->batch_size < p->n_data;
    rp.stream = mini ? SMILE_STREAM_EPOCH : SMILE_STREAM_FULL;
    rp.n_data = p->n_data > 0 ? p->n_data : 1;
    rp.batch_size = mini ? p->batch_size : rp.n_data;

    smile_chain *chains = calloc((size_t)K, sizeof *chains);
    smile_target *targets = smile_alloc_array((size_t)K, sizeof *targets);
    smile_status st = chains && targets ? SMILE_OK : SMILE_ENOMEM;
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "out of memory");
    int n_init = 0;
    for (; st == SMILE_OK && n_init < K; n_init++) {
        targets[n_init] = *t;
        st = smile_chain_init(&chains[n_init], &sp, t->dim, p->seed, n_init,
                              x0 ? x0 + (size_t)n_init * t->dim : NULL, msg, msg_len);
        if (st != SMILE_OK) break;
    }
    sample_ctx ctx = {p, out, t->dim, n_steps};
    if (st == SMILE_OK) st = smile_run_chains(chains, targets, &rp, record_step, &ctx, msg, msg_len);
    if (st == SMILE_EINTERRUPTED && !(p->stop && *p->stop))
        smile_set_msg(msg, msg_len, "a chain emitted more draws than max_draws");
    else if (st == SMILE_EINTERRUPTED)
        smile_set_msg(msg, msg_len, "stopped on request");
    for (int k = 0; k < n_init; k++) smile_chain_free(&chains[k]);
    free(chains);
    free(targets);
    return st;
}
