/* SPDX-License-Identifier: BSD-3-Clause */
/* TscCompareWindow: a follow-up study beside its baseline (issue 15).
 *
 * Two studies of one patient in two viewports, side by side (one above the
 * other when the window is narrow), scrolled together by patient position:
 * the other viewport goes to its slice nearest the reference position along
 * its own normal, whatever the spacing or coverage, and shows that
 * reference.  Window/level and zoom are linked unless unlinked.  Both
 * series are analysed on the viewer's pools; the core's tsc_compare matches
 * their 3D lesions by position and the window shows the change table and
 * the suggested RANO category.  Two studies whose PatientIDs differ (or are
 * missing) are shown only once the user has confirmed they are one
 * patient.  Each side comes from a folder, from the PACS (the PACS dialog,
 * modal over this window; its retrieved cache folder is the side) or from
 * the recent studies.  Exports (report PNG/PDF, comparison SR) go through
 * app/common/compare_report.c, the CLI's code.
 *
 * Every command is an action of the window (compare.*); the main window's
 * win.compare-* actions forward to them for scripts (viewer_window_compare.c). */
#ifndef TSC_COMPARE_WINDOW_H
#define TSC_COMPARE_WINDOW_H

#include <gtk/gtk.h>

#include "viewer_prefs.h"
#include "viewer_study.h"

G_BEGIN_DECLS

#define TSC_TYPE_COMPARE_WINDOW (tsc_compare_window_get_type())
G_DECLARE_FINAL_TYPE(TscCompareWindow, tsc_compare_window, TSC, COMPARE_WINDOW, GtkWindow)

typedef struct _TscViewerApp TscViewerApp;

/* Over `parent`; the application lends the model and the preferences. */
TscCompareWindow *tsc_compare_window_new(GtkWindow *parent, TscViewerApp *app);

/* Opens `baseline` and `followup` (study folders or files) in place of the
 * pair on screen; anything still running for that pair is dropped. */
void tsc_compare_window_open(TscCompareWindow *self, const char *baseline, const char *followup);
/* The user's answer to "are these one patient?" (PatientIDs differ). */
void tsc_compare_window_confirm_patient(TscCompareWindow *self, gboolean same_patient);
/* Slice `slice` of viewport `side` (0 baseline, 1 follow-up); the other
 * follows by position while scrolling is synchronised. */
void tsc_compare_window_goto_slice(TscCompareWindow *self, int side, gssize slice);
/* Writes the comparison report (PNG, PDF) and SR into a new folder under
 * `folder` (NULL/"": the export folder of the preferences). */
void tsc_compare_window_export(TscCompareWindow *self, const char *folder);
/* The model finished loading (or failed). */
void tsc_compare_window_model_changed(TscCompareWindow *self);
/* The [compare] group of write-state (no patient identifiers). */
void tsc_compare_window_write_state(TscCompareWindow *self, GKeyFile *kf);
/* Whether nothing of the comparison is pending on the main thread's side
 * (jobs on the pools are counted by the pools). */
gboolean tsc_compare_window_is_idle(TscCompareWindow *self);

G_END_DECLS
#endif
