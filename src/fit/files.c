/* Paths, clocks and file tests of a run directory. */
#include "fit/fit_internal.h"

#include <sys/stat.h>
#include <time.h>

double fit_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *fit_path(const smile_fit *f, const char *name) { return smile_path_join(f->cfg.out, name); }

int fit_file_exists(const char *path) {
    struct stat sb;
    return path && stat(path, &sb) == 0;
}
