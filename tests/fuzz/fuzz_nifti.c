/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: a NIfTI-1 volume (.nii, or gzip-compressed) from memory,
 * then the accessors over it.  A libFuzzer binary with -DTSC_FUZZ=ON
 * (clang); otherwise replay_main.c replays corpus/fuzz_nifti under ctest. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "tsc_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsc_nifti_params p = tsc_nifti_default_params();
    /* Far below the 2 GiB default, so that a gzip bomb is a refusal rather
     * than libFuzzer's out-of-memory report. */
    p.max_bytes = 64u << 20;
    tsc_volume *v = NULL;
    tsc_error err;
    tsc_error_clear(&err);
    tsc_status st = tsc_nifti_read_memory(data, size, "fuzz.nii", &p, &v, &err);
    fuzz_verbose("volume", st, &err);
    if (st != TSC_OK) {
        FUZZ_CHECK(!v && err.message[0]);
        return 0;
    }
    FUZZ_CHECK(v->nx >= 1 && v->ny >= 1 && v->nz >= 1 && v->data);
    FUZZ_CHECK((uint64_t)v->nx * (uint64_t)v->ny * (uint64_t)v->nz * sizeof(float) <= p.max_bytes);
    for (int k = 0; k < 3; k++) FUZZ_CHECK(v->spacing[k] > 0);
    FUZZ_CHECK(v->min_value <= v->max_value);
    /* Corners, centre and points just outside. */
    const double pts[][3] = {{0, 0, 0},
                             {v->nx - 1, v->ny - 1, v->nz - 1},
                             {0.5 * (v->nx - 1), 0.5 * (v->ny - 1), 0.5 * (v->nz - 1)},
                             {-0.5, -0.5, -0.5},
                             {v->nx - 0.5, v->ny - 0.5, v->nz - 0.5},
                             {v->nx + 3.0, -7.0, 0.25}};
    double acc = 0;
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double xyz[3];
        tsc_volume_voxel_to_world(v, pts[i][0], pts[i][1], pts[i][2], xyz);
        float s = tsc_volume_sample(v, pts[i][0], pts[i][1], pts[i][2], 0.0f);
        if (isfinite(s)) acc += s;
        acc += xyz[0];
    }
    (void)acc;
    tsc_volume_free(v);
    return 0;
}
