/* SPDX-License-Identifier: BSD-3-Clause */
/* Grayscale PNG reading and atomic writing over libpng. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_io.h"

tsc_gray_image *tsc_gray_image_new(int width, int height, int bit_depth)
{
    if (width < 1 || height < 1 || width > TSC_PNG_MAX_SIDE || height > TSC_PNG_MAX_SIDE)
        return NULL;
    if (bit_depth != 8 && bit_depth != 16) return NULL;
    if ((uint64_t)width * (uint64_t)height > TSC_PNG_MAX_PIXELS) return NULL;
    tsc_gray_image *im = calloc(1, sizeof *im);
    if (!im) return NULL;
    im->width = width;
    im->height = height;
    im->bit_depth = bit_depth;
    im->pixels = calloc((size_t)width * (size_t)height, bit_depth / 8);
    if (!im->pixels) {
        free(im);
        return NULL;
    }
    return im;
}

void tsc_gray_image_free(tsc_gray_image *image)
{
    if (!image) return;
    free(image->pixels);
    free(image);
}

unsigned tsc_gray_image_get(const tsc_gray_image *image, int x, int y)
{
    TSC_ASSERT(image && x >= 0 && y >= 0 && x < image->width && y < image->height);
    size_t i = (size_t)y * (size_t)image->width + (size_t)x;
    if (image->bit_depth == 8) return ((const uint8_t *)image->pixels)[i];
    return ((const uint16_t *)image->pixels)[i];
}

/* libpng reports errors through a callback that must not return; we keep
 * the message and longjmp back to the call. */
typedef struct png_ctx {
    jmp_buf jmp;
    char message[256];
    const char *name;
    /* memory source */
    const unsigned char *data;
    size_t size, pos;
} png_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->message, sizeof ctx->message, "%s", msg ? msg : "libpng error");
    longjmp(ctx->jmp, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    /* Warnings (bad ancillary chunks, sRGB profile quirks) do not affect the
     * grayscale pixels we keep. */
    (void)png;
    (void)msg;
}

static void read_from_memory(png_structp png, png_bytep out, png_size_t n)
{
    png_ctx *ctx = png_get_io_ptr(png);
    if (n > ctx->size - ctx->pos) png_error(png, "file ends early (truncated PNG)");
    memcpy(out, ctx->data + ctx->pos, n);
    ctx->pos += n;
}

/* Shared by the file and memory readers; `fp` or ctx->data is the source. */
static tsc_status png_read_any(FILE *fp, png_ctx *ctx, tsc_gray_image **out, tsc_error *err)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, on_png_error,
                                             on_png_warning);
    if (!png) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", ctx->name);
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", ctx->name);
    }
    /* volatile: these change between setjmp and a possible longjmp. */
    tsc_gray_image *volatile image = NULL;
    png_bytep *volatile rows = NULL;
    volatile tsc_status status = TSC_OK;
    if (setjmp(ctx->jmp)) {
        if (status == TSC_OK) status = TSC_EFORMAT;
        tsc_error_set(err, status, "%s: not a readable PNG: %s", ctx->name, ctx->message);
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        tsc_gray_image_free(image);
        return status;
    }
    png_set_user_limits(png, TSC_PNG_MAX_SIDE, TSC_PNG_MAX_SIDE);
    /* Ancillary chunks (text, ICC) are not needed; cap what they may cost. */
    png_set_chunk_malloc_max(png, 8u * 1024u * 1024u);
    /* libpng 1.6 only warns when a chunk exceeds that cap ("chunk data is
     * too large" is a benign error) and then allocates the declared length,
     * up to 2 GiB, for the chunks it reads whole.  None of those changes the
     * pixels, so skip them unread. */
    static const png_byte read_whole[] = "tEXt\0zTXt\0iTXt\0sPLT\0pCAL\0sCAL\0eXIf";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, read_whole, 7);
    if (fp)
        png_init_io(png, fp);
    else
        png_set_read_fn(png, ctx, read_from_memory);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    if ((uint64_t)width * height > TSC_PNG_MAX_PIXELS) {
        status = TSC_ELIMIT;
        snprintf(ctx->message, sizeof ctx->message, "%ux%u pixels exceeds the limit of %u",
                 (unsigned)width, (unsigned)height, (unsigned)TSC_PNG_MAX_PIXELS);
        longjmp(ctx->jmp, 1);
    }
    unsigned flags = 0;
    if (type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
        flags |= TSC_PNG_EXPANDED;
    }
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
        flags |= TSC_PNG_EXPANDED;
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_tRNS_to_alpha(png);
    }
    if (type & PNG_COLOR_MASK_ALPHA || png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_strip_alpha(png);
        flags |= TSC_PNG_ALPHA_DROPPED;
    }
    if (type & PNG_COLOR_MASK_COLOR) {
        /* Rec. 709 luminance weights, libpng's default when given -1. */
        png_set_rgb_to_gray_fixed(png, 1, -1, -1);
        flags |= TSC_PNG_FROM_COLOR;
    }
    int out_depth = depth == 16 ? 16 : 8;
    if (out_depth == 16) {
        /* PNG is big-endian; our buffers are host order. */
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png);
    }
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 1) {
        snprintf(ctx->message, sizeof ctx->message, "unexpected channel count after conversion");
        longjmp(ctx->jmp, 1);
    }
    image = tsc_gray_image_new((int)width, (int)height, out_depth);
    if (!image) {
        status = TSC_ENOMEM;
        snprintf(ctx->message, sizeof ctx->message, "out of memory for %ux%u pixels",
                 (unsigned)width, (unsigned)height);
        longjmp(ctx->jmp, 1);
    }
    image->flags = flags;
    rows = malloc(height * sizeof *rows);
    if (!rows) {
        status = TSC_ENOMEM;
        snprintf(ctx->message, sizeof ctx->message, "out of memory");
        longjmp(ctx->jmp, 1);
    }
    size_t stride = (size_t)width * (out_depth / 8);
    for (png_uint_32 y = 0; y < height; y++)
        rows[y] = (png_bytep)image->pixels + (size_t)y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    *out = image;
    return TSC_OK;
}

tsc_status tsc_png_read(const char *path, tsc_gray_image **out, tsc_error *err)
{
    TSC_ASSERT(path && out);
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tsc_error_set(err, errno == ENOENT ? TSC_ENOTFOUND : TSC_EIO, "%s: %s", path,
                             strerror(errno));
    unsigned char sig[8];
    if (fread(sig, 1, 8, fp) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fclose(fp);
        return tsc_error_set(err, TSC_EFORMAT, "%s: not a PNG file (bad signature)", path);
    }
    rewind(fp);
    png_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.name = path;
    tsc_status st = png_read_any(fp, &ctx, out, err);
    fclose(fp);
    return st;
}

tsc_status tsc_png_read_memory(const void *data, size_t size, const char *name,
                               tsc_gray_image **out, tsc_error *err)
{
    TSC_ASSERT(out && (data || size == 0));
    *out = NULL;
    if (!name) name = "(memory)";
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0)
        return tsc_error_set(err, TSC_EFORMAT, "%s: not a PNG file (bad signature)", name);
    png_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.name = name;
    ctx.data = data;
    ctx.size = size;
    return png_read_any(NULL, &ctx, out, err);
}

static tsc_status png_write_stream(FILE *fp, const tsc_gray_image *image, const char *path,
                                   tsc_error *err)
{
    png_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_png_error,
                                              on_png_warning);
    if (!png) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    }
    if (setjmp(ctx.jmp)) {
        png_destroy_write_struct(&png, &info);
        return tsc_error_set(err, TSC_EIO, "%s: writing the PNG failed: %s", path, ctx.message);
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)image->width, (png_uint_32)image->height,
                 image->bit_depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (image->bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png);
    }
    size_t stride = (size_t)image->width * (size_t)(image->bit_depth / 8);
    for (int y = 0; y < image->height; y++)
        png_write_row(png, (png_const_bytep)image->pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return TSC_OK;
}

tsc_status tsc_png_write(const char *path, const tsc_gray_image *image, tsc_error *err)
{
    TSC_ASSERT(path && image && image->pixels);
    TSC_ASSERT(image->bit_depth == 8 || image->bit_depth == 16);
    TSC_ASSERT(image->width > 0 && image->height > 0);
    tsc_atomic_file *f;
    tsc_status st = tsc_atomic_file_open(path, &f, err);
    if (st != TSC_OK) return st;
    st = png_write_stream(tsc_atomic_file_get_stream(f), image, path, err);
    if (st != TSC_OK) {
        tsc_atomic_file_abort(f);
        return st;
    }
    return tsc_atomic_file_commit(f, err);
}
