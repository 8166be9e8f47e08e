/* SPDX-License-Identifier: BSD-3-Clause */
/* Axial reformat (MPR) of a thin 3D series (reformat.h). */
#include "reformat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct tsc_reformat {
    tsc_reformat_geometry g;
    /* The source volume, decoded once: n slices of rows*cols, in the
     * index's order (ascending location along the source normal). */
    float *vol;
    size_t n;
    int rows, cols;
    double dy, dx;       /* source pixel spacing (mm) */
    double r[3], c[3];   /* source row and column direction cosines */
    double nrm[3];       /* source slice normal r x c */
    double *u0, *v0;     /* per source slice: position . r, position . c */
    double *loc;         /* per source slice: position . normal, ascending */
    double *positions;   /* reformat positions, 3 per slice */
    double *locations;   /* reformat locations (z) */
};

static double dot3(const double *a, const double *b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

void tsc_reformat_free(tsc_reformat *rf)
{
    if (!rf) return;
    free(rf->vol);
    free(rf->u0);
    free(rf->v0);
    free(rf->loc);
    free(rf->positions);
    free(rf->locations);
    free(rf);
}

const tsc_reformat_geometry *tsc_reformat_get_geometry(const tsc_reformat *rf)
{
    TSC_ASSERT(rf);
    return &rf->g;
}

/* Number of grid points of step `s` that fit in [lo, hi], and the first one,
 * placed so that the grid is centred in the interval. */
static size_t grid_axis(double lo, double hi, double s, double *first)
{
    double ext = hi - lo;
    size_t n = (size_t)floor(ext / s + 1e-6) + 1;
    *first = lo + 0.5 * (ext - (double)(n - 1) * s);
    return n;
}

tsc_status tsc_reformat_axial_new(const tsc_dicom_index *index, size_t series, uint64_t max_bytes,
                                  tsc_cancel_fn cancel, void *cancel_data, tsc_reformat **out,
                                  tsc_error *err)
{
    TSC_ASSERT(index && out);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    *out = NULL;
    if (!max_bytes) max_bytes = TSC_REFORMAT_MAX_BYTES;
    const tsc_dicom_series_info *info = tsc_dicom_get_series(index, series);
    size_t n = info->n_slices;
    if (n < 2)
        return tsc_error_set(err, TSC_EINVAL,
                             "series %zu has %zu slice(s); an axial reformat needs a volume", series,
                             n);
    if (info->rows <= 0 || info->cols <= 0)
        return tsc_error_set(err, TSC_EINVAL, "series %zu has no image size; it cannot be reformatted",
                             series);
    uint64_t bytes = (uint64_t)n * (uint64_t)info->rows * (uint64_t)info->cols * sizeof(float);
    if (bytes > max_bytes)
        return tsc_error_set(err, TSC_ELIMIT,
                             "series %zu: its %zu slices of %dx%d need %.0f MiB to reformat, more "
                             "than the %.0f MiB allowed; analyse an axial series of the study, or "
                             "reformat it on the scanner or PACS",
                             series, n, info->cols, info->rows, (double)bytes / 1048576.0,
                             (double)max_bytes / 1048576.0);

    tsc_reformat *rf = calloc(1, sizeof *rf);
    if (!rf) return tsc_error_set(err, TSC_ENOMEM, "out of memory for the reformat");
    rf->n = n;
    rf->rows = info->rows;
    rf->cols = info->cols;
    rf->u0 = malloc(n * sizeof *rf->u0);
    rf->v0 = malloc(n * sizeof *rf->v0);
    rf->loc = malloc(n * sizeof *rf->loc);
    rf->vol = malloc((size_t)bytes);
    if (!rf->u0 || !rf->v0 || !rf->loc || !rf->vol) {
        tsc_reformat_free(rf);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for the reformat (%.0f MiB)",
                             (double)bytes / 1048576.0);
    }

    /* Geometry of the source: one orientation, every slice positioned. */
    const tsc_dicom_slice_info *s0 = tsc_dicom_get_slice(index, series, 0);
    memcpy(rf->r, s0->orientation, sizeof rf->r);
    memcpy(rf->c, s0->orientation + 3, sizeof rf->c);
    rf->nrm[0] = rf->r[1] * rf->c[2] - rf->r[2] * rf->c[1];
    rf->nrm[1] = rf->r[2] * rf->c[0] - rf->r[0] * rf->c[2];
    rf->nrm[2] = rf->r[0] * rf->c[1] - rf->r[1] * rf->c[0];
    double nn = sqrt(dot3(rf->nrm, rf->nrm));
    tsc_status st = TSC_OK;
    if (!(nn > 0.5)) {
        st = tsc_error_set(err, TSC_EINVAL,
                           "series %zu: ImageOrientationPatient is not two unit vectors; it "
                           "cannot be reformatted",
                           series);
        goto fail;
    }
    for (int a = 0; a < 3; a++) rf->nrm[a] /= nn;
    for (size_t k = 0; k < n; k++) {
        const tsc_dicom_slice_info *si = tsc_dicom_get_slice(index, series, k);
        if (!si->has_geometry) {
            st = tsc_error_set(err, TSC_EINVAL,
                               "series %zu slice %zu has no position or orientation; a reformat "
                               "needs the geometry of every slice",
                               series, k);
            goto fail;
        }
        for (int a = 0; a < 6; a++)
            if (fabs(si->orientation[a] - s0->orientation[a]) > 1e-3) {
                st = tsc_error_set(err, TSC_EINVAL,
                                   "series %zu slice %zu has another orientation than slice 0; "
                                   "it cannot be reformatted as one volume",
                                   series, k);
                goto fail;
            }
        rf->u0[k] = dot3(si->position, rf->r);
        rf->v0[k] = dot3(si->position, rf->c);
        rf->loc[k] = dot3(si->position, rf->nrm);
        if (k > 0 && !(rf->loc[k] > rf->loc[k - 1] + 1e-3)) {
            st = tsc_error_set(err, TSC_EINVAL,
                               "series %zu slices %zu and %zu are not ordered along the slice "
                               "normal (duplicate or repeated positions); it cannot be reformatted",
                               series, k - 1, k);
            goto fail;
        }
    }

    /* Decode every slice once. */
    float vmin = INFINITY;
    size_t px = (size_t)rf->rows * (size_t)rf->cols;
    for (size_t k = 0; k < n; k++) {
        if (cancel && cancel(cancel_data)) {
            st = tsc_error_set(err, TSC_ECANCELLED, "reformat cancelled after %zu of %zu slices", k,
                               n);
            goto fail;
        }
        tsc_dicom_image *im = NULL;
        st = tsc_dicom_decode_slice(index, series, k, &im, err);
        if (st != TSC_OK) {
            tsc_error_prefix(err, "reformat of series %zu, slice %zu", series, k);
            goto fail;
        }
        if (im->rows != rf->rows || im->cols != rf->cols) {
            st = tsc_error_set(err, TSC_EINVAL,
                               "series %zu slice %zu is %dx%d, slice 0 %dx%d; a reformat needs "
                               "slices of one size",
                               series, k, im->cols, im->rows, rf->cols, rf->rows);
            tsc_dicom_image_free(im);
            goto fail;
        }
        if (k == 0) {
            rf->dy = im->pixel_spacing[0];
            rf->dx = im->pixel_spacing[1];
        }
        float *dst = rf->vol + k * px;
        for (size_t i = 0; i < px; i++) {
            float v = im->pixels[i];
            if (!isfinite(v)) v = 0;
            dst[i] = v;
            if (v < vmin) vmin = v;
        }
        tsc_dicom_image_free(im);
    }
    if (!(rf->dx > 0 && rf->dy > 0)) {
        st = tsc_error_set(err, TSC_EINVAL, "series %zu has no pixel spacing; it cannot be reformatted",
                           series);
        goto fail;
    }

    /* The bounding box of the source's pixel centres (the corners of every
     * slice; slices may be shifted in-plane). */
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t k = 0; k < n; k++) {
        const double *p = tsc_dicom_get_slice(index, series, k)->position;
        for (int b = 0; b < 2; b++)
            for (int a = 0; a < 2; a++) {
                double x = a ? (rf->cols - 1) * rf->dx : 0, y = b ? (rf->rows - 1) * rf->dy : 0;
                for (int q = 0; q < 3; q++) {
                    double v = p[q] + x * rf->r[q] + y * rf->c[q];
                    if (v < lo[q]) lo[q] = v;
                    if (v > hi[q]) hi[q] = v;
                }
            }
    }
    double s = fmax(1.0, fmax(rf->dx, rf->dy));
    double thick = info->slice_thickness > 0 ? info->slice_thickness : info->slice_spacing;
    double sz = fmax(1.0, thick > 0 ? thick : 1.0);
    double x0, y0, z0;
    size_t ncols = grid_axis(lo[0], hi[0], s, &x0);
    size_t nrows = grid_axis(lo[1], hi[1], s, &y0);
    size_t nz = grid_axis(lo[2], hi[2], sz, &z0);
    if (ncols > 8192 || nrows > 8192 || nz > 8192) {
        st = tsc_error_set(err, TSC_ELIMIT,
                           "series %zu: the axial reformat would be %zux%zu pixels by %zu slices, "
                           "over the 8192 limit",
                           series, ncols, nrows, nz);
        goto fail;
    }
    rf->positions = malloc(3 * nz * sizeof *rf->positions);
    rf->locations = malloc(nz * sizeof *rf->locations);
    if (!rf->positions || !rf->locations) {
        st = tsc_error_set(err, TSC_ENOMEM, "out of memory for the reformat");
        goto fail;
    }
    for (size_t k = 0; k < nz; k++) {
        double z = z0 + (double)k * sz;
        rf->positions[3 * k + 0] = x0;
        rf->positions[3 * k + 1] = y0;
        rf->positions[3 * k + 2] = z;
        rf->locations[k] = z;
    }
    tsc_reformat_geometry *g = &rf->g;
    g->rows = (int)nrows;
    g->cols = (int)ncols;
    g->n_slices = nz;
    g->spacing[0] = g->spacing[1] = s;
    g->slice_spacing = sz;
    const double axial[6] = {1, 0, 0, 0, 1, 0};
    memcpy(g->orientation, axial, sizeof axial);
    g->positions = rf->positions;
    g->locations = rf->locations;
    g->source_thickness = thick;
    g->min_value = isfinite(vmin) ? vmin : 0.0f;
    *out = rf;
    return TSC_OK;
fail:
    tsc_reformat_free(rf);
    return st;
}

/* Bilinear value of source slice k at pixel coordinates (x, y); points up
 * to half a pixel beyond the outer pixel centres take the edge value (the
 * pixels reach that far), farther ones are outside (returns 0). */
static int bilinear(const tsc_reformat *rf, size_t k, double x, double y, float *v)
{
    if (x < -0.5 || y < -0.5 || x > rf->cols - 0.5 || y > rf->rows - 0.5) return 0;
    x = fmin(fmax(x, 0.0), (double)(rf->cols - 1));
    y = fmin(fmax(y, 0.0), (double)(rf->rows - 1));
    int x0 = (int)floor(x), y0 = (int)floor(y);
    int x1 = x0 + 1 < rf->cols ? x0 + 1 : x0, y1 = y0 + 1 < rf->rows ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    const float *p = rf->vol + k * (size_t)rf->rows * (size_t)rf->cols;
    double a = p[(size_t)y0 * rf->cols + x0] * (1 - fx) + p[(size_t)y0 * rf->cols + x1] * fx;
    double b = p[(size_t)y1 * rf->cols + x0] * (1 - fx) + p[(size_t)y1 * rf->cols + x1] * fx;
    *v = (float)(a * (1 - fy) + b * fy);
    return 1;
}

/* Trilinear value at patient point P (the outside value when P is not in the
 * volume). */
static float sample_point(const tsc_reformat *rf, const double P[3])
{
    const double *L = rf->loc;
    size_t n = rf->n;
    double l = dot3(P, rf->nrm);
    /* Half a slab beyond the outer slices still lies in the volume. */
    double h0 = 0.5 * (L[1] - L[0]), h1 = 0.5 * (L[n - 1] - L[n - 2]);
    if (l < L[0] - h0 || l > L[n - 1] + h1) return rf->g.min_value;
    size_t k0;
    double t;
    if (l <= L[0]) {
        k0 = 0;
        t = 0;
    } else if (l >= L[n - 1]) {
        k0 = n - 2;
        t = 1;
    } else {
        size_t a = 0, b = n - 1; /* L[a] <= l < L[b] */
        while (b - a > 1) {
            size_t m = (a + b) / 2;
            if (L[m] <= l) a = m;
            else b = m;
        }
        k0 = a;
        t = (l - L[a]) / (L[a + 1] - L[a]);
    }
    double pr = dot3(P, rf->r), pc = dot3(P, rf->c);
    float va, vb;
    int ia = t < 1 ? bilinear(rf, k0, (pr - rf->u0[k0]) / rf->dx, (pc - rf->v0[k0]) / rf->dy, &va) : 0;
    int ib = t > 0 ? bilinear(rf, k0 + 1, (pr - rf->u0[k0 + 1]) / rf->dx,
                              (pc - rf->v0[k0 + 1]) / rf->dy, &vb)
                   : 0;
    if (t <= 0) return ia ? va : rf->g.min_value;
    if (t >= 1) return ib ? vb : rf->g.min_value;
    if (!ia || !ib) return rf->g.min_value;
    return (float)(va * (1 - t) + vb * t);
}

void tsc_reformat_sample(const tsc_reformat *rf, size_t k, float *pixels)
{
    TSC_ASSERT(rf && pixels && k < rf->g.n_slices);
    const tsc_reformat_geometry *g = &rf->g;
    const double *pos = g->positions + 3 * k;
    for (int y = 0; y < g->rows; y++)
        for (int x = 0; x < g->cols; x++) {
            double P[3] = {pos[0] + x * g->spacing[1], pos[1] + y * g->spacing[0], pos[2]};
            pixels[(size_t)y * (size_t)g->cols + (size_t)x] = sample_point(rf, P);
        }
}

static tsc_status fetch(void *user, size_t k, tsc_slice *slice, void **token, tsc_error *err)
{
    const tsc_reformat *rf = user;
    const tsc_reformat_geometry *g = &rf->g;
    float *px = malloc((size_t)g->rows * (size_t)g->cols * sizeof *px);
    if (!px) return tsc_error_set(err, TSC_ENOMEM, "out of memory for reformat slice %zu", k);
    tsc_reformat_sample(rf, k, px);
    slice->pixels = px;
    slice->rows = g->rows;
    slice->cols = g->cols;
    slice->spacing[0] = g->spacing[0];
    slice->spacing[1] = g->spacing[1];
    *token = px;
    return TSC_OK;
}

static void release(void *user, void *token)
{
    (void)user;
    free(token);
}

void tsc_reformat_series_source(const tsc_reformat *rf, tsc_series_source *src)
{
    TSC_ASSERT(rf && src);
    memset(src, 0, sizeof *src);
    src->struct_size = sizeof *src;
    src->n_slices = rf->g.n_slices;
    src->locations_mm = rf->g.locations;
    src->slice_spacing_mm = rf->g.slice_spacing;
    src->fetch = fetch;
    src->release = release;
    src->user_data = (void *)rf;
    src->positions_mm = rf->g.positions;
    memcpy(src->orientation, rf->g.orientation, sizeof src->orientation);
}
