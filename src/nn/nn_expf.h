/* The vectorisable float exp of the kernels, inline for callers in hot loops
 * (layer kernels, the predictive mixtures of src/metrics). */
#ifndef SMILE_NN_EXPF_H
#define SMILE_NN_EXPF_H

#include <stdint.h>
#include <string.h>

/* exp for float arguments, written so that loops calling it vectorise (no libm call):
 * exp(a) = 2^n · exp(r), n = round(a / ln 2), r = a − n ln 2 ∈ [−ln2/2, ln2/2] (ln 2 split
 * into an exactly representable head and a tail so that n·head is exact), exp(r) by its
 * Taylor polynomial of degree 7, remainder ≤ (ln2/2)⁸/8! ≈ 5e-9 < 2⁻²⁴. The argument is
 * clamped to [−87, 88] so that 2^n stays a normal float (exp(−87) ≈ 1.6e-38); NaN
 * propagates. Relative error a few ulp (checked against exp in tests/test_nn_layers.c). */
static inline float nn_expf_fast(float a) {
    float c = a >= -87.0f ? a : -87.0f; /* NaN → −87 here; the result is NaN below */
    c = c > 88.0f ? 88.0f : c;
    /* round to nearest by adding and removing 1.5·2²³ (floorf would block vectorisation) */
    float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = (c - n * 0.693359375f) - n * -2.12194440e-4f;
    float p = 1.0f / 5040.0f + r * (1.0f / 40320.0f);
    p = 1.0f / 720.0f + r * p;
    p = 1.0f / 120.0f + r * p;
    p = 1.0f / 24.0f + r * p;
    p = 1.0f / 6.0f + r * p;
    p = 0.5f + r * p;
    p = 1.0f + r * p;
    p = 1.0f + r * p;
    uint32_t e = (uint32_t)((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &e, sizeof s);
    return a != a ? a : p * s;
}

#endif
