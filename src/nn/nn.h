/*
 * nn.h — internal neural-network layer kernels (llm.c style), not public API.
 *
 * Used by src/model to build the architectures of docs/experiments.md, section 3 (LeNet,
 * ResNet-7/18 with FRN, ViT, character GPT). Every layer is a pair of plain functions
 * forward/backward working on caller-provided buffers. No kernel allocates.
 *
 * ---------------------------------------------------------------------------------------
 * CONVENTIONS
 * ---------------------------------------------------------------------------------------
 * Argument order: outputs → caches → scratch → inputs → params → dims. For a backward:
 *   gradients written (dx, d-params) → scratch → dy → forward inputs → forward caches →
 *   params → dims.
 * Dims (size_t): B batch (examples), T tokens per example, C channels / features,
 *   H, W input height / width, OH, OW output height / width, HW = H*W, N rows (= B*T or
 *   B*H*W), IC, OC dense input / output features, NH attention heads, K classes / vocab,
 *   NT threads the caller allows a kernel to use (sizes its scratch).
 * Layouts (row-major, C order):
 *   images / feature maps  NHWC  x[B][H][W][C]      (flatten = (h, w, c) order)
 *   token sequences        x[B][T][C]
 *   dense kernel           w[IC][OC]                (Flax layout: y = x w + b)
 *   conv kernel            w[KH][KW][C][OC]         (Flax HWIO layout)
 * Backward passes ACCUMULATE (+=) into every gradient they write: parameter gradients AND
 * input gradients (as llm.c). The caller zeroes gradient buffers once per backward pass;
 * a residual branch then simply accumulates into the same dx. Any gradient pointer may be
 * NULL: that gradient is skipped (e.g. dx of the first layer, db of a bias-free layer).
 * Forward outputs are overwritten (=), never accumulated.
 * Scratch: a layer that needs temporary memory takes `void *scratch` of at least
 * nn_<layer>_scratch_size(...) BYTES (aligned for double; smile_calloc is fine); the same
 * scratch may be reused by every layer (its content is dead between calls).
 * Aliasing: unless stated, outputs must not alias inputs.
 *
 * Precision: every kernel exists for float (names below) and for double (same name with
 * suffix _d, e.g. nn_dense_forward_d) — both generated from nn_kernels*.inc. The double
 * kernels (nn_double.c) exist for the finite-difference tests only: they are built into
 * the test-only archive build/libsmile_fd.a, never into build/libsmile.a. Reductions
 * over many terms (norm statistics, bias/scale gradients, log-softmax) accumulate in
 * double in both.
 *
 * Threading and determinism (results never depend on the number of threads):
 *   - OpenBLAS always runs single-threaded: every kernel that calls it first makes sure
 *     of that (nn_blas_serial), whatever the caller set. Reason, measured with the
 *     OpenBLAS 0.3.21 of this machine (DYNAMIC_ARCH picks its "Zen" = Haswell sgemm
 *     kernels on this AVX-512 EPYC): with 2 threads the level-3 driver hands each thread
 *     its own block of output columns, and how an element's K products are summed
 *     depends on where it falls in the blocks of the call: one FMA chain for most, two
 *     interleaved partial sums (even / odd k) for some. So ~10% of the elements of a
 *     96×120×200 product change their last bits between 1 and 2 threads (2 threads give
 *     exactly the bits of two 1-thread calls on the two column halves; a cut into 16-row
 *     calls changes ~25%). Single-threaded calls on pieces fixed by the shape avoid it.
 *   - Called from one thread, every kernel uses all OpenMP threads itself: large matrix
 *     products are cut into row (or column) pieces whose cut depends only on the shape,
 *     one single-threaded OpenBLAS call per piece, spread over the OpenMP threads
 *     (measured here: as fast as or faster than OpenBLAS's own threading, and no second
 *     thread pool competing for the cores); attention runs (example, head) pairs in
 *     parallel; other loops are OpenMP `parallel for` over independent items.
 *   - Called from several OpenMP chain threads at once (inside a parallel region),
 *     kernels run single-threaded in the calling thread (no nested parallelism,
 *     omp_in_parallel() is checked).
 *   - Reductions over rows / examples (bias, norm-parameter, embedding gradients) use
 *     fixed partitions summed in a fixed order. tests/test_nn_*.c check bitwise equality
 *     for (OpenMP threads, OpenBLAS threads set by the caller) = (1,1), (2,1), (1,2).
 *   - Kernels are reentrant (no static state); no thread is started per call beyond
 *     OpenMP's persistent pool; nothing is allocated.
 *
 * Memory guide: the conv im2col scratch is min(B, BC)·OH·OW·KH·KW·C reals, e.g. ResNet-18
 * stage 1 (16×16, 3×3×64) is 147,456 floats = 576 KiB per example: set d->BC (e.g. 32–64)
 * to bound it; chunks of ≥ 16 examples keep the products large enough to be efficient.
 * Attention keeps only lse[B·NH·T] between forward and backward (P is recomputed).
 *
 * ---------------------------------------------------------------------------------------
 * API SUMMARY (float versions; double versions: append _d to the name, float → double)
 * ---------------------------------------------------------------------------------------
 * Geometry (conv / pools), see nn_conv2d_dims below:
 *   int  nn_conv2d_dims_init(nn_conv2d_dims *d, H, W, C, OC, KH, KW, S, nn_padding pad)
 *   int  nn_conv2d_dims_init_pad(nn_conv2d_dims *d, H, W, C, OC, KH, KW, S, PT, PB, PL, PR)
 *   int  nn_pool_dims_init(nn_conv2d_dims *d, H, W, C, KH, KW, S, nn_padding pad)
 *   size_t nn_same_out(in, S);  nn_same_pad_before(in, K, S)        (SAME rule)
 * Dense:     y[N,OC] = x[N,IC] w[IC,OC] + b[OC]            (b may be NULL)
 *   nn_dense_forward (y, x, w, b, N, IC, OC)
 *   nn_dense_backward(dx, dw, db, dy, x, w, N, IC, OC)
 * Conv2d (NHWC, im2col + one sgemm per chunk of d->BC examples):
 *   size_t nn_conv2d_scratch_size(d, B)                              bytes
 *   nn_conv2d_forward (y, scratch, x, w, b, d, B)                    b may be NULL
 *   nn_conv2d_backward(dx, dw, db, scratch, dy, x, w, d, B)
 * Pools (d from nn_pool_dims_init; max-pool pads with -inf; avg-pool VALID only):
 *   nn_maxpool_forward (y, x, d, B)      nn_maxpool_backward(dx, dy, x, d, B)
 *   nn_avgpool_forward (y, x, d, B)      nn_avgpool_backward(dx, dy, d, B)
 *   nn_gap_forward(y[B,C], x[B,HW,C], B, HW, C)  nn_gap_backward(dx, dy, B, HW, C)
 * FRN + TLU (per example and channel; eps is a pointer to the learned scalar):
 *   nn_frn_forward (y, rstd[B*C], x, gamma, beta, tau, eps, B, HW, C)
 *   size_t nn_frn_scratch_size(B, C)
 *   nn_frn_backward(dx, dgamma, dbeta, dtau, deps, scratch, dy, x, rstd,
 *                   gamma, beta, tau, eps, B, HW, C)
 * LayerNorm over the last dim (b may be NULL; the ViT and the GPT use eps = 1e-6):
 *   nn_layernorm_forward (y, mean[N], rstd[N], x, g, b, N, C, eps)
 *   nn_layernorm_backward(dx, dg, db, dy, x, mean, rstd, g, N, C)
 * Activations (elementwise, n elements; forwards may run in place, y == x, but GELU's
 * backward needs the pre-activation x):
 *   nn_relu_forward(y, x, n)   nn_relu_backward(dx, dy, x, n)  (x may be the output y)
 *   nn_gelu_forward(y, x, n)   nn_gelu_backward(dx, dy, x, n)  (x = pre-activation)
 *   GELU: the tanh form, evaluated as x·σ(2u) (identical; no cancellation).
 * Residual add: nn_add_forward(y, a, b, n) (y may alias a or b); nn_add_backward(da, db, dy, n)
 * Embeddings (tokens int32 in [0, V)):
 *   nn_embedding_forward (y[N,C], tok[N], wte[V,C], N, C)
 *   nn_embedding_backward(dwte, tok, dy, N, C)
 *   nn_posemb_forward (y[B,T,C], x, wpe[T,C], B, T, C)     y = x + wpe[t]; y may alias x
 *   nn_posemb_backward(dx, dwpe, dy, B, T, C)
 * Class token (ViT) and token selection:
 *   nn_prepend_forward (y[B,T+1,C], x[B,T,C], tok[C], B, T, C)   y[b,0] = tok
 *   nn_prepend_backward(dx, dtok, dy, B, T, C)
 *   nn_select_forward (y[B,C], x[B,T,C], B, T, C, t)               y[b] = x[b,t]
 *   nn_select_backward(dx, dy, B, T, C, t)
 *   (patch embedding = nn_conv2d with KH = KW = S = 16, VALID; its output [B,OH,OW,C] is
 *    already the token sequence [B, OH*OW, C] in row-major patch order.)
 * Multi-head self-attention core on fused qkv[B,T,3C] = (q | k | v) (produce it with one
 * nn_dense C → 3C, w[C][3C]; fan_in C), head h uses columns h*C/NH ...
 * (h+1)*C/NH-1 of each (C % NH == 0); softmax(q kᵀ/√(C/NH)) v, optional causal mask:
 *   size_t nn_attention_scratch_size(T, NT)
 *   nn_attention_forward (out[B,T,C], lse[B*NH*T], scratch, qkv, B, T, C, NH, causal, NT)
 *   nn_attention_backward(dqkv, scratch, dout, qkv, lse, B, T, C, NH, causal, NT)
 * Softmax cross-entropy / categorical log-likelihood (labels int32; label < 0 = ignored):
 *   nn_xent_forward (ll[N] (double), logits[N,K], labels, N, K)   ll = log softmax(.)_y
 *   nn_xent_backward(dlogits, logits, labels, dll (double*, NULL = 1), scale, N, K)
 *                     dlogits += scale * dll[n] * (onehot(y_n) - softmax(logits_n))
 *   nn_log_softmax(logp[N,K] (double), logits, N, K)              for evaluation
 * Initialisation (docs/method.md, section 9.5):
 *   nn_init_lecun_normal(w, n, fan_in, rng); nn_init_normal(w, n, sd, rng)
 * Threads: nn_blas_serial()
 */
#ifndef SMILE_NN_KERNELS_H
#define SMILE_NN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "smile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Padding rule of a convolution / pool. VALID: none. SAME: output ⌈in/S⌉,
 * total padding P = max((out−1)·S + K − in, 0), ⌊P/2⌋ before and the rest after. */
typedef enum { NN_PAD_VALID = 0, NN_PAD_SAME = 1 } nn_padding;

/* Geometry of a 2-D convolution or pool on NHWC maps (the batch size B is passed to
 * each call, so one dims struct serves training and evaluation batches).
 * Output size: OH = (H + PT + PB − KH)/S + 1 (PB implied by OH); same for W.
 * Padded input positions are 0 for convolutions and −∞ for max-pool. */
typedef struct {
    size_t H, W, C;   /* input height, width, channels                        */
    size_t OC;        /* output channels (conv); = C for pools                */
    size_t KH, KW, S; /* kernel height, width; stride (both directions)        */
    size_t PT, PL;    /* padding before: top rows, left columns                */
    size_t OH, OW;    /* output height, width                                 */
    size_t BC;        /* conv: examples per im2col chunk, 0 = whole batch.
                         Scratch grows with BC; larger chunks give larger, more
                         efficient sgemm calls. Results do not depend on BC
                         except for the summation order of dw and db.          */
} nn_conv2d_dims;

/* SAME rule helpers. */
size_t nn_same_out(size_t in, size_t S);
size_t nn_same_pad_before(size_t in, size_t K, size_t S);

/* Fill *d; returns SMILE_OK or SMILE_EINVAL (zero sizes, kernel larger than padded input).
 * BC is set to 0 (whole batch); change it afterwards if needed. */
int nn_conv2d_dims_init(nn_conv2d_dims *d, size_t H, size_t W, size_t C, size_t OC, size_t KH,
                        size_t KW, size_t S, nn_padding pad);
/* Explicit padding (top, bottom, left, right), e.g. LeNet conv 1: 2, 2, 2, 2. */
int nn_conv2d_dims_init_pad(nn_conv2d_dims *d, size_t H, size_t W, size_t C, size_t OC,
                            size_t KH, size_t KW, size_t S, size_t PT, size_t PB, size_t PL,
                            size_t PR);
/* Pool geometry (OC = C). */
int nn_pool_dims_init(nn_conv2d_dims *d, size_t H, size_t W, size_t C, size_t KH, size_t KW,
                      size_t S, nn_padding pad);

/* Sets OpenBLAS (process-wide) to one thread if it is not; the kernels call it before
 * every BLAS call, so results never depend on OpenBLAS's thread setting. */
void nn_blas_serial(void);

/* LeCun-normal initialisation (docs/method.md, section 9.5): normal truncated to ±2
 * standard deviations and rescaled so that Var = 1/fan_in (stddev
 * sqrt(1/fan_in)/0.8796256610342398). */
void nn_init_lecun_normal(float *w, size_t n, size_t fan_in, smile_rng *rng);
/* w_i ~ N(0, sd²) (embeddings N(0, 1/C), ViT class token / position embedding N(0, 1)). */
void nn_init_normal(float *w, size_t n, double sd, smile_rng *rng);

/* The vectorisable float exp used by GELU and attention (exported for its test only):
 * relative error < 4·2⁻²⁴; arguments are clamped to [−87, 88] (saturates, never inf). */
float nn_expf_fast_(float a);

/* Kernel declarations, instantiated for float (nn_x) and double (nn_x_d). */
#define NN_R float
#define NN_F(name) nn_##name
#include "nn_api.inc"
#undef NN_R
#undef NN_F

#define NN_R double
#define NN_F(name) nn_##name##_d
#include "nn_api.inc"
#undef NN_R
#undef NN_F

#ifdef __cplusplus
}
#endif
#endif /* SMILE_NN_KERNELS_H */
