/* Pooled predictive summaries against independent computations: mixture
 * moments, log density, CDF and quantiles (single Gaussian exactly; random
 * mixtures through a long-double CDF written here), the Student-t CDF against its
 * closed forms for ν = 1, 2, 3 and Student-t mixtures through them, categorical
 * entropy and mutual information. */
#include "harness.h"
#include "smile.h"
#include "metrics/mixture.h"

static long double cdf_ref(const double *mu, const double *sd, size_t S, double x) {
    long double acc = 0;
    for (size_t s = 0; s < S; s++) acc += 0.5L * erfcl(-((long double)x - mu[s]) / sd[s] / sqrtl(2.0L));
    return acc / S;
}

/* A random mixture of 1 to NMAX components: μ = spread·N(0, 1) (+ gap on every other
 * component: two separated clusters), σ = sd0 + U(0, 1). Returns the count. */
enum { NMAX = 300 };
static size_t random_mixture(smile_rng *r, double *mu, double *sd, double spread, double gap,
                             double sd0) {
    size_t n = 1 + (size_t)smile_rng_below(r, NMAX);
    for (size_t s = 0; s < n; s++) {
        mu[s] = spread * smile_rng_normal(r) + gap * (double)(s % 2);
        sd[s] = sd0 + smile_rng_uniform(r);
    }
    return n;
}

/* Closed-form Student-t CDFs (ν = 1: Cauchy; 2; 3), in long double. */
static long double t_cdf_closed(long double z, int nu) {
    const long double pi = 3.14159265358979323846264338327950288L;
    if (nu == 1) return 0.5L + atanl(z) / pi;
    if (nu == 2) return 0.5L + z / (2 * sqrtl(2 + z * z));
    return 0.5L + (z / (sqrtl(3.0L) * (1 + z * z / 3)) + atanl(z / sqrtl(3.0L))) / pi;
}

static void test_student(void) {
    /* the CDF: both tails (relative error of the smaller tail) and the centre */
    static const double zs[] = {-1e4, -200, -30, -4, -1.3, -0.2, 0, 0.2, 1.3, 4, 30, 200};
    for (int nu = 1; nu <= 3; nu++)
        for (size_t i = 0; i < sizeof zs / sizeof zs[0]; i++) {
            const long double ref = t_cdf_closed(-fabs(zs[i]), nu); /* lower tail */
            const double lo = smile_student_cdf(-fabs(zs[i]), nu), F = smile_student_cdf(zs[i], nu);
            /* the long-double reference itself cancels in the far tail (about 1e-19) */
            CHECK_CLOSE(lo, (double)ref, 1e-12, 1e-18);
            CHECK_CLOSE(F, (double)(zs[i] < 0 ? ref : 1 - ref), 1e-15, 1e-15);
        }
    CHECK(isnan(smile_student_cdf(NAN, 5)) && isnan(smile_student_cdf(1, 0)) &&
              smile_student_cdf(INFINITY, 5) == 1 && smile_student_cdf(-INFINITY, 5) == 0,
          "Student-t CDF edge cases");
    /* the batched form (the mixtures' sums) against the scalar one: F and the density
     * to a few ulp, for integer ν (odd and even: the vectorised series), others and
     * ν > 200 (the scalar fallback), at z from the centre to the far tails */
    {
        enum { NZ = 2001 };
        static double zz[NZ], Fn[NZ], fn[NZ];
        for (size_t i = 0; i < NZ; i++) zz[i] = sinh(((double)i - 1000.0) / 100.0); /* ±1.1e4 */
        zz[0] = NAN;
        zz[1] = -INFINITY;
        zz[NZ - 1] = INFINITY;
        static const double nus_n[] = {1, 2, 3, 4, 5, 6, 7, 30, 4.5, 0.7, 201};
        for (size_t k = 0; k < sizeof nus_n / sizeof *nus_n; k++) {
            const double nu = nus_n[k], nc = smile_student_log_norm(nu);
            smile_student_cdf_pdf_n(zz, NZ, nu, nc, Fn, fn);
            size_t bad = 0;
            for (size_t i = 0; i < NZ; i++) {
                const double F = smile_student_cdf(zz[i], nu);
                const double f = exp(nc - 0.5 * (nu + 1.0) * log1p(zz[i] * zz[i] / nu));
                if (isnan(zz[i])) {
                    bad += !(isnan(Fn[i]) && isnan(fn[i]));
                    continue;
                }
                /* the smaller tail to 1e-13 relative, plus 2 ulp of 1 where it is above 1e-3
                 * (there the series is kept and loses up to three digits to 1 + A); the density to a few ulp of its
                 * exponent, whose rounding grows with |log f| */
                const double t = fmin(F, 1 - F), tn = F <= 0.5 ? Fn[i] : 1 - Fn[i];
                const double ftol = f > 0 ? 1e-15 * (1 + fabs(log(f))) * f + 1e-300 : 1e-300;
                if (!(fabs(tn - t) <= 1e-13 * t + (t >= 1e-3 ? 4.5e-16 : 0)) || !(fabs(fn[i] - f) <= ftol)) {
                    if (bad++ < 3)
                        printf("  nu %g z %g: F %.17g vs %.17g, f %.17g vs %.17g\n", nu, zz[i],
                               Fn[i], F, fn[i], f);
                }
            }
            CHECK(bad == 0, "batched Student-t CDF and density (nu %g): %zu of %d differ", nu, bad, NZ);
        }
    }
    /* large ν approaches Φ (difference O(1/ν)) */
    CHECK_CLOSE(smile_student_cdf(-1.5, 1000), 0.5 * erfc(1.5 / sqrt(2.0)), 0, 2e-4);
    /* the quantile inverts the CDF */
    static const double ps[] = {1e-9, 0.025, 0.3, 0.5, 0.8, 0.975, 1 - 1e-9};
    for (int k = 0; k < 3; k++) {
        const double nu = k == 0 ? 2.5 : k == 1 ? 5 : 40;
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
            const double q = smile_student_quantile(ps[i], nu);
            CHECK_CLOSE(smile_student_cdf(q, nu), ps[i], 1e-12, 1e-300);
        }
    }
    /* one Student-t component (ν = 3): quantiles μ + σ t_p, density, moments */
    double mu1 = -0.5, sd1 = 0.4;
    smile_mixture_moments m1 = smile_mixture_moments_of(&mu1, &sd1, 1, 3);
    CHECK_CLOSE(m1.sd_aleatoric, 0.4 * sqrt(3.0), 1e-15, 0);
    for (size_t i = 1; i + 1 < sizeof ps / sizeof ps[0]; i++) {
        double q = smile_mixture_quantile(&mu1, &sd1, 1, 3, &m1, ps[i]);
        CHECK_CLOSE((double)t_cdf_closed((q - mu1) / sd1, 3), ps[i], 1e-9, 1e-12);
    }
    const long double pi = 3.14159265358979323846264338327950288L;
    long double z = (1.1L + 0.5L) / 0.4L; /* ν = 3: f(z) = 2/(π√3 (1 + z²/3)²) */
    CHECK_CLOSE(smile_mixture_logpdf(&mu1, &sd1, 1, 3, 1.1),
                (double)logl(2 / (pi * sqrtl(3.0L) * (1 + z * z / 3) * (1 + z * z / 3)) / 0.4L),
                1e-13, 0);
    /* random Student-t mixtures (ν = 3): CDF, quantiles and density */
    smile_rng r;
    smile_rng_init(&r, 11, 0, SMILE_RNG_USER);
    double mu[NMAX], sd[NMAX];
    for (int rep = 0; rep < 10; rep++) {
        size_t n = random_mixture(&r, mu, sd, 2, rep % 2 ? 15.0 : 0, 0.1);
        smile_mixture_moments m = smile_mixture_moments_of(mu, sd, n, 3);
        for (size_t i = 1; i + 1 < sizeof ps / sizeof ps[0]; i++) {
            double q = smile_mixture_quantile(mu, sd, n, 3, &m, ps[i]);
            long double F = 0;
            for (size_t s = 0; s < n; s++) F += t_cdf_closed(((long double)q - mu[s]) / sd[s], 3);
            CHECK(fabsl(F / n - ps[i]) < 1e-9, "Student-t rep %d p %g: F(q) = %.12Lg", rep, ps[i],
                  F / n);
            CHECK_CLOSE(smile_mixture_cdf(mu, sd, n, 3, q), ps[i], 0, 1e-9);
        }
        double y = mu[0] + 3.0;
        long double dens = 0;
        for (size_t s = 0; s < n; s++) {
            long double zz = (y - mu[s]) / sd[s], u = 1 + zz * zz / 3;
            dens += 2 / (pi * sqrtl(3.0L) * u * u) / sd[s];
        }
        CHECK_CLOSE(smile_mixture_logpdf(mu, sd, n, 3, y), (double)logl(dens / n), 1e-11, 1e-11);
    }
}

int main(void) {
    test_student();
    double mu1 = 1.5, sd1 = 2.0;
    smile_mixture_moments m1 = smile_mixture_moments_of(&mu1, &sd1, 1, 0);
    CHECK(m1.mean == 1.5 && m1.sd == 2.0 && m1.sd_epistemic == 0 && m1.sd_aleatoric == 2.0,
          "single component moments");
    const double ps[] = {0.05, 0.25, 0.5, 0.9, 0.995};
    for (size_t i = 0; i < 5; i++) {
        double q = smile_mixture_quantile(&mu1, &sd1, 1, 0, &m1, ps[i]);
        /* F within 2e-7 of p: q within 2e-7 / φ of the exact quantile */
        double zq = smile_normal_quantile(ps[i]), phi = exp(-0.5 * zq * zq) / sqrt(2 * M_PI);
        CHECK_CLOSE(q, 1.5 + 2.0 * zq, 0, 2.0 * 2e-7 / phi);
    }
    CHECK_CLOSE(smile_mixture_logpdf(&mu1, &sd1, 1, 0, 0.3),
                -0.5 * (1.2 / 2) * (1.2 / 2) - log(2.0) - 0.5 * log(2 * M_PI), 1e-14, 0);
    /* random mixtures */
    smile_rng r;
    smile_rng_init(&r, 7, 0, SMILE_RNG_USER);
    double mu[NMAX], sd[NMAX];
    for (int rep = 0; rep < 20; rep++) {
        size_t n = random_mixture(&r, mu, sd, 3, rep % 3 == 0 ? 20.0 : 0, 0.05);
        smile_mixture_moments m = smile_mixture_moments_of(mu, sd, n, 0);
        long double a = 0, e = 0, v = 0;
        for (size_t s = 0; s < n; s++) a += mu[s];
        a /= n;
        for (size_t s = 0; s < n; s++) e += (mu[s] - a) * (mu[s] - a), v += sd[s] * sd[s];
        CHECK_CLOSE(m.mean, (double)a, 1e-12, 1e-12);
        CHECK_CLOSE(m.sd, (double)sqrtl((e + v) / n), 1e-12, 0);
        CHECK_CLOSE(m.sd_epistemic, (double)sqrtl(e / n), 1e-12, 1e-15);
        for (size_t i = 0; i < 5; i++) {
            double q = smile_mixture_quantile(mu, sd, n, 0, &m, ps[i]);
            /* the mixture CDF is evaluated to 2e-7 (smile_mixture_cdf) */
            CHECK(fabsl(cdf_ref(mu, sd, n, q) - ps[i]) < 2e-7, "rep %d p %g: F(q) = %.12Lg", rep,
                  ps[i], cdf_ref(mu, sd, n, q));
        }
        double y = mu[0] + 0.7;
        long double dens = 0;
        for (size_t s = 0; s < n; s++) {
            long double z = (y - mu[s]) / sd[s];
            dens += expl(-0.5L * z * z) / (sd[s] * sqrtl(2 * M_PI));
        }
        CHECK_CLOSE(smile_mixture_logpdf(mu, sd, n, 0, y), (double)logl(dens / n), 1e-11, 1e-11);
    }
    /* far tail: finite log density */
    CHECK(isfinite(smile_mixture_logpdf(&mu1, &sd1, 1, 0, 1e6)), "far tail finite");
    /* categorical: two samples disagreeing */
    double p[2 * 3] = {0.9, 0.1, 0.0, 0.1, 0.9, 0.0}, pbar[3], h, mi;
    smile_categorical_summary(p, 2, 3, pbar, &h, &mi);
    double hs = -(0.9 * log(0.9) + 0.1 * log(0.1));
    CHECK(pbar[0] == 0.5 && pbar[1] == 0.5 && pbar[2] == 0, "pbar");
    CHECK_CLOSE(h, log(2.0), 1e-15, 0);
    CHECK_CLOSE(mi, log(2.0) - hs, 1e-14, 0);
    double same[2 * 2] = {0.3, 0.7, 0.3, 0.7};
    smile_categorical_summary(same, 2, 2, pbar, &h, &mi);
    CHECK(mi == 0, "agreeing samples: no epistemic part (%g)", mi);
    return harness_done("test_metrics_mixture");
}
