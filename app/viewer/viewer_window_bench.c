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

/* ---- scroll benchmark -------------------------------------------------- */

/* CPU time of the calling thread, µs: tells our own work from waiting for
 * a CPU that other processes hold. */
static gint64 thread_cpu_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench_finish(TscViewerWindow *self)
{
    Bench *b = &self->bench;
    GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(self));
    if (clock && b->paint_handler) g_signal_handler_disconnect(clock, b->paint_handler);
    b->paint_handler = 0;
    b->running = FALSE;
    GArray *l = b->latency_ms;
    double worst = 0, sum = 0;
    for (guint i = 0; i < l->len; i++) {
        double v = g_array_index(l, double, i);
        worst = MAX(worst, v);
        sum += v;
    }
    double cpu_worst = 0, cpu_sum = 0;
    for (guint i = 0; i < b->cpu_ms->len; i++) {
        cpu_worst = MAX(cpu_worst, g_array_index(b->cpu_ms, double, i));
        cpu_sum += g_array_index(b->cpu_ms, double, i);
    }
    double load[3] = {0};
    if (getloadavg(load, 3) < 1) load[0] = -1;
    g_autoptr(GString) all = g_string_new(NULL);
    for (guint i = 0; i < l->len; i++)
        g_string_append_printf(all, "%s%.1f", i ? ", " : "", g_array_index(l, double, i));
    g_autoptr(GString) all_cpu = g_string_new(NULL);
    for (guint i = 0; i < b->cpu_ms->len; i++)
        g_string_append_printf(all_cpu, "%s%.1f", i ? ", " : "", g_array_index(b->cpu_ms, double, i));
    GArray *sorted = g_array_copy(l);
    g_array_sort(sorted, cmp_double);
    double p50 = sorted->len ? g_array_index(sorted, double, sorted->len / 2) : 0;
    double p95 = sorted->len ? g_array_index(sorted, double, MIN(sorted->len - 1, sorted->len * 95 / 100)) : 0;
    g_autofree char *json = g_strdup_printf(
        "{\n  \"steps\": %u,\n  \"steps_during_analysis\": %u,\n  \"steps_after_analysis\": %u,\n"
        "  \"analysis_threads\": %d,\n"
        "  \"method\": \"%s\",\n  \"worst_ms\": %.2f,\n  \"p95_ms\": %.2f,\n  \"median_ms\": "
        "%.2f,\n"
        "  \"mean_ms\": %.2f,\n  \"main_thread_cpu_worst_ms\": %.2f,\n  "
        "\"main_thread_cpu_mean_ms\": %.2f,\n"
        "  \"load_average\": %.2f,\n  \"cache_misses\": %u,\n  \"decode_cache_slices\": %d,\n"
        "  \"step_ms\": [%s],\n  \"step_cpu_ms\": [%s]\n}\n",
        l->len, b->steps_during_analysis, b->steps_after_analysis,
        tsc_viewer_prefs_get_threads(self->prefs), method_name(current_method(self)), worst, p95,
        p50, l->len ? sum / l->len : 0, cpu_worst, b->cpu_ms->len ? cpu_sum / b->cpu_ms->len : 0,
        load[0], b->misses, TSC_VIEWER_CACHE_MAX_SLICES, all->str, all_cpu->str);
    g_autofree char *tmp = g_strdup_printf("%s.tmp-%d", b->path, getpid());
    if (g_file_set_contents(tmp, json, -1, NULL)) _tsc_viewer_window_commit_file(tmp, b->path);
    g_message("scroll benchmark: %u steps (%u during analysis), worst %.1f ms, p95 %.1f ms, median %.1f ms; "
              "main-thread CPU per step: worst %.1f ms; load average %.1f",
              l->len, b->steps_during_analysis, worst, p95, p50, cpu_worst, load[0]);
    g_array_unref(sorted);
    g_array_unref(b->latency_ms);
    b->latency_ms = NULL;
    g_array_unref(b->cpu_ms);
    b->cpu_ms = NULL;
    g_clear_pointer(&b->path, g_free);
}


/* Steps that must follow the end of the analysis: the frames that show the
 * finished series are the most expensive ones, so every run includes them. */
#define BENCH_STEPS_AFTER_ANALYSIS 30

static gboolean bench_step(gpointer data)
{
    TscViewerWindow *self = data;
    Bench *b = &self->bench;
    b->idle_id = 0;
    gsize n = tsc_viewer_study_n_slices(self->study, self->series);
    gboolean analysing = self->series_running >= 0;
    gboolean at_end = b->dir > 0 ? b->target + 1 >= n : b->target == 0;
    if (at_end) {
        /* One pass from the first slice to the last; then back and forth
         * until the analysis has ended and been scrolled past (bounded). */
        gboolean enough = !analysing && b->steps_after_analysis >= BENCH_STEPS_AFTER_ANALYSIS;
        if (enough || n < 2 || b->latency_ms->len >= 20 * n) {
            bench_finish(self);
            return G_SOURCE_REMOVE;
        }
        b->dir = -b->dir;
    }
    b->target = b->dir > 0 ? b->target + 1 : b->target - 1;
    if (analysing) b->steps_during_analysis++;
    else b->steps_after_analysis++;
    b->t0 = g_get_monotonic_time();
    b->cpu0 = thread_cpu_us();
    if (!tsc_viewer_study_has_image(self->study, self->series, b->target)) b->misses++;
    /* The same path as a wheel notch. */
    _tsc_viewer_window_on_view_step(self, b->dir);
    return G_SOURCE_REMOVE;
}

static void bench_after_paint(GdkFrameClock *clock, gpointer data)
{
    (void)clock;
    TscViewerWindow *self = data;
    Bench *b = &self->bench;
    if (!b->running || b->idle_id) return;
    gint64 when;
    gssize painted = tsc_slice_view_get_painted_slice(self->view, &when);
    if (painted != (gssize)b->target || when < b->t0) return;
    double ms = (g_get_monotonic_time() - b->t0) / 1000.0;
    double cpu = (thread_cpu_us() - b->cpu0) / 1000.0;
    if (b->latency_ms->len || b->target > 0) {
        g_array_append_val(b->latency_ms, ms);
        g_array_append_val(b->cpu_ms, cpu);
    }
    /* The next "event" arrives right away: the fastest a user can scroll. */
    b->idle_id = g_idle_add(bench_step, self);
}

void tsc_viewer_window_benchmark_scroll(TscViewerWindow *self, const char *path)
{
    g_return_if_fail(TSC_IS_VIEWER_WINDOW(self));
    if (!self->have_series || self->bench.running) return;
    Bench *b = &self->bench;
    GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(self));
    if (!clock) return;
    b->running = TRUE;
    b->path = g_strdup(path);
    b->latency_ms = g_array_new(FALSE, FALSE, sizeof(double));
    b->cpu_ms = g_array_new(FALSE, FALSE, sizeof(double));
    b->steps_during_analysis = b->steps_after_analysis = 0;
    b->misses = 0;
    b->dir = 1;
    tsc_viewer_window_goto_slice(self, 0);
    tsc_viewer_window_analyze_series(self);
    b->target = 0;
    b->t0 = g_get_monotonic_time();
    b->paint_handler = g_signal_connect(clock, "after-paint", G_CALLBACK(bench_after_paint), self);
    gtk_widget_queue_draw(GTK_WIDGET(self->view));
}
