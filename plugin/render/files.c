/* SPDX-License-Identifier: BSD-3-Clause */
/* Output files: atomic creation, no overwrite without force, never inside
 * the study's input folders; PNG encoding with controlled text chunks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "render_private.h"

/* ---- paths ------------------------------------------------------------- */

/* Resolves `path` like realpath(3) even when its last components do not
 * exist yet: the longest existing prefix is resolved, the rest is appended
 * lexically ("." and ".." handled).  Returns 0 on success. */
static int resolve(const char *path, char *out, size_t n)
{
    char buf[PATH_MAX];
    if (path[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return -1;
        if ((size_t)snprintf(buf, sizeof buf, "%s/%s", cwd, path) >= sizeof buf) return -1;
    } else {
        if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf) return -1;
    }
    /* Find the longest existing prefix ending at a '/'. */
    size_t cut = strlen(buf);
    char head[PATH_MAX];
    for (;;) {
        memcpy(head, buf, cut);
        head[cut] = '\0';
        char real[PATH_MAX];
        if (cut == 0 || realpath(head[0] ? head : "/", real)) {
            if (cut == 0) strcpy(real, "/");
            /* Append the remaining components lexically. */
            char res[PATH_MAX];
            snprintf(res, sizeof res, "%s", real);
            const char *p = buf + cut;
            while (*p) {
                while (*p == '/') p++;
                if (!*p) break;
                const char *e = strchr(p, '/');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                if (len == 1 && p[0] == '.') {
                } else if (len == 2 && p[0] == '.' && p[1] == '.') {
                    char *slash = strrchr(res, '/');
                    if (slash && slash != res) *slash = '\0';
                    else strcpy(res, "/");
                } else {
                    size_t rl = strlen(res);
                    if (rl + len + 2 > sizeof res) return -1;
                    if (rl > 1) res[rl++] = '/';
                    memcpy(res + rl, p, len);
                    res[rl + len] = '\0';
                }
                p += len;
            }
            if (strlen(res) + 1 > n) return -1;
            strcpy(out, res);
            return 0;
        }
        /* Step back to the previous '/'. */
        while (cut > 0 && buf[cut - 1] != '/') cut--;
        while (cut > 1 && buf[cut - 1] == '/') cut--;
        if (cut <= 1) cut = 0;
    }
}

static int is_inside(const char *p, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/') return 1;
    return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

tsc_status tsc__check_outside_inputs(const tsc_dicom_index *index, const char *path, int is_dir,
                                     tsc_error *err)
{
    char target[PATH_MAX];
    char folder[PATH_MAX];
    if ((size_t)snprintf(folder, sizeof folder, "%s", path) >= sizeof folder)
        return tsc_error_set(err, TSC_EINVAL, "output path is too long");
    if (!is_dir) {
        /* The folder the file goes into must exist. */
        char *slash = strrchr(folder, '/');
        if (!slash) strcpy(folder, ".");
        else if (slash == folder) folder[1] = '\0';
        else *slash = '\0';
        struct stat st;
        if (stat(folder, &st) != 0 || !S_ISDIR(st.st_mode))
            return tsc_error_set(err, TSC_ENOTFOUND,
                                 "output folder %s does not exist; create it or choose another",
                                 folder);
    }
    if (resolve(folder, target, sizeof target) != 0)
        return tsc_error_set(err, TSC_EINVAL, "cannot resolve the output folder %s", folder);

    /* Compare with the resolved folder of every input file; consecutive
     * slices usually share one, so resolve each distinct name once. */
    char last[PATH_MAX] = "", real[PATH_MAX];
    for (size_t s = 0; s < tsc_dicom_n_series(index); s++) {
        const tsc_dicom_series_info *se = tsc_dicom_get_series(index, s);
        for (size_t k = 0; k < se->n_slices; k++) {
            const char *p = tsc_dicom_get_slice(index, s, k)->path;
            char dir[PATH_MAX];
            if ((size_t)snprintf(dir, sizeof dir, "%s", p) >= sizeof dir) continue;
            char *slash = strrchr(dir, '/');
            if (!slash) strcpy(dir, ".");
            else if (slash == dir) dir[1] = '\0';
            else *slash = '\0';
            if (strcmp(dir, last) == 0) continue;
            snprintf(last, sizeof last, "%s", dir);
            if (!realpath(dir, real)) continue;
            if (is_inside(target, real))
                return tsc_error_set(err, TSC_EINVAL,
                                     "output folder %s is inside the study's input folder %s; "
                                     "tumorscope never writes into input folders, choose another",
                                     target, real);
        }
    }
    return TSC_OK;
}

tsc_status tsc__mkdirs(const char *path, tsc_error *err)
{
    char buf[PATH_MAX];
    if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
        return tsc_error_set(err, TSC_EINVAL, "output path is too long");
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return tsc_error_set(err, TSC_EIO, "cannot create folder %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return tsc_error_set(err, TSC_EIO, "cannot create folder %s: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return tsc_error_set(err, TSC_EIO, "%s exists and is not a folder", buf);
    return TSC_OK;
}

/* ---- atomic output files ----------------------------------------------- */

static tsc_status outfile_begin(tsc__outfile *o, const char *path, int force, int keep_open,
                                tsc_error *err)
{
    memset(o, 0, sizeof *o);
    o->force = force;
    if ((size_t)snprintf(o->path, sizeof o->path, "%s", path) >= sizeof o->path)
        return tsc_error_set(err, TSC_EINVAL, "output path is too long");
    struct stat st;
    if (!force && lstat(path, &st) == 0)
        return tsc_error_set(err, TSC_EEXIST, "%s already exists; pass --force to overwrite it",
                             path);
    /* The temporary sits next to the target so that rename() is atomic. */
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 0;
    const char *base = slash ? slash + 1 : path;
    if ((size_t)snprintf(o->tmp, sizeof o->tmp, "%.*s%s.%s.XXXXXX", dirlen, path, slash ? "/" : "",
                         base) >= sizeof o->tmp)
        return tsc_error_set(err, TSC_EINVAL, "output path is too long");
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        o->tmp[0] = '\0';
        return tsc_error_set(err, TSC_EIO, "cannot create a file next to %s: %s", path,
                             strerror(e));
    }
    fchmod(fd, 0644);
    if (!keep_open) {
        close(fd);
        return TSC_OK;
    }
    o->fp = fdopen(fd, "wb");
    if (!o->fp) {
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return tsc_error_set(err, TSC_EIO, "cannot open a file next to %s", path);
    }
    return TSC_OK;
}

tsc_status tsc__outfile_open(tsc__outfile *o, const char *path, int force, tsc_error *err)
{
    return outfile_begin(o, path, force, 1, err);
}

tsc_status tsc__outfile_reserve(tsc__outfile *o, const char *path, int force, tsc_error *err)
{
    return outfile_begin(o, path, force, 0, err);
}

void tsc__outfile_abort(tsc__outfile *o)
{
    if (o->fp) fclose(o->fp);
    o->fp = NULL;
    if (o->tmp[0]) unlink(o->tmp);
    o->tmp[0] = '\0';
}

static void fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) strcpy(dir, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

tsc_status tsc__outfile_commit(tsc__outfile *o, tsc_error *err)
{
    if (o->fp) {
        int bad = fflush(o->fp) != 0 || fsync(fileno(o->fp)) != 0;
        int e = errno;
        bad |= fclose(o->fp) != 0;
        o->fp = NULL;
        if (bad) {
            tsc__outfile_abort(o);
            return tsc_error_set(err, TSC_EIO, "writing %s failed: %s", o->path, strerror(e));
        }
    } else {
        int fd = open(o->tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0) {
            int e = errno;
            if (fd >= 0) close(fd);
            tsc__outfile_abort(o);
            return tsc_error_set(err, TSC_EIO, "writing %s failed: %s", o->path, strerror(e));
        }
        close(fd);
    }
    if (o->force) {
        if (rename(o->tmp, o->path) != 0) {
            int e = errno;
            tsc__outfile_abort(o);
            return tsc_error_set(err, TSC_EIO, "cannot move the new file to %s: %s", o->path,
                                 strerror(e));
        }
    } else if (link(o->tmp, o->path) == 0) {
        /* link() never replaces: a file that appeared meanwhile is kept. */
        unlink(o->tmp);
    } else if (errno == EEXIST) {
        tsc__outfile_abort(o);
        return tsc_error_set(err, TSC_EEXIST, "%s already exists; pass --force to overwrite it",
                             o->path);
    } else {
        /* Filesystems without hard links: check, then rename. */
        struct stat st;
        if (lstat(o->path, &st) == 0) {
            tsc__outfile_abort(o);
            return tsc_error_set(err, TSC_EEXIST,
                                 "%s already exists; pass --force to overwrite it", o->path);
        }
        if (rename(o->tmp, o->path) != 0) {
            int e = errno;
            tsc__outfile_abort(o);
            return tsc_error_set(err, TSC_EIO, "cannot move the new file to %s: %s", o->path,
                                 strerror(e));
        }
    }
    o->tmp[0] = '\0';
    fsync_dir_of(o->path);
    return TSC_OK;
}

/* ---- PNG --------------------------------------------------------------- */

typedef struct png_ctx {
    char message[200];
} png_ctx;

static void png_error_fn(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->message, sizeof c->message, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

tsc_status tsc__write_png(cairo_surface_t *s, FILE *fp, const char *const *text, tsc_error *err)
{
    cairo_surface_flush(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    if (!data || w <= 0 || h <= 0) return tsc_error_set(err, TSC_EINVAL, "nothing to write");
    png_ctx ctx = {""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, png_error_fn, png_warn_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = malloc((size_t)w * 3);
    if (!png || !info || !row) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for the PNG encoder");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return tsc_error_set(err, TSC_EIO, "PNG encoding failed: %s", ctx.message);
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_text chunks[16];
    int n = 0;
    for (; text && text[2 * n] && n < 16; n++) {
        chunks[n].compression = PNG_TEXT_COMPRESSION_NONE;
        chunks[n].key = (png_charp)text[2 * n];
        chunks[n].text = (png_charp)text[2 * n + 1];
        chunks[n].text_length = strlen(text[2 * n + 1]);
        chunks[n].itxt_length = 0;
        chunks[n].lang = NULL;
        chunks[n].lang_key = NULL;
    }
    if (n) png_set_text(png, info, chunks, n);
    png_write_info(png, info);
    int is_argb = cairo_image_surface_get_format(s) == CAIRO_FORMAT_ARGB32;
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)(const void *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            uint32_t p = src[x];
            unsigned a = is_argb ? p >> 24 : 255;
            unsigned r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
            /* Composite premultiplied pixels over white. */
            row[3 * x] = (unsigned char)(r + (255 - a));
            row[3 * x + 1] = (unsigned char)(g + (255 - a));
            row[3 * x + 2] = (unsigned char)(b + (255 - a));
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    return TSC_OK;
}

/* ---- dates ------------------------------------------------------------- */

void tsc__timestamp(const char *given, char *out, size_t n)
{
    if (given && *given) {
        snprintf(out, n, "%s", given);
        return;
    }
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

void tsc__format_date(const char *d, char *out, size_t n)
{
    if (d && strlen(d) == 8 && strspn(d, "0123456789") == 8)
        snprintf(out, n, "%.4s-%.2s-%.2s", d, d + 4, d + 6);
    else
        snprintf(out, n, "%s", d ? d : "");
}
