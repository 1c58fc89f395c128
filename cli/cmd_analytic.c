/* smile analytic — samplers on analytical targets (ICG, funnel, banana,
 * gmm25) with synthetic mini-batch gradient noise, reporting the
 * squared-moment bias, bulk-ESS and rank-normalised R-hat (targets, noise
 * and protocol: docs/experiments.md).
 *
 * Protocol:
 *  - every chain starts at the target's initial position (gmm25: N(0, 4I)
 *    per chain) with u = 0 and an empty gradient cache (smile_chain_init);
 *  - --warmup steps are run first and not recorded; --steps counts the
 *    recorded sampling steps s = 0 .. S-1;
 *  - the first floor(S/10) recorded steps are discarded, then every 10th
 *    position is kept: s = s0, s0+10, ... (s0 = floor(S/10));
 *  - bias = b² = (1/d) Σ_i (m_i − E[x_i²])² / Var[x_i²] from the second
 *    moments m_i pooled over all kept draws of all chains;
 *    bias_chain_median = median over chains of each chain's b²;
 *  - ess_min / rhat_max = min / max over the d coordinates x_i of bulk-ESS and
 *    rank-normalised split-R̂ (max of bulk and tail) of the kept draws of all
 *    chains.
 * Mini-batches: SMILE_STREAM_FRESH (B rows without replacement, afresh every
 * step; both gradient evaluations of a McLachlan step on the same batch);
 * mclmc and noise "none" use the full data (exact gradient).
 * Results do not depend on --threads: chains own their RNG streams, and all
 * pooled quantities are reduced in chain order after the run.
 * Exit codes: 0 ok, 2 bad input (one line on stderr naming the option),
 * 1 runtime failure. */
#include "args.h"
#include "cli.h"
#include "opts.h"
#include "core/comm.h" /* member blocks and gathers over the ranks */
#include "smile_fit.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MCLMC_DEFAULT_WARMUP 10000
#define BIAS_THIN 10
#define MAX_CHAINS 4096
#define MAX_DIM 10 /* the largest target dimension */
#define PFX "smile analytic"

typedef struct {
    int target, noise, sampler, tuning, norm; /* smile_analytic_kind, ... */
    int64_t steps, warmup, chains, batch, threads, trace_every;
    double step_size, L, noise_scale, auto_target;
    int have_step, have_L, json;
    uint64_t seed, data_seed;
    const char *trace;
} opts;

/* ---- options ------------------------------------------------------------ */

static int lookup_target(const char *s, int *out) {
    smile_analytic_kind k;
    if (smile_analytic_from_name(s, &k) != SMILE_OK) return -1;
    *out = (int)k;
    return 0;
}

static int lookup_noise(const char *s, int *out) {
    smile_noise_kind k;
    if (smile_noise_from_name(s, &k) != SMILE_OK) return -1;
    *out = (int)k;
    return 0;
}

static const char *const tuning_names[] = {"mile", "blackjax", NULL};
static const int tuning_values[] = {SMILE_MCLMC_TUNING_MILE, SMILE_MCLMC_TUNING_BLACKJAX};
static const char *const norm_names[] = {"exact", "reference", NULL};
static const int norm_values[] = {SMILE_MOMENTS_EXACT, SMILE_MOMENTS_REFERENCE};

static const char analytic_prologue[] =
    "Runs K chains of one sampler on an analytical target with synthetic mini-batch\n"
    "gradient noise and reports the squared-moment bias (targets, noise and protocol:\n"
    "docs/experiments.md). Data: N=409,600 rows y=s*A*z (A by --noise, s by\n"
    "--noise-scale), column-centred; log density log pi(x) + sum_{n in batch} <y_n, x>\n"
    "(no N/B scaling).\n";

static const char analytic_epilogue[] =
    "Protocol: chains start at the target's initial position (0; banana (1,..,1,2,..,2);\n"
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
    "gmm25] m_hat bias_per_chain seconds. Other non-finite numbers are written as null.\n"
    "Exit status: 0 ok, 2 bad input, 1 runtime failure.\n";

#define AN_MAX_OPTS 24

/* The option table of `smile analytic` over o; returns the rows written to t. */
static size_t analytic_rows(cli_opt *t, opts *o) {
    const cli_opt rows[] = {
        {"--target", "T", CLI_LOOKUP(&o->target, lookup_target, "icg, funnel, banana, gmm25"),
         .flags = CLI_REQUIRED,
         .help = "icg (fixed ill-conditioned Gaussian of icg_target.txt, d=10), funnel (Neal's "
                 "funnel, d=10), banana (Rosenbrock, d=10), gmm25 (25-component 2-D Gaussian "
                 "mixture, d=2)"},
        {"--noise", "N",
         CLI_LOOKUP(&o->noise, lookup_noise, "none, isotropic, anisotropic, correlated, spatial"),
         .flags = CLI_REQUIRED,
         .help = "none (exact gradient) | isotropic (A=I) | anisotropic (A=diag(c), c=ICG "
                 "scales 0.1..10) | correlated (A=chol(Sigma_ICG)) | spatial (correlated times "
                 "exp(-x_3/h), h=6.5/9/1.414, gmm25: 4 on x_2); gmm25 uses c=(0.1,10) and "
                 "Sigma rotated by pi/6"},
        {"--sampler", "S", CLI_LOOKUP(&o->sampler, cli_lookup_sampler, CLI_SAMPLER_NAMES),
         .flags = CLI_REQUIRED,
         .help = "mclmc (full-batch MCLMC, tuned in warm-up), smile-naive, smile, psmile-naive, "
                 "psmile, sgld, sghmc, adasghmc, csgld, psmile-auto, smile-auto (settling "
                 "step-size tuner, docs/method.md)"},
        {"--steps", "N", CLI_I64_IN(&o->steps, 1, INT64_C(1) << 40), .flags = CLI_REQUIRED,
         .help = "recorded sampling steps per chain (N >= 1)"},
        {"--warmup", "N", CLI_I64_IN(&o->warmup, 0, INT64_C(1) << 40), .def = "0; mclmc: 10000",
         .help = "steps before sampling, not recorded (mclmc: split 80/10/10% into the three "
                 "phases of its step-size and L tuning, docs/method.md)"},
        {"--step-size", "EPS", CLI_POSITIVE(&o->step_size),
         .help = "EPS > 0. Tuned samplers (smile, psmile, *-auto, mclmc): initial step size, "
                 "default 1e-3 (mclmc --mclmc-tuning blackjax: 0.25*sqrt(d)). Required for "
                 "smile-naive, psmile-naive, sgld, sghmc, adasghmc, csgld (csgld: eps0 of the "
                 "cosine cyclical schedule, 4 cycles)"},
        {"--chains", "K", CLI_I64_IN(&o->chains, 1, MAX_CHAINS), .flags = CLI_SHOW_DEFAULT,
         .help = "number of chains"},
        {"--seed", "S", CLI_U64_ANY(&o->seed), .flags = CLI_SHOW_DEFAULT,
         .help = "run seed: batches, noise, velocities, gmm25 starts"},
        {"--batch", "B", CLI_I64_IN(&o->batch, 1, 409600), .flags = CLI_SHOW_DEFAULT,
         .help = "mini-batch size, rows drawn without replacement afresh every step (ignored by "
                 "mclmc and noise none: full data)"},
        {"--threads", "T", CLI_I64_IN(&o->threads, 0, 1024), .def = "0 = all cores",
         .help = "OpenMP threads over chains; results are identical for every T"},
        {"--mclmc-tuning", "P", CLI_ONE_OF(&o->tuning, tuning_names, tuning_values),
         .flags = CLI_SHOW_DEFAULT,
         .help = "mile (Var[dE]/d target 0.5 -> 0.1) or blackjax (target 5e-4, n_eff 150, "
                 "L0 = sqrt(d)); docs/method.md"},
        {"--json", NULL, CLI_SETS(&o->json, 1), .help = "print one JSON object instead of the table"},
        {"--L", "LEN", CLI_REAL_IN(&o->L, 0, INFINITY, CLI_LO_OPEN | CLI_INF_OK),
         .help = "refresh length L > 0 (SMILE family: default inf = no refresh; mclmc: initial "
                 "L before tuning)"},
        {"--normalisation", "M", CLI_ONE_OF(&o->norm, norm_names, norm_values),
         .flags = CLI_SHOW_DEFAULT,
         .help = "exact or reference (hard-coded sample estimates of E[x_i^2] and Var[x_i^2] "
                 "for funnel and banana, docs/experiments.md) for the bias"},
        {"--data-seed", "S", CLI_U64_ANY(&o->data_seed), .flags = CLI_SHOW_DEFAULT,
         .help = "seed of the synthetic data set"},
        {"--noise-scale", "S", CLI_NONNEG(&o->noise_scale), .flags = CLI_SHOW_DEFAULT,
         .help = "s >= 0 of y = s*A*z"},
        {"--trace", "FILE", CLI_STRING(&o->trace),
         .help = "write the step-size trace: lines 'chain step phase eps resets' (phase 0 "
                 "warm-up, 1 sampling; resets = cumulative count)"},
        {"--trace-every", "K", CLI_I64_IN(&o->trace_every, 1, INT64_C(1) << 40),
         .def = "(warmup+steps)/2000, at least 1", .help = "trace every K-th step"},
        {"--auto-target", "V", CLI_POSITIVE(&o->auto_target), .def = "3e-3",
         .help = "smile-auto/psmile-auto (experimental, docs/method.md): target E[dE_b^2]/d "
                 "of the settling tuner"},
    };
    _Static_assert(CLI_N(rows) <= AN_MAX_OPTS, "AN_MAX_OPTS too small");
    memcpy(t, rows, sizeof rows);
    return CLI_N(rows);
}

static int sampler_requires_step(smile_sampler_kind k) {
    return k == SMILE_SAMPLER_SMILE_NAIVE || k == SMILE_SAMPLER_PSMILE_NAIVE ||
           k == SMILE_SAMPLER_SGLD || k == SMILE_SAMPLER_SGHMC || k == SMILE_SAMPLER_ADASGHMC ||
           k == SMILE_SAMPLER_CSGLD;
}

/* Parses and checks the options into o; returns CLI_CONTINUE or an exit code. */
static int analytic_parse(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    o->chains = 4;
    o->seed = 42;
    o->batch = 256;
    o->tuning = SMILE_MCLMC_TUNING_MILE;
    o->norm = SMILE_MOMENTS_EXACT;
    o->noise_scale = 1.0;
    o->step_size = 1e-3;
    cli_opt rows[AN_MAX_OPTS];
    cli_cmd cmd = {.name = "analytic", .prologue = analytic_prologue,
                   .epilogue = analytic_epilogue, .opts = rows};
    cmd.n_opts = analytic_rows(rows, o);
    int rc = cli_parse(&cmd, argc, argv);
    if (rc != CLI_CONTINUE) return rc;
    o->have_step = cli_given(&cmd, "--step-size");
    o->have_L = cli_given(&cmd, "--L");
    if (!o->have_step && sampler_requires_step((smile_sampler_kind)o->sampler))
        return cli_bad(PFX, "--step-size: required for sampler %s",
                       smile_sampler_name((smile_sampler_kind)o->sampler));
    if (o->trace && (rc = cli_check_out_file(PFX, "--trace", o->trace))) return rc;
    if (!cli_given(&cmd, "--warmup"))
        o->warmup = o->sampler == SMILE_SAMPLER_MCLMC ? MCLMC_DEFAULT_WARMUP : 0;
    return CLI_CONTINUE;
}

/* ---- run state shared with the step callback ---------------------------- */

/* The buffers of a run; on_step fills keep, n_kept and the trace. */
typedef struct {
    size_t d;
    int K;                  /* chains                                           */
    int64_t S, s0, n_keep;  /* recorded steps, discarded prefix, kept per chain */
    double *keep;           /* [K][n_keep][d] kept positions                    */
    int64_t trace_every, n_trace;
    double *trace_eps;      /* [K][n_trace]                                     */
    int64_t *trace_resets;  /* [K][n_trace]                                     */
    signed char *trace_phase;
    int64_t *n_kept;        /* [K]                                              */
    smile_chain *chains;    /* [K]                                              */
    smile_target *targets;  /* [K]                                              */
    double *col, *bias_chain, *sorted; /* [K * n_keep], [K], [K]                */
    float *x0;              /* [d]                                              */
    smile_comm *comm;       /* ranks: this one runs chains k0 .. k0 + kn − 1    */
    int k0, kn;
} run_state;

/* What the run reports. */
typedef struct {
    double e_sq[MAX_DIM], var_sq[MAX_DIM], m_pool[MAX_DIM];
    double bias, median, ess_min, rhat_max, eps_mean, L_mean, step_size, seconds;
    int64_t resets, nonfinite, grads;
    int modes; /* gmm25: modes visited; -1 otherwise */
} results;

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


/* ---- setup -------------------------------------------------------------- */

/* The sampler's parameters for target dimension d; returns 0 or 2. */
static int make_sampler(const opts *o, size_t d, smile_sampler_params *sp) {
    const smile_sampler_kind kind = (smile_sampler_kind)o->sampler;
    *sp = smile_sampler_params_default(kind);
    if (kind == SMILE_SAMPLER_MCLMC) {
        smile_sampler_params_mclmc_preset(sp, (smile_mclmc_tuning)o->tuning);
        if (o->have_step) sp->mclmc_init_eps_from_d = 0; /* explicit initial eps wins */
    }
    sp->step_size = o->step_size;
    if (o->have_L) sp->L = o->L;
    if (o->auto_target > 0) sp->auto_target = o->auto_target;
    if (kind == SMILE_SAMPLER_CSGLD) {
        sp->schedule.eps0 = o->step_size;
        if (sp->schedule.eps_end > o->step_size) sp->schedule.eps_end = o->step_size;
        if (sp->schedule.n_cycles > o->steps) sp->schedule.n_cycles = (int)o->steps;
    }
    char msg[512] = "";
    if (smile_sampler_params_validate(sp, d, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, PFX ": --sampler %s: %s\n", smile_sampler_name(kind), msg);
        return 2;
    }
    return 0;
}

static void state_free(run_state *rs) {
    for (int k = 0; rs->chains && k < rs->K; k++) smile_chain_free(&rs->chains[k]);
    free(rs->chains);
    free(rs->targets);
    free(rs->keep);
    free(rs->n_kept);
    free(rs->trace_eps);
    free(rs->trace_resets);
    free(rs->trace_phase);
    free(rs->col);
    free(rs->bias_chain);
    free(rs->sorted);
    free(rs->x0);
}

/* Allocates the buffers of K chains in dimension d; returns 0 or 1. */
static int state_alloc(run_state *rs, const opts *o, size_t d) {
    memset(rs, 0, sizeof *rs);
    const int K = (int)o->chains;
    rs->d = d;
    rs->K = K;
    rs->S = o->steps;
    rs->s0 = o->steps / 10;
    rs->n_keep = (o->steps - rs->s0 + BIAS_THIN - 1) / BIAS_THIN;
    const int64_t total = o->warmup + o->steps;
    rs->trace_every = o->trace_every ? o->trace_every : (total / 2000 > 1 ? total / 2000 : 1);
    rs->n_trace = (total + rs->trace_every - 1) / rs->trace_every;
    rs->chains = calloc((size_t)K, sizeof *rs->chains);
    rs->targets = calloc((size_t)K, sizeof *rs->targets);
    rs->keep = calloc((size_t)K * (size_t)rs->n_keep * d, sizeof *rs->keep);
    rs->n_kept = calloc((size_t)K, sizeof *rs->n_kept);
    rs->col = calloc((size_t)K * (size_t)rs->n_keep, sizeof *rs->col);
    rs->bias_chain = calloc((size_t)K, sizeof *rs->bias_chain);
    rs->sorted = calloc((size_t)K, sizeof *rs->sorted);
    rs->x0 = calloc(d, sizeof *rs->x0);
    rs->comm = cli_comm();
    smile_comm_members(K, smile_comm_size(rs->comm), smile_comm_rank(rs->comm), &rs->k0, &rs->kn);
    int ok = rs->chains && rs->targets && rs->keep && rs->n_kept && rs->col && rs->bias_chain &&
             rs->sorted && rs->x0;
    if (ok && o->trace) {
        size_t nt = (size_t)K * (size_t)rs->n_trace;
        rs->trace_eps = calloc(nt, sizeof *rs->trace_eps);
        rs->trace_resets = calloc(nt, sizeof *rs->trace_resets);
        rs->trace_phase = calloc(nt, 1);
        ok = rs->trace_eps && rs->trace_resets && rs->trace_phase;
    }
    if (ok) return 0;
    fprintf(stderr, PFX ": out of memory (%d chains x %lld kept draws)\n", K,
            (long long)rs->n_keep);
    return 1;
}

/* The driver numbers this rank's chains 0 .. kn − 1; on_step wants chain k0 + k. */
static smile_status drive_step(void *user, int k, const smile_chain *c,
                               const smile_step_info *info, char *msg, size_t msg_len) {
    run_state *rs = user;
    (void)msg;
    (void)msg_len;
    on_step(rs, rs->k0 + k, c, info);
    return SMILE_OK;
}

/* This rank's chains k0 .. k0 + kn − 1, each with the streams of its index k. */
static smile_status drive_own(run_state *rs, smile_analytic *an, const smile_analytic_params *ap,
                              const smile_sampler_params *sp, const opts *o, char *msg,
                              size_t msg_len) {
    for (int k = rs->k0; k < rs->k0 + rs->kn; k++) {
        smile_analytic_initial_position(an, o->seed, k, rs->x0);
        char m2[400] = "";
        smile_status st = smile_chain_init(&rs->chains[k], sp, rs->d, o->seed, k, rs->x0, m2,
                                           sizeof m2);
        SMILE_CHECK(st != SMILE_OK, st, msg, msg_len, "chain %d: %s", k, m2);
        rs->targets[k] = smile_analytic_target(an);
    }
    if (rs->kn == 0) return SMILE_OK;
    smile_run_params rp = smile_run_params_default();
    rp.n_chains = rs->kn;
    rp.warmup = o->warmup;
    rp.samples = o->steps;
    rp.thin = 1;
    rp.threads = (int)o->threads;
    rp.stream = o->noise == SMILE_NOISE_NONE ? SMILE_STREAM_FULL : SMILE_STREAM_FRESH;
    rp.n_data = ap->n_data;
    rp.batch_size = (size_t)o->batch;
    rp.scale = SMILE_SCALE_N_OVER_B; /* ignored by the analytic targets (no N/B scaling) */
    rp.seed = o->seed;
    smile_drive_slot *slots = calloc((size_t)rs->kn, sizeof *slots);
    SMILE_CHECK(!slots, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_status st = SMILE_OK;
    int n = 0;
    for (; n < rs->kn && st == SMILE_OK; n++)
        st = smile_drive_slot_init(&slots[n], &rp, sp->kind, rs->k0 + n, msg, msg_len);
    smile_drive_hooks hooks = {.user = rs, .on_step = drive_step};
    if (st == SMILE_OK)
        st = smile_drive(rs->chains + rs->k0, slots, rs->targets + rs->k0, &rp, &hooks, msg,
                         msg_len);
    for (int k = 0; k < n; k++) smile_drive_slot_free(&slots[k]);
    free(slots);
    return st;
}

/* Rank 0 receives every chain's kept draws, trace and counters. */
static smile_status gather_chains(run_state *rs, char *msg, size_t msg_len) {
    const int K = rs->K;
    smile_comm *c = rs->comm;
    if (smile_comm_size(c) < 2) return SMILE_OK;
    const size_t nk = (size_t)rs->n_keep, nt = (size_t)rs->n_trace;
    SMILE_TRY(smile_comm_gather_members(c, rs->keep, nk * rs->d * sizeof *rs->keep, K, 0, msg,
                                        msg_len));
    SMILE_TRY(smile_comm_gather_members(c, rs->n_kept, sizeof *rs->n_kept, K, 0, msg, msg_len));
    if (rs->trace_eps) {
        SMILE_TRY(smile_comm_gather_members(c, rs->trace_eps, nt * sizeof *rs->trace_eps, K, 0,
                                            msg, msg_len));
        SMILE_TRY(smile_comm_gather_members(c, rs->trace_resets, nt * sizeof *rs->trace_resets,
                                            K, 0, msg, msg_len));
        SMILE_TRY(smile_comm_gather_members(c, rs->trace_phase, nt, K, 0, msg, msg_len));
    }
    return smile_comm_gather_chains(c, rs->chains, K, msg, msg_len);
}

/* Initialises and runs the chains (each rank its own block; rank 0 then holds
 * every chain's draws); returns 0 or 1. */
static int run_chains(run_state *rs, smile_analytic *an, const smile_analytic_params *ap,
                      const smile_sampler_params *sp, const opts *o) {
    char msg[512] = "";
    smile_status st = smile_comm_agree(rs->comm, drive_own(rs, an, ap, sp, o, msg, sizeof msg),
                                       msg, sizeof msg);
    if (st == SMILE_OK) st = gather_chains(rs, msg, sizeof msg);
    if (st != SMILE_OK) {
        fprintf(stderr, PFX ": %s\n", msg);
        return 1;
    }
    return 0;
}

/* ---- metrics (chain order: independent of threads) ---------------------- */

/* Squared-moment bias pooled and per chain, and its median over chains. */
static int bias_metrics(run_state *rs, results *r) {
    const size_t d = rs->d;
    const int K = rs->K;
    const int64_t nk = rs->n_keep;
    double m_chain[MAX_DIM];
    int64_t n_pool = 0;
    for (int k = 0; k < K; k++) {
        if (rs->n_kept[k] != nk) { /* cannot happen unless a chain stopped early */
            fprintf(stderr, PFX ": chain %d kept %lld of %lld draws\n", k,
                    (long long)rs->n_kept[k], (long long)nk);
            return 1;
        }
        for (size_t i = 0; i < d; i++) m_chain[i] = 0;
        const double *xk = rs->keep + (size_t)k * (size_t)nk * d;
        for (int64_t j = 0; j < nk; j++)
            for (size_t i = 0; i < d; i++) m_chain[i] += xk[j * (int64_t)d + (int64_t)i] *
                                                         xk[j * (int64_t)d + (int64_t)i];
        for (size_t i = 0; i < d; i++) {
            r->m_pool[i] += m_chain[i];
            m_chain[i] /= (double)nk;
        }
        n_pool += nk;
        rs->bias_chain[k] = smile_squared_moment_bias(m_chain, r->e_sq, r->var_sq, d);
    }
    for (size_t i = 0; i < d; i++) r->m_pool[i] /= (double)n_pool;
    r->bias = smile_squared_moment_bias(r->m_pool, r->e_sq, r->var_sq, d);
    memcpy(rs->sorted, rs->bias_chain, (size_t)K * sizeof *rs->sorted);
    qsort(rs->sorted, (size_t)K, sizeof *rs->sorted, cmp_double);
    r->median = K % 2 ? rs->sorted[K / 2] : 0.5 * (rs->sorted[K / 2 - 1] + rs->sorted[K / 2]);
    return 0;
}

/* Worst bulk-ESS and R-hat over the coordinates. */
static void mixing_metrics(run_state *rs, results *r) {
    const int64_t nk = rs->n_keep;
    double ess_min = INFINITY, rhat_max = -INFINITY;
    int diag_nan = 0;
    for (size_t i = 0; i < rs->d; i++) {
        for (int k = 0; k < rs->K; k++)
            for (int64_t j = 0; j < nk; j++)
                rs->col[(size_t)k * (size_t)nk + (size_t)j] =
                    rs->keep[((size_t)k * (size_t)nk + (size_t)j) * rs->d + i];
        double ess = smile_ess_bulk(rs->col, (size_t)rs->K, (size_t)nk);
        double rh = smile_rhat(rs->col, (size_t)rs->K, (size_t)nk);
        if (!isfinite(ess) || !isfinite(rh)) diag_nan = 1;
        if (ess < ess_min) ess_min = ess;
        if (rh > rhat_max) rhat_max = rh;
    }
    if (diag_nan) ess_min = rhat_max = NAN;
    r->ess_min = ess_min;
    r->rhat_max = rhat_max;
}

static int compute_results(run_state *rs, const smile_analytic *an, const opts *o,
                           const smile_sampler_params *sp, results *r) {
    memset(r, 0, sizeof *r);
    smile_analytic_moments(an, (smile_moments_kind)o->norm, r->e_sq, r->var_sq);
    if (bias_metrics(rs, r)) return 1;
    mixing_metrics(rs, r);
    for (int k = 0; k < rs->K; k++) {
        r->resets += rs->chains[k].n_resets;
        r->nonfinite += rs->chains[k].n_nonfinite;
        r->grads += rs->chains[k].n_grad;
        r->eps_mean += rs->chains[k].eps;
        r->L_mean += rs->chains[k].L;
    }
    r->eps_mean /= rs->K;
    r->L_mean /= rs->K;
    r->modes = -1;
    if (o->target == SMILE_ANALYTIC_GMM25)
        r->modes = smile_analytic_modes_visited(an, rs->keep, (size_t)rs->K * (size_t)rs->n_keep,
                                                0.01);
    r->step_size = o->sampler == SMILE_SAMPLER_MCLMC && !o->have_step && sp->mclmc_init_eps_from_d
                       ? 0.25 * sqrt((double)rs->d)
                       : o->step_size;
    return 0;
}

/* ---- output ------------------------------------------------------------- */

static int write_trace(const run_state *rs, const opts *o) {
    FILE *tf = fopen(o->trace, "w");
    if (!tf) {
        fprintf(stderr, PFX ": --trace: cannot open '%s' for writing\n", o->trace);
        return 1;
    }
    fprintf(tf, "# chain step phase eps resets  (target %s, noise %s, sampler %s)\n",
            smile_analytic_name((smile_analytic_kind)o->target),
            smile_noise_name((smile_noise_kind)o->noise),
            smile_sampler_name((smile_sampler_kind)o->sampler));
    for (int k = 0; k < rs->K; k++)
        for (int64_t j = 0; j < rs->n_trace; j++) {
            size_t q = (size_t)k * (size_t)rs->n_trace + (size_t)j;
            fprintf(tf, "%d %lld %d %.17g %lld\n", k, (long long)(j * rs->trace_every),
                    (int)rs->trace_phase[q], rs->trace_eps[q], (long long)rs->trace_resets[q]);
        }
    if (fclose(tf)) {
        fprintf(stderr, PFX ": --trace: write error on '%s'\n", o->trace);
        return 1;
    }
    return 0;
}

static void print_json(const run_state *rs, const opts *o, const results *r) {
    FILE *f = stdout;
    fprintf(f, "{\n");
    fprintf(f, "  \"target\": \"%s\",\n", smile_analytic_name((smile_analytic_kind)o->target));
    fprintf(f, "  \"noise\": \"%s\",\n", smile_noise_name((smile_noise_kind)o->noise));
    fprintf(f, "  \"sampler\": \"%s\",\n", smile_sampler_name((smile_sampler_kind)o->sampler));
    fprintf(f, "  \"chains\": %d,\n", rs->K);
    fprintf(f, "  \"steps\": %lld,\n", (long long)o->steps);
    fprintf(f, "  \"warmup\": %lld,\n", (long long)o->warmup);
    jnum(f, "step_size", r->step_size, 1);
    fprintf(f, "  \"seed\": %" PRIu64 ",\n", o->seed);
    fprintf(f, "  \"batch\": %lld,\n", (long long)o->batch);
    fprintf(f, "  \"mclmc_tuning\": \"%s\",\n",
            o->tuning == SMILE_MCLMC_TUNING_BLACKJAX ? "blackjax" : "mile");
    fprintf(f, "  \"normalisation\": \"%s\",\n",
            o->norm == SMILE_MOMENTS_REFERENCE ? "reference" : "exact");
    fprintf(f, "  \"kept_per_chain\": %lld,\n", (long long)rs->n_keep);
    jnum(f, "bias", r->bias, 1);
    jnum(f, "bias_chain_median", r->median, 1);
    jnum(f, "ess_min", r->ess_min, 1);
    jnum(f, "rhat_max", r->rhat_max, 1);
    fprintf(f, "  \"resets\": %lld,\n", (long long)r->resets);
    fprintf(f, "  \"nonfinite\": %lld,\n", (long long)r->nonfinite);
    jnum(f, "final_step_size", r->eps_mean, 1);
    if (isfinite(r->L_mean)) jnum(f, "final_L", r->L_mean, 1); /* omitted for L = inf */
    fprintf(f, "  \"grad_evals\": %lld,\n", (long long)r->grads);
    if (r->modes >= 0) fprintf(f, "  \"modes_visited\": %d,\n", r->modes);
    jarr(f, "m_hat", r->m_pool, rs->d);
    jarr(f, "bias_per_chain", rs->bias_chain, (size_t)rs->K);
    fprintf(f, "  \"seconds\": %.3f\n", r->seconds);
    fprintf(f, "}\n");
}

static void print_table(const run_state *rs, const smile_analytic *an, const opts *o,
                        const results *r) {
    printf("smile analytic: target %s, noise %s, sampler %s\n",
           smile_analytic_name((smile_analytic_kind)o->target),
           smile_noise_name((smile_noise_kind)o->noise),
           smile_sampler_name((smile_sampler_kind)o->sampler));
    printf("  %d chains x %lld recorded steps (+%lld warm-up), batch %lld, seed %" PRIu64 "\n",
           rs->K, (long long)o->steps, (long long)o->warmup, (long long)o->batch, o->seed);
    printf("  kept %lld draws per chain (every %d-th after the first %lld steps)\n\n",
           (long long)rs->n_keep, BIAS_THIN, (long long)rs->s0);
    printf("  %-28s %.6g\n", "bias (pooled, b^2)", r->bias);
    printf("  %-28s %.6g\n", "bias (median over chains)", r->median);
    printf("  %-28s %.6g\n", "ess_min (bulk)", r->ess_min);
    printf("  %-28s %.6g\n", "rhat_max", r->rhat_max);
    printf("  %-28s %lld\n", "resets", (long long)r->resets);
    printf("  %-28s %lld\n", "non-finite steps", (long long)r->nonfinite);
    printf("  %-28s %.6g\n", "final step size (mean)", r->eps_mean);
    if (o->sampler <= SMILE_SAMPLER_PSMILE) printf("  %-28s %.6g\n", "final L (mean)", r->L_mean);
    printf("  %-28s %lld\n", "gradient evaluations", (long long)r->grads);
    if (r->modes >= 0)
        printf("  %-28s %d of %d\n", "modes visited", r->modes, smile_analytic_n_modes(an));
    printf("  %-28s %.3f\n\n", "seconds", r->seconds);
    printf("  %4s %14s %14s %14s %12s\n", "i", "E[x_i^2]", "m_hat_i", "sd[x_i^2]", "z");
    for (size_t i = 0; i < rs->d; i++) {
        double sdv = sqrt(r->var_sq[i]);
        printf("  %4zu %14.6g %14.6g %14.6g %12.4g\n", i, r->e_sq[i], r->m_pool[i], sdv,
               (r->m_pool[i] - r->e_sq[i]) / sdv);
    }
}

/* ---- command ------------------------------------------------------------ */

int smile_cmd_analytic(int argc, char **argv) {
    const double t_start = cli_wall_s();
    opts o;
    int rc = analytic_parse(argc, argv, &o);
    if (rc != CLI_CONTINUE) return rc;

    char msg[512] = "";
    smile_analytic_params ap =
        smile_analytic_params_default((smile_analytic_kind)o.target, (smile_noise_kind)o.noise);
    ap.data_seed = o.data_seed;
    ap.noise_scale = o.noise_scale;
    ap.cache_slots = (int)o.chains;
    smile_analytic *an = NULL;
    if (smile_analytic_init(&an, &ap, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, PFX ": %s\n", msg);
        return 1;
    }
    smile_sampler_params sp;
    if (make_sampler(&o, smile_analytic_dim(an), &sp)) {
        smile_analytic_free(an);
        return 2;
    }
    run_state rs;
    results r;
    rc = state_alloc(&rs, &o, smile_analytic_dim(an));
    if (!rc) rc = run_chains(&rs, an, &ap, &sp, &o);
    const int root = cli_rank() == 0; /* the results: rank 0 */
    if (!rc && root) rc = compute_results(&rs, an, &o, &sp, &r);
    if (!root) rc = 0;
    if (!rc && root && o.trace) rc = write_trace(&rs, &o);
    if (!rc && root) {
        r.seconds = cli_wall_s() - t_start;
        if (o.json) print_json(&rs, &o, &r);
        else print_table(&rs, an, &o, &r);
    }
    state_free(&rs);
    smile_analytic_free(an);
    return cli_rank0_status(rc);
}
