/* Metrics from the merged chain summaries (docs/method.md, sections 11, 11.11).
 * Everything here is serial over the merged sums, in chain order, so the
 * results depend neither on the thread count nor on where (which rank) each
 * chain was summarised. */
#include "metrics/metrics_internal.h"

#include <stdlib.h>
#include <string.h>

void smile_metrics_free(smile_metrics *m) {
    if (!m) return;
    free(m->chain_samples); free(m->chainwise_lppd); free(m->running_lppd);
    free(m->running_samples);
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

/* section 11.5: coverage of the central level-α interval of the pooled mixture
 * = fraction of points with |F(y_i) − 1/2| <= α/2, F(y_i) the mixture CDF at
 * the target (exact: Σ Φ over every sample, merged from the chains); width =
 * mean of the mixture quantiles' distance found by the width rounds. */
static void regression_coverage(const smile_metrics_acc *a, size_t T, smile_metrics *m) {
    size_t n = a->n, L = a->p.n_levels, E = a->L.E;
    m->n_levels = L;
    m->width_rounds = a->w_round;
    double ss = 0, gap = 0;
    for (size_t l = 0; l < L; l++) {
        size_t in = 0;
        double w = 0, al = a->p.levels[l];
        for (size_t i = 0; i < n; i++) {
            double F = a->pit[i] / (double)T;
            in += fabs(F - 0.5) <= 0.5 * al;
            w += a->wx[i * E + 2 * l + 1] - a->wx[i * E + 2 * l];
        }
        double c = (double)in / (double)n;
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
}

/* section 11.9 (our addition): split-R̂ of f_{k,s}(x_i) from the means and
 * variances of the 2K half-chains (the first fn_samples samples of each
 * chain, halved), R̂ = sqrt(((h−1)/h W + B/h)/W) with W the mean half-chain
 * variance and B/h the variance of the half-chain means; ESS = Σ_k ESS_k of
 * the chains' own sequences. On every or an evenly strided subset of the test
 * points; median and 90th percentile (section 11.5 interpolation). */
static smile_status function_space(const smile_metrics_acc *a, smile_metrics *m) {
    size_t K = (size_t)a->K, P = a->L.P, h = a->fn_n / 2;
    if (a->fn_n < 4) return SMILE_OK; /* too short for split halves: NaN */
    double *rh = malloc(P * sizeof(double)), *es = malloc(P * sizeof(double));
    if (!rh || !es) {
        free(rh); free(es);
        return SMILE_ENOMEM;
    }
    size_t nr = 0, ne = 0, above = 0;
    for (size_t j = 0; j < P; j++) {
        double gm = 0, W = 0, B = 0, ess = 0;
        for (size_t k = 0; k < K; k++) {
            const double *o = a->fn + (k * P + j) * SMILE_FN_STATS;
            gm += o[0] + o[1];
            W += o[2] + o[3];
            ess += o[4];
        }
        gm /= (double)(2 * K);
        W /= (double)(2 * K);
        for (size_t k = 0; k < K; k++) {
            const double *o = a->fn + (k * P + j) * SMILE_FN_STATS;
            B += (o[0] - gm) * (o[0] - gm) + (o[1] - gm) * (o[1] - gm);
        }
        B /= (double)(2 * K - 1); /* B/h: variance of the half-chain means */
        double vp = (double)(h - 1) / (double)h * W + B, r = W > 0 ? sqrt(vp / W) : NAN;
        if (isfinite(r)) {
            above += r > 1.01;
            rh[nr++] = r;
        }
        if (isfinite(ess)) es[ne++] = ess;
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
    size_t K = (size_t)a->K, n = a->n;
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
    /* running LPPD at the sample counts q_j: every chain's first min(q_j, S_k)
     * samples (merged per-chain log-sum-exps) */
    if (a->run_lse) {
        size_t Q = a->L.Q;
        m->running_lppd = malloc(Q * sizeof(double));
        m->running_samples = malloc(Q * sizeof(size_t));
        if (!m->running_lppd || !m->running_samples) {
            free(cum);
            return SMILE_ENOMEM;
        }
        m->n_running = Q;
        for (size_t j = 0; j < Q; j++) {
            double t = 0;
            size_t den = 0, q = a->L.q[j];
            for (size_t i = 0; i < n; i++) t += a->run_lse[j * n + i];
            for (size_t k = 0; k < K; k++) den += Sk[k] < q ? Sk[k] : q;
            m->running_lppd[j] = t / (double)n - log((double)den);
            m->running_samples[j] = q;
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
    double *pbar = a->psum ? malloc(n * C * sizeof(double)) : NULL;
    int32_t *mv = malloc(n * sizeof(int32_t)), *dv = malloc(n * sizeof(int32_t));
    if ((a->psum && !pbar) || !mv || !dv) {
        free(pbar); free(mv); free(dv);
        return SMILE_ENOMEM;
    }
    size_t ok_mv = 0, ok_bma = 0;
    double brier = 0;
    for (size_t i = 0; i < n; i++) {
        size_t y = (size_t)a->lab[i];
        /* section 11.6 majority vote over all K S argmax votes (ties → smallest) */
        mv[i] = (int32_t)smile_argmax_u32(a->votes + i * C, C);
        ok_mv += (size_t)mv[i] == y;
        /* section 11.7: majority over predictive draws (or argmax votes) */
        dv[i] = a->dvotes ? (int32_t)smile_argmax_u32(a->dvotes + i * C, C) : mv[i];
        if (!pbar) continue; /* text: no class probabilities kept */
        double *p = pbar + i * C;
        for (size_t c = 0; c < C; c++) p[c] = a->psum[i * C + c] / (double)T;
        ok_bma += smile_argmax_d(p, C) == y;
        /* section 11.6 */
        for (size_t c = 0; c < C; c++) {
            double d = p[c] - (c == y ? 1.0 : 0.0);
            brier += d * d;
        }
    }
    m->acc_majority = (double)ok_mv / (double)n;
    m->acc_bma = (double)ok_bma / (double)n;
    m->brier = brier / (double)n;
    m->nll_bma = -m->lppd;
    m->nll_mean_sample = -a->sum_ell / ((double)T * (double)n);
    for (size_t k = 0; k < K; k++) {
        m->chain_accuracy[k] = (double)a->chain_ok[k] / (double)n;
        m->chain_perplexity[k] = exp(-m->chainwise_lppd[k]);
    }
    m->perplexity = exp(-m->lppd);
    m->perplexity_mean_sample = exp(m->nll_mean_sample);
    smile_status st = SMILE_OK;
    if (pbar) {
        st = smile_ece_top_label(pbar, a->lab, n, C, SMILE_METRICS_ECE_BINS, &m->ece_top_label,
                                 m->rel_count, m->rel_acc, m->rel_conf);
        if (st == SMILE_OK)
            st = smile_ece_true_class(pbar, a->lab, dv, n, C, SMILE_METRICS_ECE_BINS,
                                      &m->ece_true_class, &m->ce_reference);
        m->f1_macro = smile_f1_macro(mv, a->lab, n, C);
        m->auroc = smile_auroc_ovr(pbar, a->lab, n, C);
        m->aurc = smile_aurc(pbar, a->lab, n, C);
    }
    if (!pbar) m->acc_bma = m->brier = NAN;
    free(pbar); free(mv); free(dv);
    return st;
}

smile_status smile_metrics_acc_finish(smile_metrics_acc *a, smile_metrics *m, char *msg,
                                      size_t msg_len) {
    SMILE_CHECK(!a || !m, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    metrics_blank(m);
    size_t K = (size_t)a->K, n = a->n;
    if (a->merged == 0) SMILE_TRY(smile_metrics_acc_merge_added(a, msg, msg_len));
    SMILE_CHECK(a->merged != a->K, SMILE_EINVAL, msg, msg_len,
                "metrics: %d of %d chains merged", a->merged, a->K);
    int open = 0;
    for (size_t j = 0; a->L.cov && a->w_round < SMILE_METRICS_WIDTH_ROUNDS && j < n * a->L.E; j++)
        open |= !a->wdone[j];
    SMILE_CHECK(open, SMILE_EINVAL, msg, msg_len, "metrics: the interval-width rounds are not done");
    size_t *Sk = malloc(K * sizeof(size_t));
    SMILE_CHECK(!Sk, SMILE_ENOMEM, msg, msg_len, "metrics: out of memory");
    memcpy(Sk, a->Sk, K * sizeof(size_t));
    size_t T = 0;
    for (size_t k = 0; k < K; k++) T += Sk[k];
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
        if (a->L.cov) regression_coverage(a, T, m);
    } else {
        st = SMILE_ENOMEM;
        m->chain_accuracy = malloc(K * sizeof(double));
        m->chain_perplexity = malloc(K * sizeof(double));
        if (!m->chain_accuracy || !m->chain_perplexity) goto fail;
        if ((st = classification_scores(a, T, m)) != SMILE_OK) goto fail;
    }
    if (a->L.has_fn && (st = function_space(a, m)) != SMILE_OK) goto fail;
    return SMILE_OK;
fail:
    smile_metrics_free(m);
    smile_set_msg(msg, msg_len, "metrics: %s while computing the metrics", smile_status_str(st));
    return st;
}
