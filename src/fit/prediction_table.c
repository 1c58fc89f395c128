/* Predictions as a table of named columns (predictor.h): built from a
 * predictor and encoded rows, summarised against observed targets, and
 * written as CSV, JSON or NumPy .npy (atomically, or to standard output). */
#include "fit/fit_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void smile_prediction_table_free(smile_prediction_table *t) {
    if (!t) return;
    for (size_t j = 0; t->names && j < t->n_cols; j++) free(t->names[j]);
    for (size_t i = 0; t->row_names && i < t->n_rows; i++) free(t->row_names[i]);
    void *owned[] = {t->names, t->v, t->coverage, t->row_names};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free(owned[i]);
    memset(t, 0, sizeof *t);
}

static int add_col(smile_prediction_table *t, const char *fmt, const char *a) {
    char buf[300];
    snprintf(buf, sizeof buf, fmt, a ? a : "");
    char **nn = realloc(t->names, (t->n_cols + 1) * sizeof *nn);
    if (!nn) return -1;
    t->names = nn;
    if (!(t->names[t->n_cols] = malloc(strlen(buf) + 1))) return -1;
    strcpy(t->names[t->n_cols++], buf);
    return 0;
}

static void level_name(char *buf, size_t n, double lv) { snprintf(buf, n, "%.10g", lv * 100); }

static smile_status regression(smile_predictor *p, const smile_predictor_rows *r,
                               const double *levels, size_t L, int standardised,
                               smile_prediction_table *t, char *msg, size_t msg_len) {
    const size_t n = r->n;
    double *buf = calloc(n * (6 + 2 * L) + 1, sizeof *buf);
    SMILE_CHECK(!buf, SMILE_ENOMEM, msg, msg_len, "out of memory for %zu rows", n);
    double *mean = buf, *sd = buf + n, *ep = buf + 2 * n, *al = buf + 3 * n, *ld = buf + 4 * n,
           *y = buf + 5 * n, *lo = buf + 6 * n, *hi = lo + n * L;
    smile_predictor_info info = smile_predictor_get_info(p);
    for (size_t i = 0; r->has_target && i < n; i++)
        y[i] = standardised ? (r->y[i] - info.y_mean) / info.y_sd : r->y[i];
    smile_regression_request q = {mean, sd, ep, al, L, levels, lo, hi,
                                  r->has_target ? y : NULL, ld, standardised};
    smile_status st = smile_predictor_regress(p, r->x, n, &q, msg, msg_len);
    int bad = st != SMILE_OK;
    bad = bad || add_col(t, "mean", NULL) || add_col(t, "sd", NULL) ||
          add_col(t, "sd_epistemic", NULL) || add_col(t, "sd_aleatoric", NULL);
    for (size_t l = 0; !bad && l < L; l++) {
        char nm[32];
        level_name(nm, sizeof nm, levels[l]);
        bad = add_col(t, "lower_%s", nm) || add_col(t, "upper_%s", nm);
    }
    if (!bad && r->has_target) bad = add_col(t, "observed", NULL) || add_col(t, "log_density", NULL);
    const size_t k = t->n_cols;
    if (!bad) bad = !(t->v = malloc((n ? n : 1) * k * sizeof *t->v)) || !(t->coverage = calloc(L + 1, sizeof *t->coverage));
    if (bad && st == SMILE_OK) st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory");
    double s_ld = 0, s_se = 0;
    for (size_t i = 0; st == SMILE_OK && i < n; i++) {
        double *row = t->v + i * k;
        row[0] = mean[i], row[1] = sd[i], row[2] = ep[i], row[3] = al[i];
        for (size_t l = 0; l < L; l++) {
            row[4 + 2 * l] = lo[i * L + l], row[5 + 2 * l] = hi[i * L + l];
            if (r->has_target) t->coverage[l] += y[i] >= lo[i * L + l] && y[i] <= hi[i * L + l];
        }
        if (r->has_target) {
            row[4 + 2 * L] = y[i], row[5 + 2 * L] = ld[i];
            s_ld += ld[i];
            s_se += (mean[i] - y[i]) * (mean[i] - y[i]);
        }
    }
    if (st == SMILE_OK && r->has_target && n) {
        t->mean_log_density = s_ld / (double)n;
        t->rmse = sqrt(s_se / (double)n);
        for (size_t l = 0; l < L; l++) t->coverage[l] /= (double)n;
    }
    t->n_levels = L;
    free(buf);
    return st;
}

static smile_status classification(smile_predictor *p, const smile_predictor_rows *r,
                                   smile_prediction_table *t, char *msg, size_t msg_len) {
    const size_t n = r->n, C = smile_predictor_get_info(p).n_classes, m = n ? n : 1;
    double *probs = malloc(m * C * sizeof *probs), *ent = malloc(m * sizeof *ent),
           *mi = malloc(m * sizeof *mi), *lp = malloc(m * sizeof *lp);
    int32_t *pred = malloc(m * sizeof *pred);
    smile_status st = probs && ent && mi && lp && pred ? SMILE_OK : SMILE_ENOMEM;
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "out of memory for %zu rows", n);
    smile_classification_request q = {probs, pred, ent, mi, r->has_target ? r->labels : NULL, lp};
    if (st == SMILE_OK) st = smile_predictor_classify(p, r->x, n, &q, msg, msg_len);
    int bad = 0;
    for (size_t c = 0; st == SMILE_OK && !bad && c < C; c++)
        bad = add_col(t, "p_%s", smile_predictor_class_name(p, c));
    t->class_col = (long)t->n_cols;
    if (st == SMILE_OK && !bad)
        bad = add_col(t, "predicted", NULL) || add_col(t, "entropy", NULL) ||
              add_col(t, "mutual_info", NULL);
    if (st == SMILE_OK && !bad && r->has_target) {
        t->observed_col = (long)t->n_cols;
        bad = add_col(t, "observed", NULL) || add_col(t, "log_density", NULL);
    }
    const size_t k = t->n_cols;
    if (st == SMILE_OK && !bad) bad = !(t->v = malloc(m * k * sizeof *t->v));
    if (bad && st == SMILE_OK) st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory");
    double s_lp = 0;
    size_t right = 0;
    for (size_t i = 0; st == SMILE_OK && i < n; i++) {
        double *row = t->v + i * k;
        memcpy(row, probs + i * C, C * sizeof *row);
        row[C] = pred[i], row[C + 1] = ent[i], row[C + 2] = mi[i];
        if (r->has_target) {
            row[C + 3] = r->labels[i], row[C + 4] = lp[i];
            s_lp += lp[i];
            right += pred[i] == r->labels[i];
        }
    }
    if (st == SMILE_OK && r->has_target && n) {
        t->mean_log_density = s_lp / (double)n;
        t->accuracy = (double)right / (double)n;
    }
    free(probs), free(ent), free(mi), free(lp), free(pred);
    return st;
}

static smile_status copy_names(smile_prediction_table *t, char *const *names, char *msg,
                               size_t msg_len) {
    t->row_names = calloc(t->n_rows ? t->n_rows : 1, sizeof *t->row_names);
    for (size_t i = 0; t->row_names && i < t->n_rows; i++) {
        const char *nm = names[i] ? names[i] : "";
        if (!(t->row_names[i] = malloc(strlen(nm) + 1))) break;
        strcpy(t->row_names[i], nm);
    }
    SMILE_CHECK(!t->row_names || (t->n_rows && !t->row_names[t->n_rows - 1]), SMILE_ENOMEM, msg,
                msg_len, "out of memory");
    return SMILE_OK;
}

smile_status smile_prediction_table_make(smile_predictor *p, const smile_predictor_rows *rows,
                                         const double *levels, size_t n_levels, int standardised,
                                         smile_prediction_table *t, char *msg, size_t msg_len) {
    SMILE_CHECK(!p || !rows || !t, SMILE_EINVAL, msg, msg_len, "prediction table: NULL argument");
    memset(t, 0, sizeof *t);
    t->n_rows = rows->n;
    t->class_col = t->observed_col = -1;
    t->has_target = rows->has_target;
    t->classify = smile_predictor_get_info(p).classify;
    smile_status st = t->classify ? classification(p, rows, t, msg, msg_len)
                                  : regression(p, rows, levels, n_levels, standardised, t, msg,
                                               msg_len);
    if (st == SMILE_OK && rows->names) st = copy_names(t, rows->names, msg, msg_len);
    if (st != SMILE_OK) smile_prediction_table_free(t);
    return st;
}

/* ---- output ------------------------------------------------------------------ */

static int is_class(const smile_prediction_table *t, size_t j) {
    return (t->class_col >= 0 && j == (size_t)t->class_col) ||
           (t->observed_col >= 0 && j == (size_t)t->observed_col);
}

static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f), fputc(*s, f);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", (unsigned)*s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static void write_text(FILE *f, const smile_prediction_table *t, const smile_predictor *p,
                       int json) {
    const int named = t->row_names != NULL;
    if (!json) {
        if (named) fputs(t->n_cols ? "file," : "file", f);
        for (size_t j = 0; j < t->n_cols; j++) {
            if (j) fputc(',', f);
            csv_field(f, t->names[j]);
        }
        fputc('\n', f);
    } else {
        fputs("[\n", f);
    }
    for (size_t i = 0; i < t->n_rows; i++) {
        if (json) fputs("  {", f);
        if (named && json) {
            json_string(f, "file");
            fputs(": ", f);
            json_string(f, t->row_names[i]);
            if (t->n_cols) fputs(", ", f);
        } else if (named) {
            csv_field(f, t->row_names[i]);
            if (t->n_cols) fputc(',', f);
        }
        for (size_t j = 0; j < t->n_cols; j++) {
            double v = t->v[i * t->n_cols + j];
            if (j) fputs(json ? ", " : ",", f);
            if (json) {
                json_string(f, t->names[j]);
                fputs(": ", f);
            }
            if (is_class(t, j)) {
                const char *nm = smile_predictor_class_name(p, (size_t)v);
                if (json) json_string(f, nm ? nm : "");
                else csv_field(f, nm ? nm : "");
            } else if (!isfinite(v)) {
                fputs(json ? "null" : "nan", f);
            } else {
                fprintf(f, json ? "%.17g" : "%.10g", v);
            }
        }
        if (json) fprintf(f, "}%s", i + 1 < t->n_rows ? ",\n" : "\n");
        else fputc('\n', f);
    }
    if (json) fputs("]\n", f);
}

/* NumPy .npy, float64 [rows, columns] (classes as indices). */
static smile_status npy_bytes(const smile_prediction_table *t, unsigned char **out, size_t *len,
                              char *msg, size_t msg_len) {
    char hdr[128];
    int h = snprintf(hdr, sizeof hdr,
                     "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }", t->n_rows,
                     t->n_cols);
    size_t pad = (64 - (10 + (size_t)h + 1) % 64) % 64, hlen = (size_t)h + pad + 1;
    size_t nbytes = t->n_rows * t->n_cols * sizeof(double);
    unsigned char *buf = malloc(10 + hlen + nbytes);
    SMILE_CHECK(!buf, SMILE_ENOMEM, msg, msg_len, "out of memory");
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff), buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, hdr, (size_t)h);
    memset(buf + 10 + h, ' ', pad);
    buf[10 + hlen - 1] = '\n';
    if (nbytes) memcpy(buf + 10 + hlen, t->v, nbytes);
    *out = buf;
    *len = 10 + hlen + nbytes;
    return SMILE_OK;
}

smile_status smile_prediction_table_write(const smile_prediction_table *t,
                                          const smile_predictor *p, const char *path,
                                          smile_prediction_format format, char *msg,
                                          size_t msg_len) {
    SMILE_CHECK(!t || !p, SMILE_EINVAL, msg, msg_len, "prediction table: NULL argument");
    if (format == SMILE_PREDICTIONS_NPY) {
        SMILE_CHECK(!path, SMILE_EINVAL, msg, msg_len, "the npy format needs an output file");
        unsigned char *buf;
        size_t len;
        SMILE_TRY(npy_bytes(t, &buf, &len, msg, msg_len));
        smile_status st = smile_write_file_atomic(path, buf, len, msg, msg_len);
        free(buf);
        return st;
    }
    const int json = format == SMILE_PREDICTIONS_JSON;
    if (!path) {
        write_text(stdout, t, p, json);
        SMILE_CHECK(fflush(stdout) != 0, SMILE_EIO, msg, msg_len, "standard output: write error");
        return SMILE_OK;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    SMILE_CHECK(!mem, SMILE_ENOMEM, msg, msg_len, "out of memory");
    write_text(mem, t, p, json);
    fclose(mem);
    smile_status st = text ? smile_write_file_atomic(path, text, len, msg, msg_len) : SMILE_ENOMEM;
    free(text);
    return st;
}
