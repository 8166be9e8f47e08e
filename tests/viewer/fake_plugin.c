/* SPDX-License-Identifier: BSD-3-Clause */
/* A plugin that serves no ABI version: what an incompatible
 * libtumorscope-plugin.so looks like to the viewer. */
#include "tsc_plugin.h"

__attribute__((visibility("default"))) const tsc_plugin_api *tsc_plugin_get_api(uint32_t version)
{
    (void)version;
    return NULL;
}
