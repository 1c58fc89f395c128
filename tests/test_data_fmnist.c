/* Fashion-MNIST loader (docs/experiments.md, section 2.2): the real files (skipped only
 * when SMILE_SKIP_BIG_DATA is set), generated IDX files (.gz and plain),
 * and malformed inputs: bad magic, truncated gzip, count mismatch, bad label,
 * trailing bytes, missing files. */
#define _XOPEN_SOURCE 700
#include "harness.h"
#include "smile.h"
#include "data/data.h"

#include <ftw.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void be32(unsigned char *b, uint32_t v) {
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

/* Pixel pattern of generated image k (train k < ntr, test after). */
static unsigned char pix(size_t k, size_t i) { return (unsigned char)((k * 31 + i * 7) % 256); }
static unsigned char lab(size_t k) { return (unsigned char)((k * 3) % 10); }

typedef struct {
    uint32_t img_magic, lab_magic, rows, cols;
    int gz, extra_byte, bad_label, lab_count_delta;
} idx_opts;

static void write_file(const char *dir, const char *name, const unsigned char *b, size_t n,
                       int gz) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    harness_write_bytes(path, b, n, gz);
}

/* Writes {train,t10k}-{images,labels} with ntr / nte items into dir. */
static void write_set(const char *dir, size_t ntr, size_t nte, const idx_opts *o) {
    for (int part = 0; part < 2; part++) {
        size_t n = part ? nte : ntr, k0 = part ? ntr : 0;
        size_t nb = 16 + n * o->rows * o->cols + (size_t)o->extra_byte;
        unsigned char *b = calloc(nb, 1);
        be32(b, o->img_magic);
        be32(b + 4, (uint32_t)n);
        be32(b + 8, o->rows);
        be32(b + 12, o->cols);
        for (size_t k = 0; k < n; k++)
            for (size_t i = 0; i < o->rows * o->cols; i++)
                b[16 + k * o->rows * o->cols + i] = pix(k0 + k, i);
        write_file(dir, part ? "t10k-images-idx3-ubyte" : "train-images-idx3-ubyte", b, nb, o->gz);
        free(b);
        size_t nl = n + (size_t)(int)o->lab_count_delta;
        unsigned char *l = calloc(8 + nl, 1);
        be32(l, o->lab_magic);
        be32(l + 4, (uint32_t)nl);
        for (size_t k = 0; k < nl; k++) l[8 + k] = lab(k0 + k);
        if (o->bad_label && part == 1) l[8 + 1] = 11;
        write_file(dir, part ? "t10k-labels-idx1-ubyte" : "train-labels-idx1-ubyte", l, 8 + nl,
                   o->gz);
        free(l);
    }
}

static char *mkdir_in(const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    mkdir(path, 0700);
    return path;
}

static idx_opts good(void) {
    idx_opts o = {2051, 2049, 28, 28, 1, 0, 0, 0};
    return o;
}

static void expect(const char *dir, int want, const char *n1, const char *n2) {
    smile_dataset ds;
    char msg[512] = "";
    smile_data_options op = smile_data_options_default();
    op.check_official_sizes = 0;
    int st = smile_dataset_load_fmnist(&ds, dir, &op, msg, sizeof msg);
    if (getenv("SMILE_TEST_VERBOSE")) printf("  %s -> %s\n", dir, msg);
    CHECK(st == want, "%s: status %d want %d: %s", dir, st, want, msg);
    CHECK(!n1 || strstr(msg, n1), "%s: message lacks '%s': %s", dir, n1, msg);
    CHECK(!n2 || strstr(msg, n2), "%s: message lacks '%s': %s", dir, n2, msg);
    if (st == SMILE_OK) smile_dataset_free(&ds);
}

static void generated(void) {
    const size_t ntr = 10, nte = 3; /* 13 rows: ⌊9.1⌋ = 9 train, 1 valid, 3 test */
    for (int gz = 1; gz >= 0; gz--) {
        char *d = mkdir_in(gz ? "good" : "plain");
        idx_opts o = good();
        o.gz = gz;
        write_set(d, ntr, nte, &o);
        smile_dataset ds;
        char msg[512] = "";
        smile_data_options op = smile_data_options_default();
        op.check_official_sizes = 0;
        op.seed = 5;
        int st = smile_dataset_load_fmnist(&ds, d, &op, msg, sizeof msg);
        CHECK(st == SMILE_OK, "generated (gz=%d): %s", gz, msg);
        if (st != SMILE_OK) continue;
        CHECK(ds.n == 13 && ds.height == 28 && ds.width == 28 && ds.channels == 1 &&
                  ds.feature_dim == 784 && ds.n_classes == 10,
              "shape");
        CHECK(smile_dataset_split_size(&ds, 0) == 9 && smile_dataset_split_size(&ds, 1) == 1 &&
                  smile_dataset_split_size(&ds, 2) == 3,
              "split %zu/%zu/%zu", smile_dataset_split_size(&ds, 0),
              smile_dataset_split_size(&ds, 1), smile_dataset_split_size(&ds, 2));
        size_t bad = 0, train_shuffled = 0;
        for (size_t r = 0; r < ds.n; r++) {
            size_t k = ds.orig_index[r];
            if (r < ntr) bad += k >= ntr, train_shuffled += k != r;
            else bad += k != r; /* test kept last, in order */
            bad += ds.labels[r] != lab(k);
            for (size_t i = 0; i < 784; i++) bad += ds.x[r * 784 + i] != (float)(pix(k, i) / 255.0);
        }
        CHECK(bad == 0, "%zu wrong values / indices", bad);
        CHECK(train_shuffled > 0, "training part not shuffled");
        smile_dataset ds2;
        CHECK(smile_dataset_load(&ds2, SMILE_DATA_AUTO, d, &op, msg, sizeof msg) == SMILE_OK &&
                  ds2.task == SMILE_DATA_FMNIST &&
                  !memcmp(ds2.x, ds.x, ds.n * 784 * sizeof(float)),
              "auto-detected folder: %s", msg);
        if (ds2.n) smile_dataset_free(&ds2);
        /* official sizes demanded by default */
        st = smile_dataset_load_fmnist(&ds2, d, NULL, msg, sizeof msg);
        CHECK(st == SMILE_EFORMAT && strstr(msg, "60000"), "strict sizes: %d %s", st, msg);
        smile_dataset_free(&ds);
    }

    /* one defect per folder: the file and the words its message must name */
    static const struct {
        const char *dir, *file, *want;
    } bad[] = {
        {"badimgmagic", "train-images-idx3-ubyte.gz", "magic"},
        {"badlabmagic", "train-labels-idx1-ubyte.gz", "magic"},
        {"badsize", "train-images-idx3-ubyte.gz", "28 x 28"},
        {"count", "train-labels-idx1-ubyte.gz", "labels"},
        {"badlabel", "t10k-labels-idx1-ubyte.gz", "label 11"},
        {"extra", "train-images-idx3-ubyte.gz", "unexpected data"},
    };
    for (int i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
        idx_opts o = good();
        switch (i) {
        case 0: o.img_magic = 2049; break;
        case 1: o.lab_magic = 2051; break;
        case 2: o.rows = 27; break;
        case 3: o.lab_count_delta = 1; break;
        case 4: o.bad_label = 1; break;
        default: o.extra_byte = 1; break;
        }
        write_set(mkdir_in(bad[i].dir), ntr, nte, &o);
        expect(mkdir_in(bad[i].dir), SMILE_EFORMAT, bad[i].file, bad[i].want);
    }

    /* truncated gzip: cut the compressed training images in half */
    idx_opts o = good();
    {
        char *d = mkdir_in("trunc");
        write_set(d, ntr, nte, &o);
        char p[600];
        snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", d);
        FILE *f = fopen(p, "rb");
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fclose(f);
        CHECK(truncate(p, sz / 2) == 0, "truncate");
        expect(d, SMILE_EFORMAT, "train-images-idx3-ubyte.gz", "truncated");
    }
    /* missing label file */
    {
        char *d = mkdir_in("missing");
        write_set(d, ntr, nte, &o);
        char p[600];
        snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", d);
        remove(p);
        expect(d, SMILE_EIO, "t10k-labels-idx1-ubyte.gz", "cannot open");
    }
    expect("/nonexistent_smile_dir", SMILE_EIO, "/nonexistent_smile_dir", NULL);
}

/* Reads decompressed item k of an IDX image file (independent of the loader). */
static int direct_image(const char *path, size_t k, unsigned char *out) {
    gzFile g = gzopen(path, "rb");
    if (!g) return -1;
    if (gzseek(g, (z_off_t)(16 + k * 784), SEEK_SET) < 0) return -1;
    int got = gzread(g, out, 784);
    gzclose(g);
    return got == 784 ? 0 : -1;
}

static void real(const char *dir) {
    char fm[1024];
    snprintf(fm, sizeof fm, "%s/fashion_mnist", dir);
    smile_dataset ds;
    char msg[512] = "";
    smile_data_options op = smile_data_options_default();
    op.seed = 1;
    int st = smile_dataset_load(&ds, SMILE_DATA_FMNIST, fm, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK, "real Fashion-MNIST: %s", msg);
    if (st != SMILE_OK) return;
    CHECK(ds.n == 70000 && smile_dataset_split_size(&ds, 0) == 49000 &&
              smile_dataset_split_size(&ds, 1) == 11000 &&
              smile_dataset_split_size(&ds, 2) == 10000,
          "sizes %zu: %zu/%zu/%zu", ds.n, smile_dataset_split_size(&ds, 0),
          smile_dataset_split_size(&ds, 1), smile_dataset_split_size(&ds, 2));
    /* 6000 per class in the 60,000 training images, 1000 per class in test */
    size_t cnt[2][10] = {{0}};
    for (size_t r = 0; r < ds.n; r++) cnt[r >= 60000][ds.labels[r]]++;
    int balanced = 1;
    for (int k = 0; k < 10; k++) balanced &= cnt[0][k] == 6000 && cnt[1][k] == 1000;
    CHECK(balanced, "class counts");
    /* pixel statistics of the training images: published mean 0.2860 and
     * std 0.3530 (4 digits, so tolerance 1e-4 + rounding) */
    double s = 0, s2 = 0, mn = 1, mx = 0;
    for (size_t i = 0; i < (size_t)60000 * 784; i++) {
        double v = ds.x[i];
        s += v, s2 += v * v;
        mn = v < mn ? v : mn, mx = v > mx ? v : mx;
    }
    double m = s / (60000.0 * 784), sd = sqrt(s2 / (60000.0 * 784) - m * m);
    CHECK(fabs(m - 0.2860) < 1.5e-4 && fabs(sd - 0.3530) < 1.5e-4, "pixel mean %.5f std %.5f", m,
          sd);
    CHECK(mn == 0.0 && mx == 1.0, "pixel range [%g, %g]", mn, mx);
    /* a few rows against a direct read of the gz files */
    char tri[1200], tei[1200];
    snprintf(tri, sizeof tri, "%s/train-images-idx3-ubyte.gz", fm);
    snprintf(tei, sizeof tei, "%s/t10k-images-idx3-ubyte.gz", fm);
    size_t rows[] = {0, 1, 48999, 49000, 59999, 60000, 69999};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        size_t r = rows[i], o = ds.orig_index[r];
        unsigned char px[784];
        int ok = direct_image(o < 60000 ? tri : tei, o < 60000 ? o : o - 60000, px) == 0;
        for (size_t j = 0; ok && j < 784; j++) ok = ds.x[r * 784 + j] == (float)(px[j] / 255.0);
        CHECK(ok, "row %zu (source %zu) differs from the file", r, o);
    }
    CHECK(ds.orig_index[60000] == 60000 && ds.orig_index[69999] == 69999, "test kept last");
    char d[2048];
    smile_dataset_describe(&ds, d, sizeof d);
    CHECK(strstr(d, "test per class: T-shirt/top=1000") != NULL, "describe: %s", d);
    smile_dataset_free(&ds);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/smile_fm_XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL, "mkdtemp");
    generated();
    const char *skip = getenv("SMILE_SKIP_BIG_DATA");
    if (skip && *skip && strcmp(skip, "0")) {
        printf("SMILE_SKIP_BIG_DATA set: real Fashion-MNIST skipped\n");
    } else {
        char probe[1024];
        snprintf(probe, sizeof probe, "%s/fashion_mnist/train-images-idx3-ubyte.gz",
                 harness_data_dir());
        FILE *f = fopen(probe, "rb");
        CHECK(f != NULL, "Fashion-MNIST missing: %s (set SMILE_DATA or SMILE_SKIP_BIG_DATA)",
              probe);
        if (f) {
            fclose(f);
            real(harness_data_dir());
        }
    }
    nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return harness_done("test_data_fmnist");
}
