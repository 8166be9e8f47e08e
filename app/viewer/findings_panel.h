/* SPDX-License-Identifier: BSD-3-Clause */
/* TscFindingsPanel: the findings of the current slice (type, every class
 * probability, lesions with area and RANO diameters) and of the series
 * (verdict, volume, key slice, 3D lesions, counts per verdict). */
#ifndef TSC_FINDINGS_PANEL_H
#define TSC_FINDINGS_PANEL_H

#include <gtk/gtk.h>

#include "viewer_api.h"

G_BEGIN_DECLS

#define TSC_TYPE_FINDINGS_PANEL (tsc_findings_panel_get_type())
G_DECLARE_FINAL_TYPE(TscFindingsPanel, tsc_findings_panel, TSC, FINDINGS_PANEL, GtkWidget)

GtkWidget *tsc_findings_panel_new(void);
/* `r` and `error` may be NULL (not analysed). */
void tsc_findings_panel_set_slice(TscFindingsPanel *self, const tsc_model *model, int method,
                                  gsize slice, const tsc_result *r, const char *error,
                                  gboolean analysing);
/* `r` may be NULL (series not analysed). */
void tsc_findings_panel_set_series(TscFindingsPanel *self, const tsc_model *model, int method,
                                   const tsc_series_result *r, double slice_spacing_mm);

/* Whether the series result shown is this viewer's own analysis, which the
 * reader may correct: each 3D lesion then has Accept and Reject… buttons
 * (win.accept-lesion, win.reject-lesion-ask with the lesion's number). */
void tsc_findings_panel_set_editable(TscFindingsPanel *self, gboolean editable);
/* Says, under the series' findings, that the reader's corrections are
 * being measured again (the findings shown are those before the last
 * edit). */
void tsc_findings_panel_set_measuring(TscFindingsPanel *self, gboolean measuring);
/* Why the series on screen is outside the model's scope (NULL: in scope);
 * `forced`: the user asked for analysis anyway (research use). */
void tsc_findings_panel_set_scope(TscFindingsPanel *self, const char *reason, gboolean forced);
/* A result stored with the series and computed elsewhere (a structured
 * report, text from tsc_viewer_stored_report_text), shown apart under
 * "Stored result", never as our analysis; NULL hides it. */
void tsc_findings_panel_set_stored(TscFindingsPanel *self, const char *text);
/* Where the result shown came from when it is not this viewer's analysis
 * ("Stored result · tsc_unet128_v2 2.0.0 · 2026-12-04 01:19 · from the
 * archive"), above both sections; NULL hides it. */
void tsc_findings_panel_set_provenance(TscFindingsPanel *self, const char *text);
/* Empties every section: called the moment the study or the series changes,
 * so that nothing of another series (or patient) stays on screen. */
void tsc_findings_panel_clear(TscFindingsPanel *self);
/* Forgets which series result is shown (a new result may have its address). */
void tsc_findings_panel_invalidate(TscFindingsPanel *self);

/* The texts the panel shows, for scripts and tests. */
typedef enum {
    TSC_FINDINGS_TEXT_SCOPE, /* why the series is outside the model's scope */
    TSC_FINDINGS_TEXT_SLICE_STATUS,
    TSC_FINDINGS_TEXT_SLICE_VERDICT,
    TSC_FINDINGS_TEXT_SLICE_SCOPE,
    TSC_FINDINGS_TEXT_SERIES_VERDICT,
    TSC_FINDINGS_TEXT_KEY_SLICE,  /* the key slice button's label */
    TSC_FINDINGS_TEXT_STORED,     /* the stored report's text */
    TSC_FINDINGS_TEXT_PROVENANCE, /* where the result shown came from */
    TSC_FINDINGS_TEXT_MEASURING,  /* "Measuring the corrections again…" while they are */
    TSC_FINDINGS_TEXT_EDITS,      /* who edited, what, and each rejected lesion with its reason */
} TscFindingsText;
/* The text `which` as shown ("" when hidden; borrowed). */
const char *tsc_findings_panel_get_text(TscFindingsPanel *self, TscFindingsText which);
/* Lesion rows visible in both sections. */
int tsc_findings_panel_n_lesions_shown(TscFindingsPanel *self);

G_END_DECLS
#endif
