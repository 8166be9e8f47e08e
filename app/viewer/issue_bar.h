/* SPDX-License-Identifier: BSD-3-Clause */
/* TscIssueBar: every problem of the study on screen, in the window
 * (issue_bar.ui, a GtkInfoBar): a bold line per issue, their details under
 * an expander, the most severe type for the colour.  Issues are keyed by
 * an id ("open", "skipped", "export", ...) and shown in the order given to
 * tsc_issue_bar_set_order.  Closing the bar dismisses every issue but the
 * sticky ones; a quiet issue never shows the bar by itself and is listed
 * under Details when something else does. */
#ifndef TSC_ISSUE_BAR_H
#define TSC_ISSUE_BAR_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TSC_TYPE_ISSUE_BAR (tsc_issue_bar_get_type())
G_DECLARE_FINAL_TYPE(TscIssueBar, tsc_issue_bar, TSC, ISSUE_BAR, GtkWidget)

/* The ids in the order they are listed (copied; others are not shown). */
void tsc_issue_bar_set_order(TscIssueBar *self, const char *const *ids);
/* Sets issue `id` (strings copied); a NULL title clears it. */
void tsc_issue_bar_set(TscIssueBar *self, const char *id, GtkMessageType type, const char *title,
                       const char *details);
/* An issue the close button does not dismiss (nothing works without it). */
void tsc_issue_bar_set_sticky(TscIssueBar *self, const char *id, GtkMessageType type, const char *title,
                              const char *details);
void tsc_issue_bar_set_quiet(TscIssueBar *self, const char *id, const char *title, const char *details);
/* The folder "Open Folder" opens while the "export" issue is shown (NULL: none). */
void tsc_issue_bar_set_folder(TscIssueBar *self, const char *folder);
/* "id: title | ..." of every issue, quiet ones too (for write-state). */
char *tsc_issue_bar_dup_summary(TscIssueBar *self);
/* The text of the bar's Details, as shown (for write-state). */
const char *tsc_issue_bar_get_details(TscIssueBar *self);
gboolean tsc_issue_bar_get_revealed(TscIssueBar *self);
GtkMessageType tsc_issue_bar_get_message_type(TscIssueBar *self);

G_END_DECLS
#endif
