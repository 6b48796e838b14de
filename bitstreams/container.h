/*
 * container.h - Chimera's partial-reconfiguration container: an xclbin
 * (AXLF, mode PR) holding one region's partial bitstream and what it is.
 *
 * Sections:
 *   BITSTREAM      named after the region ("pr_slr0"): UltraScale+ packets
 *   IP_LAYOUT      one kernel, "chimera_<mode>:<region>"
 *   MEM_TOPOLOGY   the platform's banks
 *   USER_METADATA  "chimera" JSON, the region/mode record:
 *                  {"chimera":{"version":1,"platform":"u250","region":"pr_slr0",
 *                   "mode":"CNN","frames":61440,"crc32c":"1a2b3c4d"}}
 * crc32c is CRC-32C of the whole file with those 8 hex digits read as "00000000",
 * so any changed byte is caught before a region is touched.
 */
#ifndef CHM_CONTAINER_H
#define CHM_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h"

/* A container for mode (1 CNN, 2 SPARSE, 3 GRAPH) in region r of p, malloc'ed. */
uint8_t *container_pack(const platform_desc *p, int r, int mode, size_t *out_len);

/* Recomputes the checksum of a container of len bytes (after a change that is
 * meant, such as signing); 0, or -1 if it has no Chimera checksum. */
int container_reseal(uint8_t *buf, size_t len);

typedef struct container_view {
    int region;               /* index in the platform */
    int mode;
    uint32_t frames;
    const uint8_t *bitstream; /* into the checked buffer */
    size_t bitstream_len;
} container_view;

/*
 * Checks buf as a container for platform p: well-formed AXLF, PR mode, this
 * shell's VBNV and interface UUID, the metadata (platform, a region and a
 * mode that exist, frames equal to the region's), the checksum, and a
 * BITSTREAM section named after the region. Returns 0, or -1 with the
 * reason in err.
 */
int container_verify(const uint8_t *buf, size_t len, const platform_desc *p,
                     container_view *out, char *err, size_t errlen);

#endif /* CHM_CONTAINER_H */
