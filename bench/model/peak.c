/* SPDX-License-Identifier: BSD-3-Clause */
/* Peak multiply-add throughput per precision: N threads, each running 16
 * independent AVX-512 chains (more than latency x issue width on current x86
 * cores), kept in registers.  fp32 is vfmadd (16 MACs an instruction), bf16
 * vdpbf16ps (32), int8 vpdpbusd (64, u8 x s8 into s32), the instructions
 * oneDNN's avx512_core, avx512_core_bf16 and avx512_core_vnni kernels are
 * made of.  A multiply-add counts as 2 operations, as the models' GFLOP do.
 * Prints "PRECISION GOPS" per line ("PRECISION n/a" when the CPU lacks the
 * instruction): the best of 200 trials of 1-2 ms, since on a shared machine
 * short trials are the ones likely to run undisturbed. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define ITERS (4000000L / 16)

/* One trial of a kernel: ITERS x 16 independent chains of `step` on each
 * thread (unrolled, so the 16 accumulators live in registers).  The sum
 * is returned so that the compiler cannot drop the chains. */
#define TRIAL(name, isa, acc_t, sink_t, setup, init, step, reduce)                                   \
    __attribute__((target(isa))) static float name(int threads)                                    \
    {                                                                                              \
        sink_t sink = 0;                                                                           \
        _Pragma("omp parallel num_threads(threads) reduction(+ : sink)")                           \
        {                                                                                          \
            setup;                                                                                 \
            acc_t a[16];                                                                           \
            _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) a[i] = init;                     \
            for (long it = 0; it < ITERS; it++)                                                    \
                _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) a[i] = step;                 \
            _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) sink += reduce;                  \
        }                                                                                          \
        return (float)sink;                                                                        \
    }

TRIAL(trial_fp32, "avx512f,fma", __m512, float,
      __m512 m = _mm512_set1_ps(0.999999f); __m512 c = _mm512_set1_ps(1e-7f),
      _mm512_set1_ps((float)i), _mm512_fmadd_ps(a[i], m, c), _mm512_reduce_add_ps(a[i]))
TRIAL(trial_bf16, "avx512f,avx512bf16", __m512, float,
      __m512bh x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-4f), _mm512_set1_ps(-1e-4f));
      __m512bh y = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f)),
      _mm512_set1_ps((float)i), _mm512_dpbf16_ps(a[i], x, y), _mm512_reduce_add_ps(a[i]))
TRIAL(trial_int8, "avx512f,avx512vnni", __m512i, long long,
      __m512i u = _mm512_set1_epi8(3); __m512i s = _mm512_set1_epi8(-2),
      _mm512_set1_epi32(i), _mm512_dpbusd_epi32(a[i], u, s), _mm512_reduce_add_epi32(a[i]))

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
