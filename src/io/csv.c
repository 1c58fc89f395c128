/* CSV traces streamed into "<path>.partial" and renamed on finish. The byte
 * count written so far is tracked, so a checkpoint can record it and a
 * resumed run can cut the partial file back to exactly that point. */
#include "io/io_internal.h"

#include <stdarg.h>
#include <string.h>

smile_status smile_csv_writer_open(smile_csv_writer *w, const char *path, const char *header,
                                   long long resume_bytes, uint64_t resume_rows, char *msg,
                                   size_t msg_len) {
    SMILE_CHECK(!w || !header, SMILE_EINVAL, msg, msg_len, "NULL argument");
    memset(w, 0, sizeof *w);
    SMILE_TRY(smile_afile_open_partial(&w->file, path, resume_bytes, msg, msg_len));
    if (resume_bytes >= 0) {
        w->rows = resume_rows;
        return SMILE_OK;
    }
    smile_status st = smile_afile_write(&w->file, header, strlen(header), msg, msg_len);
    if (st == SMILE_OK) st = smile_afile_write(&w->file, "\n", 1, msg, msg_len);
    if (st != SMILE_OK) smile_afile_abort(&w->file);
    return st;
}

smile_status smile_csv_writer_row(smile_csv_writer *w, const char *fmt, ...) {
    if (!w || !w->file.fp) return SMILE_EINVAL;
    FILE *fp = w->file.fp;
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(fp, fmt, ap);
    va_end(ap);
    if (n < 0 || fputc('\n', fp) == EOF) return SMILE_EIO;
    w->rows++;
    return SMILE_OK;
}

long long smile_csv_writer_bytes(const smile_csv_writer *w) {
    if (!w || !w->file.fp) return -1;
    return (long long)ftello((FILE *)w->file.fp);
}

smile_status smile_csv_writer_sync(smile_csv_writer *w, char *msg, size_t msg_len) {
    SMILE_CHECK(!w, SMILE_EINVAL, msg, msg_len, "NULL writer");
    return smile_afile_sync(&w->file, msg, msg_len);
}

smile_status smile_csv_writer_finish(smile_csv_writer *w, char *msg, size_t msg_len) {
    SMILE_CHECK(!w, SMILE_EINVAL, msg, msg_len, "NULL writer");
    return smile_afile_commit(&w->file, msg, msg_len);
}

void smile_csv_writer_abort(smile_csv_writer *w) {
    if (w) smile_afile_abort(&w->file);
}

void smile_csv_writer_close_keep(smile_csv_writer *w) {
    if (w) smile_afile_close_keep(&w->file);
}
