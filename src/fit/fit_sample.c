/* Sampling phase of the fit pipeline (docs/experiments.md, section 4;
 * docs/method.md, sections 5.7 and 8): chain k starts at DE member k (the
 * homoscedastic model's log σ set to 0, docs/experiments.md section 2.1),
 * runs W warm-up steps then S sampling steps, and emits the position after
 * sampling step s when s mod thin = 0 (docs/method.md, section 8.2).
 *
 * The chains run through the library's chain driver (smile_drive): MCLMC on
 * the full-data stream, the others on SMILE_STREAM_EPOCH (EPOCH_REF with
 * reference_batching; the text task on SMILE_STREAM_FRESH over window
 * starts with its own likelihood scale, docs/experiments.md section 2.3).
 * The hooks here stream samples (samples/member_<k>.npy) and traces
 * (trace_<k>.csv) to disk, report progress and write checkpoints.
 *
 * Checkpoints (checkpoint/chain_<k>.ckpt, written atomically) are
 * smile_drive_save buffers: chain, batch stream and stage, plus a record of
 * how many samples / trace bytes of the partial output files belong to
 * them. Taken every checkpoint_seconds, when rt->stop is raised and when a
 * chain is done; the output files are fsync'ed first, so a checkpoint never
 * refers to data that is not on disk. A resumed chain cuts its partial files
 * back to the checkpoint and continues bit-identically. */
#include "fit/fit_internal.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Output files of one chain and how far they belonged to the last checkpoint. */
typedef struct {
    smile_npy_writer npy;
    smile_csv_writer csv;
    int have_npy, have_csv;
    int done_saved; /* the chain's DONE checkpoint is on disk */
    unsigned long long npy_rows, csv_rows; /* resume marks (from the checkpoint) */
    long long csv_bytes;
} chain_files;

/* The chains of this rank: members k0 .. k0 + kn − 1 (f->k0, f->kn); the
 * driver and its hooks number them 0 .. kn − 1 (member = k0 + index). */
typedef struct {
    smile_fit *f;
    chain_files *files; /* [K], this rank's members filled */
    double t0, last_report;
    int k0;
} job;

static char *chain_file(const smile_fit *f, const char *fmt, int k) {
    char name[64];
    snprintf(name, sizeof name, fmt, k);
    return fit_path(f, name);
}

/* ---- hooks of the chain driver ------------------------------------------- */

static smile_status on_sample(void *user, int k, const smile_chain *c,
                              const smile_step_info *info, char *msg, size_t msg_len) {
    job *J = user;
    (void)info;
    return smile_npy_writer_append(&J->files[J->k0 + k].npy, c->x, msg, msg_len);
}

static smile_status on_step(void *user, int k, const smile_chain *c, const smile_step_info *info,
                            char *msg, size_t msg_len) {
    job *J = user;
    k += J->k0;
    if (info->step % J->f->cfg.trace_every != 0 &&
        !(info->flags & (SMILE_INFO_RESET | SMILE_INFO_NONFINITE)))
        return SMILE_OK;
    SMILE_CHECK(smile_csv_writer_row(&J->files[k].csv, "%lld,%c,%.9g,%.9g,%.9g,%.10g,%lld,%lld,%u",
                                     (long long)info->step,
                                     info->phase == SMILE_PHASE_WARMUP ? 'w' : 's', info->eps,
                                     info->dE, info->dE_batch, info->logp,
                                     (long long)c->n_resets, (long long)c->n_nonfinite,
                                     info->flags) != SMILE_OK,
                SMILE_EIO, msg, msg_len, "chain %d: cannot write its trace", k);
    return SMILE_OK;
}

static void report(job *J, int64_t done, int64_t total, double eps) {
    smile_fit *f = J->f;
    if (!f->rt.progress) return;
    double now = fit_now();
    if (now - J->last_report < 0.5 && done < total) return;
    J->last_report = now;
    smile_fit_progress pr = {"warm-up+sampling", done, total, now - J->t0, eps};
    f->rt.progress(f->rt.progress_user, &pr);
}

static void on_progress(void *user, int64_t done, int64_t total, const smile_chain *c) {
    report(user, done, total, c->eps);
}

#define TRACE_HEADER "step,phase,eps,dE,dE_batch,logp,resets,nonfinite,flags"

/* A done chain's files become final (only once its DONE checkpoint is on
 * disk: if writing that failed, the last checkpoint on disk still refers to
 * the partial files); the others stay partial for a resume. Done chains are
 * finished as they end, in the drive's threads (on_checkpoint), so an
 * interruption has only unfinished chains left to close, without flushes. */
static smile_status close_files(chain_files *cf, int done, char *msg, size_t msg_len) {
    smile_status st = SMILE_OK;
    if (done && cf->have_npy) st = smile_npy_writer_finish(&cf->npy, msg, msg_len);
    else if (cf->have_npy) smile_npy_writer_close_keep(&cf->npy);
    if (done && cf->have_csv) {
        smile_status s2 = smile_csv_writer_finish(&cf->csv, msg, msg_len);
        if (st == SMILE_OK) st = s2;
    } else if (cf->have_csv) {
        smile_csv_writer_close_keep(&cf->csv);
    }
    cf->have_npy = cf->have_csv = 0;
    return st;
}

/* The application record of a checkpoint: the output files' marks, text. */
#define MARKS_FMT "npy_rows %llu csv_rows %llu csv_bytes %lld"

static smile_status on_checkpoint(void *user, int k, const smile_chain *c,
                                  const smile_drive_slot *s, char *msg, size_t msg_len) {
    job *J = user;
    k += J->k0;
    chain_files *cf = &J->files[k];
    if (cf->have_npy) SMILE_TRY(smile_npy_writer_sync(&cf->npy, msg, msg_len));
    if (cf->have_csv) SMILE_TRY(smile_csv_writer_sync(&cf->csv, msg, msg_len));
    char marks[128];
    int n = snprintf(marks, sizeof marks, MARKS_FMT,
                     (unsigned long long)(cf->have_npy ? cf->npy.rows : 0),
                     (unsigned long long)(cf->have_csv ? cf->csv.rows : 0),
                     cf->have_csv ? smile_csv_writer_bytes(&cf->csv) : 0LL);
    void *buf = NULL;
    size_t len = 0;
    SMILE_TRY(smile_drive_save(c, s, marks, (size_t)n, &buf, &len, msg, msg_len));
    char *p = chain_file(J->f, "checkpoint/chain_%d.ckpt", k);
    smile_status st = p ? smile_write_file_atomic(p, buf, len, msg, msg_len) : SMILE_ENOMEM;
    if (!p) smile_set_msg(msg, msg_len, "out of memory");
    cf->done_saved = st == SMILE_OK && s->stage == SMILE_DRIVE_DONE;
    if (cf->done_saved) st = close_files(cf, 1, msg, msg_len);
    free(p);
    free(buf);
    return st;
}

/* ---- one chain's setup and files ----------------------------------------- */

/* 1 when sampler parameters p are those of the run's configuration (compared
 * as config.json records them): a checkpoint carries its own parameters, and
 * a crafted or stale one must not change how the resumed chain runs. */
static int same_sampler(const smile_fit_config *cfg, const smile_sampler_params *p) {
    smile_fit_config *b = malloc(sizeof *b);
    if (!b) return 0;
    *b = *cfg;
    b->sampler = *p;
    cJSON *ja = NULL, *jb = NULL;
    int same = smile_fit_config_to_json(cfg, &ja) == SMILE_OK &&
               smile_fit_config_to_json(b, &jb) == SMILE_OK && cJSON_Compare(ja, jb, 1);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    free(b);
    return same;
}

/* Restores chain k and its slot from checkpoint/chain_<k>.ckpt if there is
 * one (*found = 1) and reads the file marks into cf. */
static smile_status ckpt_read(smile_fit *f, int k, smile_chain *c, smile_drive_slot *s,
                              chain_files *cf, int *found, char *msg, size_t msg_len) {
    *found = 0;
    char *p = chain_file(f, "checkpoint/chain_%d.ckpt", k);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
    if (!fit_file_exists(p)) {
        free(p);
        return SMILE_OK;
    }
    char *buf = NULL, m[400] = "";
    size_t len = 0, app_len = 0;
    const void *app = NULL;
    smile_status st = smile_read_file(p, &buf, &len, m, sizeof m);
    if (st == SMILE_OK) st = smile_drive_load(c, s, buf, len, &app, &app_len, m, sizeof m);
    if (st == SMILE_OK && !same_sampler(&f->cfg, &c->p)) {
        snprintf(m, sizeof m, "sampler settings differ from config.json (remove the file to "
                              "restart chain %d from scratch)", k);
        st = SMILE_EFORMAT;
    }
    char marks[128] = "";
    if (st == SMILE_OK && app_len < sizeof marks) memcpy(marks, app, app_len);
    if (st == SMILE_OK && sscanf(marks, MARKS_FMT, &cf->npy_rows, &cf->csv_rows,
                                 &cf->csv_bytes) != 3) {
        snprintf(m, sizeof m, "no output file marks");
        st = SMILE_EFORMAT;
    }
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "%s: %s", p, m);
    *found = st == SMILE_OK;
    free(buf);
    free(p);
    return st;
}

static smile_status open_files(smile_fit *f, int k, chain_files *cf, int resume, char *msg,
                               size_t msg_len) {
    char *np = chain_file(f, "samples/member_%d.npy", k);
    char *tp = chain_file(f, "trace_%d.csv", k);
    smile_status st = (np && tp) ? SMILE_OK : SMILE_ENOMEM;
    if (st == SMILE_OK)
        st = smile_npy_writer_open(&cf->npy, np, f->d, resume ? (long long)cf->npy_rows : -1, msg,
                                   msg_len);
    if (st == SMILE_OK) {
        cf->have_npy = 1;
        st = smile_csv_writer_open(&cf->csv, tp, TRACE_HEADER, resume ? cf->csv_bytes : -1,
                                   resume ? cf->csv_rows : 0, msg, msg_len);
        if (st == SMILE_OK) cf->have_csv = 1;
    }
    free(np);
    free(tp);
    return st;
}

/* A chain whose checkpoint says done: make sure its files are final (a crash
 * may have happened between the checkpoint and the renames). */
static smile_status finish_done_files(smile_fit *f, int k, const chain_files *cf, char *msg,
                                      size_t msg_len) {
    char *np = chain_file(f, "samples/member_%d.npy", k);
    char *tp = chain_file(f, "trace_%d.csv", k);
    if (!np || !tp) {
        free(np);
        free(tp);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    smile_status st = SMILE_OK;
    if (!fit_file_exists(np)) {
        smile_npy_writer w;
        st = smile_npy_writer_open(&w, np, f->d, (long long)cf->npy_rows, msg, msg_len);
        if (st == SMILE_OK) st = smile_npy_writer_finish(&w, msg, msg_len);
    }
    if (st == SMILE_OK && !fit_file_exists(tp)) {
        smile_csv_writer w;
        st = smile_csv_writer_open(&w, tp, "", cf->csv_bytes, cf->csv_rows, msg, msg_len);
        if (st == SMILE_OK) st = smile_csv_writer_finish(&w, msg, msg_len);
    }
    free(np);
    free(tp);
    return st;
}


/* Chain k at DE member k, its slot, and (resume) its checkpoint and files. */
static smile_status setup_chain(job *J, int k, const float *theta0, const smile_run_params *rp,
                                smile_drive_slot *s, char *msg, size_t msg_len) {
    smile_fit *f = J->f;
    const smile_fit_config *cfg = &f->cfg;
    smile_chain *c = &f->chains[k];
    chain_files *cf = &J->files[k];
    SMILE_TRY(smile_chain_init(c, &cfg->sampler, f->d, cfg->seed, k, theta0 + (size_t)k * f->d,
                               msg, msg_len));
    if (f->log_sigma != SIZE_MAX) c->x[f->log_sigma] = 0.0f;
    SMILE_TRY(smile_drive_slot_init(s, rp, cfg->sampler.kind, k, msg, msg_len));
    int found = 0;
    if (f->rt.resume) SMILE_TRY(ckpt_read(f, k, c, s, cf, &found, msg, msg_len));
    if (found && s->stage == SMILE_DRIVE_DONE) return finish_done_files(f, k, cf, msg, msg_len);
    return open_files(f, k, cf, found, msg, msg_len);
}

/* ---- the sampling phase ---------------------------------------------------- */

static smile_status sample_chains(job *J, const float *theta0, const smile_target *targets,
                                  smile_drive_slot *slots, char *msg, size_t msg_len) {
    smile_fit *f = J->f;
    const smile_fit_config *cfg = &f->cfg;
    smile_run_params rp = smile_run_params_default();
    rp.n_chains = f->kn;
    rp.warmup = cfg->warmup;
    rp.samples = cfg->samples;
    rp.thin = cfg->thin;
    rp.threads = f->threads < f->kn ? f->threads : f->kn;
    /* text: B random window starts per step over the window-start set,
     * drawn afresh each step (FRESH: distinct within a batch), likelihood
     * scale n_b (docs/experiments.md, section 2.3) */
    rp.stream = f->text                   ? SMILE_STREAM_FRESH
                : cfg->reference_batching ? SMILE_STREAM_EPOCH_REF
                                          : SMILE_STREAM_EPOCH;
    rp.batch_scale = f->text ? f->text_scale : 0.0;
    rp.n_data = f->n_post;
    rp.batch_size = cfg->batch;
    rp.scale = cfg->scale;
    rp.seed = cfg->seed;
    smile_status st = SMILE_OK;
    const int k0 = f->k0, k1 = f->k0 + f->kn;
    for (int k = k0; k < k1 && st == SMILE_OK; k++)
        st = setup_chain(J, k, theta0, &rp, &slots[k], msg, msg_len);
    smile_drive_hooks hooks = {.user = J,
                               .on_sample = on_sample,
                               .on_step = on_step,
                               .on_progress = on_progress,
                               .on_checkpoint = on_checkpoint,
                               .checkpoint_seconds = cfg->checkpoint_seconds,
                               .stop = f->rt.stop};
    if (st == SMILE_OK)
        st = smile_drive(f->chains + k0, slots + k0, targets, &rp, &hooks, msg, msg_len);
    for (int k = k0; k < k1; k++) {
        char m[256] = "";
        const int done = slots[k].stage == SMILE_DRIVE_DONE && J->files[k].done_saved;
        smile_status s2 = close_files(&J->files[k], done, m, sizeof m);
        if (st == SMILE_OK && s2 != SMILE_OK) {
            st = s2;
            smile_set_msg(msg, msg_len, "%s", m);
        }
    }
    return st;
}

size_t fit_gradient_rows(const smile_fit *f) {
    /* full-batch MCLMC with the FCN: the whole training split in one chunk */
    const int fcn = smile_model_get_desc(f->model)->kind == SMILE_MODEL_FCN;
    return f->cfg.sampler.kind == SMILE_SAMPLER_MCLMC && fcn ? f->n_post : f->cfg.batch;
}

smile_status fit_sample(smile_fit *f, const float *theta0, char *msg, size_t msg_len) {
    const smile_fit_config *cfg = &f->cfg;
    const int K = cfg->members, kn = f->kn;
    smile_posterior *post = NULL;
    size_t mb = fit_gradient_rows(f);
    f->chains = calloc((size_t)K, sizeof *f->chains);
    if (kn == 0) return f->chains ? SMILE_OK : SMILE_ENOMEM; /* a rank without members */
    SMILE_TRY(smile_posterior_init(&post, f->model, &f->post, kn, mb, msg, msg_len));
    smile_posterior_set_first_chain(post, f->k0);
    smile_target *targets = calloc((size_t)kn, sizeof *targets);
    smile_drive_slot *slots = calloc((size_t)K, sizeof *slots);
    job J = {f, calloc((size_t)K, sizeof *J.files), fit_now(), 0, f->k0};
    /* wall time of earlier sessions of a resumed run */
    double before = 0;
    char *tp = fit_path(f, "checkpoint/sampling_seconds");
    if (f->rt.resume && tp) {
        char *buf = NULL;
        if (smile_read_file(tp, &buf, NULL, NULL, 0) == SMILE_OK) before = atof(buf);
        free(buf);
    }
    smile_status st = SMILE_OK;
    if (!f->chains || !targets || !slots || !J.files) {
        smile_set_msg(msg, msg_len, "out of memory");
        st = SMILE_ENOMEM;
    }
    for (int k = 0; st == SMILE_OK && k < kn; k++) targets[k] = smile_posterior_target(post);
    if (st == SMILE_OK) st = sample_chains(&J, theta0, targets, slots, msg, msg_len);
    f->sampling_seconds = before + (fit_now() - J.t0);
    const int64_t total = (int64_t)kn * (cfg->warmup + cfg->samples);
    if (st == SMILE_OK) report(&J, total, total, NAN);
    if (tp && st == SMILE_EINTERRUPTED && f->rank == 0) {
        char b[64];
        int n = snprintf(b, sizeof b, "%.6f\n", f->sampling_seconds);
        (void)smile_write_file_atomic(tp, b, (size_t)n, NULL, 0);
    }
    free(tp);
    for (int k = 0; slots && k < K; k++) smile_drive_slot_free(&slots[k]);
    free(slots);
    free(targets);
    free(J.files);
    smile_posterior_free(post);
    return st;
}

void fit_remove_checkpoints(smile_fit *f) {
    for (int k = f->k0; k < f->k0 + f->kn; k++) { /* each rank its own members' */
        char *p = chain_file(f, "checkpoint/chain_%d.ckpt", k);
        if (p) unlink(p);
        free(p);
    }
    if (smile_comm_barrier(f->comm, NULL, 0) != SMILE_OK || f->rank != 0) return;
    char *p = fit_path(f, "checkpoint/sampling_seconds");
    if (p) unlink(p);
    free(p);
    p = fit_path(f, "checkpoint");
    if (p) rmdir(p);
    free(p);
}
