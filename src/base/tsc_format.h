/* SPDX-License-Identifier: BSD-3-Clause */
/* Display formatting shared by every host (header-only, so hosts that see
 * only the plugin ABI use the same rule). */
#ifndef TSC_FORMAT_H
#define TSC_FORMAT_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A probability as a percentage with one decimal that never claims
 * certainty: values that would print as 100.0% or 0.0% read ">99.9%" and
 * "<0.1%" (a calibrated model is never certain; a radiologist must not read
 * "100%").  Not finite: "n/a".  Returns buf. */
static inline char *tsc_format_percent(double p, char *buf, size_t size)
{
    if (!isfinite(p)) snprintf(buf, size, "n/a");
    else if (p >= 0.9995) snprintf(buf, size, ">99.9%%");
    else if (p < 0.0005) snprintf(buf, size, "<0.1%%");
    else snprintf(buf, size, "%.1f%%", 100.0 * p);
    return buf;
}

#ifdef __cplusplus
}
#endif

#endif
