/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-export"
#include "export_dialog.h"

#include "viewer_desktop.h"

struct _TscExportDialog {
    GtkWindow parent_instance;
    GtkCheckButton *slice_check, *series_check, *pdf_check, *dicom_check;
    GtkLabel *series_note, *folder_label;
    GtkSwitch *deidentify_switch;
    TscViewerPrefs *prefs;
    char *folder;
};

G_DEFINE_FINAL_TYPE(TscExportDialog, tsc_export_dialog, GTK_TYPE_WINDOW)

enum { SIGNAL_EXPORT, N_SIGNALS };
static guint signals[N_SIGNALS];

static void set_folder(TscExportDialog *self, const char *folder)
{
    g_free(self->folder);
    self->folder = g_strdup(folder);
    gtk_label_set_text(self->folder_label, folder);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->folder_label), folder);
}

static void on_export_clicked(TscExportDialog *self)
{
    g_signal_emit(self, signals[SIGNAL_EXPORT], 0);
}

static void on_folder_chosen(GtkNativeDialog *d, int response, gpointer data)
{
    TscExportDialog *self = data;
    g_autofree char *p = tsc_viewer_chooser_dup_path(d, response);
    if (p) {
        set_folder(self, p);
        g_object_set(self->prefs, "export-folder", p, NULL);
    }
    /* The chooser and the reference on the dialog were taken when it was shown. */
    g_object_unref(d);
    g_object_unref(self);
}

static void on_choose_clicked(TscExportDialog *self)
{
    GtkFileChooserNative *d = gtk_file_chooser_native_new("Export Folder", GTK_WINDOW(self),
                                                          GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                          "_Select", "_Cancel");
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(d), TRUE);
    g_signal_connect(d, "response", G_CALLBACK(on_folder_chosen), g_object_ref(self));
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

void tsc_export_dialog_get_spec(TscExportDialog *self, TscViewerExportSpec *spec)
{
    g_return_if_fail(TSC_IS_EXPORT_DIALOG(self));
    spec->folder = g_strdup(self->folder);
    spec->slice_png = gtk_check_button_get_active(self->slice_check);
    spec->series_png = gtk_check_button_get_active(self->series_check);
    spec->pdf = gtk_check_button_get_active(self->pdf_check);
    spec->dicom = gtk_check_button_get_active(self->dicom_check);
    spec->deidentify = gtk_switch_get_active(self->deidentify_switch);
}

static void tsc_export_dialog_dispose(GObject *object)
{
    TscExportDialog *self = TSC_EXPORT_DIALOG(object);
    g_clear_object(&self->prefs);
    gtk_widget_dispose_template(GTK_WIDGET(self), TSC_TYPE_EXPORT_DIALOG);
    G_OBJECT_CLASS(tsc_export_dialog_parent_class)->dispose(object);
}

static void tsc_export_dialog_finalize(GObject *object)
{
    g_free(TSC_EXPORT_DIALOG(object)->folder);
    G_OBJECT_CLASS(tsc_export_dialog_parent_class)->finalize(object);
}

static void tsc_export_dialog_class_init(TscExportDialogClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = tsc_export_dialog_dispose;
    G_OBJECT_CLASS(klass)->finalize = tsc_export_dialog_finalize;
    signals[SIGNAL_EXPORT] = g_signal_new("export", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 0);
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/export_dialog.ui");
    gtk_widget_class_bind_template_child(wc, TscExportDialog, slice_check);
    gtk_widget_class_bind_template_child(wc, TscExportDialog, series_check);
    gtk_widget_class_bind_template_child(wc, TscExportDialog, pdf_check);
    gtk_widget_class_bind_template_child(wc, TscExportDialog, dicom_check);
    gtk_widget_class_bind_template_child(wc, TscExportDialog, series_note);
    gtk_widget_class_bind_template_child(wc, TscExportDialog, folder_label);
    gtk_widget_class_bind_template_child(wc, TscExportDialog, deidentify_switch);
    gtk_widget_class_bind_template_callback(wc, on_export_clicked);
    gtk_widget_class_bind_template_callback(wc, on_choose_clicked);
    gtk_widget_class_add_binding_action(wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void tsc_export_dialog_init(TscExportDialog *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

TscExportDialog *tsc_export_dialog_new(GtkWindow *parent, TscViewerPrefs *prefs, gsize slice,
                                       gboolean has_series_result)
{
    g_return_val_if_fail(GTK_IS_WINDOW(parent), NULL);
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(prefs), NULL);
    /* No "application": the main window's single-key shortcuts stay there. */
    TscExportDialog *self = g_object_new(TSC_TYPE_EXPORT_DIALOG, "transient-for", parent,
                                         "destroy-with-parent", TRUE, NULL);
    self->prefs = g_object_ref(prefs);
    g_autofree char *label = g_strdup_printf("Slice %zu with its overlay and findings (PNG)", slice + 1);
    gtk_check_button_set_label(self->slice_check, label);
    gtk_widget_set_visible(GTK_WIDGET(self->series_note), !has_series_result);
    gtk_widget_set_sensitive(GTK_WIDGET(self->series_check), has_series_result);
    gtk_widget_set_sensitive(GTK_WIDGET(self->pdf_check), has_series_result);
    gtk_widget_set_sensitive(GTK_WIDGET(self->dicom_check), has_series_result);
    if (!has_series_result) {
        gtk_check_button_set_active(self->series_check, FALSE);
        gtk_check_button_set_active(self->pdf_check, FALSE);
        gtk_check_button_set_active(self->dicom_check, FALSE);
    }
    g_object_bind_property(prefs, "deidentify", self->deidentify_switch, "active",
                           G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
    g_autofree char *folder = tsc_viewer_prefs_dup_export_folder(prefs);
    set_folder(self, folder);
    return self;
}
