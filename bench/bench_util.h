/* SPDX-License-Identifier: BSD-3-Clause */
/* What the benchmark programs share: a monotonic clock, process CPU time,
 * the order for sorting timings (to read medians and percentiles) and the
 * load average. */
#ifndef TSC_BENCH_UTIL_H
#define TSC_BENCH_UTIL_H

#include <stdio.h>
#include <time.h>

/* Milliseconds on the monotonic clock. */
static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Seconds on the monotonic clock. */
static inline double bench_now_s(void)
{
    return bench_now_ms() * 1e-3;
}

/* qsort comparison of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* CPU time of the process (all threads), in milliseconds. */
static inline double bench_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* The 1-minute load average (/proc/loadavg), -1 when unknown: printed with
 * every figure, since these machines are shared. */
static inline double bench_load_average(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

#endif
