/* SPDX-License-Identifier: BSD-3-Clause */
#include "compare_phantom.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "tsc_io.h"

const tsc_phantom_sphere tsc_phantom_base_lesions[2] = {{20, -15, 25, 14}, {-25, 15, 58, 12}};
const tsc_phantom_study tsc_phantom_baseline = {0, 2, 50, tsc_phantom_base_lesions, 2};
const tsc_phantom_sphere tsc_phantom_grown_shrunk_new[3] = {
    {20, -15, 25, 17}, {-25, 15, 58, 10}, {-20, -30, 90, 8}};

tsc_phantom_study tsc_phantom_followup(const tsc_phantom_sphere *lesions, size_t n)
{
    return (tsc_phantom_study){1, 3, 34, lesions, n};
}

static tsc_status write_slice(const char *path, const tsc_phantom_study *s, int k, unsigned *rng,
                              tsc_error *err)
{
    tsc_gray_image *im = tsc_gray_image_new(TSC_PHANTOM_SIZE, TSC_PHANTOM_SIZE, 16);
    if (!im) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    uint16_t *px = im->pixels;
    double z = s->z0 + k * s->dz;
    for (int r = 0; r < TSC_PHANTOM_SIZE; r++)
        for (int c = 0; c < TSC_PHANTOM_SIZE; c++) {
            *rng = *rng * 1664525u + 1013904223u;
            double noise = ((*rng >> 8) / 16777216.0 - 0.5) * 60.0;
            double x = TSC_PHANTOM_ORIGIN_XY + c, y = TSC_PHANTOM_ORIGIN_XY + r, v = 5;
            if ((x / 62) * (x / 62) + (y / 72) * (y / 72) <= 1) v = 400 + noise;
            for (size_t i = 0; i < s->n_lesions; i++) {
                const tsc_phantom_sphere *l = &s->lesions[i];
                double dx = x - l->x, dy = y - l->y, dz = z - l->z;
                if (dx * dx + dy * dy + dz * dz <= l->r * l->r) v = 950 + noise * 0.3;
            }
            px[r * TSC_PHANTOM_SIZE + c] = (uint16_t)lround(v);
        }
    tsc_status st = tsc_png_write(path, im, err);
    tsc_gray_image_free(im);
    return st;
}

tsc_status tsc_phantom_write_pngs(const char *dir, const tsc_phantom_study *s, tsc_error *err)
{
    unsigned rng = 12345;
    char file[4096];
    for (int k = 0; k < s->n_slices; k++) {
        snprintf(file, sizeof file, "%s/%04d.png", dir, k + 1);
        tsc_status st = write_slice(file, s, k, &rng, err);
        if (st != TSC_OK) return st;
    }
    return TSC_OK;
}

int tsc_phantom_dicomize_command(char *buf, size_t n, const char *cli, const char *out_dir,
                                 const char *patient_id, const char *name,
                                 const tsc_phantom_study *s, const char *study_date,
                                 const char *png_dir)
{
    return snprintf(buf, n,
                    "'%s' dicomize --out '%s' --patient-name 'Phantom^Compare' --patient-id '%s' "
                    "--uid-seed 'compare-%s' --spacing 1 --slice-spacing %g --origin %g,%g,%g "
                    "--study-date %s '%s' >/dev/null",
                    cli, out_dir, patient_id, name, s->dz, TSC_PHANTOM_ORIGIN_XY,
                    TSC_PHANTOM_ORIGIN_XY, s->z0, study_date, png_dir);
}
