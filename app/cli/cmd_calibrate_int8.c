/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope calibrate-int8: the activation ranges of a model's int8 mode,
 * recorded while `tumorscope eval` analyses the first images of a split in
 * fp32 (so the inputs are exactly what the analysis feeds the network,
 * preprocessing and flip TTA included). */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"

static void calibrate_usage(FILE *f)
{
    fprintf(f, "usage: tumorscope calibrate-int8 --dataset DIR [--dataset DIR ...] --out FILE\n"
               "                                 [--model MANIFEST] [--split S] [--limit N]\n"
               "                                 [--threads N] [--force]\n"
               "\n"
               "Analyses the first N images of split S of each dataset with the model in fp32\n"
               "(as tumorscope eval does, flip TTA included) and records the range, min and\n"
               "max, of every convolution input of the engine's optimised graph.  FILE gets\n"
               "them as the block a manifest carries as \"int8\": the int8 mode quantises each\n"
               "convolution input with its range.\n"
               "\n"
               "  --model FILE   model manifest (default: the shipped model)\n"
               "  --split S      train, val or test (default val; never calibrate on test)\n"
               "  --limit N      images per dataset, in index order (default 64)\n"
               "  --threads N    worker threads (default: all cores)\n"
               "  --force        replace an existing FILE\n"
               "\n"
               "Exit status: 0 ok, 1 failure, 2 usage error, 3 unreadable input.\n");
}

enum { OPT_DATASET = 256, OPT_MODEL, OPT_SPLIT, OPT_LIMIT, OPT_THREADS, OPT_OUT, OPT_FORCE };

static const struct option calibrate_options[] = {{"help", no_argument, NULL, 'h'},
                                                  {"dataset", required_argument, NULL, OPT_DATASET},
                                                  {"model", required_argument, NULL, OPT_MODEL},
                                                  {"split", required_argument, NULL, OPT_SPLIT},
                                                  {"limit", required_argument, NULL, OPT_LIMIT},
                                                  {"threads", required_argument, NULL, OPT_THREADS},
                                                  {"out", required_argument, NULL, OPT_OUT},
                                                  {"force", no_argument, NULL, OPT_FORCE},
                                                  {NULL, 0, NULL, 0}};

#define MAX_DATASETS 32

typedef struct calibrate_args {
    const char *datasets[MAX_DATASETS];
    size_t n_datasets;
    const char *model, *split, *limit, *threads, *out;
    int force;
} calibrate_args;

static int calibrate_option(int code, const char *v, void *user)
{
    calibrate_args *a = user;
    switch (code) {
    case 'h': calibrate_usage(stdout); return TSC_CLI_DONE;
    case OPT_DATASET:
        if (a->n_datasets == MAX_DATASETS) return 1;
        a->datasets[a->n_datasets++] = v;
        break;
    case OPT_MODEL: a->model = v; break;
    case OPT_SPLIT: a->split = v; break;
    case OPT_LIMIT: a->limit = v; break;
    case OPT_THREADS: a->threads = v; break;
    case OPT_OUT: a->out = v; break;
    case OPT_FORCE: a->force = 1; break;
    }
    return 0;
}

/* tumorscope eval on the split with the calibration hook set, its report
 * (the fp32 figures of the calibration images) kept off stdout. */
static int run_eval(const calibrate_args *a, const char *ranges_path)
{
    const char *argv[8 + 2 * MAX_DATASETS];
    int argc = 0;
    argv[argc++] = "eval";
    for (size_t i = 0; i < a->n_datasets; i++) {
        argv[argc++] = "--dataset";
        argv[argc++] = a->datasets[i];
    }
    argv[argc++] = "--split";
    argv[argc++] = a->split;
    argv[argc++] = "--limit";
    argv[argc++] = a->limit;
    if (a->threads) argv[argc++] = "--threads", argv[argc++] = a->threads;
    if (a->model) argv[argc++] = "--model", argv[argc++] = a->model;
    argv[argc] = NULL;
    /* The hook: every engine runs fp32 and records ranges, written to
     * ranges_path when the model is freed (src/analysis/model_int8.c). */
    setenv("TSC_INT8_CALIBRATE", ranges_path, 1);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0) dup2(null, STDOUT_FILENO);
    int rc = tsc_cli_eval(argc, (char **)argv);
    fflush(stdout);
    if (saved >= 0) dup2(saved, STDOUT_FILENO), close(saved);
    if (null >= 0) close(null);
    unsetenv("TSC_INT8_CALIBRATE");
    return rc;
}

/* The hook's ranges plus how they were made, as the manifest block. */
static int write_block(const calibrate_args *a, const char *ranges_path)
{
    FILE *f = fopen(ranges_path, "rb");
    char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    int complete = f && feof(f);
    if (f) fclose(f);
    buf[n] = '\0';
    cJSON *root = complete ? cJSON_Parse(buf) : NULL;
    if (!root || !cJSON_GetObjectItemCaseSensitive(root, "ranges")) {
        fprintf(stderr, "tumorscope calibrate-int8: the analysis recorded no ranges (%s)\n",
                ranges_path);
        cJSON_Delete(root);
        return TSC_EXIT_FAILURE;
    }
    cJSON *cal = cJSON_AddObjectToObject(root, "calibration");
    cJSON *ds = cJSON_AddArrayToObject(cal, "datasets");
    for (size_t i = 0; i < a->n_datasets; i++) {
        const char *base = strrchr(a->datasets[i], '/');
        cJSON_AddItemToArray(ds, cJSON_CreateString(base && base[1] ? base + 1 : a->datasets[i]));
    }
    cJSON_AddStringToObject(cal, "split", a->split);
    cJSON_AddNumberToObject(cal, "images_per_dataset", atof(a->limit));
    cJSON_AddStringToObject(cal, "statistic", "min and max over every run (flip TTA included)");
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    tsc_error err;
    int rc = TSC_EXIT_OK;
    if (!text || tsc_cli_write_file_atomic(a->out, text, strlen(text), a->force, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope calibrate-int8: %s\n", text ? err.message : "out of memory");
        rc = TSC_EXIT_FAILURE;
    }
    free(text);
    return rc;
}

int tsc_cli_calibrate_int8(int argc, char **argv)
{
    calibrate_args a;
    memset(&a, 0, sizeof a);
    a.split = "val";
    a.limit = "64";
    const char **operands = calloc((size_t)argc, sizeof *operands);
    size_t n_operands = 0;
    if (!operands) return TSC_EXIT_FAILURE;
    int rc = tsc_cli_parse_options("calibrate-int8", argc, argv, calibrate_options,
                                   calibrate_option, &a, operands, &n_operands);
    free(operands);
    if (rc == TSC_CLI_DONE) return TSC_EXIT_OK;
    if (rc == TSC_EXIT_USAGE) return rc;
    if (rc || n_operands || !a.n_datasets || !a.out || atol(a.limit) < 1) {
        calibrate_usage(stderr);
        return TSC_EXIT_USAGE;
    }
    if (!a.force && access(a.out, F_OK) == 0) {
        fprintf(stderr, "tumorscope calibrate-int8: %s exists; use --force to replace it\n", a.out);
        return TSC_EXIT_FAILURE;
    }
    char ranges_path[4096];
    snprintf(ranges_path, sizeof ranges_path, "%s.ranges.tmp", a.out);
    rc = run_eval(&a, ranges_path);
    if (rc == TSC_EXIT_OK || rc == TSC_EXIT_PARTIAL) rc = write_block(&a, ranges_path);
    unlink(ranges_path);
    if (rc == TSC_EXIT_OK) fprintf(stderr, "tumorscope calibrate-int8: wrote %s\n", a.out);
    return rc;
}
