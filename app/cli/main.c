/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope: the headless command-line host. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsc_log.h"
#ifdef TSC_CLI_HAVE_PLUGIN
#include "cli_util.h"
#endif

/* Subcommands, in the order `tumorscope --help` lists them. */
static const tsc_cli_command commands[] = {
#ifdef TSC_CLI_HAVE_INFO
    {"info", "list the patient/study/series tree of DICOM files", tsc_cli_info},
#endif
#ifdef TSC_CLI_HAVE_ANALYZE
    {"analyze", "analyse DICOM series: findings as JSON, reports, DICOM outputs", tsc_cli_analyze},
#endif
#ifdef TSC_CLI_HAVE_COMPARE
    {"compare", "compare a follow-up with its baseline: lesion change, suggested RANO category",
     tsc_cli_compare},
#endif
#ifdef TSC_CLI_HAVE_EVAL
    {"eval", "evaluate the analysis on a labelled image dataset", tsc_cli_eval},
#endif
#ifdef TSC_CLI_HAVE_DICOMIZE
    {"dicomize", "build an MR DICOM series from PNG slices or a NIfTI volume", tsc_cli_dicomize},
#endif
#ifdef TSC_CLI_HAVE_BENCH_MODEL
    {"bench-model", "time an ONNX model on the C engine", tsc_cli_bench_model},
#endif
#ifdef TSC_CLI_HAVE_CALIBRATE_INT8
    {"calibrate-int8", "record a model's activation ranges for its int8 mode",
     tsc_cli_calibrate_int8},
#endif
};

static int verbose_level;

static void log_to_stderr(tsc_log_level level, const char *domain, const char *message,
                          void *user_data)
{
    (void)user_data;
    (void)domain;
    static const char *names[] = {"debug", "info", "warning", "error"};
    if (level < TSC_LOG_WARNING && !verbose_level) return;
    fprintf(stderr, "tumorscope: %s: %s\n", names[level], message);
}

void tsc_cli_install_log(int verbose)
{
    verbose_level = verbose;
    tsc_log_set(log_to_stderr, NULL);
#ifdef TSC_CLI_HAVE_PLUGIN
    /* The plugin keeps its own log sink (its messages never carry patient
     * identifiers, by the ABI's rules). */
    const tsc_plugin_api *api = tsc_cli_plugin_quiet();
    if (api) api->log_set(log_to_stderr, NULL);
#endif
}

static void usage(FILE *f)
{
    fprintf(f, "usage: tumorscope COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`tumorscope COMMAND --help` describes one command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TSC_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return TSC_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("tumorscope %s\n", TSC_VERSION);
        return TSC_EXIT_OK;
    }
    tsc_cli_install_log(0);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "tumorscope: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return TSC_EXIT_USAGE;
}
