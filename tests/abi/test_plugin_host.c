/* SPDX-License-Identifier: BSD-3-Clause */
#include "test_plugin_host.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

tsc_plugin_get_api_fn test_plugin_host_get_api(void)
{
    void *lib = dlopen(TSC_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "cannot load the plugin: %s\n", dlerror());
        exit(1);
    }
    tsc_plugin_get_api_fn get = (tsc_plugin_get_api_fn)dlsym(lib, "tsc_plugin_get_api");
    if (!get) {
        fprintf(stderr, "%s exports no tsc_plugin_get_api\n", TSC_PLUGIN_PATH);
        exit(1);
    }
    return get;
}

const tsc_plugin_api *test_plugin_host_load(void)
{
    const tsc_plugin_api *api = test_plugin_host_get_api()(TSC_PLUGIN_API_VERSION);
    if (!api) {
        fprintf(stderr, "%s has no table for ABI version %u\n", TSC_PLUGIN_PATH,
                (unsigned)TSC_PLUGIN_API_VERSION);
        exit(1);
    }
    return api;
}
