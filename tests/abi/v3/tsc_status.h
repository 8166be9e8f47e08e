/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_status: one error vocabulary for the whole core.
 *
 * Every fallible call returns a tsc_status and, when the caller passes a
 * tsc_error, a detail message that names the input and the remedy.  There is
 * no process-global error buffer: the message lives in the caller's struct. */
#ifndef TSC_STATUS_H
#define TSC_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, text): the enum value TSC_<name> and its short description. */
#define TSC_STATUS_MAP(X)                                           \
    X(OK, "success")                                                \
    X(EINVAL, "invalid argument")                                   \
    X(ENOMEM, "out of memory")                                      \
    X(EIO, "input/output error")                                    \
    X(ENOTFOUND, "not found")                                       \
    X(EFORMAT, "malformed input")                                   \
    X(EUNSUPPORTED, "unsupported feature")                          \
    X(ELIMIT, "exceeds a safety limit")                             \
    X(ECHECKSUM, "checksum mismatch")                               \
    X(ECANCELLED, "cancelled")                                      \
    X(EEXIST, "already exists")                                     \
    X(EVERSION, "version mismatch")                                 \
    X(EINTERNAL, "internal error")                                  \
    X(ESCOPE, "outside the model's scope")

typedef enum tsc_status {
#define TSC__STATUS_ENUM(name, text) TSC_##name,
    TSC_STATUS_MAP(TSC__STATUS_ENUM)
#undef TSC__STATUS_ENUM
    TSC_STATUS_COUNT
} tsc_status;

/* Static string; never NULL ("unknown status" for out-of-range values). */
const char *tsc_status_to_string(tsc_status status);
/* Static string with the enum's name, e.g. "EFORMAT". */
const char *tsc_status_name(tsc_status status);

#define TSC_ERROR_MESSAGE_MAX 512

/* Caller-owned error detail.  Functions that take a `tsc_error *` accept NULL. */
typedef struct tsc_error {
    tsc_status status;
    char message[TSC_ERROR_MESSAGE_MAX];
} tsc_error;

void tsc_error_clear(tsc_error *err);
/* Sets err (if non-NULL) and returns `status`, so callers can
 * `return tsc_error_set(err, TSC_EFORMAT, "file %s: ...", name);` */
tsc_status tsc_error_set(tsc_error *err, tsc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
tsc_status tsc_error_setv(tsc_error *err, tsc_status status, const char *fmt, va_list ap);
/* Prepends "prefix: " to an existing message (used when a lower layer's
 * error travels up and gains context). */
void tsc_error_prefix(tsc_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Misuse of the API (NULL where forbidden, out-of-range index) asserts;
 * bad data returns a status. */
#define TSC_ASSERT(cond)                                                     \
    do {                                                                     \
        if (!(cond)) tsc__assert_fail(#cond, __FILE__, __LINE__, __func__);  \
    } while (0)
void tsc__assert_fail(const char *expr, const char *file, int line, const char *func)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
