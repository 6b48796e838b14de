/*
 * axlf.c - reading and writing xclbin (AXLF) containers. Little-endian
 * throughout; offsets as listed in shared/FORMATS.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs_util.h"
#include "axlf.h"

/* Offsets in the file. */
enum {
    OFF_MAGIC = 0,
    OFF_SIGLEN = 8,
    OFF_RESERVED = 12,
    OFF_KEYBLOCK = 40,
    OFF_UNIQUE_ID = 296,
    OFF_HEADER = 304, /* axlf_header; the fields below are relative to it */
    H_LENGTH = 0,
    H_TIMESTAMP = 8,
    H_FEATURE_ROM = 16,
    H_VERSION_PATCH = 24,
    H_VERSION_MAJOR = 26,
    H_VERSION_MINOR = 27,
    H_MODE = 28,
    H_ACTION_MASK = 30,
    H_INTERFACE_UUID = 32,
    H_VBNV = 48,
    H_XCLBIN_UUID = 112,
    H_DEBUG_BIN = 128,
    H_NUM_SECTIONS = 144,
    S_KIND = 0,
    S_NAME = 4,
    S_OFFSET = 24,
    S_SIZE = 32,
};

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

const char *axlf_kind_name(uint32_t kind)
{
    static const char *const names[] = {
        "BITSTREAM", "CLEARING_BITSTREAM", "EMBEDDED_METADATA", "FIRMWARE", "DEBUG_DATA",
        "SCHED_FIRMWARE", "MEM_TOPOLOGY", "CONNECTIVITY", "IP_LAYOUT", "DEBUG_IP_LAYOUT",
        "DESIGN_CHECK_POINT", "CLOCK_FREQ_TOPOLOGY", "MCS", "BMC", "BUILD_METADATA",
        "KEYVALUE_METADATA", "USER_METADATA", "DNA_CERTIFICATE", "PDI", "BITSTREAM_PARTIAL_PDI",
        "PARTITION_METADATA", "EMULATION_DATA", "SYSTEM_METADATA", "SOFT_KERNEL", "ASK_FLASH",
        "AIE_METADATA", "ASK_GROUP_TOPOLOGY", "ASK_GROUP_CONNECTIVITY", "SMARTNIC",
        "AIE_RESOURCES", "OVERLAY", "VENDER_METADATA", "AIE_PARTITION", "IP_METADATA",
        "AIE_RESOURCES_BIN", "AIE_TRACE_METADATA",
    };
    return kind < sizeof names / sizeof names[0] ? names[kind] : "UNKNOWN";
}

static int parse_header(const uint8_t *buf, size_t len, axlf_info *info, char *err, size_t el)
{
    if (len < AXLF_HEADER_SIZE)
        return bs_fail(err, el, "file is %zu bytes, shorter than the %u-byte header", len,
                    AXLF_HEADER_SIZE);
    if (memcmp(buf + OFF_MAGIC, AXLF_MAGIC, 8) != 0)
        return bs_fail(err, el, "bad magic: not an xclbin2 container");
    const uint8_t *h = buf + OFF_HEADER;
    memset(info, 0, sizeof *info);
    info->signature_length = (int32_t)get_le(buf + OFF_SIGLEN, 4);
    info->unique_id = get_le(buf + OFF_UNIQUE_ID, 8);
    info->length = get_le(h + H_LENGTH, 8);
    info->timestamp = get_le(h + H_TIMESTAMP, 8);
    info->version_patch = (uint16_t)get_le(h + H_VERSION_PATCH, 2);
    info->version_major = h[H_VERSION_MAJOR];
    info->version_minor = h[H_VERSION_MINOR];
    info->mode = (uint16_t)get_le(h + H_MODE, 2);
    memcpy(info->interface_uuid, h + H_INTERFACE_UUID, 16);
    memcpy(info->xclbin_uuid, h + H_XCLBIN_UUID, 16);
    info->num_sections = (uint32_t)get_le(h + H_NUM_SECTIONS, 4);
    if (!memchr(h + H_VBNV, 0, 64))
        return bs_fail(err, el, "platform VBNV is not NUL-terminated");
    memcpy(info->platform_vbnv, h + H_VBNV, 64);
    if (info->signature_length > 0) { /* a signature block follows the container */
        if (info->signature_length > 4096 || info->length > len ||
            len - info->length != (uint64_t)info->signature_length)
            return bs_fail(err, el, "header says %llu bytes and a %d-byte signature, the file has "
                        "%zu", (unsigned long long)info->length, info->signature_length, len);
        len = (size_t)info->length;
    } else if (info->length != len) {
        return bs_fail(err, el, "header says %llu bytes, the file has %zu",
                    (unsigned long long)info->length, len);
    }
    if (info->num_sections > AXLF_MAX_SECTIONS)
        return bs_fail(err, el, "num_sections %u is over XRT's cap of %u", info->num_sections,
                    AXLF_MAX_SECTIONS);
    if ((uint64_t)AXLF_HEADER_SIZE + (uint64_t)info->num_sections * AXLF_SECTION_SIZE > len)
        return bs_fail(err, el, "a table of %u sections does not fit the %zu-byte file",
                    info->num_sections, len);
    return 0;
}

typedef struct span {
    uint64_t off, end;
    uint32_t index;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* No two present sections share a byte (XRT's xclbinutil never writes that;
 * a loader that accepted it would read one section's bytes as another's). */
static int check_overlaps(const uint8_t *buf, uint32_t n, char *err, size_t el)
{
    span *sp = malloc((n ? n : 1) * sizeof *sp);
    if (!sp)
        return bs_fail(err, el, "no memory to check %u sections", n);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = buf + AXLF_HEADER_SIZE + (size_t)i * AXLF_SECTION_SIZE;
        uint64_t off = get_le(s + S_OFFSET, 8), size = get_le(s + S_SIZE, 8);
        if (size > 0)
            sp[k++] = (span){ off, off + size, i };
    }
    qsort(sp, k, sizeof *sp, cmp_span);
    int rc = 0;
    for (uint32_t i = 1; i < k && !rc; i++)
        if (sp[i].off < sp[i - 1].end)
            rc = bs_fail(err, el, "sections %u and %u overlap at bytes [%llu, %llu)",
                         sp[i - 1].index, sp[i].index, (unsigned long long)sp[i].off,
                         (unsigned long long)(sp[i].end < sp[i - 1].end ? sp[i].end : sp[i - 1].end));
    free(sp);
    return rc;
}

int axlf_parse(const uint8_t *buf, size_t len, axlf_info *info, axlf_section *sections,
               uint32_t max_sections, char *err, size_t el)
{
    if (parse_header(buf, len, info, err, el))
        return -1;
    len = (size_t)info->length; /* the signature block, if any, is no section's */
    if (sections && max_sections) /* absent and unread slots read as empty */
        memset(sections, 0, (size_t)max_sections * sizeof *sections);
    const uint64_t table_end = AXLF_HEADER_SIZE + (uint64_t)info->num_sections * AXLF_SECTION_SIZE;
    for (uint32_t i = 0; i < info->num_sections; i++) {
        const uint8_t *s = buf + AXLF_HEADER_SIZE + (size_t)i * AXLF_SECTION_SIZE;
        uint32_t kind = (uint32_t)get_le(s + S_KIND, 4);
        uint64_t off = get_le(s + S_OFFSET, 8), size = get_le(s + S_SIZE, 8);
        if (off == 0 && size == 0)
            continue; /* an absent section */
        if (off < table_end || off > len || size > len - off)
            return bs_fail(err, el, "section %u (%s) at bytes [%llu, +%llu) is outside the file's "
                        "data area [%llu, %zu)", i, axlf_kind_name(kind), (unsigned long long)off,
                        (unsigned long long)size, (unsigned long long)table_end, len);
        if (off % 8 != 0)
            return bs_fail(err, el, "section %u (%s) starts at byte %llu, not 8-byte aligned", i,
                        axlf_kind_name(kind), (unsigned long long)off);
        if (i < max_sections) {
            axlf_section *o = &sections[i];
            o->kind = kind;
            memcpy(o->name, s + S_NAME, 16);
            o->name[16] = 0;
            o->offset = off;
            o->size = size;
            o->data = buf + off;
        }
    }
    return check_overlaps(buf, info->num_sections, err, el);
}

const axlf_section *axlf_find(const axlf_section *sections, uint32_t n, uint32_t kind)
{
    for (uint32_t i = 0; i < n; i++)
        if (sections[i].kind == kind && sections[i].size > 0)
            return &sections[i];
    return NULL;
}

uint8_t *axlf_build(const axlf_info *info, const axlf_section *sections, uint32_t n,
                    size_t *out_len)
{
    if (n > AXLF_MAX_SECTIONS)
        return NULL;
    uint64_t off = AXLF_HEADER_SIZE + (uint64_t)n * AXLF_SECTION_SIZE;
    off = (off + 7) & ~UINT64_C(7);
    uint64_t total = off;
    for (uint32_t i = 0; i < n; i++)
        total = ((total + sections[i].size) + 7) & ~UINT64_C(7);
    uint8_t *buf = calloc(1, total);
    if (!buf)
        return NULL;
    memcpy(buf + OFF_MAGIC, AXLF_MAGIC, 8);
    put_le(buf + OFF_SIGLEN, (uint32_t)-1, 4); /* unsigned */
    memset(buf + OFF_RESERVED, 0xFF, 28);
    put_le(buf + OFF_UNIQUE_ID, info->unique_id, 8);
    uint8_t *h = buf + OFF_HEADER;
    put_le(h + H_LENGTH, total, 8);
    put_le(h + H_TIMESTAMP, info->timestamp, 8);
    put_le(h + H_VERSION_PATCH, info->version_patch, 2);
    h[H_VERSION_MAJOR] = info->version_major;
    h[H_VERSION_MINOR] = info->version_minor;
    put_le(h + H_MODE, info->mode, 2);
    memcpy(h + H_INTERFACE_UUID, info->interface_uuid, 16);
    memcpy(h + H_VBNV, info->platform_vbnv, strnlen(info->platform_vbnv, 63)); /* NUL stays */
    memcpy(h + H_XCLBIN_UUID, info->xclbin_uuid, 16);
    put_le(h + H_NUM_SECTIONS, n, 4);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *s = buf + AXLF_HEADER_SIZE + (size_t)i * AXLF_SECTION_SIZE;
        put_le(s + S_KIND, sections[i].kind, 4);
        memcpy(s + S_NAME, sections[i].name, strnlen(sections[i].name, 16));
        if (sections[i].size > 0) {
            put_le(s + S_OFFSET, off, 8);
            put_le(s + S_SIZE, sections[i].size, 8);
            memcpy(buf + off, sections[i].data, sections[i].size);
            off = (off + sections[i].size + 7) & ~UINT64_C(7);
        }
    }
    *out_len = (size_t)total;
    return buf;
}
