/* Double instantiation of the model passes (model_impl.inc), used by the
 * finite-difference tests (tests/test_model_fd.c). */
#include "model/model_internal.h"

#include <string.h>

#define R double
#define NN(x) nn_##x##_d
#define F(x) x##_d
#define MDL_FAST_PATHS 0
#include "model/model_impl.inc"
#undef R
#undef NN
#undef F
#undef MDL_FAST_PATHS

smile_status smile_model_forward_d(const smile_model *m, smile_model_workspace *ws,
                                   const double *theta, const smile_data_view *data,
                                   const uint32_t *idx, size_t n, double *out) {
    if (!out) return SMILE_EINVAL;
    return eval_d(m, ws, theta, data, idx, n, 1.0, NULL, NULL, out);
}

smile_status smile_model_loglik_grad_d(const smile_model *m, smile_model_workspace *ws,
                                       const double *theta, const smile_data_view *data,
                                       const uint32_t *idx, size_t n, double scale,
                                       double *loglik, double *grad) {
    if (!loglik) return SMILE_EINVAL;
    return eval_d(m, ws, theta, data, idx, n, scale, loglik, grad, NULL);
}
