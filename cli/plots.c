/* Pictures of predictions on rows with known targets (gnuplot, PNG):
 *   regression      calibration.png: observed against nominal coverage of the
 *                   central intervals (sampled ensemble; the deep ensemble's
 *                   from metrics.json when a run's metrics are given);
 *                   predicted_vs_observed.png: predictive mean and 90 %
 *                   interval against the observed value, one point per row;
 *   classification  reliability.png: accuracy against confidence (the top
 *                   class probability) in 10 bins, with the bins' counts.
 * Input: a predictions CSV as `smile predict` writes it (with observed). */
#include "cli.h"
#include "io/io.h"
#include "smile_fit.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Column index of name in the CSV header line, or -1. */
static int column(const char *header, const char *name) {
    int k = 0;
    size_t n = strlen(name);
    for (const char *p = header; *p; k++) {
        const char *e = strpbrk(p, ",\n");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return k;
        if (!e || *e == '\n') break;
        p = e + 1;
    }
    return -1;
}

/* Field k of a CSV line (no quoted commas in the numeric columns we read). */
static const char *field(const char *line, int k, size_t *len) {
    for (; k > 0 && line; k--) {
        line = strchr(line, ',');
        if (line) line++;
    }
    if (!line) return NULL;
    const char *e = strpbrk(line, ",\n");
    *len = e ? (size_t)(e - line) : strlen(line);
    return line;
}

static double num_at(const char *line, int k) {
    size_t len;
    const char *f = field(line, k, &len);
    return f ? strtod(f, NULL) : NAN;
}

/* Writes data files and the script into dir and runs gnuplot. */
static void run_gnuplot(const char *dir, const char *script, const char *what, int quiet) {
    char path[SMILE_FIT_PATH_MAX + 32], msg[512];
    snprintf(path, sizeof path, "%s/plots.gp", dir);
    if (smile_write_file_atomic(path, script, strlen(script), msg, sizeof msg) != SMILE_OK) {
        if (!quiet) fprintf(stderr, "smile: cannot write %s: %s\n", path, msg);
        return;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        if (!quiet) fprintf(stderr, "smile: gnuplot not found; run 'gnuplot %s' for %s\n", path, what);
        return;
    }
    char cmd[sizeof path + 32];
    snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot plots.gp 2>/dev/null", dir);
    if (system(cmd) != 0 && !quiet) fprintf(stderr, "smile: gnuplot failed on %s\n", path);
    else if (!quiet) fprintf(stderr, "smile: wrote %s in %s\n", what, dir);
}

static void regression_plots(const char *dir, char *text, const char *header,
                             const char *metrics, int quiet) {
    static const double levels[] = {50, 80, 90, 95};
    const int obs = column(header, "observed"), mean = column(header, "mean");
    int lo[4], hi[4];
    double cov[4] = {0};
    size_t n = 0;
    for (int l = 0; l < 4; l++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "lower_%g", levels[l]);
        snprintf(b, sizeof b, "upper_%g", levels[l]);
        lo[l] = column(header, a), hi[l] = column(header, b);
    }
    char path[SMILE_FIT_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/predicted_vs_observed.dat", dir);
    FILE *pv = fopen(path, "w");
    if (!pv) return;
    for (char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        double y = num_at(line + 1, obs);
        for (int l = 0; l < 4; l++)
            if (lo[l] >= 0) cov[l] += y >= num_at(line + 1, lo[l]) && y <= num_at(line + 1, hi[l]);
        fprintf(pv, "%.10g %.10g %.10g %.10g\n", y, num_at(line + 1, mean),
                lo[2] >= 0 ? num_at(line + 1, lo[2]) : NAN, hi[2] >= 0 ? num_at(line + 1, hi[2]) : NAN);
        n++;
    }
    fclose(pv);
    snprintf(path, sizeof path, "%s/calibration.dat", dir);
    FILE *cf = fopen(path, "w");
    if (!cf || !n) {
        if (cf) fclose(cf);
        return;
    }
    fprintf(cf, "# nominal ensemble de\n0 0 0\n");
    cJSON *m = metrics ? cJSON_Parse(metrics) : NULL;
    const cJSON *de = cJSON_GetObjectItemCaseSensitive(m, "de");
    for (int l = 0; l < 4; l++) {
        char key[32];
        snprintf(key, sizeof key, "coverage_%g", levels[l]);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(de, key);
        fprintf(cf, "%g %.6g %.6g\n", levels[l] / 100, lo[l] >= 0 ? cov[l] / (double)n : NAN,
                cJSON_IsNumber(c) ? c->valuedouble : NAN);
    }
    fprintf(cf, "1 1 1\n");
    fclose(cf);
    cJSON_Delete(m);
    char script[2048];
    snprintf(script, sizeof script,
             "set terminal pngcairo size 720,640\n"
             "set output 'calibration.png'\n"
             "set title 'Coverage of central predictive intervals (test rows)'\n"
             "set xlabel 'nominal level'\nset ylabel 'observed coverage'\n"
             "set key top left\nset xrange [0:1]\nset yrange [0:1]\nset grid\n"
             "plot x with lines dt 2 lc rgb 'gray' title 'ideal', "
             "'calibration.dat' using 1:2 with linespoints pt 7 lc rgb '#d62728' title 'sampled ensemble'%s\n"
             "set output 'predicted_vs_observed.png'\n"
             "set title 'Predictive mean and 90%% interval against the observed value'\n"
             "set xlabel 'observed'\nset ylabel 'predicted'\nunset xrange\nunset yrange\n"
             "set key top left\n"
             "plot 'predicted_vs_observed.dat' using 1:2:3:4 with yerrorbars pt 7 ps 0.4 "
             "lc rgb '#d62728' title 'mean, 90%% interval', x with lines dt 2 lc rgb 'gray' "
             "title 'y = x'\n",
             metrics ? ", 'calibration.dat' using 1:3 with linespoints pt 5 lc rgb '#1f77b4' "
                       "title 'deep ensemble'"
                     : "");
    run_gnuplot(dir, script, "calibration.png and predicted_vs_observed.png", quiet);
}

static void classification_plot(const char *dir, char *text, const char *header, int quiet) {
    const int pred = column(header, "predicted"), obs = column(header, "observed");
    double conf_sum[10] = {0}, right[10] = {0}, count[10] = {0};
    for (char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        double top = 0;
        for (int k = 0; k < pred; k++) top = fmax(top, num_at(line + 1, k));
        size_t la, lb;
        const char *a = field(line + 1, pred, &la), *b = field(line + 1, obs, &lb);
        int bin = (int)(top * 10);
        bin = bin > 9 ? 9 : bin < 0 ? 0 : bin;
        conf_sum[bin] += top;
        count[bin] += 1;
        right[bin] += a && b && la == lb && !strncmp(a, b, la);
    }
    char path[SMILE_FIT_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/reliability.dat", dir);
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "# mean_confidence accuracy rows\n");
    for (int b = 0; b < 10; b++)
        if (count[b] > 0) fprintf(f, "%.6g %.6g %g\n", conf_sum[b] / count[b], right[b] / count[b], count[b]);
    fclose(f);
    const char *script =
        "set terminal pngcairo size 720,640\n"
        "set output 'reliability.png'\n"
        "set title 'Reliability of the pooled class probabilities (10 bins)'\n"
        "set xlabel 'confidence (top class probability)'\nset ylabel 'accuracy'\n"
        "set key top left\nset xrange [0:1]\nset yrange [0:1]\nset grid\n"
        "plot x with lines dt 2 lc rgb 'gray' title 'ideal', "
        "'reliability.dat' using 1:2 with linespoints pt 7 lc rgb '#d62728' title 'sampled ensemble', "
        "'' using 1:2:(sprintf('%d', $3)) with labels offset 0,1 notitle\n";
    run_gnuplot(dir, script, "reliability.png", quiet);
}

void cli_plot_predictions(const char *dir, const char *csv_path, const char *metrics_path,
                          int quiet) {
    char *text = NULL, *metrics = NULL, msg[512];
    size_t len;
    if (strchr(dir, '\'') || smile_read_file(csv_path, &text, &len, msg, sizeof msg) != SMILE_OK) {
        if (!quiet) fprintf(stderr, "smile: no pictures: cannot read %s\n", csv_path);
        return;
    }
    if (metrics_path) smile_read_file(metrics_path, &metrics, &len, msg, sizeof msg);
    char *nl = strchr(text, '\n');
    if (nl && column(text, "observed") >= 0) {
        char *header = strndup(text, (size_t)(nl - text + 1));
        if (header && column(header, "mean") >= 0)
            regression_plots(dir, text, header, metrics, quiet);
        else if (header && column(header, "predicted") >= 0)
            classification_plot(dir, text, header, quiet);
        free(header);
    }
    free(text);
    free(metrics);
}
