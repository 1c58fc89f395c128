/* The UCI loader: whitespace-separated numbers, whole-file standardisation. */
#include "data/data.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *p = fuzz_file(data, n, "u.data", 0);
    smile_dataset ds;
    char msg[512];
    if (smile_dataset_load_uci(&ds, p, 1, msg, sizeof msg) == SMILE_OK) smile_dataset_free(&ds);
    return 0;
}
