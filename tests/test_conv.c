/*
 * test_conv.c - conv2d on the emulated card, bit for bit against the
 * plain-C reference, over hand-picked edge cases and seeded random shapes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "test_util.h"


typedef struct conv_case {
    int n, h, w, c, oc, kh, kw;
    int sh, sw, dh, dw, groups;
    int pt, pl, pb, pr;
    int in_zp, out_zp;
    chm_activation act;
    int relu6_q;
    int shift_lo, shift_hi; /* requantization shift range */
    int per_tensor, no_bias;
    uint64_t seed;
} conv_case;

static void describe(const conv_case *k, char *buf, size_t len)
{
    snprintf(buf, len,
             "seed %llu: in %dx%dx%dx%d oc %d k %dx%d stride %d,%d dil %d,%d groups %d pad "
             "%d,%d,%d,%d zp %d/%d act %d shift [%d,%d]%s%s",
             (unsigned long long)k->seed, k->n, k->h, k->w, k->c, k->oc, k->kh, k->kw, k->sh,
             k->sw, k->dh, k->dw, k->groups, k->pt, k->pl, k->pb, k->pr, k->in_zp, k->out_zp,
             (int)k->act, k->shift_lo, k->shift_hi, k->per_tensor ? " per-tensor" : "",
             k->no_bias ? " no-bias" : "");
}

/* Runs one case on the device and the reference; returns how many outputs hit -128 / 127. */
static void run_case(const conv_case *k, int *n_min, int *n_max)
{
    char what[256];
    describe(k, what, sizeof what);
    tu_rng r;
    tu_seed(&r, k->seed);
    chm_conv2d_params p = {
        .stride_h = k->sh, .stride_w = k->sw, .dilation_h = k->dh, .dilation_w = k->dw,
        .groups = k->groups, .pad_top = k->pt, .pad_left = k->pl, .pad_bottom = k->pb,
        .pad_right = k->pr,
    };
    const int icg = k->c / (k->groups ? k->groups : 1);
    const int64_t oh = ref_out_extent(k->h, k->kh, k->sh ? k->sh : 1, k->dh ? k->dh : 1, k->pt, k->pb);
    const int64_t ow = ref_out_extent(k->w, k->kw, k->sw ? k->sw : 1, k->dw ? k->dw : 1, k->pl, k->pr);
    const size_t nin = (size_t)k->n * k->h * k->w * k->c;
    const size_t nw = (size_t)k->oc * k->kh * k->kw * icg;
    const size_t nout = (size_t)k->n * oh * ow * k->oc;
    int8_t *in = malloc(nin), *w = malloc(nw), *got = malloc(nout), *want = malloc(nout);
    int32_t *bias = malloc(sizeof(int32_t) * k->oc), *mult = malloc(sizeof(int32_t) * k->oc);
    int32_t *shift = malloc(sizeof(int32_t) * k->oc);
    tu_fill_i8(&r, in, nin, -128, 127);
    tu_fill_i8(&r, w, nw, -128, 127);
    for (int i = 0; i < k->oc; i++)
        bias[i] = tu_range(&r, -40000, 40000);
    tu_random_requant(&r, mult, shift, k->oc, k->shift_lo, k->shift_hi);
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .per_tensor = k->per_tensor,
                          .in_zero_point = k->in_zp, .out_zero_point = k->out_zp,
                          .act = k->act, .relu6_q = k->relu6_q };

    chm_tensor *tin = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(k->n, k->h, k->w, k->c), in);
    chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(k->oc, k->kh, k->kw, icg), w);
    chm_tensor *tb = k->no_bias ? NULL : tu_tensor(tu_dev, CHM_INT32, 1, TU_DIMS(k->oc), bias);
    chm_tensor *tout = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(k->n, oh, ow, k->oc), NULL);
    CU_ASSERT_FATAL(tin && tw && tout && (k->no_bias || tb));
    int rc = chm_conv2d(tu_dev, tin, tw, tb, tout, &p, NULL);
    if (rc)
        fprintf(stderr, "FAILED %s: %s\n", what, chm_last_error(tu_dev));
    CU_ASSERT_EQUAL_FATAL(rc, CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_read(tout, 0, got, nout), CHM_OK);
    ref_conv2d(in, k->n, k->h, k->w, k->c, w, k->oc, k->kh, k->kw, k->no_bias ? NULL : bias, &p,
               want);
    long d = tu_first_diff(got, want, nout);
    if (d >= 0)
        fprintf(stderr, "FAILED %s: output[%ld] is %d, reference %d\n", what, d, got[d], want[d]);
    CU_ASSERT_EQUAL(d, -1);
    for (size_t i = 0; i < nout; i++) {
        *n_min += want[i] == -128;
        *n_max += want[i] == 127;
    }
    chm_tensor_free(tin);
    chm_tensor_free(tw);
    chm_tensor_free(tb);
    chm_tensor_free(tout);
    free(in), free(w), free(got), free(want), free(bias), free(mult), free(shift);
}

/* A case with the common defaults: 3x3, stride 1, moderate scales. */
static conv_case base(int n, int h, int w, int c, int oc, int kh, int kw, uint64_t seed)
{
    conv_case k = { .n = n, .h = h, .w = w, .c = c, .oc = oc, .kh = kh, .kw = kw,
                    .shift_lo = -12, .shift_hi = -6, .in_zp = -3, .out_zp = 5, .seed = seed };
    return k;
}

static void test_edge_shapes(void)
{
    conv_case cases[32];
    int n = 0, lo = 0, hi = 0;
    cases[n++] = base(1, 1, 1, 1, 1, 1, 1, 1);          /* 1x1 everything */
    cases[n++] = base(1, 7, 5, 3, 5, 3, 3, 2);          /* odd sizes, few channels */
    cases[n++] = base(2, 9, 11, 17, 33, 3, 3, 3);       /* channels not a multiple of 32 */
    cases[n++] = base(3, 6, 6, 8, 70, 1, 1, 4);         /* batch 3, 1x1, 3 column tiles */
    cases[n] = base(1, 8, 8, 5, 7, 3, 3, 5);            /* padding 1 all round */
    cases[n].pt = cases[n].pl = cases[n].pb = cases[n].pr = 1, n++;
    cases[n] = base(1, 5, 6, 4, 6, 3, 3, 6);            /* padding larger than the kernel half */
    cases[n].pt = 2, cases[n].pl = 3, cases[n].pb = 2, cases[n].pr = 1, n++;
    cases[n] = base(2, 13, 12, 6, 9, 3, 3, 7);          /* stride 2 */
    cases[n].sh = cases[n].sw = 2, cases[n].pt = cases[n].pl = 1, n++;
    cases[n] = base(1, 12, 11, 5, 4, 3, 3, 8);          /* dilation 2 */
    cases[n].dh = cases[n].dw = 2, cases[n].pt = cases[n].pb = 2, n++;
    cases[n] = base(2, 10, 9, 24, 24, 3, 3, 9);         /* depthwise */
    cases[n].groups = 24, cases[n].pt = cases[n].pl = cases[n].pb = cases[n].pr = 1, n++;
    cases[n] = base(1, 7, 7, 12, 36, 3, 3, 10);         /* depthwise, multiplier 3 */
    cases[n].groups = 12, n++;
    cases[n] = base(1, 6, 7, 16, 20, 3, 1, 11);         /* grouped, 4 groups, 3x1 */
    cases[n].groups = 4, n++;
    cases[n] = base(1, 5, 5, 300, 40, 3, 3, 12);        /* K = 2700, window rows cut by padding */
    cases[n].pt = cases[n].pl = 1, n++;
    cases[n] = base(1, 4, 4, 4100, 3, 1, 1, 13);        /* one tap wider than a K slice */
    n++;
    /* Two equal slices (K = 5,400), the weights kept from pixel tile to pixel
     * tile (more pixel tiles than channel tiles), then the input rows kept
     * from channel tile to channel tile (the other way round). */
    cases[n] = base(1, 9, 9, 600, 40, 3, 3, 20);
    cases[n].pt = cases[n].pl = cases[n].pb = cases[n].pr = 1, n++;
    cases[n] = base(1, 3, 4, 600, 300, 3, 3, 21);
    cases[n].pt = cases[n].pb = 1, cases[n].pl = 2, n++;
    cases[n] = base(1, 3, 3, 1000, 9, 3, 3, 22);        /* K = 9,000: three slices, nothing kept */
    cases[n].pt = cases[n].pl = cases[n].pb = cases[n].pr = 1, n++;
    cases[n] = base(1, 3, 3, 2, 2, 3, 3, 14);           /* window = whole image: 1x1 output */
    n++;
    cases[n] = base(1, 11, 3, 3, 65, 5, 2, 15);         /* non-square kernel, asymmetric stride */
    cases[n].sh = 3, cases[n].sw = 1, n++;
    cases[n] = base(2, 33, 35, 3, 8, 7, 7, 16);         /* M not a multiple of 32, 7x7 stride 2 */
    cases[n].sh = cases[n].sw = 2, cases[n].pt = cases[n].pl = cases[n].pb = cases[n].pr = 3, n++;
    cases[n] = base(1, 6, 6, 9, 10, 3, 3, 17);          /* no bias, per-tensor scale */
    cases[n].no_bias = 1, cases[n].per_tensor = 1, n++;
    cases[n] = base(1, 6, 6, 9, 10, 3, 3, 18);          /* zero points at the ends */
    cases[n].in_zp = -128, cases[n].out_zp = 127, n++;
    cases[n] = base(1, 6, 6, 9, 10, 3, 3, 19);
    cases[n].in_zp = 127, cases[n].out_zp = -128, n++;
    for (int i = 0; i < n; i++)
        run_case(&cases[i], &lo, &hi);
}

static void test_requant_extremes(void)
{
    int lo = 0, hi = 0;
    conv_case k = base(2, 9, 9, 16, 40, 3, 3, 101);
    k.shift_lo = 0, k.shift_hi = 8; /* large scales: most outputs saturate */
    run_case(&k, &lo, &hi);
    CU_ASSERT(lo > 0 && hi > 0); /* both saturation ends really happened */
    k.shift_lo = -31, k.shift_hi = -25, k.seed = 102; /* tiny scales: outputs collapse to zp */
    run_case(&k, &lo, &hi);
    k.shift_lo = 20, k.shift_hi = 30, k.seed = 103; /* the left shift itself saturates */
    run_case(&k, &lo, &hi);
}

static void test_fused_activations(void)
{
    int lo = 0, hi = 0;
    conv_case k = base(1, 8, 8, 8, 16, 3, 3, 201);
    k.act = CHM_ACT_RELU, k.out_zp = -20;
    run_case(&k, &lo, &hi);
    k.act = CHM_ACT_RELU6, k.relu6_q = 50, k.seed = 202;
    run_case(&k, &lo, &hi);
    k.act = CHM_ACT_RELU6, k.relu6_q = 400, k.seed = 203; /* 6.0 beyond int8: clamps at 127 */
    run_case(&k, &lo, &hi);
}

static void test_random_shapes(void)
{
    tu_rng r;
    int lo = 0, hi = 0;
    for (uint64_t seed = 1000; seed < 1200; seed++) {
        tu_seed(&r, seed);
        conv_case k = base(tu_range(&r, 1, 3), tu_range(&r, 1, 14), tu_range(&r, 1, 14), 1, 1,
                           tu_range(&r, 1, 5), tu_range(&r, 1, 5), seed);
        k.groups = tu_range(&r, 0, 3) == 0 ? tu_range(&r, 1, 4) : 1;
        k.c = k.groups * tu_range(&r, 1, 40);
        k.oc = k.groups * tu_range(&r, 1, 40);
        k.sh = tu_range(&r, 1, 3), k.sw = tu_range(&r, 1, 3);
        k.dh = tu_range(&r, 1, 2), k.dw = tu_range(&r, 1, 2);
        k.pt = tu_range(&r, 0, 3), k.pb = tu_range(&r, 0, 3);
        k.pl = tu_range(&r, 0, 3), k.pr = tu_range(&r, 0, 3);
        k.in_zp = tu_range(&r, -128, 127), k.out_zp = tu_range(&r, -128, 127);
        k.act = (chm_activation)tu_range(&r, 0, 2), k.relu6_q = tu_range(&r, 0, 200);
        k.shift_lo = tu_range(&r, -16, -4), k.shift_hi = k.shift_lo + tu_range(&r, 0, 4);
        k.per_tensor = tu_range(&r, 0, 4) == 0, k.no_bias = tu_range(&r, 0, 4) == 0;
        if (ref_out_extent(k.h, k.kh, k.sh, k.dh, k.pt, k.pb) < 1 ||
            ref_out_extent(k.w, k.kw, k.sw, k.dw, k.pl, k.pr) < 1)
            k.h += k.dh * (k.kh - 1) + 1, k.w += k.dw * (k.kw - 1) + 1;
        run_case(&k, &lo, &hi);
    }
}

static void test_real_layers(void)
{
    int lo = 0, hi = 0;
    conv_case k = base(1, 14, 14, 256, 256, 3, 3, 301); /* ResNet-18 layer3: 115.6 MMAC */
    k.pt = k.pl = k.pb = k.pr = 1;
    run_case(&k, &lo, &hi);
    k = base(2, 56, 56, 128, 128, 3, 3, 302);            /* MobileNet dw 3x3/2 */
    k.groups = 128, k.sh = k.sw = 2, k.pt = k.pl = k.pb = k.pr = 1;
    run_case(&k, &lo, &hi);
}

int main(void)
{
    static const tu_test tests[] = {
        { "edge shapes (1x1, odd, pad, stride, dilation, depthwise, groups, K slices)",
          test_edge_shapes },
        { "requantization extremes and saturation at -128/127", test_requant_extremes },
        { "fused ReLU and ReLU6", test_fused_activations },
        { "200 seeded random shapes", test_random_shapes },
        { "full-size layers (ResNet-18 layer3, MobileNet depthwise)", test_real_layers },
        { NULL, NULL },
    };
    return tu_run_suite("conv2d", "emu", tests, NULL, NULL);
}
