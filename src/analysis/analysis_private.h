/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the files of src/analysis. */
#ifndef TSC_ANALYSIS_PRIVATE_H
#define TSC_ANALYSIS_PRIVATE_H

#include "tsc_analysis.h"

#define TSC__MAX_CLASSES 16

struct tsc_result {
    tsc_method method;
    tsc_verdict verdict;
    char reason[256];
    size_t label;
    double confidence;
    size_t n_classes;
    double probs[TSC__MAX_CLASSES];
    double p_tumor;
    int rows, cols;
    uint8_t *mask;          /* rows*cols */
    float *prob_map;        /* rows*cols, NULL for classical methods */
    size_t n_lesions;
    tsc_lesion_info *lesions;
    tsc_point *outline_points; /* all outlines, each lesion points into it */
    size_t n_outline_points;
    double pixel_area_mm2;  /* dx*dy, for volumes */
    double spacing[2];      /* mm: [0] dy, [1] dx */
    double mask_threshold;  /* the probability the mask was cut at */
    tsc_timings timings;
    size_t type;            /* most likely tumour type; (size_t)-1 for the classical methods */
    double p_type;          /* P(type | tumour); NaN when unknown */
    int type_uncertain;     /* TUMOR with p_type under the minimum confidence */
    double head_area_mm2;   /* NaN when not estimated */
    double ood_score;       /* NaN when the model has no OOD score */
    char scope_warning[320];
};

struct tsc_series_result {
    size_t n;
    tsc_result **slices;    /* NULL where failed or not analysed */
    char **errors;          /* NULL where succeeded */
    size_t n_failed;
    tsc_verdict verdict;
    size_t label;
    double confidence;
    double volume_ml;       /* NaN when the slice spacing is unknown */
    size_t key_slice;
    size_t n_lesions3d;
    tsc_lesion3d_info *lesions3d;
    double total_ms;
    double p_tumor;         /* NaN when no slice was analysed */
    int type_uncertain;
    size_t counts[5];       /* slices per verdict */
    char reason[256];       /* NOT_ANALYSED / NOT_ASSESSABLE: why */
    char scope_warning[320];
    /* Set when the slices are those of a reformat, not of the source. */
    char reformat[256];     /* "" when the result is on the source slices */
    double *reformat_positions; /* 3 per slice; NULL unless reformatted */
    double reformat_orientation[6];
    double reformat_spacing[2];
    /* The geometry the 3D lesions were measured with (owned copies, fetch
     * NULL), for measuring again after the reader's edits. */
    tsc_series_source geometry;
    int has_geometry;
    struct tsc__edit_record *edits; /* the reader's edits; NULL when unedited */
};

/* Allocates an empty result with a zeroed mask of rows*cols. */
tsc_result *tsc__result_new(int rows, int cols);
/* Fills lesions (and outlines) of `r` from its mask, dropping components
 * under `min_area_mm2`; clears those pixels from the mask too. */
tsc_status tsc__result_measure(tsc_result *r, const tsc_slice *slice, double min_area_mm2,
                               tsc_error *err);
/* No mask, no lesions: what a no-tumour or not-assessable verdict shows. */
void tsc__result_clear_findings(tsc_result *r);
double tsc__now_ms(void);

/* 3D lesions, their volume and the key slice of `out` from its slices'
 * masks and `src`'s geometry (kept in out->geometry).  With `member` (n
 * pointers), member[k] receives a rows*cols map of slice k: 1 + the index of
 * the 3D lesion each pixel belongs to, 0 elsewhere (NULL for slices without
 * a mask; the caller frees each).  Returns 0 when out of memory. */
int tsc__series_aggregate(tsc_series_result *out, const tsc_series_source *src,
                          const tsc_model *model, int **member);
/* The series verdict, label, confidence and counts from its slices. */
void tsc__series_verdict(tsc_series_result *out, const tsc_model *model);
/* Frees what tsc_series_result_apply_edits() recorded (edit.c). */
void tsc__edit_record_free(struct tsc__edit_record *rec);

#endif
