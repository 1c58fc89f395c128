/* Rank normalisation and rank-normalised split-R̂ (docs/method.md, sections
 * 10.3, 10.4; Vehtari et al. 2021), plus the segment R̂ (section 10.5).
 * Φ⁻¹ is smile_normal_quantile (src/core/normal.c). */
#include "diag/diag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef smile_value_index val_idx;

/* Section 10.3 with caller scratch vi[n]. */
static void rank_normalise_ws(const double *x, size_t n, double *z, val_idx *vi) {
    for (size_t i = 0; i < n; i++) {
        vi[i].v = x[i];
        vi[i].i = i;
    }
    qsort(vi, n, sizeof *vi, smile_cmp_value_index);
    double denom = (double)n + 0.25;
    for (size_t s = 0; s < n;) {
        size_t e = s + 1;
        while (e < n && vi[e].v == vi[s].v) e++;
        /* ranks s+1 .. e (1-based) share their average (s + 1 + e)/2 */
        double r = 0.5 * ((double)(s + 1) + (double)e);
        double zz = smile_normal_quantile((r - 0.375) / denom);
        for (size_t k = s; k < e; k++) z[vi[k].i] = zz;
        s = e;
    }
}

smile_status smile_rank_normalise(const double *x, size_t n, double *z) {
    if (!x || !z || n == 0) return SMILE_EINVAL;
    if (!smile_diag_all_finite(x, n)) return SMILE_ENUMERIC;
    val_idx *vi = malloc(n * sizeof *vi);
    if (!vi) return SMILE_ENOMEM;
    rank_normalise_ws(x, n, z, vi);
    free(vi);
    return SMILE_OK;
}

void smile_diag_split(const double *draws, size_t M, size_t N, double *out) {
    size_t n = N / 2;
    for (size_t m = 0; m < M; m++) {
        const double *c = draws + m * N;
        memcpy(out + (2 * m) * n, c, n * sizeof(double));
        memcpy(out + (2 * m + 1) * n, c + (N - n), n * sizeof(double));
    }
}

double smile_diag_rhat_seq(const double *seq, size_t m, size_t n) {
    if (!seq || m < 2 || n < 2) return NAN;
    double dm = (double)m, dn = (double)n;
    double W = 0, gm = 0, B = 0;
    double *means = malloc(m * sizeof(double));
    if (!means) return NAN;
    for (size_t j = 0; j < m; j++) {
        const double *z = seq + j * n;
        double mu = 0, s2 = 0;
        for (size_t i = 0; i < n; i++) mu += z[i];
        mu /= dn;
        for (size_t i = 0; i < n; i++) s2 += (z[i] - mu) * (z[i] - mu);
        W += s2 / (dn - 1.0);
        means[j] = mu;
        gm += mu;
    }
    W /= dm;
    gm /= dm;
    for (size_t j = 0; j < m; j++) B += (means[j] - gm) * (means[j] - gm);
    free(means);
    B *= dn / (dm - 1.0);
    /* var+ = (n−1)/n W + B/n, R̂ = sqrt(var+/W) */
    double var_plus = (dn - 1.0) / dn * W + B / dn;
    if (!(W > 0) || !isfinite(var_plus)) return NAN;
    return sqrt(var_plus / W);
}

/* Split (section 10.4 step 1) and rank-normalise jointly (step 2) into z[2 M n].
 * Returns 0 on success. */
static int split_rank(const double *draws, size_t M, size_t N, double *z) {
    size_t n = N / 2, tot = 2 * M * n;
    double *sp = malloc(tot * sizeof(double));
    val_idx *vi = malloc(tot * sizeof *vi);
    if (!sp || !vi) {
        free(sp); free(vi);
        return -1;
    }
    smile_diag_split(draws, M, N, sp);
    rank_normalise_ws(sp, tot, z, vi);
    free(sp); free(vi);
    return 0;
}

static int args_ok(const double *draws, size_t M, size_t N) {
    return draws && M >= 1 && N >= 4 && smile_diag_all_finite(draws, M * N);
}

void smile_diag_bulk(const double *draws, size_t M, size_t N, double *rhat, double *ess) {
    if (rhat) *rhat = NAN;
    if (ess) *ess = NAN;
    if (!args_ok(draws, M, N)) return;
    size_t n = N / 2;
    double *z = malloc(2 * M * n * sizeof(double));
    if (!z) return;
    if (split_rank(draws, M, N, z) == 0) {
        if (rhat) *rhat = smile_diag_rhat_seq(z, 2 * M, n);
        if (ess) *ess = smile_diag_ess_seq(z, 2 * M, n);
    }
    free(z);
}

double smile_rhat_bulk(const double *draws, size_t M, size_t N) {
    double r;
    smile_diag_bulk(draws, M, N, &r, NULL);
    return r;
}

static int cmp_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

double smile_diag_median(const double *x, size_t n) {
    if (!x || n == 0) return NAN;
    double *s = malloc(n * sizeof(double));
    if (!s) return NAN;
    memcpy(s, x, n * sizeof(double));
    qsort(s, n, sizeof(double), cmp_double);
    double med = (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return med;
}

double smile_rhat_tail(const double *draws, size_t M, size_t N) {
    if (!args_ok(draws, M, N)) return NAN;
    /* section 10.4 step 4: fold around the median of all M N draws, then bulk R̂. */
    double med = smile_diag_median(draws, M * N);
    double *f = malloc(M * N * sizeof(double));
    if (!f || isnan(med)) {
        free(f);
        return NAN;
    }
    for (size_t i = 0; i < M * N; i++) f[i] = fabs(draws[i] - med);
    double r = smile_rhat_bulk(f, M, N);
    free(f);
    return r;
}

double smile_rhat(const double *draws, size_t M, size_t N) {
    double b = smile_rhat_bulk(draws, M, N), t = smile_rhat_tail(draws, M, N);
    if (isnan(b) || isnan(t)) return NAN;
    return b > t ? b : t;
}

double smile_rhat_segments(const double *x, size_t n, size_t n_seg) {
    if (!x || n_seg < 2 || n / n_seg < 2 || !smile_diag_all_finite(x, n)) return NAN;
    size_t L = n / n_seg, tot = L * n_seg; /* excess draws at the end are discarded */
    double *z = malloc(tot * sizeof(double));
    val_idx *vi = malloc(tot * sizeof *vi);
    double r = NAN;
    if (z && vi) {
        rank_normalise_ws(x, tot, z, vi);
        r = smile_diag_rhat_seq(z, n_seg, L);
    }
    free(z); free(vi);
    return r;
}

double smile_ess_bulk(const double *draws, size_t M, size_t N) {
    double ess = NAN;
    smile_diag_bulk(draws, M, N, NULL, &ess);
    return ess;
}
