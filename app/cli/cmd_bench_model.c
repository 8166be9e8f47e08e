/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope bench-model MODEL.onnx: times the C inference engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_int8.h"
#include "cli_util.h"

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: tumorscope bench-model MODEL.onnx [--threads N] [--iters N] [--warmup N]\n"
            "                              [--precision fp32|bf16|int8] [--int8-ranges FILE]\n"
            "                              [--input FILE] [--output FILE] [--batch N]\n"
            "                              [--reference] [--verbose]\n"
            "\n"
            "Loads an ONNX model into the oneDNN engine, runs it on a random 1-image input\n"
            "after warm-up runs and prints the median, 90th percentile and minimum\n"
            "milliseconds per run and the achieved GFLOP/s (2 x multiply-accumulates of\n"
            "Conv, ConvTranspose, Gemm and MatMul, divided by the median time).\n"
            "\n"
            "  --threads N   OpenMP threads (default: every core)\n"
            "  --iters N     timed runs (default 20)\n"
            "  --warmup N    untimed runs first (default 3)\n"
            "  --precision P fp32 (default) or bf16 (AVX512_BF16 convolutions; falls back\n"
            "                to fp32 with a warning on CPUs without it) or int8 (AVX512_VNNI\n"
            "                convolutions with the ranges of --int8-ranges, else ranges\n"
            "                calibrated on the benchmark's own input)\n"
            "  --int8-ranges FILE  a manifest with an \"int8\" block, or calibrate-int8's output\n"
            "  --input FILE  read the inputs from FILE instead: raw float32, native byte\n"
            "                order, all inputs one after the other in ONNX order\n"
            "  --output FILE write the outputs of the last run to FILE the same way\n"
            "  --batch N     bind a symbolic leading (batch) dimension to N and also print\n"
            "                the milliseconds per image (median / N); a model with a fixed\n"
            "                batch ignores it\n"
            "  --reference   use the plain-C reference engine (slow; for checking)\n"
            "  --verbose     log the oneDNN implementation chosen for every step\n"
            "\n"
            "Exit status: 0 ok, 1 a run failed, 2 usage error, 3 the model cannot be loaded.\n");
}

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int parse_count(const char *s, int min, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < min || v > 1000000) return -1;
    *out = (int)v;
    return 0;
}

/* Reads or writes `n` float32 arrays back to back; returns 0, or -1 with errno
 * set (a short read sets EINVAL: the file does not match the model's inputs). */
static int raw_floats(const char *path, int write, float **arrays, const size_t *counts, size_t n)
{
    FILE *f = fopen(path, write ? "wb" : "rb");
    if (!f) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t done = write ? fwrite(arrays[i], sizeof(float), counts[i], f)
                            : fread(arrays[i], sizeof(float), counts[i], f);
        if (done != counts[i]) rc = -1, errno = write ? errno : EINVAL;
    }
    if (!write && !rc && fgetc(f) != EOF) rc = -1, errno = EINVAL; /* longer than the inputs */
    if (fclose(f) && write) rc = -1;
    return rc;
}

typedef struct bench_args {
    int threads, iters, warmup, reference, verbose, precision; /* 0 fp32, 1 bf16, 2 int8 */
    int batch;
    const char *input, *output, *int8_ranges;
} bench_args;

enum {
    OPT_THREADS = 256,
    OPT_ITERS,
    OPT_WARMUP,
    OPT_REFERENCE,
    OPT_VERBOSE,
    OPT_INPUT,
    OPT_OUTPUT,
    OPT_PRECISION,
    OPT_INT8_RANGES,
    OPT_BATCH
};

static const struct option bench_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"iters", required_argument, NULL, OPT_ITERS},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"reference", no_argument, NULL, OPT_REFERENCE},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"input", required_argument, NULL, OPT_INPUT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"precision", required_argument, NULL, OPT_PRECISION},
    {"int8-ranges", required_argument, NULL, OPT_INT8_RANGES},
    {"batch", required_argument, NULL, OPT_BATCH},
    {NULL, 0, NULL, 0}};

/* A bad count is a usage error: 1 makes the caller print the usage. */
static int bench_option(int code, const char *v, void *user)
{
    bench_args *b = user;
    switch (code) {
    case 'h': bench_usage(stdout); return TSC_CLI_DONE;
    case OPT_THREADS: return parse_count(v, 1, &b->threads) ? 1 : 0;
    case OPT_ITERS: return parse_count(v, 1, &b->iters) ? 1 : 0;
    case OPT_WARMUP: return parse_count(v, 0, &b->warmup) ? 1 : 0;
    case OPT_REFERENCE: b->reference = 1; break;
    case OPT_VERBOSE: b->verbose = 1; break;
    case OPT_INPUT: b->input = v; break;
    case OPT_OUTPUT: b->output = v; break;
    case OPT_PRECISION: return (b->precision = tsc_cli_parse_precision(v)) < 0 ? 1 : 0;
    case OPT_INT8_RANGES: b->int8_ranges = v; break;
    case OPT_BATCH: return parse_count(v, 1, &b->batch) ? 1 : 0;
    }
    return 0;
}

/* Replaces the fp32 model *m by its int8 plan, with the ranges of
 * `ranges_path` or calibrated on `ins`; *load_ms gets the int8 load time. */
static int reload_int8(const tsc_plugin_api *api, const char *path, tsc_nn_params *p,
                       const char *ranges_path, const float *const *ins, tsc_nn_model **m,
                       double *load_ms)
{
    tsc_cli_int8_ranges r;
    if (ranges_path ? tsc_cli_int8_ranges_read(ranges_path, &r)
                    : tsc_cli_int8_ranges_calibrate(api, path, p, ins, &r))
        return TSC_EXIT_UNREADABLE;
    printf("int8_ranges: %zu from %s\n", r.n, ranges_path ? ranges_path : "the benchmark input");
    p->engine = TSC_NN_ENGINE_ONEDNN_INT8;
    api->nn_model_free(*m);
    *m = NULL;
    tsc_error err;
    double t0 = now_ms();
    tsc_status st = api->nn_model_load_int8(path, p, r.r, r.n, m, &err);
    *load_ms = now_ms() - t0;
    tsc_cli_int8_ranges_clear(&r);
    if (st != TSC_OK) {
        fprintf(stderr, "tumorscope: %s\n", err.message);
        return TSC_EXIT_UNREADABLE;
    }
    return TSC_EXIT_OK;
}

int tsc_cli_bench_model(int argc, char **argv)
{
    bench_args b = {0, 20, 3, 0, 0, 0, 0, NULL, NULL, NULL};
    const char **operands = calloc((size_t)argc, sizeof *operands);
    size_t n_operands = 0;
    if (!operands) return TSC_EXIT_FAILURE;
    int prc = tsc_cli_parse_options("bench-model", argc, argv, bench_options, bench_option, &b,
                                    operands, &n_operands);
    const char *path = n_operands == 1 ? operands[0] : NULL;
    free(operands);
    if (prc == TSC_CLI_DONE) return TSC_EXIT_OK;
    if (prc == TSC_EXIT_USAGE) return prc; /* the helper said why */
    int threads = b.threads, iters = b.iters, warmup = b.warmup, reference = b.reference,
        verbose = b.verbose;
    size_t *counts = NULL;
    if (prc != 0) goto bad;
    if (!path) goto bad;
    tsc_cli_install_log(verbose);
    const tsc_plugin_api *api = tsc_cli_plugin();
    if (!api) return TSC_EXIT_FAILURE;

    tsc_nn_params p = api->nn_default_params_v4();
    p.n_threads = threads;
    p.batch = b.batch;
    p.engine = reference ? TSC_NN_ENGINE_REFERENCE
               : b.precision == 1
                   ? TSC_NN_ENGINE_ONEDNN_BF16
                   : TSC_NN_ENGINE_ONEDNN; /* int8: fp32 first (sizes, calibration) */
    tsc_error err;
    tsc_error_clear(&err);
    tsc_nn_model *m = NULL;
    double t0 = now_ms();
    tsc_status st = api->nn_model_load_v4(path, &p, &m, &err);
    double load_ms = now_ms() - t0;
    if (st != TSC_OK) {
        fprintf(stderr, "tumorscope: %s\n", err.message);
        return TSC_EXIT_UNREADABLE;
    }
    size_t ni = api->nn_model_n_inputs(m), no = api->nn_model_n_outputs(m);
    float **ins = calloc(ni, sizeof *ins), **outs = calloc(no, sizeof *outs);
    /* CPU time of the process per run (all threads): on a shared machine it
     * shows the work a run costs, which wall time mixes with waiting for a
     * core. */
    double *times = calloc((size_t)iters * 2, sizeof *times), *cpu = times + iters;
    counts = calloc(ni + no, sizeof *counts);
    int rc = TSC_EXIT_OK;
    if (!ins || !outs || !times || !counts) goto oom;
    for (size_t i = 0; i < ni; i++) {
        size_t n = counts[i] = api->nn_model_input_size(m, i);
        if (!(ins[i] = malloc(n * sizeof(float)))) goto oom;
        unsigned s = 12345u + (unsigned)i;
        for (size_t k = 0; k < n; k++) {
            s = s * 1103515245u + 12345u;
            ins[i][k] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
        }
    }
    for (size_t i = 0; i < no; i++)
        if (!(outs[i] = malloc((counts[ni + i] = api->nn_model_output_size(m, i)) * sizeof(float))))
            goto oom;
    if (b.input && raw_floats(b.input, 0, ins, counts, ni)) {
        fprintf(stderr,
                "tumorscope: cannot read the inputs from %s: %s; it must hold exactly the "
                "model's input floats (raw float32)\n",
                b.input, errno == EINVAL ? "wrong size" : strerror(errno));
        rc = TSC_EXIT_UNREADABLE;
        goto done;
    }

    if (b.precision == 2 && !reference &&
        (rc = reload_int8(api, path, &p, b.int8_ranges, (const float *const *)ins, &m, &load_ms)) !=
            TSC_EXIT_OK)
        goto done;
    printf("model:      %s\n", path);
    printf("precision:  %s\n", api->nn_model_get_precision(m));
    printf("plan:       %s\n", api->nn_model_get_summary(m));
    for (size_t i = 0; i < ni; i++) {
        int rank;
        const int64_t *d = api->nn_model_get_input_shape(m, i, &rank);
        printf("input %zu:    %s [", i, api->nn_model_get_input_name(m, i));
        for (int k = 0; k < rank; k++) printf("%s%lld", k ? "x" : "", (long long)d[k]);
        printf("]\n");
    }
    printf("threads:    %d\n", api->nn_model_n_threads(m));
    const char *wait = getenv("OMP_WAIT_POLICY");
    printf("omp_wait:   %s\n", wait && *wait ? wait : "(default: spin, then sleep)");
    printf("load_ms:    %.1f\n", load_ms);
    for (int it = 0; it < warmup + iters; it++) {
        double t = now_ms(), c = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        st = api->nn_model_run(m, (const float *const *)ins, outs, &err);
        t = now_ms() - t;
        c = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c;
        if (st != TSC_OK) {
            fprintf(stderr, "tumorscope: %s\n", err.message);
            rc = TSC_EXIT_FAILURE;
            goto done;
        }
        if (it >= warmup) times[it - warmup] = t, cpu[it - warmup] = c;
    }
    qsort(times, (size_t)iters, sizeof *times, cmp_double);
    qsort(cpu, (size_t)iters, sizeof *cpu, cmp_double);
    double median = iters % 2 ? times[iters / 2] : 0.5 * (times[iters / 2 - 1] + times[iters / 2]);
    double gflop = api->nn_model_flops(m) * 1e-9;
    printf("gflop:      %.3f\n", gflop);
    printf("median_ms:  %.3f\n", median);
    printf("p90_ms:     %.3f\n", times[(size_t)(0.9 * (iters - 1) + 0.5)]);
    printf("min_ms:     %.3f\n", times[0]);
    printf("gflops:     %.1f\n", median > 0 ? gflop / (median * 1e-3) : 0.0);
    /* The leading dimension of the first input is the batch (bound or fixed). */
    int rank0;
    const int64_t *d0 = api->nn_model_get_input_shape(m, 0, &rank0);
    int64_t batch = rank0 > 0 && d0[0] > 0 ? d0[0] : 1;
    printf("batch:      %lld\n", (long long)batch);
    printf("image_ms:   %.3f\n", median / (double)batch);
    printf("image_cpu_ms: %.3f\n", cpu[iters / 2] / (double)batch);
    if (b.output && raw_floats(b.output, 1, outs, counts + ni, no)) {
        fprintf(stderr, "tumorscope: cannot write the outputs to %s: %s\n", b.output,
                strerror(errno));
        rc = TSC_EXIT_FAILURE;
    }
    goto done;
oom:
    fprintf(stderr, "tumorscope: out of memory\n");
    rc = TSC_EXIT_FAILURE;
done:
    for (size_t i = 0; ins && i < ni; i++) free(ins[i]);
    for (size_t i = 0; outs && i < no; i++) free(outs[i]);
    free(ins);
    free(outs);
    free(times);
    free(counts);
    api->nn_model_free(m);
    return rc;
bad:
    bench_usage(stderr);
    return TSC_EXIT_USAGE;
}
