/* smile eval DIR — recomputes metrics.json of a finished `smile fit` run from
 * its stored DE members and samples (settings from DIR/config.json).
 * Exit status: 0 ok, 2 bad input (missing/malformed run files), 1 runtime. */
#include "args.h"
#include "cli.h"
#include "opts.h"
#include "smile_fit.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char eval_prologue[] =
    "Recomputes the metrics of both phases (deep ensemble and pooled samples) of the\n"
    "`smile fit` run in DIR from de_members.npy and samples/member_<k>.npy, rewrites\n"
    "DIR/metrics.json and prints a summary (--json: the whole object).\n";

int smile_cmd_eval(int argc, char **argv) {
    int json = 0, include = -1, threads = 0;
    double min_gap = -1;
    const char *dir = NULL, *data = NULL;
    cli_opt opts[] = {
        {"--threads", "T", CLI_INT_IN(&threads, 0, 4096),
         .help = "threads (0 = all cores)", .def = "0"},
        {"--json", NULL, CLI_SETS(&json, 1), .help = "print the whole metrics object"},
        {"--data", "FILE", CLI_STRING(&data),
         .help = "the run's data file, when it has moved (checked against the checksum the "
                 "run recorded)"},
        {"--include-diverged", NULL, CLI_SETS(&include, 1),
         .help = "pool diverged members too (overrides the run's setting)"},
        {"--exclude-diverged", NULL, CLI_SETS(&include, 0),
         .help = "leave diverged members out of the pool (overrides the run's setting)"},
        {"--min-gap", "G", CLI_NONNEG(&min_gap),
         .help = "floor of the divergence rule in nats per training point (default: the "
                 "run's, recorded in config.json; runs made before the default became 1 "
                 "recorded 0.5)"},
    };
    cli_cmd cmd = {.name = "eval", .args = "DIR", .prologue = eval_prologue,
                   .epilogue = "Exit status: 0 ok, 2 bad input, 1 runtime failure.\n",
                   .opts = opts, .n_opts = CLI_N(opts), .pos = &dir, .max_pos = 1};
    int rc = cli_parse(&cmd, argc, argv);
    if (rc != CLI_CONTINUE) return rc;
    if (!dir) return cli_bad("smile eval", "missing run directory (usage: smile eval DIR)");
    smile_fit_runtime rt;
    memset(&rt, 0, sizeof rt);
    rt.threads = threads;
    rt.data = data;
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
