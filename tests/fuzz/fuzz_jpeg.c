/* The JPEG decoder (libjpeg with our error handling, grayscale / CMYK
 * conversion) and the antialiased resize of the Imagenette loader. */
#include "data/data_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    char msg[512];
    if (data_jpeg_decode(data, n, "fuzz.jpg", &rgb, &w, &h, msg, sizeof msg) != SMILE_OK) return 0;
    static uint8_t out[40 * 40 * 3];
    (void)data_resize_u8_aa(rgb, w, h, 3, out, 40, 40);
    free(rgb);
    return 0;
}
