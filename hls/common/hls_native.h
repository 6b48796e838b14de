/*
 * hls_native.h - what only the native emulation of the kernels uses (never
 * the code Vitis HLS sees): how many host threads may share a kernel's
 * independent tiles. $CHIMERA_EMU_THREADS sets it (read at each call);
 * the default is every core the process may use. The card time the cycle
 * models give does not depend on it.
 *
 * Which vector units the host paths use: the best the CPU has, or the one
 * $CHIMERA_EMU_ISA names (avx512, avx2, portable; read once a process),
 * never one the CPU lacks.
 * Every path gives the same bits; the tests force each.
 */
#ifndef HLS_NATIVE_H
#define HLS_NATIVE_H

#if !defined(__SYNTHESIS__) && defined(_OPENMP)
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

static inline int hls_native_threads(int64_t work)
{
    const char *env = getenv("CHIMERA_EMU_THREADS");
    int n = env && atoi(env) > 0 ? atoi(env) : omp_get_num_procs();
    return work < n ? (work > 0 ? (int)work : 1) : n;
}
#endif

#ifndef __SYNTHESIS__
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { HLS_ISA_PORTABLE = 0, HLS_ISA_AVX2 = 1, HLS_ISA_AVX512 = 2 };

static inline int hls_native_isa(void)
{
    /* once a translation unit a process; threads may race to store the same value */
    static _Atomic int known = -1;
    const int seen = atomic_load_explicit(&known, memory_order_relaxed);
    if (seen >= 0)
        return seen;
    int best = HLS_ISA_PORTABLE;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        best = HLS_ISA_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        best = HLS_ISA_AVX512;
#endif
    const char *want = getenv("CHIMERA_EMU_ISA");
    const int asked = !want ? best
                      : !strcmp(want, "portable") ? HLS_ISA_PORTABLE
                      : !strcmp(want, "avx2")     ? HLS_ISA_AVX2
                                                  : best;
    const int isa = asked < best ? asked : best;
    atomic_store_explicit(&known, isa, memory_order_relaxed);
    return isa;
}
#endif

#endif /* HLS_NATIVE_H */
