/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libtumorscope-orthanc.so: tumorscope inside Orthanc.
 *
 * A host of the plugin ABI like the CLI and the viewer: it dlopens
 * libtumorscope-plugin.so and calls only its table.  Orthanc's entry points,
 * the "Tumorscope" configuration, the change callback and the REST routes
 * live here; the queue and the analysis in orthanc_worker.c.  docs/PACS.md
 * describes configuration, REST API and states. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "orthanc_private.h"

#ifndef TSC_VERSION
#define TSC_VERSION "0.0.0"
#endif

tsc__orthanc tsc__g = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

/* Our metadata: the name a site declares in "UserMetadata", else the
 * number (1024-65535 need no declaration). */
static const struct {
    const char *name;
    int number;
} meta_names[TSC_META_COUNT] = {
    [TSC_META_STATE] = {"TumorscopeState", 4301},
    [TSC_META_MODEL] = {"TumorscopeModel", 4302},
    [TSC_META_SHA256] = {"TumorscopeModelSha256", 4303},
    [TSC_META_VERDICT] = {"TumorscopeVerdict", 4304},
    [TSC_META_REASON] = {"TumorscopeReason", 4305},
    [TSC_META_OUTPUTS] = {"TumorscopeOutputs", 4306},
    [TSC_META_CLAIM] = {"TumorscopeClaim", 4307},
    [TSC_META_SOURCE] = {"TumorscopeSource", 4308},
};
#define RESULT_ATTACHMENT_NAME "TumorscopeResult"
#define RESULT_ATTACHMENT_NUMBER 4301

/* ---- configuration ---- */

static char *dup_string(const cJSON *o, const char *key, const char *fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    return fallback ? strdup(fallback) : NULL;
}

static int declared(const cJSON *map, const char *name)
{
    return cJSON_IsObject(map) && cJSON_GetObjectItemCaseSensitive(map, name) != NULL;
}

/* The default libtumorscope-plugin.so: next to this library. */
static char *default_plugin_path(void)
{
    Dl_info info;
    if (dladdr((void *)&tsc__worker_start, &info) && info.dli_fname) {
        char *copy = strdup(info.dli_fname);
        char path[4096];
        snprintf(path, sizeof path, "%s/libtumorscope-plugin.so", dirname(copy));
        free(copy);
        return strdup(path);
    }
    return strdup("libtumorscope-plugin.so");
}

static int read_config(tsc__orthanc_config *c)
{
    char *text = OrthancPluginGetConfiguration(tsc__g.ctx);
    cJSON *all = text ? cJSON_Parse(text) : NULL;
    if (text) OrthancPluginFreeString(tsc__g.ctx, text);
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(all, "Tumorscope");
    const char *tmp = getenv("TMPDIR");
    c->model_path = dup_string(ts, "Model", NULL);
    c->plugin_path = dup_string(ts, "Plugin", NULL);
    if (!c->plugin_path) c->plugin_path = default_plugin_path();
    c->temp_dir = dup_string(ts, "TemporaryDirectory", tmp && *tmp ? tmp : "/tmp");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(ts, "Threads");
    c->threads = cJSON_IsNumber(th) && th->valueint > 0 ? th->valueint : 0;

    /* AutoAnalyze: an object, or false to analyse only on request. */
    const cJSON *aa = cJSON_GetObjectItemCaseSensitive(ts, "AutoAnalyze");
    c->auto_analyze = !cJSON_IsFalse(aa);
    c->modality = dup_string(aa, "Modality", "MR");
    c->body_part = dup_string(aa, "BodyPart", NULL);
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(aa, "Scope");
    c->scope = !cJSON_IsFalse(scope);

    /* The periodic sweep (docs/PACS.md, "Sweeps"). */
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(ts, "SweepSeconds");
    c->sweep_seconds = cJSON_IsNumber(sw) ? (sw->valueint > 0 ? sw->valueint : 0) : 60;
    const cJSON *sa = cJSON_GetObjectItemCaseSensitive(all, "StableAge");
    int stable_age = cJSON_IsNumber(sa) && sa->valueint > 0 ? sa->valueint : 60; /* Orthanc's rule */
    const cJSON *ma = cJSON_GetObjectItemCaseSensitive(ts, "SweepMinAge");
    c->sweep_min_age = cJSON_IsNumber(ma) && ma->valueint >= 0 ? ma->valueint : stable_age;
    c->stable_age = stable_age;

    /* Several nodes on one index (docs/PACS.md, "Several nodes"): each names
     * itself in its claims; Orthanc's DatabaseServerIdentifier is already
     * unique per node in such a setup, else host name and HTTP port. */
    const char *node = NULL;
    const cJSON *ni = cJSON_GetObjectItemCaseSensitive(ts, "NodeId");
    const cJSON *dsi = cJSON_GetObjectItemCaseSensitive(all, "DatabaseServerIdentifier");
    if (cJSON_IsString(ni) && ni->valuestring[0]) node = ni->valuestring;
    else if (cJSON_IsString(dsi) && dsi->valuestring[0]) node = dsi->valuestring;
    if (node) {
        snprintf(c->node_id, sizeof c->node_id, "%s", node);
    } else {
        char host[64] = "orthanc";
        gethostname(host, sizeof host - 1);
        const cJSON *hp = cJSON_GetObjectItemCaseSensitive(all, "HttpPort");
        snprintf(c->node_id, sizeof c->node_id, "%s:%d", host,
                 cJSON_IsNumber(hp) ? hp->valueint : 8042);
    }
    for (char *p = c->node_id; *p; p++)
        if (*p == ' ' || *p == '\t') *p = '_'; /* the claim is "<node> <time>" */
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(ts, "LeaseSeconds");
    c->lease_seconds = cJSON_IsNumber(ls) && ls->valueint > 0 ? ls->valueint : 300;

    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(ts, "Outputs");
    if (!cJSON_IsArray(outs)) {
        c->outputs = TSC_OUT_SEG | TSC_OUT_SR | TSC_OUT_SC | TSC_OUT_PDF;
    } else {
        const cJSON *o;
        cJSON_ArrayForEach(o, outs)
        {
            const char *s = cJSON_IsString(o) ? o->valuestring : "";
            if (!strcasecmp(s, "SEG")) c->outputs |= TSC_OUT_SEG;
            else if (!strcasecmp(s, "SR")) c->outputs |= TSC_OUT_SR;
            else if (!strcasecmp(s, "SC")) c->outputs |= TSC_OUT_SC;
            else if (!strcasecmp(s, "PDF")) c->outputs |= TSC_OUT_PDF;
            else tsc__log(TSC_LOG_WARNING, "unknown output '%s' in Tumorscope.Outputs ignored "
                                           "(SEG, SR, SC, PDF)", s);
        }
    }

    const cJSON *um = cJSON_GetObjectItemCaseSensitive(all, "UserMetadata");
    int undeclared = 0;
    for (int k = 0; k < TSC_META_COUNT; k++) {
        if (declared(um, meta_names[k].name)) {
            snprintf(c->meta_key[k], sizeof c->meta_key[k], "%s", meta_names[k].name);
        } else {
            snprintf(c->meta_key[k], sizeof c->meta_key[k], "%d", meta_names[k].number);
            undeclared = 1;
        }
    }
    if (undeclared)
        tsc__log(TSC_LOG_WARNING, "our metadata names are not declared in \"UserMetadata\"; using "
                                  "numeric keys 4301-4308 (docs/PACS.md)");
    const cJSON *uc = cJSON_GetObjectItemCaseSensitive(all, "UserContentType");
    if (declared(uc, RESULT_ATTACHMENT_NAME))
        snprintf(c->result_key, sizeof c->result_key, "%s", RESULT_ATTACHMENT_NAME);
    else
        snprintf(c->result_key, sizeof c->result_key, "%d", RESULT_ATTACHMENT_NUMBER);
    cJSON_Delete(all);
    return 0;
}

static void free_config(tsc__orthanc_config *c)
{
    free(c->model_path);
    free(c->plugin_path);
    free(c->temp_dir);
    free(c->modality);
    free(c->body_part);
    memset(c, 0, sizeof *c);
}

/* ---- the plugin ABI ---- */

static void plugin_log(tsc_log_level level, const char *domain, const char *message, void *user)
{
    (void)user;
    /* The plugin names series and slices by index only (ABI rule). */
    tsc__log(level <= TSC_LOG_INFO ? TSC_LOG_INFO : (int)level, "[%s] %s", domain ? domain : "", message);
}

static int load_abi(void)
{
    /* libgomp reads its wait policy once, when it is loaded with the plugin;
     * its default spinning takes the cores from Orthanc (docs/ENGINE.md).
     * We cannot re-exec Orthanc as the CLI does, so set it before dlopen;
     * a site's own setting wins. */
    if (!getenv("OMP_WAIT_POLICY")) setenv("OMP_WAIT_POLICY", "passive", 1);
    void *lib = dlopen(tsc__g.cfg.plugin_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(tsc__g.model_error, sizeof tsc__g.model_error,
                 "cannot load the tumorscope plugin %.256s: %.512s (set Tumorscope.Plugin)",
                 tsc__g.cfg.plugin_path, dlerror());
        return -1;
    }
    tsc_plugin_get_api_fn get = (tsc_plugin_get_api_fn)dlsym(lib, "tsc_plugin_get_api");
    const tsc_plugin_api *api = get ? get(TSC_PLUGIN_API_VERSION) : NULL;
    if (!api || !TSC_PLUGIN_HAS(api, series_check_scope) ||
        !TSC_PLUGIN_HAS(api, series_result_get_scope_warning)) {
        snprintf(tsc__g.model_error, sizeof tsc__g.model_error,
                 "%.512s does not serve plugin ABI version %u (this Orthanc plugin needs %u)",
                 tsc__g.cfg.plugin_path, api ? api->version : 0u, TSC_PLUGIN_API_VERSION);
        return -1;
    }
    tsc__g.api = api;
    api->log_set(plugin_log, NULL);
    tsc_error err;
    tsc_model_params mp = api->model_default_params();
    mp.threads = 1; /* one engine thread per analysis thread, as in the CLI */
    if (api->model_load(tsc__g.cfg.model_path, &mp, &tsc__g.model, &err) != TSC_OK) {
        snprintf(tsc__g.model_error, sizeof tsc__g.model_error, "cannot load the model %.256s: %s",
                 tsc__g.cfg.model_path ? tsc__g.cfg.model_path : "(default)", err.message);
        tsc__g.model = NULL;
        return -1;
    }
    tsc__log(TSC_LOG_WARNING, "tumorscope %s, model %s %s (SHA-256 %s), %s", api->plugin_version(),
             api->model_get_name(tsc__g.model), api->model_get_version(tsc__g.model),
             api->model_get_sha256(tsc__g.model),
             tsc__g.cfg.auto_analyze ? "analysing stable series automatically" : "analysing on request only");
    if (tsc__g.cfg.auto_analyze && tsc__g.cfg.sweep_seconds > 0)
        tsc__log(TSC_LOG_INFO, "sweeping for series without a stable event every %d s (older than %d s)",
                 tsc__g.cfg.sweep_seconds, tsc__g.cfg.sweep_min_age);
    if ((tsc__g.cfg.outputs & TSC_OUT_PDF) && !TSC_PLUGIN_HAS(api, write_dicom_pdf))
        tsc__log(TSC_LOG_WARNING, "PDF output not stored: plugin ABI %u writes no Encapsulated PDF "
                                  "object (docs/PACS.md)", api->version);
    return 0;
}

/* ---- change callback: copy and return (docs/PACS.md, "Threads") ---- */

static OrthancPluginErrorCode on_change(OrthancPluginChangeType type, OrthancPluginResourceType rt,
                                        const char *id)
{
    switch (type) {
    case OrthancPluginChangeType_StableSeries:
        if (rt == OrthancPluginResourceType_Series && id) tsc__worker_event(id);
        break;
    case OrthancPluginChangeType_OrthancStarted:
        /* The database exists from here on. */
        if (tsc__g.model) {
            if (tsc__worker_start()) tsc__log(TSC_LOG_ERROR, "cannot start the worker threads");
            tsc__worker_startup_sweep();
        }
        break;
    case OrthancPluginChangeType_OrthancStopped:
        /* REST still works here; the worker leaves an interrupted series "running". */
        tsc__worker_stop();
        break;
    default:
        break;
    }
    return OrthancPluginErrorCode_Success;
}

/* ---- REST ---- */

/* Answers `j` with `status` and frees it; what a REST callback then returns. */
static OrthancPluginErrorCode answer_json(OrthancPluginRestOutput *out, uint16_t status, cJSON *j)
{
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) {
        OrthancPluginSendHttpStatusCode(tsc__g.ctx, out, 500);
        return OrthancPluginErrorCode_Success;
    }
    if (status == 200) {
        OrthancPluginAnswerBuffer(tsc__g.ctx, out, text, strlen(text), "application/json");
    } else {
        OrthancPluginSetHttpHeader(tsc__g.ctx, out, "Content-Type", "application/json");
        OrthancPluginSendHttpStatus(tsc__g.ctx, out, status, text, strlen(text));
    }
    free(text);
    return OrthancPluginErrorCode_Success;
}

static OrthancPluginErrorCode answer_error(OrthancPluginRestOutput *out, uint16_t status,
                                           const char *message)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", message);
    return answer_json(out, status, j);
}

/* 1 when the request uses `method`; else answers 405 allowing `allowed`
 * (its name) and returns 0. */
static int method_allowed(OrthancPluginRestOutput *out, const OrthancPluginHttpRequest *req,
                          OrthancPluginHttpMethod method, const char *allowed)
{
    if (req->method == method) return 1;
    OrthancPluginSendMethodNotAllowed(tsc__g.ctx, out, allowed);
    return 0;
}

/* Orthanc ids are hex groups joined by '-': nothing else reaches our URIs. */
static int valid_id(const char *id)
{
    size_t n = strlen(id);
    if (!n || n >= TSC_ORTHANC_ID_SIZE) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') || id[i] == '-'))
            return 0;
    return 1;
}

/* The {id} of a /tumorscope/series/{id} request that uses `method`; NULL
 * when it does not or the id is not an Orthanc id (answered 405 or 400). */
static const char *series_request(OrthancPluginRestOutput *out, const OrthancPluginHttpRequest *req,
                                  OrthancPluginHttpMethod method, const char *allowed)
{
    if (!method_allowed(out, req, method, allowed)) return NULL;
    const char *id = req->groupsCount ? req->groups[0] : "";
    if (!valid_id(id)) {
        answer_error(out, 400, "not an Orthanc series id");
        return NULL;
    }
    return id;
}

static void add_model(cJSON *o)
{
    if (tsc__g.model) {
        cJSON *m = cJSON_AddObjectToObject(o, "model");
        cJSON_AddStringToObject(m, "name", tsc__g.api->model_get_name(tsc__g.model));
        cJSON_AddStringToObject(m, "version", tsc__g.api->model_get_version(tsc__g.model));
        cJSON_AddStringToObject(m, "sha256", tsc__g.api->model_get_sha256(tsc__g.model));
    } else {
        cJSON_AddNullToObject(o, "model");
        cJSON_AddStringToObject(o, "error", tsc__g.model_error);
    }
}

static OrthancPluginErrorCode rest_status(OrthancPluginRestOutput *out, const char *url,
                                          const OrthancPluginHttpRequest *req)
{
    (void)url;
    if (!method_allowed(out, req, OrthancPluginHttpMethod_Get, "GET"))
        return OrthancPluginErrorCode_Success;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "tumorscope_version", tsc__g.api ? tsc__g.api->plugin_version() : TSC_VERSION);
    add_model(j);
    cJSON_AddBoolToObject(j, "auto_analyze", tsc__g.cfg.auto_analyze);
    cJSON_AddStringToObject(j, "node", tsc__g.cfg.node_id);
    cJSON_AddNumberToObject(j, "lease_seconds", tsc__g.cfg.lease_seconds);
    pthread_mutex_lock(&tsc__g.lock);
    cJSON_AddNumberToObject(j, "queue", (double)tsc__g.n_queue);
    /* Seen, not yet claimed: they go to whichever node has room first. */
    cJSON_AddNumberToObject(j, "waiting", (double)tsc__g.n_pending);
    if (tsc__g.running_id[0]) {
        cJSON *r = cJSON_AddObjectToObject(j, "running");
        cJSON_AddStringToObject(r, "series", tsc__g.running_id);
        cJSON_AddNumberToObject(r, "slices_done", (double)tsc__g.progress_done);
        cJSON_AddNumberToObject(r, "slices_total", (double)tsc__g.progress_total);
    } else {
        cJSON_AddNullToObject(j, "running");
    }
    size_t finished = tsc__g.n_done + tsc__g.n_not_analysed + tsc__g.n_failed;
    cJSON_AddNumberToObject(j, "done", (double)tsc__g.n_done);
    cJSON_AddNumberToObject(j, "not_analysed", (double)tsc__g.n_not_analysed);
    cJSON_AddNumberToObject(j, "failed", (double)tsc__g.n_failed);
    if (finished && tsc__g.busy_seconds > 0)
        cJSON_AddNumberToObject(j, "series_per_hour", round(finished * 3600.0 / tsc__g.busy_seconds * 10) / 10);
    else
        cJSON_AddNullToObject(j, "series_per_hour");
    pthread_mutex_unlock(&tsc__g.lock);
    return answer_json(out, 200, j);
}

static OrthancPluginErrorCode rest_series(OrthancPluginRestOutput *out, const char *url,
                                          const OrthancPluginHttpRequest *req)
{
    (void)url;
    const char *id = series_request(out, req, OrthancPluginHttpMethod_Get, "GET");
    if (!id) return OrthancPluginErrorCode_Success;
    char uri[256];
    snprintf(uri, sizeof uri, "/series/%s", id);
    cJSON *s = tsc__rest_get_json(uri, NULL);
    if (!s) return answer_error(out, 404, "no such series");
    cJSON_Delete(s);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "series", id);
    static const char *keys[TSC_META_COUNT] = {"state", "model", "model_sha256", "verdict", "reason", NULL};
    for (int k = 0; k < TSC_META_OUTPUTS; k++) {
        char *v = tsc__meta_get(id, (tsc__orthanc_meta)k);
        if (v && *v) cJSON_AddStringToObject(j, keys[k], v);
        else cJSON_AddNullToObject(j, keys[k]);
        free(v);
    }
    char node[128];
    long age = 0;
    if (tsc__claim_describe(id, node, sizeof node, &age)) {
        /* Which node analyses (or analysed) it; age -1: released when it finished. */
        cJSON *c = cJSON_AddObjectToObject(j, "claim");
        cJSON_AddStringToObject(c, "node", node);
        if (age >= 0) cJSON_AddNumberToObject(c, "age_seconds", (double)age);
        else cJSON_AddNullToObject(c, "age_seconds");
    }
    char *outs = tsc__meta_get(id, TSC_META_OUTPUTS);
    cJSON *jo = outs ? cJSON_Parse(outs) : NULL;
    free(outs);
    cJSON_AddItemToObject(j, "output_series", jo ? jo : cJSON_CreateArray());
    pthread_mutex_lock(&tsc__g.lock);
    if (!strcmp(tsc__g.running_id, id)) {
        cJSON *p = cJSON_AddObjectToObject(j, "progress");
        cJSON_AddNumberToObject(p, "slices_done", (double)tsc__g.progress_done);
        cJSON_AddNumberToObject(p, "slices_total", (double)tsc__g.progress_total);
    }
    pthread_mutex_unlock(&tsc__g.lock);
    snprintf(uri, sizeof uri, "/series/%s/attachments/%s/data", id, tsc__g.cfg.result_key);
    char *result = tsc__rest_get_string(uri, NULL);
    cJSON *jr = result ? cJSON_Parse(result) : NULL;
    free(result);
    cJSON_AddItemToObject(j, "result", jr ? jr : cJSON_CreateNull());
    return answer_json(out, 200, j);
}

static OrthancPluginErrorCode rest_analyze(OrthancPluginRestOutput *out, const char *url,
                                           const OrthancPluginHttpRequest *req)
{
    (void)url;
    const char *id = series_request(out, req, OrthancPluginHttpMethod_Post, "POST");
    if (!id) return OrthancPluginErrorCode_Success;
    if (!tsc__g.model) return answer_error(out, 503, tsc__g.model_error);
    int queued = 0;
    const char *state = tsc__worker_request(id, &queued);
    if (!state) return answer_error(out, 404, "no such series");
    cJSON *j = cJSON_CreateObject();
    int finished = !strcmp(state, TSC_STATE_DONE) || !strcmp(state, TSC_STATE_NOT_ANALYSED) ||
                   !strcmp(state, TSC_STATE_OUTPUT);
    char *job = finished ? NULL : tsc__job_submit(id);
    if (job) {
        /* Orthanc's answer to its own asynchronous calls: ID and Path of the job. */
        char path[128];
        snprintf(path, sizeof path, "/jobs/%s", job);
        cJSON_AddStringToObject(j, "ID", job);
        cJSON_AddStringToObject(j, "Path", path);
        OrthancPluginFreeString(tsc__g.ctx, job);
    }
    cJSON_AddStringToObject(j, "series", id);
    cJSON_AddStringToObject(j, "state", state);
    cJSON_AddBoolToObject(j, "queued", queued);
    if (finished)
        cJSON_AddStringToObject(j, "message", !strcmp(state, TSC_STATE_OUTPUT)
                                                  ? "a tumorscope result series; it is not analysed"
                                                  : "already analysed; GET /tumorscope/series/{id} has the result");
    return answer_json(out, finished ? 200 : 202, j);
}

/* ---- Orthanc's entry points ---- */

ORTHANC_PLUGINS_API int32_t OrthancPluginInitialize(OrthancPluginContext *context)
{
    tsc__g.ctx = context;
    if (!OrthancPluginCheckVersion(context)) {
        char msg[256];
        snprintf(msg, sizeof msg, "Tumorscope: Orthanc %s is too old; this plugin needs %d.%d.%d",
                 context->orthancVersion, ORTHANC_PLUGINS_MINIMAL_MAJOR_NUMBER,
                 ORTHANC_PLUGINS_MINIMAL_MINOR_NUMBER, ORTHANC_PLUGINS_MINIMAL_REVISION_NUMBER);
        OrthancPluginLogError(context, msg);
        return -1;
    }
    OrthancPluginSetDescription(context, "Brain-tumour MRI analysis of stable MR series "
                                         "(decision support only, not for diagnostic use)");
    read_config(&tsc__g.cfg);
    if (load_abi() != 0)
        /* Orthanc keeps running without us; /tumorscope/status says why. */
        tsc__log(TSC_LOG_ERROR, "%s; no series will be analysed", tsc__g.model_error);
    OrthancPluginRegisterOnChangeCallback(context, on_change);
    OrthancPluginRegisterRestCallbackNoLock(context, "/tumorscope/status", rest_status);
    OrthancPluginRegisterRestCallbackNoLock(context, "/tumorscope/series/([0-9a-f-]+)", rest_series);
    OrthancPluginRegisterRestCallbackNoLock(context, "/tumorscope/series/([0-9a-f-]+)/analyze", rest_analyze);
    return 0;
}

ORTHANC_PLUGINS_API void OrthancPluginFinalize(void)
{
    tsc__worker_stop();
    if (tsc__g.api) {
        tsc__g.api->model_free(tsc__g.model);
        tsc__g.api->log_set(NULL, NULL);
    }
    tsc__g.model = NULL;
    free_config(&tsc__g.cfg);
    tsc__g.ctx = NULL;
}

ORTHANC_PLUGINS_API const char *OrthancPluginGetName(void) { return "tumorscope"; }

ORTHANC_PLUGINS_API const char *OrthancPluginGetVersion(void) { return TSC_VERSION; }
