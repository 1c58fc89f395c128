/* The table task inside the fit pipeline: loading a user's table files into
 * the data set (with the schema kept for model.json), and the notes that
 * smile_fit_open leaves for the user (adjusted batch sizes). */
#include "fit/fit_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void fit_note(smile_fit *f, const char *fmt, ...) {
    size_t len = strlen(f->notes);
    if (len + 2 >= sizeof f->notes) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->notes + len, sizeof f->notes - len - 1, fmt, ap);
    va_end(ap);
    len = strlen(f->notes);
    f->notes[len] = '\n';
    f->notes[len + 1] = 0;
}

void fit_note_lines(smile_fit *f, const char *text) {
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        const int n = (int)(e ? (size_t)(e - p) : strlen(p));
        if (n > 0) fit_note(f, "%.*s", n, p);
        p = e ? e + 1 : p + n;
    }
}

const char *smile_fit_notes(const smile_fit *f) { return f ? f->notes : ""; }

smile_status fit_load_table(smile_fit *f, char *msg, size_t msg_len) {
    const smile_fit_config *c = &f->cfg;
    smile_table_spec sp = {
        .train = c->data,
        .valid = c->valid_data[0] ? c->valid_data : NULL,
        .test = c->test_data[0] ? c->test_data : NULL,
        .read = smile_table_options_default(),
        .select = {.target = c->target[0] ? c->target : NULL,
                   .features = c->features[0] ? c->features : NULL,
                   .drop = c->drop[0] ? c->drop : NULL,
                   .task = (smile_table_task)c->table_task,
                   .drop_missing = c->missing_drop},
        .f_train = c->split_train,
        .f_valid = c->split_valid,
        .seed = c->seed};
    sp.read.header = c->header;
    SMILE_TRY(smile_dataset_load_table(&f->ds, &f->schema, &sp, msg, msg_len));
    f->have_schema = 1;
    return SMILE_OK;
}

/* Batch sizes above the training rows are reduced to them (config.json
 * records the reduced size); DE batch 0 (full batch) becomes the training rows
 * without a note. */
void fit_clamp_batches(smile_fit *f, size_t n_train, const char *what) {
    smile_fit_config *c = &f->cfg;
    if (c->de.batch == 0) c->de.batch = n_train;
    if (c->batch > n_train) {
        fit_note(f, "--batch %zu reduced to the %zu training %s", c->batch, n_train, what);
        c->batch = n_train;
    }
    if (c->de.batch > n_train) {
        fit_note(f, "--de-batch %zu reduced to the %zu training %s", c->de.batch, n_train, what);
        c->de.batch = n_train;
    }
}
