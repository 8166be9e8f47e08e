/* SPDX-License-Identifier: BSD-3-Clause */
/* A slice as displayed: windowed, at its physical aspect, with the overlay. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render_private.h"

/* The largest panel we draw; keeps a hostile header from asking cairo for
 * gigabytes (cairo's own limit is 32767). */
#define MAX_PANEL 8192

/* DICOM PS3.3 C.11.2.1.2.1 linear VOI window to 8 bits. */
static cairo_surface_t *windowed_surface(const tsc_dicom_image *im)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, im->cols, im->rows);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    double c = im->window_center, w = im->window_width;
    if (!(w >= 1) || !isfinite(c)) {
        c = 0.5 * ((double)im->min_value + (double)im->max_value);
        w = fmax(1.0, (double)im->max_value - (double)im->min_value);
    }
    double lo = c - 0.5 - (w - 1) / 2, hi = c - 0.5 + (w - 1) / 2;
    cairo_surface_flush(s);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < im->rows; y++) {
        uint32_t *row = (uint32_t *)(void *)(d + (size_t)y * stride);
        const float *px = im->pixels + (size_t)y * im->cols;
        for (int x = 0; x < im->cols; x++) {
            double v = px[x];
            uint32_t g;
            if (!(v > lo)) g = 0; /* also NaN */
            else if (v > hi) g = 255;
            else g = (uint32_t)lround(((v - (c - 0.5)) / (w - 1) + 0.5) * 255.0);
            if (g > 255) g = 255;
            row[x] = 0xFF000000u | (g << 16) | (g << 8) | g;
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

tsc_status tsc__panel_new(const tsc_model *model, const tsc_dicom_image *im, const tsc_result *r,
                          const tsc_overlay_options *ov, double min_size, double fit_w,
                          double fit_h, unsigned flags, cairo_surface_t **result, tsc_error *err)
{
    return tsc__panel_new_meas(model, im, r, ov, NULL, 0, min_size, fit_w, fit_h, flags, result,
                               err);
}

tsc_status tsc__panel_new_meas(const tsc_model *model, const tsc_dicom_image *im,
                               const tsc_result *r, const tsc_overlay_options *ov,
                               const tsc_reader_measurement *ms, size_t n_ms, double min_size,
                               double fit_w, double fit_h, unsigned flags, cairo_surface_t **result,
                               tsc_error *err)
{
    *result = NULL;
    if (r) {
        int rr = 0, rc = 0;
        tsc_result_get_mask(r, &rr, &rc);
        if (rr != im->rows || rc != im->cols) {
            return tsc_error_set(err, TSC_EINVAL,
                                 "the result is for a %dx%d slice but the slice is %dx%d; analyse "
                                 "the slice again",
                                 rc, rr, im->cols, im->rows);
        }
    }
    double dy = im->pixel_spacing[0] > 0 ? im->pixel_spacing[0] : 1.0;
    double dx = im->pixel_spacing[1] > 0 ? im->pixel_spacing[1] : 1.0;
    /* Stretch the coarser axis so that a display pixel is square in mm. */
    double sx = 1, sy = 1;
    if (dy > dx) sy = dy / dx;
    else sx = dx / dy;
    double W = im->cols * sx, H = im->rows * sy, k;
    if (fit_w > 0 && fit_h > 0) {
        k = fmin(fit_w / W, fit_h / H);
    } else {
        k = 1;
        double s = fmin(W, H);
        if (s < min_size) k = min_size / s;
    }
    if (W * k > MAX_PANEL || H * k > MAX_PANEL) k = fmin(MAX_PANEL / W, MAX_PANEL / H);
    int w = (int)lround(W * k), h = (int)lround(H * k);
    if (w < 1) w = 1;
    if (h < 1) h = 1;

    cairo_surface_t *gray = windowed_surface(im);
    cairo_surface_t *out = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (!gray || cairo_surface_status(out) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(gray);
        cairo_surface_destroy(out);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for a %dx%d slice rendering", w, h);
    }
    cairo_t *cr = cairo_create(out);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_paint(cr);
    cairo_scale(cr, (double)w / im->cols, (double)h / im->rows);
    cairo_pattern_t *p = cairo_pattern_create_for_surface(gray);
    /* Bilinear when enlarging (the usual radiology display), box-filtered
     * when shrinking thumbnails. */
    cairo_pattern_set_filter(p, k * fmin(sx, sy) >= 1 ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_GOOD);
    cairo_pattern_set_extend(p, CAIRO_EXTEND_PAD);
    cairo_set_source(cr, p);
    cairo_rectangle(cr, 0, 0, im->cols, im->rows);
    cairo_fill(cr);
    cairo_pattern_destroy(p);
    cairo_surface_destroy(gray);
    tsc_status st = TSC_OK;
    if (r) st = tsc__render_overlay_meas(cr, model, r, ov, flags, ms, n_ms, err);
    cairo_destroy(cr);
    if (st != TSC_OK) {
        cairo_surface_destroy(out);
        return st;
    }
    cairo_surface_flush(out);
    *result = out;
    return TSC_OK;
}

tsc_status tsc_render_slice_rgb(const tsc_model *model, const tsc_dicom_index *index,
                                size_t series, size_t slice, const tsc_result *r,
                                const tsc_overlay_options *options, int min_size, uint8_t **rgb,
                                int *width, int *height, tsc_error *err)
{
    TSC_ASSERT(index && rgb && width && height);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    TSC_ASSERT(slice < tsc_dicom_get_series(index, series)->n_slices);
    *rgb = NULL;
    tsc_error_clear(err);
    tsc_overlay_options ov = tsc__overlay_options(options);
    tsc_dicom_image *im = NULL;
    tsc_status st = tsc_dicom_decode_slice(index, series, slice, &im, err);
    if (st != TSC_OK) return st;
    cairo_surface_t *s = NULL;
    st = tsc__panel_new(model, im, r, &ov, min_size, 0, 0, 0, &s, err);
    tsc_dicom_image_free(im);
    if (st != TSC_OK) return st;
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    uint8_t *out = malloc((size_t)w * h * 3);
    if (!out) {
        cairo_surface_destroy(s);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for a %dx%d RGB image", w, h);
    }
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(d + (size_t)y * stride);
        uint8_t *o = out + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            o[3 * x] = (uint8_t)(row[x] >> 16);
            o[3 * x + 1] = (uint8_t)(row[x] >> 8);
            o[3 * x + 2] = (uint8_t)row[x];
        }
    }
    cairo_surface_destroy(s);
    *rgb = out;
    *width = w;
    *height = h;
    return TSC_OK;
}
