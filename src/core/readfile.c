/* Reading a whole file into memory. */
#include "core/core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

smile_status smile_read_file(const char *path, char **buf, size_t *len, char *msg,
                             size_t msg_len) {
    SMILE_CHECK(!path || !buf, SMILE_EINVAL, msg, msg_len, "NULL argument");
    *buf = NULL;
    FILE *fp = fopen(path, "rb");
    SMILE_CHECK(!fp, SMILE_EIO, msg, msg_len, "%s: cannot open: %s", path, strerror(errno));
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
