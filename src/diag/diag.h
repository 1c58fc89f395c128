/* Internal helpers of the diagnostics (docs/method.md, section 10; section
 * numbers below are those of docs/method.md), shared by
 * src/diag/ess.c, src/diag/rhat.c and the function-space diagnostics of
 * src/metrics. Sequences are stored contiguously: seq[j*n + i], j < m, i < n. */
#ifndef SMILE_DIAG_H
#define SMILE_DIAG_H

#include "core/core.h"

/* 1 if all x[0..n) are finite. */
int smile_diag_all_finite(const double *x, size_t n);

/* Section 10.4 step 1: split M chains of N draws (chain-major) into 2M sequences of
 * n = floor(N/2) draws: first n and last n of every chain (the middle draw of
 * an odd N is dropped). out has 2*M*n entries. */
void smile_diag_split(const double *draws, size_t M, size_t N, double *out);

/* Section 10.4 step 3 on given sequences (no splitting, no ranks): sqrt(var+/W).
 * NaN when W is not > 0 or m < 2 or n < 2. */
double smile_diag_rhat_seq(const double *seq, size_t m, size_t n);

/* Section 10.2 steps 1–7 on m sequences of n draws (M = m, N = n). NaN when the
 * pooled variance is not > 0, n < 4, or allocation fails. */
double smile_diag_ess_seq(const double *seq, size_t m, size_t n);

/* Bulk R̂ and bulk ESS sharing one split + rank normalisation (scratch work
 * is allocated internally). Either output pointer may be NULL. */
void smile_diag_bulk(const double *draws, size_t M, size_t N, double *rhat, double *ess);

/* Median of x[0..n) (average of the two middle values for even n); sorts a
 * copy. NaN for n == 0 or on allocation failure. */
double smile_diag_median(const double *x, size_t n);

/* Section 10.1: acov[t] = (1/n) Σ_{i<n−t} (x_i − x̄)(x_{i+t} − x̄), t = 0..n−1, by FFT
 * with zero padding to a 2^a3^b5^c length >= 2n. SMILE_ENUMERIC for a
 * non-finite x, SMILE_EINVAL for n == 0. */
smile_status smile_autocov_fft(const double *x, size_t n, double *acov);

/* Section 10.3: z_j = Φ⁻¹((r_j − 3/8)/(n + 1/4)), r_j = rank in 1..n with ties
 * averaged. SMILE_ENUMERIC for non-finite input. */
smile_status smile_rank_normalise(const double *x, size_t n, double *z);

/* Section 10.4, rank-normalised split-R̂: bulk (steps 1–3), tail (step 4: draws
 * folded around the median of all M N draws) and R̂ = max(bulk, tail).
 * Constant draws give NaN. */
double smile_rhat_bulk(const double *draws, size_t M, size_t N);

double smile_rhat_tail(const double *draws, size_t M, size_t N);

/* Segment R̂ (section 10.5), the "chainwise R̂" of the function-space
 * diagnostics: one sequence x[n] cut into n_seg segments
 * of L = floor(n/n_seg) draws (excess at the end dropped), rank-normalised
 * jointly, R̂ = sqrt(((L−1)/L W + B)/W) with B the variance of the segment
 * means. NaN if L < 2 or n_seg < 2. */
double smile_rhat_segments(const double *x, size_t n, size_t n_seg);

#endif
