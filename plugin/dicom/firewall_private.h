// SPDX-License-Identifier: BSD-3-Clause
/* The one C++ firewall of plugin/ (C++ only; ONNX Runtime's API_IMPL_BEGIN /
 * API_IMPL_END).  Every `extern "C"` entry point that runs C++ which may
 * throw wraps its body:
 *
 *     extern "C" tsc_status tsc_x(..., tsc_error *err)
 *     {
 *         TSC_ASSERT(...);                 // misuse asserts, outside
 *         TSC__API_IMPL_BEGIN
 *             return x_impl(..., err);
 *         TSC__API_IMPL_END(err, "decoding series %zu slice %zu", series, slice)
 *     }
 *
 * No exception crosses into C: a tsc__status_error keeps its status and
 * message, std::bad_alloc is TSC_ENOMEM, any other std::exception is
 * TSC_EINTERNAL with its what() kept in the message, anything else is
 * TSC_EINTERNAL.  The message is "<context>: <what happened>". */
#ifndef TSC_FIREWALL_PRIVATE_H
#define TSC_FIREWALL_PRIVATE_H

#ifndef __cplusplus
#error "firewall_private.h is for the C++ files of plugin/"
#endif

#include <cstdarg>
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "tsc_status.h"

/* A failure with a status of its own, thrown inside a module and turned
 * into that status at its C entry point (plugin/outputs' tsc_out::fail). */
struct tsc__status_error {
    tsc_status status;
    std::string message;
};

/* Called from a catch (...) block: rethrows the exception in flight to name
 * it, fills `err` (may be NULL) and returns the status. */
__attribute__((format(printf, 2, 3))) inline tsc_status tsc__exception_status(tsc_error *err,
                                                                             const char *fmt, ...)
    noexcept
{
    char context[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof context, fmt, ap);
    va_end(ap);
    try {
        throw;
    } catch (const tsc__status_error &e) {
        return tsc_error_set(err, e.status, "%s: %s", context, e.message.c_str());
    } catch (const std::bad_alloc &) {
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", context);
    } catch (const std::exception &e) {
        return tsc_error_set(err, TSC_EINTERNAL, "%s: %s", context, e.what());
    } catch (...) {
        return tsc_error_set(err, TSC_EINTERNAL, "%s: unexpected exception", context);
    }
}

#define TSC__API_IMPL_BEGIN try {
/* `...`: printf-style context naming the call and its input. */
#define TSC__API_IMPL_END(err, ...)                                                              \
    }                                                                                            \
    catch (...)                                                                                  \
    {                                                                                            \
        return tsc__exception_status((err), __VA_ARGS__);                                        \
    }
/* For an entry point without a status: `on_failure` leaves its outputs
 * empty (they were cleared before TSC__API_IMPL_BEGIN). */
#define TSC__API_IMPL_END_VOID(on_failure)                                                       \
    }                                                                                            \
    catch (...)                                                                                  \
    {                                                                                            \
        on_failure;                                                                              \
    }

#endif
