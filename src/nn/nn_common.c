/* nn_common.c — precision-independent parts of the nn kernels: convolution / pool
 * geometry (the SAME rule of docs/experiments.md, section 3), OpenBLAS thread control
 * and the initialisers of docs/method.md, section 9.5. */
#include "nn/nn.h"

#include <cblas.h>
#include <math.h>

size_t nn_same_out(size_t in, size_t S) { return S ? (in + S - 1) / S : 0; }

/* Total padding P = max((out − 1)·S + K − in, 0); ⌊P/2⌋ goes before. */
static size_t same_total(size_t in, size_t K, size_t S) {
    size_t out = nn_same_out(in, S);
    if (out == 0) return 0;
    size_t need = (out - 1) * S + K;
    return need > in ? need - in : 0;
}

size_t nn_same_pad_before(size_t in, size_t K, size_t S) { return same_total(in, K, S) / 2; }

int nn_conv2d_dims_init_pad(nn_conv2d_dims *d, size_t H, size_t W, size_t C, size_t OC,
                            size_t KH, size_t KW, size_t S, size_t PT, size_t PB, size_t PL,
                            size_t PR) {
    if (!d || !H || !W || !C || !OC || !KH || !KW || !S) return SMILE_EINVAL;
    /* A padding as large as the kernel would create windows that see only padding. */
    if (PT >= KH || PB >= KH || PL >= KW || PR >= KW) return SMILE_EINVAL;
    if (H + PT + PB < KH || W + PL + PR < KW) return SMILE_EINVAL;
    d->H = H;
    d->W = W;
    d->C = C;
    d->OC = OC;
    d->KH = KH;
    d->KW = KW;
    d->S = S;
    d->PT = PT;
    d->PL = PL;
    d->OH = (H + PT + PB - KH) / S + 1;
    d->OW = (W + PL + PR - KW) / S + 1;
    d->BC = 0;
    return SMILE_OK;
}

int nn_conv2d_dims_init(nn_conv2d_dims *d, size_t H, size_t W, size_t C, size_t OC, size_t KH,
                        size_t KW, size_t S, nn_padding pad) {
    if (!S) return SMILE_EINVAL;
    if (pad == NN_PAD_VALID) return nn_conv2d_dims_init_pad(d, H, W, C, OC, KH, KW, S, 0, 0, 0, 0);
    if (pad != NN_PAD_SAME) return SMILE_EINVAL;
    size_t ph = same_total(H, KH, S), pw = same_total(W, KW, S);
    int st = nn_conv2d_dims_init_pad(d, H, W, C, OC, KH, KW, S, ph / 2, ph - ph / 2, pw / 2,
                                     pw - pw / 2);
    /* With SAME the output must be ⌈in/S⌉ (holds by construction; checked anyway). */
    if (st == SMILE_OK && (d->OH != nn_same_out(H, S) || d->OW != nn_same_out(W, S)))
        return SMILE_EINVAL;
    return st;
}

int nn_pool_dims_init(nn_conv2d_dims *d, size_t H, size_t W, size_t C, size_t KH, size_t KW,
                      size_t S, nn_padding pad) {
    return nn_conv2d_dims_init(d, H, W, C, C, KH, KW, S, pad);
}

/* OpenBLAS runs single-threaded under every kernel: its threaded sgemm gives other bits
 * than its single-threaded one (see nn_blas_serial in nn.h), and the kernels spread large
 * products over the OpenMP threads themselves. Only a caller that changed the setting
 * pays for the second call. */
void nn_blas_serial(void) {
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

/* Standard deviation of N(0,1) truncated to [−2, 2]: JAX's variance_scaling divides by
 * it so that the truncated draw has variance exactly scale/fan_in. */
#define NN_TRUNC2_SD 0.87962566103423978

void nn_init_lecun_normal(float *w, size_t n, size_t fan_in, smile_rng *rng) {
    double sd = sqrt(1.0 / (double)(fan_in ? fan_in : 1)) / NN_TRUNC2_SD;
    for (size_t i = 0; i < n; i++) {
        double z;
        do z = smile_rng_normal(rng);
        while (fabs(z) > 2.0);
        w[i] = (float)(z * sd);
    }
}

void nn_init_normal(float *w, size_t n, double sd, smile_rng *rng) {
    for (size_t i = 0; i < n; i++) w[i] = (float)(sd * smile_rng_normal(rng));
}
