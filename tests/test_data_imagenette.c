/* Imagenette loader (docs/experiments.md, section 2.2) on a generated miniature tree
 * of JPEGs written here with libjpeg: label assignment (class folders in
 * byte order), file ordering, grayscale and CMYK → RGB, resize to S × S with
 * orientation preserved, normalisation, split, archive (.tgz) = folder,
 * thread-count independence, error paths. Plus unit tests of the
 * antialiased bilinear resize. */
#define _XOPEN_SOURCE 700
#include "harness.h"
#include "jpeg_writer.h"
#include "tar_writer.h"
#include "smile.h"
#include "data/data.h"

#include "data/data_internal.h"

#include <ftw.h>
#include <jpeglib.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* One generated image: flat colour, or left/right halves (split = 1) or
 * top/bottom halves (split = 2) of colour rgb and rgb2. */
typedef struct {
    const char *rel; /* relative to the imagenette2 root */
    int w, h, kind;  /* kind: 0 RGB, 1 grayscale, 2 CMYK */
    unsigned char rgb[3], rgb2[3];
    int split;
    unsigned char expect[3], expect2[3]; /* expected decoded RGB */
} img_spec;

/* train n01: 2 images; train n02: 4 (byte order: "Z" < "a" < "b" < "c"); val: 3 */
static const img_spec imgs[] = {
    {"train/n02/b.JPEG", 40, 30, 0, {200, 30, 40}, {0}, 0, {200, 30, 40}, {0}},
    {"train/n02/a.jpg", 17, 23, 0, {10, 220, 60}, {0}, 0, {10, 220, 60}, {0}},
    {"train/n02/c.JPEG", 64, 48, 1, {90, 0, 0}, {0}, 0, {90, 90, 90}, {0}},
    {"train/n02/Z.JPEG", 33, 33, 0, {240, 240, 20}, {0}, 0, {240, 240, 20}, {0}},
    {"train/n01/x.JPEG", 200, 120, 0, {250, 10, 10}, {10, 10, 250}, 1, {250, 10, 10}, {10, 10, 250}},
    {"train/n01/y.jpeg", 64, 96, 0, {20, 200, 20}, {200, 20, 200}, 2, {20, 200, 20}, {200, 20, 200}},
    {"val/n01/v1.JPEG", 50, 50, 2, {200, 100, 50}, {0}, 0, {200, 100, 50}, {0}}, /* CMYK K'=255 */
    {"val/n02/v2.JPEG", 30, 90, 0, {120, 60, 180}, {0}, 0, {120, 60, 180}, {0}},
    {"val/n02/v0.JPEG", 161, 159, 2, {100, 200, 0}, {0}, 0, {50, 100, 0}, {0}}, /* K'=128 */
};
#define NIMG (sizeof imgs / sizeof *imgs)
/* canonical order: train n01 x, y; n02 Z, a, b, c; val n01 v1; n02 v0, v2 */
static const int canon[NIMG] = {4, 5, 3, 1, 0, 2, 6, 8, 7};
static const int canon_label[NIMG] = {0, 0, 1, 1, 1, 1, 0, 1, 1};

static unsigned char *render(const img_spec *s, int *comps, J_COLOR_SPACE *cs) {
    *comps = s->kind == 1 ? 1 : s->kind == 2 ? 4 : 3;
    *cs = s->kind == 1 ? JCS_GRAYSCALE : s->kind == 2 ? JCS_CMYK : JCS_RGB;
    unsigned char *p = malloc((size_t)s->w * s->h * *comps);
    for (int y = 0; y < s->h; y++)
        for (int x = 0; x < s->w; x++) {
            int second = (s->split == 1 && x >= s->w / 2) || (s->split == 2 && y >= s->h / 2);
            const unsigned char *c = second ? s->rgb2 : s->rgb;
            unsigned char *o = p + ((size_t)y * s->w + x) * *comps;
            if (s->kind == 1) o[0] = c[0];
            else if (s->kind == 2) { /* stored (Adobe-inverted) C'M'Y'K' */
                o[0] = c[0], o[1] = c[1], o[2] = c[2];
                o[3] = s->expect[0] == c[0] ? 255 : 128;
            } else
                o[0] = c[0], o[1] = c[1], o[2] = c[2];
        }
    return p;
}

static void mkdirs(const char *path) {
    char b[700];
    snprintf(b, sizeof b, "%s", path);
    for (char *p = b + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(b, 0700);
            *p = '/';
        }
    mkdir(b, 0700);
}

static void write_tree(const char *root) {
    for (size_t i = 0; i < NIMG; i++) {
        char p[800], d[800];
        snprintf(p, sizeof p, "%s/%s", root, imgs[i].rel);
        snprintf(d, sizeof d, "%s", p);
        *strrchr(d, '/') = 0;
        mkdirs(d);
        int comps;
        J_COLOR_SPACE cs;
        unsigned char *px = render(&imgs[i], &comps, &cs);
        write_jpeg(p, imgs[i].w, imgs[i].h, comps, cs, px);
        free(px);
    }
    char p[800];
    snprintf(p, sizeof p, "%s/train/n01/notes.txt", root);
    FILE *f = fopen(p, "w");
    fputs("not an image\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/noisy_imagenette.csv", root);
    f = fopen(p, "w");
    fputs("path,noisy_labels_0\n", f);
    fclose(f);
}

static void tar_file(gzFile g, const char *name, const char *src) {
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    tar_header(g, name, got, '0');
    tar_data(g, b, got);
    free(b);
}

static void write_tgz(const char *tgz, const char *root) {
    gzFile g = gzopen(tgz, "wb");
    tar_header(g, "imagenette2/", 0, '5');
    for (size_t i = NIMG; i-- > 0;) { /* reverse order on purpose */
        char src[800], name[300];
        snprintf(src, sizeof src, "%s/%s", root, imgs[i].rel);
        snprintf(name, sizeof name, "imagenette2/%s", imgs[i].rel);
        tar_file(g, name, src);
    }
    char src[800];
    snprintf(src, sizeof src, "%s/noisy_imagenette.csv", root);
    tar_file(g, "imagenette2/noisy_imagenette.csv", src);
    tar_end(g);
    gzclose(g);
}

static const double mean_[3] = {0.485, 0.456, 0.406}, std_[3] = {0.229, 0.224, 0.225};

/* Colour expected at output pixel (y, x) of an S × S image. */
static const unsigned char *expected_at(const img_spec *s, int y, int x, int S) {
    if (s->split == 1) return (x < S / 2) ? s->expect : s->expect2;
    if (s->split == 2) return (y < S / 2) ? s->expect : s->expect2;
    return s->expect;
}

static void check_tree(const smile_dataset *ds, int S, const char *what) {
    CHECK(ds->n == NIMG && ds->height == (size_t)S && ds->width == (size_t)S && ds->channels == 3 &&
              ds->n_classes == 2 && !strcmp(ds->class_names[0], "n01") &&
              !strcmp(ds->class_names[1], "n02"),
          "%s: shape / classes", what);
    /* 9 images, 6 train: ⌊9·0.65⌋ = 5 train, 1 valid, 3 test (= val) */
    CHECK(smile_dataset_split_size(ds, 0) == 5 && smile_dataset_split_size(ds, 1) == 1 &&
              smile_dataset_split_size(ds, 2) == 3,
          "%s: split", what);
    size_t bad = 0, badpix = 0;
    for (size_t r = 0; r < ds->n; r++) {
        size_t o = ds->orig_index[r];
        if (r >= 6) bad += o != r;
        bad += o >= NIMG || ds->labels[r] != canon_label[o];
        if (o >= NIMG) continue;
        const img_spec *s = &imgs[canon[o]];
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                /* skip the band where a two-colour image blends (filter
                 * support ≤ 2 source pixels ≈ 2·S/min(w,h) output pixels) */
                if (s->split == 1 && abs(x - S / 2) < 2 * S / s->w + 2) continue;
                if (s->split == 2 && abs(y - S / 2) < 2 * S / s->h + 2) continue;
                const unsigned char *e = expected_at(s, y, x, S);
                for (int c = 0; c < 3; c++) {
                    double v = ds->x[r * ds->feature_dim + ((size_t)y * S + x) * 3 + c];
                    double p = (v * std_[c] + mean_[c]) * 255.0;
                    /* JPEG q100 of flat blocks: colour conversion rounding in
                     * both directions, ≤ 2 levels; CMYK adds one MULDIV255 */
                    if (fabs(p - e[c]) > 3.0) badpix++;
                }
            }
    }
    CHECK(bad == 0, "%s: %zu wrong labels / orders", what, bad);
    CHECK(badpix == 0, "%s: %zu pixel values off by more than 3 levels", what, badpix);
}

static void loader(void) {
    char root[600], msg[512] = "";
    snprintf(root, sizeof root, "%s/tree/imagenette2", tmpdir);
    write_tree(root);
    char parent[600];
    snprintf(parent, sizeof parent, "%s/tree", tmpdir);

    smile_data_options op = smile_data_options_default();
    op.seed = 2;
    op.image_size = 160;
    op.threads = 1;
    smile_dataset a, b, c;
    int st = smile_dataset_load(&a, SMILE_DATA_AUTO, parent, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK && a.task == SMILE_DATA_IMAGENETTE, "folder (parent, auto): %s", msg);
    if (st != SMILE_OK) return;
    check_tree(&a, 160, "folder");
    CHECK(smile_augment_truncate_for(&a) == 0, "Imagenette data are normalised floats");
    char d[2048];
    smile_dataset_describe(&a, d, sizeof d);
    CHECK(strstr(d, "test per class: n01=1 n02=2") != NULL, "describe: %s", d);

    op.threads = 2;
    st = smile_dataset_load_imagenette(&b, root, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK && !memcmp(a.x, b.x, a.n * a.feature_dim * sizeof(float)) &&
              !memcmp(a.orig_index, b.orig_index, a.n * sizeof(uint32_t)),
          "root folder with 2 threads = parent with 1 thread: %s", msg);
    if (st == SMILE_OK) smile_dataset_free(&b);

    char tgz[700];
    snprintf(tgz, sizeof tgz, "%s/imagenette2.tgz", tmpdir);
    write_tgz(tgz, root);
    st = smile_dataset_load(&c, SMILE_DATA_AUTO, tgz, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK && c.task == SMILE_DATA_IMAGENETTE, "archive: %s", msg);
    if (st == SMILE_OK) {
        CHECK(c.n == a.n && !memcmp(a.x, c.x, a.n * a.feature_dim * sizeof(float)) &&
                  !memcmp(a.labels, c.labels, a.n * sizeof(int32_t)),
              "archive = folder");
        smile_dataset_free(&c);
    }
    /* smaller target size */
    op.image_size = 24;
    st = smile_dataset_load_imagenette(&b, root, &op, msg, sizeof msg);
    CHECK(st == SMILE_OK, "S = 24: %s", msg);
    if (st == SMILE_OK) {
        check_tree(&b, 24, "S=24");
        smile_dataset_free(&b);
    }
    smile_dataset_free(&a);

    /* errors */
    op.image_size = 160;
    char bad[700], p[800];
    snprintf(bad, sizeof bad, "%s/bad/imagenette2", tmpdir);
    write_tree(bad);
    snprintf(p, sizeof p, "%s/train/n02/broken.JPEG", bad);
    FILE *f = fopen(p, "wb");
    fputs("\xff\xd8\xff\xe0 this is not really a jpeg", f);
    fclose(f);
    st = smile_dataset_load_imagenette(&b, bad, &op, msg, sizeof msg);
    if (getenv("SMILE_TEST_VERBOSE")) printf("  broken -> %s\n", msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "broken.JPEG"), "corrupt JPEG: %d %s", st, msg);
    remove(p);
    snprintf(p, sizeof p, "%s/val/n09", bad);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/val/n09/q.JPEG", bad);
    unsigned char px[3 * 16 * 16];
    memset(px, 128, sizeof px);
    write_jpeg(p, 16, 16, 3, JCS_RGB, px);
    st = smile_dataset_load_imagenette(&b, bad, &op, msg, sizeof msg);
    if (getenv("SMILE_TEST_VERBOSE")) printf("  val class -> %s\n", msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "n09"), "val class without train: %d %s", st, msg);
    snprintf(bad, sizeof bad, "%s/noval", tmpdir);
    snprintf(p, sizeof p, "%s/train/n01", bad);
    mkdirs(p);
    st = smile_dataset_load_imagenette(&b, bad, &op, msg, sizeof msg);
    if (getenv("SMILE_TEST_VERBOSE")) printf("  noval -> %s\n", msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "noval"), "no val folder: %d %s", st, msg);
    snprintf(p, sizeof p, "%s/val/n01", bad);
    mkdirs(p);
    st = smile_dataset_load_imagenette(&b, bad, &op, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "0 train"), "no images: %d %s", st, msg);
}

/* ---- resize unit tests ---- */

static double tri(double t) {
    t = fabs(t);
    return t < 1 ? 1 - t : 0;
}

/* Weight of source j for output i along one axis (double, no fixed point). */
static void weights(int in, int out, int i, double *w) {
    double S = (double)in / out, s = S > 1 ? S : 1, c = (i + 0.5) * S, sum = 0;
    for (int j = 0; j < in; j++) {
        int lo = (int)(c - s + 0.5), hi = (int)(c + s + 0.5);
        w[j] = (j >= (lo < 0 ? 0 : lo) && j < hi) ? tri((j - c + 0.5) / s) : 0;
        sum += w[j];
    }
    for (int j = 0; j < in; j++) w[j] /= sum;
}

static void resize_tests(void) {
    /* hand example: [0 70 140 210] → 2 px: weights (3,3,1)/7 and (1,3,3)/7 */
    uint8_t src[4] = {0, 70, 140, 210}, dst[2];
    CHECK(data_resize_u8_aa(src, 4, 1, 1, dst, 2, 1) == SMILE_OK && dst[0] == 50 && dst[1] == 160,
          "hand example: %u %u (want 50 160)", dst[0], dst[1]);
    /* upscale 2 → 4: centres 0.25, 0.75, 1.25, 1.75 → weights from tri(j − c + ½) */
    uint8_t s2[2] = {0, 100}, d4[4];
    CHECK(data_resize_u8_aa(s2, 2, 1, 1, d4, 4, 1) == SMILE_OK && d4[0] == 0 && d4[1] == 25 &&
              d4[2] == 75 && d4[3] == 100,
          "upscale: %u %u %u %u", d4[0], d4[1], d4[2], d4[3]);

    /* bit-exact against Pillow's Image.resize(size, BILINEAR) on the image
     * f(x, y, c) = (7x² + 13y + 51c + 3xy) mod 256: FNV-1a hash and byte sum
     * of Pillow's output (recorded once with Pillow; its pass order is
     * horizontal first — Pillow ≥ 13 does the vertical pass first when the
     * height shrinks much more than the width, so such sizes are left out) */
    static const struct {
        int sw, sh, dw, dh;
        uint32_t fnv;
        unsigned long sum;
    } pil[] = {{23, 17, 9, 6, 0xA2481861u, 20414u},
               {23, 17, 160, 160, 0x583F0F31u, 9640632u},
               {500, 375, 160, 160, 0x9CDEAB69u, 9814038u},
               {375, 500, 160, 160, 0x7E0C3F40u, 9818483u}};
    for (size_t t = 0; t < sizeof pil / sizeof *pil; t++) {
        int sw = pil[t].sw, sh = pil[t].sh, dw = pil[t].dw, dh = pil[t].dh;
        uint8_t *im = malloc((size_t)sw * sh * 3), *out = malloc((size_t)dw * dh * 3);
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
                for (int c = 0; c < 3; c++)
                    im[((size_t)y * sw + x) * 3 + c] = (uint8_t)((x * x * 7 + y * 13 + c * 51 + x * y * 3) % 256);
        data_resize_u8_aa(im, sw, sh, 3, out, dw, dh);
        uint32_t h = 2166136261u;
        unsigned long s = 0;
        for (size_t i = 0; i < (size_t)dw * dh * 3; i++) h = (h ^ out[i]) * 16777619u, s += out[i];
        CHECK(h == pil[t].fnv && s == pil[t].sum, "%dx%d → %dx%d: hash %08X sum %lu, Pillow %08X %lu",
              sw, sh, dw, dh, h, s, pil[t].fnv, pil[t].sum);
        free(im), free(out);
    }

    /* random images against a double-precision 2-D reference: each of the
     * two 8-bit roundings moves the value by ≤ ½ and the second pass has
     * weights summing to 1, so |diff| ≤ 1 */
    static const int sizes[][4] = {{37, 23, 160, 160}, {500, 375, 160, 160}, {160, 160, 17, 40},
                                   {9, 300, 160, 160}, {64, 64, 32, 96}};
    smile_rng r;
    smile_rng_init(&r, 5, 0, SMILE_RNG_USER);
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        int sw = sizes[t][0], sh = sizes[t][1], dw = sizes[t][2], dh = sizes[t][3], C = 3;
        uint8_t *im = malloc((size_t)sw * sh * C), *out = malloc((size_t)dw * dh * C);
        for (size_t i = 0; i < (size_t)sw * sh * C; i++) im[i] = (uint8_t)smile_rng_below(&r, 256);
        CHECK(data_resize_u8_aa(im, sw, sh, C, out, dw, dh) == SMILE_OK, "resize");
        double *wx = malloc((size_t)dw * sw * sizeof *wx), *wy = malloc((size_t)dh * sh * sizeof *wy);
        for (int i = 0; i < dw; i++) weights(sw, dw, i, wx + (size_t)i * sw);
        for (int i = 0; i < dh; i++) weights(sh, dh, i, wy + (size_t)i * sh);
        int maxd = 0;
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++)
                for (int c = 0; c < C; c++) {
                    double acc = 0;
                    for (int j = 0; j < sh; j++) {
                        double wj = wy[(size_t)y * sh + j];
                        if (wj == 0) continue;
                        double row = 0;
                        for (int k = 0; k < sw; k++)
                            row += wx[(size_t)x * sw + k] * im[((size_t)j * sw + k) * C + c];
                        acc += wj * row;
                    }
                    int d = abs((int)out[((size_t)y * dw + x) * C + c] - (int)lround(acc));
                    if (d > maxd) maxd = d;
                }
        CHECK(maxd <= 1, "%dx%d → %dx%d: max |diff| %d", sw, sh, dw, dh, maxd);
        /* constant image stays constant */
        memset(im, 173, (size_t)sw * sh * C);
        data_resize_u8_aa(im, sw, sh, C, out, dw, dh);
        size_t nc = 0;
        for (size_t i = 0; i < (size_t)dw * dh * C; i++) nc += out[i] != 173;
        CHECK(nc == 0, "constant image changed at %zu values", nc);
        free(im), free(out), free(wx), free(wy);
    }
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/smile_inet_XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL, "mkdtemp");
    resize_tests();
    loader();
    nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return harness_done("test_data_imagenette");
}
