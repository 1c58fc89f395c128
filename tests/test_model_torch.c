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
#include "model/model_fd.h"
#include "model/model_internal.h"
#include "smile.h"

#include <cjson/cJSON.h>
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

static void run_fixture(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/model_%s.smfx", dir, name);
    size_t len = 0;
    unsigned char *buf = read_file(path, &len);
    CHECK(buf != NULL, "cannot read %s", path);
    if (!buf) return;
    uint32_t ver, jlen;
    memcpy(&ver, buf + 4, 4);
    memcpy(&jlen, buf + 8, 4);
    CHECK(!memcmp(buf, "SMFX", 4) && ver == 1 && 12 + (size_t)jlen <= len, "%s header", name);
    cJSON *js = cJSON_ParseWithLength((const char *)buf + 12, jlen);
    CHECK(js != NULL, "%s json", name);
    if (!js) {
        free(buf);
        return;
    }
    /* description */
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(js, "desc");
    smile_model_desc d = smile_model_desc_default((smile_model_kind)jsize(jd, "kind"));
    d.likelihood = (smile_likelihood_kind)jsize(jd, "likelihood");
    d.prior_sigma = cJSON_GetObjectItemCaseSensitive(jd, "prior_sigma")->valuedouble;
    d.ln_eps = cJSON_GetObjectItemCaseSensitive(jd, "ln_eps")->valuedouble;
    d.n_inputs = jsize(jd, "n_inputs");
    const cJSON *hid = cJSON_GetObjectItemCaseSensitive(jd, "hidden");
    d.n_hidden = (size_t)cJSON_GetArraySize(hid);
    for (size_t i = 0; i < d.n_hidden && i < SMILE_MODEL_MAX_HIDDEN; i++)
        d.hidden[i] = (size_t)cJSON_GetArrayItem(hid, (int)i)->valuedouble;
    d.in_h = jsize(jd, "in_h");
    d.in_w = jsize(jd, "in_w");
    d.in_c = jsize(jd, "in_c");
    d.n_classes = jsize(jd, "n_classes");
    const cJSON *le = cJSON_GetObjectItemCaseSensitive(jd, "lenet");
    for (int i = 0; i < 4; i++) d.lenet[i] = (size_t)cJSON_GetArrayItem(le, i)->valuedouble;
    d.res_width = jsize(jd, "res_width");
    d.patch = jsize(jd, "patch");
    d.embed = jsize(jd, "embed");
    d.depth = jsize(jd, "depth");
    d.heads = jsize(jd, "heads");
    d.mlp = jsize(jd, "mlp");
    d.cls_hidden = jsize(jd, "cls_hidden");
    d.vocab = jsize(jd, "vocab");
    d.context = jsize(jd, "context");
    d.gpt_pre_ln = (int)jsize(jd, "gpt_pre_ln");

    smile_model *m = NULL;
    CHECK(smile_model_init(&m, &d, msg, sizeof msg) == SMILE_OK, "%s: %s", name, msg);
    size_t D = jsize(js, "d");
    if (!m || smile_model_param_count(m) != D) {
        CHECK(0, "%s: d = %zu, fixture %zu", name, m ? smile_model_param_count(m) : 0, D);
        goto done;
    }
    /* 1. layout table identical */
    const cJSON *lay = cJSON_GetObjectItemCaseSensitive(js, "layout");
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

    /* arrays */
    fx_array arr[8];
    int na = 0;
    size_t pos = 12 + jlen;
    const cJSON *ja = cJSON_GetObjectItemCaseSensitive(js, "arrays");
    for (int i = 0; i < cJSON_GetArraySize(ja) && na < 8; i++) {
        const cJSON *a = cJSON_GetArrayItem(ja, i);
        const char *ty = cJSON_GetObjectItemCaseSensitive(a, "type")->valuestring;
        size_t cnt = jsize(a, "count"), es = !strcmp(ty, "f64") ? 8 : 4;
        arr[na].name = cJSON_GetObjectItemCaseSensitive(a, "name")->valuestring;
        arr[na].count = cnt;
        arr[na].p = buf + pos;
        pos += cnt * es;
        na++;
    }
    CHECK(pos == len, "%s: file size %zu, arrays end at %zu", name, len, pos);
    if (pos != len) goto done;
    /* copy to aligned buffers */
    size_t nth = 0, nb = 0;
    float *theta = malloc(D * sizeof *theta);
    double *gref = malloc(D * sizeof *gref);
    memcpy(theta, find_array(arr, na, "theta", &nth), D * sizeof *theta);
    memcpy(gref, find_array(arr, na, "grad", NULL), D * sizeof *gref);
    CHECK(nth == D, "theta count");
    smile_data_view v = {jsize(js, "n"), NULL, NULL, NULL, NULL};
    size_t cnt;
    void *p;
    float *x = NULL, *y = NULL;
    int32_t *lab = NULL, *tok = NULL;
    uint32_t *idx = NULL;
    if ((p = find_array(arr, na, "x", &cnt))) {
        x = malloc(cnt * sizeof *x);
        memcpy(x, p, cnt * sizeof *x);
    }
    if ((p = find_array(arr, na, "y", &cnt))) {
        y = malloc(cnt * sizeof *y);
        memcpy(y, p, cnt * sizeof *y);
    }
    if ((p = find_array(arr, na, "labels", &cnt))) {
        lab = malloc(cnt * sizeof *lab);
        memcpy(lab, p, cnt * sizeof *lab);
    }
    if ((p = find_array(arr, na, "tokens", &cnt))) {
        tok = malloc(cnt * sizeof *tok);
        memcpy(tok, p, cnt * sizeof *tok);
    }
    if ((p = find_array(arr, na, "idx", &nb))) {
        idx = malloc(nb * sizeof *idx);
        memcpy(idx, p, nb * sizeof *idx);
    }
    v.x = x;
    v.y = y;
    v.labels = lab;
    v.tokens = tok;
    double scale = cJSON_GetObjectItemCaseSensitive(js, "scale")->valuedouble;
    double lref = strtod(cJSON_GetObjectItemCaseSensitive(js, "logp")->valuestring, NULL);
    smile_batch b = {idx, nb, scale, 0, 0};
    double gmax = 0;
    for (size_t j = 0; j < D; j++) gmax = fmax(gmax, fabs(gref[j]));

    /* 2. double path */
    {
        smile_model_workspace *ws = NULL;
        size_t n_eval = idx ? nb : v.n;
        CHECK(smile_model_workspace_init_d(&ws, m, n_eval, msg, sizeof msg) == SMILE_OK, "%s", msg);
        double *th = malloc(D * sizeof *th), *g = malloc(D * sizeof *g), ll = 0, ss = 0;
        double sp = d.prior_sigma;
        for (size_t j = 0; j < D; j++) {
            th[j] = theta[j];
            ss += th[j] * th[j];
            g[j] = -th[j] / (sp * sp);
        }
        double prior = -0.5 * ss / (sp * sp) - (double)D * (log(sp) + 0.5 * log(2 * M_PI));
        CHECK(smile_model_eval_d(m, ws, th, &v, idx, n_eval, idx ? scale : 1.0, &ll, g, NULL) ==
                  SMILE_OK,
              "%s double eval", name);
        double lp = prior + (idx ? scale : 1.0) * ll, gerr = 0;
        for (size_t j = 0; j < D; j++) gerr = fmax(gerr, fabs(g[j] - gref[j]));
        printf("  %-16s d=%-6zu double: |dlogp|/|logp| %.1e  max|dg|/max|g| %.1e", name, D,
               fabs(lp - lref) / fabs(lref), gerr / gmax);
        CHECK(fabs(lp - lref) <= 1e-9 * fabs(lref), "%s double logp %.15g vs torch %.15g", name,
              lp, lref);
        CHECK(gerr <= 1e-9 * gmax, "%s double grad max diff %.3e (scale %.3e)", name, gerr, gmax);
        free(th);
        free(g);
        smile_model_workspace_free(ws);
    }
    /* 3. float path through the sampler target; a workspace of half the batch so the
     * chunked accumulation is exercised too */
    {
        smile_posterior *post = NULL;
        size_t mb = (idx ? nb : v.n) / 2;
        CHECK(smile_posterior_init(&post, m, &v, 1, mb ? mb : 1, msg, sizeof msg) == SMILE_OK,
              "%s: %s", name, msg);
        if (post) {
            smile_target t = smile_posterior_target(post);
            float *g = malloc(D * sizeof *g);
            double lp = 0;
            CHECK(t.logdensity_grad(t.user, theta, &b, &lp, g) == 0, "%s callback", name);
            double gerr = 0;
            for (size_t j = 0; j < D; j++) gerr = fmax(gerr, fabs(g[j] - gref[j]));
            printf("   float: %.1e  %.1e\n", fabs(lp - lref) / fabs(lref), gerr / gmax);
            CHECK(fabs(lp - lref) <= 1e-5 * fabs(lref), "%s float logp %.10g vs torch %.10g", name,
                  lp, lref);
            CHECK(gerr <= 1e-4 * gmax, "%s float grad max diff %.3e (scale %.3e)", name, gerr,
                  gmax);
            free(g);
            smile_posterior_free(post);
        }
    }
    free(theta);
    free(gref);
    free(x);
    free(y);
    free(lab);
    free(tok);
    free(idx);
done:
    smile_model_free(m);
    cJSON_Delete(js);
    free(buf);
}

int main(void) {
    const char *dir = getenv("SMILE_REF_DIR");
    if (!dir || !*dir) dir = "tests/ref";
    const char *names[] = {"fcn_homo", "fcn_hetero", "fcn_categorical", "lenet",    "resnet7",
                           "resnet18", "vit",        "gpt",             "gpt_preln"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) run_fixture(dir, names[i]);
    return harness_done("test_model_torch");
}
