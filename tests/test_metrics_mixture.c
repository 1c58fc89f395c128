/* Pooled predictive summaries against independent computations: mixture
 * moments, log density, CDF and quantiles (single Gaussian exactly; random
 * mixtures through a long-double CDF written here), categorical entropy and
 * mutual information. */
#include "harness.h"
#include "smile.h"
#include "metrics/mixture.h"

static long double cdf_ref(const double *mu, const double *sd, size_t S, double x) {
    long double acc = 0;
    for (size_t s = 0; s < S; s++) acc += 0.5L * erfcl(-((long double)x - mu[s]) / sd[s] / sqrtl(2.0L));
    return acc / S;
}

int main(void) {
    double mu1 = 1.5, sd1 = 2.0;
    smile_mixture_moments m1 = smile_mixture_moments_of(&mu1, &sd1, 1);
    CHECK(m1.mean == 1.5 && m1.sd == 2.0 && m1.sd_epistemic == 0 && m1.sd_aleatoric == 2.0,
          "single component moments");
    const double ps[] = {0.05, 0.25, 0.5, 0.9, 0.995};
    for (size_t i = 0; i < 5; i++) {
        double q = smile_mixture_quantile(&mu1, &sd1, 1, &m1, ps[i]);
        /* F within 2e-7 of p: q within 2e-7 / φ of the exact quantile */
        double zq = smile_normal_quantile(ps[i]), phi = exp(-0.5 * zq * zq) / sqrt(2 * M_PI);
        CHECK_CLOSE(q, 1.5 + 2.0 * zq, 0, 2.0 * 2e-7 / phi);
    }
    CHECK_CLOSE(smile_mixture_logpdf(&mu1, &sd1, 1, 0.3),
                -0.5 * (1.2 / 2) * (1.2 / 2) - log(2.0) - 0.5 * log(2 * M_PI), 1e-14, 0);
    /* random mixtures */
    smile_rng r;
    smile_rng_init(&r, 7, 0, SMILE_RNG_USER);
    enum { S = 300 };
    double mu[S], sd[S];
    for (int rep = 0; rep < 20; rep++) {
        size_t n = 1 + (size_t)smile_rng_below(&r, S);
        for (size_t s = 0; s < n; s++) {
            mu[s] = 3 * smile_rng_normal(&r) + (rep % 3 == 0 ? 20.0 * (s % 2) : 0);
            sd[s] = 0.05 + smile_rng_uniform(&r);
        }
        smile_mixture_moments m = smile_mixture_moments_of(mu, sd, n);
        long double a = 0, e = 0, v = 0;
        for (size_t s = 0; s < n; s++) a += mu[s];
        a /= n;
        for (size_t s = 0; s < n; s++) e += (mu[s] - a) * (mu[s] - a), v += sd[s] * sd[s];
        CHECK_CLOSE(m.mean, (double)a, 1e-12, 1e-12);
        CHECK_CLOSE(m.sd, (double)sqrtl((e + v) / n), 1e-12, 0);
        CHECK_CLOSE(m.sd_epistemic, (double)sqrtl(e / n), 1e-12, 1e-15);
        for (size_t i = 0; i < 5; i++) {
            double q = smile_mixture_quantile(mu, sd, n, &m, ps[i]);
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
        CHECK_CLOSE(smile_mixture_logpdf(mu, sd, n, y), (double)logl(dens / n), 1e-11, 1e-11);
    }
    /* far tail: finite log density */
    CHECK(isfinite(smile_mixture_logpdf(&mu1, &sd1, 1, 1e6)), "far tail finite");
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
