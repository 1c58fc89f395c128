/* SG-MCMC update rules (SGLD, cSGLD, SGHMC, adaSGHMC) and step-size
 * schedules: schedule values, emission counts of cSGLD, exact one-step
 * updates (replayed in double from copies of the chain's RNG states),
 * gradient sanitisation and its counting, the SGHMC initial momentum.
 * Their stationary laws: test_sgmcmc_stationary.c. */
#include "sgmcmc_common.h"

/* Injects non-finite / huge gradient entries and failures on request. */
typedef struct {
    size_t d;
    int mode; /* 0 clean, 1 bad entries, 2 callback error, 3 NaN logp */
} bad_t;

static int bad_fn(void *user, const float *x, const smile_batch *b, double *logp, float *grad) {
    (void)b;
    const bad_t *B = user;
    for (size_t i = 0; i < B->d; i++) grad[i] = (float)(-(double)x[i] + 0.5);
    *logp = -1.0;
    if (B->mode == 1) {
        grad[0] = NAN;
        grad[1] = INFINITY;
        grad[2] = 1e7f;
        grad[3] = -INFINITY;
        grad[4] = -3e6f;
    } else if (B->mode == 2) {
        for (size_t i = 0; i < B->d; i++) grad[i] = 12345.0f; /* garbage, must be ignored */
        return 1;
    } else if (B->mode == 3) {
        *logp = NAN;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* schedules (docs/method.md, section 7.3)                                */
/* ---------------------------------------------------------------------- */

static void test_schedule(void) {
    smile_schedule s = {SMILE_SCHEDULE_COSINE_CYCLIC, 1e-5, 5e-9, 15000, 4, 0.33};
    int ex = -1;
    /* C = 3750; q = 0 at every cycle start → ε0 exactly */
    CHECK(smile_schedule_eps(&s, 0, &ex) == 1e-5 && ex == 1, "s=0 eps %g ex %d",
          smile_schedule_eps(&s, 0, &ex), ex);
    CHECK(smile_schedule_eps(&s, 3750 * 3, &ex) == 1e-5 && ex == 1, "cycle 3 start");
    /* q = 1/2 → ε_end + ½(ε0 − ε_end) */
    CHECK_CLOSE(smile_schedule_eps(&s, 1875, &ex), 5e-9 + 0.5 * (1e-5 - 5e-9), 1e-15, 0);
    /* q = 0.9 → ε_end + ½(ε0−ε_end)(1 + cos 0.9π) */
    CHECK_CLOSE(smile_schedule_eps(&s, 3750 + 3375, &ex),
                5e-9 + 0.5 * (1e-5 - 5e-9) * (1 + cos(M_PI * 0.9)), 1e-14, 0);
    /* exploration boundary: 1237/3750 < 0.33 < 1238/3750 */
    smile_schedule_eps(&s, 1237, &ex);
    CHECK(ex == 1, "1237 explores");
    smile_schedule_eps(&s, 1238, &ex);
    CHECK(ex == 0, "1238 does not explore");
    /* worked example: C = 5000, q = 1650/5000 == 0.33 in double → not exploration */
    smile_schedule s2 = {SMILE_SCHEDULE_COSINE_CYCLIC, 1e-6, 1e-9, 20000, 4, 0.33};
    smile_schedule_eps(&s2, 1650, &ex);
    CHECK(ex == 0, "1650/5000 < 0.33 must be false");
    smile_schedule_eps(&s2, 5000 + 1649, &ex);
    CHECK(ex == 1, "1649/5000 < 0.33");
    /* ε non-increasing within a cycle, and within [ε_end, ε0] */
    int mono = 1;
    double prev = INFINITY;
    for (int64_t k = 0; k < 5000; k++) {
        double e = smile_schedule_eps(&s2, k, NULL);
        if (e > prev || e < 1e-9 || e > 1e-6) mono = 0;
        prev = e;
    }
    CHECK(mono, "cosine schedule monotone within a cycle");
    /* leftover partial cycle: n = 10, 3 cycles → C = 3, step 9 starts cycle 4 */
    smile_schedule s3 = {SMILE_SCHEDULE_COSINE_CYCLIC, 2.0, 1.0, 10, 3, 0.25};
    CHECK(smile_schedule_eps(&s3, 9, &ex) == 2.0 && ex == 1, "partial cycle start");
    CHECK_CLOSE(smile_schedule_eps(&s3, 7, &ex), 1.0 + 0.5 * (1 + cos(M_PI / 3.0)), 1e-15, 0);
    CHECK(ex == 0, "q = 1/3 ≥ 0.25");
    /* linear */
    smile_schedule l = {SMILE_SCHEDULE_LINEAR, 1.0, 0.5, 100, 0, 0.3};
    CHECK(smile_schedule_eps(&l, 0, &ex) == 1.0 && ex == 1, "linear start");
    CHECK_CLOSE(smile_schedule_eps(&l, 50, &ex), 0.75, 1e-15, 0);
    smile_schedule_eps(&l, 29, &ex);
    CHECK(ex == 1, "linear 29 < 30");
    smile_schedule_eps(&l, 30, &ex);
    CHECK(ex == 0, "linear 30 not < 30");
    CHECK(smile_schedule_eps(&l, 100, &ex) == 0.5, "linear end");
    CHECK(smile_schedule_eps(&l, 250, &ex) == 0.5, "linear past the end holds eps_end");
    /* constant */
    smile_schedule k = {SMILE_SCHEDULE_CONSTANT, 0.125, 0.0, 0, 4, 0.5};
    CHECK(smile_schedule_eps(&k, 7, &ex) == 0.125 && ex == 0, "constant");
}

/* ---------------------------------------------------------------------- */
/* emission counts                                                        */
/* ---------------------------------------------------------------------- */

static void test_emission(void) {
    double sd[2] = {1, 1};
    gauss_t G = {2, sd};
    smile_target t = {2, gauss_fn, &G, 0};
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_CSGLD);
    CHECK(p.schedule.kind == SMILE_SCHEDULE_COSINE_CYCLIC && p.schedule.n_cycles == 4,
          "cSGLD default schedule");
    p.schedule.n_steps = 0; /* filled from the phase length */
    smile_chain c;
    CHECK(smile_chain_init(&c, &p, 2, 5, 0, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(smile_chain_begin_sampling(&c, &t, 15000, 150, msg, sizeof msg) == SMILE_OK, "%s", msg);
    /* n_steps = 0: the schedule spans the running phase (15,000 steps) */
    smile_schedule ref = c.p.schedule;
    ref.n_steps = 15000;
    int64_t n_emit = 0, n_explore = 0, bad_pos = 0, bad_eps = 0;
    for (int64_t s = 0; s < 15000; s++) {
        smile_batch b = full_batch((uint64_t)s);
        smile_step_info info;
        smile_chain_step(&c, &t, &b, &info);
        int ex;
        double e = smile_schedule_eps(&ref, s, &ex);
        if (info.eps != e || ex != !!(info.flags & SMILE_INFO_EXPLORE)) bad_eps++;
        if (info.flags & SMILE_INFO_EXPLORE) n_explore++;
        if (info.flags & SMILE_INFO_SAMPLE_EMITTED) {
            int64_t r = s % 3750;
            if (!(r >= 1350 && r <= 3600 && r % 150 == 0)) bad_pos++;
            n_emit++;
        }
        if (info.grad_evals != 1) bad_eps++;
    }
    CHECK(n_emit == 64, "cSGLD emitted %lld", (long long)n_emit);
    CHECK(bad_pos == 0, "emissions off 3750c + {1350..3600}: %lld", (long long)bad_pos);
    CHECK(bad_eps == 0, "eps/explore/grad_evals mismatches %lld", (long long)bad_eps);
    CHECK(n_explore == 4 * 1238, "explore steps %lld", (long long)n_explore);
    CHECK(c.n_emitted == 64 && c.n_grad == 15000, "counters %lld %lld", (long long)c.n_emitted,
          (long long)c.n_grad);
    smile_chain_free(&c);

    /* SGLD constant ε: S = 10,000, h = 100 → 100 samples, first after step 0 */
    p = smile_sampler_params_default(SMILE_SAMPLER_SGLD);
    CHECK(smile_chain_init(&c, &p, 2, 5, 0, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_chain_begin_sampling(&c, &t, 10000, 100, msg, sizeof msg);
    int64_t first = -1;
    n_emit = 0;
    for (int64_t s = 0; s < 10000; s++) {
        smile_batch b = full_batch((uint64_t)s);
        smile_step_info info;
        smile_chain_step(&c, &t, &b, &info);
        if (info.flags & SMILE_INFO_SAMPLE_EMITTED) {
            if (first < 0) first = s;
            n_emit++;
        }
        if (info.flags & SMILE_INFO_EXPLORE) n_emit += 1000000;
    }
    CHECK(n_emit == 100 && first == 0, "SGLD emitted %lld first %lld", (long long)n_emit,
          (long long)first);
    smile_chain_free(&c);
}

/* ---------------------------------------------------------------------- */
/* exact one-step replays                                                 */
/* ---------------------------------------------------------------------- */

#define DX 7

static void init_chain(smile_chain *c, smile_sampler_kind k, double eps, const float *x0,
                       smile_sampler_params *pout) {
    smile_sampler_params p = smile_sampler_params_default(k);
    p.step_size = eps;
    if (pout) *pout = p;
    smile_chain_init(c, &p, DX, 11, 3, x0, msg, sizeof msg);
}

static void test_exact_steps(void) {
    float x0[DX] = {0.3f, -1.2f, 2.0f, 0.05f, -0.7f, 1.1f, -2.5f};
    double sd[DX] = {1, 2, 0.5, 1, 3, 1, 0.8};
    gauss_t G = {DX, sd};
    smile_target t = {DX, gauss_fn, &G, 0};
    smile_chain c;
    smile_step_info info;

    /* SGLD: x ← x + ε g + sqrt(2Tε) ξ */
    {
        init_chain(&c, SMILE_SAMPLER_SGLD, 0.01, x0, NULL);
        c.p.temperature = 0.7;
        smile_chain_begin_sampling(&c, &t, 10, 1, msg, sizeof msg);
        smile_rng rn = c.rng_noise;
        smile_batch b = full_batch(0);
        smile_chain_step(&c, &t, &b, &info);
        double err = 0;
        for (int i = 0; i < DX; i++) {
            double g = -(double)x0[i] / (sd[i] * sd[i]);
            double xe = x0[i] + 0.01 * g + sqrt(2 * 0.7 * 0.01) * smile_rng_normal(&rn);
            err = fmax(err, fabs(c.x[i] - xe) / (fabs(xe) + 1e-3));
        }
        CHECK(err < FTOL, "SGLD step err %g", err);
        CHECK(info.grad_evals == 1 && info.eps == 0.01 && info.n_sanitised == 0 &&
                  !(info.flags & (SMILE_INFO_GRAD_SANITISED | SMILE_INFO_NONFINITE)),
              "SGLD info");
        double lp = 0, gn = 0;
        for (int i = 0; i < DX; i++) {
            double g = -(double)x0[i] / (sd[i] * sd[i]);
            lp += 0.5 * (double)x0[i] * g;
            gn += (double)(float)g * (float)g;
        }
        CHECK_CLOSE(info.logp, lp, 1e-12, 0);
        CHECK_CLOSE(info.grad_norm, sqrt(gn), 1e-12, 0);
        smile_chain_free(&c);
    }

    /* SGHMC: p0 ~ N(0, T I) from rng_vel; x ← x + ε p (old p);
     * p ← (1 − αε) p + ε g(x_old) + sqrt(εT(2α − εTβ)) ξ; with K = 3 p is
     * redrawn ~ N(0, I) at steps 0, 3, 6, … */
    for (int K = 0; K <= 3; K += 3) {
        smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_SGHMC);
        p.step_size = 0.05;
        p.temperature = 1.7;
        p.sghmc_alpha = 0.3;
        p.sghmc_beta = 0.4;
        p.sghmc_resample_every = K;
        smile_rng rv, rn;
        smile_rng_init(&rv, 11, 3, SMILE_RNG_VELOCITY);
        smile_rng_init(&rn, 11, 3, SMILE_RNG_NOISE);
        smile_chain_init(&c, &p, DX, 11, 3, x0, msg, sizeof msg);
        smile_chain_begin_sampling(&c, &t, 10, 1, msg, sizeof msg);
        double xe[DX], pe[DX];
        for (int i = 0; i < DX; i++) {
            xe[i] = x0[i];
            pe[i] = sqrt(1.7) * smile_rng_normal(&rv);
        }
        double err = 0;
        for (int s = 0; s < 5; s++) {
            smile_batch b = full_batch((uint64_t)s);
            smile_chain_step(&c, &t, &b, &info);
            if (K > 0 && s % K == 0)
                for (int i = 0; i < DX; i++) pe[i] = smile_rng_normal(&rv);
            double sn = sqrt(0.05 * 1.7 * (2 * 0.3 - 0.05 * 1.7 * 0.4));
            for (int i = 0; i < DX; i++) {
                double g = -xe[i] / (sd[i] * sd[i]);
                xe[i] += 0.05 * pe[i];
                pe[i] = (1 - 0.3 * 0.05) * pe[i] + 0.05 * g + sn * smile_rng_normal(&rn);
            }
            for (int i = 0; i < DX; i++) {
                err = fmax(err, fabs(c.x[i] - xe[i]) / (fabs(xe[i]) + 1e-2));
                err = fmax(err, fabs(c.u[i] - pe[i]) / (fabs(pe[i]) + 1e-2));
            }
        }
        CHECK(err < 20 * FTOL, "SGHMC K=%d 5-step err %g", K, err);
        smile_chain_free(&c);
    }

    /* adaSGHMC, two warm-up steps then one sampling step, replayed in double
     * (adaSGHMC order, docs/method.md, section 7.4: adapt with g_last, new g, v update with the new σ, x ← x
     * + ε v/σ; g_last = 0 at the first step). */
    {
        smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_ADASGHMC);
        p.step_size = 0.02;
        p.mdecay = 0.1;
        smile_rng rn;
        smile_rng_init(&rn, 11, 3, SMILE_RNG_NOISE);
        smile_chain_init(&c, &p, DX, 11, 3, x0, msg, sizeof msg);
        smile_chain_begin_warmup(&c, &t, 2, msg, sizeof msg);
        double xe[DX], v[DX] = {0}, sg[DX], gb[DX], ta[DX], gl[DX] = {0};
        for (int i = 0; i < DX; i++) {
            xe[i] = x0[i];
            sg[i] = gb[i] = ta[i] = 1;
        }
        double err = 0, eps = 0.02, m = 0.1;
        for (int s = 0; s < 3; s++) {
            if (s == 2) smile_chain_begin_sampling(&c, &t, 5, 1, msg, sizeof msg);
            smile_batch b = full_batch((uint64_t)s);
            smile_chain_step(&c, &t, &b, &info);
            for (int i = 0; i < DX; i++) {
                if (s < 2) {
                    ta[i] = ta[i] * (1 - gb[i] * gb[i] / (sg[i] * sg[i] + 1e-7)) + 1;
                    double w = 1 / (ta[i] + 1);
                    gb[i] = gb[i] * (1 - w) - gl[i] * w;
                    sg[i] = sqrt(fmax(sg[i] * sg[i] * (1 - w) + gl[i] * gl[i] * w, 1e-7));
                }
                double g = -xe[i] / (sd[i] * sd[i]);
                gl[i] = g;
                v[i] = (1 - m) * v[i] + eps * g +
                       sqrt(fmax(2 * m * sg[i] - eps * eps * sg[i] * sg[i], 1e-7)) *
                           smile_rng_normal(&rn);
                xe[i] += eps * v[i] / sg[i];
            }
            for (int i = 0; i < DX; i++) {
                err = fmax(err, fabs(c.x[i] - xe[i]) / (fabs(xe[i]) + 1e-2));
                err = fmax(err, fabs(c.u[i] - v[i]) / (fabs(v[i]) + 1e-2));
                err = fmax(err, fabs(c.ada_sigma[i] - sg[i]) / sg[i]);
                err = fmax(err, fabs(c.ada_gbar[i] - gb[i]) / (fabs(gb[i]) + 1e-2));
                err = fmax(err, fabs(c.ada_tau[i] - ta[i]) / ta[i]);
                err = fmax(err, fabs(c.ada_glast[i] - gl[i]) / (fabs(gl[i]) + 1e-2));
            }
        }
        CHECK(err < 20 * FTOL, "adaSGHMC 3-step replay err %g", err);
        CHECK(c.phase == SMILE_PHASE_SAMPLING, "phase");
        smile_chain_free(&c);
    }
}

/* ---------------------------------------------------------------------- */
/* sanitisation and non-finite reporting                                 */
/* ---------------------------------------------------------------------- */

static void test_sanitise(void) {
    const smile_sampler_kind kinds[4] = {SMILE_SAMPLER_SGLD, SMILE_SAMPLER_CSGLD,
                                         SMILE_SAMPLER_SGHMC, SMILE_SAMPLER_ADASGHMC};
    for (int k = 0; k < 4; k++) {
        bad_t B = {DX, 0};
        smile_target t = {DX, bad_fn, &B, 0};
        smile_chain c;
        smile_sampler_params p = smile_sampler_params_default(kinds[k]);
        p.step_size = 1e-12; /* keep the position tame under 1e6-sized gradients */
        p.schedule.eps0 = 1e-12;
        p.schedule.eps_end = 0;
        CHECK(smile_chain_init(&c, &p, DX, 1, 0, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
        smile_chain_begin_sampling(&c, &t, 100, 1, msg, sizeof msg);
        smile_step_info info;
        smile_batch b = full_batch(0);

        B.mode = 0;
        smile_chain_step(&c, &t, &b, &info);
        CHECK(info.n_sanitised == 0 && !(info.flags & SMILE_INFO_GRAD_SANITISED) &&
                  !(info.flags & SMILE_INFO_NONFINITE),
              "%s clean step flags %x", smile_sampler_name(kinds[k]), info.flags);

        B.mode = 1; /* NaN, +inf, 1e7, -inf, -3e6 → 0, 0, 1e6, 0, -1e6: ±inf like NaN */
        float xb[DX];
        memcpy(xb, c.x, sizeof xb);
        smile_chain_step(&c, &t, &b, &info);
        CHECK(info.n_sanitised == 5, "%s sanitised %lld", smile_sampler_name(kinds[k]),
              (long long)info.n_sanitised);
        CHECK((info.flags & SMILE_INFO_GRAD_SANITISED) && (info.flags & SMILE_INFO_NONFINITE),
              "flags %x", info.flags);
        CHECK(c.g[0] == 0.0f && c.g[1] == 0.0f && c.g[2] == 1e6f && c.g[3] == 0.0f &&
                  c.g[4] == -1e6f,
              "sanitised values %g %g %g %g %g", c.g[0], c.g[1], c.g[2], c.g[3], c.g[4]);
        /* a non-finite gradient entry makes the step a reset: no move */
        CHECK((info.flags & SMILE_INFO_RESET) && !memcmp(xb, c.x, sizeof xb) && c.n_resets == 1,
              "%s: non-finite gradient step moved or was not counted as a reset",
              smile_sampler_name(kinds[k]));
        double gn = 2e12;
        for (int i = 5; i < DX; i++) gn += (double)c.g[i] * c.g[i];
        CHECK_CLOSE(info.grad_norm, sqrt(gn), 1e-12, 0);
        int fin = 1;
        for (int i = 0; i < DX; i++) fin &= isfinite(c.x[i]) && isfinite(c.u[i]);
        CHECK(fin, "state finite after sanitised step");
        CHECK(c.n_sanitised == 5 && c.n_nonfinite == 1, "counters %lld %lld",
              (long long)c.n_sanitised, (long long)c.n_nonfinite);

        B.mode = 2; /* callback failure: every entry counts as non-finite → 0 */
        smile_chain_step(&c, &t, &b, &info);
        CHECK(info.n_sanitised == DX && (info.flags & SMILE_INFO_NONFINITE) && isnan(info.logp) &&
                  info.grad_norm == 0.0 && info.grad_evals == 1,
              "%s callback failure: n %lld flags %x", smile_sampler_name(kinds[k]),
              (long long)info.n_sanitised, info.flags);
        CHECK(c.n_sanitised == 5 + DX && c.n_nonfinite == 2, "counters after failure");

        B.mode = 3; /* NaN log density alone: reported, no sanitised entry */
        smile_chain_step(&c, &t, &b, &info);
        CHECK(info.n_sanitised == 0 && (info.flags & SMILE_INFO_NONFINITE) &&
                  !(info.flags & SMILE_INFO_GRAD_SANITISED),
              "NaN logp flags %x", info.flags);
        CHECK(c.n_grad == 4, "n_grad %lld", (long long)c.n_grad);
        smile_chain_free(&c);
    }
}

/* SGHMC initial momentum p ~ N(0, T I): sample variance over d = 20000
 * coordinates within 4 standard errors (sd of s² is T sqrt(2/d)). */
static void test_sghmc_init(void) {
    const size_t d = 20000;
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_SGHMC);
    p.temperature = 2.5;
    smile_chain c;
    CHECK(smile_chain_init(&c, &p, d, 3, 0, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < d; i++) {
        s1 += c.u[i];
        s2 += (double)c.u[i] * c.u[i];
    }
    CHECK(fabs(s2 / d - 2.5) <= 4 * 2.5 * sqrt(2.0 / d), "SGHMC p0 variance %g", s2 / d);
    CHECK(fabs(s1 / d) <= 4 * sqrt(2.5 / d), "SGHMC p0 mean %g", s1 / d);
    smile_chain_free(&c);
}

int main(void) {
    test_schedule();
    test_emission();
    test_exact_steps();
    test_sanitise();
    test_sghmc_init();
    return harness_done("test_sgmcmc_updates");
}
