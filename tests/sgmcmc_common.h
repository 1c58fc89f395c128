/* Shared by the SG-MCMC tests (test_sgmcmc_updates.c,
 * test_sgmcmc_stationary.c): an independent Gaussian target with exact
 * gradient, the full-data batch and the float rounding allowance. */
#ifndef SMILE_TEST_SGMCMC_COMMON_H
#define SMILE_TEST_SGMCMC_COMMON_H

#include "harness.h"
#include "sampler/sampler_internal.h"
#include "smile.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static char msg[512];

/* Independent Gaussian N(0, s_i²), exact gradient. */
typedef struct {
    size_t d;
    const double *s;
} gauss_t;

static int gauss_fn(void *user, const float *x, const smile_batch *b, double *logp, float *grad) {
    (void)b;
    const gauss_t *G = user;
    double lp = 0;
    for (size_t i = 0; i < G->d; i++) {
        double s2 = G->s[i] * G->s[i];
        lp -= 0.5 * (double)x[i] * x[i] / s2;
        grad[i] = (float)(-(double)x[i] / s2);
    }
    *logp = lp;
    return 0;
}

static smile_batch full_batch(uint64_t serial) {
    smile_batch b = {NULL, 0, 1.0, serial, 0};
    return b;
}

/* relative float rounding allowance: a few float ulps of the operands */
#define FTOL 4e-7

#endif
