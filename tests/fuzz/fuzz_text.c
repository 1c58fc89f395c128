/* The text loader (UTF-8 validation, vocabulary, splits) and encoding a
 * prompt (the input's second half) with the vocabulary found. */
#include "data/data.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const size_t half = n / 2;
    const char *p = fuzz_file(data, half, "t.txt", 0);
    smile_dataset ds;
    char msg[512];
    if (smile_dataset_load_text(&ds, p, msg, sizeof msg) != SMILE_OK) return 0;
    static int32_t ids[1 << 14];
    size_t n_out = 0;
    (void)smile_text_encode(&ds, (const char *)data + half, n - half, ids,
                            sizeof ids / sizeof *ids, &n_out, msg, sizeof msg);
    smile_dataset_free(&ds);
    return 0;
}
