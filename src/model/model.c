/*
 * model.c — model descriptions, the flat parameter layout, initialisation (§0.5),
 * workspaces and the public entry points (float). The passes themselves are in
 * model_impl.inc (instantiated by model_float.c / model_double.c).
 *
 * Parameter counts (asserted by tests/test_model_fd.c):
 *   FCN homoscedastic (§2.3 SMILE)  d = 16p + 578        FCN heteroscedastic (MILE) 16p + 322
 *   LeNet (§3.2)                    61,706               ResNet-7 (§4.6)           428,272
 *   ResNet-18 (§4.5)                11,178,782           ViT (§5.3)                22,032,522
 *   GPT (§6.2)                      10,770,048
 */
#include "model/model_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[SMILE_MODEL_COUNT_] = {"fcn",      "lenet", "resnet7",
                                                           "resnet18", "vit",   "gpt"};

const char *smile_model_kind_name(smile_model_kind kind) {
    return (unsigned)kind < SMILE_MODEL_COUNT_ ? kind_names[kind] : "unknown";
}

smile_status smile_model_kind_from_name(const char *name, smile_model_kind *out) {
    for (int k = 0; name && k < SMILE_MODEL_COUNT_; k++)
        if (!strcmp(name, kind_names[k])) {
            *out = (smile_model_kind)k;
            return SMILE_OK;
        }
    return SMILE_EINVAL;
}

smile_model_desc smile_model_desc_default(smile_model_kind kind) {
    smile_model_desc d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.likelihood = SMILE_LIK_DEFAULT;
    d.prior_sigma = 1.0;
    d.ln_eps = 1e-6;
    d.n_classes = 10;
    switch (kind) {
    case SMILE_MODEL_FCN: /* §2.3 SMILE model on the 12-column bikesharing file (p = 11) */
        d.n_inputs = 11;
        d.n_hidden = 3;
        d.hidden[0] = d.hidden[1] = d.hidden[2] = 16;
        break;
    case SMILE_MODEL_LENET: /* §3.2 */
        d.in_h = d.in_w = 28;
        d.in_c = 1;
        d.lenet[0] = 6;
        d.lenet[1] = 16;
        d.lenet[2] = 120;
        d.lenet[3] = 84;
        break;
    case SMILE_MODEL_RESNET7: /* §4.6 */
        d.in_h = d.in_w = 32;
        d.in_c = 3;
        d.res_width = 32;
        break;
    case SMILE_MODEL_RESNET18: /* §4.5 */
        d.in_h = d.in_w = 32;
        d.in_c = 3;
        d.res_width = 64;
        break;
    case SMILE_MODEL_VIT: /* §5.3 */
        d.in_h = d.in_w = 160;
        d.in_c = 3;
        d.patch = 16;
        d.embed = 384;
        d.depth = 12;
        d.heads = 8;
        d.mlp = 1536;
        d.cls_hidden = 1024;
        break;
    case SMILE_MODEL_GPT: /* §6.2 */
        d.vocab = 65;
        d.context = 256;
        d.embed = 384;
        d.depth = 6;
        d.heads = 6;
        d.mlp = 1536;
        break;
    default: break;
    }
    return d;
}

/* ---- layout construction -------------------------------------------------------------- */

typedef struct {
    smile_model *m;
    char *msg;
    size_t msg_len;
    int err;
} builder;

/* Appends a tensor to the layout; returns its offset in θ. */
static size_t add_param(builder *bd, const char *name, int ndim, const size_t *shape,
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
    for (int i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        size *= shape[i];
    }
    p->offset = m->d;
    p->size = size;
    p->init = init;
    p->fan_in = fan_in;
    p->value = value;
    m->d += size;
    return p->offset;
}

static size_t add1(builder *bd, const char *name, size_t a, model_init_kind init, double v) {
    size_t s[1] = {a};
    return add_param(bd, name, 1, s, init, 0, v);
}

static mdl_dense add_dense(builder *bd, const char *prefix, size_t in, size_t out, int bias) {
    mdl_dense l;
    char nm[40];
    size_t s[2] = {in, out};
    snprintf(nm, sizeof nm, "%.32s.w", prefix);
    l.w = add_param(bd, nm, 2, s, MI_LECUN, in, 0);
    l.b = SIZE_MAX;
    if (bias) {
        snprintf(nm, sizeof nm, "%.32s.b", prefix);
        l.b = add1(bd, nm, out, MI_ZERO, 0);
    }
    l.in = in;
    l.out = out;
    return l;
}

/* Conv kernel [KH][KW][C][OC] (+ bias [OC]); fan_in = C·KH·KW (§0.5). */
static mdl_conv add_conv(builder *bd, const char *prefix, const nn_conv2d_dims *dims, int bias) {
    mdl_conv c;
    char nm[40];
    size_t s[4] = {dims->KH, dims->KW, dims->C, dims->OC};
    snprintf(nm, sizeof nm, "%.32s.w", prefix);
    c.w = add_param(bd, nm, 4, s, MI_LECUN, dims->C * dims->KH * dims->KW, 0);
    c.b = SIZE_MAX;
    if (bias) {
        snprintf(nm, sizeof nm, "%.32s.b", prefix);
        c.b = add1(bd, nm, dims->OC, MI_ZERO, 0);
    }
    c.dims = *dims;
    return c;
}

/* FRN (§4.4): γ = 1, β = 0, τ = 0 ([C] each), ε = 1e-6 (scalar): 3C + 1 parameters. */
static mdl_frn add_frn(builder *bd, const char *prefix, size_t C, size_t HW) {
    mdl_frn f;
    char nm[40];
    snprintf(nm, sizeof nm, "%.32s.gamma", prefix);
    f.g = add1(bd, nm, C, MI_ONE, 0);
    snprintf(nm, sizeof nm, "%.32s.beta", prefix);
    f.b = add1(bd, nm, C, MI_ZERO, 0);
    snprintf(nm, sizeof nm, "%.32s.tau", prefix);
    f.t = add1(bd, nm, C, MI_ZERO, 0);
    snprintf(nm, sizeof nm, "%.32s.eps", prefix);
    f.e = add_param(bd, nm, 0, NULL, MI_CONST, 0, 1e-6);
    f.C = C;
    f.HW = HW;
    return f;
}

static mdl_ln add_ln(builder *bd, const char *prefix, size_t C, int bias) {
    mdl_ln l;
    char nm[40];
    snprintf(nm, sizeof nm, "%.32s.g", prefix);
    l.g = add1(bd, nm, C, MI_ONE, 0);
    l.b = SIZE_MAX;
    if (bias) {
        snprintf(nm, sizeof nm, "%.32s.b", prefix);
        l.b = add1(bd, nm, C, MI_ZERO, 0);
    }
    return l;
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        smile_set_msg(msg, msg_len, __VA_ARGS__);                                                  \
        return SMILE_EINVAL;                                                                       \
    } while (0)

static smile_status build_fcn(builder *bd, char *msg, size_t msg_len) {
    smile_model *m = bd->m;
    const smile_model_desc *d = &m->desc;
    if (d->n_inputs == 0) BAD("model fcn: n_inputs must be >= 1");
    if (d->n_hidden > SMILE_MODEL_MAX_HIDDEN)
        BAD("model fcn: %zu hidden layers, at most %d", d->n_hidden, SMILE_MODEL_MAX_HIDDEN);
    for (size_t i = 0; i < d->n_hidden; i++)
        if (d->hidden[i] == 0) BAD("model fcn: hidden layer %zu has width 0", i + 1);
    size_t n_out;
    switch (m->lik) {
    case SMILE_LIK_GAUSS_HOMO: n_out = 1; break;
    case SMILE_LIK_GAUSS_HETERO: n_out = 2; break;
    case SMILE_LIK_CATEGORICAL:
        if (d->n_classes < 2) BAD("model fcn: categorical likelihood needs n_classes >= 2");
        n_out = d->n_classes;
        break;
    default: BAD("model fcn: likelihood must be gauss-homo, gauss-hetero or categorical");
    }
    m->fcn_layers = d->n_hidden + 1;
    size_t in = d->n_inputs;
    for (size_t l = 0; l < m->fcn_layers; l++) {
        size_t out = l < d->n_hidden ? d->hidden[l] : n_out;
        char nm[32];
        snprintf(nm, sizeof nm, "dense%zu", l + 1);
        m->fcn[l] = add_dense(bd, nm, in, out, 1);
        in = out;
    }
    /* Global log σ τ, sampled with the N(0,1) prior and set to 0 at start (§2.4). */
    if (m->lik == SMILE_LIK_GAUSS_HOMO) m->log_sigma = add_param(bd, "log_sigma", 0, NULL, MI_ZERO, 0, 0);
    m->in_size = d->n_inputs;
    m->n_out = n_out;
    m->out_size = n_out;
    return SMILE_OK;
}

static smile_status check_image(const smile_model_desc *d, char *msg, size_t msg_len) {
    if (d->in_h == 0 || d->in_w == 0 || d->in_c == 0)
        BAD("model %s: input size %zux%zux%zu has a zero dimension", kind_names[d->kind],
            d->in_h, d->in_w, d->in_c);
    if (d->n_classes < 2) BAD("model %s: n_classes must be >= 2", kind_names[d->kind]);
    return SMILE_OK;
}

static smile_status build_lenet(builder *bd, char *msg, size_t msg_len) {
    smile_model *m = bd->m;
    const smile_model_desc *d = &m->desc;
    SMILE_TRY(check_image(d, msg, msg_len));
    for (int i = 0; i < 4; i++)
        if (d->lenet[i] == 0) BAD("model lenet: width lenet[%d] is 0", i);
    nn_conv2d_dims c1, p1, c2, p2;
    /* conv 5×5, stride 1, zero padding 2 each side; avg-pool 2×2/2; conv 5×5 VALID;
     * avg-pool 2×2/2; flatten (h, w, c) (§3.2). */
    if (nn_conv2d_dims_init_pad(&c1, d->in_h, d->in_w, d->in_c, d->lenet[0], 5, 5, 1, 2, 2, 2,
                                2) ||
        nn_pool_dims_init(&p1, c1.OH, c1.OW, c1.OC, 2, 2, 2, NN_PAD_VALID) ||
        nn_conv2d_dims_init(&c2, p1.OH, p1.OW, p1.C, d->lenet[1], 5, 5, 1, NN_PAD_VALID) ||
        nn_pool_dims_init(&p2, c2.OH, c2.OW, c2.OC, 2, 2, 2, NN_PAD_VALID))
        BAD("model lenet: input %zux%zu too small for conv5-pool2-conv5-pool2 (needs >= 12x12)",
            d->in_h, d->in_w);
    m->le_c1 = add_conv(bd, "conv1", &c1, 1);
    m->le_c2 = add_conv(bd, "conv2", &c2, 1);
    m->le_p1 = p1;
    m->le_p2 = p2;
    size_t flat = p2.OH * p2.OW * p2.C;
    m->le_d[0] = add_dense(bd, "dense1", flat, d->lenet[2], 1);
    m->le_d[1] = add_dense(bd, "dense2", d->lenet[2], d->lenet[3], 1);
    m->le_d[2] = add_dense(bd, "dense3", d->lenet[3], d->n_classes, 1);
    m->in_size = d->in_h * d->in_w * d->in_c;
    m->n_out = m->out_size = d->n_classes;
    return SMILE_OK;
}

static smile_status build_resnet7(builder *bd, char *msg, size_t msg_len) {
    smile_model *m = bd->m;
    const smile_model_desc *d = &m->desc;
    SMILE_TRY(check_image(d, msg, msg_len));
    if (d->res_width == 0) BAD("model resnet7: res_width must be >= 1");
    size_t w = d->res_width;
    /* channels w, 2w, 2w, 4w, 4w, 4w; max-pool 2×2/2 after convs 2, 4, 5 (§4.6) */
    const size_t mult[MDL_R7_CONVS] = {1, 2, 2, 4, 4, 4};
    const int pool_after[MDL_R7_CONVS] = {-1, 0, -1, 1, 2, -1};
    size_t H = d->in_h, W = d->in_w, C = d->in_c;
    for (int i = 0; i < MDL_R7_CONVS; i++) {
        nn_conv2d_dims cd;
        char nm[16];
        if (nn_conv2d_dims_init(&cd, H, W, C, mult[i] * w, 3, 3, 1, NN_PAD_SAME))
            BAD("model resnet7: bad geometry at conv %d", i + 1);
        snprintf(nm, sizeof nm, "conv%d", i + 1);
        m->r7_c[i] = add_conv(bd, nm, &cd, 1);
        snprintf(nm, sizeof nm, "frn%d", i + 1);
        m->r7_f[i] = add_frn(bd, nm, cd.OC, cd.OH * cd.OW);
        H = cd.OH;
        W = cd.OW;
        C = cd.OC;
        if (pool_after[i] >= 0) {
            nn_conv2d_dims *p = &m->r7_pool[pool_after[i]];
            if (H < 2 || W < 2 || nn_pool_dims_init(p, H, W, C, 2, 2, 2, NN_PAD_VALID))
                BAD("model resnet7: input %zux%zu too small for three 2x2 max-pools (needs >= 8x8)",
                    d->in_h, d->in_w);
            H = p->OH;
            W = p->OW;
        }
    }
    m->r7_head = add_dense(bd, "dense", C, d->n_classes, 1);
    m->in_size = d->in_h * d->in_w * d->in_c;
    m->n_out = m->out_size = d->n_classes;
    return SMILE_OK;
}

static smile_status build_resnet18(builder *bd, char *msg, size_t msg_len) {
    smile_model *m = bd->m;
    const smile_model_desc *d = &m->desc;
    SMILE_TRY(check_image(d, msg, msg_len));
    if (d->res_width == 0) BAD("model resnet18: res_width must be >= 1");
    size_t w = d->res_width;
    nn_conv2d_dims cd;
    /* stem: conv 3×3/1 SAME (no bias) → FRN → max-pool 3×3/2 SAME (§4.5) */
    if (nn_conv2d_dims_init(&cd, d->in_h, d->in_w, d->in_c, w, 3, 3, 1, NN_PAD_SAME) ||
        nn_pool_dims_init(&m->r18_pool, cd.OH, cd.OW, w, 3, 3, 2, NN_PAD_SAME))
        BAD("model resnet18: bad stem geometry");
    m->r18_stem = add_conv(bd, "stem.conv", &cd, 0);
    m->r18_stem_frn = add_frn(bd, "stem.frn", w, cd.OH * cd.OW);
    size_t H = m->r18_pool.OH, W = m->r18_pool.OW, C = w;
    for (int s = 0; s < 4; s++) {
        size_t F = w << s;
        for (int j = 0; j < 2; j++) {
            mdl_block18 *b = &m->r18_b[2 * s + j];
            size_t st = (s > 0 && j == 0) ? 2 : 1;
            char nm[32];
            nn_conv2d_dims c1, c2, sc;
            if (nn_conv2d_dims_init(&c1, H, W, C, F, 3, 3, st, NN_PAD_SAME) ||
                nn_conv2d_dims_init(&c2, c1.OH, c1.OW, F, F, 3, 3, 1, NN_PAD_SAME))
                BAD("model resnet18: bad geometry in stage %d block %d", s + 1, j);
            snprintf(nm, sizeof nm, "s%d.b%d.conv1", s + 1, j);
            b->c1 = add_conv(bd, nm, &c1, 0);
            snprintf(nm, sizeof nm, "s%d.b%d.frn1", s + 1, j);
            b->f1 = add_frn(bd, nm, F, c1.OH * c1.OW);
            snprintf(nm, sizeof nm, "s%d.b%d.conv2", s + 1, j);
            b->c2 = add_conv(bd, nm, &c2, 0);
            snprintf(nm, sizeof nm, "s%d.b%d.frn2", s + 1, j);
            b->f2 = add_frn(bd, nm, F, c2.OH * c2.OW);
            /* Projection shortcut FRN(conv1×1/s) when the stride is not 1 (§4.5); the
             * architecture keeps C == F whenever s == 1. */
            b->has_sc = st != 1 || C != F;
            if (b->has_sc) {
                if (nn_conv2d_dims_init(&sc, H, W, C, F, 1, 1, st, NN_PAD_SAME) ||
                    sc.OH != c1.OH || sc.OW != c1.OW)
                    BAD("model resnet18: bad shortcut geometry in stage %d", s + 1);
                snprintf(nm, sizeof nm, "s%d.b%d.sc.conv", s + 1, j);
                b->sc = add_conv(bd, nm, &sc, 0);
                snprintf(nm, sizeof nm, "s%d.b%d.sc.frn", s + 1, j);
                b->fsc = add_frn(bd, nm, F, sc.OH * sc.OW);
            }
            H = c2.OH;
            W = c2.OW;
            C = F;
        }
    }
    m->r18_head = add_dense(bd, "dense", C, d->n_classes, 1);
    m->in_size = d->in_h * d->in_w * d->in_c;
    m->n_out = m->out_size = d->n_classes;
    return SMILE_OK;
}

/* Transformer block parameters; bias = 1 for the ViT (§5.3), 0 for the GPT (§6.2). */
static void add_tblock(builder *bd, mdl_tblock *t, size_t l, size_t C, size_t M, int bias) {
    char nm[40];
    snprintf(nm, sizeof nm, "blk%zu.ln1", l);
    t->ln1 = add_ln(bd, nm, C, bias);
    /* q | k | v fused into one [C][3C] kernel; fan_in = C for each (§0.5) */
    snprintf(nm, sizeof nm, "blk%zu.attn.qkv", l);
    t->qkv = add_dense(bd, nm, C, 3 * C, bias);
    /* output projection: fan_in = heads · head_dim = C */
    snprintf(nm, sizeof nm, "blk%zu.attn.proj", l);
    t->proj = add_dense(bd, nm, C, C, bias);
    snprintf(nm, sizeof nm, "blk%zu.ln2", l);
    t->ln2 = add_ln(bd, nm, C, bias);
    snprintf(nm, sizeof nm, "blk%zu.mlp.fc1", l);
    t->fc1 = add_dense(bd, nm, C, M, bias);
    snprintf(nm, sizeof nm, "blk%zu.mlp.fc2", l);
    t->fc2 = add_dense(bd, nm, M, C, bias);
}

static smile_status check_transformer(const smile_model_desc *d, char *msg, size_t msg_len) {
    const char *k = kind_names[d->kind];
    if (d->embed == 0 || d->depth == 0 || d->heads == 0 || d->mlp == 0)
        BAD("model %s: embed, depth, heads and mlp must be >= 1", k);
    if (d->embed % d->heads) BAD("model %s: heads (%zu) must divide embed (%zu)", k, d->heads, d->embed);
    if (!(d->ln_eps >= 0) || !isfinite(d->ln_eps)) BAD("model %s: ln_eps must be finite and >= 0", k);
    return SMILE_OK;
}

static smile_status build_vit(builder *bd, char *msg, size_t msg_len) {
    smile_model *m = bd->m;
    const smile_model_desc *d = &m->desc;
    SMILE_TRY(check_image(d, msg, msg_len));
    SMILE_TRY(check_transformer(d, msg, msg_len));
    if (d->patch == 0 || d->cls_hidden == 0) BAD("model vit: patch and cls_hidden must be >= 1");
    if (d->in_h % d->patch || d->in_w % d->patch)
        BAD("model vit: patch %zu must divide the input %zux%zu", d->patch, d->in_h, d->in_w);
    size_t C = d->embed;
    nn_conv2d_dims pd;
    if (nn_conv2d_dims_init(&pd, d->in_h, d->in_w, d->in_c, C, d->patch, d->patch, d->patch,
                            NN_PAD_VALID))
        BAD("model vit: bad patch geometry");
    m->vit_patch = add_conv(bd, "patch", &pd, 1);
    m->tokens = pd.OH * pd.OW + 1;
    m->vit_cls = add1(bd, "cls", C, MI_NORMAL, 1.0); /* N(0, 1) (§0.5) */
    size_t ps[2] = {m->tokens, C};
    m->vit_pos = add_param(bd, "pos", 2, ps, MI_NORMAL, 0, 1.0);
    m->tb = calloc(d->depth, sizeof *m->tb);
    if (!m->tb) {
        smile_set_msg(msg, msg_len, "model vit: out of memory");
        return SMILE_ENOMEM;
    }
    for (size_t l = 0; l < d->depth; l++) add_tblock(bd, &m->tb[l], l, C, d->mlp, 1);
    m->vit_h1 = add_dense(bd, "head.fc1", C, d->cls_hidden, 1);
    m->vit_h2 = add_dense(bd, "head.fc2", d->cls_hidden, d->n_classes, 1);
    m->in_size = d->in_h * d->in_w * d->in_c;
    m->n_out = m->out_size = d->n_classes;
    return SMILE_OK;
}

static smile_status build_gpt(builder *bd, char *msg, size_t msg_len) {
    smile_model *m = bd->m;
    const smile_model_desc *d = &m->desc;
    SMILE_TRY(check_transformer(d, msg, msg_len));
    if (d->vocab == 0 || d->context == 0) BAD("model gpt: vocab and context must be >= 1");
    if (d->vocab > INT32_MAX) BAD("model gpt: vocab too large");
    size_t C = d->embed, V = d->vocab, T = d->context;
    size_t s[2] = {V, C};
    m->gpt_wte = add_param(bd, "wte", 2, s, MI_NORMAL, 0, sqrt(1.0 / (double)C));
    s[0] = T;
    m->gpt_wpe = add_param(bd, "wpe", 2, s, MI_NORMAL, 0, sqrt(1.0 / (double)C));
    m->tb = calloc(d->depth, sizeof *m->tb);
    if (!m->tb) {
        smile_set_msg(msg, msg_len, "model gpt: out of memory");
        return SMILE_ENOMEM;
    }
    for (size_t l = 0; l < d->depth; l++) add_tblock(bd, &m->tb[l], l, C, d->mlp, 0);
    m->gpt_lnf = add_ln(bd, "ln_f", C, 0);
    m->gpt_lm = add_dense(bd, "lm_head", C, V, 0);
    m->tokens = T;
    m->in_size = 0;
    m->n_out = V;
    m->out_size = T * V;
    return SMILE_OK;
}

smile_status smile_model_init(smile_model **out, const smile_model_desc *desc, char *msg,
                              size_t msg_len) {
    SMILE_CHECK(!out || !desc, SMILE_EINVAL, msg, msg_len, "model: NULL argument");
    *out = NULL;
    SMILE_CHECK((unsigned)desc->kind >= SMILE_MODEL_COUNT_, SMILE_EINVAL, msg, msg_len,
                "model: unknown model kind %d", (int)desc->kind);
    SMILE_CHECK(!(desc->prior_sigma > 0) || !isfinite(desc->prior_sigma), SMILE_EINVAL, msg,
                msg_len, "model: prior_sigma must be finite and > 0");
    smile_model *m = calloc(1, sizeof *m);
    SMILE_CHECK(!m, SMILE_ENOMEM, msg, msg_len, "model: out of memory");
    m->desc = *desc;
    m->log_sigma = SIZE_MAX;
    smile_likelihood_kind lik = desc->likelihood;
    if (lik == SMILE_LIK_DEFAULT)
        lik = desc->kind == SMILE_MODEL_FCN   ? SMILE_LIK_GAUSS_HOMO
              : desc->kind == SMILE_MODEL_GPT ? SMILE_LIK_TOKEN
                                              : SMILE_LIK_CATEGORICAL;
    m->lik = lik;
    smile_status st = SMILE_OK;
    if ((unsigned)lik > SMILE_LIK_TOKEN) {
        smile_set_msg(msg, msg_len, "model: unknown likelihood %d", (int)lik);
        st = SMILE_EINVAL;
    } else if (desc->kind != SMILE_MODEL_FCN && desc->kind != SMILE_MODEL_GPT &&
               lik != SMILE_LIK_CATEGORICAL) {
        smile_set_msg(msg, msg_len, "model %s: only the categorical likelihood is supported",
                      kind_names[desc->kind]);
        st = SMILE_EINVAL;
    } else if (desc->kind == SMILE_MODEL_GPT && lik != SMILE_LIK_TOKEN) {
        smile_set_msg(msg, msg_len, "model gpt: only the per-token categorical likelihood is supported");
        st = SMILE_EINVAL;
    }
    builder bd = {m, msg, msg_len, 0};
    if (st == SMILE_OK) {
        switch (desc->kind) {
        case SMILE_MODEL_FCN: st = build_fcn(&bd, msg, msg_len); break;
        case SMILE_MODEL_LENET: st = build_lenet(&bd, msg, msg_len); break;
        case SMILE_MODEL_RESNET7: st = build_resnet7(&bd, msg, msg_len); break;
        case SMILE_MODEL_RESNET18: st = build_resnet18(&bd, msg, msg_len); break;
        case SMILE_MODEL_VIT: st = build_vit(&bd, msg, msg_len); break;
        case SMILE_MODEL_GPT: st = build_gpt(&bd, msg, msg_len); break;
        default: st = SMILE_EINVAL; break;
        }
    }
    if (st == SMILE_OK && bd.err) st = bd.err;
    if (st == SMILE_OK && m->d < 2) {
        smile_set_msg(msg, msg_len, "model: %zu parameters (samplers need d >= 2)", m->d);
        st = SMILE_EINVAL;
    }
    if (st != SMILE_OK) {
        smile_model_free(m);
        return st;
    }
    *out = m;
    return SMILE_OK;
}

void smile_model_free(smile_model *m) {
    if (!m) return;
    free(m->params);
    free(m->tb);
    free(m);
}

size_t smile_model_param_count(const smile_model *m) { return m ? m->d : 0; }
const smile_model_desc *smile_model_get_desc(const smile_model *m) { return &m->desc; }
smile_likelihood_kind smile_model_likelihood(const smile_model *m) { return m->lik; }
size_t smile_model_input_size(const smile_model *m) { return m->in_size; }
size_t smile_model_output_size(const smile_model *m) { return m->out_size; }
size_t smile_model_layout_count(const smile_model *m) { return m->n_params; }

static void fill_entry(const model_param *p, smile_param_entry *e) {
    e->name = p->name;
    e->offset = p->offset;
    e->size = p->size;
    e->ndim = p->ndim;
    for (int i = 0; i < SMILE_PARAM_MAX_DIMS; i++) e->shape[i] = i < p->ndim ? p->shape[i] : 0;
}

smile_status smile_model_layout_get(const smile_model *m, size_t i, smile_param_entry *e) {
    if (!m || !e || i >= m->n_params) return SMILE_EINVAL;
    fill_entry(&m->params[i], e);
    return SMILE_OK;
}

smile_status smile_model_layout_find(const smile_model *m, const char *name,
                                     smile_param_entry *e) {
    if (!m || !e || !name) return SMILE_EINVAL;
    for (size_t i = 0; i < m->n_params; i++)
        if (!strcmp(m->params[i].name, name)) {
            fill_entry(&m->params[i], e);
            return SMILE_OK;
        }
    return SMILE_EINVAL;
}

void smile_model_init_params(const smile_model *m, float *theta, uint64_t seed, int chain) {
    smile_rng rng;
    smile_rng_init(&rng, seed, (uint64_t)chain, SMILE_RNG_INIT);
    /* Tensors are drawn in layout order from one stream, so the draw of a tensor does
     * not depend on threads; only LeCun/normal tensors consume random numbers. */
    for (size_t i = 0; i < m->n_params; i++) {
        const model_param *p = &m->params[i];
        float *w = theta + p->offset;
        switch (p->init) {
        case MI_ZERO: memset(w, 0, p->size * sizeof *w); break;
        case MI_ONE:
            for (size_t j = 0; j < p->size; j++) w[j] = 1.0f;
            break;
        case MI_CONST:
            for (size_t j = 0; j < p->size; j++) w[j] = (float)p->value;
            break;
        case MI_LECUN: nn_init_lecun_normal(w, p->size, p->fan_in, &rng); break;
        case MI_NORMAL: nn_init_normal(w, p->size, p->value, &rng); break;
        }
    }
}

void smile_model_set_threads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    /* OpenBLAS stays single-threaded: the nn kernels split large products across the
     * OpenMP threads themselves (one thread pool, results independent of n), and inside
     * a parallel region of chains they run single-threaded (nested parallelism off). */
    nn_blas_serial();
    omp_set_num_threads(n);
}

/* ---- workspaces ----------------------------------------------------------------------- */

/* Example-parallel pieces (struct smile_model_workspace): for LeNet and ResNet-7, whose
 * per-layer work is too small to thread layer by layer without many fork/joins, when the
 * batch gives each piece at least 4 examples and the nsub gradient partials (nsub·d
 * reals) stay below 64 MiB. Fixed nsub: results never depend on the thread count. */
static size_t ws_pieces(const smile_model *m, size_t B, size_t elem) {
    int kind_ok = m->desc.kind == SMILE_MODEL_LENET || m->desc.kind == SMILE_MODEL_RESNET7;
    size_t S = SMILE_WS_MAX_SUB;
    if (!kind_ok || B < 4 * S || S * m->d * elem > ((size_t)64 << 20)) return 1;
    return S;
}

static smile_status ws_init_one(smile_model_workspace **out, const smile_model *m, size_t B,
                                size_t elem, int piece, char *msg, size_t msg_len);

static smile_status ws_init(smile_model_workspace **out, const smile_model *m, size_t B,
                            size_t elem, char *msg, size_t msg_len) {
    SMILE_CHECK(!out || !m, SMILE_EINVAL, msg, msg_len, "model workspace: NULL argument");
    *out = NULL;
    SMILE_CHECK(B == 0, SMILE_EINVAL, msg, msg_len, "model workspace: batch size must be >= 1");
    size_t S = ws_pieces(m, B, elem);
    if (S <= 1) return ws_init_one(out, m, B, elem, 0, msg, msg_len);
    /* the pieces own all activations; the outer workspace holds only the partials */
    smile_model_workspace *ws = calloc(1, sizeof *ws);
    SMILE_CHECK(!ws, SMILE_ENOMEM, msg, msg_len, "model workspace: out of memory");
    *out = ws;
    ws->m = m;
    ws->B = B;
    ws->elem = elem;
    ws->NT = (size_t)omp_get_max_threads();
    ws->part = smile_calloc(S * m->d, elem);
    smile_status st = ws->part ? SMILE_OK : SMILE_ENOMEM;
    if (!ws->part) smile_set_msg(msg, msg_len, "model workspace: out of memory");
    for (size_t k = 0; k < S && st == SMILE_OK; k++)
        st = ws_init_one(&ws->sub[k], m, (B + S - 1) / S, elem, 1, msg, msg_len);
    ws->nsub = S;
    if (st != SMILE_OK) {
        smile_model_workspace_free(ws);
        *out = NULL;
        return st;
    }
    for (size_t k = 0; k < S; k++) ws->bytes += ws->sub[k]->bytes;
    ws->bytes += S * m->d * elem;
    return SMILE_OK;
}

static smile_status ws_init_one(smile_model_workspace **out, const smile_model *m, size_t B,
                                size_t elem, int piece, char *msg, size_t msg_len) {
    SMILE_CHECK(!out || !m, SMILE_EINVAL, msg, msg_len, "model workspace: NULL argument");
    *out = NULL;
    SMILE_CHECK(B == 0, SMILE_EINVAL, msg, msg_len, "model workspace: batch size must be >= 1");
    smile_model_workspace *ws = calloc(1, sizeof *ws);
    SMILE_CHECK(!ws, SMILE_ENOMEM, msg, msg_len, "model workspace: out of memory");
    ws->m = m;
    ws->B = B;
    ws->elem = elem;
    ws->piece = piece;
    /* a piece runs single-threaded inside the example-parallel region */
    ws->NT = piece ? 1 : (size_t)omp_get_max_threads();
    if (m->tb) {
        ws->tb = calloc(m->desc.depth, sizeof *ws->tb);
        if (!ws->tb) {
            free(ws);
            SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "model workspace: out of memory");
        }
    }
    size_t n_reals = 0, scratch = 0;
    smile_status st = elem == sizeof(float) ? smile_model_ws_plan_f(ws, &n_reals, &scratch)
                                            : smile_model_ws_plan_d(ws, &n_reals, &scratch);
    if (st != SMILE_OK) {
        smile_model_workspace_free(ws);
        SMILE_CHECK(1, st, msg, msg_len, "model workspace: batch %zu too large", B);
    }
    /* One block: reals | int32 tokens [B·T] | int32 labels [B·T] | double ll [B·T] |
     * scratch; every part 64-byte aligned. */
    size_t T = m->desc.kind == SMILE_MODEL_GPT ? m->tokens : 1;
    size_t r_bytes = (n_reals * elem + 63) & ~(size_t)63;
    size_t i_bytes = (B * T * sizeof(int32_t) + 63) & ~(size_t)63;
    size_t l_bytes = (B * T * sizeof(double) + 63) & ~(size_t)63;
    size_t s_bytes = (scratch + 63) & ~(size_t)63;
    ws->bytes = r_bytes + 2 * i_bytes + l_bytes + s_bytes;
    ws->mem = smile_calloc(ws->bytes, 1);
    if (!ws->mem) {
        size_t mb = ws->bytes >> 20;
        smile_model_workspace_free(ws);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len,
                    "model workspace: cannot allocate %zu MiB for batch %zu", mb, B);
    }
    ws->tok = (int32_t *)(ws->mem + r_bytes);
    ws->lab = (int32_t *)(ws->mem + r_bytes + i_bytes);
    ws->ll = (double *)(ws->mem + r_bytes + 2 * i_bytes);
    ws->scratch = ws->mem + r_bytes + 2 * i_bytes + l_bytes;
    ws->scratch_bytes = scratch;
    *out = ws;
    return SMILE_OK;
}

smile_status smile_model_workspace_init(smile_model_workspace **ws, const smile_model *m,
                                        size_t max_batch, char *msg, size_t msg_len) {
    return ws_init(ws, m, max_batch, sizeof(float), msg, msg_len);
}

smile_status smile_model_workspace_init_d(smile_model_workspace **ws, const smile_model *m,
                                          size_t max_batch, char *msg, size_t msg_len) {
    return ws_init(ws, m, max_batch, sizeof(double), msg, msg_len);
}

void smile_model_workspace_free(smile_model_workspace *ws) {
    if (!ws) return;
    for (size_t k = 0; k < SMILE_WS_MAX_SUB; k++) smile_model_workspace_free(ws->sub[k]);
    smile_free(ws->part);
    smile_free(ws->mem);
    free(ws->tb);
    free(ws);
}

size_t smile_model_workspace_bytes(const smile_model_workspace *ws) { return ws ? ws->bytes : 0; }
size_t smile_model_workspace_batch(const smile_model_workspace *ws) { return ws ? ws->B : 0; }

/* ---- data checks ---------------------------------------------------------------------- */

/* ---- FLOP count (docs/flops.md) --------------------------------------------------------- */

/* Multiply-adds of the matrix products only, 2 FLOPs each. A product with FLOP count f
 * costs f forward, f for the weight gradient and f for the input gradient (the first
 * layer has no input gradient). Elementwise work, norms, pools and softmax are not
 * counted. */
static double conv_fl(const mdl_conv *c, size_t n) {
    const nn_conv2d_dims *d = &c->dims;
    return 2.0 * (double)n * d->OH * d->OW * d->KH * d->KW * d->C * d->OC;
}
static double dense_fl(const mdl_dense *l, size_t rows) {
    return 2.0 * (double)rows * l->in * l->out;
}

double smile_model_flops(const smile_model *m, size_t n) {
    double f = 0, first = 0; /* forward FLOPs; FLOPs of the first product */
    switch (m->desc.kind) {
    case SMILE_MODEL_FCN:
        for (size_t l = 0; l < m->fcn_layers; l++) f += dense_fl(&m->fcn[l], n);
        first = dense_fl(&m->fcn[0], n);
        break;
    case SMILE_MODEL_LENET:
        first = conv_fl(&m->le_c1, n);
        f = first + conv_fl(&m->le_c2, n);
        for (int i = 0; i < 3; i++) f += dense_fl(&m->le_d[i], n);
        break;
    case SMILE_MODEL_RESNET7:
        for (int i = 0; i < MDL_R7_CONVS; i++) f += conv_fl(&m->r7_c[i], n);
        first = conv_fl(&m->r7_c[0], n);
        f += dense_fl(&m->r7_head, n);
        break;
    case SMILE_MODEL_RESNET18:
        first = conv_fl(&m->r18_stem, n);
        f = first + dense_fl(&m->r18_head, n);
        for (int k = 0; k < MDL_R18_BLOCKS; k++) {
            f += conv_fl(&m->r18_b[k].c1, n) + conv_fl(&m->r18_b[k].c2, n);
            if (m->r18_b[k].has_sc) f += conv_fl(&m->r18_b[k].sc, n);
        }
        break;
    case SMILE_MODEL_VIT:
    case SMILE_MODEL_GPT: {
        size_t T = m->tokens, C = m->desc.embed, N = n * T;
        int causal = m->desc.kind == SMILE_MODEL_GPT;
        /* attention: q kᵀ and P v, 2·T_k·C multiply-adds per query row over all heads, with
         * T_k = T keys (ViT) or the i+1 unmasked keys of query i (GPT): Σ_i (i+1) = T(T+1)/2 */
        double keys = causal ? 0.5 * (double)T * (T + 1) : (double)T * T;
        for (size_t l = 0; l < m->desc.depth; l++) {
            const mdl_tblock *t = &m->tb[l];
            f += dense_fl(&t->qkv, N) + dense_fl(&t->proj, N) + dense_fl(&t->fc1, N) +
                 dense_fl(&t->fc2, N);
            f += 2.0 * 2.0 * (double)n * keys * C;
        }
        if (causal) {
            f += dense_fl(&m->gpt_lm, N);
        } else {
            first = conv_fl(&m->vit_patch, n);
            f += first + dense_fl(&m->vit_h1, n) + dense_fl(&m->vit_h2, n);
        }
        break;
    }
    default: break;
    }
    return 3.0 * f - first;
}
