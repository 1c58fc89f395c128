/*
 * smile bench-model — times gradient evaluations of the log posterior
 * (experiments.md §0.3: N(0,1) prior + s·mini-batch log-likelihood) of one model on
 * random data, through the same sampler target the samplers call
 * (smile_posterior_logdensity). Also measures the OpenBLAS SGEMM rate (--sgemm), which
 * bench/peer_torch.py uses as the roofline reference.
 */
#include "args.h"
#include "cli.h"
#include "smile_fit.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: smile bench-model --model NAME [options]\n"
            "       smile bench-model --sgemm [--size N] [--threads T] [--seconds S] [--json]\n"
            "\n"
            "Times gradient evaluations of the log posterior (N(0,1) prior + s * mini-batch\n"
            "log-likelihood, experiments.md §0.3) of a model on random data, with the\n"
            "architectures of experiments.md (ViT 160x160 patch 16, GPT 6 layers width 384\n"
            "context 256, ...). FLOPs count matrix products only (docs/flops.md).\n"
            "\n"
            "options:\n"
            "  --model NAME      fcn | lenet | resnet7 | resnet18 | vit | gpt\n"
            "  --batch B         examples (GPT: windows of 256 tokens) per gradient\n"
            "                    (default: fcn 256, lenet 512, resnet7 128, resnet18 64,\n"
            "                    vit 16, gpt 8); must be >= 1\n"
            "  --threads T       threads inside one evaluation (default: all CPUs)\n"
            "  --seconds S       minimum measuring time (default 3; at least 3 evaluations)\n"
            "  --json            one JSON object instead of text\n"
            "  --hidden LIST     fcn hidden widths, comma separated (default 16,16,16)\n"
            "  --inputs P        fcn input features (default 11: the UCI model 11-16-16-16-1\n"
            "                    + log sigma of experiments.md §2.3)\n"
            "  --sgemm           measure the OpenBLAS SGEMM rate instead (C = A B, N x N,\n"
            "                    OpenBLAS with T threads)\n"
            "  --size N          SGEMM size (default 1024)\n"
            "  --help            this text\n"
            "\n"
            "output keys (--json): model, batch, threads, params, grad_evals_per_s,\n"
            "ms_per_grad, gflops, flops_per_grad, workspace_mb, peak_rss_mb, evals, seconds,\n"
            "cpu_ms_per_grad, cpu_util (CPU time / (wall time * threads): below 1 when\n"
            "other processes share the CPUs), logp;\n"
            "gflops_cpu (FLOPs per CPU-second x threads: the rate without other processes);\n"
            "--sgemm: sgemm_gflops, sgemm_gflops_cpu, size, threads.\n");
}

#define now_s cli_wall_s
#define cpu_s cli_cpu_s
#define peak_rss_mb cli_peak_rss_mb
#define bad(...) cli_bad("smile bench-model", __VA_ARGS__)

/* Parses a positive integer; 0 on error. */
static long parse_pos(const char *s) {
    int64_t v;
    return cli_parse_i64(s, 1, INT64_MAX, &v) ? 0 : (long)v;
}

static int bench_sgemm(int threads, double seconds, long size, int json) {
    size_t n = (size_t)size;
    float *a = malloc(n * n * sizeof *a), *b = malloc(n * n * sizeof *b), *c = malloc(n * n * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "smile bench-model: out of memory for SGEMM %ld\n", size);
        free(a), free(b), free(c);
        return 1;
    }
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_USER);
    for (size_t i = 0; i < n * n; i++) {
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

int smile_cmd_bench_model(int argc, char **argv) {
    const char *model_name = NULL, *hidden = NULL;
    long batch = -1, threads = 0, inputs = -1, size = 1024;
    double seconds = 3;
    int json = 0, sgemm = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--sgemm")) {
            sgemm = 1;
        } else if (!strcmp(a, "--model") || !strcmp(a, "--batch") || !strcmp(a, "--threads") ||
                   !strcmp(a, "--seconds") || !strcmp(a, "--hidden") ||
                   !strcmp(a, "--inputs") || !strcmp(a, "--size")) {
            if (!v) return bad("option %s needs a value", a);
            i++;
            if (!strcmp(a, "--model")) model_name = v;
            else if (!strcmp(a, "--hidden")) hidden = v;
            else if (!strcmp(a, "--seconds")) {
                if (cli_parse_pos(v, &seconds, 0))
                    return bad("--seconds must be a positive number, got '%s'", v);
            } else {
                long x = parse_pos(v);
                if (!x) return bad("%s must be a positive integer", a);
                if (!strcmp(a, "--batch")) batch = x;
                else if (!strcmp(a, "--threads")) threads = x;
                else if (!strcmp(a, "--inputs")) inputs = x;
                else size = x;
            }
        } else {
            return bad("unknown option '%s' (see smile bench-model --help)", a);
        }
    }
    if (threads <= 0) threads = omp_get_num_procs();
    if (sgemm) return bench_sgemm((int)threads, seconds, size, json);
    if (!model_name) return bad("%s", "--model is required (see smile bench-model --help)");
    smile_model_kind kind;
    if (smile_model_kind_from_name(model_name, &kind) != SMILE_OK)
        return bad("unknown model '%s' (fcn, lenet, resnet7, resnet18, vit, gpt)", model_name);
    smile_model_desc d = smile_model_desc_default(kind);
    if ((hidden || inputs > 0) && kind != SMILE_MODEL_FCN)
        return bad("%s", "--hidden and --inputs apply to --model fcn only");
    if (inputs > 0) d.n_inputs = (size_t)inputs;
    if (hidden) {
        d.n_hidden = 0;
        const char *s = hidden;
        while (*s) {
            char *end;
            errno = 0;
            long w = strtol(s, &end, 10);
            if (errno || end == s || w <= 0 || (*end && *end != ','))
                return bad("bad --hidden list '%s' (positive widths separated by commas)", hidden);
            if (d.n_hidden == SMILE_MODEL_MAX_HIDDEN)
                return bad("--hidden '%s': too many layers", hidden);
            d.hidden[d.n_hidden++] = (size_t)w;
            s = *end ? end + 1 : end;
            if (*end == ',' && !*s) return bad("bad --hidden list '%s' (trailing comma)", hidden);
        }
    }
    if (batch < 0) {
        static const long def[SMILE_MODEL_COUNT_] = {256, 512, 128, 64, 16, 8};
        batch = def[kind];
    }
    char msg[256];
    smile_model *m = NULL;
    if (smile_model_init(&m, &d, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "smile bench-model: %s\n", msg);
        return 2;
    }
    smile_model_set_threads((int)threads);

    /* random data: N = 4B examples (GPT: a token stream with 4B window starts) */
    size_t B = (size_t)batch, N = 4 * B, P = smile_model_input_size(m), D = smile_model_param_count(m);
    float *x = NULL, *y = NULL, *theta = NULL, *grad = NULL;
    int32_t *lab = NULL, *tok = NULL;
    uint32_t *idx = NULL;
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_USER);
    smile_data_view v = {N, NULL, NULL, NULL, NULL};
    int rc = 1;
    if (kind == SMILE_MODEL_GPT) {
        tok = malloc((N + d.context) * sizeof *tok);
        if (!tok) goto oom;
        for (size_t i = 0; i < N + d.context; i++) tok[i] = (int32_t)smile_rng_below(&r, d.vocab);
        v.tokens = tok;
    } else {
        x = malloc(N * P * sizeof *x);
        y = malloc(N * sizeof *y);
        lab = malloc(N * sizeof *lab);
        if (!x || !y || !lab) goto oom;
        for (size_t i = 0; i < N * P; i++) x[i] = (float)smile_rng_normal(&r);
        for (size_t i = 0; i < N; i++) {
            y[i] = (float)smile_rng_normal(&r);
            lab[i] = (int32_t)smile_rng_below(&r, d.n_classes);
        }
        v.x = x;
        v.y = y;
        v.labels = lab;
    }
    theta = malloc(D * sizeof *theta);
    grad = malloc(D * sizeof *grad);
    idx = malloc(N * sizeof *idx);
    if (!theta || !grad || !idx) goto oom;
    smile_model_init_params(m, theta, 1, 0);
    for (size_t i = 0; i < N; i++) idx[i] = (uint32_t)i;
    smile_rng_shuffle_u32(&r, idx, N);

    smile_posterior *post = NULL;
    if (smile_posterior_init(&post, m, &v, 1, B, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "smile bench-model: %s\n", msg);
        goto done;
    }
    smile_target t = smile_posterior_target(post);
    double scale = (double)N / (double)B, lp = 0;
    /* warm-up (first touch of the workspace, BLAS buffers), then the timed loop cycling
     * through the four batches of the shuffled data */
    smile_batch b = {idx, B, scale, 0, 0};
    if (t.logdensity_grad(t.user, theta, &b, &lp, grad) != 0) {
        fprintf(stderr, "smile bench-model: gradient evaluation failed\n");
        smile_posterior_free(post);
        goto done;
    }
    long evals = 0;
    double t0 = now_s(), c0 = cpu_s(), el = 0;
    do {
        b.idx = idx + (size_t)(evals % 4) * B;
        b.serial = (uint64_t)evals;
        t.logdensity_grad(t.user, theta, &b, &lp, grad);
        evals++;
        el = now_s() - t0;
    } while (el < seconds || evals < 3);
    /* CPU time per evaluation: on a shared machine the wall-clock rate also reflects
     * other processes; cpu_util = CPU time / (wall time · threads) shows how much. */
    double cpu = cpu_s() - c0;
    double rate = (double)evals / el, fl = smile_model_flops(m, B);
    double ws_mb = (double)smile_model_workspace_bytes(smile_posterior_workspace(post, 0)) / 1048576.0;
    if (json)
        printf("{\"model\": \"%s\", \"batch\": %zu, \"threads\": %ld, \"params\": %zu, "
               "\"grad_evals_per_s\": %.4f, \"ms_per_grad\": %.6g, \"gflops\": %.3f, "
               "\"gflops_cpu\": %.3f, "
               "\"flops_per_grad\": %.6e, \"workspace_mb\": %.1f, \"peak_rss_mb\": %.1f, "
               "\"evals\": %ld, \"seconds\": %.3f, \"cpu_ms_per_grad\": %.6g, "
               "\"cpu_util\": %.3f, \"logp\": %.9g}\n",
               model_name, B, threads, D, rate, 1e3 / rate, fl * rate / 1e9,
               fl * (double)evals / (cpu / (double)threads) / 1e9, fl, ws_mb, peak_rss_mb(),
               evals, el, 1e3 * cpu / (double)evals, cpu / (el * (double)threads), lp);
    else
        printf("model %s, batch %zu, %ld thread(s), d = %zu\n"
               "  %.2f gradient evaluations/s, %.3f ms each, %.2f GFLOP/s (%.3g FLOP per "
               "gradient)\n  workspace %.1f MB, peak RSS %.1f MB (%ld evaluations in %.2f s; "
               "CPU %.3f ms per gradient, utilisation %.0f%%)\n",
               model_name, B, threads, D, rate, 1e3 / rate, fl * rate / 1e9, fl, ws_mb,
               peak_rss_mb(), evals, el, 1e3 * cpu / (double)evals,
               100 * cpu / (el * (double)threads));
    smile_posterior_free(post);
    rc = 0;
    goto done;
oom:
    fprintf(stderr, "smile bench-model: out of memory for batch %zu\n", B);
done:
    free(x);
    free(y);
    free(lab);
    free(tok);
    free(theta);
    free(grad);
    free(idx);
    smile_model_free(m);
    return rc;
}
