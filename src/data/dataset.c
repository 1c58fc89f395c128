/* Data-set object: options, splits (experiments.md §2.2, §3.1, §4.2, §5.2,
 * §6.1), mini-batch gathering, description, and the `--data PATH` entry
 * point that picks a loader by task and path. */
#include "data/data_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------ */
/* Paths                                                                    */
/* ------------------------------------------------------------------------ */

int data_is_dir(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int data_is_file(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int data_ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

char *data_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

char *data_join(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    int slash = na > 0 && a[na - 1] != '/';
    char *p = malloc(na + nb + (size_t)slash + 1);
    if (!p) return NULL;
    memcpy(p, a, na);
    if (slash) p[na] = '/';
    memcpy(p + na + slash, b, nb + 1);
    return p;
}

const char *data_basename(const char *s) {
    const char *p = strrchr(s, '/');
    return p ? p + 1 : s;
}

/* ------------------------------------------------------------------------ */
/* Names, options                                                           */
/* ------------------------------------------------------------------------ */

static const char *const task_names[] = {"auto", "uci", "fmnist", "cifar10", "imagenette",
                                         "text"};

const char *smile_data_task_name(smile_data_task t) {
    if ((int)t < 0 || (int)t > (int)SMILE_DATA_TEXT) return "unknown";
    return task_names[t];
}

smile_status smile_data_task_from_name(const char *name, smile_data_task *out) {
    if (!name || !out) return SMILE_EINVAL;
    for (int i = 0; i <= (int)SMILE_DATA_TEXT; i++)
        if (strcasecmp(name, task_names[i]) == 0) {
            *out = (smile_data_task)i;
            return SMILE_OK;
        }
    /* common aliases */
    if (!strcasecmp(name, "fashion-mnist") || !strcasecmp(name, "fashion_mnist")) {
        *out = SMILE_DATA_FMNIST;
        return SMILE_OK;
    }
    if (!strcasecmp(name, "cifar") || !strcasecmp(name, "cifar-10")) {
        *out = SMILE_DATA_CIFAR10;
        return SMILE_OK;
    }
    return SMILE_EINVAL;
}

smile_data_options smile_data_options_default(void) {
    smile_data_options o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    o.check_official_sizes = 1;
    o.image_size = 160;
    o.threads = 0;
    return o;
}

/* ------------------------------------------------------------------------ */
/* Object life cycle                                                        */
/* ------------------------------------------------------------------------ */

smile_status data_begin(smile_dataset *ds, smile_data_task task, const char *path, char *msg,
                        size_t msg_len) {
    memset(ds, 0, sizeof *ds);
    ds->task = task;
    ds->y_std = 1.0;
    ds->pixel_scale = 1.0;
    for (int c = 0; c < 3; c++) ds->ch_std[c] = 1.0;
    ds->source = data_strdup(path);
    SMILE_CHECK(!ds->source, SMILE_ENOMEM, msg, msg_len, "out of memory");
    return SMILE_OK;
}

void smile_dataset_free(smile_dataset *ds) {
    if (!ds) return;
    free(ds->source);
    smile_free(ds->x);
    smile_free(ds->y);
    smile_free(ds->labels);
    smile_free(ds->tokens);
    free(ds->orig_index);
    free(ds->x_mean);
    free(ds->x_std);
    if (ds->class_names) {
        for (size_t k = 0; k < ds->n_classes; k++) free(ds->class_names[k]);
        free(ds->class_names);
    }
    free(ds->vocab);
    memset(ds, 0, sizeof *ds);
}

smile_status data_set_class_names(smile_dataset *ds, const char *const *names, size_t k,
                                  char *msg, size_t msg_len) {
    ds->class_names = calloc(k ? k : 1, sizeof *ds->class_names);
    SMILE_CHECK(!ds->class_names, SMILE_ENOMEM, msg, msg_len, "out of memory");
    ds->n_classes = k;
    for (size_t i = 0; i < k; i++) {
        ds->class_names[i] = data_strdup(names[i]);
        SMILE_CHECK(!ds->class_names[i], SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    return SMILE_OK;
}

/* ------------------------------------------------------------------------ */
/* Splits                                                                   */
/* ------------------------------------------------------------------------ */

void smile_split_sizes(size_t n, double f_train, double f_valid, size_t *n_train,
                       size_t *n_valid, size_t *n_test) {
    /* §2.2: both floors of products evaluated in IEEE double; the sum
     * f_train + f_valid is rounded to double first (0.7 + 0.1 =
     * 0.7999999999999999). volatile keeps the compiler from fusing or
     * reassociating (no -ffast-math anyway, this is belt and braces). */
    volatile double fsum = f_train + f_valid;
    volatile double a = (double)n * f_train;
    volatile double b = (double)n * fsum;
    size_t ntr = (size_t)floor(a), ntrva = (size_t)floor(b);
    if (ntr > n) ntr = n;
    if (ntrva > n) ntrva = n;
    if (ntrva < ntr) ntrva = ntr;
    if (n_train) *n_train = ntr;
    if (n_valid) *n_valid = ntrva - ntr;
    if (n_test) *n_test = n - ntrva;
}

size_t smile_dataset_split_size(const smile_dataset *ds, smile_split s) {
    if (!ds || (int)s < 0 || (int)s > 2) return 0;
    return ds->split_end[s] - ds->split_begin[s];
}

void data_split_permutation(uint32_t *perm, size_t n, uint64_t seed) {
    smile_rng r;
    smile_rng_init(&r, seed, SMILE_DATA_SPLIT_CHAIN, SMILE_RNG_DATA);
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    smile_rng_shuffle_u32(&r, perm, n);
}

void data_image_split(smile_dataset *ds, uint32_t *perm, size_t n_off_train, double f_train,
                      uint64_t seed) {
    size_t n = ds->n;
    data_split_permutation(perm, n_off_train, seed);
    for (size_t i = n_off_train; i < n; i++) perm[i] = (uint32_t)i;
    size_t ntr, nva, nte;
    smile_split_sizes(n, f_train, 0.0, &ntr, &nva, &nte);
    if (ntr > n_off_train) ntr = n_off_train;
    data_set_splits(ds, ntr, n_off_train, n);
}

void data_set_splits(smile_dataset *ds, size_t a, size_t b, size_t n) {
    ds->split_begin[0] = 0;
    ds->split_end[0] = a;
    ds->split_begin[1] = a;
    ds->split_end[1] = b;
    ds->split_begin[2] = b;
    ds->split_end[2] = n;
}

/* ------------------------------------------------------------------------ */
/* Gathering                                                                */
/* ------------------------------------------------------------------------ */

smile_status smile_dataset_gather_rows(const smile_dataset *ds, smile_split s,
                                       const uint32_t *idx, size_t n, float *x, float *y,
                                       int32_t *labels) {
    if (!ds || (int)s < 0 || (int)s > 2) return SMILE_EINVAL;
    size_t b0 = ds->split_begin[s], ns = ds->split_end[s] - b0, fd = ds->feature_dim;
    if (!idx && n > ns) return SMILE_EINVAL;
    if (idx)
        for (size_t i = 0; i < n; i++)
            if (idx[i] >= ns) return SMILE_EINVAL;
    if (x && fd && !ds->x) return SMILE_EINVAL;
    if (y && !ds->y) return SMILE_EINVAL;
    if (labels && !ds->labels) return SMILE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        size_t r = b0 + (idx ? idx[i] : i);
        if (x && fd) memcpy(x + i * fd, ds->x + r * fd, fd * sizeof *x);
        if (y) y[i] = ds->y[r];
        if (labels) labels[i] = ds->labels[r];
    }
    return SMILE_OK;
}

smile_status smile_dataset_gather(const smile_dataset *ds, const smile_batch *b, float *x,
                                  float *y, int32_t *labels) {
    if (!ds || !b) return SMILE_EINVAL;
    size_t n = b->idx ? b->size : smile_dataset_split_size(ds, SMILE_SPLIT_TRAIN);
    return smile_dataset_gather_rows(ds, SMILE_SPLIT_TRAIN, b->idx, n, x, y, labels);
}

/* ------------------------------------------------------------------------ */
/* Description                                                              */
/* ------------------------------------------------------------------------ */

#define APPEND(...)                                                                                \
    do {                                                                                           \
        if (pos < len) {                                                                           \
            int w_ = snprintf(buf + pos, len - pos, __VA_ARGS__);                                  \
            if (w_ > 0) pos += (size_t)w_;                                                         \
        }                                                                                          \
    } while (0)

void smile_dataset_describe(const smile_dataset *ds, char *buf, size_t len) {
    if (!buf || len == 0) return;
    buf[0] = 0;
    if (!ds) return;
    size_t pos = 0;
    static const char *const sname[3] = {"train", "valid", "test"};
    APPEND("%s data set from %s: %zu %s", smile_data_task_name(ds->task),
           ds->source ? ds->source : "?", ds->n, ds->task == SMILE_DATA_TEXT ? "tokens" : "rows");
    if (ds->height)
        APPEND(", images %zux%zux%zu (NHWC)", ds->height, ds->width, ds->channels);
    else if (ds->feature_dim)
        APPEND(", %zu features", ds->feature_dim);
    APPEND("; split train %zu / valid %zu / test %zu", smile_dataset_split_size(ds, 0),
           smile_dataset_split_size(ds, 1), smile_dataset_split_size(ds, 2));
    if (ds->y) APPEND("; target mean %.6g std %.6g", ds->y_mean, ds->y_std);
    if (ds->task == SMILE_DATA_TEXT) APPEND("; vocabulary %zu characters", ds->vocab_size);
    if (ds->labels && ds->n_classes) {
        for (int s = 0; s < 3; s++) {
            APPEND("\n  %s per class:", sname[s]);
            for (size_t k = 0; k < ds->n_classes; k++) {
                size_t c = 0;
                for (size_t r = ds->split_begin[s]; r < ds->split_end[s]; r++)
                    c += (size_t)(ds->labels[r] == (int32_t)k);
                APPEND(" %s=%zu", ds->class_names ? ds->class_names[k] : "", c);
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                              */
/* ------------------------------------------------------------------------ */

/* Peeks at the first regular files of a tar.gz to tell CIFAR from Imagenette. */
static smile_data_task detect_archive(const char *path, char *msg, size_t msg_len,
                                      smile_status *st) {
    data_tar t;
    *st = data_tar_open(&t, path, msg, msg_len);
    if (*st != SMILE_OK) return SMILE_DATA_AUTO;
    smile_data_task task = SMILE_DATA_AUTO;
    for (int k = 0; k < 256 && task == SMILE_DATA_AUTO; k++) {
        int more = 0;
        *st = data_tar_next(&t, &more, msg, msg_len);
        if (*st != SMILE_OK || !more) break;
        if (!t.is_file) continue;
        const char *b = data_basename(t.name);
        if (!strncmp(b, "data_batch_", 11) || !strcmp(b, "test_batch.bin"))
            task = SMILE_DATA_CIFAR10;
        else if (data_ends_with(b, ".jpeg") || data_ends_with(b, ".jpg"))
            task = SMILE_DATA_IMAGENETTE;
    }
    data_tar_close(&t);
    if (*st == SMILE_OK && task == SMILE_DATA_AUTO) {
        smile_set_msg(msg, msg_len,
                      "%s: archive holds neither CIFAR-10 batches (data_batch_*.bin) nor "
                      "JPEG images; give the task explicitly",
                      path);
        *st = SMILE_EFORMAT;
    }
    return task;
}

static int dir_has(const char *dir, const char *name, int want_dir) {
    char *p = data_join(dir, name);
    int r = p && (want_dir ? data_is_dir(p) : data_is_file(p));
    free(p);
    return r;
}

static smile_status detect_task(const char *path, smile_data_task *task, char *msg,
                                size_t msg_len) {
    if (data_is_file(path)) {
        if (data_ends_with(path, ".tar.gz") || data_ends_with(path, ".tgz")) {
            smile_status st;
            *task = detect_archive(path, msg, msg_len, &st);
            return st;
        }
        if (data_ends_with(path, ".data") || data_ends_with(path, ".dat")) {
            *task = SMILE_DATA_UCI;
            return SMILE_OK;
        }
        if (data_ends_with(path, ".txt")) {
            *task = SMILE_DATA_TEXT;
            return SMILE_OK;
        }
        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                    "%s: cannot tell the data set from the file name (expected *.data, "
                    "*.txt, *.tar.gz or *.tgz); give the task explicitly",
                    path);
    }
    if (data_is_dir(path)) {
        if (dir_has(path, "train-images-idx3-ubyte.gz", 0) ||
            dir_has(path, "train-images-idx3-ubyte", 0))
            *task = SMILE_DATA_FMNIST;
        else if (dir_has(path, "data_batch_1.bin", 0) ||
                 dir_has(path, "cifar-10-batches-bin", 1))
            *task = SMILE_DATA_CIFAR10;
        else if ((dir_has(path, "train", 1) && dir_has(path, "val", 1)) ||
                 dir_has(path, "imagenette2", 1))
            *task = SMILE_DATA_IMAGENETTE;
        else
            SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                        "%s: folder holds no known data set (Fashion-MNIST IDX files, "
                        "CIFAR-10 data_batch_*.bin, or Imagenette train/ and val/)",
                        path);
        return SMILE_OK;
    }
    SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "%s: no such file or folder", path);
    return SMILE_OK;
}

/* The one *.data file of a folder (bikesharing/ has two: ask for the file). */
static smile_status single_data_file(const char *dir, char **file, char *msg, size_t msg_len) {
    DIR *d = opendir(dir);
    SMILE_CHECK(!d, SMILE_EIO, msg, msg_len, "%s: cannot open folder", dir);
    char first[1024] = "", second[1024] = "";
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !data_ends_with(e->d_name, ".data")) continue;
        if (count == 0) snprintf(first, sizeof first, "%s", e->d_name);
        else if (count == 1) snprintf(second, sizeof second, "%s", e->d_name);
        count++;
    }
    closedir(d);
    SMILE_CHECK(count == 0, SMILE_EFORMAT, msg, msg_len, "%s: folder holds no *.data file",
                dir);
    SMILE_CHECK(count > 1, SMILE_EINVAL, msg, msg_len,
                "%s: folder holds %d *.data files (%s, %s%s); give the file", dir, count,
                first, second, count > 2 ? ", ..." : "");
    *file = data_join(dir, first);
    SMILE_CHECK(!*file, SMILE_ENOMEM, msg, msg_len, "out of memory");
    return SMILE_OK;
}

smile_status smile_dataset_load(smile_dataset *ds, smile_data_task task, const char *path,
                                const smile_data_options *opts, char *msg, size_t msg_len) {
    SMILE_CHECK(!ds || !path, SMILE_EINVAL, msg, msg_len, "smile_dataset_load: NULL argument");
    memset(ds, 0, sizeof *ds);
    smile_data_options def = smile_data_options_default();
    if (!opts) opts = &def;
    if (task == SMILE_DATA_AUTO) SMILE_TRY(detect_task(path, &task, msg, msg_len));
    int is_dir = data_is_dir(path), is_file = data_is_file(path);
    SMILE_CHECK(!is_dir && !is_file, SMILE_EIO, msg, msg_len, "%s: no such file or folder",
                path);
    switch (task) {
    case SMILE_DATA_UCI:
        if (is_dir) {
            /* a folder with exactly one *.data file (e.g. .../airfoil) */
            char *file = NULL;
            SMILE_TRY(single_data_file(path, &file, msg, msg_len));
            smile_status st = smile_dataset_load_uci(ds, file, opts->seed, msg, msg_len);
            free(file);
            return st;
        }
        return smile_dataset_load_uci(ds, path, opts->seed, msg, msg_len);
    case SMILE_DATA_FMNIST:
        SMILE_CHECK(!is_dir, SMILE_EINVAL, msg, msg_len,
                    "%s: the fmnist task needs the folder holding "
                    "{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz",
                    path);
        return smile_dataset_load_fmnist(ds, path, opts, msg, msg_len);
    case SMILE_DATA_CIFAR10:
        return smile_dataset_load_cifar10(ds, path, opts, msg, msg_len);
    case SMILE_DATA_IMAGENETTE:
        return smile_dataset_load_imagenette(ds, path, opts, msg, msg_len);
    case SMILE_DATA_TEXT:
        SMILE_CHECK(is_dir, SMILE_EINVAL, msg, msg_len,
                    "%s is a folder; the text task needs a UTF-8 text file", path);
        return smile_dataset_load_text(ds, path, msg, msg_len);
    default: break;
    }
    SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len, "unknown data task %d", (int)task);
    return SMILE_EINVAL;
}
