/* SG-MCMC baselines (spec samplers.md §9.1–9.4) and step-size schedules
 * (§9.2): schedule values, exact one-step update rules (replayed in double
 * from copies of the chain's RNG states), sanitisation counting (§8o),
 * T15 (cSGLD emission), T18 (SGLD stationary variance), T19 (SGHMC
 * stationary covariance), T20 (adaSGHMC adaptation), phase-boundary rule and
 * the balance check.
 *
 * Monte Carlo tolerances: 4 batch-means MCSE (B = 50 batches of ≥ 2·10⁴
 * steps, ≫ the integrated autocorrelation times, ≤ 50 steps here). Each
 * stationary test also checks that its 4·MCSE is smaller than half the gap
 * between the discrete-time value and the continuous-time value, so the
 * test can tell the Euler chain's law from the exact posterior. */
#include "harness.h"
#include "sampler/sampler_internal.h"
#include "smile.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static char msg[512];

/* ---------------------------------------------------------------------- */
/* targets                                                                */
/* ---------------------------------------------------------------------- */

/* Independent Gaussian N(0, s_i²), exact gradient. */
typedef struct {
    size_t d;
    const double *s;
} gauss_t;

static int gauss_fn(void *user, const float *x, const smile_batch *b, double *logp, float *grad) {
    (void)b;
    const gauss_t *G = user;
    double lp = 0;
    for (size_t i = 0; i < G->d; i++) {
        double s2 = G->s[i] * G->s[i];
        lp -= 0.5 * (double)x[i] * x[i] / s2;
        grad[i] = (float)(-(double)x[i] / s2);
    }
    *logp = lp;
    return 0;
}

/* i.i.d. gradients g_i ~ N(mu_i, v_i) drawn from the batch serial, so the
 * callback is deterministic per (x, b) and independent of the position
 * (T20: "positions frozen"). */
typedef struct {
    size_t d;
    const double *mu, *v;
} iid_t;

static int iid_fn(void *user, const float *x, const smile_batch *b, double *logp, float *grad) {
    (void)x;
    const iid_t *G = user;
    smile_rng r;
    smile_rng_init(&r, 977, b->serial, SMILE_RNG_USER);
    for (size_t i = 0; i < G->d; i++)
        grad[i] = (float)(G->mu[i] + sqrt(G->v[i]) * smile_rng_normal(&r));
    *logp = 0;
    return 0;
}

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

static smile_batch full_batch(uint64_t serial) {
    smile_batch b = {NULL, 0, 1.0, serial, 0};
    return b;
}

/* Batch-means estimate of E[y] from per-batch sums: mean and MCSE. */
typedef struct {
    int nb;
    int64_t per, k;
    double cur, sum[64];
} bmeans;

static void bm_init(bmeans *m, int nb, int64_t n) {
    memset(m, 0, sizeof *m);
    m->nb = nb;
    m->per = n / nb;
}
static void bm_add(bmeans *m, double y) {
    int64_t j = m->k / m->per;
    if (j < m->nb) m->sum[j] += y;
    m->k++;
}
static double bm_mean(const bmeans *m, double *mcse) {
    double mu = 0, v = 0;
    for (int j = 0; j < m->nb; j++) mu += m->sum[j] / (double)m->per;
    mu /= m->nb;
    for (int j = 0; j < m->nb; j++) {
        double e = m->sum[j] / (double)m->per - mu;
        v += e * e;
    }
    v /= (m->nb - 1);
    *mcse = sqrt(v / m->nb);
    return mu;
}

/* ---------------------------------------------------------------------- */
/* schedules (§9.2)                                                       */
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
    /* §9.2 example: C = 5000, q = 1650/5000 == 0.33 in double → not exploration */
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
/* T15: emission counts                                                   */
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

/* relative float rounding allowance: a few float ulps of the operands */
#define FTOL 4e-7

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
     * (§9.4 order: adapt with g_last, new g, v update with the new σ, x ← x
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
/* sanitisation (§8o) and non-finite reporting                            */
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

        B.mode = 1; /* NaN, +inf, 1e7, -inf, -3e6 → 0, 1e6, 1e6, -1e6, -1e6 */
        float xb[DX];
        memcpy(xb, c.x, sizeof xb);
        smile_chain_step(&c, &t, &b, &info);
        CHECK(info.n_sanitised == 5, "%s sanitised %lld", smile_sampler_name(kinds[k]),
              (long long)info.n_sanitised);
        CHECK((info.flags & SMILE_INFO_GRAD_SANITISED) && (info.flags & SMILE_INFO_NONFINITE),
              "flags %x", info.flags);
        CHECK(c.g[0] == 0.0f && c.g[1] == 1e6f && c.g[2] == 1e6f && c.g[3] == -1e6f &&
                  c.g[4] == -1e6f,
              "sanitised values %g %g %g %g %g", c.g[0], c.g[1], c.g[2], c.g[3], c.g[4]);
        double gn = 4e12;
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

/* ---------------------------------------------------------------------- */
/* T18: SGLD stationary variance                                          */
/* ---------------------------------------------------------------------- */

static void t18_case(double s, double T, double eps, int64_t n) {
    double sd[1] = {s};
    gauss_t G = {1, sd};
    smile_target t = {1, gauss_fn, &G, 0};
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_SGLD);
    p.step_size = eps;
    p.temperature = T;
    smile_chain c;
    float x0 = 0;
    CHECK(smile_chain_init(&c, &p, 1, 2024, 0, &x0, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_chain_begin_sampling(&c, &t, n + 1000, 1, msg, sizeof msg);
    bmeans m2, m1;
    bm_init(&m2, 50, n);
    bm_init(&m1, 50, n);
    smile_step_info info;
    for (int64_t k = 0; k < n + 1000; k++) {
        smile_batch b = full_batch((uint64_t)k);
        smile_chain_step(&c, &t, &b, &info);
        if (k >= 1000) {
            bm_add(&m2, (double)c.x[0] * c.x[0]);
            bm_add(&m1, (double)c.x[0]);
        }
    }
    double se2, se1;
    double v = bm_mean(&m2, &se2), mu = bm_mean(&m1, &se1);
    double exact = T * s * s / (1 - eps / (2 * s * s)), cont = T * s * s;
    printf("T18 s=%g T=%g eps=%g: E[x^2] = %.5f (exact %.5f, continuous %.5f), MCSE %.5f; "
           "mean %.5f MCSE %.5f\n",
           s, T, eps, v, exact, cont, se2, mu, se1);
    CHECK(fabs(v - exact) <= 4 * se2, "T18 variance %.5f vs %.5f (4 MCSE %.5f)", v, exact,
          4 * se2);
    CHECK(fabs(mu) <= 4 * se1, "T18 mean %.5f (4 MCSE %.5f)", mu, 4 * se1);
    CHECK(4 * se2 < 0.5 * fabs(exact - cont), "T18 not discriminative: 4 MCSE %.5f gap %.5f",
          4 * se2, exact - cont);
    smile_chain_free(&c);
}

/* ---------------------------------------------------------------------- */
/* T19: SGHMC stationary covariance (discrete Lyapunov equation)          */
/* ---------------------------------------------------------------------- */

/* z' = A z + (0, σ_n ξ), A = [[1, ε], [−ε/s², 1 − αε]]; stationary
 * Σ = A Σ Aᵀ + diag(0, σ_n²). Unknowns (a, b, c) = (Σxx, Σxp, Σpp). */
static void lyapunov(double s, double eps, double alpha, double q, double out[3]) {
    double A11 = 1, A12 = eps, A21 = -eps / (s * s), A22 = 1 - alpha * eps;
    /* rows of (I − T) where T maps (a, b, c) to the entries of AΣAᵀ */
    double M[3][4] = {
        {1 - A11 * A11, -2 * A11 * A12, -A12 * A12, 0},
        {-A11 * A21, 1 - (A11 * A22 + A12 * A21), -A12 * A22, 0},
        {-A21 * A21, -2 * A21 * A22, 1 - A22 * A22, q},
    };
    for (int col = 0; col < 3; col++) { /* Gauss–Jordan with partial pivoting */
        int piv = col;
        for (int r = col + 1; r < 3; r++)
            if (fabs(M[r][col]) > fabs(M[piv][col])) piv = r;
        for (int k = 0; k < 4; k++) {
            double tmp = M[col][k];
            M[col][k] = M[piv][k];
            M[piv][k] = tmp;
        }
        for (int r = 0; r < 3; r++) {
            if (r == col) continue;
            double f = M[r][col] / M[col][col];
            for (int k = 0; k < 4; k++) M[r][k] -= f * M[col][k];
        }
    }
    for (int i = 0; i < 3; i++) out[i] = M[i][3] / M[i][i];
}

static void t19_case(double s, double eps, double alpha, double beta, double T, int64_t n,
                     int discr) {
    double sd[1] = {s};
    gauss_t G = {1, sd};
    smile_target t = {1, gauss_fn, &G, 0};
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_SGHMC);
    p.step_size = eps;
    p.temperature = T;
    p.sghmc_alpha = alpha;
    p.sghmc_beta = beta;
    smile_chain c;
    CHECK(smile_chain_init(&c, &p, 1, 77, 1, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_chain_begin_sampling(&c, &t, n + 2000, 1, msg, sizeof msg);
    bmeans m[3];
    for (int j = 0; j < 3; j++) bm_init(&m[j], 50, n);
    smile_step_info info;
    for (int64_t k = 0; k < n + 2000; k++) {
        smile_batch b = full_batch((uint64_t)k);
        smile_chain_step(&c, &t, &b, &info);
        if (k >= 2000) {
            double x = c.x[0], pp = c.u[0];
            bm_add(&m[0], x * x);
            bm_add(&m[1], x * pp);
            bm_add(&m[2], pp * pp);
        }
    }
    double S[3];
    lyapunov(s, eps, alpha, eps * T * (2 * alpha - eps * T * beta), S);
    const char *nm[3] = {"Sxx", "Sxp", "Spp"};
    for (int j = 0; j < 3; j++) {
        double se, e = bm_mean(&m[j], &se);
        printf("T19 s=%g eps=%g a=%g b=%g T=%g: %s emp %.5f theory %.5f MCSE %.5f\n", s, eps,
               alpha, beta, T, nm[j], e, S[j], se);
        CHECK(fabs(e - S[j]) <= 4 * se, "T19 %s %.5f vs %.5f (4 MCSE %.5f)", nm[j], e, S[j],
              4 * se);
        /* discriminative: the Lyapunov value differs from the continuous-time
         * value by more than 2·(4 MCSE) in the first entry */
        if (discr && j == 0)
            CHECK(8 * se < fabs(S[0] - T * s * s), "T19 not discriminative: 8 MCSE %.5f gap %.5f",
                  8 * se, S[0] - T * s * s);
    }
    smile_chain_free(&c);
}

/* ---------------------------------------------------------------------- */
/* T20: adaSGHMC adaptation                                               */
/* ---------------------------------------------------------------------- */

static void test_t20(void) {
    double mu[3] = {1, 0.1, 3}, v[3] = {1, 1, 0.5};
    const int64_t n = 100000;
    iid_t G = {3, mu, v};
    smile_target t = {3, iid_fn, &G, 0};
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_ADASGHMC);
    smile_chain c;
    CHECK(smile_chain_init(&c, &p, 3, 9, 0, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_chain_begin_warmup(&c, &t, n, msg, sizeof msg);
    int64_t bad_tau = 0, bad_order = 0;
    double acc[3] = {0};
    smile_step_info info;
    for (int64_t k = 0; k < n; k++) {
        smile_batch b = full_batch((uint64_t)k);
        smile_chain_step(&c, &t, &b, &info);
        for (int i = 0; i < 3; i++) {
            double s = c.ada_sigma[i], gb = c.ada_gbar[i];
            if (!(c.ada_tau[i] >= 1.0f)) bad_tau++;
            if (!(gb * gb <= s * s * (1 + 1e-12))) bad_order++;
            if (k >= n / 2) acc[i] += s * s;
        }
    }
    CHECK(bad_tau == 0, "T20 tau < 1 at %lld coordinate-steps", (long long)bad_tau);
    CHECK(bad_order == 0, "T20 gbar^2 > sigma^2 at %lld coordinate-steps", (long long)bad_order);
    for (int i = 0; i < 3; i++) {
        double avg = acc[i] / (double)(n - n / 2), want = mu[i] * mu[i] + v[i];
        printf("T20 mu=%g v=%g: mean sigma^2 over the last 5e4 steps %.4f (mu^2+v = %.4f)\n",
               mu[i], v[i], avg, want);
        CHECK(fabs(avg - want) <= 0.1 * want, "T20 sigma^2 average %.4f vs %.4f", avg, want);
    }
    /* balance check at ε = 1e-3, m = 0.05: bound 2m/ε² = 1e5 ≫ σ ≈ 3 */
    CHECK(smile_adasghmc_balance_ok(&c) == 1, "balance ok");
    c.eps = 0.5; /* bound 0.4 < σ */
    CHECK(smile_adasghmc_balance_ok(&c) == 0, "balance fails");
    c.eps = p.step_size;

    /* sampling: σ, ḡ, τ frozen; v continuous across the boundary [ours] */
    float u_end[3], s_end[3], g_end[3], t_end[3];
    memcpy(u_end, c.u, sizeof u_end);
    memcpy(s_end, c.ada_sigma, sizeof s_end);
    memcpy(g_end, c.ada_gbar, sizeof g_end);
    memcpy(t_end, c.ada_tau, sizeof t_end);
    smile_chain_begin_sampling(&c, &t, 50, 10, msg, sizeof msg);
    CHECK(!memcmp(u_end, c.u, sizeof u_end), "v continuous at the phase boundary");
    int64_t emitted = 0;
    for (int64_t k = 0; k < 50; k++) {
        smile_batch b = full_batch((uint64_t)(n + k));
        smile_chain_step(&c, &t, &b, &info);
        emitted += !!(info.flags & SMILE_INFO_SAMPLE_EMITTED);
    }
    CHECK(!memcmp(s_end, c.ada_sigma, sizeof s_end) && !memcmp(g_end, c.ada_gbar, sizeof g_end) &&
              !memcmp(t_end, c.ada_tau, sizeof t_end),
          "adaptation frozen in sampling");
    CHECK(emitted == 5, "adaSGHMC emitted %lld", (long long)emitted);
    smile_chain_free(&c);

    /* [ref] boundary: v ← 0 */
    p.reference_phase_boundary = 1;
    smile_chain_init(&c, &p, 3, 9, 0, NULL, msg, sizeof msg);
    smile_chain_begin_warmup(&c, &t, 10, msg, sizeof msg);
    for (int64_t k = 0; k < 10; k++) {
        smile_batch b = full_batch((uint64_t)k);
        smile_chain_step(&c, &t, &b, &info);
    }
    int nz = 0;
    for (int i = 0; i < 3; i++) nz += c.u[i] != 0.0f;
    CHECK(nz == 3, "v non-zero after warm-up");
    smile_chain_begin_sampling(&c, &t, 10, 1, msg, sizeof msg);
    nz = 0;
    for (int i = 0; i < 3; i++) nz += c.u[i] != 0.0f;
    CHECK(nz == 0, "[ref] boundary resets v");
    smile_chain_free(&c);

    /* momentum resampling with probability 1: v ← 0 before every update, so
     * after one step v = ε g + noise only */
    p = smile_sampler_params_default(SMILE_SAMPLER_ADASGHMC);
    p.momentum_resample_prob = 1.0;
    smile_chain_init(&c, &p, 3, 9, 0, NULL, msg, sizeof msg);
    smile_chain_begin_sampling(&c, &t, 10, 1, msg, sizeof msg);
    smile_rng rn;
    double maxerr = 0;
    for (int64_t k = 0; k < 3; k++) {
        rn = c.rng_noise;
        smile_batch b = full_batch((uint64_t)k);
        smile_chain_step(&c, &t, &b, &info);
        for (int i = 0; i < 3; i++) {
            double s = c.ada_sigma[i];
            double ve = p.step_size * c.g[i] +
                        sqrt(fmax(2 * p.mdecay * s - p.step_size * p.step_size * s * s, 1e-7)) *
                            smile_rng_normal(&rn);
            maxerr = fmax(maxerr, fabs(c.u[i] - ve) / (fabs(ve) + 1e-3));
        }
    }
    CHECK(maxerr < FTOL, "resample prob 1: err %g", maxerr);
    smile_chain_free(&c);

    /* balance check on a non-adaSGHMC chain */
    p = smile_sampler_params_default(SMILE_SAMPLER_SGLD);
    smile_chain_init(&c, &p, 3, 9, 0, NULL, msg, sizeof msg);
    CHECK(smile_adasghmc_balance_ok(&c) == -1, "balance n/a for SGLD");
    smile_chain_free(&c);
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
    /* T18: 1-D N(0, s²), exact gradient: Var = T s²/(1 − ε/(2s²)) */
    t18_case(1.0, 1.0, 0.1, 4000000);  /* 1.0526 */
    t18_case(0.5, 0.5, 0.1, 4000000);  /* 0.15625 */
    /* T19: SGHMC AR(1) */
    t19_case(1.0, 0.1, 1.0, 0.0, 1.0, 4000000, 1);
    t19_case(1.5, 0.3, 0.5, 2.0, 0.7, 4000000, 1);
    test_t20();
    return harness_done("test_sgmcmc");
}
