/* UCI regression tables (docs/experiments.md, section 2.1; the data folder's
 * README.md, section 2.1).
 *
 * Format: one row per line, values separated by spaces (tabs and runs of
 * blanks are tolerated), no header, target = last column, every row with the
 * same number of values. Parsed as double; anything else is an error that
 * names the file and the 1-based line.
 *
 * Preprocessing, as the reference implementation does: standardise every
 * column (features and target) with the whole file's mean and population std
 * (divisor N) — a constant column is only centred (our guard) — then permute
 * the rows with the run seed and split contiguously n_tr = ⌊0.7N⌋, n_tr+va = ⌊(0.7 + 0.1)N⌋ in IEEE double. */
#include "data/data_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define UCI_F_TRAIN 0.7
#define UCI_F_VALID 0.1

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

/* The numbers of a table: val[nrow × ncol], row-major. */
typedef struct {
    double *val;
    size_t cap, nval, ncol, nrow;
    size_t first_line; /* line of the first row (for messages)        */
} table;

static smile_status table_push(table *t, double v, char *msg, size_t msg_len) {
    if (t->nval == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 4096;
        double *nv = realloc(t->val, nc * sizeof *nv);
        SMILE_CHECK(!nv, SMILE_ENOMEM, msg, msg_len, "out of memory");
        t->val = nv;
        t->cap = nc;
    }
    t->val[t->nval++] = v;
    return SMILE_OK;
}

/* Appends the values of line line_no [p, eol) to t; *k = their count.
 * blank_line: line number of an earlier empty line (0 = none). */
static smile_status parse_line(table *t, const char *p, const char *eol, size_t line_no,
                               size_t blank_line, const char *file, size_t *k, char *msg,
                               size_t msg_len) {
    char why[160];
    const char *q = p;
    *k = 0;
    for (;;) {
        while (q < eol && is_blank(*q)) q++;
        if (q >= eol) break;
        const char *s = q;
        while (q < eol && !is_blank(*q)) q++;
        SMILE_CHECK(*k == 0 && blank_line, SMILE_EFORMAT, msg, msg_len,
                    "%s:%zu: empty line inside the table", file, blank_line);
        double v;
        SMILE_CHECK(parse_token(s, q, &v, why, sizeof why), SMILE_EFORMAT, msg, msg_len,
                    "%s:%zu: %s (column %zu)", file, line_no, why, *k + 1);
        SMILE_CHECK(t->ncol && *k >= t->ncol, SMILE_EFORMAT, msg, msg_len,
                    "%s:%zu: long row: more than %zu values (line %zu has %zu)", file, line_no,
                    t->ncol, t->first_line, t->ncol);
        SMILE_TRY(table_push(t, v, msg, msg_len));
        (*k)++;
    }
    return SMILE_OK;
}

/* Parses the whole text into t: equal-length rows of ≥ 2 numbers, empty
 * lines only at the end. */
static smile_status parse_table(table *t, const char *text, size_t len, const char *file,
                                char *msg, size_t msg_len) {
    size_t line_no = 0, blank_line = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        line_no++;
        size_t k;
        SMILE_TRY(parse_line(t, p, eol, line_no, blank_line, file, &k, msg, msg_len));
        if (k == 0) {
            if (!blank_line) blank_line = line_no; /* allowed only at the end */
        } else if (!t->ncol) {
            t->ncol = k;
            t->first_line = line_no;
            SMILE_CHECK(k < 2, SMILE_EFORMAT, msg, msg_len,
                        "%s:%zu: row has 1 value; need at least one feature and the target",
                        file, line_no);
            t->nrow = 1;
        } else {
            SMILE_CHECK(k < t->ncol, SMILE_EFORMAT, msg, msg_len,
                        "%s:%zu: short row: %zu values, expected %zu (as line %zu)", file,
                        line_no, k, t->ncol, t->first_line);
            t->nrow++;
        }
        p = eol + 1;
    }
    SMILE_CHECK(t->nrow == 0, SMILE_EFORMAT, msg, msg_len, "%s: empty file (no data rows)", file);
    return SMILE_OK;
}

/* Mean and population std of every column (full-file statistics). A
 * constant column is only centred, exactly on its value, so that rounding in
 * the mean cannot blow up as (v − m)/tiny (our guard; docs/experiments.md,
 * section 8). */
static void column_stats(const table *t, double *mean, double *sd) {
    const size_t ncol = t->ncol, nrow = t->nrow;
    const double *val = t->val;
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
        if (constant) {
            mean[j] = val[j];
            sd[j] = 1.0;
        } else {
            mean[j] = m;
            sd[j] = sqrt(v / (double)nrow);
            if (!(sd[j] > 0.0)) sd[j] = 1.0;
        }
    }
}

/* Standardised, permuted rows of t into ds (statistics mean/sd [ncol]). */
static smile_status fill_dataset(smile_dataset *ds, const table *t, const double *mean,
                                 const double *sd, uint64_t seed, char *msg, size_t msg_len) {
    const size_t nrow = t->nrow, ncol = t->ncol, p_feat = ncol - 1;
    ds->n = nrow;
    ds->feature_dim = p_feat;
    ds->x = smile_calloc(nrow * p_feat, sizeof *ds->x);
    ds->y = smile_calloc(nrow, sizeof *ds->y);
    ds->orig_index = malloc(nrow * sizeof *ds->orig_index);
    ds->x_mean = malloc(p_feat * sizeof *ds->x_mean);
    ds->x_std = malloc(p_feat * sizeof *ds->x_std);
    if (!ds->x || !ds->y || !ds->orig_index || !ds->x_mean || !ds->x_std) {
        smile_dataset_free(ds);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    memcpy(ds->x_mean, mean, p_feat * sizeof *mean);
    memcpy(ds->x_std, sd, p_feat * sizeof *sd);
    ds->y_mean = mean[p_feat];
    ds->y_std = sd[p_feat];
    /* permute with the run seed; the caller splits contiguously */
    data_split_permutation(ds->orig_index, nrow, seed);
    for (size_t r = 0; r < nrow; r++) {
        const double *row = t->val + (size_t)ds->orig_index[r] * ncol;
        for (size_t j = 0; j < p_feat; j++)
            ds->x[r * p_feat + j] = (float)((row[j] - mean[j]) / sd[j]);
        ds->y[r] = (float)((row[p_feat] - mean[p_feat]) / sd[p_feat]);
    }
    return SMILE_OK;
}

smile_status smile_dataset_load_uci(smile_dataset *ds, const char *file, uint64_t seed,
                                    char *msg, size_t msg_len) {
    SMILE_CHECK(!ds || !file, SMILE_EINVAL, msg, msg_len, "load_uci: NULL argument");
    memset(ds, 0, sizeof *ds);
    char *text = NULL;
    size_t len = 0;
    SMILE_TRY(smile_read_file(file, &text, &len, msg, msg_len));
    table t;
    memset(&t, 0, sizeof t);
    double *mean = NULL, *sd = NULL;
    size_t ntr = 0, nva = 0, nte = 0;
    smile_status st = parse_table(&t, text, len, file, msg, msg_len);
    if (st == SMILE_OK) {
        smile_split_sizes(t.nrow, UCI_F_TRAIN, UCI_F_VALID, &ntr, &nva, &nte);
        if (ntr == 0 || nva == 0 || nte == 0 || t.nrow > UINT32_MAX) {
            smile_set_msg(msg, msg_len,
                          "%s: %zu rows are too few: the 70/10/20 split gives train %zu, valid "
                          "%zu, test %zu; every split needs at least one row",
                          file, t.nrow, ntr, nva, nte);
            st = SMILE_EFORMAT;
        }
    }
    if (st == SMILE_OK) {
        ds->task = SMILE_DATA_UCI;
        mean = calloc(t.ncol, sizeof *mean);
        sd = calloc(t.ncol, sizeof *sd);
        if (!mean || !sd) {
            smile_set_msg(msg, msg_len, "out of memory");
            st = SMILE_ENOMEM;
        }
    }
    if (st == SMILE_OK) {
        column_stats(&t, mean, sd);
        st = data_begin(ds, SMILE_DATA_UCI, file, msg, msg_len);
    }
    if (st == SMILE_OK) st = fill_dataset(ds, &t, mean, sd, seed, msg, msg_len);
    if (st == SMILE_OK) data_set_splits(ds, ntr, ntr + nva, t.nrow);
    free(mean);
    free(sd);
    free(t.val);
    free(text);
    return st;
}
