/*
 * model.c — the public model functions that do not evaluate anything: descriptions and
 * kind names, model construction through the architecture table (model_internal.h), the
 * layout table, initialisation (docs/method.md, section 9.5), threads and FLOP counts.
 *
 * Parameter counts of the default descriptions (asserted by tests/test_model_api.c):
 *   FCN homoscedastic  d = 16p + 578          FCN heteroscedastic  16p + 322
 *   LeNet              61,706                 ResNet-7             428,272
 *   ResNet-18          11,178,782             ViT                  22,032,522
 *   GPT                10,770,048
 */
#include "model/model_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define MDL_REGISTER(kind, name) [kind] = &mdl_arch_##name,
static const mdl_arch *const archs[SMILE_MODEL_COUNT_] = {MDL_ARCHS(MDL_REGISTER)};
#undef MDL_REGISTER

static const mdl_arch *arch_of(smile_model_kind kind) {
    return (unsigned)kind < SMILE_MODEL_COUNT_ ? archs[kind] : NULL;
}

const char *smile_model_kind_name(smile_model_kind kind) {
    const mdl_arch *a = arch_of(kind);
    return a ? a->name : "unknown";
}

smile_status smile_model_kind_from_name(const char *name, smile_model_kind *out) {
    for (int k = 0; name && k < SMILE_MODEL_COUNT_; k++)
        if (!strcmp(name, archs[k]->name)) {
            *out = (smile_model_kind)k;
            return SMILE_OK;
        }
    return SMILE_EINVAL;
}

/* Index of name in names[0..n), or -1. */
static int name_index(const char *const *names, int n, const char *name) {
    for (int k = 0; name && k < n; k++)
        if (!strcmp(name, names[k])) return k;
    return -1;
}

static const char *const act_names[] = {"relu", "gelu", "tanh", "silu"};

const char *smile_activation_name(smile_activation a) {
    return (int)a >= 0 && a < SMILE_ACT_COUNT_ ? act_names[a] : "unknown";
}

smile_status smile_activation_from_name(const char *name, smile_activation *out) {
    const int k = name_index(act_names, SMILE_ACT_COUNT_, name);
    if (k < 0) return SMILE_EINVAL;
    *out = (smile_activation)k;
    return SMILE_OK;
}

static const char *const link_names[] = {"exp", "softplus"};

const char *smile_sigma_link_name(smile_sigma_link l) {
    return (int)l >= 0 && l < SMILE_SIGMA_COUNT_ ? link_names[l] : "unknown";
}

smile_status smile_sigma_link_from_name(const char *name, smile_sigma_link *out) {
    const int k = name_index(link_names, SMILE_SIGMA_COUNT_, name);
    if (k < 0) return SMILE_EINVAL;
    *out = (smile_sigma_link)k;
    return SMILE_OK;
}

smile_model_desc smile_model_desc_default(smile_model_kind kind) {
    smile_model_desc d;
    const mdl_arch *a = arch_of(kind);
    memset(&d, 0, sizeof d);
    if (a) memcpy(&d, &a->defaults, sizeof d);
    d.kind = kind;
    d.likelihood = SMILE_LIK_DEFAULT;
    d.prior_sigma = 1.0;
    d.ln_eps = 1e-6;
    d.n_classes = 10;
    return d;
}

smile_status smile_model_init(smile_model **out, const smile_model_desc *desc, char *msg,
                              size_t msg_len) {
    SMILE_CHECK(!out || !desc, SMILE_EINVAL, msg, msg_len, "model: NULL argument");
    *out = NULL;
    const mdl_arch *a = arch_of(desc->kind);
    SMILE_CHECK(!a, SMILE_EINVAL, msg, msg_len, "model: unknown model kind %d", (int)desc->kind);
    SMILE_CHECK(!(desc->prior_sigma > 0) || !isfinite(desc->prior_sigma), SMILE_EINVAL, msg,
                msg_len, "model: prior_sigma must be finite and > 0");
    smile_model *m = calloc(1, sizeof *m);
    SMILE_CHECK(!m, SMILE_ENOMEM, msg, msg_len, "model: out of memory");
    m->desc = *desc;
    m->arch = a;
    m->log_sigma = SIZE_MAX;
    m->lik = desc->likelihood == SMILE_LIK_DEFAULT ? a->lik : desc->likelihood;
    smile_status st = SMILE_OK;
    mdl_builder bd = {m, msg, msg_len, 0};
    if ((unsigned)m->lik > SMILE_LIK_TOKEN) {
        smile_set_msg(msg, msg_len, "model: unknown likelihood %d", (int)m->lik);
        st = SMILE_EINVAL;
    } else {
        st = a->build(&bd);
    }
    if (st == SMILE_OK && bd.err) st = bd.err;
    if (st == SMILE_OK && m->d < 2) {
        smile_set_msg(msg, msg_len, "model: %zu parameters (samplers need d >= 2)", m->d);
        st = SMILE_EINVAL;
    }
    if (st == SMILE_OK)
        *out = m;
    else
        smile_model_free(m);
    return st;
}

void smile_model_free(smile_model *m) {
    if (!m) return;
    free(m->params);
    free(m->state);
    free(m);
}

size_t smile_model_param_count(const smile_model *m) { return m ? m->d : 0; }
const smile_model_desc *smile_model_get_desc(const smile_model *m) { return &m->desc; }
smile_likelihood_kind smile_model_likelihood(const smile_model *m) { return m->lik; }
size_t smile_model_input_size(const smile_model *m) { return m->in_size; }
size_t smile_model_output_size(const smile_model *m) { return m->out_size; }
size_t smile_model_layout_count(const smile_model *m) { return m->n_params; }

static void fill_entry(const model_param *p, smile_param_entry *e) {
    e->name = p->name;
    e->offset = p->offset;
    e->size = p->size;
    e->ndim = p->ndim;
    for (int i = 0; i < SMILE_PARAM_MAX_DIMS; i++) e->shape[i] = i < p->ndim ? p->shape[i] : 0;
}

smile_status smile_model_layout_get(const smile_model *m, size_t i, smile_param_entry *e) {
    if (!m || !e || i >= m->n_params) return SMILE_EINVAL;
    fill_entry(&m->params[i], e);
    return SMILE_OK;
}

smile_status smile_model_layout_find(const smile_model *m, const char *name,
                                     smile_param_entry *e) {
    if (!m || !e || !name) return SMILE_EINVAL;
    for (size_t i = 0; i < m->n_params; i++)
        if (!strcmp(m->params[i].name, name)) {
            fill_entry(&m->params[i], e);
            return SMILE_OK;
        }
    return SMILE_EINVAL;
}

void smile_model_init_params(const smile_model *m, float *theta, uint64_t seed, int chain) {
    smile_rng rng;
    smile_rng_init(&rng, seed, (uint64_t)chain, SMILE_RNG_INIT);
    /* Tensors are drawn in layout order from one stream, so the draw of a tensor does
     * not depend on threads; only LeCun/normal tensors consume random numbers. */
    for (size_t i = 0; i < m->n_params; i++) {
        const model_param *p = &m->params[i];
        float *w = theta + p->offset;
        switch (p->init) {
        case MI_ZERO: memset(w, 0, p->size * sizeof *w); break;
        case MI_ONE:
            for (size_t j = 0; j < p->size; j++) w[j] = 1.0f;
            break;
        case MI_CONST:
            for (size_t j = 0; j < p->size; j++) w[j] = (float)p->value;
            break;
        case MI_LECUN: nn_init_lecun_normal(w, p->size, p->fan_in, &rng); break;
        case MI_NORMAL: nn_init_normal(w, p->size, p->value, &rng); break;
        }
    }
}

void smile_model_set_threads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    /* OpenBLAS stays single-threaded (nn_blas_serial): the nn kernels split large
     * products across the OpenMP threads themselves (one thread pool, results independent
     * of n), and inside a parallel region of chains they run single-threaded (nested
     * parallelism off). */
    nn_blas_serial();
    omp_set_num_threads(n);
}

/* FLOPs (docs/flops.md): multiply-adds of the matrix products only, 2 FLOPs each. A
 * product with FLOP count f costs f forward, f for the weight gradient and f for the input
 * gradient (the first layer has no input gradient). Elementwise work, norms, pools and
 * softmax are not counted. */
double smile_model_flops(const smile_model *m, size_t n) {
    double first = 0, f = m->arch->flops(m, n, &first);
    return 3.0 * f - first;
}
