/* Stationary laws of the SG-MCMC baselines and adaSGHMC's adaptation:
 * SGLD's stationary variance, SGHMC's stationary covariance (discrete
 * Lyapunov equation), adaSGHMC's σ / ḡ / τ recursions, its phase-boundary
 * rule and balance check. The update rules themselves:
 * test_sgmcmc_updates.c.
 *
 * Monte Carlo tolerances: 4 batch-means MCSE (B = 50 batches of ≥ 2·10⁴
 * steps, ≫ the integrated autocorrelation times, ≤ 50 steps here). Each
 * stationary test also checks that its 4·MCSE is smaller than half the gap
 * between the discrete-time value and the continuous-time value, so the
 * test can tell the Euler chain's law from the exact posterior. */
#include "sgmcmc_common.h"

/* i.i.d. gradients g_i ~ N(mu_i, v_i) drawn from the batch serial, so the
 * callback is deterministic per (x, b) and independent of the position
 * (the adaptation test holds the positions frozen). */
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
/* SGLD stationary variance                                               */
/* ---------------------------------------------------------------------- */

/* A chain of sampler p on the 1-D Gaussian N(0, s²) (exact gradient), from
 * x = 0, in a sampling phase of n steps. */
typedef struct {
    double sd[1];
    gauss_t G;
    smile_target t;
    smile_chain c;
} run_1d;

static void start_1d(run_1d *r, const smile_sampler_params *p, double s, uint64_t seed, int chain,
                     int64_t n) {
    r->sd[0] = s;
    r->G = (gauss_t){1, r->sd};
    r->t = (smile_target){1, gauss_fn, &r->G, 0};
    CHECK(smile_chain_init(&r->c, p, 1, seed, chain, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_chain_begin_sampling(&r->c, &r->t, n, 1, msg, sizeof msg);
}

static void sgld_variance_case(double s, double T, double eps, int64_t n) {
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_SGLD);
    p.step_size = eps;
    p.temperature = T;
    run_1d r;
    start_1d(&r, &p, s, 2024, 0, n + 1000);
    bmeans m2, m1;
    bm_init(&m2, 50, n);
    bm_init(&m1, 50, n);
    smile_step_info info;
    for (int64_t k = 0; k < n + 1000; k++) {
        smile_batch b = full_batch((uint64_t)k);
        smile_chain_step(&r.c, &r.t, &b, &info);
        if (k >= 1000) {
            bm_add(&m2, (double)r.c.x[0] * r.c.x[0]);
            bm_add(&m1, (double)r.c.x[0]);
        }
    }
    double se2, se1;
    double v = bm_mean(&m2, &se2), mu = bm_mean(&m1, &se1);
    double exact = T * s * s / (1 - eps / (2 * s * s)), cont = T * s * s;
    printf("SGLD variance s=%g T=%g eps=%g: E[x^2] = %.5f (exact %.5f, continuous %.5f), MCSE %.5f; "
           "mean %.5f MCSE %.5f\n",
           s, T, eps, v, exact, cont, se2, mu, se1);
    CHECK(fabs(v - exact) <= 4 * se2, "SGLD variance %.5f vs %.5f (4 MCSE %.5f)", v, exact,
          4 * se2);
    CHECK(fabs(mu) <= 4 * se1, "SGLD mean %.5f (4 MCSE %.5f)", mu, 4 * se1);
    CHECK(4 * se2 < 0.5 * fabs(exact - cont), "SGLD variance test not discriminative: 4 MCSE %.5f gap %.5f",
          4 * se2, exact - cont);
    smile_chain_free(&r.c);
}

/* ---------------------------------------------------------------------- */
/* SGHMC stationary covariance (discrete Lyapunov equation)              */
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

static void sghmc_covariance_case(double s, double eps, double alpha, double beta, double T,
                                  int64_t n, int discr) {
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_SGHMC);
    p.step_size = eps;
    p.temperature = T;
    p.sghmc_alpha = alpha;
    p.sghmc_beta = beta;
    run_1d r;
    start_1d(&r, &p, s, 77, 1, n + 2000);
    bmeans m[3];
    for (int j = 0; j < 3; j++) bm_init(&m[j], 50, n);
    smile_step_info info;
    for (int64_t k = 0; k < n + 2000; k++) {
        smile_batch b = full_batch((uint64_t)k);
        smile_chain_step(&r.c, &r.t, &b, &info);
        if (k >= 2000) {
            double x = r.c.x[0], pp = r.c.u[0];
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
        printf("SGHMC covariance s=%g eps=%g a=%g b=%g T=%g: %s emp %.5f theory %.5f MCSE %.5f\n", s, eps,
               alpha, beta, T, nm[j], e, S[j], se);
        CHECK(fabs(e - S[j]) <= 4 * se, "SGHMC covariance %s %.5f vs %.5f (4 MCSE %.5f)", nm[j], e, S[j],
              4 * se);
        /* discriminative: the Lyapunov value differs from the continuous-time
         * value by more than 2·(4 MCSE) in the first entry */
        if (discr && j == 0)
            CHECK(8 * se < fabs(S[0] - T * s * s), "SGHMC covariance test not discriminative: 8 MCSE %.5f gap %.5f",
                  8 * se, S[0] - T * s * s);
    }
    smile_chain_free(&r.c);
}

/* ---------------------------------------------------------------------- */
/* adaSGHMC adaptation                                                   */
/* ---------------------------------------------------------------------- */

static void test_adasghmc_adaptation(void) {
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
    CHECK(bad_tau == 0, "adaSGHMC: tau < 1 at %lld coordinate-steps", (long long)bad_tau);
    CHECK(bad_order == 0, "adaSGHMC: gbar^2 > sigma^2 at %lld coordinate-steps", (long long)bad_order);
    for (int i = 0; i < 3; i++) {
        double avg = acc[i] / (double)(n - n / 2), want = mu[i] * mu[i] + v[i];
        printf("adaSGHMC mu=%g v=%g: mean sigma^2 over the last 5e4 steps %.4f (mu^2+v = %.4f)\n",
               mu[i], v[i], avg, want);
        CHECK(fabs(avg - want) <= 0.1 * want, "adaSGHMC: sigma^2 average %.4f vs %.4f", avg, want);
    }
    /* balance check at ε = 1e-3, m = 0.05: bound 2m/ε² = 1e5 ≫ σ ≈ 3 */
    CHECK(smile_adasghmc_balance_ok(&c) == 1, "balance ok");
    c.eps = 0.5; /* bound 0.4 < σ */
    CHECK(smile_adasghmc_balance_ok(&c) == 0, "balance fails");
    c.eps = p.step_size;

    /* sampling: σ, ḡ, τ frozen; v continuous across the boundary (our default) */
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

    /* the reference's boundary (reference_phase_boundary): v ← 0 */
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
    CHECK(nz == 0, "reference_phase_boundary resets v");
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

int main(void) {
    /* SGLD on 1-D N(0, s²), exact gradient: Var = T s²/(1 − ε/(2s²)) */
    sgld_variance_case(1.0, 1.0, 0.1, 4000000);  /* 1.0526 */
    sgld_variance_case(0.5, 0.5, 0.1, 4000000);  /* 0.15625 */
    /* SGHMC AR(1) */
    sghmc_covariance_case(1.0, 0.1, 1.0, 0.0, 1.0, 4000000, 1);
    sghmc_covariance_case(1.5, 0.3, 0.5, 2.0, 0.7, 4000000, 1);
    test_adasghmc_adaptation();
    return harness_done("test_sgmcmc_stationary");
}
