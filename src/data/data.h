/* Data sets: the interface of src/data to the modules above it (never installed). */
#ifndef SMILE_DATA_H
#define SMILE_DATA_H

#include "core/core.h"
#include "smile_fit.h"

/* ======================================================================== */
/* Data sets                                                                */
/* ======================================================================== */
/* Data sets of docs/experiments.md, section 2: loaders, splits, mini-batch
 * gathering, the "basic" augmentation (docs/method.md, section 9.6) and
 * character-level text windows (docs/experiments.md, section 2.3).
 * Every loader validates strictly and fails with SMILE_EIO (cannot open/read)
 * or SMILE_EFORMAT (malformed content); the message names the file and the
 * 1-based line (text) or the record / byte offset (binary). */



typedef enum { SMILE_SPLIT_TRAIN = 0, SMILE_SPLIT_VALID = 1, SMILE_SPLIT_TEST = 2 } smile_split;

/* Chain index of the RNG stream used for the split permutation:
 * smile_rng_init(r, seed, SMILE_DATA_SPLIT_CHAIN, SMILE_RNG_DATA). Chains and
 * DE members use their own index for augmentation, so no stream collides. */
#define SMILE_DATA_SPLIT_CHAIN UINT64_C(0xFFFFFFFFFFFFFFFF)

typedef struct {
    uint64_t seed;            /* run seed r: split permutation                   */
    int check_official_sizes; /* 1: require the official record counts
                                 (FMNIST 60,000/10,000 images; CIFAR 10,000
                                 records per file). Tests set 0.             */
    int image_size;           /* Imagenette resize target (160)                */
    int threads;              /* JPEG decoding threads, 0 = OpenMP default      */
} smile_data_options;

smile_data_options smile_data_options_default(void);

/* A loaded, preprocessed and split data set. Rows are in split order: train
 * rows [split_begin[0], split_end[0]), then valid, then test (contiguous).
 * Images: NHWC, feature_dim = height*width*channels. Text: tokens only. */
typedef struct {
    smile_data_task task;
    char *source;             /* path it was loaded from                        */
    size_t n;                 /* rows (tokens for text)                         */
    size_t feature_dim;       /* floats per row of x (0 for text)               */
    size_t height, width, channels; /* images; 0 otherwise                      */
    size_t n_classes;         /* classification classes / text vocabulary; 0 = regression */
    float *x;                 /* [n × feature_dim] row-major, or NULL (text)    */
    float *y;                 /* [n] standardised regression target, or NULL    */
    int32_t *labels;          /* [n] class labels 0..n_classes-1, or NULL       */
    int32_t *tokens;          /* [n] text token ids, or NULL                    */
    uint32_t *orig_index;     /* [n] row's index in the source order (UCI: file
                                 row; images: official train rows then test) */
    size_t split_begin[3], split_end[3];
    /* UCI standardisation (docs/experiments.md, section 2.1): z = (v − mean)/std, std = 1 for a
     * constant column. Targets in original units: y·y_std + y_mean. */
    double y_mean, y_std;
    double *x_mean, *x_std;   /* [feature_dim] (UCI only, else NULL)            */
    /* Images: x = (p·pixel_scale − ch_mean[c]) / ch_std[c] for 8-bit pixel p.  */
    double pixel_scale, ch_mean[3], ch_std[3];
    char **class_names;       /* [n_classes] (classification), else NULL        */
    /* Text: vocab[id] = Unicode code point, sorted; pad_id = vocab_size.      */
    uint32_t *vocab;
    size_t vocab_size;
    int32_t pad_id;
    /* Warnings of the loader for the user (UCI: outlying values with their file
     * lines and columns), one per line ending in '\n'; NULL when none. */
    char *warnings;
} smile_dataset;

/* All loaders: on failure *ds is left zeroed (smile_dataset_free is a no-op).
 * Picks the loader by task (AUTO: by path — *.data → uci, *.txt → text,
 * *.tar.gz or *.tgz → cifar10 or imagenette by content, folder with
 * train-images-idx3-ubyte[.gz] → fmnist, with data_batch_1.bin → cifar10,
 * with train/ and val/ → imagenette) and loads with opts (NULL = defaults). */
smile_status smile_dataset_load(smile_dataset *ds, smile_data_task task, const char *path,
                                const smile_data_options *opts, char *msg, size_t msg_len);
/* Individual loaders (path conventions as in docs/experiments.md, section 2). */
smile_status smile_dataset_load_uci(smile_dataset *ds, const char *file, uint64_t seed,
                                    char *msg, size_t msg_len);
smile_status smile_dataset_load_fmnist(smile_dataset *ds, const char *dir,
                                       const smile_data_options *opts, char *msg,
                                       size_t msg_len);
smile_status smile_dataset_load_cifar10(smile_dataset *ds, const char *dir_or_tgz,
                                        const smile_data_options *opts, char *msg,
                                        size_t msg_len);
smile_status smile_dataset_load_imagenette(smile_dataset *ds, const char *dir_or_tgz,
                                           const smile_data_options *opts, char *msg,
                                           size_t msg_len);
smile_status smile_dataset_load_text(smile_dataset *ds, const char *file, char *msg,
                                     size_t msg_len);
void smile_dataset_free(smile_dataset *ds);

size_t smile_dataset_split_size(const smile_dataset *ds, smile_split s);
/* Split rule: n_tr = ⌊n·f_train⌋, n_tr+va = ⌊n·(f_train + f_valid)⌋ with the
 * sum and products in IEEE double (docs/experiments.md, section 2.1). */
void smile_split_sizes(size_t n, double f_train, double f_valid, size_t *n_train,
                       size_t *n_valid, size_t *n_test);
/* One readable paragraph: sizes, shapes, per-split class counts. */
void smile_dataset_describe(const smile_dataset *ds, char *buf, size_t len);

/* Copies the rows of batch b (b->idx = row indices into the TRAIN split, or
 * idx == NULL: all train rows) into caller buffers x [size × feature_dim],
 * y [size], labels [size]; any output may be NULL. Allocates nothing.
 * SMILE_EINVAL for an index outside the split (nothing useful copied). */
smile_status smile_dataset_gather(const smile_dataset *ds, const smile_batch *b, float *x,
                                  float *y, int32_t *labels);
/* Same for rows idx[0..n) of split s (idx == NULL: the first n rows). */
smile_status smile_dataset_gather_rows(const smile_dataset *ds, smile_split s,
                                       const uint32_t *idx, size_t n, float *x, float *y,
                                       int32_t *labels);

/* "basic" augmentation (docs/method.md, section 9.6), in place on n NHWC images x [n × H × W × C]:
 * per image, mirror left–right with probability 0.5, then with probability
 * 0.95 crop ⌊0.7H⌋ × ⌊0.7W⌋ at a uniform offset and resize back to H × W
 * (bilinear, half-pixel centres). truncate = 1 casts results to integers by
 * truncation (uint8-valued data, e.g. CIFAR-10). scratch: [H × W × C]. */
void smile_augment_basic(float *x, size_t n, size_t H, size_t W, size_t C, int truncate,
                         smile_rng *rng, float *scratch);
/* truncate flag matching the data set's pixel representation. */
int smile_augment_truncate_for(const smile_dataset *ds);

/* Character text (docs/experiments.md, section 2.3). Encode UTF-8 with the data set's vocabulary:
 * writes up to cap ids, *n_out = number of code points; SMILE_EFORMAT for
 * invalid UTF-8 or a character outside the vocabulary. */
smile_status smile_text_encode(const smile_dataset *ds, const char *utf8, size_t len,
                               int32_t *out, size_t cap, size_t *n_out, char *msg,
                               size_t msg_len);
/* Decode ids to UTF-8 (NUL-terminated, truncated to fit); returns the bytes
 * needed without the NUL. The pad id and unknown ids decode to '?'. */
size_t smile_text_decode(const smile_dataset *ds, const int32_t *ids, size_t n, char *buf,
                         size_t len);
/* The same on a bare vocabulary vocab[V] (sorted code points, as recorded
 * with a fitted run). A character outside the vocabulary is named in the
 * message: 'c' (U+XXXX) when printable, else U+XXXX. */
smile_status smile_text_encode_vocab(const uint32_t *vocab, size_t V, const char *utf8,
                                     size_t len, int32_t *out, size_t cap, size_t *n_out,
                                     char *msg, size_t msg_len);
size_t smile_text_decode_vocab(const uint32_t *vocab, size_t V, const int32_t *ids, size_t n,
                               char *buf, size_t len);
/* B random window starts, each uniform on {0, …, n_split − T − 2} (docs/experiments.md, section
 * 2.3: n_split − 258 at T = 256), relative to the split's first token. SMILE_EINVAL if the split
 * is shorter than T + 2 tokens. */
smile_status smile_text_sample_windows(const smile_dataset *ds, smile_split s, size_t T,
                                       size_t B, smile_rng *rng, uint32_t *starts);
/* inputs[b·T + t] = tok[start_b + t], targets[b·T + t] = tok[start_b + t + 1]
 * within split s; either output may be NULL. Allocates nothing. */
smile_status smile_text_gather_windows(const smile_dataset *ds, smile_split s,
                                       const uint32_t *starts, size_t B, size_t T,
                                       int32_t *inputs, int32_t *targets);
/* ⌊⌊n_split / T⌋ / B⌋, at least 1 (n_b of the text task, docs/experiments.md, section 2.3). */
size_t smile_text_n_batches(const smile_dataset *ds, smile_split s, size_t T, size_t B);

/* ======================================================================== */
/* Single files of the image data sets (prediction on new images)           */
/* ======================================================================== */
/* The readers the loaders use, on one file each; pixels stay 8-bit, in the
 * loaders' layout (NHWC). Errors as for the loaders. */

/* An IDX image file (gzip or plain): *n ≥ 1 images of 28 × 28 bytes, *pix
 * malloc'ed [n × 784]. */
smile_status smile_idx_read_images(const char *path, uint8_t **pix, size_t *n, char *msg,
                                   size_t msg_len);
/* An IDX label file holding exactly n labels 0..9, *labels malloc'ed [n]. */
smile_status smile_idx_read_labels(const char *path, size_t n, uint8_t **labels, char *msg,
                                   size_t msg_len);
/* dir/<base>.gz, else dir/<base>, as the Fashion-MNIST loader looks for its
 * files; NULL when neither is a file (or out of memory). Free the result. */
char *smile_idx_find(const char *dir, const char *base);
/* A CIFAR-10 binary batch file of any number of 3073-byte records: *pix
 * [n × 32 × 32 × 3] (HWC), *labels [n] (0..9), both malloc'ed. */
smile_status smile_cifar_read_batch(const char *path, uint8_t **pix, uint8_t **labels, size_t *n,
                                    char *msg, size_t msg_len);
/* A JPEG file decoded to 8-bit RGB and resized to S × S exactly as the
 * Imagenette loader does (aspect ratio not kept, antialiased bilinear);
 * *pix malloc'ed [S × S × 3]. */
smile_status smile_image_read_jpeg(const char *path, int S, uint8_t **pix, char *msg,
                                   size_t msg_len);
/* The pixel transform of every image data set: x[i] = (p[i]/d − mean[c]) /
 * std[c] with d = 1/pixel_scale, c = i mod C (C ≤ 3), rounded to float once;
 * n values. */
void smile_image_pixels(const uint8_t *pix, size_t n, size_t C, double pixel_scale,
                        const double *mean, const double *std, float *x);
/* Sorted names in dir of its sub-folders (folders = 1) or of its JPEG files
 * (folders = 0: *.jpeg / *.jpg in any case), hidden entries left out, as the
 * Imagenette loader lists them. Free with smile_data_list_free. */
smile_status smile_data_list(const char *dir, int folders, char ***names, size_t *n, char *msg,
                             size_t msg_len);
void smile_data_list_free(char **names, size_t n);
/* Whether the last component of path is a JPEG file name by that rule. */
int smile_data_is_jpeg_name(const char *path);

/* Contiguous splits: train [0, a), valid [a, b), test [b, n). */
void data_set_splits(smile_dataset *ds, size_t a, size_t b, size_t n);

#endif
