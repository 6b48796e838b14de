/*
 * gemm_dot.c - the native emulation's inner products (not synthesized).
 *
 * One array row of the GEMM core at a time: acc[c] += a . b[c] for the nc
 * PEs of the row, exact integer sums whichever way they are computed:
 *  - AVX-512 VNNI where the host has it (chosen at run time): vpdpbusd
 *    multiplies unsigned by signed bytes, 64 MACs an instruction. The
 *    weights become unsigned by flipping their sign bit (b + 128), and the
 *    extra 128 * sum(a) is taken off once a row: a . b = a . (b + 128) -
 *    128 * sum(a), exact in int32 for any K this core takes (|sum| <
 *    2048 * 255 * 128 per lane). Four columns share each load of a.
 *  - otherwise GCC's target_clones build the plain loop twice (AVX2 and
 *    SSE2). Sanitizer builds take the plain loop only: their runtimes and
 *    ifunc resolvers do not mix.
 */
#include <stdint.h>
#include <stdlib.h>

#include "gemm_core.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define GEMM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GEMM_CLONES
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define GEMM_VNNI 1
#include <immintrin.h>
#endif

GEMM_CLONES
int32_t gemm_dot_i8(const int8_t *a, const int8_t *b, int32_t n)
{
    int32_t s = 0;
    for (int32_t k = 0; k < n; k++)
        s += (int16_t)a[k] * (int16_t)b[k];
    return s;
}

#ifdef GEMM_VNNI
#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* Bytes [k, min(k + 64, kt)) of p, zeros past kt. */
VNNI_TARGET static inline __m512i load64(const int8_t *p, int32_t k, int32_t kt)
{
    const int32_t left = kt - k;
    const __mmask64 m = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
    return _mm512_maskz_loadu_epi8(m, p + k);
}

VNNI_TARGET static void row_vnni(int32_t *acc, const int8_t *a, const int8_t *b, int32_t ldb,
                                 int32_t kt, int32_t nc)
{
    const __m512i flip = _mm512_set1_epi8((char)0x80), ones = _mm512_set1_epi8(1);
    /* 128 * sum(a): padding past kt reads as a = 0, so it adds nothing */
    __m512i sa = _mm512_setzero_si512();
    for (int32_t k = 0; k < kt; k += 64)
        sa = _mm512_dpbusd_epi32(sa, ones, load64(a, k, kt));
    const int32_t bias = 128 * _mm512_reduce_add_epi32(sa);
    int32_t c = 0;
    for (; c + 4 <= nc; c += 4) {
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
        const int8_t *b0 = b + (int64_t)c * ldb;
        for (int32_t k = 0; k < kt; k += 64) {
            const __m512i va = load64(a, k, kt);
            /* past kt: b + 128 = 128 times a = 0 */
            s0 = _mm512_dpbusd_epi32(s0, _mm512_xor_si512(load64(b0, k, kt), flip), va);
            s1 = _mm512_dpbusd_epi32(s1, _mm512_xor_si512(load64(b0 + ldb, k, kt), flip), va);
            s2 = _mm512_dpbusd_epi32(s2, _mm512_xor_si512(load64(b0 + 2 * ldb, k, kt), flip), va);
            s3 = _mm512_dpbusd_epi32(s3, _mm512_xor_si512(load64(b0 + 3 * ldb, k, kt), flip), va);
        }
        acc[c] += _mm512_reduce_add_epi32(s0) - bias;
        acc[c + 1] += _mm512_reduce_add_epi32(s1) - bias;
        acc[c + 2] += _mm512_reduce_add_epi32(s2) - bias;
        acc[c + 3] += _mm512_reduce_add_epi32(s3) - bias;
    }
    for (; c < nc; c++) {
        __m512i s = _mm512_setzero_si512();
        const int8_t *bc = b + (int64_t)c * ldb;
        for (int32_t k = 0; k < kt; k += 64)
            s = _mm512_dpbusd_epi32(s, _mm512_xor_si512(load64(bc, k, kt), flip), load64(a, k, kt));
        acc[c] += _mm512_reduce_add_epi32(s) - bias;
    }
}

static int have_vnni(void)
{
    static int known = -1; /* a benign race: every thread stores the same answer */
    if (known < 0) {
        const char *off = getenv("CHIMERA_EMU_NO_VNNI");
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
                !(off && off[0] == '1');
    }
    return known;
}
#endif

void gemm_row_i8_host(int32_t *acc, const int8_t *a, const int8_t *b, int32_t ldb, int32_t kt,
                      int32_t nc)
{
#ifdef GEMM_VNNI
    if (have_vnni()) {
        row_vnni(acc, a, b, ldb, kt, nc);
        return;
    }
#endif
    for (int32_t c = 0; c < nc; c++)
        acc[c] += gemm_dot_i8(a, b + (int64_t)c * ldb, kt);
}
