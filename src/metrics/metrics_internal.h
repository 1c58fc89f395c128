/* Internal state of the metrics accumulator (src/metrics/acc.c fills it,
 * src/metrics/finish.c reduces it). Layouts are given per array. */
#ifndef SMILE_METRICS_INTERNAL_H
#define SMILE_METRICS_INTERNAL_H

#include "metrics/metrics.h"

#include <math.h>

struct smile_metrics_acc {
    smile_metrics_params p;
    size_t n, C, S, R; /* points, classes, max samples per chain, draws per sample */
    int K;
    double *y;        /* [n] regression targets                                   */
    int32_t *lab;     /* [n] labels                                               */
    size_t *filled;   /* [K S] points received per (chain, sample)               */
    double *chain_lse;/* [K n]  LSE_s ℓ_{k,s,i}                                  */
    double *run_lse;  /* [S n]  LSE_k ℓ_{k,s,i} (running LPPD) or NULL           */
    double sum_ell;   /* Σ ℓ over all (k, s, i) (mean per-sample NLL)             */
    /* regression */
    double *mu_sum;   /* [K n]  Σ_s μ_{k,s,i}                                     */
    float *fstore;    /* [K S n] μ (regression) or ℓ (classification) or NULL      */
    float *lsig_pt;   /* [K S n] per-point log σ (heteroscedastic coverage) or NULL */
    double *lsig_s;   /* [K S] per-sample log σ (homoscedastic)                    */
    /* classification */
    double *psum;     /* [n C]  Σ_{k,s} p_{k,s,i,c}                               */
    uint32_t *votes;  /* [K n C] argmax votes per chain                           */
    uint32_t *dvotes; /* [n C]  label draws (section 11.7) or NULL                */
    int de_fed;       /* de_spread: ℓ of the members already fed (finish ran)      */
    char err[256];
};

/* log(e^a + e^b), exact for −inf, NaN-propagating. */
static inline double smile_logaddexp(double a, double b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}

/* σ = clip(e^l, 1e-6, 1e6) of section 11.1 (NaN stays NaN). */
static inline double smile_metrics_sigma(double l) {
    double s = exp(l);
    if (s < 1e-6) s = 1e-6;
    else if (s > 1e6) s = 1e6;
    return s;
}

/* Gaussian log density of section 11.1. */
static inline double smile_metrics_gauss_logpdf(double y, double mu, double sigma) {
    double r = (y - mu) / sigma;
    return -0.91893853320467274178 - log(sigma) - 0.5 * r * r;
}

/* First index of the maximum (ties → smallest index, section 11.1). */
static inline size_t smile_argmax_u32(const uint32_t *v, size_t C) {
    size_t b = 0;
    for (size_t c = 1; c < C; c++)
        if (v[c] > v[b]) b = c;
    return b;
}
static inline size_t smile_argmax_d(const double *v, size_t C) {
    size_t b = 0;
    for (size_t c = 1; c < C; c++)
        if (v[c] > v[b]) b = c;
    return b;
}

#endif
