/* SPDX-License-Identifier: BSD-3-Clause */
/* The reports' pages (report.c) and their writers (report_write.c). */
#ifndef TSC_RENDER_REPORT_PRIVATE_H
#define TSC_RENDER_REPORT_PRIVATE_H

#include <cairo.h>

#include "render_private.h"

/* Page widths in layout units (1 unit = 1 PNG pixel). */
#define SLICE_PAGE_W 1120.0
#define SERIES_PAGE_W 1120.0
#define PDF_SERIES_W 840.0
#define PDF_SLICE_W 760.0

/* How many 3D lesions the PDF summary lists before continuing on further
 * pages, and how many a continuation page lists. */
#define PDF_LESIONS_SUMMARY 8
#define PDF_LESIONS_PAGE 36

/* What every page of one report shares. */
typedef struct rep {
    const tsc_model *model;
    const tsc_dicom_index *ix;
    size_t series;
    const tsc_dicom_series_info *se;
    const tsc_dicom_study_info *st;
    const tsc_dicom_patient_info *pt;
    tsc_report_options opt;
    char when[64];
    double W; /* page width of the page being drawn */
    char scope_warning[sizeof(
        ((tsc_description *)0)->scope_warning)]; /* the series', on every page */
    char edited[320]; /* "Edited by ...": the reader's edits, on every page; "" when none */
} rep;

void tsc__report_init(rep *c, const tsc_model *model, const tsc_dicom_index *ix, size_t series,
                      const tsc_report_options *options);
void tsc__report_format_pn(const char *pn, char *out, size_t n);
tsc_status tsc__report_slice_page(cairo_t *cr, rep *c, size_t k, const tsc_result *r, int stacked,
                                  double min_w, double *w, double *h, tsc_error *err);
int tsc__report_is_finding(const tsc_result *s);
const tsc_result *tsc__report_first_result(const tsc_series_result *sr);
tsc_status tsc__report_lesions_page(cairo_t *cr, rep *c, const tsc_series_result *sr, double W,
                                    size_t first, size_t max, double *h);
tsc_status tsc__report_series_page(cairo_t *cr, rep *c, const tsc_series_result *sr, double W,
                                   size_t max_lesions, double *h, tsc_error *err);

/* Page parts report.c lends to report_measurements.c. */
typedef struct tsc__tcol {
    double x, w; /* text right-aligned at x, or left at x and shortened to w when w > 0 */
    int right;
} tsc__tcol;
double tsc__report_section(cairo_t *cr, double x, double y, double w, const char *title);
double tsc__report_table_head(cairo_t *cr, double x, double y, double w, const tsc__tcol *cols,
                              const char *const *heads, int n);
double tsc__report_table_row(cairo_t *cr, double x, double y, double w, size_t i,
                             const tsc__tcol *cols, const char *const *cells, int n, double size);
void tsc__report_rule(cairo_t *cr, double x, double y, double w);

/* The reader's measurements of `slice` ((size_t)-1: all), copied in a new
 * array (free()) of *n; NULL when there are none. */
tsc_reader_measurement *tsc__report_measurements(const rep *c, size_t slice, size_t *n);
/* "READER MEASUREMENTS": number, kind, slice, values; nothing (y itself)
 * when `slice` ((size_t)-1: the series) has none.  Returns the y below. */
double tsc__report_measurement_table(cairo_t *cr, const rep *c, double x, double y, double w,
                                     size_t slice);

#endif
