/* SPDX-License-Identifier: BSD-3-Clause */
/* Our Store SCP and its handling of one received data set, open to the
 * tests (tests/net) and the fuzz target (tests/fuzz/fuzz_pacs_receive.c):
 * internal, not in the ABI. */
#ifndef TSC_PACS_SCP_PRIVATE_H
#define TSC_PACS_SCP_PRIVATE_H

#include <stddef.h>

#include "tsc_pacs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* `data` as the data set of a C-STORE request in implicit (explicit_vr 0)
 * or explicit VR little endian, parsed as DCMTK's DIMSE layer parses it,
 * then checked and written into `dir` as a retrieve of `study_uid` does
 * (the Receiver both retrieves share).  Returns the C-STORE status the
 * sender would get (0 success; 0xC000 for a data set that cannot be
 * parsed); *n_written (may be NULL) counts the files written. */
unsigned tsc__pacs_receive_dataset(const void *data, size_t size, int explicit_vr,
                                   const char *study_uid, const char *dir, size_t *n_written);

/* Our Store SCP exactly as a C-MOVE retrieve of `study_uid` from `node`
 * runs it (params: the interface, port and allow-lists), but listening
 * until closed, so that a test can play the PACS or an intruder.  *port is
 * the port it listens on. */
typedef struct tsc__pacs_scp tsc__pacs_scp;
tsc_status tsc__pacs_scp_open(const tsc_pacs_node *node, const tsc_pacs_retrieve_params *params,
                              const char *study_uid, const char *dir, tsc__pacs_scp **out,
                              int *port, tsc_error *err);
/* Stops listening (returns once it has) and frees; returns the number of
 * objects written. */
size_t tsc__pacs_scp_close(tsc__pacs_scp *scp);

#ifdef __cplusplus
}
#endif
#endif
