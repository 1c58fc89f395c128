/* Reading delimited text tables (see table.h for the accepted format).
 *
 * The file is read whole, then tokenised once into rows of fields held in
 * one block (names and cells point into it). Delimiter detection looks at
 * the first lines outside quotes: a tab, comma or semicolon that appears the
 * same non-zero number of times on every sampled line wins (in that order),
 * otherwise fields are separated by runs of blanks. Header detection: the
 * first row is a header when some column is numeric in the following rows
 * but not in the first row, or when no column is numeric anywhere and the
 * first row's values all differ from every value below them. */
#include "data/table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SNIFF_LINES 20
#define HEADER_ROWS 50

smile_table_options smile_table_options_default(void) {
    smile_table_options o = {-1, 0};
    return o;
}

int smile_table_cell_missing(const char *c) {
    while (*c == ' ' || *c == '\t') c++;
    if (!*c) return 1;
    static const char *tokens[] = {"na", "n/a", "nan", "null", "?"};
    size_t n = strlen(c);
    while (n > 0 && (c[n - 1] == ' ' || c[n - 1] == '\t')) n--;
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        if (strlen(tokens[i]) == n && !strncasecmp(c, tokens[i], n)) return 1;
    return 0;
}

int smile_table_cell_number(const char *c, double *v) {
    while (*c == ' ' || *c == '\t') c++;
    if (!*c) return -1;
    errno = 0;
    char *e;
    double x = strtod(c, &e);
    if (e == c) return -1;
    while (*e == ' ' || *e == '\t') e++;
    /* hex floats, "inf" and "nan" are not numbers in a data table */
    if (*e || !isfinite(x) || strpbrk(c, "xXnN")) return -1;
    if (errno == ERANGE && x != 0) return -1;
    *v = x;
    return 0;
}

/* The whole file; a NUL byte means it is not a text table. */
static smile_status read_whole(const char *path, char **out, size_t *len, char *msg,
                               size_t msg_len) {
    SMILE_TRY(smile_read_file(path, out, len, msg, msg_len));
    if (memchr(*out, 0, *len)) {
        free(*out);
        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len, "%s: binary data (a NUL byte) in a text table",
                    path);
    }
    return SMILE_OK;
}

/* Counts c outside double quotes on each of the first lines; returns 1 when
 * the count is the same non-zero number on every one of them. */
static int consistent_delim(const char *s, char c) {
    long want = -1, cur = 0;
    int lines = 0, quoted = 0, blank = 1;
    for (const char *p = s;; p++) {
        if (*p == '"') quoted = !quoted;
        if (*p == 0 && quoted) break; /* an unterminated quote: the tokeniser reports it */
        if (!quoted && (*p == '\n' || *p == 0)) {
            if (!blank) {
                if (want < 0) want = cur;
                if (cur != want || cur == 0) return 0;
                if (++lines == SNIFF_LINES) break;
            }
            if (*p == 0) break;
            cur = 0;
            blank = 1;
            continue;
        }
        if (*p != ' ' && *p != '\t' && *p != '\r') blank = 0;
        if (!quoted && *p == c) cur++;
    }
    return lines > 0;
}

static char sniff_delim(const char *s) {
    static const char cand[] = {'\t', ',', ';'};
    for (int i = 0; i < 3; i++)
        if (consistent_delim(s, cand[i])) return cand[i];
    /* no consistent count (a ragged or broken file): the candidate seen most
     * often on the first non-blank line, so the error names the right line */
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    size_t best = 0;
    char pick = ' ';
    for (int i = 0; i < 3; i++) {
        size_t n = 0;
        for (const char *p = s; *p && *p != '\n'; p++) n += *p == cand[i];
        if (n > best) best = n, pick = cand[i];
    }
    return pick;
}

typedef struct {
    char **fields; /* pointers into the (rewritten) text */
    size_t n, cap;
    size_t *row_start, *row_line; /* first field and line of each row */
    size_t rows, rcap;
} tokens;

static int push(void **p, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    if (nc > SIZE_MAX / elem) return -1;
    void *q = realloc(*p, nc * elem);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

/* If only blanks remain on the line at *p: moves *p past its end (counting
 * the line) and returns 1; else 0. */
static int skip_blank_rest(char **p, size_t *line) {
    char *q = *p;
    while (*q == ' ' || *q == '\t' || *q == '\r') q++;
    if (*q != '\n' && *q != 0) return 0;
    if (*q == '\n') ++*line, q++;
    *p = q;
    return 1;
}

/* Splits the text in place into fields (unquoting, trimming blanks around
 * unquoted fields) and rows; blank lines are skipped. */
static smile_status tokenise(char *s, char delim, tokens *tk, const char *path, char *msg,
                             size_t msg_len) {
    size_t line = 1;
    char *p = s;
    while (*p) {
        if (skip_blank_rest(&p, &line)) continue; /* a blank line */
        size_t old_cap = tk->rcap;
        int fail = push((void **)&tk->row_start, &tk->rcap, tk->rows, sizeof(size_t));
        if (!fail && tk->rcap != old_cap) {
            size_t *nl = realloc(tk->row_line, tk->rcap * sizeof(size_t));
            if (nl) tk->row_line = nl;
            fail = !nl;
        }
        SMILE_CHECK(fail, SMILE_ENOMEM, msg, msg_len, "%s: out of memory", path);
        tk->row_start[tk->rows] = tk->n;
        tk->row_line[tk->rows] = line;
        tk->rows++;
        const size_t row_line = line;
        for (;;) { /* one field */
            if (delim == ' ')
                while (*p == ' ' || *p == '\t') p++;
            else
                while (*p == ' ') p++;
            char *out = p, *start = p;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (*p == 0)
                        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                                    "%s: line %zu: unterminated quoted field", path, row_line);
                    if (*p == '"' && p[1] == '"') {
                        *out++ = '"';
                        p += 2;
                    } else if (*p == '"') {
                        p++;
                        break;
                    } else {
                        if (*p == '\n') line++;
                        *out++ = *p++;
                    }
                }
                while (*p == ' ' || (delim != '\t' && *p == '\t') || *p == '\r') p++;
                if (*p && *p != '\n' && *p != delim && !(delim == ' ' && *p == '\t'))
                    SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                                "%s: line %zu: text after a closing quote", path, line);
            } else {
                while (*p && *p != '\n' && *p != delim && !(delim == ' ' && *p == '\t')) p++;
                out = p;
                while (out > start && (out[-1] == ' ' || out[-1] == '\r' ||
                                       (delim != '\t' && out[-1] == '\t')))
                    out--;
            }
            char end = *p;
            *out = 0; /* terminates the field (p >= out) */
            if (push((void **)&tk->fields, &tk->cap, tk->n, sizeof(char *)))
                SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "%s: out of memory", path);
            tk->fields[tk->n++] = start;
            if (end == 0) break;
            p++;
            if (end == '\n') {
                line++;
                break;
            }
            if (delim == ' ' && skip_blank_rest(&p, &line)) break; /* trailing blanks */
        }
    }
    return SMILE_OK;
}

static int is_number(const char *c) {
    double v;
    return smile_table_cell_number(c, &v) == 0;
}

/* Header rule of the file comment, on the first HEADER_ROWS rows. */
static int detect_header(char *const *f, size_t rows, size_t cols) {
    if (rows < 2) return -1; /* decided by the caller */
    size_t last = rows < HEADER_ROWS ? rows : HEADER_ROWS;
    int any_numeric = 0;
    for (size_t j = 0; j < cols; j++) {
        int numeric_below = 1, seen = 0;
        for (size_t r = 1; r < last; r++) {
            const char *c = f[r * cols + j];
            if (smile_table_cell_missing(c)) continue;
            seen = 1;
            if (!is_number(c)) numeric_below = 0;
        }
        if (numeric_below && seen) {
            any_numeric = 1;
            if (!is_number(f[j]) && !smile_table_cell_missing(f[j])) return 1;
        }
    }
    if (any_numeric) return 0;
    for (size_t j = 0; j < cols; j++)
        for (size_t r = 1; r < last; r++)
            if (!strcmp(f[j], f[r * cols + j])) return 0;
    return 1;
}

void smile_table_free(smile_table *t) {
    if (!t) return;
    void *owned[] = {t->path, t->names, t->cells, t->line, t->store_, t->text_};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free(owned[i]);
    memset(t, 0, sizeof *t);
}

/* Lays the tokens out as names + cells; checks widths and names. */
static smile_status build(smile_table *t, tokens *tk, int header, char *msg, size_t msg_len) {
    const char *path = t->path;
    size_t cols = (tk->rows > 1 ? tk->row_start[1] : tk->n) - tk->row_start[0];
    for (size_t r = 0; r < tk->rows; r++) {
        size_t end = r + 1 < tk->rows ? tk->row_start[r + 1] : tk->n;
        size_t w = end - tk->row_start[r];
        SMILE_CHECK(w != cols, SMILE_EFORMAT, msg, msg_len,
                    "%s: line %zu has %zu fields, expected %zu (as on line %zu)", path,
                    tk->row_line[r], w, cols, tk->row_line[0]);
    }
    if (header < 0) header = detect_header(tk->fields, tk->rows, cols);
    if (header < 0) { /* a single row: names only (no number among them) is a header */
        header = 1;
        for (size_t j = 0; j < cols; j++) header &= !is_number(tk->fields[j]);
    }
    SMILE_CHECK(header && tk->rows < 2, SMILE_EFORMAT, msg, msg_len,
                "%s: only a header line, no data rows", path);
    t->has_header = header;
    t->n_cols = cols;
    t->n_rows = tk->rows - (size_t)header;
    t->names = calloc(cols, sizeof *t->names);
    t->cells = malloc(t->n_rows * cols * sizeof *t->cells);
    t->line = malloc(t->n_rows * sizeof *t->line);
    /* generated names "colN": at most 24 bytes each */
    t->store_ = malloc(cols * 24 + 1);
    SMILE_CHECK(!t->names || !t->cells || !t->line || !t->store_, SMILE_ENOMEM, msg, msg_len,
                "%s: out of memory", path);
    for (size_t j = 0; j < cols; j++) {
        if (header) {
            t->names[j] = tk->fields[j];
            SMILE_CHECK(!t->names[j][0], SMILE_EFORMAT, msg, msg_len,
                        "%s: line %zu: column %zu has an empty name", path, tk->row_line[0],
                        j + 1);
            for (size_t k = 0; k < j; k++)
                SMILE_CHECK(!strcmp(t->names[k], t->names[j]), SMILE_EFORMAT, msg, msg_len,
                            "%s: line %zu: columns %zu and %zu have the same name '%s'", path,
                            tk->row_line[0], k + 1, j + 1, t->names[j]);
        } else {
            t->names[j] = t->store_ + 24 * j;
            snprintf(t->names[j], 24, "col%zu", j + 1);
        }
    }
    memcpy(t->cells, tk->fields + (size_t)header * cols, t->n_rows * cols * sizeof(char *));
    memcpy(t->line, tk->row_line + header, t->n_rows * sizeof(size_t));
    return SMILE_OK;
}

smile_status smile_table_read(smile_table *t, const char *path, const smile_table_options *o,
                              char *msg, size_t msg_len) {
    SMILE_CHECK(!t || !path, SMILE_EINVAL, msg, msg_len, "table: NULL argument");
    memset(t, 0, sizeof *t);
    smile_table_options def = smile_table_options_default();
    if (!o) o = &def;
    SMILE_CHECK(o->delim && !strchr(",;\t ", o->delim), SMILE_EINVAL, msg, msg_len,
                "table: unsupported delimiter");
    char *text = NULL;
    size_t len = 0;
    SMILE_TRY(read_whole(path, &text, &len, msg, msg_len));
    t->path = malloc(strlen(path) + 1);
    if (!t->path) {
        free(text);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    strcpy(t->path, path);
    char *s = text;
    if (len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
        (unsigned char)s[2] == 0xBF)
        s += 3;
    t->delim = o->delim ? o->delim : sniff_delim(s);
    tokens tk = {0};
    smile_status st = tokenise(s, t->delim, &tk, path, msg, msg_len);
    if (st == SMILE_OK && tk.rows == 0) {
        smile_set_msg(msg, msg_len, "%s: empty file (no rows)", path);
        st = SMILE_EFORMAT;
    }
    if (st == SMILE_OK) st = build(t, &tk, o->header, msg, msg_len);
    free(tk.fields);
    free(tk.row_start);
    free(tk.row_line);
    if (st != SMILE_OK) {
        free(text);
        smile_table_free(t);
        return st;
    }
    t->text_ = text; /* names and cells point into it */
    return SMILE_OK;
}

long smile_table_column(const smile_table *t, const char *key) {
    for (size_t j = 0; j < t->n_cols; j++)
        if (!strcmp(t->names[j], key)) return (long)j;
    char *e;
    errno = 0;
    long v = strtol(key, &e, 10);
    if (*key >= '0' && *key <= '9' && !*e && !errno && v >= 1 && (size_t)v <= t->n_cols)
        return v - 1;
    return -1;
}
