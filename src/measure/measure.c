/* SPDX-License-Identifier: BSD-3-Clause */
/* Lesion measurements: components, contours, RANO diameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow_private.h"
#include "tsc_classic.h"
#include "tsc_measure.h"

struct tsc_lesion_set {
    int rows, cols;
    int32_t *labels;
    size_t n;
    tsc_lesion_measure *lesions;
    tsc_vec2 *points; /* every outline, back to back */
};

/* ---- growable point buffer ---------------------------------------------- */

typedef struct pbuf {
    tsc_vec2 *p;
    size_t n, cap;
} pbuf;

static int pbuf_push(pbuf *b, double x, double y)
{
    tsc_vec2 *q = tsc__grow(b->p, &b->cap, b->n + 1, sizeof *q, 256);
    if (!q) return 0;
    b->p = q;
    b->p[b->n].x = x;
    b->p[b->n].y = y;
    b->n++;
    return 1;
}

/* ---- contour ------------------------------------------------------------ */

static int in_lesion(const int32_t *lab, int rows, int cols, int r, int c, int32_t l)
{
    return r >= 0 && r < rows && c >= 0 && c < cols && lab[(size_t)r * cols + c] == l;
}

/* Appends the outer contour of lesion `l` (n_pixels pixels) to b, starting at the top side of
 * its first pixel (r0, c0) in raster order.  The walk follows the pixel
 * sides (cracks) with the lesion on the right, turning left whenever the
 * pixel ahead-left belongs to the lesion (so diagonal neighbours stay
 * connected), and emits each crack's midpoint; collinear midpoints are
 * merged.  Coordinates are doubled corner coordinates while walking, so
 * collinearity tests are exact.  Returns 1, 0 when out of memory, -1 if
 * the walk does not close. */
static int trace_contour(const int32_t *lab, int rows, int cols, int32_t l, int r0, int c0,
                         size_t n_pixels, pbuf *b)
{
    /* Each pixel has 4 sides, each walked at most once: a longer walk is a bug. */
    size_t steps = 0, max_steps = 4 * n_pixels + 4;
    static const int DX[4] = {1, 0, -1, 0}, DY[4] = {0, 1, 0, -1}; /* E S W N */
    const size_t start = b->n;
    long X = c0, Y = r0;
    int d = 0;
    long px = 0, py = 0, qx = 0, qy = 0; /* the last two emitted points (doubled) */
    size_t emitted = 0;
    do {
        if (steps++ > max_steps) return -1;
        long mx = 2 * X + DX[d], my = 2 * Y + DY[d];
        if (emitted >= 2 && (qx - px) * (my - qy) == (qy - py) * (mx - qx) &&
            (qx - px) * (mx - qx) + (qy - py) * (my - qy) > 0) {
            /* Same direction as the previous step: move the last point. */
            b->p[b->n - 1].x = mx / 2.0 - 0.5;
            b->p[b->n - 1].y = my / 2.0 - 0.5;
        } else {
            if (!pbuf_push(b, mx / 2.0 - 0.5, my / 2.0 - 0.5)) return 0;
            px = qx;
            py = qy;
            emitted++;
        }
        qx = mx;
        qy = my;
        X += DX[d];
        Y += DY[d];
        int lr, lc, rr, rc; /* the pixels ahead-left and ahead-right of corner (X, Y) */
        switch (d) {
        case 0: lr = (int)Y - 1; lc = (int)X; rr = (int)Y; rc = (int)X; break;
        case 1: lr = (int)Y; lc = (int)X; rr = (int)Y; rc = (int)X - 1; break;
        case 2: lr = (int)Y; lc = (int)X - 1; rr = (int)Y - 1; rc = (int)X - 1; break;
        default: lr = (int)Y - 1; lc = (int)X - 1; rr = (int)Y - 1; rc = (int)X; break;
        }
        if (in_lesion(lab, rows, cols, lr, lc, l))
            d = (d + 3) & 3;
        else if (!in_lesion(lab, rows, cols, rr, rc, l))
            d = (d + 1) & 3;
    } while (!(X == c0 && Y == r0 && d == 0));
    /* Close the loop: drop trailing points collinear with the start. */
    while (b->n - start >= 3) {
        const tsc_vec2 *s = &b->p[start], *p = &b->p[b->n - 2], *q = &b->p[b->n - 1];
        double ax = q->x - p->x, ay = q->y - p->y, bx = s->x - q->x, by = s->y - q->y;
        if (ax * by - ay * bx == 0 && ax * bx + ay * by > 0)
            b->n--;
        else
            break;
    }
    return 1;
}

/* ---- diameters ---------------------------------------------------------- */

static int cmp_xy(const void *a, const void *b)
{
    const tsc_vec2 *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double cross(tsc_vec2 o, tsc_vec2 a, tsc_vec2 b)
{
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/* Convex hull (Andrew's monotone chain) of pts[0..n) sorted in place; hull
 * gets up to n + 1 points, returns their count. */
static size_t convex_hull(tsc_vec2 *pts, size_t n, tsc_vec2 *hull)
{
    qsort(pts, n, sizeof *pts, cmp_xy);
    if (n < 3) {
        memcpy(hull, pts, n * sizeof *pts);
        return n;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        while (k >= 2 && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) k--;
        hull[k++] = pts[i];
    }
    for (size_t i = n - 1, t = k + 1; i-- > 0;) {
        while (k >= t && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) k--;
        hull[k++] = pts[i];
    }
    return k - 1;
}

/* Measures both diameters of one contour (pixel coordinates). `work` holds
 * at least 3 * n + 1 points' worth of scratch memory. */
static void diameters(const tsc_vec2 *poly, size_t n, double dx, double dy, tsc_vec2 *work,
                      tsc_lesion_measure *m)
{
    tsc_vec2 *mm = work, *hull = work + n;
    for (size_t i = 0; i < n; i++) {
        mm[i].x = poly[i].x * dx;
        mm[i].y = poly[i].y * dy;
    }
    size_t h = convex_hull(mm, n, hull);
    /* Exact farthest pair over the hull's vertices (a digital lesion's hull
     * has few vertices, so O(h^2) is cheap). */
    double best = -1;
    tsc_vec2 a = hull[0], b = hull[0];
    for (size_t i = 0; i < h; i++)
        for (size_t j = i + 1; j < h; j++) {
            double ex = hull[j].x - hull[i].x, ey = hull[j].y - hull[i].y, d2 = ex * ex + ey * ey;
            if (d2 > best) {
                best = d2;
                a = hull[i];
                b = hull[j];
            }
        }
    double len = sqrt(best > 0 ? best : 0);
    m->diameter_mm = len;
    m->diameter_ends[0] = (tsc_vec2){a.x / dx, a.y / dy};
    m->diameter_ends[1] = (tsc_vec2){b.x / dx, b.y / dy};
    m->perpendicular_mm = 0;
    m->perpendicular_ends[0] = m->perpendicular_ends[1] = m->diameter_ends[0];
    if (!(len > 0)) return;

    /* Perpendicular chords: in the frame (u along the axis, v across it),
     * the chord at u = t runs from the lowest to the highest crossing of the
     * contour.  Both envelopes are piecewise linear with breaks at vertices,
     * so their difference peaks at some vertex's u: evaluate there only. */
    const double ex = (b.x - a.x) / len, ey = (b.y - a.y) / len;
    double *u = (double *)(void *)(work + 2 * n + 1); /* n doubles fit in n points */
    double *uv = (double *)(void *)hull;               /* (u, v) per vertex: 2n doubles */
    for (size_t i = 0; i < n; i++) {
        double X = poly[i].x * dx - a.x, Y = poly[i].y * dy - a.y;
        uv[2 * i] = X * ex + Y * ey;
        uv[2 * i + 1] = -X * ey + Y * ex;
        u[i] = uv[2 * i];
    }
    qsort(u, n, sizeof *u, cmp_double);
    size_t m_u = 0;
    for (size_t i = 0; i < n; i++)
        if (m_u == 0 || u[i] != u[m_u - 1]) u[m_u++] = u[i];
    double *lo = (double *)(void *)mm, *hi = lo + m_u; /* mm is free again: 2n doubles */
    for (size_t j = 0; j < m_u; j++) {
        lo[j] = INFINITY;
        hi[j] = -INFINITY;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = i + 1 < n ? i + 1 : 0;
        double u1 = uv[2 * i], v1 = uv[2 * i + 1], u2 = uv[2 * k], v2 = uv[2 * k + 1];
        if (u1 > u2) {
            double t = u1;
            u1 = u2;
            u2 = t;
            t = v1;
            v1 = v2;
            v2 = t;
        }
        size_t j0 = 0, j1 = m_u; /* first candidate >= u1 */
        while (j0 < j1) {
            size_t mid = (j0 + j1) / 2;
            if (u[mid] < u1)
                j0 = mid + 1;
            else
                j1 = mid;
        }
        for (size_t j = j0; j < m_u && u[j] <= u2; j++) {
            double vlo, vhi;
            if (u2 > u1) {
                vlo = vhi = v1 + (u[j] - u1) / (u2 - u1) * (v2 - v1);
            } else {
                vlo = v1 < v2 ? v1 : v2;
                vhi = v1 < v2 ? v2 : v1;
            }
            if (vlo < lo[j]) lo[j] = vlo;
            if (vhi > hi[j]) hi[j] = vhi;
        }
    }
    double pbest = 0;
    size_t jb = 0;
    for (size_t j = 0; j < m_u; j++)
        if (hi[j] - lo[j] > pbest) {
            pbest = hi[j] - lo[j];
            jb = j;
        }
    m->perpendicular_mm = pbest;
    double t = u[jb];
    for (int e = 0; e < 2; e++) {
        double v = e ? hi[jb] : lo[jb];
        if (pbest == 0) v = 0;
        double X = a.x + t * ex - v * ey, Y = a.y + t * ey + v * ex;
        m->perpendicular_ends[e] = (tsc_vec2){X / dx, Y / dy};
    }
}

/* ---- the set ------------------------------------------------------------ */

typedef struct comp {
    int32_t label;
    size_t count;
    size_t first;
    double sx, sy, si;
    size_t ni;
    int x0, y0, x1, y1;
} comp;

static int cmp_comp(const void *a, const void *b)
{
    const comp *p = a, *q = b;
    if (p->count != q->count) return p->count > q->count ? -1 : 1;
    return (p->label > q->label) - (p->label < q->label);
}

void tsc_lesion_set_free(tsc_lesion_set *set)
{
    if (!set) return;
    free(set->labels);
    free(set->lesions);
    free(set->points);
    free(set);
}

size_t tsc_lesion_set_count(const tsc_lesion_set *set)
{
    TSC_ASSERT(set);
    return set->n;
}

const tsc_lesion_measure *tsc_lesion_set_get(const tsc_lesion_set *set, size_t i)
{
    TSC_ASSERT(set && i < set->n);
    return &set->lesions[i];
}

const int32_t *tsc_lesion_set_get_labels(const tsc_lesion_set *set, int *rows, int *cols)
{
    TSC_ASSERT(set);
    if (rows) *rows = set->rows;
    if (cols) *cols = set->cols;
    return set->labels;
}

tsc_status tsc_measure_lesions(const uint8_t *mask, const float *image, int rows, int cols,
                               double dx, double dy, double min_area_mm2, tsc_lesion_set **out,
                               tsc_error *err)
{
    TSC_ASSERT(mask && out && rows > 0 && cols > 0);
    *out = NULL;
    if (!(isfinite(dx) && dx > 0 && isfinite(dy) && dy > 0))
        return tsc_error_set(err, TSC_EINVAL,
                             "lesion measurement: pixel spacing %g x %g mm is not positive; "
                             "sizes in mm would be meaningless",
                             dx, dy);
    if ((int64_t)rows * cols > (int64_t)INT32_MAX)
        return tsc_error_set(err, TSC_ELIMIT,
                             "lesion measurement: mask of %dx%d pixels exceeds the 2^31-pixel "
                             "limit",
                             cols, rows);
    const size_t npx = (size_t)rows * (size_t)cols;
    tsc_status st = TSC_OK;
    tsc_lesion_set *set = calloc(1, sizeof *set);
    comp *cs = NULL;
    int32_t *map = NULL;
    size_t *counts = NULL, *offsets = NULL;
    tsc_vec2 *work = NULL;
    pbuf pts = {0};
    int32_t nl = 0;
    if (!set || !(set->labels = malloc(npx * sizeof *set->labels))) goto nomem;
    set->rows = rows;
    set->cols = cols;
    st = tsc_label_components(mask, rows, cols, TSC_CONNECT_8, set->labels, &nl, &counts, err);
    if (st != TSC_OK) goto fail;

    cs = calloc((size_t)nl + 1, sizeof *cs);
    map = calloc((size_t)nl + 1, sizeof *map);
    if (!cs || !map) goto nomem;
    for (int32_t l = 1; l <= nl; l++) {
        cs[l].label = l;
        cs[l].count = counts[l];
        cs[l].x0 = cols;
        cs[l].y0 = rows;
        cs[l].x1 = cs[l].y1 = -1;
    }
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            size_t i = (size_t)r * cols + c;
            int32_t l = set->labels[i];
            if (!l) continue;
            comp *k = &cs[l];
            if (k->x1 < 0) k->first = i;
            k->sx += c;
            k->sy += r;
            if (c < k->x0) k->x0 = c;
            if (c > k->x1) k->x1 = c;
            if (r < k->y0) k->y0 = r;
            k->y1 = r;
            if (image && isfinite(image[i])) {
                k->si += image[i];
                k->ni++;
            }
        }
    /* Keep the components that reach the minimum area, largest first. */
    size_t kept = 0;
    for (int32_t l = 1; l <= nl; l++)
        if ((double)cs[l].count * dx * dy >= min_area_mm2) cs[1 + kept++] = cs[l];
    qsort(cs + 1, kept, sizeof *cs, cmp_comp);
    for (size_t i = 0; i < kept; i++) map[cs[1 + i].label] = (int32_t)(i + 1);
    for (size_t i = 0; i < npx; i++) set->labels[i] = map[set->labels[i]];

    set->n = kept;
    set->lesions = calloc(kept ? kept : 1, sizeof *set->lesions);
    offsets = calloc(kept + 1, sizeof *offsets);
    if (!set->lesions || !offsets) goto nomem;
    size_t max_outline = 0;
    for (size_t i = 0; i < kept; i++) {
        const comp *k = &cs[1 + i];
        int32_t l = (int32_t)(i + 1);
        int r0 = (int)(k->first / (size_t)cols), c0 = (int)(k->first % (size_t)cols);
        offsets[i] = pts.n;
        int traced = trace_contour(set->labels, rows, cols, l, r0, c0, k->count, &pts);
        if (traced == 0) goto nomem;
        if (traced < 0) {
            st = tsc_error_set(err, TSC_EINTERNAL,
                               "lesion measurement: the outline of lesion %d did not close", l);
            goto fail;
        }
        if (pts.n - offsets[i] > max_outline) max_outline = pts.n - offsets[i];
        tsc_lesion_measure *m = &set->lesions[i];
        m->label = l;
        m->n_pixels = k->count;
        m->area_mm2 = (double)k->count * dx * dy;
        m->centroid = (tsc_vec2){k->sx / (double)k->count, k->sy / (double)k->count};
        m->bbox[0] = k->x0;
        m->bbox[1] = k->y0;
        m->bbox[2] = k->x1;
        m->bbox[3] = k->y1;
        m->mean_intensity = k->ni ? k->si / (double)k->ni : NAN;
    }
    offsets[kept] = pts.n;
    work = malloc((3 * max_outline + 2) * sizeof *work);
    if (!work && kept) goto nomem;
    for (size_t i = 0; i < kept; i++) {
        tsc_lesion_measure *m = &set->lesions[i];
        m->n_outline = offsets[i + 1] - offsets[i];
        diameters(pts.p + offsets[i], m->n_outline, dx, dy, work, m);
        m->product_mm2 = m->diameter_mm * m->perpendicular_mm;
    }
    set->points = pts.p;
    pts.p = NULL;
    for (size_t i = 0; i < kept; i++) set->lesions[i].outline = set->points + offsets[i];
    goto done;
nomem:
    st = tsc_error_set(err, TSC_ENOMEM, "lesion measurement: out of memory for a %dx%d mask", cols,
                       rows);
fail:
    tsc_lesion_set_free(set);
    set = NULL;
done:
    free(cs);
    free(map);
    free(counts);
    free(offsets);
    free(work);
    free(pts.p);
    *out = set;
    return st;
}
