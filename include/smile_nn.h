/*
 * smile_nn.h — neural-network models for the samplers of smile.h: the architectures, their
 * parameter layouts, likelihoods, the Gaussian prior and the posterior target.
 *
 * OVERVIEW
 *   1. Describe a model: d = smile_model_desc_default(SMILE_MODEL_LENET), then change the
 *      fields that differ (input size, widths, likelihood, prior).
 *   2. Build it: smile_model_init(&m, &d, msg, len). The model holds the layout table
 *      (named tensors on one flat float vector θ of smile_model_param_count(m) entries)
 *      and is read-only afterwards: any number of threads may use one model.
 *   3. Initialise θ: smile_model_init_params(m, theta, seed, chain).
 *   4. Evaluate: a workspace per thread (smile_model_workspace_init), then
 *      smile_model_forward (outputs) or smile_model_loglik_grad (log-likelihood and its
 *      gradient); or wrap model + data into the sampler target of smile.h with
 *      smile_posterior_init / smile_posterior_target.
 *
 * ARCHITECTURES (docs/experiments.md, section 3, gives the tables and parameter counts)
 *   fcn       dense ReLU network n_inputs → hidden[0] → … → outputs, last layer linear
 *   lenet     conv 5×5 (pad 2) → GELU → avg-pool 2 → conv 5×5 → GELU → avg-pool 2 →
 *             dense → GELU → dense → GELU → dense; GELU is the tanh form
 *   resnet7   six 3×3 convolutions with bias, each followed by FRN/TLU, max-pools after
 *             convolutions 2, 4, 5, residual around convolution 6, global average, dense
 *   resnet18  ResNet-18 with FRN/TLU instead of batch norm, no convolution biases
 *   vit       Vision Transformer: patch embedding, class token, learned positions,
 *             pre-LN blocks, head dense + GELU + dense
 *   gpt       character GPT: token + position embeddings, causal blocks without biases,
 *             final scale-only LayerNorm, output projection
 *
 * LAYOUTS (row-major, C order)
 *   θ          one float vector; tensor k occupies θ[offset_k .. offset_k + size_k) in
 *              the order of the layout table (smile_model_layout_get / _find)
 *   inputs     images NHWC per example, x[i][h][w][c] (flattened in (h, w, c) order);
 *              FCN features x[i][j]; GPT token windows (no float input)
 *   dense      kernel w[in][out] (y = x w + b), bias b[out]
 *   conv       kernel w[KH][KW][C_in][C_out], bias b[C_out]
 *   attention  q | k | v fused into one kernel [C][3C] (and a [3C] bias in the ViT);
 *              head h uses columns h·C/heads .. (h+1)·C/heads − 1 of q, k and v
 *   FRN        γ, β, τ [C] and one scalar ε per layer (all sampled)
 *
 * EVALUATION. A workspace holds every activation for up to max_batch examples in one
 * allocation made by smile_model_workspace_init; the evaluation functions allocate
 * nothing. Larger requests are processed in chunks of max_batch, the gradients of the
 * chunks accumulating. A workspace belongs to one thread at a time.
 *
 * THREADS AND DETERMINISM. Same inputs give bitwise the same outputs, log-likelihoods and
 * gradients whatever the number of threads (smile_model_set_threads) and whatever
 * OpenBLAS thread setting the caller made (the library runs OpenBLAS single-threaded and
 * parallelises with OpenMP over pieces fixed by the shapes). Several chains may evaluate
 * one model concurrently from an OpenMP parallel region, each on its own workspace; the
 * kernels then run single-threaded in the calling thread.
 *
 * ERRORS. Functions returning smile_status return SMILE_OK, SMILE_EINVAL (bad argument,
 * with a message in msg when a msg buffer is taken) or SMILE_ENOMEM. Outputs are left
 * untouched (or NULL) on error unless stated.
 */
#ifndef SMILE_NN_H
#define SMILE_NN_H

#include "smile.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API libsmile.so exports */

/* ======================================================================== */
/* Model descriptions                                                       */
/* ======================================================================== */

typedef enum {
    SMILE_MODEL_FCN = 0,      /* fully connected ReLU network              */
    SMILE_MODEL_LENET = 1,    /* LeNet with GELU                           */
    SMILE_MODEL_RESNET7 = 2,  /* "ResNet-7" with FRN/TLU                   */
    SMILE_MODEL_RESNET18 = 3, /* ResNet-18 with FRN/TLU                    */
    SMILE_MODEL_VIT = 4,      /* Vision Transformer                        */
    SMILE_MODEL_GPT = 5,      /* character GPT                             */
    SMILE_MODEL_COUNT_ = 6
} smile_model_kind;

/* The likelihoods (docs/method.md, section 2.2). σ = clip(e^t, 1e-6, 1e6) for the
 * Gaussian ones; where the clip is active the derivative with respect to t is 0. */
typedef enum {
    SMILE_LIK_DEFAULT = 0,     /* the kind's own: FCN homoscedastic, image models
                                  categorical, GPT per-token                    */
    SMILE_LIK_GAUSS_HOMO = 1,  /* FCN only: 1 output μ, y ~ N(μ, σ²) with one
                                  global t = τ in θ (layout entry "log_sigma")  */
    SMILE_LIK_GAUSS_HETERO = 2,/* FCN only: 2 outputs (μ, t) per example, t = log σ
                                  from the last layer's η by desc.sigma_link;
                                  Student-t noise instead with desc.student_df  */
    SMILE_LIK_CATEGORICAL = 3, /* softmax over n_classes logits; int32 labels
                                  (FCN and every image model)                   */
    SMILE_LIK_TOKEN = 4        /* GPT only: every position of a window predicts
                                  the next token; a window's log-likelihood is
                                  the sum over its positions                    */
} smile_likelihood_kind;

#define SMILE_MODEL_MAX_HIDDEN 16

/* Activation of the FCN's hidden layers. */
typedef enum {
    SMILE_ACT_RELU = 0, /* max(0, x) (the SMILE and MILE models)                          */
    SMILE_ACT_GELU = 1, /* ½x(1 + tanh(√(2/π)(x + 0.044715x³)))                            */
    SMILE_ACT_TANH = 2, /* tanh x                                                          */
    SMILE_ACT_SILU = 3, /* x·σ(x)                                                          */
    SMILE_ACT_COUNT_ = 4
} smile_activation;
/* "relu", "gelu", "tanh", "silu"; from_name: SMILE_EINVAL for other names. */
const char *smile_activation_name(smile_activation a);
smile_status smile_activation_from_name(const char *name, smile_activation *out);

/* Heteroscedastic FCN: how the last layer's second output η gives σ, and so the
 * model's output t = log σ (docs/method.md, section 2.2). */
typedef enum {
    SMILE_SIGMA_EXP = 0,      /* σ = e^η, t = η (the MILE model as published)          */
    SMILE_SIGMA_SOFTPLUS = 1, /* σ = softplus(η) + 1e-6, t = log σ (bde's head): σ grows
                                 only linearly in η, so a sample cannot widen one
                                 row's predictive exponentially                      */
    SMILE_SIGMA_COUNT_ = 2
} smile_sigma_link;
/* "exp", "softplus"; from_name: SMILE_EINVAL for other names. */
const char *smile_sigma_link_name(smile_sigma_link l);
smile_status smile_sigma_link_from_name(const char *name, smile_sigma_link *out);

/* Plain description. Start from smile_model_desc_default(kind), which gives the sizes of
 * the architecture tables, then change what differs (e.g. n_inputs, or reduced widths for
 * tests). Fields a kind does not use are ignored. Defaults in parentheses. */
typedef struct {
    smile_model_kind kind;
    smile_likelihood_kind likelihood; /* (SMILE_LIK_DEFAULT)                         */
    double prior_sigma;  /* σ_p of the N(0, σ_p²) prior on every parameter (1); > 0   */
    /* FCN: n_inputs → hidden[0] → … → hidden[n_hidden-1] → outputs (1, 2 or
     * n_classes by likelihood) */
    size_t n_inputs;     /* p (11: the 12-column bikesharing file)                   */
    size_t n_hidden;     /* hidden layers, ≤ SMILE_MODEL_MAX_HIDDEN (3)               */
    size_t hidden[SMILE_MODEL_MAX_HIDDEN]; /* widths (16, 16, 16)                    */
    smile_activation activation; /* of the hidden layers (SMILE_ACT_RELU)            */
    smile_sigma_link sigma_link; /* GAUSS_HETERO: η → σ (SMILE_SIGMA_EXP)           */
    double student_df;   /* GAUSS_HETERO: the noise around μ. 0: Gaussian N(μ, σ²) (0);
                            ν ∈ (2, 1000]: Student-t with ν degrees of freedom and scale
                            σ, whose polynomial tails keep a far-off row from dominating
                            the fit and the log density (docs/method.md, section 2.2)   */
    /* image input (LeNet 28×28×1, ResNets 32×32×3, ViT 160×160×3) and classes */
    size_t in_h, in_w, in_c;
    size_t n_classes;    /* classes of the image models and of a categorical FCN (10) */
    /* LeNet: conv1 filters, conv2 filters, dense widths (6, 16, 120, 84); the input must
     * be at least 12×12 */
    size_t lenet[4];
    /* ResNets: base width w. ResNet-18 (64): stages w, 2w, 4w, 8w; ResNet-7 (32):
     * convolutions w, 2w, 2w, 4w, 4w, 4w (input at least 8×8) */
    size_t res_width;
    /* Transformers (ViT, GPT) */
    size_t patch;        /* ViT patch size P (16); must divide in_h and in_w         */
    size_t embed;        /* width C (384)                                            */
    size_t depth;        /* blocks (ViT 12, GPT 6)                                   */
    size_t heads;        /* attention heads (ViT 8, GPT 6); must divide embed        */
    size_t mlp;          /* MLP width (1536)                                         */
    size_t cls_hidden;   /* ViT classifier hidden width (1024)                       */
    size_t vocab;        /* GPT vocabulary V (65)                                    */
    size_t context;      /* GPT context T (256) = window length                      */
    int gpt_pre_ln;      /* 0: the reference implementation's block a = LN₁(x),
                            b = a + attn(a), c = LN₂(b), out = c + MLP(c); 1: our
                            addition, the nanoGPT block x + f(LN(x))
                            (docs/experiments.md, section 8) (0)                     */
    double ln_eps;       /* LayerNorm ε (1e-6); finite, ≥ 0                          */
} smile_model_desc;

/* The description of kind with the sizes of the architecture tables. An unknown kind
 * gives the common defaults only (smile_model_init then rejects it). */
smile_model_desc smile_model_desc_default(smile_model_kind kind);
/* "fcn", "lenet", "resnet7", "resnet18", "vit", "gpt"; "unknown" otherwise. */
const char *smile_model_kind_name(smile_model_kind kind);
/* Inverse of smile_model_kind_name: SMILE_OK with *out set, SMILE_EINVAL for other names
 * (and NULL). */
smile_status smile_model_kind_from_name(const char *name, smile_model_kind *out);

/* ======================================================================== */
/* Models and layouts                                                       */
/* ======================================================================== */

typedef struct smile_model smile_model;
typedef struct smile_model_workspace smile_model_workspace;

/* Builds the model (layout table and geometry) from the description. SMILE_EINVAL with a
 * message for zero sizes, shapes that do not fit (a patch that does not divide the
 * image, an input too small for the pools, heads not dividing embed), an unknown kind or
 * likelihood, a likelihood the kind does not support, prior_sigma ≤ 0, fewer than 2
 * parameters; SMILE_ENOMEM when the layout cannot be allocated. *m = NULL on failure.
 * The model copies the description; it is immutable and may be shared by threads. */
smile_status smile_model_init(smile_model **m, const smile_model_desc *desc, char *msg,
                              size_t msg_len);
/* Frees the model (NULL: no-op). Its workspaces and posteriors must not be used
 * afterwards (they may still be freed). */
void smile_model_free(smile_model *m);
/* d, the length of θ. */
size_t smile_model_param_count(const smile_model *m);
/* The description the model was built from (owned by the model). */
const smile_model_desc *smile_model_get_desc(const smile_model *m);
/* Effective likelihood (never SMILE_LIK_DEFAULT). */
smile_likelihood_kind smile_model_likelihood(const smile_model *m);
/* Floats per example of the input: FCN n_inputs, images in_h·in_w·in_c, GPT 0 (it reads
 * tokens). */
size_t smile_model_input_size(const smile_model *m);
/* Floats per example of the forward output: FCN 1 (homoscedastic), 2 (heteroscedastic)
 * or n_classes; image models n_classes; GPT context·vocab. */
size_t smile_model_output_size(const smile_model *m);

/* One entry of the layout table: θ[offset .. offset+size) holds a tensor of the given
 * shape (row-major; ndim 0 = scalar, shape[] zero beyond ndim). Names are unique, e.g.
 * "dense1.w", "conv2.b", "blk3.attn.qkv.w", "s2.b0.frn1.gamma", "log_sigma"; entries are
 * contiguous and in θ order. */
#define SMILE_PARAM_MAX_DIMS 4
typedef struct {
    const char *name; /* owned by the model */
    size_t offset, size;
    int ndim;
    size_t shape[SMILE_PARAM_MAX_DIMS];
} smile_param_entry;

/* Number of tensors in the layout. */
size_t smile_model_layout_count(const smile_model *m);
/* Entry i (< count) → SMILE_OK; SMILE_EINVAL otherwise. */
smile_status smile_model_layout_get(const smile_model *m, size_t i, smile_param_entry *e);
/* Entry by exact name → SMILE_OK; SMILE_EINVAL when absent. */
smile_status smile_model_layout_find(const smile_model *m, const char *name,
                                     smile_param_entry *e);

/* Writes the initial θ[d] (docs/method.md, section 9.5) from the random stream (seed,
 * chain, SMILE_RNG_INIT): dense, convolution and attention kernels LeCun normal
 * (truncated at ±2 sd, variance 1/fan_in), biases 0, LayerNorm scale 1, FRN γ = 1,
 * β = τ = 0, ε = 1e-6, GPT embeddings N(0, 1/C), ViT class token and position embedding
 * N(0, 1), log σ = 0. Tensors are drawn in layout order: the result depends on
 * (seed, chain) only. */
void smile_model_init_params(const smile_model *m, float *theta, uint64_t seed, int chain);

/* ======================================================================== */
/* Data and evaluation                                                      */
/* ======================================================================== */

/* Data a model reads (plain arrays, not owned, not copied; see smile_model_input_size):
 *   n       number of examples
 *   x       [n × input_size] float inputs (FCN, images); NULL for the GPT
 *   y       [n] Gaussian regression targets (Gaussian likelihoods)
 *   labels  [n] class labels in [0, n_classes) (categorical likelihood)
 *   tokens  GPT token stream of length n + context, values in [0, vocab): example i is
 *           the window starting at i, inputs tokens[i .. i+T-1], targets
 *           tokens[i+1 .. i+T]. */
typedef struct {
    size_t n;
    const float *x;
    const float *y;
    const int32_t *labels;
    const int32_t *tokens;
} smile_data_view;

/* Activations for up to max_batch (≥ 1) examples of model m, allocated once (see
 * smile_model_workspace_bytes). SMILE_EINVAL for max_batch 0 or a batch whose buffers
 * would overflow; SMILE_ENOMEM. The workspace refers to m, which must outlive its use.
 * Its attention kernels use at most the OpenMP thread count current at its creation
 * (their scratch is sized for it); results do not depend on it. */
smile_status smile_model_workspace_init(smile_model_workspace **ws, const smile_model *m,
                                        size_t max_batch, char *msg, size_t msg_len);
void smile_model_workspace_free(smile_model_workspace *ws); /* NULL: no-op */
/* Bytes allocated by the workspace; its max_batch. */
size_t smile_model_workspace_bytes(const smile_model_workspace *ws);
size_t smile_model_workspace_batch(const smile_model_workspace *ws);

/* Forward pass on examples idx[0..n) of data (idx NULL: 0..n-1), any n (processed in
 * chunks of the workspace batch): out[n × output_size] =
 *   FCN homoscedastic   μ (σ = clip(e^τ, 1e-6, 1e6) with τ = θ["log_sigma"])
 *   FCN heteroscedastic (μ, η) pairs, σ = clip(e^η, 1e-6, 1e6)
 *   classifiers         logits [n × n_classes]
 *   GPT                 logits [n × context × vocab]
 * Targets are not read. SMILE_EINVAL for NULL arguments, indices outside the data,
 * missing input arrays or a workspace of another model. */
smile_status smile_model_forward(const smile_model *m, smile_model_workspace *ws,
                                 const float *theta, const smile_data_view *data,
                                 const uint32_t *idx, size_t n, float *out);

/* Log-likelihood of examples idx[0..n) (idx NULL: 0..n-1), any n:
 *   *loglik = Σ_i log p(y_i | x_i, θ)   (double; GPT: sum over all n·context tokens)
 * and, if grad != NULL, grad[d] += scale · ∇_θ Σ_i log p(y_i | x_i, θ). grad ACCUMULATES,
 * so chunks and the prior can be added; grad NULL skips the backward pass. No prior here.
 * SMILE_EINVAL (nothing accumulated) for NULL loglik, an index outside the data, a label
 * or token outside [0, classes), missing targets, a workspace of another model. */
smile_status smile_model_loglik_grad(const smile_model *m, smile_model_workspace *ws,
                                     const float *theta, const smile_data_view *data,
                                     const uint32_t *idx, size_t n, double scale,
                                     double *loglik, float *grad);

/* Prior N(0, σ_p²) on each of the d coordinates (docs/method.md, section 2.3): returns
 * Σ_j log N(θ_j; 0, σ_p²) with its normalising constant and, if grad != NULL, sets
 * grad[j] = −θ_j/σ_p² (OVERWRITES grad). */
double smile_prior_gauss(const float *theta, size_t d, double sigma_p, float *grad);

/* FLOPs of one gradient evaluation (forward + backward) on n examples: the matrix
 * products only (dense, convolution, attention), 2 per multiply-add, formula in
 * docs/flops.md. */
double smile_model_flops(const smile_model *m, size_t n);

/* Process-wide: n OpenMP threads inside ONE evaluation (n <= 0: the number of CPUs), and
 * OpenBLAS single-threaded. Results do not depend on n. Chains evaluating in an OpenMP
 * parallel region run their kernels single-threaded (no nested parallelism). */
void smile_model_set_threads(int n);

/* ======================================================================== */
/* Posterior target for the samplers                                        */
/* ======================================================================== */

/* log p̂(θ; b) = log prior(θ) + s · Σ_{i∈b} log p(y_i | x_i, θ) (docs/method.md, sections
 * 2.1 and 2.4), with the batch's indices and scale s (batch idx NULL: the full data,
 * s = 1). Holds one workspace per chain (batch.chain selects it), so K chains may call
 * the target concurrently from K threads; no allocation per call. Batches larger than
 * max_batch are evaluated in chunks (gradients accumulate). */
typedef struct smile_posterior smile_posterior;

/* Checks every row of data once (inputs, targets, labels / tokens in range: SMILE_EINVAL
 * with a message otherwise) and allocates n_chains workspaces of min(max_batch, data->n)
 * examples. m and the data arrays must outlive the posterior; data is copied by value
 * (the arrays are not). */
smile_status smile_posterior_init(smile_posterior **p, const smile_model *m,
                                  const smile_data_view *data, int n_chains, size_t max_batch,
                                  char *msg, size_t msg_len);
void smile_posterior_free(smile_posterior *p); /* NULL: no-op */
/* {d, smile_posterior_logdensity, p, logp_only_ok = 1}: grad == NULL computes log p̂ only
 * (forward pass, no backward). */
smile_target smile_posterior_target(smile_posterior *p);
/* The smile_logdensity_fn (user = smile_posterior *): *logp = log p̂(x; b) and, if grad,
 * grad[d] = its gradient (OVERWRITTEN). Returns non-zero for NULL arguments, a chain
 * index outside [0, n_chains) or an index outside the data. */
int smile_posterior_logdensity(void *user, const float *x, const smile_batch *b, double *logp,
                               float *grad);
/* The model workspace of chain k (e.g. for predictions in that thread); NULL outside
 * [0, n_chains). */
smile_model_workspace *smile_posterior_workspace(smile_posterior *p, int chain);
/* The posterior serves chains first .. first + n_chains − 1 (default first = 0;
 * batches carry their chain's index), e.g. one rank's block of members. */
void smile_posterior_set_first_chain(smile_posterior *p, int first);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* SMILE_NN_H */
