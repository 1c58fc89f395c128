/* Tables as users have them: delimiter and header detection, quoting, line
 * ends, malformed files; the schema (target and inputs by name or number,
 * one-hot categories, classes, missing values, unseen categories, matching
 * by name or position) and the training-row scaling against an independent
 * computation. */
#include "harness.h"
#include "smile.h"
#include "data/table.h"

#include <float.h>
#include <unistd.h>

static char dir[] = "/tmp/smile_table_XXXXXX";

static const char *write_file(const char *name, const char *text) {
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    fputs(text, f);
    fclose(f);
    return p;
}

static smile_status read_table(smile_table *t, const char *name, const char *text, int header,
                         char *msg) {
    smile_table_options o = smile_table_options_default();
    o.header = header;
    return smile_table_read(t, write_file(name, text), &o, msg, 512);
}

static void test_formats(void) {
    char msg[512];
    smile_table t;
    /* comma, header, quoted field with a comma, a doubled quote and a line break, CRLF */
    CHECK(read_table(&t, "a.csv",
               "\xEF\xBB\xBFtemp,\"city, name\",y\r\n1.5,\"Oslo, \"\"N\"\"\",2\r\n2.5,\"two\nlines\",3\r\n",
               -1, msg) == SMILE_OK, "%s", msg);
    CHECK(t.delim == ',' && t.has_header == 1 && t.n_rows == 2 && t.n_cols == 3,
          "delim %c header %d rows %zu cols %zu", t.delim, t.has_header, t.n_rows, t.n_cols);
    CHECK(!strcmp(t.names[0], "temp") && !strcmp(t.names[1], "city, name"), "names %s|%s",
          t.names[0], t.names[1]);
    CHECK(!strcmp(t.cells[1], "Oslo, \"N\""), "quoted cell '%s'", t.cells[1]);
    CHECK(!strcmp(t.cells[4], "two\nlines") && t.line[1] == 3, "multi-line cell, line %zu",
          t.line[1]);
    CHECK(!strcmp(t.cells[5], "3"), "CR stripped '%s'", t.cells[5]);
    smile_table_free(&t);
    /* semicolon, decimal numbers, no header */
    CHECK(read_table(&t, "b.csv", "1;2;3\n4;5;6\n\n7;8;9\n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(t.delim == ';' && !t.has_header && t.n_rows == 3 && !strcmp(t.names[2], "col3"),
          "semicolon table: %c %d %zu %s", t.delim, t.has_header, t.n_rows, t.names[2]);
    CHECK(t.line[2] == 4, "blank line skipped, line %zu", t.line[2]);
    smile_table_free(&t);
    /* tab with empty fields */
    CHECK(read_table(&t, "c.tsv", "a\tb\tc\n1\t\tx\n2\t3\ty\n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(t.delim == '\t' && t.has_header && !strcmp(t.cells[1], ""), "tab table");
    smile_table_free(&t);
    /* whitespace UCI style */
    CHECK(read_table(&t, "d.data", "  1  2.5 3\n4 5   6  \n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(t.delim == ' ' && !t.has_header && t.n_rows == 2 && t.n_cols == 3 &&
              !strcmp(t.cells[1], "2.5"),
          "whitespace table %zu x %zu", t.n_rows, t.n_cols);
    smile_table_free(&t);
    /* all-text table: header when the first row's values do not recur */
    CHECK(read_table(&t, "e.csv", "colour,size\nred,big\nblue,big\n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(t.has_header, "all-text header detected");
    smile_table_free(&t);
    CHECK(read_table(&t, "f.csv", "red,big\nblue,big\nred,small\n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(!t.has_header, "no header when first row values recur");
    smile_table_free(&t);
    /* forced header / no header */
    CHECK(read_table(&t, "g.csv", "1,2\n3,4\n", 1, msg) == SMILE_OK && t.has_header && t.n_rows == 1,
          "forced header");
    smile_table_free(&t);
}

static void expect_error(const char *name, const char *text, smile_status want,
                         const char *needle) {
    char msg[512] = "";
    smile_table t;
    smile_status st = read_table(&t, name, text, -1, msg);
    CHECK(st == want && strstr(msg, needle) && strstr(msg, name), "%s: status %d msg '%s'", name,
          st, msg);
    if (st == SMILE_OK) smile_table_free(&t);
}

static void test_malformed(void) {
    expect_error("empty.csv", "", SMILE_EFORMAT, "empty");
    expect_error("blank.csv", "\n  \n\r\n", SMILE_EFORMAT, "empty");
    expect_error("hdr.csv", "a,b,c\n", SMILE_EFORMAT, "no data rows");
    expect_error("ragged.csv", "a,b\n1,2\n3,4,5\n", SMILE_EFORMAT, "line 3 has 3 fields");
    expect_error("quote.csv", "a,b\n1,\"open\n", SMILE_EFORMAT, "unterminated");
    expect_error("dup.csv", "a,a\n1,2\n", SMILE_EFORMAT, "same name");
    expect_error("after.csv", "a,b\n\"x\"y,2\n", SMILE_EFORMAT, "after a closing quote");
    char msg[512];
    smile_table t;
    CHECK(smile_table_read(&t, "/nonexistent/x.csv", NULL, msg, sizeof msg) == SMILE_EIO &&
              strstr(msg, "/nonexistent/x.csv"),
          "missing file: %s", msg);
}

static void test_cells(void) {
    double v;
    CHECK(smile_table_cell_number(" 1e3 ", &v) == 0 && v == 1000, "1e3");
    CHECK(smile_table_cell_number("0x10", &v) != 0, "hex refused");
    CHECK(smile_table_cell_number("inf", &v) != 0 && smile_table_cell_number("nan", &v) != 0,
          "inf/nan refused");
    CHECK(smile_table_cell_number("1e400", &v) != 0, "overflow refused");
    CHECK(smile_table_cell_number("12abc", &v) != 0, "trailing text refused");
    const char *miss[] = {"", "  ", "NA", "na", "N/A", "NaN", "null", "?"};
    for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++)
        CHECK(smile_table_cell_missing(miss[i]), "missing '%s'", miss[i]);
    CHECK(!smile_table_cell_missing("0") && !smile_table_cell_missing("nap"), "not missing");
}

static void test_schema(void) {
    char msg[512];
    smile_table t;
    CHECK(read_table(&t, "s.csv",
               "x1,colour,y,x2\n1,red,10,5\n2,blue,20,6\n3,red,30,7\n4,green,40,8\n", -1,
               msg) == SMILE_OK,
          "%s", msg);
    smile_table_select sel = {.target = "y"};
    smile_table_schema s;
    CHECK(smile_table_schema_build(&s, &t, &sel, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(s.n_features == 3 && s.n_encoded == 5 && !s.classify && s.target_src == 2,
          "features %zu encoded %zu classify %d", s.n_features, s.n_encoded, s.classify);
    CHECK(s.features[1].kind == SMILE_COLUMN_CATEGORICAL && s.features[1].n_categories == 3 &&
              !strcmp(s.features[1].categories[0], "blue") &&
              !strcmp(s.features[1].categories[2], "red"),
          "categories sorted");
    CHECK(smile_table_schema_fit_scaling(&s, &t, NULL, 0, msg, sizeof msg) == SMILE_OK, "%s", msg);
    /* independent: mean 2.5, population sd sqrt(1.25) of 1..4; y: 25, sqrt(125) */
    CHECK_CLOSE(s.features[0].mean, 2.5, 1e-15, 0);
    CHECK_CLOSE(s.features[0].sd, sqrt(1.25), 1e-15, 0);
    CHECK_CLOSE(s.y_mean, 25, 1e-15, 0);
    CHECK_CLOSE(s.y_sd, sqrt(125.0), 1e-15, 0);
    float x[4 * 5], y[4];
    size_t rows[4], n = 0;
    int has_y = 0;
    CHECK(smile_table_encode(&s, &t, 1, x, y, NULL, rows, &n, &has_y, msg, sizeof msg) ==
              SMILE_OK,
          "%s", msg);
    CHECK(n == 4 && has_y, "encoded %zu", n);
    CHECK_CLOSE(x[0], (1 - 2.5) / sqrt(1.25), 1e-6, 0);
    CHECK(x[1] == 0 && x[2] == 0 && x[3] == 1, "row 0 one-hot red: %g %g %g", x[1], x[2], x[3]);
    CHECK(x[5 + 1] == 1 && x[5 + 2] == 0, "row 1 one-hot blue");
    CHECK_CLOSE(y[3], (40 - 25) / sqrt(125.0), 1e-6, 0);
    /* a prediction table: other column order, no target, by name */
    smile_table p;
    CHECK(read_table(&p, "p.csv", "x2,x1,colour,extra\n5,1,green,z\n", -1, msg) == SMILE_OK, "%s",
          msg);
    CHECK(smile_table_encode(&s, &p, 2, x, NULL, NULL, NULL, &n, &has_y, msg, sizeof msg) ==
              SMILE_OK,
          "%s", msg);
    CHECK(n == 1 && !has_y && x[2] == 1 && x[4] == (float)((5 - 6.5) / sqrt(1.25)),
          "by name: %g %g", x[2], x[4]);
    smile_table_free(&p);
    /* unseen category, missing column, missing value */
    CHECK(read_table(&p, "q.csv", "x1,colour,x2\n1,purple,3\n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(smile_table_encode(&s, &p, 0, x, NULL, NULL, NULL, &n, NULL, msg, sizeof msg) ==
                  SMILE_EFORMAT &&
              strstr(msg, "purple") && strstr(msg, "line 2") && strstr(msg, "colour"),
          "unseen: %s", msg);
    smile_table_free(&p);
    CHECK(read_table(&p, "r.csv", "x1,x2\n1,3\n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(smile_table_encode(&s, &p, 0, x, NULL, NULL, NULL, &n, NULL, msg, sizeof msg) ==
                  SMILE_EINVAL &&
              strstr(msg, "no column 'colour'"),
          "missing column: %s", msg);
    smile_table_free(&p);
    CHECK(read_table(&p, "m.csv", "x1,colour,x2\nNA,red,3\n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(smile_table_encode(&s, &p, 0, x, NULL, NULL, NULL, &n, NULL, msg, sizeof msg) ==
                  SMILE_EFORMAT &&
              strstr(msg, "missing value") && strstr(msg, "'x1'"),
          "missing value: %s", msg);
    smile_table_free(&p);
    /* by position without a header: with and without the target column */
    CHECK(read_table(&p, "n.csv", "1,red,99,5\n", 0, msg) == SMILE_OK, "%s", msg);
    CHECK(smile_table_encode(&s, &p, 2, x, y, NULL, NULL, &n, &has_y, msg, sizeof msg) ==
                  SMILE_OK && has_y,
          "by position with target: %s", msg);
    smile_table_free(&p);
    CHECK(read_table(&p, "o.csv", "1,red,5\n", 0, msg) == SMILE_OK, "%s", msg);
    CHECK(smile_table_encode(&s, &p, 2, x, y, NULL, NULL, &n, &has_y, msg, sizeof msg) ==
                  SMILE_OK && !has_y && x[3] == 1,
          "by position without target: %s", msg);
    smile_table_free(&p);
    CHECK(read_table(&p, "w.csv", "1,red\n", 0, msg) == SMILE_OK, "%s", msg);
    CHECK(smile_table_encode(&s, &p, 0, x, y, NULL, NULL, &n, &has_y, msg, sizeof msg) ==
                  SMILE_EINVAL && strstr(msg, "expected 4"),
          "wrong count: %s", msg);
    smile_table_free(&p);
    smile_table_schema_free(&s);
    /* selections */
    smile_table_select bad = {.target = "nope"};
    CHECK(smile_table_schema_build(&s, &t, &bad, msg, sizeof msg) == SMILE_EINVAL &&
              strstr(msg, "nope"),
          "unknown target: %s", msg);
    smile_table_select feat = {.target = "3", .features = "x1,4"};
    CHECK(smile_table_schema_build(&s, &t, &feat, msg, sizeof msg) == SMILE_OK &&
              s.n_features == 2 && s.features[1].src == 3,
          "features by name and number: %s", msg);
    smile_table_schema_free(&s);
    smile_table_select drop = {.target = "y", .drop = "colour"};
    CHECK(smile_table_schema_build(&s, &t, &drop, msg, sizeof msg) == SMILE_OK &&
              s.n_features == 2 && s.n_encoded == 2,
          "drop: %s", msg);
    smile_table_schema_free(&s);
    smile_table_select tgt_in = {.target = "y", .features = "x1,y"};
    CHECK(smile_table_schema_build(&s, &t, &tgt_in, msg, sizeof msg) == SMILE_EINVAL,
          "target among features");
    smile_table_free(&t);
}

static void test_classes_and_missing(void) {
    char msg[512];
    smile_table t;
    CHECK(read_table(&t, "c.csv", "a,b,label\n1,2,yes\n?,3,no\n2,4,yes\n3,,maybe\n4,5,no\n", -1, msg) ==
              SMILE_OK,
          "%s", msg);
    smile_table_select sel = {0};
    smile_table_schema s;
    CHECK(smile_table_schema_build(&s, &t, &sel, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(s.classify && s.n_classes == 3 && !strcmp(s.classes[0], "maybe"),
          "string target classifies: %d %zu", s.classify, s.n_classes);
    size_t n;
    CHECK(smile_table_encode(&s, &t, 1, NULL, NULL, NULL, NULL, &n, NULL, msg, sizeof msg) ==
                  SMILE_EFORMAT &&
              strstr(msg, "line 3") && strstr(msg, "'a'"),
          "missing is an error naming row and column: %s", msg);
    smile_table_schema_free(&s);
    sel.drop_missing = 1;
    CHECK(smile_table_schema_build(&s, &t, &sel, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(s.n_classes == 2, "classes from kept rows: %zu", s.n_classes);
    int32_t lab[5];
    size_t rows[5];
    CHECK(smile_table_encode(&s, &t, 1, NULL, NULL, lab, rows, &n, NULL, msg, sizeof msg) ==
                  SMILE_OK && n == 3 && rows[1] == 2 && lab[0] == 1 && lab[1] == 1 && lab[2] == 0,
          "drop: n %zu", n);
    smile_table_schema_free(&s);
    smile_table_free(&t);
    /* numeric labels with --task classify sort by value; one class is an error */
    CHECK(read_table(&t, "n.csv", "x,k\n1,10\n2,9\n3,10\n", -1, msg) == SMILE_OK, "%s", msg);
    smile_table_select cls = {.task = SMILE_TABLE_TASK_CLASSIFY};
    CHECK(smile_table_schema_build(&s, &t, &cls, msg, sizeof msg) == SMILE_OK &&
              !strcmp(s.classes[0], "9") && !strcmp(s.classes[1], "10"),
          "numeric classes by value");
    smile_table_schema_free(&s);
    smile_table_free(&t);
    CHECK(read_table(&t, "o.csv", "x,k\n1,a\n2,a\n", -1, msg) == SMILE_OK, "%s", msg);
    CHECK(smile_table_schema_build(&s, &t, &cls, msg, sizeof msg) == SMILE_EFORMAT &&
              strstr(msg, "only one class"),
          "one class: %s", msg);
    smile_table_free(&t);
    /* values near the double range: scaling stays finite */
    CHECK(read_table(&t, "big.csv", "a,y\n1e308,1\n-1e308,2\n1.5e308,3\n", -1, msg) == SMILE_OK, "%s",
          msg);
    smile_table_select r = {0};
    CHECK(smile_table_schema_build(&s, &t, &r, msg, sizeof msg) == SMILE_OK &&
              smile_table_schema_fit_scaling(&s, &t, NULL, 0, msg, sizeof msg) == SMILE_OK &&
              isfinite(s.features[0].sd) && s.features[0].sd > 1e307,
          "huge column: sd %g (%s)", s.features[0].sd, msg);
    float x[3];
    CHECK(smile_table_encode(&s, &t, 0, x, NULL, NULL, NULL, &n, NULL, msg, sizeof msg) ==
                  SMILE_OK && isfinite(x[0]) && isfinite(x[2]),
          "huge column encodes finite: %s", msg);
    smile_table_schema_free(&s);
    smile_table_free(&t);
}

/* A data set from tables: split sizes, scaling from the training rows only,
 * rows of --test files last. */
static void test_load(void) {
    char msg[512], text[4096];
    size_t len = (size_t)snprintf(text, sizeof text, "a,kind,y\n");
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,%s,%d\n", i, i % 2 ? "odd" : "even", 3 * i);
    const char *train = write_file("train.csv", text);
    smile_table_spec sp = {.train = train, .read = smile_table_options_default(),
                           .select = {.target = "y"}, .f_train = 0.7, .f_valid = 0.1, .seed = 5};
    smile_dataset ds;
    smile_table_schema s;
    CHECK(smile_dataset_load_table(&ds, &s, &sp, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(ds.split_end[0] == 28 && ds.split_end[1] == 31 && ds.n == 40 && ds.feature_dim == 3,
          "split %zu %zu n %zu dim %zu", ds.split_end[0], ds.split_end[1], ds.n, ds.feature_dim);
    /* 0.7 + 0.1 rounds below 0.8 in double: 31 train + valid rows (the paper rule) */
    /* scaling from the 28 training rows only: recompute from orig_index */
    double m = 0, v = 0;
    for (size_t i = 0; i < 28; i++) m += ds.orig_index[i];
    m /= 28;
    for (size_t i = 0; i < 28; i++) v += (ds.orig_index[i] - m) * (ds.orig_index[i] - m);
    v = sqrt(v / 28);
    CHECK_CLOSE(s.features[0].mean, m, 1e-12, 0);
    CHECK_CLOSE(s.features[0].sd, v, 1e-12, 0);
    CHECK_CLOSE(ds.y_mean, 3 * m, 1e-12, 0);
    CHECK_CLOSE(ds.x[35 * 3], (ds.orig_index[35] - m) / v, 1e-6, 1e-6);
    CHECK_CLOSE(ds.y[35], (3.0 * ds.orig_index[35] - 3 * m) / (3 * v), 1e-6, 1e-6);
    smile_dataset_free(&ds);
    smile_table_schema_free(&s);
    /* with a test file: train : valid = 7 : 1 of the training file, test rows last */
    sp.test = write_file("test.csv", "y,kind,a\n1,odd,100\n2,even,200\n");
    CHECK(smile_dataset_load_table(&ds, &s, &sp, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(ds.split_end[0] == 35 && ds.split_end[1] == 40 && ds.n == 42, "split with --test %zu %zu %zu",
          ds.split_end[0], ds.split_end[1], ds.n);
    CHECK(ds.orig_index[41] == 1 && ds.x[41 * 3 + 1] == 1.0f, "test rows last, matched by name");
    smile_dataset_free(&ds);
    smile_table_schema_free(&s);
    /* a test file with an unseen category is refused, naming it */
    sp.test = write_file("test2.csv", "a,kind,y\n1,prime,3\n");
    CHECK(smile_dataset_load_table(&ds, &s, &sp, msg, sizeof msg) == SMILE_EFORMAT &&
              strstr(msg, "prime") && strstr(msg, "test2.csv"),
          "unseen category in --test: %s", msg);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    test_formats();
    test_malformed();
    test_cells();
    test_schema();
    test_classes_and_missing();
    test_load();
    harness_remove_dir(dir);
    return harness_done("test_data_table");
}
