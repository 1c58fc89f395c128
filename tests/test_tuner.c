/* Energy tuner (docs/method.md, section 5.4): quantiles (the paper's
 * Appendix A.1), Wilson–Hilferty values, the worked sequence of the paper's
 * Appendix A.3 step by step, and the reference behaviour on an i.i.d.
 * half-normal |ΔE| stream (measured: resets 1.58 ± 0.1 %, shrinks
 * 7.26 ± 0.15 %, grows 7.12 ± 0.15 %, log10 ε drift −0.025 ± 0.005 per
 * 1000 steps), i.e. the reference tuner's slow cooling. */
#include "harness.h"
#include "smile.h"
#include "sampler/sampler_internal.h"

static void test_quantiles(void) {
    CHECK_CLOSE(smile_normal_quantile(0.98), 2.053748910631822, 1e-14, 0);
    CHECK_CLOSE(smile_normal_quantile(0.99), 2.3263478740408408, 1e-14, 0);
    CHECK_CLOSE(smile_normal_quantile(1 - 2 * 0.1 / 3), 1.5010859460440247, 1e-14, 0);
    CHECK_CLOSE(smile_normal_quantile(0.1 / 3), -1.8339146358159142, 1e-14, 0);
    CHECK_CLOSE(smile_normal_quantile(0.05 / 3), -2.128045234184984, 1e-14, 0);
    CHECK_CLOSE(smile_normal_quantile(0.9), 1.2815515655446008, 1e-14, 0);
    CHECK_CLOSE(smile_normal_quantile(0.95), 1.6448536269514715, 1e-14, 0);
    CHECK_CLOSE(smile_normal_quantile(1e-10), -6.361340902404056, 1e-12, 0);
    /* Q with θ = 1: m = k, s² + 1e-6 = k → s = sqrt(k − 1e-6) */
    double z98 = smile_normal_quantile(0.98);
    CHECK_CLOSE(smile_wilson_hilferty(1, sqrt(1 - 1e-6), z98), 3.895623171756566, 1e-12, 0);
    CHECK_CLOSE(smile_wilson_hilferty(2, sqrt(2 - 1e-6), z98), 5.8302459747498805, 1e-12, 0);
    CHECK_CLOSE(smile_wilson_hilferty(2, sqrt(2 - 1e-6), smile_normal_quantile(1.0 / 30)),
                0.2687290899529687, 1e-12, 0);
    CHECK_CLOSE(smile_wilson_hilferty(0.5, sqrt(0.5 - 1e-6), z98), 2.6610083186174167, 1e-12, 0);
}

/* The paper's Appendix A.3 sequence: thresholds, resets, statistics and ε
 * after each of 13 steps. */
static void test_worked_sequence(void) {
    static const double A[13][9] = {
        /* a, T_reset, T_up, T_low, reset, mE, sE, eps */
        {1.0, NAN, NAN, NAN, 0, 1, 1e-06, 0.001},
        {2.0, NAN, NAN, NAN, 0, 2, 1e-06, 0.001},
        {0.5, NAN, NAN, NAN, 0, 1.985, 0.148500000003, 0.001},
        {1.5, NAN, NAN, NAN, 0, 1.98015, 0.155361410028, 0.001},
        {3.0, NAN, NAN, NAN, 0, 1.9903485, 0.261112073881, 0.001},
        {0.2, NAN, NAN, NAN, 0, 1.972445015, 0.363158979488, 0.001},
        {1.0, NAN, NAN, NAN, 0, 1.96272056485, 0.399762656441, 0.001},
        {4.0, NAN, NAN, NAN, 0, 1.9830933592, 0.460598108141, 0.001},
        {0.8, NAN, NAN, NAN, 0, 1.97126242561, 0.480588529252, 0.001},
        {1.2, 3.079289381, 2.735372891, 1.186667293, 0, 1.96354980135, 0.488065323857, 0.001},
        {50.0, 3.091107482, 2.740263896, 1.168745363, 1, 2.44391430334, 4.79912207726, 0.00098},
        {0.01, 17.18606666, 9.173304119, -0.6078406358, 0, 2.41957516031, 4.79050747753, 0.00098},
        {1.0, 17.12143865, 9.099611297, -0.6519038269, 0, 2.4053794087, 4.77322979171, 0.00098},
    };
    smile_energy_tuner tu;
    smile_energy_tuner_init(&tu, 0.98, 0.1, 0.02, 0.01);
    double eps = 1e-3;
    for (int i = 0; i < 13; i++) {
        smile_tuner_decision d = smile_energy_tuner_update(&tu, &eps, A[i][0], 1, 1);
        if (i >= 9) {
            CHECK_CLOSE(d.T_reset, A[i][1], 1e-9, 0);
            CHECK_CLOSE(d.T_up, A[i][2], 1e-9, 0);
            CHECK_CLOSE(d.T_low, A[i][3], 1e-9, 0);
        } else {
            CHECK(isnan(d.T_reset), "t=%d thresholds must not be computed", i + 1);
        }
        CHECK(d.reset == (int)A[i][4], "t=%d reset flag %d", i + 1, d.reset);
        CHECK_CLOSE(tu.mE, A[i][5], 1e-9, 0);
        /* the table lists s_E to 12 significant digits */
        CHECK_CLOSE(tu.sE, A[i][6], 1e-9, 1e-15);
        CHECK_CLOSE(eps, A[i][7], 1e-12, 0);
    }
}

/* The reference tuner fed i.i.d. half-normal |ΔE| (ε-independent scale):
 * thresholds are quantiles of its own history, so there is no fixed point
 * and ε drifts down (the weakness the settling tuner of docs/tuner.md
 * addresses). */
static void test_halfnormal_stream(void) {
    const int S = 64, N = 100000, skip = N / 10;
    long resets = 0, down = 0, up = 0, counted = 0;
    double drift = 0;
    for (int s = 0; s < S; s++) {
        smile_rng r;
        smile_rng_init(&r, 12345, (uint64_t)s, SMILE_RNG_USER);
        smile_energy_tuner tu;
        smile_energy_tuner_init(&tu, 0.98, 0.1, 0.02, 0.01);
        double eps = 1e-3;
        double l0 = 0;
        for (int t = 0; t < N; t++) {
            if (t == skip) l0 = log10(eps);
            smile_tuner_decision d = smile_energy_tuner_update(&tu, &eps, fabs(smile_rng_normal(&r)), 1, 1);
            if (t >= skip) {
                counted++;
                resets += d.reset;
                down += d.eps_down;
                up += d.eps_up;
            }
        }
        drift += (log10(eps) - l0) / ((N - skip) / 1000.0);
    }
    double pr = 100.0 * resets / counted, pd = 100.0 * down / counted, pu = 100.0 * up / counted;
    drift /= S;
    printf("half-normal stream: resets %.3f %%, shrinks %.3f %%, grows %.3f %%, drift %.4f dec/1000\n",
           pr, pd, pu, drift);
    CHECK(fabs(pr - 1.58) <= 0.1, "resets %.3f %% (want 1.58 +- 0.1)", pr);
    CHECK(fabs(pd - 7.26) <= 0.15, "shrinks %.3f %% (want 7.26 +- 0.15)", pd);
    CHECK(fabs(pu - 7.12) <= 0.15, "grows %.3f %% (want 7.12 +- 0.15)", pu);
    CHECK(fabs(drift + 0.025) <= 0.005, "drift %.4f (want -0.025 +- 0.005)", drift);
}

static void test_disabled_rules(void) {
    /* p_r = 1 and α = 0 disable resets and adaptation (pSMILE-naive). */
    smile_energy_tuner tu;
    smile_energy_tuner_init(&tu, 1.0, 0.0, 0.0, 0.01);
    double eps = 1e-3;
    for (int t = 0; t < 100; t++) {
        smile_tuner_decision d = smile_energy_tuner_update(&tu, &eps, t == 50 ? 1e9 : 1.0, 1, 1);
        CHECK(!d.reset && !d.eps_up && !d.eps_down, "disabled tuner acted at t=%d", t + 1);
    }
    CHECK(eps == 1e-3, "eps changed: %g", eps);
    /* non-finite step: statistics untouched, eps shrinks when adapting */
    smile_energy_tuner_init(&tu, 0.98, 0.1, 0.02, 0.01);
    eps = 1e-3;
    for (int t = 0; t < 20; t++) smile_energy_tuner_update(&tu, &eps, 1.0, 1, 1);
    double m = tu.mE, s = tu.sE, e = eps;
    smile_energy_tuner_nonfinite(&tu, &eps, 1);
    CHECK(tu.mE == m && tu.sE == s, "statistics changed on a non-finite step");
    CHECK_CLOSE(eps, e * 0.98, 1e-15, 0);
}

int main(void) {
    test_quantiles();
    test_worked_sequence();
    test_halfnormal_stream();
    test_disabled_rules();
    return harness_done("test_tuner");
}
