/* Shared pieces of the smile subcommands (see args.h). */
#include "args.h"

#include "smile_fit.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

int cli_bad(const char *prefix, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

int cli_check_out_file(const char *prefix, const char *opt, const char *path) {
    if (!path || !*path) return cli_bad(prefix, "%s: empty file name", opt);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) return cli_bad(prefix, "%s %s: is a directory", opt, path);
        if (!S_ISREG(sb.st_mode)) return cli_bad(prefix, "%s %s: not a regular file", opt, path);
    }
    /* the parent folder: the text before the last '/', "/" for "/x", "." for "x" */
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 1;
    char *dir = malloc(n + 2);
    if (!dir) return cli_bad(prefix, "%s %s: out of memory", opt, path);
    if (!slash) strcpy(dir, ".");
    else if (n == 0) strcpy(dir, "/");
    else memcpy(dir, path, n), dir[n] = 0;
    const char *why = NULL;
    if (stat(dir, &sb) != 0) why = strerror(errno);
    else if (!S_ISDIR(sb.st_mode)) why = "is not a directory";
    else if (access(dir, W_OK | X_OK) != 0) why = strerror(errno);
    free(dir);
    if (why) return cli_bad(prefix, "%s %s: cannot be created (its folder: %s)", opt, path, why);
    return 0;
}

int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    if (!s || !*s) return -1;
    errno = 0;
    char *e;
    long long v = strtoll(s, &e, 10);
    if (*e || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_parse_u64(const char *s, uint64_t *out) {
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    char *e;
    unsigned long long v = strtoull(s, &e, 10);
    if (*e || errno) return -1;
    *out = v;
    return 0;
}

int cli_parse_real(const char *s, double *out) {
    if (!s || !*s) return -1;
    errno = 0;
    char *e;
    double v = strtod(s, &e);
    if (*e || errno || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_lookup_sampler(const char *s, int *out) {
    smile_sampler_kind k;
    if (smile_sampler_from_name(s, &k) != SMILE_OK) return -1;
    *out = (int)k;
    return 0;
}

int cli_lookup_model(const char *s, int *out) {
    smile_model_kind k;
    if (smile_model_kind_from_name(s, &k) != SMILE_OK) return -1;
    *out = (int)k;
    return 0;
}

void cli_random_data(smile_rng *r, size_t n, size_t p, size_t n_classes, int pixels, float *x,
                     float *y, int32_t *labels) {
    for (size_t i = 0; i < n * p; i++)
        x[i] = pixels ? (float)(((double)smile_rng_below(r, 256) / 255.0 - 0.2860) / 0.3530)
                      : (float)smile_rng_normal(r);
    for (size_t i = 0; i < n; i++) {
        y[i] = (float)smile_rng_normal(r);
        labels[i] = (int32_t)smile_rng_below(r, n_classes);
    }
}

double cli_wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double cli_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double cli_peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}
