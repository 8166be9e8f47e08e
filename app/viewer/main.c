/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope-viewer [PATH…]: the GTK 4 workstation. */
#define G_LOG_DOMAIN "tsc-viewer"
#include "viewer_app.h"

int main(int argc, char **argv)
{
    /* The plugin is loaded with dlopen after OMP_WAIT_POLICY is set
     * (tsc_viewer_api_init), so nothing here needs to run before main. */
    TscViewerApp *app = tsc_viewer_app_new();
    int status = g_application_run(G_APPLICATION(app), argc, argv);
    g_object_unref(app);
    return status;
}
