/*
 * arch_vit.c — Vision Transformer (docs/experiments.md, section 3): P×P patches embedded
 * by a VALID convolution of stride P (its NHWC output is the token sequence in row-major
 * patch order), a class token prepended, learned position embeddings, pre-LN transformer
 * blocks (pass_layers.c), then the class token → dense + GELU → dense (logits); no final
 * LayerNorm.
 */
#include "model/model_internal.h"
#include "model/pass_real_internal.h"

typedef struct {
    mdl_conv patch;
    size_t cls, pos; /* class token [C], position embedding [T][C] */
    mdl_tshape shape;
    mdl_dense h1, h2;
    mdl_tblock tb[]; /* [depth] */
} vit_state;

typedef struct {
    mdl_conv patch; /* with the chunk chosen for this batch */
    /* patch embeddings [B, T-1, C], block-0 input [B, T, C], class tokens [B, C], head
     * pre- and post-activation [B, cls_hidden] */
    size_t pe, x0, sel, z, act;
    mdl_tblock_ws tb[]; /* [depth] */
} vit_ws;

#ifndef SMILE_MODEL_DOUBLE

static smile_status vit_build(mdl_builder *bd) {
    MDL_BUILD_LOCALS(vit, d->depth, sizeof(mdl_tblock));
    SMILE_TRY(mdl_image_classifier(bd));
    SMILE_TRY(mdl_check_transformer(bd));
    if (d->patch == 0 || d->cls_hidden == 0)
        return mdl_bad(bd, "model vit: patch and cls_hidden must be >= 1");
    if (d->in_h % d->patch || d->in_w % d->patch)
        return mdl_bad(bd, "model vit: patch %zu must divide the input %zux%zu", d->patch,
                       d->in_h, d->in_w);
    size_t C = d->embed;
    nn_conv2d_dims pd;
    if (nn_conv2d_dims_init(&pd, d->in_h, d->in_w, d->in_c, C, d->patch, d->patch, d->patch,
                            NN_PAD_VALID))
        return mdl_bad(bd, "model vit: bad patch geometry");
    s->patch = mdl_add_conv(bd, "patch", &pd, 1);
    size_t T = pd.OH * pd.OW + 1;
    s->shape = (mdl_tshape){T, C, d->mlp, d->heads, d->depth, d->ln_eps, 0, 0};
    s->cls = mdl_add1(bd, "cls", C, MI_NORMAL, 1.0); /* N(0, 1) */
    size_t ps[2] = {T, C};
    s->pos = mdl_add_param(bd, "pos", 2, ps, MI_NORMAL, 0, 1.0);
    for (size_t l = 0; l < d->depth; l++) mdl_add_tblock(bd, &s->tb[l], l, C, d->mlp, 1);
    s->h1 = mdl_add_dense(bd, "head.fc1", C, d->cls_hidden, 1);
    s->h2 = mdl_add_dense(bd, "head.fc2", d->cls_hidden, d->n_classes, 1);
    return SMILE_OK;
}

static double vit_flops(const smile_model *m, size_t n, double *first) {
    const vit_state *s = m->state;
    double f = mdl_tblocks_flops(s->tb, &s->shape, n);
    *first = mdl_conv_flops(&s->patch, n);
    f += *first + mdl_dense_flops(&s->h1, n) + mdl_dense_flops(&s->h2, n);
    return f;
}

MDL_ARCH(vit, SMILE_LIK_CATEGORICAL, 0, .in_h = 160, .in_w = 160, .in_c = 3, .patch = 16,
         .embed = 384, .depth = 12, .heads = 8, .mlp = 1536, .cls_hidden = 1024);

#endif /* precision-independent part */

static smile_status F(vit_plan)(smile_model_workspace *ws, size_t *nr, size_t *sc) {
    MDL_PLAN_LOCALS(vit, s->shape.depth * sizeof(mdl_tblock_ws));
    size_t T = s->shape.T, C = s->shape.C, H1 = ws->m->desc.cls_hidden;
    F(mdl_conv_setup)(ws, &a->patch, &s->patch, sc);
    a->pe = mdl_take(nr, B * (T - 1) * C);
    a->x0 = mdl_take(nr, B * T * C);
    F(mdl_tblocks_plan)(ws, a->tb, &s->shape, nr);
    a->sel = mdl_take(nr, B * C);
    a->z = mdl_take(nr, B * H1);
    a->act = mdl_take(nr, B * H1);
    /* the head's gradients [B, cls_hidden] use slots 4–5 ([B·T, M]) unless larger */
    if (H1 > T * s->shape.M) {
        ws->g[4] = mdl_take(nr, B * H1);
        ws->g[5] = mdl_take(nr, B * H1);
    }
    *sc = mdl_max(*sc, NN(attention_scratch_size)(T, ws->NT));
    return SMILE_OK;
}

static void F(vit_forward)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                           size_t n) {
    MDL_PASS_LOCALS(vit);
    size_t T = s->shape.T, C = s->shape.C, NP = T - 1, H1 = m->desc.cls_hidden;
    /* patches [n, H/P, W/P, C] = tokens [n, NP, C]; prepend class token; + position emb */
    F(mdl_conv_fwd)(ws, base + a->pe, base + ws->in, &a->patch, theta, n);
    NN(prepend_forward)(base + a->x0, base + a->pe, theta + s->cls, n, NP, C);
    NN(posemb_forward)(base + a->x0, base + a->x0, theta + s->pos, n, T, C);
    for (size_t l = 0; l < s->shape.depth; l++) {
        const R *x = mdl_tblock_in(ws, a->tb, a->x0, l);
        F(mdl_tblock_forward)(ws, &s->tb[l], &a->tb[l], &s->shape, theta, x, n);
    }
    /* head: token 0 → dense H1 + GELU → dense K (no final LayerNorm) */
    NN(select_forward)(base + a->sel, mdl_tblock_in(ws, a->tb, a->x0, s->shape.depth), n, T, C, 0);
    NN(dense_forward)(base + a->z, base + a->sel, theta + s->h1.w, theta + s->h1.b, n, C, H1);
    NN(gelu_forward)(base + a->act, base + a->z, n * H1);
    NN(dense_forward)(base + ws->out, base + a->act, theta + s->h2.w, theta + s->h2.b, n, H1,
                      s->h2.out);
}

static void F(vit_backward)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                            R *grad, size_t n) {
    MDL_PASS_LOCALS(vit);
    size_t T = s->shape.T, C = s->shape.C, NP = T - 1, H1 = m->desc.cls_hidden;
    R *gR = base + ws->g[0], *gA = base + ws->g[1], *gM1 = base + ws->g[4], *gM2 = base + ws->g[5];
    F(mdl_dense_bwd)(gM1, &s->h2, grad, base + ws->dout, base + a->act, theta, n);
    mdl_zero(gM2, n * H1);
    NN(gelu_backward)(gM2, gM1, base + a->z, n * H1);
    F(mdl_dense_bwd)(gA, &s->h1, grad, gM2, base + a->sel, theta, n);
    mdl_zero(gR, n * T * C);
    NN(select_backward)(gR, gA, n, T, C, 0);
    for (size_t l = s->shape.depth; l-- > 0;)
        F(mdl_tblock_backward)(ws, &s->tb[l], &a->tb[l], &s->shape, theta, grad,
                               mdl_tblock_in(ws, a->tb, a->x0, l), n);
    /* x0 = prepend(patches) + pos: d pos = Σ_b d x0; d x0 passes through unchanged */
    NN(posemb_backward)(NULL, grad + s->pos, gR, n, T, C);
    mdl_zero(gA, n * NP * C);
    NN(prepend_backward)(gA, grad + s->cls, gR, n, NP, C);
    F(mdl_conv_bwd)(ws, NULL, grad, &a->patch, gA, base + ws->in, theta, n);
}

MDL_PASSES_OF(vit, NULL);
