/*
 * test_fc.c - fully connected layers against the reference, bit for bit.
 */
#include <stdio.h>
#include <stdlib.h>

#include "chm_ref.h"
#include "test_util.h"


static void run_fc(int n, int k, int m, uint64_t seed, int per_tensor, int no_bias,
                   chm_activation act)
{
    tu_rng r;
    tu_seed(&r, seed);
    int8_t *in = malloc((size_t)n * k), *w = malloc((size_t)m * k);
    int8_t *got = malloc((size_t)n * m), *want = malloc((size_t)n * m);
    int32_t *bias = malloc(sizeof(int32_t) * m), *mult = malloc(sizeof(int32_t) * m);
    int32_t *shift = malloc(sizeof(int32_t) * m);
    tu_fill_i8(&r, in, (size_t)n * k, -128, 127);
    tu_fill_i8(&r, w, (size_t)m * k, -127, 127);
    for (int i = 0; i < m; i++)
        bias[i] = tu_range(&r, -100000, 100000);
    tu_random_requant(&r, mult, shift, m, -14, -8);
    chm_requant rq = { .multiplier = mult, .shift = shift, .per_tensor = per_tensor,
                       .in_zero_point = tu_range(&r, -128, 127),
                       .out_zero_point = tu_range(&r, -128, 127), .act = act, .relu6_q = 90 };
    chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(n, k), in);
    chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(m, k), w);
    chm_tensor *tb = no_bias ? NULL : tu_tensor(tu_dev, CHM_INT32, 1, TU_DIMS(m), bias);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(n, m), NULL);
    CU_ASSERT_FATAL(ti && tw && to && (no_bias || tb));
    CU_ASSERT_EQUAL_FATAL(chm_fully_connected(tu_dev, ti, tw, tb, to, &rq, NULL), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_read(to, 0, got, (size_t)n * m), CHM_OK);
    ref_fully_connected(in, n, k, w, m, no_bias ? NULL : bias, &rq, want);
    long d = tu_first_diff(got, want, (size_t)n * m);
    if (d >= 0)
        fprintf(stderr, "FAILED seed %llu fc n %d k %d m %d: out[%ld] %d, reference %d\n",
                (unsigned long long)seed, n, k, m, d, got[d], want[d]);
    CU_ASSERT_EQUAL(d, -1);
    chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(tb), chm_tensor_free(to);
    free(in), free(w), free(got), free(want), free(bias), free(mult), free(shift);
}

static void test_shapes(void)
{
    run_fc(1, 1, 1, 1, 0, 0, CHM_ACT_NONE);
    run_fc(1, 1568, 64, 2, 0, 0, CHM_ACT_RELU);   /* the demo's fc1 */
    run_fc(100, 64, 10, 3, 0, 0, CHM_ACT_NONE);    /* batch 100 */
    run_fc(7, 33, 31, 4, 1, 1, CHM_ACT_RELU6);     /* odd, per-tensor, no bias */
    run_fc(3, 4100, 5, 5, 0, 0, CHM_ACT_NONE);     /* K in two equal slices */
    run_fc(2, 8300, 3, 7, 0, 0, CHM_ACT_NONE);     /* K across three slices */
    run_fc(70, 4500, 3, 8, 0, 0, CHM_ACT_RELU);    /* two slices, weights kept over 3 row tiles */
    run_fc(65, 17, 97, 6, 0, 0, CHM_ACT_RELU);     /* rows and columns past one tile */
}

static void test_random(void)
{
    tu_rng r;
    for (uint64_t seed = 500; seed < 530; seed++) {
        tu_seed(&r, seed);
        run_fc(tu_range(&r, 1, 40), tu_range(&r, 1, 300), tu_range(&r, 1, 80), seed,
               tu_range(&r, 0, 3) == 0, tu_range(&r, 0, 3) == 0,
               (chm_activation)tu_range(&r, 0, 2));
    }
}

int main(void)
{
    static const tu_test tests[] = {
        { "fixed shapes (1x1, demo layers, batch 100, K slices)", test_shapes },
        { "30 seeded random shapes", test_random },
        { NULL, NULL },
    };
    return tu_run_suite("fully_connected", "emu:u280", tests, NULL, NULL);
}
