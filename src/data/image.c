/* JPEG decoding (libjpeg-turbo) and the antialiased bilinear resize used for
 * Imagenette (docs/experiments.md, section 2.2).
 *
 * Decoding uses libjpeg's defaults (islow DCT, fancy upsampling), as the
 * common imaging libraries do. Every image becomes 8-bit RGB: grayscale is
 * replicated by libjpeg; CMYK / YCCK are decoded to CMYK and converted with
 * R = (255 − C)(255 − K)/255 (rounded as MULDIV255), where Adobe JPEGs (APP14
 * marker) store inverted values C' = 255 − C, K' = 255 − K.
 *
 * Resize: separable triangle filter; for an in → out resize along one axis,
 * S = in/out, s = max(S, 1) (support widens when shrinking = antialiasing),
 * output i has centre c = (i + ½)·S and weights w_j = tri((j − c + ½)/s) for
 * j ∈ [⌊c − s + ½⌋, ⌊c + s + ½⌋) ∩ [0, in), tri(t) = max(0, 1 − |t|),
 * normalised to sum 1 and held in 22-bit fixed point; each pass rounds to
 * 8 bits (add 2^21, shift 22, clamp to 0..255). Horizontal pass first.
 *
 * This is the algorithm of Pillow's Image.resize(size, BILINEAR), which the wording of
 * docs/experiments.md, section 2.2 describes; outputs were checked to be byte-identical to
 * Pillow's on random and structured images (test_data_imagenette.c), and decoded RGB / grayscale
 * / Adobe-CMYK JPEGs byte-identical to Image.open(...).convert("RGB"). Pillow ≥ 13 runs the
 * vertical pass first when the height shrinks much more than the width (±1 differences then); the
 * horizontal-first order is that of the Pillow releases before it. */
#include "data/data_internal.h"

#include <jpeglib.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* JPEG                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char text[JMSG_LENGTH_MAX];
} jerr_mgr;

static void jerr_exit(j_common_ptr c) {
    jerr_mgr *e = (jerr_mgr *)c->err;
    (*c->err->format_message)(c, e->text);
    longjmp(e->jb, 1);
}

/* Warnings (e.g. "premature end of data") are tolerated, as image libraries
 * do; the library prints nothing. */
static void jerr_message(j_common_ptr c, int level) {
    (void)c;
    (void)level;
}

/* MULDIV255(a, b) = round(a·b/255) as the imaging library computes it */
static inline int muldiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

smile_status data_jpeg_decode(const unsigned char *buf, size_t len, const char *name,
                              uint8_t **rgb, int *w, int *h, char *msg, size_t msg_len) {
    struct jpeg_decompress_struct ci;
    jerr_mgr err;
    uint8_t *volatile out = NULL;
    uint8_t *volatile row = NULL;
    *rgb = NULL;
    SMILE_CHECK(len == 0 || len > 0xFFFFFFFFu, SMILE_EFORMAT, msg, msg_len,
                "%s: empty or oversized file (%zu bytes)", name, len);
    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jerr_exit;
    err.pub.emit_message = jerr_message;
    err.text[0] = 0;
    if (setjmp(err.jb)) {
        jpeg_destroy_decompress(&ci);
        free(out);
        free(row);
        smile_set_msg(msg, msg_len, "%s: not a valid JPEG: %s", name, err.text);
        return SMILE_EFORMAT;
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, buf, (unsigned long)len);
    jpeg_read_header(&ci, TRUE);
    int cmyk = 0;
    switch (ci.jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB: ci.out_color_space = JCS_RGB; break;
    case JCS_CMYK:
    case JCS_YCCK:
        ci.out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default:
        jpeg_destroy_decompress(&ci);
        SMILE_CHECK(1, SMILE_EUNSUPPORTED, msg, msg_len,
                    "%s: unsupported JPEG colour space %d (expected grayscale, YCbCr, RGB, "
                    "CMYK or YCCK)",
                    name, (int)ci.jpeg_color_space);
    }
    if ((uint64_t)ci.image_width * ci.image_height > DATA_JPEG_MAX_PIXELS) {
        const unsigned iw = ci.image_width, ih = ci.image_height;
        jpeg_destroy_decompress(&ci);
        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len,
                    "%s: %ux%u pixels, more than the %u (2^26) a JPEG may have here", name, iw, ih,
                    (unsigned)DATA_JPEG_MAX_PIXELS);
    }
    jpeg_start_decompress(&ci);
    int W = (int)ci.output_width, H = (int)ci.output_height, nc = ci.output_components;
    if (W <= 0 || H <= 0 || (cmyk ? nc != 4 : nc != 3)) {
        jpeg_destroy_decompress(&ci);
        SMILE_CHECK(1, SMILE_EFORMAT, msg, msg_len, "%s: unexpected decoder output (%dx%d, %d channels)",
                    name, W, H, nc);
    }
    out = malloc((size_t)W * (size_t)H * 3);
    row = malloc((size_t)W * (size_t)nc);
    if (!out || !row) {
        jpeg_destroy_decompress(&ci);
        free(out);
        free(row);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "%s: out of memory (%dx%d image)", name, W, H);
    }
    int inverted = cmyk && ci.saw_Adobe_marker;
    while (ci.output_scanline < ci.output_height) {
        int y = (int)ci.output_scanline;
        JSAMPROW rp = cmyk ? (JSAMPROW)row : (JSAMPROW)(out + (size_t)y * W * 3);
        jpeg_read_scanlines(&ci, &rp, 1);
        if (cmyk) {
            uint8_t *o = out + (size_t)y * W * 3;
            for (int x = 0; x < W; x++) {
                int c[4];
                for (int k = 0; k < 4; k++)
                    c[k] = inverted ? 255 - row[x * 4 + k] : row[x * 4 + k];
                int nk = 255 - c[3];
                for (int k = 0; k < 3; k++) {
                    int v = nk - muldiv255(c[k], nk);
                    o[x * 3 + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
        }
    }
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    free(row);
    *rgb = out;
    *w = W;
    *h = H;
    return SMILE_OK;
}

/* ------------------------------------------------------------------------ */
/* Resize                                                                   */
/* ------------------------------------------------------------------------ */

#define RS_PREC 22

typedef struct {
    int ksize;
    int *lo, *cnt;  /* [out] first source index and number of taps */
    int32_t *k;     /* [out × ksize] fixed-point weights         */
} rs_coeffs;

static void rs_free(rs_coeffs *c) {
    free(c->lo);
    free(c->cnt);
    free(c->k);
}

static double tri(double t) {
    if (t < 0) t = -t;
    return t < 1.0 ? 1.0 - t : 0.0;
}

static int rs_coeffs_init(rs_coeffs *c, int in, int out) {
    double scale = (double)in / (double)out;
    double fs = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * fs; /* triangle filter support 1, widened by fs */
    c->ksize = (int)ceil(support) * 2 + 1;
    c->lo = malloc((size_t)out * sizeof *c->lo);
    c->cnt = malloc((size_t)out * sizeof *c->cnt);
    c->k = calloc((size_t)out * (size_t)c->ksize, sizeof *c->k);
    double *w = malloc((size_t)c->ksize * sizeof *w);
    if (!c->lo || !c->cnt || !c->k || !w) {
        free(w);
        rs_free(c);
        return -1;
    }
    for (int i = 0; i < out; i++) {
        double centre = ((double)i + 0.5) * scale;
        int lo = (int)(centre - support + 0.5);
        int hi = (int)(centre + support + 0.5);
        if (lo < 0) lo = 0;
        if (hi > in) hi = in;
        int n = hi - lo;
        if (n > c->ksize) n = c->ksize;
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            w[j] = tri(((double)(j + lo) - centre + 0.5) / fs);
            sum += w[j];
        }
        for (int j = 0; j < n; j++) {
            double v = sum != 0.0 ? w[j] / sum : 0.0;
            c->k[(size_t)i * c->ksize + j] =
                (int32_t)(v * (double)(1 << RS_PREC) + (v < 0 ? -0.5 : 0.5));
        }
        c->lo[i] = lo;
        c->cnt[i] = n;
    }
    free(w);
    return 0;
}

static inline uint8_t rs_clip(int64_t acc) {
    acc >>= RS_PREC;
    return (uint8_t)(acc < 0 ? 0 : acc > 255 ? 255 : acc);
}

smile_status data_resize_u8_aa(const uint8_t *src, int sw, int sh, int C, uint8_t *dst, int dw,
                               int dh) {
    if (sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || C <= 0) return SMILE_EINVAL;
    size_t dstride = (size_t)dw * C;
    if (sw == dw && sh == dh) {
        memcpy(dst, src, (size_t)sh * dstride);
        return SMILE_OK;
    }
    const uint8_t *cur = src;
    int cw = sw;
    uint8_t *tmp = NULL;
    if (sw != dw) { /* horizontal pass → tmp [sh × dw × C] (or dst) */
        rs_coeffs h;
        if (rs_coeffs_init(&h, sw, dw)) return SMILE_ENOMEM;
        uint8_t *o = dst;
        if (sh != dh) {
            tmp = malloc((size_t)sh * dstride);
            if (!tmp) {
                rs_free(&h);
                return SMILE_ENOMEM;
            }
            o = tmp;
        }
        for (int y = 0; y < sh; y++) {
            const uint8_t *ir = src + (size_t)y * sw * C;
            uint8_t *orow = o + (size_t)y * dstride;
            for (int x = 0; x < dw; x++) {
                const int32_t *k = h.k + (size_t)x * h.ksize;
                const uint8_t *p = ir + (size_t)h.lo[x] * C;
                for (int c = 0; c < C; c++) {
                    int64_t acc = 1 << (RS_PREC - 1);
                    for (int j = 0; j < h.cnt[x]; j++) acc += (int64_t)p[j * C + c] * k[j];
                    orow[x * C + c] = rs_clip(acc);
                }
            }
        }
        rs_free(&h);
        if (sh == dh) return SMILE_OK;
        cur = tmp;
        cw = dw;
    }
    /* vertical pass: cur [sh × cw × C] → dst [dh × dw × C] (cw == dw) */
    rs_coeffs v;
    if (rs_coeffs_init(&v, sh, dh)) {
        free(tmp);
        return SMILE_ENOMEM;
    }
    size_t cstride = (size_t)cw * C;
    for (int y = 0; y < dh; y++) {
        const int32_t *k = v.k + (size_t)y * v.ksize;
        uint8_t *orow = dst + (size_t)y * dstride;
        for (size_t i = 0; i < cstride; i++) {
            int64_t acc = 1 << (RS_PREC - 1);
            for (int j = 0; j < v.cnt[y]; j++)
                acc += (int64_t)cur[(size_t)(v.lo[y] + j) * cstride + i] * k[j];
            orow[i] = rs_clip(acc);
        }
    }
    rs_free(&v);
    free(tmp);
    return SMILE_OK;
}

/* ------------------------------------------------------------------------ */
/* Pixel transform                                                          */
/* ------------------------------------------------------------------------ */

void smile_image_pixels(const uint8_t *pix, size_t n, size_t C, double pixel_scale,
                        const double *mean, const double *std, float *x) {
    /* 1/(1/255) is 255 exactly in IEEE double, so p/div is the exact quotient
     * p/255 rounded once, as every loader has always computed it */
    const double div = 1.0 / pixel_scale;
    float lut[3][256];
    for (size_t c = 0; c < C && c < 3; c++)
        for (int p = 0; p < 256; p++) lut[c][p] = (float)(((double)p / div - mean[c]) / std[c]);
    for (size_t i = 0; i < n; i++) x[i] = lut[C == 1 ? 0 : i % C][pix[i]];
}
