/* Minimal streaming reader of tar archives through zlib (so .tar.gz, .tgz
 * and plain .tar all work), for the CIFAR-10 and Imagenette archives
 * (docs/experiments.md, section 2.2). Supports POSIX ustar headers, GNU long names
 * (typeflag 'L') and pax extended headers ('x': path, size). Only forward
 * reading: entries are visited in archive order. */
#include "data/data_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

smile_status data_tar_open(data_tar *t, const char *path, char *msg, size_t msg_len) {
    memset(t, 0, sizeof *t);
    t->path = data_strdup(path);
    SMILE_CHECK(!t->path, SMILE_ENOMEM, msg, msg_len, "out of memory");
    int fd = -1;
    smile_status st = smile_open_input_fd(path, &fd, msg, msg_len);
    if (st == SMILE_OK) {
        errno = 0;
        t->gz = gzdopen(fd, "rb");
        if (!t->gz) {
            smile_set_msg(msg, msg_len, "%s: cannot open: %s", path,
                          strerror(errno ? errno : ENOMEM));
            close(fd);
            st = SMILE_EIO;
        }
    }
    if (st != SMILE_OK) {
        free(t->path);
        t->path = NULL;
        return st;
    }
    gzbuffer(t->gz, 1u << 18);
    return SMILE_OK;
}

void data_tar_close(data_tar *t) {
    if (t->gz) gzclose(t->gz);
    free(t->path);
    memset(t, 0, sizeof *t);
}

smile_status data_tar_read(data_tar *t, void *buf, size_t n, char *msg, size_t msg_len) {
    SMILE_CHECK(n > t->remaining, SMILE_EINVAL, msg, msg_len,
                "%s: read past the end of entry %s", t->path, t->name);
    SMILE_TRY(data_gz_read_exact(t->gz, t->path, buf, n, t->offset, t->name, msg, msg_len));
    t->offset += n;
    t->remaining -= n;
    return SMILE_OK;
}

/* Skips n bytes of the stream. */
static smile_status skip(data_tar *t, uint64_t n, char *msg, size_t msg_len) {
    unsigned char tmp[8192];
    while (n > 0) {
        size_t k = n < sizeof tmp ? (size_t)n : sizeof tmp;
        SMILE_TRY(data_gz_read_exact(t->gz, t->path, tmp, k, t->offset, "tar data", msg, msg_len));
        t->offset += k;
        n -= k;
    }
    return SMILE_OK;
}

/* Numeric header field: octal text, or GNU base-256 when the top bit is set. */
static int parse_num(const unsigned char *f, size_t len, uint64_t *out) {
    uint64_t v = 0;
    if (f[0] & 0x80) {
        v = f[0] & 0x7f;
        for (size_t i = 1; i < len; i++) {
            if (v >> 55) return -1;
            v = (v << 8) | f[i];
        }
        *out = v;
        return 0;
    }
    size_t i = 0;
    while (i < len && f[i] == ' ') i++;
    int digits = 0;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60) return -1;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    if (i < len && f[i] != 0 && f[i] != ' ') return -1;
    *out = v;
    return digits ? 0 : -1;
}

static int header_ok(const unsigned char *h) {
    uint64_t want;
    if (parse_num(h + 148, 8, &want)) return 0;
    uint64_t su = 0;
    int64_t ss = 0;
    for (int i = 0; i < 512; i++) {
        unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
        su += c;
        ss += (signed char)c;
    }
    return su == want || (uint64_t)ss == want;
}

/* Copies a header string field (not necessarily NUL-terminated). */
static void field(char *dst, size_t cap, const unsigned char *src, size_t len) {
    size_t n = 0;
    while (n < len && src[n]) n++;
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Reads an extension entry's data (long name or pax records) into a buffer. */
static smile_status read_ext(data_tar *t, uint64_t size, char **out, char *msg, size_t msg_len) {
    SMILE_CHECK(size > (1u << 20), SMILE_EFORMAT, msg, msg_len,
                "%s: oversized tar extension header (%llu bytes) at byte %llu", t->path,
                (unsigned long long)size, (unsigned long long)t->offset);
    char *b = malloc((size_t)size + 1);
    SMILE_CHECK(!b, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_status st =
        data_gz_read_exact(t->gz, t->path, b, (size_t)size, t->offset, "a tar header", msg, msg_len);
    if (st != SMILE_OK) {
        free(b);
        return st;
    }
    b[size] = 0;
    t->offset += size;
    uint64_t pad = (512 - size % 512) % 512;
    st = skip(t, pad, msg, msg_len);
    if (st != SMILE_OK) {
        free(b);
        return st;
    }
    *out = b;
    return SMILE_OK;
}

/* Pax extended-header records "LEN key=value\n" of ext[0..size), the data of
 * the extended-header entry xname: LEN is the decimal length of the
 * whole record, newline included. Every record is checked (digits, a space, a
 * record that fits in the buffer and ends in '\n', "key=value" with a non-empty
 * key) before path and size are taken; anything else is SMILE_EFORMAT naming
 * the archive, the entry and the record's byte. */
static smile_status parse_pax(const data_tar *t, const char *ext, size_t size, const char *xname,
                              char *pending, size_t pcap, int *have_pending, uint64_t *pax_size,
                              int *have_pax_size, char *msg, size_t msg_len) {
    size_t at = 0;
    while (at < size) {
        const char *p = ext + at;
        const size_t left = size - at;
        size_t rl = 0, nd = 0;
        while (nd < left && p[nd] >= '0' && p[nd] <= '9' && nd < 19) {
            rl = rl * 10 + (size_t)(p[nd] - '0');
            nd++;
        }
        const char *why = NULL;
        if (nd == 0 || nd >= left || p[nd] != ' ')
            why = "length field is not digits followed by a space";
        else if (rl > left)
            why = "record longer than the extended header";
        else if (rl < nd + 4) /* "N k=\n": at least a key, '=' and the newline */
            why = "record too short for key=value";
        else if (p[rl - 1] != '\n')
            why = "record does not end in a newline";
        /* only now is the record known to lie inside the buffer */
        const char *kv = why ? p : p + nd + 1, *rec_end = why ? p : p + rl - 1; /* at '\n' */
        const char *eq = why ? NULL : memchr(kv, '=', (size_t)(rec_end - kv));
        if (!why && (!eq || eq == kv)) why = "record is not key=value";
        if (why) {
            smile_set_msg(msg, msg_len,
                          "%s: malformed pax extended header of entry '%s' (record at byte %zu "
                          "of %zu): %s",
                          t->path, xname, at, size, why);
            return SMILE_EFORMAT;
        }
        const char *val = eq + 1;
        const size_t klen = (size_t)(eq - kv), vlen = (size_t)(rec_end - val);
        if (klen == 4 && !memcmp(kv, "path", 4)) {
            size_t n = vlen < pcap ? vlen : pcap - 1;
            memcpy(pending, val, n);
            pending[n] = 0;
            *have_pending = 1;
        } else if (klen == 4 && !memcmp(kv, "size", 4)) {
            uint64_t v = 0;
            int ok = vlen > 0 && vlen <= 19;
            for (size_t i = 0; ok && i < vlen; i++) {
                ok = val[i] >= '0' && val[i] <= '9';
                v = v * 10 + (uint64_t)(val[i] - '0');
            }
            if (!ok) {
                smile_set_msg(msg, msg_len,
                              "%s: malformed pax extended header of entry '%s' (record at byte "
                              "%zu): size '%.*s' is not a decimal number",
                              t->path, xname, at, (int)(vlen < 40 ? vlen : 40), val);
                return SMILE_EFORMAT;
            }
            *pax_size = v;
            *have_pax_size = 1;
        }
        at += rl;
    }
    return SMILE_OK;
}

smile_status data_tar_next(data_tar *t, int *more, char *msg, size_t msg_len) {
    *more = 0;
    SMILE_TRY(skip(t, t->remaining + t->pad, msg, msg_len));
    t->remaining = t->pad = 0;
    t->is_file = 0;
    t->name[0] = 0;
    char pending[sizeof t->name] = "";
    int have_pending = 0;
    uint64_t pax_size = 0;
    int have_pax_size = 0;
    for (;;) {
        unsigned char h[512];
        int got = gzread(t->gz, h, 512);
        if (got == 0) return SMILE_OK; /* end without the two zero blocks */
        if (got != 512) {
            int zerr = Z_OK;
            const char *zs = gzerror(t->gz, &zerr);
            SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                        "%s: truncated or corrupt archive at byte %llu: %s", t->path,
                        (unsigned long long)t->offset,
                        zerr != Z_OK && zs ? zs : "partial tar header");
        }
        int zero = 1;
        for (int i = 0; i < 512 && zero; i++) zero = h[i] == 0;
        if (zero) return SMILE_OK; /* end-of-archive marker */
        SMILE_CHECK(!header_ok(h), SMILE_EFORMAT, msg, msg_len,
                    "%s: bad tar header checksum at byte %llu (not a tar archive?)", t->path,
                    (unsigned long long)t->offset);
        uint64_t size;
        SMILE_CHECK(parse_num(h + 124, 12, &size), SMILE_EFORMAT, msg, msg_len,
                    "%s: bad size field in the tar header at byte %llu", t->path,
                    (unsigned long long)t->offset);
        t->offset += 512;
        char type = (char)h[156];
        if (type == 'L' || type == 'x' || type == 'g') {
            char *ext = NULL;
            SMILE_TRY(read_ext(t, size, &ext, msg, msg_len));
            if (type == 'L') {
                snprintf(pending, sizeof pending, "%s", ext);
                have_pending = 1;
            } else if (type == 'x') {
                char xname[101];
                field(xname, sizeof xname, h, 100);
                smile_status st = parse_pax(t, ext, (size_t)size, xname, pending,
                                            sizeof pending, &have_pending, &pax_size,
                                            &have_pax_size, msg, msg_len);
                if (st != SMILE_OK) {
                    free(ext);
                    return st;
                }
            }
            free(ext);
            continue;
        }
        if (have_pending) {
            snprintf(t->name, sizeof t->name, "%s", pending);
        } else {
            char nm[101], pre[156];
            field(nm, sizeof nm, h, 100);
            field(pre, sizeof pre, h + 345, 155);
            if (!memcmp(h + 257, "ustar", 5) && pre[0])
                snprintf(t->name, sizeof t->name, "%s/%s", pre, nm);
            else
                snprintf(t->name, sizeof t->name, "%s", nm);
        }
        if (have_pax_size) size = pax_size;
        t->size = t->remaining = size;
        /* hard links, symlinks, directories, devices carry no data */
        t->is_file = type == '0' || type == 0 || type == '7';
        if (type == '1' || type == '2' || type == '3' || type == '4' || type == '5' ||
            type == '6')
            t->size = t->remaining = 0;
        t->pad = (512 - t->remaining % 512) % 512;
        *more = 1;
        return SMILE_OK;
    }
}

smile_status data_gz_read_exact(gzFile gz, const char *path, void *buf, size_t n,
                                uint64_t offset, const char *what, char *msg, size_t msg_len) {
    unsigned char *p = buf;
    size_t done = 0;
    while (done < n) {
        size_t want = n - done;
        if (want > (1u << 30)) want = 1u << 30;
        int got = gzread(gz, p + done, (unsigned)want);
        if (got <= 0) {
            int zerr = Z_OK;
            const char *zs = gzerror(gz, &zerr);
            /* zlib prefixes its message with the path it was opened with */
            size_t pl = strlen(path);
            if (zs && !strncmp(zs, path, pl) && zs[pl] == ':' && zs[pl + 1] == ' ') zs += pl + 2;
            if (got < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
                smile_set_msg(msg, msg_len,
                              "%s: corrupt or truncated gzip stream at byte %llu of the "
                              "decompressed data while reading %s: %s",
                              path, (unsigned long long)(offset + done), what,
                              zs && *zs ? zs : "read error");
                return SMILE_EFORMAT;
            }
            smile_set_msg(msg, msg_len,
                          "%s: file ends at byte %llu of the (decompressed) data while "
                          "reading %s (%zu more bytes expected)",
                          path, (unsigned long long)(offset + done), what, n - done);
            return SMILE_EFORMAT;
        }
        done += (size_t)got;
    }
    return SMILE_OK;
}
