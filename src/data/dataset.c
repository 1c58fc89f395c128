/* Data-set object: options, splits, mini-batch gathering, description. */
#include "data/data_internal.h"

#include <errno.h>
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

smile_status data_path_error(const char *path, char *msg, size_t msg_len) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            smile_set_msg(msg, msg_len, "%s: no such file or folder", path);
        else
            smile_set_msg(msg, msg_len, "%s: cannot access: %s", path, strerror(errno));
    } else {
        smile_set_msg(msg, msg_len, "%s: not a regular file or folder (%s)", path,
                      S_ISFIFO(st.st_mode)                         ? "a FIFO"
                      : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                   : "a socket or other");
    }
    return SMILE_EIO;
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
                                         "text", "table"};

const char *smile_data_task_name(smile_data_task t) {
    if ((int)t < 0 || (int)t > (int)SMILE_DATA_TABLE) return "unknown";
    return task_names[t];
}

smile_status smile_data_task_from_name(const char *name, smile_data_task *out) {
    if (!name || !out) return SMILE_EINVAL;
    for (int i = 0; i <= (int)SMILE_DATA_TABLE; i++)
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
    return (smile_data_options){.seed = 1, .check_official_sizes = 1, .image_size = 160,
                                .threads = 0};
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

smile_status data_load(smile_dataset *ds, const char *path, const smile_data_options *opts,
                       data_loader load, const char *name, char *msg, size_t msg_len) {
    SMILE_CHECK(!ds || !path, SMILE_EINVAL, msg, msg_len, "%s: NULL argument", name);
    memset(ds, 0, sizeof *ds);
    const smile_data_options def = smile_data_options_default();
    return load(ds, path, opts ? opts : &def, msg, msg_len);
}

static smile_status image_alloc(smile_dataset *ds, size_t n, size_t h, size_t w, size_t c) {
    ds->n = n;
    ds->height = h;
    ds->width = w;
    ds->channels = c;
    ds->feature_dim = h * w * c;
    ds->x = smile_calloc(n * ds->feature_dim, sizeof *ds->x);
    ds->labels = smile_calloc(n, sizeof *ds->labels);
    ds->orig_index = malloc(n * sizeof *ds->orig_index);
    return ds->x && ds->labels && ds->orig_index && n <= UINT32_MAX ? SMILE_OK : SMILE_ENOMEM;
}

void smile_dataset_free(smile_dataset *ds) {
    if (!ds) return;
    void *aligned[] = {ds->x, ds->y, ds->labels, ds->tokens}; /* smile_calloc'd */
    void *plain[] = {ds->source, ds->orig_index, ds->x_mean, ds->x_std, ds->vocab, ds->warnings};
    for (size_t i = 0; i < sizeof aligned / sizeof aligned[0]; i++) smile_free(aligned[i]);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) free(plain[i]);
    if (ds->class_names) {
        for (size_t k = 0; k < ds->n_classes; k++) free(ds->class_names[k]);
        free(ds->class_names);
    }
    memset(ds, 0, sizeof *ds);
}

smile_status data_image_setup(smile_dataset *ds, size_t n, size_t h, size_t w, size_t c,
                              const char *const *names, size_t k, size_t n_off_train,
                              double f_train, uint64_t seed, char *msg, size_t msg_len) {
    SMILE_CHECK(image_alloc(ds, n, h, w, c) != SMILE_OK, SMILE_ENOMEM, msg, msg_len,
                "out of memory");
    SMILE_TRY(data_set_class_names(ds, names, k, msg, msg_len));
    data_image_split(ds, ds->orig_index, n_off_train, f_train, seed);
    return SMILE_OK;
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
    /* docs/experiments.md, section 2.1: both floors of products evaluated in IEEE double; the sum
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

