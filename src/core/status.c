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

int smile_mul_size(size_t a, size_t b, size_t *out) {
    if (b && a > SIZE_MAX / b) {
        *out = SIZE_MAX;
        return -1;
    }
    *out = a * b;
    return 0;
}

void *smile_alloc_array(size_t n, size_t size) {
    size_t bytes;
    if (smile_mul_size(n, size, &bytes)) return NULL;
    return malloc(bytes ? bytes : 1);
}

void *smile_calloc(size_t n, size_t size) {
    if (n == 0 || size == 0) n = size = 1;
    size_t bytes;
    if (smile_mul_size(n, size, &bytes) || bytes > SIZE_MAX - 64) return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void smile_free(void *p) { free(p); }
