/* SPDX-License-Identifier: BSD-3-Clause */
/* write-state's [compare] groups (no patient identifiers). */
#define G_LOG_DOMAIN "tsc-viewer-compare"
#include "compare_window-private.h"

#include "compare_report.h"

/* The labels of a menu and of its sections, in order, joined by " | ". */
static void append_menu_labels(GMenuModel *m, GString *out)
{
    for (int i = 0; m && i < g_menu_model_get_n_items(m); i++) {
        g_autofree char *label = NULL;
        if (g_menu_model_get_item_attribute(m, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
            g_string_append_printf(out, "%s%s", out->len ? " | " : "", label);
        g_autoptr(GMenuModel) section = g_menu_model_get_item_link(m, i, G_MENU_LINK_SECTION);
        append_menu_labels(section, out);
    }
}

/* A viewport's state: what is on screen, read back from the widgets. */
static void write_side_state(TscCompareWindow *self, int i, GKeyFile *kf)
{
    Side *s = &self->side[i];
    const char *g = i ? "compare-followup" : "compare-baseline";
    g_key_file_set_boolean(kf, g, "open", s->study != NULL);
    /* Its "Open …" menu, as the main window's recent-menu: folder names. */
    g_autoptr(GString) menu = g_string_new(NULL);
    append_menu_labels(gtk_menu_button_get_menu_model(s->open), menu);
    g_key_file_set_string(kf, g, "open-menu", menu->str);
    g_key_file_set_string(kf, g, "error", s->error ? s->error : "");
    g_key_file_set_boolean(kf, g, "analysing", s->analysing);
    g_key_file_set_boolean(kf, g, "analysed", side_result(self, s) != NULL);
    /* The label's role and date only: the rest names the patient. */
    g_auto(GStrv) title = g_strsplit(gtk_label_get_text(s->title), " \xc2\xb7 ", 3);
    g_key_file_set_string(kf, g, "title-role", title[0] ? title[0] : "");
    g_key_file_set_string(kf, g, "title-date", title[0] && title[1] ? title[1] : "");
    g_key_file_set_boolean(kf, g, "title-names-patient",
                           title[0] && title[1] && title[2] && !strstr(title[2], "hidden"));
    const char *edits = side_edits(self, s);
    const tsc_series_result *sr = side_result(self, s);
    g_key_file_set_string(kf, g, "edits", edits ? edits : "");
    g_key_file_set_boolean(kf, g, "edited", sr && tsc_viewer_api()->series_result_is_edited(sr));
    g_key_file_set_boolean(kf, g, "title-says-edited",
                           strstr(gtk_label_get_text(s->title), "edited by") != NULL);
    if (!s->have_series) return;
    g_key_file_set_integer(kf, g, "series", (int)s->series);
    g_key_file_set_integer(kf, g, "slice", (int)s->slice);
    g_key_file_set_integer(kf, g, "slices", (int)side_series(s)->n_slices);
    const tsc_dicom_slice_info *si = side_slice(s, s->slice);
    if (si->has_geometry) g_key_file_set_double(kf, g, "position-mm", si->location);
    g_key_file_set_string(kf, g, "position-label", gtk_label_get_text(s->position));
    TscViewerImage *im = tsc_slice_view_get_image(s->view);
    g_key_file_set_integer(kf, g, "image-slice", im ? (int)im->slice : -1);
    g_key_file_set_boolean(kf, g, "overlay", tsc_slice_view_get_result(s->view) != NULL);
    double c, w;
    tsc_slice_view_get_window(s->view, &c, &w);
    g_key_file_set_double(kf, g, "window-center", c);
    g_key_file_set_double(kf, g, "window-width", w);
    double zoom = 1;
    g_object_get(s->view, "zoom", &zoom, NULL);
    g_key_file_set_double(kf, g, "zoom", zoom);
    if (sr)
        g_key_file_set_integer(kf, g, "lesions3d",
                               (int)tsc_viewer_api()->series_result_n_lesions3d(sr));
    graphene_rect_t b;
    if (gtk_widget_compute_bounds(GTK_WIDGET(s->view), GTK_WIDGET(self), &b)) {
        double r[4] = {b.origin.x, b.origin.y, b.size.width, b.size.height};
        g_key_file_set_double_list(kf, g, "view-rect", r, 4);
    }
}

void tsc_compare_window_write_state(TscCompareWindow *self, GKeyFile *kf)
{
    g_return_if_fail(TSC_IS_COMPARE_WINDOW(self));
    const char *g = "compare";
    g_key_file_set_boolean(kf, g, "open", TRUE);
    g_key_file_set_boolean(kf, g, "idle", tsc_compare_window_is_idle(self));
    g_key_file_set_string(kf, g, "patient-check", patient_check_name(self->patient));
    g_key_file_set_boolean(kf, g, "confirm-dialog", self->confirm_dialog != NULL);
    /* The side the PACS dialog of this window is choosing ("" when none). */
    g_key_file_set_string(kf, g, "pacs-side",
                          self->pacs_dialog ? (self->pacs_side ? "follow-up" : "baseline") : "");
    g_key_file_set_boolean(kf, g, "shown", _tsc_compare_window_pair_shown(self));
    g_key_file_set_string(kf, g, "method",
                          self->method == TSC_METHOD_THRESHOLD        ? "threshold"
                          : self->method == TSC_METHOD_REGION_GROWING ? "region-growing"
                                                                      : "cnn");
    g_key_file_set_boolean(kf, g, "sync-scroll", self->sync_scroll);
    g_key_file_set_boolean(kf, g, "link-window", self->link_window);
    g_key_file_set_boolean(kf, g, "link-zoom", self->link_zoom);
    g_key_file_set_integer(kf, g, "leader", self->leader);
    /* The header's toggles show the same. */
    g_key_file_set_boolean(kf, g, "sync-toggle", gtk_toggle_button_get_active(self->sync_toggle));
    g_key_file_set_boolean(kf, g, "window-toggle",
                           gtk_toggle_button_get_active(self->window_toggle));
    g_key_file_set_boolean(kf, g, "zoom-toggle", gtk_toggle_button_get_active(self->zoom_toggle));
    g_key_file_set_string(kf, g, "layout",
                          gtk_orientable_get_orientation(GTK_ORIENTABLE(self->views_box)) ==
                                  GTK_ORIENTATION_HORIZONTAL
                              ? "side-by-side"
                              : "stacked");
    g_key_file_set_integer(kf, g, "width", gtk_widget_get_width(GTK_WIDGET(self)));
    g_key_file_set_string(kf, g, "status", gtk_label_get_text(self->status_label));
    g_key_file_set_string(kf, g, "patient-label", gtk_label_get_text(self->patient_label));
    g_key_file_set_string(kf, g, "compare-error", self->compare_error ? self->compare_error : "");
    g_key_file_set_boolean(kf, g, "compared", self->cmp != NULL);
    g_key_file_set_boolean(kf, g, "export-enabled", gtk_widget_get_sensitive(self->export_button));
    g_key_file_set_string(kf, g, "export-folder", self->export_folder ? self->export_folder : "");
    g_key_file_set_string(kf, g, "export-message",
                          self->export_message ? self->export_message : "");
    for (int i = 0; i < 2; i++) write_side_state(self, i, kf);
    if (!self->cmp) return;
    /* The table as shown: one line per row, cells joined by '|'. */
    int rows = 0;
    for (;; rows++) {
        g_autoptr(GString) line = g_string_new(NULL);
        for (int c = 0; c < TSC_COMPARE_N_COLUMNS; c++) {
            GtkWidget *l = gtk_grid_get_child_at(self->table, c, rows);
            if (!l) break;
            g_string_append_printf(line, "%s%s", c ? "|" : "", gtk_label_get_text(GTK_LABEL(l)));
        }
        if (!line->len) break;
        g_autofree char *key = g_strdup_printf("table-%d", rows);
        g_key_file_set_string(kf, g, key, line->str);
    }
    g_key_file_set_integer(kf, g, "table-rows", rows);
    const tsc_compare_totals *t = tsc_comparison_get_totals(self->cmp);
    g_key_file_set_integer(kf, g, "matched", (int)t->n_matched);
    g_key_file_set_integer(kf, g, "new", (int)t->n_new);
    g_key_file_set_integer(kf, g, "gone", (int)t->n_gone);
    const tsc_rano_suggestion *rs = tsc_comparison_get_rano(self->cmp);
    g_key_file_set_string(kf, g, "rano-category", tsc_rano_category_to_string(rs->category));
    g_key_file_set_string(kf, g, "rano-label", gtk_label_get_text(self->rano_label));
    g_key_file_set_string(kf, g, "rano-reason", gtk_label_get_text(self->reason_label));
}
