/* metrics.json of a fit run: run identity, the metrics of the DE phase ("de")
 * and of the pooled samples ("ensemble") with their run statistics, the
 * divergence rule and its thresholds, and one record per member. */
#include "fit/fit_internal.h"

#include <math.h>
#include <stdio.h>

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static const cJSON *run_get(const cJSON *run, const char *phase, const char *key) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(run, phase);
    return p ? cJSON_GetObjectItemCaseSensitive(p, key) : NULL;
}

/* Copies the keys of src that exist into dst. */
static void copy_keys(cJSON *dst, const cJSON *src, const char *const *keys, int n) {
    for (int q = 0; src && q < n; q++) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(src, keys[q]);
        if (it) cJSON_AddItemToObject(dst, keys[q], cJSON_Duplicate(it, 1));
    }
}

/* The phase object: metrics, accuracy (classification), wall time and
 * gradient evaluations from run.json, pooled members. */
static smile_status phase_json(cJSON *o, const fit_phase *ph, int classif, const cJSON *run,
                               const char *run_phase) {
    SMILE_TRY(smile_metrics_to_json(&ph->m, o));
    /* the reference implementation reports the majority-vote accuracy
     * (docs/method.md, section 11.6) */
    if (classif) cJSON_AddItemToObject(o, "accuracy", num_or_null(ph->m.acc_majority));
    const cJSON *s = run_get(run, run_phase, "seconds"), *g = run_get(run, run_phase, "grad_evals");
    cJSON_AddItemToObject(o, "seconds", cJSON_IsNumber(s) ? cJSON_CreateNumber(s->valuedouble)
                                                          : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "grad_evals", cJSON_IsNumber(g) ? cJSON_CreateNumber(g->valuedouble)
                                                             : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "n_members_pooled", ph->Kp);
    cJSON *a = cJSON_AddArrayToObject(o, "members_pooled");
    for (int i = 0; a && i < ph->Kp; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(ph->pooled[i]));
    return SMILE_OK;
}

static void add_rule(cJSON *root, const smile_fit_config *cfg, int include_diverged,
                     const fit_phase *de, const fit_phase *sm) {
    cJSON *rule = cJSON_AddObjectToObject(root, "divergence_rule");
    if (!rule) return;
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
    cJSON_AddItemToObject(rule, "de_threshold", num_or_null(de->threshold));
    cJSON_AddItemToObject(rule, "ensemble_threshold", num_or_null(sm->threshold));
    cJSON_AddBoolToObject(rule, "include_diverged", include_diverged);
}

/* Score, finiteness and verdict of member k in one phase. */
static cJSON *member_phase(cJSON *m, const char *name, const fit_phase *ph, int k) {
    cJSON *a = cJSON_AddObjectToObject(m, name);
    if (!a) return NULL;
    cJSON_AddItemToObject(a, "train_loglik", num_or_null(ph->ll[k]));
    cJSON_AddBoolToObject(a, "nonfinite", ph->nonfinite[k]);
    cJSON_AddBoolToObject(a, "diverged", ph->diverged[k]);
    return a;
}

static void add_members(cJSON *root, int K, const cJSON *run, const fit_phase *de,
                        const fit_phase *sm) {
    static const char *const de_keys[] = {"epochs", "best_epoch", "stopped_early",
                                          "best_valid_loss"};
    static const char *const chain_keys[] = {"resets", "nonfinite_steps", "final_step_size"};
    const cJSON *dm = run_get(run, "de", "members");
    const cJSON *cm = run_get(run, "sampling", "chains");
    cJSON *arr = cJSON_AddArrayToObject(root, "members");
    for (int k = 0; arr && k < K; k++) {
        cJSON *m = fit_json_member(arr, k);
        if (!m) break;
        cJSON *a = member_phase(m, "de", de, k);
        if (a) copy_keys(a, cJSON_GetArrayItem(dm, k), de_keys, 4);
        cJSON *b = member_phase(m, "sampling", sm, k);
        if (b) {
            cJSON_AddNumberToObject(b, "samples", (double)sm->rows[k]);
            copy_keys(b, cJSON_GetArrayItem(cm, k), chain_keys, 3);
        }
    }
}

cJSON *fit_json_member(cJSON *a, int k) {
    cJSON *m = cJSON_CreateObject();
    if (!m) return NULL;
    cJSON_AddNumberToObject(m, "member", k);
    if (!cJSON_AddItemToArray(a, m)) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

smile_status fit_report(const smile_fit *f, const cJSON *run, int include_diverged,
                        const fit_phase *de, const fit_phase *sm, double t0, cJSON **out) {
    const smile_fit_config *cfg = &f->cfg;
    /* text is scored like a classifier over the vocabulary */
    const int classif = smile_model_likelihood(f->model) == SMILE_LIK_CATEGORICAL || f->text;
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *dj = cJSON_CreateObject(), *en = cJSON_CreateObject();
    if (!root || !dj || !en) {
        cJSON_Delete(root);
        cJSON_Delete(dj);
        cJSON_Delete(en);
        return SMILE_ENOMEM;
    }
    cJSON_AddStringToObject(root, "smile_version", smile_version());
    cJSON_AddStringToObject(root, "task", smile_data_task_name(cfg->task));
    cJSON_AddStringToObject(root, "data", cfg->data);
    cJSON_AddStringToObject(root, "sampler", smile_sampler_name(cfg->sampler.kind));
    char sb[32];
    snprintf(sb, sizeof sb, "%llu", (unsigned long long)cfg->seed);
    cJSON_AddStringToObject(root, "seed", sb);
    if (!classif) cJSON_AddStringToObject(root, "target_space", "standardised");
    smile_status st = phase_json(dj, de, classif, run, "de");
    if (st == SMILE_OK) st = phase_json(en, sm, classif, run, "sampling");
    cJSON_AddBoolToObject(dj, "pooled_all_because_all_diverged", de->fallback);
    cJSON_AddBoolToObject(en, "pooled_all_because_all_diverged", sm->fallback);
    cJSON_AddItemToObject(root, "de", dj);
    cJSON_AddItemToObject(root, "ensemble", en);
    add_rule(root, cfg, include_diverged, de, sm);
    add_members(root, cfg->members, run, de, sm);
    cJSON_AddNumberToObject(root, "seconds_eval", fit_now() - t0);
    if (st != SMILE_OK) {
        cJSON_Delete(root);
        return st;
    }
    *out = root;
    return SMILE_OK;
}
