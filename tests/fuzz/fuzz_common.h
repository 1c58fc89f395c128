/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c, docs/hardening.md):
 * the loaders read files, so each input is written to a file in a private
 * temporary folder (removed at exit) and parsed from there. A target may
 * return only 0; a crash, a sanitizer report, a leak or a hang is a finding. */
#ifndef SMILE_FUZZ_COMMON_H
#define SMILE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char fuzz_dir_[64];

static inline void fuzz_cleanup_(void) {
    if (!fuzz_dir_[0]) return;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_);
}

/* dir/name for this process's temporary folder (static buffer per call site
 * is not needed: the result is copied by the caller or used at once). */
static inline const char *fuzz_path(const char *name) {
    static char p[160];
    if (!fuzz_dir_[0]) {
        snprintf(fuzz_dir_, sizeof fuzz_dir_, "/tmp/smile_fuzz_XXXXXX");
        if (!mkdtemp(fuzz_dir_)) abort();
        atexit(fuzz_cleanup_);
    }
    snprintf(p, sizeof p, "%s/%s", fuzz_dir_, name);
    return p;
}

/* Writes data[n] to the file `name` (gzip-compressed when gz) and returns its path. */
static inline const char *fuzz_file(const uint8_t *data, size_t n, const char *name, int gz) {
    const char *p = fuzz_path(name);
    if (gz) {
        gzFile g = gzopen(p, "wb1");
        if (!g) abort();
        if (n && gzwrite(g, data, (unsigned)n) != (int)n) abort();
        gzclose(g);
    } else {
        FILE *f = fopen(p, "wb");
        if (!f) abort();
        if (n && fwrite(data, 1, n, f) != n) abort();
        fclose(f);
    }
    return p;
}

/* Target N(0, I) in dimension *(size_t *)user (checkpoint seeds and target). */
#include "smile.h"
static inline int fuzz_gauss(void *user, const float *x, const smile_batch *b, double *logp,
                             float *grad) {
    (void)b;
    const size_t d = *(const size_t *)user;
    double lp = 0;
    for (size_t i = 0; i < d; i++) {
        lp -= 0.5 * (double)x[i] * x[i];
        if (grad) grad[i] = -x[i];
    }
    *logp = lp;
    return 0;
}

#endif
