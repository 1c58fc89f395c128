/* Isokinetic velocity/position updates and integrator coefficient tables
 * (docs/method.md, sections 3.1-3.5). */
#include "isokinetic.h"
#include "sampler_internal.h"

#include <math.h>

#define REAL float
#define VELOCITY_UPDATE velocity_update_f
#define POSITION_UPDATE position_update_f
#include "isokinetic.inc"
#undef REAL
#undef VELOCITY_UPDATE
#undef POSITION_UPDATE

#define REAL double
#define VELOCITY_UPDATE velocity_update_d
#define POSITION_UPDATE position_update_d
#include "isokinetic.inc"
#undef REAL
#undef VELOCITY_UPDATE
#undef POSITION_UPDATE

double smile_isokinetic_velocity_update(float *u, int *u_zero, const float *g, const float *D,
                                        double eps, double c, size_t d) {
    return velocity_update_f(u, u_zero, g, D, eps, c, d);
}
double smile_isokinetic_velocity_update_d(double *u, int *u_zero, const double *g,
                                          const double *D, double eps, double c, size_t d) {
    return velocity_update_d(u, u_zero, g, D, eps, c, d);
}
void smile_isokinetic_position_update(float *x, const float *u, const float *D, double eps_a,
                                      size_t d) {
    position_update_f(x, u, D, eps_a, d);
}
void smile_isokinetic_position_update_d(double *x, const double *u, const double *D,
                                        double eps_a, size_t d) {
    position_update_d(x, u, D, eps_a, d);
}

/* Coefficient tables (docs/method.md, section 3.4): palindromic c0..c_{2m};
 * even = velocity (B),
 * odd = position (A); each group sums to 1. */
#define MCL_B1 0.1931833275037836
static const double leapfrog[] = {0.5, 1.0, 0.5};
static const double mclachlan[] = {MCL_B1, 0.5, 1.0 - 2.0 * MCL_B1, 0.5, MCL_B1};
#define YO_B1 0.11888010966548
#define YO_A1 0.29619504261126
static const double yoshida[] = {YO_B1, YO_A1, 0.5 - YO_B1, 1.0 - 2.0 * YO_A1,
                                 0.5 - YO_B1, YO_A1, YO_B1};
#define OM_B1 0.08398315262876693
#define OM_A1 0.2539785108410595
#define OM_B2 0.6822365335719091
#define OM_A2 (-0.03230286765269967)
static const double omelyan[] = {OM_B1, OM_A1, OM_B2, OM_A2, 0.5 - OM_B1 - OM_B2,
                                  1.0 - 2.0 * (OM_A1 + OM_A2),
                                  0.5 - OM_B1 - OM_B2, OM_A2, OM_B2, OM_A1, OM_B1};

int smile_integrator_coeffs(smile_integrator k, const double **coeffs, int *n) {
    switch (k) {
    case SMILE_INTEGRATOR_LEAPFROG: *coeffs = leapfrog; *n = 3; break;
    case SMILE_INTEGRATOR_YOSHIDA: *coeffs = yoshida; *n = 7; break;
    case SMILE_INTEGRATOR_OMELYAN: *coeffs = omelyan; *n = 11; break;
    case SMILE_INTEGRATOR_MCLACHLAN:
    default: *coeffs = mclachlan; *n = 5; break;
    }
    return (*n - 1) / 2;
}

double smile_integrator_step_d(smile_iso_state_d *s, smile_integrator k, double eps,
                               const double *D, size_t d, smile_logdensity_d_fn f, void *user,
                               int *n_evals) {
    const double *c;
    int n;
    smile_integrator_coeffs(k, &c, &n);
    double dK = 0.0;
    for (int i = 0; i < n; i++) {
        if (i % 2 == 0) {
            dK += velocity_update_d(s->u, &s->u_zero, s->g, D, eps, c[i], d);
        } else {
            position_update_d(s->x, s->u, D, eps * c[i], d);
            f(user, s->x, &s->logp, s->g);
            (*n_evals)++;
        }
    }
    return dK;
}

double smile_chain_integrate(smile_chain *c, const smile_target *t, const smile_batch *b,
                             const float *D, double eps, int sanitise, int *bad, int *evals,
                             smile_step_info *info) {
    const size_t d = c->dim;
    const smile_sampler_params *p = &c->p;
    const double *coef;
    int ncoef;
    smile_integrator_coeffs(p->integrator, &coef, &ncoef);
    double dK = 0.0;
    *bad = 0;
    for (int s = 0; s < p->n_int && !*bad; s++)
        for (int i = 0; i < ncoef && !*bad; i++) {
            if (i % 2 == 0) {
                dK += velocity_update_f(c->u, &c->u_zero, c->g, D, eps, coef[i], d);
                continue;
            }
            position_update_f(c->x, c->u, D, eps * coef[i], d);
            double lp = NAN;
            int rc = t->logdensity_grad(t->user, c->x, b, &lp, c->g);
            (*evals)++;
            int nonfinite_grad = 0;
            if (sanitise) {
                int64_t nonfin = 0;
                int64_t changed = smile_grad_sanitise(c->g, d, p->grad_clip, &nonfin);
                if (changed) {
                    info->n_sanitised += changed;
                    info->flags |= SMILE_INFO_GRAD_SANITISED;
                }
                nonfinite_grad = nonfin && !p->reference_sanitise;
            }
            /* any non-finite value stops the step (our rule; the reference
             * only sanitises: reference_sanitise, docs/experiments.md, section 8) */
            if (rc != 0 || !isfinite(lp) || nonfinite_grad) *bad = 1;
            c->logp = lp;
            c->have_cache = 1;
        }
    return dK;
}
