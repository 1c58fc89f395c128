/* Private interface between the chain driver (chain.c) and the sampler
 * kernels. Each family implements alloc / begin_phase / step. */
#ifndef SMILE_SAMPLER_INTERNAL_H
#define SMILE_SAMPLER_INTERNAL_H

#include "core/core.h"

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
/* [ours] typical-set guard of the auto variants (docs/tuner.md §3): EMA rate
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
/* §9.4 balance check max_i σ_i < 2m/ε² (ε = c->eps): 1 ok, 0 fails, -1 not adaSGHMC. */
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

/* MILE energy-variance step-size predictor (§6.4), exposed for tests (T9). */
typedef struct {
    double X, Ww, eps_max, r, trust;
} smile_mile_predictor;
void smile_mile_predictor_init(smile_mile_predictor *pr, double n_eff, double trust);
double smile_mile_predictor_update(smile_mile_predictor *pr, double dE, double eps,
                                   double target, size_t d);

/* The float integrator driver of §3.2 on the chain's state (x, u, g, logp):
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

/* Sanitise a raw gradient in place: NaN -> 0, clip to ±clip. Returns the
 * number of changed entries; *nonfinite counts NaN/Inf entries. */
int64_t smile_grad_sanitise(float *g, size_t d, double clip, int64_t *nonfinite);

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

void smile_logp_guard_init(smile_logp_guard *g, double rate, double k_sigma, double floor);

int smile_logp_guard_alarm(const smile_logp_guard *g, double lp_new_batch);

void smile_logp_guard_update(smile_logp_guard *g, double lp);

/* eps_s and explore_s of §9.2 for step s. */
double smile_schedule_eps(const smile_schedule *s, int64_t step, int *explore);

#endif
