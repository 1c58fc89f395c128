/*
 * arch_fcn.c — fully connected regression / classification network (docs/experiments.md,
 * section 3): dense layers n_inputs → hidden[0] → … → outputs with ReLU (or GELU, tanh,
 * SiLU: desc.activation) after each hidden layer, the last layer linear; outputs μ (homoscedastic, plus the global log σ τ), (μ, η) (heteroscedastic) or
 * class logits. The float build evaluates it with the fused kernels of fcn_fast.c where
 * the shape allows; these generic passes serve the rest and the double build.
 */
#include "model/fcn_internal.h"
#include "model/likelihood.h"
#include "model/pass_real_internal.h"

#ifndef SMILE_MODEL_DOUBLE

static smile_status fcn_build(mdl_builder *bd) {
    MDL_BUILD_LOCALS(fcn, 0, 0);
    SMILE_TRY(mdl_positive(bd, d->n_inputs, "n_inputs"));
    if (d->n_hidden > SMILE_MODEL_MAX_HIDDEN)
        return mdl_bad(bd, "model fcn: %zu hidden layers, at most %d", d->n_hidden,
                       SMILE_MODEL_MAX_HIDDEN);
    for (size_t i = 0; i < d->n_hidden; i++)
        if (d->hidden[i] == 0) return mdl_bad(bd, "model fcn: hidden layer %zu has width 0", i + 1);
    size_t n_out;
    switch (m->lik) {
    case SMILE_LIK_GAUSS_HOMO: n_out = 1; break;
    case SMILE_LIK_GAUSS_HETERO: n_out = 2; break;
    case SMILE_LIK_CATEGORICAL:
        if (d->n_classes < 2)
            return mdl_bad(bd, "model fcn: categorical likelihood needs n_classes >= 2");
        n_out = d->n_classes;
        break;
    default:
        return mdl_bad(bd, "model fcn: likelihood must be gauss-homo, gauss-hetero or categorical");
    }
    if ((int)d->activation < 0 || d->activation >= SMILE_ACT_COUNT_)
        return mdl_bad(bd, "model fcn: unknown activation %d", (int)d->activation);
    s->act = d->activation;
    if ((int)d->sigma_link < 0 || d->sigma_link >= SMILE_SIGMA_COUNT_)
        return mdl_bad(bd, "model fcn: unknown sigma link %d", (int)d->sigma_link);
    s->softplus = m->lik == SMILE_LIK_GAUSS_HETERO && d->sigma_link == SMILE_SIGMA_SOFTPLUS;
    if (d->student_df != 0) {
        if (m->lik != SMILE_LIK_GAUSS_HETERO)
            return mdl_bad(bd, "model fcn: Student-t noise (student_df) needs the heteroscedastic likelihood");
        if (!(d->student_df > 2 && d->student_df <= 1000))
            return mdl_bad(bd, "model fcn: student_df %g must be in (2, 1000] (0: Gaussian)", d->student_df);
        m->student_nu = d->student_df;
        m->student_c = smile_student_log_norm(d->student_df);
    }
    s->layers = d->n_hidden + 1;
    size_t in = d->n_inputs;
    for (size_t l = 0; l < s->layers; l++) {
        size_t out = l < d->n_hidden ? d->hidden[l] : n_out;
        char nm[32];
        snprintf(nm, sizeof nm, "dense%zu", l + 1);
        s->layer[l] = mdl_add_dense(bd, nm, in, out, 1);
        in = out;
    }
    /* Global log σ τ, sampled with the N(0,1) prior and set to 0 at start. */
    if (m->lik == SMILE_LIK_GAUSS_HOMO)
        m->log_sigma = mdl_add_param(bd, "log_sigma", 0, NULL, MI_ZERO, 0, 0);
    m->in_size = d->n_inputs;
    m->n_out = n_out;
    m->out_size = n_out;
    return SMILE_OK;
}

static double fcn_flops(const smile_model *m, size_t n, double *first) {
    const fcn_state *s = m->state;
    double f = 0;
    for (size_t l = 0; l < s->layers; l++) f += mdl_dense_flops(&s->layer[l], n);
    *first = mdl_dense_flops(&s->layer[0], n);
    return f;
}

/* default: the SMILE study's network on the 12-column bikesharing file (p = 11) */
MDL_ARCH(fcn, SMILE_LIK_GAUSS_HOMO, 0, .n_inputs = 11, .n_hidden = 3, .hidden = {16, 16, 16});

#endif /* precision-independent part */

static smile_status F(fcn_plan)(smile_model_workspace *ws, size_t *nr, size_t *sc) {
    MDL_PLAN_LOCALS(fcn, 0);
    const smile_model *m = ws->m;
    size_t wmax = m->desc.n_inputs;
    for (size_t l = 0; l < s->layers; l++) wmax = mdl_max(wmax, s->layer[l].out);
    /* element counts B x width stay far from wrapping (as the common plan does) */
    if (B > ((size_t)1 << 40) / (wmax + 1)) return SMILE_EINVAL;
    for (size_t l = 0; l + 1 < s->layers; l++) {
        a->h[l] = mdl_take(nr, B * s->layer[l].out);
        if (s->act != SMILE_ACT_RELU) a->z[l] = mdl_take(nr, B * s->layer[l].out);
        wmax = mdl_max(wmax, s->layer[l].out);
    }
    a->h[s->layers - 1] = ws->out;
    if (s->softplus) a->eta = mdl_take(nr, B);
    ws->gsize = B * wmax;
    ws->g[0] = mdl_take(nr, ws->gsize);
    ws->g[1] = mdl_take(nr, ws->gsize);
#if MDL_FAST_PATHS
    a->fast_reals = mdl_fcn_fast_reals(m, B);
    if (a->fast_reals) a->fast = mdl_take(nr, a->fast_reals);
#endif
    (void)sc;
    return SMILE_OK;
}

static void F(fcn_forward)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                           size_t n) {
    MDL_PASS_LOCALS(fcn);
    const R *x = base + ws->in; /* [n, p] */
    for (size_t l = 0; l < s->layers; l++) {
        const mdl_dense *L = &s->layer[l];
        R *h = base + a->h[l]; /* [n, out_l] */
        if (l + 1 == s->layers || s->act == SMILE_ACT_RELU) {
            NN(dense_forward)(h, x, theta + L->w, theta + L->b, n, L->in, L->out);
            /* ReLU in place: the mask h > 0 is the same before and after */
            if (l + 1 < s->layers) NN(relu_forward)(h, h, n * L->out);
        } else {
            R *z = base + a->z[l];
            NN(dense_forward)(z, x, theta + L->w, theta + L->b, n, L->in, L->out);
            if (s->act == SMILE_ACT_GELU) NN(gelu_forward)(h, z, n * L->out);
            else if (s->act == SMILE_ACT_TANH) NN(tanh_forward)(h, z, n * L->out);
            else NN(silu_forward)(h, z, n * L->out);
        }
        x = h;
    }
    if (s->softplus) { /* output t = log σ from η (x = the output [n, 2]) */
        R *out = base + ws->out, *eta = base + a->eta;
        for (size_t i = 0; i < n; i++) {
            eta[i] = out[2 * i + 1];
            out[2 * i + 1] = (R)smile_softplus_log_sigma((double)eta[i], NULL);
        }
    }
}

static void F(fcn_backward)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                            R *grad, size_t n) {
    MDL_PASS_LOCALS(fcn);
    R *ga = base + ws->g[0], *gb = base + ws->g[1];
    const R *dy = base + ws->dout; /* [n, out_L] */
    if (s->softplus) { /* ∂/∂η = ∂/∂t · dt/dη, in place (dout is this pass's scratch) */
        R *dout = base + ws->dout;
        const R *eta = base + a->eta;
        for (size_t i = 0; i < n; i++) {
            double dt_deta;
            smile_softplus_log_sigma((double)eta[i], &dt_deta);
            dout[2 * i + 1] = (R)((double)dout[2 * i + 1] * dt_deta);
        }
    }
    for (size_t l = s->layers; l-- > 0;) {
        const mdl_dense *L = &s->layer[l];
        const R *x = l ? base + a->h[l - 1] : base + ws->in;
        F(mdl_dense_bwd)(l ? ga : NULL, L, grad, dy, x, theta, n);
        if (l == 0) break;
        mdl_zero(gb, n * L->in);
        const R *z = s->act == SMILE_ACT_RELU ? x : base + a->z[l - 1];
        switch (s->act) {
        case SMILE_ACT_GELU: NN(gelu_backward)(gb, ga, z, n * L->in); break;
        case SMILE_ACT_TANH: NN(tanh_backward)(gb, ga, x, n * L->in); break; /* from the output */
        case SMILE_ACT_SILU: NN(silu_backward)(gb, ga, z, n * L->in); break;
        default: NN(relu_backward)(gb, ga, x, n * L->in); /* x = post-ReLU h: same mask */
        }
        dy = gb;
    }
}

#if MDL_FAST_PATHS
MDL_PASSES_OF(fcn, mdl_fcn_fast_loglik_grad);
#else
MDL_PASSES_OF(fcn, NULL);
#endif
