/* Subcommands of the smile CLI. Each returns the process exit code:
 * 0 success, 2 bad input (one line naming the bad option on stderr),
 * 1 runtime failure. */
#ifndef SMILE_CLI_H
#define SMILE_CLI_H

#include <stdio.h>

#include "smile_comm.h"

int smile_cmd_analytic(int argc, char **argv);
int smile_cmd_bench_model(int argc, char **argv);
int smile_cmd_bench_step(int argc, char **argv);
int smile_cmd_fit(int argc, char **argv);
int smile_cmd_eval(int argc, char **argv);
int smile_cmd_predict(int argc, char **argv);

/* Reports of a fit run (cli/fit_report.c): the table of the headline metrics
 * of both phases, and the whole metrics object as JSON on stdout. */
struct cJSON;
void smile_fit_print_summary(FILE *f, const struct cJSON *m);
int cli_print_metrics(const char *text, int as_json);
/* calibration.png + predicted_vs_observed.png (regression) or reliability.png
 * (classes) in dir from a predictions CSV with an observed column; the deep
 * ensemble's coverage from metrics_path (may be NULL). Needs gnuplot. */
void cli_plot_predictions(const char *dir, const char *csv_path, const char *metrics_path,
                          int quiet);
/* plot.gp (and predictive.png when gnuplot is installed) of the built-in
 * example in directory out. */
void cli_fit_plot_builtin(const char *out, const char *sampler, int quiet);

/* Ranks (cli/cli_mpi.c; one rank without MPI): begin before parsing (0 or
 * exit code 1), end with the command's exit code (returned); cli_rank0_status:
 * every rank gets rank 0's exit code of a command that ran on rank 0 alone. */
int cli_ranks_begin(int *argc, char ***argv);
int cli_ranks_end(int rc);
int cli_rank0_status(int rc);
smile_comm *cli_comm(void); /* NULL without MPI */
int cli_rank(void);

#endif
