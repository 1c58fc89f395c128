/* smile eval DIR — recomputes metrics.json of a finished `smile fit` run from
 * its stored DE members and samples (settings from DIR/config.json).
 * Exit status: 0 ok, 2 bad input (missing/malformed run files), 1 runtime. */
#include "cli.h"
#include "smile_fit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_print_metrics(const char *text, int as_json);

static void help(FILE *f) {
    fprintf(f,
"usage: smile eval DIR [--threads T] [--json] [--include-diverged | --exclude-diverged]\n"
"                      [--min-gap G]\n"
"\n"
"Recomputes the metrics of both phases (deep ensemble and pooled samples) of the\n"
"`smile fit` run in DIR from de_members.npy and samples/member_<k>.npy, rewrites\n"
"DIR/metrics.json and prints a summary (--json: the whole object).\n"
"--include-diverged / --exclude-diverged override the run's pooling setting;\n"
"--min-gap G (>= 0) the divergence rule's floor in nats per training point\n"
"(default: the run's, recorded in config.json; runs made before the default\n"
"became 1 recorded 0.5).\n"
"Exit status: 0 ok, 2 bad input, 1 runtime failure.\n");
}

int smile_cmd_eval(int argc, char **argv) {
    const char *dir = NULL;
    int json = 0, include = -1, threads = 0;
    double min_gap = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--include-diverged")) {
            include = 1;
        } else if (!strcmp(a, "--exclude-diverged")) {
            include = 0;
        } else if (!strcmp(a, "--min-gap")) {
            char *e;
            if (i + 1 >= argc || !*argv[i + 1] || (min_gap = strtod(argv[i + 1], &e), *e) ||
                !(min_gap >= 0 && min_gap < 1e300)) {
                fprintf(stderr, "smile eval: --min-gap needs a number >= 0\n");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--threads")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "smile eval: --threads needs a value\n");
                return 2;
            }
            char *e;
            errno = 0;
            long v = strtol(argv[++i], &e, 10);
            if (!*argv[i] || *e || errno || v < 0 || v > 4096) {
                fprintf(stderr, "smile eval: --threads: '%s' is not an integer in 0..4096\n",
                        argv[i]);
                return 2;
            }
            threads = (int)v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "smile eval: unknown option '%s' (see smile eval --help)\n", a);
            return 2;
        } else if (dir) {
            fprintf(stderr, "smile eval: unexpected argument '%s' (one run directory)\n", a);
            return 2;
        } else {
            dir = a;
        }
    }
    if (!dir) {
        fprintf(stderr, "smile eval: missing run directory (usage: smile eval DIR)\n");
        return 2;
    }
    smile_fit_runtime rt;
    memset(&rt, 0, sizeof rt);
    rt.threads = threads;
    char msg[1024] = "";
    char *m = NULL;
    smile_status st = smile_fit_eval(dir, &rt, include, min_gap, &m, msg, sizeof msg);
    if (st != SMILE_OK) {
        fprintf(stderr, "smile eval: %s\n", msg[0] ? msg : smile_status_str(st));
        return (st == SMILE_ENOMEM || st == SMILE_ENUMERIC) ? 1 : 2;
    }
    cli_print_metrics(m, json);
    free(m);
    return 0;
}
