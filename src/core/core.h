/* Private helpers shared by the library sources. Never installed. */
#ifndef SMILE_INTERNAL_H
#define SMILE_INTERNAL_H

#include "smile.h"
#include <stdarg.h>
#include <stdio.h>

/* Writes a formatted message into msg[msg_len] (if msg != NULL). */
void smile_set_msg(char *msg, size_t msg_len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Return `code` with a message when `cond` holds (zstd's RETURN_ERROR_IF). */
#define SMILE_CHECK(cond, code, msg, msg_len, ...)                                                 \
    do {                                                                                           \
        if (cond) {                                                                                \
            smile_set_msg((msg), (msg_len), __VA_ARGS__);                                          \
            return (code);                                                                         \
        }                                                                                          \
    } while (0)

/* Forward a non-OK status (zstd's FORWARD_IF_ERROR). */
#define SMILE_TRY(expr)                                                                            \
    do {                                                                                           \
        int smile_try_st_ = (expr);                                                                \
        if (smile_try_st_ != SMILE_OK) return smile_try_st_;                                       \
    } while (0)

/* Zero-initialised aligned allocation (64 bytes); free with smile_free. */
void *smile_calloc(size_t n, size_t size);
void smile_free(void *p);

/* Reads a whole file (NUL-terminated, *len without the NUL; len may be NULL);
 * free() it. Messages name the path. */
smile_status smile_read_file(const char *path, char **buf, size_t *len, char *msg,
                             size_t msg_len);

/* Index i of name in names[0..n) (exact match), or -1 (also for name NULL). */
int smile_name_index(const char *name, const char *const *names, int n);

/* A value and its index. smile_cmp_value_index (for qsort) orders by
 * ascending value, ties by ascending index, so the order is total. */
typedef struct {
    double v;
    size_t i;
} smile_value_index;
int smile_cmp_value_index(const void *a, const void *b);

/* Standard normal quantile Φ⁻¹(p) (Acklam + one Halley step, |err| < 1e-15). */
double smile_normal_quantile(double p);

#endif
