/* Byte buffers and framing of the checkpoint formats (chain, batch stream,
 * driven chain), the serialisation of RNG states and sampler parameters,
 * and smile_batch_stream_save / _load.
 *
 * Every value is written explicitly, little-endian, whatever the host: no
 * struct is copied as raw memory and no pointer is stored. A frame is
 *     magic[8]  u32 format version  u32 library version  u64 payload length
 *     payload   u32 CRC-32 (zlib) of everything before it
 * so a reader can refuse a buffer of another format version before it
 * interprets anything, and a truncated or damaged one before it uses it. */
#include "sampler_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define FRAME_HEAD 24 /* magic, version, library version, payload length */

/* ---- writing ------------------------------------------------------------ */

static void put(smile_wbuf *w, const void *p, size_t n) {
    if (w->failed) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n) cap *= 2;
        unsigned char *b = realloc(w->buf, cap);
        if (!b) {
            w->failed = 1;
            return;
        }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void smile_wbuf_u32(smile_wbuf *w, uint32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 4);
}

void smile_wbuf_u64(smile_wbuf *w, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}

void smile_wbuf_i32(smile_wbuf *w, int v) { smile_wbuf_u32(w, (uint32_t)(int32_t)v); }
void smile_wbuf_i64(smile_wbuf *w, int64_t v) { smile_wbuf_u64(w, (uint64_t)v); }

void smile_wbuf_f64(smile_wbuf *w, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    smile_wbuf_u64(w, u);
}

void smile_wbuf_f32s(smile_wbuf *w, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        smile_wbuf_u32(w, u);
    }
}

void smile_wbuf_f64s(smile_wbuf *w, const double *v, size_t n) {
    for (size_t i = 0; i < n; i++) smile_wbuf_f64(w, v[i]);
}

void smile_wbuf_u32s(smile_wbuf *w, const uint32_t *v, size_t n) {
    for (size_t i = 0; i < n; i++) smile_wbuf_u32(w, v[i]);
}

/* A length-prefixed byte string (u64 length, then the bytes). */
void smile_wbuf_blob(smile_wbuf *w, const void *p, size_t n) {
    smile_wbuf_u64(w, (uint64_t)n);
    if (n) put(w, p, n);
}

static uint32_t crc_of(const unsigned char *p, size_t n) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) { /* zlib takes uInt lengths */
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}

static uint32_t library_version(void) {
    return (uint32_t)SMILE_VERSION_MAJOR << 16 | (uint32_t)SMILE_VERSION_MINOR << 8 |
           (uint32_t)SMILE_VERSION_PATCH;
}

size_t smile_frame_begin(smile_wbuf *w, const char magic[8]) {
    const size_t start = w->len;
    put(w, magic, 8);
    smile_wbuf_u32(w, SMILE_CHECKPOINT_VERSION);
    smile_wbuf_u32(w, library_version());
    smile_wbuf_u64(w, 0); /* payload length, patched by smile_frame_end */
    return start;
}

void smile_frame_end(smile_wbuf *w, size_t start) {
    if (w->failed) return;
    const uint64_t payload = (uint64_t)(w->len - start - FRAME_HEAD);
    for (int i = 0; i < 8; i++)
        w->buf[start + 16 + (size_t)i] = (unsigned char)(payload >> (8 * i));
    smile_wbuf_u32(w, crc_of(w->buf + start, w->len - start));
}

smile_status smile_wbuf_finish(smile_wbuf *w, void **buf, size_t *len, char *msg,
                               size_t msg_len) {
    if (w->failed) {
        free(w->buf);
        smile_set_msg(msg, msg_len, "out of memory serialising a checkpoint");
        return SMILE_ENOMEM;
    }
    *buf = w->buf;
    *len = w->len;
    return SMILE_OK;
}

/* ---- reading ------------------------------------------------------------ */

static const unsigned char *take(smile_rbuf *r, size_t n) {
    if (r->short_read || r->len - r->pos < n) {
        r->short_read = 1;
        return NULL;
    }
    const unsigned char *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint32_t smile_rbuf_u32(smile_rbuf *r) {
    const unsigned char *b = take(r, 4);
    uint32_t v = 0;
    for (int i = 0; b && i < 4; i++) v |= (uint32_t)b[i] << (8 * i);
    return v;
}

uint64_t smile_rbuf_u64(smile_rbuf *r) {
    const unsigned char *b = take(r, 8);
    uint64_t v = 0;
    for (int i = 0; b && i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

int smile_rbuf_i32(smile_rbuf *r) { return (int)(int32_t)smile_rbuf_u32(r); }
int64_t smile_rbuf_i64(smile_rbuf *r) { return (int64_t)smile_rbuf_u64(r); }

double smile_rbuf_f64(smile_rbuf *r) {
    uint64_t u = smile_rbuf_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

void smile_rbuf_f32s(smile_rbuf *r, float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = smile_rbuf_u32(r);
        memcpy(&v[i], &u, 4);
    }
}

void smile_rbuf_f64s(smile_rbuf *r, double *v, size_t n) {
    for (size_t i = 0; i < n; i++) v[i] = smile_rbuf_f64(r);
}

void smile_rbuf_u32s(smile_rbuf *r, uint32_t *v, size_t n) {
    for (size_t i = 0; i < n; i++) v[i] = smile_rbuf_u32(r);
}

/* A byte string written by smile_wbuf_blob: pointer into the buffer. */
const void *smile_rbuf_blob(smile_rbuf *r, size_t *n) {
    const uint64_t len = smile_rbuf_u64(r);
    if (r->short_read || len > r->len - r->pos) {
        r->short_read = 1;
        *n = 0;
        return NULL;
    }
    *n = (size_t)len;
    return take(r, (size_t)len);
}

smile_status smile_frame_open(const void *buf, size_t len, const char magic[8], const char *what,
                              smile_rbuf *payload, char *msg, size_t msg_len) {
    const unsigned char *b = buf;
    SMILE_CHECK(!buf, SMILE_EINVAL, msg, msg_len, "%s checkpoint: NULL buffer", what);
    SMILE_CHECK(len < FRAME_HEAD + 4, SMILE_EFORMAT, msg, msg_len,
                "%s checkpoint truncated: %zu bytes", what, len);
    SMILE_CHECK(memcmp(b, magic, 8) != 0, SMILE_EFORMAT, msg, msg_len,
                "not a %s checkpoint (magic \"%.8s\" expected)", what, magic);
    smile_rbuf h = {b, len, 8, 0};
    const uint32_t version = smile_rbuf_u32(&h), lib = smile_rbuf_u32(&h);
    const uint64_t n = smile_rbuf_u64(&h);
    SMILE_CHECK(version != SMILE_CHECKPOINT_VERSION, SMILE_EFORMAT, msg, msg_len,
                "%s checkpoint format version %u (written by libsmile %u.%u.%u), this build "
                "reads version %d",
                what, version, lib >> 16, (lib >> 8) & 255u, lib & 255u, SMILE_CHECKPOINT_VERSION);
    SMILE_CHECK(n > len - FRAME_HEAD - 4, SMILE_EFORMAT, msg, msg_len,
                "%s checkpoint truncated: %zu of %llu bytes", what, len,
                (unsigned long long)(n + FRAME_HEAD + 4));
    const size_t end = FRAME_HEAD + (size_t)n;
    h.pos = end;
    const uint32_t crc = smile_rbuf_u32(&h);
    SMILE_CHECK(crc != crc_of(b, end), SMILE_EFORMAT, msg, msg_len,
                "%s checkpoint corrupted (CRC mismatch)", what);
    SMILE_CHECK(end + 4 != len, SMILE_EFORMAT, msg, msg_len,
                "%s checkpoint: %zu bytes after its end", what, len - end - 4);
    payload->p = b + FRAME_HEAD;
    payload->len = (size_t)n;
    payload->pos = 0;
    payload->short_read = 0;
    return SMILE_OK;
}

smile_status smile_frame_close(const smile_rbuf *r, const char *what, char *msg,
                               size_t msg_len) {
    SMILE_CHECK(r->short_read, SMILE_EFORMAT, msg, msg_len,
                "%s checkpoint: its payload ends early", what);
    SMILE_CHECK(r->pos != r->len, SMILE_EFORMAT, msg, msg_len,
                "%s checkpoint: %zu unread payload bytes", what, r->len - r->pos);
    return SMILE_OK;
}

/* ---- RNG states and sampler parameters ---------------------------------- */

void smile_wbuf_rng(smile_wbuf *w, const smile_rng *g) {
    smile_wbuf_u32s(w, g->key, 2);
    smile_wbuf_u32s(w, g->ctr, 4);
    smile_wbuf_u32s(w, g->buf, 4);
    smile_wbuf_u32(w, g->pos);
    smile_wbuf_u32(w, g->has_gauss);
    smile_wbuf_f64(w, g->gauss);
}

/* Returns 0 when the state is out of range. */
int smile_rbuf_rng(smile_rbuf *r, smile_rng *g) {
    smile_rbuf_u32s(r, g->key, 2);
    smile_rbuf_u32s(r, g->ctr, 4);
    smile_rbuf_u32s(r, g->buf, 4);
    g->pos = smile_rbuf_u32(r);
    g->has_gauss = smile_rbuf_u32(r);
    g->gauss = smile_rbuf_f64(r);
    return g->pos <= 4 && g->has_gauss <= 1;
}

/* Every field of smile_sampler_params, in declaration order. One list for
 * writing and reading, so the two cannot drift apart. */
#define PARAM_FIELDS(F64, I32, I64)                                                               \
    I32(kind) F64(step_size) I32(integrator) I32(n_int) F64(L) I32(refresh) I32(mclmc_tuning)      \
    F64(mclmc_target_start) F64(mclmc_target_end) F64(mclmc_n_eff) F64(mclmc_trust)                \
    F64(mclmc_lfactor) I32(mclmc_max_coords) I32(mclmc_max_samples) I32(mclmc_init_L_sqrt_d)       \
    I32(mclmc_init_eps_from_d) I32(tuner) F64(reset_prob) F64(adaption_prob)                       \
    F64(adaption_strength) F64(smoothing) F64(auto_target) F64(auto_gain) F64(auto_clip)           \
    F64(auto_smoothing) F64(auto_reset_factor) I32(precond) F64(noise_ema_rate)                    \
    F64(precond_floor) F64(grad_clip) I32(reset_keeps_proposal_cache) I32(reference_sanitise)      \
    I32(reference_phase_boundary) I32(freeze_adaptation_in_sampling) F64(temperature)              \
    F64(sghmc_alpha) F64(sghmc_beta) I32(sghmc_resample_every) F64(mdecay)                         \
    F64(momentum_resample_prob) I32(schedule.kind) F64(schedule.eps0) F64(schedule.eps_end)        \
    I64(schedule.n_steps) I32(schedule.n_cycles) F64(schedule.explore)

void smile_wbuf_params(smile_wbuf *w, const smile_sampler_params *p) {
#define F64(f) smile_wbuf_f64(w, p->f);
#define I32(f) smile_wbuf_i32(w, (int)p->f);
#define I64(f) smile_wbuf_i64(w, p->f);
    PARAM_FIELDS(F64, I32, I64)
#undef F64
#undef I32
#undef I64
}

void smile_rbuf_params(smile_rbuf *r, smile_sampler_params *p) {
    memset(p, 0, sizeof *p);
#define F64(f) p->f = smile_rbuf_f64(r);
#define I32(f) p->f = smile_rbuf_i32(r);
#define I64(f) p->f = smile_rbuf_i64(r);
    PARAM_FIELDS(F64, I32, I64)
#undef F64
#undef I32
#undef I64
}

/* ---- batch streams ------------------------------------------------------- */

static const char STREAM_MAGIC[8] = {'S', 'M', 'I', 'L', 'E', 'B', 'S', 'T'};

static size_t perm_len(const smile_batch_stream *s) {
    if (s->kind == SMILE_STREAM_FULL) return 0;
    return s->kind == SMILE_STREAM_FRESH ? s->batch_size : s->n_data;
}

smile_status smile_batch_stream_save(const smile_batch_stream *s, void **buf, size_t *len,
                                     char *msg, size_t msg_len) {
    SMILE_CHECK(!s || !buf || !len, SMILE_EINVAL, msg, msg_len, "NULL argument");
    smile_wbuf w = {0};
    const size_t start = smile_frame_begin(&w, STREAM_MAGIC);
    smile_wbuf_u32(&w, (uint32_t)s->kind);
    smile_wbuf_u64(&w, s->n_data);
    smile_wbuf_u64(&w, s->batch_size);
    smile_wbuf_u64(&w, s->n_batches);
    smile_wbuf_f64(&w, s->scale);
    smile_wbuf_i32(&w, s->chain);
    smile_wbuf_rng(&w, &s->rng);
    smile_wbuf_u64(&w, s->next);
    smile_wbuf_u64(&w, s->serial);
    /* the FRESH bitmap is all zero between batches: not stored */
    smile_wbuf_u64(&w, perm_len(s));
    smile_wbuf_u32s(&w, s->perm, perm_len(s));
    smile_frame_end(&w, start);
    return smile_wbuf_finish(&w, buf, len, msg, msg_len);
}

/* perm[0..n) holds indices < n_data, pairwise distinct for the epoch kinds. */
static int perm_ok(const smile_batch_stream *s, const uint32_t *perm, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (perm[i] >= s->n_data) return 0;
    if (s->kind == SMILE_STREAM_FRESH) return 1;
    unsigned char *seen = calloc(s->n_data, 1);
    if (!seen) return -1;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        ok = !seen[perm[i]];
        seen[perm[i]] = 1;
    }
    free(seen);
    return ok;
}

smile_status smile_batch_stream_load(smile_batch_stream *s, const void *buf, size_t len,
                                     char *msg, size_t msg_len) {
    SMILE_CHECK(!s, SMILE_EINVAL, msg, msg_len, "stream is NULL");
    smile_rbuf r;
    SMILE_TRY(smile_frame_open(buf, len, STREAM_MAGIC, "batch stream", &r, msg, msg_len));
    const uint32_t kind = smile_rbuf_u32(&r);
    const uint64_t n_data = smile_rbuf_u64(&r), batch = smile_rbuf_u64(&r);
    SMILE_CHECK(kind != (uint32_t)s->kind || n_data != s->n_data || batch != s->batch_size,
                SMILE_EINVAL, msg, msg_len,
                "batch stream checkpoint of kind %u over %llu points in batches of %llu, this "
                "stream is of kind %d over %zu points in batches of %zu",
                kind, (unsigned long long)n_data, (unsigned long long)batch, (int)s->kind,
                s->n_data, s->batch_size);
    smile_batch_stream t = *s;
    const uint64_t n_batches = smile_rbuf_u64(&r);
    t.scale = smile_rbuf_f64(&r);
    t.chain = smile_rbuf_i32(&r);
    const int rng_ok = smile_rbuf_rng(&r, &t.rng);
    const uint64_t next = smile_rbuf_u64(&r);
    t.serial = smile_rbuf_u64(&r);
    const uint64_t np = smile_rbuf_u64(&r);
    SMILE_CHECK(!r.short_read && np != perm_len(s), SMILE_EFORMAT, msg, msg_len,
                "batch stream checkpoint: permutation of %llu entries, expected %zu",
                (unsigned long long)np, perm_len(s));
    uint32_t *perm = np ? malloc((size_t)np * sizeof *perm) : NULL;
    SMILE_CHECK(np && !perm, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_rbuf_u32s(&r, perm, (size_t)np);
    smile_status st = smile_frame_close(&r, "batch stream", msg, msg_len);
    int pok = st == SMILE_OK ? perm_ok(s, perm, (size_t)np) : 1;
    if (st == SMILE_OK && pok < 0) {
        smile_set_msg(msg, msg_len, "out of memory");
        st = SMILE_ENOMEM;
    } else if (st == SMILE_OK && (n_batches != s->n_batches || next > n_batches || !rng_ok ||
                                  !(t.scale > 0 && isfinite(t.scale)) || t.chain < 0 || !pok)) {
        smile_set_msg(msg, msg_len, "batch stream checkpoint: values out of range");
        st = SMILE_EFORMAT;
    }
    if (st == SMILE_OK) {
        t.next = (size_t)next;
        if (np) memcpy(t.perm, perm, (size_t)np * sizeof *perm);
        *s = t;
    }
    free(perm);
    return st;
}
