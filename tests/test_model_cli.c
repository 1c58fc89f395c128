/*
 * test_model_cli.c — `smile bench-model` end to end (binary from $SMILE_BIN, default
 * build/smile): bad input exits 2 with a one-line message; good runs print every JSON
 * key the issue asks for (grad_evals_per_s, ms_per_grad, gflops, peak_rss_mb) with sane
 * values; --sgemm reports a rate; the reported FLOP count equals the formula of
 * docs/flops.md evaluated here by hand for the UCI FCN.
 */
#include "harness.h"

#include <sys/wait.h>

static const char *bin(void) {
    const char *b = getenv("SMILE_BIN");
    return (b && *b) ? b : "build/smile";
}

/* Runs `smile bench-model ARGS`, captures stdout (and stderr into err); returns the exit
 * status. */
static int run(const char *args, char *out, size_t outlen, char *err, size_t errlen) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s bench-model %s 2>/tmp/smile_test_model_cli.err", bin(), args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = 0;
    int st = pclose(p);
    FILE *e = fopen("/tmp/smile_test_model_cli.err", "r");
    err[0] = 0;
    if (e) {
        size_t k = fread(err, 1, errlen - 1, e);
        err[k] = 0;
        fclose(e);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double key(const char *json, const char *k) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", k);
    const char *p = strstr(json, pat);
    return p ? atof(p + strlen(pat)) : NAN;
}

static int lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

int main(void) {
    FILE *f = fopen(bin(), "r");
    if (!f) {
        printf("test_model_cli: %s not built, skipped\n", bin());
        return harness_done("test_model_cli");
    }
    fclose(f);
    char out[4096], err[4096];
    const char *bad[] = {"--model nosuch", "--model fcn --batch 0", "--model fcn --batch -3",
                         "--model fcn --hidden 16,,4", "--model fcn --hidden 8,x",
                         "--model fcn --hidden 0", "--model gpt --hidden 4", "--batch 4",
                         "--model fcn --threads 0", "--model fcn --what", "--model"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = run(bad[i], out, sizeof out, err, sizeof err);
        CHECK(rc == 2, "'%s': exit %d", bad[i], rc);
        CHECK(lines(err) == 1 && strstr(err, "bench-model"), "'%s': message '%s'", bad[i], err);
    }
    int rc = run("--help", out, sizeof out, err, sizeof err);
    CHECK(rc == 0 && strstr(out, "--model") && strstr(out, "--batch") && strstr(out, "--threads") &&
              strstr(out, "--seconds") && strstr(out, "--json") && strstr(out, "--hidden") &&
              strstr(out, "--inputs") && strstr(out, "--sgemm"),
          "--help documents the options");

    /* UCI FCN 11-16-16-16-1 + log σ at B = 256: d = 16·11 + 578 = 754; FLOPs per gradient
     * = 3·forward − first-layer input gradient, forward = 2·B·(11·16 + 16·16 + 16·16 + 16)
     * (docs/flops.md) */
    rc = run("--model fcn --batch 256 --threads 1 --seconds 0.2 --json", out, sizeof out, err,
             sizeof err);
    CHECK(rc == 0, "fcn run: %s", err);
    double fwd = 2.0 * 256 * (11 * 16 + 16 * 16 + 16 * 16 + 16);
    CHECK(key(out, "params") == 754, "params %g", key(out, "params"));
    CHECK(key(out, "flops_per_grad") == 3 * fwd - 2.0 * 256 * 11 * 16, "flops %g",
          key(out, "flops_per_grad"));
    double r = key(out, "grad_evals_per_s"), ms = key(out, "ms_per_grad");
    /* ms_per_grad = 1000 / grad_evals_per_s up to the 6 printed digits */
    CHECK(r > 0 && fabs(ms * r / 1e3 - 1) < 1e-5, "rate %g, ms %g", r, ms);
    CHECK(key(out, "gflops") > 0 && key(out, "peak_rss_mb") > 0, "gflops / peak_rss_mb");
    CHECK(isfinite(key(out, "logp")), "logp");
    rc = run("--model fcn --hidden 8,4 --inputs 3 --batch 10 --seconds 0.1 --json", out,
             sizeof out, err, sizeof err);
    CHECK(rc == 0 && key(out, "params") == 3 * 8 + 8 + 8 * 4 + 4 + 4 + 1 + 1, "custom fcn: %s", err);
    rc = run("--model lenet --batch 4 --seconds 0.05 --json", out, sizeof out, err, sizeof err);
    CHECK(rc == 0 && key(out, "params") == 61706, "lenet: %s", err);
    rc = run("--model gpt --batch 1 --seconds 0.01 --threads 1", out, sizeof out, err, sizeof err);
    CHECK(rc == 0 && strstr(out, "gradient evaluations/s"), "gpt text output: %s", err);
    rc = run("--sgemm --size 128 --seconds 0.05 --threads 1 --json", out, sizeof out, err, sizeof err);
    CHECK(rc == 0 && key(out, "sgemm_gflops") > 0, "sgemm: %s", out);
    return harness_done("test_model_cli");
}
