/* SPDX-License-Identifier: BSD-3-Clause */
/* The one prefix-copy of structs that carry `struct_size` as their first
 * member (docs/PLUGIN_ABI.md, rules 4 and 5).  Internal (tsc__ prefix);
 * header-only so that the core (C) and the plugin (C and C++) share it.
 *
 * A host built against an older header passes a shorter struct: only the
 * bytes it has are read, and only the bytes it has are written. */
#ifndef TSC_STRUCT_SIZE_PRIVATE_H
#define TSC_STRUCT_SIZE_PRIVATE_H

#include <stddef.h>
#include <string.h>

/* Copies min(src_size, dst_size) bytes, then stores `keep_size` as the
 * destination's struct_size. */
static inline void tsc__struct_copy(void *dst, size_t dst_size, const void *src, size_t src_size,
                                    size_t keep_size)
{
    if (src) memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
    memcpy(dst, &keep_size, sizeof keep_size);
}

/* The size a struct says it has; 0 for NULL. */
static inline size_t tsc__struct_size_of(const void *s)
{
    size_t n = 0;
    if (s) memcpy(&n, s, sizeof n);
    return n;
}

/* Compile-time check that `T` (an lvalue of the struct) starts with
 * `size_t struct_size`. */
#define TSC__STARTS_WITH_STRUCT_SIZE(lv)                                            \
    ((void)sizeof(char[offsetof(__typeof__(lv), struct_size) == 0 &&             \
                               sizeof((lv).struct_size) == sizeof(size_t)        \
                           ? 1                                                   \
                           : -1]))

/* In: `*dst` holds the defaults; the caller's `*src` (may be NULL: keep the
 * defaults) is copied over it up to src->struct_size, so fields the caller's
 * layout lacks keep their defaults.  dst->struct_size becomes sizeof *dst.
 * A struct_size of 0 copies nothing (a zeroed struct gets the defaults). */
#define TSC__PARAMS_COPY(dst, src)                                                   \
    (TSC__STARTS_WITH_STRUCT_SIZE(*(dst)), (void)sizeof((dst) == (src)),             \
     tsc__struct_copy((dst), sizeof *(dst), (src), tsc__struct_size_of(src), sizeof *(dst)))

/* Out: the plugin's complete `*full` is copied into the caller's `*host` up
 * to host->struct_size (0: the caller's whole struct, as sizeof *host), and
 * host->struct_size keeps the caller's value, so an older, shorter struct is
 * never written past its end. */
#define TSC__RESULT_COPY(host, full)                                                 \
    (TSC__STARTS_WITH_STRUCT_SIZE(*(host)), (void)sizeof((host) == (full)),          \
     tsc__struct_copy((host),                                                        \
                      (host)->struct_size ? (host)->struct_size : sizeof *(host),    \
                      (full), sizeof *(full),                                        \
                      (host)->struct_size ? (host)->struct_size : sizeof *(host)))

#endif
