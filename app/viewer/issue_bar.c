/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "issue_bar.h"

#include <string.h>

#include "viewer_desktop.h"
typedef struct {
    GtkMessageType type;
    char *title, *details;
    gboolean quiet, sticky;
} Issue;

struct _TscIssueBar {
    GtkWidget parent_instance;
    GtkInfoBar *info_bar;
    GtkLabel *info_title, *info_details;
    GtkExpander *info_expander;
    GtkWidget *info_open_folder;
    GHashTable *issues; /* id -> Issue */
    char **order;
    char *folder;
};

G_DEFINE_FINAL_TYPE(TscIssueBar, tsc_issue_bar, GTK_TYPE_WIDGET)

static void issue_free(gpointer p)
{
    Issue *i = p;
    g_free(i->title);
    g_free(i->details);
    g_free(i);
}

static void refresh(TscIssueBar *self)
{
    GtkMessageType type = GTK_MESSAGE_INFO;
    g_autoptr(GString) title = g_string_new(NULL);
    g_autoptr(GString) details = g_string_new(NULL);
    for (int k = 0; self->order && self->order[k]; k++) {
        Issue *i = g_hash_table_lookup(self->issues, self->order[k]);
        if (!i || i->quiet) continue;
        if (i->type == GTK_MESSAGE_ERROR || (i->type == GTK_MESSAGE_WARNING && type != GTK_MESSAGE_ERROR))
            type = i->type;
        g_autofree char *esc = g_markup_escape_text(i->title, -1);
        g_string_append_printf(title, "%s<b>%s</b>", title->len ? "\n" : "", esc);
        if (i->details && *i->details)
            g_string_append_printf(details, "%s%s", details->len ? "\n\n" : "", i->details);
    }
    gboolean any = title->len > 0;
    for (int k = 0; self->order && self->order[k]; k++) {
        Issue *i = g_hash_table_lookup(self->issues, self->order[k]);
        if (!i || !i->quiet) continue;
        g_string_append_printf(details, "%s%s%s%s", details->len ? "\n\n" : "", i->title,
                               i->details && *i->details ? "\n" : "", i->details ? i->details : "");
    }
    gtk_info_bar_set_message_type(self->info_bar, type);
    gtk_label_set_markup(self->info_title, title->str);
    gtk_label_set_text(self->info_details, details->str);
    gtk_widget_set_visible(GTK_WIDGET(self->info_expander), details->len > 0);
    gtk_widget_set_visible(self->info_open_folder, self->folder && g_hash_table_contains(self->issues, "export"));
    gtk_info_bar_set_revealed(self->info_bar, any);
}

static void put(TscIssueBar *self, const char *id, GtkMessageType type, const char *title, const char *details,
                gboolean quiet, gboolean sticky)
{
    g_return_if_fail(TSC_IS_ISSUE_BAR(self));
    g_return_if_fail(id != NULL);
    if (!title) {
        /* Clearing an absent issue must not restyle the bar. */
        if (!g_hash_table_remove(self->issues, id)) return;
    } else {
        Issue *i = g_new0(Issue, 1);
        i->type = type;
        i->title = g_strdup(title);
        i->details = g_strdup(details);
        i->quiet = quiet;
        i->sticky = sticky;
        g_hash_table_replace(self->issues, g_strdup(id), i);
    }
    refresh(self);
}

void tsc_issue_bar_set(TscIssueBar *self, const char *id, GtkMessageType type, const char *title,
                       const char *details)
{
    g_return_if_fail(TSC_IS_ISSUE_BAR(self));
    put(self, id, type, title, details, FALSE, FALSE);
}

void tsc_issue_bar_set_sticky(TscIssueBar *self, const char *id, GtkMessageType type, const char *title,
                              const char *details)
{
    g_return_if_fail(TSC_IS_ISSUE_BAR(self));
    put(self, id, type, title, details, FALSE, TRUE);
}

void tsc_issue_bar_set_quiet(TscIssueBar *self, const char *id, const char *title, const char *details)
{
    g_return_if_fail(title != NULL);
    put(self, id, GTK_MESSAGE_INFO, title, details, TRUE, FALSE);
}

void tsc_issue_bar_set_order(TscIssueBar *self, const char *const *ids)
{
    g_return_if_fail(TSC_IS_ISSUE_BAR(self));
    g_strfreev(self->order);
    self->order = g_strdupv((char **)ids);
    refresh(self);
}

void tsc_issue_bar_set_folder(TscIssueBar *self, const char *folder)
{
    g_return_if_fail(TSC_IS_ISSUE_BAR(self));
    g_free(self->folder);
    self->folder = g_strdup(folder);
    refresh(self);
}

char *tsc_issue_bar_dup_summary(TscIssueBar *self)
{
    g_return_val_if_fail(TSC_IS_ISSUE_BAR(self), g_strdup(""));
    GString *s = g_string_new(NULL);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, self->issues);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_string_append_printf(s, "%s%s: %s", s->len ? " | " : "", (char *)k, ((Issue *)v)->title);
    return g_string_free(s, FALSE);
}

const char *tsc_issue_bar_get_details(TscIssueBar *self)
{
    g_return_val_if_fail(TSC_IS_ISSUE_BAR(self), "");
    return gtk_label_get_text(self->info_details);
}

gboolean tsc_issue_bar_get_revealed(TscIssueBar *self)
{
    g_return_val_if_fail(TSC_IS_ISSUE_BAR(self), FALSE);
    return gtk_info_bar_get_revealed(self->info_bar);
}

GtkMessageType tsc_issue_bar_get_message_type(TscIssueBar *self)
{
    g_return_val_if_fail(TSC_IS_ISSUE_BAR(self), GTK_MESSAGE_INFO);
    return gtk_info_bar_get_message_type(self->info_bar);
}

static void on_response(GtkInfoBar *bar, int response, TscIssueBar *self)
{
    (void)bar;
    if (response != GTK_RESPONSE_CLOSE) return;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, self->issues);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (!((Issue *)value)->sticky) g_hash_table_iter_remove(&it);
    refresh(self);
}

static void on_open_folder(GtkButton *b, TscIssueBar *self)
{
    (void)b;
    tsc_viewer_show_folder(GTK_WIDGET(self), self->folder);
}

static void tsc_issue_bar_dispose(GObject *object)
{
    gtk_widget_dispose_template(GTK_WIDGET(object), TSC_TYPE_ISSUE_BAR);
    G_OBJECT_CLASS(tsc_issue_bar_parent_class)->dispose(object);
}

static void tsc_issue_bar_finalize(GObject *object)
{
    TscIssueBar *self = TSC_ISSUE_BAR(object);
    g_hash_table_unref(self->issues);
    g_strfreev(self->order);
    g_free(self->folder);
    G_OBJECT_CLASS(tsc_issue_bar_parent_class)->finalize(object);
}

static void tsc_issue_bar_class_init(TscIssueBarClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    oc->dispose = tsc_issue_bar_dispose;
    oc->finalize = tsc_issue_bar_finalize;
    gtk_widget_class_set_layout_manager_type(wc, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/issue_bar.ui");
    gtk_widget_class_bind_template_child(wc, TscIssueBar, info_bar);
    gtk_widget_class_bind_template_child(wc, TscIssueBar, info_title);
    gtk_widget_class_bind_template_child(wc, TscIssueBar, info_details);
    gtk_widget_class_bind_template_child(wc, TscIssueBar, info_expander);
    gtk_widget_class_bind_template_child(wc, TscIssueBar, info_open_folder);
    gtk_widget_class_bind_template_callback(wc, on_response);
}

static void tsc_issue_bar_init(TscIssueBar *self)
{
    self->issues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, issue_free);
    gtk_widget_init_template(GTK_WIDGET(self));
    g_signal_connect(self->info_open_folder, "clicked", G_CALLBACK(on_open_folder), self);
}
