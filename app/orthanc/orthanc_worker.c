/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The two threads of the Orthanc plugin.
 *
 * intake: takes series ids that the change callback queued (it may not call
 *   Orthanc itself), filters them (modality, body part, a state already
 *   set), marks them "queued" and hands them on; at start it re-queues the
 *   series a stopped Orthanc left "queued" or "running".
 * worker: one series at a time — exports its instances into a private
 *   temporary folder, opens them with the plugin ABI, applies the scope gate,
 *   analyses, writes SEG/SR/SC/PDF, stores them in Orthanc as new series of the
 *   same study, and records state, model and verdict on the source series.
 *
 * The final state is written last: a series whose analysis was interrupted
 * stays "running" and is analysed again after a restart.
 *
 * Several nodes on one index: a node queues a series only once it holds its
 * claim (orthanc_claim.c), renews the claim while it analyses, and releases
 * it when the final state is written.  The sweeps take over series whose
 * claim went stale (a killed or hung node) and delete the partial result
 * series that node may have stored, so that each source ends with one set. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "orthanc_private.h"

/* ---- the queues (all under tsc__g.lock) ---- */

static void push(tsc__orthanc_item **head, tsc__orthanc_item **tail, const char *id, int explicit_request)
{
    tsc__orthanc_item *it = calloc(1, sizeof *it);
    if (!it) return;
    snprintf(it->id, sizeof it->id, "%s", id);
    it->explicit_request = explicit_request;
    if (*tail) (*tail)->next = it;
    else *head = it;
    *tail = it;
}

static tsc__orthanc_item *pop(tsc__orthanc_item **head, tsc__orthanc_item **tail)
{
    tsc__orthanc_item *it = *head;
    if (it) {
        *head = it->next;
        if (!*head) *tail = NULL;
        it->next = NULL;
    }
    return it;
}

static int listed(const tsc__orthanc_item *list, const char *id)
{
    for (const tsc__orthanc_item *it = list; it; it = it->next)
        if (!strcmp(it->id, id)) return 1;
    return 0;
}

static int queued_or_running(const char *id)
{
    return !strcmp(tsc__g.running_id, id) || listed(tsc__g.queue, id);
}

/* How many claimed series may wait here besides the running one.  One keeps
 * the worker fed without a gap; more would hold series an idle node could
 * analyse now (a claim is only given up when its lease runs out). */
#define CLAIM_AHEAD 1

static int backlog_full(void)
{
    pthread_mutex_lock(&tsc__g.lock);
    int full = tsc__g.n_queue >= CLAIM_AHEAD;
    pthread_mutex_unlock(&tsc__g.lock);
    return full;
}

/* Remembers a series to claim once the worker has room. */
static void defer(const char *id)
{
    pthread_mutex_lock(&tsc__g.lock);
    if (!listed(tsc__g.pending, id) && !queued_or_running(id)) {
        push(&tsc__g.pending, &tsc__g.pending_tail, id, 0);
        tsc__g.n_pending++;
    }
    pthread_mutex_unlock(&tsc__g.lock);
}

/* Hands a series to the analysis worker unless it is there already. */
static void enqueue(const char *id, int explicit_request)
{
    pthread_mutex_lock(&tsc__g.lock);
    if (!queued_or_running(id)) {
        push(&tsc__g.queue, &tsc__g.queue_tail, id, explicit_request);
        tsc__g.n_queue++;
        pthread_cond_broadcast(&tsc__g.wake);
    }
    pthread_mutex_unlock(&tsc__g.lock);
}

void tsc__worker_event(const char *series_id)
{
    /* Change callback: copy the id and return, nothing else. */
    pthread_mutex_lock(&tsc__g.lock);
    if (!tsc__g.stopping) {
        push(&tsc__g.events, &tsc__g.events_tail, series_id, 0);
        pthread_cond_broadcast(&tsc__g.wake);
    }
    pthread_mutex_unlock(&tsc__g.lock);
}

void tsc__worker_startup_sweep(void)
{
    pthread_mutex_lock(&tsc__g.lock);
    tsc__g.startup_sweep = 1;
    pthread_cond_broadcast(&tsc__g.wake);
    pthread_mutex_unlock(&tsc__g.lock);
}

static int is_state(const char *s, const char *want) { return s && !strcmp(s, want); }

/* ---- intake ---- */

static const char *tag(const cJSON *series, const char *name)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(series, "MainDicomTags");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static time_t parse_last_update(const char *s);

/* Queues a series whose claim this node has just won. */
static void queue_claimed(const char *id)
{
    if (tsc__meta_set(id, TSC_META_STATE, TSC_STATE_QUEUED) != 0) {
        tsc__claim_release(id);
        return;
    }
    tsc__log(TSC_LOG_INFO, "series %s queued", id);
    enqueue(id, 0);
}

/* min_age: how long ago, at least, the last instance of the series may have
 * arrived on any node (LastUpdate), in seconds. */
static void intake(const char *id, int min_age)
{
    char *state = tsc__meta_get(id, TSC_META_STATE);
    if (state) {
        /* Seen before (ours, another node's or a previous run's): never
         * analysed twice; stale claims are the sweeps' business. */
        free(state);
        return;
    }
    char uri[128];
    snprintf(uri, sizeof uri, "/series/%s", id);
    cJSON *s = tsc__rest_get_json(uri, NULL);
    if (!s) return; /* deleted meanwhile */
    const tsc__orthanc_config *c = &tsc__g.cfg;
    int take = 1;
    if (c->modality[0] && strcasecmp(tag(s, "Modality"), c->modality)) take = 0;
    if (take && c->body_part && c->body_part[0] && tag(s, "BodyPartExamined")[0] &&
        strcasecmp(tag(s, "BodyPartExamined"), c->body_part))
        take = 0;
    /* A series split across nodes turns stable on each node for its own
     * share: wait until no node has added an instance for StableAge
     * (LastUpdate is shared, to the second); the sweep comes back for it. */
    const cJSON *lu = cJSON_GetObjectItemCaseSensitive(s, "LastUpdate");
    time_t t = parse_last_update(cJSON_IsString(lu) ? lu->valuestring : NULL);
    if (take && t != (time_t)-1 && difftime(time(NULL), t) + 1 < min_age) {
        tsc__log(TSC_LOG_INFO,
                 "series %s: still receiving instances (on another node); left to the sweep", id);
        take = 0;
    }
    cJSON_Delete(s);
    if (!take) return;
    if (backlog_full()) {
        defer(id); /* claimed when the worker has room, if no other node was quicker */
        return;
    }
    if (tsc__claim_take(id, NULL, 0) != TSC_CLAIM_WON) return; /* another node has it */
    queue_claimed(id);
}

/* A series left "queued" or "running": ours again if it is not here and its
 * claim is free, this node's own from a previous run, or stale.  1 if queued. */
static int take_unfinished(const char *id, const char *state)
{
    pthread_mutex_lock(&tsc__g.lock);
    int here = queued_or_running(id);
    pthread_mutex_unlock(&tsc__g.lock);
    if (here) return 0;
    char from[128];
    long age;
    /* Our own claims (a previous run of this node) at once; others only
     * when the worker has room, as in intake(). */
    if (backlog_full() &&
        !(tsc__claim_describe(id, from, sizeof from, &age) && !strcmp(from, tsc__g.cfg.node_id)))
        return 0;
    if (tsc__claim_take(id, from, sizeof from) != TSC_CLAIM_WON) return 0;
    if (from[0])
        tsc__log(TSC_LOG_WARNING, "series %s was left %s by node %s; analysed here", id, state,
                 from);
    else
        tsc__log(TSC_LOG_WARNING, "series %s was left %s by a previous run; queued again", id,
                 state);
    enqueue(id, 0);
    return 1;
}

/* Several nodes need CheckRevisions, or the claim is a blind overwrite. */
static void check_cluster_setup(void)
{
    cJSON *sys = tsc__rest_get_json("/system", NULL);
    const cJSON *cr = cJSON_GetObjectItemCaseSensitive(sys, "CheckRevisions");
    const cJSON *db = cJSON_GetObjectItemCaseSensitive(sys, "DatabaseBackendPlugin");
    if (cJSON_IsString(db) && !cJSON_IsTrue(cr))
        tsc__log(TSC_LOG_ERROR,
                 "the index is a database plugin (%s) but \"CheckRevisions\" is not true: "
                 "if several nodes share this index they may analyse a series twice; set "
                 "\"CheckRevisions\": true on every node (docs/PACS.md)",
                 db->valuestring);
    cJSON_Delete(sys);
}

/* Series that a stopped Orthanc left queued or running are analysed again
 * (those another node holds a live claim on stay with it). */
static void sweep(void)
{
    check_cluster_setup();
    cJSON *all = tsc__rest_get_json("/series", NULL);
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, all)
    {
        if (!cJSON_IsString(it)) continue;
        char *state = tsc__meta_get(it->valuestring, TSC_META_STATE);
        if (is_state(state, TSC_STATE_QUEUED) || is_state(state, TSC_STATE_RUNNING))
            n += (size_t)take_unfinished(it->valuestring, state);
        free(state);
    }
    cJSON_Delete(all);
    if (n) tsc__log(TSC_LOG_WARNING, "%zu unfinished series queued again", n);
}

/* Orthanc's LastUpdate ("20261203T224512", UTC) as seconds since the epoch; -1 if unreadable. */
static time_t parse_last_update(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || sscanf(s, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec) != 6)
        return (time_t)-1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

/* The periodic sweep: series whose stable event never came (the node that
 * received them stopped before StableAge ran out, or another node received
 * them), and series another node left unfinished with a stale claim.  A
 * series without our state whose LastUpdate is at least SweepMinAge old
 * goes through intake() like a stable event: same filters, same claim, so
 * it is never analysed twice.  Runs on the intake thread,
 * never on Orthanc's change thread, and holds none of our locks while it
 * calls Orthanc. */
static void periodic_sweep(void)
{
    cJSON *all = tsc__rest_get_json("/series", NULL);
    time_t now = time(NULL);
    size_t n = 0, n_taken = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, all)
    {
        if (__atomic_load_n(&tsc__g.stopping, __ATOMIC_RELAXED)) break;
        if (!cJSON_IsString(it)) continue;
        const char *id = it->valuestring;
        char *state = tsc__meta_get(id, TSC_META_STATE);
        if (is_state(state, TSC_STATE_QUEUED) || is_state(state, TSC_STATE_RUNNING))
            n_taken += (size_t)take_unfinished(id, state);
        if (state) { /* claimed, finished or ours: not for intake */
            free(state);
            continue;
        }
        char uri[128];
        snprintf(uri, sizeof uri, "/series/%s", id);
        cJSON *s = tsc__rest_get_json(uri, NULL);
        const cJSON *lu = cJSON_GetObjectItemCaseSensitive(s, "LastUpdate");
        time_t t = parse_last_update(cJSON_IsString(lu) ? lu->valuestring : NULL);
        cJSON_Delete(s);
        if (t == (time_t)-1 || difftime(now, t) < tsc__g.cfg.sweep_min_age) continue; /* still arriving */
        pthread_mutex_lock(&tsc__g.lock);
        int here = queued_or_running(id);
        pthread_mutex_unlock(&tsc__g.lock);
        if (here) continue;
        char *again = tsc__meta_get(id, TSC_META_STATE);
        free(again);
        if (again) continue;
        intake(id, 0); /* LastUpdate checked above; filters, claims and queues */
        char *after = tsc__meta_get(id, TSC_META_STATE);
        if (after) n++;
        free(after);
    }
    cJSON_Delete(all);
    if (n) tsc__log(TSC_LOG_WARNING, "periodic sweep: %zu series without a stable event queued", n);
    if (n_taken)
        tsc__log(TSC_LOG_WARNING, "periodic sweep: %zu unfinished series taken over", n_taken);
}

static void *intake_main(void *arg)
{
    (void)arg;
    struct timespec next;
    clock_gettime(CLOCK_REALTIME, &next);
    next.tv_sec += tsc__g.cfg.sweep_seconds;
    pthread_mutex_lock(&tsc__g.lock);
    while (!tsc__g.stopping) {
        if (tsc__g.startup_sweep) {
            tsc__g.startup_sweep = 0;
            pthread_mutex_unlock(&tsc__g.lock);
            sweep();
            pthread_mutex_lock(&tsc__g.lock);
            continue;
        }
        if (tsc__g.cfg.sweep_seconds > 0) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            if (now.tv_sec >= next.tv_sec) {
                next.tv_sec = now.tv_sec + tsc__g.cfg.sweep_seconds;
                next.tv_nsec = now.tv_nsec;
                pthread_mutex_unlock(&tsc__g.lock);
                if (tsc__g.model && tsc__g.cfg.auto_analyze) periodic_sweep();
                pthread_mutex_lock(&tsc__g.lock);
                continue;
            }
        }
        tsc__orthanc_item *ev = pop(&tsc__g.events, &tsc__g.events_tail);
        if (ev) {
            pthread_mutex_unlock(&tsc__g.lock);
            if (tsc__g.model && tsc__g.cfg.auto_analyze) intake(ev->id, tsc__g.cfg.stable_age);
            free(ev);
            pthread_mutex_lock(&tsc__g.lock);
            continue;
        }
        if (tsc__g.pending && tsc__g.n_queue < CLAIM_AHEAD) {
            /* The worker has room: claim the oldest deferred series (intake
             * drops it if it was claimed elsewhere meanwhile). */
            tsc__orthanc_item *p = pop(&tsc__g.pending, &tsc__g.pending_tail);
            tsc__g.n_pending--;
            pthread_mutex_unlock(&tsc__g.lock);
            intake(p->id, 0);
            free(p);
            pthread_mutex_lock(&tsc__g.lock);
            continue;
        }
        if (tsc__g.cfg.sweep_seconds > 0) pthread_cond_timedwait(&tsc__g.wake, &tsc__g.lock, &next);
        else pthread_cond_wait(&tsc__g.wake, &tsc__g.lock);
    }
    pthread_mutex_unlock(&tsc__g.lock);
    return NULL;
}

/* ---- REST request ---- */

const char *tsc__worker_request(const char *id, int *queued)
{
    *queued = 0;
    char uri[128];
    snprintf(uri, sizeof uri, "/series/%s", id);
    cJSON *s = tsc__rest_get_json(uri, NULL);
    if (!s) return NULL;
    cJSON_Delete(s);
    char *state = tsc__meta_get(id, TSC_META_STATE);
    const char *now = TSC_STATE_QUEUED;
    if (is_state(state, TSC_STATE_DONE)) now = TSC_STATE_DONE;
    else if (is_state(state, TSC_STATE_OUTPUT)) now = TSC_STATE_OUTPUT;
    else if (is_state(state, TSC_STATE_NOT_ANALYSED)) now = TSC_STATE_NOT_ANALYSED;
    else if (is_state(state, TSC_STATE_RUNNING)) now = TSC_STATE_RUNNING;
    else if (is_state(state, TSC_STATE_QUEUED)) {
        /* Queued by a run that stopped, or waiting here: make sure it waits here. */
        enqueue(id, 1);
    } else if (tsc__claim_take(id, NULL, 0) != TSC_CLAIM_WON) {
        now = TSC_STATE_QUEUED; /* another node claimed it a moment ago */
    } else if (tsc__meta_set(id, TSC_META_STATE, TSC_STATE_QUEUED) == 0) {
        /* New, or failed before: (re)try. */
        enqueue(id, 1);
        *queued = 1;
    } else {
        tsc__claim_release(id);
        now = state && *state ? TSC_STATE_FAILED : NULL;
    }
    free(state);
    return now;
}

void tsc__worker_cancel(const char *id)
{
    pthread_mutex_lock(&tsc__g.lock);
    if (!strcmp(tsc__g.running_id, id)) __atomic_store_n(&tsc__g.cancel_running, 1, __ATOMIC_RELAXED);
    for (tsc__orthanc_item *it = tsc__g.queue; it; it = it->next)
        if (!strcmp(it->id, id)) it->cancelled = 1;
    pthread_mutex_unlock(&tsc__g.lock);
}

/* ---- the analysis ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void rm_rf(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Set when another node took the running series' claim over: we stop and
 * leave the series and its outputs to that node. */
static int claim_lost;
static time_t claim_renewed;
static pthread_mutex_t renew_lock = PTHREAD_MUTEX_INITIALIZER;

static int cancel_cb(void *user)
{
    (void)user;
    return __atomic_load_n(&tsc__g.cancel_running, __ATOMIC_RELAXED) ||
           __atomic_load_n(&tsc__g.stopping, __ATOMIC_RELAXED) ||
           __atomic_load_n(&claim_lost, __ATOMIC_RELAXED);
}

/* Renews the running series' claim every quarter lease (always when
 * `force`), from whichever analysis thread gets here first (never from
 * Orthanc's change thread). */
static void renew_claim(const char *id, int force)
{
    if (force) pthread_mutex_lock(&renew_lock);
    else if (pthread_mutex_trylock(&renew_lock) != 0) return;
    time_t now = time(NULL);
    if (force || difftime(now, claim_renewed) * 4 >= tsc__g.cfg.lease_seconds) {
        tsc__claim_result r = tsc__claim_renew(id);
        if (r == TSC_CLAIM_HELD) {
            __atomic_store_n(&claim_lost, 1, __ATOMIC_RELAXED);
            tsc__log(TSC_LOG_WARNING,
                     "series %s: another node took the claim over (this node did not "
                     "renew it within LeaseSeconds %d); analysis stopped here",
                     id, tsc__g.cfg.lease_seconds);
        } else if (r == TSC_CLAIM_WON) {
            claim_renewed = now;
        }
    }
    pthread_mutex_unlock(&renew_lock);
}

static void progress_cb(size_t done, size_t total, void *user)
{
    pthread_mutex_lock(&tsc__g.lock);
    tsc__g.progress_done = done;
    tsc__g.progress_total = total;
    pthread_mutex_unlock(&tsc__g.lock);
    renew_claim((const char *)user, 0);
}

/* Deletes the result series an interrupted analysis of `id` stored (by this
 * node before a restart, or by a node that died): the analysis starts over
 * with new UIDs, and the source must end with one set of results. */
static void delete_partial_outputs(const char *id)
{
    char uri[256];
    snprintf(uri, sizeof uri, "/series/%s", id);
    cJSON *s = tsc__rest_get_json(uri, NULL);
    const cJSON *study = cJSON_GetObjectItemCaseSensitive(s, "ParentStudy");
    if (cJSON_IsString(study)) snprintf(uri, sizeof uri, "/studies/%s/series", study->valuestring);
    cJSON_Delete(s);
    if (!cJSON_IsString(study)) return;
    cJSON *all = tsc__rest_get_json(uri, NULL);
    const cJSON *it;
    size_t n = 0;
    cJSON_ArrayForEach(it, all)
    {
        const cJSON *sid = cJSON_GetObjectItemCaseSensitive(it, "ID");
        if (!cJSON_IsString(sid) || !strcmp(sid->valuestring, id)) continue;
        char *src = tsc__meta_get(sid->valuestring, TSC_META_SOURCE);
        if (src && !strcmp(src, id)) {
            snprintf(uri, sizeof uri, "/series/%s", sid->valuestring);
            if (OrthancPluginRestApiDelete(tsc__g.ctx, uri) == OrthancPluginErrorCode_Success) n++;
            else
                tsc__log(TSC_LOG_WARNING, "series %s: cannot delete partial result series %s", id,
                         sid->valuestring);
        }
        free(src);
    }
    cJSON_Delete(all);
    if (n)
        tsc__log(TSC_LOG_WARNING, "series %s: deleted %zu result series of an interrupted analysis",
                 id, n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Exports every instance of the series into dir; 0 or an error message. */
static int export_series(const char *id, const char *dir, char *why, size_t whylen)
{
    char uri[256];
    snprintf(uri, sizeof uri, "/series/%s/instances", id);
    OrthancPluginErrorCode code;
    cJSON *list = tsc__rest_get_json(uri, &code);
    if (!list) {
        snprintf(why, whylen, "the series cannot be listed (Orthanc error %d%s)", (int)code,
                 code == OrthancPluginErrorCode_UnknownResource ? ": deleted while queued" : "");
        return -1;
    }
    size_t k = 0;
    const cJSON *it;
    int rc = 0;
    cJSON_ArrayForEach(it, list)
    {
        const cJSON *iid = cJSON_GetObjectItemCaseSensitive(it, "ID");
        if (!cJSON_IsString(iid)) continue;
        snprintf(uri, sizeof uri, "/instances/%s/file", iid->valuestring);
        OrthancPluginMemoryBuffer buf = {0};
        OrthancPluginErrorCode e = OrthancPluginRestApiGet(tsc__g.ctx, &buf, uri);
        if (e != OrthancPluginErrorCode_Success) {
            snprintf(why, whylen, "instance %s cannot be read (Orthanc error %d)", iid->valuestring, (int)e);
            rc = -1;
            break;
        }
        char path[4400];
        snprintf(path, sizeof path, "%s/IM%05zu.dcm", dir, ++k);
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(buf.data, 1, buf.size, f) == buf.size;
        if (f && fclose(f) != 0) ok = 0;
        OrthancPluginFreeMemoryBuffer(tsc__g.ctx, &buf);
        if (!ok) {
            snprintf(why, whylen, "cannot write the exported instance into %.512s: %s", dir, strerror(errno));
            rc = -1;
            break;
        }
    }
    cJSON_Delete(list);
    if (!rc && !k) {
        snprintf(why, whylen, "the series has no instances");
        rc = -1;
    }
    return rc;
}

/* POSTs one DICOM file to /instances; adds its series id to `series` (a
 * JSON array of unique ids) and marks a new one as the result of `source`.
 * 0 on success. */
static int store_file(const char *source, const char *path, cJSON *series, char *why, size_t whylen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "cannot read our output %.512s: %s", path, strerror(errno));
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *data = n > 0 ? malloc((size_t)n) : NULL;
    int ok = data && fread(data, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    if (!ok) {
        free(data);
        snprintf(why, whylen, "cannot read our output %.512s", path);
        return -1;
    }
    OrthancPluginMemoryBuffer buf = {0};
    OrthancPluginErrorCode e = OrthancPluginRestApiPost(tsc__g.ctx, &buf, "/instances", data, (uint32_t)n);
    free(data);
    if (e != OrthancPluginErrorCode_Success) {
        const char *base = strrchr(path, '/');
        snprintf(why, whylen, "Orthanc refused our output %s (error %d)", base ? base + 1 : path, (int)e);
        return -1;
    }
    cJSON *ans = cJSON_ParseWithLength(buf.data, buf.size);
    OrthancPluginFreeMemoryBuffer(tsc__g.ctx, &buf);
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(ans, "ParentSeries");
    if (cJSON_IsString(ps)) {
        int seen = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, series) if (!strcmp(it->valuestring, ps->valuestring)) seen = 1;
        if (!seen) {
            cJSON_AddItemToArray(series, cJSON_CreateString(ps->valuestring));
            /* Marked at once, so that no sweep takes our result series for a
             * source (marked again at the end of the analysis). */
            tsc__meta_set(ps->valuestring, TSC_META_STATE, TSC_STATE_OUTPUT);
            tsc__meta_set(ps->valuestring, TSC_META_SOURCE, source);
        }
    }
    cJSON_Delete(ans);
    return 0;
}

/* Stores the chosen outputs of one analysed series; 0 or a message. */
static int store_outputs(const char *source, const tsc_dicom_outputs *w, cJSON *stored, char *why,
                         size_t whylen)
{
    unsigned o = tsc__g.cfg.outputs;
    if ((o & TSC_OUT_SEG) && w->seg_path[0] && store_file(source, w->seg_path, stored, why, whylen))
        return -1;
    if ((o & TSC_OUT_SR) && w->sr_path[0] && store_file(source, w->sr_path, stored, why, whylen))
        return -1;
    if ((o & TSC_OUT_SC) && w->sc_dir[0]) {
        DIR *d = opendir(w->sc_dir);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char **nn = realloc(names, (n + 1) * sizeof *names);
            if (!nn) break;
            names = nn;
            names[n++] = strdup(e->d_name);
        }
        if (d) closedir(d);
        /* Stored in file-name order, so the SC series arrives in slice order. */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t;
            }
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", w->sc_dir, names[i]);
            if (!rc && names[i] && store_file(source, path, stored, why, whylen)) rc = -1;
            free(names[i]);
        }
        free(names);
        if (rc) return -1;
    }
    return 0;
}

static void analyse(const tsc__orthanc_item *item)
{
    const char *id = item->id;
    const tsc_plugin_api *api = tsc__g.api;
    char *state = tsc__meta_get(id, TSC_META_STATE);
    int skip = is_state(state, TSC_STATE_DONE) || is_state(state, TSC_STATE_NOT_ANALYSED) ||
               (is_state(state, TSC_STATE_FAILED) && !item->explicit_request);
    int partial = is_state(state, TSC_STATE_RUNNING) || is_state(state, TSC_STATE_FAILED);
    free(state);
    if (skip) return; /* finished meanwhile: never analysed twice */
    /* Still ours?  A claim left waiting here past LeaseSeconds may have gone
     * to an idle node, which is then the one to analyse it. */
    if (tsc__claim_renew(id) != TSC_CLAIM_WON) {
        tsc__log(TSC_LOG_INFO, "series %s: claimed by another node meanwhile; left to it", id);
        return;
    }
    claim_renewed = time(NULL);
    __atomic_store_n(&claim_lost, 0, __ATOMIC_RELAXED);
    if (item->cancelled) {
        tsc__meta_set(id, TSC_META_REASON, "analysis cancelled on request");
        tsc__meta_set(id, TSC_META_STATE, TSC_STATE_FAILED);
        tsc__claim_release(id);
        return;
    }
    if (partial) delete_partial_outputs(id);
    if (tsc__meta_set(id, TSC_META_STATE, TSC_STATE_RUNNING) != 0) return;
    tsc__log(TSC_LOG_INFO, "series %s: analysis started", id);
    double t0 = now_s();

    char why[1024] = "";
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/tumorscope-orthanc-XXXXXX", tsc__g.cfg.temp_dir);
    char *tmp = mkdtemp(tmpl);
    char in_dir[4200], out_dir[4200];
    tsc_dicom_index *ix = NULL;
    cJSON *root = tsc__json_root(api, tsc__g.model);
    cJSON *stored = cJSON_CreateArray();
    size_t n_ok = 0, n_scope = 0, n_err = 0;
    char verdicts[256] = "", first_reason[512] = "";
    int cancelled = 0;

    if (!tmp) {
        snprintf(why, sizeof why, "cannot create a temporary folder in %.512s: %s", tsc__g.cfg.temp_dir,
                 strerror(errno));
        n_err++;
        goto finish;
    }
    snprintf(in_dir, sizeof in_dir, "%s/in", tmp);
    snprintf(out_dir, sizeof out_dir, "%s/out", tmp);
    if (mkdir(in_dir, 0700) || mkdir(out_dir, 0700)) {
        snprintf(why, sizeof why, "cannot create %.512s: %s", in_dir, strerror(errno));
        n_err++;
        goto finish;
    }
    if (export_series(id, in_dir, why, sizeof why)) {
        n_err++;
        goto finish;
    }
    tsc_error err;
    const char *paths[] = {in_dir};
    tsc_dicom_open_params op = api->study_default_params();
    if (api->study_open(paths, 1, &op, &ix, &err) != TSC_OK) {
        snprintf(why, sizeof why, "%s", err.message);
        n_err++;
        goto finish;
    }
    size_t ns = api->study_n_series(ix);
    if (!ns) {
        snprintf(why, sizeof why, "no image series could be read from the series' %zu instance(s)",
                 api->study_n_files(ix));
        n_err++;
        goto finish;
    }

    tsc_analysis_options ao = api->analysis_default_options();
    /* Its struct_size is the plugin's; we pass ours (docs/PLUGIN_ABI.md, known defect). */
    ao.struct_size = sizeof ao;
    ao.method = TSC_METHOD_CNN;
    ao.cancel = cancel_cb;
    ao.force_scope = !tsc__g.cfg.scope;
    tsc_report_options ro = api->report_default_options_v9();
    ro.deidentify = 0; /* results go back into the same patient's study */
    cJSON *jseries = cJSON_GetObjectItemCaseSensitive(root, "series");

    for (size_t s = 0; s < ns && !cancelled; s++) {
        tsc_scope_decision dec;
        memset(&dec, 0, sizeof dec);
        dec.struct_size = sizeof dec;
        api->series_check_scope(tsc__g.model, ix, s, &dec);
        tsc_series_result *sr = NULL;
        tsc_status st = api->analyze_study_series(tsc__g.model, ix, s, &ao, tsc__g.cfg.threads,
                                                  progress_cb, (void *)id, &sr, &err);
        cJSON_AddItemToArray(jseries, tsc__json_series(api, tsc__g.model, ix, s, sr, st, err.message));
        const char *v = NULL;
        /* A cancel that came after the last slice still stops before the outputs. */
        if (st == TSC_ECANCELLED || (st == TSC_OK && cancel_cb(NULL))) {
            cancelled = 1;
        } else if (st == TSC_ESCOPE) {
            n_scope++;
            v = "not_analysed";
            if (!first_reason[0])
                snprintf(first_reason, sizeof first_reason, "%s",
                         sr && api->series_result_get_reason(sr)[0] ? api->series_result_get_reason(sr)
                                                                    : dec.reason);
        } else if (st != TSC_OK) {
            n_err++;
            if (!why[0]) snprintf(why, sizeof why, "%s", err.message);
        } else {
            n_ok++;
            v = api->verdict_to_string(api->series_result_get_verdict(sr));
            const char *reformat = TSC_PLUGIN_HAS(api, series_result_get_reformat)
                                       ? api->series_result_get_reformat(sr) : "";
            if (reformat[0]) {
                /* Outputs over the source slices would be wrong (docs/PLUGIN_ABI.md). */
                tsc__log(TSC_LOG_WARNING, "series %s: no DICOM outputs: results are on an axial "
                                          "reformat", id);
            } else if (tsc__g.cfg.outputs & (TSC_OUT_SEG | TSC_OUT_SR | TSC_OUT_SC | TSC_OUT_PDF)) {
                char dir[4300];
                snprintf(dir, sizeof dir, "%s/series%03zu", out_dir, s);
                tsc_dicom_outputs w;
                memset(&w, 0, sizeof w);
                w.struct_size = sizeof w;
                char swhy[1024] = "";
                if (api->write_dicom_outputs(dir, tsc__g.model, ix, s, sr, &ro, &w, &err) != TSC_OK) {
                    snprintf(why, sizeof why, "DICOM outputs: %s", err.message);
                    n_err++;
                } else if (store_outputs(id, &w, stored, swhy, sizeof swhy)) {
                    snprintf(why, sizeof why, "%s", swhy);
                    n_err++;
                } else if ((tsc__g.cfg.outputs & TSC_OUT_PDF) &&
                           TSC_PLUGIN_HAS(api, write_dicom_pdf)) {
                    /* The PDF report as an Encapsulated PDF object. */
                    char pdf[4400];
                    snprintf(pdf, sizeof pdf, "%s/PDF.dcm", dir);
                    if (api->write_dicom_pdf(pdf, tsc__g.model, ix, s, sr, &ro, &err) != TSC_OK) {
                        snprintf(why, sizeof why, "Encapsulated PDF: %s", err.message);
                        n_err++;
                    } else if (store_file(id, pdf, stored, swhy, sizeof swhy)) {
                        snprintf(why, sizeof why, "%s", swhy);
                        n_err++;
                    }
                }
            }
        }
        if (v) {
            size_t L = strlen(verdicts);
            snprintf(verdicts + L, sizeof verdicts - L, "%s%s", L ? ";" : "", v);
        }
        if (sr) api->series_result_free(sr);
    }

finish:;
    /* The outputs took time too: is the series still ours to finish? */
    if (!cancelled) renew_claim(id, 1);
    if (__atomic_load_n(&claim_lost, __ATOMIC_RELAXED)) {
        /* Its new holder deletes what we stored and starts over. */
        tsc__log(TSC_LOG_WARNING, "series %s: left to the node that took it over", id);
    } else if (cancelled || __atomic_load_n(&tsc__g.stopping, __ATOMIC_RELAXED)) {
        if (__atomic_load_n(&tsc__g.stopping, __ATOMIC_RELAXED)) {
            /* Left "running": analysed again at the next start. */
            tsc__log(TSC_LOG_WARNING, "series %s: analysis interrupted by the stop; it is analysed "
                                      "again at the next start", id);
        } else {
            tsc__log(TSC_LOG_WARNING, "series %s: analysis cancelled on request", id);
            tsc__meta_set(id, TSC_META_REASON, "analysis cancelled on request");
            tsc__meta_set(id, TSC_META_STATE, TSC_STATE_FAILED);
            tsc__claim_release(id);
        }
    } else {
        const char *final = n_err ? TSC_STATE_FAILED : n_ok ? TSC_STATE_DONE : TSC_STATE_NOT_ANALYSED;
        const char *reason = n_err ? why : n_ok ? "" : first_reason;
        char model[256];
        snprintf(model, sizeof model, "%s %s", api->model_get_name(tsc__g.model),
                 api->model_get_version(tsc__g.model));
        if (n_err) cJSON_AddStringToObject(root, "error", why);
        /* Our result series are marked before their own stable event comes,
         * so that no filter setting has them analysed. */
        const cJSON *o;
        cJSON_ArrayForEach(o, stored) tsc__meta_set(o->valuestring, TSC_META_STATE, TSC_STATE_OUTPUT);
        char *json = cJSON_PrintUnformatted(root);
        char *outs = cJSON_PrintUnformatted(stored);
        char uri[256], data_uri[300];
        snprintf(uri, sizeof uri, "/series/%s/attachments/%s", id, tsc__g.cfg.result_key);
        snprintf(data_uri, sizeof data_uri, "%s/data", uri);
        if (json && tsc__rest_put(uri, data_uri, json, strlen(json)))
            tsc__log(TSC_LOG_WARNING, "series %s: cannot store the result JSON as attachment %s", id,
                     tsc__g.cfg.result_key);
        tsc__meta_set(id, TSC_META_MODEL, model);
        tsc__meta_set(id, TSC_META_SHA256, api->model_get_sha256(tsc__g.model));
        tsc__meta_set(id, TSC_META_VERDICT, verdicts);
        tsc__meta_set(id, TSC_META_REASON, reason);
        tsc__meta_set(id, TSC_META_OUTPUTS, outs ? outs : "[]");
        tsc__meta_set(id, TSC_META_STATE, final); /* last: see the top of this file */
        tsc__claim_release(id);
        free(json);
        free(outs);
        double dt = now_s() - t0;
        pthread_mutex_lock(&tsc__g.lock);
        if (n_err) tsc__g.n_failed++;
        else if (n_ok) tsc__g.n_done++;
        else tsc__g.n_not_analysed++;
        tsc__g.busy_seconds += dt;
        pthread_mutex_unlock(&tsc__g.lock);
        if (n_err) tsc__log(TSC_LOG_ERROR, "series %s: failed: %s", id, why);
        else if (n_ok) tsc__log(TSC_LOG_WARNING, "series %s: %s in %.1f s, %d output series stored", id,
                                verdicts, dt, cJSON_GetArraySize(stored));
        else tsc__log(TSC_LOG_WARNING, "series %s: not analysed: %s", id, reason);
    }
    cJSON_Delete(root);
    cJSON_Delete(stored);
    if (ix) api->study_free(ix);
    if (tmp) rm_rf(tmp);
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&tsc__g.lock);
    while (!tsc__g.stopping) {
        tsc__orthanc_item *it = pop(&tsc__g.queue, &tsc__g.queue_tail);
        if (it) {
            tsc__g.n_queue--;
            pthread_cond_broadcast(&tsc__g.wake); /* room: intake may claim the next series */
            snprintf(tsc__g.running_id, sizeof tsc__g.running_id, "%s", it->id);
            tsc__g.progress_done = tsc__g.progress_total = 0;
            tsc__g.cancel_running = 0;
            pthread_mutex_unlock(&tsc__g.lock);
            if (tsc__g.model) analyse(it);
            free(it);
            pthread_mutex_lock(&tsc__g.lock);
            tsc__g.running_id[0] = 0;
            continue;
        }
        pthread_cond_wait(&tsc__g.wake, &tsc__g.lock);
    }
    pthread_mutex_unlock(&tsc__g.lock);
    return NULL;
}

int tsc__worker_start(void)
{
    pthread_mutex_lock(&tsc__g.lock);
    int started = tsc__g.started;
    tsc__g.started = 1;
    pthread_mutex_unlock(&tsc__g.lock);
    if (started) return 0;
    if (pthread_create(&tsc__g.intake_thread, NULL, intake_main, NULL)) return -1;
    if (pthread_create(&tsc__g.worker_thread, NULL, worker_main, NULL)) return -1;
    return 0;
}

void tsc__worker_stop(void)
{
    pthread_mutex_lock(&tsc__g.lock);
    int started = tsc__g.started;
    tsc__g.started = 0;
    __atomic_store_n(&tsc__g.stopping, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&tsc__g.wake);
    pthread_mutex_unlock(&tsc__g.lock);
    if (!started) return;
    pthread_join(tsc__g.intake_thread, NULL);
    pthread_join(tsc__g.worker_thread, NULL);
    pthread_mutex_lock(&tsc__g.lock);
    tsc__orthanc_item *it;
    while ((it = pop(&tsc__g.events, &tsc__g.events_tail))) free(it);
    while ((it = pop(&tsc__g.pending, &tsc__g.pending_tail))) free(it);
    tsc__g.n_pending = 0;
    while ((it = pop(&tsc__g.queue, &tsc__g.queue_tail))) free(it);
    tsc__g.n_queue = 0;
    pthread_mutex_unlock(&tsc__g.lock);
}
