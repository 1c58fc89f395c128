/* The tar reader's pax extended headers (src/data/tar.c): well-formed records set
 * the next entry's path and size; every malformed record (a length shorter than
 * its key, a length past the buffer, no digits, no newline, no '=', a size that
 * is not a number) is SMILE_EFORMAT naming the archive and the extended-header
 * entry, also through the CIFAR-10 loader. A record whose length was shorter than
 * "path=" used to make a negative length and memcpy read past the buffer. */
#define _XOPEN_SOURCE 700
#include "harness.h"
#include "tar_writer.h"
#include "smile.h"
#include "data/data.h"
#include "data/data_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

/* An archive: one pax extended header holding rec[0..len), then "file.bin"
 * (5 bytes), then the end marker. */
static void write_pax_archive(const char *path, const char *rec, size_t len) {
    gzFile g = gzopen(path, "wb");
    tar_header(g, "PaxHeaders.0/file.bin", len, 'x');
    tar_data(g, rec, len);
    tar_header(g, "file.bin", 5, '0');
    tar_data(g, "hello", 5);
    tar_end(g);
    gzclose(g);
}

/* Reads the first entry of path: its status, name and size. */
static smile_status first_entry(const char *path, char *name, size_t cap, uint64_t *size,
                                char *msg, size_t msg_len) {
    data_tar t;
    smile_status st = data_tar_open(&t, path, msg, msg_len);
    if (st != SMILE_OK) return st;
    int more = 0;
    st = data_tar_next(&t, &more, msg, msg_len);
    if (st == SMILE_OK && more) {
        snprintf(name, cap, "%s", t.name);
        *size = t.size;
    }
    data_tar_close(&t);
    return st;
}

static void well_formed(void) {
    char p[512], name[4096] = "", msg[512] = "";
    uint64_t size = 0;
    snprintf(p, sizeof p, "%s/ok.tar.gz", tmpdir);
    /* each length counts its own record, digits and newline included */
    const char rec[] = "22 path=dir/long_name\n9 size=5\n13 mtime=1.5\n";
    write_pax_archive(p, rec, strlen(rec));
    smile_status st = first_entry(p, name, sizeof name, &size, msg, sizeof msg);
    CHECK(st == SMILE_OK, "well-formed pax header: %d %s", st, msg);
    CHECK(!strcmp(name, "dir/long_name"), "pax path taken: '%s'", name);
    CHECK(size == 5, "pax size taken: %llu", (unsigned long long)size);
}

/* One malformed record rec → SMILE_EFORMAT naming the archive and the entry. */
static void malformed(const char *label, const char *rec, size_t len, const char *why) {
    char p[512], name[4096] = "", msg[512] = "";
    uint64_t size = 0;
    snprintf(p, sizeof p, "%s/bad_%s.tar.gz", tmpdir, label);
    write_pax_archive(p, rec, len);
    smile_status st = first_entry(p, name, sizeof name, &size, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT, "%s: status %d (%s), name '%.40s'", label, st, msg, name);
    CHECK(strstr(msg, p) != NULL, "%s: message names the archive: %s", label, msg);
    CHECK(strstr(msg, "PaxHeaders.0/file.bin") != NULL, "%s: message names the entry: %s", label,
          msg);
    CHECK(strstr(msg, why) != NULL, "%s: message says '%s': %s", label, why, msg);
    if (getenv("SMILE_TEST_VERBOSE")) printf("  %s -> %s\n", label, msg);
}

static void crafted(void) {
    /* the reported case: a length shorter than "N path=" — the old parser
     * computed a negative value length and copied 4095 bytes from past the buffer */
    malformed("short_path", "3 path=abcdefgh\n", 16, "too short");
    malformed("cut_key", "5 path=abc\n", 11, "newline");
    malformed("zero", "0 path=a\n", 9, "too short");
    malformed("past_end", "99 path=a\n", 10, "longer than");
    malformed("no_digits", "x path=a\n", 9, "not digits");
    malformed("negative", "-9 path=a\n", 10, "not digits");
    malformed("no_space", "9path=ab\n", 9, "not digits");
    malformed("huge", "99999999999999999999999 path=a\n", 31, "not digits");
    malformed("no_newline", "10 path=ab", 10, "newline");
    malformed("no_equals", "9 pathab\n", 9, "key=value");
    malformed("empty_key", "7 =abc\n", 7, "key=value");
    malformed("size_text", "11 size=5x\n", 11, "not a decimal");
    malformed("size_empty", "8 size=\n", 8, "not a decimal");
    /* a good record, then a bad one: the bad one is still found */
    malformed("second", "9 size=5\n3 path=abc\n", 20, "too short");
    /* a record of exactly "N k=\n" is well-formed (empty value) */
    char p[512], name[4096] = "", msg[512] = "";
    uint64_t size = 0;
    snprintf(p, sizeof p, "%s/empty_value.tar.gz", tmpdir);
    write_pax_archive(p, "5 k=\n", 5);
    CHECK(first_entry(p, name, sizeof name, &size, msg, sizeof msg) == SMILE_OK,
          "empty value accepted: %s", msg);
    CHECK(!strcmp(name, "file.bin"), "unknown key ignored: '%s'", name);
}

/* The same archive through the CIFAR-10 loader (smile fit --task cifar10). */
static void through_loader(void) {
    char p[512], msg[512] = "";
    snprintf(p, sizeof p, "%s/cifar.tar.gz", tmpdir);
    const char *rec = "5 path=cifar-10-batches-bin/data_batch_1.bin\n";
    write_pax_archive(p, rec, strlen(rec));
    smile_dataset ds;
    smile_data_options o = smile_data_options_default();
    smile_status st = smile_dataset_load(&ds, SMILE_DATA_CIFAR10, p, &o, msg, sizeof msg);
    CHECK(st == SMILE_EFORMAT, "cifar10 loader: status %d (%s)", st, msg);
    CHECK(strstr(msg, "pax") != NULL && strstr(msg, p) != NULL, "cifar10 loader message: %s",
          msg);
    smile_dataset_free(&ds);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/smile_test_tar_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    well_formed();
    crafted();
    through_loader();
    harness_remove_dir(tmpdir);
    return harness_done("test_data_tar");
}
