/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-findings"
#include "probability_row.h"

#include "tsc_format.h"

struct _TscProbabilityRow {
    GtkBox parent_instance;
    GtkLabel *name, *percent;
    GtkLevelBar *bar;
};

G_DEFINE_FINAL_TYPE(TscProbabilityRow, tsc_probability_row, GTK_TYPE_BOX)

GtkWidget *tsc_probability_row_new(void)
{
    return g_object_new(TSC_TYPE_PROBABILITY_ROW, NULL);
}

void tsc_probability_row_set(TscProbabilityRow *self, const char *name, guint32 rgb, gboolean top, double p)
{
    g_return_if_fail(TSC_IS_PROBABILITY_ROW(self));
    g_return_if_fail(name != NULL);
    g_autofree char *esc = g_markup_escape_text(name, -1);
    g_autofree char *markup = g_strdup_printf("<span foreground='#%06X'>\xe2\x96\xa0</span> %s%s%s",
                                              rgb & 0xffffffu, top ? "<b>" : "", esc, top ? "</b>" : "");
    gtk_label_set_markup(self->name, markup);
    gtk_level_bar_set_value(self->bar, CLAMP(p, 0, 1));
    char pct[16];
    gtk_label_set_text(self->percent, tsc_format_percent(p, pct, sizeof pct));
}

GtkWidget *tsc_probability_row_get_name_label(TscProbabilityRow *self)
{
    g_return_val_if_fail(TSC_IS_PROBABILITY_ROW(self), NULL);
    return GTK_WIDGET(self->name);
}

static void tsc_probability_row_class_init(TscProbabilityRowClass *klass)
{
    GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
    gtk_widget_class_set_template_from_resource(wc, "/org/tumorscope/Viewer/probability_row.ui");
    gtk_widget_class_bind_template_child(wc, TscProbabilityRow, name);
    gtk_widget_class_bind_template_child(wc, TscProbabilityRow, percent);
    gtk_widget_class_bind_template_child(wc, TscProbabilityRow, bar);
}

static void tsc_probability_row_init(TscProbabilityRow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    /* A plain bar: no low/high/full colours that would read as a judgement. */
    gtk_level_bar_remove_offset_value(self->bar, GTK_LEVEL_BAR_OFFSET_LOW);
    gtk_level_bar_remove_offset_value(self->bar, GTK_LEVEL_BAR_OFFSET_HIGH);
    gtk_level_bar_remove_offset_value(self->bar, GTK_LEVEL_BAR_OFFSET_FULL);
}
