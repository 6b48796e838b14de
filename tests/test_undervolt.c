/*
 * test_undervolt.c - regions' on-chip memories below the safe voltage
 * (chm_region_set_voltage): no faults down to Vmin, faults below it that
 * change a conv's output unless ECC corrects them, the same faults every
 * run and more as the voltage falls, ECC's three outcomes each seen and
 * each honest (corrected: output = reference; detected: the command fails;
 * undetected: counted), on-chip energy x (V/Vnom)^2, bad arguments refused.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "cnn_config.h"
#include "test_util.h"

/* A 16x16x64 input through 64 3x3 filters: 37 KiB of weights, 16 KiB of input. */
#define H 16
#define W 16
#define C 64
#define OC 64

static int8_t in[H * W * C], wts[OC * 3 * 3 * C], want[H * W * OC], got[H * W * OC];
static int32_t mult[OC], shift[OC];
static chm_tensor *ti, *tw, *to;
static chm_conv2d_params prm;
static double last_us; /* the last run's modelled card time */

static int init(void)
{
    tu_rng r;
    tu_seed(&r, 77);
    tu_fill_i8(&r, in, sizeof in, -128, 127);
    tu_fill_i8(&r, wts, sizeof wts, -128, 127);
    tu_random_requant(&r, mult, shift, OC, -12, -8);
    prm = (chm_conv2d_params){ .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    prm.rq = (chm_requant){ .multiplier = mult, .shift = shift, .in_zero_point = 3 };
    ref_conv2d(in, 1, H, W, C, wts, OC, 3, 3, NULL, &prm, want);
    ti = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, H, W, C), in);
    tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(OC, 3, 3, C), wts);
    to = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, H, W, OC), NULL);
    return !(ti && tw && to);
}

static int clean(void)
{
    chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(to);
    return 0;
}

/* Runs the conv; its status, its region, and its output in got. */
static int run(int *region, chm_op_actions *act)
{
    memset(got, 0x55, sizeof got);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_write(to, 0, got, sizeof got), CHM_OK);
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(chm_conv2d(tu_dev, ti, tw, NULL, to, &prm, &ev), CHM_OK);
    int rc = chm_wait(ev);
    chm_event_times t;
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    *region = t.region;
    last_us = t.device_end_us - t.device_start_us;
    if (act)
        CU_ASSERT_EQUAL(chm_event_actions_get(ev, act), CHM_OK);
    chm_event_release(ev);
    chm_finish(tu_dev); /* clears a failure for the next run */
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, got, sizeof got), CHM_OK);
    return rc;
}

static chm_fault_stats faults(int region)
{
    chm_fault_stats f;
    CU_ASSERT_EQUAL_FATAL(chm_region_faults_get(tu_dev, region, &f), CHM_OK);
    return f;
}

static void snapshot(chm_fault_stats *b)
{
    chm_device_info di;
    CU_ASSERT_EQUAL_FATAL(chm_device_query(tu_dev, &di), CHM_OK);
    for (uint32_t r = 0; r < di.n_regions; r++)
        b[r] = faults((int)r);
}

static int mv_at(double frac)
{
    chm_fault_stats f = faults(0);
    return (int)lround(frac * f.nominal_mv);
}

static void test_refusals(void)
{
    chm_fault_stats f = faults(0);
    CU_ASSERT_EQUAL(f.voltage_mv, f.nominal_mv);
    CU_ASSERT(f.vcrash_mv < f.vmin_mv && f.vmin_mv < f.nominal_mv);
    CU_ASSERT_EQUAL(f.weak_cells, 0u);
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, 0, (int)f.vcrash_mv - 1), CHM_ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "crash"));
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, 0, (int)f.nominal_mv + 1), CHM_ERANGE);
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, 99, 600), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_region_set_abft(tu_dev, 99, 1), CHM_EINVAL);
    CU_ASSERT_EQUAL(chm_region_set_abft(NULL, 0, 1), CHM_EINVAL);
    CU_ASSERT_EQUAL(faults(0).abft, 0);
    CU_ASSERT_EQUAL(chm_region_faults_get(tu_dev, -1, &f), CHM_EINVAL);
    CU_ASSERT_EQUAL(faults(0).voltage_mv, f.nominal_mv); /* unchanged */
    int region;
    CU_ASSERT_EQUAL(run(&region, NULL), CHM_OK);
    CU_ASSERT_EQUAL(tu_first_diff(got, want, sizeof got), -1);
}

/* Down to Vmin: nothing; below it: more weak cells the lower, always a superset. */
static void test_curve(void)
{
    uint64_t last = 0;
    static const double fr[] = { 1.0, 0.8, 0.62, 0.61, 0.60, 0.58, 0.56, 0.55, 0.54 };
    for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(chm_region_set_voltage(tu_dev, 0, mv_at(fr[i])), CHM_OK);
        chm_fault_stats f = faults(0);
        if (fr[i] >= 0.61)
            CU_ASSERT_EQUAL(f.weak_cells, 0u);
        CU_ASSERT(f.weak_cells >= last);
        last = f.weak_cells;
        printf("%s%.2f Vnom %llu", i ? ", " : "\n  weak cells over both buffers: ", fr[i],
               (unsigned long long)f.weak_cells);
    }
    /* 0.06% of the two tile buffers' cells at the crash voltage (each
     * CNN_TILE_K x CNN_PE_COLS bytes as 72-bit SECDED words: 2 x 1,179,648) */
    const double cells = 2.0 * CNN_TILE_K * CNN_PE_COLS / 8 * 72, want = 0.0006 * cells;
    CU_ASSERT(last >= 0.99 * want && last <= 1.01 * want);
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, -1, 0), CHM_OK);
}

static void test_no_ecc(void)
{
    CU_ASSERT_EQUAL_FATAL(chm_region_set_ecc(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_region_set_voltage(tu_dev, -1, mv_at(0.55)), CHM_OK);
    int region;
    chm_fault_stats b[CHM_MAX_REGIONS];
    snapshot(b);
    CU_ASSERT_EQUAL_FATAL(run(&region, NULL), CHM_OK);
    chm_fault_stats f1 = faults(region), f0 = b[region];
    CU_ASSERT(f1.injected > f0.injected);
    CU_ASSERT_EQUAL(f1.corrected, f0.corrected);
    CU_ASSERT_EQUAL(f1.detected, f0.detected);
    CU_ASSERT(f1.undetected > f0.undetected);
    CU_ASSERT(tu_first_diff(got, want, sizeof got) >= 0); /* the faults reach the output */
    int8_t first[sizeof got];
    memcpy(first, got, sizeof got);
    int region2;
    CU_ASSERT_EQUAL(run(&region2, NULL), CHM_OK);
    if (region2 == region) /* the same cells: the same wrong output */
        CU_ASSERT_EQUAL(memcmp(first, got, sizeof got), 0);
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(run(&region, NULL), CHM_OK);
    CU_ASSERT_EQUAL(tu_first_diff(got, want, sizeof got), -1);
}

/* From Vmin down to the crash voltage with ECC: every outcome as it should be. */
static void test_ecc(void)
{
    CU_ASSERT_EQUAL_FATAL(chm_region_set_ecc(tu_dev, -1, 1), CHM_OK);
    const int hi = mv_at(0.61), lo = (int)ceil(faults(0).vcrash_mv);
    int corrected_ok = 0, detected = 0, undetected = 0;
    for (int mv = hi; mv >= lo; mv -= 2) {
        CU_ASSERT_EQUAL_FATAL(chm_region_set_voltage(tu_dev, -1, mv), CHM_OK);
        chm_fault_stats b[CHM_MAX_REGIONS];
        snapshot(b);
        int region;
        int rc = run(&region, NULL);
        chm_fault_stats a = faults(region);
        const chm_fault_stats *was = &b[region];
        CU_ASSERT(a.ecc);
        if (rc == CHM_EDEVICE) {
            CU_ASSERT(a.detected > was->detected);
            detected++;
        } else {
            CU_ASSERT_EQUAL(rc, CHM_OK);
            CU_ASSERT_EQUAL(a.detected, was->detected);
            if (a.undetected == was->undetected) {
                CU_ASSERT_EQUAL(tu_first_diff(got, want, sizeof got), -1);
                corrected_ok += a.corrected > was->corrected;
            } else {
                undetected++;
            }
        }
    }
    printf("\n  with ECC from %d to %d mV: %d runs corrected to the reference, %d detected (failed), "
           "%d with undetected faults ", hi, lo, corrected_ok, detected, undetected);
    CU_ASSERT(corrected_ok > 0);
    CU_ASSERT(detected > 0);
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_ecc(tu_dev, -1, 0), CHM_OK);
}

/* Above Vmin: no faults, on-chip energy x (V/Vnom)^2 and nothing else changes. */
static void test_energy(void)
{
    int r0, r1;
    chm_op_actions a0, a1;
    chm_energy_table t;
    CU_ASSERT_EQUAL_FATAL(chm_device_energy_table(tu_dev, &t), CHM_OK);
    CU_ASSERT_EQUAL(run(&r0, &a0), CHM_OK);
    const int mv = mv_at(0.8);
    CU_ASSERT_EQUAL_FATAL(chm_region_set_voltage(tu_dev, -1, mv), CHM_OK);
    CU_ASSERT_EQUAL(run(&r1, &a1), CHM_OK);
    CU_ASSERT_EQUAL(tu_first_diff(got, want, sizeof got), -1);
    CU_ASSERT_EQUAL(a1.onchip_bytes, a0.onchip_bytes);
    const double s = (mv / faults(0).nominal_mv) * (mv / faults(0).nominal_mv);
    const double saved = (double)a0.onchip_bytes * t.onchip_byte * 1e-6 * (1.0 - s);
    CU_ASSERT(fabs((a0.energy_uj - a1.energy_uj) - saved) < 1e-9 * a0.energy_uj);
    CU_ASSERT(saved > 0);
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, -1, 0), CHM_OK);
}

/*
 * ABFT from Vmin down to the crash voltage, without and with ECC: a run
 * that returns OK has the reference's output (a pass whose checksums
 * disagree is never used), a flagged pass is recomputed once, a second
 * flagged pass fails the command (without ECC, low enough, the other half
 * of the buffers is as faulty); no run uses a faulty operand bit. With ECC
 * + ABFT a pass with a word ECC detects is recomputed instead of failing.
 */
static void abft_sweep(int ecc)
{
    CU_ASSERT_EQUAL_FATAL(chm_region_set_ecc(tu_dev, -1, ecc), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_region_set_abft(tu_dev, -1, 1), CHM_OK);
    const int hi = mv_at(0.61), lo = (int)ceil(faults(0).vcrash_mv);
    int clean = 0, saved = 0, failed = 0;
    for (int mv = hi; mv >= lo; mv -= 2) {
        CU_ASSERT_EQUAL_FATAL(chm_region_set_voltage(tu_dev, -1, mv), CHM_OK);
        chm_fault_stats b[CHM_MAX_REGIONS];
        snapshot(b);
        int region;
        const int rc = run(&region, NULL);
        const chm_fault_stats a = faults(region), *was = &b[region];
        CU_ASSERT(a.abft);
        CU_ASSERT(a.abft_recomputed - was->abft_recomputed <= 1);
        CU_ASSERT_EQUAL(a.undetected, was->undetected); /* nothing faulty used, with or without ECC */
        if (rc == CHM_EDEVICE) {
            CU_ASSERT_EQUAL(a.abft_failed, was->abft_failed + 1);
            CU_ASSERT(a.abft_flagged > was->abft_flagged);
            failed++;
        } else {
            CU_ASSERT_EQUAL(rc, CHM_OK);
            CU_ASSERT_EQUAL(a.abft_failed, was->abft_failed);
            CU_ASSERT_EQUAL(tu_first_diff(got, want, sizeof got), -1);
            if (a.abft_recomputed > was->abft_recomputed)
                saved++;
            else
                clean++;
        }
    }
    printf("\n  ABFT%s from %d to %d mV: %d runs clean, %d flagged and recomputed to the "
           "reference, %d flagged twice (failed) ", ecc ? " + ECC" : "", hi, lo, clean, saved, failed);
    CU_ASSERT(saved > 0);
    if (!ecc)
        CU_ASSERT(failed > 0);
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_abft(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_ecc(tu_dev, -1, 0), CHM_OK);
}

static void test_abft(void)
{
    abft_sweep(0);
    abft_sweep(1);
}

/* ABFT's checksum row and column: (32 + 32 + 1) MACs per 1,024, charged at the table's
 * int8 MAC energy, nothing else changed. */
static void test_abft_energy(void)
{
    int r0, r1;
    chm_op_actions a0, a1;
    chm_energy_table t;
    CU_ASSERT_EQUAL_FATAL(chm_device_energy_table(tu_dev, &t), CHM_OK);
    CU_ASSERT_EQUAL(run(&r0, &a0), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_region_set_abft(tu_dev, -1, 1), CHM_OK);
    CU_ASSERT_EQUAL(run(&r1, &a1), CHM_OK);
    CU_ASSERT_EQUAL(tu_first_diff(got, want, sizeof got), -1);
    const uint64_t extra = a0.macs_int8 * (CNN_PE_ROWS + CNN_PE_COLS + 1) / (CNN_PE_ROWS * CNN_PE_COLS);
    CU_ASSERT(extra > 0);
    CU_ASSERT_EQUAL(a1.macs_int8, a0.macs_int8 + extra);
    CU_ASSERT_EQUAL(a1.onchip_bytes, a0.onchip_bytes);
    CU_ASSERT(fabs((a1.energy_uj - a0.energy_uj) - (double)extra * t.mac_int8 * 1e-6) <
              1e-9 * a0.energy_uj);
    /* card time: two cycles for the checksum row and column to drain, one more with ECC's
     * decoder register on the buffers' read path */
    chm_device_info di;
    CU_ASSERT_EQUAL_FATAL(chm_device_query(tu_dev, &di), CHM_OK);
    const double cyc = 1.0 / di.kernel_clock_mhz, t0 = last_us;
    CU_ASSERT_EQUAL(run(&r1, &a1), CHM_OK);
    CU_ASSERT(fabs(last_us - t0) < 1e-9);
    CU_ASSERT_EQUAL_FATAL(chm_region_set_ecc(tu_dev, -1, 1), CHM_OK);
    CU_ASSERT_EQUAL(run(&r1, &a1), CHM_OK);
    CU_ASSERT_EQUAL(a1.macs_int8, a0.macs_int8 + extra);
    CU_ASSERT(fabs(last_us - t0 - cyc) < 1e-6);
    CU_ASSERT_EQUAL(chm_region_set_abft(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_ecc(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(run(&r1, &a1), CHM_OK);
    CU_ASSERT(fabs(last_us - t0 + 2 * cyc) < 1e-6);
}

/* ------------------------------------------------ accumulator upsets */

/* The conv on a device of its own (fresh command counts), accumulator upsets at rate p
 * on every region, CHIMERA_FAULT_SEED = seed; its output in out, its region's stats. */
static int run_fresh(const char *seed, double p, int abft, int8_t *out, chm_fault_stats *f)
{
    setenv("CHIMERA_FAULT_SEED", seed, 1);
    chm_device *d;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu", &d), CHM_OK);
    chm_tensor *i = tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, H, W, C), in);
    chm_tensor *w = tu_tensor(d, CHM_INT8, 4, TU_DIMS(OC, 3, 3, C), wts);
    chm_tensor *o = tu_tensor(d, CHM_INT8, 4, TU_DIMS(1, H, W, OC), NULL);
    CU_ASSERT_FATAL(i && w && o);
    CU_ASSERT_EQUAL(chm_region_set_acc_upsets(d, -1, p), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_abft(d, -1, abft), CHM_OK);
    unsetenv("CHIMERA_FAULT_SEED"); /* read by the first fault setting */
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(chm_conv2d(d, i, w, NULL, o, &prm, &ev), CHM_OK);
    const int rc = chm_wait(ev);
    chm_event_times t;
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    chm_event_release(ev);
    CU_ASSERT_EQUAL(chm_tensor_read(o, 0, out, sizeof got), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_faults_get(d, t.region, f), CHM_OK);
    chm_tensor_free(i), chm_tensor_free(w), chm_tensor_free(o);
    chm_device_close(d);
    return rc;
}

/* Bad rates refused and nothing changed; without ABFT the upsets reach the output, the
 * same ones for the same seed, others for another; every one counted as undetected. */
static void test_acc_upsets(void)
{
    CU_ASSERT_EQUAL(chm_region_set_acc_upsets(tu_dev, 0, -0.1), CHM_ERANGE);
    CU_ASSERT_EQUAL(chm_region_set_acc_upsets(tu_dev, 0, 1.5), CHM_ERANGE);
    CU_ASSERT_EQUAL(chm_region_set_acc_upsets(tu_dev, 0, NAN), CHM_ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "probability"));
    CU_ASSERT_EQUAL(chm_region_set_acc_upsets(tu_dev, 99, 0.1), CHM_EINVAL);
    CU_ASSERT_EQUAL(faults(0).acc_upset_rate, 0.0);
    static int8_t a[sizeof got], b[sizeof got], c[sizeof got];
    chm_fault_stats fa, fb, fc;
    CU_ASSERT_EQUAL(run_fresh("7", 1e-3, 0, a, &fa), CHM_OK);
    CU_ASSERT_EQUAL(run_fresh("7", 1e-3, 0, b, &fb), CHM_OK);
    CU_ASSERT_EQUAL(run_fresh("8", 1e-3, 0, c, &fc), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0); /* the same seed: the same upsets */
    CU_ASSERT(memcmp(a, c, sizeof a) != 0);
    size_t wrong = 0;
    for (size_t k = 0; k < sizeof a; k++)
        wrong += a[k] != want[k];
    /* 16 tiles of 32 x 32 accumulators at 1e-3: about 16 upsets, each in one output */
    CU_ASSERT_EQUAL(fa.acc_tiles, 16u);
    CU_ASSERT(fa.acc_data_upsets >= 4 && fa.acc_data_upsets <= 40);
    CU_ASSERT_EQUAL(fa.acc_upsets, fa.acc_data_upsets); /* no checksum accumulators */
    CU_ASSERT_EQUAL(fa.acc_undetected, fa.acc_data_upsets);
    CU_ASSERT_EQUAL(fa.acc_detected + fa.acc_corrected + fa.acc_tiles_recomputed, 0u);
    CU_ASSERT(wrong > 0 && wrong <= fa.acc_data_upsets);
    printf("\n  no ABFT, 1e-3 an accumulator: %llu upsets, %zu of %zu outputs wrong ",
           (unsigned long long)fa.acc_data_upsets, wrong, sizeof a);
}

/* With ABFT: every upset in a data accumulator detected, a lone one corrected in place, a
 * tile the checks cannot sort out recomputed; a run that returns OK equals the reference,
 * one that fails leaves its output as it was. */
static void test_acc_abft(void)
{
    CU_ASSERT_EQUAL_FATAL(chm_region_set_abft(tu_dev, -1, 1), CHM_OK);
    chm_fault_stats b[CHM_MAX_REGIONS], a[CHM_MAX_REGIONS];
    static const double rates[] = { 1e-4, 5e-4, 2e-3 };
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(chm_region_set_acc_upsets(tu_dev, -1, rates[i]), CHM_OK);
        snapshot(b);
        int ok = 0, failed = 0;
        for (int k = 0; k < 20; k++) {
            int region;
            const int rc = run(&region, NULL);
            if (rc == CHM_OK) {
                ok++;
                CU_ASSERT_EQUAL(tu_first_diff(got, want, sizeof got), -1);
            } else {
                failed++;
                CU_ASSERT_EQUAL(rc, CHM_EDEVICE);
                for (size_t j = 0; j < sizeof got; j++)
                    if (got[j] != 0x55) {
                        CU_FAIL("a failed command wrote its output");
                        break;
                    }
            }
        }
        snapshot(a);
        uint64_t data = 0, det = 0, cor = 0, redo = 0, und = 0, tiles = 0, fail = 0;
        chm_device_info di;
        CU_ASSERT_EQUAL_FATAL(chm_device_query(tu_dev, &di), CHM_OK);
        for (uint32_t r = 0; r < di.n_regions; r++) {
            data += a[r].acc_data_upsets - b[r].acc_data_upsets;
            det += a[r].acc_detected - b[r].acc_detected;
            cor += a[r].acc_corrected - b[r].acc_corrected;
            redo += a[r].acc_tiles_recomputed - b[r].acc_tiles_recomputed;
            und += a[r].acc_undetected - b[r].acc_undetected;
            tiles += a[r].acc_tiles - b[r].acc_tiles;
            fail += a[r].abft_failed - b[r].abft_failed;
        }
        CU_ASSERT_EQUAL(und, 0u);
        CU_ASSERT_EQUAL(det, data);
        CU_ASSERT(cor > 0 && cor <= data);
        CU_ASSERT_EQUAL(fail, (uint64_t)failed);
        CU_ASSERT(tiles >= 20u); /* a failed command stops at the tile that failed */
        printf("\n  ABFT, %g an accumulator, 20 runs: %llu data upsets, all detected, %llu "
               "corrected in place, %llu of %llu tile passes redone, %d runs OK (= reference), "
               "%d failed ", rates[i], (unsigned long long)data, (unsigned long long)cor,
               (unsigned long long)redo, (unsigned long long)tiles, ok, failed);
        if (i == 0)
            CU_ASSERT(ok >= 18);
        if (i == sizeof rates / sizeof rates[0] - 1)
            CU_ASSERT(redo > 0);
    }
    CU_ASSERT_EQUAL(chm_region_set_acc_upsets(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_abft(tu_dev, -1, 0), CHM_OK);
}

/* ------------------------------------------------ GRAPH buffers */

#define GN 300 /* vertices */
#define GF 200 /* features */
#define GO 16  /* outputs */

/* One fp32 GCN layer in the given order on tu_dev; its status, output and region. */
static int gcn_run(chm_tensor *tg, chm_tensor *tx, chm_tensor *tw, chm_tensor *to, chm_gnn_order order,
                   float *y, int *region)
{
    static float fill[GN * GO];
    for (int i = 0; i < GN * GO; i++)
        fill[i] = -7.0f;
    CU_ASSERT_EQUAL_FATAL(chm_tensor_write(to, 0, fill, sizeof fill), CHM_OK);
    chm_gnn_params p = { .kind = CHM_GNN_GCN, .order = order };
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(chm_gnn_layer(tu_dev, tg, tx, tw, NULL, NULL, NULL, to, &p, &ev), CHM_OK);
    const int rc = chm_wait(ev);
    chm_event_times t;
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    *region = t.region;
    chm_event_release(ev);
    chm_finish(tu_dev);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, y, sizeof(float) * GN * GO), CHM_OK);
    return rc;
}

/* The GRAPH mode's window and weight banks below Vmin: without ECC the faults reach the
 * output, the same every run on a region; with ECC every run that returns OK equals the
 * nominal output and a failed one leaves its output as it was. Both orders. */
static void test_graph_faults(void)
{
    int32_t src[4 * GN], dst[4 * GN];
    tu_rng r;
    tu_seed(&r, 5);
    for (int i = 0; i < 4 * GN; i++)
        src[i] = (int32_t)(tu_u32(&r) % GN), dst[i] = i % GN;
    chm_graph *g;
    CU_ASSERT_EQUAL_FATAL(chm_graph_from_edges(GN, 4 * GN, src, dst, NULL, CHM_GRAPH_MERGE_DUPLICATES, &g), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_graph_normalize(g, CHM_NORM_GCN), CHM_OK);
    static float x[GN * GF], w[GO * GF], y0[GN * GO], y[GN * GO], y1[GN * GO];
    for (int i = 0; i < GN * GF; i++)
        x[i] = (float)(tu_u32(&r) % 2); /* bag of words, as Cora's */
    for (int i = 0; i < GO * GF; i++)
        w[i] = (float)((int)(tu_u32(&r) % 2001) - 1000) / 4000.0f;
    chm_tensor *tg;
    CU_ASSERT_EQUAL_FATAL(chm_graph_upload(tu_dev, g, CHM_BANK_DEFAULT, &tg), CHM_OK);
    chm_tensor *tx = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(GN, GF), x);
    chm_tensor *tw = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(GO, GF), w);
    chm_tensor *to = tu_tensor(tu_dev, CHM_FP32, 2, TU_DIMS(GN, GO), NULL);
    CU_ASSERT_FATAL(tx && tw && to);
    static const chm_gnn_order orders[] = { CHM_ORDER_AGGREGATE_FIRST, CHM_ORDER_COMBINE_FIRST };
    for (int o = 0; o < 2; o++) {
        int region, region2;
        CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, -1, 0), CHM_OK);
        CU_ASSERT_EQUAL_FATAL(gcn_run(tg, tx, tw, to, orders[o], y0, &region), CHM_OK);
        /* no ECC: the faults reach the output, the same ones again on the same region */
        CU_ASSERT_EQUAL_FATAL(chm_region_set_ecc(tu_dev, -1, 0), CHM_OK);
        CU_ASSERT_EQUAL_FATAL(chm_region_set_voltage(tu_dev, -1, mv_at(0.55)), CHM_OK);
        chm_fault_stats b[CHM_MAX_REGIONS];
        snapshot(b);
        CU_ASSERT_EQUAL(gcn_run(tg, tx, tw, to, orders[o], y1, &region), CHM_OK);
        const chm_fault_stats f = faults(region);
        CU_ASSERT(f.injected > b[region].injected);
        CU_ASSERT(f.undetected > b[region].undetected);
        CU_ASSERT(memcmp(y1, y0, sizeof y0) != 0);
        CU_ASSERT_EQUAL(gcn_run(tg, tx, tw, to, orders[o], y, &region2), CHM_OK);
        if (region2 == region)
            CU_ASSERT_EQUAL(memcmp(y, y1, sizeof y), 0);
        /* ECC, Vmin down to the crash voltage */
        CU_ASSERT_EQUAL_FATAL(chm_region_set_ecc(tu_dev, -1, 1), CHM_OK);
        int ok = 0, failed = 0, corrected = 0;
        for (int mv = mv_at(0.61); mv >= (int)ceil(faults(0).vcrash_mv); mv -= 3) {
            CU_ASSERT_EQUAL_FATAL(chm_region_set_voltage(tu_dev, -1, mv), CHM_OK);
            snapshot(b);
            const int rc = gcn_run(tg, tx, tw, to, orders[o], y, &region);
            const chm_fault_stats a = faults(region);
            CU_ASSERT_EQUAL(a.undetected, b[region].undetected);
            if (rc == CHM_OK) {
                ok++;
                corrected += a.corrected > b[region].corrected;
                CU_ASSERT_EQUAL(memcmp(y, y0, sizeof y), 0);
            } else {
                failed++;
                CU_ASSERT_EQUAL(rc, CHM_EDEVICE);
                CU_ASSERT(a.detected > b[region].detected);
                CU_ASSERT(y[0] == -7.0f && y[GN * GO - 1] == -7.0f); /* not written */
            }
        }
        printf("\n  GRAPH %s, ECC from %d mV to the crash voltage: %d runs = nominal (%d with bits "
               "corrected), %d detected (failed) ", o ? "combine-first" : "aggregate-first",
               mv_at(0.61), ok, corrected, failed);
        CU_ASSERT(corrected > 0);
    }
    CU_ASSERT_EQUAL(chm_region_set_voltage(tu_dev, -1, 0), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_ecc(tu_dev, -1, 0), CHM_OK);
    chm_tensor_free(tg), chm_tensor_free(tx), chm_tensor_free(tw), chm_tensor_free(to);
    chm_graph_free(g);
}

/* A broken fault curve: the first voltage change refuses, naming the file and the field. */
static void with_curve(const char *text, const char *want)
{
    char dir[] = "/tmp/chm_uv_XXXXXX", cmd[1024];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "cp -r %s/modes.json %s/platforms %s/energy %s/ && mkdir %s/faults",
             CHM_OVERLAY_DIR, CHM_OVERLAY_DIR, CHM_OVERLAY_DIR, dir, dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/faults/bram_undervolt.json", dir);
    FILE *f = fopen(cmd, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    setenv("CHIMERA_OVERLAYS", dir, 1);
    chm_device *d = NULL;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", &d), CHM_OK);
    CU_ASSERT_EQUAL(chm_region_set_voltage(d, 0, 500), CHM_EFORMAT);
    const char *msg = chm_last_error(d);
    if (!strstr(msg, want) || !strstr(msg, "bram_undervolt.json"))
        printf("\n  message: %s (wanted \"%s\")\n", msg, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bram_undervolt.json"));
    chm_fault_stats fs;
    CU_ASSERT_EQUAL(chm_region_faults_get(d, 0, &fs), CHM_EFORMAT);
    chm_device_close(d);
    unsetenv("CHIMERA_OVERLAYS");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static void test_bad_curve(void)
{
    with_curve("{ \"nominal_mv\": ", "missing or not JSON");
    with_curve("{ \"nominal_mv\": { \"value\": 850 } }", "\"nominal_mv\" needs a \"value\" > 0 and a \"source\"");
    with_curve("{ \"nominal_mv\": { \"value\": 850, \"source\": \"s\" }, "
               "\"vmin_frac\": { \"value\": 0.5, \"source\": \"s\" }, "
               "\"vcrash_frac\": { \"value\": 0.6, \"source\": \"s\" }, "
               "\"rate_at_vmin\": { \"value\": 1e-8, \"source\": \"s\" }, "
               "\"rate_at_vcrash\": { \"value\": 1e-3, \"source\": \"s\" } }",
               "vcrash_frac < vmin_frac");
}

int main(void)
{
    static const tu_test tests[] = {
        { "nominal; out-of-range voltages and regions refused", test_refusals },
        { "weak cells: none to Vmin, growing below, 0.06% at crash", test_curve },
        { "no ECC: faults reach the output, the same every run", test_no_ecc },
        { "ECC: corrected = reference, detected fails, undetected counted", test_ecc },
        { "on-chip energy x (V/Vnom)^2", test_energy },
        { "ABFT, without and with ECC: OK runs = reference, flagged twice fails", test_abft },
        { "ABFT's checksum MACs in the actions and energy", test_abft_energy },
        { "accumulator upsets: refused rates; reach the output, by seed", test_acc_upsets },
        { "accumulator upsets with ABFT: detected, corrected or recomputed", test_acc_abft },
        { "GRAPH window and weights: faults reach the output; ECC", test_graph_faults },
        { "a broken fault curve refused, naming the file and field", test_bad_curve },
        { NULL, NULL },
    };
    return tu_run_suite("undervolt", "emu", tests, init, clean);
}
