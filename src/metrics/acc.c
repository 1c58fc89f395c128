/* Metrics accumulator (docs/method.md, sections 11, 11.11): the merge of the
 * K chain summaries in chain order, the rounds of the interval-width search,
 * and the add calls, which feed one smile_metrics_chain per chain and, at
 * finish, take the same summary-and-merge path as chains summarised apart
 * (by other MPI ranks). The merged state has no array of size K·S·n. */
#include "metrics/metrics_internal.h"

#include <stdlib.h>
#include <string.h>

smile_metrics_params smile_metrics_params_default(void) {
    return (smile_metrics_params){
        .task = SMILE_METRICS_REGRESSION, .phase = SMILE_METRICS_PHASE_SAMPLING,
        .n_chains = 1, .max_samples = 1, .coverage = 1,
        /* UCI: central intervals at 80, 90 and 95 % (docs/method.md, section 11.5) */
        .n_levels = 3, .levels = {0.8, 0.9, 0.95}, .running = 1,
        /* number of random chain orderings: our choice, the method leaves it open */
        .n_orderings = 10, .fn_diag = 1, .seed = 0};
}

void smile_metrics_acc_free(smile_metrics_acc *a) {
    if (!a) return;
    if (a->chains)
        for (int k = 0; k < a->K; k++) smile_metrics_chain_free(a->chains[k]);
    free(a->chains);
    free(a->y); free(a->lab); free(a->Sk); free(a->chain_lse); free(a->run_lse);
    free(a->mu_sum); free(a->pit); free(a->wx); free(a->wlo); free(a->whi);
    free(a->wF); free(a->wf); free(a->wdone); free(a->widx); free(a->de_scale); free(a->psum); free(a->votes);
    free(a->chain_ok); free(a->dvotes); free(a->fn);
    free(a);
}

const char *smile_metrics_acc_error(const smile_metrics_acc *a) { return a ? a->err : ""; }

static double *alloc_fill(size_t n, double v) {
    double *x = smile_alloc_array(n, sizeof(double));
    if (x)
        for (size_t i = 0; i < n; i++) x[i] = v;
    return x;
}

static smile_status check_params(const smile_metrics_params *p, const double *y,
                                 const int32_t *labels, char *msg, size_t msg_len) {
    int reg = p->task == SMILE_METRICS_REGRESSION;
    int cls = p->task == SMILE_METRICS_CLASSIFICATION || p->task == SMILE_METRICS_TEXT;
    SMILE_CHECK(!reg && !cls, SMILE_EINVAL, msg, msg_len, "metrics: unknown task %d", (int)p->task);
    SMILE_CHECK(p->n == 0 || p->n_chains < 1 || p->max_samples == 0, SMILE_EINVAL, msg, msg_len,
                "metrics: need n >= 1, n_chains >= 1, max_samples >= 1 (got %zu, %d, %zu)",
                p->n, p->n_chains, p->max_samples);
    SMILE_CHECK(p->phase != SMILE_METRICS_PHASE_SAMPLING && p->phase != SMILE_METRICS_PHASE_ENSEMBLE,
                SMILE_EINVAL, msg, msg_len, "metrics: unknown phase %d", (int)p->phase);
    size_t n = p->n;
    if (reg) {
        SMILE_CHECK(!y, SMILE_EINVAL, msg, msg_len, "metrics: regression needs targets y");
        for (size_t i = 0; i < n; i++)
            SMILE_CHECK(!isfinite(y[i]), SMILE_EINVAL, msg, msg_len,
                        "metrics: target y[%zu] is not finite", i);
        SMILE_CHECK(p->de_spread && (p->heteroscedastic || p->max_samples != 1), SMILE_EINVAL, msg,
                    msg_len, "metrics: de_spread needs the homoscedastic model and max_samples = 1");
        SMILE_CHECK(p->student_df != 0 && !(p->heteroscedastic && p->student_df > 2 &&
                                            p->student_df <= 1000),
                    SMILE_EINVAL, msg, msg_len,
                    "metrics: student_df %g: 0, or in (2, 1000] with the heteroscedastic model",
                    p->student_df);
        SMILE_CHECK(p->n_levels > SMILE_METRICS_MAX_LEVELS, SMILE_EINVAL, msg, msg_len,
                    "metrics: at most %d coverage levels", SMILE_METRICS_MAX_LEVELS);
        for (size_t l = 0; l < p->n_levels; l++)
            SMILE_CHECK(!(p->levels[l] > 0 && p->levels[l] < 1), SMILE_EINVAL, msg, msg_len,
                        "metrics: coverage level %g not in (0, 1)", p->levels[l]);
    } else {
        SMILE_CHECK(p->n_classes < 2, SMILE_EINVAL, msg, msg_len, "metrics: need n_classes >= 2");
        SMILE_CHECK(!labels, SMILE_EINVAL, msg, msg_len, "metrics: classification needs labels");
        for (size_t i = 0; i < n; i++)
            SMILE_CHECK(labels[i] < 0 || (size_t)labels[i] >= p->n_classes, SMILE_EINVAL, msg,
                        msg_len, "metrics: label[%zu] = %d not in [0, %zu)", i, (int)labels[i],
                        p->n_classes);
    }
    return SMILE_OK;
}

smile_status smile_metrics_acc_init(smile_metrics_acc **out, const smile_metrics_params *p,
                                    const double *y, const int32_t *labels, char *msg,
                                    size_t msg_len) {
    SMILE_CHECK(!out || !p, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    *out = NULL;
    SMILE_TRY(check_params(p, y, labels, msg, msg_len));
    smile_sum_layout L;
    size_t n = p->n, K = (size_t)p->n_chains, Kn, nC, nE;
    SMILE_CHECK(!smile_sum_layout_of(p, &L) || smile_mul_size(K, n, &Kn) ||
                    smile_mul_size(n, L.C, &nC) || smile_mul_size(n, L.E, &nE) ||
                    smile_mul_size(K, L.P * SMILE_FN_STATS, &(size_t){0}) || nE > UINT32_MAX,
                SMILE_EINVAL, msg, msg_len, "metrics: size overflow");
    smile_metrics_acc *a = calloc(1, sizeof *a);
    SMILE_CHECK(!a, SMILE_ENOMEM, msg, msg_len, "metrics: out of memory");
    a->p = *p;
    a->L = L;
    a->n = n;
    a->C = L.C;
    a->S = p->max_samples;
    a->K = p->n_chains;
    int ok = (a->Sk = calloc(K, sizeof(size_t))) != NULL;
    ok &= (a->chain_lse = alloc_fill(Kn, -INFINITY)) != NULL;
    if (L.Q) ok &= (a->run_lse = alloc_fill(L.Q * n, -INFINITY)) != NULL;
    if (L.reg) {
        ok &= (a->y = malloc(n * sizeof(double))) != NULL;
        if (a->y) memcpy(a->y, y, n * sizeof(double));
        ok &= (a->mu_sum = alloc_fill(Kn, 0)) != NULL;
        if (L.cov) {
            ok &= (a->pit = alloc_fill(n, 0)) != NULL;
            ok &= (a->wx = alloc_fill(nE, NAN)) && (a->wlo = alloc_fill(nE, INFINITY));
            ok &= (a->whi = alloc_fill(nE, -INFINITY)) && (a->wF = alloc_fill(nE, 0));
            ok &= (a->wf = alloc_fill(nE, 0)) && (a->wdone = calloc(nE ? nE : 1, 1));
            ok &= (a->widx = smile_alloc_array(nE, sizeof(uint32_t))) != NULL;
        }
    } else {
        ok &= (a->lab = malloc(n * sizeof(int32_t))) != NULL;
        if (a->lab) memcpy(a->lab, labels, n * sizeof(int32_t));
        if (L.has_psum) ok &= (a->psum = alloc_fill(nC, 0)) != NULL;
        ok &= (a->votes = calloc(nC, sizeof(uint32_t))) != NULL;
        ok &= (a->chain_ok = calloc(K, sizeof(size_t))) != NULL;
        if (L.has_dvotes) ok &= (a->dvotes = calloc(nC, sizeof(uint32_t))) != NULL;
    }
    if (L.has_fn) ok &= (a->fn = alloc_fill(K * L.P * SMILE_FN_STATS, NAN)) != NULL;
    if (!ok) {
        smile_metrics_acc_free(a);
        smile_set_msg(msg, msg_len, "metrics: out of memory (n=%zu, K=%zu, C=%zu)", n, K, L.C);
        return SMILE_ENOMEM;
    }
    *out = a;
    return SMILE_OK;
}

/* The chain object of an add call (made on first use). */
static smile_metrics_chain *add_chain(smile_metrics_acc *a, int chain) {
    if (!a) return NULL;
    if (chain < 0 || chain >= a->K || a->merged) {
        smile_set_msg(a->err, sizeof a->err, "metrics: bad add (chain %d of %d%s)", chain, a->K,
                      a->merged ? ", after the merge" : "");
        return NULL;
    }
    if (!a->chains && !(a->chains = calloc((size_t)a->K, sizeof *a->chains))) {
        smile_set_msg(a->err, sizeof a->err, "metrics: out of memory");
        return NULL;
    }
    if (!a->chains[chain] && smile_metrics_chain_init(&a->chains[chain], &a->p, chain, a->y,
                                                      a->lab, a->err, sizeof a->err) != SMILE_OK)
        return NULL;
    return a->chains[chain];
}

static smile_status add_done(smile_metrics_acc *a, smile_metrics_chain *c, smile_status st) {
    if (st != SMILE_OK && c) smile_set_msg(a->err, sizeof a->err, "%s", c->err);
    return st;
}

smile_status smile_metrics_acc_add_regression(smile_metrics_acc *a, int chain, size_t sample,
                                              size_t i0, size_t count, const float *mu,
                                              const float *log_sigma_pt, double log_sigma) {
    smile_metrics_chain *c = add_chain(a, chain);
    if (!c) return SMILE_EINVAL;
    return add_done(a, c,
                    smile_metrics_chain_add_regression(c, sample, i0, count, mu, log_sigma_pt,
                                                       log_sigma));
}

smile_status smile_metrics_acc_add_logits(smile_metrics_acc *a, int chain, size_t sample,
                                          size_t i0, size_t count, const float *logits) {
    smile_metrics_chain *c = add_chain(a, chain);
    if (!c) return SMILE_EINVAL;
    return add_done(a, c, smile_metrics_chain_add_logits(c, sample, i0, count, logits));
}

/* First index of the maximum count (ties → smallest). */
static size_t argmax_u(const uint32_t *v, size_t C) { return smile_argmax_u32(v, C); }

smile_status smile_metrics_acc_merge(smile_metrics_acc *a, int chain, const void *summary,
                                     char *msg, size_t msg_len) {
    SMILE_CHECK(!a || !summary, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    SMILE_CHECK(chain != a->merged || chain >= a->K, SMILE_EINVAL, msg, msg_len,
                "metrics: chain %d merged out of order (expected %d of %d)", chain, a->merged,
                a->K);
    const smile_sum_layout *L = &a->L;
    const double *d = summary;
    const uint32_t *u = (const uint32_t *)((const unsigned char *)summary + L->nd * sizeof(double));
    size_t n = a->n, C = a->C, k = (size_t)chain;
    SMILE_CHECK(!(d[0] >= 1 && d[0] <= (double)a->S) || d[0] != floor(d[0]), SMILE_EINVAL, msg,
                msg_len, "metrics: chain %d summary: bad sample count %g", chain, d[0]);
    size_t N = (size_t)d[2];
    SMILE_CHECK(chain > 0 && L->has_fn && N != a->fn_n, SMILE_EINVAL, msg, msg_len,
                "metrics: chain %d summarised with fn_samples %zu, chain 0 with %zu", chain, N,
                a->fn_n);
    a->fn_n = N;
    a->Sk[k] = (size_t)d[0];
    a->sum_ell += d[1];
    memcpy(a->chain_lse + k * n, d + L->lse, n * sizeof(double));
    for (size_t j = 0; j < L->Q * n; j++)
        a->run_lse[j] = smile_logaddexp(a->run_lse[j], d[L->run + j]);
    if (L->reg) {
        memcpy(a->mu_sum + k * n, d + L->mu, n * sizeof(double));
        if (L->cov)
            for (size_t i = 0; i < n; i++) {
                a->pit[i] += d[L->pit + i];
                for (size_t e = 0; e < L->E; e++) { /* [n E] from the summary's [E n] */
                    double q = d[L->qch + e * n + i];
                    size_t j = i * L->E + e;
                    if (q < a->wlo[j]) a->wlo[j] = q;
                    if (q > a->whi[j]) a->whi[j] = q;
                    a->wx[j] = (k ? a->wx[j] : 0) + d[0] * q; /* Σ_k S_k q_k */
                }
            }
    } else {
        for (size_t i = 0; i < n; i++) {
            for (size_t c = 0; c < C; c++) a->votes[i * C + c] += u[L->votes + i * C + c];
            a->chain_ok[k] += argmax_u(u + L->votes + i * C, C) == (size_t)a->lab[i];
        }
        for (size_t j = 0; L->has_psum && j < n * C; j++) a->psum[j] += d[L->psum + j];
        for (size_t j = 0; L->has_dvotes && j < n * C; j++) a->dvotes[j] += u[L->dvotes + j];
    }
    if (L->has_fn)
        memcpy(a->fn + k * L->P * SMILE_FN_STATS, d + L->fn,
               L->P * SMILE_FN_STATS * sizeof(double));
    a->merged++;
    if (a->merged == a->K && L->cov) {
        /* start of the width search: the chains' own quantiles q_k bracket the
         * pooled one (F = Σ_k S_k F_k / T); start at Σ_k S_k q_k / T. The
         * bracket is widened by the q_k's own tolerance. */
        size_t T = 0;
        for (int q = 0; q < a->K; q++) T += a->Sk[q];
        for (size_t j = 0; j < n * L->E; j++) {
            double x = a->wx[j] / (double)T;
            a->wlo[j] -= 1e-12 * (1.0 + fabs(a->wlo[j]));
            a->whi[j] += 1e-12 * (1.0 + fabs(a->whi[j]));
            a->wx[j] = (x > a->wlo[j] && x < a->whi[j]) ? x : 0.5 * (a->wlo[j] + a->whi[j]);
        }
    }
    return SMILE_OK;
}

size_t smile_metrics_acc_width_points(smile_metrics_acc *a, uint32_t *idx, double *x) {
    if (!a->L.cov || a->merged != a->K || a->w_round >= SMILE_METRICS_WIDTH_ROUNDS) return 0;
    const size_t m = a->n * a->L.E;
    int open = 0;
    for (size_t j = 0; j < m; j++) open |= !a->wdone[j];
    if (!open && a->w_round >= SMILE_METRICS_WIDTH_MIN_ROUNDS) return 0;
    /* every end in every round, closed ones as NaN (nothing to evaluate there):
     * the messages have one size whatever the data and the number of samples */
    for (size_t j = 0; j < m; j++) {
        a->widx[j] = idx[j] = (uint32_t)j;
        x[j] = a->wdone[j] ? NAN : a->wx[j];
    }
    a->w_open = m;
    a->w_added = 0;
    return m;
}

smile_status smile_metrics_acc_width_add(smile_metrics_acc *a, int chain, const double *cdf,
                                         char *msg, size_t msg_len) {
    SMILE_CHECK(!a || !cdf, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    SMILE_CHECK(!a->L.cov || a->merged != a->K || chain != a->w_added || !a->w_open,
                SMILE_EINVAL, msg, msg_len, "metrics: width round: chain %d out of order", chain);
    for (size_t t = 0; t < a->w_open; t++) {
        size_t j = a->widx[t];
        a->wF[j] = (chain ? a->wF[j] : 0) + cdf[2 * t];
        a->wf[j] = (chain ? a->wf[j] : 0) + cdf[2 * t + 1];
    }
    a->w_added++;
    return SMILE_OK;
}

smile_status smile_metrics_acc_width_update(smile_metrics_acc *a, char *msg, size_t msg_len) {
    SMILE_CHECK(!a, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    SMILE_CHECK(a->w_added != a->K || !a->w_open, SMILE_EINVAL, msg, msg_len,
                "metrics: width round with %d of %d chains", a->w_added, a->K);
    size_t T = 0, E = a->L.E;
    for (int q = 0; q < a->K; q++) T += a->Sk[q];
    for (size_t t = 0; t < a->w_open; t++) {
        /* safeguarded Newton step on F(x) − q inside the bracket [lo, hi];
         * converged ends are not asked for again */
        size_t j = a->widx[t];
        if (a->wdone[j]) continue; /* closed in an earlier round */
        double x = a->wx[j], F = a->wF[j] / (double)T - smile_metrics_end_prob(&a->p, j % E);
        double f = a->wf[j] / (double)T;
        a->wx[j] = x;
        int done = smile_newton_step(&a->wx[j], &a->wlo[j], &a->whi[j], F, f);
        a->wdone[j] = done;
    }
    a->w_open = 0;
    a->w_added = 0;
    a->w_round++;
    return SMILE_OK;
}

/* The add calls' chains: summaries and merge, then the width rounds, all in
 * one process (the path of chains summarised apart). */
smile_status smile_metrics_acc_merge_added(smile_metrics_acc *a, char *msg, size_t msg_len) {
    size_t K = (size_t)a->K, n = a->n, Smin = SIZE_MAX;
    for (size_t k = 0; k < K; k++)
        SMILE_CHECK(!a->chains || !a->chains[k], SMILE_EINVAL, msg, msg_len,
                    "metrics: chain %zu has no complete sample", k);
    for (size_t k = 0; k < K; k++) {
        size_t s = 0;
        while (s < a->S && a->chains[k]->filled[s] == n) s++;
        if (s < Smin) Smin = s;
    }
    if (a->p.de_spread) {
        /* section 11.3: s_i = clip(sqrt((1/K) Σ_k (μ_k − μ̄)²), 1e-6, 1e6); a single member
         * has no spread: σ = 1, the σ it was trained with (log σ fixed at 0) */
        SMILE_CHECK(!(a->de_scale = malloc(n * sizeof(double))), SMILE_ENOMEM, msg, msg_len,
                    "metrics: out of memory");
        for (size_t i = 0; i < n; i++) {
            double mb = 0, v = 0, s = 1.0;
            if (K > 1) {
                for (size_t k = 0; k < K; k++) mb += a->chains[k]->mu[i];
                mb /= (double)K;
                for (size_t k = 0; k < K; k++) {
                    double dd = a->chains[k]->mu[i] - mb;
                    v += dd * dd;
                }
                s = sqrt(v / (double)K);
                s = s < 1e-6 ? 1e-6 : s > 1e6 ? 1e6 : s;
            }
            a->de_scale[i] = s;
        }
        for (size_t k = 0; k < K; k++) a->chains[k]->scale = a->de_scale;
    }
    size_t fn_n = a->p.fn_samples ? a->p.fn_samples : Smin, nE = n * a->L.E, m;
    void *buf = malloc(a->L.bytes);
    double *x = smile_alloc_array(nE, sizeof(double));
    double *cdf = smile_alloc_array(nE, 2 * sizeof(double));
    uint32_t *idx = smile_alloc_array(nE, sizeof(uint32_t));
    smile_status st = buf && x && cdf && idx ? SMILE_OK : SMILE_ENOMEM;
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "metrics: out of memory");
    for (size_t k = 0; st == SMILE_OK && k < K; k++) {
        st = smile_metrics_chain_summary(a->chains[k], fn_n, buf, msg, msg_len);
        if (st == SMILE_OK) st = smile_metrics_acc_merge(a, (int)k, buf, msg, msg_len);
    }
    while (st == SMILE_OK && (m = smile_metrics_acc_width_points(a, idx, x)) > 0) {
        for (size_t k = 0; st == SMILE_OK && k < K; k++) {
            smile_metrics_chain_cdf(a->chains[k], m, idx, x, cdf);
            st = smile_metrics_acc_width_add(a, (int)k, cdf, msg, msg_len);
        }
        if (st == SMILE_OK) st = smile_metrics_acc_width_update(a, msg, msg_len);
    }
    free(buf); free(x); free(cdf); free(idx);
    return st;
}
