/*
 * smile_fit.h — the end-to-end pipeline behind `smile fit` and `smile eval`:
 * configuration and presets, deep-ensemble settings, fitting a run directory
 * and evaluating it.
 */
#ifndef SMILE_FIT_H
#define SMILE_FIT_H

#include "smile_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Data tasks                                                               */
/* ======================================================================== */

typedef enum {
    SMILE_DATA_AUTO = 0,       /* infer from the path (smile_dataset_load)      */
    SMILE_DATA_UCI = 1,        /* numeric text table, target = last column §2    */
    SMILE_DATA_FMNIST = 2,     /* Fashion-MNIST IDX(.gz) folder §3.1             */
    SMILE_DATA_CIFAR10 = 3,    /* CIFAR-10 binary folder or .tar.gz §4.1         */
    SMILE_DATA_IMAGENETTE = 4, /* Imagenette JPEG folder or .tgz §5.1            */
    SMILE_DATA_TEXT = 5        /* UTF-8 character text §6.1                      */
    ,SMILE_DATA_TABLE = 6      /* a user's table (CSV etc.), transforms from training rows */
} smile_data_task;

const char *smile_data_task_name(smile_data_task t); /* "uci", "fmnist", ...   */
/* Accepts the names above (and "auto"); SMILE_EINVAL otherwise. */
smile_status smile_data_task_from_name(const char *name, smile_data_task *out);

/* ---- Deep-ensemble warm start (experiments.md §0.5, samplers.md §9.5) --- */

/* Learning-rate schedules of E§0.5 over u = optimiser updates done (from 0). */
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






typedef struct {
    int members;              /* K                                          */
    size_t batch;             /* DE batch size (clamped to N_train)          */
    int max_epochs, patience;
    double weight_decay, beta1, beta2;
    smile_lr_schedule lr;
    int reference_restore;    /* [ref] quirk 8n: restore best only if some
                                 member stopped early (default 0 = always)  */
    smile_stream_kind stream; /* EPOCH [proj] or EPOCH_REF                  */
    int threads;              /* members in parallel; 0 = all CPUs          */
    uint64_t seed;
    /* "basic" augmentation of E§4.3 on every training batch (image models:
     * NHWC inputs of the model's in_h × in_w × in_c), draws from
     * smile_rng(seed, member, SMILE_RNG_DATA); truncate as
     * smile_augment_truncate_for(dataset) */
    int augment, augment_truncate;
} smile_de_params;

/* SMILE UCI settings of E§2.5: 10 members, AdamW lr 1e-2 constant, wd 5e-3,
 * betas (0.9, 0.999), batch 64, ≤ 200 epochs, patience 10. */
smile_de_params smile_de_params_default(void);




/* ---- The end-to-end pipeline behind `smile fit` (experiments.md §0.2) ----
 * data → K DE members → chain k starts at member k (homoscedastic model:
 * log σ set to 0) → warm-up W → sampling S with thinning → evaluation of the
 * DE phase and of the pooled samples (metrics.md). Output directory:
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
    smile_scale_mode scale;        /* likelihood scale (E§0.3: FLOOR [ref])      */
    int reference_batching;        /* [ref] 8i: EPOCH_REF streams (DE + sampler) */
    smile_likelihood_kind likelihood; /* UCI: GAUSS_HOMO (SMILE model, default)
                                     or GAUSS_HETERO (MILE model)             */
    size_t n_hidden, hidden[SMILE_MODEL_MAX_HIDDEN]; /* FCN widths (16-16-16)  */
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
    /* text task (E§6): GPT sizes (spec 6 blocks, width 384, 6 heads, MLP 4·width,
     * context T = window length 256) and the test windows scored: > 0 = that
     * many random windows drawn once from (seed, SMILE_RNG_DATA), the same for
     * every chain and both phases (E§6.3 [ref]: 128); 0 = every
     * non-overlapping window of the test split (E§6.3 [proj]). Sampler
     * mini-batches are `batch` random windows per step (E§6.1), likelihood
     * scale n_b = max(1, ⌊⌊n_train/T⌋/B⌋) (N_OVER_B: n_train/(T·B)); DE epochs
     * are ⌊n_train/(B_DE·T)⌋ batches of random windows, validation loss = mean
     * per-token NLL of one batch of 128 random validation windows (E§0.5). */
    size_t gpt_layers, gpt_width, gpt_heads, context;
    int gpt_pre_ln;                /* [proj] nanoGPT pre-LN block (0 = [ref])    */
    size_t text_eval_windows;      /* 128                                        */
} smile_fit_config;

/* Defaults = the spec's settings for the task, default sampler pSMILE-naive
 * (TEXT, E§6.3: GPT 6×384, 6 heads, T 256, 4 members, W 200, S 1000, thin
 * 100, B 128 windows, ε 3e-4; DE AdamW β (0.9, 0.95), wd 0.05, linear lr
 * 3e-4 → 2.5e-4 over 1890 updates, batch 64 windows, 30 epochs, patience 30): 
 * UCI (E§2.5, §2.6): 10 members, W 50,000, S 10,000, thin 10, B 256, ε 1e-3,
 *   SMILE homoscedastic 16-16-16 model; DE as smile_de_params_default.
 * FMNIST (E§3.3): LeNet, 8 members, W 5000, S 10,000, thin 100, B 512, ε 1e-2;
 *   DE lr 1e-3, wd 0.02, batch 64, ≤ 10,000 epochs, patience 20.
 * CIFAR10 (E§4.7, pSMILE-naive row): ResNet-7, 8 members, W 5000, S 10,000,
 *   thin 100, B 512, ε 1e-5; DE warm-up cosine 1e-5 → 2e-3 (5000) → 5e-4
 *   (250,000), wd 1e-4, batch 64, ≤ 400 epochs, patience 20, augmentation.
 * IMAGENETTE (E§5.4, pSMILE row's run lengths): ViT, 4 members, W 5000,
 *   S 10,000, thin 100, B 128, ε 1e-2; DE warm-up cosine 1e-6 → 1e-3 (740)
 *   → 1e-5 (22,400), wd 0.1, batch 128, 300 epochs, patience 300, augmentation.
 * All: SCALE_FLOOR (E§0.3). */
smile_fit_config smile_fit_config_default(smile_data_task task);
/* Named experiment settings of the paper (experiments.md): "smile-uci"
 * (§2.5-2.6 SMILE study, = the uci defaults), "mile-uci" (§2.5 row 2, §2.6
 * MILE paper: heteroscedastic 16-16 model, MCLMC full batch, 12 chains, ε 1e-3),
 * "fmnist-lenet" (§3.3), "cifar10-resnet7" (§4.7 pSMILE-naive row),
 * "cifar10-resnet18" (§4.7 pSMILE row), "imagenette-vit" (§5.4 pSMILE row),
 * "shakespeare-gpt" (§6.3 pSMILE row). Overwrites *c with the preset task's
 * defaults plus the preset (data/out kept); SMILE_EINVAL naming an unknown
 * name. */
smile_status smile_fit_config_preset(const char *name, smile_fit_config *c, char *msg,
                                     size_t msg_len);
/* Preset i (< count): its name and a one-line summary; NULL past the end. */
const char *smile_fit_preset_name(size_t i, const char **summary);

/* Checks every setting; the message names the option ("--members ..."). */
smile_status smile_fit_config_validate(const smile_fit_config *c, char *msg, size_t msg_len);
/* Reads the configuration of the run directory dir (its config.json). */
smile_status smile_fit_config_load(const char *dir, smile_fit_config *c, char *msg, size_t msg_len);

typedef struct {
    const char *phase;      /* "deep ensemble", "warm-up+sampling", "evaluation" */
    int64_t done, total;    /* steps (members for the DE) done / planned      */
    double seconds;         /* since the phase started                        */
    double eps;             /* step size of chain 0 (NaN if unknown)          */
} smile_fit_progress;
typedef void (*smile_fit_progress_fn)(void *user, const smile_fit_progress *p);

/* Settings that do not change results. */
typedef struct {
    int threads;                /* OpenMP threads (members / chains); 0 = all */
    int resume;                 /* continue the run in cfg->out               */
    volatile const int *stop;   /* set (e.g. by a signal handler) to stop at
                                   the next step boundary after a checkpoint */
    smile_fit_progress_fn progress;
    void *progress_user;
} smile_fit_runtime;

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
void smile_fit_free(smile_fit *f);
/* Recomputes metrics.json of a finished run directory from its stored DE
 * members and samples (settings from config.json; include_diverged < 0 and
 * min_gap < 0: as configured; min_gap ≥ 0 replaces the divergence rule's
 * floor, e.g. to re-evaluate runs made with another default); *metrics as
 * for smile_fit_execute. */
smile_status smile_fit_eval(const char *dir, const smile_fit_runtime *rt, int include_diverged,
                            double min_gap, char **metrics, char *msg, size_t msg_len);


#ifdef __cplusplus
}
#endif
#endif /* SMILE_FIT_H */
