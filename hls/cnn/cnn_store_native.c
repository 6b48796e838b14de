/*
 * cnn_store_native.c - the conv output stage for the native emulation
 * only (never synthesized): a tile's accumulators requantized eight
 * channels at a time with AVX-512, where the host has it, bit for bit the
 * datapath of hls_quant.h (TFLite's MultiplyByQuantizedMultiplier with a
 * saturating left shift, gemmlowp's rounding; or ONNX Runtime's float32
 * rule, lane by lane, as the multiplier says). On a layer of 576 MACs an
 * output, one scalar requantization costs about as much as the MACs.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cnn_kernels.h"
#include "cnn_store_native.h"
#include "hls_native.h"
#include "hls_quant.h"


#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SYNTHESIS__)
#include <immintrin.h>

#define STORE_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

/* Eight lanes of int32 (masked) as int64. */
STORE_TARGET static inline __m512i load8(__mmask8 m, const int32_t *p)
{
    return _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(m, p));
}

STORE_TARGET static inline __m512i sat32(__m512i v)
{
    return _mm512_min_epi64(_mm512_max_epi64(v, _mm512_set1_epi64(INT32_MIN)),
                            _mm512_set1_epi64(INT32_MAX));
}

/*
 * hls_multiply_f32_rule on eight lanes, by the float unit the rule describes:
 * float(acc) * scale and the conversion back, each rounded to nearest even
 * (the default MXCSR mode), the product clamped first so that a value past
 * int32 saturates as the integer datapath does. scale's bits are built from
 * the significand and the power of two (shift >= -126: a normal float).
 */
STORE_TARGET static inline __m512i f32_rule8(__m512i acc, __m512i mult, __m512i shift)
{
    const __m512i bits = _mm512_or_si512(
        _mm512_slli_epi64(_mm512_add_epi64(shift, _mm512_set1_epi64(127)), 23),
        _mm512_sub_epi64(mult, _mm512_set1_epi64(HLS_F32_RULE_MIN)));
    const __m256 scale = _mm256_castsi256_ps(_mm512_cvtepi64_epi32(bits));
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm512_cvtepi64_epi32(acc)), scale);
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-2147483648.0f)),
                      _mm256_set1_ps(2147483520.0f));
    return _mm512_cvtepi32_epi64(_mm256_cvtps_epi32(v));
}

/* hls_requant_int8 on eight channels; acc already holds the int32-saturated sum. */
STORE_TARGET static inline __m512i requant8(__m512i acc, __m512i mult, __m512i shift,
                                            __m512i out_zp, __m512i lo, __m512i hi)
{
    const __m512i zero = _mm512_setzero_si512();
    const __m512i left = _mm512_max_epi64(shift, zero);
    const __m512i right = _mm512_sub_epi64(left, shift); /* -shift where shift < 0 */
    const __m512i shifted = sat32(_mm512_sllv_epi64(acc, left));
    const __m512i ab = _mm512_mul_epi32(shifted, mult); /* 32 x 32 -> 64, signed */
    const __mmask8 neg = _mm512_cmplt_epi64_mask(ab, zero);
    const __m512i nudge = _mm512_mask_blend_epi64(neg, _mm512_set1_epi64(INT64_C(1) << 30),
                                                  _mm512_set1_epi64(1 - (INT64_C(1) << 30)));
    const __m512i q = _mm512_add_epi64(ab, nudge);
    /* q / 2^31 truncated toward zero */
    const __mmask8 qneg = _mm512_cmplt_epi64_mask(q, zero);
    const __m512i mag = _mm512_srli_epi64(_mm512_abs_epi64(q), 31);
    const __m512i x = _mm512_mask_sub_epi64(mag, qneg, zero, mag);
    /* rounding divide by 2^right, ties away from zero */
    const __m512i mask = _mm512_sub_epi64(_mm512_sllv_epi64(_mm512_set1_epi64(1), right),
                                          _mm512_set1_epi64(1));
    const __m512i rem = _mm512_and_si512(x, mask);
    const __mmask8 xneg = _mm512_cmplt_epi64_mask(x, zero);
    const __m512i thr = _mm512_mask_add_epi64(_mm512_srli_epi64(mask, 1), xneg,
                                              _mm512_srli_epi64(mask, 1), _mm512_set1_epi64(1));
    __m512i y = _mm512_srav_epi64(x, right);
    y = _mm512_mask_add_epi64(y, _mm512_cmpgt_epi64_mask(rem, thr), y, _mm512_set1_epi64(1));
    const __mmask8 f32 = _mm512_cmpge_epi64_mask(mult, _mm512_set1_epi64(HLS_F32_RULE_MIN)) &
                         _mm512_cmplt_epi64_mask(mult, _mm512_set1_epi64(HLS_F32_RULE_END));
    if (f32)
        y = _mm512_mask_blend_epi64(f32, y, f32_rule8(acc, mult, shift));
    y = _mm512_add_epi64(y, out_zp);
    return _mm512_min_epi64(_mm512_max_epi64(y, lo), hi);
}

STORE_TARGET static void store_avx512(int8_t *out, const int32_t *acc, int32_t ldacc,
                                      const int32_t *colsum, const int32_t *bias,
                                      const int32_t *mult, const int32_t *shift,
                                      const cnn_conv_desc *d, int32_t oc0, int32_t m0, int32_t nr,
                                      int32_t nc)
{
    const __m512i in_zp = _mm512_set1_epi64(d->in_zp), out_zp = _mm512_set1_epi64(d->out_zp);
    const __m512i lo = _mm512_set1_epi64(d->act_min), hi = _mm512_set1_epi64(d->act_max);
    for (int32_t c0 = 0; c0 < nc; c0 += 8) {
        const __mmask8 m = nc - c0 >= 8 ? 0xff : (__mmask8)((1u << (nc - c0)) - 1);
        const int32_t ch = oc0 + c0;
        const __m512i mult8 = d->per_tensor ? _mm512_set1_epi64(mult[0]) : load8(m, mult + ch);
        const __m512i shift8 = d->per_tensor ? _mm512_set1_epi64(shift[0]) : load8(m, shift + ch);
        __m512i base = _mm512_mul_epi32(load8(m, colsum + c0), in_zp);
        base = _mm512_sub_epi64(d->has_bias ? load8(m, bias + ch) : _mm512_setzero_si512(), base);
        for (int32_t r = 0; r < nr; r++) {
            const __m512i v = sat32(_mm512_add_epi64(load8(m, acc + (int64_t)r * ldacc + c0), base));
            const __m512i y = requant8(v, mult8, shift8, out_zp, lo, hi);
            _mm512_mask_cvtepi64_storeu_epi8(out + (int64_t)(m0 + r) * d->oc + ch, m, y);
        }
    }
}

/* Per-tensor multiplier: the GRAPH mode's stages (hls_requant_rows_host). */
STORE_TARGET static void rows_avx512(int8_t *out, int64_t ldo, const int32_t *acc, int64_t lda,
                                     int32_t nr, int32_t nc, const hls_requant_rule *q)
{
    const __m512i in_zp = _mm512_set1_epi64(q->in_zp), out_zp = _mm512_set1_epi64(q->out_zp);
    const __m512i lo = _mm512_set1_epi64(q->act_min), hi = _mm512_set1_epi64(q->act_max);
    const __m512i mult8 = _mm512_set1_epi64(q->mult), shift8 = _mm512_set1_epi64(q->shift);
    for (int32_t c0 = 0; c0 < nc; c0 += 8) {
        const __mmask8 m = nc - c0 >= 8 ? 0xff : (__mmask8)((1u << (nc - c0)) - 1);
        __m512i base = q->colsum ? _mm512_mul_epi32(load8(m, q->colsum + c0), in_zp) : _mm512_setzero_si512();
        base = _mm512_sub_epi64(q->bias ? load8(m, q->bias + c0) : _mm512_setzero_si512(), base);
        for (int32_t r = 0; r < nr; r++) {
            const __m512i v = sat32(_mm512_add_epi64(load8(m, acc + r * lda + c0), base));
            const __m512i y = requant8(v, mult8, shift8, out_zp, lo, hi);
            _mm512_mask_cvtepi64_storeu_epi8(out + r * ldo + c0, m, y);
        }
    }
}

static int have_avx512(void)
{
    static int known = -1; /* a benign race: every thread stores the same answer */
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512vl") && hls_native_isa() == HLS_ISA_AVX512;
    }
    return known;
}
#endif

int cnn_store_host(int8_t *out, const int32_t *acc, int32_t ldacc, const int32_t *colsum,
                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                   const cnn_conv_desc *d, int32_t oc0, int32_t m0, int32_t nr, int32_t nc)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SYNTHESIS__)
    if (have_avx512()) {
        store_avx512(out, acc, ldacc, colsum, bias, mult, shift, d, oc0, m0, nr, nc);
        return 1;
    }
#endif
    (void)out, (void)acc, (void)ldacc, (void)colsum, (void)bias, (void)mult, (void)shift;
    (void)d, (void)oc0, (void)m0, (void)nr, (void)nc;
    return 0;
}

int hls_requant_rows_host(int8_t *out, int64_t ldo, const int32_t *acc, int64_t lda, int32_t nr,
                          int32_t nc, const hls_requant_rule *q)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SYNTHESIS__)
    if (have_avx512()) {
        rows_avx512(out, ldo, acc, lda, nr, nc, q);
        return 1;
    }
#endif
    (void)out, (void)ldo, (void)acc, (void)lda, (void)nr, (void)nc, (void)q;
    return 0;
}
