/*
 * gemm_dot.c - the native emulation's inner product (not synthesized).
 *
 * Built twice with GCC's target_clones, so the same binary uses AVX2 where
 * the host CPU has it and SSE2 elsewhere; the sums are exact integers either
 * way. (Sanitizer builds take the plain version: their runtimes and ifunc
 * resolvers do not mix.)
 */
#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define GEMM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GEMM_CLONES
#endif

GEMM_CLONES
int32_t gemm_dot_i8(const int8_t *a, const int8_t *b, int32_t n)
{
    int32_t s = 0;
    for (int32_t k = 0; k < n; k++)
        s += (int16_t)a[k] * (int16_t)b[k];
    return s;
}
