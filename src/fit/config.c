/* Configuration of the fit pipeline: the per-task defaults
 * (docs/experiments.md, section 5) and validation with messages that name the
 * CLI option. Presets: presets.c; the config.json round trip: config_json.c. */
#include "fit/fit_internal.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* Run lengths and (initial) step size of one task's row. */
static void set_run(smile_fit_config *c, int members, int64_t warmup, int64_t samples, int thin,
                    size_t batch, double step_size) {
    c->members = members;
    c->warmup = warmup;
    c->samples = samples;
    c->thin = thin;
    c->batch = batch;
    c->sampler.step_size = step_size;
}

void fit_set_de(smile_de_params *de, double weight_decay, size_t batch, int max_epochs,
                int patience) {
    de->weight_decay = weight_decay;
    de->batch = batch;
    de->max_epochs = max_epochs;
    de->patience = patience;
}

/* Linear warm-up init → peak over W updates, then cosine down to end at update D
 * (the constant and linear settings are kept; they are unused then). */
static void set_warmup_cosine(smile_lr_schedule *lr, double init, double peak, int64_t W,
                              double end, int64_t D) {
    *lr = (smile_lr_schedule){.kind = SMILE_LR_WARMUP_COSINE,
                              .lr = lr->lr,
                              .lr0 = lr->lr0,
                              .lr1 = lr->lr1,
                              .T = lr->T,
                              .init = init,
                              .peak = peak,
                              .end = end,
                              .W = W,
                              .D = D};
}

/* A user's table (docs/peer_bde.md): the heteroscedastic FCN, full-batch MCLMC
 * with the MILE tuning from a deep ensemble trained full batch with Adam
 * (lr 1e-3, no weight decay, up to 3000 epochs, patience 100) on the training
 * rows, early-stopped on the validation rows, then sampled on the training and
 * validation rows together, with bde's softplus σ head. 2.5 times the UCI row's
 * members with half its warm-up (K 25, W 25,000; S, thin and ε0 as there): the
 * pooled predictive gains more from chains than from warm-up (docs/peer_bde.md,
 * sections 3.2, 3.9, 3.12 and 4). */
static void set_table_row(smile_fit_config *c) {
    const double eps = c->sampler.step_size;
    c->members = 25;
    c->warmup = 25000;
    c->likelihood = SMILE_LIK_GAUSS_HETERO;
    c->sigma_link = SMILE_SIGMA_SOFTPLUS;
    c->student_df = 5; /* Student-t noise (docs/peer_bde.md, section 3.10) */
    c->sampler = smile_sampler_params_default(SMILE_SAMPLER_MCLMC);
    c->sampler.step_size = eps;
    c->sample_valid = 1;
    c->class_row = SMILE_CLASS_ROW_ALL;
    c->sample_budget = 7.5e11; /* docs/peer_bde.md, sections 3.11 and 3.12 */
    c->de.lr.lr = 1e-3;
    fit_set_de(&c->de, 0.0, 0 /* full batch */, 3000, 100);
}

/* The image and text rows of docs/experiments.md, section 5 (UCI: the common
 * defaults), and the table row above. */
static void set_task_row(smile_fit_config *c) {
    switch (c->task) {
    case SMILE_DATA_TABLE: set_table_row(c); break;
    case SMILE_DATA_FMNIST:
        c->model = SMILE_MODEL_LENET;
        c->likelihood = SMILE_LIK_CATEGORICAL;
        set_run(c, 8, 5000, 10000, 100, 512, 1e-2);
        c->de.lr.lr = 1e-3;
        fit_set_de(&c->de, 0.02, 64, 10000, 20);
        break;
    case SMILE_DATA_CIFAR10: /* ResNet-7, the pSMILE-naive row */
        c->model = SMILE_MODEL_RESNET7;
        c->likelihood = SMILE_LIK_CATEGORICAL;
        set_run(c, 8, 5000, 10000, 100, 512, 1e-5);
        set_warmup_cosine(&c->de.lr, 1e-5, 2e-3, 5000, 5e-4, 250000);
        fit_set_de(&c->de, 1e-4, 64, 400, 20);
        c->de.augment = 1;
        break;
    case SMILE_DATA_IMAGENETTE:
        c->model = SMILE_MODEL_VIT;
        c->likelihood = SMILE_LIK_CATEGORICAL;
        set_run(c, 4, 5000, 10000, 100, 128, 1e-2);
        set_warmup_cosine(&c->de.lr, 1e-6, 1e-3, 740, 1e-5, 22400);
        fit_set_de(&c->de, 0.1, 128, 300, 300);
        c->de.augment = 1;
        break;
    case SMILE_DATA_TEXT: /* pSMILE-naive: the tool's default sampler */
        c->model = SMILE_MODEL_GPT;
        c->likelihood = SMILE_LIK_TOKEN;
        set_run(c, 4, 200, 1000, 100, 128, 3e-4);
        c->de.beta1 = 0.9;
        c->de.beta2 = 0.95;
        c->de.lr.kind = SMILE_LR_LINEAR;
        c->de.lr.lr0 = 3e-4;
        c->de.lr.lr1 = 2.5e-4;
        c->de.lr.T = 1890;
        fit_set_de(&c->de, 0.05, 64, 30, 30);
        break;
    default: break;
    }
}

void fit_apply_class_row(smile_fit_config *c) {
    const smile_fit_config u = smile_fit_config_default(SMILE_DATA_UCI);
    if (c->class_row & SMILE_CLASS_ROW_SAMPLER) {
        c->sampler = u.sampler;
        c->batch = u.batch;
        c->de = u.de;
        c->sample_valid = 0; /* the caller clears class_row once the target is known */
    }
    if (c->class_row & SMILE_CLASS_ROW_RUN) {
        c->members = u.members;
        c->warmup = u.warmup;
    }
    if (c->class_row) c->sample_budget = u.sample_budget; /* the uci row has none */
}

/* The work of the sampling phase, K·(W + S) gradients of `rows` rows through
 * `params` parameters, is what its wall time follows once the rows make each
 * step expensive (docs/peer_bde.md, section 3.11). Above c->sample_budget the
 * warm-up and sampling steps shrink by one factor, with floors that keep the
 * step-size tuning and enough draws; thin stays. Returns 1 when it shortened
 * the run. */
int fit_apply_budget(smile_fit_config *c, size_t rows, size_t params) {
    const double budget = c->sample_budget;
    c->sample_budget = 0; /* applied once: config.json records the steps run */
    const double work = (double)c->members * (double)(c->warmup + c->samples) * (double)rows *
                        (double)params;
    if (!(budget > 0) || !(work > budget)) return 0;
    const double q = budget / work;
    const int64_t w = (int64_t)llround((double)c->warmup * q);
    const int64_t s = (int64_t)llround((double)c->samples * q);
    const int64_t w_min = 2000, s_min = 1000;
    const int64_t w1 = w > w_min ? w : (c->warmup < w_min ? c->warmup : w_min);
    const int64_t s1 = s > s_min ? s : (c->samples < s_min ? c->samples : s_min);
    if (w1 == c->warmup && s1 == c->samples) return 0;
    c->warmup = w1;
    c->samples = s1;
    return 1;
}

smile_fit_config smile_fit_config_default(smile_data_task task) {
    /* Our default sampler psmile-auto did at least as well as the best
     * fixed-step pSMILE-naive on every UCI data set, with no member diverged
     * (docs/tuner.md, docs/results.md); the step size 1e-3 is only its start.
     * The image and text tasks keep pSMILE-naive (docs/experiments.md,
     * section 5). */
    const int image_or_text = task == SMILE_DATA_FMNIST || task == SMILE_DATA_CIFAR10 ||
                              task == SMILE_DATA_IMAGENETTE || task == SMILE_DATA_TEXT;
    smile_fit_config c = {
        .task = task, .seed = 1, .model = SMILE_MODEL_FCN, .strict_sizes = 1,
        .sampler = smile_sampler_params_default(image_or_text ? SMILE_SAMPLER_PSMILE_NAIVE
                                                              : SMILE_SAMPLER_PSMILE_AUTO),
        /* likelihood scale n_b = max(1, floor(N_train/B)) as the reference
         * implementation uses (docs/method.md, section 2.4), its epoch stream
         * over all N points */
        .scale = SMILE_SCALE_FLOOR, .reference_batching = 0,
        /* the SMILE model: homoscedastic FCN 16-16-16, prior σ 1 */
        .likelihood = SMILE_LIK_GAUSS_HOMO, .n_hidden = 3, .hidden = {16, 16, 16},
        .prior_sigma = 1.0, .de = smile_de_params_default(),
        /* the divergence rule (docs/method.md, section 11.10) */
        .diverge_min_gap = 1.0, .diverge_mad_factor = 5.0, .diverge_max_samples = 20,
        .include_diverged = 0, .trace_every = 10, .checkpoint_seconds = 30.0,
        /* GPT sizes and the 128 random evaluation windows of the reference
         * implementation (text task only; docs/experiments.md, section 6.7) */
        .gpt_layers = 6, .gpt_width = 384, .gpt_heads = 6, .context = 256, .gpt_pre_ln = 0,
        .text_eval_windows = 128, .header = -1, .split_train = 0.7, .split_valid = 0.1};
    /* the UCI row of the SMILE study (docs/experiments.md, section 6.1) */
    set_run(&c, 10, 50000, 10000, 10, 256, 1e-3);
    set_task_row(&c);
    return c;
}

static int is_image_task(smile_data_task t) {
    return t == SMILE_DATA_FMNIST || t == SMILE_DATA_CIFAR10 || t == SMILE_DATA_IMAGENETTE;
}

#define REQ(cond, ...) SMILE_CHECK(!(cond), SMILE_EINVAL, msg, msg_len, __VA_ARGS__)

smile_status smile_fit_config_validate(const smile_fit_config *c, char *msg, size_t msg_len) {
    REQ(c, "NULL configuration");
    REQ(c->task == SMILE_DATA_UCI || c->task == SMILE_DATA_TABLE || is_image_task(c->task) ||
            c->task == SMILE_DATA_TEXT,
        "--task %s: not supported by smile fit (table, regress, classify, uci, fmnist, "
        "cifar10, imagenette, text)",
        smile_data_task_name(c->task));
    if (c->task == SMILE_DATA_UCI || c->task == SMILE_DATA_TABLE)
        REQ(c->model == SMILE_MODEL_FCN, "--model: tables use the fcn model");
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
        REQ(!c->sample_valid, "--sample-rows: the text task samples on the training windows");
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
    REQ(c->sample_budget >= 0 && isfinite(c->sample_budget),
        "sample_budget must be finite and >= 0 (0: off)");
    REQ(c->samples >= 1, "--samples must be >= 1");
    REQ(c->thin >= 1, "--thin must be >= 1");
    REQ(c->samples / c->thin >= 1, "--samples %lld with --thin %d stores no sample",
        (long long)c->samples, c->thin);
    REQ(c->batch >= 1, "--batch must be >= 1");
    REQ(c->scale == SMILE_SCALE_FLOOR || c->scale == SMILE_SCALE_N_OVER_B, "--scale: unknown mode");
    if (c->task == SMILE_DATA_UCI)
        REQ(c->likelihood == SMILE_LIK_GAUSS_HOMO || c->likelihood == SMILE_LIK_GAUSS_HETERO,
            "--likelihood must be homo or hetero for UCI regression");
    else if (c->task == SMILE_DATA_TABLE)
        SMILE_TRY(fit_table_config_validate(c, msg, msg_len));
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
        if (de.batch == 0) de.batch = 1; /* 0: full batch (the training rows) */
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

smile_status fit_table_config_validate(const smile_fit_config *c, char *msg, size_t msg_len) {
    REQ(c->likelihood == SMILE_LIK_GAUSS_HOMO || c->likelihood == SMILE_LIK_GAUSS_HETERO ||
            c->likelihood == SMILE_LIK_CATEGORICAL,
        "--likelihood must be homo or hetero (regression)");
    REQ(c->table_task >= 0 && c->table_task <= 2, "--task: unknown table task");
    REQ(c->header >= -1 && c->header <= 1, "--header must be yes, no or auto");
    REQ(!(c->features[0] && c->drop[0]), "--features and --drop exclude each other");
    REQ(!c->valid_data[0] || c->test_data[0], "--valid FILE needs --test FILE as well");
    REQ(c->split_train > 0 && c->split_valid > 0 && isfinite(c->split_train) &&
            isfinite(c->split_valid) &&
            (c->split_train + c->split_valid < 1 || c->test_data[0]),
        "--split: the training and validation fractions must be positive and, without "
        "--test, add up to less than 1 (got %g, %g)",
        c->split_train, c->split_valid);
    return SMILE_OK;
}
