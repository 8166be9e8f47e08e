/* SPDX-License-Identifier: BSD-3-Clause */
#include "render_test.h"

#include <math.h>
#include <string.h>

#include "render_private.h"
#include "tsc_test.h"

void text_log_sink(const char *s, double size, void *data)
{
    text_log *t = data;
    size_t l = strlen(s);
    if (t->len + l + 2 < sizeof t->text) {
        memcpy(t->text + t->len, s, l);
        t->len += l;
        t->text[t->len++] = '\n';
        t->text[t->len] = 0;
    }
    if (t->n < sizeof t->sizes / sizeof t->sizes[0]) t->sizes[t->n++] = size;
}

void capture_text(text_log *t)
{
    memset(t, 0, sizeof *t);
    tsc__set_text_sink(text_log_sink, t);
}

int log_has(const text_log *t, const char *s)
{
    return strstr(t->text, s) != NULL;
}

cairo_surface_t *overlay_on_grey(const tsc_model *model, const tsc_result *r, double zoom,
                                 const tsc_overlay_options *o)
{
    int rows, cols;
    tsc_result_get_mask(r, &rows, &cols);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(cols * zoom),
                                                    (int)ceil(rows * zoom));
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
    cairo_paint(cr);
    cairo_scale(cr, zoom, zoom);
    tsc_error err;
    CHECK_STATUS(tsc_render_overlay(cr, model, r, o, &err), TSC_OK);
    /* The overlay leaves the caller's state as it found it. */
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    CHECK_NEAR(m.xx, zoom, 1e-12);
    CHECK_NEAR(m.yy, zoom, 1e-12);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

const char *out_path(const char *name)
{
    tsc_test_folder("out");
    return tsc_test_path("out/%s", name);
}
