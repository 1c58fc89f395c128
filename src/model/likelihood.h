/* likelihood.h — likelihood pieces shared by the float and double model passes and the
 * fused FCN kernels. */
#ifndef SMILE_PROB_INTERNAL_H
#define SMILE_PROB_INTERNAL_H

#include "core/core.h"
#include "smile_nn.h"

/* σ = clip(e^t, SIGMA_MIN, SIGMA_MAX) (docs/method.md, section 2.2). */
#define SMILE_SIGMA_MIN 1e-6
#define SMILE_SIGMA_MAX 1e6

/* log N(y; μ, σ²) with σ = clip(e^t, 1e-6, 1e6), in double, and its derivatives
 *   dmu = (y − μ)/σ²,   dt = −1 + (y − μ)²/σ²   (dt = 0 where the clip is active,
 *   i.e. e^t ∉ (1e-6, 1e6): the clipped σ does not depend on t there). */
double smile_gauss_logpdf_t(double y, double mu, double t, double *dmu, double *dt);

#endif
