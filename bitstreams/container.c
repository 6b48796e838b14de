/*
 * container.c - packing and checking Chimera's partial-bitstream containers.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs_util.h"
#include "axlf.h"
#include "cfgpkt.h"
#include "container.h"
#include "crc32c.h"

#define CRC_KEY "\"crc32c\":\""

/* CRC-32C of buf with the 8 digits at digits[0..8) read as '0'. */
static uint32_t file_crc(const uint8_t *buf, size_t len, size_t digits)
{
    static const uint8_t zeros[8] = "00000000";
    uint32_t c = crc32c(0, buf, digits);
    c = crc32c(c, zeros, 8);
    return crc32c(c, buf + digits + 8, len - digits - 8);
}

static uint8_t *mem_topology(const platform_desc *p, size_t *len)
{
    *len = 8 + 40 * (size_t)p->n_banks;
    uint8_t *t = calloc(1, *len);
    if (!t)
        return NULL;
    t[0] = (uint8_t)p->n_banks;
    for (uint32_t b = 0; b < p->n_banks; b++) {
        uint8_t *e = t + 8 + 40 * b;
        const platform_bank *pb = &p->banks[b];
        e[0] = strncmp(pb->name, "HBM", 3) == 0 ? 6 : 1; /* HBM or DDR4 */
        e[1] = 1;                                        /* used */
        uint64_t kib = pb->size >> 10, base = pb->base;
        for (int i = 0; i < 8; i++, kib >>= 8, base >>= 8) {
            e[8 + i] = (uint8_t)kib;
            e[16 + i] = (uint8_t)base;
        }
        memcpy(e + 24, pb->name, strnlen(pb->name, 15));
    }
    return t;
}

uint8_t *container_pack(const platform_desc *p, int r, int mode, size_t *out_len)
{
    const mode_desc *md = mode_find(mode);
    if (r < 0 || (uint32_t)r >= p->n_regions || !md)
        return NULL;
    const platform_region *reg = &p->regions[r];
    size_t bl = 0, tl = 0;
    uint8_t *bits = cfg_build_partial(p->idcode, reg->far, reg->frames, (uint32_t)(r * 4 + mode), &bl);
    uint8_t *topo = mem_topology(p, &tl);
    uint8_t ip[8 + 80] = { 1 };
    ip[8] = 1; /* IP_KERNEL */
    snprintf((char *)ip + 8 + 16, 64, "chimera_%s:%s", md->name, reg->name);
    char meta[256];
    int ml = snprintf(meta, sizeof meta,
                      "{\"chimera\":{\"version\":1,\"platform\":\"%s\",\"region\":\"%s\","
                      "\"mode\":\"%s\",\"frames\":%u," CRC_KEY "00000000\"}}",
                      p->name, reg->name, md->name, reg->frames);
    axlf_info info = { .mode = AXLF_MODE_PR, .version_major = 2, .version_minor = 14 };
    snprintf(info.platform_vbnv, sizeof info.platform_vbnv, "%s", p->vbnv);
    memcpy(info.interface_uuid, p->interface_uuid, 16);
    for (int i = 0; i < 16; i++) /* a stable id per (platform, region, mode) */
        info.xclbin_uuid[i] = (uint8_t)(crc32c((uint32_t)i, meta, (size_t)ml) >> (8 * (i & 3)));
    axlf_section s[4] = {
        { .kind = AXLF_BITSTREAM, .size = bl, .data = bits },
        { .kind = AXLF_IP_LAYOUT, .name = "ip_layout", .size = sizeof ip, .data = ip },
        { .kind = AXLF_MEM_TOPOLOGY, .name = "mem_topology", .size = tl, .data = topo },
        { .kind = AXLF_USER_METADATA, .name = "chimera", .size = (uint64_t)ml,
          .data = (const uint8_t *)meta },
    };
    snprintf(s[0].name, sizeof s[0].name, "%s", reg->name);
    uint8_t *out = bits && topo ? axlf_build(&info, s, 4, out_len) : NULL;
    free(bits);
    free(topo);
    if (!out)
        return NULL;
    if (container_reseal(out, *out_len)) {
        free(out);
        return NULL;
    }
    return out;
}

int container_reseal(uint8_t *buf, size_t len)
{
    /* The metadata section is last: find its digits and fill them in. */
    if (len < sizeof CRC_KEY + 8)
        return -1;
    uint8_t *key = buf + len - (sizeof CRC_KEY - 1);
    while (key > buf && memcmp(key, CRC_KEY, sizeof CRC_KEY - 1) != 0)
        key--;
    size_t digits = (size_t)(key - buf) + sizeof CRC_KEY - 1;
    if (key == buf || digits + 8 > len)
        return -1;
    char hex[9];
    snprintf(hex, sizeof hex, "%08x", file_crc(buf, len, digits));
    memcpy(buf + digits, hex, 8);
    return 0;
}

/* The first place key occurs in p[0..n), or NULL. */
static const uint8_t *find_bytes(const uint8_t *p, size_t n, const char *key)
{
    size_t k = strlen(key);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, key, k) == 0)
            return p + i;
    return NULL;
}

/* Reads and checks the "chimera" metadata record. */
static int check_meta(const axlf_section *m, const uint8_t *buf, size_t len,
                      const platform_desc *p, container_view *out, char *err, size_t el)
{
    char text[1024];
    if (m->size >= sizeof text)
        return bs_fail(err, el, "metadata section is %llu bytes, too long", (unsigned long long)m->size);
    memcpy(text, m->data, m->size);
    text[m->size] = 0;
    json_object *root = json_tokener_parse(text), *c = NULL, *v;
    if (!root || !json_object_object_get_ex(root, "chimera", &c)) {
        json_object_put(root);
        return bs_fail(err, el, "USER_METADATA is not Chimera's JSON record");
    }
    int rc = 0;
    const char *plat = json_object_object_get_ex(c, "platform", &v) ? json_object_get_string(v) : "";
    const char *region = json_object_object_get_ex(c, "region", &v) ? json_object_get_string(v) : "";
    const char *mode = json_object_object_get_ex(c, "mode", &v) ? json_object_get_string(v) : "";
    int64_t frames = json_object_object_get_ex(c, "frames", &v) ? json_object_get_int64(v) : -1;
    out->region = -1;
    for (uint32_t r = 0; r < p->n_regions; r++)
        if (strcmp(p->regions[r].name, region) == 0)
            out->region = (int)r;
    out->mode = mode_by_name(mode);
    if (strcmp(plat, p->name) != 0)
        rc = bs_fail(err, el, "built for platform \"%s\", this is \"%s\"", plat, p->name);
    else if (out->region < 0)
        rc = bs_fail(err, el, "names region \"%s\", which %s does not have", region, p->name);
    else if (!out->mode)
        rc = bs_fail(err, el, "names mode \"%s\", not CNN, SPARSE or GRAPH", mode);
    else if (frames != p->regions[out->region].frames)
        rc = bs_fail(err, el, "says %lld frames, region %s has %u", (long long)frames, region,
                  p->regions[out->region].frames);
    const uint8_t *key = find_bytes(m->data, (size_t)m->size, CRC_KEY);
    if (!rc && (!key || (size_t)(key - m->data) + sizeof CRC_KEY - 1 + 8 > m->size))
        rc = bs_fail(err, el, "metadata has no crc32c");
    if (!rc) {
        size_t digits = (size_t)(key - buf) + sizeof CRC_KEY - 1;
        char want[9];
        snprintf(want, sizeof want, "%08x", file_crc(buf, len, digits));
        if (memcmp(want, buf + digits, 8) != 0)
            rc = bs_fail(err, el, "checksum mismatch: file gives %s, metadata says %.8s", want,
                      (const char *)buf + digits);
    }
    out->frames = (uint32_t)frames;
    json_object_put(root);
    return rc;
}

int container_verify(const uint8_t *buf, size_t len, const platform_desc *p,
                     container_view *out, char *err, size_t el)
{
    axlf_info info;
    axlf_section s[16];
    memset(out, 0, sizeof *out);
    if (axlf_parse(buf, len, &info, s, 16, err, el))
        return -1;
    if (info.num_sections > 16)
        return bs_fail(err, el, "%u sections; a Chimera container has at most 16", info.num_sections);
    if (info.mode != AXLF_MODE_PR)
        return bs_fail(err, el, "mode %u is not PR (1): not a partial bitstream", info.mode);
    if (strcmp(info.platform_vbnv, p->vbnv) != 0)
        return bs_fail(err, el, "built for shell \"%s\", this card runs \"%s\"", info.platform_vbnv,
                    p->vbnv);
    if (memcmp(info.interface_uuid, p->interface_uuid, 16) != 0)
        return bs_fail(err, el, "interface UUID is not the one of shell %s", p->vbnv);
    const axlf_section *m = axlf_find(s, info.num_sections, AXLF_USER_METADATA);
    if (!m)
        return bs_fail(err, el, "no USER_METADATA section: not a Chimera container");
    if (check_meta(m, buf, (size_t)info.length, p, out, err, el)) /* the signature is not summed */
        return -1;
    const axlf_section *b = axlf_find(s, info.num_sections, AXLF_BITSTREAM);
    if (!b || strcmp(b->name, p->regions[out->region].name) != 0)
        return bs_fail(err, el, "no BITSTREAM section for region %s", p->regions[out->region].name);
    out->bitstream = b->data;
    out->bitstream_len = (size_t)b->size;
    return 0;
}
