/* Multi-head self-attention core of src/nn (fused qkv, optional causal mask as in the GPT
 * of the GPT, unmasked as in the ViT; docs/experiments.md, section 3): forward against a direct
 * implementation, backward against central finite differences in double (test_nn_fd.h),
 * float against double, large scores (no overflow), thread-count independence. */
#include "test_nn_fd.h"

#include <omp.h>

typedef struct {
    size_t B, T, C, NH;
    int causal;
    double *lse;
    float *lsef;
    void *scr;
} att_u;

static void att_fwd(fd_case *c, int f) {
    att_u *u = c->u;
    FD_RUN(nn_attention_forward, (FY, FD_P(u->lsef, u->lse), u->scr, FA(0), u->B, u->T, u->C,
                                  u->NH, u->causal, 2));
}
static void att_bwd(fd_case *c, int f) {
    att_u *u = c->u;
    FD_RUN(nn_attention_backward, (FG(0), u->scr, FR, FA(0), FD_P(u->lsef, u->lse), u->B, u->T,
                                   u->C, u->NH, u->causal, 2));
}
FD_WRAP(att_fwd)
FD_WRAP(att_bwd)

/* Direct attention: out[b,i,h·hd+e] = Σ_j softmax_j(q_i·k_j/√hd) v_j[e]. */
static void att_ref(double *out, const double *qkv, size_t B, size_t T, size_t C, size_t NH,
                    int causal) {
    size_t hd = C / NH;
    double *s = fd_alloc(T, sizeof(double));
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++)
            for (size_t i = 0; i < T; i++) {
                const double *q = qkv + (b * T + i) * 3 * C + h * hd;
                size_t nj = causal ? i + 1 : T;
                double m = -INFINITY, z = 0;
                for (size_t j = 0; j < nj; j++) {
                    const double *k = qkv + (b * T + j) * 3 * C + C + h * hd;
                    double d = 0;
                    for (size_t e = 0; e < hd; e++) d += q[e] * k[e];
                    s[j] = d / sqrt((double)hd);
                    m = fmax(m, s[j]);
                }
                for (size_t j = 0; j < nj; j++) z += exp(s[j] - m);
                for (size_t e = 0; e < hd; e++) {
                    double o = 0;
                    for (size_t j = 0; j < nj; j++)
                        o += exp(s[j] - m) / z * qkv[(b * T + j) * 3 * C + 2 * C + h * hd + e];
                    out[(b * T + i) * C + h * hd + e] = o;
                }
            }
    free(s);
}

static void att_case(const char *name, size_t B, size_t T, size_t C, size_t NH, int causal,
                     double qscale) {
    att_u u = {B, T, C, NH, causal, NULL, NULL, NULL};
    u.lse = fd_alloc(B * NH * T, sizeof(double));
    u.lsef = fd_alloc(B * NH * T, sizeof(float));
    u.scr = fd_alloc(nn_attention_scratch_size_d(T, 2), 1);
    fd_case c;
    fd_init(&c, name, B * T * C);
    int k = fd_add(&c, "qkv", B * T * 3 * C, 1, 0);
    for (size_t i = 0; i < B * T * 3 * C; i++) c.a[k][i] *= qscale;
    c.u = &u;
    c.n_acc = 2 * T + C / NH;
    FD_SETUP(&c, att_fwd, att_bwd);
    double *ref = fd_alloc(B * T * C, sizeof(double));
    att_ref(ref, c.a[k], B, T, C, NH, causal);
    c.fwd_d(&c);
    double e = 0;
    int finite = 1;
    for (size_t i = 0; i < B * T * C; i++) {
        e = fmax(e, fabs(ref[i] - c.y[i]));
        finite &= isfinite(c.y[i]);
    }
    CHECK(finite && e < 1e-12, "%s forward err %g", name, e);
    if (qscale == 1) fd_check(&c);
    free(ref);
    fd_free(&c);
    free(u.lse);
    free(u.lsef);
    free(u.scr);
}

/* Bitwise equal results with 1 and 2 OpenMP threads (heads in parallel) and whatever
 * OpenBLAS thread count the caller set. */
static void test_threads(int causal) {
    size_t B = 2, T = 150, C = 32, NH = 4, nq = B * T * 3 * C, no = B * T * C;
    float *qkv = fd_alloc(nq, 4), *dout = fd_alloc(no, 4);
    float *scr = fd_alloc(nn_attention_scratch_size(T, 2), 1);
    float *o[FD_NCFG], *l[FD_NCFG], *g[FD_NCFG];
    for (size_t i = 0; i < nq; i++) qkv[i] = (float)fd_sym(1);
    for (size_t i = 0; i < no; i++) dout[i] = (float)fd_sym(1);
    int omp0 = omp_get_max_threads();
    for (int k = 0; k < FD_NCFG; k++) {
        fd_thread_cfg(k);
        o[k] = fd_alloc(no, 4);
        l[k] = fd_alloc(B * NH * T, 4);
        g[k] = fd_alloc(nq, 4);
        nn_attention_forward(o[k], l[k], scr, qkv, B, T, C, NH, causal, 2);
        nn_attention_backward(g[k], scr, dout, qkv, l[k], B, T, C, NH, causal, 2);
    }
    fd_thread_done(omp0);
    fd_same_bits(o, no, "attention out");
    fd_same_bits(g, nq, "attention dqkv");
    for (int k = 0; k < FD_NCFG; k++) free(l[k]);
    free(qkv), free(dout), free(scr);
}

int main(void) {
    att_case("attention causal B2 T9 C8 H2", 2, 9, 8, 2, 1, 1);
    att_case("attention full B2 T7 C6 H3", 2, 7, 6, 3, 0, 1);
    /* T > 64: several query blocks of the causal kernel */
    att_case("attention causal B1 T70 C4 H2", 1, 70, 4, 2, 1, 1);
    att_case("attention full B1 T66 C4 H1", 1, 66, 4, 1, 0, 1);
    /* scores of order ±1e3: the max-shifted softmax must not overflow */
    att_case("attention large scores", 1, 20, 8, 2, 1, 40);
    test_threads(1);
    test_threads(0);
    printf("largest finite-difference relative error: %.2e\n", fd_worst_);
    return harness_done("test_nn_attention");
}
