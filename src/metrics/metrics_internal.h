/* Internal state of the metrics accumulator (src/metrics/acc.c fills it,
 * src/metrics/finish.c reduces it). Layouts are given per array. */
#ifndef SMILE_METRICS_INTERNAL_H
#define SMILE_METRICS_INTERNAL_H

#include "metrics/metrics.h"

#include <math.h>

/* Layout of a chain summary (section 11.11): a header, doubles, then
 * uint32 counts; offsets in elements of their section. */
#define SMILE_SUM_HDR 3 /* S_k, Σ_{s,i} ℓ, fn_samples used */
#define SMILE_FN_STATS 5 /* per point: half means m1, m2, variances v1, v2, ESS */
typedef struct {
    size_t n, C, Q, E, P;      /* points, classes, running points, width ends, fn points */
    size_t q[SMILE_METRICS_RUNNING_POINTS]; /* running sample counts             */
    size_t lse, run, mu, pit, qch, psum, fn, nd; /* double offsets             */
    size_t votes, dvotes, nu;  /* uint32 offsets, count                        */
    size_t bytes;
    int reg, cov, has_psum, has_dvotes, has_fn;
} smile_sum_layout;

/* The layout of p's summaries (0 on size overflow or bad parameters). */
int smile_sum_layout_of(const smile_metrics_params *p, smile_sum_layout *L);

/* z-values of the width ends: e = 2l: (1 − α_l)/2, e = 2l + 1: (1 + α_l)/2. */
double smile_metrics_end_prob(const smile_metrics_params *p, size_t e);

struct smile_metrics_chain {
    smile_metrics_params p;
    smile_sum_layout L;
    int k;
    size_t n, C, S, Sk;
    double *y;        /* [n] regression targets                                   */
    int32_t *lab;     /* [n] labels                                               */
    size_t *filled;   /* [S] points received per sample                           */
    /* regression: the chain's own predictions (the summary and the width
     * rounds read them) */
    float *mu, *eta;  /* [S n] μ, per-point log σ (heteroscedastic)              */
    double *tau;      /* [S] per-sample log σ (homoscedastic)                     */
    const double *scale; /* [n] DE member-spread σ (section 11.3) or NULL      */
    double nu, nc;    /* Student-t noise: ν (p.student_df; 0 Gaussian), c_ν       */
    /* classification: streamed sums in summary layout; ℓ for fn diag */
    unsigned char *acc; /* [L.bytes]; run holds per-bucket LSEs until summary   */
    float *fst;       /* [S n] ℓ (fn diag) or NULL                                */
    char err[256];
};

struct smile_metrics_acc {
    smile_metrics_params p;
    smile_sum_layout L;
    size_t n, C, S, R; /* points, classes, max samples per chain, draws per sample */
    int K;
    double *y;        /* [n] regression targets                                   */
    int32_t *lab;     /* [n] labels                                               */
    smile_metrics_chain **chains; /* [K] add calls (made on first use) or NULL   */
    int merged;       /* chains merged so far                                     */
    size_t *Sk;       /* [K]                                                      */
    double *chain_lse;/* [K n]  LSE_s ℓ_{k,s,i}                                  */
    double *run_lse;  /* [Q n]  LSE_{k, s < q_j} ℓ_{k,s,i} or NULL               */
    double sum_ell;   /* Σ ℓ over all (k, s, i) (mean per-sample NLL)             */
    /* regression */
    double *mu_sum;   /* [K n]  Σ_s μ_{k,s,i}                                     */
    double *pit;      /* [n]    Σ_{k,s} Φ((y_i − μ)/σ)                            */
    double *wx, *wlo, *whi, *wF, *wf; /* [n E] width search: point, bracket, sums */
    unsigned char *wdone; /* [n E] converged: no more CDF sums asked for       */
    uint32_t *widx;   /* [n E]  the open ends of the current round               */
    size_t w_open;    /* their number                                             */
    int w_round, w_added;
    double *de_scale; /* [n] section 11.3 member-spread σ                          */
    /* classification */
    double *psum;     /* [n C]  Σ_{k,s} p_{k,s,i,c}                               */
    uint32_t *votes;  /* [n C]  argmax votes                                      */
    size_t *chain_ok; /* [K]    points whose chain majority vote is right         */
    uint32_t *dvotes; /* [n C]  label draws (section 11.7) or NULL                */
    double *fn;       /* [K P 5] per-chain function-space statistics              */
    size_t fn_n;      /* fn_samples used by the chains                            */
    char err[256];
};

/* The add calls' chains summarised and merged, the width rounds run (acc.c). */
smile_status smile_metrics_acc_merge_added(smile_metrics_acc *a, char *msg, size_t msg_len);

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

/* Φ(z) in double. */
static inline double smile_metrics_normal_cdf(double z) {
    return 0.5 * erfc(-z * 0.70710678118654752440);
}

/* The noise of one regression sample at z = (y − μ)/σ (docs/method.md, section 2.2):
 * standard normal (nu = 0) or Student-t with nu degrees of freedom, whose log
 * normaliser nc = smile_student_log_norm(nu) the caller keeps. */
static inline double smile_metrics_noise_logpdf(double z, double nu, double nc) {
    return nu > 0 ? nc - 0.5 * (nu + 1.0) * log1p(z * z / nu)
                  : -0.91893853320467274178 - 0.5 * z * z;
}
static inline double smile_metrics_noise_pdf(double z, double nu, double nc) {
    return nu > 0 ? exp(smile_metrics_noise_logpdf(z, nu, nc))
                  : exp(-0.5 * z * z) * 0.39894228040143267794;
}
static inline double smile_metrics_noise_cdf(double z, double nu) {
    return nu > 0 ? smile_student_cdf(z, nu) : smile_metrics_normal_cdf(z);
}

/* Student-t noise (nu > 0) summed over a block of samples, in sample order:
 *   *F += Σ_j F(z_j),   *f += Σ_j f(z_j)/σ_j   for j < m ≤ SMILE_NOISE_BLOCK
 * (smile_student_cdf_pdf_n: the same values as smile_metrics_noise_cdf and _pdf to a few
 * ulp, several times faster). The callers' loops over samples fill z and σ block by block. */
#define SMILE_NOISE_BLOCK 256
static inline void smile_metrics_student_add(const double *z, const double *sig, size_t m,
                                             double nu, double nc, double *F, double *f) {
    double Fb[SMILE_NOISE_BLOCK], fb[SMILE_NOISE_BLOCK];
    smile_student_cdf_pdf_n(z, m, nu, nc, Fb, fb);
    for (size_t j = 0; j < m; j++) {
        *F += Fb[j];
        *f += fb[j] / sig[j];
    }
}

/* One safeguarded Newton step for F(x) = 0 (F increasing, density f) inside
 * the bracket [lo, hi], which it narrows; returns 1 when x has converged
 * (step or bracket within 1e-13 (1 + |x|)). */
static inline int smile_newton_step(double *x, double *lo, double *hi, double F, double f) {
    if (F < 0) *lo = *x;
    else if (F > 0) *hi = *x;
    else *lo = *hi = *x;
    double xn = f > 0 ? *x - F / f : NAN, tol = 1e-13 * (1.0 + fabs(*x));
    int done = *hi - *lo <= tol || fabs(xn - *x) <= tol;
    if (!(xn > *lo && xn < *hi)) {
        /* a step onto or just past an end of the bracket: the root is at
         * that end (whose F has the other sign only by rounding) */
        double end = xn >= *hi ? *hi : *lo;
        done |= fabs(xn - end) <= tol;
        xn = done ? end : *lo < *hi ? 0.5 * (*lo + *hi) : *lo;
    }
    *x = xn;
    return done;
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
