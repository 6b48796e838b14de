/*
 * test_requant.c - the kernels' requantization datapath (hls/common) against
 * the reference's formulas, and chm_quantize_multiplier.
 */
#include <math.h>

#include "chm_ref.h"
#include "hls_quant.h"
#include "test_util.h"

static void test_datapath_vs_formulas(void)
{
    tu_rng r;
    tu_seed(&r, 5);
    static const int32_t edges[] = { 0, 1, -1, 2, -2, 127, -128, 1 << 20, -(1 << 20),
                                     INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1 };
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        int32_t acc = i < 13 * 13 ? edges[i % 13] : (int32_t)tu_u32(&r);
        int32_t m = i < 13 * 13 ? (i / 13 < 6 ? edges[i / 13] & INT32_MAX : INT32_MAX)
                                : (int32_t)((1u << 30) | (tu_u32(&r) & 0x3FFFFFFF));
        if (i % 7 == 0)
            acc >>= tu_range(&r, 0, 24); /* small accumulators too */
        int32_t s = tu_range(&r, -31, 30);
        if (hls_multiply_by_quantized_multiplier(acc, m, s) != ref_requant(acc, m, s))
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_known_values(void)
{
    /* 0.5 = 2^30 / 2^31: 3 * 0.5 = 1.5 rounds to 2, -3 * 0.5 to -1 (doubling high
     * mul rounds half up), then a right shift by 1 of 5 gives 3 (ties away). */
    CU_ASSERT_EQUAL(ref_requant(3, 1 << 30, 0), 2);
    CU_ASSERT_EQUAL(ref_requant(-3, 1 << 30, 0), -1);
    CU_ASSERT_EQUAL(ref_requant(10, 1 << 30, -1), 3);
    CU_ASSERT_EQUAL(ref_requant(-10, 1 << 30, -1), -3);
    CU_ASSERT_EQUAL(hls_multiply_by_quantized_multiplier(3, 1 << 30, 0), 2);
    CU_ASSERT_EQUAL(hls_multiply_by_quantized_multiplier(-10, 1 << 30, -1), -3);
}

static void test_quantize_multiplier(void)
{
    int32_t m, s;
    CU_ASSERT_EQUAL(chm_quantize_multiplier(0.5, &m, &s), CHM_OK);
    CU_ASSERT_EQUAL(m, 1 << 30);
    CU_ASSERT_EQUAL(s, 0);
    CU_ASSERT_EQUAL(chm_quantize_multiplier(0.0, &m, &s), CHM_OK);
    CU_ASSERT_EQUAL(m, 0);
    tu_rng r;
    tu_seed(&r, 9);
    for (int i = 0; i < 1000; i++) {
        double real = ldexp(1.0 + tu_u32(&r) / 4294967296.0, tu_range(&r, -30, 20));
        CU_ASSERT_EQUAL_FATAL(chm_quantize_multiplier(real, &m, &s), CHM_OK);
        CU_ASSERT(m >= (1 << 30));
        double back = ldexp((double)m, s - 31);
        CU_ASSERT(fabs(back - real) <= real * 1e-9);
    }
    CU_ASSERT_EQUAL(chm_quantize_multiplier(-1.0, &m, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_quantize_multiplier(ldexp(1.0, 40), &m, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_quantize_multiplier(NAN, &m, &s), CHM_EINVAL);
}

int main(void)
{
    static const tu_test tests[] = {
        { "kernel datapath equals the reference on 200,000 values", test_datapath_vs_formulas },
        { "rounding of ties", test_known_values },
        { "chm_quantize_multiplier", test_quantize_multiplier },
        { NULL, NULL },
    };
    return tu_run_suite("requant", NULL, tests, NULL, NULL);
}
