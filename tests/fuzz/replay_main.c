/* SPDX-License-Identifier: BSD-3-Clause */
/* Replays a fuzz corpus through LLVMFuzzerTestOneInput, so that the normal
 * (gcc) build runs every seed and every input that once crashed the fuzzer
 * as a regression test.  Arguments are files or folders (their regular,
 * non-hidden files, in name order).  Each input is named on stderr before it
 * runs, so a crash points at its file. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 0;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
        fclose(f);
        fprintf(stderr, "cannot stat %s\n", path);
        return 0;
    }
    size_t len = (size_t)st.st_size;
    /* An exact-size heap copy, as libFuzzer gives, so that ASan sees reads
     * past the end. */
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf || fread(buf, 1, len, f) != len) {
        free(buf);
        fclose(f);
        fprintf(stderr, "cannot read %s\n", path);
        return 0;
    }
    fclose(f);
    fprintf(stderr, "replaying %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs replayed, or -1 when one could not be read. */
static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open folder %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) abort();
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len))) abort();
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    int done = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (!replay_file(names[i])) done = -1;
            else if (done >= 0) done++;
        }
        free(names[i]);
    }
    free(names);
    return done;
}

int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "cannot open %s\n", argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            int k = replay_dir(argv[i]);
            if (k < 0) return 1;
            n += k;
        } else if (!replay_file(argv[i])) {
            return 1;
        } else {
            n++;
        }
    }
    printf("replayed %d input(s)\n", n);
    /* An empty corpus would pass silently; say it failed instead. */
    return n > 0 ? 0 : 1;
}
