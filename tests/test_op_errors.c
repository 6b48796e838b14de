/*
 * test_op_errors.c - operations given bad input: the exact code, a message
 * naming the argument, and the output tensor and stats left as they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static chm_tensor *in, *w, *bias, *out, *bias32x, *in32;
static int32_t mult[8] = { 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30 };
static int32_t shift[8] = { -8, -8, -8, -8, -8, -8, -8, -8 };
static int8_t out_before[1 * 6 * 6 * 8];

static chm_conv2d_params good(void)
{
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    p.rq.multiplier = mult;
    p.rq.shift = shift;
    return p;
}

/* The call failed with want, named what, and left out and the stats alone. */
static void expect_refused(int rc, int want, const char *what)
{
    CU_ASSERT_EQUAL(rc, want);
    if (rc != want)
        fprintf(stderr, "expected %s, got %s (%s)\n", chm_strerror(want), chm_strerror(rc),
                chm_last_error(tu_dev));
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), what));
    if (!strstr(chm_last_error(tu_dev), what))
        fprintf(stderr, "message \"%s\" does not name \"%s\"\n", chm_last_error(tu_dev), what);
    int8_t now[sizeof out_before];
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(out, 0, now, sizeof now), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(now, out_before, sizeof now), 0);
    chm_device_stats s;
    chm_device_stats_get(tu_dev, &s);
    CU_ASSERT_EQUAL(s.ops, 0);
}

static void test_conv_shapes(void)
{
    chm_conv2d_params p = good();
    chm_tensor *w_bad = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(8, 3, 3, 5), NULL);
    chm_tensor *out_bad = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 5, 6, 8), NULL);
    chm_tensor *w3 = tu_tensor(tu_dev, CHM_INT8, 3, TU_DIMS(8, 3, 3), NULL);
    expect_refused(chm_conv2d(tu_dev, in, w_bad, bias, out, &p, NULL), CHM_ESHAPE, "weights dims[3]");
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out_bad, &p, NULL), CHM_ESHAPE, "output height");
    expect_refused(chm_conv2d(tu_dev, in, w3, bias, out, &p, NULL), CHM_ESHAPE, "weights has 3 dims");
    p.groups = 3;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "groups");
    p = good();
    p.stride_h = -1;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "stride h");
    p = good();
    p.pad_top = -2;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "padding h");
    chm_tensor_free(w_bad), chm_tensor_free(out_bad), chm_tensor_free(w3);
}

static void test_conv_dtypes(void)
{
    chm_conv2d_params p = good();
    expect_refused(chm_conv2d(tu_dev, in32, w, bias, out, &p, NULL), CHM_EDTYPE, "in is int32");
    expect_refused(chm_conv2d(tu_dev, in, w, bias32x, out, &p, NULL), CHM_EDTYPE, "bias is int8");
    expect_refused(chm_conv2d(tu_dev, in, w, bias, in, &p, NULL), CHM_EINVAL, "out must not");
}

static void test_conv_quant(void)
{
    chm_conv2d_params p = good();
    p.rq.in_zero_point = 200;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "rq.in_zero_point");
    p = good();
    p.rq.multiplier = NULL;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "rq.multiplier");
    p = good();
    int32_t bad_shift[8] = { -8, -8, -8, 40, -8, -8, -8, -8 };
    p.rq.shift = bad_shift;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "shift[3]");
    p = good();
    p.rq.act = (chm_activation)7;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "act");
}

static void test_limits(void)
{
    chm_conv2d_params p = good();
    chm_tensor *big_in = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 2, 2, 4000), NULL);
    chm_tensor *big_w = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(8, 3, 3, 4000), NULL);
    chm_tensor *o = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 2, 2, 8), NULL);
    /* K = 36000 > CNN_MAX_K */
    expect_refused(chm_conv2d(tu_dev, big_in, big_w, bias, o, &p, NULL), CHM_ELIMIT,
                   "reduction depth");
    chm_tensor_free(big_in), chm_tensor_free(big_w), chm_tensor_free(o);
    /* B7: 2^31 + 2 out features used to be cast to int32 (2 outputs computed). */
    const int64_t m = (INT64_C(1) << 31) + 2;
    chm_tensor *x = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(1, 1), NULL);
    chm_tensor *wm = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(m, 1), NULL);
    chm_tensor *om = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(1, m), NULL);
    expect_refused(chm_fully_connected(tu_dev, x, wm, NULL, om, &p.rq, NULL), CHM_ELIMIT,
                   "weights dims[0] is 2147483650");
    chm_tensor_free(x), chm_tensor_free(wm), chm_tensor_free(om);
}

static void test_multiplier_range(void)
{
    chm_conv2d_params p = good();
    int32_t m2[8];
    memcpy(m2, mult, sizeof m2);
    m2[3] = 1000; /* not a normalized Q31 multiplier */
    p.rq.multiplier = m2;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "multiplier[3] is 1000");
    m2[3] = (1 << 30) - 1;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "multiplier[3]");
    m2[3] = -5;
    expect_refused(chm_conv2d(tu_dev, in, w, bias, out, &p, NULL), CHM_EINVAL, "multiplier[3]");
}

static void test_other_ops(void)
{
    chm_pool_params pp = { .kernel_h = 2, .kernel_w = 2, .pad_top = 2 };
    chm_tensor *po = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 3, 3, 8), NULL);
    expect_refused(chm_maxpool(tu_dev, in, po, &pp, NULL), CHM_EINVAL, "smaller than");
    pp.pad_top = 0;
    expect_refused(chm_avgpool(tu_dev, in, out, &pp, NULL), CHM_ESHAPE, "output height");
    pp.kernel_h = 0;
    expect_refused(chm_maxpool(tu_dev, in, po, &pp, NULL), CHM_ELIMIT, "kernel h");
    chm_add_params ap = { 0 };
    chm_add_params_from_scales(0.1, 0.1, 0.1, &ap);
    expect_refused(chm_add(tu_dev, in, po, out, &ap, NULL), CHM_ESHAPE, "b dims[1]");
    ap.left_shift = 30;
    expect_refused(chm_add(tu_dev, out, out, out, &ap, NULL), CHM_EINVAL, "left_shift");
    chm_requant rq = { .multiplier = mult, .shift = shift };
    chm_tensor *fi = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(2, 10), NULL);
    chm_tensor *fw = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(8, 11), NULL);
    chm_tensor *fo = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(2, 8), NULL);
    expect_refused(chm_fully_connected(tu_dev, fi, fw, NULL, fo, &rq, NULL), CHM_ESHAPE,
                   "in features");
    chm_tensor_free(po), chm_tensor_free(fi), chm_tensor_free(fw), chm_tensor_free(fo);
}

static void test_device_names(void)
{
    chm_device *d = (chm_device *)&d;
    chm_device *const sentinel = d;
    CU_ASSERT_EQUAL(chm_device_open("emu:u999", &d), CHM_ENODEV);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "unknown platform \"u999\""));
    CU_ASSERT_EQUAL(chm_device_open("gpu0", &d), CHM_ENODEV);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "unknown backend"));
    setenv("CHIMERA_XRT_LIB", "/nonexistent/libxrt_coreutil.so", 1); /* as on a host without XRT */
    CU_ASSERT_EQUAL(chm_device_open("xrt:0", &d), CHM_ENODEV);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "cannot be loaded"));
    unsetenv("CHIMERA_XRT_LIB");
    CU_ASSERT_PTR_EQUAL(d, sentinel);
    CU_ASSERT_EQUAL(chm_device_open("emu:u280", &d), CHM_OK);
    chm_device_info info;
    CU_ASSERT_EQUAL(chm_device_query(d, &info), CHM_OK);
    CU_ASSERT_STRING_EQUAL(info.platform, "xilinx_u280_gen3x16_xdma_base_1");
    CU_ASSERT_EQUAL(info.n_banks, 34);
    CU_ASSERT_EQUAL(info.regions[0].mode, CHM_MODE_CNN);
    CU_ASSERT_EQUAL(chm_device_close(d), CHM_OK);
}

/* On the U280 each region reaches half the HBM pseudo-channels. */
static void test_bank_reach(void)
{
    chm_device *d;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u280", &d), CHM_OK);
    chm_tensor *a, *b, *c;
    int64_t dims[4] = { 1, 4, 4, 8 };
    CU_ASSERT_EQUAL(chm_tensor_alloc(d, CHM_INT8, 4, dims, 20, &a), CHM_OK); /* HBM[20] */
    CU_ASSERT_EQUAL(chm_tensor_alloc(d, CHM_INT8, 4, dims, 21, &b), CHM_OK); /* HBM[21] */
    CU_ASSERT_EQUAL(chm_tensor_alloc(d, CHM_INT8, 4, dims, 3, &c), CHM_OK);  /* HBM[3] */
    chm_add_params ap = { 0 };
    chm_add_params_from_scales(0.1, 0.1, 0.1, &ap);
    chm_event *ev;
    CU_ASSERT_EQUAL(chm_add(d, a, a, b, &ap, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    chm_event_times t;
    chm_event_times_get(ev, &t);
    CU_ASSERT_EQUAL(t.region, 1); /* only pr_slr2 reaches HBM[16-31] */
    chm_event_release(ev);
    CU_ASSERT_EQUAL(chm_add(d, a, a, c, &ap, NULL), CHM_EBANK);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(d), "no region of emu:u280 reaches all"));
    chm_device_close(d);
}

static int init(void)
{
    in = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 6, 6, 4), NULL);
    in32 = tu_tensor(tu_dev, CHM_INT32, 4, TU_DIMS(1, 6, 6, 4), NULL);
    w = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(8, 3, 3, 4), NULL);
    bias = tu_tensor(tu_dev, CHM_INT32, 1, TU_DIMS(8), NULL);
    bias32x = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(8), NULL);
    for (size_t i = 0; i < sizeof out_before; i++)
        out_before[i] = (int8_t)(i * 13 + 1);
    out = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 6, 6, 8), out_before);
    return !(in && in32 && w && bias && bias32x && out);
}

int main(void)
{
    static const tu_test tests[] = {
        { "conv2d: wrong dims", test_conv_shapes },
        { "conv2d: wrong dtypes, out aliasing in", test_conv_dtypes },
        { "conv2d: bad quantization parameters", test_conv_quant },
        { "conv2d: reduction deeper than the array takes", test_limits },
        { "pool, add, fully connected: bad input", test_other_ops },
        { "requantization multipliers outside [2^30, 2^31) are refused", test_multiplier_range },
        { "device names: unknown, not built, good", test_device_names },
        { "memory banks a region cannot reach", test_bank_reach },
        { NULL, NULL },
    };
    return tu_run_suite("op_errors", "emu", tests, init, NULL);
}
