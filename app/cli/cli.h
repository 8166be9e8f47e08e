/* SPDX-License-Identifier: BSD-3-Clause */
/* The headless host `tumorscope`: one function per subcommand.
 * Each returns the process exit status: 0 ok, 2 usage error, 3 nothing
 * readable, 4 partial failure (the command's help says which apply). */
#ifndef TSC_CLI_H
#define TSC_CLI_H

#include <stdio.h>

typedef struct tsc_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} tsc_cli_command;

enum { TSC_EXIT_OK = 0, TSC_EXIT_FAILURE = 1, TSC_EXIT_USAGE = 2, TSC_EXIT_UNREADABLE = 3,
       TSC_EXIT_PARTIAL = 4, TSC_EXIT_SCOPE = 5 };

/* Routes the core's log to stderr ("tumorscope: warning: ..."). */
void tsc_cli_install_log(int verbose);

int tsc_cli_info(int argc, char **argv);
int tsc_cli_analyze(int argc, char **argv);
int tsc_cli_compare(int argc, char **argv);
int tsc_cli_eval(int argc, char **argv);
int tsc_cli_dicomize(int argc, char **argv);
int tsc_cli_bench_model(int argc, char **argv);
int tsc_cli_calibrate_int8(int argc, char **argv);

#endif
