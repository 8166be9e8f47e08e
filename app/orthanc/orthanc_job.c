/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Orthanc job behind POST /tumorscope/series/{id}/analyze.
 *
 * The analysis itself runs on our worker thread (the same path as automatic
 * analysis, so a series is analysed once whichever way it came); the job
 * follows it: every step looks at the series, reports progress, and ends
 * with Success (done) or Failure (not analysed, failed, deleted), the reason
 * in the job's content.  Cancelling the job cancels the analysis.  The job is
 * not serialised: after a restart the series' state metadata re-queues it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "orthanc_private.h"

#define JOB_TYPE "TumorscopeAnalysis"

typedef struct tsc__job {
    char id[TSC_ORTHANC_ID_SIZE];
    float progress;
    int resubmitted;  /* reset: ask for the analysis again at the next step */
    char *content;  /* JSON object, kept alive for Orthanc */
} tsc__job;

static void set_content(tsc__job *job, const char *state, const char *verdict, const char *reason,
                        size_t done, size_t total)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "Series", job->id);
    cJSON_AddStringToObject(c, "State", state);
    if (verdict && *verdict) cJSON_AddStringToObject(c, "Verdict", verdict);
    if (reason && *reason) cJSON_AddStringToObject(c, "Reason", reason);
    if (total) {
        cJSON_AddNumberToObject(c, "SlicesDone", (double)done);
        cJSON_AddNumberToObject(c, "SlicesTotal", (double)total);
    }
    char *text = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    if (text) {
        free(job->content);
        job->content = text;
    }
}

static void job_finalize(void *p)
{
    tsc__job *job = p;
    free(job->content);
    free(job);
}

static float job_progress(void *p) { return ((tsc__job *)p)->progress; }

static const char *job_content(void *p) { return ((tsc__job *)p)->content; }

static const char *job_serialized(void *p)
{
    (void)p;
    return NULL; /* not persisted: the state metadata survives a restart */
}

static OrthancPluginJobStepStatus job_step(void *p)
{
    tsc__job *job = p;
    if (job->resubmitted) {
        int queued;
        job->resubmitted = 0;
        tsc__worker_request(job->id, &queued);
    }
    pthread_mutex_lock(&tsc__g.lock);
    int running = !strcmp(tsc__g.running_id, job->id);
    size_t done = tsc__g.progress_done, total = tsc__g.progress_total;
    pthread_mutex_unlock(&tsc__g.lock);
    if (running) {
        job->progress = total ? 0.05f + 0.9f * (float)done / (float)total : 0.05f;
        set_content(job, TSC_STATE_RUNNING, NULL, NULL, done, total);
        usleep(500000);
        return OrthancPluginJobStepStatus_Continue;
    }
    char *state = tsc__meta_get(job->id, TSC_META_STATE);
    OrthancPluginJobStepStatus st = OrthancPluginJobStepStatus_Continue;
    if (!state) {
        set_content(job, "deleted", NULL, "the series was deleted, or its state removed, before "
                                          "it was analysed", 0, 0);
        st = OrthancPluginJobStepStatus_Failure;
    } else if (!strcmp(state, TSC_STATE_DONE) || !strcmp(state, TSC_STATE_NOT_ANALYSED) ||
               !strcmp(state, TSC_STATE_FAILED)) {
        char *verdict = tsc__meta_get(job->id, TSC_META_VERDICT);
        char *reason = tsc__meta_get(job->id, TSC_META_REASON);
        set_content(job, state, verdict, reason, 0, 0);
        free(verdict);
        free(reason);
        job->progress = 1.0f;
        /* Not analysed is an answer, not a success: the job says why. */
        st = !strcmp(state, TSC_STATE_DONE) ? OrthancPluginJobStepStatus_Success
                                            : OrthancPluginJobStepStatus_Failure;
    } else {
        set_content(job, state, NULL, NULL, 0, 0);
        usleep(500000);
    }
    free(state);
    return st;
}

static OrthancPluginErrorCode job_stop(void *p, OrthancPluginJobStopReason reason)
{
    tsc__job *job = p;
    if (reason == OrthancPluginJobStopReason_Canceled) {
        tsc__log(TSC_LOG_INFO, "series %s: job cancelled", job->id);
        tsc__worker_cancel(job->id);
    }
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode job_reset(void *p)
{
    /* Resubmitted after a failure or cancel: analysed again unless it is
     * done.  Orthanc calls this under its jobs lock: no REST call here. */
    tsc__job *job = p;
    job->progress = 0;
    job->resubmitted = 1;
    return OrthancPluginErrorCode_Success;
}

char *tsc__job_submit(const char *series_id)
{
    tsc__job *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    snprintf(job->id, sizeof job->id, "%s", series_id);
    set_content(job, TSC_STATE_QUEUED, NULL, NULL, 0, 0);
    OrthancPluginJob *oj = OrthancPluginCreateJob(tsc__g.ctx, job, job_finalize, JOB_TYPE, job_progress,
                                                  job_content, job_serialized, job_step, job_stop,
                                                  job_reset);
    if (!oj) return NULL; /* Orthanc has called job_finalize */
    /* No lock of ours is held here: submitting re-enters the change callback. */
    char *id = OrthancPluginSubmitJob(tsc__g.ctx, oj, 0);
    return id;
}
