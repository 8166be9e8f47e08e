/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_render: overlays, annotated reports (PNG, PDF) and slice renderings.
 *
 * These functions back the rendering and report members of the plugin ABI
 * (tsc_plugin.h) and have exactly their signatures.  They are plain C over
 * cairo.  The overlay and report option structs are defined here, below the
 * ABI header, which includes this one (plugin/ layers: dicom -> render ->
 * outputs -> abi).
 *
 * Coordinates: the overlay draws in image pixel space, pixel (x, y) covering
 * [x, x+1] x [y, y+1] so that its centre is at (x + 0.5, y + 0.5); lesion
 * points from tsc_analysis (centres at integers) are shifted by 0.5.  Text,
 * line widths, legend and disclaimer have a constant size in device units.
 *
 * Files: reports are written to a temporary file in the target folder, then
 * fsync'ed and renamed into place.  An existing file is refused with
 * TSC_EEXIST unless `force` is set, and a target inside a folder holding any
 * of the study's input files is refused with TSC_EINVAL.
 *
 * Privacy: with `deidentify` 0 the report pixels show the patient's name,
 * ID, birth date and sex and the PDF title names the patient; with
 * `deidentify` 1 none of them appears anywhere.  PNG text chunks never carry
 * patient data, and nothing here logs.  docs/REPORTS.md has the details. */
#ifndef TSC_RENDER_H
#define TSC_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_analysis.h"
#include "tsc_dicom.h"
#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cairo's own typedef, repeated so that this header does not need cairo.h. */
typedef struct _cairo cairo_t;

/* ---- overlay ----------------------------------------------------------- */

typedef enum tsc_overlay_mode {
    TSC_OVERLAY_FILL = 0,    /* translucent fill plus outline */
    TSC_OVERLAY_OUTLINE = 1  /* outline only */
} tsc_overlay_mode;

typedef struct tsc_overlay_options {
    size_t struct_size;      /* sizeof(tsc_overlay_options) */
    tsc_overlay_mode mode;
    double opacity;          /* fill opacity 0..1 (default 0.35) */
    int show_labels;         /* "Glioma 97.3%" next to each lesion (default 1) */
    int show_axes;           /* RANO axes with lengths in mm (default 1) */
    int show_legend;         /* class colours (default 1) */
    int show_disclaimer;     /* burned-in "Decision support only" line (default 1) */
    int show_heatmap;        /* tumour probability map under the mask (default 0) */
    double view_width;       /* device-space size of the drawing area, for the */
    double view_height;      /* legend and disclaimer; 0 = the image's bounds */
} tsc_overlay_options;

/* ---- reports ----------------------------------------------------------- */

/* A measurement the reader made on a slice (the viewer's ruler, ellipse
 * and freehand tools), lent to the reports and the SR for one call.
 * Points are image pixel coordinates as DICOM SCOORD has them: (0, 0) is
 * the top-left corner of the first pixel, whose centre is (0.5, 0.5).  The
 * values are the host's, as it shows them; nothing here measures again. */
typedef enum tsc_reader_measurement_kind {
    TSC_READER_RULER = 0,   /* 2 points: the ends; length_mm */
    TSC_READER_ELLIPSE = 1, /* 2 points: opposite corners of its axis-aligned bounding box */
    TSC_READER_FREEHAND = 2 /* >= 3 points: a closed polygon */
} tsc_reader_measurement_kind;

typedef struct tsc_reader_measurement {
    size_t struct_size;   /* sizeof(tsc_reader_measurement) */
    int kind;             /* tsc_reader_measurement_kind */
    int number;           /* as the reader saw it numbered; <= 0: its place in the list */
    size_t slice;         /* index of the slice in the series */
    const double *points; /* n_points (x, y) pairs, image pixels (borrowed) */
    size_t n_points;
    double length_mm;          /* ruler: its length; ROIs: their perimeter (mm) */
    double area_mm2;           /* ROIs: the area (mm²) */
    size_t n_pixels;           /* ROIs: pixels inside; 0 = no statistics */
    double mean, sd, min, max; /* ROIs: in the image's units after the modality LUT */
    const char *units;         /* those units as shown ("HU"); NULL or "" = none */
} tsc_reader_measurement;

typedef struct tsc_report_options {
    size_t struct_size;      /* sizeof(tsc_report_options) */
    int deidentify;          /* no patient name, ID or birth date anywhere (pixels,
                                PNG text chunks, PDF metadata, DICOM outputs get new
                                identifiers) */
    int force;               /* overwrite existing files (default 0: refuse with TSC_EEXIST) */
    const char *timestamp;   /* "YYYY-MM-DD HH:MM" printed as the analysis date; NULL = now */
    tsc_overlay_options overlay;
    /* ---- ABI version 9 ---- */
    /* The reader's measurements of this series (pointers, each read up to
     * its struct_size), drawn on their slices, listed in the reports and
     * written as SR measurement groups; NULL/0: none.  Borrowed for the call. */
    const tsc_reader_measurement *const *measurements;
    size_t n_measurements;
    /* Who measured them, for the SR's observer context; NULL: not stated.
     * Left out of de-identified outputs. */
    const char *observer;
} tsc_report_options;

/* ---- overlay (ABI: overlay_default_options, render_overlay) ------------ */

tsc_overlay_options tsc_overlay_default_options(void);

/* Draws the overlay of `r` on `cr`, whose current transformation maps image
 * pixels to the target.  `model` names and colours the classes; NULL (the
 * classical methods) uses a neutral colour and "Tumour (<method> method)".
 * Leaves the cairo state as it found it.  Returns TSC_OK, or TSC_EINVAL when
 * `cr` is in an error state. */
tsc_status tsc_render_overlay(cairo_t *cr, const tsc_model *model, const tsc_result *r,
                              const tsc_overlay_options *options, tsc_error *err);

/* ---- reports (ABI: report_*) ------------------------------------------- */

tsc_report_options tsc_report_default_options(void);

/* One slice: header, the windowed slice with its overlay (at least 512 px on
 * its short side, physical aspect), the findings table, model and date. */
tsc_status tsc_report_slice_png(const char *path, const tsc_model *model,
                                const tsc_dicom_index *index, size_t series, size_t slice,
                                const tsc_result *r, const tsc_report_options *options,
                                tsc_error *err);

/* The series summary: key slices in a grid, volume (mL), largest lesion,
 * series verdict and counts per verdict. */
tsc_status tsc_report_series_png(const char *path, const tsc_model *model,
                                 const tsc_dicom_index *index, size_t series,
                                 const tsc_series_result *r,
                                 const tsc_report_options *options, tsc_error *err);

/* A4 PDF: the series summary, then one page per slice with a tumour or
 * inconclusive verdict (every analysed slice when there is none). */
tsc_status tsc_report_pdf(const char *path, const tsc_model *model,
                          const tsc_dicom_index *index, size_t series,
                          const tsc_series_result *r, const tsc_report_options *options,
                          tsc_error *err);

/* ---- slice renderings for other outputs -------------------------------- */

/* Renders slice `slice` of `series`, windowed with its header window and
 * scaled to physical aspect with at least `min_size` pixels on its short
 * side, with the overlay of `r` (may be NULL: no overlay) burned in.
 * On TSC_OK, *rgb is width*height*3 bytes (RGB, row-major, no padding) that
 * the caller frees with free(). */
tsc_status tsc_render_slice_rgb(const tsc_model *model, const tsc_dicom_index *index,
                                size_t series, size_t slice, const tsc_result *r,
                                const tsc_overlay_options *options, int min_size, uint8_t **rgb,
                                int *width, int *height, tsc_error *err);

/* Slices of the series summary, in series order: the key slice and the
 * slices with a tumour or inconclusive verdict (at most `max`, evenly
 * thinned), else evenly spaced analysed slices.  Returns how many were
 * written to `out` (room for `max`). */
size_t tsc_report_pick_key_slices(const tsc_series_result *r, size_t *out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
