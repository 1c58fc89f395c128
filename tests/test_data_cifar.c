/* CIFAR-10 binary loader (docs/experiments.md, section 2.2) on generated files in
 * the official record format (label byte + 1024 R + 1024 G + 1024 B), as a
 * folder, its parent, and a .tar.gz (ustar + GNU long name + pax path);
 * error paths (short record, bad label, missing file, strict sizes); and the
 * "basic" augmentation (docs/method.md, section 9.6). */
#define _XOPEN_SOURCE 700
#include "harness.h"
#include "tar_writer.h"
#include "smile.h"
#include "data/data.h"

#include <ftw.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];
static const char *const files[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                     "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
#define NPER 3 /* records per generated file: 15 train + 3 test */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* Known pattern: pixel = (record + channel·7 + row·3 + column) mod 256,
 * record = global index (train files in order, then test). */
static unsigned char pattern(size_t rec, size_t c, size_t h, size_t w) {
    return (unsigned char)((rec + c * 7 + h * 3 + w) % 256);
}
static unsigned char label_of(size_t rec) { return (unsigned char)((rec * 7 + 3) % 10); }

static unsigned char *make_file(int f, size_t *len) {
    *len = NPER * 3073;
    unsigned char *b = malloc(*len);
    for (size_t k = 0; k < NPER; k++) {
        size_t rec = (size_t)f * NPER + k;
        unsigned char *r = b + k * 3073;
        r[0] = label_of(rec);
        for (size_t c = 0; c < 3; c++)
            for (size_t h = 0; h < 32; h++)
                for (size_t w = 0; w < 32; w++) r[1 + c * 1024 + h * 32 + w] = pattern(rec, c, h, w);
    }
    return b;
}

static void write_folder(const char *dir) {
    mkdir(dir, 0700);
    for (int f = 0; f < 6; f++) {
        size_t len;
        unsigned char *b = make_file(f, &len);
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, files[f]);
        FILE *fp = fopen(p, "wb");
        fwrite(b, 1, len, fp);
        fclose(fp);
        free(b);
    }
}

static void write_archive(const char *path, int drop_test) {
    gzFile g = gzopen(path, "wb");
    tar_header(g, "cifar-10-batches-bin/", 0, '5');
    const char *meta = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
    tar_header(g, "cifar-10-batches-bin/batches.meta.txt", strlen(meta), '0');
    tar_data(g, meta, strlen(meta));
    /* a GNU long-name entry (ignored file) */
    char longname[300];
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "cifar-10-batches-bin/", 21);
    longname[299] = 0;
    tar_header(g, "././@LongLink", strlen(longname) + 1, 'L');
    tar_data(g, longname, strlen(longname) + 1);
    tar_header(g, "truncated-name", 5, '0');
    tar_data(g, "hello", 5);
    for (int f = 5; f >= 0; f--) { /* reverse order: the loader must not care */
        if (drop_test && f == 5) continue;
        size_t len;
        unsigned char *b = make_file(f, &len);
        char name[100];
        snprintf(name, sizeof name, "cifar-10-batches-bin/%s", files[f]);
        if (f == 2) { /* pax extended header naming the member */
            char rec[128];
            int n = snprintf(rec, sizeof rec, "xx path=%s\n", name);
            /* record length includes its own digits */
            char rec2[160];
            int total = n - 2 + 2; /* "xx" stands for two digits */
            snprintf(rec2, sizeof rec2, "%d path=%s\n", total, name);
            tar_header(g, "PaxHeaders/x", strlen(rec2), 'x');
            tar_data(g, rec2, strlen(rec2));
            snprintf(name, sizeof name, "placeholder");
        }
        tar_header(g, name, len, '0');
        tar_data(g, b, len);
        free(b);
    }
    tar_end(g);
    gzclose(g);
}

static int check_content(const smile_dataset *ds, const char *what) {
    size_t bad = 0, moved = 0;
    size_t ntr = 5 * NPER;
    for (size_t r = 0; r < ds->n; r++) {
        size_t rec = ds->orig_index[r];
        if (r >= ntr) bad += rec != r;
        else bad += rec >= ntr, moved += rec != r;
        bad += ds->labels[r] != label_of(rec);
        for (size_t h = 0; h < 32; h++)
            for (size_t w = 0; w < 32; w++)
                for (size_t c = 0; c < 3; c++)
                    bad += ds->x[r * 3072 + (h * 32 + w) * 3 + c] != (float)pattern(rec, c, h, w);
    }
    CHECK(bad == 0 && moved > 0, "%s: %zu wrong values, %zu shuffled rows", what, bad, moved);
    return bad == 0;
}

static void loader(void) {
    char dir[700], parent[600], tgz[600], msg[512] = "";
    snprintf(parent, sizeof parent, "%s/rel", tmpdir);
    mkdir(parent, 0700);
    snprintf(dir, sizeof dir, "%s/cifar-10-batches-bin", parent);
    write_folder(dir);
    smile_data_options op = smile_data_options_default();
    op.check_official_sizes = 0;
    op.seed = 3;
    smile_dataset a, b, c;
    int st = smile_dataset_load_cifar10(&a, dir, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK, "folder: %s", msg);
    if (st != SMILE_OK) return;
    CHECK(a.n == 18 && a.height == 32 && a.width == 32 && a.channels == 3 && a.feature_dim == 3072 &&
              a.n_classes == 10 && !strcmp(a.class_names[9], "truck"),
          "shape");
    /* ⌊18·0.75⌋ = 13 train, 2 valid, 3 test */
    CHECK(smile_dataset_split_size(&a, 0) == 13 && smile_dataset_split_size(&a, 1) == 2 &&
              smile_dataset_split_size(&a, 2) == 3,
          "split");
    check_content(&a, "folder");
    CHECK(smile_augment_truncate_for(&a) == 1, "CIFAR pixels are unscaled 0..255");

    st = smile_dataset_load(&b, SMILE_DATA_AUTO, parent, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK && b.task == SMILE_DATA_CIFAR10, "parent folder, auto: %s", msg);
    if (st == SMILE_OK) {
        CHECK(!memcmp(a.x, b.x, a.n * 3072 * sizeof(float)), "parent vs folder");
        smile_dataset_free(&b);
    }
    snprintf(tgz, sizeof tgz, "%s/cifar-10-binary.tar.gz", tmpdir);
    write_archive(tgz, 0);
    st = smile_dataset_load(&c, SMILE_DATA_AUTO, tgz, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK && c.task == SMILE_DATA_CIFAR10, "archive, auto: %s", msg);
    if (st == SMILE_OK) {
        CHECK(c.n == a.n && !memcmp(a.x, c.x, a.n * 3072 * sizeof(float)) &&
                  !memcmp(a.labels, c.labels, a.n * sizeof(int32_t)),
              "archive vs folder");
        smile_dataset_free(&c);
    }
    /* archive without the test batch */
    snprintf(tgz, sizeof tgz, "%s/notest.tar.gz", tmpdir);
    write_archive(tgz, 1);
    st = smile_dataset_load_cifar10(&c, tgz, &op, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "test_batch.bin") && strstr(msg, "notest.tar.gz"),
          "archive lacking test batch: %d %s", st, msg);
    /* not an archive */
    snprintf(tgz, sizeof tgz, "%s/bogus.tar.gz", tmpdir);
    FILE *f = fopen(tgz, "wb");
    for (int i = 0; i < 600; i++) fputc('z', f);
    fclose(f);
    st = smile_dataset_load_cifar10(&c, tgz, &op, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "bogus.tar.gz"), "bogus archive: %d %s", st, msg);

    /* strict mode demands 10,000 records per file */
    st = smile_dataset_load_cifar10(&c, dir, NULL, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "10000") && strstr(msg, "data_batch_1.bin"),
          "strict: %d %s", st, msg);

    /* seeds */
    op.seed = 4;
    st = smile_dataset_load_cifar10(&c, dir, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK && memcmp(a.orig_index, c.orig_index, 18 * sizeof(uint32_t)) != 0,
          "seed changes the permutation");
    if (st == SMILE_OK) smile_dataset_free(&c);
    op.seed = 3;

    /* short record */
    char bad[600], p[700];
    snprintf(bad, sizeof bad, "%s/short", tmpdir);
    write_folder(bad);
    snprintf(p, sizeof p, "%s/data_batch_4.bin", bad);
    CHECK(truncate(p, 2 * 3073 + 100) == 0, "truncate");
    st = smile_dataset_load_cifar10(&c, bad, &op, msg, sizeof msg);
    if (getenv("SMILE_TEST_VERBOSE")) printf("  short -> %s\n", msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "data_batch_4.bin") && strstr(msg, "6246"),
          "short record: %d %s", st, msg);
    /* bad label in record 2 of the test batch */
    snprintf(bad, sizeof bad, "%s/label", tmpdir);
    write_folder(bad);
    snprintf(p, sizeof p, "%s/test_batch.bin", bad);
    f = fopen(p, "r+b");
    fseek(f, 2 * 3073, SEEK_SET);
    fputc(10, f);
    fclose(f);
    st = smile_dataset_load_cifar10(&c, bad, &op, msg, sizeof msg);
    if (getenv("SMILE_TEST_VERBOSE")) printf("  label -> %s\n", msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "test_batch.bin") && strstr(msg, "record 2") &&
              strstr(msg, "label 10"),
          "bad label: %d %s", st, msg);
    /* missing file */
    snprintf(bad, sizeof bad, "%s/missing", tmpdir);
    write_folder(bad);
    snprintf(p, sizeof p, "%s/data_batch_5.bin", bad);
    remove(p);
    st = smile_dataset_load_cifar10(&c, bad, &op, msg, sizeof msg);
    CHECK(st == SMILE_EIO && strstr(msg, "data_batch_5.bin"), "missing: %d %s", st, msg);

    /* gather of images */
    uint32_t idx[2] = {12, 0};
    smile_batch bt = {idx, 2, 1.0, 0, 0};
    float *x = malloc(2 * 3072 * sizeof(float));
    int32_t lab[2];
    CHECK(smile_dataset_gather(&a, &bt, x, NULL, lab) == SMILE_OK &&
              !memcmp(x, a.x + 12 * 3072, 3072 * sizeof(float)) && lab[0] == a.labels[12] &&
              lab[1] == a.labels[0],
          "gather");
    float y[2];
    CHECK(smile_dataset_gather(&a, &bt, x, y, lab) == SMILE_EINVAL, "no regression targets");
    free(x);
    smile_dataset_free(&a);
}

/* ---- augmentation ---- */

/* Linear test image f(y, x) = 10y + x + 1000c (bilinear interpolation
 * reproduces linear functions exactly, clamping included). */
static void linear_image(float *img, size_t H, size_t W, size_t C) {
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            for (size_t c = 0; c < C; c++) img[(y * W + x) * C + c] = (float)(10 * y + x + 1000 * c);
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static void augment_exact(size_t H, size_t W, size_t C, size_t h_expect) {
    size_t n = 64, sz = H * W * C;
    float *x = malloc(n * sz * sizeof *x), *scratch = malloc(sz * sizeof *scratch);
    for (size_t i = 0; i < n; i++) linear_image(x + i * sz, H, W, C);
    smile_rng r, rr;
    smile_rng_init(&r, 11, 2, SMILE_RNG_DATA);
    rr = r; /* replay the same draws here */
    smile_augment_basic(x, n, H, W, C, 0, &r, scratch);
    size_t h = (size_t)(0.7 * (double)H), w = (size_t)(0.7 * (double)W);
    CHECK(h == h_expect, "crop %zu, spec %zu", h, h_expect);
    size_t bad = 0, n_flip = 0, n_crop = 0;
    for (size_t i = 0; i < n; i++) {
        int flip = smile_rng_uniform(&rr) < 0.5;
        int crop = smile_rng_uniform(&rr) < 0.95;
        size_t oy = 0, ox = 0;
        if (crop) {
            oy = (size_t)smile_rng_below(&rr, H - h + 1);
            ox = (size_t)smile_rng_below(&rr, W - w + 1);
        }
        n_flip += (size_t)flip, n_crop += (size_t)crop;
        for (size_t Y = 0; Y < H; Y++)
            for (size_t X = 0; X < W; X++) {
                double sy = Y, sx = X;
                if (crop) {
                    sy = oy + clampd((Y + 0.5) * (double)h / (double)H - 0.5, 0, (double)h - 1);
                    sx = ox + clampd((X + 0.5) * (double)w / (double)W - 0.5, 0, (double)w - 1);
                }
                if (flip) sx = (double)(W - 1) - sx; /* mirrored source column */
                for (size_t c = 0; c < C; c++) {
                    double want = 10 * sy + sx + 1000.0 * c;
                    /* float storage of values < 4096 and interpolation in
                     * double: |err| ≤ 2^-12 relative to 4096 → 1e-3 ample */
                    if (fabs(x[i * sz + (Y * W + X) * C + c] - want) > 1e-3) bad++;
                }
            }
    }
    CHECK(bad == 0, "%zux%zu: %zu values differ from the crop/flip geometry", H, W, bad);
    CHECK(n_flip > 0 && n_flip < n && n_crop > 0, "draws: %zu flips %zu crops", n_flip, n_crop);
    free(x);
    free(scratch);
}

static void augment(void) {
    augment_exact(32, 32, 3, 22);
    augment_exact(160, 160, 3, 112);
    augment_exact(28, 20, 1, 19);

    /* constant images stay exactly constant, also with truncation */
    size_t H = 32, W = 32, C = 3, sz = H * W * C, n = 50;
    float *x = malloc(n * sz * sizeof *x), *s = malloc(sz * sizeof *s);
    for (size_t i = 0; i < n * sz; i++) x[i] = 255.0f;
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_DATA);
    smile_augment_basic(x, n, H, W, C, 1, &r, s);
    size_t bad = 0;
    for (size_t i = 0; i < n * sz; i++) bad += x[i] != 255.0f;
    CHECK(bad == 0, "constant image changed at %zu values", bad);

    /* truncation: all results integers and within [0, 255] */
    for (size_t i = 0; i < n * sz; i++) x[i] = (float)((i * 37) % 256);
    smile_augment_basic(x, n, H, W, C, 1, &r, s);
    bad = 0;
    for (size_t i = 0; i < n * sz; i++) bad += x[i] != floorf(x[i]) || x[i] < 0 || x[i] > 255;
    CHECK(bad == 0, "%zu non-integer values after truncation", bad);

    /* same stream → same result; different stream → different */
    float *y = malloc(n * sz * sizeof *y), *z = malloc(n * sz * sizeof *z);
    for (size_t i = 0; i < n * sz; i++) y[i] = z[i] = (float)((i * 13) % 251);
    smile_rng a, b, c2;
    smile_rng_init(&a, 9, 1, SMILE_RNG_DATA);
    b = a;
    smile_rng_init(&c2, 9, 2, SMILE_RNG_DATA);
    memcpy(x, y, n * sz * sizeof *x);
    smile_augment_basic(y, n, H, W, C, 1, &a, s);
    smile_augment_basic(z, n, H, W, C, 1, &b, s);
    CHECK(!memcmp(y, z, n * sz * sizeof *y), "same stream, different output");
    smile_augment_basic(x, n, H, W, C, 1, &c2, s);
    CHECK(memcmp(x, y, n * sz * sizeof *y) != 0, "different streams, same output");

    /* frequencies: image with distinct values; unchanged ⇔ no flip, no crop
     * (p = 0.025), exact mirror ⇔ flip, no crop (p = 0.025), else cropped
     * (p = 0.95). N = 4000: binomial sd 9.9 and 13.8; 5 sd bounds. */
    size_t N = 4000, h = 10, w = 10, isz = h * w;
    float *im = malloc(N * isz * sizeof *im), *sc = malloc(isz * sizeof *sc);
    for (size_t i = 0; i < N * isz; i++) im[i] = (float)(i % isz);
    smile_rng_init(&r, 77, 0, SMILE_RNG_DATA);
    smile_augment_basic(im, N, h, w, 1, 0, &r, sc);
    size_t same = 0, mir = 0;
    for (size_t i = 0; i < N; i++) {
        int s1 = 1, s2 = 1;
        for (size_t yy = 0; yy < h; yy++)
            for (size_t xx = 0; xx < w; xx++) {
                float v = im[i * isz + yy * w + xx];
                s1 &= v == (float)(yy * w + xx);
                s2 &= v == (float)(yy * w + (w - 1 - xx));
            }
        same += (size_t)s1, mir += (size_t)s2;
    }
    size_t cropped = N - same - mir;
    CHECK(fabs((double)same - 100) <= 50 && fabs((double)mir - 100) <= 50 &&
              fabs((double)cropped - 3800) <= 69,
          "unchanged %zu mirrored %zu cropped %zu", same, mir, cropped);
    free(im), free(sc), free(x), free(y), free(z), free(s);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/smile_cifar_XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL, "mkdtemp");
    loader();
    augment();
    nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return harness_done("test_data_cifar");
}
