/* Text generation from a fitted character model (smile_fit.h,
 * smile_predictor_generate): the posterior predictive of the next character
 * is the equal-weight average over the pooled samples of each sample's
 * softmax; a character is drawn from it, appended, and the window moves on.
 *
 * The GPT reads windows of exactly T tokens and is causal: its logits at
 * position t depend on tokens 0..t only. A context of c < T characters is
 * therefore placed at positions 0..c−1 (the rest of the window holds token 0
 * and does not matter) and the logits at position c−1 are read; from T
 * characters on, the window is the last T. Each sample's distribution goes to
 * its own row of p->comp and the rows are summed in sample order, so the
 * draws do not depend on the thread count. */
#include "data/data.h"
#include "fit/predictor_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Next-character distribution (sums to 1) of the window win[T] whose last
 * context token is at position c − 1, into pbar[V]. */
static smile_status next_distribution(smile_predictor *p, const int32_t *win, size_t c,
                                      double temperature, double *pbar) {
    const size_t S = p->S, V = p->rm.desc.vocab, T = p->rm.desc.context, d = p->d;
    smile_data_view view;
    memset(&view, 0, sizeof view);
    view.n = 1;
    view.tokens = win;
    int failed = 0;
#pragma omp parallel for schedule(static) num_threads(p->threads) reduction(| : failed)
    for (size_t s = 0; s < S; s++) {
        const int t = fit_predict_thread();
        float *o = p->out + (size_t)t * T * V;
        if (smile_model_forward(p->model, p->ws[t], p->theta + s * d, &view, NULL, 1, o) !=
            SMILE_OK) {
            failed = 1;
            continue;
        }
        const float *z = o + (c - 1) * V;
        double *q = p->comp + s * V, mx = -INFINITY, sum = 0;
        for (size_t v = 0; v < V; v++) mx = fmax(mx, (double)z[v] / temperature);
        for (size_t v = 0; v < V; v++) sum += (q[v] = exp((double)z[v] / temperature - mx));
        for (size_t v = 0; v < V; v++) q[v] /= sum;
        if (!isfinite(sum)) failed = 1;
    }
    if (failed) return SMILE_ENUMERIC;
    for (size_t v = 0; v < V; v++) pbar[v] = 0;
    for (size_t s = 0; s < S; s++)
        for (size_t v = 0; v < V; v++) pbar[v] += p->comp[s * V + v];
    for (size_t v = 0; v < V; v++) pbar[v] /= (double)S;
    return SMILE_OK;
}

/* Index drawn from the distribution pbar[V] with one uniform of rng. */
static int32_t draw(const double *pbar, size_t V, smile_rng *rng) {
    double total = 0;
    for (size_t v = 0; v < V; v++) total += pbar[v];
    const double u = smile_rng_uniform(rng) * total;
    double acc = 0;
    int32_t last = 0;
    for (size_t v = 0; v < V; v++) {
        if (pbar[v] <= 0) continue;
        acc += pbar[v];
        last = (int32_t)v;
        if (u < acc) return last;
    }
    return last; /* rounding at the top end */
}

smile_status smile_predictor_generate(smile_predictor *p, const char *prompt, size_t n,
                                      uint64_t seed, double temperature, char **text, char *msg,
                                      size_t msg_len) {
    SMILE_CHECK(!p || !prompt || !text, SMILE_EINVAL, msg, msg_len, "generate: NULL argument");
    *text = NULL;
    SMILE_CHECK(p->rm.inputs != FIT_INPUTS_TEXT || p->rm.desc.kind != SMILE_MODEL_GPT,
                SMILE_EINVAL, msg, msg_len,
                "this run is not a text model: text generation needs a run of --task text");
    SMILE_CHECK(!(temperature > 0) || !isfinite(temperature), SMILE_EINVAL, msg, msg_len,
                "temperature %g: must be a positive number", temperature);
    const size_t V = p->rm.desc.vocab, T = p->rm.desc.context, len = strlen(prompt);
    size_t L = 0;
    SMILE_TRY(smile_text_encode_vocab(p->rm.vocab, p->rm.vocab_size, prompt, len, NULL, 0, &L,
                                      msg, msg_len));
    SMILE_CHECK(L == 0, SMILE_EINVAL, msg, msg_len,
                "the prompt is empty: give at least one character to continue");
    SMILE_CHECK(n > ((size_t)1 << 30), SMILE_EINVAL, msg, msg_len,
                "%zu characters to generate: at most 2^30", n);
    int32_t *ids = malloc((L + n) * sizeof *ids), *win = malloc((T + 1) * sizeof *win);
    double *pbar = malloc(V * sizeof *pbar);
    smile_status st = ids && win && pbar ? SMILE_OK : SMILE_ENOMEM;
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "out of memory");
    if (st == SMILE_OK)
        st = smile_text_encode_vocab(p->rm.vocab, p->rm.vocab_size, prompt, len, ids, L, &L, msg,
                                     msg_len);
    smile_rng rng;
    smile_rng_init(&rng, seed, 0, SMILE_RNG_USER);
    smile_model_set_threads(1);
    for (size_t k = 0; st == SMILE_OK && k < n; k++) {
        const size_t have = L + k, c = have < T ? have : T;
        memcpy(win, ids + have - c, c * sizeof *win);
        for (size_t t = c; t <= T; t++) win[t] = 0;
        st = next_distribution(p, win, c, temperature, pbar);
        if (st != SMILE_OK)
            smile_set_msg(msg, msg_len, "forward pass failed at generated character %zu", k + 1);
        else
            ids[have] = draw(pbar, V, &rng);
    }
    if (st == SMILE_OK) {
        size_t bytes = smile_text_decode_vocab(p->rm.vocab, p->rm.vocab_size, ids + L, n, NULL, 0);
        *text = malloc(bytes + 1);
        if (!*text) st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory");
        else smile_text_decode_vocab(p->rm.vocab, p->rm.vocab_size, ids + L, n, *text, bytes + 1);
    }
    free(ids);
    free(win);
    free(pbar);
    return st;
}
