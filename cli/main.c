/* smile — command-line front end. Uses only include/smile.h (and cli/). */
#include "cli.h"
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
     "samplers on analytical targets with mini-batch noise (squared-moment bias)\n"
     "               --target {icg,funnel,banana,gmm25}\n"
     "               --noise {none,isotropic,anisotropic,correlated,spatial}\n"
     "               --sampler {mclmc,smile-naive,smile,psmile-naive,psmile,sgld,sghmc,\n"
     "                          adasghmc,csgld,psmile-auto,smile-auto}\n"
     "               --steps N [--warmup N] [--step-size EPS] [--chains K] [--seed S]\n"
     "               [--batch B] [--threads T] [--mclmc-tuning {mile,blackjax}] [--json]\n"
     "               [--L LEN] [--normalisation {exact,reference}] [--data-seed S]\n"
     "               [--noise-scale S] [--trace FILE] [--trace-every K]\n"
     "               (details and defaults: smile analytic --help)"},
    {"bench-model", smile_cmd_bench_model, "time log-posterior gradient evaluations of a model"},
    {"bench-step", smile_cmd_bench_step, "time the SMILE sampler step of K chains (fcn, lenet)"},
    {"fit", smile_cmd_fit, "deep ensemble + sampling + evaluation on a data set (UCI)"},
    {"eval", smile_cmd_eval, "recompute metrics.json of a finished fit run"},
};

static void usage(FILE *f) {
    fprintf(f, "smile %s — stochastic microcanonical Langevin ensembles\n\n", smile_version());
    fprintf(f, "usage: smile <command> [options]   (smile <command> --help for its options)\n\n");
    fprintf(f, "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("smile %s\n", smile_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "smile: unknown command '%s' (see smile --help)\n", argv[1]);
    return 2;
}
