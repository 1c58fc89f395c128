/*
 * smile bench-model — times gradient evaluations of the log posterior
 * (N(0,1) prior + s·mini-batch log-likelihood, docs/experiments.md) of one
 * model on random data, through the same sampler target the samplers call
 * (smile_posterior_logdensity). Also measures the OpenBLAS SGEMM rate (--sgemm),
 * which bench/peer_torch.py uses as the roofline reference.
 */
#include "args.h"
#include "cli.h"
#include "opts.h"
#include "smile_fit.h"
#include "core/core.h" /* smile_mul_size, smile_alloc_array */

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define now_s cli_wall_s
#define cpu_s cli_cpu_s
#define PFX "smile bench-model"
#define bad(...) cli_bad(PFX, __VA_ARGS__)

#define BM_MAX_BATCH (INT64_C(1) << 30)

typedef struct {
    int model, json, sgemm;
    const char *hidden;
    int64_t batch, threads, inputs, size;
    double seconds;
} bm_opts;

static const char bm_prologue[] =
    "Times gradient evaluations of the log posterior (N(0,1) prior + s * mini-batch\n"
    "log-likelihood) of a model on random data, with the architectures of the\n"
    "experiments (ViT 160x160 patch 16, GPT 6 layers width 384 context 256, ...;\n"
    "docs/experiments.md). FLOPs count matrix products only (docs/flops.md).\n";

static const char bm_epilogue[] =
    "output keys (--json): model, batch, threads, params, grad_evals_per_s,\n"
    "ms_per_grad, gflops, flops_per_grad, workspace_mb, peak_rss_mb, evals, seconds,\n"
    "cpu_ms_per_grad, cpu_util (CPU time / (wall time * threads): below 1 when\n"
    "other processes share the CPUs), logp;\n"
    "gflops_cpu (FLOPs per CPU-second x threads: the rate without other processes);\n"
    "--sgemm: sgemm_gflops, sgemm_gflops_cpu, size, threads.\n";

/* Parses the options into o; returns CLI_CONTINUE or an exit code. */
static int bm_parse(int argc, char **argv, bm_opts *o) {
    memset(o, 0, sizeof *o);
    o->model = -1;
    o->size = 1024;
    o->seconds = 3;
    cli_opt rows[] = {
        {"--model", "NAME", CLI_LOOKUP(&o->model, cli_lookup_model, CLI_MODEL_NAMES),
         .help = "fcn | lenet | resnet7 | resnet18 | vit | gpt"},
        {"--batch", "B", CLI_I64_IN(&o->batch, 1, BM_MAX_BATCH),
         .def = "fcn 256, lenet 512, resnet7 128, resnet18 64, vit 16, gpt 8",
         .help = "examples (GPT: windows of 256 tokens) per gradient, at most 2^30 (the 4B "
                 "random examples are indexed by 32-bit integers)"},
        {"--threads", "T", CLI_I64_IN(&o->threads, 1, INT64_MAX), .def = "all CPUs",
         .help = "threads inside one evaluation"},
        {"--seconds", "S", CLI_POSITIVE(&o->seconds), .flags = CLI_SHOW_DEFAULT,
         .help = "minimum measuring time (at least 3 evaluations)"},
        {"--json", NULL, CLI_SETS(&o->json, 1), .help = "one JSON object instead of text"},
        {"--hidden", "LIST", CLI_STRING(&o->hidden), .def = "16,16,16",
         .help = "fcn hidden widths, comma separated (the model may have at most 2^40 "
                 "parameters)"},
        {"--inputs", "P", CLI_I64_IN(&o->inputs, 1, INT64_MAX), .def = "11",
         .help = "fcn input features (11: the UCI model 11-16-16-16-1 + log sigma)"},
        {"--sgemm", NULL, CLI_SETS(&o->sgemm, 1),
         .help = "measure the OpenBLAS SGEMM rate instead (C = A B, N x N, OpenBLAS with T "
                 "threads)"},
        {"--size", "N", CLI_I64_IN(&o->size, 1, INT32_MAX), .flags = CLI_SHOW_DEFAULT,
         .help = "SGEMM size, at most 2^31-1 (BLAS integers); the three N x N float matrices "
                 "must fit in memory"},
    };
    cli_cmd cmd = {.name = "bench-model", .args = "--model NAME",
                   .usage2 = "--sgemm [--size N] [--threads T] [--seconds S] [--json]",
                   .prologue = bm_prologue, .epilogue = bm_epilogue,
                   .opts = rows, .n_opts = CLI_N(rows)};
    int rc = cli_parse(&cmd, argc, argv);
    if (rc != CLI_CONTINUE) return rc;
    if (!o->threads) o->threads = omp_get_num_procs();
    return CLI_CONTINUE;
}

/* The model of the options (fcn: --hidden, --inputs); returns CLI_CONTINUE or 2. */
static int bm_model_desc(const bm_opts *o, smile_model_desc *d) {
    if (o->model < 0) return bad("%s", "--model is required (see smile bench-model --help)");
    const smile_model_kind kind = (smile_model_kind)o->model;
    *d = smile_model_desc_default(kind);
    if ((o->hidden || o->inputs > 0) && kind != SMILE_MODEL_FCN)
        return bad("%s", "--hidden and --inputs apply to --model fcn only");
    if (o->inputs > 0) d->n_inputs = (size_t)o->inputs;
    if (!o->hidden) return CLI_CONTINUE;
    d->n_hidden = 0;
    const char *s = o->hidden;
    while (*s) {
        char *end;
        errno = 0;
        long w = strtol(s, &end, 10);
        if (errno || end == s || w <= 0 || (*end && *end != ','))
            return bad("bad --hidden list '%s' (positive widths separated by commas)", o->hidden);
        if (d->n_hidden == SMILE_MODEL_MAX_HIDDEN)
            return bad("--hidden '%s': too many layers", o->hidden);
        d->hidden[d->n_hidden++] = (size_t)w;
        s = *end ? end + 1 : end;
        if (*end == ',' && !*s) return bad("bad --hidden list '%s' (trailing comma)", o->hidden);
    }
    return CLI_CONTINUE;
}

/* Largest N whose three N x N float matrices fit in the address space. */
static size_t sgemm_max_size(void) {
    const size_t cap = SIZE_MAX / (3 * sizeof(float));
    size_t n = (size_t)sqrt((double)cap);
    while (n > 0 && n > cap / n) n--;
    return n;
}

static int bench_sgemm(int threads, double seconds, long size, int json) {
    size_t n = (size_t)size, nn = 0, all = 0;
    if (smile_mul_size(n, n, &nn) || smile_mul_size(nn, 3 * sizeof(float), &all))
        return bad("--size %ld: too large (at most %zu: three N x N float matrices must fit in "
                   "the address space)",
                   size, sgemm_max_size());
    float *a = smile_alloc_array(nn, sizeof *a), *b = smile_alloc_array(nn, sizeof *b),
          *c = smile_alloc_array(nn, sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, PFX ": --size %ld: out of memory for the three %ld x %ld matrices "
                        "(%.3g GiB)\n",
                size, size, size, (double)all / 1073741824.0);
        free(a), free(b), free(c);
        return 1;
    }
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_USER);
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)smile_rng_uniform(&r) - 0.5f;
        b[i] = (float)smile_rng_uniform(&r) - 0.5f;
    }
    openblas_set_num_threads(threads);
    int N = (int)n;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N, 0.0f, c, N);
    long it = 0;
    double t0 = now_s(), c0 = cpu_s(), el = 0;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N, 0.0f, c,
                    N);
        it++;
        el = now_s() - t0;
    } while (el < seconds || it < 3);
    double fl = 2.0 * (double)n * n * n * (double)it, cpu = cpu_s() - c0;
    double gf = fl / el / 1e9, gf_cpu = fl / (cpu / threads) / 1e9;
    if (json)
        printf("{\"sgemm_gflops\": %.3f, \"sgemm_gflops_cpu\": %.3f, \"size\": %ld, "
               "\"threads\": %d, \"seconds\": %.3f}\n",
               gf, gf_cpu, size, threads, el);
    else
        printf("sgemm %ldx%ld, %d thread(s): %.2f GFLOP/s (%.2f GFLOP/s per CPU-second x %d)\n",
               size, size, threads, gf, gf_cpu, threads);
    free(a), free(b), free(c);
    return 0;
}

/* A model, its random data and the posterior over them. */
typedef struct {
    smile_model *m;
    smile_posterior *post;
    float *x, *y, *theta, *grad;
    int32_t *lab, *tok;
    uint32_t *idx;
    size_t B, N, D;
} bm_state;

static void bm_free(bm_state *s) {
    smile_posterior_free(s->post);
    free(s->x);
    free(s->y);
    free(s->lab);
    free(s->tok);
    free(s->theta);
    free(s->grad);
    free(s->idx);
    smile_model_free(s->m);
}

/* The options the model's size came from, for messages. */
static const char *bm_size_source(const bm_opts *o, char *buf, size_t n) {
    if (o->hidden && o->inputs > 0)
        snprintf(buf, n, "--hidden %s, --inputs %lld", o->hidden, (long long)o->inputs);
    else if (o->hidden) snprintf(buf, n, "--hidden %s", o->hidden);
    else if (o->inputs > 0) snprintf(buf, n, "--inputs %lld", (long long)o->inputs);
    else snprintf(buf, n, "--model");
    return buf;
}

/* The random data of N examples (GPT: a token stream with N window starts) into s
 * and v; returns 0, 1 (out of memory) or 2 (sizes that cannot be allocated). */
static int bm_data(const bm_opts *o, const smile_model_desc *d, bm_state *s, smile_rng *r,
                   smile_data_view *v) {
    const size_t N = s->N, P = smile_model_input_size(s->m);
    char src[160];
    size_t n_vals = 0, bytes = 0;
    int over = d->kind == SMILE_MODEL_GPT ? N > SIZE_MAX - d->context
                                          : smile_mul_size(N, P, &n_vals) ||
                                                smile_mul_size(n_vals, sizeof(float), &bytes);
    if (over)
        return bad("--batch %zu with %s: the 4 x %zu examples of %zu inputs do not fit in the "
                   "address space",
                   s->B, bm_size_source(o, src, sizeof src), s->B, P);
    if (d->kind == SMILE_MODEL_GPT) {
        s->tok = smile_alloc_array(N + d->context, sizeof *s->tok);
        if (!s->tok) goto oom;
        for (size_t i = 0; i < N + d->context; i++)
            s->tok[i] = (int32_t)smile_rng_below(r, d->vocab);
        v->tokens = s->tok;
        return 0;
    }
    s->x = smile_alloc_array(n_vals, sizeof *s->x);
    s->y = smile_alloc_array(N, sizeof *s->y);
    s->lab = smile_alloc_array(N, sizeof *s->lab);
    if (!s->x || !s->y || !s->lab) goto oom;
    cli_random_data(r, N, P, d->n_classes, 0, s->x, s->y, s->lab);
    v->x = s->x;
    v->y = s->y;
    v->labels = s->lab;
    return 0;
oom:
    fprintf(stderr, PFX ": --batch %zu with %s: out of memory for the random data (4 x %zu "
                    "examples of %zu inputs, %.3g GiB)\n",
            s->B, bm_size_source(o, src, sizeof src), s->B, P, (double)bytes / 1073741824.0);
    return 1;
}

/* Model, random data (N = 4B examples; GPT: a token stream with 4B window
 * starts), parameters and posterior; returns 0, 1 (runtime) or 2 (bad sizes). */
static int bm_setup(const bm_opts *o, const smile_model_desc *d, bm_state *s) {
    memset(s, 0, sizeof *s);
    char msg[256], src[160];
    smile_status st = smile_model_init(&s->m, d, msg, sizeof msg);
    if (st != SMILE_OK) {
        fprintf(stderr, PFX ": %s: %s\n", bm_size_source(o, src, sizeof src), msg);
        return st == SMILE_ENOMEM ? 1 : 2;
    }
    smile_model_set_threads((int)o->threads);
    s->B = (size_t)o->batch; /* at most 2^30: 4B fits the 32-bit indices */
    s->N = 4 * s->B;
    s->D = smile_model_param_count(s->m);
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_USER);
    smile_data_view v = {s->N, NULL, NULL, NULL, NULL};
    int rc = bm_data(o, d, s, &r, &v);
    if (rc) return rc;
    s->theta = smile_alloc_array(s->D, sizeof *s->theta);
    s->grad = smile_alloc_array(s->D, sizeof *s->grad);
    if (!s->theta || !s->grad) {
        fprintf(stderr, PFX ": %s: out of memory for the model's %zu parameters (%.3g GiB)\n",
                bm_size_source(o, src, sizeof src), s->D,
                2.0 * (double)s->D * sizeof(float) / 1073741824.0);
        return 1;
    }
    s->idx = smile_alloc_array(s->N, sizeof *s->idx);
    if (!s->idx) {
        fprintf(stderr, PFX ": --batch %zu: out of memory\n", s->B);
        return 1;
    }
    smile_model_init_params(s->m, s->theta, 1, 0);
    for (size_t i = 0; i < s->N; i++) s->idx[i] = (uint32_t)i;
    smile_rng_shuffle_u32(&r, s->idx, s->N);
    st = smile_posterior_init(&s->post, s->m, &v, 1, s->B, msg, sizeof msg);
    if (st != SMILE_OK) {
        fprintf(stderr, PFX ": --batch %zu with %s: %s\n", s->B,
                bm_size_source(o, src, sizeof src), msg);
        return st == SMILE_ENOMEM ? 1 : 2;
    }
    return 0;
}

/* Times gradient evaluations and prints the rates; returns 0 or 1. */
static int bm_time(const bm_opts *o, bm_state *s, const char *model_name) {
    smile_target t = smile_posterior_target(s->post);
    const size_t B = s->B;
    double scale = (double)s->N / (double)B, lp = 0;
    /* warm-up (first touch of the workspace, BLAS buffers), then the timed loop cycling
     * through the four batches of the shuffled data */
    smile_batch b = {s->idx, B, scale, 0, 0};
    if (t.logdensity_grad(t.user, s->theta, &b, &lp, s->grad) != 0) {
        fprintf(stderr, PFX ": gradient evaluation failed\n");
        return 1;
    }
    long evals = 0;
    double t0 = now_s(), c0 = cpu_s(), el = 0;
    do {
        b.idx = s->idx + (size_t)(evals % 4) * B;
        b.serial = (uint64_t)evals;
        t.logdensity_grad(t.user, s->theta, &b, &lp, s->grad);
        evals++;
        el = now_s() - t0;
    } while (el < o->seconds || evals < 3);
    /* CPU time per evaluation: on a shared machine the wall-clock rate also reflects
     * other processes; cpu_util = CPU time / (wall time · threads) shows how much. */
    const double cpu = cpu_s() - c0, thr = (double)o->threads;
    const double rate = (double)evals / el, fl = smile_model_flops(s->m, B);
    const double ws_mb =
        (double)smile_model_workspace_bytes(smile_posterior_workspace(s->post, 0)) / 1048576.0;
    const long long threads = (long long)o->threads;
    if (o->json)
        printf("{\"model\": \"%s\", \"batch\": %zu, \"threads\": %lld, \"params\": %zu, "
               "\"grad_evals_per_s\": %.4f, \"ms_per_grad\": %.6g, \"gflops\": %.3f, "
               "\"gflops_cpu\": %.3f, "
               "\"flops_per_grad\": %.6e, \"workspace_mb\": %.1f, \"peak_rss_mb\": %.1f, "
               "\"evals\": %ld, \"seconds\": %.3f, \"cpu_ms_per_grad\": %.6g, "
               "\"cpu_util\": %.3f, \"logp\": %.9g}\n",
               model_name, B, threads, s->D, rate, 1e3 / rate, fl * rate / 1e9,
               fl * (double)evals / (cpu / thr) / 1e9, fl, ws_mb, cli_peak_rss_mb(), evals, el,
               1e3 * cpu / (double)evals, cpu / (el * thr), lp);
    else
        printf("model %s, batch %zu, %lld thread(s), d = %zu\n"
               "  %.2f gradient evaluations/s, %.3f ms each, %.2f GFLOP/s (%.3g FLOP per "
               "gradient)\n  workspace %.1f MB, peak RSS %.1f MB (%ld evaluations in %.2f s; "
               "CPU %.3f ms per gradient, utilisation %.0f%%)\n",
               model_name, B, threads, s->D, rate, 1e3 / rate, fl * rate / 1e9, fl, ws_mb,
               cli_peak_rss_mb(), evals, el, 1e3 * cpu / (double)evals, 100 * cpu / (el * thr));
    return 0;
}

int smile_cmd_bench_model(int argc, char **argv) {
    bm_opts o;
    int rc = bm_parse(argc, argv, &o);
    if (rc != CLI_CONTINUE) return rc;
    if (o.sgemm) return bench_sgemm((int)o.threads, o.seconds, (long)o.size, o.json);
    smile_model_desc d;
    if ((rc = bm_model_desc(&o, &d)) != CLI_CONTINUE) return rc;
    if (!o.batch) {
        static const long def[SMILE_MODEL_COUNT_] = {256, 512, 128, 64, 16, 8};
        o.batch = def[d.kind];
    }
    bm_state s;
    rc = bm_setup(&o, &d, &s);
    if (!rc) rc = bm_time(&o, &s, smile_model_kind_name(d.kind));
    bm_free(&s);
    return rc;
}
