/* config.json ↔ smile_fit_config: every setting that changes results, plus
 * the library version. Most keys are driven by field tables, so that writing
 * and reading cannot drift apart; a key missing on reading keeps the task
 * default. */
#include "fit/fit_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- single values --------------------------------------------------------------------- */

/* Non-finite doubles as strings ("inf", "-inf", "nan"): JSON has no such numbers. */
static cJSON *num(double v) {
    if (isfinite(v)) return cJSON_CreateNumber(v);
    return cJSON_CreateString(isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

static int get_num(const cJSON *o, const char *key, double *v, char *msg, size_t msg_len) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0; /* keep the default */
    if (cJSON_IsNumber(it)) {
        *v = it->valuedouble;
        return 0;
    }
    if (cJSON_IsString(it)) {
        const char *s = it->valuestring;
        if (!strcmp(s, "inf")) *v = INFINITY;
        else if (!strcmp(s, "-inf")) *v = -INFINITY;
        else if (!strcmp(s, "nan")) *v = NAN;
        else {
            char *end;
            double x = strtod(s, &end);
            if (end == s || *end) {
                smile_set_msg(msg, msg_len, "config.json: key \"%s\" is not a number", key);
                return -1;
            }
            *v = x;
        }
        return 0;
    }
    smile_set_msg(msg, msg_len, "config.json: key \"%s\" is not a number", key);
    return -1;
}

static int get_int(const cJSON *o, const char *key, long long *v, char *msg, size_t msg_len) {
    double x = (double)*v;
    if (get_num(o, key, &x, msg, msg_len)) return -1;
    if (x != floor(x) || fabs(x) > 9007199254740992.0) {
        smile_set_msg(msg, msg_len, "config.json: key \"%s\" is not an integer", key);
        return -1;
    }
    *v = (long long)x;
    return 0;
}

static int get_bool(const cJSON *o, const char *key, int *v, char *msg, size_t msg_len) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    if (cJSON_IsBool(it)) {
        *v = cJSON_IsTrue(it);
        return 0;
    }
    if (cJSON_IsNumber(it)) {
        *v = it->valuedouble != 0;
        return 0;
    }
    smile_set_msg(msg, msg_len, "config.json: key \"%s\" is not a boolean", key);
    return -1;
}

static int get_enum(const cJSON *o, const char *key, const char *const *names, int n, int *v,
                    char *msg, size_t msg_len) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    int i = cJSON_IsString(it) ? smile_name_index(it->valuestring, names, n) : -1;
    if (i >= 0) {
        *v = i;
        return 0;
    }
    smile_set_msg(msg, msg_len, "config.json: key \"%s\" has an unknown value", key);
    return -1;
}

/* seeds may exceed 2^53: written as a decimal string */
static cJSON *u64_json(uint64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    return cJSON_CreateString(b);
}

static int get_u64(const cJSON *o, const char *key, uint64_t *v, char *msg, size_t msg_len) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble == floor(it->valuedouble)) {
        *v = (uint64_t)it->valuedouble;
        return 0;
    }
    if (cJSON_IsString(it) && it->valuestring[0] >= '0' && it->valuestring[0] <= '9') {
        char *end;
        unsigned long long x = strtoull(it->valuestring, &end, 10);
        if (!*end) {
            *v = x;
            return 0;
        }
    }
    smile_set_msg(msg, msg_len, "config.json: key \"%s\" is not an unsigned integer", key);
    return -1;
}

/* ---- field tables: one table drives both directions ------------------------------------ */

/* enum fields written by name */
static const char *const integrator_names[] = {"leapfrog", "mclachlan", "yoshida", "omelyan"};
static const char *const refresh_names[] = {"split_half", "once_after"};
static const char *const tuning_names[] = {"mile", "blackjax"};
static const char *const schedule_names[] = {"constant", "linear", "cosine_cyclic"};
static const char *const lr_names[] = {"constant", "linear", "warmup_cosine"};
static const char *const scale_names[] = {"n_over_b", "floor"};
static const char *const lik_names[] = {"default", "gauss_homo", "gauss_hetero", "categorical",
                                        "token"};
#define N_NAMES(tab) ((int)(sizeof tab / sizeof tab[0]))

/* SIZE: size_t, read as an integer with negative values clamped to 0. */
typedef enum { FT_DOUBLE, FT_INT, FT_I64, FT_SIZE, FT_BOOL, FT_ENUM } ftype;
typedef struct {
    const char *name;
    ftype type;
    size_t off;
    const char *const *names;
    int n_names;
} field;
#define N_FIELDS(tab) (sizeof tab / sizeof tab[0])

/* Enums are stored through int: every enum here has int-compatible storage
 * (values fit in int, and GCC/Clang give such enums the size of int). */
_Static_assert(sizeof(smile_integrator) == sizeof(int), "enum size");
_Static_assert(sizeof(smile_scale_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(smile_lr_kind) == sizeof(int), "enum size");

#define SP(f) offsetof(smile_sampler_params, f)
#define FD(f) {#f, FT_DOUBLE, SP(f), NULL, 0}
#define FI(f) {#f, FT_INT, SP(f), NULL, 0}
#define FE(f, tab) {#f, FT_ENUM, SP(f), tab, N_NAMES(tab)}
static const field sampler_fields[] = {
    FD(step_size), FE(integrator, integrator_names), FI(n_int), FD(L), FE(refresh, refresh_names),
    FE(mclmc_tuning, tuning_names), FD(mclmc_target_start), FD(mclmc_target_end),
    FD(mclmc_n_eff), FD(mclmc_trust), FD(mclmc_lfactor), FI(mclmc_max_coords),
    FI(mclmc_max_samples), FI(mclmc_init_L_sqrt_d), FI(mclmc_init_eps_from_d), FI(tuner),
    FD(reset_prob), FD(adaption_prob), FD(adaption_strength), FD(smoothing), FI(precond),
    FD(noise_ema_rate), FD(grad_clip), FI(reset_keeps_proposal_cache), FI(reference_sanitise),
    FI(reference_phase_boundary), FI(freeze_adaptation_in_sampling), FD(temperature),
    FD(sghmc_alpha), FD(sghmc_beta), FI(sghmc_resample_every), FD(mdecay),
    FD(momentum_resample_prob), FD(precond_floor), FD(auto_target), FD(auto_gain),
    FD(auto_clip), FD(auto_smoothing), FD(auto_reset_factor),
    {"schedule_kind", FT_ENUM, SP(schedule.kind), schedule_names, N_NAMES(schedule_names)},
    {"schedule_eps0", FT_DOUBLE, SP(schedule.eps0), NULL, 0},
    {"schedule_eps_end", FT_DOUBLE, SP(schedule.eps_end), NULL, 0},
    {"schedule_n_steps", FT_I64, SP(schedule.n_steps), NULL, 0},
    {"schedule_n_cycles", FT_INT, SP(schedule.n_cycles), NULL, 0},
    {"schedule_explore", FT_DOUBLE, SP(schedule.explore), NULL, 0},
};
#undef FD
#undef FI
#undef FE

/* Field f of struct S, written under its own name or under key. */
#define SF(S, f, t) {#f, t, offsetof(S, f), NULL, 0}
#define SK(S, key, f, t) {key, t, offsetof(S, f), NULL, 0}
#define SE(S, f, tab) {#f, FT_ENUM, offsetof(S, f), tab, N_NAMES(tab)}

#define LR(f, t) SF(smile_lr_schedule, f, t)
static const field lr_fields[] = {
    SE(smile_lr_schedule, kind, lr_names), LR(lr, FT_DOUBLE), LR(lr0, FT_DOUBLE),
    LR(lr1, FT_DOUBLE), LR(T, FT_I64), LR(init, FT_DOUBLE), LR(peak, FT_DOUBLE),
    LR(end, FT_DOUBLE), LR(W, FT_I64), LR(D, FT_I64),
};

#define CF(f, t) SF(smile_fit_config, f, t)
#define CK(key, f, t) SK(smile_fit_config, key, f, t)
/* top level, after the strings and the seed */
static const field run_fields[] = {
    CF(members, FT_INT), CF(warmup, FT_I64), CF(samples, FT_I64), CF(thin, FT_INT),
    CF(batch, FT_SIZE), SE(smile_fit_config, scale, scale_names),
    CF(reference_batching, FT_BOOL), CF(strict_sizes, FT_BOOL),
};
/* "model" object of the text task */
static const field gpt_fields[] = {
    CF(gpt_layers, FT_SIZE), CF(gpt_width, FT_SIZE), CF(gpt_heads, FT_SIZE),
    CF(context, FT_SIZE), CF(gpt_pre_ln, FT_BOOL),
};
static const field text_fields[] = {CF(text_eval_windows, FT_SIZE)};
static const field divergence_fields[] = {
    CK("min_gap", diverge_min_gap, FT_DOUBLE), CK("mad_factor", diverge_mad_factor, FT_DOUBLE),
    CK("max_samples", diverge_max_samples, FT_INT),
    CF(include_diverged, FT_BOOL),
};
static const field tail_fields[] = {CF(trace_every, FT_INT), CF(checkpoint_seconds, FT_DOUBLE)};

/* "deep_ensemble" object: before and after its "lr" object */
#define DE(f, t) SF(smile_de_params, f, t)
static const field de_fields[] = {
    DE(batch, FT_SIZE), DE(max_epochs, FT_INT), DE(patience, FT_INT),
    DE(weight_decay, FT_DOUBLE), DE(beta1, FT_DOUBLE), DE(beta2, FT_DOUBLE),
};
static const field de_flag_fields[] = {DE(reference_restore, FT_BOOL), DE(augment, FT_BOOL)};

static cJSON *field_json(const field *f, const char *p) {
    switch (f->type) {
    case FT_DOUBLE: return num(*(const double *)p);
    case FT_INT: return cJSON_CreateNumber(*(const int *)p);
    case FT_I64: return cJSON_CreateNumber((double)*(const int64_t *)p);
    case FT_SIZE: return cJSON_CreateNumber((double)*(const size_t *)p);
    case FT_BOOL: return cJSON_CreateBool(*(const int *)p);
    case FT_ENUM: {
        int v = *(const int *)p;
        return v >= 0 && v < f->n_names ? cJSON_CreateString(f->names[v]) : cJSON_CreateNumber(v);
    }
    }
    return NULL;
}

/* Adds the fields fs[n] of base to o; -1 when out of memory. */
static int fields_to_json(cJSON *o, const void *base, const field *fs, size_t n) {
    if (!o) return -1;
    for (size_t i = 0; i < n; i++) {
        cJSON *it = field_json(&fs[i], (const char *)base + fs[i].off);
        if (!it || !cJSON_AddItemToObject(o, fs[i].name, it)) {
            cJSON_Delete(it);
            return -1;
        }
    }
    return 0;
}

static int fields_from_json(const cJSON *o, void *base, const field *fs, size_t n, char *msg,
                            size_t msg_len) {
    for (size_t i = 0; i < n; i++) {
        char *p = (char *)base + fs[i].off;
        const char *key = fs[i].name;
        long long v;
        switch (fs[i].type) {
        case FT_DOUBLE:
            if (get_num(o, key, (double *)p, msg, msg_len)) return -1;
            break;
        case FT_INT:
            v = *(int *)p;
            if (get_int(o, key, &v, msg, msg_len)) return -1;
            *(int *)p = (int)v;
            break;
        case FT_I64:
            v = (long long)*(int64_t *)p;
            if (get_int(o, key, &v, msg, msg_len)) return -1;
            *(int64_t *)p = (int64_t)v;
            break;
        case FT_SIZE:
            v = (long long)*(size_t *)p;
            if (get_int(o, key, &v, msg, msg_len)) return -1;
            *(size_t *)p = v > 0 ? (size_t)v : 0;
            break;
        case FT_BOOL:
            if (get_bool(o, key, (int *)p, msg, msg_len)) return -1;
            break;
        case FT_ENUM:
            if (get_enum(o, key, fs[i].names, fs[i].n_names, (int *)p, msg, msg_len)) return -1;
            break;
        }
    }
    return 0;
}

/* ---- writing ----------------------------------------------------------------------------- */

static int model_to_json(cJSON *o, const smile_fit_config *c) {
    cJSON *m = cJSON_AddObjectToObject(o, "model");
    if (!m) return -1;
    cJSON_AddStringToObject(m, "kind", smile_model_kind_name(c->model));
    cJSON_AddStringToObject(m, "likelihood", lik_names[c->likelihood]);
    cJSON *h = cJSON_AddArrayToObject(m, "hidden");
    for (size_t i = 0; h && i < c->n_hidden; i++)
        cJSON_AddItemToArray(h, cJSON_CreateNumber((double)c->hidden[i]));
    cJSON_AddItemToObject(m, "prior_sigma", num(c->prior_sigma));
    if (c->activation != SMILE_ACT_RELU) /* absent: ReLU (runs before the option) */
        cJSON_AddStringToObject(m, "activation", smile_activation_name(c->activation));
    if (c->sigma_link != SMILE_SIGMA_EXP) /* absent: e^η (runs before the option) */
        cJSON_AddStringToObject(m, "sigma_link", smile_sigma_link_name(c->sigma_link));
    if (c->student_df != 0) /* absent: Gaussian noise (runs before the option) */
        cJSON_AddItemToObject(m, "student_df", num(c->student_df));
    if (c->task != SMILE_DATA_TEXT) return 0;
    if (fields_to_json(m, c, gpt_fields, N_FIELDS(gpt_fields))) return -1;
    return fields_to_json(o, c, text_fields, N_FIELDS(text_fields));
}

static int de_to_json(cJSON *o, const smile_de_params *de) {
    cJSON *d = cJSON_AddObjectToObject(o, "deep_ensemble");
    if (fields_to_json(d, de, de_fields, N_FIELDS(de_fields))) return -1;
    cJSON *lr = cJSON_CreateObject();
    if (fields_to_json(lr, &de->lr, lr_fields, N_FIELDS(lr_fields)) ||
        !cJSON_AddItemToObject(d, "lr", lr)) {
        cJSON_Delete(lr);
        return -1;
    }
    if (fields_to_json(d, de, de_flag_fields, N_FIELDS(de_flag_fields))) return -1;
    cJSON_AddStringToObject(d, "optimizer", "adamw");
    cJSON_AddNumberToObject(d, "adam_eps", 1e-8);
    return 0;
}

/* "table" object of the table task: files, columns, split. */
static const char *const table_task_names[] = {"auto", "regress", "classify"};
static const field table_fields[] = {
    CF(header, FT_INT), CF(table_task, FT_INT), CF(missing_drop, FT_BOOL),
    CF(split_train, FT_DOUBLE), CF(split_valid, FT_DOUBLE), CF(sample_valid, FT_BOOL),
};

static int table_to_json(cJSON *o, const smile_fit_config *c) {
    if (c->task != SMILE_DATA_TABLE) return 0;
    cJSON *t = cJSON_AddObjectToObject(o, "table");
    if (!t) return -1;
    cJSON_AddStringToObject(t, "test", c->test_data);
    cJSON_AddStringToObject(t, "valid", c->valid_data);
    cJSON_AddStringToObject(t, "target", c->target);
    cJSON_AddStringToObject(t, "features", c->features);
    cJSON_AddStringToObject(t, "drop", c->drop);
    cJSON_AddStringToObject(t, "kind", table_task_names[c->table_task]);
    return fields_to_json(t, c, table_fields, N_FIELDS(table_fields));
}

smile_status smile_fit_config_to_json(const smile_fit_config *c, struct cJSON **out) {
    if (!c || !out) return SMILE_EINVAL;
    *out = NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) return SMILE_ENOMEM;
    cJSON_AddStringToObject(o, "smile_version", smile_version());
    cJSON_AddStringToObject(o, "task", smile_data_task_name(c->task));
    cJSON_AddStringToObject(o, "data", c->data);
    cJSON_AddStringToObject(o, "out", c->out);
    cJSON_AddItemToObject(o, "seed", u64_json(c->seed));
    int bad = fields_to_json(o, c, run_fields, N_FIELDS(run_fields));
    if (c->de_from[0]) cJSON_AddStringToObject(o, "de_from", c->de_from);
    bad = bad || model_to_json(o, c);
    cJSON *s = cJSON_AddObjectToObject(o, "sampler");
    if (s) cJSON_AddStringToObject(s, "name", smile_sampler_name(c->sampler.kind));
    bad = bad || fields_to_json(s, &c->sampler, sampler_fields, N_FIELDS(sampler_fields));
    bad = bad || de_to_json(o, &c->de);
    bad = bad || fields_to_json(cJSON_AddObjectToObject(o, "divergence"), c, divergence_fields,
                                N_FIELDS(divergence_fields));
    bad = bad || fields_to_json(o, c, tail_fields, N_FIELDS(tail_fields));
    bad = bad || table_to_json(o, c);
    if (bad) {
        cJSON_Delete(o);
        return SMILE_ENOMEM;
    }
    *out = o;
    return SMILE_OK;
}

/* ---- reading ----------------------------------------------------------------------------- */

#define TRY_J(expr)                                                                                \
    do {                                                                                           \
        if (expr) return SMILE_EFORMAT;                                                            \
    } while (0)

static void get_path(const cJSON *j, const char *key, char *dst, size_t size) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, key);
    if (cJSON_IsString(s)) snprintf(dst, size, "%s", s->valuestring);
}

static smile_status model_from_json(const cJSON *m, smile_fit_config *c, char *msg,
                                    size_t msg_len) {
    const cJSON *mk = cJSON_GetObjectItemCaseSensitive(m, "kind");
    SMILE_CHECK(mk && (!cJSON_IsString(mk) ||
                       smile_model_kind_from_name(mk->valuestring, &c->model) != SMILE_OK),
                SMILE_EFORMAT, msg, msg_len, "config.json: unknown model kind");
    int e = (int)c->likelihood;
    TRY_J(get_enum(m, "likelihood", lik_names, N_NAMES(lik_names), &e, msg, msg_len));
    c->likelihood = (smile_likelihood_kind)e;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(m, "hidden");
    if (h) {
        SMILE_CHECK(!cJSON_IsArray(h) || cJSON_GetArraySize(h) < 1 ||
                        cJSON_GetArraySize(h) > SMILE_MODEL_MAX_HIDDEN,
                    SMILE_EFORMAT, msg, msg_len, "config.json: bad model.hidden");
        c->n_hidden = (size_t)cJSON_GetArraySize(h);
        for (size_t i = 0; i < c->n_hidden; i++) {
            const cJSON *w = cJSON_GetArrayItem(h, (int)i);
            SMILE_CHECK(!cJSON_IsNumber(w) || w->valuedouble < 1, SMILE_EFORMAT, msg, msg_len,
                        "config.json: bad model.hidden");
            c->hidden[i] = (size_t)w->valuedouble;
        }
    }
    TRY_J(get_num(m, "prior_sigma", &c->prior_sigma, msg, msg_len));
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(m, "activation");
    SMILE_CHECK(act && (!cJSON_IsString(act) ||
                        smile_activation_from_name(act->valuestring, &c->activation) != SMILE_OK),
                SMILE_EFORMAT, msg, msg_len, "config.json: unknown model.activation");
    const cJSON *link = cJSON_GetObjectItemCaseSensitive(m, "sigma_link");
    c->sigma_link = SMILE_SIGMA_EXP;
    SMILE_CHECK(link && (!cJSON_IsString(link) ||
                         smile_sigma_link_from_name(link->valuestring, &c->sigma_link) != SMILE_OK),
                SMILE_EFORMAT, msg, msg_len, "config.json: unknown model.sigma_link");
    c->student_df = 0;
    if (cJSON_GetObjectItemCaseSensitive(m, "student_df"))
        TRY_J(get_num(m, "student_df", &c->student_df, msg, msg_len));
    TRY_J(fields_from_json(m, c, gpt_fields, N_FIELDS(gpt_fields), msg, msg_len));
    return SMILE_OK;
}

static smile_status sampler_from_json(const cJSON *sp, smile_sampler_params *p, char *msg,
                                      size_t msg_len) {
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(sp, "name");
    smile_sampler_kind kind = p->kind;
    SMILE_CHECK(nm && (!cJSON_IsString(nm) ||
                       smile_sampler_from_name(nm->valuestring, &kind) != SMILE_OK),
                SMILE_EFORMAT, msg, msg_len, "config.json: unknown sampler");
    *p = smile_sampler_params_default(kind);
    TRY_J(fields_from_json(sp, p, sampler_fields, N_FIELDS(sampler_fields), msg, msg_len));
    return SMILE_OK;
}

static smile_status de_from_json(const cJSON *d, smile_de_params *de, char *msg, size_t msg_len) {
    TRY_J(fields_from_json(d, de, de_fields, N_FIELDS(de_fields), msg, msg_len));
    const cJSON *lr = cJSON_GetObjectItemCaseSensitive(d, "lr");
    if (cJSON_IsObject(lr))
        TRY_J(fields_from_json(lr, &de->lr, lr_fields, N_FIELDS(lr_fields), msg, msg_len));
    TRY_J(fields_from_json(d, de, de_flag_fields, N_FIELDS(de_flag_fields), msg, msg_len));
    return SMILE_OK;
}

static smile_status table_from_json(const cJSON *j, smile_fit_config *c, char *msg,
                                    size_t msg_len) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "table");
    if (c->task != SMILE_DATA_TABLE || !cJSON_IsObject(t)) return SMILE_OK;
    get_path(t, "test", c->test_data, sizeof c->test_data);
    get_path(t, "valid", c->valid_data, sizeof c->valid_data);
    get_path(t, "target", c->target, sizeof c->target);
    get_path(t, "features", c->features, sizeof c->features);
    get_path(t, "drop", c->drop, sizeof c->drop);
    c->sample_valid = 0; /* absent in runs made before --sample-rows: train */
    c->class_row = 0;    /* applied before config.json was written */
    TRY_J(fields_from_json(t, c, table_fields, N_FIELDS(table_fields), msg, msg_len));
    return SMILE_OK;
}

smile_status smile_fit_config_from_json(const struct cJSON *j, smile_fit_config *c, char *msg,
                                        size_t msg_len) {
    SMILE_CHECK(!j || !c || !cJSON_IsObject(j), SMILE_EFORMAT, msg, msg_len,
                "config.json: not a JSON object");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "task");
    smile_data_task task = SMILE_DATA_UCI;
    if (t) {
        SMILE_CHECK(!cJSON_IsString(t) || smile_data_task_from_name(t->valuestring, &task) != SMILE_OK,
                    SMILE_EFORMAT, msg, msg_len, "config.json: unknown task");
    }
    *c = smile_fit_config_default(task);
    c->sample_budget = 0; /* applied before config.json was written */
    get_path(j, "data", c->data, sizeof c->data);
    get_path(j, "out", c->out, sizeof c->out);
    get_path(j, "de_from", c->de_from, sizeof c->de_from);
    TRY_J(get_u64(j, "seed", &c->seed, msg, msg_len));
    TRY_J(fields_from_json(j, c, run_fields, N_FIELDS(run_fields), msg, msg_len));
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "model");
    if (cJSON_IsObject(m)) SMILE_TRY(model_from_json(m, c, msg, msg_len));
    TRY_J(fields_from_json(j, c, text_fields, N_FIELDS(text_fields), msg, msg_len));
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "sampler");
    if (cJSON_IsObject(sp)) SMILE_TRY(sampler_from_json(sp, &c->sampler, msg, msg_len));
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "deep_ensemble");
    if (cJSON_IsObject(d)) SMILE_TRY(de_from_json(d, &c->de, msg, msg_len));
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(j, "divergence");
    if (cJSON_IsObject(dv))
        TRY_J(fields_from_json(dv, c, divergence_fields, N_FIELDS(divergence_fields), msg,
                               msg_len));
    TRY_J(fields_from_json(j, c, tail_fields, N_FIELDS(tail_fields), msg, msg_len));
    return table_from_json(j, c, msg, msg_len);
}

smile_status smile_fit_config_load(const char *dir, smile_fit_config *c, char *msg, size_t msg_len) {
    SMILE_CHECK(!dir || !c, SMILE_EINVAL, msg, msg_len, "NULL argument");
    char *cp = smile_path_join(dir, "config.json");
    SMILE_CHECK(!cp, SMILE_ENOMEM, msg, msg_len, "out of memory");
    cJSON *cj = NULL;
    smile_status st = smile_json_read_file(cp, &cj, msg, msg_len);
    free(cp);
    SMILE_TRY(st);
    st = smile_fit_config_from_json(cj, c, msg, msg_len);
    cJSON_Delete(cj);
    return st;
}
