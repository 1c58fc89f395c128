/* CIFAR-10, official binary release (docs/experiments.md, section 2.2; the data folder's
 * README.md, section 3.1): data_batch_1.bin … data_batch_5.bin and test_batch.bin, records of
 * 3073 bytes = label byte + 1024 R + 1024 G + 1024 B (each plane 32×32 row-major). Read from the
 * extracted folder (or its parent) or straight from cifar-10-binary.tar.gz.
 *
 * Preprocessing, as the reference implementation does: no scaling (pixel values 0–255 as floats),
 * NHWC; the 50,000 training records (batch 1…5, file order) shuffled with the run seed, then the
 * 10,000 test records; split train 45,000 / valid 5,000 / test 10,000 (fractions 0.75 / 0.08334 /
 * 0.16666 of 60,000). */
#include "data/data_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CIFAR_REC 3073u
#define CIFAR_PIX 3072u
#define CIFAR_FILE_RECORDS 10000u
#define CIFAR_F_TRAIN 0.75
#define CIFAR_NFILES 6 /* 5 training batches + test batch */

static const char *const cifar_files[CIFAR_NFILES] = {"data_batch_1.bin", "data_batch_2.bin",
                                                      "data_batch_3.bin", "data_batch_4.bin",
                                                      "data_batch_5.bin", "test_batch.bin"};
static const char *const cifar_classes[10] = {"airplane", "automobile", "bird",  "cat",
                                              "deer",     "dog",        "frog",  "horse",
                                              "ship",     "truck"};

typedef struct {
    uint8_t *buf[CIFAR_NFILES];
    size_t nrec[CIFAR_NFILES];
    char *name[CIFAR_NFILES]; /* for messages */
} cifar_raw;

static void raw_free(cifar_raw *r) {
    for (int i = 0; i < CIFAR_NFILES; i++) {
        free(r->buf[i]);
        free(r->name[i]);
    }
}

static smile_status check_size(const char *name, uint64_t bytes, int strict, char *msg,
                               size_t msg_len) {
    SMILE_CHECK(bytes == 0 || bytes % CIFAR_REC != 0, SMILE_EFORMAT, msg, msg_len,
                "%s: %llu bytes is not a positive multiple of the %u-byte record (truncated "
                "or not a CIFAR-10 binary batch; the last complete record ends at byte %llu)",
                name, (unsigned long long)bytes, CIFAR_REC,
                (unsigned long long)(bytes / CIFAR_REC * CIFAR_REC));
    SMILE_CHECK(strict && bytes / CIFAR_REC != CIFAR_FILE_RECORDS, SMILE_EFORMAT, msg, msg_len,
                "%s: %llu records, the official release has %u per file", name,
                (unsigned long long)(bytes / CIFAR_REC), CIFAR_FILE_RECORDS);
    return SMILE_OK;
}

/* The whole file p into *buf (*nrec records of CIFAR_REC bytes). */
static smile_status read_file(const char *p, uint8_t **buf, size_t *nrec, int strict, char *msg,
                              size_t msg_len) {
    FILE *f;
    SMILE_TRY(smile_open_input(p, &f, msg, msg_len)); /* regular files only */
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "%s: cannot stat", p);
    }
    smile_status s = check_size(p, (uint64_t)st.st_size, strict, msg, msg_len);
    if (s != SMILE_OK) {
        fclose(f);
        return s;
    }
    size_t bytes = (size_t)st.st_size;
    *buf = malloc(bytes);
    if (!*buf) {
        fclose(f);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    size_t got = fread(*buf, 1, bytes, f);
    fclose(f);
    SMILE_CHECK(got != bytes, SMILE_EIO, msg, msg_len, "%s: read error after %zu of %zu bytes",
                p, got, bytes);
    *nrec = bytes / CIFAR_REC;
    return SMILE_OK;
}

/* The pixels of a record, CHW planes → HWC: x[h, w, c] = plane_c[h·32 + w]. */
static void record_hwc(const uint8_t *rec, uint8_t *dst) {
    for (size_t hw = 0; hw < 1024; hw++)
        for (size_t c = 0; c < 3; c++) dst[hw * 3 + c] = rec[1 + c * 1024 + hw];
}

/* Every label byte of the n records in buf must be 0..9. */
static smile_status check_labels(const uint8_t *buf, size_t n, const char *name, char *msg,
                                 size_t msg_len) {
    for (size_t k = 0; k < n; k++)
        SMILE_CHECK(buf[k * CIFAR_REC] > 9, SMILE_EFORMAT, msg, msg_len,
                    "%s: record %zu (0-based; byte %zu) has label %u; labels must be 0..9", name,
                    k, k * CIFAR_REC, buf[k * CIFAR_REC]);
    return SMILE_OK;
}

static smile_status read_folder(const char *dir, cifar_raw *r, int strict, char *msg,
                                size_t msg_len) {
    for (int i = 0; i < CIFAR_NFILES; i++) {
        char *p = data_join(dir, cifar_files[i]);
        SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
        r->name[i] = p;
        SMILE_TRY(read_file(p, &r->buf[i], &r->nrec[i], strict, msg, msg_len));
    }
    return SMILE_OK;
}

static smile_status read_archive(const char *path, cifar_raw *r, int strict, char *msg,
                                 size_t msg_len) {
    data_tar t;
    SMILE_TRY(data_tar_open(&t, path, msg, msg_len));
    smile_status st = SMILE_OK;
    for (;;) {
        int more = 0;
        st = data_tar_next(&t, &more, msg, msg_len);
        if (st != SMILE_OK || !more) break;
        if (!t.is_file) continue;
        const char *b = data_basename(t.name);
        int k = -1;
        for (int i = 0; i < CIFAR_NFILES; i++)
            if (!strcmp(b, cifar_files[i])) k = i;
        if (k < 0) continue;
        if (r->buf[k]) {
            smile_set_msg(msg, msg_len, "%s: archive holds %s twice", path, b);
            st = SMILE_EFORMAT;
            break;
        }
        size_t nlen = strlen(path) + strlen(t.name) + 3;
        r->name[k] = malloc(nlen);
        if (!r->name[k]) {
            st = SMILE_ENOMEM;
            smile_set_msg(msg, msg_len, "out of memory");
            break;
        }
        snprintf(r->name[k], nlen, "%s:%s", path, t.name);
        st = check_size(r->name[k], t.size, strict, msg, msg_len);
        if (st != SMILE_OK) break;
        r->buf[k] = malloc((size_t)t.size);
        if (!r->buf[k]) {
            st = SMILE_ENOMEM;
            smile_set_msg(msg, msg_len, "out of memory");
            break;
        }
        st = data_tar_read(&t, r->buf[k], (size_t)t.size, msg, msg_len);
        if (st != SMILE_OK) break;
        r->nrec[k] = (size_t)t.size / CIFAR_REC;
    }
    data_tar_close(&t);
    if (st != SMILE_OK) return st;
    for (int i = 0; i < CIFAR_NFILES; i++)
        SMILE_CHECK(!r->buf[i], SMILE_EFORMAT, msg, msg_len,
                    "%s: archive lacks %s (expected cifar-10-batches-bin/data_batch_1..5.bin "
                    "and test_batch.bin)",
                    path, cifar_files[i]);
    return SMILE_OK;
}

static smile_status load_cifar10(smile_dataset *ds, const char *path,
                                 const smile_data_options *opts, char *msg, size_t msg_len);
smile_status smile_dataset_load_cifar10(smile_dataset *ds, const char *path,
                                        const smile_data_options *opts, char *msg,
                                        size_t msg_len) {
    return data_load(ds, path, opts, load_cifar10, "load_cifar10", msg, msg_len);
}

static smile_status load_cifar10(smile_dataset *ds, const char *path,
                                 const smile_data_options *opts, char *msg, size_t msg_len) {
    int strict = opts->check_official_sizes;
    cifar_raw raw;
    memset(&raw, 0, sizeof raw);
    smile_status st;
    if (data_is_dir(path)) {
        char *probe = data_join(path, "data_batch_1.bin");
        char *sub = data_join(path, "cifar-10-batches-bin");
        if (!probe || !sub) {
            free(probe);
            free(sub);
            SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
        }
        const char *dir = data_is_file(probe) || !data_is_dir(sub) ? path : sub;
        st = read_folder(dir, &raw, strict, msg, msg_len);
        free(probe);
        free(sub);
    } else if (data_is_file(path)) {
        st = read_archive(path, &raw, strict, msg, msg_len);
    } else {
        st = data_path_error(path, msg, msg_len);
    }
    /* labels must be 0..9 */
    for (int i = 0; st == SMILE_OK && i < CIFAR_NFILES; i++)
        st = check_labels(raw.buf[i], raw.nrec[i], raw.name[i], msg, msg_len);
    if (st != SMILE_OK) {
        raw_free(&raw);
        return st;
    }

    size_t ntrain = 0;
    for (int i = 0; i < 5; i++) ntrain += raw.nrec[i];
    size_t n = ntrain + raw.nrec[5];
    /* source row o → (file, record) */
    st = data_begin(ds, SMILE_DATA_CIFAR10, path, msg, msg_len);
    if (st == SMILE_OK)
        st = data_image_setup(ds, n, 32, 32, 3, cifar_classes, 10, ntrain, CIFAR_F_TRAIN,
                              opts->seed, msg, msg_len);
    if (st == SMILE_OK) {
        for (size_t r = 0; r < n; r++) {
            size_t o = ds->orig_index[r], f = 0;
            while (f < 5 && o >= raw.nrec[f]) o -= raw.nrec[f++]; /* test rows: f = 5 */
            const uint8_t *rec = raw.buf[f] + o * CIFAR_REC;
            ds->labels[r] = rec[0];
            float *dst = ds->x + r * CIFAR_PIX;
            uint8_t hwc[CIFAR_PIX];
            record_hwc(rec, hwc);
            for (size_t i = 0; i < CIFAR_PIX; i++) dst[i] = (float)hwc[i];
        }
    }
    if (st != SMILE_OK) smile_dataset_free(ds);
    raw_free(&raw);
    return st;
}

smile_status smile_cifar_read_batch(const char *path, uint8_t **pix, uint8_t **labels, size_t *n,
                                    char *msg, size_t msg_len) {
    SMILE_CHECK(!path || !pix || !labels || !n, SMILE_EINVAL, msg, msg_len,
                "cifar_read_batch: NULL argument");
    *pix = *labels = NULL;
    *n = 0;
    uint8_t *buf = NULL;
    size_t nrec = 0;
    SMILE_TRY(read_file(path, &buf, &nrec, 0, msg, msg_len));
    smile_status st = check_labels(buf, nrec, path, msg, msg_len);
    uint8_t *px = st == SMILE_OK ? malloc(nrec * CIFAR_PIX) : NULL, *lb = px ? malloc(nrec) : NULL;
    if (st == SMILE_OK && !lb) st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory");
    for (size_t k = 0; st == SMILE_OK && k < nrec; k++) {
        const uint8_t *rec = buf + k * CIFAR_REC;
        lb[k] = rec[0];
        record_hwc(rec, px + k * CIFAR_PIX);
    }
    free(buf);
    if (st != SMILE_OK) {
        free(px);
        free(lb);
        return st;
    }
    *pix = px;
    *labels = lb;
    *n = nrec;
    return SMILE_OK;
}
