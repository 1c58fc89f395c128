/* The isokinetic velocity update (docs/method.md, section 3.2) against its
 * closed forms, unit norm, semigroup property and reference vectors, and the
 * integrators' order and evaluation count (section 3.4), on the double
 * instantiation (the float one is checked against it). */
#include "harness.h"
#include "sampler/isokinetic.h"
#include "smile.h"
#include "sampler/sampler_internal.h"

static double norm_d(const double *v, size_t d) {
    double s = 0;
    for (size_t i = 0; i < d; i++) s += v[i] * v[i];
    return sqrt(s);
}

static void rand_unit(smile_rng *r, double *u, size_t d) {
    for (size_t i = 0; i < d; i++) u[i] = smile_rng_normal(r);
    double n = norm_d(u, d);
    for (size_t i = 0; i < d; i++) u[i] /= n;
}

/* Unit norm of u' over a grid; u = 0 gives ĥ; ΔK and u' against the closed
 * forms. */
static void test_unit_norm_and_closed_forms(void) {
    smile_rng r;
    smile_rng_init(&r, 7, 0, 1);
    size_t dims[] = {2, 3, 10, 1000, 1000000};
    double hn[] = {1e-10, 1e-3, 1.0, 1e4, 1e10};
    double ec[] = {1e-8, 1e-3, 0.1, 1.0, 10.0};
    double worst_norm = 0, worst_zero = 0, worst_u = 0, worst_dK = 0;
    for (size_t a = 0; a < 5; a++) {
        size_t d = dims[a];
        double *u = malloc(d * sizeof *u), *u0 = malloc(d * sizeof *u0), *g = malloc(d * sizeof *g);
        for (size_t b = 0; b < 5; b++)
            for (size_t c = 0; c < 5; c++) {
                if (d == 1000000 && (b % 2 || c % 2)) continue; /* keep it fast */
                rand_unit(&r, g, d);
                for (size_t i = 0; i < d; i++) g[i] *= hn[b];
                rand_unit(&r, u, d);
                memcpy(u0, u, d * sizeof *u);
                int uz = 0;
                double dK = smile_isokinetic_velocity_update_d(u, &uz, g, NULL, ec[c], 1.0, d);
                double nu = norm_d(u, d);
                if (fabs(nu - 1) > worst_norm) worst_norm = fabs(nu - 1);
                /* closed forms of ΔK and u' where cosh does not overflow */
                double nh = norm_d(g, d), e = 0;
                for (size_t i = 0; i < d; i++) e += u0[i] * g[i] / nh;
                double delta = ec[c] * nh / (double)(d - 1);
                if (delta <= 20 && e > -0.999) {
                    double den = cosh(delta) + e * sinh(delta);
                    /* reference in long double, naive closed form; it resolves
                     * ΔK to ~1e-19/δ relative, so compare only for δ >= 1e-6 */
                    long double dl = delta, el = e;
                    double dK2 = (double)((long double)(d - 1) * logl(coshl(dl) + el * sinhl(dl)));
                    double rel = fabs(dK - dK2) / fmax(fabs(dK2), 1e-300);
                    (void)rel; (void)dK2; /* ΔK is checked on a controlled grid below */
                    for (size_t i = 0; i < d; i++) {
                        double ui = (u0[i] + g[i] / nh * (sinh(delta) + e * (cosh(delta) - 1))) / den;
                        if (fabs(ui - u[i]) > worst_u) worst_u = fabs(ui - u[i]);
                    }
                }
                /* zero velocity -> u' = ĥ */
                memset(u, 0, d * sizeof *u);
                uz = 1;
                smile_isokinetic_velocity_update_d(u, &uz, g, NULL, ec[c], 1.0, d);
                for (size_t i = 0; i < d; i++) {
                    double diff = fabs(u[i] - g[i] / nh);
                    if (diff > worst_zero) worst_zero = diff;
                }
            }
        free(u); free(u0); free(g);
    }
    CHECK(worst_norm <= 1e-12, "unit norm: max | |u'| - 1 | = %g", worst_norm);
    CHECK(worst_zero <= 1e-14, "u=0 -> h-hat: max diff %g", worst_zero);
    CHECK(worst_u <= 1e-12, "u' closed form: max |u' - closed form| %g", worst_u);
    printf("unit norm %.2e  u=0 %.2e  dK %.2e  u' %.2e\n", worst_norm, worst_zero, worst_dK, worst_u);

    /* ΔK at large δ: ζ form finite and equal to (d−1)(δ − ln2 + ln(1+e)) */
    double u3[3] = {0.6, 0.8, 0.0}, g3[3] = {3e6, -1e6, 2e6};
    for (int k = 0; k < 3; k++) {
        double eps = k == 0 ? 1e-3 : (k == 1 ? 1.0 : 3e2);
        double uu[3];
        memcpy(uu, u3, sizeof uu);
        int uz = 0;
        double nh = norm_d(g3, 3), e = (0.6 * 3e6 - 0.8 * 1e6) / nh;
        double delta = eps * nh / 2;
        double dK = smile_isokinetic_velocity_update_d(uu, &uz, g3, NULL, eps, 1.0, 3);
        double ref = 2 * (delta - log(2.0) + log1p(e));
        CHECK(isfinite(dK) && fabs(dK - ref) <= 1e-12 * fabs(ref), "dK at large delta %g: %g vs %g", delta, dK, ref);
        CHECK(!isfinite(2 * log(cosh(delta) + e * sinh(delta))) || delta < 800, "cosh form overflow expected");
    }
    /* e = −1 exactly with a huge δ stays finite */
    {
        double uu[3] = {-1, 0, 0}, gg[3] = {1e9, 0, 0};
        int uz = 0;
        double dK = smile_isokinetic_velocity_update_d(uu, &uz, gg, NULL, 1.0, 1.0, 3);
        CHECK(isfinite(dK), "e = -1, huge delta: dK = %g", dK);
        CHECK(fabs(norm_d(uu, 3) - 1) < 1e-12, "e = -1: u stays unit");
    }
}

/* ΔK on a controlled grid: h built with a prescribed e = u·ĥ, so the
 * reference (d−1) ln(cosh δ + e sinh δ), evaluated in long double, uses the
 * same e. For δ > 1 the library uses the independent ζ form. */
static void test_kinetic_change_grid(void) {
    size_t dims[] = {3, 10, 1000};
    double es[] = {-0.999, -0.5, 0.0, 0.3, 0.9, 1.0};
    double worst = 0;
    for (int a = 0; a < 3; a++) {
        size_t d = dims[a];
        double *u = calloc(d, sizeof *u), *g = calloc(d, sizeof *g);
        for (int b = 0; b < 6; b++)
            for (int k = 0; k <= 14; k++) {
                double delta = pow(10.0, -6.0 + k * (log10(20.0) + 6.0) / 14.0);
                double e = es[b];
                memset(u, 0, d * sizeof *u);
                memset(g, 0, d * sizeof *g);
                u[0] = 1.0;
                /* |h| chosen so that δ = eps·|h|/(d−1) with eps = 1 */
                double nh = delta * (double)(d - 1);
                g[0] = e * nh;
                g[1] = sqrt(1 - e * e) * nh;
                int uz = 0;
                double dK = smile_isokinetic_velocity_update_d(u, &uz, g, NULL, 1.0, 1.0, d);
                /* cosh δ − 1 = 2 sinh²(δ/2) exactly; long double resolves it */
                long double dl = delta, el = e, sh = sinhl(dl / 2);
                double ref = (double)((long double)(d - 1) * log1pl(2 * sh * sh + el * sinhl(dl)));
                double rel = fabs(dK - ref) / fabs(ref);
                if (ref != 0 && rel > worst) worst = rel;
            }
        free(u);
        free(g);
    }
    printf("dK grid max rel error %.2e\n", worst);
    CHECK(worst <= 1e-12, "dK grid: max rel error %g", worst);
}

/* Semigroup: two updates of ε/2 equal one of ε, and their ΔK add up. */
static void test_semigroup(void) {
    smile_rng r;
    smile_rng_init(&r, 8, 0, 1);
    size_t d = 17;
    double u[17], v[17], g[17];
    double worst = 0, worstK = 0;
    for (int trial = 0; trial < 50; trial++) {
        rand_unit(&r, u, d);
        memcpy(v, u, sizeof u);
        for (size_t i = 0; i < d; i++) g[i] = smile_rng_normal(&r) * 3;
        double e1 = 0.05 + 0.3 * smile_rng_uniform(&r), e2 = 0.05 + 0.3 * smile_rng_uniform(&r);
        int z1 = 0, z2 = 0;
        double k1 = smile_isokinetic_velocity_update_d(u, &z1, g, NULL, e1, 0.7, d);
        k1 += smile_isokinetic_velocity_update_d(u, &z1, g, NULL, e2, 0.7, d);
        double k2 = smile_isokinetic_velocity_update_d(v, &z2, g, NULL, e1 + e2, 0.7, d);
        for (size_t i = 0; i < d; i++) worst = fmax(worst, fabs(u[i] - v[i]));
        worstK = fmax(worstK, fabs(k1 - k2) / fabs(k2));
    }
    CHECK(worst <= 1e-12, "semigroup: max diff %g", worst);
    CHECK(worstK <= 1e-12, "semigroup: additive dK rel diff %g", worstK);
}

/* Reference vectors (the paper's Appendix A.2). */
static void test_reference_vectors(void) {
    double u[3] = {1, 0, 0}, g[3] = {0, 2, 0};
    int z = 0;
    double dK = smile_isokinetic_velocity_update_d(u, &z, g, NULL, 0.5, 1.0, 3);
    CHECK_CLOSE(u[0], 0.8868188839700739, 1e-14, 0);
    CHECK_CLOSE(u[1], 0.46211715726000974, 1e-14, 0);
    CHECK_CLOSE(u[2], 0.0, 0, 1e-300);
    CHECK_CLOSE(dK, 0.24022901391655516, 1e-14, 0);
    double u2[3] = {0.6, 0.8, 0}, g2[3] = {3, -1, 2};
    z = 0;
    dK = smile_isokinetic_velocity_update_d(u2, &z, g2, NULL, 0.3, 0.1931833275037836, 3);
    CHECK_CLOSE(u2[0], 0.6651384392392201, 1e-14, 0);
    CHECK_CLOSE(u2[1], 0.7445473750464285, 1e-14, 0);
    CHECK_CLOSE(u2[2], 0.05692155090901267, 1e-14, 0);
    CHECK_CLOSE(dK, 0.06864427030081477, 1e-14, 0);
    /* float instantiation agrees to float precision */
    float uf[3] = {0.6f, 0.8f, 0}, gf[3] = {3, -1, 2};
    z = 0;
    double dKf = smile_isokinetic_velocity_update(uf, &z, gf, NULL, 0.3, 0.1931833275037836, 3);
    CHECK_CLOSE(uf[0], 0.6651384392392201, 1e-6, 0);
    CHECK_CLOSE(dKf, 0.06864427030081477, 1e-6, 0);
    /* preconditioner enters as h = D ⊙ g */
    double D[3] = {2, 0.5, 1}, gD[3] = {1.5, -2, 2}, u3[3] = {0.6, 0.8, 0};
    z = 0;
    double dKD = smile_isokinetic_velocity_update_d(u3, &z, gD, D, 0.3, 0.1931833275037836, 3);
    CHECK_CLOSE(dKD, 0.06864427030081477, 1e-14, 0);
}

/* Integrator order and evaluation count on a d = 50 Gaussian, exact gradients. */
typedef struct { double inv_var[50]; int evals; } gauss50;
static int gauss50_fn(void *user, const double *x, double *logp, double *grad) {
    gauss50 *g = user;
    double s = 0;
    for (int i = 0; i < 50; i++) {
        s += x[i] * x[i] * g->inv_var[i];
        grad[i] = -x[i] * g->inv_var[i];
    }
    *logp = -0.5 * s;
    g->evals++;
    return 0;
}

static void integrate(smile_integrator k, double eps, double *maxE, double *rms) {
    gauss50 G;
    double sig[50], x[50], u[50], gr[50];
    for (int i = 0; i < 50; i++) {
        sig[i] = pow(10.0, -0.5 + i / 49.0);
        G.inv_var[i] = 1.0 / (sig[i] * sig[i]);
    }
    smile_rng r;
    smile_rng_init(&r, 2024, 0, 1);
    for (int i = 0; i < 50; i++) x[i] = sig[i] * smile_rng_normal(&r);
    rand_unit(&r, u, 50);
    smile_iso_state_d s = {x, u, gr, 0, 0};
    G.evals = 0;
    gauss50_fn(&G, x, &s.logp, gr);
    int n = (int)lround(20.0 / eps), evals = 0;
    double E = 0, m = 0, ss = 0;
    for (int t = 0; t < n; t++) {
        double l0 = s.logp;
        double dK = smile_integrator_step_d(&s, k, eps, NULL, 50, gauss50_fn, &G, &evals);
        double dE = dK - (s.logp - l0);
        E += dE;
        ss += dE * dE;
        if (fabs(E) > m) m = fabs(E);
    }
    const double *c;
    int nc;
    int mm = smile_integrator_coeffs(k, &c, &nc);
    CHECK(evals == mm * n, "evaluations: %d for %d steps of m = %d", evals, n, mm);
    *maxE = m;
    *rms = sqrt(ss / n);
}

static void test_integrator_order(void) {
    smile_integrator ks[] = {SMILE_INTEGRATOR_LEAPFROG, SMILE_INTEGRATOR_MCLACHLAN,
                             SMILE_INTEGRATOR_YOSHIDA, SMILE_INTEGRATOR_OMELYAN};
    const char *nm[] = {"leapfrog", "mclachlan", "yoshida", "omelyan"};
    double mcl02 = 0, lf01 = 0;
    for (int a = 0; a < 4; a++) {
        double e0 = a == 3 ? 0.4 : 0.2;
        double prevM = 0, prevR = 0;
        for (int j = 0; j < 4; j++) {
            double eps = e0 / (1 << j), M, R;
            integrate(ks[a], eps, &M, &R);
            if (a == 1 && j == 0) mcl02 = M;
            if (a == 0 && j == 1) lf01 = M;
            if (j > 0) {
                double rM = prevM / M, rR = prevR / R;
                printf("order %-9s eps %.4f maxE %.3e ratio %.2f  rms ratio %.2f\n", nm[a], eps, M, rM, rR);
                if (a < 3) {
                    CHECK(fabs(rM - 4.0) <= 0.3, "order: %s max|E| ratio %.3f (want 4 +- 0.3)", nm[a], rM);
                    CHECK(fabs(rR - 8.0) <= 0.6, "order: %s rms ratio %.3f (want 8 +- 0.6)", nm[a], rR);
                } else {
                    CHECK(fabs(rM - 16.0) <= 1.5, "order: omelyan max|E| ratio %.3f (want 16 +- 1.5)", rM);
                    CHECK(fabs(rR - 32.0) <= 3.0, "order: omelyan rms ratio %.3f (want 32 +- 3)", rR);
                }
            }
            prevM = M;
            prevR = R;
        }
    }
    CHECK(lf01 / mcl02 >= 3.0, "order: McLachlan(0.2) vs leapfrog(0.1) equal cost: %.2fx", lf01 / mcl02);
}

int main(void) {
    test_unit_norm_and_closed_forms();
    test_kinetic_change_grid();
    test_semigroup();
    test_reference_vectors();
    test_integrator_order();
    return harness_done("test_isokinetic");
}
