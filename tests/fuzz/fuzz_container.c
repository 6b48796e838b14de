/*
 * fuzz_container.c - libFuzzer target for the parsers that read untrusted
 * files: the xclbin (AXLF) reader, Chimera's container check, and the ICAP
 * packet-stream check (raw, and behind a valid preamble and sync word so
 * the fuzzer starts inside the packets). Built with clang when available;
 * ctest runs it briefly (tests/CMakeLists.txt).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "axlf.h"
#include "cfgpkt.h"
#include "container.h"
#include "signing.h"

/*
 * Structure-aware pass: wrap the input as the metadata and bitstream of a
 * well-formed u250 container, then let its first bytes patch the result
 * (offset, xor pairs), so the checks past the header get exercised.
 */
static void wrapped(const platform_desc *p, const uint8_t *data, size_t size)
{
    if (size < 16)
        return;
    size_t half = size / 2;
    axlf_info in = { .mode = AXLF_MODE_PR };
    strcpy(in.platform_vbnv, p->vbnv);
    memcpy(in.interface_uuid, p->interface_uuid, 16);
    axlf_section sec[2] = {
        { .kind = AXLF_BITSTREAM, .name = "pr_slr0", .size = half, .data = data },
        { .kind = AXLF_USER_METADATA, .name = "chimera", .size = size - half, .data = data + half },
    };
    size_t len;
    uint8_t *buf = axlf_build(&in, sec, 2, &len);
    if (!buf)
        return;
    for (size_t i = 0; i + 3 <= 12; i += 3) {
        size_t at = ((size_t)data[i] << 8 | data[i + 1]) % len;
        buf[at] ^= data[i + 2];
    }
    char err[256];
    container_view v;
    container_verify(buf, len, p, &v, err, sizeof err);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const platform_desc *p = platform_find("u250");
    char err[256];
    axlf_info info;
    axlf_section s[8];
    axlf_parse(data, size, &info, s, 8, err, sizeof err);
    sig_check(data, size, NULL, err, sizeof err);
    uint8_t id[SIG_KEYID_BYTES];
    sig_key_id(data, size, id);
    container_view v;
    if (container_verify(data, size, p, &v, err, sizeof err) == 0) {
        cfg_result r;
        cfg_check(v.bitstream, v.bitstream_len, &(cfg_target){ p->idcode, p->regions[v.region].far, v.frames }, &r, err, sizeof err);
    }
    wrapped(p, data, size);
    cfg_result r;
    cfg_check(data, size, &(cfg_target){ p->idcode, 0, 0 }, &r, err, sizeof err);
    size_t n = size / 4 * 4;
    uint8_t *framed = malloc(n + 8);
    if (framed) {
        static const uint8_t pre[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xAA, 0x99, 0x55, 0x66 };
        memcpy(framed, pre, 8);
        memcpy(framed + 8, data, n);
        cfg_check(framed, n + 8, &(cfg_target){ p->idcode, 0x100, 64 }, &r, err, sizeof err);
        free(framed);
    }
    return 0;
}
