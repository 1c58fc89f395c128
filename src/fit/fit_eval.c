/* Evaluation of a fit run (experiments.md §0.2 step 4, metrics.md): the DE
 * phase (K members, S = 1; homoscedastic model: member-spread predictive of
 * metrics.md §1.2) and the sampling phase (all stored samples of the pooled
 * members, equal weights), on the whole test split in the standardised target
 * space ([proj] default of metrics.md §0.3). Text (metrics.md §6): the
 * evaluation windows of smile_fit (E§6.3 [ref] 128 random test windows drawn
 * once, or every non-overlapping window), every position scored as a
 * classification over the vocabulary: token LPPD, perplexity = exp(−LPPD),
 * majority-vote accuracy, per-chain accuracy/perplexity.
 *
 * Divergence report [proj] (issue 4). A member (DE member, or sampled chain)
 * is "diverged" when
 *   (a) any of its parameters / stored samples is non-finite, or
 *   (b) its score ℓ_k — the mean training log-likelihood per point,
 *       (1/N_train) Σ_i log p(y_i | x_i, θ), its median over up to
 *       diverge_max_samples (20) evenly spaced stored samples (DE: the member
 *       itself, σ = 1 for the homoscedastic model as in its training) — lies
 *       below  median_H − max(min_gap, mad_factor · 1.4826 · MAD_H),
 *       where H is the upper half (⌈n/2⌉ largest) of the n finite scores
 *       (defaults min_gap = 1 nat per training point, mad_factor = 5; healthy
 *       members spread up to 0.6 nats below median_H on UCI energy, docs/design.md).
 * Taking median and MAD over the upper half keeps the rule working when up
 * to half of the members diverged (a median over all members fails then, and
 * bad members inflate the MAD); the absolute floor keeps members that are all
 * alike (tiny MAD) from being flagged for differences that do not matter:
 * 1 nat per point is a likelihood ratio of e^{N}.
 * Diverged members are left out of the pooled metrics of their phase unless
 * include_diverged is set (or every member diverged, then all are pooled and
 * the report says so). */
#include "fit/fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *v, int n) {
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void smile_fit_diverged(const double *ll, int K, double min_gap, double mad_factor, int *out,
                        double *threshold) {
    double *v = malloc((size_t)(K > 0 ? K : 1) * sizeof(double));
    int n = 0;
    for (int k = 0; k < K; k++)
        if (isfinite(ll[k]) && v) v[n++] = ll[k];
    double thr = NAN;
    if (n > 0) {
        /* reference set H: the upper half of the finite scores, so that the
         * rule still works when up to half of the members diverged */
        qsort(v, (size_t)n, sizeof(double), cmp_double);
        int h = (n + 1) / 2;
        double *H = v + (n - h);
        double med = median_sorted(H, h);
        for (int i = 0; i < h; i++) H[i] = fabs(H[i] - med);
        qsort(H, (size_t)h, sizeof(double), cmp_double);
        double mad = median_sorted(H, h);
        double gap = mad_factor * 1.4826 * mad;
        thr = med - (gap > min_gap ? gap : min_gap);
    }
    for (int k = 0; k < K; k++) out[k] = !isfinite(ll[k]) || (n > 0 && ll[k] < thr);
    if (threshold) *threshold = thr;
    free(v);
}

typedef struct {
    smile_fit *f;
    smile_model_workspace **ws_test, **ws_train; /* [threads] */
    int nt;
    size_t out_size;
    const uint32_t *score_idx; /* text: strided training windows, else NULL */
    size_t n_score;
} evalctx;

static int tid(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static int finite_vec(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* Mean train log-likelihood per point over the first n_score training rows
 * (text: per token over n_score evenly strided training windows; NaN if not
 * finite). */
#define SCORE_MAX_ROWS 4096
#define SCORE_TEXT_WINDOWS 16
static double train_ll(evalctx *E, const float *theta) {
    smile_fit *f = E->f;
    size_t ns = E->n_score;
    double ll = 0;
    if (smile_model_loglik_grad(f->model, E->ws_train[tid()], theta, &f->train, E->score_idx, ns,
                                1.0, &ll, NULL) != SMILE_OK)
        return NAN;
    ll /= (double)ns * (double)(f->text ? f->T : 1);
    return isfinite(ll) ? ll : NAN;
}

/* Median of v[n] (n ≥ 1; sorts v). A member's score is the median over its
 * scored samples, not the mean: one sample taken while the chain briefly
 * mispredicted a few training points (e.g. just before the auto variants'
 * typical-set guard rolled it back) can lower a mean by more than a nat per
 * point, while the pooled predictive it enters barely changes (docs/design.md). */
#define SCORE_MAX_SAMPLES 256
static double median_of(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return median_sorted(v, (int)n);
}

/* raw test outputs out[n_eval × out_size] (μ | (μ, η) pairs | logits; text:
 * logits [n_eval × T × V] of the evaluation windows) */
static int predict(evalctx *E, const float *theta, float *out) {
    smile_fit *f = E->f;
    return smile_model_forward(f->model, E->ws_test[tid()], theta, &f->test, f->eval_idx,
                               f->n_eval, out) != SMILE_OK;
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static const cJSON *run_get(const cJSON *run, const char *phase, const char *key) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(run, phase);
    return p ? cJSON_GetObjectItemCaseSensitive(p, key) : NULL;
}

static void add_phase_stats(cJSON *o, const cJSON *run, const char *phase, const int *pooled,
                            int Kp) {
    const cJSON *s = run_get(run, phase, "seconds"), *g = run_get(run, phase, "grad_evals");
    cJSON_AddItemToObject(o, "seconds", cJSON_IsNumber(s) ? cJSON_CreateNumber(s->valuedouble)
                                                          : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "grad_evals", cJSON_IsNumber(g) ? cJSON_CreateNumber(g->valuedouble)
                                                             : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "n_members_pooled", Kp);
    cJSON *a = cJSON_AddArrayToObject(o, "members_pooled");
    for (int i = 0; a && i < Kp; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(pooled[i]));
}

/* pooled member list; returns the count, *all_flag = 1 if every member
 * diverged and all were pooled anyway */
static int pool(const int *div, int K, int include, int *pooled, int *fallback) {
    int n = 0;
    for (int k = 0; k < K; k++)
        if (include || !div[k]) pooled[n++] = k;
    *fallback = 0;
    if (n == 0) {
        for (int k = 0; k < K; k++) pooled[n++] = k;
        *fallback = 1;
    }
    return n;
}

static smile_metrics_params base_params(const smile_fit *f, int Kp) {
    smile_metrics_params p = smile_metrics_params_default();
    const int classif = smile_model_likelihood(f->model) == SMILE_LIK_CATEGORICAL;
    p.task = f->text  ? SMILE_METRICS_TEXT
             : classif ? SMILE_METRICS_CLASSIFICATION
                       : SMILE_METRICS_REGRESSION;
    p.n = f->n_test;
    p.n_classes = f->text ? smile_model_get_desc(f->model)->vocab
                  : classif ? smile_model_output_size(f->model)
                            : 0;
    p.n_chains = Kp;
    p.heteroscedastic = smile_model_likelihood(f->model) == SMILE_LIK_GAUSS_HETERO;
    p.y_scale = classif ? 0 : f->ds.y_std;
    p.seed = f->cfg.seed;
    return p;
}

/* Adds sample s of pooled chain i with raw outputs out[n × os] to acc. */
static smile_status acc_add(smile_metrics_acc *acc, const evalctx *E, int i, size_t s,
                            const float *out, double tau, float *mu, float *eta) {
    const size_t n = E->f->n_test, os = E->out_size;
    /* text: logits [n_eval][T][V] = [n_test][V], one point per position */
    if (smile_model_likelihood(E->f->model) == SMILE_LIK_CATEGORICAL || E->f->text)
        return smile_metrics_acc_add_logits(acc, i, s, 0, n, out);
    if (os == 1) return smile_metrics_acc_add_regression(acc, i, s, 0, n, out, NULL, tau);
    for (size_t t = 0; t < n; t++) {
        mu[t] = out[2 * t];
        eta[t] = out[2 * t + 1];
    }
    return smile_metrics_acc_add_regression(acc, i, s, 0, n, mu, eta, 0.0);
}

smile_status fit_evaluate(smile_fit *f, const float *theta_de, const cJSON *run,
                          int include_diverged, cJSON **out, char *msg, size_t msg_len) {
    const smile_fit_config *cfg = &f->cfg;
    const int K = cfg->members;
    const size_t d = f->d, n = f->n_test;
    /* text (M§6) is scored like a classifier over the vocabulary */
    const int classif = smile_model_likelihood(f->model) == SMILE_LIK_CATEGORICAL || f->text;
    double t0 = fit_now();
    *out = NULL;
    evalctx E;
    memset(&E, 0, sizeof E);
    E.f = f;
    E.nt = f->threads;
    E.out_size = smile_model_output_size(f->model);
    const size_t os = E.out_size, no = f->n_eval * os;
    E.ws_test = calloc((size_t)E.nt, sizeof *E.ws_test);
    E.ws_train = calloc((size_t)E.nt, sizeof *E.ws_train);
    /* per-member results */
    double *de_ll = calloc((size_t)K, sizeof(double)), *sm_ll = calloc((size_t)K, sizeof(double));
    int *de_nf = calloc((size_t)K, sizeof(int)), *sm_nf = calloc((size_t)K, sizeof(int));
    int *de_div = calloc((size_t)K, sizeof(int)), *sm_div = calloc((size_t)K, sizeof(int));
    int *pooled = calloc((size_t)K, sizeof(int)), *pooled_de = calloc((size_t)K, sizeof(int));
    size_t *rows = calloc((size_t)K, sizeof(size_t));
    float *out_de = malloc((size_t)K * no * sizeof(float)); /* [K][n × os] */
    float *mu_t = malloc(n * sizeof(float)), *eta_t = malloc(n * sizeof(float));
    smile_status st = (E.ws_test && E.ws_train && de_ll && sm_ll && de_nf && sm_nf && de_div &&
                       sm_div && pooled && pooled_de && rows && out_de && mu_t && eta_t)
                          ? SMILE_OK
                          : SMILE_ENOMEM;
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "evaluation: out of memory");
    /* evaluation batch: the FCN evaluates each split in one chunk (small
     * activations; one call per parameter vector), image models in chunks of
     * the sampler's batch */
    const int fcn = smile_model_get_desc(f->model)->kind == SMILE_MODEL_FCN;
    const size_t n_score = f->text ? (f->n_train < SCORE_TEXT_WINDOWS ? f->n_train
                                                                      : SCORE_TEXT_WINDOWS)
                          : f->n_train < SCORE_MAX_ROWS ? f->n_train
                                                        : SCORE_MAX_ROWS;
    E.n_score = n_score;
    uint32_t score_idx[SCORE_TEXT_WINDOWS];
    if (f->text) {
        for (size_t i = 0; i < n_score; i++) score_idx[i] = (uint32_t)(i * (f->n_train / n_score));
        E.score_idx = score_idx;
    }
    const size_t ne = f->n_eval;
    for (int t = 0; st == SMILE_OK && t < E.nt; t++) {
        st = smile_model_workspace_init(&E.ws_test[t], f->model,
                                        fcn || ne < cfg->batch ? ne : cfg->batch, msg, msg_len);
        if (st == SMILE_OK)
            st = smile_model_workspace_init(&E.ws_train[t], f->model,
                                            fcn || n_score < cfg->batch ? n_score : cfg->batch,
                                            msg, msg_len);
    }
    smile_metrics mde, mens;
    memset(&mde, 0, sizeof mde);
    memset(&mens, 0, sizeof mens);
    int have_mde = 0, have_mens = 0;
    cJSON *root = NULL;
    double de_thr = NAN, sm_thr = NAN;
    int de_fallback = 0, sm_fallback = 0, Kp_de = 0, Kp_sm = 0;
    const smile_metrics_phase ens_phase = SMILE_METRICS_PHASE_ENSEMBLE;

    /* ---- DE phase ---------------------------------------------------------------------- */
    if (st == SMILE_OK) {
        int bad = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(E.nt)
        for (int k = 0; k < K; k++) {
            const float *th = theta_de + (size_t)k * d;
            de_nf[k] = !finite_vec(th, d);
            de_ll[k] = de_nf[k] ? NAN : train_ll(&E, th);
            if (predict(&E, th, out_de + (size_t)k * no))
#pragma omp atomic write
                bad = 1;
        }
        if (bad) {
            st = SMILE_ENUMERIC;
            smile_set_msg(msg, msg_len, "evaluation: model forward pass failed");
        }
    }
    if (st == SMILE_OK) {
        smile_fit_diverged(de_ll, K, cfg->diverge_min_gap, cfg->diverge_mad_factor, de_div, &de_thr);
        for (int k = 0; k < K; k++) de_div[k] |= de_nf[k];
        Kp_de = pool(de_div, K, include_diverged, pooled_de, &de_fallback);
        smile_metrics_params p = base_params(f, Kp_de);
        p.phase = ens_phase;
        p.max_samples = 1;
        /* M§5.1: draws per member = n_samples / n_thinning ([proj] for the
         * homoscedastic mixture); classification: the accumulator's default */
        if (!classif) p.draws_per_sample = (size_t)(cfg->samples / cfg->thin);
        if (!classif && os == 1) {
            /* M§1.2 member-spread predictive: μ of the pooled members [Kp][n] */
            float *mu_p = malloc((size_t)Kp_de * n * sizeof(float));
            if (!mu_p) st = SMILE_ENOMEM;
            for (int i = 0; st == SMILE_OK && i < Kp_de; i++)
                memcpy(mu_p + (size_t)i * n, out_de + (size_t)pooled_de[i] * no, n * sizeof(float));
            if (st == SMILE_OK) st = smile_metrics_regression_de(&p, f->y_test, mu_p, &mde, msg, msg_len);
            free(mu_p);
        } else {
            smile_metrics_acc *acc = NULL;
            st = smile_metrics_acc_init(&acc, &p, classif ? NULL : f->y_test,
                                        classif ? f->labels_test : NULL, msg, msg_len);
            for (int i = 0; st == SMILE_OK && i < Kp_de; i++) {
                st = acc_add(acc, &E, i, 0, out_de + (size_t)pooled_de[i] * no, 0.0, mu_t, eta_t);
                if (st != SMILE_OK) smile_set_msg(msg, msg_len, "%s", smile_metrics_acc_error(acc));
            }
            if (st == SMILE_OK) st = smile_metrics_acc_finish(acc, &mde, msg, msg_len);
            smile_metrics_acc_free(acc);
        }
        have_mde = st == SMILE_OK;
    }

    /* ---- sampling phase: pass 1, scores and finiteness per chain ------------------------ */
    size_t S_max = 0;
    if (st == SMILE_OK) {
        int bad = 0;
        char bad_msg[512] = "";
#pragma omp parallel for schedule(dynamic, 1) num_threads(E.nt)
        for (int k = 0; k < K; k++) {
            char name[64], m2[512] = "";
            snprintf(name, sizeof name, "samples/member_%d.npy", k);
            char *p = fit_path(f, name);
            float *smp = NULL;
            size_t r = 0, c = 0;
            smile_status s2 = p ? smile_npy_read(p, &smp, &r, &c, m2, sizeof m2) : SMILE_ENOMEM;
            if (s2 == SMILE_OK && c != d) {
                snprintf(m2, sizeof m2, "%s: %zu columns, the model has %zu parameters", p, c, d);
                s2 = SMILE_EFORMAT;
            }
            if (s2 == SMILE_OK && r == 0) {
                snprintf(m2, sizeof m2, "%s: no samples", p);
                s2 = SMILE_EFORMAT;
            }
            if (s2 != SMILE_OK) {
#pragma omp critical(smile_eval_err)
                if (!bad) {
                    bad = 1;
                    memcpy(bad_msg, m2, sizeof bad_msg);
                }
            } else {
                rows[k] = r;
                sm_nf[k] = !finite_vec(smp, r * d);
                size_t J = (size_t)cfg->diverge_max_samples < r ? (size_t)cfg->diverge_max_samples : r;
                if (J > SCORE_MAX_SAMPLES) J = SCORE_MAX_SAMPLES;
                double sc[SCORE_MAX_SAMPLES];
                for (size_t j = 0; j < J && !sm_nf[k]; j++) {
                    /* evenly spaced, the last sample always included */
                    size_t s = (j + 1) * r / J - 1;
                    sc[j] = train_ll(&E, smp + s * d);
                    if (!isfinite(sc[j])) sc[j] = -INFINITY; /* a broken sample ranks last */
                }
                sm_ll[k] = sm_nf[k] ? NAN : median_of(sc, J);
                if (!isfinite(sm_ll[k])) sm_ll[k] = NAN;
            }
            free(smp);
            free(p);
        }
        if (bad) {
            st = SMILE_EFORMAT;
            smile_set_msg(msg, msg_len, "%s", bad_msg);
        }
    }
    if (st == SMILE_OK) {
        smile_fit_diverged(sm_ll, K, cfg->diverge_min_gap, cfg->diverge_mad_factor, sm_div, &sm_thr);
        for (int k = 0; k < K; k++) sm_div[k] |= sm_nf[k];
        Kp_sm = pool(sm_div, K, include_diverged, pooled, &sm_fallback);
        for (int i = 0; i < Kp_sm; i++)
            if (rows[pooled[i]] > S_max) S_max = rows[pooled[i]];
    }

    /* ---- sampling phase: pass 2, pooled predictions into the accumulator ---------------- */
    if (st == SMILE_OK) {
        smile_metrics_params p = base_params(f, Kp_sm);
        p.phase = SMILE_METRICS_PHASE_SAMPLING;
        p.max_samples = S_max;
        smile_metrics_acc *acc = NULL;
        st = smile_metrics_acc_init(&acc, &p, classif ? NULL : f->y_test,
                                    classif ? f->labels_test : NULL, msg, msg_len);
        float *pred = malloc(S_max * no * sizeof(float)); /* [S][n × os] of one chain */
        if (st == SMILE_OK && !pred) {
            st = SMILE_ENOMEM;
            smile_set_msg(msg, msg_len, "evaluation: out of memory");
        }
        for (int i = 0; st == SMILE_OK && i < Kp_sm; i++) {
            int k = pooled[i];
            char name[64];
            snprintf(name, sizeof name, "samples/member_%d.npy", k);
            char *path = fit_path(f, name);
            float *smp = NULL;
            size_t r = 0, c = 0;
            st = path ? smile_npy_read(path, &smp, &r, &c, msg, msg_len) : SMILE_ENOMEM;
            free(path);
            int bad = 0;
            if (st == SMILE_OK) {
#pragma omp parallel for schedule(static) num_threads(E.nt)
                for (size_t s = 0; s < r; s++) {
                    if (predict(&E, smp + s * d, pred + s * no))
#pragma omp atomic write
                        bad = 1;
                }
                if (bad) {
                    st = SMILE_ENUMERIC;
                    smile_set_msg(msg, msg_len, "evaluation: model forward pass failed");
                }
            }
            for (size_t s = 0; st == SMILE_OK && s < r; s++) {
                double tau = (!classif && os == 1 && f->log_sigma != SIZE_MAX)
                                 ? smp[s * d + f->log_sigma]
                                 : 0.0;
                st = acc_add(acc, &E, i, s, pred + s * no, tau, mu_t, eta_t);
                if (st != SMILE_OK)
                    smile_set_msg(msg, msg_len, "%s", smile_metrics_acc_error(acc));
            }
            free(smp);
        }
        if (st == SMILE_OK) {
            st = smile_metrics_acc_finish(acc, &mens, msg, msg_len);
            have_mens = st == SMILE_OK;
        }
        smile_metrics_acc_free(acc);
        free(pred);
    }

    /* ---- the built-in example: predictive bands for the plot ---------------------------- */
    if (st == SMILE_OK && !strcmp(cfg->data, SMILE_FIT_BUILTIN))
        st = fit_write_predictive(f, theta_de, pooled_de, Kp_de, pooled, Kp_sm, msg, msg_len);

    /* ---- metrics.json ------------------------------------------------------------------ */
    if (st == SMILE_OK) {
        root = cJSON_CreateObject();
        cJSON *de = cJSON_CreateObject(), *en = cJSON_CreateObject();
        if (!root || !de || !en) {
            cJSON_Delete(de);
            cJSON_Delete(en);
            st = SMILE_ENOMEM;
        } else {
            cJSON_AddStringToObject(root, "smile_version", smile_version());
            cJSON_AddStringToObject(root, "task", smile_data_task_name(cfg->task));
            cJSON_AddStringToObject(root, "data", cfg->data);
            cJSON_AddStringToObject(root, "sampler", smile_sampler_name(cfg->sampler.kind));
            char sb[32];
            snprintf(sb, sizeof sb, "%llu", (unsigned long long)cfg->seed);
            cJSON_AddStringToObject(root, "seed", sb);
            if (!classif) cJSON_AddStringToObject(root, "target_space", "standardised");
            st = smile_metrics_to_json(&mde, de);
            if (st == SMILE_OK) st = smile_metrics_to_json(&mens, en);
            if (classif) {
                /* M§3.1: the reference's reported accuracy is the majority vote */
                cJSON_AddItemToObject(de, "accuracy", num_or_null(mde.acc_majority));
                cJSON_AddItemToObject(en, "accuracy", num_or_null(mens.acc_majority));
            }
            add_phase_stats(de, run, "de", pooled_de, Kp_de);
            add_phase_stats(en, run, "sampling", pooled, Kp_sm);
            cJSON_AddBoolToObject(de, "pooled_all_because_all_diverged", de_fallback);
            cJSON_AddBoolToObject(en, "pooled_all_because_all_diverged", sm_fallback);
            cJSON_AddItemToObject(root, "de", de);
            cJSON_AddItemToObject(root, "ensemble", en);
            cJSON *rule = cJSON_AddObjectToObject(root, "divergence_rule");
            if (rule) {
                cJSON_AddStringToObject(
                    rule, "definition",
                    "diverged = non-finite parameters/samples, or score < median(H) - max(min_gap, "
                    "mad_factor*1.4826*MAD(H)), H = upper half of the finite scores, score = mean "
                    "training log-likelihood per point "
                    "(sampling: median over up to max_samples evenly spaced stored samples; "
                    "DE: sigma = 1 for the homoscedastic model)");
                cJSON_AddNumberToObject(rule, "min_gap", cfg->diverge_min_gap);
                cJSON_AddNumberToObject(rule, "mad_factor", cfg->diverge_mad_factor);
                cJSON_AddNumberToObject(rule, "max_samples", cfg->diverge_max_samples);
                cJSON_AddItemToObject(rule, "de_threshold", num_or_null(de_thr));
                cJSON_AddItemToObject(rule, "ensemble_threshold", num_or_null(sm_thr));
                cJSON_AddBoolToObject(rule, "include_diverged", include_diverged);
            }
            const cJSON *dm = run_get(run, "de", "members");
            const cJSON *cm = run_get(run, "sampling", "chains");
            cJSON *arr = cJSON_AddArrayToObject(root, "members");
            for (int k = 0; arr && k < K; k++) {
                cJSON *m = cJSON_CreateObject();
                if (!m) break;
                cJSON_AddNumberToObject(m, "member", k);
                cJSON *a = cJSON_AddObjectToObject(m, "de");
                if (a) {
                    cJSON_AddItemToObject(a, "train_loglik", num_or_null(de_ll[k]));
                    cJSON_AddBoolToObject(a, "nonfinite", de_nf[k]);
                    cJSON_AddBoolToObject(a, "diverged", de_div[k]);
                    const cJSON *r = cJSON_GetArrayItem(dm, k);
                    const char *keys[] = {"epochs", "best_epoch", "stopped_early",
                                          "best_valid_loss"};
                    for (int q = 0; r && q < 4; q++) {
                        const cJSON *it = cJSON_GetObjectItemCaseSensitive(r, keys[q]);
                        if (it) cJSON_AddItemToObject(a, keys[q], cJSON_Duplicate(it, 1));
                    }
                }
                cJSON *b = cJSON_AddObjectToObject(m, "sampling");
                if (b) {
                    cJSON_AddItemToObject(b, "train_loglik", num_or_null(sm_ll[k]));
                    cJSON_AddBoolToObject(b, "nonfinite", sm_nf[k]);
                    cJSON_AddBoolToObject(b, "diverged", sm_div[k]);
                    cJSON_AddNumberToObject(b, "samples", (double)rows[k]);
                    const cJSON *r = cJSON_GetArrayItem(cm, k);
                    const char *keys[] = {"resets", "nonfinite_steps", "final_step_size"};
                    for (int q = 0; r && q < 3; q++) {
                        const cJSON *it = cJSON_GetObjectItemCaseSensitive(r, keys[q]);
                        if (it) cJSON_AddItemToObject(b, keys[q], cJSON_Duplicate(it, 1));
                    }
                }
                cJSON_AddItemToArray(arr, m);
            }
            cJSON_AddNumberToObject(root, "seconds_eval", fit_now() - t0);
        }
    }
    if (have_mde) smile_metrics_free(&mde);
    if (have_mens) smile_metrics_free(&mens);
    for (int t = 0; t < E.nt; t++) {
        if (E.ws_test) smile_model_workspace_free(E.ws_test[t]);
        if (E.ws_train) smile_model_workspace_free(E.ws_train[t]);
    }
    free(E.ws_test);
    free(E.ws_train);
    free(de_ll);
    free(sm_ll);
    free(de_nf);
    free(sm_nf);
    free(de_div);
    free(sm_div);
    free(pooled);
    free(pooled_de);
    free(rows);
    free(out_de);
    free(mu_t);
    free(eta_t);
    if (st != SMILE_OK) {
        cJSON_Delete(root);
        return st;
    }
    *out = root;
    return SMILE_OK;
}
