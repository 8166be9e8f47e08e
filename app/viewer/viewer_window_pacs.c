/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-pacs"
#include "viewer_window_pacs.h"

#include "compare_window.h"
#include "pacs_dialog.h"
#include "pacs_nodes_window.h"
#include "viewer_pacs.h"
#include "viewer_window-private.h"

/* What the window's last send did, kept on the window (object data) so that
 * the window's struct stays as it is. */
#define SEND_KEY "tsc-pacs-send"
typedef struct {
    gboolean running;
    char *outcome; /* in words */
    GCancellable *cancellable;
} SendState;

static void send_state_free(SendState *s)
{
    tsc_viewer_cancel_clear(&s->cancellable);
    g_free(s->outcome);
    g_free(s);
}

static SendState *send_state(TscViewerWindow *self)
{
    SendState *s = g_object_get_data(G_OBJECT(self), SEND_KEY);
    if (!s) {
        s = g_new0(SendState, 1);
        g_object_set_data_full(G_OBJECT(self), SEND_KEY, s, (GDestroyNotify)send_state_free);
    }
    return s;
}

static gboolean plugin_ready(void)
{
    return tsc_pacs_dialog_available();
}

/* ---- open from PACS ----------------------------------------------------------- */

static void on_dialog_open(TscPacsDialog *dialog, const char *folder, gpointer data)
{
    (void)dialog;
    TscViewerWindow *self = data;
    const char *paths[] = {folder, NULL};
    tsc_viewer_window_open(self, paths);
}

static TscPacsDialog *show_dialog(TscViewerWindow *self)
{
    TscPacsDialog *d = tsc_viewer_find_transient(self, TSC_TYPE_PACS_DIALOG);
    if (!d) {
        d = tsc_pacs_dialog_new(GTK_WINDOW(self), self->prefs);
        g_signal_connect_object(d, "open", G_CALLBACK(on_dialog_open), self, 0);
    }
    gtk_window_present(GTK_WINDOW(d));
    return d;
}

/* The dialog that scripts drive (pacs-search, pacs-more, pacs-retrieve,
 * write-state): the one the comparison window opened for one of its sides
 * when there is one (it is modal over that window, so it is the one on
 * screen), else the window's own (NULL when neither is open). */
static TscPacsDialog *scripted_dialog(TscViewerWindow *self)
{
    GtkWindow *compare = tsc_viewer_find_transient(self, TSC_TYPE_COMPARE_WINDOW);
    TscPacsDialog *d = compare ? tsc_viewer_find_transient(compare, TSC_TYPE_PACS_DIALOG) : NULL;
    return d ? d : tsc_viewer_find_transient(self, TSC_TYPE_PACS_DIALOG);
}

/* ---- send results ------------------------------------------------------------- */

static void on_send_progress(GObject *target, gsize done, gsize total, gpointer data)
{
    (void)data;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(target);
    if (!send_state(self)->running) return;
    g_autofree char *text =
        g_strdup_printf("Sending results to PACS\xe2\x80\xa6 %zu of %zu objects", done, total);
    _tsc_viewer_window_show_toast(self, text, FALSE);
}

static void on_sent(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    g_autoptr(TscViewerWindow) self = tsc_viewer_weak_end(data);
    g_autoptr(GError) error = NULL;
    g_autofree char *summary = NULL;
    gsize n = tsc_viewer_pacs_send_finish(res, &summary, &error);
    if (!self) return;
    SendState *s = send_state(self);
    s->running = FALSE;
    g_clear_object(&s->cancellable);
    g_free(s->outcome);
    if (error) {
        s->outcome = g_strdup(error->message);
        _tsc_viewer_window_hide_toast(self);
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            tsc_issue_bar_set(self->issue_bar, "pacs", GTK_MESSAGE_INFO, error->message, NULL);
        else
            tsc_issue_bar_set(self->issue_bar, "pacs", GTK_MESSAGE_ERROR,
                              "The results could not be sent to the PACS.", error->message);
        return;
    }
    s->outcome = g_strdup_printf("%zu objects stored (%s)", n, summary);
    g_autofree char *text = g_strdup_printf("Results sent to PACS: %s", s->outcome);
    tsc_issue_bar_set(self->issue_bar, "pacs", 0, NULL, NULL);
    _tsc_viewer_window_show_toast(self, text, FALSE);
}

static void send_results(TscViewerWindow *self, const char *node_name)
{
    if (!plugin_ready()) return;
    SendState *s = send_state(self);
    if (s->running) return;
    const char *problem = NULL;
    int method = current_method(self);
    TscViewerSeriesRef *ref =
        self->have_series ? tsc_viewer_study_ref_series_result(self->study, method, self->series)
                          : NULL;
    g_autoptr(TscViewerPacsNode) node = tsc_viewer_pacs_dup_node(self->prefs, node_name);
    if (!self->have_series)
        problem = "Open a study and analyse a series before sending results to the PACS.";
    else if (!ref)
        problem = "Analyse the whole series first (Analyse Series): the PACS gets the series' SEG, "
                  "SR, images and report.";
    else if (!node)
        problem = node_name && *node_name
                      ? "No PACS node has that name: check Preferences \xe2\x86\x92 PACS nodes."
                      : "Add a PACS node in Preferences \xe2\x86\x92 PACS nodes first.";
    if (problem) {
        tsc_issue_bar_set(self->issue_bar, "pacs", GTK_MESSAGE_WARNING, problem, NULL);
        g_free(s->outcome);
        s->outcome = g_strdup(problem);
        if (ref) tsc_viewer_series_ref_release(ref);
        return;
    }
    s->running = TRUE;
    g_clear_pointer(&s->outcome, g_free);
    s->cancellable = g_cancellable_new();
    g_autofree char *text = g_strdup_printf("Sending results to %s\xe2\x80\xa6", node->name);
    _tsc_viewer_window_show_toast(self, text, FALSE);
    tsc_viewer_pacs_send_async(node, self->study, model_for(self, method), self->series, ref,
                               tsc_viewer_progress_new(G_OBJECT(self), on_send_progress, NULL),
                               s->cancellable, on_sent, tsc_viewer_weak_new(self));
    tsc_viewer_series_ref_release(ref);
}

/* ---- actions ------------------------------------------------------------------ */

#define PACS_ACTION(fn) static void fn(GtkWidget *widget, const char *name, GVariant *p)

PACS_ACTION(win_pacs_dialog)
{
    (void)name;
    (void)p;
    if (plugin_ready()) show_dialog(TSC_VIEWER_WINDOW(widget));
}
PACS_ACTION(win_pacs_search)
{
    (void)name;
    if (!plugin_ready()) return;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    TscPacsDialog *d = scripted_dialog(self);
    tsc_pacs_dialog_search(d ? d : show_dialog(self), p);
}
PACS_ACTION(win_pacs_more)
{
    (void)name;
    (void)p;
    TscPacsDialog *d = scripted_dialog(TSC_VIEWER_WINDOW(widget));
    if (d) tsc_pacs_dialog_more(d);
}
PACS_ACTION(win_pacs_retrieve)
{
    (void)name;
    TscPacsDialog *d = scripted_dialog(TSC_VIEWER_WINDOW(widget));
    if (d) tsc_pacs_dialog_retrieve(d, g_variant_get_int32(p));
}
PACS_ACTION(win_pacs_send)
{
    TscViewerWindow *self = TSC_VIEWER_WINDOW(widget);
    /* Wait for a study being opened, like the other commands. */
    if (tsc_viewer_window_defer(self, name, p)) return;
    send_results(self, g_variant_get_string(p, NULL));
}
static TscPacsNodesWindow *show_nodes_window(TscViewerWindow *self)
{
    TscPacsNodesWindow *w = tsc_viewer_find_transient(self, TSC_TYPE_PACS_NODES_WINDOW);
    if (!w) w = tsc_pacs_nodes_window_new(GTK_WINDOW(self), self->prefs);
    gtk_window_present(GTK_WINDOW(w));
    return w;
}
PACS_ACTION(win_pacs_nodes)
{
    (void)name;
    (void)p;
    if (plugin_ready()) show_nodes_window(TSC_VIEWER_WINDOW(widget));
}
PACS_ACTION(win_pacs_save_node)
{
    (void)name;
    if (plugin_ready())
        tsc_pacs_nodes_window_save_fields(show_nodes_window(TSC_VIEWER_WINDOW(widget)), p);
}
PACS_ACTION(win_pacs_test_connection)
{
    (void)name;
    if (plugin_ready())
        tsc_pacs_nodes_window_test_node(show_nodes_window(TSC_VIEWER_WINDOW(widget)),
                                        g_variant_get_string(p, NULL));
}

void _tsc_viewer_window_install_pacs_actions(GtkWidgetClass *wc)
{
    static const WinAction actions[] = {
        {"win.pacs-dialog", NULL, win_pacs_dialog},
        {"win.pacs-search", "a{ss}", win_pacs_search},
        {"win.pacs-more", NULL, win_pacs_more},
        {"win.pacs-retrieve", "i", win_pacs_retrieve},
        {"win.pacs-send", "s", win_pacs_send},
        {"win.pacs-nodes", NULL, win_pacs_nodes},
        {"win.pacs-save-node", "a{ss}", win_pacs_save_node},
        {"win.pacs-test-connection", "s", win_pacs_test_connection},
    };
    install_win_actions(wc, actions, G_N_ELEMENTS(actions));
}

void _tsc_viewer_window_write_pacs_state(GtkWidget *window, GKeyFile *kf)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(window));
    TscViewerWindow *self = TSC_VIEWER_WINDOW(window);
    TscPacsDialog *d = scripted_dialog(self);
    if (d) tsc_pacs_dialog_write_state(d, kf);
    else g_key_file_set_boolean(kf, "pacs", "dialog", FALSE);
    TscPacsNodesWindow *nw = tsc_viewer_find_transient(self, TSC_TYPE_PACS_NODES_WINDOW);
    g_key_file_set_string(kf, "pacs", "nodes-result",
                          nw ? tsc_pacs_nodes_window_get_result(nw) : "");
    g_key_file_set_boolean(kf, "pacs", "nodes-testing",
                           nw && tsc_pacs_nodes_window_get_testing(nw));
    SendState *s = send_state(self);
    g_key_file_set_boolean(kf, "pacs", "sending", s->running);
    g_key_file_set_string(kf, "pacs", "send-outcome", s->outcome ? s->outcome : "");
}
