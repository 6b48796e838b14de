/*
 * test_region.c - partial reconfiguration of a region: a good load, a
 * corpus of bad containers refused before anything is touched, and an ICAP
 * failure mid-load that leaves the region FAILED and the device working.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chm_ref.h"
#include "container.h"
#include "crc32c.h"
#include "signing.h"
#include "test_util.h"

static const platform_desc *u250;
static uint8_t *good;      /* CNN for region 1 of u250 */
static size_t good_len;
static const char *path;

static void put_file(const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_FATAL(fwrite(buf, 1, len, f) == len);
    fclose(f);
}

static chm_region_info region_info(int r)
{
    chm_device_info info;
    chm_device_query(tu_dev, &info);
    return info.regions[r];
}

/* A conv on the device equals the reference: the device still computes. */
static void check_conv_works(void)
{
    int8_t in[6 * 6 * 4], w[8 * 9 * 4], got[6 * 6 * 8], want[6 * 6 * 8];
    int32_t mult[8], shift[8];
    tu_rng r;
    tu_seed(&r, 11);
    tu_fill_i8(&r, in, sizeof in, -128, 127);
    tu_fill_i8(&r, w, sizeof w, -128, 127);
    tu_random_requant(&r, mult, shift, 8, -10, -7);
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift };
    for (int i = 0; i < 6; i++) { /* enough to land on every region */
        chm_tensor *ti = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 6, 6, 4), in);
        chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(8, 3, 3, 4), w);
        chm_tensor *to = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 6, 6, 8), NULL);
        CU_ASSERT_EQUAL(chm_conv2d(tu_dev, ti, tw, NULL, to, &p, NULL), CHM_OK);
        CU_ASSERT_EQUAL(chm_tensor_read(to, 0, got, sizeof got), CHM_OK);
        ref_conv2d(in, 1, 6, 6, 4, w, 8, 3, 3, NULL, &p, want);
        CU_ASSERT_EQUAL(memcmp(got, want, sizeof got), 0);
        chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(to);
    }
}

static void test_good_load(void)
{
    put_file(good, good_len);
    chm_device_stats before, after;
    chm_device_stats_get(tu_dev, &before);
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(chm_region_load(tu_dev, 1, path, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    chm_event_times t;
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    chm_event_release(ev);
    CU_ASSERT_EQUAL(t.region, 1);
    /* 61,440 frames x 93 words x 4 bytes (+ headers) at 125 MHz x 4 bytes = ~45.7 ms */
    double us = t.device_end_us - t.device_start_us;
    CU_ASSERT(us > 45700.0 && us < 45800.0);
    chm_device_stats_get(tu_dev, &after);
    CU_ASSERT_EQUAL(after.reconfigurations, before.reconfigurations + 1);
    CU_ASSERT(after.icap_bytes - before.icap_bytes > 61440u * 93u * 4u);
    chm_region_info ri = region_info(1);
    CU_ASSERT_EQUAL(ri.state, CHM_REGION_CONFIGURED);
    CU_ASSERT_EQUAL(ri.mode, CHM_MODE_CNN);
    CU_ASSERT_EQUAL(ri.loads, 1);
    check_conv_works();
}

/* The load is refused with code and text, and region 1 is exactly as before. */
static void expect_refused(const uint8_t *buf, size_t len, int region, int code, const char *why)
{
    put_file(buf, len);
    chm_region_info before = region_info(1);
    chm_device_stats s0, s1;
    chm_device_stats_get(tu_dev, &s0);
    int rc = chm_region_load(tu_dev, region, path, NULL);
    CU_ASSERT_EQUAL(rc, code);
    if (rc != code || !strstr(chm_last_error(tu_dev), why))
        fprintf(stderr, "expected %s \"%s\", got %s \"%s\"\n", chm_strerror(code), why,
                chm_strerror(rc), chm_last_error(tu_dev));
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), why));
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_OK);
    chm_device_stats_get(tu_dev, &s1);
    CU_ASSERT_EQUAL(s1.reconfigurations, s0.reconfigurations);
    chm_region_info after = region_info(1);
    CU_ASSERT_EQUAL(after.state, before.state);
    CU_ASSERT_EQUAL(after.mode, before.mode);
    CU_ASSERT_EQUAL(after.loads, before.loads);
}

/* Rewrites the checksum so a deliberately damaged file passes the container check. */
static void reseal(uint8_t *buf, size_t len)
{
    const char *key = "\"crc32c\":\"";
    uint8_t *k = buf + len - 10;
    while (memcmp(k, key, strlen(key)) != 0)
        k--;
    uint8_t *digits = k + strlen(key);
    memcpy(digits, "00000000", 8);
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", crc32c(0, buf, len));
    memcpy(digits, hex, 8);
}

static void test_bad_containers(void)
{
    uint8_t *bad = malloc(good_len);
    expect_refused(good, good_len, 0, CHM_EFORMAT, "built for region 1 (pr_slr2), not region 0");
    expect_refused(good, good_len, 7, CHM_EINVAL, "region 7 does not exist");
    memcpy(bad, good, good_len);
    bad[3] = 'X';
    expect_refused(bad, good_len, 1, CHM_EFORMAT, "bad magic");
    expect_refused(good, good_len - 1000, 1, CHM_EFORMAT, "header says");
    expect_refused(good, 100, 1, CHM_EFORMAT, "shorter than the 456-byte header");
    memcpy(bad, good, good_len);
    bad[456 + 24 + 5] = 0x7F; /* section 0 offset far past the end */
    expect_refused(bad, good_len, 1, CHM_EFORMAT, "outside the file");
    memcpy(bad, good, good_len);
    bad[304 + 32] ^= 0xFF; /* interface UUID of another shell */
    expect_refused(bad, good_len, 1, CHM_EFORMAT, "interface UUID");
    size_t len280;
    uint8_t *other = container_pack(platform_find("u280"), 1, CHM_MODE_CNN, &len280);
    expect_refused(other, len280, 1, CHM_EFORMAT, "built for shell");
    free(other);
    remove(path);
    CU_ASSERT_EQUAL(chm_region_load(tu_dev, 1, path, NULL), CHM_EIO);
    /* Random byte flips anywhere: the checksum or a structural check refuses every one. */
    tu_rng r;
    tu_seed(&r, 4);
    for (int i = 0; i < 40; i++) {
        memcpy(bad, good, good_len);
        size_t at = i < 20 ? tu_u32(&r) % 1024 : tu_u32(&r) % good_len; /* header often */
        bad[at] ^= (uint8_t)(1 + tu_u32(&r) % 255);
        put_file(bad, good_len);
        CU_ASSERT_EQUAL(chm_region_load(tu_dev, 1, path, NULL), CHM_EFORMAT);
    }
    for (int i = 0; i < 10; i++) { /* truncations */
        put_file(good, tu_u32(&r) % good_len);
        CU_ASSERT_EQUAL(chm_region_load(tu_dev, 1, path, NULL), CHM_EFORMAT);
    }
    CU_ASSERT_EQUAL(region_info(1).loads, 1);
    CU_ASSERT_EQUAL(region_info(1).state, CHM_REGION_CONFIGURED);
    free(bad);
}

int chm__region_inject_icap_faults(chm_device *dev, int n); /* device.h's test hook */

static void test_icap_failure(void)
{
    /* A frame word damaged and the file resealed: the container passes, the
     * packet check refuses it before the region is touched. */
    uint8_t *bad = malloc(good_len);
    memcpy(bad, good, good_len);
    bad[616 + 4 * 1000] ^= 0x10;
    reseal(bad, good_len);
    expect_refused(bad, good_len, 1, CHM_EFORMAT, "CRC mismatch");
    /* The ICAP itself fails mid-load (as a card can): the region is FAILED. */
    put_file(good, good_len);
    chm__region_inject_icap_faults(tu_dev, 1);
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(chm_region_load(tu_dev, 1, path, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(tu_dev), "injected ICAP fault"));
    chm_event_release(ev);
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_EFORMAT);
    CU_ASSERT_EQUAL(region_info(1).state, CHM_REGION_FAILED);
    CU_ASSERT_EQUAL(region_info(1).mode, CHM_MODE_EMPTY);
    check_conv_works(); /* the other two regions take the work */
    CU_ASSERT_EQUAL(chm_region_load(tu_dev, 1, path, NULL), CHM_OK); /* and it loads again */
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_OK);
    CU_ASSERT_EQUAL(region_info(1).state, CHM_REGION_CONFIGURED);
    CU_ASSERT_EQUAL(region_info(1).loads, 2);
    remove(path);
    free(bad);
}

/* Replaces every occurrence of the 7-byte region name from with to. */
static void rename_region(uint8_t *buf, size_t len, const char *from, const char *to)
{
    for (size_t i = 0; i + 7 <= len; i++)
        if (memcmp(buf + i, from, 7) == 0)
            memcpy(buf + i, to, 7);
}

static void test_wrong_region_frames(void)
{
    /* Region 0's container relabelled as region 1's and resealed: every file
     * check passes, but its packets write region 0's frames. */
    size_t len;
    uint8_t *c = container_pack(u250, 0, CHM_MODE_CNN, &len);
    CU_ASSERT_FATAL(c != NULL);
    rename_region(c, len, "pr_slr0", "pr_slr2");
    reseal(c, len);
    expect_refused(c, len, 1, CHM_EFORMAT, "outside the region's frames");
    free(c);
}

/* Writes a good container for region r of u250 (loads fail by injection). */
static void put_load(int r, const char *file)
{
    size_t len;
    uint8_t *c = container_pack(u250, r, CHM_MODE_CNN, &len);
    CU_ASSERT_FATAL(c != NULL);
    FILE *f = fopen(file, "wb");
    CU_ASSERT_FATAL(f && fwrite(c, 1, len, f) == len);
    fclose(f);
    free(c);
}

/* Every region's load fails while convs are queued: each conv moves or waits
 * for an automatic reload, and every result is right. */
static void test_nothing_lost(void)
{
    enum { N = 9 };
    const char *files[3] = { tu_tmp("test_region_0.xclbin"), tu_tmp("test_region_1.xclbin"),
                             tu_tmp("test_region_2.xclbin") };
    for (int r = 0; r < 3; r++)
        put_load(r, files[r]);
    int8_t in[N][5 * 5 * 3], w[4 * 9 * 3], got[N][5 * 5 * 4], want[5 * 5 * 4];
    int32_t mult[4], shift[4];
    tu_rng g;
    tu_seed(&g, 21);
    tu_fill_i8(&g, &in[0][0], sizeof in, -128, 127);
    tu_fill_i8(&g, w, sizeof w, -128, 127);
    tu_random_requant(&g, mult, shift, 4, -10, -7);
    chm_conv2d_params p = { .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1 };
    p.rq = (chm_requant){ .multiplier = mult, .shift = shift };
    chm_tensor *ti[N], *to[N];
    chm_tensor *tw = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(4, 3, 3, 3), w);
    chm_event *conv[N];
    chm_device_stats s0, s1;
    chm_device_stats_get(tu_dev, &s0);
    for (int i = 0; i < N; i++) {
        ti[i] = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 5, 5, 3), in[i]);
        to[i] = tu_tensor(tu_dev, CHM_INT8, 4, TU_DIMS(1, 5, 5, 4), NULL);
    }
    chm__region_inject_icap_faults(tu_dev, 3);
    for (int r = 0; r < 3; r++)
        CU_ASSERT_EQUAL_FATAL(chm_region_load(tu_dev, r, files[r], NULL), CHM_OK);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL_FATAL(chm_conv2d(tu_dev, ti[i], tw, NULL, to[i], &p, &conv[i]), CHM_OK);
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_EFORMAT); /* the loads themselves failed */
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(chm_wait(conv[i]), CHM_OK);
        chm_event_release(conv[i]);
        CU_ASSERT_EQUAL(chm_tensor_read(to[i], 0, got[i], sizeof got[i]), CHM_OK);
        ref_conv2d(in[i], 1, 5, 5, 3, w, 4, 3, 3, NULL, &p, want);
        CU_ASSERT_EQUAL(memcmp(got[i], want, sizeof want), 0);
        chm_tensor_free(ti[i]);
        chm_tensor_free(to[i]);
    }
    chm_device_stats_get(tu_dev, &s1);
    CU_ASSERT(s1.reconfigurations >= s0.reconfigurations + 1); /* an automatic reload */
    int configured = 0;
    for (int r = 0; r < 3; r++)
        configured += region_info(r).state == CHM_REGION_CONFIGURED;
    CU_ASSERT_EQUAL(configured, 1);

    /* Now fail the last configured region too: with no region holding CNN,
     * the next conv makes the scheduler reload one by itself. */
    chm__region_inject_icap_faults(tu_dev, 1);
    for (int r = 0; r < 3; r++)
        if (region_info(r).state == CHM_REGION_CONFIGURED)
            CU_ASSERT_EQUAL(chm_region_load(tu_dev, r, files[r], NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_finish(tu_dev), CHM_EFORMAT);
    for (int r = 0; r < 3; r++)
        CU_ASSERT_EQUAL(region_info(r).state, CHM_REGION_FAILED);
    check_conv_works();
    configured = 0;
    for (int r = 0; r < 3; r++)
        configured += region_info(r).state == CHM_REGION_CONFIGURED;
    CU_ASSERT_EQUAL(configured, 1);
    chm_tensor_free(tw);
    for (int r = 0; r < 3; r++)
        remove(files[r]);
}

/*
 * An automatic load fails: the work that asked for it cannot move (no other
 * region holds the mode), so it fails with the load's reason, its output
 * untouched, and the device goes on.
 */
static void test_failed_autoload(void)
{
    chm_device *d;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u50", &d), CHM_OK); /* one region */
    int8_t w[8 * 16], x[16], y[8], before[8];
    tu_rng g;
    tu_seed(&g, 5);
    tu_fill_i8(&g, w, sizeof w, -128, 127);
    tu_fill_i8(&g, x, sizeof x, -128, 127);
    memset(before, 0x5A, sizeof before);
    chm_sparse *sp;
    CU_ASSERT_EQUAL_FATAL(chm_sparse_from_dense(w, 8, 16, &(chm_sparse_params){ .format = CHM_SPARSE_X },
                                                &sp), CHM_OK);
    chm_tensor *tw, *tx = tu_tensor(d, CHM_INT8, 2, TU_DIMS(1, 16), x);
    chm_tensor *ty = tu_tensor(d, CHM_INT8, 2, TU_DIMS(1, 8), before);
    CU_ASSERT_EQUAL_FATAL(chm_sparse_upload(d, sp, CHM_BANK_DEFAULT, &tw), CHM_OK);
    int32_t mult[8], shift[8];
    tu_random_requant(&g, mult, shift, 8, -10, -7);
    chm__region_inject_icap_faults(d, 1);
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(chm_sparse_fully_connected(d, tx, tw, NULL, ty,
                              &(chm_requant){ .multiplier = mult, .shift = shift }, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_EMODE);
    const char *msg = chm_last_error(d);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "automatic load of SPARSE failed (injected ICAP fault)"));
    if (!strstr(msg, "injected"))
        fprintf(stderr, "got \"%s\"\n", msg);
    chm_event_release(ev);
    chm_finish(d);
    CU_ASSERT_EQUAL(chm_tensor_read(ty, 0, y, sizeof y), CHM_OK);
    CU_ASSERT_EQUAL(memcmp(y, before, sizeof y), 0);
    /* With no fault the same call works. */
    CU_ASSERT_EQUAL(chm_sparse_fully_connected(d, tx, tw, NULL, ty,
                        &(chm_requant){ .multiplier = mult, .shift = shift }, NULL), CHM_OK);
    CU_ASSERT_EQUAL(chm_finish(d), CHM_OK);
    chm_tensor_free(tw), chm_tensor_free(tx), chm_tensor_free(ty);
    chm_sparse_free(sp);
    chm_device_close(d);
}

/*
 * U280: region 0 reaches HBM[0-15], region 1 HBM[16-31]. A failed load of
 * region 0 with a conv on HBM[0] queued behind it: the conv must not move to
 * region 1 (which holds CNN but cannot reach HBM[0]); it waits for a reload.
 */
static void test_reroute_reaches_banks(void)
{
    chm_device *d;
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u280", &d), CHM_OK);
    const platform_desc *p = platform_find("u280");
    size_t len;
    uint8_t *c = container_pack(p, 0, CHM_MODE_CNN, &len);
    const char *f0 = tu_tmp("test_region_u280.xclbin");
    FILE *f = fopen(f0, "wb");
    CU_ASSERT_FATAL(f && fwrite(c, 1, len, f) == len);
    fclose(f);
    free(c);
    CU_ASSERT_EQUAL_FATAL(chm_region_load_mode(d, 1, CHM_MODE_CNN, NULL), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_finish(d), CHM_OK);
    int8_t in[4 * 4 * 8], w[8 * 8], got[4 * 4 * 8], want[4 * 4 * 8];
    int32_t mult[8], shift[8];
    tu_rng g;
    tu_seed(&g, 9);
    tu_fill_i8(&g, in, sizeof in, -128, 127);
    tu_fill_i8(&g, w, sizeof w, -128, 127);
    tu_random_requant(&g, mult, shift, 8, -10, -7);
    chm_conv2d_params cp = { .rq = { .multiplier = mult, .shift = shift } };
    chm_tensor *ti, *tw, *to;
    CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(d, CHM_INT8, 4, TU_DIMS(1, 4, 4, 8), 0, &ti), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(d, CHM_INT8, 4, TU_DIMS(8, 1, 1, 8), 0, &tw), CHM_OK);
    CU_ASSERT_EQUAL_FATAL(chm_tensor_alloc(d, CHM_INT8, 4, TU_DIMS(1, 4, 4, 8), 0, &to), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_write(ti, 0, in, sizeof in), CHM_OK);
    CU_ASSERT_EQUAL(chm_tensor_write(tw, 0, w, sizeof w), CHM_OK);
    chm__region_inject_icap_faults(d, 1);
    CU_ASSERT_EQUAL_FATAL(chm_region_load(d, 0, f0, NULL), CHM_OK);
    chm_event *ev;
    CU_ASSERT_EQUAL_FATAL(chm_conv2d(d, ti, tw, NULL, to, &cp, &ev), CHM_OK);
    CU_ASSERT_EQUAL(chm_wait(ev), CHM_OK);
    chm_event_times t;
    CU_ASSERT_EQUAL(chm_event_times_get(ev, &t), CHM_OK);
    CU_ASSERT_EQUAL(t.region, 0);
    chm_event_release(ev);
    CU_ASSERT_EQUAL(chm_tensor_read(to, 0, got, sizeof got), CHM_OK);
    ref_conv2d(in, 1, 4, 4, 8, w, 8, 1, 1, NULL, &cp, want);
    CU_ASSERT_EQUAL(memcmp(got, want, sizeof got), 0);
    chm_tensor_free(ti), chm_tensor_free(tw), chm_tensor_free(to);
    chm_device_close(d);
    remove(f0);
}

/* Opens emu:u250 with trust settings; NULL on failure. */
static chm_device *open_trusting(const char *dir, chm_sig_policy policy)
{
    chm_device *d = NULL;
    chm_device_opts o = { .trust_dir = dir, .sig_policy = policy };
    CU_ASSERT_EQUAL(chm_device_open_opts("emu:u250", &o, &d), CHM_OK);
    return d;
}

/* Loads file into region 1 of d; checks the code, the message, and that a
 * refused load left the region as it was. */
static void expect_load(chm_device *d, const char *file, int code, const char *why)
{
    chm_device_info i0, i1;
    chm_device_query(d, &i0);
    int rc = chm_region_load(d, 1, file, NULL);
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_EQUAL(chm_finish(d), CHM_OK);
    if (why && !strstr(chm_last_error(d), why))
        fprintf(stderr, "expected \"%s\" in \"%s\"\n", why, chm_last_error(d));
    if (why)
        CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(d), why));
    chm_device_query(d, &i1);
    CU_ASSERT_EQUAL(i1.regions[1].loads, i0.regions[1].loads + (code == CHM_OK));
}

static void write_bytes(const char *file, const uint8_t *b, size_t n)
{
    FILE *f = fopen(file, "wb");
    CU_ASSERT_FATAL(f && fwrite(b, 1, n, f) == n);
    fclose(f);
}

/*
 * Signed containers end to end: a key pair, a trust store holding its public
 * key, another key outside it; signed, unsigned, foreign-key and tampered
 * containers under each policy.
 */
static void test_signatures(void)
{
    char err[256];
    const char *dir = tu_tmp("trust"), *other = tu_tmp("other_keys");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s && mkdir -p %s %s", dir, other, dir, other);
    CU_ASSERT_FATAL(system(cmd) == 0);
    CU_ASSERT_EQUAL_FATAL(sig_keygen(dir, "deploy", err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(sig_keygen(other, "stranger", err, sizeof err), 0);
    char key[600], foreign[600];
    snprintf(key, sizeof key, "%s/deploy.key", dir);
    snprintf(foreign, sizeof foreign, "%s/stranger.key", other);
    size_t n_signed, n_foreign;
    uint8_t *sgn = sig_sign(good, good_len, key, &n_signed, err, sizeof err);
    uint8_t *fgn = sig_sign(good, good_len, foreign, &n_foreign, err, sizeof err);
    CU_ASSERT_FATAL(sgn && fgn);
    CU_ASSERT_EQUAL(n_signed, good_len + SIG_BLOCK_BYTES);
    CU_ASSERT_PTR_NULL(sig_sign(sgn, n_signed, key, &n_foreign, err, sizeof err)); /* twice */
    const char *f_signed = tu_tmp("signed.xclbin"), *f_unsigned = tu_tmp("unsigned.xclbin");
    const char *f_foreign = tu_tmp("foreign.xclbin"), *f_tampered = tu_tmp("tampered.xclbin");
    const char *f_blockflip = tu_tmp("blockflip.xclbin");
    write_bytes(f_signed, sgn, n_signed);
    write_bytes(f_unsigned, good, good_len);
    write_bytes(f_foreign, fgn, n_foreign);
    /* Tampered: a frame word changed and the checksum resealed, so only the
     * signature can tell. */
    uint8_t *tmp = malloc(n_signed);
    memcpy(tmp, sgn, n_signed);
    tmp[616 + 4 * 5000] ^= 0x04;
    CU_ASSERT_EQUAL(container_reseal(tmp, good_len), 0);
    write_bytes(f_tampered, tmp, n_signed);
    memcpy(tmp, sgn, n_signed);
    tmp[n_signed - 1] ^= 0x80; /* the signature itself */
    write_bytes(f_blockflip, tmp, n_signed);
    free(tmp);

    chm_device *d = open_trusting(dir, CHM_SIG_REQUIRED);
    CU_ASSERT_FATAL(d != NULL);
    expect_load(d, f_signed, CHM_OK, NULL);
    expect_load(d, f_unsigned, CHM_EUNSIGNED, "not signed (the trust policy requires a signature)");
    expect_load(d, f_foreign, CHM_EUNTRUSTED, "which is not in the trust store");
    expect_load(d, f_tampered, CHM_EBADSIG, "changed after signing");
    expect_load(d, f_blockflip, CHM_EBADSIG, "changed after signing");
    chm_device_close(d);

    d = open_trusting(dir, CHM_SIG_IF_PRESENT);
    expect_load(d, f_signed, CHM_OK, NULL);
    expect_load(d, f_unsigned, CHM_OK, NULL);
    expect_load(d, f_foreign, CHM_EUNTRUSTED, "not in the trust store");
    expect_load(d, f_tampered, CHM_EBADSIG, NULL);
    chm_device_close(d);

    d = open_trusting(NULL, CHM_SIG_IF_PRESENT); /* no trust store: signed ones are not trusted */
    expect_load(d, f_signed, CHM_EUNTRUSTED, NULL);
    chm_device_close(d);

    d = open_trusting(NULL, CHM_SIG_OFF);
    expect_load(d, f_foreign, CHM_OK, NULL);
    expect_load(d, f_unsigned, CHM_OK, NULL);
    chm_device_close(d);

    /* The environment sets the same for chm_device_open; bad values fail. */
    setenv("CHIMERA_TRUST_DIR", dir, 1);
    setenv("CHIMERA_SIG_POLICY", "required", 1);
    CU_ASSERT_EQUAL_FATAL(chm_device_open("emu:u250", &d), CHM_OK);
    expect_load(d, f_unsigned, CHM_EUNSIGNED, NULL);
    expect_load(d, f_signed, CHM_OK, NULL);
    chm_device_close(d);
    setenv("CHIMERA_SIG_POLICY", "sometimes", 1);
    CU_ASSERT_EQUAL(chm_device_open("emu:u250", &d), CHM_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(chm_last_error(NULL), "CHIMERA_SIG_POLICY"));
    unsetenv("CHIMERA_SIG_POLICY");
    setenv("CHIMERA_TRUST_DIR", "/nonexistent/trust", 1);
    CU_ASSERT_EQUAL(chm_device_open("emu:u250", &d), CHM_EIO);
    unsetenv("CHIMERA_TRUST_DIR");
    free(sgn);
    free(fgn);
    remove(f_signed), remove(f_unsigned), remove(f_foreign), remove(f_tampered), remove(f_blockflip);
}

static int init(void)
{
    path = strdup(tu_tmp("test_region.xclbin"));
    u250 = platform_find("u250");
    good = container_pack(u250, 1, CHM_MODE_CNN, &good_len);
    return good == NULL;
}

static int clean(void)
{
    free((char *)path);
    free(good);
    return 0;
}

int main(void)
{
    static const tu_test tests[] = {
        { "a good container loads; time is bytes over the ICAP rate", test_good_load },
        { "bad containers are refused, the region untouched", test_bad_containers },
        { "an ICAP CRC failure leaves the region FAILED, the rest working", test_icap_failure },
        { "every load fails with work queued: nothing is lost", test_nothing_lost },
        { "a stream writing another region's frames is refused", test_wrong_region_frames },
        { "a failed automatic load fails its work with the reason", test_failed_autoload },
        { "rerouting after a failed load respects bank reach (u280)", test_reroute_reaches_banks },
        { "signed containers: trust store, policies, foreign keys, tampering", test_signatures },
        { NULL, NULL },
    };
    return tu_run_suite("region", "emu:u250", tests, init, clean);
}
