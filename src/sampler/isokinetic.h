/* Isokinetic building blocks (docs/method.md, sections 3.1-3.5), internal.
 * Float versions drive the samplers; double versions exist so the tests can
 * check the updates against closed forms at double precision. */
#ifndef SMILE_ISOKINETIC_H
#define SMILE_ISOKINETIC_H

#include "core/core.h"

/* x += eps * a * (D ⊙ u), D may be NULL. */
void smile_isokinetic_position_update(float *x, const float *u, const float *D, double eps_a,
                                      size_t d);
void smile_isokinetic_position_update_d(double *x, const double *u, const double *D,
                                        double eps_a, size_t d);

/* Double-precision deterministic integrator driver for tests (docs/method.md,
 * section 3.5):
 * state (x, u, g, logp) with cached gradient; f evaluates log p and grad. */
typedef int (*smile_logdensity_d_fn)(void *user, const double *x, double *logp, double *grad);
typedef struct {
    double *x, *u, *g;
    double logp;
    int u_zero;
} smile_iso_state_d;
/* One integrator step; returns ΔK; *n_evals += m. */
double smile_integrator_step_d(smile_iso_state_d *s, smile_integrator k, double eps,
                               const double *D, size_t d, smile_logdensity_d_fn f, void *user,
                               int *n_evals);

#endif
