/* Status codes, messages, allocation. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

const char *smile_version(void) { return SMILE_VERSION_STRING; }

const char *smile_status_str(int status) {
    switch (status) {
    case SMILE_OK: return "ok";
    case SMILE_EINVAL: return "invalid argument";
    case SMILE_ENOMEM: return "out of memory";
    case SMILE_EIO: return "input/output error";
    case SMILE_EFORMAT: return "malformed input";
    case SMILE_EUNSUPPORTED: return "unsupported";
    case SMILE_ENUMERIC: return "numerical failure";
    case SMILE_EINTERRUPTED: return "interrupted";
    default: return "unknown status";
    }
}

void smile_set_msg(char *msg, size_t msg_len, const char *fmt, ...) {
    if (!msg || msg_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_len, fmt, ap);
    va_end(ap);
}

void *smile_calloc(size_t n, size_t size) {
    if (n == 0 || size == 0) n = size = 1;
    if (size && n > (SIZE_MAX - 64) / size) return NULL;
    size_t bytes = n * size;
    bytes = (bytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void smile_free(void *p) { free(p); }
