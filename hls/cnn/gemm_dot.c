/*
 * gemm_dot.c - the native emulation's inner products (not synthesized).
 *
 * A whole tile of the GEMM core: acc[r][c] += a[r] . b[c] over k < kt for
 * r < nr, c < nc, exact integer sums whichever way they are computed:
 *  - AVX-512 VNNI where the host has it (chosen at run time): vpdpbusd
 *    multiplies unsigned by signed bytes, 4 at a time into each of 16
 *    int32 lanes (64 MACs an instruction). The weights become unsigned by
 *    flipping their sign bit (b + 128), once a tile; a row of a stays in
 *    registers while four PEs at a time take their dot products, summed
 *    across lanes four at once. The extra 128 * sum(a[r]) is taken off
 *    once a row: a . b = a . (b + 128) -
 *    128 * sum(a), exact in int32 for any K this core takes (each lane's
 *    sum stays below CNN_TILE_K * 255 * 128 = 4096 * 255 * 128 < 2^31).
 *  - otherwise one dot product a PE, the plain loop built twice (AVX2 and
 *    baseline SSE2), chosen once a tile by hls_native_isa() (so
 *    CHIMERA_EMU_ISA can force either; the tests run both).
 */
#include <stdint.h>
#include <stdlib.h>

#include "gemm_core.h"
#include "hls_native.h"

#ifndef __SYNTHESIS__ /* native emulation only: empty on the path Vitis HLS sees */

#if defined(__x86_64__) && defined(__GNUC__)
#define GEMM_VNNI 1
#include <immintrin.h>
#endif

static inline __attribute__((always_inline)) int32_t dot_body(const int8_t *a, const int8_t *b,
                                                               int32_t n)
{
    int32_t s = 0;
    for (int32_t k = 0; k < n; k++)
        s += (int16_t)a[k] * (int16_t)b[k];
    return s;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void tile_avx2(int32_t *acc, int32_t ldacc, const int8_t *a,
                                                      const int8_t *b, int32_t ld, int32_t kt,
                                                      int32_t nr, int32_t nc)
{
    for (int32_t r = 0; r < nr; r++)
        for (int32_t c = 0; c < nc; c++)
            acc[(int64_t)r * ldacc + c] += dot_body(a + (int64_t)r * ld, b + (int64_t)c * ld, kt);
}
#endif

#ifdef GEMM_VNNI
#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* Bytes [k, min(k + 64, kt)) of p, zeros past kt. */
VNNI_TARGET static inline __m512i load64(const int8_t *p, int32_t k, int32_t kt)
{
    const int32_t left = kt - k;
    const __mmask64 m = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
    return _mm512_maskz_loadu_epi8(m, p + k);
}

VNNI_TARGET static void tile_vnni(int32_t *acc, int32_t ldacc, const int8_t *a, const int8_t *b,
                                  int32_t ld, int32_t kt, int32_t nr, int32_t nc)
{
    const __m512i flip = _mm512_set1_epi8((char)0x80), ones = _mm512_set1_epi8(1);
    const int32_t kv = (kt + 63) / 64; /* 64-byte chunks */
    /* b + 128 once a tile, 0 past kt (times a = 0 there: nothing); column c's
     * chunks at bf[c * kv]: packed, so that short slices do not put every
     * column in the same cache set, as a CNN_TILE_K pitch would */
    __m512i bf[CNN_PE_COLS * (CNN_TILE_K / 64)];
    for (int32_t c = 0; c < nc; c++)
        for (int32_t v = 0; v < kv; v++)
            bf[c * kv + v] = _mm512_maskz_mov_epi8(
                64 * v + 64 <= kt ? ~(__mmask64)0 : (((__mmask64)1 << (kt - 64 * v)) - 1),
                _mm512_xor_si512(load64(b + (int64_t)c * ld, 64 * v, kt), flip));
    for (int32_t r = 0; r < nr; r++) {
        const int8_t *ar = a + (int64_t)r * ld;
        __m512i av[CNN_TILE_K / 64], sa = _mm512_setzero_si512();
        for (int32_t v = 0; v < kv; v++) {
            av[v] = load64(ar, 64 * v, kt);
            sa = _mm512_dpbusd_epi32(sa, ones, av[v]);
        }
        const int32_t bias = 128 * _mm512_reduce_add_epi32(sa);
        int32_t *row = acc + (int64_t)r * ldacc;
        int32_t c = 0;
        for (; c + 4 <= nc; c += 4) {
            __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
            for (int32_t v = 0; v < kv; v++) {
                s0 = _mm512_dpbusd_epi32(s0, bf[c * kv + v], av[v]);
                s1 = _mm512_dpbusd_epi32(s1, bf[(c + 1) * kv + v], av[v]);
                s2 = _mm512_dpbusd_epi32(s2, bf[(c + 2) * kv + v], av[v]);
                s3 = _mm512_dpbusd_epi32(s3, bf[(c + 3) * kv + v], av[v]);
            }
            /* four sums at once: pairwise adds of the halves, then one reduction a quarter */
            const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(s0, s1),
                                                 _mm512_unpackhi_epi32(s0, s1));
            const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(s2, s3),
                                                 _mm512_unpackhi_epi32(s2, s3));
            const __m512i t = _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23),
                                               _mm512_unpackhi_epi64(s01, s23));
            /* each 128-bit lane of t holds partial sums of s0, s1, s2, s3 in order */
            const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(t),
                                               _mm512_extracti64x4_epi64(t, 1));
            const __m128i q = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
            int32_t out[4];
            _mm_storeu_si128((__m128i *)out, q);
            for (int32_t i = 0; i < 4; i++)
                row[c + i] += out[i] - bias;
        }
        for (; c < nc; c++) {
            __m512i s0 = _mm512_setzero_si512();
            for (int32_t v = 0; v < kv; v++)
                s0 = _mm512_dpbusd_epi32(s0, bf[c * kv + v], av[v]);
            row[c] += _mm512_reduce_add_epi32(s0) - bias;
        }
    }
}

static int have_vnni(void)
{
    static int known = -1; /* a benign race: every thread stores the same answer */
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512vnni") && hls_native_isa() == HLS_ISA_AVX512;
    }
    return known;
}
#endif

void gemm_tile_i8_host(int32_t *acc, int32_t ldacc, const int8_t *a, const int8_t *b, int32_t ld,
                       int32_t kt, int32_t nr, int32_t nc)
{
#ifdef GEMM_VNNI
    if (have_vnni()) {
        tile_vnni(acc, ldacc, a, b, ld, kt, nr, nc);
        return;
    }
#endif
#if defined(__x86_64__) && defined(__GNUC__)
    if (hls_native_isa() >= HLS_ISA_AVX2) {
        tile_avx2(acc, ldacc, a, b, ld, kt, nr, nc);
        return;
    }
#endif
    for (int32_t r = 0; r < nr; r++)
        for (int32_t c = 0; c < nc; c++)
            acc[(int64_t)r * ldacc + c] += dot_body(a + (int64_t)r * ld, b + (int64_t)c * ld, kt);
}

#endif /* __SYNTHESIS__ */
