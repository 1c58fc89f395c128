/* smile analytic — samplers on the analytical targets of experiments.md §1
 * with synthetic mini-batch gradient noise, reporting the squared-moment bias
 * (§1.4), bulk-ESS and rank-normalised R̂ (samplers.md §10).
 *
 * Protocol (issue 2, item 6):
 *  - every chain starts at the spec's initial position (§1.1; gmm25: N(0, 4I)
 *    per chain) with u = 0 and an empty gradient cache (smile_chain_init);
 *  - --warmup steps are run first and not recorded; --steps counts the
 *    recorded sampling steps s = 0 .. S-1;
 *  - the first floor(S/10) recorded steps are discarded, then every 10th
 *    position is kept: s = s0, s0+10, ... (s0 = floor(S/10));
 *  - bias = b² of §1.4 from the second moments pooled over all kept draws of
 *    all chains; bias_chain_median = median over chains of each chain's b²;
 *  - ess_min / rhat_max = min / max over the d coordinates x_i of bulk-ESS and
 *    rank-normalised split-R̂ (max of bulk and tail, §10.4) of the kept draws
 *    of all chains.
 * Mini-batches: SMILE_STREAM_FRESH (B rows without replacement, afresh every
 * step; both gradient evaluations of a McLachlan step on the same batch);
 * mclmc and noise "none" use the full data (exact gradient).
 * Results do not depend on --threads: chains own their RNG streams, and all
 * pooled quantities are reduced in chain order after the run.
 * Exit codes: 0 ok, 2 bad input (one line on stderr naming the option),
 * 1 runtime failure. */
#include "args.h"
#include "cli.h"
#include "smile_fit.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MCLMC_DEFAULT_WARMUP 10000
#define DEFAULT_CHAINS 4
#define DEFAULT_SEED 42
#define DEFAULT_BATCH 256
#define BIAS_THIN 10
#define MAX_CHAINS 4096

static void help(FILE *f) {
    fprintf(f,
"usage: smile analytic --target {icg,funnel,banana,gmm25}\n"
"                      --noise {none,isotropic,anisotropic,correlated,spatial}\n"
"                      --sampler {mclmc,smile-naive,smile,psmile-naive,psmile,sgld,sghmc,adasghmc,csgld,\n"
"                                 psmile-auto,smile-auto}\n"
"                      --steps N [--warmup N] [--step-size EPS] [--chains K] [--seed S]\n"
"                      [--batch B] [--threads T] [--mclmc-tuning {mile,blackjax}] [--json]\n"
"                      [--L LEN] [--normalisation {exact,reference}] [--data-seed S]\n"
"                      [--noise-scale S] [--trace FILE] [--trace-every K]\n"
"\n"
"Runs K chains of one sampler on an analytical target with synthetic mini-batch\n"
"gradient noise (spec experiments.md §1) and reports the squared-moment bias.\n"
"\n"
"required:\n"
"  --target T         icg (fixed ill-conditioned Gaussian of icg_target.txt, d=10),\n"
"                     funnel (Neal's funnel, d=10), banana (Rosenbrock, d=10),\n"
"                     gmm25 (25-component 2-D Gaussian mixture, d=2)\n"
"  --noise N          none (exact gradient) | isotropic (A=I) | anisotropic (A=diag(c),\n"
"                     c=ICG scales 0.1..10) | correlated (A=chol(Sigma_ICG)) |\n"
"                     spatial (correlated times exp(-x_3/h), h=6.5/9/1.414, gmm25: 4 on x_2).\n"
"                     Data: N=409,600 rows y=s*A*z, column-centred; log density\n"
"                     log pi(x) + sum_{n in batch} <y_n, x> (no N/B scaling).\n"
"                     gmm25 uses c=(0.1,10) and Sigma rotated by pi/6.\n"
"  --sampler S        mclmc (full-batch MCLMC, tuned in warm-up), smile-naive, smile,\n"
"                     psmile-naive, psmile, sgld, sghmc, adasghmc, csgld, psmile-auto,\n"
"                     smile-auto ([ours] settling step-size tuner, docs/tuner.md)\n"
"  --steps N          recorded sampling steps per chain (N >= 1)\n"
"\n"
"options:\n"
"  --warmup N         steps before sampling, not recorded (default 0; mclmc: %d,\n"
"                     split 80/10/10 %% into the tuning phases of samplers.md §6)\n"
"  --step-size EPS    EPS > 0. Tuned samplers (smile, psmile, *-auto, mclmc): initial step size,\n"
"                     default 1e-3 (mclmc --mclmc-tuning blackjax: 0.25*sqrt(d)).\n"
"                     Required for smile-naive, psmile-naive, sgld, sghmc, adasghmc,\n"
"                     csgld (csgld: eps0 of the cosine cyclical schedule, 4 cycles)\n"
"  --chains K         number of chains (default %d, at most %d)\n"
"  --seed S           run seed: batches, noise, velocities, gmm25 starts (default %d)\n"
"  --batch B          mini-batch size, rows drawn without replacement afresh every\n"
"                     step (default %d; ignored by mclmc and noise none: full data)\n"
"  --threads T        OpenMP threads over chains (default 0 = all cores); results\n"
"                     are identical for every T\n"
"  --mclmc-tuning P   mile (default; Var[dE]/d target 0.5 -> 0.1) or blackjax\n"
"                     (target 5e-4, n_eff 150, L0 = sqrt(d)); samplers.md §6.3\n"
"  --json             print one JSON object instead of the table\n"
"  --L LEN            refresh length L > 0 (SMILE family: default inf = no refresh;\n"
"                     mclmc: initial L before tuning)\n"
"  --normalisation M  exact (default) or reference (the hard-coded funnel/banana\n"
"                     moments of experiments.md §1.2) for the bias\n"
"  --data-seed S      seed of the synthetic data set (default 0)\n"
"  --noise-scale S    s >= 0 of y = s*A*z (default 1)\n"
"  --trace FILE       write the step-size trace: lines 'chain step phase eps resets'\n"
"                     (phase 0 warm-up, 1 sampling; resets = cumulative count)\n"
"  --trace-every K    trace every K-th step (default: (warmup+steps)/2000, at least 1)\n"
"  --auto-target V    smile-auto/psmile-auto (experimental, docs/tuner.md): target\n"
"                     E[dE_b^2]/d of the settling tuner (default 3e-3)\n"
"  -h, --help         this help\n"
"\n"
"Protocol: chains start at the spec's initial position (0; banana (1,..,1,2,..,2);\n"
"gmm25 N(0,4I)) with zero velocity and an empty cache. Of the S recorded steps the\n"
"first floor(S/10) are discarded and every 10th position after that is kept.\n"
"bias: squared-moment bias b^2 = (1/d) sum_i (m_i - E[x_i^2])^2 / Var[x_i^2] of the\n"
"moments pooled over all chains; bias_chain_median: median of the per-chain b^2;\n"
"ess_min / rhat_max: min / max over coordinates of bulk-ESS and rank-normalised\n"
"split-R-hat (max of bulk and tail) of the kept draws over chains; resets: total\n"
"energy resets; final_step_size: mean over chains; grad_evals: total.\n"
"JSON keys: target noise sampler chains steps warmup step_size seed batch\n"
"mclmc_tuning normalisation kept_per_chain bias bias_chain_median ess_min rhat_max\n"
"resets nonfinite final_step_size [final_L, if finite] grad_evals [modes_visited,\n"
"gmm25] m_hat "
"bias_per_chain seconds. Other non-finite numbers are written as null.\n"
"Exit status: 0 ok, 2 bad input, 1 runtime failure.\n",
            MCLMC_DEFAULT_WARMUP, DEFAULT_CHAINS, MAX_CHAINS, DEFAULT_SEED, DEFAULT_BATCH);
}

/* ---- argument parsing -------------------------------------------------- */

/* One line on stderr naming the bad option; returns exit code 2. */
#define bad(...) cli_bad("smile analytic", __VA_ARGS__)
#define parse_i64 cli_parse_i64
#define parse_u64 cli_parse_u64
#define parse_pos_double cli_parse_pos

typedef struct {
    const char *target, *noise, *sampler, *steps, *warmup, *step_size, *chains, *seed, *batch,
        *threads, *tuning, *L, *norm, *data_seed, *noise_scale, *trace, *trace_every,
        *auto_target;
    int json;
} raw_opts;

typedef struct {
    smile_analytic_kind target;
    smile_noise_kind noise;
    smile_sampler_kind sampler;
    int64_t steps, warmup, chains, batch, threads, trace_every;
    double step_size, L, noise_scale, auto_target;
    int have_step, have_L;
    uint64_t seed, data_seed;
    smile_mclmc_tuning tuning;
    smile_moments_kind norm;
    const char *trace;
    int json;
} opts;

/* ---- run state shared with the step callback ---------------------------- */

typedef struct {
    size_t d;
    int64_t S, s0, n_keep;  /* recorded steps, discarded prefix, kept per chain */
    double *keep;           /* [K][n_keep][d] kept positions                    */
    int64_t trace_every, n_trace;
    double *trace_eps;      /* [K][n_trace]                                     */
    int64_t *trace_resets;  /* [K][n_trace]                                     */
    signed char *trace_phase;
    int64_t *n_kept;        /* [K]                                              */
} run_state;

static int on_step(void *user, int k, const smile_chain *c, const smile_step_info *info) {
    run_state *rs = user;
    if (rs->trace_eps && info->step % rs->trace_every == 0) {
        int64_t j = info->step / rs->trace_every;
        if (j < rs->n_trace) {
            size_t o = (size_t)k * (size_t)rs->n_trace + (size_t)j;
            rs->trace_eps[o] = info->eps;
            rs->trace_resets[o] = c->n_resets;
            rs->trace_phase[o] = (signed char)info->phase;
        }
    }
    if (info->phase != SMILE_PHASE_SAMPLING) return 0;
    int64_t s = info->phase_step;
    if (s < rs->s0 || (s - rs->s0) % BIAS_THIN) return 0;
    int64_t j = (s - rs->s0) / BIAS_THIN;
    if (j >= rs->n_keep) return 0;
    double *dst = rs->keep + ((size_t)k * (size_t)rs->n_keep + (size_t)j) * rs->d;
    for (size_t i = 0; i < rs->d; i++) dst[i] = c->x[i];
    rs->n_kept[k] = j + 1;
    return 0;
}

static void jnum(FILE *f, const char *key, double v, int comma) {
    if (isfinite(v)) fprintf(f, "  \"%s\": %.17g%s\n", key, v, comma ? "," : "");
    else fprintf(f, "  \"%s\": null%s\n", key, comma ? "," : "");
}

static void jarr(FILE *f, const char *key, const double *v, size_t n) {
    fprintf(f, "  \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) fprintf(f, "%s%.17g", i ? ", " : "", v[i]);
        else fprintf(f, "%snull", i ? ", " : "");
    }
    fprintf(f, "],\n");
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    /* NaN sorts last */
    if (isnan(x)) return isnan(y) ? 0 : 1;
    if (isnan(y)) return -1;
    return (x > y) - (x < y);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int sampler_requires_step(smile_sampler_kind k) {
    return k == SMILE_SAMPLER_SMILE_NAIVE || k == SMILE_SAMPLER_PSMILE_NAIVE ||
           k == SMILE_SAMPLER_SGLD || k == SMILE_SAMPLER_SGHMC || k == SMILE_SAMPLER_ADASGHMC ||
           k == SMILE_SAMPLER_CSGLD;
}

/* Validates raw options into o; returns 0 or 2 (message printed). */
static int validate(const raw_opts *r, opts *o) {
    memset(o, 0, sizeof *o);
    if (!r->target) return bad("missing required option --target");
    if (!r->noise) return bad("missing required option --noise");
    if (!r->sampler) return bad("missing required option --sampler");
    if (!r->steps) return bad("missing required option --steps");
    if (smile_analytic_from_name(r->target, &o->target))
        return bad("--target: unknown target '%s' (icg, funnel, banana, gmm25)", r->target);
    if (smile_noise_from_name(r->noise, &o->noise))
        return bad("--noise: unknown noise '%s' (none, isotropic, anisotropic, correlated, "
                   "spatial)",
                   r->noise);
    if (smile_sampler_from_name(r->sampler, &o->sampler))
        return bad("--sampler: unknown sampler '%s' (mclmc, smile-naive, smile, psmile-naive, "
                   "psmile, sgld, sghmc, adasghmc, csgld, psmile-auto, smile-auto)",
                   r->sampler);
    if (parse_i64(r->steps, 1, INT64_C(1) << 40, &o->steps))
        return bad("--steps: '%s' is not a positive integer", r->steps);
    o->warmup = o->sampler == SMILE_SAMPLER_MCLMC ? MCLMC_DEFAULT_WARMUP : 0;
    if (r->warmup && parse_i64(r->warmup, 0, INT64_C(1) << 40, &o->warmup))
        return bad("--warmup: '%s' is not a non-negative integer", r->warmup);
    o->have_step = r->step_size != NULL;
    if (r->step_size && parse_pos_double(r->step_size, &o->step_size, 0))
        return bad("--step-size: '%s' is not a positive number", r->step_size);
    if (!r->step_size && sampler_requires_step(o->sampler))
        return bad("--step-size: required for sampler %s", r->sampler);
    if (!r->step_size) o->step_size = 1e-3;
    o->chains = DEFAULT_CHAINS;
    if (r->chains && parse_i64(r->chains, 1, MAX_CHAINS, &o->chains))
        return bad("--chains: '%s' is not an integer in 1..4096", r->chains);
    o->seed = DEFAULT_SEED;
    if (r->seed && parse_u64(r->seed, &o->seed))
        return bad("--seed: '%s' is not a non-negative integer", r->seed);
    o->batch = DEFAULT_BATCH;
    if (r->batch && parse_i64(r->batch, 1, 409600, &o->batch))
        return bad("--batch: '%s' is not an integer in 1..409600", r->batch);
    o->threads = 0;
    if (r->threads && parse_i64(r->threads, 0, 1024, &o->threads))
        return bad("--threads: '%s' is not an integer in 0..1024", r->threads);
    o->tuning = SMILE_MCLMC_TUNING_MILE;
    if (r->tuning) {
        if (!strcmp(r->tuning, "blackjax")) o->tuning = SMILE_MCLMC_TUNING_BLACKJAX;
        else if (strcmp(r->tuning, "mile"))
            return bad("--mclmc-tuning: unknown preset '%s' (mile, blackjax)", r->tuning);
    }
    o->have_L = r->L != NULL;
    if (r->L && parse_pos_double(r->L, &o->L, 0) && strcmp(r->L, "inf"))
        return bad("--L: '%s' is not a positive number", r->L);
    if (r->L && !strcmp(r->L, "inf")) o->L = INFINITY;
    o->norm = SMILE_MOMENTS_EXACT;
    if (r->norm) {
        if (!strcmp(r->norm, "reference")) o->norm = SMILE_MOMENTS_REFERENCE;
        else if (strcmp(r->norm, "exact"))
            return bad("--normalisation: unknown value '%s' (exact, reference)", r->norm);
    }
    o->data_seed = 0;
    if (r->data_seed && parse_u64(r->data_seed, &o->data_seed))
        return bad("--data-seed: '%s' is not a non-negative integer", r->data_seed);
    o->noise_scale = 1.0;
    o->auto_target = 0.0;
    if (r->auto_target && parse_pos_double(r->auto_target, &o->auto_target, 0))
        return bad("--auto-target: '%s' is not a positive number", r->auto_target);
    if (r->noise_scale && parse_pos_double(r->noise_scale, &o->noise_scale, 1))
        return bad("--noise-scale: '%s' is not a non-negative number", r->noise_scale);
    o->trace = r->trace;
    if (r->trace && !*r->trace) return bad("--trace: empty file name");
    o->trace_every = 0;
    if (r->trace_every && parse_i64(r->trace_every, 1, INT64_C(1) << 40, &o->trace_every))
        return bad("--trace-every: '%s' is not a positive integer", r->trace_every);
    o->json = r->json;
    return 0;
}

int smile_cmd_analytic(int argc, char **argv) {
    const double t_start = now_s();
    raw_opts r;
    memset(&r, 0, sizeof r);
    static const struct {
        const char *name;
        size_t off;
    } table[] = {
        {"--target", offsetof(raw_opts, target)},
        {"--noise", offsetof(raw_opts, noise)},
        {"--sampler", offsetof(raw_opts, sampler)},
        {"--steps", offsetof(raw_opts, steps)},
        {"--warmup", offsetof(raw_opts, warmup)},
        {"--step-size", offsetof(raw_opts, step_size)},
        {"--chains", offsetof(raw_opts, chains)},
        {"--seed", offsetof(raw_opts, seed)},
        {"--batch", offsetof(raw_opts, batch)},
        {"--threads", offsetof(raw_opts, threads)},
        {"--mclmc-tuning", offsetof(raw_opts, tuning)},
        {"--L", offsetof(raw_opts, L)},
        {"--normalisation", offsetof(raw_opts, norm)},
        {"--data-seed", offsetof(raw_opts, data_seed)},
        {"--noise-scale", offsetof(raw_opts, noise_scale)},
        {"--trace", offsetof(raw_opts, trace)},
        {"--trace-every", offsetof(raw_opts, trace_every)},
        {"--auto-target", offsetof(raw_opts, auto_target)},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            r.json = 1;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        int found = 0;
        for (size_t t = 0; t < sizeof table / sizeof table[0]; t++) {
            if (strlen(table[t].name) != nlen || strncmp(a, table[t].name, nlen)) continue;
            const char *val;
            if (eq) {
                val = eq + 1;
            } else {
                if (i + 1 >= argc) return bad("option %s needs a value", table[t].name);
                val = argv[++i];
            }
            *(const char **)((char *)&r + table[t].off) = val;
            found = 1;
            break;
        }
        if (!found) {
            if (a[0] == '-') return bad("unknown option '%s' (see smile analytic --help)", a);
            return bad("unexpected argument '%s' (see smile analytic --help)", a);
        }
    }
    opts o;
    int rc = validate(&r, &o);
    if (rc) return rc;

    char msg[512] = "";
    /* ---- target ---- */
    smile_analytic_params ap = smile_analytic_params_default(o.target, o.noise);
    ap.data_seed = o.data_seed;
    ap.noise_scale = o.noise_scale;
    ap.cache_slots = (int)o.chains;
    smile_analytic *an = NULL;
    if (smile_analytic_init(&an, &ap, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "smile analytic: %s\n", msg);
        return 1;
    }
    const size_t d = smile_analytic_dim(an);
    const int K = (int)o.chains;

    /* ---- sampler parameters ---- */
    smile_sampler_params sp = smile_sampler_params_default(o.sampler);
    if (o.sampler == SMILE_SAMPLER_MCLMC) {
        smile_sampler_params_mclmc_preset(&sp, o.tuning);
        if (o.have_step) sp.mclmc_init_eps_from_d = 0; /* explicit initial eps wins */
    }
    sp.step_size = o.step_size;
    if (o.have_L) sp.L = o.L;
    if (o.auto_target > 0) sp.auto_target = o.auto_target;
    if (o.sampler == SMILE_SAMPLER_CSGLD) {
        sp.schedule.eps0 = o.step_size;
        if (sp.schedule.eps_end > o.step_size) sp.schedule.eps_end = o.step_size;
        if (sp.schedule.n_cycles > o.steps) sp.schedule.n_cycles = (int)o.steps;
    }
    if (smile_sampler_params_validate(&sp, d, msg, sizeof msg) != SMILE_OK) {
        smile_analytic_free(an);
        fprintf(stderr, "smile analytic: --sampler %s: %s\n", smile_sampler_name(o.sampler), msg);
        return 2;
    }

    /* ---- buffers ---- */
    run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.d = d;
    rs.S = o.steps;
    rs.s0 = o.steps / 10;
    rs.n_keep = (o.steps - rs.s0 + BIAS_THIN - 1) / BIAS_THIN;
    const int64_t total = o.warmup + o.steps;
    rs.trace_every = o.trace_every ? o.trace_every : (total / 2000 > 1 ? total / 2000 : 1);
    rs.n_trace = (total + rs.trace_every - 1) / rs.trace_every;
    smile_chain *chains = calloc((size_t)K, sizeof *chains);
    smile_target *targets = calloc((size_t)K, sizeof *targets);
    rs.keep = calloc((size_t)K * (size_t)rs.n_keep * d, sizeof *rs.keep);
    rs.n_kept = calloc((size_t)K, sizeof *rs.n_kept);
    double *col = calloc((size_t)K * (size_t)rs.n_keep, sizeof *col);
    double *bias_chain = calloc((size_t)K, sizeof *bias_chain);
    double *sorted = calloc((size_t)K, sizeof *sorted);
    float *x0 = calloc(d, sizeof *x0);
    int ok = chains && targets && rs.keep && rs.n_kept && col && bias_chain && sorted && x0;
    if (ok && o.trace) {
        size_t nt = (size_t)K * (size_t)rs.n_trace;
        rs.trace_eps = calloc(nt, sizeof *rs.trace_eps);
        rs.trace_resets = calloc(nt, sizeof *rs.trace_resets);
        rs.trace_phase = calloc(nt, 1);
        ok = rs.trace_eps && rs.trace_resets && rs.trace_phase;
    }
    int n_init = 0;
    rc = 0;
    if (!ok) {
        fprintf(stderr, "smile analytic: out of memory (%d chains x %lld kept draws)\n", K,
                (long long)rs.n_keep);
        rc = 1;
        goto done;
    }
    for (int k = 0; k < K; k++) {
        smile_analytic_initial_position(an, o.seed, k, x0);
        if (smile_chain_init(&chains[k], &sp, d, o.seed, k, x0, msg, sizeof msg) != SMILE_OK) {
            fprintf(stderr, "smile analytic: chain %d: %s\n", k, msg);
            rc = 1;
            goto done;
        }
        n_init++;
        targets[k] = smile_analytic_target(an);
    }

    /* ---- run ---- */
    smile_run_params rp = smile_run_params_default();
    rp.n_chains = K;
    rp.warmup = o.warmup;
    rp.samples = o.steps;
    rp.thin = 1;
    rp.threads = (int)o.threads;
    rp.stream = o.noise == SMILE_NOISE_NONE ? SMILE_STREAM_FULL : SMILE_STREAM_FRESH;
    rp.n_data = ap.n_data;
    rp.batch_size = (size_t)o.batch;
    rp.scale = SMILE_SCALE_N_OVER_B; /* ignored by the analytic targets (no N/B scaling) */
    rp.seed = o.seed;
    if (smile_run_chains(chains, targets, &rp, on_step, &rs, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "smile analytic: %s\n", msg);
        rc = 1;
        goto done;
    }

    /* ---- metrics (chain order: independent of threads) ---- */
    {
        double e_sq[10], var_sq[10], m_pool[10] = {0}, m_chain[10];
        smile_analytic_moments(an, o.norm, e_sq, var_sq);
        const int64_t nk = rs.n_keep;
        int64_t n_pool = 0;
        for (int k = 0; k < K; k++) {
            if (rs.n_kept[k] != nk) { /* cannot happen unless a chain stopped early */
                fprintf(stderr, "smile analytic: chain %d kept %lld of %lld draws\n", k,
                        (long long)rs.n_kept[k], (long long)nk);
                rc = 1;
                goto done;
            }
            for (size_t i = 0; i < d; i++) m_chain[i] = 0;
            const double *xk = rs.keep + (size_t)k * (size_t)nk * d;
            for (int64_t j = 0; j < nk; j++)
                for (size_t i = 0; i < d; i++) m_chain[i] += xk[j * (int64_t)d + (int64_t)i] *
                                                             xk[j * (int64_t)d + (int64_t)i];
            for (size_t i = 0; i < d; i++) {
                m_pool[i] += m_chain[i];
                m_chain[i] /= (double)nk;
            }
            n_pool += nk;
            bias_chain[k] = smile_squared_moment_bias(m_chain, e_sq, var_sq, d);
        }
        for (size_t i = 0; i < d; i++) m_pool[i] /= (double)n_pool;
        const double bias = smile_squared_moment_bias(m_pool, e_sq, var_sq, d);
        memcpy(sorted, bias_chain, (size_t)K * sizeof *sorted);
        qsort(sorted, (size_t)K, sizeof *sorted, cmp_double);
        const double median =
            K % 2 ? sorted[K / 2] : 0.5 * (sorted[K / 2 - 1] + sorted[K / 2]);
        double ess_min = INFINITY, rhat_max = -INFINITY;
        int diag_nan = 0;
        for (size_t i = 0; i < d; i++) {
            for (int k = 0; k < K; k++)
                for (int64_t j = 0; j < nk; j++)
                    col[(size_t)k * (size_t)nk + (size_t)j] =
                        rs.keep[((size_t)k * (size_t)nk + (size_t)j) * d + i];
            double ess = smile_ess_bulk(col, (size_t)K, (size_t)nk);
            double rh = smile_rhat(col, (size_t)K, (size_t)nk);
            if (!isfinite(ess) || !isfinite(rh)) diag_nan = 1;
            if (ess < ess_min) ess_min = ess;
            if (rh > rhat_max) rhat_max = rh;
        }
        if (diag_nan) ess_min = rhat_max = NAN;
        int64_t resets = 0, nonfinite = 0, grads = 0;
        double eps_mean = 0, L_mean = 0;
        for (int k = 0; k < K; k++) {
            resets += chains[k].n_resets;
            nonfinite += chains[k].n_nonfinite;
            grads += chains[k].n_grad;
            eps_mean += chains[k].eps;
            L_mean += chains[k].L;
        }
        eps_mean /= K;
        L_mean /= K;
        int modes = -1;
        if (o.target == SMILE_ANALYTIC_GMM25)
            modes = smile_analytic_modes_visited(an, rs.keep, (size_t)K * (size_t)nk, 0.01);

        /* ε trace */
        if (o.trace) {
            FILE *tf = fopen(o.trace, "w");
            if (!tf) {
                fprintf(stderr, "smile analytic: --trace: cannot open '%s' for writing\n", o.trace);
                rc = 1;
                goto done;
            }
            fprintf(tf, "# chain step phase eps resets  (target %s, noise %s, sampler %s)\n",
                    smile_analytic_name(o.target), smile_noise_name(o.noise),
                    smile_sampler_name(o.sampler));
            for (int k = 0; k < K; k++)
                for (int64_t j = 0; j < rs.n_trace; j++) {
                    size_t q = (size_t)k * (size_t)rs.n_trace + (size_t)j;
                    fprintf(tf, "%d %lld %d %.17g %lld\n", k, (long long)(j * rs.trace_every),
                            (int)rs.trace_phase[q], rs.trace_eps[q], (long long)rs.trace_resets[q]);
                }
            if (fclose(tf)) {
                fprintf(stderr, "smile analytic: --trace: write error on '%s'\n", o.trace);
                rc = 1;
                goto done;
            }
        }

        const double seconds = now_s() - t_start;
        if (o.json) {
            FILE *f = stdout;
            fprintf(f, "{\n");
            fprintf(f, "  \"target\": \"%s\",\n", smile_analytic_name(o.target));
            fprintf(f, "  \"noise\": \"%s\",\n", smile_noise_name(o.noise));
            fprintf(f, "  \"sampler\": \"%s\",\n", smile_sampler_name(o.sampler));
            fprintf(f, "  \"chains\": %d,\n", K);
            fprintf(f, "  \"steps\": %lld,\n", (long long)o.steps);
            fprintf(f, "  \"warmup\": %lld,\n", (long long)o.warmup);
            jnum(f, "step_size", o.sampler == SMILE_SAMPLER_MCLMC && !o.have_step &&
                                         sp.mclmc_init_eps_from_d
                                     ? 0.25 * sqrt((double)d)
                                     : o.step_size,
                 1);
            fprintf(f, "  \"seed\": %" PRIu64 ",\n", o.seed);
            fprintf(f, "  \"batch\": %lld,\n", (long long)o.batch);
            fprintf(f, "  \"mclmc_tuning\": \"%s\",\n",
                    o.tuning == SMILE_MCLMC_TUNING_BLACKJAX ? "blackjax" : "mile");
            fprintf(f, "  \"normalisation\": \"%s\",\n",
                    o.norm == SMILE_MOMENTS_REFERENCE ? "reference" : "exact");
            fprintf(f, "  \"kept_per_chain\": %lld,\n", (long long)nk);
            jnum(f, "bias", bias, 1);
            jnum(f, "bias_chain_median", median, 1);
            jnum(f, "ess_min", ess_min, 1);
            jnum(f, "rhat_max", rhat_max, 1);
            fprintf(f, "  \"resets\": %lld,\n", (long long)resets);
            fprintf(f, "  \"nonfinite\": %lld,\n", (long long)nonfinite);
            jnum(f, "final_step_size", eps_mean, 1);
            if (isfinite(L_mean)) jnum(f, "final_L", L_mean, 1); /* omitted for L = inf */
            fprintf(f, "  \"grad_evals\": %lld,\n", (long long)grads);
            if (modes >= 0) fprintf(f, "  \"modes_visited\": %d,\n", modes);
            jarr(f, "m_hat", m_pool, d);
            jarr(f, "bias_per_chain", bias_chain, (size_t)K);
            fprintf(f, "  \"seconds\": %.3f\n", seconds);
            fprintf(f, "}\n");
        } else {
            printf("smile analytic: target %s, noise %s, sampler %s\n",
                   smile_analytic_name(o.target), smile_noise_name(o.noise),
                   smile_sampler_name(o.sampler));
            printf("  %d chains x %lld recorded steps (+%lld warm-up), batch %lld, seed %" PRIu64
                   "\n",
                   K, (long long)o.steps, (long long)o.warmup, (long long)o.batch, o.seed);
            printf("  kept %lld draws per chain (every %d-th after the first %lld steps)\n\n",
                   (long long)nk, BIAS_THIN, (long long)rs.s0);
            printf("  %-28s %.6g\n", "bias (pooled, b^2)", bias);
            printf("  %-28s %.6g\n", "bias (median over chains)", median);
            printf("  %-28s %.6g\n", "ess_min (bulk)", ess_min);
            printf("  %-28s %.6g\n", "rhat_max", rhat_max);
            printf("  %-28s %lld\n", "resets", (long long)resets);
            printf("  %-28s %lld\n", "non-finite steps", (long long)nonfinite);
            printf("  %-28s %.6g\n", "final step size (mean)", eps_mean);
            if (o.sampler <= SMILE_SAMPLER_PSMILE)
                printf("  %-28s %.6g\n", "final L (mean)", L_mean);
            printf("  %-28s %lld\n", "gradient evaluations", (long long)grads);
            if (modes >= 0) printf("  %-28s %d of %d\n", "modes visited", modes,
                                   smile_analytic_n_modes(an));
            printf("  %-28s %.3f\n\n", "seconds", seconds);
            printf("  %4s %14s %14s %14s %12s\n", "i", "E[x_i^2]", "m_hat_i", "sd[x_i^2]",
                   "z");
            for (size_t i = 0; i < d; i++) {
                double sdv = sqrt(var_sq[i]);
                printf("  %4zu %14.6g %14.6g %14.6g %12.4g\n", i, e_sq[i], m_pool[i], sdv,
                       (m_pool[i] - e_sq[i]) / sdv);
            }
        }
    }

done:
    for (int k = 0; k < n_init; k++) smile_chain_free(&chains[k]);
    free(chains);
    free(targets);
    free(rs.keep);
    free(rs.n_kept);
    free(rs.trace_eps);
    free(rs.trace_resets);
    free(rs.trace_phase);
    free(col);
    free(bias_chain);
    free(sorted);
    free(x0);
    smile_analytic_free(an);
    return rc;
}
