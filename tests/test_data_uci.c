/* UCI loader (docs/experiments.md, section 2.1): the real files from the shared data
 * folder (split sizes of the spec table, standardisation against an
 * independent computation in the test, permutation), malformed inputs
 * (status + message naming file and line), mini-batch gathering and the
 * `--data PATH` dispatcher. */
#define _XOPEN_SOURCE 700
#include "harness.h"
#include "smile.h"
#include "data/data.h"

#include <ftw.h>
#include <stdint.h>
#include <unistd.h>

static char tmpdir[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static const char *write_tmp(const char *name, const char *content) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return path;
    fputs(content, f);
    fclose(f);
    return path;
}

/* Independent reference: parse with fscanf, two-pass mean / population std. */
typedef struct {
    size_t n, cols;
    double *v;
} table;

static int read_table(const char *path, size_t cols, table *t) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t cap = 1 << 16;
    t->v = malloc(cap * sizeof *t->v);
    t->n = 0;
    t->cols = cols;
    double d;
    size_t k = 0;
    while (fscanf(f, "%lf", &d) == 1) {
        if (k == cap) t->v = realloc(t->v, (cap *= 2) * sizeof *t->v);
        t->v[k++] = d;
    }
    fclose(f);
    t->n = k / cols;
    return k % cols == 0 ? 0 : -1;
}

typedef struct {
    const char *rel;
    size_t n, cols, ntr, nva, nte;
    double first_target; /* target of the file's first row */
} uci_case;

static void check_real(const char *dir, const uci_case *c) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, c->rel);
    char msg[512] = "";
    smile_dataset ds;
    int st = smile_dataset_load_uci(&ds, path, 1, msg, sizeof msg);
    CHECK(st == SMILE_OK, "%s: %s", path, msg);
    if (st != SMILE_OK) return;
    size_t p = c->cols - 1;
    CHECK(ds.n == c->n && ds.feature_dim == p, "%s: n %zu dim %zu", c->rel, ds.n, ds.feature_dim);
    CHECK(smile_dataset_split_size(&ds, SMILE_SPLIT_TRAIN) == c->ntr &&
              smile_dataset_split_size(&ds, SMILE_SPLIT_VALID) == c->nva &&
              smile_dataset_split_size(&ds, SMILE_SPLIT_TEST) == c->nte,
          "%s: split %zu/%zu/%zu, spec %zu/%zu/%zu", c->rel,
          smile_dataset_split_size(&ds, 0), smile_dataset_split_size(&ds, 1),
          smile_dataset_split_size(&ds, 2), c->ntr, c->nva, c->nte);
    CHECK(ds.split_begin[0] == 0 && ds.split_end[0] == ds.split_begin[1] &&
              ds.split_end[1] == ds.split_begin[2] && ds.split_end[2] == ds.n,
          "%s: split ranges not contiguous", c->rel);

    /* orig_index is a permutation */
    unsigned char *seen = calloc(ds.n, 1);
    int perm_ok = 1;
    for (size_t r = 0; r < ds.n; r++) {
        if (ds.orig_index[r] >= ds.n || seen[ds.orig_index[r]]) perm_ok = 0;
        else seen[ds.orig_index[r]] = 1;
    }
    free(seen);
    CHECK(perm_ok, "%s: orig_index is not a permutation", c->rel);
    size_t fixed = 0;
    for (size_t r = 0; r < ds.n; r++) fixed += ds.orig_index[r] == r;
    CHECK(fixed < 20, "%s: %zu fixed points: rows look unshuffled", c->rel, fixed);

    /* standardisation against the test's own computation */
    table t = {0, 0, NULL};
    int tst = read_table(path, c->cols, &t);
    CHECK(tst == 0 && t.n == c->n, "%s: reference parse", c->rel);
    if (tst != 0 || t.n != c->n) {
        free(t.v);
        smile_dataset_free(&ds);
        return;
    }
    double *mean = calloc(c->cols, sizeof *mean), *sd = calloc(c->cols, sizeof *sd);
    for (size_t j = 0; j < c->cols; j++) {
        double s = 0, v = 0;
        for (size_t i = 0; i < t.n; i++) s += t.v[i * c->cols + j];
        mean[j] = s / (double)t.n;
        for (size_t i = 0; i < t.n; i++) {
            double d = t.v[i * c->cols + j] - mean[j];
            v += d * d;
        }
        sd[j] = sqrt(v / (double)t.n);
        if (sd[j] == 0) sd[j] = 1;
    }
    /* same formula, same summation order: agreement to a few ulps */
    CHECK_CLOSE(ds.y_mean, mean[p], 1e-14, 0);
    CHECK_CLOSE(ds.y_std, sd[p], 1e-14, 0);
    for (size_t j = 0; j < p; j++) {
        CHECK_CLOSE(ds.x_mean[j], mean[j], 1e-14, 1e-300);
        CHECK_CLOSE(ds.x_std[j], sd[j], 1e-14, 0);
    }
    /* every value: float of (v − m)/s; the two sides round the same double
     * up to last-bit differences of m and s, so at most 1 float ulp apart */
    size_t bad = 0;
    for (size_t r = 0; r < ds.n; r++) {
        const double *row = t.v + (size_t)ds.orig_index[r] * c->cols;
        for (size_t j = 0; j <= p; j++) {
            double ref = (row[j] - mean[j]) / sd[j];
            double got = j < p ? ds.x[r * p + j] : ds.y[r];
            if (fabs(got - ref) > 0x1p-23 * fabs(ref) + 1e-12) bad++;
        }
    }
    CHECK(bad == 0, "%s: %zu values differ from the reference standardisation", c->rel, bad);

    /* target back in original units: the file's first row */
    size_t r0 = 0;
    while (ds.orig_index[r0] != 0) r0++;
    CHECK_CLOSE(ds.y[r0] * ds.y_std + ds.y_mean, c->first_target, 1e-6, 1e-6);

    /* standardised columns: mean 0, population std 1 (float storage: each
     * value carries relative error ≤ 2^-24, so 1e-6 is ample) */
    for (size_t j = 0; j <= p; j++) {
        double s = 0, s2 = 0;
        for (size_t r = 0; r < ds.n; r++) {
            double v = j < p ? ds.x[r * p + j] : ds.y[r];
            s += v;
            s2 += v * v;
        }
        double m = s / (double)ds.n, var = s2 / (double)ds.n - m * m;
        int constant = sd[j] == 1 && mean[j] == t.v[j];
        CHECK(fabs(m) < 1e-6 && (constant || fabs(var - 1) < 1e-5), "%s col %zu: mean %g var %g",
              c->rel, j, m, var);
    }
    free(mean);
    free(sd);
    free(t.v);

    /* the seed determines the permutation */
    smile_dataset d2, d3;
    CHECK(smile_dataset_load_uci(&d2, path, 1, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(smile_dataset_load_uci(&d3, path, 2, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(!memcmp(d2.orig_index, ds.orig_index, ds.n * sizeof *ds.orig_index) &&
              !memcmp(d2.x, ds.x, ds.n * p * sizeof(float)),
          "%s: same seed, different data set", c->rel);
    CHECK(memcmp(d3.orig_index, ds.orig_index, ds.n * sizeof *ds.orig_index) != 0,
          "%s: seeds 1 and 2 give the same permutation", c->rel);
    smile_dataset_free(&d2);
    smile_dataset_free(&d3);
    smile_dataset_free(&ds);
}

static void expect_fail(const char *name, const char *content, int want, const char *needle1,
                        const char *needle2) {
    const char *path = write_tmp(name, content);
    char msg[512] = "";
    smile_dataset ds;
    int st = smile_dataset_load_uci(&ds, path, 1, msg, sizeof msg);
    CHECK(st == want, "%s: status %d (%s), want %d; msg: %s", name, st, smile_status_str(st),
          want, msg);
    if (getenv("SMILE_TEST_VERBOSE")) printf("  %s -> %s\n", name, msg);
    CHECK(strstr(msg, name) != NULL, "%s: message does not name the file: %s", name, msg);
    CHECK(!needle1 || strstr(msg, needle1), "%s: message lacks '%s': %s", name, needle1, msg);
    CHECK(!needle2 || strstr(msg, needle2), "%s: message lacks '%s': %s", name, needle2, msg);
    if (st == SMILE_OK) smile_dataset_free(&ds);
}

/* 20 rows: 14 / 1 / 5 (0.8·20 = 15.999… → 15) */
static char *good_rows(size_t n) {
    static char buf[8192];
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%zu %g 7 %g\n", i, 0.5 * (double)i,
                                3.0 * (double)i + 1);
    return buf;
}

static void malformed(void) {
    char msg[512] = "";
    smile_dataset ds;
    /* missing file */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope.data", tmpdir);
    int st = smile_dataset_load_uci(&ds, missing, 1, msg, sizeof msg);
    CHECK(st == SMILE_EIO && strstr(msg, "nope.data"), "missing: %d %s", st, msg);

    expect_fail("empty.data", "", SMILE_EFORMAT, "empty", NULL);
    expect_fail("blank.data", "  \n\n \t\n", SMILE_EFORMAT, "empty", NULL);
    expect_fail("nan.data", "1 2 3\n4 5 6\n7 nan 9\n", SMILE_EFORMAT, "nan.data:3:", "non-finite");
    expect_fail("nan2.data", "1 2 3\n4 5 NaN\n", SMILE_EFORMAT, "nan2.data:2:", "non-finite");
    expect_fail("inf.data", "1 2 3\n-inf 5 6\n", SMILE_EFORMAT, "inf.data:2:", "non-finite");
    expect_fail("huge.data", "1 2 3\n1e999 5 6\n", SMILE_EFORMAT, "huge.data:2:", "range");
    expect_fail("short.data", "1 2 3\n4 5 6\n7 8 9\n1 2\n", SMILE_EFORMAT, "short.data:4:",
                "short row");
    expect_fail("long.data", "1 2 3\n4 5 6 7\n", SMILE_EFORMAT, "long.data:2:", "long row");
    expect_fail("word.data", "1 2 3\n4 abc 6\n", SMILE_EFORMAT, "word.data:2:", "non-numeric");
    expect_fail("dots.data", "1 2 3\n4 5 6\n1.2.3 5 6\n", SMILE_EFORMAT, "dots.data:3:",
                "non-numeric");
    expect_fail("hex.data", "1 2 0x10\n", SMILE_EFORMAT, "hex.data:1:", "non-numeric");
    expect_fail("comma.data", "1,5 2 3\n", SMILE_EFORMAT, "comma.data:1:", "non-numeric");
    expect_fail("header.data", "a b y\n1 2 3\n", SMILE_EFORMAT, "header.data:1:", "non-numeric");
    expect_fail("onecol.data", "1\n2\n3\n", SMILE_EFORMAT, "onecol.data:1:", NULL);
    expect_fail("gap.data", "1 2 3\n\n4 5 6\n", SMILE_EFORMAT, "gap.data:2:", "empty line");
    expect_fail("few.data", good_rows(10), SMILE_EFORMAT, "too few", NULL);

    /* tolerated: tabs, runs of blanks, CRLF, trailing blank lines */
    {
        char buf[8192];
        size_t pos = 0;
        for (int i = 0; i < 20; i++)
            pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%d\t %g  7 %d\r\n", i, 0.5 * i,
                                    3 * i + 1);
        snprintf(buf + pos, sizeof buf - pos, "\n\n");
        const char *path = write_tmp("ok.data", buf);
        st = smile_dataset_load_uci(&ds, path, 3, msg, sizeof msg);
        CHECK(st == SMILE_OK, "ok.data: %s", msg);
        if (st == SMILE_OK) {
            CHECK(ds.n == 20 && ds.feature_dim == 3, "ok.data: n %zu dim %zu", ds.n,
                  ds.feature_dim);
            CHECK(smile_dataset_split_size(&ds, 0) == 14 && smile_dataset_split_size(&ds, 1) == 1 &&
                      smile_dataset_split_size(&ds, 2) == 5,
                  "ok.data split");
            /* constant column 2 (all 7): only centred → exactly 0, std 1 */
            int zero = 1;
            for (size_t r = 0; r < ds.n; r++) zero &= ds.x[r * 3 + 2] == 0.0f;
            CHECK(zero && ds.x_mean[2] == 7.0 && ds.x_std[2] == 1.0, "constant column");
            /* target = 3·i + 1: mean 29.5, population std 3·sqrt((20²−1)/12) */
            CHECK_CLOSE(ds.y_mean, 29.5, 1e-15, 0);
            CHECK_CLOSE(ds.y_std, 3.0 * sqrt(399.0 / 12.0), 1e-14, 0);

            /* gathering */
            uint32_t idx[3] = {0, 5, 13};
            smile_batch b = {idx, 3, 1.0, 0, 0};
            float x[9], y[3];
            CHECK(smile_dataset_gather(&ds, &b, x, y, NULL) == SMILE_OK, "gather");
            int same = 1;
            for (int i = 0; i < 3; i++) {
                same &= !memcmp(x + 3 * i, ds.x + 3 * idx[i], 3 * sizeof(float));
                same &= y[i] == ds.y[idx[i]];
            }
            CHECK(same, "gathered rows differ");
            int32_t lab[3];
            CHECK(smile_dataset_gather(&ds, &b, x, y, lab) == SMILE_EINVAL,
                  "labels requested from a regression set");
            uint32_t badidx[1] = {14}; /* train has 14 rows */
            smile_batch bb = {badidx, 1, 1.0, 0, 0};
            CHECK(smile_dataset_gather(&ds, &bb, x, y, NULL) == SMILE_EINVAL, "index past train");
            smile_batch full = {NULL, 14, 1.0, 0, 0};
            float xf[14 * 3], yf[14];
            CHECK(smile_dataset_gather(&ds, &full, xf, yf, NULL) == SMILE_OK &&
                      !memcmp(xf, ds.x, sizeof xf) && !memcmp(yf, ds.y, sizeof yf),
                  "full-batch gather");
            uint32_t tidx[2] = {4, 0};
            CHECK(smile_dataset_gather_rows(&ds, SMILE_SPLIT_TEST, tidx, 2, x, y, NULL) == SMILE_OK &&
                      y[0] == ds.y[ds.split_begin[2] + 4] && y[1] == ds.y[ds.split_begin[2]],
                  "gather from the test split");
            char d[1024];
            smile_dataset_describe(&ds, d, sizeof d);
            CHECK(strstr(d, "train 14 / valid 1 / test 5") != NULL, "describe: %s", d);
            smile_dataset_free(&ds);
        }
    }
}

static void split_rule(void) {
    /* the split fractions of every task (docs/experiments.md, section 2) */
    static const size_t t[][4] = {{1503, 1052, 150, 301},    {768, 537, 77, 154},
                                  {17379, 12165, 1738, 3476}, {45730, 32010, 4574, 9146}};
    for (int i = 0; i < 4; i++) {
        size_t a, b, c;
        smile_split_sizes(t[i][0], 0.7, 0.1, &a, &b, &c);
        CHECK(a == t[i][1] && b == t[i][2] && c == t[i][3], "N=%zu: %zu/%zu/%zu", t[i][0], a, b,
              c);
    }
    size_t a, b, c;
    smile_split_sizes(70000, 0.7, 0.15715, &a, &b, &c);
    CHECK(a == 49000 && b == 11000 && c == 10000, "fmnist %zu/%zu/%zu", a, b, c);
    smile_split_sizes(60000, 0.75, 0.08334, &a, &b, &c);
    CHECK(a == 45000 && b == 5000 && c == 10000, "cifar %zu/%zu/%zu", a, b, c);
    smile_split_sizes(13394, 0.65, 0.05696, &a, &b, &c);
    CHECK(a == 8706 && b == 763 && c == 3925, "imagenette %zu/%zu/%zu", a, b, c);
    smile_split_sizes(1142198, 0.9, 0.05, &a, &b, &c);
    CHECK(a == 1027978 && b == 57110 && c == 57110, "text %zu/%zu/%zu", a, b, c);
    /* the double sum matters: 0.8 exactly would give 8 of 10, double gives 7 */
    smile_split_sizes(10, 0.7, 0.1, &a, &b, &c);
    CHECK(a == 7 && b == 0 && c == 3, "N=10: %zu/%zu/%zu", a, b, c);
}

static void dispatcher(const char *dir) {
    char path[1024], msg[512] = "";
    smile_dataset ds;
    snprintf(path, sizeof path, "%s/airfoil/airfoil.data", dir);
    smile_data_options o = smile_data_options_default();
    o.seed = 1;
    int st = smile_dataset_load(&ds, SMILE_DATA_AUTO, path, &o, msg, sizeof msg);
    CHECK(st == SMILE_OK && ds.task == SMILE_DATA_UCI && ds.n == 1503, "auto uci: %s", msg);
    smile_dataset d2;
    snprintf(path, sizeof path, "%s/airfoil", dir);
    st = smile_dataset_load(&d2, SMILE_DATA_UCI, path, &o, msg, sizeof msg);
    CHECK(st == SMILE_OK && d2.n == 1503, "uci folder with one .data file: %s", msg);
    if (st == SMILE_OK) {
        CHECK(!memcmp(d2.x, ds.x, ds.n * ds.feature_dim * sizeof(float)), "folder vs file");
        smile_dataset_free(&d2);
    }
    if (ds.n) smile_dataset_free(&ds);
    snprintf(path, sizeof path, "%s/bikesharing", dir);
    st = smile_dataset_load(&ds, SMILE_DATA_UCI, path, &o, msg, sizeof msg);
    CHECK(st == SMILE_EINVAL && strstr(msg, "2 *.data files"), "two .data files: %d %s", st, msg);
    snprintf(path, sizeof path, "%s/shakespeare/shakespeare_simple.txt", dir);
    st = smile_dataset_load(&ds, SMILE_DATA_FMNIST, path, &o, msg, sizeof msg);
    CHECK(st == SMILE_EINVAL && strstr(msg, "fmnist"), "fmnist on a file: %d %s", st, msg);
    st = smile_dataset_load(&ds, SMILE_DATA_UCI, path, &o, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "shakespeare_simple.txt:1:"),
          "text file as uci: %d %s", st, msg);
    st = smile_dataset_load(&ds, SMILE_DATA_AUTO, "/nonexistent/x.data", &o, msg, sizeof msg);
    CHECK(st == SMILE_EIO && strstr(msg, "/nonexistent/x.data"), "auto missing: %d %s", st, msg);
    snprintf(path, sizeof path, "%s/README.md", dir);
    st = smile_dataset_load(&ds, SMILE_DATA_AUTO, path, &o, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT && strstr(msg, "README.md"), "auto unknown: %d %s", st, msg);
    smile_data_task tk;
    CHECK(smile_data_task_from_name("cifar10", &tk) == SMILE_OK && tk == SMILE_DATA_CIFAR10 &&
              smile_data_task_from_name("imagenette", &tk) == SMILE_OK &&
              tk == SMILE_DATA_IMAGENETTE && smile_data_task_from_name("bogus", &tk) == SMILE_EINVAL &&
              !strcmp(smile_data_task_name(SMILE_DATA_FMNIST), "fmnist"),
          "task names");
}

/* Columns whose sums or squares overflow double (finite values near 1e308) are
 * standardised on v / max|v| — finite, mean 0, std 1 — while an ordinary column
 * keeps the plain formula bit for bit; a spread below the smallest double is an
 * error naming the column. (They used to become all-NaN or all-zero.) */
static void huge_values(void) {
    enum { N = 20, C = 4 };
    static char buf[N * 128];
    double v[N][C];
    size_t pos = 0;
    for (size_t i = 0; i < N; i++) {
        v[i][0] = 0.5 * (double)i;                                 /* ordinary          */
        v[i][1] = 1.7e308 * ((i % 3) ? 1.0 : 0.9);                 /* the sum overflows  */
        v[i][2] = (i % 2 ? 1.5e308 : -1.5e308) * (1 - 0.01 * (double)(i % 5)); /* squares */
        v[i][3] = 3.0 * (double)i + 1;                             /* target            */
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%.17g %.17g %.17g %.17g\n", v[i][0],
                                v[i][1], v[i][2], v[i][3]);
    }
    const char *path = write_tmp("huge.data", buf);
    char msg[512] = "";
    smile_dataset ds;
    smile_status st = smile_dataset_load_uci(&ds, path, 5, msg, sizeof msg);
    CHECK(st == SMILE_OK, "huge values: %s", msg);
    if (st != SMILE_OK) return;
    CHECK(ds.warnings == NULL, "no outliers: %s", ds.warnings ? ds.warnings : "");
    /* the plain two-pass formula of the loader, for column 0 */
    double s = 0, var = 0;
    for (size_t i = 0; i < N; i++) s += v[i][0];
    const double m0 = s / N;
    for (size_t i = 0; i < N; i++) var += (v[i][0] - m0) * (v[i][0] - m0);
    const double sd0 = sqrt(var / N);
    int exact = 1, finite = 1;
    double zsum[3] = {0}, zsq[3] = {0}, maxerr = 0;
    for (size_t r = 0; r < N; r++) {
        const size_t i = ds.orig_index[r];
        exact &= ds.x[r * 3] == (float)((v[i][0] - m0) / sd0);
        for (size_t j = 0; j < 3; j++) {
            const double z = ds.x[r * 3 + j];
            finite &= isfinite(z);
            zsum[j] += z;
            zsq[j] += z * z;
        }
        /* reference for the scaled columns: two passes on v / max|v| */
        for (size_t j = 1; j < 3; j++) {
            double c = 0, s1 = 0, s2 = 0;
            for (size_t k = 0; k < N; k++) c = fmax(c, fabs(v[k][j]));
            for (size_t k = 0; k < N; k++) s1 += v[k][j] / c;
            const double mu = s1 / N;
            for (size_t k = 0; k < N; k++) s2 += (v[k][j] / c - mu) * (v[k][j] / c - mu);
            const double zr = (v[i][j] / c - mu) / sqrt(s2 / N);
            maxerr = fmax(maxerr, fabs(ds.x[r * 3 + j] - zr));
        }
    }
    CHECK(exact, "an ordinary column keeps the plain formula bit for bit");
    CHECK(finite, "every standardised value finite");
    for (size_t j = 1; j < 3; j++) {
        CHECK(fabs(zsum[j] / N) < 1e-6, "column %zu: mean %g", j + 1, zsum[j] / N);
        CHECK(fabs(sqrt(zsq[j] / N) - 1) < 1e-5, "column %zu: std %g", j + 1, sqrt(zsq[j] / N));
        CHECK(isfinite(ds.x_mean[j]) && isfinite(ds.x_std[j]) && ds.x_std[j] > 0,
              "column %zu: mean %g, std %g reported", j + 1, ds.x_mean[j], ds.x_std[j]);
    }
    CHECK(maxerr < 1e-6, "scaled columns against the reference: max error %g", maxerr);
    smile_dataset_free(&ds);
    /* a spread below the smallest double: cannot be standardised */
    pos = 0;
    for (size_t i = 0; i < N; i++)
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%zu %s %zu\n", i,
                                i % 2 ? "4.9406564584124654e-324" : "0", i);
    expect_fail("tiny_spread.data", buf, SMILE_EFORMAT, "column 2", "cannot be standardised");
}

/* A value more than 1e3 standard deviations out (needs over 1e6 rows: |z| <=
 * sqrt(n - 1)) is kept, with a warning naming its line and columns. */
static void outlier_warning(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/outlier.data", tmpdir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    const size_t n = 1000100, at = 500; /* 1-based line of the outlier */
    for (size_t i = 1; i <= n; i++) fputs(i == at ? "1 1\n" : "0 0\n", f);
    fclose(f);
    char msg[512] = "";
    smile_dataset ds;
    smile_status st = smile_dataset_load_uci(&ds, path, 1, msg, sizeof msg);
    CHECK(st == SMILE_OK, "outlier file: %s", msg);
    if (st != SMILE_OK) return;
    const char *w = ds.warnings ? ds.warnings : "";
    if (getenv("SMILE_TEST_VERBOSE")) printf("  warnings: %s", w);
    CHECK(strstr(w, "outlier.data: column 1: 1 value more than 1000 standard deviations from the "
                    "mean (line 500)\n") != NULL,
          "feature outlier named: %s", w);
    CHECK(strstr(w, "column 2 (the target): 1 value") != NULL, "target outlier named: %s", w);
    smile_dataset_free(&ds);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/smile_uci_XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL, "mkdtemp");
    split_rule();
    malformed();
    huge_values();
    outlier_warning();

    const char *dir = harness_data_dir();
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/airfoil/airfoil.data", dir);
    FILE *f = fopen(probe, "r");
    CHECK(f != NULL, "data folder missing: %s (set SMILE_DATA)", probe);
    if (f) {
        fclose(f);
        static const uci_case cases[] = {
            {"airfoil/airfoil.data", 1503, 6, 1052, 150, 301, 126.201},
            {"energy/energy.data", 768, 9, 537, 77, 154, 15.55},
            {"bikesharing/bikesharing.data", 17379, 12, 12165, 1738, 3476, 16},
            {"bikesharing/bikesharing_mile.data", 17379, 13, 12165, 1738, 3476, 16},
            {"protein/protein.data", 45730, 10, 32010, 4574, 9146, 17.284},
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_real(dir, &cases[i]);
        dispatcher(dir);
    }
    nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return harness_done("test_data_uci");
}
