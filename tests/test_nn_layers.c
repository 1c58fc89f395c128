/* Layer kernels of src/nn (dense, activations, add, LayerNorm, embeddings, class token,
 * selection, softmax cross-entropy, pools, FRN+TLU): forward against direct formulas of
 * docs/experiments.md, section 3, backward against central finite differences in
 * double (tests/test_nn_fd.h explains the error bounds), float against double.
 * Convolutions: test_nn_conv.c; attention: test_nn_attention.c. */
#include "test_nn_fd.h"
#include "core/vmath_d.h"

#include <omp.h>

/* ---------------------------------------------------------------------------------------
 * Dense: y = x w + b
 * ------------------------------------------------------------------------------------- */
typedef struct {
    size_t N, IC, OC;
    int bias;
} dense_u;

static void dense_fwd(fd_case *c, int f) {
    dense_u *u = c->u;
    FD_RUN(nn_dense_forward, (FY, FA(0), FA(1), FA_OPT(u->bias, 2), u->N, u->IC, u->OC));
}
static void dense_bwd(fd_case *c, int f) {
    dense_u *u = c->u;
    FD_RUN(nn_dense_backward,
           (FG(0), FG(1), FG_OPT(u->bias, 2), FR, FA(0), FA(1), u->N, u->IC, u->OC));
}
FD_WRAP(dense_fwd)
FD_WRAP(dense_bwd)

static void test_dense(int bias) {
    dense_u u = {5, 7, 4, bias};
    fd_case c;
    fd_init(&c, bias ? "dense" : "dense(no bias)", u.N * u.OC);
    fd_add(&c, "x", u.N * u.IC, 1, 0);
    fd_add(&c, "w", u.IC * u.OC, 1, 0);
    if (bias) fd_add(&c, "b", u.OC, 1, 0);
    c.u = &u;
    c.n_acc = u.N + u.IC + u.OC;
    FD_SETUP(&c, dense_fwd, dense_bwd);
    /* forward: direct formula with w[IC][OC] layout */
    c.fwd_d(&c);
    double e = 0;
    for (size_t n = 0; n < u.N; n++)
        for (size_t o = 0; o < u.OC; o++) {
            double s = bias ? c.a[2][o] : 0;
            for (size_t i = 0; i < u.IC; i++) s += c.a[0][n * u.IC + i] * c.a[1][i * u.OC + o];
            e = fmax(e, fabs(s - c.y[n * u.OC + o]));
        }
    CHECK(e < 1e-13, "dense forward err %g", e);
    fd_check(&c);
    fd_free(&c);
}

/* ---------------------------------------------------------------------------------------
 * ReLU, GELU, add
 * ------------------------------------------------------------------------------------- */
static void relu_fwd(fd_case *c, int f) { FD_RUN(nn_relu_forward, (FY, FA(0), c->ny)); }
static void relu_bwd(fd_case *c, int f) { FD_RUN(nn_relu_backward, (FG(0), FR, FA(0), c->ny)); }
static void gelu_fwd(fd_case *c, int f) { FD_RUN(nn_gelu_forward, (FY, FA(0), c->ny)); }
static void gelu_bwd(fd_case *c, int f) { FD_RUN(nn_gelu_backward, (FG(0), FR, FA(0), c->ny)); }
static void add_fwd(fd_case *c, int f) { FD_RUN(nn_add_forward, (FY, FA(0), FA(1), c->ny)); }
static void add_bwd(fd_case *c, int f) { FD_RUN(nn_add_backward, (FG(0), FG(1), FR, c->ny)); }
FD_WRAP(relu_fwd)
FD_WRAP(relu_bwd)
FD_WRAP(gelu_fwd)
FD_WRAP(gelu_bwd)
FD_WRAP(add_fwd)
FD_WRAP(add_bwd)

static void test_elementwise(void) {
    fd_case c;
    size_t n = 40;
    /* ReLU: keep |x| ≥ 0.05 ≫ h so no perturbation crosses the kink. */
    fd_init(&c, "relu", n);
    int k = fd_add(&c, "x", n, 2, 0);
    for (size_t i = 0; i < n; i++)
        if (fabs(c.a[k][i]) < 0.05) c.a[k][i] = c.a[k][i] < 0 ? -0.05 - fd_unif() : 0.05 + fd_unif();
    FD_SETUP(&c, relu_fwd, relu_bwd);
    fd_check(&c);
    fd_free(&c);

    fd_init(&c, "gelu", n);
    fd_add(&c, "x", n, 5, 0);
    FD_SETUP(&c, gelu_fwd, gelu_bwd);
    fd_check(&c);
    /* values of the tanh form, computed independently with Python's math module */
    double xs[3] = {1.0, -2.0, 0.5}, ys[3] = {0.8411919906082768, -0.04540230591222494,
                                               0.34571400982514394};
    double yd[3];
    float xf[3] = {1.0f, -2.0f, 0.5f}, yf[3];
    nn_gelu_forward_d(yd, xs, 3);
    nn_gelu_forward(yf, xf, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_CLOSE(yd[i], ys[i], 1e-15, 1e-16);
        CHECK_CLOSE(yf[i], ys[i], 4e-7, 1e-8);
    }
    fd_free(&c);

    fd_init(&c, "add", n);
    fd_add(&c, "a", n, 1, 0);
    fd_add(&c, "b", n, 1, 0);
    FD_SETUP(&c, add_fwd, add_bwd);
    fd_check(&c);
    fd_free(&c);
}

/* ---------------------------------------------------------------------------------------
 * LayerNorm
 * ------------------------------------------------------------------------------------- */
typedef struct {
    size_t N, C;
    int bias;
    double eps;
    double mean[64], rstd[64];
    float meanf[64], rstdf[64];
} ln_u;

static void ln_fwd(fd_case *c, int f) {
    ln_u *u = c->u;
    FD_RUN(nn_layernorm_forward, (FY, FD_P(u->meanf, u->mean), FD_P(u->rstdf, u->rstd), FA(0),
                                  FA(1), FA_OPT(u->bias, 2), u->N, u->C, u->eps));
}
static void ln_bwd(fd_case *c, int f) {
    ln_u *u = c->u;
    FD_RUN(nn_layernorm_backward, (FG(0), FG(1), FG_OPT(u->bias, 2), FR, FA(0),
                                   FD_P(u->meanf, u->mean), FD_P(u->rstdf, u->rstd), FA(1), u->N,
                                   u->C));
}
FD_WRAP(ln_fwd)
FD_WRAP(ln_bwd)

static void test_layernorm(int bias, double eps) {
    ln_u u = {.N = 6, .C = 9, .bias = bias, .eps = eps};
    fd_case c;
    fd_init(&c, bias ? "layernorm" : "layernorm(no bias)", u.N * u.C);
    fd_add(&c, "x", u.N * u.C, 1, 0.3);
    fd_add(&c, "g", u.C, 0.5, 1);
    if (bias) fd_add(&c, "b", u.C, 1, 0);
    c.u = &u;
    c.n_acc = u.N + u.C;
    FD_SETUP(&c, ln_fwd, ln_bwd);
    c.fwd_d(&c);
    double e = 0;
    for (size_t n = 0; n < u.N; n++) {
        const double *x = c.a[0] + n * u.C;
        double m = 0, v = 0;
        for (size_t i = 0; i < u.C; i++) m += x[i] / u.C;
        for (size_t i = 0; i < u.C; i++) v += (x[i] - m) * (x[i] - m) / u.C;
        for (size_t i = 0; i < u.C; i++) {
            double ref = (x[i] - m) / sqrt(v + eps) * c.a[1][i] + (bias ? c.a[2][i] : 0);
            e = fmax(e, fabs(ref - c.y[n * u.C + i]));
        }
    }
    CHECK(e < 1e-13, "layernorm forward err %g", e);
    fd_check(&c);
    fd_free(&c);
}

/* ---------------------------------------------------------------------------------------
 * Embeddings, class token, selection
 * ------------------------------------------------------------------------------------- */
typedef enum { TOK_EMB, TOK_POS, TOK_PREPEND, TOK_SELECT } tok_op;
typedef struct {
    size_t N, C, B, T;
    int32_t tok[32];
    tok_op op;
} emb_u;

static void tok_fwd(fd_case *c, int f) {
    emb_u *u = c->u;
    switch (u->op) {
    case TOK_EMB: FD_RUN(nn_embedding_forward, (FY, u->tok, FA(0), u->N, u->C)); break;
    case TOK_POS: FD_RUN(nn_posemb_forward, (FY, FA(0), FA(1), u->B, u->T, u->C)); break;
    case TOK_PREPEND: FD_RUN(nn_prepend_forward, (FY, FA(0), FA(1), u->B, u->T, u->C)); break;
    case TOK_SELECT: FD_RUN(nn_select_forward, (FY, FA(0), u->B, u->T, u->C, 2)); break;
    }
}
static void tok_bwd(fd_case *c, int f) {
    emb_u *u = c->u;
    switch (u->op) {
    case TOK_EMB: FD_RUN(nn_embedding_backward, (FG(0), u->tok, FR, u->N, u->C)); break;
    case TOK_POS: FD_RUN(nn_posemb_backward, (FG(0), FG(1), FR, u->B, u->T, u->C)); break;
    case TOK_PREPEND: FD_RUN(nn_prepend_backward, (FG(0), FG(1), FR, u->B, u->T, u->C)); break;
    case TOK_SELECT: FD_RUN(nn_select_backward, (FG(0), FR, u->B, u->T, u->C, 2)); break;
    }
}
FD_WRAP(tok_fwd)
FD_WRAP(tok_bwd)

static void test_embeddings(void) {
    emb_u u = {.N = 12, .C = 5, .B = 3, .T = 4};
    size_t V = 6;
    for (size_t n = 0; n < u.N; n++) u.tok[n] = (int32_t)((n * 7 + 3) % 5); /* repeats, id 5 unused */
    fd_case c;
    fd_init(&c, "embedding", u.N * u.C);
    fd_add(&c, "wte", V * u.C, 1, 0);
    c.u = &u;
    c.n_acc = u.N;
    u.op = TOK_EMB;
    FD_SETUP(&c, tok_fwd, tok_bwd);
    c.fwd_d(&c);
    int ok = 1;
    for (size_t n = 0; n < u.N; n++)
        for (size_t i = 0; i < u.C; i++) ok &= c.y[n * u.C + i] == c.a[0][u.tok[n] * u.C + i];
    CHECK(ok, "embedding forward");
    /* the unused row 5 must get no gradient: handled by the FD check (exact zeros) */
    fd_check(&c);
    fd_free(&c);

    fd_init(&c, "posemb", u.B * u.T * u.C);
    fd_add(&c, "x", u.B * u.T * u.C, 1, 0);
    fd_add(&c, "wpe", u.T * u.C, 1, 0);
    c.u = &u;
    c.n_acc = u.B;
    u.op = TOK_POS;
    FD_SETUP(&c, tok_fwd, tok_bwd);
    c.fwd_d(&c);
    CHECK(c.y[(1 * u.T + 2) * u.C + 3] == c.a[0][(1 * u.T + 2) * u.C + 3] + c.a[1][2 * u.C + 3],
          "posemb forward");
    fd_check(&c);
    fd_free(&c);

    fd_init(&c, "prepend(class token)", u.B * (u.T + 1) * u.C);
    fd_add(&c, "x", u.B * u.T * u.C, 1, 0);
    fd_add(&c, "tok", u.C, 1, 0);
    c.u = &u;
    c.n_acc = u.B;
    u.op = TOK_PREPEND;
    FD_SETUP(&c, tok_fwd, tok_bwd);
    c.fwd_d(&c);
    CHECK(c.y[(1 * (u.T + 1) + 0) * u.C + 2] == c.a[1][2] &&
              c.y[(1 * (u.T + 1) + 3) * u.C + 2] == c.a[0][(1 * u.T + 2) * u.C + 2],
          "prepend forward");
    fd_check(&c);
    fd_free(&c);

    fd_init(&c, "select(token 2)", u.B * u.C);
    fd_add(&c, "x", u.B * u.T * u.C, 1, 0);
    c.u = &u;
    u.op = TOK_SELECT;
    FD_SETUP(&c, tok_fwd, tok_bwd);
    fd_check(&c);
    fd_free(&c);
}

/* ---------------------------------------------------------------------------------------
 * Softmax cross-entropy
 * ------------------------------------------------------------------------------------- */
typedef struct {
    size_t N, K;
    int32_t lab[16];
    double scale;
    double ll[16];
} xe_u;

static void xe_fwd(fd_case *c, int f) {
    xe_u *u = c->u;
    if (f) {
        nn_xent_forward(u->ll, c->af[0], u->lab, u->N, u->K);
        for (size_t n = 0; n < u->N; n++) c->yf[n] = (float)u->ll[n];
    } else {
        nn_xent_forward_d(c->y, c->a[0], u->lab, u->N, u->K);
    }
}
static void xe_bwd(fd_case *c, int f) {
    xe_u *u = c->u;
    /* the loss Σ r_n y_n is Σ dll_n ll_n with dll = r; `scale` multiplies y in fwd too */
    FD_RUN(nn_xent_backward, (FG(0), FA(0), u->lab, c->r, u->scale, u->N, u->K));
}
static void xe_fwd_scaled(fd_case *c, int f) {
    xe_u *u = c->u;
    xe_fwd(c, f);
    for (size_t n = 0; n < u->N; n++) {
        if (f) c->yf[n] *= (float)u->scale;
        else c->y[n] *= u->scale;
    }
}
FD_WRAP(xe_fwd_scaled)
FD_WRAP(xe_bwd)

static void test_xent(void) {
    xe_u u = {.N = 7, .K = 5, .scale = 2.5};
    for (size_t n = 0; n < u.N; n++) u.lab[n] = (int32_t)((n * 3) % u.K);
    u.lab[4] = -1; /* ignored row */
    fd_case c;
    fd_init(&c, "softmax-xent", u.N);
    fd_add(&c, "logits", u.N * u.K, 4, 0);
    c.u = &u;
    c.n_acc = 4 * u.K; /* logits ~ ±4: exp/log amplify relative float errors a little */
    FD_SETUP(&c, xe_fwd_scaled, xe_bwd);
    /* forward: direct log-softmax */
    double ll[16], lp[16 * 8];
    nn_xent_forward_d(ll, c.a[0], u.lab, u.N, u.K);
    nn_log_softmax_d(lp, c.a[0], u.N, u.K);
    double e = 0;
    for (size_t n = 0; n < u.N; n++) {
        const double *z = c.a[0] + n * u.K;
        double s = 0;
        for (size_t k = 0; k < u.K; k++) s += exp(z[k]);
        for (size_t k = 0; k < u.K; k++) e = fmax(e, fabs(lp[n * u.K + k] - (z[k] - log(s))));
        if (u.lab[n] >= 0) e = fmax(e, fabs(ll[n] - (z[u.lab[n]] - log(s))));
    }
    CHECK(e < 1e-14, "xent/log_softmax forward err %g", e);
    CHECK(ll[4] == 0, "ignored label gives ll = 0");
    /* extreme logits: no overflow (log-sum-exp with max shift) */
    double big[3] = {1000, 0, -1000}, lb;
    int32_t l0 = 0;
    nn_xent_forward_d(&lb, big, &l0, 1, 3);
    CHECK(fabs(lb) < 1e-15, "xent with logits 1000: %g", lb);
    fd_check(&c);
    /* the ignored row gets no gradient */
    memset(c.g[0], 0, u.N * u.K * sizeof(double));
    nn_xent_backward_d(c.g[0], c.a[0], u.lab, NULL, 1.0, u.N, u.K);
    int zero = 1;
    for (size_t k = 0; k < u.K; k++) zero &= c.g[0][4 * u.K + k] == 0;
    CHECK(zero, "ignored row has zero gradient");
    /* a row's gradient sums to 0 */
    double s = 0;
    for (size_t k = 0; k < u.K; k++) s += c.g[0][k];
    CHECK(fabs(s) < 1e-15, "gradient row sum %g", s);
    fd_free(&c);
}

/* ---------------------------------------------------------------------------------------
 * Pools
 * ------------------------------------------------------------------------------------- */
typedef struct {
    nn_conv2d_dims d;
    size_t B;
    int kind; /* 0 max, 1 avg, 2 global average */
} pool_u;

static void pool_fwd(fd_case *c, int f) {
    pool_u *u = c->u;
    if (u->kind == 0) FD_RUN(nn_maxpool_forward, (FY, FA(0), &u->d, u->B));
    else if (u->kind == 1) FD_RUN(nn_avgpool_forward, (FY, FA(0), &u->d, u->B));
    else FD_RUN(nn_gap_forward, (FY, FA(0), u->B, u->d.H * u->d.W, u->d.C));
}
static void pool_bwd(fd_case *c, int f) {
    pool_u *u = c->u;
    if (u->kind == 0) FD_RUN(nn_maxpool_backward, (FG(0), FR, FA(0), &u->d, u->B));
    else if (u->kind == 1) FD_RUN(nn_avgpool_backward, (FG(0), FR, &u->d, u->B));
    else FD_RUN(nn_gap_backward, (FG(0), FR, u->B, u->d.H * u->d.W, u->d.C));
}
FD_WRAP(pool_fwd)
FD_WRAP(pool_bwd)

/* Direct pooling with explicit padding (max: −∞ padding; avg: VALID). */
static double pool_ref(const double *x, const nn_conv2d_dims *d, size_t b, size_t oh, size_t ow,
                       size_t ch, int kind) {
    double m = -INFINITY, s = 0;
    for (size_t kh = 0; kh < d->KH; kh++)
        for (size_t kw = 0; kw < d->KW; kw++) {
            long ih = (long)(oh * d->S + kh) - (long)d->PT, iw = (long)(ow * d->S + kw) - (long)d->PL;
            double v = -INFINITY;
            if (ih >= 0 && ih < (long)d->H && iw >= 0 && iw < (long)d->W)
                v = x[((b * d->H + (size_t)ih) * d->W + (size_t)iw) * d->C + ch];
            m = fmax(m, v);
            s += v;
        }
    return kind == 0 ? m : s / (double)(d->KH * d->KW);
}

static void test_pool(const char *name, int kind, size_t B, size_t H, size_t W, size_t C, size_t K,
                      size_t S, nn_padding pad, size_t expect_out, size_t expect_pt) {
    pool_u u = {.B = B, .kind = kind};
    CHECK(nn_pool_dims_init(&u.d, H, W, C, K, K, S, pad) == SMILE_OK, "%s dims", name);
    CHECK(u.d.OH == expect_out && u.d.PT == expect_pt, "%s: OH %zu (want %zu), PT %zu (want %zu)",
          name, u.d.OH, expect_out, u.d.PT, expect_pt);
    size_t ny = kind == 2 ? B * C : B * u.d.OH * u.d.OW * C, nx = B * H * W * C;
    fd_case c;
    fd_init(&c, name, ny);
    int k = fd_add(&c, "x", nx, 1, 0);
    if (kind == 0) { /* distinct values 0.01 apart (≫ h): the arg-max never flips */
        for (size_t i = 0; i < nx; i++) c.a[k][i] = 0.01 * (double)i - 0.005 * (double)nx;
        for (size_t i = nx - 1; i > 0; i--) {
            size_t j = (size_t)(fd_unif() * (double)(i + 1));
            double t = c.a[k][i];
            c.a[k][i] = c.a[k][j];
            c.a[k][j] = t;
        }
    }
    c.u = &u;
    c.n_acc = kind == 2 ? H * W : K * K;
    FD_SETUP(&c, pool_fwd, pool_bwd);
    c.fwd_d(&c);
    double e = 0;
    if (kind != 2) {
        for (size_t b = 0; b < B; b++)
            for (size_t oh = 0; oh < u.d.OH; oh++)
                for (size_t ow = 0; ow < u.d.OW; ow++)
                    for (size_t ch = 0; ch < C; ch++)
                        e = fmax(e, fabs(pool_ref(c.a[0], &u.d, b, oh, ow, ch, kind) -
                                         c.y[((b * u.d.OH + oh) * u.d.OW + ow) * C + ch]));
    } else {
        for (size_t b = 0; b < B; b++)
            for (size_t ch = 0; ch < C; ch++) {
                double s = 0;
                for (size_t p = 0; p < H * W; p++) s += c.a[0][(b * H * W + p) * C + ch];
                e = fmax(e, fabs(s / (double)(H * W) - c.y[b * C + ch]));
            }
    }
    CHECK(e < 1e-14, "%s forward err %g", name, e);
    fd_check(&c);
    fd_free(&c);
}

/* Max-pool ties and NaN: equal values route the gradient to the first window element in
 * (kh, kw) order, as documented; a NaN in a window gives NaN. */
static void test_maxpool_ties(void) {
    nn_conv2d_dims d;
    nn_pool_dims_init(&d, 2, 2, 1, 2, 2, 2, NN_PAD_VALID);
    double x[4] = {1, 1, 1, 1}, y, dy = 3, dx[4] = {0, 0, 0, 0};
    nn_maxpool_forward_d(&y, x, &d, 1);
    nn_maxpool_backward_d(dx, &dy, x, &d, 1);
    CHECK(y == 1 && dx[0] == 3 && dx[1] == 0 && dx[2] == 0 && dx[3] == 0, "tie routing");
    float xf[4] = {1, NAN, 5, 2}, yf;
    nn_maxpool_forward(&yf, xf, &d, 1);
    CHECK(isnan(yf), "NaN propagates through max-pool");
    xf[1] = 7;
    xf[3] = NAN;
    nn_maxpool_forward(&yf, xf, &d, 1);
    CHECK(isnan(yf), "NaN propagates through max-pool (last)");
}

/* ---------------------------------------------------------------------------------------
 * FRN + TLU (docs/experiments.md, section 3)
 * ------------------------------------------------------------------------------------- */
typedef struct {
    size_t B, HW, C;
    double rstd[64];
    float rstdf[64];
    double scr[3 * 64];
    float dummy;
} frn_u;

static void frn_fwd(fd_case *c, int f) {
    frn_u *u = c->u;
    FD_RUN(nn_frn_forward, (FY, FD_P(u->rstdf, u->rstd), FA(0), FA(1), FA(2), FA(3), FA(4), u->B,
                            u->HW, u->C));
}
static void frn_bwd(fd_case *c, int f) {
    frn_u *u = c->u;
    FD_RUN(nn_frn_backward, (FG(0), FG(1), FG(2), FG(3), FG(4), u->scr, FR, FA(0),
                             FD_P(u->rstdf, u->rstd), FA(1), FA(2), FA(3), FA(4), u->B, u->HW,
                             u->C));
}
FD_WRAP(frn_fwd)
FD_WRAP(frn_bwd)

static void test_frn(double eps) {
    frn_u u = {.B = 3, .HW = 6, .C = 4};
    CHECK(nn_frn_scratch_size_d(u.B, u.C) <= sizeof u.scr, "frn scratch size");
    fd_case c;
    fd_init(&c, eps > 0 ? "frn+tlu" : "frn+tlu(eps<0)", u.B * u.HW * u.C);
    fd_add(&c, "x", u.B * u.HW * u.C, 1, 0);
    fd_add(&c, "gamma", u.C, 0.5, 1);
    fd_add(&c, "beta", u.C, 0.5, 0);
    int kt = fd_add(&c, "tau", u.C, 0.5, 0);
    int ke = fd_add(&c, "eps", 1, 0, eps);
    c.u = &u;
    c.n_acc = u.HW * u.B;
    FD_SETUP(&c, frn_fwd, frn_bwd);
    /* Choose τ_c so that no z = γ x̂ + β lies within 0.02 of it (kink margin ≫ h), with
     * elements on both sides where possible. */
    c.a[kt][0] = -10; /* channel 0: TLU inactive */
    for (size_t ch = 1; ch < u.C; ch++) {
        c.fwd_d(&c);
        for (int tries = 0; tries < 1000; tries++) {
            double t = fd_sym(1.0), dmin = 1e9;
            for (size_t i = 0; i < u.B * u.HW; i++) {
                size_t b = i / u.HW;
                double xh = c.a[0][i * u.C + ch] * u.rstd[b * u.C + ch];
                double z = c.a[1][ch] * xh + c.a[2][ch];
                dmin = fmin(dmin, fabs(z - t));
            }
            if (dmin > 0.02) {
                c.a[kt][ch] = t;
                break;
            }
        }
    }
    c.fwd_d(&c);
    /* forward: the direct formula */
    double e = 0;
    int below = 0;
    for (size_t b = 0; b < u.B; b++)
        for (size_t ch = 0; ch < u.C; ch++) {
            double nu2 = 0;
            for (size_t p = 0; p < u.HW; p++) {
                double v = c.a[0][(b * u.HW + p) * u.C + ch];
                nu2 += v * v / (double)u.HW;
            }
            for (size_t p = 0; p < u.HW; p++) {
                size_t i = (b * u.HW + p) * u.C + ch;
                double z = c.a[1][ch] * c.a[0][i] / sqrt(nu2 + fabs(c.a[ke][0])) + c.a[2][ch];
                double ref = fmax(z, c.a[kt][ch]);
                below += z < c.a[kt][ch];
                e = fmax(e, fabs(ref - c.y[i]));
            }
        }
    CHECK(e < 1e-14, "frn forward err %g", e);
    CHECK(below > 0, "TLU active somewhere (%d)", below);
    fd_check(&c);
    fd_free(&c);
}

/* The vectorisable float exp (GELU, attention) against libm over its whole range:
 * Taylor remainder ≤ 5e-9 plus ~10 roundings of terms ≤ 1 in the Horner scheme and the
 * range reduction give |rel. err| ≤ 4·2⁻²⁴ (the bound checked). */
static void test_expf(void) {
    double worst = 0;
    for (long i = 0; i <= 200000; i++) {
        float a = (float)(-87.0 + 175.0 * (double)i / 200000.0);
        double r = exp((double)a), e = fabs((double)nn_expf_fast_(a) - r) / r;
        if (e > worst) worst = e;
    }
    printf("  fast expf: max rel.err %.2e over [-87, 88]\n", worst);
    CHECK(worst <= 4 * ldexp(1.0, -24), "fast expf rel.err %g", worst);
    CHECK(isnan(nn_expf_fast_(NAN)), "fast expf(NaN) is NaN");
    CHECK(nn_expf_fast_(0.0f) == 1.0f, "fast expf(0) = %g", (double)nn_expf_fast_(0.0f));
    /* saturates instead of overflowing (arguments are clamped to [-87, 88]) */
    CHECK(isfinite(nn_expf_fast_(1000.0f)) && nn_expf_fast_(-1000.0f) < 1e-37f, "clamping");
}

/* The vectorisable double exp and log (core/vmath_d.h) against libm: relative error within
 * 4 ulp (2⁻⁵⁰) over exp's range [−708, 709] and log's [1e-12, 1e300] (absolute 2⁻⁵² near
 * x = 1, where log x → 0), and the special values. */
static void test_vmath_d(void) {
    double we = 0, wl = 0;
    for (long i = 0; i <= 400000; i++) {
        const double a = -708.0 + 1417.0 * (double)i / 400000.0, r = exp(a);
        we = fmax(we, fabs(nn_exp_d(a) - r) / r);
        const double x = pow(10.0, -12.0 + 312.0 * (double)i / 400000.0), l = log(x);
        wl = fmax(wl, fabs(nn_log_d(x) - l) / fmax(fabs(l), 1.0));
        const double x1 = 1.0 + ldexp((double)i - 200000.0, -20), l1 = log(x1); /* near 1 */
        wl = fmax(wl, fabs(nn_log_d(x1) - l1) / fmax(fabs(l1), 1.0));
    }
    double w1 = 0;
    for (long i = 0; i <= 400000; i++) { /* log1p at 10^[-20, 10] */
        const double w = pow(10.0, -20.0 + 30.0 * (double)i / 400000.0);
        w1 = fmax(w1, fabs(nn_log1p_d(w) - log1p(w)) / log1p(w));
    }
    CHECK(w1 <= ldexp(1.0, -50), "log1p_d rel.err %g", w1);
    CHECK(nn_log1p_d(0.0) == 0.0 && nn_log1p_d(INFINITY) == INFINITY && isnan(nn_log1p_d(NAN)),
          "log1p_d(0) = 0, log1p_d(+inf) = +inf, NaN propagates");
    double wa = 0;
    for (long i = 0; i <= 400000; i++) { /* atan at ±10^[-12, 12] */
        const double x = (i % 2 ? -1.0 : 1.0) * pow(10.0, -12.0 + 24.0 * (double)i / 400000.0);
        wa = fmax(wa, fabs(nn_atan_d(x) - atan(x)) / fabs(atan(x)));
    }
    printf("  vmath_d: exp max rel.err %.2e, log %.2e, log1p %.2e, atan %.2e\n", we, wl, w1, wa);
    CHECK(wa <= ldexp(1.0, -50), "atan_d rel.err %g", wa);
    CHECK(nn_atan_d(INFINITY) == atan(INFINITY) && nn_atan_d(-INFINITY) == -atan(INFINITY) &&
              nn_atan_d(0.0) == 0.0 && isnan(nn_atan_d(NAN)),
          "atan_d(±inf) = ±pi/2, atan_d(0) = 0, NaN propagates");
    CHECK(we <= ldexp(1.0, -50), "exp_d rel.err %g", we);
    CHECK(wl <= ldexp(1.0, -50), "log_d rel.err %g", wl);
    CHECK(nn_exp_d(0.0) == 1.0 && nn_log_d(1.0) == 0.0, "exp_d(0) = 1, log_d(1) = 0");
    CHECK(isnan(nn_exp_d(NAN)) && isnan(nn_log_d(NAN)), "NaN propagates");
    CHECK(nn_exp_d(-708.5) == 0 && nn_exp_d(-INFINITY) == 0 && isfinite(nn_exp_d(1e300)),
          "exp_d: 0 below -708, clamped instead of overflowing");
    CHECK(nn_log_d(INFINITY) == INFINITY && isnan(nn_log_d(0.0)) && isnan(nn_log_d(-1.0)),
          "log_d(+inf) = +inf, log_d(0) and log_d(-1) NaN");
}

/* Float kernels give bitwise equal results with 1 and 2 OpenMP threads and whatever
 * OpenBLAS thread count the caller set, at sizes above the kernels' parallel thresholds. */
static float *rndf(size_t n, double s) {
    float *p = fd_alloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)fd_sym(s);
    return p;
}
static void test_threads(void) {
    enum { NOUT = 16 };
    size_t N = 512, IC = 200, OC = 120, B = 16, HW = 64, C = 64, n = N * IC;
    size_t sizes[NOUT] = {N * OC, N * IC, IC * OC, OC, B * HW * C, B * HW * C, C, C, C, 1, N * IC,
                          N * IC, IC, IC, N * IC, B * 16 * C};
    float *x = rndf(N * IC, 1), *w = rndf(IC * OC, 0.1), *b = rndf(OC, 1), *dyd = rndf(N * OC, 1);
    float *fx = rndf(B * HW * C, 1), *fdy = rndf(B * HW * C, 1), *g = rndf(C, 1), *be = rndf(C, 1);
    float *ta = rndf(C, 1), eps = 1e-3f, *lg = rndf(IC, 1), *dyl = rndf(N * IC, 1);
    float *rs = fd_alloc(B * C, 4), *mean = fd_alloc(N, 4), *rstd = fd_alloc(N, 4);
    void *scr = fd_alloc(nn_frn_scratch_size(B, C), 1);
    nn_conv2d_dims pd;
    nn_pool_dims_init(&pd, 8, 8, C, 3, 3, 2, NN_PAD_SAME);
    float *out[NOUT][FD_NCFG];
    int omp0 = omp_get_max_threads();
    for (int k = 0; k < FD_NCFG; k++) {
        fd_thread_cfg(k);
        float *o[NOUT];
        for (int j = 0; j < NOUT; j++) o[j] = out[j][k] = fd_alloc(sizes[j], 4);
        nn_dense_forward(o[0], x, w, b, N, IC, OC);
        nn_dense_backward(o[1], o[2], o[3], dyd, x, w, N, IC, OC);
        nn_frn_forward(o[4], rs, fx, g, be, ta, &eps, B, HW, C);
        nn_frn_backward(o[5], o[6], o[7], o[8], o[9], scr, fdy, fx, rs, g, be, ta, &eps, B, HW, C);
        nn_layernorm_forward(o[10], mean, rstd, x, lg, lg, N, IC, 1e-6);
        nn_layernorm_backward(o[11], o[12], o[13], dyl, x, mean, rstd, lg, N, IC);
        nn_gelu_forward(o[14], x, n);
        nn_gelu_backward(o[14], dyl, x, n);
        nn_maxpool_forward(o[15], fx, &pd, B);
        nn_maxpool_backward(o[4], o[15], fx, &pd, B);
    }
    fd_thread_done(omp0);
    for (int j = 0; j < NOUT; j++) {
        char what[32];
        snprintf(what, sizeof what, "output %d", j);
        fd_same_bits(out[j], sizes[j], what);
    }
    free(x), free(w), free(b), free(dyd), free(fx), free(fdy), free(g), free(be), free(ta);
    free(lg), free(dyl), free(rs), free(mean), free(rstd), free(scr);
}

int main(void) {
    test_expf();
    test_vmath_d();
    test_threads();
    test_dense(1);
    test_dense(0);
    test_elementwise();
    test_layernorm(1, 1e-6);
    test_layernorm(0, 1e-6);
    test_embeddings();
    test_xent();
    /* max-pool 3×3 stride 2 SAME on even input: pad 0 before, 1 after (ResNet-18) */
    test_pool("maxpool 3x3/2 SAME 6x6", 0, 2, 6, 6, 3, 3, 2, NN_PAD_SAME, 3, 0);
    test_pool("maxpool 3x3/2 SAME 7x7", 0, 2, 7, 7, 2, 3, 2, NN_PAD_SAME, 4, 1);
    test_pool("maxpool 2x2/2 VALID 5x5", 0, 2, 5, 5, 3, 2, 2, NN_PAD_VALID, 2, 0);
    test_pool("avgpool 2x2/2 VALID 6x6", 1, 2, 6, 6, 3, 2, 2, NN_PAD_VALID, 3, 0);
    test_pool("avgpool 2x2/1 VALID 4x4", 1, 2, 4, 4, 2, 2, 1, NN_PAD_VALID, 3, 0);
    test_pool("global average 4x3", 2, 3, 4, 3, 5, 1, 1, NN_PAD_VALID, 4, 0);
    test_maxpool_ties();
    test_frn(0.3);
    test_frn(-0.2);
    printf("largest finite-difference relative error: %.2e\n", fd_worst_);
    return harness_done("test_nn_layers");
}
