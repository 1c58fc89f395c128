/* smile fit — the end-to-end pipeline: data → deep ensemble → SMILE-family
 * sampling from every member → metrics of both phases. Defaults are the
 * settings of the UCI experiments (docs/experiments.md).
 *
 * Bad input (unknown option/task/sampler, non-numeric or out-of-range value,
 * missing or malformed data file, output directory already holding a run)
 * → exit 2 with one line on stderr naming the option or the file and line;
 * nothing is written before all of that has been checked. Runtime failure →
 * exit 1. SIGINT/SIGTERM: the chains stop at the next step boundary after
 * writing a checkpoint → exit 130; `smile fit --resume --out DIR` continues
 * and ends with the same samples and metrics as an uninterrupted run. */
#include "args.h"
#include "cli.h"
#include "opts.h"
#include "smile_fit.h"
#include "io/io.h" /* paths and reading a finished run's metrics.json */

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PFX "smile fit"
#define bad(...) cli_bad(PFX, __VA_ARGS__)

/* Options that are not stored straight into the configuration: the task
 * and preset decide the defaults, the enums are converted, and the sampler
 * options are applied in a fixed order after parsing (fit_apply). */
typedef struct {
    int task, model, sampler, scale, likelihood;
    double step_size, de_lr, precond_floor, auto_target, auto_reset, mclmc_t0, mclmc_t1;
    const char *preset;
    int threads, json, quiet, resume;
    const char *hidden, *split; /* "64,64" and "0.7,0.1[,0.2]"                  */
    int activation, sigma_link;
} fit_args;

/* --task values beyond the data tasks: a table read as regression or
 * classification (TASK_TABLE_BASE + table task). */
#define TASK_TABLE_BASE 100

static volatile sig_atomic_t g_stop;
_Static_assert(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t is passed as int");

/* A second SIGINT/SIGTERM exits at once (130) with this message: the run
 * stays resumable, since checkpoints are replaced atomically and a resume
 * cuts the partial files back to the last one. */
static char g_again[4200] = "\nsmile fit: interrupted again: stopped at once\n";
static volatile sig_atomic_t g_again_len;

static void on_signal(int sig) {
    (void)sig;
    if (g_stop) {
        size_t n = g_again_len > 0 ? (size_t)g_again_len : strlen(g_again);
        ssize_t w = write(STDERR_FILENO, g_again, n);
        (void)w;
        _exit(130);
    }
    g_stop = 1;
}

typedef struct {
    int tty;
    double last;
} progress_state;

static void on_progress(void *user, const smile_fit_progress *p) {
    progress_state *ps = user;
    if (!ps->tty) return;
    double frac = p->total > 0 ? (double)p->done / (double)p->total : 0;
    if (frac > 1) frac = 1;
    double rate = p->seconds > 0 ? (double)p->done / p->seconds : 0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
    char bar[21];
    int fill = (int)(frac * 20);
    for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '.';
    bar[20] = 0;
    if (isfinite(p->eps))
        fprintf(stderr, "\r%-16s [%s] %5.1f%%  %lld/%lld  %.0f/s  ETA %4.0fs  eps %.3g   ",
                p->phase, bar, 100 * frac, (long long)p->done, (long long)p->total, rate, eta,
                p->eps);
    else
        fprintf(stderr, "\r%-16s [%s] %5.1f%%  %lld/%lld   ", p->phase, bar, 100 * frac,
                (long long)p->done, (long long)p->total);
    if (p->done >= p->total) fputc('\n', stderr);
    fflush(stderr);
}

static int file_exists(const char *dir, const char *name) {
    char *p = smile_path_join(dir, name);
    struct stat sb;
    int r = p && stat(p, &sb) == 0;
    free(p);
    return r;
}

/* Built-in example (no --data): smaller run lengths so that it finishes in
 * well under a minute; every option still overrides them. */
static void builtin_defaults(smile_fit_config *c) {
    snprintf(c->data, sizeof c->data, "%s", SMILE_FIT_BUILTIN);
    c->members = 8;
    c->warmup = 30000;
    c->samples = 5000;
    c->thin = 10;
    c->batch = 32;
}


/* Default output directory: fit-<data file stem>-<sampler>-s<seed>. */
static void default_out(smile_fit_config *cfg) {
    const char *base = strrchr(cfg->data, '/');
    base = base ? base + 1 : cfg->data;
    char stem[256];
    snprintf(stem, sizeof stem, "%.200s", base);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = 0;
    for (char *q = stem; *q; q++)
        if (*q == ':') *q = '-';
    snprintf(cfg->out, sizeof cfg->out, "fit-%s-%s-s%llu", stem,
             smile_sampler_name(cfg->sampler.kind), (unsigned long long)cfg->seed);
}

static int lookup_task(const char *s, int *out) {
    smile_data_task t;
    if (!strcmp(s, "regress") || !strcmp(s, "regression")) return *out = TASK_TABLE_BASE + 1, 0;
    if (!strcmp(s, "classify") || !strcmp(s, "classification"))
        return *out = TASK_TABLE_BASE + 2, 0;
    if (smile_data_task_from_name(s, &t) != SMILE_OK || t == SMILE_DATA_AUTO) return -1;
    *out = (int)t;
    return 0;
}

static smile_data_task task_of(int v) {
    return v >= TASK_TABLE_BASE ? SMILE_DATA_TABLE : (smile_data_task)v;
}

static const char *const header_names[] = {"auto", "yes", "no", NULL};
static const int header_values[] = {-1, 1, 0};
static const char *const missing_names[] = {"error", "drop", NULL};
static const char *const sample_rows_names[] = {"train", "train+valid", NULL};
static const char *const act_names[] = {"relu", "gelu", "tanh", "silu", NULL};

static const char *const scale_names[] = {"floor", "n-over-b", NULL};
static const int scale_values[] = {SMILE_SCALE_FLOOR, SMILE_SCALE_N_OVER_B};
static const char *const lik_names[] = {"homo", "hetero", NULL};
static const char *const link_names[] = {"exp", "softplus", NULL};
static const int link_values[] = {SMILE_SIGMA_EXP, SMILE_SIGMA_SOFTPLUS};
static const int lik_values[] = {SMILE_LIK_GAUSS_HOMO, SMILE_LIK_GAUSS_HETERO};

#define FIT_MAX_OPTS 64
#define SHOW CLI_SHOW_DEFAULT

/* The option table of `smile fit` over configuration c and arguments a;
 * returns the number of rows written to t. */
static size_t fit_rows(cli_opt *t, smile_fit_config *c, fit_args *a) {
    const cli_opt rows[] = {
        {"--task", "T",
         CLI_LOOKUP(&a->task, lookup_task,
                    "table, regress, classify, uci, fmnist, cifar10, imagenette, text"),
         .def = "table with --data FILE",
         .help = "table (a user's table: regression for a numeric target, classification "
                 "for a text target; transforms fitted on the training rows), regress or "
                 "classify (a table, forced), uci (the paper's protocol for the UCI files: "
                 "whole-file standardisation, target = last column), fmnist (IDX folder, "
                 "LeNet), cifar10 (binary folder or .tar.gz, ResNet-7), imagenette (JPEG "
                 "folder or .tgz, ViT), text (UTF-8 characters, GPT on random windows); "
                 "each task has its own defaults (docs/experiments.md)"},
        {"--target", "COL", CLI_BUFFER(c->target), .def = "the last column",
         .help = "table: the column to predict, by header name or 1-based number"},
        {"--features", "A,B,..", CLI_BUFFER(c->features), .def = "all other columns",
         .help = "table: the input columns (names or numbers)"},
        {"--drop", "A,B,..", CLI_BUFFER(c->drop), .help = "table: columns to leave out of the inputs"},
        {"--header", "H", CLI_ONE_OF(&c->header, header_names, header_values), .def = "auto",
         .help = "table: whether the first line holds column names (auto: detected)"},
        {"--missing", "M", CLI_ONE_OF(&c->missing_drop, missing_names, NULL), .def = "error",
         .help = "table: a missing value (empty, NA, NaN, ?) is an error naming row and "
                 "column, or drop: such rows are left out"},
        {"--test", "FILE", CLI_BUFFER(c->test_data),
         .help = "table: held-out test rows (same columns); the rows of --data are then "
                 "split into training and validation rows only"},
        {"--valid", "FILE", CLI_BUFFER(c->valid_data), .help = "table: validation rows for "
         "early stopping (with --test; every row of --data then trains)"},
        {"--split", "TR,VA[,TE]", CLI_STRING(&a->split), .def = "0.7,0.1,0.2",
         .help = "table: fractions of the rows for training, validation (and test), "
                 "shuffled by the seed"},
        {"--sample-rows", "R", CLI_ONE_OF(&c->sample_valid, sample_rows_names, NULL), .def =
         "train+valid; uci and presets: train", .help = "the rows the sampler conditions on: the training rows, or the training and "
                 "validation rows (the validation rows then serve the DE's early stopping only)"},
        {"--hidden", "W,W,..", CLI_STRING(&a->hidden), .def = "16,16,16",
         .help = "tables: hidden layer widths of the fully connected network"},
        {"--activation", "A", CLI_ONE_OF(&a->activation, act_names, NULL), .def = "relu",
         .help = "tables: activation of the hidden layers: relu, gelu, tanh or silu"},
        {"--prior-sd", "S", CLI_POSITIVE(&c->prior_sigma), .flags = SHOW,
         .help = "standard deviation of the N(0, S^2) prior on every parameter"},
        {"--preset", "NAME", CLI_STRING(&a->preset),
         .help = "the paper's settings for one experiment (sets the task and its defaults; "
                 "explicit options override it in any order); the presets are listed below"},
        {"--model", "M", CLI_LOOKUP(&a->model, cli_lookup_model, CLI_MODEL_NAMES),
         .help = "image tasks: lenet, resnet7, resnet18, vit"},
        {"--gpt-layers", "N", CLI_SIZE_IN(&c->gpt_layers, 1, 65536), .def = "6",
         .help = "text: GPT blocks"},
        {"--gpt-width", "C", CLI_SIZE_IN(&c->gpt_width, 1, 65536), .def = "384",
         .help = "text: GPT width (MLP 4C)"},
        {"--gpt-heads", "H", CLI_SIZE_IN(&c->gpt_heads, 1, 65536), .def = "6",
         .help = "text: attention heads (must divide the width)"},
        {"--context", "T", CLI_SIZE_IN(&c->context, 1, 65536), .def = "256",
         .help = "text: window length in characters"},
        {"--gpt-pre-ln", NULL, CLI_SETS(&c->gpt_pre_ln, 1),
         .help = "text: nanoGPT's pre-LN block instead of the reference implementation's block"},
        {"--eval-windows", "N", CLI_SIZE_IN(&c->text_eval_windows, 0, 65536), .def = "128",
         .help = "text: score N random test windows, drawn once; 0 = every non-overlapping "
                 "window"},
        {"--any-size", NULL, CLI_SETS(&c->strict_sizes, 0),
         .help = "image data: accept record counts other than the official ones"},
        {"--no-augment", NULL, CLI_SETS(&c->de.augment, 0),
         .help = "no \"basic\" augmentation in DE training (cifar10, imagenette)"},
        {"--data", "FILE", CLI_BUFFER(c->data),
         .help = "data file (UCI: whitespace-separated numbers, no header). Without --data: "
                 "the built-in 1-D regression example with a gap in the inputs (400 rows; "
                 "defaults 8 members, warm-up 30000, samples 5000, thin 10, batch 32), plus "
                 "predictive.csv, data.csv, plot.gp and predictive.png (gnuplot) in the "
                 "output directory"},
        {"--sampler", "NAME", CLI_LOOKUP(&a->sampler, cli_lookup_sampler, CLI_SAMPLER_NAMES),
         .help = "mclmc (default for tables: full batch, MILE tuning), psmile-auto (default "
                 "for uci and the built-in example; settling step-size tuner, docs/method.md), "
                 "smile-auto, psmile-naive (default for the image and text tasks), "
                 "smile-naive, smile, psmile, sgld, csgld, sghmc, adasghmc"},
        {"--members", "K", CLI_INT_IN(&c->members, 1, 4096), .flags = SHOW,
         .help = "DE members = chains"},
        {"--warmup", "N", CLI_I64_IN(&c->warmup, 0, INT64_C(1) << 40), .flags = SHOW,
         .help = "warm-up steps per chain (tables: cut with S on large ones, docs/peer_bde.md)"},
        {"--samples", "N", CLI_I64_IN(&c->samples, 1, INT64_C(1) << 40), .flags = SHOW,
         .help = "sampling steps per chain"},
        {"--thin", "T", CLI_INT_IN(&c->thin, 1, INT32_MAX), .flags = SHOW,
         .help = "keep every T-th sampling step"},
        {"--batch", "B", CLI_SIZE_IN(&c->batch, 1, INT64_C(1) << 32), .flags = SHOW,
         .help = "sampler mini-batch size"},
        {"--step-size", "EPS", CLI_POSITIVE(&a->step_size), .flags = SHOW,
         .help = "(initial) step size"},
        {"--seed", "S", CLI_U64_ANY(&c->seed), .flags = SHOW,
         .help = "run seed: split, initialisations, batches, noise"},
        {"--threads", "T", CLI_INT_IN(&a->threads, 0, 4096), .def = "0 = all cores",
         .help = "threads over members/chains; results are identical for every T"},
        {"--out", "DIR", CLI_BUFFER(c->out), .def = "fit-<data>-<sampler>-s<seed>",
         .help = "output directory"},
        {"--json", NULL, CLI_SETS(&a->json, 1), .help = "print metrics.json to stdout at the end"},
        {"--quiet", NULL, CLI_SETS(&a->quiet, 1), .help = "no progress bar"},
        {"--resume", NULL, CLI_SETS(&a->resume, 1),
         .help = "continue the interrupted run in --out DIR (settings from DIR/config.json)"},
        {"--scale", "M", CLI_ONE_OF(&a->scale, scale_names, scale_values), .def = "floor",
         .help = "likelihood scale of a mini-batch: floor (n_b = floor(N/B), as the reference "
                 "implementation; docs/experiments.md) or n-over-b (N/B)"},
        {"--reference-batching", NULL, CLI_SETS(&c->reference_batching, 1),
         .help = "batches from the first n_b*B indices only, as the reference implementation"},
        {"--likelihood", "L", CLI_ONE_OF(&a->likelihood, lik_names, lik_values),
         .def = "hetero; uci: homo", .help = "homo (SMILE model) or hetero (MILE model)"},
        {"--sigma-link", "F", CLI_ONE_OF(&a->sigma_link, link_names, link_values), .def = "softplus; "
         "uci and presets: exp", .help = "hetero: sigma from the second output e: exp (e^e, the "
         "MILE model) or softplus (log(1 + e^e) + 1e-6, bde's; docs/method.md)"},
        {"--student-df", "NU", CLI_REAL_IN(&c->student_df, 0, 1000, 0), .def = "5; uci and "
         "presets: 0", .help = "hetero noise: 0 Gaussian, NU in (2, 1000] Student-t (heavy "
         "tails; docs/method.md)"},
        {"--de-from", "DIR", CLI_BUFFER(c->de_from),
         .help = "reuse the deep ensemble of the earlier run in DIR (same data, seed, members, "
                 "model and DE options: checked) instead of training it again, e.g. several "
                 "samplers from one DE"},
        {"--de-epochs", "N", CLI_INT_IN(&c->de.max_epochs, 0, 1000000), .flags = SHOW,
         .help = "DE max epochs"},
        {"--de-patience", "P", CLI_INT_IN(&c->de.patience, 1, 1000000), .flags = SHOW,
         .help = "DE early-stopping patience"},
        {"--de-lr", "LR", CLI_POSITIVE(&a->de_lr), .flags = SHOW,
         .help = "DE AdamW learning rate, constant"},
        {"--de-wd", "WD", CLI_NONNEG(&c->de.weight_decay), .flags = SHOW,
         .help = "DE AdamW weight decay"},
        {"--de-batch", "B", CLI_SIZE_IN(&c->de.batch, 0, INT64_C(1) << 32), .flags = SHOW,
         .help = "DE batch size (0: all training rows, full batch)"},
        {"--de-beta2", "B2", CLI_REAL_IN(&c->de.beta2, 0, 1, CLI_HI_OPEN), .def = "0.999; text 0.95",
         .help = "DE AdamW beta2"},
        {"--reference-restore", NULL, CLI_SETS(&c->de.reference_restore, 1),
         .help = "restore the best DE parameters only if a member stopped early, as the "
                 "reference implementation"},
        {"--precond-floor", "K", CLI_REAL_IN(&a->precond_floor, 0, 1, CLI_HI_OPEN), .flags = SHOW,
         .help = "preconditioned samplers: raise each noise scale to at least K times their "
                 "RMS (0 = the reference implementation's clip only; docs/method.md)"},
        {"--auto-target", "V", CLI_POSITIVE(&a->auto_target), .flags = SHOW,
         .help = "smile-auto/psmile-auto: target E[dE_b^2]/d"},
        {"--mclmc-target-start", "V", CLI_POSITIVE(&a->mclmc_t0), .flags = SHOW,
         .help = "mclmc warm-up: target Var[dE]/d at its start (MILE tuning; docs/method.md)"},
        {"--mclmc-target-end", "V", CLI_POSITIVE(&a->mclmc_t1), .flags = SHOW,
         .help = "mclmc warm-up: target Var[dE]/d reached (linearly from the start value) after 90 % of the warm-up"},
        {"--auto-reset-factor", "R", CLI_REAL_IN(&a->auto_reset, 1, INFINITY, CLI_LO_OPEN),
         .flags = SHOW, .help = "smile-auto/psmile-auto: reset when dE_b^2 > R*d*target"},
        {"--include-diverged", NULL, CLI_SETS(&c->include_diverged, 1),
         .help = "pool diverged members too (default: excluded, see \"divergence_rule\" in "
                 "metrics.json)"},
        {"--trace-every", "N", CLI_INT_IN(&c->trace_every, 1, INT32_MAX), .flags = SHOW,
         .help = "trace_<k>.csv: every N-th step plus every reset"},
        {"--checkpoint-seconds", "S", CLI_POSITIVE(&c->checkpoint_seconds), .flags = SHOW,
         .help = "per-chain checkpoint interval"},
    };
    _Static_assert(CLI_N(rows) <= FIT_MAX_OPTS, "FIT_MAX_OPTS too small");
    memcpy(t, rows, sizeof rows);
    return CLI_N(rows);
}

/* Help: the presets, each with its summary. */
static void print_presets(FILE *f) {
    fprintf(f, "presets (--preset NAME):\n");
    const char *sum;
    for (size_t i = 0; smile_fit_preset_name(i, &sum); i++) {
        fprintf(f, "  %s\n      ", smile_fit_preset_name(i, NULL));
        cli_wrap(f, sum, 6, 6);
    }
}

static void fit_command(cli_cmd *cmd, cli_opt *rows, smile_fit_config *c, fit_args *a) {
    memset(cmd, 0, sizeof *cmd);
    cmd->name = "fit";
    cmd->usage2 = "--resume --out DIR [--threads T] [--json] [--quiet]";
    cmd->prologue =
        "Trains a deep ensemble (DE), starts one sampler chain at every member, samples,\n"
        "and evaluates both the DE and the pooled samples on the test rows (metrics in\n"
        "the standardised target space; protocol: docs/experiments.md). The output\n"
        "directory is a model: `smile predict DIR --data NEW.csv` predicts with it.\n"
        "\n"
        "Your own table (CSV, semicolon, tab or blank separated; header detected):\n"
        "  smile fit --data houses.csv --target price --out houses-fit\n"
        "  smile fit --data train.csv --test test.csv --target price --hidden 32,32\n"
        "  smile fit --data patients.tsv --target outcome --drop id   (text target: classes)\n"
        "  smile predict houses-fit --data new_houses.csv --interval 0.9 --out pred.csv\n"
        "Text-valued input columns are one-hot encoded; inputs and a numeric target are\n"
        "standardised with the training rows' statistics. The UCI files of the paper\n"
        "(*.data) and --task uci keep the paper's protocol. The defaults shown are those\n"
        "of tables.\n";
    cmd->extra = print_presets;
    cmd->epilogue =
        "Output (all files written atomically): config.json, layout.json, de_members.npy,\n"
        "samples/member_<k>.npy (float32 [S/thin, d]), trace_<k>.csv, run.json, metrics.json\n"
        "({\"de\": {...}, \"ensemble\": {...}, \"members\": [...]}), model.json (model,\n"
        "transforms, pooled members: what prediction needs) and, for tables,\n"
        "predictions_test.csv (the columns of `smile predict` for the test rows).\n"
        "Exit status: 0 ok, 2 bad input, 1 runtime failure, 130 interrupted (resumable).\n";
    cmd->opts = rows;
    cmd->n_opts = fit_rows(rows, c, a);
}

/* The defaults that the task or the preset decide, before the explicit
 * options are applied over them; returns CLI_CONTINUE or 2. */
static int fit_defaults(const cli_cmd *cmd, const fit_args *a, const char *data,
                        smile_fit_config *cfg) {
    const int have_task = cli_given(cmd, "--task");
    const int builtin = !cli_given(cmd, "--data") && !a->resume;
    /* a file without --task or --preset is a user's table, except the UCI files
     * of the paper (*.data, *.dat), which keep the paper's protocol */
    const char *dot = strrchr(data, '.');
    const int uci_file = dot && (!strcmp(dot, ".data") || !strcmp(dot, ".dat"));
    const smile_data_task task0 = have_task                              ? task_of(a->task)
                                  : builtin || a->preset || uci_file     ? SMILE_DATA_UCI
                                                                         : SMILE_DATA_TABLE;
    *cfg = smile_fit_config_default(task0);
    if (builtin && task0 == SMILE_DATA_UCI && !a->preset) builtin_defaults(cfg);
    if (!a->preset) return CLI_CONTINUE;
    char pm[512] = "";
    if (smile_fit_config_preset(a->preset, cfg, pm, sizeof pm) != SMILE_OK) return bad("%s", pm);
    if (have_task && cfg->task != task0)
        return bad("--preset %s is for --task %s, not --task %s", a->preset,
                   smile_data_task_name(cfg->task), smile_data_task_name(task0));
    if (builtin) return bad("--preset %s needs --data FILE", a->preset);
    return CLI_CONTINUE;
}

/* Options applied after parsing, in this order whatever their order on the
 * command line. */
static void fit_apply(const cli_cmd *cmd, const fit_args *a, smile_fit_config *cfg) {
    /* a sampler or DE option keeps the table row for a classification table too */
    static const char *const own_row[] = {
        "--sampler",    "--step-size",   "--batch",         "--sample-rows",       "--de-epochs",
        "--de-patience", "--de-lr",      "--de-wd",         "--de-batch",          "--de-beta2",
        "--precond-floor", "--auto-target", "--auto-reset-factor", "--reference-restore",
        "--mclmc-target-start", "--mclmc-target-end"};
    for (size_t i = 0; i < CLI_N(own_row); i++)
        if (cli_given(cmd, own_row[i])) cfg->class_row = 0;
    if (cli_given(cmd, "--members") || cli_given(cmd, "--warmup"))
        cfg->class_row &= ~SMILE_CLASS_ROW_RUN; /* the user's K and W stay */
    if (cli_given(cmd, "--warmup") || cli_given(cmd, "--samples"))
        cfg->sample_budget = 0; /* so do the user's W and S */
    if (cli_given(cmd, "--task")) {
        cfg->task = task_of(a->task);
        if (a->task >= TASK_TABLE_BASE) cfg->table_task = a->task - TASK_TABLE_BASE;
    }
    if (cli_given(cmd, "--model")) cfg->model = (smile_model_kind)a->model;
    if (cli_given(cmd, "--activation")) cfg->activation = (smile_activation)a->activation;
    if (cli_given(cmd, "--scale")) cfg->scale = (smile_scale_mode)a->scale;
    if (cli_given(cmd, "--likelihood")) cfg->likelihood = (smile_likelihood_kind)a->likelihood;
    if (cli_given(cmd, "--sigma-link")) cfg->sigma_link = (smile_sigma_link)a->sigma_link;
    if (cli_given(cmd, "--sampler")) { /* the algorithm's defaults; the step size stays */
        const smile_sampler_kind k = (smile_sampler_kind)a->sampler;
        const double eps = cfg->sampler.step_size;
        cfg->sampler = smile_sampler_params_default(k);
        cfg->sampler.step_size = eps;
        if (k == SMILE_SAMPLER_CSGLD) cfg->sampler.schedule.eps0 = eps;
    }
    if (cli_given(cmd, "--step-size")) {
        cfg->sampler.step_size = a->step_size;
        if (cfg->sampler.kind == SMILE_SAMPLER_CSGLD) cfg->sampler.schedule.eps0 = a->step_size;
    }
    if (cli_given(cmd, "--de-lr")) {
        cfg->de.lr.kind = SMILE_LR_CONSTANT;
        cfg->de.lr.lr = a->de_lr;
    }
    if (cli_given(cmd, "--precond-floor")) cfg->sampler.precond_floor = a->precond_floor;
    if (cli_given(cmd, "--auto-target")) cfg->sampler.auto_target = a->auto_target;
    if (cli_given(cmd, "--auto-reset-factor")) cfg->sampler.auto_reset_factor = a->auto_reset;
    if (cli_given(cmd, "--mclmc-target-start")) cfg->sampler.mclmc_target_start = a->mclmc_t0;
    if (cli_given(cmd, "--mclmc-target-end")) cfg->sampler.mclmc_target_end = a->mclmc_t1;
}

/* Options that only one kind of task reads: given with another task, they
 * would be ignored silently, so they are refused (CLI_CONTINUE or 2). */
static int task_options(const cli_cmd *cmd, smile_data_task task) {
#define TB(t) (1u << (t))
    const unsigned images = TB(SMILE_DATA_FMNIST) | TB(SMILE_DATA_CIFAR10) | TB(SMILE_DATA_IMAGENETTE);
    static const char *const table[] = {"--target", "--features", "--drop", "--header",
                                        "--missing", "--test", "--valid", "--split"};
    static const char *const text[] = {"--gpt-layers", "--gpt-width", "--gpt-heads",
                                       "--context", "--gpt-pre-ln", "--eval-windows"};
    static const char *const image[] = {"--any-size", "--no-augment"};
    const struct { const char *const *names; size_t n; unsigned tasks; const char *what; } only[] = {
        {table, CLI_N(table), TB(SMILE_DATA_TABLE), "tables (--task table, regress or classify)"},
        {text, CLI_N(text), TB(SMILE_DATA_TEXT), "--task text"},
        {image, CLI_N(image), images, "the image tasks (fmnist, cifar10, imagenette)"},
    };
#undef TB
    for (size_t g = 0; g < CLI_N(only); g++)
        for (size_t i = 0; i < only[g].n; i++)
            if (cli_given(cmd, only[g].names[i]) && !(only[g].tasks & (1u << task)))
                return bad("%s: only for %s, not --task %s", only[g].names[i], only[g].what,
                           smile_data_task_name(task));
    return CLI_CONTINUE;
}

/* Comma-separated numbers of s into v[max]; returns the count, or -1. */
static int number_list(const char *s, double *v, int max) {
    int n = 0;
    while (*s) {
        char *e;
        errno = 0;
        double x = strtod(s, &e);
        if (e == s || errno || !isfinite(x) || n == max || (*e && *e != ',')) return -1;
        v[n++] = x;
        s = *e ? e + 1 : e;
        if (*e && !*s) return -1;
    }
    return n;
}

/* --hidden and --split; CLI_CONTINUE or 2. */
static int fit_lists(const fit_args *a, smile_fit_config *cfg) {
    if (a->hidden) {
        double w[SMILE_MODEL_MAX_HIDDEN];
        int n = number_list(a->hidden, w, SMILE_MODEL_MAX_HIDDEN);
        if (n < 1)
            return bad("--hidden: '%s' is not a list of 1 to %d layer widths, e.g. 64,64",
                       a->hidden, SMILE_MODEL_MAX_HIDDEN);
        for (int i = 0; i < n; i++)
            if (!(w[i] >= 1 && w[i] <= 1e6) || w[i] != floor(w[i]))
                return bad("--hidden: width %g must be a whole number in 1..1000000", w[i]);
        cfg->n_hidden = (size_t)n;
        for (int i = 0; i < n; i++) cfg->hidden[i] = (size_t)w[i];
    }
    if (a->split) {
        double f[3];
        int n = number_list(a->split, f, 3);
        if (n < 2 || !(f[0] > 0 && f[1] > 0) || (n == 3 && !(f[2] > 0)) ||
            (n == 3 && fabs(f[0] + f[1] + f[2] - 1) > 1e-9) || (n == 2 && f[0] + f[1] > 1))
            return bad("--split: '%s' is not training,validation[,test] fractions > 0 "
                       "adding up to 1, e.g. 0.7,0.1,0.2",
                       a->split);
        cfg->split_train = f[0];
        cfg->split_valid = f[1];
    }
    return CLI_CONTINUE;
}

/* --resume takes every setting from DIR/config.json: the first option given
 * that would change a result (in command-line order), or NULL. */
static const char *result_option(const cli_cmd *cmd) {
    static const char *const runtime_only[] = {"--out", "--threads", "--json", "--quiet",
                                               "--resume"};
    const cli_opt *first = NULL;
    for (size_t i = 0; i < cmd->n_opts; i++) {
        const cli_opt *o = &cmd->opts[i];
        int allowed = 0;
        for (size_t j = 0; j < CLI_N(runtime_only); j++) allowed |= !strcmp(o->name, runtime_only[j]);
        if (o->at && !allowed && (!first || o->at < first->at)) first = o;
    }
    return first ? first->name : NULL;
}

/* Parses the command line into cfg and a: first against the table defaults
 * (every check, --help, --version), then again over the defaults of the task
 * or preset found, so that explicit options override those in any order. */
static int fit_parse(int argc, char **argv, smile_fit_config *cfg, fit_args *a) {
    cli_opt rows[FIT_MAX_OPTS];
    cli_cmd cmd;
    smile_fit_config scratch = smile_fit_config_default(SMILE_DATA_TABLE);
    memset(a, 0, sizeof *a);
    a->task = SMILE_DATA_UCI;
    a->step_size = scratch.sampler.step_size; /* shown as defaults in the help */
    a->de_lr = scratch.de.lr.lr;
    a->precond_floor = scratch.sampler.precond_floor;
    a->auto_target = scratch.sampler.auto_target;
    a->auto_reset = scratch.sampler.auto_reset_factor;
    a->mclmc_t0 = scratch.sampler.mclmc_target_start;
    a->mclmc_t1 = scratch.sampler.mclmc_target_end;
    fit_command(&cmd, rows, &scratch, a);
    int rc = cli_parse(&cmd, argc, argv);
    if (rc != CLI_CONTINUE) return rc;
    if ((rc = fit_defaults(&cmd, a, scratch.data, cfg)) != CLI_CONTINUE) return rc;
    fit_command(&cmd, rows, cfg, a);
    if ((rc = cli_parse(&cmd, argc, argv)) != CLI_CONTINUE) return rc; /* cannot fail now */
    fit_apply(&cmd, a, cfg);
    if (cli_given(&cmd, "--sigma-link") && cfg->likelihood != SMILE_LIK_GAUSS_HETERO)
        return bad("--sigma-link: only for the heteroscedastic likelihood (--likelihood hetero)");
    if (cli_given(&cmd, "--student-df") && cfg->student_df != 0 &&
        (cfg->likelihood != SMILE_LIK_GAUSS_HETERO || !(cfg->student_df > 2)))
        return bad("--student-df: 0, or above 2 with the heteroscedastic likelihood (--likelihood "
                   "hetero)");
    if (!a->resume && (rc = task_options(&cmd, cfg->task)) != CLI_CONTINUE) return rc;
    if ((rc = fit_lists(a, cfg)) != CLI_CONTINUE) return rc;
    if (a->resume) {
        if (!cli_given(&cmd, "--out")) return bad("--resume needs --out DIR");
        const char *r = result_option(&cmd);
        if (r)
            return bad("%s: --resume takes every setting from DIR/config.json; pass only --out, "
                       "--threads, --json, --quiet",
                       r);
    } else if (!cli_given(&cmd, "--out")) {
        default_out(cfg);
    }
    return CLI_CONTINUE;
}

/* --resume: the settings of the run in cfg->out. Returns CLI_CONTINUE, or an
 * exit code: 0 when the run is complete already (its summary printed). */
static int fit_resume(smile_fit_config *cfg, const fit_args *a) {
    char out[SMILE_FIT_PATH_MAX], msg[1024] = "";
    snprintf(out, sizeof out, "%s", cfg->out);
    if (file_exists(out, "metrics.json") && !file_exists(out, "checkpoint")) {
        /* finished run: nothing to do */
        char *mp = smile_path_join(out, "metrics.json"), *text = NULL;
        size_t len = 0;
        smile_status st = mp ? smile_read_file(mp, &text, &len, msg, sizeof msg) : SMILE_ENOMEM;
        free(mp);
        if (st != SMILE_OK) return bad("%s", msg);
        if (!a->quiet) fprintf(stderr, "smile fit: %s: run already complete\n", out);
        int bad_json = cli_print_metrics(text, a->json);
        free(text);
        if (bad_json) return bad("%s/metrics.json: not valid JSON", out);
        return 0;
    }
    smile_status st = smile_fit_config_load(out, cfg, msg, sizeof msg);
    if (st != SMILE_OK) return bad("--resume: %s", msg);
    snprintf(cfg->out, sizeof cfg->out, "%s", out);
    return CLI_CONTINUE;
}

/* Opens and runs the fit, then prints its report. */
static int fit_run(const smile_fit_config *cfg, smile_fit_runtime *rt, const fit_args *a) {
    char msg[1024] = "";
    progress_state ps = {!a->quiet && isatty(2), 0};
    rt->progress = on_progress;
    rt->progress_user = &ps;
    rt->stop = (volatile const int *)&g_stop;
    smile_fit *f = NULL;
    smile_status st = smile_fit_open(&f, cfg, rt, msg, sizeof msg);
    if (st != SMILE_OK) {
        if (st == SMILE_ENOMEM) {
            fprintf(stderr, "smile fit: %s\n", msg);
            return 1;
        }
        return bad("%s", msg);
    }
    for (const char *n = smile_fit_notes(f); *n;) { /* adjustments, one line each */
        const char *e = strchr(n, '\n');
        fprintf(stderr, "smile fit: note: %.*s\n", (int)(e ? e - n : (long)strlen(n)), n);
        n = e ? e + 1 : n + strlen(n);
    }
    if (g_stop) {
        smile_fit_free(f);
        fprintf(stderr, "smile fit: interrupted before the run started; nothing written\n");
        return 130;
    }
    int n = snprintf(g_again, sizeof g_again,
                     "\nsmile fit: interrupted again: stopped at once; continue with: smile fit "
                     "--resume --out %s\n", cfg->out);
    g_again_len = n > 0 && (size_t)n < sizeof g_again ? n : 0;
    char *metrics = NULL;
    st = smile_fit_execute(f, &metrics, msg, sizeof msg);
    smile_fit_free(f);
    if (st == SMILE_EINTERRUPTED) {
        fprintf(stderr, "\nsmile fit: interrupted; continue with: smile fit --resume --out %s\n",
                cfg->out);
        return 130;
    }
    if (st != SMILE_OK) {
        fprintf(stderr, "smile fit: %s\n", msg[0] ? msg : smile_status_str(st));
        return 1;
    }
    cli_print_metrics(metrics, a->json);
    fflush(stdout);
    if (cli_rank() != 0) { /* pictures: rank 0 */
        free(metrics);
        return 0;
    }
    if (!strcmp(cfg->data, SMILE_FIT_BUILTIN))
        cli_fit_plot_builtin(cfg->out, smile_sampler_name(cfg->sampler.kind), a->quiet);
    if (cfg->task == SMILE_DATA_TABLE) { /* calibration / reliability pictures */
        char csv[SMILE_FIT_PATH_MAX + 32], mj[SMILE_FIT_PATH_MAX + 32];
        snprintf(csv, sizeof csv, "%s/predictions_test.csv", cfg->out);
        snprintf(mj, sizeof mj, "%s/metrics.json", cfg->out);
        cli_plot_predictions(cfg->out, csv, mj, a->quiet);
    }
    free(metrics);
    return 0;
}

int smile_cmd_fit(int argc, char **argv) {
    smile_fit_config cfg;
    fit_args a;
    int rc = fit_parse(argc, argv, &cfg, &a);
    if (rc != CLI_CONTINUE) return rc;
    /* SIGINT/SIGTERM: stop at the next step boundary after a checkpoint.
     * Installed before any file is read, so that no early signal is lost. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    smile_fit_runtime rt;
    memset(&rt, 0, sizeof rt);
    rt.threads = a.threads;
    rt.resume = a.resume;
    rt.comm = cli_comm(); /* the ranks share the members (one rank without MPI) */
    if (a.resume && (rc = fit_resume(&cfg, &a)) != CLI_CONTINUE) return rc;
    return fit_run(&cfg, &rt, &a);
}
