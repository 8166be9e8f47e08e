/* SPDX-License-Identifier: BSD-3-Clause */
/* TscViewerWindow's internals, shared by its files (the way GNOME Text
 * Editor splits editor-window.c):
 *   viewer_window.c            the window: panels, what is on screen, slices, setup
 *   viewer_window_open.c       opening studies: paths, the file chooser, drops
 *   viewer_window_actions.c    the commands (analyses, export, cancel, presets) as win.* actions
 *   viewer_window_scripting.c  idle wait, screenshot, write-state
 *   viewer_window_bench.c      the scroll benchmark
 *   viewer_window_tools.c      the reading tools and measurements
 *   viewer_window_presets.c    the user's window/level presets
 *   viewer_window_edits.c      the reader's corrections: reject, brush, eraser, undo
 * Functions shared between them carry the _tsc_viewer_window_ prefix. */
#ifndef TSC_VIEWER_WINDOW_PRIVATE_H
#define TSC_VIEWER_WINDOW_PRIVATE_H

#include "viewer_window.h"

#include "export_dialog.h"
#include "findings_panel.h"
#include "issue_bar.h"
#include "measurement_list.h"
#include "series_browser.h"
#include "slice_strip.h"
#include "slice_view.h"
#include "viewer_app.h"
#include "viewer_seg.h"

G_BEGIN_DECLS

typedef struct {
    char *action;
    GVariant *param;
    guint gen; /* the study it was asked on: dropped when another is opened */
} Deferred;

typedef struct _TscViewerEdits TscViewerEdits;

typedef struct {
    gboolean running;
    char *path;
    GArray *latency_ms; /* double */
    guint steps_during_analysis, steps_after_analysis, misses;
    gsize target;
    int dir; /* +1 forward, -1 back */
    gint64 t0, cpu0;
    GArray *cpu_ms; /* main-thread CPU time per step */
    gulong paint_handler;
    guint idle_id;
} Bench;

struct _TscViewerWindow {
    GtkApplicationWindow parent_instance;

    /* template */
    GtkHeaderBar *header;
    GtkMenuButton *recent_button;
    GtkLabel *title_label, *subtitle_label;
    TscIssueBar *issue_bar;
    GtkRevealer *toast_revealer;
    GtkLabel *toast_label;
    GtkWidget *toast_open_folder, *toast_close;
    GtkRevealer *progress_revealer;
    GtkLabel *progress_label;
    GtkProgressBar *progress_bar;
    GtkStack *view_stack;
    GtkLabel *empty_title, *empty_subtitle;
    GtkWidget *empty_button;
    TscSeriesBrowser *browser;
    TscSliceView *view;
    TscSliceStrip *strip;
    GtkLabel *slice_label, *model_label;
    GtkDropDown *method_dropdown;
    GtkWidget *method_note;
    GtkSwitch *click_switch, *overlay_switch, *outline_switch, *heatmap_switch, *corner_switch;
    GtkSwitch *seg_switch;
    GtkWidget *seg_label;
    GtkAdjustment *opacity_adjustment;
    GtkWidget *opacity_scale;
    TscFindingsPanel *findings;
    TscMeasurementList *measurement_list;
    GtkWidget *tool_bar;
    GtkSpinButton *cine_fps;
    GtkWidget *user_preset_box;
    GtkEditable *user_preset_name;
    GtkWidget *open_button, *analyze_slice_button, *analyze_series_button, *export_button,
        *preset_box;
    GtkWidget *work_box;
    GtkWidget *studies_pane, *side_pane;
    GtkToggleButton *studies_toggle, *findings_toggle;
    GtkLabel *work_label;
    GtkProgressBar *work_bar;
    GtkWidget *work_cancel; /* shown for what Escape can stop: analyses and exports */

    TscViewerApp *app; /* weak: the application outlives its windows */
    TscViewerPrefs *prefs;

    /* Everything below belongs to the current study; `gen` changes with it so
     * that late results of an earlier study are dropped. */
    guint gen;
    TscViewerStudy *study;
    gboolean have_series;
    gsize series, slice;
    /* The model's scope gate on the series on screen (api->series_check_scope);
     * in scope for the classical methods, which claim none. */
    tsc_scope_decision scope;
    int last_step; /* direction of travel, for prefetching */
    GHashTable *decoding;  /* slice keys being decoded */
    GHashTable *analysing; /* (method, series, slice) keys being analysed */
    GCancellable *open_cancellable, *work_cancellable, *series_cancellable;
    GCancellable *export_cancellable; /* exports outlive a change of study; Escape stops them */
    gboolean opening;
    gssize series_running; /* series being analysed, -1: none */
    int series_running_method;
    gsize series_done, series_total;
    gint64 progress_shown;
    guint staged_tick, staged_frames;
    guint exports_running;
    char *decode_error;
    /* The stored DICOM SEG of the series on screen (viewer_seg), NULL while
     * loading or when none belongs to it; seg_shown: the slice whose mask
     * the view has (-1: none). */
    TscViewerSegMasks *seg;
    gssize seg_shown;

    GQueue deferred; /* Deferred script commands */
    gboolean replaying;
    char *export_folder_shown;
    guint toast_id; /* hides the toast */
    gsize n_ignored; /* files of the study that are not DICOM */

    Bench bench;

    /* The reader's measurements of the series on screen (viewer_window_tools.c). */
    TscMeasurements *measurements;
    guint cine_id; /* the cine timer; 0: paused */
    /* The user's window presets when there is no settings schema (a(sdd)). */
    GVariant *session_presets;

    /* The reader's corrections (viewer_window_edits.c): TscViewerEdits per
     * method and series of the study of generation edits_gen. */
    GHashTable *edits;
    guint edits_gen;
    GtkSpinButton *brush_spin; /* the brush and eraser radius, mm */
    GtkDropDown *brush_class_dropdown;
    GtkWidget *brush_bar;         /* the radius and the class, under the tool row */
    GtkWidget *brush_class_label; /* "Paints", shown with the chooser */
    /* The class names the dropdown offers ("auto" first), of the model
     * brush_classes_of (NULL: no model, "auto" only). */
    char **brush_classes;
    const tsc_model *brush_classes_of;
};

/* A job's view of the window: a weak reference and the generation it was
 * started in. */
typedef struct {
    GWeakRef win;
    guint gen;
    int method;
    gsize series, slice;
    TscViewerStudy *study;
} Ctx;

static inline Ctx *ctx_new(TscViewerWindow *self, int method, gsize series, gsize slice)
{
    Ctx *c = g_new0(Ctx, 1);
    g_weak_ref_init(&c->win, self);
    c->gen = self->gen;
    c->method = method;
    c->series = series;
    c->slice = slice;
    c->study = self->study ? g_object_ref(self->study) : NULL;
    return c;
}

static inline void ctx_free(Ctx *c)
{
    g_weak_ref_clear(&c->win);
    g_clear_object(&c->study);
    g_free(c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Ctx, ctx_free)

/* The window if it still exists and still shows the study the job was for. */
static inline TscViewerWindow *ctx_window(Ctx *c)
{
    TscViewerWindow *self = g_weak_ref_get(&c->win);
    if (self && self->gen != c->gen) g_clear_object(&self);
    return self;
}

/* One command of the window's class: win.NAME, its parameter type (NULL:
 * none) and its handler.  Each file installs its own table. */
typedef struct {
    const char *name, *type;
    GtkWidgetActionActivateFunc fn;
} WinAction;

static inline void install_win_actions(GtkWidgetClass *wc, const WinAction *actions, gsize n)
{
    for (gsize i = 0; i < n; i++)
        gtk_widget_class_install_action(wc, actions[i].name, actions[i].type, actions[i].fn);
}

static inline gpointer slice_key(int method, gsize series, gsize slice)
{
    return GSIZE_TO_POINTER(((guint64)(method + 1) << 56) | ((guint64)series << 32) | slice);
}

static inline const char *method_name(int method)
{
    return method == TSC_METHOD_THRESHOLD        ? "threshold"
           : method == TSC_METHOD_REGION_GROWING ? "region-growing"
                                                 : "cnn";
}

static inline int current_method(TscViewerWindow *self)
{
    return tsc_viewer_prefs_get_method(self->prefs);
}

static inline tsc_model *current_model(TscViewerWindow *self)
{
    return self->app ? tsc_viewer_app_get_model(self->app) : NULL;
}

/* The model that names and colours results of `method` (NULL: classical). */
static inline const tsc_model *model_for(TscViewerWindow *self, int method)
{
    return method == TSC_METHOD_CNN ? current_model(self) : NULL;
}

/* The model that names and colours what is shown: a stored result is a
 * CNN's, whatever the method chosen for local analyses. */
static inline const tsc_model *model_shown(TscViewerWindow *self, int method, gboolean stored)
{
    return stored ? current_model(self) : model_for(self, method);
}

static inline const tsc_dicom_series_info *series_info(TscViewerWindow *self)
{
    return tsc_viewer_api()->study_get_series(tsc_viewer_study_get_index(self->study), self->series);
}

void _tsc_viewer_window_clear_seg(TscViewerWindow *self);
/* Looks for a stored SEG of the series on screen to outline (not ours). */
void _tsc_viewer_window_load_seg(TscViewerWindow *self);
/* Results stored with the study (viewer_window_stored.c): rebuilt off the
 * main thread when a study opens and when the model arrives. */
void _tsc_viewer_window_load_stored(TscViewerWindow *self);
/* The "Stored result" section's text for the series on screen; NULL: none. */
char *_tsc_viewer_window_stored_text(TscViewerWindow *self);
/* Whether the series on screen has a stored result of ours (its SEG is then
 * drawn as the overlay, not as an outline). */
gboolean _tsc_viewer_window_stored_is_ours(TscViewerWindow *self);
gboolean _tsc_viewer_window_commit_file(const char *tmp, const char *path);
void _tsc_viewer_window_deferred_free(gpointer p);
void _tsc_viewer_window_hide_toast(TscViewerWindow *self);
gboolean _tsc_viewer_window_on_drop(GtkDropTarget *target, const GValue *value, double x, double y, gpointer data);
void _tsc_viewer_window_on_view_step(TscViewerWindow *self, int delta);
void _tsc_viewer_window_refresh_all(TscViewerWindow *self);
void _tsc_viewer_window_refresh_all_badges(TscViewerWindow *self);
void _tsc_viewer_window_refresh_badge(TscViewerWindow *self, gsize series);
void _tsc_viewer_window_refresh_findings(TscViewerWindow *self);
void _tsc_viewer_window_refresh_panels_staged(TscViewerWindow *self);
void _tsc_viewer_window_refresh_progress(TscViewerWindow *self);
void _tsc_viewer_window_refresh_sensitivity(TscViewerWindow *self);
void _tsc_viewer_window_refresh_strip(TscViewerWindow *self);
void _tsc_viewer_window_refresh_strip_cell(TscViewerWindow *self, gsize k);
void _tsc_viewer_window_refresh_view_result(TscViewerWindow *self);
void _tsc_viewer_window_replay_deferred(TscViewerWindow *self);
void _tsc_viewer_window_say_not_analysed(TscViewerWindow *self);
gboolean _tsc_viewer_window_scope_allows(TscViewerWindow *self, int method);
void _tsc_viewer_window_set_title(TscViewerWindow *self);
/* Installs the window's win.* command actions (viewer_window_actions.c). */
void _tsc_viewer_window_install_actions(GtkWidgetClass *wc);
/* The reading tools (viewer_window_tools.c). */
void _tsc_viewer_window_install_tool_actions(GtkWidgetClass *wc);
void _tsc_viewer_window_setup_tools(TscViewerWindow *self);
/* Clears the measurements: the study or the series on screen changed. */
void _tsc_viewer_window_tools_series_changed(TscViewerWindow *self);
/* Pauses the cine (no-op when paused). */
void _tsc_viewer_window_cine_stop(TscViewerWindow *self);
/* The reader's corrections (viewer_window_edits.c). */
void _tsc_viewer_window_install_edit_actions(GtkWidgetClass *wc);
void _tsc_viewer_window_setup_edits(TscViewerWindow *self);
void _tsc_viewer_window_edits_dispose(TscViewerWindow *self);
/* A brush or eraser drag on the view (kind "brush" / "eraser"): TRUE when
 * it was one, and it is applied to the slice on screen. */
gboolean _tsc_viewer_window_edits_stroke(TscViewerWindow *self, const char *kind, GVariant *points);
/* The series on screen may have a new analysis: its saved edits come back. */
void _tsc_viewer_window_edits_refresh(TscViewerWindow *self);
void _tsc_viewer_window_write_edits_state(TscViewerWindow *self, GKeyFile *kf);
/* The edits of the series on screen are being measured again. */
gboolean _tsc_viewer_window_edits_measuring(TscViewerWindow *self);
/* The saved edits of the series on screen are being replayed (restored). */
gboolean _tsc_viewer_window_edits_restoring(TscViewerWindow *self);
/* The user's window presets (viewer_window_presets.c). */
void _tsc_viewer_window_install_preset_actions(GtkWidgetClass *wc);
void _tsc_viewer_window_setup_presets(TscViewerWindow *self);
void _tsc_viewer_window_write_presets_state(TscViewerWindow *self, GKeyFile *kf);
void _tsc_viewer_window_write_tools_state(TscViewerWindow *self, GKeyFile *kf);
void _tsc_viewer_window_show_toast(TscViewerWindow *self, const char *text, gboolean open_folder);

G_END_DECLS
#endif
