/* Character text (docs/experiments.md, section 2.3): the real "Shakespeare modern" file
 * (vocabulary, split sizes, lossless round trip), random windows (range,
 * shift, uniformity, determinism), encode/decode, malformed UTF-8. */
#define _XOPEN_SOURCE 700
#include "harness.h"
#include "smile.h"
#include "data/data.h"

#include <ftw.h>
#include <stdint.h>
#include <unistd.h>

static char tmpdir[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static const char *write_tmp(const char *name, const char *content, size_t len) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(content, 1, len, f);
        fclose(f);
    }
    return path;
}

static void real(const char *dir) {
    char path[1024], msg[512] = "";
    snprintf(path, sizeof path, "%s/shakespeare/shakespeare_simple.txt", dir);
    smile_dataset ds;
    int st = smile_dataset_load(&ds, SMILE_DATA_AUTO, path, NULL, msg, sizeof msg);
    CHECK(st == SMILE_OK && ds.task == SMILE_DATA_TEXT, "load: %s", msg);
    if (st != SMILE_OK) return;
    CHECK(ds.n == 1142198, "characters %zu", ds.n);
    CHECK(ds.vocab_size == 65 && ds.n_classes == 65 && ds.pad_id == 65, "vocabulary %zu pad %d",
          ds.vocab_size, ds.pad_id);
    CHECK(ds.vocab[0] == '\n' && ds.vocab[1] == ' ' && ds.vocab[2] == '!' && ds.vocab[3] == '"' &&
              ds.vocab[64] == 0x2014,
          "vocabulary order");
    int sorted = 1;
    for (size_t i = 1; i < ds.vocab_size; i++) sorted &= ds.vocab[i - 1] < ds.vocab[i];
    CHECK(sorted, "vocabulary not sorted");
    CHECK(smile_dataset_split_size(&ds, 0) == 1027978 && smile_dataset_split_size(&ds, 1) == 57110 &&
              smile_dataset_split_size(&ds, 2) == 57110,
          "split %zu/%zu/%zu", smile_dataset_split_size(&ds, 0), smile_dataset_split_size(&ds, 1),
          smile_dataset_split_size(&ds, 2));
    CHECK(smile_text_n_batches(&ds, SMILE_SPLIT_TRAIN, 256, 128) == 31, "n_b");
    size_t cnt[66] = {0};
    for (size_t i = 0; i < ds.n; i++) cnt[ds.tokens[i]]++;
    CHECK(cnt[64] == 422 && cnt[65] == 0, "em dashes %zu, pad %zu", cnt[64], cnt[65]);

    /* lossless: decode(tokens) == file bytes */
    FILE *f = fopen(path, "rb");
    char *raw = malloc(1143042 + 1), *dec = malloc(1143042 + 16);
    size_t nraw = fread(raw, 1, 1143042 + 1, f);
    fclose(f);
    size_t need = smile_text_decode(&ds, ds.tokens, ds.n, dec, 1143042 + 16);
    CHECK(nraw == 1143042 && need == nraw && !memcmp(raw, dec, nraw), "round trip");
    /* encode agrees with the loader */
    int32_t *ids = malloc(200 * sizeof *ids);
    size_t nid = 0;
    CHECK(smile_text_encode(&ds, raw, 150, ids, 200, &nid, msg, sizeof msg) == SMILE_OK &&
              nid == 150 && !memcmp(ids, ds.tokens, 150 * sizeof *ids),
          "encode: %s", msg);
    CHECK(smile_text_encode(&ds, "a$b", 3, ids, 200, &nid, msg, sizeof msg) == SMILE_EFORMAT &&
              strstr(msg, "U+0024"),
          "'$' is not in this vocabulary: %s", msg);
    CHECK(smile_text_encode(&ds, "\xe2\x80\x94", 3, ids, 200, &nid, msg, sizeof msg) == SMILE_OK &&
              nid == 1 && ids[0] == 64,
          "em dash id");
    free(ids), free(raw), free(dec);

    /* windows at the spec's sizes */
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_BATCH);
    uint32_t starts[128];
    int32_t *in = malloc(128 * 256 * sizeof *in), *tg = malloc(128 * 256 * sizeof *tg);
    CHECK(smile_text_sample_windows(&ds, SMILE_SPLIT_TRAIN, 256, 128, &r, starts) == SMILE_OK,
          "sample");
    CHECK(smile_text_gather_windows(&ds, SMILE_SPLIT_TRAIN, starts, 128, 256, in, tg) == SMILE_OK,
          "gather");
    size_t bad = 0;
    for (int b = 0; b < 128; b++) {
        bad += starts[b] > 1027978 - 258;
        for (int t = 0; t < 256; t++) {
            bad += in[b * 256 + t] != ds.tokens[starts[b] + t];
            bad += tg[b * 256 + t] != ds.tokens[starts[b] + t + 1];
        }
    }
    CHECK(bad == 0, "%zu window errors", bad);
    /* test split windows are offset by the split start */
    CHECK(smile_text_sample_windows(&ds, SMILE_SPLIT_TEST, 256, 4, &r, starts) == SMILE_OK &&
              smile_text_gather_windows(&ds, SMILE_SPLIT_TEST, starts, 4, 256, in, NULL) == SMILE_OK &&
              in[0] == ds.tokens[ds.split_begin[2] + starts[0]],
          "test windows");
    free(in), free(tg);
    smile_dataset_free(&ds);
}

static void small(void) {
    char msg[512] = "";
    smile_dataset ds;
    /* 3000 characters "abc…": split 2700 / 150 / 150 */
    char *txt = malloc(3000);
    for (int i = 0; i < 3000; i++) txt[i] = (char)('a' + (i * 7) % 13);
    const char *p = write_tmp("small.txt", txt, 3000);
    int st = smile_dataset_load_text(&ds, p, msg, sizeof msg);
    CHECK(st == SMILE_OK && ds.vocab_size == 13 && smile_dataset_split_size(&ds, 0) == 2700 &&
              smile_dataset_split_size(&ds, 1) == 150 && smile_dataset_split_size(&ds, 2) == 150,
          "small: %s", msg);
    if (st == SMILE_OK) {
        /* uniformity of starts on {0, …, n − T − 2}: valid split, n = 150,
         * T = 8 → 141 values; 141·200 draws, each count ~ Bin(28200, 1/141):
         * sd ≈ 14.1, allow 5 sd. Out-of-range starts must never occur. */
        size_t T = 8, K = 141, per = 200, n = K * per;
        size_t *cnt = calloc(K + 10, sizeof *cnt);
        uint32_t *s = malloc(n * sizeof *s);
        smile_rng r, r2;
        smile_rng_init(&r, 3, 1, SMILE_RNG_BATCH);
        r2 = r;
        CHECK(smile_text_sample_windows(&ds, SMILE_SPLIT_VALID, T, n, &r, s) == SMILE_OK, "sample");
        size_t out = 0, worst = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] >= K) out++;
            else cnt[s[i]]++;
        }
        for (size_t k = 0; k < K; k++) {
            size_t d = cnt[k] > per ? cnt[k] - per : per - cnt[k];
            worst = d > worst ? d : worst;
        }
        CHECK(out == 0 && worst <= 71, "starts: %zu out of range, worst deviation %zu", out, worst);
        CHECK(cnt[0] > 0 && cnt[K - 1] > 0, "end points never drawn");
        uint32_t s2[16];
        smile_text_sample_windows(&ds, SMILE_SPLIT_VALID, T, 16, &r2, s2);
        CHECK(!memcmp(s, s2, sizeof s2), "same stream, different windows");
        int32_t win[8];
        uint32_t last = (uint32_t)(150 - T - 1), past = last + 1;
        CHECK(smile_text_gather_windows(&ds, SMILE_SPLIT_VALID, &last, 1, T, win, win) == SMILE_OK,
              "last full window");
        CHECK(smile_text_gather_windows(&ds, SMILE_SPLIT_VALID, &past, 1, T, win, win) == SMILE_EINVAL,
              "window past the split");
        CHECK(smile_text_sample_windows(&ds, SMILE_SPLIT_VALID, 149, 1, &r, s) == SMILE_EINVAL,
              "T too long for the split");
        free(cnt), free(s);
        smile_dataset_free(&ds);
    }
    free(txt);

    /* malformed */
    struct {
        const char *name, *content;
        size_t len;
        int want;
        const char *needle;
    } bad[] = {
        {"empty.txt", "", 0, SMILE_EFORMAT, "empty"},
        {"ff.txt", "abc\ndef\nx\xffy\n", 12, SMILE_EFORMAT, "ff.txt:3:"},
        {"overlong.txt", "ab\xc0\xaf", 4, SMILE_EFORMAT, "overlong.txt:1:"},
        {"surrogate.txt", "a\n\xed\xa0\x80", 5, SMILE_EFORMAT, "surrogate.txt:2:"},
        {"cut.txt", "abc\xe2\x80", 5, SMILE_EFORMAT, "cut.txt:1:"},
        {"tiny.txt", "abcdefghij", 10, SMILE_EFORMAT, "valid 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *path = write_tmp(bad[i].name, bad[i].content, bad[i].len);
        st = smile_dataset_load_text(&ds, path, msg, sizeof msg);
        if (getenv("SMILE_TEST_VERBOSE")) printf("  %s -> %s\n", bad[i].name, msg);
        CHECK(st == bad[i].want && strstr(msg, bad[i].name) && strstr(msg, bad[i].needle),
              "%s: %d %s", bad[i].name, st, msg);
        if (st == SMILE_OK) smile_dataset_free(&ds);
    }
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.txt", tmpdir);
    st = smile_dataset_load_text(&ds, missing, msg, sizeof msg);
    CHECK(st == SMILE_EIO && strstr(msg, "none.txt"), "missing: %d %s", st, msg);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/smile_text_XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL, "mkdtemp");
    small();
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/shakespeare/shakespeare_simple.txt", harness_data_dir());
    FILE *f = fopen(probe, "rb");
    CHECK(f != NULL, "data folder missing: %s (set SMILE_DATA)", probe);
    if (f) {
        fclose(f);
        real(harness_data_dir());
    }
    nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return harness_done("test_data_text");
}
