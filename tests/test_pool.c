/*
 * test_pool.c - max and average pooling against the reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "test_util.h"


/* Pools an input drawn from [lo, hi] and compares with the reference. */
static void run_pool_range(int is_avg, int n, int h, int w, int c, chm_pool_params p, uint64_t seed,
                           int lo, int hi)
{
    tu_rng r;
    tu_seed(&r, seed);
    int sh = p.stride_h ? p.stride_h : p.kernel_h, sw = p.stride_w ? p.stride_w : p.kernel_w;
    int64_t oh = ref_out_extent(h, p.kernel_h, sh, 1, p.pad_top, p.pad_bottom);
    int64_t ow = ref_out_extent(w, p.kernel_w, sw, 1, p.pad_left, p.pad_right);
    size_t nin = (size_t)n * h * w * c, nout = (size_t)(n * oh * ow * c);
    int8_t *in = malloc(nin), *got = malloc(nout), *want = malloc(nout);
    tu_fill_i8(&r, in, nin, lo, hi);
    chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(n, h, w, c), in);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(n, oh, ow, c), NULL);
    CU_ASSERT_FATAL(ti && to);
    int rc = is_avg ? chm_avgpool(tu_dev, ti, to, &p, NULL) : chm_maxpool(tu_dev, ti, to, &p, NULL);
    if (rc)
        fprintf(stderr, "%s\n", chm_last_error(tu_dev));
    CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_read(to, 0, got, nout), CHM_OK);
    ref_pool(in, n, h, w, c, &p, is_avg, want);
    long d = tu_first_diff(got, want, nout);
    if (d >= 0)
        fprintf(stderr, "FAILED seed %llu %s %dx%dx%dx%d k %dx%d: out[%ld] %d, reference %d\n",
                (unsigned long long)seed, is_avg ? "avg" : "max", n, h, w, c, p.kernel_h,
                p.kernel_w, d, got[d], want[d]);
    CU_ASSERT_EQUAL(d, -1);
    chm_tensor_free(ti), chm_tensor_free(to);
    free(in), free(got), free(want);
}

static void run_pool(int is_avg, int n, int h, int w, int c, chm_pool_params p, uint64_t seed)
{
    run_pool_range(is_avg, n, h, w, c, p, seed, -128, 127);
}

static void test_fixed(void)
{
    for (int avg = 0; avg < 2; avg++) {
        run_pool(avg, 1, 28, 28, 16, (chm_pool_params){ .kernel_h = 2, .kernel_w = 2 }, 1);
        run_pool(avg, 2, 7, 7, 3, (chm_pool_params){ .kernel_h = 3, .kernel_w = 3, .stride_h = 2,
                                                      .stride_w = 2, .pad_top = 1, .pad_left = 1,
                                                      .pad_bottom = 1, .pad_right = 1 }, 2);
        run_pool(avg, 1, 1, 1, 5, (chm_pool_params){ .kernel_h = 1, .kernel_w = 1 }, 3);
        run_pool(avg, 3, 5, 9, 33, (chm_pool_params){ .kernel_h = 5, .kernel_w = 9 }, 4); /* global */
        run_pool(avg, 1, 6, 5, 2, (chm_pool_params){ .kernel_h = 2, .kernel_w = 3, .stride_h = 1,
                                                      .pad_right = 2 }, 5);
    }
}

/* ONNX's average (CHM_POOL_ROUND_EVEN): ties go to even about the zero point. */
static void test_avg_round_even(void)
{
    /* 2x1 windows over (1,-1,127,-128,3,-3,0,5) and (2,-2,126,-127,4,-4,1,6) */
    const int8_t rows[16] = { 1, -1, 127, -128, 3, -3, 0, 5, 2, -2, 126, -127, 4, -4, 1, 6 };
    int8_t got[8];
    chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 2, 8, 1), NULL);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 1, 8, 1), NULL);
    CU_ASSERT_FATAL(ti && to);
    CU_ASSERT_EQUAL(chm_tensor_write(ti, 0, rows, 16), CHM_OK);
    /* zero point 0: 1.5 -> 2, -1.5 -> -2, 126.5 -> 126, -127.5 -> -128, 3.5 -> 4, -3.5 -> -4,
     * 0.5 -> 0, 5.5 -> 6 */
    chm_pool_params p = { .kernel_h = 2, .kernel_w = 1, .round_even = CHM_POOL_ROUND_EVEN };
    CU_ASSERT_EQUAL(chm_avgpool(tu_dev, ti, to, &p, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, got, 8), CHM_OK);
    const int8_t want0[8] = { 2, -2, 126, -128, 4, -4, 0, 6 };
    CU_ASSERT_EQUAL(memcmp(got, want0, 8), 0);
    /* zero point -3 (odd): t = sum - 2 zp = 9, 3, 259, -249, 13, -1, 7, 17; t / 2 to even
     * = 4, 2, 130, -124, 6, 0, 4, 8; plus -3 */
    p.zero_point = -3;
    CU_ASSERT_EQUAL(chm_avgpool(tu_dev, ti, to, &p, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, got, 8), CHM_OK);
    const int8_t want3[8] = { 1, -1, 127, -127, 3, -3, 1, 5 };
    CU_ASSERT_EQUAL(memcmp(got, want3, 8), 0);
    /* bad settings are refused, the output untouched */
    p.zero_point = 128;
    CU_ASSERT_EQUAL(chm_avgpool(tu_dev, ti, to, &p, NULL), CHM_EINVAL);
    p.zero_point = 0, p.round_even = 2;
    CU_ASSERT_EQUAL(chm_avgpool(tu_dev, ti, to, &p, NULL), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, got, 8), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(got, want3, 8), 0);
    chm_tensor_free(ti), chm_tensor_free(to);
}

static void test_avg_rounding(void)
{
    /* Ties of both signs: 2x1 windows whose sums are odd. */
    const int8_t in[8] = { 1, 2, -1, -2, 127, 126, -128, -127 };
    int8_t got[4];
    chm_pool_params p = { .kernel_h = 2, .kernel_w = 1 };
    chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 2, 4, 1), NULL);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 1, 4, 1), NULL);
    CU_ASSERT_FATAL(ti && to);
    /* Rows: (1,-1,127,-128) over (2,-2,126,-127) */
    const int8_t rows[8] = { in[0], in[2], in[4], in[6], in[1], in[3], in[5], in[7] };
    CU_ASSERT_EQUAL(chm_tensor_write(ti, 0, rows, 8), CHM_OK);
    CU_ASSERT_EQUAL(chm_avgpool(tu_dev, ti, to, &p, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, got, 4), CHM_OK);
    CU_ASSERT_EQUAL(got[0], 2);    /* 1.5 -> 2 */
    CU_ASSERT_EQUAL(got[1], -2);   /* -1.5 -> -2 */
    CU_ASSERT_EQUAL(got[2], 127);  /* 126.5 -> 127 */
    CU_ASSERT_EQUAL(got[3], -128); /* -127.5 -> -128 */
    chm_tensor_free(ti), chm_tensor_free(to);
}

/*
 * The largest window the host takes (CNN_MAX_KERNEL x CNN_MAX_KERNEL, 1,024
 * taps): its sums are the largest the pooling engine's 18-bit lanes and
 * dividers see (-128 x 1,024 and 127 x 1,024), and an average's quotient
 * is at its widest. All -128, all 127, the two mixed, over two channel chunks.
 */
static void test_largest_window(void)
{
    const chm_pool_params g = { .kernel_h = 32, .kernel_w = 32 };
    const chm_pool_params s = { .kernel_h = 32, .kernel_w = 32, .stride_h = 1, .stride_w = 1,
                                .pad_top = 31, .pad_left = 31 };
    chm_pool_params ge = g, se = s;
    ge.round_even = se.round_even = CHM_POOL_ROUND_EVEN;
    ge.zero_point = -128, se.zero_point = 127; /* |sum - count zp| at its largest, 255 x 1,024 */
    run_pool_range(1, 1, 32, 32, 65, ge, 17, 127, 127);
    run_pool_range(1, 1, 32, 32, 65, ge, 18, -128, 127);
    run_pool_range(1, 1, 33, 34, 3, se, 19, -128, -128);
    run_pool_range(1, 1, 33, 34, 3, se, 20, -128, 127);
    for (int avg = 0; avg < 2; avg++) {
        run_pool_range(avg, 1, 32, 32, 65, g, 11, -128, -128);
        run_pool_range(avg, 1, 32, 32, 65, g, 12, 127, 127);
        run_pool_range(avg, 1, 32, 32, 65, g, 13, -128, 127);
        run_pool_range(avg, 1, 32, 32, 3, g, 14, 126, 127);
        run_pool_range(avg, 1, 32, 32, 3, g, 15, -128, -127);
        run_pool_range(avg, 1, 33, 34, 2, s, 16, -128, 127); /* windows of 1 to 1,024 taps */
    }
}

static void test_random(void)
{
    tu_rng r;
    for (uint64_t seed = 100; seed < 140; seed++) {
        tu_seed(&r, seed);
        chm_pool_params p = { .kernel_h = tu_range(&r, 1, 4), .kernel_w = tu_range(&r, 1, 4),
                              .stride_h = tu_range(&r, 0, 3), .stride_w = tu_range(&r, 0, 3) };
        p.pad_top = tu_range(&r, 0, p.kernel_h - 1), p.pad_bottom = tu_range(&r, 0, p.kernel_h - 1);
        p.pad_left = tu_range(&r, 0, p.kernel_w - 1), p.pad_right = tu_range(&r, 0, p.kernel_w - 1);
        if (seed % 4 == 3) /* ONNX's rounding about a random zero point */
            p.round_even = CHM_POOL_ROUND_EVEN, p.zero_point = tu_range(&r, -128, 127);
        run_pool((int)(seed & 1) || p.round_even, tu_range(&r, 1, 3), tu_range(&r, 4, 15),
                 tu_range(&r, 4, 15), tu_range(&r, 1, 40), p, seed);
    }
}

int main(void)
{
    static const tu_test tests[] = {
        { "fixed windows (2x2, 3x3 s2 pad 1, 1x1, global, asymmetric pad)", test_fixed },
        { "average rounds half away from zero", test_avg_rounding },
        { "ONNX's average: ties to even about the zero point, bad settings refused",
          test_avg_round_even },
        { "the largest window (32 x 32): extreme sums, both chunks", test_largest_window },
        { "40 seeded random windows", test_random },
        { NULL, NULL },
    };
    return tu_run_suite("pool", "emu", tests, NULL, NULL);
}
