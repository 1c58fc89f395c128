/* A data set from a user's table files (table.h, smile_dataset_load_table).
 *
 * Order of work: read the training file, build the schema from its rows,
 * find the rows that will be kept (missing values), split them with the run
 * seed, fit the scaling on the training rows only, then encode the training
 * file and the validation / test files into one row-major array in split
 * order train | valid | test. */
#include "data/table.h"

#include <stdlib.h>
#include <string.h>

/* Encodes the kept rows of t (scaled); allocates *x, *y or *lab, *rows. */
static smile_status encode_all(const smile_table_schema *s, const smile_table *t, float **x,
                               float **y, int32_t **lab, size_t **rows, size_t *n, char *msg,
                               size_t msg_len) {
    const size_t n0 = t->n_rows ? t->n_rows : 1;
    *x = malloc(n0 * (s->n_encoded ? s->n_encoded : 1) * sizeof **x);
    *y = s->classify ? NULL : malloc(n0 * sizeof **y);
    *lab = s->classify ? malloc(n0 * sizeof **lab) : NULL;
    *rows = malloc(n0 * sizeof **rows);
    SMILE_CHECK(!*x || (!*y && !*lab) || !*rows, SMILE_ENOMEM, msg, msg_len,
                "%s: out of memory for %zu rows", t->path, t->n_rows);
    return smile_table_encode(s, t, 1, *x, *y, *lab, *rows, n, NULL, msg, msg_len);
}

typedef struct {
    float *x, *y;
    int32_t *lab;
    size_t *rows, n;
} part;

static void part_free(part *p) {
    free(p->x), free(p->y), free(p->lab), free(p->rows);
    memset(p, 0, sizeof *p);
}

/* Row r of part p into row i of the data set. */
static void put(smile_dataset *ds, const smile_table_schema *s, const part *p, size_t r, size_t i) {
    const size_t w = s->n_encoded;
    memcpy(ds->x + i * w, p->x + r * w, w * sizeof(float));
    if (s->classify) ds->labels[i] = p->lab[r];
    else ds->y[i] = p->y[r];
    ds->orig_index[i] = (uint32_t)p->rows[r];
}

static smile_status read_part(const smile_table_spec *sp, const char *path,
                              const smile_table_schema *s, part *p, char *msg, size_t msg_len) {
    smile_table t;
    SMILE_TRY(smile_table_read(&t, path, &sp->read, msg, msg_len));
    smile_status st = encode_all(s, &t, &p->x, &p->y, &p->lab, &p->rows, &p->n, msg, msg_len);
    smile_table_free(&t);
    return st;
}

static smile_status alloc_ds(smile_dataset *ds, const smile_table_schema *s, size_t n,
                             const char *path, char *msg, size_t msg_len) {
    memset(ds, 0, sizeof *ds);
    ds->task = SMILE_DATA_TABLE;
    ds->n = n;
    ds->feature_dim = s->n_encoded;
    SMILE_CHECK(n > UINT32_MAX || n > SIZE_MAX / sizeof(float) / (s->n_encoded ? s->n_encoded : 1),
                SMILE_EINVAL, msg, msg_len, "%s: too many rows (%zu)", path, n);
    ds->source = malloc(strlen(path) + 1);
    ds->x = smile_calloc(n * s->n_encoded, sizeof(float));
    ds->orig_index = malloc(n * sizeof *ds->orig_index);
    if (s->classify) ds->labels = smile_calloc(n, sizeof(int32_t));
    else ds->y = smile_calloc(n, sizeof(float));
    SMILE_CHECK(!ds->source || !ds->x || !ds->orig_index || (!ds->labels && !ds->y), SMILE_ENOMEM,
                msg, msg_len, "%s: out of memory for %zu rows", path, n);
    strcpy(ds->source, path);
    ds->y_mean = s->classify ? 0 : s->y_mean;
    ds->y_std = s->classify ? 1 : s->y_sd;
    if (s->classify) {
        ds->n_classes = s->n_classes;
        ds->class_names = calloc(s->n_classes, sizeof *ds->class_names);
        SMILE_CHECK(!ds->class_names, SMILE_ENOMEM, msg, msg_len, "out of memory");
        for (size_t k = 0; k < s->n_classes; k++) {
            ds->class_names[k] = malloc(strlen(s->classes[k]) + 1);
            SMILE_CHECK(!ds->class_names[k], SMILE_ENOMEM, msg, msg_len, "out of memory");
            strcpy(ds->class_names[k], s->classes[k]);
        }
    }
    return SMILE_OK;
}

/* Split of the n kept training-file rows: perm (shuffled by the seed) and
 * the number of training and validation rows among them. */
static void split(const smile_table_spec *sp, uint32_t *perm, size_t n, size_t *n_tr,
                  size_t *n_va) {
    smile_rng r;
    smile_rng_init(&r, sp->seed, SMILE_DATA_SPLIT_CHAIN, SMILE_RNG_DATA);
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    smile_rng_shuffle_u32(&r, perm, n);
    if (sp->valid) { /* every row trains */
        *n_tr = n, *n_va = 0;
    } else if (sp->test) { /* train : valid = f_train : f_valid */
        *n_tr = (size_t)((double)n * sp->f_train / (sp->f_train + sp->f_valid));
        *n_va = n - *n_tr;
    } else {
        size_t n_te;
        smile_split_sizes(n, sp->f_train, sp->f_valid, n_tr, n_va, &n_te);
    }
}

smile_status smile_dataset_load_table(smile_dataset *ds, smile_table_schema *s,
                                      const smile_table_spec *sp, char *msg, size_t msg_len) {
    SMILE_CHECK(!ds || !s || !sp || !sp->train, SMILE_EINVAL, msg, msg_len, "table: NULL argument");
    memset(ds, 0, sizeof *ds);
    smile_table t;
    SMILE_TRY(smile_table_read(&t, sp->train, &sp->read, msg, msg_len));
    part tr = {0}, va = {0}, te = {0};
    uint32_t *perm = NULL;
    smile_status st = smile_table_schema_build(s, &t, &sp->select, msg, msg_len);
    /* kept rows (identity scaling while counting) */
    size_t n_kept = 0, n_tr = 0, n_va = 0;
    if (st == SMILE_OK) st = encode_all(s, &t, &tr.x, &tr.y, &tr.lab, &tr.rows, &n_kept, msg, msg_len);
    if (st == SMILE_OK) {
        perm = malloc(n_kept * sizeof *perm);
        if (!perm) st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory");
    }
    if (st == SMILE_OK) {
        split(sp, perm, n_kept, &n_tr, &n_va);
        if (n_tr < 2 || (!sp->valid && n_va < 1) || (!sp->test && n_kept - n_tr - n_va < 1)) {
            smile_set_msg(msg, msg_len,
                          "%s: %zu usable rows are too few to split into training (%zu), "
                          "validation (%zu) and test rows",
                          sp->train, n_kept, n_tr, n_va);
            st = SMILE_EFORMAT;
        }
    }
    size_t *train_rows = NULL;
    if (st == SMILE_OK && (train_rows = malloc(n_tr * sizeof *train_rows)) == NULL)
        st = SMILE_ENOMEM, smile_set_msg(msg, msg_len, "out of memory");
    for (size_t i = 0; st == SMILE_OK && i < n_tr; i++) train_rows[i] = tr.rows[perm[i]];
    if (st == SMILE_OK) st = smile_table_schema_fit_scaling(s, &t, train_rows, n_tr, msg, msg_len);
    free(train_rows);
    part_free(&tr);
    if (st == SMILE_OK) st = encode_all(s, &t, &tr.x, &tr.y, &tr.lab, &tr.rows, &tr.n, msg, msg_len);
    smile_table_free(&t);
    if (st == SMILE_OK && sp->valid) st = read_part(sp, sp->valid, s, &va, msg, msg_len);
    if (st == SMILE_OK && sp->test) st = read_part(sp, sp->test, s, &te, msg, msg_len);
    const size_t n_file_valid = sp->valid ? va.n : n_va;
    const size_t n_test = sp->test ? te.n : n_kept - n_tr - n_va;
    const size_t n = n_tr + n_file_valid + n_test;
    if (st == SMILE_OK) st = alloc_ds(ds, s, n, sp->train, msg, msg_len);
    if (st == SMILE_OK) {
        size_t i = 0;
        for (size_t k = 0; k < n_tr + n_va; k++) put(ds, s, &tr, perm[k], i++);
        for (size_t k = 0; k < va.n; k++) put(ds, s, &va, k, i++);
        for (size_t k = n_tr + n_va; k < n_kept; k++) put(ds, s, &tr, perm[k], i++);
        for (size_t k = 0; k < te.n; k++) put(ds, s, &te, k, i++);
        ds->split_begin[0] = 0, ds->split_end[0] = n_tr;
        ds->split_begin[1] = n_tr, ds->split_end[1] = n_tr + n_file_valid;
        ds->split_begin[2] = n_tr + n_file_valid, ds->split_end[2] = n;
    }
    free(perm);
    part_free(&tr), part_free(&va), part_free(&te);
    if (st != SMILE_OK) {
        smile_dataset_free(ds);
        smile_table_schema_free(s);
    }
    return st;
}
