/* Evaluation of a fit run (docs/experiments.md, section 4, step 3;
 * docs/method.md, section 11): the DE phase (K members, S = 1; homoscedastic
 * model: the member-spread predictive of docs/method.md, section 11.3) and the
 * sampling phase (all stored samples of the pooled members, equal weights), on
 * the whole test split in the standardised target space. Text (docs/method.md,
 * section 11.8): the evaluation windows of smile_fit (by default the 128 random
 * test windows drawn once, as the reference implementation does, or every
 * non-overlapping window), every position scored as a classification over the
 * vocabulary: token LPPD, perplexity = exp(−LPPD), majority-vote accuracy,
 * per-chain accuracy/perplexity. metrics.json is assembled in report.c.
 *
 * Divergence rule (our addition, docs/method.md, section 11.10). A member (DE
 * member, or sampled chain) is "diverged" when
 *   (a) any of its parameters / stored samples is non-finite, or
 *   (b) its score ℓ_k — the mean training log-likelihood per point,
 *       (1/N_train) Σ_i log p(y_i | x_i, θ), its median over up to
 *       diverge_max_samples (20) evenly spaced stored samples (DE: the member
 *       itself, σ = 1 for the homoscedastic model as in its training) — lies
 *       below  median_H − max(min_gap, mad_factor · 1.4826 · MAD_H),
 *       where H is the upper half (⌈n/2⌉ largest) of the n finite scores
 *       (defaults min_gap = 1 nat per training point, mad_factor = 5; healthy
 *       members spread up to 0.6 nats below median_H on UCI energy, docs/design.md).
 * Taking median and MAD over the upper half keeps the rule working when up
 * to half of the members diverged (a median over all members fails then, and
 * bad members inflate the MAD); the absolute floor keeps members that are all
 * alike (tiny MAD) from being flagged for differences that do not matter:
 * 1 nat per point is a likelihood ratio of e^{N}.
 * Diverged members are left out of the pooled metrics of their phase unless
 * include_diverged is set (or every member diverged, then all are pooled and
 * the report says so). */
#include "fit/fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *v, int n) {
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void smile_fit_diverged(const double *ll, int K, double min_gap, double mad_factor, int *out,
                        double *threshold) {
    double *v = malloc((size_t)(K > 0 ? K : 1) * sizeof(double));
    int n = 0;
    for (int k = 0; k < K; k++)
        if (isfinite(ll[k]) && v) v[n++] = ll[k];
    double thr = NAN;
    if (n > 0) {
        /* reference set H: the upper half of the finite scores, so that the
         * rule still works when up to half of the members diverged */
        qsort(v, (size_t)n, sizeof(double), cmp_double);
        int h = (n + 1) / 2;
        double *H = v + (n - h);
        double med = median_sorted(H, h);
        for (int i = 0; i < h; i++) H[i] = fabs(H[i] - med);
        qsort(H, (size_t)h, sizeof(double), cmp_double);
        double mad = median_sorted(H, h);
        double gap = mad_factor * 1.4826 * mad;
        thr = med - (gap > min_gap ? gap : min_gap);
    }
    for (int k = 0; k < K; k++) out[k] = !isfinite(ll[k]) || (n > 0 && ll[k] < thr);
    if (threshold) *threshold = thr;
    free(v);
}

#define SCORE_MAX_ROWS 4096
#define SCORE_TEXT_WINDOWS 16

typedef struct {
    smile_fit *f;
    smile_model_workspace **ws_test, **ws_train; /* [threads] */
    int nt;
    int classif;               /* scored as classes: categorical, or text     */
    size_t out_size;
    const uint32_t *score_idx; /* text: strided training windows, else NULL */
    size_t n_score;
    uint32_t score_buf[SCORE_TEXT_WINDOWS];
    float *mu, *eta;           /* [n_test] scratch of acc_add                 */
} evalctx;

static int tid(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static int finite_vec(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* Mean train log-likelihood per point over the first n_score training rows
 * (text: per token over n_score evenly strided training windows; NaN if not
 * finite). */
static double train_ll(evalctx *E, const float *theta) {
    smile_fit *f = E->f;
    size_t ns = E->n_score;
    double ll = 0;
    if (smile_model_loglik_grad(f->model, E->ws_train[tid()], theta, &f->train, E->score_idx, ns,
                                1.0, &ll, NULL) != SMILE_OK)
        return NAN;
    ll /= (double)ns * (double)(f->text ? f->T : 1);
    return isfinite(ll) ? ll : NAN;
}

/* Median of v[n] (n ≥ 1; sorts v). A member's score is the median over its
 * scored samples, not the mean: one sample taken while the chain briefly
 * mispredicted a few training points (e.g. just before the auto variants'
 * typical-set guard rolled it back) can lower a mean by more than a nat per
 * point, while the pooled predictive it enters barely changes (docs/design.md). */
#define SCORE_MAX_SAMPLES 256
static double median_of(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return median_sorted(v, (int)n);
}

/* raw test outputs out[n_eval × out_size] (μ | (μ, η) pairs | logits; text:
 * logits [n_eval × T × V] of the evaluation windows) */
static int predict(evalctx *E, const float *theta, float *out) {
    smile_fit *f = E->f;
    return smile_model_forward(f->model, E->ws_test[tid()], theta, &f->test, f->eval_idx,
                               f->n_eval, out) != SMILE_OK;
}

/* pooled member list; returns the count, *all_flag = 1 if every member
 * diverged and all were pooled anyway */
static int pool(const int *div, int K, int include, int *pooled, int *fallback) {
    int n = 0;
    for (int k = 0; k < K; k++)
        if (include || !div[k]) pooled[n++] = k;
    *fallback = 0;
    if (n == 0) {
        for (int k = 0; k < K; k++) pooled[n++] = k;
        *fallback = 1;
    }
    return n;
}

static smile_metrics_params base_params(const smile_fit *f, int Kp) {
    smile_metrics_params p = smile_metrics_params_default();
    const int classif = smile_model_likelihood(f->model) == SMILE_LIK_CATEGORICAL;
    p.task = f->text  ? SMILE_METRICS_TEXT
             : classif ? SMILE_METRICS_CLASSIFICATION
                       : SMILE_METRICS_REGRESSION;
    p.n = f->n_test;
    p.n_classes = f->text ? smile_model_get_desc(f->model)->vocab
                  : classif ? smile_model_output_size(f->model)
                            : 0;
    p.n_chains = Kp;
    p.heteroscedastic = smile_model_likelihood(f->model) == SMILE_LIK_GAUSS_HETERO;
    p.student_df = p.heteroscedastic ? f->cfg.student_df : 0;
    p.y_scale = classif ? 0 : f->ds.y_std;
    p.seed = f->cfg.seed;
    return p;
}

/* Adds sample s with raw outputs out[n × os] to chain c, or else as chain i
 * to acc. */
static smile_status acc_add(smile_metrics_acc *acc, smile_metrics_chain *c, const evalctx *E,
                            int i, size_t s, const float *out, double tau) {
    const size_t n = E->f->n_test, os = E->out_size;
    const float *mu = out, *eta = NULL;
    /* text: logits [n_eval][T][V] = [n_test][V], one point per position */
    if (E->classif)
        return c ? smile_metrics_chain_add_logits(c, s, 0, n, out)
                 : smile_metrics_acc_add_logits(acc, i, s, 0, n, out);
    if (os == 2) {
        for (size_t t = 0; t < n; t++) {
            E->mu[t] = out[2 * t];
            E->eta[t] = out[2 * t + 1];
        }
        mu = E->mu;
        eta = E->eta;
        tau = 0.0;
    }
    return c ? smile_metrics_chain_add_regression(c, s, 0, n, mu, eta, tau)
             : smile_metrics_acc_add_regression(acc, i, s, 0, n, mu, eta, tau);
}

/* Divergence flags, threshold and pooled members of a phase from its scores. */
static void classify_members(fit_phase *ph, int K, const smile_fit_config *cfg, int include) {
    smile_fit_diverged(ph->ll, K, cfg->diverge_min_gap, cfg->diverge_mad_factor, ph->diverged,
                       &ph->threshold);
    for (int k = 0; k < K; k++) ph->diverged[k] |= ph->nonfinite[k];
    ph->Kp = pool(ph->diverged, K, include, ph->pooled, &ph->fallback);
}

static smile_status acc_start(const evalctx *E, const smile_metrics_params *p,
                              smile_metrics_acc **acc, char *msg, size_t msg_len) {
    const smile_fit *f = E->f;
    return smile_metrics_acc_init(acc, p, E->classif ? NULL : f->y_test,
                                  E->classif ? f->labels_test : NULL, msg, msg_len);
}

/* Adds r samples outs[r][n × os] to chain c, or else as chain i to acc;
 * taus[r]: each sample's log σ (regression with a global σ), or NULL. */
static smile_status acc_add_chain(smile_metrics_acc *acc, smile_metrics_chain *c,
                                  const evalctx *E, int i, size_t r, const float *outs,
                                  const float *taus, char *msg, size_t msg_len) {
    const smile_fit *f = E->f;
    const size_t no = f->n_eval * E->out_size;
    smile_status st = SMILE_OK;
    for (size_t s = 0; st == SMILE_OK && s < r; s++) {
        double tau = taus ? taus[s] : 0.0;
        st = acc_add(acc, c, E, i, s, outs + s * no, tau);
        if (st != SMILE_OK)
            smile_set_msg(msg, msg_len, "%s",
                          c ? smile_metrics_chain_error(c) : smile_metrics_acc_error(acc));
    }
    return st;
}

/* DE-phase metrics of the pooled members from their test outputs out_de[K][n × os]. */
static smile_status de_metrics(const evalctx *E, fit_phase *ph, const float *out_de, char *msg,
                               size_t msg_len) {
    const smile_fit *f = E->f;
    const size_t n = f->n_test, no = f->n_eval * E->out_size;
    smile_metrics_params p = base_params(f, ph->Kp);
    p.phase = SMILE_METRICS_PHASE_ENSEMBLE;
    p.max_samples = 1;
    smile_status st = SMILE_OK;
    if (!E->classif && E->out_size == 1) {
        /* member-spread predictive (docs/method.md, section 11.3): μ of the
         * pooled members [Kp][n] */
        float *mu_p = malloc((size_t)ph->Kp * n * sizeof(float));
        SMILE_CHECK(!mu_p, SMILE_ENOMEM, msg, msg_len, "evaluation: out of memory");
        for (int i = 0; i < ph->Kp; i++)
            memcpy(mu_p + (size_t)i * n, out_de + (size_t)ph->pooled[i] * no, n * sizeof(float));
        st = smile_metrics_regression_de(&p, f->y_test, mu_p, &ph->m, msg, msg_len);
        free(mu_p);
    } else {
        smile_metrics_acc *acc = NULL;
        st = acc_start(E, &p, &acc, msg, msg_len);
        for (int i = 0; st == SMILE_OK && i < ph->Kp; i++)
            st = acc_add_chain(acc, NULL, E, i, 1, out_de + (size_t)ph->pooled[i] * no, NULL, msg,
                               msg_len);
        if (st == SMILE_OK) st = smile_metrics_acc_finish(acc, &ph->m, msg, msg_len);
        smile_metrics_acc_free(acc);
    }
    ph->have_m = st == SMILE_OK;
    return st;
}

/* The scores, finiteness flags and (sampling phase) row counts of every
 * member, from the ranks that own them: on rank 0 (all == 0) or everywhere. */
static smile_status gather_scores(smile_fit *f, fit_phase *ph, int all, char *msg,
                                  size_t msg_len) {
    const int K = f->cfg.members;
    SMILE_TRY(smile_comm_gather_members(f->comm, ph->ll, sizeof *ph->ll, K, all, msg, msg_len));
    SMILE_TRY(smile_comm_gather_members(f->comm, ph->nonfinite, sizeof *ph->nonfinite, K, all,
                                        msg, msg_len));
    if (ph->rows)
        SMILE_TRY(smile_comm_gather_members(f->comm, ph->rows, sizeof *ph->rows, K, all, msg,
                                            msg_len));
    return SMILE_OK;
}

/* DE phase: scores, divergence, pooled metrics of the members theta_de[K][d]. */
static smile_status eval_de(evalctx *E, const float *theta_de, int include, fit_phase *ph,
                            char *msg, size_t msg_len) {
    smile_fit *f = E->f;
    const int K = f->cfg.members;
    const size_t d = f->d, no = f->n_eval * E->out_size;
    float *out_de = malloc((size_t)K * no * sizeof(float)); /* [K][n × os] */
    SMILE_CHECK(!out_de, SMILE_ENOMEM, msg, msg_len, "evaluation: out of memory");
    int bad = 0;
    /* this rank's members; rank 0 gathers scores and outputs in member order */
#pragma omp parallel for schedule(dynamic, 1) num_threads(E->nt)
    for (int k = f->k0; k < f->k0 + f->kn; k++) {
        const float *th = theta_de + (size_t)k * d;
        ph->nonfinite[k] = !finite_vec(th, d);
        ph->ll[k] = ph->nonfinite[k] ? NAN : train_ll(E, th);
        if (predict(E, th, out_de + (size_t)k * no))
#pragma omp atomic write
            bad = 1;
    }
    smile_status st = SMILE_OK;
    if (bad) {
        st = SMILE_ENUMERIC;
        smile_set_msg(msg, msg_len, "evaluation: model forward pass failed");
    }
    st = fit_agree(f, st, msg, msg_len);
    if (st == SMILE_OK) st = gather_scores(f, ph, 0, msg, msg_len);
    if (st == SMILE_OK)
        st = smile_comm_gather_members(f->comm, out_de, no * sizeof(float), K, 0, msg, msg_len);
    if (st == SMILE_OK && f->rank == 0) {
        classify_members(ph, K, &f->cfg, include);
        st = de_metrics(E, ph, out_de, msg, msg_len);
    }
    free(out_de);
    return st;
}

/* Reads samples/member_<k>.npy (r rows of d columns, r ≥ 1). */
static smile_status read_samples(const smile_fit *f, int k, float **smp, size_t *r, char *msg,
                                 size_t msg_len) {
    char name[64];
    snprintf(name, sizeof name, "samples/member_%d.npy", k);
    char *p = fit_path(f, name);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
    size_t c = 0;
    *smp = NULL;
    *r = 0;
    smile_status st = smile_npy_read(p, smp, r, &c, msg, msg_len);
    if (st == SMILE_OK && c != f->d) {
        smile_set_msg(msg, msg_len, "%s: %zu columns, the model has %zu parameters", p, c, f->d);
        st = SMILE_EFORMAT;
    } else if (st == SMILE_OK && *r == 0) {
        smile_set_msg(msg, msg_len, "%s: no samples", p);
        st = SMILE_EFORMAT;
    }
    if (st != SMILE_OK) {
        free(*smp);
        *smp = NULL;
    }
    free(p);
    return st;
}

/* Score of chain k from its r stored samples smp[r][d]: the median train
 * log-likelihood over up to diverge_max_samples evenly spaced samples. */
static void score_chain(evalctx *E, fit_phase *ph, int k, const float *smp, size_t r) {
    const size_t d = E->f->d;
    ph->rows[k] = r;
    ph->nonfinite[k] = !finite_vec(smp, r * d);
    size_t J = (size_t)E->f->cfg.diverge_max_samples < r ? (size_t)E->f->cfg.diverge_max_samples : r;
    if (J > SCORE_MAX_SAMPLES) J = SCORE_MAX_SAMPLES;
    double sc[SCORE_MAX_SAMPLES];
    for (size_t j = 0; j < J && !ph->nonfinite[k]; j++) {
        /* evenly spaced, the last sample always included */
        size_t s = (j + 1) * r / J - 1;
        sc[j] = train_ll(E, smp + s * d);
        if (!isfinite(sc[j])) sc[j] = -INFINITY; /* a broken sample ranks last */
    }
    ph->ll[k] = ph->nonfinite[k] ? NAN : median_of(sc, J);
    if (!isfinite(ph->ll[k])) ph->ll[k] = NAN;
}

/* Sampling phase, pass 1: scores and finiteness of every chain, divergence,
 * pooled chains. */
static smile_status score_chains(evalctx *E, int include, fit_phase *ph, char *msg,
                                 size_t msg_len) {
    smile_fit *f = E->f;
    const int K = f->cfg.members;
    int bad = 0;
    char bad_msg[512] = "";
#pragma omp parallel for schedule(dynamic, 1) num_threads(E->nt)
    for (int k = f->k0; k < f->k0 + f->kn; k++) {
        char m2[512] = "";
        float *smp = NULL;
        size_t r = 0;
        if (read_samples(f, k, &smp, &r, m2, sizeof m2) != SMILE_OK) {
#pragma omp critical(smile_eval_err)
            if (!bad) {
                bad = 1;
                memcpy(bad_msg, m2, sizeof bad_msg);
            }
        } else {
            score_chain(E, ph, k, smp, r);
        }
        free(smp);
    }
    if (bad) smile_set_msg(msg, msg_len, "%s", bad_msg);
    SMILE_TRY(fit_agree(f, bad ? SMILE_EFORMAT : SMILE_OK, msg, msg_len));
    /* every rank knows every score, so all agree on the pooled chains */
    SMILE_TRY(gather_scores(f, ph, 1, msg, msg_len));
    classify_members(ph, K, &f->cfg, include);
    return SMILE_OK;
}

/* Test outputs pred[r][n × os] of chain k's r stored samples and, with a
 * global σ (taus != NULL), each sample's log σ taus[r]. */
static smile_status chain_outputs(evalctx *E, int k, float *pred, float *taus, size_t *r,
                                  char *msg, size_t msg_len) {
    smile_fit *f = E->f;
    const size_t d = f->d, no = f->n_eval * E->out_size;
    float *smp = NULL;
    SMILE_TRY(read_samples(f, k, &smp, r, msg, msg_len));
    int bad = 0;
#pragma omp parallel for schedule(static) num_threads(E->nt)
    for (size_t s = 0; s < *r; s++) {
        if (predict(E, smp + s * d, pred + s * no))
#pragma omp atomic write
            bad = 1;
    }
    for (size_t s = 0; taus && s < *r; s++) taus[s] = smp[s * d + f->log_sigma];
    free(smp);
    SMILE_CHECK(bad, SMILE_ENUMERIC, msg, msg_len, "evaluation: model forward pass failed");
    return SMILE_OK;
}

static int member_owner(int K, int R, int k) {
    for (int r = 0; r < R; r++) {
        int first, count;
        smile_comm_members(K, R, r, &first, &count);
        if (k < first + count) return r;
    }
    return R - 1;
}

/* Chain k's summary (docs/method.md, section 11.11) into sum; its chain object
 * *c is kept for the width rounds when keep is set. pred, taus: scratch. */
static smile_status summarise_chain(evalctx *E, const smile_metrics_params *p, int i, int k,
                                    int keep, float *pred, float *taus, void *sum,
                                    smile_metrics_chain **c, char *msg, size_t msg_len) {
    smile_fit *f = E->f;
    /* regression with a global σ: each sample's own log σ */
    const int own_tau = !E->classif && E->out_size == 1 && f->log_sigma != SIZE_MAX;
    size_t r = 0;
    SMILE_TRY(chain_outputs(E, k, pred, own_tau ? taus : NULL, &r, msg, msg_len));
    SMILE_TRY(smile_metrics_chain_init(c, p, i, E->classif ? NULL : f->y_test,
                                       E->classif ? f->labels_test : NULL, msg, msg_len));
    smile_status st = acc_add_chain(NULL, *c, E, i, r, pred, own_tau ? taus : NULL, msg, msg_len);
    if (st == SMILE_OK) st = smile_metrics_chain_summary(*c, p->fn_samples, sum, msg, msg_len);
    if (st != SMILE_OK || !keep) {
        smile_metrics_chain_free(*c);
        *c = NULL;
    }
    return st;
}

/* One message of `len` bytes about pooled chain i from its owner to rank 0:
 * a status word (−1: the owner failed), then the bytes. On rank 0 (root)
 * *got = 1 when buf holds them. Rank 0 receives every message even after a
 * failure, so no rank waits forever; the ranks agree afterwards. */
static smile_status to_root(smile_fit *f, int owner, int ok, void *buf, size_t len, int *got,
                            char *msg, size_t msg_len) {
    int64_t w = ok ? 1 : -1;
    *got = 0;
    if (owner == f->rank && f->rank != 0) {
        SMILE_TRY(smile_comm_send(f->comm, 0, &w, sizeof w, msg, msg_len));
        if (ok) SMILE_TRY(smile_comm_send(f->comm, 0, buf, len, msg, msg_len));
    } else if (f->rank == 0 && owner != 0) {
        SMILE_TRY(smile_comm_recv(f->comm, owner, &w, sizeof w, msg, msg_len));
        if (w > 0) SMILE_TRY(smile_comm_recv(f->comm, owner, buf, len, msg, msg_len));
        *got = w > 0;
    } else if (f->rank == 0) {
        *got = ok;
    }
    return SMILE_OK;
}

/* Sampling phase, pass 2 (docs/method.md, section 11.11): every rank reduces
 * its own pooled chains to their summaries (a fixed number of values per test
 * point, whatever the number of samples) and sends them to rank 0, which
 * merges them in member order; regression then runs the rounds of the
 * interval-width search, in which rank 0 broadcasts the interval ends still
 * open with a candidate point each and every owner returns its chains'
 * mixture-CDF sums there. One process takes exactly
 * the same steps, so the metrics are bitwise those of any number of ranks. */
static smile_status pool_samples(evalctx *E, fit_phase *ph, char *msg, size_t msg_len) {
    smile_fit *f = E->f;
    const size_t no = f->n_eval * E->out_size;
    const int root = f->rank == 0, R = smile_comm_size(f->comm), Kp = ph->Kp;
    size_t S_max = 0, S_min = SIZE_MAX;
    for (int i = 0; i < Kp; i++) {
        size_t r = ph->rows[ph->pooled[i]];
        S_max = r > S_max ? r : S_max;
        S_min = r < S_min ? r : S_min;
    }
    smile_metrics_params p = base_params(f, Kp);
    p.phase = SMILE_METRICS_PHASE_SAMPLING;
    p.max_samples = S_max;
    p.fn_samples = S_min;
    const size_t sb = smile_metrics_summary_bytes(&p), nE = smile_metrics_width_points(&p);
    smile_metrics_acc *acc = NULL;
    smile_status st = root ? acc_start(E, &p, &acc, msg, msg_len) : SMILE_OK;
    smile_metrics_chain **ch = calloc((size_t)Kp, sizeof *ch); /* this rank's chains */
    float *pred = smile_alloc_array(S_max, no * sizeof(float)); /* [S][n × os] of one chain */
    float *taus = malloc((S_max ? S_max : 1) * sizeof(float));
    void *sum = malloc(sb ? sb : 1);
    double *x = smile_alloc_array(nE, sizeof(double)), *cdf = smile_alloc_array(nE, 2 * sizeof(double));
    uint32_t *idx = smile_alloc_array(nE, sizeof(uint32_t));
    if (st == SMILE_OK && (!ch || !pred || !taus || !sum || !x || !cdf || !idx || !sb)) {
        st = SMILE_ENOMEM;
        smile_set_msg(msg, msg_len, "evaluation: out of memory");
    }
    smile_status cs = SMILE_OK; /* the communicator's status: broken → stop talking */
    int remote_failed = 0;      /* rank 0: an owner failed (its message comes with the agreement) */
    for (int i = 0; cs == SMILE_OK && i < Kp; i++) {
        const int k = ph->pooled[i], owner = member_owner(f->cfg.members, R, k);
        int got = 0;
        if (owner == f->rank && st == SMILE_OK)
            st = summarise_chain(E, &p, i, k, nE > 0, pred, taus, sum, &ch[i], msg, msg_len);
        if (owner != f->rank && !root) continue;
        cs = to_root(f, owner, st == SMILE_OK, sum, sb, &got, msg, msg_len);
        remote_failed |= root && owner != 0 && !got;
        if (root && got && st == SMILE_OK && !remote_failed)
            st = smile_metrics_acc_merge(acc, i, sum, msg, msg_len);
    }
    if (cs != SMILE_OK) st = cs;
    st = fit_agree(f, st, msg, msg_len); /* the width rounds only when every chain is in */
    /* every rank takes part in every round; a local failure on rank 0 (st) does
     * not stop the messages, only a broken communicator (cs) does */
    const int go = st == SMILE_OK && nE > 0; /* the same on every rank */
    smile_status ls = SMILE_OK;
    while (go && cs == SMILE_OK) {
        /* rank 0 names the interval ends still open and the points there */
        uint64_t m = root && ls == SMILE_OK ? smile_metrics_acc_width_points(acc, idx, x) : 0;
        cs = smile_comm_bcast(f->comm, &m, sizeof m, 0, msg, msg_len);
        if (cs != SMILE_OK || m == 0) break;
        cs = smile_comm_bcast(f->comm, idx, m * sizeof *idx, 0, msg, msg_len);
        if (cs == SMILE_OK) cs = smile_comm_bcast(f->comm, x, m * sizeof *x, 0, msg, msg_len);
        for (int i = 0; cs == SMILE_OK && i < Kp; i++) {
            const int owner = member_owner(f->cfg.members, R, ph->pooled[i]);
            int got = 0;
            if (owner == f->rank) smile_metrics_chain_cdf(ch[i], m, idx, x, cdf);
            if (owner != f->rank && !root) continue;
            cs = to_root(f, owner, 1, cdf, 2 * m * sizeof(double), &got, msg, msg_len);
            if (root && cs == SMILE_OK && ls == SMILE_OK)
                ls = smile_metrics_acc_width_add(acc, i, cdf, msg, msg_len);
        }
        if (root && cs == SMILE_OK && ls == SMILE_OK)
            ls = smile_metrics_acc_width_update(acc, msg, msg_len);
    }
    if (go) st = cs != SMILE_OK ? cs : ls;
    if (st == SMILE_OK && root) {
        st = smile_metrics_acc_finish(acc, &ph->m, msg, msg_len);
        ph->have_m = st == SMILE_OK;
    }
    for (int i = 0; ch && i < Kp; i++) smile_metrics_chain_free(ch[i]);
    smile_metrics_acc_free(acc);
    free(ch); free(pred); free(taus); free(sum); free(x); free(cdf); free(idx);
    return fit_agree(f, st, msg, msg_len);
}

/* Workspaces of every thread and the training points that scores use. */
static smile_status eval_open(evalctx *E, smile_fit *f, char *msg, size_t msg_len) {
    memset(E, 0, sizeof *E);
    E->f = f;
    E->nt = f->threads;
    E->out_size = smile_model_output_size(f->model);
    /* text (docs/method.md, section 11.8) is scored like a classifier over the vocabulary */
    E->classif = smile_model_likelihood(f->model) == SMILE_LIK_CATEGORICAL || f->text;
    E->ws_test = calloc((size_t)E->nt, sizeof *E->ws_test);
    E->ws_train = calloc((size_t)E->nt, sizeof *E->ws_train);
    E->mu = malloc(f->n_test * sizeof(float));
    E->eta = malloc(f->n_test * sizeof(float));
    SMILE_CHECK(!E->ws_test || !E->ws_train || !E->mu || !E->eta, SMILE_ENOMEM, msg, msg_len,
                "evaluation: out of memory");
    const size_t n_score = f->text ? (f->n_train < SCORE_TEXT_WINDOWS ? f->n_train
                                                                      : SCORE_TEXT_WINDOWS)
                          : f->n_train < SCORE_MAX_ROWS ? f->n_train
                                                        : SCORE_MAX_ROWS;
    E->n_score = n_score;
    if (f->text) {
        for (size_t i = 0; i < n_score; i++)
            E->score_buf[i] = (uint32_t)(i * (f->n_train / n_score));
        E->score_idx = E->score_buf;
    }
    /* evaluation batch: the FCN evaluates each split in one chunk (small
     * activations; one call per parameter vector), image models in chunks of
     * the sampler's batch */
    const int fcn = smile_model_get_desc(f->model)->kind == SMILE_MODEL_FCN;
    const size_t ne = f->n_eval, B = f->cfg.batch;
    for (int t = 0; t < E->nt; t++) {
        SMILE_TRY(smile_model_workspace_init(&E->ws_test[t], f->model, fcn || ne < B ? ne : B, msg,
                                             msg_len));
        SMILE_TRY(smile_model_workspace_init(&E->ws_train[t], f->model,
                                             fcn || n_score < B ? n_score : B, msg, msg_len));
    }
    return SMILE_OK;
}

static void eval_close(evalctx *E) {
    for (int t = 0; t < E->nt; t++) {
        if (E->ws_test) smile_model_workspace_free(E->ws_test[t]);
        if (E->ws_train) smile_model_workspace_free(E->ws_train[t]);
    }
    free(E->ws_test);
    free(E->ws_train);
    free(E->mu);
    free(E->eta);
}

static smile_status phase_open(fit_phase *ph, int K, int with_rows) {
    memset(ph, 0, sizeof *ph);
    ph->threshold = NAN;
    ph->ll = calloc((size_t)K, sizeof(double));
    ph->nonfinite = calloc((size_t)K, sizeof(int));
    ph->diverged = calloc((size_t)K, sizeof(int));
    ph->pooled = calloc((size_t)K, sizeof(int));
    ph->rows = with_rows ? calloc((size_t)K, sizeof(size_t)) : NULL;
    return ph->ll && ph->nonfinite && ph->diverged && ph->pooled && (ph->rows || !with_rows)
               ? SMILE_OK
               : SMILE_ENOMEM;
}

static void phase_close(fit_phase *ph) {
    if (ph->have_m) smile_metrics_free(&ph->m);
    free(ph->ll);
    free(ph->nonfinite);
    free(ph->diverged);
    free(ph->pooled);
    free(ph->rows);
}

smile_status fit_evaluate(smile_fit *f, const float *theta_de, const cJSON *run,
                          int include_diverged, cJSON **out, char *msg, size_t msg_len) {
    const int K = f->cfg.members;
    double t0 = fit_now();
    *out = NULL;
    evalctx E;
    fit_phase de, sm;
    smile_status st = eval_open(&E, f, msg, msg_len);
    smile_status st2 = phase_open(&de, K, 0), st3 = phase_open(&sm, K, 1);
    if (st == SMILE_OK && (st2 != SMILE_OK || st3 != SMILE_OK)) {
        st = SMILE_ENOMEM;
        smile_set_msg(msg, msg_len, "evaluation: out of memory");
    }
    /* over ranks: each scores its own members; the metrics are rank 0's */
    st = fit_agree(f, st, msg, msg_len);
    if (st == SMILE_OK) st = eval_de(&E, theta_de, include_diverged, &de, msg, msg_len);
    if (st == SMILE_OK) st = score_chains(&E, include_diverged, &sm, msg, msg_len);
    if (st == SMILE_OK) st = pool_samples(&E, &sm, msg, msg_len);
    const int root = f->rank == 0;
    /* the built-in example: predictive bands for the plot */
    if (st == SMILE_OK && root && !strcmp(f->cfg.data, SMILE_FIT_BUILTIN))
        st = fit_write_predictive(f, theta_de, de.pooled, de.Kp, sm.pooled, sm.Kp, msg, msg_len);
    if (st == SMILE_OK && root) st = fit_report(f, run, include_diverged, &de, &sm, t0, out);
    phase_close(&de);
    phase_close(&sm);
    eval_close(&E);
    return st;
}
