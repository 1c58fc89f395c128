/* The `--data PATH` entry point: picks the task from the path when asked
 * (file, folder, or archive contents) and calls its loader. */
#include "data/data_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>


/* Peeks at the first regular files of a tar.gz to tell CIFAR from Imagenette. */
static smile_data_task detect_archive(const char *path, char *msg, size_t msg_len,
                                      smile_status *st) {
    data_tar t;
    *st = data_tar_open(&t, path, msg, msg_len);
    if (*st != SMILE_OK) return SMILE_DATA_AUTO;
    smile_data_task task = SMILE_DATA_AUTO;
    for (int k = 0; k < 256 && task == SMILE_DATA_AUTO; k++) {
        int more = 0;
        *st = data_tar_next(&t, &more, msg, msg_len);
        if (*st != SMILE_OK || !more) break;
        if (!t.is_file) continue;
        const char *b = data_basename(t.name);
        if (!strncmp(b, "data_batch_", 11) || !strcmp(b, "test_batch.bin"))
            task = SMILE_DATA_CIFAR10;
        else if (data_ends_with(b, ".jpeg") || data_ends_with(b, ".jpg"))
            task = SMILE_DATA_IMAGENETTE;
    }
    data_tar_close(&t);
    if (*st == SMILE_OK && task == SMILE_DATA_AUTO) {
        smile_set_msg(msg, msg_len,
                      "%s: archive holds neither CIFAR-10 batches (data_batch_*.bin) nor "
                      "JPEG images; give the task explicitly",
                      path);
        *st = SMILE_EFORMAT;
    }
    return task;
}

static int dir_has(const char *dir, const char *name, int want_dir) {
    char *p = data_join(dir, name);
    int r = p && (want_dir ? data_is_dir(p) : data_is_file(p));
    free(p);
    return r;
}

static smile_status detect_task(const char *path, smile_data_task *task, char *msg,
                                size_t msg_len) {
    if (data_is_file(path)) {
        if (data_ends_with(path, ".tar.gz") || data_ends_with(path, ".tgz")) {
            smile_status st;
            *task = detect_archive(path, msg, msg_len, &st);
            return st;
        }
        if (data_ends_with(path, ".data") || data_ends_with(path, ".dat")) {
            *task = SMILE_DATA_UCI;
            return SMILE_OK;
        }
        if (data_ends_with(path, ".txt")) {
            *task = SMILE_DATA_TEXT;
            return SMILE_OK;
        }
        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                    "%s: cannot tell the data set from the file name (expected *.data, "
                    "*.txt, *.tar.gz or *.tgz); give the task explicitly",
                    path);
    }
    if (data_is_dir(path)) {
        if (dir_has(path, "train-images-idx3-ubyte.gz", 0) ||
            dir_has(path, "train-images-idx3-ubyte", 0))
            *task = SMILE_DATA_FMNIST;
        else if (dir_has(path, "data_batch_1.bin", 0) ||
                 dir_has(path, "cifar-10-batches-bin", 1))
            *task = SMILE_DATA_CIFAR10;
        else if ((dir_has(path, "train", 1) && dir_has(path, "val", 1)) ||
                 dir_has(path, "imagenette2", 1))
            *task = SMILE_DATA_IMAGENETTE;
        else
            SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                        "%s: folder holds no known data set (Fashion-MNIST IDX files, "
                        "CIFAR-10 data_batch_*.bin, or Imagenette train/ and val/)",
                        path);
        return SMILE_OK;
    }
    return data_path_error(path, msg, msg_len);
}

/* The one *.data file of a folder (bikesharing/ has two: ask for the file). */
static smile_status single_data_file(const char *dir, char **file, char *msg, size_t msg_len) {
    DIR *d = opendir(dir);
    SMILE_CHECK(!d, SMILE_EIO, msg, msg_len, "%s: cannot open folder", dir);
    char first[1024] = "", second[1024] = "";
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !data_ends_with(e->d_name, ".data")) continue;
        if (count == 0) snprintf(first, sizeof first, "%s", e->d_name);
        else if (count == 1) snprintf(second, sizeof second, "%s", e->d_name);
        count++;
    }
    closedir(d);
    SMILE_CHECK(count == 0, SMILE_EFORMAT, msg, msg_len, "%s: folder holds no *.data file",
                dir);
    SMILE_CHECK(count > 1, SMILE_EINVAL, msg, msg_len,
                "%s: folder holds %d *.data files (%s, %s%s); give the file", dir, count,
                first, second, count > 2 ? ", ..." : "");
    *file = data_join(dir, first);
    SMILE_CHECK(!*file, SMILE_ENOMEM, msg, msg_len, "out of memory");
    return SMILE_OK;
}

smile_status smile_dataset_load(smile_dataset *ds, smile_data_task task, const char *path,
                                const smile_data_options *opts, char *msg, size_t msg_len) {
    SMILE_CHECK(!ds || !path, SMILE_EINVAL, msg, msg_len, "smile_dataset_load: NULL argument");
    memset(ds, 0, sizeof *ds);
    smile_data_options def = smile_data_options_default();
    if (!opts) opts = &def;
    if (task == SMILE_DATA_AUTO) SMILE_TRY(detect_task(path, &task, msg, msg_len));
    int is_dir = data_is_dir(path), is_file = data_is_file(path);
    if (!is_dir && !is_file) return data_path_error(path, msg, msg_len);
    switch (task) {
    case SMILE_DATA_UCI:
        if (is_dir) {
            /* a folder with exactly one *.data file (e.g. .../airfoil) */
            char *file = NULL;
            SMILE_TRY(single_data_file(path, &file, msg, msg_len));
            smile_status st = smile_dataset_load_uci(ds, file, opts->seed, msg, msg_len);
            free(file);
            return st;
        }
        return smile_dataset_load_uci(ds, path, opts->seed, msg, msg_len);
    case SMILE_DATA_FMNIST:
        SMILE_CHECK(!is_dir, SMILE_EINVAL, msg, msg_len,
                    "%s: the fmnist task needs the folder holding "
                    "{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz",
                    path);
        return smile_dataset_load_fmnist(ds, path, opts, msg, msg_len);
    case SMILE_DATA_CIFAR10:
        return smile_dataset_load_cifar10(ds, path, opts, msg, msg_len);
    case SMILE_DATA_IMAGENETTE:
        return smile_dataset_load_imagenette(ds, path, opts, msg, msg_len);
    case SMILE_DATA_TEXT:
        SMILE_CHECK(is_dir, SMILE_EINVAL, msg, msg_len,
                    "%s is a folder; the text task needs a UTF-8 text file", path);
        return smile_dataset_load_text(ds, path, msg, msg_len);
    default: break;
    }
    SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len, "unknown data task %d", (int)task);
    return SMILE_EINVAL;
}
