/* Private interface between the chain driver (chain.c) and the sampler
 * kernels. Each family implements alloc / begin_phase / step. */
#ifndef SMILE_SAMPLER_INTERNAL_H
#define SMILE_SAMPLER_INTERNAL_H

#include "smile_internal.h"

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

#endif
