/* Float instantiation of the model passes (model_impl.inc) and the public entry points. */
#include "model/model_internal.h"
#include "model/conv_direct.h"

#include <string.h>

#define R float
#define NN(x) nn_##x
#define F(x) x##_f
#define MDL_FAST_PATHS 1
#include "model/model_impl.inc"
#undef R
#undef NN
#undef F
#undef MDL_FAST_PATHS

smile_status smile_model_forward(const smile_model *m, smile_model_workspace *ws,
                                 const float *theta, const smile_data_view *data,
                                 const uint32_t *idx, size_t n, float *out) {
    if (!out) return SMILE_EINVAL;
    return eval_f(m, ws, theta, data, idx, n, 1.0, NULL, NULL, out);
}

smile_status smile_model_loglik_grad_generic(const smile_model *m, smile_model_workspace *ws,
                                             const float *theta, const smile_data_view *data,
                                             const uint32_t *idx, size_t n, double scale,
                                             double *loglik, float *grad) {
    if (!loglik) return SMILE_EINVAL;
    return eval_f(m, ws, theta, data, idx, n, scale, loglik, grad, NULL);
}

smile_status smile_model_loglik_grad(const smile_model *m, smile_model_workspace *ws,
                                     const float *theta, const smile_data_view *data,
                                     const uint32_t *idx, size_t n, double scale,
                                     double *loglik, float *grad) {
    if (!loglik) return SMILE_EINVAL;
    if (m && ws && ws->m == m && ws->elem == sizeof(float) && m->desc.kind == SMILE_MODEL_FCN &&
        smile_fcn_fast_loglik_grad(m, ws, theta, data, idx, n, scale, loglik, grad))
        return SMILE_OK;
    return eval_f(m, ws, theta, data, idx, n, scale, loglik, grad, NULL);
}
