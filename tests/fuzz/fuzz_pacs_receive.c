/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: one data set as our Store SCP receives it with a C-STORE
 * (the first byte chooses explicit or implicit VR little endian, the rest is
 * the data set), through the handling both retrieves share: parsed as
 * DCMTK's DIMSE layer parses it, checked (the study asked for, a SOP
 * Instance UID safe as a file name, a SOP Class) and written atomically
 * into the cache folder.  Guarantees checked: at most one file is written,
 * only when the status is success, only `<digits and dots>.dcm` directly in
 * the folder, and no temporary is left.  The folder is private, made once
 * per process (on /dev/shm when writable; TSC_FUZZ_TMPDIR overrides) and
 * emptied after each input.  A libFuzzer binary with -DTSC_FUZZ=ON (clang);
 * otherwise replay_main.c replays corpus/fuzz_pacs_receive under ctest. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "pacs_scp_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The lesion sample's study (corpus/fuzz_pacs_receive comes from it). */
#define STUDY "2.25.212653863236164759780331104116971136268"

static char dir[512];

/* Removes what the input left; returns how many files there were, after
 * checking each name. */
static size_t empty_dir(void)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    FUZZ_CHECK(d != NULL);
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t len = strlen(e->d_name);
        FUZZ_CHECK(len > 4 && !strcmp(e->d_name + len - 4, ".dcm"));
        FUZZ_CHECK(strspn(e->d_name, "0123456789.") == len - 3);
        FUZZ_CHECK(e->d_name[0] != '.');
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
        n++;
    }
    closedir(d);
    return n;
}

static void remove_dir(void)
{
    empty_dir();
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        fuzz_make_tmpdir(dir, sizeof dir, "pacs");
        atexit(remove_dir);
    }
    if (size < 1) return 0;
    size_t written = 99;
    unsigned status =
        tsc__pacs_receive_dataset(data + 1, size - 1, data[0] & 1, STUDY, dir, &written);
    if (fuzz_is_verbose()) fprintf(stderr, "  status 0x%04x, %zu written\n", status, written);
    FUZZ_CHECK(written <= 1);
    FUZZ_CHECK((status == 0) == (written == 1));
    FUZZ_CHECK(empty_dir() == written);
    return 0;
}
