/* SPDX-License-Identifier: BSD-3-Clause */
/* A host built against plugin ABI version 3 runs against the current plugin.
 *
 * Compiled against today's header but behaving exactly as a host built
 * against version 3 did: it asks for tsc_plugin_get_api(3), reads only the
 * members of the version-3 table, and gives the plugin structs of the sizes
 * such a host allocated (V3_* below), with poison behind them.  Version 4
 * gave tsc_nn_params and tsc_dicom_write_result a struct_size through new
 * members; this host uses the old members with their old layouts (today's
 * `_v2` types) and checks that the plugin neither reads nor writes past
 * them, then opens a study, analyses a slice and describes it.
 *
 * The version-3 layouts are ONNX Runtime-style pins instead of a frozen
 * copy of the old headers: plugin/abi/abi_layout.c asserts every member
 * offset of the version-3 table and every field of the structs below at
 * the numbers a program compiled against the version-3 headers (git show
 * 467f0d3:plugin/abi/tsc_plugin.h and the headers it includes) printed.
 * tests/abi/v2_host.c is still built against a frozen copy of the oldest
 * version the plugin serves.
 *
 * usage: v3_host PLUGIN.so SAMPLE_DICOM OUT_DIR MODEL.onnx
 * Exit status 0 when every check holds (77: not LP64, where the sizes below
 * do not apply); every failed check is printed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "old_host.h"
#include "tsc_plugin.h"

/* What a version-3 host allocated, in bytes on LP64. */
enum {
    V3_API_SIZE = 840,             /* the table, up to series_result_get_slice_geometry */
    V3_API_FIRST_MEMBER = 8,       /* plugin_version, after version and struct_size */
    V3_OPEN_PARAMS_SIZE = 64,      /* tsc_dicom_open_params */
    V3_ANALYSIS_OPTIONS_SIZE = 64, /* tsc_analysis_options */
    V3_REPORT_OPTIONS_SIZE = 88,   /* tsc_report_options */
    V3_OVERLAY_OPTIONS_SIZE = 64,  /* tsc_report_options.overlay */
    V3_SCOPE_INPUT_SIZE = 240,     /* tsc_scope_input */
    V3_WRITE_PARAMS_SIZE = 360,    /* tsc_dicom_write_params */
    V3_NN_PARAMS_SIZE = 40,        /* tsc_nn_params without struct_size: tsc_nn_params_v2 */
    V3_WRITE_RESULT_SIZE = 304,    /* tsc_dicom_write_result without struct_size: _v2 */
    V3_DESCRIPTION_SIZE = 1144,    /* tsc_description */
};

/* Storage for a struct the way a version-3 host had it: its version-3
 * bytes, then poison up to 256 bytes past today's size.  Only fields inside
 * the version-3 bytes are touched through `v`. */
#define V3_STORAGE(T)                                                                              \
    union {                                                                                        \
        T v;                                                                                       \
        unsigned char bytes[sizeof(T) + 256];                                                      \
    }

/* The members of the version-3 table are all there. */
static void check_v3_table(const tsc_plugin_api *api)
{
    const unsigned char *table = (const unsigned char *)api;
    for (size_t off = V3_API_FIRST_MEMBER; off < V3_API_SIZE; off += sizeof(void (*)(void))) {
        void (*member)(void);
        memcpy(&member, table + off, sizeof member);
        CHECK(member != NULL, "the version-3 member at byte %zu is NULL", off);
    }
}

int main(int argc, char **argv)
{
#if !defined(__LP64__)
    (void)argc;
    (void)argv;
    printf("v3 host: skipped: the version-3 sizes are pinned for LP64 only\n");
    return 77;
#else
    if (argc < 5) {
        fprintf(stderr, "usage: v3_host PLUGIN.so SAMPLE_DICOM OUT_DIR MODEL.onnx\n");
        return 2;
    }
    const char *samples = argv[2], *out_dir = argv[3], *onnx = argv[4];
    void *lib;
    tsc_plugin_get_api_fn get_api = old_host_load(argv[1], &lib);
    const tsc_plugin_api *api = get_api ? get_api(3) : NULL;
    if (!api) {
        fprintf(stderr, "FAIL: the plugin does not serve ABI version 3\n");
        return 1;
    }
    if (api->version < 3 || api->struct_size < V3_API_SIZE) {
        fprintf(stderr, "FAIL: table version %u of %u bytes; a version-3 table has %d\n",
                api->version, api->struct_size, (int)V3_API_SIZE);
        return 1;
    }
    printf("v3 host: plugin %s serves ABI %u (table %u bytes, v3 table %d bytes)\n",
           api->plugin_version(), api->version, api->struct_size, (int)V3_API_SIZE);
    check_v3_table(api);

    /* ---- by-value defaults: the size this host allocated ---- */
    tsc_analysis_options ao = api->analysis_default_options();
    CHECK(ao.struct_size == V3_ANALYSIS_OPTIONS_SIZE,
          "analysis_default_options(): %zu bytes, a v3 host has %d", ao.struct_size,
          (int)V3_ANALYSIS_OPTIONS_SIZE);
    tsc_dicom_open_params op = api->study_default_params();
    CHECK(op.struct_size == V3_OPEN_PARAMS_SIZE, "study_default_params(): %zu, a v3 host has %d",
          op.struct_size, (int)V3_OPEN_PARAMS_SIZE);
    tsc_report_options_v8 ro = api->report_default_options();
    CHECK(ro.struct_size == V3_REPORT_OPTIONS_SIZE &&
              ro.overlay.struct_size == V3_OVERLAY_OPTIONS_SIZE,
          "report_default_options(): %zu/%zu, a v3 host has %d/%d", ro.struct_size,
          ro.overlay.struct_size, (int)V3_REPORT_OPTIONS_SIZE, (int)V3_OVERLAY_OPTIONS_SIZE);
    tsc_scope_input si = api->scope_default_input();
    CHECK(si.struct_size == V3_SCOPE_INPUT_SIZE, "scope_default_input(): %zu, a v3 host has %d",
          si.struct_size, (int)V3_SCOPE_INPUT_SIZE);
    tsc_dicom_write_params wp = api->dicom_write_default_params();
    CHECK(wp.struct_size == V3_WRITE_PARAMS_SIZE,
          "dicom_write_default_params(): %zu, a v3 host has %d", wp.struct_size,
          (int)V3_WRITE_PARAMS_SIZE);

    /* ---- the engine with the version-3 tsc_nn_params (no struct_size) ---- */
    tsc_nn_params_v2 np = api->nn_default_params();
    CHECK(np.n_threads == 0 && np.engine == TSC_NN_ENGINE_ONEDNN && np.batch == 0 &&
              np.max_file_bytes == (size_t)2 << 30 && np.max_weight_bytes == (size_t)2 << 30 &&
              np.max_activation_bytes == (size_t)4 << 30,
          "nn_default_params() is not the version-3 layout: threads %d engine %d batch %lld "
          "file %zu weights %zu activations %zu",
          np.n_threads, (int)np.engine, (long long)np.batch, np.max_file_bytes,
          np.max_weight_bytes, np.max_activation_bytes);
    np.n_threads = 1;
    /* A cap this host sets must reach the engine at its version-3 offset;
     * nothing past the host's 40 bytes may be taken for a field. */
    V3_STORAGE(tsc_nn_params_v2) small;
    memset(&small, OLD_HOST_POISON, sizeof small);
    memcpy(&small, &np, V3_NN_PARAMS_SIZE);
    small.v.max_file_bytes = 16;
    tsc_error err;
    tsc_nn_model *m = NULL;
    tsc_status st = api->nn_model_load(onnx, &small.v, &m, &err);
    CHECK(st == TSC_ELIMIT && m == NULL,
          "a 16-byte file cap in the version-3 params was not applied: status %d (%s)", (int)st,
          st ? err.message : "loaded");
    if (m) api->nn_model_free(m);
    m = NULL;
    V3_STORAGE(tsc_nn_params_v2) params;
    memset(&params, OLD_HOST_POISON, sizeof params);
    memcpy(&params, &np, V3_NN_PARAMS_SIZE);
    st = api->nn_model_load(onnx, &params.v, &m, &err);
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
    V3_STORAGE(tsc_dicom_write_params) wps;
    memset(&wps, OLD_HOST_POISON, sizeof wps);
    memcpy(&wps, &wp, V3_WRITE_PARAMS_SIZE);
    wps.v.struct_size = V3_WRITE_PARAMS_SIZE;
    wps.v.patient_name = "V3^Host";
    wps.v.uid_seed = "v3-host";
    wps.v.allow_non_empty = 1;
    char series_dir[4096];
    snprintf(series_dir, sizeof series_dir, "%s/v3_series", out_dir);
    V3_STORAGE(tsc_dicom_write_result_v2) res;
    memset(&res, OLD_HOST_POISON, sizeof res);
    st = api->dicom_write_series(series_dir, &wps.v, &vol, &res.v, &err);
    CHECK(st == TSC_OK, "dicom_write_series: %s", err.message);
    CHECK(old_host_poison_intact(&res, V3_WRITE_RESULT_SIZE, sizeof res),
          "dicom_write_series wrote past this host's %d-byte tsc_dicom_write_result",
          (int)V3_WRITE_RESULT_SIZE);
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
    V3_STORAGE(tsc_dicom_open_params) ops;
    memset(&ops, OLD_HOST_POISON, sizeof ops);
    memcpy(&ops, &op, V3_OPEN_PARAMS_SIZE);
    ops.v.struct_size = V3_OPEN_PARAMS_SIZE;
    tsc_dicom_index *study = NULL;
    const char *paths[] = {samples};
    st = api->study_open(paths, 1, &ops.v, &study, &err);
    CHECK(st == TSC_OK && api->study_n_series(study) > 0, "study_open: %s",
          st ? err.message : "no series");
    if (st == TSC_OK && api->study_n_series(study) > 0) {
        V3_STORAGE(tsc_analysis_options) aos;
        memset(&aos, OLD_HOST_POISON, sizeof aos);
        memcpy(&aos, &ao, V3_ANALYSIS_OPTIONS_SIZE);
        aos.v.struct_size = V3_ANALYSIS_OPTIONS_SIZE;
        aos.v.method = TSC_METHOD_THRESHOLD;
        tsc_result *r = NULL;
        st = api->analyze_study_slice(NULL, study, 0, 0, &aos.v, &r, &err);
        CHECK(st == TSC_OK, "analyze_study_slice: %s", err.message);
        if (st == TSC_OK) {
            V3_STORAGE(tsc_description) d;
            memset(&d, OLD_HOST_POISON, sizeof d);
            api->result_describe(NULL, r, &d.v);
            CHECK(d.v.struct_size == V3_DESCRIPTION_SIZE &&
                      old_host_poison_intact(&d, V3_DESCRIPTION_SIZE, sizeof d),
                  "result_describe: struct_size %zu, a v3 host has %d", d.v.struct_size,
                  (int)V3_DESCRIPTION_SIZE);
            CHECK(d.v.label[0] != '\0', "empty label");
            printf("v3 host: series 0 slice 0: %s\n", d.v.label);
            /* A slice report with this host's 88-byte options: the poison
             * behind them must not be taken for version 9's measurements. */
            V3_STORAGE(tsc_report_options_v8) ros;
            memset(&ros, OLD_HOST_POISON, sizeof ros);
            memcpy(&ros, &ro, V3_REPORT_OPTIONS_SIZE);
            ros.v.timestamp = "2026-01-01 00:00";
            char png[4096];
            snprintf(png, sizeof png, "%s/v3_slice.png", out_dir);
            remove(png);
            st = api->report_slice_png(png, NULL, study, 0, 0, r, (const void *)&ros.v, &err);
            CHECK(st == TSC_OK, "report_slice_png with the version-3 options: %s", err.message);
            api->result_free(r);
        }
        api->study_free(study);
    }
    dlclose(lib);
    return old_host_finish("v3 host");
#endif
}
