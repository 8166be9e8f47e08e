/* SPDX-License-Identifier: BSD-3-Clause */
/* Annotated reports: the slice report, the series summary (PNG) and the
 * multi-page PDF.  Each page is drawn once into a cairo recording surface in
 * layout units (1 unit = 1 PNG pixel) and replayed onto a PNG image or,
 * scaled to A4, onto a PDF page, so both formats share one layout. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_format.h"
#include "struct_size_private.h"
#include "report_private.h"
#include "tsc_deid.h"

#ifndef TSC_VERSION
#define TSC_VERSION "0.1.0"
#endif

/* Layout units. */
#define M 32.0            /* page margin */
#define GAP 28.0          /* between columns */
#define FINDINGS_W 440.0  /* findings column of the side-by-side slice page */
#define MIN_PANEL 512.0   /* small slices are enlarged to at least this */
#define MAX_KEY 9

static const tsc__rgb INK = {0.10, 0.12, 0.14};
static const tsc__rgb MUTED = {0.38, 0.42, 0.47};
static const tsc__rgb RULE = {0.83, 0.86, 0.89};
static const tsc__rgb HEAD_BG = {0.11, 0.16, 0.22};
static const tsc__rgb HEAD_SUB = {0.76, 0.81, 0.86};
static const tsc__rgb TABLE_HEAD = {0.93, 0.95, 0.96};
static const tsc__rgb ZEBRA = {0.97, 0.98, 0.985};
static const tsc__rgb WARN_BG = {1.0, 0.96, 0.84};
static const tsc__rgb WARN_INK = {0.42, 0.26, 0.0};

tsc_report_options tsc_report_default_options(void)
{
    tsc_report_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.deidentify = 0;
    o.force = 0;
    o.timestamp = NULL;
    o.overlay = tsc_overlay_default_options();
    return o;
}

tsc_report_options tsc__report_options(const tsc_report_options *o)
{
    tsc_report_options d = tsc_report_default_options();
    if (o) {
        size_t n = tsc__struct_size_of(o);
        TSC__PARAMS_COPY(&d, o);
        if (n < offsetof(tsc_report_options, overlay) + sizeof(size_t))
            d.overlay = tsc_overlay_default_options();
        else
            d.overlay = tsc__overlay_options(&d.overlay);
    }
    return d;
}

void tsc__report_init(rep *c, const tsc_model *model, const tsc_dicom_index *ix, size_t series,
                      const tsc_report_options *options)
{
    memset(c, 0, sizeof *c);
    c->model = model;
    c->ix = ix;
    c->series = series;
    c->se = tsc_dicom_get_series(ix, series);
    c->st = tsc_dicom_get_study(ix, c->se->study);
    c->pt = tsc_dicom_get_patient(ix, c->st->patient);
    c->opt = tsc__report_options(options);
    tsc__timestamp(c->opt.timestamp, c->when, sizeof c->when);
    /* De-identified outputs shift every date by the patient's offset, ours too. */
    if (c->opt.deidentify) tsc_deid_shift_timestamp(c->pt, c->when, sizeof c->when);
}

/* ---- small drawing helpers --------------------------------------------- */

static void ink(cairo_t *cr, tsc__rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static void fill_rect(cairo_t *cr, double x, double y, double w, double h, tsc__rgb c)
{
    cairo_rectangle(cr, x, y, w, h);
    ink(cr, c);
    cairo_fill(cr);
}

static void round_rect(cairo_t *cr, double x, double y, double w, double h, double rad)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - rad, y + rad, rad, -M_PI / 2, 0);
    cairo_arc(cr, x + w - rad, y + h - rad, rad, 0, M_PI / 2);
    cairo_arc(cr, x + rad, y + h - rad, rad, M_PI / 2, M_PI);
    cairo_arc(cr, x + rad, y + rad, rad, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

static void text_right(cairo_t *cr, double right, double y, const char *s)
{
    tsc__text(cr, right - tsc__text_width(cr, s), y, s);
}

/* A section title with a rule under it; returns the y below. */
static double section(cairo_t *cr, double x, double y, double w, const char *title)
{
    tsc__font(cr, 11.5, TSC__BOLD);
    ink(cr, MUTED);
    tsc__text(cr, x, y + 12, title);
    fill_rect(cr, x, y + 19, w, 1, RULE);
    return y + 30;
}

/* "key   value" rows; returns the y below. */
static double kv(cairo_t *cr, double x, double y, double key_w, double w, const char *key,
                 const char *value)
{
    tsc__font(cr, 12.5, TSC__NORMAL);
    ink(cr, MUTED);
    tsc__text_fit(cr, x, y + 14, key_w - 8, key);
    tsc__font(cr, 13.5, TSC__NORMAL);
    ink(cr, INK);
    tsc__text_fit(cr, x + key_w, y + 14, w - key_w, value && *value ? value : "\xe2\x80\x94");
    return y + 21;
}

/* A column of a report table (report_private.h). */
typedef tsc__tcol tcol;

static void table_text(cairo_t *cr, const tcol *col, double y, const char *s)
{
    if (col->right) text_right(cr, col->x, y, s);
    else if (col->w > 0) tsc__text_fit(cr, col->x, y, col->w, s);
    else tsc__text(cr, col->x, y, s);
}

/* The shaded head row of a table; returns the y of its first row. */
static double table_head(cairo_t *cr, double x, double y, double w, const tcol *cols,
                         const char *const *heads, int n)
{
    fill_rect(cr, x, y, w, 24, TABLE_HEAD);
    tsc__font(cr, 12, TSC__BOLD);
    ink(cr, MUTED);
    for (int k = 0; k < n; k++) table_text(cr, &cols[k], y + 16, heads[k]);
    return y + 24;
}

/* Row i of a table (every other one striped); returns the y below. */
static double table_row(cairo_t *cr, double x, double y, double w, size_t i, const tcol *cols,
                        const char *const *cells, int n, double size)
{
    if (i % 2) fill_rect(cr, x, y, w, 22, ZEBRA);
    tsc__font(cr, size, TSC__NORMAL);
    ink(cr, INK);
    for (int k = 0; k < n; k++) table_text(cr, &cols[k], y + 16, cells[k]);
    return y + 22;
}

double tsc__report_section(cairo_t *cr, double x, double y, double w, const char *title)
{
    return section(cr, x, y, w, title);
}

double tsc__report_table_head(cairo_t *cr, double x, double y, double w, const tsc__tcol *cols,
                              const char *const *heads, int n)
{
    return table_head(cr, x, y, w, cols, heads, n);
}

double tsc__report_table_row(cairo_t *cr, double x, double y, double w, size_t i,
                             const tsc__tcol *cols, const char *const *cells, int n, double size)
{
    return table_row(cr, x, y, w, i, cols, cells, n, size);
}

void tsc__report_rule(cairo_t *cr, double x, double y, double w)
{
    fill_rect(cr, x, y, w, 1, RULE);
}

/* "DOE^JOHN^^^" -> "DOE, JOHN"; only the first (alphabetic) component group. */
void tsc__report_format_pn(const char *pn, char *out, size_t n)
{
    char family[256] = "", given[256] = "", middle[256] = "";
    char buf[256];
    snprintf(buf, sizeof buf, "%s", pn ? pn : "");
    char *eq = strchr(buf, '=');
    if (eq) *eq = '\0';
    char *parts[5] = {buf, NULL, NULL, NULL, NULL};
    for (int i = 1; i < 5; i++) {
        char *c = parts[i - 1] ? strchr(parts[i - 1], '^') : NULL;
        if (!c) break;
        *c = '\0';
        parts[i] = c + 1;
    }
    snprintf(family, sizeof family, "%s", parts[0]);
    if (parts[1]) snprintf(given, sizeof given, "%s", parts[1]);
    if (parts[2]) snprintf(middle, sizeof middle, "%s", parts[2]);
    if (*given && *middle) snprintf(out, n, "%s, %s %s", family, given, middle);
    else if (*given) snprintf(out, n, "%s, %s", family, given);
    else snprintf(out, n, "%s", family);
}

static void format_time(const char *t, char *out, size_t n)
{
    if (t && strlen(t) >= 4 && strspn(t, "0123456789") >= 4) snprintf(out, n, "%.2s:%.2s", t, t + 2);
    else out[0] = '\0';
}

/* ---- page parts -------------------------------------------------------- */

static double draw_header(cairo_t *cr, const rep *c, const char *kind, const char *right2)
{
    fill_rect(cr, 0, 0, c->W, 72, HEAD_BG);
    tsc__font(cr, 22, TSC__BOLD);
    cairo_set_source_rgb(cr, 1, 1, 1);
    tsc__text(cr, M, 34, "Brain MRI tumour analysis");
    tsc__font(cr, 13, TSC__NORMAL);
    ink(cr, HEAD_SUB);
    char sub[160];
    snprintf(sub, sizeof sub, "%s \xc2\xb7 tumorscope %s", kind, TSC_VERSION);
    tsc__text(cr, M, 56, sub);
    char when[96];
    snprintf(when, sizeof when, "Analysed %s", c->when);
    tsc__font(cr, 13, TSC__BOLD);
    cairo_set_source_rgb(cr, 1, 1, 1);
    text_right(cr, c->W - M, 34, when);
    if (right2) {
        tsc__font(cr, 13, TSC__NORMAL);
        ink(cr, HEAD_SUB);
        text_right(cr, c->W - M, 56, right2);
    }
    /* The disclaimer strip: first thing a reader sees under the title.  Both
     * sentences on one line when they fit; else the second on a line of its
     * own, never cut short (narrow PDF pages). */
    const char *a = "\xe2\x9a\xa0 DECISION SUPPORT ONLY \xe2\x80\x94 NOT FOR DIAGNOSTIC USE.";
    const char *b = "Every finding must be confirmed by a qualified radiologist.";
    tsc__font(cr, 13, TSC__BOLD);
    double aw = tsc__text_width(cr, a), rest = c->W - 2 * M - aw - 8;
    tsc__font(cr, 13, TSC__NORMAL);
    if (tsc__text_width(cr, b) > rest) b = "A radiologist must confirm every finding.";
    int one_line = tsc__text_width(cr, b) <= rest;
    double h = one_line ? 34 : 52;
    fill_rect(cr, 0, 72, c->W, h, WARN_BG);
    fill_rect(cr, 0, 72 + h - 1, c->W, 1.5, tsc__rgb_from_hex(TSC_COLOR_INCONCLUSIVE));
    tsc__font(cr, 13, TSC__BOLD);
    ink(cr, WARN_INK);
    tsc__text(cr, M, 94, a);
    tsc__font(cr, 13, TSC__NORMAL);
    if (one_line) tsc__text(cr, M + aw + 8, 94, b);
    else
        tsc__text_fit(cr, M, 112, c->W - 2 * M,
                      "Every finding must be confirmed by a qualified radiologist.");
    return 72 + h;
}

/* Patient / study / series columns.  `slice` is (size_t)-1 on the summary. */
static double draw_identification(cairo_t *cr, const rep *c, double y, size_t slice)
{
    y += 18;
    /* Three columns on wide pages; on narrow (PDF) pages the series goes
     * under patient and study so that values are not cut. */
    int three = c->W >= 1000;
    double colw = three ? (c->W - 2 * M - 2 * GAP) / 3 : (c->W - 2 * M - GAP) / 2;
    double x0 = M, x1 = M + colw + GAP, x2 = three ? M + 2 * (colw + GAP) : M;
    double kw = three ? 96 : 88;
    double ya = section(cr, x0, y, colw, "PATIENT");
    double yb = section(cr, x1, y, colw, "STUDY");
    double yc = 0;
    char buf[512], tmp[256];

    if (c->opt.deidentify) {
        ya = kv(cr, x0, ya, kw, colw, "Identity", "De-identified report");
        ya = kv(cr, x0, ya, kw, colw, "Removed", "name, ID, birth date, sex");
    } else {
        tsc__report_format_pn(c->pt->name, buf, sizeof buf);
        ya = kv(cr, x0, ya, kw, colw, "Name", buf);
        ya = kv(cr, x0, ya, kw, colw, "Patient ID", c->pt->id);
        tsc__format_date(c->pt->birth_date, buf, sizeof buf);
        ya = kv(cr, x0, ya, kw, colw, "Birth date", buf);
        ya = kv(cr, x0, ya, kw, colw, "Sex", c->pt->sex);
    }

    /* De-identified: dates shifted and descriptions replaced (tsc_deid.h),
     * as in the DICOM outputs and the JSON. */
    char shifted[TSC_DEID_DATE_SIZE], desc[128];
    tsc__format_date(c->opt.deidentify ? tsc_deid_shift(c->pt, c->st->date, c->st->time, shifted, NULL)
                                       : c->st->date,
                     buf, sizeof buf);
    format_time(c->st->time, tmp, sizeof tmp);
    if (*tmp && !c->opt.deidentify) {
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, " %s", tmp);
    }
    yb = kv(cr, x1, yb, kw, colw, "Date", buf);
    yb = kv(cr, x1, yb, kw, colw, "Description",
            c->opt.deidentify ? tsc_deid_study_description(c->se->modality, desc, sizeof desc)
                              : c->st->description);
    if (!c->opt.deidentify) {
        yb = kv(cr, x1, yb, kw, colw, "Accession", c->st->accession);
        yb = kv(cr, x1, yb, kw, colw, "Institution", c->st->institution);
    }
    if (!three) {
        y = fmax(ya, yb) + 10;
        colw = c->W - 2 * M;
    }
    yc = section(cr, x2, y, colw, slice == (size_t)-1 ? "SERIES" : "SERIES / SLICE");

    snprintf(buf, sizeof buf, "#%d \xc2\xb7 %s", c->se->series_number,
             c->opt.deidentify ? tsc_deid_series_description(c->se->modality, c->se->contrast_label,
                                                             desc, sizeof desc)
             : *c->se->description ? c->se->description
                                   : "(no description)");
    yc = kv(cr, x2, yc, kw, colw, "Series", buf);
    snprintf(buf, sizeof buf, "%s%s%s", c->se->modality, *c->se->contrast_label ? " \xc2\xb7 " : "",
             c->se->contrast_label);
    yc = kv(cr, x2, yc, kw, colw, "Sequence", buf);
    if (slice == (size_t)-1) {
        if (c->se->slice_spacing > 0)
            snprintf(buf, sizeof buf, "%zu \xc2\xb7 spacing %.2f mm", c->se->n_slices,
                     c->se->slice_spacing);
        else
            snprintf(buf, sizeof buf, "%zu", c->se->n_slices);
        yc = kv(cr, x2, yc, kw, colw, "Slices", buf);
        if (c->se->pixel_spacing[0] > 0 && c->se->pixel_spacing[1] > 0)
            snprintf(buf, sizeof buf, "%d \xc3\x97 %d px \xc2\xb7 %.2f \xc3\x97 %.2f mm", c->se->cols,
                     c->se->rows, c->se->pixel_spacing[1], c->se->pixel_spacing[0]);
        else
            snprintf(buf, sizeof buf, "%d \xc3\x97 %d px \xc2\xb7 1 mm assumed",
                     c->se->cols, c->se->rows);
        yc = kv(cr, x2, yc, kw, colw, "Matrix", buf);
    } else {
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(c->ix, c->series, slice);
        snprintf(buf, sizeof buf, "%zu of %zu \xc2\xb7 instance %d", slice + 1, c->se->n_slices,
                 sl->instance_number);
        yc = kv(cr, x2, yc, kw, colw, "Slice", buf);
        if (sl->has_geometry)
            snprintf(buf, sizeof buf, "%.2f mm along the slice normal", sl->location);
        else
            snprintf(buf, sizeof buf, "unknown (no geometry in the header)");
        yc = kv(cr, x2, yc, kw, colw, "Position", buf);
    }
    return fmax(ya, fmax(yb, yc));
}

/* Sets the largest bold size from `size` down to `min` at which `text` fits
 * in `w` (a verdict's words are never cut while a smaller size shows them
 * whole; only then does tsc__text_fit ellipsize). */
static void fit_bold(cairo_t *cr, const char *text, double w, double size, double min)
{
    for (; size > min; size -= 0.5) {
        tsc__font(cr, size, TSC__BOLD);
        if (tsc__text_width(cr, text) <= w) return;
    }
    tsc__font(cr, min, TSC__BOLD);
}

/* A rounded box in `color`; leaves black or white (by the colour's
 * luminance) as the source for the text on it. */
static void colour_box(cairo_t *cr, double x, double y, double w, double h, double rad,
                       tsc__rgb color)
{
    round_rect(cr, x, y, w, h, rad);
    ink(cr, color);
    cairo_fill(cr);
    double l = 0.2126 * color.r + 0.7152 * color.g + 0.0722 * color.b;
    if (l > 0.45) cairo_set_source_rgb(cr, 0, 0, 0);
    else cairo_set_source_rgb(cr, 1, 1, 1);
}

static void verdict_pill(cairo_t *cr, double x, double y, double w, double h, tsc__rgb color,
                         const char *left, const char *right)
{
    colour_box(cr, x, y, w, h, 6, color);
    tsc__font(cr, 18, TSC__BOLD);
    double rw = right && *right ? tsc__text_width(cr, right) + 16 : 0;
    fit_bold(cr, left, w - 28 - rw, 18, 11);
    tsc__text_fit(cr, x + 14, y + h / 2 + 6.5, w - 28 - rw, left);
    if (rw > 0) text_right(cr, x + w - 14, y + h / 2 + 6.5, right);
}

static void method_text(const tsc_result *r, char *out, size_t n)
{
    switch (tsc_result_get_method(r)) {
    case TSC_METHOD_CNN: snprintf(out, n, "CNN (classification + segmentation)"); break;
    case TSC_METHOD_THRESHOLD: snprintf(out, n, "Threshold (classical baseline, Otsu)"); break;
    case TSC_METHOD_REGION_GROWING: snprintf(out, n, "Region growing (classical baseline)"); break;
    default: snprintf(out, n, "%s", tsc_method_to_string(tsc_result_get_method(r)));
    }
}

static double draw_model_block(cairo_t *cr, const rep *c, const tsc_result *any, double x,
                               double y, double w, double total_ms)
{
    char buf[256];
    y = section(cr, x, y, w, "ANALYSIS");
    double kw = 120;
    if (any) {
        method_text(any, buf, sizeof buf);
        y = kv(cr, x, y, kw, w, "Method", buf);
    }
    if (c->model) {
        snprintf(buf, sizeof buf, "%s %s", tsc_model_get_name(c->model),
                 tsc_model_get_version(c->model));
        y = kv(cr, x, y, kw, w, "Model", buf);
        const char *sha = tsc_model_get_sha256(c->model);
        snprintf(buf, sizeof buf, "%.16s\xe2\x80\xa6", sha ? sha : "");
        y = kv(cr, x, y, kw, w, "Model SHA-256", buf);
    } else {
        y = kv(cr, x, y, kw, w, "Model", "none (classical method)");
    }
    y = kv(cr, x, y, kw, w, "Analysed", c->when);
    if (c->edited[0]) y = kv(cr, x, y, kw, w, "Corrections", c->edited);
    if (total_ms > 0) {
        snprintf(buf, sizeof buf, "%.0f ms", total_ms);
        y = kv(cr, x, y, kw, w, "Processing time", buf);
    }
    return y;
}

/* The scope warning as a badge across `w`; returns the y below (y itself
 * when there is no warning). */
static double scope_badge(cairo_t *cr, double x, double y, double w, const char *warning)
{
    if (!warning || !*warning) return y;
    warning = tsc__scope_detail(warning);
    tsc__font(cr, 12.5, TSC__NORMAL);
    int n = tsc__text_wrap(cr, 0, 0, w - 24, 17, warning, 0);
    double h = 30 + n * 17 + 8;
    round_rect(cr, x, y, w, h, 6);
    ink(cr, tsc__rgb_from_hex(TSC__COLOR_SCOPE));
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    tsc__font(cr, 13.5, TSC__BOLD);
    tsc__text_fit(cr, x + 12, y + 20, w - 24, TSC__SCOPE_BADGE);
    tsc__font(cr, 12.5, TSC__NORMAL);
    tsc__text_wrap(cr, x + 12, y + 38, w - 24, 17, warning, 1);
    tsc__layout_note(TSC__BOX_SCOPE, x, y, w, h, 0, warning);
    return y + h + 10;
}

/* The verdict pill of a description and the lines under it (reason,
 * detail, scope warning, type, confidence, P(tumour)); returns the y below. */
static double describe_block(cairo_t *cr, const tsc_description *d, double x, double y, double w,
                             double kw, int edited)
{
    char buf[256], pill[400];
    tsc__banner_text(d, 0, pill, sizeof pill);
    verdict_pill(cr, x, y, w, 46, tsc__rgb_from_hex(d->color), pill, NULL);
    tsc__layout_note(TSC__BOX_PILL, x, y, w, 46, 0, pill);
    y += 46 + 12;
    if (d->reason[0]) {
        tsc__font(cr, 13.5, TSC__BOLD);
        ink(cr, WARN_INK);
        int n = tsc__text_wrap(cr, x, y + 14, w, 19, d->reason, 1);
        y += n * 19 + 8;
    }
    if (d->detail[0]) {
        tsc__font(cr, 13, TSC__NORMAL);
        ink(cr, INK);
        int n = tsc__text_wrap(cr, x, y + 14, w, 18, d->detail, 1);
        y += n * 18 + 8;
    }
    y = scope_badge(cr, x, y, w, d->scope_warning);
    /* A type only for a tumour; the most likely type of a slice in doubt is
     * not a finding. */
    y = kv(cr, x, y, kw, w, "Finding", d->finding);
    if (d->verdict == TSC_VERDICT_TUMOR && d->confidence_text[0])
        snprintf(buf, sizeof buf, "%s = P(type | tumour)", d->confidence_text);
    else if (d->verdict == TSC_VERDICT_NO_TUMOR && d->confidence_text[0])
        snprintf(buf, sizeof buf, "%s = P(no tumour)", d->confidence_text);
    else if ((d->verdict == TSC_VERDICT_TUMOR || d->verdict == TSC_VERDICT_NO_TUMOR) && edited)
        /* The reader's finding, not the model's: no probability to state. */
        snprintf(buf, sizeof buf, "none: the reader corrected this result");
    else if (d->verdict == TSC_VERDICT_TUMOR || d->verdict == TSC_VERDICT_NO_TUMOR)
        snprintf(buf, sizeof buf, "not available for this method");
    else
        snprintf(buf, sizeof buf, "none stated (%s)", d->finding);
    y = kv(cr, x, y, kw, w, "Confidence", buf);
    if (isfinite(d->tumor_probability)) {
        tsc_format_percent(d->tumor_probability, buf, sizeof buf);
        y = kv(cr, x, y, kw, w, "P(tumour)", buf);
    }
    return y;
}

/* The findings of one slice; returns the y below. */
static double draw_findings(cairo_t *cr, const rep *c, const tsc_result *r, size_t slice, double x,
                            double y, double w)
{
    tsc_description d;
    tsc_result_describe(c->model, r, &d);
    if (!d.scope_warning[0]) snprintf(d.scope_warning, sizeof d.scope_warning, "%s", c->scope_warning);
    char buf[256];
    y = section(cr, x, y, w, "FINDINGS");
    double kw = 120;
    y = describe_block(cr, &d, x, y, w, kw, c->edited[0] != '\0');
    snprintf(buf, sizeof buf, "%zu", tsc_result_n_lesions(r));
    y = kv(cr, x, y, kw, w, "Lesions", buf);
    y += 10;

    y = section(cr, x, y, w, "CLASS PROBABILITIES");
    size_t nc = tsc_result_n_classes(r);
    if (nc == 0 || !c->model || nc != tsc_model_n_classes(c->model)) {
        tsc__font(cr, 12.5, TSC__NORMAL);
        ink(cr, MUTED);
        int n = tsc__text_wrap(cr, x, y + 14, w, 18,
                               "Not available: the classical methods segment without typing and "
                               "give no calibrated probabilities.",
                               1);
        y += n * 18 + 8;
    } else {
        double name_w = 150, pct_w = 62, bar_w = w - name_w - pct_w;
        for (size_t i = 0; i < nc; i++) {
            double p = tsc_result_get_probability(r, i);
            char name[96];
            snprintf(name, sizeof name, "%s", tsc_model_get_class_display(c->model, i));
            tsc__rgb col = tsc__rgb_from_hex(tsc_model_get_class_color(c->model, i));
            int stated = (d.verdict == TSC_VERDICT_TUMOR && i == d.type) ||
                         (d.verdict == TSC_VERDICT_NO_TUMOR && i == tsc_model_get_no_tumor_class(c->model));
            tsc__font(cr, 13, stated ? TSC__BOLD : TSC__NORMAL);
            ink(cr, INK);
            tsc__text_fit(cr, x, y + 14, name_w - 8, name);
            round_rect(cr, x + name_w, y + 4, bar_w, 12, 3);
            ink(cr, (tsc__rgb){0.91, 0.93, 0.95});
            cairo_fill(cr);
            if (p > 0.002) {
                round_rect(cr, x + name_w, y + 4, fmax(6, bar_w * fmin(1, p)), 12, 3);
                ink(cr, col);
                cairo_fill(cr);
            }
            tsc_format_percent(p, buf, sizeof buf);
            tsc__font(cr, 13, TSC__NORMAL);
            ink(cr, INK);
            text_right(cr, x + w, y + 14, buf);
            y += 22;
        }
        y += 6;
    }

    y = section(cr, x, y, w, "LESIONS (RANO BIDIMENSIONAL)");
    size_t nl = tsc_result_n_lesions(r);
    if (nl == 0) {
        tsc__font(cr, 13, TSC__NORMAL);
        ink(cr, MUTED);
        tsc__text(cr, x, y + 14, "No lesion measured.");
        y += 26;
    } else {
        /* Numeric columns, right-aligned. */
        const char *head[5] = {"#", "Area mm\xc2\xb2", "Diameter mm", "Perp. mm",
                               "Product mm\xc2\xb2"};
        const tcol cols[5] = {{x + 0.07 * w, 0, 1},
                              {x + 0.29 * w, 0, 1},
                              {x + 0.52 * w, 0, 1},
                              {x + 0.74 * w, 0, 1},
                              {x + w - 6, 0, 1}};
        y = table_head(cr, x, y, w, cols, head, 5);
        /* Every lesion, numbered as on the overlay. */
        for (size_t i = 0; i < nl; i++) {
            const tsc_lesion_info *le = tsc_result_get_lesion(r, i);
            char cells[5][32];
            snprintf(cells[0], 32, "#%zu", i + 1);
            snprintf(cells[1], 32, "%.1f", le->area_mm2);
            snprintf(cells[2], 32, "%.1f", le->diameter_mm);
            snprintf(cells[3], 32, "%.1f", le->perpendicular_mm);
            snprintf(cells[4], 32, "%.1f", le->product_mm2);
            const char *cp[5] = {cells[0], cells[1], cells[2], cells[3], cells[4]};
            y = table_row(cr, x, y, w, i, cols, cp, 5, 13);
        }
        fill_rect(cr, x, y, w, 1, RULE);
        y += 8;
    }
    y += 8;
    y = tsc__report_measurement_table(cr, c, x, y, w, slice);
    return draw_model_block(cr, c, r, x, y, w, tsc_result_get_timings(r)->total_ms);
}

static double draw_footer(cairo_t *cr, const rep *c, double y)
{
    y += 20;
    fill_rect(cr, M, y, c->W - 2 * M, 1, RULE);
    tsc__font(cr, 11.5, TSC__NORMAL);
    ink(cr, MUTED);
    char buf[200];
    snprintf(buf, sizeof buf, "Generated by tumorscope %s on %s%s", TSC_VERSION, c->when,
             c->opt.deidentify ? " \xc2\xb7 de-identified, dates shifted" : "");
    tsc__text(cr, M, y + 20, buf);
    double used = tsc__text_width(cr, buf);
    tsc__font(cr, 11.5, TSC__BOLD);
    ink(cr, WARN_INK);
    /* The disclaimer on the right, or on a line of its own where the two
     * would touch (narrow PDF pages). */
    if (used + 24 + tsc__text_width(cr, TSC__DISCLAIMER) <= c->W - 2 * M) {
        text_right(cr, c->W - M, y + 20, TSC__DISCLAIMER);
        return y + 36;
    }
    text_right(cr, c->W - M, y + 38, TSC__DISCLAIMER);
    return y + 54;
}

/* The panel with a frame and a caption; returns the y below. */
static double draw_panel(cairo_t *cr, cairo_surface_t *panel, const tsc_dicom_image *im,
                         double x, double y)
{
    double pw = cairo_image_surface_get_width(panel), ph = cairo_image_surface_get_height(panel);
    cairo_set_source_surface(cr, panel, x, y);
    cairo_paint(cr);
    cairo_rectangle(cr, x - 0.5, y - 0.5, pw + 1, ph + 1);
    ink(cr, RULE);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    char buf[256];
    double zoom = pw / im->cols;
    snprintf(buf, sizeof buf,
             "%d \xc3\x97 %d px \xc2\xb7 %.2f \xc3\x97 %.2f mm/px \xc2\xb7 shown \xc3\x97%.2f \xc2\xb7 "
             "window C %.0f / W %.0f%s",
             im->cols, im->rows, im->pixel_spacing[1], im->pixel_spacing[0], zoom,
             im->window_center, im->window_width,
             (im->flags & TSC_DICOM_IMAGE_WINDOW_FROM_MINMAX) ? " (min/max)" : "");
    tsc__font(cr, 12, TSC__NORMAL);
    ink(cr, MUTED);
    tsc__text_fit(cr, x, y + ph + 18, fmax(pw, 400), buf);
    return y + ph + 26;
}

/* Draws a slice page into `cr`; *w and *h receive its size. */
tsc_status tsc__report_slice_page(cairo_t *cr, rep *c, size_t k, const tsc_result *r, int stacked,
                                  double min_w, double *w, double *h, tsc_error *err)
{
    tsc_dicom_image *im = NULL;
    tsc_status st = tsc_dicom_decode_slice(c->ix, c->series, k, &im, err);
    if (st != TSC_OK) return st;
    cairo_surface_t *panel = NULL;
    size_t n_ms = 0;
    tsc_reader_measurement *ms = tsc__report_measurements(c, k, &n_ms);
    st = tsc__panel_new_meas(c->model, im, r, &c->opt.overlay, ms, n_ms, MIN_PANEL, 0, 0, 0, &panel,
                             err);
    free(ms);
    if (st != TSC_OK) {
        tsc_dicom_image_free(im);
        return st;
    }
    double pw = cairo_image_surface_get_width(panel);
    c->W = stacked ? fmax(min_w, pw + 2 * M) : fmax(min_w, 2 * M + pw + GAP + FINDINGS_W);
    char right2[96];
    snprintf(right2, sizeof right2, "Series %d \xc2\xb7 slice %zu of %zu", c->se->series_number,
             k + 1, c->se->n_slices);
    double y = draw_header(cr, c, "Slice report", right2);
    y = draw_identification(cr, c, y, k);
    y += 18;
    double px = stacked ? (c->W - pw) / 2 : M;
    double y_panel = draw_panel(cr, panel, im, px, y);
    double y_find;
    if (stacked) y_find = draw_findings(cr, c, r, k, M, y_panel + 8, c->W - 2 * M);
    else y_find = draw_findings(cr, c, r, k, M + pw + GAP, y - 2, c->W - 2 * M - pw - GAP);
    y = draw_footer(cr, c, fmax(y_panel, y_find));
    cairo_surface_destroy(panel);
    tsc_dicom_image_free(im);
    *w = c->W;
    *h = ceil(y);
    return TSC_OK;
}

/* ---- series summary ---------------------------------------------------- */

/* A slice with a tumour, or one in doubt: what the key slices and the PDF's
 * slice pages show.  Not-assessable slices are not findings. */
int tsc__report_is_finding(const tsc_result *s)
{
    tsc_verdict v = tsc_result_get_verdict(s);
    return v == TSC_VERDICT_TUMOR || v == TSC_VERDICT_INCONCLUSIVE;
}

size_t tsc_report_pick_key_slices(const tsc_series_result *r, size_t *out, size_t max)
{
    TSC_ASSERT(r && (out || !max));
    size_t n = tsc_series_result_n_slices(r), m = 0, nc = 0, na = 0;
    if (!max) return 0;
    size_t *cand = malloc((n ? n : 1) * sizeof *cand);
    size_t *anal = malloc((n ? n : 1) * sizeof *anal);
    if (!cand || !anal) {
        free(cand);
        free(anal);
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        const tsc_result *s = tsc_series_result_get_slice(r, k);
        if (!s) continue;
        anal[na++] = k;
        if (tsc__report_is_finding(s)) cand[nc++] = k;
    }
    size_t key = tsc_series_result_get_key_slice(r);
    const size_t *from = nc ? cand : anal;
    size_t nf = nc ? nc : na;
    if (nf <= max) {
        memcpy(out, from, nf * sizeof *out);
        m = nf;
    } else {
        /* Evenly spaced over the others, plus the key slice. */
        int have_key = 0;
        size_t nrest = 0;
        for (size_t i = 0; i < nf; i++) {
            if (nc && from[i] == key) have_key = 1;
            else cand[nrest++] = from[i]; /* from == cand or anal: nrest <= i */
        }
        size_t want = have_key ? max - 1 : max;
        for (size_t i = 0; i < want; i++) {
            size_t j = want > 1 ? (size_t)llround((double)i * (nrest - 1) / (want - 1)) : nrest / 2;
            out[m++] = cand[j];
        }
        if (have_key) out[m++] = key;
        /* Keep series order. */
        for (size_t i = 1; i < m; i++)
            for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
                size_t t = out[j];
                out[j] = out[j - 1];
                out[j - 1] = t;
            }
    }
    free(cand);
    free(anal);
    return m;
}

const tsc_result *tsc__report_first_result(const tsc_series_result *sr)
{
    for (size_t k = 0; k < tsc_series_result_n_slices(sr); k++)
        if (tsc_series_result_get_slice(sr, k)) return tsc_series_result_get_slice(sr, k);
    return NULL;
}

/* "Glioma 97.3%": a 3D lesion's type with P(type | tumour). */
static void lesion3d_type(const rep *c, const tsc_result *any, const tsc_lesion3d_info *l,
                          char *out, size_t n, tsc__rgb *color)
{
    int typed = c->model && any && tsc_result_get_method(any) == TSC_METHOD_CNN &&
                l->label < tsc_model_n_classes(c->model);
    if (!typed) {
        snprintf(out, n, "Tumour (%s method, for comparison only)",
                 any ? tsc_method_to_string(tsc_result_get_method(any)) : "classical");
        *color = tsc__rgb_from_hex(TSC_COLOR_CLASSIC);
        return;
    }
    char pc[16];
    if (isfinite(l->type_probability))
        snprintf(out, n, "%s %s", tsc_model_get_class_display(c->model, l->label),
                 tsc_format_percent(l->type_probability, pc, sizeof pc));
    else
        snprintf(out, n, "%s", tsc_model_get_class_display(c->model, l->label));
    *color = tsc__rgb_from_hex(tsc_model_get_class_color(c->model, l->label));
}

/* Rows [first, first + max) of the 3D lesion table, numbered #1, #2... in the
 * core's order (largest volume first); returns the y below. */
static double lesion3d_table(cairo_t *cr, const rep *c, const tsc_series_result *sr, double y,
                             size_t first, size_t max, int continued)
{
    size_t n3 = tsc_series_result_n_lesions3d(sr);
    const tsc_result *any = tsc__report_first_result(sr);
    double W = c->W, tw = W - 2 * M, vol = tsc_series_result_get_volume_ml(sr);
    char buf[256];
    snprintf(buf, sizeof buf, "LESIONS IN 3D (%zu, LARGEST FIRST)%s", n3,
             continued ? " \xe2\x80\x94 CONTINUED" : "");
    y = section(cr, M, y, tw, buf);
    /* Columns: # | type | slices | volume | RANO | centre. */
    const double x_type = M + 0.06 * tw, x_sl = M + 0.41 * tw, x_rano = M + 0.55 * tw,
                 x_ctr = M + 0.80 * tw;
    const tcol cols[6] = {{M + 0.045 * tw, 0, 1},
                          {x_type + 16, x_sl - x_type - 16 - 80, 0},
                          {x_sl, 0, 1},
                          {M + 0.52 * tw, 0, 1},
                          {x_rano, x_ctr - x_rano - 8, 0},
                          {x_ctr, M + tw - x_ctr, 0}};
    const char *head[6] = {"#",         "Type, P(type | tumour)", "Slices (key)",
                           "Volume mL", "RANO product (mm)",      "Centre, LPS mm"};
    y = table_head(cr, M, y, tw, cols, head, 6);
    size_t last = first + max < n3 ? first + max : n3;
    for (size_t i = first; i < last; i++) {
        const tsc_lesion3d_info *l = tsc_series_result_get_lesion3d(sr, i);
        tsc__rgb col;
        char cells[6][128];
        snprintf(cells[0], sizeof cells[0], "#%zu", i + 1);
        lesion3d_type(c, any, l, cells[1], sizeof cells[1], &col);
        if (l->first_slice == l->last_slice)
            snprintf(cells[2], sizeof cells[2], "%zu", l->first_slice + 1);
        else
            snprintf(cells[2], sizeof cells[2], "%zu\xe2\x80\x93%zu (%zu)", l->first_slice + 1,
                     l->last_slice + 1, l->key_slice + 1);
        if (isfinite(l->volume_ml) && isfinite(vol))
            snprintf(cells[3], sizeof cells[3], "%.2f", l->volume_ml);
        else snprintf(cells[3], sizeof cells[3], "\xe2\x80\x94");
        if (l->measurable)
            snprintf(cells[4], sizeof cells[4], "%.1f \xc3\x97 %.1f = %.1f mm\xc2\xb2",
                     l->diameter_mm, l->perpendicular_mm, l->max_product_mm2);
        else if (l->diameter_mm > 0)
            snprintf(cells[4], sizeof cells[4], "non-measurable (%.1f \xc3\x97 %.1f)",
                     l->diameter_mm, l->perpendicular_mm);
        else snprintf(cells[4], sizeof cells[4], "non-measurable");
        if (l->has_patient_coordinates)
            snprintf(cells[5], sizeof cells[5], "%.1f, %.1f, %.1f", l->centre_mm[0],
                     l->centre_mm[1], l->centre_mm[2]);
        else snprintf(cells[5], sizeof cells[5], "no geometry");
        const char *cp[6] = {cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]};
        double y_row = y;
        y = table_row(cr, M, y, tw, i - first, cols, cp, 6, 12.5);
        /* The type's colour swatch (the text is not the only cue). */
        cairo_rectangle(cr, x_type, y_row + 6, 10, 10);
        ink(cr, col);
        cairo_fill(cr);
    }
    fill_rect(cr, M, y, tw, 1, RULE);
    y += 6;
    tsc__font(cr, 11.5, TSC__NORMAL);
    ink(cr, MUTED);
    if (last < n3) {
        snprintf(buf, sizeof buf, "Lesions #%zu\xe2\x80\x93#%zu continue on the next page.", last + 1, n3);
        tsc__text(cr, M, y + 13, buf);
        y += 18;
    }
    int n = tsc__text_wrap(cr, M, y + 13, tw, 16,
                           "RANO: a lesion is measurable when both diameters on its key slice are "
                           "at least 10 mm; the product is given only then. Centre: centre of mass "
                           "in patient coordinates, DICOM LPS (x to the left, y to the back, z to "
                           "the head), mm.",
                           1);
    return y + n * 16 + 10;
}

/* A continuation page of the 3D lesion table (PDF). */
tsc_status tsc__report_lesions_page(cairo_t *cr, rep *c, const tsc_series_result *sr, double W,
                                    size_t first, size_t max, double *h)
{
    c->W = W;
    char right2[96];
    snprintf(right2, sizeof right2, "Series %d \xc2\xb7 lesions (continued)", c->se->series_number);
    double y = draw_header(cr, c, "Series summary", right2);
    y += 18;
    tsc_description d;
    tsc_series_result_describe(c->model, sr, &d);
    y = scope_badge(cr, M, y, W - 2 * M, d.scope_warning);
    y = lesion3d_table(cr, c, sr, y, first, max, 1);
    y = draw_footer(cr, c, y);
    *h = ceil(y);
    return TSC_OK;
}

/* One key-slice thumbnail: its verdict banner (and the scope badge) above
 * the image, never on it; the caption below.  Returns the cell's height. */
static tsc_status draw_thumbnail(cairo_t *cr, rep *c, const tsc_series_result *sr, size_t k,
                                 double x, double y, double cell, double *cell_h, tsc_error *err)
{
    const tsc_result *r = tsc_series_result_get_slice(sr, k);
    size_t n = tsc_series_result_n_slices(sr), key = tsc_series_result_get_key_slice(sr);
    tsc_description d;
    tsc_result_describe(c->model, r, &d);
    if (!d.scope_warning[0]) snprintf(d.scope_warning, sizeof d.scope_warning, "%s", c->scope_warning);
    tsc__rgb color = tsc__rgb_from_hex(d.color);
    char buf[400];

    /* Banner strip. */
    const double bh = 26;
    colour_box(cr, x, y, cell, bh, 4, color);
    tsc__banner_text(&d, 0, buf, sizeof buf);
    fit_bold(cr, buf, cell - 16, 12.5, 9);
    tsc__text_fit(cr, x + 8, y + 17.5, cell - 16, buf);
    tsc__layout_note(TSC__BOX_THUMB_BANNER, x, y, cell, bh, (int)k + 1, buf);
    double yi = y + bh + 4;
    if (d.scope_warning[0]) {
        fill_rect(cr, x, yi, cell, 20, tsc__rgb_from_hex(TSC__COLOR_SCOPE));
        cairo_set_source_rgb(cr, 1, 1, 1);
        tsc__font(cr, 11, TSC__BOLD);
        tsc__text_fit(cr, x + 6, yi + 14, cell - 12, TSC__SCOPE_BADGE);
        tsc__layout_note(TSC__BOX_SCOPE, x, yi, cell, 20, (int)k + 1, TSC__SCOPE_BADGE);
        yi += 24;
    }

    /* The image, with numbered lesions and axes but no banner. */
    tsc_overlay_options ov = c->opt.overlay;
    ov.show_legend = 0;
    ov.show_disclaimer = 0; /* the page carries it */
    tsc_dicom_image *im = NULL;
    tsc_status st = tsc_dicom_decode_slice(c->ix, c->series, k, &im, err);
    if (st != TSC_OK) return st;
    cairo_surface_t *panel = NULL;
    st = tsc__panel_new(c->model, im, r, &ov, 0, cell, cell, TSC__OVERLAY_NO_BANNER, &panel, err);
    tsc_dicom_image_free(im);
    if (st != TSC_OK) return st;
    double pw = cairo_image_surface_get_width(panel), ph = cairo_image_surface_get_height(panel);
    fill_rect(cr, x, yi, cell, cell, (tsc__rgb){0, 0, 0});
    double px = x + (cell - pw) / 2, py = yi + (cell - ph) / 2;
    cairo_set_source_surface(cr, panel, px, py);
    cairo_paint(cr);
    cairo_surface_destroy(panel);
    tsc__layout_note(TSC__BOX_THUMB_IMAGE, px, py, pw, ph, (int)k + 1, NULL);
    if (k == key) {
        cairo_rectangle(cr, x + 1.5, yi + 1.5, cell - 3, cell - 3);
        ink(cr, color);
        cairo_set_line_width(cr, 3);
        cairo_stroke(cr);
    }

    /* Caption. */
    double yc = yi + cell;
    const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(c->ix, c->series, k);
    tsc__font(cr, 13, TSC__BOLD);
    ink(cr, INK);
    snprintf(buf, sizeof buf, "Slice %zu of %zu%s", k + 1, n, k == key ? " \xc2\xb7 KEY SLICE" : "");
    tsc__text_fit(cr, x, yc + 18, cell, buf);
    yc += 22;
    tsc__font(cr, 12, TSC__NORMAL);
    ink(cr, MUTED);
    if (sl->has_geometry) {
        snprintf(buf, sizeof buf, "z %.1f mm along the slice normal", sl->location);
        tsc__text_fit(cr, x, yc + 14, cell, buf);
        yc += 18;
    }
    if (d.reason[0]) {
        int nl = tsc__text_wrap(cr, 0, 0, cell, 16, d.reason, 0);
        if (nl <= 3) tsc__text_wrap(cr, x, yc + 14, cell, 16, d.reason, 1);
        else tsc__text_fit(cr, x, yc + 14, cell, d.reason);
        yc += (nl <= 3 ? nl : 1) * 16 + 2;
    }
    *cell_h = yc - y + 12;
    return TSC_OK;
}

tsc_status tsc__report_series_page(cairo_t *cr, rep *c, const tsc_series_result *sr, double W,
                                   size_t max_lesions, double *h, tsc_error *err)
{
    c->W = W;
    char buf[256], right2[96];
    size_t n = tsc_series_result_n_slices(sr);
    size_t n_t = tsc_series_result_count(sr, TSC_VERDICT_TUMOR);
    size_t n_i = tsc_series_result_count(sr, TSC_VERDICT_INCONCLUSIVE);
    size_t n_n = tsc_series_result_count(sr, TSC_VERDICT_NO_TUMOR);
    size_t n_a = tsc_series_result_count(sr, TSC_VERDICT_NOT_ASSESSABLE);
    size_t n_f = tsc_series_result_n_failed(sr), n_ok = 0;
    double best_prod = -1, total_ms = 0;
    size_t best_k = 0;
    const tsc_lesion_info *best = NULL;
    for (size_t k = 0; k < n; k++) {
        const tsc_result *r = tsc_series_result_get_slice(sr, k);
        if (!r) continue;
        n_ok++;
        total_ms += tsc_result_get_timings(r)->total_ms;
        for (size_t i = 0; i < tsc_result_n_lesions(r); i++) {
            const tsc_lesion_info *le = tsc_result_get_lesion(r, i);
            if (tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR && le->product_mm2 > best_prod) {
                best_prod = le->product_mm2;
                best = le;
                best_k = k;
            }
        }
    }
    size_t n_x = n - n_ok - (n_f < n - n_ok ? n_f : n - n_ok);
    const tsc_result *any = tsc__report_first_result(sr);
    tsc_description d;
    tsc_series_result_describe(c->model, sr, &d);
    snprintf(c->scope_warning, sizeof c->scope_warning, "%s", d.scope_warning);

    snprintf(right2, sizeof right2, "Series %d \xc2\xb7 %zu slices", c->se->series_number, n);
    double y = draw_header(cr, c, "Series summary", right2);
    y = draw_identification(cr, c, y, (size_t)-1);
    y += 18;

    /* Series finding (left) and measurements (right). */
    double lw = (W - 2 * M - GAP) * 0.46, rx = M + lw + GAP, rw = W - M - rx;
    double yl = section(cr, M, y, lw, "SERIES FINDING");
    yl = describe_block(cr, &d, M, yl, lw, 130, c->edited[0] != '\0');
    /* Per-verdict counts as labelled chips (text, not colour alone). */
    yl += 6;
    uint32_t no_tumor_color = TSC_COLOR_NO_TUMOR;
    if (c->model && any && tsc_result_get_method(any) == TSC_METHOD_CNN)
        no_tumor_color = tsc_model_get_class_color(c->model, tsc_model_get_no_tumor_class(c->model));
    struct {
        const char *name;
        size_t count;
        uint32_t color;
    } chips[] = {{"Tumour", n_t, d.verdict == TSC_VERDICT_TUMOR ? d.color : TSC_COLOR_CLASSIC},
                 {"Inconclusive", n_i, TSC_COLOR_INCONCLUSIVE},
                 {"No tumour", n_n, no_tumor_color},
                 {"Not assessable", n_a, TSC_COLOR_NOT_ASSESSABLE},
                 {"Failed", n_f, 0x7F7F7F},
                 {"Not analysed", n_x, 0xB0B0B0}};
    double cx = M;
    for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++) {
        if (i >= 3 && chips[i].count == 0) continue;
        snprintf(buf, sizeof buf, "%s %zu", chips[i].name, chips[i].count);
        tsc__font(cr, 12.5, TSC__BOLD);
        double cw = tsc__text_width(cr, buf) + 30;
        if (cx + cw > M + lw) {
            cx = M;
            yl += 30;
        }
        round_rect(cr, cx, yl, cw, 24, 12);
        ink(cr, TABLE_HEAD);
        cairo_fill(cr);
        cairo_arc(cr, cx + 12, yl + 12, 5, 0, 2 * M_PI);
        ink(cr, tsc__rgb_from_hex(chips[i].color));
        cairo_fill(cr);
        ink(cr, INK);
        tsc__text(cr, cx + 22, yl + 17, buf);
        cx += cw + 8;
    }
    yl += 30;

    double yr = section(cr, rx, y, rw, "MEASUREMENTS");
    double mkw = W >= 1000 ? 150 : 118;
    double vol = tsc_series_result_get_volume_ml(sr);
    if (isfinite(vol)) snprintf(buf, sizeof buf, "%.2f mL", vol);
    else snprintf(buf, sizeof buf, "not available (slice spacing unknown)");
    yr = kv(cr, rx, yr, mkw, rw, "Tumour volume", buf);
    if (best) {
        snprintf(buf, sizeof buf, "%.1f mm\xc2\xb2 (%.1f \xc3\x97 %.1f mm), slice %zu",
                 best->product_mm2, best->diameter_mm, best->perpendicular_mm, best_k + 1);
        yr = kv(cr, rx, yr, mkw, rw, "Largest product", buf);
    } else {
        yr = kv(cr, rx, yr, mkw, rw, "Largest product", "none");
    }
    size_t key = tsc_series_result_get_key_slice(sr);
    if (key < n) snprintf(buf, sizeof buf, "%zu of %zu", key + 1, n);
    else snprintf(buf, sizeof buf, "none");
    yr = kv(cr, rx, yr, mkw, rw, "Key slice", buf);
    snprintf(buf, sizeof buf, "%zu of %zu", n_ok, n);
    yr = kv(cr, rx, yr, mkw, rw, "Slices analysed", buf);
    snprintf(buf, sizeof buf, "%zu", tsc_series_result_n_lesions3d(sr));
    yr = kv(cr, rx, yr, mkw, rw, "Lesions in 3D", buf);

    y = fmax(yl, yr) + 12;

    /* 3D lesions, across the page: every one of them (continued on further
     * pages of the PDF). */
    size_t n3 = tsc_series_result_n_lesions3d(sr);
    if (n3 && any) y = lesion3d_table(cr, c, sr, y, 0, max_lesions, 0);
    y = tsc__report_measurement_table(cr, c, M, y, W - 2 * M, (size_t)-1);

    /* Key slices. */
    size_t picks[MAX_KEY];
    size_t np = tsc_report_pick_key_slices(sr, picks, MAX_KEY);
    y = section(cr, M, y, W - 2 * M,
                n_t + n_i ? "KEY SLICES (TUMOUR OR INCONCLUSIVE)" : "SAMPLE OF ANALYSED SLICES");
    if (np == 0) {
        tsc__font(cr, 13, TSC__NORMAL);
        ink(cr, MUTED);
        tsc__text(cr, M, y + 14,
                  d.verdict == TSC_VERDICT_NOT_ANALYSED
                      ? "The series was not analysed; the reason is stated above."
                      : "No slice could be analysed; see the errors per slice.");
        y += 28;
    }
    const int ncol = 3;
    double cell = (W - 2 * M - (ncol - 1) * 16) / ncol;
    double row_h = 0;
    for (size_t i = 0; i < np; i++) {
        int col = (int)(i % ncol);
        if (col == 0 && i) {
            y += row_h;
            row_h = 0;
        }
        double ch = 0;
        tsc_status st = draw_thumbnail(cr, c, sr, picks[i], M + col * (cell + 16), y, cell, &ch, err);
        if (st != TSC_OK) return st;
        row_h = fmax(row_h, ch);
    }
    y += row_h + 4;
    y = draw_model_block(cr, c, any, M, y, W - 2 * M, total_ms);
    y = draw_footer(cr, c, y);
    *h = ceil(y);
    return TSC_OK;
}
