/* SPDX-License-Identifier: BSD-3-Clause */
/* Layout and meaning of overlays and reports on results made to order:
 * a crowded slice whose labels must overlap nothing, every verdict drawn in
 * the words and colour of the core's description, thumbnails whose banner
 * stays off the image, and a series with more 3D lesions than one page
 * holds.  The results are built through the analysis core's private header
 * (a test seam): the real analysis cannot be asked for six lesions or for
 * a given verdict. */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis_private.h"
#include "phantom.h"
#include "render_test.h"
#include "render_private.h"
#include "tsc_render.h"
#include "tsc_test.h"

/* ---- sinks ------------------------------------------------------------- */

typedef struct box {
    tsc__box kind;
    double x, y, w, h;
    int index;
    char text[96];
} box;

typedef struct box_log {
    box b[8192];
    size_t n;
} box_log;

static void box_sink(tsc__box kind, double x, double y, double w, double h, int index,
                     const char *text, void *data)
{
    box_log *l = data;
    if (l->n == sizeof l->b / sizeof l->b[0]) return;
    box *b = &l->b[l->n++];
    *b = (box){kind, x, y, w, h, index, ""};
    snprintf(b->text, sizeof b->text, "%s", text);
}

static size_t count_kind(const box_log *l, tsc__box kind)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) n += l->b[i].kind == kind;
    return n;
}

/* Open intervals: boxes that only touch do not overlap. */
static int overlap(const box *a, const box *b)
{
    return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

static const char *kind_name(tsc__box k)
{
    static const char *names[] = {
        "banner", "scope badge",     "legend",           "disclaimer", "orientation",      "axis",
        "label",  "thumbnail image", "thumbnail banner", "pill",       "measurement label"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* How many times a lesion label (and a reader measurement's label, with
 * `measurements`) lies outside the W x H view or overlaps another box; each
 * said on stderr. */
static size_t label_clashes(const box_log *bl, double W, double H, int measurements)
{
    size_t clashes = 0;
    for (size_t i = 0; i < bl->n; i++) {
        const box *a = &bl->b[i];
        if (a->kind != TSC__BOX_LABEL && !(measurements && a->kind == TSC__BOX_MEASURE)) continue;
        if (a->x < 0 || a->y < 0 || a->x + a->w > W || a->y + a->h > H) {
            fprintf(stderr, "label %s outside the view\n", a->text);
            clashes++;
        }
        for (size_t j = 0; j < bl->n; j++) {
            const box *b = &bl->b[j];
            if (j == i || !overlap(a, b)) continue;
            fprintf(stderr, "label '%s' overlaps %s %d (%.0f,%.0f %.0fx%.0f)\n", a->text,
                    kind_name(b->kind), b->index, b->x, b->y, b->w, b->h);
            clashes++;
        }
    }
    return clashes;
}

/* ---- pixels ------------------------------------------------------------ */

static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    return ((const uint32_t *)(const void *)(d + (size_t)y * cairo_image_surface_get_stride(s)))[x];
}

static int near_color(uint32_t p, uint32_t rgb, int tol)
{
    for (int c = 0; c < 3; c++) {
        int a = (int)((p >> (16 - 8 * c)) & 255), b = (int)((rgb >> (16 - 8 * c)) & 255);
        if (abs(a - b) > tol) return 0;
    }
    return 1;
}

/* ---- results made to order --------------------------------------------- */

static size_t class_named(const tsc_model *m, const char *name)
{
    for (size_t i = 0; i < tsc_model_n_classes(m); i++)
        if (!strcmp(tsc_model_get_class_name(m, i), name)) return i;
    REQUIRE(!"class not in the model");
    return 0;
}

typedef enum kind {
    K_NO_TUMOR,
    K_TUMOR,
    K_TYPE_UNCERTAIN,
    K_INCONCLUSIVE,
    K_NOT_ASSESSABLE,
    K_SCOPE, /* a tumour analysed outside the model's scope on request */
    K_COUNT
} kind;

static const char *kind_names[K_COUNT] = {"no tumour", "tumour", "type uncertain",
                                          "inconclusive", "not assessable", "scope warning"};

#define SCOPE_WARNING "Outside the model's scope: sagittal slices, the model reads axial (analysed on request)"

typedef struct disc {
    double x, y, r; /* pixels */
} disc;

/* The verdict a made result states, with the reason for it (NULL: none). */
static void set_verdict(tsc_result *r, tsc_verdict v, size_t label, double confidence,
                        const char *reason)
{
    r->verdict = v;
    r->label = label;
    r->confidence = confidence;
    if (reason) snprintf(r->reason, sizeof r->reason, "%s", reason);
}

/* A CNN result of `rows` x `cols` pixels of 1 mm with the given discs as
 * lesions (measured by the core) and the probabilities of `k`. */
static tsc_result *made_result(const tsc_model *m, kind k, int rows, int cols, const disc *d,
                               size_t nd)
{
    tsc_result *r = tsc__result_new(rows, cols);
    REQUIRE(r);
    r->method = TSC_METHOD_CNN;
    r->n_classes = tsc_model_n_classes(m);
    r->spacing[0] = r->spacing[1] = 1.0;
    r->pixel_area_mm2 = 1.0;
    size_t nt = tsc_model_get_no_tumor_class(m), gl = class_named(m, "glioma"),
           me = class_named(m, "meningioma");
    for (size_t i = 0; i < r->n_classes; i++) r->probs[i] = 0.01;
    int lesions = k == K_TUMOR || k == K_TYPE_UNCERTAIN || k == K_INCONCLUSIVE || k == K_SCOPE;
    switch (k) {
    case K_NO_TUMOR:
    case K_NOT_ASSESSABLE:
        r->probs[nt] = 0.97;
        break;
    case K_TYPE_UNCERTAIN:
        r->probs[nt] = 0.03;
        r->probs[gl] = 0.50;
        r->probs[me] = 0.45;
        break;
    case K_INCONCLUSIVE:
        r->probs[nt] = 0.30;
        r->probs[gl] = 0.68;
        break;
    default:
        r->probs[nt] = 0.02;
        r->probs[gl] = 0.96;
        break;
    }
    r->p_tumor = 1.0 - r->probs[nt];
    r->type = gl;
    r->p_type = r->probs[gl] / r->p_tumor;
    if (lesions)
        for (size_t i = 0; i < nd; i++)
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < cols; x++)
                    if (hypot(x - d[i].x, y - d[i].y) <= d[i].r) r->mask[(size_t)y * cols + x] = 1;
    float *px = calloc((size_t)rows * cols, sizeof *px);
    REQUIRE(px);
    for (size_t i = 0; i < (size_t)rows * cols; i++) px[i] = r->mask[i] ? 900.0f : 400.0f;
    tsc_slice s = {px, rows, cols, {1.0, 1.0}};
    tsc_error err;
    REQUIRE(tsc__result_measure(r, &s, 0.0, &err) == TSC_OK);
    free(px);
    switch (k) {
    case K_NO_TUMOR: set_verdict(r, TSC_VERDICT_NO_TUMOR, nt, r->probs[nt], NULL); break;
    case K_NOT_ASSESSABLE:
        set_verdict(r, TSC_VERDICT_NOT_ASSESSABLE, nt, NAN,
                    "too little of the head on this slice (31 cm\xc2\xb2, the model reads slices "
                    "with at least 80 cm\xc2\xb2): vertex, skull base or the edge of the field of "
                    "view");
        break;
    case K_INCONCLUSIVE:
        set_verdict(r, TSC_VERDICT_INCONCLUSIVE, gl, NAN,
                    "the segmentation outlines a region but P(tumour) 70.0% is under the 85% "
                    "needed to call a tumour");
        break;
    case K_TYPE_UNCERTAIN:
        set_verdict(r, TSC_VERDICT_TUMOR, gl, r->p_type, NULL);
        r->type_uncertain = 1;
        break;
    default: set_verdict(r, TSC_VERDICT_TUMOR, gl, r->p_type, NULL); break;
    }
    if (k == K_SCOPE) tsc_result_set_scope_warning(r, SCOPE_WARNING);
    return r;
}

/* Keeps a rendering for a person to look at when TSC_LAYOUT_DIR is set. */
static void keep(cairo_surface_t *s, const char *name)
{
    const char *dir = getenv("TSC_LAYOUT_DIR");
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir && *dir ? dir : tsc_test_tmpdir(), name);
    cairo_surface_write_to_png(s, p);
}

/* ---- crowded slice ----------------------------------------------------- */

/* Six lesions of 9-11 mm, 4-6 mm apart, each with its RANO axes, and the
 * scope badge too: every label must land clear of every other label, every
 * axis, the banner, the badge, the legend, the disclaimer and the
 * orientation letters, inside the view. */
static void check_crowded(double zoom, const char *png)
{
    tsc_model *m = tsc_phantom_model(1.0);
    const disc d[6] = {{50, 52, 5.5}, {64, 50, 5}, {78, 53, 5.5},
                       {52, 66, 5}, {66, 65, 5.5}, {79, 68, 5}};
    tsc_result *r = made_result(m, K_SCOPE, 128, 128, d, 6);
    REQUIRE(tsc_result_n_lesions(r) == 6);
    tsc_overlay_options o = tsc_overlay_default_options();
    box_log *bl = calloc(1, sizeof *bl);
    text_log *tl = calloc(1, sizeof *tl);
    tsc__set_layout_sink(box_sink, bl);
    tsc__set_text_sink(text_log_sink, tl);
    cairo_surface_t *s = overlay_on_grey(m, r, zoom, &o);
    tsc__set_layout_sink(NULL, NULL);
    tsc__set_text_sink(NULL, NULL);
    keep(s, png);
    double W = cairo_image_surface_get_width(s), H = cairo_image_surface_get_height(s);
    printf("zoom %.1f: %zu boxes, %zu labels, %zu axis pieces, %zu orientation\n", zoom, bl->n,
           count_kind(bl, TSC__BOX_LABEL), count_kind(bl, TSC__BOX_AXIS),
           count_kind(bl, TSC__BOX_ORIENTATION));
    CHECK(count_kind(bl, TSC__BOX_LABEL) == 6);
    CHECK(count_kind(bl, TSC__BOX_AXIS) >= 6 * 2 * 3);
    CHECK(count_kind(bl, TSC__BOX_BANNER) == 1);
    CHECK(count_kind(bl, TSC__BOX_SCOPE) == 1);
    CHECK(count_kind(bl, TSC__BOX_LEGEND) == 1);
    CHECK(count_kind(bl, TSC__BOX_DISCLAIMER) == 1);
    CHECK(count_kind(bl, TSC__BOX_ORIENTATION) == 4);
    CHECK(label_clashes(bl, W, H, 0) == 0);
    /* Labels are "#n" and the measurement; the type is said once, in the banner. */
    for (int i = 1; i <= 6; i++) {
        char want[16];
        snprintf(want, sizeof want, "#%d ", i);
        CHECK(log_has(tl, want));
    }
    const char *p = tl->text;
    size_t glioma = 0;
    while ((p = strstr(p, "Glioma")) != NULL) glioma++, p++;
    CHECK(glioma == 2); /* the banner and the legend */
    CHECK(log_has(tl, " mm"));
    CHECK(log_has(tl, "Outside the model's scope"));
    cairo_surface_destroy(s);
    free(bl);
    free(tl);
    tsc_result_free(r);
    tsc_model_free(m);
}

TSC_TEST(crowded_slice_labels_overlap_nothing)
{
    check_crowded(4.0, "crowded-x4.png");
    check_crowded(3.0, "crowded-x3.png");
}

/* The crowded slice with three reader measurements over and between the
 * lesions: every measurement label lands clear of every lesion label,
 * axis, banner, badge, legend, disclaimer and other measurement label, and
 * the lesion labels still overlap nothing. */
TSC_TEST(measurement_labels_on_a_crowded_slice_overlap_nothing)
{
    tsc_model *m = tsc_phantom_model(1.0);
    const disc d[6] = {{50, 52, 5.5}, {64, 50, 5},   {78, 53, 5.5},
                       {52, 66, 5},   {66, 65, 5.5}, {79, 68, 5}};
    tsc_result *r = made_result(m, K_SCOPE, 128, 128, d, 6);
    const double ruler[4] = {40, 80, 90, 80}, ellipse[4] = {58, 44, 72, 58},
                 poly[8] = {30, 30, 45, 28, 42, 42, 32, 40};
    tsc_reader_measurement ms[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        ms[i].struct_size = sizeof ms[i];
        ms[i].number = i + 1;
    }
    ms[0].kind = TSC_READER_RULER, ms[0].points = ruler, ms[0].n_points = 2;
    ms[0].length_mm = 50;
    ms[1].kind = TSC_READER_ELLIPSE, ms[1].points = ellipse, ms[1].n_points = 2;
    ms[1].area_mm2 = 153.9, ms[1].n_pixels = 150, ms[1].mean = 812.5;
    ms[2].kind = TSC_READER_FREEHAND, ms[2].points = poly, ms[2].n_points = 4;
    ms[2].area_mm2 = 170, ms[2].n_pixels = 160, ms[2].mean = 99.5;
    box_log *bl = calloc(1, sizeof *bl);
    const double zoom = 4.0;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 128 * 4, 128 * 4);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
    cairo_paint(cr);
    cairo_scale(cr, zoom, zoom);
    tsc_overlay_options o = tsc_overlay_default_options();
    tsc_error err;
    tsc__set_layout_sink(box_sink, bl);
    CHECK_STATUS(tsc__render_overlay_meas(cr, m, r, &o, 0, ms, 3, &err), TSC_OK);
    tsc__set_layout_sink(NULL, NULL);
    cairo_destroy(cr);
    keep(s, "crowded-measured-x4.png");
    printf("%zu lesion labels, %zu measurement labels\n", count_kind(bl, TSC__BOX_LABEL),
           count_kind(bl, TSC__BOX_MEASURE));
    CHECK(count_kind(bl, TSC__BOX_LABEL) == 6);
    CHECK(count_kind(bl, TSC__BOX_MEASURE) == 3);
    CHECK(label_clashes(bl, 512, 512, 1) == 0);
    /* The ruler is drawn in the measurement yellow along its row. */
    cairo_surface_flush(s);
    int yellow = 0;
    for (int x = 40 * 4 + 8; x < 90 * 4 - 8; x++)
        yellow += near_color(pixel(s, x, 80 * 4), TSC_COLOR_MEASUREMENT, 40);
    printf("ruler: %d of %d pixels yellow\n", yellow, 50 * 4 - 16);
    CHECK(yellow >= (50 * 4 - 16) / 2);
    cairo_surface_destroy(s);
    free(bl);
    tsc_result_free(r);
    tsc_model_free(m);
}

/* ---- every verdict ----------------------------------------------------- */

/* The banner of the overlay: the description's label in its colour. */
TSC_TEST(overlay_draws_every_verdict_in_the_words_and_colour_of_the_description)
{
    tsc_model *m = tsc_phantom_model(1.0);
    const disc d[1] = {{120, 100, 12}};
    for (int k = 0; k < K_COUNT; k++) {
        tsc_result *r = made_result(m, (kind)k, 200, 240, d, 1);
        tsc_description desc;
        tsc_result_describe(m, r, &desc);
        text_log *tl = calloc(1, sizeof *tl);
        box_log *bl = calloc(1, sizeof *bl);
        tsc__set_text_sink(text_log_sink, tl);
        tsc__set_layout_sink(box_sink, bl);
        tsc_overlay_options o = tsc_overlay_default_options();
        cairo_surface_t *s = overlay_on_grey(m, r, 2.0, &o);
        tsc__set_text_sink(NULL, NULL);
        tsc__set_layout_sink(NULL, NULL);
        char name[64];
        snprintf(name, sizeof name, "verdict-%d.png", k);
        keep(s, name);
        printf("%s: label '%s', colour #%06X\n", kind_names[k], desc.label, desc.color);
        CHECK(desc.label[0] != 0);
        CHECK(log_has(tl, desc.label));
        CHECK(near_color(pixel(s, 8 + 6, 8 + 4), desc.color, 2));
        CHECK(count_kind(bl, TSC__BOX_BANNER) == 1);
        if (desc.reason[0]) {
            char first[24];
            snprintf(first, sizeof first, "%.16s", desc.reason);
            CHECK(log_has(tl, first));
        }
        /* A slice in doubt never shows its most likely type as a finding. */
        if (k == K_INCONCLUSIVE || k == K_NOT_ASSESSABLE || k == K_NO_TUMOR) {
            CHECK(!log_has(tl, "Glioma "));
            CHECK(desc.confidence_text[0] == 0 || k == K_NO_TUMOR);
        }
        if (k == K_NOT_ASSESSABLE) CHECK(desc.color == TSC_COLOR_NOT_ASSESSABLE);
        if (k == K_TYPE_UNCERTAIN) CHECK(desc.type_uncertain);
        size_t badges = count_kind(bl, TSC__BOX_SCOPE);
        CHECK(badges == (k == K_SCOPE));
        if (k == K_SCOPE) {
            CHECK(log_has(tl, "Outside the model's scope"));
            for (size_t i = 0; i < bl->n; i++)
                if (bl->b[i].kind == TSC__BOX_SCOPE)
                    CHECK(near_color(pixel(s, (int)bl->b[i].x + 6, (int)bl->b[i].y + 4),
                                     TSC__COLOR_SCOPE, 2));
        }
        cairo_surface_destroy(s);
        free(tl);
        free(bl);
        tsc_result_free(r);
    }
    tsc_model_free(m);
}

typedef struct study {
    char dir[4096];
    tsc_dicom_index *ix;
    tsc_model *model;
    tsc_series_result *sr;
} study;

static study open_study(void)
{
    study s;
    memset(&s, 0, sizeof s);
    snprintf(s.dir, sizeof s.dir, "%s/study", tsc_test_tmpdir());
    tsc_phantom_spec spec = tsc_phantom_default();
    tsc_phantom_write(s.dir, &spec);
    s.ix = tsc_phantom_open(s.dir);
    s.model = tsc_phantom_model(1.0);
    s.sr = tsc_phantom_analyze(s.model, s.ix, 0, TSC_METHOD_CNN);
    return s;
}

static void close_study(study *s)
{
    tsc_series_result_free(s->sr);
    tsc_model_free(s->model);
    tsc_dicom_index_free(s->ix);
}

static tsc_report_options report_options(void)
{
    tsc_report_options o = tsc_report_default_options();
    o.timestamp = "2024-03-01 10:15";
    o.force = 1;
    return o;
}

/* One report page of a test: its file, out/<prefix>-<k>.png, and the text
 * and boxes drawn from page_start() until page_stop(). */
typedef struct page {
    const char *png;
    text_log *tl;
    box_log *bl;
} page;

static page page_start(const char *prefix, int k)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%d.png", prefix, k);
    page p = {out_path(name), calloc(1, sizeof *p.tl), calloc(1, sizeof *p.bl)};
    REQUIRE(p.tl && p.bl);
    tsc__set_text_sink(text_log_sink, p.tl);
    tsc__set_layout_sink(box_sink, p.bl);
    return p;
}

static void page_stop(void)
{
    tsc__set_text_sink(NULL, NULL);
    tsc__set_layout_sink(NULL, NULL);
}

static void page_free(page *p)
{
    free(p->tl);
    free(p->bl);
}

/* The pill of a report page: the description's label in its colour. */
static void check_pill(const char *png, const box_log *bl, const tsc_description *d)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
    size_t pills = 0;
    for (size_t i = 0; i < bl->n; i++) {
        const box *b = &bl->b[i];
        if (b->kind != TSC__BOX_PILL) continue;
        pills++;
        CHECK(strstr(b->text, d->label) != NULL);
        CHECK(near_color(pixel(s, (int)b->x + 8, (int)b->y + 5), d->color, 2));
    }
    CHECK(pills == 1);
    cairo_surface_destroy(s);
}

TSC_TEST(slice_report_draws_every_verdict_in_the_words_and_colour_of_the_description)
{
    study st = open_study();
    const disc d[1] = {{120, 100, 12}};
    for (int k = 0; k < K_COUNT; k++) {
        tsc_result *r = made_result(st.model, (kind)k, 200, 240, d, 1);
        tsc_description desc;
        tsc_result_describe(st.model, r, &desc);
        page p = page_start("slice-report", k);
        tsc_report_options o = report_options();
        tsc_error err;
        CHECK_STATUS(tsc_report_slice_png(p.png, st.model, st.ix, 0, 3, r, &o, &err), TSC_OK);
        page_stop();
        printf("%s: %s\n", kind_names[k], desc.label);
        CHECK(log_has(p.tl, desc.label));
        if (desc.reason[0]) {
            char first[24];
            snprintf(first, sizeof first, "%.16s", desc.reason);
            CHECK(log_has(p.tl, first));
        }
        if (k == K_INCONCLUSIVE || k == K_NOT_ASSESSABLE || k == K_NO_TUMOR)
            CHECK(!log_has(p.tl, "Glioma "));
        check_pill(p.png, p.bl, &desc);
        /* The badge on the overlay and on the page. */
        CHECK(count_kind(p.bl, TSC__BOX_SCOPE) == (k == K_SCOPE ? 2u : 0u));
        if (k == K_SCOPE) CHECK(log_has(p.tl, "sagittal slices"));
        page_free(&p);
        tsc_result_free(r);
    }
    close_study(&st);
}

/* The series report in every series verdict, the five and the two
 * variants: the summary's pill is the series description. */
TSC_TEST(series_report_draws_every_verdict_in_the_words_and_colour_of_the_description)
{
    study st = open_study();
    size_t n = tsc_series_result_n_slices(st.sr);
    for (int k = 0; k < K_COUNT + 1; k++) {
        tsc_series_result *sr = st.sr, *own = NULL;
        tsc_verdict saved = sr->verdict;
        double saved_confidence = sr->confidence;
        sr->type_uncertain = 0;
        sr->reason[0] = 0;
        tsc_series_result_set_scope_warning(sr, "");
        switch (k) {
        case K_NO_TUMOR: sr->verdict = TSC_VERDICT_NO_TUMOR; sr->confidence = 0.97; break;
        case K_TYPE_UNCERTAIN: sr->type_uncertain = 1; break;
        case K_INCONCLUSIVE: sr->verdict = TSC_VERDICT_INCONCLUSIVE; sr->confidence = NAN; break;
        case K_NOT_ASSESSABLE:
            sr->verdict = TSC_VERDICT_NOT_ASSESSABLE;
            sr->confidence = NAN;
            snprintf(sr->reason, sizeof sr->reason, "no slice shows enough of the head to be read");
            break;
        case K_SCOPE: tsc_series_result_set_scope_warning(sr, SCOPE_WARNING); break;
        case K_COUNT:
            own = tsc_series_result_new_not_analysed(n, "CT is outside the model's scope (MR only)");
            sr = own;
            break;
        default: break;
        }
        tsc_description desc;
        tsc_series_result_describe(st.model, sr, &desc);
        page p = page_start("series-report", k);
        tsc_report_options o = report_options();
        tsc_error err;
        CHECK_STATUS(tsc_report_series_png(p.png, st.model, st.ix, 0, sr, &o, &err), TSC_OK);
        page_stop();
        printf("%s: %s (%s)\n", k < K_COUNT ? kind_names[k] : "not analysed", desc.label, desc.reason);
        CHECK(log_has(p.tl, desc.label));
        if (desc.reason[0])
            CHECK(log_has(p.tl, "the model's scope") || log_has(p.tl, "enough of the head"));
        check_pill(p.png, p.bl, &desc);
        if (k == K_SCOPE) {
            /* On the page and on every thumbnail. */
            CHECK(count_kind(p.bl, TSC__BOX_SCOPE) == 1 + count_kind(p.bl, TSC__BOX_THUMB_IMAGE));
            CHECK(log_has(p.tl, "sagittal slices"));
        }
        if (k == K_COUNT) CHECK(desc.verdict == TSC_VERDICT_NOT_ANALYSED);
        page_free(&p);
        if (own) tsc_series_result_free(own);
        st.sr->verdict = saved;
        st.sr->confidence = saved_confidence;
    }
    close_study(&st);
}

/* ---- thumbnails -------------------------------------------------------- */

TSC_TEST(key_slice_thumbnails_have_their_banner_outside_the_image)
{
    study st = open_study();
    box_log *bl = calloc(1, sizeof *bl);
    tsc__set_layout_sink(box_sink, bl);
    tsc_report_options o = report_options();
    const char *path = out_path("series.png");
    tsc_error err;
    CHECK_STATUS(tsc_report_series_png(path, st.model, st.ix, 0, st.sr, &o, &err), TSC_OK);
    tsc__set_layout_sink(NULL, NULL);
    size_t ni = count_kind(bl, TSC__BOX_THUMB_IMAGE), nb = count_kind(bl, TSC__BOX_THUMB_BANNER);
    printf("%zu thumbnails, %zu banners, %zu banners drawn on images\n", ni, nb,
           count_kind(bl, TSC__BOX_BANNER));
    CHECK(ni >= 2 && nb == ni);
    /* No overlay banner is drawn on a thumbnail's image. */
    CHECK(count_kind(bl, TSC__BOX_BANNER) == 0);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
    for (size_t i = 0; i < bl->n; i++) {
        const box *b = &bl->b[i];
        if (b->kind != TSC__BOX_THUMB_BANNER) continue;
        const tsc_result *r = tsc_series_result_get_slice(st.sr, (size_t)b->index - 1);
        REQUIRE(r);
        tsc_description d;
        tsc_result_describe(st.model, r, &d);
        CHECK(strstr(b->text, d.label) != NULL);
        CHECK(near_color(pixel(s, (int)b->x + 6, (int)(b->y + b->h / 2)), d.color, 2));
        for (size_t j = 0; j < bl->n; j++) {
            const box *im = &bl->b[j];
            if (im->kind != TSC__BOX_THUMB_IMAGE) continue;
            CHECK(!overlap(b, im));
            if (im->index == b->index) {
                CHECK(b->y + b->h <= im->y); /* above its own image */
                /* Where an in-image banner would be, the image is not in
                 * the banner's colour. */
                CHECK(!near_color(pixel(s, (int)im->x + 14, (int)im->y + 12), d.color, 40));
            }
        }
    }
    cairo_surface_destroy(s);
    free(bl);
    close_study(&st);
}

/* ---- 3D lesions -------------------------------------------------------- */

/* Twelve 3D lesions, alternately measurable or not: the series PNG lists
 * all of them; the PDF lists eight on the summary and continues on a page of
 * its own. */
TSC_TEST(series_report_lists_every_3d_lesion_numbered_largest_first)
{
    study st = open_study();
    const size_t n3 = 12;
    tsc_lesion3d_info *l = calloc(n3, sizeof *l);
    REQUIRE(l);
    size_t gl = class_named(st.model, "glioma"), me = class_named(st.model, "meningioma");
    for (size_t i = 0; i < n3; i++) {
        l[i].volume_ml = 12.0 - i;
        l[i].first_slice = 2;
        l[i].last_slice = 5;
        l[i].key_slice = 3;
        l[i].label = i % 3 ? gl : me;
        l[i].type_probability = 0.9;
        l[i].measurable = i % 2 == 0;
        l[i].diameter_mm = l[i].measurable ? 20.0 + i : 8.0;
        l[i].perpendicular_mm = l[i].measurable ? 15.0 : 6.0;
        l[i].max_product_mm2 = l[i].measurable ? l[i].diameter_mm * l[i].perpendicular_mm : 0;
        l[i].has_patient_coordinates = 1;
        l[i].centre_mm[0] = -10.5 - i;
        l[i].centre_mm[1] = 20.25;
        l[i].centre_mm[2] = 30.0;
    }
    free(st.sr->lesions3d);
    st.sr->lesions3d = l;
    st.sr->n_lesions3d = n3;

    text_log *tl = calloc(1, sizeof *tl);
    tsc__set_text_sink(text_log_sink, tl);
    tsc_report_options o = report_options();
    tsc_error err;
    CHECK_STATUS(tsc_report_series_png(out_path("lesions.png"), st.model, st.ix, 0, st.sr, &o, &err),
                 TSC_OK);
    tsc__set_text_sink(NULL, NULL);
    for (size_t i = 0; i < n3; i++) {
        char want[16];
        snprintf(want, sizeof want, "\n#%zu\n", i + 1);
        CHECK(log_has(tl, want));
    }
    CHECK(log_has(tl, "Meningioma 90.0%"));
    CHECK(log_has(tl, "Glioma 90.0%"));
    CHECK(log_has(tl, "20.0 \xc3\x97 15.0 = 300.0 mm\xc2\xb2"));
    CHECK(log_has(tl, "non-measurable (8.0 \xc3\x97 6.0)"));
    CHECK(log_has(tl, "-10.5, 20.2, 30.0") || log_has(tl, "-10.5, 20.3, 30.0"));
    CHECK(log_has(tl, "LPS"));
    CHECK(!log_has(tl, "not listed") && !log_has(tl, "more"));

    memset(tl, 0, sizeof *tl);
    tsc__set_text_sink(text_log_sink, tl);
    CHECK_STATUS(tsc_report_pdf(out_path("lesions.pdf"), st.model, st.ix, 0, st.sr, &o, &err), TSC_OK);
    tsc__set_text_sink(NULL, NULL);
    CHECK(log_has(tl, "\n#12\n"));
    CHECK(log_has(tl, "continue on the next page"));
    CHECK(log_has(tl, "CONTINUED"));
    free(tl);
    close_study(&st);
}

TSC_TEST_MAIN(TSC_CASE(crowded_slice_labels_overlap_nothing),
              TSC_CASE(measurement_labels_on_a_crowded_slice_overlap_nothing),
              TSC_CASE(overlay_draws_every_verdict_in_the_words_and_colour_of_the_description),
              TSC_CASE(slice_report_draws_every_verdict_in_the_words_and_colour_of_the_description),
              TSC_CASE(series_report_draws_every_verdict_in_the_words_and_colour_of_the_description),
              TSC_CASE(key_slice_thumbnails_have_their_banner_outside_the_image),
              TSC_CASE(series_report_lists_every_3d_lesion_numbered_largest_first))
