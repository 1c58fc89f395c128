/* Internal helpers of the diagnostics (spec samplers.md §10), shared by
 * src/diag/ess.c, src/diag/rhat.c and the function-space diagnostics of
 * src/metrics. Sequences are stored contiguously: seq[j*n + i], j < m, i < n. */
#ifndef SMILE_DIAG_INTERNAL_H
#define SMILE_DIAG_INTERNAL_H

#include "smile_internal.h"

/* 1 if all x[0..n) are finite. */
int smile_diag_all_finite(const double *x, size_t n);

/* §10.4 step 1: split M chains of N draws (chain-major) into 2M sequences of
 * n = floor(N/2) draws: first n and last n of every chain (the middle draw of
 * an odd N is dropped). out has 2*M*n entries. */
void smile_diag_split(const double *draws, size_t M, size_t N, double *out);

/* §10.4 step 3 on given sequences (no splitting, no ranks): sqrt(var+/W).
 * NaN when W is not > 0 or m < 2 or n < 2. */
double smile_diag_rhat_seq(const double *seq, size_t m, size_t n);

/* §10.2 steps 1–7 on m sequences of n draws (M = m, N = n). NaN when the
 * pooled variance is not > 0, n < 4, or allocation fails. */
double smile_diag_ess_seq(const double *seq, size_t m, size_t n);

/* Bulk R̂ and bulk ESS sharing one split + rank normalisation (scratch work
 * is allocated internally). Either output pointer may be NULL. */
void smile_diag_bulk(const double *draws, size_t M, size_t N, double *rhat, double *ess);

/* Median of x[0..n) (average of the two middle values for even n); sorts a
 * copy. NaN for n == 0 or on allocation failure. */
double smile_diag_median(const double *x, size_t n);

#endif
