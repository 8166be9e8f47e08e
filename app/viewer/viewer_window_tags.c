/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer"
#include "viewer_window_tags.h"

#include "tag_browser.h"
#include "viewer_pacs.h"
#include "viewer_window-private.h"

void _tsc_viewer_window_update_tags(GtkWidget *window)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(window));
    TscViewerWindow *self = TSC_VIEWER_WINDOW(window);
    TscTagBrowser *b = tsc_viewer_find_transient(self, TSC_TYPE_TAG_BROWSER);
    if (!b) return;
    if (self->study && self->have_series)
        tsc_tag_browser_show(b, self->study, self->series, self->slice,
                             tsc_viewer_prefs_get_deidentify(self->prefs));
    else tsc_tag_browser_show(b, NULL, 0, 0, FALSE);
}

static void on_deidentify_changed(GObject *prefs, GParamSpec *pspec, gpointer browser)
{
    (void)prefs;
    (void)pspec;
    GtkWindow *window = gtk_window_get_transient_for(GTK_WINDOW(browser));
    if (window) _tsc_viewer_window_update_tags(GTK_WIDGET(window));
}

static TscTagBrowser *show_browser(TscViewerWindow *self)
{
    TscTagBrowser *b = tsc_viewer_find_transient(self, TSC_TYPE_TAG_BROWSER);
    if (!b) {
        b = tsc_tag_browser_new(GTK_WINDOW(self));
        /* Disconnected when the browser goes. */
        g_signal_connect_object(self->prefs, "notify::deidentify",
                                G_CALLBACK(on_deidentify_changed), b, 0);
        gtk_window_present(GTK_WINDOW(b));
        _tsc_viewer_window_update_tags(GTK_WIDGET(self));
    } else {
        gtk_window_present(GTK_WINDOW(b));
    }
    return b;
}

static void win_show_tags(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    (void)p;
    show_browser(TSC_VIEWER_WINDOW(widget));
}

static void win_tags_search(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    tsc_tag_browser_set_search(show_browser(TSC_VIEWER_WINDOW(widget)),
                               g_variant_get_string(p, NULL));
}

void _tsc_viewer_window_install_tags_actions(GtkWidgetClass *wc)
{
    static const WinAction actions[] = {
        {"win.show-tags", NULL, win_show_tags},
        {"win.tags-search", "s", win_tags_search},
    };
    install_win_actions(wc, actions, G_N_ELEMENTS(actions));
}

void _tsc_viewer_window_write_tags_state(GtkWidget *window, GKeyFile *kf)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(window));
    TscTagBrowser *b = tsc_viewer_find_transient(window, TSC_TYPE_TAG_BROWSER);
    if (b) tsc_tag_browser_write_state(b, kf);
    else g_key_file_set_boolean(kf, "tags", "open", FALSE);
}
