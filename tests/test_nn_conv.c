/* 2-D convolution (NHWC, im2col + gemm) of src/nn: output geometry of the SAME rule
 * (docs/experiments.md, section 3: asymmetric padding for stride 2), forward against a direct
 * convolution, backward against central finite differences in double (test_nn_fd.h),
 * float against double, chunked (d.BC) against unchunked, and bitwise independence of
 * the OpenMP / OpenBLAS thread counts. */
#include "test_nn_fd.h"

#include <omp.h>

typedef struct {
    nn_conv2d_dims d;
    size_t B;
    int bias;
    void *scr;
} conv_u;

static void conv_fwd(fd_case *c, int f) {
    conv_u *u = c->u;
    FD_RUN(nn_conv2d_forward, (FY, u->scr, FA(0), FA(1), FA_OPT(u->bias, 2), &u->d, u->B));
}
static void conv_bwd(fd_case *c, int f) {
    conv_u *u = c->u;
    FD_RUN(nn_conv2d_backward,
           (FG(0), FG(1), FG_OPT(u->bias, 2), u->scr, FR, FA(0), FA(1), &u->d, u->B));
}
FD_WRAP(conv_fwd)
FD_WRAP(conv_bwd)

/* Direct convolution with explicit zero padding (w[kh][kw][c][oc]). */
static double conv_ref(const double *x, const double *w, const double *b, const nn_conv2d_dims *d,
                       size_t n, size_t oh, size_t ow, size_t oc) {
    double s = b ? b[oc] : 0;
    for (size_t kh = 0; kh < d->KH; kh++)
        for (size_t kw = 0; kw < d->KW; kw++) {
            long ih = (long)(oh * d->S + kh) - (long)d->PT, iw = (long)(ow * d->S + kw) - (long)d->PL;
            if (ih < 0 || ih >= (long)d->H || iw < 0 || iw >= (long)d->W) continue;
            for (size_t ch = 0; ch < d->C; ch++)
                s += x[((n * d->H + (size_t)ih) * d->W + (size_t)iw) * d->C + ch] *
                     w[((kh * d->KW + kw) * d->C + ch) * d->OC + oc];
        }
    return s;
}

static void run_case(const char *name, conv_u *u) {
    const nn_conv2d_dims *d = &u->d;
    size_t nx = u->B * d->H * d->W * d->C, ny = u->B * d->OH * d->OW * d->OC;
    size_t ssz = nn_conv2d_scratch_size_d(d, u->B);
    u->scr = ssz ? fd_alloc(ssz, 1) : NULL; /* pointwise convs need no scratch */
    fd_case c;
    fd_init(&c, name, ny);
    fd_add(&c, "x", nx, 1, 0);
    fd_add(&c, "w", d->KH * d->KW * d->C * d->OC, 1, 0);
    if (u->bias) fd_add(&c, "b", d->OC, 1, 0);
    c.u = u;
    c.n_acc = d->KH * d->KW * d->C + u->B * d->OH * d->OW + d->KH * d->KW * d->OC;
    FD_SETUP(&c, conv_fwd, conv_bwd);
    c.fwd_d(&c);
    double e = 0;
    for (size_t n = 0; n < u->B; n++)
        for (size_t oh = 0; oh < d->OH; oh++)
            for (size_t ow = 0; ow < d->OW; ow++)
                for (size_t oc = 0; oc < d->OC; oc++)
                    e = fmax(e, fabs(conv_ref(c.a[0], c.a[1], u->bias ? c.a[2] : NULL, d, n, oh, ow,
                                              oc) -
                                     c.y[((n * d->OH + oh) * d->OW + ow) * d->OC + oc]));
    CHECK(e < 1e-13, "%s forward err %g", name, e);
    fd_check(&c);

    /* chunking: one example per im2col chunk gives the same y and dx; dw, db may differ
     * only by the summation order (double: ~1e-15). */
    if (u->B > 1) {
        double *y1 = fd_alloc(ny, sizeof(double)), *g1[3];
        memcpy(y1, c.y, ny * sizeof(double));
        for (int k = 0; k < c.na; k++) {
            memset(c.g[k], 0, c.alen[k] * sizeof(double));
        }
        c.bwd_d(&c);
        for (int k = 0; k < c.na; k++) {
            g1[k] = fd_alloc(c.alen[k], sizeof(double));
            memcpy(g1[k], c.g[k], c.alen[k] * sizeof(double));
            memset(c.g[k], 0, c.alen[k] * sizeof(double));
        }
        u->d.BC = 1;
        c.fwd_d(&c);
        c.bwd_d(&c);
        u->d.BC = 0;
        int same_y = memcmp(y1, c.y, ny * sizeof(double)) == 0;
        int same_dx = memcmp(g1[0], c.g[0], nx * sizeof(double)) == 0;
        double ew = 0;
        for (int k = 1; k < c.na; k++)
            for (size_t i = 0; i < c.alen[k]; i++) ew = fmax(ew, fabs(g1[k][i] - c.g[k][i]));
        CHECK(same_y && same_dx && ew < 1e-12, "%s: chunked conv differs (y %d dx %d dw %g)", name,
              same_y, same_dx, ew);
        free(y1);
        for (int k = 0; k < c.na; k++) free(g1[k]);
    }
    fd_free(&c);
    free(u->scr);
}

static void conv_case(const char *name, size_t B, size_t H, size_t W, size_t C, size_t OC,
                      size_t KH, size_t KW, size_t S, nn_padding pad, int bias, size_t want_oh,
                      size_t want_ow, size_t want_pt, size_t want_pl) {
    conv_u u = {.B = B, .bias = bias};
    CHECK(nn_conv2d_dims_init(&u.d, H, W, C, OC, KH, KW, S, pad) == SMILE_OK, "%s: dims", name);
    CHECK(u.d.OH == want_oh && u.d.OW == want_ow && u.d.PT == want_pt && u.d.PL == want_pl,
          "%s: geometry OH %zu OW %zu PT %zu PL %zu", name, u.d.OH, u.d.OW, u.d.PT, u.d.PL);
    run_case(name, &u);
}

static void test_geometry(void) {
    /* SAME rule: ⌈in/S⌉ outputs, ⌊P/2⌋ padding before */
    CHECK(nn_same_out(32, 2) == 16 && nn_same_pad_before(32, 3, 2) == 0, "3x3/2 on 32");
    CHECK(nn_same_out(33, 2) == 17 && nn_same_pad_before(33, 3, 2) == 1, "3x3/2 on 33");
    CHECK(nn_same_out(32, 1) == 32 && nn_same_pad_before(32, 3, 1) == 1, "3x3/1 on 32");
    CHECK(nn_same_pad_before(32, 1, 2) == 0, "1x1/2 on 32");
    nn_conv2d_dims d;
    /* ResNet-18 stem max-pool: 3×3 stride 2 SAME on 32×32 → 16×16, pad 0 / 1 */
    CHECK(nn_pool_dims_init(&d, 32, 32, 64, 3, 3, 2, NN_PAD_SAME) == SMILE_OK && d.OH == 16 &&
              d.PT == 0 && (d.OH - 1) * d.S + d.KH - d.H - d.PT == 1,
          "resnet18 max-pool geometry");
    /* LeNet conv 1: 5×5, pad 2 on each side, 28 → 28; conv 2: VALID 14 → 10 */
    CHECK(nn_conv2d_dims_init_pad(&d, 28, 28, 1, 6, 5, 5, 1, 2, 2, 2, 2) == SMILE_OK &&
              d.OH == 28 && d.OW == 28,
          "lenet conv1");
    CHECK(nn_conv2d_dims_init(&d, 14, 14, 6, 16, 5, 5, 1, NN_PAD_VALID) == SMILE_OK && d.OH == 10,
          "lenet conv2");
    /* ViT patch embedding: 16×16 stride 16 on 160×160 → 10×10 */
    CHECK(nn_conv2d_dims_init(&d, 160, 160, 3, 384, 16, 16, 16, NN_PAD_VALID) == SMILE_OK &&
              d.OH == 10 && d.OW == 10,
          "vit patches");
    CHECK(nn_conv2d_dims_init(&d, 4, 4, 1, 1, 5, 5, 1, NN_PAD_VALID) == SMILE_EINVAL,
          "kernel larger than input rejected");
}

/* Float kernels give bitwise identical results for 1 and 2 OpenMP threads and whatever
 * OpenBLAS thread count the caller set (gemm split along M or N by shape only; all
 * reductions in a fixed order). */
static void test_threads(void) {
    conv_u u = {.B = 8, .bias = 1};
    nn_conv2d_dims_init(&u.d, 16, 16, 16, 32, 3, 3, 1, NN_PAD_SAME);
    const nn_conv2d_dims *d = &u.d;
    size_t nx = u.B * d->H * d->W * d->C, ny = u.B * d->OH * d->OW * d->OC;
    size_t nw = 9 * d->C * d->OC;
    float *x = fd_alloc(nx, 4), *w = fd_alloc(nw, 4), *b = fd_alloc(d->OC, 4);
    float *dy = fd_alloc(ny, 4), *scr = fd_alloc(nn_conv2d_scratch_size(d, u.B), 1);
    float *y[FD_NCFG], *dx[FD_NCFG], *dw[FD_NCFG], *db[FD_NCFG];
    for (size_t i = 0; i < nx; i++) x[i] = (float)fd_sym(1);
    for (size_t i = 0; i < nw; i++) w[i] = (float)fd_sym(0.1);
    for (size_t i = 0; i < d->OC; i++) b[i] = (float)fd_sym(1);
    for (size_t i = 0; i < ny; i++) dy[i] = (float)fd_sym(1);
    int omp0 = omp_get_max_threads();
    for (int k = 0; k < FD_NCFG; k++) {
        fd_thread_cfg(k);
        y[k] = fd_alloc(ny, 4);
        dx[k] = fd_alloc(nx, 4);
        dw[k] = fd_alloc(nw, 4);
        db[k] = fd_alloc(d->OC, 4);
        nn_conv2d_forward(y[k], scr, x, w, b, d, u.B);
        nn_conv2d_backward(dx[k], dw[k], db[k], scr, dy, x, w, d, u.B);
    }
    fd_thread_done(omp0);
    fd_same_bits(y, ny, "conv y");
    fd_same_bits(dx, nx, "conv dx");
    fd_same_bits(dw, nw, "conv dw");
    fd_same_bits(db, d->OC, "conv db");
    free(x), free(w), free(b), free(dy), free(scr);
}

int main(void) {
    test_geometry();
    conv_case("conv 3x3/1 SAME 5x5", 2, 5, 5, 2, 3, 3, 3, 1, NN_PAD_SAME, 1, 5, 5, 1, 1);
    conv_case("conv 3x3/2 SAME 6x6 (pad 0/1)", 2, 6, 6, 2, 3, 3, 3, 2, NN_PAD_SAME, 0, 3, 3, 0, 0);
    conv_case("conv 3x3/2 SAME 7x7 (pad 1/1)", 2, 7, 7, 2, 2, 3, 3, 2, NN_PAD_SAME, 1, 4, 4, 1, 1);
    conv_case("conv 5x5/1 VALID 8x8", 2, 8, 8, 2, 3, 5, 5, 1, NN_PAD_VALID, 1, 4, 4, 0, 0);
    conv_case("conv 1x1/2 SAME 6x6", 2, 6, 6, 3, 4, 1, 1, 2, NN_PAD_SAME, 0, 3, 3, 0, 0);
    conv_case("conv 1x1/1 pointwise", 2, 4, 3, 3, 4, 1, 1, 1, NN_PAD_VALID, 1, 4, 3, 0, 0);
    conv_case("patch 4x4/4 VALID 8x8", 2, 8, 8, 3, 5, 4, 4, 4, NN_PAD_VALID, 1, 2, 2, 0, 0);
    conv_case("conv 3x2/2 SAME 5x7", 2, 5, 7, 2, 3, 3, 2, 2, NN_PAD_SAME, 1, 3, 4, 1, 0);
    {
        conv_u u = {.B = 3, .bias = 1};
        CHECK(nn_conv2d_dims_init_pad(&u.d, 8, 8, 1, 3, 5, 5, 1, 2, 2, 2, 2) == SMILE_OK, "pad2");
        run_case("conv 5x5/1 pad 2 (LeNet)", &u);
    }
    test_threads();
    printf("largest finite-difference relative error: %.2e\n", fd_worst_);
    return harness_done("test_nn_conv");
}
