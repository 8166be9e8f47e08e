/* SPDX-License-Identifier: BSD-3-Clause */
/* viewer_desktop: the desktop's file choosers and file manager, as the
 * viewer's windows use them.  GTK 4.8 has no GtkFileDialog (4.10): the
 * choosers are GtkFileChooserNative, and these helpers are the one place
 * their answers and filters are read and made. */
#ifndef TSC_VIEWER_DESKTOP_H
#define TSC_VIEWER_DESKTOP_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The local path a chooser answered with: NULL when it was cancelled or the
 * file has no path.  Newly allocated. */
char *tsc_viewer_chooser_dup_path(GtkNativeDialog *chooser, int response);
/* A filter named `name` of the glob `patterns` (NULL-terminated); the
 * caller owns it. */
GtkFileFilter *tsc_viewer_file_filter_new(const char *name, const char *const *patterns);
/* Opens `folder` in the file manager, over the window of `from`. */
void tsc_viewer_show_folder(GtkWidget *from, const char *folder);

G_END_DECLS
#endif
