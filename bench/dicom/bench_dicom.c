/* SPDX-License-Identifier: BSD-3-Clause */
/* Index a DICOM folder and decode every slice to float32, timed.
 * usage: tsc-bench-dicom PATH [repeats] */
#include <stdio.h>
#include <stdlib.h>

#include "../bench_util.h"
#include "tsc_dicom.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tsc-bench-dicom PATH [repeats]\n");
        return 2;
    }
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    if (repeats < 1) repeats = 1;
    double *idx = calloc((size_t)repeats, sizeof *idx), *all = calloc((size_t)repeats, sizeof *all);
    size_t files = 0, slices = 0;
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_now_ms();
        const char *paths[] = {argv[1]};
        tsc_dicom_index *ix = NULL;
        tsc_error err;
        if (tsc_dicom_open(paths, 1, NULL, &ix, &err) != TSC_OK) {
            fprintf(stderr, "open failed: %s\n", err.message);
            return 3;
        }
        double t1 = bench_now_ms();
        slices = 0;
        for (size_t s = 0; s < tsc_dicom_n_series(ix); s++)
            for (size_t k = 0; k < tsc_dicom_get_series(ix, s)->n_slices; k++) {
                tsc_dicom_image *im = NULL;
                if (tsc_dicom_decode_slice(ix, s, k, &im, &err) == TSC_OK) slices++;
                tsc_dicom_image_free(im);
            }
        double t2 = bench_now_ms();
        files = tsc_dicom_n_files(ix);
        tsc_dicom_index_free(ix);
        idx[r] = t1 - t0;
        all[r] = t2 - t0;
    }
    qsort(idx, (size_t)repeats, sizeof *idx, bench_cmp_double);
    qsort(all, (size_t)repeats, sizeof *all, bench_cmp_double);
    printf("{\"files\": %zu, \"slices\": %zu, \"index_ms\": %.2f, \"index_decode_ms\": %.2f}\n", files,
           slices, idx[repeats / 2], all[repeats / 2]);
    free(idx);
    free(all);
    return 0;
}
