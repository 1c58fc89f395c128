/* Evaluation metrics: the interface of src/metrics to the modules above it. */
#ifndef SMILE_METRICS_H
#define SMILE_METRICS_H

#include "core/core.h"

/* ======================================================================== */
/* Evaluation metrics (docs/method.md, section 11; "section" below: of it)  */
/* ======================================================================== */
/* Posterior samples θ_{k,s} (chain k < K, sample s < S_k) are pooled with
 * equal weight (section 11.1). Predictions are streamed into an accumulator
 * one (chain, sample, range of test points) at a time, so K×S×n arrays are
 * only held where a metric needs them (regression coverage, function-space
 * diagnostics; see smile_metrics_params). All sums are in double. Regression
 * metrics are in the standardised target space (section 11.1). */

typedef enum {
    SMILE_METRICS_REGRESSION = 0,     /* Gaussian likelihood, section 11.1           */
    SMILE_METRICS_CLASSIFICATION = 1, /* softmax over C classes, sections 11.6-11.7 */
    SMILE_METRICS_TEXT = 2            /* per-token softmax (GPT key set), section 11.8 */
} smile_metrics_task;

typedef enum {
    SMILE_METRICS_PHASE_SAMPLING = 0, /* JSON "sampling"                      */
    SMILE_METRICS_PHASE_ENSEMBLE = 1  /* JSON "ensemble_initialization" (S=1)  */
} smile_metrics_phase;

typedef enum {
    SMILE_COVERAGE_DRAWS = 0, /* section 11.5 predictive draws (reference rule)  */
    SMILE_COVERAGE_EXACT = 1  /* section 11.5 (our addition): exact mixture quantiles (O(KS)
                                 CDF evaluations per bisection/Newton step)  */
} smile_coverage_method;

#define SMILE_METRICS_MAX_LEVELS 8
#define SMILE_METRICS_ECE_BINS 10
/* smile_rng purposes of the metric draws (keyed with params.seed). */
#define SMILE_RNG_METRICS_CLASS_DRAW 0x4D455431u /* label draws, section 11.7 */
#define SMILE_RNG_METRICS_REG_DRAW 0x4D455432u   /* predictive draws, section 11.5 */
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
    int de_spread;       /* 1: section 11.3 DE member-spread predictive (homoscedastic,
                            ensemble phase, S = 1; log σ inputs ignored)       */
    int coverage;        /* section 11.5 (default 1; stores μ, and per-point log σ when
                            heteroscedastic, as float: 4 K S n bytes each)     */
    smile_coverage_method coverage_method;
    size_t n_levels;     /* nominal levels A (default {0.8, 0.9, 0.95})        */
    double levels[SMILE_METRICS_MAX_LEVELS];
    double y_scale;      /* s_y > 0: also report LPPD, RMSE in original units  */
    /* predictive draws per posterior sample (sections 11.7, 11.5); 0 = auto:
       1 when sampling; ensemble: 1000 (regression), 100 (classification) —
       set n_samples/n_thinning of the matching sampling run when known      */
    size_t draws_per_sample;
    int calib_argmax;    /* section 11.7 deterministic option: argmax majority vote */
    /* chain-resolved curves (section 11.2) */
    int running;         /* running LPPD over samples (default 1; S n doubles) */
    int n_orderings;     /* R random chain orderings (default 10; 0 = off)     */
    /* section 11.9 (our addition) function-space R̂ / bulk-ESS (default 1; stores f as float,
       4 K S n bytes); needs S >= 4 */
    int fn_diag;
    size_t fn_diag_max_points; /* 0 = all; else an evenly strided subset     */
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
    double *running_lppd;     /* [n_running] (m = 1..max S_k) or NULL        */
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

/* Streaming accumulator (opaque). Not thread-safe: serialise the add calls. */
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
/* Computes all metrics of the task (parallel over test points with OpenMP;
 * results do not depend on the thread count). The accumulator stays valid. */
smile_status smile_metrics_acc_finish(smile_metrics_acc *acc, smile_metrics *out, char *msg,
                                      size_t msg_len);
void smile_metrics_acc_free(smile_metrics_acc *acc);

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
