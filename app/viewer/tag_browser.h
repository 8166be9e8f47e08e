/* SPDX-License-Identifier: BSD-3-Clause */
/* TscTagBrowser: every DICOM attribute of the slice on screen (the plugin's
 * dicom_slice_tags, read off the main thread), searchable by tag, keyword
 * and value.  With "de-identify" on it shows what the de-identified exports
 * would carry and hides every identifying value.  It follows the window's
 * slice: the window calls tsc_tag_browser_show() on every change of study,
 * series or slice, so it never shows another patient's header. */
#ifndef TSC_TAG_BROWSER_H
#define TSC_TAG_BROWSER_H

#include <gtk/gtk.h>

#include "viewer_study.h"

G_BEGIN_DECLS

#define TSC_TYPE_TAG_BROWSER (tsc_tag_browser_get_type())
G_DECLARE_FINAL_TYPE(TscTagBrowser, tsc_tag_browser, TSC, TAG_BROWSER, GtkWindow)

TscTagBrowser *tsc_tag_browser_new(GtkWindow *parent);
/* Shows the attributes of `slice` of `series` of `study` (NULL: no slice on
 * screen; the list empties at once).  A reading still under way for an
 * earlier slice is dropped. */
void tsc_tag_browser_show(TscTagBrowser *self, TscViewerStudy *study, gsize series, gsize slice,
                          gboolean deidentify);
/* For scripts and tests: the search text, as if typed. */
void tsc_tag_browser_set_search(TscTagBrowser *self, const char *text);
/* For write-state: rows read, rows the search shows, whether a reading is
 * under way, and the shown rows as "tag keyword [hidden] = value" lines
 * (at most 50), where a value is written only when it cannot identify
 * anyone (de-identified, or a number or code string). */
void tsc_tag_browser_write_state(TscTagBrowser *self, GKeyFile *kf);

G_END_DECLS
#endif
