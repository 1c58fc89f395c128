/* Minimal test harness: each tests/test_*.c is one executable that returns
 * non-zero when any check failed. Checks print the failing expression and
 * values; the summary line is "NAME: N passed, N failed". */
#ifndef SMILE_TEST_HARNESS_H
#define SMILE_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int h_pass_, h_fail_;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            h_pass_++;                                                                             \
        } else {                                                                                   \
            h_fail_++;                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

/* |a - b| <= atol + rtol |b| */
#define CHECK_CLOSE(a, b, rtol, atol)                                                              \
    do {                                                                                           \
        double ca_ = (double)(a), cb_ = (double)(b);                                               \
        CHECK(fabs(ca_ - cb_) <= (atol) + (rtol) * fabs(cb_), "%s = %.17g, %s = %.17g", #a, ca_,   \
              #b, cb_);                                                                            \
    } while (0)

static inline int harness_long(void) {
    const char *s = getenv("SMILE_LONG");
    return s && *s && strcmp(s, "0") != 0;
}

/* Data directory: $SMILE_DATA or ../shared/data. */
static inline const char *harness_data_dir(void) {
    const char *s = getenv("SMILE_DATA");
    return (s && *s) ? s : "../shared/data";
}

/* Writes n bytes to path (gzip-compressed when gz); 0 on success. */
#include <zlib.h>
static inline int harness_write_bytes(const char *path, const void *b, size_t n, int gz) {
    if (gz) {
        gzFile g = gzopen(path, "wb");
        if (!g) return -1;
        int ok = gzwrite(g, b, (unsigned)n) == (int)n;
        return gzclose(g) == Z_OK && ok ? 0 : -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(b, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Removes a scratch directory and what it holds (a failure is only reported). */
static inline void harness_remove_dir(const char *dir) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static inline int harness_done(const char *name) {
    printf("%s: %d passed, %d failed\n", name, h_pass_, h_fail_);
    return h_fail_ ? 1 : 0;
}

#endif
