/* SPDX-License-Identifier: BSD-3-Clause */
/* One formatter of DICOM decimal strings (DS: at most 16 characters, PS3.5
 * 6.2) for everything the plugin writes, the series writer and the outputs.
 * C++ only, private; header-only because two libraries use it. */
#ifndef TSC_DS_PRIVATE_H
#define TSC_DS_PRIVATE_H

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

/* v with as many significant digits as fit, 10 at most; a value that is
 * not finite, or smaller in magnitude than zero_below, is written as 0. */
inline std::string tsc__ds(double v, double zero_below = 0)
{
    char buf[32];
    if (!std::isfinite(v) || std::fabs(v) < zero_below) v = 0;
    for (int prec = 10; prec > 3; prec--) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strlen(buf) <= 16) break;
    }
    return buf;
}

/* n values as one multi-valued DS ("a\b\c"). */
inline std::string tsc__ds_list(const double *v, int n, double zero_below = 0)
{
    std::string s;
    for (int i = 0; i < n; i++) {
        if (i) s += '\\';
        s += tsc__ds(v[i], zero_below);
    }
    return s;
}

#endif
