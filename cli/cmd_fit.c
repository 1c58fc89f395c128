/* smile fit — the end-to-end pipeline (issue 4): data → deep ensemble →
 * SMILE-family sampling from every member → metrics of both phases.
 * Defaults are the spec's UCI settings (experiments.md §2.5, §2.6).
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
#include "smile_fit.h"
#include "io/io.h" /* atomic writes of the built-in example's plot script */

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void help(FILE *f) {
    smile_fit_config d = smile_fit_config_default(SMILE_DATA_UCI);
    /* the preset list with one line each (name, spec section and settings) */
    char presets[4096];
    size_t o = 0;
    presets[0] = 0;
    const char *sum;
    for (size_t i = 0; smile_fit_preset_name(i, &sum) && o < sizeof presets; i++)
    {
        /* name on its own line, the summary word-wrapped below it */
        o += (size_t)snprintf(presets + o, sizeof presets - o, "    %s\n",
                              smile_fit_preset_name(i, NULL));
        const char *w = sum;
        while (*w && o < sizeof presets) {
            size_t len = strlen(w), cut = len;
            if (len > 62) {
                cut = 62;
                while (cut > 0 && w[cut] != ' ') cut--;
                if (cut == 0) cut = 62;
            }
            o += (size_t)snprintf(presets + o, sizeof presets - o, "        %.*s\n", (int)cut, w);
            w += cut;
            while (*w == ' ') w++;
        }
    }
    fprintf(f,
"usage: smile fit --task {uci,fmnist,cifar10,imagenette,text} --data FILE\n"
"                 [--preset NAME] [--sampler NAME] [--members K]\n"
"                 [--warmup N] [--samples N] [--thin T] [--batch B] [--step-size EPS]\n"
"                 [--seed S] [--threads T] [--out DIR] [--json] [more options below]\n"
"       smile fit --resume --out DIR [--threads T] [--json] [--quiet]\n"
"\n"
"Trains a deep ensemble (DE), starts one sampler chain at every member, samples,\n"
"and evaluates both the DE and the pooled samples on the test split\n"
"(experiments.md §0.2; metrics in the standardised target space).\n"
"\n"
"options (defaults shown = the spec's UCI settings, experiments.md §2.5-2.6):\n"
"  --task T            uci (tables: target = last column; 70/10/20 split by seed),\n"
"                      fmnist (IDX folder, LeNet), cifar10 (binary folder or\n"
"                      .tar.gz, ResNet-7), imagenette (JPEG folder or .tgz, ViT),\n"
"                      text (UTF-8 characters, 90/5/5 split, GPT on random windows);\n"
"                      each task has the spec's defaults (experiments.md §3-6)\n"
"  --preset NAME       the paper's settings for one experiment (sets the task and\n"
"                      its defaults; explicit options override it in any order):\n"
"%s"
"  --model M           image tasks: lenet, resnet7, resnet18, vit\n"
"  --gpt-layers N, --gpt-width C, --gpt-heads H, --context T\n"
"                      text: GPT blocks, width (MLP 4C), heads (must divide C) and\n"
"                      window length (defaults 6, 384, 6, 256: experiments.md §6.2)\n"
"  --gpt-pre-ln        text: [proj] nanoGPT pre-LN block instead of the reference block\n"
"  --eval-windows N    text: score N random test windows, drawn once (default 128,\n"
"                      experiments.md §6.3 [ref]); 0 = every non-overlapping window\n"
"  --any-size          image data: accept record counts other than the official ones\n"
"  --no-augment        no \"basic\" augmentation in DE training (cifar10, imagenette)\n"
"  --data FILE         data file (UCI: whitespace-separated numbers, no header).\n"
"                      Without --data: the built-in 1-D regression example with a gap\n"
"                      in the inputs (400 rows; defaults 8 members, W 30000,\n"
"                      S 5000, B 32), plus predictive.csv, data.csv, plot.gp and\n"
"                      predictive.png (gnuplot) in the output directory\n"
"  --sampler NAME      psmile-auto (default for uci and the built-in example; [ours]\n"
"                      settling step-size tuner, docs/tuner.md), smile-auto,\n"
"                      psmile-naive (default for the image and text tasks),\n"
"                      smile-naive, smile, psmile, mclmc, sgld, csgld, sghmc, adasghmc\n"
"  --members K         DE members = chains (default %d)\n"
"  --warmup N          warm-up steps per chain (default %lld)\n"
"  --samples N         sampling steps per chain (default %lld)\n"
"  --thin T            keep every T-th sampling step (default %d)\n"
"  --batch B           sampler mini-batch size (default %zu)\n"
"  --step-size EPS     (initial) step size (default %g)\n"
"  --seed S            run seed: split, initialisations, batches, noise (default %llu)\n"
"  --threads T         threads over members/chains (default 0 = all cores);\n"
"                      results are identical for every T\n"
"  --out DIR           output directory (default fit-<data>-<sampler>-s<seed>)\n"
"  --json              print metrics.json to stdout at the end\n"
"  --quiet             no progress bar\n"
"  --resume            continue the interrupted run in --out DIR (settings from\n"
"                      DIR/config.json)\n"
"  --scale M           likelihood scale: floor (default, n_b = floor(N/B) [ref],\n"
"                      experiments.md §0.3) or n-over-b (N/B)\n"
"  --reference-batching  [ref] batches from the first n_b*B indices only\n"
"  --likelihood L      homo (SMILE model, default) or hetero (MILE model)\n"
"  --de-from DIR       reuse the deep ensemble of the earlier run in DIR (same data,\n"
"                      seed, members, model and DE options: checked) instead of\n"
"                      training it again, e.g. several samplers from one DE\n"
"  --de-epochs N       DE max epochs (default %d)\n"
"  --de-patience P     DE early-stopping patience (default %d)\n"
"  --de-lr LR          DE AdamW learning rate, constant (default %g)\n"
"  --de-wd WD          DE AdamW weight decay (default %g)\n"
"  --de-batch B        DE batch size (default %zu)\n"
"  --de-beta2 B2       DE AdamW beta2 (default 0.999; text 0.95)\n"
"  --reference-restore [ref] restore best DE parameters only if a member stopped early\n"
"  --precond-floor K   [ours] preconditioned samplers: raise each noise scale to at\n"
"                      least K times their RMS (default 0.01; 0 = reference clip only)\n"
"  --auto-target V     smile-auto/psmile-auto: target E[dE_b^2]/d (default 3e-3)\n"
"  --auto-reset-factor R  smile-auto/psmile-auto: reset when dE_b^2 > R*d*target (1e6)\n"
"  --include-diverged  pool diverged members too (default: excluded, see metrics.json\n"
"                      \"divergence_rule\")\n"
"  --trace-every N     trace_<k>.csv: every N-th step plus every reset (default %d)\n"
"  --checkpoint-seconds S  per-chain checkpoint interval (default %g)\n"
"  -h, --help          this help\n"
"\n"
"Output (all files written atomically): config.json, layout.json, de_members.npy,\n"
"samples/member_<k>.npy (float32 [S/thin, d]), trace_<k>.csv, run.json, metrics.json\n"
"({\"de\": {...}, \"ensemble\": {...}, \"members\": [...]}).\n"
"Exit status: 0 ok, 2 bad input, 1 runtime failure, 130 interrupted (resumable).\n",
            presets, d.members, (long long)d.warmup, (long long)d.samples, d.thin, d.batch,
            d.sampler.step_size, (unsigned long long)d.seed, d.de.max_epochs, d.de.patience,
            d.de.lr.lr, d.de.weight_decay, d.de.batch, d.trace_every, d.checkpoint_seconds);
}

#define bad(...) cli_bad("smile fit", __VA_ARGS__)
#define parse_i64 cli_parse_i64
#define parse_u64 cli_parse_u64
#define parse_pos cli_parse_pos

static volatile sig_atomic_t g_stop;
_Static_assert(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t is passed as int");

static void on_signal(int sig) {
    (void)sig;
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

static double jnum(const cJSON *o, const char *k) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

/* Table of the headline metrics of both phases. */
void smile_fit_print_summary(FILE *f, const cJSON *m);
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

/* Prints metrics.json's text as JSON or as the summary table; 0 on success. */
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

/* gnuplot script and PNG of the built-in example (skipped without gnuplot). */
static void plot_builtin(const smile_fit_config *c, int quiet) {
    char *gp = smile_path_join(c->out, "plot.gp");
    char *png = smile_path_join(c->out, "predictive.png");
    char *pred = smile_path_join(c->out, "predictive.csv");
    char *data = smile_path_join(c->out, "data.csv");
    if (!gp || !png || !pred || !data || strchr(c->out, '\'') || strchr(c->out, '"')) {
        if (!quiet) fprintf(stderr, "smile fit: cannot write the plot script for %s\n", c->out);
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
        png, smile_sampler_name(c->sampler.kind), pred, smile_sampler_name(c->sampler.kind),
        smile_sampler_name(c->sampler.kind), data);
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

int smile_cmd_fit(int argc, char **argv) {
    /* the task decides the defaults: find it first (validated again below) */
    smile_data_task task0 = SMILE_DATA_UCI;
    int builtin = 1, have_task = 0;
    const char *preset = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) break;
        if (!strcmp(argv[i], "--data") || !strcmp(argv[i], "--resume")) builtin = 0;
        if (!strcmp(argv[i], "--task") && i + 1 < argc) {
            have_task = 1;
            if (smile_data_task_from_name(argv[i + 1], &task0) != SMILE_OK) task0 = SMILE_DATA_UCI;
        }
        if (!strcmp(argv[i], "--preset") && i + 1 < argc) preset = argv[i + 1];
    }
    if (task0 == SMILE_DATA_AUTO) task0 = SMILE_DATA_UCI;
    smile_fit_config cfg = smile_fit_config_default(task0);
    if (builtin && task0 == SMILE_DATA_UCI && !preset) builtin_defaults(&cfg);
    if (preset) {
        /* the preset sets the task defaults; every explicit option below
         * overrides it, whatever the order on the command line */
        char pm[512] = "";
        if (smile_fit_config_preset(preset, &cfg, pm, sizeof pm) != SMILE_OK) return bad("%s", pm);
        if (have_task && cfg.task != task0)
            return bad("--preset %s is for --task %s, not --task %s", preset,
                       smile_data_task_name(cfg.task), smile_data_task_name(task0));
        if (builtin) return bad("--preset %s needs --data FILE", preset);
    }
    /* SIGINT/SIGTERM: stop at the next step boundary after a checkpoint.
     * Installed first, so that no early signal is lost. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    smile_fit_runtime rt;
    memset(&rt, 0, sizeof rt);
    int json = 0, quiet = 0, have_data = 0, have_out = 0, n_result_opts = 0;
    double precond_floor = -1, auto_target = -1, auto_reset = -1; /* applied after --sampler */
    const char *first_result_opt = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (!strcmp(a, "--resume")) { rt.resume = 1; continue; }
        if (!strcmp(a, "--reference-batching") || !strcmp(a, "--reference-restore") ||
            !strcmp(a, "--include-diverged") || !strcmp(a, "--any-size") ||
            !strcmp(a, "--no-augment") || !strcmp(a, "--gpt-pre-ln")) {
            if (!strcmp(a, "--reference-batching")) cfg.reference_batching = 1;
            else if (!strcmp(a, "--gpt-pre-ln")) cfg.gpt_pre_ln = 1;
            else if (!strcmp(a, "--reference-restore")) cfg.de.reference_restore = 1;
            else if (!strcmp(a, "--any-size")) cfg.strict_sizes = 0;
            else if (!strcmp(a, "--no-augment")) cfg.de.augment = 0;
            else cfg.include_diverged = 1;
            if (!first_result_opt) first_result_opt = a;
            n_result_opts++;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) return bad("unexpected argument '%s'", a);
        if (i + 1 >= argc) return bad("%s needs a value", a);
        const char *v = argv[++i];
        int64_t iv;
        double dv;
        if (!strcmp(a, "--threads")) {
            if (parse_i64(v, 0, 4096, &iv)) return bad("--threads: '%s' is not an integer in 0..4096", v);
            rt.threads = (int)iv;
            continue;
        }
        if (!strcmp(a, "--out")) {
            if (!*v || strlen(v) >= sizeof cfg.out) return bad("--out: bad directory name");
            snprintf(cfg.out, sizeof cfg.out, "%s", v);
            have_out = 1;
            continue;
        }
        if (!first_result_opt) first_result_opt = a;
        n_result_opts++;
        if (!strcmp(a, "--task")) {
            smile_data_task t;
            if (smile_data_task_from_name(v, &t) != SMILE_OK || t == SMILE_DATA_AUTO)
                return bad("--task: unknown task '%s' (uci, fmnist, cifar10, imagenette, text)", v);
            cfg.task = t;
        } else if (!strcmp(a, "--preset")) {
            /* applied before the loop (see above) */
        } else if (!strcmp(a, "--gpt-layers") || !strcmp(a, "--gpt-width") ||
                   !strcmp(a, "--gpt-heads") || !strcmp(a, "--context") ||
                   !strcmp(a, "--eval-windows")) {
            int64_t lo = !strcmp(a, "--eval-windows") ? 0 : 1;
            if (parse_i64(v, lo, 65536, &iv))
                return bad("%s: '%s' is not an integer in %lld..65536", a, v, (long long)lo);
            if (!strcmp(a, "--gpt-layers")) cfg.gpt_layers = (size_t)iv;
            else if (!strcmp(a, "--gpt-width")) cfg.gpt_width = (size_t)iv;
            else if (!strcmp(a, "--gpt-heads")) cfg.gpt_heads = (size_t)iv;
            else if (!strcmp(a, "--context")) cfg.context = (size_t)iv;
            else cfg.text_eval_windows = (size_t)iv;
        } else if (!strcmp(a, "--model")) {
            smile_model_kind mk;
            if (smile_model_kind_from_name(v, &mk) != SMILE_OK)
                return bad("--model: unknown model '%s' (fcn, lenet, resnet7, resnet18, vit)", v);
            cfg.model = mk;
        } else if (!strcmp(a, "--data")) {
            if (!*v || strlen(v) >= sizeof cfg.data) return bad("--data: bad file name");
            snprintf(cfg.data, sizeof cfg.data, "%s", v);
            have_data = 1;
        } else if (!strcmp(a, "--de-from")) {
            if (!*v || strlen(v) >= sizeof cfg.de_from) return bad("--de-from: bad directory name");
            snprintf(cfg.de_from, sizeof cfg.de_from, "%s", v);
        } else if (!strcmp(a, "--sampler")) {
            smile_sampler_kind k;
            if (smile_sampler_from_name(v, &k) != SMILE_OK)
                return bad("--sampler: unknown sampler '%s' (psmile-naive, smile-naive, smile, "
                           "psmile, mclmc, sgld, csgld, sghmc, adasghmc, psmile-auto, smile-auto)", v);
            double eps = cfg.sampler.step_size;
            cfg.sampler = smile_sampler_params_default(k);
            cfg.sampler.step_size = eps;
            if (k == SMILE_SAMPLER_CSGLD) cfg.sampler.schedule.eps0 = eps;
        } else if (!strcmp(a, "--members")) {
            if (parse_i64(v, 1, 4096, &iv)) return bad("--members: '%s' is not an integer in 1..4096", v);
            cfg.members = (int)iv;
        } else if (!strcmp(a, "--warmup")) {
            if (parse_i64(v, 0, INT64_C(1) << 40, &iv)) return bad("--warmup: '%s' is not an integer >= 0", v);
            cfg.warmup = iv;
        } else if (!strcmp(a, "--samples")) {
            if (parse_i64(v, 1, INT64_C(1) << 40, &iv)) return bad("--samples: '%s' is not an integer >= 1", v);
            cfg.samples = iv;
        } else if (!strcmp(a, "--thin")) {
            if (parse_i64(v, 1, INT32_MAX, &iv)) return bad("--thin: '%s' is not an integer >= 1", v);
            cfg.thin = (int)iv;
        } else if (!strcmp(a, "--batch")) {
            if (parse_i64(v, 1, INT64_C(1) << 32, &iv)) return bad("--batch: '%s' is not an integer >= 1", v);
            cfg.batch = (size_t)iv;
        } else if (!strcmp(a, "--precond-floor")) {
            if (parse_pos(v, &dv, 1) || dv >= 1) return bad("--precond-floor: '%s' is not a number in [0, 1)", v);
            precond_floor = dv;
        } else if (!strcmp(a, "--auto-reset-factor")) {
            if (parse_pos(v, &dv, 0) || dv <= 1) return bad("--auto-reset-factor: '%s' is not a number > 1", v);
            auto_reset = dv;
        } else if (!strcmp(a, "--auto-target")) {
            if (parse_pos(v, &dv, 0)) return bad("--auto-target: '%s' is not a positive number", v);
            auto_target = dv;
        } else if (!strcmp(a, "--step-size")) {
            if (parse_pos(v, &dv, 0)) return bad("--step-size: '%s' is not a positive number", v);
            cfg.sampler.step_size = dv;
            if (cfg.sampler.kind == SMILE_SAMPLER_CSGLD) cfg.sampler.schedule.eps0 = dv;
        } else if (!strcmp(a, "--seed")) {
            uint64_t s;
            if (parse_u64(v, &s)) return bad("--seed: '%s' is not an integer >= 0", v);
            cfg.seed = s;
        } else if (!strcmp(a, "--scale")) {
            if (!strcmp(v, "floor")) cfg.scale = SMILE_SCALE_FLOOR;
            else if (!strcmp(v, "n-over-b")) cfg.scale = SMILE_SCALE_N_OVER_B;
            else return bad("--scale: unknown mode '%s' (floor, n-over-b)", v);
        } else if (!strcmp(a, "--likelihood")) {
            if (!strcmp(v, "homo")) cfg.likelihood = SMILE_LIK_GAUSS_HOMO;
            else if (!strcmp(v, "hetero")) cfg.likelihood = SMILE_LIK_GAUSS_HETERO;
            else return bad("--likelihood: unknown likelihood '%s' (homo, hetero)", v);
        } else if (!strcmp(a, "--de-epochs")) {
            if (parse_i64(v, 0, 1000000, &iv)) return bad("--de-epochs: '%s' is not an integer >= 0", v);
            cfg.de.max_epochs = (int)iv;
        } else if (!strcmp(a, "--de-patience")) {
            if (parse_i64(v, 1, 1000000, &iv)) return bad("--de-patience: '%s' is not an integer >= 1", v);
            cfg.de.patience = (int)iv;
        } else if (!strcmp(a, "--de-lr")) {
            if (parse_pos(v, &dv, 0)) return bad("--de-lr: '%s' is not a positive number", v);
            cfg.de.lr.kind = SMILE_LR_CONSTANT;
            cfg.de.lr.lr = dv;
        } else if (!strcmp(a, "--de-wd")) {
            if (parse_pos(v, &dv, 1)) return bad("--de-wd: '%s' is not a number >= 0", v);
            cfg.de.weight_decay = dv;
        } else if (!strcmp(a, "--de-batch")) {
            if (parse_i64(v, 1, INT64_C(1) << 32, &iv)) return bad("--de-batch: '%s' is not an integer >= 1", v);
            cfg.de.batch = (size_t)iv;
        } else if (!strcmp(a, "--de-beta2")) {
            if (parse_pos(v, &dv, 1) || dv >= 1) return bad("--de-beta2: '%s' is not a number in [0, 1)", v);
            cfg.de.beta2 = dv;
        } else if (!strcmp(a, "--trace-every")) {
            if (parse_i64(v, 1, INT32_MAX, &iv)) return bad("--trace-every: '%s' is not an integer >= 1", v);
            cfg.trace_every = (int)iv;
        } else if (!strcmp(a, "--checkpoint-seconds")) {
            if (parse_pos(v, &dv, 0)) return bad("--checkpoint-seconds: '%s' is not a positive number", v);
            cfg.checkpoint_seconds = dv;
        } else {
            return bad("unknown option '%s' (see smile fit --help)", a);
        }
    }
    if (precond_floor >= 0) cfg.sampler.precond_floor = precond_floor;
    if (auto_target > 0) cfg.sampler.auto_target = auto_target;
    if (auto_reset > 0) cfg.sampler.auto_reset_factor = auto_reset;

    char msg[1024] = "";
    if (rt.resume) {
        if (!have_out) return bad("--resume needs --out DIR");
        if (n_result_opts)
            return bad("%s: --resume takes every setting from DIR/config.json; pass only --out, "
                       "--threads, --json, --quiet",
                       first_result_opt);
        char out[SMILE_FIT_PATH_MAX];
        snprintf(out, sizeof out, "%s", cfg.out);
        if (file_exists(out, "metrics.json") && !file_exists(out, "checkpoint")) {
            /* finished run: nothing to do */
            char *mp = smile_path_join(out, "metrics.json"), *text = NULL;
            size_t len = 0;
            smile_status st = smile_read_file(mp, &text, &len, msg, sizeof msg);
            free(mp);
            if (st != SMILE_OK) return bad("%s", msg);
            if (!quiet) fprintf(stderr, "smile fit: %s: run already complete\n", out);
            int bad_json = cli_print_metrics(text, json);
            free(text);
            if (bad_json) return bad("%s/metrics.json: not valid JSON", out);
            return 0;
        }
        smile_status st = smile_fit_config_load(out, &cfg, msg, sizeof msg);
        if (st != SMILE_OK) return bad("--resume: %s", msg);
        snprintf(cfg.out, sizeof cfg.out, "%s", out);
    } else {
        (void)have_data;
        if (!have_out) {
            const char *base = strrchr(cfg.data, '/');
            base = base ? base + 1 : cfg.data;
            char stem[256];
            snprintf(stem, sizeof stem, "%.200s", base);
            char *dot = strrchr(stem, '.');
            if (dot && dot != stem) *dot = 0;
            for (char *q = stem; *q; q++)
                if (*q == ':') *q = '-';
            snprintf(cfg.out, sizeof cfg.out, "fit-%s-%s-s%llu", stem,
                     smile_sampler_name(cfg.sampler.kind), (unsigned long long)cfg.seed);
        }
    }

    progress_state ps = {!quiet && isatty(2), 0};
    rt.progress = on_progress;
    rt.progress_user = &ps;
    rt.stop = (volatile const int *)&g_stop;

    smile_fit *f = NULL;
    smile_status st = smile_fit_open(&f, &cfg, &rt, msg, sizeof msg);
    if (st != SMILE_OK) {
        if (st == SMILE_ENOMEM) {
            fprintf(stderr, "smile fit: %s\n", msg);
            return 1;
        }
        return bad("%s", msg);
    }
    if (g_stop) {
        smile_fit_free(f);
        fprintf(stderr, "smile fit: interrupted before the run started; nothing written\n");
        return 130;
    }
    char *metrics = NULL;
    st = smile_fit_execute(f, &metrics, msg, sizeof msg);
    smile_fit_free(f);
    if (st == SMILE_EINTERRUPTED) {
        fprintf(stderr, "\nsmile fit: interrupted; continue with: smile fit --resume --out %s\n",
                cfg.out);
        return 130;
    }
    if (st != SMILE_OK) {
        fprintf(stderr, "smile fit: %s\n", msg[0] ? msg : smile_status_str(st));
        return 1;
    }
    cli_print_metrics(metrics, json);
    fflush(stdout);
    if (!strcmp(cfg.data, SMILE_FIT_BUILTIN)) plot_builtin(&cfg, quiet);
    free(metrics);
    return 0;
}
