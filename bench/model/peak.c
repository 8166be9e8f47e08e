/* SPDX-License-Identifier: BSD-3-Clause */
/* Peak multiply-add throughput per precision: N threads, each running 16
 * independent AVX-512 chains (more than latency x issue width on current x86
 * cores), kept in registers.  fp32 is vfmadd (16 MACs an instruction), bf16
 * vdpbf16ps (32), int8 vpdpbusd (64, u8 x s8 into s32), the instructions
 * oneDNN's avx512_core, avx512_core_bf16 and avx512_core_vnni kernels are
 * made of.  A multiply-add counts as 2 operations, as the models' GFLOP do.
 * Prints "PRECISION GOPS" per line ("PRECISION n/a" when the CPU lacks the
 * instruction): the best of many ~10 ms trials, since on a shared machine
 * short trials are the ones likely to run undisturbed. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define ITERS (4000000L / 16)

/* One trial of each kernel: ITERS x 16 chained instructions on each thread.
 * The sum is returned so that the compiler cannot drop the chains. */
__attribute__((target("avx512f,fma"))) static float trial_fp32(int threads)
{
    float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
        __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
#define DECL_F(i) __m512 a##i = _mm512_set1_ps((float)i);
        CHAINS(DECL_F)
        for (long it = 0; it < ITERS; it++) {
#define STEP_F(i) a##i = _mm512_fmadd_ps(a##i, m, c);
            CHAINS(STEP_F)
        }
#define SUM_F(i) sink += _mm512_reduce_add_ps(a##i);
        CHAINS(SUM_F)
    }
    return sink;
}

__attribute__((target("avx512f,avx512bf16"))) static float trial_bf16(int threads)
{
    float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
        __m512bh x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-4f), _mm512_set1_ps(-1e-4f));
        __m512bh y = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
#define DECL_B(i) __m512 b##i = _mm512_set1_ps((float)i);
        CHAINS(DECL_B)
        for (long it = 0; it < ITERS; it++) {
#define STEP_B(i) b##i = _mm512_dpbf16_ps(b##i, x, y);
            CHAINS(STEP_B)
        }
#define SUM_B(i) sink += _mm512_reduce_add_ps(b##i);
        CHAINS(SUM_B)
    }
    return sink;
}

__attribute__((target("avx512f,avx512vnni"))) static float trial_int8(int threads)
{
    long long sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
        __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-2);
#define DECL_I(i) __m512i q##i = _mm512_set1_epi32(i);
        CHAINS(DECL_I)
        for (long it = 0; it < ITERS; it++) {
#define STEP_I(i) q##i = _mm512_dpbusd_epi32(q##i, u, s);
            CHAINS(STEP_I)
        }
#define SUM_I(i) sink += _mm512_reduce_add_epi32(q##i);
        CHAINS(SUM_I)
    }
    return (float)sink;
}

/* Best GOP/s of 200 trials; macs = multiply-adds of one instruction. */
static double best_gops(float (*trial)(int), int threads, int macs)
{
    double best = 0;
    for (int rep = 0; rep < 200; rep++) {
        double t0 = omp_get_wtime();
        float sink = trial(threads);
        double t = omp_get_wtime() - t0;
        double gops = 2.0 * macs * 16 * (double)ITERS * threads / t * 1e-9;
        if (gops > best) best = gops;
        if (sink == 12345.f) puts("");
    }
    return best;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) {
        puts("fp32 n/a\nbf16 n/a\nint8 n/a");
        return 0;
    }
    printf("fp32 %.1f\n", best_gops(trial_fp32, threads, 16));
    if (__builtin_cpu_supports("avx512bf16"))
        printf("bf16 %.1f\n", best_gops(trial_bf16, threads, 32));
    else
        puts("bf16 n/a");
    if (__builtin_cpu_supports("avx512vnni"))
        printf("int8 %.1f\n", best_gops(trial_int8, threads, 64));
    else
        puts("int8 n/a");
    return 0;
}
