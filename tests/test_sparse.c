/*
 * test_sparse.c - SPARSE mode on the emulated card: pruned fully connected
 * and conv layers, bit for bit against the plain-C dense reference run on
 * the same (decoded) weights, over densities 100% .. 0%, both formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "test_util.h"

static const double densities[] = { 1.0, 0.5, 0.1, 0.01, 0.0 };

/* Dense weights with about `keep` of them nonzero, some rows empty. */
static void fill_weights(tu_rng *r, int8_t *w, int rows, int cols, double keep)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            w[(size_t)i * cols + j] = (i % 5 == 2 || tu_u32(r) >= keep * 4294967295.0)
                                          ? 0 : (int8_t)tu_range(r, -127, 127);
}

static chm_sparse_params params(int variant)
{
    switch (variant) {
    case 0: return (chm_sparse_params){ .format = CHM_SPARSE_X };
    case 1: return (chm_sparse_params){ .format = CHM_SPARSE_X, .step_bits = 3 }; /* many pads;
                                                                 steps straddle bytes */
    case 2: return (chm_sparse_params){ .format = CHM_SPARSE_S };
    case 3: return (chm_sparse_params){ .format = CHM_SPARSE_S, .block_rows = 3, .block_cols = 5,
                                        .code_bits = 4 };
    default: return (chm_sparse_params){ .format = CHM_SPARSE_S, .block_rows = 8, .block_cols = 1 };
    }
}

static void run_fc(int n, int k, int m, double keep, int variant, uint64_t seed)
{
    tu_rng r;
    tu_seed(&r, seed);
    int8_t *in = malloc((size_t)n * k), *w = malloc((size_t)m * k), *dec = malloc((size_t)m * k);
    int8_t *got = malloc((size_t)n * m), *want = malloc((size_t)n * m);
    int32_t *bias = malloc(4 * (size_t)m), *mult = malloc(4 * (size_t)m), *shift = malloc(4 * (size_t)m);
    tu_fill_i8(&r, in, (size_t)n * k, -128, 127);
    for (int i = 0; i < n * k; i += 3)
        in[i] = -5; /* the zero point: zero input neurons to skip */
    fill_weights(&r, w, m, k, keep);
    for (int i = 0; i < m; i++)
        bias[i] = tu_range(&r, -30000, 30000);
    tu_random_requant(&r, mult, shift, m, -13, -8);
    chm_requant rq = { .multiplier = mult, .shift = shift, .in_zero_point = -5,
                       .out_zero_point = 3, .act = CHM_ACT_RELU };
    chm_sparse_params p = params(variant);
    chm_sparse *s;
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, m, k, &p, &s), CHM_OK);
    chm_sparse_to_dense(s, dec);
    chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(n, k), in), *tw;
    chm_tensor *tb = tu_tensor(tu_dev, CHM_INT32, 1, TU_DIMS(m), bias);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(n, m), NULL);
    CU_ASSERT_EQUAL_FATAL(chm_sparse_upload(tu_dev, s, CHM_BANK_DEFAULT, &tw), CHM_OK);
    int rc = chm_sparse_fully_connected(tu_dev, ti, tw, tb, to, &rq, NULL);
    if (rc)
        fprintf(stderr, "%s\n", chm_last_error(tu_dev));
    CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_read(to, 0, got, (size_t)n * m), CHM_OK);
    ref_fully_connected(in, n, k, dec, m, bias, &rq, want);
    long d = tu_first_diff(got, want, (size_t)n * m);
    if (d >= 0)
        fprintf(stderr, "FAILED seed %llu sparse fc %dx%d->%d keep %g variant %d: out[%ld] %d, ref %d\n",
                (unsigned long long)seed, n, k, m, keep, variant, d, got[d], want[d]);
    CU_ASSERT_EQUAL(d, -1);
    chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(tb), chm_tensor_free(to);
    chm_sparse_free(s);
    free(in), free(w), free(dec), free(got), free(want), free(bias), free(mult), free(shift);
}

static void test_fc_densities(void)
{
    uint64_t seed = 1;
    for (int d = 0; d < 5; d++)
        for (int v = 0; v < 5; v++)
            run_fc(3, 157, 70, densities[d], v, seed++);
    run_fc(1, 1, 1, 1.0, 0, seed++);
    run_fc(16, 1568, 64, 0.2, 2, seed++); /* the demo's fc1 at 80% sparsity */
}

static void test_conv_densities(void)
{
    uint64_t seed = 100;
    for (int d = 0; d < 5; d++) {
        for (int v = 0; v < 5; v += 2) {
            tu_rng r;
            tu_seed(&r, seed);
            const int n = 2, h = 9, w = 7, c = 6, oc = 11, kh = 3, kw = 3;
            chm_conv2d_params p = { .stride_h = 1 + (d & 1), .pad_top = 1, .pad_left = 1,
                                    .pad_bottom = 1, .pad_right = 1 };
            const int64_t oh = ref_out_extent(h, kh, p.stride_h, 1, 1, 1), ow = ref_out_extent(w, kw, 1, 1, 1, 1);
            int8_t in[2 * 9 * 7 * 6], wt[11 * 9 * 6], dec[11 * 9 * 6], got[2 * 9 * 7 * 11], want[2 * 9 * 7 * 11];
            int32_t mult[11], shift[11];
            tu_fill_i8(&r, in, sizeof in, -128, 127);
            fill_weights(&r, wt, oc, kh * kw * c, densities[d]);
            tu_random_requant(&r, mult, shift, oc, -12, -7);
            p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = 7 };
            chm_sparse_params sp = params(v);
            chm_sparse *s;
            CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(wt, oc, kh * kw * c, &sp, &s), CHM_OK);
            chm_sparse_to_dense(s, dec);
            chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(n, h, w, c), in), *tw;
            size_t nout = (size_t)(n * oh * ow * oc);
            chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(n, oh, ow, oc), NULL);
            CU_ASSERT_EQUAL_FATAL(chm_sparse_upload(tu_dev, s, CHM_BANK_DEFAULT, &tw), CHM_OK);
            CU_ASSERT_EQUAL_FATAL(chm_sparse_conv2d(tu_dev, ti, tw, kh, kw, NULL, to, &p, NULL), CHM_OK);
            CU_ASSERT_EQUAL_FATAL(chm_tensor_read(to, 0, got, nout), CHM_OK);
            ref_conv2d(in, n, h, w, c, dec, oc, kh, kw, NULL, &p, want);
            long diff = tu_first_diff(got, want, nout);
            if (diff >= 0)
                fprintf(stderr, "FAILED seed %llu sparse conv keep %g variant %d: out[%ld] %d, ref %d\n",
                        (unsigned long long)seed, densities[d], v, diff, got[diff], want[diff]);
            CU_ASSERT_EQUAL(diff, -1);
            chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(to);
            chm_sparse_free(s);
            seed++;
        }
    }
}

static void test_mode_and_cost(void)
{
    /* The first sparse op reconfigured a region into SPARSE mode by itself. */
    chm_device_info info;
    chm_device_query(tu_dev, &info);
    int sparse_regions = 0;
    for (uint32_t r = 0; r < info.n_regions; r++)
        sparse_regions += info.regions[r].mode == CHM_MODE_SPARSE;
    CU_ASSERT(sparse_regions >= 1);
    chm_device_stats st;
    chm_device_stats_get(tu_dev, &st);
    CU_ASSERT(st.reconfigurations >= 1);
    /* Card time falls with density: 10% of a 1024x1024 layer vs all of it. */
    double us[2];
    tu_rng r;
    tu_seed(&r, 5);
    int8_t *w = malloc(1024 * 1024), in[64 * 1024];
    tu_fill_i8(&r, in, sizeof in, -128, 127);
    int32_t mult = 1 << 30, shift = -10;
    chm_requant rq = { .multiplier = &mult, .shift = &shift, .per_tensor = 1 };
    for (int i = 0; i < 2; i++) {
        fill_weights(&r, w, 1024, 1024, i == 0 ? 1.0 : 0.1);
        chm_sparse *s;
        chm_sparse_from_dense(w, 1024, 1024, &(chm_sparse_params){ .format = CHM_SPARSE_X, .step_bits = 8 }, &s);
        chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(64, 1024), in), *tw;
        chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(64, 1024), NULL);
        chm_sparse_upload(tu_dev, s, CHM_BANK_DEFAULT, &tw);
        chm_event *ev;
        CU_ASSERT_EQUAL(chm_sparse_fully_connected(tu_dev, ti, tw, NULL, to, &rq, &ev), CHM_OK);
        chm_wait(ev);
        chm_event_times t;
        chm_event_times_get(ev, &t);
        us[i] = t.device_end_us - t.device_start_us;
        chm_event_release(ev);
        chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(to);
        chm_sparse_free(s);
    }
    /* a large part of the ideal 10x (the rest: padding, imbalance); not on xrt, whose
     * "card" time in the tests is the stand-in's CPU time */
    if (strcmp(info.backend, "xrt") != 0)
        CU_ASSERT(us[1] < us[0] / 4);
    fprintf(stderr, "sparse fc 1024x1024 batch 64: 100%% %.1f us, 10%% %.1f us (%.2fx)\n", us[0],
            us[1], us[0] / us[1]);
    free(w);
}

static void test_bad_input(void)
{
    chm_tensor *plain = tu_tensor(tu_dev, CHM_INT8, 1, TU_DIMS(128), NULL);
    chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(2, 10), NULL);
    chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(2, 4), NULL);
    int32_t mult = 1 << 30, shift = -8;
    chm_requant rq = { .multiplier = &mult, .shift = &shift, .per_tensor = 1 };
    CU_ASSERT_EQUAL(chm_sparse_fully_connected(tu_dev, ti, plain, NULL, to, &rq, NULL), CHM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "not a sparse weight tensor"));
    int8_t w[4 * 11] = { 1 };
    chm_sparse *s;
    chm_tensor *tw;
    chm_sparse_from_dense(w, 4, 11, &(chm_sparse_params){ .format = CHM_SPARSE_X }, &s);
    chm_sparse_upload(tu_dev, s, CHM_BANK_DEFAULT, &tw);
    CU_ASSERT_EQUAL(chm_sparse_fully_connected(tu_dev, ti, tw, NULL, to, &rq, NULL), CHM_ESHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "11 columns, expected 10"));
    chm_sparse_free(s);
    chm_tensor_free(plain), chm_tensor_free(ti), chm_tensor_free(to), chm_tensor_free(tw);
}

int main(void)
{
    static const tu_test tests[] = {
        { "sparse fc, X and S, densities 100%..0%, odd blocks, pads", test_fc_densities },
        { "sparse conv, X and S, densities 100%..0%, stride, padding", test_conv_densities },
        { "SPARSE mode loaded on demand; card time falls with density", test_mode_and_cost },
        { "bad input: dense tensor as weights, wrong shape", test_bad_input },
        { NULL, NULL },
    };
    return tu_run_suite("sparse", "emu:u250", tests, NULL, NULL);
}
