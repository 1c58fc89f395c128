/* fcn_internal.h — the fully connected network's state, shared by its passes
 * (arch_fcn.c) and its fused float kernels (fcn_fast.c). */
#ifndef SMILE_MODEL_FCN_INTERNAL_H
#define SMILE_MODEL_FCN_INTERNAL_H

#include "model/model_internal.h"

/* m->state: dense layers input → hidden[0] → … → outputs. */
typedef struct {
    size_t layers; /* n_hidden + 1 */
    mdl_dense layer[SMILE_MODEL_MAX_HIDDEN + 1];
    smile_activation act; /* hidden layers' activation */
    int softplus;         /* heteroscedastic with SMILE_SIGMA_SOFTPLUS: output t = log σ
                             = smile_softplus_log_sigma(η) of the last layer's η */
} fcn_state;

/* ws->aws: h[l] = output of layer l ([B, out_l]; the last is ws->out); the region of the
 * fused kernels (fast_reals reals at offset fast; 0 = shape not supported). */
typedef struct {
    size_t h[SMILE_MODEL_MAX_HIDDEN + 1];
    size_t z[SMILE_MODEL_MAX_HIDDEN]; /* pre-activations of hidden layer l (not ReLU) */
    size_t eta;                       /* [B] the last layer's η (softplus link only) */
    size_t fast, fast_reals;
} fcn_ws;

/* Reals the fused kernels need for batch B (0: a layer wider than they handle). */
size_t mdl_fcn_fast_reals(const smile_model *m, size_t B);
/* smile_model_loglik_grad on the fused kernels; 0 when the workspace has no region or the
 * call is invalid (the generic path then reports it). */
int mdl_fcn_fast_loglik_grad(const smile_model *m, smile_model_workspace *ws, const float *theta,
                             const smile_data_view *data, const uint32_t *idx, size_t n,
                             double scale, double *loglik, float *grad);

#endif
