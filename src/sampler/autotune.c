/* Settling step-size tuner of smile-auto / psmile-auto, our addition
 * (docs/tuner.md; docs/method.md, section 6).
 *
 * The reference tuner (docs/method.md, section 5.4) thresholds |ΔE| against
 * quantiles of its own
 * history, so every ε is neutral when |ΔE| is dominated by the batch-switch
 * term (ξ_t − ξ_{t−1})·x, which does not depend on ε: it has no fixed point.
 * Here the controlled quantity is the same-batch energy error
 *     ΔE_b = ΔK − (ℓ_t(x_t) − ℓ_t(x_{t−1}))
 * (both log densities on the step's batch b_t), which vanishes as ε → 0 and
 * grows with ε. The controller is a Robbins–Monro iteration on log ε,
 *     v_t   = (1 − β) v_{t−1} + β ΔE_b²               (EMA, β = smoothing)
 *     h_t   = clip(log(v_t / (d · target)), −c, c)
 *     log ε ← log ε − γ h_t
 * whose fixed point is E[ΔE_b²]/d = target (the MCLMC energy-variance
 * criterion, but on one batch). Guardrail: a step with ΔE_b² > R·d·target
 * is reset; at the fixed point that is a > √R standard-deviation event. */
#include "sampler_internal.h"

#include <math.h>

void smile_auto_tuner_init(smile_auto_tuner *tu, double target, double gain, double clip,
                           double smoothing, double reset_factor) {
    tu->target = target;
    tu->gain = gain;
    tu->clip = clip;
    tu->smoothing = smoothing;
    tu->reset_factor = reset_factor;
    tu->reset_shrink = 0.5;
    tu->v = NAN;
    tu->t = 1;
}

static void move_eps(const smile_auto_tuner *tu, double *eps, double h, smile_auto_decision *d) {
    double e = *eps * exp(-tu->gain * h);
    e = fmin(fmax(e, 1e-8), 10.0);
    if (e < *eps) d->eps_down = 1;
    if (e > *eps) d->eps_up = 1;
    *eps = e;
}

smile_auto_decision smile_auto_tuner_update(smile_auto_tuner *tu, double *eps, double dE,
                                            double dlogp, size_t d, int adapt_eps) {
    smile_auto_decision dec = {0, 0, 0, 0.0};
    const double scale = (double)d * tu->target;
    const double e2 = dE * dE;
    /* Energy error out of range, or a one-step loss of log density beyond
     * the same threshold: an isokinetic step into a region of huge gradient
     * can keep dE small (ΔK absorbs the drop) while the chain leaves the
     * typical set, whose log density only varies by ~√(d/2) (measured on
     * UCI airfoil: ℓ fell by 1.4e5 in one step with |dE_b| < 47). */
    dec.reset = e2 > tu->reset_factor * scale ||
                (dlogp < 0 && dlogp * dlogp > tu->reset_factor * scale);
    /* A reset step still informs the controller (its ΔE_b is real), but it
     * enters the EMA capped at the reset threshold R·d·target. That keeps h
     * at its clip for ~ln(R·β)/β ≈ 80 steps after a reset, so ε shrinks by
     * another ×4 beyond the halving and regrows slowly: a deliberate
     * cool-down. Capping at e^c·d·target instead (no cool-down) doubled the
     * resets on airfoil and lowered the LPPD (seeds 1-3: 0.535 against
     * 0.573; docs/tuner.md, section 4). */
    const double e2c = fmin(e2, tu->reset_factor * scale);
    tu->v = isnan(tu->v) ? e2c : (1.0 - tu->smoothing) * tu->v + tu->smoothing * e2c;
    double h = log(fmax(tu->v, 1e-300) / scale);
    h = fmin(fmax(h, -tu->clip), tu->clip);
    dec.h = h;
    if (adapt_eps) move_eps(tu, eps, h, &dec);
    /* A reset step is > √R standard deviations out: ε is far too large for
     * where the chain is now (typically an overshoot while ε is still
     * settling). One Robbins–Monro move (at most e^{-γc}) would need
     * hundreds of further resets to come down, so ε is also halved; the
     * controller grows it back within ln 2/(γc) ≈ 90 steps if it was fine.
     * Non-finite steps keep the gentle shrink (they need not be ε's fault). */
    if (adapt_eps && dec.reset) {
        *eps = fmax(*eps * tu->reset_shrink, 1e-8);
        dec.eps_down = 1;
        dec.eps_up = 0;
    }
    tu->t++;
    return dec;
}

void smile_auto_tuner_nonfinite(smile_auto_tuner *tu, double *eps, int adapt_eps) {
    smile_auto_decision dec = {0, 0, 0, 0.0};
    if (adapt_eps) move_eps(tu, eps, tu->clip, &dec);
    tu->t++;
}

void smile_logp_guard_init(smile_logp_guard *g, double rate, double k_sigma, double floor) {
    g->rate = rate;
    g->k_sigma = k_sigma;
    g->floor = floor;
    g->mean = NAN;
    g->var = 0.0;
    g->n = 0;
}

int smile_logp_guard_alarm(const smile_logp_guard *g, double lp) {
    if (!(g->n * g->rate >= 1.0)) return 0; /* not enough history yet */
    const double band = fmax(g->floor, g->k_sigma * sqrt(g->var));
    return !(lp >= g->mean - band); /* NaN alarms too */
}

/* Exponentially weighted mean and variance (West's incremental form). */
void smile_logp_guard_update(smile_logp_guard *g, double lp) {
    if (!isfinite(lp)) return;
    if (g->n == 0) {
        g->mean = lp;
        g->var = 0.0;
    } else {
        const double dlt = lp - g->mean;
        g->mean += g->rate * dlt;
        g->var = (1.0 - g->rate) * (g->var + g->rate * dlt * dlt);
    }
    g->n++;
}
