/* Reading images for prediction (src/fit/predict_images.c) on generated
 * Fashion-MNIST IDX files, CIFAR-10 batch files and JPEG trees: the rows are
 * bit for bit the test rows the training loaders produce from the same files
 * (pixels, transform, order, labels), for files and folders, with labels
 * found beside IDX files and taken from class folders of JPEGs; errors for
 * unknown class folders, mixed folders and runs recorded before the image
 * transform; model.json keeps the transform and still reads without it.
 * Long tier (SMILE_LONG): a LeNet Imagenette run predicted from JPEGs. */
#define _XOPEN_SOURCE 700
#include "harness.h"
#include "jpeg_writer.h"
#include "smile.h"
#include "data/data.h"
#include "fit/predictor_internal.h"

#include <jpeglib.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[] = "/tmp/smile_predimg_XXXXXX";

static char *path_in(const char *rel) {
    static char buf[8][600];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 600, "%s/%s", tmpdir, rel);
    return p;
}


static void be32(unsigned char *b, uint32_t v) {
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

/* IDX images (k0 = index of the first item, for distinct pixels) and labels. */
static void write_idx(const char *images, const char *labels, size_t n, size_t k0, int gz) {
    size_t nb = 16 + n * 784;
    unsigned char *b = calloc(nb, 1);
    be32(b, 2051), be32(b + 4, (uint32_t)n), be32(b + 8, 28), be32(b + 12, 28);
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < 784; i++) b[16 + k * 784 + i] = (unsigned char)((k + k0) * 31 + i * 7);
    harness_write_bytes(images, b, nb, gz);
    if (labels) {
        be32(b, 2049), be32(b + 4, (uint32_t)n);
        for (size_t k = 0; k < n; k++) b[8 + k] = (unsigned char)((k + k0) * 3 % 10);
        harness_write_bytes(labels, b, 8 + n, gz);
    }
    free(b);
}

/* A run model for images of a data set (the transform as training records it). */
static fit_runmodel image_model(const smile_dataset *ds) {
    fit_runmodel rm;
    memset(&rm, 0, sizeof rm);
    rm.task = ds->task;
    rm.desc = smile_model_desc_default(SMILE_MODEL_LENET);
    rm.desc.in_h = ds->height, rm.desc.in_w = ds->width, rm.desc.in_c = ds->channels;
    rm.desc.n_classes = ds->n_classes;
    rm.inputs = FIT_INPUTS_IMAGES;
    rm.has_image = 1;
    rm.img_h = ds->height, rm.img_w = ds->width, rm.img_c = ds->channels;
    rm.pixel_scale = ds->pixel_scale;
    for (int c = 0; c < 3; c++) rm.ch_mean[c] = ds->ch_mean[c], rm.ch_std[c] = ds->ch_std[c];
    rm.n_classes = ds->n_classes;
    rm.class_names = ds->class_names; /* borrowed */
    return rm;
}

/* rows == the test split of ds (rows first..first+n of it), labels when labelled. */
static void same_as_test(const smile_dataset *ds, const smile_predictor_rows *r, size_t first,
                         size_t n, int labelled, const char *what) {
    const size_t b = ds->split_begin[SMILE_SPLIT_TEST], fd = ds->feature_dim;
    CHECK(r->n == n, "%s: %zu rows, expected %zu", what, r->n, n);
    if (r->n != n) return;
    CHECK(!memcmp(r->x, ds->x + (b + first) * fd, n * fd * sizeof(float)),
          "%s: pixels differ from the loader's test rows", what);
    CHECK(r->has_target == labelled && (r->labels != NULL) == labelled, "%s: labelled %d", what,
          r->has_target);
    if (labelled && r->labels)
        CHECK(!memcmp(r->labels, ds->labels + b + first, n * sizeof(int32_t)), "%s: labels", what);
    for (size_t i = 0; i < n; i++) CHECK(r->line[i] == i + 1, "%s: line %zu", what, i);
}

/* Reads path through the run model rm and compares the rows with the data
 * set's test rows (same_as_test); a failed read is reported as one check. */
static void read_as_test(const fit_runmodel *rm, const char *path, const smile_dataset *ds,
                         size_t first, size_t n, int labels, const char *what) {
    char msg[512] = "";
    smile_predictor_rows r;
    smile_status st = fit_read_images(rm, path, 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_OK, "%s: %s", what, msg);
    if (st != SMILE_OK) return;
    same_as_test(ds, &r, first, n, labels, what);
    smile_predictor_rows_free(&r);
}

static void fmnist(void) {
    char *dir = path_in("fm");
    mkdir(dir, 0700);
    write_idx(path_in("fm/train-images-idx3-ubyte.gz"), path_in("fm/train-labels-idx1-ubyte.gz"),
              9, 0, 1);
    write_idx(path_in("fm/t10k-images-idx3-ubyte.gz"), path_in("fm/t10k-labels-idx1-ubyte.gz"), 7,
              9, 1);
    smile_data_options o = smile_data_options_default();
    o.check_official_sizes = 0;
    smile_dataset ds;
    char msg[512] = "";
    smile_status st = smile_dataset_load_fmnist(&ds, dir, &o, msg, sizeof msg);
    CHECK(st == SMILE_OK, "load: %s", msg);
    if (st != SMILE_OK) return;
    fit_runmodel rm = image_model(&ds);
    smile_predictor_rows r;
    read_as_test(&rm, dir, &ds, 0, 7, 1, "fmnist folder");
    read_as_test(&rm, path_in("fm/t10k-images-idx3-ubyte.gz"), &ds, 0, 7, 1, "fmnist file + labels beside");
    /* plain images file, gzip labels beside it; then images alone */
    mkdir(path_in("fm2"), 0700);
    write_idx(path_in("fm2/new-images-idx3-ubyte"), NULL, 7, 9, 0);
    write_idx(path_in("fm2/x"), path_in("fm2/new-labels-idx1-ubyte.gz"), 7, 9, 1);
    read_as_test(&rm, path_in("fm2/new-images-idx3-ubyte"), &ds, 0, 7, 1, "fmnist plain + .gz labels");
    unlink(path_in("fm2/new-labels-idx1-ubyte.gz"));
    read_as_test(&rm, path_in("fm2/new-images-idx3-ubyte"), &ds, 0, 7, 0, "fmnist without labels");
    st = fit_read_images(&rm, path_in("fm2"), 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_EIO && strstr(msg, "t10k-images-idx3-ubyte"), "folder without t10k: %s",
          msg);
    rm.has_image = 0;
    st = fit_read_images(&rm, dir, 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_EUNSUPPORTED && strstr(msg, "older"), "older model.json: %s", msg);
    smile_dataset_free(&ds);
}

static void cifar(void) {
    static const char *const files[6] = {"data_batch_1.bin", "data_batch_2.bin",
                                         "data_batch_3.bin", "data_batch_4.bin",
                                         "data_batch_5.bin", "test_batch.bin"};
    mkdir(path_in("cf"), 0700);
    for (int f = 0; f < 6; f++) {
        const size_t n = 3;
        unsigned char *b = malloc(n * 3073);
        for (size_t k = 0; k < n; k++) {
            size_t rec = (size_t)f * n + k;
            b[k * 3073] = (unsigned char)((rec * 7 + 3) % 10);
            for (size_t i = 0; i < 3072; i++) b[k * 3073 + 1 + i] = (unsigned char)(rec * 11 + i * 5);
        }
        char rel[64];
        snprintf(rel, sizeof rel, "cf/%s", files[f]);
        harness_write_bytes(path_in(rel), b, n * 3073, 0);
        free(b);
    }
    smile_data_options o = smile_data_options_default();
    o.check_official_sizes = 0;
    smile_dataset ds;
    char msg[512] = "";
    smile_status st = smile_dataset_load_cifar10(&ds, path_in("cf"), &o, msg, sizeof msg);
    CHECK(st == SMILE_OK, "load: %s", msg);
    if (st != SMILE_OK) return;
    fit_runmodel rm = image_model(&ds);
    smile_predictor_rows r;
    read_as_test(&rm, path_in("cf/test_batch.bin"), &ds, 0, 3, 1, "cifar batch file");
    read_as_test(&rm, path_in("cf"), &ds, 0, 3, 1, "cifar folder");
    harness_write_bytes(path_in("cf/short.bin"), (const unsigned char *)"abc", 3, 0);
    st = fit_read_images(&rm, path_in("cf/short.bin"), 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "3073"), "truncated batch: %s", msg);
    smile_dataset_free(&ds);
}

/* A w × h RGB JPEG of a seeded pattern. */
static void write_pattern_jpeg(const char *path, int w, int h, unsigned seed) {
    unsigned char *pix = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h * 3; i++) pix[i] = (unsigned char)((i * 13 + seed * 71) ^ (i / 97));
    write_jpeg(path, w, h, 3, JCS_RGB, pix);
    free(pix);
}

static void jpegs(void) {
    static const char *const dirs[] = {"in", "in/train", "in/val", "in/train/n01", "in/train/n02",
                                       "in/val/n01", "in/val/n02", "loose", "bad"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) mkdir(path_in(dirs[i]), 0700);
    write_pattern_jpeg(path_in("in/train/n01/a.JPEG"), 40, 30, 1);
    write_pattern_jpeg(path_in("in/train/n01/b.JPEG"), 20, 50, 2);
    write_pattern_jpeg(path_in("in/train/n02/c.jpg"), 33, 33, 3);
    write_pattern_jpeg(path_in("in/train/n02/d.JPEG"), 70, 45, 4);
    write_pattern_jpeg(path_in("in/val/n01/v2.JPEG"), 61, 29, 5);
    write_pattern_jpeg(path_in("in/val/n01/v1.jpeg"), 17, 23, 6);
    write_pattern_jpeg(path_in("in/val/n02/w.JPEG"), 100, 80, 7);
    smile_data_options o = smile_data_options_default();
    o.check_official_sizes = 0;
    o.image_size = 24;
    smile_dataset ds;
    char msg[512] = "";
    smile_status st = smile_dataset_load_imagenette(&ds, path_in("in"), &o, msg, sizeof msg);
    CHECK(st == SMILE_OK, "load: %s", msg);
    if (st != SMILE_OK) return;
    fit_runmodel rm = image_model(&ds);
    smile_predictor_rows r;
    /* test split = val in class, then file name order: n01/v1, n01/v2, n02/w */
    st = fit_read_images(&rm, path_in("in/val"), 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_OK, "class folders: %s", msg);
    if (st == SMILE_OK) {
        same_as_test(&ds, &r, 0, 3, 1, "imagenette class folders");
        CHECK(r.names && !strcmp(r.names[0], "n01/v1.jpeg") && !strcmp(r.names[2], "n02/w.JPEG"),
              "names %s", r.names ? r.names[0] : "(none)");
    }
    smile_predictor_rows_free(&r);
    st = fit_read_images(&rm, path_in("in/val/n01/v2.JPEG"), 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_OK, "one file: %s", msg);
    if (st == SMILE_OK) {
        same_as_test(&ds, &r, 1, 1, 0, "imagenette one file");
        CHECK(r.names && !strcmp(r.names[0], path_in("in/val/n01/v2.JPEG")), "file name");
    }
    smile_predictor_rows_free(&r);
    write_pattern_jpeg(path_in("loose/z.JPEG"), 100, 80, 7); /* = val/n02/w */
    write_pattern_jpeg(path_in("loose/y.jpg"), 17, 23, 6);   /* = val/n01/v1 */
    harness_write_bytes(path_in("loose/notes.txt"), (const unsigned char *)"x", 1, 0);
    st = fit_read_images(&rm, path_in("loose"), 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_OK && r.n == 2 && !r.has_target, "loose files: %s", msg);
    if (st == SMILE_OK && r.n == 2) {
        const size_t b = ds.split_begin[SMILE_SPLIT_TEST], fd = ds.feature_dim;
        CHECK(!strcmp(r.names[0], "y.jpg") && !memcmp(r.x, ds.x + b * fd, fd * sizeof(float)),
              "loose y.jpg = v1");
        CHECK(!memcmp(r.x + fd, ds.x + (b + 2) * fd, fd * sizeof(float)), "loose z.JPEG = w");
    }
    smile_predictor_rows_free(&r);
    mkdir(path_in("loose/n01"), 0700);
    st = fit_read_images(&rm, path_in("loose"), 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_EINVAL && strstr(msg, "both"), "mixed folder: %s", msg);
    mkdir(path_in("bad/n01"), 0700);
    mkdir(path_in("bad/cats"), 0700);
    st = fit_read_images(&rm, path_in("bad"), 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_EINVAL && strstr(msg, "'cats'"), "unknown class folder: %s", msg);
    harness_write_bytes(path_in("bad/n01/broken.jpg"), (const unsigned char *)"notajpeg", 8, 0);
    rmdir(path_in("bad/cats"));
    st = fit_read_images(&rm, path_in("bad"), 2, &r, msg, sizeof msg);
    CHECK(st != SMILE_OK && strstr(msg, "broken.jpg"), "broken JPEG: %s", msg);
    st = fit_read_images(&rm, path_in("nothing"), 2, &r, msg, sizeof msg);
    CHECK(st == SMILE_EIO, "missing path: %s", msg);
    smile_dataset_free(&ds);
}

/* Long tier: a LeNet Imagenette run on generated JPEGs (160 × 160, as every
 * Imagenette fit) predicted from its val folder: the mean log density is the
 * fit's test LPPD, and the CSV begins with the file column. */
static void imagenette_run(void) {
    static const char *const dirs[] = {"run", "run/train", "run/val", "run/train/n01",
                                       "run/train/n02", "run/val/n01", "run/val/n02"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) mkdir(path_in(dirs[i]), 0700);
    for (int i = 0; i < 16; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "run/%s/n0%d/i%02d.JPEG", i < 12 ? "train" : "val", 1 + i % 2,
                 i);
        write_pattern_jpeg(path_in(rel), 30 + 3 * i, 50 - i, (unsigned)(i % 2) * 40 + (unsigned)i);
    }
    smile_fit_config c = smile_fit_config_default(SMILE_DATA_IMAGENETTE);
    snprintf(c.data, sizeof c.data, "%s", path_in("run"));
    snprintf(c.out, sizeof c.out, "%s", path_in("run-out"));
    c.model = SMILE_MODEL_LENET, c.strict_sizes = 0;
    c.members = 2, c.warmup = 10, c.samples = 10, c.thin = 5, c.batch = 4, c.de.max_epochs = 2;
    smile_fit_runtime rt = {.threads = 2};
    smile_fit *f = NULL;
    char msg[512] = "", *metrics = NULL;
    smile_status st = smile_fit_open(&f, &c, &rt, msg, sizeof msg);
    if (st == SMILE_OK) st = smile_fit_execute(f, &metrics, msg, sizeof msg);
    smile_fit_free(f);
    CHECK(st == SMILE_OK, "imagenette fit: %s", msg);
    if (st != SMILE_OK) return;
    const char *at = strstr(metrics, "\"ensemble\"");
    at = at ? strstr(at, "\"lppd\":") : NULL;
    const double lppd = at ? strtod(at + 7, NULL) : NAN;
    free(metrics);
    smile_predictor *p = NULL;
    smile_predictor_rows r;
    smile_prediction_table t;
    st = smile_predictor_open(&p, path_in("run-out"), 2, msg, sizeof msg);
    if (st == SMILE_OK) st = smile_predictor_read_rows(p, path_in("run/val"), -1, &r, msg, sizeof msg);
    if (st == SMILE_OK) {
        st = smile_prediction_table_make(p, &r, NULL, 0, 0, &t, msg, sizeof msg);
        smile_predictor_rows_free(&r);
    }
    CHECK(st == SMILE_OK, "predict: %s", msg);
    if (st == SMILE_OK) {
        CHECK(t.n_rows == 4 && t.has_target, "rows %zu", t.n_rows);
        CHECK_CLOSE(t.mean_log_density, lppd, 0, 1e-9);
        st = smile_prediction_table_write(&t, p, path_in("p.csv"), SMILE_PREDICTIONS_CSV, msg,
                                          sizeof msg);
        char line[256] = ""; /* the first row after the header */
        FILE *fp = fopen(path_in("p.csv"), "r");
        for (int k = 0; fp && k < 2; k++)
            if (!fgets(line, sizeof line, fp)) line[0] = 0;
        if (fp) fclose(fp);
        CHECK(st == SMILE_OK && !strncmp(line, "n01/i12.JPEG,", 13), "first row: %s", line);
        smile_prediction_table_free(&t);
    }
    smile_predictor_free(p);
}

/* model.json keeps the transform; a file without it reads with has_image 0. */
static void runmodel_roundtrip(void) {
    fit_runmodel rm;
    memset(&rm, 0, sizeof rm);
    rm.task = SMILE_DATA_IMAGENETTE;
    rm.desc = smile_model_desc_default(SMILE_MODEL_LENET);
    rm.desc.in_h = rm.desc.in_w = 24, rm.desc.in_c = 3, rm.desc.n_classes = 2;
    rm.inputs = FIT_INPUTS_IMAGES;
    rm.has_image = 1;
    rm.img_h = rm.img_w = 24, rm.img_c = 3;
    rm.pixel_scale = 1.0 / 255.0;
    const double m[3] = {0.485, 0.456, 0.406}, s[3] = {0.229, 0.224, 0.225};
    memcpy(rm.ch_mean, m, sizeof m), memcpy(rm.ch_std, s, sizeof s);
    rm.y_sd = 1;
    rm.members = 1;
    int pooled = 0;
    rm.pooled = &pooled, rm.n_pooled = 1;
    char msg[512] = "", *dir = path_in("rm");
    mkdir(dir, 0700);
    CHECK(fit_runmodel_write(dir, &rm, msg, sizeof msg) == SMILE_OK, "write: %s", msg);
    fit_runmodel back;
    smile_status st = fit_runmodel_read(dir, &back, msg, sizeof msg);
    CHECK(st == SMILE_OK, "read: %s", msg);
    if (st == SMILE_OK) {
        CHECK(back.has_image && back.img_h == 24 && back.img_w == 24 && back.img_c == 3,
              "image size");
        CHECK(back.pixel_scale == rm.pixel_scale && !memcmp(back.ch_mean, m, sizeof m) &&
                  !memcmp(back.ch_std, s, sizeof s),
              "transform read back exactly");
        fit_runmodel_free(&back);
    }
    rm.has_image = 0; /* as written before the transform was recorded */
    CHECK(fit_runmodel_write(dir, &rm, msg, sizeof msg) == SMILE_OK, "write: %s", msg);
    st = fit_runmodel_read(dir, &back, msg, sizeof msg);
    CHECK(st == SMILE_OK && !back.has_image, "older file reads: %s", msg);
    if (st == SMILE_OK) fit_runmodel_free(&back);
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    fmnist();
    cifar();
    jpegs();
    runmodel_roundtrip();
    if (harness_long()) imagenette_run();
    harness_remove_dir(tmpdir);
    return harness_done("test_predict_images");
}
