/* model.json of a run directory: everything prediction needs besides the
 * samples, so that a run directory is a self-contained model that can be
 * moved or copied: the model description, the input and target transforms
 * (column names, categories, classes, scaling), the pooled members and a
 * checksum of the data file the run was fitted on. */
#ifndef SMILE_FIT_RUNMODEL_H
#define SMILE_FIT_RUNMODEL_H

#include "core/core.h"
#include "data/table.h"
#include "smile_fit.h"

#define FIT_RUNMODEL_VERSION 1

typedef enum {
    FIT_INPUTS_TABLE = 0,        /* a user's table: schema (names, categories, scaling) */
    FIT_INPUTS_STANDARDISED = 1, /* numeric features z = (v − mean)/sd, no names        */
    FIT_INPUTS_IMAGES = 2,       /* the task's own files and pixel transform            */
    FIT_INPUTS_TEXT = 3          /* characters through the recorded vocabulary          */
} fit_inputs_kind;

typedef struct {
    smile_data_task task;
    smile_model_desc desc;
    fit_inputs_kind inputs;
    smile_table_schema schema; /* FIT_INPUTS_TABLE                               */
    size_t n_x;                /* FIT_INPUTS_STANDARDISED: features              */
    double *x_mean, *x_sd;     /* [n_x]                                          */
    double y_mean, y_sd;       /* regression target scaling (original = z·sd + mean) */
    size_t n_classes;
    char **class_names;        /* [n_classes] or NULL                            */
    uint32_t *vocab;           /* text: code point of each token id [vocab_size] */
    size_t vocab_size;
    /* FIT_INPUTS_IMAGES: the task's images as the model reads them (NHWC,
     * x = (p/(1/pixel_scale) − mean[c]) / std[c] for an 8-bit pixel p);
     * has_image = 0 in files written before it was recorded */
    int has_image;
    size_t img_h, img_w, img_c;
    double pixel_scale, ch_mean[3], ch_std[3];
    int members;               /* K                                              */
    int n_pooled;
    int *pooled;               /* [n_pooled] member indices pooled in predictions */
    uint32_t data_crc32;       /* CRC-32 and size of the training data file      */
    uint64_t data_bytes;
} fit_runmodel;

void fit_runmodel_free(fit_runmodel *rm);
/* Writes dir/model.json atomically. */
smile_status fit_runmodel_write(const char *dir, const fit_runmodel *rm, char *msg,
                                size_t msg_len);
/* Reads dir/model.json; SMILE_EIO when it is absent ("not a run directory"),
 * SMILE_EFORMAT for malformed or inconsistent content. */
smile_status fit_runmodel_read(const char *dir, fit_runmodel *rm, char *msg, size_t msg_len);
/* CRC-32 and size of a file (zlib's crc32), SMILE_EIO if unreadable. */
smile_status fit_file_crc32(const char *path, uint32_t *crc, uint64_t *bytes, char *msg,
                            size_t msg_len);

#endif
