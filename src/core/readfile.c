/* Opening input files (regular files only) and reading a whole file into memory. */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a non-regular file is, for the message. */
static const char *kind_of(mode_t m) {
    return S_ISDIR(m)    ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a plain file";
}

smile_status smile_open_input_fd(const char *path, int *fd, char *msg, size_t msg_len) {
    SMILE_CHECK(!path || !fd, SMILE_EINVAL, msg, msg_len, "NULL argument");
    *fd = -1;
    struct stat sb;
    SMILE_CHECK(stat(path, &sb) != 0, SMILE_EIO, msg, msg_len, "%s: cannot open: %s", path,
                strerror(errno));
    SMILE_CHECK(!S_ISREG(sb.st_mode), SMILE_EIO, msg, msg_len, "%s: not a regular file (%s)",
                path, kind_of(sb.st_mode));
    int d = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    SMILE_CHECK(d < 0, SMILE_EIO, msg, msg_len, "%s: cannot open: %s", path, strerror(errno));
    int fl = fcntl(d, F_GETFL);
    if (fstat(d, &sb) != 0 || !S_ISREG(sb.st_mode) || fl < 0 ||
        fcntl(d, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        close(d);
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "%s: not a regular file", path);
    }
    *fd = d;
    return SMILE_OK;
}

smile_status smile_open_input(const char *path, FILE **fp, char *msg, size_t msg_len) {
    SMILE_CHECK(!fp, SMILE_EINVAL, msg, msg_len, "NULL argument");
    *fp = NULL;
    int d;
    SMILE_TRY(smile_open_input_fd(path, &d, msg, msg_len));
    *fp = fdopen(d, "rb");
    if (!*fp) {
        int e = errno;
        close(d);
        SMILE_CHECK(1, e == ENOMEM ? SMILE_ENOMEM : SMILE_EIO, msg, msg_len,
                    "%s: cannot open: %s", path, strerror(e));
    }
    return SMILE_OK;
}

smile_status smile_read_file(const char *path, char **buf, size_t *len, char *msg,
                             size_t msg_len) {
    SMILE_CHECK(!path || !buf, SMILE_EINVAL, msg, msg_len, "NULL argument");
    *buf = NULL;
    FILE *fp;
    SMILE_TRY(smile_open_input(path, &fp, msg, msg_len));
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - 1 - n, fp);
        n += got;
        if (got == 0) break;
    }
    int rerr = ferror(fp);
    fclose(fp);
    SMILE_CHECK(!b, SMILE_ENOMEM, msg, msg_len, "%s: out of memory", path);
    if (rerr) {
        free(b);
        SMILE_CHECK(1, SMILE_EIO, msg, msg_len, "%s: read error", path);
    }
    b[n] = 0;
    *buf = b;
    if (len) *len = n;
    return SMILE_OK;
}
