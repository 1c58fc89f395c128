/*
 * fcn_fast.c — the FCN (docs/experiments.md, section 3) log-likelihood gradient without BLAS calls.
 *
 * Why: the UCI networks are tiny (11 → 16 → 16 → 16 → 1 at batch 256: ~0.5 MFLOP per
 * gradient), so per-call overheads of BLAS and of the generic layer sequence dominate.
 * Here activations are stored feature-major, Hᵀ[width][Bp] with the batch padded to
 * Bp = 16·⌈B/16⌉ (padded lanes carry zeros and a zero output gradient), so every layer is
 * a small product whose long dimension (the batch) is the SIMD dimension:
 *   forward   Yᵀ[j,:] = b[j] + Σ_i W[i,j] Xᵀ[i,:]            (then ReLU for hidden layers)
 *   input     dXᵀ[i,:] = [Xᵀ[i,:] > 0] · Σ_j W[i,j] dYᵀ[j,:]  (mask of the previous ReLU)
 *   weights   dW[i,j] += Σ_n Xᵀ[i,n] dYᵀ[j,n],   db[j] += Σ_n dYᵀ[j,n]
 * with 4 output rows × 64 batch lanes (4 × 16 floats) of accumulators in registers.
 * The likelihood stage (Gaussian homo/heteroscedastic, categorical) works on the
 * contiguous output rows. Widths are padded to multiples of 4 (zero weights) in the
 * workspace, so no kernel needs a tail in the feature dimensions.
 * Summation orders are fixed (no threads), so results are deterministic.
 */
#include "model/fcn_internal.h"

#include <math.h>
#include <string.h>

#pragma GCC optimize("fp-contract=fast") /* FMAs; rounding only, not -ffast-math */
/* The vector helpers below are static: the ABI note GCC gives for 64-byte vector
 * arguments in builds without AVX-512 (e.g. the sanitizer build) does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* Lanes. The batch dimension is cut into blocks of 16 lanes; every lane does the same
 * arithmetic in the same order whatever the vector width and register blocking below, and
 * the only reduction over lanes (dW, db) keeps 16 partial sums, lane l taking rows
 * n ≡ l (mod 16), added in one fixed tree (hsum16). So the choices below change speed,
 * never results. With AVX-512 a native vector holds the 16 lanes; with AVX2 or less two
 * 8-float vectors do (GCC splits wider generic vectors badly: spills and lane inserts). */
#ifdef __AVX512F__
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
#define VL 16   /* floats per native vector                                        */
#define FF_JB 4 /* output rows (forward) / input rows (dX) per block                */
#define FF_NV 4 /* native vectors per block (forward, dX)                           */
#define FF_DWI 4 /* dW block: input rows × output rows                              */
#define FF_DWJ 4
#else
typedef float vf __attribute__((vector_size(32)));
typedef int32_t vi __attribute__((vector_size(32)));
#define VL 8
#define FF_JB 4
#define FF_NV 2
#define FF_DWI 2
#define FF_DWJ 2
#endif
#define VPB (16 / VL) /* native vectors per 16-lane block */
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

static inline vf vload(const float *p) {
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }

/* a where keep > 0, else +0 (bit mask; the vector ?: operator is C++ only). */
static inline vf where_pos(vf keep, vf a) {
    vi msk = keep > (vf){0};
    return (vf)((vi)a & msk);
}

/* Σ of one 16-lane block held in VPB native vectors, pairwise in a fixed order
 * (halves added level by level: 8 + 8, 4 + 4, then (0 + 2) + (1 + 3)). */
static inline float hsum16(const vf *a) {
    v8f l8, h8;
    memcpy(&l8, a, 32);
    memcpy(&h8, (const char *)a + 32, 32);
    l8 += h8;
    v4f l4, h4;
    memcpy(&l4, &l8, 16);
    memcpy(&h4, (const char *)&l8 + 16, 16);
    l4 += h4;
    return (l4[0] + l4[2]) + (l4[1] + l4[3]);
}

#define FF_MAXW 256 /* widest layer handled here (the generic path takes the rest) */

static size_t r4(size_t n) { return (n + 3) & ~(size_t)3; }
static size_t r16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Workspace layout (floats, all 64-byte aligned): padded weights of every layer
 * [r4(in)][r4(out)], biases [r4(out)], Xᵀ [r4(p)][Bp], Hᵀ_l [r4(out_l)][Bp] per layer,
 * two gradient buffers [r4(maxw)][Bp]. */
size_t mdl_fcn_fast_reals(const smile_model *m, size_t B) {
    const fcn_state *s = m->state;
    if (s->act != SMILE_ACT_RELU) return 0; /* the fused kernels are ReLU only */
    size_t Bp = r16(B), n = 0, wmax = r4(m->desc.n_inputs);
    for (size_t l = 0; l < s->layers; l++) {
        const mdl_dense *L = &s->layer[l];
        if (L->in > FF_MAXW || L->out > FF_MAXW) return 0;
        n += r16(r4(L->in) * r4(L->out)) + r16(r4(L->out)) + r4(L->out) * Bp;
        if (r4(L->out) > wmax) wmax = r4(L->out);
    }
    return n + r4(m->desc.n_inputs) * Bp + 2 * wmax * Bp;
}

/* Yᵀ (rows j0 .. j0+FF_JB−1) = bias + Wᵀ Xᵀ over NV native vectors from lane n0. */
#define FF_FWD_BLOCK(NAME, NV)                                                                  \
    static inline __attribute__((always_inline)) void NAME(                                     \
        float *yt, const float *xt, const float *w, const float *b, size_t in, size_t outp,      \
        size_t Bp, size_t j0, size_t n0, int relu) {                                            \
        vf acc[FF_JB][NV];                                                                      \
        _Pragma("GCC unroll 4") for (int j = 0; j < FF_JB; j++)                                 \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[j][v] = (vf){0} + b[j0 + j]; \
        for (size_t i = 0; i < in; i++) {                                                       \
            vf x[NV];                                                                           \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                \
                x[v] = vload(xt + i * Bp + n0 + VL * (size_t)v);                                \
            const float *wr = w + i * outp + j0;                                                \
            _Pragma("GCC unroll 4") for (int j = 0; j < FF_JB; j++) {                           \
                float wv = wr[j];                                                               \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[j][v] += wv * x[v];    \
            }                                                                                   \
        }                                                                                       \
        _Pragma("GCC unroll 4") for (int j = 0; j < FF_JB; j++)                                 \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {                              \
            vf a = acc[j][v];                                                                   \
            if (relu) a = where_pos(a, a);                                                      \
            vstore(yt + (j0 + (size_t)j) * Bp + n0 + VL * (size_t)v, a);                        \
        }                                                                                       \
    }
FF_FWD_BLOCK(fwd_bn, FF_NV)
FF_FWD_BLOCK(fwd_b1, 1)

/* Yᵀ[outp][Bp] = bias + Wᵀ Xᵀ (W [inp][outp] row-major, in rows used). */
static void ff_forward(float *yt, const float *xt, const float *w, const float *b, size_t in,
                       size_t outp, size_t Bp, int relu) {
    for (size_t j0 = 0; j0 < outp; j0 += FF_JB) {
        size_t n0 = 0;
        for (; n0 + VL * FF_NV <= Bp; n0 += VL * FF_NV) fwd_bn(yt, xt, w, b, in, outp, Bp, j0, n0, relu);
        for (; n0 < Bp; n0 += VL) fwd_b1(yt, xt, w, b, in, outp, Bp, j0, n0, relu);
    }
}

/* dXᵀ rows i0 .. i0+FF_JB−1 = mask · Σ_j W[i,j] dYᵀ[j,:]. */
#define FF_DX_BLOCK(NAME, NV)                                                                   \
    static inline __attribute__((always_inline)) void NAME(                                     \
        float *dxt, const float *dyt, const float *w, const float *xmask, size_t outp,          \
        size_t Bp, size_t i0, size_t n0) {                                                      \
        vf acc[FF_JB][NV];                                                                      \
        _Pragma("GCC unroll 4") for (int i = 0; i < FF_JB; i++)                                 \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[i][v] = (vf){0};           \
        for (size_t j = 0; j < outp; j++) {                                                     \
            vf g[NV];                                                                           \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                \
                g[v] = vload(dyt + j * Bp + n0 + VL * (size_t)v);                               \
            _Pragma("GCC unroll 4") for (int i = 0; i < FF_JB; i++) {                           \
                float wv = w[(i0 + (size_t)i) * outp + j];                                      \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[i][v] += wv * g[v];    \
            }                                                                                   \
        }                                                                                       \
        _Pragma("GCC unroll 4") for (int i = 0; i < FF_JB; i++)                                 \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {                              \
            size_t o = (i0 + (size_t)i) * Bp + n0 + VL * (size_t)v;                             \
            vstore(dxt + o, where_pos(vload(xmask + o), acc[i][v]));                            \
        }                                                                                       \
    }
FF_DX_BLOCK(dx_bn, FF_NV)
FF_DX_BLOCK(dx_b1, 1)

static void ff_backward_dx(float *dxt, const float *dyt, const float *w, const float *xmask,
                           size_t inp, size_t outp, size_t Bp) {
    for (size_t i0 = 0; i0 < inp; i0 += FF_JB) {
        size_t n0 = 0;
        for (; n0 + VL * FF_NV <= Bp; n0 += VL * FF_NV) dx_bn(dxt, dyt, w, xmask, outp, Bp, i0, n0);
        for (; n0 < Bp; n0 += VL) dx_b1(dxt, dyt, w, xmask, outp, Bp, i0, n0);
    }
}

/* dW[i][j] += Σ_n Xᵀ[i,n] dYᵀ[j,n] for i < in, j < out (W unpadded [in][out] in grad);
 * db[j] += Σ_n dYᵀ[j,n]. Per (i, j): 16 lane partial sums, then hsum16. */
static void ff_backward_dw(float *dw, float *db, const float *xt, const float *dyt, size_t in,
                           size_t out, size_t inp, size_t outp, size_t Bp) {
    for (size_t i0 = 0; i0 < inp; i0 += FF_DWI)
        for (size_t j0 = 0; j0 < outp; j0 += FF_DWJ) {
            vf acc[FF_DWI][FF_DWJ][VPB];
            for (int i = 0; i < FF_DWI; i++)
                for (int j = 0; j < FF_DWJ; j++)
                    for (int u = 0; u < VPB; u++) acc[i][j][u] = (vf){0};
            for (size_t n0 = 0; n0 < Bp; n0 += 16) {
                _Pragma("GCC unroll 2") for (int u = 0; u < VPB; u++) {
                    vf x[FF_DWI];
                    _Pragma("GCC unroll 4") for (int i = 0; i < FF_DWI; i++)
                        x[i] = vload(xt + (i0 + (size_t)i) * Bp + n0 + VL * (size_t)u);
                    _Pragma("GCC unroll 4") for (int j = 0; j < FF_DWJ; j++) {
                        vf g = vload(dyt + (j0 + (size_t)j) * Bp + n0 + VL * (size_t)u);
                        _Pragma("GCC unroll 4") for (int i = 0; i < FF_DWI; i++) acc[i][j][u] += x[i] * g;
                    }
                }
            }
            for (size_t i = i0; i < i0 + FF_DWI && i < in; i++)
                for (size_t j = j0; j < j0 + FF_DWJ && j < out; j++)
                    dw[i * out + j] += hsum16(acc[i - i0][j - j0]);
        }
    for (size_t j = 0; j < out; j++) {
        vf a[VPB];
        for (int u = 0; u < VPB; u++) a[u] = (vf){0};
        for (size_t n0 = 0; n0 < Bp; n0 += 16)
            for (int u = 0; u < VPB; u++) a[u] += vload(dyt + j * Bp + n0 + VL * (size_t)u);
        db[j] += hsum16(a);
    }
}

int mdl_fcn_fast_loglik_grad(const smile_model *m, smile_model_workspace *ws, const float *theta,
                             const smile_data_view *data, const uint32_t *idx, size_t n,
                             double scale, double *loglik, float *grad) {
    const fcn_state *s = m->state;
    const fcn_ws *aw = ws->aws;
    if (!aw || !aw->fast_reals || !theta || !loglik) return 0;
    if (smile_model_check_data(m, data, idx, n, 1, NULL, 0) != SMILE_OK) return 0;
    const size_t L = s->layers, P = m->desc.n_inputs, Bp = r16(ws->B);
    float *base = (float *)ws->mem + aw->fast;
    /* carve the region (same order as mdl_fcn_fast_reals) */
    float *wpad[SMILE_MODEL_MAX_HIDDEN + 1], *bpad[SMILE_MODEL_MAX_HIDDEN + 1];
    float *h[SMILE_MODEL_MAX_HIDDEN + 1];
    float *p = base;
    size_t wmax = r4(P);
    for (size_t l = 0; l < L; l++) {
        const mdl_dense *D = &s->layer[l];
        wpad[l] = p;
        p += r16(r4(D->in) * r4(D->out));
        bpad[l] = p;
        p += r16(r4(D->out));
        h[l] = p;
        p += r4(D->out) * Bp;
        if (r4(D->out) > wmax) wmax = r4(D->out);
    }
    float *xt = p, *ga = p + r4(P) * Bp, *gb = ga + wmax * Bp;
    /* padded copies of the weights (zero rows/columns beyond in/out) */
    for (size_t l = 0; l < L; l++) {
        const mdl_dense *D = &s->layer[l];
        size_t op = r4(D->out);
        memset(wpad[l], 0, r4(D->in) * op * sizeof(float));
        memset(bpad[l], 0, op * sizeof(float));
        for (size_t i = 0; i < D->in; i++)
            memcpy(wpad[l] + i * op, theta + D->w + i * D->out, D->out * sizeof(float));
        memcpy(bpad[l], theta + D->b, D->out * sizeof(float));
    }
    const float t_ls = m->lik == SMILE_LIK_GAUSS_HOMO ? theta[m->log_sigma] : 0.0f;
    const mdl_dense *last = &s->layer[L - 1];
    size_t K = last->out;
    double ll = 0, dt_sum = 0;
    for (size_t c0 = 0; c0 < n; c0 += ws->B) {
        /* The kernels take one lane count that is also the row stride, so a
         * partial chunk still runs over all Bp lanes: the padding lanes hold
         * zero inputs and get a zero output gradient, so they add nothing. */
        size_t nb = n - c0 < ws->B ? n - c0 : ws->B;
        /* Xᵀ [r4(P)][Bp]: gathered rows, zero padding lanes and rows */
        memset(xt, 0, r4(P) * Bp * sizeof(float));
        for (size_t k = 0; k < nb; k++) {
            const float *row = data->x + (size_t)(idx ? idx[c0 + k] : c0 + k) * P;
            for (size_t i = 0; i < P; i++) xt[i * Bp + k] = row[i];
        }
        const float *x = xt;
        for (size_t l = 0; l < L; l++) {
            const mdl_dense *D = &s->layer[l];
            ff_forward(h[l], x, wpad[l], bpad[l], D->in, r4(D->out), Bp, l + 1 < L);
            x = h[l];
        }
        /* likelihood on the output rows; dYᵀ of the last layer into ga (padding lanes 0) */
        const float *out = h[L - 1];
        memset(ga, 0, r4(K) * Bp * sizeof(float));
        if (m->lik == SMILE_LIK_CATEGORICAL) {
            for (size_t k = 0; k < nb; k++) {
                double mx = -INFINITY, se = 0;
                for (size_t j = 0; j < K; j++) mx = fmax(mx, out[j * Bp + k]);
                for (size_t j = 0; j < K; j++) se += exp(out[j * Bp + k] - mx);
                double lse = mx + log(se);
                int32_t y = data->labels[idx ? idx[c0 + k] : c0 + k];
                ll += out[(size_t)y * Bp + k] - lse;
                for (size_t j = 0; j < K; j++)
                    ga[j * Bp + k] =
                        (float)(scale * ((j == (size_t)y) - exp(out[j * Bp + k] - lse)));
            }
        } else if (m->student_nu > 0 && s->softplus) {
            /* the table default's head, vectorised over the rows (likelihood.h); gb is free
             * until the backward pass and holds wmax ≥ 4 rows of Bp floats: y [Bp floats],
             * then log f per row [Bp doubles] */
            float *yb = gb;
            double *lp = (double *)(void *)(gb + Bp); /* 64-byte aligned: Bp is a multiple of 16 */
            for (size_t k = 0; k < nb; k++) yb[k] = data->y[idx ? idx[c0 + k] : c0 + k];
            smile_student_softplus_rows(yb, out, out + Bp, nb, m->student_nu, m->student_c, scale,
                                        lp, ga, ga + Bp);
            for (size_t k = 0; k < nb; k++) ll += lp[k]; /* in row order, as below */
        } else {
            for (size_t k = 0; k < nb; k++) {
                double y = data->y[idx ? idx[c0 + k] : c0 + k], dmu, dt;
                double t = m->lik == SMILE_LIK_GAUSS_HOMO ? t_ls : out[Bp + k];
                /* softplus: σ straight from η (the generic passes round t = log σ to a
                 * float in between: the two agree to float rounding) */
                if (m->student_nu > 0) /* heteroscedastic only (checked at build) */
                    ll += s->softplus ? smile_student_logpdf_softplus(y, out[k], t, m->student_nu,
                                                                      m->student_c, &dmu, &dt)
                                      : smile_student_logpdf_t(y, out[k], t, m->student_nu,
                                                               m->student_c, &dmu, &dt);
                else
                    ll += s->softplus ? smile_gauss_logpdf_softplus(y, out[k], t, &dmu, &dt)
                                      : smile_gauss_logpdf_t(y, out[k], t, &dmu, &dt);
                ga[k] = (float)(scale * dmu);
                if (m->lik == SMILE_LIK_GAUSS_HOMO)
                    dt_sum += dt;
                else
                    ga[Bp + k] = (float)(scale * dt);
            }
        }
        if (!grad) continue;
        /* backward, last layer first; ga/gb alternate as dYᵀ / dXᵀ */
        float *dy = ga, *dx = gb;
        for (size_t l = L; l-- > 0;) {
            const mdl_dense *D = &s->layer[l];
            const float *xin = l ? h[l - 1] : xt;
            ff_backward_dw(grad + D->w, grad + D->b, xin, dy, D->in, D->out, r4(D->in),
                           r4(D->out), Bp);
            if (l == 0) break;
            ff_backward_dx(dx, dy, wpad[l], xin, r4(D->in), r4(D->out), Bp);
            float *t = dy;
            dy = dx;
            dx = t;
        }
    }
    if (grad && m->lik == SMILE_LIK_GAUSS_HOMO) grad[m->log_sigma] += (float)(scale * dt_sum);
    *loglik = ll;
    return 1;
}
