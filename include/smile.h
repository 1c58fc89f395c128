/*
 * smile.h — the sampler API of libsmile: status codes, random streams, targets,
 *           mini-batch streams, samplers, chains, diagnostics, test targets.
 *           Models and posteriors: smile_nn.h; the fit pipeline: smile_fit.h.
 *
 * Scalable Bayesian deep learning with stochastic-gradient microcanonical
 * Langevin samplers (SMILE: Sommer, Diao, Robnik, Seljak, Rügamer, ICML 2026).
 *
 * Conventions (see docs/design.md):
 *  - Every fallible function returns smile_status (0 = OK, negative = error)
 *    and, where it takes a `char *msg, size_t msg_len` pair or an object with a
 *    last-error buffer, a readable message. The library never exits/aborts.
 *  - Positions, velocities and gradients are flat `float` vectors of length d.
 *    Scalars that accumulate over d coordinates (log densities, energies, dot
 *    products, norms, tuner statistics, step sizes) are `double`.
 *  - Randomness comes only from explicit smile_rng streams, one per (seed,
 *    chain, purpose), so results never depend on the number of threads.
 *  - Log densities, never potentials: g = ∇ log p points uphill.
 *
 * Minimal example (compiled as tests/test_header_example.c):
 *
 *     static int gauss(void *user, const float *x, const smile_batch *b,
 *                      double *logp, float *grad) {
 *         size_t d = *(size_t *)user; double s = 0;
 *         for (size_t i = 0; i < d; i++) { s += (double)x[i] * x[i]; grad[i] = -x[i]; }
 *         *logp = -0.5 * s; return 0;
 *     }
 *     size_t d = 10;
 *     smile_target tgt = { d, gauss, &d, 0 };
 *     smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_MCLMC);
 *     smile_sampler_params_mclmc_preset(&p, SMILE_MCLMC_TUNING_BLACKJAX);
 *     smile_chain c;
 *     smile_chain_init(&c, &p, d, 42, 0, NULL, msg, sizeof msg);
 *     smile_chain_begin_warmup(&c, &tgt, 2000, msg, sizeof msg);
 *     ... smile_chain_step(&c, &tgt, &batch, &info) ...
 *     smile_chain_free(&c);
 */
#ifndef SMILE_H
#define SMILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API libsmile.so exports */
#define SMILE_VERSION_MAJOR 0
#define SMILE_VERSION_MINOR 1
#define SMILE_VERSION_PATCH 0
#define SMILE_VERSION_STRING "0.1.0"
const char *smile_version(void);

/* ======================================================================== */
/* Status codes                                                             */
/* ======================================================================== */

typedef enum {
    SMILE_OK = 0,
    SMILE_EINVAL = -1,       /* invalid argument or option                  */
    SMILE_ENOMEM = -2,       /* allocation failed                           */
    SMILE_EIO = -3,          /* file could not be opened/read/written       */
    SMILE_EFORMAT = -4,      /* malformed input file                        */
    SMILE_EUNSUPPORTED = -5, /* valid request, not supported                */
    SMILE_ENUMERIC = -6,     /* numerical failure outside a sampler step    */
    SMILE_EINTERRUPTED = -7  /* stopped by a signal at a step boundary      */
} smile_status;

const char *smile_status_str(int status);

/* ======================================================================== */
/* Random numbers: Philox-4x32-10, counter based (docs/method.md, 1.2)     */
/* ======================================================================== */

/* Purposes of independent streams of one chain. */
typedef enum {
    SMILE_RNG_BATCH = 1,    /* mini-batch permutation / selection           */
    SMILE_RNG_NOISE = 2,    /* Gaussian noise of the sampler                */
    SMILE_RNG_VELOCITY = 3, /* initial / refreshed velocities               */
    SMILE_RNG_SUBSET = 4,   /* MILE phase-3 coordinate subset               */
    SMILE_RNG_INIT = 5,     /* model initialisation                         */
    SMILE_RNG_DATA = 6,     /* data shuffling / split / augmentation        */
    SMILE_RNG_USER = 100    /* first purpose free for applications          */
} smile_rng_purpose;

/* Plain, serialisable state. Copying the struct forks the stream. */
typedef struct {
    uint32_t key[2];
    uint32_t ctr[4];
    uint32_t buf[4];
    uint32_t pos;       /* next unused word of buf (4 = empty) */
    uint32_t has_gauss; /* Box-Muller spare available          */
    double gauss;
} smile_rng;

/* Stream keyed by (seed, chain, purpose); independent for distinct triples. */
void smile_rng_init(smile_rng *r, uint64_t seed, uint64_t chain, uint64_t purpose);
uint32_t smile_rng_u32(smile_rng *r);
uint64_t smile_rng_u64(smile_rng *r);
double smile_rng_uniform(smile_rng *r);            /* (0, 1), 53-bit          */
double smile_rng_normal(smile_rng *r);             /* N(0,1), Box-Muller      */
void smile_rng_normal_fill(smile_rng *r, double *z, size_t n); /* = n × normal, bit for bit */
uint64_t smile_rng_below(smile_rng *r, uint64_t n); /* uniform in [0, n), unbiased */
/* Fisher-Yates shuffle of idx[0..n). */
void smile_rng_shuffle_u32(smile_rng *r, uint32_t *idx, size_t n);

/* ======================================================================== */
/* Targets and mini-batches (docs/method.md, sections 2.1, 2.4, 2.5)       */
/* ======================================================================== */

/* One mini-batch. idx == NULL means the full data set (scale 1). scale is the
 * likelihood multiplier s (N/|b| or floor(N/B), docs/method.md, section 2.4).
 * serial is unique per batch of one stream (a callback may cache per-batch
 * work keyed by (chain, serial)); chain is the index of the owning chain. */
typedef struct {
    const uint32_t *idx;
    size_t size;
    double scale;
    uint64_t serial;
    int chain;
} smile_batch;

/* Target callback: log p̂(x; b) and its gradient (length d) for position x.
 * grad may be NULL only if the target sets logp_only_ok.
 * Must be deterministic for (x, b) and thread-safe across chains.
 * Return 0 on success, non-zero on a hard error (the step is then treated as
 * non-finite). Non-finite values are allowed and handled by the samplers. */
typedef int (*smile_logdensity_fn)(void *user, const float *x, const smile_batch *batch,
                                   double *logp, float *grad);

typedef struct {
    size_t dim;
    smile_logdensity_fn logdensity_grad;
    void *user;
    /* Non-zero when the callback accepts grad == NULL and then computes only
     * log p̂ (cheaper: no backward pass). Used by the auto variants. */
    int logp_only_ok;
} smile_target;

/* Likelihood scale (docs/method.md, section 2.4). */
typedef enum { SMILE_SCALE_N_OVER_B = 0, SMILE_SCALE_FLOOR = 1 } smile_scale_mode;
double smile_batch_scale(smile_scale_mode mode, size_t n_data, size_t batch_size);

/* Per-chain batch stream. */
typedef enum {
    SMILE_STREAM_EPOCH = 0,     /* permute all N per epoch, drop-last         */
    SMILE_STREAM_EPOCH_REF = 1, /* as the reference: permute only the first
                                   floor(N/B)*B indices                      */
    SMILE_STREAM_FRESH = 2,     /* B indices without replacement, every step  */
    SMILE_STREAM_FULL = 3       /* the whole data set every step (scale 1)    */
} smile_stream_kind;

typedef struct {
    smile_stream_kind kind;
    size_t n_data, batch_size, n_batches; /* n_batches = max(1, floor(N/B)) */
    double scale;
    int chain;
    smile_rng rng;
    uint32_t *perm;   /* [N] permutation (epoch kinds) or selection buffer */
    uint64_t *bitmap; /* [ceil(N/64)] for SMILE_STREAM_FRESH              */
    size_t next;      /* next batch within the epoch                      */
    uint64_t serial;  /* batches served so far                            */
} smile_batch_stream;

smile_status smile_batch_stream_init(smile_batch_stream *s, smile_stream_kind kind,
                                     size_t n_data, size_t batch_size, smile_scale_mode scale,
                                     uint64_t seed, int chain, char *msg, size_t msg_len);
/* Fills *b with the next batch (pointers stay valid until the next call). */
void smile_batch_stream_next(smile_batch_stream *s, smile_batch *b);
/* Start a new epoch now (the reference's phase boundary). */
void smile_batch_stream_new_epoch(smile_batch_stream *s);
void smile_batch_stream_free(smile_batch_stream *s);
/* The stream's state in a buffer like smile_chain_save's (magic "SMILEBST"):
 * kind, sizes, scale, RNG, place in the epoch, permutation. Load needs a
 * stream initialised with the same kind, n_data and batch size (else
 * SMILE_EINVAL); SMILE_EFORMAT as for chains; on failure s is unchanged. */
smile_status smile_batch_stream_save(const smile_batch_stream *s, void **buf, size_t *len,
                                     char *msg, size_t msg_len);
smile_status smile_batch_stream_load(smile_batch_stream *s, const void *buf, size_t len,
                                     char *msg, size_t msg_len);

/* ======================================================================== */
/* Samplers                                                                 */
/* ======================================================================== */

typedef enum {
    /* docs/method.md: MCLMC section 4, the SMILE family section 5, the auto
     * variants section 6 (our addition), SG-MCMC section 7 */
    SMILE_SAMPLER_MCLMC = 0,        /* full-batch MCLMC + MILE tuning     */
    SMILE_SAMPLER_SMILE_NAIVE = 1,
    SMILE_SAMPLER_SMILE = 2,
    SMILE_SAMPLER_PSMILE_NAIVE = 3,
    SMILE_SAMPLER_PSMILE = 4,
    SMILE_SAMPLER_SGLD = 5,
    SMILE_SAMPLER_CSGLD = 6,
    SMILE_SAMPLER_SGHMC = 7,
    SMILE_SAMPLER_ADASGHMC = 8,
    SMILE_SAMPLER_SMILE_AUTO = 9,   /* settling tuner, docs/tuner.md      */
    SMILE_SAMPLER_PSMILE_AUTO = 10, /* the same + gradient-noise precond. */
    SMILE_SAMPLER_COUNT_ = 11
} smile_sampler_kind;

const char *smile_sampler_name(smile_sampler_kind k);
/* Parses "psmile-naive" etc.; returns SMILE_EINVAL for unknown names. */
smile_status smile_sampler_from_name(const char *name, smile_sampler_kind *out);

/* Integrators: McLachlan is the default; Omelyan is 4th order (5 grads/step). */
typedef enum {
    SMILE_INTEGRATOR_LEAPFROG = 0, SMILE_INTEGRATOR_MCLACHLAN = 1,
    SMILE_INTEGRATOR_YOSHIDA = 2, SMILE_INTEGRATOR_OMELYAN = 3
} smile_integrator;
/* MCLMC refresh: SPLIT_HALF = eps/2 before and after the step (BlackJAX 1.2.2). */
typedef enum { SMILE_REFRESH_SPLIT_HALF = 0, SMILE_REFRESH_ONCE_AFTER = 1 } smile_refresh_mode;
typedef enum { SMILE_MCLMC_TUNING_MILE = 0, SMILE_MCLMC_TUNING_BLACKJAX = 1 } smile_mclmc_tuning;
typedef enum {
    SMILE_SCHEDULE_CONSTANT = 0, SMILE_SCHEDULE_LINEAR = 1, SMILE_SCHEDULE_COSINE_CYCLIC = 2
} smile_schedule_kind;

/* Step-size schedule over the phase it drives (docs/method.md, section 7.3). */
typedef struct {
    smile_schedule_kind kind;
    double eps0, eps_end;
    int64_t n_steps; /* length of the driven phase                     */
    int n_cycles;    /* cosine cyclical                                 */
    double explore;  /* rho: exploration fraction (not emitted)         */
} smile_schedule;

typedef struct {
    smile_sampler_kind kind;
    double step_size;             /* initial eps (tuned samplers) or fixed eps    */
    smile_integrator integrator;  /* isokinetic samplers                          */
    int n_int;                    /* integrator steps per sampler step (1)        */
    double L;                     /* refresh length; INFINITY = none              */
    smile_refresh_mode refresh;

    /* MCLMC / MILE tuning (docs/method.md, section 4.3) */
    smile_mclmc_tuning mclmc_tuning;
    double mclmc_target_start, mclmc_target_end; /* Var[dE]/d schedule            */
    double mclmc_n_eff, mclmc_trust, mclmc_lfactor;
    int mclmc_max_coords, mclmc_max_samples;      /* phase-3 caps (2000, 10000)   */
    int mclmc_init_L_sqrt_d;                      /* BlackJAX: L0 = sqrt(d)       */
    int mclmc_init_eps_from_d;                    /* BlackJAX: eps0 = 0.25 sqrt d */

    /* SMILE energy tuner (docs/method.md, section 5.4) */
    int tuner;                /* 1 = adapt eps + energy resets                  */
    double reset_prob, adaption_prob, adaption_strength, smoothing;
    /* settling tuner of smile-auto / psmile-auto (docs/tuner.md) */
    double auto_target;       /* target E[ΔE_b²]/d of the same-batch energy error */
    double auto_gain;         /* Robbins–Monro gain on log ε per step              */
    double auto_clip;         /* |log(v/(d·target))| clip per step                 */
    double auto_smoothing;    /* EMA weight of ΔE_b² feeding the controller        */
    double auto_reset_factor; /* reset when ΔE_b² > factor · d · target           */
    /* pSMILE preconditioner (docs/method.md, section 5.6) */
    int precond;
    double noise_ema_rate;
    double precond_floor;     /* relative floor κ: σc_i >= κ·RMS(σc), so D_i <=
                                 ~1/κ (0 = the reference: absolute clip only)    */
    double grad_clip;         /* 1e6 */

    /* switches restoring reference behaviour (docs/experiments.md, section 8) */
    int reset_keeps_proposal_cache;    /* reset keeps the proposal's ℓ, gradient */
    int reference_sanitise;            /* NaN -> 0 and clip, no check         */
    int reference_phase_boundary;      /* u, cache reset + new epoch          */
    int freeze_adaptation_in_sampling; /* docs/method.md, section 5.7         */

    /* SG-MCMC (docs/method.md, section 7) */
    double temperature;       /* SGLD / SGHMC */
    double sghmc_alpha, sghmc_beta;
    int sghmc_resample_every; /* 0 = persistent momentum (our default)        */
    double mdecay;            /* adaSGHMC */
    double momentum_resample_prob;
    smile_schedule schedule;  /* SGLD / cSGLD / SMILE-naive (kind CONSTANT = off) */
} smile_sampler_params;

smile_sampler_params smile_sampler_params_default(smile_sampler_kind kind);
/* Apply an MCLMC tuning preset (docs/method.md, section 4.3). MILE: target
 * 0.5 → 0.1, n_eff 100, L0 = max(√d, 15); BlackJAX: target 5e-4, n_eff 150,
 * L0 = √d, ε0 = 0.25√d. */
void smile_sampler_params_mclmc_preset(smile_sampler_params *p, smile_mclmc_tuning t);
smile_status smile_sampler_params_validate(const smile_sampler_params *p, size_t dim, char *msg,
                                           size_t msg_len);

/* Flags of the per-step info record (docs/method.md, section 1.3). */
enum {
    SMILE_INFO_NONFINITE = 1u << 0,
    SMILE_INFO_RESET = 1u << 1,
    SMILE_INFO_EPS_DOWN = 1u << 2,
    SMILE_INFO_EPS_UP = 1u << 3,
    SMILE_INFO_SAMPLE_EMITTED = 1u << 4,
    SMILE_INFO_GRAD_SANITISED = 1u << 5,
    SMILE_INFO_EXPLORE = 1u << 6,
    SMILE_INFO_ROLLBACK = 1u << 7 /* auto: typical-set guard rolled back (also RESET) */
};

typedef enum { SMILE_PHASE_WARMUP = 0, SMILE_PHASE_SAMPLING = 1 } smile_phase;

typedef struct {
    int64_t step;        /* global step index (0-based)                      */
    int64_t phase_step;  /* index within the phase                           */
    smile_phase phase;
    double eps;          /* step size used                                   */
    double L;
    int grad_evals;      /* callback evaluations with a gradient              */
    int logp_evals;      /* log-density-only evaluations (auto variants)      */
    double logp;         /* log p̂ at the chain's position after the step     */
    double dK, dE, a;    /* kinetic change, energy error, |dE|              */
    double mE, sE;       /* tuner statistics after update                    */
    double T_reset, T_up, T_low; /* NaN when not computed                    */
    int64_t t;           /* tuner counter used                               */
    double precond_r, precond_min, precond_max; /* pSMILE                    */
    double grad_norm;    /* SG baselines                                     */
    double dE_batch;     /* auto variants: same-batch energy error ΔE_b      */
    int64_t n_sanitised; /* sanitised gradient entries                       */
    unsigned flags;
} smile_step_info;

/* Per-chain state: plain struct (read it freely; change it only through the
 * functions below); buffers owned by the chain (init/free). */
typedef struct {
    smile_sampler_params p;
    size_t dim;
    int chain;
    uint64_t seed;
    /* position, velocity/momentum, cached raw gradient (all [d]) */
    float *x, *u, *g;
    double logp; /* cached log density at x (l_c)                 */
    int have_cache, u_zero;
    float *x_prev, *g_prev; /* snapshots for resets [d] */
    /* pSMILE EMAs [d] (NULL unless precond); D scratch [d] */
    float *mu_g, *sigma_g, *D;
    /* adaSGHMC state [d]: sigma, gbar, tau, g_last (NULL otherwise) */
    float *ada_sigma, *ada_gbar, *ada_tau, *ada_glast;
    float *scratch; /* [d] */
    double eps, L; /* eps: the step size, the only copy (tuners move it) */
    /* private to the library: step-size tuners, the auto variants' guard */
    struct smile_tuning *tuning;
    smile_phase phase;
    int64_t step;           /* global steps done                     */
    int64_t phase_step;     /* steps done in the current phase       */
    int64_t phase_len;      /* planned length of the phase (0 = open) */
    int thin;
    smile_rng rng_noise, rng_vel;
    void *mile; /* MILE tuning workspace (MCLMC warm-up) */
    /* running counters */
    int64_t n_grad, n_logp, n_resets, n_nonfinite, n_sanitised, n_eps_up, n_eps_down, n_emitted;
} smile_chain;

/* Allocates the chain's buffers and copies x0 (NULL = zeros).
 * The chain starts in the sampling phase with phase length 0 (open-ended)
 * and thinning 1 until begin_warmup / begin_sampling are called. */
smile_status smile_chain_init(smile_chain *c, const smile_sampler_params *p, size_t dim,
                              uint64_t seed, int chain, const float *x0, char *msg,
                              size_t msg_len);
void smile_chain_free(smile_chain *c);
/* Start a warm-up phase of n steps (MCLMC: MILE/BlackJAX tuning; may
 * evaluate the target once). */
smile_status smile_chain_begin_warmup(smile_chain *c, const smile_target *t, int64_t n,
                                      char *msg, size_t msg_len);
/* Start the sampling phase of n steps, emitting every thin-th
 * (docs/method.md, section 8.2). */
smile_status smile_chain_begin_sampling(smile_chain *c, const smile_target *t, int64_t n,
                                        int thin, char *msg, size_t msg_len);
/* One sampler step on batch b. Allocates nothing. Numerical trouble is
 * handled (reset) and reported in info; returns SMILE_OK unless arguments
 * are invalid. */
smile_status smile_chain_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                              smile_step_info *info);
/* Number of gradient evaluations one step of this sampler costs. */
int smile_sampler_grads_per_step(const smile_sampler_params *p);

/* Checkpoint: the chain's whole state (parameters, every buffer, tuner and
 * guard state, phase, counters, RNG states, an MCLMC warm-up's tuning
 * workspace) in a malloc'd buffer (*buf, *len; free() it). Format: magic
 * "SMILECHN", format version, library version, payload length, payload
 * (dimension, sampler kind, then every field explicitly, little-endian: the
 * same bytes on every host), CRC-32 of all before it. A chain restored with
 * smile_chain_load continues bit for bit as the saved chain would have. */
#define SMILE_CHECKPOINT_VERSION 2
smile_status smile_chain_save(const smile_chain *c, void **buf, size_t *len, char *msg,
                              size_t msg_len);
/* Restores into c, an initialised chain of the same dimension and sampler
 * kind (else SMILE_EINVAL); parameters, buffers and state all come from buf.
 * SMILE_EFORMAT for another format version, a truncated or corrupted buffer
 * or values out of range (phase, thin >= 1, step counts >= 0, eps finite
 * > 0, ...). On failure c is unchanged; on success its buffers are new. */
smile_status smile_chain_load(smile_chain *c, const void *buf, size_t len, char *msg,
                              size_t msg_len);

/* ======================================================================== */
/* Driving chains: warm-up, sampling, hooks, checkpoints (OpenMP)           */
/* ======================================================================== */
/* smile_drive takes K initialised chains through `warmup` steps and then
 * `samples` steps emitting every thin-th position, chains in parallel OpenMP
 * threads; chain k reads its own stream (seed, k), so results are bitwise
 * the same for any number of threads. Per chain: begin_warmup(W) if W > 0;
 * W steps; a new epoch if W > 0 and reference_phase_boundary; begin_sampling
 * (S, thin); S steps. After a step: on_sample (if it emitted), on_step,
 * on_progress (every 256 steps of a chain, thread 0 only); then, except
 * after the last step, the stop request and the periodic checkpoint. */
typedef struct {
    int n_chains;
    int64_t warmup, samples;
    int thin;
    int threads;              /* 0 = OpenMP default                            */
    smile_stream_kind stream; /* mini-batch samplers (MCLMC always reads FULL) */
    size_t n_data, batch_size;
    smile_scale_mode scale;
    double batch_scale;       /* > 0: replaces the streams' likelihood scale    */
    uint64_t seed;
    int64_t max_steps;        /* > 0: a smile_drive call makes at most this many
                                 steps per chain; the next call goes on (0 = all) */
} smile_run_params;

/* n_chains 1, thin 1, EPOCH stream, batch 1, scale N/B, seed 1, rest 0. */
smile_run_params smile_run_params_default(void);

typedef enum {
    SMILE_DRIVE_FRESH = 0,    /* warm-up not begun                  */
    SMILE_DRIVE_WARMUP = 1,   /* in warm-up                         */
    SMILE_DRIVE_SAMPLING = 2, /* in sampling                        */
    SMILE_DRIVE_DONE = 3      /* all steps made (drive skips it)    */
} smile_drive_stage;

/* The driver's state of one chain besides the chain: its stream and stage. */
typedef struct {
    smile_batch_stream stream;
    smile_drive_stage stage;
} smile_drive_slot;

/* The one rule for the stream kind: FULL for MCLMC, rp->stream otherwise. */
smile_stream_kind smile_drive_stream_kind(const smile_run_params *rp, smile_sampler_kind kind);
/* Stream of chain k of that kind over rp's sizes, scale and seed (batch_scale
 * > 0 replaces the scale); stage FRESH. */
smile_status smile_drive_slot_init(smile_drive_slot *s, const smile_run_params *rp,
                                   smile_sampler_kind kind, int k, char *msg, size_t msg_len);
void smile_drive_slot_free(smile_drive_slot *s);

/* Hooks (any may be NULL), called from the chain's thread: thread-safe across
 * chains. A hook's non-OK status stops its chain with that status/message. */
typedef struct {
    void *user;
    smile_status (*on_sample)(void *user, int k, const smile_chain *c, /* c->x emitted */
                              const smile_step_info *info, char *msg, size_t msg_len);
    smile_status (*on_step)(void *user, int k, const smile_chain *c, const smile_step_info *info,
                            char *msg, size_t msg_len);
    /* done of total = K(W + S) steps, counting steps made before this call */
    void (*on_progress)(void *user, int64_t done, int64_t total, const smile_chain *c);
    /* write chain k's checkpoint (e.g. smile_drive_save): every
     * checkpoint_seconds, on a stop request, and once the chain is DONE */
    smile_status (*on_checkpoint)(void *user, int k, const smile_chain *c,
                                  const smile_drive_slot *s, char *msg, size_t msg_len);
    double checkpoint_seconds;
    /* polled before and between steps (a signal handler may set it): the chain
     * stops with SMILE_EINTERRUPTED, checkpointed if it stepped in this call */
    volatile const int *stop;
} smile_drive_hooks;

/* Drives chains[0..n) with slots[0..n) (smile_drive_slot_init or
 * smile_drive_load) and targets[0..n) from their stages to the end (or by
 * rp->max_steps steps). Returns SMILE_OK or the status of a failing chain: a
 * real error before SMILE_EINTERRUPTED, then the lowest k. */
smile_status smile_drive(smile_chain *chains, smile_drive_slot *slots,
                         const smile_target *targets, const smile_run_params *rp,
                         const smile_drive_hooks *hooks, char *msg, size_t msg_len);

/* Checkpoint of a driven chain: chain, stream, stage and app_len bytes of the
 * caller's own record (e.g. how much of its output files belongs to this
 * point) in one frame (magic "SMILEDRV", CRC-32). Load restores c and s
 * (initialised for the same run), points *app into buf; on failure nothing
 * changes. */
smile_status smile_drive_save(const smile_chain *c, const smile_drive_slot *s, const void *app,
                              size_t app_len, void **buf, size_t *len, char *msg,
                              size_t msg_len);
smile_status smile_drive_load(smile_chain *c, smile_drive_slot *s, const void *buf, size_t len,
                              const void **app, size_t *app_len, char *msg, size_t msg_len);

/* smile_drive from FRESH to the end with streams from rp and a plain callback
 * after every step (thread-safe across chains); a non-zero return stops that
 * chain (SMILE_EINTERRUPTED). */
typedef int (*smile_step_callback)(void *user, int chain, const smile_chain *c,
                                   const smile_step_info *info);
smile_status smile_run_chains(smile_chain *chains, const smile_target *targets,
                              const smile_run_params *rp, smile_step_callback cb, void *user,
                              char *msg, size_t msg_len);

/* ======================================================================== */
/* Diagnostics: ESS and rank-normalised split-R̂ (docs/method.md, 10)     */
/* ======================================================================== */
/* Draws of one scalar quantity from M chains of N draws are laid out
 * chain-major: draws[m*N + i]. Everything is computed in double. The
 * functions returning double return NaN (never crash) for degenerate input:
 * N < 4, M == 0, any non-finite draw, zero pooled variance (constant draws),
 * or an allocation failure. Thread-safe (FFTW planning runs in the OpenMP
 * critical section `fftw_plan`). They allocate scratch: not for per-step code. */

/* Basic ESS on the raw draws (docs/method.md, section 10.2: Geyer initial
 * monotone sequence, steps 1–7; M = 1 allowed). At most M N log10(M N). */
double smile_ess(const double *draws, size_t M, size_t N);
/* Bulk-ESS: the same on the 2M rank-normalised split sequences of floor(N/2)
 * draws (sections 10.3, 10.4); needs N >= 8. */
double smile_ess_bulk(const double *draws, size_t M, size_t N);
double smile_rhat(const double *draws, size_t M, size_t N);

/* ======================================================================== */
/* Analytical targets with synthetic mini-batch noise (docs/experiments.md, 7) */
/* ======================================================================== */

/* Targets of docs/experiments.md, section 7.1. */
typedef enum {
    SMILE_ANALYTIC_ICG = 0,    /* fixed ill-conditioned Gaussian, d = 10 (icg_target.txt) */
    SMILE_ANALYTIC_FUNNEL = 1, /* Neal's funnel, d = 10, x = (theta, z_1..z_9)            */
    SMILE_ANALYTIC_BANANA = 2, /* Rosenbrock banana, d = 10, (u_j, v_j) = (x_j, x_{j+5})  */
    SMILE_ANALYTIC_GMM25 = 3,  /* 25-component 2-D Gaussian mixture (ours), d = 2         */
    SMILE_ANALYTIC_COUNT_ = 4
} smile_analytic_kind;

/* Mini-batch noise structures (docs/experiments.md, 7.2; A = structure matrix). */
typedef enum {
    SMILE_NOISE_NONE = 0,        /* exact gradient, no data set                        */
    SMILE_NOISE_ISOTROPIC = 1,   /* A = I                                              */
    SMILE_NOISE_ANISOTROPIC = 2, /* A = diag(c), c = ICG scales (d = 2: (0.1, 10))     */
    SMILE_NOISE_CORRELATED = 3,  /* A = lower Cholesky factor of Sigma_ICG (d = 2: of
                                    Q diag(c^2) Q^T, Q = rotation by gmm_rotation)     */
    SMILE_NOISE_SPATIAL = 4,     /* as CORRELATED, noise term times exp(-x_k / h)      */
    SMILE_NOISE_COUNT_ = 5
} smile_noise_kind;

/* Normalisation of the squared-moment bias (docs/experiments.md, section 7.1). */
typedef enum { SMILE_MOMENTS_EXACT = 0, SMILE_MOMENTS_REFERENCE = 1 } smile_moments_kind;

const char *smile_analytic_name(smile_analytic_kind k); /* "icg", "funnel", "banana", "gmm25" */
smile_status smile_analytic_from_name(const char *name, smile_analytic_kind *out);
const char *smile_noise_name(smile_noise_kind k); /* "none", "isotropic", ..., "spatial" */
smile_status smile_noise_from_name(const char *name, smile_noise_kind *out);

typedef struct {
    smile_analytic_kind kind;
    smile_noise_kind noise;
    size_t n_data;       /* population size N_total (409,600)                         */
    double noise_scale;  /* s of y_n = s A z_n (1.0)                                  */
    uint64_t data_seed;  /* smile_rng(data_seed, 0, SMILE_RNG_DATA) draws the z_n (0)  */
    double spatial_h;    /* h of exp(-x_k/h); 0 = target default: 6.5 ICG, 9 funnel,
                            1.414 banana, 4 gmm25 (ours)                              */
    int cache_slots;     /* per-chain batch row-sum caches, chains 0..slots-1 (64)     */
    /* gmm25 defaults (ours): grid^2 equal-weight components, means on
     * {-(grid-1)/2 .. (grid-1)/2} * spacing, isotropic sd; correlated noise rotation */
    int gmm_grid;        /* 5       */
    double gmm_spacing;  /* 2.0     */
    double gmm_sd;       /* 0.3     */
    double gmm_init_sd;  /* 2.0: initial positions ~ N(0, 4 I)                         */
    double gmm_rotation; /* pi/6    */
} smile_analytic_params;

smile_analytic_params smile_analytic_params_default(smile_analytic_kind kind,
                                                    smile_noise_kind noise);

/* Target + centred synthetic data set. Read-only after init except for the
 * per-chain batch caches, so one object serves all chains of a run. */
typedef struct smile_analytic smile_analytic;

/* Builds the data set literally (docs/experiments.md, section 7.2): y_n =
 * s A z_n for n < N, then the column means over all N rows are subtracted
 * (compensated sums). */
smile_status smile_analytic_init(smile_analytic **out, const smile_analytic_params *p, char *msg,
                                 size_t msg_len);
void smile_analytic_free(smile_analytic *a);
size_t smile_analytic_dim(const smile_analytic *a);

/* smile_target for the samplers: the callback is smile_analytic_logdensity_grad
 * with user = a. */
smile_target smile_analytic_target(smile_analytic *a);

/* Initial position of chain `chain` (docs/experiments.md, section 7.1): 0
 * (ICG, funnel), (1,1,1,1,1,2,2,2,2,2) (banana); gmm25: N(0, gmm_init_sd^2 I)
 * from smile_rng(seed, chain, SMILE_RNG_INIT). x0 has length dim. */
void smile_analytic_initial_position(const smile_analytic *a, uint64_t seed, int chain,
                                     float *x0);

/* E[x_i^2] and Var[x_i^2] (length dim). REFERENCE gives the hard-coded
 * sample estimates of docs/experiments.md, section 7.1, for funnel and banana,
 * the exact values otherwise. */
void smile_analytic_moments(const smile_analytic *a, smile_moments_kind which, double *e_sq,
                            double *var_sq);

/* Squared-moment bias (docs/experiments.md, section 7.3):
 * b^2 = (1/d) sum_i (m_i - E_i)^2 / V_i. */
double smile_squared_moment_bias(const double *m_hat, const double *e_sq, const double *var_sq,
                                 size_t d);

/* gmm25: number of components whose 3-sd disc holds at least min_frac of
 * the n draws (draws row-major [n x 2]); 0 for other targets. */
int smile_analytic_modes_visited(const smile_analytic *a, const double *draws, size_t n,
                                 double min_frac);
int smile_analytic_n_modes(const smile_analytic *a);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* SMILE_H */
