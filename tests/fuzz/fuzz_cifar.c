/* A CIFAR-10 binary batch file (3073-byte records). */
#include "data/data.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *p = fuzz_file(data, n, "data_batch_1.bin", 0);
    uint8_t *pix = NULL, *lab = NULL;
    size_t count = 0;
    char msg[512];
    if (smile_cifar_read_batch(p, &pix, &lab, &count, msg, sizeof msg) == SMILE_OK) {
        free(pix);
        free(lab);
    }
    return 0;
}
