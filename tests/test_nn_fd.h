/* Finite-difference gradient checker for the nn layer kernels (src/nn), shared by
 * tests/test_nn_*.c.
 *
 * A case holds arrays a_0..a_{n-1} (layer inputs and parameters), the layer output y and
 * random weights r. Scalar loss L = Σ r ⊙ y. The double kernels' backward (dy = r) must
 * give ∂L/∂a_k; it is compared with central differences with Richardson extrapolation,
 *     D(h) = (L(a+h e_i) − L(a−h e_i)) / 2h,   D* = (4 D(h/2) − D(h)) / 3,
 * whose truncation error is O(h⁴ L⁽⁵⁾) ≈ 1e-16 for h = 1e-4 and O(1) derivatives, and
 * whose rounding error is ≈ 2 ε_64 Σ|r y| / h ≈ 1e-12 (relative). The reported error of an
 * array is max_i |g_i − D*_i| / max_i |D*_i|; the threshold 1e-6 (the issue asks < 1e-4)
 * is thus ~10⁴ above the expected FD error while a wrong gradient gives O(1).
 *
 * Backward accumulation is checked too: gradient buffers start with random values g0 and
 * the test uses g − g0.
 *
 * The float kernels are run on the same (rounded) data and compared with the double
 * results: ‖z_f − z_d‖∞ / ‖z_d‖∞ ≤ 8·n_acc·u, u = 2⁻²⁴, where n_acc is the longest
 * reduction (sum length) feeding one output of the case (a standard a-priori bound,
 * γ_n ≈ n u, times a small factor for the few multiplications around each sum). */
#ifndef TEST_NN_FD_H
#define TEST_NN_FD_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "harness.h"
#include "nn/nn.h"

#define FD_MAXA 8
#define FD_H 1e-4
#define FD_TOL 1e-6

typedef struct fd_case fd_case;
struct fd_case {
    const char *name;
    int na;
    const char *aname[FD_MAXA];
    size_t alen[FD_MAXA];
    int nograd[FD_MAXA]; /* 1: array has no gradient (e.g. not differentiable) */
    double *a[FD_MAXA], *g[FD_MAXA];
    float *af[FD_MAXA], *gf[FD_MAXA];
    size_t ny;
    double *y, *r;
    float *yf, *rf;
    void (*fwd_d)(fd_case *), (*bwd_d)(fd_case *), (*fwd_f)(fd_case *), (*bwd_f)(fd_case *);
    void *u;      /* layer-specific context */
    size_t n_acc; /* longest reduction, for the float tolerance */
};

static double fd_worst_; /* largest FD error seen by this test binary */

/* Kernel wrappers fn(fd_case *c, int f) run the float kernels when f, else the double
 * ones. FD_RUN(kernel, (args)) calls kernel (f) or kernel_d with args, in which FY, FR,
 * FA(k), FG(k) stand for the case's output, loss weights r, array k and its gradient in
 * the matching precision, FA_OPT(on, k) / FG_OPT(on, k) for the same or NULL, and
 * FD_P(pf, pd) for any pair of float / double buffers. They are passed as void *, which
 * C converts to the kernel's parameter types. FD_WRAP(fn) defines the callbacks fn_fd
 * (double) and fn_ff (float); FD_SETUP installs a forward / backward pair in a case. */
#define FD_RUN(kernel, args) (f ? kernel args : kernel##_d args)
#define FD_P(pf, pd) (f ? (void *)(pf) : (void *)(pd))
#define FY FD_P(c->yf, c->y)
#define FR FD_P(c->rf, c->r)
#define FA(k) FD_P(c->af[k], c->a[k])
#define FG(k) FD_P(c->gf[k], c->g[k])
#define FA_OPT(on, k) ((on) ? FA(k) : NULL)
#define FG_OPT(on, k) ((on) ? FG(k) : NULL)
#define FD_WRAP(fn)                                                                                \
    static void fn##_fd(fd_case *c) { fn(c, 0); }                                                  \
    static void fn##_ff(fd_case *c) { fn(c, 1); }
#define FD_SETUP(c, fw, bw)                                                                        \
    do {                                                                                           \
        (c)->fwd_d = fw##_fd;                                                                      \
        (c)->fwd_f = fw##_ff;                                                                      \
        (c)->bwd_d = bw##_fd;                                                                      \
        (c)->bwd_f = bw##_ff;                                                                      \
    } while (0)

/* Thread configurations of the bitwise thread-independence tests: (OpenMP threads,
 * OpenBLAS threads set by the caller before the kernel calls). The kernels run OpenBLAS
 * single-threaded whatever the caller set (nn_blas_serial), so all must agree bitwise. */
#define FD_NCFG 3
static void fd_thread_cfg(int k) {
    static const int cfg[FD_NCFG][2] = {{1, 1}, {2, 1}, {1, 2}};
    omp_set_num_threads(cfg[k][0]);
    openblas_set_num_threads(cfg[k][1]);
}

/* After the configurations: OpenMP back to omp0 threads; OpenBLAS must be back at one
 * thread (the kernels reset it). */
static void fd_thread_done(int omp0) {
    omp_set_num_threads(omp0);
    CHECK(openblas_get_num_threads() == 1, "kernels leave OpenBLAS single-threaded");
}

/* v[k] (k < FD_NCFG): n floats computed under configuration k; all equal to v[0]. Frees
 * the v[k]. */
static void fd_same_bits(float **v, size_t n, const char *what) {
    for (int k = 1; k < FD_NCFG; k++)
        CHECK(memcmp(v[0], v[k], n * sizeof(float)) == 0,
              "%s depends on the thread configuration %d", what, k);
    for (int k = 0; k < FD_NCFG; k++) free(v[k]);
}

/* Small deterministic generator for test data (independent of smile_rng). */
static uint64_t fd_state_ = 0x9E3779B97F4A7C15ull;
static double fd_unif(void) { /* [0, 1) */
    fd_state_ = fd_state_ * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(fd_state_ >> 11) * (1.0 / 9007199254740992.0);
}
static double fd_sym(double s) { return s * (2 * fd_unif() - 1); } /* U(−s, s) */

static void *fd_alloc(size_t n, size_t sz) {
    void *p = calloc(n ? n : 1, sz);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static void fd_init(fd_case *c, const char *name, size_t ny) {
    memset(c, 0, sizeof *c);
    c->name = name;
    c->ny = ny;
    c->y = fd_alloc(ny, sizeof(double));
    c->r = fd_alloc(ny, sizeof(double));
    c->yf = fd_alloc(ny, sizeof(float));
    c->rf = fd_alloc(ny, sizeof(float));
    for (size_t i = 0; i < ny; i++) c->r[i] = fd_sym(1.0);
    c->n_acc = 1;
}

/* Adds an array with entries U(−scale, scale) + shift; returns its index. */
static int fd_add(fd_case *c, const char *name, size_t n, double scale, double shift) {
    int k = c->na++;
    c->aname[k] = name;
    c->alen[k] = n;
    c->a[k] = fd_alloc(n, sizeof(double));
    c->g[k] = fd_alloc(n, sizeof(double));
    c->af[k] = fd_alloc(n, sizeof(float));
    c->gf[k] = fd_alloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) c->a[k][i] = shift + fd_sym(scale);
    return k;
}

static void fd_free(fd_case *c) {
    for (int k = 0; k < c->na; k++) {
        free(c->a[k]);
        free(c->g[k]);
        free(c->af[k]);
        free(c->gf[k]);
    }
    free(c->y);
    free(c->r);
    free(c->yf);
    free(c->rf);
}

static double fd_loss(fd_case *c) {
    c->fwd_d(c);
    double L = 0;
    for (size_t i = 0; i < c->ny; i++) L += c->r[i] * c->y[i];
    return L;
}

static double fd_maxabs(const double *v, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > m) m = fabs(v[i]);
    return m;
}

/* Runs the FD comparison (double) and the float-vs-double comparison. */
static void fd_check(fd_case *c) {
    /* analytic gradients on top of random g0 */
    double *g0[FD_MAXA];
    for (int k = 0; k < c->na; k++) {
        g0[k] = fd_alloc(c->alen[k], sizeof(double));
        for (size_t i = 0; i < c->alen[k]; i++) c->g[k][i] = g0[k][i] = fd_sym(1.0);
    }
    c->fwd_d(c);
    c->bwd_d(c);
    for (int k = 0; k < c->na; k++) {
        if (c->nograd[k]) continue;
        size_t n = c->alen[k];
        double *fd = fd_alloc(n, sizeof(double)), *ga = fd_alloc(n, sizeof(double));
        for (size_t i = 0; i < n; i++) ga[i] = c->g[k][i] - g0[k][i];
        for (size_t i = 0; i < n; i++) {
            double v = c->a[k][i], D[2];
            for (int s = 0; s < 2; s++) {
                double h = s ? FD_H / 2 : FD_H;
                c->a[k][i] = v + h;
                double lp = fd_loss(c);
                c->a[k][i] = v - h;
                double lm = fd_loss(c);
                D[s] = (lp - lm) / (2 * h);
            }
            c->a[k][i] = v;
            fd[i] = (4 * D[1] - D[0]) / 3;
        }
        double scale = fd_maxabs(fd, n), err = 0;
        for (size_t i = 0; i < n; i++)
            if (fabs(ga[i] - fd[i]) > err) err = fabs(ga[i] - fd[i]);
        double rel = scale > 0 ? err / scale : err;
        if (rel > fd_worst_) fd_worst_ = rel;
        printf("  %-28s d/d%-6s n=%-5zu |g|max=%.3e  rel.err=%.2e\n", c->name, c->aname[k], n,
               scale, rel);
        CHECK(scale > 0 || n == 0, "%s: gradient w.r.t. %s is identically zero", c->name,
              c->aname[k]);
        CHECK(rel < FD_TOL, "%s: d/d%s rel.err %.3e", c->name, c->aname[k], rel);
        free(fd);
        free(ga);
    }

    /* float vs double on the same rounded data */
    if (c->fwd_f) {
        for (int k = 0; k < c->na; k++)
            for (size_t i = 0; i < c->alen[k]; i++) {
                c->af[k][i] = (float)c->a[k][i];
                c->a[k][i] = (double)c->af[k][i];
            }
        for (size_t i = 0; i < c->ny; i++) {
            c->rf[i] = (float)c->r[i];
            c->r[i] = (double)c->rf[i];
        }
        double tol = 8.0 * (double)c->n_acc * ldexp(1.0, -24);
        c->fwd_d(c);
        c->fwd_f(c);
        double e = 0;
        for (size_t i = 0; i < c->ny; i++)
            if (fabs((double)c->yf[i] - c->y[i]) > e) e = fabs((double)c->yf[i] - c->y[i]);
        double ys = fd_maxabs(c->y, c->ny);
        e = ys > 0 ? e / ys : e;
        printf("  %-28s float vs double: y rel.err=%.2e (tol %.1e)\n", c->name, e, tol);
        CHECK(e <= tol, "%s: float forward differs from double: %.3e > %.3e", c->name, e, tol);
        for (int k = 0; k < c->na; k++) {
            memset(c->g[k], 0, c->alen[k] * sizeof(double));
            memset(c->gf[k], 0, c->alen[k] * sizeof(float));
        }
        c->bwd_d(c);
        c->bwd_f(c);
        for (int k = 0; k < c->na; k++) {
            if (c->nograd[k]) continue;
            double m = 0;
            for (size_t i = 0; i < c->alen[k]; i++)
                if (fabs((double)c->gf[k][i] - c->g[k][i]) > m)
                    m = fabs((double)c->gf[k][i] - c->g[k][i]);
            double s = fd_maxabs(c->g[k], c->alen[k]);
            m = s > 0 ? m / s : m;
            CHECK(m <= tol, "%s: float d/d%s differs from double: %.3e > %.3e", c->name,
                  c->aname[k], m, tol);
            printf("  %-28s float vs double: d/d%-6s rel.err=%.2e\n", c->name, c->aname[k], m);
        }
    }
    for (int k = 0; k < c->na; k++) free(g0[k]);
}

#endif
