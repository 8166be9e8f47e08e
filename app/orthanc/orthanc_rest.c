/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Orthanc's REST API as our threads use it: JSON reads, small writes, our
 * metadata, and the log.  Never called from the change callback
 * (docs/PACS.md, "Threads"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orthanc_private.h"

void tsc__log(int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char line[1100];
    snprintf(line, sizeof line, "Tumorscope: %s", msg);
    if (!tsc__g.ctx) return;
    if (level >= TSC_LOG_ERROR) OrthancPluginLogError(tsc__g.ctx, line);
    else if (level == TSC_LOG_WARNING) OrthancPluginLogWarning(tsc__g.ctx, line);
    else OrthancPluginLogInfo(tsc__g.ctx, line);
}

char *tsc__rest_get_string(const char *uri, size_t *size)
{
    OrthancPluginMemoryBuffer buf = {0};
    if (OrthancPluginRestApiGet(tsc__g.ctx, &buf, uri) != OrthancPluginErrorCode_Success) return NULL;
    char *s = malloc((size_t)buf.size + 1);
    if (s) {
        if (buf.size) memcpy(s, buf.data, buf.size);
        s[buf.size] = 0;
        if (size) *size = buf.size;
    }
    OrthancPluginFreeMemoryBuffer(tsc__g.ctx, &buf);
    return s;
}

cJSON *tsc__rest_get_json(const char *uri, OrthancPluginErrorCode *code)
{
    OrthancPluginMemoryBuffer buf = {0};
    OrthancPluginErrorCode e = OrthancPluginRestApiGet(tsc__g.ctx, &buf, uri);
    if (code) *code = e;
    if (e != OrthancPluginErrorCode_Success) return NULL;
    cJSON *j = cJSON_ParseWithLength(buf.data, buf.size);
    OrthancPluginFreeMemoryBuffer(tsc__g.ctx, &buf);
    return j;
}

/* One REST call with an optional If-Match header; keeps the answer body
 * (malloc'd, NUL-terminated) and its ETag when asked.  Orthanc's error code. */
static OrthancPluginErrorCode call(OrthancPluginHttpMethod method, const char *uri,
                                   const char *if_match, const void *body, size_t size,
                                   char **answer, char *etag, size_t etag_len)
{
    OrthancPluginMemoryBuffer ab = {0}, ah = {0};
    uint16_t status = 0;
    const char *keys[] = {"If-Match"}, *values[] = {if_match};
    if (etag && etag_len) etag[0] = 0;
    if (answer) *answer = NULL;
    OrthancPluginErrorCode e =
        OrthancPluginCallRestApi(tsc__g.ctx, &ab, &ah, &status, method, uri, if_match ? 1 : 0, keys,
                                 values, body, (uint32_t)size, 0);
    if (e == OrthancPluginErrorCode_Success && status != 200)
        e = status == 404   ? OrthancPluginErrorCode_UnknownResource
            : status == 409 ? OrthancPluginErrorCode_Revision
                            : OrthancPluginErrorCode_BadRequest;
    if (e == OrthancPluginErrorCode_Success) {
        if (answer && (*answer = malloc((size_t)ab.size + 1))) {
            if (ab.size) memcpy(*answer, ab.data, ab.size);
            (*answer)[ab.size] = 0;
        }
        /* Answer headers come as a JSON object with lower-case keys. */
        cJSON *h = etag ? cJSON_ParseWithLength(ah.data, ah.size) : NULL;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(h, "etag");
        if (cJSON_IsString(t)) snprintf(etag, etag_len, "%s", t->valuestring);
        cJSON_Delete(h);
    }
    if (ab.data) OrthancPluginFreeMemoryBuffer(tsc__g.ctx, &ab);
    if (ah.data) OrthancPluginFreeMemoryBuffer(tsc__g.ctx, &ah);
    return e;
}

char *tsc__rest_get_etag(const char *uri, char *etag, size_t etag_len, OrthancPluginErrorCode *code)
{
    char *answer = NULL;
    OrthancPluginErrorCode e =
        call(OrthancPluginHttpMethod_Get, uri, NULL, NULL, 0, &answer, etag, etag_len);
    if (code) *code = e;
    return answer;
}

int tsc__rest_put_if(const char *uri, const char *if_match, const void *body, size_t size)
{
    return (int)call(OrthancPluginHttpMethod_Put, uri, if_match, body, size, NULL, NULL, 0);
}

int tsc__rest_put(const char *uri, const char *etag_uri, const void *body, size_t size)
{
    char etag[128];
    OrthancPluginErrorCode code;
    char *old = tsc__rest_get_etag(etag_uri, etag, sizeof etag, &code);
    int same = old && strlen(old) == size && !memcmp(old, body, size);
    free(old);
    if (same) return 0; /* nothing to write: no revision spent, no conflict */
    return tsc__rest_put_if(uri, old && etag[0] ? etag : NULL, body, size);
}

char *tsc__meta_get(const char *series, tsc__orthanc_meta key)
{
    char uri[256];
    snprintf(uri, sizeof uri, "/series/%s/metadata/%s", series, tsc__g.cfg.meta_key[key]);
    return tsc__rest_get_string(uri, NULL);
}

int tsc__meta_set(const char *series, tsc__orthanc_meta key, const char *value)
{
    char uri[256];
    snprintf(uri, sizeof uri, "/series/%s/metadata/%s", series, tsc__g.cfg.meta_key[key]);
    int rc = tsc__rest_put(uri, uri, value, strlen(value));
    if (rc) tsc__log(TSC_LOG_WARNING, "series %s: cannot write metadata %s (Orthanc error %d)",
                     series, tsc__g.cfg.meta_key[key], rc);
    return rc;
}
