/* model_fd_internal.h — the double-precision model passes, for finite-difference tests
 * only. They live in the test-only archive build/libsmile_fd.a (the pass files compiled
 * with -DSMILE_MODEL_DOUBLE, and the double nn kernels), never in build/libsmile.a; tests
 * link it before the library. Semantics as the float functions of smile_nn.h. */
#ifndef SMILE_MODEL_FD_INTERNAL_H
#define SMILE_MODEL_FD_INTERNAL_H

#include "smile_nn.h"

/* smile_model_workspace_init for double evaluations. */
smile_status smile_model_workspace_init_d(smile_model_workspace **ws, const smile_model *m,
                                          size_t max_batch, char *msg, size_t msg_len);
/* One double evaluation on the examples idx[0..n) (idx NULL: 0..n-1): with loglik, the
 * log-likelihood as smile_model_loglik_grad (grad, if not NULL, += scale·∇); with out, the
 * forward outputs as smile_model_forward (loglik and grad may then be NULL). */
smile_status smile_model_eval_d(const smile_model *m, smile_model_workspace *ws,
                                const double *theta, const smile_data_view *data,
                                const uint32_t *idx, size_t n, double scale, double *loglik,
                                double *grad, double *out);

#endif
