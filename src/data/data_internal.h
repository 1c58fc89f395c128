/* Private helpers of src/data: tar-over-gzip reader, JPEG decoding, the
 * antialiased bilinear resize of docs/experiments.md, section 2.2, path utilities and the
 * common finalisation of image data sets. */
#ifndef SMILE_DATA_INTERNAL_H
#define SMILE_DATA_INTERNAL_H

#include "data/data.h"

#include <stdint.h>
#include <zlib.h>

/* ---- paths ------------------------------------------------------------- */
int data_is_dir(const char *path);
int data_is_file(const char *path);
/* The message for a path that is neither a regular file nor a folder ("no such
 * file or folder", or "not a regular file or folder (a FIFO)"); returns SMILE_EIO. */
smile_status data_path_error(const char *path, char *msg, size_t msg_len);
/* Case-insensitive suffix test. */
int data_ends_with(const char *s, const char *suffix);
/* Joins a/b into a fresh malloc'ed string (NULL on failure). */
char *data_join(const char *a, const char *b);
char *data_strdup(const char *s);
/* Last path component (pointer into s). */
const char *data_basename(const char *s);

/* ---- dataset helpers ---------------------------------------------------- */
/* Zeroes *ds and stores a copy of path; SMILE_ENOMEM on failure. */
smile_status data_begin(smile_dataset *ds, smile_data_task task, const char *path, char *msg,
                        size_t msg_len);
/* Identity permutation of n, shuffled with the split stream of `seed`. */
/* A loader of one image data set, called by data_load. */
typedef smile_status (*data_loader)(smile_dataset *ds, const char *path,
                                    const smile_data_options *opts, char *msg, size_t msg_len);
/* The public entry of a loader: SMILE_EINVAL naming it (name) when ds or path
 * is NULL; else clears ds and runs load with opts, or the defaults when opts
 * is NULL. */
smile_status data_load(smile_dataset *ds, const char *path, const smile_data_options *opts,
                       data_loader load, const char *name, char *msg, size_t msg_len);
/* After data_begin: an image data set of n rows of h × w × c values (sizes,
 * x, labels, orig_index allocated; SMILE_ENOMEM also when n does not fit the
 * uint32 row indices), its k class names, and the split of data_image_split
 * with its permutation in ds->orig_index. */
smile_status data_image_setup(smile_dataset *ds, size_t n, size_t h, size_t w, size_t c,
                              const char *const *names, size_t k, size_t n_off_train,
                              double f_train, uint64_t seed, char *msg, size_t msg_len);
void data_split_permutation(uint32_t *perm, size_t n, uint64_t seed);
/* Image data sets (docs/experiments.md, section 2.2): rows 0..n_off_train-1 (official train, in
 * source order) are shuffled with the seed, the n − n_off_train test rows are kept last; split:
 * train = ⌊n·f_train⌋ (capped at n_off_train), valid = the rest of the official train part, test
 * = the official test part. For the real sizes this equals smile_split_sizes(n, f_train, f_valid)
 * (docs/experiments.md, section 2.2). Fills perm[n] with the source row of each data-set row. */
void data_image_split(smile_dataset *ds, uint32_t *perm, size_t n_off_train, double f_train,
                      uint64_t seed);
/* Allocates ds->class_names as copies of names[0..k). */
smile_status data_set_class_names(smile_dataset *ds, const char *const *names, size_t k,
                                  char *msg, size_t msg_len);

/* ---- tar over gzip (ustar, GNU long names, pax path/size) ------------- */
typedef struct {
    gzFile gz;
    char *path;          /* archive path (for messages)                     */
    char name[4096];     /* current entry path                              */
    uint64_t size;       /* current entry size                              */
    uint64_t remaining;  /* bytes of the current entry not yet read         */
    uint64_t pad;        /* padding after the entry data                    */
    uint64_t offset;     /* decompressed bytes consumed so far              */
    int is_file;         /* current entry is a regular file                 */
} data_tar;

smile_status data_tar_open(data_tar *t, const char *path, char *msg, size_t msg_len);
/* Advances to the next entry (any type). *more = 0 at the end of the archive. */
smile_status data_tar_next(data_tar *t, int *more, char *msg, size_t msg_len);
/* Reads exactly n bytes of the current entry. */
smile_status data_tar_read(data_tar *t, void *buf, size_t n, char *msg, size_t msg_len);
void data_tar_close(data_tar *t);

/* Reads exactly n bytes from a gzip (or plain) stream; a short read reports
 * truncation / corruption with the file name and byte offset. */
smile_status data_gz_read_exact(gzFile gz, const char *path, void *buf, size_t n,
                                uint64_t offset, const char *what, char *msg, size_t msg_len);

/* ---- images ------------------------------------------------------------- */
/* Largest JPEG decoded (width x height): a header may claim any size up to
 * 65535 x 65535, which would be 12 GB of RGB before the data are seen to be
 * missing; real inputs (Imagenette, photos) are far below 2^26 = 67 Mpixel. */
#define DATA_JPEG_MAX_PIXELS (1u << 26)
/* Decodes a JPEG held in memory to 8-bit RGB (grayscale is replicated,
 * CMYK/YCCK converted as in the common imaging libraries: R = C'·K'/255 with
 * the Adobe-inverted values C' = 255 − C). *rgb is malloc'ed [h × w × 3]. */
smile_status data_jpeg_decode(const unsigned char *buf, size_t len, const char *name,
                              uint8_t **rgb, int *w, int *h, char *msg, size_t msg_len);

/* Resize of an 8-bit image [sh × sw × C] to [dh × dw × C] with the triangle ("bilinear") filter
 * whose support widens with the downscale factor (antialiasing), half-pixel centres, two
 * separable passes (horizontal then vertical) with 8-bit rounding after each, as the common
 * imaging library does (docs/experiments.md, section 2.2). Weights: w_j ∝ tri((j − c + 0.5)/s), c
 * = (i + 0.5)·S, S = in/out, s = max(S, 1), support s, normalised to 1, in 22-bit fixed point.
 * Returns SMILE_ENOMEM if the temporary row buffer cannot be allocated. */
smile_status data_resize_u8_aa(const uint8_t *src, int sw, int sh, int C, uint8_t *dst, int dw,
                               int dh);

#endif
