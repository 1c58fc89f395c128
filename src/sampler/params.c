/* Sampler names, defaults (docs/method.md, sections 4.3, 5.1 and 7) and
 * validation. */
#include "sampler_internal.h"

#include <math.h>
#include <string.h>

static const char *const names[SMILE_SAMPLER_COUNT_] = {
    "mclmc", "smile-naive", "smile", "psmile-naive", "psmile",
    "sgld",  "csgld",       "sghmc", "adasghmc", "smile-auto", "psmile-auto"};

const char *smile_sampler_name(smile_sampler_kind k) {
    return (k >= 0 && k < SMILE_SAMPLER_COUNT_) ? names[k] : "unknown";
}

smile_status smile_sampler_from_name(const char *name, smile_sampler_kind *out) {
    for (int i = 0; name && i < SMILE_SAMPLER_COUNT_; i++)
        if (!strcmp(name, names[i])) {
            *out = (smile_sampler_kind)i;
            return SMILE_OK;
        }
    return SMILE_EINVAL;
}

static int is_isokinetic(smile_sampler_kind k) { return smile_kind_is_isokinetic(k); }

smile_sampler_params smile_sampler_params_default(smile_sampler_kind kind) {
    smile_sampler_params p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.step_size = 1e-3;
    p.integrator = SMILE_INTEGRATOR_MCLACHLAN;
    p.n_int = 1;
    p.L = INFINITY;
    p.refresh = SMILE_REFRESH_SPLIT_HALF;
    /* MILE preset (docs/method.md, section 4.3) */
    p.mclmc_tuning = SMILE_MCLMC_TUNING_MILE;
    p.mclmc_target_start = 0.5;
    p.mclmc_target_end = 0.1;
    p.mclmc_n_eff = 100;
    p.mclmc_trust = 1.5;
    p.mclmc_lfactor = 0.4;
    p.mclmc_max_coords = 2000;
    p.mclmc_max_samples = 10000;
    /* tuner constants of the main experiments (docs/method.md, section 5.1);
     * inert unless tuner = 1 */
    p.reset_prob = 0.98;
    p.adaption_prob = 0.1;
    p.adaption_strength = 0.02;
    p.smoothing = 0.01;
    p.noise_ema_rate = 0.01;
    p.auto_target = 3e-3;
    p.auto_gain = 0.002;
    p.auto_clip = 4.0;
    p.auto_smoothing = 0.05;
    p.auto_reset_factor = 1e6;
    p.grad_clip = 1e6;
    p.temperature = 1.0;
    p.sghmc_alpha = 0.01;
    p.sghmc_beta = 0.0;
    p.mdecay = 0.05;
    p.schedule.kind = SMILE_SCHEDULE_CONSTANT;
    p.schedule.n_cycles = 4;
    p.schedule.explore = 0.33;
    switch (kind) {
    case SMILE_SAMPLER_MCLMC:
        p.L = 0.0; /* 0 = automatic: L0 of the tuning preset */
        p.grad_clip = INFINITY;
        break;
    case SMILE_SAMPLER_SMILE: p.tuner = 1; break;
    /* precond_floor 0.01, our default (docs/design.md): D_i <= ~100 · RMS;
     * 0 = the reference's absolute clip only */
    case SMILE_SAMPLER_PSMILE_NAIVE: p.precond = 1; p.precond_floor = 0.01; break;
    case SMILE_SAMPLER_PSMILE: p.tuner = 1; p.precond = 1; p.precond_floor = 0.01; break;
    case SMILE_SAMPLER_SMILE_AUTO: p.tuner = 1; break;
    case SMILE_SAMPLER_PSMILE_AUTO: p.tuner = 1; p.precond = 1; p.precond_floor = 0.01; break;
    case SMILE_SAMPLER_SGLD: p.step_size = 1e-4; break;
    case SMILE_SAMPLER_CSGLD:
        p.step_size = 1e-5;
        p.schedule.kind = SMILE_SCHEDULE_COSINE_CYCLIC;
        p.schedule.eps0 = 1e-5;
        p.schedule.eps_end = 5e-9;
        break;
    default: break;
    }
    return p;
}

void smile_sampler_params_mclmc_preset(smile_sampler_params *p, smile_mclmc_tuning t) {
    p->mclmc_tuning = t;
    if (t == SMILE_MCLMC_TUNING_BLACKJAX) {
        p->mclmc_target_start = p->mclmc_target_end = 5e-4;
        p->mclmc_n_eff = 150;
        p->mclmc_init_L_sqrt_d = 1;
        p->mclmc_init_eps_from_d = 1;
    } else {
        p->mclmc_target_start = 0.5;
        p->mclmc_target_end = 0.1;
        p->mclmc_n_eff = 100;
        p->mclmc_init_L_sqrt_d = 0;
        p->mclmc_init_eps_from_d = 0;
    }
}

int smile_sampler_grads_per_step(const smile_sampler_params *p) {
    if (!is_isokinetic(p->kind)) return 1;
    const double *c;
    int n;
    return smile_integrator_coeffs(p->integrator, &c, &n) * (p->n_int > 0 ? p->n_int : 1);
}

#define REQ(cond, ...) SMILE_CHECK(!(cond), SMILE_EINVAL, msg, msg_len, __VA_ARGS__)

smile_status smile_sampler_params_validate(const smile_sampler_params *p, size_t dim, char *msg,
                                           size_t msg_len) {
    REQ(p, "sampler parameters are NULL");
    REQ(p->kind >= 0 && p->kind < SMILE_SAMPLER_COUNT_, "unknown sampler kind %d", (int)p->kind);
    REQ(dim >= 1, "dimension must be at least 1");
    REQ(isfinite(p->step_size) && p->step_size > 0, "step size must be a positive number (got %g)",
        p->step_size);
    REQ(p->grad_clip > 0, "gradient clip must be positive");
    if (is_isokinetic(p->kind)) {
        REQ(dim >= 2, "isokinetic samplers need dimension >= 2 (got %zu)", dim);
        REQ(p->integrator >= SMILE_INTEGRATOR_LEAPFROG && p->integrator <= SMILE_INTEGRATOR_OMELYAN,
            "unknown integrator");
        REQ(p->n_int >= 1, "integrator steps per sampler step must be >= 1");
        REQ(p->L > 0 || (p->kind == SMILE_SAMPLER_MCLMC && p->L == 0),
            "refresh length L must be positive (INFINITY = no refresh)");
        REQ(p->reset_prob > 0 && p->reset_prob <= 1, "reset_prob must be in (0, 1]");
        REQ(p->adaption_prob >= 0 && p->adaption_prob < 1, "adaption_prob must be in [0, 1)");
        REQ(p->adaption_strength >= 0 && p->adaption_strength < 1,
            "adaption_strength must be in [0, 1)");
        REQ(p->smoothing > 0 && p->smoothing <= 1, "smoothing must be in (0, 1]");
        REQ(p->noise_ema_rate > 0 && p->noise_ema_rate <= 1, "noise_ema_rate must be in (0, 1]");
        REQ(p->precond_floor >= 0 && p->precond_floor < 1, "precond_floor must be in [0, 1)");
        REQ(p->auto_target > 0 && isfinite(p->auto_target), "auto tuner target must be positive");
        REQ(p->auto_gain > 0 && p->auto_gain < 1, "auto tuner gain must be in (0, 1)");
        REQ(p->auto_clip > 0, "auto tuner clip must be positive");
        REQ(p->auto_smoothing > 0 && p->auto_smoothing <= 1, "auto tuner smoothing must be in (0, 1]");
        REQ(p->auto_reset_factor > 1, "auto tuner reset factor must be > 1");
    }
    if (p->kind == SMILE_SAMPLER_MCLMC) {
        REQ(p->mclmc_target_start > 0 && p->mclmc_target_end > 0, "MCLMC targets must be positive");
        REQ(p->mclmc_n_eff >= 1, "num_effective_samples must be >= 1");
        REQ(p->mclmc_trust > 0 && p->mclmc_lfactor > 0, "MCLMC trust and Lfactor must be positive");
        REQ(p->mclmc_max_coords >= 1 && p->mclmc_max_samples >= 2, "MCLMC phase-3 caps too small");
    }
    if (p->kind == SMILE_SAMPLER_SGLD || p->kind == SMILE_SAMPLER_CSGLD ||
        p->kind == SMILE_SAMPLER_SGHMC)
        REQ(p->temperature > 0 && isfinite(p->temperature), "temperature must be positive");
    if (p->kind == SMILE_SAMPLER_SGHMC) {
        REQ(p->sghmc_alpha > 0 && p->sghmc_beta >= 0, "SGHMC friction must be positive");
        /* with a schedule the largest ε is eps0 */
        double emax = p->schedule.kind != SMILE_SCHEDULE_CONSTANT ? p->schedule.eps0 : p->step_size;
        REQ(2 * p->sghmc_alpha > emax * p->temperature * p->sghmc_beta,
            "SGHMC needs 2*alpha > eps*T*beta");
    }
    if (p->kind == SMILE_SAMPLER_ADASGHMC)
        REQ(p->mdecay > 0 && p->mdecay < 1 && p->momentum_resample_prob >= 0 &&
                p->momentum_resample_prob <= 1,
            "adaSGHMC mdecay must be in (0,1) and resample probability in [0,1]");
    if (p->schedule.kind != SMILE_SCHEDULE_CONSTANT) {
        REQ(p->schedule.kind == SMILE_SCHEDULE_LINEAR ||
                p->schedule.kind == SMILE_SCHEDULE_COSINE_CYCLIC,
            "unknown schedule kind");
        REQ(p->schedule.eps0 > 0 && p->schedule.eps_end >= 0 &&
                p->schedule.eps_end <= p->schedule.eps0,
            "schedule needs 0 <= eps_end <= eps0 and eps0 > 0");
        REQ(p->schedule.explore >= 0 && p->schedule.explore < 1,
            "schedule exploration fraction must be in [0, 1)");
        REQ(p->schedule.kind != SMILE_SCHEDULE_COSINE_CYCLIC || p->schedule.n_cycles >= 1,
            "cyclical schedule needs at least one cycle");
        REQ(p->kind == SMILE_SAMPLER_SGLD || p->kind == SMILE_SAMPLER_CSGLD ||
                p->kind == SMILE_SAMPLER_SGHMC || p->kind == SMILE_SAMPLER_SMILE_NAIVE ||
                p->kind == SMILE_SAMPLER_PSMILE_NAIVE,
            "step-size schedules apply to SGLD, cSGLD, SGHMC and the naive SMILE variants only");
    }
    return SMILE_OK;
}
