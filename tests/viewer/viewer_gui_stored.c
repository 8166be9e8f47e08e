/* SPDX-License-Identifier: BSD-3-Clause */
/* A result stored with the study (our own SEG and TID 1500 SR, as the
 * Orthanc plugin stores them) shown like an analysis of the viewer's own,
 * labelled with where it came from, and replaced by a local analysis.
 * Included by viewer_gui_test.c, whose helpers it uses. */

/* The lesion series beside the SEG and SR that `tumorscope analyze --dicom`
 * (the phantom model) wrote for it, in one folder: *dir. */
static int make_stored_study(char **dir)
{
    const char *cli = cli_or_skip("analyze --dicom");
    if (!cli) return SKIP;
    g_autofree char *lesion = sample_folder("03-synthetic-lesion/t1-post-contrast");
    if (!lesion) return SKIP;
    *dir = g_build_filename(workdir, "stored", NULL);
    g_mkdir_with_parents(*dir, 0755);
    GDir *d = g_dir_open(lesion, 0, NULL);
    CHECK(d, "cannot list %s", lesion);
    const char *e;
    while ((e = g_dir_read_name(d))) {
        g_autofree char *from = g_build_filename(lesion, e, NULL);
        g_autofree char *to = g_build_filename(*dir, e, NULL);
        if (g_file_test(from, G_FILE_TEST_IS_REGULAR) && !copy_file(from, to, -1)) {
            g_dir_close(d);
            return failf("copy %s", e);
        }
    }
    g_dir_close(d);
    g_autofree char *out = g_build_filename(workdir, "stored-out", NULL);
    /* The shipped model where there is one: its result has every kind of
     * slice (tumour of two types, in doubt, not assessable) and is not the
     * viewer's (the phantom model), so that where it came from shows. */
    g_autofree char *shipped =
        g_build_filename(env_or("TSC_VIEWER_SHIPPED_MODEL_DIR", ""), "tsc_unet128_v2.json", NULL);
    gboolean use_shipped = g_file_test(shipped, G_FILE_TEST_IS_REGULAR);
    const char *argv[] = {
        cli,     "analyze", lesion, "--dicom", "--out", out, use_shipped ? "--model" : NULL,
        shipped, NULL};
    int status = 0;
    g_autofree char *err_out = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err_out, &status, NULL);
    CHECK(ok && g_spawn_check_wait_status(status, NULL), "tumorscope analyze --dicom failed: %s",
          err_out ? err_out : "");
    static const char *const names[] = {"SEG.dcm", "SR.dcm"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *from = find_named(out, names[i]);
        CHECK(from, "analyze --dicom wrote no %s under %s", names[i], out);
        g_autofree char *to = g_build_filename(*dir, names[i], NULL);
        CHECK(copy_file(from, to, -1), "copy %s", names[i]);
    }
    return 0;
}

static int test_stored_result_shows_as_analysed(void)
{
    g_autofree char *dir = NULL;
    int r = make_stored_study(&dir);
    if (r) return r;

    /* What the SR and the SEG say, read here with the plugin's indexes:
     * the SR's measurement groups and stated volume, the slices the SEG
     * has frames for (tumour), the others (no tumour, as the SR's finding
     * covers the whole series). */
    Plugin p;
    r = plugin_open(&p, dir);
    if (r) return r;
    const tsc_plugin_api *api = p.api;
    CHECK(api->study_n_series(p.index) == 1 && api->study_n_reports(p.index) == 1 &&
              api->study_n_segmentations(p.index) == 1,
          "%zu series, %zu reports, %zu segmentations", api->study_n_series(p.index),
          api->study_n_reports(p.index), api->study_n_segmentations(p.index));
    const tsc_dicom_series_info *si = api->study_get_series(p.index, 0);
    const tsc_dicom_report_info *rep = api->study_get_report(p.index, 0);
    const tsc_dicom_seg_info *g = api->study_get_segmentation(p.index, 0);
    size_t sr_groups = rep->n_measurement_groups;
    const char *vol_at = strstr(rep->finding, "; volume ");
    CHECK(vol_at, "the SR's finding states no volume: %s", rep->finding);
    double sr_volume = strtod(vol_at + strlen("; volume "), NULL);
    g_autofree char *expect = g_malloc0(si->n_slices + 1);
    memset(expect, 'N', si->n_slices);
    /* Slices the SR's finding lists as in doubt or not assessable
     * ("4 slices in doubt: 1, 14, 15, 21"). */
    static const struct {
        const char *what;
        char letter;
    } listed[] = {{" in doubt: ", 'I'}, {" not assessable: ", 'A'}};
    for (size_t i = 0; i < G_N_ELEMENTS(listed); i++) {
        const char *at = strstr(rep->finding, listed[i].what);
        if (!at) continue;
        at += strlen(listed[i].what);
        for (;;) {
            char *end = NULL;
            long k = strtol(at, &end, 10);
            if (end == at) break;
            if (k >= 1 && (size_t)k <= si->n_slices) expect[k - 1] = listed[i].letter;
            if (strncmp(end, ", ", 2) != 0) break;
            at = end + 2;
        }
    }
    for (size_t f = 0; f < g->n_frames; f++) {
        const tsc_dicom_seg_frame_info *fi = api->study_get_seg_frame(p.index, 0, f);
        for (size_t k = 0; k < si->n_slices; k++)
            if (!strcmp(api->study_get_slice(p.index, 0, k)->sop_instance_uid,
                        fi->referenced_sop_instance_uid))
                expect[k] = 'T';
    }
    /* The model that made it, as its SR names it (not the viewer's). */
    const char *made_by = strstr(rep->software, "; ");
    CHECK(made_by, "the SR's SoftwareVersions name no model: %s", rep->software);
    g_autofree char *model = g_strdup(made_by + 2);
    printf("  SR: %zu measurement groups, volume %.2f mL, \"%s\"; SEG frames: %s\n", sr_groups,
           sr_volume, rep->finding, expect);
    plugin_close(&p);

    Viewer *v = viewer_start(dir, NULL);
    CHECK(v, "viewer start");
    g_autoptr(GKeyFile) a = viewer_state(v, "stored");
    CHECK(a, "no state");
    g_autofree char *verdicts = kf_str(a, "series", "verdicts"),
                    *provenance = kf_str(a, "series", "stored-provenance"),
                    *panel_prov = kf_str(a, "panel", "provenance"),
                    *badge = kf_str(a, "panel", "badge"),
                    *series_verdict = kf_str(a, "series", "verdict"),
                    *banner = kf_str(a, "panel", "series-verdict"),
                    *note = kf_str(a, "series", "stored-note");
    int lesions = g_key_file_get_integer(a, "series", "slice-lesions", NULL);
    double volume = g_key_file_get_double(a, "series", "volume-ml", NULL);
    printf("  viewer: %s | %s | verdicts %s | %d lesions, %.2f mL | badge \"%s\" | note \"%s\"\n",
           series_verdict, provenance, verdicts, lesions, volume, badge, note);
    CHECK(g_key_file_get_boolean(a, "series", "stored", NULL) &&
              g_key_file_get_boolean(a, "series", "analysed", NULL),
          "the stored result is not shown as the series' result");
    /* Where it came from, in words, on the panel, the badge and the strip. */
    g_autofree char *want_prov = g_strdup_printf("Stored result \xc2\xb7 %s \xc2\xb7 ", model);
    CHECK(g_str_has_prefix(provenance, want_prov) &&
              g_str_has_suffix(provenance, " \xc2\xb7 from the archive"),
          "provenance \"%s\", expected \"%s<date time> \xc2\xb7 from the archive\"", provenance,
          want_prov);
    CHECK(strcmp(panel_prov, provenance) == 0, "the panel says \"%s\"", panel_prov);
    CHECK(strstr(badge, "stored result"), "the badge does not say so: \"%s\"", badge);
    g_autofree char *tip = kf_str(a, "slice", "tooltip");
    CHECK(strstr(tip, "Stored result"), "the strip's tooltip does not say so: \"%s\"", tip);
    /* The same verdicts and measurements as stored. */
    CHECK(strcmp(series_verdict, "tumor") == 0 && *banner, "series verdict %s, banner \"%s\"",
          series_verdict, banner);
    CHECK(strcmp(verdicts, expect) == 0, "verdicts %s, the SEG has frames on %s", verdicts, expect);
    CHECK(lesions == (int)sr_groups, "%d lesions, the SR measures %zu", lesions, sr_groups);
    CHECK(fabs(volume - sr_volume) <= 0.01, "volume %.3f mL, the SR states %.2f mL", volume,
          sr_volume);
    CHECK(g_key_file_get_integer(a, "series", "stored-report-lesions", NULL) == (int)sr_groups &&
              !*note,
          "the stored result disagrees with its SR: \"%s\"", note);
    CHECK(!g_key_file_get_boolean(a, "series", "seg", NULL),
          "our SEG is drawn as another tool's outline as well");

    /* Its strip looks analysed: every cell in the colour of its verdict. */
    g_autoptr(Shot) shot = viewer_shot(v, "stored");
    CHECK(shot, "no screenshot");
    double strip[4];
    CHECK(get_rect(a, "strip", strip), "no strip geometry");
    double x0 = g_key_file_get_double(a, "geometry", "strip-first-center", NULL);
    double x1 = g_key_file_get_double(a, "geometry", "strip-last-center", NULL);
    int n = (int)strlen(verdicts);
    g_autofree char *colors = kf_str(a, "series", "colors");
    char **cells = g_strsplit(colors, ",", -1);
    int checked = 0;
    for (char **c = cells; *c && **c; c++, checked++) {
        int k = atoi(*c);
        guint32 rgb = (guint32)strtoul(strchr(*c, ':') + 1, NULL, 16);
        /* Cells are shorter than the strip: the closest pixel of a column. */
        int x = (int)lround(x0 + (n > 1 ? k * (x1 - x0) / (n - 1) : 0)), px_rgb[3], best = 1 << 30;
        for (int y = (int)strip[1]; y < (int)(strip[1] + strip[3]); y++) {
            px(shot, x, y, px_rgb);
            best = MIN(best, color_dist(px_rgb, rgb));
        }
        if (best > 24) {
            g_strfreev(cells);
            return failf("slice %d: no strip pixel of #%06X in its column", k, rgb);
        }
    }
    g_strfreev(cells);
    CHECK(checked == n, "%d of %d strip cells coloured", checked, n);

    /* The key slice: its mask drawn as the overlay draws ours. */
    int key = g_key_file_get_integer(a, "series", "key-slice", NULL);
    CHECK(key >= 0, "no key slice");
    viewer_action(v, "goto-slice", g_variant_new_int32(key));
    g_autoptr(GKeyFile) b = viewer_state(v, "stored-key-slice");
    CHECK(b, "no state");
    CHECK(g_key_file_get_boolean(b, "slice", "overlay", NULL) &&
              g_key_file_get_boolean(b, "slice", "stored", NULL) &&
              g_key_file_get_integer(b, "slice", "lesions", NULL) > 0,
          "slice %d: no stored overlay with lesions", key);
    /* With the confidence its SR states for that slice ("Glioma 98.9%"). */
    g_autofree char *key_label = kf_str(b, "slice", "label");
    printf("  key slice %d: \"%s\"\n", key, key_label);
    CHECK(strchr(key_label, '%'), "slice %d: the stated confidence is lost: \"%s\"", key,
          key_label);

    /* Analyse: the viewer's own result replaces the stored one. */
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) c = viewer_state(v, "analysed-here");
    CHECK(c, "no state");
    g_autofree char *prov2 = kf_str(c, "panel", "provenance"),
                    *badge2 = kf_str(c, "panel", "badge"),
                    *verdicts2 = kf_str(c, "series", "verdicts"),
                    *tip2 = kf_str(c, "slice", "tooltip");
    printf("  analysed here: verdicts %s | badge \"%s\" | %.2f mL\n", verdicts2, badge2,
           g_key_file_get_double(c, "series", "volume-ml", NULL));
    CHECK(!g_key_file_get_boolean(c, "series", "stored", NULL) &&
              g_key_file_get_boolean(c, "series", "analysed", NULL) &&
              !g_key_file_get_boolean(c, "slice", "stored", NULL),
          "the stored result is still shown after Analyse");
    CHECK(!*prov2 && !strstr(badge2, "stored") && !strstr(tip2, "Stored result"),
          "the stored provenance is still shown: \"%s\" / \"%s\" / \"%s\"", prov2, badge2, tip2);
    CHECK(strspn(verdicts2, "TNIA") == strlen(verdicts2), "slices left unanalysed: %s", verdicts2);
    viewer_stop(v);
    return 0;
}

#define VIEWER_STORED_CASES                                                                        \
    {"viewer_stored_result_shows_as_analysed_with_its_provenance",                                 \
     test_stored_result_shows_as_analysed},
