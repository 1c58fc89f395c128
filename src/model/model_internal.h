/*
 * model_internal.h — private definitions of src/model: the model and workspace structs,
 * the table of functions each architecture provides, and the helpers the architectures
 * share. Only src/model files and tests include it.
 *
 * ORGANISATION
 *   model.c        descriptions, kind names, model init/free, layout access,
 *                  initialisation, FLOP count: all by way of the architecture table
 *   layout.c       building the parameter layout (mdl_add_dense, mdl_add_conv, ...)
 *   workspace.c    workspace allocation (sizing pass, one block, example-parallel pieces)
 *   check.c        data checks
 *   arch_<name>.c  one architecture: description defaults, layout, workspace plan,
 *                  forward, backward, FLOPs (fcn, lenet, resnet7, resnet18, vit, gpt)
 *   pass_eval.c    the evaluation driver shared by all architectures (gather, likelihood
 *                  stage, chunks, example-parallel pieces) and the entry points
 *   pass_layers.c  pass pieces several architectures share (convolution choice, FRN,
 *                  the transformer block)
 *   fcn_fast.c, conv_direct.c   float-only specialised kernels
 *
 * PRECISIONS. The passes (arch_*.c, pass_*.c) are written once over a real type R (see
 * pass_real_internal.h) and compiled twice: as float into build/libsmile.a (the library)
 * and with -DSMILE_MODEL_DOUBLE as double into the test-only build/libsmile_fd.a
 * (finite-difference tests, model_fd_internal.h). Names of precision-specific symbols end
 * in _f / _d. Everything precision-independent (layout, FLOPs, defaults) is compiled in
 * the float build only.
 *
 * THE ARCHITECTURE TABLE. Each architecture provides, in its file:
 *   mdl_arch (precision-independent, MDL_ARCH):  name, default likelihood, default sizes,
 *     build     check the description, append the layout, fill its state (foo_state)
 *     flops     FLOPs of the forward products
 *     example_parallel  whether batches run in example-parallel pieces
 *   passes (per precision, MDL_PASSES_OF):
 *     plan      reserve its workspace buffers (offsets in foo_ws) for a batch size
 *     forward   outputs of a gathered batch
 *     backward  accumulate s·∇θ from d(outputs)
 *     loglik_grad  optional fused whole evaluation (the FCN's float kernels)
 * and the driver (pass_eval.c) does the rest: chunks, gathering, likelihoods, pieces.
 *
 * ADDING AN ARCHITECTURE "foo"
 *   1. a kind SMILE_MODEL_FOO before SMILE_MODEL_COUNT_ in include/smile_nn.h (and its
 *      hyperparameters in smile_model_desc if the existing fields do not cover them);
 *   2. src/model/arch_foo.c with types foo_state and foo_ws; inside #ifndef
 *      SMILE_MODEL_DOUBLE foo_build, foo_flops and MDL_ARCH(foo, ...); outside it
 *      F(foo_plan), F(foo_forward), F(foo_backward) and MDL_PASSES_OF(foo, NULL) — see
 *      arch_lenet.c for a compact example;
 *   3. one line X(SMILE_MODEL_FOO, foo) in MDL_ARCHS below.
 * Nothing else switches over kinds; the Makefile picks up src/model/arch_*.c for both
 * precisions, and test_model_fd.c / test_model_api.c want a small instance of it.
 *
 * ADDING A BACKEND (e.g. CUDA). A workspace is bound at creation to one passes table
 * (ws->passes: plan, forward, backward, optional fused loglik_grad) and owns all memory
 * those passes touch, so a backend is a third set of tables next to _f and _d:
 * mdl_<name>_passes_cuda built from device kernels with the same signatures (θ and grad
 * then live in device memory, ws->mem is a device block), a workspace constructor that
 * selects them, and the same driver (pass_eval.c) with device copies in gather and the
 * likelihood stage. Layouts, descriptions and FLOP counts are shared unchanged.
 *
 * MEMORY PLAN (llm.c style): the workspace constructor runs the architecture's plan, a
 * sizing pass that reserves every activation and gradient buffer of one batch size as an
 * element offset into one block; evaluations allocate nothing. Backward passes keep only
 * a few gradient buffers alive ("slots" ws->g[], reused layer after layer) instead of one
 * per activation, so the workspace is about the activations plus 3 largest layers.
 */
#ifndef SMILE_MODEL_INTERNAL_H
#define SMILE_MODEL_INTERNAL_H

#include "model/likelihood.h"
#include "model/model.h"
#include "nn/nn.h"

/* ---- parameter layout ----------------------------------------------------------------- */

typedef enum {
    MI_ZERO = 0,   /* biases, β, τ, log σ                                   */
    MI_ONE = 1,    /* LayerNorm scale, FRN γ                                */
    MI_LECUN = 2,  /* LeCun normal with fan_in (docs/method.md, section 9.5) */
    MI_NORMAL = 3, /* N(0, sd²): embeddings, class token, position embedding */
    MI_CONST = 4   /* FRN ε = 1e-6                                          */
} model_init_kind;

typedef struct {
    char name[40];
    size_t offset, size;
    int ndim;
    size_t shape[SMILE_PARAM_MAX_DIMS];
    model_init_kind init;
    size_t fan_in;
    double value; /* sd (MI_NORMAL) or constant (MI_CONST) */
} model_param;

/* Offsets into θ of the pieces of one layer (SIZE_MAX = absent, e.g. no bias). */
typedef struct {
    size_t w, b;
    size_t in, out;
} mdl_dense;
typedef struct {
    size_t w, b;
    nn_conv2d_dims dims; /* BC chosen per workspace (mdl_conv_setup) */
} mdl_conv;
typedef struct {
    size_t g, b, t, e; /* γ[C], β[C], τ[C], ε (scalar) */
    size_t C, HW;
} mdl_frn;
typedef struct {
    size_t g, b; /* b = SIZE_MAX: scale-only LayerNorm (GPT) */
} mdl_ln;
/* Transformer block: LayerNorms, fused q|k|v projection, output projection, MLP. */
typedef struct {
    mdl_ln ln1, ln2;
    mdl_dense qkv, proj, fc1, fc2;
} mdl_tblock;

/* Shape of the transformer blocks of a model. ref: the GPT block of the reference code
 * (residual from the LayerNorm outputs); 0: pre-LN x + f(LN(x)). */
typedef struct {
    size_t T, C, M, NH, depth;
    double eps;
    int causal, ref;
} mdl_tshape;

/* Workspace offsets of one transformer block's activations. */
typedef struct {
    size_t ln1, mean1, rstd1, qkv, att, lse, h, ln2, mean2, rstd2, fc1, ge, xo;
} mdl_tblock_ws;

/* ---- the model ------------------------------------------------------------------------ */

typedef struct mdl_arch mdl_arch;

struct smile_model {
    smile_model_desc desc;
    const mdl_arch *arch;  /* the architecture's function table                  */
    void *state;           /* architecture-specific layout offsets and geometry:
                              one allocation (mdl_state), freed with the model   */
    smile_likelihood_kind lik;
    size_t d;
    model_param *params;
    size_t n_params, cap_params;
    size_t in_size;   /* floats per example (0 for token input)                   */
    size_t out_size;  /* outputs per example                                      */
    size_t n_out;     /* outputs per position (classes, vocabulary)               */
    size_t window;    /* > 0: examples are windows of this many tokens of
                         data->tokens, every position predicts the next (GPT);
                         0: float inputs data->x                                  */
    size_t log_sigma; /* offset of τ (homoscedastic Gaussian), SIZE_MAX otherwise */
    double student_nu; /* heteroscedastic Student-t noise: ν (0: Gaussian)         */
    double student_c;  /* its log normaliser c_ν (smile_student_log_norm)          */
};

/* ---- workspace ------------------------------------------------------------------------ */

/* Example-parallel evaluation: pieces of a batch per sub-workspace (workspace.c). */
#define SMILE_WS_MAX_SUB 8

struct smile_model_workspace {
    const smile_model *m;
    const void *passes; /* mdl_passes_f or _d of m's architecture (by elem) */
    void *aws;          /* architecture-specific offsets (the plan allocates
                           it as one block, freed with the workspace)        */
    /* nsub > 1: the batch is cut into nsub fixed pieces evaluated in parallel, each on
     * sub[k] (a workspace for ⌈B/nsub⌉ examples) into the gradient partial
     * part[k·d ..] (reals); used by architectures whose layers are too small to be worth
     * threading one by one (mdl_arch.example_parallel). */
    size_t nsub;
    smile_model_workspace *sub[SMILE_WS_MAX_SUB];
    void *part;
    int piece;          /* this workspace is a piece of an example-parallel one */
    size_t B;           /* max batch                                   */
    size_t elem;        /* sizeof(real): 4 float, 8 double             */
    size_t NT;          /* threads the attention kernel may use        */
    unsigned char *mem; /* one block: reals, then int32, then scratch  */
    size_t bytes;
    void *scratch;      /* shared kernel scratch                       */
    size_t scratch_bytes;
    int32_t *tok;       /* [B·T] input tokens (token input)            */
    int32_t *lab;       /* [B] or [B·T] labels                         */
    double *ll;         /* [B·T] per-example / per-token log-lik       */
    /* element offsets of the common buffers */
    size_t in, out, dout, y;
    size_t g[6];        /* gradient slots, each gsize elements or as the plan says */
    size_t gsize;
};

/* Most parameters a model may have (mdl_add_param refuses more): far above every
 * architecture here, low enough that d times a chain count or a batch size and the
 * byte counts of [d] buffers cannot wrap size_t. */
#define MDL_MAX_PARAMS ((size_t)1 << 40)

/* Element offset of a new buffer of `count` reals, 64-byte aligned in both precisions. */
static inline size_t mdl_take(size_t *n_reals, size_t count) {
    size_t off = *n_reals;
    *n_reals += (count + 15) & ~(size_t)15;
    return off;
}
static inline size_t mdl_max(size_t a, size_t b) { return a > b ? a : b; }

/* FLOPs of a convolution / dense layer on n examples (rows): 2 per multiply-add. */
static inline double mdl_conv_flops(const mdl_conv *c, size_t n) {
    const nn_conv2d_dims *d = &c->dims;
    return 2.0 * (double)n * d->OH * d->OW * d->KH * d->KW * d->C * d->OC;
}
static inline double mdl_dense_flops(const mdl_dense *l, size_t rows) {
    return 2.0 * (double)rows * l->in * l->out;
}

/* ---- the architecture table ----------------------------------------------------------- */

/* Layout construction (layout.c): appends tensors to m's layout; on failure records the
 * status in err with a message, later calls then do nothing. */
typedef struct {
    smile_model *m;
    char *msg;
    size_t msg_len;
    int err;
} mdl_builder;

struct mdl_arch {
    const char *name;              /* CLI / message name: "lenet"                    */
    smile_likelihood_kind lik;     /* what SMILE_LIK_DEFAULT means for this kind     */
    smile_model_desc defaults;     /* the spec's sizes of this kind (the common fields
                                      kind, likelihood, prior_sigma, ln_eps, n_classes
                                      are set by smile_model_desc_default)           */
    /* Checks the description and m->lik, appends the layout, allocates and fills
     * m->state and sets m->in_size, out_size, n_out (and window, log_sigma). */
    smile_status (*build)(mdl_builder *bd);
    /* Multiply-add FLOPs (2 per multiply-add) of the forward products on n examples;
     * *first = those of the first product, which has no input gradient (model.c
     * turns this into forward + backward, docs/flops.md). */
    double (*flops)(const smile_model *m, size_t n, double *first);
    int example_parallel;          /* small layers: batch pieces in parallel         */
};

/* Locals of an architecture's build function (parameter bd): m, its description d, and s,
 * the new state <name>_state with count_ trailing elements of elem_ bytes (returns the
 * error when out of memory). */
#define MDL_BUILD_LOCALS(name_, count_, elem_)                                                 \
    smile_model *m = bd->m;                                                                    \
    const smile_model_desc *d = &m->desc;                                                      \
    name_##_state *s = mdl_state(bd, sizeof(name_##_state), count_, elem_);                    \
    if (!s) return bd->err

/* Defines mdl_arch_<name> from the file's <name>_build and <name>_flops; the variadic
 * part initialises the defaults, e.g. .in_h = 28, .in_w = 28, .in_c = 1. */
#define MDL_ARCH(name_, lik_, example_parallel_, ...)                                          \
    const mdl_arch mdl_arch_##name_ = {.name = #name_,                                         \
                                       .lik = lik_,                                            \
                                       .defaults = {__VA_ARGS__},                              \
                                       .build = name_##_build,                                 \
                                       .flops = name_##_flops,                                 \
                                       .example_parallel = example_parallel_}

/* The passes of one architecture in one precision (R = float: _f, double: _d).
 *   plan      reserves the architecture's buffers after the common ones (in, out, dout,
 *             y), allocates ws->aws, raises *scratch_bytes to what its kernels need;
 *   forward   n ≤ ws->B gathered examples in ws->in / ws->tok → ws->out;
 *   backward  from d out in ws->dout (scale folded in): ACCUMULATES s·∇θ into grad;
 *   loglik_grad  optional fused whole evaluation (smile_model_loglik_grad semantics);
 *             returns 1 when it handled the call, 0 to fall back to the passes. */
#define MDL_PASSES_TYPE(R, S)                                                                  \
    typedef struct {                                                                           \
        smile_status (*plan)(smile_model_workspace *ws, size_t *n_reals, size_t *scratch_bytes); \
        void (*forward)(const smile_model *m, smile_model_workspace *ws, const R *theta,       \
                        size_t n);                                                             \
        void (*backward)(const smile_model *m, smile_model_workspace *ws, const R *theta,      \
                         R *grad, size_t n);                                                   \
        int (*loglik_grad)(const smile_model *m, smile_model_workspace *ws, const R *theta,    \
                           const smile_data_view *data, const uint32_t *idx, size_t n,         \
                           double scale, double *loglik, R *grad);                             \
    } mdl_passes_##S;
MDL_PASSES_TYPE(float, f)
MDL_PASSES_TYPE(double, d)
#undef MDL_PASSES_TYPE

/* Every architecture, X(kind, name): its file is src/model/arch_<name>.c. */
#define MDL_ARCHS(X)                                                                           \
    X(SMILE_MODEL_FCN, fcn)                                                                    \
    X(SMILE_MODEL_LENET, lenet)                                                                \
    X(SMILE_MODEL_RESNET7, resnet7)                                                            \
    X(SMILE_MODEL_RESNET18, resnet18)                                                          \
    X(SMILE_MODEL_VIT, vit)                                                                    \
    X(SMILE_MODEL_GPT, gpt)

#define MDL_DECLARE_ARCH(kind, name)                                                           \
    extern const mdl_arch mdl_arch_##name;                                                     \
    extern const mdl_passes_f mdl_##name##_passes_f;                                           \
    extern const mdl_passes_d mdl_##name##_passes_d;
MDL_ARCHS(MDL_DECLARE_ARCH)
#undef MDL_DECLARE_ARCH

/* ---- layout.c ------------------------------------------------------------------------- */

/* Appends a tensor; returns its offset in θ. */
size_t mdl_add_param(mdl_builder *bd, const char *name, int ndim, const size_t *shape,
                     model_init_kind init, size_t fan_in, double value);
size_t mdl_add1(mdl_builder *bd, const char *name, size_t n, model_init_kind init, double v);
/* "<prefix>.w" [in][out] LeCun(fan_in = in) and, if bias, "<prefix>.b" [out] zeros. */
mdl_dense mdl_add_dense(mdl_builder *bd, const char *prefix, size_t in, size_t out, int bias);
/* "<prefix>.w" [KH][KW][C][OC] LeCun(fan_in = C·KH·KW) and, if bias, "<prefix>.b" [OC]. */
mdl_conv mdl_add_conv(mdl_builder *bd, const char *prefix, const nn_conv2d_dims *dims, int bias);
/* FRN: "<prefix>.gamma" = 1, ".beta" = 0, ".tau" = 0 ([C] each), ".eps" = 1e-6 scalar. */
mdl_frn mdl_add_frn(mdl_builder *bd, const char *prefix, size_t C, size_t HW);
/* LayerNorm "<prefix>.g" = 1 and, if bias, "<prefix>.b" = 0 ([C] each). */
mdl_ln mdl_add_ln(mdl_builder *bd, const char *prefix, size_t C, int bias);
/* Transformer block l of width C, MLP width M: blk<l>.ln1, .attn.qkv ([C][3C], fan_in C),
 * .attn.proj, .ln2, .mlp.fc1, .mlp.fc2; biases iff bias. */
void mdl_add_tblock(mdl_builder *bd, mdl_tblock *t, size_t l, size_t C, size_t M, int bias);
/* Forward FLOPs of the transformer blocks t[0 .. s->depth) on n sequences: the four
 * projections and the two attention products (q kᵀ and P v; causal: only the i+1
 * unmasked keys of query i). */
double mdl_tblocks_flops(const mdl_tblock *t, const mdl_tshape *s, size_t n);
/* Image classifier checks: categorical likelihood, no zero input size, n_classes >= 2;
 * sets in_size = H·W·C and n_out = out_size = n_classes. */
smile_status mdl_image_classifier(mdl_builder *bd);
/* Zeroed architecture state for bd->m (m->state) of `bytes` followed by count elements
 * of elem bytes; NULL with ENOMEM recorded when out of memory or the size overflows. */
void *mdl_state(mdl_builder *bd, size_t bytes, size_t count, size_t elem);
/* Records SMILE_EINVAL with the message; returns SMILE_EINVAL. */
smile_status mdl_bad(mdl_builder *bd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* EINVAL "model <name>: <what> must be >= 1" when v == 0. */
smile_status mdl_positive(mdl_builder *bd, size_t v, const char *what);
/* The likelihood must be `lik`, else EINVAL "model <name>: only the <what> likelihood is
 * supported". */
smile_status mdl_need_lik(mdl_builder *bd, smile_likelihood_kind lik, const char *what);
/* Transformer sizes: embed, depth, heads, mlp >= 1, heads | embed, finite ln_eps >= 0. */
smile_status mdl_check_transformer(mdl_builder *bd);

/* ---- workspace.c ---------------------------------------------------------------------- */

/* Creates a workspace for batch B of reals of `elem` bytes bound to `passes`; `plan` sizes
 * it (pass_eval.c: common buffers, then passes->plan). */
typedef smile_status (*mdl_plan_fn)(smile_model_workspace *ws, size_t *n_reals,
                                    size_t *scratch_bytes);
smile_status mdl_ws_init(smile_model_workspace **ws, const smile_model *m, size_t B,
                         size_t elem, const void *passes, mdl_plan_fn plan, char *msg,
                         size_t msg_len);
/* Zeroed architecture workspace state of `bytes` (ws->aws, freed with the workspace), for
 * the plans; NULL when out of memory. */
void *mdl_ws_arch(smile_model_workspace *ws, size_t bytes);

/* ---- shared pass pieces (pass_layers.c), float _f and double _d ----------------------- */

#define MDL_R float
#define MDL_S(x) x##_f
#include "model/pass_api.inc"
#undef MDL_R
#undef MDL_S

#define MDL_R double
#define MDL_S(x) x##_d
#include "model/pass_api.inc"
#undef MDL_R
#undef MDL_S

/* ---- internal entry points ------------------------------------------------------------ */

/* Generic float path, bypassing the fused FCN kernels (tests compare both). */
smile_status smile_model_loglik_grad_generic(const smile_model *m, smile_model_workspace *ws,
                                             const float *theta, const smile_data_view *data,
                                             const uint32_t *idx, size_t n, double scale,
                                             double *loglik, float *grad);

#endif
