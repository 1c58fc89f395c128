/*
 * smile_nn.h — neural-network models on one flat float parameter vector, their
 * parameter layouts, likelihoods, the Gaussian prior and the posterior target
 * that the samplers of smile.h run on.
 */
#ifndef SMILE_NN_H
#define SMILE_NN_H

#include "smile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Neural-network models, likelihoods, priors                               */
/* ======================================================================== */
/*
 * Models live on ONE flat float parameter vector θ[d] with a named layout
 * table (name, offset, shape). Architectures, parameter counts and
 * initialisation follow experiments.md §0.5, §2.3, §3.2, §4.4–4.6, §5.3, §6.2.
 * Layouts (row-major): inputs NHWC (images) or [features] (FCN); dense
 * kernels [in][out]; conv kernels [KH][KW][C_in][C_out]; attention q|k|v
 * fused into one [C][3C] kernel (+ [3C] bias for the ViT).
 *
 * Evaluation: a smile_model_workspace holds every activation for up to
 * max_batch examples, allocated once (smile_model_workspace_init); the
 * evaluation functions allocate nothing. One workspace per thread: several
 * chains may evaluate the same model concurrently from an OpenMP parallel
 * region, each on its own workspace (the kernels then run single-threaded;
 * see smile_model_set_threads). Results never depend on the thread count.
 */
typedef enum {
    SMILE_MODEL_FCN = 0,      /* dense ReLU network (§2.3)                      */
    SMILE_MODEL_LENET = 1,    /* LeNet with GELU (§3.2)                         */
    SMILE_MODEL_RESNET7 = 2,  /* "ResNet-7" with FRN (§4.6)                     */
    SMILE_MODEL_RESNET18 = 3, /* ResNet-18 with FRN (§4.5)                      */
    SMILE_MODEL_VIT = 4,      /* Vision Transformer (§5.3)                      */
    SMILE_MODEL_GPT = 5,      /* character GPT (§6.2)                           */
    SMILE_MODEL_COUNT_ = 6
} smile_model_kind;

typedef enum {
    SMILE_LIK_DEFAULT = 0,     /* the family's own: FCN homoscedastic, images
                                  categorical, GPT per-token categorical        */
    SMILE_LIK_GAUSS_HOMO = 1,  /* FCN, 1 output μ + global log σ τ in θ (§2.4)  */
    SMILE_LIK_GAUSS_HETERO = 2,/* FCN, 2 outputs (μ, η), σ = clip(e^η) (§2.4)   */
    SMILE_LIK_CATEGORICAL = 3, /* softmax over n_classes outputs, labels int32  */
    SMILE_LIK_TOKEN = 4        /* GPT: every position predicts the next token   */
} smile_likelihood_kind;

#define SMILE_MODEL_MAX_HIDDEN 16

/* Plain description. Start from smile_model_desc_default(kind), which gives
 * the spec's sizes, then change what differs (e.g. n_inputs, or reduced
 * widths for tests). Fields not used by a kind are ignored. */
typedef struct {
    smile_model_kind kind;
    smile_likelihood_kind likelihood;
    double prior_sigma;  /* σ_p of the N(0, σ_p²) prior on every parameter (1)  */
    /* FCN (§2.3): n_inputs → hidden[0] → … → hidden[n_hidden-1] → outputs */
    size_t n_inputs;     /* p (default 11, bikesharing SMILE file)               */
    size_t n_hidden;     /* hidden layers (3: 16-16-16)                          */
    size_t hidden[SMILE_MODEL_MAX_HIDDEN];
    /* image input (LeNet 28×28×1, ResNets 32×32×3, ViT 160×160×3) and classes */
    size_t in_h, in_w, in_c;
    size_t n_classes;    /* 10 (also the FCN's outputs under CATEGORICAL)       */
    /* LeNet (§3.2): conv1 filters, conv2 filters, dense widths (6, 16, 120, 84) */
    size_t lenet[4];
    /* ResNets: base width w (ResNet-18: 64 → stages w, 2w, 4w, 8w;
       ResNet-7: 32 → convs w, 2w, 2w, 4w, 4w, 4w) */
    size_t res_width;
    /* Transformers (ViT §5.3, GPT §6.2) */
    size_t patch;        /* ViT patch size (16)                                 */
    size_t embed;        /* width C (384)                                       */
    size_t depth;        /* blocks (ViT 12, GPT 6)                              */
    size_t heads;        /* ViT 8, GPT 6; must divide embed                     */
    size_t mlp;          /* MLP width (1536)                                    */
    size_t cls_hidden;   /* ViT classifier hidden width (1024)                  */
    size_t vocab;        /* GPT vocabulary (65)                                 */
    size_t context;      /* GPT context T (256) = window length                 */
    int gpt_pre_ln;      /* [proj] deviation: nanoGPT block x + f(LN(x)); 0 = [ref] */
    double ln_eps;       /* LayerNorm ε (1e-6)                                  */
} smile_model_desc;

smile_model_desc smile_model_desc_default(smile_model_kind kind);
const char *smile_model_kind_name(smile_model_kind kind);
/* "fcn", "lenet", "resnet7", "resnet18", "vit", "gpt"; SMILE_EINVAL otherwise. */
smile_status smile_model_kind_from_name(const char *name, smile_model_kind *out);

typedef struct smile_model smile_model;
typedef struct smile_model_workspace smile_model_workspace;

/* Builds the model (layout table) from the description; SMILE_EINVAL with a
 * message for zero sizes, shapes that do not fit, unknown kinds or
 * likelihoods that do not match the kind. *m = NULL on failure. */
smile_status smile_model_init(smile_model **m, const smile_model_desc *desc, char *msg,
                              size_t msg_len);
void smile_model_free(smile_model *m); /* NULL: no-op */
size_t smile_model_param_count(const smile_model *m);
const smile_model_desc *smile_model_get_desc(const smile_model *m);
/* Effective likelihood (never SMILE_LIK_DEFAULT). */
smile_likelihood_kind smile_model_likelihood(const smile_model *m);
/* Floats per example of the input (FCN p, images H·W·C; GPT: 0, it reads
 * tokens) and of the forward output (FCN 1 / 2 / classes, images classes,
 * GPT context·vocab). */
size_t smile_model_input_size(const smile_model *m);
size_t smile_model_output_size(const smile_model *m);

/* One entry of the layout table: θ[offset .. offset+size) holds a tensor of
 * the given shape (row-major; ndim 0 = scalar). Names are like
 * "dense1.w", "blk3.attn.qkv.w", "s2.b0.frn1.gamma", "log_sigma". */
#define SMILE_PARAM_MAX_DIMS 4
typedef struct {
    const char *name; /* owned by the model */
    size_t offset, size;
    int ndim;
    size_t shape[SMILE_PARAM_MAX_DIMS];
} smile_param_entry;

size_t smile_model_layout_count(const smile_model *m);
/* Entry i (< count) → SMILE_OK; SMILE_EINVAL otherwise. */
smile_status smile_model_layout_get(const smile_model *m, size_t i, smile_param_entry *e);
/* Entry by exact name → SMILE_OK; SMILE_EINVAL when absent. */
smile_status smile_model_layout_find(const smile_model *m, const char *name,
                                     smile_param_entry *e);

/* Initialisation of §0.5 from the stream (seed, chain, SMILE_RNG_INIT):
 * LeCun-normal dense/conv kernels, zero biases, LayerNorm scale 1, FRN
 * γ = 1, β = τ = 0, ε = 1e-6, GPT embeddings N(0, 1/C), ViT class token and
 * position embedding N(0, 1), log σ = 0. */
void smile_model_init_params(const smile_model *m, float *theta, uint64_t seed, int chain);

/* Data a model reads (plain arrays, not owned; see smile_model_input_size):
 *   x      [n × input_size] float inputs (FCN, images); NULL for GPT
 *   y      [n] Gaussian regression targets
 *   labels [n] class labels in [0, n_classes) (categorical)
 *   tokens GPT token stream of length n + context: example i is the window
 *          starting at i, inputs tokens[i .. i+T-1], targets tokens[i+1 .. i+T]. */
typedef struct {
    size_t n;
    const float *x;
    const float *y;
    const int32_t *labels;
    const int32_t *tokens;
} smile_data_view;

/* Activations for up to max_batch examples, allocated once. */
smile_status smile_model_workspace_init(smile_model_workspace **ws, const smile_model *m,
                                        size_t max_batch, char *msg, size_t msg_len);
void smile_model_workspace_free(smile_model_workspace *ws); /* NULL: no-op */
size_t smile_model_workspace_bytes(const smile_model_workspace *ws);
size_t smile_model_workspace_batch(const smile_model_workspace *ws);

/* Forward pass on examples idx[0..n) of data (idx NULL: 0..n-1), any n
 * (processed in chunks of the workspace batch): out[n × output_size]
 * (FCN homoscedastic: μ, with σ = clip(e^τ, 1e-6, 1e6) from the layout entry
 * "log_sigma"; heteroscedastic: (μ, η) pairs, σ = clip(e^η); classifiers:
 * logits; GPT: logits [n × T × V]). SMILE_EINVAL for indices outside the
 * data, missing arrays or a workspace of another model. */
smile_status smile_model_forward(const smile_model *m, smile_model_workspace *ws,
                                 const float *theta, const smile_data_view *data,
                                 const uint32_t *idx, size_t n, float *out);

/* Log-likelihood of examples idx[0..n) (idx NULL: 0..n-1):
 *   *loglik = Σ_i log p(y_i | x_i, θ)   (double; GPT: sum over all n·T tokens)
 * and, if grad != NULL, grad[d] += scale · ∇_θ Σ_i log p(y_i | x_i, θ)
 * (ACCUMULATES, so chunks and the prior can be added). No prior here.
 * SMILE_EINVAL (nothing accumulated) for an index outside the data, a label
 * or token outside [0, classes), missing targets. */
smile_status smile_model_loglik_grad(const smile_model *m, smile_model_workspace *ws,
                                     const float *theta, const smile_data_view *data,
                                     const uint32_t *idx, size_t n, double scale,
                                     double *loglik, float *grad);

/* Prior N(0, σ_p²) on every coordinate: returns Σ_j log N(θ_j; 0, σ_p²)
 * (with its normalising constant) and, if grad != NULL, grad[j] = −θ_j/σ_p²
 * (OVERWRITES grad). */
double smile_prior_gauss(const float *theta, size_t d, double sigma_p, float *grad);

/* FLOPs of one gradient evaluation (forward + backward) on n examples: the
 * matrix products only (dense, convolution, attention), formula in
 * docs/flops.md. */
double smile_model_flops(const smile_model *m, size_t n);

/* Process-wide: n OpenMP threads inside ONE evaluation (n <= 0: number of
 * CPUs); OpenBLAS is set single-threaded (the kernels split large products
 * across the OpenMP threads). Chains evaluating in a parallel region run
 * their kernels single-threaded (nested parallelism off). Results do not
 * depend on n. */
void smile_model_set_threads(int n);

/* ---- Posterior adapter: the sampler target of samplers.md §1.3 --------- */
/* log p̂(θ; b) = log prior(θ) + s · Σ_{i∈b} log p(y_i | x_i, θ), with the
 * batch's indices and scale s (idx NULL = the full data, s = 1). Holds one
 * workspace per chain (batch.chain selects it), so K chains may call the
 * target concurrently from K threads; no allocation per call. Batches
 * larger than max_batch are evaluated in chunks (gradients accumulate). */
typedef struct smile_posterior smile_posterior;

smile_status smile_posterior_init(smile_posterior **p, const smile_model *m,
                                  const smile_data_view *data, int n_chains, size_t max_batch,
                                  char *msg, size_t msg_len);
void smile_posterior_free(smile_posterior *p); /* NULL: no-op */
/* {d, smile_posterior_logdensity, p, logp_only_ok = 1}: grad == NULL
 * computes log p̂ only (forward pass, no backward). */
smile_target smile_posterior_target(smile_posterior *p);
/* The smile_logdensity_fn (user = smile_posterior *). Returns non-zero for
 * a chain index outside [0, n_chains) or an index outside the data. */
int smile_posterior_logdensity(void *user, const float *x, const smile_batch *b, double *logp,
                               float *grad);
/* The model workspace of chain k (e.g. for predictions in that thread). */
smile_model_workspace *smile_posterior_workspace(smile_posterior *p, int chain);

#ifdef __cplusplus
}
#endif
#endif /* SMILE_NN_H */
