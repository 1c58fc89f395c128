/* Placeholder until the subcommand lands; replaced by its owner. */
#include "cli.h"
#include <stdio.h>
int smile_cmd_analytic(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "smile: this command is not built yet\n");
    return 2;
}
