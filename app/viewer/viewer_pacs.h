/* SPDX-License-Identifier: BSD-3-Clause */
/* viewer_pacs: the PACS nodes of the preferences and the viewer's PACS jobs
 * (C-ECHO, study list, retrieve into our cache, send results) over the
 * plugin's pacs_* members.
 *
 * Every call of the plugin blocks for up to the node's timeout, so each job
 * is a GTask run off the main thread: echo, search and retrieve on GLib's
 * thread pool, not on the viewer's CPU pools (a node that does not answer
 * must never hold back decoding or analyses, and these threads only wait on
 * the network); sending on the analysis pool, since it first writes the
 * outputs with the model.  Results arrive on the main
 * thread; callers drop stale ones through their GCancellable.  Nothing here
 * logs patient identifiers. */
#ifndef TSC_VIEWER_PACS_H
#define TSC_VIEWER_PACS_H

#include <gtk/gtk.h>

#include "viewer_api.h"
#include "viewer_pool.h"
#include "viewer_prefs.h"
#include "viewer_study.h"

G_BEGIN_DECLS

/* A PACS node as the preferences keep it (GSettings key "pacs-nodes",
 * a(sssisi): name, AE title, host, port, our AE title, timeout in s; its
 * TLS settings in "pacs-nodes-tls", a{s(bsss)} keyed by the name: TLS on,
 * the CA file to trust, our certificate, our key; how it retrieves in
 * "pacs-nodes-move"). */
typedef struct {
    char *name, *called_ae, *host, *calling_ae;
    int port, timeout_s;
    /* From $TSC_VIEWER_PACS_NODE ("name|AE|host|port|our AE|timeout|tls|CA
     * file|our certificate|our key"): for this session only, never saved. */
    gboolean from_env;
    /* DIMSE over TLS; the node's certificate is always verified, against
     * tls_ca_file ("" or NULL: the system's trusted certificates).  Our
     * certificate and key (PEM, both or neither) for nodes that
     * authenticate clients. */
    gboolean tls;
    char *tls_ca_file, *tls_cert_file, *tls_key_file;
    /* Retrieve with C-MOVE to our own Store SCP (else C-GET), listening on
     * move_address ("" or NULL: 127.0.0.1) port move_port while a retrieve
     * runs, for the node's AE title and host only ("pacs-nodes-move",
     * a{s(bis)} keyed by the name). */
    gboolean move;
    int move_port;
    char *move_address;
} TscViewerPacsNode;

TscViewerPacsNode *tsc_viewer_pacs_node_copy(const TscViewerPacsNode *node);
void tsc_viewer_pacs_node_free(TscViewerPacsNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TscViewerPacsNode, tsc_viewer_pacs_node_free)

/* The configured nodes (TscViewerPacsNode, newly allocated array). */
GPtrArray *tsc_viewer_pacs_dup_nodes(TscViewerPrefs *prefs);
/* Adds or replaces (same name) a node; FALSE with a message in words when
 * a field is not usable (empty name or host, AE title longer than 16
 * characters or with a backslash, port outside 1..65535; with TLS: a file
 * named that does not exist, a certificate without its key or the
 * reverse). */
gboolean tsc_viewer_pacs_save_node(TscViewerPrefs *prefs, const TscViewerPacsNode *node,
                                   GError **error);
void tsc_viewer_pacs_remove_node(TscViewerPrefs *prefs, const char *name);
/* The node chosen last (in the dialog or the preferences), else the first;
 * NULL when none is configured.  `name` may be NULL or "". */
TscViewerPacsNode *tsc_viewer_pacs_dup_node(TscViewerPrefs *prefs, const char *name);
void tsc_viewer_pacs_set_chosen(TscViewerPrefs *prefs, const char *name);

/* Where retrieved studies go: $TSC_VIEWER_PACS_CACHE, else
 * $XDG_CACHE_HOME/tumorscope/pacs.  Newly allocated. */
char *tsc_viewer_pacs_dup_cache_dir(void);

/* What the study list searches for; NULL or "" leaves a key open. */
typedef struct {
    const char *patient_name, *patient_id, *date_from, *date_to, *modality, *accession;
    gsize offset, limit;
} TscViewerPacsQuery;

/* Is the node there and does it accept us (C-ECHO). */
void tsc_viewer_pacs_echo_async(const TscViewerPacsNode *node, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean tsc_viewer_pacs_echo_finish(GAsyncResult *result, GError **error);

/* One page of the study list.  Returns the studies (tsc_pacs_study copies)
 * and whether the node has more. */
void tsc_viewer_pacs_find_async(const TscViewerPacsNode *node, const TscViewerPacsQuery *query,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
GPtrArray *tsc_viewer_pacs_find_finish(GAsyncResult *result, gboolean *has_more, GError **error);

/* C-GET, or C-MOVE to our Store SCP when the node says so (and the plugin
 * has it), of the study into <cache>/<StudyInstanceUID>; returns that folder.
 * `progress` (may be NULL) hears of each object. */
void tsc_viewer_pacs_retrieve_async(const TscViewerPacsNode *node, const char *study_uid,
                                    TscViewerProgress *progress, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
char *tsc_viewer_pacs_retrieve_finish(GAsyncResult *result, gsize *n_received, GError **error);

/* Writes the series' DICOM outputs (SEG, SR, Secondary Captures and, when
 * the plugin has it, the Encapsulated PDF) into a temporary folder of our
 * cache and C-STOREs them to the node; the folder is removed afterwards.
 * Returns the number of objects the node accepted; *summary (may be NULL)
 * says what was sent. */
void tsc_viewer_pacs_send_async(const TscViewerPacsNode *node, TscViewerStudy *study,
                                const tsc_model *model, gsize series,
                                TscViewerSeriesRef *series_ref, TscViewerProgress *progress,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
gsize tsc_viewer_pacs_send_finish(GAsyncResult *result, char **summary, GError **error);

/* The window of `type` open over `parent` (borrowed), or NULL. */
gpointer tsc_viewer_find_transient(gpointer parent, GType type);

/* A weak reference to `object` to carry through a job's user data, and
 * its end on the main thread: the object (a new reference) if it still
 * exists, else NULL; the carrier is freed either way. */
GWeakRef *tsc_viewer_weak_new(gpointer object);
gpointer tsc_viewer_weak_end(GWeakRef *ref);

G_END_DECLS
#endif
