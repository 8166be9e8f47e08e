/* SPDX-License-Identifier: BSD-3-Clause */
/* File-system helpers shared by the writers: atomic files, output folders,
 * sorted listings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow_private.h"
#include "tsc_io.h"

struct tsc_atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;
};

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* The folder part of `path` ("." when it has none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return dup_string(".");
    if (slash == path) return dup_string("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

tsc_status tsc_atomic_file_open(const char *path, tsc_atomic_file **out, tsc_error *err)
{
    TSC_ASSERT(path && out);
    *out = NULL;
    tsc_atomic_file *f = calloc(1, sizeof *f);
    if (!f) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    f->path = dup_string(path);
    /* The temporary sits in the same folder so that rename() is atomic, and
     * is hidden so that folder scans started meanwhile skip it. */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_len;
    size_t n = dir_len + strlen(base) + 16;
    f->tmp_path = malloc(n);
    if (!f->path || !f->tmp_path) {
        free(f->path);
        free(f->tmp_path);
        free(f);
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    }
    snprintf(f->tmp_path, n, "%.*s.%s.XXXXXX", (int)dir_len, path, base);
    int fd = mkstemp(f->tmp_path);
    if (fd < 0) {
        int e = errno;
        free(f->path);
        free(f->tmp_path);
        free(f);
        return tsc_error_set(err, e == ENOENT ? TSC_ENOTFOUND : TSC_EIO,
                             "%s: cannot create a temporary file next to it: %s", path,
                             strerror(e));
    }
    /* mkstemp makes 0600; written files should get the usual umask mode. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        int e = errno;
        close(fd);
        unlink(f->tmp_path);
        free(f->path);
        free(f->tmp_path);
        free(f);
        return tsc_error_set(err, TSC_EIO, "%s: %s", path, strerror(e));
    }
    *out = f;
    return TSC_OK;
}

FILE *tsc_atomic_file_get_stream(tsc_atomic_file *file)
{
    TSC_ASSERT(file);
    return file->fp;
}

const char *tsc_atomic_file_get_temp_path(const tsc_atomic_file *file)
{
    TSC_ASSERT(file);
    return file->tmp_path;
}

static void atomic_free(tsc_atomic_file *f)
{
    free(f->path);
    free(f->tmp_path);
    free(f);
}

void tsc_atomic_file_abort(tsc_atomic_file *file)
{
    if (!file) return;
    if (file->fp) fclose(file->fp);
    unlink(file->tmp_path);
    atomic_free(file);
}

tsc_status tsc_atomic_file_commit(tsc_atomic_file *file, tsc_error *err)
{
    TSC_ASSERT(file);
    int e = 0;
    if (fflush(file->fp) != 0) e = errno;
    /* A writer that reopened the temporary by name wrote through another
     * descriptor; fsync works on the inode, so a fresh descriptor syncs it. */
    int fd = open(file->tmp_path, O_RDONLY);
    if (!e && fd < 0) e = errno;
    if (!e && fsync(fd) != 0) e = errno;
    if (fd >= 0) close(fd);
    if (fclose(file->fp) != 0 && !e) e = errno;
    file->fp = NULL;
    if (!e && rename(file->tmp_path, file->path) != 0) e = errno;
    if (e) {
        tsc_status st = tsc_error_set(err, TSC_EIO, "%s: writing failed: %s", file->path,
                                      strerror(e));
        unlink(file->tmp_path);
        atomic_free(file);
        return st;
    }
    /* Make the rename itself durable. */
    char *dir = dir_of(file->path);
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    atomic_free(file);
    return TSC_OK;
}

/* mkdir -p. */
static int make_dirs(const char *dir)
{
    char *p = dup_string(dir);
    if (!p) return ENOMEM;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            free(p);
            return e;
        }
        *s = '/';
    }
    int e = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) e = errno;
    free(p);
    return e;
}

tsc_status tsc_io_prepare_output_dir(const char *dir, int allow_non_empty, tsc_error *err)
{
    TSC_ASSERT(dir);
    if (!*dir) return tsc_error_set(err, TSC_EINVAL, "the output folder name is empty");
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return tsc_error_set(err, TSC_EIO, "%s: %s", dir, strerror(errno));
        int e = make_dirs(dir);
        if (e) return tsc_error_set(err, TSC_EIO, "%s: cannot create the folder: %s", dir,
                                    strerror(e));
        return TSC_OK;
    }
    if (!S_ISDIR(st.st_mode))
        return tsc_error_set(err, TSC_EEXIST, "%s: exists and is not a folder", dir);
    if (allow_non_empty) return TSC_OK;
    DIR *d = opendir(dir);
    if (!d) return tsc_error_set(err, TSC_EIO, "%s: %s", dir, strerror(errno));
    int empty = 1;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        empty = 0;
        break;
    }
    closedir(d);
    if (!empty)
        return tsc_error_set(err, TSC_EEXIST,
                             "%s: the folder is not empty; choose a new or empty folder",
                             dir);
    return TSC_OK;
}

static int has_suffix(const char *name, const char *const *suffixes, size_t n)
{
    if (n == 0) return 1;
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++) {
        size_t sl = strlen(suffixes[i]);
        if (len >= sl && strcasecmp(name + len - sl, suffixes[i]) == 0) return 1;
    }
    return 0;
}

/* Name order with runs of digits compared as numbers, so that unpadded
 * slice numbers sort as people expect (slice2 before slice10). */
static int compare_natural(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a == '0' && a[1] >= '0' && a[1] <= '9') a++;
            while (*b == '0' && b[1] >= '0' && b[1] <= '9') b++;
            size_t na = 0, nb = 0;
            while (a[na] >= '0' && a[na] <= '9') na++;
            while (b[nb] >= '0' && b[nb] <= '9') nb++;
            if (na != nb) return na < nb ? -1 : 1;
            int c = memcmp(a, b, na);
            if (c) return c;
            a += na;
            b += nb;
            continue;
        }
        if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    if (*a || *b) return *a ? 1 : -1;
    return 0;
}

static int compare_paths(const void *a, const void *b)
{
    const char *pa = *(char *const *)a, *pb = *(char *const *)b;
    int c = compare_natural(pa, pb);
    /* Equal numerically ("01" vs "1"): fall back to bytes for a total order. */
    return c ? c : strcmp(pa, pb);
}

void tsc_io_free_paths(char **paths, size_t count)
{
    if (!paths) return;
    for (size_t i = 0; i < count; i++) free(paths[i]);
    free(paths);
}

tsc_status tsc_io_list_dir(const char *dir, const char *const *suffixes, size_t n_suffixes,
                           char ***out_paths, size_t *out_count, tsc_error *err)
{
    TSC_ASSERT(dir && out_paths && out_count);
    *out_paths = NULL;
    *out_count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return tsc_error_set(err, errno == ENOENT ? TSC_ENOTFOUND : TSC_EIO, "%s: %s", dir,
                             strerror(errno));
    char **paths = NULL;
    size_t n = 0, cap = 0;
    tsc_status status = TSC_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (!has_suffix(de->d_name, suffixes, n_suffixes)) continue;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(len);
        if (!p) {
            status = tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", dir);
            break;
        }
        snprintf(p, len, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        char **np = tsc__grow(paths, &cap, n + 1, sizeof *np, 64);
        if (!np) {
            free(p);
            status = tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", dir);
            break;
        }
        paths = np;
        paths[n++] = p;
    }
    closedir(d);
    if (status != TSC_OK) {
        tsc_io_free_paths(paths, n);
        return status;
    }
    if (n) qsort(paths, n, sizeof *paths, compare_paths);
    *out_paths = paths;
    *out_count = n;
    return TSC_OK;
}
