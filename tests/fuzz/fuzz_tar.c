/* The tar reader (ustar, GNU long names, pax records), plain and gzip: the
 * first input byte picks gzip (the rest is compressed before reading, so the
 * tar structure is fuzzed through the gzip path too). Every entry is read. */
#include "data/data_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    if (n < 1) return 0;
    const int gz = data[0] & 1;
    const char *p = fuzz_file(data + 1, n - 1, gz ? "a.tar.gz" : "a.tar", gz);
    data_tar t;
    char msg[512];
    if (data_tar_open(&t, p, msg, sizeof msg) != SMILE_OK) return 0;
    static unsigned char buf[1 << 16];
    for (int entries = 0; entries < 10000; entries++) {
        int more = 0;
        if (data_tar_next(&t, &more, msg, sizeof msg) != SMILE_OK || !more) break;
        uint64_t left = t.size < sizeof buf ? t.size : sizeof buf;
        if (t.is_file && data_tar_read(&t, buf, (size_t)left, msg, sizeof msg) != SMILE_OK) break;
    }
    data_tar_close(&t);
    return 0;
}
