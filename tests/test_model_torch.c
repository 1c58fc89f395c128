/*
 * test_model_torch.c — every model family and likelihood against PyTorch.
 *
 * Fixtures tests/ref/model_*.smfx come from tests/ref/gen_model_fixtures.py (PyTorch,
 * float64 autograd on float32 parameters and data; format described there). For each:
 *   1. the C layout table equals the script's (names, offsets, shapes) — the same flat
 *      vector means the same network;
 *   2. the double instantiation of our passes (prior + s·loglik and gradient) agrees
 *      with PyTorch to 1e-9 relative: both are float64 evaluations of the same function
 *      (differences are summation order, ~1e-13; any semantic difference is O(1));
 *   3. the float path (the sampler target, smile_posterior_logdensity) agrees up to
 *      float32 rounding. Tolerance: with u = 2^-24 ≈ 6e-8, a float dot product of length
 *      K has error ≤ K·u·Σ|terms| (worst case, typically √K·u); our longest reductions are
 *      K ≲ 10³ (im2col rows, MLP widths, batch sums of parameter gradients), giving ≲ 6e-5
 *      of the gradient scale. We require
 *        |logp_f − logp_ref| ≤ 1e-5·|logp_ref|  (log-likelihood terms are summed in double)
 *        max_j |g_f,j − g_ref,j| ≤ 1e-4·max_j |g_ref,j|.
 * The measured errors are printed.
 */
#include "harness.h"
#include "model/model_fd_internal.h"
#include "model/model_internal.h"
#include "smile.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

static char msg[512];

typedef struct {
    const char *name;
    void *p;
    size_t count;
} fx_array;

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static size_t jsize(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (size_t)v->valuedouble : 0;
}

static void *find_array(fx_array *a, int n, const char *name, size_t *count) {
    for (int i = 0; i < n; i++)
        if (!strcmp(a[i].name, name)) {
            if (count) *count = a[i].count;
            return a[i].p;
        }
    return NULL;
}

/* A fixture file: JSON header and the arrays after it. */
typedef struct {
    unsigned char *buf;
    size_t len;
    cJSON *js;
    fx_array arr[8];
    int na;
} fixture;

static void fixture_free(fixture *fx) {
    cJSON_Delete(fx->js);
    free(fx->buf);
}

/* Reads tests/ref/model_<name>.smfx: "SMFX", version 1, JSON length, JSON, arrays. */
static int fixture_load(fixture *fx, const char *dir, const char *name) {
    char path[512];
    memset(fx, 0, sizeof *fx);
    snprintf(path, sizeof path, "%s/model_%s.smfx", dir, name);
    fx->buf = read_file(path, &fx->len);
    CHECK(fx->buf != NULL, "cannot read %s", path);
    if (!fx->buf) return 0;
    uint32_t ver, jlen;
    memcpy(&ver, fx->buf + 4, 4);
    memcpy(&jlen, fx->buf + 8, 4);
    CHECK(!memcmp(fx->buf, "SMFX", 4) && ver == 1 && 12 + (size_t)jlen <= fx->len, "%s header",
          name);
    fx->js = cJSON_ParseWithLength((const char *)fx->buf + 12, jlen);
    CHECK(fx->js != NULL, "%s json", name);
    if (!fx->js) return 0;
    size_t pos = 12 + jlen;
    const cJSON *ja = cJSON_GetObjectItemCaseSensitive(fx->js, "arrays");
    for (int i = 0; i < cJSON_GetArraySize(ja) && fx->na < 8; i++) {
        const cJSON *a = cJSON_GetArrayItem(ja, i);
        const char *ty = cJSON_GetObjectItemCaseSensitive(a, "type")->valuestring;
        size_t cnt = jsize(a, "count"), es = !strcmp(ty, "f64") ? 8 : 4;
        fx->arr[fx->na].name = cJSON_GetObjectItemCaseSensitive(a, "name")->valuestring;
        fx->arr[fx->na].count = cnt;
        fx->arr[fx->na].p = fx->buf + pos;
        pos += cnt * es;
        fx->na++;
    }
    CHECK(pos == fx->len, "%s: file size %zu, arrays end at %zu", name, fx->len, pos);
    return pos == fx->len;
}

/* A malloc'd (aligned) copy of the fixture array `name` of elem-byte items; NULL if absent. */
static void *fixture_copy(const fixture *fx, const char *name, size_t elem, size_t *count) {
    size_t n = 0;
    void *src = find_array((fx_array *)fx->arr, fx->na, name, &n), *dst = NULL;
    if (src && (dst = malloc(n * elem))) memcpy(dst, src, n * elem);
    if (count) *count = src ? n : 0;
    return dst;
}

static smile_model_desc fixture_desc(const cJSON *jd) {
    smile_model_desc d = smile_model_desc_default((smile_model_kind)jsize(jd, "kind"));
    d.likelihood = (smile_likelihood_kind)jsize(jd, "likelihood");
    d.prior_sigma = cJSON_GetObjectItemCaseSensitive(jd, "prior_sigma")->valuedouble;
    d.ln_eps = cJSON_GetObjectItemCaseSensitive(jd, "ln_eps")->valuedouble;
    d.n_inputs = jsize(jd, "n_inputs");
    const cJSON *hid = cJSON_GetObjectItemCaseSensitive(jd, "hidden");
    d.n_hidden = (size_t)cJSON_GetArraySize(hid);
    for (size_t i = 0; i < d.n_hidden && i < SMILE_MODEL_MAX_HIDDEN; i++)
        d.hidden[i] = (size_t)cJSON_GetArrayItem(hid, (int)i)->valuedouble;
    const cJSON *le = cJSON_GetObjectItemCaseSensitive(jd, "lenet");
    for (int i = 0; i < 4; i++) d.lenet[i] = (size_t)cJSON_GetArrayItem(le, i)->valuedouble;
    /* the size fields, by name */
    static const struct {
        const char *key;
        size_t off;
    } sz[] = {{"in_h", offsetof(smile_model_desc, in_h)},
              {"in_w", offsetof(smile_model_desc, in_w)},
              {"in_c", offsetof(smile_model_desc, in_c)},
              {"n_classes", offsetof(smile_model_desc, n_classes)},
              {"res_width", offsetof(smile_model_desc, res_width)},
              {"patch", offsetof(smile_model_desc, patch)},
              {"embed", offsetof(smile_model_desc, embed)},
              {"depth", offsetof(smile_model_desc, depth)},
              {"heads", offsetof(smile_model_desc, heads)},
              {"mlp", offsetof(smile_model_desc, mlp)},
              {"cls_hidden", offsetof(smile_model_desc, cls_hidden)},
              {"vocab", offsetof(smile_model_desc, vocab)},
              {"context", offsetof(smile_model_desc, context)}};
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        size_t v = jsize(jd, sz[i].key);
        memcpy((char *)&d + sz[i].off, &v, sizeof v);
    }
    d.gpt_pre_ln = (int)jsize(jd, "gpt_pre_ln");
    return d;
}

/* 1. the layout table equals the script's: names, offsets, shapes. */
static void check_layout(const char *name, const smile_model *m, const cJSON *lay) {
    int same = (size_t)cJSON_GetArraySize(lay) == smile_model_layout_count(m);
    for (int i = 0; same && i < cJSON_GetArraySize(lay); i++) {
        const cJSON *e = cJSON_GetArrayItem(lay, i);
        smile_param_entry pe;
        smile_model_layout_get(m, (size_t)i, &pe);
        const cJSON *shape = cJSON_GetArrayItem(e, 2);
        same &= !strcmp(pe.name, cJSON_GetArrayItem(e, 0)->valuestring);
        same &= pe.offset == (size_t)cJSON_GetArrayItem(e, 1)->valuedouble;
        same &= pe.ndim == cJSON_GetArraySize(shape);
        for (int k = 0; same && k < pe.ndim; k++)
            same &= pe.shape[k] == (size_t)cJSON_GetArrayItem(shape, k)->valuedouble;
        if (!same) fprintf(stderr, "  layout differs at entry %d (%s)\n", i, pe.name);
    }
    CHECK(same, "%s: layout table matches the PyTorch script", name);
}

/* What the fixture evaluates: θ, data, batch, scale and PyTorch's log p and gradient. */
typedef struct {
    size_t D, nb;
    float *theta, *x, *y;
    int32_t *lab, *tok;
    uint32_t *idx;
    double *gref, lref, scale, gmax;
    smile_data_view v;
} fx_eval;

static void eval_free(fx_eval *e) {
    void *own[] = {e->theta, e->gref, e->x, e->y, e->lab, e->tok, e->idx};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) free(own[i]);
}

static void eval_load(fx_eval *e, const fixture *fx, size_t D) {
    size_t nth = 0;
    memset(e, 0, sizeof *e);
    e->D = D;
    e->theta = fixture_copy(fx, "theta", sizeof(float), &nth);
    e->gref = fixture_copy(fx, "grad", sizeof(double), NULL);
    CHECK(e->theta && e->gref && nth == D, "theta / grad arrays");
    e->x = fixture_copy(fx, "x", sizeof(float), NULL);
    e->y = fixture_copy(fx, "y", sizeof(float), NULL);
    e->lab = fixture_copy(fx, "labels", sizeof(int32_t), NULL);
    e->tok = fixture_copy(fx, "tokens", sizeof(int32_t), NULL);
    e->idx = fixture_copy(fx, "idx", sizeof(uint32_t), &e->nb);
    e->v = (smile_data_view){jsize(fx->js, "n"), e->x, e->y, e->lab, e->tok};
    e->scale = cJSON_GetObjectItemCaseSensitive(fx->js, "scale")->valuedouble;
    e->lref = strtod(cJSON_GetObjectItemCaseSensitive(fx->js, "logp")->valuestring, NULL);
    for (size_t j = 0; e->gref && j < D; j++) e->gmax = fmax(e->gmax, fabs(e->gref[j]));
}

/* 2. the double passes: prior + s·loglik and its gradient to 1e-9 relative. */
static void check_double(const char *name, const smile_model *m, const fx_eval *e) {
    smile_model_workspace *ws = NULL;
    size_t n_eval = e->idx ? e->nb : e->v.n, D = e->D;
    double s = e->idx ? e->scale : 1.0, sp = smile_model_get_desc(m)->prior_sigma;
    CHECK(smile_model_workspace_init_d(&ws, m, n_eval, msg, sizeof msg) == SMILE_OK, "%s", msg);
    double *th = malloc(D * sizeof *th), *g = malloc(D * sizeof *g), ll = 0, ss = 0;
    for (size_t j = 0; j < D; j++) {
        th[j] = e->theta[j];
        ss += th[j] * th[j];
        g[j] = -th[j] / (sp * sp);
    }
    double prior = -0.5 * ss / (sp * sp) - (double)D * (log(sp) + 0.5 * log(2 * M_PI));
    CHECK(smile_model_eval_d(m, ws, th, &e->v, e->idx, n_eval, s, &ll, g, NULL) == SMILE_OK,
          "%s double eval", name);
    double lp = prior + s * ll, gerr = 0;
    for (size_t j = 0; j < D; j++) gerr = fmax(gerr, fabs(g[j] - e->gref[j]));
    printf("  %-16s d=%-6zu double: |dlogp|/|logp| %.1e  max|dg|/max|g| %.1e", name, D,
           fabs(lp - e->lref) / fabs(e->lref), gerr / e->gmax);
    CHECK(fabs(lp - e->lref) <= 1e-9 * fabs(e->lref), "%s double logp %.15g vs torch %.15g", name,
          lp, e->lref);
    CHECK(gerr <= 1e-9 * e->gmax, "%s double grad max diff %.3e (scale %.3e)", name, gerr, e->gmax);
    free(th);
    free(g);
    smile_model_workspace_free(ws);
}

/* 3. the float path through the sampler target; a workspace of half the batch so the
 * chunked accumulation is exercised too. */
static void check_float(const char *name, const smile_model *m, const fx_eval *e) {
    smile_posterior *post = NULL;
    size_t mb = (e->idx ? e->nb : e->v.n) / 2;
    CHECK(smile_posterior_init(&post, m, &e->v, 1, mb ? mb : 1, msg, sizeof msg) == SMILE_OK,
          "%s: %s", name, msg);
    if (!post) return;
    smile_target t = smile_posterior_target(post);
    smile_batch b = {e->idx, e->nb, e->scale, 0, 0};
    float *g = malloc(e->D * sizeof *g);
    double lp = 0, gerr = 0;
    CHECK(t.logdensity_grad(t.user, e->theta, &b, &lp, g) == 0, "%s callback", name);
    for (size_t j = 0; j < e->D; j++) gerr = fmax(gerr, fabs(g[j] - e->gref[j]));
    printf("   float: %.1e  %.1e\n", fabs(lp - e->lref) / fabs(e->lref), gerr / e->gmax);
    CHECK(fabs(lp - e->lref) <= 1e-5 * fabs(e->lref), "%s float logp %.10g vs torch %.10g", name,
          lp, e->lref);
    CHECK(gerr <= 1e-4 * e->gmax, "%s float grad max diff %.3e (scale %.3e)", name, gerr, e->gmax);
    free(g);
    smile_posterior_free(post);
}

static void run_fixture(const char *dir, const char *name) {
    fixture fx;
    if (!fixture_load(&fx, dir, name)) {
        fixture_free(&fx);
        return;
    }
    smile_model_desc d = fixture_desc(cJSON_GetObjectItemCaseSensitive(fx.js, "desc"));
    smile_model *m = NULL;
    CHECK(smile_model_init(&m, &d, msg, sizeof msg) == SMILE_OK, "%s: %s", name, msg);
    size_t D = jsize(fx.js, "d");
    if (m && smile_model_param_count(m) == D) {
        check_layout(name, m, cJSON_GetObjectItemCaseSensitive(fx.js, "layout"));
        fx_eval e;
        eval_load(&e, &fx, D);
        if (e.theta && e.gref) {
            check_double(name, m, &e);
            check_float(name, m, &e);
        }
        eval_free(&e);
    } else {
        CHECK(0, "%s: d = %zu, fixture %zu", name, m ? smile_model_param_count(m) : 0, D);
    }
    smile_model_free(m);
    fixture_free(&fx);
}

int main(void) {
    const char *dir = getenv("SMILE_REF_DIR");
    if (!dir || !*dir) dir = "tests/ref";
    const char *names[] = {"fcn_homo", "fcn_hetero", "fcn_categorical", "lenet",    "resnet7",
                           "resnet18", "vit",        "gpt",             "gpt_preln"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) run_fixture(dir, names[i]);
    return harness_done("test_model_torch");
}
