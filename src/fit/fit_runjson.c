/* run.json: the reports of the deep-ensemble and sampling phases (epochs, early
 * stopping, gradient evaluations, per-chain counters and final step sizes), written
 * after each phase and read back when a resumed run skips a finished phase. */
#include "fit/fit_internal.h"

#include <math.h>
#include <string.h>

/* A phase of run.json: {"seconds", "grad_evals", list: [...]}; *a = the list. */
static cJSON *phase_report(double seconds, int64_t grad_evals, const char *list, cJSON **a) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "seconds", seconds);
    cJSON_AddNumberToObject(o, "grad_evals", (double)grad_evals);
    *a = cJSON_AddArrayToObject(o, list);
    return o;
}

cJSON *fit_de_report_json(const smile_fit *f) {
    cJSON *a = NULL;
    cJSON *o = phase_report(f->de_seconds, f->de_grad_evals, "members", &a);
    if (!o) return NULL;
    for (int k = 0; a && k < f->cfg.members; k++) {
        const smile_de_member_report *r = &f->de_rep[k];
        cJSON *m = fit_json_member(a, k);
        if (!m) break;
        cJSON_AddNumberToObject(m, "epochs", r->epochs);
        cJSON_AddBoolToObject(m, "stopped_early", r->stopped_early);
        cJSON_AddNumberToObject(m, "best_epoch", r->best_epoch);
        cJSON_AddItemToObject(m, "best_valid_loss", isfinite(r->best_valid_loss)
                                                        ? cJSON_CreateNumber(r->best_valid_loss)
                                                        : cJSON_CreateNull());
        cJSON_AddItemToObject(m, "last_valid_loss", isfinite(r->last_valid_loss)
                                                        ? cJSON_CreateNumber(r->last_valid_loss)
                                                        : cJSON_CreateNull());
        cJSON_AddNumberToObject(m, "updates", (double)r->updates);
        cJSON_AddBoolToObject(m, "restored_best", r->restored);
        cJSON_AddBoolToObject(m, "nonfinite_params", r->nonfinite);
    }
    return o;
}

/* Number (or boolean as 0/1) under key in o; dflt when absent or another type. */
static double json_num(const cJSON *o, const char *key, double dflt) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(x)) return x->valuedouble;
    if (cJSON_IsBool(x)) return cJSON_IsTrue(x);
    return dflt;
}

void fit_de_report_from_json(smile_fit *f, const cJSON *o) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "seconds");
    if (cJSON_IsNumber(it)) f->de_seconds = it->valuedouble;
    it = cJSON_GetObjectItemCaseSensitive(o, "grad_evals");
    if (cJSON_IsNumber(it)) f->de_grad_evals = (int64_t)it->valuedouble;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "members");
    for (int k = 0; k < f->cfg.members; k++) {
        smile_de_member_report *r = &f->de_rep[k];
        memset(r, 0, sizeof *r);
        r->best_valid_loss = r->last_valid_loss = NAN;
        const cJSON *m = cJSON_GetArrayItem(a, k);
        if (!m) continue;
        r->epochs = (int)json_num(m, "epochs", 0);
        r->stopped_early = json_num(m, "stopped_early", 0) != 0;
        r->best_epoch = (int)json_num(m, "best_epoch", 0);
        r->best_valid_loss = json_num(m, "best_valid_loss", r->best_valid_loss);
        r->last_valid_loss = json_num(m, "last_valid_loss", r->last_valid_loss);
        r->updates = (int64_t)json_num(m, "updates", 0);
        r->restored = json_num(m, "restored_best", 0) != 0;
        r->nonfinite = json_num(m, "nonfinite_params", 0) != 0;
    }
}

cJSON *fit_sampling_report_json(const smile_fit *f) {
    int64_t g = 0;
    for (int k = 0; k < f->cfg.members; k++) g += f->chains[k].n_grad;
    cJSON *a = NULL;
    cJSON *o = phase_report(f->sampling_seconds, g, "chains", &a);
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "rows", (double)f->n_post); /* rows conditioned on */
    for (int k = 0; a && k < f->cfg.members; k++) {
        const smile_chain *c = &f->chains[k];
        cJSON *m = fit_json_member(a, k);
        if (!m) break;
        cJSON_AddNumberToObject(m, "steps", (double)c->step);
        cJSON_AddNumberToObject(m, "grad_evals", (double)c->n_grad);
        cJSON_AddNumberToObject(m, "samples", (double)c->n_emitted);
        cJSON_AddNumberToObject(m, "resets", (double)c->n_resets);
        cJSON_AddNumberToObject(m, "nonfinite_steps", (double)c->n_nonfinite);
        cJSON_AddNumberToObject(m, "eps_up", (double)c->n_eps_up);
        cJSON_AddNumberToObject(m, "eps_down", (double)c->n_eps_down);
        cJSON_AddItemToObject(m, "final_step_size",
                              isfinite(c->eps) ? cJSON_CreateNumber(c->eps) : cJSON_CreateNull());
        cJSON_AddItemToObject(m, "final_L",
                              isfinite(c->L) ? cJSON_CreateNumber(c->L) : cJSON_CreateNull());
    }
    return o;
}

