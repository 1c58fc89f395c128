/* Deep-ensemble training (AdamW, learning-rate schedules, early stopping). */
#ifndef SMILE_TRAIN_H
#define SMILE_TRAIN_H

#include "core/core.h"
#include "data/data.h"
#include "smile_fit.h"

/* smile_rng purpose of the DE batch streams (seed derivation, see de.c). */
#define SMILE_RNG_DE_BATCH 0x44454231u

/* AdamW with decoupled weight decay on all parameters (docs/method.md, section 9.2):
 * θ ← θ − η (m̂/(√v̂ + 1e-8) + λθ), bias-corrected moments, t = 1, 2, … */
typedef struct {
    size_t d;
    double beta1, beta2, eps, weight_decay;
    int64_t t;
    float *m, *v; /* [d] */
} smile_adamw;

double smile_lr_schedule_at(const smile_lr_schedule *s, int64_t u);

smile_status smile_lr_schedule_validate(const smile_lr_schedule *s, char *msg, size_t msg_len);

smile_status smile_adamw_init(smile_adamw *a, size_t d, double beta1, double beta2,
                              double weight_decay, char *msg, size_t msg_len);

/* One update with gradient g[d] of the batch-mean loss; coordinates with
 * frozen[j] != 0 are left untouched (frozen may be NULL). */
void smile_adamw_step(smile_adamw *a, float *theta, const float *g, double lr,
                      const unsigned char *frozen);

void smile_adamw_free(smile_adamw *a);

/* early stopping as the reference implementation does (docs/method.md, section 9.4) after epoch
 * n, given the validation losses losses[0..n) of epochs 1..n: 1 = stop. */
int smile_early_stop(const double *losses, size_t n, int patience);

smile_status smile_de_params_validate(const smile_de_params *p, char *msg, size_t msg_len);

/* Seed of member k's DE batch stream (independent of the sampler streams). */
uint64_t smile_de_stream_seed(uint64_t seed, int member);

typedef struct {
    int epochs;             /* epochs run                                   */
    int stopped_early;
    int best_epoch;         /* 1-based; 0 = no finite validation loss       */
    double best_valid_loss, last_valid_loss; /* mean NLL (NaN if none)      */
    int64_t updates;        /* optimiser steps = batch gradient evaluations */
    int restored;           /* best-validation parameters restored          */
    int nonfinite;          /* final parameters contain NaN / inf           */
} smile_de_member_report;

/* Trains p->members members on `train`, early stopping on `valid`; writes
 * theta[K][d] and rep[K]. stop (may be NULL): checked before every batch,
 * non-zero → SMILE_EINTERRUPTED. Results do not depend on p->threads. */
smile_status smile_de_train(const smile_model *m, const smile_data_view *train,
                            const smile_data_view *valid, const smile_de_params *p, float *theta,
                            smile_de_member_report *rep, volatile const int *stop, char *msg,
                            size_t msg_len);

#endif
