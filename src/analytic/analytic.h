/* Analytical targets: internals shared with the tests (never installed). */
#ifndef SMILE_ANALYTIC_H
#define SMILE_ANALYTIC_H

#include "core/core.h"

const smile_analytic_params *smile_analytic_get_params(const smile_analytic *a);

/* Mini-batch log density of docs/experiments.md, section 7.2 (no N/B scaling; batch->scale is
 * ignored): log p~(x; b) = log pi(x) + f(x) <S_b, x>,   S_b = sum_{n in b} y_n, f = 1, or
 * exp(-x_k/h) for spatial noise (k = 2, or d-1 when d < 3), and its gradient grad log pi + f S_b
 * + <S_b, x> grad f. batch == NULL or batch->idx == NULL (full data) and noise NONE give the
 * exact density (the centred rows sum to 0). S_b is cached per (batch->chain, serial, size, first
 * and last index), one slot per chain, so the two gradient evaluations of a McLachlan step sum
 * the batch once. Thread-safe across distinct chains. Always returns 0. */
int smile_analytic_logdensity_grad(void *user, const float *x, const smile_batch *batch,
                                   double *logp, float *grad);

/* Same in double, without the cache (tests, finite differences). */
void smile_analytic_eval(const smile_analytic *a, const double *x, const smile_batch *batch,
                         double *logp, double *grad);

/* Rows y_n, row-major [n_data x d] (NULL for noise NONE) and A, row-major [d x d]. */
const double *smile_analytic_data(const smile_analytic *a, size_t *n_rows);

const double *smile_analytic_noise_matrix(const smile_analytic *a);

/* The fixed ICG constants of icg_target.txt (any pointer may be NULL):
 * sigma[10], R[100] row-major, diag(Sigma)[10], P = Sigma^{-1}[100] row-major. */
void smile_icg_constants(const double **sigma, const double **R, const double **diag_sigma,
                         const double **precision);


#endif
