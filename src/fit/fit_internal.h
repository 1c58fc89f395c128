/* Internal state of the fit pipeline (fit.c, fit_sample.c, fit_eval.c). */
#ifndef SMILE_FIT_INTERNAL_H
#define SMILE_FIT_INTERNAL_H

#include "core/comm.h"
#include "core/core.h"
#include "data/data.h"
#include "data/table.h"
#include "io/io.h"
#include "metrics/metrics.h"
#include "model/model.h"
#include "train/train.h"

#include <cjson/cJSON.h>

struct smile_fit {
    smile_fit_config cfg;
    smile_fit_runtime rt;
    int threads;            /* resolved OpenMP threads (>= 1)              */
    smile_dataset ds;
    int have_ds;
    smile_model *model;
    size_t d;
    size_t log_sigma;       /* offset of log σ (homoscedastic) or SIZE_MAX */
    size_t n_train, n_valid, n_test;
    smile_data_view train, valid, test;
    smile_data_view post;   /* rows the sampler conditions on: train, or train
                               + valid with cfg.sample_valid (n_post rows)   */
    size_t n_post;
    double *y_test;         /* [n_test] standardised targets, double (regression) */
    int32_t *labels_test;   /* [n_test] class labels (classification) or next-token
                               targets (text), or NULL                         */
    /* Evaluation examples: the model is run on n_eval examples of `test`
     * (eval_idx, or NULL = the first n_eval), giving n_test metric points
     * (text: n_eval windows × T positions, window-major; else n_eval = n_test). */
    size_t n_eval;
    uint32_t *eval_idx;
    /* text task (docs/experiments.md, section 2.3): examples are windows (view
     * n = n_split − T − 1 window starts), n_train/n_valid count windows,
     * n_tokens the split lengths; sampler likelihood scale text_scale (n_b). */
    int text;
    size_t T, n_tokens[3];
    double text_scale;
    /* run statistics (run.json) */
    smile_de_member_report *de_rep; /* [K]                                  */
    double de_seconds, sampling_seconds;
    int64_t de_grad_evals;
    smile_chain *chains;    /* [K] after sampling (counters, final state)   */
    int chains_ready;
    /* task TABLE: the columns, categories, classes and scaling */
    smile_table_schema schema;
    int have_schema;
    char notes[1024];       /* adjustments made on open (batch sizes), one per line */
    /* ranks (fit_ranks.c): this process owns members k0 .. k0 + kn − 1; rank 0
     * writes the run's shared files (config, layout, DE, run.json, metrics) */
    smile_comm *comm;
    int rank, k0, kn;
};

double fit_now(void); /* monotonic seconds */
/* fit_ranks.c: the member range of this rank (f->k0, f->kn) from rt.comm. */
void fit_ranks_init(smile_fit *f);
/* The status every rank continues with after a phase (smile_comm_agree). */
smile_status fit_agree(smile_fit *f, smile_status st, char *msg, size_t msg_len);
/* Rank 0 receives the DE members theta[K][d] and reports f->de_rep of all
 * members; f->de_grad_evals is their sum there. */
smile_status fit_gather_de(smile_fit *f, float *theta, char *msg, size_t msg_len);
/* Every rank receives rank 0's text *json (may be NULL elsewhere before). */
smile_status fit_share_text(smile_fit *f, char **json, char *msg, size_t msg_len);
/* fit_table.c: the table task's data set (f->schema), notes for the user,
 * batch sizes reduced to the training rows. */
smile_status fit_load_table(smile_fit *f, char *msg, size_t msg_len);
void fit_note(smile_fit *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* One note per line of text (NULL or empty: none). */
void fit_note_lines(smile_fit *f, const char *text);
void fit_clamp_batches(smile_fit *f, size_t n_train, const char *what);
/* A classification table with cfg.class_row: the uci row's sampler, batch and
 * DE, sampling on the training rows, and its K and W (config.c). */
void fit_apply_class_row(smile_fit_config *c);
/* cfg.sample_budget: W and S cut to the budget for gradients of `rows` rows
 * through `params` parameters; clears the budget; 1 when it cut (config.c). */
int fit_apply_budget(smile_fit_config *c, size_t rows, size_t params);
/* fit_sample.c: the rows one sampler gradient reads (all posterior rows for
 * full-batch MCLMC on the FCN, else the batch). */
size_t fit_gradient_rows(const smile_fit *f);
/* fit_model.c: model.json (transforms, pooled members from metrics) and,
 * for tables, predictions_test.csv. */
smile_status fit_write_model(smile_fit *f, const cJSON *metrics, char *msg, size_t msg_len);
/* fit_model.c: the data file of a finished run (c->data, or the moved copy
 * `moved` when given), checked against the CRC-32 in c->out/model.json. */
smile_status fit_locate_data(smile_fit_config *c, const char *moved, char *msg, size_t msg_len);
/* config.c: the checks of the table task's settings. */
smile_status fit_table_config_validate(const smile_fit_config *c, char *msg, size_t msg_len);

/* Path "out/name" (static buffer per call site is not thread-safe: malloc'd). */
char *fit_path(const smile_fit *f, const char *name);
int fit_file_exists(const char *path);

/* fit_sample.c: all chains from the DE members theta0[K][d]; fills f->chains
 * and f->sampling_seconds. */
smile_status fit_sample(smile_fit *f, const float *theta0, char *msg, size_t msg_len);
/* Removes the checkpoint files of a finished run. */
void fit_remove_checkpoints(smile_fit *f);

/* fit_eval.c: metrics.json object of the run in f->cfg.out (DE members in
 * theta_de[K][d], samples from the files); run statistics from run (run.json
 * object, may be NULL). */
smile_status fit_evaluate(smile_fit *f, const float *theta_de, const cJSON *run, int include_diverged,
                          cJSON **metrics, char *msg, size_t msg_len);

/* The evaluation of one phase (DE members, or sampled chains) over K members. */
typedef struct {
    double *ll;        /* [K] scores: mean train log-likelihood per point, NaN = none */
    int *nonfinite;    /* [K] non-finite parameters or samples                      */
    int *diverged;     /* [K] the divergence rule's verdict (includes nonfinite)    */
    int *pooled;       /* [Kp] members pooled into the metrics                      */
    int Kp;
    int fallback;      /* every member diverged, so all were pooled                 */
    double threshold;  /* the rule's score threshold (NaN: no finite score)         */
    size_t *rows;      /* [K] stored samples per chain (sampling phase), else NULL  */
    smile_metrics m;   /* the pooled metrics (valid when have_m)                    */
    int have_m;
} fit_phase;

/* report.c: the metrics.json object from both phases' results; t0 = fit_now()
 * when the evaluation began (for "seconds_eval"). */
/* A new object {"member": k} appended to the array a (NULL: out of memory). */
cJSON *fit_json_member(cJSON *a, int k);
/* run.json phases (fit_runjson.c) */
cJSON *fit_de_report_json(const smile_fit *f);
void fit_de_report_from_json(smile_fit *f, const cJSON *o);
cJSON *fit_sampling_report_json(const smile_fit *f);
smile_status fit_report(const smile_fit *f, const cJSON *run, int include_diverged,
                        const fit_phase *de, const fit_phase *sm, double t0, cJSON **out);

/* fit_synth.c: the built-in 1-D data set with a gap, and predictive.csv +
 * data.csv of a built-in run (pooled member lists as in metrics.json). */
smile_status fit_synthetic_dataset(smile_dataset *ds, uint64_t seed, char *msg, size_t msg_len);
smile_status fit_write_predictive(smile_fit *f, const float *theta_de, const int *pooled_de,
                                  int Kp_de, const int *pooled, int Kp, char *msg,
                                  size_t msg_len);

/* config.c: the DE optimiser settings of a task row or preset. */
void fit_set_de(smile_de_params *de, double weight_decay, size_t batch, int max_epochs,
                int patience);

/* config_json.c: config.json ↔ struct (the JSON also carries the library version). */
smile_status smile_fit_config_to_json(const smile_fit_config *c, struct cJSON **out);
smile_status smile_fit_config_from_json(const struct cJSON *j, smile_fit_config *c, char *msg,
                                        size_t msg_len);

/* The divergence rule on per-member scores ll[K] (mean train log-likelihood
 * per point; non-finite = diverged): out[k] = 1 if diverged. Threshold:
 * median(H) − max(min_gap, mad_factor · 1.4826 · MAD(H)), H = the upper half
 * (⌈n/2⌉ largest) of the n finite scores. */
void smile_fit_diverged(const double *ll, int K, double min_gap, double mad_factor, int *out,
                        double *threshold);

#endif
