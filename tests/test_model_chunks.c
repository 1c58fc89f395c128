/* Regression test: a log-likelihood over n points evaluated in chunks of the
 * workspace batch (the last one partial) equals the one-chunk evaluation.
 * Found by the fit pipeline: the fast FCN path used the partial chunk's lane
 * count as row stride. Tolerance: float sums over 300 points (ll) and float
 * gradients of magnitude ~1e2 (≈ 1e-5 relative). */
#include "harness.h"
#include "smile.h"
#include "model/model.h"

static void check_kind(smile_likelihood_kind lik) {
    char msg[256];
    smile_model_desc de = smile_model_desc_default(SMILE_MODEL_FCN);
    de.n_inputs = 5;
    de.likelihood = lik;
    smile_model *m = NULL;
    CHECK(smile_model_init(&m, &de, msg, sizeof msg) == SMILE_OK, "%s", msg);
    if (!m) return;
    size_t d = smile_model_param_count(m), n = 300;
    float *th = malloc(d * 4), *x = malloc(n * 5 * 4), *y = malloc(n * 4);
    smile_model_init_params(m, th, 1, 0);
    smile_rng r;
    smile_rng_init(&r, 1, 0, SMILE_RNG_USER);
    for (size_t i = 0; i < n * 5; i++) x[i] = (float)smile_rng_normal(&r);
    for (size_t i = 0; i < n; i++) y[i] = (float)smile_rng_normal(&r);
    smile_data_view dv = {n, x, y, NULL, NULL};
    smile_model_workspace *w1 = NULL, *w2 = NULL;
    CHECK(smile_model_workspace_init(&w1, m, 256, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(smile_model_workspace_init(&w2, m, 300, msg, sizeof msg) == SMILE_OK, "%s", msg);
    float *g1 = calloc(d, 4), *g2 = calloc(d, 4);
    double ll1 = 0, ll2 = 0, gmax = 0, diff = 0;
    smile_model_loglik_grad(m, w1, th, &dv, NULL, n, 1.0, &ll1, g1);
    smile_model_loglik_grad(m, w2, th, &dv, NULL, n, 1.0, &ll2, g2);
    for (size_t i = 0; i < d; i++) {
        gmax = fmax(gmax, fabs(g2[i]));
        diff = fmax(diff, fabs(g1[i] - g2[i]));
    }
    CHECK_CLOSE(ll1, ll2, 1e-5, 0);
    CHECK(diff <= 1e-5 * gmax, "chunked gradient differs by %g (max |g| %g)", diff, gmax);
    free(th); free(x); free(y); free(g1); free(g2);
    smile_model_workspace_free(w1);
    smile_model_workspace_free(w2);
    smile_model_free(m);
}

int main(void) {
    check_kind(SMILE_LIK_GAUSS_HOMO);
    check_kind(SMILE_LIK_GAUSS_HETERO);
    return harness_done("test_model_chunks");
}
