/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_io: PNG, NIfTI-1, the dataset index and the file-system helpers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <png.h>
#include <setjmp.h>
#include <zlib.h>

#include "tsc_io.h"
#include "tsc_test.h"

/* An address-space cap would break the shadow memory of AddressSanitizer and
 * ThreadSanitizer; under them the test relies on the reader's own checks. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TSC_SANITIZER_SHADOW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TSC_SANITIZER_SHADOW 1
#endif
#endif
#ifndef TSC_SANITIZER_SHADOW
#define TSC_SANITIZER_SHADOW 0
#endif

/* ---- helpers ------------------------------------------------------------- */

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(fwrite(data, 1, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile g = gzopen(path, "wb");
    REQUIRE(g);
    REQUIRE(gzwrite(g, data, (unsigned)n) == (int)n);
    REQUIRE(gzclose(g) == Z_OK);
}

/* A NIfTI-1 single file in memory: header fields at their spec offsets. */
typedef struct nifti_spec {
    int16_t dim[8];
    int16_t datatype, bitpix;
    float pixdim[8];
    float vox_offset, slope, inter;
    int16_t qform_code, sform_code;
    float quatern[3], qoffset[3];
    float srow[3][4];
    int big_endian;
} nifti_spec;

static void put16(unsigned char *p, int16_t v, int be)
{
    uint16_t u = (uint16_t)v;
    if (be) {
        p[0] = (unsigned char)(u >> 8);
        p[1] = (unsigned char)u;
    } else {
        memcpy(p, &u, 2);
    }
}

static void put32(unsigned char *p, const void *v, int be)
{
    uint32_t u;
    memcpy(&u, v, 4);
    if (be) {
        p[0] = (unsigned char)(u >> 24);
        p[1] = (unsigned char)(u >> 16);
        p[2] = (unsigned char)(u >> 8);
        p[3] = (unsigned char)u;
    } else {
        memcpy(p, &u, 4);
    }
}

/* Header + 4 extension bytes + `data_len` bytes of data; caller frees. */
static unsigned char *make_nifti(const nifti_spec *s, const void *data, size_t data_len,
                                 size_t *out_len)
{
    size_t off = s->vox_offset ? (size_t)s->vox_offset : 352;
    unsigned char *b = calloc(1, off + data_len);
    REQUIRE(b);
    int be = s->big_endian;
    int32_t hs = 348;
    put32(b, &hs, be);
    for (int i = 0; i < 8; i++) put16(b + 40 + 2 * i, s->dim[i], be);
    put16(b + 70, s->datatype, be);
    put16(b + 72, s->bitpix, be);
    for (int i = 0; i < 8; i++) put32(b + 76 + 4 * i, &s->pixdim[i], be);
    float vo = (float)off;
    put32(b + 108, &vo, be);
    put32(b + 112, &s->slope, be);
    put32(b + 116, &s->inter, be);
    b[123] = 2; /* mm */
    put16(b + 252, s->qform_code, be);
    put16(b + 254, s->sform_code, be);
    for (int i = 0; i < 3; i++) put32(b + 256 + 4 * i, &s->quatern[i], be);
    for (int i = 0; i < 3; i++) put32(b + 268 + 4 * i, &s->qoffset[i], be);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) put32(b + 280 + 16 * r + 4 * c, &s->srow[r][c], be);
    memcpy(b + 344, "n+1\0", 4);
    if (data_len) memcpy(b + off, data, data_len);
    *out_len = off + data_len;
    return b;
}

static nifti_spec small_spec(int nx, int ny, int nz, int datatype, int bitpix)
{
    nifti_spec s;
    memset(&s, 0, sizeof s);
    s.dim[0] = 3;
    s.dim[1] = (int16_t)nx;
    s.dim[2] = (int16_t)ny;
    s.dim[3] = (int16_t)nz;
    s.dim[4] = s.dim[5] = s.dim[6] = s.dim[7] = 1;
    s.datatype = (int16_t)datatype;
    s.bitpix = (int16_t)bitpix;
    s.pixdim[0] = 1;
    s.pixdim[1] = 1;
    s.pixdim[2] = 1;
    s.pixdim[3] = 1;
    s.slope = 1;
    return s;
}

/* ---- PNG ------------------------------------------------------------------- */

/* im written to path with our writer and read back with our reader, which
 * must both succeed. */
static tsc_gray_image *png_round_trip(const tsc_gray_image *im, const char *path)
{
    tsc_error err;
    CHECK_STATUS(tsc_png_write(path, im, &err), TSC_OK);
    tsc_gray_image *back = NULL;
    CHECK_STATUS(tsc_png_read(path, &back, &err), TSC_OK);
    REQUIRE(back);
    return back;
}

TSC_TEST(png_round_trips_8_bit)
{
    tsc_gray_image *im = tsc_gray_image_new(37, 23, 8);
    REQUIRE(im);
    for (int i = 0; i < 37 * 23; i++) ((uint8_t *)im->pixels)[i] = (uint8_t)(i * 7);
    const char *path = tsc_test_path("a8.png");
    tsc_gray_image *back = png_round_trip(im, path);
    CHECK(back->width == 37 && back->height == 23 && back->bit_depth == 8);
    CHECK(memcmp(back->pixels, im->pixels, 37 * 23) == 0);
    CHECK(back->flags == 0);
    CHECK(tsc_gray_image_get(back, 5, 2) == (unsigned)(uint8_t)((2 * 37 + 5) * 7));
    tsc_gray_image_free(im);
    tsc_gray_image_free(back);
}

TSC_TEST(png_round_trips_16_bit)
{
    tsc_gray_image *im = tsc_gray_image_new(19, 31, 16);
    REQUIRE(im);
    /* High and low bytes differ so that a byte-order slip shows. */
    for (int i = 0; i < 19 * 31; i++) ((uint16_t *)im->pixels)[i] = (uint16_t)(i * 2113 + 7);
    tsc_error err;
    const char *path = tsc_test_path("a16.png");
    tsc_gray_image *back = png_round_trip(im, path);
    CHECK(back->bit_depth == 16);
    CHECK(memcmp(back->pixels, im->pixels, 19 * 31 * 2) == 0);
    /* The file itself is big-endian as PNG requires: read it from memory too. */
    size_t n;
    unsigned char *buf = (unsigned char *)tsc_test_read_file(path, &n);
    REQUIRE(buf);
    tsc_gray_image *mem = NULL;
    CHECK_STATUS(tsc_png_read_memory(buf, n, "a16.png", &mem, &err), TSC_OK);
    REQUIRE(mem);
    CHECK(memcmp(mem->pixels, im->pixels, 19 * 31 * 2) == 0);
    free(buf);
    tsc_gray_image_free(mem);
    tsc_gray_image_free(im);
    tsc_gray_image_free(back);
}

TSC_TEST(png_write_is_atomic_and_leaves_no_temp_file)
{
    const char *dir = tsc_test_tmpdir();
    const char *path = tsc_test_path("atomic.png");
    tsc_gray_image *im = tsc_gray_image_new(8, 8, 8);
    REQUIRE(im);
    tsc_error err;
    CHECK_STATUS(tsc_png_write(path, im, &err), TSC_OK);
    struct stat before, after;
    REQUIRE(stat(path, &before) == 0);
    /* Rewriting replaces the file by rename: a new inode, never a file
     * truncated in place that a reader could see half-written. */
    memset(im->pixels, 200, 64);
    CHECK_STATUS(tsc_png_write(path, im, &err), TSC_OK);
    REQUIRE(stat(path, &after) == 0);
    CHECK(before.st_ino != after.st_ino);
    CHECK(tsc_test_count_entries(dir) == 1);
    tsc_gray_image *back = NULL;
    CHECK_STATUS(tsc_png_read(path, &back, &err), TSC_OK);
    CHECK(back && tsc_gray_image_get(back, 3, 3) == 200);
    tsc_gray_image_free(back);
    /* A failing write (missing folder) leaves nothing behind and says where. */
    CHECK_STATUS(tsc_png_write(tsc_test_path("missing/x.png"), im, &err), TSC_ENOTFOUND);
    CHECK(strstr(err.message, "missing/x.png") != NULL);
    CHECK(tsc_test_count_entries(dir) == 1);
    tsc_gray_image_free(im);
}

TSC_TEST(png_read_rejects_non_png_and_truncated_files)
{
    tsc_error err;
    tsc_gray_image *im = NULL;
    const char *junk = tsc_test_path("junk.png");
    write_bytes(junk, "hello, not a png", 16);
    CHECK_STATUS(tsc_png_read(junk, &im, &err), TSC_EFORMAT);
    CHECK(strstr(err.message, "junk.png") != NULL);
    CHECK(im == NULL);
    CHECK_STATUS(tsc_png_read(tsc_test_path("absent.png"), &im, &err), TSC_ENOTFOUND);

    tsc_gray_image *src = tsc_gray_image_new(64, 64, 16);
    REQUIRE(src);
    for (int i = 0; i < 64 * 64; i++) ((uint16_t *)src->pixels)[i] = (uint16_t)(i * 977);
    const char *good = tsc_test_path("good.png");
    CHECK_STATUS(tsc_png_write(good, src, &err), TSC_OK);
    tsc_gray_image_free(src);
    size_t n = 0;
    unsigned char *buf = (unsigned char *)tsc_test_read_file(good, &n);
    REQUIRE(buf && n > 100);
    CHECK_STATUS(tsc_png_read_memory(buf, n / 2, "half.png", &im, &err), TSC_EFORMAT);
    CHECK(strstr(err.message, "half.png") != NULL);
    CHECK(im == NULL);
    /* Corrupt the IHDR: a CRC error. */
    buf[20] ^= 0x55;
    CHECK_STATUS(tsc_png_read_memory(buf, n, "crc.png", &im, &err), TSC_EFORMAT);
    CHECK(im == NULL);
    free(buf);
}

/* Writes a colour PNG with libpng (our writer only makes grayscale). */
static void write_color_png(const char *path, int color_type, int bit_depth, const void *rows_data,
                            int width, int height)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    REQUIRE(png && info);
    REQUIRE(!setjmp(png_jmpbuf(png)));
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color palette[2] = {{0, 0, 0}, {255, 255, 255}};
        png_set_PLTE(png, info, palette, 2);
    }
    png_write_info(png, info);
    size_t stride = png_get_rowbytes(png, info);
    for (int y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)rows_data + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

/* A colour PNG written with libpng (as `name` in the test's folder) and
 * read back with our reader, which must take it. */
static tsc_gray_image *read_back_color_png(const char *name, int color_type, int bit_depth,
                                           const void *rows_data, int width, int height)
{
    const char *path = tsc_test_path("%s", name);
    write_color_png(path, color_type, bit_depth, rows_data, width, height);
    tsc_gray_image *im = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_png_read(path, &im, &err), TSC_OK);
    REQUIRE(im);
    return im;
}

TSC_TEST(png_read_converts_color_palette_and_alpha_to_gray)
{
    /* RGB: white, black, pure green. */
    const unsigned char rgb[] = {255, 255, 255, 0, 0, 0, 0, 255, 0};
    tsc_gray_image *im = read_back_color_png("rgb.png", PNG_COLOR_TYPE_RGB, 8, rgb, 3, 1);
    CHECK(im->bit_depth == 8 && im->width == 3 && im->height == 1);
    CHECK(im->flags & TSC_PNG_FROM_COLOR);
    CHECK(tsc_gray_image_get(im, 0, 0) == 255);
    CHECK(tsc_gray_image_get(im, 1, 0) == 0);
    /* Rec. 709 luminance of green is 0.7152. */
    CHECK_NEAR(tsc_gray_image_get(im, 2, 0), 0.7152 * 255, 2);
    tsc_gray_image_free(im);
    /* 16-bit gray with alpha keeps 16 bits and drops the alpha. */
    const unsigned char ga16[] = {0x12, 0x34, 0xff, 0xff, 0xab, 0xcd, 0x00, 0x00};
    im = read_back_color_png("ga16.png", PNG_COLOR_TYPE_GRAY_ALPHA, 16, ga16, 2, 1);
    CHECK(im->bit_depth == 16 && (im->flags & TSC_PNG_ALPHA_DROPPED));
    CHECK(tsc_gray_image_get(im, 0, 0) == 0x1234 && tsc_gray_image_get(im, 1, 0) == 0xabcd);
    tsc_gray_image_free(im);
    /* A 1-bit palette image expands to 0/255. */
    const unsigned char pal[] = {0x40}; /* pixels 0,1,0,0 */
    im = read_back_color_png("pal.png", PNG_COLOR_TYPE_PALETTE, 1, pal, 4, 1);
    CHECK(im->bit_depth == 8 && (im->flags & TSC_PNG_EXPANDED));
    CHECK(tsc_gray_image_get(im, 0, 0) == 0 && tsc_gray_image_get(im, 1, 0) == 255);
    tsc_gray_image_free(im);
}

/* ---- NIfTI ----------------------------------------------------------------- */

TSC_TEST(nifti_reads_uint8_nii_with_sform)
{
    nifti_spec s = small_spec(4, 3, 2, TSC_NIFTI_UINT8, 8);
    s.sform_code = 4;
    /* 2 mm voxels, x flipped (LAS-like), origin (10, -20, 30). */
    float srow[3][4] = {{-2, 0, 0, 10}, {0, 2, 0, -20}, {0, 0, 2, 30}};
    memcpy(s.srow, srow, sizeof srow);
    uint8_t data[24];
    for (int i = 0; i < 24; i++) data[i] = (uint8_t)(i * 10);
    size_t n;
    unsigned char *b = make_nifti(&s, data, sizeof data, &n);
    const char *path = tsc_test_path("u8.nii");
    write_bytes(path, b, n);
    free(b);
    tsc_volume *v = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_nifti_read(path, NULL, &v, &err), TSC_OK);
    REQUIRE(v);
    CHECK(v->nx == 4 && v->ny == 3 && v->nz == 2 && v->n_volumes == 1);
    CHECK(v->xform == TSC_NIFTI_XFORM_SFORM && v->datatype == TSC_NIFTI_UINT8);
    CHECK_NEAR(v->data[(1 * 3 + 2) * 4 + 3], ((1 * 3 + 2) * 4 + 3) * 10, 0);
    CHECK_NEAR(v->spacing[0], 2, 1e-6);
    double xyz[3];
    tsc_volume_voxel_to_world(v, 1, 1, 1, xyz);
    CHECK_NEAR(xyz[0], 8, 1e-6);
    CHECK_NEAR(xyz[1], -18, 1e-6);
    CHECK_NEAR(xyz[2], 32, 1e-6);
    CHECK_NEAR(v->min_value, 0, 0);
    CHECK_NEAR(v->max_value, 230, 0);
    /* Trilinear sampling between voxels, and the outside value beyond. */
    CHECK_NEAR(tsc_volume_sample(v, 0.5, 0, 0, -1), 5, 1e-5);
    CHECK_NEAR(tsc_volume_sample(v, 10, 0, 0, -1), -1, 0);
    tsc_volume_free(v);
}

TSC_TEST(nifti_reads_int16_nii_gz_with_scaling_and_qform)
{
    nifti_spec s = small_spec(5, 4, 3, TSC_NIFTI_INT16, 16);
    s.slope = 0.5f;
    s.inter = -10;
    s.qform_code = 1;
    s.pixdim[0] = -1; /* qfac: k axis flipped */
    s.pixdim[1] = 0.9f;
    s.pixdim[2] = 0.8f;
    s.pixdim[3] = 5;
    /* 180 degrees about z: b = c = 0, d = 1, so x and y are negated. */
    s.quatern[2] = 1;
    s.qoffset[0] = 100;
    s.qoffset[1] = 50;
    s.qoffset[2] = -25;
    int16_t data[60];
    for (int i = 0; i < 60; i++) data[i] = (int16_t)(i * 100 - 3000);
    size_t n;
    unsigned char *b = make_nifti(&s, data, sizeof data, &n);
    const char *path = tsc_test_path("i16.nii.gz");
    write_gz(path, b, n);
    tsc_volume *v = NULL;
    tsc_error err;
    CHECK_STATUS(tsc_nifti_read(path, NULL, &v, &err), TSC_OK);
    REQUIRE(v);
    CHECK(v->xform == TSC_NIFTI_XFORM_QFORM);
    CHECK_NEAR(v->data[17], (17 * 100 - 3000) * 0.5 - 10, 1e-4);
    CHECK_NEAR(v->spacing[0], 0.9, 1e-6);
    CHECK_NEAR(v->spacing[1], 0.8, 1e-6);
    CHECK_NEAR(v->spacing[2], 5, 1e-6);
    double xyz[3];
    tsc_volume_voxel_to_world(v, 1, 2, 1, xyz);
    CHECK_NEAR(xyz[0], 100 - 0.9, 1e-5);
    CHECK_NEAR(xyz[1], 50 - 1.6, 1e-5);
    CHECK_NEAR(xyz[2], -25 - 5, 1e-5);
    tsc_volume_free(v);
    /* The same bytes from memory, compressed and not. */
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "mem.nii", NULL, &v, &err), TSC_OK);
    CHECK(v && v->nx == 5);
    tsc_volume_free(v);
    free(b);
}

TSC_TEST(nifti_reads_every_supported_datatype_and_big_endian)
{
    struct {
        int type, bits;
    } types[] = {{TSC_NIFTI_UINT8, 8},    {TSC_NIFTI_INT8, 8},    {TSC_NIFTI_INT16, 16},
                 {TSC_NIFTI_UINT16, 16},  {TSC_NIFTI_INT32, 32},  {TSC_NIFTI_UINT32, 32},
                 {TSC_NIFTI_FLOAT32, 32}, {TSC_NIFTI_FLOAT64, 64}};
    const double expect[3] = {1, 7, 100};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        for (int be = 0; be < 2; be++) {
            nifti_spec s = small_spec(3, 1, 1, types[t].type, types[t].bits);
            s.big_endian = be;
            unsigned char data[24];
            int sz = types[t].bits / 8;
            for (int i = 0; i < 3; i++) {
                unsigned char *p = data + i * sz;
                uint64_t u = 0;
                if (types[t].type == TSC_NIFTI_FLOAT32) {
                    float f = (float)expect[i];
                    uint32_t w;
                    memcpy(&w, &f, 4);
                    u = w;
                } else if (types[t].type == TSC_NIFTI_FLOAT64) {
                    memcpy(&u, &expect[i], 8);
                } else {
                    u = (uint64_t)expect[i];
                }
                for (int k = 0; k < sz; k++)
                    p[be ? sz - 1 - k : k] = (unsigned char)(u >> (8 * k));
            }
            size_t n;
            unsigned char *b = make_nifti(&s, data, (size_t)(3 * sz), &n);
            tsc_volume *v = NULL;
            tsc_error err;
            tsc_status st = tsc_nifti_read_memory(b, n, "t.nii", NULL, &v, &err);
            free(b);
            if (st != TSC_OK) fprintf(stderr, "datatype %d be %d: %s\n", types[t].type, be, err.message);
            CHECK_STATUS(st, TSC_OK);
            if (!v) continue;
            for (int i = 0; i < 3; i++) CHECK_NEAR(v->data[i], expect[i], 0);
            tsc_volume_free(v);
        }
    }
}

TSC_TEST(nifti_rejects_absurd_dims_before_allocating)
{
    tsc_error err;
    tsc_volume *v = NULL;
    /* Negative and zero sizes. */
    nifti_spec s = small_spec(4, -3, 2, TSC_NIFTI_UINT8, 8);
    size_t n;
    unsigned char *b = make_nifti(&s, NULL, 0, &n);
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "neg.nii", NULL, &v, &err), TSC_EFORMAT);
    CHECK(strstr(err.message, "dim[2]") != NULL);
    free(b);
    s = small_spec(4, 3, 2, TSC_NIFTI_UINT8, 8);
    s.dim[0] = 9;
    b = make_nifti(&s, NULL, 0, &n);
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "dim0.nii", NULL, &v, &err), TSC_EFORMAT);
    free(b);
    /* 32767^3 float32 voxels: far over the limit, refused from the header. */
    s = small_spec(32767, 32767, 32767, TSC_NIFTI_FLOAT32, 32);
    b = make_nifti(&s, NULL, 0, &n);
    const char *path = tsc_test_path("huge.nii.gz");
    write_gz(path, b, n);
    free(b);
    CHECK_STATUS(tsc_nifti_read(path, NULL, &v, &err), TSC_ELIMIT);
    CHECK(strstr(err.message, "huge.nii.gz") != NULL);
    CHECK(v == NULL);
    /* Mismatched bitpix, unknown datatype, bad vox_offset. */
    s = small_spec(2, 2, 2, TSC_NIFTI_INT16, 8);
    b = make_nifti(&s, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, &n);
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "bitpix.nii", NULL, &v, &err), TSC_EFORMAT);
    free(b);
    s = small_spec(2, 2, 2, 32 /* complex64 */, 64);
    b = make_nifti(&s, NULL, 0, &n);
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "complex.nii", NULL, &v, &err), TSC_EUNSUPPORTED);
    free(b);
    s = small_spec(2, 2, 2, TSC_NIFTI_UINT8, 8);
    b = make_nifti(&s, "\0\0\0\0\0\0\0\0", 8, &n);
    float bad = 100.0f;
    memcpy(b + 108, &bad, 4);
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "offset.nii", NULL, &v, &err), TSC_EFORMAT);
    /* Not NIfTI at all / NIfTI pair header. */
    memcpy(b + 344, "ni1\0", 4);
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "pair.hdr", NULL, &v, &err), TSC_EUNSUPPORTED);
    b[0] = 1;
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "junk.nii", NULL, &v, &err), TSC_EFORMAT);
    CHECK_STATUS(tsc_nifti_read_memory(b, 100, "tiny.nii", NULL, &v, &err), TSC_EFORMAT);
    free(b);
}

TSC_TEST(nifti_rejects_files_shorter_than_declared)
{
    tsc_error err;
    tsc_volume *v = NULL;
    /* 1000x1000x400 float32 (1.5 GiB, under the limit) declared, 64 bytes
     * present.  With the address space capped at 512 MiB, reading must fail
     * with EFORMAT, not try to allocate the declared size. */
    nifti_spec s = small_spec(1000, 1000, 400, TSC_NIFTI_FLOAT32, 32);
    unsigned char data[64] = {0};
    size_t n;
    unsigned char *b = make_nifti(&s, data, sizeof data, &n);
    const char *plain = tsc_test_path("short.nii");
    const char *gz = tsc_test_path("short.nii.gz");
    write_bytes(plain, b, n);
    write_gz(gz, b, n);
    free(b);
#if !TSC_SANITIZER_SHADOW
    struct rlimit lim = {512u << 20, 512u << 20};
    struct rlimit old;
    getrlimit(RLIMIT_AS, &old);
    if (old.rlim_cur == RLIM_INFINITY || old.rlim_cur > lim.rlim_cur) setrlimit(RLIMIT_AS, &lim);
#endif
    CHECK_STATUS(tsc_nifti_read(plain, NULL, &v, &err), TSC_EFORMAT);
    CHECK(strstr(err.message, "short.nii") && strstr(err.message, "truncated"));
    CHECK_STATUS(tsc_nifti_read(gz, NULL, &v, &err), TSC_EFORMAT);
    CHECK(strstr(err.message, "short.nii.gz") && strstr(err.message, "truncated"));
    CHECK(v == NULL);

    /* A small volume cut short by one byte, plain and gzip. */
    nifti_spec t = small_spec(4, 4, 4, TSC_NIFTI_INT16, 16);
    int16_t d2[64] = {0};
    b = make_nifti(&t, d2, sizeof d2, &n);
    CHECK_STATUS(tsc_nifti_read_memory(b, n - 1, "cut.nii", NULL, &v, &err), TSC_EFORMAT);
    write_gz(gz, b, n - 1);
    CHECK_STATUS(tsc_nifti_read(gz, NULL, &v, &err), TSC_EFORMAT);
    /* A gzip stream cut in the middle. */
    write_gz(gz, b, n);
    free(b);
    size_t zn;
    char *zbuf = tsc_test_read_file(gz, &zn);
    REQUIRE(zbuf);
    write_bytes(gz, zbuf, zn - 12);
    free(zbuf);
    tsc_status st = tsc_nifti_read(gz, NULL, &v, &err);
    CHECK(st == TSC_EFORMAT || st == TSC_EIO);
    CHECK(v == NULL);
    /* A tighter caller limit. */
    tsc_nifti_params p = tsc_nifti_default_params();
    p.max_bytes = 100;
    b = make_nifti(&t, d2, sizeof d2, &n);
    CHECK_STATUS(tsc_nifti_read_memory(b, n, "limit.nii", &p, &v, &err), TSC_ELIMIT);
    free(b);
}

/* ---- dataset index --------------------------------------------------------- */

TSC_TEST(csv_reads_quotes_crlf_bom_and_columns_by_name)
{
    static const char csv[] =
        "\xEF\xBB\xBF" "split,id,label_name,label,extra,patient_id\r\n"
        "train,0001,glioma,2,\"a, b\",P1\r\n"
        "test,0002,no_tumor,0,\"say \"\"hi\"\"\",P2\r\n"
        "val,0003,meningioma,1,\"two\r\nlines\",\"P,3\"\r\n"
        "\r\n";
    tsc_dataset *ds = NULL;
    tsc_error err;
    tsc_status st = tsc_dataset_load_memory(csv, sizeof csv - 1, "/data/x", &ds, &err);
    if (st) fprintf(stderr, "%s\n", err.message);
    CHECK_STATUS(st, TSC_OK);
    REQUIRE(ds);
    CHECK(tsc_dataset_n_rows(ds) == 3);
    CHECK(tsc_dataset_n_columns(ds) == 6);
    const tsc_dataset_row *r = tsc_dataset_get_row(ds, 0);
    CHECK(!strcmp(r->id, "0001") && r->label == 2 && !strcmp(r->label_name, "glioma"));
    CHECK(!strcmp(r->patient_id, "P1") && !strcmp(r->split, "train"));
    int extra = tsc_dataset_find_column(ds, "extra");
    CHECK(extra == 4);
    CHECK(!strcmp(tsc_dataset_get_value(ds, 0, (size_t)extra), "a, b"));
    CHECK(!strcmp(tsc_dataset_get_value(ds, 1, (size_t)extra), "say \"hi\""));
    CHECK(!strcmp(tsc_dataset_get_value(ds, 2, (size_t)extra), "two\r\nlines"));
    CHECK(!strcmp(tsc_dataset_get_row(ds, 2)->patient_id, "P,3"));
    CHECK(!strcmp(tsc_dataset_get_column_name(ds, 0), "split"));
    CHECK(tsc_dataset_find_column(ds, "nope") == -1);
    char *img = tsc_dataset_dup_image_path(ds, 1), *mask = tsc_dataset_dup_mask_path(ds, 1);
    CHECK(img && !strcmp(img, "/data/x/images/0002.png"));
    CHECK(mask && !strcmp(mask, "/data/x/masks/0002.png"));
    free(img);
    free(mask);
    tsc_dataset_free(ds);

    /* LF only, no final newline. */
    static const char lf[] = "id,label,label_name,patient_id,split\n7,1,meningioma,p,test";
    CHECK_STATUS(tsc_dataset_load_memory(lf, sizeof lf - 1, NULL, &ds, &err), TSC_OK);
    CHECK(ds && tsc_dataset_n_rows(ds) == 1 && !strcmp(tsc_dataset_get_row(ds, 0)->split, "test"));
    tsc_dataset_free(ds);
}

TSC_TEST(csv_reports_missing_column_bad_rows_and_quotes)
{
    tsc_dataset *ds = NULL;
    tsc_error err;
    static const char missing[] = "id,label,label_name,patient_id\n1,0,no_tumor,p\n";
    CHECK_STATUS(tsc_dataset_load_memory(missing, sizeof missing - 1, NULL, &ds, &err),
                 TSC_EFORMAT);
    CHECK(strstr(err.message, "missing column 'split'") != NULL);
    CHECK(ds == NULL);
    static const char fields[] = "id,label,label_name,patient_id,split\n1,0,no_tumor,p,train\n"
                                 "2,0,no_tumor,p\n";
    CHECK_STATUS(tsc_dataset_load_memory(fields, sizeof fields - 1, NULL, &ds, &err), TSC_EFORMAT);
    CHECK(strstr(err.message, "line 3") != NULL);
    static const char open_quote[] = "id,label,label_name,patient_id,split\n1,0,\"no_tumor,p,train\n";
    CHECK_STATUS(tsc_dataset_load_memory(open_quote, sizeof open_quote - 1, NULL, &ds, &err),
                 TSC_EFORMAT);
    CHECK(strstr(err.message, "never closed") != NULL);
    static const char label[] = "id,label,label_name,patient_id,split\n1,glioma,glioma,p,train\n";
    CHECK_STATUS(tsc_dataset_load_memory(label, sizeof label - 1, NULL, &ds, &err), TSC_EFORMAT);
    CHECK(strstr(err.message, "not an integer") != NULL);
    static const char stray[] = "id,label,label_name,patient_id,split\n1,0,no\"tumor,p,train\n";
    CHECK_STATUS(tsc_dataset_load_memory(stray, sizeof stray - 1, NULL, &ds, &err), TSC_EFORMAT);
    CHECK_STATUS(tsc_dataset_load_memory("", 0, NULL, &ds, &err), TSC_EFORMAT);
    CHECK_STATUS(tsc_dataset_load(tsc_test_path("none.csv"), &ds, &err), TSC_ENOTFOUND);
    CHECK(ds == NULL);
}

TSC_TEST(csv_reads_the_shared_datasets)
{
    const char *root = tsc_test_env("TSC_SHARED_DATA", "");
    char path[4096];
    snprintf(path, sizeof path, "%s/figshare-cheng/index.csv", root);
    struct stat st;
    if (!*root || stat(path, &st) != 0)
        tsc_test_skip("shared datasets not found (TSC_SHARED_DATA=%s)", root);
    const char *names[] = {"figshare-cheng", "lgg-flair", "no-tumor"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", root, names[i]);
        if (stat(path, &st) != 0) continue;
        tsc_dataset *ds = NULL;
        tsc_error err;
        tsc_status s = tsc_dataset_load(path, &ds, &err);
        if (s) fprintf(stderr, "%s\n", err.message);
        CHECK_STATUS(s, TSC_OK);
        if (!ds) continue;
        CHECK(tsc_dataset_n_rows(ds) > 100);
        for (size_t r = 0; r < tsc_dataset_n_rows(ds); r++) {
            const tsc_dataset_row *row = tsc_dataset_get_row(ds, r);
            int ok = !strcmp(row->split, "train") || !strcmp(row->split, "val") ||
                     !strcmp(row->split, "test");
            if (!ok) {
                fprintf(stderr, "%s row %zu: split '%s'\n", names[i], r, row->split);
                CHECK(ok);
                break;
            }
        }
        /* The first image exists where the format says. */
        char *img = tsc_dataset_dup_image_path(ds, 0);
        CHECK(img && stat(img, &st) == 0);
        free(img);
        tsc_dataset_free(ds);
    }
}

/* ---- file-system helpers --------------------------------------------------- */

TSC_TEST(io_list_dir_sorts_numbers_naturally)
{
    const char *names[] = {"slice10.png", "slice2.png", "slice1.png", "Slice3.PNG", "notes.txt",
                           ".hidden.png"};
    for (size_t i = 0; i < 6; i++) write_bytes(tsc_test_path("%s", names[i]), "x", 1);
    mkdir(tsc_test_path("sub.png"), 0755);
    static const char *const png[] = {".png"};
    char **paths = NULL;
    size_t n = 0;
    tsc_error err;
    CHECK_STATUS(tsc_io_list_dir(tsc_test_tmpdir(), png, 1, &paths, &n, &err), TSC_OK);
    REQUIRE(n == 4);
    const char *expect[] = {"Slice3.PNG", "slice1.png", "slice2.png", "slice10.png"};
    for (size_t i = 0; i < 4; i++) {
        const char *base = strrchr(paths[i], '/') + 1;
        if (strcmp(base, expect[i])) fprintf(stderr, "[%zu] %s != %s\n", i, base, expect[i]);
        CHECK(!strcmp(base, expect[i]));
    }
    tsc_io_free_paths(paths, n);
}

TSC_TEST(io_prepare_output_dir_refuses_non_empty_folders)
{
    tsc_error err;
    const char *fresh = tsc_test_path("a/b/c");
    CHECK_STATUS(tsc_io_prepare_output_dir(fresh, 0, &err), TSC_OK);
    struct stat st;
    CHECK(stat(fresh, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_STATUS(tsc_io_prepare_output_dir(fresh, 0, &err), TSC_OK); /* empty: fine */
    write_bytes(tsc_test_path("a/b/c/f"), "x", 1);
    CHECK_STATUS(tsc_io_prepare_output_dir(fresh, 0, &err), TSC_EEXIST);
    CHECK(strstr(err.message, "not empty") != NULL);
    CHECK_STATUS(tsc_io_prepare_output_dir(fresh, 1, &err), TSC_OK);
    CHECK_STATUS(tsc_io_prepare_output_dir(tsc_test_path("a/b/c/f"), 1, &err), TSC_EEXIST);
}

TSC_TEST_MAIN(TSC_CASE(png_round_trips_8_bit), TSC_CASE(png_round_trips_16_bit),
              TSC_CASE(png_write_is_atomic_and_leaves_no_temp_file),
              TSC_CASE(png_read_rejects_non_png_and_truncated_files),
              TSC_CASE(png_read_converts_color_palette_and_alpha_to_gray),
              TSC_CASE(nifti_reads_uint8_nii_with_sform),
              TSC_CASE(nifti_reads_int16_nii_gz_with_scaling_and_qform),
              TSC_CASE(nifti_reads_every_supported_datatype_and_big_endian),
              TSC_CASE(nifti_rejects_absurd_dims_before_allocating),
              TSC_CASE(nifti_rejects_files_shorter_than_declared),
              TSC_CASE(csv_reads_quotes_crlf_bom_and_columns_by_name),
              TSC_CASE(csv_reports_missing_column_bad_rows_and_quotes),
              TSC_CASE(csv_reads_the_shared_datasets),
              TSC_CASE(io_list_dir_sorts_numbers_naturally),
              TSC_CASE(io_prepare_output_dir_refuses_non_empty_folders))
