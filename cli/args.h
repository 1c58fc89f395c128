/* Shared argument parsing of the smile subcommands. */
#ifndef SMILE_CLI_ARGS_H
#define SMILE_CLI_ARGS_H

#include <stdint.h>

/* Prints "<prefix>: <message>" as one line on stderr; returns exit code 2. */
int cli_bad(const char *prefix, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Each returns 0 on success, -1 when s is not a valid value. */
int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out); /* integer in [lo, hi] */
int cli_parse_u64(const char *s, uint64_t *out);                        /* digits only        */
int cli_parse_pos(const char *s, double *out, int allow_zero);          /* finite >= 0 (> 0)  */

/* Wall-clock and process CPU seconds (monotonic), and peak resident memory. */
double cli_wall_s(void);
double cli_cpu_s(void);
double cli_peak_rss_mb(void);

#endif
