/* Pooled predictive summaries: Gaussian- or Student-t-mixture moments, density, CDF and
 * quantiles; categorical entropy and mutual information (mixture.h). */
#include "metrics/mixture.h"
#include "metrics/metrics_internal.h"
#include "nn/nn_expf.h"

#include <float.h>
#include <math.h>

#define LOG_SQRT_2PI 0.91893853320467274178

smile_mixture_moments smile_mixture_moments_of(const double *mu, const double *sd, size_t S,
                                               double nu) {
    double m = 0, v = 0;
    for (size_t s = 0; s < S; s++) m += mu[s];
    m /= (double)S;
    double e = 0;
    for (size_t s = 0; s < S; s++) {
        e += (mu[s] - m) * (mu[s] - m);
        v += sd[s] * sd[s];
    }
    smile_mixture_moments r;
    r.mean = m;
    if (nu > 0) v *= nu / (nu - 2.0); /* Student-t: variance ν/(ν − 2) σ² */
    r.sd_epistemic = sqrt(e / (double)S);
    r.sd_aleatoric = sqrt(v / (double)S);
    r.sd = sqrt(e / (double)S + v / (double)S);
    return r;
}

double smile_mixture_logpdf(const double *mu, const double *sd, size_t S, double nu, double y) {
    if (nu > 0) { /* the metrics' t log density (c_ν inside: one log-sum-exp) */
        const double nc = smile_student_log_norm(nu);
        double mx = -INFINITY;
        for (size_t s = 0; s < S; s++)
            mx = fmax(mx, smile_metrics_noise_logpdf((y - mu[s]) / sd[s], nu, nc) - log(sd[s]));
        if (!isfinite(mx)) return mx;
        double acc = 0;
        for (size_t s = 0; s < S; s++)
            acc += exp(smile_metrics_noise_logpdf((y - mu[s]) / sd[s], nu, nc) - log(sd[s]) - mx);
        return mx + log(acc / (double)S);
    }
    double mx = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        double z = (y - mu[s]) / sd[s];
        double l = -0.5 * z * z - log(sd[s]);
        if (l > mx) mx = l;
    }
    if (!isfinite(mx)) return mx;
    double acc = 0;
    for (size_t s = 0; s < S; s++) {
        double z = (y - mu[s]) / sd[s];
        acc += exp(-0.5 * z * z - log(sd[s]) - mx);
    }
    return mx + log(acc / (double)S) - LOG_SQRT_2PI;
}

/* Φ(z) and φ(z) in float for the mixture sums, written to vectorise: erfc by the
 * rational approximation of Abramowitz & Stegun 7.1.26 (absolute error below
 * 1.5e-7) times e^{−z²/2}, which also gives the density. */
static inline void normal_cdf_pdf(float z, float *cdf, float *pdf) {
    const float x = fabsf(z) * 0.70710678f, t = 1.0f / (1.0f + 0.3275911f * x);
    const float e = nn_expf_fast(-x * x);
    const float p = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f +
                    t * (-1.453152027f + t * 1.061405429f))));
    const float tail = 0.5f * p * e; /* P(Z > |z|) */
    *cdf = z >= 0 ? 1.0f - tail : tail;
    *pdf = 0.39894228f * e;
}

/* F(x) and the density f(x) of the mixture (|F error| < 2e-7 for Gaussian noise;
 * nc = c_ν for Student-t noise). */
static double cdf_pdf(const double *mu, const double *sd, size_t S, double nu, double nc,
                      double x, double *pdf) {
    double F = 0, f = 0;
    if (nu > 0) {
        double z[SMILE_NOISE_BLOCK];
        for (size_t s0 = 0; s0 < S; s0 += SMILE_NOISE_BLOCK) {
            const size_t b = S - s0 < SMILE_NOISE_BLOCK ? S - s0 : SMILE_NOISE_BLOCK;
            for (size_t j = 0; j < b; j++) z[j] = (x - mu[s0 + j]) / sd[s0 + j];
            smile_metrics_student_add(z, sd + s0, b, nu, nc, &F, &f);
        }
        if (pdf) *pdf = f / (double)S;
        return F / (double)S;
    }
#pragma omp simd reduction(+ : F, f)
    for (size_t s = 0; s < S; s++) {
        float c, d;
        normal_cdf_pdf((float)((x - mu[s]) / sd[s]), &c, &d);
        F += c;
        f += d / sd[s];
    }
    if (pdf) *pdf = f / (double)S;
    return F / (double)S;
}

double smile_mixture_cdf(const double *mu, const double *sd, size_t S, double nu, double x) {
    return cdf_pdf(mu, sd, S, nu, nu > 0 ? smile_student_log_norm(nu) : 0, x, NULL);
}

double smile_mixture_quantile(const double *mu, const double *sd, size_t S, double nu,
                              const smile_mixture_moments *m, double p) {
    if (!(p > 0 && p < 1)) return NAN;
    /* bracket: every component's p-quantile lies in [lo, hi] */
    const double z = nu > 0 ? smile_student_quantile(p, nu) : smile_normal_quantile(p);
    const double nc = nu > 0 ? smile_student_log_norm(nu) : 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t s = 0; s < S; s++) {
        double q = mu[s] + z * sd[s];
        if (q < lo) lo = q;
        if (q > hi) hi = q;
    }
    if (!(lo < hi)) return lo;
    double x = m->mean + z * m->sd;
    if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
    for (int it = 0; it < 200; it++) {
        double f, F = cdf_pdf(mu, sd, S, nu, nc, x, &f) - p;
        if (fabs(F) <= 1e-9) break;
        if (F < 0) lo = x;
        else hi = x;
        if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi)) || hi - lo <= DBL_MIN) break;
        double nx = f > 0 ? x - F / f : NAN;
        x = (nx > lo && nx < hi) ? nx : 0.5 * (lo + hi);
    }
    return x;
}

void smile_categorical_summary(const double *probs, size_t S, size_t C, double *pbar,
                               double *entropy, double *mutual_info) {
    for (size_t c = 0; c < C; c++) pbar[c] = 0;
    double h_each = 0;
    for (size_t s = 0; s < S; s++) {
        const double *p = probs + s * C;
        for (size_t c = 0; c < C; c++) {
            pbar[c] += p[c];
            if (p[c] > 0) h_each -= p[c] * log(p[c]);
        }
    }
    double h = 0;
    for (size_t c = 0; c < C; c++) {
        pbar[c] /= (double)S;
        if (pbar[c] > 0) h -= pbar[c] * log(pbar[c]);
    }
    *entropy = h;
    double mi = h - h_each / (double)S;
    *mutual_info = mi > 0 ? mi : 0; /* rounding can make it slightly negative */
}
