/*
 * smile bench-step — times the SMILE sampler step (samplers.md §7.3: one McLachlan
 * isokinetic integrator step on a mini-batch, 2 gradient evaluations, §2.2 velocity
 * updates, §3.1 McLachlan coefficients, pSMILE-naive's §7.4 gradient-noise
 * preconditioner by default) for K chains on random data of the shape of a real task:
 *
 *   fcn    the UCI model 11 → 16 → 16 → 16 → 1 + log σ (experiments.md §2.3, d = 754),
 *          N = 12,000 rows (bikesharing-sized train split), B = 256, ε = 1e-3;
 *   lenet  LeNet with GELU (experiments.md §3.2, d = 61,706) on 28×28×1 images of
 *          random 8-bit pixels standardised like Fashion-MNIST, N = 4,096, B = 512,
 *          ε = 1e-2.
 *
 * Everything is the product's code path: one smile_posterior holding a workspace per
 * chain, one smile_batch_stream per chain (epoch permutation, drop-last, scale
 * ⌊N/B⌋ as E§0.3), smile_chain_step, chains in OpenMP threads through the chain
 * driver smile_drive. Reported: wall time per step per chain (µs) = wall seconds for
 * `steps` steps of all K chains / (steps · K), steps/s of all chains, CPU time per
 * chain-step, and the sampling time of a full UCI pSMILE run (60,000 steps × 10
 * chains) extrapolated from the per-chain step time. Warm-up steps are not timed; each
 * timed block is repeated and the best block counts (the machine is shared).
 * bench/peer_step.sh runs this next to PyTorch and JAX versions of the same step.
 */
#include "args.h"
#include "cli.h"
#include "smile_fit.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* spec run length of one UCI SMILE-family run: W + S = 50,000 + 10,000 steps, K = 10
 * (samplers.md §11.2) */
#define UCI_RUN_STEPS 60000.0
#define UCI_RUN_CHAINS 10.0

static void usage(FILE *f) {
    fprintf(f,
            "usage: smile bench-step --model {fcn,lenet} [options]\n"
            "\n"
            "Times the SMILE sampler step (samplers.md §7.3: McLachlan isokinetic step on a\n"
            "mini-batch, 2 gradient evaluations) of K chains, each with its own posterior\n"
            "workspace and batch stream, on random data of the task's shape:\n"
            "  fcn    UCI model 11-16-16-16-1 + log sigma (d = 754), N = 12,000, B = 256\n"
            "  lenet  LeNet/GELU on 28x28x1 random pixels (d = 61,706), N = 4,096, B = 512\n"
            "\n"
            "options:\n"
            "  --model M          fcn | lenet (required)\n"
            "  --chains K         chains (default 10)\n"
            "  --batch B          mini-batch size (default fcn 256, lenet 512)\n"
            "  --sampler NAME     psmile-naive (default), smile-naive, smile, psmile,\n"
            "                     smile-auto, psmile-auto, ...\n"
            "  --step-size EPS    (default fcn 1e-3, lenet 1e-2: the spec's eps0)\n"
            "  --steps N          timed steps per chain in one block (default fcn 2000,\n"
            "                     lenet 4)\n"
            "  --warmup-steps W   untimed steps per chain first (default fcn 200, lenet 1)\n"
            "  --repeat R         timed blocks, the fastest counts (default 3)\n"
            "  --threads T        threads over the chains (default: all CPUs)\n"
            "  --inputs P         fcn input features (default 11)\n"
            "  --n-data N         rows of random data (default fcn 12000, lenet 4096)\n"
            "  --seed S           (default 1)\n"
            "  --json             one JSON object instead of text\n"
            "  --help             this text\n"
            "\n"
            "output keys (--json): model, sampler, chains, batch, threads, n_data, params,\n"
            "steps, warmup_steps, repeat, grads_per_step, us_per_step_per_chain (best block),\n"
            "us_per_step_per_chain_blocks, steps_per_s (all chains), cpu_us_per_step_per_chain,\n"
            "cpu_util, us_per_grad, full_uci_run_s (60,000 steps x 10 chains at this per-chain\n"
            "step time), resets, nonfinite, grad_evals, logp_mean, peak_rss_mb.\n");
}

#define now_s cli_wall_s
#define cpu_s cli_cpu_s
#define bad(...) cli_bad("smile bench-step", __VA_ARGS__)

/* Positive integer in [1, hi]; 0 on error. */
static long parse_pos(const char *s, long hi) {
    int64_t v;
    return cli_parse_i64(s, 1, hi, &v) ? 0 : (long)v;
}

/* Runs `steps` more steps of every chain through the library's chain driver
 * (chains spread over the threads, nested parallelism off: each chain's
 * kernels run on its thread). Returns 1 if the driver reported an error. */
static int run_block(smile_chain *ch, smile_drive_slot *sl, const smile_target *t,
                     smile_run_params *rp, long steps) {
    char msg[256];
    rp->max_steps = steps;
    return smile_drive(ch, sl, t, rp, NULL, msg, sizeof msg) != SMILE_OK;
}

int smile_cmd_bench_step(int argc, char **argv) {
    const char *model_name = NULL, *sampler_name = "psmile-naive";
    long K = 10, batch = -1, steps = -1, warm = -1, repeat = 3, threads = 0, inputs = -1,
         n_data = -1;
    double eps = NAN;
    uint64_t seed = 1;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--model") || !strcmp(a, "--sampler") || !strcmp(a, "--chains") ||
                   !strcmp(a, "--batch") || !strcmp(a, "--steps") ||
                   !strcmp(a, "--warmup-steps") || !strcmp(a, "--repeat") ||
                   !strcmp(a, "--threads") || !strcmp(a, "--inputs") ||
                   !strcmp(a, "--n-data") || !strcmp(a, "--step-size") || !strcmp(a, "--seed")) {
            if (!v) return bad("option %s needs a value", a);
            i++;
            if (!strcmp(a, "--model")) model_name = v;
            else if (!strcmp(a, "--sampler")) sampler_name = v;
            else if (!strcmp(a, "--step-size")) {
                if (cli_parse_pos(v, &eps, 0))
                    return bad("--step-size must be a positive number, got '%s'", v);
            } else if (!strcmp(a, "--seed")) {
                if (cli_parse_u64(v, &seed))
                    return bad("--seed must be a non-negative integer, got '%s'", v);
            } else if (!strcmp(a, "--warmup-steps")) {
                int64_t w;
                if (cli_parse_i64(v, 0, 1L << 30, &w))
                    return bad("--warmup-steps must be an integer >= 0, got '%s'", v);
                warm = (long)w;
            } else {
                long x = parse_pos(v, 1L << 30);
                if (!x) return bad("%s must be a positive integer", a);
                if (!strcmp(a, "--chains")) K = x;
                else if (!strcmp(a, "--batch")) batch = x;
                else if (!strcmp(a, "--steps")) steps = x;
                else if (!strcmp(a, "--repeat")) repeat = x;
                else if (!strcmp(a, "--threads")) threads = x;
                else if (!strcmp(a, "--inputs")) inputs = x;
                else n_data = x;
            }
        } else {
            return bad("unknown option '%s' (see smile bench-step --help)", a);
        }
    }
    if (!model_name) return bad("%s", "--model is required (fcn or lenet)");
    smile_model_kind kind;
    if (smile_model_kind_from_name(model_name, &kind) != SMILE_OK ||
        (kind != SMILE_MODEL_FCN && kind != SMILE_MODEL_LENET))
        return bad("--model must be fcn or lenet, got '%s'", model_name);
    const int fcn = kind == SMILE_MODEL_FCN;
    if (inputs > 0 && !fcn) return bad("%s", "--inputs applies to --model fcn only");
    smile_sampler_kind skind;
    if (smile_sampler_from_name(sampler_name, &skind) != SMILE_OK)
        return bad("unknown sampler '%s'", sampler_name);
    if (skind == SMILE_SAMPLER_MCLMC)
        return bad("%s", "--sampler mclmc is full-batch (no mini-batch step to time)");
    if (batch < 0) batch = fcn ? 256 : 512;
    if (steps < 0) steps = fcn ? 2000 : 4;
    if (warm < 0) warm = fcn ? 200 : 1;
    if (n_data < 0) n_data = fcn ? 12000 : 4096;
    if (!(eps > 0)) eps = fcn ? 1e-3 : 1e-2;
    if (threads <= 0) threads = omp_get_num_procs();
    if (batch > n_data) return bad("%s", "--batch exceeds --n-data");
    int nthr = (int)(threads < K ? threads : K);

    smile_model_desc desc = smile_model_desc_default(kind);
    if (inputs > 0) desc.n_inputs = (size_t)inputs;
    char msg[256] = "";
    smile_model *m = NULL;
    if (smile_model_init(&m, &desc, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "smile bench-step: %s\n", msg);
        return 2;
    }
    smile_model_set_threads((int)threads);
    const size_t N = (size_t)n_data, P = smile_model_input_size(m), d = smile_model_param_count(m);

    /* random data: FCN standardised features and targets N(0,1) (UCI data are
     * standardised, E§2.2); LeNet random 8-bit pixels standardised with the
     * Fashion-MNIST mean/std, random labels */
    float *x = malloc(N * P * sizeof *x), *y = malloc(N * sizeof *y), *x0 = malloc(d * sizeof *x0);
    int32_t *lab = malloc(N * sizeof *lab);
    smile_chain *ch = calloc((size_t)K, sizeof *ch);
    smile_drive_slot *st = calloc((size_t)K, sizeof *st);
    smile_target *ts = calloc((size_t)K, sizeof *ts);
    smile_posterior *post = NULL;
    int rc = 1, n_ch = 0, n_st = 0;
    if (!x || !y || !x0 || !lab || !ch || !st || !ts) {
        fprintf(stderr, "smile bench-step: out of memory\n");
        goto done;
    }
    {
        smile_rng r;
        smile_rng_init(&r, seed, 0, SMILE_RNG_DATA);
        for (size_t i = 0; i < N * P; i++)
            x[i] = fcn ? (float)smile_rng_normal(&r)
                       : (float)(((double)smile_rng_below(&r, 256) / 255.0 - 0.2860) / 0.3530);
        for (size_t i = 0; i < N; i++) {
            y[i] = (float)smile_rng_normal(&r);
            lab[i] = (int32_t)smile_rng_below(&r, desc.n_classes);
        }
    }
    smile_data_view v = {N, x, y, lab, NULL};
    if (smile_posterior_init(&post, m, &v, (int)K, (size_t)batch, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "smile bench-step: %s\n", msg);
        goto done;
    }
    smile_target t = smile_posterior_target(post);
    smile_sampler_params sp = smile_sampler_params_default(skind);
    sp.step_size = eps;
    if (smile_sampler_params_validate(&sp, d, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "smile bench-step: %s\n", msg);
        rc = 2;
        goto done;
    }
    /* one warm-up phase over all blocks, epoch stream, scale floor(N/B) */
    smile_run_params rp = smile_run_params_default();
    rp.n_chains = (int)K;
    rp.warmup = warm + steps * repeat;
    rp.threads = nthr;
    rp.n_data = N;
    rp.batch_size = (size_t)batch;
    rp.scale = SMILE_SCALE_FLOOR;
    rp.seed = seed;
    for (int k = 0; k < K; k++) {
        smile_model_init_params(m, x0, seed, k); /* chain k starts at its own init */
        if (smile_chain_init(&ch[k], &sp, d, seed, k, x0, msg, sizeof msg) != SMILE_OK) break;
        n_ch++;
        ts[k] = t;
        if (smile_drive_slot_init(&st[k], &rp, skind, k, msg, sizeof msg) != SMILE_OK) break;
        n_st++;
    }
    if (n_st < K) {
        fprintf(stderr, "smile bench-step: %s\n", msg);
        goto done;
    }

    int64_t resets = 0, nonfin = 0;
    int errors = 0;
    if (warm > 0) errors += run_block(ch, st, ts, &rp, warm);
    double *blk = malloc((size_t)repeat * sizeof *blk);
    if (!blk) {
        fprintf(stderr, "smile bench-step: out of memory\n");
        goto done;
    }
    double best = INFINITY, best_cpu = NAN;
    for (long r = 0; r < repeat; r++) {
        double t0 = now_s(), c0 = cpu_s();
        errors += run_block(ch, st, ts, &rp, steps);
        double el = now_s() - t0, cpu = cpu_s() - c0;
        blk[r] = 1e6 * el / ((double)steps * (double)K);
        if (blk[r] < best) {
            best = blk[r];
            best_cpu = 1e6 * cpu / ((double)steps * (double)K);
        }
    }
    if (errors) {
        fprintf(stderr, "smile bench-step: smile_chain_step failed in %d chain block(s)\n", errors);
        free(blk);
        goto done;
    }
    int64_t ngrad = 0;
    double lpm = 0;
    for (int k = 0; k < K; k++) {
        ngrad += ch[k].n_grad;
        lpm += ch[k].logp / (double)K;
        resets += ch[k].n_resets;
        nonfin += ch[k].n_nonfinite;
    }
    const int gps = smile_sampler_grads_per_step(&sp);
    const double sps = 1e6 / best, full = UCI_RUN_STEPS * UCI_RUN_CHAINS * best * 1e-6;
    const double util = best_cpu / (best * (double)nthr);
    const double rss = cli_peak_rss_mb();
    if (json) {
        printf("{\"model\": \"%s\", \"sampler\": \"%s\", \"chains\": %ld, \"batch\": %ld, "
               "\"threads\": %d, \"n_data\": %zu, \"params\": %zu, \"steps\": %ld, "
               "\"warmup_steps\": %ld, \"repeat\": %ld, \"grads_per_step\": %d, "
               "\"us_per_step_per_chain\": %.4f, \"us_per_step_per_chain_blocks\": [",
               model_name, smile_sampler_name(skind), K, batch, nthr, N, d, steps, warm, repeat,
               gps, best);
        for (long r = 0; r < repeat; r++) printf("%s%.4f", r ? ", " : "", blk[r]);
        printf("], \"steps_per_s\": %.3f, \"cpu_us_per_step_per_chain\": %.4f, "
               "\"cpu_util\": %.3f, \"us_per_grad\": %.4f, \"full_uci_run_s\": %.3f, "
               "\"resets\": %lld, \"nonfinite\": %lld, \"grad_evals\": %lld, "
               "\"logp_mean\": %.9g, \"peak_rss_mb\": %.1f}\n",
               sps, best_cpu, util, best / gps, full, (long long)resets, (long long)nonfin,
               (long long)ngrad, lpm, rss);
    } else {
        printf("bench-step: %s, model %s (d = %zu), %ld chains, batch %ld, N = %zu, %d thread(s)\n"
               "  %.2f us per step per chain (best of %ld blocks of %ld steps; blocks:",
               smile_sampler_name(skind), model_name, d, K, batch, N, nthr, best, repeat, steps);
        for (long r = 0; r < repeat; r++) printf(" %.2f", blk[r]);
        printf(")\n  %.1f steps/s over all chains, %.2f us per gradient (%d per step); CPU "
               "%.2f us per chain-step (utilisation %.0f%%)\n",
               sps, best / gps, gps, best_cpu, 100 * util);
        if (fcn)
            printf("  full UCI run (60,000 steps x 10 chains) at this rate: %.1f s sampling\n",
                   full);
        printf("  %lld resets, %lld non-finite steps, mean log p = %.6g, peak RSS %.1f MB\n",
               (long long)resets, (long long)nonfin, lpm, rss);
    }
    free(blk);
    rc = 0;
done:
    for (int k = 0; k < n_st; k++) smile_drive_slot_free(&st[k]);
    for (int k = 0; k < n_ch; k++) smile_chain_free(&ch[k]);
    smile_posterior_free(post);
    free(st);
    free(ts);
    free(ch);
    free(x);
    free(y);
    free(x0);
    free(lab);
    smile_model_free(m);
    return rc;
}
