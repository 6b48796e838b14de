/*
 * test_requant.c - the kernels' requantization datapath (hls/common) against
 * the reference's formulas (TFLite's fixed-point rule) and the float unit
 * (ONNX Runtime's float32 rule), chm_quantize_multiplier and
 * chm_quantize_scale_f32.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "cnn_store_native.h"
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

/*
 * ONNX Runtime's float32 rule: the integer datapath (hls_multiply_f32_rule,
 * what the card builds) against the float unit (the reference computes
 * nearbyintf((float)acc * scale)). Random accumulators over the whole int32
 * range (rounded to 24 bits on the way in), scales over the whole shift
 * range, and operands with few significant bits so that the product's
 * rounding to 24 bits lands on ties often.
 */
static void test_f32_rule_vs_fpu(void)
{
    tu_rng r;
    tu_seed(&r, 31);
    long bad = 0, ties = 0;
    for (long i = 0; i < 1000000; i++) {
        int32_t acc = (int32_t)tu_u32(&r) >> tu_range(&r, 0, 31);
        int32_t m = (int32_t)((1u << 23) | (tu_u32(&r) & 0x7FFFFFu));
        int32_t s = tu_range(&r, -40, 8);
        if (i % 4 == 1) { /* few bits each: ties in the product's rounding */
            acc = (int32_t)((tu_u32(&r) & 0xFFFu) << tu_range(&r, 0, 19)) * (tu_range(&r, 0, 1) ? 1 : -1);
            m = (int32_t)((1u << 23) | ((tu_u32(&r) & 0xFFFu) << 11));
        } else if (i % 4 == 2) {
            s = tu_range(&r, -126, 30);
        }
        int32_t e = 0;
        const uint64_t p = hls_round_sig24((uint64_t)llabs((long long)acc), &e) * (uint64_t)m;
        int k = 0;
        while (p >> (24 + k))
            k++;
        if (k && (p & ((UINT64_C(1) << k) - 1)) == UINT64_C(1) << (k - 1))
            ties++; /* the product's rounding to 24 bits is a tie */
        if (hls_multiply_f32_rule(acc, m, s) != ref_requant(acc, m, s)) {
            if (bad < 5)
                fprintf(stderr, "\n  acc %d m %d shift %d: datapath %d, float unit %d", acc, m, s,
                        hls_multiply_f32_rule(acc, m, s), ref_requant(acc, m, s));
            bad++;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(ties > 1000);
    /* ties to even at the last step: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2; and at the
     * first: 2^24 + 1 is 2^24 as a float, 2^24 + 3 is 2^24 + 4 */
    CU_ASSERT_EQUAL(hls_multiply_f32_rule(5, 1 << 23, -1), 2);
    CU_ASSERT_EQUAL(hls_multiply_f32_rule(7, 1 << 23, -1), 4);
    CU_ASSERT_EQUAL(hls_multiply_f32_rule(-5, 1 << 23, -1), -2);
    CU_ASSERT_EQUAL(hls_multiply_f32_rule((1 << 24) + 1, 1 << 23, 0), 1 << 24);
    CU_ASSERT_EQUAL(hls_multiply_f32_rule((1 << 24) + 3, 1 << 23, 0), (1 << 24) + 4);
    CU_ASSERT_EQUAL(hls_multiply_f32_rule(INT32_MAX, 1 << 23, 1), INT32_MAX);
    CU_ASSERT_EQUAL(hls_multiply_f32_rule(INT32_MIN, 1 << 23, 1), INT32_MIN);
    /* the output stage picks the rule by the multiplier's range */
    CU_ASSERT_EQUAL(hls_rescale(5, 1 << 23, -1), 2);
    CU_ASSERT_EQUAL(hls_rescale(5, 1 << 30, 0), 3); /* TFLite: 2.5 rounds up */
}

static void test_quantize_scale_f32(void)
{
    int32_t m, s;
    tu_rng r;
    tu_seed(&r, 12);
    for (int i = 0; i < 10000; i++) {
        uint32_t bits = (tu_u32(&r) & 0x007FFFFFu) | ((uint32_t)tu_range(&r, 1, 157) << 23);
        float f;
        memcpy(&f, &bits, sizeof f);
        CU_ASSERT_EQUAL_FATAL(chm_quantize_scale_f32(f, &m, &s), CHM_OK);
        CU_ASSERT(m >= (1 << 23) && m < (1 << 24));
        CU_ASSERT(s >= -126 && s <= 30);
        CU_ASSERT(ldexpf((float)m, s - 23) == f); /* exact */
    }
    CU_ASSERT_EQUAL(chm_quantize_scale_f32(0.0f, &m, &s), CHM_OK);
    CU_ASSERT_EQUAL(m, 0);
    CU_ASSERT_EQUAL(chm_quantize_scale_f32(1e-40f, &m, &s), CHM_EINVAL); /* subnormal */
    CU_ASSERT_EQUAL(chm_quantize_scale_f32(-0.5f, &m, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_quantize_scale_f32(ldexpf(1.0f, 31), &m, &s), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_quantize_scale_f32(INFINITY, &m, &s), CHM_EINVAL);
}

/*
 * The native emulation's vector output stage (cnn_store_native.c, AVX-512
 * when the host has it) against the scalar datapath, tile by tile: random
 * accumulators, column sums, biases and zero points, per-channel and
 * per-tensor multipliers over the whole range, shifts -31..30, clamps; in
 * odd tiles a third of the channels take the float32 rule.
 */
static void test_vector_store(void)
{
    tu_rng r;
    tu_seed(&r, 77);
    int32_t acc[32][32], colsum[32], bias[40], mult[40], shift[40];
    int8_t got[32 * 40], want[32 * 40];
    int vector = 0;
    for (int tile = 0; tile < 3000; tile++) {
        const int nr = tu_range(&r, 1, 32), nc = tu_range(&r, 1, 32), oc0 = tu_range(&r, 0, 8);
        cnn_conv_desc d = { 0 };
        d.oc = 40;
        d.in_zp = tu_range(&r, -128, 127);
        d.out_zp = tu_range(&r, -128, 127);
        d.act_min = tu_range(&r, 0, 3) ? -128 : d.out_zp;
        d.act_max = tu_range(&r, 0, 3) ? 127 : d.out_zp + tu_range(&r, 0, 127 - d.out_zp);
        d.has_bias = tu_range(&r, 0, 1);
        d.per_tensor = tu_range(&r, 0, 4) == 0;
        for (int i = 0; i < 32; i++)
            for (int j = 0; j < 32; j++)
                acc[i][j] = tile % 7 == 0 ? (tu_range(&r, 0, 1) ? INT32_MAX - tu_range(&r, 0, 9)
                                                                 : INT32_MIN + tu_range(&r, 0, 9))
                                          : (int32_t)tu_u32(&r) >> tu_range(&r, 0, 31);
        for (int j = 0; j < 32; j++)
            colsum[j] = (int32_t)tu_u32(&r) >> tu_range(&r, 8, 31);
        for (int c = 0; c < 40; c++) {
            bias[c] = (int32_t)tu_u32(&r) >> tu_range(&r, 0, 31);
            mult[c] = tu_range(&r, 0, 20) ? (int32_t)((1u << 30) + (tu_u32(&r) >> 2)) : 0;
            shift[c] = tu_range(&r, -31, 30);
            if (tile % 2 && tu_range(&r, 0, 2) == 0) { /* the float32 rule, lane by lane */
                mult[c] = (int32_t)((1u << 23) | (tu_u32(&r) & 0x7FFFFFu));
                shift[c] = tu_range(&r, -126, 30);
            }
        }
        const int m0 = 0;
        memset(got, 0x55, sizeof got);
        memset(want, 0x55, sizeof want);
        if (!cnn_store_host(got, &acc[0][0], 32, colsum, bias, mult, shift, &d, oc0, m0, nr, nc))
            break; /* no vector units on this host: nothing to compare */
        vector = 1;
        for (int i = 0; i < nr; i++)
            for (int j = 0; j < nc; j++) {
                const int ch = oc0 + j, q = d.per_tensor ? 0 : ch;
                int64_t v = (int64_t)acc[i][j] - (int64_t)d.in_zp * colsum[j];
                if (d.has_bias)
                    v += bias[ch];
                want[i * 40 + ch] = hls_requant_int8(hls_sat32(v), mult[q], shift[q], d.out_zp,
                                                     d.act_min, d.act_max);
            }
        long diff = tu_first_diff(got, want, sizeof got);
        if (diff >= 0)
            fprintf(stderr, "\n  tile %d: byte %ld is %d, scalar datapath %d\n", tile, diff,
                    got[diff], want[diff]);
        CU_ASSERT_EQUAL_FATAL(diff, -1);
    }
    if (!vector)
        fprintf(stderr, "\n  (this host has no AVX-512: the vector output stage is not used)\n");
}

int main(void)
{
    static const tu_test tests[] = {
        { "vector output stage equals the scalar datapath", test_vector_store },
        { "kernel datapath equals the reference on 200,000 values", test_datapath_vs_formulas },
        { "rounding of ties", test_known_values },
        { "chm_quantize_multiplier", test_quantize_multiplier },
        { "float32 rule: datapath equals the float unit on 1,000,000 values", test_f32_rule_vs_fpu },
        { "chm_quantize_scale_f32 is exact", test_quantize_scale_f32 },
        { NULL, NULL },
    };
    return tu_run_suite("requant", NULL, tests, NULL, NULL);
}
