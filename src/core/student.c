/* Student-t distribution of unit scale with ν > 0 degrees of freedom: the noise
 * family of the robust heteroscedastic regression head (docs/method.md, section 2.2).
 *
 *   density  f(z) = exp(c_ν − (ν+1)/2 · log(1 + z²/ν)),
 *            c_ν  = log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ)
 *   CDF      F(z) = ½ I_x(ν/2, ½) for z ≤ 0, 1 − ½ I_x(ν/2, ½) for z > 0,
 *            x = ν/(ν + z²)   (I: the regularised incomplete beta function)
 *
 * Everything in double; lgamma is called only by smile_student_log_norm (and once per
 * CDF call for the beta prefactor), so callers that evaluate many densities keep c_ν. */
#include "core/core.h"

#include <math.h>

#define LOG_PI 1.14472988584940017414

double smile_student_log_norm(double nu) {
    return lgamma(0.5 * (nu + 1.0)) - lgamma(0.5 * nu) - 0.5 * (log(nu) + LOG_PI);
}

/* The continued fraction of I_x(a, b) (modified Lentz), valid and fast for
 * x < (a + 1)/(a + b + 2):
 *   I_x(a, b) = x^a (1−x)^b / (a B(a, b)) · 1/(1 + d1/(1 + d2/(1 + …)))
 *   d_{2m+1} = −(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),  d_{2m} = m(b−m) x / ((a+2m−1)(a+2m)).
 * xc = 1 − x, passed separately so that it carries no cancellation. */
static double beta_cf(double a, double b, double x, double xc) {
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 400; m++) {
        const double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        c = 1.0 + num / c;
        if (fabs(d) < tiny) d = tiny;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        c = 1.0 + num / c;
        if (fabs(d) < tiny) d = tiny;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        const double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-16) break;
    }
    const double lp = a * log(x) + b * log(xc) - log(a) -
                      (lgamma(a) + lgamma(b) - lgamma(a + b));
    return exp(lp) * h;
}

/* I_x(a, b) for x ∈ [0, 1] with xc = 1 − x, by the fraction or its mirror
 * I_x(a, b) = 1 − I_{1−x}(b, a). */
static double beta_inc(double a, double b, double x, double xc) {
    if (x <= 0.0) return 0.0;
    if (xc <= 0.0) return 1.0;
    if (x < (a + 1.0) / (a + b + 2.0)) return beta_cf(a, b, x, xc);
    return 1.0 - beta_cf(b, a, xc, x);
}

double smile_student_cdf(double z, double nu) {
    if (isnan(z) || !(nu > 0)) return NAN;
    if (isinf(z)) return z > 0 ? 1.0 : 0.0;
    const double z2 = z * z, den = nu + z2;
    /* x = ν/(ν+z²), 1 − x = z²/(ν+z²); for z² ≫ ν (x below ~1e-300) the tail
     * is 0 to double precision, which beta_inc returns */
    const double tail = 0.5 * beta_inc(0.5 * nu, 0.5, nu / den, z2 / den);
    return z > 0 ? 1.0 - tail : tail;
}

double smile_student_quantile(double p, double nu) {
    if (!(nu > 0) || !(p >= 0 && p <= 1)) return NAN;
    if (p == 0) return -INFINITY;
    if (p == 1) return INFINITY;
    if (p == 0.5) return 0.0;
    /* the t quantile is at least as far from 0 as the normal one: bracket [z, …]
     * by doubling, then bisection on the CDF (monotone; 1e-14 relative) */
    const double zn = smile_normal_quantile(p), sgn = zn < 0 ? -1.0 : 1.0;
    const double q = p < 0.5 ? p : 1.0 - p; /* the lower tail probability */
    double lo = fabs(zn) * 0.5, hi = fabs(zn) + 1.0;
    for (int i = 0; i < 2000 && smile_student_cdf(-hi, nu) > q; i++) hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
        const double mid = 0.5 * (lo + hi);
        if (smile_student_cdf(-mid, nu) > q) lo = mid;
        else hi = mid;
    }
    return sgn * 0.5 * (lo + hi);
}
