/* SPDX-License-Identifier: BSD-3-Clause */
/* What the hosts that play an older ABI version share (v2_host.c, built
 * against the frozen version-2 headers, and v3_host.c, built against
 * today's header with the version-3 sizes): checks that count failures and
 * go on, loading the plugin by path with dlopen as a third-party host does,
 * and poisoned storage to see whether the plugin reads or writes past the
 * bytes such a host has.  Header-only, so that each host compiles it
 * against its own tsc_plugin.h. */
#ifndef OLD_HOST_H
#define OLD_HOST_H

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

#include "tsc_plugin.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* The plugin's exported tsc_plugin_get_api, or NULL (said on stderr);
 * *lib is the handle for dlclose(). */
static inline tsc_plugin_get_api_fn old_host_load(const char *plugin_path, void **lib)
{
    *lib = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
    if (!*lib) {
        fprintf(stderr, "cannot load the plugin: %s\n", dlerror());
        return NULL;
    }
    tsc_plugin_get_api_fn get_api = (tsc_plugin_get_api_fn)dlsym(*lib, "tsc_plugin_get_api");
    if (!get_api) fprintf(stderr, "the plugin exports no tsc_plugin_get_api\n");
    return get_api;
}

/* The byte the hosts fill their structs' storage with before the plugin
 * reads or fills them. */
#define OLD_HOST_POISON 0xA5

/* 1 when bytes [from, to) of p still hold the poison. */
static inline int old_host_poison_intact(const void *p, size_t from, size_t to)
{
    const unsigned char *b = p;
    for (size_t i = from; i < to; i++)
        if (b[i] != OLD_HOST_POISON) return 0;
    return 1;
}

/* The exit status: 0 when every check held. */
static inline int old_host_finish(const char *host)
{
    if (failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", host, failures);
        return 1;
    }
    printf("%s: all checks passed\n", host);
    return 0;
}

#endif
