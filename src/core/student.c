/* Student-t distribution of unit scale with ν > 0 degrees of freedom: the noise
 * family of the robust heteroscedastic regression head (docs/method.md, section 2.2).
 *
 *   density  f(z) = exp(c_ν − (ν+1)/2 · log(1 + z²/ν)),
 *            c_ν  = log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ)
 *   CDF      F(z) = ½ I_x(ν/2, ½) for z ≤ 0, 1 − ½ I_x(ν/2, ½) for z > 0,
 *            x = ν/(ν + z²)   (I: the regularised incomplete beta function)
 *
 * Everything in double. The CDF sums over thousands of mixture components per test row,
 * so integer ν (the usual case) avoids lgamma and the continued fraction where it can:
 * a finite series near the centre, B(ν/2, ½) as a short product in the tails. */
/* smile_student_cdf_pdf_n's loops have selects whose unselected arm may divide by zero;
 * GCC vectorises them only with no-trapping-math (such arms may then be evaluated; their
 * square roots need the build's -fno-math-errno). No value changes: smile never enables
 * FP traps or reads the exception flags. This is not -ffast-math. */
#pragma GCC optimize("no-trapping-math")
#include "core/core.h"
#include "core/vmath_d.h"

#include <math.h>

#define LOG_PI 1.14472988584940017414

double smile_student_log_norm(double nu) {
    return lgamma(0.5 * (nu + 1.0)) - lgamma(0.5 * nu) - 0.5 * (log(nu) + LOG_PI);
}

/* The continued fraction of I_x(a, b) (modified Lentz), valid and fast for
 * x < (a + 1)/(a + b + 2):
 *   I_x(a, b) = x^a (1−x)^b / (a B(a, b)) · 1/(1 + d1/(1 + d2/(1 + …)))
 *   d_{2m+1} = −(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),  d_{2m} = m(b−m) x / ((a+2m−1)(a+2m)).
 * xc = 1 − x, passed separately so that it carries no cancellation; lb = log B(a, b). */
static double beta_cf(double a, double b, double x, double xc, double lb) {
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
    return exp(a * log(x) + b * log(xc) - log(a) - lb) * h;
}

/* I_x(a, b) for x ∈ [0, 1] with xc = 1 − x, by the fraction or its mirror
 * I_x(a, b) = 1 − I_{1−x}(b, a) (B is symmetric: one lb serves both). */
static double beta_inc(double a, double b, double x, double xc, double lb) {
    if (x <= 0.0) return 0.0;
    if (xc <= 0.0) return 1.0;
    if (x < (a + 1.0) / (a + b + 2.0)) return beta_cf(a, b, x, xc, lb);
    return 1.0 - beta_cf(b, a, xc, x, lb);
}

/* Integer ν up to this use the finite series and the product form of B (below). */
#define SERIES_MAX_NU 200
/* Where the series is kept (smile_student_cdf and its batched form): x = ν/(ν + z²) at least
 * SERIES_MIN_X and min(F, 1 − F) at least SERIES_MIN_TAIL, so that 1 + A loses at most three
 * digits; elsewhere the continued fraction. */
#define SERIES_MIN_X 0.1
#define SERIES_MIN_TAIL 1e-3

/* log B(ν/2, ½): for integer ν by B(a + 1, ½) = B(a, ½)·a/(a + ½) from B(½, ½) = π
 * (odd ν) or B(1, ½) = 2 (even ν), otherwise by lgamma. */
static double log_beta_half(double nu, int integer) {
    if (!integer) return lgamma(0.5 * nu) + lgamma(0.5) - lgamma(0.5 * nu + 0.5);
    const int n = (int)nu;
    double a = n % 2 ? 0.5 : 1.0, B = n % 2 ? 3.14159265358979323846 : 2.0;
    for (; a < 0.5 * n; a += 1.0) B *= a / (a + 0.5);
    return log(B);
}

/* F(z) for integer ν by the finite series of P(|T| < |z|) = A (θ = atan(z/√ν), c² =
 * cos²θ = ν/(ν + z²)):
 *   odd ν:  A = (2/π)(θ + sinθ (cosθ + (2/3)cos³θ + (2·4)/(3·5)cos⁵θ + … up to cos^{ν−2}θ))
 *   even ν: A = sinθ (1 + (1/2)cos²θ + (1·3)/(2·4)cos⁴θ + … up to cos^{ν−2}θ)
 * F = (1 + A)/2 with the signed θ. Kept only where min(F, 1 − F) ≥ SERIES_MIN_TAIL, so that
 * 1 + A loses at most three digits; the tails go to the continued fraction. */
static double cdf_series(double z, int nu, double c2) {
    const double r = 1.0 / sqrt((double)nu + z * z), s = z * r;
    double A;
    if (nu % 2) {
        const double c = sqrt((double)nu) * r;
        double term = c, sum = nu > 1 ? c : 0.0;
        for (int k = 3; k <= nu - 2; k += 2) {
            term *= c2 * (k - 1) / k;
            sum += term;
        }
        A = 0.63661977236758134308 * (atan(z / sqrt((double)nu)) + s * sum); /* 2/π */
    } else {
        double term = 1.0, sum = 1.0;
        for (int k = 2; k <= nu - 2; k += 2) {
            term *= c2 * (k - 1) / k;
            sum += term;
        }
        A = s * sum;
    }
    return 0.5 * (1.0 + A);
}

double smile_student_cdf(double z, double nu) {
    if (isnan(z) || !(nu > 0)) return NAN;
    if (isinf(z)) return z > 0 ? 1.0 : 0.0;
    const double z2 = z * z, den = nu + z2, x = nu / den;
    const int integer = nu == floor(nu) && nu <= SERIES_MAX_NU;
    if (integer && x >= SERIES_MIN_X) { /* the series where its smaller tail keeps 13 digits */
        const double F = cdf_series(z, (int)nu, x);
        if (F >= SERIES_MIN_TAIL && F <= 1.0 - SERIES_MIN_TAIL) return F;
    }
    /* x = ν/(ν+z²), 1 − x = z²/(ν+z²); for z² ≫ ν (x below ~1e-300) the tail
     * is 0 to double precision, which beta_inc returns */
    const double tail = 0.5 * beta_inc(0.5 * nu, 0.5, x, z2 / den, log_beta_half(nu, integer));
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

/* F and the density for many z at once (core.h): the series of cdf_series for every z in
 * loops that vectorise (atan, exp and log from core/vmath_d.h, a few ulp from libm's), in
 * blocks of CDF_BLOCK with the sum over the series' terms outside the loop over z; then
 * smile_student_cdf, one by one, for the z the series does not keep (the tails, or any ν
 * that is not an integer up to SERIES_MAX_NU). */
#define CDF_BLOCK 64
void smile_student_cdf_pdf_n(const double *z, size_t m, double nu, double nc, double *F,
                             double *f) {
    const double h = 0.5 * (nu + 1.0);
    const int integer = nu == floor(nu) && nu <= SERIES_MAX_NU && nu > 0;
    const int odd = integer && (int)nu % 2, nmax = integer ? (int)nu - 2 : 0;
    const double snu = sqrt(nu), rsnu = 1.0 / snu, c1 = nu > 1 ? 1.0 : 0.0;
    for (size_t j0 = 0; j0 < m; j0 += CDF_BLOCK) {
        const size_t b = m - j0 < CDF_BLOCK ? m - j0 : CDF_BLOCK;
        const double *zb = z + j0;
        double xb[CDF_BLOCK], sb[CDF_BLOCK], term[CDF_BLOCK], sum[CDF_BLOCK];
#pragma omp simd
        for (size_t j = 0; j < b; j++) {
            const double zj = zb[j], z2 = zj * zj;
            f[j0 + j] = nn_exp_d(nc - h * nn_log1p_d(z2 / nu));
            const double den = nu + z2, sq = sqrt(den), c = snu / sq;
            xb[j] = nu / den;
            sb[j] = zj / sq; /* sin θ */
            term[j] = odd ? c : 1.0;
            sum[j] = odd ? c1 * c : 1.0;
        }
        for (int k = odd ? 3 : 2; k <= nmax; k += 2) {
            const double q = (double)(k - 1) / k;
#pragma omp simd
            for (size_t j = 0; j < b; j++) {
                term[j] *= xb[j] * q;
                sum[j] += term[j];
            }
        }
#pragma omp simd
        for (size_t j = 0; j < b; j++) {
            const double A = odd ? 0.63661977236758134308 *
                                       (nn_atan_d(zb[j] * rsnu) + sb[j] * sum[j])
                                 : sb[j] * sum[j];
            const double Fs = 0.5 * (1.0 + A);
            const int keep = integer & isgreaterequal(xb[j], SERIES_MIN_X) &
                             isgreaterequal(Fs, SERIES_MIN_TAIL) &
                             islessequal(Fs, 1.0 - SERIES_MIN_TAIL);
            F[j0 + j] = keep ? Fs : NAN;
        }
    }
    for (size_t j = 0; j < m; j++)
        if (isnan(F[j])) F[j] = smile_student_cdf(z[j], nu); /* NaN z stays NaN */
}
