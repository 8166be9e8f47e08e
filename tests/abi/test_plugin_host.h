/* SPDX-License-Identifier: BSD-3-Clause */
/* What the ABI tests that play a host share: loading the plugin they were
 * built beside (TSC_PLUGIN_PATH) with dlopen, as a third-party host would. */
#ifndef TEST_PLUGIN_HOST_H
#define TEST_PLUGIN_HOST_H

#include "tsc_plugin.h"

/* The plugin's exported tsc_plugin_get_api (the case stops when the plugin
 * cannot be loaded), for asking it for other versions. */
tsc_plugin_get_api_fn test_plugin_host_get_api(void);
/* The plugin's table for TSC_PLUGIN_API_VERSION; the case stops (exit 1,
 * with dlerror's reason) when the plugin cannot be loaded or has no table.
 * The library stays loaded until the process exits. */
const tsc_plugin_api *test_plugin_host_load(void);

#endif
