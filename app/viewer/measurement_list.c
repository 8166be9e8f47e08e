/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-measure"
#include "measurement_list.h"

struct _TscMeasurementList {
    GtkBox parent_instance;
    GtkWidget *rows;
    TscMeasurements *store;
    gulong changed_handler;
    char *unit;
};

G_DEFINE_FINAL_TYPE(TscMeasurementList, tsc_measurement_list, GTK_TYPE_BOX)

static GtkWidget *row_button(const char *icon, const char *tip, const char *action,
                             GVariant *target)
{
    GtkWidget *b = gtk_button_new_from_icon_name(icon);
    gtk_widget_set_tooltip_text(b, tip);
    gtk_widget_set_valign(b, GTK_ALIGN_CENTER);
    gtk_widget_set_focus_on_click(b, FALSE);
    gtk_widget_add_css_class(b, "flat");
    gtk_actionable_set_action_name(GTK_ACTIONABLE(b), action);
    gtk_actionable_set_action_target_value(GTK_ACTIONABLE(b), target);
    return b;
}

/* Few rows, changed by a hand's gesture: rebuilt whole. */
static void rebuild(TscMeasurementList *self)
{
    GtkWidget *c;
    while ((c = gtk_widget_get_first_child(self->rows))) gtk_box_remove(GTK_BOX(self->rows), c);
    gsize n = self->store ? tsc_measurements_get_n(self->store) : 0;
    for (gsize i = 0; i < n; i++) {
        const TscMeasurement *m = tsc_measurements_get(self->store, i);
        g_autofree char *summary = tsc_measurement_dup_summary(m, self->unit);
        g_autofree char *text =
            g_strdup_printf("%u \xc2\xb7 Slice %zu \xc2\xb7 %s", m->id, m->slice + 1, summary);
        GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
        GtkWidget *l = gtk_label_new(text);
        gtk_label_set_xalign(GTK_LABEL(l), 0);
        gtk_label_set_wrap(GTK_LABEL(l), TRUE);
        gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
        gtk_widget_set_hexpand(l, TRUE);
        gtk_box_append(GTK_BOX(row), l);
        gtk_box_append(GTK_BOX(row),
                       row_button("find-location-symbolic", "Go to its slice", "win.goto-slice",
                                  g_variant_new_int32((gint32)m->slice)));
        gtk_box_append(GTK_BOX(row),
                       row_button("user-trash-symbolic", "Delete this measurement",
                                  "win.delete-measurement", g_variant_new_int32((gint32)m->id)));
        gtk_box_append(GTK_BOX(self->rows), row);
    }
    gtk_widget_set_visible(GTK_WIDGET(self), n > 0);
}

static void on_changed(TscMeasurements *store, TscMeasurementList *self)
{
    (void)store;
    rebuild(self);
}

void tsc_measurement_list_set_store(TscMeasurementList *self, TscMeasurements *store)
{
    g_return_if_fail(TSC_IS_MEASUREMENT_LIST(self));
    if (self->store) g_signal_handler_disconnect(self->store, self->changed_handler);
    g_set_object(&self->store, store);
    self->changed_handler =
        store ? g_signal_connect(store, "changed", G_CALLBACK(on_changed), self) : 0;
    rebuild(self);
}

void tsc_measurement_list_set_unit(TscMeasurementList *self, const char *unit)
{
    g_return_if_fail(TSC_IS_MEASUREMENT_LIST(self));
    if (g_strcmp0(unit, self->unit) == 0) return;
    g_free(self->unit);
    self->unit = g_strdup(unit);
    rebuild(self);
}

int tsc_measurement_list_n_rows(TscMeasurementList *self)
{
    g_return_val_if_fail(TSC_IS_MEASUREMENT_LIST(self), 0);
    int n = 0;
    for (GtkWidget *c = gtk_widget_get_first_child(self->rows); c;
         c = gtk_widget_get_next_sibling(c))
        n++;
    return gtk_widget_get_visible(GTK_WIDGET(self)) ? n : 0;
}

const char *tsc_measurement_list_get_row_text(TscMeasurementList *self, int i)
{
    g_return_val_if_fail(TSC_IS_MEASUREMENT_LIST(self), "");
    for (GtkWidget *c = gtk_widget_get_first_child(self->rows); c;
         c = gtk_widget_get_next_sibling(c))
        if (i-- == 0) return gtk_label_get_text(GTK_LABEL(gtk_widget_get_first_child(c)));
    return "";
}

static void tsc_measurement_list_dispose(GObject *object)
{
    TscMeasurementList *self = TSC_MEASUREMENT_LIST(object);
    if (self->store) g_signal_handler_disconnect(self->store, self->changed_handler);
    g_clear_object(&self->store);
    gtk_widget_dispose_template(GTK_WIDGET(self), TSC_TYPE_MEASUREMENT_LIST);
    G_OBJECT_CLASS(tsc_measurement_list_parent_class)->dispose(object);
}

static void tsc_measurement_list_finalize(GObject *object)
{
    g_free(TSC_MEASUREMENT_LIST(object)->unit);
    G_OBJECT_CLASS(tsc_measurement_list_parent_class)->finalize(object);
}

static void tsc_measurement_list_class_init(TscMeasurementListClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    G_OBJECT_CLASS(klass)->dispose = tsc_measurement_list_dispose;
    G_OBJECT_CLASS(klass)->finalize = tsc_measurement_list_finalize;
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/measurement_list.ui");
    gtk_widget_class_bind_template_child(wc, TscMeasurementList, rows);
}

static void tsc_measurement_list_init(TscMeasurementList *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}
