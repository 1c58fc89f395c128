/* Encoding tables for a model: which columns, numeric or categorical,
 * regression or classification, scaling (see table.h). */
#include "data/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

static char *dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Numeric order when both parse, else string order (numbers first). */
static int cmp_label(const void *a, const void *b) {
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    double u, v;
    int nu = smile_table_cell_number(x, &u) == 0, nv = smile_table_cell_number(y, &v) == 0;
    if (nu && nv) return (u > v) - (u < v);
    if (nu != nv) return nu ? -1 : 1;
    return strcmp(x, y);
}

/* Sorted distinct non-missing values of column j (over rows not dropped). */
static smile_status distinct(const smile_table *t, long j, const unsigned char *skip,
                             int (*cmp)(const void *, const void *), char ***out, size_t *n_out,
                             char *msg, size_t msg_len) {
    char **v = malloc((t->n_rows ? t->n_rows : 1) * sizeof *v);
    SMILE_CHECK(!v, SMILE_ENOMEM, msg, msg_len, "out of memory");
    size_t n = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *c = t->cells[r * t->n_cols + (size_t)j];
        if ((skip && skip[r]) || smile_table_cell_missing(c)) continue;
        v[n++] = (char *)c;
    }
    qsort(v, n, sizeof *v, cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || cmp(&v[k - 1], &v[i]) != 0) v[k++] = v[i];
    char **cats = calloc(k ? k : 1, sizeof *cats);
    for (size_t i = 0; cats && i < k; i++)
        if (!(cats[i] = dup(v[i]))) {
            for (size_t q = 0; q < i; q++) free(cats[q]);
            free(cats);
            cats = NULL;
        }
    free(v);
    SMILE_CHECK(!cats, SMILE_ENOMEM, msg, msg_len, "out of memory");
    *out = cats;
    *n_out = k;
    return SMILE_OK;
}

/* Parses "a,b,3" into column indices of t (malloc'ed). */
static smile_status parse_list(const smile_table *t, const char *list, const char *opt,
                               long **out, size_t *n_out, char *msg, size_t msg_len) {
    size_t cap = 1;
    for (const char *p = list; *p; p++) cap += *p == ',';
    long *idx = malloc(cap * sizeof *idx);
    char *buf = dup(list);
    if (!idx || !buf) {
        free(idx);
        free(buf);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    size_t n = 0;
    smile_status st = SMILE_OK;
    for (char *tok = buf, *next; tok && st == SMILE_OK; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = 0;
        while (*tok == ' ') tok++;
        long j = *tok ? smile_table_column(t, tok) : -1;
        if (j < 0) {
            smile_set_msg(msg, msg_len, "%s: %s: no column '%s' (columns: %s%s)", opt, t->path,
                          tok, t->n_cols ? t->names[0] : "",
                          t->n_cols > 1 ? ", …; numbers count from 1" : "");
            st = SMILE_EINVAL;
        } else {
            idx[n++] = j;
        }
    }
    free(buf);
    if (st != SMILE_OK) {
        free(idx);
        return st;
    }
    *out = idx;
    *n_out = n;
    return SMILE_OK;
}

static int row_has_missing(const smile_table *t, size_t r, const smile_table_schema *s,
                           int with_target) {
    const char *const *row = (const char *const *)t->cells + r * t->n_cols;
    for (size_t i = 0; i < s->n_features; i++)
        if (smile_table_cell_missing(row[s->features[i].src])) return 1;
    return with_target && smile_table_cell_missing(row[s->target_src]);
}

void smile_table_schema_free(smile_table_schema *s) {
    if (!s) return;
    for (size_t i = 0; s->features && i < s->n_features; i++) {
        free(s->features[i].name);
        for (size_t k = 0; k < s->features[i].n_categories; k++)
            free(s->features[i].categories[k]);
        free(s->features[i].categories);
    }
    free(s->features);
    for (size_t k = 0; k < s->n_classes; k++) free(s->classes[k]);
    free(s->classes);
    free(s->target);
    memset(s, 0, sizeof *s);
}

/* ---- building ------------------------------------------------------------- */

static smile_status pick_columns(smile_table_schema *s, const smile_table *t,
                                 const smile_table_select *sel, long **feat, size_t *nf,
                                 char *msg, size_t msg_len) {
    long target = (long)t->n_cols - 1;
    if (sel->target) {
        target = smile_table_column(t, sel->target);
        SMILE_CHECK(target < 0, SMILE_EINVAL, msg, msg_len,
                    "--target: %s has no column '%s' (give a header name or a column number "
                    "from 1 to %zu)",
                    t->path, sel->target, t->n_cols);
    }
    SMILE_CHECK(sel->features && sel->drop, SMILE_EINVAL, msg, msg_len,
                "--features and --drop exclude each other");
    s->target_src = target;
    if (sel->features) {
        SMILE_TRY(parse_list(t, sel->features, "--features", feat, nf, msg, msg_len));
        for (size_t i = 0; i < *nf; i++)
            if ((*feat)[i] == target) {
                free(*feat);
                SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len,
                            "--features: '%s' is the target column", t->names[target]);
            }
        return SMILE_OK;
    }
    long *drop = NULL;
    size_t nd = 0;
    if (sel->drop) SMILE_TRY(parse_list(t, sel->drop, "--drop", &drop, &nd, msg, msg_len));
    long *f = malloc(t->n_cols * sizeof *f);
    if (!f) {
        free(drop);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    size_t n = 0;
    for (size_t j = 0; j < t->n_cols; j++) {
        int dropped = (long)j == target;
        for (size_t k = 0; k < nd; k++) dropped |= drop[k] == (long)j;
        if (!dropped) f[n++] = (long)j;
    }
    free(drop);
    *feat = f;
    *nf = n;
    return SMILE_OK;
}

/* Kind and categories of one input column. */
static smile_status describe_feature(smile_table_feature *f, const smile_table *t, long j,
                                     const unsigned char *skip, char *msg, size_t msg_len) {
    f->src = j;
    f->sd = 1.0;
    f->name = dup(t->names[j]);
    SMILE_CHECK(!f->name, SMILE_ENOMEM, msg, msg_len, "out of memory");
    int numeric = 1, seen = 0;
    for (size_t r = 0; r < t->n_rows && numeric; r++) {
        const char *c = t->cells[r * t->n_cols + (size_t)j];
        if ((skip && skip[r]) || smile_table_cell_missing(c)) continue;
        double v;
        seen = 1;
        numeric = smile_table_cell_number(c, &v) == 0;
    }
    SMILE_CHECK(!seen, SMILE_EFORMAT, msg, msg_len, "%s: column '%s' has no values", t->path,
                t->names[j]);
    f->kind = numeric ? SMILE_COLUMN_NUMERIC : SMILE_COLUMN_CATEGORICAL;
    if (!numeric)
        SMILE_TRY(distinct(t, j, skip, cmp_str, &f->categories, &f->n_categories, msg, msg_len));
    return SMILE_OK;
}

static smile_status describe_target(smile_table_schema *s, const smile_table *t,
                                    smile_table_task task, const unsigned char *skip, char *msg,
                                    size_t msg_len) {
    const long j = s->target_src;
    s->target = dup(t->names[j]);
    SMILE_CHECK(!s->target, SMILE_ENOMEM, msg, msg_len, "out of memory");
    s->y_sd = 1.0;
    size_t first_text = SIZE_MAX, seen = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *c = t->cells[r * t->n_cols + (size_t)j];
        if ((skip && skip[r]) || smile_table_cell_missing(c)) continue;
        double v;
        seen++;
        if (first_text == SIZE_MAX && smile_table_cell_number(c, &v) != 0) first_text = r;
    }
    SMILE_CHECK(!seen, SMILE_EFORMAT, msg, msg_len, "%s: target column '%s' has no values",
                t->path, t->names[j]);
    if (task == SMILE_TABLE_TASK_REGRESS)
        SMILE_CHECK(first_text != SIZE_MAX, SMILE_EFORMAT, msg, msg_len,
                    "%s: line %zu, column '%s': '%s' is not a number (regression needs a "
                    "numeric target; leave out --task regress to classify)",
                    t->path, t->line[first_text], t->names[j],
                    t->cells[first_text * t->n_cols + (size_t)j]);
    s->classify = task == SMILE_TABLE_TASK_CLASSIFY || first_text != SIZE_MAX;
    if (!s->classify) return SMILE_OK;
    SMILE_TRY(distinct(t, j, skip, cmp_label, &s->classes, &s->n_classes, msg, msg_len));
    SMILE_CHECK(s->n_classes < 2, SMILE_EFORMAT, msg, msg_len,
                "%s: target column '%s' has only one class ('%s'): nothing to classify",
                t->path, t->names[j], s->classes[0]);
    return SMILE_OK;
}

smile_status smile_table_schema_build(smile_table_schema *s, const smile_table *t,
                                      const smile_table_select *sel, char *msg, size_t msg_len) {
    SMILE_CHECK(!s || !t || !sel, SMILE_EINVAL, msg, msg_len, "table schema: NULL argument");
    memset(s, 0, sizeof *s);
    s->n_src_cols = t->n_cols;
    s->drop_missing = sel->drop_missing;
    long *feat = NULL;
    size_t nf = 0;
    SMILE_TRY(pick_columns(s, t, sel, &feat, &nf, msg, msg_len));
    if (nf == 0) free(feat);
    SMILE_CHECK(nf == 0, SMILE_EINVAL, msg, msg_len,
                "%s: no input columns left besides the target '%s'", t->path,
                t->names[s->target_src]);
    s->features = calloc(nf, sizeof *s->features);
    unsigned char *skip = calloc(t->n_rows ? t->n_rows : 1, 1);
    smile_status st = s->features && skip ? SMILE_OK : SMILE_ENOMEM;
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "out of memory");
    s->n_features = st == SMILE_OK ? nf : 0;
    for (size_t i = 0; st == SMILE_OK && i < nf; i++) s->features[i].src = feat[i];
    /* rows that will be dropped do not define categories or classes */
    for (size_t r = 0; st == SMILE_OK && s->drop_missing && r < t->n_rows; r++)
        skip[r] = (unsigned char)row_has_missing(t, r, s, 1);
    for (size_t i = 0; st == SMILE_OK && i < nf; i++)
        st = describe_feature(&s->features[i], t, feat[i], skip, msg, msg_len);
    if (st == SMILE_OK) st = describe_target(s, t, sel->task, skip, msg, msg_len);
    size_t off = 0;
    for (size_t i = 0; st == SMILE_OK && i < nf; i++) {
        s->features[i].offset = off;
        off += s->features[i].kind == SMILE_COLUMN_NUMERIC ? 1 : s->features[i].n_categories;
    }
    s->n_encoded = off;
    free(feat);
    free(skip);
    if (st != SMILE_OK) smile_table_schema_free(s);
    return st;
}

/* ---- applying -------------------------------------------------------------- */

long smile_table_schema_match(const smile_table_schema *s, const smile_table *t, long src,
                              const char *name) {
    if (t->has_header && name) {
        for (size_t j = 0; j < t->n_cols; j++)
            if (!strcmp(t->names[j], name)) return (long)j;
        /* a header whose names are the generated ones also matches by position */
        if (strncmp(name, "col", 3) != 0) return -1;
    }
    if (t->n_cols == s->n_src_cols) return src;
    if (t->n_cols + 1 == s->n_src_cols) {
        if (src == s->target_src) return -1;
        return src > s->target_src ? src - 1 : src;
    }
    return -1;
}

/* Scaled two-pass mean and population sd of the parsed values. */
static smile_status column_scaling(const smile_table *t, long j, const unsigned char *skip,
                                   double *mean, double *sd, char *msg, size_t msg_len) {
    double m = 0;
    size_t n = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        double v;
        if (skip[r] || smile_table_cell_number(t->cells[r * t->n_cols + (size_t)j], &v)) continue;
        m = fmax(m, fabs(v));
        n++;
    }
    *mean = 0;
    *sd = 1;
    if (n == 0 || m == 0) return SMILE_OK;
    double s1 = 0, s2 = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        double v;
        if (skip[r] || smile_table_cell_number(t->cells[r * t->n_cols + (size_t)j], &v)) continue;
        s1 += v / m;
    }
    const double mu = s1 / (double)n;
    for (size_t r = 0; r < t->n_rows; r++) {
        double v;
        if (skip[r] || smile_table_cell_number(t->cells[r * t->n_cols + (size_t)j], &v)) continue;
        s2 += (v / m - mu) * (v / m - mu);
    }
    *mean = mu * m;
    double s = sqrt(s2 / (double)n) * m;
    SMILE_CHECK(!isfinite(s), SMILE_EFORMAT, msg, msg_len,
                "%s: column '%s': the spread of its values overflows", t->path, t->names[j]);
    *sd = s > 0 ? s : 1.0;
    return SMILE_OK;
}

smile_status smile_table_schema_fit_scaling(smile_table_schema *s, const smile_table *t,
                                            const size_t *rows, size_t n, char *msg,
                                            size_t msg_len) {
    unsigned char *skip = malloc(t->n_rows ? t->n_rows : 1);
    SMILE_CHECK(!skip, SMILE_ENOMEM, msg, msg_len, "out of memory");
    memset(skip, rows ? 1 : 0, t->n_rows);
    for (size_t i = 0; rows && i < n; i++) skip[rows[i]] = 0;
    for (size_t r = 0; s->drop_missing && r < t->n_rows; r++)
        skip[r] |= (unsigned char)row_has_missing(t, r, s, 1);
    smile_status st = SMILE_OK;
    for (size_t i = 0; st == SMILE_OK && i < s->n_features; i++) {
        smile_table_feature *f = &s->features[i];
        if (f->kind == SMILE_COLUMN_NUMERIC)
            st = column_scaling(t, f->src, skip, &f->mean, &f->sd, msg, msg_len);
    }
    if (st == SMILE_OK && !s->classify)
        st = column_scaling(t, s->target_src, skip, &s->y_mean, &s->y_sd, msg, msg_len);
    free(skip);
    return st;
}

static smile_status bad_cell(const smile_table *t, size_t r, long j, const char *what,
                             char *msg, size_t msg_len) {
    smile_set_msg(msg, msg_len, "%s: line %zu, column '%s': %s", t->path, t->line[r],
                  t->names[j], what);
    return SMILE_EFORMAT;
}

static long find_sorted(char *const *v, size_t n, const char *c, int by_label) {
    for (size_t k = 0; k < n; k++)
        if (by_label ? cmp_label(&v[k], &c) == 0 : !strcmp(v[k], c)) return (long)k;
    return -1;
}

static smile_status unseen(const smile_table *t, size_t r, long j, const char *c,
                           char *const *known, size_t n, const char *what, char *msg,
                           size_t msg_len) {
    char list[200] = "";
    size_t len = 0, k = 0;
    for (; k < n && len + strlen(known[k]) + 3 < sizeof list; k++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", known[k]);
    if (k < n) snprintf(list + len, sizeof list - len, " and %zu more", n - k);
    smile_set_msg(msg, msg_len, "%s: line %zu, column '%s': %s '%s' was not seen in training "
                                "(known: %s)",
                  t->path, t->line[r], t->names[j], what, c, list);
    return SMILE_EFORMAT;
}

/* One row into x[n_encoded]. */
static smile_status encode_inputs(const smile_table_schema *s, const smile_table *t,
                                  const long *cols, size_t r, float *x, char *msg,
                                  size_t msg_len) {
    const char *const *row = (const char *const *)t->cells + r * t->n_cols;
    for (size_t i = 0; i < s->n_features; i++) {
        const smile_table_feature *f = &s->features[i];
        const char *c = row[cols[i]];
        if (f->kind == SMILE_COLUMN_NUMERIC) {
            double v;
            if (smile_table_cell_number(c, &v))
                return bad_cell(t, r, cols[i], "not a number in a numeric column", msg,
                                msg_len);
            double z = (v - f->mean) / f->sd;
            if (!(fabs(z) <= 3.0e38))
                return bad_cell(t, r, cols[i], "value out of range after scaling", msg,
                                msg_len);
            if (x) x[f->offset] = (float)z;
        } else {
            long k = find_sorted(f->categories, f->n_categories, c, 0);
            if (k < 0)
                return unseen(t, r, cols[i], c, f->categories, f->n_categories, "category",
                              msg, msg_len);
            if (x) {
                for (size_t q = 0; q < f->n_categories; q++) x[f->offset + q] = 0.0f;
                x[f->offset + (size_t)k] = 1.0f;
            }
        }
    }
    return SMILE_OK;
}

static smile_status encode_target(const smile_table_schema *s, const smile_table *t, long tj,
                                  size_t r, float *y, int32_t *label, char *msg,
                                  size_t msg_len) {
    const char *c = t->cells[r * t->n_cols + (size_t)tj];
    if (s->classify) {
        long k = find_sorted(s->classes, s->n_classes, c, 1);
        if (k < 0) return unseen(t, r, tj, c, s->classes, s->n_classes, "class", msg, msg_len);
        if (label) *label = (int32_t)k;
        return SMILE_OK;
    }
    double v;
    if (smile_table_cell_number(c, &v))
        return bad_cell(t, r, tj, "the target is not a number", msg, msg_len);
    double z = (v - s->y_mean) / s->y_sd;
    if (!(fabs(z) <= 3.0e38))
        return bad_cell(t, r, tj, "target out of range after scaling", msg, msg_len);
    if (y) *y = (float)z;
    return SMILE_OK;
}

/* Columns of t for the schema's features and target (tj = -1: absent). */
static smile_status match_columns(const smile_table_schema *s, const smile_table *t, long *cols,
                                  long *tj, char *msg, size_t msg_len) {
    for (size_t i = 0; i < s->n_features; i++) {
        cols[i] = smile_table_schema_match(s, t, s->features[i].src, s->features[i].name);
        if (cols[i] >= 0) continue;
        if (t->has_header)
            SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len, "%s: no column '%s' (an input of the model)",
                        t->path, s->features[i].name);
        SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len,
                    "%s: %zu columns and no header: expected %zu (inputs and target, as in "
                    "training) or %zu (inputs only), matched by position",
                    t->path, t->n_cols, s->n_src_cols, s->n_src_cols - 1);
    }
    *tj = smile_table_schema_match(s, t, s->target_src, s->target);
    return SMILE_OK;
}

smile_status smile_table_encode(const smile_table_schema *s, const smile_table *t, int need_target,
                                float *x, float *y, int32_t *labels, size_t *rows, size_t *n_out,
                                int *has_target, char *msg, size_t msg_len) {
    SMILE_CHECK(!s || !t || !n_out, SMILE_EINVAL, msg, msg_len, "table encode: NULL argument");
    long *cols = malloc((s->n_features ? s->n_features : 1) * sizeof *cols);
    SMILE_CHECK(!cols, SMILE_ENOMEM, msg, msg_len, "out of memory");
    long tj = -1;
    smile_status st = match_columns(s, t, cols, &tj, msg, msg_len);
    if (st == SMILE_OK && need_target == 1 && tj < 0) {
        smile_set_msg(msg, msg_len, "%s: no target column '%s'", t->path, s->target);
        st = SMILE_EINVAL;
    }
    const int with_target = need_target && tj >= 0;
    size_t n = 0;
    for (size_t r = 0; st == SMILE_OK && r < t->n_rows; r++) {
        const char *const *row = (const char *const *)t->cells + r * t->n_cols;
        long miss = -1;
        for (size_t i = 0; i < s->n_features && miss < 0; i++)
            if (smile_table_cell_missing(row[cols[i]])) miss = cols[i];
        if (miss < 0 && with_target && smile_table_cell_missing(row[tj])) miss = tj;
        if (miss >= 0) {
            if (s->drop_missing) continue;
            st = bad_cell(t, r, miss, "missing value (use --missing drop to leave such rows out)",
                          msg, msg_len);
            break;
        }
        st = encode_inputs(s, t, cols, r, x ? x + n * s->n_encoded : NULL, msg, msg_len);
        if (st == SMILE_OK && with_target)
            st = encode_target(s, t, tj, r, y ? y + n : NULL, labels ? labels + n : NULL, msg,
                               msg_len);
        if (st == SMILE_OK && rows) rows[n] = r;
        n++;
    }
    free(cols);
    if (st != SMILE_OK) return st;
    SMILE_CHECK(n == 0, SMILE_EFORMAT, msg, msg_len, "%s: no rows left (every row has a missing value)",
                t->path);
    *n_out = n;
    if (has_target) *has_target = with_target;
    return SMILE_OK;
}
