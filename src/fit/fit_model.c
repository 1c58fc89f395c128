/* What a finished run leaves for prediction: model.json (runmodel.h) and,
 * for tables, predictions_test.csv (the predictions of the pooled samples on
 * the test rows, as `smile predict` writes them). */
#include "fit/fit_internal.h"
#include "fit/runmodel.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Central levels written to predictions_test.csv. */
static const double test_levels[] = {0.5, 0.8, 0.9, 0.95};

static int is_regular_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static fit_inputs_kind inputs_of(const smile_fit *f) {
    if (f->have_schema) return FIT_INPUTS_TABLE;
    if (f->text) return FIT_INPUTS_TEXT;
    if (f->ds.height) return FIT_INPUTS_IMAGES;
    return FIT_INPUTS_STANDARDISED;
}

/* Members pooled in the ensemble metrics (all when the list is absent). */
static smile_status pooled_members(const smile_fit *f, const cJSON *metrics, fit_runmodel *rm,
                                   char *msg, size_t msg_len) {
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(metrics, "ensemble");
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(en, "members_pooled");
    const int K = f->cfg.members;
    rm->pooled = malloc((size_t)K * sizeof *rm->pooled);
    SMILE_CHECK(!rm->pooled, SMILE_ENOMEM, msg, msg_len, "out of memory");
    rm->n_pooled = 0;
    if (!cJSON_IsArray(pl)) {
        for (int k = 0; k < K; k++) rm->pooled[rm->n_pooled++] = k;
        return SMILE_OK;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, pl) {
        if (cJSON_IsNumber(it) && it->valueint >= 0 && it->valueint < K && rm->n_pooled < K)
            rm->pooled[rm->n_pooled++] = it->valueint;
    }
    return SMILE_OK;
}

static smile_status write_runmodel(smile_fit *f, const cJSON *metrics, char *msg,
                                   size_t msg_len) {
    fit_runmodel rm;
    memset(&rm, 0, sizeof rm);
    rm.task = f->cfg.task;
    rm.desc = *smile_model_get_desc(f->model);
    rm.inputs = inputs_of(f);
    if (f->have_schema) rm.schema = f->schema; /* borrowed */
    rm.n_x = rm.inputs == FIT_INPUTS_STANDARDISED ? f->ds.feature_dim : 0;
    rm.x_mean = f->ds.x_mean;                  /* borrowed */
    rm.x_sd = f->ds.x_std;
    rm.y_mean = f->ds.y ? f->ds.y_mean : 0;
    rm.y_sd = f->ds.y && f->ds.y_std > 0 ? f->ds.y_std : 1;
    rm.n_classes = f->ds.class_names ? f->ds.n_classes : 0;
    rm.class_names = f->ds.class_names;
    rm.vocab = f->ds.vocab;
    rm.vocab_size = f->ds.vocab_size;
    rm.members = f->cfg.members;
    if (rm.inputs == FIT_INPUTS_IMAGES && f->ds.height) {
        rm.has_image = 1;
        rm.img_h = f->ds.height, rm.img_w = f->ds.width, rm.img_c = f->ds.channels;
        rm.pixel_scale = f->ds.pixel_scale;
        for (int c = 0; c < 3; c++) rm.ch_mean[c] = f->ds.ch_mean[c], rm.ch_std[c] = f->ds.ch_std[c];
    }
    smile_status st = pooled_members(f, metrics, &rm, msg, msg_len);
    if (st == SMILE_OK && rm.inputs == FIT_INPUTS_STANDARDISED && !rm.x_mean)
        rm.inputs = FIT_INPUTS_IMAGES; /* no recorded scaling: not predictable from rows */
    if (st == SMILE_OK && is_regular_file(f->cfg.data)) /* folders: no checksum */
        st = fit_file_crc32(f->cfg.data, &rm.data_crc32, &rm.data_bytes, msg, msg_len);
    if (st == SMILE_OK) st = fit_runmodel_write(f->cfg.out, &rm, msg, msg_len);
    free(rm.pooled);
    return st;
}

/* predictions_test.csv of a table or UCI run. */
static smile_status write_test_predictions(smile_fit *f, char *msg, size_t msg_len) {
    smile_predictor *p = NULL;
    SMILE_TRY(smile_predictor_open(&p, f->cfg.out, f->threads, msg, msg_len));
    const size_t n = f->n_test;
    smile_predictor_rows r = {.n = n, .x = (float *)f->test.x, .has_target = 1,
                              .labels = (int32_t *)f->test.labels};
    smile_status st = SMILE_OK;
    if (f->test.y) {
        r.y = malloc((n ? n : 1) * sizeof *r.y);
        if (!r.y) st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory");
        for (size_t i = 0; r.y && i < n; i++)
            r.y[i] = (double)f->test.y[i] * f->ds.y_std + f->ds.y_mean;
    }
    smile_prediction_table t;
    if (st == SMILE_OK)
        st = smile_prediction_table_make(p, &r, test_levels, sizeof test_levels / sizeof *test_levels,
                                         0, &t, msg, msg_len);
    if (st == SMILE_OK) {
        char *path = fit_path(f, "predictions_test.csv");
        st = path ? smile_prediction_table_write(&t, p, path, SMILE_PREDICTIONS_CSV, msg, msg_len)
                  : SMILE_ENOMEM;
        free(path);
        smile_prediction_table_free(&t);
    }
    free(r.y);
    smile_predictor_free(p);
    return st;
}

smile_status fit_write_model(smile_fit *f, const cJSON *metrics, char *msg, size_t msg_len) {
    SMILE_TRY(write_runmodel(f, metrics, msg, msg_len));
    if (inputs_of(f) == FIT_INPUTS_TABLE ||
        (inputs_of(f) == FIT_INPUTS_STANDARDISED && f->ds.x_mean))
        SMILE_TRY(write_test_predictions(f, msg, msg_len));
    return SMILE_OK;
}

smile_status fit_locate_data(smile_fit_config *c, const char *moved, char *msg, size_t msg_len) {
    if (!strcmp(c->data, SMILE_FIT_BUILTIN)) return SMILE_OK;
    if (moved) {
        SMILE_CHECK(strlen(moved) >= sizeof c->data, SMILE_EINVAL, msg, msg_len,
                    "--data: path too long");
        snprintf(c->data, sizeof c->data, "%s", moved);
    }
    fit_runmodel rm;
    char m2[512] = "";
    if (fit_runmodel_read(c->out, &rm, m2, sizeof m2) != SMILE_OK) return SMILE_OK; /* older run */
    const uint32_t want = rm.data_crc32;
    const uint64_t want_bytes = rm.data_bytes;
    fit_runmodel_free(&rm);
    if (want_bytes == 0 && !is_regular_file(c->data)) return SMILE_OK; /* a folder */
    uint32_t crc;
    uint64_t bytes;
    if (fit_file_crc32(c->data, &crc, &bytes, m2, sizeof m2) != SMILE_OK) {
        SMILE_CHECK(moved, SMILE_EIO, msg, msg_len, "--data %s", m2);
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len,
                    "%s (the run's data file) cannot be read (%s); give its new place with "
                    "--data FILE",
                    c->data, m2);
    }
    SMILE_CHECK(crc != want || bytes != want_bytes, SMILE_EINVAL, msg, msg_len,
                "%s: not the data this run was fitted on (CRC-32 %08x, %llu bytes; the run "
                "recorded %08x, %llu bytes)",
                c->data, crc, (unsigned long long)bytes, want, (unsigned long long)want_bytes);
    return SMILE_OK;
}
