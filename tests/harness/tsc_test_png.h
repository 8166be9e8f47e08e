/* SPDX-License-Identifier: BSD-3-Clause */
/* What the tests look for in the PNG files the renderer writes (header-only,
 * for C and C++ tests that link cairo: tests/outputs, tests/viewer). */
#ifndef TSC_TEST_PNG_H
#define TSC_TEST_PNG_H

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>

/* 1 for a pixel (cairo RGB24/ARGB32) of the measurement yellow
 * (TSC_COLOR_MEASUREMENT #FFD600), not the classical tumour's #F0E442:
 * saturated, no blue. */
static inline int tsc_test_is_measurement_yellow(uint32_t px)
{
    int r = (px >> 16) & 0xFF, g = (px >> 8) & 0xFF, b = px & 0xFF;
    return r >= 235 && g >= 190 && g <= 235 && b <= 40;
}

/* The measurement-yellow pixels of the PNG at `path`: *total in all, and
 * the most in one row returned; -1 (and *total 0) when it cannot be read. */
static inline int tsc_test_png_measurement_yellow(const char *path, size_t *total)
{
    *total = 0;
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return -1;
    }
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s), best = 0;
    const unsigned char *d = cairo_image_surface_get_data(s);
    for (int y = 0; y < h; y++) {
        int n = 0;
        const uint32_t *row = (const uint32_t *)(const void *)(d + (size_t)y * stride);
        for (int x = 0; x < w; x++) n += tsc_test_is_measurement_yellow(row[x]);
        *total += (size_t)n;
        if (n > best) best = n;
    }
    cairo_surface_destroy(s);
    return best;
}

#endif
