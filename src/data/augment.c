/* "basic" image augmentation of docs/method.md, section 9.6 (DE training only).
 *
 * Per image, independently, with the caller's stream (so each DE member /
 * chain has its own draws and results do not depend on threads):
 *   1. with probability 0.5 mirror left–right;
 *   2. with probability 0.95 crop h × w = ⌊0.7H⌋ × ⌊0.7W⌋ at a uniform integer
 *      offset (row in [0, H−h], column in [0, W−w]) and resize it back to
 *      H × W with bilinear interpolation, half-pixel centres:
 *        s_y = (Y + ½)·h/H − ½ (clamped at 0), y0 = ⌊s_y⌋, y1 = min(y0+1, h−1),
 *        v = Σ of the four neighbours weighted (1−f_y, f_y) ⊗ (1−f_x, f_x)
 *        (evaluated as a + f·(b − a), exact on flat regions);
 *      upsampling only, so no antialiasing is involved. For uint8-valued data
 *      the result is truncated to an integer (the reference casts back).
 * Random draws per image: one uniform for the mirror, one for the crop, and
 * (if cropping) the row then the column offset. */
#include "data/data.h"

#include <math.h>
#include <string.h>

static void mirror(float *img, size_t H, size_t W, size_t C) {
    for (size_t y = 0; y < H; y++) {
        float *row = img + y * W * C;
        for (size_t a = 0, b = W - 1; a < b; a++, b--)
            for (size_t c = 0; c < C; c++) {
                float t = row[a * C + c];
                row[a * C + c] = row[b * C + c];
                row[b * C + c] = t;
            }
    }
}

/* Source coordinate of output index o for an n_in → n_out resize. */
static void src_coord(size_t o, size_t n_in, size_t n_out, size_t *i0, size_t *i1, double *f) {
    double s = ((double)o + 0.5) * ((double)n_in / (double)n_out) - 0.5;
    if (s < 0.0) s = 0.0;
    size_t a = (size_t)s;
    if (a > n_in - 1) a = n_in - 1;
    *i0 = a;
    *i1 = a + 1 < n_in ? a + 1 : n_in - 1;
    *f = s - (double)a;
    if (*i1 == *i0) *f = 0.0;
}

void smile_augment_basic(float *x, size_t n, size_t H, size_t W, size_t C, int truncate,
                         smile_rng *rng, float *scratch) {
    if (!x || !rng || !scratch || H == 0 || W == 0 || C == 0) return;
    /* ⌊0.7H⌋ in double, as the reference computes int(0.7 * H) */
    size_t h = (size_t)floor(0.7 * (double)H), w = (size_t)floor(0.7 * (double)W);
    if (h < 1) h = 1;
    if (w < 1) w = 1;
    size_t img_sz = H * W * C;
    for (size_t i = 0; i < n; i++) {
        float *img = x + i * img_sz;
        if (smile_rng_uniform(rng) < 0.5) mirror(img, H, W, C);
        if (!(smile_rng_uniform(rng) < 0.95)) continue;
        size_t oy = (size_t)smile_rng_below(rng, H - h + 1);
        size_t ox = (size_t)smile_rng_below(rng, W - w + 1);
        for (size_t Y = 0; Y < H; Y++) {
            size_t y0, y1;
            double fy;
            src_coord(Y, h, H, &y0, &y1, &fy);
            const float *r0 = img + ((oy + y0) * W + ox) * C;
            const float *r1 = img + ((oy + y1) * W + ox) * C;
            for (size_t X = 0; X < W; X++) {
                size_t x0, x1;
                double fx;
                src_coord(X, w, W, &x0, &x1, &fx);
                for (size_t c = 0; c < C; c++) {
                    /* a + f(b − a) form: exact where neighbours are equal, so a
                     * flat region never truncates from 255 to 254 */
                    double a = r0[x0 * C + c], b = r0[x1 * C + c];
                    double cc = r1[x0 * C + c], d = r1[x1 * C + c];
                    double top = a + fx * (b - a), bot = cc + fx * (d - cc);
                    double v = top + fy * (bot - top);
                    if (truncate) v = trunc(v);
                    scratch[(Y * W + X) * C + c] = (float)v;
                }
            }
        }
        memcpy(img, scratch, img_sz * sizeof *img);
    }
}

int smile_augment_truncate_for(const smile_dataset *ds) {
    /* uint8-valued pixels stored unscaled (CIFAR-10, docs/experiments.md, section 2.2) */
    return ds && ds->height > 0 && ds->pixel_scale == 1.0 && ds->ch_mean[0] == 0.0 &&
           ds->ch_std[0] == 1.0;
}
