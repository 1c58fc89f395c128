/*
 * conv_direct.c — direct (no im2col) float convolution for stride-1 layers with few
 * channels, as in LeNet (1→6, 6→16, 5×5) and the first ResNet-7 layer (3→32).
 *
 * Why: im2col + sgemm is memory-bound for these shapes (a 25-column unfolded matrix
 * per output pixel and a GEMM whose N dimension is 6 or 16); unfolding and packing
 * take most of the time. Here every output pixel keeps its OC outputs in SIMD registers
 * (OC padded to OCP = 8, 16 or 32 lanes, zero weights in the padding) and the taps are
 * read straight from a zero-padded copy of the example, so each input value is loaded
 * once per tap and the work is FMAs.
 *
 * Equations (NHWC, x[b,h,w,c], w[kh,kw,c,oc], stride 1, padding PT/PL before):
 *   forward  y[b,oh,ow,oc]  = bias[oc] + Σ_{kh,kw,c} xpad[b, oh+kh, ow+kw, c] w[kh,kw,c,oc]
 *   input    dx[b,ih,iw,c] += Σ_{kh,kw,oc} dypad[b, ih+kh, iw+kw, oc] w[KH-1-kh,KW-1-kw,c,oc]
 *            (the forward kernel applied to dy with the flipped, transposed kernel and
 *            padding KH-1-PT / KW-1-PL: a "full" correlation)
 *   weights  dw[kh,kw,c,oc] += Σ_{b,oh,ow} xpad[b, oh+kh, ow+kw, c] dy[b,oh,ow,oc]
 *   bias     db[oc]         += Σ_{b,oh,ow} dy[b,oh,ow,oc]
 * Determinism: examples are cut into CD_CHUNKS fixed chunks (independent of the thread
 * count); each chunk sums its examples in order into double partials, and the partials
 * are added in chunk order. Accumulation inside one example is float.
 */
#include "model/conv_direct.h"

#include <omp.h>

/* Contract a*b+c into FMAs in this file (ISO C mode defaults to no contraction); this only
 * changes rounding (one rounding instead of two), it is not -ffast-math. */
#pragma GCC optimize("fp-contract=fast")
#include <string.h>

#define CD_CHUNKS 16
#define CD_TB 8 /* taps per register block of the weight-gradient kernel */

typedef float v8f __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));

static size_t ocp_of(size_t oc) { return oc <= 8 ? 8 : oc <= 16 ? 16 : 32; }

int mdl_convd_ok(const nn_conv2d_dims *d) {
    return d->S == 1 && d->OC <= 32 && d->C <= 32 && d->KH * d->KW * d->C <= 4096;
}

/* Geometry of the zero-padded example: HP × WP × C with the PT rows / PL columns before. */
typedef struct {
    size_t H, W, C, OH, OW, KH, KW, PT, PL, HP, WP, OC, OCP, KK, KKP;
} cd_geo;

static cd_geo geo_fwd(const nn_conv2d_dims *d) {
    cd_geo g;
    g.H = d->H, g.W = d->W, g.C = d->C, g.OH = d->OH, g.OW = d->OW, g.KH = d->KH, g.KW = d->KW;
    g.PT = d->PT, g.PL = d->PL, g.OC = d->OC, g.OCP = ocp_of(d->OC);
    g.HP = d->OH + d->KH - 1, g.WP = d->OW + d->KW - 1; /* stride 1 */
    g.KK = d->KH * d->KW * d->C;
    g.KKP = (g.KK + CD_TB - 1) / CD_TB * CD_TB;
    return g;
}

/* The dx problem as a forward convolution of dy (OC → C channels). */
static cd_geo geo_bwd(const nn_conv2d_dims *d) {
    cd_geo g;
    g.H = d->OH, g.W = d->OW, g.C = d->OC, g.OH = d->H, g.OW = d->W, g.KH = d->KH, g.KW = d->KW;
    g.PT = d->KH - 1 - d->PT, g.PL = d->KW - 1 - d->PL, g.OC = d->C, g.OCP = ocp_of(d->C);
    g.HP = g.OH + g.KH - 1, g.WP = g.OW + g.KW - 1;
    g.KK = d->KH * d->KW * d->OC;
    g.KKP = (g.KK + CD_TB - 1) / CD_TB * CD_TB;
    return g;
}

static size_t al16(size_t n) { return (n + 15) & ~(size_t)15; }

/* Scratch layout (floats): packed weights [KK][OCP] | per-thread padded example |
 * per-thread padded dy [OH·OW][OCP] | per-chunk double partials [KKP·OCP + OCP]. */
size_t mdl_convd_scratch_size(const nn_conv2d_dims *d, size_t NT) {
    cd_geo f = geo_fwd(d), b = geo_bwd(d);
    size_t wpk = al16(f.KK * f.OCP) > al16(b.KK * b.OCP) ? al16(f.KK * f.OCP) : al16(b.KK * b.OCP);
    size_t pad = al16(f.HP * f.WP * f.C) > al16(b.HP * b.WP * b.C) ? al16(f.HP * f.WP * f.C)
                                                                   : al16(b.HP * b.WP * b.C);
    size_t dyp = al16(f.OH * f.OW * f.OCP + f.OCP);
    size_t part = CD_CHUNKS * (f.KKP * f.OCP + f.OCP) * 2; /* doubles as 2 floats */
    return (wpk + NT * (pad + dyp) + part) * sizeof(float) + 64;
}

/* The example x[H][W][C] as a zero-padded xp[HP][WP][C] (PT rows, PL columns before).
 * Without padding the example itself is returned (no copy); otherwise only the border
 * is zeroed and the rows are copied into buf. */
static const float *pad_example(float *buf, const float *x, const cd_geo *g) {
    if (g->HP == g->H && g->WP == g->W) return x;
    const size_t C = g->C, WP = g->WP, rowb = g->W * C * sizeof(float);
    size_t h_end = g->PT + g->H; /* first bottom padding row */
    memset(buf, 0, g->PT * WP * C * sizeof(float));
    for (size_t h = 0; h < g->H; h++) {
        float *r = buf + (h + g->PT) * WP * C;
        memset(r, 0, g->PL * C * sizeof(float));
        memcpy(r + g->PL * C, x + h * g->W * C, rowb);
        memset(r + (g->PL + g->W) * C, 0, (WP - g->PL - g->W) * C * sizeof(float));
    }
    memset(buf + h_end * WP * C, 0, (g->HP - h_end) * WP * C * sizeof(float));
    return buf;
}

/* ---- forward kernel: PB pixels × OCP lanes in registers ----------------------------- */

/* One block of PB consecutive output pixels q0 .. q0+PB-1 in row-major (oh, ow) order
 * (a block may wrap to the next row: each pixel has its own base pointer). xp is the
 * padded example, wp[KK][NV] the packed weights, off[t] the offset of tap t relative to
 * the window's top-left element. acc starts at bias (or 0); acc_in adds to y. */
#define CD_BLOCK(NAME, VT, VL, NV, PB)                                                          \
    static inline __attribute__((always_inline)) void NAME(                                     \
        float *y, const float *xp, const VT *wp, const VT *bias, const size_t *off,             \
        const cd_geo *g, size_t q0, int acc_in) {                                               \
        VT acc[PB][NV];                                                                         \
        const float *bp[PB];                                                                    \
        _Pragma("GCC unroll 8") for (int p = 0; p < PB; p++) {                                  \
            size_t q = q0 + (size_t)p;                                                          \
            bp[p] = xp + ((q / g->OW) * g->WP + q % g->OW) * g->C;                              \
            _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) acc[p][v] = bias[v];           \
        }                                                                                       \
        for (size_t t = 0; t < g->KK; t++) {                                                    \
            size_t ot = off[t];                                                                 \
            VT w0 = wp[t * NV], w1 = wp[t * NV + (NV - 1)];                                     \
            _Pragma("GCC unroll 8") for (int p = 0; p < PB; p++) {                              \
                float xv = bp[p][ot];                                                           \
                acc[p][0] += xv * w0;                                                           \
                if (NV > 1) acc[p][NV - 1] += xv * w1;                                          \
            }                                                                                   \
        }                                                                                       \
        for (int p = 0; p < PB; p++) {                                                          \
            float tmp[VL * NV];                                                                 \
            memcpy(tmp, acc[p], sizeof tmp);                                                    \
            float *yo = y + (q0 + (size_t)p) * g->OC;                                           \
            /* element loops, not memcpy: OC is small and a library call per pixel costs \
             * more than the copy */                                                            \
            if (acc_in)                                                                         \
                for (size_t c = 0; c < g->OC; c++) yo[c] += tmp[c];                             \
            else                                                                                \
                for (size_t c = 0; c < g->OC; c++) yo[c] = tmp[c];                              \
        }                                                                                       \
    }

/* All OH·OW pixels of one example: blocks of PBMAX, then 4, 2, 1 for the tail. */
#define CD_FWD_EXAMPLE(NAME, VT, VL, NV, PBMAX)                                                 \
    CD_BLOCK(NAME##_b8, VT, VL, NV, PBMAX)                                                      \
    CD_BLOCK(NAME##_b4, VT, VL, NV, 4)                                                          \
    CD_BLOCK(NAME##_b2, VT, VL, NV, 2)                                                          \
    CD_BLOCK(NAME##_b1, VT, VL, NV, 1)                                                          \
    static void NAME(float *y, const float *xp, const VT *wp, const VT *bias, const size_t *off, \
                     const cd_geo *g, int acc_in) {                                             \
        size_t Q = g->OH * g->OW, q = 0;                                                        \
        for (; q + PBMAX <= Q; q += PBMAX) NAME##_b8(y, xp, wp, bias, off, g, q, acc_in);       \
        if (PBMAX > 4 && q + 4 <= Q) {                                                          \
            NAME##_b4(y, xp, wp, bias, off, g, q, acc_in);                                      \
            q += 4;                                                                             \
        }                                                                                       \
        if (q + 2 <= Q) {                                                                       \
            NAME##_b2(y, xp, wp, bias, off, g, q, acc_in);                                      \
            q += 2;                                                                             \
        }                                                                                       \
        if (q < Q) NAME##_b1(y, xp, wp, bias, off, g, q, acc_in);                               \
    }

CD_FWD_EXAMPLE(fwd8, v8f, 8, 1, 8)
CD_FWD_EXAMPLE(fwd16, v16f, 16, 1, 8)
CD_FWD_EXAMPLE(fwd32, v16f, 16, 2, 4)

/* Tap offsets of the window (kh, kw, c) in the padded example, t = (kh·KW + kw)·C + c;
 * entries KK..KKP-1 (padding taps of the weight-gradient kernel) point at tap 0. */
static void tap_offsets(size_t *off, const cd_geo *g) {
    size_t t = 0;
    for (size_t kh = 0; kh < g->KH; kh++)
        for (size_t kw = 0; kw < g->KW; kw++)
            for (size_t c = 0; c < g->C; c++) off[t++] = (kh * g->WP + kw) * g->C + c;
    for (; t < g->KKP; t++) off[t] = 0;
}

/* Forward-type convolution of B examples x[B][H][W][C] → y[B][OH][OW][OC] with packed
 * weights wp[KK][OCP] (bias NULL = 0; acc_in: y += instead of y =). */
static void conv_run(float *y, const float *x, const float *wp, const float *bias,
                     const cd_geo *g, size_t B, float *pad_base, size_t pad_stride, int acc_in,
                     size_t NT) {
    size_t off[4096 + CD_TB];
    tap_offsets(off, g);
    float bvec[32] __attribute__((aligned(64)));
    memset(bvec, 0, sizeof bvec);
    if (bias) memcpy(bvec, bias, g->OC * sizeof(float));
    size_t in_sz = g->H * g->W * g->C, out_sz = g->OH * g->OW * g->OC;
#pragma omp parallel for schedule(static) num_threads(NT) if (B > 1 && B * out_sz * g->KK > 100000)
    for (size_t b = 0; b < B; b++) {
        const float *xp = pad_example(pad_base + (size_t)omp_get_thread_num() * pad_stride,
                                      x + b * in_sz, g);
        float *yb = y + b * out_sz;
        if (g->OCP == 8)
            fwd8(yb, xp, (const v8f *)wp, (const v8f *)bvec, off, g, acc_in);
        else if (g->OCP == 16)
            fwd16(yb, xp, (const v16f *)wp, (const v16f *)bvec, off, g, acc_in);
        else
            fwd32(yb, xp, (const v16f *)wp, (const v16f *)bvec, off, g, acc_in);
    }
}

typedef struct {
    float *wpk, *pad, *dyp;
    double *part;
    size_t pad_stride, dyp_stride;
} cd_scratch;

static cd_scratch carve(void *scratch, const nn_conv2d_dims *d, size_t NT) {
    cd_geo f = geo_fwd(d), b = geo_bwd(d);
    size_t wpk = al16(f.KK * f.OCP) > al16(b.KK * b.OCP) ? al16(f.KK * f.OCP) : al16(b.KK * b.OCP);
    size_t pad = al16(f.HP * f.WP * f.C) > al16(b.HP * b.WP * b.C) ? al16(f.HP * f.WP * f.C)
                                                                   : al16(b.HP * b.WP * b.C);
    size_t dyp = al16(f.OH * f.OW * f.OCP + f.OCP);
    float *s = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    cd_scratch c;
    c.wpk = s;
    c.pad = s + wpk;
    c.pad_stride = pad;
    c.dyp = c.pad + NT * pad;
    c.dyp_stride = dyp;
    c.part = (double *)(c.dyp + NT * dyp);
    return c;
}

void mdl_convd_forward(float *y, void *scratch, const float *x, const float *w, const float *b,
                       const nn_conv2d_dims *d, size_t B, size_t NT) {
    cd_geo g = geo_fwd(d);
    cd_scratch s = carve(scratch, d, NT);
    /* pack w[KK][OC] → wp[KK][OCP] (zero lanes beyond OC) */
    memset(s.wpk, 0, g.KK * g.OCP * sizeof(float));
    for (size_t t = 0; t < g.KK; t++) memcpy(s.wpk + t * g.OCP, w + t * g.OC, g.OC * sizeof(float));
    conv_run(y, x, s.wpk, b, &g, B, s.pad, s.pad_stride, 0, NT);
}

/* ---- weight gradient: CD_TB taps × OCP lanes in registers over all pixels ------------ */

#define CD_DW(NAME, VT, VL, NV)                                                                 \
    static void NAME(double *part, const float *xp, const float *dyp, size_t ldy,               \
                     const size_t *off, const cd_geo *g) {                                      \
        for (size_t t0 = 0; t0 < g->KKP; t0 += CD_TB) {                                         \
            VT acc[CD_TB][NV];                                                                  \
            size_t o[CD_TB];                                                                    \
            _Pragma("GCC unroll 8") for (int t = 0; t < CD_TB; t++) {                           \
                o[t] = off[t0 + (size_t)t];                                                     \
                _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) acc[t][v] = (VT){0};       \
            }                                                                                   \
            for (size_t oh = 0; oh < g->OH; oh++) {                                             \
                const float *row = xp + oh * g->WP * g->C;                                      \
                const float *gy = dyp + oh * g->OW * ldy;                                       \
                for (size_t ow = 0; ow < g->OW; ow++) {                                         \
                    const float *xw = row + ow * g->C;                                          \
                    VT g0, g1;                                                                  \
                    memcpy(&g0, gy + ow * ldy, sizeof g0);                                      \
                    memcpy(&g1, gy + ow * ldy + (NV - 1) * VL, sizeof g1);                      \
                    _Pragma("GCC unroll 8") for (int t = 0; t < CD_TB; t++) {                   \
                        float xv = xw[o[t]];                                                    \
                        acc[t][0] += xv * g0;                                                   \
                        if (NV > 1) acc[t][NV - 1] += xv * g1;                                  \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
            for (int t = 0; t < CD_TB; t++) {                                                   \
                float tmp[VL * NV];                                                             \
                memcpy(tmp, acc[t], sizeof tmp);                                                \
                double *pt = part + (t0 + (size_t)t) * g->OCP;                                  \
                for (size_t c = 0; c < g->OCP; c++) pt[c] += tmp[c];                            \
            }                                                                                   \
        }                                                                                       \
    }

CD_DW(dw8, v8f, 8, 1)
CD_DW(dw16, v16f, 16, 1)
CD_DW(dw32, v16f, 16, 2)

/* bsum[c] = Σ_p dyp[p·ld + c] for OCP (multiple of 8) lanes: two register accumulators
 * per group of 8 lanes, even and odd pixels, added at the end (fixed order). */
static void colsum8(float *bsum, const float *dyp, size_t P, size_t ld, size_t OCP) {
    for (size_t c0 = 0; c0 < OCP; c0 += 8) {
        v8f a0 = {0}, a1 = {0}, r0, r1;
        size_t p = 0;
        for (; p + 1 < P; p += 2) {
            memcpy(&r0, dyp + p * ld + c0, 32);
            memcpy(&r1, dyp + (p + 1) * ld + c0, 32);
            a0 += r0;
            a1 += r1;
        }
        if (p < P) {
            memcpy(&r0, dyp + p * ld + c0, 32);
            a0 += r0;
        }
        a0 += a1;
        memcpy(bsum + c0, &a0, 32);
    }
}

void mdl_convd_backward(float *dx, float *dw, float *db, void *scratch, const float *dy,
                        const float *x, const float *w, const nn_conv2d_dims *d, size_t B,
                        size_t NT) {
    cd_geo g = geo_fwd(d);
    cd_scratch s = carve(scratch, d, NT);
    size_t in_sz = g.H * g.W * g.C, P = g.OH * g.OW, plen = g.KKP * g.OCP + g.OCP;
    if (dw || db) {
        size_t off[4096 + CD_TB];
        tap_offsets(off, &g);
        memset(s.part, 0, CD_CHUNKS * plen * sizeof(double));
#pragma omp parallel for schedule(static) num_threads(NT) if (B > 1 && B * P * g.KK > 100000)
        for (size_t ch = 0; ch < CD_CHUNKS; ch++) {
            size_t tid = (size_t)omp_get_thread_num();
            float *pad = s.pad + tid * s.pad_stride, *dyp = s.dyp + tid * s.dyp_stride;
            double *part = s.part + ch * plen, *pb = part + g.KKP * g.OCP;
            for (size_t b = B * ch / CD_CHUNKS; b < B * (ch + 1) / CD_CHUNKS; b++) {
                const float *dyb = dy + b * P * g.OC;
                /* dy of the example, row stride OC, followed by OCP zeros: the kernels
                 * load OCP lanes per pixel, lanes ≥ OC read the next pixel (or the zeros)
                 * and their results are discarded (lanes never mix). Bias partial: float
                 * sum over the example's pixels, then double across examples. */
                float bsum[32] __attribute__((aligned(64)));
                memcpy(dyp, dyb, P * g.OC * sizeof(float));
                memset(dyp + P * g.OC, 0, g.OCP * sizeof(float));
                colsum8(bsum, dyp, P, g.OC, g.OCP);
                for (size_t c = 0; c < g.OC; c++) pb[c] += bsum[c];
                if (!dw) continue;
                const float *xp = pad_example(pad, x + b * in_sz, &g);
                if (g.OCP == 8)
                    dw8(part, xp, dyp, g.OC, off, &g);
                else if (g.OCP == 16)
                    dw16(part, xp, dyp, g.OC, off, &g);
                else
                    dw32(part, xp, dyp, g.OC, off, &g);
            }
        }
        for (size_t ch = 0; ch < CD_CHUNKS; ch++) {
            const double *part = s.part + ch * plen;
            if (dw)
                for (size_t t = 0; t < g.KK; t++)
                    for (size_t c = 0; c < g.OC; c++) dw[t * g.OC + c] += (float)part[t * g.OCP + c];
            if (db)
                for (size_t c = 0; c < g.OC; c++) db[c] += (float)part[g.KKP * g.OCP + c];
        }
    }
    if (dx) {
        /* flipped, transposed kernel wT[kh][kw][oc][c] = w[KH-1-kh][KW-1-kw][c][oc] */
        cd_geo gb = geo_bwd(d);
        memset(s.wpk, 0, gb.KK * gb.OCP * sizeof(float));
        for (size_t kh = 0; kh < g.KH; kh++)
            for (size_t kw = 0; kw < g.KW; kw++)
                for (size_t oc = 0; oc < g.OC; oc++)
                    for (size_t c = 0; c < g.C; c++)
                        s.wpk[((kh * g.KW + kw) * g.OC + oc) * gb.OCP + c] =
                            w[(((g.KH - 1 - kh) * g.KW + (g.KW - 1 - kw)) * g.C + c) * g.OC + oc];
        conv_run(dx, dy, s.wpk, NULL, &gb, B, s.pad, s.pad_stride, 1, NT);
    }
}
