/* metrics.json keys (snake_case; docs/method.md, section 11) and whole-array conveniences. */
#include "metrics/metrics_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* Non-finite numbers become null (JSON has no NaN). */
static int add_num(cJSON *o, const char *key, double v) {
    cJSON *it = isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
    return it && cJSON_AddItemToObject(o, key, it);
}

static int add_arr(cJSON *o, const char *key, const double *v, size_t n) {
    if (!v) return 1; /* not computed: key omitted */
    cJSON *a = cJSON_CreateArray();
    if (!a) return 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *it = isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull();
        if (!it || !cJSON_AddItemToArray(a, it)) {
            cJSON_Delete(a);
            return 0;
        }
    }
    return cJSON_AddItemToObject(o, key, a);
}

smile_status smile_metrics_to_json(const smile_metrics *m, struct cJSON *obj) {
    if (!m || !obj) return SMILE_EINVAL;
    size_t K = (size_t)m->n_chains;
    int ok = 1;
    ok &= add_num(obj, "n_test_evaluated", (double)m->n);
    ok &= cJSON_AddStringToObject(obj, "phase",
                                  m->phase == SMILE_METRICS_PHASE_ENSEMBLE
                                      ? "ensemble_initialization"
                                      : "sampling") != NULL;
    ok &= add_num(obj, "n_chains", (double)K);
    if (m->chain_samples) {
        double *cs = malloc((K ? K : 1) * sizeof(double));
        if (!cs) return SMILE_ENOMEM;
        for (size_t k = 0; k < K; k++) cs[k] = (double)m->chain_samples[k];
        ok &= add_arr(obj, "samples_per_chain", cs, K);
        free(cs);
    }
    /* section 11.2: all tasks */
    ok &= add_num(obj, "lppd", m->lppd);
    ok &= add_arr(obj, "chainwise_lppd", m->chainwise_lppd, K);
    ok &= add_arr(obj, "running_lppd", m->running_lppd, m->n_running);
    if (m->running_samples) {
        double *q = malloc((m->n_running ? m->n_running : 1) * sizeof(double));
        if (!q) return SMILE_ENOMEM;
        for (size_t j = 0; j < m->n_running; j++) q[j] = (double)m->running_samples[j];
        ok &= add_arr(obj, "running_lppd_samples", q, m->n_running);
        free(q);
    }
    ok &= add_arr(obj, "seq_chain_lppd", m->seq_chain_lppd, K);
    if (m->seq_chain_lppd_mean) {
        ok &= add_num(obj, "seq_chain_lppd_n_orderings", (double)m->n_orderings);
        ok &= add_arr(obj, "seq_chain_lppd_orderings_mean", m->seq_chain_lppd_mean, K);
        ok &= add_arr(obj, "seq_chain_lppd_orderings_std", m->seq_chain_lppd_std, K);
    }
    if (m->task == SMILE_METRICS_REGRESSION) {
        ok &= add_num(obj, "rmse", m->rmse);
        ok &= add_arr(obj, "chainwise_rmse", m->chainwise_rmse, K);
        for (size_t l = 0; l < m->n_levels; l++) {
            char key[48];
            snprintf(key, sizeof key, "coverage_%g", 100.0 * m->levels[l]);
            ok &= add_num(obj, key, m->coverage[l]);
            snprintf(key, sizeof key, "width_%g", 100.0 * m->levels[l]);
            ok &= add_num(obj, key, m->width[l]);
        }
        if (m->n_levels) {
            ok &= add_num(obj, "calib_error_rms", m->calib_error_rms);
            ok &= add_num(obj, "calib_error_reference", m->calib_error_reference);
            ok &= add_num(obj, "calib_gap", m->calib_gap);
            ok &= add_num(obj, "width_rounds", (double)m->width_rounds);
        }
        if (m->y_scale > 0) {
            ok &= add_num(obj, "lppd_original_units", m->lppd_orig);
            ok &= add_num(obj, "rmse_original_units", m->rmse_orig);
        }
    } else if (m->task == SMILE_METRICS_CLASSIFICATION) {
        ok &= add_num(obj, "acc_majority", m->acc_majority);
        ok &= add_num(obj, "acc_bma", m->acc_bma);
        ok &= add_num(obj, "nll_bma", m->nll_bma);
        ok &= add_num(obj, "nll_mean_sample", m->nll_mean_sample);
        ok &= add_num(obj, "brier", m->brier);
        ok &= add_num(obj, "ece_top_label", m->ece_top_label);
        cJSON *rel = cJSON_AddObjectToObject(obj, "reliability_top_label");
        ok &= rel != NULL;
        if (rel) {
            double cnt[SMILE_METRICS_ECE_BINS];
            for (int b = 0; b < SMILE_METRICS_ECE_BINS; b++) cnt[b] = (double)m->rel_count[b];
            ok &= add_arr(rel, "count", cnt, SMILE_METRICS_ECE_BINS);
            ok &= add_arr(rel, "acc", m->rel_acc, SMILE_METRICS_ECE_BINS);
            ok &= add_arr(rel, "conf", m->rel_conf, SMILE_METRICS_ECE_BINS);
        }
        ok &= add_num(obj, "ece_true_class", m->ece_true_class);
        ok &= add_num(obj, "ce_reference", m->ce_reference);
        ok &= add_num(obj, "f1_macro", m->f1_macro);
        ok &= add_num(obj, "auroc", m->auroc);
        ok &= add_num(obj, "aurc", m->aurc);
        ok &= add_arr(obj, "chain_accuracy", m->chain_accuracy, K);
    } else {
        ok &= add_num(obj, "accuracy", m->acc_majority);
        ok &= add_num(obj, "perplexity", m->perplexity);
        ok &= add_arr(obj, "chain_accuracy", m->chain_accuracy, K);
        ok &= add_arr(obj, "chain_perplexity", m->chain_perplexity, K);
        ok &= add_num(obj, "perplexity_mean_sample", m->perplexity_mean_sample);
    }
    /* section 11.9: a project addition, kept apart and labelled as such */
    cJSON *fs = cJSON_AddObjectToObject(obj, "function_space_proj");
    ok &= fs != NULL;
    if (fs) {
        ok &= cJSON_AddStringToObject(
                  fs, "note",
                  "project addition (docs/method.md, section 11.9), not in the reference: "
                  "split R-hat from half-chain means and variances, and the sum of the "
                  "chains' own ESS, of per-point predictions") != NULL;
        ok &= add_num(fs, "n_points", (double)m->fn_points);
        ok &= add_num(fs, "rhat_median", m->fn_rhat_median);
        ok &= add_num(fs, "rhat_p90", m->fn_rhat_p90);
        ok &= add_num(fs, "rhat_frac_above_1_01", m->fn_rhat_frac_above_1_01);
        ok &= add_num(fs, "ess_bulk_median", m->fn_ess_bulk_median);
    }
    return ok ? SMILE_OK : SMILE_ENOMEM;
}

/* Frees the accumulator a after the metrics into out (st OK), or after its
 * message (st: the failed add's status). */
static smile_status acc_end(smile_metrics_acc *a, smile_status st, smile_metrics *out, char *msg,
                            size_t msg_len) {
    if (st == SMILE_OK) st = smile_metrics_acc_finish(a, out, msg, msg_len);
    else smile_set_msg(msg, msg_len, "%s", smile_metrics_acc_error(a));
    smile_metrics_acc_free(a);
    return st;
}

smile_status smile_metrics_regression(const smile_metrics_params *p, const double *y,
                                      const float *mu, const float *log_sigma_pt,
                                      const double *log_sigma, smile_metrics *out, char *msg,
                                      size_t msg_len) {
    SMILE_CHECK(!p || !mu || !out, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    SMILE_CHECK(p->heteroscedastic ? !log_sigma_pt : (!log_sigma && !p->de_spread), SMILE_EINVAL,
                msg, msg_len, "metrics: missing log sigma input");
    smile_metrics_acc *a;
    SMILE_TRY(smile_metrics_acc_init(&a, p, y, NULL, msg, msg_len));
    size_t K = (size_t)p->n_chains, S = p->max_samples, n = p->n;
    smile_status st = SMILE_OK;
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; s < S; s++) {
            size_t ks = k * S + s;
            if (st == SMILE_OK)
                st = smile_metrics_acc_add_regression(
                    a, (int)k, s, 0, n, mu + ks * n, log_sigma_pt ? log_sigma_pt + ks * n : NULL,
                    log_sigma ? log_sigma[ks] : 0.0);
        }
    return acc_end(a, st, out, msg, msg_len);
}

smile_status smile_metrics_regression_de(const smile_metrics_params *p, const double *y,
                                         const float *mu, smile_metrics *out, char *msg,
                                         size_t msg_len) {
    SMILE_CHECK(!p, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    smile_metrics_params q = *p;
    q.task = SMILE_METRICS_REGRESSION;
    q.phase = SMILE_METRICS_PHASE_ENSEMBLE;
    q.de_spread = 1;
    q.heteroscedastic = 0;
    q.student_df = 0; /* the member-spread predictive is Gaussian */
    q.max_samples = 1;
    return smile_metrics_regression(&q, y, mu, NULL, NULL, out, msg, msg_len);
}

smile_status smile_metrics_classification(const smile_metrics_params *p, const int32_t *labels,
                                          const float *logits, smile_metrics *out, char *msg,
                                          size_t msg_len) {
    SMILE_CHECK(!p || !logits || !out, SMILE_EINVAL, msg, msg_len, "metrics: NULL argument");
    smile_metrics_acc *a;
    SMILE_TRY(smile_metrics_acc_init(&a, p, NULL, labels, msg, msg_len));
    size_t K = (size_t)p->n_chains, S = p->max_samples, n = p->n, C = p->n_classes;
    smile_status st = SMILE_OK;
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; st == SMILE_OK && s < S; s++)
            st = smile_metrics_acc_add_logits(a, (int)k, s, 0, n, logits + (k * S + s) * n * C);
    return acc_end(a, st, out, msg, msg_len);
}
