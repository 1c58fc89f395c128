/* Analytical targets with synthetic mini-batch noise (docs/experiments.md, section 7):
 * fixed ICG constants, gradients vs finite differences for every target x
 * noise structure, centred data, per-step noise covariance, exact moments,
 * the squared-moment bias, initial positions. */
#include "harness.h"
#include "smile.h"
#include "analytic/analytic.h"
#include "diag/diag.h"

#include <float.h>
#include <stdint.h>

#define NT SMILE_ANALYTIC_COUNT_
#define NN SMILE_NOISE_COUNT_

static smile_analytic *make(smile_analytic_kind k, smile_noise_kind n) {
    smile_analytic_params p = smile_analytic_params_default(k, n);
    smile_analytic *a = NULL;
    char msg[256] = "";
    smile_status st = smile_analytic_init(&a, &p, msg, sizeof msg);
    CHECK(st == SMILE_OK && a, "init %s/%s: %s", smile_analytic_name(k), smile_noise_name(n), msg);
    return a;
}

/* ------------------------------------------------------------------------ */
/* 1. ICG constants equal icg_target.txt, and are consistent                 */
/* ------------------------------------------------------------------------ */
static void test_icg_constants(void) {
    const double *sig, *R, *dg, *P;
    smile_icg_constants(&sig, &R, &dg, &P);
    /* the spec file, when present (../shared/spec relative to the repo root) */
    FILE *f = fopen("../shared/spec/icg_target.txt", "r");
    if (f) {
        double v[220];
        int n = 0;
        char line[8192];
        while (fgets(line, sizeof line, f) && n < 220) {
            if (line[0] == '#') continue;
            char *s = line, *e;
            for (;;) {
                double x = strtod(s, &e);
                if (e == s || n >= 220) break;
                v[n++] = x;
                s = e;
            }
        }
        fclose(f);
        CHECK(n == 220, "icg_target.txt: %d numbers (want 220)", n);
        int mism = 0;
        for (int i = 0; i < 10 && n == 220; i++) mism += v[i] != sig[i];
        for (int i = 0; i < 100 && n == 220; i++) mism += v[10 + i] != R[i];
        for (int i = 0; i < 10 && n == 220; i++) mism += v[110 + i] != dg[i];
        for (int i = 0; i < 100 && n == 220; i++) mism += v[120 + i] != P[i];
        CHECK(mism == 0, "%d compiled-in ICG constants differ from the file", mism);
    } else {
        printf("note: ../shared/spec/icg_target.txt not found; file comparison skipped\n");
    }
    /* Sigma = R diag(sig^2) R^T: diag equals the file's diag; P Sigma = I.
     * Rounding bound: |P Sigma - I|_ij <= kappa(Sigma) * d * eps * few with
     * kappa = 1e4, d = 10 -> ~2e-11; use 1e-9. R orthogonal to ~d*eps. */
    double S[100];
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            double s = 0;
            for (int k = 0; k < 10; k++) s += R[i * 10 + k] * sig[k] * sig[k] * R[j * 10 + k];
            S[i * 10 + j] = s;
        }
    double emax = 0, omax = 0;
    for (int i = 0; i < 10; i++) {
        CHECK_CLOSE(S[i * 10 + i], dg[i], 1e-13, 0);
        for (int j = 0; j < 10; j++) {
            double ps = 0, rr = 0;
            for (int k = 0; k < 10; k++) {
                ps += P[i * 10 + k] * S[k * 10 + j];
                rr += R[k * 10 + i] * R[k * 10 + j];
            }
            emax = fmax(emax, fabs(ps - (i == j)));
            omax = fmax(omax, fabs(rr - (i == j)));
        }
    }
    CHECK(emax < 1e-9, "max |P Sigma - I| = %g", emax);
    CHECK(omax < 1e-13, "max |R^T R - I| = %g", omax);
}

/* ------------------------------------------------------------------------ */
/* 2. names                                                                  */
/* ------------------------------------------------------------------------ */
static void test_names(void) {
    for (int k = 0; k < NT; k++) {
        smile_analytic_kind o = SMILE_ANALYTIC_COUNT_;
        CHECK(smile_analytic_from_name(smile_analytic_name(k), &o) == SMILE_OK && (int)o == k,
              "target %d", k);
    }
    for (int k = 0; k < NN; k++) {
        smile_noise_kind o = SMILE_NOISE_COUNT_;
        CHECK(smile_noise_from_name(smile_noise_name(k), &o) == SMILE_OK && (int)o == k, "noise %d",
              k);
    }
    smile_analytic_kind o;
    CHECK(smile_analytic_from_name("gauss", &o) == SMILE_EINVAL, "unknown target accepted");
    smile_noise_kind on;
    CHECK(smile_noise_from_name("", &on) == SMILE_EINVAL, "empty noise accepted");
    CHECK(smile_noise_from_name(NULL, &on) == SMILE_EINVAL, "NULL noise accepted");

    smile_analytic_params p = smile_analytic_params_default(SMILE_ANALYTIC_ICG, 7);
    smile_analytic *a = NULL;
    char msg[128];
    CHECK(smile_analytic_init(&a, &p, msg, sizeof msg) == SMILE_EINVAL && !a, "bad noise");
    p = smile_analytic_params_default(SMILE_ANALYTIC_ICG, SMILE_NOISE_ISOTROPIC);
    p.noise_scale = NAN;
    CHECK(smile_analytic_init(&a, &p, msg, sizeof msg) == SMILE_EINVAL && !a, "NaN scale");
}

/* B distinct indices in [0, N) (Floyd's algorithm; test-local, independent
 * of the library's streams). */
static void draw_batch(smile_rng *r, uint32_t *idx, size_t B, size_t N) {
    size_t k = 0;
    for (size_t j = N - B; j < N; j++) {
        uint32_t t = (uint32_t)smile_rng_below(r, j + 1);
        int dup = 0;
        for (size_t q = 0; q < k; q++) dup |= idx[q] == t;
        idx[k++] = dup ? (uint32_t)j : t;
    }
}

/* random test point: funnel theta in [-2, 2] so e^{-theta} stays moderate */
static void rand_point(smile_rng *r, smile_analytic_kind k, size_t d, double *x) {
    for (size_t i = 0; i < d; i++) x[i] = 1.5 * smile_rng_normal(r);
    if (k == SMILE_ANALYTIC_FUNNEL) x[0] = 4 * smile_rng_uniform(r) - 2;
}

/* ------------------------------------------------------------------------ */
/* 3. gradients, data centring, batch handling for every target x noise     */
/* ------------------------------------------------------------------------ */
static void test_target(smile_analytic_kind k, smile_noise_kind n) {
    smile_analytic *a = make(k, n);
    if (!a) return;
    const size_t d = smile_analytic_dim(a);
    CHECK(d == (k == SMILE_ANALYTIC_GMM25 ? 2u : 10u), "dim %zu", d);
    size_t N = 0;
    const double *y = smile_analytic_data(a, &N);
    const char *tn = smile_analytic_name(k), *nn = smile_noise_name(n);

    /* centred columns: after the two-pass compensated centring each column sum is
     * bounded by the rounding of the subtractions, <= N * eps/2 * max|y|; the mean
     * is therefore <= eps * max|y| (far looser than the typical sqrt(N) eps). */
    if (n == SMILE_NOISE_NONE) {
        CHECK(y == NULL && N == 0, "noise none has data");
    } else {
        CHECK(y != NULL && N == 409600, "%s/%s: N = %zu", tn, nn, N);
        for (size_t i = 0; i < d && y; i++) {
            double s = 0, c = 0, ymax = 0;
            for (size_t r = 0; r < N; r++) {
                double v = y[r * d + i], t = s + v;
                c += fabs(s) >= fabs(v) ? (s - t) + v : (v - t) + s;
                s = t;
                ymax = fmax(ymax, fabs(v));
            }
            double mean = (s + c) / (double)N;
            CHECK(fabs(mean) <= DBL_EPSILON * ymax, "%s/%s col %zu mean %g (max|y| %g)", tn, nn,
                  i, mean, ymax);
        }
    }

    smile_rng r;
    smile_rng_init(&r, 7, (uint64_t)(k * 10 + n), SMILE_RNG_USER);
    uint32_t idx[256];
    smile_batch b = {idx, 256, 1600.0, 0, 0};
    double x[10], g[10], g0[10], lp, lp0;
    for (int rep = 0; rep < 6; rep++) {
        rand_point(&r, k, d, x);
        if (N) draw_batch(&r, idx, 256, N);
        else for (int q = 0; q < 256; q++) idx[q] = (uint32_t)q; /* ignored */
        b.serial = (uint64_t)rep;
        smile_analytic_eval(a, x, &b, &lp, g);
        /* central differences with h and h/2: error(h/2) ~ |D(h) - D(h/2)| / 3
         * (O(h^2) truncation) plus rounding ~ eps |lp| / (h/2) */
        for (size_t i = 0; i < d; i++) {
            double h = 1e-4 * fmax(1.0, fabs(x[i])), dd[2];
            for (int q = 0; q < 2; q++) {
                double hh = q ? h / 2 : h, xp[10], xm[10], lpp, lpm, gs[10];
                memcpy(xp, x, sizeof xp);
                memcpy(xm, x, sizeof xm);
                xp[i] += hh;
                xm[i] -= hh;
                hh = xp[i] - x[i]; /* exact representable step */
                double hm = x[i] - xm[i];
                smile_analytic_eval(a, xp, &b, &lpp, gs);
                smile_analytic_eval(a, xm, &b, &lpm, gs);
                dd[q] = (lpp - lpm) / (hh + hm);
            }
            double tol = 2.0 * fabs(dd[0] - dd[1]) / 3.0 +
                         8.0 * DBL_EPSILON * (fabs(lp) + 1.0) / (h / 2) + 1e-12 * fabs(g[i]);
            CHECK(fabs(g[i] - dd[1]) <= tol, "%s/%s grad[%zu] = %.12g, FD %.12g (tol %.3g)", tn,
                  nn, i, g[i], dd[1], tol);
        }
        /* float callback == double evaluation up to float rounding of x and g:
         * evaluate the double version at the float-rounded x */
        float xf[10], gf[10];
        double xr[10], lpf;
        for (size_t i = 0; i < d; i++) xr[i] = xf[i] = (float)x[i];
        smile_analytic_eval(a, xr, &b, &lp0, g0);
        b.chain = rep == 5 ? 999 : rep % 3; /* 999: beyond the 64 cache slots */
        for (int twice = 0; twice < 2; twice++) { /* second call hits the cache */
            CHECK(smile_analytic_logdensity_grad(a, xf, &b, &lpf, gf) == 0, "callback rc");
            CHECK(lpf == lp0, "%s/%s callback logp %.17g vs %.17g", tn, nn, lpf, lp0);
            for (size_t i = 0; i < d; i++) CHECK(gf[i] == (float)g0[i], "grad %zu", i);
        }
        /* exact density: NULL batch, idx == NULL (full data) */
        double lpn, gn[10], lpe, ge[10];
        smile_analytic_eval(a, x, NULL, &lpn, gn);
        smile_batch full = {NULL, N ? N : 1, 1.0, 0, 0};
        smile_analytic_eval(a, x, &full, &lpe, ge);
        CHECK(lpn == lpe, "NULL batch vs full data");
        if (n == SMILE_NOISE_NONE) {
            CHECK(lp == lpn, "noise none depends on the batch");
        } else if (n != SMILE_NOISE_SPATIAL) {
            /* the noise part is exactly <S_b, x> with gradient S_b */
            double S[10] = {0}, sx = 0;
            for (int q = 0; q < 256; q++)
                for (size_t i = 0; i < d; i++) S[i] += y[(size_t)idx[q] * d + i];
            for (size_t i = 0; i < d; i++) {
                sx += S[i] * x[i];
                CHECK_CLOSE(g[i] - gn[i], S[i], 1e-12, 1e-12 * fabs(gn[i]));
            }
            CHECK_CLOSE(lp - lpn, sx, 1e-12, 1e-12 * fabs(lpn));
        }
    }
    /* The centred rows sum to 0, so a "batch" of all N rows gives the exact
     * density: |sum| <= N eps max|y| per column (bound of the check above). */
    if (N && k == SMILE_ANALYTIC_ICG) {
        uint32_t *all = malloc(N * sizeof *all);
        for (size_t q = 0; q < N; q++) all[q] = (uint32_t)q;
        smile_batch bf = {all, N, 1.0, 99, 0};
        double lpa, ga[10], lpn, gn[10];
        rand_point(&r, k, d, x);
        smile_analytic_eval(a, x, &bf, &lpa, ga);
        smile_analytic_eval(a, x, NULL, &lpn, gn);
        /* |true column sum| <= N eps max|y| (centring bound above); recursive
         * summation adds at most (N-1) eps sum_n |y_ni| (Higham, Thm 4.1). */
        double bl = 0;
        for (size_t i = 0; i < d; i++) {
            double sa = 0, ymax = 0;
            for (size_t q = 0; q < N; q++) {
                sa += fabs(y[q * d + i]);
                ymax = fmax(ymax, fabs(y[q * d + i]));
            }
            double bound = (double)N * DBL_EPSILON * (sa + ymax);
            CHECK(fabs(ga[i] - gn[i]) <= bound + 1e-12 * fabs(gn[i]), "full-sum grad[%zu]: %g > %g",
                  i, fabs(ga[i] - gn[i]), bound);
            bl += fabs(x[i]) * bound;
        }
        CHECK(fabs(lpa - lpn) <= bl + 1e-12 * fabs(lpn), "full-sum logp: %g > %g", fabs(lpa - lpn),
              bl);
        free(all);
    }
    smile_analytic_free(a);
}

/* ------------------------------------------------------------------------ */
/* 4. per-step noise covariance ~ B s^2 A A^T (with the library's FRESH stream) */
/* ------------------------------------------------------------------------ */
static void test_noise_covariance(smile_analytic_kind k, smile_noise_kind n) {
    smile_analytic *a = make(k, n);
    if (!a) return;
    const size_t d = smile_analytic_dim(a), B = 256;
    size_t N;
    const double *y = smile_analytic_data(a, &N);
    const double *A = smile_analytic_noise_matrix(a);
    const char *tn = smile_analytic_name(k), *nn = smile_noise_name(n);
    /* population covariance and s^2 A A^T (s = 1) */
    double Cp[100] = {0}, AA[100] = {0}, Ch[100] = {0}, mS[10] = {0};
    for (size_t r = 0; r < N; r++)
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) Cp[i * d + j] += y[r * d + i] * y[r * d + j];
    for (size_t i = 0; i < d * d; i++) Cp[i] /= (double)N;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            for (size_t q = 0; q < d; q++) AA[i * d + j] += A[i * d + q] * A[j * d + q];
    /* Cov_pop of N Gaussian rows: sd(C_ij) ~ sqrt((C_ii C_jj + C_ij^2) / N); 5 sd */
    int bad = 0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double sd = sqrt((AA[i * d + i] * AA[j * d + j] + AA[i * d + j] * AA[i * d + j]) /
                             (double)N);
            if (fabs(Cp[i * d + j] - AA[i * d + j]) > 5 * sd) {
                bad++;
                printf("  %s/%s Cpop[%zu,%zu] = %g vs AA^T %g (sd %g)\n", tn, nn, i, j,
                       Cp[i * d + j], AA[i * d + j], sd);
            }
        }
    CHECK(bad == 0, "%s/%s population covariance != s^2 A A^T", tn, nn);

    /* batch sums S_b over M fresh batches. E S = 0 exactly (centred data);
     * Cov S = B (N-B)/(N-1) Cov_pop (sampling without replacement). */
    smile_batch_stream st;
    char msg[256];
    CHECK(smile_batch_stream_init(&st, SMILE_STREAM_FRESH, N, B, SMILE_SCALE_N_OVER_B, 3, 0, msg,
                                  sizeof msg) == SMILE_OK,
          "stream: %s", msg);
    const int M = 20000;
    smile_batch b;
    for (int m = 0; m < M; m++) {
        smile_batch_stream_next(&st, &b);
        double S[10] = {0};
        for (size_t q = 0; q < b.size; q++)
            for (size_t i = 0; i < d; i++) S[i] += y[(size_t)b.idx[q] * d + i];
        for (size_t i = 0; i < d; i++) {
            mS[i] += S[i];
            for (size_t j = 0; j < d; j++) Ch[i * d + j] += S[i] * S[j];
        }
    }
    smile_batch_stream_free(&st);
    const double fpc = (double)B * (double)(N - B) / (double)(N - 1);
    bad = 0;
    for (size_t i = 0; i < d; i++) {
        double C = fpc * Cp[i * d + i];
        if (fabs(mS[i] / M) > 5 * sqrt(C / M)) bad++;
        for (size_t j = 0; j < d; j++) {
            double Ce = fpc * Cp[i * d + j], Cii = fpc * Cp[i * d + i], Cjj = fpc * Cp[j * d + j];
            double sd = sqrt((Cii * Cjj + Ce * Ce) / M), est = Ch[i * d + j] / M;
            if (fabs(est - Ce) > 5 * sd) {
                bad++;
                printf("  %s/%s Cov(S)[%zu,%zu] = %g vs %g (sd %g)\n", tn, nn, i, j, est, Ce, sd);
            }
        }
    }
    CHECK(bad == 0, "%s/%s batch-noise covariance != B (N-B)/(N-1) Cov_pop", tn, nn);
    if (n == SMILE_NOISE_ISOTROPIC)
        printf("  %s isotropic: per-coordinate noise sd %.3f (expected ~16)\n", tn,
               sqrt(Ch[0] / M));
    smile_analytic_free(a);
}

/* ------------------------------------------------------------------------ */
/* 5. exact moments                                                          */
/* ------------------------------------------------------------------------ */
static double normal_logpdf(double x, double m, double s) {
    return -0.5 * (x - m) * (x - m) / (s * s) - log(s * sqrt(2 * M_PI));
}
static double normal_pdf(double x, double m, double s) { return exp(normal_logpdf(x, m, s)); }

static void test_moments(void) {
    double e[10], v[10], er[10], vr[10];
    /* ICG: diag Sigma, 2 diag^2 */
    smile_analytic *a = make(SMILE_ANALYTIC_ICG, SMILE_NOISE_NONE);
    const double *dg;
    smile_icg_constants(NULL, NULL, &dg, NULL);
    smile_analytic_moments(a, SMILE_MOMENTS_EXACT, e, v);
    smile_analytic_moments(a, SMILE_MOMENTS_REFERENCE, er, vr);
    for (int i = 0; i < 10; i++) {
        CHECK(e[i] == dg[i] && v[i] == 2 * dg[i] * dg[i] && er[i] == e[i] && vr[i] == v[i],
              "icg moment %d", i);
    }
    /* bias: exact moments give 0; one coordinate off by one sd gives 1/d */
    CHECK(smile_squared_moment_bias(e, e, v, 10) == 0, "bias of exact moments");
    double m[10];
    memcpy(m, e, sizeof m);
    m[3] += sqrt(v[3]);
    CHECK_CLOSE(smile_squared_moment_bias(m, e, v, 10), 0.1, 1e-14, 0);
    smile_analytic_free(a);

    /* Funnel: the density equals log N(theta; 0, 3^2) + sum_j log N(z_j; 0, e^theta)
     * up to one constant; the moments by 1-D quadrature over theta (trapezoid,
     * step 1e-3 on [-40, 40]: error far below the 1e-9 relative tolerance). */
    a = make(SMILE_ANALYTIC_FUNNEL, SMILE_NOISE_NONE);
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_USER);
    double c0 = NAN;
    for (int rep = 0; rep < 20; rep++) {
        double x[10], g[10], lp;
        rand_point(&r, SMILE_ANALYTIC_FUNNEL, 10, x);
        smile_analytic_eval(a, x, NULL, &lp, g);
        double ref = normal_logpdf(x[0], 0, 3);
        for (int j = 1; j < 10; j++) ref += normal_logpdf(x[j], 0, exp(0.5 * x[0]));
        if (rep == 0) c0 = lp - ref;
        CHECK_CLOSE(lp - ref, c0, 0, 1e-10 * (fabs(lp) + 1));
    }
    double q2 = 0, q4 = 0, t2 = 0, t4 = 0;
    for (double th = -40; th <= 40; th += 1e-3) {
        double w = normal_pdf(th, 0, 3) * 1e-3;
        q2 += w * exp(th);
        q4 += w * 3 * exp(2 * th);
        t2 += w * th * th;
        t4 += w * th * th * th * th;
    }
    smile_analytic_moments(a, SMILE_MOMENTS_EXACT, e, v);
    smile_analytic_moments(a, SMILE_MOMENTS_REFERENCE, er, vr);
    CHECK_CLOSE(e[0], t2, 1e-9, 0);
    CHECK_CLOSE(v[0], t4 - t2 * t2, 1e-9, 0);
    for (int j = 1; j < 10; j++) {
        CHECK_CLOSE(e[j], q2, 1e-9, 0);
        CHECK_CLOSE(v[j], q4 - q2 * q2, 1e-9, 0);
    }
    CHECK_CLOSE(e[1], 90.017, 0, 1e-3); /* spec table */
    CHECK_CLOSE(v[1], 1.9697e8, 1e-4, 0);
    CHECK(er[0] == 8.99972035 && vr[3] == 4.78096295e7 && er[9] == 89.01422079, "funnel ref");
    smile_analytic_free(a);

    /* Banana: density = sum_j log N(u_j; 1, 1) + log N(v_j; u_j^2, 0.1) + const;
     * moments by quadrature over u (v | u is Gaussian: E v^2 = u^4 + 0.1,
     * E v^4 = u^8 + 6 u^4 0.1 + 3 0.01). */
    a = make(SMILE_ANALYTIC_BANANA, SMILE_NOISE_NONE);
    for (int rep = 0; rep < 20; rep++) {
        double x[10], g[10], lp;
        rand_point(&r, SMILE_ANALYTIC_BANANA, 10, x);
        smile_analytic_eval(a, x, NULL, &lp, g);
        double ref = 0;
        for (int j = 0; j < 5; j++)
            ref += normal_logpdf(x[j], 1, 1) + normal_logpdf(x[j + 5], x[j] * x[j], sqrt(0.1));
        if (rep == 0) c0 = lp - ref;
        CHECK_CLOSE(lp - ref, c0, 0, 1e-10 * (fabs(lp) + 1));
    }
    double u2 = 0, u4 = 0, v2 = 0, v4 = 0;
    for (double u = -30; u <= 30; u += 1e-3) {
        double w = normal_pdf(u, 1, 1) * 1e-3, uu = u * u;
        u2 += w * uu;
        u4 += w * uu * uu;
        v2 += w * (uu * uu + 0.1);
        v4 += w * (uu * uu * uu * uu + 6 * uu * uu * 0.1 + 3 * 0.01);
    }
    smile_analytic_moments(a, SMILE_MOMENTS_EXACT, e, v);
    smile_analytic_moments(a, SMILE_MOMENTS_REFERENCE, er, vr);
    for (int j = 0; j < 5; j++) {
        CHECK_CLOSE(e[j], u2, 1e-9, 0);
        CHECK_CLOSE(v[j], u4 - u2 * u2, 1e-9, 0);
        CHECK_CLOSE(e[j + 5], v2, 1e-9, 0);
        CHECK_CLOSE(v[j + 5], v4 - v2 * v2, 1e-9, 0);
        CHECK(er[j] == 2.0 && vr[j] == 6.00036273 && er[j + 5] == 10.10017429 &&
                  vr[j + 5] == 668.69693635,
              "banana ref %d", j);
    }
    CHECK_CLOSE(v[5], 668.02, 1e-12, 0);
    smile_analytic_free(a);

    /* GMM: moments of the mixture formula vs 2-D trapezoid quadrature of the
     * library's own (unnormalised) density exp(log pi) on [-8, 8]^2, step 0.02
     * (components have sd 0.3: the trapezoid rule is spectrally accurate, error
     * ~ exp(-2 pi^2 0.3^2 / 0.02^2) ~ 0; tails beyond 8 are < e^{-40}). */
    a = make(SMILE_ANALYTIC_GMM25, SMILE_NOISE_NONE);
    CHECK(smile_analytic_n_modes(a) == 25, "modes");
    double Z = 0, mx2[2] = {0}, mx4[2] = {0};
    for (int i = -400; i <= 400; i++)
        for (int j = -400; j <= 400; j++) {
            double x[2] = {i * 0.02, j * 0.02}, g[2], lp;
            smile_analytic_eval(a, x, NULL, &lp, g);
            double w = exp(lp);
            Z += w;
            for (int q = 0; q < 2; q++) {
                mx2[q] += w * x[q] * x[q];
                mx4[q] += w * x[q] * x[q] * x[q] * x[q];
            }
        }
    smile_analytic_moments(a, SMILE_MOMENTS_EXACT, e, v);
    for (int q = 0; q < 2; q++) {
        double E2 = mx2[q] / Z, E4 = mx4[q] / Z;
        CHECK_CLOSE(e[q], E2, 1e-9, 0);
        CHECK_CLOSE(v[q], E4 - E2 * E2, 1e-9, 0);
    }
    /* closed form of our default parameters: 8 + 0.09 and 113.1443 - 8.09^2 */
    CHECK_CLOSE(e[0], 8.09, 1e-14, 0);
    CHECK_CLOSE(v[1], 113.1443 - 8.09 * 8.09, 1e-12, 0);

    /* modes visited: one draw at each mean -> 25 (each holds 4 % >= 1 %) */
    double draws[50];
    int K = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            draws[2 * K] = -4 + 2 * i;
            draws[2 * K + 1] = -4 + 2 * j + 0.85; /* inside 3 sd = 0.9 */
            K++;
        }
    CHECK(smile_analytic_modes_visited(a, draws, 25, 0.01) == 25, "25 modes");
    CHECK(smile_analytic_modes_visited(a, draws, 25, 0.05) == 0, "5 %% threshold");
    for (int t = 0; t < 25; t++) draws[2 * t + 1] = -4 + 0.95; /* outside */
    CHECK(smile_analytic_modes_visited(a, draws, 25, 0.01) == 0, "outside the 3-sd discs");
    smile_analytic_free(a);
}

/* ------------------------------------------------------------------------ */
/* 6. initial positions                                                      */
/* ------------------------------------------------------------------------ */
static void test_initial(void) {
    float x[10];
    smile_analytic *a = make(SMILE_ANALYTIC_BANANA, SMILE_NOISE_NONE);
    smile_analytic_initial_position(a, 1, 3, x);
    for (int i = 0; i < 10; i++) CHECK(x[i] == (i < 5 ? 1.0f : 2.0f), "banana x0[%d]", i);
    smile_analytic_free(a);
    a = make(SMILE_ANALYTIC_FUNNEL, SMILE_NOISE_NONE);
    smile_analytic_initial_position(a, 1, 3, x);
    for (int i = 0; i < 10; i++) CHECK(x[i] == 0.0f, "funnel x0[%d]", i);
    smile_analytic_free(a);
    /* GMM: N(0, 4 I) per chain; sample variance over 4000 chains within 5 sd
     * (sd of the variance estimate: 4 sqrt(2/n)) */
    a = make(SMILE_ANALYTIC_GMM25, SMILE_NOISE_NONE);
    const int n = 4000;
    double s2 = 0, s1 = 0;
    float x1[2];
    for (int c = 0; c < n; c++) {
        smile_analytic_initial_position(a, 5, c, x);
        smile_analytic_initial_position(a, 5, c, x1);
        CHECK(x[0] == x1[0] && x[1] == x1[1], "deterministic");
        for (int q = 0; q < 2; q++) {
            s1 += x[q];
            s2 += (double)x[q] * x[q];
        }
    }
    CHECK(fabs(s1 / (2 * n)) < 5 * 2 / sqrt(2.0 * n), "gmm x0 mean %g", s1 / (2 * n));
    CHECK(fabs(s2 / (2 * n) - 4) < 5 * 4 * sqrt(2.0 / (2 * n)), "gmm x0 var %g", s2 / (2 * n));
    smile_analytic_free(a);
}

int main(void) {
    test_icg_constants();
    test_names();
    for (int k = 0; k < NT; k++)
        for (int n = 0; n < NN; n++) test_target(k, n);
    test_noise_covariance(SMILE_ANALYTIC_ICG, SMILE_NOISE_ISOTROPIC);
    test_noise_covariance(SMILE_ANALYTIC_ICG, SMILE_NOISE_ANISOTROPIC);
    test_noise_covariance(SMILE_ANALYTIC_ICG, SMILE_NOISE_CORRELATED);
    test_noise_covariance(SMILE_ANALYTIC_GMM25, SMILE_NOISE_CORRELATED);
    test_moments();
    test_initial();
    return harness_done("test_analytic");
}
