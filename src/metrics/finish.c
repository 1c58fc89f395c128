/* Reduction of the metrics accumulator into smile_metrics (docs/method.md, section 11).
 * Per-point work (coverage quantiles, function-space diagnostics) runs in
 * OpenMP loops whose results are stored per point and summed serially, and
 * every random draw comes from a stream keyed by the test point, so results
 * do not depend on the thread count. */
#include "diag/diag.h"
#include "metrics/metrics_internal.h"

#include <stdlib.h>
#include <string.h>

void smile_metrics_free(smile_metrics *m) {
    if (!m) return;
    free(m->chain_samples); free(m->chainwise_lppd); free(m->running_lppd);
    free(m->seq_chain_lppd); free(m->seq_chain_lppd_mean); free(m->seq_chain_lppd_std);
    free(m->chainwise_rmse); free(m->chain_accuracy); free(m->chain_perplexity);
    memset(m, 0, sizeof *m);
}

static void metrics_blank(smile_metrics *m) {
    memset(m, 0, sizeof *m);
    double *scal[] = {&m->lppd, &m->rmse, &m->calib_error_rms, &m->calib_error_reference,
                      &m->calib_gap, &m->y_scale, &m->lppd_orig, &m->rmse_orig,
                      &m->acc_majority, &m->acc_bma, &m->nll_bma, &m->nll_mean_sample,
                      &m->brier, &m->ece_top_label, &m->ece_true_class, &m->ce_reference,
                      &m->f1_macro, &m->auroc, &m->aurc, &m->perplexity,
                      &m->perplexity_mean_sample, &m->fn_rhat_median, &m->fn_rhat_p90,
                      &m->fn_rhat_frac_above_1_01, &m->fn_ess_bulk_median};
    for (size_t j = 0; j < sizeof scal / sizeof *scal; j++) *scal[j] = NAN;
}

static int cmp_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* section 11.3: s_i = clip(sqrt((1/K) Σ_k (μ_k − μ̄)²), 1e-6, 1e6) of the members;
 * a single member has no spread: σ = 1, the σ it was trained with (log σ fixed at 0). */
static double de_spread_scale(const smile_metrics_acc *a, size_t i) {
    size_t K = (size_t)a->K, n = a->n;
    if (K == 1) return 1.0;
    double mb = 0, v = 0;
    for (size_t k = 0; k < K; k++) mb += a->fstore[k * n + i]; /* S = 1: index k n + i */
    mb /= (double)K;
    for (size_t k = 0; k < K; k++) {
        double d = a->fstore[k * n + i] - mb;
        v += d * d;
    }
    double s = sqrt(v / (double)K);
    if (s < 1e-6) s = 1e-6;
    else if (s > 1e6) s = 1e6;
    return s;
}

/* Mixture CDF (1/T) Σ Φ((x − μ_j)/σ_j) and density. */
static double mix_cdf(const double *mu, const double *sg, size_t T, double x, double *pdf) {
    double F = 0, f = 0;
    for (size_t j = 0; j < T; j++) {
        double z = (x - mu[j]) / sg[j];
        F += 0.5 * erfc(-z * 0.70710678118654752440);
        f += exp(-0.5 * z * z) / sg[j];
    }
    *pdf = f * 0.39894228040143267794 / (double)T;
    return F / (double)T;
}

/* section 11.5 (our addition) exact q-quantile of the Gaussian mixture: Newton steps kept
 * inside a bisection bracket [min(μ − 10σ), max(μ + 10σ)] (Φ(−10) ≈ 8e-24,
 * far below any level used). */
static double mix_quantile(const double *mu, const double *sg, size_t T, double q) {
    double lo = INFINITY, hi = -INFINITY, m1 = 0, m2 = 0;
    for (size_t j = 0; j < T; j++) {
        if (mu[j] - 10 * sg[j] < lo) lo = mu[j] - 10 * sg[j];
        if (mu[j] + 10 * sg[j] > hi) hi = mu[j] + 10 * sg[j];
        m1 += mu[j];
        m2 += mu[j] * mu[j] + sg[j] * sg[j];
    }
    /* start at the quantile of the moment-matched Gaussian (exact for
     * identical components, close for unimodal mixtures) */
    m1 /= (double)T;
    m2 = m2 / (double)T - m1 * m1;
    double x = m1 + sqrt(m2 > 0 ? m2 : 0) * smile_normal_quantile(q);
    if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
    for (int it = 0; it < 200; it++) {
        double f, F = mix_cdf(mu, sg, T, x, &f) - q;
        if (F == 0) return x;
        if (F < 0) lo = x;
        else hi = x;
        double xn = (f > 0) ? x - F / f : NAN;
        if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
        double tol = 1e-13 * (1.0 + fabs(x));
        if (fabs(xn - x) <= tol || hi - lo <= tol) return xn;
        x = xn;
    }
    return x;
}

/* section 11.5 for test point i: interval ends lo/hi[n_levels]. buf holds
 * T R (draws) or 2 T (exact) doubles. */
static void coverage_point(const smile_metrics_acc *a, size_t i, const size_t *Sk, size_t T,
                           double *buf, double *lo, double *hi) {
    size_t n = a->n, S = a->S, L = a->p.n_levels;
    double s_de = a->p.de_spread ? de_spread_scale(a, i) : 0;
    int exact = a->p.coverage_method == SMILE_COVERAGE_EXACT;
    double *mu = buf, *sg = buf + T;
    smile_rng r;
    smile_rng_init(&r, a->p.seed, i, SMILE_RNG_METRICS_REG_DRAW);
    size_t j = 0;
    for (size_t k = 0; k < (size_t)a->K; k++)
        for (size_t s = 0; s < Sk[k]; s++) {
            size_t ks = k * S + s;
            double m = (double)a->fstore[ks * n + i];
            double sig = a->p.de_spread ? s_de
                         : a->lsig_pt ? smile_metrics_sigma((double)a->lsig_pt[ks * n + i])
                                      : smile_metrics_sigma(a->lsig_s[ks]);
            if (exact) {
                mu[j] = m;
                sg[j] = sig;
                j++;
            } else {
                for (size_t d = 0; d < a->R; d++) buf[j++] = m + sig * smile_rng_normal(&r);
            }
        }
    if (!exact) qsort(buf, j, sizeof(double), cmp_double);
    for (size_t l = 0; l < L; l++) {
        double al = a->p.levels[l], ql = 0.5 * (1 - al), qh = 0.5 * (1 + al);
        if (exact) {
            lo[l] = mix_quantile(mu, sg, T, ql);
            hi[l] = mix_quantile(mu, sg, T, qh);
        } else {
            lo[l] = smile_quantile_sorted(buf, j, ql);
            hi[l] = smile_quantile_sorted(buf, j, qh);
        }
    }
}

static smile_status regression_coverage(const smile_metrics_acc *a, const size_t *Sk, size_t T,
                                        smile_metrics *m) {
    size_t n = a->n, L = a->p.n_levels;
    int exact = a->p.coverage_method == SMILE_COVERAGE_EXACT;
    size_t per = exact ? 2 * T : T * a->R;
    double *ends = malloc(2 * L * n * sizeof(double)); /* [n][2L]: lo then hi */
    if (!ends) return SMILE_ENOMEM;
    int fail = 0;
#pragma omp parallel
    {
        double *buf = malloc(per * sizeof(double));
        if (!buf) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 8)
        for (size_t i = 0; i < n; i++)
            if (buf) coverage_point(a, i, Sk, T, buf, ends + i * 2 * L, ends + i * 2 * L + L);
        free(buf);
    }
    if (fail) {
        free(ends);
        return SMILE_ENOMEM;
    }
    m->n_levels = L;
    double ss = 0, gap = 0;
    for (size_t l = 0; l < L; l++) {
        size_t in = 0;
        double w = 0;
        for (size_t i = 0; i < n; i++) {
            double lo = ends[i * 2 * L + l], hi = ends[i * 2 * L + L + l];
            in += (lo <= a->y[i] && a->y[i] <= hi);
            w += hi - lo;
        }
        double al = a->p.levels[l], c = (double)in / (double)n;
        m->levels[l] = al;
        m->coverage[l] = c;
        m->width[l] = w / (double)n;
        ss += (al - c) * (al - c);
        gap += al - c;
    }
    if (L > 0) {
        m->calib_error_rms = sqrt(ss / (double)L);
        m->calib_error_reference = m->calib_error_rms / sqrt((double)L); /* κ = 0 */
        m->calib_gap = gap;
    }
    free(ends);
    return SMILE_OK;
}

/* section 11.9 (our addition): bulk R̂ and bulk-ESS of f_{k,s}(x_i) over the K chains (the
 * first S_min samples of each), on every or an evenly strided subset of the
 * test points; median and 90th percentile (section 11.5 interpolation). */
static smile_status function_space(const smile_metrics_acc *a, const size_t *Sk,
                                   smile_metrics *m) {
    size_t K = (size_t)a->K, n = a->n, S = a->S, Smin = SIZE_MAX;
    for (size_t k = 0; k < K; k++)
        if (Sk[k] < Smin) Smin = Sk[k];
    if (Smin < 4) return SMILE_OK; /* too short for split halves: NaN */
    size_t np = (a->p.fn_diag_max_points && a->p.fn_diag_max_points < n)
                    ? a->p.fn_diag_max_points
                    : n;
    double *rh = malloc(np * sizeof(double)), *es = malloc(np * sizeof(double));
    if (!rh || !es) {
        free(rh); free(es);
        return SMILE_ENOMEM;
    }
    int fail = 0;
#pragma omp parallel
    {
        double *d = malloc(K * Smin * sizeof(double));
        if (!d) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (size_t j = 0; j < np; j++) {
            rh[j] = es[j] = NAN;
            if (!d) continue;
            size_t i = (size_t)(((unsigned long long)j * n) / np);
            for (size_t k = 0; k < K; k++)
                for (size_t s = 0; s < Smin; s++)
                    d[k * Smin + s] = (double)a->fstore[(k * S + s) * n + i];
            smile_diag_bulk(d, K, Smin, &rh[j], &es[j]);
        }
        free(d);
    }
    if (fail) {
        free(rh); free(es);
        return SMILE_ENOMEM;
    }
    size_t nr = 0, ne = 0, above = 0;
    for (size_t j = 0; j < np; j++) {
        if (!isnan(rh[j])) {
            above += rh[j] > 1.01;
            rh[nr++] = rh[j];
        }
        if (!isnan(es[j])) es[ne++] = es[j];
    }
    qsort(rh, nr, sizeof(double), cmp_double);
    qsort(es, ne, sizeof(double), cmp_double);
    m->fn_points = nr;
    if (nr) {
        m->fn_rhat_median = smile_quantile_sorted(rh, nr, 0.5);
        m->fn_rhat_p90 = smile_quantile_sorted(rh, nr, 0.9);
        m->fn_rhat_frac_above_1_01 = (double)above / (double)nr;
    }
    if (ne) m->fn_ess_bulk_median = smile_quantile_sorted(es, ne, 0.5);
    free(rh); free(es);
    return SMILE_OK;
}

/* section 11.2 sequential-chain curve for the chain order perm[K] into out[K]. */
static void seq_curve(const smile_metrics_acc *a, const size_t *Sk, const uint32_t *perm,
                      double *cum, double *out) {
    size_t n = a->n, tot = 0;
    for (size_t i = 0; i < n; i++) cum[i] = -INFINITY;
    for (size_t j = 0; j < (size_t)a->K; j++) {
        size_t k = perm ? perm[j] : j;
        const double *cl = a->chain_lse + k * n;
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            cum[i] = smile_logaddexp(cum[i], cl[i]);
            s += cum[i];
        }
        tot += Sk[k];
        out[j] = s / (double)n - log((double)tot);
    }
}

static smile_status lppd_curves(const smile_metrics_acc *a, const size_t *Sk, size_t T,
                                smile_metrics *m) {
    size_t K = (size_t)a->K, n = a->n, Smax = 0;
    for (size_t k = 0; k < K; k++)
        if (Sk[k] > Smax) Smax = Sk[k];
    double *cum = malloc(n * sizeof(double));
    if (!cum) return SMILE_ENOMEM;
    /* section 11.2: pooled LPPD = mean_i LSE_k(chain LSE) − log T; chainwise per chain */
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double v = -INFINITY;
        for (size_t k = 0; k < K; k++) v = smile_logaddexp(v, a->chain_lse[k * n + i]);
        s += v;
    }
    m->lppd = s / (double)n - log((double)T);
    for (size_t k = 0; k < K; k++) {
        double c = 0;
        for (size_t i = 0; i < n; i++) c += a->chain_lse[k * n + i];
        m->chainwise_lppd[k] = c / (double)n - log((double)Sk[k]);
    }
    /* running LPPD over samples m = 1..Smax (running log-sum-exps) */
    if (a->run_lse) {
        m->running_lppd = malloc(Smax * sizeof(double));
        if (!m->running_lppd) {
            free(cum);
            return SMILE_ENOMEM;
        }
        m->n_running = Smax;
        for (size_t i = 0; i < n; i++) cum[i] = -INFINITY;
        for (size_t q = 0; q < Smax; q++) {
            double t = 0;
            size_t den = 0;
            for (size_t i = 0; i < n; i++) {
                cum[i] = smile_logaddexp(cum[i], a->run_lse[q * n + i]);
                t += cum[i];
            }
            for (size_t k = 0; k < K; k++) den += Sk[k] < q + 1 ? Sk[k] : q + 1;
            m->running_lppd[q] = t / (double)n - log((double)den);
        }
    }
    seq_curve(a, Sk, NULL, cum, m->seq_chain_lppd);
    /* multi-ordering: R random orderings, per-j mean and population sd
     * (two passes over the stored curves: no cancellation) */
    int R = a->p.n_orderings;
    if (R > 0) {
        m->n_orderings = R;
        m->seq_chain_lppd_mean = calloc(K, sizeof(double));
        m->seq_chain_lppd_std = calloc(K, sizeof(double));
        uint32_t *perm = malloc(K * sizeof(uint32_t));
        double *cur = malloc((size_t)R * K * sizeof(double)); /* [R][K] */
        if (!m->seq_chain_lppd_mean || !m->seq_chain_lppd_std || !perm || !cur) {
            free(perm); free(cur); free(cum);
            return SMILE_ENOMEM;
        }
        smile_rng r;
        smile_rng_init(&r, a->p.seed, 0, SMILE_RNG_METRICS_ORDER);
        for (int o = 0; o < R; o++) {
            for (size_t k = 0; k < K; k++) perm[k] = (uint32_t)k;
            smile_rng_shuffle_u32(&r, perm, K);
            seq_curve(a, Sk, perm, cum, cur + (size_t)o * K);
        }
        for (size_t j = 0; j < K; j++) {
            double mu = 0, var = 0;
            for (int o = 0; o < R; o++) mu += cur[(size_t)o * K + j];
            mu /= R;
            for (int o = 0; o < R; o++) {
                double d = cur[(size_t)o * K + j] - mu;
                var += d * d;
            }
            m->seq_chain_lppd_mean[j] = mu;
            m->seq_chain_lppd_std[j] = sqrt(var / R);
        }
        free(perm); free(cur);
    }
    free(cum);
    return SMILE_OK;
}

static smile_status classification_scores(const smile_metrics_acc *a, size_t T,
                                          smile_metrics *m) {
    size_t n = a->n, C = a->C, K = (size_t)a->K;
    double *pbar = malloc(n * C * sizeof(double));
    int32_t *mv = malloc(n * sizeof(int32_t)), *dv = malloc(n * sizeof(int32_t));
    uint32_t *tmp = malloc(C * sizeof(uint32_t));
    size_t *chain_ok = calloc(K, sizeof(size_t));
    if (!pbar || !mv || !dv || !tmp || !chain_ok) {
        free(pbar); free(mv); free(dv); free(tmp); free(chain_ok);
        return SMILE_ENOMEM;
    }
    size_t ok_mv = 0, ok_bma = 0;
    double brier = 0;
    for (size_t i = 0; i < n; i++) {
        size_t y = (size_t)a->lab[i];
        double *p = pbar + i * C;
        for (size_t c = 0; c < C; c++) p[c] = a->psum[i * C + c] / (double)T;
        /* section 11.6 majority vote over all K S argmax votes (ties → smallest) */
        memset(tmp, 0, C * sizeof(uint32_t));
        for (size_t k = 0; k < K; k++) {
            const uint32_t *v = a->votes + (k * n + i) * C;
            for (size_t c = 0; c < C; c++) tmp[c] += v[c];
            chain_ok[k] += smile_argmax_u32(v, C) == y;
        }
        mv[i] = (int32_t)smile_argmax_u32(tmp, C);
        ok_mv += (size_t)mv[i] == y;
        ok_bma += smile_argmax_d(p, C) == y;
        /* section 11.6 */
        for (size_t c = 0; c < C; c++) {
            double d = p[c] - (c == y ? 1.0 : 0.0);
            brier += d * d;
        }
        /* section 11.7: majority over predictive draws (or argmax votes) */
        dv[i] = a->dvotes ? (int32_t)smile_argmax_u32(a->dvotes + i * C, C) : mv[i];
    }
    m->acc_majority = (double)ok_mv / (double)n;
    m->acc_bma = (double)ok_bma / (double)n;
    m->brier = brier / (double)n;
    m->nll_bma = -m->lppd;
    m->nll_mean_sample = -a->sum_ell / ((double)T * (double)n);
    for (size_t k = 0; k < K; k++) {
        m->chain_accuracy[k] = (double)chain_ok[k] / (double)n;
        m->chain_perplexity[k] = exp(-m->chainwise_lppd[k]);
    }
    m->perplexity = exp(-m->lppd);
    m->perplexity_mean_sample = exp(m->nll_mean_sample);
    smile_status st = SMILE_OK;
    if (a->p.task == SMILE_METRICS_CLASSIFICATION) {
        st = smile_ece_top_label(pbar, a->lab, n, C, SMILE_METRICS_ECE_BINS, &m->ece_top_label,
                                 m->rel_count, m->rel_acc, m->rel_conf);
        if (st == SMILE_OK)
            st = smile_ece_true_class(pbar, a->lab, dv, n, C, SMILE_METRICS_ECE_BINS,
                                      &m->ece_true_class, &m->ce_reference);
        m->f1_macro = smile_f1_macro(mv, a->lab, n, C);
        m->auroc = smile_auroc_ovr(pbar, a->lab, n, C);
        m->aurc = smile_aurc(pbar, a->lab, n, C);
    }
    free(pbar); free(mv); free(dv); free(tmp); free(chain_ok);
    return st;
}

smile_status smile_metrics_acc_finish(smile_metrics_acc *a, smile_metrics *m, char *msg,
                                      size_t msg_len) {
    SMILE_CHECK(!a || !m, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    metrics_blank(m);
    size_t K = (size_t)a->K, n = a->n, S = a->S;
    /* S_k: leading complete samples; anything else is an incomplete feed */
    size_t *Sk = calloc(K, sizeof(size_t));
    SMILE_CHECK(!Sk, SMILE_ENOMEM, msg, msg_len, "metrics: out of memory");
    size_t T = 0;
    for (size_t k = 0; k < K; k++) {
        size_t s = 0;
        while (s < S && a->filled[k * S + s] == n) s++;
        for (size_t q = s; q < S; q++)
            if (a->filled[k * S + q] != 0) {
                smile_set_msg(msg, msg_len,
                              "metrics: chain %zu sample %zu incomplete (%zu of %zu points) or "
                              "samples not contiguous",
                              k, q, a->filled[k * S + q], n);
                free(Sk);
                return SMILE_EINVAL;
            }
        if (s == 0) {
            smile_set_msg(msg, msg_len, "metrics: chain %zu has no complete sample", k);
            free(Sk);
            return SMILE_EINVAL;
        }
        Sk[k] = s;
        T += s;
    }
    /* section 11.3: member-spread predictive, ℓ known only now */
    if (a->p.de_spread && !a->de_fed) {
        for (size_t i = 0; i < n; i++) {
            double s_i = de_spread_scale(a, i);
            for (size_t k = 0; k < K; k++) {
                double ell = smile_metrics_gauss_logpdf(a->y[i], (double)a->fstore[k * n + i], s_i);
                double *cl = &a->chain_lse[k * n + i];
                *cl = smile_logaddexp(*cl, ell);
                if (a->run_lse) a->run_lse[i] = smile_logaddexp(a->run_lse[i], ell);
                a->sum_ell += ell;
            }
        }
        a->de_fed = 1;
    }
    m->task = a->p.task;
    m->phase = a->p.phase;
    m->n = n;
    m->n_chains = a->K;
    m->n_samples_total = T;
    m->chain_samples = Sk;
    m->chainwise_lppd = malloc(K * sizeof(double));
    m->seq_chain_lppd = malloc(K * sizeof(double));
    smile_status st = SMILE_ENOMEM;
    if (!m->chainwise_lppd || !m->seq_chain_lppd) goto fail;
    st = lppd_curves(a, Sk, T, m);
    if (st != SMILE_OK) goto fail;
    if (a->p.task == SMILE_METRICS_REGRESSION) {
        st = SMILE_ENOMEM;
        m->chainwise_rmse = malloc(K * sizeof(double));
        if (!m->chainwise_rmse) goto fail;
        /* section 11.4 RMSE of the pooled mean and of each chain's own mean */
        double se = 0;
        for (size_t i = 0; i < n; i++) {
            double t = 0;
            for (size_t k = 0; k < K; k++) t += a->mu_sum[k * n + i];
            double d = t / (double)T - a->y[i];
            se += d * d;
        }
        m->rmse = sqrt(se / (double)n);
        for (size_t k = 0; k < K; k++) {
            double c = 0;
            for (size_t i = 0; i < n; i++) {
                double d = a->mu_sum[k * n + i] / (double)Sk[k] - a->y[i];
                c += d * d;
            }
            m->chainwise_rmse[k] = sqrt(c / (double)n);
        }
        m->y_scale = a->p.y_scale;
        if (a->p.y_scale > 0) { /* section 11.1 */
            m->lppd_orig = m->lppd - log(a->p.y_scale);
            m->rmse_orig = a->p.y_scale * m->rmse;
        }
        if (a->p.coverage && (st = regression_coverage(a, Sk, T, m)) != SMILE_OK) goto fail;
    } else {
        st = SMILE_ENOMEM;
        m->chain_accuracy = malloc(K * sizeof(double));
        m->chain_perplexity = malloc(K * sizeof(double));
        if (!m->chain_accuracy || !m->chain_perplexity) goto fail;
        if ((st = classification_scores(a, T, m)) != SMILE_OK) goto fail;
    }
    if (a->p.fn_diag && (st = function_space(a, Sk, m)) != SMILE_OK) goto fail;
    return SMILE_OK;
fail:
    smile_metrics_free(m);
    smile_set_msg(msg, msg_len, "metrics: %s while computing the metrics", smile_status_str(st));
    return st;
}
