/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the Orthanc tests (orthanc_harness.h). */
#define _GNU_SOURCE
#include "orthanc_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsc_test.h"

tsc_oh_reply tsc_oh_http(int port, const char *method, const char *path, const void *body,
                         size_t size)
{
    tsc_oh_reply r = {0, NULL, 0};
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        if (s >= 0) close(s);
        return r;
    }
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n", method,
                     path, size);
    ssize_t w = write(s, head, (size_t)n);
    for (size_t off = 0; w >= 0 && off < size; off += (size_t)w)
        w = write(s, (const char *)body + off, size - off);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t got;
    while (buf && (got = read(s, buf + len, cap - len)) > 0) {
        len += (size_t)got;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
    }
    close(s);
    if (!buf) return r;
    buf[len] = 0;
    char *sep = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/%*s %d", &r.status) != 1 || !sep) {
        free(buf);
        r.status = 0;
        return r;
    }
    r.size = len - (size_t)(sep + 4 - buf);
    r.body = malloc(r.size + 1);
    memcpy(r.body, sep + 4, r.size);
    r.body[r.size] = 0;
    free(buf);
    return r;
}

cJSON *tsc_oh_get_json(int port, const char *fmt, ...)
{
    char path[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    tsc_oh_reply r = tsc_oh_http(port, "GET", path, NULL, 0);
    cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
    free(r.body);
    return j;
}

const char *tsc_oh_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

const char *tsc_oh_orthanc_bin(void)
{
    static const char *cands[] = {"/usr/sbin/Orthanc", "/usr/bin/Orthanc",
                                  "/usr/local/bin/Orthanc"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (access(cands[i], X_OK) == 0) return cands[i];
    return NULL;
}

pid_t tsc_oh_start(const char *bin, const char *config, const char *log, int port)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a killed test */
        if (!freopen(log, "a", stdout) || !freopen(log, "a", stderr)) _exit(126);
        execl(bin, "Orthanc", config, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) { /* up to 30 s */
        cJSON *sys = tsc_oh_get_json(port, "/system");
        if (sys) {
            cJSON_Delete(sys);
            return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            tsc_test_system("tail -20 '%s' >&2", log);
            REQUIRE(!"Orthanc exited at start");
        }
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    tsc_test_system("tail -20 '%s' >&2", log);
    REQUIRE(!"Orthanc did not answer within 30 s");
    return -1;
}

void tsc_oh_stop(pid_t *pid)
{
    if (*pid <= 0) return;
    kill(*pid, SIGTERM);
    for (int i = 0; i < 300; i++) { /* up to 30 s for a clean stop */
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = -1;
            return;
        }
        usleep(100000);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = -1;
}
