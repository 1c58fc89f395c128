/* Shared pieces of the smile subcommands: messages, number parsers, name
 * lookups for the option tables (opts.h) and timers. */
#ifndef SMILE_CLI_ARGS_H
#define SMILE_CLI_ARGS_H

#include "smile_fit.h"

#include <stddef.h>
#include <stdint.h>

/* Prints "<prefix>: <message>" as one line on stderr; returns exit code 2. */
int cli_bad(const char *prefix, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* An output file given by option `opt`: refuses (message, returns 2) a path that
 * is empty, an existing directory or non-regular file (FIFO, device), or whose
 * parent is not an existing directory this process may write; returns 0 when the
 * file can be created. Nothing is created. */
int cli_check_out_file(const char *prefix, const char *opt, const char *path);

/* Each returns 0 on success, -1 when s is not a valid value. */
int cli_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out); /* integer in [lo, hi] */
int cli_parse_u64(const char *s, uint64_t *out);                        /* digits only        */
int cli_parse_real(const char *s, double *out);                         /* finite number      */

/* Name lookups (cli_lookup_fn of opts.h) through the library's names. */
#define CLI_SAMPLER_NAMES                                                                  \
    "mclmc, smile-naive, smile, psmile-naive, psmile, sgld, csgld, sghmc, adasghmc, "      \
    "smile-auto, psmile-auto"
#define CLI_MODEL_NAMES "fcn, lenet, resnet7, resnet18, vit, gpt"
int cli_lookup_sampler(const char *s, int *out); /* smile_sampler_kind */
int cli_lookup_model(const char *s, int *out);   /* smile_model_kind   */

/* Random benchmark data from r: inputs x[n × p] N(0, 1) (pixels: random 8-bit
 * values standardised with the Fashion-MNIST mean and sd), targets y[n]
 * N(0, 1) and labels uniform in 0 .. n_classes-1, drawn in that order. */
void cli_random_data(smile_rng *r, size_t n, size_t p, size_t n_classes, int pixels, float *x,
                     float *y, int32_t *labels);

/* Wall-clock and process CPU seconds (monotonic), and peak resident memory. */
double cli_wall_s(void);
double cli_cpu_s(void);
double cli_peak_rss_mb(void);

#endif
