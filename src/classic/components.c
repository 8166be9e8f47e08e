/* SPDX-License-Identifier: BSD-3-Clause */
/* Connected-component labelling by breadth-first flood fill. */
#include <stdlib.h>
#include <string.h>

#include "classic_private.h"

tsc_status tsc_label_components(const uint8_t *mask, int rows, int cols, tsc_connectivity conn,
                                int32_t *labels, int32_t *n_labels, size_t **counts,
                                tsc_error *err)
{
    TSC_ASSERT(mask && labels && n_labels);
    TSC_ASSERT(conn == TSC_CONNECT_4 || conn == TSC_CONNECT_8);
    *n_labels = 0;
    if (counts) *counts = NULL;
    tsc_status st = tsc__check_size(rows, cols, "component labelling", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    int32_t *queue = malloc(n * sizeof *queue);
    size_t cap = 64, *cnt = counts ? malloc(cap * sizeof *cnt) : NULL;
    if (!queue || (counts && !cnt)) {
        free(queue);
        free(cnt);
        return tsc_error_set(err, TSC_ENOMEM,
                             "component labelling: out of memory for a %dx%d image", cols, rows);
    }
    if (cnt) cnt[0] = 0;
    memset(labels, 0, n * sizeof *labels);
    int32_t nl = 0;
    size_t background = 0;
    for (size_t s = 0; s < n; s++) {
        if (!mask[s]) {
            background++;
            continue;
        }
        if (labels[s]) continue;
        nl++;
        size_t head = 0, tail = 0;
        labels[s] = nl;
        queue[tail++] = (int32_t)s;
        while (head < tail) {
            size_t i = (size_t)queue[head++];
            int r = (int)(i / (size_t)cols), c = (int)(i % (size_t)cols);
            for (int dr = -1; dr <= 1; dr++) {
                int rr = r + dr;
                if (rr < 0 || rr >= rows) continue;
                for (int dc = -1; dc <= 1; dc++) {
                    int cc = c + dc;
                    if (cc < 0 || cc >= cols || (dr == 0 && dc == 0)) continue;
                    if (conn == TSC_CONNECT_4 && dr != 0 && dc != 0) continue;
                    size_t j = (size_t)rr * cols + cc;
                    if (mask[j] && !labels[j]) {
                        labels[j] = nl;
                        queue[tail++] = (int32_t)j;
                    }
                }
            }
        }
        if (cnt) {
            if ((size_t)nl + 1 > cap) {
                cap *= 2;
                size_t *grown = realloc(cnt, cap * sizeof *cnt);
                if (!grown) {
                    free(cnt);
                    free(queue);
                    return tsc_error_set(err, TSC_ENOMEM,
                                         "component labelling: out of memory for %d counts", nl);
                }
                cnt = grown;
            }
            cnt[nl] = tail;
        }
    }
    free(queue);
    if (cnt) {
        cnt[0] = background;
        *counts = cnt;
    }
    *n_labels = nl;
    return TSC_OK;
}

tsc_status tsc_largest_component(const uint8_t *in, int rows, int cols, tsc_connectivity conn,
                                 uint8_t *out, size_t *n_pixels, tsc_error *err)
{
    TSC_ASSERT(in && out);
    if (n_pixels) *n_pixels = 0;
    tsc_status st = tsc__check_size(rows, cols, "largest component", err);
    if (st != TSC_OK) return st;
    const size_t n = (size_t)rows * (size_t)cols;
    int32_t *labels = malloc(n * sizeof *labels);
    if (!labels)
        return tsc_error_set(err, TSC_ENOMEM, "largest component: out of memory for a %dx%d image",
                             cols, rows);
    int32_t nl = 0;
    size_t *cnt = NULL;
    st = tsc_label_components(in, rows, cols, conn, labels, &nl, &cnt, err);
    if (st != TSC_OK) {
        free(labels);
        return st;
    }
    int32_t best = 0;
    for (int32_t l = 1; l <= nl; l++)
        if (cnt[l] > (best ? cnt[best] : 0)) best = l;
    for (size_t i = 0; i < n; i++) out[i] = best && labels[i] == best;
    if (n_pixels) *n_pixels = best ? cnt[best] : 0;
    free(cnt);
    free(labels);
    return TSC_OK;
}
