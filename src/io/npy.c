/* NumPy .npy files of float32 [rows, cols] (format version 1.0, C order).
 *
 * Layout: "\x93NUMPY" 0x01 0x00, uint16 LE header length, then the ASCII
 * dict "{'descr': '<f4', 'fortran_order': False, 'shape': (R, C), }" padded
 * with spaces and ended by '\n' so that the data starts at byte 128 (a
 * multiple of 64, as NumPy requires for alignment). The header size is fixed,
 * so samples can be appended row by row while a run goes on and the shape
 * patched in place at every checkpoint and at the end. */
#include "io/io_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int little_endian(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* The 128-byte header for shape (rows, cols). */
static void make_header(char h[SMILE_NPY_HEADER_BYTES], uint64_t rows, size_t cols) {
    memset(h, ' ', SMILE_NPY_HEADER_BYTES);
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    const unsigned hl = SMILE_NPY_HEADER_BYTES - 10;
    h[8] = (char)(hl & 0xff);
    h[9] = (char)(hl >> 8);
    char d[SMILE_NPY_HEADER_BYTES];
    int n = snprintf(d, sizeof d, "{'descr': '%cf4', 'fortran_order': False, 'shape': (%" PRIu64
                                  ", %zu), }",
                     little_endian() ? '<' : '>', rows, cols);
    /* at most 20 digits each: 59 + 40 < 117 bytes, always fits */
    memcpy(h + 10, d, (size_t)n);
    h[SMILE_NPY_HEADER_BYTES - 1] = '\n';
}

static smile_status patch_header(smile_npy_writer *w, char *msg, size_t msg_len) {
    char h[SMILE_NPY_HEADER_BYTES];
    make_header(h, w->rows, w->cols);
    FILE *fp = w->file.fp;
    if (fflush(fp) != 0 || fseeko(fp, 0, SEEK_SET) != 0 ||
        fwrite(h, 1, sizeof h, fp) != sizeof h || fflush(fp) != 0 ||
        fseeko(fp, 0, SEEK_END) != 0) {
        smile_set_msg(msg, msg_len, "%s: cannot write the .npy header: %s", w->file.tmp,
                      strerror(errno));
        return SMILE_EIO;
    }
    return SMILE_OK;
}

smile_status smile_npy_writer_open(smile_npy_writer *w, const char *path, size_t cols,
                                   long long resume_rows, char *msg, size_t msg_len) {
    SMILE_CHECK(!w, SMILE_EINVAL, msg, msg_len, "NULL writer");
    memset(w, 0, sizeof *w);
    SMILE_CHECK(cols == 0, SMILE_EINVAL, msg, msg_len, "%s: zero columns", path ? path : "");
    w->cols = cols;
    if (resume_rows < 0) {
        SMILE_TRY(smile_afile_open_partial(&w->file, path, -1, msg, msg_len));
        char h[SMILE_NPY_HEADER_BYTES];
        make_header(h, 0, cols);
        smile_status st = smile_afile_write(&w->file, h, sizeof h, msg, msg_len);
        if (st != SMILE_OK) smile_afile_abort(&w->file);
        return st;
    }
    long long keep = SMILE_NPY_HEADER_BYTES + resume_rows * (long long)(cols * sizeof(float));
    SMILE_TRY(smile_afile_open_partial(&w->file, path, keep, msg, msg_len));
    w->rows = (uint64_t)resume_rows;
    smile_status st = patch_header(w, msg, msg_len);
    if (st != SMILE_OK) smile_afile_close_keep(&w->file);
    return st;
}

smile_status smile_npy_writer_append(smile_npy_writer *w, const float *row, char *msg,
                                     size_t msg_len) {
    SMILE_TRY(smile_afile_write(&w->file, row, w->cols * sizeof(float), msg, msg_len));
    w->rows++;
    return SMILE_OK;
}

smile_status smile_npy_writer_sync(smile_npy_writer *w, char *msg, size_t msg_len) {
    SMILE_CHECK(!w || !w->file.fp, SMILE_EINVAL, msg, msg_len, "writer not open");
    SMILE_TRY(patch_header(w, msg, msg_len));
    return smile_afile_sync(&w->file, msg, msg_len);
}

smile_status smile_npy_writer_finish(smile_npy_writer *w, char *msg, size_t msg_len) {
    SMILE_CHECK(!w || !w->file.fp, SMILE_EINVAL, msg, msg_len, "writer not open");
    smile_status st = patch_header(w, msg, msg_len);
    if (st != SMILE_OK) {
        smile_afile_abort(&w->file);
        return st;
    }
    return smile_afile_commit(&w->file, msg, msg_len);
}

void smile_npy_writer_abort(smile_npy_writer *w) {
    if (w) smile_afile_abort(&w->file);
}

void smile_npy_writer_close_keep(smile_npy_writer *w) {
    if (!w || !w->file.fp) return;
    (void)patch_header(w, NULL, 0);
    smile_afile_close_keep(&w->file);
}

smile_status smile_npy_write(const char *path, const float *data, size_t rows, size_t cols,
                             char *msg, size_t msg_len) {
    SMILE_CHECK(cols == 0 || (rows && !data), SMILE_EINVAL, msg, msg_len, "%s: bad array",
                path ? path : "");
    smile_afile f;
    SMILE_TRY(smile_afile_open(&f, path, msg, msg_len));
    char h[SMILE_NPY_HEADER_BYTES];
    make_header(h, rows, cols);
    smile_status st = smile_afile_write(&f, h, sizeof h, msg, msg_len);
    if (st == SMILE_OK) st = smile_afile_write(&f, data, rows * cols * sizeof(float), msg, msg_len);
    if (st != SMILE_OK) {
        smile_afile_abort(&f);
        return st;
    }
    return smile_afile_commit(&f, msg, msg_len);
}

/* Value of key 'key' in the header dict: pointer just after "'key':" and spaces. */
static const char *dict_value(const char *dict, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "'%s':", key);
    const char *p = strstr(dict, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    return p;
}

static int parse_size(const char **p, uint64_t *v) {
    const char *s = *p;
    while (*s == ' ') s++;
    if (*s < '0' || *s > '9') return 0;
    uint64_t x = 0;
    while (*s >= '0' && *s <= '9') {
        if (x > (UINT64_MAX - 9) / 10) return 0;
        x = x * 10 + (uint64_t)(*s++ - '0');
    }
    *v = x;
    *p = s;
    return 1;
}

smile_status smile_npy_read_header(const char *path, size_t *rows, size_t *cols,
                                   size_t *data_offset, char *msg, size_t msg_len) {
    FILE *fp;
    SMILE_TRY(smile_open_input(path, &fp, msg, msg_len));
    unsigned char pre[12];
    size_t got = fread(pre, 1, sizeof pre, fp);
    smile_status st = SMILE_OK;
    char *dict = NULL;
    size_t hl = 0, off = 0;
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || (pre[6] != 1 && pre[6] != 2)) {
        smile_set_msg(msg, msg_len, "%s: not a .npy file", path);
        st = SMILE_EFORMAT;
    } else if (pre[6] == 1) {
        hl = (size_t)pre[8] | (size_t)pre[9] << 8;
        off = 10;
    } else if (got < 12) {
        smile_set_msg(msg, msg_len, "%s: truncated .npy header", path);
        st = SMILE_EFORMAT;
    } else {
        hl = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        off = 12;
    }
    if (st == SMILE_OK && hl > (1u << 20)) {
        smile_set_msg(msg, msg_len, "%s: implausible .npy header length %zu", path, hl);
        st = SMILE_EFORMAT;
    }
    if (st == SMILE_OK) {
        dict = malloc(hl + 1);
        if (!dict) {
            smile_set_msg(msg, msg_len, "out of memory");
            st = SMILE_ENOMEM;
        } else if (fseeko(fp, (off_t)off, SEEK_SET) != 0 || fread(dict, 1, hl, fp) != hl) {
            smile_set_msg(msg, msg_len, "%s: truncated .npy header", path);
            st = SMILE_EFORMAT;
        } else {
            dict[hl] = 0;
        }
    }
    struct stat sb;
    int have_size = fstat(fileno(fp), &sb) == 0;
    fclose(fp);
    if (st != SMILE_OK) {
        free(dict);
        return st;
    }
    const char *descr = dict_value(dict, "descr");
    const char *fo = dict_value(dict, "fortran_order");
    const char *sh = dict_value(dict, "shape");
    char want[8];
    snprintf(want, sizeof want, "'%cf4'", little_endian() ? '<' : '>');
    uint64_t r = 0, c = 1;
    int ok = descr && fo && sh && strncmp(descr, want, 5) == 0 && strncmp(fo, "False", 5) == 0 &&
             *sh == '(';
    if (ok) {
        const char *p = sh + 1;
        ok = parse_size(&p, &r);
        while (ok && *p == ' ') p++;
        if (ok && *p == ',') {
            p++;
            while (*p == ' ') p++;
            if (*p != ')') ok = parse_size(&p, &c);
            while (ok && (*p == ' ' || *p == ',')) p++;
        }
        ok = ok && *p == ')';
    }
    free(dict);
    SMILE_CHECK(!ok, SMILE_EFORMAT, msg, msg_len,
                "%s: expected a C-order little-endian float32 1-D or 2-D .npy array", path);
    size_t data_off = off + hl;
    size_t n_vals = 0, n_bytes = 0;
    SMILE_CHECK(c == 0 || smile_mul_size((size_t)r, (size_t)c, &n_vals) ||
                    smile_mul_size(n_vals, sizeof(float), &n_bytes) ||
                    n_bytes > UINT64_MAX - data_off,
                SMILE_EFORMAT, msg, msg_len, "%s: bad .npy shape", path);
    uint64_t want_size = (uint64_t)data_off + n_bytes;
    SMILE_CHECK(!have_size || (uint64_t)sb.st_size != want_size, SMILE_EFORMAT, msg, msg_len,
                "%s: file has %lld bytes, shape (%" PRIu64 ", %" PRIu64 ") needs %" PRIu64, path,
                have_size ? (long long)sb.st_size : -1LL, r, c, want_size);
    if (rows) *rows = (size_t)r;
    if (cols) *cols = (size_t)c;
    if (data_offset) *data_offset = data_off;
    return SMILE_OK;
}

smile_status smile_npy_read(const char *path, float **data, size_t *rows, size_t *cols,
                            char *msg, size_t msg_len) {
    SMILE_CHECK(!data, SMILE_EINVAL, msg, msg_len, "NULL argument");
    *data = NULL;
    size_t r, c, off;
    SMILE_TRY(smile_npy_read_header(path, &r, &c, &off, msg, msg_len));
    if (rows) *rows = r;
    if (cols) *cols = c;
    if (r == 0) return SMILE_OK;
    float *buf = smile_alloc_array(r * c, sizeof(float)); /* r c sizeof(float) checked above */
    SMILE_CHECK(!buf, SMILE_ENOMEM, msg, msg_len, "%s: out of memory for %zu x %zu floats", path,
                r, c);
    FILE *fp = NULL;
    if (smile_open_input(path, &fp, msg, msg_len) != SMILE_OK) {
        free(buf);
        return SMILE_EIO;
    }
    int ok = fp && fseeko(fp, (off_t)off, SEEK_SET) == 0 && fread(buf, sizeof(float), r * c, fp) == r * c;
    if (fp) fclose(fp);
    if (!ok) {
        free(buf);
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "%s: read error", path);
    }
    *data = buf;
    return SMILE_OK;
}
