/* Settling tuner of smile-auto / psmile-auto, our addition (docs/tuner.md), fed
 * synthetic same-batch energy-error streams with known answers:
 *  - |ΔE_b| ∝ ε^p (p = 1 and p = 3): a fixed point exists,
 *        E[log v] = 0 with v the EMA of ΔE_b², i.e.
 *        ε* = (d·target/s²)^{1/(2p)} · exp(κ/(2p)),
 *    κ = Var(v)/(2E[v]²) ≈ β/(2−β) for χ²_1 draws (log-of-EMA bias);
 *    the tuner reaches it from ε0 = 1e-5, 1e-2 and 1 (within 3 %).
 *  - |ΔE_b| independent of ε: no fixed point, ε runs monotonically to the
 *    bound on the side given by the sign of log(v/(d·target)) (documented).
 *  - near-zero values for 100 steps grow ε by at most exp(γ·clip·100);
 *    a burst of 100 non-finite steps shrinks it by the same bound, and it
 *    recovers; no resets at the fixed point. */
#include "harness.h"
#include "smile.h"
#include "sampler/sampler_internal.h"

#define D 10
static const double TARGET = 0.01, GAIN = 0.002, CLIP = 4.0, BETA = 0.05, RF = 100.0;

static double run_power(double eps0, double p, double s, int steps, long *resets, uint64_t seed) {
    smile_auto_tuner tu;
    smile_auto_tuner_init(&tu, TARGET, GAIN, CLIP, BETA, RF);
    double eps = eps0;
    smile_rng r;
    smile_rng_init(&r, seed, 0, SMILE_RNG_USER);
    double acc = 0;
    int n = 0;
    *resets = 0;
    for (int t = 0; t < steps; t++) {
        double dE = s * pow(eps, p) * smile_rng_normal(&r);
        smile_auto_decision dec = smile_auto_tuner_update(&tu, &eps, dE, 0.0, D, 1);
        if (t >= steps / 2) {
            acc += log(eps);
            n++;
            *resets += dec.reset;
        }
    }
    return exp(acc / n);
}

static void test_fixed_point(void) {
    const double kappa = BETA / (2 - BETA);
    for (int pi = 0; pi < 2; pi++) {
        double p = pi == 0 ? 1.0 : 3.0, s = pi == 0 ? 17.0 : 5.0;
        double star = pow(D * TARGET / (s * s), 1.0 / (2 * p)) * exp(kappa / (2 * p));
        double e0s[3] = {1e-5, 1e-2, 1.0};
        for (int k = 0; k < 3; k++) {
            long resets;
            double e = run_power(e0s[k], p, s, 200000, &resets, 7 + k);
            printf("p=%g eps0=%g: settled eps %.5g (predicted %.5g), resets in 2nd half %ld\n", p,
                   e0s[k], e, star, resets);
            CHECK(fabs(e / star - 1) < 0.03, "p=%g eps0=%g settled at %g, predicted %g", p, e0s[k], e, star);
            CHECK(resets == 0, "resets at the fixed point: %ld", resets);
        }
    }
}

static void test_no_fixed_point(void) {
    /* ε-independent scale above and below the target */
    for (int side = 0; side < 2; side++) {
        double s = side == 0 ? 3.0 * sqrt(D * TARGET) : 0.3 * sqrt(D * TARGET);
        smile_auto_tuner tu;
        smile_auto_tuner_init(&tu, TARGET, GAIN, CLIP, BETA, RF);
        double eps = 1e-3;
        smile_rng r;
        smile_rng_init(&r, 3, 0, SMILE_RNG_USER);
        double e_half = 0;
        for (int t = 0; t < 100000; t++) {
            smile_auto_tuner_update(&tu, &eps, s * smile_rng_normal(&r), 0.0, D, 1);
            if (t == 50000) e_half = eps;
        }
        printf("eps-independent scale %s target: eps 1e-3 -> %.3g (half-way %.3g)\n",
               side == 0 ? "above" : "below", eps, e_half);
        /* h = log(s²E[z²]/(d·target)) ≈ ±2.2 per step: the bound is reached
         * after about |log(bound/1e-3)|/(γ|h|) < 3,000 steps and kept. */
        if (side == 0) CHECK(eps == 1e-8 && e_half == 1e-8, "must run to the floor: %g", eps);
        else CHECK(eps == 10.0 && e_half == 10.0, "must run to the ceiling: %g", eps);
    }
}

static void test_degenerate(void) {
    smile_auto_tuner tu;
    smile_auto_tuner_init(&tu, TARGET, GAIN, CLIP, BETA, RF);
    double eps = 1e-2;
    smile_rng r;
    smile_rng_init(&r, 5, 0, SMILE_RNG_USER);
    const double s = 17.0; /* p = 1 stream */
    for (int t = 0; t < 50000; t++) smile_auto_tuner_update(&tu, &eps, s * eps * smile_rng_normal(&r), 0.0, D, 1);
    double e_eq = eps;
    long resets = 0;
    for (int t = 0; t < 100; t++) resets += smile_auto_tuner_update(&tu, &eps, 1e-30, 0.0, D, 1).reset;
    double bound = exp(GAIN * CLIP * 100);
    CHECK(eps <= e_eq * bound * (1 + 1e-12) && resets == 0,
          "100 near-zero steps: eps %g -> %g (bound x%.3f), resets %ld", e_eq, eps, bound, resets);
    for (int t = 0; t < 20000; t++) smile_auto_tuner_update(&tu, &eps, s * eps * smile_rng_normal(&r), 0.0, D, 1);
    double e_back = eps;
    for (int t = 0; t < 100; t++) smile_auto_tuner_nonfinite(&tu, &eps, 1);
    CHECK(fabs(eps / (e_back / bound) - 1) < 1e-12, "100 NaN steps shrink by exactly the bound: %g vs %g",
          eps, e_back / bound);
    for (int t = 0; t < 20000; t++) smile_auto_tuner_update(&tu, &eps, s * eps * smile_rng_normal(&r), 0.0, D, 1);
    CHECK(fabs(eps / e_eq - 1) < 0.15, "recovered: %g vs %g", eps, e_eq);
    printf("degenerate: eq %.4g, after zeros/NaNs recovered to %.4g\n", e_eq, eps);
    /* a huge outlier resets and is capped in the EMA */
    double v = tu.v;
    smile_auto_decision dec = smile_auto_tuner_update(&tu, &eps, 1e6, 0.0, D, 1);
    CHECK(dec.reset, "outlier not reset");
    CHECK(tu.v <= (1 - BETA) * v + BETA * RF * D * TARGET * (1 + 1e-12), "outlier not capped in EMA");
    /* a reset halves ε (on top of the one clipped Robbins–Monro move) */
    double e0 = eps;
    dec = smile_auto_tuner_update(&tu, &eps, 1e6, 0.0, D, 1);
    CHECK(dec.reset && fabs(eps / (0.5 * e0 * exp(-GAIN * dec.h)) - 1) < 1e-12,
          "reset: eps %g -> %g", e0, eps);
    /* the log-density guard: a drop beyond √(R·d·target) resets even with a
     * tiny energy error; the same rise does not */
    const double thr = sqrt(RF * D * TARGET);
    CHECK(smile_auto_tuner_update(&tu, &eps, 1e-3, -1.01 * thr, D, 1).reset, "drop of 1.01 thr not reset");
    CHECK(!smile_auto_tuner_update(&tu, &eps, 1e-3, -0.99 * thr, D, 1).reset, "drop of 0.99 thr reset");
    CHECK(!smile_auto_tuner_update(&tu, &eps, 1e-3, 100 * thr, D, 1).reset, "rise reset");
}

/* Typical-set guard: EMA statistics of a Gaussian stream, the alarm band,
 * no alarm before 1/rate updates, no false alarm on 10^5 Gaussian values. */
static void test_logp_guard(void) {
    smile_logp_guard g;
    const double rate = 0.01, k = 20.0, mu = 300.0, sd = 50.0;
    smile_logp_guard_init(&g, rate, k, 10.0);
    smile_rng r;
    smile_rng_init(&r, 9, 0, SMILE_RNG_USER);
    int early = 0, alarms = 0;
    for (int t = 0; t < 100000; t++) {
        double lp = mu + sd * smile_rng_normal(&r);
        if (t < 99) early += smile_logp_guard_alarm(&g, -1e9);
        else alarms += smile_logp_guard_alarm(&g, lp);
        smile_logp_guard_update(&g, lp);
    }
    CHECK(early == 0, "alarm before 1/rate updates: %d", early);
    CHECK(alarms == 0, "false alarms on a Gaussian stream: %d", alarms);
    /* EMA with rate r: Var(mean) = σ² r/(2 − r); the variance estimate has
     * relative sd ≈ sqrt(r) (χ² with ~2/r degrees of freedom): 5 sd bounds */
    CHECK(fabs(g.mean - mu) < 5 * sd * sqrt(rate / (2 - rate)), "mean %g vs %g", g.mean, mu);
    CHECK(fabs(sqrt(g.var) / sd - 1) < 5 * sqrt(rate) / 2 + 0.01, "sd %g vs %g", sqrt(g.var), sd);
    const double band = k * sqrt(g.var);
    CHECK(!smile_logp_guard_alarm(&g, g.mean - 0.99 * band), "alarm inside the band");
    CHECK(smile_logp_guard_alarm(&g, g.mean - 1.01 * band), "no alarm below the band");
    CHECK(!smile_logp_guard_alarm(&g, g.mean + 1e9), "alarm on a rise");
    CHECK(smile_logp_guard_alarm(&g, NAN), "no alarm on NaN");
    printf("logp guard: mean %.2f sd %.2f (true %g, %g), 0 false alarms in 1e5\n", g.mean,
           sqrt(g.var), mu, sd);
    /* the floor: a stream without spread still has a band of `floor` */
    smile_logp_guard_init(&g, rate, k, 10.0);
    for (int t = 0; t < 1000; t++) smile_logp_guard_update(&g, 5.0);
    CHECK(!smile_logp_guard_alarm(&g, 5.0 - 9.9) && smile_logp_guard_alarm(&g, 5.0 - 10.1),
          "floor band");
}

int main(void) {
    test_logp_guard();
    test_fixed_point();
    test_no_fixed_point();
    test_degenerate();
    return harness_done("test_autotune");
}
