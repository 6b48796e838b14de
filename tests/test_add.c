/*
 * test_add.c - quantized element-wise add against the reference.
 */
#include <stdio.h>
#include <stdlib.h>

#include "chm_ref.h"
#include "test_util.h"


static void run_add(int64_t count, double sa, double sb, double so, uint64_t seed,
                    chm_activation act, int in_place)
{
    tu_rng r;
    tu_seed(&r, seed);
    int8_t *a = malloc((size_t)count), *b = malloc((size_t)count);
    int8_t *got = malloc((size_t)count), *want = malloc((size_t)count);
    tu_fill_i8(&r, a, (size_t)count, -128, 127);
    tu_fill_i8(&r, b, (size_t)count, -128, 127);
    chm_add_params p = { .a_zero_point = tu_range(&r, -128, 127),
                         .b_zero_point = tu_range(&r, -128, 127),
                         .out_zero_point = tu_range(&r, -128, 127), .act = act, .relu6_q = 40 };
    CU_ASSERT_EQUAL_FATAL(chm_add_params_from_scales(sa, sb, so, &p), CHM_OK);
    chm_tensor *ta = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(count), a);
    chm_tensor *tb = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(count), b);
    chm_tensor *to = in_place ? ta : tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(count), NULL);
    CU_ASSERT_FATAL(ta && tb && to);
    CU_ASSERT_EQUAL_FATAL(chm_add(tu_dev, ta, tb, to, &p, NULL), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_read(to, 0, got, (size_t)count), CHM_OK);
    ref_add(a, b, count, &p, want);
    long d = tu_first_diff(got, want, (size_t)count);
    if (d >= 0)
        fprintf(stderr, "FAILED seed %llu add scales %g %g %g: out[%ld] %d, reference %d\n",
                (unsigned long long)seed, sa, sb, so, d, got[d], want[d]);
    CU_ASSERT_EQUAL(d, -1);
    chm_tensor_free(ta), chm_tensor_free(tb);
    if (!in_place)
        chm_tensor_free(to);
    free(a), free(b), free(got), free(want);
}

static void test_scales(void)
{
    run_add(1, 0.1, 0.1, 0.1, 1, CHM_ACT_NONE, 0);
    run_add(1000, 0.05, 0.2, 0.3, 2, CHM_ACT_NONE, 0);
    run_add(4097, 1.0, 0.001, 0.02, 3, CHM_ACT_RELU, 0);     /* output saturates often */
    run_add(333, 0.02, 0.02, 10.0, 4, CHM_ACT_RELU6, 0);    /* collapses to the zero point */
    run_add(77, 0.3, 0.1, 0.25, 5, CHM_ACT_NONE, 1);        /* in place: out is a */
}

static void test_random(void)
{
    tu_rng r;
    for (uint64_t seed = 40; seed < 60; seed++) {
        tu_seed(&r, seed);
        double sa = 0.001 * tu_range(&r, 1, 1000), sb = 0.001 * tu_range(&r, 1, 1000);
        double so = 0.001 * tu_range(&r, 1, 2000);
        run_add(tu_range(&r, 1, 5000), sa, sb, so, seed, (chm_activation)tu_range(&r, 0, 2), 0);
    }
}

int main(void)
{
    static const tu_test tests[] = {
        { "scales, saturation, in place", test_scales },
        { "20 seeded random adds", test_random },
        { NULL, NULL },
    };
    return tu_run_suite("add", "emu", tests, NULL, NULL);
}
