/* Subcommands of the smile CLI. Each returns the process exit code:
 * 0 success, 2 bad input (one line naming the bad option on stderr),
 * 1 runtime failure. */
#ifndef SMILE_CLI_H
#define SMILE_CLI_H

int smile_cmd_analytic(int argc, char **argv);
int smile_cmd_bench_model(int argc, char **argv);
int smile_cmd_bench_step(int argc, char **argv);
int smile_cmd_fit(int argc, char **argv);
int smile_cmd_eval(int argc, char **argv);

#endif
