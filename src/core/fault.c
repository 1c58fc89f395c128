/* Fault injection for the hardening tests (docs/hardening.md): corrupts a
 * fraction of target evaluations and of file writes, chosen by a hash of
 * (seed, stream, counters), so a run under faults is reproducible.
 *
 * Off unless the environment variable SMILE_FAULT is set (read once) or a
 * test calls smile_fault_configure. The only cost when off is the load and
 * branch of smile_fault_get() once per sampler step and per file write. */
#include "core/core.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

_Atomic int smile_fault_state_; /* 0: not read yet, 1: off, 2: on */
static smile_fault_config g_cfg;
static char g_error[200];
static _Atomic unsigned long long g_writes;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static const char *const grad_names[] = {"nan", "inf", "-inf", "huge"};
static const char *const write_names[] = {"short", "enospc"};

/* "RATE:K1,K2,..." into *rate and a bit set of the names' indices. */
static int parse_part(const char *s, size_t n, const char *const *names, int n_names,
                      double *rate, unsigned *kinds, char *msg, size_t msg_len) {
    char buf[200];
    SMILE_CHECK(n >= sizeof buf, -1, msg, msg_len, "part too long");
    memcpy(buf, s, n);
    buf[n] = 0;
    char *colon = strchr(buf, ':'), *e;
    if (colon) *colon = 0;
    errno = 0;
    double r = strtod(buf, &e);
    SMILE_CHECK(e == buf || *e || errno || !(r >= 0 && r <= 1), -1, msg, msg_len,
                "rate '%s' is not a number in [0, 1]", buf);
    unsigned k = 0;
    for (char *p = colon ? colon + 1 : NULL; p && *p;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        int i = smile_name_index(p, names, n_names);
        SMILE_CHECK(i < 0, -1, msg, msg_len, "unknown fault kind '%s'", p);
        k |= 1u << i;
        p = comma ? comma + 1 : NULL;
    }
    *rate = r;
    *kinds = k ? k : (1u << n_names) - 1; /* no list: every kind */
    return 0;
}

int smile_fault_parse(const char *spec, smile_fault_config *out, char *msg, size_t msg_len) {
    smile_fault_config c = {0};
    for (const char *p = spec; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0) {
            const char *eq = memchr(p, '=', n);
            SMILE_CHECK(!eq, -1, msg, msg_len, "'%.*s' is not grad=..., write=... or seed=...",
                        (int)n, p);
            size_t kn = (size_t)(eq - p), vn = n - kn - 1;
            if (kn == 4 && !strncmp(p, "grad", 4)) {
                if (parse_part(eq + 1, vn, grad_names, 4, &c.grad_rate, &c.grad_kinds, msg,
                               msg_len))
                    return -1;
            } else if (kn == 5 && !strncmp(p, "write", 5)) {
                if (parse_part(eq + 1, vn, write_names, 2, &c.write_rate, &c.write_kinds, msg,
                               msg_len))
                    return -1;
            } else if (kn == 4 && !strncmp(p, "seed", 4)) {
                char *e;
                errno = 0;
                unsigned long long v = strtoull(eq + 1, &e, 10);
                SMILE_CHECK(vn == 0 || e != eq + 1 + vn || errno || eq[1] == '-', -1, msg,
                            msg_len, "seed '%.*s' is not a non-negative integer", (int)vn, eq + 1);
                c.seed = v;
            } else {
                smile_set_msg(msg, msg_len, "unknown part '%.*s' (grad, write, seed)", (int)kn, p);
                return -1;
            }
        }
        p = end ? end + 1 : NULL;
    }
    *out = c;
    return 0;
}

void smile_fault_configure(const smile_fault_config *c) {
    if (c) g_cfg = *c;
    else memset(&g_cfg, 0, sizeof g_cfg);
    g_writes = 0;
    smile_fault_state_ = c && (c->grad_rate > 0 || c->write_rate > 0) ? 2 : 1;
}

static void read_env(void) {
    const char *s = getenv("SMILE_FAULT");
    smile_fault_config c;
    if (s && *s && smile_fault_parse(s, &c, g_error, sizeof g_error) == 0) {
        smile_fault_configure(&c);
    } else {
        if (smile_fault_state_ == 0) smile_fault_state_ = 1;
    }
}

void smile_fault_init_(void) {
    pthread_once(&g_once, read_env);
}

const smile_fault_config *smile_fault_config_of_(void) {
    return &g_cfg;
}

const char *smile_fault_error(void) {
    smile_fault_init_();
    return g_error[0] ? g_error : NULL;
}

/* splitmix64 finaliser */
static uint64_t mix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    return mix(mix(mix(mix(a) ^ b) ^ c) ^ d);
}

static double unit(uint64_t h) {
    return (double)(h >> 11) * 0x1.0p-53;
}

/* The k-th set bit of kinds picked by h. */
static int pick(unsigned kinds, uint64_t h) {
    int n = __builtin_popcount(kinds), k = (int)(h % (uint64_t)n);
    for (int i = 0; i < 32; i++)
        if ((kinds >> i & 1u) && k-- == 0) return i;
    return 0;
}

int smile_fault_eval(const smile_fault_config *c, uint64_t chain, uint64_t step, uint64_t k,
                     size_t d, double *logp, float *grad) {
    const uint64_t h = hash4(c->seed, chain, step, k);
    if (!(unit(h) < c->grad_rate)) return 0;
    const uint64_t h2 = mix(h);
    const int kind = pick(c->grad_kinds, h2);
    const double v = kind == 0 ? NAN : kind == 1 ? INFINITY : kind == 2 ? -INFINITY
                                                                        : (h2 >> 40 & 1 ? 1e30 : -1e30);
    if (logp) *logp = kind == 3 ? -1e30 : v;
    if (grad && d) grad[mix(h2) % d] = (float)v;
    return kind + 1;
}

int smile_fault_write(size_t len, size_t *n_first) {
    const smile_fault_config *c = &g_cfg;
    const uint64_t h = hash4(c->seed, 0x77726974, ++g_writes, 0);
    *n_first = 0;
    if (!(unit(h) < c->write_rate)) return 0;
    if (pick(c->write_kinds, mix(h)) == 0) *n_first = len / 2; /* short write */
    return ENOSPC;
}
