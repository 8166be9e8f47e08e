/* SPDX-License-Identifier: BSD-3-Clause */
/* TscPacsDialog: "Open from PACS" — search a node's study list as you type
 * (C-FIND, paged), retrieve a study into our cache (C-GET) with progress
 * and Cancel, and emit "open" with the cache folder, which the window opens
 * as it opens any folder (the comparison window: as one side of its pair).
 * Errors are said in the dialog, in words. */
#ifndef TSC_PACS_DIALOG_H
#define TSC_PACS_DIALOG_H

#include <gtk/gtk.h>

#include "viewer_prefs.h"

G_BEGIN_DECLS

#define TSC_TYPE_PACS_DIALOG (tsc_pacs_dialog_get_type())
G_DECLARE_FINAL_TYPE(TscPacsDialog, tsc_pacs_dialog, TSC, PACS_DIALOG, GtkWindow)

/* Whether the plugin has the PACS client the dialog (and sending) needs. */
gboolean tsc_pacs_dialog_available(void);

/* Over `parent`, destroyed with it (which cancels a retrieve under way). */
TscPacsDialog *tsc_pacs_dialog_new(GtkWindow *parent, TscViewerPrefs *prefs);

/* For scripts: set the search fields named in `fields` (a{ss}: patient-name,
 * patient-id, date-from, date-to, modality, accession, node) and search now,
 * without the typing delay; with "typed": "true", as typing sets them (the
 * search starts when the typing pauses). */
void tsc_pacs_dialog_search(TscPacsDialog *self, GVariant *fields);
/* The next page of the list, when the node has more. */
void tsc_pacs_dialog_more(TscPacsDialog *self);
/* A retrieve is under way. */
gboolean tsc_pacs_dialog_is_retrieving(TscPacsDialog *self);
/* Retrieves the study of row `row` (0-based) and opens it. */
void tsc_pacs_dialog_retrieve(TscPacsDialog *self, int row);
/* What the dialog shows, for write-state: no patient name or ID. */
void tsc_pacs_dialog_write_state(TscPacsDialog *self, GKeyFile *kf);

G_END_DECLS
#endif
