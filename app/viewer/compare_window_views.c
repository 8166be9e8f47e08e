/* SPDX-License-Identifier: BSD-3-Clause */
/* The comparison's two viewports, its change table and status line. */
#define G_LOG_DOMAIN "tsc-viewer-compare"
#include "compare_window-private.h"

#include <math.h>

#include "compare_report.h"

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

void _tsc_compare_window_refresh_side_labels(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    if (!s->study || !s->have_series) {
        g_autofree char *t = g_strdup_printf(
            "%s: %s", role_name(i),
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
    const char *edits = side_edits(self, s);
    g_autofree char *title = g_strdup_printf("%s \xc2\xb7 %s \xc2\xb7 %s%s%s", role_name(i), date,
                                             who, edits ? " \xc2\xb7 " : "", edits ? edits : "");
    gtk_label_set_text(s->title, title);
    if (!_tsc_compare_window_pair_shown(self)) {
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
            ref_line = g_strdup_printf("ref %.1f mm (%s, \xce\x94 %.1f mm)", ref, role_name(other),
                                       si->location - ref);
        else
            ref_line = g_strdup_printf("ref: %s slice %zu (no position: by index)",
                                       role_name(other), o->slice + 1);
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
    g_autofree char *tl = g_strdup_printf("%s\n%s", role_name(i), date);
    g_autofree char *tr = g_strdup_printf("%zu/%zu\n%s", s->slice + 1, n, where);
    tsc_slice_view_set_corner_text(s->view, tl, tr, ref_line);
}

/* The overlay of the slice on screen, from the side's series analysis. */
void _tsc_compare_window_refresh_overlay(TscCompareWindow *self, int i)
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
        _tsc_compare_window_refresh_overlay(self, j->side);
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
void _tsc_compare_window_show_slice(TscCompareWindow *self, int i)
{
    Side *s = &self->side[i];
    tsc_viewer_study_set_focus(s->study, s->series, s->slice);
    g_autoptr(TscViewerImage) im = tsc_viewer_study_lookup_image(s->study, s->series, s->slice);
    if (im) {
        tsc_slice_view_set_image(s->view, im);
        _tsc_compare_window_refresh_overlay(self, i);
    } else {
        tsc_viewer_study_decode_async(s->study, s->series, s->slice, self->cancellable, on_decoded,
                                      job_new(self, i, s->series, s->slice));
    }
    _tsc_compare_window_refresh_side_labels(self, i);
}

gboolean _tsc_compare_window_pair_shown(TscCompareWindow *self)
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
    if (!_tsc_compare_window_pair_shown(self)) return;
    Side *s = &self->side[i];
    s->slice = (gsize)CLAMP(slice, 0, (gssize)side_series(s)->n_slices - 1);
    self->leader = i;
    if (self->sync_scroll) {
        Side *o = &self->side[!i];
        double ref;
        nearest_slice(s, s->slice, o, &o->slice, &ref);
        _tsc_compare_window_show_slice(self, !i);
    }
    _tsc_compare_window_show_slice(self, i);
}

void _tsc_compare_window_on_step(TscSliceView *view, int delta, gpointer data)
{
    TscCompareWindow *self = data;
    int i = view == self->side[1].view;
    self->scrolled = TRUE;
    gint64 k = (gint64)self->side[i].slice + delta;
    tsc_compare_window_goto_slice(self, i, (gssize)MAX(k, 0));
}

void _tsc_compare_window_on_window_changed(TscSliceView *view, gpointer data)
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

static void table_row(GtkGrid *g, int row, char cells[TSC_COMPARE_N_COLUMNS][TSC_COMPARE_CELL_SIZE],
                      gboolean bold)
{
    for (int c = 0; c < TSC_COMPARE_N_COLUMNS; c++) {
        GtkWidget *l = gtk_label_new(NULL);
        if (bold) {
            g_autofree char *m = g_markup_printf_escaped("<b>%s</b>", cells[c]);
            gtk_label_set_markup(GTK_LABEL(l), m);
        } else {
            gtk_label_set_text(GTK_LABEL(l), cells[c]);
        }
        gtk_label_set_xalign(GTK_LABEL(l), c <= TSC_COMPARE_COLUMN_CHANGE ? 0 : 1);
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

void _tsc_compare_window_fill_table(TscCompareWindow *self)
{
    clear_table(self);
    gtk_label_set_text(self->rano_label, "");
    gtk_label_set_text(self->reason_label, "");
    gtk_label_set_text(self->rules_label, "");
    if (!self->cmp) return;
    /* The cells as every report writes them (compare_report.h). */
    char cells[TSC_COMPARE_N_COLUMNS][TSC_COMPARE_CELL_SIZE];
    for (int c = 0; c < TSC_COMPARE_N_COLUMNS; c++)
        g_strlcpy(cells[c], tsc_compare_column_heading(c), sizeof cells[c]);
    table_row(self->table, 0, cells, TRUE);
    size_t n = tsc_comparison_n_rows(self->cmp);
    for (size_t i = 0; i <= n; i++) {
        tsc_compare_table_cells(self->cmp, i, cells);
        table_row(self->table, (int)i + 1, cells, i == n);
    }

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

void _tsc_compare_window_refresh_status(TscCompareWindow *self)
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
            g_string_append_printf(s, "%s%s: %s", s->len ? " " : "", role_name(i), d->error);
        /* Saved corrections that were refused: compared unedited, and said. */
        const char *edits = side_edits(self, d);
        if (edits && !tsc_viewer_api()->series_result_is_edited(side_result(self, d)))
            g_string_append_printf(s, "%s%s: %s", s->len ? " " : "", role_name(i), edits);
    }
    if (_tsc_compare_window_pair_shown(self) && !self->side[0].analysing &&
        !self->side[1].analysing && self->method == TSC_METHOD_CNN && !model(self) && self->app &&
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
