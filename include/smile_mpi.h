/* smile — MPI communicators (libraries built with `make MPI=1`).
 *
 * The caller passes its own communicator (any MPI_Comm, not necessarily
 * MPI_COMM_WORLD); the library works on a duplicate of it, so its messages
 * never meet the caller's. MPI is initialised (MPI_THREAD_FUNNELED: only the
 * calling thread communicates) only when the caller has not done so, and then
 * finalised by smile_mpi_comm_close. Put the result into
 * smile_fit_runtime.comm to share a fit's members out over the ranks. */
#ifndef SMILE_MPI_H
#define SMILE_MPI_H

#include <mpi.h>

#include "smile.h"
#include "smile_comm.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API libsmile.so exports */

/* *out: a communicator over the ranks of comm. argc/argv (may be NULL) go to
 * MPI_Init_thread when MPI is not initialised yet. */
smile_status smile_mpi_comm_open(MPI_Comm comm, int *argc, char ***argv, smile_comm **out,
                                 char *msg, size_t msg_len);
/* Frees c (NULL is fine); finalises MPI if smile_mpi_comm_open initialised it. */
void smile_mpi_comm_close(smile_comm *c);
/* Stops every rank of c's communicator at once (MPI_Abort with code): for a
 * command whose rank cannot continue and cannot reach the next agreement. */
void smile_mpi_comm_abort(smile_comm *c, int code);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
