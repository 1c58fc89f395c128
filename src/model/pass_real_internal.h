/* pass_real_internal.h — the real type of a pass file (arch_*.c, pass_*.c), included LAST
 * (it defines short macro names). Without SMILE_MODEL_DOUBLE (build/libsmile.a):
 *   R = float,  NN(x) = nn_x,    F(x) = x##_f, MDL_FAST_PATHS 1 (float-only kernels:
 *   direct convolution, fused FCN);
 * with -DSMILE_MODEL_DOUBLE (build/libsmile_fd.a, finite-difference tests):
 *   R = double, NN(x) = nn_x_d,  F(x) = x##_d, MDL_FAST_PATHS 0.
 * Also: MDL_PASSES, the passes table type of this precision, and small helpers. */
#ifndef SMILE_MODEL_PASS_REAL_INTERNAL_H
#define SMILE_MODEL_PASS_REAL_INTERNAL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SMILE_MODEL_DOUBLE
#define R double
#define NN(x) nn_##x##_d
#define F(x) x##_d
#define MDL_FAST_PATHS 0
#define MDL_PASSES mdl_passes_d
#else
#define R float
#define NN(x) nn_##x
#define F(x) x##_f
#define MDL_FAST_PATHS 1
#define MDL_PASSES mdl_passes_f
#endif

/* θ + off / grad + off of an optional tensor (SIZE_MAX = absent → NULL). */
#define OPTP(off) ((off) == SIZE_MAX ? NULL : theta + (off))
#define OPTG(off) ((off) == SIZE_MAX ? NULL : grad + (off))

static inline void mdl_zero(R *p, size_t n) { memset(p, 0, n * sizeof *p); }

/* Elements per example of a convolution's output. */
static inline size_t mdl_conv_out(const mdl_conv *c) {
    return c->dims.OH * c->dims.OW * c->dims.OC;
}

/* Locals of an architecture's forward / backward pass (parameters m, ws): s its state
 * (<name>_state), a its workspace offsets (<name>_ws), base the workspace's reals. */
#define MDL_PASS_LOCALS(name_)                                                                 \
    const name_##_state *s = m->state;                                                         \
    const name_##_ws *a = ws->aws;                                                             \
    R *base = (R *)ws->mem

/* Locals of an architecture's plan (parameter ws): s its state, B the batch, a its new
 * workspace offsets of sizeof(<name>_ws) + extra_ bytes (returns ENOMEM without). */
#define MDL_PLAN_LOCALS(name_, extra_)                                                         \
    const name_##_state *s = ws->m->state;                                                     \
    const size_t B = ws->B;                                                                    \
    name_##_ws *a = mdl_ws_arch(ws, sizeof(name_##_ws) + (extra_));                            \
    if (!a) return SMILE_ENOMEM

/* Input of transformer block l: the previous block's output, block 0 reads offset x0. */
static inline const R *mdl_tblock_in(const smile_model_workspace *ws, const mdl_tblock_ws *tb,
                                     size_t x0, size_t l) {
    return (const R *)ws->mem + (l ? tb[l - 1].xo : x0);
}

/* Defines the passes table F(mdl_<name>_passes) of this precision from the file's
 * F(<name>_plan), F(<name>_forward), F(<name>_backward) and the optional fused
 * loglik_grad (NULL if none). */
#define MDL_PASSES_OF(name_, fused_)                                                           \
    const MDL_PASSES F(mdl_##name_##_passes) = {.plan = F(name_##_plan),                       \
                                                .forward = F(name_##_forward),                 \
                                                .backward = F(name_##_backward),               \
                                                .loglik_grad = fused_}

/* Slot of {0,1,2} different from a and b. */
static inline int mdl_other(int a, int b) {
    for (int k = 0; k < 3; k++)
        if (k != a && k != b) return k;
    return 0;
}

#endif
