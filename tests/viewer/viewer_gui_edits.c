/* SPDX-License-Identifier: BSD-3-Clause */
/* The reader's corrections in the viewer (app/viewer/viewer_window_edits.c),
 * driven through app.reject-lesion, app.accept-lesion, app.edit-stroke,
 * app.undo-edit, app.redo-edit and app.editor-name on the lesion sample: each edit is
 * measured again at once, undo and redo replay the list, the edits are
 * saved beside the exports and restored when the series is analysed again
 * in a new session.
 * Included by viewer_gui_test.c, whose helpers it uses. */

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
