/* SG-MCMC baselines (docs/method.md, section 7; section numbers in this file
 * are those of docs/method.md): SGLD, cyclical SGLD, SGHMC (persistent
 * momentum) and adaSGHMC (Springenberg et al. 2016).
 *
 * Every step makes exactly one callback evaluation on the step's batch, at
 * the current position, sanitises the gradient (NaN → 0, clip ±grad_clip,
 * all SG baselines alike, and counted, where the reference's SGLD does not
 * sanitise: docs/experiments.md, section 8) and applies the update. State
 * vectors x, g, u (SGHMC momentum p / adaSGHMC velocity v) and the adaSGHMC
 * buffers are float [d]; every per-step scalar (ε, noise scale, the
 * adaptation recursions, ‖g‖) is double. Nothing is allocated per step.
 *
 * Random numbers: Gaussian noise from c->rng_noise (one N(0,1) per coordinate
 * and step, in coordinate order); initial / redrawn momenta and the adaSGHMC
 * momentum-resampling coin from c->rng_vel.
 *
 * info->logp is log p̂ at the position where the gradient was evaluated, i.e.
 * before this step's position update: the SG baselines never evaluate the
 * target at the new position (that would double the cost: one gradient
 * evaluation per step). */
#include "sampler/sampler_internal.h"

#include <math.h>
#include <string.h>

/* adaSGHMC constants (section 7.4) */
#define ADA_EPS_DIV 1e-7   /* τ ← τ(1 − ḡ²/(σ² + 1e-7)) + 1              */
#define ADA_SIGMA2_MIN 1e-7 /* σ² floor                                    */
#define ADA_GBAR_CLIP 1e6   /* ḡ clip                                      */
#define ADA_NOISE_MIN 1e-7  /* floor of the noise variance 2mσ − (εσ)²      */

smile_status smile_sg_alloc(smile_chain *c) {
    size_t d = c->dim;
    switch (c->p.kind) {
    case SMILE_SAMPLER_ADASGHMC: {
        c->ada_sigma = smile_calloc(d, sizeof(float));
        c->ada_gbar = smile_calloc(d, sizeof(float));
        c->ada_tau = smile_calloc(d, sizeof(float));
        c->ada_glast = smile_calloc(d, sizeof(float));
        if (!c->ada_sigma || !c->ada_gbar || !c->ada_tau || !c->ada_glast) return SMILE_ENOMEM;
        /* initial state (section 7.4): σ = ḡ = τ = 1, g_last = 0 (calloc), v = 0 (u). */
        for (size_t i = 0; i < d; i++) c->ada_sigma[i] = c->ada_gbar[i] = c->ada_tau[i] = 1.0f;
        break;
    }
    case SMILE_SAMPLER_SGHMC: {
        /* section 7.2, our default: persistent momentum, initialised p ~ N(0, T·I). */
        double sd = sqrt(c->p.temperature > 0 ? c->p.temperature : 0.0);
        for (size_t i = 0; i < d; i++) c->u[i] = (float)(sd * smile_rng_normal(&c->rng_vel));
        break;
    }
    default:
        break;
    }
    return SMILE_OK;
}

void smile_sg_begin_phase(smile_chain *c) {
    /* A schedule with n_steps = 0 drives whichever phase is running (section 7.3:
     * steps s = 0 … n − 1 of the phase it drives); see sg_eps. */
    /* The reference implementation sets v ← 0 at the warm-up → sampling
     * boundary (reference_phase_boundary, section 7.4); by default the chain
     * continues unchanged. */
    if (c->p.kind == SMILE_SAMPLER_ADASGHMC && c->phase == SMILE_PHASE_SAMPLING &&
        c->p.reference_phase_boundary)
        memset(c->u, 0, c->dim * sizeof(float));
}

/* ε of this step and the exploration flag (section 7.3); CONSTANT → the chain's ε. */
static double sg_eps(const smile_chain *c, int *explore) {
    if (c->p.schedule.kind == SMILE_SCHEDULE_CONSTANT) {
        *explore = 0;
        return c->eps;
    }
    smile_schedule sch = c->p.schedule;
    if (sch.n_steps <= 0) sch.n_steps = c->phase_len > 0 ? c->phase_len : 1;
    return smile_schedule_eps(&sch, c->phase_step, explore);
}

/* The step's single callback evaluation at c->x into c->g, followed by the
 * sanitisation. A failing callback counts as an all-non-finite gradient
 * (every entry → 0 and counted). Fills the common info fields and returns the
 * log density. */
static double sg_gradient(smile_chain *c, const smile_target *t, const smile_batch *b,
                          smile_step_info *info) {
    size_t d = c->dim;
    double logp = NAN;
    int rc = t->logdensity_grad(t->user, c->x, b, &logp, c->g);
    if (rc != 0) {
        for (size_t i = 0; i < d; i++) c->g[i] = NAN;
        logp = NAN;
    }
    int64_t nonfinite = 0;
    int64_t ns = smile_grad_sanitise(c->g, d, c->p.grad_clip, &nonfinite);
    double s2 = 0.0;
    for (size_t i = 0; i < d; i++) s2 += (double)c->g[i] * (double)c->g[i];

    info->grad_evals = 1;
    info->logp = logp;
    info->grad_norm = sqrt(s2);
    info->n_sanitised = ns;
    if (ns > 0) {
        info->flags |= SMILE_INFO_GRAD_SANITISED;
        c->n_sanitised += ns;
    }
    /* Our rule (section 1.3): every non-finite event is reported. A failed
     * callback or a non-finite gradient entry (NaN or ±Inf alike) makes the
     * step a reset: no move (the caller skips the update; the driver counts
     * the flags). A non-finite log density alone does not: the update does
     * not use it. */
    if (rc != 0 || nonfinite > 0 || !isfinite(logp)) info->flags |= SMILE_INFO_NONFINITE;
    if (rc != 0 || nonfinite > 0) info->flags |= SMILE_INFO_RESET;
    c->logp = logp;
    c->have_cache = 0; /* g is at the pre-update position, never reused */
    return logp;
}

/* SGLD (section 7.1): x ← x + ε g + sqrt(2 T ε) ξ. */
static void sgld_step(smile_chain *c, double eps) {
    size_t d = c->dim;
    double T = c->p.temperature;
    double sn = sqrt(fmax(2.0 * T * eps, 0.0));
    float *x = c->x;
    const float *g = c->g;
    for (size_t i = 0; i < d; i++)
        x[i] = (float)((double)x[i] + eps * (double)g[i] + sn * smile_rng_normal(&c->rng_noise));
}

/* SGHMC (section 7.2), one Euler step with the gradient g at the old position:
 *   x ← x + ε p
 *   p ← (1 − α ε) p + ε g + sqrt(ε T (2α − ε T β)) ξ
 * (2α > εTβ is a validation requirement; the max guards a schedule abuse.) */
static void sghmc_step(smile_chain *c, double eps) {
    size_t d = c->dim;
    double T = c->p.temperature, a = c->p.sghmc_alpha, be = c->p.sghmc_beta;
    float *x = c->x, *p = c->u;
    const float *g = c->g;
    double fr = 1.0 - a * eps;
    double sn = sqrt(fmax(eps * T * (2.0 * a - eps * T * be), 0.0));
    for (size_t i = 0; i < d; i++) {
        double pi = (double)p[i];
        x[i] = (float)((double)x[i] + eps * pi);
        p[i] = (float)(fr * pi + eps * (double)g[i] + sn * smile_rng_normal(&c->rng_noise));
    }
}

/* adaSGHMC (section 7.4) step 2, elementwise with g_last = the previous
 * step's gradient:
 *   τ ← τ (1 − ḡ²/(σ² + 1e-7)) + 1,  w = 1/(τ + 1)
 *   ḡ ← clip(ḡ (1 − w) − g_last w, ±1e6)
 *   σ ← sqrt(max(σ² (1 − w) + g_last² w, 1e-7))
 * Both EMAs use the same weight, so ḡ² ≤ σ² holds exactly (Jensen) and hence
 * τ ≥ 1. Stored in float, the two roundings could break the order by an ulp;
 * clamping |ḡ| ≤ σ in double before the (monotone) rounding keeps the
 * invariant exact and is a no-op in exact arithmetic. */
static void ada_adapt(smile_chain *c) {
    size_t d = c->dim;
    float *sg = c->ada_sigma, *gb = c->ada_gbar, *ta = c->ada_tau;
    const float *gl = c->ada_glast;
    for (size_t i = 0; i < d; i++) {
        double s = (double)sg[i], s2 = s * s, m = (double)gb[i], l = (double)gl[i];
        double tau = (double)ta[i] * (1.0 - m * m / (s2 + ADA_EPS_DIV)) + 1.0;
        double w = 1.0 / (tau + 1.0);
        m = m * (1.0 - w) - l * w;
        if (m > ADA_GBAR_CLIP) m = ADA_GBAR_CLIP;
        if (m < -ADA_GBAR_CLIP) m = -ADA_GBAR_CLIP;
        s = sqrt(fmax(s2 * (1.0 - w) + l * l * w, ADA_SIGMA2_MIN));
        if (fabs(m) > s) m = copysign(s, m);
        ta[i] = (float)tau;
        gb[i] = (float)m;
        sg[i] = (float)s;
    }
}

/* adaSGHMC steps 4–5 (g already evaluated and stored as g_last):
 *   v ← (1 − m) v + ε g + sqrt(max(2 m σ − (ε σ)², 1e-7)) ξ
 *   x ← x + ε v ⊘ σ */
static void ada_move(smile_chain *c, double eps) {
    size_t d = c->dim;
    double md = c->p.mdecay;
    float *x = c->x, *v = c->u;
    const float *g = c->g, *sg = c->ada_sigma;
    for (size_t i = 0; i < d; i++) {
        double s = (double)sg[i];
        double sn = sqrt(fmax(2.0 * md * s - (eps * s) * (eps * s), ADA_NOISE_MIN));
        double vi = (1.0 - md) * (double)v[i] + eps * (double)g[i] +
                    sn * smile_rng_normal(&c->rng_noise);
        v[i] = (float)vi;
        x[i] = (float)((double)x[i] + eps * vi / s);
    }
}

void smile_sg_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                   smile_step_info *info) {
    int explore = 0;
    double eps = sg_eps(c, &explore);
    info->eps = eps;
    if (explore) info->flags |= SMILE_INFO_EXPLORE;

    switch (c->p.kind) {
    case SMILE_SAMPLER_SGHMC: {
        /* Option K > 0: redraw p ~ N(0, I) every K steps (BlackJAX calls
         * its kernel with K Euler steps per momentum draw). */
        int K = c->p.sghmc_resample_every;
        if (K > 0 && c->step % K == 0)
            for (size_t i = 0; i < c->dim; i++) c->u[i] = (float)smile_rng_normal(&c->rng_vel);
        sg_gradient(c, t, b, info);
        if (!(info->flags & SMILE_INFO_RESET)) sghmc_step(c, eps);
        break;
    }
    case SMILE_SAMPLER_ADASGHMC: {
        /* 1. momentum resampling (default probability 0: never) */
        double pr = c->p.momentum_resample_prob;
        if (pr > 0 && smile_rng_uniform(&c->rng_vel) < pr) memset(c->u, 0, c->dim * sizeof(float));
        /* 2. adaptation from the previous gradient, warm-up only (σ frozen in
         *    sampling) */
        if (c->phase == SMILE_PHASE_WARMUP) ada_adapt(c);
        /* 3. fresh sanitised gradient; g_last ← g */
        sg_gradient(c, t, b, info);
        if (info->flags & SMILE_INFO_RESET) break; /* g_last and the state stay */
        memcpy(c->ada_glast, c->g, c->dim * sizeof(float));
        /* 4–5. */
        ada_move(c, eps);
        break;
    }
    case SMILE_SAMPLER_SGLD:
    case SMILE_SAMPLER_CSGLD:
    default:
        sg_gradient(c, t, b, info);
        if (!(info->flags & SMILE_INFO_RESET)) sgld_step(c, eps);
        break;
    }
}

int smile_adasghmc_balance_ok(const smile_chain *c) {
    if (c->p.kind != SMILE_SAMPLER_ADASGHMC || !c->ada_sigma) return -1;
    /* section 7.4: max_i σ_i < 2m/ε², i.e. 2mσ_i − ε²σ_i² > 0 for every i. */
    double smax = 0.0;
    for (size_t i = 0; i < c->dim; i++)
        if ((double)c->ada_sigma[i] > smax) smax = (double)c->ada_sigma[i];
    return smax < 2.0 * c->p.mdecay / (c->eps * c->eps);
}
