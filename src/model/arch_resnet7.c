/*
 * arch_resnet7.c — "ResNet-7" with FRN (docs/experiments.md, section 3): six 3×3 SAME
 * convolutions with bias, widths w, 2w, 2w, 4w, 4w, 4w, each followed by FRN/TLU; 2×2
 * max-pools after convolutions 2, 4 and 5; a residual connection around convolution 6
 * (FRN(conv6(r)) + r); global average pool; dense to the classes. Small layers: the batch
 * is evaluated in example-parallel pieces (workspace.c).
 */
#include "model/model_internal.h"
#include "model/pass_real_internal.h"

#define R7_CONVS 6
static const int r7_pool[R7_CONVS] = {-1, 0, -1, 1, 2, -1}; /* pool index after conv i */

typedef struct {
    mdl_conv c[R7_CONVS];
    mdl_frn f[R7_CONVS];
    nn_conv2d_dims pool[3]; /* after convs 2, 4, 5 */
    mdl_dense head;
} resnet7_state;

typedef struct {
    mdl_conv conv[R7_CONVS]; /* with the chunk chosen for this batch */
    /* conv outputs, FRN outputs (conv 6: then + r in place), FRN rstd, pool outputs,
     * global average */
    size_t c[R7_CONVS], f[R7_CONVS], r[R7_CONVS], mp[3], gap;
} resnet7_ws;

#ifndef SMILE_MODEL_DOUBLE

static smile_status resnet7_build(mdl_builder *bd) {
    MDL_BUILD_LOCALS(resnet7, 0, 0);
    SMILE_TRY(mdl_image_classifier(bd));
    SMILE_TRY(mdl_positive(bd, d->res_width, "res_width"));
    const size_t mult[R7_CONVS] = {1, 2, 2, 4, 4, 4};
    size_t H = d->in_h, W = d->in_w, C = d->in_c;
    for (int i = 0; i < R7_CONVS; i++) {
        nn_conv2d_dims cd;
        char nm[16];
        if (nn_conv2d_dims_init(&cd, H, W, C, mult[i] * d->res_width, 3, 3, 1, NN_PAD_SAME))
            return mdl_bad(bd, "model resnet7: bad geometry at conv %d", i + 1);
        snprintf(nm, sizeof nm, "conv%d", i + 1);
        s->c[i] = mdl_add_conv(bd, nm, &cd, 1);
        snprintf(nm, sizeof nm, "frn%d", i + 1);
        s->f[i] = mdl_add_frn(bd, nm, cd.OC, cd.OH * cd.OW);
        H = cd.OH;
        W = cd.OW;
        C = cd.OC;
        if (r7_pool[i] >= 0) {
            nn_conv2d_dims *p = &s->pool[r7_pool[i]];
            if (H < 2 || W < 2 || nn_pool_dims_init(p, H, W, C, 2, 2, 2, NN_PAD_VALID))
                return mdl_bad(bd,
                               "model resnet7: input %zux%zu too small for three 2x2 max-pools "
                               "(needs >= 8x8)",
                               d->in_h, d->in_w);
            H = p->OH;
            W = p->OW;
        }
    }
    s->head = mdl_add_dense(bd, "dense", C, d->n_classes, 1);
    return SMILE_OK;
}

static double resnet7_flops(const smile_model *m, size_t n, double *first) {
    const resnet7_state *s = m->state;
    double f = 0;
    for (int i = 0; i < R7_CONVS; i++) f += mdl_conv_flops(&s->c[i], n);
    *first = mdl_conv_flops(&s->c[0], n);
    return f + mdl_dense_flops(&s->head, n);
}

MDL_ARCH(resnet7, SMILE_LIK_CATEGORICAL, 1, .in_h = 32, .in_w = 32, .in_c = 3, .res_width = 32);

#endif /* precision-independent part */

static smile_status F(resnet7_plan)(smile_model_workspace *ws, size_t *nr, size_t *sc) {
    MDL_PLAN_LOCALS(resnet7, 0);
    size_t mx = 0;
    for (int i = 0; i < R7_CONVS; i++) {
        F(mdl_conv_setup)(ws, &a->conv[i], &s->c[i], sc);
        size_t so = mdl_conv_out(&s->c[i]);
        a->c[i] = mdl_take(nr, B * so);
        a->f[i] = mdl_take(nr, B * so);
        a->r[i] = mdl_take(nr, B * s->f[i].C);
        *sc = mdl_max(*sc, NN(frn_scratch_size)(B, s->f[i].C));
        mx = mdl_max(mx, so);
    }
    for (int p = 0; p < 3; p++)
        a->mp[p] = mdl_take(nr, B * s->pool[p].OH * s->pool[p].OW * s->pool[p].C);
    a->gap = mdl_take(nr, B * s->head.in);
    ws->gsize = B * mx;
    for (int k = 0; k < 3; k++) ws->g[k] = mdl_take(nr, ws->gsize);
    return SMILE_OK;
}

/* Output of stage i (after its pool, if any) — the input of conv i+1. */
static size_t r7_stage_out(const resnet7_ws *a, int i) {
    int p = r7_pool[i];
    return p >= 0 ? a->mp[p] : a->f[i];
}

static void F(resnet7_forward)(const smile_model *m, smile_model_workspace *ws,
                               const R *theta, size_t n) {
    MDL_PASS_LOCALS(resnet7);
    const R *x = base + ws->in;
    for (int i = 0; i < R7_CONVS; i++) {
        const mdl_conv *c = &a->conv[i];
        R *cz = base + a->c[i], *f = base + a->f[i];
        F(mdl_conv_fwd)(ws, cz, x, c, theta, n);
        F(mdl_frn_fwd)(&s->f[i], theta, f, base + a->r[i], cz, n);
        if (r7_pool[i] >= 0)
            NN(maxpool_forward)(base + a->mp[r7_pool[i]], f, &s->pool[r7_pool[i]], n);
        if (i == R7_CONVS - 1) /* residual: FRN(conv6(r)) + r, in place */
            NN(add_forward)(f, f, x, n * mdl_conv_out(c));
        x = base + r7_stage_out(a, i);
    }
    const mdl_frn *fl = &s->f[R7_CONVS - 1];
    NN(gap_forward)(base + a->gap, x, n, fl->HW, fl->C);
    NN(dense_forward)(base + ws->out, base + a->gap, theta + s->head.w, theta + s->head.b, n,
                      s->head.in, s->head.out);
}

static void F(resnet7_backward)(const smile_model *m, smile_model_workspace *ws,
                                const R *theta, R *grad, size_t n) {
    MDL_PASS_LOCALS(resnet7);
    R *g[3] = {base + ws->g[0], base + ws->g[1], base + ws->g[2]};
    const mdl_frn *fl = &s->f[R7_CONVS - 1];
    size_t Cl = fl->C;
    /* head: dense → g[0] [n, C]; GAP → g[1] [n, HW, C] = d(stage 6 output) */
    F(mdl_dense_bwd)(g[0], &s->head, grad, base + ws->dout, base + a->gap, theta, n);
    mdl_zero(g[1], n * fl->HW * Cl);
    NN(gap_backward)(g[1], g[0], n, fl->HW, Cl);
    int cur = 1; /* slot holding d(output of stage i) */
    for (int i = R7_CONVS - 1; i >= 0; i--) {
        const mdl_conv *c = &a->conv[i];
        size_t so = mdl_conv_out(c);
        const R *xin = i ? base + r7_stage_out(a, i - 1) : base + ws->in;
        size_t sin = c->dims.H * c->dims.W * c->dims.C;
        int gf = cur, res = -1;
        if (i == R7_CONVS - 1) { /* d r = d(sum) (copy), then conv6 adds its dx */
            res = mdl_other(cur, cur);
            memcpy(g[res], g[cur], n * so * sizeof(R));
        }
        if (r7_pool[i] >= 0) { /* max-pool backward → d(FRN output) */
            gf = mdl_other(cur, -1);
            mdl_zero(g[gf], n * so);
            NN(maxpool_backward)(g[gf], g[cur], base + a->f[i], &s->pool[r7_pool[i]], n);
        }
        int gc = mdl_other(gf, res);
        mdl_zero(g[gc], n * so);
        F(mdl_frn_bwd)(&s->f[i], theta, grad, ws->scratch, g[gc], g[gf], base + a->c[i],
                       base + a->r[i], n);
        int gx = -1;
        if (i > 0) {
            if (res >= 0) {
                gx = res; /* accumulate onto the residual copy */
            } else {
                gx = mdl_other(gc, gc);
                mdl_zero(g[gx], n * sin);
            }
        }
        F(mdl_conv_bwd)(ws, gx >= 0 ? g[gx] : NULL, grad, c, g[gc], xin, theta, n);
        cur = gx;
    }
}

MDL_PASSES_OF(resnet7, NULL);
