/* Per-chain state: allocation, phases, and the step dispatcher.
 * The chain owns its buffers; a step allocates nothing. */
#include "sampler_internal.h"

#include <math.h>
#include <string.h>

static int is_isokinetic(smile_sampler_kind k) { return smile_kind_is_isokinetic(k); }
static int is_sg(smile_sampler_kind k) { return smile_kind_is_sg(k); }

smile_status smile_chain_init(smile_chain *c, const smile_sampler_params *p, size_t dim,
                              uint64_t seed, int chain, const float *x0, char *msg,
                              size_t msg_len) {
    SMILE_CHECK(!c, SMILE_EINVAL, msg, msg_len, "chain is NULL");
    memset(c, 0, sizeof *c);
    SMILE_TRY(smile_sampler_params_validate(p, dim, msg, msg_len));
    c->p = *p;
    c->dim = dim;
    c->chain = chain;
    c->seed = seed;
    c->x = smile_calloc(dim, sizeof(float));
    c->u = smile_calloc(dim, sizeof(float));
    c->g = smile_calloc(dim, sizeof(float));
    c->x_prev = smile_calloc(dim, sizeof(float));
    c->g_prev = smile_calloc(dim, sizeof(float));
    c->scratch = smile_calloc(dim, sizeof(float));
    c->tuning = smile_calloc(1, sizeof *c->tuning);
    int ok = c->x && c->u && c->g && c->x_prev && c->g_prev && c->scratch && c->tuning;
    if (ok && smile_kind_is_auto(p->kind)) {
        c->tuning->u_prev = smile_calloc(dim, sizeof(float));
        c->tuning->x_cand = smile_calloc(dim, sizeof(float));
        c->tuning->u_cand = smile_calloc(dim, sizeof(float));
        c->tuning->x_good = smile_calloc(dim, sizeof(float));
        c->tuning->u_good = smile_calloc(dim, sizeof(float));
        const struct smile_tuning *a = c->tuning;
        ok = a->u_prev && a->x_cand && a->u_cand && a->x_good && a->u_good;
        /* band floor: the tuner's reset threshold √(R·d·target) */
        smile_logp_guard_init(&c->tuning->lguard, SMILE_AUTO_GUARD_RATE, SMILE_AUTO_GUARD_K,
                              sqrt(p->auto_reset_factor * (double)dim * p->auto_target));
    }
    if (ok && p->precond) {
        c->mu_g = smile_calloc(dim, sizeof(float));
        c->sigma_g = smile_calloc(dim, sizeof(float));
        c->D = smile_calloc(dim, sizeof(float));
        ok = c->mu_g && c->sigma_g && c->D;
        if (ok)
            /* EMA initial values 1, as the reference implementation */
            for (size_t i = 0; i < dim; i++) c->mu_g[i] = c->sigma_g[i] = 1.0f;
    }
    if (!ok) {
        smile_chain_free(c);
        smile_set_msg(msg, msg_len, "out of memory allocating a chain of dimension %zu", dim);
        return SMILE_ENOMEM;
    }
    if (x0) memcpy(c->x, x0, dim * sizeof(float));
    c->u_zero = 1;
    c->have_cache = 0;
    c->logp = 0.0;
    c->eps = p->step_size;
    c->L = p->L;
    smile_energy_tuner_init(&c->tuning->tuner, p->reset_prob, p->adaption_prob,
                            p->adaption_strength, p->smoothing);
    smile_auto_tuner_init(&c->tuning->autotune, p->auto_target, p->auto_gain, p->auto_clip,
                          p->auto_smoothing, p->auto_reset_factor);
    smile_rng_init(&c->rng_noise, seed, (uint64_t)chain, SMILE_RNG_NOISE);
    smile_rng_init(&c->rng_vel, seed, (uint64_t)chain, SMILE_RNG_VELOCITY);
    c->phase = SMILE_PHASE_SAMPLING;
    c->thin = 1;
    if (is_sg(p->kind)) {
        smile_status st = smile_sg_alloc(c);
        if (st != SMILE_OK) {
            smile_chain_free(c);
            smile_set_msg(msg, msg_len, "out of memory allocating a chain of dimension %zu", dim);
            return st;
        }
    }
    return SMILE_OK;
}

void smile_chain_free(smile_chain *c) {
    if (!c) return;
    smile_mclmc_free(c);
    float **bufs[] = {&c->x,       &c->u,      &c->g,        &c->x_prev,  &c->g_prev,
                      &c->mu_g,    &c->sigma_g, &c->D,       &c->ada_sigma, &c->ada_gbar,
                      &c->ada_tau, &c->ada_glast, &c->scratch};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        smile_free(*bufs[i]);
        *bufs[i] = NULL;
    }
    if (c->tuning) {
        float **abufs[] = {&c->tuning->u_prev, &c->tuning->x_cand, &c->tuning->u_cand,
                           &c->tuning->x_good, &c->tuning->u_good};
        for (size_t i = 0; i < sizeof abufs / sizeof abufs[0]; i++) smile_free(*abufs[i]);
    }
    smile_free(c->tuning);
    c->tuning = NULL;
}

/* The reference implementation's phase boundary (reference_phase_boundary,
 * docs/experiments.md, section 8): u <- 0, cache dropped, so the next step's
 * potential term is masked and its first velocity sub-step is a no-op. */
static void reference_boundary(smile_chain *c) {
    memset(c->u, 0, c->dim * sizeof(float));
    memset(c->g, 0, c->dim * sizeof(float));
    c->u_zero = 1;
    c->logp = 0.0;
    c->have_cache = 0;
}

smile_status smile_chain_begin_warmup(smile_chain *c, const smile_target *t, int64_t n,
                                      char *msg, size_t msg_len) {
    SMILE_CHECK(!c || !c->x, SMILE_EINVAL, msg, msg_len, "chain not initialised");
    SMILE_CHECK(n < 0, SMILE_EINVAL, msg, msg_len, "warm-up length must be >= 0");
    c->phase = SMILE_PHASE_WARMUP;
    c->phase_step = 0;
    c->phase_len = n;
    c->thin = 1;
    if (c->p.kind == SMILE_SAMPLER_MCLMC) return smile_mclmc_begin_warmup(c, t, n, msg, msg_len);
    if (is_sg(c->p.kind)) smile_sg_begin_phase(c);
    return SMILE_OK;
}

smile_status smile_chain_begin_sampling(smile_chain *c, const smile_target *t, int64_t n,
                                        int thin, char *msg, size_t msg_len) {
    SMILE_CHECK(!c || !c->x, SMILE_EINVAL, msg, msg_len, "chain not initialised");
    SMILE_CHECK(n < 0, SMILE_EINVAL, msg, msg_len, "sampling length must be >= 0");
    SMILE_CHECK(thin < 1, SMILE_EINVAL, msg, msg_len, "thinning must be >= 1 (got %d)", thin);
    const int had_warmup = c->phase == SMILE_PHASE_WARMUP && c->phase_step > 0;
    c->phase = SMILE_PHASE_SAMPLING;
    c->phase_step = 0;
    c->phase_len = n;
    c->thin = thin;
    if (c->p.kind == SMILE_SAMPLER_MCLMC) return smile_mclmc_begin_sampling(c, t, msg, msg_len);
    if (is_isokinetic(c->p.kind) && had_warmup && c->p.reference_phase_boundary)
        reference_boundary(c);
    if (is_sg(c->p.kind)) smile_sg_begin_phase(c);
    return SMILE_OK;
}

/* Fault injection (core/core.h): the step's target with every evaluation
 * passed through smile_fault_eval. */
typedef struct {
    const smile_target *t;
    const smile_fault_config *f;
    uint64_t chain, step, k;
} fault_target;

static int fault_eval(void *user, const float *x, const smile_batch *b, double *logp,
                      float *grad) {
    fault_target *ft = user;
    int rc = ft->t->logdensity_grad(ft->t->user, x, b, logp, grad);
    smile_fault_eval(ft->f, ft->chain, ft->step, ft->k++, ft->t->dim, logp, grad);
    return rc;
}

smile_status smile_chain_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                              smile_step_info *info) {
    if (!c || !c->x || !t || !t->logdensity_grad || t->dim != c->dim || !b || !info)
        return SMILE_EINVAL;
    const smile_fault_config *fc = smile_fault_get();
    fault_target ft;
    smile_target faulty;
    if (fc && fc->grad_rate > 0) {
        ft = (fault_target){t, fc, c->seed * 0x9e3779b97f4a7c15ULL ^ (uint64_t)c->chain,
                            (uint64_t)c->step, 0};
        faulty = *t;
        faulty.user = &ft;
        faulty.logdensity_grad = fault_eval;
        t = &faulty;
    }
    memset(info, 0, sizeof *info);
    info->T_reset = info->T_up = info->T_low = NAN;
    info->dE_batch = NAN;
    info->precond_r = info->precond_min = info->precond_max = NAN;
    info->step = c->step;
    info->phase_step = c->phase_step;
    info->phase = c->phase;
    info->L = c->L;
    switch (c->p.kind) {
    case SMILE_SAMPLER_MCLMC: smile_mclmc_step(c, t, b, info); break;
    case SMILE_SAMPLER_SMILE_NAIVE:
    case SMILE_SAMPLER_SMILE:
    case SMILE_SAMPLER_PSMILE_NAIVE:
    case SMILE_SAMPLER_PSMILE:
    case SMILE_SAMPLER_SMILE_AUTO:
    case SMILE_SAMPLER_PSMILE_AUTO: smile_smile_step(c, t, b, info); break;
    default: smile_sg_step(c, t, b, info); break;
    }
    c->n_grad += info->grad_evals;
    c->n_logp += info->logp_evals;
    if (info->flags & SMILE_INFO_RESET) c->n_resets++;
    if (info->flags & SMILE_INFO_NONFINITE) c->n_nonfinite++;
    if (info->flags & SMILE_INFO_EPS_UP) c->n_eps_up++;
    if (info->flags & SMILE_INFO_EPS_DOWN) c->n_eps_down++;
    if (c->phase == SMILE_PHASE_SAMPLING && !(info->flags & SMILE_INFO_EXPLORE) &&
        c->phase_step % c->thin == 0) {
        info->flags |= SMILE_INFO_SAMPLE_EMITTED;
        c->n_emitted++;
    }
    c->step++;
    c->phase_step++;
    return SMILE_OK;
}
