/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_text[] = {
#define TSC__STATUS_TEXT(name, text) text,
    TSC_STATUS_MAP(TSC__STATUS_TEXT)
#undef TSC__STATUS_TEXT
};

static const char *const status_names[] = {
#define TSC__STATUS_NAME(name, text) #name,
    TSC_STATUS_MAP(TSC__STATUS_NAME)
#undef TSC__STATUS_NAME
};

const char *tsc_status_to_string(tsc_status status)
{
    if ((int)status < 0 || status >= TSC_STATUS_COUNT) return "unknown status";
    return status_text[status];
}

const char *tsc_status_name(tsc_status status)
{
    if ((int)status < 0 || status >= TSC_STATUS_COUNT) return "UNKNOWN";
    return status_names[status];
}

void tsc_error_clear(tsc_error *err)
{
    if (!err) return;
    err->status = TSC_OK;
    err->message[0] = '\0';
}

tsc_status tsc_error_setv(tsc_error *err, tsc_status status, const char *fmt, va_list ap)
{
    if (!err) return status;
    err->status = status;
    if (fmt) {
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    } else {
        snprintf(err->message, sizeof err->message, "%s", tsc_status_to_string(status));
    }
    return status;
}

tsc_status tsc_error_set(tsc_error *err, tsc_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tsc_error_setv(err, status, fmt, ap);
    va_end(ap);
    return status;
}

void tsc_error_prefix(tsc_error *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[TSC_ERROR_MESSAGE_MAX];
    char old[TSC_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* Truncation is acceptable: the message stays a valid string. */
    size_t n = strlen(prefix);
    if (n > sizeof err->message - 3) n = sizeof err->message - 3;
    memcpy(err->message, prefix, n);
    memcpy(err->message + n, ": ", 2);
    size_t rest = sizeof err->message - n - 3;
    size_t m = strlen(old);
    if (m > rest) m = rest;
    memcpy(err->message + n + 2, old, m);
    err->message[n + 2 + m] = '\0';
}

void tsc__assert_fail(const char *expr, const char *file, int line, const char *func)
{
    fprintf(stderr, "tumorscope: API misuse: assertion '%s' failed in %s (%s:%d)\n", expr, func,
            file, line);
    abort();
}
