/*
 * test_rtl.c - the rtl backend: the conv engine's control port as a driver
 * sees it (argument read-back, ap_start / ap_ready / ap_done / ap_idle,
 * a start while busy, a reset mid-run, the interrupt registers, addresses
 * past the map), and the device on rtl:u250 (unsupported operations refused
 * at submit, the measured timeline in dependency order). Bit-exactness of
 * conv2d, fully connected, pooling and add on rtl is the conv, fc, pool and
 * add suites, run on rtl:u250 (ctest entries rtl_conv, rtl_fc, rtl_pool,
 * rtl_add, rtl_sparse); here the pooling, add and SPARSE engines also run
 * bare, at odd alignments and sizes, against the HLS kernels on the same
 * bytes, and the SPARSE engine is shown a blob of an unknown format.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "cnn_add_regs.h"
#include "cnn_conv2d_regs.h"
#include "cnn_kernels.h"
#include "cnn_pool_regs.h"
#include "rtl_sim.h"
#include "sparse_kernels.h"
#include "sparse_layer_regs.h"
#include "test_util.h"

enum { CTRL = 0x00, GIE = 0x04, IER = 0x08, ISR = 0x0C };
enum { START = 1, DONE = 2, IDLE = 4, READY = 8 };

/* Card memory of the protocol tests: one host buffer at BASE. */
#define BASE 0x10000ull
static uint8_t mem[1 << 16];

static uint8_t *map_mem(void *ctx, uint64_t addr, uint64_t len)
{
    (void)ctx;
    return addr >= BASE && len <= sizeof mem && addr - BASE <= sizeof mem - len ? mem + (addr - BASE)
                                                                                : NULL;
}

static int bank0(void *ctx, uint64_t addr)
{
    (void)ctx, (void)addr;
    return 0;
}

static const rtl_mem host_mem = { NULL, map_mem, bank0 };
static const rtl_bank_timing ddr = { 1.0, 64, 64 };

static uint32_t rd(rtl_engine *e, uint32_t off)
{
    uint32_t v = 0xFFFFFFFFu;
    CU_ASSERT_EQUAL(rtl_reg_read(e, off, &v), 0);
    return v;
}

/* A 1x6x6x5 -> 7 channel 3x3 conv, padding 1, laid out in mem. */
enum { IN = 0x0, W = 0x400, B = 0x800, M = 0xC00, S = 0xD00, OUT = 0x1000 };
static int8_t want[6 * 6 * 7];

static void program(rtl_engine *e, uint64_t seed)
{
    tu_rng r;
    tu_seed(&r, seed);
    int8_t *in = (int8_t *)mem + IN, *w = (int8_t *)mem + W;
    int32_t bias[7], mult[7], shift[7];
    tu_fill_i8(&r, in, 6 * 6 * 5, -128, 127);
    tu_fill_i8(&r, w, 7 * 9 * 5, -128, 127);
    for (int i = 0; i < 7; i++)
        bias[i] = tu_range(&r, -3000, 3000);
    tu_random_requant(&r, mult, shift, 7, -10, -7);
    memcpy(mem + B, bias, sizeof bias);
    memcpy(mem + M, mult, sizeof mult);
    memcpy(mem + S, shift, sizeof shift);
    memset(mem + OUT, 0, sizeof want);
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = -2, .out_zero_point = 3 };
    ref_conv2d(in, 1, 6, 6, 5, w, 7, 3, 3, bias, &p, want);
    const struct { uint32_t off; uint64_t v; } a[] = {
        { CHM_CNN_CONV2D_IN, BASE + IN }, { CHM_CNN_CONV2D_WTS, BASE + W },
        { CHM_CNN_CONV2D_BIAS, BASE + B }, { CHM_CNN_CONV2D_MULT, BASE + M },
        { CHM_CNN_CONV2D_SHIFT, BASE + S }, { CHM_CNN_CONV2D_OUT, BASE + OUT },
    };
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        CU_ASSERT_EQUAL(rtl_reg_write(e, a[i].off, (uint32_t)a[i].v), 0);
        CU_ASSERT_EQUAL(rtl_reg_write(e, a[i].off + 4, (uint32_t)(a[i].v >> 32)), 0);
    }
    const struct { uint32_t off; int32_t v; } s[] = {
        { CHM_CNN_CONV2D_N, 1 }, { CHM_CNN_CONV2D_IH, 6 }, { CHM_CNN_CONV2D_IW, 6 },
        { CHM_CNN_CONV2D_IC, 5 }, { CHM_CNN_CONV2D_OH, 6 }, { CHM_CNN_CONV2D_OW, 6 },
        { CHM_CNN_CONV2D_OC, 7 }, { CHM_CNN_CONV2D_KH, 3 }, { CHM_CNN_CONV2D_KW, 3 },
        { CHM_CNN_CONV2D_STRIDE_H, 1 }, { CHM_CNN_CONV2D_STRIDE_W, 1 },
        { CHM_CNN_CONV2D_PAD_T, 1 }, { CHM_CNN_CONV2D_PAD_L, 1 }, { CHM_CNN_CONV2D_DIL_H, 1 },
        { CHM_CNN_CONV2D_DIL_W, 1 }, { CHM_CNN_CONV2D_GROUPS, 1 }, { CHM_CNN_CONV2D_IN_ZP, -2 },
        { CHM_CNN_CONV2D_OUT_ZP, 3 }, { CHM_CNN_CONV2D_ACT_MIN, -128 },
        { CHM_CNN_CONV2D_ACT_MAX, 127 }, { CHM_CNN_CONV2D_HAS_BIAS, 1 },
        { CHM_CNN_CONV2D_PER_TENSOR, 0 },
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        CU_ASSERT_EQUAL(rtl_reg_write(e, s[i].off, (uint32_t)s[i].v), 0);
    CU_ASSERT_EQUAL(rtl_reg_write(e, GIE, 1), 0);
    CU_ASSERT_EQUAL(rtl_reg_write(e, IER, 1), 0);
}

static void test_registers(void)
{
    rtl_engine *e = rtl_engine_new_cnn_conv(8);
    CU_ASSERT_FATAL(e != NULL);
    CU_ASSERT_EQUAL(rd(e, CTRL), IDLE); /* after reset: idle, nothing started or done */
    /* Arguments read back as written, the first and the last word of the map. */
    CU_ASSERT_EQUAL(rtl_reg_write(e, CHM_CNN_CONV2D_IN, 0xDEADBEEFu), 0);
    CU_ASSERT_EQUAL(rtl_reg_write(e, CHM_CNN_CONV2D_IN + 4, 0x12u), 0);
    CU_ASSERT_EQUAL(rtl_reg_write(e, CHM_CNN_CONV2D_PER_TENSOR, 0xA5A5u), 0);
    CU_ASSERT_EQUAL(rd(e, CHM_CNN_CONV2D_IN), 0xDEADBEEFu);
    CU_ASSERT_EQUAL(rd(e, CHM_CNN_CONV2D_IN + 4), 0x12u);
    CU_ASSERT_EQUAL(rd(e, CHM_CNN_CONV2D_PER_TENSOR), 0xA5A5u);
    /* Past the map: SLVERR both ways. */
    uint32_t v;
    CU_ASSERT_EQUAL(rtl_reg_write(e, CHM_CNN_CONV2D_WORDS * 4, 1), 2);
    CU_ASSERT_EQUAL(rtl_reg_read(e, 0x800, &v), 2);
    /* Interrupt registers: GIE and IER read back; ISR toggles on write. */
    CU_ASSERT_EQUAL(rtl_reg_write(e, GIE, 1), 0);
    CU_ASSERT_EQUAL(rtl_reg_write(e, IER, 3), 0);
    CU_ASSERT_EQUAL(rd(e, GIE), 1);
    CU_ASSERT_EQUAL(rd(e, IER), 3);
    CU_ASSERT_EQUAL(rtl_reg_write(e, ISR, 1), 0);
    CU_ASSERT_EQUAL(rd(e, ISR), 1);
    CU_ASSERT_EQUAL(rtl_reg_write(e, ISR, 1), 0);
    CU_ASSERT_EQUAL(rd(e, ISR), 0);
    rtl_engine_free(e);
}

static void test_start_done_sequence(void)
{
    rtl_engine *e = rtl_engine_new_cnn_conv(8);
    CU_ASSERT_FATAL(e != NULL);
    program(e, 1);
    CU_ASSERT_EQUAL(rtl_reg_write(e, CTRL, START), 0);
    rtl_clock(e, 8);
    uint32_t c = rd(e, CTRL);
    CU_ASSERT_EQUAL(c & (START | IDLE | DONE), 0); /* taken, busy, not done */
    CU_ASSERT(c & READY);
    CU_ASSERT_EQUAL(rd(e, CTRL) & READY, 0);       /* ap_ready clears on read */
    CU_ASSERT_EQUAL(rtl_reg_write(e, CTRL, START), 0); /* a start while busy is refused */
    CU_ASSERT_EQUAL(rd(e, CTRL) & START, 0);
    rtl_stats st;
    CU_ASSERT_EQUAL_FATAL(rtl_run(e, &host_mem, &ddr, 1, 10000000, &st), 0);
    CU_ASSERT(st.cycles > 0 && st.beats_read > 0 && st.beats_written > 0);
    c = rd(e, CTRL);
    CU_ASSERT_EQUAL(c & (DONE | IDLE), DONE | IDLE);
    CU_ASSERT_EQUAL(rd(e, CTRL) & DONE, 0);        /* ap_done clears on read */
    CU_ASSERT_EQUAL(rd(e, ISR) & 1, 1);            /* the done interrupt */
    CU_ASSERT_EQUAL(memcmp(mem + OUT, want, sizeof want), 0);
    /* Only the one run: the refused start did not queue a second. */
    rtl_clock(e, 200);
    CU_ASSERT_EQUAL(rd(e, CTRL) & (START | IDLE), IDLE);
    rtl_engine_free(e);
}

static void test_reset_mid_run(void)
{
    rtl_engine *e = rtl_engine_new_cnn_conv(8);
    CU_ASSERT_FATAL(e != NULL);
    program(e, 2);
    CU_ASSERT_EQUAL(rtl_reg_write(e, CTRL, START), 0);
    rtl_clock(e, 60);
    CU_ASSERT_EQUAL(rd(e, CTRL) & IDLE, 0);
    rtl_engine_reset(e);
    CU_ASSERT_EQUAL(rd(e, CTRL), IDLE);               /* idle, nothing pending */
    CU_ASSERT_EQUAL(rd(e, CHM_CNN_CONV2D_OC), 0);     /* arguments cleared */
    program(e, 3); /* and a new run after the reset is right */
    CU_ASSERT_EQUAL(rtl_reg_write(e, CTRL, START), 0);
    CU_ASSERT_EQUAL_FATAL(rtl_run(e, &host_mem, &ddr, 1, 10000000, NULL), 0);
    CU_ASSERT_EQUAL(memcmp(mem + OUT, want, sizeof want), 0);
    rtl_engine_free(e);
}

/* Writes a pointer argument (two words) of a bare engine. */
static void put_ptr(rtl_engine *e, uint32_t off, uint64_t v)
{
    CU_ASSERT_EQUAL(rtl_reg_write(e, off, (uint32_t)v), 0);
    CU_ASSERT_EQUAL(rtl_reg_write(e, off + 4, (uint32_t)(v >> 32)), 0);
}

/* Starts a programmed bare engine and runs it to done (at most max cycles). */
static int start_and_run(rtl_engine *e, uint64_t max, rtl_stats *st)
{
    CU_ASSERT_EQUAL(rtl_reg_write(e, GIE, 1), 0);
    CU_ASSERT_EQUAL(rtl_reg_write(e, IER, 1), 0);
    CU_ASSERT_EQUAL(rtl_reg_write(e, CTRL, START), 0);
    rtl_stats own;
    if (!st)
        st = &own;
    int rc = rtl_run(e, &host_mem, &ddr, 1, max, st);
    CU_ASSERT_EQUAL(rc, 0);
    /* every burst inside its 4 KiB page, WLAST where each write burst ends */
    CU_ASSERT_EQUAL(st->axi_4k_crossings, 0);
    CU_ASSERT_EQUAL(st->axi_wlast_errors, 0);
    CU_ASSERT_EQUAL(rd(e, CTRL) & (DONE | IDLE), DONE | IDLE);
    CU_ASSERT_EQUAL(rtl_reg_write(e, ISR, 1), 0);
    return rc;
}

/*
 * AXI4 forbids a burst that crosses a 4 KiB boundary. A conv whose every
 * tensor straddles one (input window rows, weight columns, the bias,
 * multiplier and shift arrays, output rows of 20 bytes starting 10 bytes
 * before a page): the memory model counts no crossing burst and no wrong
 * WLAST, the output is the reference's and nothing around it is written.
 * (Before the masters cut their bursts at pages, every engine suite broke
 * this rule.)
 */
static void test_bursts_stop_at_4k(void)
{
    enum { H = 9, WD = 9, IC = 40, OC = 20 };
    enum { PIN = 0x1000 - 20, PW = 0x3000 - 30, PB = 0x6000 - 8, PM = 0x7000 - 4,
           PS = 0x8000 - 12, POUT = 0x9000 - 10 };
    static int8_t ref[H * WD * OC];
    tu_rng r;
    tu_seed(&r, 4096);
    int8_t *in = (int8_t *)mem + PIN, *w = (int8_t *)mem + PW;
    int32_t bias[OC], mult[OC], shift[OC];
    tu_fill_i8(&r, in, H * WD * IC, -128, 127);
    tu_fill_i8(&r, w, OC * 9 * IC, -128, 127);
    for (int i = 0; i < OC; i++)
        bias[i] = tu_range(&r, -3000, 3000);
    tu_random_requant(&r, mult, shift, OC, -12, -9);
    memcpy(mem + PB, bias, sizeof bias);
    memcpy(mem + PM, mult, sizeof mult);
    memcpy(mem + PS, shift, sizeof shift);
    memset(mem + POUT - 64, 0x5A, sizeof ref + 128);
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = 5, .out_zero_point = -4 };
    ref_conv2d(in, 1, H, WD, IC, w, OC, 3, 3, bias, &p, ref);
    rtl_engine *e = rtl_engine_new_cnn_conv(8);
    CU_ASSERT_FATAL(e != NULL);
    const uint32_t ptr_reg[] = { CHM_CNN_CONV2D_IN, CHM_CNN_CONV2D_WTS, CHM_CNN_CONV2D_BIAS,
                                 CHM_CNN_CONV2D_MULT, CHM_CNN_CONV2D_SHIFT, CHM_CNN_CONV2D_OUT };
    const uint32_t ptr_off[] = { PIN, PW, PB, PM, PS, POUT };
    for (size_t i = 0; i < sizeof ptr_reg / sizeof ptr_reg[0]; i++)
        put_ptr(e, ptr_reg[i], BASE + ptr_off[i]);
    const struct { uint32_t off; int32_t v; } a[] = {
        { CHM_CNN_CONV2D_N, 1 }, { CHM_CNN_CONV2D_IH, H }, { CHM_CNN_CONV2D_IW, WD },
        { CHM_CNN_CONV2D_IC, IC }, { CHM_CNN_CONV2D_OH, H }, { CHM_CNN_CONV2D_OW, WD },
        { CHM_CNN_CONV2D_OC, OC }, { CHM_CNN_CONV2D_KH, 3 }, { CHM_CNN_CONV2D_KW, 3 },
        { CHM_CNN_CONV2D_STRIDE_H, 1 }, { CHM_CNN_CONV2D_STRIDE_W, 1 },
        { CHM_CNN_CONV2D_PAD_T, 1 }, { CHM_CNN_CONV2D_PAD_L, 1 }, { CHM_CNN_CONV2D_DIL_H, 1 },
        { CHM_CNN_CONV2D_DIL_W, 1 }, { CHM_CNN_CONV2D_GROUPS, 1 }, { CHM_CNN_CONV2D_IN_ZP, 5 },
        { CHM_CNN_CONV2D_OUT_ZP, -4 }, { CHM_CNN_CONV2D_ACT_MIN, -128 },
        { CHM_CNN_CONV2D_ACT_MAX, 127 }, { CHM_CNN_CONV2D_HAS_BIAS, 1 },
        { CHM_CNN_CONV2D_PER_TENSOR, 0 },
    };
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        CU_ASSERT_EQUAL(rtl_reg_write(e, a[i].off, (uint32_t)a[i].v), 0);
    rtl_stats st;
    if (start_and_run(e, 10000000, &st) == 0) {
        CU_ASSERT_EQUAL(memcmp(mem + POUT, ref, sizeof ref), 0);
        CU_ASSERT_EQUAL(mem[POUT - 1], 0x5A); /* nothing written around the output */
        CU_ASSERT_EQUAL(mem[POUT + sizeof ref], 0x5A);
        CU_ASSERT(st.beats_read > 0 && st.beats_written > 0);
    }
    rtl_engine_free(e);
}

/*
 * The pooling engine bare: max and average, channel counts below, at and
 * past a 64-lane chunk, windows with padding on every side, strides, and
 * input and output at addresses no beat is aligned to; the bytes around
 * the output stay untouched.
 */
static void test_pool_engine(void)
{
    rtl_engine *e = rtl_engine_new(RTL_CNN_POOL, 0);
    CU_ASSERT_FATAL(e != NULL);
    /* avg 2: ONNX's rounding (CNN_POOL_AVG_EVEN) about zero point zp */
    static const struct { int n, h, w, c, k, s, pt, pl, pb, pr, avg, zp; } P[] = {
        { 1, 4, 4, 8, 2, 2, 0, 0, 0, 0, 0, 0 },   { 1, 5, 7, 3, 3, 2, 1, 1, 1, 1, 1, 0 },
        { 2, 6, 5, 64, 3, 1, 1, 0, 2, 1, 0, 0 },  { 1, 5, 5, 70, 2, 1, 1, 1, 0, 0, 1, 0 },
        { 1, 3, 3, 130, 3, 3, 0, 0, 0, 0, 1, 0 }, { 1, 7, 7, 1, 7, 1, 0, 0, 0, 0, 1, 0 },
        { 3, 2, 9, 17, 2, 2, 1, 1, 1, 0, 0, 0 },
        { 1, 5, 7, 3, 3, 2, 1, 1, 1, 1, 2, -3 },   { 2, 4, 4, 65, 2, 2, 0, 0, 0, 0, 2, 19 },
        { 1, 5, 5, 70, 2, 1, 1, 1, 0, 0, 2, 127 }, { 1, 32, 32, 3, 32, 1, 0, 0, 0, 0, 2, -128 },
    };
    tu_rng r;
    tu_seed(&r, 21);
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
        const cnn_pool_desc d = {
            .n = P[i].n, .ih = P[i].h, .iw = P[i].w, .c = P[i].c,
            .oh = (P[i].h + P[i].pt + P[i].pb - P[i].k) / P[i].s + 1,
            .ow = (P[i].w + P[i].pl + P[i].pr - P[i].k) / P[i].s + 1,
            .kh = P[i].k, .kw = P[i].k, .stride_h = P[i].s, .stride_w = P[i].s,
            .pad_t = P[i].pt, .pad_l = P[i].pl, .is_avg = P[i].avg, .avg_zp = P[i].zp,
        };
        const size_t nin = (size_t)d.n * d.ih * d.iw * d.c, nout = (size_t)d.n * d.oh * d.ow * d.c;
        const uint32_t in_off = 3 + 64 * (uint32_t)i, out_off = 0x8000 + 37;
        CU_ASSERT_FATAL(in_off + nin < out_off && out_off + nout + 64 < sizeof mem);
        tu_fill_i8(&r, (int8_t *)mem + in_off, nin, -128, 127);
        memset(mem + out_off - 64, 0x5A, nout + 128);
        int8_t *want_out = malloc(nout);
        cnn_pool((const int8_t *)mem + in_off, want_out, d);
        put_ptr(e, CHM_CNN_POOL_IN, BASE + in_off);
        put_ptr(e, CHM_CNN_POOL_OUT, BASE + out_off);
        const struct { uint32_t off; int32_t v; } a[] = {
            { CHM_CNN_POOL_N, d.n }, { CHM_CNN_POOL_IH, d.ih }, { CHM_CNN_POOL_IW, d.iw },
            { CHM_CNN_POOL_C, d.c }, { CHM_CNN_POOL_OH, d.oh }, { CHM_CNN_POOL_OW, d.ow },
            { CHM_CNN_POOL_KH, d.kh }, { CHM_CNN_POOL_KW, d.kw },
            { CHM_CNN_POOL_STRIDE_H, d.stride_h }, { CHM_CNN_POOL_STRIDE_W, d.stride_w },
            { CHM_CNN_POOL_PAD_T, d.pad_t }, { CHM_CNN_POOL_PAD_L, d.pad_l },
            { CHM_CNN_POOL_IS_AVG, d.is_avg }, { CHM_CNN_POOL_AVG_ZP, d.avg_zp },
        };
        for (size_t j = 0; j < sizeof a / sizeof a[0]; j++)
            CU_ASSERT_EQUAL(rtl_reg_write(e, a[j].off, (uint32_t)a[j].v), 0);
        rtl_stats st;
        if (start_and_run(e, 2000000, &st) != 0) {
            fprintf(stderr, "pool case %zu: no done\n", i);
            rtl_engine_reset(e);
        }
        const int same = memcmp(mem + out_off, want_out, nout) == 0;
        if (!same)
            fprintf(stderr, "pool case %zu differs from cnn_pool\n", i);
        CU_ASSERT(same);
        for (int j = 1; j <= 64; j++) { /* untouched around the output */
            CU_ASSERT_EQUAL(mem[out_off - j], 0x5A);
            CU_ASSERT_EQUAL(mem[out_off + nout - 1 + j], 0x5A);
        }
        free(want_out);
    }
    rtl_engine_free(e);
}

/*
 * The add engine bare: lengths below, at and past a 64-element chunk and
 * ragged ones, three misaligned tensors, random zero points, multipliers
 * and clamps, against cnn_add on the same bytes.
 */
static void test_add_engine(void)
{
    rtl_engine *e = rtl_engine_new(RTL_CNN_ADD, 0);
    CU_ASSERT_FATAL(e != NULL);
    static const int counts[] = { 1, 15, 64, 65, 200, 1000, 4099 };
    tu_rng r;
    tu_seed(&r, 22);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        int32_t m[3], sh[3];
        tu_random_requant(&r, m, sh, 3, -4, 0);
        for (int j = 0; j < 3; j++)
            if (m[j] < (1 << 30)) { /* the add takes TFLite's rule only: back to Q31 */
                m[j] <<= 7;
                sh[j] += 1;
            }
        const cnn_add_desc d = {
            .count = counts[i], .a_zp = tu_range(&r, -20, 20), .b_zp = tu_range(&r, -20, 20),
            .out_zp = tu_range(&r, -10, 10), .a_mult = m[0], .a_shift = sh[0] - 19,
            .b_mult = m[1], .b_shift = sh[1] - 19, .out_mult = m[2], .out_shift = sh[2],
            .left_shift = 20, .act_min = i % 2 ? 0 : -128, .act_max = i % 3 ? 127 : 100,
        };
        const uint32_t ao = 1 + 7 * (uint32_t)i, bo = 0x3000 + 40, oo = 0x7000 + 11 * (uint32_t)i;
        const size_t n = (size_t)d.count;
        tu_fill_i8(&r, (int8_t *)mem + ao, n, -128, 127);
        tu_fill_i8(&r, (int8_t *)mem + bo, n, -128, 127);
        memset(mem + oo - 64, 0xA5, n + 128);
        int8_t *want_out = malloc(n);
        cnn_add((const int8_t *)mem + ao, (const int8_t *)mem + bo, want_out, d);
        put_ptr(e, CHM_CNN_ADD_A, BASE + ao);
        put_ptr(e, CHM_CNN_ADD_B, BASE + bo);
        put_ptr(e, CHM_CNN_ADD_OUT, BASE + oo);
        const struct { uint32_t off; int32_t v; } a[] = {
            { CHM_CNN_ADD_COUNT, d.count }, { CHM_CNN_ADD_A_ZP, d.a_zp },
            { CHM_CNN_ADD_B_ZP, d.b_zp }, { CHM_CNN_ADD_OUT_ZP, d.out_zp },
            { CHM_CNN_ADD_A_MULT, d.a_mult }, { CHM_CNN_ADD_A_SHIFT, d.a_shift },
            { CHM_CNN_ADD_B_MULT, d.b_mult }, { CHM_CNN_ADD_B_SHIFT, d.b_shift },
            { CHM_CNN_ADD_OUT_MULT, d.out_mult }, { CHM_CNN_ADD_OUT_SHIFT, d.out_shift },
            { CHM_CNN_ADD_LEFT_SHIFT, d.left_shift }, { CHM_CNN_ADD_ACT_MIN, d.act_min },
            { CHM_CNN_ADD_ACT_MAX, d.act_max },
        };
        for (size_t j = 0; j < sizeof a / sizeof a[0]; j++)
            CU_ASSERT_EQUAL(rtl_reg_write(e, a[j].off, (uint32_t)a[j].v), 0);
        rtl_stats st;
        if (start_and_run(e, 2000000, &st) != 0) {
            fprintf(stderr, "add case %zu: no done\n", i);
            rtl_engine_reset(e);
        }
        const int same = memcmp(mem + oo, want_out, n) == 0;
        if (!same)
            fprintf(stderr, "add case %zu (%zu elements) differs from cnn_add\n", i, n);
        CU_ASSERT(same);
        for (int j = 1; j <= 64; j++) {
            CU_ASSERT_EQUAL(mem[oo - j], 0xA5);
            CU_ASSERT_EQUAL(mem[oo + n - 1 + j], 0xA5);
        }
        free(want_out);
    }
    rtl_engine_free(e);
}

/*
 * The SPARSE engine bare: Cambricon-X and -S blobs (from chm_sparse_from_dense)
 * at a 4 KiB-aligned address, input and output at addresses no beat is aligned
 * to, fc and conv (stride, padding), per-channel and per-tensor requantization,
 * with and without bias, against sparse_layer on the same bytes; the bytes
 * around the output stay untouched. A blob whose header names no known format
 * makes the engine finish without writing.
 */
static void test_sparse_engine(void)
{
    rtl_engine *e = rtl_engine_new(RTL_SPARSE, 0);
    CU_ASSERT_FATAL(e != NULL);
    static const struct { int n, h, w, c, oc, k, s, pad, fmt, br, bc, bits, per_tensor, bias; double keep; int dil; } P[] = {
        { 3, 1, 1, 157, 70, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0.3, 1 },   /* X fc, 4-bit steps */
        { 2, 1, 1, 200, 33, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0.05, 1 },  /* X fc, long gaps: padding entries */
        { 2, 1, 1, 301, 29, 1, 1, 0, 1, 0, 0, 3, 0, 1, 0.2, 1 },   /* X fc, 3-bit steps straddling bytes */
        { 2, 6, 5, 6, 11, 3, 2, 1, 1, 0, 0, 0, 0, 1, 0.5, 1 },     /* X conv, stride 2, pad 1 */
        { 3, 1, 1, 157, 70, 1, 1, 0, 2, 4, 16, 8, 0, 1, 0.3, 1 },  /* S fc, 4 x 16 blocks */
        { 2, 6, 5, 6, 11, 3, 1, 1, 2, 3, 5, 4, 1, 1, 0.5, 1 },     /* S conv, 3 x 5 blocks, 4-bit codes */
        { 1, 1, 1, 64, 16, 1, 1, 0, 2, 16, 16, 8, 0, 0, 1.0, 1 },  /* S fc, one 16 x 16 block row */
        { 3, 1, 1, 97, 23, 1, 1, 0, 2, 5, 7, 3, 0, 1, 0.4, 1 },    /* S fc, 5 x 7 blocks, 3-bit codes */
        { 19, 1, 1, 90, 21, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0.3, 1 },   /* X fc: two passes of 8 and one of 3 */
        { 2, 7, 6, 3, 9, 3, 1, 2, 1, 0, 0, 0, 0, 1, 0.4, 2 },   /* X conv, dilation 2: a run a tap */
        { 1, 9, 11, 1, 8, 3, 1, 1, 1, 0, 0, 0, 1, 0, 0.6, 1 },     /* X conv, one channel: row runs */
    };
    enum { BLOB = 0x1000, IN = 0x9003, BIAS = 0xA000, MUL = 0xA400, SHF = 0xA800, OUT = 0xB025 };
    tu_rng r;
    tu_seed(&r, 31);
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
        const int dil = P[i].dil;
        const int oh = (P[i].h + 2 * P[i].pad - dil * (P[i].k - 1) - 1) / P[i].s + 1;
        const int ow = (P[i].w + 2 * P[i].pad - dil * (P[i].k - 1) - 1) / P[i].s + 1;
        const int cols = P[i].k * P[i].k * P[i].c;
        const size_t nin = (size_t)P[i].n * P[i].h * P[i].w * P[i].c;
        const size_t nout = (size_t)P[i].n * oh * ow * P[i].oc;
        int8_t *w = malloc((size_t)P[i].oc * cols);
        for (int j = 0; j < P[i].oc * cols; j++)
            w[j] = tu_u32(&r) < P[i].keep * 4294967295.0 ? (int8_t)tu_range(&r, -127, 127) : 0;
        chm_sparse_params sp = { .format = P[i].fmt == 1 ? CHM_SPARSE_X : CHM_SPARSE_S,
                                 .block_rows = P[i].br, .block_cols = P[i].bc,
                                 .step_bits = P[i].fmt == 1 ? P[i].bits : 0,
                                 .code_bits = P[i].fmt == 2 ? P[i].bits : 0 };
        chm_sparse *sw;
        CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, P[i].oc, cols, &sp, &sw), CHM_OK);
        size_t blob_bytes = 0;
        const void *blob = chm_sparse_blob(sw, &blob_bytes);
        CU_ASSERT_FATAL(BLOB + blob_bytes <= IN && IN + nin <= BIAS && OUT + nout + 64 <= sizeof mem);
        memcpy(mem + BLOB, blob, blob_bytes);
        tu_fill_i8(&r, (int8_t *)mem + IN, nin, -128, 127);
        int32_t bias[70], mult[70], shift[70];
        for (int j = 0; j < P[i].oc; j++)
            bias[j] = tu_range(&r, -20000, 20000);
        tu_random_requant(&r, mult, shift, P[i].oc, -12, -7);
        memcpy(mem + BIAS, bias, sizeof bias);
        memcpy(mem + MUL, mult, sizeof mult);
        memcpy(mem + SHF, shift, sizeof shift);
        memset(mem + OUT - 64, 0x5A, nout + 128);
        const sparse_desc d = { P[i].n, P[i].h, P[i].w, P[i].c, oh, ow, P[i].oc, P[i].k, P[i].k,
                                P[i].s, P[i].s, P[i].pad, P[i].pad, dil, dil, -3, 4, -128, 127,
                                P[i].bias, P[i].per_tensor };
        int8_t *want_out = malloc(nout);
        sparse_layer((const int8_t *)mem + IN, mem + BLOB, bias, mult, shift, want_out, d);
        put_ptr(e, CHM_SPARSE_LAYER_IN, BASE + IN);
        put_ptr(e, CHM_SPARSE_LAYER_WBLOB, BASE + BLOB);
        put_ptr(e, CHM_SPARSE_LAYER_BIAS, BASE + BIAS);
        put_ptr(e, CHM_SPARSE_LAYER_MULT, BASE + MUL);
        put_ptr(e, CHM_SPARSE_LAYER_SHIFT, BASE + SHF);
        put_ptr(e, CHM_SPARSE_LAYER_OUT, BASE + OUT);
        const int32_t a[] = { d.n, d.ih, d.iw, d.ic, d.oh, d.ow, d.oc, d.kh, d.kw, d.stride_h,
                              d.stride_w, d.pad_t, d.pad_l, d.dil_h, d.dil_w, d.in_zp, d.out_zp,
                              d.act_min, d.act_max, d.has_bias, d.per_tensor };
        for (size_t j = 0; j < sizeof a / sizeof a[0]; j++) /* the scalars follow N, 8 bytes apart */
            CU_ASSERT_EQUAL(rtl_reg_write(e, CHM_SPARSE_LAYER_N + 8 * (uint32_t)j, (uint32_t)a[j]), 0);
        CU_ASSERT_EQUAL(CHM_SPARSE_LAYER_PER_TENSOR, CHM_SPARSE_LAYER_N + 8 * 20);
        rtl_stats st;
        if (start_and_run(e, 5000000, &st) != 0) {
            fprintf(stderr, "sparse case %zu: no done\n", i);
            rtl_engine_reset(e);
        }
        const int same = memcmp(mem + OUT, want_out, nout) == 0;
        if (!same)
            fprintf(stderr, "sparse case %zu differs from sparse_layer\n", i);
        CU_ASSERT(same);
        for (int j = 1; j <= 64; j++) {
            CU_ASSERT_EQUAL(mem[OUT - j], 0x5A);
            CU_ASSERT_EQUAL(mem[OUT + nout - 1 + j], 0x5A);
        }
        if (i + 1 == sizeof P / sizeof P[0]) {
            /* the same call with the header's format word corrupted: done, nothing written */
            mem[BLOB + 4] = 3;
            memset(mem + OUT - 64, 0x5A, nout + 128);
            start_and_run(e, 100000, &st);
            CU_ASSERT_EQUAL(st.beats_written, 0);
            CU_ASSERT(st.cycles < 1000);
            for (size_t j = 0; j < nout + 128; j++)
                if (mem[OUT - 64 + j] != 0x5A) {
                    CU_FAIL("a blob of unknown format wrote output");
                    break;
                }
        }
        free(want_out), free(w);
        chm_sparse_free(sw);
    }
    rtl_engine_free(e);
}

/* GRAPH layers the rtl engine does not run (fp32; int8 GIN; max combine-first) are refused when
 * submitted. */
static void test_unsupported_refused(void)
{
    const int32_t src[] = { 0, 1, 2 }, dst[] = { 1, 2, 0 };
    chm_graph *g;
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(3, 3, src, dst, NULL, 0, &g), CHM_OK);
    chm_tensor *tg;
    CU_ASSERT_EQUAL_FATAL(chm_graph_upload(tu_dev, g, CHM_BANK_DEFAULT, &tg), CHM_OK);
    float x[3 * 4] = { 1, 2, 3, 4 }, w[2 * 4] = { 1, -1 }, before[3 * 2], after[3 * 2];
    for (int i = 0; i < 6; i++)
        before[i] = 7.5f;
    chm_tensor *tx = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(3, 4), x);
    chm_tensor *tw = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(2, 4), w);
    chm_tensor *to = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(3, 2), before);
    chm_gnn_params p = { .kind = CHM_GNN_GCN };
    CU_ASSERT_EQUAL(chm_gnn_layer(tu_dev, tg, tx, tw, NULL, NULL, NULL, to, &p, NULL), CHM_EMODE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "int8 only"));
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, after, sizeof after), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(before, after, sizeof after), 0);
    int8_t x8[3 * 4] = { 1, 2, 3, 4 }, w8[2 * 8] = { 1, -1 }, o8[3 * 2], o8after[3 * 2];
    memset(o8, 0x5A, sizeof o8);
    chm_tensor *tx8 = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(3, 4), x8);
    chm_tensor *tw8 = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(2, 4), w8);
    chm_tensor *tw2 = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(2, 2), w8);
    chm_tensor *to8 = tu_tensor(tu_dev, CHM_INT8, 2, TU_DIMS(3, 2), o8);
    chm_gnn_params pg = { .kind = CHM_GNN_GIN, .q = { 1, 0, 1, 1, 1, 0, 1, 0, 1, 0 } };
    CU_ASSERT_EQUAL(chm_gnn_layer(tu_dev, tg, tx8, tw8, NULL, tw2, NULL, to8, &pg, NULL), CHM_EMODE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "GCN and GraphSAGE layers only"));
    CU_ASSERT_EQUAL(chm_tensor_read(to8, 0, o8after, sizeof o8after), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(o8, o8after, sizeof o8), 0);
    chm_gnn_params pm = { .kind = CHM_GNN_GCN, .aggr = CHM_AGGR_MAX,
                          .order = CHM_ORDER_COMBINE_FIRST, .q = pg.q };
    CU_ASSERT_NOT_EQUAL(chm_gnn_layer(tu_dev, tg, tx8, tw8, NULL, NULL, NULL, to8, &pm, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(to8, 0, o8after, sizeof o8after), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(o8, o8after, sizeof o8), 0);
    chm_tensor_free(tx8), chm_tensor_free(tw8), chm_tensor_free(tw2), chm_tensor_free(to8);
    chm_device_stats st;
    chm_device_stats_get(tu_dev, &st);
    CU_ASSERT_EQUAL(st.ops, 0);
    chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(to), chm_tensor_free(tg);
    chm_graph_free(g);
}

/* On rtl the timeline is laid from measured times, in dependency order. */
static void test_measured_timeline(void)
{
    tu_rng r;
    tu_seed(&r, 8);
    int8_t x[1 * 8 * 8 * 16], w[16 * 16], y[1 * 8 * 8 * 16];
    int32_t mult[16], shift[16];
    tu_fill_i8(&r, x, sizeof x, -128, 127);
    tu_fill_i8(&r, w, sizeof w, -128, 127);
    tu_random_requant(&r, mult, shift, 16, -10, -7);
    chm_conv2d_params p = { .rq = { .multiplier = mult, .shift = shift } };
    chm_tensor *tx = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 8, 8, 16), x);
    chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(16, 1, 1, 16), w);
    chm_tensor *t1 = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 8, 8, 16), NULL);
    chm_tensor *t2 = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 8, 8, 16), NULL);
    chm_event *a, *b, *rd2;
    CU_ASSERT_EQUAL_FATAL(chm_conv2d(tu_dev, tx, tw, NULL, t1, &p, &a), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_conv2d(tu_dev, t1, tw, NULL, t2, &p, &b), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_read_async(t2, 0, y, sizeof y, &rd2), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(rd2), CHM_OK);
    chm_event_times ta, tb, tr;
    CU_ASSERT_EQUAL(chm_event_times_get(a, &ta), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_times_get(b, &tb), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_times_get(rd2, &tr), CHM_OK);
    CU_ASSERT(ta.device_end_us > ta.device_start_us);
    CU_ASSERT(tb.device_start_us >= ta.device_end_us);  /* b reads what a wrote */
    CU_ASSERT(tr.device_start_us >= tb.device_end_us);  /* the read waits for b */
    int8_t mid[sizeof y], ref2[sizeof y];
    ref_conv2d(x, 1, 8, 8, 16, w, 16, 1, 1, NULL, &p, mid);
    ref_conv2d(mid, 1, 8, 8, 16, w, 16, 1, 1, NULL, &p, ref2);
    CU_ASSERT_EQUAL(memcmp(y, ref2, sizeof y), 0);
    chm_event_release(a), chm_event_release(b), chm_event_release(rd2);
    chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(t1), chm_tensor_free(t2);
}

/* The conv engine's tile buffers below the safe voltage (rtl_sim's weak cells): refused
 * settings the RTL does not have; without ECC the faults reach the output, the same on the
 * same region; with ECC every run that returns OK equals the reference, one ECC stops
 * leaves its output as it was. */
static void test_undervolt(void)
{
    enum { H = 12, C = 128, OC = 16 };
    static int8_t x[H * H * C], w[OC * 9 * C], want[H * H * OC], got[H * H * OC], first[H * H * OC];
    int32_t mult[OC], shift[OC];
    tu_rng r;
    tu_seed(&r, 31);
    tu_fill_i8(&r, x, sizeof x, -128, 127);
    tu_fill_i8(&r, w, sizeof w, -128, 127);
    tu_random_requant(&r, mult, shift, OC, -12, -8);
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = 2 };
    ref_conv2d(x, 1, H, H, C, w, OC, 3, 3, NULL, &p, want);
    chm_tensor *tx = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, H, H, C), x);
    chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(OC, 3, 3, C), w);
    chm_tensor *ty = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, H, H, OC), NULL);
    CU_ASSERT_FATAL(tx && ty && tw);
    CU_ASSERT_EQUAL(chm_region_set_abft(tu_dev, -1, 1), CHM_ELIMIT);
    CU_ASSERT_EQUAL(chm_region_set_acc_upsets(tu_dev, -1, 1e-3), CHM_ELIMIT);
    chm_fault_stats f0, f1;
    CU_ASSERT_EQUAL_FATAL(chm_region_faults_get(tu_dev, 0, &f0), CHM_OK);
    const int crash = (int)ceil(f0.vcrash_mv), vmin = (int)floor(f0.vmin_mv);
    int ok = 0, failed = 0, corrected = 0, region = -1, region1 = -1;
    for (int pass = 0; pass < 14; pass++) {
        /* 0: nominal; 1, 2: the crash voltage without ECC; 3..: ECC, Vmin down to crash */
        const int ecc = pass >= 3, mv = pass == 0 ? 0 : pass < 3 ? crash : vmin - (pass - 3) * (vmin - crash) / 10;
        CU_ASSERT_EQUAL_FATAL(chm_region_set_ecc(tu_dev, -1, ecc), CHM_OK);
        CU_ASSERT_EQUAL_FATAL(chm_region_set_voltage(tu_dev, -1, mv), CHM_OK);
        memset(got, 0x55, sizeof got);
        CU_ASSERT_EQUAL_FATAL(chm_tensor_write(ty, 0, got, sizeof got), CHM_OK);
        chm_fault_stats b[CHM_MAX_REGIONS];
        chm_device_info di;
        CU_ASSERT_EQUAL_FATAL(chm_device_query(tu_dev, &di), CHM_OK);
        for (uint32_t g = 0; g < di.n_regions; g++)
            CU_ASSERT_EQUAL(chm_region_faults_get(tu_dev, (int)g, &b[g]), CHM_OK);
        chm_event *ev;
        CU_ASSERT_EQUAL_FATAL(chm_conv2d(tu_dev, tx, tw, NULL, ty, &p, &ev), CHM_OK);
        const int rc = chm_wait(ev);
        chm_event_times t;
        CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
        chm_event_release(ev);
        chm_finish(tu_dev);
        region = t.region;
        CU_ASSERT_EQUAL(chm_tensor_read(ty, 0, got, sizeof got), CHM_OK);
        CU_ASSERT_EQUAL(chm_region_faults_get(tu_dev, region, &f1), CHM_OK);
        const chm_fault_stats *f = &b[region];
        if (pass == 0) {
            CU_ASSERT_EQUAL(rc, CHM_OK);
            CU_ASSERT_EQUAL(memcmp(got, want, sizeof got), 0);
            CU_ASSERT_EQUAL(f1.injected, f->injected);
        } else if (pass < 3) {
            CU_ASSERT_EQUAL(rc, CHM_OK);
            CU_ASSERT(f1.undetected > f->undetected);
            CU_ASSERT(memcmp(got, want, sizeof got) != 0); /* the faults reach the output */
            if (pass == 1)
                memcpy(first, got, sizeof got), region1 = region;
            else if (region == region1) /* the same weak cells: the same output */
                CU_ASSERT_EQUAL(memcmp(got, first, sizeof got), 0);
        } else {
            CU_ASSERT_EQUAL(f1.undetected, f->undetected);
            if (rc == CHM_OK) {
                ok++;
                corrected += f1.corrected > f->corrected;
                CU_ASSERT_EQUAL(memcmp(got, want, sizeof got), 0);
            } else {
                failed++;
                CU_ASSERT_EQUAL(rc, CHM_EDEVICE);
                CU_ASSERT(f1.detected > f->detected);
                CU_ASSERT(got[0] == 0x55 && got[sizeof got - 1] == 0x55); /* put back */
            }
        }
    }
    printf("\n  rtl tile buffers, ECC from %d to %d mV: %d runs = reference (%d with bits corrected), "
           "%d detected (failed) ", vmin, crash, ok, corrected, failed);
    CU_ASSERT(corrected > 0);
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_ecc(tu_dev, -1, 0), CHM_OK);
    chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(ty);
}

/* Card time of one conv on dev (us); the output into out. */
static double conv_time(chm_device *d, const int8_t *x, const int8_t *w, int n, int h, int c,
                        int oc, int k, int pad, int8_t *out, size_t nout)
{
    int32_t mult[64], shift[64];
    for (int i = 0; i < oc; i++)
        mult[i] = 1 << 30, shift[i] = -9;
    chm_conv2d_params p = { .pad_top = pad, .pad_left = pad, .pad_bottom = pad, .pad_right = pad };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = -3 };
    const int o = h + 2 * pad - k + 1;
    chm_tensor *tx = tu_tensor(d, CHM_INT8, 4, TU_DIMS(n, h, h, c), x);
    chm_tensor *tw = tu_tensor(d, CHM_INT8, 4, TU_DIMS(oc, k, k, c), w);
    chm_tensor *ty = tu_tensor(d, CHM_INT8, 4, TU_DIMS(n, o, o, oc), NULL);
    chm_event *ev = NULL;
    chm_event_times t = { 0 };
    CU_ASSERT_EQUAL(chm_conv2d(d, tx, tw, NULL, ty, &p, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(ty, 0, out, nout), CHM_OK);
    chm_event_release(ev);
    chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(ty);
    return t.device_end_us - t.device_start_us;
}

/*
 * emu:u250 and rtl:u250 with the 32 x 32 engines (the calibration guards);
 * 0 (and a pass) if this build has no 32 x 32 engine.
 */
static int open_full_size(chm_device **emu, chm_device **rtl)
{
    int sizes[4], n = rtl_engine_sizes(sizes, 4);
    if (n == 0 || sizes[n - 1] != 32) {
        CU_PASS("the 32 x 32 engine is not built here (CHM_RTL_SIZES)");
        return 0;
    }
    setenv("CHIMERA_RTL_PE", "32", 1);
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", emu), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_device_open("rtl:u250", rtl), CHM_OK);
    setenv("CHIMERA_RTL_PE", "8", 1);
    return 1;
}

/*
 * The calibration guard: on layers small enough to simulate at full size
 * in a few seconds (the Fashion-MNIST demo's conv2 and fc1, a two-slice
 * conv), emu's
 * cycle model stays within 10% of the 32 x 32 RTL engine (README table),
 * and both compute the same bytes. A change to the model or the RTL that
 * breaks their agreement fails here.
 */
static void test_calibration_guard(void)
{
    chm_device *emu, *rtl;
    if (!open_full_size(&emu, &rtl))
        return;
    /* the demo's conv2 (padding, the weights kept across pixel tiles), fc1,
     * K = 5,400 in two slices with the input rows kept across channel tiles,
     * the demo's conv1 (three 3-byte runs a pixel: paced by the bursts a
     * port keeps in flight, CNN_AXI_OUTSTANDING in the model and the RTL),
     * and fc1 at batch 20 (two column tiles whose fetches share the bank:
     * -10.2% while the model pooled the bank's beats) */
    static const struct { int n, h, c, oc, k, pad; } L[] = {
        { 1, 14, 16, 32, 3, 1 }, { 1, 1, 1568, 64, 1, 0 }, { 1, 4, 600, 64, 3, 1 },
        { 1, 28, 1, 16, 3, 1 }, { 20, 1, 1568, 64, 1, 0 }
    };
    tu_rng r;
    tu_seed(&r, 77);
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        const size_t nx = (size_t)L[i].n * L[i].h * L[i].h * L[i].c;
        const size_t nw = (size_t)L[i].oc * L[i].k * L[i].k * L[i].c;
        const size_t ny = (size_t)L[i].n * L[i].h * L[i].h * L[i].oc;
        int8_t *x = malloc(nx), *w = malloc(nw), *y1 = malloc(ny), *y2 = malloc(ny);
        tu_fill_i8(&r, x, nx, -128, 127);
        tu_fill_i8(&r, w, nw, -128, 127);
        const double model =
            conv_time(emu, x, w, L[i].n, L[i].h, L[i].c, L[i].oc, L[i].k, L[i].pad, y1, ny);
        const double meas =
            conv_time(rtl, x, w, L[i].n, L[i].h, L[i].c, L[i].oc, L[i].k, L[i].pad, y2, ny);
        const double err = (model - meas) / meas;
        if (err > 0.10 || err < -0.10)
            fprintf(stderr, "layer %zu: model %.2f us, rtl %.2f us (%+.1f%%)\n", i, model, meas,
                    100 * err);
        CU_ASSERT(err <= 0.10 && err >= -0.10);
        CU_ASSERT_EQUAL(memcmp(y1, y2, ny), 0);
        free(x), free(w), free(y1), free(y2);
    }
    chm_device_close(emu);
    chm_device_close(rtl);
}

/* Card time (us) of an int8 GCN (sage: GraphSAGE, w [o][2f]) layer f -> o (aggregation aggr) in
 * the given order on dev; output to out. */
static double gcn_time(chm_device *d, const chm_graph *g, int n, int f, int o, int sage,
                       chm_aggr aggr, chm_gnn_order order, const int8_t *x, const int8_t *w,
                       const float *b, int8_t *out)
{
    chm_tensor *tg = NULL;
    CU_ASSERT_EQUAL(chm_graph_upload(d, g, CHM_BANK_DEFAULT, &tg), CHM_OK);
    chm_tensor *tx = tu_tensor(d, CHM_INT8, 2, TU_DIMS(n, f), x);
    chm_tensor *tw = tu_tensor(d, CHM_INT8, 2, TU_DIMS(o, sage ? 2 * f : f), w);
    chm_tensor *tb = tu_tensor(d, CHM_FP32, 1, TU_DIMS(o), b);
    chm_tensor *to = tu_tensor(d, CHM_INT8, 2, TU_DIMS(n, o), NULL);
    chm_gnn_params p = { .kind = sage ? CHM_GNN_SAGE : CHM_GNN_GCN, .aggr = aggr, .order = order, .relu = 1,
                         .q = { .in_scale = 1.0f / 64, .in_zero_point = -3, .w_scale = 1.0f / 128,
                                .mid_scale = 1.0f / 40, .mid_zero_point = 2, .out_scale = 1.0f / 8,
                                .out_zero_point = -5 } };
    chm_event *ev = NULL;
    chm_event_times t = { 0 };
    CU_ASSERT_EQUAL(chm_gnn_layer(d, tg, tx, tw, tb, NULL, NULL, to, &p, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, out, (size_t)n * o), CHM_OK);
    chm_event_release(ev);
    chm_tensor_free(tg), chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(tb);
    chm_tensor_free(to);
    return t.device_end_us - t.device_start_us;
}

/* n vertices, m random undirected edges (duplicates merged), self loops, GCN-normalized. */
static chm_graph *gcn_graph(tu_rng *r, int n, int m)
{
    int32_t *s = malloc(sizeof(int32_t) * (size_t)m), *d = malloc(sizeof(int32_t) * (size_t)m);
    for (int i = 0; i < m; i++)
        s[i] = tu_range(r, 0, n - 1), d[i] = tu_range(r, 0, n - 1);
    chm_graph *g = NULL;
    CU_ASSERT_EQUAL(chm_graph_from_edges(n, m, s, d, NULL,
                                         CHM_GRAPH_SYMMETRIC | CHM_GRAPH_MERGE_DUPLICATES, &g),
                    CHM_OK);
    free(s), free(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    chm_graph_add_self_loops(g, 1.0f);
    chm_graph_normalize(g, CHM_NORM_GCN);
    return g;
}

/*
 * Small int8 GCN layers on the GRAPH engine (tu_dev, 8 columns) give emu's
 * bytes in both orders (widths 3 to 130, 1 to 40 outputs: one and several
 * column tiles and segments), with sum, mean (both orders) and max
 * (aggregate-first) aggregation, and GraphSAGE layers (aggregate-first,
 * each aggregator): what the sanitizer build checks of the GRAPH path (the
 * GRAPH suite runs on rtl in the release build).
 */
static void test_graph_small(void)
{
    chm_device *emu;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", &emu), CHM_OK);
    tu_rng r;
    tu_seed(&r, 17);
    enum { N = 45 };
    chm_graph *g = gcn_graph(&r, N, 90);
    static const struct { int f, o; } L[] = { { 70, 9 }, { 3, 40 }, { 130, 1 } };
    static const chm_aggr aggrs[] = { CHM_AGGR_SUM, CHM_AGGR_MEAN, CHM_AGGR_MAX };
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        for (int v = 0; v < 9; v++) {
            const int ca = v < 6 && (v & 1), sage = v >= 6;
            const chm_aggr aggr = aggrs[sage ? v - 6 : v / 2];
            if (ca && aggr == CHM_AGGR_MAX)
                continue;
            const int f = L[i].f, o = L[i].o, k = sage ? 2 * f : f;
            int8_t *x = malloc((size_t)N * f), *w = malloc((size_t)o * k);
            int8_t *y1 = malloc((size_t)N * o), *y2 = malloc((size_t)N * o);
            float b[40];
            tu_fill_i8(&r, x, (size_t)N * f, -128, 127);
            tu_fill_i8(&r, w, (size_t)o * k, -127, 127);
            for (int j = 0; j < o; j++)
                b[j] = (float)tu_range(&r, -300, 300) / 64.0f;
            const chm_gnn_order order = ca ? CHM_ORDER_COMBINE_FIRST : CHM_ORDER_AGGREGATE_FIRST;
            gcn_time(emu, g, N, f, o, sage, aggr, order, x, w, b, y1);
            const double us = gcn_time(tu_dev, g, N, f, o, sage, aggr, order, x, w, b, y2);
            CU_ASSERT(us > 0.0);
            CU_ASSERT_EQUAL(memcmp(y1, y2, (size_t)N * o), 0);
            free(x), free(w), free(y1), free(y2);
        }
    }
    chm_graph_free(g);
    chm_device_close(emu);
}

/*
 * The calibration guard for GRAPH: int8 GCN layers on a 400-vertex random
 * graph (13 blocks), a wide layer (150 -> 16: the aggregation engine's
 * segments) and a narrow one (16 -> 7), in both orders with sum and mean
 * aggregation and aggregate-first with max, and as GraphSAGE layers with
 * mean (aggregate-first), at 32 x 32: emu's model within 10% of the RTL
 * engine, outputs identical.
 */
static void test_calibration_guard_graph(void)
{
    chm_device *emu, *rtl;
    if (!open_full_size(&emu, &rtl))
        return;
    tu_rng r;
    tu_seed(&r, 91);
    enum { N = 400 };
    chm_graph *g = gcn_graph(&r, N, 1200);
    chm_graph_reorder(g, CHM_REORDER_RCM, NULL);
    static const struct { int f, o; } L[] = { { 150, 16 }, { 16, 7 } };
    static const chm_aggr aggrs[] = { CHM_AGGR_SUM, CHM_AGGR_MEAN, CHM_AGGR_MAX };
    static const char *const aggr_name[] = { "sum", "mean", "max" };
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        for (int v = 0; v < 7; v++) {
            const int ca = v < 6 && (v & 1), sage = v == 6;
            const chm_aggr aggr = sage ? CHM_AGGR_MEAN : aggrs[v / 2];
            if (ca && aggr == CHM_AGGR_MAX)
                continue;
            const chm_gnn_order order = ca ? CHM_ORDER_COMBINE_FIRST : CHM_ORDER_AGGREGATE_FIRST;
            const int f = L[i].f, o = L[i].o, k = sage ? 2 * f : f;
            int8_t *x = malloc((size_t)N * f), *w = malloc((size_t)o * k);
            int8_t *y1 = malloc((size_t)N * o), *y2 = malloc((size_t)N * o);
            float b[16];
            tu_fill_i8(&r, x, (size_t)N * f, -128, 127);
            tu_fill_i8(&r, w, (size_t)o * k, -127, 127);
            for (int j = 0; j < o; j++)
                b[j] = (float)tu_range(&r, -100, 100) / 256.0f;
            const double model = gcn_time(emu, g, N, f, o, sage, aggr, order, x, w, b, y1);
            const double meas = gcn_time(rtl, g, N, f, o, sage, aggr, order, x, w, b, y2);
            const double err = (model - meas) / meas;
            if (err > 0.10 || err < -0.10 || getenv("CHM_CALIB_VERBOSE"))
                fprintf(stderr, "%s %d->%d %s %s: model %.2f us, rtl %.2f us (%+.1f%%)\n",
                        sage ? "sage" : "gcn", f, o, aggr_name[aggr], ca ? "CA" : "AC", model, meas,
                        100 * err);
            CU_ASSERT(err <= 0.10 && err >= -0.10);
            CU_ASSERT_EQUAL(memcmp(y1, y2, (size_t)N * o), 0);
            free(x), free(w), free(y1), free(y2);
        }
    }
    chm_graph_free(g);
    chm_device_close(emu);
    chm_device_close(rtl);
}

/* Card time (us) of a 2x2/2 max or 3x3/1 padded average pool, or an add, on dev; output to out. */
static double eltwise_time(chm_device *d, int kind, const int8_t *x, const int8_t *x2, int h, int c,
                           int8_t *out, size_t nout)
{
    chm_tensor *ta = tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, h, h, c), x);
    chm_tensor *tb = kind == 2 ? tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, h, h, c), x2) : NULL;
    const int oh = kind == 0 ? h / 2 : h;
    chm_tensor *to = tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, oh, oh, c), NULL);
    chm_event *ev = NULL;
    int rc;
    if (kind == 2) {
        chm_add_params p = { .a_zero_point = 2, .b_zero_point = -1, .out_zero_point = 1 };
        CU_ASSERT_EQUAL(chm_add_params_from_scales(0.05, 0.02, 0.06, &p), CHM_OK);
        rc = chm_add(d, ta, tb, to, &p, &ev);
    } else if (kind == 1) {
        chm_pool_params p = { .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                              .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
        rc = chm_avgpool(d, ta, to, &p, &ev);
    } else {
        chm_pool_params p = { .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2 };
        rc = chm_maxpool(d, ta, to, &p, &ev);
    }
    CU_ASSERT_EQUAL(rc, CHM_OK);
    chm_event_times t = { 0 };
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, out, nout), CHM_OK);
    chm_event_release(ev);
    chm_tensor_free(ta), chm_tensor_free(tb), chm_tensor_free(to);
    return t.device_end_us - t.device_start_us;
}

/*
 * The calibration guard for pooling and add (their engines have no array
 * size: they run in every build): emu's models within 10% of the RTL on the
 * demo's pool, a padded average pool over two channel chunks, and a
 * residual add, outputs identical.
 */
static void test_calibration_guard_eltwise(void)
{
    chm_device *emu;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", &emu), CHM_OK);
    static const struct { int kind, h, c; const char *name; } L[] = {
        { 0, 28, 16, "maxpool 2x2/2 28x28x16" }, { 1, 12, 100, "avgpool 3x3/1 pad 1 12x12x100" },
        { 2, 14, 256, "add 14x14x256" },
    };
    tu_rng r;
    tu_seed(&r, 78);
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        const size_t n = (size_t)L[i].h * L[i].h * L[i].c;
        int8_t *x = malloc(n), *x2 = malloc(n), *y1 = malloc(n), *y2 = malloc(n);
        tu_fill_i8(&r, x, n, -128, 127);
        tu_fill_i8(&r, x2, n, -128, 127);
        const size_t nout = L[i].kind == 0 ? n / 4 : n;
        const double model = eltwise_time(emu, L[i].kind, x, x2, L[i].h, L[i].c, y1, nout);
        const double meas = eltwise_time(tu_dev, L[i].kind, x, x2, L[i].h, L[i].c, y2, nout);
        const double err = (model - meas) / meas;
        if (err > 0.10 || err < -0.10)
            fprintf(stderr, "%s: model %.2f us, rtl %.2f us (%+.1f%%)\n", L[i].name, model, meas,
                    100 * err);
        CU_ASSERT(err <= 0.10 && err >= -0.10);
        CU_ASSERT_EQUAL(memcmp(y1, y2, nout), 0);
        free(x), free(x2), free(y1), free(y2);
    }
    chm_device_close(emu);
}

/* Card time of a pruned layer (fc: h = k = 1) on dev, its output in y. */
static double sparse_time(chm_device *dev, const chm_sparse *s, const int8_t *x, int batch, int h,
                          int c, int oc, int k, int pad, int8_t *y)
{
    const int fc = h == 1 && k == 1;
    const size_t nx = (size_t)batch * h * h * c, ny = (size_t)batch * h * h * oc;
    chm_tensor *tx = fc ? tu_tensor(dev, CHM_INT8, 2, TU_DIMS(batch, c), x)
                        : tu_tensor(dev, CHM_INT8, 4, TU_DIMS(batch, h, h, c), x);
    chm_tensor *ty = fc ? tu_tensor(dev, CHM_INT8, 2, TU_DIMS(batch, oc), NULL)
                        : tu_tensor(dev, CHM_INT8, 4, TU_DIMS(batch, h, h, oc), NULL);
    chm_tensor *tw;
    CU_ASSERT_EQUAL_FATAL(chm_sparse_upload(dev, s, CHM_BANK_DEFAULT, &tw), CHM_OK);
    (void)nx;
    int32_t mult = 1 << 30, shift = -11;
    chm_requant rq = { .multiplier = &mult, .shift = &shift, .per_tensor = 1, .in_zero_point = -3 };
    chm_conv2d_params p = { .pad_top = pad, .pad_left = pad, .pad_bottom = pad, .pad_right = pad,
                            .rq = rq };
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(fc ? chm_sparse_fully_connected(dev, tx, tw, NULL, ty, &rq, &ev)
                             : chm_sparse_conv2d(dev, tx, tw, k, k, NULL, ty, &p, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    chm_event_times t;
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    chm_event_release(ev);
    CU_ASSERT_EQUAL(chm_tensor_read(ty, 0, y, ny), CHM_OK);
    chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(ty);
    return t.device_end_us - t.device_start_us;
}

/*
 * The calibration guard for SPARSE (its engine has no array size: it runs in
 * every build): emu's model within 10% of the RTL on the demo's fc1 and conv2
 * shapes in X form (4-bit steps; eight vectors a weight pass), the demo's
 * one-channel conv1 (a window row's taps one run), S with 8-bit and 4-bit codes packed, and S
 * with 3 x 5 blocks and 3-bit codes (fields straddling bytes; three blocks a
 * cycle), outputs identical.
 */
static void test_calibration_guard_sparse(void)
{
    chm_device *emu;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", &emu), CHM_OK);
    static const struct { int batch, h, c, oc, k, pad, fmt, br, bc, bits; double density; } L[] = {
        { 20, 1, 1568, 64, 1, 0, 1, 0, 0, 4, 0.25 },   /* fc1, X */
        { 20, 1, 1568, 64, 1, 0, 2, 4, 16, 8, 0.25 },  /* fc1, S */
        { 20, 1, 1568, 64, 1, 0, 2, 4, 16, 4, 1.0 },   /* fc1, S4 unpruned: bank-bound */
        { 1, 14, 16, 32, 3, 1, 2, 4, 16, 4, 0.5 },     /* conv2, S4 */
        { 1, 14, 16, 32, 3, 1, 2, 3, 5, 3, 0.5 },      /* conv2, S 3 x 5, 3-bit codes */
        { 1, 14, 16, 32, 3, 1, 1, 0, 0, 3, 0.3 },      /* conv2, X with 3-bit steps */
        { 20, 1, 1568, 64, 1, 0, 1, 0, 0, 1, 1.0 },    /* fc1, X unpruned, 1-bit steps */
        { 20, 1, 1568, 64, 1, 0, 1, 0, 0, 8, 0.01 },   /* fc1, X at 1%, 8-bit steps */
        { 1, 14, 16, 32, 3, 1, 1, 0, 0, CHM_SPARSE_STEP_AUTO, 0.05 }, /* conv2, X auto steps */
        { 1, 28, 1, 16, 3, 1, 1, 0, 0, 4, 0.2 },       /* the pruned demo's conv1: 3-byte row runs */
    };
    tu_rng r;
    tu_seed(&r, 79);
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        const int cols = L[i].k * L[i].k * L[i].c;
        const size_t nx = (size_t)L[i].batch * L[i].h * L[i].h * L[i].c;
        const size_t ny = (size_t)L[i].batch * L[i].h * L[i].h * L[i].oc;
        int8_t *x = malloc(nx), *w = malloc((size_t)L[i].oc * cols), *y1 = malloc(ny), *y2 = malloc(ny);
        tu_fill_i8(&r, x, nx, -128, 127);
        tu_fill_i8(&r, w, (size_t)L[i].oc * cols, -128, 127);
        chm_sparse_params sp = { .format = L[i].fmt == 1 ? CHM_SPARSE_X : CHM_SPARSE_S,
                                 .density = L[i].density, .block_rows = L[i].br,
                                 .block_cols = L[i].bc,
                                 .step_bits = L[i].fmt == 1 ? L[i].bits : 0,
                                 .code_bits = L[i].fmt == 2 ? L[i].bits : 0 };
        chm_sparse *s;
        CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, L[i].oc, cols, &sp, &s), CHM_OK);
        const double model = sparse_time(emu, s, x, L[i].batch, L[i].h, L[i].c, L[i].oc, L[i].k,
                                         L[i].pad, y1);
        const double meas = sparse_time(tu_dev, s, x, L[i].batch, L[i].h, L[i].c, L[i].oc, L[i].k,
                                        L[i].pad, y2);
        const double err = (model - meas) / meas;
        if (err > 0.10 || err < -0.10 || getenv("CHM_CALIB_VERBOSE"))
            fprintf(stderr, "sparse layer %zu: model %.2f us, rtl %.2f us (%+.1f%%)\n", i, model,
                    meas, 100 * err);
        CU_ASSERT(err <= 0.10 && err >= -0.10);
        CU_ASSERT_EQUAL(memcmp(y1, y2, ny), 0);
        chm_sparse_free(s);
        free(x), free(w), free(y1), free(y2);
    }
    chm_device_close(emu);
}

int main(void)
{
    static const tu_test tests[] = {
        { "control registers: read-back, SLVERR past the map, interrupt registers", test_registers },
        { "ap_start / ap_ready / ap_done / ap_idle; a start while busy is refused",
          test_start_done_sequence },
        { "a reset mid-run leaves the engine idle and the next run right", test_reset_mid_run },
        { "pooling engine: max/avg, odd channels, padding, misaligned, vs cnn_pool",
          test_pool_engine },
        { "add engine: ragged lengths, misaligned tensors, vs cnn_add", test_add_engine },
        { "AXI4: no burst crosses a 4 KiB page (conv with every tensor straddling one)",
          test_bursts_stop_at_4k },
        { "the SPARSE engine bare: X and S, fc and conv, odd alignments, a bad header", test_sparse_engine },
        { "operations without an rtl engine are refused at submit", test_unsupported_refused },
        { "measured card times keep dependency order", test_measured_timeline },
        { "tile buffers below Vmin: faults reach the output; ECC corrects or stops",
          test_undervolt },
        { "calibration guard: emu's model within 10% of the 32x32 RTL", test_calibration_guard },
        { "GRAPH engine: small int8 GCN (sum, mean, max) and GraphSAGE layers give emu's bytes",
          test_graph_small },
        { "calibration guard: GRAPH model within 10% of the 32x32 RTL engine",
          test_calibration_guard_graph },
        { "calibration guard: pooling and add models within 10% of their RTL engines",
          test_calibration_guard_eltwise },
        { "calibration guard: SPARSE model within 10% of the RTL engine, packed fields",
          test_calibration_guard_sparse },
        { NULL, NULL },
    };
    return tu_run_suite("rtl", "rtl:u250", tests, NULL, NULL);
}
