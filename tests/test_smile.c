/* SMILE family invariants (docs/method.md, section 5): the variants reduce to
 * each other, resets restore the state, non-finite steps are undone, batch
 * streams cover each epoch, results do not depend on the thread count; a
 * statistical check on a Gaussian with isotropic injected gradient noise;
 * the pSMILE noise floor; the auto variants' tuner and guard in a chain. */
#include "harness.h"
#include "smile.h"
#include "sampler/sampler_internal.h"

#include <math.h>

/* Diagonal Gaussian, log p = −½ Σ x²/σ² plus injected noise ⟨ξ_b, x⟩ with
 * ξ_b drawn from the batch serial (same ξ for both evaluations of a step).
 * fail_call / huge_call inject a NaN or an energy blow-up at that call. */
typedef struct {
    size_t d;
    double sig[16];
    double noise;
    long calls, fail_call, huge_call, nan_grad_call, drop_call;
} gtarget;

static int gfn(void *user, const float *x, const smile_batch *b, double *logp, float *grad) {
    gtarget *g = user;
    long call = __atomic_fetch_add(&g->calls, 1, __ATOMIC_RELAXED);
    double s = 0;
    smile_rng r;
    smile_rng_init(&r, 99, (uint64_t)b->chain, 1000 + b->serial);
    for (size_t i = 0; i < g->d; i++) {
        double xi = g->noise > 0 ? g->noise * smile_rng_normal(&r) : 0.0;
        s += -0.5 * (double)x[i] * x[i] / (g->sig[i] * g->sig[i]) + xi * x[i];
        grad[i] = (float)(-(double)x[i] / (g->sig[i] * g->sig[i]) + xi);
    }
    *logp = s;
    if (call == g->fail_call) *logp = NAN;
    if (call == g->nan_grad_call) grad[0] = NAN;
    if (call == g->huge_call) *logp = s + 1e12;
    if (call == g->drop_call) *logp = s - 1e6;
    return 0;
}

static gtarget make_target(size_t d, double noise) {
    gtarget g;
    memset(&g, 0, sizeof g);
    g.d = d;
    for (size_t i = 0; i < d; i++) g.sig[i] = pow(10.0, -0.3 + 0.6 * (double)i / (double)(d - 1));
    g.noise = noise;
    g.fail_call = g.huge_call = g.nan_grad_call = g.drop_call = -1;
    return g;
}

static void init_chain(smile_chain *c, smile_sampler_kind k, size_t d, double eps, int chain) {
    smile_sampler_params p = smile_sampler_params_default(k);
    p.step_size = eps;
    float x0[16];
    for (size_t i = 0; i < d; i++) x0[i] = 0.3f * (float)i - 1.0f;
    char msg[256];
    smile_status st = smile_chain_init(c, &p, d, 5, chain, x0, msg, sizeof msg);
    CHECK(st == SMILE_OK, "chain init: %s", msg);
}

static smile_batch batch_for(int64_t serial) {
    smile_batch b = {NULL, 0, 1.0, (uint64_t)serial, 0};
    return b;
}

/* Reductions: SMILE with the tuner off is SMILE-naive step for step; the
 * first pSMILE step (EMAs at 1, so D = 1) is the first SMILE step. */
static void test_reductions(void) {
    size_t d = 8;
    gtarget g1 = make_target(d, 2.0), g2 = make_target(d, 2.0);
    smile_target t1 = {d, gfn, &g1, 0}, t2 = {d, gfn, &g2, 0};
    smile_chain a, b;
    smile_step_info ia, ib;
    /* (i) SMILE with tuner off == SMILE-naive */
    init_chain(&a, SMILE_SAMPLER_SMILE_NAIVE, d, 0.05, 0);
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_SMILE);
    p.step_size = 0.05;
    p.tuner = 0;
    float x0[16];
    for (size_t i = 0; i < d; i++) x0[i] = 0.3f * (float)i - 1.0f;
    smile_chain_init(&b, &p, d, 5, 0, x0, NULL, 0);
    int same = 1;
    for (int s = 0; s < 500; s++) {
        smile_batch bb = batch_for(s);
        smile_chain_step(&a, &t1, &bb, &ia);
        smile_chain_step(&b, &t2, &bb, &ib);
        if (memcmp(a.x, b.x, d * sizeof(float)) || memcmp(a.u, b.u, d * sizeof(float))) same = 0;
    }
    CHECK(same, "SMILE (tuner off) and SMILE-naive trajectories differ");
    smile_chain_free(&a);
    smile_chain_free(&b);
    /* (ii) first pSMILE step == first SMILE step (D ≡ 1 from σ_g ≡ 1) */
    init_chain(&a, SMILE_SAMPLER_SMILE, d, 0.05, 0);
    init_chain(&b, SMILE_SAMPLER_PSMILE, d, 0.05, 0);
    smile_batch bb = batch_for(0);
    smile_chain_step(&a, &t1, &bb, &ia);
    smile_chain_step(&b, &t2, &bb, &ib);
    CHECK(!memcmp(a.x, b.x, d * sizeof(float)) && !memcmp(a.u, b.u, d * sizeof(float)) &&
              ia.dE == ib.dE,
          "first pSMILE step differs from first SMILE step");
    CHECK(ib.precond_r == 1.0 && ib.precond_min == 1.0 && ib.precond_max == 1.0,
          "initial preconditioner not identity: r %g", ib.precond_r);
    /* first step masks the potential term: dE == dK, and starts from u = 0 */
    CHECK(ia.dE == ia.dK, "first-step masking: dE %g dK %g", ia.dE, ia.dK);
    CHECK(ia.grad_evals == 2, "McLachlan step used %d gradient evaluations", ia.grad_evals);
    smile_chain_free(&a);
    smile_chain_free(&b);
}

/* A pSMILE chain (ε = 0.05) on t after `steps` steps on batches 0, 1, ... */
static void started_psmile(smile_chain *c, const smile_target *t, int keep_proposal_cache,
                           int steps, smile_step_info *info) {
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_PSMILE);
    p.step_size = 0.05;
    p.reset_keeps_proposal_cache = keep_proposal_cache;
    smile_chain_init(c, &p, t->dim, 5, 0, NULL, NULL, 0);
    for (int s = 0; s < steps; s++) {
        smile_batch b = batch_for(s);
        smile_chain_step(c, t, &b, info);
    }
}

/* A reset restores x, the gradient cache and ℓ bitwise (u = 0) and its |ΔE|
 * still feeds the statistics; an injected NaN log density or gradient entry
 * undoes the step with the statistics and noise EMAs untouched. */
static void test_reset_and_nonfinite(void) {
    size_t d = 6;
    for (int keep = 0; keep < 2; keep++) {
        gtarget g = make_target(d, 1.0);
        smile_target t = {d, gfn, &g, 0};
        smile_chain c;
        smile_step_info info;
        started_psmile(&c, &t, keep, 40, &info);
        float xb[16], gb[16];
        memcpy(xb, c.x, d * sizeof(float));
        memcpy(gb, c.g, d * sizeof(float));
        double lb = c.logp, mE = c.tuning->tuner.mE;
        g.huge_call = g.calls + 1; /* second evaluation of the next step */
        smile_batch b = batch_for(40);
        smile_chain_step(&c, &t, &b, &info);
        CHECK(info.flags & SMILE_INFO_RESET, "reset: blow-up not reset (keep=%d)", keep);
        CHECK(!memcmp(xb, c.x, d * sizeof(float)), "reset: x not restored bitwise");
        int uzero = 1;
        for (size_t i = 0; i < d; i++) uzero &= c.u[i] == 0.0f;
        CHECK(uzero && c.u_zero, "reset: u not zero after reset");
        if (!keep) {
            CHECK(!memcmp(gb, c.g, d * sizeof(float)) && c.logp == lb,
                  "reset: cache not restored bitwise");
        } else {
            CHECK(c.logp != lb, "reset_keeps_proposal_cache: expected the proposal's log density");
        }
        CHECK(c.tuning->tuner.mE != mE, "reset: statistics must absorb the divergent step");
        CHECK(info.flags & SMILE_INFO_EPS_DOWN, "reset: divergent step must shrink eps");
        smile_chain_free(&c);
    }
    /* non-finite: NaN log density, then NaN gradient entry */
    for (int which = 0; which < 2; which++) {
        gtarget g = make_target(d, 1.0);
        smile_target t = {d, gfn, &g, 0};
        smile_chain c;
        smile_step_info info;
        started_psmile(&c, &t, 0, 30, &info);
        float xb[16], gb[16], mu[16], sg[16];
        memcpy(xb, c.x, d * sizeof(float));
        memcpy(gb, c.g, d * sizeof(float));
        memcpy(mu, c.mu_g, d * sizeof(float));
        memcpy(sg, c.sigma_g, d * sizeof(float));
        double lb = c.logp, mE = c.tuning->tuner.mE, sE = c.tuning->tuner.sE, eps = c.eps;
        if (which == 0) g.fail_call = g.calls; else g.nan_grad_call = g.calls + 1;
        smile_batch b = batch_for(30);
        smile_chain_step(&c, &t, &b, &info);
        CHECK((info.flags & SMILE_INFO_NONFINITE) && (info.flags & SMILE_INFO_RESET),
              "non-finite: flags %#x", info.flags);
        CHECK(!memcmp(xb, c.x, d * sizeof(float)) && !memcmp(gb, c.g, d * sizeof(float)) &&
                  c.logp == lb,
              "non-finite: state not restored");
        CHECK(c.tuning->tuner.mE == mE && c.tuning->tuner.sE == sE, "non-finite: energy statistics changed");
        CHECK(!memcmp(mu, c.mu_g, d * sizeof(float)) && !memcmp(sg, c.sigma_g, d * sizeof(float)),
              "non-finite: noise EMAs changed");
        /* an isolated non-finite step keeps eps; a second one in a row shrinks it */
        CHECK(c.eps == eps, "isolated non-finite step changed eps %.17g -> %.17g", eps, c.eps);
        if (which == 0) g.fail_call = g.calls; else g.nan_grad_call = g.calls + 1;
        b = batch_for(31);
        smile_chain_step(&c, &t, &b, &info);
        CHECK((info.flags & SMILE_INFO_RESET) && (info.flags & SMILE_INFO_EPS_DOWN),
              "repeated non-finite: flags %#x", info.flags);
        CHECK_CLOSE(c.eps, eps * 0.98, 1e-15, 0);
        g.fail_call = g.nan_grad_call = -1;
        b = batch_for(32);
        smile_chain_step(&c, &t, &b, &info);
        CHECK(!(info.flags & SMILE_INFO_NONFINITE) && c.tuning->nonfinite_streak == 0,
              "finite step after the streak: flags %#x, streak %d", info.flags,
              c.tuning->nonfinite_streak);
        int finite = 1;
        for (int s = 33; s < 200; s++) {
            smile_batch bb = batch_for(s);
            smile_chain_step(&c, &t, &bb, &info);
            for (size_t i = 0; i < d; i++) finite &= isfinite(c.x[i]);
        }
        CHECK(finite && c.n_nonfinite == 2, "non-finite: chain did not continue finitely (%lld)",
              (long long)c.n_nonfinite);
        smile_chain_free(&c);
    }
}

/* Batch streams: an epoch's batches are disjoint and cover n_b·B points,
 * chains get different streams, bad sizes are refused. */
static void test_streams(void) {
    smile_batch_stream s1, s2;
    size_t N = 1000, B = 64;
    char msg[128];
    CHECK(smile_batch_stream_init(&s1, SMILE_STREAM_EPOCH, N, B, SMILE_SCALE_N_OVER_B, 3, 0, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_batch_stream_init(&s2, SMILE_STREAM_EPOCH, N, B, SMILE_SCALE_N_OVER_B, 3, 1, msg, sizeof msg);
    unsigned char seen[1000] = {0};
    int disjoint = 1, differ = 0;
    size_t nb = N / B;
    for (size_t k = 0; k < nb; k++) {
        smile_batch b1, b2;
        smile_batch_stream_next(&s1, &b1);
        smile_batch_stream_next(&s2, &b2);
        CHECK(b1.size == B && fabs(b1.scale - (double)N / B) < 1e-12, "batch size/scale");
        for (size_t i = 0; i < B; i++) {
            if (seen[b1.idx[i]]) disjoint = 0;
            seen[b1.idx[i]] = 1;
            if (b1.idx[i] != b2.idx[i]) differ = 1;
        }
    }
    size_t cnt = 0;
    for (size_t i = 0; i < N; i++) cnt += seen[i];
    CHECK(disjoint && cnt == nb * B, "epoch batches not disjoint/covering: %zu", cnt);
    CHECK(differ, "chains 0 and 1 got the same stream");
    smile_batch_stream_free(&s1);
    smile_batch_stream_free(&s2);
    /* reference batching only ever uses the first n_b·B indices */
    smile_batch_stream_init(&s1, SMILE_STREAM_EPOCH_REF, N, B, SMILE_SCALE_FLOOR, 3, 0, msg, sizeof msg);
    int only_first = 1;
    for (int k = 0; k < 100; k++) {
        smile_batch b;
        smile_batch_stream_next(&s1, &b);
        for (size_t i = 0; i < B; i++) only_first &= b.idx[i] < nb * B;
        CHECK(b.scale == (double)nb, "floor scale %g", b.scale);
    }
    CHECK(only_first, "reference batching used a trailing index");
    smile_batch_stream_free(&s1);
    /* fresh batches: distinct indices within a batch */
    smile_batch_stream_init(&s1, SMILE_STREAM_FRESH, 300, 256, SMILE_SCALE_N_OVER_B, 3, 0, msg, sizeof msg);
    int distinct = 1;
    for (int k = 0; k < 50; k++) {
        smile_batch b;
        unsigned char sn[300] = {0};
        smile_batch_stream_next(&s1, &b);
        for (size_t i = 0; i < b.size; i++) {
            if (sn[b.idx[i]]) distinct = 0;
            sn[b.idx[i]] = 1;
        }
    }
    CHECK(distinct, "fresh batch repeated an index");
    smile_batch_stream_free(&s1);
    /* bad input */
    CHECK(smile_batch_stream_init(&s1, SMILE_STREAM_EPOCH, 10, 0, SMILE_SCALE_N_OVER_B, 3, 0, msg, sizeof msg) == SMILE_EINVAL, "batch 0 accepted");
    CHECK(smile_batch_stream_init(&s1, SMILE_STREAM_EPOCH, 10, 11, SMILE_SCALE_N_OVER_B, 3, 0, msg, sizeof msg) == SMILE_EINVAL, "batch > N accepted");
}

/* Thread-count independence of smile_run_chains. */
typedef struct { float final[4][16]; } finals;
static int record_final(void *user, int k, const smile_chain *c, const smile_step_info *info) {
    finals *f = user;
    memcpy(f->final[k], c->x, c->dim * sizeof(float));
    (void)info;
    return 0;
}

static void test_threads(void) {
    size_t d = 10;
    finals f1, f2;
    memset(&f1, 0, sizeof f1);
    memset(&f2, 0, sizeof f2);
    for (int th = 1; th <= 2; th++) {
        gtarget g = make_target(d, 3.0);
        smile_target t[4] = {{d, gfn, &g, 0}, {d, gfn, &g, 0}, {d, gfn, &g, 0}, {d, gfn, &g, 0}};
        smile_chain c[4];
        for (int k = 0; k < 4; k++) init_chain(&c[k], SMILE_SAMPLER_PSMILE, d, 0.05, k);
        smile_run_params rp = smile_run_params_default();
        rp.n_chains = 4;
        rp.warmup = 300;
        rp.samples = 500;
        rp.threads = th;
        rp.n_data = 5000;
        rp.batch_size = 100;
        char msg[256];
        smile_status st = smile_run_chains(c, t, &rp, record_final, th == 1 ? &f1 : &f2, msg, sizeof msg);
        CHECK(st == SMILE_OK, "run_chains: %s", msg);
        for (int k = 0; k < 4; k++) smile_chain_free(&c[k]);
    }
    CHECK(!memcmp(&f1, &f2, sizeof f1), "results depend on the thread count");
}

/* Statistics: isotropic injected noise leaves SMILE-naive nearly unbiased
 * (docs/method.md, section 5.6). E[x_i²]/σ_i² within 4 MCSE (from the ESS of
 * x_i²) plus a discretisation allowance of 0.05 (measured max deviation
 * here: 0.045; the injected noise adds to the discretisation bias). */
static void test_isotropic_gaussian(void) {
    size_t d = 10;
    gtarget g = make_target(d, 4.0);
    smile_target t = {d, gfn, &g, 0};
    smile_chain c;
    init_chain(&c, SMILE_SAMPLER_SMILE_NAIVE, d, 0.1, 0);
    const int W = 5000, N = 200000, thin = 5, M = N / thin;
    double *x2 = malloc(sizeof(double) * (size_t)M * d);
    smile_step_info info;
    smile_chain_begin_warmup(&c, &t, W, NULL, 0);
    for (int s = 0; s < W; s++) {
        smile_batch b = batch_for(s);
        smile_chain_step(&c, &t, &b, &info);
    }
    smile_chain_begin_sampling(&c, &t, N, thin, NULL, 0);
    int m = 0;
    for (int s = 0; s < N; s++) {
        smile_batch b = batch_for(W + s);
        smile_chain_step(&c, &t, &b, &info);
        if (info.flags & SMILE_INFO_SAMPLE_EMITTED) {
            for (size_t i = 0; i < d; i++) x2[i * M + m] = (double)c.x[i] * c.x[i] / (g.sig[i] * g.sig[i]);
            m++;
        }
    }
    CHECK(m == M, "emitted %d samples, expected %d", m, M);
    double worst = 0;
    for (size_t i = 0; i < d; i++) {
        double mean = 0, var = 0;
        for (int k = 0; k < M; k++) mean += x2[i * M + k];
        mean /= M;
        for (int k = 0; k < M; k++) var += (x2[i * M + k] - mean) * (x2[i * M + k] - mean);
        var /= (M - 1);
        double ess = smile_ess(x2 + i * M, 1, (size_t)M);
        double mcse = sqrt(var / ess);
        double z = fabs(mean - 1.0);
        worst = fmax(worst, z);
        CHECK(z <= 4 * mcse + 0.05, "coord %zu: E[x^2]/s^2 = %.4f, MCSE %.4f (ESS %.0f)", i, mean, mcse, ess);
    }
    printf("isotropic-noise SMILE-naive: max |E[x^2]/s^2 - 1| = %.4f\n", worst);
    free(x2);
    smile_chain_free(&c);
}

/* pSMILE noise floor (our addition, precond_floor): a coordinate without gradient noise gets D ≤ ~1/κ
 * times the typical D instead of up to 1e6 (docs/design.md). σ = (1e-2, 100,
 * 100, 100): r0 = sqrt((1e-4 + 3e4)/4) = 86.60, floor 0.01·r0 = 0.8660,
 * r = sqrt((0.75 + 3e4)/4) = 86.61, so D_0 = r/0.866 = 100.0 (8661 without). */
static void test_precond_floor(void) {
    for (int ref = 0; ref < 2; ref++) {
        size_t d = 4;
        gtarget g = make_target(d, 1.0);
        smile_target t = {d, gfn, &g, 0};
        smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_PSMILE_NAIVE);
        p.step_size = 1e-3;
        if (ref) p.precond_floor = 0.0;
        smile_chain c;
        smile_chain_init(&c, &p, d, 5, 0, NULL, NULL, 0);
        c.sigma_g[0] = 1e-2f;
        c.sigma_g[1] = c.sigma_g[2] = c.sigma_g[3] = 100.0f;
        smile_step_info info;
        smile_batch b = batch_for(0);
        smile_chain_step(&c, &t, &b, &info);
        double r0 = sqrt((1e-4 + 3e4) / 4), fl = 0.01 * r0;
        double expect = ref ? r0 / 1e-2 : sqrt((fl * fl + 3e4) / 4) / fl;
        CHECK_CLOSE(info.precond_max, expect, 1e-5, 0);
        smile_chain_free(&c);
    }
}

/* psmile-auto through the chain: the same-batch energy error is
 * reported, the extra evaluation is counted (log-density only when the
 * target allows it), and the step size settles at the same value from
 * starts five decades apart (fixed point; docs/tuner.md). Gaussian with
 * isotropic injected noise, 40,000 steps; the controller's ε spread at the
 * fixed point is ~5 %, so the two runs must agree within a factor 1.3. */
static int gfn_logp_only(void *user, const float *x, const smile_batch *b, double *logp,
                         float *grad) {
    float tmp[16];
    return gfn(user, x, b, logp, grad ? grad : tmp);
}

static void test_auto_chain(void) {
    size_t d = 8;
    double settled[2];
    for (int k = 0; k < 2; k++) {
        gtarget g = make_target(d, 2.0);
        smile_target t = {d, gfn_logp_only, &g, k == 1};
        smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_PSMILE_AUTO);
        p.step_size = k == 0 ? 1e-5 : 1.0;
        smile_chain c;
        smile_chain_init(&c, &p, d, 5, 0, NULL, NULL, 0);
        smile_step_info info;
        int finite = 1;
        double acc = 0;
        for (int s = 0; s < 40000; s++) {
            smile_batch b = batch_for(s);
            smile_chain_step(&c, &t, &b, &info);
            if (!(info.flags & SMILE_INFO_NONFINITE)) finite &= isfinite(info.dE_batch);
            if (s >= 30000) acc += log(c.eps);
        }
        settled[k] = exp(acc / 10000);
        CHECK(finite, "dE_batch not finite");
        if (k == 0)
            CHECK(info.grad_evals == 3 && info.logp_evals == 0, "evals %d/%d", info.grad_evals,
                  info.logp_evals);
        else
            CHECK(info.grad_evals == 2 && info.logp_evals == 1, "evals %d/%d", info.grad_evals,
                  info.logp_evals);
        CHECK(c.n_resets < 400, "resets %lld of 40,000 steps", (long long)c.n_resets);
        smile_chain_free(&c);
    }
    printf("psmile-auto settled eps: %.4g (from 1e-5), %.4g (from 1)\n", settled[0], settled[1]);
    CHECK(settled[0] / settled[1] < 1.3 && settled[1] / settled[0] < 1.3,
          "no common fixed point: %g vs %g", settled[0], settled[1]);
}

/* A psmile-auto chain (ε0 = 1e-2, seed 5) on target t of dimension d. */
static void init_auto(smile_chain *c, size_t d) {
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_PSMILE_AUTO);
    p.step_size = 1e-2;
    smile_chain_init(c, &p, d, 5, 0, NULL, NULL, 0);
}

/* Typical-set guard (docs/tuner.md, section 3): the previous position's log
 * density on a new batch collapses by 1e6 at one step (call 3·S + 2 is that
 * step's extra evaluation: two gradients, then the log density). The chain
 * must roll back to its good snapshot (the candidate taken at the start of
 * an interval that ended without alarm), drop the gradient cache, halve ε,
 * and carry on with finite steps. */
static void test_auto_rollback(void) {
    const size_t d = 8;
    const int S = 650; /* snapshots at steps 99, 199, ...: good = state after 499 */
    gtarget g = make_target(d, 2.0);
    g.drop_call = 3L * S + 2;
    smile_target t = {d, gfn_logp_only, &g, 0};
    smile_chain c;
    init_auto(&c, d);
    smile_step_info info;
    float x499[8];
    int bad = 0;
    for (int s = 0; s < S; s++) {
        smile_batch b = batch_for(s);
        smile_chain_step(&c, &t, &b, &info);
        bad |= (info.flags & SMILE_INFO_RESET) != 0;
        if (s == 499) memcpy(x499, c.x, sizeof x499);
    }
    CHECK(!bad, "a reset before the injected drop");
    double eps_before = c.eps;
    smile_batch b = batch_for(S);
    smile_chain_step(&c, &t, &b, &info);
    CHECK((info.flags & SMILE_INFO_ROLLBACK) && (info.flags & SMILE_INFO_RESET),
          "no rollback on a 1e6 drop (flags %u)", info.flags);
    CHECK(memcmp(c.x, x499, sizeof x499) == 0, "not rolled back to the state after step 499");
    CHECK(!c.have_cache && fabs(c.eps / (0.5 * eps_before) - 1) < 1e-12, "cache kept or eps %g -> %g",
          eps_before, c.eps);
    int finite = 1, more = 0;
    for (int s = S + 1; s < S + 2000; s++) {
        smile_batch bb = batch_for(s);
        smile_chain_step(&c, &t, &bb, &info);
        finite &= isfinite(c.logp) && isfinite(info.dE_batch);
        more += (info.flags & SMILE_INFO_ROLLBACK) != 0;
    }
    CHECK(finite && more == 0, "after the rollback: finite %d, further rollbacks %d", finite, more);
    smile_chain_free(&c);
}

/* An auto-variant reset undoes the step completely: x AND the velocity u are
 * restored (the reference zeroes u), and ε is halved (docs/tuner.md, section 3). The
 * blow-up is injected at the second gradient of step S (call 3·S + 1). */
static void test_auto_reset_keeps_velocity(void) {
    const size_t d = 8;
    const int S = 300;
    gtarget g = make_target(d, 2.0);
    g.huge_call = 3L * S + 1;
    smile_target t = {d, gfn_logp_only, &g, 0};
    smile_chain c;
    init_auto(&c, d);
    smile_step_info info;
    for (int s = 0; s < S; s++) {
        smile_batch b = batch_for(s);
        smile_chain_step(&c, &t, &b, &info);
    }
    float x0[8], u0[8];
    memcpy(x0, c.x, sizeof x0);
    memcpy(u0, c.u, sizeof u0);
    double e0 = c.eps;
    smile_batch b = batch_for(S);
    smile_chain_step(&c, &t, &b, &info);
    CHECK((info.flags & SMILE_INFO_RESET) && !(info.flags & SMILE_INFO_ROLLBACK),
          "no step reset (flags %u)", info.flags);
    CHECK(memcmp(c.x, x0, sizeof x0) == 0 && memcmp(c.u, u0, sizeof u0) == 0 && !c.u_zero,
          "x or u not restored");
    CHECK(c.eps < 0.5 * e0 * (1 + 1e-12), "eps not halved: %g -> %g", e0, c.eps);
    smile_chain_free(&c);
}

int main(void) {
    test_auto_reset_keeps_velocity();
    test_auto_rollback();
    test_auto_chain();
    test_precond_floor();
    test_reductions();
    test_reset_and_nonfinite();
    test_streams();
    test_threads();
    test_isotropic_gaussian();
    return harness_done("test_smile");
}
