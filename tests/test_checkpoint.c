/* Checkpoints and the chain driver: for every sampler kind, a run stopped at
 * a step budget or by a stop request, saved (smile_drive_save), restored
 * into fresh chains (smile_drive_load) and continued gives the same steps
 * and the same final state, bit for bit, as the uninterrupted run; damaged,
 * truncated, foreign-version and mismatched buffers are refused and leave
 * the chain unchanged. */
#include "harness.h"
#include "smile.h"

#include <math.h>
#include <stdint.h>

#define D 6
#define W 200
#define S 200
#define THIN 3
#define MAX_STEPS (W + S)

/* Diagonal Gaussian plus batch noise ⟨ξ_b, x⟩, ξ_b from (chain, serial) and
 * the batch's first index, so a wrong stream state changes the numbers. */
static int gauss(void *user, const float *x, const smile_batch *b, double *logp, float *grad) {
    (void)user;
    smile_rng r;
    smile_rng_init(&r, 5, (uint64_t)b->chain, 1000 + b->serial + (b->idx ? 7 * b->idx[0] : 0));
    double s = 0;
    for (int i = 0; i < D; i++) {
        const double sig = 0.5 + 0.3 * i, xi = 0.5 * smile_rng_normal(&r);
        s += -0.5 * (double)x[i] * x[i] / (sig * sig) + xi * x[i];
        if (grad) grad[i] = (float)(-(double)x[i] / (sig * sig) + xi);
    }
    *logp = s;
    return 0;
}

/* Per-step record of one chain, indexed by the global step. */
typedef struct {
    double eps[MAX_STEPS], logp[MAX_STEPS];
    unsigned flags[MAX_STEPS];
    int n_steps, stop_at;
    volatile int stop;
    void *ckpt;
    size_t ckpt_len;
    int n_ckpt, last_stage;
} record;

static smile_status rec_step(void *user, int k, const smile_chain *c, const smile_step_info *info,
                             char *msg, size_t msg_len) {
    record *r = user;
    (void)k, (void)c, (void)msg, (void)msg_len;
    r->eps[info->step] = info->eps;
    r->logp[info->step] = info->logp;
    r->flags[info->step] = info->flags;
    r->n_steps++;
    if (info->step == r->stop_at) r->stop = 1;
    return SMILE_OK;
}

static smile_status rec_ckpt(void *user, int k, const smile_chain *c, const smile_drive_slot *s,
                             char *msg, size_t msg_len) {
    record *r = user;
    (void)k;
    free(r->ckpt);
    r->ckpt = NULL;
    r->n_ckpt++;
    r->last_stage = (int)s->stage;
    return smile_drive_save(c, s, "app", 3, &r->ckpt, &r->ckpt_len, msg, msg_len);
}

static smile_sampler_params params_for(smile_sampler_kind kind) {
    smile_sampler_params p = smile_sampler_params_default(kind);
    switch (kind) {
    case SMILE_SAMPLER_MCLMC: break;
    case SMILE_SAMPLER_SGLD: p.step_size = 1e-2; break;
    case SMILE_SAMPLER_CSGLD: p.schedule.eps0 = 2e-2; p.schedule.eps_end = 1e-4; break;
    case SMILE_SAMPLER_SGHMC: p.step_size = 5e-2; p.sghmc_alpha = 0.1; break;
    case SMILE_SAMPLER_ADASGHMC: p.step_size = 2e-2; p.momentum_resample_prob = 0.05; break;
    default: p.step_size = 0.3; break;
    }
    return p;
}

/* One chain, W + S steps, epoch batches of 25 of 500 points. */
static smile_run_params run_params(void) {
    smile_run_params rp = {.n_chains = 1, .warmup = W, .samples = S, .thin = THIN,
                           .stream = SMILE_STREAM_EPOCH, .n_data = 500, .batch_size = 25,
                           .scale = SMILE_SCALE_N_OVER_B, .seed = 11};
    return rp;
}

/* A fresh chain (x0 = start everywhere) and its slot. */
static void fresh(smile_chain *c, smile_drive_slot *s, smile_sampler_kind kind, float start) {
    smile_sampler_params p = params_for(kind);
    smile_run_params rp = run_params();
    float x0[D];
    for (int i = 0; i < D; i++) x0[i] = start;
    char msg[256];
    CHECK(smile_chain_init(c, &p, D, 3, 0, x0, msg, sizeof msg) == SMILE_OK, "init: %s", msg);
    CHECK(smile_drive_slot_init(s, &rp, kind, 0, msg, sizeof msg) == SMILE_OK, "slot: %s", msg);
}

static void drop(smile_chain *c, smile_drive_slot *s) {
    smile_chain_free(c);
    smile_drive_slot_free(s);
}

static int same_bytes(const void *a, size_t na, const void *b, size_t nb) {
    return na == nb && !memcmp(a, b, na);
}

static int same_record(const record *a, const record *b) {
    return !memcmp(a->eps, b->eps, sizeof a->eps) && !memcmp(a->logp, b->logp, sizeof a->logp) &&
           !memcmp(a->flags, b->flags, sizeof a->flags);
}

/* Uninterrupted reference run: per-step record and final chain bytes. */
static void reference(smile_sampler_kind kind, record *ref, void **fin, size_t *fin_len) {
    smile_chain c;
    smile_drive_slot s;
    smile_target t = {D, gauss, NULL, 1};
    smile_run_params rp = run_params();
    char msg[256];
    memset(ref, 0, sizeof *ref);
    ref->stop_at = -1;
    smile_drive_hooks h = {.user = ref, .on_step = rec_step};
    fresh(&c, &s, kind, 0.5f);
    CHECK(smile_drive(&c, &s, &t, &rp, &h, msg, sizeof msg) == SMILE_OK, "drive: %s", msg);
    CHECK(s.stage == SMILE_DRIVE_DONE && ref->n_steps == W + S, "%s: stage %d after %d steps",
          smile_sampler_name(kind), (int)s.stage, ref->n_steps);
    CHECK(smile_chain_save(&c, fin, fin_len, msg, sizeof msg) == SMILE_OK, "save: %s", msg);
    drop(&c, &s);
}

/* Stops after `cut` steps (a step budget, or a stop request when by_stop),
 * saves, restores into a fresh chain started elsewhere, finishes. */
static void resumed(smile_sampler_kind kind, int cut, int by_stop, const record *ref,
                    const void *fin, size_t fin_len) {
    smile_chain c;
    smile_drive_slot s;
    smile_target t = {D, gauss, NULL, 1};
    smile_run_params rp = run_params();
    char msg[256] = "";
    record *r = calloc(1, sizeof *r);
    r->stop_at = by_stop ? cut - 1 : -1;
    smile_drive_hooks h = {.user = r, .on_step = rec_step, .on_checkpoint = rec_ckpt,
                           .checkpoint_seconds = 1e9, .stop = &r->stop};
    fresh(&c, &s, kind, 0.5f);
    if (!by_stop) rp.max_steps = cut;
    smile_status st = smile_drive(&c, &s, &t, &rp, &h, msg, sizeof msg);
    CHECK(st == (by_stop ? SMILE_EINTERRUPTED : SMILE_OK), "%s cut %d: %s",
          smile_sampler_name(kind), cut, msg);
    if (by_stop)
        CHECK(!strcmp(msg, "interrupted") && r->n_ckpt == 1, "stop: '%s', %d checkpoints", msg,
              r->n_ckpt);
    else
        CHECK(smile_drive_save(&c, &s, "app", 3, &r->ckpt, &r->ckpt_len, msg, sizeof msg) ==
                  SMILE_OK,
              "save: %s", msg);
    drop(&c, &s);

    fresh(&c, &s, kind, -2.0f);
    const void *app = NULL;
    size_t app_len = 0;
    st = smile_drive_load(&c, &s, r->ckpt, r->ckpt_len, &app, &app_len, msg, sizeof msg);
    CHECK(st == SMILE_OK && app_len == 3 && !memcmp(app, "app", 3), "load: %s", msg);
    CHECK(c.step == cut, "%s: restored at step %lld, cut %d", smile_sampler_name(kind),
          (long long)c.step, cut);
    r->stop = 0;
    r->stop_at = -1;
    rp.max_steps = 0;
    CHECK(smile_drive(&c, &s, &t, &rp, &h, msg, sizeof msg) == SMILE_OK, "finish: %s", msg);
    CHECK(r->last_stage == SMILE_DRIVE_DONE, "no checkpoint when done");
    void *got = NULL;
    size_t got_len = 0;
    smile_chain_save(&c, &got, &got_len, msg, sizeof msg);
    CHECK(same_record(r, ref) && same_bytes(got, got_len, fin, fin_len),
          "%s: stopped at %d (%s) and resumed differs from the uninterrupted run",
          smile_sampler_name(kind), cut, by_stop ? "stop request" : "step budget");
    free(got);
    free(r->ckpt);
    free(r);
    drop(&c, &s);
}

static void test_resume_every_kind(void) {
    /* MCLMC warm-up W = 200: phases 1 (< 160), 2 (< 180), 3 (< 200) */
    const int cuts[] = {1, 150, 175, 190, 200, 201, 290, 399};
    for (int kind = 0; kind < SMILE_SAMPLER_COUNT_; kind++) {
        record *ref = calloc(1, sizeof *ref);
        void *fin = NULL;
        size_t fin_len = 0;
        reference((smile_sampler_kind)kind, ref, &fin, &fin_len);
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            resumed((smile_sampler_kind)kind, cuts[i], 0, ref, fin, fin_len);
            resumed((smile_sampler_kind)kind, cuts[i], 1, ref, fin, fin_len);
        }
        free(fin);
        free(ref);
    }
}

/* A chain saved, loaded into another chain and saved again: same bytes. */
static void test_chain_round_trip(void) {
    for (int kind = 0; kind < SMILE_SAMPLER_COUNT_; kind++) {
        smile_chain a, b;
        smile_drive_slot sa, sb;
        smile_target t = {D, gauss, NULL, 1};
        smile_run_params rp = run_params();
        rp.max_steps = 185; /* MCLMC: inside phase 2, with a tuning workspace */
        char msg[256];
        fresh(&a, &sa, (smile_sampler_kind)kind, 0.5f);
        fresh(&b, &sb, (smile_sampler_kind)kind, 1.0f);
        smile_drive(&a, &sa, &t, &rp, NULL, msg, sizeof msg);
        void *x = NULL, *y = NULL;
        size_t nx = 0, ny = 0;
        CHECK(smile_chain_save(&a, &x, &nx, msg, sizeof msg) == SMILE_OK, "save: %s", msg);
        CHECK(smile_chain_load(&b, x, nx, msg, sizeof msg) == SMILE_OK, "load: %s", msg);
        smile_chain_save(&b, &y, &ny, msg, sizeof msg);
        CHECK(same_bytes(x, nx, y, ny), "%s: save(load(save(c))) != save(c)",
              smile_sampler_name((smile_sampler_kind)kind));
        free(x);
        free(y);
        drop(&a, &sa);
        drop(&b, &sb);
    }
}

/* Expects refusal with `code` and a message containing `words`; the chain
 * must be unchanged. */
static void refused(smile_chain *c, const void *buf, size_t len, smile_status code,
                    const char *words, const char *what) {
    void *before = NULL, *after = NULL;
    size_t nb = 0, na = 0;
    char msg[256] = "";
    smile_chain_save(c, &before, &nb, msg, sizeof msg);
    smile_status st = smile_chain_load(c, buf, len, msg, sizeof msg);
    smile_chain_save(c, &after, &na, NULL, 0);
    CHECK(st == code && strstr(msg, words), "%s: status %d, message '%s'", what, st, msg);
    CHECK(same_bytes(before, nb, after, na), "%s: chain changed by a refused load", what);
    free(before);
    free(after);
}

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void test_refusals(void) {
    smile_chain c, other;
    smile_drive_slot s, so;
    smile_target t = {D, gauss, NULL, 1};
    smile_run_params rp = run_params();
    rp.max_steps = 170;
    char msg[256];
    fresh(&c, &s, SMILE_SAMPLER_MCLMC, 0.5f);
    smile_drive(&c, &s, &t, &rp, NULL, msg, sizeof msg);
    void *buf = NULL;
    size_t len = 0;
    smile_chain_save(&c, &buf, &len, msg, sizeof msg);
    unsigned char *b = malloc(len + 1);

    fresh(&other, &so, SMILE_SAMPLER_MCLMC, 1.0f);
    memcpy(b, buf, len);
    b[len / 2] ^= 0x10;
    refused(&other, b, len, SMILE_EFORMAT, "CRC", "flipped bit");
    memcpy(b, buf, len);
    refused(&other, b, len - 1, SMILE_EFORMAT, "truncated", "last byte missing");
    refused(&other, b, len / 3, SMILE_EFORMAT, "truncated", "two thirds missing");
    refused(&other, b, 10, SMILE_EFORMAT, "truncated", "10 bytes");
    b[len] = 0;
    refused(&other, b, len + 1, SMILE_EFORMAT, "after its end", "trailing byte");
    put_u32(b + 8, SMILE_CHECKPOINT_VERSION + 1);
    char newer[64];
    snprintf(newer, sizeof newer, "format version %d", SMILE_CHECKPOINT_VERSION + 1);
    refused(&other, b, len, SMILE_EFORMAT, newer, "newer format version");
    memcpy(b, buf, len);
    b[0] = 'X';
    refused(&other, b, len, SMILE_EFORMAT, "not a chain checkpoint", "wrong magic");
    refused(&other, NULL, 0, SMILE_EINVAL, "NULL", "NULL buffer");
    drop(&other, &so);

    /* another sampler kind, another dimension */
    smile_sampler_params p = params_for(SMILE_SAMPLER_PSMILE);
    smile_chain_init(&other, &p, D, 3, 0, NULL, msg, sizeof msg);
    refused(&other, buf, len, SMILE_EINVAL, "dimension", "other kind");
    smile_chain_free(&other);
    p = params_for(SMILE_SAMPLER_MCLMC);
    smile_chain_init(&other, &p, D + 1, 3, 0, NULL, msg, sizeof msg);
    refused(&other, buf, len, SMILE_EINVAL, "dimension 6", "other dimension");
    smile_chain_free(&other);

    /* well-formed buffers holding impossible states */
    fresh(&other, &so, SMILE_SAMPLER_MCLMC, 1.0f);
    const int thin = c.thin;
    const double eps = c.eps;
    for (int v = 0; v < 3; v++) {
        void *bad = NULL;
        size_t nbad = 0;
        c.thin = v == 0 ? 0 : thin;
        c.eps = v == 1 ? NAN : eps;
        c.phase_step = v == 2 ? c.step + 1 : c.phase_step;
        smile_chain_save(&c, &bad, &nbad, msg, sizeof msg);
        refused(&other, bad, nbad, SMILE_EFORMAT, "out of range", "impossible state");
        c.phase_step = v == 2 ? c.phase_step - 1 : c.phase_step;
        free(bad);
    }
    c.thin = thin;
    c.eps = eps;
    drop(&other, &so);
    free(b);
    free(buf);
    drop(&c, &s);
}

static void test_stream_refusals(void) {
    smile_batch_stream a, o;
    char msg[256] = "";
    smile_batch_stream_init(&a, SMILE_STREAM_EPOCH, 100, 10, SMILE_SCALE_N_OVER_B, 1, 0, NULL, 0);
    smile_batch stmp;
    for (int i = 0; i < 13; i++) smile_batch_stream_next(&a, &stmp);
    void *buf = NULL;
    size_t len = 0;
    CHECK(smile_batch_stream_save(&a, &buf, &len, msg, sizeof msg) == SMILE_OK, "save: %s", msg);
    smile_batch_stream_init(&o, SMILE_STREAM_EPOCH, 100, 10, SMILE_SCALE_N_OVER_B, 2, 0, NULL, 0);
    CHECK(smile_batch_stream_load(&o, buf, len, msg, sizeof msg) == SMILE_OK, "load: %s", msg);
    smile_batch ba, bo;
    int same = 1;
    for (int i = 0; i < 25; i++) {
        smile_batch_stream_next(&a, &ba);
        smile_batch_stream_next(&o, &bo);
        same &= ba.serial == bo.serial && !memcmp(ba.idx, bo.idx, ba.size * sizeof *ba.idx);
    }
    CHECK(same, "restored stream serves other batches");
    ((unsigned char *)buf)[len - 9] ^= 1;
    CHECK(smile_batch_stream_load(&o, buf, len, msg, sizeof msg) == SMILE_EFORMAT &&
              strstr(msg, "CRC"),
          "damaged stream buffer: %s", msg);
    smile_batch_stream_free(&o);
    smile_batch_stream_init(&o, SMILE_STREAM_EPOCH, 101, 10, SMILE_SCALE_N_OVER_B, 2, 0, NULL, 0);
    free(buf);
    smile_batch_stream_save(&a, &buf, &len, msg, sizeof msg);
    CHECK(smile_batch_stream_load(&o, buf, len, msg, sizeof msg) == SMILE_EINVAL,
          "stream over 101 points took a checkpoint over 100: %s", msg);
    free(buf);
    a.perm[0] = a.perm[1]; /* not a permutation any more */
    smile_batch_stream_save(&a, &buf, &len, msg, sizeof msg);
    smile_batch_stream_free(&o);
    smile_batch_stream_init(&o, SMILE_STREAM_EPOCH, 100, 10, SMILE_SCALE_N_OVER_B, 2, 0, NULL, 0);
    CHECK(smile_batch_stream_load(&o, buf, len, msg, sizeof msg) == SMILE_EFORMAT &&
              strstr(msg, "out of range"),
          "repeated index in an epoch permutation accepted: %s", msg);
    free(buf);
    smile_batch_stream_free(&o);
    smile_batch_stream_free(&a);
}

int main(void) {
    test_resume_every_kind();
    test_chain_round_trip();
    test_refusals();
    test_stream_refusals();
    return harness_done("test_checkpoint");
}
