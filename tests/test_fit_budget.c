/* The regression-table default's budget of sampling work (config.c,
 * fit_apply_budget; docs/peer_bde.md, section 3.11): K·(W + S)·rows·params
 * above the budget cuts W and S by one factor, with floors; small tables keep
 * the full run; the budget is applied once and only where it was set; an
 * opened fit applies it with the rows the sampler reads and says so. */
#include "harness.h"
#include "fit/fit_internal.h"

#include <unistd.h>

static double work(const smile_fit_config *c, size_t rows, size_t params) {
    return (double)c->members * (double)(c->warmup + c->samples) * (double)rows * (double)params;
}

static void check_rule(void) {
    smile_fit_config c = smile_fit_config_default(SMILE_DATA_TABLE);
    CHECK(c.sample_budget == 7.5e11, "table budget %g", c.sample_budget);
    CHECK(c.members == 25 && c.warmup == 25000 && c.samples == 10000, "table row");
    const smile_data_task others[] = {SMILE_DATA_UCI, SMILE_DATA_FMNIST, SMILE_DATA_CIFAR10,
                                      SMILE_DATA_IMAGENETTE, SMILE_DATA_TEXT};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        CHECK(smile_fit_config_default(others[i]).sample_budget == 0, "task %zu has no budget", i);

    /* an airfoil-sized split (1202 rows, 5 inputs: 674 parameters) keeps its run */
    CHECK(fit_apply_budget(&c, 1202, 674) == 0, "small table cut");
    CHECK(c.warmup == 25000 && c.samples == 10000 && c.sample_budget == 0, "small table");
    /* applied once: a second call is a no-op whatever the rows */
    CHECK(fit_apply_budget(&c, 1000000, 674) == 0 && c.warmup == 25000, "budget reapplied");

    /* 3200 rows × 738 parameters: W and S by the same factor q, work within the budget */
    c = smile_fit_config_default(SMILE_DATA_TABLE);
    const double q = 7.5e11 / work(&c, 3200, 738);
    CHECK(fit_apply_budget(&c, 3200, 738) == 1, "mid table not cut");
    CHECK(c.warmup == llround(25000 * q) && c.samples == llround(10000 * q),
          "W %lld S %lld, q %g", (long long)c.warmup, (long long)c.samples, q);
    CHECK(c.warmup == 9074 && c.samples == 3630, "W %lld S %lld", (long long)c.warmup,
          (long long)c.samples);
    CHECK_CLOSE(work(&c, 3200, 738), 7.5e11, 1e-4, 0);
    CHECK(c.members == 25 && c.thin == 10 && c.sample_budget == 0, "K, thin kept; budget spent");

    /* over rows from small to huge: the work never exceeds the budget unless a
     * floor holds, and the run never grows */
    for (size_t rows = 100; rows <= 10000000; rows = rows * 3 / 2) {
        smile_fit_config d = smile_fit_config_default(SMILE_DATA_TABLE);
        fit_apply_budget(&d, rows, 818);
        const int floored = d.warmup == 2000 || d.samples == 1000;
        CHECK(floored || work(&d, rows, 818) <= 7.5e11 * (1 + 1e-4), "rows %zu: work %g", rows,
              work(&d, rows, 818));
        CHECK(d.warmup <= 25000 && d.samples <= 10000 && d.warmup >= 2000 && d.samples >= 1000,
              "rows %zu: W %lld S %lld", rows, (long long)d.warmup, (long long)d.samples);
    }
    /* the floors: a huge table still tunes for 2000 steps and samples 1000 */
    c = smile_fit_config_default(SMILE_DATA_TABLE);
    CHECK(fit_apply_budget(&c, 50000000, 818) == 1 && c.warmup == 2000 && c.samples == 1000,
          "floors: W %lld S %lld", (long long)c.warmup, (long long)c.samples);
    /* a run already below a floor is not lengthened */
    c = smile_fit_config_default(SMILE_DATA_TABLE);
    c.warmup = 500, c.samples = 300;
    CHECK(fit_apply_budget(&c, 50000000, 818) == 0 && c.warmup == 500 && c.samples == 300,
          "short run lengthened: W %lld S %lld", (long long)c.warmup, (long long)c.samples);
    /* a budget that is not a finite number >= 0 is refused by the validation */
    char msg[256] = "";
    const double bad[] = {-1.0, NAN, INFINITY};
    for (int i = 0; i < 3; i++) {
        c = smile_fit_config_default(SMILE_DATA_TABLE);
        c.sample_budget = bad[i];
        snprintf(c.data, sizeof c.data, "x.csv");
        snprintf(c.out, sizeof c.out, "run");
        CHECK(smile_fit_config_validate(&c, msg, sizeof msg) == SMILE_EINVAL &&
                  strstr(msg, "sample_budget"),
              "budget %g accepted: %s", bad[i], msg);
    }
    c = smile_fit_config_default(SMILE_DATA_TABLE);
    snprintf(c.data, sizeof c.data, "x.csv");
    snprintf(c.out, sizeof c.out, "run");
    CHECK(smile_fit_config_validate(&c, msg, sizeof msg) == SMILE_OK, "default refused: %s", msg);
    /* no budget: nothing changes */
    c = smile_fit_config_default(SMILE_DATA_TABLE);
    c.sample_budget = 0;
    CHECK(fit_apply_budget(&c, 50000000, 818) == 0 && c.warmup == 25000, "budget 0 cut");
}

/* smile_fit_open on a table of 1500 rows × 40 inputs (1,234 parameters; the
 * sampler reads the 1200 training and validation rows): the budget cuts the
 * run, says so in a note, and leaves 0 behind; a config.json round trip
 * (what --resume reads) keeps the cut run and no budget. */
static void check_open(void) {
    char dir[] = "/tmp/smile_budget_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    char data[600], out[600];
    snprintf(data, sizeof data, "%s/wide.csv", dir);
    snprintf(out, sizeof out, "%s/run", dir);
    FILE *fp = fopen(data, "w");
    smile_rng r;
    smile_rng_init(&r, 7, 0, SMILE_RNG_USER);
    for (int j = 0; j < 40; j++) fprintf(fp, "x%d,", j);
    fprintf(fp, "y\n");
    for (int i = 0; i < 1500; i++) {
        double y = 0;
        for (int j = 0; j < 40; j++) {
            const double x = smile_rng_normal(&r);
            y += j < 3 ? x : 0;
            fprintf(fp, "%.5f,", x);
        }
        fprintf(fp, "%.5f\n", y + 0.1 * smile_rng_normal(&r));
    }
    fclose(fp);
    smile_fit_config c = smile_fit_config_default(SMILE_DATA_TABLE);
    snprintf(c.data, sizeof c.data, "%s", data);
    snprintf(c.out, sizeof c.out, "%s", out);
    smile_fit_runtime rt = {.threads = 1};
    smile_fit *f = NULL;
    char msg[512] = "";
    smile_status st = smile_fit_open(&f, &c, &rt, msg, sizeof msg);
    CHECK(st == SMILE_OK, "open: %s", msg);
    if (st == SMILE_OK) {
        CHECK(f->n_post == 1200 && f->d == 1234, "rows %zu params %zu", f->n_post, f->d);
        const double q = 7.5e11 / (25.0 * 35000 * 1200 * 1234);
        CHECK(f->cfg.warmup == llround(25000 * q) && f->cfg.samples == llround(10000 * q),
              "W %lld S %lld", (long long)f->cfg.warmup, (long long)f->cfg.samples);
        CHECK(f->cfg.sample_budget == 0, "budget left %g", f->cfg.sample_budget);
        const char *notes = smile_fit_notes(f);
        CHECK(notes && strstr(notes, "1200 rows, 1234 parameters") &&
                  strstr(notes, "instead of 25000 and 10000"),
              "note: %s", notes ? notes : "(none)");
        cJSON *j = NULL;
        smile_fit_config back;
        CHECK(smile_fit_config_to_json(&f->cfg, &j) == SMILE_OK &&
                  smile_fit_config_from_json(j, &back, msg, sizeof msg) == SMILE_OK,
              "round trip: %s", msg);
        CHECK(back.warmup == f->cfg.warmup && back.samples == f->cfg.samples &&
                  back.sample_budget == 0,
              "config.json: W %lld S %lld budget %g", (long long)back.warmup,
              (long long)back.samples, back.sample_budget);
        cJSON_Delete(j);
    }
    smile_fit_free(f);
    /* explicit W and S: the user's run (the CLI clears the budget for --warmup/--samples) */
    c.sample_budget = 0;
    f = NULL;
    st = smile_fit_open(&f, &c, &rt, msg, sizeof msg);
    CHECK(st == SMILE_OK && f->cfg.warmup == 25000 && f->cfg.samples == 10000,
          "budget 0: W %lld", f ? (long long)f->cfg.warmup : -1LL);
    smile_fit_free(f);
    unlink(data);
    rmdir(dir);
}

int main(void) {
    check_rule();
    check_open();
    return harness_done("test_fit_budget");
}
