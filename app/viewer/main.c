/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope-viewer [PATH…]: the GTK 4 workstation. */
#define G_LOG_DOMAIN "tsc-viewer"
#include <stdlib.h>
#include <unistd.h>

#include "viewer_app.h"

int main(int argc, char **argv)
{
    /* oneDNN's OpenMP threads spin between layers by default; while a series
     * is analysed that spinning takes the cores the GTK main thread needs for
     * the next frame.  libgomp reads the policy once, when it is loaded (before
     * main), hence the re-exec, as in the CLI. */
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv("/proc/self/exe", argv);
        /* Could not re-exec: run on with the default policy. */
    }
    TscViewerApp *app = tsc_viewer_app_new();
    int status = g_application_run(G_APPLICATION(app), argc, argv);
    g_object_unref(app);
    return status;
}
