/*
 * smile bench-step — times the SMILE sampler step (one McLachlan isokinetic
 * integrator step on a mini-batch, 2 gradient evaluations, with
 * pSMILE-naive's gradient-noise preconditioner by default; algorithms:
 * docs/method.md) for K chains on random data of the shape of a real task:
 *
 *   fcn    the UCI model 11 → 16 → 16 → 16 → 1 + log σ (d = 754),
 *          N = 12,000 rows (bikesharing-sized train split), B = 256, ε = 1e-3;
 *   lenet  LeNet with GELU (d = 61,706) on 28×28×1 images of random 8-bit
 *          pixels standardised like Fashion-MNIST, N = 4,096, B = 512, ε = 1e-2.
 *
 * Everything is the product's code path: one smile_posterior holding a workspace per
 * chain, one smile_batch_stream per chain (epoch permutation, drop-last, likelihood
 * scale ⌊N/B⌋), smile_chain_step, chains in OpenMP threads through the chain
 * driver smile_drive. Reported: wall time per step per chain (µs) = wall seconds for
 * `steps` steps of all K chains / (steps · K), steps/s of all chains, CPU time per
 * chain-step, and the sampling time of a full UCI pSMILE run (60,000 steps × 10
 * chains) extrapolated from the per-chain step time. Warm-up steps are not timed; each
 * timed block is repeated and the best block counts (the machine is shared).
 * bench/peer_step.sh runs this next to PyTorch and JAX versions of the same step.
 */
#include "args.h"
#include "cli.h"
#include "opts.h"
#include "smile_fit.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* run length of one UCI SMILE-family run: W + S = 50,000 + 10,000 steps, K = 10 */
#define UCI_RUN_STEPS 60000.0
#define UCI_RUN_CHAINS 10.0
#define MAX_COUNT (INT64_C(1) << 30)
#define PFX "smile bench-step"
#define bad(...) cli_bad(PFX, __VA_ARGS__)

typedef struct {
    int model, sampler, json;
    int64_t K, batch, steps, warm, repeat, threads, inputs, n_data;
    double eps;
    uint64_t seed;
} bs_opts;

static const char bs_prologue[] =
    "Times the SMILE sampler step (McLachlan isokinetic step on a mini-batch, 2\n"
    "gradient evaluations; docs/method.md) of K chains, each with its own posterior\n"
    "workspace and batch stream, on random data of the task's shape:\n"
    "  fcn    UCI model 11-16-16-16-1 + log sigma (d = 754), N = 12,000, B = 256\n"
    "  lenet  LeNet/GELU on 28x28x1 random pixels (d = 61,706), N = 4,096, B = 512\n";

static const char bs_epilogue[] =
    "output keys (--json): model, sampler, chains, batch, threads, n_data, params,\n"
    "steps, warmup_steps, repeat, grads_per_step, us_per_step_per_chain (best block),\n"
    "us_per_step_per_chain_blocks, steps_per_s (all chains), cpu_us_per_step_per_chain,\n"
    "cpu_util, us_per_grad, full_uci_run_s (60,000 steps x 10 chains at this per-chain\n"
    "step time), resets, nonfinite, grad_evals, logp_mean, peak_rss_mb.\n";

static const char *const bs_models[] = {"fcn", "lenet", NULL};
static const int bs_model_values[] = {SMILE_MODEL_FCN, SMILE_MODEL_LENET};

/* Parses and checks the options, fills in the model's defaults; returns
 * CLI_CONTINUE or an exit code. */
static int bs_parse(int argc, char **argv, bs_opts *o) {
    memset(o, 0, sizeof *o);
    o->sampler = SMILE_SAMPLER_PSMILE_NAIVE;
    o->K = 10;
    o->repeat = 3;
    o->seed = 1;
    cli_opt rows[] = {
        {"--model", "M", CLI_ONE_OF(&o->model, bs_models, bs_model_values),
         .flags = CLI_REQUIRED, .help = "fcn | lenet"},
        {"--chains", "K", CLI_I64_IN(&o->K, 1, MAX_COUNT), .flags = CLI_SHOW_DEFAULT,
         .help = "chains"},
        {"--batch", "B", CLI_I64_IN(&o->batch, 1, MAX_COUNT), .def = "fcn 256, lenet 512",
         .help = "mini-batch size"},
        {"--sampler", "NAME", CLI_LOOKUP(&o->sampler, cli_lookup_sampler, CLI_SAMPLER_NAMES),
         .def = "psmile-naive", .help = "smile-naive, smile, psmile, smile-auto, psmile-auto, ..."},
        {"--step-size", "EPS", CLI_POSITIVE(&o->eps), .def = "fcn 1e-3, lenet 1e-2",
         .help = "step size (the experiments' eps0)"},
        {"--steps", "N", CLI_I64_IN(&o->steps, 1, MAX_COUNT), .def = "fcn 2000, lenet 4",
         .help = "timed steps per chain in one block"},
        {"--warmup-steps", "W", CLI_I64_IN(&o->warm, 0, MAX_COUNT), .def = "fcn 200, lenet 1",
         .help = "untimed steps per chain first"},
        {"--repeat", "R", CLI_I64_IN(&o->repeat, 1, MAX_COUNT), .flags = CLI_SHOW_DEFAULT,
         .help = "timed blocks, the fastest counts"},
        {"--threads", "T", CLI_I64_IN(&o->threads, 1, MAX_COUNT), .def = "all CPUs",
         .help = "threads over the chains"},
        {"--inputs", "P", CLI_I64_IN(&o->inputs, 1, MAX_COUNT), .def = "11",
         .help = "fcn input features"},
        {"--n-data", "N", CLI_I64_IN(&o->n_data, 1, MAX_COUNT), .def = "fcn 12000, lenet 4096",
         .help = "rows of random data"},
        {"--seed", "S", CLI_U64_ANY(&o->seed), .flags = CLI_SHOW_DEFAULT,
         .help = "seed of the data, initialisations and batches"},
        {"--json", NULL, CLI_SETS(&o->json, 1), .help = "one JSON object instead of text"},
    };
    cli_cmd cmd = {.name = "bench-step", .prologue = bs_prologue, .epilogue = bs_epilogue,
                   .opts = rows, .n_opts = CLI_N(rows)};
    int rc = cli_parse(&cmd, argc, argv);
    if (rc != CLI_CONTINUE) return rc;
    const int fcn = o->model == SMILE_MODEL_FCN;
    if (o->inputs && !fcn) return bad("%s", "--inputs applies to --model fcn only");
    if (o->sampler == SMILE_SAMPLER_MCLMC)
        return bad("%s", "--sampler mclmc is full-batch (no mini-batch step to time)");
    if (!o->batch) o->batch = fcn ? 256 : 512;
    if (!o->steps) o->steps = fcn ? 2000 : 4;
    if (!cli_given(&cmd, "--warmup-steps")) o->warm = fcn ? 200 : 1;
    if (!o->n_data) o->n_data = fcn ? 12000 : 4096;
    if (!cli_given(&cmd, "--step-size")) o->eps = fcn ? 1e-3 : 1e-2;
    if (!o->threads) o->threads = omp_get_num_procs();
    if (o->batch > o->n_data) return bad("%s", "--batch exceeds --n-data");
    return CLI_CONTINUE;
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

/* The model, its random data, posterior, sampler and chains. */
typedef struct {
    smile_model *m;
    smile_posterior *post;
    float *x, *y, *x0;
    int32_t *lab;
    smile_chain *ch;
    smile_drive_slot *st; /* the chains' batch streams (epoch, scale floor(N/B)) */
    smile_target *ts;     /* [K] copies of t */
    smile_run_params rp;  /* one warm-up phase over all blocks */
    int n_ch, n_st, nthr;
    smile_sampler_params sp;
    smile_target t;
    size_t N, d;
} bs_state;

static void bs_free(bs_state *s) {
    for (int k = 0; k < s->n_st; k++) smile_drive_slot_free(&s->st[k]);
    for (int k = 0; k < s->n_ch; k++) smile_chain_free(&s->ch[k]);
    smile_posterior_free(s->post);
    free(s->st);
    free(s->ts);
    free(s->ch);
    free(s->x);
    free(s->y);
    free(s->x0);
    free(s->lab);
    smile_model_free(s->m);
}

/* Random data: FCN standardised features and targets N(0,1) (UCI data are
 * standardised); LeNet random 8-bit pixels standardised with the Fashion-MNIST
 * mean/std, random labels. Chain k starts at the model's initialisation k.
 * Returns 0, 1 (runtime) or 2 (bad model or sampler settings). */
static int bs_setup(const bs_opts *o, bs_state *s) {
    memset(s, 0, sizeof *s);
    const int K = (int)o->K, fcn = o->model == SMILE_MODEL_FCN;
    s->nthr = (int)(o->threads < o->K ? o->threads : o->K);
    smile_model_desc desc = smile_model_desc_default((smile_model_kind)o->model);
    if (o->inputs > 0) desc.n_inputs = (size_t)o->inputs;
    char msg[256] = "";
    if (smile_model_init(&s->m, &desc, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, PFX ": %s\n", msg);
        return 2;
    }
    smile_model_set_threads((int)o->threads);
    const size_t N = (size_t)o->n_data, P = smile_model_input_size(s->m);
    const size_t d = smile_model_param_count(s->m);
    s->N = N;
    s->d = d;
    s->x = malloc(N * P * sizeof *s->x);
    s->y = malloc(N * sizeof *s->y);
    s->x0 = malloc(d * sizeof *s->x0);
    s->lab = malloc(N * sizeof *s->lab);
    s->ch = calloc((size_t)K, sizeof *s->ch);
    s->st = calloc((size_t)K, sizeof *s->st);
    s->ts = calloc((size_t)K, sizeof *s->ts);
    if (!s->x || !s->y || !s->x0 || !s->lab || !s->ch || !s->st || !s->ts) {
        fprintf(stderr, PFX ": out of memory\n");
        return 1;
    }
    smile_rng r;
    smile_rng_init(&r, o->seed, 0, SMILE_RNG_DATA);
    cli_random_data(&r, N, P, desc.n_classes, !fcn, s->x, s->y, s->lab);
    smile_data_view v = {N, s->x, s->y, s->lab, NULL};
    if (smile_posterior_init(&s->post, s->m, &v, K, (size_t)o->batch, msg, sizeof msg) !=
        SMILE_OK) {
        fprintf(stderr, PFX ": %s\n", msg);
        return 1;
    }
    s->t = smile_posterior_target(s->post);
    s->sp = smile_sampler_params_default((smile_sampler_kind)o->sampler);
    s->sp.step_size = o->eps;
    if (smile_sampler_params_validate(&s->sp, d, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, PFX ": %s\n", msg);
        return 2;
    }
    s->rp = smile_run_params_default();
    s->rp.n_chains = K;
    s->rp.warmup = o->warm + o->steps * o->repeat;
    s->rp.threads = s->nthr;
    s->rp.n_data = N;
    s->rp.batch_size = (size_t)o->batch;
    s->rp.scale = SMILE_SCALE_FLOOR;
    s->rp.seed = o->seed;
    for (int k = 0; k < K; k++) {
        smile_model_init_params(s->m, s->x0, o->seed, k); /* chain k starts at its own init */
        if (smile_chain_init(&s->ch[k], &s->sp, d, o->seed, k, s->x0, msg, sizeof msg) !=
            SMILE_OK)
            break;
        s->n_ch++;
        s->ts[k] = s->t;
        if (smile_drive_slot_init(&s->st[k], &s->rp, s->sp.kind, k, msg, sizeof msg) != SMILE_OK)
            break;
        s->n_st++;
    }
    if (s->n_st < K) {
        fprintf(stderr, PFX ": %s\n", msg);
        return 1;
    }
    return 0;
}

/* Per-chain step times of the timed blocks (µs) and counts over all steps. */
typedef struct {
    double *blk, best, best_cpu;
    int64_t resets, nonfin;
} bs_timing;

/* Warm-up, then o->repeat timed blocks; returns 0 or 1. */
static int bs_time(const bs_opts *o, bs_state *s, bs_timing *tm) {
    const int K = (int)o->K;
    memset(tm, 0, sizeof *tm);
    int errors = 0;
    if (o->warm > 0) errors += run_block(s->ch, s->st, s->ts, &s->rp, (long)o->warm);
    tm->blk = malloc((size_t)o->repeat * sizeof *tm->blk);
    if (!tm->blk) {
        fprintf(stderr, PFX ": out of memory\n");
        return 1;
    }
    tm->best = INFINITY;
    tm->best_cpu = NAN;
    const double per = (double)o->steps * (double)K;
    for (long r = 0; r < o->repeat; r++) {
        double t0 = cli_wall_s(), c0 = cli_cpu_s();
        errors += run_block(s->ch, s->st, s->ts, &s->rp, (long)o->steps);
        double el = cli_wall_s() - t0, cpu = cli_cpu_s() - c0;
        tm->blk[r] = 1e6 * el / per;
        if (tm->blk[r] < tm->best) {
            tm->best = tm->blk[r];
            tm->best_cpu = 1e6 * cpu / per;
        }
    }
    if (errors) {
        fprintf(stderr, PFX ": smile_chain_step failed in %d chain block(s)\n", errors);
        return 1;
    }
    for (int k = 0; k < K; k++) { /* every step's RESET / NONFINITE flag */
        tm->resets += s->ch[k].n_resets;
        tm->nonfin += s->ch[k].n_nonfinite;
    }
    return 0;
}

static void bs_report(const bs_opts *o, const bs_state *s, const bs_timing *tm) {
    const int K = (int)o->K, nthr = s->nthr;
    const char *model_name = smile_model_kind_name((smile_model_kind)o->model);
    const char *sampler = smile_sampler_name((smile_sampler_kind)o->sampler);
    int64_t ngrad = 0;
    double lpm = 0;
    for (int k = 0; k < K; k++) {
        ngrad += s->ch[k].n_grad;
        lpm += s->ch[k].logp / (double)K;
    }
    const double best = tm->best, best_cpu = tm->best_cpu;
    const int gps = smile_sampler_grads_per_step(&s->sp);
    const double sps = 1e6 / best, full = UCI_RUN_STEPS * UCI_RUN_CHAINS * best * 1e-6;
    const double util = best_cpu / (best * (double)nthr);
    const double rss = cli_peak_rss_mb();
    const long long Kl = (long long)o->K, batch = (long long)o->batch, steps = (long long)o->steps;
    const long long repeat = (long long)o->repeat;
    if (o->json) {
        printf("{\"model\": \"%s\", \"sampler\": \"%s\", \"chains\": %lld, \"batch\": %lld, "
               "\"threads\": %d, \"n_data\": %zu, \"params\": %zu, \"steps\": %lld, "
               "\"warmup_steps\": %lld, \"repeat\": %lld, \"grads_per_step\": %d, "
               "\"us_per_step_per_chain\": %.4f, \"us_per_step_per_chain_blocks\": [",
               model_name, sampler, Kl, batch, nthr, s->N, s->d, steps, (long long)o->warm,
               repeat, gps, best);
        for (long r = 0; r < o->repeat; r++) printf("%s%.4f", r ? ", " : "", tm->blk[r]);
        printf("], \"steps_per_s\": %.3f, \"cpu_us_per_step_per_chain\": %.4f, "
               "\"cpu_util\": %.3f, \"us_per_grad\": %.4f, \"full_uci_run_s\": %.3f, "
               "\"resets\": %lld, \"nonfinite\": %lld, \"grad_evals\": %lld, "
               "\"logp_mean\": %.9g, \"peak_rss_mb\": %.1f}\n",
               sps, best_cpu, util, best / gps, full, (long long)tm->resets,
               (long long)tm->nonfin, (long long)ngrad, lpm, rss);
        return;
    }
    printf("bench-step: %s, model %s (d = %zu), %lld chains, batch %lld, N = %zu, %d thread(s)\n"
           "  %.2f us per step per chain (best of %lld blocks of %lld steps; blocks:",
           sampler, model_name, s->d, Kl, batch, s->N, nthr, best, repeat, steps);
    for (long r = 0; r < o->repeat; r++) printf(" %.2f", tm->blk[r]);
    printf(")\n  %.1f steps/s over all chains, %.2f us per gradient (%d per step); CPU "
           "%.2f us per chain-step (utilisation %.0f%%)\n",
           sps, best / gps, gps, best_cpu, 100 * util);
    if (o->model == SMILE_MODEL_FCN)
        printf("  full UCI run (60,000 steps x 10 chains) at this rate: %.1f s sampling\n", full);
    printf("  %lld resets, %lld non-finite steps, mean log p = %.6g, peak RSS %.1f MB\n",
           (long long)tm->resets, (long long)tm->nonfin, lpm, rss);
}

int smile_cmd_bench_step(int argc, char **argv) {
    bs_opts o;
    int rc = bs_parse(argc, argv, &o);
    if (rc != CLI_CONTINUE) return rc;
    bs_state s;
    bs_timing tm = {0};
    rc = bs_setup(&o, &s);
    if (!rc) rc = bs_time(&o, &s, &tm);
    if (!rc) bs_report(&o, &s, &tm);
    free(tm.blk);
    bs_free(&s);
    return rc;
}
