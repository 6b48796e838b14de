/*
 * axlf.h - the xclbin (AXLF) container as XRT reads it (field by field in
 * shared/FORMATS.md): parse and check one, or build one from sections.
 */
#ifndef CHM_AXLF_H
#define CHM_AXLF_H

#include <stddef.h>
#include <stdint.h>

#define AXLF_MAGIC "xclbin2"
#define AXLF_HEADER_SIZE 456u   /* bytes before the section table */
#define AXLF_SECTION_SIZE 40u
#define AXLF_MAX_SECTIONS 0x10000u /* XRT's cap on num_sections */

enum axlf_kind {
    AXLF_BITSTREAM = 0,
    AXLF_CLEARING_BITSTREAM = 1,
    AXLF_EMBEDDED_METADATA = 2,
    AXLF_MEM_TOPOLOGY = 6,
    AXLF_CONNECTIVITY = 7,
    AXLF_IP_LAYOUT = 8,
    AXLF_CLOCK_FREQ_TOPOLOGY = 11,
    AXLF_BUILD_METADATA = 14,
    AXLF_KEYVALUE_METADATA = 15,
    AXLF_USER_METADATA = 16,
    AXLF_PARTITION_METADATA = 20,
};

enum axlf_mode { AXLF_MODE_FLAT = 0, AXLF_MODE_PR = 1, AXLF_MODE_HW_EMU = 4, AXLF_MODE_SW_EMU = 5 };

typedef struct axlf_section {
    uint32_t kind;
    char name[17];        /* NUL-terminated copy of the 16-byte field */
    uint64_t offset, size;
    const uint8_t *data;  /* into the parsed buffer (parse) or the caller's (build) */
} axlf_section;

typedef struct axlf_info {
    uint64_t length;      /* header's total file size */
    uint64_t timestamp;
    uint64_t unique_id;
    uint16_t version_patch;
    uint8_t version_major, version_minor;
    uint16_t mode;
    uint8_t interface_uuid[16];
    char platform_vbnv[65];
    uint8_t xclbin_uuid[16];
    int32_t signature_length;
    uint32_t num_sections;
} axlf_info;

/*
 * Checks buf[0..len) as a container: magic, the header's length against len,
 * num_sections within XRT's cap and the buffer, every section inside the
 * file and 8-byte aligned, the VBNV NUL-terminated. Fills *info and up to
 * max_sections entries of sections. On failure returns -1 and writes why
 * into err (e.g. "section 2 (IP_LAYOUT) ends at byte 9000, past the end of
 * the 8192-byte file").
 */
int axlf_parse(const uint8_t *buf, size_t len, axlf_info *info, axlf_section *sections,
               uint32_t max_sections, char *err, size_t errlen);

/* The first section of kind, or NULL. */
const axlf_section *axlf_find(const axlf_section *sections, uint32_t n, uint32_t kind);

/* A short name of a section kind ("BITSTREAM"), or "UNKNOWN". */
const char *axlf_kind_name(uint32_t kind);

/*
 * Lays out a container: header from info (length and num_sections are
 * computed), then the section table, then each section's data 8-byte
 * aligned. Returns a malloc'ed buffer and its size, or NULL.
 */
uint8_t *axlf_build(const axlf_info *info, const axlf_section *sections, uint32_t n,
                    size_t *out_len);

#endif /* CHM_AXLF_H */
