/* smile_chain_save / smile_chain_load: a chain's whole state in one
 * versioned, checksummed byte buffer (framing in serial.c).
 *
 * Payload, every field explicit and little-endian:
 *   dim, sampler kind, the sampler parameters (field by field), chain index,
 *   seed; the scalar state (cached log density and flags, step size, L,
 *   phase and step counters, running counters); the RNG states; the tuner
 *   and guard state; the [d] buffers in a fixed order, each behind a
 *   presence flag; the MCLMC warm-up workspace (presence flag first).
 * scratch is not stored: it holds nothing between steps. */
#include "sampler_internal.h"

#include <math.h>
#include <string.h>

static const char CHAIN_MAGIC[8] = {'S', 'M', 'I', 'L', 'E', 'C', 'H', 'N'};

/* The chain's float buffers [d] in the order of the format (NULL = absent
 * for this sampler). */
#define N_BUFS 17
static void chain_bufs(const smile_chain *c, float *b[N_BUFS]) {
    const struct smile_tuning *a = c->tuning;
    float *const all[N_BUFS] = {c->x,        c->u,         c->g,         c->x_prev,  c->g_prev,
                                c->mu_g,     c->sigma_g,   c->D,         c->ada_sigma,
                                c->ada_gbar, c->ada_tau,   c->ada_glast, a->u_prev,  a->x_cand,
                                a->u_cand,   a->x_good,    a->u_good};
    memcpy(b, all, sizeof all);
}

/* Scalars of the chain and its tuning state, one list for both directions. */
#define CHAIN_SCALARS(F64, I32, I64)                                                               \
    F64(logp) I32(have_cache) I32(u_zero) F64(eps) F64(L) I32(phase) I64(step) I64(phase_step)     \
    I64(phase_len) I32(thin)                                                                       \
    I64(n_grad) I64(n_logp) I64(n_resets) I64(n_nonfinite) I64(n_sanitised) I64(n_eps_up)         \
    I64(n_eps_down) I64(n_emitted)
#define TUNING_SCALARS(F64, I32, I64)                                                              \
    F64(tuner.reset_prob) F64(tuner.adaption_prob) F64(tuner.adaption_strength)                    \
    F64(tuner.smoothing) F64(tuner.z_reset) F64(tuner.z_up) F64(tuner.z_low) F64(tuner.mE)         \
    F64(tuner.sE) I64(tuner.t) F64(autotune.target) F64(autotune.gain) F64(autotune.clip)          \
    F64(autotune.smoothing) F64(autotune.reset_factor) F64(autotune.reset_shrink)                  \
    F64(autotune.v) I64(autotune.t) F64(lguard.rate) F64(lguard.k_sigma) F64(lguard.floor)         \
    F64(lguard.mean) F64(lguard.var) I64(lguard.n) I32(u_zero_cand) I32(u_zero_good)               \
    I32(have_cand) I32(have_good) I32(nonfinite_streak)

smile_status smile_chain_save(const smile_chain *c, void **buf, size_t *len, char *msg,
                              size_t msg_len) {
    SMILE_CHECK(!c || !c->x || !buf || !len, SMILE_EINVAL, msg, msg_len,
                "chain not initialised or NULL argument");
    smile_wbuf w = {0};
    const size_t start = smile_frame_begin(&w, CHAIN_MAGIC);
    smile_wbuf_u64(&w, c->dim);
    smile_wbuf_u32(&w, (uint32_t)c->p.kind);
    smile_wbuf_params(&w, &c->p);
    smile_wbuf_i32(&w, c->chain);
    smile_wbuf_u64(&w, c->seed);
#define F64(f) smile_wbuf_f64(&w, c->f);
#define I32(f) smile_wbuf_i32(&w, (int)c->f);
#define I64(f) smile_wbuf_i64(&w, c->f);
    CHAIN_SCALARS(F64, I32, I64)
#undef F64
#undef I64
#undef I32
#define F64(f) smile_wbuf_f64(&w, c->tuning->f);
#define I32(f) smile_wbuf_i32(&w, c->tuning->f);
#define I64(f) smile_wbuf_i64(&w, c->tuning->f);
    TUNING_SCALARS(F64, I32, I64)
#undef F64
#undef I32
#undef I64
    smile_wbuf_rng(&w, &c->rng_noise);
    smile_wbuf_rng(&w, &c->rng_vel);
    float *b[N_BUFS];
    chain_bufs(c, b);
    for (int i = 0; i < N_BUFS; i++) {
        smile_wbuf_u32(&w, b[i] != NULL);
        if (b[i]) smile_wbuf_f32s(&w, b[i], c->dim);
    }
    smile_mclmc_save(c, &w);
    smile_frame_end(&w, start);
    return smile_wbuf_finish(&w, buf, len, msg, msg_len);
}

static int flag(int v) { return v == 0 || v == 1; }

/* Range checks of a loaded state (values a chain can reach). */
static int state_ok(const smile_chain *c) {
    const struct smile_tuning *t = c->tuning;
    const int sched = c->p.schedule.kind != SMILE_SCHEDULE_CONSTANT;
    return flag(c->have_cache) && flag(c->u_zero) && flag(t->u_zero_cand) &&
           flag(t->u_zero_good) && flag(t->have_cand) && flag(t->have_good) &&
           (c->phase == SMILE_PHASE_WARMUP || c->phase == SMILE_PHASE_SAMPLING) && c->thin >= 1 &&
           c->step >= 0 && c->phase_step >= 0 && c->phase_step <= c->step && c->phase_len >= 0 &&
           isfinite(c->eps) && (c->eps > 0 || (sched && c->eps == 0)) && c->L >= 0 &&
           c->n_grad >= 0 && c->n_logp >= 0 && c->n_resets >= 0 && c->n_nonfinite >= 0 &&
           c->n_sanitised >= 0 && c->n_eps_up >= 0 && c->n_eps_down >= 0 && c->n_emitted >= 0 &&
           c->chain >= 0 && t->tuner.t >= 1 && t->autotune.t >= 1 && t->lguard.n >= 0 &&
           t->nonfinite_streak >= 0 && t->nonfinite_streak <= c->step;
}

/* Reads the payload after the header fields into tmp (initialised with the
 * checkpoint's parameters). */
static smile_status load_state(smile_chain *tmp, smile_rbuf *r, char *msg, size_t msg_len) {
    smile_chain *c = tmp;
#define F64(f) c->f = smile_rbuf_f64(r);
#define I32(f) c->f = smile_rbuf_i32(r);
#define I64(f) c->f = smile_rbuf_i64(r);
    CHAIN_SCALARS(F64, I32, I64)
#undef F64
#undef I64
#undef I32
#define F64(f) c->tuning->f = smile_rbuf_f64(r);
#define I32(f) c->tuning->f = smile_rbuf_i32(r);
#define I64(f) c->tuning->f = smile_rbuf_i64(r);
    TUNING_SCALARS(F64, I32, I64)
#undef F64
#undef I32
#undef I64
    const int rng_ok = smile_rbuf_rng(r, &c->rng_noise) & smile_rbuf_rng(r, &c->rng_vel);
    SMILE_CHECK(r->short_read, SMILE_EFORMAT, msg, msg_len, "chain checkpoint: payload ends early");
    SMILE_CHECK(!rng_ok || !state_ok(c), SMILE_EFORMAT, msg, msg_len,
                "chain checkpoint: state out of range (phase %d, step %lld, phase step %lld, "
                "thin %d, eps %g)",
                (int)c->phase, (long long)c->step, (long long)c->phase_step, c->thin, c->eps);
    float *b[N_BUFS];
    chain_bufs(c, b);
    for (int i = 0; i < N_BUFS; i++) {
        const uint32_t present = smile_rbuf_u32(r);
        SMILE_CHECK(!r->short_read && present != (b[i] != NULL), SMILE_EFORMAT, msg, msg_len,
                    "chain checkpoint: buffer %d %s, the sampler parameters say otherwise", i,
                    present ? "present" : "absent");
        if (b[i]) smile_rbuf_f32s(r, b[i], c->dim);
    }
    SMILE_CHECK(r->short_read, SMILE_EFORMAT, msg, msg_len, "chain checkpoint: payload ends early");
    SMILE_TRY(smile_mclmc_load(c, r, msg, msg_len));
    return smile_frame_close(r, "chain", msg, msg_len);
}

smile_status smile_chain_load(smile_chain *c, const void *buf, size_t len, char *msg,
                              size_t msg_len) {
    SMILE_CHECK(!c || !c->x, SMILE_EINVAL, msg, msg_len, "chain not initialised");
    smile_rbuf r;
    SMILE_TRY(smile_frame_open(buf, len, CHAIN_MAGIC, "chain", &r, msg, msg_len));
    const uint64_t dim = smile_rbuf_u64(&r);
    const uint32_t kind = smile_rbuf_u32(&r);
    SMILE_CHECK(dim != c->dim || kind != (uint32_t)c->p.kind, SMILE_EINVAL, msg, msg_len,
                "checkpoint of a %s chain of dimension %llu, this chain is %s of dimension %zu",
                smile_sampler_name((smile_sampler_kind)kind), (unsigned long long)dim,
                smile_sampler_name(c->p.kind), c->dim);
    smile_sampler_params p;
    smile_rbuf_params(&r, &p);
    const int chain = smile_rbuf_i32(&r);
    const uint64_t seed = smile_rbuf_u64(&r);
    char m[200] = "";
    SMILE_CHECK(r.short_read || p.kind != c->p.kind ||
                    smile_sampler_params_validate(&p, c->dim, m, sizeof m) != SMILE_OK,
                SMILE_EFORMAT, msg, msg_len, "chain checkpoint: invalid sampler parameters%s%s",
                m[0] ? ": " : "", m);
    /* everything goes into a fresh chain first: on failure c stays as it was */
    smile_chain tmp;
    SMILE_TRY(smile_chain_init(&tmp, &p, c->dim, seed, chain, NULL, msg, msg_len));
    smile_status st = load_state(&tmp, &r, msg, msg_len);
    if (st != SMILE_OK) {
        smile_chain_free(&tmp);
        return st;
    }
    smile_chain_free(c);
    *c = tmp;
    return SMILE_OK;
}
