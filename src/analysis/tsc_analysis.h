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
    int threads;          /* cores a slice's analysis uses; 0 = all.  With two or
                           * more, its flip-TTA pair runs on two engines of half
                           * of them each, at once.  A series' workers (see
                           * tsc_analyze_series) run single-thread engines */
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
/* What the network runs in: "fp32", "bf16" or "int8", after any fallback
 * (a CPU without AVX512_BF16 or AVX512_VNNI, a manifest without int8
 * ranges).  Static string. */
const char *tsc_model_get_precision(const tsc_model *model);
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

/* What a verdict means (docs/RESULT_FORMAT.md):
 * - NO_TUMOR: P(no tumour) reaches the model's minimum confidence and the
 *   segmentation agrees; the confidence stated is P(no tumour).
 * - TUMOR: P(tumour) reaches the tumour threshold and the segmentation
 *   agrees; the type is the most likely one given a tumour, stated with
 *   P(type | tumour) ("type uncertain" under the minimum confidence).
 * - INCONCLUSIVE: an assessable slice in doubt; the reason says why.
 * - NOT_ASSESSABLE: too little brain to read (vertex, skull base, head cut
 *   off) or unlike what the model learnt; grey everywhere; never makes a
 *   series inconclusive.
 * - NOT_ANALYSED (series only): outside the model's declared scope, not run.
 * Values are only ever appended; hosts treat unknown values as "unknown". */
typedef enum tsc_verdict {
    TSC_VERDICT_NO_TUMOR = 0,
    TSC_VERDICT_TUMOR = 1,
    TSC_VERDICT_INCONCLUSIVE = 2,
    TSC_VERDICT_NOT_ASSESSABLE = 3,
    TSC_VERDICT_NOT_ANALYSED = 4
} tsc_verdict;

/* "no_tumor", "tumor", "inconclusive", "not_assessable", "not_analysed" */
const char *tsc_verdict_to_string(tsc_verdict v);

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
    /* ---- appended with plugin ABI 3 ---- */
    int force_scope;            /* analyse a series the scope gate refuses (research
                                 * use); every result then carries the scope warning
                                 * (default 0) */
    int not_assessable_rule;    /* mark slices with too little head/brain as not
                                 * assessable (default 1) */
    int axial_reformat;         /* a thin 3D volume in a plane the model does not read
                                 * is analysed on an in-scope axial reformat of it; the
                                 * series result then says so and its slices are the
                                 * reformat's (tsc_series_result_get_reformat()).
                                 * Default 1; 0 when the host passes a struct_size
                                 * without this field */
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
/* Head area on the slice in mm² (the not-assessable rule's input); NaN when
 * it could not be estimated. */
double tsc_result_get_head_area_mm2(const tsc_result *r);
/* The model's out-of-distribution score of this slice (higher = less like
 * the training data) and the manifest's threshold; NaN when the model has
 * none. */
double tsc_result_get_ood_score(const tsc_result *r);
/* The scope warning of a result the host analysed against the scope gate's
 * decision ("" when in scope); set by the host with tsc_result_set_scope_warning()
 * before it hands the result on. */
const char *tsc_result_get_scope_warning(const tsc_result *r);
void tsc_result_set_scope_warning(tsc_result *r, const char *warning);

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
    /* ---- appended with plugin ABI 3 ---- */
    const double *positions_mm;     /* ImagePositionPatient of each slice (3 per
                                     * slice); may be NULL */
    double orientation[6];          /* ImageOrientationPatient (row, column cosines);
                                     * all zero when unknown */
} tsc_series_source;

typedef struct tsc_lesion3d_info {
    double volume_ml;
    size_t first_slice, last_slice;
    size_t key_slice;               /* slice with this lesion's largest product */
    double max_product_mm2;         /* 0 when not measurable */
    size_t label;                   /* type: probability-weighted over its slices */
    /* ---- appended with plugin ABI 3 ---- */
    double type_probability;        /* P(type | tumour), area-weighted over its slices */
    int measurable;                 /* RANO: both diameters >= 10 mm on the key slice */
    double diameter_mm, perpendicular_mm; /* on the key slice */
    int has_patient_coordinates;    /* the source gave slice geometry */
    double centre_mm[3];            /* centre of mass, patient coordinates (LPS, mm) */
    double extent_min_mm[3], extent_max_mm[3]; /* bounding box, patient coordinates */
} tsc_lesion3d_info;

typedef struct tsc_series_result tsc_series_result;

/* Analyses every slice on a pool of `threads` workers (0 = cores; at most 16
 * with the CNN method, one engine of the model's pool each), each on a
 * single-thread engine of the model.  Returns
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
/* Slices per verdict (failed slices are counted by tsc_series_result_n_failed). */
size_t tsc_series_result_count(const tsc_series_result *r, tsc_verdict v);
/* P(tumour) of the series (mean over its tumour slices, or the largest
 * over the assessable slices when none); NaN when none was analysed. */
double tsc_series_result_get_tumor_probability(const tsc_series_result *r);
/* A series result that records the scope gate's refusal: no slice analysed,
 * verdict NOT_ANALYSED, the reason kept.  Freed with tsc_series_result_free(). */
tsc_series_result *tsc_series_result_new_not_analysed(size_t n_slices, const char *reason);
/* What a result stored elsewhere (a DICOM SEG and its report) says of each
 * of the n slices of its series, for tsc_series_result_from_masks().  Only
 * `masks` and `types` are required. */
typedef struct tsc_stored_slices {
    const uint8_t *const *masks; /* per slice: rows*cols bytes, nonzero inside; NULL: none */
    const size_t *types;         /* per slice: the tumour's model class; (size_t)-1: unknown */
    const double *p_type;        /* per slice: P(type | tumour) as stated; NaN: not stated */
    const double *p_tumor;       /* per slice: P(tumour) as stated; NaN: not stated */
    const int *type_uncertain;   /* per slice: the type was stated as uncertain */
    const tsc_verdict *verdicts; /* per slice without a mask: INCONCLUSIVE or
                                      NOT_ASSESSABLE as stated, else NO_TUMOR; may be NULL */
    double series_confidence;    /* the series' stated P(type | tumour) or P(no tumour); NaN */
    double series_p_tumor;       /* the series' stated P(tumour); NaN */
    int series_type_uncertain;   /* the series' type was stated as uncertain */
    double series_volume_ml;     /* the series' stated volume (mL); NaN: measure the masks */
} tsc_stored_slices;

/* A series result rebuilt from tumour masks computed elsewhere (a stored
 * DICOM SEG): slice k with in->masks[k] != NULL (`spacing` mm [dy, dx]) is a
 * tumour of model class in->types[k] ((size_t)-1 or out of range: type
 * unknown), measured from the mask as an analysis measures its own, with
 * the confidences stated with it; an empty mask or a NULL one is "no
 * tumour" unless in->verdicts says it was in doubt or not assessable.  `method` is the one that made the masks (types need
 * TSC_METHOD_CNN).  3D lesions and the volume come from `source`'s geometry
 * (its fetch is never called).  Class probabilities are unknown (zero), and
 * so are confidences that were not stated (NaN).  Returns TSC_OK with *out
 * (freed with tsc_series_result_free()), or TSC_ENOMEM. */
tsc_status tsc_series_result_from_masks(const tsc_model *model, tsc_method method,
                                        const tsc_series_source *source, int rows, int cols,
                                        const double spacing[2], const tsc_stored_slices *in,
                                        tsc_series_result **out, tsc_error *err);
const char *tsc_series_result_get_scope_warning(const tsc_series_result *r);
void tsc_series_result_set_scope_warning(tsc_series_result *r, const char *warning);
/* Why a NOT_ANALYSED or NOT_ASSESSABLE series has that verdict; "" otherwise. */
const char *tsc_series_result_get_reason(const tsc_series_result *r);

/* ---- scope: what the model was made for --------------------------------- */

typedef enum tsc_plane {
    TSC_PLANE_UNKNOWN = 0,
    TSC_PLANE_AXIAL = 1,
    TSC_PLANE_CORONAL = 2,
    TSC_PLANE_SAGITTAL = 3,
    TSC_PLANE_OBLIQUE = 4
} tsc_plane;

const char *tsc_plane_to_string(tsc_plane p); /* "axial", ..., "unknown" */
/* The plane of an ImageOrientationPatient; *angle_deg (may be NULL) is the
 * angle between the slice normal and the nearest patient axis.  Oblique
 * beyond `max_oblique_deg`. */
tsc_plane tsc_plane_from_orientation(const double iop[6], double max_oblique_deg,
                                     double *angle_deg);

/* What the scope gate reads: the headers scanners write (strings may be
 * NULL or ""; multi-valued attributes joined by '\\'). */
typedef struct tsc_scope_input {
    size_t struct_size;             /* sizeof(tsc_scope_input) */
    const char *modality;           /* (0008,0060) */
    const char *sop_class_uid;      /* (0008,0016) */
    const char *image_type;         /* (0008,0008) */
    const char *scanning_sequence;  /* (0018,0020) */
    const char *sequence_variant;   /* (0018,0021) */
    const char *sequence_name;      /* (0018,0024) */
    const char *series_description; /* (0008,103E), for sequence hints only */
    const char *contrast_agent;     /* (0018,0010) */
    const char *photometric;        /* (0028,0004) */
    const char *mr_acquisition_type;/* (0018,0023) "2D" / "3D" */
    int samples_per_pixel;          /* (0028,0002); 0 unknown */
    double max_b_value;             /* largest diffusion b-value; < 0 when unknown */
    int n_mosaic;                   /* Siemens NumberOfImagesInMosaic; 0 otherwise */
    int has_orientation;
    double orientation[6];          /* ImageOrientationPatient */
    double pixel_spacing[2];        /* mm; 0 unknown */
    int rows, cols;
    size_t n_slices;
    double slice_thickness;         /* mm; 0 unknown */
    double slice_spacing;           /* mm between slice centres; 0 unknown */
    int uneven_spacing;             /* gaps or overlaps */
    double echo_time, repetition_time, inversion_time; /* ms; 0 unknown */
} tsc_scope_input;

tsc_scope_input tsc_scope_default_input(void);

/* Why a series is outside the scope (the first rule that refused it). */
typedef enum tsc_scope_code {
    TSC_SCOPE_OK = 0,
    TSC_SCOPE_MODALITY = 1,      /* not MR */
    TSC_SCOPE_OBJECT = 2,        /* SC, SEG, SR, RT, PR, ... */
    TSC_SCOPE_COLOR = 3,         /* colour pixels */
    TSC_SCOPE_DERIVED = 4,       /* MIP/projection, localizer, phase, field map, ... */
    TSC_SCOPE_DIFFUSION = 5,     /* DWI, ADC, TRACEW, FA */
    TSC_SCOPE_EPI = 6,           /* echo-planar (BOLD, ASL, perfusion), mosaic */
    TSC_SCOPE_SEQUENCE = 7,      /* a sequence family the model did not learn */
    TSC_SCOPE_PLANE = 8,         /* a plane the model does not read */
    TSC_SCOPE_SPACING = 9,       /* pixel spacing outside the model's range */
    TSC_SCOPE_MATRIX = 10        /* matrix under the model's minimum */
} tsc_scope_code;

typedef struct tsc_scope_decision {
    size_t struct_size;          /* sizeof(tsc_scope_decision) */
    int in_scope;                /* 1: analyse */
    tsc_scope_code code;
    char reason[256];            /* a sentence for a radiologist; "" when in scope */
    tsc_plane plane;
    double oblique_deg;          /* normal vs the nearest patient axis */
    char sequence_family[32];    /* "T1", "T1 post-contrast", "T2", "FLAIR", "" unknown */
    int reformat_possible;       /* isotropic 3D volume: an axial reformat would be
                                    in scope (TSC_SCOPE_PLANE only) */
} tsc_scope_decision;

/* Checks a series against the model's declared scope (manifest "scope";
 * a model without one accepts every MR greyscale image series). */
void tsc_scope_check(const tsc_model *model, const tsc_scope_input *in,
                     tsc_scope_decision *out);

/* ---- one description of a result, for every host ------------------------ */

/* The text, colour and confidence of a result, computed in one place
 * (src/analysis/describe.c) and used by the renderer, the CLI, the SR and
 * JSON writers and the viewer. */
typedef struct tsc_description {
    size_t struct_size;          /* sizeof(tsc_description) */
    tsc_verdict verdict;
    char headline[48];           /* "NO TUMOUR", "TUMOUR", "INCONCLUSIVE",
                                    "NOT ASSESSABLE", "NOT ANALYSED" */
    char finding[64];            /* "No tumour detected", "Glioma", "Tumour, type
                                    uncertain", "Inconclusive", "Not assessable",
                                    "Not analysed" */
    char label[128];             /* one line for overlays, strips and tooltips:
                                    "NO TUMOUR 98.1%", "Glioma 97.3%", "INCONCLUSIVE" */
    double confidence;           /* the probability stated in `label`: P(no tumour)
                                    for NO_TUMOR, P(type | tumour) for TUMOR; NaN
                                    otherwise or for the classical methods */
    char confidence_text[24];    /* "98.1%", "" when none */
    double tumor_probability;    /* P(tumour); NaN when unknown */
    size_t type;                 /* class index of the tumour type; (size_t)-1 when none */
    int type_uncertain;          /* TUMOR with P(type | tumour) under the minimum */
    uint32_t color;              /* 0xRRGGBB of the verdict / type */
    char reason[256];            /* why INCONCLUSIVE / NOT_ASSESSABLE / NOT_ANALYSED */
    char detail[256];            /* series: "2 slices not assessable: 1, 26" */
    char scope_warning[320];     /* "Outside the model's scope: ... (analysed on request)" */
} tsc_description;

/* Colours of the verdicts without a type (0xRRGGBB).  Checked for readers
 * with a colour-vision deficiency against the shipped model's class colours
 * (tests/viewer/viewer_palette_test.c: CIEDE2000 after Machado et al.'s
 * deuteranopia, protanopia and tritanopia).  Inconclusive was amber
 * (#E69F00), 12.5 from vermillion glioma under deuteranopia; not assessable
 * was #8C8C8C, 8.1 from green no-tumour. */
#define TSC_COLOR_NO_TUMOR 0x009E73u       /* green */
#define TSC_COLOR_INCONCLUSIVE 0x88CCFFu   /* light sky blue */
#define TSC_COLOR_NOT_ASSESSABLE 0xBCBCBCu /* light grey */
#define TSC_COLOR_CLASSIC 0xF0E442u        /* yellow: tumour from a classical method */
/* The reader's own measurements (ruler, ellipse, freehand ROI) in the
 * viewer, the reports and their overlays: a saturated yellow that no
 * verdict, class, SEG outline or heat map uses. */
#define TSC_COLOR_MEASUREMENT 0xFFD600u

/* `model` gives names and colours; it may be NULL for the classical methods. */
void tsc_result_describe(const tsc_model *model, const tsc_result *r, tsc_description *out);
void tsc_series_result_describe(const tsc_model *model, const tsc_series_result *r,
                                tsc_description *out);

/* ---- results on a reformat ---------------------------------------------- */

/* A series analysed on a reformat of its volume (an axial MPR of a sagittal
 * 3D acquisition) has the reformat's slices, not the source's: the note says
 * so ("axial reformat of a sagittal 3D volume (1.0 mm), results on the
 * reformat's 176 slices"); "" when the result is on the source slices.
 * 3D lesions (centre_mm, extents) and the volume are in patient coordinates
 * either way. */
const char *tsc_series_result_get_reformat(const tsc_series_result *r);
void tsc_series_result_set_reformat(tsc_series_result *r, const char *note);
/* Records the geometry of the reformat's slices: `positions` (3 per slice,
 * tsc_series_result_n_slices() of them: the top-left pixel's centre, LPS mm),
 * one `orientation` (ImageOrientationPatient) and the in-plane `spacing`
 * (mm, [0] dy, [1] dx).  TSC_ENOMEM when it cannot be kept. */
tsc_status tsc_series_result_set_reformat_geometry(tsc_series_result *r, const double *positions,
                                                   const double orientation[6],
                                                   const double spacing[2]);
/* Geometry of result slice k on a reformat: returns 1 and fills the three
 * arrays; returns 0 (arrays untouched) when the result is on the source
 * slices, whose geometry is the study's. */
int tsc_series_result_get_slice_geometry(const tsc_series_result *r, size_t k,
                                         double position[3], double orientation[6],
                                         double spacing[2]);

#ifdef __cplusplus
}
#endif
#endif
