/* One table-driven option parser for all smile subcommands.
 *
 * A command describes its options as an array of cli_opt rows (long name,
 * value type with its allowed range or choices, destination, help text,
 * default shown) and calls cli_parse(). The parser
 *   - accepts "--name VALUE" and "--name=VALUE"; a repeated option keeps the
 *     last value (every occurrence is checked);
 *   - handles -h/--help (help generated from the table, exit 0) and
 *     -V/--version ("smile <version>", exit 0) for every command;
 *   - reports bad input as exactly one line on stderr and exit code 2:
 *       smile CMD: unknown option '--foo' (see smile CMD --help)
 *       smile CMD: --x needs a value
 *       smile CMD: --x: 'v' is not an integer in 1..4096   (range / choices named)
 *       smile CMD: missing required option --x
 *       smile CMD: unexpected argument 'a' (see smile CMD --help)
 * Checks that depend on several options are done by the command after
 * parsing (cli_given() tells whether an option was given). */
#ifndef SMILE_CLI_OPTS_H
#define SMILE_CLI_OPTS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CLI_FLAG,   /* no value: stores .lo into an int                          */
    CLI_INT,    /* integer in [.lo, .hi] into an int                         */
    CLI_I64,    /* integer in [.lo, .hi] into an int64_t                     */
    CLI_SIZE,   /* integer in [.lo, .hi] (.lo >= 0) into a size_t            */
    CLI_U64,    /* non-negative integer (digits only) into a uint64_t        */
    CLI_REAL,   /* finite number within .dlo/.dhi (.bounds) into a double    */
    CLI_STR,    /* string (may be empty): the argv pointer, a const char *   */
    CLI_BUF,    /* non-empty string copied into a char[.hi] buffer           */
    CLI_CHOICE, /* one of .names (stores .values[i] or i), or via .lookup    */
} cli_type;

/* CLI_REAL bounds: .dlo < v < .dhi with each end open or closed. */
enum {
    CLI_LO_OPEN = 1,   /* v > dlo (otherwise v >= dlo)                        */
    CLI_HI_OPEN = 2,   /* v < dhi (otherwise v <= dhi; dhi = INFINITY: none)  */
    CLI_INF_OK = 4,    /* the word "inf" is accepted as +infinity             */
};

/* cli_opt.flags */
enum {
    CLI_REQUIRED = 1,     /* missing → "missing required option --x"          */
    CLI_SHOW_DEFAULT = 2, /* help shows the destination's value before parsing */
};

/* Name lookup of CLI_CHOICE rows without a names list: 0 and *out set when s
 * is accepted. */
typedef int (*cli_lookup_fn)(const char *s, int *out);

typedef struct {
    const char *name;  /* "--steps"                                           */
    const char *meta;  /* value placeholder in the help ("N"); NULL: flag     */
    cli_type type;
    void *dst;
    int64_t lo, hi;    /* integer range; CLI_FLAG: value stored (lo);
                        * CLI_BUF: buffer size (hi)                           */
    double dlo, dhi;   /* CLI_REAL range, see bounds                          */
    unsigned bounds;   /* CLI_LO_OPEN | CLI_HI_OPEN | CLI_INF_OK              */
    const char *const *names; /* CLI_CHOICE: accepted names, NULL-terminated  */
    const int *values;        /* CLI_CHOICE: value stored per name (NULL: i)  */
    cli_lookup_fn lookup;     /* CLI_CHOICE without names: name → value       */
    const char *choices;      /* CLI_CHOICE with lookup: "a, b, c" for errors */
    unsigned flags;    /* CLI_REQUIRED | CLI_SHOW_DEFAULT                     */
    const char *def;   /* default shown in the help, "(default <def>)"       */
    const char *help;  /* one paragraph, word-wrapped; '\n' forces a break    */
    int at;            /* set by cli_parse: argv index of the last occurrence
                        * (0: not given)                                      */
} cli_opt;

/* Row helpers: {"--name", "META", CLI_xxx(...), .help = "...", ...}. The
 * conditional expression makes the compiler check the destination's type. */
#define CLI_DST_(T, p) (1 ? (p) : (T *)0)
#define CLI_SETS(p, v) .type = CLI_FLAG, .dst = CLI_DST_(int, p), .lo = (v)
#define CLI_INT_IN(p, a, b) .type = CLI_INT, .dst = CLI_DST_(int, p), .lo = (a), .hi = (b)
#define CLI_I64_IN(p, a, b) .type = CLI_I64, .dst = CLI_DST_(int64_t, p), .lo = (a), .hi = (b)
#define CLI_SIZE_IN(p, a, b) .type = CLI_SIZE, .dst = CLI_DST_(size_t, p), .lo = (a), .hi = (b)
#define CLI_U64_ANY(p) .type = CLI_U64, .dst = CLI_DST_(uint64_t, p)
#define CLI_REAL_IN(p, a, b, bnd) \
    .type = CLI_REAL, .dst = CLI_DST_(double, p), .dlo = (a), .dhi = (b), .bounds = (bnd)
#define CLI_POSITIVE(p) CLI_REAL_IN(p, 0, INFINITY, CLI_LO_OPEN)
#define CLI_NONNEG(p) CLI_REAL_IN(p, 0, INFINITY, 0)
#define CLI_STRING(p) .type = CLI_STR, .dst = CLI_DST_(const char *, p)
#define CLI_BUFFER(buf) .type = CLI_BUF, .dst = (char *)(buf), .hi = (int64_t)sizeof(buf)
#define CLI_ONE_OF(p, nm, val) \
    .type = CLI_CHOICE, .dst = CLI_DST_(int, p), .names = (nm), .values = (val)
#define CLI_LOOKUP(p, fn, list) \
    .type = CLI_CHOICE, .dst = CLI_DST_(int, p), .lookup = (fn), .choices = (list)

/* A command: the rows plus the plain-text parts of its help. */
typedef struct {
    const char *name;     /* "analytic"; NULL: the top-level `smile`          */
    const char *args;     /* usage text after the required options ("DIR")   */
    const char *usage2;   /* further synopsis lines (after "       smile CMD ") */
    const char *prologue; /* help text between the usage and the options      */
    const char *epilogue; /* help text after the options                      */
    void (*extra)(FILE *f); /* help: printed after the options (may be NULL) */
    cli_opt *opts;
    size_t n_opts;
    const char **pos;     /* positional arguments found (at most max_pos; 0:
                           * any is "unexpected argument")                   */
    int max_pos, n_pos;
} cli_cmd;

#define CLI_CONTINUE (-1)
#define CLI_N(table) (sizeof(table) / sizeof((table)[0]))

/* Parses argv[1..argc-1] (argv[0] is the command name) into the rows'
 * destinations. Returns CLI_CONTINUE to go on, or the exit code to return:
 * 0 after --help / --version, 2 after bad input (one line printed). */
int cli_parse(cli_cmd *c, int argc, char **argv);

/* Prints the help generated from the table; cli_parse prints it for -h/--help
 * with the defaults as they were before parsing. */
void cli_help(const cli_cmd *c, FILE *f);

/* Writes text word-wrapped as the help does: from column pos (the caller
 * has written that much of the line), further lines indented to column col,
 * then a newline. */
void cli_wrap(FILE *f, const char *text, int col, int pos);

/* Whether option `name` ("--steps") was given in the last cli_parse. */
int cli_given(const cli_cmd *c, const char *name);

/* "smile" or "smile <name>": the prefix of every message of the command. */
const char *cli_prefix(const cli_cmd *c, char *buf, size_t n);

#endif
