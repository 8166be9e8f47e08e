/* SPDX-License-Identifier: GPL-3.0-or-later */
/* orthanc_private.h — internals shared by the files of the Orthanc plugin
 * (libtumorscope-orthanc.so).  Not a public header. */
#ifndef TSC_ORTHANC_PRIVATE_H
#define TSC_ORTHANC_PRIVATE_H

#include <cjson/cJSON.h>
#include <orthanc/OrthancCPlugin.h>
#include <pthread.h>
#include <stddef.h>

#include "tsc_plugin.h"

/* Orthanc ids are 44 characters (SHA-1 groups); room for a little more. */
#define TSC_ORTHANC_ID_SIZE 64

/* Series states kept in the TumorscopeState metadata of the source series. */
#define TSC_STATE_QUEUED "queued"
#define TSC_STATE_RUNNING "running"
#define TSC_STATE_DONE "done"
#define TSC_STATE_NOT_ANALYSED "not_analysed"
#define TSC_STATE_FAILED "failed"
/* On the series we stored: a result, never analysed itself. */
#define TSC_STATE_OUTPUT "output"

/* The metadata and attachment we keep on a source series.  Orthanc accepts
 * them by name only when its "UserMetadata"/"UserContentType" declare them;
 * otherwise we fall back to their numeric keys (docs/PACS.md). */
typedef enum tsc__orthanc_meta {
    TSC_META_STATE = 0,
    TSC_META_MODEL,
    TSC_META_SHA256,
    TSC_META_VERDICT,
    TSC_META_REASON,
    TSC_META_OUTPUTS,
    TSC_META_CLAIM,  /* "<node id> <epoch seconds>": who analyses it (orthanc_claim.c) */
    TSC_META_SOURCE, /* on a result series: the Orthanc id of its source series */
    TSC_META_COUNT
} tsc__orthanc_meta;

/* The outputs a site can choose ("Outputs"). */
enum { TSC_OUT_SEG = 1, TSC_OUT_SR = 2, TSC_OUT_SC = 4, TSC_OUT_PDF = 8 };

/* The "Tumorscope" configuration section, read once in Initialize. */
typedef struct tsc__orthanc_config {
    char *model_path;          /* NULL: the shipped default model */
    char *plugin_path;         /* libtumorscope-plugin.so to dlopen */
    char *temp_dir;            /* where series are exported (default $TMPDIR or /tmp) */
    int threads;               /* analysis threads per series; 0 = all cores */
    int auto_analyze;          /* analyse stable series on their own */
    char *modality;            /* AutoAnalyze.Modality ("MR"); "" = any */
    char *body_part;           /* AutoAnalyze.BodyPart; NULL = any */
    int scope;                 /* AutoAnalyze.Scope: 1 = the scope gate refuses */
    unsigned outputs;          /* TSC_OUT_* */
    int sweep_seconds;         /* SweepSeconds: period of the sweep for series
                                * whose stable event never came; 0 = off */
    int sweep_min_age;         /* SweepMinAge: a swept series' LastUpdate is at
                                * least this old (default: Orthanc's StableAge) */
    int stable_age;            /* Orthanc's StableAge, seconds */
    char node_id[128];         /* NodeId: names this node in claims; unique per node */
    int lease_seconds;         /* LeaseSeconds: a claim not renewed for this long is free */
    char meta_key[TSC_META_COUNT][32];  /* names (declared) or numbers */
    char result_key[32];       /* attachment with the result JSON */
} tsc__orthanc_config;

/* One series waiting for, or under, analysis. */
typedef struct tsc__orthanc_item {
    char id[TSC_ORTHANC_ID_SIZE];
    int explicit_request;      /* POST .../analyze: bypasses the auto filters */
    int cancelled;             /* its job was cancelled while it waited */
    struct tsc__orthanc_item *next;
} tsc__orthanc_item;

/* Everything the plugin holds; one instance per process. */
typedef struct tsc__orthanc {
    OrthancPluginContext *ctx;
    tsc__orthanc_config cfg;
    const tsc_plugin_api *api;
    tsc_model *model;
    char model_error[1024];     /* why the model is missing ("" when loaded) */

    pthread_mutex_t lock;      /* guards everything below */
    pthread_cond_t wake;
    /* Series ids from the change callback, not yet looked at (the callback
     * may not call Orthanc: the intake thread filters them). */
    tsc__orthanc_item *events, *events_tail;
    /* Series marked "queued", waiting for the analysis worker. */
    tsc__orthanc_item *queue, *queue_tail;
    size_t n_queue;
    /* Series this node would take but has not claimed yet: a node claims
     * only what its worker is about to analyse, so that idle nodes get the
     * rest (orthanc_worker.c, "claim ahead"). */
    tsc__orthanc_item *pending, *pending_tail;
    size_t n_pending;
    int startup_sweep;         /* OrthancStarted seen: re-queue unfinished series */
    int started;               /* threads running */
    int stopping;
    char running_id[TSC_ORTHANC_ID_SIZE];  /* "" when idle */
    size_t progress_done, progress_total;  /* slices of the running series */
    int cancel_running;
    size_t n_done, n_not_analysed, n_failed;
    double busy_seconds;       /* wall time spent analysing, for the throughput */
    pthread_t intake_thread, worker_thread;
} tsc__orthanc;

extern tsc__orthanc tsc__g;

/* ---- Orthanc's REST API from our threads (orthanc_rest.c) ---- */
/* GET uri as parsed JSON; NULL when it fails (not found: *code = 17). */
cJSON *tsc__rest_get_json(const char *uri, OrthancPluginErrorCode *code);
/* GET uri into a malloc'd NUL-terminated string; NULL on failure. */
char *tsc__rest_get_string(const char *uri, size_t *size);
/* GET uri into a malloc'd string and its ETag (revision-MD5, quoted; ""
 * when Orthanc sent none); NULL when absent or on failure (*code says which). */
char *tsc__rest_get_etag(const char *uri, char *etag, size_t etag_len,
                         OrthancPluginErrorCode *code);
/* PUT a small body with If-Match `if_match`, or without when NULL (with
 * CheckRevisions, that creates only if absent).  Returns Orthanc's error code:
 * 0 on success, OrthancPluginErrorCode_Revision (43) when the value changed
 * since `if_match` was read or, without it, when the value already exists. */
int tsc__rest_put_if(const char *uri, const char *if_match, const void *body, size_t size);
/* PUT that replaces what is there, passing the ETag read from `etag_uri`
 * (Orthanc needs If-Match for any overwrite when CheckRevisions is on); 0 on
 * success. */
int tsc__rest_put(const char *uri, const char *etag_uri, const void *body, size_t size);
/* Reads/writes one of our metadata keys of a series; get returns a malloc'd
 * string or NULL when absent. */
char *tsc__meta_get(const char *series, tsc__orthanc_meta key);
int tsc__meta_set(const char *series, tsc__orthanc_meta key, const char *value);
void tsc__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the cluster claim (orthanc_claim.c) ---- */
typedef enum tsc__claim_result {
    TSC_CLAIM_WON,  /* this node holds the claim now */
    TSC_CLAIM_HELD, /* another node holds a live claim */
    TSC_CLAIM_ERROR /* Orthanc refused the read or the write */
} tsc__claim_result;
/* Takes the claim of a series if nobody holds it, if it is this node's own
 * (left by a previous run of this node), or if its holder has not renewed it
 * for LeaseSeconds (then *from receives the holder's node id, else ""). */
tsc__claim_result tsc__claim_take(const char *series, char *from, size_t from_len);
/* Renews this node's claim; TSC_CLAIM_HELD when another node took it over. */
tsc__claim_result tsc__claim_renew(const char *series);
/* Marks the claim released (the series is finished): any node may claim it
 * again at once, e.g. for an explicit re-analysis. */
void tsc__claim_release(const char *series);
/* The holder and the age in seconds of a series' claim, for the REST route;
 * 0 when there is none. */
int tsc__claim_describe(const char *series, char *node, size_t node_len, long *age);

/* ---- queue and threads (orthanc_worker.c) ---- */
int tsc__worker_start(void);
void tsc__worker_stop(void);
/* From the change callback: no Orthanc call, only our queue. */
void tsc__worker_event(const char *series_id);
void tsc__worker_startup_sweep(void);
/* From a REST route: marks the series queued and hands it to the worker.
 * Returns the state the series is in afterwards (static string). */
const char *tsc__worker_request(const char *series_id, int *queued);
/* Cancels the analysis of a series, waiting or running (from a job's stop
 * callback: only our queue, no Orthanc call). */
void tsc__worker_cancel(const char *series_id);

/* ---- Orthanc jobs for POST .../analyze (orthanc_job.c) ---- */
/* Submits a job that follows the series' analysis; returns the job id to
 * free with OrthancPluginFreeString, or NULL. */
char *tsc__job_submit(const char *series_id);

/* ---- the result JSON, as `tumorscope analyze --json` writes it
 * (orthanc_json.c) ---- */
cJSON *tsc__json_root(const tsc_plugin_api *api, const tsc_model *model);
/* Appends series `s` to root's "series"; sr may be NULL (not analysed / error). */
cJSON *tsc__json_series(const tsc_plugin_api *api, const tsc_model *model,
                        const tsc_dicom_index *ix, size_t s, const tsc_series_result *sr,
                        tsc_status st, const char *error);

#endif
