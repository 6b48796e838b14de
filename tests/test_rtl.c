/*
 * test_rtl.c - the rtl backend: the conv engine's control port as a driver
 * sees it (argument read-back, ap_start / ap_ready / ap_done / ap_idle,
 * a start while busy, a reset mid-run, the interrupt registers, addresses
 * past the map), and the device on rtl:u250 (unsupported operations refused
 * at submit, the measured timeline in dependency order). Bit-exactness of
 * conv2d and fully connected on rtl is the conv and fc suites, run on
 * rtl:u250 (ctest entries rtl_conv, rtl_fc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "cnn_conv2d_regs.h"
#include "rtl_sim.h"
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

/* Operations the rtl backend has no engine for are refused when submitted. */
static void test_unsupported_refused(void)
{
    int8_t x[4 * 4 * 8] = { 1 }, before[2 * 2 * 8], after[2 * 2 * 8];
    memset(before, 0x33, sizeof before);
    chm_tensor *in = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 4, 4, 8), x);
    chm_tensor *out = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 2, 2, 8), before);
    chm_pool_params p = { .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2 };
    CU_ASSERT_EQUAL(chm_maxpool(tu_dev, in, out, &p, NULL), CHM_EMODE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "no pooling engine yet"));
    CU_ASSERT_EQUAL(chm_tensor_read(out, 0, after, sizeof after), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(before, after, sizeof after), 0);
    chm_device_stats s;
    chm_device_stats_get(tu_dev, &s);
    CU_ASSERT_EQUAL(s.ops, 0);
    chm_tensor_free(in), chm_tensor_free(out);
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

/* Card time of one conv on dev (us); the output into out. */
static double conv_time(chm_device *d, const int8_t *x, const int8_t *w, int h, int c, int oc,
                        int k, int pad, int8_t *out, size_t nout)
{
    int32_t mult[64], shift[64];
    for (int i = 0; i < oc; i++)
        mult[i] = 1 << 30, shift[i] = -9;
    chm_conv2d_params p = { .pad_top = pad, .pad_left = pad, .pad_bottom = pad, .pad_right = pad };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = -3 };
    const int o = h + 2 * pad - k + 1;
    chm_tensor *tx = tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, h, h, c), x);
    chm_tensor *tw = tu_tensor(d, CHM_INT8, 4, TU_DIMS(oc, k, k, c), w);
    chm_tensor *ty = tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, o, o, oc), NULL);
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
 * The calibration guard: on two layers small enough to simulate at full
 * size in a few seconds (the Fashion-MNIST demo's conv2 and fc1), emu's
 * cycle model stays within 10% of the 32 x 32 RTL engine (README table),
 * and both compute the same bytes. A change to the model or the RTL that
 * breaks their agreement fails here.
 */
static void test_calibration_guard(void)
{
    int sizes[4], n = rtl_engine_sizes(sizes, 4);
    if (n == 0 || sizes[n - 1] != 32) {
        CU_PASS("the 32 x 32 engine is not built here (CHM_RTL_SIZES)");
        return;
    }
    setenv("CHIMERA_RTL_PE", "32", 1);
    chm_device *emu, *rtl;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", &emu), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_device_open("rtl:u250", &rtl), CHM_OK);
    setenv("CHIMERA_RTL_PE", "8", 1);
    static const struct { int h, c, oc, k, pad; } L[] = { { 14, 16, 32, 3, 1 }, { 1, 1568, 64, 1, 0 } };
    tu_rng r;
    tu_seed(&r, 77);
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        const size_t nx = (size_t)L[i].h * L[i].h * L[i].c, nw = (size_t)L[i].oc * L[i].k * L[i].k * L[i].c;
        const size_t ny = (size_t)L[i].h * L[i].h * L[i].oc;
        int8_t *x = malloc(nx), *w = malloc(nw), *y1 = malloc(ny), *y2 = malloc(ny);
        tu_fill_i8(&r, x, nx, -128, 127);
        tu_fill_i8(&r, w, nw, -128, 127);
        const double model = conv_time(emu, x, w, L[i].h, L[i].c, L[i].oc, L[i].k, L[i].pad, y1, ny);
        const double meas = conv_time(rtl, x, w, L[i].h, L[i].c, L[i].oc, L[i].k, L[i].pad, y2, ny);
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

int main(void)
{
    static const tu_test tests[] = {
        { "control registers: read-back, SLVERR past the map, interrupt registers", test_registers },
        { "ap_start / ap_ready / ap_done / ap_idle; a start while busy is refused",
          test_start_done_sequence },
        { "a reset mid-run leaves the engine idle and the next run right", test_reset_mid_run },
        { "operations without an rtl engine are refused at submit", test_unsupported_refused },
        { "measured card times keep dependency order", test_measured_timeline },
        { "calibration guard: emu's model within 10% of the 32x32 RTL", test_calibration_guard },
        { NULL, NULL },
    };
    return tu_run_suite("rtl", "rtl:u250", tests, NULL, NULL);
}
