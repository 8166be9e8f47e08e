/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the Orthanc tests share: free loopback ports, a small HTTP/1.0 client
 * for Orthanc's REST API, and starting and stopping an Orthanc process. */
#ifndef TSC_ORTHANC_HARNESS_H
#define TSC_ORTHANC_HARNESS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct tsc_oh_reply {
    int status; /* 0 when the server could not be reached */
    char *body; /* NUL-terminated, malloc'd; NULL when status is 0 */
    size_t size;
} tsc_oh_reply;

tsc_oh_reply tsc_oh_http(int port, const char *method, const char *path, const void *body,
                         size_t size);
/* GET path (printf-style) as JSON; NULL unless the answer is 200 and JSON. */
cJSON *tsc_oh_get_json(int port, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* o[key] when it is a string, else "". */
const char *tsc_oh_str(const cJSON *o, const char *key);

/* The Orthanc binary of Debian's package orthanc; NULL when not installed. */
const char *tsc_oh_orthanc_bin(void);
/* Starts `bin config` with stdout and stderr appended to log; the child gets
 * SIGTERM when the test dies.  Waits up to 30 s for GET /system on port. */
pid_t tsc_oh_start(const char *bin, const char *config, const char *log, int port);
/* SIGTERM, up to 30 s for a clean stop, then SIGKILL; sets *pid to -1. */
void tsc_oh_stop(pid_t *pid);

#endif
