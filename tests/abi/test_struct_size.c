// SPDX-License-Identifier: BSD-3-Clause
/* The version-4, -5 and -7 members read and write a host's struct only up to its
 * struct_size (docs/PLUGIN_ABI.md, rules 4 and 5), seen from a host that
 * dlopen()s the plugin: a host built before a field existed passes a
 * shorter struct and must get the defaults for the rest, and must not have
 * bytes written past its end. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_plugin_host.h"
#include "tsc_plugin.h"
#include "tsc_test.h"

static const tsc_plugin_api *load_api(void)
{
    const tsc_plugin_api *a = test_plugin_host_load();
    REQUIRE(TSC_PLUGIN_HAS(a, dicom_write_series_v4));
    return a;
}

TSC_TEST(nn_model_load_v4_takes_defaults_past_the_hosts_struct_size)
{
    const tsc_plugin_api *api = load_api();
    tsc_nn_params p = api->nn_default_params_v4();
    CHECK(p.struct_size == sizeof p);
    CHECK(p.max_file_bytes == (size_t)2 << 30);
    /* A host whose struct ends before max_file_bytes: the 16-byte cap set
     * past its end must not be read; the default cap applies and it loads. */
    p.n_threads = 1;
    p.max_file_bytes = 16;
    p.struct_size = offsetof(tsc_nn_params, max_file_bytes);
    tsc_error err;
    tsc_nn_model *m = NULL;
    CHECK(api->nn_model_load_v4(TSC_ONNX_PATH, &p, &m, &err) == TSC_OK);
    if (m) {
        CHECK(api->nn_model_n_threads(m) == 1);
        api->nn_model_free(m);
    }
    /* The whole struct: the cap is read. */
    p.struct_size = sizeof p;
    m = NULL;
    CHECK(api->nn_model_load_v4(TSC_ONNX_PATH, &p, &m, &err) == TSC_ELIMIT);
    CHECK(m == NULL);
    /* NULL: the defaults. */
    CHECK(api->nn_model_load_v4(TSC_ONNX_PATH, NULL, &m, &err) == TSC_OK);
    if (m) api->nn_model_free(m);
}

TSC_TEST(dicom_write_series_v4_writes_only_the_hosts_struct_size)
{
    const tsc_plugin_api *api = load_api();
    enum { C = 4, R = 4, N = 2 };
    float values[N * R * C] = {0};
    double positions[3 * N] = {0, 0, 0, 0, 0, 2};
    tsc_dicom_write_volume vol = {C, R, N, values, positions};
    tsc_dicom_write_params wp = api->dicom_write_default_params();
    wp.uid_seed = "struct-size";
    wp.allow_non_empty = 1;
    wp.compression = TSC_DICOM_COMPRESS_RLE;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/struct_size_series", TSC_OUT_DIR);
    tsc_error err;

    /* A host whose result ends after n_files: nothing past it is written. */
    struct {
        tsc_dicom_write_result r;
        unsigned char guard[64];
    } g;
    memset(&g, 0xA5, sizeof g);
    const size_t short_size = offsetof(tsc_dicom_write_result, n_clipped);
    g.r.struct_size = short_size;
    CHECK(api->dicom_write_series_v4(dir, &wp, &vol, &g.r, &err) == TSC_OK);
    CHECK(g.r.struct_size == short_size);
    CHECK(g.r.n_files == N);
    CHECK(!strcmp(g.r.transfer_syntax_uid, "1.2.840.10008.1.2.5"));
    const unsigned char *tail = (const unsigned char *)&g.r + short_size;
    for (size_t i = 0; i < sizeof g - short_size; i++)
        if (tail[i] != 0xA5) {
            CHECK(!"dicom_write_series_v4 wrote past the host's struct_size");
            break;
        }

    /* The whole struct, and 0 (counted as the whole version-4 struct). */
    tsc_dicom_write_result full = {.struct_size = sizeof full};
    CHECK(api->dicom_write_series_v4(dir, &wp, &vol, &full, &err) == TSC_OK);
    CHECK(full.struct_size == sizeof full && full.n_files == N && full.bits_stored > 0);
    tsc_dicom_write_result zero = {0};
    CHECK(api->dicom_write_series_v4(dir, &wp, &vol, &zero, &err) == TSC_OK);
    CHECK(zero.struct_size == sizeof zero && zero.n_files == N);
    CHECK(!strcmp(zero.series_uid, full.series_uid));
}

/* Version 5 only appended the PACS members: a host of version 4 gets the
 * same table, and the node struct is read only up to its struct_size. */
TSC_TEST(pacs_members_of_version_5_read_only_the_hosts_struct_size)
{
    const tsc_plugin_api *api = load_api();
    tsc_plugin_get_api_fn get = test_plugin_host_get_api();
    const tsc_plugin_api *v4 = get(4);
    REQUIRE(v4 && v4->version >= 5 && TSC_PLUGIN_HAS(v4, write_dicom_pdf));
    CHECK(get(TSC_PLUGIN_API_VERSION + 1) == NULL);
    REQUIRE(TSC_PLUGIN_HAS(api, pacs_store_files));
    tsc_pacs_node n;
    memset(&n, 0, sizeof n);
    n.host = "127.0.0.1";
    n.port = 104;
    n.called_ae = "ARCHIVE";
    n.timeout_s = 2;
    /* A struct that ends before `port`: the 104 past its end is not read. */
    n.struct_size = offsetof(tsc_pacs_node, port);
    tsc_error err;
    CHECK(api->pacs_echo(&n, &err) == TSC_EINVAL);
    CHECK(strstr(err.message, "port 0 ") != NULL);
    /* The whole struct: port 1, where nothing listens. */
    n.struct_size = sizeof n;
    n.port = 1;
    CHECK(api->pacs_echo(&n, &err) == TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "nothing listens at 127.0.0.1:1") != NULL);
}

TSC_TEST(pacs_retrieve_of_version_7_reads_only_the_hosts_struct_size)
{
    const tsc_plugin_api *api = load_api();
    REQUIRE(TSC_PLUGIN_HAS(api, pacs_retrieve));
    tsc_pacs_node n;
    memset(&n, 0, sizeof n);
    n.struct_size = sizeof n;
    n.host = "127.0.0.1";
    n.port = 1; /* nothing listens there */
    n.called_ae = "ARCHIVE";
    n.timeout_s = 2;
    tsc_pacs_retrieve_params p;
    memset(&p, 0, sizeof p);
    p.method = 99;
    /* A struct that ends before `method`: the 99 past its end is not read,
     * the default (C-GET) applies and meets the closed port. */
    p.struct_size = offsetof(tsc_pacs_retrieve_params, method);
    tsc_error err;
    size_t got = 7;
    CHECK(api->pacs_retrieve(&n, "1.2.3", TSC_OUT_DIR "/v7", &p, NULL, NULL, &got, &err) ==
          TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "nothing listens at 127.0.0.1:1") != NULL && got == 0);
    /* The whole struct: the method is read, and refused. */
    p.struct_size = sizeof p;
    CHECK(api->pacs_retrieve(&n, "1.2.3", TSC_OUT_DIR "/v7", &p, NULL, NULL, &got, &err) ==
          TSC_EINVAL);
    CHECK(strstr(err.message, "retrieve method 99") != NULL);
    /* NULL params: C-GET with the defaults. */
    CHECK(api->pacs_retrieve(&n, "1.2.3", TSC_OUT_DIR "/v7", NULL, NULL, NULL, &got, &err) ==
          TSC_EIO);
}

TSC_TEST_MAIN(TSC_CASE(nn_model_load_v4_takes_defaults_past_the_hosts_struct_size),
              TSC_CASE(dicom_write_series_v4_writes_only_the_hosts_struct_size),
              TSC_CASE(pacs_members_of_version_5_read_only_the_hosts_struct_size),
              TSC_CASE(pacs_retrieve_of_version_7_reads_only_the_hosts_struct_size))
