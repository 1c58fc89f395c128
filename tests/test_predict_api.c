/* The prediction API of smile_fit.h, used as a C program would: fit a small
 * table through the library, open the run directory as a predictor, predict
 * raw rows. Checked against an independent computation (the model's forward
 * pass per stored sample, pooled by hand in long double), for 1 and 2
 * threads (bitwise equal), and for bad input. */
#include "harness.h"
#include "smile_fit.h"
#include "io/io.h" /* reading the samples for the independent check */

#include <unistd.h>

static char dir[] = "/tmp/smile_predict_XXXXXX";

/* y = 3 x1 − 2 x2 + (1 for colour "b") + N(0, 0.3²) */
static void write_table(const char *path, int n, uint64_t seed) {
    FILE *f = fopen(path, "w");
    smile_rng r;
    smile_rng_init(&r, seed, 0, SMILE_RNG_USER);
    fprintf(f, "x1,colour,x2,y\n");
    for (int i = 0; i < n; i++) {
        double x1 = smile_rng_normal(&r), x2 = smile_rng_normal(&r);
        int b = smile_rng_uniform(&r) < 0.5;
        fprintf(f, "%.6f,%s,%.6f,%.6f\n", x1, b ? "b" : "a", x2,
                3 * x1 - 2 * x2 + b + 0.3 * smile_rng_normal(&r));
    }
    fclose(f);
}

static int fit_run(const char *data, const char *out) {
    char msg[512];
    smile_fit_config c = smile_fit_config_default(SMILE_DATA_TABLE);
    snprintf(c.data, sizeof c.data, "%s", data);
    snprintf(c.out, sizeof c.out, "%s", out);
    c.members = 2, c.warmup = 300, c.samples = 200, c.thin = 20, c.de.max_epochs = 30;
    c.likelihood = SMILE_LIK_GAUSS_HOMO; /* by_hand below uses one global σ per sample */
    smile_fit_runtime rt = {.threads = 2};
    smile_fit *f = NULL;
    if (smile_fit_open(&f, &c, &rt, msg, sizeof msg) != SMILE_OK ||
        smile_fit_execute(f, NULL, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "fit failed: %s\n", msg);
        smile_fit_free(f);
        return -1;
    }
    smile_fit_free(f);
    return 0;
}

/* Independent pooled mean and log density of row x (encoded) at y (model
 * units): forward pass per stored sample, σ from the sample's log σ. */
static void by_hand(const char *run, const float *x, size_t p, double y, long double *mean,
                    long double *logdens) {
    char msg[256], path[600];
    smile_model_desc d = smile_model_desc_default(SMILE_MODEL_FCN);
    d.n_inputs = p;
    d.likelihood = SMILE_LIK_GAUSS_HOMO;
    smile_model *m;
    smile_model_workspace *ws;
    smile_model_init(&m, &d, msg, sizeof msg);
    smile_model_workspace_init(&ws, m, 1, msg, sizeof msg);
    smile_param_entry e;
    smile_model_layout_find(m, "log_sigma", &e);
    long double s_mu = 0, s_dens = 0;
    size_t S = 0;
    smile_data_view v = {.n = 1, .x = x};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/samples/member_%d.npy", run, k);
        float *th;
        size_t rows, cols;
        smile_npy_read(path, &th, &rows, &cols, msg, sizeof msg);
        for (size_t s = 0; s < rows; s++, S++) {
            float mu;
            smile_model_forward(m, ws, th + s * cols, &v, NULL, 1, &mu);
            long double sig = expl(th[s * cols + e.offset]);
            s_mu += mu;
            long double z = ((long double)y - mu) / sig;
            s_dens += expl(-0.5L * z * z) / (sig * sqrtl(2 * M_PI));
        }
        free(th);
    }
    *mean = s_mu / S;
    *logdens = logl(s_dens / S);
    smile_model_workspace_free(ws);
    smile_model_free(m);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    char data[512], run[512], msg[512];
    snprintf(data, sizeof data, "%s/train.csv", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    write_table(data, 120, 3);
    CHECK(fit_run(data, run) == 0, "fit");

    smile_predictor *p1 = NULL, *p2 = NULL;
    CHECK(smile_predictor_open(&p1, run, 1, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(smile_predictor_open(&p2, run, 2, msg, sizeof msg) == SMILE_OK, "%s", msg);
    if (!p1 || !p2) return harness_done("test_predict_api");
    smile_predictor_info in = smile_predictor_get_info(p1);
    CHECK(!in.classify && in.n_features == 3 && in.n_inputs == 4 && in.n_samples == 20,
          "info: classify %d features %zu inputs %zu samples %zu", in.classify, in.n_features,
          in.n_inputs, in.n_samples);
    /* raw rows: x1, colour index (a = 0, b = 1), x2 */
    enum { N = 300 };
    double raw[N * 3], y[N];
    smile_rng r;
    smile_rng_init(&r, 9, 0, SMILE_RNG_USER);
    for (int i = 0; i < N; i++) {
        raw[3 * i] = smile_rng_normal(&r), raw[3 * i + 1] = i % 2, raw[3 * i + 2] = smile_rng_normal(&r);
        y[i] = 3 * raw[3 * i] - 2 * raw[3 * i + 2] + raw[3 * i + 1] + 0.3 * smile_rng_normal(&r);
    }
    float *x = malloc(N * in.n_inputs * sizeof *x);
    CHECK(smile_predictor_encode(p1, raw, N, x, msg, sizeof msg) == SMILE_OK, "%s", msg);
    const double levels[] = {0.9};
    double mean[2][N], sd[N], lo[2][N], hi[N], ld[2][N];
    for (int t = 0; t < 2; t++) {
        smile_regression_request q = {.mean = mean[t], .sd = sd, .n_levels = 1, .levels = levels,
                                      .lower = lo[t], .upper = hi, .y = y, .log_density = ld[t]};
        CHECK(smile_predictor_regress(t ? p2 : p1, x, N, &q, msg, sizeof msg) == SMILE_OK, "%s",
              msg);
    }
    CHECK(!memcmp(mean[0], mean[1], sizeof mean[0]) && !memcmp(lo[0], lo[1], sizeof lo[0]) &&
              !memcmp(ld[0], ld[1], sizeof ld[0]),
          "1 and 2 threads give identical predictions");
    /* independent check on a few rows (model units → original units) */
    for (int i = 0; i < N; i += 37) {
        long double mh, lh;
        by_hand(run, x + i * in.n_inputs, in.n_inputs, (y[i] - in.y_mean) / in.y_sd, &mh, &lh);
        CHECK_CLOSE(mean[0][i], in.y_mean + in.y_sd * (double)mh, 1e-6, 1e-6);
        CHECK_CLOSE(ld[0][i], (double)lh - log(in.y_sd), 1e-6, 1e-6);
    }
    int covered = 0;
    for (int i = 0; i < N; i++) covered += y[i] >= lo[0][i] && y[i] <= hi[i];
    printf("  90 %% interval coverage on %d fresh rows: %.3f\n", N, covered / (double)N);
    CHECK(covered > 0.7 * N, "intervals cover most fresh rows (%d of %d)", covered, N);
    /* bad input */
    raw[1] = 2; /* category index out of range */
    CHECK(smile_predictor_encode(p1, raw, 1, x, msg, sizeof msg) == SMILE_EINVAL &&
              strstr(msg, "colour"),
          "bad category index: %s", msg);
    raw[0] = NAN;
    CHECK(smile_predictor_encode(p1, raw, 1, x, msg, sizeof msg) == SMILE_EINVAL, "NaN input");
    smile_classification_request cq = {0};
    CHECK(smile_predictor_classify(p1, x, 1, &cq, msg, sizeof msg) == SMILE_EINVAL,
          "a regression run refuses class probabilities");
    smile_predictor *bad = NULL;
    CHECK(smile_predictor_open(&bad, dir, 1, msg, sizeof msg) == SMILE_EIO &&
              strstr(msg, "not a smile run directory") && !bad,
          "not a run: %s", msg);
    free(x);
    smile_predictor_free(p1);
    smile_predictor_free(p2);
    harness_remove_dir(dir);
    return harness_done("test_predict_api");
}
