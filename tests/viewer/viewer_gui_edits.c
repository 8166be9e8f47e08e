/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's corrections in the viewer (app/viewer/viewer_window_edits.c),
 * driven through app.reject-lesion, app.accept-lesion, app.edit-stroke,
 * app.undo-edit, app.redo-edit and app.editor-name on the lesion sample: each edit is
 * measured again at once, undo and redo replay the list, the edits are
 * saved beside the exports and restored when the series is analysed again
 * in a new session.
 * Included by viewer_gui_test.c, whose helpers it uses. */

#include "compare_phantom.h"

/* write-state's [series] and [edits] after the viewer is idle. */
typedef struct {
    double volume;
    int lesions, applied, rejected;
    gboolean edited;
    char *description, *file, *note;
} EditState;

static void edit_state_clear(EditState *s)
{
    g_free(s->description);
    g_free(s->file);
    g_free(s->note);
}

static gboolean edit_state(Viewer *v, const char *tag, EditState *s)
{
    g_autoptr(GKeyFile) kf = viewer_state(v, tag);
    if (!kf) return FALSE;
    s->volume = g_key_file_get_double(kf, "series", "volume-ml", NULL);
    s->lesions = g_key_file_get_integer(kf, "series", "lesions3d", NULL);
    s->applied = g_key_file_get_integer(kf, "edits", "applied", NULL);
    s->rejected = g_key_file_get_integer(kf, "edits", "rejected", NULL);
    s->edited = g_key_file_get_boolean(kf, "edits", "edited", NULL);
    s->description = kf_str(kf, "edits", "description");
    s->file = kf_str(kf, "edits", "file");
    s->note = kf_str(kf, "edits", "note");
    printf("  %s: %.3f mL, %d lesion(s), %d edit(s) applied; \"%s\" %s\n", tag, s->volume,
           s->lesions, s->applied, s->description, s->note);
    return TRUE;
}

static int test_edits_reject_brush_undo_redo_and_restore(void)
{
    Viewer *v = NULL;
    int r = start_on_sample("03-synthetic-lesion", NULL, &v);
    if (r) return r;
    viewer_action(v, "editor-name", g_variant_new_string("Dr Edit"));
    viewer_action(v, "analyze-series", NULL);
    EditState s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0};
    CHECK(edit_state(v, "analysed", &s0), "no state after the analysis");
    CHECK(s0.lesions >= 1 && !s0.edited, "no lesion to edit (%d), or edited already", s0.lesions);

    /* Reject lesion 1: its volume leaves the series, the findings say so. */
    viewer_action(v, "reject-lesion", g_variant_new("(is)", 1, "false positive: vessel"));
    CHECK(edit_state(v, "rejected", &s1), "no state after rejecting");
    CHECK(s1.edited && s1.rejected == 1 && s1.lesions == s0.lesions - 1,
          "lesion not rejected: %d lesion(s), %d rejected", s1.lesions, s1.rejected);
    CHECK(s1.volume < s0.volume || s1.lesions == 0, "the volume did not fall: %.3f", s1.volume);
    CHECK(strstr(s1.description, "Edited by Dr Edit: 1 lesion rejected"), "\"%s\"", s1.description);
    /* The panel names what was taken out and why, not only how many. */
    {
        g_autoptr(GKeyFile) kf = viewer_state(v, "rejected-panel");
        g_autofree char *shown = kf ? kf_str(kf, "panel", "edits") : NULL;
        CHECK(shown && strstr(shown, "Edited by Dr Edit") && strstr(shown, "\nRejected: ") &&
                  strstr(shown, " mL, slice") && strstr(shown, "false positive: vessel"),
              "the panel does not show the rejected lesion: \"%s\"", shown ? shown : "(none)");
    }

    /* A brush disc of 5 mm on slice 3, far from the lesion: one more lesion. */
    viewer_action(v, "goto-slice", g_variant_new_int32(2));
    const double at[] = {70.5, 70.5};
    GVariant *pts = g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE, at, 2, sizeof(double));
    viewer_action(v, "edit-stroke", g_variant_new("(sd@ad)", "brush", 5.0, pts));
    CHECK(edit_state(v, "painted", &s2), "no state after the brush");
    CHECK(s2.lesions == s1.lesions + 1 && s2.volume > s1.volume,
          "the brush added nothing: %d lesion(s), %.3f mL", s2.lesions, s2.volume);
    CHECK(strstr(s2.description, "brush on slice 3"), "\"%s\"", s2.description);

    /* Undo is the state before the stroke; redo the state after it. */
    viewer_action(v, "undo-edit", NULL);
    CHECK(edit_state(v, "undone", &s3), "no state after undo");
    CHECK(s3.applied == 1 && s3.volume == s1.volume && s3.lesions == s1.lesions,
          "undo: %d applied, %.3f mL (want %.3f)", s3.applied, s3.volume, s1.volume);
    viewer_action(v, "redo-edit", NULL);
    CHECK(edit_state(v, "redone", &s4), "no state after redo");
    CHECK(s4.applied == 2 && s4.volume == s2.volume, "redo: %d applied, %.3f mL", s4.applied,
          s4.volume);
    /* Accepting lesion 1 changes no mask and is said. */
    EditState s6 = {0};
    viewer_action(v, "accept-lesion", g_variant_new_int32(1));
    CHECK(edit_state(v, "accepted", &s6), "no state after accepting");
    CHECK(s6.applied == 3 && s6.volume == s4.volume &&
              strstr(s6.description, "2 lesions accepted, 1 rejected") == NULL &&
              strstr(s6.description, "1 lesion accepted, 1 rejected"),
          "accept: %d applied, \"%s\"", s6.applied, s6.description);
    g_autoptr(Shot) shot = viewer_shot(v, "edited");
    CHECK(shot, "no screenshot");

    /* Saved beside the exports, never in the study. */
    g_autofree char *saved = NULL;
    CHECK(g_file_get_contents(s4.file, &saved, NULL, NULL), "no edits file at %s", s4.file);
    CHECK(strstr(saved, "\"reject\"") && strstr(saved, "\"paint\"") &&
              strstr(saved, "\"accept\"") && strstr(saved, "Dr Edit"),
          "the edits file lacks an edit: %s", saved);
    g_autofree char *study = sample_folder("03-synthetic-lesion");
    CHECK(!g_str_has_prefix(s4.file, study), "the edits were saved in the study: %s", s4.file);
    /* The name the corrections are signed with is a preference. */
    CHECK(viewer_action(v, "preferences", NULL), "no preferences window");
    viewer_stop(v);

    /* A new session: the same series analysed again gets its edits back. */
    v = NULL;
    r = start_on_sample("03-synthetic-lesion", NULL, &v);
    if (r) return r;
    viewer_action(v, "analyze-series", NULL);
    EditState s5 = {0};
    CHECK(edit_state(v, "restored", &s5), "no state after the new analysis");
    CHECK(s5.edited && s5.applied == 3 && s5.volume == s4.volume && s5.lesions == s4.lesions,
          "not restored: %d applied, %.3f mL (want %.3f)", s5.applied, s5.volume, s4.volume);
    CHECK(strstr(s5.note, "3 saved edit(s) of Dr Edit restored"), "note: %s", s5.note);
    CHECK(strstr(s5.description, "Edited by Dr Edit"), "restored as someone else's: %s",
          s5.description);
    viewer_stop(v);
    EditState *all[] = {&s0, &s1, &s2, &s3, &s4, &s5, &s6};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) edit_state_clear(all[i]);
    return 0;
}

/* The comparison's phantom studies (viewer_gui_compare.c, included later):
 * lesions on some slices, none on the others, as the phantom model reads
 * them. */
static char *make_compare_study(const char *name, const tsc_phantom_study *s,
                                const char *patient_id, const char *date, int *skip);

/* The position of the first slice with verdict letter `v` in write-state's
 * [series] verdicts, or -1. */
static int first_slice_with(GKeyFile *kf, char v)
{
    g_autofree char *verdicts = kf_str(kf, "series", "verdicts");
    const char *at = strchr(verdicts, v);
    return at ? (int)(at - verdicts) : -1;
}

/* The brush's class chooser (win.brush-class): on a phantom study, a
 * slice the model read as no tumour is painted as a tumour class the model
 * knows, chosen by its name from the classes the chooser offers.  Three
 * strokes are sent at once: they are measured again off the main thread,
 * coalesced, and after the idle wait all three are applied (none lost), the
 * measuring is over and the slice is a tumour of that class with the
 * class's display name, as the chooser shows it. */
static int test_edits_brush_class_paints_a_no_tumour_slice_off_the_main_thread(void)
{
    int skip = 0;
    g_autofree char *study =
        make_compare_study("brush-class", &tsc_phantom_baseline, "EDT-001", "20240101", &skip);
    if (skip) return SKIP;
    CHECK(study, "the phantom study was not made");
    Viewer *v = viewer_start(study, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "editor-name", g_variant_new_string("Dr Brush"));
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) a = viewer_state(v, "analysed");
    CHECK(a, "no state after the analysis");
    g_autofree char *classes = kf_str(a, "edits", "brush-classes");
    g_autofree char *shown0 = kf_str(a, "edits", "brush-class-shown");
    g_autofree char *cls0 = kf_str(a, "edits", "brush-class");
    printf("  brush classes \"%s\", chosen %s (\"%s\")\n", classes, cls0, shown0);
    CHECK(g_str_equal(cls0, "auto") && g_str_equal(shown0, "Same as the slice"),
          "the brush does not start on the slice's own type: %s \"%s\"", cls0, shown0);
    CHECK(g_key_file_get_boolean(a, "edits", "brush-class-sensitive", NULL),
          "the class chooser is insensitive with the CNN");
    CHECK(!g_key_file_get_boolean(a, "edits", "brush-class-visible", NULL),
          "the class chooser shows without the brush");
    g_auto(GStrv) names = g_strsplit(classes, ";", -1);
    CHECK(g_strv_length(names) >= 3 && g_str_equal(names[0], "auto") &&
              !g_strv_contains((const char *const *)names, "no_tumor"),
          "the chooser offers \"%s\": want auto and the model's tumour classes", classes);
    /* The last tumour class, whatever the series' type is. */
    const char *cls = names[g_strv_length(names) - 1];
    int slice = first_slice_with(a, 'N');
    CHECK(slice >= 0, "no slice without tumour in the lesion sample");

    viewer_action(v, "tool", g_variant_new_string("brush"));
    viewer_action(v, "brush-class", g_variant_new_string("no-such-class"));
    viewer_action(v, "brush-class", g_variant_new_string(cls));
    viewer_action(v, "goto-slice", g_variant_new_int32(slice));
    static const double at[3][2] = {{60.5, 60.5}, {64.5, 60.5}, {68.5, 60.5}};
    for (int i = 0; i < 3; i++) {
        GVariant *pts = g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE, at[i], 2, sizeof(double));
        viewer_action(v, "edit-stroke", g_variant_new("(sd@ad)", "brush", 4.0, pts));
    }
    g_autoptr(GKeyFile) p = viewer_state(v, "painted");
    CHECK(p, "no state after the strokes");
    g_autofree char *cls1 = kf_str(p, "edits", "brush-class");
    g_autofree char *shown1 = kf_str(p, "edits", "brush-class-shown");
    g_autofree char *verdict = kf_str(p, "slice", "verdict");
    g_autofree char *label = kf_str(p, "slice", "label");
    g_autofree char *desc = kf_str(p, "edits", "description");
    int applied = g_key_file_get_integer(p, "edits", "applied", NULL);
    int measured = g_key_file_get_integer(p, "edits", "measured", NULL);
    printf("  slice %d painted as %s (\"%s\"): %s \"%s\"; %d applied; \"%s\"\n", slice + 1, cls1,
           shown1, verdict, label, applied, desc);
    CHECK(g_str_equal(cls1, cls),
          "win.brush-class is %s, want %s (an unknown name must not "
          "change it)",
          cls1, cls);
    CHECK(applied == 3 && measured == 3 && !g_key_file_get_boolean(p, "edits", "measuring", NULL),
          "after the idle wait %d of 3 strokes are applied, %d measured into the result shown, "
          "measuring %d",
          applied, measured, g_key_file_get_boolean(p, "edits", "measuring", NULL));
    CHECK(g_key_file_get_boolean(p, "edits", "edited", NULL), "the series is not edited");
    CHECK(g_key_file_get_boolean(p, "edits", "brush-class-visible", NULL),
          "the class chooser is hidden with the brush");
    CHECK(g_str_equal(verdict, "tumor") && *shown1 && strstr(label, shown1),
          "slice %d reads %s \"%s\", want a tumour \"%s\"", slice + 1, verdict, label, shown1);
    g_autofree char *brush = g_strdup_printf("brush on slice %d", slice + 1);
    CHECK(strstr(desc, brush), "\"%s\" lacks \"%s\"", desc, brush);
    CHECK(first_slice_with(p, 'N') != slice, "the strip still reads slice %d no tumour", slice + 1);
    g_autoptr(Shot) shot = viewer_shot(v, "painted");
    CHECK(shot, "no screenshot");
    /* Reject… asks why in its own window (reject_dialog.ui). */
    viewer_action(v, "reject-lesion-ask", g_variant_new_int32(1));
    g_autoptr(Shot) ask = viewer_shot(v, "reject-ask");
    CHECK(ask, "no screenshot of the reject dialog");
    /* Another study opened right after a stroke, likely while it is being
     * measured (a phantom replay is quick, so this is not guaranteed): a
     * late result is dropped, not shown on the new study (viewer_stop fails
     * the case on a crash or a sanitizer report). */
    static const double away[] = {12.5, 12.5}; /* outside the head: erases nothing */
    GVariant *more = g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE, away, 2, sizeof(double));
    viewer_action(v, "edit-stroke", g_variant_new("(sd@ad)", "eraser", 8.0, more));
    g_autofree char *other = sample_folder("03-synthetic-lesion");
    if (other) {
        viewer_action(v, "open", g_variant_new_string(other));
        g_autoptr(GKeyFile) o = viewer_state(v, "switched");
        CHECK(o, "no state after opening another study mid-replay");
        CHECK(!g_key_file_get_boolean(o, "edits", "edited", NULL) &&
                  g_key_file_get_integer(o, "edits", "applied", NULL) == 0,
              "the other study shows edits");
    }
    viewer_stop(v);

    /* A new session: the strokes come back from the edits file with their
     * class (the eraser stroke made mid-switch was saved too). */
    v = viewer_start(study, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "analyze-series", NULL);
    viewer_action(v, "goto-slice", g_variant_new_int32(slice));
    g_autoptr(GKeyFile) back = viewer_state(v, "restored");
    CHECK(back, "no state after the new analysis");
    g_autofree char *label2 = kf_str(back, "slice", "label");
    g_autofree char *note = kf_str(back, "edits", "note");
    printf("  restored: slice %d \"%s\"; %s\n", slice + 1, label2, note);
    CHECK(strstr(note, "4 saved edit(s) of Dr Brush restored"), "note: %s", note);
    CHECK(strstr(label2, shown1), "slice %d restored as \"%s\", not %s", slice + 1, label2, shown1);
    viewer_stop(v);
    return 0;
}

/* Saved edits made on another method are refused when the series is
 * analysed with this one, and the file is not overwritten: at the next
 * save it is moved aside as <name>.not-applied-<time>.json, intact, and the
 * new edits take its name. */
static int test_edits_refused_file_is_moved_aside_at_the_next_save(void)
{
    Viewer *v = NULL;
    int r = start_on_sample("03-synthetic-lesion", NULL, &v);
    if (r) return r;
    viewer_action(v, "editor-name", g_variant_new_string("Dr Aside"));
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) analysed = viewer_state(v, "cnn-analysed");
    CHECK(analysed, "no state after the CNN's analysis");
    viewer_action(v, "reject-lesion", g_variant_new("(is)", 1, "false positive"));
    EditState s0 = {0}, s1 = {0}, s2 = {0};
    CHECK(edit_state(v, "cnn-edited", &s0), "no state after the CNN's edit");
    CHECK(s0.applied == 1, "the CNN's edit was not applied (%d)", s0.applied);
    g_autofree char *cnn_saved = NULL;
    CHECK(g_file_get_contents(s0.file, &cnn_saved, NULL, NULL), "no edits file at %s", s0.file);

    viewer_action(v, "method", g_variant_new_string("threshold"));
    viewer_action(v, "analyze-series", NULL);
    CHECK(edit_state(v, "threshold-analysed", &s1), "no state after the threshold analysis");
    CHECK(g_str_has_prefix(s1.note, "Saved edits not applied") && s1.applied == 0,
          "the CNN's edits were not refused: %d applied, note \"%s\"", s1.applied, s1.note);
    g_autofree char *still = NULL;
    CHECK(g_file_get_contents(s1.file, &still, NULL, NULL) && g_str_equal(still, cnn_saved),
          "the refused file changed before any new edit");

    const double at[] = {70.5, 70.5};
    GVariant *pts = g_variant_new_fixed_array(G_VARIANT_TYPE_DOUBLE, at, 2, sizeof(double));
    viewer_action(v, "edit-stroke", g_variant_new("(sd@ad)", "brush", 5.0, pts));
    g_autoptr(GKeyFile) kf = viewer_state(v, "threshold-edited");
    CHECK(kf && edit_state(v, "threshold-edited-2", &s2), "no state after the new edit");
    g_autofree char *toast = kf_str(kf, "viewer", "toast");
    CHECK(s2.applied == 1, "the new edit was not applied (%d)", s2.applied);
    /* The classical methods have no tumour types to paint. */
    CHECK(!g_key_file_get_boolean(kf, "edits", "brush-class-sensitive", NULL),
          "the brush's class chooser is sensitive with the threshold method");

    g_autofree char *dir = g_path_get_dirname(s2.file);
    g_autofree char *base = g_path_get_basename(s2.file);
    g_autofree char *stem = g_strndup(base, strlen(base) - 5);
    g_autofree char *prefix = g_strdup_printf("%s.not-applied-", stem);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    CHECK(d, "no folder %s", dir);
    g_autofree char *aside = NULL;
    for (const char *n; (n = g_dir_read_name(d));)
        if (g_str_has_prefix(n, prefix) && g_str_has_suffix(n, ".json"))
            aside = g_build_filename(dir, n, NULL);
    CHECK(aside, "no %s*.json beside %s", prefix, s2.file);
    g_autofree char *kept = NULL, *now = NULL;
    CHECK(g_file_get_contents(aside, &kept, NULL, NULL) && g_str_equal(kept, cnn_saved),
          "the file moved aside is not the CNN's edits as saved");
    CHECK(g_file_get_contents(s2.file, &now, NULL, NULL) && strstr(now, "\"paint\"") &&
              !strstr(now, "\"reject\""),
          "the new file is not the threshold's edit: %s", now);
    g_autofree char *aside_base = g_path_get_basename(aside);
    CHECK(strstr(toast, aside_base), "the toast does not name the kept file: \"%s\"", toast);
    viewer_stop(v);
    EditState *all[] = {&s0, &s1, &s2};
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) edit_state_clear(all[i]);
    return 0;
}
