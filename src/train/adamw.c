/* Building blocks of the deep-ensemble warm start (docs/method.md,
 * section 9): learning-rate schedules, AdamW with decoupled weight
 * decay, and the reference's early-stopping rule. */
#include "train/train.h"

#include <math.h>
#include <string.h>

/* the schedules of docs/method.md, section 9.3; u = optimiser updates already done (from 0). */
double smile_lr_schedule_at(const smile_lr_schedule *s, int64_t u) {
    if (u < 0) u = 0;
    switch (s->kind) {
    case SMILE_LR_LINEAR: {
        /* η_u = η0 + (η1 − η0) · min(u, T)/T */
        if (s->T <= 0) return s->lr1;
        double q = (double)(u < s->T ? u : s->T) / (double)s->T;
        return s->lr0 + (s->lr1 - s->lr0) * q;
    }
    case SMILE_LR_WARMUP_COSINE: {
        /* u < W: η_init + (η_peak − η_init) u/W;
         * u ≥ W: η_end + (η_peak − η_end) ½(1 + cos(π q)), q = min((u − W)/(D − W), 1) */
        if (u < s->W) return s->init + (s->peak - s->init) * (double)u / (double)s->W;
        double q = s->D > s->W ? (double)(u - s->W) / (double)(s->D - s->W) : 1.0;
        if (q > 1.0) q = 1.0;
        return s->end + (s->peak - s->end) * 0.5 * (1.0 + cos(M_PI * q));
    }
    default: return s->lr;
    }
}

smile_status smile_lr_schedule_validate(const smile_lr_schedule *s, char *msg, size_t msg_len) {
    SMILE_CHECK(!s, SMILE_EINVAL, msg, msg_len, "NULL schedule");
    switch (s->kind) {
    case SMILE_LR_CONSTANT:
        SMILE_CHECK(!(s->lr > 0) || !isfinite(s->lr), SMILE_EINVAL, msg, msg_len,
                    "learning rate must be a positive number (got %g)", s->lr);
        return SMILE_OK;
    case SMILE_LR_LINEAR:
        SMILE_CHECK(!isfinite(s->lr0) || !isfinite(s->lr1) || s->lr0 < 0 || s->lr1 < 0 || s->T < 1,
                    SMILE_EINVAL, msg, msg_len, "linear schedule needs lr0, lr1 >= 0 and T >= 1");
        return SMILE_OK;
    case SMILE_LR_WARMUP_COSINE:
        SMILE_CHECK(!isfinite(s->init) || !isfinite(s->peak) || !isfinite(s->end) || s->init < 0 ||
                        s->peak < 0 || s->end < 0 || s->W < 0 || s->D < s->W,
                    SMILE_EINVAL, msg, msg_len,
                    "warm-up cosine schedule needs rates >= 0 and 0 <= W <= D");
        return SMILE_OK;
    default: SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len, "unknown schedule kind %d", (int)s->kind);
    }
}

smile_status smile_adamw_init(smile_adamw *a, size_t d, double beta1, double beta2,
                              double weight_decay, char *msg, size_t msg_len) {
    SMILE_CHECK(!a, SMILE_EINVAL, msg, msg_len, "NULL optimiser");
    memset(a, 0, sizeof *a);
    SMILE_CHECK(d == 0, SMILE_EINVAL, msg, msg_len, "AdamW: dimension must be >= 1");
    SMILE_CHECK(!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1), SMILE_EINVAL, msg,
                msg_len, "AdamW: betas must be in [0, 1) (got %g, %g)", beta1, beta2);
    SMILE_CHECK(!(weight_decay >= 0) || !isfinite(weight_decay), SMILE_EINVAL, msg, msg_len,
                "AdamW: weight decay must be >= 0 (got %g)", weight_decay);
    a->d = d;
    a->beta1 = beta1;
    a->beta2 = beta2;
    a->eps = 1e-8;
    a->weight_decay = weight_decay;
    a->m = smile_calloc(d, sizeof(float));
    a->v = smile_calloc(d, sizeof(float));
    if (!a->m || !a->v) {
        smile_adamw_free(a);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "AdamW: out of memory (d = %zu)", d);
    }
    return SMILE_OK;
}

void smile_adamw_free(smile_adamw *a) {
    if (!a) return;
    smile_free(a->m);
    smile_free(a->v);
    a->m = a->v = NULL;
}

/* AdamW (docs/method.md, section 9.2) with step counter t = 1, 2, …:
 *   m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *   m̂ = m/(1−β1^t);  v̂ = v/(1−β2^t);
 *   θ ← θ − η (m̂/(√v̂ + 1e-8) + λ θ)        (decoupled decay, all parameters) */
void smile_adamw_step(smile_adamw *a, float *theta, const float *g, double lr,
                      const unsigned char *frozen) {
    a->t++;
    const double b1 = a->beta1, b2 = a->beta2;
    const double c1 = 1.0 - pow(b1, (double)a->t), c2 = 1.0 - pow(b2, (double)a->t);
    const double wd = a->weight_decay, eps = a->eps;
    for (size_t j = 0; j < a->d; j++) {
        if (frozen && frozen[j]) continue;
        const double gj = g[j];
        const double m = b1 * a->m[j] + (1.0 - b1) * gj;
        const double v = b2 * a->v[j] + (1.0 - b2) * gj * gj;
        a->m[j] = (float)m;
        a->v[j] = (float)v;
        const double mh = m / c1, vh = v / c2;
        const double th = theta[j];
        theta[j] = (float)(th - lr * (mh / (sqrt(vh) + eps) + wd * th));
    }
}

/* as the reference implementation does (docs/method.md, section 9.4): after epoch n (losses[0..n)
 * of epochs 1..n), stop when the last P losses are all >= the reference loss — the loss P + 1
 * epochs back, or the first loss while only P exist — or when the last P are all NaN. The check
 * starts once P losses exist. (NaN >= x is false: a NaN in the window blocks a stop unless the
 * whole window is NaN.) */
int smile_early_stop(const double *losses, size_t n, int patience) {
    if (patience < 1 || n < (size_t)patience) return 0;
    const size_t P = (size_t)patience;
    const double ref = n > P ? losses[n - P - 1] : losses[0];
    int all_ge = 1, all_nan = 1;
    for (size_t i = n - P; i < n; i++) {
        if (!(losses[i] >= ref)) all_ge = 0;
        if (!isnan(losses[i])) all_nan = 0;
    }
    return all_ge || all_nan;
}
