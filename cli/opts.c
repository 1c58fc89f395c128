/* The table-driven option parser and help generator (see opts.h). */
#include "opts.h"

#include "args.h"
#include "smile_fit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HELP_WIDTH 80 /* help lines are at most this long (unless a word is longer) */
#define HELP_COL 22   /* column of the option texts                              */
#define DEF_LEN 48    /* room for one default value                              */

const char *cli_prefix(const cli_cmd *c, char *buf, size_t n) {
    if (c->name) snprintf(buf, n, "smile %s", c->name);
    else snprintf(buf, n, "smile");
    return buf;
}

/* ---- values ---------------------------------------------------------------- */

/* An integer bound as written in messages: 2^k for large powers of two. */
static const char *fmt_bound(int64_t v, char *buf, size_t n) {
    if (v == INT32_MAX) return "2^31-1";
    if (v >= (INT64_C(1) << 20) && (v & (v - 1)) == 0) {
        int k = 0;
        while ((INT64_C(1) << k) != v) k++;
        snprintf(buf, n, "2^%d", k);
    } else {
        snprintf(buf, n, "%" PRId64, v);
    }
    return buf;
}

/* The allowed range of a CLI_REAL row, e.g. "> 0", ">= 0", "in [0, 1)". */
static void fmt_real_range(const cli_opt *o, char *buf, size_t n) {
    const int lo_open = (o->bounds & CLI_LO_OPEN) != 0, hi_open = (o->bounds & CLI_HI_OPEN) != 0;
    if (isinf(o->dhi))
        snprintf(buf, n, "%s %g%s", lo_open ? ">" : ">=", o->dlo,
                 (o->bounds & CLI_INF_OK) ? " (or inf)" : "");
    else
        snprintf(buf, n, "in %c%g, %g%c", lo_open ? '(' : '[', o->dlo, o->dhi, hi_open ? ')' : ']');
}

static int real_ok(const cli_opt *o, double v) {
    if (o->bounds & CLI_LO_OPEN ? !(v > o->dlo) : !(v >= o->dlo)) return 0;
    if (o->bounds & CLI_HI_OPEN ? !(v < o->dhi) : !(v <= o->dhi)) return 0;
    return 1;
}

/* "a, b, c": the accepted names of a CLI_CHOICE row. */
static void fmt_choices(const cli_opt *o, char *buf, size_t n) {
    if (!o->names) {
        snprintf(buf, n, "%s", o->choices ? o->choices : "");
        return;
    }
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; o->names[i] && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "", o->names[i]);
}

static int choice_value(const cli_opt *o, const char *v, int *out) {
    if (!o->names) return o->lookup(v, out);
    for (int i = 0; o->names[i]; i++)
        if (!strcmp(v, o->names[i])) {
            *out = o->values ? o->values[i] : i;
            return 0;
        }
    return -1;
}

/* Checks v and stores it in o's destination; returns CLI_CONTINUE or 2. */
static int store(const char *pfx, const cli_opt *o, const char *v) {
    char b1[32], b2[256];
    int64_t iv;
    double dv;
    int cv;
    switch (o->type) {
    case CLI_FLAG:
        *(int *)o->dst = (int)o->lo;
        return CLI_CONTINUE;
    case CLI_INT:
    case CLI_I64:
    case CLI_SIZE:
        if (cli_parse_i64(v, o->lo, o->hi, &iv) && o->hi == INT64_MAX)
            return cli_bad(pfx, "%s: '%s' is not an integer >= %s", o->name, v,
                           fmt_bound(o->lo, b1, sizeof b1));
        if (cli_parse_i64(v, o->lo, o->hi, &iv))
            return cli_bad(pfx, "%s: '%s' is not an integer in %s..%s", o->name, v,
                           fmt_bound(o->lo, b1, sizeof b1), fmt_bound(o->hi, b2, sizeof b2));
        if (o->type == CLI_INT) *(int *)o->dst = (int)iv;
        else if (o->type == CLI_I64) *(int64_t *)o->dst = iv;
        else *(size_t *)o->dst = (size_t)iv;
        return CLI_CONTINUE;
    case CLI_U64:
        if (cli_parse_u64(v, (uint64_t *)o->dst))
            return cli_bad(pfx, "%s: '%s' is not a non-negative integer", o->name, v);
        return CLI_CONTINUE;
    case CLI_REAL:
        if ((o->bounds & CLI_INF_OK) && !strcmp(v, "inf")) {
            *(double *)o->dst = INFINITY;
            return CLI_CONTINUE;
        }
        if (cli_parse_real(v, &dv)) dv = NAN;
        if (!real_ok(o, dv)) {
            fmt_real_range(o, b2, sizeof b2);
            return cli_bad(pfx, "%s: '%s' is not a number %s", o->name, v, b2);
        }
        *(double *)o->dst = dv;
        return CLI_CONTINUE;
    case CLI_STR:
        *(const char **)o->dst = v;
        return CLI_CONTINUE;
    case CLI_BUF:
        if (!*v || strlen(v) >= (size_t)o->hi)
            return cli_bad(pfx, "%s: empty or longer than %d characters", o->name, (int)o->hi - 1);
        snprintf((char *)o->dst, (size_t)o->hi, "%s", v);
        return CLI_CONTINUE;
    case CLI_CHOICE:
        if (choice_value(o, v, &cv)) {
            fmt_choices(o, b2, sizeof b2);
            return cli_bad(pfx, "%s: unknown value '%s' (%s)", o->name, v, b2);
        }
        *(int *)o->dst = cv;
        return CLI_CONTINUE;
    }
    return CLI_CONTINUE;
}

/* %g without the exponent's plus sign and leading zeros: 1e6, 3e-5. */
static void fmt_real(double v, char *buf, size_t n) {
    char t[40], *e;
    snprintf(t, sizeof t, "%g", v);
    if ((e = strchr(t, 'e'))) {
        char *p = e + 1, *q = e + 1;
        if (*p == '+') p++;
        else if (*p == '-') *q++ = *p++;
        while (*p == '0' && p[1]) p++;
        memmove(q, p, strlen(p) + 1);
    }
    snprintf(buf, n, "%s", t);
}

/* The destination's current value as text (the default shown in the help). */
static void fmt_value(const cli_opt *o, char *buf, size_t n) {
    buf[0] = 0;
    switch (o->type) {
    case CLI_INT: snprintf(buf, n, "%d", *(const int *)o->dst); break;
    case CLI_I64: snprintf(buf, n, "%" PRId64, *(const int64_t *)o->dst); break;
    case CLI_SIZE: snprintf(buf, n, "%zu", *(const size_t *)o->dst); break;
    case CLI_U64: snprintf(buf, n, "%" PRIu64, *(const uint64_t *)o->dst); break;
    case CLI_REAL: fmt_real(*(const double *)o->dst, buf, n); break;
    case CLI_STR:
        if (*(const char *const *)o->dst) snprintf(buf, n, "%s", *(const char *const *)o->dst);
        break;
    case CLI_BUF: snprintf(buf, n, "%s", (const char *)o->dst); break;
    case CLI_CHOICE:
        for (int i = 0; o->names && o->names[i]; i++)
            if ((o->values ? o->values[i] : i) == *(const int *)o->dst)
                snprintf(buf, n, "%s", o->names[i]);
        break;
    case CLI_FLAG: break;
    }
}

/* ---- help -------------------------------------------------------------------- */

/* Writes text word-wrapped from column *pos (lines continue at column col,
 * at most HELP_WIDTH wide); '\n' in text starts a new line. */
static void wrap(FILE *f, const char *text, int col, int *pos);

void cli_wrap(FILE *f, const char *text, int col, int pos) {
    wrap(f, text, col, &pos);
    fputc('\n', f);
}

static void wrap(FILE *f, const char *text, int col, int *pos) {
    const char *w = text;
    int first = 1;
    while (*w) {
        if (*w == '\n') {
            fprintf(f, "\n%*s", col, "");
            *pos = col;
            first = 1;
            w++;
            continue;
        }
        if (*w == ' ') {
            w++;
            continue;
        }
        int len = (int)strcspn(w, " \n");
        if (!first && *pos + 1 + len > HELP_WIDTH) {
            fprintf(f, "\n%*s", col, "");
            *pos = col;
            first = 1;
        }
        *pos += fprintf(f, "%s%.*s", first ? "" : " ", len, w);
        first = 0;
        w += len;
    }
}

static void help_row(FILE *f, const char *left, const char *text, const char *def) {
    int pos = fprintf(f, "  %s", left);
    if (pos + 2 > HELP_COL) fprintf(f, "\n%*s", HELP_COL, "");
    else fprintf(f, "%*s", HELP_COL - pos, "");
    pos = HELP_COL;
    if (def && *def) {
        size_t n = strlen(text) + strlen(def) + 16;
        char *t = malloc(n);
        if (t) {
            snprintf(t, n, "%s%s(default %s)", text, *text ? " " : "", def);
            wrap(f, t, HELP_COL, &pos);
            free(t);
        }
    } else {
        wrap(f, text, HELP_COL, &pos);
    }
    fputc('\n', f);
}

static void print_rows(FILE *f, const cli_cmd *c, const char (*defs)[DEF_LEN], int required) {
    for (size_t i = 0; i < c->n_opts; i++) {
        const cli_opt *o = &c->opts[i];
        if (!!(o->flags & CLI_REQUIRED) != required) continue;
        char left[96];
        snprintf(left, sizeof left, "%s%s%s", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
        help_row(f, left, o->help ? o->help : "", o->def ? o->def : defs ? defs[i] : NULL);
    }
}

static void print_help(const cli_cmd *c, FILE *f, const char (*defs)[DEF_LEN]) {
    char pfx[64];
    cli_prefix(c, pfx, sizeof pfx);
    int pos = fprintf(f, "usage: %s", pfx), col = pos + 1, n_req = 0;
    for (size_t i = 0; i < c->n_opts; i++) {
        const cli_opt *o = &c->opts[i];
        if (!(o->flags & CLI_REQUIRED)) continue;
        n_req++;
        char w[96];
        snprintf(w, sizeof w, " %s%s%s", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
        if (pos + (int)strlen(w) > HELP_WIDTH) {
            fprintf(f, "\n%*s", col - 1, "");
            pos = col - 1;
        }
        pos += fprintf(f, "%s", w);
    }
    if (c->args) pos += fprintf(f, " %s", c->args);
    if ((size_t)n_req < c->n_opts) fprintf(f, " [options]");
    fputc('\n', f);
    for (const char *u = c->usage2; u && *u;) {
        size_t len = strcspn(u, "\n");
        fprintf(f, "       %s %.*s\n", pfx, (int)len, u);
        u += len + (u[len] == '\n');
    }
    if (c->prologue) fprintf(f, "\n%s", c->prologue);
    if (n_req) {
        fprintf(f, "\nrequired:\n");
        print_rows(f, c, defs, 1);
    }
    fprintf(f, "\noptions:\n");
    print_rows(f, c, defs, 0);
    help_row(f, "-h, --help", "print this help and exit", NULL);
    help_row(f, "-V, --version", "print the version (\"smile <version>\") and exit", NULL);
    if (c->extra) {
        fputc('\n', f);
        c->extra(f);
    }
    if (c->epilogue) fprintf(f, "\n%s", c->epilogue);
}

/* Defaults shown in the help: the rows' destinations before parsing. */
static char (*snapshot_defaults(const cli_cmd *c))[DEF_LEN] {
    char (*defs)[DEF_LEN] = calloc(c->n_opts ? c->n_opts : 1, sizeof *defs);
    for (size_t i = 0; defs && i < c->n_opts; i++)
        if (c->opts[i].flags & CLI_SHOW_DEFAULT) fmt_value(&c->opts[i], defs[i], DEF_LEN);
    return defs;
}

void cli_help(const cli_cmd *c, FILE *f) {
    char(*defs)[DEF_LEN] = snapshot_defaults(c);
    print_help(c, f, (const char(*)[DEF_LEN])defs);
    free(defs);
}

/* ---- parsing ------------------------------------------------------------------ */

static cli_opt *find(cli_cmd *c, const char *a, size_t len) {
    for (size_t i = 0; i < c->n_opts; i++)
        if (strlen(c->opts[i].name) == len && !strncmp(c->opts[i].name, a, len))
            return &c->opts[i];
    return NULL;
}

int cli_given(const cli_cmd *c, const char *name) {
    for (size_t i = 0; i < c->n_opts; i++)
        if (!strcmp(c->opts[i].name, name)) return c->opts[i].at > 0;
    return 0;
}

/* One argument at argv[*i] (an option takes its value from argv[*i + 1]). */
static int parse_one(cli_cmd *c, const char *pfx, int argc, char **argv, int *i,
                     const char (*defs)[DEF_LEN]) {
    const char *a = argv[*i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        print_help(c, stdout, defs);
        return 0;
    }
    if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
        printf("smile %s\n", smile_version());
        return 0;
    }
    if (a[0] != '-' || !a[1]) {
        if (c->n_pos >= c->max_pos)
            return cli_bad(pfx, "unexpected argument '%s' (see %s --help)", a, pfx);
        c->pos[c->n_pos++] = a;
        return CLI_CONTINUE;
    }
    const char *eq = strncmp(a, "--", 2) ? NULL : strchr(a, '=');
    cli_opt *o = find(c, a, eq ? (size_t)(eq - a) : strlen(a));
    if (!o) return cli_bad(pfx, "unknown option '%s' (see %s --help)", a, pfx);
    o->at = *i;
    const char *v = NULL;
    if (o->type == CLI_FLAG) {
        if (eq) return cli_bad(pfx, "%s does not take a value", o->name);
    } else if (eq) {
        v = eq + 1;
    } else if (*i + 1 < argc) {
        v = argv[++*i];
    } else {
        return cli_bad(pfx, "%s needs a value", o->name);
    }
    return store(pfx, o, v);
}

int cli_parse(cli_cmd *c, int argc, char **argv) {
    char pfx[64];
    cli_prefix(c, pfx, sizeof pfx);
    char(*defs)[DEF_LEN] = snapshot_defaults(c);
    if (!defs) return cli_bad(pfx, "out of memory");
    for (size_t i = 0; i < c->n_opts; i++) c->opts[i].at = 0;
    c->n_pos = 0;
    int rc = CLI_CONTINUE;
    for (int i = 1; i < argc && rc == CLI_CONTINUE; i++)
        rc = parse_one(c, pfx, argc, argv, &i, (const char(*)[DEF_LEN])defs);
    for (size_t i = 0; rc == CLI_CONTINUE && i < c->n_opts; i++)
        if ((c->opts[i].flags & CLI_REQUIRED) && !c->opts[i].at)
            rc = cli_bad(pfx, "missing required option %s", c->opts[i].name);
    free(defs);
    return rc;
}
