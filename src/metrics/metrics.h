/* Evaluation metrics: the interface of src/metrics to the modules above it. */
#ifndef SMILE_METRICS_H
#define SMILE_METRICS_H

#include "core/core.h"

/* ======================================================================== */
/* Evaluation metrics (docs/method.md, section 11; "section" below: of it)  */
/* ======================================================================== */
/* Posterior samples θ_{k,s} (chain k < K, sample s < S_k) are pooled with
 * equal weight (section 11.1). Every metric is computed from per-chain
 * summaries of a fixed size (independent of S_k; section 11.11): a chain
 * (smile_metrics_chain) receives its own samples' predictions and reduces them
 * to a summary of smile_metrics_summary_bytes bytes, and the accumulator
 * merges the K summaries in chain order. The interval widths of regression
 * coverage also need a few rounds of mixture-CDF evaluations at points the
 * accumulator chooses (smile_metrics_acc_width_*). Over MPI ranks each rank
 * summarises its own chains and sends only the summaries and the CDF values,
 * so the bytes sent do not grow with the number of samples; in one process
 * the accumulator's add calls run exactly the same path. All sums are in
 * double. Regression metrics are in the standardised target space. */

typedef enum {
    SMILE_METRICS_REGRESSION = 0,     /* Gaussian likelihood, section 11.1           */
    SMILE_METRICS_CLASSIFICATION = 1, /* softmax over C classes, sections 11.6-11.7 */
    SMILE_METRICS_TEXT = 2            /* per-token softmax (GPT key set), section 11.8 */
} smile_metrics_task;

typedef enum {
    SMILE_METRICS_PHASE_SAMPLING = 0, /* JSON "sampling"                      */
    SMILE_METRICS_PHASE_ENSEMBLE = 1  /* JSON "ensemble_initialization" (S=1)  */
} smile_metrics_phase;

#define SMILE_METRICS_MAX_LEVELS 8
/* running LPPD (section 11.2): at most this many sample counts q */
#define SMILE_METRICS_RUNNING_POINTS 32
/* at most this many Newton/bisection rounds of the interval widths (section 11.5),
 * and at least the second number: every round carries every interval end (closed
 * ones as NaN), so with the minimum above the rounds the ends need (5-8 measured)
 * a fit's messages have one size whatever its number of samples */
#define SMILE_METRICS_WIDTH_ROUNDS 64
#define SMILE_METRICS_WIDTH_MIN_ROUNDS 10
#define SMILE_METRICS_ECE_BINS 10
/* smile_rng purposes of the metric draws (keyed with params.seed). */
#define SMILE_RNG_METRICS_CLASS_DRAW 0x4D455431u /* label draws, section 11.7 */
#define SMILE_RNG_METRICS_ORDER 0x4D455433u      /* chain orderings, section 11.2 */

typedef struct {
    smile_metrics_task task;
    smile_metrics_phase phase;
    size_t n;            /* test points (token positions)                      */
    size_t n_classes;    /* C (classification, text)                           */
    int n_chains;        /* K (ensemble phase: members)                        */
    size_t max_samples;  /* S: samples per chain, upper bound (ensemble: 1)    */
    /* regression */
    int heteroscedastic; /* 1: per-point log σ (MILE model); 0: per-sample τ   */
    double student_df;   /* heteroscedastic: 0 Gaussian noise (default), ν ∈ (2,
                            1000] Student-t noise of scale σ (smile_model_desc) */
    int de_spread;       /* 1: section 11.3 DE member-spread predictive (homoscedastic,
                            ensemble phase, S = 1; log σ inputs ignored)       */
    int coverage;        /* section 11.5 exact mixture coverage and widths (default 1) */
    size_t n_levels;     /* nominal levels A (default {0.8, 0.9, 0.95})        */
    double levels[SMILE_METRICS_MAX_LEVELS];
    double y_scale;      /* s_y > 0: also report LPPD, RMSE in original units  */
    /* classification label draws per posterior sample (section 11.7); 0 =
       auto: 1 when sampling, 100 in the ensemble phase                      */
    size_t draws_per_sample;
    int calib_argmax;    /* section 11.7 deterministic option: argmax majority vote */
    /* chain-resolved curves (section 11.2) */
    int running;         /* running LPPD at up to 32 sample counts (default 1)  */
    int n_orderings;     /* R random chain orderings (default 10; 0 = off)     */
    /* section 11.9 (our addition) function-space split-R̂ / ESS (default 1);
       uses the first fn_samples samples of every chain (0: the smallest S_k;
       set it when chains are summarised apart); needs fn_samples >= 4 */
    int fn_diag;
    size_t fn_diag_max_points; /* 0 = all; else an evenly strided subset     */
    size_t fn_samples;
    uint64_t seed;       /* draws and orderings (independent of thread count) */
} smile_metrics_params;

smile_metrics_params smile_metrics_params_default(void);

/* Results of one phase; arrays owned (smile_metrics_free). Fields that do not
 * apply to the task are NaN / NULL. */
typedef struct {
    smile_metrics_task task;
    smile_metrics_phase phase;
    size_t n;                 /* n_test_evaluated                            */
    int n_chains;
    size_t *chain_samples;    /* [K] S_k                                     */
    size_t n_samples_total;   /* Σ S_k                                       */
    /* section 11.2, all tasks */
    double lppd;
    double *chainwise_lppd;   /* [K]                                         */
    double *running_lppd;     /* [n_running] at q = running_samples[j] or NULL */
    size_t *running_samples;  /* [n_running] sample counts q per chain        */
    size_t n_running;
    double *seq_chain_lppd;   /* [K] chains added in index order             */
    double *seq_chain_lppd_mean, *seq_chain_lppd_std; /* [K] over orderings  */
    int n_orderings;
    /* sections 11.4, 11.5 regression */
    double rmse;
    double *chainwise_rmse;   /* [K]                                         */
    size_t n_levels;
    double levels[SMILE_METRICS_MAX_LEVELS], coverage[SMILE_METRICS_MAX_LEVELS],
        width[SMILE_METRICS_MAX_LEVELS];
    double calib_error_rms, calib_error_reference, calib_gap;
    int width_rounds;         /* rounds of the interval-width search (11.11) */
    double y_scale, lppd_orig, rmse_orig;
    /* sections 11.6, 11.7 classification (and text) */
    double acc_majority, acc_bma, nll_bma, nll_mean_sample, brier;
    double ece_top_label;
    size_t rel_count[SMILE_METRICS_ECE_BINS];
    double rel_acc[SMILE_METRICS_ECE_BINS], rel_conf[SMILE_METRICS_ECE_BINS];
    double ece_true_class, ce_reference;
    double f1_macro, auroc, aurc;
    /* section 11.8 text */
    double perplexity, perplexity_mean_sample;
    double *chain_accuracy, *chain_perplexity; /* [K] (classification, text) */
    /* section 11.9 (our addition): over the evaluated test points */
    size_t fn_points;         /* points with a finite R̂                      */
    double fn_rhat_median, fn_rhat_p90, fn_rhat_frac_above_1_01, fn_ess_bulk_median;
} smile_metrics;

void smile_metrics_free(smile_metrics *m);

/* Accumulator (opaque): chains' predictions through add calls, or chain
 * summaries through merge calls. Not thread-safe: serialise the calls. */
typedef struct smile_metrics_acc smile_metrics_acc;

/* y[n]: regression targets (standardised); labels[n]: class / token indices
 * in [0, C) (classification, text). The other pointer may be NULL. Copies
 * both. */
smile_status smile_metrics_acc_init(smile_metrics_acc **acc, const smile_metrics_params *p,
                                    const double *y, const int32_t *labels, char *msg,
                                    size_t msg_len);
/* Predictions of sample `sample` (< max_samples) of chain `chain` for test
 * points i0 .. i0+count−1: mu[count]; heteroscedastic: log_sigma_pt[count]
 * (η, σ = clip(e^η, 1e-6, 1e6)); homoscedastic: log_sigma (τ of the sample;
 * ignored with de_spread). Every (chain, sample) must eventually cover all n
 * points exactly once; samples of a chain are 0, 1, ..., S_k − 1. */
smile_status smile_metrics_acc_add_regression(smile_metrics_acc *acc, int chain, size_t sample,
                                              size_t i0, size_t count, const float *mu,
                                              const float *log_sigma_pt, double log_sigma);
/* logits[count][C] of test points i0 .. i0+count−1 (row-major). */
smile_status smile_metrics_acc_add_logits(smile_metrics_acc *acc, int chain, size_t sample,
                                          size_t i0, size_t count, const float *logits);
/* Message of the last failed add call. */
const char *smile_metrics_acc_error(const smile_metrics_acc *acc);
/* Computes all metrics of the task. After add calls it first summarises
 * every chain, merges the summaries and runs the width rounds itself (the
 * chains' summaries run in parallel over test points with OpenMP; results do
 * not depend on the thread count); after merge calls it needs the width
 * rounds done. Add calls and merge calls do not mix. The accumulator stays
 * valid (no more add calls). */
smile_status smile_metrics_acc_finish(smile_metrics_acc *acc, smile_metrics *out, char *msg,
                                      size_t msg_len);
void smile_metrics_acc_free(smile_metrics_acc *acc);

/* One chain's summary (section 11.11), made where the chain's samples are.
 * p: the run's parameters (max_samples = the largest S_k of all chains, so
 * that every chain uses the same running-LPPD sample counts); chain: its
 * index k in the accumulator (label draws are keyed by it); y / labels as for
 * smile_metrics_acc_init (copied). Samples are added as to the accumulator. */
typedef struct smile_metrics_chain smile_metrics_chain;
smile_status smile_metrics_chain_init(smile_metrics_chain **c, const smile_metrics_params *p,
                                      int chain, const double *y, const int32_t *labels,
                                      char *msg, size_t msg_len);
smile_status smile_metrics_chain_add_regression(smile_metrics_chain *c, size_t sample, size_t i0,
                                                size_t count, const float *mu,
                                                const float *log_sigma_pt, double log_sigma);
smile_status smile_metrics_chain_add_logits(smile_metrics_chain *c, size_t sample, size_t i0,
                                            size_t count, const float *logits);
const char *smile_metrics_chain_error(const smile_metrics_chain *c);
/* Bytes of every chain summary of p (0 on size overflow). */
size_t smile_metrics_summary_bytes(const smile_metrics_params *p);
/* Writes the summary (smile_metrics_summary_bytes(p) bytes) of the chain's
 * complete samples 0 .. S_k − 1 into out; fn_samples as in the parameters
 * (0: the chain's own S_k). */
smile_status smile_metrics_chain_summary(smile_metrics_chain *c, size_t fn_samples, void *out,
                                         char *msg, size_t msg_len);
/* Interval-width round (regression with coverage): at the m points x[m] of
 * the interval ends idx[m] (from smile_metrics_acc_width_points) writes
 * out[m][2]: Σ_s Φ((x − μ_s)/σ_s) and Σ_s φ((x − μ_s)/σ_s)/σ_s over the chain's
 * samples. Needs the summary first. */
void smile_metrics_chain_cdf(const smile_metrics_chain *c, size_t m, const uint32_t *idx,
                             const double *x, double *out);
/* n E: the number of interval ends, the most points of a width round (0: no
 * widths). */
size_t smile_metrics_width_points(const smile_metrics_params *p);
void smile_metrics_chain_free(smile_metrics_chain *c);

/* Merges the summary of chain `chain` (chains in order 0, 1, ..., K − 1) into
 * an accumulator that received no add calls. */
smile_status smile_metrics_acc_merge(smile_metrics_acc *acc, int chain, const void *summary,
                                     char *msg, size_t msg_len);
/* After all merges (regression with coverage), rounds of: every interval end,
 * idx[m], and the point x[m] to evaluate there, NaN where the end has converged
 * (m = n E returned by smile_metrics_acc_width_points; 0: done, after at least
 * SMILE_METRICS_WIDTH_MIN_ROUNDS and at most SMILE_METRICS_WIDTH_ROUNDS rounds),
 * every chain's smile_metrics_chain_cdf at them added in chain order
 * (width_add), then width_update. Each end takes safeguarded Newton steps on
 * the mixture CDF until it has converged.
 * smile_metrics_acc_finish needs the rounds done. */
size_t smile_metrics_acc_width_points(smile_metrics_acc *acc, uint32_t *idx, double *x);
smile_status smile_metrics_acc_width_add(smile_metrics_acc *acc, int chain, const double *cdf,
                                         char *msg, size_t msg_len);
smile_status smile_metrics_acc_width_update(smile_metrics_acc *acc, char *msg, size_t msg_len);

/* Whole-array conveniences over the accumulator (S = p->max_samples exactly).
 * mu, log_sigma_pt: [K][S][n]; log_sigma: [K][S] (homoscedastic, may be NULL
 * only with de_spread); logits: [K][S][n][C]. */
smile_status smile_metrics_regression(const smile_metrics_params *p, const double *y,
                                      const float *mu, const float *log_sigma_pt,
                                      const double *log_sigma, smile_metrics *out, char *msg,
                                      size_t msg_len);
/* section 11.3 DE phase of the homoscedastic model: mu[K][n] member means
 * (sets phase = ensemble, de_spread = 1, max_samples = 1). */
smile_status smile_metrics_regression_de(const smile_metrics_params *p, const double *y,
                                         const float *mu, smile_metrics *out, char *msg,
                                         size_t msg_len);
smile_status smile_metrics_classification(const smile_metrics_params *p, const int32_t *labels,
                                          const float *logits, smile_metrics *out, char *msg,
                                          size_t msg_len);

/* Writes the keys of section 11 for m->task into the cJSON object obj
 * (snake_case; non-finite numbers as null; level keys coverage_80, width_95,
 * ...; function-space values in the sub-object "function_space_proj"). */
struct cJSON;
smile_status smile_metrics_to_json(const smile_metrics *m, struct cJSON *obj);

/* Building blocks (also used by the accumulator). */
/* LSE(a) = a* + log Σ exp(a_j − a*) (−inf for m == 0). */
double smile_logsumexp(const double *a, size_t m);
/* section 11.5 empirical quantile of sorted v[m], linear interpolation, q in [0,1]. */
double smile_quantile_sorted(const double *v, size_t m, double q);
/* section 11.7 textbook ECE of BMA probabilities pbar[n][C] with n_bins equal-width
 * bins ((m−1)/M, m/M]; optional reliability table [n_bins]. */
smile_status smile_ece_top_label(const double *pbar, const int32_t *labels, size_t n, size_t C,
                                 size_t n_bins, double *ece, size_t *bin_count, double *bin_acc,
                                 double *bin_conf);
/* section 11.7 reference variant: bins by q_i = pbar[i][y_i] (q = 0 in no bin),
 * accuracy of the given labels pred[n]; *ece = Σ (|B_m|/Σ|B|) |gap_m| (0 if no
 * point is binned), *ce_ref = ece / n_bins (κ = 0). */
smile_status smile_ece_true_class(const double *pbar, const int32_t *labels, const int32_t *pred,
                                  size_t n, size_t C, size_t n_bins, double *ece, double *ce_ref);
/* section 11.6 scores. f1: macro over classes present in labels (C == 2: class 1).
 * auroc: one-vs-rest Mann–Whitney macro mean (NaN if no class has both
 * positives and negatives). aurc: risk–coverage area of argmax pbar. */
double smile_f1_macro(const int32_t *pred, const int32_t *labels, size_t n, size_t C);
double smile_auroc_ovr(const double *pbar, const int32_t *labels, size_t n, size_t C);
double smile_aurc(const double *pbar, const int32_t *labels, size_t n, size_t C);


#endif
