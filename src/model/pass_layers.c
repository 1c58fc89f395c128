/*
 * pass_layers.c — pass pieces several architectures share (prototypes and conventions in
 * pass_api.inc): the choice of convolution kernel, FRN with its parameters, and the
 * transformer block of the ViT and the GPT. Compiled once per precision (pass_real_internal.h).
 */
#include "model/conv_direct.h"
#include "model/model_internal.h"
#include "model/pass_real_internal.h"

/* ---- convolutions --------------------------------------------------------------------- */

/* im2col chunk: at most CONV_CHUNK_ELEMS reals of unfolded input per sgemm (a quarter of
 * that in the pieces of an example-parallel workspace, which each hold a scratch), so the
 * scratch stays bounded at large batches while each sgemm still has ≥ 10⁶ entries. */
#define CONV_CHUNK_ELEMS ((size_t)1 << 22)

void F(mdl_conv_setup)(smile_model_workspace *ws, mdl_conv *dst, const mdl_conv *src,
                       size_t *scratch) {
    *dst = *src;
#if MDL_FAST_PATHS
    if (mdl_convd_ok(&dst->dims)) { /* the direct kernel needs no im2col buffer */
        *scratch = mdl_max(*scratch, mdl_convd_scratch_size(&dst->dims, ws->NT));
        return;
    }
#endif
    const nn_conv2d_dims *d = &src->dims;
    size_t B = ws->B, per = d->OH * d->OW * d->KH * d->KW * d->C;
    size_t budget = ws->piece ? CONV_CHUNK_ELEMS / 4 : CONV_CHUNK_ELEMS;
    size_t bc = per ? budget / per : B;
    if (bc < 1) bc = 1;
    dst->dims.BC = bc >= B ? 0 : bc;
    *scratch = mdl_max(*scratch, NN(conv2d_scratch_size)(&dst->dims, B));
}

/* The direct kernel (conv_direct.c, float only) for stride-1 layers with few channels,
 * otherwise im2col + gemm (nn_conv2d_*). Same semantics (y =, d* +=). */
void F(mdl_conv_fwd)(smile_model_workspace *ws, R *y, const R *x, const mdl_conv *c,
                     const R *theta, size_t n) {
#if MDL_FAST_PATHS
    if (mdl_convd_ok(&c->dims)) {
        mdl_convd_forward(y, ws->scratch, x, theta + c->w, OPTP(c->b), &c->dims, n, ws->NT);
        return;
    }
#endif
    NN(conv2d_forward)(y, ws->scratch, x, theta + c->w, OPTP(c->b), &c->dims, n);
}

void F(mdl_conv_bwd)(smile_model_workspace *ws, R *dx, R *grad, const mdl_conv *c, const R *dy,
                     const R *x, const R *theta, size_t n) {
#if MDL_FAST_PATHS
    if (mdl_convd_ok(&c->dims)) {
        mdl_convd_backward(dx, grad + c->w, OPTG(c->b), ws->scratch, dy, x, theta + c->w,
                           &c->dims, n, ws->NT);
        return;
    }
#endif
    NN(conv2d_backward)(dx, grad + c->w, OPTG(c->b), ws->scratch, dy, x, theta + c->w, &c->dims,
                        n);
}

/* ---- dense ---------------------------------------------------------------------------- */

void F(mdl_dense_bwd)(R *dx, const mdl_dense *L, R *grad, const R *dy, const R *x,
                      const R *theta, size_t n) {
    if (dx) mdl_zero(dx, n * L->in);
    NN(dense_backward)(dx, grad + L->w, OPTG(L->b), dy, x, theta + L->w, n, L->in, L->out);
}

/* ---- FRN ------------------------------------------------------------------------------ */

void F(mdl_frn_fwd)(const mdl_frn *f, const R *theta, R *y, R *rstd, const R *x, size_t n) {
    NN(frn_forward)(y, rstd, x, theta + f->g, theta + f->b, theta + f->t, theta + f->e, n, f->HW,
                    f->C);
}

void F(mdl_frn_bwd)(const mdl_frn *f, const R *theta, R *grad, void *scratch, R *dx,
                    const R *dy, const R *x, const R *rstd, size_t n) {
    NN(frn_backward)(dx, grad + f->g, grad + f->b, grad + f->t, grad + f->e, scratch, dy, x,
                     rstd, theta + f->g, theta + f->b, theta + f->t, theta + f->e, n, f->HW, f->C);
}

/* ---- transformer block ---------------------------------------------------------------- */
/* Names: n examples, N = n·T rows, C width, M MLP width, NH heads. */

void F(mdl_tblocks_plan)(smile_model_workspace *ws, mdl_tblock_ws *a, const mdl_tshape *s,
                         size_t *nr) {
    size_t B = ws->B, T = s->T, C = s->C, M = s->M, NH = s->NH, N = B * T;
    for (size_t l = 0; l < s->depth; l++) {
        a[l].ln1 = mdl_take(nr, N * C);
        a[l].mean1 = mdl_take(nr, N);
        a[l].rstd1 = mdl_take(nr, N);
        a[l].qkv = mdl_take(nr, N * 3 * C);
        a[l].att = mdl_take(nr, N * C);
        a[l].lse = mdl_take(nr, B * NH * T);
        a[l].h = mdl_take(nr, N * C);
        a[l].ln2 = mdl_take(nr, N * C);
        a[l].mean2 = mdl_take(nr, N);
        a[l].rstd2 = mdl_take(nr, N);
        a[l].fc1 = mdl_take(nr, N * M);
        a[l].ge = mdl_take(nr, N * M);
        a[l].xo = mdl_take(nr, N * C);
    }
    ws->g[0] = mdl_take(nr, N * C);
    ws->g[1] = mdl_take(nr, N * C);
    ws->g[2] = mdl_take(nr, N * C);
    ws->g[3] = mdl_take(nr, N * 3 * C);
    ws->g[4] = mdl_take(nr, N * M);
    ws->g[5] = mdl_take(nr, N * M);
}

void F(mdl_tblock_forward)(smile_model_workspace *ws, const mdl_tblock *t, const mdl_tblock_ws *a,
                           const mdl_tshape *s, const R *theta, const R *x, size_t n) {
    R *base = (R *)ws->mem;
    size_t T = s->T, C = s->C, M = s->M, N = n * T;
    int ref = s->ref;
    R *ln1 = base + a->ln1, *qkv = base + a->qkv, *att = base + a->att, *h = base + a->h;
    R *ln2 = base + a->ln2, *fc1 = base + a->fc1, *ge = base + a->ge, *xo = base + a->xo;
    NN(layernorm_forward)(ln1, base + a->mean1, base + a->rstd1, x, theta + t->ln1.g,
                          OPTP(t->ln1.b), N, C, s->eps);
    NN(dense_forward)(qkv, ln1, theta + t->qkv.w, OPTP(t->qkv.b), N, C, 3 * C);
    NN(attention_forward)(att, base + a->lse, ws->scratch, qkv, n, T, C, s->NH, s->causal, ws->NT);
    NN(dense_forward)(h, att, theta + t->proj.w, OPTP(t->proj.b), N, C, C);
    NN(add_forward)(h, h, ref ? ln1 : x, N * C);
    NN(layernorm_forward)(ln2, base + a->mean2, base + a->rstd2, h, theta + t->ln2.g,
                          OPTP(t->ln2.b), N, C, s->eps);
    NN(dense_forward)(fc1, ln2, theta + t->fc1.w, OPTP(t->fc1.b), N, C, M);
    NN(gelu_forward)(ge, fc1, N * M);
    NN(dense_forward)(xo, ge, theta + t->fc2.w, OPTP(t->fc2.b), N, M, C);
    NN(add_forward)(xo, xo, ref ? ln2 : h, N * C);
}

/* Attention branch backward from d(proj output) in gP: proj, attention, qkv; the qkv input
 * gradient goes into gX (zeroed first iff zero_gx, else accumulated). */
static void F(attn_bwd)(smile_model_workspace *ws, const mdl_tblock *t, const mdl_tblock_ws *a,
                        const mdl_tshape *s, const R *theta, R *grad, const R *gP, R *gX,
                        int zero_gx, size_t n) {
    R *base = (R *)ws->mem;
    size_t T = s->T, C = s->C, N = n * T;
    R *gA = base + ws->g[1], *gQKV = base + ws->g[3];
    F(mdl_dense_bwd)(gA, &t->proj, grad, gP, base + a->att, theta, N);
    mdl_zero(gQKV, N * 3 * C);
    NN(attention_backward)(gQKV, ws->scratch, gA, base + a->qkv, base + a->lse, n, T, C, s->NH,
                           s->causal, ws->NT);
    if (zero_gx)
        F(mdl_dense_bwd)(gX, &t->qkv, grad, gQKV, base + a->ln1, theta, N);
    else
        NN(dense_backward)(gX, grad + t->qkv.w, OPTG(t->qkv.b), gQKV, base + a->ln1,
                           theta + t->qkv.w, N, C, 3 * C);
}

void F(mdl_tblock_backward)(smile_model_workspace *ws, const mdl_tblock *t,
                            const mdl_tblock_ws *a, const mdl_tshape *s, const R *theta, R *grad,
                            const R *x, size_t n) {
    R *base = (R *)ws->mem;
    size_t T = s->T, C = s->C, M = s->M, N = n * T;
    R *gR = base + ws->g[0], *gA = base + ws->g[1], *gB = base + ws->g[2];
    R *gM1 = base + ws->g[4], *gM2 = base + ws->g[5];
    const R *h = base + a->h, *ln2 = base + a->ln2;
    /* MLP branch: fc2, GELU */
    F(mdl_dense_bwd)(gM2, &t->fc2, grad, gR, base + a->ge, theta, N);
    mdl_zero(gM1, N * M);
    NN(gelu_backward)(gM1, gM2, base + a->fc1, N * M);
    if (s->ref) {
        /* d c = d out + fc1ᵀ(d fc1); d b = LN2ᵀ(d c) */
        NN(dense_backward)(gR, grad + t->fc1.w, OPTG(t->fc1.b), gM1, ln2, theta + t->fc1.w, N, C,
                           M);
        mdl_zero(gB, N * C);
        NN(layernorm_backward)(gB, grad + t->ln2.g, OPTG(t->ln2.b), gR, h, base + a->mean2,
                               base + a->rstd2, theta + t->ln2.g, N, C);
        /* attention branch from d b; d a = d b + qkvᵀ(d qkv) accumulated in gB */
        F(attn_bwd)(ws, t, a, s, theta, grad, gB, gB, 0, n);
        mdl_zero(gR, N * C);
        NN(layernorm_backward)(gR, grad + t->ln1.g, OPTG(t->ln1.b), gB, x, base + a->mean1,
                               base + a->rstd1, theta + t->ln1.g, N, C);
    } else {
        /* d h = d out + LN2ᵀ(fc1ᵀ(d fc1)) accumulated in gR */
        F(mdl_dense_bwd)(gA, &t->fc1, grad, gM1, ln2, theta, N);
        NN(layernorm_backward)(gR, grad + t->ln2.g, OPTG(t->ln2.b), gA, h, base + a->mean2,
                               base + a->rstd2, theta + t->ln2.g, N, C);
        /* d x = d h + LN1ᵀ(qkvᵀ(attnᵀ(projᵀ d h))) */
        F(attn_bwd)(ws, t, a, s, theta, grad, gR, gB, 1, n);
        NN(layernorm_backward)(gR, grad + t->ln1.g, OPTG(t->ln1.b), gB, x, base + a->mean1,
                               base + a->rstd1, theta + t->ln1.g, N, C);
    }
}
