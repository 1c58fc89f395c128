/* The ranks of the command (built with `make MPI=1`; docs/mpi.md). Under
 * mpirun/srun every rank runs the same command line: `fit` and `analytic`
 * share their members / chains out over the ranks, every other command runs
 * on rank 0 alone and the others take its exit status. Only rank 0 prints:
 * the other ranks' stdout and stderr go to /dev/null, and their errors reach
 * rank 0 through the library's agreement at each phase boundary. Without
 * MPI there is one rank and nothing here does anything. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef SMILE_WITH_MPI
#include "smile_mpi.h"

static smile_comm *g_comm;

int cli_ranks_begin(int *argc, char ***argv) {
    char msg[256];
    if (smile_mpi_comm_open(MPI_COMM_WORLD, argc, argv, &g_comm, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "smile: %s\n", msg);
        return 1;
    }
    if (smile_comm_rank(g_comm) != 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) return 1;
    }
    return 0;
}

/* SMILE_COMM_STATS=PREFIX: each rank writes "rank bytes_sent" to PREFIX.<rank>
 * at the end (bench/mpi.sh). */
static void write_stats(void) {
    const char *pre = getenv("SMILE_COMM_STATS");
    if (!pre || !*pre || !g_comm) return;
    char path[4096];
    snprintf(path, sizeof path, "%s.%d", pre, smile_comm_rank(g_comm));
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "%d %llu\n", smile_comm_rank(g_comm),
            (unsigned long long)smile_comm_bytes_sent(g_comm));
    fclose(f);
}

int cli_ranks_end(int rc) {
    fflush(stdout);
    fflush(stderr);
    write_stats();
    smile_mpi_comm_close(g_comm);
    g_comm = NULL;
    return rc;
}

int cli_rank0_status(int rc) {
    if (smile_comm_size(g_comm) < 2) return rc;
    int v = rc;
    MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return v;
}

smile_comm *cli_comm(void) { return g_comm; }
#else
int cli_ranks_begin(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}
int cli_ranks_end(int rc) { return rc; }
int cli_rank0_status(int rc) { return rc; }
smile_comm *cli_comm(void) { return NULL; }
#endif

int cli_rank(void) { return smile_comm_rank(cli_comm()); }
