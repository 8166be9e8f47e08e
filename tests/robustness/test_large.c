/* SPDX-License-Identifier: BSD-3-Clause */
/* A large series, scaled down for the test suite (bench/large/run.sh runs
 * 2,000 slices): 300 slices of 512 x 512, made with `tumorscope dicomize`
 * from a synthetic volume, then driven through the plugin ABI by
 * tsc-bench-large (bench/large/bench_large.c):
 * - decoding every slice in order keeps the peak RSS bounded (lazy decoding:
 *   growth does not depend on the number of slices);
 * - a series analysis cancelled half-way stops promptly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsc_test.h"

#define SLICES 300

static char bin_dir[4096], plugin[4096];

static void find_programs(void)
{
    const char *build = tsc_test_env("TSC_BUILD_DIR", ".");
    snprintf(bin_dir, sizeof bin_dir, "%s/bin", build);
    snprintf(plugin, sizeof plugin, "%s/lib/libtumorscope-plugin.so", build);
    char p[4200];
    snprintf(p, sizeof p, "%s/tsc-bench-large", bin_dir);
    if (access(p, X_OK) != 0) tsc_test_skip("%s is not built", p);
    snprintf(p, sizeof p, "%s/tumorscope", bin_dir);
    if (access(p, X_OK) != 0) tsc_test_skip("%s is not built", p);
    if (access(plugin, R_OK) != 0) tsc_test_skip("%s is not built", plugin);
}

/* The series, in the case's temporary folder; returns its path. */
static const char *make_series(void)
{
    static char dir[4200];
    const char *tmp = tsc_test_tmpdir();
    snprintf(dir, sizeof dir, "%s/series", tmp);
    REQUIRE(
        tsc_test_system(
            "'%s/tsc-bench-large' make-nifti '%s/vol.nii' && '%s/tumorscope' dicomize --out '%s' "
            "--size 512x512 --spacing 0.45 --slice-spacing %.9g --z-range 0:189 --patient-name "
            "'Bench^Large' --patient-id BENCH-LARGE --uid-seed bench-large '%s/vol.nii' >/dev/null",
            bin_dir, tmp, bin_dir, dir, 189.0 / (SLICES - 1), tmp) == 0);
    return dir;
}

/* Runs tsc-bench-large and keeps its key=value output. */
static char output[16384];
static void bench(const char *args)
{
    /* A leading newline, so that every key is found as "\nkey=". */
    output[0] = '\n';
    /* Idle OpenMP threads sleep, as in the CLI and the viewer (docs/ENGINE.md). */
    int rc = tsc_test_system_output(
        output + 1, sizeof output - 1,
        "OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} '%s/tsc-bench-large' %s", bin_dir, args);
    if (rc != 0) fprintf(stderr, "tsc-bench-large %s exited %d:\n%s", args, rc, output);
    REQUIRE(rc == 0);
}

static double value(const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\n%s=", key);
    const char *p = strstr(output, pat);
    if (!p) {
        fprintf(stderr, "no %s in the output:\n%s", key, output);
        exit(1);
    }
    return atof(p + strlen(pat));
}

TSC_TEST(robustness_decoding_300_slices_keeps_memory_bounded)
{
    if (getenv("TSC_SANITIZED"))
        tsc_test_skip("AddressSanitizer's quarantine keeps freed memory resident: RSS bounds are "
                      "measured in the normal build");
    find_programs();
    const char *dir = make_series();
    char args[8400];
    /* No cache: only the slice in hand is held. */
    snprintf(args, sizeof args, "scroll '%s' '%s' 0", plugin, dir);
    bench(args);
    CHECK(value("decoded") == SLICES);
    double growth = value("scroll_growth_kib") / 1024;
    printf("  %d slices of 512x512 decoded in order: %.2f ms each (worst %.1f); peak RSS %.0f MiB "
           "after opening, +%.1f MiB while scrolling with no cache\n",
           SLICES, value("decode_ms_mean"), value("decode_ms_max"), value("hwm_after_open_kib") / 1024,
           growth);
    if (value("scroll_growth_kib") < 0) tsc_test_skip("this kernel cannot reset the peak RSS");
    /* All 300 decoded slices would be 300 MiB of float32. */
    CHECK(growth < 32);
    /* The viewer's cap: 96 slices (TSC_VIEWER_CACHE_MAX_SLICES) of 1 MiB. */
    snprintf(args, sizeof args, "scroll '%s' '%s' 96", plugin, dir);
    bench(args);
    double growth96 = value("scroll_growth_kib") / 1024;
    printf("  with a 96-slice cache: +%.1f MiB\n", growth96);
    CHECK(growth96 < 96 + 32);
}

TSC_TEST(robustness_series_analysis_cancel_stops_promptly)
{
    find_programs();
    const char *dir = make_series();
    /* The shipped model when there is one, else the threshold method. */
    char models[4200];
    snprintf(models, sizeof models, "%s/resources/models", tsc_test_env("TSC_SOURCE_DIR", ".."));
    const char *method =
        tsc_test_system("ls '%s'/*.json >/dev/null 2>&1", models) == 0 ? "cnn" : "threshold";
    char args[8400];
    snprintf(args, sizeof args, "cancel '%s' '%s' %s 2 0.5", plugin, dir, method);
    bench(args);
    double latency = value("cancel_latency_ms");
    double done = value("slices_analysed");
    printf("  %s, 2 threads, %d slices: cancel requested after %.0f, %.0f analysed; returned %.0f ms "
           "after the request (in-flight slices %.0f ms, then the 3D aggregate %.0f ms); %.0f ms per "
           "slice before; RSS grew %.0f MiB\n",
           method, SLICES, value("cancel_requested_at_slice"), done, latency,
           value("cancel_to_last_slice_ms"), value("last_slice_to_return_ms"),
           1000 * value("s_per_slice_before_cancel"), value("rss_during_analysis_growth_kib") / 1024);
    CHECK(strstr(output, "status=cancelled") != NULL);
    CHECK(latency >= 0 && latency < 2000);
    /* At most the slices in flight on the two workers finish after the request. */
    CHECK(done >= SLICES / 2 && done <= SLICES / 2 + 4);
}

TSC_TEST_MAIN(TSC_CASE(robustness_decoding_300_slices_keeps_memory_bounded),
              TSC_CASE(robustness_series_analysis_cancel_stops_promptly))
