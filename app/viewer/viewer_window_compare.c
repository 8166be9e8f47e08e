/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer"
#include "viewer_window_compare.h"

#include <string.h>

#include "compare_window.h"
#include "viewer_pacs.h"
#include "viewer_window-private.h"

static TscCompareWindow *compare_window(TscViewerWindow *self, gboolean create)
{
    TscCompareWindow *c = tsc_viewer_find_transient(self, TSC_TYPE_COMPARE_WINDOW);
    if (!c && create) c = tsc_compare_window_new(GTK_WINDOW(self), self->app);
    if (c && create) gtk_window_present(GTK_WINDOW(c));
    return c;
}

static void win_compare_show(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    (void)p;
    compare_window(TSC_VIEWER_WINDOW(widget), TRUE);
}

/* win.compare-NAME forwards to the comparison window's compare.NAME. */
static void win_compare_forward(GtkWidget *widget, const char *name, GVariant *p)
{
    TscCompareWindow *c = compare_window(TSC_VIEWER_WINDOW(widget), TRUE);
    g_autofree char *action = g_strconcat("compare.", name + strlen("win.compare-"), NULL);
    gtk_widget_activate_action_variant(GTK_WIDGET(c), action, p);
}

/* Closes the comparison window when it is open (never opens it). */
static void win_compare_close(GtkWidget *widget, const char *name, GVariant *p)
{
    (void)name;
    (void)p;
    TscCompareWindow *c = compare_window(TSC_VIEWER_WINDOW(widget), FALSE);
    if (c) gtk_window_close(GTK_WINDOW(c));
}

/* The stateful toggles, as booleans for scripts. */
static void win_compare_set(GtkWidget *widget, const char *name, GVariant *p)
{
    TscCompareWindow *c = compare_window(TSC_VIEWER_WINDOW(widget), TRUE);
    g_object_set(c, name + strlen("win.compare-"), g_variant_get_boolean(p), NULL);
}

void _tsc_viewer_window_install_compare_actions(GtkWidgetClass *wc)
{
    static const WinAction actions[] = {
        {"win.compare-show", NULL, win_compare_show},
        {"win.compare-open", "(ss)", win_compare_forward},
        {"win.compare-open-side", "(ss)", win_compare_forward},
        {"win.compare-choose-pacs", "s", win_compare_forward},
        {"win.compare-confirm-patient", "b", win_compare_forward},
        {"win.compare-goto", "(si)", win_compare_forward},
        {"win.compare-step", "(si)", win_compare_forward},
        {"win.compare-series", "(si)", win_compare_forward},
        {"win.compare-window", "(sdd)", win_compare_forward},
        {"win.compare-zoom", "(sd)", win_compare_forward},
        {"win.compare-export", "s", win_compare_forward},
        {"win.compare-cancel", NULL, win_compare_forward},
        {"win.compare-close", NULL, win_compare_close},
        {"win.compare-sync-scroll", "b", win_compare_set},
        {"win.compare-link-window", "b", win_compare_set},
        {"win.compare-link-zoom", "b", win_compare_set},
    };
    install_win_actions(wc, actions, G_N_ELEMENTS(actions));
}

void _tsc_viewer_window_write_compare_state(GtkWidget *window, GKeyFile *kf)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(window));
    TscCompareWindow *c = compare_window(TSC_VIEWER_WINDOW(window), FALSE);
    if (c) tsc_compare_window_write_state(c, kf);
    else g_key_file_set_boolean(kf, "compare", "open", FALSE);
}

gboolean _tsc_viewer_window_compare_idle(GtkWidget *window)
{
    g_return_val_if_fail(TSC_IS_VIEWER_WINDOW(window), TRUE);
    TscCompareWindow *c = compare_window(TSC_VIEWER_WINDOW(window), FALSE);
    return !c || tsc_compare_window_is_idle(c);
}
