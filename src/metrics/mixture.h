/* Summaries of one input's posterior predictive distribution, pooled over
 * S posterior samples with equal weights (docs/method.md, section 11.1):
 *
 *   regression:     p(y) = (1/S) Σ_s N(y; μ_s, σ_s²)            (nu = 0)
 *                   p(y) = (1/S) Σ_s t_ν((y − μ_s)/σ_s)/σ_s      (nu = ν > 2: Student-t
 *                                                               noise of scale σ_s)
 *   classification: p(c) = (1/S) Σ_s p_s(c)
 *
 * Everything is computed in double; the functions allocate nothing. */
#ifndef SMILE_METRICS_MIXTURE_H
#define SMILE_METRICS_MIXTURE_H

#include "core/core.h"

typedef struct {
    double mean;         /* (1/S) Σ μ_s                                          */
    double sd;           /* total: √(sd_epistemic² + sd_aleatoric²)               */
    double sd_epistemic; /* spread of the means: √((1/S) Σ (μ_s − mean)²)       */
    double sd_aleatoric; /* noise: √((1/S) Σ σ_s²)                               */
} smile_mixture_moments;

/* Moments of the mixture (mu[S], sd[S], S >= 1; the noise variance is σ² for
 * nu = 0, σ²·ν/(ν − 2) for Student-t). */
smile_mixture_moments smile_mixture_moments_of(const double *mu, const double *sd, size_t S,
                                               double nu);

/* log p(y) of the mixture (log-sum-exp, finite for any finite y). */
double smile_mixture_logpdf(const double *mu, const double *sd, size_t S, double nu, double y);

/* Mixture CDF F(x) = (1/S) Σ F_noise((x − μ_s)/σ_s). Gaussian: Φ to an absolute
 * error below 2e-7 (a vectorised approximation: the sums over thousands of samples
 * of every row dominate prediction time); Student-t: smile_student_cdf in double. */
double smile_mixture_cdf(const double *mu, const double *sd, size_t S, double nu, double x);

/* The p-quantile (0 < p < 1) of the mixture: F(q) = p, solved by safeguarded
 * Newton steps inside a bracket, to |F(q) − p| <= 1e-9 for the F above (within
 * 2e-7 of p for the exact CDF) or a bracket of relative width 1e-12.
 * m: the mixture's moments (for the start). */
double smile_mixture_quantile(const double *mu, const double *sd, size_t S, double nu,
                              const smile_mixture_moments *m, double p);

/* Class probabilities pooled over S samples (probs[S × C], rows summing to
 * 1): pbar[C], the predictive entropy H(pbar) and the mutual information
 * H(pbar) − (1/S) Σ_s H(p_s) (the epistemic part), in nats. */
void smile_categorical_summary(const double *probs, size_t S, size_t C, double *pbar,
                               double *entropy, double *mutual_info);

#endif
