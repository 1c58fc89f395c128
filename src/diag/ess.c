/* Autocovariance by FFT and effective sample size (docs/method.md, sections
 * 10.1, 10.2: Stan/Geyer initial monotone sequence; bulk-ESS on
 * rank-normalised split chains, sections 10.3-10.4).
 *
 * FFTW planning (and plan destruction) is not thread-safe, so both happen in
 * the named critical section `fftw_plan`; executing a plan is thread-safe.
 * Buffers come from smile_calloc (64-byte aligned) rather than fftw_malloc,
 * whose thread safety FFTW does not document. */
#include "diag/diag.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int smile_diag_all_finite(const double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* Smallest 2^a 3^b 5^c >= n (FFTW is fastest on such lengths). */
static size_t fast_len(size_t n) {
    if (n <= 1) return 1;
    for (size_t L = n;; L++) {
        size_t r = L;
        while (r % 2 == 0) r /= 2;
        while (r % 3 == 0) r /= 3;
        while (r % 5 == 0) r /= 5;
        if (r == 1) return L;
    }
}

/* Workspace for the autocovariances of sequences of length n. */
typedef struct {
    size_t n, L;
    double *in;  /* [L] real signal, later L * autocovariance           */
    double *out; /* [2 (L/2 + 1)] interleaved complex spectrum         */
    fftw_plan fwd, bwd;
} acov_ws;

static void acov_ws_free(acov_ws *w) {
#pragma omp critical(fftw_plan)
    {
        if (w->fwd) fftw_destroy_plan(w->fwd);
        if (w->bwd) fftw_destroy_plan(w->bwd);
    }
    smile_free(w->in);
    smile_free(w->out);
    memset(w, 0, sizeof *w);
}

static int acov_ws_init(acov_ws *w, size_t n) {
    memset(w, 0, sizeof *w);
    w->n = n;
    w->L = fast_len(2 * n); /* zero padding to >= 2N avoids circular wrap-around */
    if (w->L > (size_t)INT32_MAX) return SMILE_EINVAL;
    w->in = smile_calloc(w->L, sizeof(double));
    w->out = smile_calloc(2 * (w->L / 2 + 1), sizeof(double));
    if (!w->in || !w->out) {
        acov_ws_free(w);
        return SMILE_ENOMEM;
    }
#pragma omp critical(fftw_plan)
    {
        w->fwd = fftw_plan_dft_r2c_1d((int)w->L, w->in, (fftw_complex *)w->out, FFTW_ESTIMATE);
        w->bwd = fftw_plan_dft_c2r_1d((int)w->L, (fftw_complex *)w->out, w->in, FFTW_ESTIMATE);
    }
    if (!w->fwd || !w->bwd) {
        acov_ws_free(w);
        return SMILE_ENOMEM;
    }
    return SMILE_OK;
}

/* Section 10.1 for one sequence x[n]: acov[t] = (1/n) Σ_{i<n−t} (x_i − x̄)(x_{i+t} − x̄),
 * computed as IFFT(|FFT(x − x̄, zero padded to L)|²)/(L n). If acc is set the
 * result is added to acov[] instead of stored. Returns the mean x̄. */
static double acov_ws_run(acov_ws *w, const double *x, double *acov, int acc) {
    size_t n = w->n, L = w->L;
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) w->in[i] = x[i] - mean;
    memset(w->in + n, 0, (L - n) * sizeof(double));
    fftw_execute(w->fwd);
    for (size_t k = 0; k < L / 2 + 1; k++) {
        double re = w->out[2 * k], im = w->out[2 * k + 1];
        w->out[2 * k] = re * re + im * im;
        w->out[2 * k + 1] = 0;
    }
    fftw_execute(w->bwd); /* unnormalised: L times the circular autocorrelation */
    double scale = 1.0 / ((double)L * (double)n);
    for (size_t t = 0; t < n; t++) {
        double v = w->in[t] * scale;
        acov[t] = acc ? acov[t] + v : v;
    }
    return mean;
}

smile_status smile_autocov_fft(const double *x, size_t n, double *acov) {
    if (!x || !acov || n == 0) return SMILE_EINVAL;
    if (!smile_diag_all_finite(x, n)) return SMILE_ENUMERIC;
    acov_ws w;
    int st = acov_ws_init(&w, n);
    if (st != SMILE_OK) return st;
    acov_ws_run(&w, x, acov, 0);
    acov_ws_free(&w);
    return SMILE_OK;
}

double smile_diag_ess_seq(const double *seq, size_t m, size_t n) {
    if (!seq || m == 0 || n < 4) return NAN;
    if (!smile_diag_all_finite(seq, m * n)) return NAN;
    double *acov = calloc(n, sizeof(double));  /* mean over sequences of acov_j(t) */
    double *means = calloc(m, sizeof(double)); /* sequence means */
    double *P = calloc(n / 2 + 1, sizeof(double)); /* pair sums P_k */
    acov_ws w;
    int st = (acov && means && P) ? acov_ws_init(&w, n) : SMILE_ENOMEM;
    if (st != SMILE_OK) {
        free(acov); free(means); free(P);
        return NAN;
    }
    for (size_t j = 0; j < m; j++) means[j] = acov_ws_run(&w, seq + j * n, acov, j > 0);
    acov_ws_free(&w);
    for (size_t t = 0; t < n; t++) acov[t] /= (double)m;

    double dn = (double)n, dm = (double)m;
    /* step 1: W = mean within-sequence variance (divisor n − 1) */
    double W = dn / (dn - 1.0) * acov[0];
    /* step 2: var+ = (n−1)/n W + Var(means) (ddof 1, only for m > 1) */
    double B = 0;
    if (m > 1) {
        double gm = 0;
        for (size_t j = 0; j < m; j++) gm += means[j];
        gm /= dm;
        for (size_t j = 0; j < m; j++) B += (means[j] - gm) * (means[j] - gm);
        B /= dm - 1.0;
    }
    double var_plus = (dn - 1.0) / dn * W + B;
    double ess = NAN;
    if (W > 0 && var_plus > 0 && isfinite(var_plus)) {
        /* step 3: rho_t = 1 − (W − acov(t))/var+ (rho_0 = 1 up to rounding) */
#define RHO(t) ((t) == 0 ? 1.0 : 1.0 - (W - acov[(t)]) / var_plus)
        /* step 4: pair sums over an even number of lags 0..2*npairs−1 <= n−1 */
        size_t npairs = n / 2;
        long K = -1; /* largest k with P_0..P_k > 0 (−1: none) */
        for (size_t k = 0; k < npairs; k++) {
            P[k] = RHO(2 * k) + RHO(2 * k + 1);
            if (!(P[k] > 0)) break;
            K = (long)k;
        }
        double extra = 0; /* rho_{2K+2} kept if > 0 */
        size_t t_extra = (size_t)(2 * K + 2);
        if (t_extra <= n - 1) {
            double r = RHO(t_extra);
            if (r > 0) extra = r;
        }
#undef RHO
        /* step 5: initial monotone sequence */
        for (long k = 1; k <= K; k++)
            if (P[k] > P[k - 1]) P[k] = P[k - 1];
        /* step 6 */
        double sum = 0;
        for (long k = 0; k <= K; k++) sum += P[k];
        double tau = -1.0 + 2.0 * sum + extra;
        double floor_tau = 1.0 / log10(dm * dn);
        if (tau < floor_tau) tau = floor_tau;
        /* step 7 */
        ess = dm * dn / tau;
    }
    free(acov); free(means); free(P);
    return ess;
}

double smile_ess(const double *draws, size_t M, size_t N) {
    return smile_diag_ess_seq(draws, M, N);
}
