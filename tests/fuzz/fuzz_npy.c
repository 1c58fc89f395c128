/* The .npy reader (header dictionary, shape, dtype) of sample files. */
#include "io/io.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *p = fuzz_file(data, n, "s.npy", 0);
    float *x = NULL;
    size_t rows = 0, cols = 0;
    char msg[512];
    if (smile_npy_read(p, &x, &rows, &cols, msg, sizeof msg) == SMILE_OK) free(x);
    return 0;
}
