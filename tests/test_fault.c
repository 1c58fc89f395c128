/* Fault injection (src/core/fault.c, docs/hardening.md): the SMILE_FAULT
 * parser, determinism and the off state; every sampler kind under NaN / ±Inf
 * storms in its log density and gradient at rates 1e-3 and 1e-2 (finite
 * samples, second moments near the target's, every event counted as a
 * non-finite reset); ±Inf gradient entries zeroed like NaN rather than
 * clamped and applied; the tuned samplers' step size not collapsing under
 * the storms (compared with the same run without faults); injected write
 * failures reported by the atomic writer with nothing left behind. */
#include "core/core.h"
#include "harness.h"
#include "io/io.h"
#include "sampler/sampler_internal.h"
#include "smile.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#define D 10

typedef struct {
    double s[D], noise;
} gauss_t;

/* N(0, diag(s²)) seen through mini-batches: batch b adds the linear term
 * n_b · x, n_b ~ N(0, noise² I) drawn from the batch serial (gradient noise as
 * in stochastic-gradient sampling; every evaluation of a step sees the same
 * n_b). MCLMC, a full-batch method, gets the exact gradient (noise 0). */
static int gauss_fn(void *user, const float *x, const smile_batch *b, double *logp, float *grad) {
    const gauss_t *G = user;
    smile_rng r;
    smile_rng_init(&r, 99, b->serial, SMILE_RNG_USER);
    double lp = 0;
    for (size_t i = 0; i < D; i++) {
        const double s2 = G->s[i] * G->s[i], n = G->noise * smile_rng_normal(&r);
        lp += -0.5 * (double)x[i] * x[i] / s2 + n * x[i];
        if (grad) grad[i] = (float)(-(double)x[i] / s2 + n);
    }
    *logp = lp;
    return 0;
}

typedef struct {
    double m2;    /* mean over sampling steps and coordinates of x_i² / s_i² */
    double max_r2; /* largest Σ x_i² / s_i² seen                              */
    double eps_warm; /* step size at the end of the warm-up                    */
    int finite;
    int64_t nonfinite, resets;
} run_out;

static smile_sampler_params params_for(smile_sampler_kind k) {
    smile_sampler_params p = smile_sampler_params_default(k);
    switch (k) {
    case SMILE_SAMPLER_SGLD: p.step_size = 1e-2; break;
    case SMILE_SAMPLER_CSGLD: p.step_size = p.schedule.eps0 = 2e-2; break;
    case SMILE_SAMPLER_SGHMC: p.step_size = 5e-2; p.sghmc_alpha = 0.2; break;
    case SMILE_SAMPLER_ADASGHMC: p.step_size = 2e-2; break;
    case SMILE_SAMPLER_MCLMC: p.step_size = 0.3; break;
    default: p.step_size = 0.3; p.L = 3.0; break;
    }
    return p;
}

static run_out run(smile_sampler_kind k, const smile_fault_config *fc, int64_t W, int64_t S) {
    gauss_t G;
    for (int i = 0; i < D; i++) G.s[i] = 0.5 * pow(4.0, i / (double)(D - 1)); /* 0.5 .. 2 */
    G.noise = k == SMILE_SAMPLER_MCLMC ? 0.0 : 1.0;
    smile_target t = {D, gauss_fn, &G, 1};
    smile_sampler_params p = params_for(k);
    smile_chain c;
    char msg[256] = "";
    run_out o = {0, 0, 0, 1, 0, 0};
    smile_fault_configure(fc);
    float x0[D];
    for (int i = 0; i < D; i++) x0[i] = (float)(0.3 * G.s[i]);
    if (smile_chain_init(&c, &p, D, 17, 0, x0, msg, sizeof msg) != SMILE_OK) {
        CHECK(0, "%s: init: %s", smile_sampler_name(k), msg);
        return o;
    }
    smile_step_info info;
    CHECK(smile_chain_begin_warmup(&c, &t, W, msg, sizeof msg) == SMILE_OK, "%s", msg);
    for (int64_t s = 0; s < W + S; s++) {
        if (s == W) {
            o.eps_warm = c.eps;
            CHECK(smile_chain_begin_sampling(&c, &t, S, 1, msg, sizeof msg) == SMILE_OK, "%s", msg);
        }
        smile_batch b = {NULL, 0, 1.0, (uint64_t)s, 0};
        smile_chain_step(&c, &t, &b, &info);
        double r2 = 0;
        for (int i = 0; i < D; i++) {
            o.finite &= isfinite(c.x[i]) && isfinite(c.u[i]);
            r2 += (double)c.x[i] * c.x[i] / (G.s[i] * G.s[i]);
        }
        if (r2 > o.max_r2 || !isfinite(r2)) o.max_r2 = r2;
        if (s >= W) o.m2 += r2 / D / (double)S;
    }
    o.nonfinite = c.n_nonfinite;
    o.resets = c.n_resets;
    smile_chain_free(&c);
    smile_fault_configure(NULL);
    return o;
}

static void test_parse(void) {
    smile_fault_config c;
    char msg[256] = "";
    CHECK(smile_fault_parse("grad=1e-2:nan,-inf;write=0.5:short;seed=9", &c, msg, sizeof msg) == 0,
          "%s", msg);
    CHECK(c.grad_rate == 1e-2 && c.grad_kinds == (1u | 4u) && c.write_rate == 0.5 &&
              c.write_kinds == 1u && c.seed == 9,
          "parsed %g %#x %g %#x %llu", c.grad_rate, c.grad_kinds, c.write_rate, c.write_kinds,
          (unsigned long long)c.seed);
    CHECK(smile_fault_parse("grad=0.1", &c, msg, sizeof msg) == 0 && c.grad_kinds == 15u,
          "no kind list: every kind (%#x)", c.grad_kinds);
    const char *bad[] = {"grad=2", "grad=x", "grad=0.1:zero", "disk=0.1", "seed=-1", "grad",
                         "write=0.1:nan", "seed=1x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        msg[0] = 0;
        CHECK(smile_fault_parse(bad[i], &c, msg, sizeof msg) == -1 && msg[0],
              "'%s' refused with a message ('%s')", bad[i], msg);
    }
    /* off unless configured: SMILE_FAULT is not set for this test */
    CHECK(getenv("SMILE_FAULT") || smile_fault_get() == NULL, "fault injection on by default");
    /* the draws are a function of (seed, chain, step, evaluation) only */
    smile_fault_config f = {.grad_rate = 0.25, .grad_kinds = 15u, .seed = 3};
    int hits = 0, same = 1;
    for (uint64_t s = 0; s < 4000; s++) {
        double a = 1, b2 = 1;
        float ga[4] = {0}, gb[4] = {0};
        int ka = smile_fault_eval(&f, 1, s, 0, 4, &a, ga);
        int kb = smile_fault_eval(&f, 1, s, 0, 4, &b2, gb);
        same &= ka == kb && memcmp(ga, gb, sizeof ga) == 0 && (ka == 0 || ka == 1 || a == b2);
        hits += ka != 0;
    }
    CHECK(same, "fault draws not reproducible");
    CHECK(hits > 900 && hits < 1100, "rate 0.25: %d of 4000 evaluations corrupted", hits);
}

static int p_tuned(smile_sampler_kind k) {
    return k == SMILE_SAMPLER_MCLMC || k == SMILE_SAMPLER_SMILE || k == SMILE_SAMPLER_PSMILE ||
           k == SMILE_SAMPLER_SMILE_AUTO || k == SMILE_SAMPLER_PSMILE_AUTO;
}

static void test_storms(void) {
    static const smile_sampler_kind kinds[] = {
        SMILE_SAMPLER_MCLMC,      SMILE_SAMPLER_SMILE_NAIVE, SMILE_SAMPLER_SMILE,
        SMILE_SAMPLER_PSMILE_NAIVE, SMILE_SAMPLER_PSMILE,    SMILE_SAMPLER_SGLD,
        SMILE_SAMPLER_CSGLD,      SMILE_SAMPLER_SGHMC,       SMILE_SAMPLER_ADASGHMC,
        SMILE_SAMPLER_SMILE_AUTO, SMILE_SAMPLER_PSMILE_AUTO};
    _Static_assert(sizeof kinds / sizeof *kinds == SMILE_SAMPLER_COUNT_, "every sampler kind");
    const int64_t W = 3000, S = 12000;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        const smile_sampler_kind k = kinds[i];
        const char *name = smile_sampler_name(k);
        const run_out clean = run(k, NULL, W, S);
        CHECK(clean.finite && clean.nonfinite == 0, "%s: clean run", name);
        for (int r = 0; r < 2; r++) {
            const double rate = r ? 1e-2 : 1e-3;
            smile_fault_config fc = {.grad_rate = rate, .grad_kinds = 1u | 2u | 4u, .seed = 5};
            const run_out o = run(k, &fc, W, S);
            printf("%-12s rate %.0e: non-finite %4lld resets %4lld  E[x^2/s^2] %.3f (clean %.3f)  "
                   "eps %.4g (clean %.4g)  max r2 %.3g\n",
                   name, rate, (long long)o.nonfinite, (long long)o.resets, o.m2, clean.m2,
                   o.eps_warm, clean.eps_warm, o.max_r2);
            CHECK(o.finite, "%s rate %g: non-finite state", name, rate);
            /* ~rate x evaluations per step x steps events, each one counted */
            CHECK(o.nonfinite > 0 && o.resets >= o.nonfinite, "%s rate %g: %lld non-finite, %lld resets",
                  name, rate, (long long)o.nonfinite, (long long)o.resets);
            CHECK(o.max_r2 < 100.0 * D, "%s rate %g: drifted to r2 %g", name, rate, o.max_r2);
            /* the law is unchanged (not for the reference tuner: it cools
             * without a fixed point, docs/design.md, so its runs differ anyway) */
            if (k != SMILE_SAMPLER_SMILE && k != SMILE_SAMPLER_PSMILE)
                CHECK(fabs(o.m2 - clean.m2) < 0.25 * clean.m2 + 0.05,
                  "%s rate %g: E[x^2/s^2] %g vs %g without faults", name, rate, o.m2, clean.m2);
            /* tuned samplers: an isolated corrupted evaluation does not shrink eps */
            if (p_tuned(k))
                CHECK(o.eps_warm > 0.7 * clean.eps_warm,
                      "%s rate %g: eps collapsed to %g (%g without faults)", name, rate, o.eps_warm,
                      clean.eps_warm);
        }
    }
}

/* ±Inf entries are zeroed and counted like NaN, not clamped to ±clip. */
static void test_inf_like_nan(void) {
    float g[6] = {INFINITY, -INFINITY, NAN, 2e6f, -2e6f, 0.5f};
    int64_t nonfinite = -1;
    int64_t changed = smile_grad_sanitise(g, 6, 1e6, &nonfinite);
    CHECK(changed == 5 && nonfinite == 3, "changed %lld, non-finite %lld", (long long)changed,
          (long long)nonfinite);
    CHECK(g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 1e6f && g[4] == -1e6f && g[5] == 0.5f,
          "sanitised %g %g %g %g %g %g", g[0], g[1], g[2], g[3], g[4], g[5]);
    /* SGLD with only -Inf faults, the drift: the chain stays put on each event */
    smile_fault_config fc = {.grad_rate = 1e-2, .grad_kinds = 4u, .seed = 11};
    run_out o = run(SMILE_SAMPLER_SGLD, &fc, 0, 20000);
    CHECK(o.finite && o.max_r2 < 100.0 * D && o.resets == o.nonfinite && o.nonfinite > 100,
          "sgld under -inf: max r2 %g, %lld resets, %lld non-finite", o.max_r2,
          (long long)o.resets, (long long)o.nonfinite);
}

/* Injected write failures: the atomic writer reports ENOSPC naming the file,
 * and neither the file nor its temporary is left behind. */
static void test_writes(void) {
    char dir[] = "/tmp/smile_fault_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    static const char data[4096];
    for (unsigned kinds = 1; kinds <= 2; kinds++) {
        smile_fault_config fc = {.write_rate = 1.0, .write_kinds = kinds, .seed = 1};
        smile_fault_configure(&fc);
        char msg[512] = "";
        smile_status st = smile_write_file_atomic(path, data, sizeof data, msg, sizeof msg);
        smile_fault_configure(NULL);
        CHECK(st == SMILE_EIO && strstr(msg, "No space left on device") && strstr(msg, dir),
              "kind %u: status %d, '%s'", kinds, st, msg);
        char cmd[400];
        snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", dir);
        CHECK(system(cmd) == 0, "kind %u: files left in %s", kinds, dir);
    }
    char msg[256] = "";
    CHECK(smile_write_file_atomic(path, data, sizeof data, msg, sizeof msg) == SMILE_OK &&
              access(path, F_OK) == 0,
          "fault off: write works (%s)", msg);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    test_parse();
    test_inf_like_nan();
    test_writes();
    test_storms();
    printf("test_fault: %d passed, %d failed\n", h_pass_, h_fail_);
    return h_fail_ != 0;
}
