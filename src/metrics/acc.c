/* Streaming metrics accumulator (docs/method.md, section 11): per-point log-sum-exps of
 * the per-sample log densities ℓ_{k,s,i} (pooled, per chain, per sample index),
 * prediction sums, vote counts and, where a metric needs all K·S values of a
 * test point (regression coverage section 11.5, function-space R̂ section 11.9), a float store.
 * The add calls allocate nothing. */
#include "metrics/metrics_internal.h"

#include <stdlib.h>
#include <string.h>

smile_metrics_params smile_metrics_params_default(void) {
    return (smile_metrics_params){
        .task = SMILE_METRICS_REGRESSION, .phase = SMILE_METRICS_PHASE_SAMPLING,
        .n_chains = 1, .max_samples = 1, .coverage = 1, .coverage_method = SMILE_COVERAGE_DRAWS,
        /* UCI: central intervals at 80, 90 and 95 % (docs/method.md, section 11.5) */
        .n_levels = 3, .levels = {0.8, 0.9, 0.95}, .running = 1,
        /* number of random chain orderings: our choice, the method leaves it open */
        .n_orderings = 10, .fn_diag = 1, .seed = 0};
}

void smile_metrics_acc_free(smile_metrics_acc *a) {
    if (!a) return;
    free(a->y); free(a->lab); free(a->filled); free(a->chain_lse); free(a->run_lse);
    free(a->mu_sum); free(a->fstore); free(a->lsig_pt); free(a->lsig_s);
    free(a->psum); free(a->votes); free(a->dvotes);
    free(a);
}

const char *smile_metrics_acc_error(const smile_metrics_acc *a) { return a ? a->err : ""; }

/* a*b*c without size_t overflow (0 on overflow). */
static size_t mul3(size_t a, size_t b, size_t c) {
    if (a && b > SIZE_MAX / a) return 0;
    size_t ab = a * b;
    if (ab && c > SIZE_MAX / ab) return 0;
    return ab * c;
}

static double *alloc_fill(size_t n, double v) {
    double *x = malloc((n ? n : 1) * sizeof(double));
    if (x)
        for (size_t i = 0; i < n; i++) x[i] = v;
    return x;
}

smile_status smile_metrics_acc_init(smile_metrics_acc **out, const smile_metrics_params *p,
                                    const double *y, const int32_t *labels, char *msg,
                                    size_t msg_len) {
    SMILE_CHECK(!out || !p, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    *out = NULL;
    int reg = p->task == SMILE_METRICS_REGRESSION;
    int cls = p->task == SMILE_METRICS_CLASSIFICATION || p->task == SMILE_METRICS_TEXT;
    SMILE_CHECK(!reg && !cls, SMILE_EINVAL, msg, msg_len, "metrics: unknown task %d", (int)p->task);
    SMILE_CHECK(p->n == 0 || p->n_chains < 1 || p->max_samples == 0, SMILE_EINVAL, msg, msg_len,
                "metrics: need n >= 1, n_chains >= 1, max_samples >= 1 (got %zu, %d, %zu)",
                p->n, p->n_chains, p->max_samples);
    SMILE_CHECK(p->phase != SMILE_METRICS_PHASE_SAMPLING && p->phase != SMILE_METRICS_PHASE_ENSEMBLE,
                SMILE_EINVAL, msg, msg_len, "metrics: unknown phase %d", (int)p->phase);
    size_t n = p->n, K = (size_t)p->n_chains, S = p->max_samples;
    size_t C = cls ? p->n_classes : 1;
    if (reg) {
        SMILE_CHECK(!y, SMILE_EINVAL, msg, msg_len, "metrics: regression needs targets y");
        for (size_t i = 0; i < n; i++)
            SMILE_CHECK(!isfinite(y[i]), SMILE_EINVAL, msg, msg_len,
                        "metrics: target y[%zu] is not finite", i);
        SMILE_CHECK(p->de_spread && (p->heteroscedastic || S != 1), SMILE_EINVAL, msg, msg_len,
                    "metrics: de_spread needs the homoscedastic model and max_samples = 1");
        SMILE_CHECK(p->n_levels > SMILE_METRICS_MAX_LEVELS, SMILE_EINVAL, msg, msg_len,
                    "metrics: at most %d coverage levels", SMILE_METRICS_MAX_LEVELS);
        for (size_t l = 0; l < p->n_levels; l++)
            SMILE_CHECK(!(p->levels[l] > 0 && p->levels[l] < 1), SMILE_EINVAL, msg, msg_len,
                        "metrics: coverage level %g not in (0, 1)", p->levels[l]);
        SMILE_CHECK(p->coverage_method != SMILE_COVERAGE_DRAWS &&
                        p->coverage_method != SMILE_COVERAGE_EXACT,
                    SMILE_EINVAL, msg, msg_len, "metrics: unknown coverage method");
    } else {
        SMILE_CHECK(C < 2, SMILE_EINVAL, msg, msg_len, "metrics: need n_classes >= 2");
        SMILE_CHECK(!labels, SMILE_EINVAL, msg, msg_len, "metrics: classification needs labels");
        for (size_t i = 0; i < n; i++)
            SMILE_CHECK(labels[i] < 0 || (size_t)labels[i] >= C, SMILE_EINVAL, msg, msg_len,
                        "metrics: label[%zu] = %d not in [0, %zu)", i, (int)labels[i], C);
    }
    size_t KSn = mul3(K, S, n), nC = mul3(n, C, 1), KnC = mul3(K, n, C);
    SMILE_CHECK(!KSn || !nC || !KnC, SMILE_EINVAL, msg, msg_len, "metrics: size overflow");

    smile_metrics_acc *a = calloc(1, sizeof *a);
    SMILE_CHECK(!a, SMILE_ENOMEM, msg, msg_len, "metrics: out of memory");
    a->p = *p;
    a->n = n;
    a->C = C;
    a->S = S;
    a->K = p->n_chains;
    a->R = p->draws_per_sample;
    if (a->R == 0)
        a->R = p->phase == SMILE_METRICS_PHASE_SAMPLING ? 1 : (reg ? 1000 : 100);
    int ok = 1;
    a->filled = calloc(K * S, sizeof(size_t));
    a->chain_lse = alloc_fill(K * n, -INFINITY);
    ok &= a->filled && a->chain_lse;
    if (p->running) ok &= (a->run_lse = alloc_fill(S * n, -INFINITY)) != NULL;
    if (reg) {
        ok &= (a->y = malloc(n * sizeof(double))) != NULL;
        if (a->y) memcpy(a->y, y, n * sizeof(double));
        ok &= (a->mu_sum = calloc(K * n, sizeof(double))) != NULL;
        ok &= (a->lsig_s = calloc(K * S, sizeof(double))) != NULL;
        if (p->coverage || p->fn_diag || p->de_spread)
            ok &= (a->fstore = malloc(KSn * sizeof(float))) != NULL;
        if (p->coverage && p->heteroscedastic)
            ok &= (a->lsig_pt = malloc(KSn * sizeof(float))) != NULL;
    } else {
        ok &= (a->lab = malloc(n * sizeof(int32_t))) != NULL;
        if (a->lab) memcpy(a->lab, labels, n * sizeof(int32_t));
        ok &= (a->psum = calloc(nC, sizeof(double))) != NULL;
        ok &= (a->votes = calloc(KnC, sizeof(uint32_t))) != NULL;
        if (p->task == SMILE_METRICS_CLASSIFICATION && !p->calib_argmax)
            ok &= (a->dvotes = calloc(nC, sizeof(uint32_t))) != NULL;
        if (p->fn_diag) ok &= (a->fstore = malloc(KSn * sizeof(float))) != NULL;
    }
    if (!ok) {
        smile_metrics_acc_free(a);
        smile_set_msg(msg, msg_len, "metrics: out of memory (n=%zu, K=%zu, S=%zu, C=%zu)", n, K,
                      S, C);
        return SMILE_ENOMEM;
    }
    *out = a;
    return SMILE_OK;
}

/* Common argument checks of the add calls; reserves the point count. */
static smile_status add_check(smile_metrics_acc *a, int chain, size_t sample, size_t i0,
                              size_t count, const void *data) {
    if (!a) return SMILE_EINVAL;
    if (!data || chain < 0 || chain >= a->K || sample >= a->S || i0 > a->n ||
        count > a->n - i0) {
        smile_set_msg(a->err, sizeof a->err,
                      "metrics: bad add (chain %d of %d, sample %zu of %zu, points %zu+%zu of %zu)",
                      chain, a->K, sample, a->S, i0, count, a->n);
        return SMILE_EINVAL;
    }
    size_t *f = &a->filled[(size_t)chain * a->S + sample];
    if (*f + count > a->n) {
        smile_set_msg(a->err, sizeof a->err,
                      "metrics: chain %d sample %zu received more than n = %zu points", chain,
                      sample, a->n);
        return SMILE_EINVAL;
    }
    *f += count;
    return SMILE_OK;
}

/* Feeds ℓ_{k,s,i} into the log-sum-exp accumulators (section 11.2). */
static inline void feed_ell(smile_metrics_acc *a, size_t k, size_t s, size_t i, double ell) {
    double *cl = &a->chain_lse[k * a->n + i];
    *cl = smile_logaddexp(*cl, ell);
    if (a->run_lse) {
        double *rl = &a->run_lse[s * a->n + i];
        *rl = smile_logaddexp(*rl, ell);
    }
    a->sum_ell += ell;
}

smile_status smile_metrics_acc_add_regression(smile_metrics_acc *a, int chain, size_t sample,
                                              size_t i0, size_t count, const float *mu,
                                              const float *log_sigma_pt, double log_sigma) {
    if (a && a->p.task != SMILE_METRICS_REGRESSION) {
        smile_set_msg(a->err, sizeof a->err, "metrics: add_regression on a non-regression task");
        return SMILE_EINVAL;
    }
    if (a && a->p.heteroscedastic && !log_sigma_pt) {
        smile_set_msg(a->err, sizeof a->err, "metrics: heteroscedastic model needs log_sigma_pt");
        return SMILE_EINVAL;
    }
    smile_status st = add_check(a, chain, sample, i0, count, mu);
    if (st != SMILE_OK) return st;
    size_t k = (size_t)chain, s = sample, n = a->n;
    size_t ks = k * a->S + s;
    int het = a->p.heteroscedastic;
    a->lsig_s[ks] = log_sigma;
    double sig_h = smile_metrics_sigma(log_sigma);
    for (size_t j = 0; j < count; j++) {
        size_t i = i0 + j;
        double m = (double)mu[j];
        a->mu_sum[k * n + i] += m;
        if (a->fstore) a->fstore[ks * n + i] = mu[j];
        if (a->lsig_pt) a->lsig_pt[ks * n + i] = log_sigma_pt[j];
        if (a->p.de_spread) continue; /* ℓ needs all members: computed at finish (section 11.3) */
        double sig = het ? smile_metrics_sigma((double)log_sigma_pt[j]) : sig_h;
        feed_ell(a, k, s, i, smile_metrics_gauss_logpdf(a->y[i], m, sig));
    }
    return SMILE_OK;
}

smile_status smile_metrics_acc_add_logits(smile_metrics_acc *a, int chain, size_t sample,
                                          size_t i0, size_t count, const float *logits) {
    if (a && a->p.task == SMILE_METRICS_REGRESSION) {
        smile_set_msg(a->err, sizeof a->err, "metrics: add_logits on a regression task");
        return SMILE_EINVAL;
    }
    smile_status st = add_check(a, chain, sample, i0, count, logits);
    if (st != SMILE_OK) return st;
    size_t k = (size_t)chain, s = sample, n = a->n, C = a->C;
    size_t ks = k * a->S + s;
    for (size_t j = 0; j < count; j++) {
        size_t i = i0 + j;
        const float *z = logits + j * C;
        /* log-softmax in double: ℓ_c = z_c − LSE(z) (section 11.1) */
        size_t am = 0;
        double zmax = (double)z[0];
        for (size_t c = 1; c < C; c++)
            if ((double)z[c] > zmax) {
                zmax = (double)z[c];
                am = c; /* first maximum: ties → smallest index (section 11.1) */
            }
        double se = 0;
        for (size_t c = 0; c < C; c++) se += exp((double)z[c] - zmax);
        double lse = zmax + log(se);
        double ell = (double)z[a->lab[i]] - lse;
        double *ps = a->psum + i * C;
        for (size_t c = 0; c < C; c++) ps[c] += exp((double)z[c] - lse);
        a->votes[(k * n + i) * C + am]++;
        if (a->dvotes) {
            /* section 11.7: R label draws ~ Categorical(p_{k,s,i}); the stream is
             * keyed by (seed, k, s, i) so chunking and call order do not matter. */
            smile_rng r;
            smile_rng_init(&r, a->p.seed, (uint64_t)ks * n + i, SMILE_RNG_METRICS_CLASS_DRAW);
            for (size_t d = 0; d < a->R; d++) {
                double u = smile_rng_uniform(&r), cum = 0;
                size_t pick = am; /* if rounding leaves Σp < u */
                for (size_t c = 0; c < C; c++) {
                    cum += exp((double)z[c] - lse);
                    if (u < cum) {
                        pick = c;
                        break;
                    }
                }
                a->dvotes[i * C + pick]++;
            }
        }
        if (a->fstore) a->fstore[ks * n + i] = (float)ell;
        feed_ell(a, k, s, i, ell);
    }
    return SMILE_OK;
}
