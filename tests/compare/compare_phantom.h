/* SPDX-License-Identifier: BSD-3-Clause */
/* The lesion phantoms of the comparison tests (CLI and viewer), with known
 * geometry: a head-like ellipse with bright spherical lesions, written as
 * 16-bit PNG slices at 1 mm, to be turned into an MR series with
 * `tumorscope dicomize` (tsc_phantom_dicomize_command).  Baseline and
 * follow-ups differ in slice spacing and origin, so matching and scrolling
 * must go by patient position. */
#ifndef TSC_COMPARE_PHANTOM_H
#define TSC_COMPARE_PHANTOM_H

#include <stddef.h>

#include "tsc_status.h"

#define TSC_PHANTOM_SIZE 160 /* pixels per side, 1 mm each */
#define TSC_PHANTOM_ORIGIN_XY (-79.5)

typedef struct tsc_phantom_sphere {
    double x, y, z, r; /* patient coordinates (LPS), mm */
} tsc_phantom_sphere;

typedef struct tsc_phantom_study {
    double z0, dz; /* first slice position and spacing along z, mm */
    int n_slices;
    const tsc_phantom_sphere *lesions;
    size_t n_lesions;
} tsc_phantom_study;

/* Baseline: 2 mm slices from z = 0; two lesions on separate slices. */
extern const tsc_phantom_sphere tsc_phantom_base_lesions[2];
extern const tsc_phantom_study tsc_phantom_baseline;
/* The first grown (r 14 -> 17), the second shrunk (12 -> 10), a new one. */
extern const tsc_phantom_sphere tsc_phantom_grown_shrunk_new[3];

/* A follow-up with `lesions`: 3 mm slices from z = 1, so other positions
 * and other indices than the baseline's. */
tsc_phantom_study tsc_phantom_followup(const tsc_phantom_sphere *lesions, size_t n);

/* Writes the slices of `s` into the existing folder `dir` as 0001.png,
 * 0002.png, ...: background ~5, the head ~400 with deterministic noise,
 * lesions 950. */
tsc_status tsc_phantom_write_pngs(const char *dir, const tsc_phantom_study *s, tsc_error *err);

/* The `tumorscope dicomize` command (for system(3)) turning the PNGs in
 * `png_dir` into study `out_dir` of patient `patient_id` (name
 * Phantom^Compare), dated `study_date` (YYYYMMDD), with UIDs seeded by
 * `name`.  Returns snprintf's count (>= n: cut). */
int tsc_phantom_dicomize_command(char *buf, size_t n, const char *cli, const char *out_dir,
                                 const char *patient_id, const char *name,
                                 const tsc_phantom_study *s, const char *study_date,
                                 const char *png_dir);

#endif
