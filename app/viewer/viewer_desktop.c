/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "viewer_desktop.h"

char *tsc_viewer_chooser_dup_path(GtkNativeDialog *chooser, int response)
{
    g_return_val_if_fail(GTK_IS_FILE_CHOOSER(chooser), NULL);
    if (response != GTK_RESPONSE_ACCEPT) return NULL;
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser));
    return file ? g_file_get_path(file) : NULL;
}

GtkFileFilter *tsc_viewer_file_filter_new(const char *name, const char *const *patterns)
{
    GtkFileFilter *filter = gtk_file_filter_new();
    gtk_file_filter_set_name(filter, name);
    for (const char *const *p = patterns; p && *p; p++) gtk_file_filter_add_pattern(filter, *p);
    return filter;
}

void tsc_viewer_show_folder(GtkWidget *from, const char *folder)
{
    g_return_if_fail(GTK_IS_WIDGET(from));
    if (!folder) return;
    g_autoptr(GFile) f = g_file_new_for_path(folder);
    g_autofree char *uri = g_file_get_uri(f);
    GtkRoot *root = gtk_widget_get_root(from);
    gtk_show_uri(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, uri, GDK_CURRENT_TIME);
}
