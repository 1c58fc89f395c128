/* Rows of image runs from the task's own files (smile_fit.h,
 * smile_predictor_read_rows): Fashion-MNIST IDX files, CIFAR-10 binary batch
 * files, JPEG files. The pixels come from the data module's readers, the ones
 * its loaders use, and go through the transform recorded in model.json, so an
 * image gives the model exactly the input it had in training. */
#include "data/data.h"
#include "fit/predictor_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Pixels of n images (8-bit, NHWC) with their labels (or NULL) and names (or
 * NULL), as read from the files; owned. */
typedef struct {
    size_t n;
    uint8_t *pix;
    int32_t *labels;
    char **names;
} raw_images;

static void raw_free(raw_images *r) {
    for (size_t i = 0; r->names && i < r->n; i++) free(r->names[i]);
    free(r->names);
    free(r->pix);
    free(r->labels);
    memset(r, 0, sizeof *r);
}

static int is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static char *join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    size_t k = la;
    if (la && a[la - 1] != '/') s[k++] = '/';
    memcpy(s + k, b, lb + 1);
    return s;
}

static smile_status labels_from_u8(raw_images *r, const uint8_t *lab, char *msg, size_t msg_len) {
    r->labels = malloc((r->n ? r->n : 1) * sizeof *r->labels);
    SMILE_CHECK(!r->labels, SMILE_ENOMEM, msg, msg_len, "out of memory");
    for (size_t i = 0; i < r->n; i++) r->labels[i] = lab[i];
    return SMILE_OK;
}

/* ---- Fashion-MNIST: IDX files -------------------------------------------- */

/* The label file beside an image file named *-images-idx3-ubyte[.gz]: the
 * same name with -labels-idx1-ubyte, with or without .gz; NULL if none. */
static char *idx_labels_beside(const char *images) {
    static const char key[] = "-images-idx3-ubyte";
    const char *base = strrchr(images, '/');
    base = base ? base + 1 : images;
    const char *at = strstr(base, key);
    if (!at) return NULL;
    size_t head = (size_t)(at - images);
    const char *tail = at + sizeof key - 1;
    char *p = malloc(strlen(images) + 8);
    if (!p) return NULL;
    memcpy(p, images, head);
    strcpy(p + head, "-labels-idx1-ubyte");
    strcat(p, tail);
    if (is_file(p)) return p;
    size_t n = strlen(p);
    if (n > 3 && !strcmp(p + n - 3, ".gz")) p[n - 3] = 0; /* toggle .gz */
    else strcat(p, ".gz");
    if (is_file(p)) return p;
    free(p);
    return NULL;
}

static smile_status read_idx(const char *path, raw_images *r, char *msg, size_t msg_len) {
    char *images = NULL, *labels = NULL;
    if (is_dir(path)) {
        images = smile_idx_find(path, "t10k-images-idx3-ubyte");
        SMILE_CHECK(!images, SMILE_EIO, msg, msg_len,
                    "%s: no t10k-images-idx3-ubyte[.gz] in this folder (give an IDX image "
                    "file, e.g. DIR/t10k-images-idx3-ubyte.gz)",
                    path);
        labels = smile_idx_find(path, "t10k-labels-idx1-ubyte");
    } else {
        images = malloc(strlen(path) + 1);
        SMILE_CHECK(!images, SMILE_ENOMEM, msg, msg_len, "out of memory");
        strcpy(images, path);
        labels = idx_labels_beside(path);
    }
    smile_status st = smile_idx_read_images(images, &r->pix, &r->n, msg, msg_len);
    uint8_t *lab = NULL;
    if (st == SMILE_OK && labels) st = smile_idx_read_labels(labels, r->n, &lab, msg, msg_len);
    if (st == SMILE_OK && lab) st = labels_from_u8(r, lab, msg, msg_len);
    free(lab);
    free(images);
    free(labels);
    return st;
}

/* ---- CIFAR-10: binary batch files ------------------------------------------ */

static smile_status read_cifar(const char *path, raw_images *r, char *msg, size_t msg_len) {
    char *file = NULL;
    if (is_dir(path)) {
        file = join(path, "test_batch.bin");
        if (file && !is_file(file)) {
            free(file);
            file = join(path, "cifar-10-batches-bin/test_batch.bin");
            if (file && !is_file(file)) {
                free(file);
                SMILE_CHECK(1, SMILE_EIO, msg, msg_len,
                            "%s: no test_batch.bin in this folder (give a CIFAR-10 binary "
                            "batch file)",
                            path);
            }
        }
    } else {
        file = join("", path);
    }
    SMILE_CHECK(!file, SMILE_ENOMEM, msg, msg_len, "out of memory");
    uint8_t *lab = NULL;
    smile_status st = smile_cifar_read_batch(file, &r->pix, &lab, &r->n, msg, msg_len);
    if (st == SMILE_OK && r->n == 0) {
        smile_set_msg(msg, msg_len, "%s: no records", file);
        st = SMILE_EFORMAT;
    }
    if (st == SMILE_OK) st = labels_from_u8(r, lab, msg, msg_len);
    free(lab);
    free(file);
    return st;
}

/* ---- Imagenette: JPEG files ------------------------------------------------- */

/* Appends dir/name (label lab, row name shown) to the list of files. */
static smile_status push_file(raw_images *r, char ***files, size_t *cap, const char *dir,
                              const char *shown, int32_t lab, char *msg, size_t msg_len) {
    if (r->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        char **nf = realloc(*files, nc * sizeof *nf), **nn = nf ? realloc(r->names, nc * sizeof *nn) : NULL;
        int32_t *nl = nn ? realloc(r->labels, nc * sizeof *nl) : NULL;
        if (nf) *files = nf;
        if (nn) r->names = nn;
        if (nl) r->labels = nl;
        SMILE_CHECK(!nl, SMILE_ENOMEM, msg, msg_len, "out of memory");
        *cap = nc;
    }
    const char *base = strrchr(shown, '/');
    char *full = dir ? join(dir, base ? base + 1 : shown) : join("", shown);
    char *nm = join("", shown);
    if (!full || !nm) {
        free(full);
        free(nm);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    (*files)[r->n] = full;
    r->names[r->n] = nm;
    r->labels[r->n++] = lab;
    return SMILE_OK;
}

/* The JPEG files of folder dir (labelled lab; names prefixed by sub/). */
static smile_status push_folder(raw_images *r, char ***files, size_t *cap, const char *dir,
                                const char *sub, int32_t lab, char *msg, size_t msg_len) {
    char **names = NULL;
    size_t n = 0;
    SMILE_TRY(smile_data_list(dir, 0, &names, &n, msg, msg_len));
    smile_status st = SMILE_OK;
    for (size_t k = 0; st == SMILE_OK && k < n; k++) {
        char *shown = sub ? join(sub, names[k]) : join("", names[k]);
        st = shown ? push_file(r, files, cap, dir, shown, lab, msg, msg_len) : SMILE_ENOMEM;
        if (!shown) smile_set_msg(msg, msg_len, "out of memory");
        free(shown);
    }
    smile_data_list_free(names, n);
    return st;
}

static long class_index(const fit_runmodel *rm, const char *name) {
    for (size_t k = 0; rm->class_names && k < rm->n_classes; k++)
        if (!strcmp(rm->class_names[k], name)) return (long)k;
    return -1;
}

/* The files to read: path itself, the JPEG files of the folder path, or the
 * JPEG files of its class sub-folders (labelled). */
static smile_status list_jpegs(const fit_runmodel *rm, const char *path, raw_images *r,
                               char ***files, int *labelled, char *msg, size_t msg_len) {
    size_t cap = 0;
    *labelled = 0;
    if (!is_dir(path)) {
        SMILE_CHECK(!is_file(path), SMILE_EIO, msg, msg_len, "%s: no such file or folder", path);
        return push_file(r, files, &cap, NULL, path, 0, msg, msg_len);
    }
    char **subs = NULL;
    size_t ns = 0;
    SMILE_TRY(push_folder(r, files, &cap, path, NULL, 0, msg, msg_len));
    SMILE_TRY(smile_data_list(path, 1, &subs, &ns, msg, msg_len));
    smile_status st = SMILE_OK;
    size_t loose = r->n, n_class_dirs = 0;
    for (size_t i = 0; i < ns; i++) n_class_dirs += class_index(rm, subs[i]) >= 0;
    if (n_class_dirs && loose) {
        smile_set_msg(msg, msg_len,
                      "%s: holds both JPEG files and class folders; give either a folder of "
                      "images or one of class folders",
                      path);
        st = SMILE_EINVAL;
    }
    for (size_t i = 0; st == SMILE_OK && n_class_dirs && i < ns; i++) {
        long k = class_index(rm, subs[i]);
        if (k < 0) {
            smile_set_msg(msg, msg_len,
                          "%s: sub-folder '%s' is not one of the run's %zu classes (class "
                          "folders must be named like the training folders)",
                          path, subs[i], rm->n_classes);
            st = SMILE_EINVAL;
            break;
        }
        char *dir = join(path, subs[i]);
        st = dir ? push_folder(r, files, &cap, dir, subs[i], (int32_t)k, msg, msg_len)
                 : SMILE_ENOMEM;
        free(dir);
    }
    smile_data_list_free(subs, ns);
    if (st == SMILE_ENOMEM) smile_set_msg(msg, msg_len, "out of memory");
    if (st == SMILE_OK && r->n == 0)
        smile_set_msg(msg, msg_len,
                      "%s: no JPEG files (*.jpeg, *.jpg) here nor in sub-folders named after "
                      "the run's classes",
                      path),
            st = SMILE_EINVAL;
    *labelled = n_class_dirs > 0;
    return st;
}

static smile_status read_jpegs(const fit_runmodel *rm, const char *path, int threads,
                               raw_images *r, char *msg, size_t msg_len) {
    SMILE_CHECK(rm->img_h != rm->img_w || rm->img_c != 3, SMILE_EUNSUPPORTED, msg, msg_len,
                "images of %zu x %zu x %zu: JPEG input needs square RGB images", rm->img_h,
                rm->img_w, rm->img_c);
    char **files = NULL;
    int labelled = 0;
    smile_status st = list_jpegs(rm, path, r, &files, &labelled, msg, msg_len);
    const size_t fd = rm->img_h * rm->img_w * 3, n = r->n;
    if (st == SMILE_OK) {
        r->pix = malloc((n ? n : 1) * fd);
        if (!r->pix) st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory (%zu images)", n);
    }
    smile_status *sts = st == SMILE_OK ? malloc(n * sizeof *sts) : NULL;
    char(*errs)[512] = sts ? malloc(n * sizeof *errs) : NULL;
    if (st == SMILE_OK && !errs) st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory");
    if (st == SMILE_OK) {
        /* every image on its own: the result does not depend on the threads */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (size_t i = 0; i < n; i++) {
            uint8_t *pix = NULL;
            errs[i][0] = 0;
            sts[i] = smile_image_read_jpeg(files[i], (int)rm->img_h, &pix, errs[i], sizeof errs[i]);
            if (sts[i] == SMILE_OK) memcpy(r->pix + i * fd, pix, fd);
            free(pix);
        }
        for (size_t i = 0; st == SMILE_OK && i < n; i++)
            if (sts[i] != SMILE_OK) st = sts[i], smile_set_msg(msg, msg_len, "%s", errs[i]);
    }
    for (size_t i = 0; files && i < n; i++) free(files[i]);
    free(files);
    free(sts);
    free(errs);
    if (st == SMILE_OK && !labelled) {
        free(r->labels);
        r->labels = NULL;
    }
    return st;
}

/* ---- rows ---------------------------------------------------------------------- */

smile_status fit_read_images(const fit_runmodel *rm, const char *path, int threads,
                             smile_predictor_rows *rows, char *msg, size_t msg_len) {
    memset(rows, 0, sizeof *rows);
    SMILE_CHECK(!rm->has_image, SMILE_EUNSUPPORTED, msg, msg_len,
                "this run's model.json does not record its image transform (written by an "
                "older smile): fit the run again to predict on images");
    raw_images r;
    memset(&r, 0, sizeof r);
    smile_status st;
    size_t expect = 0;
    switch (rm->task) {
    case SMILE_DATA_FMNIST:
        st = read_idx(path, &r, msg, msg_len), expect = 28 * 28;
        break;
    case SMILE_DATA_CIFAR10:
        st = read_cifar(path, &r, msg, msg_len), expect = 32 * 32 * 3;
        break;
    case SMILE_DATA_IMAGENETTE:
        st = read_jpegs(rm, path, threads > 0 ? threads : 1, &r, msg, msg_len);
        expect = rm->img_h * rm->img_w * rm->img_c;
        break;
    default:
        smile_set_msg(msg, msg_len, "images of task %s cannot be read for prediction",
                      smile_data_task_name(rm->task));
        st = SMILE_EUNSUPPORTED;
    }
    const size_t fd = rm->img_h * rm->img_w * rm->img_c, n = r.n;
    if (st == SMILE_OK && fd != expect) {
        smile_set_msg(msg, msg_len, "%s: images of %zu values, the model reads %zu", path, expect,
                      fd);
        st = SMILE_EFORMAT;
    }
    for (size_t i = 0; st == SMILE_OK && r.labels && i < n; i++)
        if (r.labels[i] < 0 || (size_t)r.labels[i] >= rm->desc.n_classes) {
            smile_set_msg(msg, msg_len, "%s: image %zu has class %d, the run has %zu classes",
                          path, i + 1, r.labels[i], rm->desc.n_classes);
            st = SMILE_EFORMAT;
        }
    if (st == SMILE_OK) {
        rows->x = malloc((n ? n : 1) * fd * sizeof *rows->x);
        rows->line = malloc((n ? n : 1) * sizeof *rows->line);
        if (!rows->x || !rows->line)
            st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory (%zu images)", n);
    }
    if (st == SMILE_OK) {
        smile_image_pixels(r.pix, n * fd, rm->img_c, rm->pixel_scale, rm->ch_mean, rm->ch_std,
                           rows->x);
        for (size_t i = 0; i < n; i++) rows->line[i] = i + 1;
        rows->n = n;
        rows->labels = r.labels;
        rows->has_target = r.labels != NULL;
        rows->names = r.names;
        r.labels = NULL;
        r.names = NULL;
    }
    raw_free(&r);
    return st;
}
