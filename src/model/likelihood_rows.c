/* The fused Student-t density with the softplus link over a block of rows (likelihood.h,
 * smile_student_softplus_rows): the table default's likelihood in the FCN kernel, where
 * libm's exp and log per row took about a quarter of a sampler step.
 *
 * Every select below has both arms computed; GCC turns such a loop into vector blends only
 * if it may evaluate an arm whose floating-point operations could trap, hence
 * no-trapping-math for this file. That changes no value (smile never enables FP traps or
 * reads the exception flags); it is not -ffast-math. */
#pragma GCC optimize("no-trapping-math")
#include "model/likelihood.h"
#include "core/vmath_d.h"

#include <math.h>

void smile_student_softplus_rows(const float *y, const float *mu, const float *eta, size_t n,
                                 double nu, double c, double scale, double *lp, float *gmu,
                                 float *geta) {
    const double nu1 = nu + 1.0;
#pragma omp simd
    for (size_t k = 0; k < n; k++) {
        /* softplus_sigma, with log(1 + e) by nn_log_d */
        const double h = (double)eta[k], e = nn_exp_d(-fabs(h));
        const double sg = (isgreaterequal(h, 0.0) ? 1.0 : e) / (1.0 + e);
        const double lg = nn_log_d(1.0 + e), ser = e * (1.0 - e * (0.5 - e / 3.0));
        const double l1p = isless(e, 1e-4) ? ser : lg;
        double sig = (isgreater(h, 0.0) ? h : 0.0) + l1p + SMILE_SIGMA_MIN;
        const int clipped = isgreater(sig, SMILE_SIGMA_MAX); /* NaN falls through */
        sig = clipped ? SMILE_SIGMA_MAX : sig;
        /* student_core */
        const double r = (double)y[k] - (double)mu[k], r2 = r * r;
        const double nv = nu * sig * sig, den = nv + r2;
        lp[k] = c - nn_log_d(sig) - 0.5 * nu1 * nn_log1p_d(r2 / nv);
        gmu[k] = (float)(scale * (nu1 * r / den));
        const double dls = -1.0 + nu1 * r2 / den;
        geta[k] = (float)(scale * (clipped ? 0.0 : dls * sg / sig));
    }
}
