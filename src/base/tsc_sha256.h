/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_sha256: SHA-256 (FIPS 180-4), used to check model files against their
 * manifest. */
#ifndef TSC_SHA256_H
#define TSC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsc_sha256_ctx {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    size_t fill;
} tsc_sha256_ctx;

void tsc_sha256_init(tsc_sha256_ctx *ctx);
void tsc_sha256_update(tsc_sha256_ctx *ctx, const void *data, size_t n);
void tsc_sha256_final(tsc_sha256_ctx *ctx, uint8_t digest[32]);
/* Lower-case hex of a digest into `hex` (65 bytes with the NUL). */
void tsc_sha256_hex(const uint8_t digest[32], char hex[65]);
/* Hashes a whole file. */
tsc_status tsc_sha256_file(const char *path, char hex[65], tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
