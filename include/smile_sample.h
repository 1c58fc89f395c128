/*
 * smile_sample.h — sample a target in one call: K chains of one sampler from
 *                  given starting points, warm-up then sampling, the draws and
 *                  a per-step trace written into the caller's arrays.
 *
 * The building blocks (smile_chain_*, smile_run_chains) are in smile.h; this
 * entry point puts them together for callers that only have a target
 * callback and plain numbers, such as the Python package (ctypes) or a
 * program in another language. Mini-batches: with n_data > 0 and
 * 0 < batch_size < n_data each chain reads its own epoch stream of
 * batch_size rows (permuted per epoch, drop-last) with likelihood scale
 * n_data / batch_size; otherwise every step sees the whole data set
 * (smile_batch.idx == NULL, scale 1). MCLMC always reads the whole data set.
 *
 *     smile_sample_params sp = smile_sample_params_default();
 *     sp.sampler = "mclmc"; sp.n_chains = 2; sp.warmup = 1000; sp.samples = 2000;
 *     size_t nd = smile_sample_max_draws(sp.samples, sp.thin);
 *     float *draws = malloc(2 * nd * d * sizeof *draws);
 *     int64_t n_draws[2];
 *     smile_sample_output out = { draws, nd, n_draws };
 *     smile_status st = smile_sample(&target, x0, &sp, &out, msg, sizeof msg);
 */
#ifndef SMILE_SAMPLE_H
#define SMILE_SAMPLE_H

#include "smile.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

typedef struct {
    const char *sampler;   /* name as smile_sampler_from_name; NULL = "psmile-auto"  */
    const smile_sampler_params *params; /* non-NULL: these settings instead of the
                                           defaults of `sampler` (which is then ignored) */
    double step_size;      /* > 0: the initial step size (0 = the sampler's default) */
    int n_chains;          /* >= 1; chain k uses the random streams (seed, k)        */
    int64_t warmup, samples; /* steps per chain (warm-up tunes, sampling emits)      */
    int thin;              /* emit every thin-th sampling step                       */
    size_t n_data;         /* rows of the data set (0: the target has no data)       */
    size_t batch_size;     /* rows per mini-batch (0 or >= n_data: all rows)         */
    uint64_t seed;
    int threads;           /* chains run in parallel OpenMP threads (0 = default)    */
    volatile const int *stop; /* polled after every step: non-zero stops all chains
                                 with SMILE_EINTERRUPTED (a signal handler, or a
                                 target callback that failed, may set it)           */
} smile_sample_params;

/* sampler NULL, step_size 0, 1 chain, warm-up 1000, samples 1000, thin 1, no
 * data, seed 1, threads 0, stop NULL. */
smile_sample_params smile_sample_params_default(void);

/* Draws a chain emits at most for `samples` sampling steps with thinning
 * `thin` (emitted at sampling steps s with s mod thin == 0): ceil(samples/thin). */
size_t smile_sample_max_draws(int64_t samples, int thin);

/* Caller-owned outputs. Any pointer may be NULL (that output is skipped). */
typedef struct {
    float *draws;        /* [n_chains][max_draws][dim], chain-major              */
    size_t max_draws;    /* room per chain (>= smile_sample_max_draws)           */
    int64_t *n_draws;    /* [n_chains]: draws written per chain                  */
    /* per-step trace, [n_chains][warmup + samples] (step index of the chain):   */
    double *eps;         /* step size used                                       */
    double *energy_error;/* ΔE of the step (smile_step_info.dE)                  */
    double *logp;        /* log p̂ at the position after the step                 */
    uint32_t *flags;     /* SMILE_INFO_* flags (RESET, NONFINITE, ...)           */
} smile_sample_output;

/* Runs the chains (smile_run_chains) on target t from x0 ([n_chains][dim];
 * NULL = zeros) and fills out. Returns SMILE_OK; SMILE_EINVAL for bad
 * parameters (unknown sampler, counts, too little room for the draws);
 * SMILE_EINTERRUPTED when *stop was raised (out holds the steps made so far);
 * or a chain's error. Steps on which the callback returned non-zero count as
 * non-finite (the samplers reset): set *stop in the callback to end the run. */
smile_status smile_sample(const smile_target *t, const float *x0, const smile_sample_params *p,
                          smile_sample_output *out, char *msg, size_t msg_len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* SMILE_SAMPLE_H */
