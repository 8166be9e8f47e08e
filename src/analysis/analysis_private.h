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
    tsc_timings timings;
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
};

/* Allocates an empty result with a zeroed mask of rows*cols. */
tsc_result *tsc__result_new(int rows, int cols);
/* Fills lesions (and outlines) of `r` from its mask, dropping components
 * under `min_area_mm2`; clears those pixels from the mask too. */
tsc_status tsc__result_measure(tsc_result *r, const tsc_slice *slice, double min_area_mm2,
                               tsc_error *err);
double tsc__now_ms(void);

#endif
