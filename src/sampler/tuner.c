/* Energy-error tuner of SMILE / pSMILE (spec samplers.md §7.5) [ref].
 *
 * The tuner keeps EMA statistics (m_E, s_E) of a = |ΔE|, fits a Gamma law
 * by moments (k = m²/(s² + 1e-6)) and takes three Wilson–Hilferty quantiles
 *     Q(p) = m (1 − 1/(9k) + z_p/(3√k))³
 * as thresholds: a > Q(p_r) is a divergent step (reset), a > Q(1 − 2α/3)
 * shrinks ε by (1 − δ), a < Q(α/3) grows it by (1 + δ). The cube of a
 * negative base stays negative (heavy tails make T_low < 0). */
#include "smile_internal.h"

#include <math.h>

/* Φ⁻¹(p): Acklam's rational approximation (|rel err| < 1.2e-9) refined by
 * one Halley step on erfc, which brings it to ~1e-15. */
double smile_normal_quantile(double p) {
    if (!(p > 0.0)) return p == 0.0 ? -INFINITY : NAN;
    if (!(p < 1.0)) return p == 1.0 ? INFINITY : NAN;
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    const double plow = 0.02425, phigh = 1 - plow;
    double x, q, r;
    if (p < plow) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= phigh) {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    /* Halley refinement: e = Φ(x) − p, u = e √(2π) e^{x²/2}. */
    for (int it = 0; it < 2; it++) {
        double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
        double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
        x = x - u / (1 + x * u / 2);
    }
    return x;
}

double smile_wilson_hilferty(double mE, double sE, double z) {
    if (z == INFINITY) return INFINITY;
    if (z == -INFINITY) return -INFINITY;
    double v = sE * sE + 1e-6;
    double k = mE * mE / v;
    double base = 1.0 - 1.0 / (9.0 * k) + z / (3.0 * sqrt(k));
    return mE * base * base * base;
}

void smile_energy_tuner_init(smile_energy_tuner *tu, double reset_prob, double adaption_prob,
                             double adaption_strength, double smoothing, double eps0) {
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
    tu->eps = eps0;
    tu->t = 1;
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

smile_tuner_decision smile_energy_tuner_update(smile_energy_tuner *tu, double a, int resets,
                                               int adapt_eps) {
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
    if (t >= 5) v /= (1.0 - pow(0.5, (double)(t - 4))); /* [ref] compounding correction */
    tu->mE = m;
    tu->sE = clip(sqrt(v), 1e-6, 1e7);
    if (active && adapt_eps) {
        if (a > dec.T_up) {
            tu->eps *= (1.0 - tu->adaption_strength);
            dec.eps_down = 1;
        } else if (a < dec.T_low) {
            tu->eps *= (1.0 + tu->adaption_strength);
            dec.eps_up = 1;
        }
        tu->eps = clip(tu->eps, 1e-8, 10.0);
    }
    tu->t = t + 1;
    return dec;
}

void smile_energy_tuner_nonfinite(smile_energy_tuner *tu, int adapt) {
    if (adapt) tu->eps = fmax(tu->eps * (1.0 - tu->adaption_strength), 1e-8);
    tu->t += 1;
}
