/* The predictor's state (predictor.c) and the readers and generator built on
 * it: image files (predict_images.c) and text (predict_text.c). */
#ifndef SMILE_FIT_PREDICTOR_INTERNAL_H
#define SMILE_FIT_PREDICTOR_INTERNAL_H

#include "fit/runmodel.h"
#include "model/model.h"

/* Rows per forward chunk (tables and images; text runs use 1 window). */
#define FIT_PREDICT_CHUNK 256

struct smile_predictor {
    fit_runmodel rm;
    smile_model *model;
    size_t d, n_out;
    size_t log_sigma;  /* offset of log σ (homoscedastic) or SIZE_MAX         */
    float *theta;      /* [S × d] pooled samples                               */
    size_t S;
    int threads;
    size_t chunk;      /* rows per forward chunk (FIT_PREDICT_CHUNK, text 1)    */
    smile_model_workspace **ws; /* [threads], each for chunk rows               */
    float *out;        /* [threads × chunk × n_out] forward outputs            */
    double *comp;      /* [chunk × S × width] per-row components               */
    double *row;       /* [threads × 2 × max(S, n_out)] scratch                */
};

/* The OpenMP thread number inside a parallel region (0 without OpenMP). */
int fit_predict_thread(void);

/* The images of path (the task's own file formats) through the pixel
 * transform recorded in rm: rows->x NHWC floats, labels when the files carry
 * them, names for JPEG files; JPEGs are decoded in `threads` threads
 * (predict_images.c). */
smile_status fit_read_images(const fit_runmodel *rm, const char *path, int threads,
                             smile_predictor_rows *rows, char *msg, size_t msg_len);

#endif
