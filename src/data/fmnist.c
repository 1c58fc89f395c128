/* Fashion-MNIST from gzip-compressed IDX files (docs/experiments.md, section 2.2; the data
 * folder's README.md, section 2.4). IDX: big-endian uint32 magic (2051 images / 2049 labels),
 * item count, for images rows and columns (28, 28), then uint8 payload. zlib's gzread also reads
 * uncompressed files, so the .gz suffix is optional.
 *
 * Preprocessing, as the reference implementation does: pixels/255, layout N × 28 × 28 × 1; the
 * 60,000 training images are shuffled with the run seed and followed by the 10,000 official test
 * images; split train 49,000 / valid 11,000 / test 10,000. */
#include "data/data_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FM_F_TRAIN 0.7
#define FM_MAGIC_IMAGES 2051u
#define FM_MAGIC_LABELS 2049u

static const char *const fm_classes[10] = {"T-shirt/top", "trouser", "pullover", "dress",
                                           "coat",        "sandal",  "shirt",    "sneaker",
                                           "bag",         "ankle boot"};

static uint32_t be32(const unsigned char *b) {
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* dir/<base>.gz, else dir/<base> when only the uncompressed file exists
 * (NULL: out of memory). */
static char *idx_path(const char *dir, const char *base) {
    char gzname[128];
    snprintf(gzname, sizeof gzname, "%s.gz", base);
    char *p = data_join(dir, gzname);
    if (p && !data_is_file(p)) {
        char *q = data_join(dir, base);
        if (q && data_is_file(q)) {
            free(p);
            return q;
        }
        free(q);
    }
    return p;
}

char *smile_idx_find(const char *dir, const char *base) {
    char *p = idx_path(dir, base);
    if (p && !data_is_file(p)) {
        free(p);
        return NULL;
    }
    return p;
}

/* Opens path (gzip or plain); *own = a copy of the path. */
static smile_status open_idx(const char *path, gzFile *gz, char **own, char *msg,
                             size_t msg_len) {
    char *p = data_strdup(path);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
    int fd = -1;
    smile_status st = smile_open_input_fd(p, &fd, msg, msg_len); /* regular files only */
    if (st != SMILE_OK) {
        free(p);
        return st;
    }
    errno = 0;
    *gz = gzdopen(fd, "rb");
    if (!*gz) {
        smile_set_msg(msg, msg_len, "%s: cannot open: %s", p, strerror(errno ? errno : ENOMEM));
        close(fd);
        free(p);
        return SMILE_EIO;
    }
    gzbuffer(*gz, 1u << 18);
    *own = p;
    return SMILE_OK;
}

/* After the payload: the stream must end here (no trailing bytes) and the
 * gzip trailer (CRC, length) must check out. */
static smile_status expect_end(gzFile gz, const char *path, uint64_t offset, char *msg,
                               size_t msg_len) {
    unsigned char extra;
    int got = gzread(gz, &extra, 1);
    int zerr = Z_OK;
    const char *zs = gzerror(gz, &zerr);
    SMILE_CHECK(got < 0 || (zerr != Z_OK && zerr != Z_STREAM_END), SMILE_EFORMAT, msg, msg_len,
                "%s: corrupt gzip stream after byte %llu: %s", path, (unsigned long long)offset,
                zs ? zs : "read error");
    SMILE_CHECK(got > 0, SMILE_EFORMAT, msg, msg_len,
                "%s: unexpected data after byte %llu (file longer than its IDX header says)",
                path, (unsigned long long)offset);
    return SMILE_OK;
}

/* Opens file and reads its hlen-byte IDX header into h, whose magic number
 * must be magic (what: "images" or "labels"). On failure the file is closed
 * again. */
static smile_status open_header(const char *file, unsigned char *h, size_t hlen, unsigned magic,
                                const char *what, gzFile *gz, char **path, char *msg,
                                size_t msg_len) {
    SMILE_TRY(open_idx(file, gz, path, msg, msg_len));
    smile_status st = data_gz_read_exact(*gz, *path, h, hlen, 0, "the IDX header", msg, msg_len);
    if (st == SMILE_OK && be32(h) != magic) {
        smile_set_msg(msg, msg_len, "%s: bad IDX magic %u at byte 0 (expected %u = 0x%08X for %s)",
                      *path, be32(h), magic, magic, what);
        st = SMILE_EFORMAT;
    }
    if (st != SMILE_OK) {
        gzclose(*gz);
        free(*path);
        *path = NULL;
    }
    return st;
}

/* The body of an IDX file: n bytes after its hdr-byte header into a new
 * buffer *out, and nothing after them. The buffer grows (doubling from 1 MiB)
 * as the data arrive, so a header that claims more than the file holds costs
 * no more memory than the data (a truncation error instead of a huge block). */
static smile_status read_body(gzFile gz, const char *path, size_t hdr, size_t n, const char *what,
                              uint8_t **out, char *msg, size_t msg_len) {
    size_t cap = n < ((size_t)1 << 20) ? n : ((size_t)1 << 20), got = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    SMILE_CHECK(!buf, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_status st = SMILE_OK;
    while (st == SMILE_OK && got < n) {
        if (got == cap) {
            cap = n - cap > cap ? 2 * cap : n;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                smile_set_msg(msg, msg_len, "out of memory");
                st = SMILE_ENOMEM;
                break;
            }
            buf = nb;
        }
        st = data_gz_read_exact(gz, path, buf + got, cap - got, hdr + got, what, msg, msg_len);
        got = cap;
    }
    if (st == SMILE_OK) st = expect_end(gz, path, hdr + (uint64_t)n, msg, msg_len);
    if (st != SMILE_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    return SMILE_OK;
}

/* Reads one IDX image file: *n images of 28 × 28 bytes (expect_n > 0: exactly that many). */
static smile_status read_images(const char *file, uint8_t **pix, size_t *n, size_t expect_n,
                                char *msg, size_t msg_len) {
    gzFile gz;
    char *path = NULL;
    unsigned char h[16];
    SMILE_TRY(open_header(file, h, 16, FM_MAGIC_IMAGES, "images", &gz, &path, msg, msg_len));
    smile_status st = SMILE_OK;
    if (st == SMILE_OK && (be32(h + 8) != 28 || be32(h + 12) != 28)) {
        smile_set_msg(msg, msg_len, "%s: images are %u x %u at bytes 8-15 (expected 28 x 28)",
                      path, be32(h + 8), be32(h + 12));
        st = SMILE_EFORMAT;
    }
    size_t cnt = st == SMILE_OK ? be32(h + 4) : 0;
    if (st == SMILE_OK && (cnt == 0 || (expect_n && cnt != expect_n))) {
        if (expect_n)
            smile_set_msg(msg, msg_len, "%s: header says %zu images at byte 4 (expected %zu)",
                          path, cnt, expect_n);
        else
            smile_set_msg(msg, msg_len, "%s: header says 0 images at byte 4", path);
        st = SMILE_EFORMAT;
    }
    uint8_t *buf = NULL;
    if (st == SMILE_OK) st = read_body(gz, path, 16, cnt * 784, "pixels", &buf, msg, msg_len);
    gzclose(gz);
    free(path);
    SMILE_TRY(st);
    *pix = buf;
    *n = cnt;
    return SMILE_OK;
}

static smile_status read_labels(const char *file, uint8_t **lab, size_t n_expect, char *msg,
                                size_t msg_len) {
    gzFile gz;
    char *path = NULL;
    unsigned char h[8];
    SMILE_TRY(open_header(file, h, 8, FM_MAGIC_LABELS, "labels", &gz, &path, msg, msg_len));
    smile_status st = SMILE_OK;
    if (st == SMILE_OK && be32(h + 4) != n_expect) {
        smile_set_msg(msg, msg_len,
                      "%s: header says %u labels at byte 4 but the image file holds %zu", path,
                      be32(h + 4), n_expect);
        st = SMILE_EFORMAT;
    }
    uint8_t *buf = NULL;
    if (st == SMILE_OK) st = read_body(gz, path, 8, n_expect, "labels", &buf, msg, msg_len);
    for (size_t i = 0; st == SMILE_OK && i < n_expect; i++)
        if (buf[i] > 9) {
            smile_set_msg(msg, msg_len, "%s: label %u of item %zu (byte %zu) is not in 0..9",
                          path, buf[i], i, 8 + i);
            st = SMILE_EFORMAT;
        }
    gzclose(gz);
    free(path);
    if (st != SMILE_OK) {
        free(buf);
        return st;
    }
    *lab = buf;
    return SMILE_OK;
}

static smile_status load_fmnist(smile_dataset *ds, const char *dir,
                                const smile_data_options *opts, char *msg, size_t msg_len) {
    SMILE_CHECK(!data_is_dir(dir), SMILE_EIO, msg, msg_len,
                "%s: not a folder (expected the folder holding train-images-idx3-ubyte.gz etc.)",
                dir);
    int strict = opts->check_official_sizes;
    uint8_t *tri = NULL, *trl = NULL, *tei = NULL, *tel = NULL;
    size_t ntr = 0, nte = 0;
    static const char *const base[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    char *file[4] = {NULL, NULL, NULL, NULL};
    smile_status st = SMILE_OK;
    for (int i = 0; i < 4; i++)
        if (!(file[i] = idx_path(dir, base[i]))) st = SMILE_ENOMEM;
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "out of memory");
    if (st == SMILE_OK) st = read_images(file[0], &tri, &ntr, strict ? 60000 : 0, msg, msg_len);
    if (st == SMILE_OK) st = read_labels(file[1], &trl, ntr, msg, msg_len);
    if (st == SMILE_OK) st = read_images(file[2], &tei, &nte, strict ? 10000 : 0, msg, msg_len);
    if (st == SMILE_OK) st = read_labels(file[3], &tel, nte, msg, msg_len);
    for (int i = 0; i < 4; i++) free(file[i]);
    if (st == SMILE_OK) st = data_begin(ds, SMILE_DATA_FMNIST, dir, msg, msg_len);
    if (st == SMILE_OK) {
        size_t n = ntr + nte;
        ds->pixel_scale = 1.0 / 255.0;
        st = data_image_setup(ds, n, 28, 28, 1, fm_classes, 10, ntr, FM_F_TRAIN, opts->seed, msg,
                              msg_len);
        if (st == SMILE_OK) {
            for (size_t r = 0; r < n; r++) {
                size_t o = ds->orig_index[r];
                const uint8_t *src = o < ntr ? tri + o * 784 : tei + (o - ntr) * 784;
                float *dst = ds->x + r * 784;
                /* pixels/255, rounded once from the exact quotient */
                smile_image_pixels(src, 784, 1, ds->pixel_scale, ds->ch_mean, ds->ch_std, dst);
                ds->labels[r] = o < ntr ? trl[o] : tel[o - ntr];
            }
        }
        if (st != SMILE_OK) smile_dataset_free(ds);
    }
    free(tri);
    free(trl);
    free(tei);
    free(tel);
    return st;
}

smile_status smile_dataset_load_fmnist(smile_dataset *ds, const char *dir,
                                       const smile_data_options *opts, char *msg,
                                       size_t msg_len) {
    return data_load(ds, dir, opts, load_fmnist, "load_fmnist", msg, msg_len);
}

smile_status smile_idx_read_images(const char *path, uint8_t **pix, size_t *n, char *msg,
                                   size_t msg_len) {
    SMILE_CHECK(!path || !pix || !n, SMILE_EINVAL, msg, msg_len, "idx_read_images: NULL argument");
    return read_images(path, pix, n, 0, msg, msg_len);
}

smile_status smile_idx_read_labels(const char *path, size_t n, uint8_t **labels, char *msg,
                                   size_t msg_len) {
    SMILE_CHECK(!path || !labels, SMILE_EINVAL, msg, msg_len, "idx_read_labels: NULL argument");
    return read_labels(path, labels, n, msg, msg_len);
}
