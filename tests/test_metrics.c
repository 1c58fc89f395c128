/* Evaluation metrics (docs/method.md, section 11): hand-computable LPPD / RMSE / DE
 * spread / classification scores, calibration errors with crafted
 * probabilities, argmax ties, exact coverage on the true predictive,
 * chain-resolved curves against brute force, function-space R̂, extreme
 * logits, JSON keys, streaming (chunked) feeding and thread independence. */
#include "harness.h"
#include "smile.h"
#include "metrics/metrics.h"
#include "diag/diag.h"

#include <cjson/cJSON.h>
#include <omp.h>
#include <stdint.h>

#define LOG2PI 1.8378770664093454836

static double npdf(double y, double m, double s) {
    double r = (y - m) / s;
    return exp(-0.5 * r * r) / (s * sqrt(2 * 3.14159265358979323846));
}

static smile_metrics_params reg_params(size_t n, int K, size_t S) {
    smile_metrics_params p = smile_metrics_params_default();
    p.task = SMILE_METRICS_REGRESSION;
    p.n = n;
    p.n_chains = K;
    p.max_samples = S;
    p.seed = 7;
    return p;
}

static smile_metrics_params cls_params(size_t n, size_t C, int K, size_t S) {
    smile_metrics_params p = smile_metrics_params_default();
    p.task = SMILE_METRICS_CLASSIFICATION;
    p.n = n;
    p.n_classes = C;
    p.n_chains = K;
    p.max_samples = S;
    p.seed = 7;
    return p;
}

static void test_logsumexp(void) {
    double a[3] = {1000, 1000, -INFINITY};
    CHECK_CLOSE(smile_logsumexp(a, 3), 1000 + log(2.0), 1e-15, 0);
    double b[2] = {-1e4, -2e4};
    CHECK_CLOSE(smile_logsumexp(b, 2), -1e4, 1e-15, 0);
    double c[2] = {-INFINITY, -INFINITY};
    CHECK(smile_logsumexp(c, 2) == -INFINITY, "all -inf");
    CHECK(smile_logsumexp(a, 0) == -INFINITY, "empty");
    double v[5] = {1, 2, 3, 4, 10};
    CHECK_CLOSE(smile_quantile_sorted(v, 5, 0.5), 3, 0, 1e-15);
    CHECK_CLOSE(smile_quantile_sorted(v, 5, 0.9), 4 + 0.6 * 6, 1e-15, 0); /* h = 3.6 */
    CHECK_CLOSE(smile_quantile_sorted(v, 5, 1.0), 10, 0, 0);
}

/* Two samples (as K=1,S=2 and as K=2,S=1), homoscedastic: LPPD by hand. */
static void test_regression_hand(void) {
    double y[2] = {0.3, -1.2};
    float mu[4] = {0.1f, -1.0f, /* sample 0 */ 0.5f, -2.0f /* sample 1 */};
    double tau[2] = {log(0.5), log(2.0)};
    double sig[2] = {0.5, 2.0};
    double lp = 0, se = 0, c0 = 0, c1 = 0, r0 = 0, r1 = 0;
    for (int i = 0; i < 2; i++) {
        double p0 = npdf(y[i], mu[i], sig[0]), p1 = npdf(y[i], mu[2 + i], sig[1]);
        lp += log(0.5 * (p0 + p1)) / 2;
        c0 += log(p0) / 2;
        c1 += log(p1) / 2;
        double mb = 0.5 * ((double)mu[i] + (double)mu[2 + i]);
        se += (mb - y[i]) * (mb - y[i]) / 2;
        r0 += ((double)mu[i] - y[i]) * ((double)mu[i] - y[i]) / 2;
        r1 += ((double)mu[2 + i] - y[i]) * ((double)mu[2 + i] - y[i]) / 2;
    }
    char msg[256] = "";
    smile_metrics m;
    smile_metrics_params p = reg_params(2, 1, 2);
    p.y_scale = 2.0;
    CHECK(smile_metrics_regression(&p, y, mu, NULL, tau, &m, msg, sizeof msg) == SMILE_OK, "%s",
          msg);
    CHECK_CLOSE(m.lppd, lp, 1e-13, 0);
    CHECK_CLOSE(m.rmse, sqrt(se), 1e-13, 0);
    CHECK_CLOSE(m.chainwise_lppd[0], lp, 1e-13, 0);
    CHECK_CLOSE(m.lppd_orig, lp - log(2.0), 1e-13, 0);
    CHECK_CLOSE(m.rmse_orig, 2 * sqrt(se), 1e-13, 0);
    CHECK(m.n_running == 2, "running length");
    CHECK_CLOSE(m.running_lppd[0], c0, 1e-13, 0); /* m = 1: sample 0 only */
    CHECK_CLOSE(m.running_lppd[1], lp, 1e-13, 0);
    smile_metrics_free(&m);

    p = reg_params(2, 2, 1);
    CHECK(smile_metrics_regression(&p, y, mu, NULL, tau, &m, msg, sizeof msg) == SMILE_OK, "%s",
          msg);
    CHECK_CLOSE(m.lppd, lp, 1e-13, 0);
    CHECK_CLOSE(m.chainwise_lppd[0], c0, 1e-13, 0);
    CHECK_CLOSE(m.chainwise_lppd[1], c1, 1e-13, 0);
    CHECK_CLOSE(m.seq_chain_lppd[0], c0, 1e-13, 0);
    CHECK_CLOSE(m.seq_chain_lppd[1], lp, 1e-13, 0);
    CHECK_CLOSE(m.chainwise_rmse[0], sqrt(r0), 1e-13, 0);
    CHECK_CLOSE(m.chainwise_rmse[1], sqrt(r1), 1e-13, 0);
    CHECK_CLOSE(m.rmse, sqrt(se), 1e-13, 0);
    smile_metrics_free(&m);

    /* heteroscedastic, one sample: ℓ = −½log2π − log σ − r²/2 with σ clipped */
    float eta[2] = {(float)log(0.25), 50.0f}; /* e^50 > 1e6: clipped */
    p = reg_params(2, 1, 1);
    p.heteroscedastic = 1;
    CHECK(smile_metrics_regression(&p, y, mu, eta, NULL, &m, msg, sizeof msg) == SMILE_OK, "%s",
          msg);
    double s0 = exp((double)eta[0]);
    double e0 = -0.5 * LOG2PI - log(s0) - 0.5 * pow((y[0] - mu[0]) / s0, 2);
    double e1 = -0.5 * LOG2PI - log(1e6) - 0.5 * pow((y[1] - mu[1]) / 1e6, 2);
    CHECK_CLOSE(m.lppd, 0.5 * (e0 + e1), 1e-13, 0);
    smile_metrics_free(&m);

    /* very different sample densities: LSE must not underflow */
    double tau2[2] = {log(1e-6), 0.0};
    float mu2[4] = {10.0f, 10.0f, 0.3f, -1.2f};
    p = reg_params(2, 1, 2);
    p.coverage = 0;
    CHECK(smile_metrics_regression(&p, y, mu2, NULL, tau2, &m, msg, sizeof msg) == SMILE_OK, "%s",
          msg);
    /* sample 0 contributes e^(−~5e13): LPPD = log(½ N(0; 0, 1)) */
    CHECK_CLOSE(m.lppd, log(0.5) - 0.5 * LOG2PI, 1e-13, 0);
    CHECK(isfinite(m.running_lppd[0]) && m.running_lppd[0] < -1e12, "%g", m.running_lppd[0]);
    smile_metrics_free(&m);
}

/* DE member spread (docs/method.md, section 11.3): K = 2, s_i = |a − b|/2. */
static void test_de_spread(void) {
    double y[3] = {0.0, 1.0, 2.0};
    float mu[6] = {-1.0f, 1.0f, 2.0f, /* member 0 */ 1.0f, 2.0f, 2.0f /* member 1 */};
    char msg[256] = "";
    smile_metrics m;
    smile_metrics_params p = reg_params(3, 2, 1);
    p.levels[0] = 0.5;
    p.n_levels = 1;
    CHECK(smile_metrics_regression_de(&p, y, mu, &m, msg, sizeof msg) == SMILE_OK, "%s", msg);
    double lp = 0;
    for (int i = 0; i < 3; i++) {
        double a = mu[i], b = mu[3 + i], s = fabs(a - b) / 2;
        if (s < 1e-6) s = 1e-6;
        lp += log(0.5 * npdf(y[i], a, s) + 0.5 * npdf(y[i], b, s)) / 3;
    }
    CHECK_CLOSE(m.lppd, lp, 1e-12, 0);
    CHECK(m.phase == SMILE_METRICS_PHASE_ENSEMBLE, "phase");
    CHECK_CLOSE(m.rmse, sqrt((0 + 0.25 + 0) / 3.0), 1e-13, 0);
    /* point 2: both members at 2 with s = 1e-6 — y = 2 lies inside any interval;
     * point 0: mixture of N(−1,1), N(1,1) symmetric about y = 0: inside the
     * central 50 % interval; point 1: N(1,.25)+N(2,.25) mixture, y = 1 is
     * below the median 1.5 and its CDF ≈ 0.25 + 0.5Φ(−2)... = 0.261 > 0.25:
     * inside. So coverage = 1. */
    CHECK_CLOSE(m.coverage[0], 1.0, 0, 0);
    CHECK(isnan(m.fn_rhat_median), "no function-space R-hat with S = 1");
    smile_metrics_free(&m);
}

/* One DE member (docs/method.md, section 11.3): no spread, the member's own
 * predictive N(μ, 1) — σ = 1 as trained; exact 50 % intervals μ ± 0.6745. */
static void test_de_single_member(void) {
    double y[3] = {0.0, 1.0, 2.5};
    float mu[3] = {0.5f, 1.0f, 1.0f};
    char msg[256] = "";
    smile_metrics m;
    smile_metrics_params p = reg_params(3, 1, 1);
    p.levels[0] = 0.5;
    p.n_levels = 1;
    smile_status st = smile_metrics_regression_de(&p, y, mu, &m, msg, sizeof msg);
    CHECK(st == SMILE_OK, "one member: %s", msg);
    if (st != SMILE_OK) return;
    double lp = 0;
    for (int i = 0; i < 3; i++) lp += log(npdf(y[i], mu[i], 1.0)) / 3;
    CHECK_CLOSE(m.lppd, lp, 1e-12, 0);
    CHECK_CLOSE(m.rmse, sqrt((0.25 + 0 + 2.25) / 3.0), 1e-13, 0);
    CHECK_CLOSE(m.width[0], 2 * 0.6744897501960817, 1e-9, 0);
    CHECK_CLOSE(m.coverage[0], 2.0 / 3.0, 1e-15, 0); /* |y − μ| = 0.5, 0, 1.5 */
    smile_metrics_free(&m);
}

/* Curves against brute force on stored ℓ, chunked feeding, threads. */
static void test_curves_and_streaming(void) {
    enum { K = 3, S = 4, n = 5 };
    double y[n];
    float mu[K * S * n], eta[K * S * n];
    double ell[K][S][n];
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_USER);
    for (int i = 0; i < n; i++) y[i] = smile_rng_normal(&r);
    for (int k = 0; k < K; k++)
        for (int s = 0; s < S; s++)
            for (int i = 0; i < n; i++) {
                int j = (k * S + s) * n + i;
                mu[j] = (float)(0.5 * smile_rng_normal(&r) + 0.3 * k);
                eta[j] = (float)(0.3 * smile_rng_normal(&r));
                double sg = exp((double)eta[j]);
                ell[k][s][i] = log(npdf(y[i], mu[j], sg));
            }
    smile_metrics_params p = reg_params(n, K, S);
    p.heteroscedastic = 1;
    p.n_orderings = 7;
    char msg[256] = "";
    smile_metrics m;
    CHECK(smile_metrics_regression(&p, y, mu, eta, NULL, &m, msg, sizeof msg) == SMILE_OK, "%s",
          msg);
    double maxe = 0;
    for (int q = 1; q <= S; q++) { /* running LPPD, linear space is fine here */
        double t = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                for (int u = 0; u < q; u++) s += exp(ell[k][u][i]);
            t += log(s / (K * q)) / n;
        }
        maxe = fmax(maxe, fabs(t - m.running_lppd[q - 1]));
    }
    for (int j = 1; j <= K; j++) {
        double t = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < j; k++)
                for (int u = 0; u < S; u++) s += exp(ell[k][u][i]);
            t += log(s / (j * S)) / n;
        }
        maxe = fmax(maxe, fabs(t - m.seq_chain_lppd[j - 1]));
    }
    CHECK(maxe < 1e-12, "curve error %g", maxe);
    CHECK_CLOSE(m.running_lppd[S - 1], m.lppd, 1e-13, 0);
    CHECK_CLOSE(m.seq_chain_lppd_mean[K - 1], m.lppd, 1e-13, 0);
    CHECK(m.seq_chain_lppd_std[K - 1] < 1e-12, "std at j=K %g", m.seq_chain_lppd_std[K - 1]);
    /* j = 1 mean over orderings is a mean of chainwise LPPDs: within their range */
    double lo = fmin(fmin(m.chainwise_lppd[0], m.chainwise_lppd[1]), m.chainwise_lppd[2]);
    double hi = fmax(fmax(m.chainwise_lppd[0], m.chainwise_lppd[1]), m.chainwise_lppd[2]);
    CHECK(m.seq_chain_lppd_mean[0] >= lo - 1e-12 && m.seq_chain_lppd_mean[0] <= hi + 1e-12, "j=1");

    /* streaming in chunks of 2 points with chains interleaved: identical */
    smile_metrics_acc *a;
    CHECK(smile_metrics_acc_init(&a, &p, y, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    for (int s = 0; s < S; s++)
        for (int k = 0; k < K; k++)
            for (int i0 = 0; i0 < n; i0 += 2) {
                int c = n - i0 < 2 ? n - i0 : 2, j = (k * S + s) * n + i0;
                CHECK(smile_metrics_acc_add_regression(a, k, s, i0, c, mu + j, eta + j, 0) ==
                          SMILE_OK,
                      "%s", smile_metrics_acc_error(a));
            }
    smile_metrics m2;
    int nt = omp_get_max_threads();
    omp_set_num_threads(nt > 1 ? 1 : 3); /* other thread count than the first run */
    CHECK(smile_metrics_acc_finish(a, &m2, msg, sizeof msg) == SMILE_OK, "%s", msg);
    omp_set_num_threads(nt);
    CHECK(m2.lppd == m.lppd && m2.rmse == m.rmse, "streamed lppd/rmse differ");
    int same = 1;
    for (size_t l = 0; l < m.n_levels; l++)
        same &= m2.coverage[l] == m.coverage[l] && m2.width[l] == m.width[l];
    same &= m2.fn_rhat_median == m.fn_rhat_median;
    CHECK(same, "streamed/threaded coverage or fn diag differ");
    /* duplicate point, bad chain, incomplete sample */
    CHECK(smile_metrics_acc_add_regression(a, 0, 0, 0, 1, mu, eta, 0) == SMILE_EINVAL, "dup");
    CHECK(smile_metrics_acc_add_regression(a, K, 0, 0, 1, mu, eta, 0) == SMILE_EINVAL, "chain");
    CHECK(smile_metrics_acc_add_regression(a, 0, 0, n, 1, mu, eta, 0) == SMILE_EINVAL, "range");
    smile_metrics_free(&m2);
    smile_metrics_acc_free(a);
    smile_metrics_params p2 = reg_params(n, K, S + 2);
    p2.heteroscedastic = 1;
    smile_metrics_acc_init(&a, &p2, y, NULL, msg, sizeof msg);
    for (int k = 0; k < K; k++)
        for (int s = 0; s < S; s++)
            smile_metrics_acc_add_regression(a, k, s, 0, n, mu, eta, 0);
    smile_metrics_acc_add_regression(a, 1, S + 1, 0, n, mu, eta, 0); /* gap at S */
    CHECK(smile_metrics_acc_finish(a, &m2, msg, sizeof msg) == SMILE_EINVAL, "gap accepted");
    smile_metrics_acc_free(a);
    smile_metrics_free(&m);
}

/* coverage (docs/method.md, section 11.5): exact mixture coverage. y_i ~ N(μ_i, σ²);
 * every posterior sample predicts exactly (μ_i, σ). Expected coverage α, binomial sd
 * sqrt(α(1−α)/n); the widths are those of N(0, σ²). */
static void test_coverage(void) {
    enum { K = 4, S = 50, n = 20000 };
    const double sg = 0.7;
    double *y = malloc(n * sizeof(double));
    float *mu = malloc((size_t)K * S * n * sizeof(float));
    double tau[K * S];
    smile_rng r;
    smile_rng_init(&r, 5, 0, SMILE_RNG_USER);
    for (int i = 0; i < n; i++) {
        double m = 2 * smile_rng_uniform(&r) - 1;
        mu[i] = (float)m;
        y[i] = (double)mu[i] + sg * smile_rng_normal(&r);
    }
    for (int j = 1; j < K * S; j++) memcpy(mu + (size_t)j * n, mu, n * sizeof(float));
    for (int j = 0; j < K * S; j++) tau[j] = log(sg);
    smile_metrics_params p = reg_params(n, K, S);
    p.fn_diag = 0;
    char msg[256] = "";
    smile_metrics m;
    CHECK(smile_metrics_regression(&p, y, mu, NULL, tau, &m, msg, sizeof msg) == SMILE_OK, "%s",
          msg);
    double z[3] = {1.2815515655446008, 1.6448536269514715, 1.959963984540054};
    double ss = 0;
    for (int l = 0; l < 3; l++) {
        double al = m.levels[l], sd = sqrt(al * (1 - al) / n);
        printf("coverage %.2f: exact %.4f (width %.6f)\n", al, m.coverage[l], m.width[l]);
        CHECK(fabs(m.coverage[l] - al) <= 4 * sd, "exact cov %g", m.coverage[l]);
        CHECK_CLOSE(m.width[l], 2 * z[l] * sg, 1e-9, 0);
        ss += (al - m.coverage[l]) * (al - m.coverage[l]);
    }
    CHECK_CLOSE(m.calib_error_rms, sqrt(ss / 3), 1e-14, 0);
    CHECK_CLOSE(m.calib_error_reference, m.calib_error_rms / sqrt(3.0), 1e-14, 0);
    /* a too narrow predictive (σ/1.5) must be detected: 80 % → 2Φ(0.854)−1 = 0.607 */
    for (int j = 0; j < K * S; j++) tau[j] = log(sg / 1.5);
    smile_metrics mn;
    smile_metrics_regression(&p, y, mu, NULL, tau, &mn, msg, sizeof msg);
    CHECK(mn.coverage[0] < 0.65, "narrow coverage %g", mn.coverage[0]);
    smile_metrics_free(&m);
    smile_metrics_free(&mn);
    free(y);
    free(mu);
}

/* Classification by hand: 3 points, C = 3, two samples (K = 2, S = 1). */
static void test_classification_hand(void) {
    /* probabilities chosen directly; logits = log p */
    double P[2][3][3] = {{{0.7, 0.2, 0.1}, {0.2, 0.3, 0.5}, {1.0 / 3, 1.0 / 3, 1.0 / 3}},
                         {{0.52, 0.38, 0.1}, {0.1, 0.6, 0.3}, {0.2, 0.2, 0.6}}};
    int32_t lab[3] = {0, 1, 1};
    float lg[2 * 3 * 3];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < 3; c++) lg[(k * 3 + i) * 3 + c] = (float)log(P[k][i][c]);
    /* exact probabilities of the float logits */
    double Q[2][3][3];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 3; i++) {
            double s = 0;
            for (int c = 0; c < 3; c++) s += exp((double)lg[(k * 3 + i) * 3 + c]);
            for (int c = 0; c < 3; c++) Q[k][i][c] = exp((double)lg[(k * 3 + i) * 3 + c]) / s;
        }
    double lp = 0, nllm = 0, brier = 0;
    for (int i = 0; i < 3; i++) {
        double pb[3];
        for (int c = 0; c < 3; c++) pb[c] = 0.5 * (Q[0][i][c] + Q[1][i][c]);
        lp += log(pb[lab[i]]) / 3;
        nllm -= 0.5 * (log(Q[0][i][lab[i]]) + log(Q[1][i][lab[i]])) / 3;
        for (int c = 0; c < 3; c++) brier += pow(pb[c] - (c == lab[i]), 2) / 3;
    }
    smile_metrics_params p = cls_params(3, 3, 2, 1);
    p.calib_argmax = 1;
    char msg[256] = "";
    smile_metrics m;
    CHECK(smile_metrics_classification(&p, lab, lg, &m, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK_CLOSE(m.lppd, lp, 1e-13, 0);
    CHECK_CLOSE(m.nll_bma, -lp, 1e-13, 0);
    CHECK_CLOSE(m.nll_mean_sample, nllm, 1e-13, 0);
    CHECK(m.nll_mean_sample >= m.nll_bma, "Jensen");
    CHECK_CLOSE(m.brier, brier, 1e-13, 0);
    /* votes: point 0: {0, 0} → 0 ✓; point 1: {2, 1} tie → 1 ✓ (smallest index);
     * point 2: sample 0 has three equal logits → vote 0, sample 1 → 2;
     * tie {0, 2} → 0 ✗. acc_majority = 2/3.
     * BMA: p̄_1 = (.15, .45, .4) → 1 ✓; p̄_2 = (.267, .267, .467) → 2 ✗;
     * p̄_0 → 0 ✓. acc_bma = 2/3. */
    CHECK_CLOSE(m.acc_majority, 2.0 / 3, 1e-15, 0);
    CHECK_CLOSE(m.acc_bma, 2.0 / 3, 1e-15, 0);
    /* per-chain majority = its own argmax: chain 0 votes {0, 2, 0}: 1/3;
     * chain 1 votes {0, 1, 2}: 2/3 */
    CHECK_CLOSE(m.chain_accuracy[0], 1.0 / 3, 1e-15, 0);
    CHECK_CLOSE(m.chain_accuracy[1], 2.0 / 3, 1e-15, 0);
    /* top-label ECE: κ = (.61, .45, .467), c̃ = (0, 1, 2), correct (1, 1, 0):
     * bins (.6,.7]: acc 1 conf .61; (.4,.5]: {.45 ✓, .467 ✗}: acc .5, conf .4583 */
    double k0 = 0.5 * (Q[0][0][0] + Q[1][0][0]), k1 = 0.5 * (Q[0][1][1] + Q[1][1][1]),
           k2 = 0.5 * (Q[0][2][2] + Q[1][2][2]);
    double ece = (1.0 / 3) * fabs(1 - k0) + (2.0 / 3) * fabs(0.5 - 0.5 * (k1 + k2));
    CHECK_CLOSE(m.ece_top_label, ece, 1e-13, 0);
    CHECK(m.rel_count[6] == 1 && m.rel_count[4] == 2, "reliability counts");
    /* true-class ECE with argmax votes ĉ = (0, 1, 0): q = (.61, .45, .267):
     * bin (.6,.7]: acc 1, q .61; (.4,.5]: acc 1, q .45; (.2,.3]: acc 0, q .267 */
    double q2 = 0.5 * (Q[0][2][1] + Q[1][2][1]);
    double etc = (fabs(1 - k0) + fabs(1 - k1) + fabs(0 - q2)) / 3;
    CHECK_CLOSE(m.ece_true_class, etc, 1e-13, 0);
    CHECK_CLOSE(m.ce_reference, etc / 10, 1e-13, 0);
    smile_metrics_free(&m);
}

static void test_scores_hand(void) {
    /* textbook ECE (docs/method.md, section 11.7) with edges: κ = 0.6 and 0.7 lie on bin edges
     * (right-closed). */
    double pb[4 * 2] = {0.95, 0.05, 0.95, 0.05, 0.6, 0.4, 0.3, 0.7};
    int32_t lab[4] = {0, 1, 0, 1};
    double ece, acc[10], conf[10];
    size_t cnt[10];
    CHECK(smile_ece_top_label(pb, lab, 4, 2, 10, &ece, cnt, acc, conf) == SMILE_OK, "ece");
    /* (.9,1]: 2 pts acc .5 conf .95; (.5,.6]: acc 1 conf .6; (.6,.7]: acc 1 conf .7 */
    CHECK_CLOSE(ece, 0.5 * 0.45 + 0.25 * 0.4 + 0.25 * 0.3, 1e-15, 0);
    CHECK(cnt[9] == 2 && cnt[5] == 1 && cnt[6] == 1, "bins %zu %zu %zu", cnt[9], cnt[5], cnt[6]);
    CHECK(isnan(acc[0]) && isnan(conf[3]), "empty bins NaN in the table");
    /* the reference's ECE variant: q = (.95, .05, .6, .7), predictions given: */
    int32_t pred[4] = {0, 0, 1, 1};
    double et, cr;
    smile_ece_true_class(pb, lab, pred, 4, 2, 10, &et, &cr);
    /* bins: (.9,1]: q .95 acc 1 → .05; (0,.1]: q .05 acc 0 → .05;
     * (.5,.6]: q .6 acc 0 → .6; (.6,.7]: q .7 acc 1 → .3 */
    CHECK_CLOSE(et, (0.05 + 0.05 + 0.6 + 0.3) / 4, 1e-15, 0);
    CHECK_CLOSE(cr, et / 10, 1e-15, 0);
    double pz[2] = {0.0, 1.0};
    int32_t l0[1] = {0}, p0[1] = {1};
    smile_ece_true_class(pz, l0, p0, 1, 2, 10, &et, &cr);
    CHECK(et == 0 && cr == 0, "q = 0 falls in no bin");

    /* AUROC / AURC / F1 (binary) */
    double pb2[8] = {0.1, 0.9, 0.2, 0.8, 0.7, 0.3, 0.2, 0.8};
    int32_t lab2[4] = {1, 0, 0, 1}, pred2[4] = {1, 1, 0, 1};
    CHECK_CLOSE(smile_auroc_ovr(pb2, lab2, 4, 2), 0.875, 1e-15, 0);
    CHECK_CLOSE(smile_aurc(pb2, lab2, 4, 2), (0.5 + (0.5 + 1.0 / 3) + (1.0 / 3 + 0.25)) / 8, 1e-15,
                0);
    CHECK_CLOSE(smile_f1_macro(pred2, lab2, 4, 2), 0.8, 1e-9, 0);
    int32_t p3[4] = {0, 1, 2, 2}, l3[4] = {0, 1, 1, 2};
    CHECK_CLOSE(smile_f1_macro(p3, l3, 4, 3), (1 + 2.0 / 3 + 2.0 / 3) / 3, 1e-9, 0);
    int32_t one[4] = {1, 1, 1, 1};
    CHECK(isnan(smile_auroc_ovr(pb2, one, 4, 2)), "no negatives");
}

/* Extreme logits ±1e4: every reported number is not NaN. */
static void test_extreme_logits(void) {
    enum { K = 2, S = 2, n = 5, C = 3 };
    float lg[K * S * n * C];
    int32_t lab[n] = {0, 1, 2, 0, 1};
    for (int j = 0; j < K * S * n * C; j++) lg[j] = (j * 7 % 5 < 2) ? 1e4f : -1e4f;
    for (int i = 0; i < n; i++) lg[i * C + lab[i]] = -1e4f; /* first sample: true class impossible */
    smile_metrics_params p = cls_params(n, C, K, S);
    char msg[256] = "";
    smile_metrics m;
    CHECK(smile_metrics_classification(&p, lab, lg, &m, msg, sizeof msg) == SMILE_OK, "%s", msg);
    double v[] = {m.lppd, m.acc_majority, m.acc_bma, m.nll_bma, m.nll_mean_sample, m.brier,
                  m.ece_top_label, m.ece_true_class, m.ce_reference, m.f1_macro, m.aurc,
                  m.chainwise_lppd[0], m.chainwise_lppd[1], m.running_lppd[0],
                  m.seq_chain_lppd_mean[0], m.seq_chain_lppd_std[0]};
    int bad = 0;
    for (size_t j = 0; j < sizeof v / sizeof *v; j++) bad += !isfinite(v[j]);
    CHECK(bad == 0, "%d non-finite metrics (lppd %g)", bad, m.lppd);
    CHECK(!isnan(m.auroc), "auroc");
    CHECK(m.lppd > -2.1e4 && m.lppd <= 0, "lppd %g", m.lppd);
    smile_metrics_free(&m);
    /* text task: uniform logits → perplexity = C exactly */
    float u[2 * 4 * 5];
    for (int j = 0; j < 40; j++) u[j] = 3.0f;
    int32_t tl[4] = {4, 0, 2, 1};
    p = cls_params(4, 5, 2, 1);
    p.task = SMILE_METRICS_TEXT;
    CHECK(smile_metrics_classification(&p, tl, u, &m, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK_CLOSE(m.perplexity, 5.0, 1e-13, 0);
    CHECK_CLOSE(m.chain_perplexity[1], 5.0, 1e-13, 0);
    CHECK_CLOSE(m.perplexity_mean_sample, 5.0, 1e-13, 0);
    CHECK_CLOSE(m.acc_majority, 0.25, 0, 0); /* all votes → token 0 (tie rule) */
    cJSON *o = cJSON_CreateObject();
    CHECK(smile_metrics_to_json(&m, o) == SMILE_OK, "json");
    const char *tk[] = {"accuracy", "perplexity", "chain_accuracy", "chain_perplexity",
                        "n_test_evaluated", "phase", "lppd"};
    for (size_t j = 0; j < sizeof tk / sizeof *tk; j++)
        CHECK(cJSON_GetObjectItem(o, tk[j]) != NULL, "text key %s", tk[j]);
    cJSON_Delete(o);
    smile_metrics_free(&m);
}

/* calibration from label draws (docs/method.md, section 11.7): with near-deterministic sample
 * predictions, label draws equal the argmax (probability of another label ≤ 2e-22 per draw). */
static void test_label_draws(void) {
    enum { K = 3, S = 2, n = 6, C = 4 };
    float lg[K * S * n * C];
    int32_t lab[n] = {0, 1, 2, 3, 0, 1};
    smile_rng r;
    smile_rng_init(&r, 9, 0, SMILE_RNG_USER);
    for (int j = 0; j < K * S * n; j++) {
        int hot = (int)smile_rng_below(&r, C);
        for (int c = 0; c < C; c++) lg[j * C + c] = c == hot ? 0.0f : -50.0f;
    }
    smile_metrics_params p = cls_params(n, C, K, S);
    char msg[256] = "";
    smile_metrics a, b;
    smile_metrics_classification(&p, lab, lg, &a, msg, sizeof msg);
    p.calib_argmax = 1;
    smile_metrics_classification(&p, lab, lg, &b, msg, sizeof msg);
    CHECK(a.ece_true_class == b.ece_true_class, "%g vs %g", a.ece_true_class, b.ece_true_class);
    smile_metrics_free(&a);
    smile_metrics_free(&b);
}

/* function-space R̂ (docs/method.md, section 11.9): iid predictions across chains → R̂ ≈ 1; one
 * chain shifted → large. */
static void test_function_space(void) {
    enum { K = 4, S = 200, n = 40 };
    double y[n];
    float *mu = malloc((size_t)K * S * n * sizeof(float));
    double tau[K * S];
    smile_rng r;
    smile_rng_init(&r, 3, 0, SMILE_RNG_USER);
    for (int i = 0; i < n; i++) y[i] = 0;
    for (int j = 0; j < K * S * n; j++) mu[j] = (float)smile_rng_normal(&r);
    for (int j = 0; j < K * S; j++) tau[j] = 0;
    smile_metrics_params p = reg_params(n, K, S);
    p.coverage = 0;
    char msg[256] = "";
    smile_metrics m;
    smile_metrics_regression(&p, y, mu, NULL, tau, &m, msg, sizeof msg);
    printf("fn diag iid: rhat median %.4f p90 %.4f ess median %.1f (of %d)\n", m.fn_rhat_median,
           m.fn_rhat_p90, m.fn_ess_bulk_median, K * S);
    /* 8 split sequences of 100: R̂² − 1 ≈ (χ²_7/7 − 1)/100, so R̂ < 1.01 unless
     * χ²_7/7 > 3 (p ≈ 0.004) */
    CHECK(m.fn_points == n, "points %zu", m.fn_points);
    CHECK(m.fn_rhat_median < 1.01 && m.fn_rhat_p90 < 1.01, "%g %g", m.fn_rhat_median,
          m.fn_rhat_p90);
    smile_metrics_free(&m);
    for (int j = 0; j < S * n; j++) mu[j] += 2.0f; /* chain 0 shifted by 2 sd */
    p.fn_diag_max_points = 10;
    smile_metrics_regression(&p, y, mu, NULL, tau, &m, msg, sizeof msg);
    printf("fn diag shifted: rhat median %.4f\n", m.fn_rhat_median);
    CHECK(m.fn_points == 10, "subset %zu", m.fn_points);
    CHECK(m.fn_rhat_median > 1.2 && m.fn_rhat_frac_above_1_01 == 1.0, "%g", m.fn_rhat_median);
    cJSON *o = cJSON_CreateObject();
    CHECK(smile_metrics_to_json(&m, o) == SMILE_OK, "json");
    const char *keys[] = {"lppd", "rmse", "chainwise_lppd", "chainwise_rmse", "running_lppd",
                          "seq_chain_lppd", "seq_chain_lppd_orderings_mean",
                          "seq_chain_lppd_orderings_std", "n_test_evaluated", "phase",
                          "function_space_proj"};
    for (size_t j = 0; j < sizeof keys / sizeof *keys; j++)
        CHECK(cJSON_GetObjectItem(o, keys[j]) != NULL, "key %s", keys[j]);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "running_lppd")) ==
              SMILE_METRICS_RUNNING_POINTS,
          "running size");
    cJSON *rq = cJSON_GetObjectItem(o, "running_lppd_samples");
    CHECK(cJSON_GetArraySize(rq) == SMILE_METRICS_RUNNING_POINTS &&
              cJSON_GetArrayItem(rq, SMILE_METRICS_RUNNING_POINTS - 1)->valuedouble == S,
          "running samples");
    cJSON_Delete(o);
    smile_metrics_free(&m);
    /* coverage keys */
    p.coverage = 1;
    p.fn_diag = 0;
    smile_metrics_regression(&p, y, mu, NULL, tau, &m, msg, sizeof msg);
    o = cJSON_CreateObject();
    smile_metrics_to_json(&m, o);
    const char *ck[] = {"coverage_80", "coverage_90", "coverage_95", "width_80", "width_95",
                        "calib_error_rms", "calib_error_reference"};
    for (size_t j = 0; j < sizeof ck / sizeof *ck; j++)
        CHECK(cJSON_GetObjectItem(o, ck[j]) != NULL, "key %s", ck[j]);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "function_space_proj"),
                                           "rhat_median")),
          "NaN -> null");
    cJSON_Delete(o);
    smile_metrics_free(&m);
    free(mu);
}

static void test_classification_json(void) {
    float lg[2 * 2 * 3] = {1, 0, 0, 0, 2, 0, 0, 1, 0, 1, 0, 0};
    int32_t lab[2] = {0, 1};
    smile_metrics_params p = cls_params(2, 3, 2, 1);
    char msg[256] = "";
    smile_metrics m;
    CHECK(smile_metrics_classification(&p, lab, lg, &m, msg, sizeof msg) == SMILE_OK, "%s", msg);
    cJSON *o = cJSON_CreateObject();
    CHECK(smile_metrics_to_json(&m, o) == SMILE_OK, "json");
    const char *keys[] = {"lppd", "acc_majority", "acc_bma", "nll_bma", "nll_mean_sample",
                          "brier", "ece_top_label", "reliability_top_label", "ece_true_class",
                          "ce_reference", "f1_macro", "auroc", "aurc", "chainwise_lppd",
                          "running_lppd", "seq_chain_lppd"};
    for (size_t j = 0; j < sizeof keys / sizeof *keys; j++)
        CHECK(cJSON_GetObjectItem(o, keys[j]) != NULL, "key %s", keys[j]);
    cJSON_Delete(o);
    smile_metrics_free(&m);
    int32_t badlab[2] = {0, 3};
    CHECK(smile_metrics_classification(&p, badlab, lg, &m, msg, sizeof msg) == SMILE_EINVAL,
          "label out of range");
}

int main(void) {
    test_logsumexp();
    test_regression_hand();
    test_de_spread();
    test_de_single_member();
    test_curves_and_streaming();
    test_coverage();
    test_classification_hand();
    test_scores_hand();
    test_extreme_logits();
    test_label_draws();
    test_function_space();
    test_classification_json();
    return harness_done("test_metrics");
}
