/* IDX image and label files, plain and gzip-compressed (Fashion-MNIST). The
 * first input byte picks gzip; the label count comes from the image file. */
#include "data/data.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 1) return 0;
    const int gz = data[0] & 1;
    const char *p = fuzz_file(data + 1, n - 1, gz ? "i.gz" : "i", gz);
    uint8_t *pix = NULL, *lab = NULL;
    size_t count = 0;
    char msg[512];
    if (smile_idx_read_images(p, &pix, &count, msg, sizeof msg) == SMILE_OK) free(pix);
    if (smile_idx_read_labels(p, count ? count : 1, &lab, msg, sizeof msg) == SMILE_OK) free(lab);
    return 0;
}
