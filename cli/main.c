/* smile — command-line front end. Uses only include/smile.h (and cli/), and
 * the fault-injection switch of the hardening tests (core/core.h). */
#include "cli.h"
#include "core/core.h"
#include "opts.h"
#include "smile_fit.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} command;

static const command commands[] = {
    {"analytic", smile_cmd_analytic,
     "samplers on analytical targets with mini-batch noise (squared-moment bias)"},
    {"bench-model", smile_cmd_bench_model, "time log-posterior gradient evaluations of a model"},
    {"bench-step", smile_cmd_bench_step, "time the SMILE sampler step of K chains (fcn, lenet)"},
    {"fit", smile_cmd_fit, "deep ensemble + sampling + evaluation on a data set (UCI)"},
    {"eval", smile_cmd_eval, "recompute metrics.json of a finished fit run"},
    {"predict", smile_cmd_predict, "predict with a fitted run on new rows (intervals, probabilities)"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void list_commands(FILE *f) {
    fprintf(f, "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

static const command *find_command(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name)) return &commands[i];
    return NULL;
}

static int run_main(int argc, char **argv);

/* fit and analytic run on every rank; other commands on rank 0 alone. */
int main(int argc, char **argv) {
    if (cli_ranks_begin(&argc, &argv)) return 1;
    const int shared = argc >= 2 && (!strcmp(argv[1], "fit") || !strcmp(argv[1], "analytic"));
    int rc = 0;
    if (shared || cli_rank() == 0) rc = run_main(argc, argv);
    if (!shared) rc = cli_rank0_status(rc);
    return cli_ranks_end(rc);
}

static int run_main(int argc, char **argv) {
    const char *fault = smile_fault_error();
    if (fault) {
        fprintf(stderr, "smile: SMILE_FAULT: %s\n", fault);
        return 2;
    }
    const char *pos[2];
    cli_cmd top = {
        .args = "<command> [options]",
        .usage2 = "help <command>\n<command> --help",
        .prologue = "smile: stochastic microcanonical Langevin ensembles for Bayesian deep\n"
                    "learning. `smile help <command>` (or `smile <command> --help`) lists\n"
                    "the options of one command.\n",
        .extra = list_commands,
        .epilogue = "Exit status: 0 ok, 2 bad input, 1 runtime failure.\n",
        .pos = pos,
        .max_pos = 2,
    };
    if (argc < 2) {
        cli_help(&top, stderr);
        return 2;
    }
    if (argv[1][0] != '-' && strcmp(argv[1], "help")) { /* smile <command> ... */
        const command *c = find_command(argv[1]);
        if (c) return c->fn(argc - 1, argv + 1);
        fprintf(stderr, "smile: unknown command '%s' (see smile --help)\n", argv[1]);
        return 2;
    }
    /* smile [--help | --version | help [<command>]] */
    int rc = cli_parse(&top, argc, argv);
    if (rc != CLI_CONTINUE) return rc;
    if (top.n_pos == 0 || strcmp(pos[0], "help")) {
        fprintf(stderr, "smile: unknown command '%s' (see smile --help)\n", top.n_pos ? pos[0] : "");
        return 2;
    }
    if (top.n_pos == 1) { /* smile help */
        cli_help(&top, stdout);
        return 0;
    }
    const command *c = find_command(pos[1]);
    if (!c) {
        fprintf(stderr, "smile: unknown command '%s' (see smile --help)\n", pos[1]);
        return 2;
    }
    char *help_argv[] = {(char *)c->name, "--help", NULL};
    return c->fn(2, help_argv);
}
