/* Shared helpers of the whole-model tests (test_model_fd.c, test_model_api.c): random
 * data and parameters for a model, and model construction that reports failures. */
#ifndef TEST_MODEL_UTIL_H
#define TEST_MODEL_UTIL_H

#include "harness.h"
#include "smile.h"

#include <stdint.h>

static char msg[512];

typedef struct {
    smile_data_view v;
    float *x, *y;
    int32_t *lab, *tok;
} test_data;

static void make_data(test_data *td, const smile_model *m, size_t n, uint64_t seed) {
    smile_rng r;
    smile_rng_init(&r, seed, 0, SMILE_RNG_USER);
    memset(td, 0, sizeof *td);
    size_t P = smile_model_input_size(m);
    const smile_model_desc *d = smile_model_get_desc(m);
    td->v.n = n;
    if (d->kind == SMILE_MODEL_GPT) {
        td->tok = malloc((n + d->context) * sizeof(int32_t));
        for (size_t i = 0; i < n + d->context; i++)
            td->tok[i] = (int32_t)smile_rng_below(&r, d->vocab);
        td->v.tokens = td->tok;
        return;
    }
    td->x = malloc(n * P * sizeof(float));
    td->y = malloc(n * sizeof(float));
    td->lab = malloc(n * sizeof(int32_t));
    for (size_t i = 0; i < n * P; i++) td->x[i] = (float)smile_rng_normal(&r);
    for (size_t i = 0; i < n; i++) {
        td->y[i] = (float)smile_rng_normal(&r);
        td->lab[i] = (int32_t)smile_rng_below(&r, d->n_classes);
    }
    td->v.x = td->x;
    td->v.y = td->y;
    td->v.labels = td->lab;
}

static void free_data(test_data *td) {
    free(td->x);
    free(td->y);
    free(td->lab);
    free(td->tok);
}

/* θ from the initialisation (docs/method.md, section 9.5), then perturbed so that no
 * parameter sits at a
 * special value (β = τ = 0 would put every TLU exactly at its kink, biases 0, ...). */
static void make_theta(const smile_model *m, float *th, uint64_t seed) {
    size_t d = smile_model_param_count(m);
    smile_model_init_params(m, th, seed, 0);
    smile_rng r;
    smile_rng_init(&r, seed, 1, SMILE_RNG_USER);
    for (size_t j = 0; j < d; j++) th[j] += (float)(0.1 * smile_rng_normal(&r));
}

static smile_model *build(const smile_model_desc *d) {
    smile_model *m = NULL;
    smile_status st = smile_model_init(&m, d, msg, sizeof msg);
    CHECK(st == SMILE_OK && m, "model_init(%s): %s", smile_model_kind_name(d->kind), msg);
    return m;
}

#endif
