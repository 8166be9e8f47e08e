/* SPDX-License-Identifier: BSD-3-Clause */
/* TscCompareWindow's internals, shared by its files:
 *   compare_window.c           the window: opening the pair, the patient check, actions, setup
 *   compare_window_views.c     the two viewports (scrolling by position, links), the table, status
 *   compare_window_analysis.c  the analyses, the comparison and its export
 *   compare_window_state.c     write-state's [compare] groups
 * Functions shared between them carry the _tsc_compare_window_ prefix. */
#ifndef TSC_COMPARE_WINDOW_PRIVATE_H
#define TSC_COMPARE_WINDOW_PRIVATE_H

#include "compare_window.h"

#include <string.h>

#include "slice_view.h"
#include "tsc_compare.h"
#include "viewer_app.h"

G_BEGIN_DECLS

/* Below this width the viewports stack (one above the other). */
#define TSC_COMPARE_SIDE_BY_SIDE_MIN_WIDTH 1000

typedef enum {
    PATIENT_UNKNOWN,   /* the studies are not both open yet */
    PATIENT_SAME,      /* same non-empty PatientID */
    PATIENT_ASKING,    /* different or missing: the confirmation dialog is open */
    PATIENT_CONFIRMED, /* the user confirmed one patient */
    PATIENT_REFUSED    /* the user declined: nothing is shown */
} PatientCheck;

/* How logs and write-state name a PatientCheck. */
static inline const char *patient_check_name(PatientCheck c)
{
    static const char *const names[] = {"unknown", "same-id", "asking", "confirmed", "refused"};
    return names[c];
}

/* Side 0 is the baseline, side 1 the follow-up. */
static inline const char *role_name(int side)
{
    return side ? "Follow-up" : "Baseline";
}

typedef struct {
    char *path;
    TscViewerStudy *study;
    gboolean have_series, analysing;
    gsize series, slice;
    gsize done, total; /* analysis progress */
    char *error;       /* why this side shows nothing (or no result) */
    /* What became of the reader's saved corrections ("edited by NAME (N
     * edits)", or why they were not applied), for the result edits_of. */
    char *edits;
    const tsc_series_result *edits_of;
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
    /* The PACS dialog choosing side pacs_side (modal; weak pointer). */
    GtkWidget *pacs_dialog;
    int pacs_side;
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

/* A job's view of the window: a weak reference, the pair's generation and
 * which viewport, series and slice it was for. */
typedef struct {
    GWeakRef win;
    guint gen;
    int side;
    gsize series, slice;
} Job;

static inline Job *job_new(TscCompareWindow *self, int side, gsize series, gsize slice)
{
    Job *j = g_new0(Job, 1);
    g_weak_ref_init(&j->win, self);
    j->gen = self->gen;
    j->side = side;
    j->series = series;
    j->slice = slice;
    return j;
}

static inline void job_free(Job *j)
{
    g_weak_ref_clear(&j->win);
    g_free(j);
}

/* The window if it still exists and still shows the pair the job was for. */
static inline TscCompareWindow *job_window(Job *j)
{
    TscCompareWindow *self = g_weak_ref_get(&j->win);
    if (self && self->gen != j->gen) g_clear_object(&self);
    return self;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Job, job_free)

static inline const tsc_dicom_series_info *side_series(const Side *s)
{
    return tsc_viewer_api()->study_get_series(tsc_viewer_study_get_index(s->study), s->series);
}

static inline const tsc_dicom_slice_info *side_slice(const Side *s, gsize k)
{
    return tsc_viewer_api()->study_get_slice(tsc_viewer_study_get_index(s->study), s->series, k);
}

static inline const tsc_dicom_study_info *side_study(const Side *s)
{
    const tsc_dicom_series_info *se = side_series(s);
    return tsc_viewer_api()->study_get_study(tsc_viewer_study_get_index(s->study), se->study);
}

static inline const tsc_dicom_patient_info *side_patient(const Side *s)
{
    return tsc_viewer_api()->study_get_patient(tsc_viewer_study_get_index(s->study),
                                               side_study(s)->patient);
}

static inline gboolean deidentify(TscCompareWindow *self)
{
    return self->app && tsc_viewer_prefs_get_deidentify(tsc_viewer_app_get_prefs(self->app));
}

static inline tsc_model *model(TscCompareWindow *self)
{
    return self->app ? tsc_viewer_app_get_model(self->app) : NULL;
}

static inline const tsc_model *model_for_method(TscCompareWindow *self)
{
    return self->method == TSC_METHOD_CNN ? model(self) : NULL;
}

/* YYYYMMDD as YYYY-MM-DD; anything else as it is. */
static inline char *format_date(const char *d)
{
    if (strlen(d) == 8) return g_strdup_printf("%.4s-%.2s-%.2s", d, d + 4, d + 6);
    return g_strdup(*d ? d : "no study date");
}

/* The series result a side shows (complete or not), or NULL. */
static inline const tsc_series_result *side_result(TscCompareWindow *self, const Side *s)
{
    if (!s->study || !s->have_series) return NULL;
    return tsc_viewer_study_get_series_result(s->study, self->method, s->series);
}

/* The line about the side's saved corrections, when they concern the
 * result it shows; NULL otherwise. */
static inline const char *side_edits(TscCompareWindow *self, const Side *s)
{
    return s->edits && s->edits_of && side_result(self, s) == s->edits_of ? s->edits : NULL;
}

/* Never two patients silently: whether the pair is shown (same PatientID,
 * or confirmed by the user) with a series on each side. */
gboolean _tsc_compare_window_pair_shown(TscCompareWindow *self);
/* Slice s->slice of side i on screen (cached, else decoded off the main thread). */
void _tsc_compare_window_show_slice(TscCompareWindow *self, int i);
void _tsc_compare_window_refresh_side_labels(TscCompareWindow *self, int i);
void _tsc_compare_window_refresh_overlay(TscCompareWindow *self, int i);
void _tsc_compare_window_refresh_status(TscCompareWindow *self);
/* The change table and the RANO lines from self->cmp (cleared without one). */
void _tsc_compare_window_fill_table(TscCompareWindow *self);
/* The views' "step" and "window-changed" handlers. */
void _tsc_compare_window_on_step(TscSliceView *view, int delta, gpointer data);
void _tsc_compare_window_on_window_changed(TscSliceView *view, gpointer data);
/* Analyses side i unless done, running or impossible yet (the model). */
void _tsc_compare_window_analyse(TscCompareWindow *self, int i);
/* Compares the two series results when both are there, and shows it. */
void _tsc_compare_window_maybe_compare(TscCompareWindow *self);

G_END_DECLS
#endif
