/* Crash-safe output files (issue 4, item 6): write under a temporary name,
 * fflush + fsync, rename into place, fsync the directory. A reader, or a run
 * killed at any instant (SIGKILL included), sees either the previous complete
 * file or the new complete file, never a truncated one under the final name.
 *
 * Temporary names: "<path>.tmp.<pid>" for one-shot writes (two processes
 * never collide), "<path>.partial" for files streamed over a whole run, which
 * a resumed run reopens and cuts back to the size recorded in its checkpoint. */
#include "io/io_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

char *smile_path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (!s) return NULL;
    memcpy(s, dir, a);
    size_t p = a;
    if (a > 0 && dir[a - 1] != '/') s[p++] = '/';
    memcpy(s + p, name, b + 1);
    return s;
}

static char *str_printf(const char *a, const char *b, long c) {
    size_t n = strlen(a) + strlen(b) + 32;
    char *s = malloc(n);
    if (!s) return NULL;
    if (c >= 0)
        snprintf(s, n, "%s%s%ld", a, b, c);
    else
        snprintf(s, n, "%s%s", a, b);
    return s;
}

static void afile_reset(smile_afile *f) {
    free(f->path);
    free(f->tmp);
    f->path = f->tmp = NULL;
    f->fp = NULL;
}

static smile_status afile_names(smile_afile *f, const char *path, const char *suffix, long pid,
                                char *msg, size_t msg_len) {
    memset(f, 0, sizeof *f);
    SMILE_CHECK(!path || !*path, SMILE_EINVAL, msg, msg_len, "empty output path");
    size_t n = strlen(path) + 1;
    f->path = malloc(n);
    f->tmp = str_printf(path, suffix, pid);
    if (!f->path || !f->tmp) {
        afile_reset(f);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    memcpy(f->path, path, n);
    return SMILE_OK;
}

/* Takes fp (NULL: the failed fopen, errno intact) as the stream of f. */
static smile_status afile_take(smile_afile *f, FILE *fp, const char *what, char *msg,
                               size_t msg_len) {
    if (!fp) {
        smile_set_msg(msg, msg_len, "%s: cannot %s: %s", f->tmp, what, strerror(errno));
        afile_reset(f);
        return SMILE_EIO;
    }
    f->fp = fp;
    return SMILE_OK;
}

smile_status smile_afile_open(smile_afile *f, const char *path, char *msg, size_t msg_len) {
    SMILE_CHECK(!f, SMILE_EINVAL, msg, msg_len, "NULL file");
    SMILE_TRY(afile_names(f, path, ".tmp.", (long)getpid(), msg, msg_len));
    return afile_take(f, fopen(f->tmp, "wb"), "create", msg, msg_len);
}

smile_status smile_afile_open_partial(smile_afile *f, const char *path, long long keep_bytes,
                                      char *msg, size_t msg_len) {
    SMILE_CHECK(!f, SMILE_EINVAL, msg, msg_len, "NULL file");
    SMILE_TRY(afile_names(f, path, ".partial", -1, msg, msg_len));
    FILE *fp;
    if (keep_bytes < 0) {
        fp = fopen(f->tmp, "wb");
    } else {
        struct stat sb;
        if (stat(f->tmp, &sb) != 0) {
            smile_set_msg(msg, msg_len, "%s: cannot resume: %s", f->tmp, strerror(errno));
            afile_reset(f);
            return SMILE_EIO;
        }
        if ((long long)sb.st_size < keep_bytes) {
            smile_set_msg(msg, msg_len, "%s: %lld bytes, the checkpoint expects at least %lld",
                          f->tmp, (long long)sb.st_size, keep_bytes);
            afile_reset(f);
            return SMILE_EFORMAT;
        }
        if (truncate(f->tmp, (off_t)keep_bytes) != 0) {
            smile_set_msg(msg, msg_len, "%s: cannot truncate: %s", f->tmp, strerror(errno));
            afile_reset(f);
            return SMILE_EIO;
        }
        fp = fopen(f->tmp, "r+b");
        if (fp && fseeko(fp, 0, SEEK_END) != 0) {
            fclose(fp);
            fp = NULL;
        }
    }
    return afile_take(f, fp, "open for writing", msg, msg_len);
}

smile_status smile_afile_write(smile_afile *f, const void *buf, size_t len, char *msg,
                               size_t msg_len) {
    SMILE_CHECK(!f || !f->fp, SMILE_EINVAL, msg, msg_len, "file not open");
    const smile_fault_config *fc = smile_fault_get();
    size_t first = 0;
    if (fc && fc->write_rate > 0 && len && smile_fault_write(len, &first)) { /* injected */
        if (first) (void)fwrite(buf, 1, first, (FILE *)f->fp);
        smile_set_msg(msg, msg_len, "%s: write failed: %s (injected by SMILE_FAULT)", f->tmp,
                      strerror(ENOSPC));
        return SMILE_EIO;
    }
    if (len && fwrite(buf, 1, len, (FILE *)f->fp) != len) {
        smile_set_msg(msg, msg_len, "%s: write failed: %s", f->tmp, strerror(errno));
        return SMILE_EIO;
    }
    return SMILE_OK;
}

smile_status smile_afile_sync(smile_afile *f, char *msg, size_t msg_len) {
    SMILE_CHECK(!f || !f->fp, SMILE_EINVAL, msg, msg_len, "file not open");
    FILE *fp = f->fp;
    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
        smile_set_msg(msg, msg_len, "%s: flush failed: %s", f->tmp, strerror(errno));
        return SMILE_EIO;
    }
    return SMILE_OK;
}

/* fsync of the directory holding path, so the rename itself is durable. */
static void sync_dir_of(const char *path) {
    size_t n = strlen(path) + 1;
    char *copy = malloc(n);
    if (!copy) return;
    memcpy(copy, path, n);
    int fd = open(dirname(copy), O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

smile_status smile_afile_commit(smile_afile *f, char *msg, size_t msg_len) {
    SMILE_CHECK(!f || !f->fp, SMILE_EINVAL, msg, msg_len, "file not open");
    FILE *fp = f->fp;
    int bad = fflush(fp) != 0 || fsync(fileno(fp)) != 0;
    int err = errno;
    bad |= fclose(fp) != 0;
    f->fp = NULL;
    if (bad) {
        smile_set_msg(msg, msg_len, "%s: write failed: %s", f->tmp, strerror(err ? err : errno));
        unlink(f->tmp);
        afile_reset(f);
        return SMILE_EIO;
    }
    if (rename(f->tmp, f->path) != 0) {
        smile_set_msg(msg, msg_len, "%s: cannot rename to %s: %s", f->tmp, f->path,
                      strerror(errno));
        unlink(f->tmp);
        afile_reset(f);
        return SMILE_EIO;
    }
    sync_dir_of(f->path);
    afile_reset(f);
    return SMILE_OK;
}

void smile_afile_abort(smile_afile *f) {
    if (!f) return;
    if (f->fp) fclose((FILE *)f->fp);
    if (f->tmp) unlink(f->tmp);
    afile_reset(f);
}

void smile_afile_close_keep(smile_afile *f) {
    if (!f) return;
    if (f->fp) {
        /* no fsync: what a checkpoint refers to was synced when it was
         * taken, and a resume cuts the rest back, so closing many partial
         * files on an interruption costs no disk flushes */
        fclose((FILE *)f->fp);
    }
    afile_reset(f);
}

smile_status smile_write_file_atomic(const char *path, const void *buf, size_t len, char *msg,
                                     size_t msg_len) {
    smile_afile f;
    SMILE_TRY(smile_afile_open(&f, path, msg, msg_len));
    smile_status st = smile_afile_write(&f, buf, len, msg, msg_len);
    if (st != SMILE_OK) {
        smile_afile_abort(&f);
        return st;
    }
    return smile_afile_commit(&f, msg, msg_len);
}

smile_status smile_mkdir_p(const char *dir, char *msg, size_t msg_len) {
    SMILE_CHECK(!dir || !*dir, SMILE_EINVAL, msg, msg_len, "empty directory name");
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            smile_set_msg(msg, msg_len, "%s: cannot create directory: %s", p, strerror(errno));
            free(p);
            return SMILE_EIO;
        }
        p[i] = c;
    }
    struct stat sb;
    int isdir = stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
    free(p);
    SMILE_CHECK(!isdir, SMILE_EIO, msg, msg_len, "%s: not a directory", dir);
    return SMILE_OK;
}

smile_status smile_dir_check_writable(const char *dir, char *msg, size_t msg_len) {
    SMILE_CHECK(!dir || !*dir, SMILE_EINVAL, msg, msg_len, "empty directory name");
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    size_t *made = malloc((n + 1) * sizeof *made); /* ends of the components created */
    if (!p || !made) {
        free(p);
        free(made);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    memcpy(p, dir, n + 1);
    size_t n_made = 0;
    smile_status st = SMILE_OK;
    for (size_t i = 1; i <= n && st == SMILE_OK; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) == 0) {
            made[n_made++] = i;
        } else if (errno != EEXIST) {
            smile_set_msg(msg, msg_len, "%s: cannot create directory %s: %s", dir, p,
                          strerror(errno));
            st = SMILE_EINVAL;
        }
        p[i] = c;
    }
    struct stat sb;
    if (st == SMILE_OK && !(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))) {
        smile_set_msg(msg, msg_len, "%s: not a directory", dir);
        st = SMILE_EINVAL;
    }
    if (st == SMILE_OK) { /* a file can be created in it */
        char name[64];
        snprintf(name, sizeof name, ".smile-probe.%ld", (long)getpid());
        char *probe = smile_path_join(dir, name);
        int fd = probe ? open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
        if (!probe) {
            smile_set_msg(msg, msg_len, "out of memory");
            st = SMILE_ENOMEM;
        } else if (fd < 0) {
            smile_set_msg(msg, msg_len, "%s: cannot write files in it: %s", dir,
                          strerror(errno));
            st = SMILE_EINVAL;
        } else {
            close(fd);
            unlink(probe);
        }
        free(probe);
    }
    while (n_made > 0) { /* leave no trace: remove what was created, deepest first */
        p[made[--n_made]] = 0;
        rmdir(p);
    }
    free(p);
    free(made);
    return st;
}

smile_status smile_json_write_file(const char *path, const struct cJSON *obj, char *msg,
                                   size_t msg_len) {
    SMILE_CHECK(!obj, SMILE_EINVAL, msg, msg_len, "%s: no JSON object", path);
    char *s = cJSON_Print(obj);
    SMILE_CHECK(!s, SMILE_ENOMEM, msg, msg_len, "%s: out of memory formatting JSON", path);
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        cJSON_free(s);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    t[n] = '\n';
    t[n + 1] = 0;
    smile_status st = smile_write_file_atomic(path, t, n + 1, msg, msg_len);
    free(t);
    return st;
}

smile_status smile_json_read_file(const char *path, struct cJSON **out, char *msg,
                                  size_t msg_len) {
    SMILE_CHECK(!out, SMILE_EINVAL, msg, msg_len, "NULL argument");
    *out = NULL;
    char *buf;
    size_t len;
    SMILE_TRY(smile_read_file(path, &buf, &len, msg, msg_len));
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(buf, &end, 1);
    if (!j) {
        size_t line = 1;
        const char *stop = end ? end : buf + len;
        for (const char *c = buf; c < stop && *c; c++) line += *c == '\n';
        smile_set_msg(msg, msg_len, "%s:%zu: malformed JSON", path, line);
        free(buf);
        return SMILE_EFORMAT;
    }
    free(buf);
    *out = j;
    return SMILE_OK;
}
