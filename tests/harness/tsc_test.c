#include "tsc_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

const char *tsc_test_tmpdir(void)
{
    static char path[4096];
    if (path[0]) return path;
    snprintf(path, sizeof path, "%s/tsc-%s-XXXXXX", tsc_test_env("TMPDIR", "/tmp"), current_case);
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        exit(1);
    }
    return path;
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
            return 1;
        }
        printf("PASS %s\n", cases[i].name);
    }
    if (!ran) {
        fprintf(stderr, "no test case named '%s'\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    return 0;
}
