/* The SMILE family (docs/method.md, section 5; section numbers in this file
 * are those of docs/method.md): SMILE-naive, SMILE, pSMILE-naive, pSMILE,
 * and the auto variants (section 6, our addition). One McLachlan (by
 * default) isokinetic integrator step per mini-batch, no velocity refresh
 * (gradient noise is the only randomness), optional gradient-noise
 * preconditioner (section 5.6) and energy-error tuner with reset guardrail
 * (sections 5.4, 5.5). Follows the per-step algorithm of section 5.3; the
 * step numbers below are its steps. */
#include "isokinetic.h"
#include "sampler_internal.h"

#include <math.h>
#include <string.h>

/* Preconditioner (section 5.6): σc = clip(σ_g, 1e-2, 1e4), r = sqrt(mean σc²),
 * D = r/σc. Our addition: precond_floor κ > 0 additionally raises σc to κ·RMS(σc) (and r is
 * recomputed), so coordinates whose gradient has no noise at all (dead ReLU
 * units) are not sped up by up to 1e6 (docs/tuner.md). */
static inline double clampd(double v, double lo, double hi) {
    return v > lo ? (v < hi ? v : hi) : lo; /* inlined; fmin/fmax calls cost ~25 % of a step */
}

static void precond_compute(smile_chain *c, smile_step_info *info) {
    const size_t d = c->dim;
    double ss = 0.0;
    for (size_t i = 0; i < d; i++) {
        double s = clampd((double)c->sigma_g[i], 1e-2, 1e4);
        ss += s * s;
    }
    double floor_s = 1e-2;
    if (c->p.precond_floor > 0) {
        floor_s = fmax(1e-2, c->p.precond_floor * sqrt(ss / (double)d));
        ss = 0.0;
        for (size_t i = 0; i < d; i++) {
            double s = clampd((double)c->sigma_g[i], floor_s, 1e4);
            ss += s * s;
        }
    }
    const double r = sqrt(ss / (double)d);
    double dmin = INFINITY, dmax = -INFINITY;
    for (size_t i = 0; i < d; i++) {
        double Di = r / clampd((double)c->sigma_g[i], floor_s, 1e4);
        c->D[i] = (float)Di;
        dmin = Di < dmin ? Di : dmin;
        dmax = Di > dmax ? Di : dmax;
    }
    info->precond_r = r;
    info->precond_min = dmin;
    info->precond_max = dmax;
}

/* Noise EMAs (section 5.6) with the raw sanitised gradient g of the last
 * position sub-step: μ first, then σ around the updated μ. */
static void noise_ema_update(smile_chain *c, const float *g) {
    const double beta = c->p.noise_ema_rate;
    for (size_t i = 0; i < c->dim; i++) {
        double mu = clampd((1.0 - beta) * (double)c->mu_g[i] + beta * (double)g[i], -1e6, 1e6);
        double dev = (double)g[i] - mu;
        double s = (double)c->sigma_g[i];
        double v = (1.0 - beta) * s * s + beta * dev * dev;
        c->mu_g[i] = (float)mu;
        c->sigma_g[i] = (float)sqrt(v > 1e-7 ? v : 1e-7);
    }
}

static void swap_ptr(float **a, float **b) {
    float *t = *a;
    *a = *b;
    *b = t;
}

static int all_finite(const float *x, size_t d) {
    for (size_t i = 0; i < d; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* Velocity after a reset. Reference (section 5.5): u <- 0, so the next step turns u
 * onto the gradient direction, a push uphill; frequent resets make the chain
 * mode-seeking and narrow the ensemble. Auto variants (ours): the step is
 * undone completely, u restored to its value before the step (docs/tuner.md,
 * section 3), so a reset only costs the step. */
static void reset_velocity(smile_chain *c, int autot, int started_zero) {
    if (autot) {
        swap_ptr(&c->u, &c->tuning->u_prev);
        c->u_zero = started_zero;
    } else {
        memset(c->u, 0, c->dim * sizeof(float));
        c->u_zero = 1;
    }
}

/* Auto variants' typical-set guard (docs/tuner.md, section 3): back to the
 * last good snapshot (≥ SMILE_AUTO_SNAPSHOT_EVERY steps old, no alarm
 * since), gradient cache dropped (g = 0 makes the next first velocity
 * sub-step an exact no-op), candidate discarded, ε halved. */
static void guard_rollback(smile_chain *c, int adapt_eps, smile_step_info *info) {
    const size_t d = c->dim;
    memcpy(c->x, c->tuning->x_good, d * sizeof(float));
    memcpy(c->u, c->tuning->u_good, d * sizeof(float));
    c->u_zero = c->tuning->u_zero_good;
    memset(c->g, 0, d * sizeof(float));
    c->have_cache = 0;
    c->logp = NAN;
    c->tuning->have_cand = 0;
    if (adapt_eps) {
        c->eps = fmax(c->eps * c->tuning->autotune.reset_shrink, 1e-8);
        info->flags |= SMILE_INFO_EPS_DOWN;
    }
    info->flags |= SMILE_INFO_RESET | SMILE_INFO_ROLLBACK;
    info->logp = c->logp;
}

/* Snapshot bookkeeping after an accepted auto step: every
 * SMILE_AUTO_SNAPSHOT_EVERY steps the candidate taken one interval ago (no
 * alarm since) becomes the good snapshot and the current state the new
 * candidate. */
static void guard_snapshot(smile_chain *c) {
    const size_t d = c->dim;
    if ((c->step + 1) % SMILE_AUTO_SNAPSHOT_EVERY != 0) return;
    if (c->tuning->have_cand) {
        swap_ptr(&c->tuning->x_good, &c->tuning->x_cand);
        swap_ptr(&c->tuning->u_good, &c->tuning->u_cand);
        c->tuning->u_zero_good = c->tuning->u_zero_cand;
    }
    memcpy(c->tuning->x_cand, c->x, d * sizeof(float));
    memcpy(c->tuning->u_cand, c->u, d * sizeof(float));
    c->tuning->u_zero_cand = c->u_zero;
    c->tuning->have_cand = 1;
}

/* SMILE-naive may follow an ε schedule (sections 5.7, 7.3). */
static void follow_schedule(smile_chain *c) {
    smile_schedule s = c->p.schedule;
    if (s.n_steps <= 0) s.n_steps = c->phase_len > 0 ? c->phase_len : 1;
    int explore = 0;
    c->eps = smile_schedule_eps(&s, c->phase_step, &explore);
}

/* The state a step starts from, to undo it on a reset. */
typedef struct {
    double eps, logp;
    int have_cache, u_zero;
    int autot, adapt_eps;
} step_start;

/* 2. snapshot for a possible reset (auto variants: the velocity too, and the
 * very first state becomes the guard's first good snapshot). */
static step_start take_snapshot(smile_chain *c, int autot, int adapt_eps) {
    const size_t d = c->dim;
    /* A step that starts from u = 0 (initial state, after a reset) is not a
     * step of the flow on the sphere: its ΔK accounts for turning u from 0
     * onto ĥ, so the auto variants do not reset on it (docs/tuner.md). */
    step_start s = {c->eps, c->logp, c->have_cache, c->u_zero, autot, adapt_eps};
    if (autot && !c->tuning->have_good) { /* the start is the first good snapshot */
        memcpy(c->tuning->x_good, c->x, d * sizeof(float));
        memcpy(c->tuning->u_good, c->u, d * sizeof(float));
        c->tuning->u_zero_good = c->u_zero;
        c->tuning->have_good = 1;
    }
    memcpy(c->x_prev, c->x, d * sizeof(float));
    memcpy(c->g_prev, c->g, d * sizeof(float));
    if (autot) memcpy(c->tuning->u_prev, c->u, d * sizeof(float));
    return s;
}

/* 4b. Auto variants: same-batch energy error, the previous position
 * re-evaluated on this step's batch (docs/tuner.md). Sets *lp0 =
 * ℓ_t(x_{t−1}) and *dEb = ΔE_b; returns 1 when the step went bad. */
static int same_batch_energy(smile_chain *c, const smile_target *t, const smile_batch *b,
                             double dK, double *lp0, double *dEb, smile_step_info *info) {
    float *gbuf = t->logp_only_ok ? NULL : c->scratch;
    int rc = t->logdensity_grad(t->user, c->x_prev, b, lp0, gbuf);
    if (gbuf) info->grad_evals++; else info->logp_evals++;
    *dEb = dK - (c->logp - *lp0);
    return rc != 0 || !isfinite(*dEb);
}

/* 5. non-finite event -> reset, statistics untouched (our rule, section 5.5).
 * The step size shrinks only when the previous step was non-finite too: one
 * corrupted evaluation (a NaN from the data or the hardware) says nothing
 * about ε, while a too-large ε fails again on the retry (docs/hardening.md). */
static void undo_nonfinite(smile_chain *c, const step_start *s, smile_step_info *info) {
    swap_ptr(&c->x, &c->x_prev);
    swap_ptr(&c->g, &c->g_prev);
    c->logp = s->logp;
    c->have_cache = s->have_cache;
    reset_velocity(c, s->autot, s->u_zero);
    const int adapt = s->adapt_eps && ++c->tuning->nonfinite_streak >= 2;
    if (s->autot) smile_auto_tuner_nonfinite(&c->tuning->autotune, &c->eps, adapt);
    else smile_energy_tuner_nonfinite(&c->tuning->tuner, &c->eps, adapt);
    if (c->eps < s->eps) info->flags |= SMILE_INFO_EPS_DOWN;
    info->flags |= SMILE_INFO_NONFINITE | SMILE_INFO_RESET;
    info->a = NAN;
    info->mE = c->tuning->tuner.mE;
    info->sE = c->tuning->tuner.sE;
    info->logp = c->logp;
}

/* 6. energy tuner and guardrail (sections 5.4, 5.5); the auto variants' settling
 * tuner on the same-batch energy error dEb and log-density change dlogp. */
static smile_tuner_decision tune(smile_chain *c, const step_start *s, double dE, double dEb,
                                 double dlogp, smile_step_info *info) {
    const int tuner = c->p.tuner, autot = s->autot;
    const double a = fabs(dE);
    info->a = a;
    /* The auto variants only keep the reference statistics (m_E, s_E) for
     * reporting; resets and ε moves come from the settling tuner. */
    smile_tuner_decision dec = smile_energy_tuner_update(&c->tuning->tuner, &c->eps, a,
                                                         tuner && !autot, s->adapt_eps && !autot);
    info->T_reset = dec.T_reset;
    info->T_up = dec.T_up;
    info->T_low = dec.T_low;
    info->mE = c->tuning->tuner.mE;
    info->sE = c->tuning->tuner.sE;
    if (autot) { /* settling tuner on the same-batch energy error */
        smile_auto_decision ad = smile_auto_tuner_update(&c->tuning->autotune, &c->eps, dEb,
                                                         dlogp, c->dim, s->adapt_eps);
        dec.reset = ad.reset && !s->u_zero;
        dec.eps_down = ad.eps_down;
        dec.eps_up = ad.eps_up;
    }
    if (dec.eps_down) info->flags |= SMILE_INFO_EPS_DOWN;
    if (dec.eps_up) info->flags |= SMILE_INFO_EPS_UP;
    return dec;
}

/* A divergent step is undone; returns the proposal's sanitised raw gradient
 * (kept for the noise EMAs, step 7). */
static const float *reset_step(smile_chain *c, const step_start *s, smile_step_info *info) {
    const float *g_last = c->g;
    swap_ptr(&c->x, &c->x_prev);
    reset_velocity(c, s->autot, s->u_zero);
    if (!c->p.reset_keeps_proposal_cache) { /* ours: a consistent state */
        swap_ptr(&c->g, &c->g_prev);        /* g_prev now holds the proposal's gradient */
        g_last = c->g_prev;
        c->logp = s->logp;
        c->have_cache = s->have_cache;
    }
    info->flags |= SMILE_INFO_RESET;
    return g_last;
}

void smile_smile_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                      smile_step_info *info) {
    const smile_sampler_params *p = &c->p;
    const int autot = smile_kind_is_auto(p->kind);
    const int frozen = p->freeze_adaptation_in_sampling && c->phase == SMILE_PHASE_SAMPLING;
    const int adapt_eps = p->tuner && !frozen;

    if (!p->tuner && p->schedule.kind != SMILE_SCHEDULE_CONSTANT) follow_schedule(c);
    const double eps = c->eps;
    info->eps = eps;
    info->t = c->tuning->tuner.t;

    /* 1. preconditioner, fixed for the whole step */
    const float *D = NULL;
    if (p->precond) {
        precond_compute(c, info);
        D = c->D;
    }
    const step_start s0 = take_snapshot(c, autot, adapt_eps);

    /* 3. integrate n_int steps on batch b (section 3.5, gradient caching) */
    int bad = 0, evals = 0;
    const double dK = smile_chain_integrate(c, t, b, D, eps, 1, &bad, &evals, info);
    c->n_sanitised += info->n_sanitised;
    info->grad_evals = evals;
    info->dK = dK;

    /* 4. energy error (section 3.6), first-step masking through have_cache */
    double dE = NAN, dEb = NAN;
    if (!bad) {
        dE = s0.have_cache ? dK - (c->logp - s0.logp) : dK;
        if (!isfinite(dE) || !isfinite(dK) || !all_finite(c->x, c->dim)) bad = 1;
    }
    double lp0_batch = NAN; /* ℓ_t(x_{t−1}): previous position on this batch */
    if (!bad && autot) bad = same_batch_energy(c, t, b, dK, &lp0_batch, &dEb, info);
    info->dE = dE;
    info->dE_batch = dEb;
    /* 4c. typical-set guard: the previous position on this new batch */
    if (!bad && autot && smile_logp_guard_alarm(&c->tuning->lguard, lp0_batch)) {
        c->tuning->nonfinite_streak = 0;
        guard_rollback(c, adapt_eps, info);
        return;
    }
    if (bad) {
        undo_nonfinite(c, &s0, info);
        return;
    }

    c->tuning->nonfinite_streak = 0;
    const smile_tuner_decision dec = tune(c, &s0, dE, dEb, c->logp - lp0_batch, info);
    const float *g_last = dec.reset ? reset_step(c, &s0, info) : c->g;
    if (autot && !dec.reset) {
        smile_logp_guard_update(&c->tuning->lguard, c->logp);
        guard_snapshot(c);
    }

    /* 7. gradient-noise EMAs (pSMILE), even after a divergent step */
    if (p->precond && !frozen) noise_ema_update(c, g_last);
    info->logp = c->logp;
}
