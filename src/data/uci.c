/* UCI regression tables (experiments.md §2.1–§2.2; data README §2.1).
 *
 * Format: one row per line, values separated by spaces (tabs and runs of
 * blanks are tolerated), no header, target = last column, every row with the
 * same number of values. Parsed as double; anything else is an error that
 * names the file and the 1-based line.
 *
 * Preprocessing [ref]: standardise every column (features and target) with
 * the whole file's mean and population std (divisor N) — a constant column is
 * only centred [proj] — then permute the rows with the run seed and split
 * contiguously n_tr = ⌊0.7N⌋, n_tr+va = ⌊(0.7 + 0.1)N⌋ in IEEE double. */
#include "data/data_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define UCI_F_TRAIN 0.7
#define UCI_F_VALID 0.1

/* Whole file into a NUL-terminated buffer. */
static smile_status read_all(const char *path, char **out, size_t *len, char *msg,
                             size_t msg_len) {
    FILE *f = fopen(path, "rb");
    SMILE_CHECK(!f, SMILE_EIO, msg, msg_len, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "%s: read error", path);
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return SMILE_OK;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* Parses one token [s, e) into *v. Returns 0 on success, else writes why. */
static int parse_token(const char *s, const char *e, double *v, char *why, size_t why_len) {
    char tok[64];
    size_t n = (size_t)(e - s);
    int shown = n < 40 ? (int)n : 40;
    /* strtod needs a terminated copy; tokens longer than 63 chars are not
     * numbers any sane table holds, but parse them via a heap copy anyway. */
    char *heap = NULL, *t = tok;
    if (n >= sizeof tok) {
        heap = malloc(n + 1);
        if (!heap) {
            snprintf(why, why_len, "out of memory");
            return -1;
        }
        t = heap;
    }
    memcpy(t, s, n);
    t[n] = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == 'x' || c == 'X' || c == 'p' || c == 'P' || c < 32 || c > 126) bad = 1;
    }
    char *end = NULL;
    errno = 0;
    double x = bad ? 0.0 : strtod(t, &end);
    if (bad || end != t + n || n == 0) {
        snprintf(why, why_len, "non-numeric token '%.*s%s'", shown, s, n > 40 ? "..." : "");
        free(heap);
        return -1;
    }
    if (!isfinite(x)) {
        int digits = 0;
        for (size_t i = 0; i < n; i++) digits |= isdigit((unsigned char)t[i]) != 0;
        if (digits)
            snprintf(why, why_len, "value '%.*s%s' is out of double range", shown, s,
                     n > 40 ? "..." : "");
        else
            snprintf(why, why_len, "non-finite value '%.*s' (NaN/Inf not allowed)", shown, s);
        free(heap);
        return -1;
    }
    free(heap);
    *v = x;
    return 0;
}

smile_status smile_dataset_load_uci(smile_dataset *ds, const char *file, uint64_t seed,
                                    char *msg, size_t msg_len) {
    SMILE_CHECK(!ds || !file, SMILE_EINVAL, msg, msg_len, "load_uci: NULL argument");
    memset(ds, 0, sizeof *ds);
    char *text = NULL;
    size_t len = 0;
    SMILE_TRY(read_all(file, &text, &len, msg, msg_len));

    smile_status st = SMILE_OK;
    double *val = NULL;
    size_t cap = 0, nval = 0, ncol = 0, nrow = 0;
    size_t line_no = 0, first_line = 0, blank_line = 0;
    const char *p = text, *end = text + len;
    char why[160];

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        line_no++;
        /* tokens of [p, eol) */
        size_t k = 0;
        const char *q = p;
        for (;;) {
            while (q < eol && is_blank(*q)) q++;
            if (q >= eol) break;
            const char *s = q;
            while (q < eol && !is_blank(*q)) q++;
            if (k == 0 && blank_line) {
                smile_set_msg(msg, msg_len, "%s:%zu: empty line inside the table", file,
                              blank_line);
                st = SMILE_EFORMAT;
                goto done;
            }
            double v;
            if (parse_token(s, q, &v, why, sizeof why)) {
                smile_set_msg(msg, msg_len, "%s:%zu: %s (column %zu)", file, line_no, why, k + 1);
                st = SMILE_EFORMAT;
                goto done;
            }
            if (ncol && k >= ncol) {
                smile_set_msg(msg, msg_len,
                              "%s:%zu: long row: more than %zu values (line %zu has %zu)", file,
                              line_no, ncol, first_line, ncol);
                st = SMILE_EFORMAT;
                goto done;
            }
            if (nval == cap) {
                size_t nc = cap ? 2 * cap : 4096;
                double *nv = realloc(val, nc * sizeof *val);
                if (!nv) {
                    smile_set_msg(msg, msg_len, "out of memory");
                    st = SMILE_ENOMEM;
                    goto done;
                }
                val = nv;
                cap = nc;
            }
            val[nval++] = v;
            k++;
        }
        if (k == 0) {
            if (!blank_line) blank_line = line_no; /* allowed only at the end */
        } else if (!ncol) {
            ncol = k;
            first_line = line_no;
            if (ncol < 2) {
                smile_set_msg(msg, msg_len,
                              "%s:%zu: row has 1 value; need at least one feature and the "
                              "target",
                              file, line_no);
                st = SMILE_EFORMAT;
                goto done;
            }
            nrow = 1;
        } else if (k < ncol) {
            smile_set_msg(msg, msg_len, "%s:%zu: short row: %zu values, expected %zu (as line %zu)",
                          file, line_no, k, ncol, first_line);
            st = SMILE_EFORMAT;
            goto done;
        } else {
            nrow++;
        }
        p = eol + 1;
    }
    if (nrow == 0) {
        smile_set_msg(msg, msg_len, "%s: empty file (no data rows)", file);
        st = SMILE_EFORMAT;
        goto done;
    }
    size_t ntr, nva, nte;
    smile_split_sizes(nrow, UCI_F_TRAIN, UCI_F_VALID, &ntr, &nva, &nte);
    if (ntr == 0 || nva == 0 || nte == 0 || nrow > UINT32_MAX) {
        smile_set_msg(msg, msg_len,
                      "%s: %zu rows are too few: the 70/10/20 split gives train %zu, valid %zu, "
                      "test %zu; every split needs at least one row",
                      file, nrow, ntr, nva, nte);
        st = SMILE_EFORMAT;
        goto done;
    }

    /* ---- standardise every column with full-file statistics ---- */
    size_t p_feat = ncol - 1;
    double *mean = calloc(ncol, sizeof *mean), *sd = calloc(ncol, sizeof *sd);
    ds->task = SMILE_DATA_UCI;
    if (!mean || !sd) {
        free(mean);
        free(sd);
        smile_set_msg(msg, msg_len, "out of memory");
        st = SMILE_ENOMEM;
        goto done;
    }
    for (size_t j = 0; j < ncol; j++) {
        double s = 0.0;
        int constant = 1;
        for (size_t i = 0; i < nrow; i++) {
            s += val[i * ncol + j];
            constant &= val[i * ncol + j] == val[j];
        }
        double m = s / (double)nrow, v = 0.0;
        for (size_t i = 0; i < nrow; i++) {
            double d = val[i * ncol + j] - m;
            v += d * d;
        }
        /* [proj] guard: a constant column is only centred (exactly, on its
         * value, so rounding in the mean cannot blow up as (v−m)/tiny). */
        if (constant) {
            mean[j] = val[j];
            sd[j] = 1.0;
        } else {
            mean[j] = m;
            sd[j] = sqrt(v / (double)nrow);
            if (!(sd[j] > 0.0)) sd[j] = 1.0;
        }
    }

    st = data_begin(ds, SMILE_DATA_UCI, file, msg, msg_len);
    if (st != SMILE_OK) {
        free(mean);
        free(sd);
        goto done;
    }
    ds->n = nrow;
    ds->feature_dim = p_feat;
    ds->x = smile_calloc(nrow * p_feat, sizeof *ds->x);
    ds->y = smile_calloc(nrow, sizeof *ds->y);
    ds->orig_index = malloc(nrow * sizeof *ds->orig_index);
    ds->x_mean = malloc(p_feat * sizeof *ds->x_mean);
    ds->x_std = malloc(p_feat * sizeof *ds->x_std);
    if (!ds->x || !ds->y || !ds->orig_index || !ds->x_mean || !ds->x_std) {
        free(mean);
        free(sd);
        smile_dataset_free(ds);
        smile_set_msg(msg, msg_len, "out of memory");
        st = SMILE_ENOMEM;
        goto done;
    }
    memcpy(ds->x_mean, mean, p_feat * sizeof *mean);
    memcpy(ds->x_std, sd, p_feat * sizeof *sd);
    ds->y_mean = mean[p_feat];
    ds->y_std = sd[p_feat];

    /* ---- permute with the run seed, split contiguously ---- */
    data_split_permutation(ds->orig_index, nrow, seed);
    for (size_t r = 0; r < nrow; r++) {
        const double *row = val + (size_t)ds->orig_index[r] * ncol;
        for (size_t j = 0; j < p_feat; j++)
            ds->x[r * p_feat + j] = (float)((row[j] - mean[j]) / sd[j]);
        ds->y[r] = (float)((row[p_feat] - mean[p_feat]) / sd[p_feat]);
    }
    free(mean);
    free(sd);
    data_set_splits(ds, ntr, ntr + nva, nrow);

done:
    free(val);
    free(text);
    return st;
}
