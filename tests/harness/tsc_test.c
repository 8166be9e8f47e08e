/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/wait.h>
#include <unistd.h>

int tsc_test_failures;
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
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
