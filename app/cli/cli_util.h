/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the CLI's commands. */
#ifndef TSC_CLI_UTIL_H
#define TSC_CLI_UTIL_H

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "tsc_plugin.h"

/* The plugin's table for the ABI version we were built against; prints why
 * and returns NULL when the plugin cannot be loaded or does not serve it. */
const tsc_plugin_api *tsc_cli_plugin(void);

/* The same without a message: NULL when the plugin cannot be used.  The
 * first call loads the plugin (after setting OMP_WAIT_POLICY). */
const tsc_plugin_api *tsc_cli_plugin_quiet(void);

/* What tsc_cli_parse_options hands each option to: `code` is the option's
 * `val` in the table, `value` its argument (NULL for a flag).  Returns 0 to
 * go on, TSC_CLI_DONE to stop successfully (--help printed), or an exit
 * status to stop with. */
typedef int (*tsc_cli_option_fn)(int code, const char *value, void *user);
#define TSC_CLI_DONE (-1)

/* Parses argv[1..] of command `cmd` with getopt_long over `options` (a
 * getopt_long table ending in a zero entry; a `val` that is a letter is also
 * that short option, so {"help", no_argument, NULL, 'h'} gives -h too).
 * Options and operands may mix, "--opt=V" and "--opt V" both work and "--"
 * ends the options.  Operands go to operands[(*n_operands)++], which has room
 * for argc entries.  An unknown option or one without its value is reported
 * as "tumorscope CMD: ..." on stderr and returns TSC_EXIT_USAGE.  Returns 0
 * when every option was taken, else what on_option stopped with. */
int tsc_cli_parse_options(const char *cmd, int argc, char **argv, const struct option *options,
                          tsc_cli_option_fn on_option, void *user, const char **operands,
                          size_t *n_operands);

/* "cnn", "threshold", "region-growing" -> tsc_method; -1 when unknown.
 * (Parsed before the plugin is loaded, so that usage errors come first.) */
int tsc_cli_method_from_string(const char *s);

/* --precision: "fp32" -> 0, "bf16" -> 1, "int8" -> 2, else -1. */
int tsc_cli_parse_precision(const char *s);
/* --precision for the commands that load a model through the plugin: sets
 * $TSC_PRECISION, which overrides the manifest's "precision" (the model
 * params are frozen in the plugin ABI); 0, or -1 when s is not a precision. */
int tsc_cli_set_precision(const char *s);
/* The precision a model load will use as far as the command line knows:
 * $TSC_PRECISION, or "manifest" when the model's own applies. */
const char *tsc_cli_get_precision(void);

/* mkdir -p; 0 on success, -1 with errno set. */
int tsc_cli_mkdir_p(const char *path);

/* The path among `inputs` whose folder (the path itself for a folder, its
 * folder for a file) is `out` or holds it; `out` need not exist yet.  NULL
 * when there is none.  Commands never write into their input folders. */
const char *tsc_cli_output_in_inputs(const char *out, const char *const *inputs, size_t n);

/* Writes a file atomically (temporary file in the same folder, fsync,
 * rename).  Refuses to replace an existing file unless `force`.  "-" writes
 * to stdout. */
tsc_status tsc_cli_write_file_atomic(const char *path, const void *data, size_t n, int force,
                                     tsc_error *err);

/* Prints the files the study skipped, grouped by reason: one line per file
 * for up to three files sharing a reason, one line with three examples
 * beyond that.  Each line starts with `prefix` and `indent`; on stdout a
 * "Skipped N file(s):" heading comes first. */
void tsc_cli_print_skipped(const tsc_plugin_api *api, const tsc_dicom_index *ix, FILE *f,
                           const char *prefix, const char *indent);

/* Adds "skipped": [{"path", "reason"}, ...] (every skipped file) to `root`;
 * the same key in `info --json` and in the analysis result. */
void tsc_cli_add_skipped_json(const tsc_plugin_api *api, const tsc_dicom_index *ix, cJSON *root);

#endif
