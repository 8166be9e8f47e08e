/* SPDX-License-Identifier: BSD-3-Clause */
/* Intensity statistics: selection, percentiles, normalisation, thresholds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classic_private.h"
#include "tsc_select.h"

tsc_status tsc__check_size(int rows, int cols, const char *what, tsc_error *err)
{
    TSC_ASSERT(rows > 0 && cols > 0);
    if ((int64_t)rows * cols > TSC__MAX_PIXELS)
        return tsc_error_set(err, TSC_ELIMIT,
                             "%s: image of %dx%d pixels exceeds the 2^31-pixel limit; crop or "
                             "downsample it first",
                             what, cols, rows);
    return TSC_OK;
}


size_t tsc__gather_finite(const float *in, const uint8_t *mask, size_t n, float *dst)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((!mask || mask[i]) && isfinite(in[i])) dst[m++] = in[i];
    return m;
}

void tsc__percentiles_inplace(float *a, size_t n, const double *q, size_t nq, double *out)
{
    TSC_ASSERT(n > 0);
    for (size_t t = 0; t < nq; t++) {
        double pos = q[t] / 100.0 * (double)(n - 1);
        if (pos < 0) pos = 0;
        if (pos > (double)(n - 1)) pos = (double)(n - 1);
        size_t i = (size_t)floor(pos);
        double f = pos - (double)i;
        double lo, hi;
        tsc__select_pair(a, n, i, &lo, &hi);
        out[t] = lo + f * (hi - lo);
    }
}

tsc_status tsc_percentiles(const float *in, const uint8_t *mask, size_t n, const double *q,
                           size_t nq, double *out, tsc_error *err)
{
    TSC_ASSERT(in && (q || !nq) && (out || !nq));
    float *a = malloc((n ? n : 1) * sizeof *a);
    if (!a) return tsc_error_set(err, TSC_ENOMEM, "percentiles: out of memory for %zu values", n);
    size_t m = tsc__gather_finite(in, mask, n, a);
    if (m == 0) {
        free(a);
        return tsc_error_set(err, TSC_EINVAL,
                             "percentiles: none of the %zu%s pixels is finite; the image holds "
                             "no values",
                             n, mask ? " masked" : "");
    }
    tsc__percentiles_inplace(a, m, q, nq, out);
    free(a);
    return TSC_OK;
}

tsc_status tsc_normalize_percentile(const float *in, const uint8_t *mask, size_t n, double q_lo,
                                    double q_hi, float *out, tsc_error *err)
{
    TSC_ASSERT(in && out);
    double q[2] = {q_lo, q_hi}, p[2];
    tsc_status st = tsc_percentiles(in, mask, n, q, 2, p, err);
    if (st != TSC_OK) return st;
    double lo = p[0], den = p[1] - p[0];
    for (size_t i = 0; i < n; i++) {
        double v = in[i];
        double x = 0;
        if (den > 0 && isfinite(v)) {
            x = (v - lo) / den;
            x = x < 0 ? 0 : (x > 1 ? 1 : x);
        }
        out[i] = (float)x;
    }
    return TSC_OK;
}

tsc_status tsc_normalize_zscore(const float *in, const uint8_t *mask, size_t n, float *out,
                                tsc_error *err)
{
    TSC_ASSERT(in && out);
    /* Two passes (mean, then squared deviations) for accuracy on large
     * offsets such as CT numbers. */
    double sum = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((!mask || mask[i]) && isfinite(in[i])) {
            sum += in[i];
            m++;
        }
    if (m == 0)
        return tsc_error_set(err, TSC_EINVAL,
                             "z-score: none of the %zu pixels is finite; the image holds no values",
                             n);
    double mean = sum / (double)m, ss = 0;
    for (size_t i = 0; i < n; i++)
        if ((!mask || mask[i]) && isfinite(in[i])) {
            double d = in[i] - mean;
            ss += d * d;
        }
    double sd = sqrt(ss / (double)m);
    double inv = sd > 0 ? 1.0 / sd : 1.0;
    for (size_t i = 0; i < n; i++) out[i] = isfinite(in[i]) ? (float)((in[i] - mean) * inv) : 0.0f;
    return TSC_OK;
}

tsc_status tsc_otsu_threshold(const float *in, const uint8_t *mask, size_t n, int bins, double lo,
                              double hi, double *threshold, tsc_error *err)
{
    TSC_ASSERT(in && threshold && bins >= 2 && bins <= 65536);
    size_t m = 0;
    if (!(lo < hi)) {
        lo = INFINITY;
        hi = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if ((!mask || mask[i]) && isfinite(in[i])) {
                if (in[i] < lo) lo = in[i];
                if (in[i] > hi) hi = in[i];
                m++;
            }
        if (m == 0)
            return tsc_error_set(err, TSC_EINVAL,
                                 "Otsu: none of the %zu pixels is finite; nothing to threshold", n);
        if (!(lo < hi))
            return tsc_error_set(err, TSC_ENOTFOUND,
                                 "Otsu: all %zu values equal %g; there is no threshold to find", m,
                                 lo);
    }
    size_t *hist = calloc((size_t)bins, sizeof *hist);
    if (!hist) return tsc_error_set(err, TSC_ENOMEM, "Otsu: out of memory for %d bins", bins);
    const double scale = bins / (hi - lo), width = (hi - lo) / bins;
    m = 0;
    for (size_t i = 0; i < n; i++) {
        if ((mask && !mask[i]) || !isfinite(in[i])) continue;
        double b = (in[i] - lo) * scale;
        int k = b < 0 ? 0 : (b >= bins ? bins - 1 : (int)b);
        hist[k]++;
        m++;
    }
    if (m == 0) {
        free(hist);
        return tsc_error_set(err, TSC_EINVAL,
                             "Otsu: none of the %zu pixels is finite; nothing to threshold", n);
    }
    /* Between-class variance over bin centres; sums in bin units keep it
     * exact for counts and independent of the intensity offset. */
    double total = (double)m, mu_t = 0;
    for (int k = 0; k < bins; k++) mu_t += (double)k * (double)hist[k];
    mu_t /= total;
    double w0 = 0, mu0 = 0, best = -1;
    int first = -1, last = -1;
    for (int k = 0; k < bins - 1; k++) {
        w0 += (double)hist[k] / total;
        mu0 += (double)k * (double)hist[k] / total;
        if (w0 <= 0 || w0 >= 1) continue;
        double d = mu_t * w0 - mu0;
        double s = d * d / (w0 * (1 - w0));
        if (s > best) {
            best = s;
            first = last = k;
        } else if (s == best && last == k - 1) {
            /* Empty bins leave the score bit-identical: extend the plateau. */
            last = k;
        }
    }
    free(hist);
    if (first < 0)
        return tsc_error_set(err, TSC_ENOTFOUND,
                             "Otsu: all %zu values fall in one of %d bins over [%g, %g]; there is "
                             "no threshold to find",
                             m, bins, lo, hi);
    *threshold = lo + ((first + last) / 2.0 + 1.0) * width;
    return TSC_OK;
}

size_t tsc_threshold(const float *in, size_t n, double lo, double hi, uint8_t *out)
{
    TSC_ASSERT(in && out);
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        double v = in[i];
        out[i] = v >= lo && v <= hi; /* false for NaN */
        c += out[i];
    }
    return c;
}
