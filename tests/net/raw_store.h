/* SPDX-License-Identifier: BSD-3-Clause */
/* A C-STORE whose data set is raw bytes, for the hostile-input cases: what
 * no well-behaved SCU (storescu, our own) sends. */
#ifndef TSC_TEST_RAW_STORE_H
#define TSC_TEST_RAW_STORE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Associates with host:port as `calling` calling `called`, proposing
 * `sop_class` in explicit VR little endian, sends a C-STORE request for
 * `sop_uid` whose data set is the `n` bytes at `bytes`, as they are, and
 * waits up to 10 s for the answer.  Returns 0 with *status when the peer
 * answered, 1 when it ended the association instead, -1 when no
 * association was made. */
int raw_store(const char *host, int port, const char *calling, const char *called,
              const char *sop_class, const char *sop_uid, const void *bytes, size_t n,
              unsigned *status);

#ifdef __cplusplus
}
#endif
#endif
