/* SPDX-License-Identifier: BSD-3-Clause */
/* viewer_pool: the bounded worker pools every background job runs on.
 *
 * Jobs are GTasks whose thread function runs on one of three small
 * GThreadPools instead of GLib's shared pool, so that the viewer never uses
 * more threads than the machine can spare:
 *   - INDEX (1 thread): opening studies;
 *   - DECODE (1 thread): slice decoding and thumbnails, never queued behind
 *     an analysis so that scrolling stays fluid;
 *   - ANALYSIS (2 threads): model loading, slice and series analyses and
 *     exports (a series analysis has its own `threads` workers inside the
 *     plugin);
 *   - NETWORK (2 threads): PACS echo, search, retrieve and send, which wait
 *     on the network and must not queue behind an analysis.
 * Every job runs on these pools, never on GLib's shared one, so that
 * shutdown waits for all of them: a job still inside DCMTK or OpenSSL when
 * the process exits would run on libraries whose globals are being torn
 * down.
 * The task's callback runs on the main thread (GTask's rule).  The pools
 * count the tasks whose callback has not run yet, which is what "idle" means
 * for the scripting actions. */
#ifndef TSC_VIEWER_POOL_H
#define TSC_VIEWER_POOL_H

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
    TSC_VIEWER_POOL_INDEX,
    TSC_VIEWER_POOL_DECODE,
    TSC_VIEWER_POOL_ANALYSIS,
    TSC_VIEWER_POOL_NETWORK,
    TSC_VIEWER_N_POOLS
} TscViewerPoolKind;

/* Runs `func` for `task` on pool `kind` (takes a reference on the task). */
void tsc_viewer_pool_run(TscViewerPoolKind kind, GTask *task, GTaskThreadFunc func);
/* Tasks started on `kind` whose callback has not completed; -1: all pools. */
guint tsc_viewer_pool_n_pending(int kind);
/* Waits for the running jobs and stops the pools (at shutdown). */
void tsc_viewer_pool_shutdown(void);

/* Progress from worker threads, delivered coalesced on the main thread to
 * `fn` while `target` is alive (held through a weak reference). */
typedef struct TscViewerProgress TscViewerProgress;
typedef void (*TscViewerProgressFn)(GObject *target, gsize done, gsize total, gpointer data);
TscViewerProgress *tsc_viewer_progress_new(GObject *target, TscViewerProgressFn fn, gpointer data);
/* Any thread. */
void tsc_viewer_progress_report(TscViewerProgress *p, gsize done, gsize total);
/* The plugin's progress callback (tsc_progress_fn), with a TscViewerProgress
 * as its data. */
void tsc_viewer_progress_cb(size_t done, size_t total, void *progress);
void tsc_viewer_progress_unref(TscViewerProgress *p);

/* A tsc_cancel_fn over a GCancellable (pass the cancellable as data). */
int tsc_viewer_cancel_cb(void *cancellable);

/* Stops the job `*cancellable` stands for (cancels it; NULL: none) and lets
 * go of it (*cancellable becomes NULL): how an owner drops its running
 * work. */
void tsc_viewer_cancel_clear(GCancellable **cancellable);

G_END_DECLS
#endif
