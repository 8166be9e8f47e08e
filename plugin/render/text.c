/* Text, palette and the names of findings, shared by overlays and reports. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tsc_format.h"
#include "render_private.h"

static tsc__text_sink_fn text_sink;
static void *text_sink_data;
static int text_sink_paused;

void tsc__text_sink_pause(int paused)
{
    text_sink_paused = paused;
}

void tsc__set_text_sink(tsc__text_sink_fn fn, void *data)
{
    text_sink = fn;
    text_sink_data = data;
}

tsc__rgb tsc__rgb_from_hex(uint32_t v)
{
    tsc__rgb c = {((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0};
    return c;
}

/* viridis(11) from matplotlib: perceptually uniform and readable by people
 * with the common colour-vision deficiencies. */
tsc__rgb tsc__viridis(double t)
{
    static const uint32_t stops[] = {0x440154, 0x482576, 0x414487, 0x35608D, 0x2A788E, 0x21908C,
                                     0x22A884, 0x43BF71, 0x7AD151, 0xBBDF27, 0xFDE725};
    const int n = (int)(sizeof stops / sizeof stops[0]);
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    double f = t * (n - 1);
    int i = (int)f;
    if (i >= n - 1) return tsc__rgb_from_hex(stops[n - 1]);
    double u = f - i;
    tsc__rgb a = tsc__rgb_from_hex(stops[i]), b = tsc__rgb_from_hex(stops[i + 1]);
    tsc__rgb c = {a.r + (b.r - a.r) * u, a.g + (b.g - a.g) * u, a.b + (b.b - a.b) * u};
    return c;
}

static int classes_usable(const tsc_model *model, const tsc_result *r)
{
    return model && tsc_result_get_method(r) == TSC_METHOD_CNN && tsc_result_n_classes(r) > 0 &&
           tsc_result_n_classes(r) == tsc_model_n_classes(model);
}

void tsc__class_info(const tsc_model *model, const tsc_result *r, size_t label, char *name,
                     size_t n, tsc__rgb *color)
{
    if (classes_usable(model, r) && label < tsc_model_n_classes(model)) {
        snprintf(name, n, "%s", tsc_model_get_class_display(model, label));
        *color = tsc__rgb_from_hex(tsc_model_get_class_color(model, label));
        return;
    }
    /* Classical methods segment without typing: say so in the label. */
    snprintf(name, n, "Tumour (%s method)", tsc_method_to_string(tsc_result_get_method(r)));
    *color = tsc__rgb_from_hex(TSC__COLOR_CLASSIC);
}

void tsc__describe(const tsc_model *model, const tsc_result *r, tsc__finding *f)
{
    memset(f, 0, sizeof *f);
    double conf = tsc_result_get_confidence(r);
    int usable = classes_usable(model, r);
    f->has_confidence = usable && isfinite(conf);
    f->confidence = conf;
    const char *method = tsc_method_to_string(tsc_result_get_method(r));
    switch (tsc_result_get_verdict(r)) {
    case TSC_VERDICT_TUMOR:
        tsc__class_info(model, r, tsc_result_get_label(r), f->type, sizeof f->type, &f->color);
        if (f->has_confidence)
            {
                char pc[16];
                snprintf(f->label, sizeof f->label, "%s %s", f->type, tsc_format_percent(conf, pc, sizeof pc));
            }
        else
            snprintf(f->label, sizeof f->label, "%s", f->type);
        break;
    case TSC_VERDICT_NO_TUMOR:
        snprintf(f->type, sizeof f->type, "No tumour");
        f->color = tsc__rgb_from_hex(
            usable ? tsc_model_get_class_color(model, tsc_model_get_no_tumor_class(model))
                   : TSC__COLOR_NO_TUMOR);
        if (f->has_confidence)
            {
                char pc[16];
                snprintf(f->label, sizeof f->label, "NO TUMOR %s", tsc_format_percent(conf, pc, sizeof pc));
            }
        else
            snprintf(f->label, sizeof f->label, "NO TUMOR (%s method)", method);
        break;
    case TSC_VERDICT_INCONCLUSIVE:
    default:
        snprintf(f->type, sizeof f->type, "Inconclusive");
        snprintf(f->label, sizeof f->label, "INCONCLUSIVE");
        f->color = tsc__rgb_from_hex(TSC__COLOR_INCONCLUSIVE);
        break;
    }
}

void tsc__font(cairo_t *cr, double size, tsc__weight weight)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           weight == TSC__BOLD ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    /* Unhinted metrics: text widths scale linearly, so layouts and pixel
     * references do not shift with the zoom. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

double tsc__text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

void tsc__text(cairo_t *cr, double x, double y, const char *s)
{
    if (!s || !*s) return;
    if (text_sink && !text_sink_paused) {
        cairo_matrix_t fm;
        cairo_get_font_matrix(cr, &fm);
        double dx = 0, dy = fm.yy;
        cairo_user_to_device_distance(cr, &dx, &dy);
        text_sink(s, hypot(dx, dy), text_sink_data);
    }
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
    cairo_new_path(cr);
}

/* Cuts whole UTF-8 sequences off the end until the text and an ellipsis fit. */
void tsc__text_fit(cairo_t *cr, double x, double y, double max_w, const char *s)
{
    if (!s) return;
    if (tsc__text_width(cr, s) <= max_w) {
        tsc__text(cr, x, y, s);
        return;
    }
    char buf[1024];
    size_t len = strlen(s);
    if (len > sizeof buf - 4) len = sizeof buf - 4;
    while (len > 0) {
        /* Step back over a whole UTF-8 sequence. */
        len--;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) len--;
        memcpy(buf, s, len);
        memcpy(buf + len, "\xe2\x80\xa6", 4);
        if (tsc__text_width(cr, buf) <= max_w) break;
    }
    tsc__text(cr, x, y, buf);
}

int tsc__text_wrap(cairo_t *cr, double x, double y, double max_w, double line_h, const char *s,
                   int draw)
{
    if (!s || !*s) return 0;
    char line[1024];
    int lines = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        /* Greedily add words while they fit. */
        size_t used = 0;
        const char *q = p;
        const char *best_end = NULL;
        while (*q) {
            const char *w = q;
            while (*w && *w != ' ') w++;
            size_t n = (size_t)(w - p);
            if (n >= sizeof line) break;
            memcpy(line, p, n);
            line[n] = '\0';
            if (tsc__text_width(cr, line) > max_w && best_end) break;
            best_end = w;
            used = n;
            if (tsc__text_width(cr, line) > max_w) break; /* one long word: let it overflow/elide */
            q = w;
            while (*q == ' ') q++;
        }
        if (!best_end) break;
        memcpy(line, p, used);
        line[used] = '\0';
        if (draw) tsc__text_fit(cr, x, y + lines * line_h, max_w, line);
        lines++;
        p = best_end;
    }
    return lines;
}
