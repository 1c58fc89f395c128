/* Energy-error tuner of SMILE / pSMILE (docs/method.md, section 5.4), as the
 * reference implementation has it.
 *
 * The tuner keeps EMA statistics (m_E, s_E) of a = |ΔE|, fits a Gamma law
 * by moments (k = m²/(s² + 1e-6)) and takes three Wilson–Hilferty quantiles
 *     Q(p) = m (1 − 1/(9k) + z_p/(3√k))³
 * as thresholds: a > Q(p_r) is a divergent step (reset), a > Q(1 − 2α/3)
 * shrinks ε by (1 − δ), a < Q(α/3) grows it by (1 + δ). The cube of a
 * negative base stays negative (heavy tails make T_low < 0). */
#include "sampler_internal.h"

#include <math.h>

double smile_wilson_hilferty(double mE, double sE, double z) {
    if (z == INFINITY) return INFINITY;
    if (z == -INFINITY) return -INFINITY;
    double v = sE * sE + 1e-6;
    double k = mE * mE / v;
    double base = 1.0 - 1.0 / (9.0 * k) + z / (3.0 * sqrt(k));
    return mE * base * base * base;
}

void smile_energy_tuner_init(smile_energy_tuner *tu, double reset_prob, double adaption_prob,
                             double adaption_strength, double smoothing) {
    tu->reset_prob = reset_prob;
    tu->adaption_prob = adaption_prob;
    tu->adaption_strength = adaption_strength;
    tu->smoothing = smoothing;
    /* Q(1) = +inf and Q(0) = -inf disable the corresponding rule. */
    tu->z_reset = reset_prob >= 1.0 ? INFINITY : smile_normal_quantile(reset_prob);
    tu->z_up = adaption_prob <= 0.0 ? INFINITY : smile_normal_quantile(1.0 - 2.0 * adaption_prob / 3.0);
    tu->z_low = adaption_prob <= 0.0 ? -INFINITY : smile_normal_quantile(adaption_prob / 3.0);
    tu->mE = 0.0;
    tu->sE = 0.0;
    tu->t = 1;
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

smile_tuner_decision smile_energy_tuner_update(smile_energy_tuner *tu, double *eps, double a,
                                               int resets, int adapt_eps) {
    smile_tuner_decision dec = {NAN, NAN, NAN, 0, 0, 0};
    const int64_t t = tu->t;
    const int active = t >= 10; /* warm-up exemption T_w = 10 */
    if (active && (resets || adapt_eps)) {
        dec.T_reset = smile_wilson_hilferty(tu->mE, tu->sE, tu->z_reset);
        dec.T_up = smile_wilson_hilferty(tu->mE, tu->sE, tu->z_up);
        dec.T_low = smile_wilson_hilferty(tu->mE, tu->sE, tu->z_low);
        dec.reset = resets && a > dec.T_reset;
    }
    /* statistics update (every step, divergent ones included) */
    const double beta = tu->smoothing;
    double m = t < 3 ? a : (1.0 - beta) * tu->mE + beta * a;
    m = clip(m, 1e-6, 1e6);
    double v = (t != 1 ? (1.0 - beta) * tu->sE * tu->sE : 0.0) + beta * (a - m) * (a - m);
    /* the reference implementation's compounding correction */
    if (t >= 5) v /= (1.0 - pow(0.5, (double)(t - 4)));
    tu->mE = m;
    tu->sE = clip(sqrt(v), 1e-6, 1e7);
    if (active && adapt_eps) {
        if (a > dec.T_up) {
            *eps *= (1.0 - tu->adaption_strength);
            dec.eps_down = 1;
        } else if (a < dec.T_low) {
            *eps *= (1.0 + tu->adaption_strength);
            dec.eps_up = 1;
        }
        *eps = clip(*eps, 1e-8, 10.0);
    }
    tu->t = t + 1;
    return dec;
}

void smile_energy_tuner_nonfinite(smile_energy_tuner *tu, double *eps, int adapt) {
    if (adapt) *eps = fmax(*eps * (1.0 - tu->adaption_strength), 1e-8);
    tu->t += 1;
}
