/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: a model manifest (JSON) through tsc__manifest_parse, and the
 * guarantees tsc_model_load relies on when it accepts one.  A libFuzzer
 * binary with -DTSC_FUZZ=ON (clang); otherwise replay_main.c replays
 * corpus/fuzz_manifest under ctest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "model_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsc__manifest m;
    tsc_error err;
    tsc_error_clear(&err);
    tsc_status st = tsc__manifest_parse((const char *)data, size, "fuzz.json", &m, &err);
    fuzz_verbose("manifest", st, &err);
    if (st != TSC_OK) {
        FUZZ_CHECK(err.message[0]);
        return 0;
    }
    /* Every string is terminated within its array (strnlen would hide an
     * overrun; strlen lets ASan see it).  Empty names are not refused by the
     * parser (a JSON "" or a string starting with a NUL byte); an empty ONNX
     * file name then fails when the model is opened. */
    FUZZ_CHECK(strlen(m.name) < sizeof m.name && strlen(m.version) < sizeof m.version);
    FUZZ_CHECK(strlen(m.onnx) < sizeof m.onnx && !strchr(m.onnx, '/'));
    FUZZ_CHECK(strlen(m.sha256) == 64);
    FUZZ_CHECK(strlen(m.seg_output) < sizeof m.seg_output);
    FUZZ_CHECK(strlen(m.cls_output) < sizeof m.cls_output);
    FUZZ_CHECK(m.input_size >= 16 && m.input_size <= 1024);
    FUZZ_CHECK(m.n_classes >= 2 && m.n_classes <= TSC__MAX_CLASSES && m.no_tumor < m.n_classes);
    for (size_t i = 0; i < m.n_classes; i++) {
        FUZZ_CHECK(strlen(m.classes[i].name) < sizeof m.classes[i].name);
        FUZZ_CHECK(strlen(m.classes[i].display) < sizeof m.classes[i].display);
    }
    FUZZ_CHECK(strcmp(m.classes[m.no_tumor].name, "no_tumor") == 0);
    FUZZ_CHECK(m.temperature > 0.05 && m.temperature < 20);
    FUZZ_CHECK(m.mask_probability > 0 && m.mask_probability < 1);
    FUZZ_CHECK(m.tumor_probability > 0 && m.tumor_probability < 1);
    FUZZ_CHECK(m.min_confidence >= 0 && m.min_confidence < 1 && m.min_tumor_area_px >= 0);
    return 0;
}
