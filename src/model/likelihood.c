/* Gaussian likelihood pieces (docs/method.md, section 2.2) and the N(0, σ_p²) prior
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
