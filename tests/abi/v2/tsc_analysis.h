/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_analysis: from a decoded slice (or a series of them) to a finding.
 *
 * A tsc_model is a shipped model: its manifest (classes, colours, input size,
 * preprocessing rule, temperature, thresholds), the ONNX network run by the C
 * engine, and its SHA-256 checked at load.  Analysis of one slice returns a
 * verdict (tumour / no tumour / inconclusive), calibrated class
 * probabilities, a mask at the slice's native resolution and the lesions in
 * millimetres.  A series analysis runs the slices on a worker pool, reports
 * progress, can be cancelled, and aggregates 3D lesions and the volume.
 *
 * Ownership: `_load`/`_new` results are freed by the matching `_free`;
 * `_get_` returns borrowed data that lives as long as its owner.
 * Threads: a tsc_model may be shared by any number of threads (it keeps one
 * engine instance per concurrent caller); results are immutable.
 * Units: mm, mm², mL; pixel coordinates are (x = column, y = row) at pixel
 * centres, origin at the top-left pixel's centre. */
#ifndef TSC_ANALYSIS_H
#define TSC_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_log.h"
#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- model ------------------------------------------------------------- */

typedef struct tsc_model tsc_model;

typedef struct tsc_model_params {
    size_t struct_size;   /* sizeof(tsc_model_params) */
    int threads;          /* engine threads per inference; 0 = all cores */
    int verify_checksum;  /* 1 (default): refuse an ONNX file whose SHA-256 differs */
} tsc_model_params;

tsc_model_params tsc_model_default_params(void);

/* Loads a model from its manifest (`resources/models/NAME.json`); the ONNX
 * file is found next to it.  TSC_ECHECKSUM when the ONNX file's SHA-256 does
 * not match the manifest, TSC_EVERSION for an unknown preprocessing rule or
 * manifest version. */
tsc_status tsc_model_load(const char *manifest_path, const tsc_model_params *params,
                          tsc_model **out, tsc_error *err);
void tsc_model_free(tsc_model *model);

/* The folder holding the shipped models: $TSC_MODEL_DIR, else the installed
 * data folder, else the source tree's resources/models (static string). */
const char *tsc_model_default_dir(void);
/* Path of the default model's manifest in tsc_model_default_dir(); the
 * caller frees it with free(). NULL when none is found. */
char *tsc_model_dup_default_manifest(void);

const char *tsc_model_get_name(const tsc_model *model);
const char *tsc_model_get_version(const tsc_model *model);
const char *tsc_model_get_sha256(const tsc_model *model); /* of the ONNX file, hex */
int tsc_model_get_input_size(const tsc_model *model);     /* S of the S×S input */
size_t tsc_model_n_classes(const tsc_model *model);
/* Class i: machine name ("no_tumor", "glioma", ...), display name, colour
 * as 0xRRGGBB. */
const char *tsc_model_get_class_name(const tsc_model *model, size_t i);
const char *tsc_model_get_class_display(const tsc_model *model, size_t i);
uint32_t tsc_model_get_class_color(const tsc_model *model, size_t i);
/* Index of the "no_tumor" class. */
size_t tsc_model_get_no_tumor_class(const tsc_model *model);

/* ---- one slice --------------------------------------------------------- */

/* A borrowed view of one decoded slice. */
typedef struct tsc_slice {
    const float *pixels;  /* rows*cols, row-major, after the Modality LUT */
    int rows, cols;
    double spacing[2];    /* mm: [0] between rows (dy), [1] between columns (dx) */
} tsc_slice;

typedef enum tsc_verdict {
    TSC_VERDICT_NO_TUMOR = 0,
    TSC_VERDICT_TUMOR = 1,
    TSC_VERDICT_INCONCLUSIVE = 2
} tsc_verdict;

const char *tsc_verdict_to_string(tsc_verdict v); /* "no_tumor", "tumor", "inconclusive" */

typedef enum tsc_method {
    TSC_METHOD_CNN = 0,            /* the model (default) */
    TSC_METHOD_THRESHOLD = 1,      /* classical baseline: Otsu + largest component */
    TSC_METHOD_REGION_GROWING = 2  /* classical baseline: seeded region growing */
} tsc_method;

const char *tsc_method_to_string(tsc_method m);
/* Parses "cnn", "threshold", "region-growing"; returns -1 when unknown. */
int tsc_method_from_string(const char *s);

typedef struct tsc_analysis_options {
    size_t struct_size;         /* sizeof(tsc_analysis_options) */
    tsc_method method;
    int flip_tta;               /* average with the horizontally flipped slice (default 1) */
    double min_lesion_area_mm2; /* smaller components are dropped (default 10 mm²) */
    int restrict_to_head;       /* suppress mask outside the estimated head (default 1) */
    tsc_cancel_fn cancel;       /* polled between stages; may be NULL.  In a
                                 * series it is called from every worker
                                 * thread at once, so it must be thread-safe */
    void *cancel_data;
} tsc_analysis_options;

tsc_analysis_options tsc_analysis_default_options(void);

typedef struct tsc_point {
    double x, y;                /* column, row (pixel centres) */
} tsc_point;

typedef struct tsc_lesion_info {
    double area_mm2;
    double diameter_mm;         /* longest diameter */
    double perpendicular_mm;    /* longest diameter perpendicular to it (RANO) */
    double product_mm2;         /* diameter_mm * perpendicular_mm */
    tsc_point diameter_ends[2];
    tsc_point perpendicular_ends[2];
    tsc_point centroid;
    int bbox[4];                /* x0, y0, x1, y1 (inclusive, pixels) */
    double mean_intensity;      /* of the input pixels inside the lesion */
    const tsc_point *outline;   /* closed polygon around the lesion, pixel coordinates */
    size_t n_outline;
} tsc_lesion_info;

typedef struct tsc_timings {
    double preprocess_ms, inference_ms, postprocess_ms, total_ms;
} tsc_timings;

typedef struct tsc_result tsc_result;

/* Analyses one slice.  `model` may be NULL for the classical methods.  The
 * result is freed with tsc_result_free(). */
tsc_status tsc_analyze_slice(tsc_model *model, const tsc_slice *slice,
                             const tsc_analysis_options *options, tsc_result **out,
                             tsc_error *err);
void tsc_result_free(tsc_result *result);
/* A deep copy (for caches that outlive a series result); NULL on OOM. */
tsc_result *tsc_result_dup(const tsc_result *result);

tsc_verdict tsc_result_get_verdict(const tsc_result *r);
/* Why the verdict is inconclusive ("top probability 48% is under the 60%
 * threshold"); "" otherwise. */
const char *tsc_result_get_reason(const tsc_result *r);
size_t tsc_result_get_label(const tsc_result *r);      /* class index */
double tsc_result_get_confidence(const tsc_result *r); /* probability of the label */
size_t tsc_result_n_classes(const tsc_result *r);
double tsc_result_get_probability(const tsc_result *r, size_t class_index);
double tsc_result_get_tumor_probability(const tsc_result *r); /* 1 - P(no_tumor) */
/* Mask at the slice's native resolution, rows*cols bytes, 1 = tumour. */
const uint8_t *tsc_result_get_mask(const tsc_result *r, int *rows, int *cols);
/* Tumour probability map at native resolution (rows*cols floats in [0,1]);
 * NULL for the classical methods. */
const float *tsc_result_get_probability_map(const tsc_result *r);
size_t tsc_result_n_lesions(const tsc_result *r);
const tsc_lesion_info *tsc_result_get_lesion(const tsc_result *r, size_t i);
const tsc_timings *tsc_result_get_timings(const tsc_result *r);
tsc_method tsc_result_get_method(const tsc_result *r);

/* ---- a series ---------------------------------------------------------- */

/* Supplies slice k to the series analysis, from any worker thread.  Fills
 * *slice (the pixels must stay valid until `release` is called with the same
 * token).  Returns a status; on failure that slice is reported as failed and
 * the others go on. */
typedef tsc_status (*tsc_slice_fetch_fn)(void *user_data, size_t k, tsc_slice *slice,
                                         void **token, tsc_error *err);
typedef void (*tsc_slice_release_fn)(void *user_data, void *token);
/* Progress from worker threads: slices done so far of total. */
typedef void (*tsc_progress_fn)(size_t done, size_t total, void *user_data);

typedef struct tsc_series_source {
    size_t struct_size;             /* sizeof(tsc_series_source) */
    size_t n_slices;
    const double *locations_mm;     /* position of each slice along the normal; may be NULL */
    double slice_spacing_mm;        /* used when locations are NULL; 0 = unknown */
    tsc_slice_fetch_fn fetch;
    tsc_slice_release_fn release;   /* may be NULL */
    void *user_data;
} tsc_series_source;

typedef struct tsc_lesion3d_info {
    double volume_ml;
    size_t first_slice, last_slice;
    size_t key_slice;               /* slice with this lesion's largest product */
    double max_product_mm2;
    size_t label;                   /* dominant class over its slices */
} tsc_lesion3d_info;

typedef struct tsc_series_result tsc_series_result;

/* Analyses every slice on a pool of `threads` workers (0 = cores).  Returns
 * TSC_ECANCELLED promptly when cancelled (the partial result is still
 * returned in *out, with the slices not analysed marked as such), TSC_OK
 * otherwise, even when some slices failed (see tsc_series_result_get_error). */
tsc_status tsc_analyze_series(tsc_model *model, const tsc_series_source *source,
                              const tsc_analysis_options *options, int threads,
                              tsc_progress_fn progress, void *progress_data,
                              tsc_series_result **out, tsc_error *err);
void tsc_series_result_free(tsc_series_result *r);

size_t tsc_series_result_n_slices(const tsc_series_result *r);
/* NULL when that slice failed or was not analysed (cancelled). */
const tsc_result *tsc_series_result_get_slice(const tsc_series_result *r, size_t k);
/* The failure message of slice k, or NULL when it succeeded. */
const char *tsc_series_result_get_error(const tsc_series_result *r, size_t k);
size_t tsc_series_result_n_failed(const tsc_series_result *r);
tsc_verdict tsc_series_result_get_verdict(const tsc_series_result *r);
size_t tsc_series_result_get_label(const tsc_series_result *r);
double tsc_series_result_get_confidence(const tsc_series_result *r);
double tsc_series_result_get_volume_ml(const tsc_series_result *r);
/* Slice with the largest bidimensional product; (size_t)-1 when no lesion. */
size_t tsc_series_result_get_key_slice(const tsc_series_result *r);
size_t tsc_series_result_n_lesions3d(const tsc_series_result *r);
const tsc_lesion3d_info *tsc_series_result_get_lesion3d(const tsc_series_result *r, size_t i);
double tsc_series_result_get_total_ms(const tsc_series_result *r);

#ifdef __cplusplus
}
#endif
#endif
