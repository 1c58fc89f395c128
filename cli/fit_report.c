/* Reports of `smile fit` and `smile eval`: the summary table, the metrics as
 * JSON, and the gnuplot script (and PNG) of the built-in example. */
#include "cli.h"
#include "smile_fit.h"
#include "io/io.h" /* atomic write of the plot script */

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double jnum(const cJSON *o, const char *k) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

/* Table of the headline metrics of both phases. */
void smile_fit_print_summary(FILE *f, const cJSON *m) {
    const cJSON *de = cJSON_GetObjectItemCaseSensitive(m, "de");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(m, "ensemble");
    const char *reg[] = {"lppd", "rmse", "coverage_90", "width_90", "calib_error_rms",
                         "n_members_pooled", "grad_evals", "seconds", NULL};
    const char *cls[] = {"lppd", "accuracy", "acc_bma", "nll_bma", "brier", "ece_top_label",
                         "n_members_pooled", "grad_evals", "seconds", NULL};
    const char *txt[] = {"lppd", "perplexity", "accuracy", "perplexity_mean_sample",
                         "n_members_pooled", "grad_evals", "seconds", NULL};
    const int classif = cJSON_GetObjectItemCaseSensitive(en, "accuracy") != NULL;
    const int text = cJSON_GetObjectItemCaseSensitive(en, "perplexity") != NULL;
    const char **keys = text ? txt : classif ? cls : reg;
    fprintf(f, "%-18s %14s %14s\n", "metric", "deep ensemble", "sampled");
    for (size_t i = 0; keys[i]; i++)
        fprintf(f, "%-18s %14.6g %14.6g\n", keys[i], jnum(de, keys[i]), jnum(en, keys[i]));
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(m, "members");
    int nd = 0, ns = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, mem) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(it, "de");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(it, "sampling");
        nd += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "diverged"));
        ns += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "diverged"));
    }
    fprintf(f, "diverged members: %d (DE), %d (sampling)%s\n", nd, ns,
            classif ? "" : "; metrics in standardised units");
}

/* Prints metrics.json's text as JSON, or as the summary table; -1 when the
 * text is not JSON. */
int cli_print_metrics(const char *text, int as_json) {
    if (as_json) {
        fputs(text, stdout);
        fputc('\n', stdout);
        return 0;
    }
    cJSON *m = cJSON_Parse(text);
    if (!m) return -1;
    smile_fit_print_summary(stdout, m);
    cJSON_Delete(m);
    return 0;
}

/* gnuplot script and PNG of the built-in example (skipped without gnuplot). */
void cli_fit_plot_builtin(const char *out, const char *sampler, int quiet) {
    char *gp = smile_path_join(out, "plot.gp");
    char *png = smile_path_join(out, "predictive.png");
    char *pred = smile_path_join(out, "predictive.csv");
    char *data = smile_path_join(out, "data.csv");
    if (!gp || !png || !pred || !data || strchr(out, '\'') || strchr(out, '"')) {
        if (!quiet) fprintf(stderr, "smile fit: cannot write the plot script for %s\n", out);
        goto done;
    }
    char script[8192];
    int n = snprintf(script, sizeof script,
        "# smile fit built-in example: data, predictive mean and 95%% interval\n"
        "set datafile separator ','\n"
        "set terminal pngcairo size 960,600\n"
        "set output '%s'\n"
        "set title 'smile fit built-in example: deep ensemble vs %s (95%% predictive intervals)'\n"
        "set xlabel 'x'\nset ylabel 'y'\nset key top left\nset xrange [-4.5:4.5]\n"
        "plot '%s' every ::1 using 1:3:4 with filledcurves fc rgb '#1f77b4' fs transparent solid 0.25 noborder title 'DE 95%%', \\\n"
        "     '' every ::1 using 1:6:7 with filledcurves fc rgb '#d62728' fs transparent solid 0.25 noborder title '%s 95%%', \\\n"
        "     '' every ::1 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'DE mean', \\\n"
        "     '' every ::1 using 1:5 with lines lc rgb '#d62728' lw 2 title '%s mean', \\\n"
        "     '%s' every ::1 using 1:2 with points pt 7 ps 0.4 lc rgb 'black' title 'data'\n",
        png, sampler, pred, sampler,
        sampler, data);
    char msg[512];
    if (n <= 0 || (size_t)n >= sizeof script ||
        smile_write_file_atomic(gp, script, (size_t)n, msg, sizeof msg) != SMILE_OK) {
        if (!quiet) fprintf(stderr, "smile fit: cannot write %s\n", gp);
        goto done;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        if (!quiet) fprintf(stderr, "smile fit: gnuplot not found; run 'gnuplot %s' for the PNG\n", gp);
        goto done;
    }
    char cmd[SMILE_FIT_PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", gp);
    if (system(cmd) != 0) {
        if (!quiet) fprintf(stderr, "smile fit: gnuplot failed on %s\n", gp);
    } else if (!quiet) {
        fprintf(stderr, "smile fit: wrote %s\n", png);
    }
done:
    free(gp);
    free(png);
    free(pred);
    free(data);
}
