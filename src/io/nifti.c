/* SPDX-License-Identifier: BSD-3-Clause */
/* NIfTI-1 single-file volumes (.nii, .nii.gz) read to float32.
 *
 * The header is validated before any voxel buffer is allocated, and the
 * buffer then grows with the data actually read, so a short or lying file
 * costs only what it contains. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "tsc_io.h"

#define NIFTI_HEADER_SIZE 348

tsc_nifti_params tsc_nifti_default_params(void)
{
    tsc_nifti_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.max_bytes = (uint64_t)2 << 30;
    return p;
}

/* ---- byte sources: plain file, gzip file, memory, gzip memory ---------- */

typedef struct source {
    /* Returns bytes read (< n only at the end), or -1 with `error` set. */
    long (*read)(struct source *s, void *buf, size_t n);
    FILE *fp;
    gzFile gz;
    const unsigned char *data;
    size_t size, pos;
    z_stream zs;
    int zs_done;
    char error[160];
} source;

static long read_file(source *s, void *buf, size_t n)
{
    size_t got = fread(buf, 1, n, s->fp);
    if (got < n && ferror(s->fp)) {
        snprintf(s->error, sizeof s->error, "read error: %s", strerror(errno));
        return -1;
    }
    return (long)got;
}

static long read_gzfile(source *s, void *buf, size_t n)
{
    size_t total = 0;
    while (total < n) {
        unsigned chunk = n - total > (1u << 30) ? (1u << 30) : (unsigned)(n - total);
        int got = gzread(s->gz, (char *)buf + total, chunk);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(s->gz, &zerr);
            snprintf(s->error, sizeof s->error, "gzip data is corrupt: %s", msg ? msg : "?");
            return -1;
        }
        if (got == 0) {
            /* gzread reports a truncated stream as a plain end; ask. */
            int zerr;
            const char *msg = gzerror(s->gz, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                snprintf(s->error, sizeof s->error, "gzip data is corrupt: %s",
                         msg ? msg : "?");
                return -1;
            }
            break;
        }
        total += (size_t)got;
    }
    return (long)total;
}

static long read_memory(source *s, void *buf, size_t n)
{
    size_t left = s->size - s->pos;
    if (n > left) n = left;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (long)n;
}

static long read_gzmemory(source *s, void *buf, size_t n)
{
    if (s->zs_done) return 0;
    s->zs.next_out = buf;
    size_t total = 0;
    while (total < n) {
        size_t want = n - total;
        s->zs.avail_out = want > (1u << 30) ? (1u << 30) : (uInt)want;
        s->zs.next_out = (Bytef *)buf + total;
        uInt before = s->zs.avail_out;
        int r = inflate(&s->zs, Z_NO_FLUSH);
        total += before - s->zs.avail_out;
        if (r == Z_STREAM_END) {
            /* Concatenated gzip members are legal; continue with the next. */
            if (s->zs.avail_in > 0) {
                if (inflateReset(&s->zs) != Z_OK) return -1;
                continue;
            }
            s->zs_done = 1;
            break;
        }
        if (r == Z_BUF_ERROR && s->zs.avail_in == 0) break; /* truncated */
        if (r != Z_OK) {
            snprintf(s->error, sizeof s->error, "gzip data is corrupt: %s",
                     s->zs.msg ? s->zs.msg : "inflate failed");
            return -1;
        }
    }
    return (long)total;
}

static long source_read(source *s, void *buf, size_t n)
{
    return s->read(s, buf, n);
}

/* ---- header ------------------------------------------------------------- */

typedef struct header {
    int swap;
    int16_t dim[8];
    int16_t datatype, bitpix;
    float pixdim[8];
    float vox_offset, scl_slope, scl_inter;
    char xyzt_units;
    int16_t qform_code, sform_code;
    float quatern[3], qoffset[3];
    float srow[3][4];
    char magic[4];
} header;

static uint16_t bswap16(uint16_t v)
{
    return (uint16_t)((v >> 8) | (v << 8));
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static int32_t get_i32(const unsigned char *p, int swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    if (swap) v = bswap32(v);
    return (int32_t)v;
}

static int16_t get_i16(const unsigned char *p, int swap)
{
    uint16_t v;
    memcpy(&v, p, 2);
    if (swap) v = bswap16(v);
    return (int16_t)v;
}

static float get_f32(const unsigned char *p, int swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    if (swap) v = bswap32(v);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static tsc_status parse_header(const unsigned char *h, const char *name, header *hd,
                               tsc_error *err)
{
    memset(hd, 0, sizeof *hd);
    int32_t sizeof_hdr = get_i32(h, 0);
    if (sizeof_hdr != NIFTI_HEADER_SIZE) {
        if (get_i32(h, 1) == NIFTI_HEADER_SIZE)
            hd->swap = 1;
        else if (sizeof_hdr == 540 || get_i32(h, 1) == 540)
            return tsc_error_set(err, TSC_EUNSUPPORTED,
                                 "%s: NIfTI-2 files are not supported; convert to NIfTI-1",
                                 name);
        else
            return tsc_error_set(err, TSC_EFORMAT,
                                 "%s: not a NIfTI-1 file (sizeof_hdr is %d, expected 348)", name,
                                 (int)sizeof_hdr);
    }
    int sw = hd->swap;
    memcpy(hd->magic, h + 344, 4);
    if (memcmp(hd->magic, "ni1\0", 4) == 0)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "%s: a NIfTI .hdr/.img pair is not supported; convert it to a "
                             "single .nii file",
                             name);
    if (memcmp(hd->magic, "n+1\0", 4) != 0)
        return tsc_error_set(err, TSC_EFORMAT,
                             "%s: no NIfTI-1 magic \"n+1\" (an old Analyze 7.5 file?)", name);
    for (int i = 0; i < 8; i++) hd->dim[i] = get_i16(h + 40 + 2 * i, sw);
    hd->datatype = get_i16(h + 70, sw);
    hd->bitpix = get_i16(h + 72, sw);
    for (int i = 0; i < 8; i++) hd->pixdim[i] = get_f32(h + 76 + 4 * i, sw);
    hd->vox_offset = get_f32(h + 108, sw);
    hd->scl_slope = get_f32(h + 112, sw);
    hd->scl_inter = get_f32(h + 116, sw);
    hd->xyzt_units = (char)h[123];
    hd->qform_code = get_i16(h + 252, sw);
    hd->sform_code = get_i16(h + 254, sw);
    for (int i = 0; i < 3; i++) hd->quatern[i] = get_f32(h + 256 + 4 * i, sw);
    for (int i = 0; i < 3; i++) hd->qoffset[i] = get_f32(h + 268 + 4 * i, sw);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) hd->srow[r][c] = get_f32(h + 280 + 16 * r + 4 * c, sw);
    return TSC_OK;
}

static int datatype_size(int datatype)
{
    switch (datatype) {
    case TSC_NIFTI_UINT8:
    case TSC_NIFTI_INT8: return 1;
    case TSC_NIFTI_INT16:
    case TSC_NIFTI_UINT16: return 2;
    case TSC_NIFTI_INT32:
    case TSC_NIFTI_UINT32:
    case TSC_NIFTI_FLOAT32: return 4;
    case TSC_NIFTI_FLOAT64: return 8;
    default: return 0;
    }
}

static float convert_voxel(const unsigned char *p, int datatype, int swap)
{
    switch (datatype) {
    case TSC_NIFTI_UINT8: return (float)p[0];
    case TSC_NIFTI_INT8: return (float)(int8_t)p[0];
    case TSC_NIFTI_INT16: return (float)get_i16(p, swap);
    case TSC_NIFTI_UINT16: return (float)(uint16_t)get_i16(p, swap);
    case TSC_NIFTI_INT32: return (float)get_i32(p, swap);
    case TSC_NIFTI_UINT32: return (float)(uint32_t)get_i32(p, swap);
    case TSC_NIFTI_FLOAT32: return get_f32(p, swap);
    case TSC_NIFTI_FLOAT64: {
        uint64_t v;
        memcpy(&v, p, 8);
        if (swap)
            v = ((uint64_t)bswap32((uint32_t)v) << 32) | bswap32((uint32_t)(v >> 32));
        double d;
        memcpy(&d, &v, 8);
        return (float)d;
    }
    default: return 0.0f;
    }
}

/* Spatial unit code (xyzt_units & 7) to millimetres per unit. */
static double unit_to_mm(int code)
{
    switch (code & 7) {
    case 1: return 1000.0; /* metre */
    case 3: return 0.001;  /* micron */
    default: return 1.0;   /* mm, or unknown: NIfTI tools assume mm */
    }
}

/* The voxel-to-world transform following the NIfTI-1 rules: sform when
 * sform_code > 0, else qform when qform_code > 0, else pixdim scaling. */
static void compute_transform(const header *hd, tsc_volume *v)
{
    double u = unit_to_mm(hd->xyzt_units);
    double dx = fabs(hd->pixdim[1]), dy = fabs(hd->pixdim[2]), dz = fabs(hd->pixdim[3]);
    if (!(dx > 0) || !isfinite(dx)) dx = 1;
    if (!(dy > 0) || !isfinite(dy)) dy = 1;
    if (!(dz > 0) || !isfinite(dz)) dz = 1;
    memset(v->ijk_to_xyz, 0, sizeof v->ijk_to_xyz);
    int ok_s = hd->sform_code > 0;
    for (int r = 0; r < 3 && ok_s; r++)
        for (int c = 0; c < 4; c++)
            if (!isfinite(hd->srow[r][c])) ok_s = 0;
    if (ok_s) {
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) v->ijk_to_xyz[r][c] = hd->srow[r][c] * u;
        v->xform = TSC_NIFTI_XFORM_SFORM;
    } else if (hd->qform_code > 0) {
        double b = hd->quatern[0], c = hd->quatern[1], d = hd->quatern[2];
        double a2 = 1.0 - (b * b + c * c + d * d);
        double a = a2 > 1e-7 ? sqrt(a2) : 0.0;
        if (a == 0.0) {
            /* A 180-degree rotation: renormalise (b,c,d) as the spec says. */
            double n = sqrt(b * b + c * c + d * d);
            if (n > 0) {
                b /= n;
                c /= n;
                d /= n;
            }
        }
        double qfac = hd->pixdim[0] < 0 ? -1.0 : 1.0;
        double R[3][3] = {
            {a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
            {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)},
            {2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b}};
        double s[3] = {dx * u, dy * u, dz * qfac * u};
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 3; k++) v->ijk_to_xyz[r][k] = R[r][k] * s[k];
            v->ijk_to_xyz[r][3] = hd->qoffset[r] * u;
        }
        v->xform = TSC_NIFTI_XFORM_QFORM;
    } else {
        v->ijk_to_xyz[0][0] = dx * u;
        v->ijk_to_xyz[1][1] = dy * u;
        v->ijk_to_xyz[2][2] = dz * u;
        v->xform = TSC_NIFTI_XFORM_NONE;
    }
    /* Spacing from the chosen transform's columns, so it agrees with it. */
    for (int k = 0; k < 3; k++) {
        double n = 0;
        for (int r = 0; r < 3; r++) n += v->ijk_to_xyz[r][k] * v->ijk_to_xyz[r][k];
        n = sqrt(n);
        v->spacing[k] = n > 0 ? n : 1.0;
    }
}

/* ---- reading ------------------------------------------------------------- */

/* `known_size` is the stored file length when known (plain files), else 0. */
static tsc_status read_volume(source *src, const char *name, uint64_t known_size,
                              const tsc_nifti_params *params, tsc_volume **out, tsc_error *err)
{
    unsigned char h[NIFTI_HEADER_SIZE];
    long got = source_read(src, h, sizeof h);
    if (got < 0) return tsc_error_set(err, TSC_EIO, "%s: %s", name, src->error);
    if (got < (long)sizeof h)
        return tsc_error_set(err, TSC_EFORMAT,
                             "%s: file too short for a NIfTI-1 header (%ld of 348 bytes)", name,
                             got);
    header hd;
    tsc_status st = parse_header(h, name, &hd, err);
    if (st != TSC_OK) return st;

    int ndim = hd.dim[0];
    if (ndim < 1 || ndim > 7)
        return tsc_error_set(err, TSC_EFORMAT, "%s: dim[0] is %d (must be 1..7)", name, ndim);
    int64_t n[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    for (int i = 1; i <= ndim; i++) {
        if (hd.dim[i] < 1)
            return tsc_error_set(err, TSC_EFORMAT, "%s: dim[%d] is %d (must be at least 1)",
                                 name, i, (int)hd.dim[i]);
        n[i] = hd.dim[i];
    }
    int size = datatype_size(hd.datatype);
    if (!size)
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "%s: NIfTI datatype %d is not supported (use uint8, int8, int16, "
                             "uint16, int32, uint32, float32 or float64)",
                             name, (int)hd.datatype);
    if (hd.bitpix != size * 8)
        return tsc_error_set(err, TSC_EFORMAT, "%s: bitpix %d does not match datatype %d", name,
                             (int)hd.bitpix, (int)hd.datatype);
    if (!(hd.vox_offset >= NIFTI_HEADER_SIZE) || !isfinite(hd.vox_offset) ||
        hd.vox_offset != floorf(hd.vox_offset) || hd.vox_offset > 64.0f * 1024 * 1024)
        return tsc_error_set(err, TSC_EFORMAT, "%s: vox_offset %g is invalid", name,
                             (double)hd.vox_offset);
    uint64_t voxels = (uint64_t)n[1] * (uint64_t)n[2] * (uint64_t)n[3]; /* < 2^45: no overflow */
    uint64_t max_bytes = params ? params->max_bytes : tsc_nifti_default_params().max_bytes;
    if (voxels * sizeof(float) > max_bytes)
        return tsc_error_set(err, TSC_ELIMIT,
                             "%s: %dx%dx%d voxels would need %.1f GiB, over the limit of %.1f "
                             "GiB",
                             name, (int)n[1], (int)n[2], (int)n[3],
                             (double)(voxels * sizeof(float)) / (1 << 30),
                             (double)max_bytes / (1 << 30));
    uint64_t offset = (uint64_t)hd.vox_offset;
    uint64_t data_bytes = voxels * (uint64_t)size;
    if (known_size && known_size < offset + data_bytes)
        return tsc_error_set(err, TSC_EFORMAT,
                             "%s: file is %llu bytes but the header declares %dx%dx%d voxels "
                             "ending at byte %llu (truncated file?)",
                             name, (unsigned long long)known_size, (int)n[1], (int)n[2],
                             (int)n[3], (unsigned long long)(offset + data_bytes));

    /* Skip the extensions between the header and the voxels. */
    unsigned char skip[4096];
    uint64_t to_skip = offset - NIFTI_HEADER_SIZE;
    while (to_skip > 0) {
        size_t chunk = to_skip > sizeof skip ? sizeof skip : (size_t)to_skip;
        long r = source_read(src, skip, chunk);
        if (r < 0) return tsc_error_set(err, TSC_EIO, "%s: %s", name, src->error);
        if ((size_t)r < chunk)
            return tsc_error_set(err, TSC_EFORMAT, "%s: file ends before vox_offset %llu", name,
                                 (unsigned long long)offset);
        to_skip -= chunk;
    }

    /* Raw bytes grow with what actually arrives (compressed sources do not
     * tell their length up front). */
    unsigned char *raw = NULL;
    uint64_t have = 0, cap = 0;
    while (have < data_bytes) {
        if (have == cap) {
            uint64_t nc = cap ? cap * 2 : (1u << 20);
            if (nc > data_bytes) nc = data_bytes;
            unsigned char *nr = realloc(raw, (size_t)nc);
            if (!nr) {
                free(raw);
                return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", name);
            }
            raw = nr;
            cap = nc;
        }
        long r = source_read(src, raw + have, (size_t)(cap - have));
        if (r < 0) {
            free(raw);
            return tsc_error_set(err, TSC_EIO, "%s: %s", name, src->error);
        }
        if (r == 0) break;
        have += (uint64_t)r;
    }
    if (have < data_bytes) {
        free(raw);
        return tsc_error_set(err, TSC_EFORMAT,
                             "%s: voxel data ends after %llu of %llu bytes (truncated file?)",
                             name, (unsigned long long)have, (unsigned long long)data_bytes);
    }

    tsc_volume *v = calloc(1, sizeof *v);
    float *data = malloc((size_t)voxels * sizeof(float));
    if (!v || !data) {
        free(raw);
        free(v);
        free(data);
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", name);
    }
    v->nx = (int)n[1];
    v->ny = (int)n[2];
    v->nz = (int)n[3];
    v->n_volumes = (int)(n[4] * n[5] * n[6] * n[7]);
    v->datatype = hd.datatype;
    v->data = data;
    /* scl_slope 0 (or not finite) means "no scaling" in NIfTI-1. */
    double slope = hd.scl_slope, inter = hd.scl_inter;
    if (!(slope != 0.0) || !isfinite(slope)) {
        slope = 1.0;
        inter = 0.0;
    }
    if (!isfinite(inter)) inter = 0.0;
    int scaled = slope != 1.0 || inter != 0.0;
    float lo = INFINITY, hi = -INFINITY;
    for (uint64_t i = 0; i < voxels; i++) {
        float f = convert_voxel(raw + i * (uint64_t)size, hd.datatype, hd.swap);
        if (scaled) f = (float)(f * slope + inter);
        data[i] = f;
        if (isfinite(f)) {
            if (f < lo) lo = f;
            if (f > hi) hi = f;
        }
    }
    free(raw);
    v->min_value = lo <= hi ? lo : 0.0f;
    v->max_value = lo <= hi ? hi : 0.0f;
    compute_transform(&hd, v);
    *out = v;
    return TSC_OK;
}

static int is_gzip(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

tsc_status tsc_nifti_read(const char *path, const tsc_nifti_params *params, tsc_volume **out,
                          tsc_error *err)
{
    TSC_ASSERT(path && out);
    TSC_ASSERT(!params || params->struct_size >= sizeof(tsc_nifti_params));
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tsc_error_set(err, errno == ENOENT ? TSC_ENOTFOUND : TSC_EIO, "%s: %s", path,
                             strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return tsc_error_set(err, TSC_EIO, "%s: not a regular file", path);
    }
    unsigned char magic[2] = {0, 0};
    size_t m = fread(magic, 1, 2, fp);
    rewind(fp);
    source src;
    memset(&src, 0, sizeof src);
    tsc_status status;
    if (is_gzip(magic, m)) {
        fclose(fp);
        src.gz = gzopen(path, "rb");
        if (!src.gz) return tsc_error_set(err, TSC_EIO, "%s: cannot open", path);
        gzbuffer(src.gz, 256 * 1024);
        src.read = read_gzfile;
        status = read_volume(&src, path, 0, params, out, err);
        gzclose(src.gz);
    } else {
        src.fp = fp;
        src.read = read_file;
        status = read_volume(&src, path, (uint64_t)st.st_size, params, out, err);
        fclose(fp);
    }
    return status;
}

tsc_status tsc_nifti_read_memory(const void *data, size_t size, const char *name,
                                 const tsc_nifti_params *params, tsc_volume **out,
                                 tsc_error *err)
{
    TSC_ASSERT(out && (data || size == 0));
    TSC_ASSERT(!params || params->struct_size >= sizeof(tsc_nifti_params));
    *out = NULL;
    if (!name) name = "(memory)";
    source src;
    memset(&src, 0, sizeof src);
    src.data = data;
    src.size = size;
    if (is_gzip(data, size)) {
        src.zs.next_in = (Bytef *)data;
        src.zs.avail_in = size > UINT32_MAX ? UINT32_MAX : (uInt)size;
        if (inflateInit2(&src.zs, 15 + 16) != Z_OK)
            return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", name);
        src.read = read_gzmemory;
        tsc_status st = read_volume(&src, name, 0, params, out, err);
        inflateEnd(&src.zs);
        return st;
    }
    src.read = read_memory;
    return read_volume(&src, name, (uint64_t)size, params, out, err);
}

void tsc_volume_free(tsc_volume *volume)
{
    if (!volume) return;
    free(volume->data);
    free(volume);
}

void tsc_volume_voxel_to_world(const tsc_volume *v, double i, double j, double k, double xyz[3])
{
    TSC_ASSERT(v && xyz);
    for (int r = 0; r < 3; r++)
        xyz[r] = v->ijk_to_xyz[r][0] * i + v->ijk_to_xyz[r][1] * j + v->ijk_to_xyz[r][2] * k +
                 v->ijk_to_xyz[r][3];
}

float tsc_volume_sample(const tsc_volume *v, double i, double j, double k, float outside)
{
    TSC_ASSERT(v);
    /* Points within half a voxel beyond the edge clamp to it, so that a
     * grid through the outermost voxel centres samples them exactly. */
    const double eps = 1e-6;
    if (!(i > -0.5 - eps && j > -0.5 - eps && k > -0.5 - eps && i < v->nx - 0.5 + eps &&
          j < v->ny - 0.5 + eps && k < v->nz - 0.5 + eps))
        return outside;
    if (i < 0) i = 0;
    if (j < 0) j = 0;
    if (k < 0) k = 0;
    if (i > v->nx - 1) i = v->nx - 1;
    if (j > v->ny - 1) j = v->ny - 1;
    if (k > v->nz - 1) k = v->nz - 1;
    int i0 = (int)i, j0 = (int)j, k0 = (int)k;
    int i1 = i0 + 1 < v->nx ? i0 + 1 : i0;
    int j1 = j0 + 1 < v->ny ? j0 + 1 : j0;
    int k1 = k0 + 1 < v->nz ? k0 + 1 : k0;
    double fi = i - i0, fj = j - j0, fk = k - k0;
    size_t nx = (size_t)v->nx, nxy = nx * (size_t)v->ny;
#define V(a, b, c) ((double)v->data[(size_t)(c)*nxy + (size_t)(b)*nx + (size_t)(a)])
    double c00 = V(i0, j0, k0) * (1 - fi) + V(i1, j0, k0) * fi;
    double c10 = V(i0, j1, k0) * (1 - fi) + V(i1, j1, k0) * fi;
    double c01 = V(i0, j0, k1) * (1 - fi) + V(i1, j0, k1) * fi;
    double c11 = V(i0, j1, k1) * (1 - fi) + V(i1, j1, k1) * fi;
#undef V
    double c0 = c00 * (1 - fj) + c10 * fj;
    double c1 = c01 * (1 - fj) + c11 * fj;
    return (float)(c0 * (1 - fk) + c1 * fk);
}
