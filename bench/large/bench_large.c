/* SPDX-License-Identifier: BSD-3-Clause */
/* Large-study host for bench/large/run.sh and the robustness tests: a plugin
 * host like tests/abi/minimal_host.c (dlopen, the ABI table only) that
 * measures memory while scrolling a series and the latency of cancelling a
 * series analysis.  Figures are printed as key=value lines.
 *
 * usage: tsc-bench-large make-nifti OUT.nii
 *        tsc-bench-large scroll PLUGIN.so STUDY [CACHE_SLICES]
 *        tsc-bench-large cancel PLUGIN.so STUDY [cnn|threshold] [THREADS] [FRACTION]
 *
 * scroll: opens STUDY, decodes every slice of its largest series in order,
 *   keeping the last CACHE_SLICES decoded images (default 0: each is freed
 *   at once; the viewer keeps at most TSC_VIEWER_CACHE_MAX_SLICES = 96).
 * cancel: analyses the largest series with the default model (or the
 *   threshold method) and requests cancellation from the progress callback
 *   once FRACTION (default 0.5) of the slices are done; reports the time from
 *   that request until analyze_study_series returns.  Frees everything, so
 *   that it can run under valgrind or LeakSanitizer. */
#include <dlfcn.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench_util.h"
#include "tsc_plugin.h"

/* VmHWM (peak) or VmRSS (current) of this process, in KiB. */
static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ':') v = strtol(line + n + 1, NULL, 10);
    fclose(f);
    return v;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0), so that a phase's peak can
 * be read on its own; returns 0 when that worked. */
static int reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* ---- a synthetic head volume ------------------------------------------ */

static void put_i16(unsigned char *p, int v)
{
    p[0] = (unsigned char)(v & 255);
    p[1] = (unsigned char)((v >> 8) & 255);
}
static void put_i32(unsigned char *p, int32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(((uint32_t)v >> (8 * i)) & 255);
}
static void put_f32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_i32(p, (int32_t)u);
}

/* 128 x 128 x 64 int16 voxels of 1.8 x 1.8 x 3 mm (z from 0 to 189 mm): an
 * ellipsoid "head" with scalp, brain texture, ventricles and a ring-shaped
 * bright lesion, plus a little deterministic noise. */
static int make_nifti(const char *path)
{
    enum { NX = 128, NY = 128, NZ = 64 };
    unsigned char h[352];
    memset(h, 0, sizeof h);
    put_i32(h, 348);
    /* dim[8] at 40 and pixdim[8] at 76 (the unlisted pixdim stay 0). */
    const int16_t dim[8] = {3, NX, NY, NZ, 1, 1, 1, 1};
    const float pixdim[4] = {1.0f, 1.8f, 1.8f, 3.0f};
    for (int i = 0; i < 8; i++) put_i16(h + 40 + 2 * i, dim[i]);
    for (int i = 0; i < 4; i++) put_f32(h + 76 + 4 * i, pixdim[i]);
    put_i16(h + 70, 4);       /* int16 */
    put_i16(h + 72, 16);      /* bitpix */
    put_f32(h + 108, 352.0f); /* vox_offset */
    put_f32(h + 112, 1.0f);   /* scl_slope */
    h[123] = 10;              /* xyzt_units: mm, s */
    put_i16(h + 254, 1);      /* sform_code: scanner */
    float srow[3][4] = {{1.8f, 0, 0, -114.3f}, {0, 1.8f, 0, -114.3f}, {0, 0, 3.0f, 0}};
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) put_f32(h + 280 + 16 * r + 4 * c, srow[r][c]);
    memcpy(h + 344, "n+1", 4);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return 1;
    }
    fwrite(h, 1, sizeof h, f);
    uint32_t seed = 2024;
    unsigned char v2[2];
    for (int k = 0; k < NZ; k++)
        for (int j = 0; j < NY; j++)
            for (int i = 0; i < NX; i++) {
                double u = (i - 63.5) / 52.0, v = (j - 63.5) / 62.0, w = (k - 31.5) / 30.0;
                double r = sqrt(u * u + v * v + w * w);
                double val = 0;
                if (r < 1.0) val = 1100;                                   /* scalp and skull */
                if (r < 0.88) val = 620 + 90 * sin(i * 0.45) * cos(j * 0.37); /* brain */
                if (fabs(u) < 0.12 && fabs(v) < 0.28 && fabs(w) < 0.25) val = 180; /* ventricles */
                double lu = u - 0.38, lv = v + 0.15, lw = w - 0.1;
                double lr = sqrt(lu * lu + lv * lv + lw * lw);
                if (lr < 0.2) val = lr < 0.12 ? 300 : 1600; /* ring-enhancing lesion */
                seed = seed * 1664525u + 1013904223u;
                if (val > 0) val += (double)(seed >> 24) / 8.0 - 16.0;
                put_i16(v2, (int)lround(val));
                fwrite(v2, 1, 2, f);
            }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* ---- the plugin ------------------------------------------------------- */

static const tsc_plugin_api *load_api(const char *so, void **lib)
{
    *lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!*lib) {
        fprintf(stderr, "cannot load the plugin: %s\n", dlerror());
        return NULL;
    }
    tsc_plugin_get_api_fn get = (tsc_plugin_get_api_fn)dlsym(*lib, "tsc_plugin_get_api");
    const tsc_plugin_api *api = get ? get(TSC_PLUGIN_API_VERSION) : NULL;
    if (!api) fprintf(stderr, "the plugin does not serve ABI version %u\n", TSC_PLUGIN_API_VERSION);
    return api;
}

static tsc_dicom_index *open_study(const tsc_plugin_api *api, const char *path, size_t *series)
{
    tsc_error err;
    tsc_dicom_index *ix = NULL;
    const char *paths[] = {path};
    tsc_dicom_open_params op = api->study_default_params();
    double t0 = bench_now_s();
    if (api->study_open(paths, 1, &op, &ix, &err) != TSC_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, err.message);
        api->study_free(ix);
        return NULL;
    }
    printf("open_s=%.3f\nfiles=%zu\n", bench_now_s() - t0, api->study_n_files(ix));
    *series = 0;
    for (size_t s = 1; s < api->study_n_series(ix); s++)
        if (api->study_get_series(ix, s)->n_slices > api->study_get_series(ix, *series)->n_slices)
            *series = s;
    const tsc_dicom_series_info *si = api->study_get_series(ix, *series);
    printf("slices=%zu\nrows=%d\ncols=%d\n", si->n_slices, si->rows, si->cols);
    return ix;
}

static int scroll(const char *so, const char *study, size_t cache)
{
    void *lib;
    const tsc_plugin_api *api = load_api(so, &lib);
    if (!api) return 1;
    printf("rss_start_kib=%ld\n", status_kib("VmRSS"));
    size_t series;
    tsc_dicom_index *ix = open_study(api, study, &series);
    if (!ix) return 1;
    printf("hwm_after_open_kib=%ld\n", status_kib("VmHWM"));
    long rss_before = status_kib("VmRSS");
    printf("rss_before_scroll_kib=%ld\n", rss_before);
    int reset = reset_peak() == 0;
    size_t n = api->study_get_series(ix, series)->n_slices;
    tsc_dicom_image **ring = calloc(cache ? cache : 1, sizeof *ring);
    double total = 0, worst = 0;
    size_t failed = 0;
    for (size_t k = 0; k < n; k++) {
        tsc_dicom_image *im = NULL;
        tsc_error err;
        double t0 = bench_now_s();
        if (api->slice_decode(ix, series, k, &im, &err) != TSC_OK) {
            fprintf(stderr, "slice %zu: %s\n", k, err.message);
            failed++;
            continue;
        }
        double dt = bench_now_s() - t0;
        total += dt;
        if (dt > worst) worst = dt;
        if (cache) {
            api->image_free(ring[k % cache]); /* the least recently used */
            ring[k % cache] = im;
        } else {
            api->image_free(im);
        }
    }
    for (size_t i = 0; i < cache; i++) api->image_free(ring[i]);
    free(ring);
    printf("cache_slices=%zu\ndecoded=%zu\nfailed=%zu\n", cache, n - failed, failed);
    printf("decode_ms_mean=%.2f\ndecode_ms_max=%.2f\n", n ? 1000 * total / (double)n : 0, 1000 * worst);
    long hwm = status_kib("VmHWM");
    printf("hwm_scroll_kib=%ld\n", reset ? hwm : -1);
    printf("scroll_growth_kib=%ld\n", reset ? hwm - rss_before : -1);
    printf("rss_end_kib=%ld\n", status_kib("VmRSS"));
    api->study_free(ix);
    dlclose(lib);
    return failed ? 1 : 0;
}

typedef struct cancel_ctx {
    size_t at;            /* request cancellation when this many slices are done */
    atomic_int requested;
    double t_request;
    atomic_size_t done;
    _Atomic double t_last; /* the last progress report */
} cancel_ctx;

static void on_progress(size_t done, size_t total, void *user)
{
    (void)total;
    cancel_ctx *c = user;
    atomic_store(&c->done, done);
    atomic_store(&c->t_last, bench_now_s());
    if (done >= c->at) {
        int expected = 0;
        /* The first thread to get here records the request time. */
        if (atomic_compare_exchange_strong(&c->requested, &expected, 2)) {
            c->t_request = bench_now_s();
            atomic_store(&c->requested, 1);
        }
    }
}

static int on_cancel(void *user)
{
    cancel_ctx *c = user;
    return atomic_load(&c->requested) == 1;
}

static int cancel(const char *so, const char *study, const char *method, int threads, double fraction)
{
    void *lib;
    const tsc_plugin_api *api = load_api(so, &lib);
    if (!api) return 1;
    size_t series;
    tsc_dicom_index *ix = open_study(api, study, &series);
    if (!ix) return 1;
    tsc_error err;
    tsc_model *model = NULL;
    tsc_analysis_options ao = api->analysis_default_options();
    if (!strcmp(method, "cnn")) {
        tsc_model_params mp = api->model_default_params();
        mp.threads = 1; /* one engine thread per worker, as the CLI does */
        if (api->model_load(NULL, &mp, &model, &err) != TSC_OK) {
            fprintf(stderr, "cannot load the default model: %s\n", err.message);
            api->study_free(ix);
            return 1;
        }
        printf("model=%s\n", api->model_get_name(model));
    } else {
        ao.method = TSC_METHOD_THRESHOLD;
    }
    size_t n = api->study_get_series(ix, series)->n_slices;
    cancel_ctx c;
    memset(&c, 0, sizeof c);
    c.at = (size_t)ceil(fraction * (double)n);
    if (c.at < 1) c.at = 1;
    atomic_init(&c.requested, 0);
    atomic_init(&c.done, 0);
    atomic_init(&c.t_last, 0.0);
    ao.cancel = on_cancel;
    ao.cancel_data = &c;
    long rss0 = status_kib("VmRSS");
    tsc_series_result *r = NULL;
    double t0 = bench_now_s();
    tsc_status st = api->analyze_study_series(model, ix, series, &ao, threads, on_progress, &c, &r, &err);
    double t1 = bench_now_s();
    size_t analysed = 0;
    for (size_t k = 0; r && k < api->series_result_n_slices(r); k++)
        analysed += api->series_result_get_slice(r, k) != NULL;
    printf("method=%s\nthreads=%d\nstatus=%s\n", method, threads, api->status_to_string(st));
    printf("cancel_requested_at_slice=%zu\nslices_analysed=%zu\n", c.at, analysed);
    printf("analysis_s=%.3f\n", t1 - t0);
    if (atomic_load(&c.requested) == 1) {
        printf("s_per_slice_before_cancel=%.4f\n", (c.t_request - t0) / (double)c.at);
        printf("cancel_latency_ms=%.1f\n", 1000 * (t1 - c.t_request));
        /* Where it goes: slices in flight finishing, then the 3D aggregate. */
        printf("cancel_to_last_slice_ms=%.1f\n", 1000 * (atomic_load(&c.t_last) - c.t_request));
        printf("last_slice_to_return_ms=%.1f\n", 1000 * (t1 - atomic_load(&c.t_last)));
    } else {
        printf("cancel_latency_ms=-1\n");
    }
    double pre = 0, inf = 0, post = 0;
    for (size_t k = 0; r && k < api->series_result_n_slices(r); k++) {
        const tsc_result *sr = api->series_result_get_slice(r, k);
        if (!sr) continue;
        const tsc_timings *t = api->result_get_timings(sr);
        pre += t->preprocess_ms;
        inf += t->inference_ms;
        post += t->postprocess_ms;
    }
    if (analysed)
        printf("slice_ms_preprocess=%.1f\nslice_ms_inference=%.1f\nslice_ms_postprocess=%.1f\n",
               pre / (double)analysed, inf / (double)analysed, post / (double)analysed);
    printf("rss_during_analysis_growth_kib=%ld\n", status_kib("VmRSS") - rss0);
    printf("hwm_kib=%ld\n", status_kib("VmHWM"));
    api->series_result_free(r);
    api->model_free(model);
    api->study_free(ix);
    printf("rss_after_free_kib=%ld\n", status_kib("VmRSS"));
    dlclose(lib);
    return st == TSC_ECANCELLED || st == TSC_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "make-nifti")) return make_nifti(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "scroll"))
        return scroll(argv[2], argv[3], argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 0);
    if (argc >= 4 && !strcmp(argv[1], "cancel"))
        return cancel(argv[2], argv[3], argc > 4 ? argv[4] : "cnn", argc > 5 ? atoi(argv[5]) : 0,
                      argc > 6 ? atof(argv[6]) : 0.5);
    fprintf(stderr, "usage: tsc-bench-large make-nifti OUT.nii\n"
                    "       tsc-bench-large scroll PLUGIN.so STUDY [CACHE_SLICES]\n"
                    "       tsc-bench-large cancel PLUGIN.so STUDY [cnn|threshold] [THREADS] [FRACTION]\n");
    return 2;
}
