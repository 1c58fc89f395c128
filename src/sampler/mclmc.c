/* Full-batch MCLMC (docs/method.md, section 4.2) with the MILE tuning recipe
 * (sections 4.3-4.7; section numbers in this file are those of
 * docs/method.md): phase 1+2 energy-variance step-size predictor, L from the
 * phase-2 variances, phase 3 L from the effective sample size.
 *
 * Warm-up of W steps = n1 = ⌊0.8W⌋ predictor steps, n2 = ⌊0.1W⌋ predictor
 * steps that also collect weighted moments, n3 = W − n1 − n2 steps at fixed
 * (ε, L) recording a coordinate subset. (The reference uses ⌊0.1W⌋ for n3;
 * for W divisible by 10 the two agree.) */
#include "isokinetic.h"
#include "sampler_internal.h"

#include <math.h>
#include <string.h>

typedef struct {
    int64_t n1, n2, n3;
    smile_mile_predictor pred;          /* section 4.4 */
    double target_start, target_end;
    /* phase-2 weighted Welford moments in double [d] */
    double *mean, *m2, wsum;
    /* phase-3 record: rows of the coordinate subset S */
    uint32_t *subset;
    size_t ns;
    double *rec; /* [n3 × ns] */
    double *col; /* [min(n3, max_samples)] one kept column for the ESS */
    int L_from_var_failed;
} mile_state;

void smile_mclmc_free(smile_chain *c) {
    mile_state *m = c->mile;
    if (!m) return;
    smile_free(m->mean);
    smile_free(m->m2);
    smile_free(m->subset);
    smile_free(m->rec);
    smile_free(m->col);
    smile_free(m);
    c->mile = NULL;
}

static void uniform_unit(smile_rng *r, float *u, size_t d) {
    double ss = 0.0;
    for (size_t i = 0; i < d; i++) {
        double z = smile_rng_normal(r);
        u[i] = (float)z;
        ss += z * z;
    }
    const double inv = 1.0 / sqrt(ss);
    for (size_t i = 0; i < d; i++) u[i] = (float)((double)u[i] * inv);
}

/* Partial refresh (section 4.1): u <- (u + ν z)/|u + ν z|,
 * ν = sqrt(expm1(2ε'/L)/d). */
static void refresh(smile_chain *c, double eps_r) {
    if (!isfinite(c->L) || c->L <= 0) return;
    const size_t d = c->dim;
    const double nu = sqrt(expm1(2.0 * eps_r / c->L) / (double)d);
    double ss = 0.0, z[256]; /* the draws in chunks, in order: the same stream */
    for (size_t i0 = 0; i0 < d; i0 += 256) {
        const size_t m = d - i0 < 256 ? d - i0 : 256;
        smile_rng_normal_fill(&c->rng_vel, z, m);
        for (size_t i = 0; i < m; i++) {
            double v = (double)c->u[i0 + i] + nu * z[i];
            c->u[i0 + i] = (float)v;
            ss += v * v;
        }
    }
    const double inv = 1.0 / sqrt(ss);
    for (size_t i = 0; i < d; i++) c->u[i] = (float)((double)c->u[i] * inv);
}

static double initial_L(const smile_chain *c) {
    double sd = sqrt((double)c->dim);
    return c->p.mclmc_init_L_sqrt_d ? sd : fmax(sd, 15.0);
}

/* Phase lengths of a warm-up of n steps: n1 = ⌊0.8n⌋, n2 = ⌊0.1n⌋, n3 = rest. */
static void phase_lengths(int64_t n, int64_t *n1, int64_t *n2, int64_t *n3) {
    *n1 = (int64_t)floor(0.8 * (double)n);
    *n2 = (int64_t)floor(0.1 * (double)n);
    *n3 = n - *n1 - *n2;
}

/* The tuning workspace of a warm-up with phases n1, n2, n3 (zeroed). The phase-3
 * record (n3 rows of ns coordinates) grows with the warm-up: a size that cannot be
 * allocated is refused up front, naming the warm-up, and the out-of-memory
 * message is written before the workspace is released. */
static smile_status mile_alloc(smile_chain *c, int64_t n1, int64_t n2, int64_t n3, char *msg,
                               size_t msg_len) {
    const size_t d = c->dim;
    const size_t ns = d < (size_t)c->p.mclmc_max_coords ? d : (size_t)c->p.mclmc_max_coords;
    const long long steps = (long long)n1 + n2 + n3;
    size_t rows = n3 > 0 ? (size_t)n3 : 1, cells = 0, bytes = 0;
    SMILE_CHECK(n1 < 0 || n2 < 0 || n3 < 0 || smile_mul_size(rows, ns, &cells) ||
                    smile_mul_size(cells, sizeof(double), &bytes),
                SMILE_EINVAL, msg, msg_len,
                "MCLMC warm-up of %lld steps: its phase-3 record (%lld steps x %zu coordinates) "
                "is too large; use a shorter warm-up",
                steps, (long long)n3, ns);
    mile_state *m = smile_calloc(1, sizeof *m);
    SMILE_CHECK(!m, SMILE_ENOMEM, msg, msg_len, "out of memory for MCLMC tuning");
    c->mile = m;
    m->n1 = n1;
    m->n2 = n2;
    m->n3 = n3;
    m->mean = smile_calloc(d, sizeof(double));
    m->m2 = smile_calloc(d, sizeof(double));
    m->ns = ns;
    m->subset = smile_calloc(d, sizeof(uint32_t));
    m->rec = smile_calloc(cells, sizeof(double));
    m->col = smile_calloc(rows, sizeof(double));
    if (!m->mean || !m->m2 || !m->subset || !m->rec || !m->col) {
        smile_set_msg(msg, msg_len,
                      "MCLMC warm-up of %lld steps: out of memory for its tuning record (%lld "
                      "steps x %zu coordinates, %.3g GiB); use a shorter warm-up",
                      steps, (long long)n3, ns, (double)bytes / 1073741824.0);
        smile_mclmc_free(c);
        return SMILE_ENOMEM;
    }
    return SMILE_OK;
}

smile_status smile_mclmc_begin_warmup(smile_chain *c, const smile_target *t, int64_t n,
                                      char *msg, size_t msg_len) {
    smile_mclmc_free(c);
    const size_t d = c->dim;
    if (c->p.mclmc_init_eps_from_d) c->eps = 0.25 * sqrt((double)d);
    c->L = (c->p.L > 0) ? c->p.L : initial_L(c);
    if (n == 0) return SMILE_OK;
    int64_t n1, n2, n3;
    phase_lengths(n, &n1, &n2, &n3);
    SMILE_TRY(mile_alloc(c, n1, n2, n3, msg, msg_len));
    mile_state *m = c->mile;
    smile_mile_predictor_init(&m->pred, c->p.mclmc_n_eff, c->p.mclmc_trust);
    m->target_start = c->p.mclmc_target_start;
    m->target_end = c->p.mclmc_target_end;
    /* our choice: the phase-3 subset S drawn up front (chain RNG, purpose SUBSET) */
    smile_rng rs;
    smile_rng_init(&rs, c->seed, (uint64_t)c->chain, SMILE_RNG_SUBSET);
    for (size_t i = 0; i < d; i++) m->subset[i] = (uint32_t)i;
    for (size_t i = 0; i < m->ns; i++) { /* partial Fisher–Yates */
        size_t j = i + (size_t)smile_rng_below(&rs, d - i);
        uint32_t tmp = m->subset[i];
        m->subset[i] = m->subset[j];
        m->subset[j] = tmp;
    }
    (void)t;
    return SMILE_OK;
}

/* Phase-3 rows recorded after the chain's phase_step warm-up steps. */
static int64_t rows_recorded(const smile_chain *c, const mile_state *m) {
    int64_t rows = c->phase_step - m->n1 - m->n2;
    return rows < 0 ? 0 : rows > m->n3 ? m->n3 : rows;
}

void smile_mclmc_save(const smile_chain *c, smile_wbuf *w) {
    const mile_state *m = c->mile;
    smile_wbuf_u32(w, m != NULL);
    if (!m) return;
    smile_wbuf_i64(w, m->n1);
    smile_wbuf_i64(w, m->n2);
    smile_wbuf_i64(w, m->n3);
    const double pred[5] = {m->pred.X, m->pred.Ww, m->pred.eps_max, m->pred.r, m->pred.trust};
    smile_wbuf_f64s(w, pred, 5);
    smile_wbuf_f64(w, m->target_start);
    smile_wbuf_f64(w, m->target_end);
    smile_wbuf_f64(w, m->wsum);
    smile_wbuf_i32(w, m->L_from_var_failed);
    smile_wbuf_f64s(w, m->mean, c->dim);
    smile_wbuf_f64s(w, m->m2, c->dim);
    smile_wbuf_u32s(w, m->subset, c->dim);
    /* only the rows recorded so far; col is scratch of the ESS */
    smile_wbuf_f64s(w, m->rec, (size_t)rows_recorded(c, m) * m->ns);
}

smile_status smile_mclmc_load(smile_chain *c, smile_rbuf *r, char *msg, size_t msg_len) {
    smile_mclmc_free(c);
    if (!smile_rbuf_u32(r)) return SMILE_OK;
    int64_t n1 = smile_rbuf_i64(r), n2 = smile_rbuf_i64(r), n3 = smile_rbuf_i64(r), e1, e2, e3;
    phase_lengths(c->phase_len, &e1, &e2, &e3);
    SMILE_CHECK(r->short_read || c->p.kind != SMILE_SAMPLER_MCLMC ||
                    c->phase != SMILE_PHASE_WARMUP || n1 != e1 || n2 != e2 || n3 != e3,
                SMILE_EFORMAT, msg, msg_len,
                "chain checkpoint: MCLMC tuning workspace does not fit the warm-up of %lld steps",
                (long long)c->phase_len);
    SMILE_TRY(mile_alloc(c, n1, n2, n3, msg, msg_len));
    mile_state *m = c->mile;
    double pred[5];
    smile_rbuf_f64s(r, pred, 5);
    m->pred.X = pred[0];
    m->pred.Ww = pred[1];
    m->pred.eps_max = pred[2];
    m->pred.r = pred[3];
    m->pred.trust = pred[4];
    m->target_start = smile_rbuf_f64(r);
    m->target_end = smile_rbuf_f64(r);
    m->wsum = smile_rbuf_f64(r);
    m->L_from_var_failed = smile_rbuf_i32(r);
    smile_rbuf_f64s(r, m->mean, c->dim);
    smile_rbuf_f64s(r, m->m2, c->dim);
    smile_rbuf_u32s(r, m->subset, c->dim);
    smile_rbuf_f64s(r, m->rec, (size_t)rows_recorded(c, m) * m->ns);
    int ok = !r->short_read && m->wsum >= 0 &&
             (m->L_from_var_failed == 0 || m->L_from_var_failed == 1);
    for (size_t i = 0; ok && i < c->dim; i++) ok = m->subset[i] < c->dim;
    SMILE_CHECK(!ok, SMILE_EFORMAT, msg, msg_len,
                "chain checkpoint: MCLMC tuning workspace out of range or truncated");
    return SMILE_OK;
}

smile_status smile_mclmc_begin_sampling(smile_chain *c, const smile_target *t, char *msg,
                                        size_t msg_len) {
    (void)t;
    (void)msg;
    (void)msg_len;
    if (!(c->L > 0)) c->L = (c->p.L > 0) ? c->p.L : initial_L(c);
    smile_mclmc_free(c); /* tuning workspace no longer needed */
    return SMILE_OK;
}

void smile_mile_predictor_init(smile_mile_predictor *pr, double n_eff, double trust) {
    pr->X = 0.0;
    pr->Ww = 0.0;
    pr->eps_max = INFINITY;
    pr->r = (n_eff - 1.0) / (n_eff + 1.0);
    pr->trust = trust;
}

/* Section 4.4 steps 3–6: ξ = ΔE²/(d·target) + 1e-8, w = exp(−½(ln ξ/(6σ_ξ))²),
 * X <- rX + wξ/ε⁶, W <- rW + w, ε' = min((X/W)^(−1/6), ε_max). */
double smile_mile_predictor_update(smile_mile_predictor *pr, double dE, double eps,
                                   double target, size_t d) {
    const double xi = dE * dE / ((double)d * target) + 1e-8;
    const double lx = log(xi) / (6.0 * pr->trust);
    const double w = exp(-0.5 * lx * lx);
    pr->X = pr->r * pr->X + w * xi / pow(eps, 6.0);
    pr->Ww = pr->r * pr->Ww + w;
    /* plain min(ε, ε_max), where the reference's cap expression returns 0 at
     * ε = ε_max (docs/experiments.md, section 8) */
    return fmin(pow(pr->X / pr->Ww, -1.0 / 6.0), pr->eps_max);
}

static double target_at(const mile_state *m, int64_t j) {
    const double n12 = (double)(m->n1 + m->n2 + 1);
    if (m->target_start <= 2.0)
        return m->target_start - (m->target_start - m->target_end) * fmin((double)j / n12, 1.0);
    const double tau = n12 / 4.0, e = exp(-(double)j / tau);
    return m->target_start * e + m->target_end * (1.0 - e);
}

/* One deterministic MCLMC step with the split refreshes; returns 1 when
 * every produced quantity is finite. */
static int mclmc_core(smile_chain *c, const smile_target *t, const smile_batch *b, double eps,
                      double *dK_out, double *dE_out, int *evals) {
    const size_t d = c->dim;
    const smile_sampler_params *p = &c->p;
    if (p->refresh == SMILE_REFRESH_SPLIT_HALF) refresh(c, eps / 2.0);
    const double logp0 = c->logp;
    int bad = 0;
    const double dK = smile_chain_integrate(c, t, b, NULL, eps, 0, &bad, evals, NULL);
    int ok = !bad;
    if (ok) {
        for (size_t i = 0; i < d && ok; i++)
            if (!isfinite(c->x[i]) || !isfinite(c->g[i])) ok = 0;
    }
    if (ok) refresh(c, p->refresh == SMILE_REFRESH_SPLIT_HALF ? eps / 2.0 : eps);
    const double dE = dK - (c->logp - logp0);
    if (!isfinite(dK) || !isfinite(dE)) ok = 0;
    *dK_out = dK;
    *dE_out = dE;
    return ok;
}

void smile_mclmc_step(smile_chain *c, const smile_target *t, const smile_batch *b,
                      smile_step_info *info) {
    const size_t d = c->dim;
    int evals = 0;
    if (!c->have_cache) { /* initialisation: one evaluation at x0 (section 4.2) */
        smile_batch full = {NULL, 0, 1.0, 0, c->chain};
        double lp = NAN;
        t->logdensity_grad(t->user, c->x, b ? b : &full, &lp, c->g);
        evals++;
        c->logp = lp;
        c->have_cache = 1;
    }
    if (c->u_zero) {
        uniform_unit(&c->rng_vel, c->u, d);
        c->u_zero = 0;
    }
    if (!(c->L > 0)) c->L = (c->p.L > 0) ? c->p.L : initial_L(c);
    mile_state *m = c->phase == SMILE_PHASE_WARMUP ? c->mile : NULL;
    const int64_t j = c->phase_step;
    const int predictor = m && j < m->n1 + m->n2;
    const double eps = c->eps;
    info->eps = eps;
    info->L = c->L;

    /* snapshot (x, u, ℓ, g) for a revert; u goes to scratch */
    memcpy(c->x_prev, c->x, d * sizeof(float));
    memcpy(c->g_prev, c->g, d * sizeof(float));
    memcpy(c->scratch, c->u, d * sizeof(float));
    const double logp_prev = c->logp;

    double dK = 0.0, dE = 0.0;
    int ok = mclmc_core(c, t, b, eps, &dK, &dE, &evals);
    info->grad_evals = evals;
    /* a repeated non-finite step (the previous one failed too) is the step
     * size's fault; an isolated one is not (a corrupted evaluation): it only
     * reverts, and the predictor skips it (ours, docs/hardening.md) */
    const int repeated = !ok && ++c->tuning->nonfinite_streak >= 2;
    if (ok) c->tuning->nonfinite_streak = 0;
    if (!ok) {
        float *tmp = c->x; c->x = c->x_prev; c->x_prev = tmp;
        tmp = c->g; c->g = c->g_prev; c->g_prev = tmp;
        c->logp = logp_prev;
        if (predictor) { /* section 4.7: whole previous state, ε_max <- 0.8 ε */
            memcpy(c->u, c->scratch, d * sizeof(float));
            if (repeated) m->pred.eps_max = 0.8 * eps;
        } else { /* section 4.7 (ours): fresh uniform unit velocity */
            uniform_unit(&c->rng_vel, c->u, d);
        }
        info->flags |= SMILE_INFO_NONFINITE | SMILE_INFO_RESET;
        dE = 0.0;
        dK = 0.0;
    }
    info->dK = ok ? dK : NAN;
    info->dE = ok ? dE : NAN;
    info->logp = c->logp;

    if (predictor) {
        /* section 4.4: step-size predictor */
        double eps_new = ok || repeated
                             ? smile_mile_predictor_update(&m->pred, dE, eps, target_at(m, j), d)
                             : eps;
        if (!(eps_new > 0) || !isfinite(eps_new)) eps_new = eps;
        c->eps = eps_new;
        if (eps_new < eps) info->flags |= SMILE_INFO_EPS_DOWN;
        if (eps_new > eps) info->flags |= SMILE_INFO_EPS_UP;
        if (j >= m->n1) { /* phase 2: weighted Welford moments of x */
            const double wt = ok ? eps_new : 0.0;
            if (wt > 0) {
                m->wsum += wt;
                const double f = wt / m->wsum;
                for (size_t i = 0; i < d; i++) {
                    double dx = (double)c->x[i] - m->mean[i];
                    m->mean[i] += f * dx;
                    m->m2[i] += wt * dx * ((double)c->x[i] - m->mean[i]);
                }
            }
        }
        if (j == m->n1 + m->n2 - 1) { /* section 4.5: L from the variances */
            if (m->wsum > 0) {
                double tot = 0.0;
                for (size_t i = 0; i < d; i++) tot += m->m2[i] / m->wsum;
                if (tot > 0 && isfinite(tot)) c->L = sqrt(tot);
                else m->L_from_var_failed = 1;
            } else {
                m->L_from_var_failed = 1; /* ours: keep L0, flagged */
            }
        }
    } else if (m && j < m->n1 + m->n2 + m->n3) {
        /* section 4.6, phase 3: record the subset, then L from the ESS */
        const int64_t row = j - (m->n1 + m->n2);
        double *r = m->rec + (size_t)row * m->ns;
        for (size_t i = 0; i < m->ns; i++) r[i] = (double)c->x[m->subset[i]];
        if (row == m->n3 - 1) {
            const int64_t n3 = m->n3;
            int64_t keep = n3 > c->p.mclmc_max_samples ? c->p.mclmc_max_samples : n3;
            double sum_ratio = 0.0;
            size_t counted = 0;
            for (size_t i = 0; i < m->ns; i++) {
                /* kept rows ⌊k (n3 − 1)/(keep − 1)⌋, k = 0..keep−1 (section 4.6) */
                for (int64_t k = 0; k < keep; k++) {
                    int64_t rr = n3 > keep
                                     ? (int64_t)floor((double)k * (double)(n3 - 1) / (double)(keep - 1))
                                     : k;
                    m->col[k] = m->rec[(size_t)rr * m->ns + i];
                }
                const double ess = smile_ess(m->col, 1, (size_t)keep);
                if (isfinite(ess) && ess > 0) {
                    sum_ratio += (double)n3 / ess;
                    counted++;
                }
            }
            if (counted > 0) c->L = c->p.mclmc_lfactor * c->eps * sum_ratio / (double)counted;
        }
    }
}
