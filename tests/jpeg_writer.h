/* Test helper: writes small JPEG files with libjpeg (shared by the Imagenette
 * loader and image-prediction tests). */
#ifndef SMILE_TEST_JPEG_WRITER_H
#define SMILE_TEST_JPEG_WRITER_H

#include <stdio.h>
#include <jpeglib.h>

/* Writes a JPEG (quality 100, no chroma subsampling) of w × h × comps. */
static inline void write_jpeg(const char *path, int w, int h, int comps, J_COLOR_SPACE cs,
                       const unsigned char *pix) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    FILE *f = fopen(path, "wb");
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = cs;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    for (int i = 0; i < c.num_components; i++) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pix + (size_t)c.next_scanline * w * comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

#endif
