/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-window"
#include "viewer_window-private.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tsc_format.h"
#include "viewer_desktop.h"
#include "viewer_window_tags.h"

/* ---- opening ----------------------------------------------------------- */

static void open_progress(GObject *target, gsize done, gsize total, gpointer data)
{
    (void)data;
    TscViewerWindow *self = TSC_VIEWER_WINDOW(target);
    if (!self->opening) return;
    self->series_done = done;
    self->series_total = total;
    _tsc_viewer_window_refresh_progress(self);
}

static void reset_study(TscViewerWindow *self)
{
    /* Late results of the previous study are dropped by the new generation;
     * cancelling stops the work itself. */
    self->gen++;
    tsc_viewer_cancel_clear(&self->work_cancellable);
    self->work_cancellable = g_cancellable_new();
    tsc_viewer_cancel_clear(&self->series_cancellable);
    self->series_running = -1;
    g_hash_table_remove_all(self->decoding);
    g_hash_table_remove_all(self->analysing);
    self->have_series = FALSE;
    /* The earlier study's corrections (saved already) and the results they pin. */
    g_clear_pointer(&self->edits, g_hash_table_unref);
    tsc_findings_panel_clear(self->findings);
    _tsc_viewer_window_tools_series_changed(self);
    gtk_widget_set_visible(GTK_WIDGET(self->findings), FALSE);
    tsc_slice_strip_set_n_slices(self->strip, 0);
    _tsc_viewer_window_refresh_sensitivity(self);
    tsc_slice_view_set_result(self->view, NULL, NULL);
    tsc_slice_view_set_image(self->view, NULL);
    _tsc_viewer_window_clear_seg(self);
    tsc_issue_bar_set(self->issue_bar, "seg", 0, NULL, NULL);
    tsc_series_browser_set_study(self->browser, NULL);
    g_clear_object(&self->study);
    _tsc_viewer_window_update_tags(GTK_WIDGET(self));
    tsc_issue_bar_set(self->issue_bar, "skipped", 0, NULL, NULL);
    tsc_issue_bar_set(self->issue_bar, "ignored", 0, NULL, NULL);
    _tsc_viewer_window_hide_toast(self);
    tsc_issue_bar_set(self->issue_bar, "decode", 0, NULL, NULL);
    tsc_issue_bar_set(self->issue_bar, "analysis", 0, NULL, NULL);
    tsc_issue_bar_set(self->issue_bar, "open", 0, NULL, NULL);
    tsc_issue_bar_set(self->issue_bar, "export", 0, NULL, NULL);
}

/* Files that are simply not DICOM (a README, a script, the PNGs of a
 * ground truth, a DICOMDIR next to its files) are normal in a study folder:
 * they are counted quietly.  Everything else the plugin skipped (truncated or
 * unreadable DICOM, unsupported transfer syntax, duplicates, compressed
 * files) is a real problem. */
static gboolean skip_is_not_dicom(const tsc_dicom_skipped *sk)
{
    const char *r = sk->reason ? sk->reason : "";
    return g_str_has_prefix(r, "not a DICOM file") || g_str_has_prefix(r, "file too short to be DICOM") ||
           g_str_has_prefix(r, "a DICOMDIR");
}

/* The skipped files' details: the problems, and apart the files that are
 * not DICOM; each NULL when there are none. */
static void skipped_details(TscViewerStudy *study, gsize *n_problems, char **problems, gsize *n_ignored,
                            char **ignored)
{
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *ix = tsc_viewer_study_get_index(study);
    gsize n = api->study_n_skipped(ix);
    GString *s[2] = {g_string_new(NULL), g_string_new(NULL)};
    gsize count[2] = {0, 0};
    for (gsize i = 0; i < n; i++) {
        const tsc_dicom_skipped *sk = api->study_get_skipped(ix, i);
        int k = skip_is_not_dicom(sk) ? 1 : 0;
        if (count[k]++ < 500) g_string_append_printf(s[k], "%s%s: %s", s[k]->len ? "\n" : "", sk->path, sk->reason);
    }
    for (int k = 0; k < 2; k++)
        if (count[k] > 500) g_string_append_printf(s[k], "\n\xe2\x80\xa6 and %zu more", count[k] - 500);
    *n_problems = count[0];
    *n_ignored = count[1];
    *problems = count[0] ? g_string_free(s[0], FALSE) : (g_string_free(s[0], TRUE), NULL);
    *ignored = count[1] ? g_string_free(s[1], FALSE) : (g_string_free(s[1], TRUE), NULL);
}

static void on_opened(GObject *source, GAsyncResult *res, gpointer data)
{
    (void)source;
    Ctx *c = data;
    GError *error = NULL;
    TscViewerStudy *study = tsc_viewer_study_open_finish(res, &error);
    TscViewerWindow *self = ctx_window(c);
    if (!self) goto out;
    self->opening = FALSE;
    g_clear_object(&self->open_cancellable);
    _tsc_viewer_window_refresh_progress(self);
    if (!study) {
        g_queue_clear_full(&self->deferred, _tsc_viewer_window_deferred_free);
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            tsc_issue_bar_set(self->issue_bar, "open", GTK_MESSAGE_ERROR, "The study could not be opened.", error->message);
        gtk_label_set_text(self->empty_title, "Open a Study");
        goto out;
    }
    self->study = g_object_ref(study);
    tsc_series_browser_set_study(self->browser, study);
    gsize n_skipped = 0, n_ignored = 0;
    char *details = NULL, *ignored = NULL;
    skipped_details(study, &n_skipped, &details, &n_ignored, &ignored);
    self->n_ignored = n_ignored;
    const GError *open_error = tsc_viewer_study_get_open_error(study);
    if (n_ignored) {
        g_autofree char *t = g_strdup_printf(
            "%zu file%s that %s not DICOM (notes, scripts, pictures) %s ignored:", n_ignored,
            n_ignored == 1 ? "" : "s", n_ignored == 1 ? "is" : "are",
            n_ignored == 1 ? "was" : "were");
        tsc_issue_bar_set_quiet(self->issue_bar, "ignored", t, ignored);
    }
    if (open_error) {
        tsc_issue_bar_set(self->issue_bar, "open", GTK_MESSAGE_ERROR, open_error->message, details ? details : ignored);
    } else if (n_skipped) {
        g_autofree char *t = g_strdup_printf("%zu DICOM file%s could not be read and %s skipped; the rest of the study is usable.",
                                  n_skipped, n_skipped == 1 ? "" : "s", n_skipped == 1 ? "was" : "were");
        tsc_issue_bar_set(self->issue_bar, "skipped", GTK_MESSAGE_WARNING, t, details);
    }
    g_free(details);
    g_free(ignored);
    const char *const *paths = tsc_viewer_study_get_paths(study);
    if (self->app && paths[0] && !paths[1]) tsc_viewer_app_add_recent(self->app, paths[0]);
    if (tsc_viewer_study_n_series(study) > 0) {
        tsc_viewer_window_select_series(self, 0);
    } else {
        gtk_label_set_text(self->empty_title, "No Images Found");
        gtk_label_set_text(self->empty_subtitle, "See the details above for every file that was skipped and why.");
    }
    _tsc_viewer_window_load_stored(self);
    _tsc_viewer_window_refresh_all_badges(self);
    _tsc_viewer_window_replay_deferred(self);
out:
    g_clear_error(&error);
    g_clear_object(&study);
    g_clear_object(&self);
    ctx_free(c);
}

static gboolean must_wait(TscViewerWindow *self, const char *action)
{
    if (g_str_has_prefix(action, "win.")) action += 4;
    if (self->opening) return TRUE;
    /* An export asked for after a series analysis includes its result. */
    if (g_strcmp0(action, "export-report") == 0 && self->series_running >= 0) return TRUE;
    /* While the reader's corrections are measured again, what names a lesion
     * by its number, and what exports or sends the result, waits for the
     * measured result; strokes wait while saved edits are restored. */
    static const char *after_measuring[] = {"reject-lesion", "reject-lesion-ask", "accept-lesion",
                                            "export-report", "pacs-send",         NULL};
    static const char *after_restoring[] = {"edit-stroke", "undo-edit", "redo-edit", NULL};
    if ((g_strv_contains(after_measuring, action) && _tsc_viewer_window_edits_measuring(self)) ||
        (g_strv_contains(after_restoring, action) && _tsc_viewer_window_edits_restoring(self)))
        return TRUE;
    /* Analyses with the CNN wait for the model rather than fail. */
    static const char *analyses[] = {"analyze-slice", "analyze-series", "export-report", "benchmark-scroll",
                                     NULL};
    return self->app && tsc_viewer_app_get_model_loading(self->app) &&
           current_method(self) == TSC_METHOD_CNN && g_strv_contains(analyses, action);
}

/* Replays queued script commands, in order, as far as they can run now. */
void _tsc_viewer_window_replay_deferred(TscViewerWindow *self)
{
    Deferred *d;
    while (self->app && (d = g_queue_peek_head(&self->deferred)) &&
           (d->gen != self->gen || !must_wait(self, d->action))) {
        g_queue_pop_head(&self->deferred);
        if (d->gen != self->gen) {
            /* Waiting (for a measuring) when another study was opened: it
             * named the earlier study's lesions or result. */
            g_info("%s, asked on the previous study, is dropped", d->action);
            _tsc_viewer_window_deferred_free(d);
            continue;
        }
        self->replaying = TRUE;
        gtk_widget_activate_action_variant(GTK_WIDGET(self), d->action, d->param);
        self->replaying = FALSE;
        _tsc_viewer_window_deferred_free(d);
    }
}

gboolean tsc_viewer_window_defer(TscViewerWindow *self, const char *action, GVariant *param)
{
    g_return_val_if_fail(TSC_IS_VIEWER_WINDOW(self), FALSE);
    /* Keep the order: once something waits, everything after it waits too. */
    if (!must_wait(self, action) && (self->replaying || g_queue_is_empty(&self->deferred))) return FALSE;
    Deferred *d = g_new0(Deferred, 1);
    d->action = g_strdup(action);
    d->param = param ? g_variant_ref(param) : NULL;
    d->gen = self->gen;
    g_queue_push_tail(&self->deferred, d);
    return TRUE;
}

/* What a folder holds at a glance (at most 256 entries, two levels): DICOM
 * candidates (DICM preamble, DICOMDIR, or no extension, as scanners write
 * them) and pictures a user might mistake for a study. */
static void peek_folder(const char *dir, int depth, int *budget, int *dicom, int *pictures)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) return;
    const char *name;
    while ((name = g_dir_read_name(d)) && *budget > 0 && !*dicom) {
        (*budget)--;
        g_autofree char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            if (depth < 2) peek_folder(p, depth + 1, budget, dicom, pictures);
        } else {
            g_autofree char *lower = g_ascii_strdown(name, -1);
            static const char *pics[] = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".nii", ".nii.gz", NULL};
            gboolean pic = FALSE;
            for (int i = 0; pics[i] && !pic; i++) pic = g_str_has_suffix(lower, pics[i]);
            if (pic) {
                (*pictures)++;
            } else if (strcmp(lower, "dicomdir") == 0 || !strchr(name, '.')) {
                (*dicom)++;
            } else {
                FILE *f = fopen(p, "rb");
                char head[132];
                if (f && fread(head, 1, sizeof head, f) == sizeof head && memcmp(head + 128, "DICM", 4) == 0)
                    (*dicom)++;
                if (f) fclose(f);
            }
        }
    }
    g_dir_close(d);
}

/* Refuses, before the open study is closed, what cannot be a study: a path
 * that does not exist, a folder of pictures.  Says so in the window. */
static gboolean open_would_fail(TscViewerWindow *self, const char *const *paths)
{
    for (int i = 0; paths[i]; i++) {
        if (!g_file_test(paths[i], G_FILE_TEST_EXISTS)) {
            g_autofree char *t = g_strdup_printf("Folder not found: %s", paths[i]);
            tsc_issue_bar_set(self->issue_bar, "open", GTK_MESSAGE_ERROR, t,
                              self->study ? "Check the path. The study on screen stays open."
                                          : "Check the path.");
            return TRUE;
        }
    }
    if (paths[1] || !g_file_test(paths[0], G_FILE_TEST_IS_DIR)) return FALSE;
    int budget = 256, dicom = 0, pictures = 0;
    peek_folder(paths[0], 0, &budget, &dicom, &pictures);
    if (dicom || !pictures) return FALSE;
    g_autofree char *t = g_strdup_printf("No DICOM files in %s: it holds %d picture%s (PNG, JPEG or NIfTI).", paths[0],
                              pictures, pictures == 1 ? "" : "s");
    tsc_issue_bar_set(self->issue_bar, "open", GTK_MESSAGE_WARNING, t,
              "The viewer reads DICOM. To make a DICOM series of a PNG stack or a NIfTI volume, run\n"
              "    tumorscope dicomize --out OUT_FOLDER FOLDER_OR_FILE\n"
              "and open OUT_FOLDER (see docs/CLI.md for the spacing and patient options)."
              " The study on screen stays open.");
    return TRUE;
}

void tsc_viewer_window_open(TscViewerWindow *self, const char *const *paths)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    if (!self->app || tsc_viewer_app_get_api_error(self->app) || !paths || !paths[0]) return;
    if (open_would_fail(self, paths)) return;
    tsc_viewer_cancel_clear(&self->open_cancellable);
    reset_study(self);
    _tsc_viewer_window_set_title(self);
    gtk_stack_set_visible_child_name(self->view_stack, "empty");
    gtk_label_set_text(self->empty_title, "Indexing\xe2\x80\xa6");
    gtk_label_set_text(self->empty_subtitle, "Reading the DICOM headers; the first series opens as soon as the index is ready.");
    self->opening = TRUE;
    self->series_done = self->series_total = 0;
    self->open_cancellable = g_cancellable_new();
    _tsc_viewer_window_refresh_progress(self);
    g_info("opening %u path(s)", g_strv_length((char **)paths));
    tsc_viewer_study_open_async(paths, tsc_viewer_progress_new(G_OBJECT(self), open_progress, NULL),
                                self->open_cancellable, on_opened, ctx_new(self, 0, 0, 0));
}

static void on_chooser_response(GtkNativeDialog *dialog, int response, gpointer data)
{
    TscViewerWindow *self = data;
    g_autofree char *path = tsc_viewer_chooser_dup_path(dialog, response);
    if (path) {
        const char *paths[] = {path, NULL};
        tsc_viewer_window_open(self, paths);
    }
    /* The chooser was ours since tsc_viewer_window_choose_open. */
    g_object_unref(dialog);
}

void tsc_viewer_window_choose_open(TscViewerWindow *self, gboolean folder)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    GtkFileChooserNative *d = gtk_file_chooser_native_new(
        folder ? "Open Study Folder" : "Open DICOM File or DICOMDIR", GTK_WINDOW(self),
        folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
    if (!folder) {
        static const char *const dicom_names[] = {"DICOMDIR", "*.dcm", "*.DCM", NULL};
        g_autoptr(GtkFileFilter) dicom =
            tsc_viewer_file_filter_new("DICOM files and DICOMDIR", dicom_names);
        gtk_file_filter_add_mime_type(dicom, "application/dicom");
        gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), dicom);
        static const char *const any[] = {"*", NULL};
        g_autoptr(GtkFileFilter) all = tsc_viewer_file_filter_new("All files", any);
        gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), all);
    }
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(d), TRUE);
    g_signal_connect(d, "response", G_CALLBACK(on_chooser_response), self);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

gboolean _tsc_viewer_window_on_drop(GtkDropTarget *target, const GValue *value, double x, double y, gpointer data)
{
    (void)target;
    (void)x;
    (void)y;
    TscViewerWindow *self = data;
    if (!G_VALUE_HOLDS(value, GDK_TYPE_FILE_LIST)) return FALSE;
    GSList *files = g_value_get_boxed(value);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (GSList *l = files; l; l = l->next) {
        char *p = g_file_get_path(l->data);
        if (p) g_ptr_array_add(paths, p);
    }
    g_ptr_array_add(paths, NULL);
    gboolean ok = paths->len > 1;
    if (ok) tsc_viewer_window_open(self, (const char *const *)paths->pdata);
    g_ptr_array_unref(paths);
    return ok;
}
