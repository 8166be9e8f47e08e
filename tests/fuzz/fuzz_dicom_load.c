/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: a DICOM file through the whole reading path the viewer
 * uses: tsc_dicom_open (header indexing) and tsc_dicom_decode_slice on every
 * slice it indexed.  The reader works on paths, so the input is written to
 * one file in a private folder made once per process (on /dev/shm when it
 * is writable; TSC_FUZZ_TMPDIR overrides) and removed after each input.
 * libFuzzer ends without running atexit handlers, so the empty folder stays
 * behind; bench/fuzz.sh points TSC_FUZZ_TMPDIR at a folder it removes.  An input that holds a DICOMDIR
 * record sequence tag is written under the name DICOMDIR, so that the
 * media-directory reader is fuzzed too.  A libFuzzer binary with
 * -DTSC_FUZZ=ON (clang); otherwise replay_main.c replays corpus/fuzz_dicom_load
 * under ctest. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "tsc_dicom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[512];
static char file_path[600], dicomdir_path[600];

static void remove_dir(void)
{
    unlink(file_path);
    unlink(dicomdir_path);
    rmdir(dir);
}

static void make_dir(void)
{
    fuzz_make_tmpdir(dir, sizeof dir, "dicom");
    snprintf(file_path, sizeof file_path, "%s/IM0001.dcm", dir);
    snprintf(dicomdir_path, sizeof dicomdir_path, "%s/DICOMDIR", dir);
    atexit(remove_dir);
}

/* (0004,1220) DirectoryRecordSequence in little-endian byte order. */
static int has_directory_records(const uint8_t *data, size_t size)
{
    static const uint8_t tag[4] = {0x04, 0x00, 0x20, 0x12};
    for (size_t i = 0; i + 4 <= size; i++)
        if (memcmp(data + i, tag, 4) == 0) return 1;
    return 0;
}

static size_t touch(const char *s)
{
    FUZZ_CHECK(s != NULL); /* the API promises "" rather than NULL */
    return strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) make_dir();
    /* Only one file exists at a time, so no input sees its predecessor. */
    unlink(file_path);
    unlink(dicomdir_path);
    const char *path = has_directory_records(data, size) ? dicomdir_path : file_path;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror("fuzz_dicom_load: writing the input");
        abort();
    }

    tsc_dicom_open_params p = tsc_dicom_default_open_params();
    p.recursive = 0;
    /* Far below the 1 GiB default, so that a large declared image is a
     * refusal rather than libFuzzer's out-of-memory report. */
    p.max_pixel_bytes = 64u << 20;
    tsc_dicom_index *ix = NULL;
    tsc_error err;
    tsc_error_clear(&err);
    tsc_status st = tsc_dicom_open(&path, 1, &p, &ix, &err);
    fuzz_verbose("open", st, &err);
    if (!ix) {
        FUZZ_CHECK(st != TSC_OK && err.message[0]);
        unlink(path);
        return 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < tsc_dicom_n_patients(ix); i++) {
        const tsc_dicom_patient_info *pi = tsc_dicom_get_patient(ix, i);
        total += touch(pi->name) + touch(pi->id) + touch(pi->birth_date) + touch(pi->sex);
    }
    for (size_t i = 0; i < tsc_dicom_n_studies(ix); i++) {
        const tsc_dicom_study_info *si = tsc_dicom_get_study(ix, i);
        FUZZ_CHECK(si->patient < tsc_dicom_n_patients(ix));
        total += touch(si->study_uid) + touch(si->date) + touch(si->description);
    }
    for (size_t i = 0; i < tsc_dicom_n_skipped(ix); i++) {
        const tsc_dicom_skipped *sk = tsc_dicom_get_skipped(ix, i);
        total += touch(sk->path) + touch(sk->reason);
        if (fuzz_is_verbose()) fprintf(stderr, "  skipped: %s\n", sk->reason);
    }
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++) {
        const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, s);
        FUZZ_CHECK(se->study < tsc_dicom_n_studies(ix) && se->n_slices > 0);
        total += touch(se->series_uid) + touch(se->description) + touch(se->modality) +
                 touch(se->contrast_label) + touch(se->transfer_syntaxes);
        for (size_t k = 0; k < se->n_slices; k++) {
            const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(ix, s, k);
            total += touch(sl->path) + touch(sl->sop_instance_uid) +
                     touch(tsc_dicom_transfer_syntax_name(sl->transfer_syntax_uid));
            tsc_dicom_image *im = NULL;
            tsc_status ds = tsc_dicom_decode_slice(ix, s, k, &im, &err);
            fuzz_verbose("decode", ds, &err);
            if (ds != TSC_OK) {
                FUZZ_CHECK(!im && err.message[0]);
                continue;
            }
            FUZZ_CHECK(im && im->pixels && im->rows == sl->rows && im->cols == sl->cols);
            FUZZ_CHECK(im->rows >= 1 && im->cols >= 1);
            FUZZ_CHECK(im->window_width > 0 && im->min_value <= im->max_value);
            /* Read every pixel, so that ASan checks the whole buffer; the
             * values are finite (windowing and the analysis rely on it). */
            size_t n = (size_t)im->rows * (size_t)im->cols;
            for (size_t i = 0; i < n; i++) FUZZ_CHECK(isfinite(im->pixels[i]));
            tsc_dicom_image_free(im);
        }
    }
    (void)total;
    tsc_dicom_index_free(ix);
    unlink(path);
    return 0;
}
