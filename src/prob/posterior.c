/*
 * posterior.c — the sampler target (docs/method.md, sections 2.1 and 2.4):
 *
 *     log p̂(θ; b) = Σ_j log N(θ_j; 0, σ_p²) + s · Σ_{i∈b} log p(y_i | x_i, θ)
 *
 * with s = b->scale for a mini-batch and s = 1 for the full data (b->idx == NULL). One
 * model workspace per chain (selected by b->chain) makes the callback safe to call from
 * K threads at once; it allocates nothing. The prior writes grad (=), the model
 * accumulates s·∇ log-likelihood on top (+=), chunk by chunk for batches larger than
 * the workspace.
 */
#include "model/model.h"

#include <stdlib.h>

struct smile_posterior {
    const smile_model *m;
    size_t d;           /* parameters of m               */
    double prior_sigma; /* σ_p of the N(0, σ_p²) prior   */
    smile_data_view data;
    int n_chains, first_chain;  /* chains first_chain .. first_chain + n_chains − 1 */
    smile_model_workspace **ws; /* [n_chains] */
};

smile_status smile_posterior_init(smile_posterior **out, const smile_model *m,
                                  const smile_data_view *data, int n_chains, size_t max_batch,
                                  char *msg, size_t msg_len) {
    SMILE_CHECK(!out || !m || !data, SMILE_EINVAL, msg, msg_len, "posterior: NULL argument");
    *out = NULL;
    SMILE_CHECK(n_chains < 1, SMILE_EINVAL, msg, msg_len, "posterior: n_chains must be >= 1");
    SMILE_CHECK(max_batch < 1, SMILE_EINVAL, msg, msg_len, "posterior: max_batch must be >= 1");
    SMILE_CHECK(data->n < 1, SMILE_EINVAL, msg, msg_len, "posterior: the data set is empty");
    /* Validate the arrays once (all rows, targets included) so the callback can rely on
     * them; the callback still bounds-checks the batch indices. */
    SMILE_TRY(smile_model_check_data(m, data, NULL, data->n, 1, msg, msg_len));
    smile_posterior *p = calloc(1, sizeof *p);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "posterior: out of memory");
    p->m = m;
    p->d = smile_model_param_count(m);
    p->prior_sigma = smile_model_get_desc(m)->prior_sigma;
    p->data = *data;
    p->n_chains = n_chains;
    p->ws = calloc((size_t)n_chains, sizeof *p->ws);
    if (!p->ws) {
        free(p);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "posterior: out of memory");
    }
    if (max_batch > data->n) max_batch = data->n;
    for (int k = 0; k < n_chains; k++) {
        smile_status st = smile_model_workspace_init(&p->ws[k], m, max_batch, msg, msg_len);
        if (st != SMILE_OK) {
            smile_posterior_free(p);
            return st;
        }
    }
    *out = p;
    return SMILE_OK;
}

void smile_posterior_free(smile_posterior *p) {
    if (!p) return;
    for (int k = 0; p->ws && k < p->n_chains; k++) smile_model_workspace_free(p->ws[k]);
    free(p->ws);
    free(p);
}

smile_target smile_posterior_target(smile_posterior *p) {
    /* grad == NULL skips the backward pass (log p̂ only) */
    smile_target t = {.dim = p ? p->d : 0,
                      .logdensity_grad = smile_posterior_logdensity,
                      .user = p,
                      .logp_only_ok = 1};
    return t;
}

void smile_posterior_set_first_chain(smile_posterior *p, int first) {
    if (p) p->first_chain = first;
}

smile_model_workspace *smile_posterior_workspace(smile_posterior *p, int chain) {
    if (p) chain -= p->first_chain;
    if (!p || chain < 0 || chain >= p->n_chains) return NULL;
    return p->ws[chain];
}

int smile_posterior_logdensity(void *user, const float *x, const smile_batch *b, double *logp,
                               float *grad) {
    smile_posterior *p = user;
    if (!p || !x || !logp) return 1;
    int chain = (b ? b->chain : 0) - p->first_chain;
    if (chain < 0 || chain >= p->n_chains) return 1;
    const uint32_t *idx = b ? b->idx : NULL;
    size_t n = idx ? b->size : p->data.n;
    double s = idx ? b->scale : 1.0;
    double lp = smile_prior_gauss(x, p->d, p->prior_sigma, grad);
    double ll = 0;
    if (smile_model_loglik_grad(p->m, p->ws[chain], x, &p->data, idx, n, s, &ll, grad) !=
        SMILE_OK)
        return 1;
    *logp = lp + s * ll;
    return 0;
}
