/*
 * test_model_api.c — the model API of src/model and src/prob without finite differences:
 *   1. parameter counts of docs/experiments.md, section 3 (every architecture) and a sane
 *      layout table (contiguous, named, shapes multiply to sizes);
 *   2. bad descriptions and data → SMILE_EINVAL with a message (never a crash);
 *   3. initialisation (docs/method.md, section 9.5), the prior and the Gaussian
 *      likelihood, the posterior adapter (prior + s·loglik, chunking, chain workspaces);
 *   4. results bitwise independent of the thread count; log p without the gradient.
 * Gradients and precisions: test_model_fd.c.
 */
#include "model/model_internal.h"
#include "test_model_util.h"

#include <stddef.h>

/* ---- 1. parameter counts ---------------------------------------------------------------- */

static size_t count_of(smile_model_desc d) {
    smile_model *m = NULL;
    if (smile_model_init(&m, &d, msg, sizeof msg) != SMILE_OK) return 0;
    size_t n = smile_model_param_count(m);
    /* layout table: contiguous, shapes multiply to sizes, names unique */
    size_t off = 0, L = smile_model_layout_count(m);
    int ok = 1;
    for (size_t i = 0; i < L; i++) {
        smile_param_entry e, f;
        smile_model_layout_get(m, i, &e);
        size_t prod = 1;
        for (int k = 0; k < e.ndim; k++) prod *= e.shape[k];
        ok &= e.offset == off && prod == e.size && e.name && e.name[0];
        ok &= smile_model_layout_find(m, e.name, &f) == SMILE_OK && f.offset == e.offset;
        off += e.size;
    }
    CHECK(ok && off == n, "layout table of %s inconsistent", smile_model_kind_name(d.kind));
    smile_model_free(m);
    return n;
}

/* The layout entry `name` of the default model of `kind` (1) or 0 when absent. */
static int entry(smile_model_kind kind, const char *name, smile_param_entry *e) {
    smile_model_desc d = smile_model_desc_default(kind);
    smile_model *m = build(&d);
    int ok = m && smile_model_layout_find(m, name, e) == SMILE_OK;
    smile_model_free(m);
    return ok;
}

/* Offset of tensor `to` minus that of `from` in the default model of `kind` (0 if absent). */
static size_t span(smile_model_kind kind, const char *from, const char *to) {
    smile_param_entry a, b;
    return entry(kind, from, &a) && entry(kind, to, &b) ? b.offset - a.offset : 0;
}

static void test_counts(void) {
    smile_model_desc f = smile_model_desc_default(SMILE_MODEL_FCN);
    /* the SMILE study's FCN, d = 16p + 578: airfoil 658, energy 706, bikesharing 754, protein 722 */
    const size_t ps[4] = {5, 8, 11, 9}, homo[4] = {658, 706, 754, 722};
    for (int i = 0; i < 4; i++) {
        f.n_inputs = ps[i];
        f.likelihood = SMILE_LIK_GAUSS_HOMO;
        CHECK(count_of(f) == homo[i], "fcn homo p=%zu: %zu", ps[i], count_of(f));
        CHECK(count_of(f) == 16 * ps[i] + 578, "16p + 578");
    }
    /* MILE model 16-16-2, d = 16p + 322: airfoil 402, energy 450, bikesharing 514 (13-col
     * file, p = 12) / 498 (p = 11), protein 466 */
    smile_model_desc h = smile_model_desc_default(SMILE_MODEL_FCN);
    h.likelihood = SMILE_LIK_GAUSS_HETERO;
    h.n_hidden = 2;
    const size_t ph[5] = {5, 8, 12, 11, 9}, het[5] = {402, 450, 514, 498, 466};
    for (int i = 0; i < 5; i++) {
        h.n_inputs = ph[i];
        CHECK(count_of(h) == het[i], "fcn hetero p=%zu: %zu", ph[i], count_of(h));
    }
    CHECK(count_of(smile_model_desc_default(SMILE_MODEL_LENET)) == 61706, "lenet");
    CHECK(count_of(smile_model_desc_default(SMILE_MODEL_RESNET7)) == 428272, "resnet7");
    CHECK(count_of(smile_model_desc_default(SMILE_MODEL_RESNET18)) == 11178782, "resnet18 %zu",
          count_of(smile_model_desc_default(SMILE_MODEL_RESNET18)));
    CHECK(count_of(smile_model_desc_default(SMILE_MODEL_VIT)) == 22032522, "vit %zu",
          count_of(smile_model_desc_default(SMILE_MODEL_VIT)));
    CHECK(count_of(smile_model_desc_default(SMILE_MODEL_GPT)) == 10770048, "gpt %zu",
          count_of(smile_model_desc_default(SMILE_MODEL_GPT)));
    /* sub-totals of the architecture tables */
    smile_param_entry e;
    /* ResNet-18 stage 1 = 2 × 74,114: from s1.b0.conv1.w to the start of s2.b0 */
    CHECK(span(SMILE_MODEL_RESNET18, "s1.b0.conv1.w", "s2.b0.conv1.w") == 148228,
          "resnet18 stage 1 size");
    CHECK(entry(SMILE_MODEL_RESNET18, "stem.frn.eps", &e) && e.ndim == 0 && e.size == 1,
          "FRN eps scalar");
    CHECK(span(SMILE_MODEL_GPT, "blk0.ln1.g", "blk1.ln1.g") == 1770240, "gpt block size 1,770,240");
    CHECK(!entry(SMILE_MODEL_GPT, "blk0.attn.qkv.b", &e), "gpt has no biases");
    CHECK(span(SMILE_MODEL_VIT, "blk0.ln1.g", "blk1.ln1.g") == 1774464, "vit block size 1,774,464");
    CHECK(entry(SMILE_MODEL_VIT, "pos", &e) && e.shape[0] == 101 && e.shape[1] == 384,
          "vit pos 101 x 384");
}

/* ---- 2. bad descriptions and data -------------------------------------------------------- */

static void expect_einval(const char *what, smile_model_desc d) {
    smile_model *m = (smile_model *)1;
    msg[0] = 0;
    smile_status st = smile_model_init(&m, &d, msg, sizeof msg);
    CHECK(st == SMILE_EINVAL && m == NULL && msg[0], "%s: status %d, msg '%s'", what, st, msg);
}

/* A default description of `kind` with one size field (offset off in the struct) set to v. */
typedef struct {
    const char *what;
    smile_model_kind kind;
    size_t off, v;
} bad_size;
#define DESC_FIELD(f) offsetof(smile_model_desc, f)

static void test_bad(void) {
    static const bad_size sizes[] = {
        {"fcn zero hidden width", SMILE_MODEL_FCN, DESC_FIELD(hidden[1]), 0},
        {"fcn zero inputs", SMILE_MODEL_FCN, DESC_FIELD(n_inputs), 0},
        {"fcn too many layers", SMILE_MODEL_FCN, DESC_FIELD(n_hidden), SMILE_MODEL_MAX_HIDDEN + 1},
        {"lenet 8 rows", SMILE_MODEL_LENET, DESC_FIELD(in_h), 8},
        {"lenet zero dense", SMILE_MODEL_LENET, DESC_FIELD(lenet[2]), 0},
        {"resnet7 4 rows", SMILE_MODEL_RESNET7, DESC_FIELD(in_h), 4},
        {"resnet18 width 0", SMILE_MODEL_RESNET18, DESC_FIELD(res_width), 0},
        {"resnet18 0 channels", SMILE_MODEL_RESNET18, DESC_FIELD(in_c), 0},
        {"vit patch 15", SMILE_MODEL_VIT, DESC_FIELD(patch), 15},
        {"vit heads 7", SMILE_MODEL_VIT, DESC_FIELD(heads), 7},
        {"gpt vocab 0", SMILE_MODEL_GPT, DESC_FIELD(vocab), 0},
        {"gpt depth 0", SMILE_MODEL_GPT, DESC_FIELD(depth), 0},
        {"gpt depth 2^62 (layout size overflows)", SMILE_MODEL_GPT, DESC_FIELD(depth),
         (size_t)1 << 62},
    };
    smile_model_desc d;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        d = smile_model_desc_default(sizes[i].kind);
        memcpy((char *)&d + sizes[i].off, &sizes[i].v, sizeof(size_t));
        if (i + 1 < sizeof sizes / sizeof sizes[0]) expect_einval(sizes[i].what, d);
    }
    /* the last: out of memory (ENOMEM), not a crash or a huge allocation */
    smile_model *m0 = (smile_model *)1;
    CHECK(smile_model_init(&m0, &d, msg, sizeof msg) == SMILE_ENOMEM && !m0, "gpt depth 2^62");
    d = smile_model_desc_default(SMILE_MODEL_FCN);
    d.likelihood = SMILE_LIK_TOKEN;
    expect_einval("fcn token likelihood", d);
    d.kind = (smile_model_kind)42;
    expect_einval("unknown kind", d);
    d = smile_model_desc_default(SMILE_MODEL_LENET);
    d.likelihood = SMILE_LIK_GAUSS_HOMO;
    expect_einval("lenet gaussian", d);
    d.likelihood = (smile_likelihood_kind)17;
    expect_einval("unknown likelihood", d);
    d = smile_model_desc_default(SMILE_MODEL_GPT);
    d.prior_sigma = 0;
    expect_einval("prior sigma 0", d);
    CHECK(smile_model_init(NULL, &d, msg, sizeof msg) == SMILE_EINVAL, "NULL out");

    /* bad data / indices at evaluation time */
    smile_model_desc f = smile_model_desc_default(SMILE_MODEL_FCN);
    f.likelihood = SMILE_LIK_CATEGORICAL;
    f.n_classes = 3;
    smile_model *m = build(&f);
    if (!m) return;
    test_data td;
    make_data(&td, m, 10, 1);
    smile_model_workspace *ws = NULL;
    CHECK(smile_model_workspace_init(&ws, m, 0, msg, sizeof msg) == SMILE_EINVAL, "batch 0");
    CHECK(smile_model_workspace_init(&ws, m, 4, msg, sizeof msg) == SMILE_OK, "%s", msg);
    float *th = calloc(smile_model_param_count(m), sizeof *th);
    float *g = calloc(smile_model_param_count(m), sizeof *g);
    double ll;
    uint32_t idx[2] = {3, 10};
    CHECK(smile_model_loglik_grad(m, ws, th, &td.v, idx, 2, 1.0, &ll, g) == SMILE_EINVAL,
          "index outside data");
    td.lab[4] = 3;
    CHECK(smile_model_loglik_grad(m, ws, th, &td.v, NULL, 10, 1.0, &ll, g) == SMILE_EINVAL,
          "label outside classes");
    smile_posterior *p = NULL;
    CHECK(smile_posterior_init(&p, m, &td.v, 1, 4, msg, sizeof msg) == SMILE_EINVAL && !p,
          "posterior rejects bad labels");
    free(th);
    free(g);
    free_data(&td);
    smile_model_workspace_free(ws);
    smile_model_free(m);
}

/* ---- 3. init, prior, posterior ------------------------------------------------------------ */

/* Initial parameters (seed 1, chain 0) of the default model of `kind`: a tensor's first
 * and last values, its sample variance times `scale` (the inverse of its intended
 * variance), and where it sits in θ. */
typedef struct {
    float first, last;
    double var_ratio;
    size_t offset, d;
} init_probe;

static int probe_init(smile_model_kind kind, const char *tensor, double scale, init_probe *p) {
    smile_model_desc d = smile_model_desc_default(kind);
    smile_model *m = build(&d);
    smile_param_entry e;
    if (!m) return 0;
    int ok = smile_model_layout_find(m, tensor, &e) == SMILE_OK;
    CHECK(ok, "%s has a tensor %s", smile_model_kind_name(kind), tensor);
    p->d = smile_model_param_count(m);
    float *a = malloc(p->d * sizeof *a);
    smile_model_init_params(m, a, 1, 0);
    double s2 = 0;
    for (size_t j = 0; ok && j < e.size; j++) s2 += (double)a[e.offset + j] * a[e.offset + j];
    if (ok) {
        p->first = a[e.offset];
        p->last = a[e.offset + e.size - 1];
        p->var_ratio = s2 / (double)e.size * scale;
        p->offset = e.offset;
    }
    free(a);
    smile_model_free(m);
    return ok;
}

/* FRN, LayerNorm, embeddings and log σ of the initialisation. */
static void test_init_values(void) {
    init_probe p;
    if (probe_init(SMILE_MODEL_RESNET7, "frn3.eps", 1, &p)) CHECK(p.first == 1e-6f, "FRN eps 1e-6");
    if (probe_init(SMILE_MODEL_RESNET7, "frn3.gamma", 1, &p))
        CHECK(p.first == 1.0f && p.last == 1.0f, "FRN gamma 1");
    if (probe_init(SMILE_MODEL_RESNET7, "frn3.tau", 1, &p)) CHECK(p.first == 0.0f, "FRN tau 0");
    /* wte ~ N(0, 1/C): 24,960 draws, variance within 5 sd = 5·sqrt(2/n) = 4.5% */
    if (probe_init(SMILE_MODEL_GPT, "wte", 384, &p))
        CHECK(fabs(p.var_ratio - 1) < 0.045, "wte var %.4g", p.var_ratio);
    if (probe_init(SMILE_MODEL_GPT, "ln_f.g", 1, &p)) CHECK(p.first == 1.0f, "LN scale 1");
    if (probe_init(SMILE_MODEL_FCN, "log_sigma", 1, &p))
        CHECK(p.offset == p.d - 1 && p.first == 0.0f, "log sigma 0");
}

static void test_init(void) {
    smile_model_desc d = smile_model_desc_default(SMILE_MODEL_LENET);
    smile_model *m = build(&d);
    if (!m) return;
    size_t D = smile_model_param_count(m);
    float *a = malloc(D * sizeof *a), *b = malloc(D * sizeof *b);
    smile_model_init_params(m, a, 5, 0);
    smile_model_init_params(m, b, 5, 0);
    CHECK(!memcmp(a, b, D * sizeof *a), "init deterministic");
    smile_model_init_params(m, b, 5, 1);
    CHECK(memcmp(a, b, D * sizeof *a) != 0, "init differs by chain");
    smile_param_entry e;
    /* LeCun normal: Var = 1/fan_in exactly, |w| ≤ 2·sd_untruncated. dense1 has
     * 48,000 weights: the sample variance has relative sd sqrt(2/n)·(kurtosis factor
     * < 1) ≈ 0.0065, so 5 sd = 3.3%. */
    smile_model_layout_find(m, "dense1.w", &e);
    double s2 = 0, mx = 0;
    for (size_t j = 0; j < e.size; j++) {
        s2 += (double)a[e.offset + j] * a[e.offset + j];
        mx = fmax(mx, fabs(a[e.offset + j]));
    }
    double var = s2 / e.size, target = 1.0 / 400;
    CHECK(fabs(var / target - 1) < 0.033, "lecun var %.4g vs %.4g", var, target);
    CHECK(mx <= 2 * sqrt(target) / 0.87962566103423978 + 1e-6, "truncation at 2 sd: %g", mx);
    smile_model_layout_find(m, "dense1.b", &e);
    int zeros = 1;
    for (size_t j = 0; j < e.size; j++) zeros &= a[e.offset + j] == 0;
    CHECK(zeros, "biases 0");
    free(a);
    free(b);
    smile_model_free(m);
    test_init_values();
}

static void test_prior_and_gauss(void) {
    float th[3] = {0.5f, -1.0f, 2.0f}, g[3];
    double lp = smile_prior_gauss(th, 3, 2.0, g);
    double want = -0.5 * (0.25 + 1 + 4) / 4 - 3 * (log(2.0) + 0.5 * log(2 * M_PI));
    CHECK_CLOSE(lp, want, 1e-14, 0);
    CHECK(g[0] == -0.125f && g[1] == 0.25f && g[2] == -0.5f, "prior gradient");
    /* clip of σ (docs/method.md, section 2.2): outside [1e-6, 1e6] the density uses the
     * clipped σ and dt = 0 */
    double dmu, dt;
    double l = smile_gauss_logpdf_t(1.0, 0.0, 20.0, &dmu, &dt);
    CHECK_CLOSE(l, -0.5 * log(2 * M_PI) - log(1e6) - 0.5e-12, 1e-12, 0);
    CHECK(dt == 0, "clipped dt");
    l = smile_gauss_logpdf_t(1.0, 0.5, log(0.5), &dmu, &dt);
    CHECK_CLOSE(l, -0.5 * log(2 * M_PI) - log(0.5) - 0.5, 1e-14, 0);
    CHECK_CLOSE(dmu, 2.0, 1e-14, 0);
    CHECK_CLOSE(dt, 0.0, 0, 1e-14);
    /* softplus link: t = log(log(1 + e^η) + 1e-6), against log1p/exp written out where
     * that is exact enough, dt/dη against central differences, and the limits */
    static const double etas[] = {-30, -5, -0.5, 0, 0.3, 4, 40};
    for (size_t k = 0; k < sizeof etas / sizeof etas[0]; k++) {
        double e = etas[k], der, h = 1e-5;
        double t = smile_softplus_log_sigma(e, &der);
        double sp = e > 20 ? e : log1p(exp(e));
        CHECK_CLOSE(t, log(sp + 1e-6), 1e-13, 1e-13);
        double fd = (smile_softplus_log_sigma(e + h, NULL) - smile_softplus_log_sigma(e - h, NULL)) /
                    (2 * h);
        CHECK_CLOSE(der, fd, 1e-7, 1e-9);
        /* the fused form: the same density and derivatives as link + logpdf_t */
        double dm1, dt1, dm2, de2;
        double l1 = smile_gauss_logpdf_t(0.7, -0.2, t, &dm1, &dt1);
        double l2 = smile_gauss_logpdf_softplus(0.7, -0.2, e, &dm2, &de2);
        CHECK_CLOSE(l2, l1, 1e-12, 1e-12);
        CHECK_CLOSE(dm2, dm1, 1e-12, 0);
        CHECK_CLOSE(de2, dt1 * der, 1e-12, 1e-300);
    }
    CHECK(smile_gauss_logpdf_softplus(0.0, 0.0, 1e7, &dmu, &dt) ==
              -0.5 * log(2 * M_PI) - log(1e6) && dt == 0,
          "softplus: σ clipped at 1e6");
    double der;
    CHECK(smile_softplus_log_sigma(-INFINITY, &der) == log(1e-6) && der == 0, "η = -inf: σ = 1e-6");
    CHECK(smile_softplus_log_sigma(INFINITY, &der) == INFINITY && der == 0, "η = +inf");
    CHECK(isnan(smile_softplus_log_sigma(NAN, &der)) && isnan(der), "NaN propagates");
    CHECK(isfinite(smile_softplus_log_sigma(1e300, &der)) && der > 0, "η = 1e300: no overflow");
    /* Student-t noise: the density against lgamma written out, its derivatives against
     * central differences, the fused softplus form against link + logpdf_t, the clip */
    static const double nus[] = {2.5, 5, 30};
    for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < sizeof etas / sizeof etas[0]; j++) {
            const double nu = nus[k], c = smile_student_log_norm(nu), t = 0.1 * etas[j], h = 1e-6;
            const double y = 0.7, mu = -0.2 + 0.3 * etas[j], s = exp(t), r = (y - mu) / s;
            double dm, dtt;
            double lt = smile_student_logpdf_t(y, mu, t, nu, c, &dm, &dtt);
            double ref = lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * M_PI) - t -
                         (nu + 1) / 2 * log(1 + r * r / nu);
            CHECK_CLOSE(lt, ref, 1e-12, 1e-12);
            double fm = (smile_student_logpdf_t(y, mu + h, t, nu, c, NULL, NULL) -
                         smile_student_logpdf_t(y, mu - h, t, nu, c, NULL, NULL)) / (2 * h);
            double ft = (smile_student_logpdf_t(y, mu, t + h, nu, c, NULL, NULL) -
                         smile_student_logpdf_t(y, mu, t - h, nu, c, NULL, NULL)) / (2 * h);
            CHECK_CLOSE(dm, fm, 1e-6, 1e-7);
            CHECK_CLOSE(dtt, ft, 1e-6, 1e-7);
            double dts, dm1, dt1, dm2, de2;
            double ts = smile_softplus_log_sigma(etas[j], &dts);
            double l1 = smile_student_logpdf_t(y, mu, ts, nu, c, &dm1, &dt1);
            double l2 = smile_student_logpdf_softplus(y, mu, etas[j], nu, c, &dm2, &de2);
            CHECK_CLOSE(l2, l1, 1e-12, 1e-12);
            CHECK_CLOSE(dm2, dm1, 1e-12, 1e-300);
            CHECK_CLOSE(de2, dt1 * dts, 1e-12, 1e-300);
        }
    l = smile_student_logpdf_t(1.0, 0.0, 20.0, 5, smile_student_log_norm(5), &dmu, &dt);
    CHECK(dt == 0 && isfinite(l), "Student-t: σ clipped at 1e6, dt 0");
    l = smile_student_logpdf_t(1e30, 0.0, log(1e-6), 5, smile_student_log_norm(5), &dmu, &dt);
    CHECK(isfinite(l) && isfinite(dmu) && isfinite(dt), "Student-t: a far-off row stays finite");
    /* the vectorised rows of the fused kernel against the scalar form, row by row: η over
     * the whole range (the series branch of log1p, the clip, ±∞, NaN), residuals from 0 to
     * far-off, including rows where 1 + r²/(νσ²) rounds to 1 */
    enum { NR = 4000 };
    static float ry[NR], rmu[NR], reta[NR], rgm[NR], rge[NR];
    static double rlp[NR];
    smile_rng rr;
    smile_rng_init(&rr, 11, 0, 0);
    for (size_t k = 0; k < NR; k++) {
        double u = smile_rng_uniform(&rr);
        reta[k] = (float)(k % 4 == 0 ? 40.0 * (u - 0.5) : k % 4 == 1 ? -30.0 * u : 5.0 * (u - 0.5));
        ry[k] = (float)smile_rng_normal(&rr);
        double sc = k % 5 == 0 ? 1e-9 : k % 5 == 1 ? 1e3 : 1.0;
        rmu[k] = (float)(ry[k] + sc * smile_rng_normal(&rr));
    }
    static const float special[] = {1e7f, 2e6f, -1e4f, INFINITY, -INFINITY, NAN, 0.0f, 9.21f};
    for (size_t k = 0; k < sizeof special / sizeof *special; k++) reta[k] = special[k];
    for (size_t k = 0; k < 3; k++) {
        const double nu = nus[k], c = smile_student_log_norm(nu), scale = 2.5;
        smile_student_softplus_rows(ry, rmu, reta, NR, nu, c, scale, rlp, rgm, rge);
        size_t bad = 0, nan_ok = 1;
        for (size_t j = 0; j < NR; j++) {
            double dm, de, ref = smile_student_logpdf_softplus(ry[j], rmu[j], reta[j], nu, c, &dm, &de);
            float gm = (float)(scale * dm), ge = (float)(scale * de);
            if (isnan(ref) || isnan(rlp[j])) {
                nan_ok &= isnan(ref) && isnan(rlp[j]) && isnan(rge[j]);
                continue;
            }
            /* lp to 1e-14 relative (a few ulp of each log), the float gradients to 2 ulp */
            if (!(fabs(rlp[j] - ref) <= 1e-14 * (fabs(ref) + 1)) ||
                !(fabs(rgm[j] - gm) <= 2.4e-7 * fabs(gm) + 1e-30) ||
                !(fabs(rge[j] - ge) <= 2.4e-7 * fabs(ge) + 1e-30)) {
                if (bad++ < 3)
                    printf("  row %zu eta %g r %g: lp %.17g vs %.17g, dmu %g vs %g, deta %g vs %g\n",
                           j, (double)reta[j], (double)ry[j] - rmu[j], rlp[j], ref, rgm[j], gm,
                           rge[j], ge);
            }
        }
        CHECK(bad == 0, "rows (nu %g): %zu of %d rows differ from the scalar form", nu, bad, NR);
        CHECK(nan_ok, "rows (nu %g): NaN where the scalar form gives NaN", nu);
    }
}

static void test_posterior(void) {
    smile_model_desc d = smile_model_desc_default(SMILE_MODEL_FCN);
    d.n_inputs = 4;
    d.hidden[0] = d.hidden[1] = d.hidden[2] = 8;
    d.prior_sigma = 1.5;
    smile_model *m = build(&d);
    if (!m) return;
    size_t D = smile_model_param_count(m), N = 70;
    test_data td;
    make_data(&td, m, N, 2);
    smile_posterior *p = NULL;
    int K = 3;
    CHECK(smile_posterior_init(&p, m, &td.v, K, 16, msg, sizeof msg) == SMILE_OK, "%s", msg);
    if (!p) return;
    smile_target t = smile_posterior_target(p);
    CHECK(t.dim == D && t.user == p && t.logdensity_grad == smile_posterior_logdensity, "target");
    float *th = malloc(D * sizeof *th), *g = malloc(D * sizeof *g), *g2 = malloc(D * sizeof *g2);
    make_theta(m, th, 4);
    /* mini-batch: log prior + s·Σ log ℓ */
    uint32_t idx[16];
    for (int i = 0; i < 16; i++) idx[i] = (uint32_t)(69 - 4 * i);
    smile_batch b = {idx, 16, 4.375, 0, 1};
    double lp = 0;
    CHECK(t.logdensity_grad(t.user, th, &b, &lp, g) == 0, "callback");
    smile_model_workspace *ws = NULL;
    smile_model_workspace_init(&ws, m, 16, msg, sizeof msg);
    double ll = 0;
    float *gp = malloc(D * sizeof *gp);
    double lprior = smile_prior_gauss(th, D, 1.5, gp);
    smile_model_loglik_grad(m, ws, th, &td.v, idx, 16, 4.375, &ll, gp);
    CHECK_CLOSE(lp, lprior + 4.375 * ll, 1e-12, 0);
    int same = 1;
    for (size_t j = 0; j < D; j++) same &= g[j] == gp[j];
    CHECK(same, "posterior gradient = prior + s * loglik gradient");
    /* full data (idx NULL, scale 1) in chunks of 16 = one pass over all 70 rows */
    smile_batch full = {NULL, 0, 123.0, 0, 2};
    double lpf = 0;
    CHECK(t.logdensity_grad(t.user, th, &full, &lpf, g) == 0, "full");
    smile_model_workspace *wbig = NULL;
    smile_model_workspace_init(&wbig, m, N, msg, sizeof msg);
    lprior = smile_prior_gauss(th, D, 1.5, g2);
    smile_model_loglik_grad(m, wbig, th, &td.v, NULL, N, 1.0, &ll, g2);
    CHECK_CLOSE(lpf, lprior + ll, 1e-9, 0);
    double diff = 0, gm = 0;
    for (size_t j = 0; j < D; j++) {
        diff = fmax(diff, fabs(g[j] - g2[j]));
        gm = fmax(gm, fabs(g2[j]));
    }
    CHECK(diff <= 1e-5 * gm, "chunked full-data gradient (%.3e)", diff);
    /* chain index outside the workspaces */
    b.chain = K;
    CHECK(t.logdensity_grad(t.user, th, &b, &lp, g) != 0, "chain out of range");
    b.chain = -1;
    CHECK(t.logdensity_grad(t.user, th, &b, &lp, g) != 0, "negative chain");
    /* K chains in parallel threads give the same numbers as one after the other */
    double lser[3], lpar[3];
    float *gser = malloc(3 * D * sizeof(float)), *gpar = malloc(3 * D * sizeof(float));
    for (int k = 0; k < K; k++) {
        smile_batch bk = {idx + k, 8, 8.75, 0, k};
        t.logdensity_grad(t.user, th, &bk, &lser[k], gser + k * D);
    }
    smile_model_set_threads(1);
#pragma omp parallel for num_threads(3)
    for (int k = 0; k < K; k++) {
        smile_batch bk = {idx + k, 8, 8.75, 0, k};
        t.logdensity_grad(t.user, th, &bk, &lpar[k], gpar + k * D);
    }
    smile_model_set_threads(0);
    CHECK(!memcmp(lser, lpar, sizeof lser) && !memcmp(gser, gpar, 3 * D * sizeof(float)),
          "parallel chains reproduce serial results");
    free(gser);
    free(gpar);
    free(gp);
    free(th);
    free(g);
    free(g2);
    smile_model_workspace_free(ws);
    smile_model_workspace_free(wbig);
    smile_posterior_free(p);
    free_data(&td);
    smile_model_free(m);
}

/* ---- 4. results independent of the thread count; log p only ------------------------------ */

static void test_threads(void) {
    smile_model_desc ds[5];
    ds[0] = smile_model_desc_default(SMILE_MODEL_LENET);
    ds[0].lenet[0] = 3, ds[0].lenet[1] = 5, ds[0].lenet[2] = 9, ds[0].lenet[3] = 7;
    ds[1] = smile_model_desc_default(SMILE_MODEL_RESNET7);
    ds[1].res_width = 4;
    ds[2] = smile_model_desc_default(SMILE_MODEL_RESNET18);
    ds[2].res_width = 4;
    ds[3] = smile_model_desc_default(SMILE_MODEL_VIT);
    ds[3].in_h = ds[3].in_w = 32, ds[3].patch = 8, ds[3].embed = 16, ds[3].depth = 1;
    ds[3].heads = 2, ds[3].mlp = 32, ds[3].cls_hidden = 8;
    ds[4] = smile_model_desc_default(SMILE_MODEL_GPT);
    ds[4].context = 32, ds[4].embed = 32, ds[4].depth = 1, ds[4].heads = 4, ds[4].mlp = 64;
    for (int k = 0; k < 5; k++) {
        smile_model *m = build(&ds[k]);
        if (!m) continue;
        size_t D = smile_model_param_count(m), n = 40; /* workspace 32 + a chunk of 8 */
        test_data td;
        make_data(&td, m, n, 8);
        float *th = malloc(D * 4), *g1 = calloc(D, 4), *g2 = calloc(D, 4);
        make_theta(m, th, 2);
        smile_model_set_threads(2);
        smile_model_workspace *ws = NULL;
        smile_model_workspace_init(&ws, m, 32, msg, sizeof msg);
        if (k < 2) CHECK(ws->nsub == SMILE_WS_MAX_SUB, "example-parallel pieces in use");
        double l1, l2, l3;
        smile_model_set_threads(1);
        smile_model_loglik_grad(m, ws, th, &td.v, NULL, n, 1.5, &l1, g1);
        smile_model_set_threads(2);
        smile_model_loglik_grad(m, ws, th, &td.v, NULL, n, 1.5, &l2, g2);
        smile_model_loglik_grad(m, ws, th, &td.v, NULL, n, 1.5, &l3, NULL);
        CHECK(l1 == l2 && !memcmp(g1, g2, D * 4), "%s: 1 and 2 threads differ",
              smile_model_kind_name(ds[k].kind));
        CHECK(l3 == l1, "%s: loglik without gradient %.17g vs %.17g",
              smile_model_kind_name(ds[k].kind), l3, l1);
        free(th), free(g1), free(g2);
        free_data(&td);
        smile_model_workspace_free(ws);
        smile_model_free(m);
    }
    smile_model_set_threads(0);
}

int main(void) {
    test_counts();
    test_bad();
    test_prior_and_gauss();
    test_init();
    test_posterior();
    test_threads();
    return harness_done("test_model_api");
}
