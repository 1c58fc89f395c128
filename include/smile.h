/*
 * smile.h — the one public header of libsmile.
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
/* Random numbers: Philox-4x32-10, counter based (spec samplers.md §1.6)    */
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
uint64_t smile_rng_below(smile_rng *r, uint64_t n); /* uniform in [0, n), unbiased */
/* Fisher-Yates shuffle of idx[0..n). */
void smile_rng_shuffle_u32(smile_rng *r, uint32_t *idx, size_t n);

/* ======================================================================== */
/* Targets and mini-batches (spec samplers.md §1.3, §1.4)                   */
/* ======================================================================== */

/* One mini-batch. idx == NULL means the full data set (scale 1).
 * scale is the likelihood multiplier s of §1.3 (N/|b| or floor(N/B)).
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

/* Likelihood scale of §1.3. */
typedef enum { SMILE_SCALE_N_OVER_B = 0, SMILE_SCALE_FLOOR = 1 } smile_scale_mode;
double smile_batch_scale(smile_scale_mode mode, size_t n_data, size_t batch_size);

/* Per-chain batch stream. */
typedef enum {
    SMILE_STREAM_EPOCH = 0,     /* [ours] permute all N per epoch, drop-last  */
    SMILE_STREAM_EPOCH_REF = 1, /* [ref] permute first floor(N/B)*B indices    */
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
/* Start a new epoch now ([ref] phase boundary). */
void smile_batch_stream_new_epoch(smile_batch_stream *s);
void smile_batch_stream_free(smile_batch_stream *s);

/* ======================================================================== */
/* Samplers                                                                 */
/* ======================================================================== */

typedef enum {
    SMILE_SAMPLER_MCLMC = 0,        /* full-batch MCLMC + MILE tuning §6  */
    SMILE_SAMPLER_SMILE_NAIVE = 1,  /* §7                                 */
    SMILE_SAMPLER_SMILE = 2,
    SMILE_SAMPLER_PSMILE_NAIVE = 3,
    SMILE_SAMPLER_PSMILE = 4,
    SMILE_SAMPLER_SGLD = 5,         /* §9.1                               */
    SMILE_SAMPLER_CSGLD = 6,        /* §9.2                               */
    SMILE_SAMPLER_SGHMC = 7,        /* §9.3                               */
    SMILE_SAMPLER_ADASGHMC = 8,     /* §9.4                               */
    SMILE_SAMPLER_SMILE_AUTO = 9,   /* [ours] settling tuner, docs/tuner.md */
    SMILE_SAMPLER_PSMILE_AUTO = 10, /* [ours] + gradient-noise precond.   */
    SMILE_SAMPLER_COUNT_ = 11
} smile_sampler_kind;

const char *smile_sampler_name(smile_sampler_kind k);
/* Parses "psmile-naive" etc.; returns SMILE_EINVAL for unknown names. */
smile_status smile_sampler_from_name(const char *name, smile_sampler_kind *out);

typedef enum {
    SMILE_INTEGRATOR_LEAPFROG = 0,
    SMILE_INTEGRATOR_MCLACHLAN = 1, /* default */
    SMILE_INTEGRATOR_YOSHIDA = 2,
    SMILE_INTEGRATOR_OMELYAN = 3    /* 4th order, 5 grads/step */
} smile_integrator;

typedef enum {
    SMILE_REFRESH_SPLIT_HALF = 0, /* eps/2 before and after (BlackJAX 1.2.2) */
    SMILE_REFRESH_ONCE_AFTER = 1
} smile_refresh_mode;

typedef enum { SMILE_MCLMC_TUNING_MILE = 0, SMILE_MCLMC_TUNING_BLACKJAX = 1 } smile_mclmc_tuning;

typedef enum {
    SMILE_SCHEDULE_CONSTANT = 0,
    SMILE_SCHEDULE_LINEAR = 1,
    SMILE_SCHEDULE_COSINE_CYCLIC = 2
} smile_schedule_kind;

/* Step-size schedule of §9.2 over the steps of the phase it drives. */
typedef struct {
    smile_schedule_kind kind;
    double eps0, eps_end;
    int64_t n_steps; /* length of the driven phase                     */
    int n_cycles;    /* cosine cyclical                                 */
    double explore;  /* rho: exploration fraction (not emitted)         */
} smile_schedule;

/* eps_s and explore_s of §9.2 for step s. */
double smile_schedule_eps(const smile_schedule *s, int64_t step, int *explore);

typedef struct {
    smile_sampler_kind kind;
    double step_size;             /* initial eps (tuned samplers) or fixed eps    */
    smile_integrator integrator;  /* isokinetic samplers                          */
    int n_int;                    /* integrator steps per sampler step (1)        */
    double L;                     /* refresh length; INFINITY = none              */
    smile_refresh_mode refresh;

    /* MCLMC / MILE tuning §6.3 */
    smile_mclmc_tuning mclmc_tuning;
    double mclmc_target_start, mclmc_target_end; /* Var[dE]/d schedule            */
    double mclmc_n_eff, mclmc_trust, mclmc_lfactor;
    int mclmc_max_coords, mclmc_max_samples;      /* phase-3 caps (2000, 10000)   */
    int mclmc_init_L_sqrt_d;                      /* BlackJAX: L0 = sqrt(d)       */
    int mclmc_init_eps_from_d;                    /* BlackJAX: eps0 = 0.25 sqrt d */

    /* SMILE energy tuner §7.5 */
    int tuner;                /* 1 = adapt eps + energy resets                  */
    double reset_prob, adaption_prob, adaption_strength, smoothing;
    /* [ours] settling tuner of smile-auto / psmile-auto (docs/tuner.md) */
    double auto_target;       /* target E[ΔE_b²]/d of the same-batch energy error */
    double auto_gain;         /* Robbins–Monro gain on log ε per step              */
    double auto_clip;         /* |log(v/(d·target))| clip per step                 */
    double auto_smoothing;    /* EMA weight of ΔE_b² feeding the controller        */
    double auto_reset_factor; /* reset when ΔE_b² > factor · d · target           */
    /* pSMILE preconditioner §7.4 */
    int precond;
    double noise_ema_rate;
    double precond_floor;     /* [ours] relative floor κ: σc_i >= κ·RMS(σc), so
                                 D_i <= ~1/κ (0 = [ref], absolute clip only)     */
    double grad_clip;         /* 1e6 */

    /* switches restoring reference behaviour (§8) */
    int reset_keeps_proposal_cache;    /* 8a */
    int reference_sanitise;            /* 8d */
    int reference_phase_boundary;      /* 8h */
    int freeze_adaptation_in_sampling; /* 7.7 */

    /* SG-MCMC §9 */
    double temperature;       /* SGLD / SGHMC */
    double sghmc_alpha, sghmc_beta;
    int sghmc_resample_every; /* 0 = persistent momentum [ours]               */
    double mdecay;            /* adaSGHMC */
    double momentum_resample_prob;
    smile_schedule schedule;  /* SGLD / cSGLD / SMILE-naive (kind CONSTANT = off) */
} smile_sampler_params;

smile_sampler_params smile_sampler_params_default(smile_sampler_kind kind);
/* Apply an MCLMC tuning preset of §6.3 (MILE: target 0.5 → 0.1, n_eff 100,
 * L0 = max(√d, 15); BlackJAX: target 5e-4, n_eff 150, L0 = √d, ε0 = 0.25√d). */
void smile_sampler_params_mclmc_preset(smile_sampler_params *p, smile_mclmc_tuning t);
smile_status smile_sampler_params_validate(const smile_sampler_params *p, size_t dim, char *msg,
                                           size_t msg_len);

/* SMILE energy tuner (§7.5), also usable standalone (tests, custom kernels). */

typedef struct {
    double reset_prob, adaption_prob, adaption_strength, smoothing;
    double z_reset, z_up, z_low; /* precomputed quantiles (±inf when disabled) */
    double mE, sE, eps;
    int64_t t;
} smile_energy_tuner;

typedef struct {
    double T_reset, T_up, T_low; /* NaN when t < 10 */
    int reset, eps_down, eps_up;
} smile_tuner_decision;

void smile_energy_tuner_init(smile_energy_tuner *tu, double reset_prob, double adaption_prob,
                             double adaption_strength, double smoothing, double eps0);
/* Feeds a = |ΔE| of step t and advances t. The decision uses the statistics
 * from before this update (§7.3 step 6). resets = 0: never divergent;
 * adapt_eps = 0: eps unchanged (tuner-off variants, frozen sampling). */
smile_tuner_decision smile_energy_tuner_update(smile_energy_tuner *tu, double a, int resets,
                                               int adapt_eps);
/* Non-finite step [ours]: no statistics update; eps shrinks if adapt. */
void smile_energy_tuner_nonfinite(smile_energy_tuner *tu, int adapt);
/* Wilson–Hilferty Gamma quantile with standard-normal quantile z (§7.5). */
double smile_wilson_hilferty(double mE, double sE, double z);
/* [ours] Settling tuner of smile-auto / psmile-auto (docs/tuner.md):
 * Robbins–Monro on log ε toward E[ΔE_b²]/d = target, where ΔE_b is the
 * energy error measured on one batch (scales with ε, so a fixed point
 * exists), plus an absolute reset guardrail ΔE_b² > factor·d·target. */
typedef struct {
    double target, gain, clip, smoothing, reset_factor;
    double reset_shrink; /* ε ← ε·reset_shrink on a ΔE_b reset (init: 0.5) */
    double v;      /* EMA of ΔE_b² (NaN until the first finite value) */
    double eps;
    int64_t t;
} smile_auto_tuner;
typedef struct {
    int reset, eps_down, eps_up;
    double h; /* clipped log(v/(d·target)) */
} smile_auto_decision;
void smile_auto_tuner_init(smile_auto_tuner *tu, double target, double gain, double clip,
                           double smoothing, double reset_factor, double eps0);
/* Feeds the same-batch energy error dE of a step in dimension d and the
 * same-batch log-density change dlogp = ℓ_t(x_t) − ℓ_t(x_{t−1}). Reset when
 * dE² > R·d·target, or when the step lost more than √(R·d·target) nats of
 * log density (a jump out of the typical set, whose log-density spread is
 * only ~√(d/2): caught even when ΔK absorbed it and dE stayed small). */
smile_auto_decision smile_auto_tuner_update(smile_auto_tuner *tu, double dE, double dlogp,
                                            size_t d, int adapt_eps);
/* Non-finite step: ε shrinks as for a maximal h (one clipped step). */
void smile_auto_tuner_nonfinite(smile_auto_tuner *tu, int adapt_eps);
/* [ours] Typical-set guard of the auto variants (docs/tuner.md §3): EMA mean
 * and variance of the chain's log density ℓ_t(x_t) (rate 0.01), and an alarm
 * when the log density of the current position on a NEW batch, ℓ_t(x_{t−1}),
 * lies more than max(floor, k·sd) below the mean. It catches a chain that has
 * drifted to where some data points (not in the recent batches) are predicted
 * catastrophically; the step-level checks cannot, because on the batches
 * that produced the drift every step looked fine. No alarm during the first
 * 1/rate updates. */
typedef struct {
    double rate, k_sigma, floor;
    double mean, var;
    int64_t n;
} smile_logp_guard;
void smile_logp_guard_init(smile_logp_guard *g, double rate, double k_sigma, double floor);
int smile_logp_guard_alarm(const smile_logp_guard *g, double lp_new_batch);
void smile_logp_guard_update(smile_logp_guard *g, double lp);
/* Standard normal quantile Φ⁻¹(p) (Acklam + one Halley step, |err| < 1e-15). */
double smile_normal_quantile(double p);

/* Flags of the per-step info record (§1.7). */
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

/* Per-chain state: plain struct; buffers owned by the chain (init/free). */
typedef struct {
    smile_sampler_params p;
    size_t dim;
    int chain;
    uint64_t seed;

    /* position, velocity/momentum, cached raw gradient (all [d]) */
    float *x, *u, *g;
    double logp; /* cached log density at x (l_c)                 */
    int have_cache, u_zero;

    /* snapshots for resets [d]; u_prev only for the auto variants (their
     * resets restore the velocity, docs/tuner.md §3), NULL otherwise */
    float *x_prev, *g_prev, *u_prev;
    /* auto variants: rollback snapshots [d] of the typical-set guard: a
     * candidate (x, u) taken every SMILE_AUTO_SNAPSHOT_EVERY steps becomes the
     * "good" one after that many more steps without an alarm */
    float *x_cand, *u_cand, *x_good, *u_good;
    int u_zero_cand, u_zero_good, have_cand, have_good;
    smile_logp_guard lguard;
    /* pSMILE EMAs [d] (NULL unless precond); D scratch [d] */
    float *mu_g, *sigma_g, *D;
    /* adaSGHMC state [d]: sigma, gbar, tau, g_last (NULL otherwise) */
    float *ada_sigma, *ada_gbar, *ada_tau, *ada_glast;
    float *scratch; /* [d] */

    double eps, L;
    smile_energy_tuner tuner; /* m_E, s_E, t of §7.5 (also kept for tuner-off variants) */
    smile_auto_tuner autotune; /* smile-auto / psmile-auto */

    smile_phase phase;
    int64_t step;           /* global steps done                     */
    int64_t phase_step;     /* steps done in the current phase       */
    int64_t phase_len;      /* planned length of the phase (0 = open) */
    int thin;

    smile_rng rng_noise, rng_vel;

    /* MILE tuning workspace (MCLMC warm-up) */
    void *mile;

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
/* Start the sampling phase of n steps, emitting every thin-th (§6.8). */
smile_status smile_chain_begin_sampling(smile_chain *c, const smile_target *t, int64_t n,
                                        int thin, char *msg, size_t msg_len);
/* One sampler step on batch b. Allocates nothing. Numerical trouble is
 * handled (reset) and reported in info; returns SMILE_OK unless arguments
 * are invalid. */
smile_status smile_chain_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                              smile_step_info *info);
/* Number of gradient evaluations one step of this sampler costs. */
int smile_sampler_grads_per_step(const smile_sampler_params *p);

/* ======================================================================== */
/* Isokinetic building blocks (exposed for tests and custom kernels)        */
/* ======================================================================== */

/* Velocity update U(u, h, eps, c) of §2.2, in place on u[d] with h = D ⊙ g
 * (D may be NULL = identity). *u_zero tracks u == 0. Returns ΔK. */
double smile_isokinetic_velocity_update(float *u, int *u_zero, const float *g, const float *D,
                                        double eps, double c, size_t d);
double smile_isokinetic_velocity_update_d(double *u, int *u_zero, const double *g,
                                          const double *D, double eps, double c, size_t d);
/* Coefficient table of an integrator: *n entries c0..c_{2m}; returns m. */
int smile_integrator_coeffs(smile_integrator k, const double **coeffs, int *n);

/* ======================================================================== */
/* Several chains in parallel (OpenMP), results independent of threads      */
/* ======================================================================== */

/* Called after every step of every chain (from the chain's thread; must be
 * thread-safe across chains). Non-zero return stops that chain. */
typedef int (*smile_step_callback)(void *user, int chain, const smile_chain *c,
                                   const smile_step_info *info);

typedef struct {
    int n_chains;
    int64_t warmup, samples;
    int thin;
    int threads;                 /* 0 = OpenMP default */
    smile_stream_kind stream;
    size_t n_data, batch_size;
    smile_scale_mode scale;
    uint64_t seed;
} smile_run_params;

smile_run_params smile_run_params_default(void);
/* Runs chains[0..n) (already initialised) through warm-up and sampling. */
smile_status smile_run_chains(smile_chain *chains, const smile_target *targets,
                              const smile_run_params *rp, smile_step_callback cb, void *user,
                              char *msg, size_t msg_len);

/* ======================================================================== */
/* Diagnostics (§10): ESS and rank-normalised split-R̂                      */
/* ======================================================================== */
/* BEGIN SECTION diag (owned by src/diag) */
/* Draws of one scalar quantity from M chains of N draws are laid out
 * chain-major: draws[m*N + i]. Everything is computed in double. The
 * functions returning double return NaN (never crash) for degenerate input:
 * N < 4, M == 0, any non-finite draw, zero pooled variance (constant draws),
 * or an allocation failure. Thread-safe (FFTW planning runs in the OpenMP
 * critical section `fftw_plan`). They allocate scratch: not for per-step code. */

/* §10.1: acov[t] = (1/n) Σ_{i<n−t} (x_i − x̄)(x_{i+t} − x̄), t = 0..n−1, by FFT
 * with zero padding to a 2^a3^b5^c length >= 2n. SMILE_ENUMERIC for a
 * non-finite x, SMILE_EINVAL for n == 0. */
smile_status smile_autocov_fft(const double *x, size_t n, double *acov);
/* §10.2 basic ESS on the raw draws (Geyer initial monotone sequence, steps
 * 1–7; M = 1 allowed). At most M N log10(M N). */
double smile_ess(const double *draws, size_t M, size_t N);
/* Bulk-ESS: §10.2 on the 2M rank-normalised split sequences of floor(N/2)
 * draws (§10.3, §10.4); needs N >= 8. */
double smile_ess_bulk(const double *draws, size_t M, size_t N);
/* §10.3: z_j = Φ⁻¹((r_j − 3/8)/(n + 1/4)), r_j = rank in 1..n with ties
 * averaged. SMILE_ENUMERIC for non-finite input. */
smile_status smile_rank_normalise(const double *x, size_t n, double *z);
/* §10.4 rank-normalised split-R̂: bulk (steps 1–3), tail (step 4: draws
 * folded around the median of all M N draws) and R̂ = max(bulk, tail).
 * Constant draws give NaN. */
double smile_rhat_bulk(const double *draws, size_t M, size_t N);
double smile_rhat_tail(const double *draws, size_t M, size_t N);
double smile_rhat(const double *draws, size_t M, size_t N);
/* metrics.md §7.2 "chainwise R̂": one sequence x[n] cut into n_seg segments
 * of L = floor(n/n_seg) draws (excess at the end dropped), rank-normalised
 * jointly, R̂ = sqrt(((L−1)/L W + B)/W) with B the variance of the segment
 * means. NaN if L < 2 or n_seg < 2. */
double smile_rhat_segments(const double *x, size_t n, size_t n_seg);
/* END SECTION diag */

/* ======================================================================== */
/* Analytical targets with synthetic mini-batch noise (experiments.md §1)   */
/* ======================================================================== */
/* BEGIN SECTION analytic (owned by src/analytic) */

/* Targets of experiments.md §1.2 / §1.6. */
typedef enum {
    SMILE_ANALYTIC_ICG = 0,    /* fixed ill-conditioned Gaussian, d = 10 (icg_target.txt) */
    SMILE_ANALYTIC_FUNNEL = 1, /* Neal's funnel, d = 10, x = (theta, z_1..z_9)            */
    SMILE_ANALYTIC_BANANA = 2, /* Rosenbrock banana, d = 10, (u_j, v_j) = (x_j, x_{j+5})  */
    SMILE_ANALYTIC_GMM25 = 3,  /* 25-component 2-D Gaussian mixture [proj], d = 2         */
    SMILE_ANALYTIC_COUNT_ = 4
} smile_analytic_kind;

/* Mini-batch noise structures of experiments.md §1.1 (A = structure matrix). */
typedef enum {
    SMILE_NOISE_NONE = 0,        /* exact gradient, no data set                        */
    SMILE_NOISE_ISOTROPIC = 1,   /* A = I                                              */
    SMILE_NOISE_ANISOTROPIC = 2, /* A = diag(c), c = ICG scales (d = 2: (0.1, 10))     */
    SMILE_NOISE_CORRELATED = 3,  /* A = lower Cholesky factor of Sigma_ICG (d = 2: of
                                    Q diag(c^2) Q^T, Q = rotation by gmm_rotation)     */
    SMILE_NOISE_SPATIAL = 4,     /* as CORRELATED, noise term times exp(-x_k / h)      */
    SMILE_NOISE_COUNT_ = 5
} smile_noise_kind;

/* Normalisation of the squared-moment bias (experiments.md §1.2 [proj]). */
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
                            1.414 banana, 4 gmm25 [proj]                              */
    int cache_slots;     /* per-chain batch row-sum caches, chains 0..slots-1 (64)     */
    /* gmm25 [proj] defaults: grid^2 equal-weight components, means on
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

/* Builds the data set literally (§1.1): y_n = s A z_n for n < N, then the
 * column means over all N rows are subtracted (compensated sums). */
smile_status smile_analytic_init(smile_analytic **out, const smile_analytic_params *p, char *msg,
                                 size_t msg_len);
void smile_analytic_free(smile_analytic *a);
size_t smile_analytic_dim(const smile_analytic *a);
const smile_analytic_params *smile_analytic_get_params(const smile_analytic *a);

/* smile_target for the samplers: the callback is smile_analytic_logdensity_grad
 * with user = a. */
smile_target smile_analytic_target(smile_analytic *a);

/* Mini-batch log density of §1.1 (no N/B scaling; batch->scale is ignored):
 *   log p~(x; b) = log pi(x) + f(x) <S_b, x>,   S_b = sum_{n in b} y_n,
 *   f = 1, or exp(-x_k/h) for spatial noise (k = 2, or d-1 when d < 3),
 * and its gradient grad log pi + f S_b + <S_b, x> grad f. batch == NULL or
 * batch->idx == NULL (full data) and noise NONE give the exact density
 * (the centred rows sum to 0). S_b is cached per (batch->chain, serial,
 * size, first and last index), one slot per chain, so the two gradient
 * evaluations of a McLachlan step sum the batch once. Thread-safe across
 * distinct chains. Always returns 0. */
int smile_analytic_logdensity_grad(void *user, const float *x, const smile_batch *batch,
                                   double *logp, float *grad);
/* Same in double, without the cache (tests, finite differences). */
void smile_analytic_eval(const smile_analytic *a, const double *x, const smile_batch *batch,
                         double *logp, double *grad);

/* Rows y_n, row-major [n_data x d] (NULL for noise NONE) and A, row-major [d x d]. */
const double *smile_analytic_data(const smile_analytic *a, size_t *n_rows);
const double *smile_analytic_noise_matrix(const smile_analytic *a);

/* Initial position of chain `chain` (§1.1): 0 (ICG, funnel),
 * (1,1,1,1,1,2,2,2,2,2) (banana); gmm25: N(0, gmm_init_sd^2 I) from
 * smile_rng(seed, chain, SMILE_RNG_INIT). x0 has length dim. */
void smile_analytic_initial_position(const smile_analytic *a, uint64_t seed, int chain,
                                     float *x0);

/* E[x_i^2] and Var[x_i^2] (length dim). REFERENCE gives the hard-coded
 * sample estimates of §1.2 for funnel and banana, the exact values otherwise. */
void smile_analytic_moments(const smile_analytic *a, smile_moments_kind which, double *e_sq,
                            double *var_sq);

/* Squared-moment bias of §1.4: b^2 = (1/d) sum_i (m_i - E_i)^2 / V_i. */
double smile_squared_moment_bias(const double *m_hat, const double *e_sq, const double *var_sq,
                                 size_t d);

/* gmm25: number of components whose 3-sd disc holds at least min_frac of
 * the n draws (draws row-major [n x 2]); 0 for other targets. */
int smile_analytic_modes_visited(const smile_analytic *a, const double *draws, size_t n,
                                 double min_frac);
int smile_analytic_n_modes(const smile_analytic *a);

/* The fixed ICG constants of icg_target.txt (any pointer may be NULL):
 * sigma[10], R[100] row-major, diag(Sigma)[10], P = Sigma^{-1}[100] row-major. */
void smile_icg_constants(const double **sigma, const double **R, const double **diag_sigma,
                         const double **precision);

/* END SECTION analytic */

/* ======================================================================== */
/* Neural-network models, likelihoods, priors                               */
/* ======================================================================== */
/* BEGIN SECTION model (owned by src/model, src/prob) */
/*
 * Models live on ONE flat float parameter vector θ[d] with a named layout
 * table (name, offset, shape). Architectures, parameter counts and
 * initialisation follow experiments.md §0.5, §2.3, §3.2, §4.4–4.6, §5.3, §6.2.
 * Layouts (row-major): inputs NHWC (images) or [features] (FCN); dense
 * kernels [in][out]; conv kernels [KH][KW][C_in][C_out]; attention q|k|v
 * fused into one [C][3C] kernel (+ [3C] bias for the ViT).
 *
 * Evaluation: a smile_model_workspace holds every activation for up to
 * max_batch examples, allocated once (smile_model_workspace_init); the
 * evaluation functions allocate nothing. One workspace per thread: several
 * chains may evaluate the same model concurrently from an OpenMP parallel
 * region, each on its own workspace (the kernels then run single-threaded;
 * see smile_model_set_threads). Results never depend on the thread count.
 */
typedef enum {
    SMILE_MODEL_FCN = 0,      /* dense ReLU network (§2.3)                      */
    SMILE_MODEL_LENET = 1,    /* LeNet with GELU (§3.2)                         */
    SMILE_MODEL_RESNET7 = 2,  /* "ResNet-7" with FRN (§4.6)                     */
    SMILE_MODEL_RESNET18 = 3, /* ResNet-18 with FRN (§4.5)                      */
    SMILE_MODEL_VIT = 4,      /* Vision Transformer (§5.3)                      */
    SMILE_MODEL_GPT = 5,      /* character GPT (§6.2)                           */
    SMILE_MODEL_COUNT_ = 6
} smile_model_kind;

typedef enum {
    SMILE_LIK_DEFAULT = 0,     /* the family's own: FCN homoscedastic, images
                                  categorical, GPT per-token categorical        */
    SMILE_LIK_GAUSS_HOMO = 1,  /* FCN, 1 output μ + global log σ τ in θ (§2.4)  */
    SMILE_LIK_GAUSS_HETERO = 2,/* FCN, 2 outputs (μ, η), σ = clip(e^η) (§2.4)   */
    SMILE_LIK_CATEGORICAL = 3, /* softmax over n_classes outputs, labels int32  */
    SMILE_LIK_TOKEN = 4        /* GPT: every position predicts the next token   */
} smile_likelihood_kind;

#define SMILE_MODEL_MAX_HIDDEN 16

/* Plain description. Start from smile_model_desc_default(kind), which gives
 * the spec's sizes, then change what differs (e.g. n_inputs, or reduced
 * widths for tests). Fields not used by a kind are ignored. */
typedef struct {
    smile_model_kind kind;
    smile_likelihood_kind likelihood;
    double prior_sigma;  /* σ_p of the N(0, σ_p²) prior on every parameter (1)  */
    /* FCN (§2.3): n_inputs → hidden[0] → … → hidden[n_hidden-1] → outputs */
    size_t n_inputs;     /* p (default 11, bikesharing SMILE file)               */
    size_t n_hidden;     /* hidden layers (3: 16-16-16)                          */
    size_t hidden[SMILE_MODEL_MAX_HIDDEN];
    /* image input (LeNet 28×28×1, ResNets 32×32×3, ViT 160×160×3) and classes */
    size_t in_h, in_w, in_c;
    size_t n_classes;    /* 10 (also the FCN's outputs under CATEGORICAL)       */
    /* LeNet (§3.2): conv1 filters, conv2 filters, dense widths (6, 16, 120, 84) */
    size_t lenet[4];
    /* ResNets: base width w (ResNet-18: 64 → stages w, 2w, 4w, 8w;
       ResNet-7: 32 → convs w, 2w, 2w, 4w, 4w, 4w) */
    size_t res_width;
    /* Transformers (ViT §5.3, GPT §6.2) */
    size_t patch;        /* ViT patch size (16)                                 */
    size_t embed;        /* width C (384)                                       */
    size_t depth;        /* blocks (ViT 12, GPT 6)                              */
    size_t heads;        /* ViT 8, GPT 6; must divide embed                     */
    size_t mlp;          /* MLP width (1536)                                    */
    size_t cls_hidden;   /* ViT classifier hidden width (1024)                  */
    size_t vocab;        /* GPT vocabulary (65)                                 */
    size_t context;      /* GPT context T (256) = window length                 */
    int gpt_pre_ln;      /* [proj] deviation: nanoGPT block x + f(LN(x)); 0 = [ref] */
    double ln_eps;       /* LayerNorm ε (1e-6)                                  */
} smile_model_desc;

smile_model_desc smile_model_desc_default(smile_model_kind kind);
const char *smile_model_kind_name(smile_model_kind kind);
/* "fcn", "lenet", "resnet7", "resnet18", "vit", "gpt"; SMILE_EINVAL otherwise. */
smile_status smile_model_kind_from_name(const char *name, smile_model_kind *out);

typedef struct smile_model smile_model;
typedef struct smile_model_workspace smile_model_workspace;

/* Builds the model (layout table) from the description; SMILE_EINVAL with a
 * message for zero sizes, shapes that do not fit, unknown kinds or
 * likelihoods that do not match the kind. *m = NULL on failure. */
smile_status smile_model_init(smile_model **m, const smile_model_desc *desc, char *msg,
                              size_t msg_len);
void smile_model_free(smile_model *m); /* NULL: no-op */
size_t smile_model_param_count(const smile_model *m);
const smile_model_desc *smile_model_get_desc(const smile_model *m);
/* Effective likelihood (never SMILE_LIK_DEFAULT). */
smile_likelihood_kind smile_model_likelihood(const smile_model *m);
/* Floats per example of the input (FCN p, images H·W·C; GPT: 0, it reads
 * tokens) and of the forward output (FCN 1 / 2 / classes, images classes,
 * GPT context·vocab). */
size_t smile_model_input_size(const smile_model *m);
size_t smile_model_output_size(const smile_model *m);

/* One entry of the layout table: θ[offset .. offset+size) holds a tensor of
 * the given shape (row-major; ndim 0 = scalar). Names are like
 * "dense1.w", "blk3.attn.qkv.w", "s2.b0.frn1.gamma", "log_sigma". */
#define SMILE_PARAM_MAX_DIMS 4
typedef struct {
    const char *name; /* owned by the model */
    size_t offset, size;
    int ndim;
    size_t shape[SMILE_PARAM_MAX_DIMS];
} smile_param_entry;

size_t smile_model_layout_count(const smile_model *m);
/* Entry i (< count) → SMILE_OK; SMILE_EINVAL otherwise. */
smile_status smile_model_layout_get(const smile_model *m, size_t i, smile_param_entry *e);
/* Entry by exact name → SMILE_OK; SMILE_EINVAL when absent. */
smile_status smile_model_layout_find(const smile_model *m, const char *name,
                                     smile_param_entry *e);

/* Initialisation of §0.5 from the stream (seed, chain, SMILE_RNG_INIT):
 * LeCun-normal dense/conv kernels, zero biases, LayerNorm scale 1, FRN
 * γ = 1, β = τ = 0, ε = 1e-6, GPT embeddings N(0, 1/C), ViT class token and
 * position embedding N(0, 1), log σ = 0. */
void smile_model_init_params(const smile_model *m, float *theta, uint64_t seed, int chain);

/* Data a model reads (plain arrays, not owned; see smile_model_input_size):
 *   x      [n × input_size] float inputs (FCN, images); NULL for GPT
 *   y      [n] Gaussian regression targets
 *   labels [n] class labels in [0, n_classes) (categorical)
 *   tokens GPT token stream of length n + context: example i is the window
 *          starting at i, inputs tokens[i .. i+T-1], targets tokens[i+1 .. i+T]. */
typedef struct {
    size_t n;
    const float *x;
    const float *y;
    const int32_t *labels;
    const int32_t *tokens;
} smile_data_view;

/* Activations for up to max_batch examples, allocated once. */
smile_status smile_model_workspace_init(smile_model_workspace **ws, const smile_model *m,
                                        size_t max_batch, char *msg, size_t msg_len);
void smile_model_workspace_free(smile_model_workspace *ws); /* NULL: no-op */
size_t smile_model_workspace_bytes(const smile_model_workspace *ws);
size_t smile_model_workspace_batch(const smile_model_workspace *ws);

/* Forward pass on examples idx[0..n) of data (idx NULL: 0..n-1), any n
 * (processed in chunks of the workspace batch): out[n × output_size]
 * (FCN homoscedastic: μ, with σ = clip(e^τ, 1e-6, 1e6) from the layout entry
 * "log_sigma"; heteroscedastic: (μ, η) pairs, σ = clip(e^η); classifiers:
 * logits; GPT: logits [n × T × V]). SMILE_EINVAL for indices outside the
 * data, missing arrays or a workspace of another model. */
smile_status smile_model_forward(const smile_model *m, smile_model_workspace *ws,
                                 const float *theta, const smile_data_view *data,
                                 const uint32_t *idx, size_t n, float *out);

/* Log-likelihood of examples idx[0..n) (idx NULL: 0..n-1):
 *   *loglik = Σ_i log p(y_i | x_i, θ)   (double; GPT: sum over all n·T tokens)
 * and, if grad != NULL, grad[d] += scale · ∇_θ Σ_i log p(y_i | x_i, θ)
 * (ACCUMULATES, so chunks and the prior can be added). No prior here.
 * SMILE_EINVAL (nothing accumulated) for an index outside the data, a label
 * or token outside [0, classes), missing targets. */
smile_status smile_model_loglik_grad(const smile_model *m, smile_model_workspace *ws,
                                     const float *theta, const smile_data_view *data,
                                     const uint32_t *idx, size_t n, double scale,
                                     double *loglik, float *grad);

/* Prior N(0, σ_p²) on every coordinate: returns Σ_j log N(θ_j; 0, σ_p²)
 * (with its normalising constant) and, if grad != NULL, grad[j] = −θ_j/σ_p²
 * (OVERWRITES grad). */
double smile_prior_gauss(const float *theta, size_t d, double sigma_p, float *grad);

/* FLOPs of one gradient evaluation (forward + backward) on n examples: the
 * matrix products only (dense, convolution, attention), formula in
 * docs/flops.md. */
double smile_model_flops(const smile_model *m, size_t n);

/* Process-wide: n OpenMP threads inside ONE evaluation (n <= 0: number of
 * CPUs); OpenBLAS is set single-threaded (the kernels split large products
 * across the OpenMP threads). Chains evaluating in a parallel region run
 * their kernels single-threaded (nested parallelism off). Results do not
 * depend on n. */
void smile_model_set_threads(int n);

/* ---- Posterior adapter: the sampler target of samplers.md §1.3 --------- */
/* log p̂(θ; b) = log prior(θ) + s · Σ_{i∈b} log p(y_i | x_i, θ), with the
 * batch's indices and scale s (idx NULL = the full data, s = 1). Holds one
 * workspace per chain (batch.chain selects it), so K chains may call the
 * target concurrently from K threads; no allocation per call. Batches
 * larger than max_batch are evaluated in chunks (gradients accumulate). */
typedef struct smile_posterior smile_posterior;

smile_status smile_posterior_init(smile_posterior **p, const smile_model *m,
                                  const smile_data_view *data, int n_chains, size_t max_batch,
                                  char *msg, size_t msg_len);
void smile_posterior_free(smile_posterior *p); /* NULL: no-op */
/* {d, smile_posterior_logdensity, p, logp_only_ok = 1}: grad == NULL
 * computes log p̂ only (forward pass, no backward). */
smile_target smile_posterior_target(smile_posterior *p);
/* The smile_logdensity_fn (user = smile_posterior *). Returns non-zero for
 * a chain index outside [0, n_chains) or an index outside the data. */
int smile_posterior_logdensity(void *user, const float *x, const smile_batch *b, double *logp,
                               float *grad);
/* The model workspace of chain k (e.g. for predictions in that thread). */
smile_model_workspace *smile_posterior_workspace(smile_posterior *p, int chain);
/* END SECTION model */

/* ======================================================================== */
/* Data sets                                                                */
/* ======================================================================== */
/* BEGIN SECTION data (owned by src/data) */
/* Data sets of experiments.md §2–§6: loaders, splits, mini-batch gathering,
 * the "basic" augmentation (§4.3) and character-level text windows (§6.1).
 * Every loader validates strictly and fails with SMILE_EIO (cannot open/read)
 * or SMILE_EFORMAT (malformed content); the message names the file and the
 * 1-based line (text) or the record / byte offset (binary). */

typedef enum {
    SMILE_DATA_AUTO = 0,       /* infer from the path (smile_dataset_load)      */
    SMILE_DATA_UCI = 1,        /* numeric text table, target = last column §2    */
    SMILE_DATA_FMNIST = 2,     /* Fashion-MNIST IDX(.gz) folder §3.1             */
    SMILE_DATA_CIFAR10 = 3,    /* CIFAR-10 binary folder or .tar.gz §4.1         */
    SMILE_DATA_IMAGENETTE = 4, /* Imagenette JPEG folder or .tgz §5.1            */
    SMILE_DATA_TEXT = 5        /* UTF-8 character text §6.1                      */
} smile_data_task;

const char *smile_data_task_name(smile_data_task t); /* "uci", "fmnist", ...   */
/* Accepts the names above (and "auto"); SMILE_EINVAL otherwise. */
smile_status smile_data_task_from_name(const char *name, smile_data_task *out);

typedef enum { SMILE_SPLIT_TRAIN = 0, SMILE_SPLIT_VALID = 1, SMILE_SPLIT_TEST = 2 } smile_split;

/* Chain index of the RNG stream used for the split permutation:
 * smile_rng_init(r, seed, SMILE_DATA_SPLIT_CHAIN, SMILE_RNG_DATA). Chains and
 * DE members use their own index for augmentation, so no stream collides. */
#define SMILE_DATA_SPLIT_CHAIN UINT64_C(0xFFFFFFFFFFFFFFFF)

typedef struct {
    uint64_t seed;            /* run seed r: split permutation (§0.6)            */
    int check_official_sizes; /* 1: require the official record counts
                                 (FMNIST 60,000/10,000 images; CIFAR 10,000
                                 records per file). Tests set 0.             */
    int image_size;           /* Imagenette resize target (160, §5.2)          */
    int threads;              /* JPEG decoding threads, 0 = OpenMP default      */
} smile_data_options;

smile_data_options smile_data_options_default(void);

/* A loaded, preprocessed and split data set. Rows are in split order: train
 * rows [split_begin[0], split_end[0]), then valid, then test (contiguous).
 * Images: NHWC, feature_dim = height*width*channels. Text: tokens only. */
typedef struct {
    smile_data_task task;
    char *source;             /* path it was loaded from                        */
    size_t n;                 /* rows (tokens for text)                         */
    size_t feature_dim;       /* floats per row of x (0 for text)               */
    size_t height, width, channels; /* images; 0 otherwise                      */
    size_t n_classes;         /* classification classes / text vocabulary; 0 = regression */
    float *x;                 /* [n × feature_dim] row-major, or NULL (text)    */
    float *y;                 /* [n] standardised regression target, or NULL    */
    int32_t *labels;          /* [n] class labels 0..n_classes-1, or NULL       */
    int32_t *tokens;          /* [n] text token ids, or NULL                    */
    uint32_t *orig_index;     /* [n] row's index in the source order (UCI: file
                                 row; images: official train rows then test) */
    size_t split_begin[3], split_end[3];
    /* UCI standardisation (§2.2): z = (v − mean)/std, std = 1 for a constant
     * column. Targets in original units: y·y_std + y_mean. */
    double y_mean, y_std;
    double *x_mean, *x_std;   /* [feature_dim] (UCI only, else NULL)            */
    /* Images: x = (p·pixel_scale − ch_mean[c]) / ch_std[c] for 8-bit pixel p.  */
    double pixel_scale, ch_mean[3], ch_std[3];
    char **class_names;       /* [n_classes] (classification), else NULL        */
    /* Text: vocab[id] = Unicode code point, sorted; pad_id = vocab_size.      */
    uint32_t *vocab;
    size_t vocab_size;
    int32_t pad_id;
} smile_dataset;

/* All loaders: on failure *ds is left zeroed (smile_dataset_free is a no-op).
 * Picks the loader by task (AUTO: by path — *.data → uci, *.txt → text,
 * *.tar.gz or *.tgz → cifar10 or imagenette by content, folder with
 * train-images-idx3-ubyte[.gz] → fmnist, with data_batch_1.bin → cifar10,
 * with train/ and val/ → imagenette) and loads with opts (NULL = defaults). */
smile_status smile_dataset_load(smile_dataset *ds, smile_data_task task, const char *path,
                                const smile_data_options *opts, char *msg, size_t msg_len);
/* Individual loaders (path conventions as in experiments.md §2.1–§6.1). */
smile_status smile_dataset_load_uci(smile_dataset *ds, const char *file, uint64_t seed,
                                    char *msg, size_t msg_len);
smile_status smile_dataset_load_fmnist(smile_dataset *ds, const char *dir,
                                       const smile_data_options *opts, char *msg,
                                       size_t msg_len);
smile_status smile_dataset_load_cifar10(smile_dataset *ds, const char *dir_or_tgz,
                                        const smile_data_options *opts, char *msg,
                                        size_t msg_len);
smile_status smile_dataset_load_imagenette(smile_dataset *ds, const char *dir_or_tgz,
                                           const smile_data_options *opts, char *msg,
                                           size_t msg_len);
smile_status smile_dataset_load_text(smile_dataset *ds, const char *file, char *msg,
                                     size_t msg_len);
void smile_dataset_free(smile_dataset *ds);

size_t smile_dataset_split_size(const smile_dataset *ds, smile_split s);
/* Split rule: n_tr = ⌊n·f_train⌋, n_tr+va = ⌊n·(f_train + f_valid)⌋ with the
 * sum and products in IEEE double (§2.2). */
void smile_split_sizes(size_t n, double f_train, double f_valid, size_t *n_train,
                       size_t *n_valid, size_t *n_test);
/* One readable paragraph: sizes, shapes, per-split class counts. */
void smile_dataset_describe(const smile_dataset *ds, char *buf, size_t len);

/* Copies the rows of batch b (b->idx = row indices into the TRAIN split, or
 * idx == NULL: all train rows) into caller buffers x [size × feature_dim],
 * y [size], labels [size]; any output may be NULL. Allocates nothing.
 * SMILE_EINVAL for an index outside the split (nothing useful copied). */
smile_status smile_dataset_gather(const smile_dataset *ds, const smile_batch *b, float *x,
                                  float *y, int32_t *labels);
/* Same for rows idx[0..n) of split s (idx == NULL: the first n rows). */
smile_status smile_dataset_gather_rows(const smile_dataset *ds, smile_split s,
                                       const uint32_t *idx, size_t n, float *x, float *y,
                                       int32_t *labels);

/* "basic" augmentation of §4.3, in place on n NHWC images x [n × H × W × C]:
 * per image, mirror left–right with probability 0.5, then with probability
 * 0.95 crop ⌊0.7H⌋ × ⌊0.7W⌋ at a uniform offset and resize back to H × W
 * (bilinear, half-pixel centres). truncate = 1 casts results to integers by
 * truncation (uint8-valued data, e.g. CIFAR §4.2). scratch: [H × W × C]. */
void smile_augment_basic(float *x, size_t n, size_t H, size_t W, size_t C, int truncate,
                         smile_rng *rng, float *scratch);
/* truncate flag matching the data set's pixel representation. */
int smile_augment_truncate_for(const smile_dataset *ds);

/* Character text (§6.1). Encode UTF-8 with the data set's vocabulary:
 * writes up to cap ids, *n_out = number of code points; SMILE_EFORMAT for
 * invalid UTF-8 or a character outside the vocabulary. */
smile_status smile_text_encode(const smile_dataset *ds, const char *utf8, size_t len,
                               int32_t *out, size_t cap, size_t *n_out, char *msg,
                               size_t msg_len);
/* Decode ids to UTF-8 (NUL-terminated, truncated to fit); returns the bytes
 * needed without the NUL. The pad id and unknown ids decode to '?'. */
size_t smile_text_decode(const smile_dataset *ds, const int32_t *ids, size_t n, char *buf,
                         size_t len);
/* B random window starts, each uniform on {0, …, n_split − T − 2} (§6.1:
 * n_split − 258 at T = 256), relative to the split's first token.
 * SMILE_EINVAL if the split is shorter than T + 2 tokens. */
smile_status smile_text_sample_windows(const smile_dataset *ds, smile_split s, size_t T,
                                       size_t B, smile_rng *rng, uint32_t *starts);
/* inputs[b·T + t] = tok[start_b + t], targets[b·T + t] = tok[start_b + t + 1]
 * within split s; either output may be NULL. Allocates nothing. */
smile_status smile_text_gather_windows(const smile_dataset *ds, smile_split s,
                                       const uint32_t *starts, size_t B, size_t T,
                                       int32_t *inputs, int32_t *targets);
/* ⌊⌊n_split / T⌋ / B⌋, at least 1 (§6.1 n_b). */
size_t smile_text_n_batches(const smile_dataset *ds, smile_split s, size_t T, size_t B);
/* END SECTION data */

/* ======================================================================== */
/* Evaluation metrics (metrics.md)                                          */
/* ======================================================================== */
/* BEGIN SECTION metrics (owned by src/metrics) */
/* Posterior samples θ_{k,s} (chain k < K, sample s < S_k) are pooled with
 * equal weight (metrics.md §0). Predictions are streamed into an accumulator
 * one (chain, sample, range of test points) at a time, so K×S×n arrays are
 * only held where a metric needs them (regression coverage, function-space
 * diagnostics; see smile_metrics_params). All sums are in double. Regression
 * metrics are in the standardised target space (§0.2). */

typedef enum {
    SMILE_METRICS_REGRESSION = 0,     /* Gaussian likelihood, §1.1          */
    SMILE_METRICS_CLASSIFICATION = 1, /* softmax over C classes, §3, §4     */
    SMILE_METRICS_TEXT = 2            /* per-token softmax (GPT key set), §6 */
} smile_metrics_task;

typedef enum {
    SMILE_METRICS_PHASE_SAMPLING = 0, /* JSON "sampling"                      */
    SMILE_METRICS_PHASE_ENSEMBLE = 1  /* JSON "ensemble_initialization" (S=1)  */
} smile_metrics_phase;

typedef enum {
    SMILE_COVERAGE_DRAWS = 0, /* §5.1 predictive draws (reference rule)        */
    SMILE_COVERAGE_EXACT = 1  /* §5.1 [proj]: exact mixture quantiles (O(KS)
                                 CDF evaluations per bisection/Newton step)  */
} smile_coverage_method;

#define SMILE_METRICS_MAX_LEVELS 8
#define SMILE_METRICS_ECE_BINS 10
/* smile_rng purposes of the metric draws (keyed with params.seed). */
#define SMILE_RNG_METRICS_CLASS_DRAW 0x4D455431u /* label draws, §4.2 step 3 */
#define SMILE_RNG_METRICS_REG_DRAW 0x4D455432u   /* predictive draws, §5.1   */
#define SMILE_RNG_METRICS_ORDER 0x4D455433u      /* chain orderings, §1.3    */

typedef struct {
    smile_metrics_task task;
    smile_metrics_phase phase;
    size_t n;            /* test points (token positions)                      */
    size_t n_classes;    /* C (classification, text)                           */
    int n_chains;        /* K (ensemble phase: members)                        */
    size_t max_samples;  /* S: samples per chain, upper bound (ensemble: 1)    */
    /* regression */
    int heteroscedastic; /* 1: per-point log σ (MILE model); 0: per-sample τ   */
    int de_spread;       /* 1: §1.2 DE member-spread predictive (homoscedastic,
                            ensemble phase, S = 1; log σ inputs ignored)       */
    int coverage;        /* §5 (default 1; stores μ, and per-point log σ when
                            heteroscedastic, as float: 4 K S n bytes each)     */
    smile_coverage_method coverage_method;
    size_t n_levels;     /* nominal levels A (default {0.8, 0.9, 0.95})        */
    double levels[SMILE_METRICS_MAX_LEVELS];
    double y_scale;      /* s_y > 0: also report LPPD, RMSE in original units  */
    /* predictive draws per posterior sample (§4.2 step 3, §5.1); 0 = auto:
       1 when sampling; ensemble: 1000 (regression), 100 (classification) —
       set n_samples/n_thinning of the matching sampling run when known      */
    size_t draws_per_sample;
    int calib_argmax;    /* §4.2 deterministic option: argmax majority vote    */
    /* chain-resolved curves (§1.3) */
    int running;         /* running LPPD over samples (default 1; S n doubles) */
    int n_orderings;     /* R random chain orderings (default 10; 0 = off)     */
    /* §7.3 [proj] function-space R̂ / bulk-ESS (default 1; stores f as float,
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
    /* §1, all tasks */
    double lppd;
    double *chainwise_lppd;   /* [K]                                         */
    double *running_lppd;     /* [n_running] (m = 1..max S_k) or NULL        */
    size_t n_running;
    double *seq_chain_lppd;   /* [K] chains added in index order             */
    double *seq_chain_lppd_mean, *seq_chain_lppd_std; /* [K] over orderings  */
    int n_orderings;
    /* §2, §5 regression */
    double rmse;
    double *chainwise_rmse;   /* [K]                                         */
    size_t n_levels;
    double levels[SMILE_METRICS_MAX_LEVELS], coverage[SMILE_METRICS_MAX_LEVELS],
        width[SMILE_METRICS_MAX_LEVELS];
    double calib_error_rms, calib_error_reference, calib_gap;
    double y_scale, lppd_orig, rmse_orig;
    /* §3, §4 classification (and text) */
    double acc_majority, acc_bma, nll_bma, nll_mean_sample, brier;
    double ece_top_label;
    size_t rel_count[SMILE_METRICS_ECE_BINS];
    double rel_acc[SMILE_METRICS_ECE_BINS], rel_conf[SMILE_METRICS_ECE_BINS];
    double ece_true_class, ce_reference;
    double f1_macro, auroc, aurc;
    /* §6 text */
    double perplexity, perplexity_mean_sample;
    double *chain_accuracy, *chain_perplexity; /* [K] (classification, text) */
    /* §7.3 [proj]: over the evaluated test points */
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
/* §1.2 DE phase of the homoscedastic model: mu[K][n] member means
 * (sets phase = ensemble, de_spread = 1, max_samples = 1). */
smile_status smile_metrics_regression_de(const smile_metrics_params *p, const double *y,
                                         const float *mu, smile_metrics *out, char *msg,
                                         size_t msg_len);
smile_status smile_metrics_classification(const smile_metrics_params *p, const int32_t *labels,
                                          const float *logits, smile_metrics *out, char *msg,
                                          size_t msg_len);

/* Writes the keys of metrics.md §8 for m->task into the cJSON object obj
 * (snake_case; non-finite numbers as null; level keys coverage_80, width_95,
 * ...; function-space values in the sub-object "function_space_proj"). */
struct cJSON;
smile_status smile_metrics_to_json(const smile_metrics *m, struct cJSON *obj);

/* Building blocks (also used by the accumulator). */
/* LSE(a) = a* + log Σ exp(a_j − a*) (−inf for m == 0). */
double smile_logsumexp(const double *a, size_t m);
/* §5.2 empirical quantile of sorted v[m], linear interpolation, q in [0,1]. */
double smile_quantile_sorted(const double *v, size_t m, double q);
/* §4.1 textbook ECE of BMA probabilities pbar[n][C] with n_bins equal-width
 * bins ((m−1)/M, m/M]; optional reliability table [n_bins]. */
smile_status smile_ece_top_label(const double *pbar, const int32_t *labels, size_t n, size_t C,
                                 size_t n_bins, double *ece, size_t *bin_count, double *bin_acc,
                                 double *bin_conf);
/* §4.2 reference variant: bins by q_i = pbar[i][y_i] (q = 0 in no bin),
 * accuracy of the given labels pred[n]; *ece = Σ (|B_m|/Σ|B|) |gap_m| (0 if no
 * point is binned), *ce_ref = ece / n_bins (κ = 0). */
smile_status smile_ece_true_class(const double *pbar, const int32_t *labels, const int32_t *pred,
                                  size_t n, size_t C, size_t n_bins, double *ece, double *ce_ref);
/* §3.4 scores. f1: macro over classes present in labels (C == 2: class 1).
 * auroc: one-vs-rest Mann–Whitney macro mean (NaN if no class has both
 * positives and negatives). aurc: risk–coverage area of argmax pbar. */
double smile_f1_macro(const int32_t *pred, const int32_t *labels, size_t n, size_t C);
double smile_auroc_ovr(const double *pbar, const int32_t *labels, size_t n, size_t C);
double smile_aurc(const double *pbar, const int32_t *labels, size_t n, size_t C);
/* END SECTION metrics */

/* ======================================================================== */
/* Files, deep-ensemble warm start, the fit pipeline (src/io, src/ensemble) */
/* ======================================================================== */
/* BEGIN SECTION ensemble (owned by src/ensemble, src/io) */

/* ---- Crash-safe files (src/io) ------------------------------------------
 * Every output file is written under a temporary name and renamed into place
 * after fflush + fsync, so a reader (or a run killed with SIGKILL) never sees
 * a truncated file under its final name. One-shot writes use the temporary
 * name "<path>.tmp.<pid>"; files streamed over a long run use the stable name
 * "<path>.partial" so that a resumed run can continue them. */

/* A file being written: data goes to `tmp`, commit renames it to `path`. */
typedef struct {
    void *fp;   /* FILE * */
    char *path; /* final name                                   */
    char *tmp;  /* name while being written                     */
} smile_afile;

/* Opens "<path>.tmp.<pid>" for writing (truncating). */
smile_status smile_afile_open(smile_afile *f, const char *path, char *msg, size_t msg_len);
/* Opens "<path>.partial": keep_bytes < 0 creates/truncates it; otherwise the
 * existing partial file is cut to keep_bytes (SMILE_EIO / SMILE_EFORMAT when it
 * is missing or shorter) and writing continues at its end. */
smile_status smile_afile_open_partial(smile_afile *f, const char *path, long long keep_bytes,
                                      char *msg, size_t msg_len);
smile_status smile_afile_write(smile_afile *f, const void *buf, size_t len, char *msg,
                               size_t msg_len);
/* fflush + fsync (checkpoints: everything written so far is on disk). */
smile_status smile_afile_sync(smile_afile *f, char *msg, size_t msg_len);
/* fflush, fsync, close, rename to the final name, fsync the directory. */
smile_status smile_afile_commit(smile_afile *f, char *msg, size_t msg_len);
/* Closes and removes the temporary file (no-op on a closed smile_afile). */
void smile_afile_abort(smile_afile *f);
/* Closes without removing (a partial file to be resumed later). */
void smile_afile_close_keep(smile_afile *f);

/* Whole buffer to path, atomically. */
smile_status smile_write_file_atomic(const char *path, const void *buf, size_t len, char *msg,
                                     size_t msg_len);
/* Reads a whole file (NUL-terminated, *len without the NUL); free() it. */
smile_status smile_read_file(const char *path, char **buf, size_t *len, char *msg,
                             size_t msg_len);
/* mkdir -p (mode 0777 & ~umask). */
smile_status smile_mkdir_p(const char *dir, char *msg, size_t msg_len);
/* "dir/name" into a fresh malloc'd string (NULL when out of memory). */
char *smile_path_join(const char *dir, const char *name);

/* JSON through cJSON: formatted text + '\n', written atomically. */
smile_status smile_json_write_file(const char *path, const struct cJSON *obj, char *msg,
                                   size_t msg_len);
/* Parses a file; *out to be freed with cJSON_Delete. SMILE_EFORMAT names the
 * file and the line of the parse error. */
smile_status smile_json_read_file(const char *path, struct cJSON **out, char *msg,
                                  size_t msg_len);

/* ---- .npy files of float32 [rows, cols] (NumPy format 1.0, C order) -----
 * The writer streams rows into "<path>.partial" behind a fixed 128-byte
 * header whose shape field is patched when the file is finished (shape
 * (rows, cols) with rows >= 0), then renames it to path. numpy.load reads the
 * result; so does smile_npy_read. */
#define SMILE_NPY_HEADER_BYTES 128
typedef struct {
    smile_afile file;
    size_t cols;
    uint64_t rows;
} smile_npy_writer;

/* resume_rows < 0: new file; otherwise continue the partial file after its
 * first resume_rows rows (later rows are dropped). */
smile_status smile_npy_writer_open(smile_npy_writer *w, const char *path, size_t cols,
                                   long long resume_rows, char *msg, size_t msg_len);
smile_status smile_npy_writer_append(smile_npy_writer *w, const float *row, char *msg,
                                     size_t msg_len);
/* Header with the current row count + fsync: the partial file is a valid
 * .npy of the rows written so far. */
smile_status smile_npy_writer_sync(smile_npy_writer *w, char *msg, size_t msg_len);
smile_status smile_npy_writer_finish(smile_npy_writer *w, char *msg, size_t msg_len);
void smile_npy_writer_abort(smile_npy_writer *w);      /* removes the partial file */
void smile_npy_writer_close_keep(smile_npy_writer *w); /* keeps it for a resume   */
/* Whole array, atomically. */
smile_status smile_npy_write(const char *path, const float *data, size_t rows, size_t cols,
                             char *msg, size_t msg_len);
/* Header of a float32 C-order 2-D (or 1-D: cols = 1) .npy file; *data_offset
 * = byte offset of the first value. SMILE_EFORMAT for anything else or a file
 * size that does not match the shape. */
smile_status smile_npy_read_header(const char *path, size_t *rows, size_t *cols,
                                   size_t *data_offset, char *msg, size_t msg_len);
/* Whole array into a malloc'd buffer (free()); *data may be NULL when rows = 0. */
smile_status smile_npy_read(const char *path, float **data, size_t *rows, size_t *cols,
                            char *msg, size_t msg_len);

/* ---- CSV traces: header line + one line per row, streamed into a partial
 * file and renamed on finish. */
typedef struct {
    smile_afile file;
    uint64_t rows;
} smile_csv_writer;

/* header: the column names line without '\n'. resume_bytes < 0: new file;
 * otherwise continue the partial file cut at resume_bytes (a value from
 * smile_csv_writer_bytes), resume_rows rows after the header. */
smile_status smile_csv_writer_open(smile_csv_writer *w, const char *path, const char *header,
                                   long long resume_bytes, uint64_t resume_rows, char *msg,
                                   size_t msg_len);
/* One row of printf-formatted text ('\n' appended). */
smile_status smile_csv_writer_row(smile_csv_writer *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
long long smile_csv_writer_bytes(const smile_csv_writer *w); /* bytes written so far */
smile_status smile_csv_writer_sync(smile_csv_writer *w, char *msg, size_t msg_len);
smile_status smile_csv_writer_finish(smile_csv_writer *w, char *msg, size_t msg_len);
void smile_csv_writer_abort(smile_csv_writer *w);
void smile_csv_writer_close_keep(smile_csv_writer *w);

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

double smile_lr_schedule_at(const smile_lr_schedule *s, int64_t u);
smile_status smile_lr_schedule_validate(const smile_lr_schedule *s, char *msg, size_t msg_len);

/* AdamW with decoupled weight decay on all parameters (S§9.5):
 * θ ← θ − η (m̂/(√v̂ + 1e-8) + λθ), bias-corrected moments, t = 1, 2, … */
typedef struct {
    size_t d;
    double beta1, beta2, eps, weight_decay;
    int64_t t;
    float *m, *v; /* [d] */
} smile_adamw;

smile_status smile_adamw_init(smile_adamw *a, size_t d, double beta1, double beta2,
                              double weight_decay, char *msg, size_t msg_len);
/* One update with gradient g[d] of the batch-mean loss; coordinates with
 * frozen[j] != 0 are left untouched (frozen may be NULL). */
void smile_adamw_step(smile_adamw *a, float *theta, const float *g, double lr,
                      const unsigned char *frozen);
void smile_adamw_free(smile_adamw *a);

/* E§0.5 [ref] early stopping after epoch n, given the validation losses
 * losses[0..n) of epochs 1..n: 1 = stop. */
int smile_early_stop(const double *losses, size_t n, int patience);

/* smile_rng purpose of the DE batch streams (seed derivation, see de.c). */
#define SMILE_RNG_DE_BATCH 0x44454231u

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
smile_status smile_de_params_validate(const smile_de_params *p, char *msg, size_t msg_len);
/* Seed of member k's DE batch stream (independent of the sampler streams). */
uint64_t smile_de_stream_seed(uint64_t seed, int member);

typedef struct {
    int epochs;             /* epochs run                                   */
    int stopped_early;
    int best_epoch;         /* 1-based; 0 = no finite validation loss       */
    double best_valid_loss, last_valid_loss; /* mean NLL (NaN if none)      */
    int64_t updates;        /* optimiser steps = batch gradient evaluations */
    int restored;           /* best-validation parameters restored          */
    int nonfinite;          /* final parameters contain NaN / inf           */
} smile_de_member_report;

/* Trains p->members members on `train`, early stopping on `valid`; writes
 * theta[K][d] and rep[K]. stop (may be NULL): checked before every batch,
 * non-zero → SMILE_EINTERRUPTED. Results do not depend on p->threads. */
smile_status smile_de_train(const smile_model *m, const smile_data_view *train,
                            const smile_data_view *valid, const smile_de_params *p, float *theta,
                            smile_de_member_report *rep, volatile const int *stop, char *msg,
                            size_t msg_len);

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
/* config.json ↔ struct (the JSON also carries the library version). */
smile_status smile_fit_config_to_json(const smile_fit_config *c, struct cJSON **out);
smile_status smile_fit_config_from_json(const struct cJSON *j, smile_fit_config *c, char *msg,
                                        size_t msg_len);

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
 * be NULL) receives metrics.json's object (cJSON_Delete it).
 * SMILE_EINTERRUPTED when stopped through rt->stop (checkpoints written). */
smile_status smile_fit_execute(smile_fit *f, struct cJSON **metrics, char *msg, size_t msg_len);
void smile_fit_free(smile_fit *f);
/* Recomputes metrics.json of a finished run directory from its stored DE
 * members and samples (settings from config.json; include_diverged < 0 and
 * min_gap < 0: as configured; min_gap ≥ 0 replaces the divergence rule's
 * floor, e.g. to re-evaluate runs made with another default). */
smile_status smile_fit_eval(const char *dir, const smile_fit_runtime *rt, int include_diverged,
                            double min_gap, struct cJSON **metrics, char *msg, size_t msg_len);

/* The divergence rule on per-member scores ll[K] (mean train log-likelihood
 * per point; non-finite = diverged): out[k] = 1 if diverged. Threshold:
 * median(H) − max(min_gap, mad_factor · 1.4826 · MAD(H)), H = the upper half
 * (⌈n/2⌉ largest) of the n finite scores. */
void smile_fit_diverged(const double *ll, int K, double min_gap, double mad_factor, int *out,
                        double *threshold);

/* END SECTION ensemble */

#ifdef __cplusplus
}
#endif
#endif /* SMILE_H */
