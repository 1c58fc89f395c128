/* Per-chain mini-batch streams (docs/method.md, section 2.5). Every chain owns
 * its stream; chains never share a batch. */
#include "core/core.h"

#include <math.h>
#include <string.h>

double smile_batch_scale(smile_scale_mode mode, size_t n_data, size_t batch_size) {
    if (batch_size == 0) return 1.0;
    if (mode == SMILE_SCALE_FLOOR) {
        size_t nb = n_data / batch_size;
        return (double)(nb < 1 ? 1 : nb);
    }
    return (double)n_data / (double)batch_size;
}

static void new_epoch(smile_batch_stream *s) {
    if (s->kind == SMILE_STREAM_EPOCH) {
        /* our default: permute all N indices; the first n_b·B form the batches */
        smile_rng_shuffle_u32(&s->rng, s->perm, s->n_data);
    } else if (s->kind == SMILE_STREAM_EPOCH_REF) {
        /* as the reference implementation: permute only the index set
         * {0..n_b·B−1} (docs/experiments.md, section 8) */
        for (size_t i = 0; i < s->n_data; i++) s->perm[i] = (uint32_t)i;
        smile_rng_shuffle_u32(&s->rng, s->perm, s->n_batches * s->batch_size);
    }
    s->next = 0;
}

smile_status smile_batch_stream_init(smile_batch_stream *s, smile_stream_kind kind,
                                     size_t n_data, size_t batch_size, smile_scale_mode scale,
                                     uint64_t seed, int chain, char *msg, size_t msg_len) {
    SMILE_CHECK(!s, SMILE_EINVAL, msg, msg_len, "stream is NULL");
    memset(s, 0, sizeof *s);
    SMILE_CHECK(kind < SMILE_STREAM_EPOCH || kind > SMILE_STREAM_FULL, SMILE_EINVAL, msg, msg_len,
                "unknown batch stream kind %d", (int)kind);
    SMILE_CHECK(n_data == 0, SMILE_EINVAL, msg, msg_len, "data set is empty");
    SMILE_CHECK(n_data > UINT32_MAX, SMILE_EINVAL, msg, msg_len, "data set too large (%zu rows)",
                n_data);
    if (kind == SMILE_STREAM_FULL) batch_size = n_data;
    SMILE_CHECK(batch_size == 0, SMILE_EINVAL, msg, msg_len, "batch size must be >= 1");
    SMILE_CHECK(batch_size > n_data, SMILE_EINVAL, msg, msg_len,
                "batch size %zu exceeds the number of data points %zu", batch_size, n_data);
    s->kind = kind;
    s->n_data = n_data;
    s->batch_size = batch_size;
    s->n_batches = n_data / batch_size < 1 ? 1 : n_data / batch_size;
    s->scale = kind == SMILE_STREAM_FULL ? 1.0 : smile_batch_scale(scale, n_data, batch_size);
    s->chain = chain;
    smile_rng_init(&s->rng, seed, (uint64_t)chain, SMILE_RNG_BATCH);
    if (kind == SMILE_STREAM_FULL) return SMILE_OK;
    s->perm = smile_calloc(kind == SMILE_STREAM_FRESH ? batch_size : n_data, sizeof(uint32_t));
    if (kind == SMILE_STREAM_FRESH) s->bitmap = smile_calloc((n_data + 63) / 64, sizeof(uint64_t));
    if (!s->perm || (kind == SMILE_STREAM_FRESH && !s->bitmap)) {
        smile_batch_stream_free(s);
        smile_set_msg(msg, msg_len, "out of memory for a batch stream over %zu points", n_data);
        return SMILE_ENOMEM;
    }
    if (kind != SMILE_STREAM_FRESH) {
        for (size_t i = 0; i < n_data; i++) s->perm[i] = (uint32_t)i;
        new_epoch(s);
    }
    return SMILE_OK;
}

void smile_batch_stream_new_epoch(smile_batch_stream *s) {
    if (s->kind == SMILE_STREAM_EPOCH || s->kind == SMILE_STREAM_EPOCH_REF) new_epoch(s);
}

void smile_batch_stream_next(smile_batch_stream *s, smile_batch *b) {
    b->chain = s->chain;
    b->serial = s->serial++;
    b->scale = s->scale;
    b->size = s->batch_size;
    switch (s->kind) {
    case SMILE_STREAM_FULL: b->idx = NULL; return;
    case SMILE_STREAM_FRESH: {
        /* B distinct rows uniformly without replacement, afresh every step
         * (rejection with a bitmap: expected B + O(B²/N) draws). */
        for (size_t k = 0; k < s->batch_size;) {
            uint32_t j = (uint32_t)smile_rng_below(&s->rng, s->n_data);
            uint64_t bit = 1ull << (j & 63);
            if (s->bitmap[j >> 6] & bit) continue;
            s->bitmap[j >> 6] |= bit;
            s->perm[k++] = j;
        }
        for (size_t k = 0; k < s->batch_size; k++) s->bitmap[s->perm[k] >> 6] = 0;
        b->idx = s->perm;
        return;
    }
    default:
        if (s->next >= s->n_batches) new_epoch(s);
        b->idx = s->perm + s->next * s->batch_size;
        s->next++;
        return;
    }
}

void smile_batch_stream_free(smile_batch_stream *s) {
    if (!s) return;
    smile_free(s->perm);
    smile_free(s->bitmap);
    s->perm = NULL;
    s->bitmap = NULL;
}
