/* Vectorisable double exp, log and atan, inline for callers in hot loops over rows (the
 * fused likelihood of the FCN kernel, the Student-t CDF of the predictive mixtures). libm's exp and log are calls that stop a loop from
 * vectorising; these are straight-line arithmetic on the bits (integer adds and shifts that
 * AVX2 has too, no double↔int64 conversions), so a loop that calls them vectorises.
 * Accuracy: a few ulp on the ranges stated (checked against libm in tests/test_nn_layers.c). */
#ifndef SMILE_CORE_VMATH_D_H
#define SMILE_CORE_VMATH_D_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* 1.5·2⁵²: adding it rounds a double of magnitude below 2⁵¹ to an integer held in the
 * low bits of the sum (round to nearest). */
#define NN_VMATH_ROUND 6755399441055744.0
/* ln 2 split (Cody–Waite): the head has trailing zero bits, so n·head is exact for |n| < 2²⁰. */
#define NN_VMATH_LN2_HI 6.93147180369123816490e-01
#define NN_VMATH_LN2_LO 1.90821492927058770002e-10

static inline uint64_t nn_vmath_bits(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static inline double nn_vmath_double(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* exp(a) = 2ⁿ·exp(r), n = round(a / ln 2), r = a − n ln 2 ∈ [−ln2/2, ln2/2], exp(r) by its
 * Taylor polynomial of degree 12 (remainder ≤ (ln2/2)¹³/13! ≈ 1.7e-16). The argument is
 * clamped to [−708, 709] so that 2ⁿ stays a normal double; below −708 (exp ≈ 3e-308) the
 * result is 0, above 709 it is exp(709) ≈ 8e307; NaN propagates. */
static inline double nn_exp_d(double a) {
    /* quiet comparisons (isgreaterequal, …): a signalling one on NaN could trap, which keeps
     * GCC from turning the selects into vector blends */
    double c = isgreaterequal(a, -708.0) ? a : -708.0; /* NaN → −708; NaN again below */
    c = islessequal(c, 709.0) ? c : 709.0;
    const double t = c * 1.44269504088896340736 + NN_VMATH_ROUND, n = t - NN_VMATH_ROUND;
    const double r = (c - n * NN_VMATH_LN2_HI) - n * NN_VMATH_LN2_LO;
    double p = 1.0 / 479001600.0;        /* 1/12! */
    p = 1.0 / 39916800.0 + r * p;        /* 1/11! */
    p = 1.0 / 3628800.0 + r * p;
    p = 1.0 / 362880.0 + r * p;
    p = 1.0 / 40320.0 + r * p;
    p = 1.0 / 5040.0 + r * p;
    p = 1.0 / 720.0 + r * p;
    p = 1.0 / 120.0 + r * p;
    p = 1.0 / 24.0 + r * p;
    p = 1.0 / 6.0 + r * p;
    p = 0.5 + r * p;
    p = 1.0 + r * p;
    p = 1.0 + r * p;
    /* n sits in the low bits of t: 2ⁿ has the biased exponent n + 1023 */
    const uint64_t k = nn_vmath_bits(t) - nn_vmath_bits(NN_VMATH_ROUND);
    const double s = nn_vmath_double((k + 1023u) << 52);
    const double v = isless(a, -708.0) ? 0.0 : p * s;
    return a != a ? a : v;
}

/* log(x) for x > 0: x = 2ᵉ·m with m ∈ [√½, √2), log m = 2 atanh(s) = 2(s + s³/3 + … + s²¹/21),
 * s = (m − 1)/(m + 1), |s| ≤ 0.172 (remainder ≤ 2·0.172²³/23 ≈ 3e-19). Subnormal x is not
 * handled (the callers' arguments are at least 1e-12); +∞ and NaN return themselves,
 * 0 and negative x give NaN. */
static inline double nn_log_d(double x) {
    const uint64_t u = nn_vmath_bits(x);
    /* the mantissa as m ∈ [1, 2), halved above √2 with the exponent raised by one */
    double m = nn_vmath_double((u & 0x000fffffffffffffu) | 0x3ff0000000000000u);
    const uint64_t big = isgreater(m, 1.41421356237309504880);
    m = big ? 0.5 * m : m;
    /* the biased exponent as a double without an int64 conversion: 2⁵² + k − 2⁵² */
    const double e = nn_vmath_double(((u >> 52) + big) | 0x4330000000000000u) -
                     4503599627370496.0 - 1023.0;
    const double s = (m - 1.0) / (m + 1.0), z = s * s;
    double p = 1.0 / 21.0;
    p = 1.0 / 19.0 + z * p;
    p = 1.0 / 17.0 + z * p;
    p = 1.0 / 15.0 + z * p;
    p = 1.0 / 13.0 + z * p;
    p = 1.0 / 11.0 + z * p;
    p = 1.0 / 9.0 + z * p;
    p = 1.0 / 7.0 + z * p;
    p = 1.0 / 5.0 + z * p;
    p = 1.0 / 3.0 + z * p;
    const double lm = 2.0 * s + 2.0 * s * z * p;
    const double r = e * NN_VMATH_LN2_HI + (e * NN_VMATH_LN2_LO + lm);
    const double o = isgreater(x, 0.0) ? x : NAN; /* +∞ stays, NaN, 0 and negative x give NaN */
    return isgreater(x, 0.0) & isless(x, INFINITY) ? r : o;
}

/* log1p(w) for w ≥ 0 as log(u)·w/(u − 1), u = 1 + w (the rounding of u cancels: a few ulp
 * for small w too), and w where u rounds to 1 or w = +∞. Callers that vectorise it need
 * no-trapping-math (w/(u − 1) is formed and then not selected). */
static inline double nn_log1p_d(double w) {
    const double u = 1.0 + w;
    const int one = (u == 1.0) | (w == INFINITY);
    return (one ? 1.0 : nn_log_d(u)) * (w / (one ? 1.0 : u - 1.0));
}

/* atan(x): reduced to t = min(|x|, 1/|x|) ≤ 1 (atan|x| = π/2 − atan(1/|x|) above 1), then
 * halved twice by atan t = 2 atan(t / (1 + √(1 + t²))) to |u| ≤ tan(π/16) ≈ 0.199, where
 * the series u − u³/3 + … − u²⁷/27 leaves ≤ 0.199²⁹/29 ≈ 1e-22. ±∞ give ±π/2, NaN
 * propagates. Callers that vectorise it need no-trapping-math (1/|x| is computed for x = 0
 * and then not selected). */
static inline double nn_atan_d(double x) {
    const double ax = fabs(x), inv = 1.0 / ax;
    const int big = isgreater(ax, 1.0);
    double t = big ? inv : ax;
    t = t / (1.0 + sqrt(1.0 + t * t));
    t = t / (1.0 + sqrt(1.0 + t * t));
    const double z = t * t;
    double p = -1.0 / 27.0;
    p = 1.0 / 25.0 + z * p;
    p = -1.0 / 23.0 + z * p;
    p = 1.0 / 21.0 + z * p;
    p = -1.0 / 19.0 + z * p;
    p = 1.0 / 17.0 + z * p;
    p = -1.0 / 15.0 + z * p;
    p = 1.0 / 13.0 + z * p;
    p = -1.0 / 11.0 + z * p;
    p = 1.0 / 9.0 + z * p;
    p = -1.0 / 7.0 + z * p;
    p = 1.0 / 5.0 + z * p;
    p = -1.0 / 3.0 + z * p;
    const double a = 4.0 * (t + t * z * p);
    const double r = big ? 1.57079632679489661923 - a : a;
    return x != x ? x : copysign(r, x);
}

#endif
