/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int tsc_test_failures;

/* Formats a function's printf-style arguments, those after `fmt`, into the
 * array `buf`. */
#define FORMAT_VARARGS(buf, fmt)                                                                   \
    do {                                                                                           \
        va_list ap_;                                                                               \
        va_start(ap_, fmt);                                                                        \
        vsnprintf(buf, sizeof buf, fmt, ap_);                                                      \
        va_end(ap_);                                                                               \
    } while (0)
static const char *current_case = "test";

void tsc_test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "SKIP %s: ", current_case);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
    exit(77);
}

const char *tsc_test_env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

static char tmp_path[4096];

static const char *tsc_test_tmpdir_if_made(void)
{
    return tmp_path[0] ? tmp_path : NULL;
}

const char *tsc_test_tmpdir(void)
{
    char *path = tmp_path;
    if (path[0]) return path;
    snprintf(path, sizeof tmp_path, "%s/tsc-%s-XXXXXX", tsc_test_env("TMPDIR", "/tmp"), current_case);
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        exit(1);
    }
    return path;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A passing case leaves nothing behind; a failing one keeps its files for
 * inspection (the path is printed). */
static void cleanup_tmpdir(int passed)
{
    const char *dir = tsc_test_tmpdir_if_made();
    if (!dir) return;
    if (passed && !getenv("TSC_KEEP_TMP")) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else fprintf(stderr, "test files kept in %s\n", dir);
}

int tsc_test_run(int argc, char **argv, const tsc_test_case *cases, size_t n)
{
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++) printf("%s\n", cases[i].name);
        return 0;
    }
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
        current_case = cases[i].name;
        cases[i].fn();
        ran++;
        if (tsc_test_failures) {
            fprintf(stderr, "FAIL %s (%d checks failed)\n", cases[i].name, tsc_test_failures);
            cleanup_tmpdir(0);
            return 1;
        }
        cleanup_tmpdir(1);
        printf("PASS %s\n", cases[i].name);
    }
    if (!ran) {
        fprintf(stderr, "no test case named '%s'\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    return 0;
}

int tsc_test_system(const char *fmt, ...)
{
    char cmd[16384];
    FORMAT_VARARGS(cmd, fmt);
    int rc = system(cmd);
    return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int tsc_test_system_output(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[16384];
    FORMAT_VARARGS(cmd, fmt);
    char log[4200];
    snprintf(log, sizeof log, "%s/.system-output.log", tsc_test_tmpdir());
    int rc = tsc_test_system("(%s) > '%s' 2>&1", cmd, log);
    size_t n = 0;
    char *text = tsc_test_read_file(log, &n);
    if (cap) {
        if (n >= cap) n = cap - 1;
        if (text) memcpy(out, text, n);
        out[text ? n : 0] = '\0';
    }
    free(text);
    unlink(log);
    return rc;
}

void tsc_test_children_skip_tls_in_leak_checks(void)
{
    const char *lsan = getenv("LSAN_OPTIONS");
    if (!lsan || strstr(lsan, "use_tls=0")) return;
    char opts[4096];
    snprintf(opts, sizeof opts, "%s:use_tls=0", lsan);
    setenv("LSAN_OPTIONS", opts, 1);
}

const char *tsc_test_program(const char *name)
{
    /* One slot a program, so that a case can hold the paths of several. */
    static char paths[8][4096];
    char want[4096];
    snprintf(want, sizeof want, "%s/bin/%s", tsc_test_env("TSC_BUILD_DIR", "."), name);
    size_t i = 0;
    while (i < 8 && paths[i][0] && strcmp(paths[i], want) != 0) i++;
    if (i == 8) {
        fprintf(stderr, "tsc_test_program: more than 8 programs in one case\n");
        exit(1);
    }
    if (access(want, X_OK) != 0) tsc_test_skip("%s is not built", want);
    memcpy(paths[i], want, sizeof want);
    return paths[i];
}

static char **path_pool;
static size_t n_paths;

static void free_path_pool(void)
{
    for (size_t i = 0; i < n_paths; i++) free(path_pool[i]);
    free(path_pool);
}

const char *tsc_test_path(const char *fmt, ...)
{
    char name[4096];
    FORMAT_VARARGS(name, fmt);
    size_t n = strlen(tsc_test_tmpdir()) + strlen(name) + 2;
    char *p = malloc(n);
    char **pool = realloc(path_pool, (n_paths + 1) * sizeof *pool);
    if (!p || !pool) {
        perror("tsc_test_path");
        exit(1);
    }
    if (!path_pool) atexit(free_path_pool);
    path_pool = pool;
    snprintf(p, n, "%s/%s", tsc_test_tmpdir(), name);
    path_pool[n_paths++] = p;
    return p;
}

const char *tsc_test_folder(const char *fmt, ...)
{
    char name[4096];
    FORMAT_VARARGS(name, fmt);
    const char *path = tsc_test_path("%s", name);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot make %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return path;
}

double tsc_test_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *tsc_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    if (len) *len = (size_t)n;
    return buf;
}

void tsc_test_write_file(const char *path, const char *fmt, ...)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    if (fclose(f) != 0 || n < 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

size_t tsc_test_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

double tsc_test_uniform(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (double)(*state >> 11) / 9007199254740992.0;
}

double tsc_test_gauss(uint64_t *state)
{
    double u = tsc_test_uniform(state) + 1e-12, v = tsc_test_uniform(state);
    return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

const char *tsc_test_phantom_model(const char *edit)
{
    static unsigned n_made;
    const char *src = tsc_test_env("TSC_SOURCE_DIR", ".");
    const char *json = tsc_test_path("phantom-model-%u.json", n_made++);
    if (tsc_test_system("cp '%s/tests/analysis/fixtures/phantom-model.onnx' '%s/' && sed '%s' "
                        "'%s/tests/analysis/fixtures/phantom-model.json' > '%s'",
                        src, tsc_test_tmpdir(), edit ? edit : "", src, json) != 0) {
        fprintf(stderr, "cannot copy the phantom model from %s/tests/analysis/fixtures\n", src);
        exit(1);
    }
    return json;
}

int tsc_test_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    REQUIRE(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    REQUIRE(getsockname(s, (struct sockaddr *)&a, &len) == 0);
    close(s);
    return ntohs(a.sin_port);
}
