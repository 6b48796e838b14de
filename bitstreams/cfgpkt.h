/*
 * cfgpkt.h - UltraScale+ configuration packet streams (UG570), the bytes an
 * ICAP eats: build a partial bitstream for a region, and check one the way
 * the emulated ICAP does before it accepts it.
 */
#ifndef CHM_CFGPKT_H
#define CHM_CFGPKT_H

#include <stddef.h>
#include <stdint.h>

#define CFG_FRAME_WORDS 93u /* UltraScale+ frame (123 on UltraScale) */
#define CFG_SYNC 0xAA995566u
#define CFG_NOP 0x20000000u

enum cfg_reg {
    CFG_REG_CRC = 0x00, CFG_REG_FAR = 0x01, CFG_REG_FDRI = 0x02, CFG_REG_CMD = 0x04,
    CFG_REG_IDCODE = 0x0C,
};
enum cfg_cmd { CFG_CMD_WCFG = 1, CFG_CMD_RCRC = 7, CFG_CMD_DESYNC = 13 };

/*
 * A partial bitstream: preamble (dummies, bus-width pattern, sync), reset
 * CRC, IDCODE, WCFG, FAR, FDRI with frames x 93 words (type 1 + type 2
 * packets), CRC, DESYNC. Frame data is a deterministic function of seed.
 * Returns malloc'ed big-endian bytes and their count, or NULL.
 */
uint8_t *cfg_build_partial(uint32_t idcode, uint32_t far, uint32_t frames, uint32_t seed,
                           size_t *out_len);

typedef struct cfg_result {
    uint32_t far;        /* start frame address written */
    uint32_t frames;     /* frames written through FDRI */
    uint32_t crc_checks; /* CRC register writes that matched */
    size_t words;        /* words consumed up to DESYNC */
} cfg_result;

/*
 * What a stream may configure: the device (IDCODE) and one region's frames,
 * [far, far + frames). Frame addresses here are the emulation's linear
 * numbering (the platform JSON's "far" and "frames"); UG570's FAR packs
 * block type, row, column and minor, which a real shell's region map would
 * list as several ranges. frames == 0 checks no range (a bare stream).
 */
typedef struct cfg_target {
    uint32_t idcode;
    uint32_t far;
    uint32_t frames;
} cfg_target;

/*
 * Runs a packet stream through the emulated ICAP: nothing before the sync
 * word is a packet; then type 1/2 packets must be well formed, the IDCODE
 * written must equal the target's, every CRC write must match, FDRI must
 * carry whole frames (exactly target->frames of them, if nonzero), every
 * FAR written and every frame written after it (the address advances a
 * frame per 93 words) must lie inside the target region, and DESYNC must
 * end it. Returns 0, or -1 with why in err.
 *
 * The CRC is the emulation's own rule, not yet checked against UG570:
 * CRC-32C over, for each word written to a register other than CRC since
 * the last RCRC, the register address byte followed by the word's four
 * big-endian bytes.
 */
int cfg_check(const uint8_t *bytes, size_t len, const cfg_target *target, cfg_result *res,
              char *err, size_t errlen);

#endif /* CHM_CFGPKT_H */
