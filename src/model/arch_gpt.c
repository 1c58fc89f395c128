/*
 * arch_gpt.c — character GPT (docs/experiments.md, section 3): token + position
 * embeddings, causal transformer blocks without biases (the reference code's block, or
 * pre-LN with desc.gpt_pre_ln; pass_layers.c), a final scale-only LayerNorm and the
 * output projection to the vocabulary. Examples are windows of `context` tokens; every
 * position predicts the next token (SMILE_LIK_TOKEN).
 */
#include "model/model_internal.h"

#include <math.h>

#include "model/pass_real_internal.h"

typedef struct {
    size_t wte, wpe; /* token [V][C] and position [T][C] embeddings */
    mdl_tshape shape;
    mdl_ln lnf;
    mdl_dense lm;
    mdl_tblock tb[]; /* [depth] */
} gpt_state;

typedef struct {
    size_t x0, lnf, meanf, rstdf; /* block-0 input; final LayerNorm output and statistics */
    mdl_tblock_ws tb[];           /* [depth] */
} gpt_ws;

#ifndef SMILE_MODEL_DOUBLE

static smile_status gpt_build(mdl_builder *bd) {
    MDL_BUILD_LOCALS(gpt, d->depth, sizeof(mdl_tblock));
    SMILE_TRY(mdl_need_lik(bd, SMILE_LIK_TOKEN, "per-token categorical"));
    SMILE_TRY(mdl_check_transformer(bd));
    if (d->vocab == 0 || d->context == 0)
        return mdl_bad(bd, "model gpt: vocab and context must be >= 1");
    if (d->vocab > INT32_MAX) return mdl_bad(bd, "model gpt: vocab too large");
    size_t C = d->embed, V = d->vocab, T = d->context;
    s->shape = (mdl_tshape){T, C, d->mlp, d->heads, d->depth, d->ln_eps, 1, !d->gpt_pre_ln};
    size_t sh[2] = {V, C};
    s->wte = mdl_add_param(bd, "wte", 2, sh, MI_NORMAL, 0, sqrt(1.0 / (double)C));
    sh[0] = T;
    s->wpe = mdl_add_param(bd, "wpe", 2, sh, MI_NORMAL, 0, sqrt(1.0 / (double)C));
    for (size_t l = 0; l < d->depth; l++) mdl_add_tblock(bd, &s->tb[l], l, C, d->mlp, 0);
    s->lnf = mdl_add_ln(bd, "ln_f", C, 0);
    s->lm = mdl_add_dense(bd, "lm_head", C, V, 0);
    m->window = T;
    m->in_size = 0;
    m->n_out = V;
    m->out_size = T * V;
    return SMILE_OK;
}

static double gpt_flops(const smile_model *m, size_t n, double *first) {
    const gpt_state *s = m->state;
    double f = mdl_tblocks_flops(s->tb, &s->shape, n);
    *first = 0; /* the embedding is a lookup, not a product */
    f += mdl_dense_flops(&s->lm, n * s->shape.T);
    return f;
}

MDL_ARCH(gpt, SMILE_LIK_TOKEN, 0, .vocab = 65, .context = 256, .embed = 384, .depth = 6,
         .heads = 6, .mlp = 1536);

#endif /* precision-independent part */

static smile_status F(gpt_plan)(smile_model_workspace *ws, size_t *nr, size_t *sc) {
    MDL_PLAN_LOCALS(gpt, s->shape.depth * sizeof(mdl_tblock_ws));
    size_t T = s->shape.T, C = s->shape.C;
    a->x0 = mdl_take(nr, B * T * C);
    F(mdl_tblocks_plan)(ws, a->tb, &s->shape, nr);
    a->lnf = mdl_take(nr, B * T * C);
    a->meanf = mdl_take(nr, B * T);
    a->rstdf = mdl_take(nr, B * T);
    *sc = mdl_max(*sc, NN(attention_scratch_size)(T, ws->NT));
    return SMILE_OK;
}

static void F(gpt_forward)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                           size_t n) {
    MDL_PASS_LOCALS(gpt);
    size_t T = s->shape.T, C = s->shape.C, V = m->n_out, N = n * T;
    NN(embedding_forward)(base + a->x0, ws->tok, theta + s->wte, N, C);
    NN(posemb_forward)(base + a->x0, base + a->x0, theta + s->wpe, n, T, C);
    for (size_t l = 0; l < s->shape.depth; l++) {
        const R *x = mdl_tblock_in(ws, a->tb, a->x0, l);
        F(mdl_tblock_forward)(ws, &s->tb[l], &a->tb[l], &s->shape, theta, x, n);
    }
    const R *xl = mdl_tblock_in(ws, a->tb, a->x0, s->shape.depth); /* last block's output */
    NN(layernorm_forward)(base + a->lnf, base + a->meanf, base + a->rstdf, xl, theta + s->lnf.g,
                          NULL, N, C, s->shape.eps);
    NN(dense_forward)(base + ws->out, base + a->lnf, theta + s->lm.w, NULL, N, C, V);
}

static void F(gpt_backward)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                            R *grad, size_t n) {
    MDL_PASS_LOCALS(gpt);
    size_t T = s->shape.T, C = s->shape.C, N = n * T;
    R *gR = base + ws->g[0], *gA = base + ws->g[1];
    F(mdl_dense_bwd)(gA, &s->lm, grad, base + ws->dout, base + a->lnf, theta, N);
    mdl_zero(gR, N * C);
    const R *xl = mdl_tblock_in(ws, a->tb, a->x0, s->shape.depth);
    NN(layernorm_backward)(gR, grad + s->lnf.g, NULL, gA, xl, base + a->meanf, base + a->rstdf,
                           theta + s->lnf.g, N, C);
    for (size_t l = s->shape.depth; l-- > 0;)
        F(mdl_tblock_backward)(ws, &s->tb[l], &a->tb[l], &s->shape, theta, grad,
                               mdl_tblock_in(ws, a->tb, a->x0, l), n);
    NN(posemb_backward)(NULL, grad + s->wpe, gR, n, T, C);
    NN(embedding_backward)(grad + s->wte, ws->tok, gR, N, C);
}

MDL_PASSES_OF(gpt, NULL);
