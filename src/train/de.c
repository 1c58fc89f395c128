/* Deep-ensemble warm start (docs/method.md, section 9).
 *
 * K members trained independently, each in its own OpenMP thread: own
 * initialisation smile_model_init_params(seed, k), own batch order (a
 * smile_batch_stream of the DE batch size keyed by a seed derived from
 * (seed, k, SMILE_RNG_DE_BATCH) so it never coincides with the sampler's
 * stream of chain k), own AdamW state. Nothing is shared, so the result does
 * not depend on the number of threads.
 *
 * Per epoch: one pass over the n_b = max(1, ⌊N/B⌋) batches of the stream
 * (docs/method.md, section 2.5, with the DE batch size), one AdamW update per batch on the gradient
 * of the batch-mean NLL, then the mean NLL on the whole validation split.
 * Homoscedastic Gaussian model (docs/method.md, section 2.2): σ is fixed at 1 — the global log σ
 * entry is held at 0 and never updated (zero gradient, frozen in AdamW), so
 * the loss is the mean of ½ log 2π + ½ (y − μ)².
 * Text (GPT, docs/method.md, section 9.1): batches of B random window starts per
 * member stream, ⌊n_train/(B·T)⌋ batches per epoch, loss = mean per-token
 * NLL, validation = one batch of 128 random validation windows per epoch. */
#include "core/comm.h"
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

smile_de_params smile_de_params_default(void) {
    /* the SMILE UCI row (docs/experiments.md, section 6.1) */
    return (smile_de_params){.members = 10, .batch = 64, .max_epochs = 200, .patience = 10,
                             .weight_decay = 5e-3, .beta1 = 0.9, .beta2 = 0.999,
                             .lr = {.kind = SMILE_LR_CONSTANT, .lr = 1e-2},
                             .reference_restore = 0, .stream = SMILE_STREAM_EPOCH, .threads = 0,
                             .seed = 1};
}

smile_status smile_de_params_validate(const smile_de_params *p, char *msg, size_t msg_len) {
    SMILE_CHECK(!p, SMILE_EINVAL, msg, msg_len, "NULL DE parameters");
    SMILE_CHECK(p->members < 1, SMILE_EINVAL, msg, msg_len, "members must be >= 1 (got %d)",
                p->members);
    SMILE_CHECK(p->batch < 1, SMILE_EINVAL, msg, msg_len, "DE batch size must be >= 1");
    SMILE_CHECK(p->max_epochs < 0, SMILE_EINVAL, msg, msg_len, "DE epochs must be >= 0");
    SMILE_CHECK(p->patience < 1, SMILE_EINVAL, msg, msg_len, "DE patience must be >= 1");
    SMILE_CHECK(p->stream != SMILE_STREAM_EPOCH && p->stream != SMILE_STREAM_EPOCH_REF,
                SMILE_EINVAL, msg, msg_len, "DE batch stream must be epoch based");
    SMILE_CHECK(!(p->beta1 >= 0 && p->beta1 < 1) || !(p->beta2 >= 0 && p->beta2 < 1),
                SMILE_EINVAL, msg, msg_len, "DE betas must be in [0, 1)");
    SMILE_CHECK(!(p->weight_decay >= 0) || !isfinite(p->weight_decay), SMILE_EINVAL, msg, msg_len,
                "DE weight decay must be >= 0");
    return smile_lr_schedule_validate(&p->lr, msg, msg_len);
}

uint64_t smile_de_stream_seed(uint64_t seed, int member) {
    smile_rng r;
    smile_rng_init(&r, seed, (uint64_t)member, SMILE_RNG_DE_BATCH);
    return smile_rng_u64(&r);
}

static int all_finite(const float *x, size_t d) {
    for (size_t j = 0; j < d; j++)
        if (!isfinite(x[j])) return 0;
    return 1;
}

typedef struct {
    const smile_model *m;
    const smile_data_view *train, *valid;
    const smile_de_params *p;
    const unsigned char *frozen;
    size_t frozen_at; /* log σ index held at 0, or SIZE_MAX */
    volatile const int *stop;
} de_job;

/* Mean NLL of the whole validation split (NaN if not finite). Text (idx !=
 * NULL): mean per-token NLL of the n windows idx (docs/method.md, section 9.1: one batch of 128
 * random validation windows), n·T tokens. */
static double valid_loss(const de_job *J, smile_model_workspace *ws, const float *theta,
                         const uint32_t *idx, size_t n, size_t T) {
    double ll = 0;
    if (!idx) n = J->valid->n;
    if (smile_model_loglik_grad(J->m, ws, theta, J->valid, idx, n, 1.0, &ll, NULL) != SMILE_OK)
        return NAN;
    double loss = -ll / ((double)n * (double)(idx ? T : 1));
    return isfinite(loss) ? loss : NAN;
}

/* text validation batch size ("one batch of 128 random windows", docs/method.md,
 * section 9.1) */
#define DE_TEXT_VALID_WINDOWS 128

/* The state of one member's training. */
typedef struct {
    const de_job *J;
    int k;
    size_t d, N, B;
    /* augmentation (docs/method.md, section 9.6): the batch is gathered into
     * its own buffers xb/yb/lb; images H × W × C of fd inputs */
    int aug;
    size_t fd, H, W, C;
    float *xb, *yb, *scr;
    int32_t *lb;
    smile_rng rng_aug;
    /* Text: example i of a token view is the window starting at i; every
     * batch is B window starts drawn uniformly (with replacement) from the
     * member's own stream, an epoch is ⌊n_split/(B·T)⌋ batches (n_split = view
     * n + T + 1), the loss is the mean per-token NLL. */
    int text;
    size_t T, n_text_batches, n_vw;
    uint32_t *widx, *vidx;
    smile_rng rng_win, rng_val;
    int fcn;
    smile_model_workspace *ws, *wsv; /* wsv: validation in one chunk (FCN) */
    smile_adamw opt;
    smile_batch_stream s;
    float *grad, *best;
    double *hist; /* validation loss per epoch */
} member_run;

static void member_close(member_run *r) {
    void *bufs[] = {r->best, r->grad, r->xb, r->yb, r->lb, r->scr, r->widx, r->vidx};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) smile_free(bufs[i]);
    free(r->hist);
    smile_batch_stream_free(&r->s);
    smile_adamw_free(&r->opt);
    smile_model_workspace_free(r->ws);
    smile_model_workspace_free(r->wsv);
}

/* Buffers, workspaces, optimiser and batch stream of member k. */
static smile_status member_open(member_run *r, const de_job *J, int k, char *msg,
                                size_t msg_len) {
    const smile_de_params *p = J->p;
    memset(r, 0, sizeof *r);
    r->J = J;
    r->k = k;
    r->d = smile_model_param_count(J->m);
    r->N = J->train->n;
    r->B = p->batch < r->N ? p->batch : r->N;
    const size_t B = r->B;
    const smile_model_desc *md = smile_model_get_desc(J->m);
    r->fd = smile_model_input_size(J->m);
    r->H = md->in_h;
    r->W = md->in_w;
    r->C = md->in_c;
    r->aug = p->augment && r->H > 0 && r->fd == r->H * r->W * r->C && J->train->x;
    r->text = J->train->tokens != NULL;
    r->T = r->text ? md->context : 1;
    r->n_text_batches = 1;
    smile_rng_init(&r->rng_win, smile_de_stream_seed(p->seed, k), (uint64_t)k, SMILE_RNG_DATA);
    smile_rng_init(&r->rng_val, p->seed, (uint64_t)k, SMILE_RNG_DATA);
    if (r->text) {
        size_t nb = (r->N + r->T + 1) / (B * r->T);
        r->n_text_batches = nb > 0 ? nb : 1;
        r->n_vw = DE_TEXT_VALID_WINDOWS;
        r->widx = smile_calloc(B, sizeof(uint32_t));
        r->vidx = smile_calloc(r->n_vw, sizeof(uint32_t));
    }
    smile_rng_init(&r->rng_aug, p->seed, (uint64_t)k, SMILE_RNG_DATA);
    if (r->aug) {
        r->xb = smile_calloc(B * r->fd, sizeof(float));
        r->scr = smile_calloc(r->H * r->W * r->C, sizeof(float));
        if (J->train->y) r->yb = smile_calloc(B, sizeof(float));
        if (J->train->labels) r->lb = smile_calloc(B, sizeof(int32_t));
    }
    r->grad = smile_calloc(r->d, sizeof(float));
    r->best = smile_calloc(r->d, sizeof(float));
    r->hist = calloc((size_t)(p->max_epochs > 0 ? p->max_epochs : 1), sizeof(double));
    const int ok_text = !r->text || (r->widx && r->vidx);
    const int ok_aug = !r->aug || (r->xb && r->scr && (!J->train->y || r->yb) &&
                                   (!J->train->labels || r->lb));
    SMILE_CHECK(!r->grad || !r->best || !r->hist || !ok_text || !ok_aug, SMILE_ENOMEM, msg,
                msg_len, "member %d: out of memory", k);
    SMILE_TRY(smile_model_workspace_init(&r->ws, J->m, B, msg, msg_len));
    /* validation in one chunk for the (small) FCN: fewer calls, and it keeps
     * clear of partial-chunk handling in the model's fast FCN path */
    r->fcn = md->kind == SMILE_MODEL_FCN;
    if (r->fcn) SMILE_TRY(smile_model_workspace_init(&r->wsv, J->m, J->valid->n, msg, msg_len));
    SMILE_TRY(smile_adamw_init(&r->opt, r->d, p->beta1, p->beta2, p->weight_decay, msg, msg_len));
    if (!r->text)
        SMILE_TRY(smile_batch_stream_init(&r->s, p->stream, r->N, B, SMILE_SCALE_N_OVER_B,
                                          smile_de_stream_seed(p->seed, k), k, msg, msg_len));
    return SMILE_OK;
}

/* The next training batch b; with augmentation, *view becomes av (the
 * augmented copies) and *idx NULL. */
static void next_batch(member_run *r, smile_batch *b, const smile_data_view **view,
                       const uint32_t **idx, smile_data_view *av) {
    const smile_data_view *tr = r->J->train;
    if (r->text) {
        for (size_t i = 0; i < r->B; i++) r->widx[i] = (uint32_t)smile_rng_below(&r->rng_win, r->N);
        memset(b, 0, sizeof *b);
        b->idx = r->widx;
        b->size = r->B;
    } else {
        smile_batch_stream_next(&r->s, b);
    }
    *view = tr;
    *idx = b->idx;
    if (!r->aug) return;
    const size_t fd = r->fd;
    for (size_t i = 0; i < b->size; i++) {
        size_t row = b->idx[i];
        memcpy(r->xb + i * fd, tr->x + row * fd, fd * sizeof(float));
        if (r->yb) r->yb[i] = tr->y[row];
        if (r->lb) r->lb[i] = tr->labels[row];
    }
    smile_augment_basic(r->xb, b->size, r->H, r->W, r->C, r->J->p->augment_truncate, &r->rng_aug,
                        r->scr);
    memset(av, 0, sizeof *av);
    av->n = b->size;
    av->x = r->xb;
    av->y = r->yb;
    av->labels = r->lb;
    *view = av;
    *idx = NULL;
}

/* One epoch of AdamW updates on theta; *u counts the updates. */
static smile_status train_epoch(member_run *r, float *theta, int64_t *u, char *msg,
                                size_t msg_len) {
    const de_job *J = r->J;
    const size_t nbat = r->text ? r->n_text_batches : r->s.n_batches;
    for (size_t i = 0; i < nbat; i++) {
        SMILE_CHECK(J->stop && *J->stop, SMILE_EINTERRUPTED, msg, msg_len,
                    "interrupted during deep-ensemble training");
        smile_batch b;
        const smile_data_view *view;
        const uint32_t *idx;
        smile_data_view av;
        next_batch(r, &b, &view, &idx, &av);
        memset(r->grad, 0, r->d * sizeof(float));
        double ll = 0;
        /* grad = ∇ (−(1/|b|) Σ_{i∈b} log p(y_i | x_i, θ)) */
        smile_status st = smile_model_loglik_grad(J->m, r->ws, theta, view, idx, b.size,
                                                  -1.0 / ((double)b.size * (double)r->T), &ll,
                                                  r->grad);
        SMILE_CHECK(st != SMILE_OK, st, msg, msg_len, "member %d: model evaluation failed", r->k);
        if (J->frozen_at != SIZE_MAX) r->grad[J->frozen_at] = 0.0f;
        smile_adamw_step(&r->opt, theta, r->grad, smile_lr_schedule_at(&J->p->lr, *u), J->frozen);
        (*u)++;
    }
    return SMILE_OK;
}

/* Validation after epoch e: records the loss, keeps the best parameters;
 * returns 1 when training stops early. */
static int end_epoch(member_run *r, int e, const float *theta, smile_de_member_report *rep) {
    const de_job *J = r->J;
    if (r->text)
        for (size_t i = 0; i < r->n_vw; i++)
            r->vidx[i] = (uint32_t)smile_rng_below(&r->rng_val, J->valid->n);
    double vl = valid_loss(J, r->fcn ? r->wsv : r->ws, theta, r->text ? r->vidx : NULL, r->n_vw,
                           r->T);
    r->hist[e] = vl;
    rep->epochs = e + 1;
    rep->last_valid_loss = vl;
    if (vl < rep->best_valid_loss || (isnan(rep->best_valid_loss) && !isnan(vl))) {
        rep->best_valid_loss = vl;
        rep->best_epoch = e + 1;
        memcpy(r->best, theta, r->d * sizeof(float));
    }
    if (smile_early_stop(r->hist, (size_t)(e + 1), J->p->patience)) {
        rep->stopped_early = 1;
        return 1;
    }
    return 0;
}

static smile_status train_member(const de_job *J, int k, float *theta,
                                 smile_de_member_report *rep, float **best_out, char *msg,
                                 size_t msg_len) {
    const smile_de_params *p = J->p;
    const size_t d = smile_model_param_count(J->m);
    memset(rep, 0, sizeof *rep);
    rep->best_valid_loss = rep->last_valid_loss = NAN;

    smile_model_init_params(J->m, theta, p->seed, k);
    if (J->frozen_at != SIZE_MAX) theta[J->frozen_at] = 0.0f;

    member_run r;
    smile_status st = member_open(&r, J, k, msg, msg_len);
    if (st == SMILE_OK) memcpy(r.best, theta, d * sizeof(float));
    int64_t u = 0;
    for (int e = 0; st == SMILE_OK && e < p->max_epochs; e++) {
        if (J->stop && *J->stop) {
            st = SMILE_EINTERRUPTED;
            smile_set_msg(msg, msg_len, "interrupted during deep-ensemble training");
            break;
        }
        st = train_epoch(&r, theta, &u, msg, msg_len);
        if (st != SMILE_OK || end_epoch(&r, e, theta, rep)) break;
    }
    rep->updates = u;
    if (st == SMILE_OK) {
        /* Our default: restore the best-validation parameters (docs/experiments.md,
         * section 8). The reference implementation's rule (restore only if
         * some member stopped early) is applied by the caller once all
         * members are done. */
        if (!p->reference_restore && rep->best_epoch > 0) {
            memcpy(theta, r.best, d * sizeof(float));
            rep->restored = 1;
        }
        rep->nonfinite = !all_finite(theta, d);
    }
    /* the caller needs the best parameters for the reference restore rule */
    if (st == SMILE_OK && p->reference_restore && rep->best_epoch > 0) {
        *best_out = r.best;
        r.best = NULL;
    }
    member_close(&r);
    return st;
}

smile_status smile_de_train(const smile_model *m, const smile_data_view *train,
                            const smile_data_view *valid, const smile_de_params *p, float *theta,
                            smile_de_member_report *rep, volatile const int *stop, char *msg,
                            size_t msg_len) {
    SMILE_CHECK(!m || !train || !valid || !p || !theta || !rep, SMILE_EINVAL, msg, msg_len,
                "deep ensemble: NULL argument");
    SMILE_TRY(smile_de_params_validate(p, msg, msg_len));
    SMILE_CHECK(train->n < 1 || valid->n < 1, SMILE_EINVAL, msg, msg_len,
                "deep ensemble: empty training or validation split");
    const size_t d = smile_model_param_count(m);
    de_job J = {m, train, valid, p, NULL, SIZE_MAX, stop};
    unsigned char *frozen = NULL;
    smile_param_entry e;
    if (smile_model_likelihood(m) == SMILE_LIK_GAUSS_HOMO &&
        smile_model_layout_find(m, "log_sigma", &e) == SMILE_OK) {
        frozen = calloc(d, 1);
        SMILE_CHECK(!frozen, SMILE_ENOMEM, msg, msg_len, "out of memory");
        frozen[e.offset] = 1;
        J.frozen = frozen;
        J.frozen_at = e.offset;
    }
    const int K = p->members;
    float **bests = calloc((size_t)K, sizeof *bests);
    if (!bests) {
        free(frozen);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    smile_status first = SMILE_OK;
    int first_k = K;
    char first_msg[256] = "";
    int nt = p->threads > 0 ? p->threads : 1;
#ifdef _OPENMP
    if (p->threads <= 0) nt = omp_get_num_procs();
#endif
    if (nt > K) nt = K;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int k = 0; k < K; k++) {
        char m_[256] = "";
        smile_status st =
            train_member(&J, p->first_member + k, theta + (size_t)k * d, &rep[k], &bests[k], m_,
                         sizeof m_);
        if (st != SMILE_OK) {
#pragma omp critical(smile_de_err)
            if (k < first_k) {
                first_k = k;
                first = st;
                memcpy(first_msg, m_, sizeof first_msg);
            }
        }
    }
    free(frozen);
    if (p->reference_restore) {
        /* the reference implementation's rule: restore the best parameters only if at least one
         * member stopped early; otherwise every member keeps its last parameters. Over the
         * ranks of p->comm (every rank reaches this reduction, failed or not). */
        int64_t any = 0;
        for (int k = 0; k < K; k++) any |= rep[k].stopped_early;
        char m_[128];
        smile_status cs = smile_comm_allreduce_max(p->comm, &any, 1, m_, sizeof m_);
        if (cs != SMILE_OK && first == SMILE_OK) {
            first = cs;
            memcpy(first_msg, m_, sizeof m_);
        }
        if (first != SMILE_OK) any = 0;
        for (int k = 0; k < K; k++) {
            if (any && bests[k]) {
                memcpy(theta + (size_t)k * d, bests[k], d * sizeof(float));
                rep[k].restored = 1;
                rep[k].nonfinite = !all_finite(theta + (size_t)k * d, d);
            }
        }
    }
    for (int k = 0; k < K; k++) smile_free(bests[k]);
    free(bests);
    if (first != SMILE_OK) smile_set_msg(msg, msg_len, "%s", first_msg);
    return first;
}
