/*
 * layout.c — building a model's parameter layout: the table of named tensors on the flat
 * vector θ (name, offset, shape, initialiser). Architectures call these helpers from their
 * build function in layout order; the initialisers are those of docs/method.md, section
 * 9.5 (smile_model_init_params draws the tensors in this order).
 */
#include "model/model_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

size_t mdl_add_param(mdl_builder *bd, const char *name, int ndim, const size_t *shape,
                     model_init_kind init, size_t fan_in, double value) {
    smile_model *m = bd->m;
    if (bd->err) return 0;
    if (m->n_params == m->cap_params) {
        size_t cap = m->cap_params ? 2 * m->cap_params : 64;
        model_param *p = realloc(m->params, cap * sizeof *p);
        if (!p) {
            bd->err = SMILE_ENOMEM;
            smile_set_msg(bd->msg, bd->msg_len, "model: out of memory for the layout table");
            return 0;
        }
        m->params = p;
        m->cap_params = cap;
    }
    model_param *p = &m->params[m->n_params++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = ndim;
    size_t size = 1;
    int over = 0;
    for (int i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        over |= smile_mul_size(size, shape[i], &size);
    }
    /* sizes from a description (options, model.json) are refused before they can
     * wrap: at most MDL_MAX_PARAMS parameters in all */
    if (over || size > MDL_MAX_PARAMS - m->d) {
        bd->err = SMILE_EINVAL;
        smile_set_msg(bd->msg, bd->msg_len,
                      "model %s: tensor %s makes more than %zu parameters (2^40)",
                      m->arch->name, p->name, (size_t)MDL_MAX_PARAMS);
        m->n_params--;
        return 0;
    }
    p->offset = m->d;
    p->size = size;
    p->init = init;
    p->fan_in = fan_in;
    p->value = value;
    m->d += size;
    return p->offset;
}

size_t mdl_add1(mdl_builder *bd, const char *name, size_t n, model_init_kind init, double v) {
    size_t s[1] = {n};
    return mdl_add_param(bd, name, 1, s, init, 0, v);
}

/* "<prefix>.w" with the given shape, LeCun(fan_in), then "<prefix>.b" [nb] zeros if bias;
 * *b = SIZE_MAX without bias. Returns the offset of w. */
static size_t add_kernel(mdl_builder *bd, const char *prefix, int ndim, const size_t *shape,
                         size_t fan_in, int bias, size_t nb, size_t *b) {
    char nm[40];
    snprintf(nm, sizeof nm, "%.32s.w", prefix);
    size_t w = mdl_add_param(bd, nm, ndim, shape, MI_LECUN, fan_in, 0);
    *b = SIZE_MAX;
    if (bias) {
        snprintf(nm, sizeof nm, "%.32s.b", prefix);
        *b = mdl_add1(bd, nm, nb, MI_ZERO, 0);
    }
    return w;
}

mdl_dense mdl_add_dense(mdl_builder *bd, const char *prefix, size_t in, size_t out, int bias) {
    mdl_dense l;
    size_t s[2] = {in, out};
    l.w = add_kernel(bd, prefix, 2, s, in, bias, out, &l.b);
    l.in = in;
    l.out = out;
    return l;
}

mdl_conv mdl_add_conv(mdl_builder *bd, const char *prefix, const nn_conv2d_dims *dims, int bias) {
    mdl_conv c;
    size_t s[4] = {dims->KH, dims->KW, dims->C, dims->OC};
    c.w = add_kernel(bd, prefix, 4, s, dims->C * dims->KH * dims->KW, bias, dims->OC, &c.b);
    c.dims = *dims;
    return c;
}

/* "<prefix>.<what>" [C] with the initialiser. */
static size_t add_vec(mdl_builder *bd, const char *prefix, const char *what, size_t C,
                      model_init_kind init) {
    char nm[40];
    snprintf(nm, sizeof nm, "%.32s.%s", prefix, what);
    return mdl_add1(bd, nm, C, init, 0);
}

/* FRN with TLU: 3C + 1 parameters, all sampled (docs/experiments.md, section 3). */
mdl_frn mdl_add_frn(mdl_builder *bd, const char *prefix, size_t C, size_t HW) {
    mdl_frn f;
    char nm[40];
    f.g = add_vec(bd, prefix, "gamma", C, MI_ONE);
    f.b = add_vec(bd, prefix, "beta", C, MI_ZERO);
    f.t = add_vec(bd, prefix, "tau", C, MI_ZERO);
    snprintf(nm, sizeof nm, "%.32s.eps", prefix);
    f.e = mdl_add_param(bd, nm, 0, NULL, MI_CONST, 0, 1e-6);
    f.C = C;
    f.HW = HW;
    return f;
}

mdl_ln mdl_add_ln(mdl_builder *bd, const char *prefix, size_t C, int bias) {
    mdl_ln l;
    l.g = add_vec(bd, prefix, "g", C, MI_ONE);
    l.b = bias ? add_vec(bd, prefix, "b", C, MI_ZERO) : SIZE_MAX;
    return l;
}

void mdl_add_tblock(mdl_builder *bd, mdl_tblock *t, size_t l, size_t C, size_t M, int bias) {
    char nm[40];
    snprintf(nm, sizeof nm, "blk%zu.ln1", l);
    t->ln1 = mdl_add_ln(bd, nm, C, bias);
    /* q | k | v fused into one [C][3C] kernel; fan_in = C for each */
    snprintf(nm, sizeof nm, "blk%zu.attn.qkv", l);
    t->qkv = mdl_add_dense(bd, nm, C, 3 * C, bias);
    /* output projection: fan_in = heads · head_dim = C */
    snprintf(nm, sizeof nm, "blk%zu.attn.proj", l);
    t->proj = mdl_add_dense(bd, nm, C, C, bias);
    snprintf(nm, sizeof nm, "blk%zu.ln2", l);
    t->ln2 = mdl_add_ln(bd, nm, C, bias);
    snprintf(nm, sizeof nm, "blk%zu.mlp.fc1", l);
    t->fc1 = mdl_add_dense(bd, nm, C, M, bias);
    snprintf(nm, sizeof nm, "blk%zu.mlp.fc2", l);
    t->fc2 = mdl_add_dense(bd, nm, M, C, bias);
}

double mdl_tblocks_flops(const mdl_tblock *t, const mdl_tshape *s, size_t n) {
    size_t T = s->T, C = s->C, N = n * T;
    /* q kᵀ and P v: 2·T_k·C multiply-adds per query row over all heads, with T_k = T keys
     * or, causal, the i+1 unmasked keys of query i: Σ_i (i+1) = T(T+1)/2 */
    double keys = s->causal ? 0.5 * (double)T * (T + 1) : (double)T * T, f = 0;
    for (size_t l = 0; l < s->depth; l++) {
        f += mdl_dense_flops(&t[l].qkv, N) + mdl_dense_flops(&t[l].proj, N) +
             mdl_dense_flops(&t[l].fc1, N) + mdl_dense_flops(&t[l].fc2, N);
        f += 2.0 * 2.0 * (double)n * keys * C;
    }
    return f;
}

void *mdl_state(mdl_builder *bd, size_t bytes, size_t count, size_t elem) {
    void *s = elem && count > (SIZE_MAX - bytes) / elem ? NULL : calloc(1, bytes + count * elem);
    if (!s) {
        bd->err = SMILE_ENOMEM;
        smile_set_msg(bd->msg, bd->msg_len, "model %s: out of memory", bd->m->arch->name);
    }
    bd->m->state = s;
    return s;
}

smile_status mdl_bad(mdl_builder *bd, const char *fmt, ...) {
    if (bd->msg && bd->msg_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(bd->msg, bd->msg_len, fmt, ap);
        va_end(ap);
    }
    return SMILE_EINVAL;
}

smile_status mdl_positive(mdl_builder *bd, size_t v, const char *what) {
    return v ? SMILE_OK : mdl_bad(bd, "model %s: %s must be >= 1", bd->m->arch->name, what);
}

smile_status mdl_need_lik(mdl_builder *bd, smile_likelihood_kind lik, const char *what) {
    if (bd->m->lik == lik) return SMILE_OK;
    return mdl_bad(bd, "model %s: only the %s likelihood is supported", bd->m->arch->name, what);
}

smile_status mdl_image_classifier(mdl_builder *bd) {
    smile_model *m = bd->m;
    const smile_model_desc *d = &m->desc;
    const char *k = m->arch->name;
    SMILE_TRY(mdl_need_lik(bd, SMILE_LIK_CATEGORICAL, "categorical"));
    if (d->in_h == 0 || d->in_w == 0 || d->in_c == 0)
        return mdl_bad(bd, "model %s: input size %zux%zux%zu has a zero dimension", k, d->in_h,
                       d->in_w, d->in_c);
    if (d->n_classes < 2) return mdl_bad(bd, "model %s: n_classes must be >= 2", k);
    m->in_size = d->in_h * d->in_w * d->in_c;
    m->n_out = m->out_size = d->n_classes;
    return SMILE_OK;
}

smile_status mdl_check_transformer(mdl_builder *bd) {
    const smile_model_desc *d = &bd->m->desc;
    const char *k = bd->m->arch->name;
    if (d->embed == 0 || d->depth == 0 || d->heads == 0 || d->mlp == 0)
        return mdl_bad(bd, "model %s: embed, depth, heads and mlp must be >= 1", k);
    if (d->embed % d->heads)
        return mdl_bad(bd, "model %s: heads (%zu) must divide embed (%zu)", k, d->heads, d->embed);
    if (!(d->ln_eps >= 0) || !isfinite(d->ln_eps))
        return mdl_bad(bd, "model %s: ln_eps must be finite and >= 0", k);
    return SMILE_OK;
}
