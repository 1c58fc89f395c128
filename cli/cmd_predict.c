/* smile predict RUN --data FILE — predictions of a fitted run on new rows or
 * images; smile predict RUN --prompt TEXT — text continued by a text run.
 * Exit status: 0 ok, 2 bad input (not a run, unreadable or malformed rows,
 * a prompt character outside the vocabulary), 1 runtime failure. */
#include "args.h"
#include "cli.h"
#include "opts.h"
#include "smile_fit.h"
#include "io/io.h" /* the --plot folder */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 8

static const char predict_prologue[] =
    "Predicts with the fitted run in RUN (a directory written by `smile fit`; it can be\n"
    "moved or copied, the training data are not needed).\n"
    "\n"
    "Tables (runs on a user's table or a UCI file): FILE is read like the training\n"
    "table: comma, semicolon, tab or blank separated, header line detected; columns are\n"
    "matched by name (or by position without a header), extra columns are ignored.\n"
    "Regression, per row: mean, sd (total), sd_epistemic (spread of the posterior\n"
    "samples' means), sd_aleatoric (noise), and lower_<L>/upper_<L>: the central L %\n"
    "interval, quantiles of the pooled predictive mixture, in the target's original\n"
    "units. Classification: p_<class> for every class, predicted, entropy and\n"
    "mutual_info (its epistemic part). When FILE has the target column, also observed\n"
    "and log_density (log predictive density of the observed value; for classes the\n"
    "log probability of the true class), and a summary: mean log density, RMSE or\n"
    "accuracy, and the coverage of each interval.\n"
    "\n"
    "Images (fmnist, cifar10, imagenette runs): FILE is in the task's own format and\n"
    "every image goes through the run's training transform; one row per image with\n"
    "the class columns above (observed and log_density when labels are known):\n"
    "  fmnist      an IDX image file (*-images-idx3-ubyte[.gz]; labels from the\n"
    "              *-labels-idx1-ubyte[.gz] file beside it if present), or a folder\n"
    "              holding t10k-images-idx3-ubyte[.gz]\n"
    "  cifar10     a CIFAR-10 binary batch file (*.bin: label byte + 3072 pixel\n"
    "              bytes per record, so always labelled), or a folder holding\n"
    "              test_batch.bin\n"
    "  imagenette  a JPEG file, a folder of JPEG files (unlabelled), or a folder of\n"
    "              sub-folders named after the run's classes (labelled, e.g.\n"
    "              imagenette2/val); each image is resized to the run's size as in\n"
    "              training (whole image, aspect ratio not kept); the first column,\n"
    "              file, names the image (not in --format npy)\n"
    "Image runs fitted before smile recorded the pixel transform in model.json must\n"
    "be fitted again.\n"
    "\n"
    "Text (text runs): --prompt TEXT --generate N continues TEXT by N characters, each\n"
    "drawn from the posterior predictive (the average over all pooled samples of the\n"
    "next-character softmax) on the last T characters (T = the run's context) with\n"
    "the random stream of --seed; --temperature divides the logits first (1 = the\n"
    "posterior predictive). Prints the N characters (not the prompt) and a newline,\n"
    "or writes exactly them to --out. Every pooled sample runs on a full window per\n"
    "character, so long texts from large runs take a while. A prompt character\n"
    "outside the run's vocabulary is an error naming it.\n"
    "\n"
    "Examples:\n"
    "  smile fit --data houses.csv --target price --out houses-fit\n"
    "  smile predict houses-fit --data new_houses.csv --interval 0.5,0.9 --out pred.csv\n"
    "  smile predict fm-run --data fashion_mnist/t10k-images-idx3-ubyte.gz --out p.csv\n"
    "  smile predict gpt-run --prompt 'ROMEO:' --generate 200 --seed 3\n";

typedef struct {
    const char *data, *out, *intervals, *plot, *prompt;
    int format, standardised, threads, header;
    size_t generate;
    uint64_t seed;
    double temperature;
    double levels[MAX_LEVELS];
    size_t n_levels;
} predict_args;

#define bad(...) cli_bad("smile predict", __VA_ARGS__)

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

/* Summary line when the rows carry the target (stdout when the predictions
 * go to a file, else stderr). */
static void summary(FILE *f, const predict_args *a, const smile_prediction_table *t) {
    fprintf(f, "rows %zu  mean log_density %.6f", t->n_rows, t->mean_log_density);
    if (t->classify) {
        fprintf(f, "  accuracy %.4f\n", t->accuracy);
        return;
    }
    fprintf(f, "  rmse %.6g", t->rmse);
    for (size_t l = 0; l < t->n_levels; l++)
        fprintf(f, "  coverage_%.10g %.4f", a->levels[l] * 100, t->coverage[l]);
    fprintf(f, "%s\n", a->standardised ? "  (model units)" : "");
}

/* --plot DIR: the predictions at the calibration levels, then the pictures. */
static int plot(smile_predictor *p, const smile_predictor_rows *r, const predict_args *a) {
    static const double levels[] = {0.5, 0.8, 0.9, 0.95};
    char msg[1024] = "", csv[4096];
    if (!r->has_target) return bad("--plot: %s has no target column to compare with", a->data);
    if (smile_mkdir_p(a->plot, msg, sizeof msg) != SMILE_OK) return bad("--plot: %s", msg);
    smile_prediction_table t;
    snprintf(csv, sizeof csv, "%s/predictions.csv", a->plot);
    smile_predictor_rows numeric = *r; /* the pictures read numeric columns only */
    numeric.names = NULL;
    smile_status st = smile_prediction_table_make(p, &numeric, levels, 4, a->standardised, &t,
                                                  msg, sizeof msg);
    if (st == SMILE_OK) {
        st = smile_prediction_table_write(&t, p, csv, SMILE_PREDICTIONS_CSV, msg, sizeof msg);
        smile_prediction_table_free(&t);
    }
    if (st != SMILE_OK) return bad("--plot: %s", msg);
    cli_plot_predictions(a->plot, csv, NULL, 0);
    return CLI_CONTINUE;
}

/* Text runs: --prompt continued by --generate characters. */
static int generate(smile_predictor *p, const predict_args *a, const cli_cmd *cmd) {
    if (!a->prompt) return bad("%s", "this is a text run: give --prompt TEXT (and --generate N)");
    if (a->data) return bad("%s", "--data: a text run continues a --prompt, it reads no rows");
    static const char *const not_text[] = {"--interval", "--format", "--header", "--plot",
                                           "--standardised"};
    for (size_t i = 0; i < sizeof not_text / sizeof *not_text; i++)
        if (cli_given(cmd, not_text[i])) return bad("%s: not for text runs", not_text[i]);
    char msg[1024] = "", *out = NULL;
    smile_status st = smile_predictor_generate(p, a->prompt, a->generate, a->seed, a->temperature,
                                               &out, msg, sizeof msg);
    if (st != SMILE_OK) {
        if (st == SMILE_EINVAL || st == SMILE_EFORMAT) return bad("--prompt: %s", msg);
        fprintf(stderr, "smile predict: %s\n", msg);
        return 1;
    }
    int rc = 0;
    if (a->out) {
        if (smile_write_file_atomic(a->out, out, strlen(out), msg, sizeof msg) != SMILE_OK)
            rc = bad("%s", msg);
    } else if (printf("%s\n", out) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "smile predict: standard output: write error\n");
        rc = 1;
    }
    free(out);
    return rc;
}

static const char *const format_names[] = {"csv", "json", "npy", NULL};
static const char *const header_names[] = {"auto", "yes", "no", NULL};
static const int header_values[] = {-1, 1, 0};

int smile_cmd_predict(int argc, char **argv) {
    predict_args a = {.intervals = "0.9", .header = -1, .generate = 200, .seed = 1,
                      .temperature = 1};
    const char *run = NULL;
    cli_opt opts[] = {
        {"--data", "FILE", CLI_STRING(&a.data),
         .help = "rows to predict (a table like the training file), or images in the "
                 "task's format (see above); not for text runs"},
        {"--out", "FILE", CLI_STRING(&a.out),
         .help = "write the predictions (or the generated text) to FILE (atomically); "
                 "default: standard output"},
        {"--prompt", "TEXT", CLI_STRING(&a.prompt),
         .help = "text runs: the text to continue (characters of the run's vocabulary)"},
        {"--generate", "N", CLI_SIZE_IN(&a.generate, 0, 1 << 30), .def = "200",
         .help = "text runs: characters to generate"},
        {"--seed", "S", CLI_U64_ANY(&a.seed), .def = "1",
         .help = "text runs: seed of the random stream the characters are drawn with"},
        {"--temperature", "T", CLI_POSITIVE(&a.temperature), .def = "1",
         .help = "text runs: divide the logits by T before the softmax (1: the posterior "
                 "predictive; below 1 sharper, above 1 flatter)"},
        {"--interval", "L[,L...]", CLI_STRING(&a.intervals), .def = "0.9",
         .help = "central interval level(s) in (0, 1) (regression)"},
        {"--format", "F", CLI_ONE_OF(&a.format, format_names, NULL), .def = "csv",
         .help = "csv, json (one object per row) or npy (float64 [rows, columns] in the "
                 "column order of the csv header; classes as indices; needs --out)"},
        {"--header", "H", CLI_ONE_OF(&a.header, header_names, header_values), .def = "auto",
         .help = "tables: whether FILE's first line holds column names"},
        {"--plot", "DIR", CLI_STRING(&a.plot),
         .help = "with observed targets in FILE (a target column, labelled images): write "
                 "DIR/predictions.csv (without a file column) and the "
                 "pictures calibration.png and predicted_vs_observed.png (regression) or "
                 "reliability.png (classes) into DIR (gnuplot)"},
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
    if (!run)
        return bad("%s", "missing run directory (usage: smile predict RUN --data FILE, or "
                         "RUN --prompt TEXT for a text run)");
    if ((rc = parse_levels(&a))) return rc;
    if (a.out && (rc = cli_check_out_file("smile predict", "--out", a.out))) return rc;
    char msg[1024] = "";
    smile_predictor *p = NULL;
    smile_status st = smile_predictor_open(&p, run, a.threads, msg, sizeof msg);
    if (st != SMILE_OK) return st == SMILE_ENOMEM ? (fprintf(stderr, "smile predict: %s\n", msg), 1)
                                                  : bad("%s", msg);
    const int text = smile_predictor_get_info(p).text;
    if (text || a.prompt) {
        rc = text ? generate(p, &a, &cmd) : bad("%s: not a text run: --prompt needs a run of --task text", run);
        smile_predictor_free(p);
        return rc;
    }
    static const char *const text_only[] = {"--generate", "--seed", "--temperature"};
    for (size_t i = 0; i < sizeof text_only / sizeof *text_only; i++)
        if (cli_given(&cmd, text_only[i])) {
            smile_predictor_free(p);
            return bad("%s: only for text runs", text_only[i]);
        }
    if (!a.data) {
        smile_predictor_free(p);
        return bad("%s", "missing --data FILE (the rows or images to predict)");
    }
    smile_predictor_rows r;
    st = smile_predictor_read_rows(p, a.data, a.header, &r, msg, sizeof msg);
    if (st != SMILE_OK) {
        smile_predictor_free(p);
        return bad("%s", msg);
    }
    smile_prediction_table t;
    st = smile_prediction_table_make(p, &r, a.levels, a.n_levels, a.standardised, &t, msg,
                                     sizeof msg);
    if (st == SMILE_OK) {
        if (t.has_target) summary(a.out ? stdout : stderr, &a, &t);
        rc = a.plot ? plot(p, &r, &a) : CLI_CONTINUE;
        if (rc != CLI_CONTINUE)
            ; /* the --plot error is reported */
        else if (a.format == SMILE_PREDICTIONS_NPY && !a.out)
            rc = bad("%s", "--format npy needs --out FILE");
        else if (smile_prediction_table_write(&t, p, a.out, (smile_prediction_format)a.format, msg,
                                              sizeof msg) != SMILE_OK)
            rc = bad("%s", msg);
        else
            rc = 0;
        smile_prediction_table_free(&t);
    } else {
        fprintf(stderr, "smile predict: %s\n", msg);
        rc = st == SMILE_EINVAL ? 2 : 1;
    }
    smile_predictor_rows_free(&r);
    smile_predictor_free(p);
    return rc;
}
