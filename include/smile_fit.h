/*
 * smile_fit.h — the end-to-end pipeline behind `smile fit` and `smile eval`.
 *
 * A run trains a deep ensemble (DE) of K members, starts one sampler chain at
 * every member, stores the thinned samples in a run directory and evaluates
 * both the DE and the pooled samples on the test split
 * (docs/experiments.md, section 4). Typical use:
 *
 *     smile_fit_config c = smile_fit_config_default(SMILE_DATA_UCI);
 *     snprintf(c.data, sizeof c.data, "airfoil.data");
 *     snprintf(c.out, sizeof c.out, "run1");
 *     smile_fit_runtime rt = {0};
 *     smile_fit *f;
 *     char msg[512], *metrics = NULL;
 *     if (smile_fit_open(&f, &c, &rt, msg, sizeof msg) == SMILE_OK) {
 *         smile_fit_execute(f, &metrics, msg, sizeof msg); // metrics.json text
 *         smile_fit_free(f);
 *         free(metrics);
 *     }
 *
 * Sections: 1 data tasks; 2 deep-ensemble settings; 3 run configuration
 * (defaults, presets, validation, config.json); 4 running a fit; 5
 * re-evaluating a finished run. Every function returns SMILE_OK or a status
 * code with a message in msg[msg_len] (msg may be NULL); nothing here prints.
 * Further parts of the API (e.g. loading a run's posterior for prediction)
 * belong in sections of their own after section 5.
 */
#ifndef SMILE_FIT_H
#define SMILE_FIT_H

#include "smile_comm.h"
#include "smile_nn.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API libsmile.so exports */

/* ======================================================================== */
/* 1. Data tasks (docs/experiments.md, section 2)                           */
/* ======================================================================== */

typedef enum {
    SMILE_DATA_AUTO = 0,       /* infer from the path (smile_dataset_load)      */
    SMILE_DATA_UCI = 1,        /* numeric text table, target = last column      */
    SMILE_DATA_FMNIST = 2,     /* Fashion-MNIST IDX(.gz) folder                 */
    SMILE_DATA_CIFAR10 = 3,    /* CIFAR-10 binary folder or .tar.gz             */
    SMILE_DATA_IMAGENETTE = 4, /* Imagenette JPEG folder or .tgz                */
    SMILE_DATA_TEXT = 5,       /* UTF-8 character text                          */
    SMILE_DATA_TABLE = 6       /* a user's table (CSV, TSV, ...): transforms
                                  fitted on the training rows only              */
} smile_data_task;

const char *smile_data_task_name(smile_data_task t); /* "uci", "fmnist", ...   */
/* Accepts the names above (and "auto"); SMILE_EINVAL otherwise. */
smile_status smile_data_task_from_name(const char *name, smile_data_task *out);

/* ======================================================================== */
/* 2. Deep-ensemble warm start (docs/method.md, section 9)                  */
/* ======================================================================== */

/* Learning-rate schedules (docs/method.md, section 9.3) over u = optimiser
 * updates done (from 0). */
typedef enum {
    SMILE_LR_CONSTANT = 0,      /* η                                           */
    SMILE_LR_LINEAR = 1,        /* η0 + (η1 − η0)·min(u, T)/T                  */
    SMILE_LR_WARMUP_COSINE = 2  /* linear init → peak over W, cosine to end by D */
} smile_lr_kind;

typedef struct {
    smile_lr_kind kind;
    double lr;              /* constant                                     */
    double lr0, lr1;        /* linear                                       */
    int64_t T;
    double init, peak, end; /* warm-up cosine (D counts from 0, includes W)  */
    int64_t W, D;
} smile_lr_schedule;

/* Settings of the DE: K members trained independently with AdamW on the
 * batch-mean negative log-likelihood, early stopping on the validation loss;
 * the result does not depend on the number of threads. */
typedef struct {
    int members;              /* K                                          */
    size_t batch;             /* DE batch size (clamped to N_train)          */
    int max_epochs, patience;
    double weight_decay, beta1, beta2;
    smile_lr_schedule lr;
    int reference_restore;    /* 1: restore the best parameters only if some
                                 member stopped early, as the reference
                                 implementation does (default 0 = always;
                                 docs/experiments.md, section 8)            */
    smile_stream_kind stream; /* EPOCH (default) or EPOCH_REF (reference)   */
    int threads;              /* members in parallel; 0 = all CPUs          */
    uint64_t seed;
    /* "basic" augmentation (docs/method.md, section 9.6) on every training batch (image models:
     * NHWC inputs of the model's in_h × in_w × in_c), draws from
     * smile_rng(seed, member, SMILE_RNG_DATA); truncate as
     * smile_augment_truncate_for(dataset) */
    int augment, augment_truncate;
    /* the members this call trains: indices first_member .. first_member +
     * members − 1 of the ensemble (results of member k do not depend on
     * which others are trained); comm (may be NULL) joins the ranks that
     * train the other members, for the rule of reference_restore */
    int first_member;
    smile_comm *comm;
} smile_de_params;

/* The SMILE UCI settings (docs/experiments.md, section 6.1): 10 members,
 * AdamW lr 1e-2 constant, wd 5e-3, betas (0.9, 0.999), batch 64, ≤ 200
 * epochs, patience 10, epoch stream, seed 1, all CPUs. */
smile_de_params smile_de_params_default(void);

/* ======================================================================== */
/* 3. Run configuration                                                     */
/* ======================================================================== */
/* data → K DE members → chain k starts at member k (homoscedastic model:
 * log σ set to 0) → warm-up W → sampling S with thinning → evaluation of the
 * DE phase and of the pooled samples (docs/method.md, section 11). Output
 * directory:
 *   config.json          every resolved setting + library version
 *   layout.json          parameter names, offsets, shapes (d = total)
 *   de_members.npy       float32 [K, d] DE parameters (chain starts)
 *   samples/member_<k>.npy  float32 [S/thin, d], streamed as produced
 *   trace_<k>.csv        step, phase, eps, dE, logp, resets, nonfinite, flags
 *   run.json             per-phase wall times, gradient evaluations, per-
 *                        member DE reports and chain counters
 *   metrics.json         {"de": {...}, "ensemble": {...}, "members": [...]}
 *   checkpoint/          per-chain checkpoints while running (removed at the end)
 * Every file is written atomically (src/io). */
#define SMILE_FIT_PATH_MAX 4096
/* data = SMILE_FIT_BUILTIN selects the built-in 1-D regression example with a
 * gap in the inputs (fit_synth.c); its run also writes predictive.csv
 * (x, DE and sampled predictive mean and 95 % interval, original units) and
 * data.csv (x, y, split). */
#define SMILE_FIT_BUILTIN "builtin:gap1d"

/* Every setting of a run that changes its results; all are written to
 * config.json. Start from smile_fit_config_default or a preset, then change
 * fields; smile_fit_config_validate (also run by smile_fit_open) checks them. */
typedef struct {
    smile_data_task task;          /* UCI, FMNIST, CIFAR10, IMAGENETTE, TEXT    */
    smile_model_kind model;        /* FCN (uci), LENET (fmnist), RESNET7 or
                                      RESNET18 (cifar10), VIT (imagenette),
                                      GPT (text)                                */
    int strict_sizes;              /* image data: require the official record
                                      counts (1; tests use small files: 0)      */
    char data[SMILE_FIT_PATH_MAX]; /* input file                                */
    char out[SMILE_FIT_PATH_MAX];  /* output directory                          */
    char de_from[SMILE_FIT_PATH_MAX]; /* "" = train the DE; else the directory of an
                                     earlier run with the same data, seed, members,
                                     model and DE settings whose de_members.npy is
                                     reused (several samplers from one DE)      */
    uint64_t seed;                 /* run seed r: split, inits, batches, noise   */
    int members;                   /* K = DE members = chains                    */
    int64_t warmup, samples;       /* steps per chain                            */
    int thin;
    size_t batch;                  /* sampler mini-batch B                       */
    smile_sampler_params sampler;  /* kind, step_size and every algorithm setting */
    smile_scale_mode scale;        /* likelihood scale (FLOOR as the reference;
                                      docs/method.md, section 2.4)              */
    int reference_batching;        /* 1: the reference's EPOCH_REF streams (DE +
                                      sampler; docs/experiments.md, section 8)  */
    smile_likelihood_kind likelihood; /* UCI: GAUSS_HOMO (SMILE model, default)
                                     or GAUSS_HETERO (MILE model)             */
    size_t n_hidden, hidden[SMILE_MODEL_MAX_HIDDEN]; /* FCN widths (16-16-16)  */
    smile_activation activation;   /* FCN hidden layers (relu)                   */
    smile_sigma_link sigma_link;   /* GAUSS_HETERO: σ from the FCN's output η
                                      (EXP; table task: SOFTPLUS)              */
    double student_df;             /* GAUSS_HETERO: 0 Gaussian noise, ν ∈ (2,
                                      1000] Student-t (smile_model_desc)       */
    double prior_sigma;            /* 1                                          */
    smile_de_params de;            /* members/seed/threads/stream overwritten    */
    /* divergence rule (see smile_fit_diverged): non-finite, or the member's
     * mean train log-likelihood per point below median(H) − max(gap,
     * f·1.4826·MAD(H)), H = upper half of the members' scores */
    double diverge_min_gap;        /* 1 nat per training point (docs/design.md)  */
    double diverge_mad_factor;     /* 5                                          */
    int diverge_max_samples;       /* samples per chain scored on train (20)     */
    int include_diverged;          /* pool diverged members too (default 0)      */
    int trace_every;               /* trace every n-th step (+ every reset) (10) */
    double checkpoint_seconds;     /* per-chain checkpoint interval (30)         */
    /* text task (docs/experiments.md, sections 2.3 and 3): GPT sizes (default
     * 6 blocks, width 384, 6 heads, MLP 4·width, context T = window length
     * 256) and the test windows scored: > 0 = that many random windows drawn
     * once from (seed, SMILE_RNG_DATA), the same for every chain and both
     * phases (128, as the reference implementation does); 0 = every
     * non-overlapping window of the test split (our addition). Sampler
     * mini-batches are `batch` random windows per step, likelihood scale
     * n_b = max(1, ⌊⌊n_train/T⌋/B⌋) (N_OVER_B: n_train/(T·B)); DE epochs are
     * ⌊n_train/(B_DE·T)⌋ batches of random windows, validation loss = mean
     * per-token NLL of one batch of 128 random validation windows
     * (docs/method.md, section 9.1). */
    size_t gpt_layers, gpt_width, gpt_heads, context;
    int gpt_pre_ln;                /* 1: nanoGPT pre-LN block (our addition);
                                      0: the reference block                    */
    size_t text_eval_windows;      /* 128                                        */
    /* a user's table (task TABLE): which rows and columns (docs/experiments.md,
     * section 2.5). Transforms (scaling, one-hot categories, classes) come
     * from the training rows only. */
    char test_data[SMILE_FIT_PATH_MAX];  /* "" or a file of held-out test rows      */
    char valid_data[SMILE_FIT_PATH_MAX]; /* "" or a file of validation rows         */
    int header;                    /* -1 detect, 0 no header line, 1 header line  */
    char target[256];              /* target column, name or 1-based number; ""
                                      = the last column                          */
    char features[1024];           /* input columns (comma-separated), "" = all
                                      others                                     */
    char drop[1024];               /* columns to leave out                        */
    int table_task;                /* 0 auto (classes for a non-numeric target),
                                      1 regression, 2 classification             */
    int missing_drop;              /* 1: rows with a missing value are left out;
                                      0: a missing value is an error             */
    double split_train, split_valid; /* fractions of the rows (0.7, 0.1)        */
    int sample_valid;              /* 1: the sampler conditions on the training
                                      and validation rows (after the DE stopped
                                      early on the validation rows); 0: on the
                                      training rows only (UCI, presets)        */
    int class_row;                 /* table default SMILE_CLASS_ROW_ALL: a table
                                      found to hold classes gets the uci row's
                                      sampler, batch, DE and sample_valid 0
                                      (bit SMILE_CLASS_ROW_SAMPLER) and its K and
                                      W (bit SMILE_CLASS_ROW_RUN); the table row
                                      above is chosen for regression. Cleared
                                      once applied; explicit sampler/DE options
                                      clear both bits, --members/--warmup the
                                      second */
    double sample_budget;          /* table default 7.5e11, else 0 (off): the most
                                      work the sampling phase may take, counted
                                      as K·(W + S)·rows·parameters (rows: those
                                      one gradient reads). Once the table is
                                      read, a larger run has W and S cut by the
                                      same factor (W ≥ 2000, S ≥ 1000); then
                                      0. --warmup or --samples clear it */
} smile_fit_config;

#define SMILE_CLASS_ROW_SAMPLER 1 /* smile_fit_config.class_row bits */
#define SMILE_CLASS_ROW_RUN 2
#define SMILE_CLASS_ROW_ALL 3

/* The defaults of a task (docs/experiments.md, section 5); data and out are
 * empty, everything else is set:
 * UCI: psmile-auto from ε 1e-3, 10 members, W 50,000, S 10,000, thin 10,
 *   B 256, SMILE homoscedastic 16-16-16 model; DE as smile_de_params_default.
 * FMNIST: LeNet, psmile-naive ε 1e-2, 8 members, W 5000, S 10,000, thin 100,
 *   B 512; DE lr 1e-3, wd 0.02, batch 64, ≤ 10,000 epochs, patience 20.
 * CIFAR10: ResNet-7, psmile-naive ε 1e-5, 8 members, W 5000, S 10,000,
 *   thin 100, B 512; DE warm-up cosine 1e-5 → 2e-3 (5000) → 5e-4
 *   (250,000), wd 1e-4, batch 64, ≤ 400 epochs, patience 20, augmentation.
 * IMAGENETTE: ViT, psmile-naive ε 1e-2, 4 members, W 5000, S 10,000,
 *   thin 100, B 128; DE warm-up cosine 1e-6 → 1e-3 (740) → 1e-5 (22,400),
 *   wd 0.1, batch 128, 300 epochs, patience 300, augmentation.
 * TEXT: GPT 6×384, 6 heads, T 256, psmile-naive ε 3e-4, 4 members, W 200,
 *   S 1000, thin 100, B 128 windows; DE AdamW β (0.9, 0.95), wd 0.05, linear
 *   lr 3e-4 → 2.5e-4 over 1890 updates, batch 64 windows, 30 epochs,
 *   patience 30.
 * All: likelihood scale SCALE_FLOOR, prior σ 1, the divergence rule (1 nat,
 * 5·MAD, 20 samples), trace every 10th step, checkpoints every 30 s. */
smile_fit_config smile_fit_config_default(smile_data_task task);
/* The paper's experiment settings (docs/experiments.md, section 6):
 * "smile-uci" (UCI, SMILE study), "mile-uci" (UCI, MILE baseline:
 * heteroscedastic 16-16 model, full-batch MCLMC, 12 chains, ε 1e-3),
 * "fmnist-lenet", "cifar10-resnet7", "cifar10-resnet18", "imagenette-vit",
 * "shakespeare-gpt". Overwrites *c with the preset task's defaults plus the
 * preset (c->data and c->out kept); SMILE_EINVAL naming the known presets
 * for an unknown name. */
smile_status smile_fit_config_preset(const char *name, smile_fit_config *c, char *msg,
                                     size_t msg_len);
/* Preset i: its name and (summary != NULL) a one-line summary naming the
 * experiment and its settings; NULL past the last preset (iterate from 0). */
const char *smile_fit_preset_name(size_t i, const char **summary);

/* Checks every setting; SMILE_EINVAL with a message that names the CLI
 * option ("--members must be in 1..4096 (got 0)"). */
smile_status smile_fit_config_validate(const smile_fit_config *c, char *msg, size_t msg_len);
/* Reads the configuration of the run directory dir (its config.json, written
 * by smile_fit_execute): keys that are missing keep the task's defaults;
 * SMILE_EIO / SMILE_EFORMAT name the file or the bad key. */
smile_status smile_fit_config_load(const char *dir, smile_fit_config *c, char *msg, size_t msg_len);

/* ======================================================================== */
/* 4. Running a fit                                                         */
/* ======================================================================== */

/* Progress report, called from the thread that runs the pipeline. */
typedef struct {
    const char *phase;      /* "deep ensemble", "warm-up+sampling", "evaluation" */
    int64_t done, total;    /* steps (members for the DE) done / planned      */
    double seconds;         /* since the phase started                        */
    double eps;             /* step size of chain 0 (NaN if unknown)          */
} smile_fit_progress;
typedef void (*smile_fit_progress_fn)(void *user, const smile_fit_progress *p);

/* Settings that do not change results (none is written to config.json). */
typedef struct {
    int threads;                /* OpenMP threads (members / chains); 0 = all */
    int resume;                 /* continue the run in cfg->out               */
    volatile const int *stop;   /* set (e.g. by a signal handler) to stop at
                                   the next step boundary after a checkpoint */
    smile_fit_progress_fn progress;
    void *progress_user;
    const char *data;           /* smile_fit_eval: the run's data file at a new
                                   place (NULL: the recorded path); its CRC-32
                                   must match the run's model.json          */
    smile_comm *comm;           /* smile_fit_open/execute: the ranks that share
                                   the members (smile_mpi.h); NULL: this
                                   process alone. Every rank calls with the
                                   same settings; results are the same for
                                   any number of ranks. */
} smile_fit_runtime;

/* An opened run: configuration, data, model and output directory. */
typedef struct smile_fit smile_fit;

/* Validates the configuration, loads and splits the data, builds the model
 * and checks the output directory (new run: it must not hold config.json;
 * resume: it must). Writes nothing. Errors here are bad input
 * (SMILE_EINVAL / EIO / EFORMAT / EUNSUPPORTED) or SMILE_ENOMEM. */
smile_status smile_fit_open(smile_fit **f, const smile_fit_config *c, const smile_fit_runtime *rt,
                            char *msg, size_t msg_len);
/* Runs (or resumes) the pipeline and writes every output file; *metrics (may
 * be NULL) receives the text of metrics.json (free() it).
 * SMILE_EINTERRUPTED when stopped through rt->stop (checkpoints written). */
smile_status smile_fit_execute(smile_fit *f, char **metrics, char *msg, size_t msg_len);
/* Frees f (NULL is fine); files already written stay. */
void smile_fit_free(smile_fit *f);
/* Adjustments smile_fit_open made to the configuration, one per line (e.g. a
 * mini-batch size reduced to the number of training rows); "" if none. */
const char *smile_fit_notes(const smile_fit *f);

/* ======================================================================== */
/* 5. Re-evaluating a finished run                                          */
/* ======================================================================== */

/* Recomputes metrics.json of a finished run directory from its stored DE
 * members and samples (settings from config.json; include_diverged < 0 and
 * min_gap < 0: as configured; min_gap ≥ 0 replaces the divergence rule's
 * floor, e.g. to re-evaluate runs made with another default); *metrics as
 * for smile_fit_execute. */
smile_status smile_fit_eval(const char *dir, const smile_fit_runtime *rt, int include_diverged,
                            double min_gap, char **metrics, char *msg, size_t msg_len);

/* ======================================================================== */
/* 6. Prediction: a run directory as a model                                */
/* ======================================================================== */
/* A finished run directory holds everything prediction needs (model.json:
 * the model, the input and target transforms, the pooled members; the
 * samples): it can be moved or copied. Predictions pool every sample of the
 * pooled members with equal weight. Inputs are "encoded" rows x[n × n_inputs]
 * (numeric inputs scaled as in training, categories one-hot), e.g. from
 * smile_predictor_encode. Thread-parallel over samples and rows; results are
 * identical for any thread count. Memory: the samples plus a chunk of rows
 * times the samples, never rows × samples. */
typedef struct smile_predictor smile_predictor;

typedef struct {
    int classify;          /* 1: class probabilities; 0: regression              */
    size_t n_inputs;       /* columns of encoded rows                           */
    size_t n_features;     /* columns of raw rows (smile_predictor_encode)      */
    size_t n_classes;      /* classification                                    */
    size_t n_samples;      /* pooled posterior samples                           */
    int n_members_pooled;
    double y_mean, y_sd;   /* regression: original units = model units·y_sd + y_mean */
    smile_data_task task;  /* the task the run was fitted on                    */
    size_t height, width, channels; /* image runs: the model's input image     */
    int text;              /* 1: a text run (smile_predictor_generate)          */
    size_t vocab_size, context; /* text runs: characters, context length T     */
} smile_predictor_info;

/* Opens run_dir (threads <= 0: all cores). SMILE_EIO naming the directory
 * when it is not a run directory, SMILE_EFORMAT for damaged files. */
smile_status smile_predictor_open(smile_predictor **p, const char *run_dir, int threads,
                                  char *msg, size_t msg_len);
void smile_predictor_free(smile_predictor *p); /* NULL: no-op */
smile_predictor_info smile_predictor_get_info(const smile_predictor *p);
/* Name of class k (NULL when out of range or the run has no names). */
const char *smile_predictor_class_name(const smile_predictor *p, size_t k);
/* Name of the target column (tables), else "y". */
const char *smile_predictor_target_name(const smile_predictor *p);

/* Raw rows raw[n × n_features] in original units (a categorical column holds
 * the category's index in the run's sorted category list) → encoded rows
 * x[n × n_inputs] through the recorded transforms. */
smile_status smile_predictor_encode(const smile_predictor *p, const double *raw, size_t n,
                                    float *x, char *msg, size_t msg_len);

/* The rows of a table file through the run's transforms (header: -1 detect,
 * 0 none, 1 present; columns matched by name, or by position without a
 * header; extra columns ignored). When the file has the target column,
 * has_target = 1 and y (regression, original units) or labels (classes) are
 * filled. line[i]: the file line of row i. Errors name the file, line and
 * column (missing value, unseen category, missing input column).
 * Image runs read the task's own files instead (header is ignored), each
 * image through the pixel transform recorded at fitting (x = NHWC floats as
 * the training images; line[i] = the image's 1-based position):
 *   fmnist      an IDX image file (*-images-idx3-ubyte[.gz]; labels from the
 *               *-labels-idx1-ubyte[.gz] file beside it when there is one),
 *               or a folder: its t10k-images-idx3-ubyte[.gz] (+ labels);
 *   cifar10     a CIFAR-10 binary batch file (records of a label byte and
 *               3072 pixel bytes; labels always), or a folder: its
 *               test_batch.bin (or cifar-10-batches-bin/test_batch.bin);
 *   imagenette  a JPEG file, a folder of JPEG files (unlabelled), or a
 *               folder of sub-folders named after the run's classes (each
 *               image labelled by its folder, e.g. imagenette2/val); every
 *               image decoded and resized to the run's size as in training;
 *               names[i] = the file, relative to the folder.
 * Runs whose model.json predates the recorded pixel transform, and text
 * runs, give SMILE_EUNSUPPORTED. */
typedef struct {
    size_t n;
    float *x;          /* [n × n_inputs] encoded                                 */
    int has_target;
    double *y;         /* [n] regression targets in original units, or NULL     */
    int32_t *labels;   /* [n] classes, or NULL                                   */
    size_t *line;      /* [n]                                                    */
    char **names;      /* [n] JPEG inputs: each row's file, else NULL            */
} smile_predictor_rows;
smile_status smile_predictor_read_rows(const smile_predictor *p, const char *path, int header,
                                       smile_predictor_rows *rows, char *msg, size_t msg_len);
void smile_predictor_rows_free(smile_predictor_rows *rows);

/* Regression: any output pointer may be NULL. Central intervals are
 * quantiles of the pooled predictive mixture (not mean ± z·sd). */
typedef struct {
    double *mean, *sd;               /* [n] predictive mean and total sd          */
    double *sd_epistemic;            /* [n] spread of the samples' means           */
    double *sd_aleatoric;            /* [n] root mean noise variance                */
    size_t n_levels;
    const double *levels;            /* [n_levels] central levels in (0, 1)         */
    double *lower, *upper;           /* [n × n_levels] interval bounds              */
    const double *y;                 /* [n] observed targets, or NULL               */
    double *log_density;             /* [n] log p(y_i) (needs y)                    */
    int standardised;                /* 1: model units; 0: original units           */
} smile_regression_request;
smile_status smile_predictor_regress(smile_predictor *p, const float *x, size_t n,
                                     const smile_regression_request *q, char *msg,
                                     size_t msg_len);

/* Classification: any output pointer may be NULL. */
typedef struct {
    double *probs;        /* [n × n_classes] pooled class probabilities          */
    int32_t *predicted;   /* [n] most probable class                             */
    double *entropy;      /* [n] predictive entropy (nats)                       */
    double *mutual_info;  /* [n] epistemic part: entropy − mean sample entropy   */
    const int32_t *labels;/* [n] observed classes, or NULL                       */
    double *log_prob;     /* [n] log p(label_i) (needs labels)                   */
} smile_classification_request;
smile_status smile_predictor_classify(smile_predictor *p, const float *x, size_t n,
                                      const smile_classification_request *q, char *msg,
                                      size_t msg_len);

/* Text runs: continues the UTF-8 prompt by n characters drawn one at a time
 * from the posterior predictive: the next-character distribution is the
 * average over all pooled samples of softmax(logits / temperature) of the
 * model on the context (the last T = context characters so far), and each
 * character is drawn from it with the random stream (seed, 0,
 * SMILE_RNG_USER), then appended. temperature 1 is the posterior
 * predictive itself. *text (malloc'ed, NUL-terminated) receives the n
 * generated characters without the prompt. SMILE_EINVAL for an empty prompt,
 * a temperature that is not positive, or a run that is not a text model;
 * SMILE_EFORMAT naming the first prompt character outside the run's
 * vocabulary (or invalid UTF-8). Results do not depend on the thread count.
 * Cost: every pooled sample runs on a full window for each character. */
smile_status smile_predictor_generate(smile_predictor *p, const char *prompt, size_t n,
                                      uint64_t seed, double temperature, char **text, char *msg,
                                      size_t msg_len);

/* Predictions as a table of named columns, one row per input row:
 * regression  mean, sd, sd_epistemic, sd_aleatoric, lower_<L>, upper_<L>
 *             (L = level in percent), [observed, log_density];
 * classification  p_<class>..., predicted, entropy, mutual_info,
 *             [observed, log_density]   (class columns hold class indices).
 * Rows with names (JPEG files) have them in row_names; the CSV and JSON
 * outputs then begin with a "file" column (not part of v, not in NPY).
 * With observed targets the summary fields are set: mean log density,
 * RMSE (regression), accuracy (classification), coverage[l] of each
 * interval. */
typedef struct {
    size_t n_rows, n_cols;
    char **names;         /* [n_cols]                                            */
    double *v;            /* [n_rows × n_cols]                                   */
    int classify, has_target;
    long class_col, observed_col; /* class-valued columns, or -1              */
    double mean_log_density, rmse, accuracy;
    size_t n_levels;
    double *coverage;     /* [n_levels]                                          */
    char **row_names;     /* [n_rows] copies of the rows' names, or NULL         */
} smile_prediction_table;

smile_status smile_prediction_table_make(smile_predictor *p, const smile_predictor_rows *rows,
                                         const double *levels, size_t n_levels, int standardised,
                                         smile_prediction_table *t, char *msg, size_t msg_len);
void smile_prediction_table_free(smile_prediction_table *t);

typedef enum {
    SMILE_PREDICTIONS_CSV = 0,  /* header line, classes by name                    */
    SMILE_PREDICTIONS_JSON = 1, /* an array with one object per row                */
    SMILE_PREDICTIONS_NPY = 2   /* float64 [rows, columns], classes as indices     */
} smile_prediction_format;
/* Writes t to path atomically (NULL: standard output; not for NPY). */
smile_status smile_prediction_table_write(const smile_prediction_table *t,
                                          const smile_predictor *p, const char *path,
                                          smile_prediction_format format, char *msg,
                                          size_t msg_len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* SMILE_FIT_H */
