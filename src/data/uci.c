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
 * (divisor N) — a constant column is only centred (our guard), a column whose
 * sums overflow double is standardised on v / max|v| (see column_stats), a
 * value that is not finite afterwards is an error naming its line and column,
 * and values more than 1e3 standard deviations out are listed in ds->warnings
 * (our additions) — then permute
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

/* Column j's name in messages: "column 3" or "column 9 (the target)". */
static const char *col_name(const table *t, size_t j, char *buf, size_t n) {
    snprintf(buf, n, "column %zu%s", j + 1, j + 1 == t->ncol ? " (the target)" : "");
    return buf;
}

/* Mean and population std of every column (full-file statistics). A
 * constant column is only centred, exactly on its value, so that rounding in
 * the mean cannot blow up as (v − m)/tiny (our guard; docs/experiments.md,
 * section 8). scale[j] = 0: the plain two-pass formula, kept whenever its mean
 * and std are finite and the std positive (every real data set: results stay
 * bit-identical); otherwise (sums or squares that overflow double, a spread that
 * underflows) the same two passes on v / max|v| (scale[j] = max|v|), with
 * mean/sd reported in original units. A column whose spread still cannot be
 * represented is an error naming it. */
static smile_status column_stats(const table *t, const char *file, double *mean, double *sd,
                                 double *scale, char *msg, size_t msg_len) {
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
        scale[j] = 0.0;
        if (constant) {
            mean[j] = val[j];
            sd[j] = 1.0;
            continue;
        }
        mean[j] = m;
        sd[j] = sqrt(v / (double)nrow);
        if (isfinite(m) && isfinite(sd[j]) && sd[j] > 0.0) continue;
        /* scaled two-pass: |v / c| <= 1, so neither sum can overflow */
        double c = 0.0, s1 = 0.0, s2 = 0.0;
        for (size_t i = 0; i < nrow; i++) c = fmax(c, fabs(val[i * ncol + j]));
        for (size_t i = 0; i < nrow; i++) s1 += val[i * ncol + j] / c;
        const double mu = s1 / (double)nrow;
        for (size_t i = 0; i < nrow; i++) {
            double d = val[i * ncol + j] / c - mu;
            s2 += d * d;
        }
        const double sd_c = sqrt(s2 / (double)nrow);
        scale[j] = c;
        mean[j] = mu * c;
        sd[j] = sd_c * c;
        char nm[48];
        SMILE_CHECK(!(sd_c > 0.0) || !(sd[j] > 0.0) || !isfinite(sd[j]) || !isfinite(mean[j]),
                    SMILE_EFORMAT, msg, msg_len,
                    "%s: %s cannot be standardised: the spread of its values (largest "
                    "magnitude %g) is not representable in double",
                    file, col_name(t, j, nm, sizeof nm), c);
    }
    return SMILE_OK;
}

/* Standardised value of column j: the plain formula, or the scaled one. */
static double standardise(double v, size_t j, const double *mean, const double *sd,
                          const double *scale) {
    if (scale[j] == 0.0) return (v - mean[j]) / sd[j];
    const double c = scale[j];
    return (v / c - mean[j] / c) / (sd[j] / c);
}

/* Outliers: |z| > UCI_OUTLIER standard deviations are kept, with a warning. */
#define UCI_OUTLIER 1e3
#define UCI_OUTLIER_LINES 5 /* file lines listed per column */

typedef struct {
    size_t count;
    size_t line[UCI_OUTLIER_LINES];
} outliers;

/* The warnings text of the outlier counts o[ncol] (NULL when there are none). */
static char *outlier_warnings(const table *t, const char *file, const outliers *o) {
    size_t cap = 0;
    for (size_t j = 0; j < t->ncol; j++)
        if (o[j].count) cap += strlen(file) + 200 + 24 * UCI_OUTLIER_LINES;
    if (!cap) return NULL;
    char *w = malloc(cap), nm[48];
    if (!w) return NULL;
    size_t k = 0;
    for (size_t j = 0; j < t->ncol; j++) {
        if (!o[j].count) continue;
        k += (size_t)snprintf(w + k, cap - k,
                              "%s: %s: %zu value%s more than %g standard deviations from the "
                              "mean (line%s",
                              file, col_name(t, j, nm, sizeof nm), o[j].count,
                              o[j].count > 1 ? "s" : "", UCI_OUTLIER, o[j].count > 1 ? "s" : "");
        size_t shown = o[j].count < UCI_OUTLIER_LINES ? o[j].count : UCI_OUTLIER_LINES;
        for (size_t r = 0; r < shown; r++)
            k += (size_t)snprintf(w + k, cap - k, "%s %zu", r ? "," : "", o[j].line[r]);
        k += (size_t)snprintf(w + k, cap - k, "%s)\n", o[j].count > shown ? ", ..." : "");
    }
    return w;
}

/* One standardised value of file line `line`: finite, or an error naming the
 * column; outliers are counted in o. */
static smile_status check_value(const table *t, const char *file, size_t j, size_t line,
                                float z, outliers *o, char *msg, size_t msg_len) {
    char nm[48];
    SMILE_CHECK(!isfinite(z), SMILE_EFORMAT, msg, msg_len,
                "%s:%zu: %s is not finite after standardisation", file, line,
                col_name(t, j, nm, sizeof nm));
    if (fabsf(z) > UCI_OUTLIER) {
        if (o[j].count < UCI_OUTLIER_LINES) o[j].line[o[j].count] = line;
        o[j].count++;
    }
    return SMILE_OK;
}

/* Standardised, permuted rows of t into ds (statistics mean/sd/scale [ncol]). */
static smile_status fill_dataset(smile_dataset *ds, const table *t, const char *file,
                                 const double *mean, const double *sd, const double *scale,
                                 uint64_t seed, char *msg, size_t msg_len) {
    const size_t nrow = t->nrow, ncol = t->ncol, p_feat = ncol - 1;
    ds->n = nrow;
    ds->feature_dim = p_feat;
    size_t n_x = 0;
    ds->x = smile_mul_size(nrow, p_feat, &n_x) ? NULL : smile_calloc(n_x, sizeof *ds->x);
    ds->y = smile_calloc(nrow, sizeof *ds->y);
    ds->orig_index = smile_alloc_array(nrow, sizeof *ds->orig_index);
    ds->x_mean = smile_alloc_array(p_feat, sizeof *ds->x_mean);
    ds->x_std = smile_alloc_array(p_feat, sizeof *ds->x_std);
    outliers *o = calloc(ncol, sizeof *o);
    if (!ds->x || !ds->y || !ds->orig_index || !ds->x_mean || !ds->x_std || !o) {
        free(o);
        smile_dataset_free(ds);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    memcpy(ds->x_mean, mean, p_feat * sizeof *mean);
    memcpy(ds->x_std, sd, p_feat * sizeof *sd);
    ds->y_mean = mean[p_feat];
    ds->y_std = sd[p_feat];
    /* permute with the run seed; the caller splits contiguously */
    data_split_permutation(ds->orig_index, nrow, seed);
    smile_status st = SMILE_OK;
    for (size_t r = 0; r < nrow && st == SMILE_OK; r++) {
        const double *row = t->val + (size_t)ds->orig_index[r] * ncol;
        const size_t line = t->first_line + ds->orig_index[r];
        for (size_t j = 0; j < p_feat && st == SMILE_OK; j++) {
            ds->x[r * p_feat + j] = (float)standardise(row[j], j, mean, sd, scale);
            st = check_value(t, file, j, line, ds->x[r * p_feat + j], o, msg, msg_len);
        }
        ds->y[r] = (float)standardise(row[p_feat], p_feat, mean, sd, scale);
        if (st == SMILE_OK) st = check_value(t, file, p_feat, line, ds->y[r], o, msg, msg_len);
    }
    if (st == SMILE_OK) ds->warnings = outlier_warnings(t, file, o);
    free(o);
    if (st != SMILE_OK) smile_dataset_free(ds);
    return st;
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
    double *mean = NULL, *sd = NULL, *scale = NULL;
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
        scale = calloc(t.ncol, sizeof *scale);
        if (!mean || !sd || !scale) {
            smile_set_msg(msg, msg_len, "out of memory");
            st = SMILE_ENOMEM;
        }
    }
    if (st == SMILE_OK) st = column_stats(&t, file, mean, sd, scale, msg, msg_len);
    if (st == SMILE_OK) st = data_begin(ds, SMILE_DATA_UCI, file, msg, msg_len);
    if (st == SMILE_OK) st = fill_dataset(ds, &t, file, mean, sd, scale, seed, msg, msg_len);
    if (st == SMILE_OK) data_set_splits(ds, ntr, ntr + nva, t.nrow);
    free(mean);
    free(sd);
    free(scale);
    free(t.val);
    free(text);
    return st;
}
