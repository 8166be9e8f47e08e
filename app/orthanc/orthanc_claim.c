/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The claim that lets several Orthanc nodes on one PostgreSQL index analyse
 * each series exactly once (docs/PACS.md, "Several nodes").
 *
 * A claim is our TumorscopeClaim metadata on the source series, "<node id>
 * <epoch seconds>": who analyses the series and when it last said so.  It is
 * written only by compare-and-swap in the shared index:
 *   - taking a free series: PUT without If-Match, which Orthanc 1.10.1 with
 *     "CheckRevisions": true turns into create-if-absent;
 *   - renewing, taking over a stale claim, releasing: PUT with If-Match set to
 *     the ETag (revision and MD5) just read, which fails if anyone wrote since.
 * The PostgreSQL index plugin 4.0 runs each of these in a SERIALIZABLE
 * transaction and Orthanc replays a conflicting one, which then sees the
 * winner's row and fails with code 43: two nodes racing get one winner.
 * We chose this over a PostgreSQL advisory lock because it needs no second
 * database connection or configuration and also works on one node with
 * Orthanc's SQLite index; an advisory lock would free itself when a node
 * dies, which the lease gives us instead: a holder that stops renewing for
 * LeaseSeconds loses its series to the next node that sweeps. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "orthanc_private.h"

/* A claim's holder and time; 0 when the value is not a claim. */
static int parse(const char *value, char *node, size_t node_len, long long *at)
{
    char n[128];
    if (!value || sscanf(value, "%127s %lld", n, at) != 2) return 0;
    snprintf(node, node_len, "%s", n);
    return 1;
}

static void claim_uri(const char *series, char *uri, size_t len)
{
    snprintf(uri, len, "/series/%s/metadata/%s", series, tsc__g.cfg.meta_key[TSC_META_CLAIM]);
}

/* Writes our claim stamped `at`; with if_match NULL only if there is none. */
static int write_claim(const char *uri, const char *if_match, long long at)
{
    char value[192];
    snprintf(value, sizeof value, "%s %lld", tsc__g.cfg.node_id, at);
    return tsc__rest_put_if(uri, if_match, value, strlen(value));
}

tsc__claim_result tsc__claim_take(const char *series, char *from, size_t from_len)
{
    char uri[256], etag[128], holder[128] = "";
    long long at = 0;
    OrthancPluginErrorCode code;
    if (from && from_len) from[0] = 0;
    claim_uri(series, uri, sizeof uri);
    long long now = (long long)time(NULL);
    char *cur = tsc__rest_get_etag(uri, etag, sizeof etag, &code);
    if (!cur) {
        if (code != OrthancPluginErrorCode_UnknownResource) return TSC_CLAIM_ERROR;
        /* Nobody has claimed it: create-if-absent; a lost race is code 43. */
        int rc = write_claim(uri, NULL, now);
        if (rc == OrthancPluginErrorCode_Revision) return TSC_CLAIM_HELD;
        return rc ? TSC_CLAIM_ERROR : TSC_CLAIM_WON;
    }
    int valid = parse(cur, holder, sizeof holder, &at);
    free(cur);
    int ours = valid && !strcmp(holder, tsc__g.cfg.node_id);
    /* at 0 = released; a clock behind ours by more than the lease also frees it. */
    int stale = !valid || at == 0 || now - at >= tsc__g.cfg.lease_seconds;
    if (!ours && !stale) return TSC_CLAIM_HELD;
    if (!etag[0]) return TSC_CLAIM_ERROR; /* no revision to swap against */
    int rc = write_claim(uri, etag, now);
    if (rc == OrthancPluginErrorCode_Revision) return TSC_CLAIM_HELD; /* another node was quicker */
    if (rc) return TSC_CLAIM_ERROR;
    if (!ours && valid && at != 0) {
        tsc__log(TSC_LOG_WARNING,
                 "series %s: took over the claim of node %s, not renewed for %lld s "
                 "(LeaseSeconds %d)",
                 series, holder, now - at, tsc__g.cfg.lease_seconds);
        if (from && from_len) snprintf(from, from_len, "%s", holder);
    }
    return TSC_CLAIM_WON;
}

tsc__claim_result tsc__claim_renew(const char *series)
{
    char uri[256], etag[128], holder[128] = "";
    long long at = 0;
    OrthancPluginErrorCode code;
    claim_uri(series, uri, sizeof uri);
    char *cur = tsc__rest_get_etag(uri, etag, sizeof etag, &code);
    if (!cur)
        return code == OrthancPluginErrorCode_UnknownResource ? TSC_CLAIM_HELD : TSC_CLAIM_ERROR;
    int ours =
        parse(cur, holder, sizeof holder, &at) && !strcmp(holder, tsc__g.cfg.node_id) && at != 0;
    free(cur);
    if (!ours || !etag[0]) return TSC_CLAIM_HELD;
    int rc = write_claim(uri, etag, (long long)time(NULL));
    if (rc == OrthancPluginErrorCode_Revision) return TSC_CLAIM_HELD;
    return rc ? TSC_CLAIM_ERROR : TSC_CLAIM_WON;
}

void tsc__claim_release(const char *series)
{
    char uri[256], etag[128], holder[128] = "";
    long long at = 0;
    claim_uri(series, uri, sizeof uri);
    char *cur = tsc__rest_get_etag(uri, etag, sizeof etag, NULL);
    int ours = parse(cur, holder, sizeof holder, &at) && !strcmp(holder, tsc__g.cfg.node_id);
    free(cur);
    /* Only our own claim: one taken over meanwhile belongs to its new holder. */
    if (ours && etag[0] && write_claim(uri, etag, 0) != 0)
        tsc__log(TSC_LOG_WARNING,
                 "series %s: cannot release our claim; other nodes may take the "
                 "series again after LeaseSeconds",
                 series);
}

int tsc__claim_describe(const char *series, char *node, size_t node_len, long *age)
{
    char uri[256];
    long long at = 0;
    claim_uri(series, uri, sizeof uri);
    char *cur = tsc__rest_get_string(uri, NULL);
    int ok = parse(cur, node, node_len, &at);
    free(cur);
    if (!ok) return 0;
    *age = at ? (long)((long long)time(NULL) - at) : -1;
    return 1;
}
