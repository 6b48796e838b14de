/*
 * hls_quant.h - int8 requantization shared by every mode's kernels.
 *
 * The rules are TFLite's MultiplyByQuantizedMultiplier (gemmlowp): a left
 * shift for positive shifts, a saturating rounding doubling high multiply by
 * a Q0.31 multiplier, then a rounding right shift (gemmlowp's
 * RoundingDivideByPOT: ties away from zero). One deliberate difference: the
 * left shift saturates to int32 where TFLite's wraps, so every input has a
 * defined result. A second rule, ONNX Runtime's float32 one, is below
 * (hls_multiply_f32_rule). These functions are the hardware's datapath: fixed widths,
 * no division by variables; compiled natively for emulation.
 */
#ifndef HLS_QUANT_H
#define HLS_QUANT_H

#include <stdint.h>

/* (a * b * 2) >> 32 with round-to-nearest; the one overflow case saturates. */
static inline int32_t hls_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : (1 - (INT64_C(1) << 30));
    int64_t q = ab + nudge;
    /* Division by 2^31 truncating toward zero, as gemmlowp does. */
    int64_t r = q >= 0 ? (q >> 31) : -((-q) >> 31);
    return (int32_t)r;
}

/* x / 2^exponent rounded to nearest, ties away from zero; exponent in 0..31. */
static inline int32_t hls_rounding_divide_by_pot(int32_t x, int exponent)
{
    int32_t mask = (int32_t)((INT64_C(1) << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* Saturates a 64-bit value to int32 (the accumulator never wraps). */
static inline int32_t hls_sat32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* acc * multiplier * 2^(shift - 31), TFLite's MultiplyByQuantizedMultiplier. */
static inline int32_t hls_multiply_by_quantized_multiplier(int32_t acc, int32_t multiplier,
                                                           int32_t shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int32_t shifted = hls_sat32((int64_t)acc * (INT64_C(1) << left));
    return hls_rounding_divide_by_pot(hls_sat_rounding_doubling_high_mul(shifted, multiplier),
                                      right);
}

/*
 * The second rule, ONNX Runtime's (MLAS on x86): nearbyintf((float)acc * scale)
 * with scale a float32 (in_scale * w_scale / out_scale, evaluated in float)
 * and round-half-to-even at each of the three steps. The hardware holds the
 * scale as its 24-bit significand m in [2^23, 2^24) and a power of two,
 * scale = m * 2^(shift - 23), and does in integers what the float unit does:
 * acc rounded to 24 significant bits, a 24 x 24 multiply, the product rounded
 * to 24 significant bits, then a rounding shift to an integer. The range of
 * the multiplier tells the rules apart (TFLite's is in [2^30, 2^31)), so
 * neither kernels nor registers need another field.
 */
#define HLS_F32_RULE_MIN (INT32_C(1) << 23)
#define HLS_F32_RULE_END (INT32_C(1) << 24)

/* Number of significant bits of v (0 for 0): a leading-one detector in six steps. */
static inline int32_t hls_bit_width64(uint64_t v)
{
    int32_t n = 0;
    if (v >> 32) { n += 32; v >>= 32; }
    if (v >> 16) { n += 16; v >>= 16; }
    if (v >> 8) { n += 8; v >>= 8; }
    if (v >> 4) { n += 4; v >>= 4; }
    if (v >> 2) { n += 2; v >>= 2; }
    if (v >> 1) { n += 1; v >>= 1; }
    return n + (int32_t)v;
}

/* v rounded to 24 significant bits, ties to even; *e counts the bits dropped. */
static inline uint64_t hls_round_sig24(uint64_t v, int32_t *e)
{
    const int32_t n = hls_bit_width64(v);
    if (n <= 24)
        return v;
    const int32_t k = n - 24;
    const uint64_t q = v >> k, rem = v & ((UINT64_C(1) << k) - 1), half = UINT64_C(1) << (k - 1);
    *e += k;
    return q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
}

/* nearbyint(float(acc) * m * 2^(shift - 23)) saturated to int32, as an FPU gets it. */
static inline int32_t hls_multiply_f32_rule(int32_t acc, int32_t m, int32_t shift)
{
    const int neg = acc < 0;
    int32_t e = shift - 23;
    const uint64_t a = hls_round_sig24(neg ? (uint64_t)(-(int64_t)acc) : (uint64_t)acc, &e);
    const uint64_t p = hls_round_sig24(a * (uint64_t)m, &e); /* <= 2^24 */
    uint64_t r;
    if (p == 0) {
        r = 0;
    } else if (e >= 0) {
        r = e > 31 ? UINT64_C(1) << 32 : p << e; /* past int32: saturates below */
    } else if (e < -25) {
        r = 0; /* p * 2^e < 1/2 */
    } else {
        const int32_t k = -e;
        const uint64_t q = p >> k, rem = p & ((UINT64_C(1) << k) - 1);
        const uint64_t half = UINT64_C(1) << (k - 1);
        r = q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
    }
    return hls_sat32(neg ? -(int64_t)r : (int64_t)r);
}

/* The output stage's rescale: the rule is chosen by the multiplier's range. */
static inline int32_t hls_rescale(int32_t acc, int32_t multiplier, int32_t shift)
{
    if (multiplier >= HLS_F32_RULE_MIN && multiplier < HLS_F32_RULE_END)
        return hls_multiply_f32_rule(acc, multiplier, shift);
    return hls_multiply_by_quantized_multiplier(acc, multiplier, shift);
}

/* Adds the output zero point and clamps to the activation range. */
static inline int8_t hls_clamp_int8(int32_t v, int32_t out_zp, int32_t act_min, int32_t act_max)
{
    int64_t w = (int64_t)v + out_zp;
    if (w < act_min)
        w = act_min;
    if (w > act_max)
        w = act_max;
    return (int8_t)w;
}

/* The whole output stage: requantize, add the zero point, clamp. */
static inline int8_t hls_requant_int8(int32_t acc, int32_t multiplier, int32_t shift,
                                      int32_t out_zp, int32_t act_min, int32_t act_max)
{
    return hls_clamp_int8(hls_rescale(acc, multiplier, shift), out_zp, act_min, act_max);
}

#endif /* HLS_QUANT_H */
