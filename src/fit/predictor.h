/* Prediction from a fitted run directory (moves into include/smile_fit.h). */
#ifndef SMILE_FIT_PREDICTOR_H
#define SMILE_FIT_PREDICTOR_H

#include "smile_fit.h"

/* ======================================================================== */
/* Prediction: a run directory as a model                                   */
/* ======================================================================== */
/* A finished run directory holds everything prediction needs (model.json:
 * the model, the input and target transforms, the pooled members; the
 * samples): it can be moved or copied. Predictions pool every sample of the
 * pooled members with equal weight. Inputs are "encoded" rows x[n × n_inputs]
 * (numeric inputs scaled as in training, categories one-hot), e.g. from
 * smile_predictor_encode. Thread-parallel over samples and rows; results are
 * identical for any thread count. Memory: the samples plus a chunk of rows
 * times the samples, never rows × samples. */
typedef struct smile_predictor smile_predictor;

typedef struct {
    int classify;          /* 1: class probabilities; 0: regression              */
    size_t n_inputs;       /* columns of encoded rows                           */
    size_t n_features;     /* columns of raw rows (smile_predictor_encode)      */
    size_t n_classes;      /* classification                                    */
    size_t n_samples;      /* pooled posterior samples                           */
    int n_members_pooled;
    double y_mean, y_sd;   /* regression: original units = model units·y_sd + y_mean */
} smile_predictor_info;

/* Opens run_dir (threads <= 0: all cores). SMILE_EIO naming the directory
 * when it is not a run directory, SMILE_EFORMAT for damaged files. */
smile_status smile_predictor_open(smile_predictor **p, const char *run_dir, int threads,
                                  char *msg, size_t msg_len);
void smile_predictor_free(smile_predictor *p); /* NULL: no-op */
smile_predictor_info smile_predictor_get_info(const smile_predictor *p);
/* Name of class k (NULL when out of range or the run has no names). */
const char *smile_predictor_class_name(const smile_predictor *p, size_t k);
/* Name of the target column (tables), else "y". */
const char *smile_predictor_target_name(const smile_predictor *p);

/* Raw rows raw[n × n_features] in original units (a categorical column holds
 * the category's index in the run's sorted category list) → encoded rows
 * x[n × n_inputs] through the recorded transforms. */
smile_status smile_predictor_encode(const smile_predictor *p, const double *raw, size_t n,
                                    float *x, char *msg, size_t msg_len);

/* The rows of a table file through the run's transforms (header: -1 detect,
 * 0 none, 1 present; columns matched by name, or by position without a
 * header; extra columns ignored). When the file has the target column,
 * has_target = 1 and y (regression, original units) or labels (classes) are
 * filled. line[i]: the file line of row i. Errors name the file, line and
 * column (missing value, unseen category, missing input column). */
typedef struct {
    size_t n;
    float *x;          /* [n × n_inputs] encoded                                 */
    int has_target;
    double *y;         /* [n] regression targets in original units, or NULL     */
    int32_t *labels;   /* [n] classes, or NULL                                   */
    size_t *line;      /* [n]                                                    */
} smile_predictor_rows;
smile_status smile_predictor_read_rows(const smile_predictor *p, const char *path, int header,
                                       smile_predictor_rows *rows, char *msg, size_t msg_len);
void smile_predictor_rows_free(smile_predictor_rows *rows);

/* Regression: any output pointer may be NULL. Central intervals are
 * quantiles of the pooled predictive mixture (not mean ± z·sd). */
typedef struct {
    double *mean, *sd;               /* [n] predictive mean and total sd          */
    double *sd_epistemic;            /* [n] spread of the samples' means           */
    double *sd_aleatoric;            /* [n] root mean noise variance                */
    size_t n_levels;
    const double *levels;            /* [n_levels] central levels in (0, 1)         */
    double *lower, *upper;           /* [n × n_levels] interval bounds              */
    const double *y;                 /* [n] observed targets, or NULL               */
    double *log_density;             /* [n] log p(y_i) (needs y)                    */
    int standardised;                /* 1: model units; 0: original units           */
} smile_regression_request;
smile_status smile_predictor_regress(smile_predictor *p, const float *x, size_t n,
                                     const smile_regression_request *q, char *msg,
                                     size_t msg_len);

/* Classification: any output pointer may be NULL. */
typedef struct {
    double *probs;        /* [n × n_classes] pooled class probabilities          */
    int32_t *predicted;   /* [n] most probable class                             */
    double *entropy;      /* [n] predictive entropy (nats)                       */
    double *mutual_info;  /* [n] epistemic part: entropy − mean sample entropy   */
    const int32_t *labels;/* [n] observed classes, or NULL                       */
    double *log_prob;     /* [n] log p(label_i) (needs labels)                   */
} smile_classification_request;
smile_status smile_predictor_classify(smile_predictor *p, const float *x, size_t n,
                                      const smile_classification_request *q, char *msg,
                                      size_t msg_len);

#endif
