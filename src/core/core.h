/* Private helpers shared by the library sources. Never installed. */
#ifndef SMILE_INTERNAL_H
#define SMILE_INTERNAL_H

#include "smile.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

/* Overflow-checked count x size: 0 and *out = a * b, or -1 (and *out = SIZE_MAX)
 * when the product does not fit in size_t. Sizes that derive from input (options,
 * file headers, checkpoints) are multiplied through this, or allocated with
 * smile_alloc_array, so that a huge count is refused instead of wrapping. */
int smile_mul_size(size_t a, size_t b, size_t *out);
/* malloc(n * size) with the product checked: NULL when it overflows or memory is
 * short (n or size 0: a 1-byte block); free() it. */
void *smile_alloc_array(size_t n, size_t size);

/* Zero-initialised aligned allocation (64 bytes; n x size checked); free with
 * smile_free. */
void *smile_calloc(size_t n, size_t size);
void smile_free(void *p);

/* Opens an input file for reading, refusing anything but a regular file (a FIFO
 * would block the reader, a device never ends): stat before the open, and fstat
 * of the opened descriptor (opened non-blocking, so a FIFO swapped in between
 * cannot block either). SMILE_EIO with "<path>: cannot open: <reason>" or
 * "<path>: not a regular file (...)". smile_open_input_fd gives the descriptor
 * (for gzdopen; close() it), smile_open_input a FILE * ("rb"; fclose() it). */
smile_status smile_open_input_fd(const char *path, int *fd, char *msg, size_t msg_len);
smile_status smile_open_input(const char *path, FILE **fp, char *msg, size_t msg_len);

/* Reads a whole file (NUL-terminated, *len without the NUL; len may be NULL);
 * free() it. Messages name the path; only regular files are read. */
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

/* Student-t of unit scale, ν > 0 degrees of freedom (student.c): c_ν = log Γ((ν+1)/2) −
 * log Γ(ν/2) − ½ log(νπ), so log f(z) = c_ν − (ν+1)/2 · log1p(z²/ν); the CDF (relative
 * error of the lower tail below 1e-12 for ν ≤ 30, about 1e-9 at ν = 10⁶ where the
 * log-gamma terms cancel; NaN for NaN z or ν ≤ 0) and its inverse (bisection,
 * 1e-14 relative; ±∞ at p = 0, 1). */
double smile_student_log_norm(double nu);
double smile_student_cdf(double z, double nu);
double smile_student_quantile(double p, double nu);
/* F[j] = smile_student_cdf(z[j], nu) and f[j] = exp(nc − (ν+1)/2 · log1p(z[j]²/ν)) for
 * j < m, nc = smile_student_log_norm(nu): the same values to a few ulp, several times
 * faster for integer ν (the predictive mixtures' sums over samples). */
void smile_student_cdf_pdf_n(const double *z, size_t m, double nu, double nc, double *F,
                             double *f);

/* ---- fault injection (fault.c; docs/hardening.md) ------------------------------------
 * SMILE_FAULT="grad=RATE[:nan,inf,-inf,huge];write=RATE[:short,enospc];seed=S", read
 * once. grad: each target evaluation of a sampler step is corrupted with probability
 * RATE (its log density and one gradient entry become NaN, +Inf, -Inf, or a huge
 * finite value: log density -1e30, entry +-1e30), a kind drawn from the list; the
 * choice is a hash of (seed, chain, step, evaluation), so runs are reproducible.
 * write: each smile_afile_write fails with ENOSPC with probability RATE, after
 * writing half its bytes (short) or none (enospc). Off: smile_fault_get() is one
 * atomic load and a predictable branch. */
typedef struct {
    double grad_rate, write_rate;
    unsigned grad_kinds, write_kinds; /* bit i: kind i of the lists above */
    uint64_t seed;
} smile_fault_config;
extern _Atomic int smile_fault_state_;
void smile_fault_init_(void);
const smile_fault_config *smile_fault_config_of_(void);
/* The active configuration, or NULL when fault injection is off. */
static inline const smile_fault_config *smile_fault_get(void) {
    int s = smile_fault_state_;
    if (__builtin_expect(s == 0, 0)) {
        smile_fault_init_();
        s = smile_fault_state_;
    }
    return __builtin_expect(s == 2, 0) ? smile_fault_config_of_() : NULL;
}
/* Parses a SMILE_FAULT string; 0, or -1 with a message. */
int smile_fault_parse(const char *spec, smile_fault_config *out, char *msg, size_t msg_len);
/* Sets the configuration (NULL: off), replacing SMILE_FAULT; not while chains run. */
void smile_fault_configure(const smile_fault_config *c);
/* The message of a malformed SMILE_FAULT (injection is then off), or NULL. */
const char *smile_fault_error(void);
/* Evaluation k of step `step` of chain `chain`: corrupts *logp and one entry of
 * grad[d] (either may be NULL) when drawn; returns 0 or the kind + 1. */
int smile_fault_eval(const smile_fault_config *c, uint64_t chain, uint64_t step, uint64_t k,
                     size_t d, double *logp, float *grad);
/* A file write of len bytes: 0, or ENOSPC with *n_first bytes to write before failing. */
int smile_fault_write(size_t len, size_t *n_first);

#endif
