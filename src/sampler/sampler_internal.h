/* Private interface between the chain driver (chain.c) and the sampler
 * kernels. Each family implements alloc / begin_phase / step. */
#ifndef SMILE_SAMPLER_INTERNAL_H
#define SMILE_SAMPLER_INTERNAL_H

#include "core/core.h"

/* SMILE energy tuner (docs/method.md, section 5.4). The step size it adapts is the chain's c->eps,
 * passed by pointer: the tuner keeps only its statistics. */
typedef struct {
    double reset_prob, adaption_prob, adaption_strength, smoothing;
    double z_reset, z_up, z_low; /* precomputed quantiles (±inf when disabled) */
    double mE, sE;
    int64_t t;
} smile_energy_tuner;

typedef struct {
    double T_reset, T_up, T_low; /* NaN when t < 10 */
    int reset, eps_down, eps_up;
} smile_tuner_decision;

/* Settling tuner of smile-auto / psmile-auto, our addition (docs/tuner.md):
 * Robbins–Monro on log ε toward E[ΔE_b²]/d = target, where ΔE_b is the
 * energy error measured on one batch (scales with ε, so a fixed point
 * exists), plus an absolute reset guardrail ΔE_b² > factor·d·target. */
typedef struct {
    double target, gain, clip, smoothing, reset_factor;
    double reset_shrink; /* ε ← ε·reset_shrink on a ΔE_b reset (init: 0.5) */
    double v;      /* EMA of ΔE_b² (NaN until the first finite value) */
    int64_t t;
} smile_auto_tuner;
typedef struct {
    int reset, eps_down, eps_up;
    double h; /* clipped log(v/(d·target)) */
} smile_auto_decision;
/* Typical-set guard of the auto variants (docs/tuner.md, section 3): EMA mean
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

/* The chain's tuning state (smile_chain.tuning, allocated by smile_chain_init):
 * the energy statistics m_E, s_E, t (kept for every isokinetic variant, also
 * with the tuner off), the settling tuner of the auto variants, their
 * typical-set guard and its snapshots. */
struct smile_tuning {
    smile_energy_tuner tuner;
    smile_auto_tuner autotune;
    smile_logp_guard lguard;
    /* auto variants (NULL otherwise): the velocity before the step, which
     * their resets restore (docs/tuner.md, section 3); rollback snapshots
     * [d] of the guard: a candidate (x, u) taken every
     * SMILE_AUTO_SNAPSHOT_EVERY steps becomes the "good" one after that many
     * more steps without an alarm */
    float *u_prev, *x_cand, *u_cand, *x_good, *u_good;
    int u_zero_cand, u_zero_good, have_cand, have_good;
    /* consecutive non-finite steps up to this one (0 after a finite step):
     * an isolated non-finite event resets the chain but leaves the step size
     * and the tuner alone; only a repeated one shrinks ε (docs/hardening.md) */
    int nonfinite_streak;
};

/* Sampler families. */
static inline int smile_kind_is_isokinetic(smile_sampler_kind k) {
    return k <= SMILE_SAMPLER_PSMILE || k == SMILE_SAMPLER_SMILE_AUTO ||
           k == SMILE_SAMPLER_PSMILE_AUTO;
}
static inline int smile_kind_is_sg(smile_sampler_kind k) {
    return k >= SMILE_SAMPLER_SGLD && k <= SMILE_SAMPLER_ADASGHMC;
}
static inline int smile_kind_is_auto(smile_sampler_kind k) {
    return k == SMILE_SAMPLER_SMILE_AUTO || k == SMILE_SAMPLER_PSMILE_AUTO;
}
/* Typical-set guard of the auto variants (docs/tuner.md, section 3): EMA rate
 * of the log-density statistics, alarm band in standard deviations, and the
 * rollback snapshot interval in steps (a rollback loses < 2x that). */
#define SMILE_AUTO_GUARD_RATE 0.01
#define SMILE_AUTO_GUARD_K 20.0
#define SMILE_AUTO_SNAPSHOT_EVERY 100

/* ---- SG-MCMC baselines (sgmcmc.c): SGLD, cSGLD, SGHMC, adaSGHMC ---- */
/* Allocate family-specific buffers of c (called from smile_chain_init after
 * the common buffers x, g, scratch exist; u doubles as SGHMC momentum p /
 * adaSGHMC v). Returns SMILE_ENOMEM on failure. */
smile_status smile_sg_alloc(smile_chain *c);
/* Called when a phase starts (c->phase, c->phase_len already set). */
void smile_sg_begin_phase(smile_chain *c);
/* One step; fills info (flags, eps, grad_evals, logp, grad_norm, sanitised). */
void smile_sg_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                   smile_step_info *info);
/* adaSGHMC balance check max_i σ_i < 2m/ε² (ε = c->eps; docs/method.md,
 * section 7.4): 1 ok, 0 fails, -1 not adaSGHMC. */
int smile_adasghmc_balance_ok(const smile_chain *c);

/* ---- Isokinetic family (isokinetic.c, smile.c, mclmc.c) ---- */
void smile_smile_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                      smile_step_info *info);
void smile_mclmc_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                      smile_step_info *info);
smile_status smile_mclmc_begin_warmup(smile_chain *c, const smile_target *t, int64_t n,
                                      char *msg, size_t msg_len);
smile_status smile_mclmc_begin_sampling(smile_chain *c, const smile_target *t, char *msg,
                                        size_t msg_len);
void smile_mclmc_free(smile_chain *c);

/* MILE energy-variance step-size predictor (docs/method.md, section 4.4),
 * exposed for tests (its fixed point on synthetic energy errors). */
typedef struct {
    double X, Ww, eps_max, r, trust;
} smile_mile_predictor;
void smile_mile_predictor_init(smile_mile_predictor *pr, double n_eff, double trust);
double smile_mile_predictor_update(smile_mile_predictor *pr, double dE, double eps,
                                   double target, size_t d);

/* The float integrator driver (docs/method.md, section 3.5) on the chain's state (x, u, g, logp):
 * n_int integrator steps on batch b with preconditioner D (NULL = none),
 * one callback evaluation into c->g / c->logp after every position sub-step.
 * sanitise: clip finite entries to ±c->p.grad_clip and count (info, which
 * may be NULL without sanitise); a
 * non-finite entry then stops the step unless reference_sanitise. Without
 * sanitise the gradient is left as returned. Stops at the first failed
 * evaluation (callback error or non-finite log density) and sets *bad.
 * Returns ΔK summed over all velocity sub-steps; *evals counts evaluations. */
double smile_chain_integrate(smile_chain *c, const smile_target *t, const smile_batch *b,
                             const float *D, double eps, int sanitise, int *bad, int *evals,
                             smile_step_info *info);

/* Sanitise a raw gradient in place: NaN, ±Inf -> 0, clip finite entries to
 * ±clip. Returns the number of changed entries; *nonfinite counts NaN/Inf
 * entries. */
int64_t smile_grad_sanitise(float *g, size_t d, double clip, int64_t *nonfinite);

/* ======================================================================== */
/* Isokinetic building blocks (exposed for tests and custom kernels)        */
/* ======================================================================== */

/* Velocity update U(u, h, eps, c) (docs/method.md, section 3.2), in place on u[d] with h = D ⊙ g
 * (D may be NULL = identity). *u_zero tracks u == 0. Returns ΔK. */
double smile_isokinetic_velocity_update(float *u, int *u_zero, const float *g, const float *D,
                                        double eps, double c, size_t d);
double smile_isokinetic_velocity_update_d(double *u, int *u_zero, const double *g,
                                          const double *D, double eps, double c, size_t d);
/* Coefficient table of an integrator: *n entries c0..c_{2m}; returns m. */
int smile_integrator_coeffs(smile_integrator k, const double **coeffs, int *n);

void smile_energy_tuner_init(smile_energy_tuner *tu, double reset_prob, double adaption_prob,
                             double adaption_strength, double smoothing);

/* Feeds a = |ΔE| of step t and advances t. The decision uses the statistics
 * from before this update (docs/method.md, section 5.3, step 6). resets = 0: never divergent;
 * adapt_eps = 0: *eps unchanged (tuner-off variants, frozen sampling);
 * otherwise *eps (the chain's step size) is moved and clipped to [1e-8, 10]. */
smile_tuner_decision smile_energy_tuner_update(smile_energy_tuner *tu, double *eps, double a,
                                               int resets, int adapt_eps);

/* Non-finite step (our rule): no statistics update; *eps shrinks if adapt. */
void smile_energy_tuner_nonfinite(smile_energy_tuner *tu, double *eps, int adapt);

/* Wilson–Hilferty Gamma quantile with standard-normal quantile z
 * (docs/method.md, section 5.4). */
double smile_wilson_hilferty(double mE, double sE, double z);

void smile_auto_tuner_init(smile_auto_tuner *tu, double target, double gain, double clip,
                           double smoothing, double reset_factor);

/* Feeds the same-batch energy error dE of a step in dimension d and the
 * same-batch log-density change dlogp = ℓ_t(x_t) − ℓ_t(x_{t−1}). Reset when
 * dE² > R·d·target, or when the step lost more than √(R·d·target) nats of
 * log density (a jump out of the typical set, whose log-density spread is
 * only ~√(d/2): caught even when ΔK absorbed it and dE stayed small). */
smile_auto_decision smile_auto_tuner_update(smile_auto_tuner *tu, double *eps, double dE,
                                            double dlogp, size_t d, int adapt_eps);

/* Non-finite step: *eps shrinks as for a maximal h (one clipped step). */
void smile_auto_tuner_nonfinite(smile_auto_tuner *tu, double *eps, int adapt_eps);

void smile_logp_guard_init(smile_logp_guard *g, double rate, double k_sigma, double floor);

int smile_logp_guard_alarm(const smile_logp_guard *g, double lp_new_batch);

void smile_logp_guard_update(smile_logp_guard *g, double lp);

/* ---- Chain driver (drive.c) ---- */
/* SMILE_EINVAL unless n_chains >= 1, warmup, samples >= 0 and thin >= 1. */
smile_status smile_run_params_check(const smile_run_params *rp, char *msg, size_t msg_len);

/* ---- Checkpoint serialisation (serial.c, chain_io.c) ---- */
/* Growing little-endian output buffer; failed = 1 after an allocation
 * failure (later writes are ignored, smile_wbuf_finish reports it). */
typedef struct {
    unsigned char *buf;
    size_t len, cap;
    int failed;
} smile_wbuf;
void smile_wbuf_u32(smile_wbuf *w, uint32_t v);
void smile_wbuf_u64(smile_wbuf *w, uint64_t v);
void smile_wbuf_i32(smile_wbuf *w, int v);
void smile_wbuf_i64(smile_wbuf *w, int64_t v);
void smile_wbuf_f64(smile_wbuf *w, double v);
void smile_wbuf_f32s(smile_wbuf *w, const float *v, size_t n);
void smile_wbuf_f64s(smile_wbuf *w, const double *v, size_t n);
void smile_wbuf_u32s(smile_wbuf *w, const uint32_t *v, size_t n);
void smile_wbuf_blob(smile_wbuf *w, const void *p, size_t n);
void smile_wbuf_rng(smile_wbuf *w, const smile_rng *g);
void smile_wbuf_params(smile_wbuf *w, const smile_sampler_params *p);
/* Frame: magic, format version, library version, payload length (patched by
 * smile_frame_end, which also appends the CRC-32). Returns the frame start. */
size_t smile_frame_begin(smile_wbuf *w, const char magic[8]);
void smile_frame_end(smile_wbuf *w, size_t start);
/* Hands the buffer to the caller (*buf to be free()d) or reports ENOMEM. */
smile_status smile_wbuf_finish(smile_wbuf *w, void **buf, size_t *len, char *msg,
                               size_t msg_len);

/* Reader over a byte range; short_read = 1 once a read ran past the end
 * (reads then return 0). */
typedef struct {
    const unsigned char *p;
    size_t len, pos;
    int short_read;
} smile_rbuf;
uint32_t smile_rbuf_u32(smile_rbuf *r);
uint64_t smile_rbuf_u64(smile_rbuf *r);
int smile_rbuf_i32(smile_rbuf *r);
int64_t smile_rbuf_i64(smile_rbuf *r);
double smile_rbuf_f64(smile_rbuf *r);
void smile_rbuf_f32s(smile_rbuf *r, float *v, size_t n);
void smile_rbuf_f64s(smile_rbuf *r, double *v, size_t n);
void smile_rbuf_u32s(smile_rbuf *r, uint32_t *v, size_t n);
const void *smile_rbuf_blob(smile_rbuf *r, size_t *n);
int smile_rbuf_rng(smile_rbuf *r, smile_rng *g); /* 0: state out of range */
void smile_rbuf_params(smile_rbuf *r, smile_sampler_params *p);
/* Checks a whole buffer holding one frame (size, magic, format version,
 * CRC) and sets *payload to its payload; `what` names it in messages. */
smile_status smile_frame_open(const void *buf, size_t len, const char magic[8], const char *what,
                              smile_rbuf *payload, char *msg, size_t msg_len);
/* SMILE_EFORMAT unless the payload was read exactly to its end. */
smile_status smile_frame_close(const smile_rbuf *r, const char *what, char *msg,
                               size_t msg_len);

/* MCLMC warm-up workspace (mclmc.c): presence flag, then its fields; the
 * loader allocates it for c (phase, phase_step, params already loaded). */
void smile_mclmc_save(const smile_chain *c, smile_wbuf *w);
smile_status smile_mclmc_load(smile_chain *c, smile_rbuf *r, char *msg, size_t msg_len);

/* eps_s and explore_s of step s (docs/method.md, section 7.3). */
double smile_schedule_eps(const smile_schedule *s, int64_t step, int *explore);

#endif
