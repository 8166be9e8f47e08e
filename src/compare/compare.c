/* SPDX-License-Identifier: BSD-3-Clause */
/* A follow-up against its baseline: lesions matched by position, the change
 * table and the suggested RANO category (rules in tsc_compare.h and
 * docs/RESULT_FORMAT.md). */
#include "tsc_compare.h"

#include "struct_size_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

struct tsc_comparison {
    tsc_compare_row *rows;
    size_t n_rows;
    tsc_compare_totals totals;
    tsc_rano_suggestion rano;
};

const char *tsc_rano_category_to_string(tsc_rano_category c)
{
    static const char *const s[] = {"CR", "PR", "SD", "PD", "NE"};
    return (unsigned)c < sizeof s / sizeof s[0] ? s[c] : "unknown";
}

const char *tsc_rano_category_name(tsc_rano_category c)
{
    static const char *const s[] = {"complete response", "partial response", "stable disease",
                                    "progressive disease", "not evaluable"};
    return (unsigned)c < sizeof s / sizeof s[0] ? s[c] : "unknown";
}

const char *tsc_lesion_change_to_string(tsc_lesion_change c)
{
    static const char *const s[] = {"matched", "new", "gone"};
    return (unsigned)c < sizeof s / sizeof s[0] ? s[c] : "unknown";
}

tsc_compare_params tsc_compare_default_params(void)
{
    return (tsc_compare_params){.struct_size = sizeof(tsc_compare_params),
                                .max_centre_distance_mm = 15.0,
                                .box_margin_mm = 5.0,
                                .max_target_lesions = 5};
}

/* The product on the lesion's key slice, measurable or not: a target that
 * shrinks under 10 mm still counts with what is left of it. */
static double product(const tsc_lesion3d_info *l)
{
    return l->diameter_mm * l->perpendicular_mm;
}

static double percent(double from, double to)
{
    return from > 0 ? 100.0 * (to - from) / from : NAN;
}

static double distance(const tsc_lesion3d_info *a, const tsc_lesion3d_info *b)
{
    double d2 = 0;
    for (int i = 0; i < 3; i++)
        d2 += (a->centre_mm[i] - b->centre_mm[i]) * (a->centre_mm[i] - b->centre_mm[i]);
    return sqrt(d2);
}

static int centre_in_box(const tsc_lesion3d_info *centre_of, const tsc_lesion3d_info *box_of,
                         double margin)
{
    for (int i = 0; i < 3; i++)
        if (centre_of->centre_mm[i] < box_of->extent_min_mm[i] - margin ||
            centre_of->centre_mm[i] > box_of->extent_max_mm[i] + margin)
            return 0;
    return 1;
}

static tsc_status need_coordinates(const tsc_lesion3d_info *const *l, size_t n, const char *study,
                                   tsc_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!l[i]->has_patient_coordinates)
            return tsc_error_set(err, TSC_EINVAL,
                                 "lesion %zu of the %s has no patient coordinates (its series has "
                                 "no slice position or orientation); lesions can only be matched "
                                 "by position: use a series with ImagePositionPatient and "
                                 "ImageOrientationPatient",
                                 i + 1, study);
    return TSC_OK;
}

typedef struct pair {
    size_t b, f;
    double d;
} pair;

static int by_distance(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    if (a->d != b->d) return a->d < b->d ? -1 : 1;
    if (a->b != b->b) return a->b < b->b ? -1 : 1;
    return a->f < b->f ? -1 : a->f > b->f;
}

/* One-to-one pairs of candidates, closest first; match_of_b[i] is the
 * follow-up lesion of baseline lesion i or NONE. */
static tsc_status match(const tsc_lesion3d_info *const *base, size_t nb,
                        const tsc_lesion3d_info *const *fol, size_t nf, const tsc_compare_params *p,
                        size_t *match_of_b, size_t *match_of_f, tsc_error *err)
{
    for (size_t i = 0; i < nb; i++) match_of_b[i] = NONE;
    for (size_t j = 0; j < nf; j++) match_of_f[j] = NONE;
    if (!nb || !nf) return TSC_OK;
    pair *pairs = malloc(nb * nf * sizeof *pairs);
    if (!pairs)
        return tsc_error_set(err, TSC_ENOMEM, "out of memory matching %zu x %zu lesions", nb, nf);
    size_t n = 0;
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < nf; j++) {
            double d = distance(base[i], fol[j]);
            if (d <= p->max_centre_distance_mm ||
                centre_in_box(base[i], fol[j], p->box_margin_mm) ||
                centre_in_box(fol[j], base[i], p->box_margin_mm))
                pairs[n++] = (pair){i, j, d};
        }
    qsort(pairs, n, sizeof *pairs, by_distance);
    for (size_t k = 0; k < n; k++)
        if (match_of_b[pairs[k].b] == NONE && match_of_f[pairs[k].f] == NONE) {
            match_of_b[pairs[k].b] = pairs[k].f;
            match_of_f[pairs[k].f] = pairs[k].b;
        }
    free(pairs);
    return TSC_OK;
}

/* The baseline's measurable lesions with the largest products are the
 * targets (RANO: up to `max` of them). */
static void choose_targets(const tsc_lesion3d_info *const *base, size_t nb, size_t max, int *target)
{
    for (size_t i = 0; i < nb; i++) target[i] = 0;
    for (size_t t = 0; t < max; t++) {
        size_t best = NONE;
        for (size_t i = 0; i < nb; i++)
            if (!target[i] && base[i]->measurable &&
                (best == NONE || product(base[i]) > product(base[best])))
                best = i;
        if (best == NONE) break;
        target[best] = 1;
    }
}

static void fill_row(tsc_compare_row *r, const tsc_lesion3d_info *b, const tsc_lesion3d_info *f)
{
    memset(r, 0, sizeof *r);
    r->baseline = r->followup = NONE;
    r->change = b && f ? TSC_LESION_MATCHED : b ? TSC_LESION_GONE : TSC_LESION_NEW;
    if (b) {
        r->baseline_volume_ml = b->volume_ml;
        r->baseline_product_mm2 = product(b);
        r->baseline_measurable = b->measurable;
    }
    if (f) {
        r->followup_volume_ml = f->volume_ml;
        r->followup_product_mm2 = product(f);
        r->followup_measurable = f->measurable;
    }
    r->volume_change_ml = r->followup_volume_ml - r->baseline_volume_ml;
    r->volume_change_percent = percent(r->baseline_volume_ml, r->followup_volume_ml);
    r->product_change_mm2 = r->followup_product_mm2 - r->baseline_product_mm2;
    r->product_change_percent = percent(r->baseline_product_mm2, r->followup_product_mm2);
    r->distance_mm = b && f ? distance(b, f) : NAN;
}

/* RANO measurable-disease rules on enhancing lesions (Wen et al., J Clin
 * Oncol 2010;28:1963-72), in the order that lets the worse finding win:
 * a new measurable lesion is progression whatever the targets do. */
static void suggest(size_t nb, size_t nf, const tsc_compare_totals *t, tsc_rano_suggestion *s)
{
    if (nb > 0 && nf == 0) {
        s->category = TSC_RANO_CR;
        snprintf(s->reason, sizeof s->reason,
                 "all %zu enhancing lesion(s) of the baseline are gone and none is new", nb);
    } else if (t->n_new_measurable > 0) {
        s->category = TSC_RANO_PD;
        snprintf(s->reason, sizeof s->reason,
                 "%zu new measurable lesion(s) (both diameters >= 10 mm)", t->n_new_measurable);
    } else if (!(t->baseline_spd_mm2 > 0)) {
        s->category = TSC_RANO_NE;
        if (nb == 0 && nf == 0)
            snprintf(s->reason, sizeof s->reason, "no enhancing lesion in either study");
        else
            snprintf(s->reason, sizeof s->reason,
                     "no measurable lesion at baseline (%zu lesion(s) under 10 mm x 10 mm) and no "
                     "new measurable one",
                     nb);
    } else if (t->spd_change_percent >= 25.0) {
        s->category = TSC_RANO_PD;
        snprintf(s->reason, sizeof s->reason,
                 "sum of products %+.1f %% (%.0f -> %.0f mm²): an increase of 25 %% or more",
                 t->spd_change_percent, t->baseline_spd_mm2, t->followup_spd_mm2);
    } else if (t->spd_change_percent <= -50.0) {
        s->category = TSC_RANO_PR;
        snprintf(s->reason, sizeof s->reason,
                 "sum of products %+.1f %% (%.0f -> %.0f mm²): a decrease of 50 %% or more",
                 t->spd_change_percent, t->baseline_spd_mm2, t->followup_spd_mm2);
    } else {
        s->category = TSC_RANO_SD;
        snprintf(s->reason, sizeof s->reason,
                 "sum of products %+.1f %% (%.0f -> %.0f mm²): between -50 %% and +25 %%, no new "
                 "measurable lesion",
                 t->spd_change_percent, t->baseline_spd_mm2, t->followup_spd_mm2);
    }
}

tsc_status tsc_compare_lesions(const tsc_lesion3d_info *const *baseline, size_t n_baseline,
                               const tsc_lesion3d_info *const *followup, size_t n_followup,
                               const tsc_compare_params *params, tsc_comparison **out,
                               tsc_error *err)
{
    TSC_ASSERT(out && (baseline || !n_baseline) && (followup || !n_followup));
    *out = NULL;
    tsc_compare_params p = tsc_compare_default_params();
    TSC__PARAMS_COPY(&p, params);
    tsc_status st = need_coordinates(baseline, n_baseline, "baseline", err);
    if (st == TSC_OK) st = need_coordinates(followup, n_followup, "follow-up", err);
    if (st != TSC_OK) return st;

    tsc_comparison *c = calloc(1, sizeof *c);
    size_t *mb = calloc(n_baseline + 1, sizeof *mb), *mf = calloc(n_followup + 1, sizeof *mf);
    int *target = calloc(n_baseline + 1, sizeof *target);
    if (c) c->rows = calloc(n_baseline + n_followup + 1, sizeof *c->rows);
    if (!c || !c->rows || !mb || !mf || !target) {
        st = tsc_error_set(err, TSC_ENOMEM, "out of memory comparing %zu with %zu lesions",
                           n_baseline, n_followup);
        goto fail;
    }
    st = match(baseline, n_baseline, followup, n_followup, &p, mb, mf, err);
    if (st != TSC_OK) goto fail;
    choose_targets(baseline, n_baseline, p.max_target_lesions, target);

    tsc_compare_totals *t = &c->totals;
    for (size_t i = 0; i < n_baseline; i++) {
        tsc_compare_row *r = &c->rows[c->n_rows++];
        fill_row(r, baseline[i], mb[i] == NONE ? NULL : followup[mb[i]]);
        r->baseline = i;
        r->followup = mb[i];
        r->target = target[i];
        if (r->change == TSC_LESION_MATCHED) t->n_matched++;
        else t->n_gone++;
        if (target[i]) {
            t->n_targets++;
            t->baseline_spd_mm2 += r->baseline_product_mm2;
            t->followup_spd_mm2 += r->followup_product_mm2;
        }
    }
    for (size_t j = 0; j < n_followup; j++) {
        if (mf[j] != NONE) continue;
        tsc_compare_row *r = &c->rows[c->n_rows++];
        fill_row(r, NULL, followup[j]);
        r->followup = j;
        t->n_new++;
        if (followup[j]->measurable) t->n_new_measurable++;
    }
    for (size_t i = 0; i < n_baseline; i++) t->baseline_volume_ml += baseline[i]->volume_ml;
    for (size_t j = 0; j < n_followup; j++) t->followup_volume_ml += followup[j]->volume_ml;
    t->volume_change_ml = t->followup_volume_ml - t->baseline_volume_ml;
    t->volume_change_percent = percent(t->baseline_volume_ml, t->followup_volume_ml);
    t->spd_change_mm2 = t->followup_spd_mm2 - t->baseline_spd_mm2;
    t->spd_change_percent = percent(t->baseline_spd_mm2, t->followup_spd_mm2);
    suggest(n_baseline, n_followup, t, &c->rano);
    free(mb);
    free(mf);
    free(target);
    *out = c;
    return TSC_OK;
fail:
    free(mb);
    free(mf);
    free(target);
    tsc_comparison_free(c);
    return st;
}

void tsc_comparison_free(tsc_comparison *c)
{
    if (!c) return;
    free(c->rows);
    free(c);
}

size_t tsc_comparison_n_rows(const tsc_comparison *c)
{
    TSC_ASSERT(c);
    return c->n_rows;
}

const tsc_compare_row *tsc_comparison_get_row(const tsc_comparison *c, size_t i)
{
    TSC_ASSERT(c && i < c->n_rows);
    return &c->rows[i];
}

const tsc_compare_totals *tsc_comparison_get_totals(const tsc_comparison *c)
{
    TSC_ASSERT(c);
    return &c->totals;
}

const tsc_rano_suggestion *tsc_comparison_get_rano(const tsc_comparison *c)
{
    TSC_ASSERT(c);
    return &c->rano;
}
