/* One chain's summary (docs/method.md, section 11.11): the chain's own
 * predictions reduced to a fixed number of values per test point, whatever
 * its number of samples S_k, so that the owner of a chain (an MPI rank, or the
 * one process) sends or merges only that. Regression keeps the chain's μ and
 * σ until the interval-width rounds are done (smile_metrics_chain_cdf);
 * classification streams its sums and keeps ℓ only for the function-space
 * diagnostics. */
#include "diag/diag.h"
#include "metrics/metrics_internal.h"

#include <stdlib.h>
#include <string.h>

/* a + b * c without size_t overflow (SIZE_MAX on overflow). */
static size_t madd(size_t a, size_t b, size_t c) {
    size_t bc;
    if (smile_mul_size(b, c, &bc) || bc > SIZE_MAX - a) return SIZE_MAX;
    return a + bc;
}

int smile_sum_layout_of(const smile_metrics_params *p, smile_sum_layout *L) {
    memset(L, 0, sizeof *L);
    if (!p || p->n == 0 || p->max_samples == 0) return 0;
    L->reg = p->task == SMILE_METRICS_REGRESSION;
    size_t n = p->n, C = L->reg ? 1 : p->n_classes, S = p->max_samples;
    L->n = n;
    L->C = C;
    if (p->running) {
        /* running LPPD (section 11.2): q_j = ⌊(j + 1) S_max / Q⌋, Q = min(S_max, 32):
         * evenly spaced, strictly increasing, the last one S_max */
        L->Q = S < SMILE_METRICS_RUNNING_POINTS ? S : SMILE_METRICS_RUNNING_POINTS;
        for (size_t j = 0; j < L->Q; j++) {
            size_t t;
            if (smile_mul_size(j + 1, S, &t)) return 0;
            L->q[j] = t / L->Q;
        }
    }
    L->cov = L->reg && p->coverage && p->n_levels > 0;
    L->E = L->cov ? 2 * p->n_levels : 0;
    /* function-space points; none when the chains are known to be too short */
    const int fn = p->fn_diag && !(p->fn_samples > 0 && p->fn_samples < 4);
    L->P = fn ? (p->fn_diag_max_points && p->fn_diag_max_points < n ? p->fn_diag_max_points : n)
              : 0;
    L->has_fn = L->P > 0;
    size_t o = SMILE_SUM_HDR;
    L->lse = o;
    o = madd(o, 1, n);
    L->run = o;
    o = madd(o, L->Q, n);
    if (L->reg) {
        L->mu = o;
        o = madd(o, 1, n);
        if (L->cov) {
            L->pit = o;
            o = madd(o, 1, n);
            L->qch = o;
            o = madd(o, L->E, n);
        }
    } else if (p->task == SMILE_METRICS_CLASSIFICATION) {
        L->has_psum = 1;
        L->psum = o;
        o = madd(o, n, C);
    }
    L->fn = o;
    o = madd(o, L->P, SMILE_FN_STATS);
    L->nd = o;
    size_t u = 0;
    if (!L->reg) {
        L->votes = u;
        u = madd(u, n, C);
        if (p->task == SMILE_METRICS_CLASSIFICATION && !p->calib_argmax) {
            L->has_dvotes = 1;
            L->dvotes = u;
            u = madd(u, n, C);
        }
    }
    L->nu = u;
    size_t b = madd(0, L->nd, sizeof(double));
    b = madd(b, L->nu, sizeof(uint32_t));
    if (o == SIZE_MAX || u == SIZE_MAX || b == SIZE_MAX) return 0;
    L->bytes = b;
    return 1;
}

size_t smile_metrics_summary_bytes(const smile_metrics_params *p) {
    smile_sum_layout L;
    return smile_sum_layout_of(p, &L) ? L.bytes : 0;
}

size_t smile_metrics_width_points(const smile_metrics_params *p) {
    smile_sum_layout L;
    return smile_sum_layout_of(p, &L) ? L.E * L.n : 0;
}

double smile_metrics_end_prob(const smile_metrics_params *p, size_t e) {
    double al = p->levels[e / 2];
    return e % 2 ? 0.5 * (1 + al) : 0.5 * (1 - al);
}

/* Summary sections of a buffer. */
static double *dsec(void *b) { return (double *)b; }
static uint32_t *usec(void *b, const smile_sum_layout *L) {
    return (uint32_t *)((unsigned char *)b + L->nd * sizeof(double));
}

/* Running-LPPD bucket of sample s: the first j with q_j > s. */
static size_t bucket_of(const smile_sum_layout *L, size_t s) {
    size_t j = 0;
    while (j + 1 < L->Q && L->q[j] <= s) j++;
    return j;
}

void smile_metrics_chain_free(smile_metrics_chain *c) {
    if (!c) return;
    free(c->y); free(c->lab); free(c->filled); free(c->mu); free(c->eta); free(c->tau);
    free(c->acc); free(c->fst);
    free(c);
}

const char *smile_metrics_chain_error(const smile_metrics_chain *c) { return c ? c->err : ""; }

smile_status smile_metrics_chain_init(smile_metrics_chain **out, const smile_metrics_params *p,
                                      int chain, const double *y, const int32_t *labels,
                                      char *msg, size_t msg_len) {
    SMILE_CHECK(!out || !p, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    *out = NULL;
    smile_sum_layout L;
    SMILE_CHECK(!smile_sum_layout_of(p, &L), SMILE_EINVAL, msg, msg_len,
                "metrics: bad chain parameters or size overflow");
    size_t n = p->n, S = p->max_samples, Sn;
    SMILE_CHECK(smile_mul_size(S, n, &Sn), SMILE_EINVAL, msg, msg_len, "metrics: size overflow");
    SMILE_CHECK(L.reg ? !y : !labels, SMILE_EINVAL, msg, msg_len, "metrics: chain needs %s",
                L.reg ? "targets y" : "labels");
    smile_metrics_chain *c = calloc(1, sizeof *c);
    SMILE_CHECK(!c, SMILE_ENOMEM, msg, msg_len, "metrics: out of memory");
    c->p = *p;
    c->L = L;
    c->k = chain;
    c->nu = p->student_df;
    c->nc = c->nu > 0 ? smile_student_log_norm(c->nu) : 0;
    c->n = n;
    c->C = L.C;
    c->S = S;
    int ok = (c->filled = calloc(S, sizeof(size_t))) != NULL;
    if (L.reg) {
        ok &= (c->y = malloc(n * sizeof(double))) != NULL;
        if (c->y) memcpy(c->y, y, n * sizeof(double));
        ok &= (c->mu = smile_alloc_array(Sn, sizeof(float))) != NULL;
        ok &= (c->tau = calloc(S, sizeof(double))) != NULL;
        if (p->heteroscedastic) ok &= (c->eta = smile_alloc_array(Sn, sizeof(float))) != NULL;
    } else {
        ok &= (c->lab = malloc(n * sizeof(int32_t))) != NULL;
        if (c->lab) memcpy(c->lab, labels, n * sizeof(int32_t));
        ok &= (c->acc = calloc(1, L.bytes)) != NULL;
        if (c->acc) {
            double *d = dsec(c->acc);
            for (size_t i = 0; i < n; i++) d[L.lse + i] = -INFINITY;
            for (size_t i = 0; i < L.Q * n; i++) d[L.run + i] = -INFINITY;
        }
        if (L.has_fn) ok &= (c->fst = smile_alloc_array(Sn, sizeof(float))) != NULL;
    }
    if (!ok) {
        smile_metrics_chain_free(c);
        smile_set_msg(msg, msg_len, "metrics: out of memory (chain of %zu samples, n=%zu)", S, n);
        return SMILE_ENOMEM;
    }
    *out = c;
    return SMILE_OK;
}

/* Common checks of the add calls; reserves the point count. */
static smile_status add_check(smile_metrics_chain *c, size_t s, size_t i0, size_t count,
                              const void *data) {
    if (!c) return SMILE_EINVAL;
    if (!data || s >= c->S || i0 > c->n || count > c->n - i0) {
        smile_set_msg(c->err, sizeof c->err,
                      "metrics: bad add (chain %d, sample %zu of %zu, points %zu+%zu of %zu)",
                      c->k, s, c->S, i0, count, c->n);
        return SMILE_EINVAL;
    }
    if (c->filled[s] + count > c->n) {
        smile_set_msg(c->err, sizeof c->err,
                      "metrics: chain %d sample %zu received more than n = %zu points", c->k, s,
                      c->n);
        return SMILE_EINVAL;
    }
    c->filled[s] += count;
    return SMILE_OK;
}

smile_status smile_metrics_chain_add_regression(smile_metrics_chain *c, size_t s, size_t i0,
                                                size_t count, const float *mu,
                                                const float *log_sigma_pt, double log_sigma) {
    if (c && !c->L.reg) {
        smile_set_msg(c->err, sizeof c->err, "metrics: add_regression on a non-regression task");
        return SMILE_EINVAL;
    }
    if (c && c->p.heteroscedastic && !log_sigma_pt) {
        smile_set_msg(c->err, sizeof c->err, "metrics: heteroscedastic model needs log_sigma_pt");
        return SMILE_EINVAL;
    }
    smile_status st = add_check(c, s, i0, count, mu);
    if (st != SMILE_OK) return st;
    memcpy(c->mu + s * c->n + i0, mu, count * sizeof(float));
    if (c->eta) memcpy(c->eta + s * c->n + i0, log_sigma_pt, count * sizeof(float));
    c->tau[s] = log_sigma;
    return SMILE_OK;
}

smile_status smile_metrics_chain_add_logits(smile_metrics_chain *c, size_t s, size_t i0,
                                            size_t count, const float *logits) {
    if (c && c->L.reg) {
        smile_set_msg(c->err, sizeof c->err, "metrics: add_logits on a regression task");
        return SMILE_EINVAL;
    }
    smile_status st = add_check(c, s, i0, count, logits);
    if (st != SMILE_OK) return st;
    const smile_sum_layout *L = &c->L;
    size_t n = c->n, C = c->C, b = bucket_of(L, s);
    double *d = dsec(c->acc);
    uint32_t *u = usec(c->acc, L);
    for (size_t j = 0; j < count; j++) {
        size_t i = i0 + j;
        const float *z = logits + j * C;
        /* log-softmax in double: ℓ_c = z_c − LSE(z) (section 11.1) */
        size_t am = 0;
        double zmax = (double)z[0];
        for (size_t q = 1; q < C; q++)
            if ((double)z[q] > zmax) {
                zmax = (double)z[q];
                am = q; /* first maximum: ties → smallest index (section 11.1) */
            }
        double se = 0;
        for (size_t q = 0; q < C; q++) se += exp((double)z[q] - zmax);
        double lse = zmax + log(se);
        double ell = (double)z[c->lab[i]] - lse;
        if (L->has_psum)
            for (size_t q = 0; q < C; q++) d[L->psum + i * C + q] += exp((double)z[q] - lse);
        u[L->votes + i * C + am]++;
        if (L->has_dvotes) {
            /* section 11.7: R label draws ~ Categorical(p_{k,s,i}); the stream is
             * keyed by (seed, k, s, i), so neither chunking, call order nor the
             * rank that owns the chain matter. */
            size_t R = c->p.draws_per_sample ? c->p.draws_per_sample
                       : c->p.phase == SMILE_METRICS_PHASE_SAMPLING ? 1
                                                                    : 100;
            smile_rng r;
            smile_rng_init(&r, c->p.seed, ((uint64_t)c->k * c->S + s) * n + i,
                           SMILE_RNG_METRICS_CLASS_DRAW);
            for (size_t t = 0; t < R; t++) {
                double v = smile_rng_uniform(&r), cum = 0;
                size_t pick = am; /* if rounding leaves Σp < v */
                for (size_t q = 0; q < C; q++) {
                    cum += exp((double)z[q] - lse);
                    if (v < cum) {
                        pick = q;
                        break;
                    }
                }
                u[L->dvotes + i * C + pick]++;
            }
        }
        if (c->fst) c->fst[s * n + i] = (float)ell;
        d[L->lse + i] = smile_logaddexp(d[L->lse + i], ell);
        if (L->Q) d[L->run + b * n + i] = smile_logaddexp(d[L->run + b * n + i], ell);
        d[1] += ell;
    }
    return SMILE_OK;
}

/* σ of sample s at point i. */
static double chain_sigma(const smile_metrics_chain *c, size_t s, size_t i) {
    if (c->scale) return c->scale[i];
    return c->eta ? smile_metrics_sigma((double)c->eta[s * c->n + i]) : smile_metrics_sigma(c->tau[s]);
}

/* Σ_s F(z_s) and Σ_s f(z_s)/σ_s over the chain's samples at point i, z_s = (x − μ_s)/σ_s,
 * in sample order (Student-t noise block by block, smile_metrics_student_add). */
static void chain_cdf_at(const smile_metrics_chain *c, size_t i, double x, double *F, double *f) {
    const size_t n = c->n, Sk = c->Sk;
    if (!(c->nu > 0)) {
        for (size_t s = 0; s < Sk; s++) {
            double sig = chain_sigma(c, s, i), z = (x - (double)c->mu[s * n + i]) / sig;
            *F += smile_metrics_noise_cdf(z, c->nu);
            *f += smile_metrics_noise_pdf(z, c->nu, c->nc) / sig;
        }
        return;
    }
    double z[SMILE_NOISE_BLOCK], sig[SMILE_NOISE_BLOCK];
    for (size_t s0 = 0; s0 < Sk; s0 += SMILE_NOISE_BLOCK) {
        const size_t b = Sk - s0 < SMILE_NOISE_BLOCK ? Sk - s0 : SMILE_NOISE_BLOCK;
        for (size_t j = 0; j < b; j++) {
            sig[j] = chain_sigma(c, s0 + j, i);
            z[j] = (x - (double)c->mu[(s0 + j) * n + i]) / sig[j];
        }
        smile_metrics_student_add(z, sig, b, c->nu, c->nc, F, f);
    }
}

/* The chain's own mixture quantile at probability pr for point i (exact Φ):
 * safeguarded Newton steps from x inside the bracket [lo, hi] of its
 * components' quantiles. */
static double chain_quantile(const smile_metrics_chain *c, size_t i, double pr, double x,
                             double lo, double hi) {
    const size_t Sk = c->Sk;
    if (!(lo < hi)) return lo;
    if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
    for (int it = 0; it < 200; it++) {
        double F = 0, f = 0;
        chain_cdf_at(c, i, x, &F, &f);
        if (smile_newton_step(&x, &lo, &hi, F / (double)Sk - pr, f / (double)Sk)) break;
    }
    return x;
}

/* Regression sums of the chain's S_k samples into d: per point, over the
 * samples in order (points in parallel; the results do not depend on the
 * thread count). Σ ℓ (d[1]) is left 0: no regression metric uses it. */
static void regression_sums(const smile_metrics_chain *c, double *d) {
    const smile_sum_layout *L = &c->L;
    const size_t n = c->n, E = L->E, Sk = c->Sk;
    double z[2 * SMILE_METRICS_MAX_LEVELS];
    /* the component quantiles (the noise's own: Student-t ones are further out) and the
     * noise variance per σ² (ν/(ν − 2) for Student-t) */
    for (size_t e = 0; e < E; e++) {
        const double pr = smile_metrics_end_prob(&c->p, e);
        z[e] = c->nu > 0 ? smile_student_quantile(pr, c->nu) : smile_normal_quantile(pr);
    }
    const double nvar = c->nu > 0 ? c->nu / (c->nu - 2.0) : 1.0;
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t i = 0; i < n; i++) {
        double lse = -INFINITY, cum = -INFINITY, mu = 0, m2 = 0, pit = 0;
        double qlo[2 * SMILE_METRICS_MAX_LEVELS], qhi[2 * SMILE_METRICS_MAX_LEVELS];
        for (size_t e = 0; e < E; e++) {
            qlo[e] = INFINITY;
            qhi[e] = -INFINITY;
        }
        size_t j = 0; /* running bucket of sample s */
        for (size_t s = 0; s < Sk; s++) {
            while (j + 1 < L->Q && L->q[j] <= s) {
                d[L->run + j * n + i] = cum;
                cum = -INFINITY;
                j++;
            }
            double m = (double)c->mu[s * n + i], sig = chain_sigma(c, s, i);
            double ell = c->nu > 0 ? smile_metrics_noise_logpdf((c->y[i] - m) / sig, c->nu, c->nc) -
                                         log(sig)
                                   : smile_metrics_gauss_logpdf(c->y[i], m, sig);
            lse = smile_logaddexp(lse, ell);
            cum = smile_logaddexp(cum, ell);
            mu += m;
            if (!L->cov) continue;
            m2 += m * m + nvar * sig * sig;
            pit += smile_metrics_noise_cdf((c->y[i] - m) / sig, c->nu);
            for (size_t e = 0; e < E; e++) {
                double v = m + z[e] * sig;
                qlo[e] = v < qlo[e] ? v : qlo[e];
                qhi[e] = v > qhi[e] ? v : qhi[e];
            }
        }
        for (; j < L->Q; j++) {
            d[L->run + j * n + i] = cum;
            cum = -INFINITY;
        }
        d[L->lse + i] = lse;
        d[L->mu + i] = mu;
        if (!L->cov) continue;
        d[L->pit + i] = pit;
        /* the chain's own interval ends, from its moment-matched Gaussian */
        double m1 = mu / (double)Sk, v = m2 / (double)Sk - m1 * m1, sd = sqrt(v > 0 ? v : 0);
        for (size_t e = 0; e < E; e++)
            d[L->qch + e * n + i] = chain_quantile(c, i, smile_metrics_end_prob(&c->p, e),
                                                   m1 + sd * z[e], qlo[e], qhi[e]);
    }
}

/* section 11.9 per-chain statistics of f over the first N samples: means and
 * variances of the two halves (first and last ⌊N/2⌋) and the ESS of the N
 * samples as one sequence. buf: N doubles. */
static int fn_stats(const smile_metrics_chain *c, size_t N, double *out) {
    const smile_sum_layout *L = &c->L;
    const size_t n = c->n, P = L->P, h = N / 2;
    const float *f = L->reg ? c->mu : c->fst;
    int fail = 0;
#pragma omp parallel
    {
        double *buf = malloc((N ? N : 1) * sizeof(double));
        if (!buf) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (size_t j = 0; j < P; j++) {
            double *o = out + j * SMILE_FN_STATS;
            for (int t = 0; t < SMILE_FN_STATS; t++) o[t] = NAN;
            if (N < 4 || !buf) continue;
            size_t i = (size_t)(((unsigned long long)j * n) / P);
            for (size_t s = 0; s < N; s++) buf[s] = (double)f[s * n + i];
            for (int half = 0; half < 2; half++) {
                const double *x = buf + (half ? N - h : 0);
                double m = 0, v = 0;
                for (size_t s = 0; s < h; s++) m += x[s];
                m /= (double)h;
                for (size_t s = 0; s < h; s++) v += (x[s] - m) * (x[s] - m);
                o[half] = m;
                o[2 + half] = v / (double)(h - 1);
            }
            o[4] = smile_diag_ess_seq(buf, 1, N);
        }
        free(buf);
    }
    return fail;
}

smile_status smile_metrics_chain_summary(smile_metrics_chain *c, size_t fn_samples, void *out,
                                         char *msg, size_t msg_len) {
    SMILE_CHECK(!c || !out, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    const smile_sum_layout *L = &c->L;
    size_t S = c->S, n = c->n, s = 0;
    /* S_k: leading complete samples; anything else is an incomplete feed */
    while (s < S && c->filled[s] == n) s++;
    for (size_t q = s; q < S; q++)
        SMILE_CHECK(c->filled[q] != 0, SMILE_EINVAL, msg, msg_len,
                    "metrics: chain %d sample %zu incomplete (%zu of %zu points) or samples not "
                    "contiguous",
                    c->k, q, c->filled[q], n);
    SMILE_CHECK(s == 0, SMILE_EINVAL, msg, msg_len, "metrics: chain %d has no complete sample",
                c->k);
    size_t N = fn_samples ? fn_samples : s;
    SMILE_CHECK(L->has_fn && N > s, SMILE_EINVAL, msg, msg_len,
                "metrics: chain %d has %zu samples, fn_samples = %zu", c->k, s, N);
    c->Sk = s;
    double *d = dsec(out);
    if (L->reg) {
        memset(out, 0, L->bytes);
        regression_sums(c, d);
    } else {
        memcpy(out, c->acc, L->bytes);
    }
    d[0] = (double)s;
    d[2] = (double)(L->has_fn ? N : 0);
    /* running LPPD: buckets → LSE over the first min(q_j, S_k) samples */
    for (size_t j = 1; j < L->Q; j++)
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            d[L->run + j * n + i] =
                smile_logaddexp(d[L->run + (j - 1) * n + i], d[L->run + j * n + i]);
    SMILE_CHECK(L->has_fn && fn_stats(c, N, d + L->fn), SMILE_ENOMEM, msg, msg_len,
                "metrics: out of memory");
    return SMILE_OK;
}

void smile_metrics_chain_cdf(const smile_metrics_chain *c, size_t m, const uint32_t *idx,
                             const double *x, double *out) {
    const size_t n = c->n, E = c->L.E;
#pragma omp parallel for schedule(static)
    for (size_t t = 0; t < m; t++) {
        size_t i = idx[t] / E;
        double F = 0, f = 0;
        if (i < n && !isnan(x[t])) chain_cdf_at(c, i, x[t], &F, &f); /* NaN: an end closed earlier */
        out[2 * t] = F;
        out[2 * t + 1] = f;
    }
}
