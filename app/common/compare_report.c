/* SPDX-License-Identifier: BSD-3-Clause */
/* The comparison report as PNG and PDF, and its SR (compare_report.h).  The slices are
 * decoded and their lesions drawn by the plugin (slice_decode,
 * render_overlay), so overlays look as in every other report; the layout
 * and the table are drawn here, once, for both formats. */
#include "compare_report.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsc_io.h"

#define PANEL 560 /* px, each key slice's square */
#define MARGIN 20
#define LINE 20 /* px between table lines */
#define WIDTH (2 * PANEL + 3 * MARGIN)

/* The key slices to show: those of the largest matched target, so both
 * panels show the same lesion; else each series' own key slice. */
static void choose_slices(const tsc_plugin_api *api, const tsc_compare_view v[2],
                          const tsc_comparison *c, size_t key[2])
{
    double best = -1;
    key[0] = api->series_result_get_key_slice(v[0].sr);
    key[1] = api->series_result_get_key_slice(v[1].sr);
    for (size_t i = 0; i < tsc_comparison_n_rows(c); i++) {
        const tsc_compare_row *r = tsc_comparison_get_row(c, i);
        if (r->change != TSC_LESION_MATCHED || r->baseline_product_mm2 <= best) continue;
        best = r->baseline_product_mm2;
        key[0] = api->series_result_get_lesion3d(v[0].sr, r->baseline)->key_slice;
        key[1] = api->series_result_get_lesion3d(v[1].sr, r->followup)->key_slice;
    }
}

/* Slice k of view `v` in the square at (x, y), windowed as its header says,
 * in true proportions (pixel spacing), with the overlay of its result. */
static tsc_status draw_slice(cairo_t *cr, const tsc_plugin_api *api, const tsc_model *model,
                             const tsc_compare_view *v, size_t k, double x, double y,
                             tsc_error *err)
{
    tsc_dicom_image *im = NULL;
    tsc_status st = api->slice_decode(v->ix, v->series, k, &im, err);
    if (st != TSC_OK) return st;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, im->cols, im->rows);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    double lo = im->window_center - im->window_width / 2, width = im->window_width;
    if (!(width > 0)) lo = im->min_value, width = im->max_value - im->min_value;
    cairo_surface_flush(s);
    for (int r = 0; r < im->rows; r++)
        for (int col = 0; col < im->cols; col++) {
            double g = width > 0 ? (im->pixels[(size_t)r * im->cols + col] - lo) / width : 0;
            uint32_t u = (uint32_t)lround(255 * fmin(1, fmax(0, g)));
            ((uint32_t *)(data + (size_t)r * stride))[col] = u << 16 | u << 8 | u;
        }
    cairo_surface_mark_dirty(s);
    double w_mm = im->cols * im->pixel_spacing[1], h_mm = im->rows * im->pixel_spacing[0];
    double scale = PANEL / fmax(w_mm, h_mm);
    cairo_save(cr);
    cairo_rectangle(cr, x, y, PANEL, PANEL);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_fill_preserve(cr);
    cairo_clip(cr);
    cairo_translate(cr, x + (PANEL - w_mm * scale) / 2, y + (PANEL - h_mm * scale) / 2);
    cairo_scale(cr, scale * im->pixel_spacing[1], scale * im->pixel_spacing[0]);
    cairo_set_source_surface(cr, s, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    const tsc_result *r = api->series_result_get_slice(v->sr, k);
    if (r) {
        tsc_overlay_options oo = api->overlay_default_options();
        oo.show_legend = 0;
        oo.show_disclaimer = 0; /* once, under the table */
        st = api->render_overlay(cr, model, r, &oo, err);
    }
    cairo_restore(cr);
    cairo_surface_destroy(s);
    api->image_free(im);
    return st;
}

static void text(cairo_t *cr, double x, double y, const char *s)
{
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

static void cell(char *out, double v, const char *fmt)
{
    if (isfinite(v)) snprintf(out, TSC_COMPARE_CELL_SIZE, fmt, v);
    else snprintf(out, TSC_COMPARE_CELL_SIZE, "\xe2\x80\x93");
}

const char *tsc_compare_column_heading(tsc_compare_column column)
{
    static const char *const head[TSC_COMPARE_N_COLUMNS] = {"Lesion",
                                                            "Change",
                                                            "Baseline mL",
                                                            "Follow-up mL",
                                                            "\xce\x94 mL",
                                                            "Volume %",
                                                            "Baseline mm\xc2\xb2",
                                                            "Follow-up mm\xc2\xb2",
                                                            "\xce\x94 mm\xc2\xb2",
                                                            "Product %",
                                                            "RANO target"};
    return column < TSC_COMPARE_N_COLUMNS ? head[column] : "";
}

void tsc_compare_table_cells(const tsc_comparison *c, size_t i,
                             char cells[TSC_COMPARE_N_COLUMNS][TSC_COMPARE_CELL_SIZE])
{
    if (i < tsc_comparison_n_rows(c)) {
        const tsc_compare_row *r = tsc_comparison_get_row(c, i);
        int b = r->baseline != (size_t)-1, f = r->followup != (size_t)-1;
        char nb[24] = "\xe2\x80\x93", nf[24] = "\xe2\x80\x93";
        if (b) snprintf(nb, sizeof nb, "%zu", r->baseline + 1);
        if (f) snprintf(nf, sizeof nf, "%zu", r->followup + 1);
        snprintf(cells[TSC_COMPARE_COLUMN_LESION], TSC_COMPARE_CELL_SIZE, "%s/%s", nb, nf);
        snprintf(cells[TSC_COMPARE_COLUMN_CHANGE], TSC_COMPARE_CELL_SIZE, "%s",
                 tsc_lesion_change_to_string(r->change));
        cell(cells[TSC_COMPARE_COLUMN_BASELINE_ML], b ? r->baseline_volume_ml : NAN, "%.2f");
        cell(cells[TSC_COMPARE_COLUMN_FOLLOWUP_ML], f ? r->followup_volume_ml : NAN, "%.2f");
        cell(cells[TSC_COMPARE_COLUMN_CHANGE_ML], r->volume_change_ml, "%+.2f");
        cell(cells[TSC_COMPARE_COLUMN_VOLUME_PERCENT], r->volume_change_percent, "%+.1f");
        cell(cells[TSC_COMPARE_COLUMN_BASELINE_MM2], b ? r->baseline_product_mm2 : NAN, "%.0f");
        cell(cells[TSC_COMPARE_COLUMN_FOLLOWUP_MM2], f ? r->followup_product_mm2 : NAN, "%.0f");
        cell(cells[TSC_COMPARE_COLUMN_CHANGE_MM2], r->product_change_mm2, "%+.0f");
        cell(cells[TSC_COMPARE_COLUMN_PRODUCT_PERCENT], r->product_change_percent, "%+.1f");
        snprintf(cells[TSC_COMPARE_COLUMN_TARGET], TSC_COMPARE_CELL_SIZE, "%s",
                 r->target ? "target" : "");
        return;
    }
    const tsc_compare_totals *t = tsc_comparison_get_totals(c);
    snprintf(cells[TSC_COMPARE_COLUMN_LESION], TSC_COMPARE_CELL_SIZE, "Total");
    snprintf(cells[TSC_COMPARE_COLUMN_CHANGE], TSC_COMPARE_CELL_SIZE,
             "%zu matched, %zu new, %zu gone", t->n_matched, t->n_new, t->n_gone);
    cell(cells[TSC_COMPARE_COLUMN_BASELINE_ML], t->baseline_volume_ml, "%.2f");
    cell(cells[TSC_COMPARE_COLUMN_FOLLOWUP_ML], t->followup_volume_ml, "%.2f");
    cell(cells[TSC_COMPARE_COLUMN_CHANGE_ML], t->volume_change_ml, "%+.2f");
    cell(cells[TSC_COMPARE_COLUMN_VOLUME_PERCENT], t->volume_change_percent, "%+.1f");
    cell(cells[TSC_COMPARE_COLUMN_BASELINE_MM2], t->baseline_spd_mm2, "%.0f");
    cell(cells[TSC_COMPARE_COLUMN_FOLLOWUP_MM2], t->followup_spd_mm2, "%.0f");
    cell(cells[TSC_COMPARE_COLUMN_CHANGE_MM2], t->spd_change_mm2, "%+.0f");
    cell(cells[TSC_COMPARE_COLUMN_PRODUCT_PERCENT], t->spd_change_percent, "%+.1f");
    snprintf(cells[TSC_COMPARE_COLUMN_TARGET], TSC_COMPARE_CELL_SIZE, "%zu target%s", t->n_targets,
             t->n_targets == 1 ? "" : "s");
}

/* One table line; columns right-aligned at fixed x positions. */
static void table_line(cairo_t *cr, double y, const char *const col[8])
{
    static const double right[8] = {70, 170, 330, 460, 570, 710, 860, 980};
    for (int i = 0; i < 8; i++) {
        cairo_text_extents_t e;
        cairo_text_extents(cr, col[i], &e);
        text(cr, MARGIN + (i < 2 ? right[i] - 60 : right[i] - e.x_advance), y, col[i]);
    }
}

/* The columns the report has room for. */
static const tsc_compare_column report_columns[8] = {
    TSC_COMPARE_COLUMN_LESION,         TSC_COMPARE_COLUMN_CHANGE,
    TSC_COMPARE_COLUMN_BASELINE_ML,    TSC_COMPARE_COLUMN_FOLLOWUP_ML,
    TSC_COMPARE_COLUMN_VOLUME_PERCENT, TSC_COMPARE_COLUMN_BASELINE_MM2,
    TSC_COMPARE_COLUMN_FOLLOWUP_MM2,   TSC_COMPARE_COLUMN_PRODUCT_PERCENT};

static void draw_table(cairo_t *cr, const tsc_comparison *c, double y)
{
    const char *col[8];
    for (int i = 0; i < 8; i++) col[i] = tsc_compare_column_heading(report_columns[i]);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    table_line(cr, y, col);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    char cells[TSC_COMPARE_N_COLUMNS][TSC_COMPARE_CELL_SIZE];
    for (int i = 0; i < 8; i++) col[i] = cells[report_columns[i]];
    size_t n = tsc_comparison_n_rows(c);
    for (size_t i = 0; i <= n; i++) {
        tsc_compare_table_cells(c, i, cells);
        if (i == n) {
            /* The counts are in the text under the table: no room here. */
            cells[TSC_COMPARE_COLUMN_CHANGE][0] = '\0';
            cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                                   CAIRO_FONT_WEIGHT_BOLD);
        }
        table_line(cr, y += LINE, col);
    }
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    const tsc_compare_totals *t = tsc_comparison_get_totals(c);
    char line[512];
    snprintf(line, sizeof line,
             "%zu matched, %zu new, %zu gone.  Volumes: every lesion.  Products: longest axial "
             "diameter x perpendicular; total = sum of products of the %zu target lesion(s).",
             t->n_matched, t->n_new, t->n_gone, t->n_targets);
    text(cr, MARGIN, y += LINE, line);
    const tsc_rano_suggestion *rs = tsc_comparison_get_rano(c);
    cairo_set_font_size(cr, 17);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    snprintf(line, sizeof line, "RANO %s (%s) - %s", tsc_rano_category_to_string(rs->category),
             tsc_rano_category_name(rs->category), TSC_RANO_SUGGESTION_LABEL);
    text(cr, MARGIN, y += 1.6 * LINE, line);
    cairo_set_font_size(cr, 14);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    text(cr, MARGIN, y += LINE, rs->reason);
    text(cr, MARGIN, y += LINE,
         "Image rules of RANO only (Wen et al., J Clin Oncol 2010); lesions matched by position "
         "without registration.");
    cairo_set_source_rgb(cr, 0.85, 0.3, 0.2);
    text(cr, MARGIN, y += 1.5 * LINE, "Decision support only - not for diagnostic use.");
}

typedef struct out_buffer {
    unsigned char *p;
    size_t n, cap;
} out_buffer;

static cairo_status_t append(void *closure, const unsigned char *data, unsigned int n)
{
    out_buffer *b = closure;
    if (b->n + n > b->cap) {
        size_t cap = (b->cap + n) * 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) return CAIRO_STATUS_NO_MEMORY;
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    return CAIRO_STATUS_SUCCESS;
}

static int report_height(const tsc_comparison *c)
{
    return 60 + PANEL + 40 + (int)(tsc_comparison_n_rows(c) + 8) * LINE + 10;
}

/* The whole report on `cr` (WIDTH x report_height() units). */
static tsc_status draw_report(cairo_t *cr, const tsc_plugin_api *api, const tsc_model *model,
                              const tsc_compare_view views[2], const tsc_comparison *c,
                              int deidentify, tsc_error *err)
{
    size_t key[2];
    choose_slices(api, views, c, key);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    tsc_status st = TSC_OK;
    for (int i = 0; i < 2 && st == TSC_OK; i++) {
        double x = MARGIN + i * (PANEL + MARGIN);
        char title[256];
        const tsc_dicom_series_info *se = api->study_get_series(views[i].ix, views[i].series);
        const char *date = api->study_get_study(views[i].ix, se->study)->date;
        int n = snprintf(title, sizeof title, "%s: series %zu", views[i].role, views[i].series);
        if (!deidentify && *date && n > 0)
            snprintf(title + n, sizeof title - (size_t)n, ", study date %s", date);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, 17);
        text(cr, x, 30, title);
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr, 14);
        if (key[i] == (size_t)-1) {
            text(cr, x, 52, "no lesion: middle slice shown");
            key[i] = se->n_slices / 2;
        } else {
            const tsc_dicom_slice_info *sl =
                api->study_get_slice(views[i].ix, views[i].series, key[i]);
            if (sl->has_geometry)
                snprintf(title, sizeof title, "key slice %zu of %zu, at %.1f mm along the normal",
                         key[i], se->n_slices, sl->location);
            else snprintf(title, sizeof title, "key slice %zu of %zu", key[i], se->n_slices);
            text(cr, x, 52, title);
        }
        st = draw_slice(cr, api, model, &views[i], key[i], x, 60, err);
    }
    if (st == TSC_OK) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_font_size(cr, 14);
        draw_table(cr, c, 60 + PANEL + 40);
    }
    return st;
}

/* `data` into `path` through a hidden temporary that the DICOM reader
 * ignores, fsync'ed and renamed over the target (tsc_io). */
static tsc_status write_atomic(const char *path, const void *data, size_t n, int force,
                               tsc_error *err)
{
    if (!force && access(path, F_OK) == 0)
        return tsc_error_set(err, TSC_EEXIST, "%s exists and was not replaced", path);
    tsc_atomic_file *f = NULL;
    tsc_status st = tsc_atomic_file_open(path, &f, err);
    if (st != TSC_OK) return st;
    if (fwrite(data, 1, n, tsc_atomic_file_get_stream(f)) != n) {
        int e = errno;
        tsc_atomic_file_abort(f);
        return tsc_error_set(err, TSC_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return tsc_atomic_file_commit(f, err);
}

/* Draws the report on `s` (a fresh surface), finishes it, and writes what
 * it encoded into `buf` to `path` atomically. */
static tsc_status finish(cairo_surface_t *s, cairo_t *cr, tsc_status st, int is_png,
                         out_buffer *buf, const char *path, int force, tsc_error *err)
{
    cairo_destroy(cr);
    if (st == TSC_OK && is_png &&
        cairo_surface_write_to_png_stream(s, append, buf) != CAIRO_STATUS_SUCCESS)
        st = tsc_error_set(err, TSC_ENOMEM, "%s: the comparison image could not be encoded", path);
    cairo_surface_finish(s);
    if (st == TSC_OK && cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        st = tsc_error_set(err, TSC_ENOMEM, "%s: %s", path,
                           cairo_status_to_string(cairo_surface_status(s)));
    cairo_surface_destroy(s);
    if (st == TSC_OK) st = write_atomic(path, buf->p, buf->n, force, err);
    free(buf->p);
    return st;
}

tsc_status tsc_compare_report_png(const char *path, const tsc_plugin_api *api,
                                  const tsc_model *model, const tsc_compare_view views[2],
                                  const tsc_comparison *c, int deidentify, int force,
                                  tsc_error *err)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, WIDTH, report_height(c));
    cairo_t *cr = cairo_create(s);
    tsc_status st = draw_report(cr, api, model, views, c, deidentify, err);
    out_buffer buf = {0};
    return finish(s, cr, st, 1, &buf, path, force, err);
}

tsc_status tsc_compare_report_pdf(const char *path, const tsc_plugin_api *api,
                                  const tsc_model *model, const tsc_compare_view views[2],
                                  const tsc_comparison *c, int deidentify, int force,
                                  tsc_error *err)
{
    /* One page as wide as A4 (the layout's pixels at half a point each);
     * the slices keep their full resolution inside. */
    out_buffer buf = {0};
    cairo_surface_t *s =
        cairo_pdf_surface_create_for_stream(append, &buf, WIDTH * 0.5, report_height(c) * 0.5);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
                                   "tumorscope: follow-up compared with baseline");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "tumorscope compare");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT,
                                   "Brain MRI follow-up comparison - decision support only, not "
                                   "for diagnostic use");
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, 0.5, 0.5);
    tsc_status st = draw_report(cr, api, model, views, c, deidentify, err);
    return finish(s, cr, st, 0, &buf, path, force, err);
}

tsc_status tsc_compare_report_sr(const char *path, const tsc_plugin_api *api,
                                 const tsc_model *model, const tsc_compare_view views[2],
                                 const tsc_comparison *cmp, int deidentify, int force,
                                 tsc_error *err)
{
    if (!TSC_PLUGIN_HAS(api, write_dicom_compare_sr))
        return tsc_error_set(err, TSC_EINVAL,
                             "%.300s not written: the plugin does not write comparison reports "
                             "(ABI version 5 with write_dicom_compare_sr needed); install the "
                             "matching plugin",
                             path);
    /* The rows lent by pointer, as tsc_compare computed them. */
    size_t n = tsc_comparison_n_rows(cmp);
    tsc_dicom_compare_lesion *rows = calloc(n + 1, sizeof *rows);
    const tsc_dicom_compare_lesion **ptrs = calloc(n + 1, sizeof *ptrs);
    if (!rows || !ptrs) {
        free(rows);
        free((void *)ptrs);
        return tsc_error_set(err, TSC_ENOMEM, "%.300s not written: out of memory", path);
    }
    for (size_t i = 0; i < n; i++) {
        const tsc_compare_row *r = tsc_comparison_get_row(cmp, i);
        rows[i] = (tsc_dicom_compare_lesion){sizeof rows[i],
                                             r->change,
                                             r->baseline,
                                             r->followup,
                                             r->baseline_volume_ml,
                                             r->followup_volume_ml,
                                             r->volume_change_percent,
                                             r->baseline_product_mm2,
                                             r->followup_product_mm2,
                                             r->product_change_percent,
                                             r->target};
        ptrs[i] = &rows[i];
    }
    const tsc_compare_totals *t = tsc_comparison_get_totals(cmp);
    const tsc_rano_suggestion *rs = tsc_comparison_get_rano(cmp);
    tsc_dicom_comparison dc = {sizeof dc,
                               ptrs,
                               n,
                               t->baseline_volume_ml,
                               t->followup_volume_ml,
                               t->volume_change_percent,
                               t->baseline_spd_mm2,
                               t->followup_spd_mm2,
                               t->spd_change_percent,
                               t->n_matched,
                               t->n_new,
                               t->n_gone,
                               t->n_targets,
                               rs->category,
                               rs->reason};
    tsc_report_options ro = api->report_default_options_v9();
    ro.deidentify = deidentify;
    ro.force = force;
    tsc_status st =
        api->write_dicom_compare_sr(path, model, views[0].ix, views[0].series, views[0].sr,
                                    views[1].ix, views[1].series, views[1].sr, &dc, &ro, err);
    free(rows);
    free((void *)ptrs);
    return st;
}
