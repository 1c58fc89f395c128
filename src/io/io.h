/* Crash-safe files, .npy, CSV and JSON files: the interface of src/io. */
#ifndef SMILE_IO_H
#define SMILE_IO_H

#include "core/core.h"

#include <cjson/cJSON.h>

/* ======================================================================== */
/* Files, deep-ensemble warm start, the fit pipeline (src/io, src/ensemble) */
/* ======================================================================== */

/* ---- Crash-safe files (src/io) ------------------------------------------
 * Every output file is written under a temporary name and renamed into place
 * after fflush + fsync, so a reader (or a run killed with SIGKILL) never sees
 * a truncated file under its final name. One-shot writes use the temporary
 * name "<path>.tmp.<pid>"; files streamed over a long run use the stable name
 * "<path>.partial" so that a resumed run can continue them. */

/* A file being written: data goes to `tmp`, commit renames it to `path`. */
typedef struct {
    void *fp;   /* FILE * */
    char *path; /* final name                                   */
    char *tmp;  /* name while being written                     */
} smile_afile;

/* Opens "<path>.tmp.<pid>" for writing (truncating). */
smile_status smile_afile_open(smile_afile *f, const char *path, char *msg, size_t msg_len);
/* Opens "<path>.partial": keep_bytes < 0 creates/truncates it; otherwise the
 * existing partial file is cut to keep_bytes (SMILE_EIO / SMILE_EFORMAT when it
 * is missing or shorter) and writing continues at its end. */
smile_status smile_afile_open_partial(smile_afile *f, const char *path, long long keep_bytes,
                                      char *msg, size_t msg_len);
smile_status smile_afile_write(smile_afile *f, const void *buf, size_t len, char *msg,
                               size_t msg_len);
/* fflush + fsync (checkpoints: everything written so far is on disk). */
smile_status smile_afile_sync(smile_afile *f, char *msg, size_t msg_len);
/* fflush, fsync, close, rename to the final name, fsync the directory. */
smile_status smile_afile_commit(smile_afile *f, char *msg, size_t msg_len);
/* Closes and removes the temporary file (no-op on a closed smile_afile). */
void smile_afile_abort(smile_afile *f);
/* Closes without removing (a partial file to be resumed later); not synced:
 * smile_afile_sync before recording how much of it counts. */
void smile_afile_close_keep(smile_afile *f);

/* Whole buffer to path, atomically. */
smile_status smile_write_file_atomic(const char *path, const void *buf, size_t len, char *msg,
                                     size_t msg_len);
/* mkdir -p (mode 0777 & ~umask). */
smile_status smile_mkdir_p(const char *dir, char *msg, size_t msg_len);
/* Whether dir can hold output: creates it and its missing parents, creates and
 * removes a probe file in it, then removes the directories it created (nothing
 * is left behind). SMILE_EINVAL names the directory that cannot be created or
 * written. */
smile_status smile_dir_check_writable(const char *dir, char *msg, size_t msg_len);
/* "dir/name" into a fresh malloc'd string (NULL when out of memory). */
char *smile_path_join(const char *dir, const char *name);

/* JSON through cJSON: formatted text + '\n', written atomically. */
smile_status smile_json_write_file(const char *path, const struct cJSON *obj, char *msg,
                                   size_t msg_len);
/* Parses a file; *out to be freed with cJSON_Delete. SMILE_EFORMAT names the
 * file and the line of the parse error. */
smile_status smile_json_read_file(const char *path, struct cJSON **out, char *msg,
                                  size_t msg_len);

/* ---- .npy files of float32 [rows, cols] (NumPy format 1.0, C order) -----
 * The writer streams rows into "<path>.partial" behind a fixed 128-byte
 * header whose shape field is patched when the file is finished (shape
 * (rows, cols) with rows >= 0), then renames it to path. numpy.load reads the
 * result; so does smile_npy_read. */
#define SMILE_NPY_HEADER_BYTES 128
typedef struct {
    smile_afile file;
    size_t cols;
    uint64_t rows;
} smile_npy_writer;

/* resume_rows < 0: new file; otherwise continue the partial file after its
 * first resume_rows rows (later rows are dropped). */
smile_status smile_npy_writer_open(smile_npy_writer *w, const char *path, size_t cols,
                                   long long resume_rows, char *msg, size_t msg_len);
smile_status smile_npy_writer_append(smile_npy_writer *w, const float *row, char *msg,
                                     size_t msg_len);
/* Header with the current row count + fsync: the partial file is a valid
 * .npy of the rows written so far. */
smile_status smile_npy_writer_sync(smile_npy_writer *w, char *msg, size_t msg_len);
smile_status smile_npy_writer_finish(smile_npy_writer *w, char *msg, size_t msg_len);
void smile_npy_writer_abort(smile_npy_writer *w);      /* removes the partial file */
void smile_npy_writer_close_keep(smile_npy_writer *w); /* keeps it for a resume   */
/* Whole array, atomically. */
smile_status smile_npy_write(const char *path, const float *data, size_t rows, size_t cols,
                             char *msg, size_t msg_len);
/* Header of a float32 C-order 2-D (or 1-D: cols = 1) .npy file; *data_offset
 * = byte offset of the first value. SMILE_EFORMAT for anything else or a file
 * size that does not match the shape. */
smile_status smile_npy_read_header(const char *path, size_t *rows, size_t *cols,
                                   size_t *data_offset, char *msg, size_t msg_len);
/* Whole array into a malloc'd buffer (free()); *data may be NULL when rows = 0. */
smile_status smile_npy_read(const char *path, float **data, size_t *rows, size_t *cols,
                            char *msg, size_t msg_len);

/* ---- CSV traces: header line + one line per row, streamed into a partial
 * file and renamed on finish. */
typedef struct {
    smile_afile file;
    uint64_t rows;
} smile_csv_writer;

/* header: the column names line without '\n'. resume_bytes < 0: new file;
 * otherwise continue the partial file cut at resume_bytes (a value from
 * smile_csv_writer_bytes), resume_rows rows after the header. */
smile_status smile_csv_writer_open(smile_csv_writer *w, const char *path, const char *header,
                                   long long resume_bytes, uint64_t resume_rows, char *msg,
                                   size_t msg_len);
/* One row of printf-formatted text ('\n' appended). */
smile_status smile_csv_writer_row(smile_csv_writer *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
long long smile_csv_writer_bytes(const smile_csv_writer *w); /* bytes written so far */
smile_status smile_csv_writer_sync(smile_csv_writer *w, char *msg, size_t msg_len);
smile_status smile_csv_writer_finish(smile_csv_writer *w, char *msg, size_t msg_len);
void smile_csv_writer_abort(smile_csv_writer *w);
void smile_csv_writer_close_keep(smile_csv_writer *w);


#endif
