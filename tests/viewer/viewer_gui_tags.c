/* SPDX-License-Identifier: BSD-3-Clause */
/* The DICOM tag browser (app/viewer/tag_browser.c), driven through
 * app.show-tags, app.tags-search, app.goto-slice and app.deidentify.
 * Included by viewer_gui_test.c, whose helpers it uses. */

/* write-state once the browser has read the slice on screen. */
static GKeyFile *tags_state(Viewer *v, const char *tag)
{
    for (int i = 0; i < 40; i++) {
        g_autofree char *t = g_strdup_printf("%s-%d", tag, i);
        GKeyFile *kf = viewer_state(v, t);
        if (!kf) return NULL;
        if (g_key_file_get_boolean(kf, "tags", "open", NULL) &&
            !g_key_file_get_boolean(kf, "tags", "loading", NULL))
            return kf;
        g_key_file_unref(kf);
        g_usleep(250 * 1000);
    }
    printf("  the tag browser did not finish reading\n");
    return NULL;
}

/* The browser's shown rows after searching `text`, as write-state lists them. */
static char *tags_search(Viewer *v, const char *text, const char *tag, int *shown)
{
    viewer_action(v, "tags-search", g_variant_new_string(text));
    g_autoptr(GKeyFile) kf = tags_state(v, tag);
    if (!kf) return NULL;
    *shown = g_key_file_get_integer(kf, "tags", "shown", NULL);
    char *lines = kf_str(kf, "tags", "lines");
    printf("  search \"%s\": %d rows\n%s\n", text, *shown, lines);
    return lines;
}

static int test_tag_browser_follows_the_slice_and_hides_identifiers(void)
{
    Viewer *v = NULL;
    int r = start_on_sample("01-normal-colin27", NULL, &v);
    if (r) return r;
    /* De-identification is on by default: pseudonyms only. */
    CHECK(viewer_action(v, "show-tags", NULL), "no show-tags action");
    g_autoptr(GKeyFile) kf = tags_state(v, "tags-open");
    CHECK(kf, "no tag browser state");
    int rows = g_key_file_get_integer(kf, "tags", "rows", NULL);
    CHECK(rows > 40, "only %d attributes listed", rows);
    CHECK(g_key_file_get_boolean(kf, "tags", "deidentified", NULL), "not de-identified by default");
    g_autofree char *err = kf_str(kf, "tags", "error");
    CHECK(!*err, "error: %s", err);

    int shown = 0;
    g_autofree char *name = tags_search(v, "patientname", "name-deid", &shown);
    CHECK(name && shown == 1, "PatientName: %d rows", shown);
    CHECK(strstr(name, "(0010,0010) PatientName = Anonymous^"), "no pseudonym: %s", name);
    CHECK(!strstr(name, "Colin27"), "the patient's name is shown de-identified: %s", name);
    g_autofree char *inst = tags_search(v, "Institution", "institution", &shown);
    CHECK(inst && strstr(inst, "InstitutionName [hidden]"), "the institution is not hidden: %s",
          inst ? inst : "");
    g_autofree char *rows_line = tags_search(v, "0028,0010", "rows", &shown);
    CHECK(rows_line && strstr(rows_line, "(0028,0010) Rows = 256"), "Rows: %s",
          rows_line ? rows_line : "");

    /* It follows the slice on screen (the sample's instance numbers run 1..26). */
    for (int k = 3; k <= 13; k += 10) {
        viewer_action(v, "goto-slice", g_variant_new_int32(k));
        g_autofree char *tag = g_strdup_printf("instance-%d", k);
        g_autofree char *want = g_strdup_printf("InstanceNumber = %d", k + 1);
        g_autofree char *lines = tags_search(v, "InstanceNumber", tag, &shown);
        CHECK(lines && strstr(lines, want), "slice %d: %s", k, lines ? lines : "");
    }

    /* De-identification off: the header as stored, but write-state (a log)
     * never carries an identifying value. */
    viewer_action(v, "deidentify", NULL);
    g_autofree char *plain = tags_search(v, "patientname", "name-plain", &shown);
    CHECK(plain && shown == 1 && strstr(plain, "PatientName = (not written: identifying)"),
          "PatientName without de-identification: %s", plain ? plain : "");
    g_autoptr(GKeyFile) kf2 = tags_state(v, "plain");
    CHECK(kf2 && !g_key_file_get_boolean(kf2, "tags", "deidentified", NULL),
          "the browser did not follow the preference");

    /* Another study: nothing of the first stays (its pseudonym differs). */
    viewer_action(v, "deidentify", NULL);
    g_autofree char *first = tags_search(v, "patientname", "first", &shown);
    g_autofree char *other = sample_folder("03-synthetic-lesion");
    CHECK(other, "no lesion sample");
    viewer_action(v, "open", g_variant_new_string(other));
    g_autofree char *second = NULL;
    for (int i = 0; i < 20 && (!second || !strcmp(second, first)); i++) {
        g_free(second);
        g_autofree char *tag = g_strdup_printf("second-%d", i);
        second = tags_search(v, "patientname", tag, &shown);
        if (!second) break;
    }
    CHECK(first && second && strstr(second, "Anonymous^") && strcmp(first, second) != 0,
          "the browser still shows the first patient: %s / %s", first ? first : "",
          second ? second : "");
    viewer_stop(v);
    return 0;
}

#define VIEWER_TAGS_CASES                                                                          \
    {"viewer_tag_browser_follows_the_slice_and_hides_identifiers",                                 \
     test_tag_browser_follows_the_slice_and_hides_identifiers},
