/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-pacs"
#include "viewer_pacs.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#define NODES_KEY "pacs-nodes"
#define CHOSEN_KEY "pacs-node"
#define NODES_TYPE "a(sssisi)"
/* TLS per node, keyed by its name: kept beside "pacs-nodes" so that the
 * settings of earlier versions (nodes without TLS) stay readable. */
#define TLS_KEY "pacs-nodes-tls"
#define TLS_TYPE "a{s(bsss)}"
/* Session copies when the schema (or an older one without the keys) is
 * all there is: kept on the preferences object. */
#define SESSION_NODES "tsc-pacs-nodes"
#define SESSION_TLS "tsc-pacs-nodes-tls"
#define SESSION_CHOSEN "tsc-pacs-chosen"
/* How each node retrieves (C-MOVE: our Store SCP's port and interface),
 * keyed by its name like the TLS settings. */
#define MOVE_KEY "pacs-nodes-move"
#define MOVE_TYPE "a{s(bis)}"
#define SESSION_MOVE "tsc-pacs-nodes-move"

TscViewerPacsNode *tsc_viewer_pacs_node_copy(const TscViewerPacsNode *node)
{
    g_return_val_if_fail(node != NULL, NULL);
    TscViewerPacsNode *n = g_new0(TscViewerPacsNode, 1);
    n->name = g_strdup(node->name);
    n->called_ae = g_strdup(node->called_ae);
    n->host = g_strdup(node->host);
    n->calling_ae = g_strdup(node->calling_ae);
    n->port = node->port;
    n->timeout_s = node->timeout_s;
    n->from_env = node->from_env;
    n->tls = node->tls;
    n->tls_ca_file = g_strdup(node->tls_ca_file ? node->tls_ca_file : "");
    n->tls_cert_file = g_strdup(node->tls_cert_file ? node->tls_cert_file : "");
    n->tls_key_file = g_strdup(node->tls_key_file ? node->tls_key_file : "");
    n->move = node->move;
    n->move_port = node->move_port;
    n->move_address = g_strdup(node->move_address ? node->move_address : "");
    return n;
}

void tsc_viewer_pacs_node_free(TscViewerPacsNode *node)
{
    if (!node) return;
    g_free(node->name);
    g_free(node->called_ae);
    g_free(node->host);
    g_free(node->calling_ae);
    g_free(node->tls_ca_file);
    g_free(node->tls_cert_file);
    g_free(node->tls_key_file);
    g_free(node->move_address);
    g_free(node);
}

static GSettings *settings_with(TscViewerPrefs *prefs, const char *key)
{
    GSettings *s = tsc_viewer_prefs_get_settings(prefs);
    if (!s) return NULL;
    g_autoptr(GSettingsSchema) schema = NULL;
    g_object_get(s, "settings-schema", &schema, NULL);
    return schema && g_settings_schema_has_key(schema, key) ? s : NULL;
}

/* The value of `key` (of `type`), or the session's copy when the schema
 * lacks the key. */
static GVariant *stored(TscViewerPrefs *prefs, const char *key, const char *session,
                        const char *type)
{
    GSettings *s = settings_with(prefs, key);
    if (s) return g_settings_get_value(s, key);
    GVariant *v = g_object_get_data(G_OBJECT(prefs), session);
    return v ? g_variant_ref(v)
             : g_variant_ref_sink(
                   g_variant_new_array(g_variant_type_element(G_VARIANT_TYPE(type)), NULL, 0));
}

static void store(TscViewerPrefs *prefs, const char *key, const char *session, GVariant *v)
{
    GSettings *s = settings_with(prefs, key);
    if (s) {
        g_settings_set_value(s, key, v);
        return;
    }
    g_object_set_data_full(G_OBJECT(prefs), session, g_variant_ref_sink(v),
                           (GDestroyNotify)g_variant_unref);
}

static GVariant *stored_nodes(TscViewerPrefs *prefs)
{
    return stored(prefs, NODES_KEY, SESSION_NODES, NODES_TYPE);
}

static void store_nodes(TscViewerPrefs *prefs, GVariant *v)
{
    store(prefs, NODES_KEY, SESSION_NODES, v);
}

static GVariant *stored_tls(TscViewerPrefs *prefs)
{
    return stored(prefs, TLS_KEY, SESSION_TLS, TLS_TYPE);
}

/* `old` (the node list or the TLS settings, of `type`) with the entry whose
 * first member is `name` replaced by `entry` in its place (appended when
 * there was none), or dropped when `entry` is NULL.  Floating. */
static GVariant *with_entry(GVariant *old, const char *type, const char *name, GVariant *entry)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE(type));
    GVariantIter it;
    GVariant *child;
    g_variant_iter_init(&it, old);
    while ((child = g_variant_iter_next_value(&it))) {
        const char *n;
        g_variant_get_child(child, 0, "&s", &n);
        if (g_strcmp0(n, name) != 0) {
            g_variant_builder_add_value(&b, child);
        } else if (entry) {
            g_variant_builder_add_value(&b, entry);
            entry = NULL;
        }
        g_variant_unref(child);
    }
    if (entry) g_variant_builder_add_value(&b, entry);
    return g_variant_builder_end(&b);
}

/* The TLS settings of every node but `name`, and `node`'s when it has any
 * (NULL: none). */
static void store_tls(TscViewerPrefs *prefs, const char *name, const TscViewerPacsNode *node)
{
    g_autoptr(GVariant) old = stored_tls(prefs);
    GVariant *entry = NULL;
    /* Files are kept while TLS is off, so that turning it on again finds them. */
    if (node && (node->tls || (node->tls_ca_file && *node->tls_ca_file) ||
                 (node->tls_cert_file && *node->tls_cert_file) ||
                 (node->tls_key_file && *node->tls_key_file)))
        entry =
            g_variant_new("{s(bsss)}", name, node->tls, node->tls_ca_file ? node->tls_ca_file : "",
                          node->tls_cert_file ? node->tls_cert_file : "",
                          node->tls_key_file ? node->tls_key_file : "");
    store(prefs, TLS_KEY, SESSION_TLS, with_entry(old, TLS_TYPE, name, entry));
}

/* The retrieve settings of every node but `name`, and `node`'s when it
 * has any (NULL: none). */
static void store_move(TscViewerPrefs *prefs, const char *name, const TscViewerPacsNode *node)
{
    g_autoptr(GVariant) old = stored(prefs, MOVE_KEY, SESSION_MOVE, MOVE_TYPE);
    GVariant *entry = NULL;
    /* The port and address are kept while C-GET is chosen. */
    if (node && (node->move || node->move_port || (node->move_address && *node->move_address)))
        entry = g_variant_new("{s(bis)}", name, node->move, node->move_port,
                              node->move_address ? node->move_address : "");
    store(prefs, MOVE_KEY, SESSION_MOVE, with_entry(old, MOVE_TYPE, name, entry));
}

static TscViewerPacsNode *node_new(const char *name, const char *ae, const char *host, int port,
                                   const char *our_ae, int timeout_s)
{
    TscViewerPacsNode n = {.name = (char *)name,
                           .called_ae = (char *)ae,
                           .host = (char *)host,
                           .calling_ae = (char *)our_ae,
                           .port = port,
                           .timeout_s = timeout_s};
    return tsc_viewer_pacs_node_copy(&n);
}

static void node_set_tls(TscViewerPacsNode *node, gboolean on, const char *ca, const char *cert,
                         const char *key)
{
    node->tls = on;
    g_free(node->tls_ca_file);
    g_free(node->tls_cert_file);
    g_free(node->tls_key_file);
    node->tls_ca_file = g_strdup(ca ? ca : "");
    node->tls_cert_file = g_strdup(cert ? cert : "");
    node->tls_key_file = g_strdup(key ? key : "");
}

static void node_set_move(TscViewerPacsNode *node, gboolean on, int port, const char *address)
{
    node->move = on;
    node->move_port = port;
    g_free(node->move_address);
    node->move_address = g_strdup(address ? address : "");
}

/* $TSC_VIEWER_PACS_NODE: "name|AE|host|port|our AE|timeout|tls|CA file|our
 * certificate|our key|move|our port|our address" (all after the port
 * optional; the seventh field "tls" turns TLS on, the eleventh "move"
 * retrieves with C-MOVE to our Store SCP on that port and address), for
 * scripts and tests that must not touch saved settings. */
static TscViewerPacsNode *env_node(void)
{
    const char *spec = g_getenv("TSC_VIEWER_PACS_NODE");
    if (!spec || !*spec) return NULL;
    g_auto(GStrv) f = g_strsplit(spec, "|", 13);
    guint n = g_strv_length(f);
    if (n < 4 || (n > 6 && *f[6] && g_ascii_strcasecmp(f[6], "tls") != 0) ||
        (n > 10 && *f[10] && g_ascii_strcasecmp(f[10], "move") != 0)) {
        g_warning("TSC_VIEWER_PACS_NODE needs name|AE|host|port[|our AE|timeout|tls|CA "
                  "file|our certificate|our key|move|our port|our address]; ignored");
        return NULL;
    }
    TscViewerPacsNode *node =
        node_new(f[0], f[1], f[2], atoi(f[3]), n > 4 ? f[4] : "", n > 5 ? atoi(f[5]) : 0);
    node->from_env = TRUE;
    node_set_tls(node, n > 6 && *f[6], n > 7 ? f[7] : "", n > 8 ? f[8] : "", n > 9 ? f[9] : "");
    node_set_move(node, n > 10 && *f[10], n > 11 ? atoi(f[11]) : 0, n > 12 ? f[12] : "");
    return node;
}

GPtrArray *tsc_viewer_pacs_dup_nodes(TscViewerPrefs *prefs)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(prefs), NULL);
    GPtrArray *nodes = g_ptr_array_new_with_free_func((GDestroyNotify)tsc_viewer_pacs_node_free);
    TscViewerPacsNode *e = env_node();
    if (e) g_ptr_array_add(nodes, e);
    g_autoptr(GVariant) v = stored_nodes(prefs);
    g_autoptr(GVariant) tls = stored_tls(prefs);
    g_autoptr(GVariant) move = stored(prefs, MOVE_KEY, SESSION_MOVE, MOVE_TYPE);
    GVariantIter it;
    const char *name, *ae, *host, *our;
    int port, timeout_s;
    g_variant_iter_init(&it, v);
    while (g_variant_iter_next(&it, "(&s&s&si&si)", &name, &ae, &host, &port, &our, &timeout_s)) {
        if (e && g_strcmp0(name, e->name) == 0) continue;
        TscViewerPacsNode *node = node_new(name, ae, host, port, our, timeout_s);
        gboolean on;
        const char *ca, *cert, *key;
        if (g_variant_lookup(tls, name, "(b&s&s&s)", &on, &ca, &cert, &key))
            node_set_tls(node, on, ca, cert, key);
        int move_port;
        const char *address;
        if (g_variant_lookup(move, name, "(bi&s)", &on, &move_port, &address))
            node_set_move(node, on, move_port, address);
        g_ptr_array_add(nodes, node);
    }
    return nodes;
}

static gboolean ae_ok(const char *ae, gboolean may_be_empty)
{
    size_t n = ae ? strlen(ae) : 0;
    if (n == 0) return may_be_empty;
    return n <= 16 && !strchr(ae, '\\') && g_utf8_validate(ae, -1, NULL);
}

/* With TLS: the files named exist, and our certificate comes with its key. */
static gboolean tls_files_ok(const TscViewerPacsNode *node, GError **error)
{
    const struct {
        const char *path, *what;
    } files[] = {
        {node->tls_ca_file, "The CA certificate file"},
        {node->tls_cert_file, "Our certificate file"},
        {node->tls_key_file, "Our private key file"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++)
        if (files[i].path && *files[i].path &&
            !g_file_test(files[i].path, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s %s does not exist.",
                        files[i].what, files[i].path);
            return FALSE;
        }
    gboolean cert = node->tls_cert_file && *node->tls_cert_file;
    gboolean key = node->tls_key_file && *node->tls_key_file;
    if (cert != key) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "Give both our certificate and its private key, or neither.");
        return FALSE;
    }
    return TRUE;
}

gboolean tsc_viewer_pacs_save_node(TscViewerPrefs *prefs, const TscViewerPacsNode *node,
                                   GError **error)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(prefs), FALSE);
    g_return_val_if_fail(node != NULL, FALSE);
    const char *bad = !node->name || !*node->name   ? "Give the node a name."
                      : !node->host || !*node->host ? "Enter the node's host name or address."
                      : node->port < 1 || node->port > 65535
                          ? "The port must be between 1 and 65535."
                      : !ae_ok(node->called_ae, FALSE)
                          ? "The node's AE title must have 1 to 16 characters, without a backslash."
                      : !ae_ok(node->calling_ae, TRUE)
                          ? "Our AE title must have at most 16 characters, without a backslash."
                          : NULL;
    if (bad) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, bad);
        return FALSE;
    }
    if (node->tls && !tls_files_ok(node, error)) return FALSE;
    if (node->move && (node->move_port < 1 || node->move_port > 65535)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "Retrieving with C-MOVE needs the port of our Store SCP (1 to 65535), "
                            "the one the node knows for our AE title.");
        return FALSE;
    }
    if (node->move && node->tls && (!node->tls_cert_file || !*node->tls_cert_file)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "C-MOVE over TLS needs our certificate and private key: our Store SCP "
                            "presents them to the node. Choose them, or retrieve with C-GET.");
        return FALSE;
    }
    g_autoptr(GVariant) old = stored_nodes(prefs);
    GVariant *entry = g_variant_new("(sssisi)", node->name, node->called_ae, node->host, node->port,
                                    node->calling_ae ? node->calling_ae : "", node->timeout_s);
    store_nodes(prefs, with_entry(old, NODES_TYPE, node->name, entry));
    store_tls(prefs, node->name, node);
    store_move(prefs, node->name, node);
    return TRUE;
}

void tsc_viewer_pacs_remove_node(TscViewerPrefs *prefs, const char *name)
{
    g_return_if_fail(TSC_IS_VIEWER_PREFS(prefs));
    g_autoptr(GVariant) old = stored_nodes(prefs);
    store_nodes(prefs, with_entry(old, NODES_TYPE, name, NULL));
    store_tls(prefs, name, NULL);
    store_move(prefs, name, NULL);
}

void tsc_viewer_pacs_set_chosen(TscViewerPrefs *prefs, const char *name)
{
    g_return_if_fail(TSC_IS_VIEWER_PREFS(prefs));
    GSettings *s = settings_with(prefs, CHOSEN_KEY);
    if (s) g_settings_set_string(s, CHOSEN_KEY, name ? name : "");
    else g_object_set_data_full(G_OBJECT(prefs), SESSION_CHOSEN, g_strdup(name), g_free);
}

TscViewerPacsNode *tsc_viewer_pacs_dup_node(TscViewerPrefs *prefs, const char *name)
{
    g_return_val_if_fail(TSC_IS_VIEWER_PREFS(prefs), NULL);
    g_autoptr(GPtrArray) nodes = tsc_viewer_pacs_dup_nodes(prefs);
    g_autofree char *chosen = NULL;
    if (name && *name) {
        chosen = g_strdup(name);
    } else {
        GSettings *s = settings_with(prefs, CHOSEN_KEY);
        chosen = s ? g_settings_get_string(s, CHOSEN_KEY)
                   : g_strdup(g_object_get_data(G_OBJECT(prefs), SESSION_CHOSEN));
    }
    for (guint i = 0; i < nodes->len; i++) {
        TscViewerPacsNode *n = g_ptr_array_index(nodes, i);
        if (g_strcmp0(n->name, chosen) == 0) return tsc_viewer_pacs_node_copy(n);
    }
    /* A name asked for explicitly must exist; otherwise the first node. */
    if (name && *name) return NULL;
    return nodes->len ? tsc_viewer_pacs_node_copy(g_ptr_array_index(nodes, 0)) : NULL;
}

char *tsc_viewer_pacs_dup_cache_dir(void)
{
    const char *env = g_getenv("TSC_VIEWER_PACS_CACHE");
    if (env && *env) return g_strdup(env);
    return g_build_filename(g_get_user_cache_dir(), "tumorscope", "pacs", NULL);
}

gpointer tsc_viewer_find_transient(gpointer parent, GType type)
{
    g_return_val_if_fail(parent == NULL || GTK_IS_WINDOW(parent), NULL);
    gpointer found = NULL;
    GListModel *list = gtk_window_get_toplevels();
    for (guint i = 0; i < g_list_model_get_n_items(list) && !found; i++) {
        g_autoptr(GtkWindow) w = g_list_model_get_item(list, i);
        if (G_TYPE_CHECK_INSTANCE_TYPE(w, type) && gtk_window_get_transient_for(w) == parent)
            found = w;
    }
    return found;
}

GWeakRef *tsc_viewer_weak_new(gpointer object)
{
    g_return_val_if_fail(G_IS_OBJECT(object), NULL);
    GWeakRef *ref = g_new0(GWeakRef, 1);
    g_weak_ref_init(ref, object);
    return ref;
}

gpointer tsc_viewer_weak_end(GWeakRef *ref)
{
    g_return_val_if_fail(ref != NULL, NULL);
    gpointer object = g_weak_ref_get(ref);
    g_weak_ref_clear(ref);
    g_free(ref);
    return object;
}

/* ---- jobs ----------------------------------------------------------------- */

typedef struct {
    TscViewerPacsNode *node;
    tsc_pacs_node pn; /* borrows node's strings */
    /* find */
    char *name, *id, *date, *modality, *accession;
    gsize offset, limit;
    gboolean has_more;
    /* retrieve */
    char *study_uid;
    char *folder;
    gsize n_done;
    /* send */
    TscViewerStudy *study;
    const tsc_model *model;
    gsize series;
    TscViewerSeriesRef *ref;
    char *summary;
    TscViewerProgress *progress;
    GCancellable *cancellable;
} Job;

static void job_free(Job *j)
{
    tsc_viewer_pacs_node_free(j->node);
    g_free(j->name);
    g_free(j->id);
    g_free(j->date);
    g_free(j->modality);
    g_free(j->accession);
    g_free(j->study_uid);
    g_free(j->folder);
    g_clear_object(&j->study);
    if (j->ref) tsc_viewer_series_ref_release(j->ref);
    g_free(j->summary);
    if (j->progress) tsc_viewer_progress_unref(j->progress);
    g_free(j);
}

static GTask *job_task(const TscViewerPacsNode *node, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data, gpointer tag, Job **out)
{
    GTask *task = g_task_new(NULL, cancellable, callback, user_data);
    g_task_set_source_tag(task, tag);
    Job *j = g_new0(Job, 1);
    j->node = tsc_viewer_pacs_node_copy(node);
    j->pn.struct_size = sizeof j->pn;
    j->pn.host = j->node->host;
    j->pn.port = j->node->port;
    j->pn.called_ae = j->node->called_ae;
    j->pn.calling_ae = j->node->calling_ae;
    j->pn.timeout_s = j->node->timeout_s;
    j->pn.tls = j->node->tls ? 1 : 0;
    j->pn.tls_ca_file = j->node->tls_ca_file;
    j->pn.tls_cert_file = j->node->tls_cert_file;
    j->pn.tls_key_file = j->node->tls_key_file;
    j->cancellable = cancellable;
    g_task_set_task_data(task, j, (GDestroyNotify)job_free);
    *out = j;
    return task;
}

/* The plugin's progress: forwarded to the main thread; nonzero cancels. */
static int job_progress(void *user, size_t done, size_t total)
{
    Job *j = user;
    j->n_done = done;
    if (j->progress) tsc_viewer_progress_report(j->progress, done, total);
    return j->cancellable && g_cancellable_is_cancelled(j->cancellable);
}

static void echo_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    (void)cancellable;
    Job *j = data;
    tsc_error err = {0};
    tsc_status st = tsc_viewer_api()->pacs_echo(&j->pn, &err);
    if (st != TSC_OK) {
        tsc_viewer_task_return_status(task, st, &err, NULL);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

void tsc_viewer_pacs_echo_async(const TscViewerPacsNode *node, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(node != NULL);
    Job *j;
    g_autoptr(GTask) task =
        job_task(node, cancellable, callback, user_data, tsc_viewer_pacs_echo_async, &j);
    tsc_viewer_pool_run(TSC_VIEWER_POOL_NETWORK, task, echo_thread);
}

gboolean tsc_viewer_pacs_echo_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

static void find_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    Job *j = data;
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_pacs_query q = {sizeof q,    j->name,      j->id,     j->date,
                        j->modality, j->accession, j->offset, j->limit};
    tsc_pacs_study_list *list = NULL;
    tsc_error err = {0};
    tsc_status st = api->pacs_find_studies(&j->pn, &q, &list, &err);
    if (st != TSC_OK) {
        tsc_viewer_task_return_status(task, st, &err, NULL);
        return;
    }
    if (g_task_return_error_if_cancelled(task)) {
        api->pacs_study_list_free(list);
        return;
    }
    GPtrArray *studies = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < api->pacs_study_list_count(list); i++) {
        const tsc_pacs_study *s = api->pacs_study_list_get(list, i);
        /* The plugin's struct may be larger (newer) or smaller (older). */
        tsc_pacs_study *copy = g_new0(tsc_pacs_study, 1);
        memcpy(copy, s, MIN(s->struct_size, sizeof *copy));
        copy->struct_size = sizeof *copy;
        if (s->struct_size < sizeof *copy) copy->n_series = copy->n_instances = -1;
        g_ptr_array_add(studies, copy);
    }
    j->has_more = api->pacs_study_list_has_more(list) != 0;
    api->pacs_study_list_free(list);
    (void)cancellable;
    g_task_return_pointer(task, studies, (GDestroyNotify)g_ptr_array_unref);
}

/* "20240101", "2024-01-01" or "" to the DICOM form. */
static char *dicom_date(const char *d)
{
    if (!d) return g_strdup("");
    GString *s = g_string_new(NULL);
    for (const char *p = d; *p; p++)
        if (g_ascii_isdigit(*p)) g_string_append_c(s, *p);
    return g_string_free(s, FALSE);
}

void tsc_viewer_pacs_find_async(const TscViewerPacsNode *node, const TscViewerPacsQuery *query,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
    g_return_if_fail(node != NULL && query != NULL);
    Job *j;
    g_autoptr(GTask) task =
        job_task(node, cancellable, callback, user_data, tsc_viewer_pacs_find_async, &j);
    j->name = g_strstrip(g_strdup(query->patient_name ? query->patient_name : ""));
    j->id = g_strstrip(g_strdup(query->patient_id ? query->patient_id : ""));
    j->modality = g_strstrip(g_strdup(query->modality ? query->modality : ""));
    j->accession = g_strstrip(g_strdup(query->accession ? query->accession : ""));
    g_autofree char *from = dicom_date(query->date_from), *to = dicom_date(query->date_to);
    j->date = *from || *to ? g_strdup_printf("%s-%s", from, to) : g_strdup("");
    if (*from && g_strcmp0(from, to) == 0) {
        g_free(j->date);
        j->date = g_strdup(from);
    }
    j->offset = query->offset;
    j->limit = query->limit;
    tsc_viewer_pool_run(TSC_VIEWER_POOL_NETWORK, task, find_thread);
}

GPtrArray *tsc_viewer_pacs_find_finish(GAsyncResult *result, gboolean *has_more, GError **error)
{
    GPtrArray *studies = g_task_propagate_pointer(G_TASK(result), error);
    Job *j = g_task_get_task_data(G_TASK(result));
    if (has_more) *has_more = studies && j->has_more;
    return studies;
}

static gboolean uid_ok(const char *uid)
{
    size_t n = uid ? strlen(uid) : 0;
    if (n == 0 || n > 64 || uid[0] == '.') return FALSE;
    for (const char *p = uid; *p; p++)
        if (!g_ascii_isdigit(*p) && *p != '.') return FALSE;
    return TRUE;
}

static void retrieve_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    (void)cancellable;
    Job *j = data;
    size_t n = 0;
    tsc_error err = {0};
    const tsc_plugin_api *api = tsc_viewer_api();
    tsc_status st;
    if (TSC_PLUGIN_HAS(api, pacs_retrieve)) {
        tsc_pacs_retrieve_params p = {.struct_size = sizeof p,
                                      .method = j->node->move ? TSC_PACS_RETRIEVE_MOVE
                                                              : TSC_PACS_RETRIEVE_GET,
                                      .listen_address = j->node->move_address,
                                      .listen_port = j->node->move_port};
        st = api->pacs_retrieve(&j->pn, j->study_uid, j->folder, &p, job_progress, j, &n, &err);
    } else if (j->node->move) {
        st = TSC_EUNSUPPORTED;
        g_strlcpy(err.message,
                  "this plugin retrieves only with C-GET (C-MOVE needs plugin ABI version 7)",
                  sizeof err.message);
    } else {
        st =
            api->pacs_retrieve_study(&j->pn, j->study_uid, j->folder, 0, job_progress, j, &n, &err);
    }
    j->n_done = n;
    if (st != TSC_OK) {
        GError *error = NULL;
        if (st == TSC_ECANCELLED)
            g_set_error(&error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                        "The retrieve was cancelled after %zu objects.", n);
        else tsc_viewer_set_error(&error, st, &err, NULL);
        g_task_return_error(task, error);
        return;
    }
    g_info("retrieve: %zu objects received", n);
    g_task_return_pointer(task, g_strdup(j->folder), g_free);
}

void tsc_viewer_pacs_retrieve_async(const TscViewerPacsNode *node, const char *study_uid,
                                    TscViewerProgress *progress, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(node != NULL && study_uid != NULL);
    Job *j;
    g_autoptr(GTask) task =
        job_task(node, cancellable, callback, user_data, tsc_viewer_pacs_retrieve_async, &j);
    if (!uid_ok(study_uid)) {
        g_task_return_new_error(
            task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "The node gave this study an invalid Study Instance UID; it cannot be retrieved.");
        return;
    }
    g_autofree char *cache = tsc_viewer_pacs_dup_cache_dir();
    j->study_uid = g_strdup(study_uid);
    j->folder = g_build_filename(cache, study_uid, NULL);
    j->progress = progress;
    tsc_viewer_pool_run(TSC_VIEWER_POOL_NETWORK, task, retrieve_thread);
}

char *tsc_viewer_pacs_retrieve_finish(GAsyncResult *result, gsize *n_received, GError **error)
{
    Job *j = g_task_get_task_data(G_TASK(result));
    if (n_received) *n_received = j->n_done;
    return g_task_propagate_pointer(G_TASK(result), error);
}

static void remove_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            remove_tree(p);
        else g_unlink(p);
    }
    g_rmdir(dir);
}

static void add_folder_files(GPtrArray *paths, const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) g_ptr_array_add(paths, p);
        else g_free(p);
    }
}

static void send_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    (void)source;
    Job *j = data;
    const tsc_plugin_api *api = tsc_viewer_api();
    const tsc_dicom_index *index = tsc_viewer_study_get_index(j->study);
    GError *error = NULL;
    g_autofree char *cache = tsc_viewer_pacs_dup_cache_dir();
    g_autofree char *outgoing = g_build_filename(cache, "outgoing", NULL);
    if (g_mkdir_with_parents(outgoing, 0700) != 0) {
        g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(errno),
                                "The folder %s for the outputs could not be created: %s", outgoing,
                                g_strerror(errno));
        return;
    }
    g_autofree char *tmpl = g_build_filename(outgoing, "send-XXXXXX", NULL);
    if (!g_mkdtemp(tmpl)) {
        g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(errno),
                                "A temporary folder in %s could not be created: %s", outgoing,
                                g_strerror(errno));
        return;
    }
    /* Results go back into the patient's study: not de-identified. */
    tsc_report_options ro = api->report_default_options_v9();
    ro.deidentify = 0;
    tsc_error err = {0};
    tsc_dicom_outputs out = {0};
    out.struct_size = sizeof out;
    g_autofree char *dir = g_build_filename(tmpl, "dicom", NULL);
    tsc_status st =
        api->write_dicom_outputs(dir, j->model, index, j->series, j->ref->result, &ro, &out, &err);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    if (st != TSC_OK) {
        tsc_viewer_set_error(&error, st, &err, "The DICOM outputs could not be written");
        goto done;
    }
    if (out.seg_path[0]) g_ptr_array_add(paths, g_strdup(out.seg_path));
    if (out.sr_path[0]) g_ptr_array_add(paths, g_strdup(out.sr_path));
    if (out.sc_dir[0]) add_folder_files(paths, out.sc_dir);
    gboolean pdf = FALSE;
    if (TSC_PLUGIN_HAS(api, write_dicom_pdf)) {
        g_autofree char *path = g_build_filename(tmpl, "PDF.dcm", NULL);
        st = api->write_dicom_pdf(path, j->model, index, j->series, j->ref->result, &ro, &err);
        /* An axial reformat has no PDF object; the rest still goes. */
        if (st == TSC_OK) {
            g_ptr_array_add(paths, g_strdup(path));
            pdf = TRUE;
        } else if (st != TSC_EINVAL) {
            tsc_viewer_set_error(&error, st, &err, "The PDF report object could not be written");
            goto done;
        }
    }
    if (g_cancellable_is_cancelled(cancellable)) {
        g_set_error_literal(&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Sending was cancelled.");
        goto done;
    }
    size_t stored = 0;
    st = api->pacs_store_files(&j->pn, (const char *const *)paths->pdata, paths->len, job_progress,
                               j, &stored, &err);
    j->n_done = stored;
    if (st == TSC_ECANCELLED) {
        g_set_error(&error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                    "Sending was cancelled after %zu of %u objects.", stored, paths->len);
    } else if (st != TSC_OK) {
        tsc_viewer_set_error(&error, st, &err, NULL);
    } else {
        j->summary = g_strdup_printf("%s%s%zu Secondary Capture image%s%s",
                                     out.seg_path[0] ? "SEG, " : "", out.sr_path[0] ? "SR, " : "",
                                     out.n_sc, out.n_sc == 1 ? "" : "s", pdf ? ", PDF report" : "");
        g_info("send: %zu objects stored", stored);
    }
done:
    remove_tree(tmpl);
    if (error) g_task_return_error(task, error);
    else g_task_return_int(task, (gssize)j->n_done);
}

void tsc_viewer_pacs_send_async(const TscViewerPacsNode *node, TscViewerStudy *study,
                                const tsc_model *model, gsize series,
                                TscViewerSeriesRef *series_ref, TscViewerProgress *progress,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
    g_return_if_fail(node != NULL && TSC_IS_VIEWER_STUDY(study) && series_ref != NULL);
    Job *j;
    g_autoptr(GTask) task =
        job_task(node, cancellable, callback, user_data, tsc_viewer_pacs_send_async, &j);
    j->study = g_object_ref(study);
    j->model = model;
    j->series = series;
    j->ref = tsc_viewer_series_ref_acquire(series_ref);
    j->progress = progress;
    /* Writing the outputs uses the model: the application waits for every
     * pool before it frees the model. */
    tsc_viewer_pool_run(TSC_VIEWER_POOL_NETWORK, task, send_thread);
}

gsize tsc_viewer_pacs_send_finish(GAsyncResult *result, char **summary, GError **error)
{
    Job *j = g_task_get_task_data(G_TASK(result));
    gssize n = g_task_propagate_int(G_TASK(result), error);
    if (summary) *summary = n >= 0 ? g_strdup(j->summary) : NULL;
    return n < 0 ? 0 : (gsize)n;
}
