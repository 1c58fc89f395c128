/* The chain driver: K chains through warm-up and sampling, each on its own
 * batch stream, in parallel OpenMP threads. Every chain owns its state, its
 * stream (seed, k) and its RNG streams, so the results do not depend on the
 * number of threads or the schedule. Hooks see the steps, the emitted
 * samples, the progress and the checkpoints; smile_run_chains, the fit
 * pipeline and `smile bench-step` all run their chains through here.
 *
 * Also the checkpoint of one driven chain (smile_drive_save / _load): the
 * chain, its stream, its stage and an application record in one frame. */
#include "sampler_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

smile_stream_kind smile_drive_stream_kind(const smile_run_params *rp, smile_sampler_kind kind) {
    /* full-batch MCLMC sees the whole data set at every step */
    return kind == SMILE_SAMPLER_MCLMC ? SMILE_STREAM_FULL : rp->stream;
}

smile_status smile_drive_slot_init(smile_drive_slot *s, const smile_run_params *rp,
                                   smile_sampler_kind kind, int k, char *msg, size_t msg_len) {
    SMILE_CHECK(!s || !rp, SMILE_EINVAL, msg, msg_len, "NULL argument");
    memset(s, 0, sizeof *s);
    SMILE_TRY(smile_batch_stream_init(&s->stream, smile_drive_stream_kind(rp, kind), rp->n_data,
                                      rp->batch_size, rp->scale, rp->seed, k, msg, msg_len));
    if (rp->batch_scale > 0) s->stream.scale = rp->batch_scale;
    s->stage = SMILE_DRIVE_FRESH;
    return SMILE_OK;
}

void smile_drive_slot_free(smile_drive_slot *s) {
    if (s) smile_batch_stream_free(&s->stream);
}

smile_status smile_run_params_check(const smile_run_params *rp, char *msg, size_t msg_len) {
    SMILE_CHECK(!rp, SMILE_EINVAL, msg, msg_len, "NULL run parameters");
    SMILE_CHECK(rp->n_chains < 1, SMILE_EINVAL, msg, msg_len, "need at least one chain");
    SMILE_CHECK(rp->warmup < 0 || rp->samples < 0, SMILE_EINVAL, msg, msg_len,
                "step counts must be >= 0");
    SMILE_CHECK(rp->thin < 1, SMILE_EINVAL, msg, msg_len, "thinning must be >= 1");
    return SMILE_OK;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Shared by the threads of one smile_drive call. */
typedef struct {
    smile_chain *chains;
    smile_drive_slot *slots;
    const smile_target *targets;
    const smile_run_params *rp;
    const smile_drive_hooks *h;
    int64_t done, total; /* progress: steps made by all chains */
} drive_ctx;

static int stop_raised(const smile_drive_hooks *h) { return h && h->stop && *h->stop; }

/* One step of chain k and the per-step hooks. */
static smile_status step_one(drive_ctx *x, int k, char *msg, size_t msg_len) {
    smile_chain *c = &x->chains[k];
    const smile_drive_hooks *h = x->h;
    smile_batch b;
    smile_step_info info;
    smile_batch_stream_next(&x->slots[k].stream, &b);
    smile_status st = smile_chain_step(c, &x->targets[k], &b, &info);
    SMILE_CHECK(st != SMILE_OK, st, msg, msg_len, "chain %d: step failed: %s", k,
                smile_status_str(st));
    if (h && h->on_sample && (info.flags & SMILE_INFO_SAMPLE_EMITTED))
        SMILE_TRY(h->on_sample(h->user, k, c, &info, msg, msg_len));
    if (h && h->on_step) SMILE_TRY(h->on_step(h->user, k, c, &info, msg, msg_len));
    if ((c->step & 255) == 0) {
#pragma omp atomic
        x->done += 256;
        int reporter = 1;
#ifdef _OPENMP
        reporter = omp_get_thread_num() == 0;
#endif
        if (h && h->on_progress && reporter) {
            int64_t done;
#pragma omp atomic read
            done = x->done;
            h->on_progress(h->user, done, x->total, c);
        }
    }
    return SMILE_OK;
}

/* Between steps: the stop request (checkpoint, then SMILE_EINTERRUPTED) and
 * the periodic checkpoint. */
static smile_status between_steps(drive_ctx *x, int k, double *last_ckpt, char *msg,
                                  size_t msg_len) {
    const smile_drive_hooks *h = x->h;
    if (stop_raised(h)) {
        if (h->on_checkpoint)
            SMILE_TRY(h->on_checkpoint(h->user, k, &x->chains[k], &x->slots[k], msg, msg_len));
        smile_set_msg(msg, msg_len, "interrupted");
        return SMILE_EINTERRUPTED;
    }
    if (h && h->on_checkpoint) {
        const double now = now_s();
        if (now - *last_ckpt >= h->checkpoint_seconds) {
            SMILE_TRY(h->on_checkpoint(h->user, k, &x->chains[k], &x->slots[k], msg, msg_len));
            *last_ckpt = now;
        }
    }
    return SMILE_OK;
}

/* Chain k from its stage to the end of its plan, or until its step budget
 * for this call (rp->max_steps) is spent. */
static smile_status drive_one(drive_ctx *x, int k, char *msg, size_t msg_len) {
    smile_chain *c = &x->chains[k];
    smile_drive_slot *s = &x->slots[k];
    const smile_target *t = &x->targets[k];
    const smile_run_params *rp = x->rp;
    const int64_t W = rp->warmup, S = rp->samples;
    int64_t budget = rp->max_steps > 0 ? rp->max_steps : -1;
    if (s->stage == SMILE_DRIVE_DONE) return SMILE_OK;
    SMILE_CHECK(stop_raised(x->h), SMILE_EINTERRUPTED, msg, msg_len, "interrupted");
    double last_ckpt = now_s();
    if (s->stage == SMILE_DRIVE_FRESH) {
        if (W > 0) SMILE_TRY(smile_chain_begin_warmup(c, t, W, msg, msg_len));
        s->stage = SMILE_DRIVE_WARMUP;
    }
    if (s->stage == SMILE_DRIVE_WARMUP) {
        while (W > 0 && c->phase_step < W) {
            if (budget >= 0 && budget-- == 0) return SMILE_OK;
            SMILE_TRY(step_one(x, k, msg, msg_len));
            SMILE_TRY(between_steps(x, k, &last_ckpt, msg, msg_len));
        }
        /* the reference starts a new epoch at the phase boundary */
        if (W > 0 && c->p.reference_phase_boundary) smile_batch_stream_new_epoch(&s->stream);
        SMILE_TRY(smile_chain_begin_sampling(c, t, S, rp->thin, msg, msg_len));
        s->stage = SMILE_DRIVE_SAMPLING;
    }
    while (c->phase_step < S) {
        if (budget >= 0 && budget-- == 0) return SMILE_OK;
        SMILE_TRY(step_one(x, k, msg, msg_len));
        if (c->phase_step < S) SMILE_TRY(between_steps(x, k, &last_ckpt, msg, msg_len));
    }
    s->stage = SMILE_DRIVE_DONE;
    const smile_drive_hooks *h = x->h;
    if (h && h->on_checkpoint) SMILE_TRY(h->on_checkpoint(h->user, k, c, s, msg, msg_len));
    return SMILE_OK;
}

smile_status smile_drive(smile_chain *chains, smile_drive_slot *slots,
                         const smile_target *targets, const smile_run_params *rp,
                         const smile_drive_hooks *hooks, char *msg, size_t msg_len) {
    SMILE_CHECK(!chains || !slots || !targets, SMILE_EINVAL, msg, msg_len, "NULL argument");
    SMILE_TRY(smile_run_params_check(rp, msg, msg_len));
    const int K = rp->n_chains;
    drive_ctx x = {chains, slots, targets, rp, hooks, 0, (int64_t)K * (rp->warmup + rp->samples)};
    for (int k = 0; k < K; k++) x.done += chains[k].step;
    smile_status first = SMILE_OK;
    int first_k = K;
    char first_msg[512] = "";
#ifdef _OPENMP
    const int nt = rp->threads > 0 ? rp->threads : omp_get_max_threads();
#endif
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int k = 0; k < K; k++) {
        char m[512] = "";
        smile_status st = drive_one(&x, k, m, sizeof m);
        if (st != SMILE_OK && !m[0])
            smile_set_msg(m, sizeof m, "chain %d: %s", k, smile_status_str(st));
        if (st != SMILE_OK) {
#pragma omp critical(smile_drive_err)
            {
                /* a real error wins over an interruption; then the lowest chain
                 * (deterministic whatever the schedule) */
                const int intr = st == SMILE_EINTERRUPTED;
                const int first_intr = first == SMILE_EINTERRUPTED;
                if (first == SMILE_OK || (first_intr && !intr) ||
                    (intr == first_intr && k < first_k)) {
                    first = st;
                    first_k = k;
                    memcpy(first_msg, m, sizeof first_msg);
                }
            }
        }
    }
    if (first != SMILE_OK) smile_set_msg(msg, msg_len, "%s", first_msg);
    return first;
}

/* ---- checkpoint of one driven chain ------------------------------------- */

static const char DRIVE_MAGIC[8] = {'S', 'M', 'I', 'L', 'E', 'D', 'R', 'V'};

smile_status smile_drive_save(const smile_chain *c, const smile_drive_slot *s, const void *app,
                              size_t app_len, void **buf, size_t *len, char *msg,
                              size_t msg_len) {
    SMILE_CHECK(!c || !s || !buf || !len || (app_len && !app), SMILE_EINVAL, msg, msg_len,
                "NULL argument");
    void *cb = NULL, *sb = NULL;
    size_t cn = 0, sn = 0;
    SMILE_TRY(smile_chain_save(c, &cb, &cn, msg, msg_len));
    smile_status st = smile_batch_stream_save(&s->stream, &sb, &sn, msg, msg_len);
    if (st == SMILE_OK) {
        smile_wbuf w = {0};
        const size_t start = smile_frame_begin(&w, DRIVE_MAGIC);
        smile_wbuf_u32(&w, (uint32_t)s->stage);
        smile_wbuf_blob(&w, cb, cn);
        smile_wbuf_blob(&w, sb, sn);
        smile_wbuf_blob(&w, app, app_len);
        smile_frame_end(&w, start);
        st = smile_wbuf_finish(&w, buf, len, msg, msg_len);
    }
    free(cb);
    free(sb);
    return st;
}

smile_status smile_drive_load(smile_chain *c, smile_drive_slot *s, const void *buf, size_t len,
                              const void **app, size_t *app_len, char *msg, size_t msg_len) {
    SMILE_CHECK(!c || !s, SMILE_EINVAL, msg, msg_len, "NULL argument");
    smile_rbuf r;
    SMILE_TRY(smile_frame_open(buf, len, DRIVE_MAGIC, "driven chain", &r, msg, msg_len));
    const uint32_t stage = smile_rbuf_u32(&r);
    size_t cn, sn, an;
    const void *cb = smile_rbuf_blob(&r, &cn), *sb = smile_rbuf_blob(&r, &sn);
    const void *ab = smile_rbuf_blob(&r, &an);
    SMILE_TRY(smile_frame_close(&r, "driven chain", msg, msg_len));
    SMILE_CHECK(stage > SMILE_DRIVE_DONE, SMILE_EFORMAT, msg, msg_len,
                "driven chain checkpoint: stage %u out of range", stage);
    /* the stream goes into a copy first: on failure nothing changes */
    const smile_batch_stream *o = &s->stream;
    smile_batch_stream t;
    SMILE_TRY(smile_batch_stream_init(&t, o->kind, o->n_data, o->batch_size,
                                      SMILE_SCALE_N_OVER_B, 0, o->chain, msg, msg_len));
    smile_status st = smile_batch_stream_load(&t, sb, sn, msg, msg_len);
    /* and the chain into a new chain, swapped in once everything is checked */
    smile_chain nc;
    int have_nc = 0;
    if (st == SMILE_OK)
        st = smile_chain_init(&nc, &c->p, c->dim, c->seed, c->chain, NULL, msg, msg_len);
    have_nc = st == SMILE_OK;
    if (st == SMILE_OK) st = smile_chain_load(&nc, cb, cn, msg, msg_len);
    const smile_phase want =
        stage == SMILE_DRIVE_WARMUP ? SMILE_PHASE_WARMUP : SMILE_PHASE_SAMPLING;
    if (st == SMILE_OK && stage != SMILE_DRIVE_FRESH && nc.phase != want) {
        smile_set_msg(msg, msg_len, "driven chain checkpoint: stage %u with chain phase %d", stage,
                      (int)nc.phase);
        st = SMILE_EFORMAT;
    }
    if (st != SMILE_OK) {
        if (have_nc) smile_chain_free(&nc);
        smile_batch_stream_free(&t);
        return st;
    }
    smile_chain_free(c);
    *c = nc;
    smile_batch_stream_free(&s->stream);
    s->stream = t;
    s->stage = (smile_drive_stage)stage;
    if (app) *app = ab;
    if (app_len) *app_len = an;
    return SMILE_OK;
}
