/* SPDX-License-Identifier: BSD-3-Clause */
/* The CLI tests' reading of a JSON result (header-only, one per test file). */
#ifndef TSC_CLI_TEST_JSON_H
#define TSC_CLI_TEST_JSON_H

#include <cjson/cJSON.h>
#include <stdio.h>

/* The JSON at `path`, parsed (cJSON_Delete it); NULL when unreadable. */
static inline cJSON *cli_test_load_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return cJSON_Parse(buf);
}

#endif
