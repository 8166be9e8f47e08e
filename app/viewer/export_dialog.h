/* SPDX-License-Identifier: BSD-3-Clause */
/* TscExportDialog: which outputs to export, where, and whether to
 * de-identify them.  Emits "export" when the user confirms. */
#ifndef TSC_EXPORT_DIALOG_H
#define TSC_EXPORT_DIALOG_H

#include <gtk/gtk.h>

#include "viewer_jobs.h"
#include "viewer_prefs.h"

G_BEGIN_DECLS

#define TSC_TYPE_EXPORT_DIALOG (tsc_export_dialog_get_type())
G_DECLARE_FINAL_TYPE(TscExportDialog, tsc_export_dialog, TSC, EXPORT_DIALOG, GtkWindow)

TscExportDialog *tsc_export_dialog_new(GtkWindow *parent, TscViewerPrefs *prefs, gsize slice,
                                       gboolean has_series_result);
/* spec->folder is newly allocated. */
void tsc_export_dialog_get_spec(TscExportDialog *self, TscViewerExportSpec *spec);

G_END_DECLS
#endif
