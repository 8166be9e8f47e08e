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

int tsc__rest_put(const char *uri, const void *body, size_t size)
{
    OrthancPluginMemoryBuffer buf = {0};
    OrthancPluginErrorCode e = OrthancPluginRestApiPut(tsc__g.ctx, &buf, uri, body, (uint32_t)size);
    if (e == OrthancPluginErrorCode_Success) OrthancPluginFreeMemoryBuffer(tsc__g.ctx, &buf);
    return e == OrthancPluginErrorCode_Success ? 0 : (int)e;
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
    int rc = tsc__rest_put(uri, value, strlen(value));
    if (rc) tsc__log(TSC_LOG_WARNING, "series %s: cannot write metadata %s (Orthanc error %d)",
                     series, tsc__g.cfg.meta_key[key], rc);
    return rc;
}
