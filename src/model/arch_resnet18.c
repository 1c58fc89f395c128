/*
 * arch_resnet18.c — ResNet-18 with FRN/TLU instead of batch norm and no convolution biases
 * (docs/experiments.md, section 3): stem conv 3×3/1 SAME → FRN → max-pool 3×3/2 SAME;
 * 4 stages × 2 basic blocks of widths w, 2w, 4w, 8w (stride 2 at the first block of
 * stages 2–4); global average pool; dense to the classes. A block is
 * FRN₂(conv₂(FRN₁(conv₁(a))) + shortcut), the shortcut FRN(conv 1×1, stride s) when the
 * stride s ≠ 1 and a otherwise.
 */
#include "model/model_internal.h"
#include "model/pass_real_internal.h"

#define R18_BLOCKS 8

typedef struct {
    mdl_conv c1, c2, sc;
    mdl_frn f1, f2, fsc;
    int has_sc;
} resnet18_block;

typedef struct {
    mdl_conv stem;
    mdl_frn stem_frn;
    nn_conv2d_dims pool;
    resnet18_block b[R18_BLOCKS];
    mdl_dense head;
} resnet18_state;

/* A block's activations: conv1, FRN1 (+ rstd), conv2 (then the sum h + shortcut in
 * place), output FRN2 (+ rstd); shortcut conv, FRN (+ rstd). */
typedef struct {
    size_t c1, f1, r1, c2, o, r2, scc, scf, rsc;
} resnet18_block_ws;

typedef struct {
    mdl_conv stem, c1[R18_BLOCKS], c2[R18_BLOCKS], sc[R18_BLOCKS]; /* chunks for this batch */
    size_t c0, f0, r0, m0, gap; /* stem conv, FRN, rstd, pool; global average */
    resnet18_block_ws b[R18_BLOCKS];
} resnet18_ws;

#ifndef SMILE_MODEL_DOUBLE

/* Block k = 2·stage + j on an H×W×C input, F filters, stride st. */
static smile_status resnet18_add_block(mdl_builder *bd, resnet18_block *b, int stage, int j,
                                       size_t H, size_t W, size_t C, size_t F, size_t st) {
    char nm[32];
    nn_conv2d_dims c1, c2, sc;
    if (nn_conv2d_dims_init(&c1, H, W, C, F, 3, 3, st, NN_PAD_SAME) ||
        nn_conv2d_dims_init(&c2, c1.OH, c1.OW, F, F, 3, 3, 1, NN_PAD_SAME))
        return mdl_bad(bd, "model resnet18: bad geometry in stage %d block %d", stage + 1, j);
    snprintf(nm, sizeof nm, "s%d.b%d.conv1", stage + 1, j);
    b->c1 = mdl_add_conv(bd, nm, &c1, 0);
    snprintf(nm, sizeof nm, "s%d.b%d.frn1", stage + 1, j);
    b->f1 = mdl_add_frn(bd, nm, F, c1.OH * c1.OW);
    snprintf(nm, sizeof nm, "s%d.b%d.conv2", stage + 1, j);
    b->c2 = mdl_add_conv(bd, nm, &c2, 0);
    snprintf(nm, sizeof nm, "s%d.b%d.frn2", stage + 1, j);
    b->f2 = mdl_add_frn(bd, nm, F, c2.OH * c2.OW);
    /* Projection shortcut FRN(conv1×1/s) when the stride is not 1; the architecture
     * keeps C == F whenever s == 1. */
    b->has_sc = st != 1 || C != F;
    if (!b->has_sc) return SMILE_OK;
    if (nn_conv2d_dims_init(&sc, H, W, C, F, 1, 1, st, NN_PAD_SAME) || sc.OH != c1.OH ||
        sc.OW != c1.OW)
        return mdl_bad(bd, "model resnet18: bad shortcut geometry in stage %d", stage + 1);
    snprintf(nm, sizeof nm, "s%d.b%d.sc.conv", stage + 1, j);
    b->sc = mdl_add_conv(bd, nm, &sc, 0);
    snprintf(nm, sizeof nm, "s%d.b%d.sc.frn", stage + 1, j);
    b->fsc = mdl_add_frn(bd, nm, F, sc.OH * sc.OW);
    return SMILE_OK;
}

static smile_status resnet18_build(mdl_builder *bd) {
    MDL_BUILD_LOCALS(resnet18, 0, 0);
    SMILE_TRY(mdl_image_classifier(bd));
    SMILE_TRY(mdl_positive(bd, d->res_width, "res_width"));
    size_t w = d->res_width;
    nn_conv2d_dims cd;
    if (nn_conv2d_dims_init(&cd, d->in_h, d->in_w, d->in_c, w, 3, 3, 1, NN_PAD_SAME) ||
        nn_pool_dims_init(&s->pool, cd.OH, cd.OW, w, 3, 3, 2, NN_PAD_SAME))
        return mdl_bad(bd, "model resnet18: bad stem geometry");
    s->stem = mdl_add_conv(bd, "stem.conv", &cd, 0);
    s->stem_frn = mdl_add_frn(bd, "stem.frn", w, cd.OH * cd.OW);
    size_t H = s->pool.OH, W = s->pool.OW, C = w;
    for (int k = 0; k < R18_BLOCKS; k++) {
        int stage = k / 2, j = k % 2;
        size_t F = w << stage, st = (stage > 0 && j == 0) ? 2 : 1;
        SMILE_TRY(resnet18_add_block(bd, &s->b[k], stage, j, H, W, C, F, st));
        H = s->b[k].c2.dims.OH;
        W = s->b[k].c2.dims.OW;
        C = F;
    }
    s->head = mdl_add_dense(bd, "dense", C, d->n_classes, 1);
    return SMILE_OK;
}

static double resnet18_flops(const smile_model *m, size_t n, double *first) {
    const resnet18_state *s = m->state;
    *first = mdl_conv_flops(&s->stem, n);
    double f = *first + mdl_dense_flops(&s->head, n);
    for (int k = 0; k < R18_BLOCKS; k++) {
        f += mdl_conv_flops(&s->b[k].c1, n) + mdl_conv_flops(&s->b[k].c2, n);
        if (s->b[k].has_sc) f += mdl_conv_flops(&s->b[k].sc, n);
    }
    return f;
}

MDL_ARCH(resnet18, SMILE_LIK_CATEGORICAL, 0, .in_h = 32, .in_w = 32, .in_c = 3, .res_width = 64);

#endif /* precision-independent part */

static smile_status F(resnet18_plan)(smile_model_workspace *ws, size_t *nr, size_t *sc) {
    MDL_PLAN_LOCALS(resnet18, 0);
    F(mdl_conv_setup)(ws, &a->stem, &s->stem, sc);
    size_t s0 = mdl_conv_out(&s->stem), mx = s0;
    a->c0 = mdl_take(nr, B * s0);
    a->f0 = mdl_take(nr, B * s0);
    a->r0 = mdl_take(nr, B * s->stem_frn.C);
    *sc = mdl_max(*sc, NN(frn_scratch_size)(B, s->stem_frn.C));
    a->m0 = mdl_take(nr, B * s->pool.OH * s->pool.OW * s->pool.C);
    for (int k = 0; k < R18_BLOCKS; k++) {
        const resnet18_block *b = &s->b[k];
        resnet18_block_ws *w = &a->b[k];
        F(mdl_conv_setup)(ws, &a->c1[k], &b->c1, sc);
        F(mdl_conv_setup)(ws, &a->c2[k], &b->c2, sc);
        size_t so = mdl_conv_out(&b->c1), C = b->f1.C;
        *sc = mdl_max(*sc, NN(frn_scratch_size)(B, C));
        w->c1 = mdl_take(nr, B * so);
        w->f1 = mdl_take(nr, B * so);
        w->r1 = mdl_take(nr, B * C);
        w->c2 = mdl_take(nr, B * so);
        w->o = mdl_take(nr, B * so);
        w->r2 = mdl_take(nr, B * C);
        if (b->has_sc) {
            F(mdl_conv_setup)(ws, &a->sc[k], &b->sc, sc);
            w->scc = mdl_take(nr, B * so);
            w->scf = mdl_take(nr, B * so);
            w->rsc = mdl_take(nr, B * C);
        }
        mx = mdl_max(mx, so);
    }
    a->gap = mdl_take(nr, B * s->head.in);
    ws->gsize = B * mx;
    for (int k = 0; k < 3; k++) ws->g[k] = mdl_take(nr, ws->gsize);
    return SMILE_OK;
}

static void F(resnet18_forward)(const smile_model *m, smile_model_workspace *ws,
                                const R *theta, size_t n) {
    MDL_PASS_LOCALS(resnet18);
    F(mdl_conv_fwd)(ws, base + a->c0, base + ws->in, &a->stem, theta, n);
    F(mdl_frn_fwd)(&s->stem_frn, theta, base + a->f0, base + a->r0, base + a->c0, n);
    NN(maxpool_forward)(base + a->m0, base + a->f0, &s->pool, n);
    const R *x = base + a->m0;
    for (int k = 0; k < R18_BLOCKS; k++) {
        const resnet18_block *b = &s->b[k];
        const resnet18_block_ws *w = &a->b[k];
        size_t so = mdl_conv_out(&a->c1[k]);
        /* h = FRN_1(conv1(x)); h = conv2(h) */
        F(mdl_conv_fwd)(ws, base + w->c1, x, &a->c1[k], theta, n);
        F(mdl_frn_fwd)(&b->f1, theta, base + w->f1, base + w->r1, base + w->c1, n);
        F(mdl_conv_fwd)(ws, base + w->c2, base + w->f1, &a->c2[k], theta, n);
        /* sum = h + shortcut (in place over conv2's output) */
        const R *shortcut = x;
        if (b->has_sc) {
            F(mdl_conv_fwd)(ws, base + w->scc, x, &a->sc[k], theta, n);
            F(mdl_frn_fwd)(&b->fsc, theta, base + w->scf, base + w->rsc, base + w->scc, n);
            shortcut = base + w->scf;
        }
        NN(add_forward)(base + w->c2, base + w->c2, shortcut, n * so);
        /* out = FRN_2(sum) */
        F(mdl_frn_fwd)(&b->f2, theta, base + w->o, base + w->r2, base + w->c2, n);
        x = base + w->o;
    }
    const mdl_dense *h = &s->head;
    const mdl_frn *fl = &s->b[R18_BLOCKS - 1].f2;
    NN(gap_forward)(base + a->gap, x, n, fl->HW, fl->C);
    NN(dense_forward)(base + ws->out, base + a->gap, theta + h->w, theta + h->b, n, h->in, h->out);
}

/* Block k backward: slot o holds d(block output); returns the slot with d(block input). */
static int F(resnet18_block_bwd)(smile_model_workspace *ws, const resnet18_state *s,
                                 const R *theta, R *grad, int k, int o, size_t n) {
    const resnet18_ws *a = ws->aws;
    const resnet18_block *b = &s->b[k];
    const resnet18_block_ws *w = &a->b[k];
    R *base = (R *)ws->mem;
    R *g[3] = {base + ws->g[0], base + ws->g[1], base + ws->g[2]};
    void *scr = ws->scratch;
    const mdl_conv *k1 = &a->c1[k], *k2 = &a->c2[k];
    const R *x = k ? base + a->b[k - 1].o : base + a->m0;
    size_t so = mdl_conv_out(k1), sin = k1->dims.H * k1->dims.W * k1->dims.C;
    int t = mdl_other(o, o), ga = mdl_other(o, t), u = o;
    /* d sum = FRN_2 backward (x = sum stored in c2) */
    mdl_zero(g[t], n * so);
    F(mdl_frn_bwd)(&b->f2, theta, grad, scr, g[t], g[o], base + w->c2, base + w->r2, n);
    mdl_zero(g[ga], n * sin);
    if (b->has_sc) {
        mdl_zero(g[u], n * so);
        F(mdl_frn_bwd)(&b->fsc, theta, grad, scr, g[u], g[t], base + w->scc, base + w->rsc, n);
        F(mdl_conv_bwd)(ws, g[ga], grad, &a->sc[k], g[u], x, theta, n);
    } else {
        NN(add_backward)(g[ga], NULL, g[t], n * so); /* identity shortcut */
    }
    /* main branch: conv2 ← d sum; FRN_1; conv1 → d x */
    mdl_zero(g[u], n * so);
    F(mdl_conv_bwd)(ws, g[u], grad, k2, g[t], base + w->f1, theta, n);
    mdl_zero(g[t], n * so);
    F(mdl_frn_bwd)(&b->f1, theta, grad, scr, g[t], g[u], base + w->c1, base + w->r1, n);
    F(mdl_conv_bwd)(ws, g[ga], grad, k1, g[t], x, theta, n);
    return ga;
}

static void F(resnet18_backward)(const smile_model *m, smile_model_workspace *ws,
                                 const R *theta, R *grad, size_t n) {
    MDL_PASS_LOCALS(resnet18);
    R *g[3] = {base + ws->g[0], base + ws->g[1], base + ws->g[2]};
    const mdl_dense *h = &s->head;
    const mdl_frn *fl = &s->b[R18_BLOCKS - 1].f2;
    F(mdl_dense_bwd)(g[0], h, grad, base + ws->dout, base + a->gap, theta, n);
    mdl_zero(g[1], n * fl->HW * fl->C);
    NN(gap_backward)(g[1], g[0], n, fl->HW, fl->C);
    int o = 1; /* slot with d(block output) */
    for (int k = R18_BLOCKS - 1; k >= 0; k--)
        o = F(resnet18_block_bwd)(ws, s, theta, grad, k, o, n);
    /* stem: max-pool, FRN, conv (no input gradient) */
    size_t s0 = mdl_conv_out(&a->stem);
    int t = mdl_other(o, o), u = mdl_other(o, t);
    mdl_zero(g[t], n * s0);
    NN(maxpool_backward)(g[t], g[o], base + a->f0, &s->pool, n);
    mdl_zero(g[u], n * s0);
    F(mdl_frn_bwd)(&s->stem_frn, theta, grad, ws->scratch, g[u], g[t], base + a->c0, base + a->r0,
                   n);
    F(mdl_conv_bwd)(ws, NULL, grad, &a->stem, g[u], base + ws->in, theta, n);
}

MDL_PASSES_OF(resnet18, NULL);
