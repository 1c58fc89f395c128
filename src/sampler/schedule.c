/* Step-size schedules (docs/method.md, section 7.3) of SGLD / cSGLD / SGHMC
 * and, optionally, SMILE-naive. A schedule maps the step index s = 0 … n − 1 of
 * the phase it drives to (ε_s, explore_s). Exploration steps are run with the
 * same kernel but never emitted (the driver reads the flag). */
#include "core/core.h"

#include <math.h>

double smile_schedule_eps(const smile_schedule *s, int64_t step, int *explore) {
    int ex = 0;
    double eps = s->eps0;
    int64_t n = s->n_steps;
    if (step < 0) step = 0;

    switch (s->kind) {
    case SMILE_SCHEDULE_LINEAR:
        /* ε_s = ε0 + (ε_end − ε0) s/n, explore_s = (s < ρ n). Past the end of
         * the phase (s ≥ n, only in open-ended use) ε stays at ε_end instead of
         * extrapolating (which could turn negative). */
        if (n > 0) {
            double sd = (double)(step < n ? step : n);
            eps = s->eps0 + (s->eps_end - s->eps0) * (sd / (double)n);
            ex = (double)step < s->explore * (double)n;
        }
        break;
    case SMILE_SCHEDULE_COSINE_CYCLIC:
        /* C = ⌊n / n_cyc⌋, q_s = (s mod C)/C,
         * ε_s = ε_end + ½(ε0 − ε_end)(1 + cos(π q_s)), explore_s = (q_s < ρ).
         * Steps past n_cyc·C (C not dividing n, or s ≥ n) continue a partial
         * extra cycle through the same modulus. q_s is a true double division
         * (not a multiplication by 1/C) so the boundary comparison q_s < ρ
         * matches the reference bit for bit: e.g. 1650/5000 < 0.33 is false. */
        if (n > 0) {
            int64_t ncyc = s->n_cycles > 0 ? s->n_cycles : 1;
            int64_t C = n / ncyc;
            if (C < 1) C = 1; /* n < n_cyc is rejected by validation; stay finite */
            double q = (double)(step % C) / (double)C;
            eps = s->eps_end + 0.5 * (s->eps0 - s->eps_end) * (1.0 + cos(M_PI * q));
            ex = q < s->explore;
        }
        break;
    case SMILE_SCHEDULE_CONSTANT:
    default:
        /* constant: ε0, never exploration */
        break;
    }
    if (explore) *explore = ex;
    return eps;
}
