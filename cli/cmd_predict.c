/* smile predict RUN --data FILE — predictions of a fitted run on new rows.
 * Exit status: 0 ok, 2 bad input (not a run, unreadable or malformed rows),
 * 1 runtime failure. */
#include "args.h"
#include "cli.h"
#include "opts.h"
#include "smile_fit.h"
#include "fit/predictor.h"
#include "io/io.h" /* atomic output files */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 8

static const char predict_prologue[] =
    "Predicts with the fitted run in RUN (a directory written by `smile fit`; it can be\n"
    "moved or copied, the training data are not needed) on the rows of FILE. FILE is\n"
    "read like the training table: comma, semicolon, tab or blank separated, header\n"
    "line detected; columns are matched by name (or by position without a header),\n"
    "extra columns are ignored.\n"
    "\n"
    "Regression, per row: mean, sd (total), sd_epistemic (spread of the posterior\n"
    "samples' means), sd_aleatoric (noise), and lower_<L>/upper_<L>: the central L %\n"
    "interval, quantiles of the pooled predictive mixture, in the target's original\n"
    "units. Classification: p_<class> for every class, predicted, entropy and\n"
    "mutual_info (its epistemic part). When FILE has the target column, also observed\n"
    "and log_density (log predictive density of the observed value; for classes the\n"
    "log probability of the true class), and a summary: mean log density, RMSE or\n"
    "accuracy, and the coverage of each interval.\n"
    "\n"
    "Example:\n"
    "  smile fit --data houses.csv --target price --out houses-fit\n"
    "  smile predict houses-fit --data new_houses.csv --interval 0.5,0.9 --out pred.csv\n";

typedef struct {
    const char *data, *out, *intervals;
    int format, standardised, threads, header;
    double levels[MAX_LEVELS];
    size_t n_levels;
} predict_args;

enum { FMT_CSV = 0, FMT_JSON = 1, FMT_NPY = 2 };

static int bad(const char *fmt, const char *a) {
    fprintf(stderr, "smile predict: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    return 2;
}

/* "0.5,0.9" → levels in (0, 1). */
static int parse_levels(predict_args *a) {
    const char *p = a->intervals;
    a->n_levels = 0;
    while (*p) {
        char *e;
        double v = strtod(p, &e);
        if (e == p || !(v > 0 && v < 1) || a->n_levels == MAX_LEVELS || (*e && *e != ','))
            return bad("--interval: '%s' is not a list of up to 8 levels in (0, 1), e.g. 0.9 "
                       "or 0.5,0.9",
                       a->intervals);
        a->levels[a->n_levels++] = v;
        p = *e ? e + 1 : e;
    }
    if (!a->n_levels) return bad("--interval: '%s' is empty", a->intervals);
    return 0;
}

/* Column names of the output. */
typedef struct {
    char **name;
    size_t n;
} columns;

static void add_col(columns *c, const char *fmt, const char *a) {
    char buf[256];
    snprintf(buf, sizeof buf, fmt, a);
    c->name = realloc(c->name, (c->n + 1) * sizeof *c->name);
    c->name[c->n] = malloc(strlen(buf) + 1);
    strcpy(c->name[c->n++], buf);
}

static void level_name(char *buf, size_t n, double lv) {
    snprintf(buf, n, "%.10g", lv * 100);
}

/* Output table: values[row × n_cols] (class columns hold indices). */
typedef struct {
    columns cols;
    double *v;
    size_t rows;
    long class_col;              /* column holding the predicted class (or -1) */
    const smile_predictor *p;
} result;

static void summary_regression(FILE *f, const predict_args *a, const smile_predictor_rows *r,
                               const double *mean, const double *lo, const double *hi,
                               const double *ld) {
    double s_ld = 0, s_se = 0;
    for (size_t i = 0; i < r->n; i++) {
        s_ld += ld[i];
        s_se += (mean[i] - r->y[i]) * (mean[i] - r->y[i]);
    }
    fprintf(f, "rows %zu  mean log_density %.6f  rmse %.6g", r->n, s_ld / (double)r->n,
            sqrt(s_se / (double)r->n));
    for (size_t l = 0; l < a->n_levels; l++) {
        size_t in = 0;
        for (size_t i = 0; i < r->n; i++)
            in += r->y[i] >= lo[i * a->n_levels + l] && r->y[i] <= hi[i * a->n_levels + l];
        char nm[32];
        level_name(nm, sizeof nm, a->levels[l]);
        fprintf(f, "  coverage_%s %.4f", nm, (double)in / (double)r->n);
    }
    fprintf(f, "%s\n", a->standardised ? "  (model units)" : "");
}

static smile_status run_regression(smile_predictor *p, const predict_args *a,
                                   const smile_predictor_rows *r, result *res, char *msg,
                                   size_t msg_len) {
    const size_t n = r->n, L = a->n_levels;
    double *buf = calloc(n * (6 + 2 * L), sizeof *buf);
    SMILE_CHECK(!buf, SMILE_ENOMEM, msg, msg_len, "out of memory for %zu rows", n);
    double *mean = buf, *sd = buf + n, *ep = buf + 2 * n, *al = buf + 3 * n, *ld = buf + 4 * n,
           *y = buf + 5 * n, *lo = buf + 6 * n, *hi = lo + n * L;
    smile_predictor_info info = smile_predictor_get_info(p);
    for (size_t i = 0; r->has_target && i < n; i++)
        y[i] = a->standardised ? (r->y[i] - info.y_mean) / info.y_sd : r->y[i];
    smile_regression_request q = {mean, sd, ep, al, L, a->levels, lo, hi,
                                  r->has_target ? y : NULL, ld, a->standardised};
    smile_status st = smile_predictor_regress(p, r->x, n, &q, msg, msg_len);
    if (st == SMILE_OK) {
        add_col(&res->cols, "mean", NULL);
        add_col(&res->cols, "sd", NULL);
        add_col(&res->cols, "sd_epistemic", NULL);
        add_col(&res->cols, "sd_aleatoric", NULL);
        for (size_t l = 0; l < L; l++) {
            char nm[32];
            level_name(nm, sizeof nm, a->levels[l]);
            add_col(&res->cols, "lower_%s", nm);
            add_col(&res->cols, "upper_%s", nm);
        }
        if (r->has_target) {
            add_col(&res->cols, "observed", NULL);
            add_col(&res->cols, "log_density", NULL);
        }
        const size_t k = res->cols.n;
        res->v = malloc(n * k * sizeof *res->v);
        if (!res->v) st = SMILE_ENOMEM;
        for (size_t i = 0; res->v && i < n; i++) {
            double *row = res->v + i * k;
            row[0] = mean[i], row[1] = sd[i], row[2] = ep[i], row[3] = al[i];
            for (size_t l = 0; l < L; l++) row[4 + 2 * l] = lo[i * L + l], row[5 + 2 * l] = hi[i * L + l];
            if (r->has_target) row[4 + 2 * L] = y[i], row[5 + 2 * L] = ld[i];
        }
        if (r->has_target) {
            smile_predictor_rows ry = *r;
            ry.y = y;
            summary_regression(a->out ? stdout : stderr, a, &ry, mean, lo, hi, ld);
        }
    }
    free(buf);
    return st;
}

static smile_status run_classification(smile_predictor *p, const predict_args *a,
                                       const smile_predictor_rows *r, result *res, char *msg,
                                       size_t msg_len) {
    const size_t n = r->n, C = smile_predictor_get_info(p).n_classes;
    double *probs = malloc(n * C * sizeof *probs), *ent = malloc(n * sizeof *ent),
           *mi = malloc(n * sizeof *mi), *lp = malloc(n * sizeof *lp);
    int32_t *pred = malloc(n * sizeof *pred);
    smile_status st = probs && ent && mi && lp && pred ? SMILE_OK : SMILE_ENOMEM;
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "out of memory for %zu rows", n);
    smile_classification_request q = {probs, pred, ent, mi, r->has_target ? r->labels : NULL, lp};
    if (st == SMILE_OK) st = smile_predictor_classify(p, r->x, n, &q, msg, msg_len);
    if (st == SMILE_OK) {
        for (size_t c = 0; c < C; c++) add_col(&res->cols, "p_%s", smile_predictor_class_name(p, c));
        res->class_col = (long)res->cols.n;
        add_col(&res->cols, "predicted", NULL);
        add_col(&res->cols, "entropy", NULL);
        add_col(&res->cols, "mutual_info", NULL);
        if (r->has_target) {
            add_col(&res->cols, "observed", NULL);
            add_col(&res->cols, "log_density", NULL);
        }
        const size_t k = res->cols.n;
        res->v = malloc(n * k * sizeof *res->v);
        double s_lp = 0;
        size_t right = 0;
        for (size_t i = 0; res->v && i < n; i++) {
            double *row = res->v + i * k;
            memcpy(row, probs + i * C, C * sizeof *row);
            row[C] = pred[i], row[C + 1] = ent[i], row[C + 2] = mi[i];
            if (r->has_target) {
                row[C + 3] = r->labels[i], row[C + 4] = lp[i];
                s_lp += lp[i];
                right += pred[i] == r->labels[i];
            }
        }
        if (!res->v) st = SMILE_ENOMEM;
        if (st == SMILE_OK && r->has_target)
            fprintf(a->out ? stdout : stderr, "rows %zu  mean log_density %.6f  accuracy %.4f\n",
                    n, s_lp / (double)n, (double)right / (double)n);
    }
    free(probs), free(ent), free(mi), free(lp), free(pred);
    return st;
}

/* ---- output ---------------------------------------------------------------- */

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

static int is_class_col(const result *res, size_t j) {
    size_t C = smile_predictor_get_info(res->p).n_classes;
    return res->class_col >= 0 && (j == (size_t)res->class_col ||
                                   (j == (size_t)res->class_col + 3 && res->cols.n > C + 3));
}

static void write_csv(FILE *f, const result *res) {
    for (size_t j = 0; j < res->cols.n; j++) {
        if (j) fputc(',', f);
        csv_field(f, res->cols.name[j]);
    }
    fputc('\n', f);
    for (size_t i = 0; i < res->rows; i++) {
        for (size_t j = 0; j < res->cols.n; j++) {
            double v = res->v[i * res->cols.n + j];
            if (j) fputc(',', f);
            if (is_class_col(res, j)) csv_field(f, smile_predictor_class_name(res->p, (size_t)v));
            else fprintf(f, "%.10g", v);
        }
        fputc('\n', f);
    }
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f), fputc(*s, f);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static void write_json(FILE *f, const result *res) {
    fputs("[\n", f);
    for (size_t i = 0; i < res->rows; i++) {
        fputs("  {", f);
        for (size_t j = 0; j < res->cols.n; j++) {
            double v = res->v[i * res->cols.n + j];
            if (j) fputs(", ", f);
            json_string(f, res->cols.name[j]);
            fputs(": ", f);
            if (is_class_col(res, j)) json_string(f, smile_predictor_class_name(res->p, (size_t)v));
            else if (isfinite(v)) fprintf(f, "%.17g", v);
            else fputs("null", f);
        }
        fprintf(f, "}%s\n", i + 1 < res->rows ? "," : "");
    }
    fputs("]\n", f);
}

/* NumPy .npy, float64 [rows, columns] (classes as indices). */
static smile_status write_npy(const char *path, const result *res, char *msg, size_t msg_len) {
    char hdr[128];
    int h = snprintf(hdr, sizeof hdr, "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }",
                     res->rows, res->cols.n);
    size_t total = 10 + (size_t)h + 1, pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)h + pad + 1, nbytes = res->rows * res->cols.n * sizeof(double);
    unsigned char *buf = malloc(10 + hlen + nbytes);
    SMILE_CHECK(!buf, SMILE_ENOMEM, msg, msg_len, "out of memory");
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff), buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, hdr, (size_t)h);
    memset(buf + 10 + h, ' ', pad);
    buf[10 + hlen - 1] = '\n';
    memcpy(buf + 10 + hlen, res->v, nbytes);
    smile_status st = smile_write_file_atomic(path, buf, 10 + hlen + nbytes, msg, msg_len);
    free(buf);
    return st;
}

static int write_result(const predict_args *a, const result *res) {
    char msg[1024] = "";
    if (a->format == FMT_NPY) {
        if (!a->out) return bad("%s", "--format npy needs --out FILE");
        if (write_npy(a->out, res, msg, sizeof msg) != SMILE_OK) return bad("%s", msg);
        return 0;
    }
    if (!a->out) {
        if (a->format == FMT_JSON) write_json(stdout, res);
        else write_csv(stdout, res);
        return fflush(stdout) ? 1 : 0;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) return bad("%s", "out of memory");
    if (a->format == FMT_JSON) write_json(mem, res);
    else write_csv(mem, res);
    fclose(mem);
    smile_status st = smile_write_file_atomic(a->out, text, len, msg, sizeof msg);
    free(text);
    return st == SMILE_OK ? 0 : bad("%s", msg);
}

static const char *const format_names[] = {"csv", "json", "npy", NULL};
static const char *const header_names[] = {"auto", "yes", "no", NULL};
static const int header_values[] = {-1, 1, 0};

int smile_cmd_predict(int argc, char **argv) {
    predict_args a = {.intervals = "0.9", .header = -1};
    const char *run = NULL;
    cli_opt opts[] = {
        {"--data", "FILE", CLI_STRING(&a.data), .flags = CLI_REQUIRED,
         .help = "rows to predict (a table like the training file)"},
        {"--out", "FILE", CLI_STRING(&a.out),
         .help = "write the predictions to FILE (atomically); default: standard output"},
        {"--interval", "L[,L...]", CLI_STRING(&a.intervals), .def = "0.9",
         .help = "central interval level(s) in (0, 1) (regression)"},
        {"--format", "F", CLI_ONE_OF(&a.format, format_names, NULL), .def = "csv",
         .help = "csv, json (one object per row) or npy (float64 [rows, columns] in the "
                 "column order of the csv header; classes as indices; needs --out)"},
        {"--header", "H", CLI_ONE_OF(&a.header, header_names, header_values), .def = "auto",
         .help = "whether FILE's first line holds column names"},
        {"--standardised", NULL, CLI_SETS(&a.standardised, 1),
         .help = "regression outputs in the model's standardised units"},
        {"--threads", "T", CLI_INT_IN(&a.threads, 0, 4096), .def = "0",
         .help = "threads (0 = all cores); results do not depend on it"},
    };
    cli_cmd cmd = {.name = "predict", .args = "RUN", .prologue = predict_prologue,
                   .epilogue = "Exit status: 0 ok, 2 bad input, 1 runtime failure.\n",
                   .opts = opts, .n_opts = CLI_N(opts), .pos = &run, .max_pos = 1};
    int rc = cli_parse(&cmd, argc, argv);
    if (rc != CLI_CONTINUE) return rc;
    if (!run) return bad("%s", "missing run directory (usage: smile predict RUN --data FILE)");
    if ((rc = parse_levels(&a))) return rc;
    char msg[1024] = "";
    smile_predictor *p = NULL;
    smile_status st = smile_predictor_open(&p, run, a.threads, msg, sizeof msg);
    if (st != SMILE_OK) return st == SMILE_ENOMEM ? (fprintf(stderr, "smile predict: %s\n", msg), 1)
                                                  : bad("%s", msg);
    smile_predictor_rows r;
    st = smile_predictor_read_rows(p, a.data, a.header, &r, msg, sizeof msg);
    if (st != SMILE_OK) {
        smile_predictor_free(p);
        return bad("%s", msg);
    }
    result res = {{NULL, 0}, NULL, r.n, -1, p};
    st = smile_predictor_get_info(p).classify ? run_classification(p, &a, &r, &res, msg, sizeof msg)
                                              : run_regression(p, &a, &r, &res, msg, sizeof msg);
    rc = st == SMILE_OK ? write_result(&a, &res)
                        : (fprintf(stderr, "smile predict: %s\n", msg), st == SMILE_EINVAL ? 2 : 1);
    for (size_t j = 0; j < res.cols.n; j++) free(res.cols.name[j]);
    free(res.cols.name);
    free(res.v);
    smile_predictor_rows_free(&r);
    smile_predictor_free(p);
    return rc;
}
