/*
 * test_model_fd.c — gradients and precisions of the whole-model passes of src/model:
 *   1. gradient of the log-likelihood (scale s folded in) vs central finite differences,
 *      in double (the double build of the same passes, build/libsmile_fd.a), for a small
 *      instance of every architecture and every likelihood; the float path against the
 *      double path on the same instances;
 *   2. the fused FCN kernels (fcn_fast.c) against the generic float path;
 *   3. the direct convolution (conv_direct.c) against the im2col kernel.
 * Descriptions, layouts, initialisation, prior, posterior and threads: test_model_api.c.
 *
 * Finite-difference tolerance (double). Central differences with step h have error
 *   |fd − f'| ≤ h²/6·|f'''| + ρ,   ρ = s·ε_f/h,
 * where ε_f bounds the rounding error of one double evaluation of f = Σ log ℓ and s is the
 * scale. We take ε_f = 32·u·(|f| + 1), u = 2^-53: on the cases below the largest
 * |fd_j − g_j| of the models without kinks is 0.4·ρ. With h = 1e-5·max(1, |θ_j|) and
 * |f'''| ≲ 1e3 on these small problems the truncation part is ≲ 2e-8·|θ_j|² while
 * ρ ≈ 4e-9 (|f| ≈ 3, s = 2.5). We report the plain relative error and check
 *   e_j = max(0, |fd_j − g_j| − ρ) / (max(|fd_j|, |g_j|) + 1e-6·max_k |g_k|),
 * the discrepancy beyond the rounding noise relative to the gradient: max_j e_j < 1e-5
 * (the issue asks < 1e-4). The noise term matters where the derivative
 * is zero: e.g. a ViT key bias adds the same q·b to every score of a softmax row, so its
 * exact gradient is 0, the analytic one ~1e-17 and fd pure noise — 1.1e-10 = 2.5·(2 ulps
 * of f ≈ 3.4)/(2e-5) at coordinate 1191 of the reduced ViT, which is 2.2e-5 relative to
 * the 1e-6·max|g| floor alone. Coordinates where a kink (ReLU, TLU max, max-pool tie)
 * lies within the stencil are detected by comparing steps h and h/2 (they disagree by far
 * more than the error bound, 3ρ included) and skipped; at most 1% may be.
 */#include "model/conv_direct.h"
#include "model/model_fd_internal.h"
#include "model/model_internal.h"
#include "test_model_util.h"

#include <omp.h>

/* ---- 1. finite differences -------------------------------------------------------------- */

/* Double-precision FD check of s·∇ Σ log ℓ on the examples idx[0..n). */
static void fd_check(const char *name, const smile_model *m, const test_data *td,
                     const uint32_t *idx, size_t n, size_t max_batch, double scale,
                     size_t max_coords) {
    double t_start = omp_get_wtime();
    size_t d = smile_model_param_count(m);
    float *thf = malloc(d * sizeof *thf);
    double *th = malloc(d * sizeof *th), *g = calloc(d, sizeof *g);
    make_theta(m, thf, 7);
    for (size_t j = 0; j < d; j++) th[j] = thf[j];
    smile_model_workspace *ws = NULL;
    CHECK(smile_model_workspace_init_d(&ws, m, max_batch, msg, sizeof msg) == SMILE_OK, "%s", msg);
    double ll = 0;
    CHECK(smile_model_eval_d(m, ws, th, &td->v, idx, n, scale, &ll, g, NULL) == SMILE_OK,
          "%s eval", name);
    CHECK(isfinite(ll), "%s: loglik %g", name, ll);
    /* coordinates: all when d is small, else a random subset (every tensor is hit with
     * high probability; the first and last coordinates always) */
    size_t n_coord = d <= max_coords ? d : max_coords / 2;
    smile_rng r;
    smile_rng_init(&r, 3, 0, SMILE_RNG_USER);
    double gmax = 0;
    for (size_t j = 0; j < d; j++) gmax = fmax(gmax, fabs(g[j]));
    double emax = 0, eraw = 0;
    size_t skipped = 0, worst = 0;
    for (size_t c = 0; c < n_coord; c++) {
        size_t j = d <= max_coords ? c : c == 0 ? 0 : c == 1 ? d - 1 : smile_rng_below(&r, d);
        double t0 = th[j], h = 1e-5 * fmax(1.0, fabs(t0)), fd[2];
        for (int k = 0; k < 2; k++) {
            double hk = k ? h / 2 : h, lp, lm;
            th[j] = t0 + hk;
            smile_model_eval_d(m, ws, th, &td->v, idx, n, scale, &lp, NULL, NULL);
            th[j] = t0 - hk;
            smile_model_eval_d(m, ws, th, &td->v, idx, n, scale, &lm, NULL, NULL);
            fd[k] = scale * (lp - lm) / (2 * hk);
        }
        th[j] = t0;
        double den = fmax(fabs(fd[0]), fabs(g[j])) + 1e-6 * gmax;
        double rho = scale * 32 * 0x1p-53 * (fabs(ll) + 1) / h; /* rounding noise of fd[0] */
        if (fabs(fd[0] - fd[1]) > 1e-4 * den + 3 * rho) { /* kink inside the stencil */
            skipped++;
            continue;
        }
        double e = fmax(0, fabs(fd[0] - g[j]) - rho) / den;
        eraw = fmax(eraw, fabs(fd[0] - g[j]) / den);
        if (e > emax) {
            emax = e;
            worst = j;
        }
    }
    printf("  fd %-22s d=%-7zu coords=%-5zu max rel err %.2e, beyond noise %.2e (coord %zu) "
           "skipped %zu (%.1f s)\n",
           name, d, n_coord, eraw, emax, worst, skipped, omp_get_wtime() - t_start);
    CHECK(emax < 1e-5, "%s: max relative FD error %.3e at coordinate %zu", name, emax, worst);
    CHECK(skipped <= n_coord / 100, "%s: %zu kink coordinates skipped", name, skipped);

    /* float path agrees with the double path up to float rounding: each output is a sum
     * of O(depth·width) float products, relative error ≲ 1e-5·cond; tolerance 1e-3 of
     * the gradient scale (a wrong float kernel is off by O(1)). */
    float *gf = calloc(d, sizeof *gf);
    smile_model_workspace *wsf = NULL;
    CHECK(smile_model_workspace_init(&wsf, m, max_batch, msg, sizeof msg) == SMILE_OK, "%s", msg);
    double llf = 0;
    CHECK(smile_model_loglik_grad(m, wsf, thf, &td->v, idx, n, scale, &llf, gf) == SMILE_OK,
          "%s float eval", name);
    double gerr = 0;
    for (size_t j = 0; j < d; j++) gerr = fmax(gerr, fabs(gf[j] - g[j]));
    CHECK(fabs(llf - ll) <= 1e-4 * (fabs(ll) + 1), "%s: float loglik %.9g vs double %.9g", name, llf,
          ll);
    CHECK(gerr <= 1e-3 * gmax, "%s: float vs double gradient max diff %.3e (scale %.3e)", name,
          gerr, gmax);
    free(gf);
    smile_model_workspace_free(wsf);
    smile_model_workspace_free(ws);
    free(th);
    free(thf);
    free(g);
}

static void run_fd_n(const char *name, smile_model_desc d, size_t n_data, size_t n_batch,
                     size_t max_batch, size_t max_coords) {
    smile_model *m = build(&d);
    if (!m) return;
    test_data td;
    make_data(&td, m, n_data, 11);
    /* a batch of distinct rows in shuffled order; scale s = 2.5 must multiply the gradient */
    uint32_t *idx = malloc(n_batch * sizeof *idx);
    for (size_t i = 0; i < n_batch; i++) idx[i] = (uint32_t)((i * 7 + 3) % n_data);
    fd_check(name, m, &td, idx, n_batch, max_batch, 2.5, max_coords);
    free(idx);
    free_data(&td);
    smile_model_free(m);
}

/* every coordinate up to d = 2500, else 1200 random ones */
static void run_fd(const char *name, smile_model_desc d, size_t n_data, size_t n_batch,
                   size_t max_batch) {
    run_fd_n(name, d, n_data, n_batch, max_batch, 2500);
}

/* The default transformer of `kind` with 2 blocks of width 8, 2 heads, MLP 12. */
static smile_model_desc small_transformer(smile_model_kind kind) {
    smile_model_desc d = smile_model_desc_default(kind);
    d.embed = 8;
    d.depth = 2;
    d.heads = 2;
    d.mlp = 12;
    return d;
}

static void test_fd(void) {
    /* thousands of tiny evaluations: one thread (OpenMP fork/join would dominate); the
     * thread-count independence is tested separately (test_threads) */
    smile_model_set_threads(1);
    smile_model_desc d = smile_model_desc_default(SMILE_MODEL_FCN);
    d.n_inputs = 3;
    d.n_hidden = 2;
    d.hidden[0] = 5;
    d.hidden[1] = 4;
    run_fd("fcn gauss-homo", d, 13, 9, 4); /* 3 chunks of the workspace batch */
    d.likelihood = SMILE_LIK_GAUSS_HETERO;
    run_fd("fcn gauss-hetero", d, 13, 9, 9);
    d.sigma_link = SMILE_SIGMA_SOFTPLUS;
    run_fd("fcn gauss-hetero softplus", d, 13, 9, 4); /* 3 chunks: η kept per chunk */
    d.activation = SMILE_ACT_TANH;
    run_fd("fcn tanh hetero softplus", d, 13, 9, 9);
    d.student_df = 4.5; /* Student-t noise, both links */
    run_fd("fcn tanh hetero softplus student-t", d, 13, 9, 4);
    d.activation = SMILE_ACT_RELU;
    d.sigma_link = SMILE_SIGMA_EXP;
    run_fd("fcn hetero exp student-t", d, 13, 9, 9);
    d.student_df = 0;
    d.sigma_link = SMILE_SIGMA_EXP;
    d.likelihood = SMILE_LIK_CATEGORICAL;
    d.n_classes = 4;
    run_fd("fcn categorical", d, 13, 9, 9);
    /* the other hidden activations, on both regression heads and classes */
    static const char *const act_case[] = {"fcn gelu hetero", "fcn tanh homo", "fcn silu categorical"};
    static const smile_activation acts[] = {SMILE_ACT_GELU, SMILE_ACT_TANH, SMILE_ACT_SILU};
    static const smile_likelihood_kind liks[] = {SMILE_LIK_GAUSS_HETERO, SMILE_LIK_GAUSS_HOMO,
                                                 SMILE_LIK_CATEGORICAL};
    for (int k = 0; k < 3; k++) {
        d.activation = acts[k];
        d.likelihood = liks[k];
        run_fd(act_case[k], d, 13, 9, 9);
    }
    d.activation = SMILE_ACT_RELU;

    d = smile_model_desc_default(SMILE_MODEL_LENET);
    d.in_h = d.in_w = 14;
    d.lenet[0] = 2;
    d.lenet[1] = 3;
    d.lenet[2] = 7;
    d.lenet[3] = 5;
    d.n_classes = 4;
    run_fd("lenet (reduced)", d, 5, 3, 2);
    /* workspace of 32: example-parallel pieces (8 × 4 examples) + a second chunk of 4 */
    run_fd("lenet (pieces)", d, 40, 36, 32);

    d = smile_model_desc_default(SMILE_MODEL_RESNET7);
    d.in_h = d.in_w = 8;
    d.res_width = 2;
    d.n_classes = 3;
    run_fd("resnet7 (reduced)", d, 5, 3, 3);
    run_fd_n("resnet7 (pieces)", d, 33, 33, 32, 400); /* 200 random coordinates */

    d = smile_model_desc_default(SMILE_MODEL_RESNET18);
    d.in_h = d.in_w = 8;
    d.res_width = 2;
    d.n_classes = 3;
    run_fd("resnet18 (reduced)", d, 5, 2, 2);

    d = small_transformer(SMILE_MODEL_VIT);
    d.in_h = d.in_w = 8;
    d.patch = 4;
    d.cls_hidden = 6;
    d.n_classes = 3;
    run_fd("vit (reduced)", d, 5, 3, 2);

    d = small_transformer(SMILE_MODEL_GPT);
    d.vocab = 7;
    d.context = 5;
    run_fd("gpt reference block (reduced)", d, 9, 3, 2);
    d.gpt_pre_ln = 1;
    run_fd("gpt pre-LN (reduced)", d, 9, 3, 3);
    smile_model_set_threads(0);
}

/* ---- 2. fused FCN kernels vs generic path ------------------------------------------------ */

static void test_fcn_fast(void) {
    /* shapes: the UCI model (widths 16), odd widths, hetero and categorical heads */
    struct {
        size_t p, nh, h[3];
        smile_likelihood_kind lik;
        size_t B, n;
        smile_sigma_link link;
        double nu;
    } cases[] = {{11, 3, {16, 16, 16}, SMILE_LIK_GAUSS_HOMO, 256, 300, SMILE_SIGMA_EXP, 0},
                 {5, 2, {16, 16, 0}, SMILE_LIK_GAUSS_HETERO, 64, 100, SMILE_SIGMA_EXP, 0},
                 {8, 3, {16, 16, 16}, SMILE_LIK_GAUSS_HETERO, 256, 614, SMILE_SIGMA_SOFTPLUS, 0},
                 {8, 3, {16, 16, 16}, SMILE_LIK_GAUSS_HETERO, 256, 614, SMILE_SIGMA_SOFTPLUS, 5},
                 {5, 2, {16, 16, 0}, SMILE_LIK_GAUSS_HETERO, 64, 100, SMILE_SIGMA_EXP, 3.5},
                 {7, 3, {13, 33, 5}, SMILE_LIK_GAUSS_HOMO, 17, 40, SMILE_SIGMA_EXP, 0},
                 {4, 1, {40, 0, 0}, SMILE_LIK_CATEGORICAL, 32, 50, SMILE_SIGMA_EXP, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        smile_model_desc d = smile_model_desc_default(SMILE_MODEL_FCN);
        d.n_inputs = cases[c].p;
        d.n_hidden = cases[c].nh;
        for (size_t i = 0; i < 3; i++) d.hidden[i] = cases[c].h[i];
        d.likelihood = cases[c].lik;
        d.sigma_link = cases[c].link;
        d.student_df = cases[c].nu;
        smile_model *m = build(&d);
        if (!m) continue;
        size_t D = smile_model_param_count(m);
        test_data td;
        make_data(&td, m, cases[c].n, 5);
        float *th = malloc(D * sizeof *th), *g1 = calloc(D, sizeof *g1), *g2 = calloc(D, sizeof *g2);
        make_theta(m, th, 9);
        smile_model_workspace *ws = NULL;
        smile_model_workspace_init(&ws, m, cases[c].B, msg, sizeof msg);
        uint32_t *idx = malloc(cases[c].B * sizeof *idx);
        for (size_t i = 0; i < cases[c].B; i++) idx[i] = (uint32_t)((i * 13 + 1) % cases[c].n);
        double l1 = 0, l2 = 0;
        CHECK(smile_model_loglik_grad(m, ws, th, &td.v, idx, cases[c].B, 3.0, &l1, g1) == 0, "fast");
        CHECK(smile_model_loglik_grad_generic(m, ws, th, &td.v, idx, cases[c].B, 3.0, &l2, g2) == 0,
              "generic");
        double gmax = 0, diff = 0;
        for (size_t j = 0; j < D; j++) {
            gmax = fmax(gmax, fabs(g2[j]));
            diff = fmax(diff, fabs(g1[j] - g2[j]));
        }
        /* both are float computations of the same sums in different orders: relative
         * differences of a few float ulps times the accumulation length */
        CHECK(fabs(l1 - l2) <= 1e-5 * (fabs(l2) + 1), "case %zu loglik fast %.9g generic %.9g", c,
              l1, l2);
        CHECK(diff <= 1e-4 * gmax, "case %zu grad fast vs generic %.3e (scale %.3e)", c, diff, gmax);
        free(idx);
        free(th);
        free(g1);
        free(g2);
        free_data(&td);
        smile_model_workspace_free(ws);
        smile_model_free(m);
    }
}

/* ---- 3. direct convolution (conv_direct.c) vs the im2col kernel -------------------------- */

static void fill(float *p, size_t n, smile_rng *r) {
    for (size_t i = 0; i < n; i++) p[i] = (float)smile_rng_normal(r);
}

static double maxdiff(const float *a, const float *b, size_t n, double *scale) {
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i]));
    }
    *scale = s;
    return d;
}

static void test_conv_direct(void) {
    /* LeNet conv1 / conv2, ResNet-7 conv1 (OC = 32 lanes), odd sizes and paddings */
    struct {
        size_t H, W, C, OC, K, PT, PB, PL, PR, B;
    } cs[] = {{28, 28, 1, 6, 5, 2, 2, 2, 2, 3}, {14, 14, 6, 16, 5, 0, 0, 0, 0, 3},
              {9, 7, 3, 32, 3, 1, 1, 1, 1, 2},  {6, 11, 5, 20, 3, 0, 2, 1, 0, 2},
              {5, 5, 32, 9, 2, 1, 0, 0, 1, 2}};
    smile_rng r;
    smile_rng_init(&r, 77, 0, SMILE_RNG_USER);
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
        nn_conv2d_dims d;
        CHECK(nn_conv2d_dims_init_pad(&d, cs[c].H, cs[c].W, cs[c].C, cs[c].OC, cs[c].K, cs[c].K, 1,
                                      cs[c].PT, cs[c].PB, cs[c].PL, cs[c].PR) == SMILE_OK,
              "dims %zu", c);
        CHECK(mdl_convd_ok(&d), "direct kernel accepts case %zu", c);
        size_t B = cs[c].B, nx = B * d.H * d.W * d.C, ny = B * d.OH * d.OW * d.OC;
        size_t nw = d.KH * d.KW * d.C * d.OC;
        size_t sb = nn_conv2d_scratch_size(&d, B), sd = mdl_convd_scratch_size(&d, 2);
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(d.OC * 4), *dy = malloc(ny * 4);
        float *y1 = malloc(ny * 4), *y2 = malloc(ny * 4);
        float *dx1 = calloc(nx, 4), *dx2 = calloc(nx, 4), *dw1 = calloc(nw, 4), *dw2 = calloc(nw, 4);
        float *db1 = calloc(d.OC, 4), *db2 = calloc(d.OC, 4);
        void *s1 = smile_calloc(sb ? sb : 1, 1), *s2 = smile_calloc(sd, 1);
        fill(x, nx, &r), fill(w, nw, &r), fill(b, d.OC, &r), fill(dy, ny, &r);
        for (size_t i = 0; i < nx; i++) dx1[i] = dx2[i] = 0.5f; /* both accumulate */
        nn_conv2d_forward(y1, s1, x, w, b, &d, B);
        mdl_convd_forward(y2, s2, x, w, b, &d, B, 2);
        nn_conv2d_backward(dx1, dw1, db1, s1, dy, x, w, &d, B);
        mdl_convd_backward(dx2, dw2, db2, s2, dy, x, w, &d, B, 2);
        /* float sums of ≤ KH·KW·max(C, OC) (y, dx) or B·OH·OW (dw, db) terms of size O(1)
         * in different orders: differences ≲ √K·u·scale; 1e-5·scale is ~100× that */
        double sc, e;
        e = maxdiff(y2, y1, ny, &sc);
        CHECK(e <= 1e-5 * sc, "case %zu forward %.3e (scale %.3e)", c, e, sc);
        e = maxdiff(dx2, dx1, nx, &sc);
        CHECK(e <= 1e-5 * sc, "case %zu dx %.3e (scale %.3e)", c, e, sc);
        e = maxdiff(dw2, dw1, nw, &sc);
        CHECK(e <= 1e-5 * sc, "case %zu dw %.3e (scale %.3e)", c, e, sc);
        e = maxdiff(db2, db1, d.OC, &sc);
        CHECK(e <= 1e-5 * sc, "case %zu db %.3e (scale %.3e)", c, e, sc);
        free(x), free(w), free(b), free(dy), free(y1), free(y2), free(dx1), free(dx2);
        free(dw1), free(dw2), free(db1), free(db2);
        smile_free(s1), smile_free(s2);
    }
}

int main(void) {
    test_fd();
    test_fcn_fast();
    test_conv_direct();
    return harness_done("test_model_fd");
}
