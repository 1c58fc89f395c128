/* src/io: atomic writes, streamed .npy files with resume, CSV traces, JSON. */
#include "harness.h"
#include "smile.h"
#include "io/io.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}
static long long fsize(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}
static char *J(const char *name) { return smile_path_join(dir, name); }

static void test_atomic(void) {
    char msg[256] = "";
    char *p = J("a/b/c.txt");
    char *sub = J("a/b");
    CHECK(smile_mkdir_p(sub, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(smile_mkdir_p(sub, msg, sizeof msg) == SMILE_OK, "mkdir -p is idempotent: %s", msg);
    CHECK(smile_write_file_atomic(p, "hello\n", 6, msg, sizeof msg) == SMILE_OK, "%s", msg);
    char *buf;
    size_t len;
    CHECK(smile_read_file(p, &buf, &len, msg, sizeof msg) == SMILE_OK && len == 6 &&
              !strcmp(buf, "hello\n"),
          "read back");
    free(buf);
    /* an open, uncommitted file leaves the old content in place */
    smile_afile f;
    CHECK(smile_afile_open(&f, p, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_afile_write(&f, "partial", 7, msg, sizeof msg);
    CHECK(exists(f.tmp) && fsize(p) == 6, "temporary file separate from the final one");
    char tmpname[512];
    snprintf(tmpname, sizeof tmpname, "%s", f.tmp);
    smile_afile_abort(&f);
    CHECK(!exists(tmpname) && fsize(p) == 6, "abort removes the temporary file");
    /* failure to create: directory missing */
    char *bad = J("missing/dir/x");
    CHECK(smile_write_file_atomic(bad, "x", 1, msg, sizeof msg) == SMILE_EIO && strstr(msg, "missing"),
          "error names the path: %s", msg);
    free(bad);
    free(p);
    free(sub);
}

static void test_npy(void) {
    char msg[256] = "";
    char *p = J("s.npy");
    const size_t C = 7, R = 13;
    float *data = malloc(R * C * sizeof(float));
    for (size_t i = 0; i < R * C; i++) data[i] = (float)i * 0.5f - 3.0f;
    /* stream the first 5 rows, sync (checkpoint), write 3 more, "crash" */
    smile_npy_writer w;
    CHECK(smile_npy_writer_open(&w, p, C, -1, msg, sizeof msg) == SMILE_OK, "%s", msg);
    for (size_t r = 0; r < 5; r++) smile_npy_writer_append(&w, data + r * C, msg, sizeof msg);
    CHECK(smile_npy_writer_sync(&w, msg, sizeof msg) == SMILE_OK, "%s", msg);
    char partial[512];
    snprintf(partial, sizeof partial, "%s.partial", p);
    size_t r0 = 0, c0 = 0, off = 0;
    CHECK(smile_npy_read_header(partial, &r0, &c0, &off, msg, sizeof msg) == SMILE_OK && r0 == 5 &&
              c0 == C && off == SMILE_NPY_HEADER_BYTES,
          "synced partial file is a valid .npy (%zu x %zu): %s", r0, c0, msg);
    for (size_t r = 5; r < 8; r++) smile_npy_writer_append(&w, data + r * C, msg, sizeof msg);
    smile_npy_writer_close_keep(&w);
    CHECK(!exists(p), "no final file before finish");
    /* resume after the 5 checkpointed rows: the 3 extra rows are dropped */
    CHECK(smile_npy_writer_open(&w, p, C, 5, msg, sizeof msg) == SMILE_OK, "%s", msg);
    for (size_t r = 5; r < R; r++) smile_npy_writer_append(&w, data + r * C, msg, sizeof msg);
    CHECK(smile_npy_writer_finish(&w, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(!exists(partial) && exists(p), "finish renames the partial file");
    CHECK(fsize(p) == (long long)(SMILE_NPY_HEADER_BYTES + R * C * 4), "size %lld", fsize(p));
    /* header bytes exactly as NumPy 1.0 defines them */
    char *raw;
    size_t len;
    smile_read_file(p, &raw, &len, msg, sizeof msg);
    CHECK(!memcmp(raw, "\x93NUMPY\x01\x00", 8), "magic");
    CHECK((unsigned char)raw[8] + 256u * (unsigned char)raw[9] == SMILE_NPY_HEADER_BYTES - 10,
          "header length");
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (13, 7), }";
    CHECK(!strncmp(raw + 10, want, strlen(want)), "dict: %.60s", raw + 10);
    for (size_t i = 10 + strlen(want); i < SMILE_NPY_HEADER_BYTES - 1; i++)
        CHECK(raw[i] == ' ', "padding byte %zu", i);
    CHECK(raw[SMILE_NPY_HEADER_BYTES - 1] == '\n', "header ends with newline");
    free(raw);
    float *back;
    size_t r1, c1;
    CHECK(smile_npy_read(p, &back, &r1, &c1, msg, sizeof msg) == SMILE_OK && r1 == R && c1 == C,
          "%s", msg);
    CHECK(back && !memcmp(back, data, R * C * sizeof(float)), "data round trip");
    free(back);
    /* whole-array writer, and rejection of a truncated file */
    char *q = J("w.npy");
    CHECK(smile_npy_write(q, data, R, C, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(fsize(q) == fsize(p), "same size");
    CHECK(truncate(q, fsize(q) - 4) == 0, "truncate");
    CHECK(smile_npy_read_header(q, &r1, &c1, &off, msg, sizeof msg) == SMILE_EFORMAT,
          "truncated file rejected");
    CHECK(smile_npy_write(q, data, 0, C, msg, sizeof msg) == SMILE_OK &&
              smile_npy_read(q, &back, &r1, &c1, msg, sizeof msg) == SMILE_OK && r1 == 0 &&
              c1 == C,
          "empty array: %s", msg);
    free(back);
    free(q);
    free(p);
    free(data);
}

static void test_csv_json(void) {
    char msg[256] = "";
    char *p = J("t.csv");
    smile_csv_writer w;
    CHECK(smile_csv_writer_open(&w, p, "step,eps", -1, 0, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_csv_writer_row(&w, "%d,%g", 0, 0.5);
    smile_csv_writer_sync(&w, msg, sizeof msg);
    long long at = smile_csv_writer_bytes(&w);
    smile_csv_writer_row(&w, "%d,%g", 1, 0.25);
    smile_csv_writer_close_keep(&w);
    CHECK(smile_csv_writer_open(&w, p, "step,eps", at, 1, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_csv_writer_row(&w, "%d,%g", 1, 0.125);
    CHECK(w.rows == 2, "rows %llu", (unsigned long long)w.rows);
    CHECK(smile_csv_writer_finish(&w, msg, sizeof msg) == SMILE_OK, "%s", msg);
    char *buf;
    smile_read_file(p, &buf, NULL, msg, sizeof msg);
    CHECK(!strcmp(buf, "step,eps\n0,0.5\n1,0.125\n"), "csv content '%s'", buf);
    free(buf);
    free(p);

    char *j = J("m.json");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "lppd", 0.625);
    CHECK(smile_json_write_file(j, o, msg, sizeof msg) == SMILE_OK, "%s", msg);
    cJSON_Delete(o);
    cJSON *r = NULL;
    CHECK(smile_json_read_file(j, &r, msg, sizeof msg) == SMILE_OK && r, "%s", msg);
    CHECK(r && cJSON_GetObjectItem(r, "lppd") &&
              cJSON_GetObjectItem(r, "lppd")->valuedouble == 0.625,
          "json round trip");
    cJSON_Delete(r);
    smile_write_file_atomic(j, "{\n \"a\": 1,\n oops }\n", 19, msg, sizeof msg);
    CHECK(smile_json_read_file(j, &r, msg, sizeof msg) == SMILE_EFORMAT && strstr(msg, ":3:"),
          "parse error names line 3: %s", msg);
    free(j);
}

/* A writer whose file is /dev/full (the temporary name is a symlink to it): the
 * failing write, sync or commit is SMILE_EIO naming the file, and every path of
 * the fit pipeline releases the writer (names freed, stream closed, temporary
 * name removed) — under ASan (make asan) LeakSanitizer checks no byte is left. */
static int lexists(const char *p) {
    struct stat sb;
    return lstat(p, &sb) == 0;
}
static int released(const smile_afile *f) { return !f->fp && !f->path && !f->tmp; }

static char *full_link(const char *name, const char *suffix) {
    char *p = J(name), t[600];
    snprintf(t, sizeof t, "%s%s", p, suffix);
    unlink(t);
    if (symlink("/dev/full", t) != 0) perror("symlink");
    return p;
}

static void test_disk_full(void) {
    struct stat sb;
    if (stat("/dev/full", &sb) != 0 || !S_ISCHR(sb.st_mode)) {
        printf("no /dev/full: disk-full checks skipped\n");
        return;
    }
    char msg[256] = "";
    float row[1024] = {0};
    /* .npy stream, as a chain's samples: appends fail, finish reports and releases */
    char *p = full_link("full_a.npy", ".partial");
    smile_npy_writer w;
    CHECK(smile_npy_writer_open(&w, p, 1024, -1, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_status st = SMILE_OK;
    for (int i = 0; i < 4 && st == SMILE_OK; i++)
        st = smile_npy_writer_append(&w, row, msg, sizeof msg);
    CHECK(st == SMILE_EIO && strstr(msg, "full_a.npy.partial"), "append on a full disk: %d %s", st,
          msg);
    CHECK(smile_npy_writer_finish(&w, msg, sizeof msg) == SMILE_EIO, "finish fails: %s", msg);
    CHECK(released(&w.file), "npy writer released after a failed finish");
    CHECK(!exists(p), "no final file");
    free(p);
    /* the same, kept for a resume (a chain not done) */
    p = full_link("full_b.npy", ".partial");
    CHECK(smile_npy_writer_open(&w, p, 1024, -1, msg, sizeof msg) == SMILE_OK, "%s", msg);
    smile_npy_writer_append(&w, row, msg, sizeof msg);
    CHECK(smile_npy_writer_sync(&w, msg, sizeof msg) == SMILE_EIO, "sync fails: %s", msg);
    smile_npy_writer_close_keep(&w);
    CHECK(released(&w.file), "npy writer released by close_keep after a failed sync");
    free(p);
    /* CSV trace: rows and the commit fail */
    p = full_link("full_c.csv", ".partial");
    smile_csv_writer c;
    CHECK(smile_csv_writer_open(&c, p, "a,b", -1, 0, msg, sizeof msg) == SMILE_OK, "%s", msg);
    st = SMILE_OK;
    for (int i = 0; i < 2000 && st == SMILE_OK; i++) st = smile_csv_writer_row(&c, "%d,%d", i, i);
    CHECK(st == SMILE_EIO, "csv rows on a full disk: %d", st);
    CHECK(smile_csv_writer_finish(&c, msg, sizeof msg) == SMILE_EIO && strstr(msg, "full_c.csv"),
          "csv finish fails naming the file: %s", msg);
    CHECK(released(&c.file), "csv writer released after a failed finish");
    free(p);
    p = full_link("full_d.csv", ".partial");
    CHECK(smile_csv_writer_open(&c, p, "a,b", -1, 0, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(smile_csv_writer_sync(&c, msg, sizeof msg) == SMILE_EIO, "csv sync fails: %s", msg);
    smile_csv_writer_close_keep(&c);
    CHECK(released(&c.file), "csv writer released by close_keep");
    free(p);
    /* one-shot writes (checkpoints, JSON, de_members.npy) */
    char pid[32];
    snprintf(pid, sizeof pid, ".tmp.%ld", (long)getpid());
    p = full_link("full_e.bin", pid);
    CHECK(smile_write_file_atomic(p, row, sizeof row, msg, sizeof msg) == SMILE_EIO &&
              strstr(msg, "full_e.bin"),
          "atomic write fails naming the file: %s", msg);
    CHECK(!exists(p), "no final file after a failed atomic write");
    char t[600];
    snprintf(t, sizeof t, "%s%s", p, pid);
    CHECK(!lexists(t), "temporary name removed");
    free(p);
    p = full_link("full_f.npy", pid);
    CHECK(smile_npy_write(p, row, 1, 1024, msg, sizeof msg) == SMILE_EIO, "npy write fails: %s",
          msg);
    free(p);
}

/* smile_dir_check_writable: a nested new directory passes and nothing is left;
 * one under a regular file is SMILE_EINVAL naming it. */
static void test_dir_writable(void) {
    char msg[256] = "";
    char *top = J("w1"), *deep = J("w1/w2/w3");
    CHECK(smile_dir_check_writable(deep, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(!exists(top), "created directories removed again");
    CHECK(smile_dir_check_writable(dir, msg, sizeof msg) == SMILE_OK, "existing dir: %s", msg);
    char *file = J("plain.txt"), *under = J("plain.txt/sub");
    CHECK(smile_write_file_atomic(file, "x", 1, msg, sizeof msg) == SMILE_OK, "%s", msg);
    CHECK(smile_dir_check_writable(under, msg, sizeof msg) == SMILE_EINVAL &&
              strstr(msg, "plain.txt/sub"),
          "under a regular file: %s", msg);
    CHECK(smile_dir_check_writable(file, msg, sizeof msg) == SMILE_EINVAL, "a file: %s", msg);
    free(top), free(deep), free(file), free(under);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/smile_test_io_%ld", (long)getpid());
    char msg[256];
    smile_mkdir_p(dir, msg, sizeof msg);
    test_atomic();
    test_npy();
    test_csv_json();
    test_disk_full();
    test_dir_writable();
    harness_remove_dir(dir);
    return harness_done("test_io_files");
}
