/* Full-batch MCLMC and its tuning (docs/method.md, section 4): the MILE
 * step-size predictor's fixed point, and the BlackJAX-preset tuning plus
 * sampling on a 100-dimensional Gaussian. */
#include "harness.h"
#include "sampler/sampler_internal.h"
#include "smile.h"

/* Predictor fixed point: synthetic ΔE² = d·target·(ε/ε*)⁶ makes ξ/ε⁶ constant (up to the
 * +1e-8 regulariser), so the predictor returns ε* after one update. */
static void test_predictor_fixed_point(void) {
    const double target = 0.3, eps_star = 0.037;
    const size_t d = 50;
    /* within a factor 3 of ε*, so the 1e-8 regulariser stays below 4e-7 relative */
    double eps_list[] = {0.02, 0.05, 0.037, 0.1, 0.03};
    smile_mile_predictor pr;
    smile_mile_predictor_init(&pr, 100, 1.5);
    for (int k = 0; k < 5; k++) {
        double eps = eps_list[k];
        double ratio6 = pow(eps / eps_star, 6.0);
        double dE = sqrt((double)d * target * ratio6);
        double out = smile_mile_predictor_update(&pr, dE, eps, target, d);
        if (k == 0) {
            /* exact value including the regulariser: ε*·(1 + 1e-8/ratio6)^(−1/6) */
            double expect = eps_star * pow(1.0 + 1e-8 / ratio6, -1.0 / 6.0);
            CHECK_CLOSE(out, expect, 1e-12, 0);
        } else {
            /* later updates mix steps whose regulariser shares differ by at most 1e-8/ratio6 */
            CHECK_CLOSE(out, eps_star, 1e-6, 0);
        }
    }
    /* ε_max caps the prediction (a plain min, where the reference's cap
     * returns 0 at ε = ε_max: docs/experiments.md, section 8) */
    pr.eps_max = 0.01;
    double out = smile_mile_predictor_update(&pr, 1e-9, 1e-3, target, d);
    CHECK(out == 0.01, "cap: %g", out);
}

typedef struct { size_t d; double sig[100]; } gauss_t;
static int gauss_fn(void *user, const float *x, const smile_batch *b, double *logp, float *grad) {
    gauss_t *g = user;
    double s = 0;
    for (size_t i = 0; i < g->d; i++) {
        double iv = 1.0 / (g->sig[i] * g->sig[i]);
        s += (double)x[i] * x[i] * iv;
        grad[i] = (float)(-(double)x[i] * iv);
    }
    *logp = -0.5 * s;
    (void)b;
    return 0;
}

/* Tuning and sampling: d = 100 Gaussian, σ log-spaced in [0.3, 3], BlackJAX preset,
 * W = 20,000, 4 chains, S = 100,000 (long tier; default tier S = 25,000).
 * Every coordinate: |mean| ≤ 4 MCSE, R̂ < 1.01, and the sampling-phase
 * Var[ΔE]/d within a factor 1.5 of the 5e-4 target.
 * Second moments: an allowance of 0.03 (as first planned) is too tight. We
 * measured the discretisation bias at the tuned ε ≈ 5.5 (Var[ΔE]/d =
 * 5.0e-4): E[x²]/σ² − 1 = −0.104 on the narrowest coordinate, −0.10, −0.08,
 * −0.07 on the next, |.| ≲ 0.06 beyond; at ε/2 it is ≤ 0.002 (bias ∝ ε²;
 * the tuned step sits near McLachlan's stability edge for σ_min = 0.3).
 * So the allowance is 0.12 on the four narrowest coordinates and 0.07
 * elsewhere at the tuned ε, and a fixed-ε run at half the tuned ε checks
 * 4 MCSE + 0.01 everywhere. */
typedef struct { double *x, *x2; int S; int d; double dE2; long n; } rec_t;
static int rec_cb(void *user, int k, const smile_chain *c, const smile_step_info *info) {
    rec_t *r = user;
    if (!(info->flags & SMILE_INFO_SAMPLE_EMITTED)) return 0;
    int64_t s = info->phase_step;
#pragma omp critical(rec_cb)
    {
        r->dE2 += info->dE * info->dE;
        r->n++;
    }
    for (int i = 0; i < r->d; i++) {
        double v = c->x[i];
        r->x[((size_t)i * 4 + k) * r->S + s] = v;
        r->x2[((size_t)i * 4 + k) * r->S + s] = v * v;
    }
    return 0;
}

/* Returns the mean tuned ε (tuned run) */
static double gaussian_run(int fixed, double eps_fixed, double L_fixed, double *L_out) {
    const int d = 100, K = 4, W = fixed ? 0 : 20000, S = harness_long() ? 100000 : 25000;
    gauss_t g;
    g.d = d;
    for (int i = 0; i < d; i++) g.sig[i] = 0.3 * pow(10.0, (double)i / (d - 1));
    smile_target t[4];
    smile_chain c[4];
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_MCLMC);
    smile_sampler_params_mclmc_preset(&p, SMILE_MCLMC_TUNING_BLACKJAX);
    if (fixed) {
        p.step_size = eps_fixed;
        p.L = L_fixed;
    }
    float x0[100];
    for (int k = 0; k < K; k++) {
        smile_rng r;
        smile_rng_init(&r, 11, k, SMILE_RNG_INIT);
        for (int i = 0; i < d; i++) x0[i] = (float)(g.sig[i] * smile_rng_normal(&r));
        t[k] = (smile_target){(size_t)d, gauss_fn, &g, 0};
        char msg[256];
        CHECK(smile_chain_init(&c[k], &p, d, 11, k, x0, msg, sizeof msg) == SMILE_OK, "%s", msg);
    }
    rec_t r = {malloc(sizeof(double) * d * K * S), malloc(sizeof(double) * d * K * S), S, d, 0, 0};
    smile_run_params rp = smile_run_params_default();
    rp.n_chains = K;
    rp.warmup = W;
    rp.samples = S;
    rp.n_data = 1;
    rp.batch_size = 1;
    char msg[256];
    CHECK(smile_run_chains(c, t, &rp, rec_cb, &r, msg, sizeof msg) == SMILE_OK, "%s", msg);
    double vE = r.dE2 / (double)r.n / d;
    if (!fixed) CHECK(vE > 5e-4 / 1.5 && vE < 5e-4 * 1.5, "sampling Var[dE]/d = %.3g, target 5e-4", vE);
    printf("gaussian d=100 %s: Var[dE]/d %.3g  eps %.4f %.4f %.4f %.4f  L %.3f %.3f %.3f %.3f\n",
           fixed ? "fixed eps/2" : "tuned", vE, c[0].eps, c[1].eps, c[2].eps, c[3].eps, c[0].L,
           c[1].L, c[2].L, c[3].L);
    double worst_m = 0, worst_v = 0, worst_r = 0;
    for (int i = 0; i < d; i++) {
        double *xi = r.x + (size_t)i * K * S, *x2i = r.x2 + (size_t)i * K * S;
        double m = 0, v = 0, m2 = 0, v2 = 0;
        for (int j = 0; j < K * S; j++) m += xi[j], m2 += x2i[j];
        m /= K * S;
        m2 /= K * S;
        for (int j = 0; j < K * S; j++) v += (xi[j] - m) * (xi[j] - m), v2 += (x2i[j] - m2) * (x2i[j] - m2);
        v /= K * S - 1;
        v2 /= K * S - 1;
        double mcse = sqrt(v / smile_ess_bulk(xi, K, S));
        double mcse2 = sqrt(v2 / smile_ess_bulk(x2i, K, S)) / (g.sig[i] * g.sig[i]);
        double rel = m2 / (g.sig[i] * g.sig[i]) - 1.0;
        double rh = smile_rhat(xi, K, S);
        double allow = fixed ? 0.01 : (i < 4 ? 0.12 : 0.07);
        worst_m = fmax(worst_m, fabs(m) / mcse);
        worst_v = fmax(worst_v, fabs(rel));
        worst_r = fmax(worst_r, rh);
        CHECK(fabs(m) <= 4 * mcse, "coord %d mean %.4f > 4 MCSE %.4f", i, m, mcse);
        CHECK(fabs(rel) <= 4 * mcse2 + allow, "coord %d E[x2]/s2-1 = %.4f (MCSE %.4f)", i, rel, mcse2);
        CHECK(rh < 1.01, "coord %d Rhat %.4f", i, rh);
    }
    printf("gaussian d=100 %s: max |mean|/MCSE %.2f, max |E[x^2]/s^2 - 1| %.4f, max Rhat %.4f\n",
           fixed ? "fixed eps/2" : "tuned", worst_m, worst_v, worst_r);
    double eps_mean = (c[0].eps + c[1].eps + c[2].eps + c[3].eps) / 4;
    *L_out = (c[0].L + c[1].L + c[2].L + c[3].L) / 4;
    for (int k = 0; k < K; k++) smile_chain_free(&c[k]);
    free(r.x);
    free(r.x2);
    return eps_mean;
}

static void test_gaussian_tuned_and_half_step(void) {
    double L;
    double eps = gaussian_run(0, 0, 0, &L);
    gaussian_run(1, eps / 2, L, &L);
}

/* A warm-up whose phase-3 record cannot be allocated (n3 x coordinates x 8 bytes
 * past size_t) is a clear error naming the warm-up, with no workspace left; the
 * chain can still start a normal warm-up. (The out-of-memory path once read the
 * freed workspace for its message.) */
static void test_huge_warmup(void) {
    const size_t d = 10;
    gauss_t g;
    g.d = d;
    for (size_t i = 0; i < d; i++) g.sig[i] = 1.0;
    smile_target t = {d, gauss_fn, &g, 0};
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_MCLMC);
    float x0[10] = {0};
    smile_chain c;
    char msg[256] = "";
    CHECK(smile_chain_init(&c, &p, d, 3, 0, x0, msg, sizeof msg) == SMILE_OK, "%s", msg);
    msg[0] = 0;
    smile_status st = smile_chain_begin_warmup(&c, &t, INT64_MAX, msg, sizeof msg);
    CHECK(st == SMILE_EINVAL, "warm-up of 2^63-1 steps: status %d (%s)", st, msg);
    CHECK(strstr(msg, "warm-up of 9223372036854775807 steps") != NULL &&
              strstr(msg, "too large") != NULL,
          "message names the warm-up: %s", msg);
    CHECK(c.mile == NULL, "no tuning workspace left behind");
    CHECK(smile_chain_begin_warmup(&c, &t, 1000, msg, sizeof msg) == SMILE_OK && c.mile != NULL,
          "a normal warm-up still starts: %s", msg);
    smile_chain_free(&c);
}

/* smile_rng_normal_fill (the partial refresh's draws) against n successive
 * smile_rng_normal calls: the same bits and the same state after, from states that
 * hold a spare, sit mid-block, or are fresh, for short and long n; and a 128-bit
 * counter carry inside one batch of blocks. */
static void test_normal_fill(void) {
    static const size_t lens[] = {0, 1, 2, 3, 5, 15, 16, 17, 33, 722, 1001};
    double *a = malloc(1001 * sizeof *a), *b = malloc(1001 * sizeof *b);
    if (!a || !b) return;
    int bad = 0;
    for (int pre = 0; pre < 7; pre++)
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            smile_rng r1;
            smile_rng_init(&r1, 12345, (uint64_t)pre, SMILE_RNG_VELOCITY);
            if (pre == 6) r1.ctr[0] = r1.ctr[1] = 0xFFFFFFFCu; /* carry after 4 blocks */
            for (int k = 0; k < pre % 6; k++) /* 1, 3, 5: a spare; 2, 4: words used */
                (void)(k % 2 ? smile_rng_normal(&r1) : (double)smile_rng_u32(&r1));
            smile_rng r2 = r1;
            const size_t n = lens[li];
            for (size_t i = 0; i < n; i++) a[i] = smile_rng_normal(&r1);
            smile_rng_normal_fill(&r2, b, n);
            bad += memcmp(a, b, n * sizeof *a) != 0 || memcmp(&r1, &r2, sizeof r1) != 0;
            /* and the streams go on alike */
            bad += smile_rng_normal(&r1) != smile_rng_normal(&r2);
        }
    CHECK(bad == 0, "normal_fill differs from smile_rng_normal in %d of 77 cases", bad);
    free(a);
    free(b);
}

int main(void) {
    test_normal_fill();
    test_huge_warmup();
    test_predictor_fixed_point();
    test_gaussian_tuned_and_half_step();
    return harness_done("test_mclmc");
}
