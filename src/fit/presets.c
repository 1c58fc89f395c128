/* Presets of `smile fit --preset`: the paper's experiment settings, each the
 * task defaults of config.c plus the changes of docs/experiments.md,
 * section 6. */
#include "fit/fit_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name, *summary;
    smile_data_task task;
} preset;

static const preset presets[] = {
    {"smile-uci", "UCI regression, SMILE study of the paper: FCN 16-16-16 homoscedastic, "
                  "pSMILE-naive, K 10, W 50000, S 10000, thin 10, B 256, eps 1e-3; DE lr 1e-2, "
                  "wd 5e-3, batch 64",
     SMILE_DATA_UCI},
    {"mile-uci", "UCI regression, MILE baseline of the paper: FCN 16-16 heteroscedastic, MCLMC "
                 "full batch (MILE tuning), K 12, W 50000, S 10000, thin 10, eps 1e-3; DE lr "
                 "1e-3, wd 1e-3, batch 32, 500 epochs, patience 10",
     SMILE_DATA_UCI},
    {"fmnist-lenet", "Fashion-MNIST experiment of the paper: LeNet, pSMILE-naive, K 8, W 5000, "
                     "S 10000, thin 100, B 512, eps 1e-2; DE lr 1e-3, wd 0.02, batch 64, "
                     "patience 20",
     SMILE_DATA_FMNIST},
    {"cifar10-resnet7", "CIFAR-10 ResNet experiment of the paper: ResNet-7, pSMILE-naive, K 8, "
                        "W 5000, S 10000, thin 100, B 512, eps 1e-5; DE warm-up cosine 1e-5 -> "
                        "2e-3 -> 5e-4, wd 1e-4, 400 epochs",
     SMILE_DATA_CIFAR10},
    {"cifar10-resnet18", "CIFAR-10 main result of the paper: ResNet-18, pSMILE (0.98, 0.1, "
                         "0.02, 0.01), K 8, W 5000, S 10000, thin 100, B 512, eps 1e-2; DE as "
                         "cifar10-resnet7",
     SMILE_DATA_CIFAR10},
    {"imagenette-vit", "Imagenette transformer experiment of the paper: ViT, pSMILE (0.98, 0.1, "
                       "0.02, 0.01), K 4, W 5000, S 10000, thin 100, B 128, eps 1e-2; DE warm-up "
                       "cosine 1e-6 -> 1e-3 -> 1e-5, wd 0.1, 300 epochs",
     SMILE_DATA_IMAGENETTE},
    {"shakespeare-gpt", "language-model experiment of the paper: GPT 6x384, 6 heads, T 256, "
                        "pSMILE (0.98, 0.1, 0.02, 0.01), K 4, W 200, S 1000, thin 100, B 128 "
                        "windows, eps 3e-4; DE AdamW (0.9, 0.95), wd 0.05, linear lr 3e-4 -> "
                        "2.5e-4 over 1890, batch 64, 30 epochs",
     SMILE_DATA_TEXT},
};
#define N_PRESETS (sizeof presets / sizeof presets[0])

const char *smile_fit_preset_name(size_t i, const char **summary) {
    if (i >= N_PRESETS) return NULL;
    if (summary) *summary = presets[i].summary;
    return presets[i].name;
}

/* pSMILE with the tuned constants (r, α, δ, β) = (0.98, 0.1, 0.02, 0.01) of the
 * paper's main experiments (docs/experiments.md, section 6.5). */
static void set_psmile_tuned(smile_fit_config *c, double eps) {
    c->sampler = smile_sampler_params_default(SMILE_SAMPLER_PSMILE);
    c->sampler.step_size = eps;
    c->sampler.reset_prob = 0.98;
    c->sampler.adaption_prob = 0.1;
    c->sampler.adaption_strength = 0.02;
    c->sampler.smoothing = 0.01;
}

/* The MILE baseline (docs/experiments.md, section 6.2): heteroscedastic
 * 16-16-2 model, 12 chains of full-batch MCLMC from ε0 = 1e-3, its own DE. */
static void set_mile_uci(smile_fit_config *c) {
    c->likelihood = SMILE_LIK_GAUSS_HETERO;
    c->n_hidden = 2;
    c->hidden[0] = c->hidden[1] = 16;
    c->members = 12;
    c->sampler = smile_sampler_params_default(SMILE_SAMPLER_MCLMC);
    c->sampler.step_size = 1e-3;
    c->de.lr.kind = SMILE_LR_CONSTANT;
    c->de.lr.lr = 1e-3;
    fit_set_de(&c->de, 1e-3, 32, 500, 10);
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
        set_mile_uci(c);
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
