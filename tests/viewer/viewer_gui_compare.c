/* SPDX-License-Identifier: BSD-3-Clause */
/* The viewer's prior comparison (app/viewer/compare_window.c), driven
 * through app.compare-* actions over D-Bus on the lesion phantoms of the
 * CLI's comparison tests (tests/compare/compare_phantom.c): a baseline with
 * 2 mm slices from z = 0 and follow-ups with 3 mm slices from z = 1, so
 * that positions and indices differ.  Included by viewer_gui_test.c, whose
 * helpers it uses, after viewer_gui_edits.c (EditState). */
#include "compare_phantom.h"

/* A phantom study `name` under the case's folder; NULL (after saying why)
 * when it could not be made; *skip is set when the CLI is missing. */
static char *make_compare_study(const char *name, const tsc_phantom_study *s,
                                const char *patient_id, const char *date, int *skip)
{
    const char *cli = cli_or_skip("dicomize");
    if (!cli) {
        *skip = 1;
        return NULL;
    }
    g_autofree char *png = g_strdup_printf("%s/%s-png", workdir, name);
    char *dir = g_strdup_printf("%s/%s", workdir, name);
    g_mkdir_with_parents(png, 0755);
    tsc_error err = {0};
    char cmd[8192];
    if (tsc_phantom_write_pngs(png, s, &err) != TSC_OK) {
        printf("  phantom %s: %s\n", name, err.message);
        g_free(dir);
        return NULL;
    }
    tsc_phantom_dicomize_command(cmd, sizeof cmd, cli, dir, patient_id, name, s, date, png);
    if (system(cmd) != 0) {
        printf("  tumorscope dicomize failed for %s\n", name);
        g_free(dir);
        return NULL;
    }
    return dir;
}

/* The phantom baseline (2024-01-01) and its follow-up (2024-04-15: the first
 * lesion grown, the second shrunk, a new one) of patient CMP-001: 0, SKIP
 * without the CLI, 1 when they could not be made. */
static int make_progression_pair(char **base, char **follow)
{
    int skip = 0;
    *base = make_compare_study("base", &tsc_phantom_baseline, "CMP-001", "20240101", &skip);
    tsc_phantom_study fs = tsc_phantom_followup(tsc_phantom_grown_shrunk_new, 3);
    if (*base) *follow = make_compare_study("followup", &fs, "CMP-001", "20240415", &skip);
    if (skip) return SKIP;
    CHECK(*base && *follow, "the phantom studies were not made");
    return 0;
}

/* Starts the viewer without a study (extra environment `env`) and asks it
 * to compare `base` with `follow`; returns the state once it is idle (NULL
 * on failure). */
static GKeyFile *compare_pair_env(Viewer **v, const char *base, const char *follow, const char *tag,
                                  const char *const *env)
{
    *v = viewer_start(NULL, env);
    if (!*v) return NULL;
    if (!viewer_action(*v, "compare-open", g_variant_new("(ss)", base, follow))) return NULL;
    return viewer_state(*v, tag);
}

static GKeyFile *compare_pair(Viewer **v, const char *base, const char *follow, const char *tag)
{
    return compare_pair_env(v, base, follow, tag, NULL);
}

/* The change table's rows as write-state lists them ("1/1|matched|..."),
 * printed for the log. */
static char **table_rows(GKeyFile *kf, int *n)
{
    *n = g_key_file_get_integer(kf, "compare", "table-rows", NULL);
    char **rows = g_new0(char *, *n + 1);
    for (int i = 0; i < *n; i++) {
        g_autofree char *key = g_strdup_printf("table-%d", i);
        rows[i] = kf_str(kf, "compare", key);
        printf("  | %s\n", rows[i]);
    }
    return rows;
}

/* How many rows of the table say `change` in their second cell. */
static int rows_with_change(char **rows, const char *change)
{
    int n = 0;
    for (char **r = rows; *r; r++) {
        g_auto(GStrv) cells = g_strsplit(*r, "|", -1);
        if (cells[0] && cells[1] && g_str_equal(cells[1], change)) n++;
    }
    return n;
}

/* The RANO category `tumorscope compare` gives for the same pair. */
static char *cli_category(const char *base, const char *follow)
{
    const char *cli = env_or("TSC_CLI_BIN", NULL);
    g_autofree char *model =
        g_build_filename(env_or("TSC_MODEL_DIR", "."), "phantom-model.json", NULL);
    g_autofree char *json = g_build_filename(workdir, "cli-compare.json", NULL);
    const char *argv[] = {cli,   "compare", base,     follow, "--model",
                          model, "--quiet", "--json", json,   NULL};
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                      &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL))
        return NULL;
    g_autofree char *text = NULL;
    if (!g_file_get_contents(json, &text, NULL, NULL)) return NULL;
    cJSON *root = cJSON_Parse(text);
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(root, "rano_suggestion");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(rs, "category");
    char *out = cJSON_IsString(c) ? g_strdup(c->valuestring) : NULL;
    cJSON_Delete(root);
    return out;
}

static int test_compare_followup_shows_the_change_and_the_cli_category(void)
{
    g_autofree char *base = NULL, *follow = NULL;
    int made = make_progression_pair(&base, &follow);
    if (made) return made;
    Viewer *v = NULL;
    g_autoptr(GKeyFile) kf = compare_pair(&v, base, follow, "progression");
    CHECK(kf, "no state after compare-open");
    g_autofree char *status = kf_str(kf, "compare", "status");
    printf("  status: %s\n", status);
    CHECK(g_key_file_get_boolean(kf, "compare", "compared", NULL), "not compared: %s", status);
    g_autofree char *check = kf_str(kf, "compare", "patient-check");
    CHECK(g_str_equal(check, "same-id"), "patient check %s", check);
    int n = 0;
    g_auto(GStrv) rows = table_rows(kf, &n);
    /* Header, 2 matched, 1 new, the total. */
    CHECK(n == 5, "%d table lines", n);
    CHECK(rows_with_change(rows, "matched") == 2, "matched rows: %d",
          rows_with_change(rows, "matched"));
    CHECK(rows_with_change(rows, "new") == 1, "new rows: %d", rows_with_change(rows, "new"));
    CHECK(rows_with_change(rows, "gone") == 0, "gone rows: %d", rows_with_change(rows, "gone"));
    CHECK(g_key_file_get_integer(kf, "compare", "matched", NULL) == 2 &&
              g_key_file_get_integer(kf, "compare", "new", NULL) == 1 &&
              g_key_file_get_integer(kf, "compare", "gone", NULL) == 0,
          "totals differ from the rows");
    g_autofree char *cat = kf_str(kf, "compare", "rano-category");
    g_autofree char *label = kf_str(kf, "compare", "rano-label");
    printf("  %s\n", label);
    g_autofree char *cli_cat = cli_category(base, follow);
    CHECK(cli_cat, "tumorscope compare gave no category");
    CHECK(g_str_equal(cat, cli_cat), "the viewer suggests %s, the CLI %s", cat, cli_cat);
    CHECK(g_str_equal(cat, "PD"), "category %s, not progression", cat);
    CHECK(strstr(label, "suggested, for the radiologist's decision"), "label: %s", label);
    /* Each viewport says whose study it is. */
    for (int i = 0; i < 2; i++) {
        const char *g = i ? "compare-followup" : "compare-baseline";
        g_autofree char *role = kf_str(kf, g, "title-role");
        g_autofree char *date = kf_str(kf, g, "title-date");
        CHECK(g_str_equal(role, i ? "Follow-up" : "Baseline"), "%s title role %s", g, role);
        CHECK(g_str_equal(date, i ? "2024-04-15" : "2024-01-01"), "%s title date %s", g, date);
        CHECK(g_key_file_get_boolean(kf, g, "analysed", NULL), "%s not analysed", g);
    }
    g_autofree char *layout = kf_str(kf, "compare", "layout");
    CHECK(g_str_equal(layout, "side-by-side"), "layout %s at %d px", layout,
          g_key_file_get_integer(kf, "compare", "width", NULL));
    Shot *shot = viewer_shot(v, "compare");
    CHECK(shot, "no screenshot");
    shot_free(shot);

    /* Export: the CLI's report and SR, into a new folder of the export
     * folder; into a study's folder it is refused. */
    g_autofree char *exports = g_build_filename(workdir, "exports", NULL);
    int before = count_files(base) + count_files(follow);
    viewer_action(v, "compare-export", g_variant_new_string(exports));
    g_autoptr(GKeyFile) done = viewer_state(v, "exported");
    CHECK(done, "no state after export");
    g_autofree char *folder = kf_str(done, "compare", "export-folder");
    g_autofree char *msg = kf_str(done, "compare", "export-message");
    printf("  %s\n", msg);
    CHECK(*folder && g_str_has_prefix(folder, exports), "exported to '%s'", folder);
    static const char *const files[] = {"comparison.png", "comparison.pdf", "comparison_sr.dcm"};
    static const char *const magic[] = {"\x89PNG", "%PDF", "DICM"};
    for (int i = 0; i < 3; i++) {
        g_autofree char *p = g_build_filename(folder, files[i], NULL);
        gchar *data = NULL;
        gsize len = 0;
        CHECK(g_file_get_contents(p, &data, &len, NULL), "%s missing", p);
        gsize off = i == 2 ? 128 : 0;
        gboolean ok = len > off + 4 && memcmp(data + off, magic[i], 4) == 0;
        g_free(data);
        CHECK(ok, "%s is not a %s file", files[i], magic[i]);
    }
    CHECK(count_files(folder) == 3, "%d files in %s (a temporary left?)", count_files(folder),
          folder);
    g_autofree char *inside = g_build_filename(base, "out", NULL);
    viewer_action(v, "compare-export", g_variant_new_string(inside));
    g_autoptr(GKeyFile) refused = viewer_state(v, "refused-export");
    g_autofree char *rmsg = refused ? kf_str(refused, "compare", "export-message") : g_strdup("");
    printf("  %s\n", rmsg);
    CHECK(strstr(rmsg, "not exported") && strstr(rmsg, "study"), "export into a study: %s", rmsg);
    CHECK(count_files(base) + count_files(follow) == before, "files written into a study folder");
    viewer_stop(v);
    return 0;
}

static int test_compare_study_with_itself_is_unchanged_and_stable(void)
{
    int skip = 0;
    g_autofree char *base =
        make_compare_study("base", &tsc_phantom_baseline, "CMP-001", "20240101", &skip);
    if (skip) return SKIP;
    CHECK(base, "the phantom study was not made");
    /* In a narrow window: the viewports one above the other. */
    const char *env[] = {"TSC_VIEWER_COMPARE_SIZE=820x940", NULL};
    Viewer *v = NULL;
    g_autoptr(GKeyFile) kf = compare_pair_env(&v, base, base, "self", env);
    CHECK(kf && g_key_file_get_boolean(kf, "compare", "compared", NULL), "not compared");
    g_autofree char *layout = kf_str(kf, "compare", "layout");
    gsize n0 = 0, n1 = 0;
    g_autofree double *r0 =
        g_key_file_get_double_list(kf, "compare-baseline", "view-rect", &n0, NULL);
    g_autofree double *r1 =
        g_key_file_get_double_list(kf, "compare-followup", "view-rect", &n1, NULL);
    CHECK(g_str_equal(layout, "stacked") && n0 == 4 && n1 == 4, "layout %s at %d px", layout,
          g_key_file_get_integer(kf, "compare", "width", NULL));
    CHECK(r1[1] >= r0[1] + r0[3] && fabs(r1[0] - r0[0]) < 1 && r0[3] > 100,
          "the follow-up (%.0f,%.0f %.0fx%.0f) is not under the baseline (%.0f,%.0f %.0fx%.0f)",
          r1[0], r1[1], r1[2], r1[3], r0[0], r0[1], r0[2], r0[3]);
    Shot *shot = viewer_shot(v, "compare-narrow");
    CHECK(shot, "no screenshot");
    shot_free(shot);
    int n = 0;
    g_auto(GStrv) rows = table_rows(kf, &n);
    CHECK(n == 4 && rows_with_change(rows, "matched") == 2, "%d lines, %d matched", n,
          rows_with_change(rows, "matched"));
    for (int i = 1; i < n; i++) {
        g_auto(GStrv) cells = g_strsplit(rows[i], "|", -1);
        CHECK(g_strv_length(cells) == 11, "row %d: %s", i, rows[i]);
        CHECK(g_str_equal(cells[5], "+0.0") && g_str_equal(cells[9], "+0.0"),
              "row %d changes: volume %s, product %s", i, cells[5], cells[9]);
    }
    g_autofree char *cat = kf_str(kf, "compare", "rano-category");
    g_autofree char *label = kf_str(kf, "compare", "rano-label");
    CHECK(g_str_equal(cat, "SD") && strstr(label, "stable disease") &&
              strstr(label, "suggested, for the radiologist's decision"),
          "category %s: %s", cat, label);
    viewer_stop(v);
    return 0;
}

/* Slice positions from write-state. */
static double pos_of(GKeyFile *kf, int side)
{
    return g_key_file_get_double(kf, side ? "compare-followup" : "compare-baseline", "position-mm",
                                 NULL);
}

static int slice_of(GKeyFile *kf, int side)
{
    return g_key_file_get_integer(kf, side ? "compare-followup" : "compare-baseline", "slice",
                                  NULL);
}

static int test_compare_scrolling_moves_the_other_to_the_nearest_position(void)
{
    g_autofree char *base = NULL, *follow = NULL;
    int made = make_progression_pair(&base, &follow);
    if (made) return made;
    Viewer *v = NULL;
    g_autoptr(GKeyFile) kf = compare_pair(&v, base, follow, "open");
    CHECK(kf && g_key_file_get_boolean(kf, "compare", "shown", NULL), "the pair is not shown");
    /* Baseline z = 2k, follow-up z = 1 + 3k: the nearest, not the same index. */
    static const struct {
        int side, slice, want_other;
    } steps[] = {{0, 10, 6}, {0, 20, 13}, {1, 21, 32}, {1, 3, 5}, {0, 49, 32}, {1, 33, 49}};
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        const char *role = steps[i].side ? "follow-up" : "baseline";
        viewer_action(v, "compare-goto", g_variant_new("(si)", role, steps[i].slice));
        g_autofree char *tag = g_strdup_printf("goto-%zu", i);
        g_autoptr(GKeyFile) s = viewer_state(v, tag);
        CHECK(s, "no state");
        int other = !steps[i].side;
        double p = pos_of(s, steps[i].side), q = pos_of(s, other);
        printf("  %s slice %d at %.1f mm -> %s slice %d at %.1f mm\n", role,
               slice_of(s, steps[i].side), p, other ? "follow-up" : "baseline", slice_of(s, other),
               q);
        CHECK(slice_of(s, steps[i].side) == steps[i].slice, "the scrolled viewport is on %d",
              slice_of(s, steps[i].side));
        CHECK(slice_of(s, other) == steps[i].want_other, "the other is on slice %d, not %d",
              slice_of(s, other), steps[i].want_other);
        /* Within half the other's spacing, or at the end of its coverage
         * (the follow-up reaches 100 mm, the baseline 98 mm). */
        double half = other ? 1.5 : 1.0;
        CHECK(fabs(p - q) <= half + 1e-6 || (steps[i].side == 1 && steps[i].slice == 33),
              "%.1f mm apart", fabs(p - q));
        /* The other viewport shows the reference position and draws its slice. */
        g_autofree char *label =
            kf_str(s, other ? "compare-followup" : "compare-baseline", "position-label");
        g_autofree char *want = g_strdup_printf("ref %.1f mm", p);
        CHECK(strstr(label, want), "the other viewport says '%s', not '%s'", label, want);
        CHECK(g_key_file_get_integer(s, other ? "compare-followup" : "compare-baseline",
                                     "image-slice", NULL) == steps[i].want_other,
              "the other viewport draws another slice");
    }
    /* Zoom is linked, window/level not, as the header's toggles say. */
    CHECK(g_key_file_get_boolean(kf, "compare", "sync-toggle", NULL) &&
              g_key_file_get_boolean(kf, "compare", "zoom-toggle", NULL) &&
              !g_key_file_get_boolean(kf, "compare", "window-toggle", NULL),
          "the header's toggles do not show the links");
    viewer_action(v, "compare-zoom", g_variant_new("(sd)", "follow-up", 2.0));
    viewer_action(v, "compare-window", g_variant_new("(sdd)", "baseline", 500.0, 300.0));
    g_autoptr(GKeyFile) z = viewer_state(v, "zoomed");
    CHECK(z, "no state");
    double z0 = g_key_file_get_double(z, "compare-baseline", "zoom", NULL);
    double z1 = g_key_file_get_double(z, "compare-followup", "zoom", NULL);
    double w1 = g_key_file_get_double(z, "compare-followup", "window-width", NULL);
    CHECK(fabs(z0 - 2) < 1e-6 && fabs(z1 - 2) < 1e-6, "zoom %.2f and %.2f, not both 2", z0, z1);
    CHECK(fabs(w1 - 300) > 1, "the follow-up took the baseline's window while unlinked");
    viewer_action(v, "compare-link-window", g_variant_new_boolean(TRUE));
    viewer_action(v, "compare-window", g_variant_new("(sdd)", "baseline", 510.0, 320.0));
    viewer_action(v, "compare-link-zoom", g_variant_new_boolean(FALSE));
    viewer_action(v, "compare-zoom", g_variant_new("(sd)", "baseline", 1.5));
    g_autoptr(GKeyFile) l = viewer_state(v, "linked");
    CHECK(l, "no state");
    CHECK(fabs(g_key_file_get_double(l, "compare-followup", "window-width", NULL) - 320) < 1e-6 &&
              fabs(g_key_file_get_double(l, "compare-followup", "window-center", NULL) - 510) <
                  1e-6,
          "linked window/level did not follow");
    CHECK(fabs(g_key_file_get_double(l, "compare-baseline", "zoom", NULL) - 3) < 1e-6 &&
              fabs(g_key_file_get_double(l, "compare-followup", "zoom", NULL) - 2) < 1e-6,
          "unlinked zoom followed");
    CHECK(g_key_file_get_boolean(l, "compare", "window-toggle", NULL) &&
              !g_key_file_get_boolean(l, "compare", "zoom-toggle", NULL),
          "the toggles do not follow the actions");

    /* Unsynchronised, the other stays where it is. */
    viewer_action(v, "compare-sync-scroll", g_variant_new_boolean(FALSE));
    viewer_action(v, "compare-goto", g_variant_new("(si)", "baseline", 3));
    g_autoptr(GKeyFile) un = viewer_state(v, "unsynced");
    CHECK(un && slice_of(un, 0) == 3 && slice_of(un, 1) == 33, "unsynchronised: %d and %d",
          un ? slice_of(un, 0) : -1, un ? slice_of(un, 1) : -1);
    CHECK(!g_key_file_get_boolean(un, "compare", "sync-toggle", NULL), "Sync Scrolling still on");
    viewer_stop(v);
    return 0;
}

static int test_compare_refuses_another_patient_until_confirmed(void)
{
    int skip = 0;
    g_autofree char *base =
        make_compare_study("base", &tsc_phantom_baseline, "CMP-001", "20240101", &skip);
    g_autofree char *other =
        base ? make_compare_study("other", &tsc_phantom_baseline, "CMP-002", "20240415", &skip)
             : NULL;
    if (skip) return SKIP;
    CHECK(base && other, "the phantom studies were not made");
    Viewer *v = NULL;
    g_autoptr(GKeyFile) kf = compare_pair(&v, base, other, "asking");
    CHECK(kf, "no state");
    g_autofree char *check = kf_str(kf, "compare", "patient-check");
    g_autofree char *status = kf_str(kf, "compare", "status");
    printf("  %s: %s\n", check, status);
    CHECK(g_str_equal(check, "asking") &&
              g_key_file_get_boolean(kf, "compare", "confirm-dialog", NULL),
          "no confirmation asked (%s)", check);
    CHECK(!g_key_file_get_boolean(kf, "compare", "shown", NULL) &&
              !g_key_file_get_boolean(kf, "compare", "compared", NULL),
          "shown or compared before the confirmation");
    for (int i = 0; i < 2; i++)
        CHECK(g_key_file_get_integer(kf, i ? "compare-followup" : "compare-baseline", "image-slice",
                                     NULL) == -1,
              "a slice is drawn before the confirmation");
    CHECK(!strstr(status, "CMP-00"), "the status names the patient: %s", status);
    Shot *shot = viewer_shot(v, "compare-confirm");
    shot_free(shot);
    /* Scrolling does nothing meanwhile. */
    viewer_action(v, "compare-goto", g_variant_new("(si)", "baseline", 3));
    viewer_action(v, "compare-confirm-patient", g_variant_new_boolean(TRUE));
    g_autoptr(GKeyFile) ok = viewer_state(v, "confirmed");
    CHECK(ok, "no state after the confirmation");
    g_autofree char *check2 = kf_str(ok, "compare", "patient-check");
    g_autofree char *who = kf_str(ok, "compare", "patient-label");
    CHECK(g_str_equal(check2, "confirmed") &&
              !g_key_file_get_boolean(ok, "compare", "confirm-dialog", NULL),
          "after confirming: %s", check2);
    CHECK(strstr(who, "confirmation"), "the window does not say it was confirmed: %s", who);
    CHECK(g_key_file_get_boolean(ok, "compare", "compared", NULL), "not compared once confirmed");
    g_autofree char *cat = kf_str(ok, "compare", "rano-category");
    CHECK(g_str_equal(cat, "SD"), "the same phantom gives %s", cat);
    /* Another pair, declined: nothing shown. */
    viewer_action(v, "compare-open", g_variant_new("(ss)", other, base));
    g_autoptr(GKeyFile) again = viewer_state(v, "asking-again");
    CHECK(again && g_key_file_get_boolean(again, "compare", "confirm-dialog", NULL) &&
              !g_key_file_get_boolean(again, "compare", "compared", NULL),
          "the next pair is not asked about");
    viewer_action(v, "compare-confirm-patient", g_variant_new_boolean(FALSE));
    g_autoptr(GKeyFile) no = viewer_state(v, "declined");
    g_autofree char *check3 = no ? kf_str(no, "compare", "patient-check") : g_strdup("");
    CHECK(g_str_equal(check3, "refused") && !g_key_file_get_boolean(no, "compare", "shown", NULL) &&
              !g_key_file_get_boolean(no, "compare", "compared", NULL),
          "declined: %s", check3);
    viewer_stop(v);
    return 0;
}

/* The follow-up lesion number of the first row saying `change` ("–/3": 3),
 * or 0. */
static int followup_number(char **rows, const char *change)
{
    for (char **r = rows; *r; r++) {
        g_auto(GStrv) cells = g_strsplit(*r, "|", -1);
        if (!cells[0] || !cells[1] || !g_str_equal(cells[1], change)) continue;
        const char *slash = strchr(cells[0], '/');
        return slash ? atoi(slash + 1) : 0;
    }
    return 0;
}

/* The reader's corrections reach the comparison: the follow-up's new
 * lesion, rejected in the main window (saved beside the exports), is gone
 * from the change table, the RANO suggestion follows, the viewport says
 * whose edits these are, and the exported SR is still a valid IOD. */
static int test_compare_uses_the_readers_saved_edits(void)
{
    g_autofree char *base = NULL, *follow = NULL;
    int made = make_progression_pair(&base, &follow);
    if (made) return made;
    Viewer *v = viewer_start(follow, NULL);
    CHECK(v, "viewer start");
    viewer_action(v, "editor-name", g_variant_new_string("Dr Compare"));
    /* Unedited: which follow-up lesion is the new one. */
    CHECK(viewer_action(v, "compare-open", g_variant_new("(ss)", base, follow)), "compare-open");
    g_autoptr(GKeyFile) kf0 = viewer_state(v, "unedited");
    CHECK(kf0 && g_key_file_get_boolean(kf0, "compare", "compared", NULL), "not compared");
    int n0 = 0;
    g_auto(GStrv) rows0 = table_rows(kf0, &n0);
    int lesion = followup_number(rows0, "new");
    g_autofree char *cat0 = kf_str(kf0, "compare", "rano-category");
    CHECK(lesion > 0 && g_str_equal(cat0, "PD"), "no new lesion (%d) or not PD (%s)", lesion, cat0);
    CHECK(!g_key_file_get_boolean(kf0, "compare-followup", "edited", NULL),
          "edited before any edit");

    /* The reader rejects it in the main window: the edits file is saved. */
    viewer_action(v, "analyze-series", NULL);
    EditState es = {0};
    CHECK(edit_state(v, "analysed", &es), "no state after the analysis");
    edit_state_clear(&es);
    viewer_action(v, "reject-lesion", g_variant_new("(is)", lesion, "False positive"));
    CHECK(edit_state(v, "rejected", &es), "no state after rejecting");
    gboolean rejected = es.edited && es.rejected == 1;
    gboolean saved = g_file_test(es.file, G_FILE_TEST_EXISTS);
    edit_state_clear(&es);
    CHECK(rejected && saved, "lesion %d not rejected, or its edits not saved", lesion);

    /* The same pair again: compared with the reader's correction. */
    viewer_action(v, "compare-open", g_variant_new("(ss)", base, follow));
    g_autoptr(GKeyFile) kf = viewer_state(v, "edited");
    CHECK(kf && g_key_file_get_boolean(kf, "compare", "compared", NULL), "not compared");
    int n = 0;
    g_auto(GStrv) rows = table_rows(kf, &n);
    CHECK(n == n0 - 1 && rows_with_change(rows, "new") == 0 &&
              rows_with_change(rows, "matched") == 2,
          "%d lines, %d new (want the new lesion gone)", n, rows_with_change(rows, "new"));
    CHECK(g_key_file_get_integer(kf, "compare", "new", NULL) == 0, "the totals still count it");
    g_autofree char *cat = kf_str(kf, "compare", "rano-category");
    g_autofree char *label = kf_str(kf, "compare", "rano-label");
    printf("  %s\n", label);
    /* Without the new lesion: the sum of products grows 12 % (under 25 %), stable. */
    CHECK(g_str_equal(cat, "SD"), "category %s without the new lesion", cat);
    g_autofree char *edits = kf_str(kf, "compare-followup", "edits");
    printf("  follow-up: %s\n", edits);
    CHECK(g_key_file_get_boolean(kf, "compare-followup", "edited", NULL) &&
              g_key_file_get_boolean(kf, "compare-followup", "title-says-edited", NULL) &&
              g_str_equal(edits, "edited by Dr Compare (1 edit)"),
          "the follow-up does not say it is edited: '%s'", edits);
    CHECK(!g_key_file_get_boolean(kf, "compare-baseline", "edited", NULL),
          "the baseline says it is edited");
    Shot *shot = viewer_shot(v, "compare-edited");
    CHECK(shot, "no screenshot");
    shot_free(shot);

    /* The export carries the edited results; its SR is a valid IOD. */
    g_autofree char *exports = g_build_filename(workdir, "edited-exports", NULL);
    viewer_action(v, "compare-export", g_variant_new_string(exports));
    g_autoptr(GKeyFile) done = viewer_state(v, "exported");
    g_autofree char *folder = done ? kf_str(done, "compare", "export-folder") : g_strdup("");
    g_autofree char *msg = done ? kf_str(done, "compare", "export-message") : g_strdup("");
    printf("  %s\n", msg);
    g_autofree char *sr = g_build_filename(folder, "comparison_sr.dcm", NULL);
    CHECK(*folder && g_file_test(sr, G_FILE_TEST_EXISTS), "no SR exported: %s", msg);
    if (system("command -v dciodvfy >/dev/null 2>&1") == 0) {
        g_autofree char *cmd = g_strdup_printf("sh -c \"dciodvfy '%s' 2>&1 | grep '^Error'\"", sr);
        g_autofree char *errors = NULL;
        g_spawn_command_line_sync(cmd, &errors, NULL, NULL, NULL);
        CHECK(!errors || !*errors, "dciodvfy finds errors in the SR:\n%s", errors);
    } else {
        printf("  dciodvfy (dicom3tools) is not installed: the SR's IOD is not checked\n");
    }
    viewer_stop(v);
    return 0;
}
