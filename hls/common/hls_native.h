/*
 * hls_native.h - what only the native emulation of the kernels uses (never
 * the code Vitis HLS sees): how many host threads may share a kernel's
 * independent tiles. $CHIMERA_EMU_THREADS sets it (read at each call);
 * the default is every core the process may use. The card time the cycle
 * models give does not depend on it.
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

#endif /* HLS_NATIVE_H */
