/* SPDX-License-Identifier: BSD-3-Clause */
/* The display settings that the preferences keep and every slice view
 * shows (the window binds them one to one): their names, types and
 * defaults are defined here once, for the GObject properties of both. */
#ifndef TSC_DISPLAY_PROPS_H
#define TSC_DISPLAY_PROPS_H

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
    gboolean show_overlay, overlay_outline, show_heatmap, show_corner_text, analyze_on_click;
    double opacity; /* of the overlay fill, 0 to 1 */
} TscDisplayProps;

/* Property ids 1 to TSC_DISPLAY_PROP_END - 1 of both classes; a class's own
 * properties are numbered from TSC_DISPLAY_PROP_END. */
enum {
    TSC_DISPLAY_PROP_SHOW_OVERLAY = 1,
    TSC_DISPLAY_PROP_OVERLAY_OUTLINE,
    TSC_DISPLAY_PROP_OPACITY,
    TSC_DISPLAY_PROP_SHOW_HEATMAP,
    TSC_DISPLAY_PROP_SHOW_CORNER_TEXT,
    TSC_DISPLAY_PROP_ANALYZE_ON_CLICK,
    TSC_DISPLAY_PROP_END
};

/* The defaults, which the property specs state as well. */
void tsc_display_props_init(TscDisplayProps *d);
/* Fills props[1] to props[TSC_DISPLAY_PROP_END - 1] with new specs. */
void tsc_display_props_install(GParamSpec **props, GParamFlags flags);
/* The property name of id (static), e.g. "show-overlay". */
const char *tsc_display_props_get_name(guint id);
/* FALSE when id is not a display property.  A set stores into *changed
 * (when not NULL) whether the value changed. */
gboolean tsc_display_props_get(const TscDisplayProps *d, guint id, GValue *value);
gboolean tsc_display_props_set(TscDisplayProps *d, guint id, const GValue *value,
                               gboolean *changed);

G_END_DECLS
#endif
