/* SPDX-License-Identifier: BSD-3-Clause */
/* A host built against plugin ABI version 3 runs against the current plugin.
 *
 * Compiled ONLY with the version-3 public headers in tests/abi/v3/ (copied
 * from git history, see tests/abi/v3/README.md), as a host released against
 * ABI 3 was.  Version 4 gave tsc_nn_params and tsc_dicom_write_result a
 * struct_size through new members; this host uses the old members with the
 * old layouts (no struct_size) and checks that the plugin neither reads nor
 * writes past them, then opens a study, analyses a slice and describes it
 * with its own version-3 structs.  Every struct the plugin fills sits in
 * front of guard bytes that must come back untouched.
 *
 * usage: v3_host PLUGIN.so SAMPLE_DICOM OUT_DIR MODEL.onnx
 * Exit status 0 when every check holds; every failed check is printed. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_plugin.h"

#if TSC_PLUGIN_API_VERSION != 3
#error "v3_host must be compiled against the version-3 headers in tests/abi/v3/"
#endif

static int failures;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            failures++;                                                         \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

#define GUARD_BYTE 0xA5
#define GUARDED(T)                   \
    struct {                         \
        T v;                         \
        unsigned char guard[256];    \
    }

static int guard_intact(const unsigned char *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (g[i] != GUARD_BYTE) return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: v3_host PLUGIN.so SAMPLE_DICOM OUT_DIR MODEL.onnx\n");
        return 2;
    }
    const char *samples = argv[2], *out_dir = argv[3], *onnx = argv[4];
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "cannot load the plugin: %s\n", dlerror());
        return 1;
    }
    tsc_plugin_get_api_fn get_api = (tsc_plugin_get_api_fn)dlsym(lib, "tsc_plugin_get_api");
    const tsc_plugin_api *api = get_api ? get_api(TSC_PLUGIN_API_VERSION) : NULL;
    if (!api) {
        fprintf(stderr, "FAIL: the plugin does not serve ABI version 3\n");
        return 1;
    }
    if (!TSC_PLUGIN_HAS(api, series_result_get_slice_geometry)) {
        fprintf(stderr, "FAIL: the table lacks the version-3 members\n");
        return 1;
    }
    printf("v3 host: plugin %s serves ABI %u (table %u bytes, v3 table %zu bytes)\n",
           api->plugin_version(), api->version, api->struct_size, sizeof(tsc_plugin_api));
    CHECK(api->version >= 3, "table version %u", api->version);

    /* ---- by-value defaults: the size this host allocated ---- */
    tsc_analysis_options ao = api->analysis_default_options();
    CHECK(ao.struct_size == sizeof ao, "analysis_default_options(): %zu bytes, host has %zu",
          ao.struct_size, sizeof ao);
    tsc_dicom_open_params op = api->study_default_params();
    CHECK(op.struct_size == sizeof op, "study_default_params(): %zu, host %zu", op.struct_size,
          sizeof op);
    tsc_report_options ro = api->report_default_options();
    CHECK(ro.struct_size == sizeof ro, "report_default_options(): %zu, host %zu", ro.struct_size,
          sizeof ro);
    tsc_scope_input si = api->scope_default_input();
    CHECK(si.struct_size == sizeof si, "scope_default_input(): %zu, host %zu", si.struct_size,
          sizeof si);
    tsc_dicom_write_params wp = api->dicom_write_default_params();
    CHECK(wp.struct_size == sizeof wp, "dicom_write_default_params(): %zu, host %zu",
          wp.struct_size, sizeof wp);

    /* ---- the engine with the version-3 tsc_nn_params (no struct_size) ---- */
    tsc_nn_params np = api->nn_default_params();
    CHECK(np.n_threads == 0 && np.engine == TSC_NN_ENGINE_ONEDNN && np.batch == 0 &&
              np.max_file_bytes == (size_t)2 << 30 && np.max_weight_bytes == (size_t)2 << 30 &&
              np.max_activation_bytes == (size_t)4 << 30,
          "nn_default_params() is not the version-3 layout: threads %d engine %d batch %lld "
          "file %zu weights %zu activations %zu",
          np.n_threads, (int)np.engine, (long long)np.batch, np.max_file_bytes,
          np.max_weight_bytes, np.max_activation_bytes);
    np.n_threads = 1;
    /* A cap this host sets must reach the engine at its version-3 offset. */
    GUARDED(tsc_nn_params) small;
    memset(&small, GUARD_BYTE, sizeof small);
    small.v = np;
    small.v.max_file_bytes = 16;
    tsc_error err;
    tsc_nn_model *m = NULL;
    tsc_status st = api->nn_model_load(onnx, &small.v, &m, &err);
    CHECK(st == TSC_ELIMIT && m == NULL,
          "a 16-byte file cap in the version-3 params was not applied: status %d (%s)", (int)st,
          st ? err.message : "loaded");
    if (m) api->nn_model_free(m);
    m = NULL;
    st = api->nn_model_load(onnx, &np, &m, &err);
    CHECK(st == TSC_OK, "nn_model_load(%s): %s", onnx, err.message);
    if (st == TSC_OK) {
        CHECK(api->nn_model_n_inputs(m) >= 1 && api->nn_model_n_threads(m) == 1,
              "model: %zu inputs, %d threads", api->nn_model_n_inputs(m),
              api->nn_model_n_threads(m));
        api->nn_model_free(m);
    }

    /* ---- the writer with the version-3 tsc_dicom_write_result ---- */
    enum { C = 8, R = 6, N = 3 };
    float values[N * R * C];
    double positions[3 * N];
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) values[i] = (float)(i % 97);
    for (int k = 0; k < N; k++) {
        positions[3 * k] = 0;
        positions[3 * k + 1] = 0;
        positions[3 * k + 2] = 2.0 * k;
    }
    tsc_dicom_write_volume vol = {C, R, N, values, positions};
    wp.patient_name = "V3^Host";
    wp.uid_seed = "v3-host";
    wp.allow_non_empty = 1;
    char series_dir[4096];
    snprintf(series_dir, sizeof series_dir, "%s/v3_series", out_dir);
    GUARDED(tsc_dicom_write_result) res;
    memset(&res, GUARD_BYTE, sizeof res);
    st = api->dicom_write_series(series_dir, &wp, &vol, &res.v, &err);
    CHECK(st == TSC_OK, "dicom_write_series: %s", err.message);
    CHECK(guard_intact(res.guard, sizeof res.guard),
          "dicom_write_series wrote past this host's %zu-byte tsc_dicom_write_result",
          sizeof res.v);
    if (st == TSC_OK) {
        CHECK(res.v.n_files == N, "n_files %zu", res.v.n_files);
        CHECK(!strcmp(res.v.transfer_syntax_uid, "1.2.840.10008.1.2.1"),
              "transfer syntax '%.64s' (the version-3 offsets are not where the plugin wrote)",
              res.v.transfer_syntax_uid);
        CHECK(!strncmp(res.v.study_uid, "2.25.", 5) && res.v.bits_stored > 0 &&
                  res.v.bits_stored <= 16,
              "study UID '%.64s', bits stored %d", res.v.study_uid, res.v.bits_stored);
    }

    /* ---- a study, a slice, its description ---- */
    tsc_dicom_index *study = NULL;
    const char *paths[] = {samples};
    st = api->study_open(paths, 1, &op, &study, &err);
    CHECK(st == TSC_OK && api->study_n_series(study) > 0, "study_open: %s",
          st ? err.message : "no series");
    if (st == TSC_OK && api->study_n_series(study) > 0) {
        ao.method = TSC_METHOD_THRESHOLD;
        tsc_result *r = NULL;
        st = api->analyze_study_slice(NULL, study, 0, 0, &ao, &r, &err);
        CHECK(st == TSC_OK, "analyze_study_slice: %s", err.message);
        if (st == TSC_OK) {
            GUARDED(tsc_description) d;
            memset(&d, GUARD_BYTE, sizeof d);
            api->result_describe(NULL, r, &d.v);
            CHECK(d.v.struct_size == sizeof d.v && guard_intact(d.guard, sizeof d.guard),
                  "result_describe: struct_size %zu, host %zu", d.v.struct_size, sizeof d.v);
            CHECK(d.v.label[0] != '\0', "empty label");
            printf("v3 host: series 0 slice 0: %s\n", d.v.label);
            api->result_free(r);
        }
        api->study_free(study);
    }

    if (failures) {
        fprintf(stderr, "v3 host: %d check(s) failed\n", failures);
        return 1;
    }
    printf("v3 host: PASS\n");
    return 0;
}
