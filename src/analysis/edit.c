/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's corrections (tsc_edit.h): edits replayed on a copy of the
 * unedited result, then measured again the way an analysis measures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_private.h"
#include "struct_size_private.h"
#include "tsc_edit.h"

struct tsc__edit_record {
    char *editor;
    unsigned *slice_edits; /* per slice, TSC_SLICE_* */
    tsc_rejected_lesion *rejected;
    tsc_lesion3d_info *rejected_info; /* behind rejected[i].info */
    char **reasons; /* owned strings behind rejected[i].reason */
    size_t n_rejected;
    size_t *origin; /* per 3D lesion of the edited result */
    uint8_t *accepted; /* per lesion of the unedited result */
    size_t n_accepted;
};

void tsc__edit_record_free(struct tsc__edit_record *rec)
{
    if (!rec) return;
    for (size_t i = 0; rec->reasons && i < rec->n_rejected; i++) free(rec->reasons[i]);
    free(rec->reasons);
    free(rec->rejected);
    free(rec->rejected_info);
    free(rec->slice_edits);
    free(rec->origin);
    free(rec->accepted);
    free(rec->editor);
    free(rec);
}

tsc_edit tsc_edit_default(void)
{
    tsc_edit e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    e.kind = TSC_EDIT_PAINT;
    e.radius_mm = 3.0;
    e.label = (size_t)-1;
    return e;
}

static char *dup_str(const char *s)
{
    s = s ? s : "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* What the edits so far made of each lesion of the unedited result. */
enum { LESION_AS_FOUND = 0, LESION_REJECTED = 1, LESION_ACCEPTED = 2 };

/* Refuses what cannot be replayed, naming the edit and what to do. */
static tsc_status check_edit(const tsc_model *model, const tsc_series_result *o, const tsc_edit *e,
                             size_t i, const uint8_t *rejected, tsc_error *err)
{
    const char *verb = e->kind == TSC_EDIT_ACCEPT ? "accepts" : "rejects";
    switch (e->kind) {
    case TSC_EDIT_REJECT:
    case TSC_EDIT_ACCEPT:
        if (e->lesion >= o->n_lesions3d)
            return tsc_error_set(err, TSC_EINVAL,
                                 "edit %zu %s lesion %zu, but the unedited result has %zu "
                                 "lesion(s); lesions are numbered from 0 in the unedited result",
                                 i, verb, e->lesion, o->n_lesions3d);
        /* A lesion accepted may still be rejected (the reader changed
         * their mind); a rejected one is gone and is accepted by undoing. */
        if (rejected[e->lesion] == LESION_REJECTED ||
            (e->kind == TSC_EDIT_ACCEPT && rejected[e->lesion] == LESION_ACCEPTED))
            return tsc_error_set(err, TSC_EINVAL,
                                 "edit %zu %s lesion %zu, which is already %s; drop the edit "
                                 "(undo the rejection to accept it)",
                                 i, verb, e->lesion,
                                 rejected[e->lesion] == LESION_REJECTED ? "rejected" : "accepted");
        return TSC_OK;
    case TSC_EDIT_PAINT:
    case TSC_EDIT_ERASE: break;
    default:
        return tsc_error_set(err, TSC_EINVAL,
                             "edit %zu has kind %d; known kinds are reject (0), paint (1), "
                             "erase (2) and accept (3)",
                             i, e->kind);
    }
    if (e->slice >= o->n)
        return tsc_error_set(err, TSC_EINVAL, "edit %zu strokes slice %zu of a %zu-slice series", i,
                             e->slice, o->n);
    if (!o->slices[e->slice])
        return tsc_error_set(err, TSC_EINVAL,
                             "edit %zu strokes slice %zu, which was not analysed (failed or "
                             "cancelled); analyse the series again before editing it",
                             i, e->slice);
    if (!e->points || !e->n_points)
        return tsc_error_set(err, TSC_EINVAL, "edit %zu is a stroke without points", i);
    if (!(e->radius_mm > 0) || !isfinite(e->radius_mm))
        return tsc_error_set(err, TSC_EINVAL,
                             "edit %zu has brush radius %g mm; give a radius above 0 mm", i,
                             e->radius_mm);
    for (size_t p = 0; p < e->n_points; p++)
        if (!isfinite(e->points[p].x) || !isfinite(e->points[p].y))
            return tsc_error_set(err, TSC_EINVAL, "edit %zu: point %zu is not a number", i, p);
    if (e->kind == TSC_EDIT_PAINT && e->label != (size_t)-1) {
        size_t n_classes = model ? tsc_model_n_classes(model) : 0;
        if (e->label >= n_classes || e->label == model->manifest.no_tumor)
            return tsc_error_set(err, TSC_EINVAL,
                                 "edit %zu paints class %zu, which is not a tumour class of %s; "
                                 "paint with one of its tumour classes or with the slice's type",
                                 i, e->label, model ? tsc_model_get_name(model) : "this method");
    }
    return TSC_OK;
}

/* Squared distance in mm² from (px, py) to the segment a-b (pixels). */
static double seg_dist2(double px, double py, tsc_point a, tsc_point b, double dx, double dy)
{
    double ax = a.x * dx, ay = a.y * dy, bx = b.x * dx, by = b.y * dy;
    double x = px * dx, y = py * dy;
    double vx = bx - ax, vy = by - ay, len2 = vx * vx + vy * vy;
    double t = len2 > 0 ? ((x - ax) * vx + (y - ay) * vy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = x - (ax + t * vx), ey = y - (ay + t * vy);
    return ex * ex + ey * ey;
}

/* Sets (paint) or clears (erase) every pixel whose centre lies within
 * radius_mm of the stroke: a disc for one point, a capsule per segment. */
static void stroke(tsc_result *s, const tsc_edit *e)
{
    double dy = s->spacing[0] > 0 ? s->spacing[0] : 1.0;
    double dx = s->spacing[1] > 0 ? s->spacing[1] : 1.0;
    double r2 = e->radius_mm * e->radius_mm;
    uint8_t v = e->kind == TSC_EDIT_PAINT;
    size_t n_seg = e->n_points > 1 ? e->n_points - 1 : 1;
    for (size_t q = 0; q < n_seg; q++) {
        tsc_point a = e->points[q], b = e->points[e->n_points > 1 ? q + 1 : q];
        double x0 = fmin(a.x, b.x) - e->radius_mm / dx, x1 = fmax(a.x, b.x) + e->radius_mm / dx;
        double y0 = fmin(a.y, b.y) - e->radius_mm / dy, y1 = fmax(a.y, b.y) + e->radius_mm / dy;
        /* Clamped in double first: a point far off the image (an edits file
         * is untrusted) must not overflow the int conversion. */
        if (x1 < 0 || y1 < 0 || x0 > s->cols - 1 || y0 > s->rows - 1) continue;
        int cx0 = (int)fmax(0, floor(x0)), cx1 = (int)fmin(s->cols - 1, ceil(x1));
        int cy0 = (int)fmax(0, floor(y0)), cy1 = (int)fmin(s->rows - 1, ceil(y1));
        for (int y = cy0; y <= cy1; y++)
            for (int x = cx0; x <= cx1; x++)
                if (seg_dist2(x, y, a, b, dx, dy) <= r2) s->mask[(size_t)y * s->cols + x] = v;
    }
}

/* Measures an edited slice again and states what the reader made of it. */
static tsc_status remeasure(tsc_result *s, const tsc_result *orig, unsigned what,
                            size_t paint_label, size_t series_type, const tsc_model *model,
                            tsc_error *err)
{
    tsc_slice view = {.pixels = NULL, .rows = s->rows, .cols = s->cols};
    view.spacing[0] = s->spacing[0];
    view.spacing[1] = s->spacing[1];
    /* The reader's strokes are kept however small: no minimum area. */
    tsc_status st = tsc__result_measure(s, &view, 0.0, err);
    if (st != TSC_OK) return st;
    size_t no_tumor = model ? model->manifest.no_tumor : 0;
    int was_tumor = orig->verdict == TSC_VERDICT_TUMOR;
    if (s->n_lesions && (was_tumor || (what & TSC_SLICE_PAINTED))) {
        if (paint_label != (size_t)-1) s->type = paint_label;
        else if (!was_tumor) s->type = series_type;
        s->label = s->type != (size_t)-1 ? s->type : no_tumor;
        if (!was_tumor || (paint_label != (size_t)-1 && paint_label != orig->type)) {
            /* The reader's tumour, not the model's: no model confidence,
             * and no type evidence from a model that saw none. */
            s->confidence = NAN;
            s->p_type = NAN;
            s->type_uncertain = 0;
            if (!was_tumor) {
                s->p_tumor = NAN;
                memset(s->probs, 0, sizeof s->probs);
            }
        }
        s->verdict = TSC_VERDICT_TUMOR;
        s->reason[0] = '\0';
    } else if (was_tumor) {
        s->verdict = TSC_VERDICT_NO_TUMOR;
        s->label = no_tumor;
        s->type = (size_t)-1;
        s->confidence = NAN; /* the model's P(no tumour) is not the reader's */
        s->p_type = NAN;
        s->type_uncertain = 0;
        snprintf(s->reason, sizeof s->reason, "%s", "");
    }
    return TSC_OK;
}

/* Which unedited lesion each edited lesion mostly overlaps. */
static tsc_status find_origins(const tsc_series_result *o, int *const *om, tsc_series_result *out,
                               const tsc_model *model, size_t **origin_out, tsc_error *err)
{
    size_t n = out->n, m3 = o->n_lesions3d;
    int **em = calloc(n ? n : 1, sizeof *em);
    size_t *overlap = NULL, *origin = NULL;
    tsc_status st = TSC_OK;
    if (!em || !tsc__series_aggregate(out, &o->geometry, model, em)) goto oom;
    size_t n3 = out->n_lesions3d;
    overlap = calloc((n3 ? n3 : 1) * (m3 + 1), sizeof *overlap);
    origin = malloc((n3 ? n3 : 1) * sizeof *origin);
    if (!overlap || !origin) goto oom;
    for (size_t k = 0; k < n; k++) {
        if (!em[k]) continue;
        size_t px = (size_t)out->slices[k]->rows * (size_t)out->slices[k]->cols;
        for (size_t i = 0; i < px; i++) {
            int e = em[k][i], g = om && om[k] ? om[k][i] : 0;
            if (e > 0 && (size_t)e <= n3) overlap[(size_t)(e - 1) * (m3 + 1) + (size_t)g]++;
        }
    }
    for (size_t i = 0; i < n3; i++) {
        origin[i] = (size_t)-1;
        size_t best = 0;
        for (size_t g = 1; g <= m3; g++)
            if (overlap[i * (m3 + 1) + g] > best) {
                best = overlap[i * (m3 + 1) + g];
                origin[i] = g - 1;
            }
    }
    *origin_out = origin;
    origin = NULL;
    goto done;
oom:
    st = tsc_error_set(err, TSC_ENOMEM, "out of memory while measuring the edited result");
done:
    free(origin);
    if (em)
        for (size_t k = 0; k < n; k++) free(em[k]);
    free(em);
    free(overlap);
    return st;
}

/* A deep copy of `o` without 3D lesions (measured again later). */
static tsc_series_result *copy_slices(const tsc_series_result *o)
{
    tsc_series_result *r = tsc_series_result_new_not_analysed(o->n, o->reason);
    if (!r) return NULL;
    for (size_t k = 0; k < o->n; k++) {
        if (o->slices[k] && !(r->slices[k] = tsc_result_dup(o->slices[k]))) goto fail;
        if (o->errors[k] && !(r->errors[k] = dup_str(o->errors[k]))) goto fail;
    }
    r->n_failed = o->n_failed;
    r->total_ms = o->total_ms;
    memcpy(r->scope_warning, o->scope_warning, sizeof r->scope_warning);
    memcpy(r->reformat, o->reformat, sizeof r->reformat);
    if (o->reformat_positions &&
        tsc_series_result_set_reformat_geometry(r, o->reformat_positions, o->reformat_orientation,
                                                o->reformat_spacing) != TSC_OK)
        goto fail;
    return r;
fail:
    tsc_series_result_free(r);
    return NULL;
}

/* Where no slice left model evidence of a type (the reader's painted
 * slices, a stored result's), the series takes the type with the most
 * tumour area and P(tumour) only from the slices the model called. */
static void reader_series_type(tsc_series_result *r, const tsc_model *model)
{
    /* A lesion without type evidence: the type its key slice states. */
    for (size_t i = 0; i < r->n_lesions3d; i++) {
        tsc_lesion3d_info *l = &r->lesions3d[i];
        const tsc_result *s = l->key_slice < r->n ? r->slices[l->key_slice] : NULL;
        if (isnan(l->type_probability) && s && s->type != (size_t)-1) l->label = s->type;
    }
    if (r->verdict != TSC_VERDICT_TUMOR || !model) return;
    double p_sum = 0, area[TSC__MAX_CLASSES] = {0};
    size_t n_p = 0;
    for (size_t k = 0; k < r->n; k++) {
        const tsc_result *s = r->slices[k];
        if (!s || s->verdict != TSC_VERDICT_TUMOR) continue;
        if (isfinite(s->p_tumor)) {
            p_sum += s->p_tumor;
            n_p++;
        }
        if (s->type < TSC__MAX_CLASSES)
            for (size_t j = 0; j < s->n_lesions; j++) area[s->type] += s->lesions[j].area_mm2;
    }
    r->p_tumor = n_p ? p_sum / (double)n_p : NAN;
    if (r->label != model->manifest.no_tumor) return;
    size_t best = (size_t)-1;
    for (size_t c = 0; c < TSC__MAX_CLASSES; c++)
        if (area[c] > 0 && (best == (size_t)-1 || area[c] > area[best])) best = c;
    if (best != (size_t)-1) r->label = best;
    r->confidence = NAN;
}

/* The type of the series as the unedited result stated it: what a slice the
 * reader paints without naming a class is. */
static size_t series_type(const tsc_series_result *o, const tsc_model *model)
{
    if (!model || o->verdict != TSC_VERDICT_TUMOR) return (size_t)-1;
    return o->label != model->manifest.no_tumor ? o->label : (size_t)-1;
}

tsc_status tsc_series_result_apply_edits(const tsc_model *model, const tsc_series_result *original,
                                         const tsc_edit *const *edits, size_t n_edits,
                                         const char *editor, tsc_series_result **out,
                                         tsc_error *err)
{
    TSC_ASSERT(original && out && (edits || !n_edits));
    *out = NULL;
    tsc_error_clear(err);
    const tsc_series_result *o = original;
    if (o->edits)
        return tsc_error_set(err, TSC_EINVAL,
                             "the result is already edited; apply the whole list of edits to "
                             "the unedited result");
    if (!o->has_geometry)
        return tsc_error_set(err, TSC_EINVAL,
                             "the series analysis did not complete (cancelled or not analysed); "
                             "analyse the series again before editing it");
    size_t n = o->n;
    tsc_edit *list = calloc(n_edits ? n_edits : 1, sizeof *list);
    uint8_t *rejected = calloc(o->n_lesions3d + 1, 1);
    int **om = calloc(n ? n : 1, sizeof *om);
    size_t *paint_label = malloc((n ? n : 1) * sizeof *paint_label);
    struct tsc__edit_record *rec = calloc(1, sizeof *rec);
    tsc_series_result *r = NULL;
    tsc_status st = TSC_OK;
    size_t n_reject = 0;
    if (!list || !rejected || !om || !paint_label || !rec) goto oom;
    for (size_t i = 0; i < n_edits; i++) {
        TSC_ASSERT(edits[i]);
        list[i] = tsc_edit_default();
        TSC__PARAMS_COPY(&list[i], edits[i]);
        if ((st = check_edit(model, o, &list[i], i, rejected, err)) != TSC_OK) goto done;
        if (list[i].kind == TSC_EDIT_REJECT) {
            rejected[list[i].lesion] = LESION_REJECTED;
            n_reject++;
        } else if (list[i].kind == TSC_EDIT_ACCEPT) {
            rejected[list[i].lesion] = LESION_ACCEPTED;
        }
    }
    for (size_t k = 0; k < n; k++) paint_label[k] = (size_t)-1;
    if (!(r = copy_slices(o))) goto oom;
    rec->slice_edits = calloc(n ? n : 1, sizeof *rec->slice_edits);
    rec->rejected = calloc(n_reject + 1, sizeof *rec->rejected);
    rec->rejected_info = calloc(n_reject + 1, sizeof *rec->rejected_info);
    rec->reasons = calloc(n_reject + 1, sizeof *rec->reasons);
    rec->editor = dup_str(editor);
    rec->accepted = calloc(o->n_lesions3d + 1, 1);
    if (!rec->slice_edits || !rec->rejected || !rec->rejected_info || !rec->reasons ||
        !rec->editor || !rec->accepted)
        goto oom;
    for (size_t l = 0; l < o->n_lesions3d; l++) {
        rec->accepted[l] = rejected[l] == LESION_ACCEPTED;
        rec->n_accepted += rec->accepted[l];
    }
    /* Which pixels are whose lesion, as the unedited result linked them:
     * the same masks and geometry give the same lesions in the same order. */
    tsc_series_result scratch = *o;
    scratch.lesions3d = NULL;
    scratch.geometry = (tsc_series_source){0};
    if (!tsc__series_aggregate(&scratch, &o->geometry, model, om)) {
        free(scratch.lesions3d);
        free((void *)scratch.geometry.locations_mm);
        free((void *)scratch.geometry.positions_mm);
        goto oom;
    }
    size_t n_linked = scratch.n_lesions3d;
    free(scratch.lesions3d);
    free((void *)scratch.geometry.locations_mm);
    free((void *)scratch.geometry.positions_mm);
    if (n_linked != o->n_lesions3d) {
        st = tsc_error_set(err, TSC_EINTERNAL,
                           "linking the unedited result again gave %zu lesions instead of %zu",
                           n_linked, o->n_lesions3d);
        goto done;
    }
    for (size_t i = 0; i < n_edits; i++) {
        const tsc_edit *e = &list[i];
        if (e->kind == TSC_EDIT_REJECT) {
            tsc_rejected_lesion *rl = &rec->rejected[rec->n_rejected];
            rl->struct_size = sizeof *rl;
            rl->lesion = e->lesion;
            rec->rejected_info[rec->n_rejected] = o->lesions3d[e->lesion];
            rl->info = &rec->rejected_info[rec->n_rejected];
            if (!(rec->reasons[rec->n_rejected] = dup_str(e->reason))) goto oom;
            rl->reason = rec->reasons[rec->n_rejected++];
            for (size_t k = 0; k < n; k++) {
                if (!om[k] || !r->slices[k]) continue;
                size_t px = (size_t)r->slices[k]->rows * (size_t)r->slices[k]->cols;
                int hit = 0;
                for (size_t p = 0; p < px; p++)
                    if (om[k][p] == (int)e->lesion + 1 && r->slices[k]->mask[p]) {
                        r->slices[k]->mask[p] = 0;
                        hit = 1;
                    }
                if (hit) rec->slice_edits[k] |= TSC_SLICE_REJECTED;
            }
        } else if (e->kind != TSC_EDIT_ACCEPT) {
            stroke(r->slices[e->slice], e);
            rec->slice_edits[e->slice] |=
                e->kind == TSC_EDIT_PAINT ? TSC_SLICE_PAINTED : TSC_SLICE_ERASED;
            if (e->kind == TSC_EDIT_PAINT && e->label != (size_t)-1)
                paint_label[e->slice] = e->label;
        }
    }
    size_t type = series_type(o, model);
    for (size_t k = 0; k < n; k++)
        if (rec->slice_edits[k] && (st = remeasure(r->slices[k], o->slices[k], rec->slice_edits[k],
                                                   paint_label[k], type, model, err)) != TSC_OK)
            goto done;
    /* find_origins links the edited slices into 3D lesions too. */
    if ((st = find_origins(o, om, r, model, &rec->origin, err)) != TSC_OK) goto done;
    tsc__series_verdict(r, model);
    reader_series_type(r, model);
    if (n_edits) {
        r->edits = rec;
        rec = NULL;
    }
    *out = r;
    r = NULL;
    goto done;
oom:
    st = tsc_error_set(err, TSC_ENOMEM, "out of memory while applying %zu edit(s)", n_edits);
done:
    if (om)
        for (size_t k = 0; k < n; k++) free(om[k]);
    free(om);
    free(list);
    free(rejected);
    free(paint_label);
    tsc__edit_record_free(rec);
    tsc_series_result_free(r);
    return st;
}

int tsc_series_result_is_edited(const tsc_series_result *r)
{
    TSC_ASSERT(r);
    return r->edits != NULL;
}

const char *tsc_series_result_get_editor(const tsc_series_result *r)
{
    TSC_ASSERT(r);
    return r->edits ? r->edits->editor : "";
}

unsigned tsc_series_result_get_slice_edits(const tsc_series_result *r, size_t k)
{
    TSC_ASSERT(r && k < r->n);
    return r->edits ? r->edits->slice_edits[k] : 0;
}

size_t tsc_series_result_n_rejected(const tsc_series_result *r)
{
    TSC_ASSERT(r);
    return r->edits ? r->edits->n_rejected : 0;
}

const tsc_rejected_lesion *tsc_series_result_get_rejected(const tsc_series_result *r, size_t i)
{
    TSC_ASSERT(r && r->edits && i < r->edits->n_rejected);
    return &r->edits->rejected[i];
}

int tsc_series_result_lesion3d_is_accepted(const tsc_series_result *r, size_t i)
{
    TSC_ASSERT(r && i < r->n_lesions3d);
    size_t from = r->edits ? r->edits->origin[i] : (size_t)-1;
    return from != (size_t)-1 && r->edits->accepted[from];
}

size_t tsc_series_result_get_lesion3d_origin(const tsc_series_result *r, size_t i)
{
    TSC_ASSERT(r && i < r->n_lesions3d);
    return r->edits ? r->edits->origin[i] : i;
}

/* Appends the 1-based numbers of the slices with `bit` set to `s`. */
static void append_slices(const tsc_series_result *r, unsigned bit, const char *what, char *s,
                          size_t size)
{
    size_t n = 0, len = strlen(s);
    for (size_t k = 0; k < r->n; k++) n += (r->edits->slice_edits[k] & bit) != 0;
    if (!n) return;
    len += (size_t)snprintf(s + len, len < size ? size - len : 0, "; %s on slice%s", what,
                            n > 1 ? "s" : "");
    const char *sep = " ";
    for (size_t k = 0; k < r->n && len < size; k++)
        if (r->edits->slice_edits[k] & bit) {
            len += (size_t)snprintf(s + len, size - len, "%s%zu", sep, k + 1);
            sep = ", ";
        }
}

char *tsc_series_result_describe_edits(const tsc_series_result *r, int with_name, char *buf,
                                       size_t size)
{
    TSC_ASSERT(r && buf && size);
    buf[0] = '\0';
    if (!r->edits) return buf;
    char s[1024];
    const char *who = with_name && r->edits->editor[0] ? r->edits->editor : "the reader";
    size_t nr = r->edits->n_rejected, na = r->edits->n_accepted;
    snprintf(s, sizeof s, "Edited by %s", who);
    size_t len = strlen(s);
    if (na && nr)
        snprintf(s + len, sizeof s - len, ": %zu lesion%s accepted, %zu rejected", na,
                 na > 1 ? "s" : "", nr);
    else if (na || nr)
        snprintf(s + len, sizeof s - len, ": %zu lesion%s %s", na + nr, na + nr > 1 ? "s" : "",
                 na ? "accepted" : "rejected");
    nr += na;
    append_slices(r, TSC_SLICE_PAINTED, "brush", s, sizeof s);
    append_slices(r, TSC_SLICE_ERASED, "eraser", s, sizeof s);
    /* "; brush ..." reads ": brush ..." when it comes first. */
    char *first = strstr(s, "; ");
    if (!nr && first) first[0] = ':';
    len = strlen(s);
    if (len >= size) {
        snprintf(buf, size, "%.*s...", size > 4 ? (int)(size - 4) : 0, s);
    } else {
        memcpy(buf, s, len + 1);
    }
    return buf;
}
