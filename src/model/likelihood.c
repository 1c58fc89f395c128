/* Gaussian and Student-t likelihood pieces (docs/method.md, section 2.2) and the N(0, σ_p²) prior
 * (docs/method.md, section 2.3). */
#include "model/likelihood.h"

#include <math.h>

#define HALF_LOG_2PI 0.91893853320467274178

double smile_gauss_logpdf_t(double y, double mu, double t, double *dmu, double *dt) {
    /* Clip in the log domain: e^t ∈ [1e-6, 1e6] ⇔ t ∈ [log 1e-6, log 1e6]. Comparing t
     * avoids overflow of e^t for large t. */
    static const double lo = -13.815510557964274; /* log 1e-6 */
    static const double hi = 13.815510557964274;  /* log 1e6  */
    double ls = t;
    int clipped = 0;
    if (t < lo) { ls = lo; clipped = 1; }
    else if (t > hi) { ls = hi; clipped = 1; } /* NaN t falls through and propagates */
    double inv_var = exp(-2.0 * ls);
    double r = y - mu;
    if (dmu) *dmu = r * inv_var;
    if (dt) *dt = clipped ? 0.0 : -1.0 + r * r * inv_var;
    return -HALF_LOG_2PI - ls - 0.5 * r * r * inv_var;
}

/* σ = softplus(η) + 1e-6 and sigmoid(η). log1p(e) is computed as log(1 + e) (a third
 * faster; absolute error about 1e-16, relative 1e-12 for e ≥ 1e-4) or, for e < 1e-4,
 * as e − e²/2 + e³/3 (relative error below e³/4 ≤ 3e-13), so that t stays smooth in η
 * to double precision. */
static double softplus_sigma(double eta, double *sigmoid) {
    const double e = exp(-fabs(eta)); /* in (0, 1]: no overflow for any η */
    *sigmoid = (eta >= 0 ? 1.0 : e) / (1.0 + e);
    const double l1p = e < 1e-4 ? e * (1.0 - e * (0.5 - e / 3.0)) : log(1.0 + e);
    return (eta > 0 ? eta : 0.0) + l1p + SMILE_SIGMA_MIN;
}

double smile_softplus_log_sigma(double eta, double *dt_deta) {
    double sg;
    const double sig = softplus_sigma(eta, &sg);
    if (dt_deta) *dt_deta = sg / sig;
    return log(sig);
}

double smile_gauss_logpdf_softplus(double y, double mu, double eta, double *dmu, double *deta) {
    double sg, sig = softplus_sigma(eta, &sg);
    int clipped = 0;
    if (sig > SMILE_SIGMA_MAX) { sig = SMILE_SIGMA_MAX; clipped = 1; } /* NaN falls through */
    const double inv = 1.0 / sig, r = y - mu, z2 = r * r * inv * inv;
    if (dmu) *dmu = r * inv * inv;
    if (deta) *deta = clipped ? 0.0 : (z2 - 1.0) * sg * inv;
    return -HALF_LOG_2PI - log(sig) - 0.5 * z2;
}

/* The Student-t density at r = y − μ with scale σ = e^ls and its derivatives by μ and by
 * ls (likelihood.h). r² and νσ² stay far from overflow: |r| < 1e39 (float data and
 * outputs) and σ ≤ 1e6. */
static double student_core(double r, double ls, double sig, double nu, double c, double *dmu,
                           double *dls) {
    const double nv = nu * sig * sig, r2 = r * r, den = nv + r2;
    if (dmu) *dmu = (nu + 1.0) * r / den;
    if (dls) *dls = -1.0 + (nu + 1.0) * r2 / den;
    return c - ls - 0.5 * (nu + 1.0) * log1p(r2 / nv);
}

double smile_student_logpdf_t(double y, double mu, double t, double nu, double c, double *dmu,
                              double *dt) {
    static const double lo = -13.815510557964274, hi = 13.815510557964274; /* log 1e∓6 */
    double ls = t;
    int clipped = 0;
    if (t < lo) { ls = lo; clipped = 1; }
    else if (t > hi) { ls = hi; clipped = 1; } /* NaN t falls through and propagates */
    double lp = student_core(y - mu, ls, exp(ls), nu, c, dmu, dt);
    if (clipped && dt) *dt = 0.0;
    return lp;
}

double smile_student_logpdf_softplus(double y, double mu, double eta, double nu, double c,
                                     double *dmu, double *deta) {
    double sg, sig = softplus_sigma(eta, &sg);
    int clipped = 0;
    if (sig > SMILE_SIGMA_MAX) { sig = SMILE_SIGMA_MAX; clipped = 1; } /* NaN falls through */
    double dls;
    double lp = student_core(y - mu, log(sig), sig, nu, c, dmu, &dls);
    if (deta) *deta = clipped ? 0.0 : dls * sg / sig;
    return lp;
}

double smile_prior_gauss(const float *theta, size_t d, double sigma_p, float *grad) {
    /* Σ_j log N(θ_j; 0, σ_p²) = −½ Σ θ_j²/σ_p² − d (log σ_p + ½ log 2π); the constant is
     * kept so every call returns the same normalisation (docs/method.md, section 2.3). */
    double inv = 1.0 / (sigma_p * sigma_p), ss = 0;
    for (size_t j = 0; j < d; j++) {
        double v = theta[j];
        ss += v * v;
        if (grad) grad[j] = (float)(-v * inv);
    }
    return -0.5 * ss * inv - (double)d * (log(sigma_p) + HALF_LOG_2PI);
}
