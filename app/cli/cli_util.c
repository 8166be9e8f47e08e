#include "cli_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const tsc_plugin_api *tsc_cli_plugin(void)
{
    const tsc_plugin_api *api = tsc_plugin_get_api(TSC_PLUGIN_API_VERSION);
    if (!api) {
        fprintf(stderr,
                "tumorscope: the plugin does not serve ABI version %u that this program needs; "
                "install a matching libtumorscope-plugin\n",
                TSC_PLUGIN_API_VERSION);
        return NULL;
    }
    return api;
}

int tsc_cli_method_from_string(const char *s)
{
    if (!strcmp(s, "cnn")) return TSC_METHOD_CNN;
    if (!strcmp(s, "threshold")) return TSC_METHOD_THRESHOLD;
    if (!strcmp(s, "region-growing")) return TSC_METHOD_REGION_GROWING;
    return -1;
}

double tsc_cli_round(double v, int decimals)
{
    if (!isfinite(v)) return v;
    double f = pow(10.0, decimals);
    return round(v * f) / f;
}

int tsc_cli_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

tsc_status tsc_cli_write_file_atomic(const char *path, const void *data, size_t n, int force,
                                     tsc_error *err)
{
    if (!strcmp(path, "-")) {
        if (fwrite(data, 1, n, stdout) != n || fputc('\n', stdout) == EOF)
            return tsc_error_set(err, TSC_EIO, "cannot write to standard output");
        return TSC_OK;
    }
    if (!force && access(path, F_OK) == 0)
        return tsc_error_set(err, TSC_EEXIST, "%s exists; pass --force to replace it", path);
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return tsc_error_set(err, TSC_EINVAL, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return tsc_error_set(err, TSC_EIO, "%s: cannot create: %s", path, strerror(errno));
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return tsc_error_set(err, TSC_EIO, "%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return tsc_error_set(err, TSC_EIO, "%s: cannot finish writing: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return tsc_error_set(err, TSC_EIO, "%s: cannot move into place: %s", path, strerror(e));
    }
    return TSC_OK;
}
