/* src/train: learning-rate schedules, AdamW, early stopping (docs/method.md,
 * section 9), the divergence rule, deep-ensemble training (determinism across
 * thread counts, restore rules) and the config.json round trip. */
#include "harness.h"
#include "smile.h"
#include "train/train.h"
#include "fit/fit_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_schedules(void) {
    smile_lr_schedule s;
    memset(&s, 0, sizeof s);
    s.kind = SMILE_LR_CONSTANT;
    s.lr = 0.01;
    CHECK(smile_lr_schedule_at(&s, 0) == 0.01 && smile_lr_schedule_at(&s, 12345) == 0.01,
          "constant");
    s.kind = SMILE_LR_LINEAR;
    s.lr0 = 1e-3;
    s.lr1 = 7.5e-4;
    s.T = 100;
    CHECK_CLOSE(smile_lr_schedule_at(&s, 0), 1e-3, 1e-15, 0);
    CHECK_CLOSE(smile_lr_schedule_at(&s, 50), 8.75e-4, 1e-15, 0);
    CHECK_CLOSE(smile_lr_schedule_at(&s, 100), 7.5e-4, 1e-15, 0);
    CHECK_CLOSE(smile_lr_schedule_at(&s, 1000), 7.5e-4, 1e-15, 0);
    s.kind = SMILE_LR_WARMUP_COSINE;
    s.init = 0;
    s.peak = 1e-2;
    s.end = 1e-4;
    s.W = 10;
    s.D = 110;
    CHECK_CLOSE(smile_lr_schedule_at(&s, 0), 0.0, 0, 1e-18);
    CHECK_CLOSE(smile_lr_schedule_at(&s, 5), 5e-3, 1e-15, 0);
    CHECK_CLOSE(smile_lr_schedule_at(&s, 10), 1e-2, 1e-15, 0);
    /* q = 1/2: end + (peak − end)/2 */
    CHECK_CLOSE(smile_lr_schedule_at(&s, 60), 1e-4 + 0.5 * (1e-2 - 1e-4), 1e-14, 0);
    CHECK_CLOSE(smile_lr_schedule_at(&s, 110), 1e-4, 1e-14, 0);
    CHECK_CLOSE(smile_lr_schedule_at(&s, 500), 1e-4, 1e-14, 0);
    char msg[256];
    s.D = 5; /* D < W */
    CHECK(smile_lr_schedule_validate(&s, msg, sizeof msg) == SMILE_EINVAL, "D < W rejected");
}

static void test_adamw(void) {
    char msg[256];
    const size_t d = 5;
    smile_adamw a;
    CHECK(smile_adamw_init(&a, d, 0.9, 0.999, 0.01, msg, sizeof msg) == SMILE_OK, "%s", msg);
    float th[5] = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f};
    double ref[5];
    double m[5] = {0}, v[5] = {0};
    for (size_t j = 0; j < d; j++) ref[j] = th[j];
    const unsigned char frozen[5] = {0, 0, 0, 0, 1};
    const double lr = 0.05;
    /* first step: m̂ = g, v̂ = g², update lr (g/(|g| + 1e-8) + λθ) */
    for (int t = 1; t <= 20; t++) {
        float g[5];
        for (size_t j = 0; j < d; j++) g[j] = (float)(sin(0.7 * t + (double)j) * (1.0 + (double)j));
        smile_adamw_step(&a, th, g, lr, frozen);
        for (size_t j = 0; j < 4; j++) {
            m[j] = 0.9 * m[j] + 0.1 * g[j];
            v[j] = 0.999 * v[j] + 0.001 * (double)g[j] * g[j];
            double mh = m[j] / (1 - pow(0.9, t)), vh = v[j] / (1 - pow(0.999, t));
            ref[j] -= lr * (mh / (sqrt(vh) + 1e-8) + 0.01 * ref[j]);
        }
    }
    /* float storage of θ, m, v: relative rounding 6e-8 per operation, 20 steps
     * of O(lr) updates: |error| well below 20 * 4 * 6e-8 * max|θ| ~ 2e-5 */
    for (size_t j = 0; j < 4; j++) CHECK_CLOSE(th[j], ref[j], 0, 2e-5);
    CHECK(th[4] == 0.0f && a.m[4] == 0.0f && a.v[4] == 0.0f, "frozen coordinate untouched");
    CHECK(a.t == 20, "step counter %lld", (long long)a.t);
    smile_adamw_free(&a);
}

static void test_early_stop(void) {
    const double dec[] = {5, 4, 3, 2, 1, 0.5};
    for (size_t n = 1; n <= 6; n++) CHECK(!smile_early_stop(dec, n, 3), "decreasing: no stop");
    const double plat[] = {5, 4, 3, 3, 3, 3};
    CHECK(!smile_early_stop(plat, 5, 3), "window {3,3,3} vs 4: improved");
    CHECK(smile_early_stop(plat, 6, 3), "window {3,3,3} vs 3: stop");
    const double first[] = {1, 2, 2};
    CHECK(!smile_early_stop(first, 2, 3), "fewer than P losses: no check");
    CHECK(smile_early_stop(first, 3, 3), "n == P: the first loss is the reference");
    const double nan3[] = {1, NAN, NAN, NAN};
    CHECK(smile_early_stop(nan3, 4, 3), "all NaN window stops");
    const double mixed[] = {1, 2, NAN, 3};
    CHECK(!smile_early_stop(mixed, 4, 3), "a NaN in the window blocks the stop");
    const double up[] = {1, 0.5, 0.6, 0.7, 0.8};
    CHECK(smile_early_stop(up, 4, 2), "window {0.6, 0.7} >= 0.5");
    CHECK(smile_early_stop(up, 5, 2), "window {0.7, 0.8} >= 0.6");
}

static void test_diverged(void) {
    /* finite: {0.50, 0.52, 0.48, 0.51, -2.0}; upper half H = {0.50, 0.51, 0.52}:
     * median 0.51, MAD 0.01, 5·1.4826·0.01 < 0.5 → threshold 0.01 */
    const double ll[6] = {0.50, 0.52, 0.48, 0.51, -2.0, NAN};
    int out[10];
    double thr;
    smile_fit_diverged(ll, 6, 0.5, 5.0, out, &thr);
    CHECK_CLOSE(thr, 0.01, 1e-12, 0);
    CHECK(!out[0] && !out[1] && !out[2] && !out[3] && out[4] && out[5], "flags %d%d%d%d%d%d",
          out[0], out[1], out[2], out[3], out[4], out[5]);
    /* wide spread: the MAD term dominates. {0,1,2,3,4}: H = {2,3,4}, median 3,
     * MAD 1 → threshold 3 − 7.413: nobody flagged */
    const double w[5] = {0, 1, 2, 3, 4};
    smile_fit_diverged(w, 5, 0.5, 5.0, out, &thr);
    CHECK_CLOSE(thr, 3 - 5 * 1.4826, 1e-14, 0);
    CHECK(!out[0] && !out[4], "no member flagged");
    /* half of the members far off (a median over all would be dragged down):
     * H = {-0.12, -0.14, -0.19, -44, -124} → median -0.19, MAD 0.07 */
    const double half[10] = {-0.122, -124.4, -0.144, -44.2, -7.4e8, -9.7e12, -0.191, -3761, -4.9e10, -3573};
    smile_fit_diverged(half, 10, 0.5, 5.0, out, &thr);
    int n_flag = 0;
    for (int k = 0; k < 10; k++) n_flag += out[k];
    CHECK(n_flag == 7 && !out[0] && !out[2] && !out[6], "7 flagged (got %d), thr %g", n_flag, thr);
    const double none[2] = {NAN, INFINITY};
    smile_fit_diverged(none, 2, 0.5, 5.0, out, &thr);
    CHECK(out[0] && out[1] && isnan(thr), "all non-finite");
}

/* y = sin(2x) + 0.1 noise on x ∈ [-2, 2] */
static void make_data(size_t n, float *x, float *y, uint64_t seed) {
    smile_rng r;
    smile_rng_init(&r, seed, 0, SMILE_RNG_USER);
    for (size_t i = 0; i < n; i++) {
        double xi = -2 + 4 * smile_rng_uniform(&r);
        x[i] = (float)xi;
        y[i] = (float)(sin(2 * xi) + 0.1 * smile_rng_normal(&r));
    }
}

static void test_de(void) {
    char msg[256];
    const size_t nt = 256, nv = 64;
    float xt[256], yt[256], xv[64], yv[64];
    make_data(nt, xt, yt, 1);
    make_data(nv, xv, yv, 2);
    smile_data_view tr = {nt, xt, yt, NULL, NULL}, va = {nv, xv, yv, NULL, NULL};
    smile_model_desc md = smile_model_desc_default(SMILE_MODEL_FCN);
    md.n_inputs = 1;
    md.n_hidden = 2;
    md.hidden[0] = md.hidden[1] = 8;
    smile_model *m;
    CHECK(smile_model_init(&m, &md, msg, sizeof msg) == SMILE_OK, "%s", msg);
    const size_t d = smile_model_param_count(m);
    smile_param_entry ls;
    CHECK(smile_model_layout_find(m, "log_sigma", &ls) == SMILE_OK, "log_sigma present");
    smile_model_set_threads(1);
    smile_de_params p = smile_de_params_default();
    p.members = 3;
    p.batch = 32;
    p.max_epochs = 60;
    p.patience = 5;
    p.seed = 7;
    float *a = malloc(3 * d * sizeof(float)), *b = malloc(3 * d * sizeof(float));
    smile_de_member_report ra[3], rb[3];
    p.threads = 1;
    CHECK(smile_de_train(m, &tr, &va, &p, a, ra, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    p.threads = 2;
    CHECK(smile_de_train(m, &tr, &va, &p, b, rb, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(!memcmp(a, b, 3 * d * sizeof(float)), "threads 1 and 2 give identical members");
    /* the validation NLL of y ~ N(μ, 1) is at least ½ log 2π ≈ 0.919 (perfect μ);
     * y has variance ≈ ½ + 0.01, so μ = 0 gives ≈ 0.919 + 0.255: training must
     * get within 0.1 of the floor (noise variance 0.01 → +0.005) */
    for (int k = 0; k < 3; k++) {
        CHECK(ra[k].best_valid_loss < 0.919 + 0.1, "member %d best valid loss %g", k,
              ra[k].best_valid_loss);
        CHECK(ra[k].restored && ra[k].best_epoch >= 1 && ra[k].epochs <= 60, "restore flags");
        CHECK(a[k * d + ls.offset] == 0.0f, "log sigma held at 0 (sigma fixed at 1)");
        CHECK(ra[k].updates == (int64_t)ra[k].epochs * (int64_t)(nt / 32), "updates");
        /* restored = best: recompute its validation loss */
        smile_model_workspace *ws;
        smile_model_workspace_init(&ws, m, 64, msg, sizeof msg);
        double ll;
        smile_model_loglik_grad(m, ws, a + k * d, &va, NULL, nv, 1.0, &ll, NULL);
        CHECK_CLOSE(-ll / nv, ra[k].best_valid_loss, 1e-12, 0);
        smile_model_workspace_free(ws);
    }
    CHECK(memcmp(a, a + d, d * sizeof(float)) != 0, "members differ");
    /* the reference implementation's restore rule: nobody stops early (patience > epochs) → last
     * params */
    p.max_epochs = 8;
    p.patience = 100;
    p.reference_restore = 1;
    CHECK(smile_de_train(m, &tr, &va, &p, b, rb, NULL, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_model_workspace *ws;
    smile_model_workspace_init(&ws, m, 64, msg, sizeof msg);
    for (int k = 0; k < 3; k++) {
        double ll;
        smile_model_loglik_grad(m, ws, b + k * d, &va, NULL, nv, 1.0, &ll, NULL);
        CHECK(!rb[k].restored && !rb[k].stopped_early, "no restore without an early stop");
        CHECK_CLOSE(-ll / nv, rb[k].last_valid_loss, 1e-12, 0);
    }
    smile_model_workspace_free(ws);
    /* stop flag */
    int stop = 1;
    CHECK(smile_de_train(m, &tr, &va, &p, b, rb, &stop, msg, sizeof msg) == SMILE_EINTERRUPTED,
          "stop flag interrupts");
    free(a);
    free(b);
    smile_model_free(m);
}

static char *cfg_text(const smile_fit_config *c) {
    cJSON *j;
    if (smile_fit_config_to_json(c, &j) != SMILE_OK) return NULL;
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static void test_config_json(void) {
    char msg[256];
    smile_fit_config c = smile_fit_config_default(SMILE_DATA_UCI);
    snprintf(c.data, sizeof c.data, "/x/airfoil.data");
    snprintf(c.out, sizeof c.out, "out");
    CHECK(smile_fit_config_validate(&c, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(c.members == 10 && c.warmup == 50000 && c.samples == 10000 && c.thin == 10 &&
              c.batch == 256 && c.sampler.step_size == 1e-3 &&
              c.sampler.kind == SMILE_SAMPLER_PSMILE_AUTO && c.de.lr.lr == 1e-2 &&
              c.de.weight_decay == 5e-3 && c.de.batch == 64 && c.de.max_epochs == 200 &&
              c.de.patience == 10 && c.scale == SMILE_SCALE_FLOOR,
          "UCI defaults: the spec's settings with our default sampler psmile-auto");
    {   /* the smile-uci preset is the paper's row: pSMILE-naive */
        smile_fit_config pc = c;
        CHECK(smile_fit_config_preset("smile-uci", &pc, msg, sizeof msg) == SMILE_OK, "%s", msg);
        CHECK(pc.sampler.kind == SMILE_SAMPLER_PSMILE_NAIVE && pc.sampler.step_size == 1e-3,
              "smile-uci preset: pSMILE-naive at 1e-3");
        smile_fit_config fc = smile_fit_config_default(SMILE_DATA_FMNIST);
        CHECK(fc.sampler.kind == SMILE_SAMPLER_PSMILE_NAIVE && fc.sampler.step_size == 1e-2,
              "fmnist default: the spec's pSMILE-naive row");
    }
    {   /* a user's regression table: K 25, W 25,000, full-batch MCLMC, softplus σ, Student-t
           noise (ν 5); a class table gets the uci row back, K and W only while the user
           gave none; every other task keeps Gaussian noise */
        smile_fit_config t = smile_fit_config_default(SMILE_DATA_TABLE);
        CHECK(t.members == 25 && t.warmup == 25000 && t.sigma_link == SMILE_SIGMA_SOFTPLUS &&
                  t.student_df == 5 && t.samples == 10000 &&
                  t.sampler.kind == SMILE_SAMPLER_MCLMC && t.sample_valid == 1 &&
                  t.class_row == SMILE_CLASS_ROW_ALL,
              "table defaults: K 25, W 25000, softplus, Student-t 5, mclmc on train + valid");
        CHECK(smile_fit_config_default(SMILE_DATA_UCI).student_df == 0, "uci: Gaussian noise");
        smile_fit_config k = t;
        fit_apply_class_row(&k);
        CHECK(k.members == 10 && k.warmup == 50000 && k.sampler.kind == SMILE_SAMPLER_PSMILE_AUTO &&
                  k.sample_valid == 0 && k.de.batch == 64,
              "class table: the uci row's K, W, sampler and DE");
        k = t;
        k.members = 4;
        k.class_row &= ~SMILE_CLASS_ROW_RUN;
        fit_apply_class_row(&k);
        CHECK(k.members == 4 && k.warmup == 25000 && k.sampler.kind == SMILE_SAMPLER_PSMILE_AUTO,
              "class table with --members: the user's K stays, the sampler row applies");
    }
    c.sampler = smile_sampler_params_default(SMILE_SAMPLER_CSGLD);
    c.seed = UINT64_C(18446744073709551615);
    c.de.lr.kind = SMILE_LR_WARMUP_COSINE;
    c.de.lr.peak = 0.3;
    c.de.lr.W = 7;
    c.de.lr.D = 70;
    c.n_hidden = 2;
    c.include_diverged = 1;
    char *s1 = cfg_text(&c);
    cJSON *j = cJSON_Parse(s1);
    smile_fit_config c2;
    CHECK(smile_fit_config_from_json(j, &c2, msg, sizeof msg) == SMILE_OK, "%s", msg);
    cJSON_Delete(j);
    char *s2 = cfg_text(&c2);
    CHECK(s1 && s2 && !strcmp(s1, s2), "round trip\n%s\n%s", s1, s2);
    CHECK(c2.seed == c.seed && c2.sampler.kind == SMILE_SAMPLER_CSGLD && isinf(c2.sampler.L),
          "seed, sampler, L = inf survive");
    free(s1);
    free(s2);
    j = cJSON_Parse("{\"members\": \"ten\"}");
    CHECK(smile_fit_config_from_json(j, &c2, msg, sizeof msg) == SMILE_EFORMAT &&
              strstr(msg, "members"),
          "bad type names the key: %s", msg);
    cJSON_Delete(j);
    c = smile_fit_config_default(SMILE_DATA_UCI);
    snprintf(c.data, sizeof c.data, "x");
    snprintf(c.out, sizeof c.out, "o");
    c.thin = 20000;
    CHECK(smile_fit_config_validate(&c, msg, sizeof msg) == SMILE_EINVAL && strstr(msg, "--samples"),
          "%s", msg);
}

/* Opening a fit on a class table with the table defaults: the class row
 * changes K from 25 to 10, and the member blocks of the ranks must follow
 * (they were computed for the table's K once, and the chains overran their arrays). */
static void test_class_table_open(void) {
    char dir[] = "/tmp/smile_class_open_XXXXXX", data[128], out[160], msg[512];
    if (!mkdtemp(dir)) return;
    snprintf(data, sizeof data, "%s/c.csv", dir);
    snprintf(out, sizeof out, "%s/run", dir);
    FILE *fp = fopen(data, "w");
    if (!fp) return;
    fprintf(fp, "x1,x2,y\n");
    for (int i = 0; i < 60; i++) fprintf(fp, "%d.5,%d,c%d\n", i % 7, i % 5, i % 3);
    fclose(fp);
    smile_fit_config c = smile_fit_config_default(SMILE_DATA_TABLE);
    snprintf(c.data, sizeof c.data, "%s", data);
    snprintf(c.out, sizeof c.out, "%s", out);
    smile_fit *f = NULL;
    smile_status st = smile_fit_open(&f, &c, NULL, msg, sizeof msg);
    CHECK(st == SMILE_OK, "class table open: %s", msg);
    if (st == SMILE_OK)
        CHECK(f->cfg.members == 10 && f->cfg.warmup == 50000 && f->k0 == 0 && f->kn == 10,
              "class table: K %d, W %lld, member block [%d, +%d)", f->cfg.members,
              (long long)f->cfg.warmup, f->k0, f->kn);
    smile_fit_free(f);
    remove(data);
    rmdir(out);
    rmdir(dir);
}

int main(void) {
    test_class_table_open();
    test_schedules();
    test_adamw();
    test_early_stop();
    test_diverged();
    test_de();
    test_config_json();
    return harness_done("test_ensemble_de");
}
