/* SPDX-License-Identifier: BSD-3-Clause */
#include "display_props.h"

static const char *const names[TSC_DISPLAY_PROP_END] = {
    [TSC_DISPLAY_PROP_SHOW_OVERLAY] = "show-overlay",
    [TSC_DISPLAY_PROP_OVERLAY_OUTLINE] = "overlay-outline",
    [TSC_DISPLAY_PROP_OPACITY] = "opacity",
    [TSC_DISPLAY_PROP_SHOW_HEATMAP] = "show-heatmap",
    [TSC_DISPLAY_PROP_SHOW_CORNER_TEXT] = "show-corner-text",
    [TSC_DISPLAY_PROP_ANALYZE_ON_CLICK] = "analyze-on-click",
};

void tsc_display_props_init(TscDisplayProps *d)
{
    *d = (TscDisplayProps){.show_overlay = TRUE,
                           .overlay_outline = FALSE,
                           .show_heatmap = FALSE,
                           .show_corner_text = TRUE,
                           .analyze_on_click = TRUE,
                           .opacity = 0.35};
}

/* The boolean of a property id, NULL for the others. */
static gboolean *bool_field(TscDisplayProps *d, guint id)
{
    switch (id) {
    case TSC_DISPLAY_PROP_SHOW_OVERLAY: return &d->show_overlay;
    case TSC_DISPLAY_PROP_OVERLAY_OUTLINE: return &d->overlay_outline;
    case TSC_DISPLAY_PROP_SHOW_HEATMAP: return &d->show_heatmap;
    case TSC_DISPLAY_PROP_SHOW_CORNER_TEXT: return &d->show_corner_text;
    case TSC_DISPLAY_PROP_ANALYZE_ON_CLICK: return &d->analyze_on_click;
    default: return NULL;
    }
}

void tsc_display_props_install(GParamSpec **props, GParamFlags flags)
{
    TscDisplayProps def, *d = &def;
    tsc_display_props_init(d);
    for (guint id = 1; id < TSC_DISPLAY_PROP_END; id++) {
        const gboolean *b = bool_field(d, id);
        props[id] = b ? g_param_spec_boolean(names[id], NULL, NULL, *b, flags)
                      : g_param_spec_double(names[id], NULL, NULL, 0, 1, d->opacity, flags);
    }
}

const char *tsc_display_props_get_name(guint id)
{
    g_return_val_if_fail(id >= 1 && id < TSC_DISPLAY_PROP_END, NULL);
    return names[id];
}

gboolean tsc_display_props_get(const TscDisplayProps *d, guint id, GValue *value)
{
    if (id == TSC_DISPLAY_PROP_OPACITY) {
        g_value_set_double(value, d->opacity);
        return TRUE;
    }
    const gboolean *b = bool_field((TscDisplayProps *)d, id);
    if (b) g_value_set_boolean(value, *b);
    return b != NULL;
}

gboolean tsc_display_props_set(TscDisplayProps *d, guint id, const GValue *value, gboolean *changed)
{
    gboolean ch;
    if (id == TSC_DISPLAY_PROP_OPACITY) {
        ch = d->opacity != g_value_get_double(value);
        d->opacity = g_value_get_double(value);
    } else {
        gboolean *b = bool_field(d, id);
        if (!b) return FALSE;
        ch = *b != g_value_get_boolean(value);
        *b = g_value_get_boolean(value);
    }
    if (changed) *changed = ch;
    return TRUE;
}
