/* Character-level text (docs/experiments.md, section 2.3).
 *
 * The file is decoded as UTF-8 (strictly: overlong forms, surrogates, code
 * points above U+10FFFF and cut sequences are errors naming the line); tokens
 * are code points. Vocabulary = the distinct code points sorted ascending,
 * ids 0..V−1, plus a padding id V that never occurs. No shuffling; contiguous
 * split train = ⌊0.9n⌋, valid = ⌊(0.9 + 0.05)n⌋ − ⌊0.9n⌋ (sum in double),
 * test = the rest. Batches are B random windows of T tokens per chain. */
#include "data/data_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_F_TRAIN 0.9
#define TEXT_F_VALID 0.05
#define MAX_CP 0x110000u

/* Decodes one code point at s (< end). Returns its length, or 0 if invalid. */
static size_t utf8_next(const unsigned char *s, const unsigned char *end, uint32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v >= MAX_CP || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

static size_t line_of(const unsigned char *base, const unsigned char *p) {
    size_t line = 1;
    for (const unsigned char *q = base; q < p; q++) line += *q == '\n';
    return line;
}

/* id of code point cp in the sorted vocabulary vocab[V], or −1 */
static int32_t vocab_find(const uint32_t *vocab, size_t V, uint32_t cp) {
    size_t lo = 0, hi = V;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (vocab[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < V && vocab[lo] == cp ? (int32_t)lo : -1;
}

static int32_t vocab_id(const smile_dataset *ds, uint32_t cp) {
    return vocab_find(ds->vocab, ds->vocab_size, cp);
}

smile_status smile_dataset_load_text(smile_dataset *ds, const char *file, char *msg,
                                     size_t msg_len) {
    SMILE_CHECK(!ds || !file, SMILE_EINVAL, msg, msg_len, "load_text: NULL argument");
    memset(ds, 0, sizeof *ds);
    FILE *f;
    SMILE_TRY(smile_open_input(file, &f, msg, msg_len));
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    smile_status st = buf ? SMILE_OK : SMILE_ENOMEM;
    while (st == SMILE_OK) {
        if (len == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                st = SMILE_ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (st != SMILE_OK || rerr) {
        free(buf);
        SMILE_CHECK(st != SMILE_OK, st, msg, msg_len, "out of memory");
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "%s: read error", file);
    }
    if (len == 0) {
        free(buf);
        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len, "%s: empty file", file);
    }

    /* pass 1: validate, count code points, mark the ones present */
    uint64_t *seen = calloc(MAX_CP / 64, sizeof *seen);
    if (!seen) {
        free(buf);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    size_t n = 0;
    const unsigned char *p = buf, *end = buf + len;
    while (p < end) {
        uint32_t cp;
        size_t k = utf8_next(p, end, &cp);
        if (!k) {
            smile_set_msg(msg, msg_len, "%s:%zu: invalid UTF-8 at byte %zu (0x%02X)", file,
                          line_of(buf, p), (size_t)(p - buf), *p);
            free(seen);
            free(buf);
            return SMILE_EFORMAT;
        }
        seen[cp / 64] |= (uint64_t)1 << (cp % 64);
        n++;
        p += k;
    }
    size_t ntr, nva, nte;
    smile_split_sizes(n, TEXT_F_TRAIN, TEXT_F_VALID, &ntr, &nva, &nte);
    if (ntr == 0 || nva == 0 || nte == 0 || n > INT32_MAX) {
        free(seen);
        free(buf);
        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                    "%s: %zu characters give train %zu / valid %zu / test %zu; every split "
                    "needs at least one",
                    file, n, ntr, nva, nte);
    }
    st = data_begin(ds, SMILE_DATA_TEXT, file, msg, msg_len);
    size_t V = 0;
    for (uint32_t w = 0; w < MAX_CP / 64; w++) V += (size_t)__builtin_popcountll(seen[w]);
    if (st == SMILE_OK) {
        ds->vocab = malloc(V * sizeof *ds->vocab);
        ds->tokens = smile_calloc(n, sizeof *ds->tokens);
        if (!ds->vocab || !ds->tokens) {
            smile_set_msg(msg, msg_len, "out of memory");
            st = SMILE_ENOMEM;
        }
    }
    if (st == SMILE_OK) {
        size_t v = 0;
        for (uint32_t cp = 0; cp < MAX_CP; cp++)
            if (seen[cp / 64] >> (cp % 64) & 1) ds->vocab[v++] = cp;
        ds->vocab_size = V;
        ds->n_classes = V;
        ds->pad_id = (int32_t)V;
        ds->n = n;
        /* pass 2: encode */
        size_t i = 0;
        for (p = buf; p < end; i++) {
            uint32_t cp;
            p += utf8_next(p, end, &cp);
            ds->tokens[i] = vocab_id(ds, cp);
        }
        data_set_splits(ds, ntr, ntr + nva, n);
    } else {
        smile_dataset_free(ds);
    }
    free(seen);
    free(buf);
    return st;
}

smile_status smile_text_encode_vocab(const uint32_t *vocab, size_t V, const char *utf8,
                                     size_t len, int32_t *out, size_t cap, size_t *n_out,
                                     char *msg, size_t msg_len) {
    SMILE_CHECK(!vocab || (!utf8 && len), SMILE_EINVAL, msg, msg_len,
                "text_encode: no vocabulary or NULL input");
    const unsigned char *p = (const unsigned char *)utf8, *end = p + len;
    size_t n = 0;
    while (p < end) {
        uint32_t cp;
        size_t k = utf8_next(p, end, &cp);
        SMILE_CHECK(!k, SMILE_EFORMAT, msg, msg_len, "invalid UTF-8 at byte %zu",
                    (size_t)(p - (const unsigned char *)utf8));
        int32_t id = vocab_find(vocab, V, cp);
        const int shown = cp >= 0x20 && cp != 0x7F && (cp < 0x80 || cp >= 0xA0);
        SMILE_CHECK(id < 0, SMILE_EFORMAT, msg, msg_len,
                    "character %s%.*s%sU+%04X%s at byte %zu is not in the vocabulary",
                    shown ? "'" : "", shown ? (int)k : 0, (const char *)p, shown ? "' (" : "",
                    cp, shown ? ")" : "", (size_t)(p - (const unsigned char *)utf8));
        if (out && n < cap) out[n] = id;
        n++;
        p += k;
    }
    if (n_out) *n_out = n;
    return SMILE_OK;
}

smile_status smile_text_encode(const smile_dataset *ds, const char *utf8, size_t len,
                               int32_t *out, size_t cap, size_t *n_out, char *msg,
                               size_t msg_len) {
    SMILE_CHECK(!ds || !ds->vocab, SMILE_EINVAL, msg, msg_len,
                "text_encode: no vocabulary or NULL input");
    return smile_text_encode_vocab(ds->vocab, ds->vocab_size, utf8, len, out, cap, n_out, msg,
                                   msg_len);
}

size_t smile_text_decode_vocab(const uint32_t *vocab, size_t V, const int32_t *ids, size_t n,
                               char *buf, size_t len) {
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = '?';
        if (vocab && ids[i] >= 0 && (size_t)ids[i] < V) cp = vocab[ids[i]];
        unsigned char e[4];
        size_t k;
        if (cp < 0x80) {
            e[0] = (unsigned char)cp, k = 1;
        } else if (cp < 0x800) {
            e[0] = (unsigned char)(0xC0 | cp >> 6), e[1] = (unsigned char)(0x80 | (cp & 0x3F)), k = 2;
        } else if (cp < 0x10000) {
            e[0] = (unsigned char)(0xE0 | cp >> 12);
            e[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            e[2] = (unsigned char)(0x80 | (cp & 0x3F));
            k = 3;
        } else {
            e[0] = (unsigned char)(0xF0 | cp >> 18);
            e[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            e[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            e[3] = (unsigned char)(0x80 | (cp & 0x3F));
            k = 4;
        }
        for (size_t j = 0; j < k; j++, pos++)
            if (buf && pos + 1 < len) buf[pos] = (char)e[j];
    }
    if (buf && len) buf[pos < len ? pos : len - 1] = 0;
    return pos;
}

size_t smile_text_decode(const smile_dataset *ds, const int32_t *ids, size_t n, char *buf,
                         size_t len) {
    return smile_text_decode_vocab(ds ? ds->vocab : NULL, ds ? ds->vocab_size : 0, ids, n, buf,
                                   len);
}

smile_status smile_text_sample_windows(const smile_dataset *ds, smile_split s, size_t T,
                                       size_t B, smile_rng *rng, uint32_t *starts) {
    if (!ds || !ds->tokens || !rng || (!starts && B) || T == 0) return SMILE_EINVAL;
    size_t ns = smile_dataset_split_size(ds, s);
    if (ns < T + 2) return SMILE_EINVAL;
    /* as the reference implementation does: start uniform on {0, …, n_split − T − 2} (n − 258 at
     * T = 256; the last possible window is never drawn, as in the reference) */
    uint64_t range = (uint64_t)(ns - T - 1);
    for (size_t b = 0; b < B; b++) starts[b] = (uint32_t)smile_rng_below(rng, range);
    return SMILE_OK;
}

smile_status smile_text_gather_windows(const smile_dataset *ds, smile_split s,
                                       const uint32_t *starts, size_t B, size_t T,
                                       int32_t *inputs, int32_t *targets) {
    if (!ds || !ds->tokens || (!starts && B) || (int)s < 0 || (int)s > 2) return SMILE_EINVAL;
    size_t ns = smile_dataset_split_size(ds, s);
    const int32_t *tok = ds->tokens + ds->split_begin[s];
    for (size_t b = 0; b < B; b++)
        if ((size_t)starts[b] + T + 1 > ns) return SMILE_EINVAL;
    for (size_t b = 0; b < B; b++) {
        const int32_t *w = tok + starts[b];
        if (inputs) memcpy(inputs + b * T, w, T * sizeof *inputs);
        if (targets) memcpy(targets + b * T, w + 1, T * sizeof *targets);
    }
    return SMILE_OK;
}

size_t smile_text_n_batches(const smile_dataset *ds, smile_split s, size_t T, size_t B) {
    if (!ds || T == 0 || B == 0) return 1;
    size_t nb = smile_dataset_split_size(ds, s) / T / B;
    return nb ? nb : 1;
}
