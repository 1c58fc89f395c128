/* Minimal gzip-compressed tar (ustar) writer for test fixtures of the
 * archive loaders (tests/test_data_cifar.c, tests/test_data_imagenette.c). */
#ifndef SMILE_TEST_TAR_WRITER_H
#define SMILE_TEST_TAR_WRITER_H

#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* One 512-byte header; type '0' file, '5' directory, 'L'/'x' GNU/pax records. */
static inline void tar_header(gzFile g, const char *name, size_t size, char type) {
    unsigned char h[512];
    memset(h, 0, sizeof h);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    snprintf((char *)h + 124, 12, "%011zo", size);
    memcpy(h + 136, "14712345670", 12);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    gzwrite(g, h, 512);
}

/* The entry's payload, zero-padded to a multiple of 512 bytes. */
static inline void tar_data(gzFile g, const void *b, size_t n) {
    gzwrite(g, b, (unsigned)n);
    static const unsigned char zero[512];
    if (n % 512) gzwrite(g, zero, (unsigned)(512 - n % 512));
}

/* Two zero blocks end the archive. */
static inline void tar_end(gzFile g) {
    static const unsigned char zero[1024];
    gzwrite(g, zero, 1024);
}

#endif
