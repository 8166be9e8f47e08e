/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_log: the core's logging and cancellation hooks.
 *
 * The core never prints.  A host installs a log callback (the viewer routes it
 * to g_log, the CLI to stderr).  Log messages name series and slices by index,
 * never by patient identifiers. */
#ifndef TSC_LOG_H
#define TSC_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsc_log_level {
    TSC_LOG_DEBUG = 0,
    TSC_LOG_INFO = 1,
    TSC_LOG_WARNING = 2,
    TSC_LOG_ERROR = 3
} tsc_log_level;

typedef void (*tsc_log_fn)(tsc_log_level level, const char *domain, const char *message,
                           void *user_data);

/* Installs the process-wide log sink; NULL restores the default (discard).
 * Thread-safe to call before any worker starts. */
void tsc_log_set(tsc_log_fn fn, void *user_data);
void tsc_log(tsc_log_level level, const char *domain, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Cooperative cancellation, polled by long-running loops.  Returns non-zero to
 * ask the callee to stop with TSC_ECANCELLED. */
typedef int (*tsc_cancel_fn)(void *user_data);

#ifdef __cplusplus
}
#endif
#endif
