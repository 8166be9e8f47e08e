/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-compare"
#include "compare_window.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare_export.h"
#include "slice_view.h"
#include "tsc_compare.h"
#include "viewer_app.h"
#include "viewer_desktop.h"
#include "viewer_jobs.h"
#include "viewer_pacs.h"

/* Below this width the viewports stack (one above the other). */
#define TSC_COMPARE_SIDE_BY_SIDE_MIN_WIDTH 1000

typedef enum {
    PATIENT_UNKNOWN,   /* the studies are not both open yet */
    PATIENT_SAME,      /* same non-empty PatientID */
    PATIENT_ASKING,    /* different or missing: the confirmation dialog is open */
    PATIENT_CONFIRMED, /* the user confirmed one patient */
    PATIENT_REFUSED    /* the user declined: nothing is shown */
} PatientCheck;

static const char *const patient_check_names[] = {"unknown", "same-id", "asking", "confirmed",
                                                  "refused"};
static const char *const roles[2] = {"Baseline", "Follow-up"};

typedef struct {
    char *path;
    TscViewerStudy *study;
    gboolean have_series, analysing;
    gsize series, slice;
    gsize done, total; /* analysis progress */
    char *error;       /* why this side shows nothing (or no result) */
    GtkLabel *title, *position;
    TscSliceView *view;
    GtkMenuButton *open;
    GtkDropDown *series_drop;
    gboolean filling_drop;
} Side;

struct _TscCompareWindow {
    GtkWindow parent_instance;

    /* template */
    GtkBox *views_box;
    GtkLabel *patient_label, *status_label, *rano_label, *reason_label, *rules_label;
    GtkGrid *table;
    GtkWidget *export_button;
    GtkToggleButton *sync_toggle, *window_toggle, *zoom_toggle;

    Side side[2];
    TscViewerApp *app; /* weak: the application outlives its windows */
    /* Everything below belongs to the pair on screen; `gen` changes with
     * it so that late results of an earlier pair are dropped. */
    guint gen;
    GCancellable *cancellable;
    guint n_opening;
    PatientCheck patient;
    GtkWidget *confirm_dialog;
    gboolean sync_scroll, link_window, link_zoom;
    GBinding *zoom_binding;
    gboolean linking;  /* copying one viewport's window to the other */
    int leader;        /* the viewport scrolled last: the reference */
    gboolean scrolled; /* by the user: the comparison no longer moves the views */
    int method;
    tsc_comparison *cmp;
    char *compare_error;
    /* Exports outlive a change of pair. */
    GCancellable *export_cancellable;
    guint exports_running;
    char *export_folder, *export_message;
};

G_DEFINE_FINAL_TYPE(TscCompareWindow, tsc_compare_window, GTK_TYPE_WINDOW)

enum { PROP_0, PROP_SYNC_SCROLL, PROP_LINK_WINDOW, PROP_LINK_ZOOM, N_PROPS };
static GParamSpec *props[N_PROPS];

/* ---- jobs -------------------------------------------------------------- */

/* A job's view of the window: a weak reference, the pair's generation and
 * which viewport, series and slice it was for. */
typedef struct {
    GWeakRef win;
    guint gen;
    int side;
    gsize series, slice;
} Job;

static Job *job_new(TscCompareWindow *self, int side, gsize series, gsize slice)
{
    Job *j = g_new0(Job, 1);
    g_weak_ref_init(&j->win, self);
    j->gen = self->gen;
    j->side = side;
    j->series = series;
    j->slice = slice;
    return j;
}

static void job_free(Job *j)
{
    g_weak_ref_clear(&j->win);
    g_free(j);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Job, job_free)

/* The window if it still exists and still shows the pair the job was for. */
static TscCompareWindow *job_window(Job *j)
{
    TscCompareWindow *self = g_weak_ref_get(&j->win);
    if (self && self->gen != j->gen) g_clear_object(&self);
    return self;
}

/* ---- study facts ------------------------------------------------------- */

static const tsc_dicom_series_info *side_series(const Side *s)
{
    return tsc_viewer_api()->study_get_series(tsc_viewer_study_get_index(s->study), s->series);
}

static const tsc_dicom_slice_info *side_slice(const Side *s, gsize k)
{
    return tsc_viewer_api()->study_get_slice(tsc_viewer_study_get_index(s->study), s->series, k);
}

static const tsc_dicom_study_info *side_study(const Side *s)
{
    const tsc_dicom_series_info *se = side_series(s);
    return tsc_viewer_api()->study_get_study(tsc_viewer_study_get_index(s->study), se->study);
}

static const tsc_dicom_patient_info *side_patient(const Side *s)
{
    return tsc_viewer_api()->study_get_patient(tsc_viewer_study_get_index(s->study),
                                               side_study(s)->patient);
}

static gboolean deidentify(TscCompareWindow *self)
{
    return self->app && tsc_viewer_prefs_get_deidentify(tsc_viewer_app_get_prefs(self->app));
}

static tsc_model *model(TscCompareWindow *self)
{
    return self->app ? tsc_viewer_app_get_model(self->app) : NULL;
}

static const tsc_model *model_for_method(TscCompareWindow *self)
{
    return self->method == TSC_METHOD_CNN ? model(self) : NULL;
}

/* YYYYMMDD as YYYY-MM-DD; anything else as it is. */
static char *format_date(const char *d)
{
    if (strlen(d) == 8) return g_strdup_printf("%.4s-%.2s-%.2s", d, d + 4, d + 6);
    return g_strdup(*d ? d : "no study date");
}

/* The series result a side shows (complete or not), or NULL. */
static const tsc_series_result *side_result(TscCompareWindow *self, const Side *s)
{
    if (!s->study || !s->have_series) return NULL;
    return tsc_viewer_study_get_series_result(s->study, self->method, s->series);
}

/* The slice normal of a side's series (row x column direction). */
static void series_normal(const Side *s, double n[3])
{
    const double *o = side_series(s)->orientation;
    n[0] = o[1] * o[5] - o[2] * o[4];
    n[1] = o[2] * o[3] - o[0] * o[5];
    n[2] = o[0] * o[4] - o[1] * o[3];
}

/* The slice of `to` nearest, along its own normal, to slice `k` of
 * `from`; *ref gets that slice's position projected on `to`'s normal.
 * Without geometry in either: the same fraction of the stack, and FALSE. */
static gboolean nearest_slice(const Side *from, gsize k, const Side *to, gsize *out, double *ref)
{
    const tsc_dicom_slice_info *a = side_slice(from, k);
    gsize n = side_series(to)->n_slices;
    double nrm[3];
    series_normal(to, nrm);
    gboolean geometry = a->has_geometry && side_slice(to, 0)->has_geometry &&
                        fabs(nrm[0]) + fabs(nrm[1]) + fabs(nrm[2]) > 0.5;
    if (!geometry) {
        gsize nf = side_series(from)->n_slices;
        *out = nf > 1 ? (gsize)lround((double)k * (double)(n - 1) / (double)(nf - 1)) : 0;
        *ref = NAN;
        return FALSE;
    }
    *ref = a->position[0] * nrm[0] + a->position[1] * nrm[1] + a->position[2] * nrm[2];
    double best = INFINITY;
    for (gsize i = 0; i < n; i++) {
        const tsc_dicom_slice_info *b = side_slice(to, i);
        double d = fabs(b->location - *ref);
        if (b->has_geometry && d < best) best = d, *out = i;
    }
    return isfinite(best);
}

/* ---- what is on screen ------------------------------------------------- */

static gboolean pair_shown(TscCompareWindow *self);

static void refresh_side_labels(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    if (!s->study || !s->have_series) {
        g_autofree char *t = g_strdup_printf(
            "%s: %s", roles[i],
            s->path ? (s->error ? "not shown" : "opening\xe2\x80\xa6") : "no study");
        gtk_label_set_text(s->title, t);
        gtk_label_set_text(s->position, s->error ? s->error : "");
        tsc_slice_view_set_corner_text(s->view, NULL, NULL, NULL);
        return;
    }
    g_autofree char *date = format_date(side_study(s)->date);
    /* The patient's name is shown in the window (never in its title or
     * logs) so that the reader sees whose images these are; hidden when
     * de-identifying. */
    g_autofree char *name = g_strdelimit(g_strdup(side_patient(s)->name), "^", ' ');
    g_autofree char *who = deidentify(self) ? g_strdup("patient hidden")
                           : *name          ? g_strdup(name)
                                            : g_strdup("no patient name");
    g_autofree char *title = g_strdup_printf("%s \xc2\xb7 %s \xc2\xb7 %s", roles[i], date, who);
    gtk_label_set_text(s->title, title);
    if (!pair_shown(self)) {
        gtk_label_set_text(s->position, self->patient == PATIENT_REFUSED
                                            ? "Not shown: not confirmed as one patient."
                                            : "Not shown until the patient is confirmed.");
        tsc_slice_view_set_corner_text(s->view, NULL, NULL, NULL);
        return;
    }

    gsize n = side_series(s)->n_slices;
    const tsc_dicom_slice_info *si = side_slice(s, s->slice);
    g_autofree char *where =
        si->has_geometry ? g_strdup_printf("%.1f mm", si->location) : g_strdup("no position");
    g_autofree char *ref_line = NULL;
    int other = !i;
    Side *o = &self->side[other];
    if (self->sync_scroll && self->leader == other && o->study && o->have_series) {
        gsize k;
        double ref;
        if (nearest_slice(o, o->slice, s, &k, &ref))
            ref_line = g_strdup_printf("ref %.1f mm (%s, \xce\x94 %.1f mm)", ref, roles[other],
                                       si->location - ref);
        else
            ref_line = g_strdup_printf("ref: %s slice %zu (no position: by index)", roles[other],
                                       o->slice + 1);
    }
    g_autofree char *pos = g_strdup_printf(
        "Slice %zu of %zu \xc2\xb7 %s%s%s%s", s->slice + 1, n, where, ref_line ? " \xc2\xb7 " : "",
        ref_line ? ref_line : (self->sync_scroll && self->leader == i ? " \xc2\xb7 reference" : ""),
        s->error ? " \xc2\xb7 " : "");
    if (s->error) {
        g_autofree char *p = g_strconcat(pos, s->error, NULL);
        gtk_label_set_text(s->position, p);
    } else {
        gtk_label_set_text(s->position, pos);
    }
    g_autofree char *tl = g_strdup_printf("%s\n%s", roles[i], date);
    g_autofree char *tr = g_strdup_printf("%zu/%zu\n%s", s->slice + 1, n, where);
    tsc_slice_view_set_corner_text(s->view, tl, tr, ref_line);
}

/* The overlay of the slice on screen, from the side's series analysis. */
static void refresh_overlay(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    TscViewerImage *im = tsc_slice_view_get_image(s->view);
    const tsc_result *r = NULL;
    if (im && s->study && im->series == s->series && im->slice == s->slice)
        r = tsc_viewer_study_get_result(s->study, self->method, s->series, s->slice);
    tsc_slice_view_set_result(s->view, model_for_method(self), r);
    const char *status = NULL;
    if (s->analysing) status = "Analysing\xe2\x80\xa6";
    tsc_slice_view_set_status(s->view, status);
}

static void on_decoded(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(Job) j = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(TscViewerImage) im =
        tsc_viewer_study_decode_finish(TSC_VIEWER_STUDY(source), res, &error);
    g_autoptr(TscCompareWindow) self = job_window(j);
    if (!self) return;
    Side *s = &self->side[j->side];
    if (!s->have_series || s->series != j->series || s->slice != j->slice) return;
    if (im) {
        tsc_slice_view_set_image(s->view, im);
        refresh_overlay(self, j->side);
    } else if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        tsc_slice_view_set_image(s->view, NULL);
        tsc_slice_view_set_status(s->view, error->message);
    } else if (!g_cancellable_is_cancelled(self->cancellable)) {
        /* Dropped as "scrolled past" but we are back on it: ask again. */
        tsc_compare_window_goto_slice(self, j->side, (gssize)s->slice);
    }
}

/* Shows slice s->slice of side i: from the cache, else decoded in the
 * background (the view keeps the previous slice until then). */
static void show_slice(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    tsc_viewer_study_set_focus(s->study, s->series, s->slice);
    g_autoptr(TscViewerImage) im = tsc_viewer_study_lookup_image(s->study, s->series, s->slice);
    if (im) {
        tsc_slice_view_set_image(s->view, im);
        refresh_overlay(self, i);
    } else {
        tsc_viewer_study_decode_async(s->study, s->series, s->slice, self->cancellable, on_decoded,
                                      job_new(self, i, s->series, s->slice));
    }
    refresh_side_labels(self, i);
}

static gboolean pair_shown(TscCompareWindow *self)
{
    /* Never two patients silently: a pair without a shared PatientID is
     * shown only once the user confirmed it. */
    return (self->patient == PATIENT_SAME || self->patient == PATIENT_CONFIRMED) &&
           self->side[0].have_series && self->side[1].have_series;
}

void tsc_compare_window_goto_slice(TscCompareWindow *self, int i, gssize slice)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    g_return_if_fail(i == 0 || i == 1);
    if (!pair_shown(self)) return;
    Side *s = &self->side[i];
    s->slice = (gsize)CLAMP(slice, 0, (gssize)side_series(s)->n_slices - 1);
    self->leader = i;
    if (self->sync_scroll) {
        Side *o = &self->side[!i];
        double ref;
        nearest_slice(s, s->slice, o, &o->slice, &ref);
        show_slice(self, !i);
    }
    show_slice(self, i);
}

static void on_step(TscSliceView *view, int delta, gpointer data)
{
    TscCompareWindow *self = data;
    int i = view == self->side[1].view;
    self->scrolled = TRUE;
    gint64 k = (gint64)self->side[i].slice + delta;
    tsc_compare_window_goto_slice(self, i, (gssize)MAX(k, 0));
}

static void on_window_changed(TscSliceView *view, gpointer data)
{
    TscCompareWindow *self = data;
    if (!self->link_window || self->linking) return;
    int i = view == self->side[1].view;
    double c, w;
    tsc_slice_view_get_window(view, &c, &w);
    self->linking = TRUE;
    tsc_slice_view_set_window(self->side[!i].view, c, w);
    self->linking = FALSE;
}

/* ---- the change table --------------------------------------------------- */

static void cell_text(char *out, size_t n, double v, const char *fmt)
{
    if (isfinite(v)) g_snprintf(out, n, fmt, v);
    else g_snprintf(out, n, "\xe2\x80\x93");
}

static void table_row(GtkGrid *g, int row, const char *const cols[11], gboolean bold)
{
    for (int c = 0; c < 11; c++) {
        GtkWidget *l = gtk_label_new(NULL);
        if (bold) {
            g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", cols[c]);
            gtk_label_set_markup(GTK_LABEL(l), m);
        } else {
            gtk_label_set_text(GTK_LABEL(l), cols[c]);
        }
        gtk_label_set_xalign(GTK_LABEL(l), c < 2 ? 0 : 1);
        gtk_widget_add_css_class(l, "numeric");
        gtk_grid_attach(g, l, c, row, 1, 1);
    }
}

static void clear_table(TscCompareWindow *self)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->table))))
        gtk_grid_remove(self->table, child);
}

static void fill_table(TscCompareWindow *self)
{
    clear_table(self);
    gtk_label_set_text(self->rano_label, "");
    gtk_label_set_text(self->reason_label, "");
    gtk_label_set_text(self->rules_label, "");
    if (!self->cmp) return;
    static const char *const head[11] = {"Lesion",
                                         "Change",
                                         "Baseline mL",
                                         "Follow-up mL",
                                         "\xce\x94 mL",
                                         "Volume %",
                                         "Baseline mm\xc2\xb2",
                                         "Follow-up mm\xc2\xb2",
                                         "\xce\x94 mm\xc2\xb2",
                                         "Product %",
                                         "RANO target"};
    table_row(self->table, 0, head, TRUE);
    char b[11][48];
    const char *col[11];
    for (int c = 0; c < 11; c++) col[c] = b[c];
    size_t n = tsc_comparison_n_rows(self->cmp);
    for (size_t i = 0; i < n; i++) {
        const tsc_compare_row *r = tsc_comparison_get_row(self->cmp, i);
        gboolean hb = r->baseline != (size_t)-1, hf = r->followup != (size_t)-1;
        /* Lesion numbers as in each series' lesions_3d: baseline/follow-up. */
        if (hb && hf) g_snprintf(b[0], sizeof b[0], "%zu/%zu", r->baseline + 1, r->followup + 1);
        else if (hb) g_snprintf(b[0], sizeof b[0], "%zu/\xe2\x80\x93", r->baseline + 1);
        else g_snprintf(b[0], sizeof b[0], "\xe2\x80\x93/%zu", r->followup + 1);
        g_snprintf(b[1], sizeof b[1], "%s", tsc_lesion_change_to_string(r->change));
        cell_text(b[2], sizeof b[2], hb ? r->baseline_volume_ml : NAN, "%.2f");
        cell_text(b[3], sizeof b[3], hf ? r->followup_volume_ml : NAN, "%.2f");
        cell_text(b[4], sizeof b[4], r->volume_change_ml, "%+.2f");
        cell_text(b[5], sizeof b[5], r->volume_change_percent, "%+.1f %%");
        cell_text(b[6], sizeof b[6], hb ? r->baseline_product_mm2 : NAN, "%.0f");
        cell_text(b[7], sizeof b[7], hf ? r->followup_product_mm2 : NAN, "%.0f");
        cell_text(b[8], sizeof b[8], r->product_change_mm2, "%+.0f");
        cell_text(b[9], sizeof b[9], r->product_change_percent, "%+.1f %%");
        g_snprintf(b[10], sizeof b[10], "%s", r->target ? "target" : "");
        table_row(self->table, (int)i + 1, col, FALSE);
    }
    const tsc_compare_totals *t = tsc_comparison_get_totals(self->cmp);
    g_snprintf(b[0], sizeof b[0], "Total");
    g_snprintf(b[1], sizeof b[1], "%zu matched, %zu new, %zu gone", t->n_matched, t->n_new,
               t->n_gone);
    cell_text(b[2], sizeof b[2], t->baseline_volume_ml, "%.2f");
    cell_text(b[3], sizeof b[3], t->followup_volume_ml, "%.2f");
    cell_text(b[4], sizeof b[4], t->volume_change_ml, "%+.2f");
    cell_text(b[5], sizeof b[5], t->volume_change_percent, "%+.1f %%");
    cell_text(b[6], sizeof b[6], t->baseline_spd_mm2, "%.0f");
    cell_text(b[7], sizeof b[7], t->followup_spd_mm2, "%.0f");
    cell_text(b[8], sizeof b[8], t->spd_change_mm2, "%+.0f");
    cell_text(b[9], sizeof b[9], t->spd_change_percent, "%+.1f %%");
    g_snprintf(b[10], sizeof b[10], "%zu target%s", t->n_targets, t->n_targets == 1 ? "" : "s");
    table_row(self->table, (int)n + 1, col, TRUE);

    const tsc_rano_suggestion *rs = tsc_comparison_get_rano(self->cmp);
    g_autofree char *rano =
        g_strdup_printf("RANO %s (%s) \xe2\x80\x94 %s", tsc_rano_category_to_string(rs->category),
                        tsc_rano_category_name(rs->category), TSC_RANO_SUGGESTION_LABEL);
    gtk_label_set_text(self->rano_label, rano);
    gtk_label_set_text(self->reason_label, rs->reason);
    g_autofree char *rules = g_strdup_printf(
        "Volumes: every lesion. Products: longest axial diameter \xc3\x97 its perpendicular; the "
        "total is the sum of products of the target lesions. Lesions are matched by position in "
        "patient coordinates, without registration.\n%s.\nDecision support only \xe2\x80\x94 not "
        "for diagnostic use.",
        TSC_RANO_RULES);
    gtk_label_set_text(self->rules_label, rules);
}

/* ---- status ------------------------------------------------------------ */

static void refresh_status(TscCompareWindow *self)
{
    g_autoptr(GString) s = g_string_new(NULL);
    if (!self->side[0].path && !self->side[1].path)
        g_string_append(s, "Choose the baseline and the follow-up study of one patient "
                           "(Open Baseline, Open Follow-up).");
    else if (self->n_opening) g_string_append(s, "Opening the studies\xe2\x80\xa6");
    else if (self->patient == PATIENT_ASKING)
        g_string_append(s, "Not compared yet: the two studies do not share a PatientID. "
                           "Confirm that they are of one patient to compare them.");
    else if (self->patient == PATIENT_REFUSED)
        g_string_append(s, "Not compared: you did not confirm that the two studies are of one "
                           "patient. Open studies of one patient.");
    for (int i = 0; i < 2; i++) {
        Side *d = &self->side[i];
        if (d->analysing)
            g_string_append_printf(s, "%sAnalysing the %s: %zu of %zu slices\xe2\x80\xa6",
                                   s->len ? " " : "", i ? "follow-up" : "baseline", d->done,
                                   d->total);
        else if (d->error)
            g_string_append_printf(s, "%s%s: %s", s->len ? " " : "", roles[i], d->error);
    }
    if (pair_shown(self) && !self->side[0].analysing && !self->side[1].analysing &&
        self->method == TSC_METHOD_CNN && !model(self) && self->app &&
        tsc_viewer_app_get_model_loading(self->app))
        g_string_append(s, "Waiting for the model to load\xe2\x80\xa6");
    if (self->compare_error)
        g_string_append_printf(s, "%sNot compared: %s", s->len ? " " : "", self->compare_error);
    if (self->export_message)
        g_string_append_printf(s, "%s%s", s->len ? "\n" : "", self->export_message);
    gtk_label_set_text(self->status_label, s->str);

    const char *for_who = NULL;
    switch (self->patient) {
    case PATIENT_SAME: for_who = "Same PatientID in both studies."; break;
    case PATIENT_CONFIRMED:
        for_who = "The PatientIDs differ or are missing: compared as one patient on your "
                  "confirmation.";
        break;
    default: for_who = ""; break;
    }
    gtk_label_set_text(self->patient_label, for_who);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "compare.export", self->cmp != NULL);
}

/* ---- comparison ---------------------------------------------------------- */

/* The 3D lesions of a series result as tsc_compare takes them (borrowed). */
static const tsc_lesion3d_info **lesions_of(const tsc_series_result *sr, size_t *n)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    *n = api->series_result_n_lesions3d(sr);
    const tsc_lesion3d_info **l = g_new0(const tsc_lesion3d_info *, *n + 1);
    for (size_t i = 0; i < *n; i++) l[i] = api->series_result_get_lesion3d(sr, i);
    return l;
}

/* Until the user scrolls, the baseline leads on the key slice of its
 * largest matched lesion (the one the report shows), so that both
 * viewports open on the lesion being followed. */
static void goto_key_slice(TscCompareWindow *self, const tsc_series_result *baseline)
{
    double best = -1;
    size_t key = (size_t)-1;
    /* A matched lesion first; else any of the baseline's. */
    for (int pass = 0; pass < 2 && key == (size_t)-1; pass++)
        for (size_t i = 0; i < tsc_comparison_n_rows(self->cmp); i++) {
            const tsc_compare_row *r = tsc_comparison_get_row(self->cmp, i);
            if (r->baseline == (size_t)-1 || r->baseline_product_mm2 <= best) continue;
            if (pass == 0 && r->change != TSC_LESION_MATCHED) continue;
            best = r->baseline_product_mm2;
            key = tsc_viewer_api()->series_result_get_lesion3d(baseline, r->baseline)->key_slice;
        }
    if (key != (size_t)-1) tsc_compare_window_goto_slice(self, 0, (gssize)key);
}

static void maybe_compare(TscCompareWindow *self)
{
    g_clear_pointer(&self->cmp, tsc_comparison_free);
    g_clear_pointer(&self->compare_error, g_free);
    const tsc_series_result *a = side_result(self, &self->side[0]);
    const tsc_series_result *b = side_result(self, &self->side[1]);
    if (pair_shown(self) && a && b && !self->side[0].error && !self->side[1].error) {
        size_t na, nb;
        g_autofree const tsc_lesion3d_info **la = lesions_of(a, &na);
        g_autofree const tsc_lesion3d_info **lb = lesions_of(b, &nb);
        tsc_compare_params p = tsc_compare_default_params();
        tsc_error err = {0};
        if (tsc_compare_lesions(la, na, lb, nb, &p, &self->cmp, &err) != TSC_OK)
            self->compare_error = g_strdup(err.message);
        else
            g_info("compared: %zu rows, RANO %s", tsc_comparison_n_rows(self->cmp),
                   tsc_rano_category_to_string(tsc_comparison_get_rano(self->cmp)->category));
        if (self->cmp && !self->scrolled) goto_key_slice(self, a);
    }
    fill_table(self);
    refresh_status(self);
}

static void on_progress(GObject *target, gsize done, gsize total, gpointer data)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(target);
    int i = GPOINTER_TO_INT(data) & 1;
    if ((guint)GPOINTER_TO_INT(data) >> 1 != (self->gen & 0xffff)) return;
    self->side[i].done = done;
    self->side[i].total = total;
    refresh_status(self);
}

static void on_analysed(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(Job) j = data;
    g_autoptr(GError) error = NULL;
    gboolean cancelled = FALSE;
    tsc_series_result *r = tsc_viewer_analyze_series_finish(res, &cancelled, &error);
    g_autoptr(TscCompareWindow) self = job_window(j);
    const tsc_plugin_api *api = tsc_viewer_api();
    if (!self || self->side[j->side].series != j->series) {
        if (r) api->series_result_free(r);
        return;
    }
    Side *s = &self->side[j->side];
    s->analysing = FALSE;
    g_clear_pointer(&s->error, g_free);
    if (!r) {
        s->error = g_strdup_printf("the series could not be analysed: %s", error->message);
    } else if (cancelled) {
        s->error = g_strdup("the analysis was cancelled; nothing compared");
        api->series_result_free(r);
    } else {
        if (api->series_result_get_verdict(r) == TSC_VERDICT_NOT_ANALYSED) {
            tsc_description d;
            tsc_viewer_describe_series(model_for_method(self), r, &d);
            s->error = g_strdup_printf("not analysed: %s", d.reason);
        }
        /* The view lends the result it draws: let go before it is replaced. */
        tsc_slice_view_set_result(s->view, NULL, NULL);
        tsc_viewer_study_take_series_result(s->study, self->method, s->series, r);
    }
    refresh_overlay(self, j->side);
    refresh_side_labels(self, j->side);
    maybe_compare(self);
}

static void analyse(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    if (!pair_shown(self) || s->analysing || side_result(self, s)) return;
    tsc_model *m = model(self);
    if (self->method == TSC_METHOD_CNN && !m) {
        g_clear_pointer(&s->error, g_free);
        const GError *e = self->app ? tsc_viewer_app_get_model_error(self->app) : NULL;
        /* Still loading: tsc_compare_window_model_changed starts it. */
        if (e)
            s->error = g_strdup_printf("not analysed: the model is not available (%s). Choose the "
                                       "Threshold method in the main window to compare without it.",
                                       e->message);
        refresh_status(self);
        return;
    }
    TscViewerPrefs *prefs = tsc_viewer_app_get_prefs(self->app);
    s->analysing = TRUE;
    s->done = 0;
    s->total = side_series(s)->n_slices;
    gpointer tag = GINT_TO_POINTER((int)((self->gen & 0xffff) << 1 | (guint)i));
    tsc_viewer_analyze_series_async(s->study, m, self->method, s->series,
                                    tsc_viewer_prefs_get_threads(prefs),
                                    tsc_viewer_prefs_get_force_scope(prefs),
                                    tsc_viewer_progress_new(G_OBJECT(self), on_progress, tag),
                                    self->cancellable, on_analysed, job_new(self, i, s->series, 0));
    refresh_overlay(self, i);
}

void tsc_compare_window_model_changed(TscCompareWindow *self)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    for (int i = 0; i < 2; i++) analyse(self, i);
    refresh_status(self);
}

/* ---- series and patient ------------------------------------------------- */

static void use_series(TscCompareWindow *self, int i, gsize series)
{
    Side *s = &self->side[i];
    s->series = series;
    s->have_series = TRUE;
    g_clear_pointer(&s->error, g_free);
    const tsc_dicom_series_info *si = side_series(s);
    tsc_slice_view_set_result(s->view, NULL, NULL);
    tsc_slice_view_set_image(s->view, NULL);
    tsc_slice_view_set_series(s->view, si->modality, si->orientation);
    s->slice = si->n_slices / 2;
    s->filling_drop = TRUE;
    gtk_drop_down_set_selected(s->series_drop, (guint)series);
    s->filling_drop = FALSE;
}

/* Both shown: the baseline's middle slice leads, both are analysed. */
static void start(TscCompareWindow *self)
{
    for (int i = 0; i < 2; i++)
        gtk_widget_set_sensitive(GTK_WIDGET(self->side[i].series_drop), TRUE);
    tsc_compare_window_goto_slice(self, 0, (gssize)self->side[0].slice);
    for (int i = 0; i < 2; i++) analyse(self, i);
    maybe_compare(self);
}

static void on_series_selected(GtkDropDown *drop, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    TscCompareWindow *self = data;
    int i = drop == self->side[1].series_drop;
    Side *s = &self->side[i];
    guint k = gtk_drop_down_get_selected(drop);
    if (s->filling_drop || !s->study || k == GTK_INVALID_LIST_POSITION || k == s->series) return;
    use_series(self, i, k);
    if (!pair_shown(self)) return;
    tsc_compare_window_goto_slice(self, i, (gssize)s->slice);
    analyse(self, i);
    maybe_compare(self);
}

static void on_confirm_response(GtkDialog *dialog, int response, gpointer data)
{
    (void)dialog;
    tsc_compare_window_confirm_patient(data, response == GTK_RESPONSE_ACCEPT);
}

/* Who a side is, for the confirmation dialog: the reader must see it to
 * decide, unless identifiers are hidden. */
static char *describe_patient(TscCompareWindow *self, int i)
{
    const tsc_dicom_patient_info *p = side_patient(&self->side[i]);
    g_autofree char *date = format_date(side_study(&self->side[i])->date);
    if (deidentify(self))
        return g_strdup_printf("%s: study of %s, %s", roles[i], date,
                               *p->id ? "a PatientID (hidden: de-identify is on)" : "no PatientID");
    g_autofree char *name = g_strdelimit(g_strdup(p->name), "^", ' ');
    return g_strdup_printf("%s: %s, PatientID %s, study of %s", roles[i], *name ? name : "no name",
                           *p->id ? p->id : "missing", date);
}

static void ask_patient(TscCompareWindow *self)
{
    self->patient = PATIENT_ASKING;
    g_autofree char *a = describe_patient(self, 0), *b = describe_patient(self, 1);
    GtkWidget *d = gtk_message_dialog_new(
        GTK_WINDOW(self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_WARNING,
        GTK_BUTTONS_NONE, "Are these studies of one patient?");
    gtk_message_dialog_format_secondary_text(
        GTK_MESSAGE_DIALOG(d),
        "The baseline and the follow-up do not share a PatientID.\n\n%s\n%s\n\nCompare them only "
        "if you are sure that both are of the same patient.",
        a, b);
    gtk_dialog_add_buttons(GTK_DIALOG(d), "_Cancel", GTK_RESPONSE_CANCEL, "Compare as _One Patient",
                           GTK_RESPONSE_ACCEPT, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(d), GTK_RESPONSE_CANCEL);
    g_signal_connect_object(d, "response", G_CALLBACK(on_confirm_response), self, 0);
    self->confirm_dialog = d;
    g_object_add_weak_pointer(G_OBJECT(d), (gpointer *)&self->confirm_dialog);
    gtk_window_present(GTK_WINDOW(d));
}

void tsc_compare_window_confirm_patient(TscCompareWindow *self, gboolean same_patient)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    if (self->confirm_dialog) gtk_window_destroy(GTK_WINDOW(self->confirm_dialog));
    if (self->patient != PATIENT_ASKING) return;
    self->patient = same_patient ? PATIENT_CONFIRMED : PATIENT_REFUSED;
    g_info("patient check: %s", patient_check_names[self->patient]);
    if (same_patient) start(self);
    for (int i = 0; i < 2; i++) refresh_side_labels(self, i);
    refresh_status(self);
}

/* The series of side i to compare: the other side's description when it
 * has one of that name, else the first. */
static gsize default_series(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i], *o = &self->side[!i];
    gsize n = tsc_viewer_study_n_series(s->study);
    if (i == 1 && o->study && o->have_series) {
        const char *want = side_series(o)->description;
        for (gsize k = 0; k < n; k++)
            if (*want && !g_strcmp0(tsc_viewer_api()
                                        ->study_get_series(tsc_viewer_study_get_index(s->study), k)
                                        ->description,
                                    want))
                return k;
    }
    return 0;
}

static void fill_series_drop(Side *s)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    g_autoptr(GtkStringList) list = gtk_string_list_new(NULL);
    for (gsize k = 0; k < tsc_viewer_study_n_series(s->study); k++) {
        const tsc_dicom_series_info *si =
            api->study_get_series(tsc_viewer_study_get_index(s->study), k);
        g_autofree char *t =
            g_strdup_printf("%zu: %s (%zu slices)", k + 1,
                            *si->description ? si->description : "Series", si->n_slices);
        gtk_string_list_append(list, t);
    }
    s->filling_drop = TRUE;
    gtk_drop_down_set_model(s->series_drop, G_LIST_MODEL(list));
    s->filling_drop = FALSE;
}

static void both_open(TscCompareWindow *self)
{
    for (int i = 0; i < 2; i++)
        if (!self->side[i].study || self->side[i].error) return;
    for (int i = 0; i < 2; i++) {
        fill_series_drop(&self->side[i]);
        use_series(self, i, default_series(self, i));
    }
    const char *id0 = side_patient(&self->side[0])->id, *id1 = side_patient(&self->side[1])->id;
    if (*id0 && !g_strcmp0(id0, id1)) {
        self->patient = PATIENT_SAME;
        start(self);
    } else {
        /* Never two patients silently: nothing is shown until confirmed. */
        ask_patient(self);
    }
}

static void on_opened(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(Job) j = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(TscViewerStudy) study = tsc_viewer_study_open_finish(res, &error);
    g_autoptr(TscCompareWindow) self = job_window(j);
    if (!self) return;
    Side *s = &self->side[j->side];
    self->n_opening--;
    if (!study) {
        s->error = g_strdup_printf("%s could not be opened: %s", s->path, error->message);
    } else if (tsc_viewer_study_get_open_error(study)) {
        s->error =
            g_strdup_printf("%s: %s", s->path, tsc_viewer_study_get_open_error(study)->message);
    } else {
        s->study = g_object_ref(study);
        if (self->app) tsc_viewer_app_add_recent(self->app, s->path);
    }
    if (!self->n_opening) both_open(self);
    for (int i = 0; i < 2; i++) refresh_side_labels(self, i);
    refresh_status(self);
}

/* ---- opening ------------------------------------------------------------ */

static void clear_side(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    tsc_slice_view_set_result(s->view, NULL, NULL);
    tsc_slice_view_set_image(s->view, NULL);
    tsc_slice_view_set_status(s->view, NULL);
    g_clear_object(&s->study);
    g_clear_pointer(&s->error, g_free);
    s->have_series = s->analysing = FALSE;
    s->filling_drop = TRUE;
    gtk_drop_down_set_model(s->series_drop, NULL);
    s->filling_drop = FALSE;
    gtk_widget_set_sensitive(GTK_WIDGET(s->series_drop), FALSE);
}

void tsc_compare_window_open(TscCompareWindow *self, const char *baseline, const char *followup)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    g_return_if_fail(baseline && followup);
    /* Nothing of the earlier pair stays: its jobs are cancelled and their
     * late results dropped (gen). */
    self->gen++;
    tsc_viewer_cancel_clear(&self->cancellable);
    self->cancellable = g_cancellable_new();
    if (self->confirm_dialog) gtk_window_destroy(GTK_WINDOW(self->confirm_dialog));
    g_clear_pointer(&self->cmp, tsc_comparison_free);
    g_clear_pointer(&self->compare_error, g_free);
    self->patient = PATIENT_UNKNOWN;
    self->leader = 0;
    self->scrolled = FALSE;
    self->method = self->app ? tsc_viewer_prefs_get_method(tsc_viewer_app_get_prefs(self->app))
                             : TSC_METHOD_CNN;
    const char *paths[2] = {baseline, followup};
    for (int i = 0; i < 2; i++) {
        clear_side(self, i);
        g_free(self->side[i].path);
        self->side[i].path = g_strdup(paths[i]);
    }
    fill_table(self);
    g_info("comparing two studies");
    for (int i = 0; i < 2; i++) {
        const char *p[] = {self->side[i].path, NULL};
        self->n_opening++;
        tsc_viewer_study_open_async(p, NULL, self->cancellable, on_opened, job_new(self, i, 0, 0));
        refresh_side_labels(self, i);
    }
    refresh_status(self);
}

/* One side chosen from a folder or the recent list: the pair is reopened
 * once both are known. */
static void open_side(TscCompareWindow *self, int i, const char *path)
{
    g_free(self->side[i].path);
    self->side[i].path = g_strdup(path);
    const char *other = self->side[!i].path;
    if (!other) {
        refresh_side_labels(self, i);
        g_autofree char *t = g_strdup_printf("%s: %s \xe2\x80\x94 now choose the %s.", roles[i],
                                             path, i ? "baseline" : "follow-up");
        gtk_label_set_text(self->status_label, t);
        return;
    }
    g_autofree char *keep = g_strdup(other);
    if (i == 0) tsc_compare_window_open(self, path, keep);
    else tsc_compare_window_open(self, keep, path);
}

/* ---- export ------------------------------------------------------------- */

static void on_exported(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(GError) error = NULL;
    g_autofree char *folder = NULL;
    g_autofree char *summary = tsc_compare_export_finish(res, &folder, &error);
    g_autoptr(TscCompareWindow) self = tsc_viewer_weak_end(data);
    if (!self) return;
    self->exports_running--;
    g_free(self->export_message);
    g_free(self->export_folder);
    self->export_folder = g_steal_pointer(&folder);
    if (summary)
        self->export_message =
            g_strdup_printf("Comparison exported to %s: %s", self->export_folder, summary);
    else
        self->export_message =
            g_strdup_printf("The comparison was not exported: %s", error->message);
    refresh_status(self);
}

void tsc_compare_window_export(TscCompareWindow *self, const char *folder)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    g_clear_pointer(&self->export_message, g_free);
    if (!self->cmp) {
        self->export_message = g_strdup("Nothing to export yet: the comparison is not complete.");
        refresh_status(self);
        return;
    }
    TscViewerPrefs *prefs = tsc_viewer_app_get_prefs(self->app);
    g_autofree char *dir =
        folder && *folder ? g_strdup(folder) : tsc_viewer_prefs_dup_export_folder(prefs);
    TscCompareExportSpec spec = {.folder = dir, .deidentify = deidentify(self)};
    for (int i = 0; i < 2; i++) {
        Side *s = &self->side[i];
        spec.study[i] = s->study;
        spec.series[i] = s->series;
        spec.result[i] = tsc_viewer_study_ref_series_result(s->study, self->method, s->series);
    }
    g_autoptr(GError) error = NULL;
    self->exports_running++;
    tsc_compare_export_async(&spec, model_for_method(self), self->export_cancellable, on_exported,
                             tsc_viewer_weak_new(self));
    for (int i = 0; i < 2; i++) tsc_viewer_series_ref_release(spec.result[i]);
    self->export_message = g_strdup("Exporting the comparison\xe2\x80\xa6");
    refresh_status(self);
}

/* ---- actions ------------------------------------------------------------ */

static int side_of(const char *role)
{
    return g_ascii_strncasecmp(role, "f", 1) == 0 ? 1 : 0;
}

static void act_open(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    const char *a, *b;
    g_variant_get(p, "(&s&s)", &a, &b);
    tsc_compare_window_open(TSC_COMPARE_WINDOW(w), a, b);
}

static void act_open_side(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    const char *role, *path;
    g_variant_get(p, "(&s&s)", &role, &path);
    open_side(TSC_COMPARE_WINDOW(w), side_of(role), path);
}

typedef struct {
    GWeakRef win;
    int side;
} ChooserData;

static void on_chooser_response(GtkNativeDialog *dialog, int response, gpointer data)
{
    ChooserData *cd = data;
    g_autofree char *path = tsc_viewer_chooser_dup_path(dialog, response);
    g_autoptr(TscCompareWindow) self = g_weak_ref_get(&cd->win);
    if (self && path) open_side(self, cd->side, path);
    g_weak_ref_clear(&cd->win);
    g_free(cd);
    g_object_unref(dialog);
}

static void act_choose(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    int i = side_of(g_variant_get_string(p, NULL));
    g_autofree char *title = g_strdup_printf("Open the %s Study", i ? "Follow-up" : "Baseline");
    GtkFileChooserNative *d = gtk_file_chooser_native_new(
        title, GTK_WINDOW(w), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "_Open", "_Cancel");
    ChooserData *cd = g_new0(ChooserData, 1);
    g_weak_ref_init(&cd->win, w);
    cd->side = i;
    g_signal_connect(d, "response", G_CALLBACK(on_chooser_response), cd);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

static void act_confirm(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    tsc_compare_window_confirm_patient(TSC_COMPARE_WINDOW(w), g_variant_get_boolean(p));
}

static void act_goto(GtkWidget *w, const char *name, GVariant *p)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(w);
    const char *role;
    int k;
    g_variant_get(p, "(&si)", &role, &k);
    int i = side_of(role);
    self->scrolled = TRUE;
    if (g_str_equal(name, "compare.step")) k += (int)self->side[i].slice;
    tsc_compare_window_goto_slice(self, i, MAX(k, 0));
}

static void act_series(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    TscCompareWindow *self = TSC_COMPARE_WINDOW(w);
    const char *role;
    int k;
    g_variant_get(p, "(&si)", &role, &k);
    Side *s = &self->side[side_of(role)];
    if (s->study && k >= 0 && (gsize)k < tsc_viewer_study_n_series(s->study))
        gtk_drop_down_set_selected(s->series_drop, (guint)k);
}

/* A viewport's window (centre, width), as a right-drag sets it. */
static void act_window(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    const char *role;
    double c, width;
    g_variant_get(p, "(&sdd)", &role, &c, &width);
    tsc_slice_view_set_window(TSC_COMPARE_WINDOW(w)->side[side_of(role)].view, c, width);
}

/* A viewport's zoom by a factor, as Ctrl+wheel or the zoom keys. */
static void act_zoom(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    const char *role;
    double factor;
    g_variant_get(p, "(&sd)", &role, &factor);
    gtk_widget_activate_action(GTK_WIDGET(TSC_COMPARE_WINDOW(w)->side[side_of(role)].view),
                               "view.zoom", "d", factor);
}

static void act_export(GtkWidget *w, const char *name, GVariant *p)
{
    (void)name;
    tsc_compare_window_export(TSC_COMPARE_WINDOW(w), g_variant_get_string(p, NULL));
}

/* The "Open …" menus: a folder, or a recent study. */
static void fill_open_menus(TscCompareWindow *self)
{
    g_auto(GStrv) recent = self->app
                               ? tsc_viewer_prefs_dup_recent(tsc_viewer_app_get_prefs(self->app))
                               : g_new0(char *, 1);
    for (int i = 0; i < 2; i++) {
        g_autoptr(GMenu) menu = g_menu_new();
        g_autoptr(GMenuItem) folder = g_menu_item_new("Folder\xe2\x80\xa6", NULL);
        g_menu_item_set_action_and_target_value(folder, "compare.choose",
                                                g_variant_new_string(i ? "follow-up" : "baseline"));
        g_menu_append_item(menu, folder);
        g_autoptr(GMenu) section = g_menu_new();
        for (char **p = recent; *p; p++) {
            g_autofree char *base = g_path_get_basename(*p);
            g_auto(GStrv) parts = g_strsplit(base, "_", -1);
            g_autofree char *label = g_strjoinv("__", parts); /* no mnemonic */
            g_autoptr(GMenuItem) item = g_menu_item_new(label, NULL);
            g_menu_item_set_action_and_target_value(
                item, "compare.open-side", g_variant_new("(ss)", i ? "follow-up" : "baseline", *p));
            g_menu_append_item(section, item);
        }
        g_menu_append_section(menu, "Recent Studies", G_MENU_MODEL(section));
        gtk_menu_button_set_menu_model(self->side[i].open, G_MENU_MODEL(menu));
    }
}

/* ---- GObject ------------------------------------------------------------ */

static void set_link_zoom(TscCompareWindow *self, gboolean on)
{
    self->link_zoom = on;
    g_clear_pointer(&self->zoom_binding, g_binding_unbind);
    if (on)
        self->zoom_binding =
            g_object_bind_property(self->side[0].view, "zoom", self->side[1].view, "zoom",
                                   G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
}

static void tsc_compare_window_get_property(GObject *o, guint id, GValue *v, GParamSpec *pspec)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(o);
    switch (id) {
    case PROP_SYNC_SCROLL: g_value_set_boolean(v, self->sync_scroll); break;
    case PROP_LINK_WINDOW: g_value_set_boolean(v, self->link_window); break;
    case PROP_LINK_ZOOM: g_value_set_boolean(v, self->link_zoom); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, pspec);
    }
}

static void tsc_compare_window_set_property(GObject *o, guint id, const GValue *v,
                                            GParamSpec *pspec)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(o);
    switch (id) {
    case PROP_SYNC_SCROLL:
        self->sync_scroll = g_value_get_boolean(v);
        /* Back in step at once, on the viewport scrolled last. */
        if (self->sync_scroll && pair_shown(self))
            tsc_compare_window_goto_slice(self, self->leader,
                                          (gssize)self->side[self->leader].slice);
        for (int i = 0; i < 2; i++) refresh_side_labels(self, i);
        break;
    case PROP_LINK_WINDOW:
        self->link_window = g_value_get_boolean(v);
        if (self->link_window) on_window_changed(self->side[self->leader].view, self);
        break;
    case PROP_LINK_ZOOM: set_link_zoom(self, g_value_get_boolean(v)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, pspec);
    }
}

/* Side by side when wide, one above the other when narrow. */
static void tsc_compare_window_size_allocate(GtkWidget *w, int width, int height, int baseline)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(w);
    GtkOrientation want = width >= TSC_COMPARE_SIDE_BY_SIDE_MIN_WIDTH ? GTK_ORIENTATION_HORIZONTAL
                                                                      : GTK_ORIENTATION_VERTICAL;
    if (gtk_orientable_get_orientation(GTK_ORIENTABLE(self->views_box)) != want)
        gtk_orientable_set_orientation(GTK_ORIENTABLE(self->views_box), want);
    GTK_WIDGET_CLASS(tsc_compare_window_parent_class)->size_allocate(w, width, height, baseline);
}

static void tsc_compare_window_dispose(GObject *object)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(object);
    tsc_viewer_cancel_clear(&self->cancellable);
    /* A running export finishes its files; Escape-less: it is short. */
    g_clear_object(&self->export_cancellable);
    g_clear_pointer(&self->zoom_binding, g_binding_unbind);
    for (int i = 0; i < 2; i++) {
        if (self->side[i].view) tsc_slice_view_set_result(self->side[i].view, NULL, NULL);
        g_clear_object(&self->side[i].study);
    }
    g_clear_pointer(&self->cmp, tsc_comparison_free);
    if (self->app) g_object_remove_weak_pointer(G_OBJECT(self->app), (gpointer *)&self->app);
    self->app = NULL;
    gtk_widget_dispose_template(GTK_WIDGET(self), TSC_TYPE_COMPARE_WINDOW);
    G_OBJECT_CLASS(tsc_compare_window_parent_class)->dispose(object);
}

static void tsc_compare_window_finalize(GObject *object)
{
    TscCompareWindow *self = TSC_COMPARE_WINDOW(object);
    for (int i = 0; i < 2; i++) {
        g_free(self->side[i].path);
        g_free(self->side[i].error);
    }
    g_free(self->compare_error);
    g_free(self->export_folder);
    g_free(self->export_message);
    G_OBJECT_CLASS(tsc_compare_window_parent_class)->finalize(object);
}

static void tsc_compare_window_class_init(TscCompareWindowClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->get_property = tsc_compare_window_get_property;
    oc->set_property = tsc_compare_window_set_property;
    oc->dispose = tsc_compare_window_dispose;
    oc->finalize = tsc_compare_window_finalize;
    wc->size_allocate = tsc_compare_window_size_allocate;

    GParamFlags f = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
    props[PROP_SYNC_SCROLL] = g_param_spec_boolean("sync-scroll", NULL, NULL, TRUE, f);
    /* Off by default: MR grey values are not calibrated between sessions. */
    props[PROP_LINK_WINDOW] = g_param_spec_boolean("link-window", NULL, NULL, FALSE, f);
    props[PROP_LINK_ZOOM] = g_param_spec_boolean("link-zoom", NULL, NULL, TRUE, f);
    g_object_class_install_properties(oc, N_PROPS, props);

    g_type_ensure(TSC_TYPE_SLICE_VIEW);
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/compare_window.ui");
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, views_box);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, patient_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, status_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, rano_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, reason_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, rules_label);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, table);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, export_button);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, sync_toggle);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, window_toggle);
    gtk_widget_class_bind_template_child(wc, TscCompareWindow, zoom_toggle);
    gtk_widget_class_bind_template_child_full(wc, "title0", FALSE,
                                              G_STRUCT_OFFSET(TscCompareWindow, side[0].title));
    gtk_widget_class_bind_template_child_full(wc, "title1", FALSE,
                                              G_STRUCT_OFFSET(TscCompareWindow, side[1].title));
    gtk_widget_class_bind_template_child_full(wc, "view0", FALSE,
                                              G_STRUCT_OFFSET(TscCompareWindow, side[0].view));
    gtk_widget_class_bind_template_child_full(wc, "view1", FALSE,
                                              G_STRUCT_OFFSET(TscCompareWindow, side[1].view));
    gtk_widget_class_bind_template_child_full(wc, "position0", FALSE,
                                              G_STRUCT_OFFSET(TscCompareWindow, side[0].position));
    gtk_widget_class_bind_template_child_full(wc, "position1", FALSE,
                                              G_STRUCT_OFFSET(TscCompareWindow, side[1].position));
    gtk_widget_class_bind_template_child_full(wc, "open0", FALSE,
                                              G_STRUCT_OFFSET(TscCompareWindow, side[0].open));
    gtk_widget_class_bind_template_child_full(wc, "open1", FALSE,
                                              G_STRUCT_OFFSET(TscCompareWindow, side[1].open));
    gtk_widget_class_bind_template_child_full(
        wc, "series0", FALSE, G_STRUCT_OFFSET(TscCompareWindow, side[0].series_drop));
    gtk_widget_class_bind_template_child_full(
        wc, "series1", FALSE, G_STRUCT_OFFSET(TscCompareWindow, side[1].series_drop));

    gtk_widget_class_install_property_action(wc, "compare.sync-scroll", "sync-scroll");
    gtk_widget_class_install_property_action(wc, "compare.link-window", "link-window");
    gtk_widget_class_install_property_action(wc, "compare.link-zoom", "link-zoom");
    gtk_widget_class_install_action(wc, "compare.open", "(ss)", act_open);
    gtk_widget_class_install_action(wc, "compare.open-side", "(ss)", act_open_side);
    gtk_widget_class_install_action(wc, "compare.choose", "s", act_choose);
    gtk_widget_class_install_action(wc, "compare.confirm-patient", "b", act_confirm);
    gtk_widget_class_install_action(wc, "compare.goto", "(si)", act_goto);
    gtk_widget_class_install_action(wc, "compare.step", "(si)", act_goto);
    gtk_widget_class_install_action(wc, "compare.series", "(si)", act_series);
    gtk_widget_class_install_action(wc, "compare.window", "(sdd)", act_window);
    gtk_widget_class_install_action(wc, "compare.zoom", "(sd)", act_zoom);
    gtk_widget_class_install_action(wc, "compare.export", "s", act_export);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_e, GDK_CONTROL_MASK, "compare.export", "s", "");
    gtk_widget_class_add_binding_action(wc, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void tsc_compare_window_init(TscCompareWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->sync_scroll = TRUE;
    self->export_cancellable = g_cancellable_new();
    for (int i = 0; i < 2; i++) {
        Side *s = &self->side[i];
        g_signal_connect(s->view, "step", G_CALLBACK(on_step), self);
        g_signal_connect(s->view, "window-changed", G_CALLBACK(on_window_changed), self);
        g_signal_connect(s->series_drop, "notify::selected", G_CALLBACK(on_series_selected), self);
        refresh_side_labels(self, i);
    }
    set_link_zoom(self, TRUE);
    /* The header's toggles are the properties (the compare.* property
     * actions are the same for keys and scripts). */
    static const char *const names[3] = {"sync-scroll", "link-window", "link-zoom"};
    GtkToggleButton *toggles[3] = {self->sync_toggle, self->window_toggle, self->zoom_toggle};
    for (int i = 0; i < 3; i++)
        g_object_bind_property(self, names[i], toggles[i], "active",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
    refresh_status(self);
}

TscCompareWindow *tsc_compare_window_new(GtkWindow *parent, TscViewerApp *app)
{
    TscCompareWindow *self = g_object_new(TSC_TYPE_COMPARE_WINDOW, "transient-for", parent,
                                          "application", app ? GTK_APPLICATION(app) : NULL, NULL);
    self->app = app;
    if (app) g_object_add_weak_pointer(G_OBJECT(app), (gpointer *)&self->app);
    /* The first size, for scripts and tests (as TSC_VIEWER_WINDOW_SIZE is
     * the main window's). */
    const char *size = g_getenv("TSC_VIEWER_COMPARE_SIZE");
    int width = 0, height = 0;
    if (size && sscanf(size, "%dx%d", &width, &height) == 2 && width > 0 && height > 0)
        gtk_window_set_default_size(GTK_WINDOW(self), width, height);
    fill_open_menus(self);
    return self;
}

gboolean tsc_compare_window_is_idle(TscCompareWindow *self)
{
    g_return_val_if_fail(TSC_IS_COMPARE_WINDOW(self), TRUE);
    if (self->n_opening || self->exports_running) return FALSE;
    for (int i = 0; i < 2; i++) {
        Side *s = &self->side[i];
        if (s->analysing) return FALSE;
        if (!pair_shown(self)) continue;
        TscViewerImage *im = tsc_slice_view_get_image(s->view);
        if (!im || im->series != s->series || im->slice != s->slice) return FALSE;
    }
    return TRUE;
}

/* A viewport's state: what is on screen, read back from the widgets. */
static void write_side_state(TscCompareWindow *self, int i, GKeyFile *kf)
{
    Side *s = &self->side[i];
    const char *g = i ? "compare-followup" : "compare-baseline";
    g_key_file_set_boolean(kf, g, "open", s->study != NULL);
    g_key_file_set_string(kf, g, "error", s->error ? s->error : "");
    g_key_file_set_boolean(kf, g, "analysing", s->analysing);
    g_key_file_set_boolean(kf, g, "analysed", side_result(self, s) != NULL);
    /* The label's role and date only: the rest names the patient. */
    g_auto(GStrv) title = g_strsplit(gtk_label_get_text(s->title), " \xc2\xb7 ", 3);
    g_key_file_set_string(kf, g, "title-role", title[0] ? title[0] : "");
    g_key_file_set_string(kf, g, "title-date", title[0] && title[1] ? title[1] : "");
    g_key_file_set_boolean(kf, g, "title-names-patient",
                           title[0] && title[1] && title[2] && !strstr(title[2], "hidden"));
    if (!s->have_series) return;
    g_key_file_set_integer(kf, g, "series", (int)s->series);
    g_key_file_set_integer(kf, g, "slice", (int)s->slice);
    g_key_file_set_integer(kf, g, "slices", (int)side_series(s)->n_slices);
    const tsc_dicom_slice_info *si = side_slice(s, s->slice);
    if (si->has_geometry) g_key_file_set_double(kf, g, "position-mm", si->location);
    g_key_file_set_string(kf, g, "position-label", gtk_label_get_text(s->position));
    TscViewerImage *im = tsc_slice_view_get_image(s->view);
    g_key_file_set_integer(kf, g, "image-slice", im ? (int)im->slice : -1);
    g_key_file_set_boolean(kf, g, "overlay", tsc_slice_view_get_result(s->view) != NULL);
    double c, w;
    tsc_slice_view_get_window(s->view, &c, &w);
    g_key_file_set_double(kf, g, "window-center", c);
    g_key_file_set_double(kf, g, "window-width", w);
    double zoom = 1;
    g_object_get(s->view, "zoom", &zoom, NULL);
    g_key_file_set_double(kf, g, "zoom", zoom);
    const tsc_series_result *sr = side_result(self, s);
    if (sr)
        g_key_file_set_integer(kf, g, "lesions3d",
                               (int)tsc_viewer_api()->series_result_n_lesions3d(sr));
    graphene_rect_t b;
    if (gtk_widget_compute_bounds(GTK_WIDGET(s->view), GTK_WIDGET(self), &b)) {
        double r[4] = {b.origin.x, b.origin.y, b.size.width, b.size.height};
        g_key_file_set_double_list(kf, g, "view-rect", r, 4);
    }
}

void tsc_compare_window_write_state(TscCompareWindow *self, GKeyFile *kf)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    const char *g = "compare";
    g_key_file_set_boolean(kf, g, "open", TRUE);
    g_key_file_set_boolean(kf, g, "idle", tsc_compare_window_is_idle(self));
    g_key_file_set_string(kf, g, "patient-check", patient_check_names[self->patient]);
    g_key_file_set_boolean(kf, g, "confirm-dialog", self->confirm_dialog != NULL);
    g_key_file_set_boolean(kf, g, "shown", pair_shown(self));
    g_key_file_set_string(kf, g, "method",
                          self->method == TSC_METHOD_THRESHOLD        ? "threshold"
                          : self->method == TSC_METHOD_REGION_GROWING ? "region-growing"
                                                                      : "cnn");
    g_key_file_set_boolean(kf, g, "sync-scroll", self->sync_scroll);
    g_key_file_set_boolean(kf, g, "link-window", self->link_window);
    g_key_file_set_boolean(kf, g, "link-zoom", self->link_zoom);
    g_key_file_set_integer(kf, g, "leader", self->leader);
    /* The header's toggles show the same. */
    g_key_file_set_boolean(kf, g, "sync-toggle", gtk_toggle_button_get_active(self->sync_toggle));
    g_key_file_set_boolean(kf, g, "window-toggle",
                           gtk_toggle_button_get_active(self->window_toggle));
    g_key_file_set_boolean(kf, g, "zoom-toggle", gtk_toggle_button_get_active(self->zoom_toggle));
    g_key_file_set_string(kf, g, "layout",
                          gtk_orientable_get_orientation(GTK_ORIENTABLE(self->views_box)) ==
                                  GTK_ORIENTATION_HORIZONTAL
                              ? "side-by-side"
                              : "stacked");
    g_key_file_set_integer(kf, g, "width", gtk_widget_get_width(GTK_WIDGET(self)));
    g_key_file_set_string(kf, g, "status", gtk_label_get_text(self->status_label));
    g_key_file_set_string(kf, g, "patient-label", gtk_label_get_text(self->patient_label));
    g_key_file_set_string(kf, g, "compare-error", self->compare_error ? self->compare_error : "");
    g_key_file_set_boolean(kf, g, "compared", self->cmp != NULL);
    g_key_file_set_boolean(kf, g, "export-enabled", gtk_widget_get_sensitive(self->export_button));
    g_key_file_set_string(kf, g, "export-folder", self->export_folder ? self->export_folder : "");
    g_key_file_set_string(kf, g, "export-message",
                          self->export_message ? self->export_message : "");
    for (int i = 0; i < 2; i++) write_side_state(self, i, kf);
    if (!self->cmp) return;
    /* The table as shown: one line per row, cells joined by '|'. */
    int rows = 0;
    for (;; rows++) {
        g_autoptr(GString) line = g_string_new(NULL);
        for (int c = 0; c < 11; c++) {
            GtkWidget *l = gtk_grid_get_child_at(self->table, c, rows);
            if (!l) break;
            g_string_append_printf(line, "%s%s", c ? "|" : "", gtk_label_get_text(GTK_LABEL(l)));
        }
        if (!line->len) break;
        g_autofree char *key = g_strdup_printf("table-%d", rows);
        g_key_file_set_string(kf, g, key, line->str);
    }
    g_key_file_set_integer(kf, g, "table-rows", rows);
    const tsc_compare_totals *t = tsc_comparison_get_totals(self->cmp);
    g_key_file_set_integer(kf, g, "matched", (int)t->n_matched);
    g_key_file_set_integer(kf, g, "new", (int)t->n_new);
    g_key_file_set_integer(kf, g, "gone", (int)t->n_gone);
    const tsc_rano_suggestion *rs = tsc_comparison_get_rano(self->cmp);
    g_key_file_set_string(kf, g, "rano-category", tsc_rano_category_to_string(rs->category));
    g_key_file_set_string(kf, g, "rano-label", gtk_label_get_text(self->rano_label));
    g_key_file_set_string(kf, g, "rano-reason", gtk_label_get_text(self->reason_label));
}
