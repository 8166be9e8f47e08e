/* SPDX-License-Identifier: BSD-3-Clause */
#define G_LOG_DOMAIN "tsc-viewer-pool"
#define _GNU_SOURCE /* gettid */
#include "viewer_pool.h"

#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

static GThreadPool *pools[TSC_VIEWER_N_POOLS];
static guint pending[TSC_VIEWER_N_POOLS]; /* main thread only */
static const int pool_threads[TSC_VIEWER_N_POOLS] = {1, 1, 2, 2};

typedef struct {
    GTask *task;
    GTaskThreadFunc func;
} Job;

/* Analyses run below the interface's priority: on a 2-core machine the
 * main thread, the decoder and the X server then get the CPU first, and
 * scrolling stays fluid while a series is analysed.  Threads the plugin
 * starts from this one (its series workers) inherit the niceness. */
static void lower_priority_once(void)
{
#ifdef __linux__
    static GPrivate done;
    if (g_private_get(&done)) return;
    g_private_set(&done, GINT_TO_POINTER(1));
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
        g_debug("could not lower the analysis thread's priority");
#endif
}

static void run_job(gpointer data, gpointer user_data)
{
    Job *job = data;
    if (GPOINTER_TO_INT(user_data) == TSC_VIEWER_POOL_ANALYSIS) lower_priority_once();
    job->func(job->task, g_task_get_source_object(job->task), g_task_get_task_data(job->task),
              g_task_get_cancellable(job->task));
    /* The callback is dispatched to the main context by g_task_return_*();
     * dropping our reference here is safe from any thread. */
    g_object_unref(job->task);
    g_free(job);
}

static void on_completed(GObject *task, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    guint kind = GPOINTER_TO_UINT(data);
    if (!g_task_get_completed(G_TASK(task))) return;
    g_assert(pending[kind] > 0);
    pending[kind]--;
    g_signal_handlers_disconnect_by_func(task, on_completed, data);
}

void tsc_viewer_pool_run(TscViewerPoolKind kind, GTask *task, GTaskThreadFunc func)
{
    g_return_if_fail(kind < TSC_VIEWER_N_POOLS);
    if (!pools[kind]) {
        GError *error = NULL;
        pools[kind] = g_thread_pool_new(run_job, GINT_TO_POINTER(kind), pool_threads[kind], FALSE, &error);
        g_assert_no_error(error);
    }
    pending[kind]++;
    g_signal_connect(task, "notify::completed", G_CALLBACK(on_completed), GUINT_TO_POINTER(kind));
    Job *job = g_new(Job, 1);
    job->task = g_object_ref(task);
    job->func = func;
    g_thread_pool_push(pools[kind], job, NULL);
}

guint tsc_viewer_pool_n_pending(int kind)
{
    if (kind >= 0) return pending[kind];
    guint n = 0;
    for (int i = 0; i < TSC_VIEWER_N_POOLS; i++) n += pending[i];
    return n;
}

void tsc_viewer_pool_shutdown(void)
{
    for (int i = 0; i < TSC_VIEWER_N_POOLS; i++) {
        if (pools[i]) g_thread_pool_free(pools[i], FALSE, TRUE);
        pools[i] = NULL;
    }
}

/* ---- progress relay ---------------------------------------------------- */

struct TscViewerProgress {
    gatomicrefcount rc;
    GWeakRef target;
    TscViewerProgressFn fn;
    gpointer data;
    gsize done, total; /* under lock */
    gboolean scheduled;
    GMutex lock;
};

TscViewerProgress *tsc_viewer_progress_new(GObject *target, TscViewerProgressFn fn, gpointer data)
{
    g_return_val_if_fail(G_IS_OBJECT(target), NULL);
    g_return_val_if_fail(fn != NULL, NULL);
    TscViewerProgress *p = g_new0(TscViewerProgress, 1);
    g_atomic_ref_count_init(&p->rc);
    g_weak_ref_init(&p->target, target);
    p->fn = fn;
    p->data = data;
    g_mutex_init(&p->lock);
    return p;
}

void tsc_viewer_progress_unref(TscViewerProgress *p)
{
    if (!p || !g_atomic_ref_count_dec(&p->rc)) return;
    g_weak_ref_clear(&p->target);
    g_mutex_clear(&p->lock);
    g_free(p);
}

static gboolean deliver(gpointer data)
{
    TscViewerProgress *p = data;
    g_mutex_lock(&p->lock);
    gsize done = p->done, total = p->total;
    p->scheduled = FALSE;
    g_mutex_unlock(&p->lock);
    g_autoptr(GObject) target = g_weak_ref_get(&p->target);
    if (target) p->fn(target, done, total, p->data);
    return G_SOURCE_REMOVE;
}

void tsc_viewer_progress_report(TscViewerProgress *p, gsize done, gsize total)
{
    g_return_if_fail(p != NULL);
    gboolean schedule;
    g_mutex_lock(&p->lock);
    /* Workers may report out of order; progress never goes backwards. */
    if (done >= p->done || total != p->total) {
        p->done = done;
        p->total = total;
    }
    schedule = !p->scheduled;
    p->scheduled = TRUE;
    g_mutex_unlock(&p->lock);
    if (schedule) {
        g_atomic_ref_count_inc(&p->rc);
        g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, deliver, p,
                        (GDestroyNotify)tsc_viewer_progress_unref);
    }
}

void tsc_viewer_progress_cb(size_t done, size_t total, void *progress)
{
    tsc_viewer_progress_report(progress, done, total);
}

int tsc_viewer_cancel_cb(void *cancellable)
{
    return cancellable && g_cancellable_is_cancelled(G_CANCELLABLE(cancellable));
}

void tsc_viewer_cancel_clear(GCancellable **cancellable)
{
    if (*cancellable) g_cancellable_cancel(*cancellable);
    g_clear_object(cancellable);
}
