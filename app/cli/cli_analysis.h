/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the commands that run the analysis (analyze, compare, eval):
 * their shared options, and one wording for their errors and progress. */
#ifndef TSC_CLI_ANALYSIS_H
#define TSC_CLI_ANALYSIS_H

#include <getopt.h>
#include <stddef.h>

#include "tsc_plugin.h"

/* The options the analysis commands share, parsed once for all of them. */
typedef struct tsc_cli_analysis_args {
    int method;             /* --method; TSC_METHOD_CNN by default */
    const char *model_path; /* --model; NULL: the shipped model */
    int threads;            /* --threads; 0: all cores */
    int tta;                /* 1, 0 after --no-tta */
    const char *json_path;  /* --json (`-`: stdout) */
    const char *out_dir;    /* --out */
    int png, pdf, dicom, deidentify, force, quiet;
} tsc_cli_analysis_args;

/* Their getopt_long codes, above those a command gives its own options. */
enum {
    TSC_CLI_OPT_METHOD = 1024,
    TSC_CLI_OPT_MODEL,
    TSC_CLI_OPT_THREADS,
    TSC_CLI_OPT_NO_TTA,
    TSC_CLI_OPT_PRECISION,
    TSC_CLI_OPT_JSON,
    TSC_CLI_OPT_FORCE,
    TSC_CLI_OPT_OUT,
    TSC_CLI_OPT_PNG,
    TSC_CLI_OPT_PDF,
    TSC_CLI_OPT_DICOM,
    TSC_CLI_OPT_DEIDENTIFY,
    TSC_CLI_OPT_QUIET
};

/* Rows of a command's getopt_long table.  The model: --method, --model,
 * --threads, --no-tta; --precision (sets $TSC_PRECISION); --json FILE and
 * --force (replace existing output files); the reports: --out DIR, --png,
 * --pdf, --dicom, --deidentify, --quiet. */
/* clang-format off */
#define TSC_CLI_MODEL_OPTIONS                                       \
    {"method", required_argument, NULL, TSC_CLI_OPT_METHOD},        \
    {"model", required_argument, NULL, TSC_CLI_OPT_MODEL},          \
    {"threads", required_argument, NULL, TSC_CLI_OPT_THREADS},      \
    {"no-tta", no_argument, NULL, TSC_CLI_OPT_NO_TTA}
#define TSC_CLI_PRECISION_OPTION                                    \
    {"precision", required_argument, NULL, TSC_CLI_OPT_PRECISION}
#define TSC_CLI_JSON_FORCE_OPTIONS                                  \
    {"json", required_argument, NULL, TSC_CLI_OPT_JSON},            \
    {"force", no_argument, NULL, TSC_CLI_OPT_FORCE}
#define TSC_CLI_REPORT_OPTIONS                                      \
    {"out", required_argument, NULL, TSC_CLI_OPT_OUT},              \
    {"png", no_argument, NULL, TSC_CLI_OPT_PNG},                    \
    {"pdf", no_argument, NULL, TSC_CLI_OPT_PDF},                    \
    {"dicom", no_argument, NULL, TSC_CLI_OPT_DICOM},                \
    {"deidentify", no_argument, NULL, TSC_CLI_OPT_DEIDENTIFY},      \
    {"quiet", no_argument, NULL, TSC_CLI_OPT_QUIET}
/* clang-format on */

/* The defaults: the CNN, with test-time augmentation, everything else off. */
void tsc_cli_analysis_args_init(tsc_cli_analysis_args *a);

/* Takes shared option `code` (one of TSC_CLI_OPT_*) with its value for
 * command `cmd`, as a tsc_cli_option_fn would: 0, or TSC_EXIT_USAGE with
 * the reason on stderr. */
int tsc_cli_analysis_option(const char *cmd, int code, const char *value, tsc_cli_analysis_args *a);

/* The checks of the report options once all are parsed: --png, --pdf and
 * --dicom need --out (--png is the default with it), and neither --out nor
 * --json may point into one of the n `inputs`.  0, or TSC_EXIT_USAGE with
 * the reason on stderr. */
int tsc_cli_check_outputs(const char *cmd, tsc_cli_analysis_args *a, const char *const *inputs,
                          size_t n);

/* Parses --method's value into *method; a usage error (said on stderr as
 * "tumorscope CMD: unknown method ...") returns TSC_EXIT_USAGE, else 0. */
int tsc_cli_parse_method(const char *cmd, const char *value, int *method);

/* Refuses an output path (`opt` names its option) inside one of the input
 * folders: TSC_EXIT_USAGE with the reason on stderr, else 0.  NULL and "-"
 * (stdout) are always accepted. */
int tsc_cli_refuse_output_in_inputs(const char *cmd, const char *opt, const char *path,
                                    const char *const *inputs, size_t n);

/* A tsc_progress_fn printing "tumorscope: LABEL: done/total slices" on one
 * line of stderr; `label` is a const char *. */
void tsc_cli_progress(size_t done, size_t total, void *label);

/* Resolves a --series value (index from `tumorscope info`, or a
 * SeriesInstanceUID) to series indices in out[] (at most `max`); returns
 * how many (0: none). */
size_t tsc_cli_match_series(const tsc_plugin_api *api, const tsc_dicom_index *ix, const char *want,
                            size_t *out, size_t max);

/* Loads the model (the shipped one when `path` is NULL) with one engine
 * thread per worker; prints why and returns TSC_EXIT_FAILURE when it
 * cannot, else 0. */
int tsc_cli_load_model(const tsc_plugin_api *api, const char *cmd, const char *path,
                       tsc_model **model);

#endif
