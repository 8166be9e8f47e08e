/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: the dataset index (index.csv) from memory, then every
 * accessor over what was loaded.  A libFuzzer binary with -DTSC_FUZZ=ON
 * (clang); otherwise replay_main.c replays corpus/fuzz_csv under ctest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tsc_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsc_dataset *ds = NULL;
    tsc_error err;
    tsc_error_clear(&err);
    tsc_status st = tsc_dataset_load_memory((const char *)data, size, "fuzz-data", &ds, &err);
    fuzz_verbose("dataset", st, &err);
    if (st != TSC_OK) {
        /* Bad data is a status with a message, never a half-built object. */
        FUZZ_CHECK(!ds && err.message[0]);
        return 0;
    }
    size_t n_cols = tsc_dataset_n_columns(ds), n_rows = tsc_dataset_n_rows(ds);
    static const char *const required[] = {"id", "label", "label_name", "patient_id", "split"};
    for (size_t i = 0; i < 5; i++) {
        int c = tsc_dataset_find_column(ds, required[i]);
        FUZZ_CHECK(c >= 0 && (size_t)c < n_cols);
    }
    size_t total = 0;
    for (size_t c = 0; c < n_cols; c++) total += strlen(tsc_dataset_get_column_name(ds, c));
    for (size_t r = 0; r < n_rows; r++) {
        const tsc_dataset_row *row = tsc_dataset_get_row(ds, r);
        FUZZ_CHECK(row->id[0]);
        total += strlen(row->label_name) + strlen(row->patient_id) + strlen(row->split);
        for (size_t c = 0; c < n_cols; c++) total += strlen(tsc_dataset_get_value(ds, r, c));
        char *image = tsc_dataset_dup_image_path(ds, r), *mask = tsc_dataset_dup_mask_path(ds, r);
        if (image) total += strlen(image);
        if (mask) total += strlen(mask);
        free(image);
        free(mask);
    }
    (void)total;
    tsc_dataset_free(ds);
    return 0;
}
