/* A fitted run directory as a predictor (smile_fit.h, "Prediction").
 *
 * Opening reads model.json (model description, transforms, pooled members)
 * and the pooled members' samples (samples/member_<k>.npy, float32 [S_k, d])
 * into one array θ[S × d]. Prediction runs over row chunks of CHUNK rows:
 * the forward pass of every sample on the chunk (OpenMP over samples, one
 * workspace per thread) fills per-row component arrays (μ, σ or the class
 * probabilities, row-major [row][sample]); then every row is summarised on
 * its own (OpenMP over rows) with sums in a fixed sample order. Memory is
 * bounded by CHUNK × S components, results do not depend on the thread count.
 * Formulas: docs/method.md, section 11 (pooling), and mixture.h. */
#include "fit/fit_internal.h"
#include "fit/predictor_internal.h"
#include "metrics/mixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define CHUNK FIT_PREDICT_CHUNK
#define SIGMA_MIN 1e-6
#define SIGMA_MAX 1e6

static int n_threads_default(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void smile_predictor_free(smile_predictor *p) {
    if (!p) return;
    for (int t = 0; p->ws && t < p->threads; t++) smile_model_workspace_free(p->ws[t]);
    free(p->ws);
    free(p->out);
    free(p->comp);
    free(p->row);
    free(p->theta);
    smile_model_free(p->model);
    fit_runmodel_free(&p->rm);
    free(p);
}

/* Appends the samples of member k to p->theta. */
static smile_status load_member(smile_predictor *p, const char *dir, int k, char *msg,
                                size_t msg_len) {
    char name[64];
    snprintf(name, sizeof name, "samples/member_%d.npy", k);
    char *path = smile_path_join(dir, name);
    SMILE_CHECK(!path, SMILE_ENOMEM, msg, msg_len, "out of memory");
    float *v = NULL;
    size_t rows = 0, cols = 0;
    smile_status st = smile_npy_read(path, &v, &rows, &cols, msg, msg_len);
    if (st == SMILE_OK && (cols != p->d || rows == 0)) {
        smile_set_msg(msg, msg_len, "%s: shape (%zu, %zu), expected (S >= 1, %zu)", path, rows,
                      cols, p->d);
        st = SMILE_EFORMAT;
    }
    if (st == SMILE_OK) {
        size_t total = p->S + rows;
        float *nt = total <= SIZE_MAX / p->d / sizeof(float)
                        ? realloc(p->theta, total * p->d * sizeof(float))
                        : NULL;
        if (!nt) {
            smile_set_msg(msg, msg_len, "%s: out of memory for %zu samples", path, total);
            st = SMILE_ENOMEM;
        } else {
            memcpy(nt + p->S * p->d, v, rows * p->d * sizeof(float));
            p->theta = nt;
            p->S = total;
        }
    }
    free(v);
    free(path);
    return st;
}

/* Text runs: one window per forward pass, components are the S next-token
 * distributions over the vocabulary. */
static smile_status alloc_buffers(smile_predictor *p, char *msg, size_t msg_len) {
    const int text = p->rm.desc.kind == SMILE_MODEL_GPT;
    const size_t width = text ? p->rm.desc.vocab
                              : p->rm.desc.likelihood == SMILE_LIK_CATEGORICAL ? p->n_out : 2;
    p->chunk = text ? 1 : CHUNK;
    SMILE_CHECK(p->S > SIZE_MAX / p->chunk / width / sizeof(double), SMILE_ENOMEM, msg, msg_len,
                "too many samples (%zu)", p->S);
    p->ws = calloc((size_t)p->threads, sizeof *p->ws);
    p->out = malloc((size_t)p->threads * p->chunk * p->n_out * sizeof *p->out);
    p->comp = malloc(p->chunk * p->S * width * sizeof *p->comp);
    size_t rw = p->S > p->n_out ? p->S : p->n_out;
    p->row = malloc((size_t)p->threads * 2 * rw * sizeof *p->row);
    SMILE_CHECK(!p->ws || !p->out || !p->comp || !p->row, SMILE_ENOMEM, msg, msg_len,
                "out of memory for prediction buffers (%zu samples)", p->S);
    for (int t = 0; t < p->threads; t++)
        SMILE_TRY(smile_model_workspace_init(&p->ws[t], p->model, p->chunk, msg, msg_len));
    return SMILE_OK;
}

smile_status smile_predictor_open(smile_predictor **out, const char *dir, int threads, char *msg,
                                  size_t msg_len) {
    SMILE_CHECK(!out || !dir, SMILE_EINVAL, msg, msg_len, "predictor: NULL argument");
    *out = NULL;
    smile_predictor *p = calloc(1, sizeof *p);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
    p->threads = threads > 0 ? threads : n_threads_default();
    smile_status st = fit_runmodel_read(dir, &p->rm, msg, msg_len);
    if (st == SMILE_OK) st = smile_model_init(&p->model, &p->rm.desc, msg, msg_len);
    if (st == SMILE_OK) {
        p->d = smile_model_param_count(p->model);
        p->n_out = smile_model_output_size(p->model);
        p->log_sigma = SIZE_MAX;
        smile_param_entry e;
        if (p->rm.desc.likelihood == SMILE_LIK_GAUSS_HOMO &&
            smile_model_layout_find(p->model, "log_sigma", &e) == SMILE_OK)
            p->log_sigma = e.offset;
        if (p->rm.desc.kind == SMILE_MODEL_GPT && p->rm.inputs != FIT_INPUTS_TEXT) {
            smile_set_msg(msg, msg_len, "%s: a text model without a recorded vocabulary", dir);
            st = SMILE_EFORMAT;
        }
    }
    for (int k = 0; st == SMILE_OK && k < p->rm.n_pooled; k++)
        st = load_member(p, dir, p->rm.pooled[k], msg, msg_len);
    if (st == SMILE_OK) st = alloc_buffers(p, msg, msg_len);
    if (st != SMILE_OK) {
        smile_predictor_free(p);
        return st;
    }
    *out = p;
    return SMILE_OK;
}

smile_predictor_info smile_predictor_get_info(const smile_predictor *p) {
    smile_predictor_info i;
    memset(&i, 0, sizeof i);
    if (!p) return i;
    i.classify = p->rm.desc.likelihood == SMILE_LIK_CATEGORICAL;
    i.task = p->rm.task;
    i.text = p->rm.inputs == FIT_INPUTS_TEXT;
    i.vocab_size = i.text ? p->rm.vocab_size : 0;
    i.context = i.text ? p->rm.desc.context : 0;
    if (p->rm.inputs == FIT_INPUTS_IMAGES) {
        i.height = p->rm.desc.in_h;
        i.width = p->rm.desc.in_w;
        i.channels = p->rm.desc.in_c;
    }
    i.n_inputs = smile_model_input_size(p->model);
    i.n_features = p->rm.inputs == FIT_INPUTS_TABLE ? p->rm.schema.n_features
                                                    : p->rm.inputs == FIT_INPUTS_STANDARDISED
                                                          ? p->rm.n_x
                                                          : i.n_inputs;
    i.n_classes = i.classify ? p->n_out : 0;
    i.n_samples = p->S;
    i.n_members_pooled = p->rm.n_pooled;
    i.y_mean = p->rm.y_mean;
    i.y_sd = p->rm.y_sd;
    return i;
}

const char *smile_predictor_class_name(const smile_predictor *p, size_t k) {
    if (!p || !p->rm.class_names || k >= p->rm.n_classes) return NULL;
    return p->rm.class_names[k];
}

/* Forward pass of every sample on rows [0, n) of x (n <= CHUNK): per-row
 * components, regression comp[(i·S + s)·2 + {0,1}] = (μ, σ) in model units,
 * classification comp[(i·S + s)·C + c] = p_s(c | x_i). */
static smile_status forward_chunk(smile_predictor *p, const float *x, size_t n) {
    const size_t S = p->S, C = p->n_out, d = p->d;
    const int classify = p->rm.desc.likelihood == SMILE_LIK_CATEGORICAL;
    const int hetero = p->rm.desc.likelihood == SMILE_LIK_GAUSS_HETERO;
    smile_data_view view;
    memset(&view, 0, sizeof view);
    view.n = n;
    view.x = x;
    int failed = 0;
#pragma omp parallel for schedule(static) num_threads(p->threads) reduction(| : failed)
    for (size_t s = 0; s < S; s++) {
#ifdef _OPENMP
        const int t = omp_get_thread_num();
#else
        const int t = 0;
#endif
        float *o = p->out + (size_t)t * CHUNK * C;
        const float *th = p->theta + s * d;
        if (smile_model_forward(p->model, p->ws[t], th, &view, NULL, n, o) != SMILE_OK) {
            failed = 1;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (classify) {
                const float *z = o + i * C;
                double mx = -INFINITY, sum = 0;
                for (size_t c = 0; c < C; c++) mx = fmax(mx, (double)z[c]);
                double *q = p->comp + (i * S + s) * C;
                for (size_t c = 0; c < C; c++) sum += (q[c] = exp((double)z[c] - mx));
                for (size_t c = 0; c < C; c++) q[c] /= sum;
            } else {
                double tau = hetero ? (double)o[i * 2 + 1]
                                    : (p->log_sigma != SIZE_MAX ? (double)th[p->log_sigma] : 0.0);
                double sig = fmin(fmax(exp(tau), SIGMA_MIN), SIGMA_MAX);
                p->comp[(i * S + s) * 2] = (double)o[i * C];
                p->comp[(i * S + s) * 2 + 1] = sig;
            }
        }
    }
    return failed ? SMILE_ENUMERIC : SMILE_OK;
}

/* Summary of row i of the chunk (regression), written at index r. */
static void regress_row(smile_predictor *p, size_t i, size_t r, const smile_regression_request *q,
                        double *mu, double *sd) {
    const size_t S = p->S;
    const double *c = p->comp + i * S * 2;
    for (size_t s = 0; s < S; s++) mu[s] = c[2 * s], sd[s] = c[2 * s + 1];
    const double nu = p->rm.desc.student_df; /* 0: Gaussian noise */
    smile_mixture_moments m = smile_mixture_moments_of(mu, sd, S, nu);
    const double a = q->standardised ? 0.0 : p->rm.y_mean, b = q->standardised ? 1.0 : p->rm.y_sd;
    if (q->mean) q->mean[r] = a + b * m.mean;
    if (q->sd) q->sd[r] = b * m.sd;
    if (q->sd_epistemic) q->sd_epistemic[r] = b * m.sd_epistemic;
    if (q->sd_aleatoric) q->sd_aleatoric[r] = b * m.sd_aleatoric;
    for (size_t l = 0; l < q->n_levels; l++) {
        double lv = q->levels[l];
        if (q->lower)
            q->lower[r * q->n_levels + l] = a + b * smile_mixture_quantile(mu, sd, S, nu, &m, 0.5 - lv / 2);
        if (q->upper)
            q->upper[r * q->n_levels + l] = a + b * smile_mixture_quantile(mu, sd, S, nu, &m, 0.5 + lv / 2);
    }
    if (q->y && q->log_density) {
        double z = (q->y[r] - a) / b;
        q->log_density[r] = smile_mixture_logpdf(mu, sd, S, nu, z) - log(b);
    }
}

int fit_predict_thread(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static smile_status check_rows(const smile_predictor *p, const float *x, size_t n, char *msg,
                               size_t msg_len) {
    const size_t in = smile_model_input_size(p->model);
    SMILE_CHECK(!x && n, SMILE_EINVAL, msg, msg_len, "predictor: NULL inputs");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < in; j++)
            SMILE_CHECK(!isfinite(x[i * in + j]), SMILE_EINVAL, msg, msg_len,
                        "row %zu, input %zu: not a finite number", i + 1, j + 1);
    return SMILE_OK;
}

smile_status smile_predictor_regress(smile_predictor *p, const float *x, size_t n,
                                     const smile_regression_request *q, char *msg,
                                     size_t msg_len) {
    SMILE_CHECK(!p || !q, SMILE_EINVAL, msg, msg_len, "predictor: NULL argument");
    SMILE_CHECK(p->rm.desc.likelihood == SMILE_LIK_CATEGORICAL, SMILE_EINVAL, msg, msg_len,
                "this run is a classifier: use class probabilities");
    SMILE_CHECK(p->rm.inputs == FIT_INPUTS_TEXT, SMILE_EINVAL, msg, msg_len,
                "this run is a text model: generate text from a prompt");
    for (size_t l = 0; l < q->n_levels; l++)
        SMILE_CHECK(!(q->levels[l] > 0 && q->levels[l] < 1), SMILE_EINVAL, msg, msg_len,
                    "interval level %g: must lie in (0, 1)", q->levels[l]);
    for (size_t i = 0; q->y && i < n; i++)
        SMILE_CHECK(!isfinite(q->y[i]), SMILE_EINVAL, msg, msg_len,
                    "row %zu: observed target is not a finite number", i + 1);
    SMILE_TRY(check_rows(p, x, n, msg, msg_len));
    const size_t in = smile_model_input_size(p->model), rw = p->S > p->n_out ? p->S : p->n_out;
    smile_model_set_threads(1);
    for (size_t r0 = 0; r0 < n; r0 += CHUNK) {
        size_t m = n - r0 < CHUNK ? n - r0 : CHUNK;
        SMILE_CHECK(forward_chunk(p, x + r0 * in, m) != SMILE_OK, SMILE_ENUMERIC, msg, msg_len,
                    "forward pass failed on rows %zu..%zu", r0 + 1, r0 + m);
#pragma omp parallel for schedule(dynamic, 4) num_threads(p->threads)
        for (size_t i = 0; i < m; i++) {
            double *buf = p->row + (size_t)fit_predict_thread() * 2 * rw;
            regress_row(p, i, r0 + i, q, buf, buf + rw);
        }
    }
    return SMILE_OK;
}

smile_status smile_predictor_classify(smile_predictor *p, const float *x, size_t n,
                                      const smile_classification_request *q, char *msg,
                                      size_t msg_len) {
    SMILE_CHECK(!p || !q, SMILE_EINVAL, msg, msg_len, "predictor: NULL argument");
    SMILE_CHECK(p->rm.inputs == FIT_INPUTS_TEXT, SMILE_EINVAL, msg, msg_len,
                "this run is a text model: generate text from a prompt");
    SMILE_CHECK(p->rm.desc.likelihood != SMILE_LIK_CATEGORICAL, SMILE_EINVAL, msg, msg_len,
                "this run is a regression: use the predictive distribution of the target");
    const size_t C = p->n_out, S = p->S, in = smile_model_input_size(p->model);
    for (size_t i = 0; q->labels && i < n; i++)
        SMILE_CHECK(q->labels[i] < 0 || (size_t)q->labels[i] >= C, SMILE_EINVAL, msg, msg_len,
                    "row %zu: class %d outside 0..%zu", i + 1, q->labels[i], C - 1);
    SMILE_TRY(check_rows(p, x, n, msg, msg_len));
    const size_t rw = S > C ? S : C;
    smile_model_set_threads(1);
    for (size_t r0 = 0; r0 < n; r0 += CHUNK) {
        size_t m = n - r0 < CHUNK ? n - r0 : CHUNK;
        SMILE_CHECK(forward_chunk(p, x + r0 * in, m) != SMILE_OK, SMILE_ENUMERIC, msg, msg_len,
                    "forward pass failed on rows %zu..%zu", r0 + 1, r0 + m);
#pragma omp parallel for schedule(static) num_threads(p->threads)
        for (size_t i = 0; i < m; i++) {
            double *pbar = p->row + (size_t)fit_predict_thread() * 2 * rw, h, mi;
            smile_categorical_summary(p->comp + i * S * C, S, C, pbar, &h, &mi);
            size_t r = r0 + i, best = 0;
            for (size_t c = 1; c < C; c++)
                if (pbar[c] > pbar[best]) best = c;
            if (q->probs) memcpy(q->probs + r * C, pbar, C * sizeof *pbar);
            if (q->predicted) q->predicted[r] = (int32_t)best;
            if (q->entropy) q->entropy[r] = h;
            if (q->mutual_info) q->mutual_info[r] = mi;
            if (q->labels && q->log_prob) q->log_prob[r] = log(pbar[q->labels[r]]);
        }
    }
    return SMILE_OK;
}

smile_status smile_predictor_encode(const smile_predictor *p, const double *raw, size_t n,
                                    float *x, char *msg, size_t msg_len) {
    SMILE_CHECK(!p || (!raw && n) || (!x && n), SMILE_EINVAL, msg, msg_len,
                "predictor: NULL argument");
    const size_t in = smile_model_input_size(p->model);
    if (p->rm.inputs == FIT_INPUTS_STANDARDISED) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < p->rm.n_x; j++) {
                double v = raw[i * p->rm.n_x + j];
                SMILE_CHECK(!isfinite(v), SMILE_EINVAL, msg, msg_len,
                            "row %zu, feature %zu: not a finite number", i + 1, j + 1);
                x[i * in + j] = (float)((v - p->rm.x_mean[j]) / p->rm.x_sd[j]);
            }
        return SMILE_OK;
    }
    SMILE_CHECK(p->rm.inputs != FIT_INPUTS_TABLE, SMILE_EUNSUPPORTED, msg, msg_len,
                "this run's inputs are not table rows (images: read them with "
                "smile_predictor_read_rows; text: smile_predictor_generate)");
    const smile_table_schema *s = &p->rm.schema;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < s->n_features; j++) {
            const smile_table_feature *f = &s->features[j];
            double v = raw[i * s->n_features + j];
            SMILE_CHECK(!isfinite(v), SMILE_EINVAL, msg, msg_len,
                        "row %zu, column '%s': not a finite number", i + 1, f->name);
            if (f->kind == SMILE_COLUMN_NUMERIC) {
                x[i * in + f->offset] = (float)((v - f->mean) / f->sd);
                continue;
            }
            SMILE_CHECK(v < 0 || v >= (double)f->n_categories || v != floor(v), SMILE_EINVAL, msg,
                        msg_len, "row %zu, column '%s': category index %g outside 0..%zu", i + 1,
                        f->name, v, f->n_categories - 1);
            for (size_t c = 0; c < f->n_categories; c++)
                x[i * in + f->offset + c] = (float)(c == (size_t)v);
        }
    return SMILE_OK;
}

const char *smile_predictor_target_name(const smile_predictor *p) {
    return p && p->rm.inputs == FIT_INPUTS_TABLE && p->rm.schema.target ? p->rm.schema.target
                                                                         : "y";
}

void smile_predictor_rows_free(smile_predictor_rows *r) {
    if (!r) return;
    for (size_t i = 0; r->names && i < r->n; i++) free(r->names[i]);
    void *owned[] = {r->x, r->y, r->labels, r->line, r->names};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free(owned[i]);
    memset(r, 0, sizeof *r);
}

/* Rows of a run with a recorded table schema. */
static smile_status rows_from_schema(const smile_predictor *p, const smile_table *t,
                                     smile_predictor_rows *r, char *msg, size_t msg_len) {
    const smile_table_schema *s = &p->rm.schema;
    const size_t in = s->n_encoded, n0 = t->n_rows;
    size_t *idx = malloc(n0 * sizeof *idx);
    r->x = malloc(n0 * in * sizeof *r->x);
    r->labels = s->classify ? malloc(n0 * sizeof *r->labels) : NULL;
    SMILE_CHECK(!idx || !r->x || (s->classify && !r->labels), SMILE_ENOMEM, msg, msg_len,
                "%s: out of memory for %zu rows", t->path, n0);
    smile_status st = smile_table_encode(s, t, 2, r->x, NULL, r->labels, idx, &r->n,
                                         &r->has_target, msg, msg_len);
    if (st == SMILE_OK) {
        r->line = malloc(r->n * sizeof *r->line);
        if (!s->classify && r->has_target) r->y = malloc(r->n * sizeof *r->y);
        long tj = smile_table_schema_match(s, t, s->target_src, s->target);
        for (size_t i = 0; r->line && i < r->n; i++) {
            r->line[i] = t->line[idx[i]];
            if (r->y) smile_table_cell_number(t->cells[idx[i] * t->n_cols + (size_t)tj], &r->y[i]);
        }
        if (!r->line || (!s->classify && r->has_target && !r->y)) {
            smile_set_msg(msg, msg_len, "out of memory");
            st = SMILE_ENOMEM;
        }
    }
    if (st == SMILE_OK && !r->has_target) {
        free(r->labels);
        r->labels = NULL;
    }
    free(idx);
    return st;
}

/* Rows of a run on standardised numeric features (whitespace tables of the
 * paper's protocol): n_x features, then optionally the target. */
static smile_status rows_standardised(const smile_predictor *p, const smile_table *t,
                                      smile_predictor_rows *r, char *msg, size_t msg_len) {
    const size_t nx = p->rm.n_x, n = t->n_rows;
    SMILE_CHECK(t->n_cols != nx && t->n_cols != nx + 1, SMILE_EINVAL, msg, msg_len,
                "%s: %zu columns, expected %zu features (and optionally the target last)",
                t->path, t->n_cols, nx);
    r->has_target = t->n_cols == nx + 1;
    r->n = n;
    r->x = malloc(n * nx * sizeof *r->x);
    r->line = malloc(n * sizeof *r->line);
    r->y = r->has_target ? malloc(n * sizeof *r->y) : NULL;
    SMILE_CHECK(!r->x || !r->line || (r->has_target && !r->y), SMILE_ENOMEM, msg, msg_len,
                "%s: out of memory for %zu rows", t->path, n);
    for (size_t i = 0; i < n; i++) {
        r->line[i] = t->line[i];
        for (size_t j = 0; j < t->n_cols; j++) {
            double v;
            SMILE_CHECK(smile_table_cell_number(t->cells[i * t->n_cols + j], &v), SMILE_EFORMAT,
                        msg, msg_len, "%s: line %zu, column %zu: '%s' is not a number", t->path,
                        t->line[i], j + 1, t->cells[i * t->n_cols + j]);
            if (j < nx) r->x[i * nx + j] = (float)((v - p->rm.x_mean[j]) / p->rm.x_sd[j]);
            else r->y[i] = v;
        }
    }
    return SMILE_OK;
}

smile_status smile_predictor_read_rows(const smile_predictor *p, const char *path, int header,
                                       smile_predictor_rows *rows, char *msg, size_t msg_len) {
    SMILE_CHECK(!p || !path || !rows, SMILE_EINVAL, msg, msg_len, "predictor: NULL argument");
    memset(rows, 0, sizeof *rows);
    SMILE_CHECK(p->rm.inputs == FIT_INPUTS_TEXT, SMILE_EUNSUPPORTED, msg, msg_len,
                "this run's inputs are text, not rows: generate text from a prompt");
    if (p->rm.inputs == FIT_INPUTS_IMAGES) {
        smile_status st = fit_read_images(&p->rm, path, p->threads, rows, msg, msg_len);
        if (st != SMILE_OK) smile_predictor_rows_free(rows);
        return st;
    }
    smile_table t;
    smile_table_options o = smile_table_options_default();
    o.header = p->rm.inputs == FIT_INPUTS_STANDARDISED ? 0 : header;
    SMILE_TRY(smile_table_read(&t, path, &o, msg, msg_len));
    smile_status st = p->rm.inputs == FIT_INPUTS_TABLE ? rows_from_schema(p, &t, rows, msg, msg_len)
                                                       : rows_standardised(p, &t, rows, msg, msg_len);
    smile_table_free(&t);
    if (st != SMILE_OK) smile_predictor_rows_free(rows);
    return st;
}
