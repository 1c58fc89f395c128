/*
 * arch_lenet.c — LeNet with GELU (docs/experiments.md, section 3): conv 5×5 (zero padding
 * 2) → GELU → avg-pool 2×2/2 → conv 5×5 VALID → GELU → avg-pool 2×2/2 → flatten (h, w, c)
 * → dense → GELU → dense → GELU → dense (logits). Small layers: the batch is evaluated in
 * example-parallel pieces (workspace.c).
 */
#include "model/model_internal.h"
#include "model/pass_real_internal.h"

typedef struct {
    mdl_conv c1, c2;
    nn_conv2d_dims p1, p2; /* the average pools */
    mdl_dense d[3];
} lenet_state;

typedef struct {
    size_t z, a; /* pre- and post-activation */
} lenet_pair;

typedef struct {
    mdl_conv c1, c2; /* with the chunk chosen for this batch */
    lenet_pair l1, l2, l3, l4;
    size_t p1, p2; /* pool outputs */
} lenet_ws;

static size_t pool_out(const nn_conv2d_dims *p) { return p->OH * p->OW * p->C; }

#ifndef SMILE_MODEL_DOUBLE

static smile_status lenet_build(mdl_builder *bd) {
    MDL_BUILD_LOCALS(lenet, 0, 0);
    SMILE_TRY(mdl_image_classifier(bd));
    for (int i = 0; i < 4; i++)
        if (d->lenet[i] == 0) return mdl_bad(bd, "model lenet: width lenet[%d] is 0", i);
    nn_conv2d_dims c1, p1, c2, p2;
    if (nn_conv2d_dims_init_pad(&c1, d->in_h, d->in_w, d->in_c, d->lenet[0], 5, 5, 1, 2, 2, 2,
                                2) ||
        nn_pool_dims_init(&p1, c1.OH, c1.OW, c1.OC, 2, 2, 2, NN_PAD_VALID) ||
        nn_conv2d_dims_init(&c2, p1.OH, p1.OW, p1.C, d->lenet[1], 5, 5, 1, NN_PAD_VALID) ||
        nn_pool_dims_init(&p2, c2.OH, c2.OW, c2.OC, 2, 2, 2, NN_PAD_VALID))
        return mdl_bad(bd,
                       "model lenet: input %zux%zu too small for conv5-pool2-conv5-pool2 (needs "
                       ">= 12x12)",
                       d->in_h, d->in_w);
    s->c1 = mdl_add_conv(bd, "conv1", &c1, 1);
    s->c2 = mdl_add_conv(bd, "conv2", &c2, 1);
    s->p1 = p1;
    s->p2 = p2;
    s->d[0] = mdl_add_dense(bd, "dense1", pool_out(&p2), d->lenet[2], 1);
    s->d[1] = mdl_add_dense(bd, "dense2", d->lenet[2], d->lenet[3], 1);
    s->d[2] = mdl_add_dense(bd, "dense3", d->lenet[3], d->n_classes, 1);
    return SMILE_OK;
}

static double lenet_flops(const smile_model *m, size_t n, double *first) {
    const lenet_state *s = m->state;
    *first = mdl_conv_flops(&s->c1, n);
    double f = *first + mdl_conv_flops(&s->c2, n);
    for (int i = 0; i < 3; i++) f += mdl_dense_flops(&s->d[i], n);
    return f;
}

MDL_ARCH(lenet, SMILE_LIK_CATEGORICAL, 1, .in_h = 28, .in_w = 28, .in_c = 1,
         .lenet = {6, 16, 120, 84});

#endif /* precision-independent part */

static smile_status F(lenet_plan)(smile_model_workspace *ws, size_t *nr, size_t *sc) {
    MDL_PLAN_LOCALS(lenet, 0);
    F(mdl_conv_setup)(ws, &a->c1, &s->c1, sc);
    F(mdl_conv_setup)(ws, &a->c2, &s->c2, sc);
    size_t s1 = mdl_conv_out(&s->c1), s2 = mdl_conv_out(&s->c2);
    size_t sp1 = pool_out(&s->p1), sp2 = pool_out(&s->p2);
    a->l1.z = mdl_take(nr, B * s1);
    a->l1.a = mdl_take(nr, B * s1);
    a->p1 = mdl_take(nr, B * sp1);
    a->l2.z = mdl_take(nr, B * s2);
    a->l2.a = mdl_take(nr, B * s2);
    a->p2 = mdl_take(nr, B * sp2);
    a->l3.z = mdl_take(nr, B * s->d[0].out);
    a->l3.a = mdl_take(nr, B * s->d[0].out);
    a->l4.z = mdl_take(nr, B * s->d[1].out);
    a->l4.a = mdl_take(nr, B * s->d[1].out);
    size_t mx = mdl_max(mdl_max(s1, s2), mdl_max(sp1, sp2));
    mx = mdl_max(mx, mdl_max(s->d[0].out, s->d[1].out));
    ws->gsize = B * mx;
    ws->g[0] = mdl_take(nr, ws->gsize);
    ws->g[1] = mdl_take(nr, ws->gsize);
    return SMILE_OK;
}

/* 2×2 stride-2 VALID average pool on NHWC maps x[n, H, W, C] → y[n, H/2, W/2, C]:
 * y = ¼ Σ of the window. Specialised for LeNet's pools: a pass over two input rows at a
 * time with the channel loop innermost, instead of the general nn_avgpool kernel's
 * per-window loops (which dominate at C = 6). */
static void F(pool2_fwd)(R *y, const R *x, const nn_conv2d_dims *d, size_t n) {
    const size_t W = d->W, C = d->C, OH = d->OH, OW = d->OW, WC = W * C;
#pragma omp parallel for schedule(static) if (n * OH * OW * C > 65536)
    for (size_t bo = 0; bo < n * OH; bo++) {
        size_t b = bo / OH, oh = bo % OH;
        const R *r0 = x + (b * d->H + 2 * oh) * WC, *r1 = r0 + WC;
        R *yo = y + bo * OW * C;
        for (size_t ow = 0; ow < OW; ow++) {
            const R *a = r0 + 2 * ow * C, *c2 = r1 + 2 * ow * C;
            for (size_t c = 0; c < C; c++)
                yo[ow * C + c] = (R)0.25 * ((a[c] + a[C + c]) + (c2[c] + c2[C + c]));
        }
    }
}

/* dx[window] = ¼ dy. OVERWRITES dx (unlike the nn kernels): the windows do not overlap
 * and tile dx except a last odd row / column, which is set to 0; so the caller needs no
 * zeroing pass. */
static void F(pool2_bwd)(R *dx, const R *dy, const nn_conv2d_dims *d, size_t n) {
    const size_t H = d->H, W = d->W, C = d->C, OH = d->OH, OW = d->OW, WC = W * C;
#pragma omp parallel for schedule(static) if (n * OH * OW * C > 65536)
    for (size_t b = 0; b < n; b++) {
        R *xb = dx + b * H * WC;
        for (size_t oh = 0; oh < OH; oh++) {
            R *r0 = xb + 2 * oh * WC, *r1 = r0 + WC;
            const R *g = dy + (b * OH + oh) * OW * C;
            for (size_t ow = 0; ow < OW; ow++) {
                R *a = r0 + 2 * ow * C, *c2 = r1 + 2 * ow * C;
                for (size_t c = 0; c < C; c++) {
                    R v = (R)0.25 * g[ow * C + c];
                    a[c] = a[C + c] = c2[c] = c2[C + c] = v;
                }
            }
            for (size_t i = 2 * OW * C; i < WC; i++) r0[i] = r1[i] = 0; /* odd W */
        }
        for (size_t i = 2 * OH * WC; i < H * WC; i++) xb[i] = 0; /* odd H */
    }
}

static void F(lenet_forward)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                             size_t n) {
    MDL_PASS_LOCALS(lenet);
    size_t s1 = mdl_conv_out(&a->c1), s2 = mdl_conv_out(&a->c2);
    /* conv1 [n,28,28,1] → [n,28,28,6], GELU, avg-pool → [n,14,14,6] */
    F(mdl_conv_fwd)(ws, base + a->l1.z, base + ws->in, &a->c1, theta, n);
    NN(gelu_forward)(base + a->l1.a, base + a->l1.z, n * s1);
    F(pool2_fwd)(base + a->p1, base + a->l1.a, &s->p1, n);
    /* conv2 → [n,10,10,16], GELU, avg-pool → [n,5,5,16] = flatten [n,400] (h, w, c order) */
    F(mdl_conv_fwd)(ws, base + a->l2.z, base + a->p1, &a->c2, theta, n);
    NN(gelu_forward)(base + a->l2.a, base + a->l2.z, n * s2);
    F(pool2_fwd)(base + a->p2, base + a->l2.a, &s->p2, n);
    const mdl_dense *d = s->d;
    NN(dense_forward)(base + a->l3.z, base + a->p2, theta + d[0].w, theta + d[0].b, n, d[0].in,
                      d[0].out);
    NN(gelu_forward)(base + a->l3.a, base + a->l3.z, n * d[0].out);
    NN(dense_forward)(base + a->l4.z, base + a->l3.a, theta + d[1].w, theta + d[1].b, n, d[1].in,
                      d[1].out);
    NN(gelu_forward)(base + a->l4.a, base + a->l4.z, n * d[1].out);
    NN(dense_forward)(base + ws->out, base + a->l4.a, theta + d[2].w, theta + d[2].b, n, d[2].in,
                      d[2].out);
}

/* Dense layer d backward from dy into g_out, then GELU backward (pre-activation z) into
 * g_act = gelu'(z) ⊙ g_out. */
static void F(dense_gelu_bwd)(R *g_out, R *g_act, const mdl_dense *d, R *grad, const R *dy,
                              const R *x, const R *z, const R *theta, size_t n) {
    F(mdl_dense_bwd)(g_out, d, grad, dy, x, theta, n);
    mdl_zero(g_act, n * d->in);
    NN(gelu_backward)(g_act, g_out, z, n * d->in);
}

static void F(lenet_backward)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                              R *grad, size_t n) {
    MDL_PASS_LOCALS(lenet);
    R *g0 = base + ws->g[0], *g1 = base + ws->g[1];
    const mdl_dense *d = s->d;
    size_t s1 = mdl_conv_out(&a->c1), s2 = mdl_conv_out(&a->c2), sp1 = pool_out(&s->p1);
    F(dense_gelu_bwd)(g0, g1, &d[2], grad, base + ws->dout, base + a->l4.a, base + a->l4.z,
                      theta, n);
    F(dense_gelu_bwd)(g0, g1, &d[1], grad, g1, base + a->l3.a, base + a->l3.z, theta, n);
    F(mdl_dense_bwd)(g0, &d[0], grad, g1, base + a->p2, theta, n);
    F(pool2_bwd)(g1, g0, &s->p2, n); /* overwrites: no zeroing */
    mdl_zero(g0, n * s2);
    NN(gelu_backward)(g0, g1, base + a->l2.z, n * s2);
    mdl_zero(g1, n * sp1);
    F(mdl_conv_bwd)(ws, g1, grad, &a->c2, g0, base + a->p1, theta, n);
    F(pool2_bwd)(g0, g1, &s->p1, n);
    mdl_zero(g1, n * s1);
    NN(gelu_backward)(g1, g0, base + a->l1.z, n * s1);
    F(mdl_conv_bwd)(ws, NULL, grad, &a->c1, g1, base + ws->in, theta, n);
}

MDL_PASSES_OF(lenet, NULL);
