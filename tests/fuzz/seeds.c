/* Seed inputs that need the library or libjpeg (make_corpus.sh builds and runs
 * this): small JPEGs (RGB, grayscale, CMYK) for fuzz_jpeg and checkpoint
 * payloads of every sampler kind, batch-stream kind and a driven chain for
 * fuzz_ckpt (the frame stripped: fuzz_ckpt rebuilds it). Usage: seeds OUTDIR. */
#include "jpeg_writer.h"
#include "sampler/sampler_internal.h"
#include "fuzz/fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(const char *dir, const char *name, const void *b, size_t n) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(b, 1, n, f) != n) exit(1);
    fclose(f);
}

/* byte 0 format, byte 1 kind, byte 2 dimension, then the frame's payload */
static void put_ckpt(const char *dir, const char *name, int which, int kind, int d,
                     const unsigned char *frame, size_t len) {
    const size_t head = 24, tail = 4, n = 3 + len - head - tail;
    unsigned char *b = malloc(n);
    b[0] = (unsigned char)which, b[1] = (unsigned char)kind, b[2] = (unsigned char)(d - 1);
    memcpy(b + 3, frame + head, len - head - tail);
    put(dir, name, b, n);
    free(b);
}

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    const char *jdir = argv[1], *cdir = argv[2];
    unsigned char pix[8 * 8 * 4];
    for (size_t i = 0; i < sizeof pix; i++) pix[i] = (unsigned char)(i * 37 % 251);
    char p[512];
    snprintf(p, sizeof p, "%s/rgb.jpg", jdir);
    write_jpeg(p, 8, 8, 3, JCS_RGB, pix);
    snprintf(p, sizeof p, "%s/gray.jpg", jdir);
    write_jpeg(p, 8, 6, 1, JCS_GRAYSCALE, pix);
    snprintf(p, sizeof p, "%s/cmyk.jpg", jdir);
    write_jpeg(p, 4, 4, 4, JCS_CMYK, pix);

    char msg[256];
    size_t d = 3;
    smile_target t = {d, fuzz_gauss, &d, 1};
    for (int k = 0; k < SMILE_SAMPLER_COUNT_; k++) {
        smile_sampler_params sp = smile_sampler_params_default((smile_sampler_kind)k);
        smile_chain c;
        if (smile_chain_init(&c, &sp, d, 1, 0, NULL, msg, sizeof msg) != SMILE_OK) return 1;
        smile_chain_begin_warmup(&c, &t, 20, msg, sizeof msg);
        smile_step_info info;
        for (int s = 0; s < 5; s++) {
            smile_batch b = {NULL, 0, 1.0, (uint64_t)s, 0};
            smile_chain_step(&c, &t, &b, &info);
        }
        void *buf;
        size_t len;
        if (smile_chain_save(&c, &buf, &len, msg, sizeof msg) != SMILE_OK) return 1;
        char name[64];
        snprintf(name, sizeof name, "chain_%s", smile_sampler_name((smile_sampler_kind)k));
        put_ckpt(cdir, name, 0, k, (int)d, buf, len);
        free(buf);
        if (k == SMILE_SAMPLER_SMILE_AUTO) { /* a driven chain */
            smile_run_params rp = smile_run_params_default();
            rp.n_data = 20, rp.batch_size = 4, rp.warmup = 3, rp.samples = 3;
            smile_drive_slot slot;
            smile_drive_slot_init(&slot, &rp, (smile_sampler_kind)k, 0, msg, sizeof msg);
            slot.stage = SMILE_DRIVE_WARMUP;
            if (smile_drive_save(&c, &slot, "npy_rows 0 csv_rows 0 csv_bytes 0", 33, &buf, &len,
                                 msg, sizeof msg) != SMILE_OK)
                return 1;
            put_ckpt(cdir, "drive_smile_auto", 2, k, (int)d, buf, len);
            free(buf);
            smile_drive_slot_free(&slot);
        }
        smile_chain_free(&c);
    }
    for (int sk = 0; sk < 4; sk++) {
        smile_batch_stream s;
        if (smile_batch_stream_init(&s, (smile_stream_kind)sk, 20, 4, SMILE_SCALE_N_OVER_B, 1, 0,
                                    msg, sizeof msg) != SMILE_OK)
            return 1;
        smile_batch b;
        smile_batch_stream_next(&s, &b);
        void *buf;
        size_t len;
        smile_batch_stream_save(&s, &buf, &len, msg, sizeof msg);
        char name[64];
        snprintf(name, sizeof name, "stream_%d", sk);
        put_ckpt(cdir, name, 1, sk, 20, buf, len);
        free(buf);
        smile_batch_stream_free(&s);
    }
    return 0;
}
