/*
 * model_internal.h — private definition of smile_model and its workspace.
 *
 * A model is a fixed architecture (experiments.md §2.3, §3.2, §4.5, §4.6, §5.3, §6.2)
 * evaluated by hand-written forward/backward passes built from the src/nn kernels. The
 * passes are written once in model_impl.inc and instantiated for float (the public API)
 * and double (finite-difference tests, functions with suffix _d below).
 *
 * Memory plan (llm.c style): smile_model_workspace_init computes every activation and
 * gradient buffer of one batch size in a sizing pass, allocates one block and stores
 * element offsets; evaluations allocate nothing. Backward passes keep only a few
 * gradient buffers alive ("slots", reused layer after layer) instead of one per
 * activation, so the workspace is ≈ activations + 3 largest layers.
 */
#ifndef SMILE_MODEL_INTERNAL_H
#define SMILE_MODEL_INTERNAL_H

#include "nn/nn.h"
#include "model/likelihood.h"
#include "model/model.h"

/* ---- parameter layout ----------------------------------------------------------------- */

typedef enum {
    MI_ZERO = 0,  /* biases, β, τ, log σ                         */
    MI_ONE = 1,   /* LayerNorm scale, FRN γ                      */
    MI_LECUN = 2, /* LeCun normal with fan_in (§0.5)             */
    MI_NORMAL = 3,/* N(0, sd²): embeddings, class token, pos emb  */
    MI_CONST = 4  /* FRN ε = 1e-6                                */
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
    nn_conv2d_dims dims; /* BC chosen at workspace init (copied there) */
} mdl_conv;
typedef struct {
    size_t g, b, t, e; /* γ[C], β[C], τ[C], ε (scalar) */
    size_t C, HW;
} mdl_frn;
typedef struct {
    size_t g, b; /* b = SIZE_MAX: scale-only LayerNorm (GPT) */
} mdl_ln;

/* ResNet-18 basic block (§4.5). */
typedef struct {
    mdl_conv c1, c2, sc;
    mdl_frn f1, f2, fsc;
    int has_sc;
} mdl_block18;

/* Transformer block (ViT §5.3 pre-LN; GPT §6.2 [ref] residual from LN output). */
typedef struct {
    mdl_ln ln1, ln2;
    mdl_dense qkv, proj, fc1, fc2;
} mdl_tblock;

#define MDL_R7_CONVS 6
#define MDL_R18_BLOCKS 8

struct smile_model {
    smile_model_desc desc;
    smile_likelihood_kind lik;
    size_t d;
    model_param *params;
    size_t n_params, cap_params;
    size_t in_size;  /* floats per example (0 for GPT)          */
    size_t out_size; /* outputs per example                      */
    size_t n_out;    /* outputs per position (GPT: vocab)        */

    /* FCN */
    size_t fcn_layers; /* n_hidden + 1 */
    mdl_dense fcn[SMILE_MODEL_MAX_HIDDEN + 1];
    size_t log_sigma; /* offset of τ (homoscedastic), SIZE_MAX otherwise */

    /* LeNet */
    mdl_conv le_c1, le_c2;
    nn_conv2d_dims le_p1, le_p2; /* avg pools */
    mdl_dense le_d[3];

    /* ResNet-7 */
    mdl_conv r7_c[MDL_R7_CONVS];
    mdl_frn r7_f[MDL_R7_CONVS];
    nn_conv2d_dims r7_pool[3]; /* after convs 2, 4, 5 */
    mdl_dense r7_head;

    /* ResNet-18 */
    mdl_conv r18_stem;
    mdl_frn r18_stem_frn;
    nn_conv2d_dims r18_pool;
    mdl_block18 r18_b[MDL_R18_BLOCKS];
    mdl_dense r18_head;

    /* Transformers */
    mdl_conv vit_patch;
    size_t vit_cls, vit_pos; /* offsets */
    size_t tokens;           /* sequence length T (ViT: patches + 1; GPT: context) */
    mdl_tblock *tb;          /* [depth] */
    mdl_dense vit_h1, vit_h2;
    size_t gpt_wte, gpt_wpe;
    mdl_ln gpt_lnf;
    mdl_dense gpt_lm;
};

/* ---- workspace ------------------------------------------------------------------------ */

/* Offsets (in elements of the workspace's real type) of one transformer block's
 * activations. */
typedef struct {
    size_t ln1, mean1, rstd1, qkv, att, lse, h, ln2, mean2, rstd2, fc1, ge, xo;
} ws_tblock;

typedef struct {
    size_t z, a; /* pre-/post-activation or conv/FRN output */
} ws_pair;

typedef struct {
    size_t c1, f1, r1, c2, s, o, r2, scc, scf, rsc;
} ws_block18;

/* Example-parallel evaluation: pieces of a batch per sub-workspace (see ws_init). */
#define SMILE_WS_MAX_SUB 8

struct smile_model_workspace {
    const smile_model *m;
    /* nsub > 1: the batch is cut into nsub fixed pieces evaluated in parallel, each on
     * sub[k] (a workspace for ⌈B/nsub⌉ examples) into the gradient partial
     * part[k·d ..] (reals); used for models whose layers are too small to be worth
     * threading one by one (LeNet, ResNet-7). */
    size_t nsub;
    smile_model_workspace *sub[SMILE_WS_MAX_SUB];
    void *part;
    int piece; /* this workspace is a piece of an example-parallel one */
    size_t B;          /* max batch                                   */
    size_t elem;       /* sizeof(real): 4 float, 8 double             */
    size_t NT;         /* threads the attention kernel may use        */
    unsigned char *mem;/* one block: reals, then int32, then scratch  */
    size_t bytes;
    void *scratch;     /* shared kernel scratch                       */
    size_t scratch_bytes;
    int32_t *tok;      /* [B·T] GPT input tokens                      */
    int32_t *lab;      /* [B] or [B·T] labels                         */
    double *ll;        /* [B·T] per-example / per-token log-lik       */

    /* generic slots (element offsets) */
    size_t in, out, dout, y;
    size_t fast, fast_reals; /* region of the float FCN fast path (fcn_fast.c), 0 = none */
    size_t g[6];       /* gradient slots, each gsize elements         */
    size_t gsize;

    /* conv geometry with the chunk size BC chosen for this batch */
    mdl_conv le_c1, le_c2;
    mdl_conv r7_conv[MDL_R7_CONVS];
    mdl_conv r18_stem;
    mdl_conv r18_c1[MDL_R18_BLOCKS], r18_c2[MDL_R18_BLOCKS], r18_sc[MDL_R18_BLOCKS];
    mdl_conv vit_patch;

    /* FCN: h[l] output of layer l */
    size_t fcn_h[SMILE_MODEL_MAX_HIDDEN + 1];
    /* LeNet */
    ws_pair le1, le2, le3, le4;
    size_t le_p1, le_p2;
    /* ResNet-7 */
    size_t r7_c[MDL_R7_CONVS], r7_f[MDL_R7_CONVS], r7_r[MDL_R7_CONVS], r7_m[3], r7_s6, r7_gap;
    /* ResNet-18 */
    size_t r18_c0, r18_f0, r18_r0, r18_m0, r18_gap;
    ws_block18 r18_b[MDL_R18_BLOCKS];
    /* Transformers */
    size_t t_x0, t_pe;      /* residual stream input; ViT patch embeddings */
    ws_tblock *tb;          /* [depth] (allocated with the workspace)      */
    size_t t_lnf, t_meanf, t_rstdf;
    size_t vit_sel, vit_z, vit_a;
};

/* ---- internal entry points ------------------------------------------------------------ */

/* Same as the public functions, double precision (tests). */
smile_status smile_model_workspace_init_d(smile_model_workspace **ws, const smile_model *m,
                                          size_t max_batch, char *msg, size_t msg_len);
smile_status smile_model_loglik_grad_d(const smile_model *m, smile_model_workspace *ws,
                                       const double *theta, const smile_data_view *data,
                                       const uint32_t *idx, size_t n, double scale,
                                       double *loglik, double *grad);
smile_status smile_model_forward_d(const smile_model *m, smile_model_workspace *ws,
                                   const double *theta, const smile_data_view *data,
                                   const uint32_t *idx, size_t n, double *out);

/* Generic float path, bypassing the specialised FCN kernels (tests compare both). */
smile_status smile_model_loglik_grad_generic(const smile_model *m, smile_model_workspace *ws,
                                             const float *theta, const smile_data_view *data,
                                             const uint32_t *idx, size_t n, double scale,
                                             double *loglik, float *grad);

/* Per-instantiation workspace planner (model_impl.inc). */
smile_status smile_model_ws_plan_f(smile_model_workspace *ws, size_t *n_reals,
                                   size_t *scratch_bytes);
smile_status smile_model_ws_plan_d(smile_model_workspace *ws, size_t *n_reals,
                                   size_t *scratch_bytes);

/* Specialised float FCN (fcn_fast.c): small dense layers without BLAS calls.
 * Returns 1 when it handled the call, 0 when the shape is not supported. */
size_t smile_fcn_fast_reals(const smile_model *m, size_t B);
int smile_fcn_fast_loglik_grad(const smile_model *m, smile_model_workspace *ws,
                               const float *theta, const smile_data_view *data,
                               const uint32_t *idx, size_t n, double scale, double *loglik,
                               float *grad);

#endif
