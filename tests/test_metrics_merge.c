/* Chain summaries and their merge (docs/method.md, section 11.11): on random
 * inputs with chains of different lengths S_k, the metrics from merged
 * summaries equal an independent direct computation (pooled and running LPPD
 * by brute force in long double, RMSE, exact coverage and interval widths from
 * the mixture CDF solved by plain bisection, split-R̂ by the textbook formula,
 * ESS as the sum of the chains' own ESS; classification: pooled probabilities,
 * votes, Brier, NLL); chains summarised apart (as on other MPI ranks: the
 * summary bytes copied, CDF rounds answered by the chain objects) give results
 * bitwise equal to the accumulator's add calls; the summary size does not
 * depend on the number of samples. */
#include "harness.h"
#include "smile.h"
#include "metrics/metrics.h"
#include "diag/diag.h"

#include <stdlib.h>
#include <string.h>

enum { K = 4, n = 23, SMAX = 41 };
static const size_t Sk[K] = {41, 26, 33, 41};

static double sigma_of(double l) {
    double s = exp(l);
    return s < 1e-6 ? 1e-6 : s > 1e6 ? 1e6 : s;
}

/* mixture CDF of point i over all samples */
static double mixcdf(const float *mu, const float *eta, size_t i, double x) {
    double F = 0;
    size_t T = 0;
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; s < Sk[k]; s++, T++) {
            size_t j = (k * SMAX + s) * n + i;
            F += 0.5 * erfc(-(x - mu[j]) / sigma_of(eta[j]) / sqrt(2.0));
        }
    return F / (double)T;
}

/* Summarises every chain apart and merges the copied bytes in order. */
static smile_status apart(const smile_metrics_params *p, const double *y, const int32_t *lab,
                          smile_metrics_chain **ch, smile_metrics *m, char *msg, size_t ml) {
    smile_metrics_acc *a;
    SMILE_TRY(smile_metrics_acc_init(&a, p, y, lab, msg, ml));
    size_t sb = smile_metrics_summary_bytes(p), nE = smile_metrics_width_points(p);
    unsigned char *buf = malloc(sb), *wire = malloc(sb);
    double *x = malloc((nE + 1) * sizeof(double)), *cdf = malloc((2 * nE + 1) * sizeof(double));
    uint32_t *idx = malloc((nE + 1) * sizeof(uint32_t));
    size_t mw;
    smile_status st = SMILE_OK;
    for (int k = 0; st == SMILE_OK && k < K; k++) {
        st = smile_metrics_chain_summary(ch[k], p->fn_samples, buf, msg, ml);
        memcpy(wire, buf, sb); /* what a rank would send */
        memset(buf, 0xA5, sb);
        if (st == SMILE_OK) st = smile_metrics_acc_merge(a, k, wire, msg, ml);
    }
    while (st == SMILE_OK && (mw = smile_metrics_acc_width_points(a, idx, x)) > 0) {
        for (int k = 0; st == SMILE_OK && k < K; k++) {
            smile_metrics_chain_cdf(ch[k], mw, idx, x, cdf);
            st = smile_metrics_acc_width_add(a, k, cdf, msg, ml);
        }
        if (st == SMILE_OK) st = smile_metrics_acc_width_update(a, msg, ml);
    }
    if (st == SMILE_OK) st = smile_metrics_acc_finish(a, m, msg, ml);
    smile_metrics_acc_free(a);
    free(buf); free(wire); free(x); free(cdf); free(idx);
    return st;
}

static int same_metrics(const smile_metrics *a, const smile_metrics *b) {
    int ok = a->lppd == b->lppd && a->n_running == b->n_running;
    for (size_t j = 0; ok && j < a->n_running; j++) ok = a->running_lppd[j] == b->running_lppd[j];
    for (int k = 0; ok && k < K; k++)
        ok = a->chainwise_lppd[k] == b->chainwise_lppd[k] &&
             a->seq_chain_lppd[k] == b->seq_chain_lppd[k];
    if (a->task == SMILE_METRICS_REGRESSION) {
        ok &= a->rmse == b->rmse;
        for (size_t l = 0; l < a->n_levels; l++)
            ok &= a->coverage[l] == b->coverage[l] && a->width[l] == b->width[l];
        ok &= a->fn_rhat_median == b->fn_rhat_median && a->fn_ess_bulk_median == b->fn_ess_bulk_median;
    } else {
        ok &= a->acc_majority == b->acc_majority && a->brier == b->brier &&
              a->nll_mean_sample == b->nll_mean_sample && a->ece_true_class == b->ece_true_class;
    }
    return ok;
}

static smile_metrics_params params(smile_metrics_task task, size_t C, uint64_t seed) {
    smile_metrics_params p = smile_metrics_params_default();
    p.task = task;
    p.n = n, p.n_classes = C, p.n_chains = K, p.max_samples = SMAX, p.seed = seed;
    return p;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* split-R̂ (textbook, first Smin samples, halves) and Σ_k ESS_k of μ per point, sorted */
static void brute_fn(const float *mu, size_t Smin, double *rh, double *es) {
    double seq[SMAX];
    size_t h = Smin / 2;
    for (int i = 0; i < n; i++) {
        double means[2 * K], vars[2 * K], gm = 0, W = 0, B = 0;
        es[i] = 0;
        for (int k = 0; k < K; k++) {
            for (size_t s = 0; s < Smin; s++) seq[s] = mu[((size_t)k * SMAX + s) * n + i];
            es[i] += smile_diag_ess_seq(seq, 1, Smin);
            for (int half = 0; half < 2; half++) {
                const double *x = seq + (half ? Smin - h : 0);
                double a1 = 0, a2 = 0;
                for (size_t s = 0; s < h; s++) a1 += x[s];
                a1 /= h;
                for (size_t s = 0; s < h; s++) a2 += (x[s] - a1) * (x[s] - a1);
                means[2 * k + half] = a1;
                vars[2 * k + half] = a2 / (h - 1);
            }
        }
        for (int j = 0; j < 2 * K; j++) gm += means[j] / (2 * K);
        for (int j = 0; j < 2 * K; j++) {
            W += vars[j] / (2 * K);
            B += h * (means[j] - gm) * (means[j] - gm) / (2 * K - 1);
        }
        rh[i] = sqrt(((h - 1.0) / h * W + B / h) / W);
    }
    qsort(rh, n, sizeof(double), cmpd);
    qsort(es, n, sizeof(double), cmpd);
}

static void test_regression(void) {
    double y[n];
    float *mu = malloc(K * SMAX * n * sizeof(float)), *eta = malloc(K * SMAX * n * sizeof(float));
    smile_rng r;
    smile_rng_init(&r, 11, 0, SMILE_RNG_USER);
    for (int i = 0; i < n; i++) y[i] = smile_rng_normal(&r);
    for (int k = 0; k < K; k++)
        for (int s = 0; s < SMAX; s++)
            for (int i = 0; i < n; i++) {
                size_t j = ((size_t)k * SMAX + s) * n + i;
                /* chain 1 sits apart (bimodal mixtures), the others drift slowly */
                mu[j] = (float)(0.4 * smile_rng_normal(&r) + (k == 1 ? 1.5 : 0.02 * s));
                eta[j] = (float)(0.4 * smile_rng_normal(&r) - 0.5);
            }
    smile_metrics_params p = params(SMILE_METRICS_REGRESSION, 0, 5);
    p.heteroscedastic = 1;
    char msg[256] = "";
    /* the accumulator's add calls */
    smile_metrics_acc *a;
    CHECK(smile_metrics_acc_init(&a, &p, y, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    for (int k = 0; k < K; k++)
        for (size_t s = 0; s < Sk[k]; s++) {
            size_t j = ((size_t)k * SMAX + s) * n;
            CHECK(smile_metrics_acc_add_regression(a, k, s, 0, n, mu + j, eta + j, 0) == SMILE_OK,
                  "%s", smile_metrics_acc_error(a));
        }
    smile_metrics m;
    CHECK(smile_metrics_acc_finish(a, &m, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_metrics_acc_free(a);

    /* brute force: pooled and running LPPD, RMSE */
    size_t T = 0, Smin = SMAX;
    for (int k = 0; k < K; k++) {
        T += Sk[k];
        Smin = Sk[k] < Smin ? Sk[k] : Smin;
    }
    double maxe = 0;
    for (size_t jq = 0; jq < m.n_running + 1; jq++) {
        size_t q = jq < m.n_running ? m.running_samples[jq] : SMAX, den = 0;
        long double t = 0;
        for (int i = 0; i < n; i++) {
            long double sp = 0;
            den = 0;
            for (int k = 0; k < K; k++)
                for (size_t s = 0; s < Sk[k] && s < q; s++, den++) {
                    size_t j = ((size_t)k * SMAX + s) * n + i;
                    double sg = sigma_of(eta[j]), z = (y[i] - mu[j]) / sg;
                    sp += expl(-0.5L * z * z) / (sg * sqrtl(2 * 3.14159265358979323846L));
                }
            t += logl(sp / den);
        }
        double v = (double)(t / n);
        maxe = fmax(maxe, fabs(v - (jq < m.n_running ? m.running_lppd[jq] : m.lppd)));
    }
    CHECK(maxe < 1e-12, "LPPD / running LPPD error %g", maxe);
    CHECK(m.n_running == 32 && m.running_samples[31] == SMAX && m.running_samples[0] == 1,
          "running points %zu", m.n_running);
    double se = 0;
    for (int i = 0; i < n; i++) {
        double t = 0;
        for (int k = 0; k < K; k++)
            for (size_t s = 0; s < Sk[k]; s++) t += mu[((size_t)k * SMAX + s) * n + i];
        se += (t / T - y[i]) * (t / T - y[i]);
    }
    CHECK_CLOSE(m.rmse, sqrt(se / n), 1e-13, 0);

    /* exact coverage and widths: mixture quantiles by 200 bisection steps */
    double werr = 0;
    for (size_t l = 0; l < m.n_levels; l++) {
        size_t in = 0;
        double w = 0;
        for (int i = 0; i < n; i++) {
            double ends[2];
            for (int e = 0; e < 2; e++) {
                double q = e ? 0.5 * (1 + m.levels[l]) : 0.5 * (1 - m.levels[l]);
                double lo = -50, hi = 50;
                for (int it = 0; it < 200; it++) {
                    double mid = 0.5 * (lo + hi);
                    if (mixcdf(mu, eta, i, mid) < q) lo = mid;
                    else hi = mid;
                }
                ends[e] = 0.5 * (lo + hi);
            }
            in += ends[0] <= y[i] && y[i] <= ends[1];
            w += ends[1] - ends[0];
        }
        CHECK(m.coverage[l] == (double)in / n, "coverage %g: %g, direct %g", m.levels[l],
              m.coverage[l], (double)in / n);
        werr = fmax(werr, fabs(m.width[l] - w / n));
    }
    CHECK(werr < 1e-9, "width error %g", werr);

    double rh[n], es[n];
    brute_fn(mu, Smin, rh, es);
    CHECK_CLOSE(m.fn_rhat_median, rh[n / 2], 1e-12, 0);
    CHECK_CLOSE(m.fn_ess_bulk_median, es[n / 2], 1e-9, 0);
    printf("merge: lppd %.6f cov80 %.3f width80 %.4f rhat %.3f ess %.1f\n", m.lppd, m.coverage[0],
           m.width[0], m.fn_rhat_median, m.fn_ess_bulk_median);

    /* chains summarised apart (as by other ranks): bitwise the same */
    smile_metrics_chain *ch[K];
    p.fn_samples = Smin;
    for (int k = 0; k < K; k++) {
        CHECK(smile_metrics_chain_init(&ch[k], &p, k, y, NULL, msg, sizeof msg) == SMILE_OK, "%s",
              msg);
        for (size_t s = Sk[k]; s-- > 0;) { /* any sample order, in chunks */
            size_t j = ((size_t)k * SMAX + s) * n;
            for (size_t i0 = 0; i0 < n; i0 += 10) {
                size_t c = n - i0 < 10 ? n - i0 : 10;
                smile_metrics_chain_add_regression(ch[k], s, i0, c, mu + j + i0, eta + j + i0, 0);
            }
        }
    }
    smile_metrics m2;
    CHECK(apart(&p, y, NULL, ch, &m2, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(same_metrics(&m, &m2), "summaries made apart give other metrics");
    for (int k = 0; k < K; k++) smile_metrics_chain_free(ch[k]);
    smile_metrics_free(&m2);
    /* the summary's size does not depend on the number of samples */
    size_t b1 = smile_metrics_summary_bytes(&p);
    p.max_samples = 4000;
    CHECK(smile_metrics_summary_bytes(&p) == b1, "summary bytes grow with S");
    smile_metrics_free(&m);
    free(mu);
    free(eta);
}

static void test_classification(void) {
    enum { C = 4 };
    int32_t lab[n];
    float *lg = malloc(K * SMAX * n * C * sizeof(float));
    smile_rng r;
    smile_rng_init(&r, 12, 0, SMILE_RNG_USER);
    for (int i = 0; i < n; i++) lab[i] = (int32_t)(smile_rng_uniform(&r) * C);
    for (size_t j = 0; j < (size_t)K * SMAX * n * C; j++) lg[j] = (float)(2 * smile_rng_normal(&r));
    smile_metrics_params p = params(SMILE_METRICS_CLASSIFICATION, C, 9);
    char msg[256] = "";
    smile_metrics_acc *a;
    CHECK(smile_metrics_acc_init(&a, &p, NULL, lab, msg, sizeof msg) == SMILE_OK, "%s", msg);
    for (int k = 0; k < K; k++)
        for (size_t s = 0; s < Sk[k]; s++)
            smile_metrics_acc_add_logits(a, k, s, 0, n, lg + ((size_t)k * SMAX + s) * n * C);
    smile_metrics m;
    CHECK(smile_metrics_acc_finish(a, &m, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_metrics_acc_free(a);
    /* direct: pooled probabilities, LPPD, Brier, majority vote, mean NLL */
    size_t T = 0;
    for (int k = 0; k < K; k++) T += Sk[k];
    double lp = 0, brier = 0, nll = 0;
    size_t ok_mv = 0;
    for (int i = 0; i < n; i++) {
        double pb[C] = {0};
        unsigned votes[C] = {0};
        for (int k = 0; k < K; k++)
            for (size_t s = 0; s < Sk[k]; s++) {
                const float *z = lg + (((size_t)k * SMAX + s) * n + i) * C;
                double zs = 0;
                size_t am = 0;
                for (int c = 0; c < C; c++) {
                    zs += exp((double)z[c]);
                    if (z[c] > z[am]) am = (size_t)c;
                }
                for (int c = 0; c < C; c++) pb[c] += exp((double)z[c]) / zs / T;
                nll -= log(exp((double)z[lab[i]]) / zs) / ((double)T * n);
                votes[am]++;
            }
        lp += log(pb[lab[i]]) / n;
        size_t mv = 0;
        for (int c = 0; c < C; c++) {
            brier += (pb[c] - (c == lab[i])) * (pb[c] - (c == lab[i])) / n;
            if (votes[c] > votes[mv]) mv = (size_t)c;
        }
        ok_mv += mv == (size_t)lab[i];
    }
    CHECK_CLOSE(m.lppd, lp, 1e-12, 0);
    CHECK_CLOSE(m.brier, brier, 1e-12, 0);
    CHECK_CLOSE(m.nll_mean_sample, nll, 1e-12, 0);
    CHECK(m.acc_majority == (double)ok_mv / n, "majority %g vs %g", m.acc_majority,
          (double)ok_mv / n);
    /* apart: bitwise the same, label draws included */
    smile_metrics_chain *ch[K];
    for (int k = 0; k < K; k++) {
        CHECK(smile_metrics_chain_init(&ch[k], &p, k, NULL, lab, msg, sizeof msg) == SMILE_OK,
              "%s", msg);
        for (size_t s = 0; s < Sk[k]; s++)
            smile_metrics_chain_add_logits(ch[k], s, 0, n, lg + ((size_t)k * SMAX + s) * n * C);
    }
    p.fn_samples = 26;
    smile_metrics m2;
    CHECK(apart(&p, NULL, lab, ch, &m2, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(same_metrics(&m, &m2), "classification summaries made apart give other metrics");
    for (int k = 0; k < K; k++) smile_metrics_chain_free(ch[k]);
    smile_metrics_free(&m2);
    smile_metrics_free(&m);
    free(lg);
}

int main(void) {
    test_regression();
    test_classification();
    return harness_done("test_metrics_merge");
}
