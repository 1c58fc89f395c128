/* Checkpoints: chain states (smile_chain_load), batch streams
 * (smile_batch_stream_load) and driven chains (smile_drive_load, what
 * `smile fit --resume` reads). The CRC would stop almost every mutation at
 * the door, so the input is the payload and the frame around it (magic,
 * format version, length, CRC) is built here: the field checks behind the
 * CRC are what is fuzzed. Input: byte 0 picks the format, byte 1 the sampler
 * (or stream) kind, byte 2 the dimension; the rest is the payload. A loaded
 * chain whose parameters are the defaults (as `smile fit --resume` requires
 * them to be the run's) takes a few steps on a Gaussian, so accepted states
 * are exercised; other valid parameters may ask for any amount of work
 * (e.g. 2^31 integrator steps per step) and are only loaded. */
#include "sampler/sampler_internal.h"
#include "fuzz_common.h"

static void frame(smile_wbuf *w, const char magic[8], const uint8_t *p, size_t n) {
    const size_t start = smile_frame_begin(w, magic);
    if (w->failed) return;
    unsigned char *b = realloc(w->buf, w->len + n + 8);
    if (!b) abort();
    w->buf = b;
    w->cap = w->len + n + 8;
    if (n) memcpy(w->buf + w->len, p, n);
    w->len += n;
    smile_frame_end(w, start);
}

/* The serialised parameters of a and b are equal. */
static int same_params(const smile_sampler_params *a, const smile_sampler_params *b) {
    smile_wbuf wa = {0}, wb = {0};
    smile_wbuf_params(&wa, a);
    smile_wbuf_params(&wb, b);
    int same = !wa.failed && !wb.failed && wa.len == wb.len && !memcmp(wa.buf, wb.buf, wa.len);
    free(wa.buf);
    free(wb.buf);
    return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 3) return 0;
    const int which = data[0] % 3;
    const smile_sampler_kind kind = (smile_sampler_kind)(data[1] % SMILE_SAMPLER_COUNT_);
    size_t d = 1 + data[2] % 8;
    static const char magics[3][8] = {{'S', 'M', 'I', 'L', 'E', 'C', 'H', 'N'},
                                      {'S', 'M', 'I', 'L', 'E', 'B', 'S', 'T'},
                                      {'S', 'M', 'I', 'L', 'E', 'D', 'R', 'V'}};
    smile_wbuf w = {0};
    frame(&w, magics[which], data + 3, n - 3);
    if (w.failed) return 0;
    char msg[512];
    smile_sampler_params p = smile_sampler_params_default(kind);
    smile_run_params rp = smile_run_params_default();
    rp.n_data = 20;
    rp.batch_size = 4;
    rp.warmup = 3;
    rp.samples = 3;
    smile_chain c;
    smile_target t = {d, fuzz_gauss, &d, 1};
    if (which == 1) {
        smile_batch_stream s;
        if (smile_batch_stream_init(&s, (smile_stream_kind)(data[1] % 4), 20, 4,
                                    SMILE_SCALE_N_OVER_B, 1, 0, msg, sizeof msg) == SMILE_OK) {
            if (smile_batch_stream_load(&s, w.buf, w.len, msg, sizeof msg) == SMILE_OK) {
                smile_batch b;
                for (int i = 0; i < 8; i++) smile_batch_stream_next(&s, &b);
            }
            smile_batch_stream_free(&s);
        }
    } else if (smile_chain_init(&c, &p, d, 1, 0, NULL, msg, sizeof msg) == SMILE_OK) {
        int loaded = 0;
        smile_drive_slot slot;
        int have_slot = 0;
        if (which == 0) {
            loaded = smile_chain_load(&c, w.buf, w.len, msg, sizeof msg) == SMILE_OK;
        } else if (smile_drive_slot_init(&slot, &rp, kind, 0, msg, sizeof msg) == SMILE_OK) {
            have_slot = 1;
            const void *app = NULL;
            size_t app_len = 0;
            loaded = smile_drive_load(&c, &slot, w.buf, w.len, &app, &app_len, msg,
                                      sizeof msg) == SMILE_OK;
        }
        loaded = loaded && same_params(&c.p, &p);
        if (loaded && which == 2) {
            rp.max_steps = 4;
            smile_drive_hooks h = {0};
            (void)smile_drive(&c, &slot, &t, &rp, &h, msg, sizeof msg);
        } else if (loaded) {
            smile_step_info info;
            for (int i = 0; i < 4; i++) {
                smile_batch b = {NULL, 0, 1.0, (uint64_t)i, 0};
                smile_chain_step(&c, &t, &b, &info);
            }
        }
        if (have_slot) smile_drive_slot_free(&slot);
        smile_chain_free(&c);
    }
    free(w.buf);
    return 0;
}
