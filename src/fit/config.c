/* Configuration of the fit pipeline: spec defaults (experiments.md §2.5,
 * §2.6, samplers.md §11), validation with messages that name the CLI option,
 * and the config.json round trip (every setting that changes results). */
#include "fit/fit_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

smile_fit_config smile_fit_config_default(smile_data_task task) {
    smile_fit_config c;
    memset(&c, 0, sizeof c);
    c.task = task;
    c.seed = 1;
    /* E§2.6 SMILE study, pSMILE-naive row (issue 4: the default sampler) */
    c.members = 10;
    c.warmup = 50000;
    c.samples = 10000;
    c.thin = 10;
    c.batch = 256;
    /* [ours] issue 6: psmile-auto measured at least as good as the best
     * fixed-ε pSMILE-naive on every UCI data set, no member diverged
     * (docs/tuner.md, docs/results.md); ε = 1e-3 is only its start. The image
     * and text tasks keep the spec's pSMILE-naive rows (step sizes below). */
    const int image_or_text = task == SMILE_DATA_FMNIST || task == SMILE_DATA_CIFAR10 ||
                              task == SMILE_DATA_IMAGENETTE || task == SMILE_DATA_TEXT;
    c.sampler = smile_sampler_params_default(image_or_text ? SMILE_SAMPLER_PSMILE_NAIVE
                                                           : SMILE_SAMPLER_PSMILE_AUTO);
    c.sampler.step_size = 1e-3;
    /* E§0.3: n_b = max(1, ⌊N_train/B⌋) [ref], no [proj] override there, and
     * S§1.3 leaves the choice to the experiments spec. */
    c.scale = SMILE_SCALE_FLOOR;
    c.reference_batching = 0;
    c.likelihood = SMILE_LIK_GAUSS_HOMO;
    c.n_hidden = 3;
    c.hidden[0] = c.hidden[1] = c.hidden[2] = 16;
    c.prior_sigma = 1.0;
    c.de = smile_de_params_default();
    c.diverge_min_gap = 1.0;
    c.diverge_mad_factor = 5.0;
    c.diverge_max_samples = 20;
    c.include_diverged = 0;
    c.trace_every = 10;
    c.checkpoint_seconds = 30.0;
    c.model = SMILE_MODEL_FCN;
    c.strict_sizes = 1;
    /* E§6.2 GPT sizes, E§6.3 [ref] evaluation windows (used by TEXT only) */
    c.gpt_layers = 6;
    c.gpt_width = 384;
    c.gpt_heads = 6;
    c.context = 256;
    c.gpt_pre_ln = 0;
    c.text_eval_windows = 128;
    switch (task) {
    case SMILE_DATA_FMNIST: /* E§3.3 */
        c.model = SMILE_MODEL_LENET;
        c.likelihood = SMILE_LIK_CATEGORICAL;
        c.members = 8;
        c.warmup = 5000;
        c.thin = 100;
        c.batch = 512;
        c.sampler.step_size = 1e-2;
        c.de.lr.lr = 1e-3;
        c.de.weight_decay = 0.02;
        c.de.batch = 64;
        c.de.max_epochs = 10000;
        c.de.patience = 20;
        break;
    case SMILE_DATA_CIFAR10: /* E§4.7, ResNet-7 pSMILE-naive row */
        c.model = SMILE_MODEL_RESNET7;
        c.likelihood = SMILE_LIK_CATEGORICAL;
        c.members = 8;
        c.warmup = 5000;
        c.thin = 100;
        c.batch = 512;
        c.sampler.step_size = 1e-5;
        c.de.lr.kind = SMILE_LR_WARMUP_COSINE;
        c.de.lr.init = 1e-5;
        c.de.lr.peak = 2e-3;
        c.de.lr.W = 5000;
        c.de.lr.end = 5e-4;
        c.de.lr.D = 250000;
        c.de.weight_decay = 1e-4;
        c.de.batch = 64;
        c.de.max_epochs = 400;
        c.de.patience = 20;
        c.de.augment = 1;
        break;
    case SMILE_DATA_IMAGENETTE: /* E§5.4 */
        c.model = SMILE_MODEL_VIT;
        c.likelihood = SMILE_LIK_CATEGORICAL;
        c.members = 4;
        c.warmup = 5000;
        c.thin = 100;
        c.batch = 128;
        c.sampler.step_size = 1e-2;
        c.de.lr.kind = SMILE_LR_WARMUP_COSINE;
        c.de.lr.init = 1e-6;
        c.de.lr.peak = 1e-3;
        c.de.lr.W = 740;
        c.de.lr.end = 1e-5;
        c.de.lr.D = 22400;
        c.de.weight_decay = 0.1;
        c.de.batch = 128;
        c.de.max_epochs = 300;
        c.de.patience = 300;
        c.de.augment = 1;
        break;
    case SMILE_DATA_TEXT: /* E§6.3 (pSMILE-naive: the tool's default sampler) */
        c.model = SMILE_MODEL_GPT;
        c.likelihood = SMILE_LIK_TOKEN;
        c.members = 4;
        c.warmup = 200;
        c.samples = 1000;
        c.thin = 100;
        c.batch = 128;
        c.sampler.step_size = 3e-4;
        c.de.beta1 = 0.9;
        c.de.beta2 = 0.95;
        c.de.weight_decay = 0.05;
        c.de.lr.kind = SMILE_LR_LINEAR;
        c.de.lr.lr0 = 3e-4;
        c.de.lr.lr1 = 2.5e-4;
        c.de.lr.T = 1890;
        c.de.batch = 64;
        c.de.max_epochs = 30;
        c.de.patience = 30;
        break;
    default: break;
    }
    return c;
}

/* ---- presets: the paper's experiment settings ------------------------------------------ */

typedef struct {
    const char *name, *summary;
    smile_data_task task;
} preset;

static const preset presets[] = {
    {"smile-uci", "E2.5-2.6 SMILE study: FCN 16-16-16 homoscedastic, pSMILE-naive, K 10, "
                  "W 50000, S 10000, thin 10, B 256, eps 1e-3; DE lr 1e-2, wd 5e-3, batch 64",
     SMILE_DATA_UCI},
    {"mile-uci", "E2.5-2.6 MILE paper: FCN 16-16 heteroscedastic, MCLMC full batch (MILE "
                 "tuning), K 12, W 50000, S 10000, thin 10, eps 1e-3; DE lr 1e-3, wd 1e-3, "
                 "batch 32, 500 epochs, patience 10",
     SMILE_DATA_UCI},
    {"fmnist-lenet", "E3.3: LeNet, pSMILE-naive, K 8, W 5000, S 10000, thin 100, B 512, "
                     "eps 1e-2; DE lr 1e-3, wd 0.02, batch 64, patience 20",
     SMILE_DATA_FMNIST},
    {"cifar10-resnet7", "E4.7: ResNet-7, pSMILE-naive, K 8, W 5000, S 10000, thin 100, B 512, "
                        "eps 1e-5; DE warm-up cosine 1e-5 -> 2e-3 -> 5e-4, wd 1e-4, 400 epochs",
     SMILE_DATA_CIFAR10},
    {"cifar10-resnet18", "E4.7: ResNet-18, pSMILE (0.98, 0.1, 0.02, 0.01), K 8, W 5000, "
                         "S 10000, thin 100, B 512, eps 1e-2; DE as cifar10-resnet7",
     SMILE_DATA_CIFAR10},
    {"imagenette-vit", "E5.4: ViT, pSMILE (0.98, 0.1, 0.02, 0.01), K 4, W 5000, S 10000, "
                       "thin 100, B 128, eps 1e-2; DE warm-up cosine 1e-6 -> 1e-3 -> 1e-5, "
                       "wd 0.1, 300 epochs",
     SMILE_DATA_IMAGENETTE},
    {"shakespeare-gpt", "E6.3: GPT 6x384, 6 heads, T 256, pSMILE (0.98, 0.1, 0.02, 0.01), K 4, "
                        "W 200, S 1000, thin 100, B 128 windows, eps 3e-4; DE AdamW (0.9, 0.95), "
                        "wd 0.05, linear lr 3e-4 -> 2.5e-4 over 1890, batch 64, 30 epochs",
     SMILE_DATA_TEXT},
};
#define N_PRESETS (sizeof presets / sizeof presets[0])

const char *smile_fit_preset_name(size_t i, const char **summary) {
    if (i >= N_PRESETS) return NULL;
    if (summary) *summary = presets[i].summary;
    return presets[i].name;
}

/* the tuned SMILE-family constants of E§7.1 (r, α, δ, β) = (0.98, 0.1, 0.02, 0.01) */
static void set_psmile_tuned(smile_fit_config *c, double eps) {
    c->sampler = smile_sampler_params_default(SMILE_SAMPLER_PSMILE);
    c->sampler.step_size = eps;
    c->sampler.reset_prob = 0.98;
    c->sampler.adaption_prob = 0.1;
    c->sampler.adaption_strength = 0.02;
    c->sampler.smoothing = 0.01;
}

smile_status smile_fit_config_preset(const char *name, smile_fit_config *c, char *msg,
                                     size_t msg_len) {
    SMILE_CHECK(!name || !c, SMILE_EINVAL, msg, msg_len, "NULL argument");
    const preset *p = NULL;
    for (size_t i = 0; i < N_PRESETS; i++)
        if (!strcmp(name, presets[i].name)) p = &presets[i];
    if (!p) {
        char list[512] = "";
        size_t o = 0;
        for (size_t i = 0; i < N_PRESETS && o < sizeof list; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
                                  presets[i].name);
        SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len, "--preset: unknown preset '%s' (%s)", name,
                    list);
    }
    smile_fit_config d = smile_fit_config_default(p->task);
    memcpy(d.data, c->data, sizeof d.data);
    memcpy(d.out, c->out, sizeof d.out);
    *c = d;
    if (!strcmp(p->name, "mile-uci")) {
        /* E§2.4 heteroscedastic 16-16-2 model, E§2.5 row 2 DE, E§2.6 / §7.2
         * MILE paper column: K 12, full-batch MCLMC, ε0 1e-3 */
        c->likelihood = SMILE_LIK_GAUSS_HETERO;
        c->n_hidden = 2;
        c->hidden[0] = c->hidden[1] = 16;
        c->members = 12;
        c->sampler = smile_sampler_params_default(SMILE_SAMPLER_MCLMC);
        c->sampler.step_size = 1e-3;
        c->de.lr.kind = SMILE_LR_CONSTANT;
        c->de.lr.lr = 1e-3;
        c->de.weight_decay = 1e-3;
        c->de.batch = 32;
        c->de.max_epochs = 500;
        c->de.patience = 10;
    } else if (!strcmp(p->name, "cifar10-resnet18")) {
        c->model = SMILE_MODEL_RESNET18;
        set_psmile_tuned(c, 1e-2);
    } else if (!strcmp(p->name, "imagenette-vit")) {
        set_psmile_tuned(c, 1e-2);
    } else if (!strcmp(p->name, "shakespeare-gpt")) {
        set_psmile_tuned(c, 3e-4);
    } else if (!strcmp(p->name, "smile-uci")) { /* the paper's row, not our default */
        c->sampler = smile_sampler_params_default(SMILE_SAMPLER_PSMILE_NAIVE);
        c->sampler.step_size = 1e-3;
    }
    /* fmnist-lenet, cifar10-resnet7: the task defaults are these rows */
    return SMILE_OK;
}

static int is_image_task(smile_data_task t) {
    return t == SMILE_DATA_FMNIST || t == SMILE_DATA_CIFAR10 || t == SMILE_DATA_IMAGENETTE;
}

#define REQ(cond, ...) SMILE_CHECK(!(cond), SMILE_EINVAL, msg, msg_len, __VA_ARGS__)

smile_status smile_fit_config_validate(const smile_fit_config *c, char *msg, size_t msg_len) {
    REQ(c, "NULL configuration");
    REQ(c->task == SMILE_DATA_UCI || is_image_task(c->task) || c->task == SMILE_DATA_TEXT,
        "--task %s: not supported by smile fit (uci, fmnist, cifar10, imagenette, text)",
        smile_data_task_name(c->task));
    if (c->task == SMILE_DATA_UCI)
        REQ(c->model == SMILE_MODEL_FCN, "--model: the uci task uses the fcn model");
    else if (c->task == SMILE_DATA_TEXT) {
        REQ(c->model == SMILE_MODEL_GPT, "--model: the text task uses the gpt model");
        REQ(c->likelihood == SMILE_LIK_TOKEN, "--likelihood: the text task is per-token categorical");
        REQ(c->gpt_layers >= 1 && c->gpt_layers <= 256, "--gpt-layers must be in 1..256");
        REQ(c->gpt_width >= 1 && c->gpt_heads >= 1 && c->gpt_width % c->gpt_heads == 0,
            "--gpt-heads %zu must divide --gpt-width %zu", c->gpt_heads, c->gpt_width);
        REQ(c->context >= 1 && c->context <= 65536, "--context must be in 1..65536");
        REQ(c->sampler.kind != SMILE_SAMPLER_MCLMC,
            "--sampler mclmc: full-batch sampling is not supported for the text task");
        REQ(!c->reference_batching, "--reference-batching: the text task uses random windows");
    } else
        REQ(c->model == SMILE_MODEL_LENET || c->model == SMILE_MODEL_RESNET7 ||
                c->model == SMILE_MODEL_RESNET18 || c->model == SMILE_MODEL_VIT,
            "--model %s: image tasks take lenet, resnet7, resnet18 or vit",
            smile_model_kind_name(c->model));
    REQ(c->data[0], "--data: no input file given");
    REQ(c->out[0], "--out: no output directory given");
    REQ(c->members >= 1 && c->members <= 4096, "--members must be in 1..4096 (got %d)",
        c->members);
    REQ(c->warmup >= 0, "--warmup must be >= 0");
    REQ(c->samples >= 1, "--samples must be >= 1");
    REQ(c->thin >= 1, "--thin must be >= 1");
    REQ(c->samples / c->thin >= 1, "--samples %lld with --thin %d stores no sample",
        (long long)c->samples, c->thin);
    REQ(c->batch >= 1, "--batch must be >= 1");
    REQ(c->scale == SMILE_SCALE_FLOOR || c->scale == SMILE_SCALE_N_OVER_B, "--scale: unknown mode");
    if (c->task == SMILE_DATA_UCI)
        REQ(c->likelihood == SMILE_LIK_GAUSS_HOMO || c->likelihood == SMILE_LIK_GAUSS_HETERO,
            "--likelihood must be homo or hetero for UCI regression");
    else if (c->task != SMILE_DATA_TEXT)
        REQ(c->likelihood == SMILE_LIK_CATEGORICAL, "--likelihood: image tasks are categorical");
    REQ(c->n_hidden >= 1 && c->n_hidden <= SMILE_MODEL_MAX_HIDDEN, "--hidden: 1..%d layers",
        SMILE_MODEL_MAX_HIDDEN);
    for (size_t i = 0; i < c->n_hidden; i++) REQ(c->hidden[i] >= 1, "--hidden: widths must be >= 1");
    REQ(c->prior_sigma > 0 && isfinite(c->prior_sigma), "--prior-sigma must be positive");
    REQ(isfinite(c->sampler.step_size) && c->sampler.step_size > 0,
        "--step-size must be a positive number");
    REQ(c->diverge_min_gap >= 0 && c->diverge_mad_factor >= 0 && isfinite(c->diverge_min_gap) &&
            isfinite(c->diverge_mad_factor),
        "divergence rule constants must be >= 0");
    REQ(c->diverge_max_samples >= 1, "divergence rule: max samples must be >= 1");
    REQ(c->trace_every >= 1, "--trace-every must be >= 1");
    REQ(c->checkpoint_seconds > 0, "--checkpoint-seconds must be positive");
    {
        char m2[256] = "";
        smile_de_params de = c->de;
        de.members = c->members;
        if (smile_de_params_validate(&de, m2, sizeof m2) != SMILE_OK)
            SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len, "deep ensemble: %s", m2);
    }
    /* the sampler's own rules (dimension checked later with the model) */
    {
        char m2[256] = "";
        if (smile_sampler_params_validate(&c->sampler, 2, m2, sizeof m2) != SMILE_OK)
            SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len, "--sampler %s: %s",
                        smile_sampler_name(c->sampler.kind), m2);
    }
    return SMILE_OK;
}

/* ---- JSON helpers --------------------------------------------------------------------- */

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

/* enum fields written by name */
typedef struct {
    const char *const *names;
    int n;
} enum_names;

static const char *const integrator_names[] = {"leapfrog", "mclachlan", "yoshida", "omelyan"};
static const char *const refresh_names[] = {"split_half", "once_after"};
static const char *const tuning_names[] = {"mile", "blackjax"};
static const char *const schedule_names[] = {"constant", "linear", "cosine_cyclic"};
static const char *const lr_names[] = {"constant", "linear", "warmup_cosine"};
static const char *const scale_names[] = {"n_over_b", "floor"};
static const char *const lik_names[] = {"default", "gauss_homo", "gauss_hetero", "categorical",
                                        "token"};

static int get_enum(const cJSON *o, const char *key, const char *const *names, int n, int *v,
                    char *msg, size_t msg_len) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return 0;
    if (cJSON_IsString(it))
        for (int i = 0; i < n; i++)
            if (!strcmp(it->valuestring, names[i])) {
                *v = i;
                return 0;
            }
    smile_set_msg(msg, msg_len, "config.json: key \"%s\" has an unknown value", key);
    return -1;
}

/* ---- sampler parameters: one table drives both directions ---------------------------- */

typedef enum { FT_DOUBLE, FT_INT, FT_I64, FT_ENUM } ftype;
typedef struct {
    const char *name;
    ftype type;
    size_t off;
    const char *const *names;
    int n_names;
} field;

#define SP(f) offsetof(smile_sampler_params, f)
#define FD(f) {#f, FT_DOUBLE, SP(f), NULL, 0}
#define FI(f) {#f, FT_INT, SP(f), NULL, 0}
#define FE(f, tab) {#f, FT_ENUM, SP(f), tab, (int)(sizeof tab / sizeof tab[0])}
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
    {"schedule_kind", FT_ENUM, SP(schedule.kind), schedule_names, 3},
    {"schedule_eps0", FT_DOUBLE, SP(schedule.eps0), NULL, 0},
    {"schedule_eps_end", FT_DOUBLE, SP(schedule.eps_end), NULL, 0},
    {"schedule_n_steps", FT_I64, SP(schedule.n_steps), NULL, 0},
    {"schedule_n_cycles", FT_INT, SP(schedule.n_cycles), NULL, 0},
    {"schedule_explore", FT_DOUBLE, SP(schedule.explore), NULL, 0},
};
#undef FD
#undef FI
#undef FE

/* Enums are stored through int: every enum here has int-compatible storage
 * (values fit in int, and GCC/Clang give such enums the size of int). */
_Static_assert(sizeof(smile_integrator) == sizeof(int), "enum size");

static cJSON *fields_to_json(cJSON *o, const void *base, const field *fs, size_t n) {
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *)base + fs[i].off;
        cJSON *it = NULL;
        switch (fs[i].type) {
        case FT_DOUBLE: it = num(*(const double *)p); break;
        case FT_INT: it = cJSON_CreateNumber(*(const int *)p); break;
        case FT_I64: it = cJSON_CreateNumber((double)*(const int64_t *)p); break;
        case FT_ENUM: {
            int v = *(const int *)p;
            it = v >= 0 && v < fs[i].n_names ? cJSON_CreateString(fs[i].names[v])
                                             : cJSON_CreateNumber(v);
            break;
        }
        }
        if (!it || !cJSON_AddItemToObject(o, fs[i].name, it)) {
            cJSON_Delete(it);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

static int fields_from_json(const cJSON *o, void *base, const field *fs, size_t n, char *msg,
                            size_t msg_len) {
    for (size_t i = 0; i < n; i++) {
        char *p = (char *)base + fs[i].off;
        switch (fs[i].type) {
        case FT_DOUBLE:
            if (get_num(o, fs[i].name, (double *)p, msg, msg_len)) return -1;
            break;
        case FT_INT: {
            long long v = *(int *)p;
            if (get_int(o, fs[i].name, &v, msg, msg_len)) return -1;
            *(int *)p = (int)v;
            break;
        }
        case FT_I64: {
            long long v = (long long)*(int64_t *)p;
            if (get_int(o, fs[i].name, &v, msg, msg_len)) return -1;
            *(int64_t *)p = (int64_t)v;
            break;
        }
        case FT_ENUM:
            if (get_enum(o, fs[i].name, fs[i].names, fs[i].n_names, (int *)p, msg, msg_len))
                return -1;
            break;
        }
    }
    return 0;
}

static cJSON *lr_to_json(const smile_lr_schedule *s) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "kind", lr_names[s->kind]);
    cJSON_AddItemToObject(o, "lr", num(s->lr));
    cJSON_AddItemToObject(o, "lr0", num(s->lr0));
    cJSON_AddItemToObject(o, "lr1", num(s->lr1));
    cJSON_AddNumberToObject(o, "T", (double)s->T);
    cJSON_AddItemToObject(o, "init", num(s->init));
    cJSON_AddItemToObject(o, "peak", num(s->peak));
    cJSON_AddItemToObject(o, "end", num(s->end));
    cJSON_AddNumberToObject(o, "W", (double)s->W);
    cJSON_AddNumberToObject(o, "D", (double)s->D);
    return o;
}

static int lr_from_json(const cJSON *o, smile_lr_schedule *s, char *msg, size_t msg_len) {
    int kind = (int)s->kind;
    long long T = s->T, W = s->W, D = s->D;
    if (get_enum(o, "kind", lr_names, 3, &kind, msg, msg_len) ||
        get_num(o, "lr", &s->lr, msg, msg_len) || get_num(o, "lr0", &s->lr0, msg, msg_len) ||
        get_num(o, "lr1", &s->lr1, msg, msg_len) || get_int(o, "T", &T, msg, msg_len) ||
        get_num(o, "init", &s->init, msg, msg_len) || get_num(o, "peak", &s->peak, msg, msg_len) ||
        get_num(o, "end", &s->end, msg, msg_len) || get_int(o, "W", &W, msg, msg_len) ||
        get_int(o, "D", &D, msg, msg_len))
        return -1;
    s->kind = (smile_lr_kind)kind;
    s->T = T;
    s->W = W;
    s->D = D;
    return 0;
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
    cJSON_AddNumberToObject(o, "members", c->members);
    cJSON_AddNumberToObject(o, "warmup", (double)c->warmup);
    cJSON_AddNumberToObject(o, "samples", (double)c->samples);
    cJSON_AddNumberToObject(o, "thin", c->thin);
    cJSON_AddNumberToObject(o, "batch", (double)c->batch);
    cJSON_AddStringToObject(o, "scale", scale_names[c->scale]);
    cJSON_AddBoolToObject(o, "reference_batching", c->reference_batching);
    cJSON_AddBoolToObject(o, "strict_sizes", c->strict_sizes);
    if (c->de_from[0]) cJSON_AddStringToObject(o, "de_from", c->de_from);

    cJSON *m = cJSON_AddObjectToObject(o, "model");
    if (m) {
        cJSON_AddStringToObject(m, "kind", smile_model_kind_name(c->model));
        cJSON_AddStringToObject(m, "likelihood", lik_names[c->likelihood]);
        cJSON *h = cJSON_AddArrayToObject(m, "hidden");
        for (size_t i = 0; h && i < c->n_hidden; i++)
            cJSON_AddItemToArray(h, cJSON_CreateNumber((double)c->hidden[i]));
        cJSON_AddItemToObject(m, "prior_sigma", num(c->prior_sigma));
        if (c->task == SMILE_DATA_TEXT) {
            cJSON_AddNumberToObject(m, "gpt_layers", (double)c->gpt_layers);
            cJSON_AddNumberToObject(m, "gpt_width", (double)c->gpt_width);
            cJSON_AddNumberToObject(m, "gpt_heads", (double)c->gpt_heads);
            cJSON_AddNumberToObject(m, "context", (double)c->context);
            cJSON_AddBoolToObject(m, "gpt_pre_ln", c->gpt_pre_ln);
        }
    }
    if (c->task == SMILE_DATA_TEXT)
        cJSON_AddNumberToObject(o, "text_eval_windows", (double)c->text_eval_windows);
    cJSON *s = cJSON_CreateObject();
    if (s) cJSON_AddStringToObject(s, "name", smile_sampler_name(c->sampler.kind));
    s = fields_to_json(s, &c->sampler, sampler_fields,
                       sizeof sampler_fields / sizeof sampler_fields[0]);
    if (s) cJSON_AddItemToObject(o, "sampler", s);
    cJSON *d = cJSON_AddObjectToObject(o, "deep_ensemble");
    if (d) {
        cJSON_AddNumberToObject(d, "batch", (double)c->de.batch);
        cJSON_AddNumberToObject(d, "max_epochs", c->de.max_epochs);
        cJSON_AddNumberToObject(d, "patience", c->de.patience);
        cJSON_AddItemToObject(d, "weight_decay", num(c->de.weight_decay));
        cJSON_AddItemToObject(d, "beta1", num(c->de.beta1));
        cJSON_AddItemToObject(d, "beta2", num(c->de.beta2));
        cJSON_AddItemToObject(d, "lr", lr_to_json(&c->de.lr));
        cJSON_AddBoolToObject(d, "reference_restore", c->de.reference_restore);
        cJSON_AddBoolToObject(d, "augment", c->de.augment);
        cJSON_AddStringToObject(d, "optimizer", "adamw");
        cJSON_AddNumberToObject(d, "adam_eps", 1e-8);
    }
    cJSON *v = cJSON_AddObjectToObject(o, "divergence");
    if (v) {
        cJSON_AddItemToObject(v, "min_gap", num(c->diverge_min_gap));
        cJSON_AddItemToObject(v, "mad_factor", num(c->diverge_mad_factor));
        cJSON_AddNumberToObject(v, "max_samples", c->diverge_max_samples);
        cJSON_AddBoolToObject(v, "include_diverged", c->include_diverged);
    }
    cJSON_AddNumberToObject(o, "trace_every", c->trace_every);
    cJSON_AddItemToObject(o, "checkpoint_seconds", num(c->checkpoint_seconds));
    *out = o;
    return SMILE_OK;
}

#define TRY_J(expr)                                                                                \
    do {                                                                                           \
        if (expr) return SMILE_EFORMAT;                                                            \
    } while (0)

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
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "data");
    if (cJSON_IsString(s)) snprintf(c->data, sizeof c->data, "%s", s->valuestring);
    s = cJSON_GetObjectItemCaseSensitive(j, "out");
    if (cJSON_IsString(s)) snprintf(c->out, sizeof c->out, "%s", s->valuestring);
    s = cJSON_GetObjectItemCaseSensitive(j, "de_from");
    if (cJSON_IsString(s)) snprintf(c->de_from, sizeof c->de_from, "%s", s->valuestring);
    TRY_J(get_u64(j, "seed", &c->seed, msg, msg_len));
    long long v;
    v = c->members;
    TRY_J(get_int(j, "members", &v, msg, msg_len));
    c->members = (int)v;
    v = c->warmup;
    TRY_J(get_int(j, "warmup", &v, msg, msg_len));
    c->warmup = v;
    v = c->samples;
    TRY_J(get_int(j, "samples", &v, msg, msg_len));
    c->samples = v;
    v = c->thin;
    TRY_J(get_int(j, "thin", &v, msg, msg_len));
    c->thin = (int)v;
    v = (long long)c->batch;
    TRY_J(get_int(j, "batch", &v, msg, msg_len));
    c->batch = v > 0 ? (size_t)v : 0;
    int e = (int)c->scale;
    TRY_J(get_enum(j, "scale", scale_names, 2, &e, msg, msg_len));
    c->scale = (smile_scale_mode)e;
    TRY_J(get_bool(j, "reference_batching", &c->reference_batching, msg, msg_len));
    TRY_J(get_bool(j, "strict_sizes", &c->strict_sizes, msg, msg_len));

    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "model");
    if (cJSON_IsObject(m)) {
        const cJSON *mk = cJSON_GetObjectItemCaseSensitive(m, "kind");
        SMILE_CHECK(mk && (!cJSON_IsString(mk) ||
                           smile_model_kind_from_name(mk->valuestring, &c->model) != SMILE_OK),
                    SMILE_EFORMAT, msg, msg_len, "config.json: unknown model kind");
        e = (int)c->likelihood;
        TRY_J(get_enum(m, "likelihood", lik_names, 5, &e, msg, msg_len));
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
        size_t *gz[4] = {&c->gpt_layers, &c->gpt_width, &c->gpt_heads, &c->context};
        const char *gk[4] = {"gpt_layers", "gpt_width", "gpt_heads", "context"};
        for (int i = 0; i < 4; i++) {
            v = (long long)*gz[i];
            TRY_J(get_int(m, gk[i], &v, msg, msg_len));
            *gz[i] = v > 0 ? (size_t)v : 0;
        }
        TRY_J(get_bool(m, "gpt_pre_ln", &c->gpt_pre_ln, msg, msg_len));
    }
    v = (long long)c->text_eval_windows;
    TRY_J(get_int(j, "text_eval_windows", &v, msg, msg_len));
    c->text_eval_windows = v > 0 ? (size_t)v : 0;
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "sampler");
    if (cJSON_IsObject(sp)) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(sp, "name");
        smile_sampler_kind kind = c->sampler.kind;
        SMILE_CHECK(nm && (!cJSON_IsString(nm) ||
                           smile_sampler_from_name(nm->valuestring, &kind) != SMILE_OK),
                    SMILE_EFORMAT, msg, msg_len, "config.json: unknown sampler");
        c->sampler = smile_sampler_params_default(kind);
        TRY_J(fields_from_json(sp, &c->sampler, sampler_fields,
                               sizeof sampler_fields / sizeof sampler_fields[0], msg, msg_len));
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "deep_ensemble");
    if (cJSON_IsObject(d)) {
        v = (long long)c->de.batch;
        TRY_J(get_int(d, "batch", &v, msg, msg_len));
        c->de.batch = v > 0 ? (size_t)v : 0;
        v = c->de.max_epochs;
        TRY_J(get_int(d, "max_epochs", &v, msg, msg_len));
        c->de.max_epochs = (int)v;
        v = c->de.patience;
        TRY_J(get_int(d, "patience", &v, msg, msg_len));
        c->de.patience = (int)v;
        TRY_J(get_num(d, "weight_decay", &c->de.weight_decay, msg, msg_len));
        TRY_J(get_num(d, "beta1", &c->de.beta1, msg, msg_len));
        TRY_J(get_num(d, "beta2", &c->de.beta2, msg, msg_len));
        const cJSON *lr = cJSON_GetObjectItemCaseSensitive(d, "lr");
        if (cJSON_IsObject(lr)) TRY_J(lr_from_json(lr, &c->de.lr, msg, msg_len));
        TRY_J(get_bool(d, "reference_restore", &c->de.reference_restore, msg, msg_len));
        TRY_J(get_bool(d, "augment", &c->de.augment, msg, msg_len));
    }
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(j, "divergence");
    if (cJSON_IsObject(dv)) {
        TRY_J(get_num(dv, "min_gap", &c->diverge_min_gap, msg, msg_len));
        TRY_J(get_num(dv, "mad_factor", &c->diverge_mad_factor, msg, msg_len));
        v = c->diverge_max_samples;
        TRY_J(get_int(dv, "max_samples", &v, msg, msg_len));
        c->diverge_max_samples = (int)v;
        TRY_J(get_bool(dv, "include_diverged", &c->include_diverged, msg, msg_len));
    }
    v = c->trace_every;
    TRY_J(get_int(j, "trace_every", &v, msg, msg_len));
    c->trace_every = (int)v;
    TRY_J(get_num(j, "checkpoint_seconds", &c->checkpoint_seconds, msg, msg_len));
    return SMILE_OK;
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
