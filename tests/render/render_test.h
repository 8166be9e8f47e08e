/* SPDX-License-Identifier: BSD-3-Clause */
/* What the render tests share (library tsc_test_render): the text the
 * renderer draws, captured through its test seam, the overlay drawn alone,
 * and a place for the files a case writes. */
#ifndef RENDER_TEST_H
#define RENDER_TEST_H

#include <cairo.h>
#include <stddef.h>

#include "tsc_analysis.h"
#include "tsc_render.h"

/* Every string drawn, one a line, and its font size in drawing order. */
typedef struct text_log {
    char text[131072];
    size_t len;
    double sizes[4096];
    size_t n;
} text_log;

/* A tsc__text_sink_fn that appends to the text_log `data`. */
void text_log_sink(const char *s, double size, void *data);
/* From now on, the text the renderer draws is logged into `t`, emptied
 * first; tsc__set_text_sink(NULL, NULL) stops it. */
void capture_text(text_log *t);
/* 1 when `s` was drawn (as a whole string or part of one). */
int log_has(const text_log *t, const char *s);

/* The overlay of `r` alone on mid-grey at `zoom` device pixels per image
 * pixel; checks that it leaves the cairo context's matrix as it found it.
 * The caller destroys the surface. */
cairo_surface_t *overlay_on_grey(const tsc_model *m, const tsc_result *r, double zoom,
                                 const tsc_overlay_options *o);

/* A path in out/ of the case's temporary folder, valid until exit. */
const char *out_path(const char *name);

#endif
