/*
 * test_rtl_quant.c - the RTL output stage's arithmetic units (chm_mbqm,
 * chm_f32rule, chm_requant: rtl/common) against the kernels' datapath
 * (hls/common/hls_quant.h, itself checked against the formulas by
 * test_requant) on millions of operands: random ones of every magnitude,
 * the edges of int32, the shifts the host accepts and past them, and the
 * ties of each rounding step. The engines reach these units only through
 * whole layers; a unit rewritten for area is checked here first.
 */
#include <stdio.h>

#include "hls_quant.h"
#include "rtl_sim.h"
#include "test_util.h"

#define SWEEP 3000000

static rtl_quant_probe *probe;

/* An accumulator of a random magnitude (every bit width equally often), or an edge. */
static int32_t operand(tu_rng *r, int i)
{
    static const int32_t edges[] = { 0, 1, -1, 2, -2, 127, -128, 255, -256, INT32_MAX, INT32_MIN,
                                     INT32_MAX - 1, INT32_MIN + 1, 1 << 23, -(1 << 23), (1 << 24) - 1,
                                     -(1 << 24) + 1, 1 << 24, (1 << 24) + 1, 1 << 30, -(1 << 30) };
    const int n_edges = (int)(sizeof edges / sizeof edges[0]);
    if (i % 16 == 0)
        return edges[(i / 16) % n_edges];
    return (int32_t)tu_u32(r) >> tu_range(r, 0, 31);
}

static rtl_quant_out eval(int32_t acc, int64_t off, int32_t mult, int32_t shift, int32_t zp,
                          int32_t lo, int32_t hi)
{
    const rtl_quant_in in = { acc, off, mult, shift, zp, lo, hi };
    rtl_quant_out out;
    rtl_quant_probe_eval(probe, &in, &out);
    return out;
}

static void test_mbqm(void)
{
    tu_rng r;
    tu_seed(&r, 11);
    int bad = 0;
    for (int i = 0; i < SWEEP; i++) {
        const int32_t acc = operand(&r, i);
        /* the host's Q31 multipliers (0 or 2^30 .. 2^31 - 1), and any int32 now and then */
        int32_t m = i % 5 == 0 ? (int32_t)tu_u32(&r) : (int32_t)((1u << 30) | (tu_u32(&r) >> 2));
        if (i % 997 == 0)
            m = i % 2 ? 0 : INT32_MIN;
        const int32_t s = tu_range(&r, -31, 30);
        const int32_t got = eval(acc, 0, m, s, 0, -128, 127).mbqm;
        const int32_t want = hls_multiply_by_quantized_multiplier(acc, m, s);
        if (got != want && bad++ < 5)
            printf("\n  mbqm(%d, %d, %d) = %d, want %d", acc, m, s, got, want);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_f32_rule(void)
{
    tu_rng r;
    tu_seed(&r, 12);
    int bad = 0;
    for (int i = 0; i < SWEEP; i++) {
        int32_t acc = operand(&r, i);
        int32_t m = (int32_t)((1u << 23) | (tu_u32(&r) >> 9));
        /* the host's shifts are -126..30; the unit clamps to -64..63, so past both too */
        int32_t s = tu_range(&r, -160, 60);
        if (i % 3 == 0) {
            /* ties of the last rounding: m = 2^23 and a shift of -k make acc * 2^-k exact,
             * with acc's low k bits 100...0 */
            const int k = tu_range(&r, 1, 25);
            m = 1 << 23;
            s = -k;
            acc = (int32_t)(((uint32_t)operand(&r, i + 1) << k) | (1u << (k - 1)));
        }
        const int32_t got = eval(acc, 0, m, s, 0, -128, 127).f32;
        const int32_t want = hls_multiply_f32_rule(acc, m, s);
        if (got != want && bad++ < 5)
            printf("\n  f32rule(%d, %d, %d) = %d, want %d", acc, m, s, got, want);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_output_stage(void)
{
    tu_rng r;
    tu_seed(&r, 13);
    int bad = 0, bad_fixed = 0;
    for (int i = 0; i < SWEEP; i++) {
        const int32_t acc = operand(&r, i);
        /* the offset is 34 bits: past int32 both ways, so the sum saturates */
        const int64_t off = i % 4 == 0 ? (int64_t)operand(&r, i + 1) * tu_range(&r, -4, 3)
                                       : (int64_t)operand(&r, i + 1);
        const int f32 = i % 2;
        const int32_t m = f32 ? (int32_t)((1u << 23) | (tu_u32(&r) >> 9))
                              : (int32_t)((1u << 30) | (tu_u32(&r) >> 2));
        const int32_t s = f32 ? tu_range(&r, -126, 30) : tu_range(&r, -31, 30);
        const int32_t zp = tu_range(&r, -128, 127);
        const int32_t lo = i % 3 == 0 ? zp : -128;
        const int32_t hi = i % 5 == 0 ? tu_range(&r, lo, 127) : 127;
        const rtl_quant_out o = eval(acc, off, m, s, zp, lo, hi);
        const int32_t sum = hls_sat32((int64_t)acc + off);
        if (o.out != hls_requant_int8(sum, m, s, zp, lo, hi) && bad++ < 5)
            printf("\n  requant(%d + %lld, %d, %d, zp %d, [%d, %d]) = %d, want %d", acc, (long long)off,
                   m, s, zp, lo, hi, o.out, hls_requant_int8(sum, m, s, zp, lo, hi));
        /* the TFLite-only stage applies TFLite's rule to every multiplier (its shifts: -31..30) */
        if (s >= -31 &&
            o.out_fixed != hls_clamp_int8(hls_multiply_by_quantized_multiplier(sum, m, s), zp, lo, hi))
            bad_fixed++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(bad_fixed, 0);
}

static int init(void)
{
    probe = rtl_quant_probe_new();
    return probe ? 0 : -1;
}

static int clean(void)
{
    rtl_quant_probe_free(probe);
    return 0;
}

int main(void)
{
    static const tu_test tests[] = {
        { "chm_mbqm = TFLite's MultiplyByQuantizedMultiplier (3M operands)", test_mbqm },
        { "chm_f32rule = the float32 rule, ties of every step (3M operands)", test_f32_rule },
        { "chm_requant: offset, saturation, both rules, zero point, clamp (3M)", test_output_stage },
        { NULL, NULL },
    };
    return tu_run_suite("rtl_quant", NULL, tests, init, clean);
}
