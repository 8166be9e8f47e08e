/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_compare: a follow-up study against its baseline.
 *
 * The 3D lesions of two series results (baseline and follow-up, each in its
 * own patient coordinates) are matched by position, and every lesion gets
 * its volume and RANO bidimensional product in both studies, the absolute
 * and relative change, and whether it is matched, new or gone.  From the
 * sum of products a RANO category is suggested, for the radiologist's
 * decision (the rules and their limits: docs/RESULT_FORMAT.md "Comparison
 * with a prior study").
 *
 * Matching rule: a baseline and a follow-up lesion are candidates when the
 * distance between their centres of mass is at most
 * `max_centre_distance_mm`, or when the centre of either lies inside the
 * other's bounding box enlarged by `box_margin_mm` on every side.
 * Candidates are paired one to one, the closest pair first.  Positions are
 * compared as they are: no registration is done, so the two studies must
 * share the patient's position in the scanner within those tolerances.
 * Slice index never enters the rule, so studies with different slice
 * spacing or coverage compare correctly.
 *
 * Ownership: tsc_compare_lesions() gives a tsc_comparison freed with
 * tsc_comparison_free(); `_get_` returns data it owns.
 * Units: mm, mm², mL, percent. */
#ifndef TSC_COMPARE_H
#define TSC_COMPARE_H

#include <stddef.h>

#include "tsc_analysis.h"
#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every host shows this beside the category, verbatim. */
#define TSC_RANO_SUGGESTION_LABEL "suggested, for the radiologist's decision"
/* The rules the suggestion applies and what it leaves out, for reports and
 * JSON. */
#define TSC_RANO_RULES                                                                             \
    "RANO measurable-disease criteria on enhancing lesions (Wen et al., J Clin Oncol "             \
    "2010;28:1963-72): CR all enhancing disease gone; PR sum of products down >= 50 %; PD up "     \
    ">= 25 % or a new measurable lesion (>= 10 x 10 mm); NE no measurable disease at baseline "    \
    "and none new; else SD.  Image rules only: corticosteroids, clinical status, "                 \
    "non-enhancing (T2/FLAIR) disease and confirmation scans are the radiologist's "               \
    "(docs/RESULT_FORMAT.md)"

typedef enum tsc_rano_category {
    TSC_RANO_CR = 0, /* complete response: all enhancing disease gone */
    TSC_RANO_PR = 1, /* partial response: sum of products down >= 50 % */
    TSC_RANO_SD = 2, /* stable disease: none of the others */
    TSC_RANO_PD = 3, /* progression: sum of products up >= 25 %, or a new measurable lesion */
    TSC_RANO_NE = 4  /* not evaluable: no measurable disease at baseline and none new */
} tsc_rano_category;

/* "CR", "PR", "SD", "PD", "NE". */
const char *tsc_rano_category_to_string(tsc_rano_category c);
/* "complete response", "partial response", "stable disease",
 * "progressive disease", "not evaluable". */
const char *tsc_rano_category_name(tsc_rano_category c);

typedef enum tsc_lesion_change {
    TSC_LESION_MATCHED = 0, /* in both studies */
    TSC_LESION_NEW = 1,     /* in the follow-up only */
    TSC_LESION_GONE = 2     /* in the baseline only */
} tsc_lesion_change;

/* "matched", "new", "gone". */
const char *tsc_lesion_change_to_string(tsc_lesion_change c);

typedef struct tsc_compare_params {
    size_t struct_size;            /* sizeof(tsc_compare_params) */
    double max_centre_distance_mm; /* default 15 */
    double box_margin_mm;          /* default 5 */
    size_t max_target_lesions;     /* RANO target lesions counted in the sum (default 5) */
} tsc_compare_params;

tsc_compare_params tsc_compare_default_params(void);

/* One row of the change table.  A study's values are 0 where the lesion is
 * absent from it; percentages are NaN where the baseline value is 0. */
typedef struct tsc_compare_row {
    tsc_lesion_change change;
    size_t baseline, followup; /* indices into the input arrays; (size_t)-1 when absent */
    double baseline_volume_ml, followup_volume_ml;
    double volume_change_ml, volume_change_percent;
    /* Longest axial diameter x its perpendicular, on the lesion's key slice. */
    double baseline_product_mm2, followup_product_mm2;
    double product_change_mm2, product_change_percent;
    int baseline_measurable, followup_measurable; /* both diameters >= 10 mm */
    int target;                                   /* counted in the sum of products */
    double distance_mm;                           /* between the centres; NaN unless matched */
} tsc_compare_row;

typedef struct tsc_compare_totals {
    double baseline_volume_ml, followup_volume_ml; /* every lesion */
    double volume_change_ml, volume_change_percent;
    /* Sum of the products of the target lesions: the baseline's measurable
     * lesions (the `max_target_lesions` largest), followed into the
     * follow-up (0 where gone).  New lesions are not added: a new
     * measurable one is progression by itself. */
    double baseline_spd_mm2, followup_spd_mm2;
    double spd_change_mm2, spd_change_percent;
    size_t n_matched, n_new, n_gone, n_new_measurable, n_targets;
} tsc_compare_totals;

typedef struct tsc_rano_suggestion {
    tsc_rano_category category;
    char reason[256]; /* which rule decided, with the numbers */
} tsc_rano_suggestion;

typedef struct tsc_comparison tsc_comparison;

/* Compares the 3D lesions of a baseline with those of a follow-up: arrays
 * of pointers to them, as tsc_series_result_get_lesion3d() lends them
 * (either may be empty).  Pointers, not copies: a host of the plugin ABI
 * never copies a struct the plugin returns by pointer (docs/PLUGIN_ABI.md,
 * rule 5).  Nothing is kept after the call.
 * TSC_EINVAL, naming the lesion, when a lesion has no patient coordinates
 * (its series had no slice geometry): it could not be matched by position. */
tsc_status tsc_compare_lesions(const tsc_lesion3d_info *const *baseline, size_t n_baseline,
                               const tsc_lesion3d_info *const *followup, size_t n_followup,
                               const tsc_compare_params *params, tsc_comparison **out,
                               tsc_error *err);
void tsc_comparison_free(tsc_comparison *c);

/* Rows: the baseline's lesions in their order (matched or gone), then the
 * new ones in the follow-up's order. */
size_t tsc_comparison_n_rows(const tsc_comparison *c);
const tsc_compare_row *tsc_comparison_get_row(const tsc_comparison *c, size_t i);
const tsc_compare_totals *tsc_comparison_get_totals(const tsc_comparison *c);
const tsc_rano_suggestion *tsc_comparison_get_rano(const tsc_comparison *c);

#ifdef __cplusplus
}
#endif
#endif
