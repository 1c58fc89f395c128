/* Philox-4x32-10 counter-based generator (Salmon et al., SC'11), keyed by
 * (seed, chain, purpose) through splitmix64 (docs/method.md, section 1.2).
 * Uniforms use 53 bits; normals use Box–Muller on two uniforms (the spare is
 * kept in the state, so a copied state reproduces the stream exactly). */
#include "core/core.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void smile_rng_init(smile_rng *r, uint64_t seed, uint64_t chain, uint64_t purpose) {
    uint64_t s = seed;
    uint64_t a = splitmix64(&s);
    s ^= chain * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull;
    uint64_t b = splitmix64(&s);
    s ^= purpose * 0x8CB92BA72F3D8DD7ull + 0x94D049BB133111EBull;
    uint64_t k = splitmix64(&s) ^ a ^ (b << 1);
    r->key[0] = (uint32_t)k;
    r->key[1] = (uint32_t)(k >> 32);
    r->ctr[0] = r->ctr[1] = r->ctr[2] = r->ctr[3] = 0;
    r->pos = 4;
    r->has_gauss = 0;
    r->gauss = 0.0;
}

static void philox_block(smile_rng *r) {
    uint32_t c0 = r->ctr[0], c1 = r->ctr[1], c2 = r->ctr[2], c3 = r->ctr[3];
    uint32_t k0 = r->key[0], k1 = r->key[1];
    for (int i = 0; i < 10; i++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    r->buf[0] = c0; r->buf[1] = c1; r->buf[2] = c2; r->buf[3] = c3;
    r->pos = 0;
    /* 128-bit counter increment */
    if (++r->ctr[0] == 0 && ++r->ctr[1] == 0 && ++r->ctr[2] == 0) ++r->ctr[3];
}

uint32_t smile_rng_u32(smile_rng *r) {
    if (r->pos >= 4) philox_block(r);
    return r->buf[r->pos++];
}

uint64_t smile_rng_u64(smile_rng *r) {
    uint64_t hi = smile_rng_u32(r);
    return (hi << 32) | smile_rng_u32(r);
}

double smile_rng_uniform(smile_rng *r) {
    /* (k + 0.5) / 2^53 lies strictly inside (0, 1). */
    uint64_t k = smile_rng_u64(r) >> 11;
    return ((double)k + 0.5) * 0x1.0p-53;
}

/* One Box–Muller pair from four successive words w: the uniforms (k + 0.5)/2^53 of
 * the 64-bit words (w0 w1) and (w2 w3), as smile_rng_uniform makes them; the
 * cosine is returned first, the sine kept as the spare. */
static inline void box_muller(const uint32_t w[4], double *c, double *s) {
    const uint64_t k1 = (((uint64_t)w[0] << 32) | w[1]) >> 11;
    const uint64_t k2 = (((uint64_t)w[2] << 32) | w[3]) >> 11;
    const double u1 = ((double)k1 + 0.5) * 0x1.0p-53, u2 = ((double)k2 + 0.5) * 0x1.0p-53;
    const double rad = sqrt(-2.0 * log(u1));
    const double th = 6.283185307179586476925286766559 * u2;
    *s = rad * sin(th);
    *c = rad * cos(th);
}

double smile_rng_normal(smile_rng *r) {
    if (r->has_gauss) {
        r->has_gauss = 0;
        return r->gauss;
    }
    uint32_t w[4];
    for (int k = 0; k < 4; k++) w[k] = smile_rng_u32(r);
    double c;
    box_muller(w, &c, &r->gauss);
    r->has_gauss = 1;
    return c;
}

enum { FILL_BLOCKS = 8 };

/* n successive smile_rng_normal draws and the same state after, bit for bit: the
 * scalar path until a pair starts on a block boundary, then whole blocks (one pair
 * each), eight Philox blocks per batch with no per-draw calls. */
void smile_rng_normal_fill(smile_rng *r, double *z, size_t n) {
    size_t i = 0;
    /* until a pair starts on a block boundary with no spare: the scalar path */
    while (i < n && (r->has_gauss || r->pos != 4)) z[i++] = smile_rng_normal(r);
    /* whole pairs: each consumes exactly one fresh block (4 words = 2 × 64 bits) */
    while (n - i >= 2) {
        size_t pairs = (n - i) / 2, nb = pairs < FILL_BLOCKS ? pairs : FILL_BLOCKS;
        /* the rounds run over all FILL_BLOCKS lanes (one vectorisable loop); unused
         * lanes hold zeros and are never read */
        uint32_t c0[FILL_BLOCKS] = {0}, c1[FILL_BLOCKS] = {0}, c2[FILL_BLOCKS] = {0},
                 c3[FILL_BLOCKS] = {0};
        for (size_t b = 0; b < nb; b++) { /* the counters philox_block would use, in order */
            c0[b] = r->ctr[0], c1[b] = r->ctr[1], c2[b] = r->ctr[2], c3[b] = r->ctr[3];
            if (++r->ctr[0] == 0 && ++r->ctr[1] == 0 && ++r->ctr[2] == 0) ++r->ctr[3];
        }
        uint32_t k0 = r->key[0], k1 = r->key[1];
        for (int round = 0; round < 10; round++) { /* philox_block's rounds, across blocks */
            for (size_t b = 0; b < FILL_BLOCKS; b++) {
                uint64_t p0 = (uint64_t)PHILOX_M0 * c0[b];
                uint64_t p1 = (uint64_t)PHILOX_M1 * c2[b];
                uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[b] ^ k0;
                uint32_t n1 = (uint32_t)p1;
                uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[b] ^ k1;
                uint32_t n3 = (uint32_t)p0;
                c0[b] = n0, c1[b] = n1, c2[b] = n2, c3[b] = n3;
            }
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        for (size_t b = 0; b < nb; b++) {
            const uint32_t w[4] = {c0[b], c1[b], c2[b], c3[b]};
            box_muller(w, &z[i], &z[i + 1]); /* cosine first, then the sine (the spare) */
            i += 2;
        }
        const size_t last = nb - 1; /* the state holds the last block, all words used */
        r->buf[0] = c0[last], r->buf[1] = c1[last], r->buf[2] = c2[last], r->buf[3] = c3[last];
        r->pos = 4;
        r->gauss = z[i - 1]; /* the used spare stays in the state, as after the scalar path */
    }
    if (i < n) z[i++] = smile_rng_normal(r); /* an odd last draw keeps its spare */
}

uint64_t smile_rng_below(smile_rng *r, uint64_t n) {
    if (n <= 1) return 0;
    /* Rejection sampling on 64-bit words: unbiased. */
    uint64_t lim = UINT64_MAX - (UINT64_MAX % n);
    uint64_t v;
    do v = smile_rng_u64(r);
    while (v >= lim);
    return v % n;
}

void smile_rng_shuffle_u32(smile_rng *r, uint32_t *idx, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)smile_rng_below(r, i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
