/* The built-in example of `smile fit` without --data (issue 4, item 7)
 * (our addition): a 1-D regression problem with a gap in the inputs, where a good
 * posterior predictive must widen between the two clusters of data.
 *
 *   N = 400 rows; x uniform on [-3, -1] (even rows) or [1, 3] (odd rows),
 *   y = sin(1.5 x) + 0.2 ε, ε ~ N(0, 1),
 * drawn from smile_rng(0, 0, SMILE_RNG_DATA) (the same data for every run
 * seed), then treated exactly like a UCI table (docs/experiments.md, section 2.1):
 * standardised with the whole-data mean / population std, permuted by the run
 * seed, split 70/10/20.
 *
 * predictive.csv: on a grid of x over [-4.5, 4.5] (original units), the
 * predictive mean and the central 95 % interval of the DE (the member-spread
 * mixture of docs/method.md, section 11.3; heteroscedastic: the members' own Gaussians)
 * and of the pooled samples (the K·S-component Gaussian mixture of docs/method.md, section 11.1).
 * The interval ends are exact mixture quantiles (bisection on the mixture
 * CDF, 60 halvings). */
#include "data/data.h"
#include "fit/fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SYN_N 400

smile_status fit_synthetic_dataset(smile_dataset *ds, uint64_t seed, char *msg, size_t msg_len) {
    memset(ds, 0, sizeof *ds);
    const size_t n = SYN_N;
    double *x = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
    ds->source = malloc(strlen(SMILE_FIT_BUILTIN) + 1);
    ds->x = smile_calloc(n, sizeof(float));
    ds->y = smile_calloc(n, sizeof(float));
    ds->orig_index = malloc(n * sizeof(uint32_t));
    ds->x_mean = malloc(sizeof(double));
    ds->x_std = malloc(sizeof(double));
    if (!x || !y || !ds->source || !ds->x || !ds->y || !ds->orig_index || !ds->x_mean ||
        !ds->x_std) {
        free(x);
        free(y);
        smile_dataset_free(ds);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    memcpy(ds->source, SMILE_FIT_BUILTIN, strlen(SMILE_FIT_BUILTIN) + 1);
    ds->task = SMILE_DATA_UCI;
    ds->n = n;
    ds->feature_dim = 1;
    ds->pixel_scale = 1.0;
    for (int c = 0; c < 3; c++) ds->ch_std[c] = 1.0;
    smile_rng r;
    smile_rng_init(&r, 0, 0, SMILE_RNG_DATA);
    for (size_t i = 0; i < n; i++) {
        double u = smile_rng_uniform(&r);
        x[i] = (i % 2 == 0) ? -3.0 + 2.0 * u : 1.0 + 2.0 * u;
        y[i] = sin(1.5 * x[i]) + 0.2 * smile_rng_normal(&r);
    }
    double mx = 0, my = 0, vx = 0, vy = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        vx += (x[i] - mx) * (x[i] - mx);
        vy += (y[i] - my) * (y[i] - my);
    }
    double sx = sqrt(vx / (double)n), sy = sqrt(vy / (double)n);
    ds->x_mean[0] = mx;
    ds->x_std[0] = sx;
    ds->y_mean = my;
    ds->y_std = sy;
    /* permutation by the run seed, as the UCI loader */
    smile_rng_init(&r, seed, SMILE_DATA_SPLIT_CHAIN, SMILE_RNG_DATA);
    for (size_t i = 0; i < n; i++) ds->orig_index[i] = (uint32_t)i;
    smile_rng_shuffle_u32(&r, ds->orig_index, n);
    for (size_t i = 0; i < n; i++) {
        size_t j = ds->orig_index[i];
        ds->x[i] = (float)((x[j] - mx) / sx);
        ds->y[i] = (float)((y[j] - my) / sy);
    }
    size_t ntr, nva, nte;
    smile_split_sizes(n, 0.7, 0.1, &ntr, &nva, &nte);
    data_set_splits(ds, ntr, ntr + nva, n);
    free(x);
    free(y);
    return SMILE_OK;
}

/* Φ((y − μ)/σ) (nu = 0) or the Student-t CDF (nu > 0) averaged over m components */
static double mix_cdf(double yv, const double *mu, const double *sd, size_t m, double nu) {
    double s = 0;
    for (size_t j = 0; j < m; j++)
        s += nu > 0 ? smile_student_cdf((yv - mu[j]) / sd[j], nu)
                    : 0.5 * erfc(-(yv - mu[j]) / (sd[j] * M_SQRT2));
    return s / (double)m;
}

/* bracket ±10 σ: beyond the 0.025/0.975 quantiles of every component for ν > 2 */
static double mix_quantile(double q, const double *mu, const double *sd, size_t m, double nu) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < m; j++) {
        if (mu[j] - 10 * sd[j] < lo) lo = mu[j] - 10 * sd[j];
        if (mu[j] + 10 * sd[j] > hi) hi = mu[j] + 10 * sd[j];
    }
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (lo + hi);
        if (mix_cdf(mid, mu, sd, m, nu) < q)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static double clip_sigma(double ls) {
    double s = exp(ls);
    return s < 1e-6 ? 1e-6 : s > 1e6 ? 1e6 : s;
}

/* Predictions of theta (rows [m][d]) on the grid (standardised) → mu/sd [m][G] */
static smile_status grid_predict(smile_fit *f, smile_model_workspace *ws, const float *theta,
                                 size_t m, const smile_data_view *grid, float *obuf, double *mu,
                                 double *sd, int de_spread) {
    const size_t G = grid->n, d = f->d, os = smile_model_output_size(f->model);
    for (size_t k = 0; k < m; k++) {
        SMILE_TRY(smile_model_forward(f->model, ws, theta + k * d, grid, NULL, G, obuf));
        for (size_t g = 0; g < G; g++) {
            mu[k * G + g] = obuf[g * os];
            if (os == 2)
                sd[k * G + g] = clip_sigma(obuf[g * os + 1]);
            else
                sd[k * G + g] = (f->log_sigma != SIZE_MAX && !de_spread)
                                    ? clip_sigma(theta[k * d + f->log_sigma])
                                    : 1.0;
        }
    }
    if (de_spread && os == 1 && m > 1) {
        /* docs/method.md, section 11.3: s_g = clip(sqrt((1/K) Σ (μ_k − μ̄)²), 1e-6, 1e6);
         * one member keeps σ = 1 (set above) */
        for (size_t g = 0; g < G; g++) {
            double mb = 0, v = 0;
            for (size_t k = 0; k < m; k++) mb += mu[k * G + g];
            mb /= (double)m;
            for (size_t k = 0; k < m; k++) v += (mu[k * G + g] - mb) * (mu[k * G + g] - mb);
            double s = sqrt(v / (double)m);
            s = s < 1e-6 ? 1e-6 : s > 1e6 ? 1e6 : s;
            for (size_t k = 0; k < m; k++) sd[k * G + g] = s;
        }
    }
    return SMILE_OK;
}

smile_status fit_write_predictive(smile_fit *f, const float *theta_de, const int *pooled_de,
                                  int Kp_de, const int *pooled, int Kp, char *msg,
                                  size_t msg_len) {
    enum { G = 181 };
    const size_t d = f->d;
    float gx[G];
    const double xm = f->ds.x_mean[0], xs = f->ds.x_std[0];
    for (int g = 0; g < G; g++) gx[g] = (float)((-4.5 + 9.0 * g / (G - 1) - xm) / xs);
    smile_data_view grid = {G, gx, NULL, NULL, NULL};
    smile_model_workspace *ws = NULL;
    SMILE_TRY(smile_model_workspace_init(&ws, f->model, G, msg, msg_len));
    /* total stored samples of the pooled chains */
    size_t total = 0, *rows = calloc((size_t)(Kp > 0 ? Kp : 1), sizeof(size_t));
    float **smp = calloc((size_t)(Kp > 0 ? Kp : 1), sizeof(float *));
    smile_status st = rows && smp ? SMILE_OK : SMILE_ENOMEM;
    for (int i = 0; st == SMILE_OK && i < Kp; i++) {
        char name[64];
        snprintf(name, sizeof name, "samples/member_%d.npy", pooled[i]);
        char *p = fit_path(f, name);
        size_t c = 0;
        st = p ? smile_npy_read(p, &smp[i], &rows[i], &c, msg, msg_len) : SMILE_ENOMEM;
        free(p);
        total += rows[i];
    }
    float *th_de = malloc((size_t)(Kp_de > 0 ? Kp_de : 1) * d * sizeof(float));
    float *obuf = malloc(G * 2 * sizeof(float));
    double *mu_de = malloc((size_t)Kp_de * G * sizeof(double));
    double *sd_de = malloc((size_t)Kp_de * G * sizeof(double));
    double *mu_s = malloc((total ? total : 1) * G * sizeof(double));
    double *sd_s = malloc((total ? total : 1) * G * sizeof(double));
    double *cm = malloc((total > (size_t)Kp_de ? total : (size_t)Kp_de) * 2 * sizeof(double));
    if (st == SMILE_OK && (!th_de || !obuf || !mu_de || !sd_de || !mu_s || !sd_s || !cm)) {
        st = SMILE_ENOMEM;
        smile_set_msg(msg, msg_len, "out of memory");
    }
    for (int i = 0; st == SMILE_OK && i < Kp_de; i++)
        memcpy(th_de + (size_t)i * d, theta_de + (size_t)pooled_de[i] * d, d * sizeof(float));
    if (st == SMILE_OK)
        st = grid_predict(f, ws, th_de, (size_t)Kp_de, &grid, obuf, mu_de, sd_de, 1);
    size_t off = 0;
    for (int i = 0; st == SMILE_OK && i < Kp; i++) {
        /* one chain's rows at a time: mu_s/sd_s rows [off, off + rows) */
        double *tm = malloc(rows[i] * G * sizeof(double)), *ts = malloc(rows[i] * G * sizeof(double));
        if (!tm || !ts) st = SMILE_ENOMEM;
        if (st == SMILE_OK) st = grid_predict(f, ws, smp[i], rows[i], &grid, obuf, tm, ts, 0);
        for (size_t s = 0; st == SMILE_OK && s < rows[i]; s++)
            for (int g = 0; g < G; g++) {
                mu_s[(off + s) * G + g] = tm[s * G + g];
                sd_s[(off + s) * G + g] = ts[s * G + g];
            }
        off += rows[i];
        free(tm);
        free(ts);
    }
    smile_csv_writer w;
    memset(&w, 0, sizeof w);
    char *path = fit_path(f, "predictive.csv");
    if (st == SMILE_OK)
        st = path ? smile_csv_writer_open(&w, path, "x,de_mean,de_lo95,de_hi95,mean,lo95,hi95",
                                          -1, 0, msg, msg_len)
                  : SMILE_ENOMEM;
    const double ym = f->ds.y_mean, ysd = f->ds.y_std, nu = f->cfg.student_df;
    for (int g = 0; st == SMILE_OK && g < G; g++) {
        double out[6];
        for (int ph = 0; ph < 2; ph++) {
            size_t m = ph == 0 ? (size_t)Kp_de : total;
            const double *mu = ph == 0 ? mu_de : mu_s, *sd = ph == 0 ? sd_de : sd_s;
            double mb = 0;
            for (size_t k = 0; k < m; k++) {
                cm[k] = mu[k * G + g];
                cm[m + k] = sd[k * G + g];
                mb += cm[k];
            }
            mb /= (double)m;
            out[3 * ph] = mb;
            out[3 * ph + 1] = mix_quantile(0.025, cm, cm + m, m, nu);
            out[3 * ph + 2] = mix_quantile(0.975, cm, cm + m, m, nu);
        }
        if (smile_csv_writer_row(&w, "%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g", gx[g] * xs + xm,
                                 out[0] * ysd + ym, out[1] * ysd + ym, out[2] * ysd + ym,
                                 out[3] * ysd + ym, out[4] * ysd + ym, out[5] * ysd + ym) != SMILE_OK)
            st = SMILE_EIO;
    }
    if (path && st == SMILE_OK) st = smile_csv_writer_finish(&w, msg, msg_len);
    else if (path) smile_csv_writer_abort(&w);
    free(path);
    /* the data in original units with its split: data.csv */
    path = fit_path(f, "data.csv");
    if (st == SMILE_OK)
        st = path ? smile_csv_writer_open(&w, path, "x,y,split", -1, 0, msg, msg_len) : SMILE_ENOMEM;
    for (size_t i = 0; st == SMILE_OK && i < f->ds.n; i++) {
        const char *sp = i < f->ds.split_end[0] ? "train" : i < f->ds.split_end[1] ? "valid" : "test";
        if (smile_csv_writer_row(&w, "%.6g,%.6g,%s", f->ds.x[i] * xs + xm, f->ds.y[i] * ysd + ym,
                                 sp) != SMILE_OK)
            st = SMILE_EIO;
    }
    if (path && st == SMILE_OK) st = smile_csv_writer_finish(&w, msg, msg_len);
    else if (path) smile_csv_writer_abort(&w);
    free(path);
    for (int i = 0; smp && i < Kp; i++) free(smp[i]);
    free(smp);
    free(rows);
    free(th_de);
    free(obuf);
    free(mu_de);
    free(sd_de);
    free(mu_s);
    free(sd_s);
    free(cm);
    smile_model_workspace_free(ws);
    return st;
}
