/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: a PNG (dataset images and masks) read as grayscale from
 * memory.  A libFuzzer binary with -DTSC_FUZZ=ON (clang); otherwise
 * replay_main.c replays corpus/fuzz_png under ctest. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "tsc_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsc_gray_image *im = NULL;
    tsc_error err;
    tsc_error_clear(&err);
    tsc_status st = tsc_png_read_memory(data, size, "fuzz.png", &im, &err);
    fuzz_verbose("png", st, &err);
    if (st != TSC_OK) {
        FUZZ_CHECK(!im && err.message[0]);
        return 0;
    }
    FUZZ_CHECK(im->width >= 1 && im->height >= 1 && im->pixels);
    FUZZ_CHECK(im->bit_depth == 8 || im->bit_depth == 16);
    FUZZ_CHECK((uint64_t)im->width * (uint64_t)im->height <= TSC_PNG_MAX_PIXELS);
    /* Read every pixel, so that ASan checks the whole buffer. */
    unsigned acc = 0;
    for (int y = 0; y < im->height; y++)
        for (int x = 0; x < im->width; x++) acc += tsc_gray_image_get(im, x, y);
    (void)acc;
    tsc_gray_image_free(im);
    return 0;
}
