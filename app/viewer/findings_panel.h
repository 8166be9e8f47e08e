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

G_END_DECLS
#endif
