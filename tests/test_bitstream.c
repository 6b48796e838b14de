/*
 * test_bitstream.c - xclbin containers and UltraScale+ packet streams:
 * round trips, and damaged inputs rejected with the reason.
 */
#include <stdlib.h>
#include <string.h>

#include "axlf.h"
#include "cfgpkt.h"
#include "test_util.h"

#define IDCODE 0x04B57093u
#define FRAMES 300u

static void test_packets_round_trip(void)
{
    size_t len;
    uint8_t *bs = cfg_build_partial(IDCODE, 0x00400000u, FRAMES, 1, &len);
    CU_ASSERT_FATAL(bs != NULL);
    CU_ASSERT_EQUAL(len % 4, 0);
    CU_ASSERT(len > FRAMES * CFG_FRAME_WORDS * 4);
    cfg_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL(cfg_check(bs, len, &(cfg_target){ IDCODE, 0x00400000u, FRAMES }, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.frames, FRAMES);
    CU_ASSERT_EQUAL(r.far, 0x00400000u);
    CU_ASSERT_EQUAL(r.crc_checks, 1);
    free(bs);
}

/* The damaged-stream tests build region [0x100, 0x100 + 20). */
static void expect_reject(const uint8_t *bs, size_t len, uint32_t idcode, uint32_t frames,
                          const char *why)
{
    cfg_result r;
    char err[256] = "";
    CU_ASSERT_EQUAL(cfg_check(bs, len, &(cfg_target){ idcode, 0x100u, frames }, &r, err, sizeof err),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, why));
    if (!strstr(err, why))
        fprintf(stderr, "expected \"%s\", got \"%s\"\n", why, err);
}

static void test_packets_damaged(void)
{
    size_t len;
    uint8_t *bs = cfg_build_partial(IDCODE, 0x100u, 20, 2, &len);
    CU_ASSERT_FATAL(bs != NULL);
    expect_reject(bs, len, IDCODE + 1, 20, "IDCODE");
    expect_reject(bs, len, IDCODE, 21, "the region has 21");
    expect_reject(bs, len - 2, IDCODE, 20, "whole 32-bit words");
    expect_reject(bs, len / 8 * 4, IDCODE, 20, "the stream ends after");
    uint8_t *copy = malloc(len);
    memcpy(copy, bs, len);
    memset(copy, 0xFF, 4 * 24); /* the sync word is gone */
    expect_reject(copy, len, IDCODE, 20, "no sync word");
    free(copy);
    /* Every bit flip in a word the CRC covers (frame data, IDCODE, FAR) is caught. */
    cfg_result r;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(cfg_check(bs, len, &(cfg_target){ IDCODE, 0x100u, 20 }, &r, err, sizeof err), 0);
    tu_rng g;
    tu_seed(&g, 3);
    const size_t first_data = 4 * 35; /* 35 words come before frame data: see cfg_build_partial */
    uint8_t *flip = malloc(len);
    for (int i = 0; i < 300; i++) {
        memcpy(flip, bs, len);
        size_t at = first_data + tu_u32(&g) % (20 * CFG_FRAME_WORDS * 4);
        flip[at] ^= (uint8_t)(1u << (tu_u32(&g) % 8));
        CU_ASSERT_EQUAL(cfg_check(flip, len, &(cfg_target){ IDCODE, 0x100u, 0 }, &r, err, sizeof err), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "CRC mismatch"));
    }
    memcpy(flip, bs, len);
    flip[4 * 27 + 3] ^= 0x01; /* the IDCODE value (word 27) */
    expect_reject(flip, len, IDCODE, 20, "IDCODE");
    memcpy(flip, bs, len);
    flip[4 * 31 + 3] ^= 0x01; /* the FAR value (word 31): its last frame leaves the region */
    expect_reject(flip, len, IDCODE, 20, "past the region's last frame");
    flip[4 * 31 + 3] ^= 0x03; /* FAR 0x102, checked with no region range: only the CRC can tell */
    expect_reject(flip, len, IDCODE, 0, "CRC mismatch");
    free(flip);
    free(bs);
}

static void test_container_round_trip(void)
{
    const uint8_t bit[13] = "configuration", meta[] = "{\"region\":1,\"mode\":\"CNN\"}";
    axlf_info in = { .timestamp = 1700000000, .unique_id = 42, .version_major = 2,
                     .version_minor = 14, .mode = AXLF_MODE_PR };
    strcpy(in.platform_vbnv, "xilinx_u250_gen3x16_xdma_shell_4_1");
    memset(in.interface_uuid, 0xAB, 16);
    memset(in.xclbin_uuid, 0x5C, 16);
    axlf_section s[3] = {
        { .kind = AXLF_BITSTREAM, .name = "pr_slr0", .size = sizeof bit, .data = bit },
        { .kind = AXLF_IP_LAYOUT, .name = "", .size = 0, .data = NULL },
        { .kind = AXLF_USER_METADATA, .name = "chimera", .size = sizeof meta - 1, .data = meta },
    };
    size_t len;
    uint8_t *buf = axlf_build(&in, s, 3, &len);
    CU_ASSERT_FATAL(buf != NULL);
    CU_ASSERT_EQUAL(len % 8, 0);
    axlf_info out;
    axlf_section got[3];
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(axlf_parse(buf, len, &out, got, 3, err, sizeof err), 0);
    CU_ASSERT_EQUAL(out.length, len);
    CU_ASSERT_EQUAL(out.num_sections, 3);
    CU_ASSERT_EQUAL(out.mode, AXLF_MODE_PR);
    CU_ASSERT_EQUAL(out.signature_length, -1);
    CU_ASSERT_STRING_EQUAL(out.platform_vbnv, in.platform_vbnv);
    CU_ASSERT_EQUAL(memcmp(out.interface_uuid, in.interface_uuid, 16), 0);
    const axlf_section *b = axlf_find(got, 3, AXLF_BITSTREAM);
    CU_ASSERT_FATAL(b != NULL);
    CU_ASSERT_EQUAL(b->size, sizeof bit);
    CU_ASSERT_EQUAL(b->offset % 8, 0);
    CU_ASSERT_EQUAL(memcmp(b->data, bit, sizeof bit), 0);
    CU_ASSERT_STRING_EQUAL(b->name, "pr_slr0");
    CU_ASSERT_PTR_NULL(axlf_find(got, 3, AXLF_IP_LAYOUT)); /* absent: offset and size 0 */
    CU_ASSERT_STRING_EQUAL(axlf_kind_name(AXLF_USER_METADATA), "USER_METADATA");

    /* Damage, each rejected with its reason. */
    uint8_t *bad = malloc(len);
    struct { size_t at; uint8_t v; const char *why; } cases[] = {
        { 0, 'X', "bad magic" },
        { 304 + 144 + 2, 0x7F, "over XRT's cap" },            /* num_sections huge */
        { 456 + 24 + 4, 0x10, "outside the file" },           /* section 0 offset */
        { 456 + 32 + 3, 0x01, "outside the file" },           /* section 0 size */
        { 456 + 24, 0x04, "not 8-byte aligned" },
        { 304 + 0 + 1, 0x33, "header says" },                 /* length */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(bad, buf, len);
        bad[cases[i].at] ^= cases[i].v;
        err[0] = 0;
        CU_ASSERT_EQUAL(axlf_parse(bad, len, &out, got, 3, err, sizeof err), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].why));
        if (!strstr(err, cases[i].why))
            fprintf(stderr, "case %zu: expected \"%s\", got \"%s\"\n", i, cases[i].why, err);
    }
    memcpy(bad, buf, len);
    memset(bad + 304 + 48, 'A', 64); /* VBNV without its NUL */
    CU_ASSERT_EQUAL(axlf_parse(bad, len, &out, got, 3, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "NUL"));
    /* Overlapping sections: the metadata section pointed at the bitstream's bytes. */
    memcpy(bad, buf, len);
    memcpy(bad + 456 + 2 * 40 + 24, buf + 456 + 24, 8);
    CU_ASSERT_EQUAL(axlf_parse(bad, len, &out, got, 3, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "overlap"));
    /* An absent section's slot is filled as empty, whatever the caller's array held. */
    memset(got, 0xA5, sizeof got);
    CU_ASSERT_EQUAL_FATAL(axlf_parse(buf, len, &out, got, 3, err, sizeof err), 0);
    CU_ASSERT_EQUAL(got[1].size, 0);
    CU_ASSERT_PTR_NULL(got[1].data);
    CU_ASSERT_EQUAL(got[1].kind, 0);
    for (size_t cut = 0; cut < len; cut += 7) /* every truncation is refused */
        CU_ASSERT_EQUAL(axlf_parse(buf, cut, &out, got, 3, err, sizeof err), -1);
    free(bad);
    free(buf);
}

int main(void)
{
    static const tu_test tests[] = {
        { "partial bitstream builds and passes the ICAP checks", test_packets_round_trip },
        { "damaged packet streams are refused with the reason", test_packets_damaged },
        { "xclbin container round trip and damage", test_container_round_trip },
        { NULL, NULL },
    };
    return tu_run_suite("bitstream", NULL, tests, NULL, NULL);
}
