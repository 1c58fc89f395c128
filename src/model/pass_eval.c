/*
 * pass_eval.c — the evaluation driver every architecture shares, and the entry points of
 * one precision (pass_real_internal.h): float smile_model_workspace_init, smile_model_forward,
 * smile_model_loglik_grad (build/libsmile.a); double smile_model_workspace_init_d,
 * smile_model_eval_d (build/libsmile_fd.a, model_fd_internal.h).
 *
 * One evaluation: examples are gathered into the workspace in chunks of its batch size,
 * the architecture's forward pass runs, the likelihood stage sums log p(y | ·) in double
 * and seeds d(output) with the scale s folded in, and the architecture's backward pass
 * ACCUMULATES s·∇θ into the caller's grad (which may already hold the prior gradient or
 * earlier chunks), so every parameter gradient comes out without another pass.
 * Activation gradients live in a few reusable slots (ws->g[]) that are zeroed right
 * before a kernel accumulates into them.
 */
#include "model/model_internal.h"
#include "model/pass_real_internal.h"

#define MDL_TABLE(kind, name) [kind] = &F(mdl_##name##_passes),
static const MDL_PASSES *const F(passes)[SMILE_MODEL_COUNT_] = {MDL_ARCHS(MDL_TABLE)};
#undef MDL_TABLE

/* Sizing pass of a workspace: the common buffers, then the architecture's. */
static smile_status F(plan)(smile_model_workspace *ws, size_t *n_reals, size_t *scratch_bytes) {
    const smile_model *m = ws->m;
    size_t B = ws->B, nr = 0, sc = 0;
    /* Refuse sizes whose element counts would overflow size_t (B · largest layer). */
    if (B > ((size_t)1 << 40) / (m->in_size + m->out_size + 1)) return SMILE_EINVAL;
    ws->in = mdl_take(&nr, B * m->in_size);
    ws->out = mdl_take(&nr, B * m->out_size);
    ws->dout = mdl_take(&nr, B * m->out_size);
    ws->y = mdl_take(&nr, B);
    const MDL_PASSES *p = ws->passes;
    SMILE_TRY(p->plan(ws, &nr, &sc));
    *n_reals = nr;
    *scratch_bytes = sc;
    return SMILE_OK;
}

static smile_status F(ws_init)(smile_model_workspace **ws, const smile_model *m, size_t B,
                               char *msg, size_t msg_len) {
    const MDL_PASSES *p = m ? F(passes)[m->desc.kind] : NULL;
    return mdl_ws_init(ws, m, B, sizeof(R), p, F(plan), msg, msg_len);
}

/* Copies examples (idx ? idx[i] : first + i), i < n, into the workspace inputs and, if
 * targets, the targets (y or labels; token windows: the next tokens). */
static void F(gather)(const smile_model *m, smile_model_workspace *ws, const smile_data_view *data,
                      const uint32_t *idx, size_t first, size_t n, int targets) {
    R *base = (R *)ws->mem;
    size_t P = m->in_size, T = m->window;
    for (size_t i = 0; i < n; i++) {
        size_t r = idx ? idx[i] : first + i;
        if (T) {
            const int32_t *w = data->tokens + r;
            memcpy(ws->tok + i * T, w, T * sizeof(int32_t));
            if (targets) memcpy(ws->lab + i * T, w + 1, T * sizeof(int32_t));
            continue;
        }
        const float *src = data->x + r * P;
        R *dst = base + ws->in + i * P;
        if (sizeof(R) == sizeof(float))
            memcpy(dst, src, P * sizeof(float));
        else
            for (size_t j = 0; j < P; j++) dst[j] = (R)src[j];
        if (targets) {
            if (m->lik == SMILE_LIK_CATEGORICAL)
                ws->lab[i] = data->labels[r];
            else
                base[ws->y + i] = (R)data->y[r];
        }
    }
}

/* Σ_i log p(y_i | ·) of the chunk (double, fixed order) and, if grad, d out = s·∂/∂out
 * into ws->dout plus the direct τ gradient (homoscedastic). */
static double F(likelihood)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                            size_t n, double scale, R *grad) {
    R *base = (R *)ws->mem;
    const R *out = base + ws->out;
    R *dout = base + ws->dout;
    double ll = 0;
    switch (m->lik) {
    case SMILE_LIK_GAUSS_HOMO: {
        double t = theta[m->log_sigma], dt_sum = 0;
        for (size_t i = 0; i < n; i++) {
            double dmu, dt;
            ll += smile_gauss_logpdf_t(base[ws->y + i], out[i], t, &dmu, &dt);
            dout[i] = (R)(scale * dmu);
            dt_sum += dt;
        }
        if (grad) grad[m->log_sigma] += (R)(scale * dt_sum);
        break;
    }
    case SMILE_LIK_GAUSS_HETERO:
        for (size_t i = 0; i < n; i++) {
            double dmu, dt;
            ll += m->student_nu > 0
                      ? smile_student_logpdf_t(base[ws->y + i], out[2 * i], out[2 * i + 1],
                                               m->student_nu, m->student_c, &dmu, &dt)
                      : smile_gauss_logpdf_t(base[ws->y + i], out[2 * i], out[2 * i + 1], &dmu, &dt);
            dout[2 * i] = (R)(scale * dmu);
            dout[2 * i + 1] = (R)(scale * dt);
        }
        break;
    case SMILE_LIK_CATEGORICAL:
    case SMILE_LIK_TOKEN: {
        size_t N = m->lik == SMILE_LIK_TOKEN ? n * m->window : n, K = m->n_out;
        NN(xent_forward)(ws->ll, out, ws->lab, N, K);
        for (size_t i = 0; i < N; i++) ll += ws->ll[i];
        if (grad) {
            mdl_zero(dout, N * K);
            NN(xent_backward)(dout, out, ws->lab, NULL, scale, N, K);
        }
        break;
    }
    default: break;
    }
    return ll;
}

/* nb ≤ ws->B examples (idx ? idx[i] : first + i): gather, forward, predictions, and
 * the log-likelihood with its gradient (+= into grad). */
static double F(eval_chunk)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                            const smile_data_view *data, const uint32_t *idx, size_t first,
                            size_t nb, double scale, int want_ll, R *grad, R *pred) {
    const MDL_PASSES *p = ws->passes;
    F(gather)(m, ws, data, idx, first, nb, want_ll);
    p->forward(m, ws, theta, nb);
    if (pred) memcpy(pred, (R *)ws->mem + ws->out, nb * m->out_size * sizeof(R));
    if (!want_ll) return 0;
    double ll = F(likelihood)(m, ws, theta, nb, scale, grad);
    if (grad) p->backward(m, ws, theta, grad, nb);
    return ll;
}

/* Example-parallel chunk (see smile_model_workspace): piece k of the chunk, rows
 * [c0 + nb·k/S, c0 + nb·(k+1)/S), runs the whole network single-threaded on its own
 * sub-workspace into its own gradient partial; partials and log-likelihoods are then
 * added to grad and *ll in piece order. The split depends only on nb and S, never on the
 * number of threads, so the result does not either. */
static void F(eval_pieces)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                           const smile_data_view *data, const uint32_t *idx, size_t c0, size_t nb,
                           double scale, int want_ll, R *grad, R *pred, double *ll) {
    const size_t S = ws->nsub, d = m->d;
    double llp[SMILE_WS_MAX_SUB];
    R *part = (R *)ws->part;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t k = 0; k < S; k++) {
        size_t a = c0 + nb * k / S, b = c0 + nb * (k + 1) / S;
        R *pk = grad ? part + k * d : NULL;
        if (pk) memset(pk, 0, d * sizeof(R));
        llp[k] = b > a ? F(eval_chunk)(m, ws->sub[k], theta, data, idx ? idx + a : NULL, a, b - a,
                                      scale, want_ll, pk, pred ? pred + a * m->out_size : NULL)
                       : 0.0;
    }
    for (size_t k = 0; k < S; k++) *ll += llp[k];
    if (grad) {
#pragma omp parallel for schedule(static) if (d > 65536)
        for (size_t j = 0; j < d; j++) {
            R acc = 0;
            for (size_t k = 0; k < S; k++) acc += part[k * d + j];
            grad[j] += acc;
        }
    }
}

static smile_status F(eval)(const smile_model *m, smile_model_workspace *ws, const R *theta,
                            const smile_data_view *data, const uint32_t *idx, size_t n,
                            double scale, double *loglik, R *grad, R *pred) {
    if (!m || !ws || !theta || ws->m != m || ws->elem != sizeof(R)) return SMILE_EINVAL;
    SMILE_TRY(smile_model_check_data(m, data, idx, n, loglik != NULL, NULL, 0));
    double ll = 0;
    const int want_ll = loglik != NULL;
    for (size_t c0 = 0; c0 < n; c0 += ws->B) {
        size_t nb = n - c0 < ws->B ? n - c0 : ws->B;
        if (ws->nsub > 1)
            F(eval_pieces)(m, ws, theta, data, idx, c0, nb, scale, want_ll, grad, pred, &ll);
        else
            ll += F(eval_chunk)(m, ws, theta, data, idx ? idx + c0 : NULL, c0, nb, scale, want_ll,
                                grad, pred ? pred + c0 * m->out_size : NULL);
    }
    if (loglik) *loglik = ll;
    return SMILE_OK;
}

#ifdef SMILE_MODEL_DOUBLE

#include "model/model_fd_internal.h"

smile_status smile_model_workspace_init_d(smile_model_workspace **ws, const smile_model *m,
                                          size_t max_batch, char *msg, size_t msg_len) {
    return F(ws_init)(ws, m, max_batch, msg, msg_len);
}

smile_status smile_model_eval_d(const smile_model *m, smile_model_workspace *ws,
                                const double *theta, const smile_data_view *data,
                                const uint32_t *idx, size_t n, double scale, double *loglik,
                                double *grad, double *out) {
    if (!loglik && !out) return SMILE_EINVAL;
    return F(eval)(m, ws, theta, data, idx, n, scale, loglik, grad, out);
}

#else

smile_status smile_model_workspace_init(smile_model_workspace **ws, const smile_model *m,
                                        size_t max_batch, char *msg, size_t msg_len) {
    return F(ws_init)(ws, m, max_batch, msg, msg_len);
}

smile_status smile_model_forward(const smile_model *m, smile_model_workspace *ws,
                                 const float *theta, const smile_data_view *data,
                                 const uint32_t *idx, size_t n, float *out) {
    if (!out) return SMILE_EINVAL;
    return F(eval)(m, ws, theta, data, idx, n, 1.0, NULL, NULL, out);
}

smile_status smile_model_loglik_grad_generic(const smile_model *m, smile_model_workspace *ws,
                                             const float *theta, const smile_data_view *data,
                                             const uint32_t *idx, size_t n, double scale,
                                             double *loglik, float *grad) {
    if (!loglik) return SMILE_EINVAL;
    return F(eval)(m, ws, theta, data, idx, n, scale, loglik, grad, NULL);
}

smile_status smile_model_loglik_grad(const smile_model *m, smile_model_workspace *ws,
                                     const float *theta, const smile_data_view *data,
                                     const uint32_t *idx, size_t n, double scale,
                                     double *loglik, float *grad) {
    if (!loglik) return SMILE_EINVAL;
    if (m && ws && ws->m == m && ws->elem == sizeof(float)) {
        const MDL_PASSES *p = ws->passes;
        if (p->loglik_grad && p->loglik_grad(m, ws, theta, data, idx, n, scale, loglik, grad))
            return SMILE_OK;
    }
    return F(eval)(m, ws, theta, data, idx, n, scale, loglik, grad, NULL);
}

#endif
