/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-pacs"
#include "pacs_nodes_window.h"

#include <string.h>

#include "viewer_desktop.h"
#include "viewer_pacs.h"

struct _TscPacsNodesWindow {
    GtkWindow parent_instance;
    GtkListBox *node_list;
    GtkEditable *name_entry, *ae_entry, *host_entry, *our_ae_entry;
    GtkSpinButton *port_spin, *timeout_spin;
    GtkSwitch *tls_switch;
    GtkEditable *ca_entry, *cert_entry, *key_entry;
    GtkWidget *ca_button, *cert_button, *key_button;
    GtkCheckButton *get_check, *move_check;
    GtkSpinButton *move_port_spin;
    GtkEditable *move_address_entry;
    GtkLabel *result_label;
    GtkWidget *remove_button, *test_button, *save_button;
    TscViewerPrefs *prefs;
    GPtrArray *nodes;
    GCancellable *echo_cancellable;
    /* The open file chooser of a Browse button (one at a time), and the
     * entry it fills. */
    GtkFileChooserNative *chooser;
    GtkEditable *chooser_entry;
};

G_DEFINE_FINAL_TYPE(TscPacsNodesWindow, tsc_pacs_nodes_window, GTK_TYPE_WINDOW)

static void say(TscPacsNodesWindow *self, const char *css, const char *text)
{
    gtk_widget_remove_css_class(GTK_WIDGET(self->result_label), "error");
    gtk_widget_remove_css_class(GTK_WIDGET(self->result_label), "success");
    if (css) gtk_widget_add_css_class(GTK_WIDGET(self->result_label), css);
    gtk_label_set_text(self->result_label, text);
}

static void reload(TscPacsNodesWindow *self)
{
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->node_list))) &&
           GTK_IS_LIST_BOX_ROW(child))
        gtk_list_box_remove(self->node_list, child);
    g_clear_pointer(&self->nodes, g_ptr_array_unref);
    self->nodes = tsc_viewer_pacs_dup_nodes(self->prefs);
    for (guint i = 0; i < self->nodes->len; i++) {
        const TscViewerPacsNode *n = g_ptr_array_index(self->nodes, i);
        g_autofree char *text =
            g_strdup_printf("%s \xe2\x80\x94 %s at %s:%d%s%s%s", n->name, n->called_ae, n->host,
                            n->port, n->tls ? " over TLS" : "", n->move ? ", C-MOVE" : "",
                            n->from_env ? " (this session only)" : "");
        GtkWidget *l = gtk_label_new(text);
        gtk_label_set_xalign(GTK_LABEL(l), 0);
        gtk_widget_set_margin_start(l, 8);
        gtk_widget_set_margin_top(l, 6);
        gtk_widget_set_margin_bottom(l, 6);
        gtk_list_box_append(self->node_list, l);
    }
}

/* The node the fields describe. */
static TscViewerPacsNode form_node(TscPacsNodesWindow *self)
{
    TscViewerPacsNode n = {
        .name = (char *)gtk_editable_get_text(self->name_entry),
        .called_ae = (char *)gtk_editable_get_text(self->ae_entry),
        .host = (char *)gtk_editable_get_text(self->host_entry),
        .calling_ae = (char *)gtk_editable_get_text(self->our_ae_entry),
        .port = gtk_spin_button_get_value_as_int(self->port_spin),
        .timeout_s = gtk_spin_button_get_value_as_int(self->timeout_spin),
        .tls = gtk_switch_get_active(self->tls_switch),
        .tls_ca_file = (char *)gtk_editable_get_text(self->ca_entry),
        .tls_cert_file = (char *)gtk_editable_get_text(self->cert_entry),
        .tls_key_file = (char *)gtk_editable_get_text(self->key_entry),
        .move = gtk_check_button_get_active(self->move_check),
        .move_port = gtk_spin_button_get_value_as_int(self->move_port_spin),
        .move_address = (char *)gtk_editable_get_text(self->move_address_entry),
    };
    return n;
}

static void on_row_selected(TscPacsNodesWindow *self, GtkListBoxRow *row)
{
    int i = row ? gtk_list_box_row_get_index(row) : -1;
    const TscViewerPacsNode *n =
        i >= 0 && (guint)i < self->nodes->len ? g_ptr_array_index(self->nodes, i) : NULL;
    gtk_widget_set_sensitive(self->remove_button, n && !n->from_env);
    if (!n) return;
    gtk_editable_set_text(self->name_entry, n->name);
    gtk_editable_set_text(self->ae_entry, n->called_ae);
    gtk_editable_set_text(self->host_entry, n->host);
    gtk_editable_set_text(self->our_ae_entry, n->calling_ae);
    gtk_spin_button_set_value(self->port_spin, n->port);
    gtk_spin_button_set_value(self->timeout_spin, n->timeout_s > 0 ? n->timeout_s : 30);
    gtk_switch_set_active(self->tls_switch, n->tls);
    gtk_editable_set_text(self->ca_entry, n->tls_ca_file ? n->tls_ca_file : "");
    gtk_editable_set_text(self->cert_entry, n->tls_cert_file ? n->tls_cert_file : "");
    gtk_editable_set_text(self->key_entry, n->tls_key_file ? n->tls_key_file : "");
    gtk_check_button_set_active(n->move ? self->move_check : self->get_check, TRUE);
    gtk_spin_button_set_value(self->move_port_spin, n->move_port > 0 ? n->move_port : 11112);
    gtk_editable_set_text(self->move_address_entry, n->move_address ? n->move_address : "");
    say(self, NULL, "");
}

static void on_save(TscPacsNodesWindow *self)
{
    TscViewerPacsNode n = form_node(self);
    g_autoptr(GError) error = NULL;
    if (!tsc_viewer_pacs_save_node(self->prefs, &n, &error)) {
        say(self, "error", error->message);
        return;
    }
    tsc_viewer_pacs_set_chosen(self->prefs, n.name);
    reload(self);
    g_autofree char *text = g_strdup_printf("%s saved.", n.name);
    say(self, NULL, text);
}

static void on_remove(TscPacsNodesWindow *self)
{
    GtkListBoxRow *row = gtk_list_box_get_selected_row(self->node_list);
    int i = row ? gtk_list_box_row_get_index(row) : -1;
    if (i < 0 || (guint)i >= self->nodes->len) return;
    g_autofree char *name =
        g_strdup(((TscViewerPacsNode *)g_ptr_array_index(self->nodes, i))->name);
    tsc_viewer_pacs_remove_node(self->prefs, name);
    reload(self);
    g_autofree char *text = g_strdup_printf("%s removed.", name);
    say(self, NULL, text);
}

typedef struct {
    GWeakRef win;
    char *what;
} EchoCtx;

static void on_echoed(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    EchoCtx *c = data;
    g_autoptr(GError) error = NULL;
    gboolean ok = tsc_viewer_pacs_echo_finish(res, &error);
    g_autoptr(TscPacsNodesWindow) self = g_weak_ref_get(&c->win);
    if (self && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        gtk_widget_set_sensitive(self->test_button, TRUE);
        g_autofree char *text =
            ok ? g_strdup_printf("%s answers: the connection works.", c->what)
               : g_strdup_printf("No connection to %s: %s", c->what, error->message);
        say(self, ok ? "success" : "error", text);
    }
    g_weak_ref_clear(&c->win);
    g_free(c->what);
    g_free(c);
}

static void on_test(TscPacsNodesWindow *self)
{
    TscViewerPacsNode n = form_node(self);
    if (!*n.host || !*n.called_ae) {
        say(self, "error", "Enter the node's AE title and host to test the connection.");
        return;
    }
    EchoCtx *c = g_new0(EchoCtx, 1);
    g_weak_ref_init(&c->win, self);
    c->what =
        g_strdup_printf("%s at %s:%d%s", n.called_ae, n.host, n.port, n.tls ? " over TLS" : "");
    g_autofree char *text = g_strdup_printf("Testing %s\xe2\x80\xa6", c->what);
    say(self, NULL, text);
    gtk_widget_set_sensitive(self->test_button, FALSE);
    tsc_viewer_pacs_echo_async(&n, self->echo_cancellable, on_echoed, c);
}

static void close_chooser(TscPacsNodesWindow *self)
{
    if (!self->chooser) return;
    gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
    g_clear_object(&self->chooser);
    self->chooser_entry = NULL;
}

static void on_chosen(TscPacsNodesWindow *self, int response, GtkNativeDialog *chooser)
{
    if (chooser != GTK_NATIVE_DIALOG(self->chooser)) return;
    g_autofree char *path = tsc_viewer_chooser_dup_path(chooser, response);
    if (path) gtk_editable_set_text(self->chooser_entry, path);
    close_chooser(self);
}

/* A file chooser for a PEM file (GtkFileDialog is GTK 4.10) that fills
 * `entry`; it starts in the folder of the file named there. */
static void browse(TscPacsNodesWindow *self, GtkEditable *entry, const char *title)
{
    close_chooser(self);
    self->chooser = gtk_file_chooser_native_new(title, GTK_WINDOW(self),
                                                GTK_FILE_CHOOSER_ACTION_OPEN, "_Select", "_Cancel");
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
    self->chooser_entry = entry;
    static const char *const pem_names[] = {"*.pem", "*.crt", "*.cer", "*.key", NULL};
    g_autoptr(GtkFileFilter) pem = tsc_viewer_file_filter_new("PEM files", pem_names);
    static const char *const any[] = {"*", NULL};
    g_autoptr(GtkFileFilter) all = tsc_viewer_file_filter_new("All files", any);
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), pem);
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), all);
    const char *current = gtk_editable_get_text(entry);
    if (current && *current) {
        g_autoptr(GFile) file = g_file_new_for_path(current);
        g_autoptr(GFile) folder = g_file_get_parent(file);
        if (folder)
            gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(self->chooser), folder, NULL);
    }
    g_signal_connect_swapped(self->chooser, "response", G_CALLBACK(on_chosen), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

static void on_browse_ca(TscPacsNodesWindow *self)
{
    browse(self, self->ca_entry, "Trusted CA Certificate");
}

static void on_browse_cert(TscPacsNodesWindow *self)
{
    browse(self, self->cert_entry, "Our Certificate");
}

static void on_browse_key(TscPacsNodesWindow *self)
{
    browse(self, self->key_entry, "Our Private Key");
}

static void tsc_pacs_nodes_window_dispose(GObject *object)
{
    TscPacsNodesWindow *self = TSC_PACS_NODES_WINDOW(object);
    close_chooser(self);
    tsc_viewer_cancel_clear(&self->echo_cancellable);
    gtk_widget_dispose_template(GTK_WIDGET(self), TSC_TYPE_PACS_NODES_WINDOW);
    G_OBJECT_CLASS(tsc_pacs_nodes_window_parent_class)->dispose(object);
}

static void tsc_pacs_nodes_window_finalize(GObject *object)
{
    TscPacsNodesWindow *self = TSC_PACS_NODES_WINDOW(object);
    g_clear_object(&self->prefs);
    g_clear_pointer(&self->nodes, g_ptr_array_unref);
    G_OBJECT_CLASS(tsc_pacs_nodes_window_parent_class)->finalize(object);
}

static void tsc_pacs_nodes_window_class_init(TscPacsNodesWindowClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = tsc_pacs_nodes_window_dispose;
    G_OBJECT_CLASS(klass)->finalize = tsc_pacs_nodes_window_finalize;
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/pacs_nodes_window.ui");
#define CHILD(n) gtk_widget_class_bind_template_child(wc, TscPacsNodesWindow, n)
    CHILD(node_list);
    CHILD(name_entry);
    CHILD(ae_entry);
    CHILD(host_entry);
    CHILD(our_ae_entry);
    CHILD(port_spin);
    CHILD(timeout_spin);
    CHILD(tls_switch);
    CHILD(ca_entry);
    CHILD(cert_entry);
    CHILD(key_entry);
    CHILD(ca_button);
    CHILD(cert_button);
    CHILD(key_button);
    CHILD(get_check);
    CHILD(move_check);
    CHILD(move_port_spin);
    CHILD(move_address_entry);
    CHILD(result_label);
    CHILD(remove_button);
    CHILD(test_button);
    CHILD(save_button);
#undef CHILD
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void tsc_pacs_nodes_window_init(TscPacsNodesWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->echo_cancellable = g_cancellable_new();
    g_signal_connect_swapped(self->node_list, "row-selected", G_CALLBACK(on_row_selected), self);
    g_signal_connect_swapped(self->save_button, "clicked", G_CALLBACK(on_save), self);
    g_signal_connect_swapped(self->remove_button, "clicked", G_CALLBACK(on_remove), self);
    g_signal_connect_swapped(self->test_button, "clicked", G_CALLBACK(on_test), self);
    g_signal_connect_swapped(self->ca_button, "clicked", G_CALLBACK(on_browse_ca), self);
    g_signal_connect_swapped(self->cert_button, "clicked", G_CALLBACK(on_browse_cert), self);
    g_signal_connect_swapped(self->key_button, "clicked", G_CALLBACK(on_browse_key), self);
}

TscPacsNodesWindow *tsc_pacs_nodes_window_new(GtkWindow *parent, TscViewerPrefs *prefs)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(prefs), NULL);
    TscPacsNodesWindow *self = g_object_new(TSC_TYPE_PACS_NODES_WINDOW, "transient-for", parent,
                                            "destroy-with-parent", TRUE, NULL);
    self->prefs = g_object_ref(prefs);
    reload(self);
    return self;
}

void tsc_pacs_nodes_window_test_node(TscPacsNodesWindow *self, const char *name)
{
    g_return_if_fail(TSC_IS_PACS_NODES_WINDOW(self));
    for (guint i = 0; i < self->nodes->len; i++)
        if (g_strcmp0(((TscViewerPacsNode *)g_ptr_array_index(self->nodes, i))->name, name) == 0)
            gtk_list_box_select_row(self->node_list,
                                    gtk_list_box_get_row_at_index(self->node_list, (int)i));
    on_test(self);
}

/* The form's text fields by their script key. */
static GtkEditable *field_entry(TscPacsNodesWindow *self, const char *key)
{
    const struct {
        const char *key;
        GtkEditable *entry;
    } fields[] = {
        {"name", self->name_entry},    {"ae", self->ae_entry},
        {"host", self->host_entry},    {"our-ae", self->our_ae_entry},
        {"ca-file", self->ca_entry},   {"cert-file", self->cert_entry},
        {"key-file", self->key_entry}, {"move-address", self->move_address_entry},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        if (strcmp(fields[i].key, key) == 0) return fields[i].entry;
    return NULL;
}

static GtkSpinButton *field_spin(TscPacsNodesWindow *self, const char *key)
{
    if (strcmp(key, "port") == 0) return self->port_spin;
    if (strcmp(key, "timeout") == 0) return self->timeout_spin;
    if (strcmp(key, "move-port") == 0) return self->move_port_spin;
    return NULL;
}

void tsc_pacs_nodes_window_save_fields(TscPacsNodesWindow *self, GVariant *fields)
{
    g_return_if_fail(TSC_IS_PACS_NODES_WINDOW(self));
    g_return_if_fail(g_variant_is_of_type(fields, G_VARIANT_TYPE("a{ss}")));
    GVariantIter it;
    const char *key, *value;
    g_variant_iter_init(&it, fields);
    while (g_variant_iter_next(&it, "{&s&s}", &key, &value)) {
        GtkEditable *entry = field_entry(self, key);
        GtkSpinButton *spin = field_spin(self, key);
        if (entry) gtk_editable_set_text(entry, value);
        else if (spin) gtk_spin_button_set_value(spin, g_ascii_strtod(value, NULL));
        else if (strcmp(key, "tls") == 0)
            gtk_switch_set_active(self->tls_switch, strcmp(value, "true") == 0);
        else if (strcmp(key, "retrieve") == 0)
            gtk_check_button_set_active(
                strcmp(value, "move") == 0 ? self->move_check : self->get_check, TRUE);
        else
            g_warning("pacs-save-node: no field '%s' (name, ae, host, port, our-ae, timeout, tls, "
                      "ca-file, cert-file, key-file, retrieve, move-port, move-address)",
                      key);
    }
    on_save(self);
}

const char *tsc_pacs_nodes_window_get_result(TscPacsNodesWindow *self)
{
    g_return_val_if_fail(TSC_IS_PACS_NODES_WINDOW(self), NULL);
    return gtk_label_get_text(self->result_label);
}

gboolean tsc_pacs_nodes_window_get_testing(TscPacsNodesWindow *self)
{
    g_return_val_if_fail(TSC_IS_PACS_NODES_WINDOW(self), FALSE);
    return !gtk_widget_get_sensitive(self->test_button);
}
