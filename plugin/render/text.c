/* SPDX-License-Identifier: BSD-3-Clause */
/* Text, palette and the test seams shared by overlays and reports.  The names
 * and colours of findings come from the core's tsc_description. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

void tsc__banner_text(const tsc_description *d, int with_reason, char *out, size_t n)
{
    size_t hl = strlen(d->headline);
    if (hl && strncmp(d->label, d->headline, hl) == 0)
        snprintf(out, n, "%s", d->label);
    else if (hl && d->label[0])
        snprintf(out, n, "%s \xc2\xb7 %s", d->headline, d->label);
    else
        snprintf(out, n, "%s", d->label[0] ? d->label : d->headline);
    size_t len = strlen(out);
    if (with_reason && d->reason[0] && len < n)
        snprintf(out + len, n - len, " \xe2\x80\x94 %s", d->reason);
}

const char *tsc__scope_detail(const char *warning)
{
    static const char prefix[] = "Outside the model's scope";
    const char *p = warning;
    if (strncasecmp(p, prefix, sizeof prefix - 1) == 0) {
        p += sizeof prefix - 1;
        while (*p == ':' || *p == ' ' || *p == ',' || *p == '.') p++;
        if (!*p) p = warning;
    }
    return p;
}

static tsc__layout_sink_fn layout_sink;
static void *layout_sink_data;

void tsc__set_layout_sink(tsc__layout_sink_fn fn, void *data)
{
    layout_sink = fn;
    layout_sink_data = data;
}

void tsc__layout_note(tsc__box kind, double x, double y, double w, double h, int index,
                      const char *text)
{
    if (layout_sink && !text_sink_paused)
        layout_sink(kind, x, y, w, h, index, text ? text : "", layout_sink_data);
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
