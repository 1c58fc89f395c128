/* Input checks shared by the float and double passes of every model. */
#include "model/model_internal.h"

#include <math.h>

smile_status smile_model_check_data(const smile_model *m, const smile_data_view *data,
                                    const uint32_t *idx, size_t n, int need_targets, char *msg,
                                    size_t msg_len) {
    SMILE_CHECK(!data, SMILE_EINVAL, msg, msg_len, "model: NULL data");
    int gpt = m->desc.kind == SMILE_MODEL_GPT;
    SMILE_CHECK(gpt && !data->tokens, SMILE_EINVAL, msg, msg_len, "model gpt: data has no tokens");
    SMILE_CHECK(!gpt && !data->x, SMILE_EINVAL, msg, msg_len, "model: data has no inputs x");
    int gauss = m->lik == SMILE_LIK_GAUSS_HOMO || m->lik == SMILE_LIK_GAUSS_HETERO;
    int cat = m->lik == SMILE_LIK_CATEGORICAL;
    SMILE_CHECK(need_targets && gauss && !data->y, SMILE_EINVAL, msg, msg_len,
                "model: Gaussian likelihood needs targets y");
    SMILE_CHECK(need_targets && cat && !data->labels, SMILE_EINVAL, msg, msg_len,
                "model: categorical likelihood needs labels");
    size_t K = m->n_out, T = m->tokens;
    if (gpt && !idx) { /* windows 0..n-1 cover tokens[0 .. n+T): one linear pass */
        SMILE_CHECK(n > data->n, SMILE_EINVAL, msg, msg_len,
                    "model: %zu examples requested, the data has %zu", n, data->n);
        for (size_t t = 0; t < n + T; t++) {
            int32_t c = data->tokens[t];
            SMILE_CHECK(c < 0 || (size_t)c >= K, SMILE_EINVAL, msg, msg_len,
                        "model gpt: token %d at position %zu outside the vocabulary [0, %zu)",
                        (int)c, t, K);
        }
        gpt = 0; /* tokens checked */
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
        if (gpt) {
            /* window r: inputs tokens[r .. r+T-1], targets tokens[r+1 .. r+T] */
            for (size_t t = 0; t <= T; t++) {
                int32_t c = data->tokens[r + t];
                SMILE_CHECK(c < 0 || (size_t)c >= K, SMILE_EINVAL, msg, msg_len,
                            "model gpt: token %d at position %zu outside the vocabulary [0, %zu)",
                            (int)c, r + t, K);
            }
        }
    }
    return SMILE_OK;
}
