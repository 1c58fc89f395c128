/* Imagenette v2 (docs/experiments.md, section 2.2) from the extracted folder
 * (imagenette2/{train,val}/<wnid>/NAME.JPEG, or its parent) or the .tgz archive.
 *
 * Labels: position of the class folder name among the train/ class folders
 * in lexicographic (byte) order; within a class, files in lexicographic
 * order of their names; extension .jpeg / .jpg matched case-insensitively,
 * other files ignored. Each image → 8-bit RGB → resized to S × S (S = 160,
 * aspect ratio not preserved, antialiased bilinear, data_resize_u8_aa) →
 * x = (p/255 − m_c)/s_c, m = (0.485, 0.456, 0.406), s = (0.229, 0.224, 0.225).
 * Split: train images shuffled with the run seed, then val kept last;
 * train = ⌊0.65 n⌋ (8706 of 13,394), valid = the rest of train (763),
 * test = val (3925). Per-class counts are reported by smile_dataset_describe.
 *
 * Decoding runs in parallel (OpenMP) over images; each image is independent,
 * so the result does not depend on the thread count. */
#include "data/data_internal.h"

#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_F_TRAIN 0.65
#define IN_CHUNK 128 /* archive images decoded per parallel batch */

static const double in_mean[3] = {0.485, 0.456, 0.406};
static const double in_std[3] = {0.229, 0.224, 0.225};

typedef struct {
    int split;        /* 0 = train, 1 = val */
    char *cls;        /* class folder name  */
    char *fname;      /* file name          */
    char *path;       /* folder: full path; archive: path:member (messages) */
    unsigned char *jpeg; /* archive: compressed bytes until decoded */
    size_t jpeg_len;
    uint8_t *pix;     /* [S × S × 3] after decoding */
    int status;
    char err[256];
} in_entry;

typedef struct {
    in_entry *e;
    size_t n, cap;
} in_list;

static void list_free(in_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->e[i].cls);
        free(l->e[i].fname);
        free(l->e[i].path);
        free(l->e[i].jpeg);
        free(l->e[i].pix);
    }
    free(l->e);
    memset(l, 0, sizeof *l);
}

static in_entry *list_push(in_list *l) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 1024;
        in_entry *ne = realloc(l->e, nc * sizeof *ne);
        if (!ne) return NULL;
        l->e = ne;
        l->cap = nc;
    }
    in_entry *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static int is_jpeg_name(const char *name) {
    return name[0] != '.' && (data_ends_with(name, ".jpeg") || data_ends_with(name, ".jpg"));
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_entry(const void *a, const void *b) {
    const in_entry *x = a, *y = b;
    if (x->split != y->split) return x->split - y->split;
    int c = strcmp(x->cls, y->cls);
    return c ? c : strcmp(x->fname, y->fname);
}

/* Sorted names of the entries of dir (want_dir: sub-folders, else JPEG files). */
static smile_status list_dir(const char *dir, int want_dir, char ***names, size_t *n, char *msg,
                             size_t msg_len) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    SMILE_CHECK(!d, SMILE_EIO, msg, msg_len, "%s: cannot open folder: %s", dir, strerror(errno));
    size_t cap = 0;
    char **v = NULL;
    struct dirent *de;
    smile_status st = SMILE_OK;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char *full = data_join(dir, de->d_name);
        if (!full) {
            st = SMILE_ENOMEM;
            break;
        }
        int ok = want_dir ? data_is_dir(full) : (is_jpeg_name(de->d_name) && data_is_file(full));
        free(full);
        if (!ok) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                st = SMILE_ENOMEM;
                break;
            }
            v = nv;
        }
        v[*n] = data_strdup(de->d_name);
        if (!v[*n]) {
            st = SMILE_ENOMEM;
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (st != SMILE_OK) {
        for (size_t i = 0; i < *n; i++) free(v[i]);
        free(v);
        *n = 0;
        SMILE_CHECK(1, st, msg, msg_len, "out of memory");
    }
    if (*n > 1) qsort(v, *n, sizeof *v, cmp_str);
    *names = v;
    return SMILE_OK;
}

static void free_names(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* One JPEG held in memory → 8-bit RGB resized to S × S, *pix malloc'ed. */
static smile_status decode_resized(const unsigned char *buf, size_t len, const char *name, int S,
                                   uint8_t **pix, char *msg, size_t msg_len) {
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    *pix = NULL;
    SMILE_TRY(data_jpeg_decode(buf, len, name, &rgb, &w, &h, msg, msg_len));
    uint8_t *out = malloc((size_t)S * S * 3);
    smile_status st = out ? data_resize_u8_aa(rgb, w, h, 3, out, S, S) : SMILE_ENOMEM;
    free(rgb);
    if (st != SMILE_OK) {
        free(out);
        smile_set_msg(msg, msg_len, "out of memory");
        return st;
    }
    *pix = out;
    return SMILE_OK;
}

/* Decodes and resizes entries [a, b) in parallel into e->pix. */
static void decode_range(in_list *l, size_t a, size_t b, int S, int threads) {
    int nt = threads > 0 ? threads : omp_get_max_threads();
    long lo = (long)a, hi = (long)b;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (long i = lo; i < hi; i++) {
        in_entry *e = &l->e[i];
        unsigned char *buf = e->jpeg;
        size_t len = e->jpeg_len;
        if (!buf) { /* folder: read the file */
            FILE *f = fopen(e->path, "rb");
            if (!f) {
                char es[128] = "";
                if (strerror_r(errno, es, sizeof es) != 0) snprintf(es, sizeof es, "error");
                snprintf(e->err, sizeof e->err, "%s: cannot open: %s", e->path, es);
                e->status = SMILE_EIO;
                continue;
            }
            fseek(f, 0, SEEK_END);
            long sz = ftell(f);
            fseek(f, 0, SEEK_SET);
            buf = sz > 0 ? malloc((size_t)sz) : NULL;
            len = buf && fread(buf, 1, (size_t)sz, f) == (size_t)sz ? (size_t)sz : 0;
            fclose(f);
            if (!len) {
                free(buf);
                snprintf(e->err, sizeof e->err, "%s: empty or unreadable file", e->path);
                e->status = SMILE_EIO;
                continue;
            }
        }
        e->status = decode_resized(buf, len, e->path, S, &e->pix, e->err, sizeof e->err);
        if (buf != e->jpeg) free(buf);
        free(e->jpeg);
        e->jpeg = NULL;
    }
}

/* First failed entry in [a, b) (in list order, so the report is
 * deterministic), copied to msg. */
static smile_status first_error(const in_list *l, size_t a, size_t b, char *msg, size_t msg_len) {
    for (size_t i = a; i < b; i++)
        if (l->e[i].status != SMILE_OK) {
            smile_set_msg(msg, msg_len, "%s", l->e[i].err);
            return (smile_status)l->e[i].status;
        }
    return SMILE_OK;
}

/* root = dir with train/ and val/, dir/imagenette2, or the one sub-folder of
 * dir that has both. */
static smile_status find_root(const char *path, char **root, char *msg, size_t msg_len) {
    char *t = data_join(path, "train"), *v = data_join(path, "val");
    int here = t && v && data_is_dir(t) && data_is_dir(v);
    free(t);
    free(v);
    if (here) {
        *root = data_strdup(path);
        SMILE_CHECK(!*root, SMILE_ENOMEM, msg, msg_len, "out of memory");
        return SMILE_OK;
    }
    char **subs = NULL;
    size_t ns = 0;
    SMILE_TRY(list_dir(path, 1, &subs, &ns, msg, msg_len));
    char *found = NULL;
    int count = 0;
    for (size_t i = 0; i < ns; i++) {
        char *s = data_join(path, subs[i]);
        char *st = s ? data_join(s, "train") : NULL, *sv = s ? data_join(s, "val") : NULL;
        if (st && sv && data_is_dir(st) && data_is_dir(sv)) {
            count++;
            if (!found || !strcmp(subs[i], "imagenette2")) {
                free(found);
                found = s;
                s = NULL;
            }
        }
        free(s);
        free(st);
        free(sv);
    }
    free_names(subs, ns);
    SMILE_CHECK(!found, SMILE_EFORMAT, msg, msg_len,
                "%s: no train/ and val/ class folders here nor in a sub-folder (expected "
                "imagenette2/train/<wnid>/*.JPEG)",
                path);
    (void)count;
    *root = found;
    return SMILE_OK;
}

static smile_status scan_folder(const char *path, in_list *l, char *msg, size_t msg_len) {
    char *root = NULL;
    SMILE_TRY(find_root(path, &root, msg, msg_len));
    static const char *const split_dir[2] = {"train", "val"};
    smile_status st = SMILE_OK;
    for (int s = 0; s < 2 && st == SMILE_OK; s++) {
        char *sd = data_join(root, split_dir[s]);
        char **cls = NULL;
        size_t nc = 0;
        st = sd ? list_dir(sd, 1, &cls, &nc, msg, msg_len) : SMILE_ENOMEM;
        for (size_t c = 0; c < nc && st == SMILE_OK; c++) {
            char *cd = data_join(sd, cls[c]);
            char **files = NULL;
            size_t nf = 0;
            st = cd ? list_dir(cd, 0, &files, &nf, msg, msg_len) : SMILE_ENOMEM;
            for (size_t k = 0; k < nf && st == SMILE_OK; k++) {
                in_entry *e = list_push(l);
                if (!e) {
                    st = SMILE_ENOMEM;
                    break;
                }
                e->split = s;
                e->cls = data_strdup(cls[c]);
                e->fname = data_strdup(files[k]);
                e->path = data_join(cd, files[k]);
                if (!e->cls || !e->fname || !e->path) st = SMILE_ENOMEM;
            }
            free_names(files, nf);
            free(cd);
        }
        free_names(cls, nc);
        free(sd);
    }
    free(root);
    if (st == SMILE_ENOMEM) smile_set_msg(msg, msg_len, "out of memory");
    return st;
}

/* Archive: keep entries <anything>/{train,val}/<class>/<file.jpeg>. */
static smile_status scan_archive(const char *path, in_list *l, int S, int threads, char *msg,
                                 size_t msg_len) {
    data_tar t;
    SMILE_TRY(data_tar_open(&t, path, msg, msg_len));
    smile_status st = SMILE_OK;
    size_t pending = 0, pending_bytes = 0;
    for (;;) {
        int more = 0;
        st = data_tar_next(&t, &more, msg, msg_len);
        if (st != SMILE_OK || !more) break;
        if (!t.is_file) continue;
        /* split the member name into its last three components */
        char *comp[3] = {NULL, NULL, NULL};
        char name[sizeof t.name];
        snprintf(name, sizeof name, "%s", t.name);
        int nc = 0;
        for (char *p = name + strlen(name); p > name && nc < 3;) {
            char *q = p;
            while (q > name && q[-1] != '/') q--;
            comp[2 - nc++] = q;
            if (q == name) break;
            q[-1] = 0;
            p = q - 1;
        }
        if (nc < 3 || !is_jpeg_name(comp[2])) continue;
        int split = !strcmp(comp[0], "train") ? 0 : !strcmp(comp[0], "val") ? 1 : -1;
        if (split < 0) continue;
        in_entry *e = list_push(l);
        if (!e) {
            st = SMILE_ENOMEM;
            break;
        }
        e->split = split;
        e->cls = data_strdup(comp[1]);
        e->fname = data_strdup(comp[2]);
        size_t plen = strlen(path) + strlen(t.name) + 2;
        e->path = malloc(plen);
        e->jpeg = malloc(t.size ? (size_t)t.size : 1);
        e->jpeg_len = (size_t)t.size;
        if (!e->cls || !e->fname || !e->path || !e->jpeg) {
            st = SMILE_ENOMEM;
            break;
        }
        snprintf(e->path, plen, "%s:%s", path, t.name);
        st = data_tar_read(&t, e->jpeg, (size_t)t.size, msg, msg_len);
        if (st != SMILE_OK) break;
        pending++;
        pending_bytes += (size_t)t.size;
        if (pending >= IN_CHUNK || pending_bytes >= ((size_t)256 << 20)) {
            decode_range(l, l->n - pending, l->n, S, threads);
            st = first_error(l, l->n - pending, l->n, msg, msg_len);
            pending = pending_bytes = 0;
            if (st != SMILE_OK) break;
        }
    }
    data_tar_close(&t);
    if (st == SMILE_OK && pending) {
        decode_range(l, l->n - pending, l->n, S, threads);
        st = first_error(l, l->n - pending, l->n, msg, msg_len);
    }
    if (st == SMILE_ENOMEM) smile_set_msg(msg, msg_len, "out of memory");
    return st;
}

static smile_status load_imagenette(smile_dataset *ds, const char *path,
                                    const smile_data_options *opts, char *msg, size_t msg_len) {
    const int S = opts->image_size;
    SMILE_CHECK(S <= 0 || S > 4096, SMILE_EINVAL, msg, msg_len, "image_size %d out of range", S);
    in_list l;
    memset(&l, 0, sizeof l);
    smile_status st;
    int archive = 0;
    if (data_is_dir(path)) {
        st = scan_folder(path, &l, msg, msg_len);
    } else if (data_is_file(path)) {
        archive = 1;
        st = scan_archive(path, &l, S, opts->threads, msg, msg_len);
    } else {
        st = data_path_error(path, msg, msg_len);
    }
    if (st != SMILE_OK) {
        list_free(&l);
        return st;
    }
    /* canonical order: split, class, file name (the folder scan already is) */
    if (archive && l.n > 1) qsort(l.e, l.n, sizeof *l.e, cmp_entry);
    size_t ntrain = 0;
    while (ntrain < l.n && l.e[ntrain].split == 0) ntrain++;
    if (ntrain == 0 || ntrain == l.n) {
        list_free(&l);
        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                    "%s: found %zu train and %zu val JPEG images; both splits need images "
                    "(layout train/<wnid>/*.JPEG, val/<wnid>/*.JPEG)",
                    path, ntrain, l.n - ntrain);
    }
    for (size_t i = 1; i < l.n; i++)
        if (!cmp_entry(&l.e[i - 1], &l.e[i])) {
            smile_set_msg(msg, msg_len, "%s: image %s appears twice", path, l.e[i].path);
            list_free(&l);
            return SMILE_EFORMAT;
        }
    /* classes: distinct train class names, already sorted */
    size_t ncls = 0;
    const char **cls = malloc(ntrain * sizeof *cls);
    if (!cls) {
        list_free(&l);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    for (size_t i = 0; i < ntrain; i++)
        if (!ncls || strcmp(cls[ncls - 1], l.e[i].cls)) cls[ncls++] = l.e[i].cls;
    st = SMILE_OK;
    int32_t *lab = malloc(l.n * sizeof *lab);
    if (!lab) st = SMILE_ENOMEM;
    for (size_t i = 0; st == SMILE_OK && i < l.n; i++) {
        size_t lo = 0, hi = ncls;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(cls[mid], l.e[i].cls) < 0) lo = mid + 1;
            else hi = mid;
        }
        if (lo == ncls || strcmp(cls[lo], l.e[i].cls)) {
            smile_set_msg(msg, msg_len,
                          "%s: val class folder '%s' has no train folder (image %s)", path,
                          l.e[i].cls, l.e[i].path);
            st = SMILE_EFORMAT;
        }
        lab[i] = (int32_t)lo;
    }
    if (st == SMILE_OK && !archive) {
        decode_range(&l, 0, l.n, S, opts->threads);
        st = first_error(&l, 0, l.n, msg, msg_len);
    }
    if (st == SMILE_OK) st = data_begin(ds, SMILE_DATA_IMAGENETTE, path, msg, msg_len);
    size_t n = l.n, fd = (size_t)S * S * 3;
    if (st == SMILE_OK) {
        ds->pixel_scale = 1.0 / 255.0;
        for (int c = 0; c < 3; c++) {
            ds->ch_mean[c] = in_mean[c];
            ds->ch_std[c] = in_std[c];
        }
        st = data_image_setup(ds, n, (size_t)S, (size_t)S, 3, cls, ncls, ntrain, IN_F_TRAIN,
                              opts->seed, msg, msg_len);
        if (st == SMILE_ENOMEM)
            smile_set_msg(msg, msg_len, "out of memory (%zu images of %dx%d)", n, S, S);
    }
    if (st == SMILE_OK) {
        /* (p/255 − m_c)/s_c per channel */
        for (size_t r = 0; r < n; r++) {
            in_entry *e = &l.e[ds->orig_index[r]];
            float *dst = ds->x + r * fd;
            smile_image_pixels(e->pix, fd, 3, ds->pixel_scale, ds->ch_mean, ds->ch_std, dst);
            ds->labels[r] = lab[ds->orig_index[r]];
            free(e->pix);
            e->pix = NULL;
        }
    }
    if (st == SMILE_ENOMEM && msg && !msg[0]) smile_set_msg(msg, msg_len, "out of memory");
    if (st != SMILE_OK) smile_dataset_free(ds);
    free(lab);
    free(cls);
    list_free(&l);
    return st;
}

smile_status smile_dataset_load_imagenette(smile_dataset *ds, const char *path,
                                           const smile_data_options *opts, char *msg,
                                           size_t msg_len) {
    return data_load(ds, path, opts, load_imagenette, "load_imagenette", msg, msg_len);
}

smile_status smile_image_read_jpeg(const char *path, int S, uint8_t **pix, char *msg,
                                   size_t msg_len) {
    SMILE_CHECK(!path || !pix || S <= 0 || S > 4096, SMILE_EINVAL, msg, msg_len,
                "image_read_jpeg: bad argument");
    *pix = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        char es[128] = "";
        if (strerror_r(errno, es, sizeof es) != 0) snprintf(es, sizeof es, "error");
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "%s: cannot open: %s", path, es);
    }
    unsigned char *buf = NULL;
    long sz = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (sz > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)sz)) &&
        fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    SMILE_CHECK(!buf, SMILE_EIO, msg, msg_len, "%s: empty or unreadable file", path);
    smile_status st = decode_resized(buf, (size_t)sz, path, S, pix, msg, msg_len);
    free(buf);
    return st;
}

smile_status smile_data_list(const char *dir, int folders, char ***names, size_t *n, char *msg,
                             size_t msg_len) {
    SMILE_CHECK(!dir || !names || !n, SMILE_EINVAL, msg, msg_len, "data_list: NULL argument");
    return list_dir(dir, folders, names, n, msg, msg_len);
}

void smile_data_list_free(char **names, size_t n) { free_names(names, n); }

int smile_data_is_jpeg_name(const char *name) { return name && is_jpeg_name(data_basename(name)); }
