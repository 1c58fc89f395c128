/* smile — communicators: how one run is shared out over several processes.
 *
 * A communicator gives each process of a run its rank r in 0 .. R−1. The
 * library's one-process default is the NULL communicator (rank 0 of 1); the
 * MPI implementation is in smile_mpi.h (libraries built with `make MPI=1`).
 * Ensemble members are assigned to ranks in contiguous blocks: rank r owns
 * members [first, first + count) of smile_comm_members. Every byte that the
 * library sends through a communicator is counted (smile_comm_bytes_sent).
 */
#ifndef SMILE_COMM_H
#define SMILE_COMM_H

#include "smile.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the API libsmile.so exports */

typedef struct smile_comm smile_comm;

/* Rank and size (NULL: 0 and 1). */
int smile_comm_rank(const smile_comm *c);
int smile_comm_size(const smile_comm *c);
/* Members [*first, *first + *count) of K owned by rank r: blocks of ⌊K/R⌋,
 * the first K mod R ranks one more (a rank may own none when R > K). */
void smile_comm_members(int K, int R, int r, int *first, int *count);
/* Bytes this process has sent through c so far (NULL: 0). */
uint64_t smile_comm_bytes_sent(const smile_comm *c);
/* Chains k of chains[K] run in blocks (smile_comm_members) by the ranks of c:
 * rank 0 receives the counters (step, n_grad, n_emitted, n_resets,
 * n_nonfinite, n_eps_up, n_eps_down) and eps, L of every other rank's chains
 * into its chains[k] (other fields untouched). Every rank calls it. */
smile_status smile_comm_gather_chains(smile_comm *c, smile_chain *chains, int K, char *msg,
                                      size_t msg_len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
