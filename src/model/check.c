/* Input checks shared by the float and double passes of every architecture. */
#include "model/model_internal.h"

#include <math.h>

/* Tokens data->tokens[a .. b) must lie in the vocabulary [0, K). */
static smile_status check_tokens(const smile_model *m, const smile_data_view *data, size_t a,
                                 size_t b, char *msg, size_t msg_len) {
    size_t K = m->n_out;
    for (size_t t = a; t < b; t++) {
        int32_t c = data->tokens[t];
        SMILE_CHECK(c < 0 || (size_t)c >= K, SMILE_EINVAL, msg, msg_len,
                    "model %s: token %d at position %zu outside the vocabulary [0, %zu)",
                    m->arch->name, (int)c, t, K);
    }
    return SMILE_OK;
}

smile_status smile_model_check_data(const smile_model *m, const smile_data_view *data,
                                    const uint32_t *idx, size_t n, int need_targets, char *msg,
                                    size_t msg_len) {
    SMILE_CHECK(!data, SMILE_EINVAL, msg, msg_len, "model: NULL data");
    int windows = m->window > 0; /* examples are token windows */
    SMILE_CHECK(windows && !data->tokens, SMILE_EINVAL, msg, msg_len,
                "model %s: data has no tokens", m->arch->name);
    SMILE_CHECK(!windows && !data->x, SMILE_EINVAL, msg, msg_len, "model: data has no inputs x");
    int gauss = m->lik == SMILE_LIK_GAUSS_HOMO || m->lik == SMILE_LIK_GAUSS_HETERO;
    int cat = m->lik == SMILE_LIK_CATEGORICAL;
    SMILE_CHECK(need_targets && gauss && !data->y, SMILE_EINVAL, msg, msg_len,
                "model: Gaussian likelihood needs targets y");
    SMILE_CHECK(need_targets && cat && !data->labels, SMILE_EINVAL, msg, msg_len,
                "model: categorical likelihood needs labels");
    size_t K = m->n_out, T = m->window;
    if (windows && !idx) { /* windows 0..n-1 cover tokens[0 .. n+T): one linear pass */
        SMILE_CHECK(n > data->n, SMILE_EINVAL, msg, msg_len,
                    "model: %zu examples requested, the data has %zu", n, data->n);
        SMILE_TRY(check_tokens(m, data, 0, n + T, msg, msg_len));
        windows = 0; /* tokens checked */
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = idx ? idx[i] : i;
        SMILE_CHECK(r >= data->n, SMILE_EINVAL, msg, msg_len,
                    "model: example index %zu outside the data (n = %zu)", r, data->n);
        if (need_targets && cat) {
            int32_t c = data->labels[r];
            SMILE_CHECK(c < 0 || (size_t)c >= K, SMILE_EINVAL, msg, msg_len,
                        "model: label %d of example %zu outside [0, %zu)", (int)c, r, K);
        }
        /* window r: inputs tokens[r .. r+T-1], targets tokens[r+1 .. r+T] */
        if (windows) SMILE_TRY(check_tokens(m, data, r, r + T + 1, msg, msg_len));
    }
    return SMILE_OK;
}
