/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the files of plugin/render and by the DICOM outputs
 * (plugin/outputs/output_*.cc), which reuse the file and path rules. */
#ifndef TSC_RENDER_PRIVATE_H
#define TSC_RENDER_PRIVATE_H

#include <cairo.h>
#include <stdio.h>

#include "tsc_render.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- palette ----------------------------------------------------------- */

typedef struct tsc__rgb {
    double r, g, b;
} tsc__rgb;

tsc__rgb tsc__rgb_from_hex(uint32_t rgb);
/* What a result is called, its colour and its confidence come from the core
 * (tsc_result_describe / tsc_series_result_describe); nothing here decides
 * them.  This alias stays for plugin/dicom, which shares this header. */
#define TSC__COLOR_CLASSIC TSC_COLOR_CLASSIC
#define TSC__DISCLAIMER "Decision support only \xe2\x80\x94 not for diagnostic use"
#define TSC__SCOPE_BADGE "\xe2\x9a\xa0 Outside the model's scope \xe2\x80\x94 research use"
/* The scope warning without a leading "Outside the model's scope", which
 * the badge already says (a pointer into `warning`). */
const char *tsc__scope_detail(const char *warning);
/* Colour of the scope warning badge (reddish purple, Okabe-Ito family). */
#define TSC__COLOR_SCOPE 0x8E2C6Bu

/* The one-line verdict of a description as overlays, thumbnails and report
 * pills print it: the label, prefixed with the headline when the label does
 * not start with it ("TUMOR \xc2\xb7 Glioma 97.3%", "NO TUMOR 98.1%",
 * "TUMOR, type uncertain (Glioma 52.0%)"), then " \xe2\x80\x94 reason" when
 * `with_reason` and the description has one. */
void tsc__banner_text(const tsc_description *d, int with_reason, char *out, size_t n);
/* Perceptual colormap (viridis), t in [0, 1]. */
tsc__rgb tsc__viridis(double t);
/* Strokes the current path twice: a black halo of opacity `halo_alpha` and
 * width `halo_w`, then a line of colour `c` and width `line_w` over it,
 * dashed {on, off} when `dash` is not NULL (the halo never is).  The caller
 * sets the matrix, cap and join; the path is consumed. */
void tsc__stroke_halo(cairo_t *cr, tsc__rgb c, double halo_alpha, double halo_w, double line_w,
                      const double *dash);

/* ---- text -------------------------------------------------------------- */

typedef enum tsc__weight { TSC__NORMAL = 0, TSC__BOLD = 1 } tsc__weight;

/* Sets the report font (DejaVu Sans through fontconfig) at `size` user units. */
void tsc__font(cairo_t *cr, double size, tsc__weight weight);
/* Width of `s` in the current font, user units. */
double tsc__text_width(cairo_t *cr, const char *s);
/* Draws `s` with its baseline starting at (x, y) in the current font and source. */
void tsc__text(cairo_t *cr, double x, double y, const char *s);
/* Like tsc__text but elides the end with "…" to fit `max_w`. */
void tsc__text_fit(cairo_t *cr, double x, double y, double max_w, const char *s);
/* Word-wraps `s` into lines of at most `max_w`; draws them from baseline y
 * with `line_h` between baselines when `draw`; returns the number of lines. */
int tsc__text_wrap(cairo_t *cr, double x, double y, double max_w, double line_h, const char *s,
                   int draw);

/* Test seam: every string drawn by tsc__text* is also passed to the sink
 * (NULL to remove).  Lets the tests prove that de-identified reports draw no
 * patient identifier, which the compressed PNG/PDF bytes cannot show. */
typedef void (*tsc__text_sink_fn)(const char *utf8, double device_size, void *data);
void tsc__set_text_sink(tsc__text_sink_fn fn, void *data);
/* Measuring passes draw nothing a reader sees: they pause the sink. */
void tsc__text_sink_pause(int paused);

/* ---- layout seam ------------------------------------------------------ */

/* Test seam: every box the overlay and the reports place is also passed to
 * the sink (device units for overlays, page units for reports), so that the
 * tests can prove that labels overlap nothing and thumbnail banners sit
 * outside their images.  `index` is the lesion number (1-based) of a label
 * or axis, else 0.  Paused with the text sink (tsc__text_sink_pause). */
typedef enum tsc__box {
    TSC__BOX_BANNER = 0, /* verdict banner on an overlay */
    TSC__BOX_SCOPE = 1,  /* scope warning badge (overlay or page) */
    TSC__BOX_LEGEND = 2,
    TSC__BOX_DISCLAIMER = 3,
    TSC__BOX_ORIENTATION = 4,  /* reserved for the host's orientation letters */
    TSC__BOX_AXIS = 5,         /* a piece of a RANO axis (or its end tick) */
    TSC__BOX_LABEL = 6,        /* a lesion label */
    TSC__BOX_THUMB_IMAGE = 7,  /* a key-slice thumbnail's image (page units) */
    TSC__BOX_THUMB_BANNER = 8, /* its verdict banner (page units) */
    TSC__BOX_PILL = 9,         /* a report's verdict pill (page units) */
    TSC__BOX_MEASURE = 10      /* a reader measurement's label (index: its number) */
} tsc__box;
typedef void (*tsc__layout_sink_fn)(tsc__box kind, double x, double y, double w, double h,
                                    int index, const char *text, void *data);
void tsc__set_layout_sink(tsc__layout_sink_fn fn, void *data);
void tsc__layout_note(tsc__box kind, double x, double y, double w, double h, int index,
                      const char *text);

/* ---- slice panels ------------------------------------------------------ */

/* Flags of tsc__render_overlay_ex. */
enum {
    /* No verdict banner or scope badge on the image: the caller draws them
     * outside it (key-slice thumbnails). */
    TSC__OVERLAY_NO_BANNER = 1u
};
tsc_status tsc__render_overlay_ex(cairo_t *cr, const tsc_model *model, const tsc_result *r,
                                  const tsc_overlay_options *options, unsigned flags,
                                  tsc_error *err);
/* The same with the reader's measurements `ms` (n of them, all of this
 * slice) drawn in TSC_COLOR_MEASUREMENT, their labels placed with the
 * lesion labels' rules: after them, covering none of them, no axis and no
 * lesion (report_measurements.c draws the shapes and words the labels). */
tsc_status tsc__render_overlay_meas(cairo_t *cr, const tsc_model *model, const tsc_result *r,
                                    const tsc_overlay_options *options, unsigned flags,
                                    const tsc_reader_measurement *ms, size_t n, tsc_error *err);

/* ---- reader measurements (report_measurements.c) ----------------------- */

/* Measurement i of `o` copied into *out up to its struct_size (the rest
 * zero); 0 when it is NULL or malformed (an unknown kind, too few points,
 * no points), which the report entry points refuse (tsc__measurements_check). */
int tsc__measurement_get(const tsc_report_options *o, size_t i, tsc_reader_measurement *out);
/* TSC_EINVAL naming the first measurement that is malformed or on a slice
 * past `n_slices`. */
tsc_status tsc__measurements_check(const tsc_report_options *o, size_t n_slices, tsc_error *err);
/* Its number as the reader saw it (number, else i + 1). */
int tsc__measurement_number(const tsc_reader_measurement *m, size_t i);
/* "Ruler", "Ellipse", "Freehand ROI". */
const char *tsc__measurement_kind_name(int kind);
/* The values as the viewer words them: "23.4 mm"; "312.0 mm² · mean 123.4
 * ± 5.6 HU · min 100.0, max 150.0" (`full` 0: only the area and the mean). */
void tsc__measurement_values(const tsc_reader_measurement *m, int full, char *out, size_t n);
/* The shape as a cairo path in image pixel space (the current matrix). */
void tsc__measurement_path(cairo_t *cr, const tsc_reader_measurement *m);
/* Strokes the current path (built under any matrix) with a dark halo and
 * the measurement colour, line widths in device units. */
void tsc__measurement_stroke(cairo_t *cr);
/* Points along the shape in image space, for leader lines: up to `max`
 * (x, y) pairs written to xy; returns how many. */
size_t tsc__measurement_anchors(const tsc_reader_measurement *m, double *xy, size_t max);

/* A decoded slice, windowed, scaled to its physical aspect, with the overlay.
 * fit_w/fit_h > 0: the panel fits that box (may shrink); otherwise the
 * natural size with at least `min_size` px on the short side (never shrinks).
 * `r` may be NULL (no overlay).  `flags` as for tsc__render_overlay_ex.  On
 * TSC_OK *out is a new RGB24 surface. */
tsc_status tsc__panel_new(const tsc_model *model, const tsc_dicom_image *im, const tsc_result *r,
                          const tsc_overlay_options *ov, double min_size, double fit_w,
                          double fit_h, unsigned flags, cairo_surface_t **out, tsc_error *err);
/* The same with the reader's measurements of this slice on the overlay
 * (drawn only with a result `r`, as the overlay is). */
tsc_status tsc__panel_new_meas(const tsc_model *model, const tsc_dicom_image *im,
                               const tsc_result *r, const tsc_overlay_options *ov,
                               const tsc_reader_measurement *ms, size_t n_ms, double min_size,
                               double fit_w, double fit_h, unsigned flags, cairo_surface_t **out,
                               tsc_error *err);

/* ---- options ----------------------------------------------------------- */

/* Copies caller options over the defaults, honouring struct_size. */
tsc_overlay_options tsc__overlay_options(const tsc_overlay_options *o);
tsc_report_options tsc__report_options(const tsc_report_options *o);

/* ---- files ------------------------------------------------------------- */

/* TSC_EINVAL when `path` (a file to create, or with is_dir a folder, which
 * need not exist yet) resolves inside a folder that holds one of the
 * index's input files; TSC_ENOTFOUND when its parent folder is missing. */
tsc_status tsc__check_outside_inputs(const tsc_dicom_index *index, const char *path, int is_dir,
                                     tsc_error *err);

/* An output file being written: a temporary in the target's folder. */
typedef struct tsc__outfile {
    char path[4096];   /* final path */
    char tmp[4096];    /* temporary path */
    FILE *fp;          /* open on tmp (tsc__outfile_open) or NULL (tsc__outfile_reserve) */
    int force;
} tsc__outfile;

/* Refuses an existing `path` without `force` (TSC_EEXIST, the message says
 * to pass --force), then creates the temporary and opens it for writing. */
tsc_status tsc__outfile_open(tsc__outfile *o, const char *path, int force, tsc_error *err);
/* Same, but closes the temporary so that another library can write to o->tmp. */
tsc_status tsc__outfile_reserve(tsc__outfile *o, const char *path, int force, tsc_error *err);
/* fsync, then rename (force) or link without replacing (TSC_EEXIST if the
 * target appeared meanwhile), then fsync the folder.  Always removes tmp. */
tsc_status tsc__outfile_commit(tsc__outfile *o, tsc_error *err);
void tsc__outfile_abort(tsc__outfile *o);

/* Writes an ARGB32 surface as an 8-bit RGB PNG with text chunks
 * {key, value, key, value, ..., NULL} (Latin-1/ASCII values only). */
tsc_status tsc__write_png(cairo_surface_t *s, FILE *fp, const char *const *text, tsc_error *err);

/* "YYYY-MM-DD HH:MM" for the report (options->timestamp or now). */
void tsc__timestamp(const char *given, char *out, size_t n);
/* "YYYYMMDD" -> "YYYY-MM-DD" (anything else is copied). */
void tsc__format_date(const char *dicom, char *out, size_t n);
/* mkdir -p */
tsc_status tsc__mkdirs(const char *path, tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
