/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc_log.h"

#include <stdarg.h>
#include <stdio.h>

static tsc_log_fn log_fn;
static void *log_user_data;

void tsc_log_set(tsc_log_fn fn, void *user_data)
{
    log_fn = fn;
    log_user_data = user_data;
}

void tsc_log(tsc_log_level level, const char *domain, const char *fmt, ...)
{
    tsc_log_fn fn = log_fn;
    if (!fn) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fn(level, domain ? domain : "tumorscope", buf, log_user_data);
}
