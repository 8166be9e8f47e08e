/* SPDX-License-Identifier: BSD-3-Clause */
/* Peak fp32 FMA throughput: N threads, each running 16 independent AVX-512
 * FMA chains (more than latency x issue width on current x86 cores), kept in
 * registers.  Prints the best GFLOP/s of many ~10 ms trials: on a shared
 * machine short trials are the ones likely to run undisturbed. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    const long iters = 4000000L / 16;
    double best = 0;
    for (int rep = 0; rep < 200; rep++) {
        float sink = 0;
        double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        {
            __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
#define DECL(i) __m512 a##i = _mm512_set1_ps((float)i);
            CHAINS(DECL)
            for (long it = 0; it < iters; it++) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, c);
                CHAINS(STEP)
            }
#define SUM(i) sink += _mm512_reduce_add_ps(a##i);
            CHAINS(SUM)
        }
        double t = omp_get_wtime() - t0;
        double gf = 2.0 * 16 * 16 * (double)iters * threads / t * 1e-9;
        if (gf > best) best = gf;
        if (sink == 12345.f) puts("");
    }
    printf("%.1f\n", best);
    return 0;
}
