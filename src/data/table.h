/* Delimited text tables as users have them, and their encoding for a model.
 *
 * Reading (table.c): comma-, semicolon-, tab- or whitespace-separated
 * values, with or without a header line (detected, or forced), fields in
 * double quotes ("" inside a quoted field is one quote; a quoted field may
 * hold the delimiter and line breaks), \n or \r\n line ends, an optional
 * UTF-8 byte-order mark. Blank lines are skipped. Every row must have the
 * header's (or the first row's) number of fields; the message names the file
 * and the 1-based line otherwise.
 *
 * Encoding (table_schema.c): a schema decides, from the training rows, which
 * columns are the inputs and which is the target, whether each input is
 * numeric or categorical (one-hot encoded, categories sorted), and whether
 * the task is regression (numeric target) or classification (classes
 * sorted). The schema is then applied unchanged to any other table (the
 * validation, test or prediction rows), matching columns by name when the
 * table has a header and by position when it has none.
 *
 * Missing values are empty fields and the tokens NA, N/A, NaN, null and ?
 * (any letter case). */
#ifndef SMILE_DATA_TABLE_H
#define SMILE_DATA_TABLE_H

#include "data/data.h"

/* ---- reading ------------------------------------------------------------ */

typedef struct {
    int header;    /* -1 detect (default), 0 no header line, 1 header line     */
    char delim;    /* 0 detect (default), or ',', ';', '\t', ' ' (whitespace)  */
} smile_table_options;

smile_table_options smile_table_options_default(void);

typedef struct {
    char *path;       /* the file (for messages)                              */
    char delim;       /* delimiter used: ',', ';', '\t' or ' ' (any blank run) */
    int has_header;   /* 1 if the first line held the column names            */
    size_t n_rows;    /* data rows (header excluded)                          */
    size_t n_cols;
    char **names;     /* [n_cols] header names, or "col1".."colN" without one */
    char **cells;     /* [n_rows × n_cols] row-major, NUL-terminated, unquoted */
    size_t *line;     /* [n_rows] 1-based line where each row starts          */
    char *store_;     /* backing memory of generated names                    */
    char *text_;      /* the file's text, which names and cells point into    */
} smile_table;

/* Reads the whole table. SMILE_EIO when the file cannot be read,
 * SMILE_EFORMAT for malformed content (empty file, header only, ragged rows,
 * unterminated quote, duplicate or empty column names), SMILE_ENOMEM. */
smile_status smile_table_read(smile_table *t, const char *path, const smile_table_options *o,
                              char *msg, size_t msg_len);
void smile_table_free(smile_table *t);

/* Column by exact name, or by 1-based number ("3"); -1 if there is none. */
long smile_table_column(const smile_table *t, const char *name_or_number);

/* 1 for a missing-value token (see above). */
int smile_table_cell_missing(const char *cell);
/* Parses a finite number (surrounding blanks allowed): 0 on success. */
int smile_table_cell_number(const char *cell, double *v);

/* ---- encoding ------------------------------------------------------------ */

typedef enum { SMILE_COLUMN_NUMERIC = 0, SMILE_COLUMN_CATEGORICAL = 1 } smile_column_kind;

typedef struct {
    char *name;
    long src;             /* column in the training table (0-based)            */
    smile_column_kind kind;
    size_t n_categories;  /* categorical: one-hot width                         */
    char **categories;    /* [n_categories], sorted                             */
    size_t offset;        /* first encoded column                               */
    double mean, sd;      /* numeric: z = (v − mean)/sd (0 and 1 until scaled)  */
} smile_table_feature;

typedef enum {
    SMILE_TABLE_TASK_AUTO = 0,     /* classification iff the target is not numeric */
    SMILE_TABLE_TASK_REGRESS = 1,
    SMILE_TABLE_TASK_CLASSIFY = 2
} smile_table_task;

typedef struct {
    size_t n_src_cols;            /* columns of the training table              */
    size_t n_features;
    smile_table_feature *features;/* [n_features] in table order                */
    size_t n_encoded;             /* model inputs after one-hot encoding        */
    char *target;                 /* target column name                         */
    long target_src;              /* its column in the training table           */
    int classify;                 /* 1: categorical target                      */
    size_t n_classes;
    char **classes;               /* [n_classes] class names, sorted            */
    double y_mean, y_sd;          /* regression target scaling (0, 1 until set) */
    int drop_missing;             /* rows with a missing value are dropped      */
} smile_table_schema;

/* Which columns to use. Strings are comma-separated column names or 1-based
 * numbers; NULL means the default (target: the last column; features: every
 * other column). features and drop are exclusive. */
typedef struct {
    const char *target;
    const char *features;
    const char *drop;
    smile_table_task task;
    int drop_missing;             /* 0: a missing value is an error             */
} smile_table_select;

/* Builds the schema from the training table t. SMILE_EINVAL names a bad
 * selection (unknown column, target among the features, no features),
 * SMILE_EFORMAT a column that cannot be used (a categorical target with one
 * class, a regression target that is not numeric). */
smile_status smile_table_schema_build(smile_table_schema *s, const smile_table *t,
                                      const smile_table_select *sel, char *msg, size_t msg_len);
void smile_table_schema_free(smile_table_schema *s);

/* Column of table t that holds schema column `src` of the training table:
 * by name when t has a header, else by position (t with n_src_cols columns:
 * same position; t with n_src_cols − 1 columns: the target column absent).
 * Returns -1 when t does not have it. */
long smile_table_schema_match(const smile_table_schema *s, const smile_table *t, long src,
                              const char *name);

/* Encodes the rows of t: x[n × n_encoded] (numeric inputs scaled with the
 * schema's mean and sd, categories one-hot) and, when need_target is 1 (or
 * 2: only if t has the target column), the target into y (regression,
 * scaled with y_mean, y_sd) or labels (classes). rows[n] receives the index
 * in t of each encoded row (rows with a missing value are left out when the
 * schema drops them); *n_out the number encoded; *has_target whether targets
 * were written. Any of x, y, labels, rows may be NULL (counting pass).
 * Errors name the file, line and column: a missing value, a non-numeric
 * value in a numeric column, a category or class not seen in training, a
 * column the schema needs that t does not have. */
smile_status smile_table_encode(const smile_table_schema *s, const smile_table *t, int need_target,
                                float *x, float *y, int32_t *labels, size_t *rows, size_t *n_out,
                                int *has_target, char *msg, size_t msg_len);

/* Fits the scaling of the numeric inputs and of a regression target on the
 * rows rows[0..n) of the training table t (NULL: every row) that
 * smile_table_encode would keep: mean and population sd computed in double
 * from the parsed values (scaled two-pass, so any finite values work); a
 * constant column keeps sd = 1. Call it before encoding. SMILE_EFORMAT names
 * a column whose spread overflows. */
smile_status smile_table_schema_fit_scaling(smile_table_schema *s, const smile_table *t,
                                            const size_t *rows, size_t n, char *msg,
                                            size_t msg_len);

/* ---- a data set from tables ----------------------------------------------- */

/* Files and options of a tabular data set. Without test (and valid) files
 * the rows of `train` are shuffled with the split stream of `seed` and cut
 * into f_train / f_valid / rest; with a test file the rows of `train` are
 * cut into train and validation rows in the ratio f_train : f_valid; with
 * both files every row of `train` is a training row. */
typedef struct {
    const char *train, *valid, *test;
    smile_table_options read;
    smile_table_select select;
    double f_train, f_valid;
    uint64_t seed;
} smile_table_spec;

/* Loads the data set: the schema (columns, categories, classes) comes from
 * the rows of the `train` file, the scaling from the training rows only.
 * ds: x standardised [n × n_encoded], y standardised (regression) or labels
 * (classes), rows in split order train | valid | test, y_mean/y_std of the
 * target; orig_index = row of the source file. */
smile_status smile_dataset_load_table(smile_dataset *ds, smile_table_schema *schema,
                                      const smile_table_spec *spec, char *msg, size_t msg_len);

#endif
