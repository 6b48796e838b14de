/*
 * hls_quant.h - int8 requantization shared by every mode's kernels.
 *
 * The rules are TFLite's MultiplyByQuantizedMultiplier (gemmlowp): a left
 * shift for positive shifts, a saturating rounding doubling high multiply by
 * a Q0.31 multiplier, then a rounding right shift (gemmlowp's
 * RoundingDivideByPOT: ties away from zero). One deliberate difference: the
 * left shift saturates to int32 where TFLite's wraps, so every input has a
 * defined result. These functions are the hardware's datapath: fixed widths,
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
    return hls_clamp_int8(hls_multiply_by_quantized_multiplier(acc, multiplier, shift), out_zp,
                          act_min, act_max);
}

#endif /* HLS_QUANT_H */
