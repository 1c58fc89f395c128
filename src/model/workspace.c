/*
 * workspace.c — model workspaces: one allocation per workspace sized by the
 * architecture's plan (model_internal.h, MEMORY PLAN), and the example-parallel pieces.
 * The entry points that pick the passes of a precision (smile_model_workspace_init and
 * the double one of the tests) are in pass_eval.c.
 */
#include "model/model_internal.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Example-parallel pieces (struct smile_model_workspace): for architectures whose
 * per-layer work is too small to thread layer by layer without many fork/joins (LeNet,
 * ResNet-7), when the batch gives each piece at least 4 examples and the nsub gradient
 * partials (nsub·d reals) stay below 64 MiB. Fixed nsub: results never depend on the
 * thread count. */
static size_t ws_pieces(const smile_model *m, size_t B, size_t elem) {
    size_t S = SMILE_WS_MAX_SUB;
    if (!m->arch->example_parallel || B < 4 * S || S * m->d * elem > ((size_t)64 << 20)) return 1;
    return S;
}

/* An empty workspace with its parameters; NULL when out of memory. A piece runs
 * single-threaded inside the example-parallel region. */
static smile_model_workspace *ws_new(const smile_model *m, size_t B, size_t elem,
                                     const void *passes, int piece) {
    smile_model_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->m = m;
    ws->passes = passes;
    ws->B = B;
    ws->elem = elem;
    ws->piece = piece;
    ws->NT = piece ? 1 : (size_t)omp_get_max_threads();
    return ws;
}

void *mdl_ws_arch(smile_model_workspace *ws, size_t bytes) { return ws->aws = calloc(1, bytes); }

/* A workspace for B examples (the reals it plans, int32 tokens and labels, double
 * log-likelihoods and the kernel scratch, in one block). */
static smile_status ws_init_one(smile_model_workspace **out, const smile_model *m, size_t B,
                                size_t elem, const void *passes, mdl_plan_fn plan, int piece,
                                char *msg, size_t msg_len) {
    smile_model_workspace *ws = ws_new(m, B, elem, passes, piece);
    SMILE_CHECK(!ws, SMILE_ENOMEM, msg, msg_len, "model workspace: out of memory");
    size_t n_reals = 0, scratch = 0;
    smile_status st = plan(ws, &n_reals, &scratch);
    if (st != SMILE_OK) {
        smile_model_workspace_free(ws);
        SMILE_CHECK(st == SMILE_ENOMEM, st, msg, msg_len, "model workspace: out of memory");
        SMILE_CHECK(1, st, msg, msg_len,
                    "model workspace: batch %zu too large for this model (%zu inputs, %zu "
                    "parameters)",
                    B, m->in_size, m->d);
    }
    /* One block: reals | int32 tokens [B·T] | int32 labels [B·T] | double ll [B·T] |
     * scratch; every part 64-byte aligned. */
    size_t T = m->window ? m->window : 1;
    size_t r_bytes = (n_reals * elem + 63) & ~(size_t)63;
    size_t i_bytes = (B * T * sizeof(int32_t) + 63) & ~(size_t)63;
    size_t l_bytes = (B * T * sizeof(double) + 63) & ~(size_t)63;
    size_t s_bytes = (scratch + 63) & ~(size_t)63;
    ws->bytes = r_bytes + 2 * i_bytes + l_bytes + s_bytes;
    ws->mem = smile_calloc(ws->bytes, 1);
    if (!ws->mem) {
        size_t mb = ws->bytes >> 20;
        smile_model_workspace_free(ws);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len,
                    "model workspace: cannot allocate %zu MiB for batch %zu", mb, B);
    }
    ws->tok = (int32_t *)(ws->mem + r_bytes);
    ws->lab = (int32_t *)(ws->mem + r_bytes + i_bytes);
    ws->ll = (double *)(ws->mem + r_bytes + 2 * i_bytes);
    ws->scratch = ws->mem + r_bytes + 2 * i_bytes + l_bytes;
    ws->scratch_bytes = scratch;
    *out = ws;
    return SMILE_OK;
}

smile_status mdl_ws_init(smile_model_workspace **out, const smile_model *m, size_t B,
                         size_t elem, const void *passes, mdl_plan_fn plan, char *msg,
                         size_t msg_len) {
    SMILE_CHECK(!out || !m, SMILE_EINVAL, msg, msg_len, "model workspace: NULL argument");
    *out = NULL;
    SMILE_CHECK(B == 0, SMILE_EINVAL, msg, msg_len, "model workspace: batch size must be >= 1");
    size_t S = ws_pieces(m, B, elem);
    if (S <= 1) return ws_init_one(out, m, B, elem, passes, plan, 0, msg, msg_len);
    /* the pieces own all activations; the outer workspace holds only the partials */
    smile_model_workspace *ws = ws_new(m, B, elem, passes, 0);
    SMILE_CHECK(!ws, SMILE_ENOMEM, msg, msg_len, "model workspace: out of memory");
    *out = ws;
    ws->part = smile_calloc(S * m->d, elem);
    smile_status st = ws->part ? SMILE_OK : SMILE_ENOMEM;
    if (!ws->part) smile_set_msg(msg, msg_len, "model workspace: out of memory");
    for (size_t k = 0; k < S && st == SMILE_OK; k++)
        st = ws_init_one(&ws->sub[k], m, (B + S - 1) / S, elem, passes, plan, 1, msg, msg_len);
    ws->nsub = S;
    if (st != SMILE_OK) {
        smile_model_workspace_free(ws);
        *out = NULL;
        return st;
    }
    for (size_t k = 0; k < S; k++) ws->bytes += ws->sub[k]->bytes;
    ws->bytes += S * m->d * elem;
    return SMILE_OK;
}

void smile_model_workspace_free(smile_model_workspace *ws) {
    if (!ws) return;
    for (size_t k = 0; k < SMILE_WS_MAX_SUB; k++) smile_model_workspace_free(ws->sub[k]);
    smile_free(ws->part);
    smile_free(ws->mem);
    free(ws->aws);
    free(ws);
}

size_t smile_model_workspace_bytes(const smile_model_workspace *ws) { return ws ? ws->bytes : 0; }
size_t smile_model_workspace_batch(const smile_model_workspace *ws) { return ws ? ws->B : 0; }
