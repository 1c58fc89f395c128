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

/* The softplus link of the heteroscedastic head (SMILE_SIGMA_SOFTPLUS), in double:
 *   σ = softplus(η) + 1e-6 = max(η, 0) + log1p(e^−|η|) + 1e-6,   returns t = log σ,
 *   *dt_deta = sigmoid(η)/σ   (if dt_deta; 0 at η = ±∞, NaN propagates). */
double smile_softplus_log_sigma(double eta, double *dt_deta);

/* log N(y; μ, σ²) with σ = min(softplus(η) + 1e-6, 1e6) straight from η (the fused
 * kernel's form of smile_softplus_log_sigma + smile_gauss_logpdf_t, one exp fewer):
 *   dmu = (y − μ)/σ²,   deta = (−1 + (y − μ)²/σ²)·sigmoid(η)/σ   (0 where clipped). */
double smile_gauss_logpdf_softplus(double y, double mu, double eta, double *dmu, double *deta);

/* The Student-t counterparts (desc.student_df = ν > 0, c = smile_student_log_norm(ν)),
 * same σ, clip and links: with r = y − μ,
 *   log f = c − log σ − (ν+1)/2 · log1p(r²/(νσ²)),
 *   dmu = (ν+1) r/(νσ² + r²),   dt = −1 + (ν+1) r²/(νσ² + r²)   (0 where clipped);
 * the softplus form returns deta = dt · sigmoid(η)/σ. */
double smile_student_logpdf_t(double y, double mu, double t, double nu, double c, double *dmu,
                              double *dt);
double smile_student_logpdf_softplus(double y, double mu, double eta, double nu, double c,
                                     double *dmu, double *deta);

/* smile_student_logpdf_softplus over n rows at once, written so that the loop vectorises
 * (exp and log from core/vmath_d.h instead of libm; within a few ulp of the scalar form):
 *   lp[k] = log f(y[k] | μ = mu[k], η = eta[k]),   gmu[k] = (float)(scale·dmu),
 *   geta[k] = (float)(scale·deta).
 * Row by row, the same arithmetic in every lane, so results do not depend on the vector
 * width; the caller sums lp in row order. */
void smile_student_softplus_rows(const float *y, const float *mu, const float *eta, size_t n,
                                 double nu, double c, double scale, double *lp, float *gmu,
                                 float *geta);

#endif
