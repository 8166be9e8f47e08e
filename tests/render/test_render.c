/* SPDX-License-Identifier: BSD-3-Clause */
/* Overlays and reports (plugin/render) on real analysis results of a
 * synthetic DICOM head series: pixel references, colours where the mask is,
 * constant text size under zoom, report sizes, de-identification of PNG and
 * PDF, overwrite and input-folder refusals. */
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tsc_format.h"
#include "phantom.h"
#include "render_test.h"
#include "render_private.h"
#include "tsc_render.h"
#include "tsc_test.h"

/* ---- fixtures ---------------------------------------------------------- */

typedef struct fixture {
    char study[4096];
    tsc_dicom_index *ix;
    tsc_model *model; /* NULL: threshold method */
    tsc_series_result *sr;
} fixture;

static fixture setup_with(int cnn, double temperature, const tsc_phantom_spec *spec)
{
    fixture f;
    memset(&f, 0, sizeof f);
    snprintf(f.study, sizeof f.study, "%s/study", tsc_test_tmpdir());
    tsc_phantom_spec s = spec ? *spec : tsc_phantom_default();
    tsc_phantom_write(f.study, &s);
    f.ix = tsc_phantom_open(f.study);
    if (cnn) f.model = tsc_phantom_model(temperature);
    f.sr = tsc_phantom_analyze(f.model, f.ix, 0, cnn ? TSC_METHOD_CNN : TSC_METHOD_THRESHOLD);
    return f;
}

static fixture setup(int cnn)
{
    return setup_with(cnn, 1.0, NULL);
}

static void teardown(fixture *f)
{
    tsc_series_result_free(f->sr);
    tsc_model_free(f->model);
    tsc_dicom_index_free(f->ix);
}

/* The slice with the largest lesion (the series key slice). */
static size_t key_slice(const fixture *f)
{
    size_t k = tsc_series_result_get_key_slice(f->sr);
    REQUIRE(k < tsc_series_result_n_slices(f->sr));
    return k;
}

static size_t first_with_verdict(const fixture *f, tsc_verdict v)
{
    for (size_t k = 0; k < tsc_series_result_n_slices(f->sr); k++) {
        const tsc_result *r = tsc_series_result_get_slice(f->sr, k);
        if (r && tsc_result_get_verdict(r) == v) return k;
    }
    return (size_t)-1;
}

/* The first slice stating verdict v; the case stops when there is none. */
static const tsc_result *slice_with_verdict(const fixture *f, tsc_verdict v)
{
    size_t k = first_with_verdict(f, v);
    REQUIRE(k != (size_t)-1);
    return tsc_series_result_get_slice(f->sr, k);
}

/* Prefers a slice that also has a measured lesion (a region to draw). */
static size_t first_with_verdict_and_lesion(const fixture *f, tsc_verdict v)
{
    for (size_t k = 0; k < tsc_series_result_n_slices(f->sr); k++) {
        const tsc_result *r = tsc_series_result_get_slice(f->sr, k);
        if (r && tsc_result_get_verdict(r) == v && tsc_result_n_lesions(r) > 0) return k;
    }
    return first_with_verdict(f, v);
}

/* The file a case just wrote; the case stops when it is missing. */
static unsigned char *read_file(const char *path, size_t *n)
{
    unsigned char *b = (unsigned char *)tsc_test_read_file(path, n);
    REQUIRE(b);
    return b;
}

static int contains(const unsigned char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return 1;
    return 0;
}

/* The identifiers as UTF-16BE hex, the way PDF metadata encodes non-ASCII strings. */
static int contains_utf16hex(const unsigned char *hay, size_t n, const char *ascii)
{
    char hex[512] = "";
    for (const char *p = ascii; *p && strlen(hex) < sizeof hex - 5; p++)
        snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "00%02X", (unsigned char)*p);
    return contains(hay, n, hex);
}

/* ---- pixels ------------------------------------------------------------ */

static cairo_surface_t *rgb_surface(const uint8_t *rgb, int w, int h)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            ((uint32_t *)(void *)(d + (size_t)y * stride))[x] =
                0xFF000000u | ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
        }
    cairo_surface_mark_dirty(s);
    return s;
}

static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    return ((const uint32_t *)(const void *)(d + (size_t)y * cairo_image_surface_get_stride(s)))[x];
}

static int channel(uint32_t p, int c)
{
    return (int)((p >> (16 - 8 * c)) & 255);
}

/* GTK reftest style: compare with tests/render/ref/NAME.png.  A pixel
 * differs when any channel differs by more than `tol` levels; the test
 * fails when more than `max_fraction` of the pixels differ, and then writes
 * NAME-got.png and NAME-diff.png (differences in red) to the test's
 * temporary folder.  TSC_UPDATE_REFERENCES=1 rewrites the reference. */
static int matches_reference(cairo_surface_t *got, const char *name, int tol, double max_fraction)
{
    char ref[4096];
    snprintf(ref, sizeof ref, "%s/tests/render/ref/%s.png", tsc_test_env("TSC_SOURCE_DIR", "."),
             name);
    if (getenv("TSC_UPDATE_REFERENCES")) {
        REQUIRE(cairo_surface_write_to_png(got, ref) == CAIRO_STATUS_SUCCESS);
        printf("updated reference %s\n", ref);
        return 1;
    }
    cairo_surface_t *want = cairo_image_surface_create_from_png(ref);
    if (cairo_surface_status(want) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "reference %s cannot be read; create it with TSC_UPDATE_REFERENCES=1\n", ref);
        cairo_surface_destroy(want);
        return 0;
    }
    int w = cairo_image_surface_get_width(got), h = cairo_image_surface_get_height(got);
    if (w != cairo_image_surface_get_width(want) || h != cairo_image_surface_get_height(want)) {
        fprintf(stderr, "%s: size %dx%d, reference %dx%d\n", name, w, h,
                cairo_image_surface_get_width(want), cairo_image_surface_get_height(want));
        cairo_surface_destroy(want);
        return 0;
    }
    cairo_surface_t *diff = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    size_t bad = 0;
    int worst = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t a = pixel(got, x, y), b = pixel(want, x, y);
            int d = 0;
            for (int c = 0; c < 3; c++) d = fmax(d, abs(channel(a, c) - channel(b, c)));
            if (d > worst) worst = d;
            uint32_t g = (uint32_t)(channel(a, 1) / 3);
            uint32_t out = d > tol ? 0xFFFF0000u : 0xFF000000u | (g << 16) | (g << 8) | g;
            unsigned char *dd = cairo_image_surface_get_data(diff);
            ((uint32_t *)(void *)(dd + (size_t)y * cairo_image_surface_get_stride(diff)))[x] = out;
            bad += d > tol;
        }
    cairo_surface_mark_dirty(diff);
    double frac = (double)bad / ((double)w * h);
    int ok = frac <= max_fraction;
    printf("%s: %zu of %d pixels differ by more than %d (%.3f%%, allowed %.3f%%), worst %d\n", name,
           bad, w * h, tol, 100 * frac, 100 * max_fraction, worst);
    if (!ok) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s-got.png", tsc_test_tmpdir(), name);
        cairo_surface_write_to_png(got, p);
        fprintf(stderr, "wrote %s\n", p);
        snprintf(p, sizeof p, "%s/%s-diff.png", tsc_test_tmpdir(), name);
        cairo_surface_write_to_png(diff, p);
        fprintf(stderr, "wrote %s\n", p);
    }
    cairo_surface_destroy(diff);
    cairo_surface_destroy(want);
    return ok;
}

static cairo_surface_t *render_slice(const fixture *f, size_t k, const tsc_overlay_options *o)
{
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    tsc_error err;
    tsc_status st = tsc_render_slice_rgb(f->model, f->ix, 0, k, tsc_series_result_get_slice(f->sr, k),
                                         o, 512, &rgb, &w, &h, &err);
    if (st != TSC_OK) fprintf(stderr, "render: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    cairo_surface_t *s = rgb_surface(rgb, w, h);
    free(rgb);
    return s;
}

/* Renders slice k of f with o into base/name (a docs/examples image). */
static void write_slice_png(const fixture *f, size_t k, const tsc_overlay_options *o,
                            const char *base, const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", base, name);
    cairo_surface_t *s = render_slice(f, k, o);
    CHECK(cairo_surface_write_to_png(s, p) == CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

/* ---- overlay ----------------------------------------------------------- */

/* The overlay of r with the default options on grey at 2 device pixels an
 * image pixel, the text it draws captured into *t. */
static cairo_surface_t *overlay_with_text(const fixture *f, const tsc_result *r, text_log *t)
{
    tsc_overlay_options o = tsc_overlay_default_options();
    capture_text(t);
    cairo_surface_t *s = overlay_on_grey(f->model, r, 2.0, &o);
    tsc__set_text_sink(NULL, NULL);
    return s;
}

/* Pixel tolerance of the references: 40 levels on 0.5 % of the pixels
 * absorbs antialiasing and a mask pixel flipping with float rounding on
 * another CPU; a moved label, a wrong colour or a lost outline exceeds it. */
#define REF_TOL 40
#define REF_FRACTION 0.005

/* Renders slice k of f with o and checks it against the named reference. */
static void check_slice_reference(const fixture *f, size_t k, const tsc_overlay_options *o,
                                  const char *name)
{
    cairo_surface_t *s = render_slice(f, k, o);
    CHECK(matches_reference(s, name, REF_TOL, REF_FRACTION));
    cairo_surface_destroy(s);
}

TSC_TEST(overlay_glioma_matches_reference_png)
{
    fixture f = setup(1);
    size_t k = 3; /* a middle slice of the disc */
    tsc_overlay_options o = tsc_overlay_default_options();
    check_slice_reference(&f, k, &o, "overlay_glioma");
    teardown(&f);
}

TSC_TEST(overlay_threshold_method_matches_reference_png)
{
    fixture f = setup(0);
    size_t k = key_slice(&f);
    tsc_overlay_options o = tsc_overlay_default_options();
    o.mode = TSC_OVERLAY_OUTLINE;
    check_slice_reference(&f, k, &o, "overlay_threshold_outline");
    teardown(&f);
}

TSC_TEST(overlay_inconclusive_matches_reference_png)
{
    fixture f = setup_with(1, 19.0, NULL);
    size_t k = first_with_verdict_and_lesion(&f, TSC_VERDICT_INCONCLUSIVE);
    REQUIRE(k != (size_t)-1);
    tsc_overlay_options o = tsc_overlay_default_options();
    check_slice_reference(&f, k, &o, "overlay_inconclusive");
    teardown(&f);
}

/* 1 when all 8 neighbours of (x, y) are in the mask too. */
static int interior(const uint8_t *m, int rows, int cols, int x, int y)
{
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int xx = x + dx, yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= cols || yy >= rows || !m[yy * cols + xx]) return 0;
        }
    return 1;
}

static int far_outside(const uint8_t *m, int rows, int cols, int x, int y, int d)
{
    for (int dy = -d; dy <= d; dy++)
        for (int dx = -d; dx <= d; dx++) {
            int xx = x + dx, yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < cols && yy < rows && m[yy * cols + xx]) return 0;
        }
    return 1;
}

TSC_TEST(overlay_fills_mask_in_the_type_colour_and_nothing_else)
{
    fixture f = setup(1);
    size_t k = key_slice(&f);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
    REQUIRE(tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR);
    tsc_overlay_options o = tsc_overlay_default_options();
    o.opacity = 0.5;
    o.show_labels = o.show_axes = o.show_legend = o.show_disclaimer = 0;
    const double zoom = 3;
    cairo_surface_t *s = overlay_on_grey(f.model, r, zoom, &o);
    int rows, cols;
    const uint8_t *mask = tsc_result_get_mask(r, &rows, &cols);
    uint32_t color = tsc_model_get_class_color(f.model, tsc_result_get_label(r)); /* glioma */
    CHECK(color == 0xD55E00);
    size_t inside = 0, inside_ok = 0, outside = 0, outside_ok = 0;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            /* Sample the centre of the pixel's 3x3 device block. */
            uint32_t p = pixel(s, (int)(x * zoom + 1), (int)(y * zoom + 1));
            if (interior(mask, rows, cols, x, y)) {
                inside++;
                int ok = 1;
                for (int c = 0; c < 3; c++) {
                    double want = 0.5 * 128 + 0.5 * ((color >> (16 - 8 * c)) & 255);
                    ok &= fabs(channel(p, c) - want) <= 3;
                }
                inside_ok += ok;
            } else if (far_outside(mask, rows, cols, x, y, 2)) {
                outside++;
                outside_ok += channel(p, 0) == 128 && channel(p, 1) == 128 && channel(p, 2) == 128;
            }
        }
    printf("inside %zu/%zu, outside %zu/%zu\n", inside_ok, inside, outside_ok, outside);
    CHECK(inside > 100);
    CHECK(inside_ok == inside);
    CHECK(outside_ok == outside);
    cairo_surface_destroy(s);
    teardown(&f);
}

TSC_TEST(overlay_outline_mode_leaves_the_interior_unchanged)
{
    fixture f = setup(1);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, key_slice(&f));
    tsc_overlay_options o = tsc_overlay_default_options();
    o.mode = TSC_OVERLAY_OUTLINE;
    o.show_labels = o.show_axes = o.show_legend = o.show_disclaimer = 0;
    cairo_surface_t *s = overlay_on_grey(f.model, r, 4, &o);
    int rows, cols;
    const uint8_t *mask = tsc_result_get_mask(r, &rows, &cols);
    size_t inner = 0, grey = 0, edge_coloured = 0, edges = 0;
    for (int y = 2; y < rows - 2; y++)
        for (int x = 2; x < cols - 2; x++) {
            if (!mask[y * cols + x]) continue;
            /* Deep inside: untouched grey. */
            int deep = 1;
            for (int d = -2; d <= 2 && deep; d++)
                deep = mask[(y + d) * cols + x] && mask[y * cols + x + d] && interior(mask, rows, cols, x + d, y);
            uint32_t p = pixel(s, x * 4 + 2, y * 4 + 2);
            if (deep) {
                inner++;
                grey += channel(p, 0) == 128 && channel(p, 1) == 128;
            }
            /* The pixel edge to a background neighbour on the left is stroked. */
            if (!mask[y * cols + x - 1]) {
                edges++;
                uint32_t e = pixel(s, x * 4, y * 4 + 2);
                edge_coloured += channel(e, 0) > 180 && channel(e, 2) < 90; /* #D55E00 */
            }
        }
    printf("deep %zu grey %zu, edges %zu coloured %zu\n", inner, grey, edges, edge_coloured);
    CHECK(inner > 50 && grey == inner);
    CHECK(edges > 5 && edge_coloured * 10 >= edges * 9);
    cairo_surface_destroy(s);
    teardown(&f);
}

TSC_TEST(overlay_text_keeps_its_device_size_at_any_zoom)
{
    fixture f = setup(1);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, key_slice(&f));
    tsc_overlay_options o = tsc_overlay_default_options();
    text_log a, b;
    capture_text(&a);
    cairo_surface_t *s1 = overlay_on_grey(f.model, r, 3.0, &o);
    capture_text(&b);
    cairo_surface_t *s4 = overlay_on_grey(f.model, r, 7.0, &o);
    tsc__set_text_sink(NULL, NULL);
    CHECK(a.n > 3);
    CHECK(a.n == b.n);
    CHECK(strcmp(a.text, b.text) == 0);
    for (size_t i = 0; i < a.n && i < b.n; i++) CHECK_NEAR(a.sizes[i], b.sizes[i], 1e-9);
    /* Labels spell the type out, with the confidence; axes carry mm. */
    CHECK(log_has(&a, "Glioma "));
    CHECK(log_has(&a, "%"));
    CHECK(log_has(&a, " mm"));
    CHECK(log_has(&a, "RANO axes (mm)"));
    CHECK(log_has(&a, TSC__DISCLAIMER));
    printf("%s", a.text);
    cairo_surface_destroy(s1);
    cairo_surface_destroy(s4);
    teardown(&f);
}

TSC_TEST(overlay_says_no_tumor_in_green_with_confidence)
{
    fixture f = setup(1);
    text_log t;
    cairo_surface_t *s = overlay_with_text(&f, slice_with_verdict(&f, TSC_VERDICT_NO_TUMOR), &t);
    CHECK(log_has(&t, "NO TUMOR "));
    CHECK(log_has(&t, "%"));
    /* The banner background at its top-left corner is #009E73. */
    uint32_t p = pixel(s, 8 + 6, 8 + 4);
    CHECK(abs(channel(p, 0) - 0x00) <= 2 && abs(channel(p, 1) - 0x9E) <= 2 &&
          abs(channel(p, 2) - 0x73) <= 2);
    cairo_surface_destroy(s);
    teardown(&f);
}

TSC_TEST(overlay_names_the_classical_method_without_a_model)
{
    fixture f = setup(0);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, key_slice(&f));
    REQUIRE(tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR);
    text_log t;
    cairo_surface_t *s = overlay_with_text(&f, r, &t);
    CHECK(log_has(&t, "Tumour (threshold method, for comparison only)"));
    CHECK(!log_has(&t, "%")); /* no calibrated confidence to show */
    printf("%s", t.text);
    cairo_surface_destroy(s);
    teardown(&f);
}

TSC_TEST(overlay_states_why_a_slice_is_inconclusive)
{
    fixture f = setup_with(1, 19.0, NULL);
    const tsc_result *r = slice_with_verdict(&f, TSC_VERDICT_INCONCLUSIVE);
    text_log t;
    cairo_surface_t *s = overlay_with_text(&f, r, &t);
    printf("%s", t.text);
    CHECK(log_has(&t, "INCONCLUSIVE"));
    /* The reason is wrapped over lines; its first words are on the banner. */
    char first[32];
    snprintf(first, sizeof first, "%.12s", tsc_result_get_reason(r));
    CHECK(strlen(first) > 5 && log_has(&t, first));
    uint32_t p = pixel(s, 8 + 6, 8 + 4); /* the banner in the inconclusive colour */
    const uint32_t ic = TSC_COLOR_INCONCLUSIVE;
    CHECK(abs(channel(p, 0) - (int)((ic >> 16) & 255)) <= 2 && abs(channel(p, 1) - (int)((ic >> 8) & 255)) <= 2 &&
          abs(channel(p, 2) - (int)(ic & 255)) <= 2);
    cairo_surface_destroy(s);
    teardown(&f);
}

TSC_TEST(overlay_heatmap_is_drawn_under_the_mask_only_when_asked)
{
    fixture f = setup(1);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, key_slice(&f));
    REQUIRE(tsc_result_get_probability_map(r) != NULL);
    tsc_overlay_options o = tsc_overlay_default_options();
    o.show_labels = o.show_axes = o.show_legend = o.show_disclaimer = 0;
    o.opacity = 0;
    o.mode = TSC_OVERLAY_OUTLINE;
    cairo_surface_t *plain = overlay_on_grey(f.model, r, 1, &o);
    o.show_heatmap = 1;
    cairo_surface_t *heat = overlay_on_grey(f.model, r, 1, &o);
    int rows, cols;
    const uint8_t *mask = tsc_result_get_mask(r, &rows, &cols);
    size_t changed = 0, inside = 0;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++)
            if (interior(mask, rows, cols, x, y)) {
                inside++;
                changed += pixel(plain, x, y) != pixel(heat, x, y);
            }
    CHECK(inside > 0 && changed * 10 >= inside * 9);
    cairo_surface_destroy(plain);
    cairo_surface_destroy(heat);
    teardown(&f);
}

/* ---- slice renderings -------------------------------------------------- */

TSC_TEST(slice_rendering_keeps_physical_aspect_and_enlarges_small_slices)
{
    fixture f = setup(1);
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    tsc_error err;
    /* 240 columns of 0.8 mm by 200 rows of 1.0 mm: 192 x 200 mm. */
    REQUIRE(tsc_render_slice_rgb(f.model, f.ix, 0, 0, NULL, NULL, 512, &rgb, &w, &h, &err) == TSC_OK);
    CHECK(w == 512);
    CHECK(h == (int)lround(512.0 * 200.0 / 192.0));
    free(rgb);
    teardown(&f);
}

/* ---- reports ----------------------------------------------------------- */

static tsc_report_options report_options(int deidentify)
{
    tsc_report_options o = tsc_report_default_options();
    o.deidentify = deidentify;
    o.timestamp = "2024-03-01 10:15";
    return o;
}

/* A report of the whole series (tsc_report_pdf, tsc_report_series_png). */
typedef tsc_status (*series_report_fn)(const char *path, const tsc_model *model,
                                       const tsc_dicom_index *index, size_t series,
                                       const tsc_series_result *r,
                                       const tsc_report_options *options, tsc_error *err);

/* f's series report by `report` into out/<name>, identified or not, with
 * the text it draws captured into *t (NULL: not captured); it must be
 * written.  Returns its path. */
static const char *series_report(const fixture *f, series_report_fn report, const char *name,
                                 int deidentify, text_log *t)
{
    tsc_report_options o = report_options(deidentify);
    const char *path = out_path(name);
    if (t) capture_text(t);
    tsc_error err;
    tsc_status st = report(path, f->model, f->ix, 0, f->sr, &o, &err);
    if (t) tsc__set_text_sink(NULL, NULL);
    if (st != TSC_OK) fprintf(stderr, "%s\n", err.message);
    REQUIRE(st == TSC_OK);
    return path;
}

/* A calibrated model is never certain: no text anywhere reads 100.0% or
 * 0.0%, even when the softmax saturates (temperature 0.1). */
TSC_TEST(probabilities_never_read_as_certainty)
{
    char b[16];
    CHECK(!strcmp(tsc_format_percent(0.99996, b, sizeof b), ">99.9%"));
    CHECK(!strcmp(tsc_format_percent(1.0, b, sizeof b), ">99.9%"));
    CHECK(!strcmp(tsc_format_percent(0.9994, b, sizeof b), "99.9%"));
    CHECK(!strcmp(tsc_format_percent(0.973, b, sizeof b), "97.3%"));
    CHECK(!strcmp(tsc_format_percent(0.0004, b, sizeof b), "<0.1%"));
    CHECK(!strcmp(tsc_format_percent(0.0, b, sizeof b), "<0.1%"));
    CHECK(!strcmp(tsc_format_percent(0.0005, b, sizeof b), "0.1%"));
    CHECK(!strcmp(tsc_format_percent(NAN, b, sizeof b), "n/a"));

    fixture f = setup_with(1, 0.1, NULL);
    size_t k = key_slice(&f);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
    REQUIRE(tsc_result_get_confidence(r) >= 0.9995);
    text_log t;
    capture_text(&t);
    tsc_overlay_options o = tsc_overlay_default_options();
    cairo_surface_t *s = overlay_on_grey(f.model, r, 1.0, &o);
    tsc_report_options ro = report_options(0);
    tsc_error err;
    CHECK(tsc_report_slice_png(out_path("certain.png"), f.model, f.ix, 0, k, r, &ro, &err) == TSC_OK);
    tsc__set_text_sink(NULL, NULL);
    CHECK(log_has(&t, ">99.9%"));
    CHECK(!log_has(&t, "100.0%"));
    CHECK(!log_has(&t, " 0.0%") && !log_has(&t, "\n0.0%"));
    cairo_surface_destroy(s);
    teardown(&f);
}

TSC_TEST(report_slice_png_has_page_size_and_safe_text_chunks)
{
    fixture f = setup(1);
    size_t k = key_slice(&f);
    tsc_report_options o = report_options(0);
    const char *path = out_path("slice.png");
    tsc_error err;
    tsc_status st = tsc_report_slice_png(path, f.model, f.ix, 0, k, tsc_series_result_get_slice(f.sr, k), &o, &err);
    if (st != TSC_OK) fprintf(stderr, "%s\n", err.message);
    REQUIRE(st == TSC_OK);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
    /* The page is at least as wide as its side-by-side layout; the panel
     * (512 x 533) plus header and footer fit in its height. */
    CHECK(cairo_image_surface_get_width(s) == 1120);
    CHECK(cairo_image_surface_get_height(s) > 533 + 106 + 100);
    cairo_surface_destroy(s);
    size_t n;
    unsigned char *b = read_file(path, &n);
    CHECK(contains(b, n, "tEXtTitle"));
    CHECK(contains(b, n, "tEXtSoftware"));
    CHECK(contains(b, n, "Decision support only"));
    CHECK(!contains(b, n, TSC_PHANTOM_PATIENT_ID));
    free(b);
    teardown(&f);
}

static void check_no_identifiers(const text_log *t, const unsigned char *b, size_t n)
{
    const char *ids[] = {"Jane", "JANE", TSC_PHANTOM_PATIENT_ID, TSC_PHANTOM_BIRTH_DATE,
                         "1971-02-03", TSC_PHANTOM_ACCESSION, "Phantom General Hospital",
                         /* Too short to grep compressed bytes for: drawn text only. */
                         "Doe", "DOE"};
    const size_t n_ids = sizeof ids / sizeof ids[0];
    for (size_t i = 0; i < n_ids; i++) {
        if (t && log_has(t, ids[i])) {
            fprintf(stderr, "drawn: %s\n", ids[i]);
            tsc_test_failures++;
        }
        if (i >= n_ids - 2) continue;
        if (b && (contains(b, n, ids[i]) || contains_utf16hex(b, n, ids[i]))) {
            fprintf(stderr, "in the file bytes: %s\n", ids[i]);
            tsc_test_failures++;
        }
    }
}

TSC_TEST(report_slice_png_deidentified_shows_no_patient_identifiers)
{
    fixture f = setup(1);
    size_t k = key_slice(&f);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
    tsc_error err;
    /* Identified first: the identifiers are drawn (the check can see them). */
    text_log t;
    tsc_report_options o = report_options(0);
    capture_text(&t);
    REQUIRE(tsc_report_slice_png(out_path("named.png"), f.model, f.ix, 0, k, r, &o, &err) == TSC_OK);
    CHECK(log_has(&t, "Doe, Jane"));
    CHECK(log_has(&t, TSC_PHANTOM_PATIENT_ID));
    CHECK(log_has(&t, "1971-02-03"));
    memset(&t, 0, sizeof t);
    o = report_options(1);
    const char *path = out_path("anon.png");
    REQUIRE(tsc_report_slice_png(path, f.model, f.ix, 0, k, r, &o, &err) == TSC_OK);
    tsc__set_text_sink(NULL, NULL);
    CHECK(log_has(&t, "De-identified report"));
    size_t n;
    unsigned char *b = read_file(path, &n);
    check_no_identifiers(&t, b, n);
    free(b);
    teardown(&f);
}

static size_t count_pages(const unsigned char *b, size_t n)
{
    size_t pages = 0;
    for (size_t i = 0; i + 11 <= n; i++)
        if (memcmp(b + i, "/Type /Page", 11) == 0 && b[i + 11] != 's') pages++;
    return pages;
}

TSC_TEST(report_pdf_has_summary_then_one_page_per_finding)
{
    fixture f = setup(1);
    size_t findings = 0;
    for (size_t k = 0; k < tsc_series_result_n_slices(f.sr); k++) {
        const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
        findings += r && tsc_result_get_verdict(r) != TSC_VERDICT_NO_TUMOR;
    }
    REQUIRE(findings >= 2);
    const char *path = series_report(&f, tsc_report_pdf, "report.pdf", 0, NULL);
    size_t n;
    unsigned char *b = read_file(path, &n);
    CHECK(memcmp(b, "%PDF-", 5) == 0);
    CHECK(count_pages(b, n) == 1 + findings);
    CHECK(contains(b, n, "/Creator (tumorscope"));
    /* Identified: the title names the patient (UTF-16 because of the dash). */
    CHECK(contains_utf16hex(b, n, "Doe, Jane"));
    free(b);
    teardown(&f);
}

TSC_TEST(report_pdf_deidentified_has_no_identifiers_in_pages_or_metadata)
{
    fixture f = setup(1);
    text_log t;
    const char *path = series_report(&f, tsc_report_pdf, "anon.pdf", 1, &t);
    CHECK(log_has(&t, "De-identified report"));
    size_t n;
    unsigned char *b = read_file(path, &n);
    CHECK(contains(b, n, "/Title"));
    check_no_identifiers(&t, b, n);
    free(b);
    teardown(&f);
}

TSC_TEST(report_pdf_without_findings_has_a_page_per_analysed_slice)
{
    tsc_phantom_spec s = tsc_phantom_default();
    s.lesion_first = s.lesion_last = -1;
    s.n_slices = 3;
    fixture f = setup_with(1, 1.0, &s);
    REQUIRE(tsc_series_result_get_verdict(f.sr) == TSC_VERDICT_NO_TUMOR);
    const char *path = series_report(&f, tsc_report_pdf, "clean.pdf", 0, NULL);
    size_t n;
    unsigned char *b = read_file(path, &n);
    CHECK(count_pages(b, n) == 1 + 3);
    free(b);
    teardown(&f);
}

TSC_TEST(report_series_png_summarises_the_series)
{
    fixture f = setup(1);
    text_log t;
    const char *path = series_report(&f, tsc_report_series_png, "series.png", 0, &t);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
    CHECK(cairo_image_surface_get_width(s) == 1120);
    cairo_surface_destroy(s);
    /* The series finding is the core's description, word for word. */
    tsc_description d;
    tsc_series_result_describe(f.model, f.sr, &d);
    CHECK(d.verdict == TSC_VERDICT_TUMOR);
    CHECK(log_has(&t, d.label));
    CHECK(log_has(&t, "TUMOR \xc2\xb7 Glioma"));
    CHECK(log_has(&t, " mL"));
    CHECK(log_has(&t, "KEY SLICE"));
    size_t n_tumour = 0;
    for (size_t k = 0; k < tsc_series_result_n_slices(f.sr); k++) {
        const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
        n_tumour += r && tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR;
    }
    char chip[32];
    snprintf(chip, sizeof chip, "Tumour %zu", n_tumour);
    CHECK(log_has(&t, chip));
    printf("%s", t.text);
    teardown(&f);
}

TSC_TEST(key_slices_keep_the_key_and_thin_evenly)
{
    tsc_phantom_spec s = tsc_phantom_default();
    s.n_slices = 16;
    s.lesion_first = 1;
    s.lesion_last = 14;
    s.lesion_r_mm = 20;
    fixture f = setup_with(0, 1.0, &s);
    size_t picks[9];
    size_t n = tsc_report_pick_key_slices(f.sr, picks, 9);
    size_t key = tsc_series_result_get_key_slice(f.sr);
    CHECK(n == 9);
    int has_key = 0;
    for (size_t i = 0; i < n; i++) {
        has_key |= picks[i] == key;
        if (i) CHECK(picks[i] > picks[i - 1]);
        const tsc_result *r = tsc_series_result_get_slice(f.sr, picks[i]);
        CHECK(r && tsc_result_get_verdict(r) != TSC_VERDICT_NO_TUMOR);
    }
    CHECK(has_key);
    teardown(&f);
}

TSC_TEST(report_refuses_to_overwrite_without_force)
{
    fixture f = setup(0);
    size_t k = key_slice(&f);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
    tsc_report_options o = report_options(0);
    const char *path = out_path("twice.png");
    tsc_error err;
    REQUIRE(tsc_report_slice_png(path, NULL, f.ix, 0, k, r, &o, &err) == TSC_OK);
    CHECK_STATUS(tsc_report_slice_png(path, NULL, f.ix, 0, k, r, &o, &err), TSC_EEXIST);
    CHECK(strstr(err.message, "--force") != NULL);
    CHECK_STATUS(tsc_report_pdf(path, NULL, f.ix, 0, f.sr, &o, &err), TSC_EEXIST);
    CHECK_STATUS(tsc_report_series_png(path, NULL, f.ix, 0, f.sr, &o, &err), TSC_EEXIST);
    o.force = 1;
    CHECK_STATUS(tsc_report_slice_png(path, NULL, f.ix, 0, k, r, &o, &err), TSC_OK);
    /* No temporary files are left behind. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/out", tsc_test_tmpdir());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    CHECK(system(cmd) == 0);
    teardown(&f);
}

TSC_TEST(report_refuses_to_write_into_the_study_folder)
{
    fixture f = setup(0);
    size_t k = key_slice(&f);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
    tsc_report_options o = report_options(0);
    char path[4200];
    tsc_error err;
    snprintf(path, sizeof path, "%s/report.png", f.study);
    CHECK_STATUS(tsc_report_slice_png(path, NULL, f.ix, 0, k, r, &o, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "input folder") != NULL);
    /* Also through a sub-folder and a path with "..". */
    snprintf(path, sizeof path, "%s/sub", f.study);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sub/../sub/report.pdf", f.study);
    CHECK_STATUS(tsc_report_pdf(path, NULL, f.ix, 0, f.sr, &o, &err), TSC_EINVAL);
    snprintf(path, sizeof path, "%s/sub/series.png", f.study);
    CHECK_STATUS(tsc_report_series_png(path, NULL, f.ix, 0, f.sr, &o, &err), TSC_EINVAL);
    /* Nothing was written there. */
    snprintf(path, sizeof path, "test $(ls -A '%s/sub' | wc -l) -eq 0", f.study);
    CHECK(system(path) == 0);
    teardown(&f);
}

/* Writes one example of each kind; with TSC_EXAMPLES_DIR set, there (the
 * docs/examples images are made this way). */
TSC_TEST(render_writes_an_example_of_each_kind)
{
    fixture f = setup(1);
    const char *dir = getenv("TSC_EXAMPLES_DIR");
    char base[4096];
    snprintf(base, sizeof base, "%s", dir && *dir ? dir : out_path(""));
    tsc_report_options o = report_options(0);
    o.force = 1;
    size_t k = key_slice(&f);
    const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
    char p[4200];
    tsc_error err;
    snprintf(p, sizeof p, "%s/slice-report.png", base);
    CHECK_STATUS(tsc_report_slice_png(p, f.model, f.ix, 0, k, r, &o, &err), TSC_OK);
    snprintf(p, sizeof p, "%s/series-report.png", base);
    CHECK_STATUS(tsc_report_series_png(p, f.model, f.ix, 0, f.sr, &o, &err), TSC_OK);
    /* The PDF stays in the test folder (docs/examples has its pages as PNG). */
    CHECK_STATUS(tsc_report_pdf(out_path("report.pdf"), f.model, f.ix, 0, f.sr, &o, &err), TSC_OK);
    write_slice_png(&f, k, &o.overlay, base, "overlay.png");
    o.overlay.show_heatmap = 1;
    write_slice_png(&f, k, &o.overlay, base, "overlay-heatmap.png");
    teardown(&f);

    f = setup_with(1, 19.0, NULL);
    k = first_with_verdict_and_lesion(&f, TSC_VERDICT_INCONCLUSIVE);
    REQUIRE(k != (size_t)-1);
    o.overlay.show_heatmap = 0;
    write_slice_png(&f, k, &o.overlay, base, "overlay-inconclusive.png");
    teardown(&f);

    f = setup(0);
    k = key_slice(&f);
    o.overlay.mode = TSC_OVERLAY_OUTLINE;
    write_slice_png(&f, k, &o.overlay, base, "overlay-threshold.png");
    teardown(&f);
}

TSC_TEST_MAIN(TSC_CASE(overlay_glioma_matches_reference_png),
              TSC_CASE(overlay_threshold_method_matches_reference_png),
              TSC_CASE(overlay_inconclusive_matches_reference_png),
              TSC_CASE(overlay_fills_mask_in_the_type_colour_and_nothing_else),
              TSC_CASE(overlay_outline_mode_leaves_the_interior_unchanged),
              TSC_CASE(overlay_text_keeps_its_device_size_at_any_zoom),
              TSC_CASE(overlay_says_no_tumor_in_green_with_confidence),
              TSC_CASE(overlay_names_the_classical_method_without_a_model),
              TSC_CASE(overlay_states_why_a_slice_is_inconclusive),
              TSC_CASE(overlay_heatmap_is_drawn_under_the_mask_only_when_asked),
              TSC_CASE(slice_rendering_keeps_physical_aspect_and_enlarges_small_slices),
              TSC_CASE(probabilities_never_read_as_certainty),
              TSC_CASE(report_slice_png_has_page_size_and_safe_text_chunks),
              TSC_CASE(report_slice_png_deidentified_shows_no_patient_identifiers),
              TSC_CASE(report_pdf_has_summary_then_one_page_per_finding),
              TSC_CASE(report_pdf_deidentified_has_no_identifiers_in_pages_or_metadata),
              TSC_CASE(report_pdf_without_findings_has_a_page_per_analysed_slice),
              TSC_CASE(report_series_png_summarises_the_series),
              TSC_CASE(key_slices_keep_the_key_and_thin_evenly),
              TSC_CASE(report_refuses_to_overwrite_without_force),
              TSC_CASE(report_refuses_to_write_into_the_study_folder),
              TSC_CASE(render_writes_an_example_of_each_kind))
