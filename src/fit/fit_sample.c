/* Sampling phase of the fit pipeline (experiments.md §0.2 step 3, samplers.md
 * §7.7, §7.8): chain k starts at DE member k (homoscedastic model: log σ set
 * to 0, E§2.4), runs W warm-up steps then S sampling steps, and emits the
 * position after step t when t mod thin = 0 (§6.8). Chains run in parallel
 * OpenMP threads; each owns its chain state, its batch stream (seed, k) and
 * its output files, so nothing depends on the thread count or schedule.
 *
 * The per-chain driver mirrors smile_run_chains (src/sampler/run.c): MCLMC
 * uses the full-data stream, the others SMILE_STREAM_EPOCH (EPOCH_REF with
 * reference_batching; text: SMILE_STREAM_FRESH over window starts, E§6.1);
 * a new epoch starts at the phase boundary only with reference_phase_boundary.
 * It is written out here because it also streams samples and traces to disk
 * and checkpoints.
 *
 * Checkpoints (checkpoint/chain_<k>.ckpt, written atomically): the chain
 * struct and its buffers, the batch stream and its permutation, the number of
 * samples / trace bytes already in the partial output files, the driver
 * stage. Taken every checkpoint_seconds and when rt->stop is raised; the
 * output files are fsync'ed first, so a checkpoint never refers to data that
 * is not on disk. A resumed chain cuts its partial files back to the
 * checkpoint and continues bit-identically. MCLMC cannot be checkpointed
 * during its warm-up (the MILE tuning workspace is opaque): a chain stopped
 * there restarts from its DE member. */
#include "fit/fit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { STAGE_FRESH = 0, STAGE_WARMUP = 1, STAGE_SAMPLING = 2, STAGE_DONE = 3 };

typedef struct {
    smile_fit *f;
    smile_target target;
    const float *theta0;
    volatile int64_t done_steps;
    int64_t total_steps;
    double t0, last_report;
} job;

typedef struct {
    int stage;
    smile_batch_stream s;
    smile_npy_writer npy;
    smile_csv_writer csv;
    int have_npy, have_csv;
    double last_ckpt;
} slot;

static const char CK_MAGIC[8] = {'S', 'M', 'I', 'L', 'E', 'C', 'K', '1'};
static const char CK_END[8] = {'S', 'M', 'I', 'L', 'E', 'E', 'N', 'D'};

static char *chain_file(const smile_fit *f, const char *fmt, int k) {
    char name[64];
    snprintf(name, sizeof name, fmt, k);
    return fit_path(f, name);
}

static size_t perm_len(const smile_batch_stream *s) {
    if (s->kind == SMILE_STREAM_FULL) return 0;
    return s->kind == SMILE_STREAM_FRESH ? s->batch_size : s->n_data;
}

typedef struct {
    uint32_t version, stage;
    uint64_t d, n_data, chain_bytes, stream_bytes, perm;
    uint64_t npy_rows, csv_rows;
    int64_t csv_bytes;
    uint32_t has_precond, has_ada;
} ck_header;

/* The chain's float buffers [d] in a fixed order (NULL = absent for this
 * sampler). scratch is excluded: its content does not matter between steps. */
#define N_BUFS 17
static void chain_bufs(smile_chain *c, float **b[N_BUFS]) {
    b[0] = &c->x;
    b[1] = &c->u;
    b[2] = &c->g;
    b[3] = &c->x_prev;
    b[4] = &c->g_prev;
    b[5] = &c->mu_g;
    b[6] = &c->sigma_g;
    b[7] = &c->D;
    b[8] = &c->ada_sigma;
    b[9] = &c->ada_gbar;
    b[10] = &c->ada_tau;
    b[11] = &c->ada_glast;
    b[12] = &c->u_prev; /* auto variants (NULL otherwise) */
    b[13] = &c->x_cand;
    b[14] = &c->u_cand;
    b[15] = &c->x_good;
    b[16] = &c->u_good;
}

static smile_status ckpt_write(smile_fit *f, int k, smile_chain *c, slot *sl, char *msg,
                               size_t msg_len) {
    if (c->mile) return SMILE_OK; /* MCLMC warm-up: not checkpointable */
    if (sl->have_npy) SMILE_TRY(smile_npy_writer_sync(&sl->npy, msg, msg_len));
    if (sl->have_csv) SMILE_TRY(smile_csv_writer_sync(&sl->csv, msg, msg_len));
    ck_header h;
    memset(&h, 0, sizeof h);
    h.version = 1;
    h.stage = (uint32_t)sl->stage;
    h.d = c->dim;
    h.n_data = sl->s.n_data;
    h.chain_bytes = sizeof(smile_chain);
    h.stream_bytes = sizeof(smile_batch_stream);
    h.perm = perm_len(&sl->s);
    h.npy_rows = sl->have_npy ? sl->npy.rows : 0;
    h.csv_rows = sl->have_csv ? sl->csv.rows : 0;
    h.csv_bytes = sl->have_csv ? smile_csv_writer_bytes(&sl->csv) : 0;
    h.has_precond = c->mu_g != NULL;
    h.has_ada = c->ada_sigma != NULL;
    char *p = chain_file(f, "checkpoint/chain_%d.ckpt", k);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_afile af;
    smile_status st = smile_afile_open(&af, p, msg, msg_len);
    free(p);
    SMILE_TRY(st);
    st = smile_afile_write(&af, CK_MAGIC, 8, msg, msg_len);
    if (st == SMILE_OK) st = smile_afile_write(&af, &h, sizeof h, msg, msg_len);
    if (st == SMILE_OK) st = smile_afile_write(&af, c, sizeof *c, msg, msg_len);
    float **b[N_BUFS];
    chain_bufs(c, b);
    for (int i = 0; st == SMILE_OK && i < N_BUFS; i++)
        if (*b[i]) st = smile_afile_write(&af, *b[i], c->dim * sizeof(float), msg, msg_len);
    if (st == SMILE_OK) st = smile_afile_write(&af, &sl->s, sizeof sl->s, msg, msg_len);
    if (st == SMILE_OK && h.perm)
        st = smile_afile_write(&af, sl->s.perm, h.perm * sizeof(uint32_t), msg, msg_len);
    if (st == SMILE_OK) st = smile_afile_write(&af, CK_END, 8, msg, msg_len);
    if (st != SMILE_OK) {
        smile_afile_abort(&af);
        return st;
    }
    return smile_afile_commit(&af, msg, msg_len);
}

static int rd(FILE *fp, void *buf, size_t n) { return fread(buf, 1, n, fp) == n; }

/* Restores chain k from its checkpoint into c (initialised with the run's
 * parameters) and sl->s (initialised). Returns SMILE_OK with *found = 0 when
 * there is no checkpoint. */
static smile_status ckpt_read(smile_fit *f, int k, smile_chain *c, slot *sl, ck_header *h,
                              int *found, char *msg, size_t msg_len) {
    *found = 0;
    char *p = chain_file(f, "checkpoint/chain_%d.ckpt", k);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
    FILE *fp = fopen(p, "rb");
    if (!fp) {
        free(p);
        return SMILE_OK;
    }
    smile_status st = SMILE_EFORMAT;
    char mg[8];
    if (!rd(fp, mg, 8) || memcmp(mg, CK_MAGIC, 8) || !rd(fp, h, sizeof *h) || h->version != 1 ||
        h->d != c->dim || h->n_data != sl->s.n_data || h->chain_bytes != sizeof(smile_chain) ||
        h->stream_bytes != sizeof(smile_batch_stream) || h->perm != perm_len(&sl->s) ||
        h->has_precond != (c->mu_g != NULL) || h->has_ada != (c->ada_sigma != NULL)) {
        smile_set_msg(msg, msg_len, "%s: not a checkpoint of this run (or another build)", p);
        goto done;
    }
    smile_chain tmp;
    if (!rd(fp, &tmp, sizeof tmp)) goto trunc;
    /* plain data from the file, buffers (pointers) from the live chain */
    float **bl[N_BUFS];
    chain_bufs(c, bl);
    float *keep[N_BUFS];
    for (int i = 0; i < N_BUFS; i++) keep[i] = *bl[i];
    float *scratch = c->scratch;
    void *mile = c->mile;
    *c = tmp;
    for (int i = 0; i < N_BUFS; i++) *bl[i] = keep[i];
    c->scratch = scratch;
    c->mile = mile;
    for (int i = 0; i < N_BUFS; i++)
        if (*bl[i] && !rd(fp, *bl[i], c->dim * sizeof(float))) goto trunc;
    smile_batch_stream stmp;
    if (!rd(fp, &stmp, sizeof stmp)) goto trunc;
    uint32_t *perm = sl->s.perm;
    uint64_t *bitmap = sl->s.bitmap;
    sl->s = stmp;
    sl->s.perm = perm;
    sl->s.bitmap = bitmap;
    if (h->perm && !rd(fp, perm, h->perm * sizeof(uint32_t))) goto trunc;
    if (!rd(fp, mg, 8) || memcmp(mg, CK_END, 8)) goto trunc;
    sl->stage = (int)h->stage;
    *found = 1;
    st = SMILE_OK;
    goto done;
trunc:
    /* checkpoints are written atomically: this is a damaged file */
    smile_set_msg(msg, msg_len, "%s: truncated checkpoint", p);
done:
    fclose(fp);
    free(p);
    return st;
}

static void report(job *J, const smile_chain *c) {
    smile_fit *f = J->f;
    if (!f->rt.progress) return;
    double now = fit_now();
    if (now - J->last_report < 0.5 && J->done_steps < J->total_steps) return;
    J->last_report = now;
    smile_fit_progress pr = {"warm-up+sampling", J->done_steps, J->total_steps, now - J->t0,
                             c ? c->eps : NAN};
    f->rt.progress(f->rt.progress_user, &pr);
}

static smile_status open_writers(smile_fit *f, int k, slot *sl, const ck_header *h, int resume,
                                 char *msg, size_t msg_len) {
    char *np = chain_file(f, "samples/member_%d.npy", k);
    char *tp = chain_file(f, "trace_%d.csv", k);
    smile_status st = (np && tp) ? SMILE_OK : SMILE_ENOMEM;
    if (st == SMILE_OK)
        st = smile_npy_writer_open(&sl->npy, np, f->d, resume ? (long long)h->npy_rows : -1, msg,
                                   msg_len);
    if (st == SMILE_OK) {
        sl->have_npy = 1;
        st = smile_csv_writer_open(&sl->csv, tp, "step,phase,eps,dE,dE_batch,logp,resets,nonfinite,flags",
                                   resume ? h->csv_bytes : -1, resume ? h->csv_rows : 0, msg,
                                   msg_len);
        if (st == SMILE_OK) sl->have_csv = 1;
    }
    free(np);
    free(tp);
    return st;
}

static void close_writers_keep(slot *sl) {
    if (sl->have_npy) smile_npy_writer_close_keep(&sl->npy);
    if (sl->have_csv) smile_csv_writer_close_keep(&sl->csv);
    sl->have_npy = sl->have_csv = 0;
}

/* A chain whose checkpoint says done: make sure its files are final (a crash
 * may have happened between the checkpoint and the renames). */
static smile_status finish_done_files(smile_fit *f, int k, const ck_header *h, char *msg,
                                      size_t msg_len) {
    char *np = chain_file(f, "samples/member_%d.npy", k);
    char *tp = chain_file(f, "trace_%d.csv", k);
    SMILE_CHECK(!np || !tp, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_status st = SMILE_OK;
    if (!fit_file_exists(np)) {
        smile_npy_writer w;
        st = smile_npy_writer_open(&w, np, f->d, (long long)h->npy_rows, msg, msg_len);
        if (st == SMILE_OK) st = smile_npy_writer_finish(&w, msg, msg_len);
    }
    if (st == SMILE_OK && !fit_file_exists(tp)) {
        smile_csv_writer w;
        st = smile_csv_writer_open(&w, tp, "", h->csv_bytes, h->csv_rows, msg, msg_len);
        if (st == SMILE_OK) st = smile_csv_writer_finish(&w, msg, msg_len);
    }
    free(np);
    free(tp);
    return st;
}

static smile_status step_once(job *J, int k, smile_chain *c, slot *sl, char *msg,
                              size_t msg_len) {
    const smile_fit_config *cfg = &J->f->cfg;
    smile_batch b;
    smile_step_info info;
    smile_batch_stream_next(&sl->s, &b);
    smile_status st = smile_chain_step(c, &J->target, &b, &info);
    if (st != SMILE_OK) {
        smile_set_msg(msg, msg_len, "chain %d: step failed: %s", k, smile_status_str(st));
        return st;
    }
    if (info.flags & SMILE_INFO_SAMPLE_EMITTED)
        SMILE_TRY(smile_npy_writer_append(&sl->npy, c->x, msg, msg_len));
    if (info.step % cfg->trace_every == 0 ||
        (info.flags & (SMILE_INFO_RESET | SMILE_INFO_NONFINITE))) {
        if (smile_csv_writer_row(&sl->csv, "%lld,%c,%.9g,%.9g,%.9g,%.10g,%lld,%lld,%u",
                                 (long long)info.step, info.phase == SMILE_PHASE_WARMUP ? 'w' : 's',
                                 info.eps, info.dE, info.dE_batch, info.logp, (long long)c->n_resets,
                                 (long long)c->n_nonfinite, info.flags) != SMILE_OK) {
            smile_set_msg(msg, msg_len, "chain %d: cannot write its trace", k);
            return SMILE_EIO;
        }
    }
    if ((c->step & 255) == 0) {
#pragma omp atomic
        J->done_steps += 256;
#ifdef _OPENMP
        if (omp_get_thread_num() == 0)
#endif
            report(J, c);
    }
    return SMILE_OK;
}

/* After a step: interruption and periodic checkpoints. */
static smile_status after_step(job *J, int k, smile_chain *c, slot *sl, char *msg,
                               size_t msg_len) {
    smile_fit *f = J->f;
    if (f->rt.stop && *f->rt.stop) {
        SMILE_TRY(ckpt_write(f, k, c, sl, msg, msg_len));
        smile_set_msg(msg, msg_len, "interrupted");
        return SMILE_EINTERRUPTED;
    }
    double now = fit_now();
    if (now - sl->last_ckpt >= f->cfg.checkpoint_seconds) {
        SMILE_TRY(ckpt_write(f, k, c, sl, msg, msg_len));
        sl->last_ckpt = now;
    }
    return SMILE_OK;
}

static smile_status run_chain(job *J, int k, char *msg, size_t msg_len) {
    smile_fit *f = J->f;
    const smile_fit_config *cfg = &f->cfg;
    smile_chain *c = &f->chains[k];
    slot sl;
    memset(&sl, 0, sizeof sl);
    sl.last_ckpt = fit_now();
    const int mclmc = cfg->sampler.kind == SMILE_SAMPLER_MCLMC;
    /* text (E§6.1): B random window starts per step over the window-start
     * set {0, …, n_train − T − 2} (the view's examples), drawn afresh each
     * step (FRESH: distinct within a batch; the spec's i.i.d. draws differ
     * only in the rare repeats, B ≪ n_train), likelihood scale n_b of E§6.1 */
    smile_stream_kind kind = f->text                   ? SMILE_STREAM_FRESH
                             : mclmc                   ? SMILE_STREAM_FULL
                             : cfg->reference_batching ? SMILE_STREAM_EPOCH_REF
                                                       : SMILE_STREAM_EPOCH;
    /* chain k starts at DE member k; the homoscedastic log σ starts at 0 (E§2.4) */
    const float *x0 = J->theta0 + (size_t)k * f->d;
    SMILE_TRY(smile_chain_init(c, &cfg->sampler, f->d, cfg->seed, k, x0, msg, msg_len));
    if (f->log_sigma != SIZE_MAX) c->x[f->log_sigma] = 0.0f;
    smile_status st = smile_batch_stream_init(&sl.s, kind, f->n_train, cfg->batch, cfg->scale,
                                              cfg->seed, k, msg, msg_len);
    if (st != SMILE_OK) return st;
    if (f->text) sl.s.scale = f->text_scale;
    ck_header h;
    memset(&h, 0, sizeof h);
    int found = 0;
    if (f->rt.resume) st = ckpt_read(f, k, c, &sl, &h, &found, msg, msg_len);
    if (st == SMILE_OK && found && sl.stage == STAGE_DONE) {
        st = finish_done_files(f, k, &h, msg, msg_len);
        smile_batch_stream_free(&sl.s);
        if (st == SMILE_OK) {
#pragma omp atomic
            J->done_steps += cfg->warmup + cfg->samples;
        }
        return st;
    }
    if (st == SMILE_OK) st = open_writers(f, k, &sl, &h, found, msg, msg_len);
    if (st == SMILE_OK && found) {
#pragma omp atomic
        J->done_steps += c->step;
    }
    const smile_target *t = &J->target;
    const int64_t W = cfg->warmup, S = cfg->samples;
    if (st == SMILE_OK && f->rt.stop && *f->rt.stop) {
        /* stopped before this chain began: nothing to save beyond a checkpoint */
        if (found) st = ckpt_write(f, k, c, &sl, msg, msg_len);
        if (st == SMILE_OK) st = SMILE_EINTERRUPTED;
    }
    if (st == SMILE_OK && sl.stage == STAGE_FRESH) {
        if (W > 0) st = smile_chain_begin_warmup(c, t, W, msg, msg_len);
        sl.stage = STAGE_WARMUP;
    }
    if (st == SMILE_OK && sl.stage == STAGE_WARMUP) {
        while (st == SMILE_OK && W > 0 && c->phase_step < W) {
            st = step_once(J, k, c, &sl, msg, msg_len);
            if (st == SMILE_OK) st = after_step(J, k, c, &sl, msg, msg_len);
        }
        if (st == SMILE_OK) {
            if (W > 0 && c->p.reference_phase_boundary) smile_batch_stream_new_epoch(&sl.s);
            st = smile_chain_begin_sampling(c, t, S, cfg->thin, msg, msg_len);
            sl.stage = STAGE_SAMPLING;
        }
    }
    if (st == SMILE_OK && sl.stage == STAGE_SAMPLING) {
        while (st == SMILE_OK && c->phase_step < S) {
            st = step_once(J, k, c, &sl, msg, msg_len);
            if (st == SMILE_OK && c->phase_step < S) st = after_step(J, k, c, &sl, msg, msg_len);
        }
        if (st == SMILE_OK) {
            /* done: record it first, then make the files final (see finish_done_files) */
            sl.stage = STAGE_DONE;
            st = ckpt_write(f, k, c, &sl, msg, msg_len);
            if (st == SMILE_OK) st = smile_npy_writer_finish(&sl.npy, msg, msg_len);
            sl.have_npy = 0;
            if (st == SMILE_OK) st = smile_csv_writer_finish(&sl.csv, msg, msg_len);
            sl.have_csv = 0;
        }
    }
    close_writers_keep(&sl);
    smile_batch_stream_free(&sl.s);
    return st;
}

smile_status fit_sample(smile_fit *f, const float *theta0, char *msg, size_t msg_len) {
    const smile_fit_config *cfg = &f->cfg;
    const int K = cfg->members;
    smile_posterior *post = NULL;
    /* full-batch MCLMC with the FCN: the whole training split in one chunk */
    const int fcn = smile_model_get_desc(f->model)->kind == SMILE_MODEL_FCN;
    size_t mb = cfg->sampler.kind == SMILE_SAMPLER_MCLMC ? (fcn ? f->n_train : cfg->batch)
                                                         : cfg->batch;
    SMILE_TRY(smile_posterior_init(&post, f->model, &f->train, K, mb, msg, msg_len));
    f->chains = calloc((size_t)K, sizeof *f->chains);
    if (!f->chains) {
        smile_posterior_free(post);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    job J;
    memset(&J, 0, sizeof J);
    J.f = f;
    J.target = smile_posterior_target(post);
    J.theta0 = theta0;
    J.total_steps = (int64_t)K * (cfg->warmup + cfg->samples);
    J.t0 = fit_now();
    J.last_report = 0;
    /* wall time of earlier sessions of a resumed run */
    double before = 0;
    char *tp = fit_path(f, "checkpoint/sampling_seconds");
    if (f->rt.resume && tp) {
        char *buf = NULL;
        if (smile_read_file(tp, &buf, NULL, NULL, 0) == SMILE_OK) before = atof(buf);
        free(buf);
    }
    smile_status first = SMILE_OK;
    int first_k = K;
    char first_msg[512] = "";
    int nt = f->threads < K ? f->threads : K;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int k = 0; k < K; k++) {
        char m[512] = "";
        smile_status st = run_chain(&J, k, m, sizeof m);
        if (st != SMILE_OK) {
#pragma omp critical(smile_fit_err)
            {
                /* a real error wins over an interruption; then the lowest chain */
                int better = first == SMILE_OK || (first == SMILE_EINTERRUPTED && st != SMILE_EINTERRUPTED) ||
                             (k < first_k && (st == SMILE_EINTERRUPTED) == (first == SMILE_EINTERRUPTED));
                if (better) {
                    first = st;
                    first_k = k;
                    memcpy(first_msg, m, sizeof first_msg);
                }
            }
        }
    }
    f->sampling_seconds = before + (fit_now() - J.t0);
    J.done_steps = J.total_steps;
    if (first == SMILE_OK) report(&J, NULL);
    if (tp) {
        char b[64];
        int n = snprintf(b, sizeof b, "%.6f\n", f->sampling_seconds);
        if (first == SMILE_EINTERRUPTED) (void)smile_write_file_atomic(tp, b, (size_t)n, NULL, 0);
    }
    free(tp);
    smile_posterior_free(post);
    if (first != SMILE_OK) smile_set_msg(msg, msg_len, "%s", first_msg);
    return first;
}

void fit_remove_checkpoints(smile_fit *f) {
    for (int k = 0; k < f->cfg.members; k++) {
        char *p = chain_file(f, "checkpoint/chain_%d.ckpt", k);
        if (p) unlink(p);
        free(p);
    }
    char *p = fit_path(f, "checkpoint/sampling_seconds");
    if (p) unlink(p);
    free(p);
    p = fit_path(f, "checkpoint");
    if (p) rmdir(p);
    free(p);
}
