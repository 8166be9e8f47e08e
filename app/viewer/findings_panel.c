/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-findings"
#include "tsc_format.h"
#include "findings_panel.h"

#include "probability_row.h"

#include <math.h>

/* The panel lists the largest lesions only: a long list helps nobody. */
#define MAX_LISTED 5
#define MAX_CLASSES 16

struct _TscFindingsPanel {
    GtkWidget parent_instance;
    GtkWidget *box;
    /* The slice section keeps its widgets and only changes their text, so
     * that scrolling through analysed slices costs a relayout, not the
     * creation of a dozen widgets per slice. */
    GtkWidget *scope_label; /* why the series on screen is outside the model's scope */
    char *scope_reason;
    gboolean scope_forced;
    GtkWidget *slice_title, *s_status, *s_verdict, *s_reason, *s_scope, *s_prob_title, *s_grid;
    TscProbabilityRow *p_row[MAX_CLASSES];
    GtkSizeGroup *p_names; /* the class names line up */
    int n_rows;
    GtkWidget *s_lesion_title, *s_lesion[MAX_LISTED], *s_more, *s_timing;
    /* The series section keeps its widgets too: rebuilding it cost 20-30 ms
     * of main-thread CPU on the frame after a series result. */
    GtkWidget *series_box, *r_status, *r_banner, *r_detail, *r_scope, *r_counts, *r_failed, *r_volume, *r_key;
    GtkWidget *r_lesion[MAX_LISTED], *r_more;
    /* Per 3D lesion, Accept and Reject… (win.accept-lesion, win.reject-lesion-ask),
     * and the reader's edits in one line. */
    GtkWidget *r_acts[MAX_LISTED], *r_accept[MAX_LISTED], *r_reject[MAX_LISTED], *r_edited;
    GtkWidget *r_measuring; /* the reader's corrections are being measured again */
    /* A stored result (structured report) of the series, computed elsewhere. */
    GtkWidget *stored_box, *stored_text;
    /* Where the result shown came from, when it is not this viewer's. */
    GtkWidget *provenance;
    const void *shown_series, *shown_series_model;
    gboolean series_valid;
    gboolean editable; /* the series result is this viewer's analysis */
};

G_DEFINE_FINAL_TYPE(TscFindingsPanel, tsc_findings_panel, GTK_TYPE_WIDGET)

static GtkWidget *label(const char *text, const char *css)
{
    GtkWidget *l = gtk_label_new(text);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_label_set_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
    gtk_label_set_selectable(GTK_LABEL(l), FALSE);
    if (css) gtk_widget_add_css_class(l, css);
    return l;
}

static void set_visible_text(GtkWidget *l, const char *text)
{
    gtk_widget_set_visible(l, text != NULL);
    if (text) gtk_label_set_text(GTK_LABEL(l), text);
}

static void ensure_rows(TscFindingsPanel *self, int n)
{
    for (; self->n_rows < n && self->n_rows < MAX_CLASSES; self->n_rows++) {
        TscProbabilityRow *row = TSC_PROBABILITY_ROW(tsc_probability_row_new());
        gtk_size_group_add_widget(self->p_names, tsc_probability_row_get_name_label(row));
        gtk_box_append(GTK_BOX(self->s_grid), GTK_WIDGET(row));
        self->p_row[self->n_rows] = row;
    }
}

static void show_probabilities(TscFindingsPanel *self, const tsc_model *model, const tsc_result *r)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    int n = r ? (int)MIN(api->result_n_classes(r), MAX_CLASSES) : 0;
    /* A stored result states no class probabilities: no bars of zeros. */
    double sum = 0;
    for (int i = 0; i < n; i++) sum += api->result_get_probability(r, (size_t)i);
    if (!(sum > 0)) n = 0;
    gtk_widget_set_visible(self->s_prob_title, n > 0);
    gtk_widget_set_visible(self->s_grid, n > 0);
    ensure_rows(self, n);
    size_t top = n ? api->result_get_label(r) : 0;
    for (int i = 0; i < self->n_rows; i++) {
        gboolean on = i < n;
        gtk_widget_set_visible(GTK_WIDGET(self->p_row[i]), on);
        if (!on) continue;
        gboolean known = model && (size_t)i < api->model_n_classes(model);
        tsc_probability_row_set(self->p_row[i], known ? api->model_get_class_display(model, (size_t)i) : "class",
                                known ? api->model_get_class_color(model, (size_t)i) : 0x888888u,
                                (size_t)i == top, api->result_get_probability(r, (size_t)i));
    }
}

static int cmp_area_desc(gconstpointer a, gconstpointer b)
{
    double x = (*(const tsc_lesion_info *const *)a)->area_mm2, y = (*(const tsc_lesion_info *const *)b)->area_mm2;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void show_lesions(TscFindingsPanel *self, const tsc_result *r)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    size_t n = r ? api->result_n_lesions(r) : 0;
    set_visible_text(self->s_lesion_title, n == 0 ? NULL : n == 1 ? "Lesion" : "Lesions (largest first)");
    GPtrArray *sorted = g_ptr_array_new();
    for (size_t i = 0; i < n; i++) g_ptr_array_add(sorted, (gpointer)api->result_get_lesion(r, i));
    g_ptr_array_sort(sorted, cmp_area_desc);
    for (size_t i = 0; i < MAX_LISTED; i++) {
        if (i >= n) {
            set_visible_text(self->s_lesion[i], NULL);
            continue;
        }
        const tsc_lesion_info *l = g_ptr_array_index(sorted, i);
        g_autofree char *t = g_strdup_printf("#%zu  Area %.1f mm\xc2\xb2\n"
                                  "Diameters %.1f \xc3\x97 %.1f mm (RANO product %.0f mm\xc2\xb2)\n"
                                  "Centre x %.0f, y %.0f px",
                                  i + 1, l->area_mm2, l->diameter_mm, l->perpendicular_mm, l->product_mm2,
                                  l->centroid.x, l->centroid.y);
        set_visible_text(self->s_lesion[i], t);
    }
    g_autofree char *more =
        n > MAX_LISTED ? g_strdup_printf("\xe2\x80\xa6 and %zu smaller", n - MAX_LISTED) : NULL;
    set_visible_text(self->s_more, more);
    g_ptr_array_unref(sorted);
}

/* "● Glioma 97.3%" in the description's colour: the words and colour that
 * the overlay banner, the strip and the browser show for the same result. */
static void set_verdict_line(GtkWidget *l, const tsc_description *d, const char *suffix)
{
    g_autofree char *mk =
        g_markup_printf_escaped("<span foreground='#%06X'>\xe2\x97\x8f</span> %s%s",
                                d->color & 0xffffffu, d->label, suffix ? suffix : "");
    gtk_label_set_markup(GTK_LABEL(l), mk);
}

/* The scope warning of a forced analysis, as the overlay's badge says it. */
static char *scope_text(const char *warning)
{
    return warning && *warning ? g_strdup_printf("\xe2\x9a\xa0 %s", warning) : NULL;
}

void tsc_findings_panel_set_scope(TscFindingsPanel *self, const char *reason, gboolean forced)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    g_free(self->scope_reason);
    self->scope_reason = reason && *reason ? g_strdup(reason) : NULL;
    self->scope_forced = forced;
    g_autofree char *t = !self->scope_reason ? NULL
                         : forced
                             ? g_strdup_printf("Outside the model's scope: %s. Analysed on request "
                                               "(research use): every result carries a warning.",
                                               self->scope_reason)
                             : g_strdup_printf("Not analysed: %s.", self->scope_reason);
    set_visible_text(self->scope_label, t);
}

void tsc_findings_panel_set_slice(TscFindingsPanel *self, const tsc_model *model, int method,
                                  gsize slice, const tsc_result *r, const char *error,
                                  gboolean analysing)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    const tsc_plugin_api *api = tsc_viewer_api();
    g_autofree char *title = g_strdup_printf("Slice %zu", slice + 1);
    gtk_label_set_text(GTK_LABEL(self->slice_title), title);
    const tsc_model *m = method == TSC_METHOD_CNN ? model : NULL;

    g_autofree char *blocked = self->scope_reason && !self->scope_forced
                                   ? g_strdup_printf("Not analysed: %s.", self->scope_reason)
                                   : NULL;
    const char *status = r ? NULL : analysing ? "Analysing\xe2\x80\xa6" : error ? error
                                  : blocked ? blocked
                                            : "Not analysed. Click the slice or press Space.";
    set_visible_text(self->s_status, status);
    if (status) {
        if (error && !analysing)
            gtk_widget_add_css_class(self->s_status, "error");
        else
            gtk_widget_remove_css_class(self->s_status, "error");
    }
    gtk_widget_set_visible(self->s_verdict, r != NULL);
    tsc_description d;
    if (r) {
        tsc_viewer_describe_result(m, r, &d);
        set_verdict_line(self->s_verdict, &d, NULL);
    }
    /* Why a slice is inconclusive, not assessable or not analysed; and for a
     * tumour or a doubtful slice the probability of a tumour at all. */
    g_autoptr(GString) why = g_string_new(NULL);
    if (r && *d.reason) g_string_append(why, d.reason);
    if (r && (d.verdict == TSC_VERDICT_TUMOR || d.verdict == TSC_VERDICT_INCONCLUSIVE) &&
        isfinite(d.tumor_probability)) {
        char pc[16];
        g_string_append_printf(why, "%sP(tumour) %s", why->len ? "\n" : "",
                               tsc_format_percent(d.tumor_probability, pc, sizeof pc));
    }
    set_visible_text(self->s_reason, why->len ? why->str : NULL);
    g_autofree char *scope = r ? scope_text(d.scope_warning) : NULL;
    set_visible_text(self->s_scope, scope);
    show_probabilities(self, m, r);
    show_lesions(self, r);
    const tsc_timings *t = r ? api->result_get_timings(r) : NULL;
    g_autofree char *tt = t && t->total_ms > 0
                              ? g_strdup_printf("Analysed in %.0f ms (%s)", t->total_ms,
                                                method == TSC_METHOD_CNN         ? "CNN"
                                                : method == TSC_METHOD_THRESHOLD ? "threshold"
                                                                                 : "region growing")
                              : NULL;
    set_visible_text(self->s_timing, tt);
}

static void hide_series(TscFindingsPanel *self)
{
    GtkWidget *hide[] = {self->r_banner, self->r_detail, self->r_scope,
                         self->r_counts, self->r_failed, self->r_volume,
                         self->r_key,    self->r_more,   self->r_edited};
    for (size_t i = 0; i < G_N_ELEMENTS(hide); i++) gtk_widget_set_visible(hide[i], FALSE);
    for (int i = 0; i < MAX_LISTED; i++) {
        gtk_widget_set_visible(self->r_lesion[i], FALSE);
        gtk_widget_set_visible(self->r_acts[i], FALSE);
    }
}

void tsc_findings_panel_set_measuring(TscFindingsPanel *self, gboolean measuring)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    gtk_widget_set_visible(self->r_measuring, measuring);
    /* Lesion numbers and states are the earlier result's until it lands. */
    for (int i = 0; i < MAX_LISTED; i++) gtk_widget_set_sensitive(self->r_acts[i], !measuring);
}

void tsc_findings_panel_set_editable(TscFindingsPanel *self, gboolean editable)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    if (self->editable == !!editable) return;
    self->editable = !!editable;
    self->series_valid = FALSE;
}

void tsc_findings_panel_set_series(TscFindingsPanel *self, const tsc_model *model, int method,
                                   const tsc_series_result *r, double slice_spacing_mm)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    (void)slice_spacing_mm;
    const tsc_plugin_api *api = tsc_viewer_api();
    if (self->series_valid && r == self->shown_series && model == self->shown_series_model) return;
    self->series_valid = TRUE;
    self->shown_series = r;
    self->shown_series_model = model;
    g_autofree char *blocked = !r && self->scope_reason && !self->scope_forced
                                   ? g_strdup_printf("Not analysed: %s.", self->scope_reason)
                                   : NULL;
    set_visible_text(
        self->r_status,
        r ? NULL
        : blocked
            ? blocked
            : "Not analysed. Use Analyse Series (Ctrl+Enter) for the volume and the slice strip.");
    if (!r) {
        hide_series(self);
        return;
    }
    const tsc_model *m = method == TSC_METHOD_CNN ? model : NULL;
    tsc_description d;
    tsc_viewer_describe_series(m, r, &d);
    set_verdict_line(self->r_banner, &d, NULL);
    gtk_widget_set_visible(self->r_banner, TRUE);
    g_autoptr(GString) detail = g_string_new(NULL);
    if (*d.reason) g_string_append(detail, d.reason);
    if (*d.detail) g_string_append_printf(detail, "%s%s", detail->len ? "\n" : "", d.detail);
    set_visible_text(self->r_detail, detail->len ? detail->str : NULL);
    g_autofree char *scope = scope_text(d.scope_warning);
    set_visible_text(self->r_scope, scope);

    size_t n = api->series_result_n_slices(r), n_missing = 0;
    for (size_t k = 0; k < n; k++) n_missing += api->series_result_get_slice(r, k) == NULL;
    if (d.verdict == TSC_VERDICT_NOT_ANALYSED) {
        set_visible_text(self->r_counts, NULL);
        set_visible_text(self->r_failed, NULL);
    } else {
        static const struct {
            tsc_verdict v;
            const char *name;
        } kinds[] = {{TSC_VERDICT_TUMOR, "tumour"},
                     {TSC_VERDICT_NO_TUMOR, "no tumour"},
                     {TSC_VERDICT_INCONCLUSIVE, "inconclusive"},
                     {TSC_VERDICT_NOT_ASSESSABLE, "not assessable"}};
        g_autoptr(GString) counts = g_string_new(NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
            size_t c = api->series_result_count(r, kinds[i].v);
            if (c || kinds[i].v != TSC_VERDICT_NOT_ASSESSABLE)
                g_string_append_printf(counts, "%s%zu %s", counts->len ? " \xc2\xb7 " : "", c, kinds[i].name);
        }
        set_visible_text(self->r_counts, counts->str);
        g_autofree char *f = n_missing ? g_strdup_printf("%zu slice%s not analysed or failed",
                                                         n_missing, n_missing == 1 ? "" : "s")
                                       : NULL;
        set_visible_text(self->r_failed, f);
    }
    double vol = api->series_result_get_volume_ml(r);
    g_autofree char *t = d.verdict == TSC_VERDICT_TUMOR || vol > 0
                             ? g_strdup_printf("Tumour volume %.2f mL", vol)
                             : NULL;
    set_visible_text(self->r_volume, t);
    size_t key = api->series_result_get_key_slice(r);
    gboolean has_key = key != (size_t)-1 && key < n;
    gtk_widget_set_visible(self->r_key, has_key);
    if (has_key) {
        g_autofree char *k = g_strdup_printf("Go to key slice %zu", key + 1);
        gtk_button_set_label(GTK_BUTTON(self->r_key), k);
        gtk_actionable_set_action_target(GTK_ACTIONABLE(self->r_key), "i", (gint32)key);
    }
    size_t n3 = api->series_result_n_lesions3d(r);
    char edits[1024] = "";
    api->series_result_describe_edits(r, TRUE, edits, sizeof edits);
    /* Each rejected lesion with its measurements and the reason, so the
     * reader sees what was taken out (the SR keeps them the same way). */
    g_autoptr(GString) edited = g_string_new(edits);
    for (size_t i = 0, nr = api->series_result_n_rejected(r); i < nr; i++) {
        const tsc_rejected_lesion *rl = api->series_result_get_rejected(r, i);
        const tsc_lesion3d_info *l = rl->info;
        const char *ln = m && l && l->label < api->model_n_classes(m)
                             ? api->model_get_class_display(m, l->label)
                             : "Lesion";
        g_string_append_printf(edited, "\nRejected: %s", ln);
        if (l && l->first_slice == l->last_slice)
            g_string_append_printf(edited, " %.2f mL, slice %zu", l->volume_ml, l->first_slice + 1);
        else if (l)
            g_string_append_printf(edited, " %.2f mL, slices %zu\xe2\x80\x93%zu", l->volume_ml,
                                   l->first_slice + 1, l->last_slice + 1);
        if (rl->reason && rl->reason[0])
            g_string_append_printf(edited, " \xe2\x80\x94 %s", rl->reason);
    }
    set_visible_text(self->r_edited, edited->len ? edited->str : NULL);
    for (size_t i = 0; i < MAX_LISTED; i++) {
        gtk_widget_set_visible(self->r_acts[i], i < n3 && self->editable);
        if (i >= n3) {
            set_visible_text(self->r_lesion[i], NULL);
            continue;
        }
        gboolean accepted = api->series_result_lesion3d_is_accepted(r, i);
        gtk_widget_set_sensitive(self->r_accept[i], !accepted);
        gtk_button_set_label(GTK_BUTTON(self->r_accept[i]), accepted ? "Accepted" : "Accept");
        const tsc_lesion3d_info *l = api->series_result_get_lesion3d(r, i);
        const char *ln = m && l->label < api->model_n_classes(m) ? api->model_get_class_display(m, l->label) : "Lesion";
        g_autofree char *lt = g_strdup_printf("3D lesion %zu (%s): %.2f mL, slices %zu\xe2\x80\x93%zu, "
                                   "largest product %.0f mm\xc2\xb2 on slice %zu",
                                   i + 1, ln, l->volume_ml, l->first_slice + 1, l->last_slice + 1,
                                   l->max_product_mm2, l->key_slice + 1);
        set_visible_text(self->r_lesion[i], lt);
        gtk_widget_set_tooltip_text(self->r_lesion[i], accepted ? "Accepted by the reader" : NULL);
    }
    g_autofree char *more =
        n3 > MAX_LISTED ? g_strdup_printf("\xe2\x80\xa6 and %zu more 3D lesions", n3 - MAX_LISTED)
                        : NULL;
    set_visible_text(self->r_more, more);
}

void tsc_findings_panel_clear(TscFindingsPanel *self)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    tsc_findings_panel_set_scope(self, NULL, FALSE);
    GtkWidget *slice_parts[] = {self->s_status, self->s_verdict, self->s_reason, self->s_scope,
                                self->s_prob_title, self->s_grid, self->s_lesion_title,
                                self->s_more, self->s_timing};
    for (size_t i = 0; i < G_N_ELEMENTS(slice_parts); i++) gtk_widget_set_visible(slice_parts[i], FALSE);
    for (int i = 0; i < MAX_LISTED; i++) gtk_widget_set_visible(self->s_lesion[i], FALSE);
    gtk_label_set_text(GTK_LABEL(self->s_verdict), "");
    gtk_label_set_text(GTK_LABEL(self->r_banner), "");
    gtk_widget_set_visible(self->r_status, FALSE);
    hide_series(self);
    tsc_findings_panel_set_stored(self, NULL);
    tsc_findings_panel_set_provenance(self, NULL);
    tsc_findings_panel_invalidate(self);
}

void tsc_findings_panel_set_stored(TscFindingsPanel *self, const char *text)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    gtk_widget_set_visible(self->stored_box, text != NULL);
    gtk_label_set_text(GTK_LABEL(self->stored_text), text ? text : "");
}

void tsc_findings_panel_set_provenance(TscFindingsPanel *self, const char *text)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    set_visible_text(self->provenance, text);
}

void tsc_findings_panel_invalidate(TscFindingsPanel *self)
{
    g_return_if_fail(TSC_IS_FINDINGS_PANEL(self));
    self->series_valid = FALSE;
    self->shown_series = NULL;
    self->shown_series_model = NULL;
}

const char *tsc_findings_panel_get_text(TscFindingsPanel *self, TscFindingsText which)
{
    g_return_val_if_fail(TSC_IS_FINDINGS_PANEL(self), "");
    GtkWidget *shown = NULL, *label = NULL;
    switch (which) {
    case TSC_FINDINGS_TEXT_SCOPE: shown = label = self->scope_label; break;
    case TSC_FINDINGS_TEXT_SLICE_STATUS: shown = label = self->s_status; break;
    case TSC_FINDINGS_TEXT_SLICE_VERDICT: shown = label = self->s_verdict; break;
    case TSC_FINDINGS_TEXT_SLICE_SCOPE: shown = label = self->s_scope; break;
    case TSC_FINDINGS_TEXT_SERIES_VERDICT: shown = label = self->r_banner; break;
    case TSC_FINDINGS_TEXT_PROVENANCE: shown = label = self->provenance; break;
    case TSC_FINDINGS_TEXT_MEASURING: shown = label = self->r_measuring; break;
    case TSC_FINDINGS_TEXT_EDITS: shown = label = self->r_edited; break;
    case TSC_FINDINGS_TEXT_STORED:
        shown = self->stored_box;
        label = self->stored_text;
        break;
    case TSC_FINDINGS_TEXT_KEY_SLICE:
        return gtk_widget_get_visible(self->r_key) ? gtk_button_get_label(GTK_BUTTON(self->r_key))
                                                   : "";
    default: g_return_val_if_reached("");
    }
    return gtk_widget_get_visible(shown) ? gtk_label_get_text(GTK_LABEL(label)) : "";
}

int tsc_findings_panel_n_lesions_shown(TscFindingsPanel *self)
{
    g_return_val_if_fail(TSC_IS_FINDINGS_PANEL(self), 0);
    int n = 0;
    for (int i = 0; i < MAX_LISTED; i++)
        n += gtk_widget_get_visible(self->r_lesion[i]) + gtk_widget_get_visible(self->s_lesion[i]);
    return n;
}

static void tsc_findings_panel_dispose(GObject *object)
{
    TscFindingsPanel *self = TSC_FINDINGS_PANEL(object);
    g_clear_pointer(&self->box, gtk_widget_unparent);
    g_clear_pointer(&self->scope_reason, g_free);
    g_clear_object(&self->p_names);
    G_OBJECT_CLASS(tsc_findings_panel_parent_class)->dispose(object);
}

static void tsc_findings_panel_class_init(TscFindingsPanelClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = tsc_findings_panel_dispose;
    gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "findings");
}

static void tsc_findings_panel_init(TscFindingsPanel *self)
{
    self->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18);
    gtk_widget_set_parent(self->box, GTK_WIDGET(self));
    GtkWidget *slice = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    self->slice_title = label("Slice", "section-title");
    self->s_status = label(NULL, "dim-label");
    self->s_verdict = label(NULL, "verdict");
    self->s_reason = label(NULL, "dim-label");
    self->s_scope = label(NULL, "warning");
    self->s_prob_title = label("Probabilities", "section-subtitle");
    self->s_grid = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    self->p_names = gtk_size_group_new(GTK_SIZE_GROUP_HORIZONTAL);
    self->s_lesion_title = label(NULL, "section-subtitle");
    GtkWidget *parts[] = {self->slice_title, self->s_status, self->s_verdict, self->s_reason,
                          self->s_scope, self->s_prob_title, self->s_grid, self->s_lesion_title};
    for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) gtk_box_append(GTK_BOX(slice), parts[i]);
    for (int i = 0; i < MAX_LISTED; i++) {
        self->s_lesion[i] = label(NULL, "lesion");
        gtk_box_append(GTK_BOX(slice), self->s_lesion[i]);
    }
    self->s_more = label(NULL, "dim-label");
    self->s_timing = label(NULL, "dim-label");
    gtk_box_append(GTK_BOX(slice), self->s_more);
    gtk_box_append(GTK_BOX(slice), self->s_timing);
    for (GtkWidget *c = gtk_widget_get_first_child(slice); c; c = gtk_widget_get_next_sibling(c))
        if (c != self->slice_title) gtk_widget_set_visible(c, FALSE);
    self->series_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    self->r_status = label(NULL, "dim-label");
    self->r_banner = label(NULL, "verdict");
    self->r_detail = label(NULL, "dim-label");
    self->r_scope = label(NULL, "warning");
    self->r_counts = label(NULL, NULL);
    self->r_failed = label(NULL, "warning");
    self->r_volume = label(NULL, "volume");
    self->r_key = gtk_button_new_with_label("");
    gtk_widget_set_halign(self->r_key, GTK_ALIGN_START);
    /* Target before name: the action takes an int, and a button without one
     * makes GTK warn (it gets the key slice when a series result is shown). */
    gtk_actionable_set_action_target(GTK_ACTIONABLE(self->r_key), "i", 0);
    gtk_actionable_set_action_name(GTK_ACTIONABLE(self->r_key), "win.goto-slice");
    gtk_widget_set_focus_on_click(self->r_key, FALSE);
    GtkWidget *rparts[] = {label("Series", "section-title"), self->r_status, self->r_banner, self->r_detail,
                           self->r_scope, self->r_counts,
                           self->r_failed, self->r_volume, self->r_key};
    for (size_t i = 0; i < G_N_ELEMENTS(rparts); i++) gtk_box_append(GTK_BOX(self->series_box), rparts[i]);
    for (int i = 0; i < MAX_LISTED; i++) {
        self->r_lesion[i] = label(NULL, "lesion");
        gtk_box_append(GTK_BOX(self->series_box), self->r_lesion[i]);
        /* Targets before names: the actions take the lesion's number. */
        self->r_acts[i] = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
        self->r_accept[i] = gtk_button_new_with_label("Accept");
        self->r_reject[i] = gtk_button_new_with_label("Reject\xe2\x80\xa6");
        gtk_actionable_set_action_target(GTK_ACTIONABLE(self->r_accept[i]), "i", i + 1);
        gtk_actionable_set_action_name(GTK_ACTIONABLE(self->r_accept[i]), "win.accept-lesion");
        gtk_actionable_set_action_target(GTK_ACTIONABLE(self->r_reject[i]), "i", i + 1);
        gtk_actionable_set_action_name(GTK_ACTIONABLE(self->r_reject[i]), "win.reject-lesion-ask");
        gtk_widget_set_tooltip_text(self->r_accept[i],
                                    "Confirm this lesion (said in the reports and the SR)");
        gtk_widget_set_tooltip_text(self->r_reject[i],
                                    "Remove this lesion from the overlay, the volume "
                                    "and the outputs; the SR keeps it, rejected, with the reason");
        gtk_box_append(GTK_BOX(self->r_acts[i]), self->r_accept[i]);
        gtk_box_append(GTK_BOX(self->r_acts[i]), self->r_reject[i]);
        gtk_box_append(GTK_BOX(self->series_box), self->r_acts[i]);
    }
    self->r_edited = label(NULL, "dim-label");
    gtk_box_append(GTK_BOX(self->series_box), self->r_edited);
    self->r_measuring = label("Measuring the corrections again\u2026", "dim-label");
    gtk_box_append(GTK_BOX(self->series_box), self->r_measuring);
    self->r_more = label(NULL, "dim-label");
    gtk_box_append(GTK_BOX(self->series_box), self->r_more);
    for (GtkWidget *c = gtk_widget_get_next_sibling(gtk_widget_get_first_child(self->series_box)); c;
         c = gtk_widget_get_next_sibling(c))
        gtk_widget_set_visible(c, FALSE);
    self->scope_label = label(NULL, "warning");
    gtk_widget_set_visible(self->scope_label, FALSE);
    gtk_box_append(GTK_BOX(self->box), self->scope_label);
    self->provenance = label(NULL, "provenance");
    gtk_widget_set_tooltip_text(
        self->provenance, "The result shown was computed elsewhere and stored with the study "
                          "(its DICOM SEG and SR); Analyse replaces it with this viewer's own");
    gtk_widget_set_visible(self->provenance, FALSE);
    gtk_box_append(GTK_BOX(self->box), self->provenance);
    gtk_box_append(GTK_BOX(self->box), slice);
    gtk_box_append(GTK_BOX(self->box), gtk_separator_new(GTK_ORIENTATION_HORIZONTAL));
    gtk_box_append(GTK_BOX(self->box), self->series_box);
    /* Below our own sections, under a title of its own: never read as ours. */
    self->stored_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    self->stored_text = label(NULL, NULL);
    GtkWidget *stored_title = label("Stored result", "section-title");
    gtk_widget_set_tooltip_text(stored_title,
                                "A report stored with this series: computed elsewhere "
                                "(a PACS, another workstation), not by this analysis");
    gtk_box_append(GTK_BOX(self->stored_box), gtk_separator_new(GTK_ORIENTATION_HORIZONTAL));
    gtk_box_append(GTK_BOX(self->stored_box), stored_title);
    gtk_box_append(GTK_BOX(self->stored_box), self->stored_text);
    gtk_widget_set_visible(self->stored_box, FALSE);
    gtk_box_append(GTK_BOX(self->box), self->stored_box);
}

GtkWidget *tsc_findings_panel_new(void)
{
    return g_object_new(TSC_TYPE_FINDINGS_PANEL, NULL);
}
